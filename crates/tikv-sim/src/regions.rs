//! Regions, derived on demand. A region is identified by a `uid`: base regions are `0..regions`
//! in key order at t = 0, and the k-th split adds uid `regions + k`. Everything about a region
//! (keys, peers, sizes, epoch, traffic) is computed from `(seed, uid, moment)` in O(1) plus one
//! binary search over the tables, so nothing is stored per region.
//!
//! Time-dependent behaviour, all of it O(1) per region:
//! - Leaders rotate: regions fall in 64 groups by hash, and each group's leader slot advances
//!   every 30 minutes, one group every ~28 s.
//! - The flapping store: while it is stopped its leaders move to the next voter (10 s election),
//!   its peers are down and pending once PD calls it Disconnected; after it restarts the groups
//!   catch up (pending) and take their leaders back one after the other.
//! - Splits: the hot table's last region splits every `split_interval`; the new regions sit just
//!   before it in key order, so key-order index `i` maps to a uid without any lookup.
//! - A few regions gain a learner for 4 minutes every 40 minutes (staggered).
//!
//! Per-store totals (leader/region counts and sizes) would need a walk over every region; instead
//! the "plain" regions (all but the split-born, the growing tail and the learner regions) are
//! summed once at start-up per (group, leader slot, store), and a moment's totals are assembled
//! from those sums, a light pass over the split-born regions, and the few special regions.

use std::ops::Range;

use jiff::Timestamp;

use super::cluster::{
    ClusterTally, DISCONNECTED_AFTER, OUTAGE_PERIOD, OUTAGE_RESTART_AT, OUTAGE_STOP_AT, SECOND,
    SimCluster, SimStoreState, heartbeat_before, store_id, store_index, store_state,
};
use super::keys::RegionKey;
use super::layout::{Table, TableKind};
use super::mix::{between, hash, hash2, unit};

const MIB: u64 = 1 << 20;
const GROUPS: usize = 64;
const LEADER_ROTATION: i64 = 1_800 * SECOND;
/// Raft election after the flapping store stops: its leaders move after this long.
const ELECTION: i64 = 10 * SECOND;
/// After the restart, balance-leader starts moving leaders back after this long...
const REBALANCE_DELAY: i64 = 30 * SECOND;
/// ...and has moved all of them back this much later.
const REBALANCE_SPREAD: i64 = 90 * SECOND;
/// After the restart, the restarted peers are pending (catching up) for up to this long.
const CATCH_UP: i64 = 60 * SECOND;
const LEARNER_PERIOD: i64 = 2_400 * SECOND;
const LEARNER_WINDOW: i64 = 240 * SECOND;
/// Regions heartbeat every minute; traffic fields cover that minute.
const REGION_HEARTBEAT: i64 = 60 * SECOND;
/// Hot regions change every 5 minutes.
const HOT_WINDOW: i64 = 300 * SECOND;
const HOT_PICKS: usize = 3;

/// PD's region statistics thresholds (region-max-size 144MiB / 1,440,000 keys; max-merge-region
/// 20MiB / 200,000 keys; an approximate size of at most 1MiB counts as empty).
pub const OVERSIZED_MIB: u64 = 144;
pub const OVERSIZED_KEYS: u64 = 1_440_000;
pub const UNDERSIZED_MIB: u64 = 20;
pub const UNDERSIZED_KEYS: u64 = 200_000;
pub const EMPTY_MIB: u64 = 1;

const SALT_PLACE: u64 = 20;
const SALT_SIZE: u64 = 21;
const SALT_WRITE: u64 = 22;
const SALT_READ: u64 = 23;
const SALT_SHAPE: u64 = 24;
const SALT_FLOW_WRITE: u64 = 25;
const SALT_FLOW_READ: u64 = 26;
const SALT_HOT_WRITE: u64 = 27;
const SALT_HOT_READ: u64 = 28;
const SALT_LEARNER: u64 = 29;

const PERMUTATIONS: [[u16; 3]; 6] = [
    [0, 1, 2],
    [0, 2, 1],
    [1, 0, 2],
    [1, 2, 0],
    [2, 0, 1],
    [2, 1, 0],
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PeerRole {
    Voter,
    Learner,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SimPeer {
    pub id: u64,
    pub store_id: u64,
    pub role: PeerRole,
}

impl SimPeer {
    const NONE: Self = Self {
        id: 0,
        store_id: 0,
        role: PeerRole::Voter,
    };
}

/// One region at one instant, with every field PD's `RegionInfo` prints.
#[derive(Clone, Debug, PartialEq)]
pub struct SimRegion {
    /// Position in key order.
    pub index: u64,
    pub id: u64,
    pub start_key: RegionKey,
    pub end_key: RegionKey,
    pub conf_ver: u64,
    pub version: u64,
    peers: [SimPeer; 4],
    peer_count: u8,
    pub leader: Option<SimPeer>,
    down_peer: Option<(SimPeer, u64)>,
    pending: [SimPeer; 2],
    pending_count: u8,
    pub cpu_usage: u64,
    pub written_bytes: u64,
    pub read_bytes: u64,
    pub written_keys: u64,
    pub read_keys: u64,
    /// MiB, as PD rounds it (1 for an empty region).
    pub approximate_size: u64,
    pub approximate_keys: u64,
    /// MiB of user data (PD's `approximate_kv_size`, not printed by v8.5's region JSON).
    pub approximate_kv_size: u64,
    /// When the region last heartbeated (the traffic fields cover the minute before).
    pub last_heartbeat_ns: i64,
}

impl SimRegion {
    /// Peers in TiKV-reported order: voters, then a learner if any.
    pub fn peers(&self) -> &[SimPeer] {
        &self.peers[..usize::from(self.peer_count)]
    }

    /// `(peer, down_seconds)`, sorted by peer id.
    pub fn down_peers(&self) -> &[(SimPeer, u64)] {
        self.down_peer.as_slice()
    }

    /// Sorted by peer id.
    pub fn pending_peers(&self) -> &[SimPeer] {
        &self.pending[..usize::from(self.pending_count)]
    }

    pub fn voter_count(&self) -> usize {
        self.peers()
            .iter()
            .filter(|p| p.role == PeerRole::Voter)
            .count()
    }

    pub fn has_learner(&self) -> bool {
        self.peers().iter().any(|p| p.role == PeerRole::Learner)
    }

    pub fn is_empty_region(&self) -> bool {
        self.approximate_size <= EMPTY_MIB
    }

    pub fn is_oversized(&self) -> bool {
        self.approximate_size >= OVERSIZED_MIB || self.approximate_keys >= OVERSIZED_KEYS
    }

    pub fn is_undersized(&self) -> bool {
        self.approximate_size <= UNDERSIZED_MIB && self.approximate_keys <= UNDERSIZED_KEYS
    }

    fn push_peer(&mut self, peer: SimPeer) {
        self.peers[usize::from(self.peer_count)] = peer;
        self.peer_count += 1;
    }

    fn push_pending(&mut self, peer: SimPeer) {
        if self.pending_peers().contains(&peer) {
            return;
        }
        self.pending[usize::from(self.pending_count)] = peer;
        self.pending_count += 1;
        self.pending[..usize::from(self.pending_count)].sort_by_key(|p| p.id);
    }
}

/// What PD's `/regions/check/{kind}` lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegionCheck {
    MissPeer,
    ExtraPeer,
    DownPeer,
    PendingPeer,
    OfflinePeer,
    LearnerPeer,
    EmptyRegion,
    OversizedRegion,
    UndersizedRegion,
}

impl RegionCheck {
    pub const ALL: [Self; 9] = [
        Self::MissPeer,
        Self::ExtraPeer,
        Self::DownPeer,
        Self::PendingPeer,
        Self::OfflinePeer,
        Self::LearnerPeer,
        Self::EmptyRegion,
        Self::OversizedRegion,
        Self::UndersizedRegion,
    ];

    /// The path segment PD uses (`/regions/check/miss-peer`, …).
    pub fn path_name(self) -> &'static str {
        match self {
            Self::MissPeer => "miss-peer",
            Self::ExtraPeer => "extra-peer",
            Self::DownPeer => "down-peer",
            Self::PendingPeer => "pending-peer",
            Self::OfflinePeer => "offline-peer",
            Self::LearnerPeer => "learner-peer",
            Self::EmptyRegion => "empty-region",
            Self::OversizedRegion => "oversized-region",
            Self::UndersizedRegion => "undersized-region",
        }
    }

    pub fn from_path_name(name: &[u8]) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|c| c.path_name().as_bytes() == name)
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

/// Everything time-dependent that is shared by all regions at one instant, computed once per
/// request.
pub(crate) struct Moment {
    pub(crate) now_ns: i64,
    /// Nanoseconds since the scenario epoch (negative before it).
    pub(crate) t_ns: i64,
    pub(crate) splits: u64,
    rotation: [u8; GROUPS],
    avoid_flapping: [bool; GROUPS],
    catching_up: [bool; GROUPS],
    pub(crate) down: FlappingStore,
    hot_window: i64,
    hot_window_start_ns: i64,
    hot_write: [u64; HOT_PICKS],
    hot_read: [u64; HOT_PICKS],
}

impl Moment {
    pub(crate) fn new(cluster: &SimCluster, now_ns: i64) -> Self {
        let t_ns = now_ns.saturating_sub(cluster.epoch_ns);
        let n = cluster.base_regions;
        let splits = if n >= 2 && t_ns >= 0 {
            ((t_ns / cluster.split_interval_ns()) as u64).min(cluster.cfg.max_splits)
        } else {
            0
        };
        let mut rotation = [0u8; GROUPS];
        for (g, slot) in rotation.iter_mut().enumerate() {
            let shifted = t_ns.saturating_add(g as i64 * LEADER_ROTATION / GROUPS as i64);
            *slot = shifted.div_euclid(LEADER_ROTATION).rem_euclid(3) as u8;
        }
        let (down, avoid_flapping, catching_up) = flapping_store(cluster, now_ns, t_ns);
        let hot_window = t_ns.div_euclid(HOT_WINDOW);
        // Any region but the meta region (0) and the tail (always write-hot).
        let pick = |salt: u64, j: usize| {
            let bits = hash2(cluster.cfg.seed, salt, hot_window as u64, j as u64);
            if n >= 3 { 1 + bits % (n - 2) } else { 0 }
        };
        let mut hot_write = [0; HOT_PICKS];
        let mut hot_read = [0; HOT_PICKS];
        for j in 0..HOT_PICKS {
            hot_write[j] = pick(SALT_HOT_WRITE, j);
            hot_read[j] = pick(SALT_HOT_READ, j);
        }
        Self {
            now_ns,
            t_ns,
            splits,
            rotation,
            avoid_flapping,
            catching_up,
            down,
            hot_window,
            hot_window_start_ns: cluster
                .epoch_ns
                .saturating_add(hot_window.saturating_mul(HOT_WINDOW)),
            hot_write,
            hot_read,
        }
    }

    pub(crate) fn catching_up_any(&self) -> bool {
        self.catching_up.iter().any(|&c| c)
    }

    fn hot_pick(&self, picks: &[u64; HOT_PICKS], uid: u64) -> Option<usize> {
        picks.iter().position(|&p| p == uid)
    }
}

/// The outage cycle of the last store (see `cluster::OUTAGE_*`): its heartbeats, process start,
/// and which leader groups avoid it / are still catching up on it.
fn flapping_store(
    cluster: &SimCluster,
    now: i64,
    t: i64,
) -> (FlappingStore, [bool; GROUPS], [bool; GROUPS]) {
    let index = cluster.flapping_store_index();
    let spec = &cluster.stores[index];
    let epoch = cluster.epoch_ns;
    let period = OUTAGE_PERIOD.as_nanos() as i64;
    let stop = OUTAGE_STOP_AT.as_nanos() as i64;
    let restart = OUTAGE_RESTART_AT.as_nanos() as i64;
    let original_base = spec.start_secs * SECOND + spec.heartbeat_offset;
    let restart_secs = |c: i64| (epoch + c * period + restart).div_euclid(SECOND);
    let restart_base = |c: i64| restart_secs(c) * SECOND + spec.heartbeat_offset;
    let stop_at = |c: i64| epoch + c * period + stop;

    let mut avoid = [false; GROUPS];
    let mut catching_up = [false; GROUPS];
    let (start_secs, last_heartbeat_ns, alive) = if t < 0 {
        (spec.start_secs, heartbeat_before(original_base, now), true)
    } else {
        let cycle = t / period;
        let offset = t % period;
        let (previous_start, previous_base) = if cycle == 0 {
            (spec.start_secs, original_base)
        } else {
            (restart_secs(cycle - 1), restart_base(cycle - 1))
        };
        for c in [cycle - 1, cycle] {
            if c < 0 {
                continue;
            }
            let back = restart_base(c);
            for g in 0..GROUPS {
                let g64 = g as i64;
                let returns = back + REBALANCE_DELAY + g64 * REBALANCE_SPREAD / GROUPS as i64;
                if now >= stop_at(c) + ELECTION && now < returns {
                    avoid[g] = true;
                }
                if now >= back && now < back + (g64 + 1) * CATCH_UP / GROUPS as i64 {
                    catching_up[g] = true;
                }
            }
        }
        if offset < stop {
            (previous_start, heartbeat_before(previous_base, now), true)
        } else if now < restart_base(cycle) {
            (
                previous_start,
                heartbeat_before(previous_base, stop_at(cycle)),
                false,
            )
        } else {
            (
                restart_secs(cycle),
                heartbeat_before(restart_base(cycle), now),
                true,
            )
        }
    };
    let state = store_state(now, last_heartbeat_ns, cluster.max_down_ns());
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
    (down, avoid, catching_up)
}

/// The parts of a region that do not depend on time.
#[derive(Clone, Copy, Debug)]
struct RegionStatic {
    voters: [u16; 3],
    lead_slot: u8,
    group: u8,
    size: u64,
    keys: u64,
    kv_size: u64,
    version: u64,
    conf_ver: u64,
    write_rate: f64,
    read_rate: f64,
    key_bytes: u64,
    heartbeat_phase: i64,
}

/// Where a region sits, which decides its shape.
#[derive(Clone, Copy)]
enum RegionClass<'a> {
    Meta,
    Table(&'a Table, u64),
    /// The hot table's last region, which grows and splits.
    Tail(&'a Table),
    SplitBorn(&'a Table),
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    pub(crate) count: u64,
    pub(crate) size: u64,
    pub(crate) keys: u64,
}

impl Tally {
    fn add(&mut self, size: u64, keys: u64) {
        self.count += 1;
        self.size += size;
        self.keys += keys;
    }

    fn merge(&mut self, other: &Tally) {
        self.count += other.count;
        self.size += other.size;
        self.keys += other.keys;
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RegionTotals {
    pub(crate) count: u64,
    pub(crate) empty: u64,
    pub(crate) size: u64,
    pub(crate) kv_size: u64,
    pub(crate) keys: u64,
}

impl RegionTotals {
    fn observe(&mut self, size: u64, kv_size: u64, keys: u64) {
        self.count += 1;
        if size <= EMPTY_MIB {
            self.empty += 1;
        }
        self.size += size;
        self.kv_size += kv_size;
        self.keys += keys;
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct StoreTally {
    pub(crate) regions: Tally,
    pub(crate) leaders: Tally,
    pub(crate) learners: u64,
    pub(crate) pending: u64,
}

/// Sums over the plain regions, computed once: per (group, rotation, store) for leaders with and
/// without the flapping store avoided, per (group, store) for peers.
#[derive(Default)]
pub(crate) struct PlainAggregates {
    stores: usize,
    leader_normal: Vec<Tally>,
    leader_avoid: Vec<Tally>,
    peers: Vec<Tally>,
    totals: RegionTotals,
}

impl PlainAggregates {
    pub(crate) fn compute(cluster: &SimCluster) -> Self {
        let stores = cluster.stores.len();
        let flapping = cluster.flapping_store_index() as u16;
        let mut agg = Self {
            stores,
            leader_normal: vec![Tally::default(); GROUPS * 3 * stores],
            leader_avoid: vec![Tally::default(); GROUPS * 3 * stores],
            peers: vec![Tally::default(); GROUPS * stores],
            totals: RegionTotals::default(),
        };
        let mut observe = |uid: u64, class: RegionClass<'_>| {
            if !cluster.is_plain(uid) {
                return;
            }
            let st = cluster.region_static(uid, class);
            let g = usize::from(st.group);
            agg.totals.observe(st.size, st.kv_size, st.keys);
            for &voter in &st.voters {
                agg.peers[g * stores + usize::from(voter)].add(st.size, st.keys);
            }
            for rotation in 0..3u8 {
                let slot = usize::from((st.lead_slot + rotation) % 3);
                let leader = usize::from(st.voters[slot]);
                let row = (g * 3 + usize::from(rotation)) * stores;
                agg.leader_normal[row + leader].add(st.size, st.keys);
                let avoided = if st.voters[slot] == flapping {
                    usize::from(st.voters[(slot + 1) % 3])
                } else {
                    leader
                };
                agg.leader_avoid[row + avoided].add(st.size, st.keys);
            }
        };
        observe(0, RegionClass::Meta);
        for table in cluster.layout.tables() {
            for local in 0..table.base_len {
                observe(table.first + local, RegionClass::Table(table, local));
            }
        }
        agg
    }

    /// The largest per-store sum of plain region sizes (MiB), for sizing disks.
    pub(crate) fn max_store_size(&self) -> u64 {
        (0..self.stores)
            .map(|s| {
                (0..GROUPS)
                    .map(|g| self.peers[g * self.stores + s].size)
                    .sum::<u64>()
            })
            .max()
            .unwrap_or(0)
    }
}

fn place(seed: u64, stores: u64, uid: u64) -> [u16; 3] {
    let h = hash(seed, SALT_PLACE, uid);
    if stores == 3 {
        return PERMUTATIONS[(h % 6) as usize];
    }
    let a = h % stores;
    let b = (a + 1 + (h >> 16) % (stores - 1)) % stores;
    let (lo, hi) = (a.min(b), a.max(b));
    let mut c = (h >> 40) % (stores - 2);
    if c >= lo {
        c += 1;
    }
    if c >= hi {
        c += 1;
    }
    [a as u16, b as u16, c as u16]
}

/// A store holding none of `voters`, for a fourth (learner) peer.
fn fourth_store(seed: u64, stores: u64, uid: u64, voters: [u16; 3]) -> u16 {
    let mut sorted = voters.map(u64::from);
    sorted.sort_unstable();
    let mut pick = hash(seed, SALT_LEARNER, uid) % (stores - 3);
    for taken in sorted {
        if pick >= taken {
            pick += 1;
        }
    }
    pick as u16
}

impl SimCluster {
    /// The learner regions: about 0.2% of base regions (at least 4), evenly spread.
    pub(crate) fn pick_learner_regions(&self) -> Vec<u64> {
        let n = self.base_regions;
        if n < 3 {
            return Vec::new();
        }
        let count = (n / 500).max(4).min(n - 2);
        (0..count)
            .map(|l| 1 + ((2 * l + 1) * (n - 2)) / (2 * count))
            .collect()
    }

    fn is_tail(&self, uid: u64) -> bool {
        self.base_regions >= 2 && uid == self.base_regions - 1
    }

    /// Plain regions are summed at start-up; the others are computed per moment.
    fn is_plain(&self, uid: u64) -> bool {
        uid < self.base_regions
            && !self.is_tail(uid)
            && self.learner_regions.binary_search(&uid).is_err()
    }

    fn class_of(&self, uid: u64) -> RegionClass<'_> {
        let hot = self.layout.tables().last();
        match (uid, hot) {
            (0, _) => RegionClass::Meta,
            (uid, Some(hot)) if uid >= self.base_regions => RegionClass::SplitBorn(hot),
            (uid, Some(hot)) if self.is_tail(uid) => RegionClass::Tail(hot),
            (uid, _) => match self.layout.table_at(uid) {
                Some((table, local)) => RegionClass::Table(table, local),
                None => RegionClass::Meta,
            },
        }
    }

    fn region_static(&self, uid: u64, class: RegionClass<'_>) -> RegionStatic {
        let seed = self.cfg.seed;
        let h = hash(seed, SALT_SIZE, uid);
        let shape = hash(seed, SALT_SHAPE, uid);
        let p = unit(h);
        let sized = |lo: u64, hi: u64| between(h >> 8, lo, hi);
        // (size MiB, bytes per key); size 1 with key_bytes 0 is an empty region.
        let (size, key_bytes) = match class {
            RegionClass::Meta => (2, 64),
            RegionClass::Table(table, local) => {
                let key_bytes = if table.is_index_region(local) {
                    96
                } else {
                    table.row_bytes
                };
                match table.kind {
                    TableKind::System if p < 0.6 => (1, 0),
                    TableKind::System => (sized(1, 6), 256),
                    _ if table.base_len == 1 && p < 0.3 => (1, 0),
                    _ if table.base_len == 1 => (sized(1, 60), key_bytes),
                    _ if p < 0.02 => (sized(2, 19), key_bytes),
                    _ if p < 0.025 => (sized(145, 256), key_bytes),
                    _ => (sized(40, 110), key_bytes),
                }
            }
            RegionClass::Tail(table) => (sized(40, 110), table.row_bytes),
            RegionClass::SplitBorn(table) => (sized(88, 100), table.row_bytes),
        };
        let empty = key_bytes == 0;
        let keys = if empty { 0 } else { size * MIB / key_bytes };
        let rate = |salt: u64, zero: f64, small: f64, small_hi: u64, big_hi: u64| {
            let bits = hash(seed, salt, uid);
            let q = unit(bits);
            if empty || q < zero {
                0.0
            } else if q < small {
                between(bits >> 12, 32, small_hi) as f64
            } else {
                between(bits >> 12, small_hi, big_hi) as f64
            }
        };
        let (write_rate, read_rate) = match class {
            RegionClass::Meta => (512.0, 4_096.0),
            RegionClass::Tail(_) => (1_310_720.0, 0.0),
            _ => (
                rate(SALT_WRITE, 0.55, 0.9, 2_048, 65_536),
                rate(SALT_READ, 0.5, 0.9, 16_384, 1_048_576),
            ),
        };
        let version = match class {
            RegionClass::SplitBorn(_) => {
                self.base_version(self.base_regions - 1) + (uid - self.base_regions) + 1
            }
            _ => self.base_version(uid),
        };
        RegionStatic {
            voters: place(seed, self.stores.len() as u64, uid),
            lead_slot: (shape % 3) as u8,
            group: ((shape >> 8) % GROUPS as u64) as u8,
            size,
            keys,
            kv_size: size * 3 / 4,
            version,
            conf_ver: 5 + 2 * ((shape >> 20) % 3),
            write_rate,
            read_rate,
            key_bytes: key_bytes.max(1),
            heartbeat_phase: ((shape >> 24) % (REGION_HEARTBEAT as u64)) as i64,
        }
    }

    fn base_version(&self, uid: u64) -> u64 {
        between(hash(self.cfg.seed, SALT_SHAPE, uid) >> 32, 2, 60)
    }

    /// `(completed learner windows, Some(learner pending) while a learner exists)`.
    fn learner_phase(&self, uid: u64, moment: &Moment) -> Option<(u64, Option<bool>)> {
        let l = self.learner_regions.binary_search(&uid).ok()? as i64;
        let count = self.learner_regions.len() as i64;
        let phase = l * LEARNER_PERIOD / count
            + (hash(self.cfg.seed, SALT_LEARNER, uid) % (10 * SECOND as u64)) as i64;
        let t = moment.t_ns - phase;
        if t < 0 {
            return Some((0, None));
        }
        let (done, offset) = ((t / LEARNER_PERIOD) as u64, t % LEARNER_PERIOD);
        Some(if offset < LEARNER_WINDOW {
            (done, Some(offset < LEARNER_WINDOW * 6 / 10))
        } else {
            (done + 1, None)
        })
    }

    /// The region with `uid` at `moment`, keys left empty (callers that need them fill them).
    fn build_region(&self, uid: u64, moment: &Moment) -> SimRegion {
        let class = self.class_of(uid);
        let st = self.region_static(uid, class);
        let seed = self.cfg.seed;
        let stores = self.stores.len();
        let id = 8 * uid + 2;
        let g = usize::from(st.group);
        let flapping = moment.down.index;
        let mut region = SimRegion {
            index: 0,
            id,
            start_key: RegionKey::empty(),
            end_key: RegionKey::empty(),
            conf_ver: st.conf_ver,
            version: st.version,
            peers: [SimPeer::NONE; 4],
            peer_count: 0,
            leader: None,
            down_peer: None,
            pending: [SimPeer::NONE; 2],
            pending_count: 0,
            cpu_usage: 0,
            written_bytes: 0,
            read_bytes: 0,
            written_keys: 0,
            read_keys: 0,
            approximate_size: st.size,
            approximate_keys: st.keys,
            approximate_kv_size: st.kv_size,
            last_heartbeat_ns: 0,
        };
        if let RegionClass::Tail(table) = class {
            region.version += moment.splits;
            if moment.t_ns >= 0 {
                let size = if moment.splits < self.cfg.max_splits {
                    let interval = self.split_interval_ns();
                    8 + (88 * (moment.t_ns % interval) as u128 / interval as u128) as u64
                } else {
                    90
                };
                region.approximate_size = size;
                region.approximate_keys = size * MIB / table.row_bytes;
                region.approximate_kv_size = size * 3 / 4;
            }
        }

        // Peers: with 3 stores a learner replaces voter slot 2 on the same store (a replica being
        // rebuilt); with more stores it is a fourth peer on another store.
        let learner = self.learner_phase(uid, moment);
        let active = learner.and_then(|(_, active)| active);
        if let Some((done, _)) = learner {
            region.conf_ver += 3 * done + if active.is_some() { 2 } else { 0 };
        }
        let replaced = (active.is_some() && stores == 3).then_some(2usize);
        for (slot, &store) in st.voters.iter().enumerate() {
            if replaced != Some(slot) {
                region.push_peer(SimPeer {
                    id: id + 1 + slot as u64,
                    store_id: store_id(usize::from(store)),
                    role: PeerRole::Voter,
                });
            }
        }
        let learner_peer = active.map(|_| {
            let store = if stores == 3 {
                st.voters[2]
            } else {
                fourth_store(seed, stores as u64, uid, st.voters)
            };
            SimPeer {
                id: id + 4,
                store_id: store_id(usize::from(store)),
                role: PeerRole::Learner,
            }
        });
        if let Some(peer) = learner_peer {
            region.push_peer(peer);
        }

        let mut slot = usize::from((st.lead_slot + moment.rotation[g]) % 3);
        for _ in 0..3 {
            let unusable = replaced == Some(slot)
                || (moment.avoid_flapping[g] && usize::from(st.voters[slot]) == flapping);
            if !unusable {
                break;
            }
            slot = (slot + 1) % 3;
        }
        region.leader = Some(SimPeer {
            id: id + 1 + slot as u64,
            store_id: store_id(usize::from(st.voters[slot])),
            role: PeerRole::Voter,
        });

        let on_flapping = region
            .peers()
            .iter()
            .copied()
            .find(|p| store_index(p.store_id) == Some(flapping));
        if let Some(peer) = on_flapping {
            if moment.down.not_up {
                region.down_peer = Some((peer, moment.down.down_seconds));
                region.push_pending(peer);
            } else if moment.catching_up[g] {
                region.push_pending(peer);
            }
        }
        if let (Some(peer), Some(true)) = (learner_peer, active) {
            region.push_pending(peer);
        }

        // Traffic of the last region heartbeat's minute.
        let beat = (moment.now_ns - st.heartbeat_phase).div_euclid(REGION_HEARTBEAT);
        let beat_at = beat * REGION_HEARTBEAT + st.heartbeat_phase;
        region.last_heartbeat_ns = beat_at;
        let load = self.load_at(beat_at);
        let mut write_rate = st.write_rate;
        let mut read_rate = st.read_rate;
        if let Some(j) = moment.hot_pick(&moment.hot_write, uid) {
            write_rate += between(
                hash2(
                    seed,
                    SALT_HOT_WRITE,
                    moment.hot_window as u64,
                    100 + j as u64,
                ),
                262_144,
                2_097_152,
            ) as f64;
        }
        if let Some(j) = moment.hot_pick(&moment.hot_read, uid) {
            read_rate += between(
                hash2(
                    seed,
                    SALT_HOT_READ,
                    moment.hot_window as u64,
                    100 + j as u64,
                ),
                524_288,
                8_388_608,
            ) as f64;
        }
        let minute = REGION_HEARTBEAT as f64 / SECOND as f64;
        let jitter_w = 0.7 + 0.6 * unit(hash2(seed, SALT_FLOW_WRITE, uid, beat as u64));
        let jitter_r = 0.7 + 0.6 * unit(hash2(seed, SALT_FLOW_READ, uid, beat as u64));
        region.written_bytes = (write_rate * load * minute * jitter_w) as u64;
        region.read_bytes = (read_rate * load * minute * jitter_r) as u64;
        region.written_keys = region.written_bytes / st.key_bytes;
        region.read_keys = region.read_bytes / st.key_bytes;
        region.cpu_usage = (region.written_bytes + 2 * region.read_bytes) / 300_000;
        region
    }

    /// The uid of the region at key-order `index`.
    pub(crate) fn uid_at(&self, index: u64, splits: u64) -> Option<u64> {
        let n = self.base_regions;
        if index >= n + splits {
            None
        } else if n < 2 || index < n - 1 {
            Some(index)
        } else if index < n - 1 + splits {
            Some(n + (index - (n - 1)))
        } else {
            Some(n - 1)
        }
    }

    fn index_of_uid(&self, uid: u64, splits: u64) -> Option<u64> {
        let n = self.base_regions;
        if uid < n {
            Some(if self.is_tail(uid) {
                n - 1 + splits
            } else {
                uid
            })
        } else if uid - n < splits {
            Some(n - 1 + (uid - n))
        } else {
            None
        }
    }

    pub(crate) fn region_count_at(&self, moment: &Moment) -> u64 {
        self.base_regions + moment.splits
    }

    /// The region at key-order `index`, keys included.
    pub(crate) fn region_at_moment(&self, index: u64, moment: &Moment) -> Option<SimRegion> {
        let uid = self.uid_at(index, moment.splits)?;
        let mut region = self.build_region(uid, moment);
        region.index = index;
        region.start_key = self.layout.start_key(index);
        region.end_key = if index + 1 == self.region_count_at(moment) {
            RegionKey::empty()
        } else {
            self.layout.start_key(index + 1)
        };
        Some(region)
    }

    pub(crate) fn region_by_id_at(&self, id: u64, moment: &Moment) -> Option<SimRegion> {
        if id < 2 || !(id - 2).is_multiple_of(8) {
            return None;
        }
        let index = self.index_of_uid((id - 2) / 8, moment.splits)?;
        self.region_at_moment(index, moment)
    }

    /// Key-order index of the region containing `key` (memcomparable bytes, as PD sees them).
    pub(crate) fn region_index_for_key(&self, key: &[u8], moment: &Moment) -> u64 {
        // Largest index whose start key is <= key; region 0 starts at "".
        let (mut lo, mut hi) = (0, self.region_count_at(moment));
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if self.layout.start_key(mid).as_bytes() <= key {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Number of regions whose start key is below `key` (all of them for an empty key).
    pub(crate) fn regions_starting_before(&self, key: &[u8], moment: &Moment) -> u64 {
        let count = self.region_count_at(moment);
        if key.is_empty() {
            return count;
        }
        let (mut lo, mut hi) = (0, count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.layout.start_key(mid).as_bytes() < key {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Regions in key order over `range`, each start key computed once.
    pub(crate) fn regions_at_moment<'a>(
        &'a self,
        range: Range<u64>,
        moment: &'a Moment,
    ) -> RegionIter<'a> {
        let count = self.region_count_at(moment);
        RegionIter {
            cluster: self,
            moment,
            next: range.start.min(count),
            end: range.end.min(count),
            count,
            next_start: None,
        }
    }

    /// Whether a region belongs in `/regions/check/{check}`.
    pub(crate) fn region_matches(
        &self,
        region: &SimRegion,
        check: RegionCheck,
        moment: &Moment,
    ) -> bool {
        match check {
            // A peer on a Down store counts as missing (the replica checker wants to replace it).
            RegionCheck::MissPeer => {
                region.voter_count() < 3
                    || (moment.down.is_down
                        && region
                            .peers()
                            .iter()
                            .any(|p| store_index(p.store_id) == Some(moment.down.index)))
            }
            RegionCheck::ExtraPeer => region.peers().len() > 3,
            RegionCheck::DownPeer => !region.down_peers().is_empty(),
            RegionCheck::PendingPeer => !region.pending_peers().is_empty(),
            RegionCheck::OfflinePeer => false,
            RegionCheck::LearnerPeer => region.has_learner(),
            RegionCheck::EmptyRegion => region.is_empty_region(),
            RegionCheck::OversizedRegion => region.is_oversized(),
            RegionCheck::UndersizedRegion => region.is_undersized(),
        }
    }

    /// The regions that are neither plain nor split-born: the tail and the learner regions.
    fn special_uids(&self) -> impl Iterator<Item = u64> + '_ {
        let n = self.base_regions;
        let tail = (n >= 2).then(|| n - 1);
        tail.into_iter().chain(self.learner_regions.iter().copied())
    }

    /// Per-store leader/peer/pending totals and region totals at `moment`, without walking every
    /// region: O(groups × stores + splits + learner regions).
    pub(crate) fn tally(&self, moment: &Moment) -> ClusterTally {
        let stores = self.stores.len();
        let plain = &self.plain;
        let flapping = moment.down.index;
        let mut out = vec![StoreTally::default(); stores];
        for g in 0..GROUPS {
            let leaders = if moment.avoid_flapping[g] {
                &plain.leader_avoid
            } else {
                &plain.leader_normal
            };
            let row = (g * 3 + usize::from(moment.rotation[g])) * stores;
            for (s, tally) in out.iter_mut().enumerate() {
                tally.leaders.merge(&leaders[row + s]);
                tally.regions.merge(&plain.peers[g * stores + s]);
            }
            if moment.down.not_up || moment.catching_up[g] {
                out[flapping].pending += plain.peers[g * stores + flapping].count;
            }
        }
        let mut totals = plain.totals;
        // Split-born regions behave like plain ones (no learner, fixed size): sum them the same
        // way without building whole regions.
        if let Some(hot) = self.layout.tables().last() {
            let n = self.base_regions;
            for uid in n..n + moment.splits {
                let st = self.region_static(uid, RegionClass::SplitBorn(hot));
                let g = usize::from(st.group);
                totals.observe(st.size, st.kv_size, st.keys);
                for &voter in &st.voters {
                    out[usize::from(voter)].regions.add(st.size, st.keys);
                }
                let mut slot = usize::from((st.lead_slot + moment.rotation[g]) % 3);
                if moment.avoid_flapping[g] && usize::from(st.voters[slot]) == flapping {
                    slot = (slot + 1) % 3;
                }
                out[usize::from(st.voters[slot])]
                    .leaders
                    .add(st.size, st.keys);
                let on_flapping = st.voters.iter().any(|&v| usize::from(v) == flapping);
                if on_flapping && (moment.down.not_up || moment.catching_up[g]) {
                    out[flapping].pending += 1;
                }
            }
        }
        for uid in self.special_uids() {
            let region = self.build_region(uid, moment);
            totals.observe(
                region.approximate_size,
                region.approximate_kv_size,
                region.approximate_keys,
            );
            for peer in region.peers() {
                if let Some(s) = store_index(peer.store_id) {
                    out[s]
                        .regions
                        .add(region.approximate_size, region.approximate_keys);
                    if peer.role == PeerRole::Learner {
                        out[s].learners += 1;
                    }
                }
            }
            if let Some(s) = region.leader.and_then(|l| store_index(l.store_id)) {
                out[s]
                    .leaders
                    .add(region.approximate_size, region.approximate_keys);
            }
            for peer in region.pending_peers() {
                if let Some(s) = store_index(peer.store_id) {
                    out[s].pending += 1;
                }
            }
        }
        ClusterTally {
            stores: out,
            totals,
        }
    }

    pub(crate) fn moment_at_ns(&self, now_ns: i64) -> Moment {
        Moment::new(self, now_ns)
    }

    /// The hot peers PD's hotspot endpoints report at `moment`.
    pub(crate) fn hot_snapshot(&self, moment: &Moment) -> HotSnapshot {
        let n = self.base_regions;
        let alive = |store: usize| store != moment.down.index || moment.down.alive;
        let store_heartbeat = |store: usize| {
            if store == moment.down.index {
                moment.down.last_heartbeat_ns
            } else {
                let spec = &self.stores[store];
                heartbeat_before(
                    spec.start_secs * SECOND + spec.heartbeat_offset,
                    moment.now_ns,
                )
            }
        };
        let minutes_in_window =
            ((moment.now_ns - moment.hot_window_start_ns).max(0) / (60 * SECOND)) as u64;
        let mut write_regions: Vec<(u64, u64)> = Vec::new();
        if n >= 2 {
            let degree = if moment.t_ns >= 0 {
                5 + (moment.t_ns / (60 * SECOND)).min(995) as u64
            } else {
                5
            };
            write_regions.push((n - 1, degree));
        }
        for (j, &uid) in moment.hot_write.iter().enumerate() {
            if !write_regions.iter().any(|&(u, _)| u == uid) {
                write_regions.push((uid, 1 + minutes_in_window + 2 * j as u64));
            }
        }
        let mut read_regions: Vec<(u64, u64)> = Vec::new();
        for (j, &uid) in moment.hot_read.iter().enumerate() {
            if !read_regions.iter().any(|&(u, _)| u == uid) {
                read_regions.push((uid, 1 + minutes_in_window + 2 * j as u64));
            }
        }
        let minute = REGION_HEARTBEAT as f64 / SECOND as f64;
        let mut snapshot = HotSnapshot::default();
        for (uid, degree) in write_regions {
            let region = self.build_region(uid, moment);
            let stores: Vec<u64> = region.peers().iter().map(|p| p.store_id).collect();
            let flow_bytes = region.written_bytes as f64 / minute;
            let flow_keys = region.written_keys as f64 / minute;
            for peer in region.peers() {
                let Some(store) = store_index(peer.store_id).filter(|&s| alive(s)) else {
                    continue;
                };
                snapshot.write.push(HotPeer {
                    store,
                    region_id: region.id,
                    stores: stores.clone(),
                    is_leader: region.leader.map(|l| l.id) == Some(peer.id),
                    is_learner: peer.role == PeerRole::Learner,
                    hot_degree: degree,
                    flow_bytes,
                    flow_keys,
                    flow_query: (flow_keys / 8.0 * 10.0).round() / 10.0,
                    anti_count: 2,
                    last_update_ns: region.last_heartbeat_ns.div_euclid(SECOND) * SECOND,
                });
            }
        }
        for (uid, degree) in read_regions {
            let region = self.build_region(uid, moment);
            let Some(leader) = region.leader else {
                continue;
            };
            let Some(store) = store_index(leader.store_id).filter(|&s| alive(s)) else {
                continue;
            };
            let flow_keys = region.read_keys as f64 / minute;
            snapshot.read.push(HotPeer {
                store,
                region_id: region.id,
                stores: region.peers().iter().map(|p| p.store_id).collect(),
                is_leader: true,
                is_learner: false,
                hot_degree: degree,
                flow_bytes: region.read_bytes as f64 / minute,
                flow_keys,
                flow_query: (flow_keys / 6.0 * 10.0).round() / 10.0,
                anti_count: 1,
                last_update_ns: store_heartbeat(store),
            });
        }
        snapshot.write.sort_by_key(|p| (p.store, p.region_id));
        snapshot.read.sort_by_key(|p| (p.store, p.region_id));
        snapshot
    }

    /// The number of regions at `now`.
    pub fn region_count(&self, now: Timestamp) -> u64 {
        self.region_count_at(&self.moment(now))
    }

    /// The region at key-order position `index` (0 starts at key ""), if there is one.
    pub fn region_at(&self, index: u64, now: Timestamp) -> Option<SimRegion> {
        self.region_at_moment(index, &self.moment(now))
    }

    /// The region with this id, if it exists at `now`.
    pub fn region_by_id(&self, id: u64, now: Timestamp) -> Option<SimRegion> {
        self.region_by_id_at(id, &self.moment(now))
    }

    /// The region containing `key` (memcomparable-encoded bytes, as region keys are). The key
    /// space is fully covered, so there always is one.
    pub fn find_region_by_key(&self, key: &[u8], now: Timestamp) -> SimRegion {
        let moment = self.moment(now);
        let index = self.region_index_for_key(key, &moment);
        match self.region_at_moment(index, &moment) {
            Some(region) => region,
            None => unreachable!("region_index_for_key returns an index below the region count"),
        }
    }

    /// Regions over a key-order index range at `now`.
    pub fn regions(&self, range: Range<u64>, now: Timestamp) -> Vec<SimRegion> {
        let moment = self.moment(now);
        self.regions_at_moment(range, &moment).collect()
    }
}

/// Sequential regions in key order; each boundary key is computed once.
pub(crate) struct RegionIter<'a> {
    cluster: &'a SimCluster,
    moment: &'a Moment,
    next: u64,
    end: u64,
    count: u64,
    next_start: Option<RegionKey>,
}

impl Iterator for RegionIter<'_> {
    type Item = SimRegion;

    fn next(&mut self) -> Option<SimRegion> {
        if self.next >= self.end {
            return None;
        }
        let index = self.next;
        self.next += 1;
        let uid = self.cluster.uid_at(index, self.moment.splits)?;
        let mut region = self.cluster.build_region(uid, self.moment);
        region.index = index;
        region.start_key = self
            .next_start
            .take()
            .unwrap_or_else(|| self.cluster.layout.start_key(index));
        region.end_key = if index + 1 == self.count {
            RegionKey::empty()
        } else {
            self.cluster.layout.start_key(index + 1)
        };
        self.next_start = Some(region.end_key);
        Some(region)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = (self.end - self.next) as usize;
        (left, Some(left))
    }
}

/// One hot peer of `/hotspot/regions/{read,write}`.
#[derive(Clone, Debug)]
pub(crate) struct HotPeer {
    pub(crate) store: usize,
    pub(crate) region_id: u64,
    pub(crate) stores: Vec<u64>,
    pub(crate) is_leader: bool,
    pub(crate) is_learner: bool,
    pub(crate) hot_degree: u64,
    pub(crate) flow_bytes: f64,
    pub(crate) flow_keys: f64,
    pub(crate) flow_query: f64,
    pub(crate) anti_count: u64,
    pub(crate) last_update_ns: i64,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct HotSnapshot {
    /// Write-hot peers (every peer of a hot region), by store then region id.
    pub(crate) write: Vec<HotPeer>,
    /// Read-hot peers (leaders only), by store then region id.
    pub(crate) read: Vec<HotPeer>,
}

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct HotRates {
    pub(crate) write_bytes: f64,
    pub(crate) read_bytes: f64,
}

impl HotSnapshot {
    pub(crate) fn store_rates(&self, store: usize) -> HotRates {
        HotRates {
            write_bytes: self
                .write
                .iter()
                .filter(|p| p.store == store)
                .map(|p| p.flow_bytes)
                .fold(0.0, |a, b| a + b),
            read_bytes: self
                .read
                .iter()
                .filter(|p| p.store == store)
                .map(|p| p.flow_bytes)
                .fold(0.0, |a, b| a + b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SimConfig;

    /// The same totals as [`SimCluster::tally`], by walking every region.
    fn walk(cluster: &SimCluster, moment: &Moment) -> ClusterTally {
        let mut stores = vec![StoreTally::default(); cluster.stores.len()];
        let mut totals = RegionTotals::default();
        let count = cluster.region_count_at(moment);
        for region in cluster.regions_at_moment(0..count, moment) {
            totals.observe(
                region.approximate_size,
                region.approximate_kv_size,
                region.approximate_keys,
            );
            for peer in region.peers() {
                let s = store_index(peer.store_id).unwrap();
                stores[s]
                    .regions
                    .add(region.approximate_size, region.approximate_keys);
                if peer.role == PeerRole::Learner {
                    stores[s].learners += 1;
                }
            }
            let leader = store_index(region.leader.unwrap().store_id).unwrap();
            stores[leader]
                .leaders
                .add(region.approximate_size, region.approximate_keys);
            for peer in region.pending_peers() {
                stores[store_index(peer.store_id).unwrap()].pending += 1;
            }
        }
        ClusterTally { stores, totals }
    }

    #[test]
    fn tallies_match_a_full_walk() {
        let epoch = Timestamp::constant(1_741_593_600, 0);
        for stores in [3, 4, 7] {
            for regions in [1, 2, 3, 40, 2_500] {
                let cluster = SimCluster::new(SimConfig {
                    stores,
                    regions,
                    seed: regions ^ stores as u64,
                    epoch,
                    ..SimConfig::default()
                });
                let seconds = [
                    -4_000, 0, 125, 131, 150, 215, 300, 479, 486, 495, 505, 530, 560, 600, 605,
                    1_000, 2_650, 90_000,
                ];
                for s in seconds {
                    for extra in [0, 333_000_000] {
                        let moment = cluster.moment_at_ns(cluster.epoch_ns + s * SECOND + extra);
                        let fast = cluster.tally(&moment);
                        let slow = walk(&cluster, &moment);
                        assert_eq!(
                            fast.totals, slow.totals,
                            "stores {stores}, regions {regions}, t {s}"
                        );
                        assert_eq!(
                            fast.stores, slow.stores,
                            "stores {stores}, regions {regions}, t {s}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn every_region_has_distinct_stores_and_a_voter_leader() {
        let cluster = SimCluster::new(SimConfig {
            stores: 5,
            regions: 3_000,
            ..SimConfig::default()
        });
        for s in [0, 150, 250, 1_000, 2_600] {
            let moment = cluster.moment_at_ns(cluster.epoch_ns + s * SECOND);
            let count = cluster.region_count_at(&moment);
            for region in cluster.regions_at_moment(0..count, &moment) {
                let mut stores: Vec<u64> = region.peers().iter().map(|p| p.store_id).collect();
                stores.sort_unstable();
                stores.dedup();
                assert_eq!(stores.len(), region.peers().len());
                let leader = region.leader.unwrap();
                assert!(region.peers().contains(&leader));
                assert_eq!(leader.role, PeerRole::Voter);
                assert_eq!(
                    cluster.region_by_id_at(region.id, &moment).as_ref(),
                    Some(&region)
                );
            }
        }
    }
}
