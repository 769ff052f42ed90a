//! The scenario's knobs and the stores' lives through time, before any region: when each TiKV
//! process started, when it heartbeats, the last store's outage cycle, what PD calls a store after
//! a silence, and the cluster's load curve. Regions and PD's store view are both derived from this,
//! so it depends on nothing but the seeded hashing.

use std::time::Duration;

use jiff::Timestamp;

use super::mix::hash;

/// Scenario knobs. Everything else (ids, keys, sizes, load) is derived from `seed`.
#[derive(Clone, Debug, PartialEq)]
pub struct SimConfig {
    /// TiKV stores serving data, 3 to 1024 (values outside are clamped). A permanent tombstone
    /// store is added on top.
    pub stores: usize,
    /// Regions at `epoch` (at least 1). Splits add more over time.
    pub regions: u64,
    pub seed: u64,
    /// t = 0 of the scenario: splits, store outages and learner changes start here. Stores have
    /// been up for a week at this point.
    pub epoch: Timestamp,
    /// PD's `max-store-down-time`: how long a store may miss heartbeats before it is `Down`
    /// rather than `Disconnected`. PD's default is 30m; the demo uses 90s so the cycle is short.
    pub max_store_down_time: Duration,
    /// One region split (in the hot table) every this long after `epoch`.
    pub split_interval: Duration,
    /// Splits stop after this many, so the region count is capped at `regions + max_splits`.
    pub max_splits: u64,
    /// Run the scale cycle (see [`SCALE_PERIOD`]): every 30 minutes a new store joins, serves,
    /// is scaled in and becomes a tombstone. Off by default; `tikv-lens demo` turns it on.
    pub scale_cycle: bool,
}

impl SimConfig {
    /// A scenario with the default timings (90 s to Down, a split a minute, at most 10,000).
    pub fn new(stores: usize, regions: u64, seed: u64, epoch: Timestamp) -> Self {
        Self {
            stores,
            regions,
            seed,
            epoch,
            ..Self::default()
        }
    }

    /// The knobs clamped to what the model supports; every layer is built from these.
    fn normalized(mut self) -> Self {
        self.stores = self.stores.clamp(3, 1024);
        self.regions = self.regions.clamp(1, 1 << 40);
        self.split_interval = self.split_interval.max(Duration::from_secs(1));
        self.max_splits = self.max_splits.min(1 << 32);
        self
    }

    pub(crate) fn max_down_ns(&self) -> i64 {
        i64::try_from(self.max_store_down_time.as_nanos()).unwrap_or(i64::MAX)
    }

    pub(crate) fn split_interval_ns(&self) -> i64 {
        i64::try_from(self.split_interval.as_nanos()).unwrap_or(i64::MAX)
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            stores: 3,
            regions: 100,
            seed: 0,
            epoch: Timestamp::constant(1_741_593_600, 0),
            max_store_down_time: Duration::from_secs(90),
            split_interval: Duration::from_secs(60),
            max_splits: 10_000,
            scale_cycle: false,
        }
    }
}

pub(crate) const SECOND: i64 = 1_000_000_000;
const MIB: u64 = 1 << 20;

/// Stores report to PD every 10 s.
const STORE_HEARTBEAT: i64 = 10 * SECOND;
/// PD shows an Up store as Disconnected after 20 s without a heartbeat.
const DISCONNECTED_AFTER: i64 = 20 * SECOND;
/// The outage cycle of the last store: it stops at 2:00 and restarts at 8:00 of every 10 minutes.
pub const OUTAGE_PERIOD: Duration = Duration::from_secs(600);
pub const OUTAGE_STOP_AT: Duration = Duration::from_secs(120);
pub const OUTAGE_RESTART_AT: Duration = Duration::from_secs(480);
/// Stores were started this long before `epoch`.
const STORE_AGE: i64 = 7 * 86_400 * SECOND;

// Hash salts: one per derived fact, so facts are independent. `cluster` has 1, 2, 5 and 6,
// `regions` 20 to 29, `metrics` 300 on (and a copy of `SALT_SPIKE`).
/// A store's heartbeat phase and disk jitter (with `1000 + index`); `cluster` also hashes the
/// plain index with it for the slow-trend value.
pub(crate) const SALT_STORE: u64 = 3;
/// Which minute of each hour the load spike starts at.
const SALT_SPIKE: u64 = 4;

/// The scale cycle: every `SCALE_PERIOD` a new store registers (preparing: regions move onto it),
/// serves, is scaled in (offline: its regions move away, an evict-leader scheduler holds it) and
/// becomes a tombstone. Cycle `k` starts at `epoch + SCALE_PHASE + k · SCALE_PERIOD`; the phase puts
/// the first removal two minutes before `epoch`, so a fresh demo shows one under way.
pub const SCALE_PERIOD: Duration = Duration::from_secs(1800);
const SCALE_PHASE: i64 = -720 * SECOND;
/// PD checks stores (and updates progress) every 10 s; region moves show on the same grid.
pub(crate) const SCALE_TICK: i64 = 10 * SECOND;
/// Offsets within a cycle: region moves onto the store begin, the scale-in is asked for, region
/// moves off it begin.
const PREPARE_START: i64 = 10 * SECOND;
const REMOVE_AT: i64 = 600 * SECOND;
const REMOVE_START: i64 = 610 * SECOND;
/// Unblocked time the moves take (they stall while a replica has nowhere to go).
const PREPARE_WORK: i64 = 240 * SECOND;
const REMOVE_WORK: i64 = 360 * SECOND;
/// The evict-leader scheduler added for a store at its scale-in is removed this long after the
/// next cycle starts: until then it holds a tombstone (a leftover, as operators forget them).
const EVICT_LEADER_LINGERS: i64 = 120 * SECOND;
/// Store ids of the scale cycle: `SCALE_ID_BASE + cycle`, above any other store id.
pub const SCALE_ID_BASE: u64 = 2000;

/// Where the scale cycle's store is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalePhase {
    /// Up, `node_state` Preparing: regions move onto it.
    Preparing,
    /// Up, Serving.
    Serving,
    /// Offline, Removing: its regions move away.
    Removing,
    /// Tombstone, Removed.
    Removed,
}

/// The scale cycle's store of one cycle, at one instant.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ScaleStore {
    pub(crate) cycle: i64,
    pub(crate) id: u64,
    /// Unix seconds its process started.
    pub(crate) start_secs: i64,
    pub(crate) last_heartbeat_ns: i64,
    pub(crate) phase: ScalePhase,
    /// Share of its target regions it holds, 0 to 1, as of the last tick.
    pub(crate) share: f64,
    /// When its scale-in was asked for (its evict-leader scheduler's start), if it has been.
    pub(crate) removal_at_ns: Option<i64>,
}

/// PD's view of a store's state (`state_name`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SimStoreState {
    Up,
    /// Being removed (scale-in).
    Offline,
    /// More than 20 s since the last heartbeat.
    Disconnected,
    /// More than `max_store_down_time` since the last heartbeat.
    Down,
    Tombstone,
}

impl SimStoreState {
    /// PD's `state_name`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Up => "Up",
            Self::Offline => "Offline",
            Self::Disconnected => "Disconnected",
            Self::Down => "Down",
            Self::Tombstone => "Tombstone",
        }
    }
}

/// The store id PD assigns to `tikv-<index>`: 1, 4, 5, 6, … (deliberately not index + 1).
pub fn store_id(index: usize) -> u64 {
    if index == 0 { 1 } else { index as u64 + 3 }
}

/// The inverse of [`store_id`].
pub(crate) fn store_index(id: u64) -> Option<usize> {
    match id {
        1 => Some(0),
        0 | 2 | 3 => None,
        id => usize::try_from(id - 3).ok(),
    }
}

/// The static part of a TiKV store.
#[derive(Clone, Debug)]
pub(crate) struct StoreSpec {
    pub(crate) index: usize,
    pub(crate) id: u64,
    /// Unix seconds the first process started.
    pub(crate) start_secs: i64,
    /// Heartbeats arrive at `start + offset + k·10s`.
    pub(crate) heartbeat_offset: i64,
    /// Bytes on disk besides the regions' data.
    pub(crate) used_jitter: u64,
}

impl StoreSpec {
    /// The last heartbeat at or before `now` of the store's first process (0 if none yet); the
    /// flapping store's later processes are on other grids, see [`Timeline::flapping_store`].
    pub(crate) fn first_process_heartbeat(&self, now: i64) -> i64 {
        heartbeat_before(self.start_secs * SECOND + self.heartbeat_offset, now)
    }
}

fn store_spec(seed: u64, index: usize, start_secs: i64) -> StoreSpec {
    let h = hash(seed, SALT_STORE, 1000 + index as u64);
    StoreSpec {
        index,
        id: store_id(index),
        start_secs,
        heartbeat_offset: SECOND + (h % (8 * SECOND as u64)) as i64,
        used_jitter: (h >> 20) % (64 * MIB),
    }
}

/// The flapping store at one moment.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FlappingStore {
    pub(crate) index: usize,
    pub(crate) start_secs: i64,
    pub(crate) last_heartbeat_ns: i64,
    /// The TiKV process is running.
    pub(crate) alive: bool,
    /// PD calls it Disconnected or Down.
    pub(crate) not_up: bool,
    pub(crate) is_down: bool,
    pub(crate) down_seconds: u64,
}

/// The stores of a configuration and their schedule. Built once; every question is then a pure
/// function of an instant.
#[derive(Clone, Debug)]
pub(crate) struct Timeline {
    /// The normalized configuration.
    pub(crate) cfg: SimConfig,
    pub(crate) epoch_ns: i64,
    /// Unix seconds `tikv-0` started; `tikv-<i>` started `i` seconds later.
    pub(crate) first_start_secs: i64,
    /// The live stores, by index.
    pub(crate) stores: Vec<StoreSpec>,
    pub(crate) tombstone: StoreSpec,
}

impl Timeline {
    pub(crate) fn new(cfg: SimConfig) -> Self {
        let cfg = cfg.normalized();
        let seed = cfg.seed;
        let epoch_ns = to_ns(cfg.epoch);
        let epoch_secs = epoch_ns.div_euclid(SECOND);
        let first_start_secs = epoch_secs - STORE_AGE / SECOND + 1;
        let stores = (0..cfg.stores)
            .map(|index| store_spec(seed, index, first_start_secs + index as i64))
            .collect();
        let tombstone = store_spec(seed, cfg.stores, first_start_secs - 19 * 86_400 + 3_600);
        Self {
            cfg,
            epoch_ns,
            first_start_secs,
            stores,
            tombstone,
        }
    }

    /// The index of the store that goes through the outage cycle: the last TiKV store.
    pub(crate) fn flapping_store_index(&self) -> usize {
        self.stores.len() - 1
    }

    /// The outage cycle `now` falls in, if the scenario has started.
    pub(crate) fn outage_cycle(&self, now: i64) -> Option<i64> {
        let t = now.saturating_sub(self.epoch_ns);
        (t >= 0).then(|| t / OUTAGE_PERIOD.as_nanos() as i64)
    }

    /// When the flapping store's process stops in outage cycle `cycle`.
    pub(crate) fn outage_stop_at(&self, cycle: i64) -> i64 {
        self.epoch_ns + cycle * OUTAGE_PERIOD.as_nanos() as i64 + OUTAGE_STOP_AT.as_nanos() as i64
    }

    /// Unix seconds the flapping store's process restarts in outage cycle `cycle`.
    fn restart_secs(&self, cycle: i64) -> i64 {
        let restart = OUTAGE_RESTART_AT.as_nanos() as i64;
        (self.epoch_ns + cycle * OUTAGE_PERIOD.as_nanos() as i64 + restart).div_euclid(SECOND)
    }

    /// The first heartbeat of the process restarted in outage cycle `cycle`, which starts its
    /// heartbeat grid: PD hears from the store again at this instant.
    pub(crate) fn restarted_heartbeat_base(&self, cycle: i64) -> i64 {
        let spec = &self.stores[self.flapping_store_index()];
        self.restart_secs(cycle) * SECOND + spec.heartbeat_offset
    }

    /// The flapping store at `now` (see `OUTAGE_*`): its process start, last heartbeat, and what
    /// PD calls it.
    pub(crate) fn flapping_store(&self, now: i64) -> FlappingStore {
        let index = self.flapping_store_index();
        let spec = &self.stores[index];
        let original_base = spec.start_secs * SECOND + spec.heartbeat_offset;
        let (start_secs, last_heartbeat_ns, alive) = match self.outage_cycle(now) {
            None => (spec.start_secs, heartbeat_before(original_base, now), true),
            Some(cycle) => {
                let offset = now.saturating_sub(self.epoch_ns) % OUTAGE_PERIOD.as_nanos() as i64;
                let (previous_start, previous_base) = if cycle == 0 {
                    (spec.start_secs, original_base)
                } else {
                    (
                        self.restart_secs(cycle - 1),
                        self.restarted_heartbeat_base(cycle - 1),
                    )
                };
                if offset < OUTAGE_STOP_AT.as_nanos() as i64 {
                    (previous_start, heartbeat_before(previous_base, now), true)
                } else if now < self.restarted_heartbeat_base(cycle) {
                    (
                        previous_start,
                        heartbeat_before(previous_base, self.outage_stop_at(cycle)),
                        false,
                    )
                } else {
                    (
                        self.restart_secs(cycle),
                        heartbeat_before(self.restarted_heartbeat_base(cycle), now),
                        true,
                    )
                }
            }
        };
        let state = store_state(now, last_heartbeat_ns, self.cfg.max_down_ns());
        let silent = now.saturating_sub(last_heartbeat_ns);
        let down = FlappingStore {
            index,
            start_secs,
            last_heartbeat_ns,
            alive,
            not_up: state != SimStoreState::Up,
            is_down: state == SimStoreState::Down,
            down_seconds: (silent.max(0) / SECOND) as u64,
        };
        debug_assert!(!down.not_up || silent > DISCONNECTED_AFTER);
        down
    }
}

impl Timeline {
    pub(crate) fn scale_cycle_start(&self, cycle: i64) -> i64 {
        self.epoch_ns + SCALE_PHASE + cycle * SCALE_PERIOD.as_nanos() as i64
    }

    /// The scale cycle `now` falls in (`None` when the cycle is off or before the first).
    pub(crate) fn scale_cycle(&self, now: i64) -> Option<i64> {
        if !self.cfg.scale_cycle {
            return None;
        }
        let since = now.saturating_sub(self.scale_cycle_start(0));
        (since >= 0).then(|| since / SCALE_PERIOD.as_nanos() as i64)
    }

    /// Whether region moves of the scale cycle stall at `t`: with three stores and one of them
    /// not up, a region with replicas on both other stores has nowhere to put its third.
    pub(crate) fn scale_blocked(&self, t: i64) -> bool {
        self.stores.len() < 4 && self.flapping_store(t).not_up
    }

    /// The last tick at or before `t` of a grid starting at `from`.
    fn tick_before(from: i64, t: i64) -> i64 {
        from + (t - from).div_euclid(SCALE_TICK) * SCALE_TICK
    }

    /// Unblocked ticks from `from` (exclusive) to the last tick at or before `to`.
    fn work_ticks(&self, from: i64, to: i64) -> i64 {
        if to <= from {
            return 0;
        }
        let last = Self::tick_before(from, to);
        let mut ticks = 0;
        let mut t = from + SCALE_TICK;
        while t <= last {
            if !self.scale_blocked(t) {
                ticks += 1;
            }
            t += SCALE_TICK;
        }
        ticks
    }

    /// When `ticks` unblocked ticks after `from` are done (bounded: a stall lasts under 6 min).
    fn work_done_at(&self, from: i64, ticks: i64) -> i64 {
        let mut done = 0;
        let mut t = from;
        let limit = from + SCALE_PERIOD.as_nanos() as i64;
        while done < ticks && t < limit {
            t += SCALE_TICK;
            if !self.scale_blocked(t) {
                done += 1;
            }
        }
        t
    }

    /// The scale cycle's store of `cycle` at `now`, if it has registered by then.
    pub(crate) fn scale_store(&self, cycle: i64, now: i64) -> Option<ScaleStore> {
        if !self.cfg.scale_cycle || cycle < 0 {
            return None;
        }
        let start = self.scale_cycle_start(cycle);
        if now < start {
            return None;
        }
        let prepare_from = start + PREPARE_START;
        let prepare_ticks = PREPARE_WORK / SCALE_TICK;
        let prepared_at = self.work_done_at(prepare_from, prepare_ticks);
        let serving_at = prepared_at + SCALE_TICK;
        let removal_at = start + REMOVE_AT;
        let remove_from = start + REMOVE_START;
        let remove_ticks = REMOVE_WORK / SCALE_TICK;
        let removed_at = self.work_done_at(remove_from, remove_ticks) + SCALE_TICK;
        let curve = |x: f64| (1.0 - (std::f64::consts::PI * x.clamp(0.0, 1.0)).cos()) / 2.0;
        let (phase, share) = if now < serving_at.min(removal_at) {
            let done = self.work_ticks(prepare_from, now).min(prepare_ticks);
            (
                ScalePhase::Preparing,
                curve(done as f64 / prepare_ticks as f64),
            )
        } else if now < removal_at {
            (ScalePhase::Serving, 1.0)
        } else if now < removed_at {
            let done = self.work_ticks(remove_from, now).min(remove_ticks);
            (
                ScalePhase::Removing,
                1.0 - curve(done as f64 / remove_ticks as f64),
            )
        } else {
            (ScalePhase::Removed, 0.0)
        };
        let start_secs = start.div_euclid(SECOND) + 1;
        let heartbeat_base = start_secs * SECOND + 3 * SECOND;
        let heartbeat_until = if phase == ScalePhase::Removed {
            removed_at
        } else {
            now
        };
        Some(ScaleStore {
            cycle,
            id: SCALE_ID_BASE + cycle as u64,
            start_secs,
            last_heartbeat_ns: heartbeat_before(heartbeat_base, heartbeat_until),
            phase,
            share,
            removal_at_ns: (now >= removal_at).then_some(removal_at),
        })
    }

    /// The store the scale cycle's evict-leader scheduler holds at `now`, and since when: the
    /// current cycle's store from its scale-in on, or the previous cycle's (a tombstone) until
    /// the leftover is removed.
    pub(crate) fn evict_leader_target(&self, now: i64) -> Option<(u64, i64)> {
        let cycle = self.scale_cycle(now)?;
        if let Some(at) = self.scale_store(cycle, now).and_then(|s| s.removal_at_ns) {
            return Some((SCALE_ID_BASE + cycle as u64, at));
        }
        let start = self.scale_cycle_start(cycle);
        if cycle >= 1 && now < start + EVICT_LEADER_LINGERS {
            let previous = self.scale_store(cycle - 1, now)?;
            return previous.removal_at_ns.map(|at| (previous.id, at));
        }
        None
    }
}

/// The cluster's load at `at_ns` relative to its average: a daily sine (0.5 at midnight UTC, 1.5
/// at noon) times short spikes (up to 2.5×, 3 minutes, once an hour at a seeded minute).
pub(crate) fn load_at(seed: u64, at_ns: i64) -> f64 {
    const DAY: i64 = 86_400 * SECOND;
    const HOUR: i64 = 3_600 * SECOND;
    let of_day = at_ns.rem_euclid(DAY) as f64 / DAY as f64;
    let daily = 1.0 + 0.5 * (std::f64::consts::TAU * (of_day - 0.25)).sin();
    let hour = at_ns.div_euclid(HOUR);
    let spike_start = (hash(seed, SALT_SPIKE, hour as u64) % 56) as f64;
    let minute = at_ns.rem_euclid(HOUR) as f64 / (60 * SECOND) as f64;
    let into = minute - spike_start;
    let spike = if (0.0..3.0).contains(&into) {
        1.5 * (std::f64::consts::PI * into / 3.0).sin()
    } else {
        0.0
    };
    daily * (1.0 + spike)
}

/// Instants are kept as i64 nanoseconds, clamped to about ±126 years around 1970 so that the
/// scenario arithmetic can never overflow.
pub(crate) fn to_ns(ts: Timestamp) -> i64 {
    const LIMIT: i128 = 4_000_000_000_000_000_000;
    ts.as_nanosecond().clamp(-LIMIT, LIMIT) as i64
}

/// The last point of the heartbeat grid `base + k·10s` at or before `now` (0 if none yet).
fn heartbeat_before(base: i64, now: i64) -> i64 {
    if now < base {
        0
    } else {
        base + (now - base) / STORE_HEARTBEAT * STORE_HEARTBEAT
    }
}

pub(crate) fn store_state(now: i64, last_heartbeat: i64, max_down: i64) -> SimStoreState {
    let silent = now.saturating_sub(last_heartbeat);
    if silent > max_down {
        SimStoreState::Down
    } else if silent > DISCONNECTED_AFTER {
        SimStoreState::Disconnected
    } else {
        SimStoreState::Up
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_ids_skip_two_and_three() {
        assert_eq!((0..4).map(store_id).collect::<Vec<_>>(), vec![1, 4, 5, 6]);
        assert_eq!(store_index(1), Some(0));
        assert_eq!(store_index(6), Some(3));
        assert_eq!(store_index(2), None);
    }
}
