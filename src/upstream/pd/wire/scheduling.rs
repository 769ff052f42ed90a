//! PD's scheduling, configuration, GC and resolved-ts bodies, as PD v4 to v9 send them.
//!
//! Values stay in PD's formats here: string booleans (`"false"`), comma-joined label lists,
//! Go durations, TSOs as u64, int64-max expiries; `crate::normalize` decides what they mean.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

use super::null_as_default;

/// `GET /schedulers` (and `?status=paused|disabled`): scheduler names. PD v6.5 writes `null` for
/// an empty paused or disabled list (a nil slice), v8 `[]`.
#[derive(Debug, Default, Deserialize)]
#[serde(transparent)]
pub(crate) struct SchedulerNames(#[serde(deserialize_with = "null_as_default")] pub Vec<String>);

/// `GET /schedulers?status=paused&timestamp=true`: one entry per paused scheduler, its times in
/// PD's local zone (`time.Unix(s, 0)`, RFC 3339).
#[derive(Debug, Default, Deserialize)]
#[serde(transparent)]
pub(crate) struct PausedSchedulers(
    #[serde(deserialize_with = "null_as_default")] pub Vec<PausedScheduler>,
);

#[derive(Debug, Deserialize)]
pub(crate) struct PausedScheduler {
    pub name: String,
    #[serde(default)]
    pub paused_at: Option<String>,
    #[serde(default)]
    pub resume_at: Option<String>,
}

/// `GET /scheduler-config/{name}/list` of the store-holding schedulers: `evict-leader` and
/// `grant-leader` (`store-id-ranges`, plus `batch` for evict-leader from v7.2), `evict-slow-store`
/// (`evict-stores`, `recovery-duration` from v7.5; v8's list leaves the evicted stores `null`).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct SchedulerConfigList {
    /// Store ids (decimal-string map keys) to the key ranges held for them.
    #[serde(default, rename = "store-id-ranges")]
    pub store_id_ranges: Option<BTreeMap<String, serde::de::IgnoredAny>>,
    #[serde(default)]
    pub batch: Option<u64>,
    #[serde(default, rename = "evict-stores")]
    pub evict_stores: Option<Vec<u64>>,
    /// Seconds.
    #[serde(default, rename = "recovery-duration")]
    pub recovery_duration: Option<u64>,
}

/// `GET /operators`: each operator as PD's `Operator.String()` text.
#[derive(Debug, Default, Deserialize)]
#[serde(transparent)]
pub(crate) struct OperatorTexts(#[serde(deserialize_with = "null_as_default")] pub Vec<String>);

/// `GET /stores/progress?id=` (PD v6.1+).
#[derive(Debug, Deserialize)]
pub(crate) struct StoreProgress {
    /// `removing` or `preparing`.
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub progress: f64,
    /// MiB of region size per second.
    #[serde(default)]
    pub current_speed: f64,
    /// `math.MaxFloat64` when nothing moves.
    #[serde(default)]
    pub left_seconds: f64,
}

/// `GET /config/replicate`.
#[derive(Debug, Deserialize)]
pub(crate) struct ReplicationConfig {
    #[serde(rename = "max-replicas")]
    pub max_replicas: u64,
    /// `typeutil.StringSlice`: comma-joined.
    #[serde(default, rename = "location-labels")]
    pub location_labels: String,
    #[serde(default, rename = "strictly-match-label")]
    pub strictly_match_label: Option<StringBool>,
    #[serde(default, rename = "enable-placement-rules")]
    pub enable_placement_rules: Option<StringBool>,
    #[serde(default, rename = "isolation-level")]
    pub isolation_level: String,
}

/// A boolean Go wrote with `,string` (`"true"`); a plain JSON boolean is taken too.
#[derive(Debug, Clone)]
pub(crate) struct StringBool(pub String);

impl<'de> Deserialize<'de> for StringBool {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Text(String),
            Bool(bool),
        }
        Ok(match Either::deserialize(de)? {
            Either::Text(text) => StringBool(text),
            Either::Bool(value) => StringBool(value.to_string()),
        })
    }
}

/// `GET /config/placement-rule`: rule groups with their rules.
#[derive(Debug, Default, Deserialize)]
#[serde(transparent)]
pub(crate) struct RuleBundles(#[serde(deserialize_with = "null_as_default")] pub Vec<RuleBundle>);

#[derive(Debug, Deserialize)]
pub(crate) struct RuleBundle {
    #[serde(default)]
    pub group_id: String,
    #[serde(default)]
    pub group_index: i64,
    #[serde(default)]
    pub group_override: bool,
    #[serde(default, deserialize_with = "null_as_default")]
    pub rules: Vec<PlacementRule>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PlacementRule {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub index: i64,
    #[serde(default)]
    pub r#override: bool,
    #[serde(default)]
    pub start_key: String,
    #[serde(default)]
    pub end_key: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub is_witness: bool,
    #[serde(default)]
    pub count: u64,
    #[serde(default, deserialize_with = "null_as_default")]
    pub label_constraints: Vec<LabelConstraint>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub location_labels: Vec<String>,
    #[serde(default)]
    pub isolation_level: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct LabelConstraint {
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub op: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub values: Vec<String>,
}

/// `GET /config/schedule`. Every field is optional: the set changed in every release.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct ScheduleConfig {
    pub max_snapshot_count: Option<u64>,
    pub max_pending_peer_count: Option<u64>,
    /// MiB.
    pub max_merge_region_size: Option<u64>,
    pub max_merge_region_keys: Option<u64>,
    pub split_merge_interval: Option<String>,
    /// PD v6.5 spells it `swtich-witness-interval`.
    #[serde(alias = "swtich-witness-interval")]
    pub switch_witness_interval: Option<String>,
    pub enable_one_way_merge: Option<StringBool>,
    pub enable_cross_table_merge: Option<StringBool>,
    pub patrol_region_interval: Option<String>,
    pub max_store_down_time: Option<String>,
    pub max_store_preparing_time: Option<String>,
    pub leader_schedule_limit: Option<u64>,
    pub leader_schedule_policy: Option<String>,
    pub region_schedule_limit: Option<u64>,
    pub witness_schedule_limit: Option<u64>,
    pub replica_schedule_limit: Option<u64>,
    pub merge_schedule_limit: Option<u64>,
    pub hot_region_schedule_limit: Option<u64>,
    pub hot_region_cache_hits_threshold: Option<u64>,
    pub store_balance_rate: Option<f64>,
    pub tolerant_size_ratio: Option<f64>,
    pub low_space_ratio: Option<f64>,
    pub high_space_ratio: Option<f64>,
    pub region_score_formula_version: Option<String>,
    pub scheduler_max_waiting_operator: Option<u64>,
    pub enable_remove_down_replica: Option<StringBool>,
    pub enable_replace_offline_replica: Option<StringBool>,
    pub enable_make_up_replica: Option<StringBool>,
    pub enable_remove_extra_replica: Option<StringBool>,
    pub enable_location_replacement: Option<StringBool>,
    pub enable_debug_metrics: Option<StringBool>,
    pub enable_joint_consensus: Option<StringBool>,
    pub enable_tikv_split_region: Option<StringBool>,
    pub enable_heartbeat_breakdown_metrics: Option<StringBool>,
    pub enable_heartbeat_concurrent_runner: Option<StringBool>,
    pub hot_regions_write_interval: Option<String>,
    pub hot_regions_reserved_days: Option<u64>,
    /// MiB.
    pub max_movable_hot_peer_size: Option<i64>,
    pub enable_diagnostic: Option<StringBool>,
    pub enable_witness: Option<StringBool>,
    pub slow_store_evicting_affected_store_ratio_threshold: Option<f64>,
    pub store_limit_version: Option<String>,
    pub halt_scheduling: Option<StringBool>,
    pub patrol_region_worker_count: Option<u64>,
}

/// `GET /stores/limit`: store id (decimal-string key) to its limits, peers per minute.
#[derive(Debug, Default, Deserialize)]
#[serde(transparent)]
pub(crate) struct StoreLimits(
    #[serde(deserialize_with = "null_as_default")] pub BTreeMap<String, StoreLimitConfig>,
);

#[derive(Debug, Deserialize)]
pub(crate) struct StoreLimitConfig {
    #[serde(default, rename = "add-peer")]
    pub add_peer: f64,
    #[serde(default, rename = "remove-peer")]
    pub remove_peer: f64,
}

/// `GET /checker/{name}`: `{"paused": bool}`.
#[derive(Debug, Deserialize)]
pub(crate) struct CheckerStatus {
    #[serde(default)]
    pub paused: bool,
}

/// `GET /gc/safepoint` (PD v5.0+; `min_service_gc_safe_point` from v7.x, omitted when 0).
#[derive(Debug, Deserialize)]
pub(crate) struct GcSafePoints {
    #[serde(default, deserialize_with = "null_as_default")]
    pub service_gc_safe_points: Vec<ServiceSafePoint>,
    #[serde(default)]
    pub min_service_gc_safe_point: Option<u64>,
    #[serde(default)]
    pub gc_safe_point: u64,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ServiceSafePoint {
    #[serde(default)]
    pub service_id: String,
    /// Unix seconds; `i64::MAX` for never.
    #[serde(default)]
    pub expired_at: i64,
    #[serde(default)]
    pub safe_point: u64,
}

/// `GET /min-resolved-ts` (PD v6.0+; `stores_min_resolved_ts` with `?scope=` from v7.1).
#[derive(Debug, Deserialize)]
pub(crate) struct MinResolvedTs {
    #[serde(default)]
    pub is_real_time: bool,
    #[serde(default)]
    pub min_resolved_ts: u64,
    /// A Go duration (`"1s"`).
    #[serde(default)]
    pub persist_interval: Option<String>,
    /// Store id (decimal-string key) to its min resolved ts (`u64::MAX`: none).
    #[serde(default)]
    pub stores_min_resolved_ts: Option<BTreeMap<String, u64>>,
}
