//! Raw PD response bodies, as PD v4 to v9 send them.
//!
//! Every field PD marks `omitempty` has a default; unknown fields are ignored; Go nil slices
//! (`null`) read as empty. Ids are `u64`: member ids are random 64-bit values, often above 2^63.
//! Values stay in PD's own formats here (`"1.747TiB"`, `"169h50m10.79s"`, state names);
//! `crate::normalize` turns them into meanings.

use serde::{Deserialize, Deserializer};

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
