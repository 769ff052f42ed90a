//! PD's `/members` and `/health` to [`MemberList`].

use std::collections::HashMap;

use crate::model::{Member, MemberList, MemberRef, Meta, PdId, PdOverview};
use crate::upstream::pd::wire;

/// Joins PD's members to their health (by member id). `health` is `None` when it could not be
/// read; every member's `healthy` is then `null`.
pub(crate) fn member_list(
    cluster: &str,
    members: wire::MembersResponse,
    health: Option<&[wire::MemberHealth]>,
    meta: Meta,
) -> MemberList {
    let healthy_by_id: Option<HashMap<u64, bool>> =
        health.map(|h| h.iter().map(|m| (m.member_id, m.health)).collect());
    let cluster_id = cluster_id(&members);
    let leader_id = members.leader.as_ref().map(|m| m.member_id);
    let etcd_leader_id = members.etcd_leader.as_ref().map(|m| m.member_id);
    let list: Vec<Member> = members
        .members
        .into_iter()
        .map(|m| Member {
            is_leader: Some(m.member_id) == leader_id,
            is_etcd_leader: Some(m.member_id) == etcd_leader_id,
            healthy: healthy_by_id
                .as_ref()
                .and_then(|h| h.get(&m.member_id).copied()),
            member_id: PdId(m.member_id),
            name: m.name,
            client_urls: m.client_urls,
            peer_urls: m.peer_urls,
            leader_priority: m.leader_priority,
            binary_version: m.binary_version.filter(|v| !v.is_empty()),
            git_hash: m.git_hash.filter(|v| !v.is_empty()),
            deploy_path: m.deploy_path.filter(|v| !v.is_empty()),
        })
        .collect();
    MemberList {
        cluster: cluster.to_owned(),
        cluster_id,
        leader: members.leader.map(member_ref),
        etcd_leader: members.etcd_leader.map(member_ref),
        count: list.len(),
        members: list,
        meta,
    }
}

fn member_ref(m: wire::Member) -> MemberRef {
    MemberRef {
        name: m.name,
        member_id: PdId(m.member_id),
    }
}

/// The TiKV cluster id from the members' header; PD's zero means "not sent".
fn cluster_id(members: &wire::MembersResponse) -> Option<PdId> {
    members
        .header
        .as_ref()
        .map(|h| h.cluster_id)
        .filter(|id| *id != 0)
        .map(PdId)
}

/// The overview's cluster id and PD part, from whichever of members, health and version PD
/// answered.
pub(crate) fn pd_overview(
    members: Option<&wire::MembersResponse>,
    health: Option<&[wire::MemberHealth]>,
    version: Option<String>,
) -> (Option<PdId>, PdOverview) {
    let pd = PdOverview {
        version: version.filter(|v| !v.is_empty()),
        leader: members.and_then(|m| m.leader.as_ref()).map(|l| MemberRef {
            name: l.name.clone(),
            member_id: PdId(l.member_id),
        }),
        member_count: members.map(|m| m.members.len()),
        healthy_member_count: health.map(|h| h.iter().filter(|m| m.health).count()),
    };
    (members.and_then(cluster_id), pd)
}
