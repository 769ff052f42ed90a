use serde::Serialize;
use utoipa::ToSchema;

use super::{DecodedKey, Meta, PdId};

/// A region: a contiguous range of keys, replicated as peers on several stores.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = super::examples::region)]
pub struct Region {
    /// The region id.
    pub id: PdId,
    /// The first key of the region, uppercase hex of the key as TiKV stores it
    /// (memcomparable-encoded for TiDB); `""` is the start of the key space.
    pub start_key: String,
    /// The key after the region's last key, uppercase hex; `""` is the end of the key space.
    pub end_key: String,
    /// What `start_key` means to TiDB (table, row handle or index), or `null` when it has no
    /// TiDB meaning (an open end, a raw-KV key).
    pub start_key_decoded: Option<DecodedKey>,
    /// What `end_key` means to TiDB, or `null`.
    pub end_key_decoded: Option<DecodedKey>,
    /// The region's epoch: it changes when the region splits, merges or changes peers.
    pub epoch: RegionEpoch,
    /// The region's peers, in the order TiKV reported them.
    pub peers: Vec<Peer>,
    /// The leader peer, or `null` when the region has none (PD then sends an empty leader).
    pub leader: Option<Peer>,
    /// Peers that stopped responding, with how long ago.
    pub down_peers: Vec<DownPeer>,
    /// Peers whose Raft log lags behind the leader's.
    pub pending_peers: Vec<Peer>,
    /// Approximate size of the region's data in bytes. PD keeps it in whole MiB, rounded up (a
    /// non-empty region under 1 MiB counts as 1 MiB), so this is a multiple of 1,048,576 and an
    /// over-estimate by up to 1 MiB.
    pub approximate_size_bytes: u64,
    /// Approximate number of keys in the region.
    pub approximate_keys: u64,
    /// Bytes written to the region during TiKV's last region heartbeat interval (60 s by
    /// default), as PD reports it.
    pub written_bytes: u64,
    /// Bytes read from the region during the last heartbeat interval.
    pub read_bytes: u64,
    /// Keys written during the last heartbeat interval.
    pub written_keys: u64,
    /// Keys read during the last heartbeat interval.
    pub read_keys: u64,
    /// PD's `cpu_usage` of the region's leader, unchanged (PD v6.5+; `0` before): the CPU time
    /// TiKV measured for the region per second of the heartbeat interval.
    pub cpu_usage: u64,
}

/// A region's epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct RegionEpoch {
    /// Incremented on every membership (peer) change.
    pub conf_ver: u64,
    /// Incremented on every split or merge.
    pub version: u64,
}

/// A replica of a region on one store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Peer {
    /// The peer id.
    pub id: PdId,
    /// The store holding the peer.
    pub store_id: PdId,
    /// The peer's Raft role.
    pub role: PeerRole,
    /// PD's own role name when `role` is `unknown` (a role newer than this API); otherwise `null`.
    pub unknown_role_name: Option<String>,
    /// `true` for a witness: a voter that keeps the Raft log but not the data.
    pub is_witness: bool,
}

/// A peer's Raft role. `voter`: votes and can lead; `learner`: replicates without voting (TiFlash
/// replicas, peers being added); `incoming_voter` and `demoting_voter`: the two sides of a joint
/// consensus membership change; `unknown`: a role newer than this API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PeerRole {
    Voter,
    Learner,
    IncomingVoter,
    DemotingVoter,
    Unknown,
}

/// A peer that stopped responding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DownPeer {
    /// The peer.
    pub peer: Peer,
    /// How long the peer has been down, in seconds, as the leader reported it.
    pub down_seconds: u64,
}

/// One page of regions in key order.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = super::examples::region_page)]
pub struct RegionPage {
    /// The cluster's configured name.
    pub cluster: String,
    /// How many regions are in `regions`.
    pub count: usize,
    /// The regions, in key order.
    pub regions: Vec<Region>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
    // `stale`, `observed_at` and `warnings`, the answer's last keys.
    #[serde(flatten)]
    pub meta: Meta,
}

/// One region of a cluster.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RegionDetail {
    /// The cluster's configured name.
    pub cluster: String,
    /// The region.
    pub region: Region,
    // `stale`, `observed_at` and `warnings`, the answer's last keys.
    #[serde(flatten)]
    pub meta: Meta,
}

/// Counts of unhealthy regions by kind, as PD's region checker classifies them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = super::examples::region_health_counts)]
pub struct RegionHealthCounts {
    /// Regions with fewer peers than the configured replica count. `null` when unknown.
    pub miss_peer: Option<u64>,
    /// Regions with more peers than the configured replica count.
    pub extra_peer: Option<u64>,
    /// Regions with a peer that stopped responding.
    pub down_peer: Option<u64>,
    /// Regions with a peer whose Raft log lags behind.
    pub pending_peer: Option<u64>,
    /// Regions with a peer on an offline (being removed) store.
    pub offline_peer: Option<u64>,
    /// Regions with a learner peer (TiFlash replicas are learners, so this is normal with TiFlash).
    pub learner_peer: Option<u64>,
    /// Empty regions (candidates for merging).
    pub empty: Option<u64>,
    /// Regions larger than the split size or key count.
    pub oversized: Option<u64>,
    /// Regions smaller than the merge size and key count.
    pub undersized: Option<u64>,
}

/// Region health of a cluster.
///
/// Region health is cached for 30 s per cluster (`observed_at` says when it was read): PD answers
/// each check with the list of regions, which is large in a big cluster, so dashboards refreshing
/// every few seconds share one read. A count that could not be read is `null` with a warning.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RegionHealth {
    /// The cluster's configured name.
    pub cluster: String,
    /// The counts; a count PD could not give is `null` with a warning.
    pub counts: RegionHealthCounts,
    // `stale`, `observed_at` and `warnings`, the answer's last keys.
    #[serde(flatten)]
    pub meta: Meta,
}
