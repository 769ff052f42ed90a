//! PD's `/config/schedule` and `/stores/limit` to [`ScheduleConfig`] and [`StoreLimit`]s: Go
//! durations to seconds, string booleans to booleans, MiB to bytes.

use super::FieldError;
use super::go_duration::parse_go_duration_seconds;
use super::pd_text::parse_string_bool;
use crate::model::{PdId, ScheduleConfig, StoreLimit};
use crate::upstream::pd::wire;

const MIB: u64 = 1024 * 1024;

fn seconds(field: &str, value: Option<String>) -> Result<Option<f64>, FieldError> {
    value
        .map(|v| parse_go_duration_seconds(&v).map_err(|e| FieldError::new(field, e)))
        .transpose()
}

pub(crate) fn flag(
    field: &str,
    value: Option<wire::StringBool>,
) -> Result<Option<bool>, FieldError> {
    value
        .map(|v| parse_string_bool(&v.0).map_err(|e| FieldError::new(field, e)))
        .transpose()
}

/// Normalizes PD's schedule configuration; a value of the wrong format names its PD key.
pub(crate) fn schedule_config(w: wire::ScheduleConfig) -> Result<ScheduleConfig, FieldError> {
    Ok(ScheduleConfig {
        max_snapshot_count: w.max_snapshot_count,
        max_pending_peer_count: w.max_pending_peer_count,
        max_merge_region_size_bytes: w.max_merge_region_size.map(|m| m.saturating_mul(MIB)),
        max_merge_region_keys: w.max_merge_region_keys,
        split_merge_interval_seconds: seconds("split-merge-interval", w.split_merge_interval)?,
        switch_witness_interval_seconds: seconds(
            "switch-witness-interval",
            w.switch_witness_interval,
        )?,
        enable_one_way_merge: flag("enable-one-way-merge", w.enable_one_way_merge)?,
        enable_cross_table_merge: flag("enable-cross-table-merge", w.enable_cross_table_merge)?,
        patrol_region_interval_seconds: seconds(
            "patrol-region-interval",
            w.patrol_region_interval,
        )?,
        max_store_down_time_seconds: seconds("max-store-down-time", w.max_store_down_time)?,
        max_store_preparing_time_seconds: seconds(
            "max-store-preparing-time",
            w.max_store_preparing_time,
        )?,
        leader_schedule_limit: w.leader_schedule_limit,
        leader_schedule_policy: w.leader_schedule_policy,
        region_schedule_limit: w.region_schedule_limit,
        witness_schedule_limit: w.witness_schedule_limit,
        replica_schedule_limit: w.replica_schedule_limit,
        merge_schedule_limit: w.merge_schedule_limit,
        hot_region_schedule_limit: w.hot_region_schedule_limit,
        hot_region_cache_hits_threshold: w.hot_region_cache_hits_threshold,
        store_balance_rate: w.store_balance_rate,
        tolerant_size_ratio: w.tolerant_size_ratio,
        low_space_ratio: w.low_space_ratio,
        high_space_ratio: w.high_space_ratio,
        region_score_formula_version: w.region_score_formula_version,
        scheduler_max_waiting_operator: w.scheduler_max_waiting_operator,
        enable_remove_down_replica: flag(
            "enable-remove-down-replica",
            w.enable_remove_down_replica,
        )?,
        enable_replace_offline_replica: flag(
            "enable-replace-offline-replica",
            w.enable_replace_offline_replica,
        )?,
        enable_make_up_replica: flag("enable-make-up-replica", w.enable_make_up_replica)?,
        enable_remove_extra_replica: flag(
            "enable-remove-extra-replica",
            w.enable_remove_extra_replica,
        )?,
        enable_location_replacement: flag(
            "enable-location-replacement",
            w.enable_location_replacement,
        )?,
        enable_debug_metrics: flag("enable-debug-metrics", w.enable_debug_metrics)?,
        enable_joint_consensus: flag("enable-joint-consensus", w.enable_joint_consensus)?,
        enable_tikv_split_region: flag("enable-tikv-split-region", w.enable_tikv_split_region)?,
        enable_heartbeat_breakdown_metrics: flag(
            "enable-heartbeat-breakdown-metrics",
            w.enable_heartbeat_breakdown_metrics,
        )?,
        enable_heartbeat_concurrent_runner: flag(
            "enable-heartbeat-concurrent-runner",
            w.enable_heartbeat_concurrent_runner,
        )?,
        hot_regions_write_interval_seconds: seconds(
            "hot-regions-write-interval",
            w.hot_regions_write_interval,
        )?,
        hot_regions_reserved_days: w.hot_regions_reserved_days,
        max_movable_hot_peer_size_bytes: w
            .max_movable_hot_peer_size
            .map(|m| u64::try_from(m).unwrap_or(0).saturating_mul(MIB)),
        enable_diagnostic: flag("enable-diagnostic", w.enable_diagnostic)?,
        enable_witness: flag("enable-witness", w.enable_witness)?,
        slow_store_evicting_affected_store_ratio_threshold: w
            .slow_store_evicting_affected_store_ratio_threshold,
        store_limit_version: w.store_limit_version,
        halt_scheduling: flag("halt-scheduling", w.halt_scheduling)?,
        patrol_region_worker_count: w.patrol_region_worker_count,
    })
}

/// PD's store limits (peers per minute), sorted by store id.
pub(crate) fn store_limits(w: wire::StoreLimits) -> Result<Vec<StoreLimit>, FieldError> {
    let mut limits =
        w.0.into_iter()
            .map(|(id, limit)| {
                let store_id = id
                    .parse::<u64>()
                    .map_err(|_| FieldError::new(&id, "the key is not a store id"))?;
                Ok(StoreLimit {
                    store_id: PdId(store_id),
                    add_peer_per_minute: limit.add_peer,
                    remove_peer_per_minute: limit.remove_peer,
                })
            })
            .collect::<Result<Vec<_>, FieldError>>()?;
    limits.sort_by_key(|l| l.store_id);
    Ok(limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pd_formats_become_numbers_and_booleans() {
        let w: wire::ScheduleConfig = serde_json::from_str(
            r#"{"max-merge-region-size":54,"split-merge-interval":"1h0m0s",
                "swtich-witness-interval":"1h0m0s","patrol-region-interval":"10ms",
                "max-store-down-time":"30m0s","enable-cross-table-merge":"true",
                "enable-replace-offline-replica":"false","store-limit":{"1":{"add-peer":15}},
                "schedulers-v2":[{"type":"balance-region","args":null}],"future-knob":"x"}"#,
        )
        .unwrap();
        let c = schedule_config(w).unwrap();
        assert_eq!(c.max_merge_region_size_bytes, Some(54 * MIB));
        assert_eq!(c.split_merge_interval_seconds, Some(3_600.0));
        assert_eq!(c.switch_witness_interval_seconds, Some(3_600.0));
        assert_eq!(c.patrol_region_interval_seconds, Some(0.01));
        assert_eq!(c.max_store_down_time_seconds, Some(1_800.0));
        assert_eq!(c.enable_cross_table_merge, Some(true));
        assert_eq!(c.enable_replace_offline_replica, Some(false));
        assert_eq!(c.enable_witness, None);
    }

    #[test]
    fn a_bad_value_names_its_key() {
        let w: wire::ScheduleConfig =
            serde_json::from_str(r#"{"enable-witness":"maybe"}"#).unwrap();
        assert_eq!(schedule_config(w).unwrap_err().field, "enable-witness");
        let w: wire::ScheduleConfig =
            serde_json::from_str(r#"{"max-store-down-time":"30 minutes"}"#).unwrap();
        assert_eq!(schedule_config(w).unwrap_err().field, "max-store-down-time");
    }

    #[test]
    fn store_limits_sort_by_id() {
        let w: wire::StoreLimits = serde_json::from_str(
            r#"{"10":{"add-peer":15,"remove-peer":0},"4":{"add-peer":30,"remove-peer":30}}"#,
        )
        .unwrap();
        let limits = store_limits(w).unwrap();
        assert_eq!(limits[0].store_id, PdId(4));
        assert_eq!(limits[1].remove_peer_per_minute, 0.0);
        let bad: wire::StoreLimits = serde_json::from_str(r#"{"x":{}}"#).unwrap();
        assert!(store_limits(bad).is_err());
    }
}
