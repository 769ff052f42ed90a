//! The living cluster: PD members, TiKV stores and their heartbeats, and the scenario timeline.
//! Every fact is a pure function of the configuration and a point in time; nothing here mutates
//! after [`SimCluster::new`], so the model is `Send + Sync` and two clusters built from the same
//! [`SimConfig`] answer identically at the same instant.
//!
//! Regions live in `demo::regions`; this module owns what is per store or per cluster.

use std::time::Duration;

use jiff::Timestamp;

use super::layout::KeyLayout;
use super::mix::{SplitMix, hash, unit};
use super::regions::{Moment, PlainAggregates, StoreTally};

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
        }
    }
}

pub(crate) const SECOND: i64 = 1_000_000_000;
const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

/// Stores report to PD every 10 s.
pub(crate) const STORE_HEARTBEAT: i64 = 10 * SECOND;
/// PD shows an Up store as Disconnected after 20 s without a heartbeat.
pub(crate) const DISCONNECTED_AFTER: i64 = 20 * SECOND;
/// The outage cycle of the last store: it stops at 2:00 and restarts at 8:00 of every 10 minutes.
pub const OUTAGE_PERIOD: Duration = Duration::from_secs(600);
pub const OUTAGE_STOP_AT: Duration = Duration::from_secs(120);
pub const OUTAGE_RESTART_AT: Duration = Duration::from_secs(480);
/// Stores were started this long before `epoch`.
const STORE_AGE: i64 = 7 * 86_400 * SECOND;

/// The fixed build of the simulated binaries (PD v8.5.1, TiKV 8.5.1).
pub(crate) const PD_VERSION: &str = "v8.5.1";
pub(crate) const PD_GIT_HASH: &str = "0ba2a0e9a3a6f7c4b3e2d1c0f9e8d7c6b5a49382";
pub(crate) const PD_BUILD_TS: &str = "2025-01-08 10:51:37";
pub(crate) const PD_DEPLOY_PATH: &str = "/tidb-deploy/pd-2379/bin";
const TIKV_VERSION: &str = "8.5.1";
const TIKV_GIT_HASH: &str = "d0e6a1f9c83b72e5a4d9b1c07f6e5d4c3b2a1908";
const TOMBSTONE_VERSION: &str = "8.5.0";
const TOMBSTONE_GIT_HASH: &str = "b3c4d5e6f7a8091a2b3c4d5e6f7a8091a2b3c4d5";
const TIKV_DEPLOY_PATH: &str = "/tidb-deploy/tikv-20160/bin";
/// 1.747TiB: the usual NVMe capacity in PD samples; larger clusters get multiples of it.
const BASE_CAPACITY: u64 = 1_920_846_813_725;

// Hash salts: one per derived fact, so facts are independent.
const SALT_MEMBER: u64 = 1;
const SALT_CLUSTER: u64 = 2;
const SALT_STORE: u64 = 3;
const SALT_SPIKE: u64 = 4;
const SALT_MAP_ORDER: u64 = 5;
const SALT_STORE_LOAD: u64 = 6;

/// PD's view of a store's state (`state_name`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SimStoreState {
    Up,
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
            Self::Disconnected => "Disconnected",
            Self::Down => "Down",
            Self::Tombstone => "Tombstone",
        }
    }
}

/// One store at one instant: what PD's `/store/{id}` reports, exactly (sizes in bytes, not PD's
/// rounded strings), plus the load a Prometheus simulation needs.
#[derive(Clone, Debug, PartialEq)]
pub struct SimStore {
    /// `i` in `tikv-<i>`.
    pub index: usize,
    pub id: u64,
    pub address: String,
    pub peer_address: String,
    pub status_address: String,
    pub labels: Vec<(String, String)>,
    pub version: &'static str,
    pub git_hash: &'static str,
    pub deploy_path: &'static str,
    /// `metapb.StoreState`: 0 Up, 2 Tombstone.
    pub meta_state: u8,
    /// `metapb.NodeState`: 1 Serving, 3 Removed.
    pub node_state: u8,
    pub state: SimStoreState,
    /// Unix seconds when the current TiKV process started.
    pub start_timestamp: i64,
    /// Unix nanoseconds of the last store heartbeat PD received.
    pub last_heartbeat_ns: i64,
    /// Whether the TiKV process is running (heartbeating) now.
    pub alive: bool,
    pub capacity_bytes: u64,
    pub available_bytes: u64,
    pub used_bytes: u64,
    pub region_count: u64,
    pub leader_count: u64,
    pub learner_count: u64,
    pub pending_peer_count: u64,
    /// Sum of the approximate sizes of the store's regions, MiB (PD's `region_size`).
    pub region_size_mib: u64,
    pub leader_size_mib: u64,
    pub region_keys: u64,
    pub leader_keys: u64,
    pub leader_score: f64,
    pub region_score: f64,
    pub sending_snap_count: u64,
    pub receiving_snap_count: u64,
    /// CPU in use, in cores (0 when the process is not running).
    pub cpu_cores: f64,
    pub write_bytes_per_sec: f64,
    pub read_bytes_per_sec: f64,
    pub write_keys_per_sec: f64,
    pub read_keys_per_sec: f64,
    pub write_query_per_sec: f64,
    pub read_query_per_sec: f64,
    pub slow_trend_cause_value: f64,
    pub slow_trend_result_value: f64,
}

impl SimStore {
    /// `time.Unix(0, last_heartbeat) − time.Unix(start_timestamp, 0)`, when positive.
    pub fn uptime_ns(&self) -> Option<i64> {
        let uptime = self.last_heartbeat_ns - self.start_timestamp * SECOND;
        (self.last_heartbeat_ns != 0 && uptime > 0).then_some(uptime)
    }
}

/// A PD member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimMember {
    pub name: String,
    pub member_id: u64,
    pub peer_url: String,
    pub client_url: String,
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
    used_jitter: u64,
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

/// The simulated cluster. Cheap to share: wrap it in an `Arc`.
pub struct SimCluster {
    pub(crate) cfg: SimConfig,
    pub(crate) epoch_ns: i64,
    pub(crate) base_regions: u64,
    pub(crate) layout: KeyLayout,
    pub(crate) stores: Vec<StoreSpec>,
    tombstone: StoreSpec,
    cluster_id: u64,
    members: Vec<SimMember>,
    leader_member: usize,
    pd_start_secs: i64,
    bootstrap_ns: i64,
    capacity: u64,
    /// Go map order of `/stores`: indices into the live stores, `stores.len()` for the tombstone.
    map_order: Vec<usize>,
    pub(crate) plain: PlainAggregates,
    /// Base regions that periodically gain a learner, ascending.
    pub(crate) learner_regions: Vec<u64>,
}

impl std::fmt::Debug for SimCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimCluster")
            .field("cfg", &self.cfg)
            .field("cluster_id", &self.cluster_id)
            .field("tables", &self.layout.tables().len())
            .finish_non_exhaustive()
    }
}

/// Instants are kept as i64 nanoseconds, clamped to about ±126 years around 1970 so that the
/// scenario arithmetic can never overflow.
fn to_ns(ts: Timestamp) -> i64 {
    const LIMIT: i128 = 4_000_000_000_000_000_000;
    ts.as_nanosecond().clamp(-LIMIT, LIMIT) as i64
}

impl SimCluster {
    /// Builds the cluster. Costs O(regions) once (per-store totals are precomputed so that no
    /// request has to walk every region); keeps O(tables + stores) memory, nothing per region.
    pub fn new(cfg: SimConfig) -> Self {
        let mut cfg = cfg;
        cfg.stores = cfg.stores.clamp(3, 1024);
        cfg.regions = cfg.regions.clamp(1, 1 << 40);
        cfg.split_interval = cfg.split_interval.max(Duration::from_secs(1));
        cfg.max_splits = cfg.max_splits.min(1 << 32);
        let seed = cfg.seed;
        let epoch_ns = to_ns(cfg.epoch);
        let epoch_secs = epoch_ns.div_euclid(SECOND);
        let first_start = epoch_secs - STORE_AGE / SECOND + 1;

        let stores: Vec<StoreSpec> = (0..cfg.stores)
            .map(|index| store_spec(seed, index, first_start + index as i64))
            .collect();
        let mut tombstone = store_spec(seed, cfg.stores, first_start - 19 * 86_400 + 3_600);
        tombstone.id = store_id(cfg.stores);

        let bootstrap_ns =
            (first_start + 2) * SECOND + (hash(seed, SALT_CLUSTER, 1) % SECOND as u64) as i64;
        let mut cluster_id =
            ((bootstrap_ns / SECOND) as u64) << 32 | (hash(seed, SALT_CLUSTER, 2) & 0xffff_ffff);
        if cluster_id < 1 << 62 {
            cluster_id |= 1 << 62;
        }

        let mut members: Vec<SimMember> = (0..3)
            .map(|i| {
                let raw = hash(seed, SALT_MEMBER, i);
                // One id above 2^63, as real member ids often are.
                let member_id = if i == 2 {
                    raw | 1 << 63
                } else {
                    (raw & !(1 << 63)).max(1)
                };
                SimMember {
                    name: format!("pd-{i}"),
                    member_id,
                    peer_url: format!("http://pd-{i}:2380"),
                    client_url: format!("http://pd-{i}:2379"),
                }
            })
            .collect();
        members.sort_by_key(|m| m.member_id);
        let leader_member = (hash(seed, SALT_MEMBER, 99) % 3) as usize;

        let mut rng = SplitMix::new(hash(seed, SALT_MAP_ORDER, 0));
        let mut map_order: Vec<usize> = (0..=cfg.stores).collect();
        for i in (1..map_order.len()).rev() {
            let j = rng.between(0, i as u64) as usize;
            map_order.swap(i, j);
        }

        let layout = KeyLayout::generate(seed, cfg.regions);
        let mut cluster = Self {
            base_regions: cfg.regions,
            cfg,
            epoch_ns,
            layout,
            stores,
            tombstone,
            cluster_id,
            members,
            leader_member,
            pd_start_secs: first_start - 253,
            bootstrap_ns,
            capacity: BASE_CAPACITY,
            map_order,
            plain: PlainAggregates::default(),
            learner_regions: Vec::new(),
        };
        cluster.learner_regions = cluster.pick_learner_regions();
        cluster.plain = PlainAggregates::compute(&cluster);
        cluster.capacity = cluster.pick_capacity();
        cluster
    }

    pub fn config(&self) -> &SimConfig {
        &self.cfg
    }

    /// The cluster id (`/cluster`, `/members` header): above 2^62, like PD's
    /// `bootstrap time << 32 | random`.
    pub fn cluster_id(&self) -> u64 {
        self.cluster_id
    }

    /// PD members sorted by member id (etcd order).
    pub fn members(&self) -> &[SimMember] {
        &self.members
    }

    /// The PD leader.
    pub fn leader(&self) -> &SimMember {
        &self.members[self.leader_member]
    }

    /// Unix seconds PD started.
    pub fn pd_start_timestamp(&self) -> i64 {
        self.pd_start_secs
    }

    /// Unix nanoseconds the Raft cluster was bootstrapped.
    pub fn raft_bootstrap_ns(&self) -> i64 {
        self.bootstrap_ns
    }

    /// The index of the store that goes through the outage cycle: the last TiKV store.
    pub fn flapping_store_index(&self) -> usize {
        self.stores.len() - 1
    }

    pub(crate) fn moment(&self, now: Timestamp) -> Moment {
        Moment::new(self, to_ns(now))
    }

    /// The cluster's load at `now` relative to its average: a daily sine (0.5 at midnight UTC,
    /// 1.5 at noon) times short spikes (up to 2.5×, 3 minutes, once an hour at a seeded minute).
    pub fn load_factor(&self, now: Timestamp) -> f64 {
        self.load_at(to_ns(now))
    }

    pub(crate) fn load_at(&self, at_ns: i64) -> f64 {
        const DAY: i64 = 86_400 * SECOND;
        const HOUR: i64 = 3_600 * SECOND;
        let of_day = at_ns.rem_euclid(DAY) as f64 / DAY as f64;
        let daily = 1.0 + 0.5 * (std::f64::consts::TAU * (of_day - 0.25)).sin();
        let hour = at_ns.div_euclid(HOUR);
        let spike_start = (hash(self.cfg.seed, SALT_SPIKE, hour as u64) % 56) as f64;
        let minute = at_ns.rem_euclid(HOUR) as f64 / (60 * SECOND) as f64;
        let into = minute - spike_start;
        let spike = if (0.0..3.0).contains(&into) {
            1.5 * (std::f64::consts::PI * into / 3.0).sin()
        } else {
            0.0
        };
        daily * (1.0 + spike)
    }

    /// Every store at `now`, in store-id order, the tombstone last.
    pub fn stores_at(&self, now: Timestamp) -> Vec<SimStore> {
        let moment = self.moment(now);
        self.stores_at_moment(&moment)
    }

    /// One store (tombstones included), like `/store/{id}`.
    pub fn store_at(&self, id: u64, now: Timestamp) -> Option<SimStore> {
        self.stores_at(now).into_iter().find(|s| s.id == id)
    }

    /// Stores in the order PD's `/stores` lists them (a fixed "Go map order").
    pub(crate) fn stores_in_map_order(&self, moment: &Moment) -> Vec<SimStore> {
        let mut stores = self.stores_at_moment(moment);
        let mut ordered = Vec::with_capacity(stores.len());
        let mut slots: Vec<Option<SimStore>> = stores.drain(..).map(Some).collect();
        for &at in &self.map_order {
            if let Some(store) = slots.get_mut(at).and_then(Option::take) {
                ordered.push(store);
            }
        }
        ordered
    }

    pub(crate) fn stores_at_moment(&self, moment: &Moment) -> Vec<SimStore> {
        let tallies = self.tally(moment);
        let hot = self.hot_snapshot(moment);
        let down = &moment.down;
        // The flapping store's sizes are those of its last heartbeat.
        let frozen = (!down.alive).then(|| {
            let at = self.moment_at_ns(down.last_heartbeat_ns);
            self.tally(&at).stores[down.index].regions.size
        });
        let mean_leaders = tallies.totals.count as f64 / self.stores.len() as f64;
        let mut out = Vec::with_capacity(self.stores.len() + 1);
        for spec in &self.stores {
            let tally = &tallies.stores[spec.index];
            let (start_secs, last_hb, alive) = if spec.index == down.index {
                (down.start_secs, down.last_heartbeat_ns, down.alive)
            } else {
                (
                    spec.start_secs,
                    heartbeat_before(
                        spec.start_secs * SECOND + spec.heartbeat_offset,
                        moment.now_ns,
                    ),
                    true,
                )
            };
            let region_size_for_disk = match frozen {
                Some(size) if spec.index == down.index => size,
                _ => tally.regions.size,
            };
            let used = self.used_bytes(spec, region_size_for_disk, last_hb);
            let available = self
                .capacity
                .saturating_sub(used)
                .saturating_sub(self.capacity / 50);
            let hb_load = if alive { self.load_at(last_hb) } else { 0.0 };
            let jitter = 0.85
                + 0.3
                    * unit(hash(
                        self.cfg.seed,
                        SALT_STORE_LOAD,
                        (spec.index as u64) << 32 ^ (last_hb / (60 * SECOND)) as u64,
                    ));
            let leader_share = if mean_leaders > 0.0 {
                tally.leaders.count as f64 / mean_leaders
            } else {
                0.0
            };
            let rates = hot.store_rates(spec.index);
            let bg_write = (65_536.0 + tally.leaders.count as f64 * 24.0) * hb_load * jitter;
            let bg_read = (131_072.0 + tally.leaders.count as f64 * 64.0) * hb_load * jitter;
            let write_bytes = round1(if alive {
                bg_write + rates.write_bytes
            } else {
                0.0
            });
            let read_bytes = round1(if alive {
                bg_read + rates.read_bytes
            } else {
                0.0
            });
            let write_keys = round1(write_bytes / 128.0);
            let read_keys = round1(read_bytes / 128.0);
            let state = store_state(moment.now_ns, last_hb, self.max_down_ns());
            let catching_up = alive && moment.catching_up_any() && spec.index == down.index;
            out.push(SimStore {
                index: spec.index,
                id: spec.id,
                address: format!("tikv-{}:20160", spec.index),
                peer_address: format!("tikv-{}:20160", spec.index),
                status_address: format!("tikv-{}:20180", spec.index),
                labels: store_labels(spec.index),
                version: TIKV_VERSION,
                git_hash: TIKV_GIT_HASH,
                deploy_path: TIKV_DEPLOY_PATH,
                meta_state: 0,
                node_state: 1,
                state,
                start_timestamp: start_secs,
                last_heartbeat_ns: last_hb,
                alive,
                capacity_bytes: self.capacity,
                available_bytes: available,
                used_bytes: used,
                region_count: tally.regions.count,
                leader_count: tally.leaders.count,
                learner_count: tally.learners,
                pending_peer_count: tally.pending,
                region_size_mib: tally.regions.size,
                leader_size_mib: tally.leaders.size,
                region_keys: tally.regions.keys,
                leader_keys: tally.leaders.keys,
                leader_score: tally.leaders.count as f64,
                region_score: region_score_v2(available, self.capacity, tally.regions.size),
                sending_snap_count: 0,
                receiving_snap_count: if catching_up { 2 } else { 0 },
                cpu_cores: if alive {
                    round1(100.0 * (0.3 + 1.7 * leader_share) * hb_load * jitter) / 100.0
                } else {
                    0.0
                },
                write_bytes_per_sec: write_bytes,
                read_bytes_per_sec: read_bytes,
                write_keys_per_sec: write_keys,
                read_keys_per_sec: read_keys,
                write_query_per_sec: round1(write_keys / 12.0),
                read_query_per_sec: round1(read_keys / 9.0),
                slow_trend_cause_value: 250_000.0
                    + round1(unit(hash(self.cfg.seed, SALT_STORE, spec.index as u64)) * 60.0),
                slow_trend_result_value: (write_keys / 300.0).floor(),
            });
        }
        out.push(self.tombstone_store());
        out
    }

    fn tombstone_store(&self) -> SimStore {
        let spec = &self.tombstone;
        let last_hb = spec.start_secs * SECOND + 14 * 86_400 * SECOND + spec.heartbeat_offset;
        let used = 187_482_726 + spec.used_jitter / 8;
        let available = self
            .capacity
            .saturating_sub(used)
            .saturating_sub(self.capacity / 300);
        SimStore {
            index: spec.index,
            id: spec.id,
            address: format!("tikv-{}:20160", spec.index),
            peer_address: format!("tikv-{}:20160", spec.index),
            status_address: format!("tikv-{}:20180", spec.index),
            labels: store_labels(spec.index),
            version: TOMBSTONE_VERSION,
            git_hash: TOMBSTONE_GIT_HASH,
            deploy_path: TIKV_DEPLOY_PATH,
            meta_state: 2,
            node_state: 3,
            state: SimStoreState::Tombstone,
            start_timestamp: spec.start_secs,
            last_heartbeat_ns: last_hb,
            alive: false,
            capacity_bytes: self.capacity,
            available_bytes: available,
            used_bytes: used,
            region_count: 0,
            leader_count: 0,
            learner_count: 0,
            pending_peer_count: 0,
            region_size_mib: 0,
            leader_size_mib: 0,
            region_keys: 0,
            leader_keys: 0,
            leader_score: 0.0,
            region_score: 0.0,
            sending_snap_count: 0,
            receiving_snap_count: 0,
            cpu_cores: 0.0,
            write_bytes_per_sec: 0.0,
            read_bytes_per_sec: 0.0,
            write_keys_per_sec: 0.0,
            read_keys_per_sec: 0.0,
            write_query_per_sec: 0.0,
            read_query_per_sec: 0.0,
            slow_trend_cause_value: 250_003.0,
            slow_trend_result_value: 0.0,
        }
    }

    pub(crate) fn max_down_ns(&self) -> i64 {
        i64::try_from(self.cfg.max_store_down_time.as_nanos()).unwrap_or(i64::MAX)
    }

    pub(crate) fn split_interval_ns(&self) -> i64 {
        i64::try_from(self.cfg.split_interval.as_nanos()).unwrap_or(i64::MAX)
    }

    fn used_bytes(&self, spec: &StoreSpec, region_size_mib: u64, last_hb: i64) -> u64 {
        let growth = (last_hb - self.epoch_ns).max(0) as u64 / SECOND as u64 * 1536;
        region_size_mib.saturating_mul(MIB) / 100 * 45 + 192 * MIB + spec.used_jitter + growth
    }

    /// The smallest multiple-of-two of 1.747TiB that leaves half the disk free at the region cap.
    fn pick_capacity(&self) -> u64 {
        let stores = self.stores.len() as u64;
        let busiest = self.plain.max_store_size();
        let growth =
            (self.cfg.max_splits + self.learner_regions.len() as u64 + 2) * 256 * 3 / stores + 1;
        let projected = (busiest + growth).saturating_mul(MIB) / 100 * 45 + GIB;
        let mut capacity = BASE_CAPACITY;
        while capacity / 2 < projected && capacity < u64::MAX / 4 {
            capacity *= 2;
        }
        capacity
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

fn store_labels(index: usize) -> Vec<(String, String)> {
    vec![
        ("zone".to_owned(), format!("z{}", index % 3 + 1)),
        ("host".to_owned(), format!("tikv-{index}")),
    ]
}

/// The last point of the heartbeat grid `base + k·10s` at or before `now` (0 if none yet).
pub(crate) fn heartbeat_before(base: i64, now: i64) -> i64 {
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

fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// PD's `region_score` (formula v2, `pkg/core/store.go`), with the default low-space ratio 0.8
/// and region weight 1.
pub(crate) fn region_score_v2(available: u64, capacity: u64, region_size_mib: u64) -> f64 {
    let a = available as f64 / GIB as f64;
    let c = capacity as f64 / GIB as f64;
    let r = region_size_mib as f64;
    let (k, m, b) = (1.0, 256.0, 1e10);
    let f = f64::max(50.0, c * (1.0 - 0.8));
    if a >= c || c < 1.0 {
        r
    } else if a > f {
        (k + m * (c.ln() - (a - f + 1.0).ln()) / (c - a + f - 1.0)) * r
    } else {
        (k + m * c.ln() / c) * r + b * (f - a) / f
    }
}

/// Leader, peer and pending totals of the whole cluster at one moment, per live store.
pub(crate) struct ClusterTally {
    pub(crate) stores: Vec<StoreTally>,
    pub(crate) totals: super::regions::RegionTotals,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_score_matches_the_pd_sample() {
        // store_1.json: capacity 1.747TiB, available 1.672TiB, region_size 290 → 337.53…
        let available = (1.672 * (1u64 << 40) as f64) as u64;
        let score = region_score_v2(available, BASE_CAPACITY, 290);
        assert!((score - 337.53).abs() < 0.5, "{score}");
    }

    #[test]
    fn store_ids_skip_two_and_three() {
        assert_eq!((0..4).map(store_id).collect::<Vec<_>>(), vec![1, 4, 5, 6]);
        assert_eq!(store_index(1), Some(0));
        assert_eq!(store_index(6), Some(3));
        assert_eq!(store_index(2), None);
    }
}
