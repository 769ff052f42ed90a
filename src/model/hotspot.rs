use jiff::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

use super::{Meta, PdId};

/// Hot regions of one kind (read or write), grouped by store.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Hotspots {
    /// The cluster's configured name.
    pub cluster: String,
    /// `read` or `write`.
    pub kind: HotspotKind,
    /// One entry per store PD has load statistics for, sorted by store id.
    pub stores: Vec<HotStore>,
    // `stale`, `observed_at` and `warnings`, the answer's last keys.
    #[serde(flatten)]
    pub meta: Meta,
}

/// Which traffic a hotspot list is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HotspotKind {
    Read,
    Write,
}

/// A store's hot regions: those it leads (`as_leader`) and those it has any peer of (`as_peer`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct HotStore {
    /// The store id.
    pub store_id: PdId,
    /// Load and hot regions counting only the regions this store leads; `null` when PD has none.
    pub as_leader: Option<HotLoad>,
    /// Load and hot regions counting every peer on this store; `null` when PD has none.
    pub as_peer: Option<HotLoad>,
}

/// A store's load and its hot regions, as PD's hot-region statistics see them. Rates are per
/// second, averaged by PD over its statistics window.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct HotLoad {
    /// The store's whole load, in bytes per second.
    pub store_bytes_per_second: f64,
    /// The store's whole load, in keys per second.
    pub store_keys_per_second: f64,
    /// The store's whole load, in queries per second.
    pub store_queries_per_second: f64,
    /// The load of the hot regions alone, in bytes per second.
    pub hot_bytes_per_second: f64,
    /// The load of the hot regions alone, in keys per second.
    pub hot_keys_per_second: f64,
    /// The load of the hot regions alone, in queries per second.
    pub hot_queries_per_second: f64,
    /// How many hot regions PD counts on the store.
    pub hot_region_count: u64,
    /// The hot regions, hottest (bytes per second) first.
    pub regions: Vec<HotRegion>,
}

/// One hot region on a store.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct HotRegion {
    /// The region id.
    pub region_id: PdId,
    /// Stores holding the region's peers.
    pub peer_store_ids: Vec<PdId>,
    /// `true` when the peer on this store is the leader.
    pub is_leader: bool,
    /// `true` when the peer on this store is a learner.
    pub is_learner: bool,
    /// How many consecutive statistics rounds the region has been hot (PD's `hot_degree`).
    pub hot_degree: i64,
    /// The region's load, in bytes per second.
    pub bytes_per_second: f64,
    /// The region's load, in keys per second.
    pub keys_per_second: f64,
    /// The region's load, in queries per second.
    pub queries_per_second: f64,
    /// Rounds left before PD stops considering the region hot once it cools (`anti_count`).
    pub anti_count: i64,
    /// When PD last updated the statistic (RFC 3339 UTC), or `null` when PD sent Go's zero time.
    pub last_update_at: Option<Timestamp>,
}
