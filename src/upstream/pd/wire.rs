//! Raw PD response bodies, as PD v4 to v9 send them.
//!
//! Every field PD marks `omitempty` has a default; unknown fields are ignored; Go nil slices
//! (`null`) read as empty. Ids are `u64`: member ids are random 64-bit values, often above 2^63.
//! Values stay in PD's own formats here (`"1.747TiB"`, `"169h50m10.79s"`, state names);
//! `crate::normalize` turns them into meanings.

use serde::{Deserialize, Deserializer};

mod scheduling;

pub(crate) use scheduling::*;

/// Reads `null` as the type's default, as Go writes a nil slice or map.
fn null_as_default<'de, D, T>(de: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(de)?.unwrap_or_default())
}

/// `GET /pd/api/v1/stores`: `{"count": N, "stores": [...]}`.
#[derive(Debug, Deserialize)]
pub(crate) struct StoresResponse {
    #[serde(default, deserialize_with = "null_as_default")]
    pub stores: Vec<StoreInfo>,
}

/// One store as `/stores` and `/store/{id}` return it.
#[derive(Debug, Deserialize)]
pub(crate) struct StoreInfo {
    pub store: MetaStore,
    /// Always present from v4; defaulted so a store without stats still reads.
    #[serde(default)]
    pub status: StoreStatus,
}

/// `metapb.Store` plus PD's `state_name`.
#[derive(Debug, Deserialize)]
pub(crate) struct MetaStore {
    pub id: u64,
    #[serde(default)]
    pub address: String,
    /// `metapb.StoreState`: Up=0 (omitted), Offline=1, Tombstone=2.
    #[serde(default)]
    pub state: i64,
    #[serde(default, deserialize_with = "null_as_default")]
    pub labels: Vec<StoreLabel>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub peer_address: Option<String>,
    #[serde(default)]
    pub status_address: Option<String>,
    #[serde(default)]
    pub git_hash: Option<String>,
    /// Unix seconds; omitted when 0.
    #[serde(default)]
    pub start_timestamp: i64,
    #[serde(default)]
    pub deploy_path: Option<String>,
    /// Unix nanoseconds; omitted when the store never heartbeated.
    #[serde(default)]
    pub last_heartbeat: i64,
    #[serde(default)]
    pub physically_destroyed: bool,
    /// `metapb.NodeState`: Preparing=0 (omitted), Serving=1, Removing=2, Removed=3 (v6.0+).
    #[serde(default)]
    pub node_state: Option<i64>,
    /// `Up`, `Offline`, `Tombstone`, or PD's overrides `Disconnected` and `Down`.
    #[serde(default)]
    pub state_name: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct StoreLabel {
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub value: String,
}

/// PD's `StoreStatus`: sizes as ByteSize strings, uptime as a Go duration string.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct StoreStatus {
    pub capacity: Option<String>,
    pub available: Option<String>,
    /// Omitted by v3.1 when zero; absent from the v3.0 sample.
    pub used_size: Option<String>,
    #[serde(default)]
    pub leader_count: u64,
    pub leader_weight: Option<f64>,
    pub leader_score: Option<f64>,
    /// Sum of region `approximate_size`, in MiB.
    #[serde(default)]
    pub leader_size: u64,
    #[serde(default)]
    pub region_count: u64,
    pub region_weight: Option<f64>,
    pub region_score: Option<f64>,
    /// Sum of region `approximate_size`, in MiB.
    #[serde(default)]
    pub region_size: u64,
    #[serde(default)]
    pub learner_count: u64,
    #[serde(default)]
    pub witness_count: u64,
    #[serde(default)]
    pub pending_peer_count: u64,
    /// Omitted when 0 from v7.1; absent before v5.3.
    pub slow_score: Option<f64>,
    #[serde(default)]
    pub sending_snap_count: u64,
    #[serde(default)]
    pub receiving_snap_count: u64,
    #[serde(default)]
    pub is_busy: bool,
    pub start_ts: Option<String>,
    pub last_heartbeat_ts: Option<String>,
    /// Omitted when uptime <= 0.
    pub uptime: Option<String>,
}

/// `GET /pd/api/v1/members`: `pdpb.GetMembersResponse`.
#[derive(Debug, Deserialize)]
pub(crate) struct MembersResponse {
    #[serde(default)]
    pub header: Option<ResponseHeader>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub members: Vec<Member>,
    /// Omitted when no leader is elected.
    #[serde(default)]
    pub leader: Option<Member>,
    #[serde(default)]
    pub etcd_leader: Option<Member>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ResponseHeader {
    #[serde(default)]
    pub cluster_id: u64,
}

/// `pdpb.Member`; every field is omitempty.
#[derive(Debug, Deserialize)]
pub(crate) struct Member {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub member_id: u64,
    #[serde(default, deserialize_with = "null_as_default")]
    pub peer_urls: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub client_urls: Vec<String>,
    #[serde(default)]
    pub leader_priority: i64,
    #[serde(default)]
    pub deploy_path: Option<String>,
    #[serde(default)]
    pub binary_version: Option<String>,
    #[serde(default)]
    pub git_hash: Option<String>,
}

/// One entry of `GET /pd/api/v1/health`.
#[derive(Debug, Deserialize)]
pub(crate) struct MemberHealth {
    #[serde(default)]
    pub member_id: u64,
    #[serde(default)]
    pub health: bool,
}

/// `GET /pd/api/v1/status`.
#[derive(Debug, Deserialize)]
pub(crate) struct PdStatus {
    #[serde(default)]
    pub version: Option<String>,
}

/// `GET /pd/api/v1/regions/count`: `{"count": N, "regions": null}`.
#[derive(Debug, Deserialize)]
pub(crate) struct RegionCount {
    pub count: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_store_reads() {
        // The v3.0 shape: no status_address, no used_size, no node_state.
        let s: StoreInfo = serde_json::from_str(
            r#"{"store":{"id":1,"address":"a:20160","version":"3.0.0-beta","state_name":"Up"},
                "status":{"capacity":"20 GiB","available":"16 GiB","leader_count":17}}"#,
        )
        .unwrap();
        assert_eq!(s.store.id, 1);
        assert_eq!(s.store.state, 0);
        assert!(s.status.used_size.is_none());
        assert!(s.store.labels.is_empty());
    }

    #[test]
    fn ids_above_2_pow_63_read() {
        let m: MembersResponse = serde_json::from_str(
            r#"{"header":{"cluster_id":7452180154224557728},"members":[{"name":"a","member_id":12818309996638325969}],"leader":null,"future_field":{"x":1}}"#,
        )
        .unwrap();
        assert_eq!(m.members[0].member_id, 12818309996638325969);
        assert!(m.leader.is_none());
    }

    #[test]
    fn null_lists_read_as_empty() {
        let r: StoresResponse = serde_json::from_str(r#"{"count":0,"stores":null}"#).unwrap();
        assert!(r.stores.is_empty());
        let m: Member = serde_json::from_str(r#"{"name":"a","peer_urls":null}"#).unwrap();
        assert!(m.peer_urls.is_empty());
    }
}

/// A region as PD's region endpoints send it: easyjson (v7.3+, `role_name` first, compact) or
/// encoding/json (v5.1–v7.2); key order does not matter here. PD v8.0–v8.5 answer a missing
/// region with an all-zero object (`id` 0), v4.0–v7.2 with `null`.
#[derive(Debug, Deserialize)]
pub(crate) struct RegionInfo {
    #[serde(default)]
    pub id: u64,
    /// Uppercase hex of the raw start key; `""` is the start of the key space.
    #[serde(default)]
    pub start_key: String,
    /// Uppercase hex of the raw end key; `""` is the end of the key space.
    #[serde(default)]
    pub end_key: String,
    #[serde(default)]
    pub epoch: Option<RegionEpoch>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub peers: Vec<MetaPeer>,
    /// Always present from v5.1 (`{"role_name":""}` when there is no leader); omitted before.
    #[serde(default)]
    pub leader: Option<MetaPeer>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub down_peers: Vec<DownPeer>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub pending_peers: Vec<MetaPeer>,
    /// v6.5+.
    #[serde(default)]
    pub cpu_usage: u64,
    #[serde(default)]
    pub written_bytes: u64,
    #[serde(default)]
    pub read_bytes: u64,
    #[serde(default)]
    pub written_keys: u64,
    #[serde(default)]
    pub read_keys: u64,
    /// MiB, rounded up (1 for a non-empty region under 1 MiB).
    #[serde(default)]
    pub approximate_size: i64,
    #[serde(default)]
    pub approximate_keys: i64,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RegionEpoch {
    #[serde(default)]
    pub conf_ver: u64,
    #[serde(default)]
    pub version: u64,
}

/// `MetaPeer` (v5.1+) or the older `metapb.Peer` (no `role_name`; `is_learner` before v5.0).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct MetaPeer {
    #[serde(default)]
    pub id: u64,
    #[serde(default)]
    pub store_id: u64,
    /// `metapb.PeerRole`: Voter=0 (omitted), Learner=1, IncomingVoter=2, DemotingVoter=3.
    #[serde(default)]
    pub role: i64,
    #[serde(default)]
    pub role_name: Option<String>,
    #[serde(default)]
    pub is_learner: bool,
    #[serde(default)]
    pub is_witness: bool,
}

#[derive(Debug, Deserialize)]
pub(crate) struct DownPeer {
    #[serde(default)]
    pub peer: MetaPeer,
    #[serde(default)]
    pub down_seconds: u64,
}

/// `GET /pd/api/v1/regions/check/{kind}`: only the count is read; the regions are skipped.
#[derive(Debug, Deserialize)]
pub(crate) struct RegionCheck {
    #[serde(default)]
    pub count: u64,
}

/// `GET /pd/api/v1/hotspot/regions/{read,write}`: hot peers by store id (map keys are decimal
/// strings). A store filtered out by `?store_id=` shows as `null`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct HotRegions {
    #[serde(default, deserialize_with = "null_as_default")]
    pub as_peer: std::collections::BTreeMap<String, Option<HotPeersStat>>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub as_leader: std::collections::BTreeMap<String, Option<HotPeersStat>>,
}

/// One store's hot peers. Rates are per second (bytes, keys, queries).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct HotPeersStat {
    #[serde(default)]
    pub store_bytes: f64,
    #[serde(default)]
    pub store_keys: f64,
    #[serde(default)]
    pub store_query: f64,
    #[serde(default)]
    pub total_flow_bytes: f64,
    #[serde(default)]
    pub total_flow_keys: f64,
    #[serde(default)]
    pub total_flow_query: f64,
    #[serde(default)]
    pub regions_count: u64,
    #[serde(default, deserialize_with = "null_as_default")]
    pub statistics: Vec<HotPeerStat>,
}

/// One hot peer.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct HotPeerStat {
    #[serde(default, deserialize_with = "null_as_default")]
    pub stores: Vec<u64>,
    #[serde(default)]
    pub is_leader: bool,
    #[serde(default)]
    pub is_learner: bool,
    #[serde(default)]
    pub region_id: u64,
    #[serde(default)]
    pub hot_degree: i64,
    #[serde(default)]
    pub flow_bytes: f64,
    #[serde(default)]
    pub flow_keys: f64,
    #[serde(default)]
    pub flow_query: f64,
    #[serde(default)]
    pub anti_count: i64,
    #[serde(default)]
    pub last_update_time: Option<String>,
}
