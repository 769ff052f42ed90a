use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Meta, PdId, StoreMetrics};

/// A TiKV or TiFlash store, as PD sees it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = super::examples::store)]
pub struct Store {
    /// The store id.
    pub id: PdId,
    /// The address TiKV serves gRPC on (`host:port`).
    pub address: String,
    /// The address peers use for Raft messages, or `null` when PD did not report it (before v4).
    pub peer_address: Option<String>,
    /// The HTTP status address (`host:port`); Prometheus scrapes the store here, so it is the
    /// store's `instance` label. `null` when PD did not report it.
    pub status_address: Option<String>,
    /// The store's state, from PD's `state_name`.
    pub state: StoreState,
    /// PD's own `state_name`, unchanged (`Up`, `Disconnected`, ...); the only place a state
    /// newer than this API is visible when `state` is `unknown`.
    pub pd_state_name: String,
    /// The lifecycle state PD v6+ keeps beside `state`, or `null` when PD did not report one
    /// (older PD, or a store still preparing).
    pub node_state: Option<NodeState>,
    /// `tiflash` when the store carries the label `engine=tiflash`, otherwise `tikv`.
    pub engine: StoreEngine,
    /// The store's labels as an object (`{"zone": "z1", "host": "tikv-21"}`).
    pub labels: BTreeMap<String, String>,
    /// The store binary's version (TiKV reports `8.5.1`, TiFlash `v8.5.1`), or `null`.
    pub version: Option<String>,
    /// The git commit the binary was built from, or `null`.
    pub git_hash: Option<String>,
    /// The directory the binary runs from, or `null`.
    pub deploy_path: Option<String>,
    /// `true` when the store was marked physically destroyed (removed for good).
    pub physically_destroyed: bool,
    /// Total disk capacity in bytes. PD prints sizes with 4 significant digits (`"1.747TiB"`),
    /// so this is exact only to about 0.05%. `null` when PD did not report it, or when the store
    /// never sent a heartbeat (PD then prints `0B`, meaning "no statistics").
    pub capacity_bytes: Option<u64>,
    /// Free disk space in bytes, approximate like `capacity_bytes`; `null` as for `capacity_bytes`.
    pub available_bytes: Option<u64>,
    /// Space used by the store's data in bytes, approximate like `capacity_bytes`; `null` as for
    /// `capacity_bytes`, and when PD did not report it (before v4 it was omitted when zero).
    pub used_bytes: Option<u64>,
    /// Regions whose leader is on this store.
    pub leader_count: u64,
    /// The store's leader weight (scheduling configuration; 1 by default).
    pub leader_weight: Option<f64>,
    /// PD's leader balance score (leader count divided by leader weight under the default
    /// policy); unitless.
    pub leader_score: Option<f64>,
    /// Sum of the approximate sizes of the regions this store leads, in bytes. PD sums region
    /// sizes in MiB, each rounded up, so this is a multiple of 1 MiB and an over-estimate.
    pub leader_size_bytes: u64,
    /// Regions with a peer on this store.
    pub region_count: u64,
    /// The store's region weight (scheduling configuration; 1 by default).
    pub region_weight: Option<f64>,
    /// PD's region balance score; unitless, and not comparable across PD versions (the formula
    /// changed in v5).
    pub region_score: Option<f64>,
    /// Sum of the approximate sizes of the regions with a peer here, in bytes, in whole MiB
    /// (PD rounds each region up to 1 MiB).
    pub region_size_bytes: u64,
    /// Learner peers on this store (TiFlash replicas are learners).
    pub learner_count: u64,
    /// Witness peers on this store.
    pub witness_count: u64,
    /// Peers on this store whose Raft log lags behind (PD v8.5+; `0` when not reported).
    pub pending_peer_count: u64,
    /// Snapshots this store is sending now.
    pub sending_snapshot_count: u64,
    /// Snapshots this store is receiving now.
    pub receiving_snapshot_count: u64,
    /// `true` when the store reported itself busy.
    pub is_busy: bool,
    /// PD's slow-store score: 1 is healthy, up to 100 is slow; `null` when PD did not report one.
    pub slow_score: Option<f64>,
    /// When the store process started (RFC 3339 UTC), or `null` when unknown.
    pub started_at: Option<Timestamp>,
    /// When PD last received a heartbeat from the store (RFC 3339 UTC), or `null` when the store
    /// never sent one (PD prints the Unix epoch for that).
    pub last_heartbeat_at: Option<Timestamp>,
    /// Seconds from the store's start to its last heartbeat, or `null` when the store has not
    /// heartbeated since it started.
    pub uptime_seconds: Option<f64>,
    /// The store's current metrics from Prometheus with `include=metrics`; otherwise `null`,
    /// and `null` too when Prometheus could not be read (a warning then says why).
    pub metrics: Option<StoreMetrics>,
}

/// A store state: PD's `state_name`, lowercased.
///
/// `up`: serving; `offline`: being removed, its regions moving away; `tombstone`: removed;
/// `disconnected`: no heartbeat for more than 20 s; `down`: no heartbeat for longer than PD's
/// `max-store-down-time` (30 min by default), or never; `unknown`: a state newer than this API
/// (see `pd_state_name`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum StoreState {
    Up,
    Offline,
    Tombstone,
    Disconnected,
    Down,
    Unknown,
}

impl StoreState {
    /// Every state, in the order the API lists them.
    pub const ALL: [StoreState; 6] = [
        StoreState::Up,
        StoreState::Offline,
        StoreState::Tombstone,
        StoreState::Disconnected,
        StoreState::Down,
        StoreState::Unknown,
    ];

    /// The name used in JSON and in `?state=`.
    pub fn as_str(self) -> &'static str {
        match self {
            StoreState::Up => "up",
            StoreState::Offline => "offline",
            StoreState::Tombstone => "tombstone",
            StoreState::Disconnected => "disconnected",
            StoreState::Down => "down",
            StoreState::Unknown => "unknown",
        }
    }

    /// Parses a name as `?state=` accepts it (case-insensitive).
    pub fn from_name(name: &str) -> Option<StoreState> {
        StoreState::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(name))
    }
}

/// PD's `node_state` (v6+): where the store is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NodeState {
    Preparing,
    Serving,
    Removing,
    Removed,
    Unknown,
}

/// The storage engine of a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StoreEngine {
    /// A TiKV store (row storage).
    Tikv,
    /// A TiFlash store (columnar replicas, label `engine=tiflash`).
    Tiflash,
}

/// The stores of a cluster.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StoreList {
    /// The cluster's configured name.
    pub cluster: String,
    /// How many stores are in `stores`.
    pub count: usize,
    /// The stores, sorted by id.
    pub stores: Vec<Store>,
    // `stale`, `observed_at` and `warnings`, the answer's last keys.
    #[serde(flatten)]
    pub meta: Meta,
}

/// One store of a cluster.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StoreDetail {
    /// The cluster's configured name.
    pub cluster: String,
    /// The store.
    pub store: Store,
    // `stale`, `observed_at` and `warnings`, the answer's last keys.
    #[serde(flatten)]
    pub meta: Meta,
}
