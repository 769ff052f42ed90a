use serde::Serialize;
use utoipa::ToSchema;

use super::{Meta, PdId};

/// A PD member.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = super::examples::member)]
pub struct Member {
    /// The member's name (`pd-10.0.1.11-2379` under TiUP).
    pub name: String,
    /// The member id; often above 2^63.
    pub member_id: PdId,
    /// URLs the member serves clients (and tikv-lens) on.
    pub client_urls: Vec<String>,
    /// URLs the member talks to other PD members on.
    pub peer_urls: Vec<String>,
    /// `true` for the PD leader, which runs scheduling and answers every PD API call.
    pub is_leader: bool,
    /// `true` for the leader of PD's embedded etcd (normally the PD leader too).
    pub is_etcd_leader: bool,
    /// Whether PD's `/health` reports the member healthy; `null` when health could not be read
    /// (see `warnings`) or PD did not list the member.
    pub healthy: Option<bool>,
    /// The member's priority in leader elections (0 unless configured).
    pub leader_priority: i64,
    /// The PD binary's version (`v8.5.1`), or `null` when not reported.
    pub binary_version: Option<String>,
    /// The git commit the binary was built from, or `null`.
    pub git_hash: Option<String>,
    /// The directory the binary runs from, or `null`.
    pub deploy_path: Option<String>,
}

/// A reference to a PD member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MemberRef {
    /// The member's name.
    pub name: String,
    /// The member id.
    pub member_id: PdId,
}

/// The PD members of a cluster. When member health could not be read, the members are still
/// listed, with `healthy: null` and a warning.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberList {
    /// The cluster's configured name.
    pub cluster: String,
    /// The TiKV cluster id PD reports, or `null` when PD did not send it.
    pub cluster_id: Option<PdId>,
    /// The PD leader, or `null` while no leader is elected.
    pub leader: Option<MemberRef>,
    /// The etcd leader, or `null` when not reported.
    pub etcd_leader: Option<MemberRef>,
    /// How many members are in `members`.
    pub count: usize,
    /// The members, in PD's order (by member id).
    pub members: Vec<Member>,
    // `stale`, `observed_at` and `warnings`, the answer's last keys.
    #[serde(flatten)]
    pub meta: Meta,
}
