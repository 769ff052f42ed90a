use serde::Serialize;
use utoipa::ToSchema;

use super::{Meta, PdId};

/// PD's scheduling configuration (`pd-ctl config show schedule`), normalized: durations in
/// seconds, PD's string booleans as booleans, sizes in bytes. A setting the PD version does not
/// have is `null`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScheduleConfigAnswer {
    /// The cluster's configured name.
    pub cluster: String,
    /// The settings.
    pub schedule: ScheduleConfig,
    /// Each store's limits on peer changes per minute (PD's `/stores/limit`), sorted by store id;
    /// `null` when PD does not give them (PD with `store-limit-version` v2 refuses; a warning
    /// says why).
    pub store_limits: Option<Vec<StoreLimit>>,
    // `stale`, `observed_at` and `warnings`, the answer's last keys.
    #[serde(flatten)]
    pub meta: Meta,
}

/// The scheduling settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct ScheduleConfig {
    /// Snapshots a store may send or receive at once (`max-snapshot-count`).
    pub max_snapshot_count: Option<u64>,
    /// Pending peers a store may have before PD stops adding peers to it.
    pub max_pending_peer_count: Option<u64>,
    /// Regions up to this size are merged with a neighbour, in bytes (PD: MiB).
    pub max_merge_region_size_bytes: Option<u64>,
    /// Regions up to this many keys are merged with a neighbour.
    pub max_merge_region_keys: Option<u64>,
    /// Seconds after a split before the new regions may merge again.
    pub split_merge_interval_seconds: Option<f64>,
    /// Seconds between witness switches of a region.
    pub switch_witness_interval_seconds: Option<f64>,
    /// Whether a region may only merge into the next one.
    pub enable_one_way_merge: Option<bool>,
    /// Whether regions of different TiDB tables may merge.
    pub enable_cross_table_merge: Option<bool>,
    /// Seconds between two regions of the checkers' patrol.
    pub patrol_region_interval_seconds: Option<f64>,
    /// Seconds without a heartbeat after which a store is `down` and its replicas are replaced.
    pub max_store_down_time_seconds: Option<f64>,
    /// Seconds a new store may stay `preparing` before it serves anyway.
    pub max_store_preparing_time_seconds: Option<f64>,
    /// Leader transfers PD runs at once.
    pub leader_schedule_limit: Option<u64>,
    /// What balance-leader balances: `count` or `size` (PD's value, unchanged).
    pub leader_schedule_policy: Option<String>,
    /// Region moves PD runs at once.
    pub region_schedule_limit: Option<u64>,
    /// Witness changes PD runs at once.
    pub witness_schedule_limit: Option<u64>,
    /// Replica repairs (missing, down, offline replicas) PD runs at once.
    pub replica_schedule_limit: Option<u64>,
    /// Merges PD runs at once.
    pub merge_schedule_limit: Option<u64>,
    /// Hot-region moves PD runs at once.
    pub hot_region_schedule_limit: Option<u64>,
    /// Heartbeats in a row a region must be hot in before it counts as hot.
    pub hot_region_cache_hits_threshold: Option<u64>,
    /// Peer changes a store may take per minute (deprecated; the store limits decide).
    pub store_balance_rate: Option<f64>,
    /// How close two stores' scores may be before PD balances them (0: automatic).
    pub tolerant_size_ratio: Option<f64>,
    /// Above this fraction of its disk used, a store receives no new regions.
    pub low_space_ratio: Option<f64>,
    /// Below this fraction of its disk used, a store's score counts size only.
    pub high_space_ratio: Option<f64>,
    /// The region score formula (`v1`, `v2`; PD's value, unchanged).
    pub region_score_formula_version: Option<String>,
    /// Operators a scheduler may have waiting.
    pub scheduler_max_waiting_operator: Option<u64>,
    /// Whether PD replaces replicas on down stores.
    pub enable_remove_down_replica: Option<bool>,
    /// Whether PD replaces replicas on offline (being removed) stores; when `false` a scale-in
    /// never finishes.
    pub enable_replace_offline_replica: Option<bool>,
    /// Whether PD adds replicas to regions that miss some.
    pub enable_make_up_replica: Option<bool>,
    /// Whether PD removes replicas beyond the configured count.
    pub enable_remove_extra_replica: Option<bool>,
    /// Whether PD moves replicas to better locations (location labels).
    pub enable_location_replacement: Option<bool>,
    /// Whether PD exports its debug metrics.
    pub enable_debug_metrics: Option<bool>,
    /// Whether peer changes use joint consensus.
    pub enable_joint_consensus: Option<bool>,
    /// Whether TiKV splits regions itself (by size or load).
    pub enable_tikv_split_region: Option<bool>,
    /// Whether PD exports heartbeat breakdown metrics.
    pub enable_heartbeat_breakdown_metrics: Option<bool>,
    /// Whether PD handles region heartbeats concurrently.
    pub enable_heartbeat_concurrent_runner: Option<bool>,
    /// Seconds between writes of hot-region history.
    pub hot_regions_write_interval_seconds: Option<f64>,
    /// Days hot-region history is kept.
    pub hot_regions_reserved_days: Option<u64>,
    /// Largest hot peer moved by the hot-region scheduler, in bytes (PD: MiB).
    pub max_movable_hot_peer_size_bytes: Option<u64>,
    /// Whether PD records scheduling diagnostics.
    pub enable_diagnostic: Option<bool>,
    /// Whether witnesses may be scheduled.
    pub enable_witness: Option<bool>,
    /// Fraction of stores a slow store may affect before PD evicts it.
    pub slow_store_evicting_affected_store_ratio_threshold: Option<f64>,
    /// The store limit algorithm (`v1`, `v2`; PD's value, unchanged).
    pub store_limit_version: Option<String>,
    /// When `true`, PD schedules nothing at all. `null` when PD did not print it: PD omits it
    /// when false (`omitempty`), and before v7.2 has no such setting.
    pub halt_scheduling: Option<bool>,
    /// Workers patrolling regions.
    pub patrol_region_worker_count: Option<u64>,
}

/// A store's peer-change limits.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StoreLimit {
    /// The store id.
    pub store_id: PdId,
    /// Peers PD may add to the store per minute; 0 stops every move onto it.
    pub add_peer_per_minute: f64,
    /// Peers PD may remove from the store per minute; 0 stops every move off it (a scale-in
    /// never finishes).
    pub remove_peer_per_minute: f64,
}
