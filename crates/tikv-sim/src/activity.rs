//! What the simulated PD is doing at an instant, beyond the stores and regions: its schedulers
//! (an evict-leader scheduler that comes with each scale-in and lingers after it, a hot-region
//! scheduler paused for ten minutes of every cycle), the operators in flight, the progress of the
//! scale cycle's store, the GC and service safe points (GC every 10 minutes; a BR backup every
//! 30 minutes that holds GC back while it runs) and the stores' resolved timestamps. Every fact is
//! a pure function of the cluster and the instant, like the rest of the model.

use super::cluster::{SimCluster, SimStore};
use super::go_format::{GO_ZERO_TIME_STRING, go_duration, go_time_string};
use super::mix::{hash, hash2};
use super::regions::Moment;
use super::timeline::{SCALE_PERIOD, SCALE_TICK, SECOND, ScalePhase, SimStoreState};

const MINUTE: i64 = 60 * SECOND;
const SALT_OPERATOR: u64 = 400;
const SALT_BACKUP: u64 = 401;
const SALT_RESOLVED: u64 = 402;

/// PD's default schedulers, in the Go map order `/schedulers` lists them.
const DEFAULT_SCHEDULERS: [&str; 4] = [
    "balance-hot-region-scheduler",
    "evict-slow-store-scheduler",
    "balance-leader-scheduler",
    "balance-region-scheduler",
];
pub(crate) const EVICT_LEADER: &str = "evict-leader-scheduler";
const HOT_REGION: &str = "balance-hot-region-scheduler";
/// The hot-region scheduler is paused for this long at this offset of each scale cycle (or of
/// each 30 minutes after the epoch when the cycle is off).
const PAUSE_AT: i64 = 15 * MINUTE;
const PAUSE_FOR: i64 = 10 * MINUTE;

/// The schedulers at an instant.
pub(crate) struct Schedulers {
    /// Every scheduler, in `/schedulers` order.
    pub(crate) names: Vec<&'static str>,
    /// `(name, paused_at, resume_at)`, Unix seconds.
    pub(crate) paused: Vec<(&'static str, i64, i64)>,
    /// The store the evict-leader scheduler holds, when there is one.
    pub(crate) evict_leader_store: Option<u64>,
}

fn period_start(cluster: &SimCluster, now: i64) -> i64 {
    let timeline = &cluster.timeline;
    let period = SCALE_PERIOD.as_nanos() as i64;
    match timeline.scale_cycle(now) {
        Some(cycle) => timeline.scale_cycle_start(cycle),
        None => timeline.epoch_ns + (now - timeline.epoch_ns).div_euclid(period) * period,
    }
}

pub(crate) fn schedulers(cluster: &SimCluster, moment: &Moment) -> Schedulers {
    let now = moment.now_ns;
    let evict_leader_store = cluster.timeline.evict_leader_target(now).map(|(id, _)| id);
    let mut names = DEFAULT_SCHEDULERS.to_vec();
    if evict_leader_store.is_some() {
        names.insert(1, EVICT_LEADER);
    }
    let pause_from = period_start(cluster, now) + PAUSE_AT;
    let paused = if (pause_from..pause_from + PAUSE_FOR).contains(&now) {
        let at = pause_from.div_euclid(SECOND);
        vec![(HOT_REGION, at, at + PAUSE_FOR / SECOND)]
    } else {
        Vec::new()
    };
    Schedulers {
        names,
        paused,
        evict_leader_store,
    }
}

/// PD's progress of one store (`/stores/progress?id=`), in PD's units: region size in MiB per
/// second, seconds left (`f64::MAX` when nothing moves).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Progress {
    pub(crate) action: &'static str,
    pub(crate) store_id: u64,
    pub(crate) progress: f64,
    pub(crate) current_speed: f64,
    pub(crate) left_seconds: f64,
}

/// The scale cycle's store region size (MiB) at `t`.
fn scale_size_mib(cluster: &SimCluster, cycle: i64, t: i64) -> f64 {
    let Some(x) = cluster.timeline.scale_store(cycle, t) else {
        return 0.0;
    };
    let (target, avg) = cluster.scale_target(cycle);
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_sign_loss,
        clippy::cast_possible_truncation
    )]
    let regions = (target as f64 * x.share).round();
    regions * avg as f64
}

/// `pkg/progress`: the speed over a window of at most `window` samples on the 10 s grid starting
/// at `first`, at the last sample at or before `now`.
fn windowed(
    cluster: &SimCluster,
    cycle: i64,
    first: i64,
    now: i64,
    window: i64,
    increasing: bool,
) -> (f64, f64) {
    let j = (now - first).div_euclid(SCALE_TICK);
    let at = |k: i64| first + k * SCALE_TICK;
    let current = scale_size_mib(cluster, cycle, at(j));
    if j == 0 {
        return (current, 0.0);
    }
    let front = (j - (window - 1)).max(0);
    let front_size = scale_size_mib(cluster, cycle, at(front));
    let span = ((j - front) * SCALE_TICK) as f64 / SECOND as f64;
    let moved = if increasing {
        current - front_size
    } else {
        front_size - current
    };
    (current, (moved / span).max(0.0))
}

/// The progress PD tracks for store `id` at `moment`: the scale cycle's store while it is
/// preparing or being removed.
pub(crate) fn progress(cluster: &SimCluster, moment: &Moment, id: u64) -> Option<Progress> {
    let now = moment.now_ns;
    let timeline = &cluster.timeline;
    let cycle = timeline.scale_cycle(now)?;
    let x = timeline.scale_store(cycle, now)?;
    if x.id != id {
        return None;
    }
    let start = timeline.scale_cycle_start(cycle);
    let (target, avg) = cluster.scale_target(cycle);
    #[allow(clippy::cast_precision_loss)]
    let threshold = (target * avg) as f64;
    let left = |remaining: f64, speed: f64| {
        let left = remaining / speed;
        if left.is_finite() { left } else { f64::MAX }
    };
    match x.phase {
        ScalePhase::Preparing if x.share < 1.0 => {
            // PD adds it at its first store check (10 s after registration); window 60 samples.
            let first = start + SCALE_TICK;
            if now < first {
                return None;
            }
            let (current, speed) = windowed(cluster, cycle, first, now, 60, true);
            let remaining = (threshold - current).max(0.0);
            Some(Progress {
                action: "preparing",
                store_id: id,
                progress: if threshold > 0.0 {
                    1.0 - remaining / threshold
                } else {
                    1.0
                },
                current_speed: speed,
                left_seconds: left(remaining, speed),
            })
        }
        ScalePhase::Removing => {
            // Added at the first store check after the scale-in; window: 10 minutes, 61 samples.
            let first = x.removal_at_ns? + SCALE_TICK;
            if now < first {
                return None;
            }
            let total = scale_size_mib(cluster, cycle, first);
            let (current, speed) = windowed(cluster, cycle, first, now, 61, false);
            Some(Progress {
                action: "removing",
                store_id: id,
                progress: if total > 0.0 {
                    1.0 - current / total
                } else {
                    1.0
                },
                current_speed: speed,
                left_seconds: left(current, speed),
            })
        }
        _ => None,
    }
}

/// The operators in flight, as PD's `Operator.String()` texts.
pub(crate) fn operators(cluster: &SimCluster, moment: &Moment, stores: &[SimStore]) -> Vec<String> {
    let now = moment.now_ns;
    let seed = cluster.config().seed;
    let monotonic = |t: i64| t - cluster.pd_start_timestamp() * SECOND;
    let count = cluster.region_model.region_count_at(moment);
    let mut out = Vec::new();
    if count == 0 {
        return out;
    }
    let region_at = |salt: u64, slot: i64| {
        let index = hash2(seed, SALT_OPERATOR, salt, slot as u64) % count;
        cluster.region_model.region_at_moment(index, moment)
    };
    let up = |id: u64| {
        stores
            .iter()
            .any(|s| s.id == id && s.state == SimStoreState::Up)
    };
    let text = |desc: &str,
                brief: &str,
                kind: &str,
                region: &super::regions::SimRegion,
                created: i64,
                started: Option<i64>,
                step: usize,
                steps: &[String],
                timeout_ns: i64| {
        let steps: Vec<String> = steps
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{i}:{{{s}}}"))
            .collect();
        format!(
            "{desc} {{{brief}}} (kind:{kind}, region:{}({}, {}), createAt:{}, startAt:{}, currentStep:{step}, size:{}, steps:[{}], timeout:[{}])",
            region.id,
            region.version,
            region.conf_ver,
            go_time_string(created, Some(monotonic(created))),
            started.map_or_else(
                || GO_ZERO_TIME_STRING.to_owned(),
                |t| go_time_string(t, Some(monotonic(t)))
            ),
            region.approximate_size,
            steps.join(", "),
            go_duration(timeout_ns),
        )
    };
    #[allow(clippy::cast_possible_wrap)]
    let fast = |size: u64| (((size as f64) * 0.6) as i64).max(60) * SECOND;
    #[allow(clippy::cast_possible_wrap)]
    let slow = |size: u64| ((size as i64) * 6).max(600) * SECOND;

    // balance-leader: a leader transfer every 15 s, in flight for 3 s.
    let window = 15 * SECOND;
    let w = now.div_euclid(window);
    let created =
        w * window + 2 * SECOND + (hash2(seed, SALT_OPERATOR, 1, w as u64) % 900_000_000) as i64;
    if now >= created
        && now < created + 3 * SECOND
        && let Some(region) = region_at(2, w)
    {
        let from = region.leader.map(|l| l.store_id);
        let to = region
            .peers()
            .iter()
            .map(|p| p.store_id)
            .find(|s| Some(*s) != from && up(*s));
        if let (Some(from), Some(to)) = (from, to) {
            let started = created + 104_117;
            out.push(text(
                "balance-leader",
                &format!("transfer leader: store {from} to {to}"),
                "leader",
                &region,
                created,
                Some(started),
                0,
                &[format!("transfer leader from store {from} to store {to}")],
                fast(region.approximate_size),
            ));
        }
    }

    // The scale cycle's store: a peer move per store check while its regions move.
    let timeline = &cluster.timeline;
    if let Some(cycle) = timeline.scale_cycle(now)
        && let Some(x) = timeline.scale_store(cycle, now)
    {
        let tick = now.div_euclid(SCALE_TICK);
        let created = tick * SCALE_TICK + 400 * 1_000_000;
        let moving = match x.phase {
            ScalePhase::Preparing => x.share < 1.0,
            ScalePhase::Removing => x.share > 0.0,
            _ => false,
        } && !timeline.scale_blocked(now);
        if moving
            && now >= created
            && let Some(region) = region_at(3, tick)
        {
            let other = region.peers()[0];
            let new_peer = 8 * count + 2 + (hash2(seed, SALT_OPERATOR, 4, tick as u64) % 4096) * 8;
            let (desc, kind, from, to, old_peer) = if x.phase == ScalePhase::Preparing {
                ("balance-region", "region", other.store_id, x.id, other.id)
            } else {
                (
                    "replace-offline-replica",
                    "replica,region",
                    x.id,
                    other.store_id,
                    other.id + 4,
                )
            };
            let step = usize::try_from(((now - created) / (2 * SECOND)).min(3)).unwrap_or(0);
            let steps = [
                format!("add learner peer {new_peer} on store {to}"),
                format!(
                    "use joint consensus, promote learner peer {new_peer} on store {to} to voter, demote voter peer {old_peer} on store {from} to learner"
                ),
                format!(
                    "leave joint state, promote learner peer {new_peer} on store {to} to voter, demote voter peer {old_peer} on store {from} to learner"
                ),
                format!("remove peer on store {from}"),
            ];
            let size = region.approximate_size;
            out.push(text(
                desc,
                &format!("mv peer: store [{from}] to [{to}]"),
                kind,
                &region,
                created,
                Some(created + 40_315),
                step,
                &steps,
                slow(size) + 7 * fast(size),
            ));
        }
        // The evict-leader scheduler's first round, just after the scale-in.
        if let Some(at) = x.removal_at_ns
            && x.phase == ScalePhase::Removing
            && now >= at
            && now < at + 8 * SECOND
            && let Some(region) = region_at(5, at / SECOND)
        {
            let targets: Vec<u64> = region.peers().iter().map(|p| p.store_id).collect();
            let list = targets
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(" ");
            let to = targets.first().copied().unwrap_or(0);
            let created = at + 1_200_000;
            out.push(text(
                EVICT_LEADER,
                &format!(
                    "evict leader: from store {} to one in [{list}], or to {to} (for compatibility)",
                    x.id
                ),
                "leader",
                &region,
                created,
                Some(created + 98_011),
                0,
                &[format!("transfer leader from store {} to store {to}", x.id)],
                fast(region.approximate_size),
            ));
        }
    }
    out
}

/// A service safe point: `(service id, expired_at Unix seconds, safe point TSO)`.
pub(crate) type ServiceSafePoint = (String, i64, u64);

/// GC and service safe points at an instant.
pub(crate) struct SafePoints {
    /// In etcd key order (by service id).
    pub(crate) services: Vec<ServiceSafePoint>,
    pub(crate) gc_safe_point: u64,
    /// The smallest unexpired service safe point, 0 when none.
    pub(crate) min_service: u64,
}

fn tso_at(nanos: i64, logical: u64) -> u64 {
    let ms = nanos.div_euclid(1_000_000).max(0) as u64;
    (ms << 18) | (logical & ((1 << 18) - 1))
}

/// GC runs every 10 minutes (37 s into each, before the epoch too) with a 10-minute life time; a
/// BR backup starts 5 minutes into every half hour, runs 14 minutes renewing its 5-minute service safe point
/// every minute, and so holds GC back for its last minutes. Expired service safe points are
/// dropped at the next GC run.
pub(crate) fn safe_points(cluster: &SimCluster, now: i64) -> SafePoints {
    let seed = cluster.config().seed;
    let epoch = cluster.timeline.epoch_ns;
    let gc_every = 10 * MINUTE;
    let life = 10 * MINUTE;
    let run_at = |k: i64| epoch + k * gc_every + 37 * SECOND;
    let last_run = (now - run_at(0)).div_euclid(gc_every);
    let next_run_after = |t: i64| run_at((t - run_at(0)).div_euclid(gc_every) + 1);

    let backup_every = 30 * MINUTE;
    let backup_start = |b: i64| epoch + b * backup_every + 5 * MINUTE;
    let backup_expiry = |b: i64, t: i64| {
        let start = backup_start(b);
        let last_refresh =
            start + ((t.min(start + 14 * MINUTE) - start).div_euclid(MINUTE)) * MINUTE;
        (last_refresh + 5 * MINUTE).div_euclid(SECOND)
    };
    let backup_id = |b: i64| {
        let h = hash(seed, SALT_BACKUP, b as u64);
        let g = hash(seed, SALT_BACKUP + 1, b as u64);
        format!(
            "br-{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            h >> 32,
            (h >> 16) & 0xffff,
            h & 0xfff,
            0x8000 | (g >> 48) & 0x3fff,
            g & 0xffff_ffff_ffff
        )
    };
    let backup_tso = |b: i64| {
        tso_at(
            backup_start(b) - 2 * SECOND,
            hash(seed, SALT_BACKUP + 2, b as u64) % 64,
        )
    };
    // The backups that exist at `t` (started, not yet dropped): the current and the previous.
    let backups_at = |t: i64| {
        let current = (t - backup_start(0)).div_euclid(backup_every);
        [current - 1, current]
            .into_iter()
            .filter(move |&b| backup_start(b) <= t)
            .filter(move |&b| {
                let expiry = backup_expiry(b, t) * SECOND;
                t < expiry || t < next_run_after(expiry)
            })
    };

    // The cluster ran before the epoch: so did GC.
    let at = run_at(last_run);
    let worker = tso_at(at - life, 0);
    let held = backups_at(at)
        .filter(|&b| backup_expiry(b, at) * SECOND > at)
        .map(backup_tso)
        .min();
    let gc_safe_point = held.map_or(worker, |h| h.min(worker));
    let mut services: Vec<ServiceSafePoint> = vec![("gc_worker".to_owned(), i64::MAX, worker)];
    for b in backups_at(now) {
        services.push((backup_id(b), backup_expiry(b, now), backup_tso(b)));
    }
    services.sort_by(|a, b| a.0.cmp(&b.0));
    let now_secs = now.div_euclid(SECOND);
    let min_service = services
        .iter()
        .filter(|s| s.1 > now_secs)
        .map(|s| s.2)
        .min()
        .unwrap_or(0);
    SafePoints {
        services,
        gc_safe_point,
        min_service,
    }
}

/// How far behind now a store's resolved ts is at `t`, in ns: 1.2 s ± 0.8 s, changing slowly
/// enough that the resolved ts never goes back.
fn resolved_lag(seed: u64, store: u64, t: i64) -> i64 {
    let phase = (hash(seed, SALT_RESOLVED, store) % 1000) as f64 / 1000.0;
    let x = t as f64 / (47.0 * SECOND as f64) + phase;
    ((1.2 + 0.8 * (std::f64::consts::TAU * x).sin()) * SECOND as f64) as i64
}

/// The resolved ts PD has for each store (`u64::MAX` for those it ignores: tombstones, TiFlash,
/// stores leading no region) and the cluster's, recomputed every second.
pub(crate) fn resolved_ts(
    cluster: &SimCluster,
    now: i64,
    stores: &[SimStore],
) -> (u64, Vec<(u64, u64)>) {
    let seed = cluster.config().seed;
    let tick = now.div_euclid(SECOND) * SECOND;
    let mut per_store: Vec<(u64, u64)> = stores
        .iter()
        .map(|s| {
            let available = s.state != SimStoreState::Tombstone && s.leader_count != 0;
            let value = if available {
                let at = tick - resolved_lag(seed, s.id, tick);
                tso_at(at, hash2(seed, SALT_RESOLVED, s.id, tick as u64) % 16)
            } else {
                u64::MAX
            };
            (s.id, value)
        })
        .collect();
    per_store.sort_by_key(|(id, _)| *id);
    // Every store's lag is at most 2 s: the cluster's is `tick - 2 s`, which never goes back.
    let cluster_ts = tso_at(tick - 2 * SECOND, 0);
    (cluster_ts, per_store)
}

/// The evict-leader scheduler's configuration (`/scheduler-config/evict-leader-scheduler/list`).
pub(crate) const EVICT_LEADER_BATCH: u64 = 3;
/// The evict-slow-store scheduler's recovery gap, seconds.
pub(crate) const RECOVERY_DURATION: u64 = 600;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::SimConfig;

    fn cluster(scale: bool) -> SimCluster {
        SimCluster::new(SimConfig {
            scale_cycle: scale,
            ..SimConfig::default()
        })
    }

    #[test]
    fn removal_progress_rises_to_one_and_the_eta_shrinks() {
        let c = cluster(true);
        let epoch = c.timeline.epoch_ns;
        // Cycle 0 starts 12 minutes before the epoch; its scale-in at 10:00 of the cycle.
        let x_id = crate::timeline::SCALE_ID_BASE;
        let mut last_progress = -1.0;
        let mut etas = Vec::new();
        for s in (-100..700).step_by(10) {
            let moment = c.moment_at_ns(epoch + s * SECOND + 5 * SECOND);
            if let Some(p) = progress(&c, &moment, x_id) {
                assert_eq!(p.action, "removing");
                assert!(p.progress >= last_progress, "t = {s}: {p:?}");
                last_progress = p.progress;
                if p.left_seconds < f64::MAX {
                    etas.push(p.left_seconds);
                }
            }
        }
        assert!(
            (last_progress - 1.0).abs() < 1e-9,
            "it finished: {last_progress}"
        );
        assert!(etas.len() > 5);
        assert!(etas.last().unwrap() < &etas[0], "{etas:?}");
    }

    #[test]
    fn safe_points_advance_and_a_backup_lags() {
        let c = cluster(false);
        let epoch = c.timeline.epoch_ns;
        let at = |m: i64| safe_points(&c, epoch + m * MINUTE);
        let early = at(11);
        let later = at(31);
        assert!(later.gc_safe_point > early.gc_safe_point);
        // At 21 minutes the backup started at 5:00 is older than what the GC run at 20:37 wanted
        // (10:37): it holds the GC safe point at its own.
        let held = at(21);
        let backup = held
            .services
            .iter()
            .find(|s| s.0.starts_with("br-"))
            .unwrap();
        assert!(backup.2 < held.services.iter().find(|s| s.0 == "gc_worker").unwrap().2);
        assert_eq!(held.min_service, backup.2);
        assert_eq!(held.gc_safe_point, backup.2);
        // Long after the backup ended (19:00) and expired (24:00), the next run (30:37) drops it.
        assert!(
            at(31)
                .services
                .iter()
                .all(|s| !s.0.starts_with("br-") || s.2 != backup.2)
        );
        for s in &held.services {
            assert!(s.2 > 0);
        }
    }
}
