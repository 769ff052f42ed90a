//! A store's removal or preparation: PD's `/stores/progress` normalized, the same figures
//! computed from readings of the store when PD has none, and the reasons it cannot finish.

use jiff::Timestamp;

use super::tso::seconds_between;
use crate::model::{
    Blocker, BlockerKind, NodeState, PdId, ProgressAction, ScheduleConfig, SchedulerKind,
    SchedulerList, SchedulerStatus, Store, StoreLimit, StoreState,
};
use crate::upstream::pd::{paths, wire};

const MIB: f64 = 1024.0 * 1024.0;

/// One reading of a store: when, its region count and its region size in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreReading {
    pub at: Timestamp,
    pub region_count: u64,
    pub region_size_bytes: u64,
}

/// What the store is going through, from its states: `removing` for an offline store (or
/// `node_state` removing), `preparing` for a store PD has not let serve yet.
#[must_use]
pub fn store_action(store: &Store) -> Option<ProgressAction> {
    match (store.state, store.node_state) {
        (StoreState::Tombstone, _) | (_, Some(NodeState::Removed)) => None,
        (StoreState::Offline, _) | (_, Some(NodeState::Removing)) => Some(ProgressAction::Removing),
        (StoreState::Up | StoreState::Disconnected, Some(NodeState::Preparing)) => {
            Some(ProgressAction::Preparing)
        }
        _ => None,
    }
}

/// PD's progress figures: progress, speed in bytes per second, seconds left (`None` for PD's
/// `math.MaxFloat64`, "nothing moves").
#[must_use]
pub(crate) fn pd_progress(p: &wire::StoreProgress) -> (Option<f64>, Option<f64>, Option<f64>) {
    let finite = |v: f64| v.is_finite().then_some(v);
    let progress = finite(p.progress).map(|v| v.clamp(0.0, 1.0));
    let speed = finite(p.current_speed).map(|mib| (mib * MIB).max(0.0));
    // PD answers f64::MAX when the speed is 0; anything near it is no estimate.
    let eta = finite(p.left_seconds).filter(|s| *s >= 0.0 && *s < 1e15);
    (progress, speed, eta)
}

/// PD's action name (`removing`, `preparing`).
#[must_use]
pub fn pd_action(name: &str) -> Option<ProgressAction> {
    match name {
        "removing" => Some(ProgressAction::Removing),
        "preparing" => Some(ProgressAction::Preparing),
        _ => None,
    }
}

/// The speed of change over the readings: bytes per second and regions per second, moving in
/// the action's direction (leaving for removing, arriving for preparing), `None` below two
/// readings or a zero time span.
#[must_use]
pub fn reading_speeds(
    readings: &[StoreReading],
    action: ProgressAction,
) -> (Option<f64>, Option<f64>) {
    let (Some(first), Some(last)) = (readings.first(), readings.last()) else {
        return (None, None);
    };
    let span = seconds_between(first.at, last.at);
    if readings.len() < 2 || span <= 0.0 {
        return (None, None);
    }
    #[allow(clippy::cast_precision_loss)]
    let delta = |a: u64, b: u64| match action {
        ProgressAction::Removing => a as f64 - b as f64,
        ProgressAction::Preparing => b as f64 - a as f64,
    };
    let bytes = (delta(first.region_size_bytes, last.region_size_bytes) / span).max(0.0);
    let regions = (delta(first.region_count, last.region_count) / span).max(0.0);
    (Some(bytes), Some(regions))
}

/// Progress of a removal from readings, as PD computes it: the share of the size first seen
/// that has left, the speed over the readings and the time left at that speed.
#[must_use]
pub fn removal_from_readings(
    first_size_bytes: u64,
    readings: &[StoreReading],
) -> (Option<f64>, Option<f64>, Option<f64>) {
    let Some(last) = readings.last() else {
        return (None, None, None);
    };
    #[allow(clippy::cast_precision_loss)]
    let progress = if first_size_bytes == 0 {
        1.0
    } else {
        (1.0 - last.region_size_bytes as f64 / first_size_bytes as f64).clamp(0.0, 1.0)
    };
    let (speed, _) = reading_speeds(readings, ProgressAction::Removing);
    #[allow(clippy::cast_precision_loss)]
    let eta = speed
        .filter(|s| *s > 0.0)
        .map(|s| last.region_size_bytes as f64 / s);
    (Some(progress), speed, eta)
}

/// Seconds until PD calls a disconnected store down: `max-store-down-time` minus the time since
/// its last heartbeat (never below 0).
#[must_use]
pub fn down_in_seconds(
    store: &Store,
    max_store_down_time_seconds: Option<f64>,
    now: Timestamp,
) -> Option<f64> {
    if store.state != StoreState::Disconnected {
        return None;
    }
    let silent = seconds_between(store.last_heartbeat_at?, now);
    Some((max_store_down_time_seconds? - silent).max(0.0))
}

/// What PD's state and configuration tell about why `store`'s `action` cannot finish. Each input
/// is `None` when it could not be read; its checks are then skipped.
pub struct BlockerInputs<'a> {
    pub store: &'a Store,
    pub action: ProgressAction,
    /// Every store, tombstones included.
    pub stores: Option<&'a [Store]>,
    pub max_replicas: Option<u64>,
    pub isolation_level: Option<&'a str>,
    pub schedule: Option<&'a ScheduleConfig>,
    pub store_limits: Option<&'a [StoreLimit]>,
    pub schedulers: Option<&'a SchedulerList>,
    pub replica_checker_paused: Option<bool>,
}

#[must_use]
pub fn blockers(inputs: &BlockerInputs<'_>) -> Vec<Blocker> {
    let mut out = Vec::new();
    let mut add = |kind, source: &str, message: String| {
        out.push(Blocker {
            kind,
            message,
            source: source.to_owned(),
        });
    };
    let store = inputs.store;
    let removing = inputs.action == ProgressAction::Removing;
    if removing && let (Some(stores), Some(max_replicas)) = (inputs.stores, inputs.max_replicas) {
        let others: Vec<&Store> = stores
            .iter()
            .filter(|s| s.id != store.id && s.state == StoreState::Up && s.engine == store.engine)
            .collect();
        let (places, what) = match inputs.isolation_level {
            Some(level) => {
                let mut values: Vec<&str> = others
                    .iter()
                    .filter_map(|s| s.labels.get(level).map(String::as_str))
                    .collect();
                values.sort_unstable();
                values.dedup();
                (
                    values.len() as u64,
                    format!("distinct values of the isolation label {level:?}"),
                )
            }
            None => (others.len() as u64, "up stores".to_owned()),
        };
        if places < max_replicas {
            add(
                BlockerKind::NotEnoughStores,
                paths::REPLICATION_CONFIG,
                format!(
                    "regions keep {max_replicas} replicas, but without store {} the cluster has only {places} {what} of its engine: its replicas have nowhere to go; add a store (or lower max-replicas)",
                    store.id
                ),
            );
        }
    }
    if let Some(limits) = inputs.store_limits
        && let Some(limit) = limits.iter().find(|l| l.store_id == store.id)
    {
        let (value, name) = if removing {
            (limit.remove_peer_per_minute, "remove-peer")
        } else {
            (limit.add_peer_per_minute, "add-peer")
        };
        if value <= 0.0 {
            add(
                BlockerKind::StoreLimitZero,
                paths::STORE_LIMITS,
                format!(
                    "store {}'s {name} limit is 0: PD moves no peer {} it; raise it (pd-ctl store limit {} 15 {name})",
                    store.id,
                    if removing { "off" } else { "onto" },
                    store.id
                ),
            );
        }
    }
    if let Some(schedule) = inputs.schedule {
        if schedule.halt_scheduling == Some(true) {
            add(
                BlockerKind::SchedulingHalted,
                paths::SCHEDULE_CONFIG,
                "halt-scheduling is on: PD schedules nothing".to_owned(),
            );
        }
        let (limit, name) = if removing {
            (schedule.replica_schedule_limit, "replica-schedule-limit")
        } else {
            (schedule.region_schedule_limit, "region-schedule-limit")
        };
        if limit == Some(0) {
            add(
                BlockerKind::ScheduleLimitZero,
                paths::SCHEDULE_CONFIG,
                format!("{name} is 0: PD runs none of the operators this needs"),
            );
        }
        if removing && schedule.enable_replace_offline_replica == Some(false) {
            add(
                BlockerKind::CheckerDisabled,
                paths::SCHEDULE_CONFIG,
                "enable-replace-offline-replica is false: the replica checker does not move replicas off offline stores".to_owned(),
            );
        }
    }
    if removing && inputs.replica_checker_paused == Some(true) {
        add(
            BlockerKind::CheckerDisabled,
            &paths::checker("replica"),
            "the replica checker is paused: nothing moves replicas off the store until it resumes"
                .to_owned(),
        );
    }
    if let Some(list) = inputs.schedulers {
        if !removing {
            let balance = list
                .schedulers
                .iter()
                .find(|s| s.kind == SchedulerKind::BalanceRegion);
            match balance.and_then(|s| s.status) {
                None if balance.is_none() => add(
                    BlockerKind::SchedulerMissing,
                    paths::SCHEDULERS,
                    "there is no balance-region scheduler: nothing moves regions onto the store".to_owned(),
                ),
                Some(SchedulerStatus::Paused) => add(
                    BlockerKind::SchedulerPaused,
                    paths::SCHEDULERS_PAUSED,
                    "balance-region-scheduler is paused: no region moves onto the store until it resumes".to_owned(),
                ),
                Some(SchedulerStatus::Disabled) => add(
                    BlockerKind::SchedulerDisabled,
                    paths::SCHEDULERS_DISABLED,
                    "balance-region-scheduler is disabled: nothing moves regions onto the store".to_owned(),
                ),
                _ => {}
            }
        }
        if let Some(stores) = inputs.stores {
            let present = |id: PdId| {
                stores
                    .iter()
                    .any(|s| s.id == id && s.state != StoreState::Tombstone)
            };
            for s in list
                .schedulers
                .iter()
                .filter(|s| s.kind == SchedulerKind::EvictLeader)
            {
                for id in s
                    .config
                    .as_ref()
                    .and_then(|c| c.store_ids.as_deref())
                    .unwrap_or_default()
                {
                    if !present(*id) {
                        add(
                            BlockerKind::EvictLeaderOnRemovedStore,
                            &paths::scheduler_config(&s.name),
                            format!(
                                "{} still holds store {id}, which is gone (tombstone or deleted); remove it (pd-ctl scheduler config {} delete-store {id})",
                                s.name, s.name
                            ),
                        );
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(id: u64, zone: &str, state: StoreState, node_state: Option<NodeState>) -> Store {
        let json = format!(
            r#"{{"store":{{"id":{id},"state_name":"Up","labels":[{{"key":"zone","value":"{zone}"}}]}},"status":{{"region_count":40}}}}"#
        );
        let mut s = crate::normalize::store(serde_json::from_str(&json).unwrap()).unwrap();
        s.state = state;
        s.node_state = node_state;
        s
    }

    #[test]
    fn actions_come_from_states() {
        assert_eq!(
            store_action(&store(
                1,
                "z1",
                StoreState::Offline,
                Some(NodeState::Removing)
            )),
            Some(ProgressAction::Removing)
        );
        assert_eq!(
            store_action(&store(1, "z1", StoreState::Up, Some(NodeState::Preparing))),
            Some(ProgressAction::Preparing)
        );
        assert_eq!(
            store_action(&store(1, "z1", StoreState::Up, Some(NodeState::Serving))),
            None
        );
        assert_eq!(
            store_action(&store(
                1,
                "z1",
                StoreState::Tombstone,
                Some(NodeState::Removed)
            )),
            None
        );
    }

    #[test]
    fn pd_max_float_is_no_eta() {
        let p: wire::StoreProgress = serde_json::from_str(
            r#"{"action":"removing","store_id":7,"progress":0,"current_speed":0,"left_seconds":1.7976931348623157e+308}"#,
        )
        .unwrap();
        assert_eq!(pd_progress(&p), (Some(0.0), Some(0.0), None));
        let p: wire::StoreProgress = serde_json::from_str(
            r#"{"action":"removing","store_id":7,"progress":0.5,"current_speed":2,"left_seconds":30}"#,
        )
        .unwrap();
        assert_eq!(pd_progress(&p), (Some(0.5), Some(2.0 * MIB), Some(30.0)));
    }

    #[test]
    fn readings_give_progress_speed_and_eta() {
        let t0: Timestamp = "2025-03-10T08:00:00Z".parse().unwrap();
        let at = |s: i64| t0.checked_add(jiff::SignedDuration::from_secs(s)).unwrap();
        let readings = [
            StoreReading {
                at: at(0),
                region_count: 100,
                region_size_bytes: 1000,
            },
            StoreReading {
                at: at(10),
                region_count: 90,
                region_size_bytes: 900,
            },
            StoreReading {
                at: at(20),
                region_count: 80,
                region_size_bytes: 800,
            },
        ];
        let (progress, speed, eta) = removal_from_readings(1000, &readings);
        assert!((progress.unwrap() - 0.2).abs() < 1e-12, "{progress:?}");
        assert_eq!(speed, Some(10.0));
        assert_eq!(eta, Some(80.0));
        assert_eq!(
            reading_speeds(&readings, ProgressAction::Removing).1,
            Some(1.0)
        );
        assert_eq!(
            reading_speeds(&readings[..1], ProgressAction::Removing),
            (None, None)
        );
        assert_eq!(
            removal_from_readings(1000, &readings[..1]),
            (Some(0.0), None, None)
        );
    }

    #[test]
    fn too_few_stores_blocks_a_removal() {
        let leaving = store(7, "z1", StoreState::Offline, Some(NodeState::Removing));
        let stores = vec![
            leaving.clone(),
            store(1, "z1", StoreState::Up, None),
            store(4, "z2", StoreState::Up, None),
            store(5, "z2", StoreState::Down, None),
        ];
        let inputs = BlockerInputs {
            store: &leaving,
            action: ProgressAction::Removing,
            stores: Some(&stores),
            max_replicas: Some(3),
            isolation_level: None,
            schedule: None,
            store_limits: None,
            schedulers: None,
            replica_checker_paused: Some(false),
        };
        let found = blockers(&inputs);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, BlockerKind::NotEnoughStores);
        let more = [stores.clone(), vec![store(6, "z2", StoreState::Up, None)]].concat();
        let inputs = BlockerInputs {
            stores: Some(&more),
            ..inputs
        };
        assert!(blockers(&inputs).is_empty());
        let inputs = BlockerInputs {
            isolation_level: Some("zone"),
            ..inputs
        };
        let found = blockers(&inputs);
        assert_eq!(
            found.len(),
            1,
            "only two zones are left: z1 and z2 ({found:?})"
        );
    }
}
