//! PD's scheduler lists and scheduler configurations to [`SchedulerList`].

use std::collections::BTreeMap;

use super::FieldError;
use super::timestamp::parse_pd_timestamp;
use crate::model::{
    Meta, PdId, Scheduler, SchedulerConfig, SchedulerKind, SchedulerList, SchedulerStatus,
};
use crate::upstream::pd::wire;

/// PD's scheduler types (names without `-scheduler`), longest first so that a prefix never
/// shadows a longer type.
const KINDS: [(&str, SchedulerKind); 18] = [
    (
        "transfer-witness-leader",
        SchedulerKind::TransferWitnessLeader,
    ),
    ("evict-stopping-store", SchedulerKind::EvictStoppingStore),
    ("balance-hot-region", SchedulerKind::BalanceHotRegion),
    ("shuffle-hot-region", SchedulerKind::ShuffleHotRegion),
    ("grant-hot-region", SchedulerKind::GrantHotRegion),
    ("evict-slow-store", SchedulerKind::EvictSlowStore),
    ("evict-slow-trend", SchedulerKind::EvictSlowTrend),
    ("balance-witness", SchedulerKind::BalanceWitness),
    ("balance-leader", SchedulerKind::BalanceLeader),
    ("balance-region", SchedulerKind::BalanceRegion),
    ("shuffle-leader", SchedulerKind::ShuffleLeader),
    ("shuffle-region", SchedulerKind::ShuffleRegion),
    ("scatter-range", SchedulerKind::ScatterRange),
    ("split-bucket", SchedulerKind::SplitBucket),
    ("random-merge", SchedulerKind::RandomMerge),
    ("evict-leader", SchedulerKind::EvictLeader),
    ("grant-leader", SchedulerKind::GrantLeader),
    ("label", SchedulerKind::Label),
];

/// The kind of a scheduler from PD's name for it: `<type>-scheduler`, PD v4's per-store
/// `<type>-scheduler-<store id>`, or a scatter-range's `scatter-range-<range name>`.
#[must_use]
pub fn scheduler_kind(name: &str) -> SchedulerKind {
    for (kind_name, kind) in KINDS {
        let Some(rest) = name.strip_prefix(kind_name) else {
            continue;
        };
        let matches = rest == "-scheduler"
            || rest.starts_with("-scheduler-")
            || (kind == SchedulerKind::ScatterRange && rest.starts_with('-'));
        if matches {
            return kind;
        }
    }
    SchedulerKind::Unknown
}

/// Whether PD keeps a store list for schedulers of this kind (`/scheduler-config/{name}/list`).
#[must_use]
pub fn holds_stores(kind: SchedulerKind) -> bool {
    matches!(
        kind,
        SchedulerKind::EvictLeader | SchedulerKind::GrantLeader | SchedulerKind::EvictSlowStore
    )
}

/// A store-holding scheduler's configuration.
pub(crate) fn scheduler_config(
    name: &str,
    list: wire::SchedulerConfigList,
) -> Result<SchedulerConfig, FieldError> {
    let store_ids = match (list.store_id_ranges, list.evict_stores) {
        (Some(ranges), _) => Some(
            ranges
                .keys()
                .map(|id| {
                    id.parse::<u64>().map(PdId).map_err(|_| {
                        FieldError::new(
                            &format!("{name}.store-id-ranges.{id}"),
                            "the key is not a store id",
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        (None, Some(stores)) => Some(stores.into_iter().map(PdId).collect()),
        (None, None) => None,
    };
    let store_ids = store_ids.map(|mut ids| {
        ids.sort_unstable();
        ids.dedup();
        ids
    });
    Ok(SchedulerConfig {
        store_ids,
        batch: list.batch,
        #[allow(clippy::cast_precision_loss)]
        recovery_duration_seconds: list.recovery_duration.map(|s| s as f64),
    })
}

/// What was read of PD's schedulers.
pub(crate) struct SchedulerReads {
    /// `/schedulers`: the enabled ones (v7+), or every one (before).
    pub enabled: Vec<String>,
    /// `/schedulers?status=paused&timestamp=true`, when it could be read.
    pub paused: Option<Vec<wire::PausedScheduler>>,
    /// `/schedulers?status=disabled`, when it could be read.
    pub disabled: Option<Vec<String>>,
    /// The configurations read, by scheduler name.
    pub configs: BTreeMap<String, SchedulerConfig>,
}

/// Every scheduler PD lists as enabled or disabled, sorted by name, with its status.
pub(crate) fn scheduler_list(
    cluster: &str,
    reads: SchedulerReads,
    meta: Meta,
) -> Result<SchedulerList, FieldError> {
    let SchedulerReads {
        enabled,
        paused,
        disabled,
        mut configs,
    } = reads;
    let mut names: Vec<String> = enabled;
    names.extend(disabled.iter().flatten().cloned());
    names.sort_unstable();
    names.dedup();
    let mut paused_by_name = BTreeMap::new();
    for (i, p) in paused.iter().flatten().enumerate() {
        let time = |field: &str, value: &Option<String>| {
            value
                .as_deref()
                .map(|v| {
                    parse_pd_timestamp(v).map_err(|e| FieldError::new(&format!("[{i}].{field}"), e))
                })
                .transpose()
                .map(Option::flatten)
        };
        paused_by_name.insert(
            p.name.clone(),
            (
                time("paused_at", &p.paused_at)?,
                time("resume_at", &p.resume_at)?,
            ),
        );
    }
    let schedulers: Vec<Scheduler> = names
        .into_iter()
        .map(|name| {
            let is_disabled = disabled.as_ref().is_some_and(|d| d.contains(&name));
            let pause = paused_by_name.get(&name).copied();
            let status = if is_disabled {
                Some(SchedulerStatus::Disabled)
            } else if pause.is_some() {
                Some(SchedulerStatus::Paused)
            } else if paused.is_some() {
                Some(SchedulerStatus::Running)
            } else {
                None
            };
            let (paused_at, paused_until) = pause.unwrap_or((None, None));
            Scheduler {
                kind: scheduler_kind(&name),
                config: configs.remove(&name),
                name,
                status,
                paused_at,
                paused_until,
            }
        })
        .collect();
    Ok(SchedulerList {
        cluster: cluster.to_owned(),
        count: schedulers.len(),
        schedulers,
        meta,
    })
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;

    #[test]
    fn kinds_come_from_names() {
        assert_eq!(
            scheduler_kind("balance-leader-scheduler"),
            SchedulerKind::BalanceLeader
        );
        assert_eq!(
            scheduler_kind("balance-hot-region-scheduler"),
            SchedulerKind::BalanceHotRegion
        );
        assert_eq!(
            scheduler_kind("evict-leader-scheduler-4"),
            SchedulerKind::EvictLeader
        );
        assert_eq!(
            scheduler_kind("scatter-range-orders"),
            SchedulerKind::ScatterRange
        );
        assert_eq!(scheduler_kind("label-scheduler"), SchedulerKind::Label);
        for unknown in ["future-scheduler", "balance-leader", "labels-scheduler", ""] {
            assert_eq!(scheduler_kind(unknown), SchedulerKind::Unknown, "{unknown}");
        }
    }

    #[test]
    fn status_comes_from_the_lists() {
        let now: Timestamp = "2025-03-10T08:15:30Z".parse().unwrap();
        let paused: Vec<wire::PausedScheduler> = serde_json::from_str(
            r#"[{"name":"balance-region-scheduler","paused_at":"2025-03-10T16:10:00+08:00","resume_at":"2025-03-10T16:20:00+08:00"}]"#,
        )
        .unwrap();
        let list = scheduler_list(
            "c",
            SchedulerReads {
                enabled: vec![
                    "balance-region-scheduler".into(),
                    "balance-leader-scheduler".into(),
                ],
                paused: Some(paused),
                disabled: Some(vec!["evict-slow-store-scheduler".into()]),
                configs: BTreeMap::new(),
            },
            Meta::observed(now),
        )
        .unwrap();
        let names: Vec<&str> = list.schedulers.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "balance-leader-scheduler",
                "balance-region-scheduler",
                "evict-slow-store-scheduler"
            ]
        );
        let status: Vec<_> = list.schedulers.iter().map(|s| s.status).collect();
        assert_eq!(
            status,
            [
                Some(SchedulerStatus::Running),
                Some(SchedulerStatus::Paused),
                Some(SchedulerStatus::Disabled)
            ]
        );
        assert_eq!(
            list.schedulers[1].paused_until.unwrap().to_string(),
            "2025-03-10T08:20:00Z"
        );
    }

    #[test]
    fn configs_list_their_stores() {
        let evict: wire::SchedulerConfigList = serde_json::from_str(
            r#"{"store-id-ranges":{"10":[{"start-key":"","end-key":""}],"4":[]},"batch":3}"#,
        )
        .unwrap();
        let c = scheduler_config("evict-leader-scheduler", evict).unwrap();
        assert_eq!(c.store_ids, Some(vec![PdId(4), PdId(10)]));
        assert_eq!(c.batch, Some(3));
        let slow: wire::SchedulerConfigList = serde_json::from_str(
            r#"{"disabled":false,"recovery-duration":600,"evict-stores":null}"#,
        )
        .unwrap();
        let c = scheduler_config("evict-slow-store-scheduler", slow).unwrap();
        assert_eq!(c.store_ids, None);
        assert_eq!(c.recovery_duration_seconds, Some(600.0));
        let bad: wire::SchedulerConfigList =
            serde_json::from_str(r#"{"store-id-ranges":{"four":[]}}"#).unwrap();
        assert!(scheduler_config("x", bad).is_err());
    }
}
