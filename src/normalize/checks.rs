//! Health verdicts: what each check decides from what was read. Pure functions, no I/O: each
//! takes the normalized answers it needs (or `None` when they could not be read, which makes the
//! check `unknown`) and the cluster's thresholds.

use std::collections::BTreeSet;
use std::time::Duration;

use jiff::Timestamp;

use crate::model::{
    Blocker, Check, CheckEvidence, CheckStatus, GcSafePoints, PdId, RegionHealthCounts, ResolvedTs,
    Scheduler, SchedulerKind, SchedulerStatus, Store, StoreEngine, StoreState,
};

use super::tso::seconds_between;

/// The thresholds of the checks that have them; per cluster in the TOML (`checks = { … }`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CheckThresholds {
    /// Regions with a missing, down or pending peer (summed) at which `region-health` warns.
    pub unhealthy_regions_warning: u64,
    /// Regions with a missing, down or pending peer at which `region-health` is critical.
    pub unhealthy_regions_critical: u64,
    /// How far below PD's `low-space-ratio` a store's used share may come before `low-space`
    /// warns (0.1: warn from 70% used when PD's ratio is 0.8).
    pub low_space_margin: f64,
    /// GC safe point age at which `gc-safe-point-age` warns.
    pub gc_age_warning: Duration,
    /// GC safe point age at which `gc-safe-point-age` is critical.
    pub gc_age_critical: Duration,
    /// Min resolved ts lag at which `resolved-ts-lag` warns.
    pub resolved_ts_lag_warning: Duration,
    /// Min resolved ts lag at which `resolved-ts-lag` is critical.
    pub resolved_ts_lag_critical: Duration,
    /// Days of capacity runway under which `capacity-runway` warns.
    pub runway_warning_days: f64,
    /// Days of capacity runway under which `capacity-runway` is critical.
    pub runway_critical_days: f64,
    /// The range `predict_linear` fits the available bytes' trend over.
    pub runway_lookback: Duration,
    /// Raftstore cores per store above which `raftstore-cpu` is critical (TiKV's rule: 1.6).
    pub raftstore_cpu_critical: f64,
    /// Cores of the busiest apply thread above which `apply-cpu` is critical (TiKV's rule: 0.9).
    pub apply_cpu_critical: f64,
    /// Write stall change over 10 minutes above which `write-stall` is critical (TiKV's rule: 0).
    pub write_stall_critical: f64,
    /// Channel-full events per second above which `channel-full` is critical (TiKV's rule: 0).
    pub channel_full_critical: f64,
    /// Leaders lost within 30 s above which `leader-drops` warns (TiKV's rule: 10).
    pub leader_drops_warning: f64,
    /// Writes rejected as too busy per second above which `scheduler-busy` warns (TiKV has no
    /// rule; 0: any rejection, each costs the client a backoff of a second or more).
    pub scheduler_busy_warning: f64,
    /// Writes rejected as too busy per second above which `scheduler-busy` is critical (1: a
    /// write backing off every second, sustained over the rate window).
    pub scheduler_busy_critical: f64,
}

impl Default for CheckThresholds {
    fn default() -> Self {
        Self {
            unhealthy_regions_warning: 1,
            unhealthy_regions_critical: 1000,
            low_space_margin: 0.1,
            // TiDB's default `tidb_gc_life_time` is 10 minutes; a day of history kept means GC
            // is held back by something.
            gc_age_warning: Duration::from_secs(24 * 3600),
            gc_age_critical: Duration::from_secs(72 * 3600),
            resolved_ts_lag_warning: Duration::from_secs(60),
            resolved_ts_lag_critical: Duration::from_secs(600),
            runway_warning_days: 30.0,
            runway_critical_days: 7.0,
            runway_lookback: Duration::from_secs(6 * 3600),
            raftstore_cpu_critical: 1.6,
            apply_cpu_critical: 0.9,
            write_stall_critical: 0.0,
            channel_full_critical: 0.0,
            leader_drops_warning: 10.0,
            scheduler_busy_warning: 0.0,
            scheduler_busy_critical: 1.0,
        }
    }
}

/// PD's paths, as the checks name them in `source`.
pub mod sources {
    pub const STORES: &str = "/pd/api/v1/stores";
    pub const STORES_AND_SCHEDULE: &str = "/pd/api/v1/stores, /pd/api/v1/config/schedule";
    pub const MEMBERS: &str = "/pd/api/v1/members, /pd/api/v1/health";
    pub const REGION_HEALTH: &str = "/pd/api/v1/regions/check/{miss-peer,down-peer,pending-peer}";
    pub const SCHEDULERS: &str = "/pd/api/v1/schedulers, /pd/api/v1/scheduler-config";
    pub const PROGRESS: &str =
        "/pd/api/v1/stores/progress, /pd/api/v1/config/replicate, /pd/api/v1/schedulers";
    pub const STORES_AND_REPLICATION: &str = "/pd/api/v1/stores, /pd/api/v1/config/replicate";
    pub const GC: &str = "/pd/api/v1/gc/safepoint";
    pub const RESOLVED_TS: &str = "/pd/api/v1/min-resolved-ts";
}

/// Every check id, in the order `/checks` lists them.
pub const CHECK_IDS: [&str; 18] = [
    "store-down",
    "pd-members",
    "region-health",
    "leader-schedulers",
    "balance-paused",
    "scale-in-blocked",
    "low-space",
    "version-drift",
    "location-labels",
    "gc-safe-point-age",
    "resolved-ts-lag",
    "capacity-runway",
    "raftstore-cpu",
    "apply-cpu",
    "write-stall",
    "channel-full",
    "leader-drops",
    "scheduler-busy",
];

fn check(
    id: &str,
    status: CheckStatus,
    summary: String,
    evidence: CheckEvidence,
    source: &str,
) -> Check {
    Check {
        id: id.to_owned(),
        status,
        summary,
        evidence,
        source: source.to_owned(),
    }
}

/// The check `id` when its data could not be read: `unknown`, saying what is missing.
#[must_use]
pub fn unknown(id: &str, what: &str, source: &str) -> Check {
    check(
        id,
        CheckStatus::Unknown,
        format!("{what} could not be read"),
        CheckEvidence::default(),
        source,
    )
}

fn live(stores: &[Store]) -> impl Iterator<Item = &Store> {
    stores.iter().filter(|s| s.state != StoreState::Tombstone)
}

fn ids<'a>(stores: impl Iterator<Item = &'a Store>) -> Vec<PdId> {
    let mut ids: Vec<PdId> = stores.map(|s| s.id).collect();
    ids.sort_unstable_by_key(|id| id.0);
    ids
}

/// `store-down`: `critical` when a store is `down` (PD replaces its replicas), `warning` when
/// one is `disconnected` (no heartbeat for 20 s; `seconds_until_down` says when PD will call it
/// down, from `max-store-down-time`).
#[must_use]
pub fn store_down(
    stores: Option<&[Store]>,
    max_store_down_time_seconds: Option<f64>,
    now: Timestamp,
) -> Check {
    const ID: &str = "store-down";
    let Some(stores) = stores else {
        return unknown(ID, "the stores", sources::STORES);
    };
    let down = ids(stores.iter().filter(|s| s.state == StoreState::Down));
    let disconnected: Vec<&Store> = stores
        .iter()
        .filter(|s| s.state == StoreState::Disconnected)
        .collect();
    let mut evidence = CheckEvidence::default();
    evidence
        .values
        .insert("down_stores".into(), count(down.len()));
    evidence
        .values
        .insert("disconnected_stores".into(), count(disconnected.len()));
    if let Some(max) = max_store_down_time_seconds {
        evidence
            .values
            .insert("max_store_down_time_seconds".into(), max);
    }
    let until_down = disconnected
        .iter()
        .filter_map(|s| {
            let since = seconds_between(s.last_heartbeat_at?, now);
            Some((max_store_down_time_seconds? - since).max(0.0))
        })
        .reduce(f64::min);
    if let Some(until) = until_down {
        evidence.values.insert("seconds_until_down".into(), until);
    }
    let (status, summary) = if !down.is_empty() {
        evidence.store_ids = down.clone();
        evidence.store_ids.extend(ids(disconnected.iter().copied()));
        (
            CheckStatus::Critical,
            format!(
                "{} store(s) down: PD is replacing their replicas",
                down.len()
            ),
        )
    } else if !disconnected.is_empty() {
        evidence.store_ids = ids(disconnected.iter().copied());
        let when = until_down.map_or_else(String::new, |s| format!("; down in {s:.0} s"));
        (
            CheckStatus::Warning,
            format!("{} store(s) disconnected{when}", disconnected.len()),
        )
    } else {
        (CheckStatus::Ok, "every store is connected".to_owned())
    };
    check(ID, status, summary, evidence, sources::STORES_AND_SCHEDULE)
}

/// PD's members as the check needs them.
#[derive(Debug, Clone)]
pub struct MemberHealth {
    /// The leader's name, when one is elected.
    pub leader: Option<String>,
    /// Every member's name with its health.
    pub members: Vec<(String, bool)>,
}

/// `pd-members`: `critical` without a PD leader or when no member is healthy, `warning` when a
/// member is unhealthy.
#[must_use]
pub fn pd_members(members: Option<&MemberHealth>) -> Check {
    const ID: &str = "pd-members";
    let Some(members) = members else {
        return unknown(ID, "PD's members and their health", sources::MEMBERS);
    };
    let unhealthy: Vec<String> = members
        .members
        .iter()
        .filter(|(_, healthy)| !healthy)
        .map(|(name, _)| name.clone())
        .collect();
    let total = members.members.len();
    let mut evidence = CheckEvidence::default();
    evidence.values.insert("members".into(), count(total));
    evidence
        .values
        .insert("unhealthy_members".into(), count(unhealthy.len()));
    evidence.names.clone_from(&unhealthy);
    let (status, summary) = match &members.leader {
        None => (CheckStatus::Critical, "PD has no leader".to_owned()),
        Some(_) if unhealthy.len() == total => {
            (CheckStatus::Critical, "no PD member is healthy".to_owned())
        }
        Some(_) if !unhealthy.is_empty() => (
            CheckStatus::Warning,
            format!("{} of {total} PD members unhealthy", unhealthy.len()),
        ),
        Some(leader) => (
            CheckStatus::Ok,
            format!("{total} of {total} PD members healthy; leader {leader}"),
        ),
    };
    check(ID, status, summary, evidence, sources::MEMBERS)
}

/// `region-health`: regions with a missing, down or pending peer, summed, against the
/// thresholds.
#[must_use]
pub fn region_health(counts: Option<&RegionHealthCounts>, t: &CheckThresholds) -> Check {
    const ID: &str = "region-health";
    let parts = counts.map(|c| {
        [
            ("miss_peer_regions", c.miss_peer),
            ("down_peer_regions", c.down_peer),
            ("pending_peer_regions", c.pending_peer),
        ]
    });
    let Some(parts) = parts.filter(|p| p.iter().all(|(_, v)| v.is_some())) else {
        return unknown(ID, "PD's region checks", sources::REGION_HEALTH);
    };
    let mut evidence = CheckEvidence {
        warning_threshold: Some(count_u64(t.unhealthy_regions_warning)),
        critical_threshold: Some(count_u64(t.unhealthy_regions_critical)),
        ..CheckEvidence::default()
    };
    let mut total = 0u64;
    for (name, value) in parts {
        let value = value.unwrap_or(0);
        total = total.saturating_add(value);
        evidence.values.insert(name.into(), count_u64(value));
    }
    evidence
        .values
        .insert("unhealthy_regions".into(), count_u64(total));
    let status = if total >= t.unhealthy_regions_critical {
        CheckStatus::Critical
    } else if total >= t.unhealthy_regions_warning {
        CheckStatus::Warning
    } else {
        CheckStatus::Ok
    };
    let summary = format!("{total} region(s) with a missing, down or pending peer");
    check(ID, status, summary, evidence, sources::REGION_HEALTH)
}

/// `leader-schedulers`: an `evict-leader` or `grant-leader` scheduler left behind (after a
/// restart or scale-in) keeps leaders off or on stores: `warning`, naming it and its stores.
#[must_use]
pub fn leader_schedulers(schedulers: Option<&[Scheduler]>) -> Check {
    const ID: &str = "leader-schedulers";
    let Some(schedulers) = schedulers else {
        return unknown(ID, "the schedulers", sources::SCHEDULERS);
    };
    let found: Vec<&Scheduler> = schedulers
        .iter()
        .filter(|s| {
            matches!(
                s.kind,
                SchedulerKind::EvictLeader | SchedulerKind::GrantLeader
            )
        })
        .filter(|s| s.status != Some(SchedulerStatus::Disabled))
        .collect();
    let mut evidence = CheckEvidence {
        names: found.iter().map(|s| s.name.clone()).collect(),
        ..CheckEvidence::default()
    };
    let held: BTreeSet<u64> = found
        .iter()
        .filter_map(|s| s.config.as_ref()?.store_ids.as_ref())
        .flatten()
        .map(|id| id.0)
        .collect();
    evidence.store_ids = held.into_iter().map(PdId).collect();
    evidence
        .values
        .insert("leader_schedulers".into(), count(found.len()));
    if found.is_empty() {
        return check(
            ID,
            CheckStatus::Ok,
            "no evict-leader or grant-leader scheduler".into(),
            evidence,
            sources::SCHEDULERS,
        );
    }
    let summary = format!(
        "{} holding leaders off or on store(s) {}",
        evidence.names.join(", "),
        join_ids(&evidence.store_ids)
    );
    check(
        ID,
        CheckStatus::Warning,
        summary,
        evidence,
        sources::SCHEDULERS,
    )
}

/// `balance-paused`: a paused or disabled `balance-leader` or `balance-region` scheduler (or one
/// missing from PD's list) stops PD from evening out the stores: `warning`.
#[must_use]
pub fn balance_paused(schedulers: Option<&[Scheduler]>) -> Check {
    const ID: &str = "balance-paused";
    let Some(schedulers) = schedulers else {
        return unknown(ID, "the schedulers", sources::SCHEDULERS);
    };
    let mut evidence = CheckEvidence::default();
    for kind in [SchedulerKind::BalanceLeader, SchedulerKind::BalanceRegion] {
        let name = match kind {
            SchedulerKind::BalanceLeader => "balance-leader-scheduler",
            _ => "balance-region-scheduler",
        };
        let running = schedulers
            .iter()
            .any(|s| s.kind == kind && matches!(s.status, Some(SchedulerStatus::Running) | None));
        if !running {
            evidence.names.push(name.to_owned());
        }
    }
    evidence.values.insert(
        "balance_schedulers_not_running".into(),
        count(evidence.names.len()),
    );
    if evidence.names.is_empty() {
        return check(
            ID,
            CheckStatus::Ok,
            "balance-leader and balance-region are running".into(),
            evidence,
            sources::SCHEDULERS,
        );
    }
    let summary = format!(
        "not running (paused, disabled or removed): {}",
        evidence.names.join(", ")
    );
    check(
        ID,
        CheckStatus::Warning,
        summary,
        evidence,
        sources::SCHEDULERS,
    )
}

/// A store being removed and what blocks it, as the progress endpoint found them.
#[derive(Debug, Clone)]
pub struct Removal {
    /// The store being removed.
    pub store_id: PdId,
    /// Its blockers; `None` when its progress could not be read.
    pub blockers: Option<Vec<Blocker>>,
}

/// `scale-in-blocked`: a store being removed that cannot finish (the blockers of
/// `/stores/{id}/progress`): `critical`; `unknown` when a removal's blockers could not be read.
#[must_use]
pub fn scale_in_blocked(
    removals: Option<&[Removal]>,
    blocker_name: impl Fn(&Blocker) -> String,
) -> Check {
    const ID: &str = "scale-in-blocked";
    let Some(removals) = removals else {
        return unknown(ID, "the stores", sources::PROGRESS);
    };
    let mut evidence = CheckEvidence::default();
    evidence
        .values
        .insert("stores_being_removed".into(), count(removals.len()));
    let mut names = BTreeSet::new();
    let mut blocked = Vec::new();
    let mut unread = Vec::new();
    for r in removals {
        match &r.blockers {
            Some(b) if !b.is_empty() => {
                blocked.push(r.store_id);
                names.extend(b.iter().map(&blocker_name));
            }
            Some(_) => {}
            None => unread.push(r.store_id),
        }
    }
    evidence.names = names.into_iter().collect();
    evidence
        .values
        .insert("blocked_stores".into(), count(blocked.len()));
    let (status, summary) = if !blocked.is_empty() {
        evidence.store_ids.clone_from(&blocked);
        (
            CheckStatus::Critical,
            format!(
                "removal of store(s) {} cannot finish: {}",
                join_ids(&blocked),
                evidence.names.join(", ")
            ),
        )
    } else if !unread.is_empty() {
        evidence.store_ids.clone_from(&unread);
        (
            CheckStatus::Unknown,
            format!(
                "the progress of store(s) {} could not be read",
                join_ids(&unread)
            ),
        )
    } else if removals.is_empty() {
        (CheckStatus::Ok, "no store is being removed".to_owned())
    } else {
        evidence.store_ids = removals.iter().map(|r| r.store_id).collect();
        (
            CheckStatus::Ok,
            format!(
                "{} store(s) being removed, nothing blocks them",
                removals.len()
            ),
        )
    };
    check(ID, status, summary, evidence, sources::PROGRESS)
}

/// `low-space`: a store whose used share reached PD's `low-space-ratio` (PD stops moving
/// regions onto it): `critical`; within `low_space_margin` of it: `warning`.
#[must_use]
pub fn low_space(
    stores: Option<&[Store]>,
    low_space_ratio: Option<f64>,
    t: &CheckThresholds,
) -> Check {
    const ID: &str = "low-space";
    let (Some(stores), Some(ratio)) = (stores, low_space_ratio) else {
        return unknown(
            ID,
            "the stores or PD's low-space-ratio",
            sources::STORES_AND_SCHEDULE,
        );
    };
    let used: Vec<(PdId, f64)> = live(stores)
        .filter_map(|s| {
            let capacity = s.capacity_bytes.filter(|c| *c > 0)?;
            let available = s.available_bytes?;
            #[allow(clippy::cast_precision_loss)]
            let share = 1.0 - available as f64 / capacity as f64;
            Some((s.id, share))
        })
        .collect();
    let warn_at = (ratio - t.low_space_margin).max(0.0);
    let mut evidence = CheckEvidence {
        warning_threshold: Some(warn_at),
        critical_threshold: Some(ratio),
        ..CheckEvidence::default()
    };
    let max_used = used.iter().map(|(_, u)| *u).reduce(f64::max);
    if let Some(max) = max_used {
        evidence.values.insert("max_used_ratio".into(), max);
    }
    let critical: Vec<PdId> = used
        .iter()
        .filter(|(_, u)| *u >= ratio)
        .map(|(id, _)| *id)
        .collect();
    let warning: Vec<PdId> = used
        .iter()
        .filter(|(_, u)| *u >= warn_at)
        .map(|(id, _)| *id)
        .collect();
    let (status, list) = if !critical.is_empty() {
        (CheckStatus::Critical, critical)
    } else if !warning.is_empty() {
        (CheckStatus::Warning, warning)
    } else {
        (CheckStatus::Ok, Vec::new())
    };
    evidence.store_ids.clone_from(&list);
    let summary = match status {
        CheckStatus::Ok => format!(
            "every store below {:.0}% used (PD's low-space-ratio {ratio})",
            warn_at * 100.0
        ),
        _ => format!(
            "store(s) {} at {:.1}% used or more (PD's low-space-ratio {ratio})",
            join_ids(&list),
            warn_at * 100.0
        ),
    };
    check(ID, status, summary, evidence, sources::STORES_AND_SCHEDULE)
}

/// `version-drift`: TiKV stores (not tombstones) on more than one version: `warning`.
#[must_use]
pub fn version_drift(stores: Option<&[Store]>) -> Check {
    const ID: &str = "version-drift";
    let Some(stores) = stores else {
        return unknown(ID, "the stores", sources::STORES);
    };
    let versions: BTreeSet<String> = live(stores)
        .filter(|s| s.engine == StoreEngine::Tikv)
        .filter_map(|s| s.version.clone())
        .collect();
    let mut evidence = CheckEvidence {
        names: versions.iter().cloned().collect(),
        ..CheckEvidence::default()
    };
    evidence
        .values
        .insert("versions".into(), count(versions.len()));
    if versions.len() > 1 {
        let summary = format!(
            "TiKV stores run {} versions: {}",
            versions.len(),
            evidence.names.join(", ")
        );
        return check(ID, CheckStatus::Warning, summary, evidence, sources::STORES);
    }
    let summary = versions.first().map_or_else(
        || "no TiKV store reports a version".to_owned(),
        |v| format!("every TiKV store runs {v}"),
    );
    check(ID, CheckStatus::Ok, summary, evidence, sources::STORES)
}

/// `location-labels`: stores (not tombstones) missing a label of PD's `location-labels`, so PD
/// cannot keep their replicas apart: `warning`.
#[must_use]
pub fn location_labels(stores: Option<&[Store]>, location_labels: Option<&[String]>) -> Check {
    const ID: &str = "location-labels";
    let (Some(stores), Some(labels)) = (stores, location_labels) else {
        return unknown(
            ID,
            "the stores or PD's location-labels",
            sources::STORES_AND_REPLICATION,
        );
    };
    let mut evidence = CheckEvidence {
        names: labels.to_vec(),
        ..CheckEvidence::default()
    };
    if labels.is_empty() {
        evidence.values.insert("stores_missing_labels".into(), 0.0);
        return check(
            ID,
            CheckStatus::Ok,
            "PD has no location-labels: nothing to cover".into(),
            evidence,
            sources::STORES_AND_REPLICATION,
        );
    }
    let missing = ids(live(stores).filter(|s| labels.iter().any(|l| !s.labels.contains_key(l))));
    evidence
        .values
        .insert("stores_missing_labels".into(), count(missing.len()));
    evidence.store_ids.clone_from(&missing);
    if missing.is_empty() {
        let summary = format!("every store has the location labels {}", labels.join(", "));
        return check(
            ID,
            CheckStatus::Ok,
            summary,
            evidence,
            sources::STORES_AND_REPLICATION,
        );
    }
    let summary = format!(
        "store(s) {} lack a location label of {}",
        join_ids(&missing),
        labels.join(", ")
    );
    check(
        ID,
        CheckStatus::Warning,
        summary,
        evidence,
        sources::STORES_AND_REPLICATION,
    )
}

fn graded(value: f64, warning: Duration, critical: Duration) -> CheckStatus {
    if value >= critical.as_secs_f64() {
        CheckStatus::Critical
    } else if value >= warning.as_secs_f64() {
        CheckStatus::Warning
    } else {
        CheckStatus::Ok
    }
}

/// `gc-safe-point-age`: how far GC is behind now, against the thresholds; the service holding it
/// back is named.
#[must_use]
pub fn gc_safe_point_age(gc: Option<&GcSafePoints>, t: &CheckThresholds) -> Check {
    const ID: &str = "gc-safe-point-age";
    let Some(gc) = gc else {
        return unknown(ID, "PD's GC safe points", sources::GC);
    };
    let mut evidence = CheckEvidence {
        warning_threshold: Some(t.gc_age_warning.as_secs_f64()),
        critical_threshold: Some(t.gc_age_critical.as_secs_f64()),
        names: gc.held_back_by.iter().cloned().collect(),
        ..CheckEvidence::default()
    };
    if let Some(age) = gc.min_service_safe_point_age_seconds {
        evidence
            .values
            .insert("min_service_safe_point_age_seconds".into(), age);
    }
    let Some(age) = gc.gc_safe_point_age_seconds else {
        return check(
            ID,
            CheckStatus::Ok,
            "no GC safe point yet (GC has not run)".into(),
            evidence,
            sources::GC,
        );
    };
    evidence
        .values
        .insert("gc_safe_point_age_seconds".into(), age);
    let status = graded(age, t.gc_age_warning, t.gc_age_critical);
    let holder = gc
        .held_back_by
        .as_deref()
        .map_or_else(String::new, |h| format!("; held back by {h}"));
    let summary = format!("GC safe point is {:.1} h old{holder}", age / 3600.0);
    check(ID, status, summary, evidence, sources::GC)
}

/// `resolved-ts-lag`: how far the cluster's min resolved ts is behind now (stale reads and CDC
/// wait for it), against the thresholds.
#[must_use]
pub fn resolved_ts_lag(resolved: Option<&ResolvedTs>, t: &CheckThresholds) -> Check {
    const ID: &str = "resolved-ts-lag";
    let Some(resolved) = resolved else {
        return unknown(ID, "PD's min resolved ts", sources::RESOLVED_TS);
    };
    let mut evidence = CheckEvidence {
        warning_threshold: Some(t.resolved_ts_lag_warning.as_secs_f64()),
        critical_threshold: Some(t.resolved_ts_lag_critical.as_secs_f64()),
        ..CheckEvidence::default()
    };
    if let Some(stores) = &resolved.stores {
        let worst = stores
            .iter()
            .filter(|s| {
                s.lag_seconds
                    .is_some_and(|l| l >= t.resolved_ts_lag_warning.as_secs_f64())
            })
            .map(|s| s.store_id);
        evidence.store_ids = worst.collect();
        evidence.store_ids.sort_unstable_by_key(|id| id.0);
    }
    let Some(lag) = resolved.lag_seconds else {
        return check(
            ID,
            CheckStatus::Unknown,
            "PD gave no min resolved ts (resolved ts not enabled, or no region)".into(),
            evidence,
            sources::RESOLVED_TS,
        );
    };
    evidence.values.insert("lag_seconds".into(), lag);
    let status = graded(lag, t.resolved_ts_lag_warning, t.resolved_ts_lag_critical);
    check(
        ID,
        status,
        format!("min resolved ts is {lag:.1} s behind"),
        evidence,
        sources::RESOLVED_TS,
    )
}

/// One sample of a check's PromQL answer: the series' join label value, the store PD says has
/// that status address, its `type` label, and the value (never NaN; may be infinite).
#[derive(Debug, Clone, PartialEq)]
pub struct PromSample {
    /// The value of the join label.
    pub instance: String,
    /// The store with this status address, when the store list gives one.
    pub store_id: Option<PdId>,
    /// The `type` label, when present.
    pub kind: Option<String>,
    /// The value.
    pub value: f64,
}

/// The samples of an instant vector answer, joined to store ids by `join_label`; NaN values
/// are left out, infinities kept.
pub(crate) fn prom_samples(
    envelope: &crate::upstream::prometheus::wire::Envelope,
    join_label: &str,
    store_ids: &std::collections::HashMap<String, PdId>,
) -> Vec<PromSample> {
    use crate::upstream::prometheus::wire::QueryData;
    let Some(QueryData::Vector(samples)) = &envelope.data else {
        return Vec::new();
    };
    samples
        .iter()
        .filter_map(|s| {
            let value = s.value.as_ref()?;
            let value = match super::sample::parse_sample_value(&value.1).ok()? {
                super::sample::SampleValue::Finite(v) => v,
                super::sample::SampleValue::NonFinite(crate::model::NonFinite::PosInf) => {
                    f64::INFINITY
                }
                super::sample::SampleValue::NonFinite(crate::model::NonFinite::NegInf) => {
                    f64::NEG_INFINITY
                }
                super::sample::SampleValue::NonFinite(crate::model::NonFinite::Nan) => return None,
            };
            let instance = s.metric.get(join_label).cloned().unwrap_or_default();
            Some(PromSample {
                store_id: store_ids.get(&instance).copied(),
                kind: s.metric.get("type").cloned(),
                instance,
                value,
            })
        })
        .collect()
}

/// What the checks fed by Prometheus were given: their answers (`None` when Prometheus is not
/// configured or could not answer) and the PromQL sent for each.
#[derive(Debug, Clone, Copy)]
pub struct PromInput<'a> {
    /// The answer, or `None`.
    pub samples: Option<&'a [PromSample]>,
    /// The PromQL sent (or that would have been sent).
    pub source: &'a str,
}

/// The stores (and, for instances PD does not list, the instance names) of `samples`.
fn concerned(samples: &[&PromSample], evidence: &mut CheckEvidence) {
    let mut ids = BTreeSet::new();
    let mut names = BTreeSet::new();
    for s in samples {
        match s.store_id {
            Some(id) => {
                ids.insert(id.0);
            }
            None => {
                names.insert(s.instance.clone());
            }
        }
    }
    evidence.store_ids = ids.into_iter().map(PdId).collect();
    evidence.names.extend(names);
}

/// `capacity-runway`: days until a store's available bytes reach zero at the trend
/// `predict_linear` fits over `runway_lookback`; under `runway_critical_days`: `critical`, under
/// `runway_warning_days`: `warning`. Evidence per store (`store_<id>_runway_days`) for the
/// stores that are filling; `min_runway_days` is the cluster's runway.
#[must_use]
pub fn capacity_runway(input: PromInput<'_>, t: &CheckThresholds) -> Check {
    const ID: &str = "capacity-runway";
    let Some(samples) = input.samples else {
        return unknown(ID, "the store size series from Prometheus", input.source);
    };
    if samples.is_empty() {
        return check(
            ID,
            CheckStatus::Unknown,
            "Prometheus has no tikv_store_size_bytes series for the stores".into(),
            CheckEvidence::default(),
            input.source,
        );
    }
    let mut evidence = CheckEvidence {
        warning_threshold: Some(t.runway_warning_days),
        critical_threshold: Some(t.runway_critical_days),
        ..CheckEvidence::default()
    };
    let filling: Vec<&PromSample> = samples
        .iter()
        .filter(|s| s.value.is_finite() && s.value >= 0.0)
        .collect();
    for s in &filling {
        let key = s.store_id.map_or_else(
            || format!("{}_runway_days", s.instance),
            |id| format!("store_{id}_runway_days"),
        );
        evidence.values.insert(key, s.value);
    }
    evidence
        .values
        .insert("stores_filling".into(), count(filling.len()));
    let Some(min) = filling.iter().map(|s| s.value).reduce(f64::min) else {
        return check(
            ID,
            CheckStatus::Ok,
            format!(
                "no store is filling over the last {}",
                hours(t.runway_lookback)
            ),
            evidence,
            input.source,
        );
    };
    evidence.values.insert("min_runway_days".into(), min);
    let (status, limit) = if min < t.runway_critical_days {
        (CheckStatus::Critical, t.runway_critical_days)
    } else if min < t.runway_warning_days {
        (CheckStatus::Warning, t.runway_warning_days)
    } else {
        (CheckStatus::Ok, 0.0)
    };
    let short: Vec<&PromSample> = filling
        .iter()
        .copied()
        .filter(|s| s.value < limit)
        .collect();
    concerned(&short, &mut evidence);
    let summary = format!(
        "the first store fills in {min:.1} days at the trend of the last {}",
        hours(t.runway_lookback)
    );
    check(ID, status, summary, evidence, input.source)
}

fn hours(d: Duration) -> String {
    format!("{:.0} h", d.as_secs_f64() / 3600.0)
}

/// One of TiKV's alert rules (or a rule in their style) as a check: `value_name` is the largest
/// value over the stores; a store above `critical` makes the check `critical`, else one above
/// `warning` makes it `warning` (a rule has one level or both). An empty answer is `ok` when
/// `empty_is_ok` (the series only exist once something happened), otherwise `unknown`.
struct AlertRule<'a> {
    id: &'a str,
    what: &'a str,
    value_name: &'a str,
    warning: Option<f64>,
    critical: Option<f64>,
    empty_is_ok: bool,
}

fn alert_rule(rule: &AlertRule<'_>, input: PromInput<'_>, value: impl Fn(f64) -> f64) -> Check {
    let Some(samples) = input.samples else {
        return unknown(
            rule.id,
            &format!("{} from Prometheus", rule.what),
            input.source,
        );
    };
    let mut evidence = CheckEvidence {
        warning_threshold: rule.warning,
        critical_threshold: rule.critical,
        ..CheckEvidence::default()
    };
    let values: Vec<(f64, &PromSample)> = samples
        .iter()
        .map(|s| (value(s.value), s))
        .filter(|(v, _)| v.is_finite())
        .collect();
    if values.is_empty() && !rule.empty_is_ok {
        return check(
            rule.id,
            CheckStatus::Unknown,
            format!("Prometheus has no series of {} for the stores", rule.what),
            evidence,
            input.source,
        );
    }
    let max = values.iter().map(|(v, _)| *v).fold(0.0, f64::max);
    evidence.values.insert(rule.value_name.to_owned(), max);
    let over = |threshold: f64| -> Vec<&PromSample> {
        values
            .iter()
            .filter(|(v, _)| *v > threshold)
            .map(|(_, s)| *s)
            .collect()
    };
    let levels = [
        (CheckStatus::Critical, rule.critical),
        (CheckStatus::Warning, rule.warning),
    ];
    let Some((level, threshold, over)) = levels.into_iter().find_map(|(level, threshold)| {
        let threshold = threshold?;
        let over = over(threshold);
        (!over.is_empty()).then_some((level, threshold, over))
    }) else {
        // The lowest threshold is the one every store is within.
        let within = rule.warning.or(rule.critical).unwrap_or(0.0);
        let summary = format!("{} at most {max:.2}, within {within}", rule.what);
        return check(rule.id, CheckStatus::Ok, summary, evidence, input.source);
    };
    concerned(&over, &mut evidence);
    let kinds: BTreeSet<String> = over.iter().filter_map(|s| s.kind.clone()).collect();
    evidence.names.extend(kinds);
    evidence
        .values
        .insert("stores_over".into(), count(over.len()));
    let summary = format!(
        "{} up to {max:.2} (over {threshold}) on {} store(s)",
        rule.what,
        over.len()
    );
    check(rule.id, level, summary, evidence, input.source)
}

/// `raftstore-cpu`: raftstore threads' cores per store over `raftstore_cpu_critical` (TiKV's
/// `TiKV_raftstore_thread_cpu_seconds_total`, critical): `critical`.
#[must_use]
pub fn raftstore_cpu(input: PromInput<'_>, t: &CheckThresholds) -> Check {
    let rule = AlertRule {
        id: "raftstore-cpu",
        what: "raftstore CPU (cores)",
        value_name: "max_raftstore_cpu_cores",
        warning: None,
        critical: Some(t.raftstore_cpu_critical),
        empty_is_ok: false,
    };
    alert_rule(&rule, input, |v| v)
}

/// `apply-cpu`: the busiest apply thread's cores over `apply_cpu_critical` (TiKV's
/// `TiKV_thread_apply_worker_cpu_seconds`, critical): `critical`.
#[must_use]
pub fn apply_cpu(input: PromInput<'_>, t: &CheckThresholds) -> Check {
    let rule = AlertRule {
        id: "apply-cpu",
        what: "apply thread CPU (cores)",
        value_name: "max_apply_thread_cpu_cores",
        warning: None,
        critical: Some(t.apply_cpu_critical),
        empty_is_ok: false,
    };
    alert_rule(&rule, input, |v| v)
}

/// `write-stall`: the write stall gauge changed over 10 minutes (TiKV's `TiKV_write_stall`,
/// critical): `critical`.
#[must_use]
pub fn write_stall(input: PromInput<'_>, t: &CheckThresholds) -> Check {
    let rule = AlertRule {
        id: "write-stall",
        what: "write stall change over 10 min",
        value_name: "max_write_stall_delta",
        warning: None,
        critical: Some(t.write_stall_critical),
        empty_is_ok: false,
    };
    alert_rule(&rule, input, |v| v)
}

/// `channel-full`: a raftstore channel was full over 10 minutes (TiKV's
/// `TiKV_channel_full_total`, critical): `critical`, naming the channel types. No series means
/// no channel was ever full: `ok`.
#[must_use]
pub fn channel_full(input: PromInput<'_>, t: &CheckThresholds) -> Check {
    let rule = AlertRule {
        id: "channel-full",
        what: "channel-full events per second",
        value_name: "max_channel_full_per_second",
        warning: None,
        critical: Some(t.channel_full_critical),
        empty_is_ok: true,
    };
    alert_rule(&rule, input, |v| v)
}

/// `leader-drops`: a store lost more than `leader_drops_warning` leaders within 30 s (TiKV's
/// `TiKV_leader_drops`, warning, over the leader count TiKV exports today): `warning`.
#[must_use]
pub fn leader_drops(input: PromInput<'_>, t: &CheckThresholds) -> Check {
    let rule = AlertRule {
        id: "leader-drops",
        what: "leaders dropped within 30 s",
        value_name: "max_leaders_dropped",
        warning: Some(t.leader_drops_warning),
        critical: None,
        empty_is_ok: false,
    };
    alert_rule(&rule, input, |v| -v)
}

/// `scheduler-busy`: TiKV's scheduler rejected writes as too busy ("Server is busy": its pending
/// write bytes passed `scheduler-pending-write-threshold`, or flow control dropped them). TiKV
/// has no alert rule for it; the defaults are ours: any rejection (`scheduler_busy_warning`, 0
/// per second) is `warning`, since client-go retries each after a `ServerIsBusy` backoff of 1 to
/// 2 s at first (base 2 s, equal jitter); more than `scheduler_busy_critical` (1 per second,
/// sustained over the rate window) is `critical`: writes are being throttled all the time.
#[must_use]
pub fn scheduler_busy(input: PromInput<'_>, t: &CheckThresholds) -> Check {
    let rule = AlertRule {
        id: "scheduler-busy",
        what: "writes rejected as too busy per second",
        value_name: "max_too_busy_per_second",
        warning: Some(t.scheduler_busy_warning),
        critical: Some(t.scheduler_busy_critical),
        empty_is_ok: false,
    };
    alert_rule(&rule, input, |v| v)
}

#[allow(clippy::cast_precision_loss)]
fn count(n: usize) -> f64 {
    n as f64
}

#[allow(clippy::cast_precision_loss)]
fn count_u64(n: u64) -> f64 {
    n as f64
}

fn join_ids(ids: &[PdId]) -> String {
    ids.iter()
        .map(|id| id.0.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    //! Every check driven into each status it can have, from normalized values.

    use super::*;
    use crate::model::{BlockerKind, Meta, SchedulerConfig, StoreResolvedTs};
    use crate::upstream::pd::wire;

    const NOW: &str = "2025-03-10T08:20:00Z";

    fn now() -> Timestamp {
        NOW.parse().unwrap()
    }

    /// A store as PD v8.5 writes it: `heartbeat` seconds before [`NOW`].
    fn store(
        id: u64,
        state: &str,
        version: &str,
        labels: &[(&str, &str)],
        capacity_gib: u64,
        available_gib: u64,
        heartbeat_ago: i64,
    ) -> Store {
        let labels: Vec<_> = labels
            .iter()
            .map(|(k, v)| serde_json::json!({"key": k, "value": v}))
            .collect();
        let heartbeat = now() - jiff::SignedDuration::from_secs(heartbeat_ago);
        let json = serde_json::json!({
            "store": {"id": id, "address": format!("tikv-{id}:20160"), "labels": labels,
                      "version": version, "state_name": state, "node_state": 1},
            "status": {"capacity": format!("{capacity_gib}GiB"), "available": format!("{available_gib}GiB"),
                       "last_heartbeat_ts": heartbeat.to_string()}
        });
        let wire: wire::StoreInfo = serde_json::from_value(json).unwrap();
        super::super::store(wire).unwrap()
    }

    fn up(id: u64) -> Store {
        store(id, "Up", "8.5.1", &[("zone", "z1")], 100, 80, 5)
    }

    fn t() -> CheckThresholds {
        CheckThresholds::default()
    }

    #[test]
    fn store_down_every_status() {
        let ok = store_down(Some(&[up(1), up(2)]), Some(1800.0), now());
        assert_eq!(ok.status, CheckStatus::Ok);
        let disconnected = store(3, "Disconnected", "8.5.1", &[], 100, 80, 600);
        let warning = store_down(Some(&[up(1), disconnected.clone()]), Some(1800.0), now());
        assert_eq!(warning.status, CheckStatus::Warning, "{warning:?}");
        assert_eq!(warning.evidence.store_ids, vec![PdId(3)]);
        let until = warning.evidence.values["seconds_until_down"];
        assert!((until - 1200.0).abs() < 1.0, "{until}");
        let down = store(4, "Down", "8.5.1", &[], 100, 80, 4000);
        let critical = store_down(Some(&[up(1), disconnected, down]), Some(1800.0), now());
        assert_eq!(critical.status, CheckStatus::Critical);
        assert_eq!(critical.evidence.store_ids, vec![PdId(4), PdId(3)]);
        assert_eq!(critical.evidence.values["down_stores"], 1.0);
        assert_eq!(
            store_down(None, Some(1800.0), now()).status,
            CheckStatus::Unknown
        );
    }

    #[test]
    fn pd_members_every_status() {
        let members = |leader: bool, health: &[bool]| MemberHealth {
            leader: leader.then(|| "pd-1".to_owned()),
            members: health
                .iter()
                .enumerate()
                .map(|(i, h)| (format!("pd-{}", i + 1), *h))
                .collect(),
        };
        assert_eq!(
            pd_members(Some(&members(true, &[true; 3]))).status,
            CheckStatus::Ok
        );
        let warning = pd_members(Some(&members(true, &[true, false, true])));
        assert_eq!(warning.status, CheckStatus::Warning);
        assert_eq!(warning.evidence.names, ["pd-2"]);
        assert_eq!(
            pd_members(Some(&members(false, &[true; 3]))).status,
            CheckStatus::Critical
        );
        assert_eq!(
            pd_members(Some(&members(true, &[false; 3]))).status,
            CheckStatus::Critical
        );
        assert_eq!(pd_members(None).status, CheckStatus::Unknown);
    }

    #[test]
    fn region_health_every_status() {
        let counts = |miss, down, pending| RegionHealthCounts {
            miss_peer: Some(miss),
            extra_peer: Some(0),
            down_peer: Some(down),
            pending_peer: Some(pending),
            offline_peer: Some(0),
            learner_peer: Some(0),
            empty: Some(0),
            oversized: Some(0),
            undersized: Some(0),
        };
        assert_eq!(
            region_health(Some(&counts(0, 0, 0)), &t()).status,
            CheckStatus::Ok
        );
        let warning = region_health(Some(&counts(1, 2, 3)), &t());
        assert_eq!(warning.status, CheckStatus::Warning);
        assert_eq!(warning.evidence.values["unhealthy_regions"], 6.0);
        assert_eq!(
            region_health(Some(&counts(400, 400, 200)), &t()).status,
            CheckStatus::Critical
        );
        let mut partial = counts(0, 0, 0);
        partial.down_peer = None;
        assert_eq!(
            region_health(Some(&partial), &t()).status,
            CheckStatus::Unknown
        );
        assert_eq!(region_health(None, &t()).status, CheckStatus::Unknown);
        let strict = CheckThresholds {
            unhealthy_regions_warning: 10,
            unhealthy_regions_critical: 20,
            ..t()
        };
        assert_eq!(
            region_health(Some(&counts(1, 2, 3)), &strict).status,
            CheckStatus::Ok
        );
        assert_eq!(
            region_health(Some(&counts(10, 10, 0)), &strict).status,
            CheckStatus::Critical
        );
    }

    fn scheduler(
        name: &str,
        kind: SchedulerKind,
        status: SchedulerStatus,
        stores: &[u64],
    ) -> Scheduler {
        Scheduler {
            name: name.to_owned(),
            kind,
            status: Some(status),
            paused_at: None,
            paused_until: None,
            config: (!stores.is_empty()).then(|| SchedulerConfig {
                store_ids: Some(stores.iter().copied().map(PdId).collect()),
                batch: None,
                recovery_duration_seconds: None,
            }),
        }
    }

    fn balance() -> Vec<Scheduler> {
        vec![
            scheduler(
                "balance-leader-scheduler",
                SchedulerKind::BalanceLeader,
                SchedulerStatus::Running,
                &[],
            ),
            scheduler(
                "balance-region-scheduler",
                SchedulerKind::BalanceRegion,
                SchedulerStatus::Running,
                &[],
            ),
        ]
    }

    #[test]
    fn leader_schedulers_every_status() {
        assert_eq!(leader_schedulers(Some(&balance())).status, CheckStatus::Ok);
        let mut with = balance();
        with.push(scheduler(
            "evict-leader-scheduler",
            SchedulerKind::EvictLeader,
            SchedulerStatus::Running,
            &[5, 2],
        ));
        with.push(scheduler(
            "grant-leader-scheduler",
            SchedulerKind::GrantLeader,
            SchedulerStatus::Paused,
            &[7],
        ));
        let warning = leader_schedulers(Some(&with));
        assert_eq!(warning.status, CheckStatus::Warning);
        assert_eq!(warning.evidence.store_ids, vec![PdId(2), PdId(5), PdId(7)]);
        assert_eq!(
            warning.evidence.names,
            ["evict-leader-scheduler", "grant-leader-scheduler"]
        );
        assert_eq!(leader_schedulers(None).status, CheckStatus::Unknown);
    }

    #[test]
    fn balance_paused_every_status() {
        assert_eq!(balance_paused(Some(&balance())).status, CheckStatus::Ok);
        let mut paused = balance();
        paused[1].status = Some(SchedulerStatus::Paused);
        let warning = balance_paused(Some(&paused));
        assert_eq!(warning.status, CheckStatus::Warning);
        assert_eq!(warning.evidence.names, ["balance-region-scheduler"]);
        let removed = balance_paused(Some(&balance()[..1]));
        assert_eq!(removed.status, CheckStatus::Warning);
        assert_eq!(balance_paused(None).status, CheckStatus::Unknown);
    }

    #[test]
    fn scale_in_blocked_every_status() {
        let name = |b: &Blocker| format!("{:?}", b.kind);
        let removal = |id, blockers: Option<Vec<Blocker>>| Removal {
            store_id: PdId(id),
            blockers,
        };
        assert_eq!(scale_in_blocked(Some(&[]), name).status, CheckStatus::Ok);
        assert_eq!(
            scale_in_blocked(Some(&[removal(1, Some(vec![]))]), name).status,
            CheckStatus::Ok
        );
        let blocker = Blocker {
            kind: BlockerKind::NotEnoughStores,
            message: "3 replicas, 2 stores".into(),
            source: "/pd/api/v1/config/replicate".into(),
        };
        let critical = scale_in_blocked(
            Some(&[removal(1, Some(vec![blocker])), removal(2, None)]),
            name,
        );
        assert_eq!(critical.status, CheckStatus::Critical);
        assert_eq!(critical.evidence.store_ids, vec![PdId(1)]);
        assert_eq!(critical.evidence.names, ["NotEnoughStores"]);
        assert_eq!(
            scale_in_blocked(Some(&[removal(2, None)]), name).status,
            CheckStatus::Unknown
        );
        assert_eq!(scale_in_blocked(None, name).status, CheckStatus::Unknown);
    }

    #[test]
    fn low_space_every_status() {
        let used = |id, available| store(id, "Up", "8.5.1", &[], 100, available, 5);
        assert_eq!(
            low_space(Some(&[used(1, 50)]), Some(0.8), &t()).status,
            CheckStatus::Ok
        );
        let warning = low_space(Some(&[used(1, 50), used(2, 25)]), Some(0.8), &t());
        assert_eq!(warning.status, CheckStatus::Warning, "{warning:?}");
        assert_eq!(warning.evidence.store_ids, vec![PdId(2)]);
        assert_eq!(warning.evidence.critical_threshold, Some(0.8));
        let critical = low_space(Some(&[used(1, 15), used(2, 25)]), Some(0.8), &t());
        assert_eq!(critical.status, CheckStatus::Critical);
        assert_eq!(critical.evidence.store_ids, vec![PdId(1)]);
        assert!((critical.evidence.values["max_used_ratio"] - 0.85).abs() < 1e-9);
        assert_eq!(
            low_space(Some(&[used(1, 50)]), None, &t()).status,
            CheckStatus::Unknown
        );
        assert_eq!(
            low_space(None, Some(0.8), &t()).status,
            CheckStatus::Unknown
        );
    }

    #[test]
    fn version_drift_every_status() {
        let v = |id, version| store(id, "Up", version, &[], 100, 80, 5);
        assert_eq!(
            version_drift(Some(&[v(1, "8.5.1"), v(2, "8.5.1")])).status,
            CheckStatus::Ok
        );
        let tombstone = store(3, "Tombstone", "7.5.0", &[], 100, 80, 5);
        assert_eq!(
            version_drift(Some(&[v(1, "8.5.1"), tombstone])).status,
            CheckStatus::Ok
        );
        let warning = version_drift(Some(&[v(1, "8.5.1"), v(2, "8.5.0")]));
        assert_eq!(warning.status, CheckStatus::Warning);
        assert_eq!(warning.evidence.names, ["8.5.0", "8.5.1"]);
        assert_eq!(version_drift(None).status, CheckStatus::Unknown);
    }

    #[test]
    fn location_labels_every_status() {
        let labels = ["zone".to_owned(), "host".to_owned()];
        let full = store(
            1,
            "Up",
            "8.5.1",
            &[("zone", "z1"), ("host", "h1")],
            100,
            80,
            5,
        );
        let partial = store(2, "Up", "8.5.1", &[("zone", "z2")], 100, 80, 5);
        assert_eq!(
            location_labels(Some(std::slice::from_ref(&full)), Some(&labels)).status,
            CheckStatus::Ok
        );
        assert_eq!(
            location_labels(Some(std::slice::from_ref(&partial)), Some(&[])).status,
            CheckStatus::Ok
        );
        let warning = location_labels(Some(&[full, partial]), Some(&labels));
        assert_eq!(warning.status, CheckStatus::Warning);
        assert_eq!(warning.evidence.store_ids, vec![PdId(2)]);
        assert_eq!(
            location_labels(None, Some(&labels)).status,
            CheckStatus::Unknown
        );
        assert_eq!(
            location_labels(Some(&[]), None).status,
            CheckStatus::Unknown
        );
    }

    fn gc(age_hours: Option<f64>) -> GcSafePoints {
        GcSafePoints {
            cluster: "c".into(),
            gc_safe_point: None,
            gc_safe_point_at: None,
            gc_safe_point_age_seconds: age_hours.map(|h| h * 3600.0),
            min_service_safe_point: None,
            min_service_safe_point_at: None,
            min_service_safe_point_age_seconds: age_hours.map(|h| h * 3600.0),
            held_back_by: Some("br-backup".into()),
            service_safe_points: Vec::new(),
            meta: Meta::observed(now()),
        }
    }

    #[test]
    fn gc_safe_point_age_every_status() {
        assert_eq!(
            gc_safe_point_age(Some(&gc(Some(0.2))), &t()).status,
            CheckStatus::Ok
        );
        assert_eq!(
            gc_safe_point_age(Some(&gc(None)), &t()).status,
            CheckStatus::Ok
        );
        let warning = gc_safe_point_age(Some(&gc(Some(30.0))), &t());
        assert_eq!(warning.status, CheckStatus::Warning);
        assert_eq!(warning.evidence.names, ["br-backup"]);
        assert_eq!(
            warning.evidence.values["gc_safe_point_age_seconds"],
            108_000.0
        );
        assert_eq!(
            gc_safe_point_age(Some(&gc(Some(100.0))), &t()).status,
            CheckStatus::Critical
        );
        assert_eq!(gc_safe_point_age(None, &t()).status, CheckStatus::Unknown);
        let relaxed = CheckThresholds {
            gc_age_warning: Duration::from_secs(48 * 3600),
            ..t()
        };
        assert_eq!(
            gc_safe_point_age(Some(&gc(Some(30.0))), &relaxed).status,
            CheckStatus::Ok
        );
    }

    fn resolved(lag: Option<f64>) -> ResolvedTs {
        ResolvedTs {
            cluster: "c".into(),
            min_resolved_ts: None,
            min_resolved_ts_at: None,
            lag_seconds: lag,
            is_real_time: true,
            persist_interval_seconds: Some(1.0),
            stores: Some(vec![StoreResolvedTs {
                store_id: PdId(9),
                min_resolved_ts: None,
                min_resolved_ts_at: None,
                lag_seconds: lag,
            }]),
            meta: Meta::observed(now()),
        }
    }

    #[test]
    fn resolved_ts_lag_every_status() {
        assert_eq!(
            resolved_ts_lag(Some(&resolved(Some(2.0))), &t()).status,
            CheckStatus::Ok
        );
        let warning = resolved_ts_lag(Some(&resolved(Some(120.0))), &t());
        assert_eq!(warning.status, CheckStatus::Warning);
        assert_eq!(warning.evidence.store_ids, vec![PdId(9)]);
        assert_eq!(
            resolved_ts_lag(Some(&resolved(Some(900.0))), &t()).status,
            CheckStatus::Critical
        );
        assert_eq!(
            resolved_ts_lag(Some(&resolved(None)), &t()).status,
            CheckStatus::Unknown
        );
        assert_eq!(resolved_ts_lag(None, &t()).status, CheckStatus::Unknown);
    }

    #[test]
    fn the_worst_status_orders_unknown_between_ok_and_warning() {
        let c = |status| check("x", status, String::new(), CheckEvidence::default(), "");
        let summary =
            crate::model::CheckSummary::of(&[c(CheckStatus::Ok), c(CheckStatus::Unknown)]);
        assert_eq!(summary.worst_status, CheckStatus::Unknown);
        let summary =
            crate::model::CheckSummary::of(&[c(CheckStatus::Warning), c(CheckStatus::Unknown)]);
        assert_eq!(summary.worst_status, CheckStatus::Warning);
        assert_eq!(summary.counts.unknown, 1);
        assert_eq!(
            crate::model::CheckSummary::of(&[]).worst_status,
            CheckStatus::Ok
        );
    }

    fn sample(store: Option<u64>, value: f64) -> PromSample {
        PromSample {
            instance: format!("tikv-{}:20180", store.unwrap_or(99)),
            store_id: store.map(PdId),
            kind: None,
            value,
        }
    }

    fn input(samples: &[PromSample]) -> PromInput<'_> {
        PromInput {
            samples: Some(samples),
            source: "q",
        }
    }

    const NONE: PromInput<'static> = PromInput {
        samples: None,
        source: "q",
    };

    #[test]
    fn capacity_runway_every_status() {
        let status = |s: &[PromSample]| capacity_runway(input(s), &t()).status;
        assert_eq!(
            status(&[sample(Some(1), 100.0), sample(Some(2), f64::INFINITY)]),
            CheckStatus::Ok
        );
        assert_eq!(status(&[sample(Some(1), -5.0)]), CheckStatus::Ok);
        let warning = capacity_runway(input(&[sample(Some(1), 20.0), sample(Some(4), 90.0)]), &t());
        assert_eq!(warning.status, CheckStatus::Warning);
        assert_eq!(warning.evidence.store_ids, vec![PdId(1)]);
        assert_eq!(warning.evidence.values["store_4_runway_days"], 90.0);
        assert_eq!(warning.evidence.values["min_runway_days"], 20.0);
        assert_eq!(status(&[sample(Some(1), 3.0)]), CheckStatus::Critical);
        assert_eq!(status(&[]), CheckStatus::Unknown);
        assert_eq!(capacity_runway(NONE, &t()).status, CheckStatus::Unknown);
    }

    #[test]
    fn alert_rule_checks_every_status() {
        let t = t();
        assert_eq!(
            raftstore_cpu(input(&[sample(Some(1), 1.6)]), &t).status,
            CheckStatus::Ok
        );
        let hot = raftstore_cpu(input(&[sample(Some(1), 1.7), sample(None, 2.0)]), &t);
        assert_eq!(hot.status, CheckStatus::Critical);
        assert_eq!(hot.evidence.store_ids, vec![PdId(1)]);
        assert_eq!(hot.evidence.names, vec!["tikv-99:20180".to_owned()]);
        assert_eq!(hot.evidence.values["max_raftstore_cpu_cores"], 2.0);
        assert_eq!(
            apply_cpu(input(&[sample(Some(1), 0.95)]), &t).status,
            CheckStatus::Critical
        );
        assert_eq!(
            apply_cpu(input(&[sample(Some(1), 0.5)]), &t).status,
            CheckStatus::Ok
        );
        assert_eq!(
            write_stall(input(&[sample(Some(1), 0.0)]), &t).status,
            CheckStatus::Ok
        );
        assert_eq!(
            write_stall(input(&[sample(Some(1), 2.0)]), &t).status,
            CheckStatus::Critical
        );
        assert_eq!(write_stall(input(&[]), &t).status, CheckStatus::Unknown);
        assert_eq!(channel_full(input(&[]), &t).status, CheckStatus::Ok);
        let mut full = sample(Some(2), 0.5);
        full.kind = Some("raftstore".into());
        let full = channel_full(input(&[full]), &t);
        assert_eq!(full.status, CheckStatus::Critical);
        assert_eq!(full.evidence.names, vec!["raftstore".to_owned()]);
        assert_eq!(
            leader_drops(input(&[sample(Some(1), -10.0)]), &t).status,
            CheckStatus::Ok
        );
        let drops = leader_drops(input(&[sample(Some(1), -50.0)]), &t);
        assert_eq!(drops.status, CheckStatus::Warning);
        assert_eq!(drops.evidence.warning_threshold, Some(10.0));
        assert_eq!(drops.evidence.values["max_leaders_dropped"], 50.0);
        for c in [
            raftstore_cpu(NONE, &t),
            apply_cpu(NONE, &t),
            write_stall(NONE, &t),
            channel_full(NONE, &t),
            leader_drops(NONE, &t),
            scheduler_busy(NONE, &t),
        ] {
            assert_eq!(c.status, CheckStatus::Unknown, "{c:?}");
            assert_eq!(c.source, "q");
        }
    }

    #[test]
    fn scheduler_busy_every_status() {
        let t = t();
        let calm = scheduler_busy(input(&[sample(Some(1), 0.0), sample(Some(4), 0.0)]), &t);
        assert_eq!(calm.status, CheckStatus::Ok, "{calm:?}");
        assert_eq!(calm.evidence.warning_threshold, Some(0.0));
        assert_eq!(calm.evidence.critical_threshold, Some(1.0));
        assert_eq!(calm.evidence.values["max_too_busy_per_second"], 0.0);
        assert!(calm.evidence.store_ids.is_empty());
        // A few rejections: a warning naming the store.
        let some = scheduler_busy(input(&[sample(Some(1), 0.0), sample(Some(4), 0.2)]), &t);
        assert_eq!(some.status, CheckStatus::Warning, "{some:?}");
        assert_eq!(some.evidence.store_ids, vec![PdId(4)]);
        // Over one a second on one store: critical, naming only the stores over it.
        let many = scheduler_busy(
            input(&[
                sample(Some(1), 0.5),
                sample(Some(4), 12.5),
                sample(None, 3.0),
            ]),
            &t,
        );
        assert_eq!(many.status, CheckStatus::Critical, "{many:?}");
        assert_eq!(many.evidence.store_ids, vec![PdId(4)]);
        assert_eq!(many.evidence.names, vec!["tikv-99:20180".to_owned()]);
        assert_eq!(many.evidence.values["stores_over"], 2.0);
        assert_eq!(many.evidence.values["max_too_busy_per_second"], 12.5);
        // Exactly at a threshold is within it, as in TiKV's `> threshold` rules.
        assert_eq!(
            scheduler_busy(input(&[sample(Some(1), 1.0)]), &t).status,
            CheckStatus::Warning
        );
        // The series exist from TiKV's start (static counters): none at all is unknown.
        assert_eq!(scheduler_busy(input(&[]), &t).status, CheckStatus::Unknown);
        assert_eq!(scheduler_busy(NONE, &t).status, CheckStatus::Unknown);
        // Thresholds from the configuration.
        let lenient = CheckThresholds {
            scheduler_busy_warning: 1.0,
            scheduler_busy_critical: 20.0,
            ..t
        };
        assert_eq!(
            scheduler_busy(input(&[sample(Some(4), 12.5)]), &lenient).status,
            CheckStatus::Warning
        );
        assert_eq!(
            scheduler_busy(input(&[sample(Some(4), 0.5)]), &lenient).status,
            CheckStatus::Ok
        );
    }
}
