//! The living cluster as PD shows it: PD members, the stores' full view (state, sizes, counts,
//! load) and the entry points to its regions. [`SimCluster`] puts the layers together: the
//! `timeline` (stores through time), the `regions` derived on it, their `tally` and `hot` peers.
//! Every fact is a pure function of the configuration and a point in time; nothing here mutates
//! after [`SimCluster::new`], so the model is `Send + Sync` and two clusters built from the same
//! [`SimConfig`] answer identically at the same instant.

use std::ops::Range;

use jiff::Timestamp;

use super::hot::HotSnapshot;
use super::mix::{SplitMix, hash, unit};
use super::regions::{Moment, RegionModel, SimRegion};
use super::tally::{ClusterTally, PlainAggregates, SplitBornSizes};
use super::timeline::{
    SALT_STORE, SECOND, ScalePhase, ScaleStore, SimConfig, SimStoreState, StoreSpec, Timeline,
    load_at, store_state, to_ns,
};

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

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

// Hash salts: one per derived fact, so facts are independent (3 and 4 are `timeline`'s).
const SALT_MEMBER: u64 = 1;
const SALT_CLUSTER: u64 = 2;
const SALT_MAP_ORDER: u64 = 5;
const SALT_STORE_LOAD: u64 = 6;

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

/// The simulated cluster. Cheap to share: wrap it in an `Arc`.
pub struct SimCluster {
    pub(crate) timeline: Timeline,
    pub(crate) region_model: RegionModel,
    /// Sums over the plain regions, so that no request has to walk every region.
    plain: PlainAggregates,
    cluster_id: u64,
    members: Vec<SimMember>,
    leader_member: usize,
    pd_start_secs: i64,
    bootstrap_ns: i64,
    capacity: u64,
    /// Go map order of `/stores`: indices into the live stores, `stores.len()` for the tombstone.
    map_order: Vec<usize>,
}

impl std::fmt::Debug for SimCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimCluster")
            .field("cfg", &self.timeline.cfg)
            .field("cluster_id", &self.cluster_id)
            .field("tables", &self.region_model.layout.tables().len())
            .finish_non_exhaustive()
    }
}

impl SimCluster {
    /// Builds the cluster. Costs O(regions) once (per-store totals are precomputed so that no
    /// request has to walk every region); keeps O(tables + stores) memory, nothing per region.
    pub fn new(cfg: SimConfig) -> Self {
        let timeline = Timeline::new(cfg);
        let seed = timeline.cfg.seed;
        let first_start = timeline.first_start_secs;

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
        let mut map_order: Vec<usize> = (0..=timeline.stores.len()).collect();
        for i in (1..map_order.len()).rev() {
            let j = rng.between(0, i as u64) as usize;
            map_order.swap(i, j);
        }

        let region_model = RegionModel::new(&timeline);
        let plain = PlainAggregates::compute(&timeline, &region_model);
        let capacity = pick_capacity(&timeline, &region_model, &plain);
        Self {
            timeline,
            region_model,
            plain,
            cluster_id,
            members,
            leader_member,
            pd_start_secs: first_start - 253,
            bootstrap_ns,
            capacity,
            map_order,
        }
    }

    pub fn config(&self) -> &SimConfig {
        &self.timeline.cfg
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
        self.timeline.flapping_store_index()
    }

    pub(crate) fn moment(&self, now: Timestamp) -> Moment {
        self.moment_at_ns(to_ns(now))
    }

    pub(crate) fn moment_at_ns(&self, now_ns: i64) -> Moment {
        Moment::new(&self.timeline, &self.region_model, now_ns)
    }

    /// Per-store leader/peer/pending totals and region totals at `moment`.
    pub(crate) fn tally(&self, moment: &Moment) -> ClusterTally {
        self.plain.tally(&self.region_model, moment)
    }

    /// The hot peers PD's hotspot endpoints report at `moment`.
    pub(crate) fn hot_snapshot(&self, moment: &Moment) -> HotSnapshot {
        HotSnapshot::at(&self.timeline, &self.region_model, moment)
    }

    /// The cluster's load at `now` relative to its average: a daily sine (0.5 at midnight UTC,
    /// 1.5 at noon) times short spikes (up to 2.5×, 3 minutes, once an hour at a seeded minute).
    pub fn load_factor(&self, now: Timestamp) -> f64 {
        load_at(self.timeline.cfg.seed, to_ns(now))
    }

    /// The number of regions at `now`.
    pub fn region_count(&self, now: Timestamp) -> u64 {
        self.region_model.region_count_at(&self.moment(now))
    }

    /// The region at key-order position `index` (0 starts at key ""), if there is one.
    pub fn region_at(&self, index: u64, now: Timestamp) -> Option<SimRegion> {
        self.region_model.region_at_moment(index, &self.moment(now))
    }

    /// The region with this id, if it exists at `now`.
    pub fn region_by_id(&self, id: u64, now: Timestamp) -> Option<SimRegion> {
        self.region_model.region_by_id_at(id, &self.moment(now))
    }

    /// The region containing `key` (memcomparable-encoded bytes, as region keys are). The key
    /// space is fully covered, so there always is one.
    pub fn find_region_by_key(&self, key: &[u8], now: Timestamp) -> SimRegion {
        let moment = self.moment(now);
        let index = self.region_model.region_index_for_key(key, &moment);
        match self.region_model.region_at_moment(index, &moment) {
            Some(region) => region,
            None => unreachable!("region_index_for_key returns an index below the region count"),
        }
    }

    /// Regions over a key-order index range at `now`.
    pub fn regions(&self, range: Range<u64>, now: Timestamp) -> Vec<SimRegion> {
        let moment = self.moment(now);
        self.region_model
            .regions_at_moment(range, &moment)
            .collect()
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
        // The scale cycle's stores follow the fixed ones: the current one second, a tombstone of
        // the previous cycle last.
        let extra: Vec<SimStore> = slots.into_iter().flatten().collect();
        for store in extra {
            if store.meta_state == 2 || ordered.is_empty() {
                ordered.push(store);
            } else {
                ordered.insert(1, store);
            }
        }
        ordered
    }

    /// The scale cycle's stores at `moment`: the current cycle's, and the previous cycle's as a
    /// tombstone. Their regions are not modelled one by one: their region counts and sizes
    /// follow the scale schedule, a share of what a balanced store holds.
    pub(crate) fn scale_stores(&self, moment: &Moment) -> Vec<SimStore> {
        let Some(cycle) = self.timeline.scale_cycle(moment.now_ns) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for c in [cycle - 1, cycle] {
            if let Some(x) = self.timeline.scale_store(c, moment.now_ns)
                && (c == cycle || x.phase == ScalePhase::Removed)
            {
                out.push(self.scale_sim_store(&x, moment));
            }
        }
        out
    }

    /// What a balanced store of `stores + 1` holds at the start of `cycle`: (regions, MiB each).
    pub(crate) fn scale_target(&self, cycle: i64) -> (u64, u64) {
        let start = self.timeline.scale_cycle_start(cycle);
        let moment = self.moment_at_ns(start);
        let tally = self.tally(&moment);
        let count = tally.totals.count;
        let avg = tally.totals.size.checked_div(count).unwrap_or(0);
        let stores = self.timeline.stores.len() as u64;
        (count * 3 / (stores + 1), avg.max(1))
    }

    fn scale_sim_store(&self, x: &ScaleStore, moment: &Moment) -> SimStore {
        let index = self.timeline.stores.len() + 1;
        let (target, avg_mib) = self.scale_target(x.cycle);
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_sign_loss,
            clippy::cast_possible_truncation
        )]
        let regions = (target as f64 * x.share).round() as u64;
        let leaders = if x.phase == ScalePhase::Serving {
            regions / 3
        } else {
            0
        };
        let size = regions * avg_mib;
        let used = size.saturating_mul(MIB) / 100 * 45 + 192 * MIB + (x.id % 7) * MIB;
        let available = self
            .capacity
            .saturating_sub(used)
            .saturating_sub(self.capacity / 50);
        let (meta_state, node_state, state) = match x.phase {
            ScalePhase::Preparing | ScalePhase::Serving => (
                0,
                u8::from(x.phase == ScalePhase::Serving),
                store_state(
                    moment.now_ns,
                    x.last_heartbeat_ns,
                    self.timeline.cfg.max_down_ns(),
                ),
            ),
            ScalePhase::Removing => (1, 2, SimStoreState::Offline),
            ScalePhase::Removed => (2, 3, SimStoreState::Tombstone),
        };
        let alive = x.phase != ScalePhase::Removed;
        let load = if alive {
            load_at(self.timeline.cfg.seed, x.last_heartbeat_ns)
        } else {
            0.0
        };
        let write_bytes = round1(if alive {
            (65_536.0 + leaders as f64 * 24.0) * load
        } else {
            0.0
        });
        let read_bytes = round1(if alive {
            (131_072.0 + leaders as f64 * 64.0) * load
        } else {
            0.0
        });
        SimStore {
            index,
            id: x.id,
            address: format!("tikv-{index}:20160"),
            peer_address: format!("tikv-{index}:20160"),
            status_address: format!("tikv-{index}:20180"),
            labels: store_labels(index),
            version: TIKV_VERSION,
            git_hash: TIKV_GIT_HASH,
            deploy_path: TIKV_DEPLOY_PATH,
            meta_state,
            node_state,
            state,
            start_timestamp: x.start_secs,
            last_heartbeat_ns: x.last_heartbeat_ns,
            alive,
            capacity_bytes: self.capacity,
            available_bytes: available,
            used_bytes: used,
            region_count: regions,
            leader_count: leaders,
            learner_count: 0,
            pending_peer_count: 0,
            region_size_mib: size,
            leader_size_mib: leaders * avg_mib,
            region_keys: size * 8_192,
            leader_keys: leaders * avg_mib * 8_192,
            leader_score: leaders as f64,
            region_score: region_score_v2(available, self.capacity, size),
            sending_snap_count: u64::from(x.phase == ScalePhase::Removing && regions > 0),
            receiving_snap_count: u64::from(x.phase == ScalePhase::Preparing && x.share < 1.0),
            cpu_cores: if alive {
                round1(100.0 * (0.2 + 0.5 * load)) / 100.0
            } else {
                0.0
            },
            write_bytes_per_sec: write_bytes,
            read_bytes_per_sec: read_bytes,
            write_keys_per_sec: round1(write_bytes / 128.0),
            read_keys_per_sec: round1(read_bytes / 128.0),
            write_query_per_sec: round1(write_bytes / 128.0 / 12.0),
            read_query_per_sec: round1(read_bytes / 128.0 / 9.0),
            slow_trend_cause_value: 250_011.0,
            slow_trend_result_value: 0.0,
        }
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
        let seed = self.timeline.cfg.seed;
        let specs = &self.timeline.stores;
        let mean_leaders = tallies.totals.count as f64 / specs.len() as f64;
        let mut out = Vec::with_capacity(specs.len() + 1);
        for spec in specs {
            let tally = &tallies.stores[spec.index];
            let (start_secs, last_hb, alive) = if spec.index == down.index {
                (down.start_secs, down.last_heartbeat_ns, down.alive)
            } else {
                (
                    spec.start_secs,
                    spec.first_process_heartbeat(moment.now_ns),
                    true,
                )
            };
            let region_size_for_disk = match frozen {
                Some(size) if spec.index == down.index => size,
                _ => tally.regions.size,
            };
            let (used, available) = self.disk_bytes(spec, region_size_for_disk, last_hb);
            let hb_load = if alive { load_at(seed, last_hb) } else { 0.0 };
            let jitter = 0.85
                + 0.3
                    * unit(hash(
                        seed,
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
            let state = store_state(moment.now_ns, last_hb, self.timeline.cfg.max_down_ns());
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
                    + round1(unit(hash(seed, SALT_STORE, spec.index as u64)) * 60.0),
                slow_trend_result_value: (write_keys / 300.0).floor(),
            });
        }
        out.push(self.tombstone_store());
        out.extend(self.scale_stores(moment));
        out
    }

    fn tombstone_store(&self) -> SimStore {
        let spec = &self.timeline.tombstone;
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

    /// A live store's `(used, available)` bytes, from its regions' MiB and its last heartbeat.
    fn disk_bytes(&self, spec: &StoreSpec, region_size_mib: u64, last_hb: i64) -> (u64, u64) {
        let used = self.used_bytes(spec, region_size_mib, last_hb);
        let available = self
            .capacity
            .saturating_sub(used)
            .saturating_sub(self.capacity / 50);
        (used, available)
    }

    /// Each live store's regions' MiB at `moment`, as [`SimCluster::tally`] sums them, with the
    /// split-born regions' sums carried in `born` (see [`SplitBornSizes`]).
    pub(crate) fn store_region_sizes(
        &self,
        moment: &Moment,
        born: &mut SplitBornSizes,
    ) -> Vec<u64> {
        self.plain
            .store_region_sizes(&self.region_model, moment, born)
    }

    /// `[capacity, available, used]` bytes of each live store at `moment`, as
    /// [`SimCluster::stores_at_moment`] reports them, from [`SimCluster::store_region_sizes`]:
    /// without its per-store traffic, hot peers and scale-cycle stores, so that a long range of
    /// sizes stays cheap. `None` for the flapping store while its process is stopped (PD keeps
    /// the sizes of its last heartbeat then).
    pub(crate) fn live_store_bytes(
        &self,
        moment: &Moment,
        region_mib: &[u64],
    ) -> Vec<Option<[u64; 3]>> {
        let down = &moment.down;
        self.timeline
            .stores
            .iter()
            .map(|spec| {
                let last_hb = if spec.index == down.index {
                    if !down.alive {
                        return None;
                    }
                    down.last_heartbeat_ns
                } else {
                    spec.first_process_heartbeat(moment.now_ns)
                };
                let mib = region_mib.get(spec.index).copied().unwrap_or(0);
                let (used, available) = self.disk_bytes(spec, mib, last_hb);
                Some([self.capacity, available, used])
            })
            .collect()
    }

    fn used_bytes(&self, spec: &StoreSpec, region_size_mib: u64, last_hb: i64) -> u64 {
        let growth = (last_hb - self.timeline.epoch_ns).max(0) as u64 / SECOND as u64 * 1536;
        region_size_mib.saturating_mul(MIB) / 100 * 45 + 192 * MIB + spec.used_jitter + growth
    }
}

/// The smallest multiple-of-two of 1.747TiB that leaves half the disk free at the region cap.
fn pick_capacity(timeline: &Timeline, regions: &RegionModel, plain: &PlainAggregates) -> u64 {
    let stores = timeline.stores.len() as u64;
    let busiest = plain.max_store_size();
    let growth =
        (timeline.cfg.max_splits + regions.learner_regions.len() as u64 + 2) * 256 * 3 / stores + 1;
    let projected = (busiest + growth).saturating_mul(MIB) / 100 * 45 + GIB;
    let mut capacity = BASE_CAPACITY;
    while capacity / 2 < projected && capacity < u64::MAX / 4 {
        capacity *= 2;
    }
    capacity
}

fn store_labels(index: usize) -> Vec<(String, String)> {
    vec![
        ("zone".to_owned(), format!("z{}", index % 3 + 1)),
        ("host".to_owned(), format!("tikv-{index}")),
    ]
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
}
