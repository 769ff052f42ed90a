//! Regions, derived on demand. A region is identified by a `uid`: base regions are `0..regions`
//! in key order at t = 0, and the k-th split adds uid `regions + k`. Everything about a region
//! (keys, peers, sizes, epoch, traffic) is computed from `(seed, uid, moment)` in O(1) plus one
//! binary search over the tables, so nothing is stored per region.
//!
//! Time-dependent behaviour, all of it O(1) per region:
//! - Leaders rotate: regions fall in 64 groups by hash, and each group's leader slot advances
//!   every 30 minutes, one group every ~28 s.
//! - The flapping store (see `timeline`): its leaders are transferred to the next voter, group
//!   after group, in the 30 s before it stops (a graceful restart: `tiup cluster reload` evicts a
//!   TiKV's leaders before stopping it), so its leader count falls to 0 while it still reports;
//!   its peers are down and pending once PD calls it Disconnected; after it restarts the groups
//!   catch up (pending) and take their leaders back one after the other.
//! - Splits: the hot table's last region splits every `split_interval`; the new regions sit just
//!   before it in key order, so key-order index `i` maps to a uid without any lookup.
//! - A few regions gain a learner for 4 minutes every 40 minutes (staggered).
//! - A few regions are hot for 5 minutes at a time (what PD reports of them is in `hot`).
//!
//! Per-store totals are not here: `tally` sums them without building every region.

use std::ops::Range;

use super::keys::RegionKey;
use super::layout::{KeyLayout, Table, TableKind};
use super::mix::{between, hash, hash2, unit};
use super::timeline::{FlappingStore, SECOND, SimConfig, Timeline, load_at, store_id, store_index};

const MIB: u64 = 1 << 20;
/// Leader groups: regions fall in these by hash, and a group's leaders move together.
pub(crate) const GROUPS: usize = 64;
const LEADER_ROTATION: i64 = 1_800 * SECOND;
/// The flapping store's leaders start moving away this long before it stops...
const EVICT_BEFORE_STOP: i64 = 30 * SECOND;
/// ...group after group over this long, so that the last leaves 10 s before the stop. (PD's
/// evict-leader scheduler, which does it for `tiup`, is not modelled.)
const EVICT_SPREAD: i64 = 20 * SECOND;
/// After the restart, balance-leader starts moving leaders back after this long...
const REBALANCE_DELAY: i64 = 30 * SECOND;
/// ...and has moved all of them back this much later.
const REBALANCE_SPREAD: i64 = 90 * SECOND;
/// After the restart, the restarted peers are pending (catching up) for up to this long.
const CATCH_UP: i64 = 60 * SECOND;
const LEARNER_PERIOD: i64 = 2_400 * SECOND;
const LEARNER_WINDOW: i64 = 240 * SECOND;
/// Regions heartbeat every minute; traffic fields cover that minute.
pub(crate) const REGION_HEARTBEAT: i64 = 60 * SECOND;
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

/// Everything time-dependent that is shared by all regions at one instant, computed once per
/// request.
pub(crate) struct Moment {
    pub(crate) now_ns: i64,
    /// Nanoseconds since the scenario epoch (negative before it).
    pub(crate) t_ns: i64,
    pub(crate) splits: u64,
    /// Per leader group, how far its leader slot has advanced (mod 3).
    pub(crate) rotation: [u8; GROUPS],
    /// Per leader group, whether its leaders stay off the flapping store.
    pub(crate) avoid_flapping: [bool; GROUPS],
    /// Per leader group, whether its peers on the restarted store are still pending.
    pub(crate) catching_up: [bool; GROUPS],
    pub(crate) down: FlappingStore,
    hot_window: i64,
    pub(crate) hot_window_start_ns: i64,
    /// The uids of this window's write-hot and read-hot regions.
    pub(crate) hot_write: [u64; HOT_PICKS],
    pub(crate) hot_read: [u64; HOT_PICKS],
}

impl Moment {
    pub(crate) fn new(timeline: &Timeline, regions: &RegionModel, now_ns: i64) -> Self {
        let t_ns = now_ns.saturating_sub(timeline.epoch_ns);
        let n = regions.base_regions;
        let splits = if n >= 2 && t_ns >= 0 {
            ((t_ns / regions.cfg.split_interval_ns()) as u64).min(regions.cfg.max_splits)
        } else {
            0
        };
        let mut rotation = [0u8; GROUPS];
        for (g, slot) in rotation.iter_mut().enumerate() {
            let shifted = t_ns.saturating_add(g as i64 * LEADER_ROTATION / GROUPS as i64);
            *slot = shifted.div_euclid(LEADER_ROTATION).rem_euclid(3) as u8;
        }
        let down = timeline.flapping_store(now_ns);
        let (avoid_flapping, catching_up) = outage_groups(timeline, now_ns);
        let hot_window = t_ns.div_euclid(HOT_WINDOW);
        // Any region but the meta region (0) and the tail (always write-hot).
        let pick = |salt: u64, j: usize| {
            let bits = hash2(regions.cfg.seed, salt, hot_window as u64, j as u64);
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
            hot_window_start_ns: timeline
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

/// Which leader groups keep their leaders off the flapping store (from their transfer before it
/// stops until balance-leader brings them back, group after group) and which groups' peers on it are
/// still catching up after its restart. A cycle's return reaches into the next cycle, so the
/// previous cycle counts too.
fn outage_groups(timeline: &Timeline, now: i64) -> ([bool; GROUPS], [bool; GROUPS]) {
    let mut avoid = [false; GROUPS];
    let mut catching_up = [false; GROUPS];
    let Some(cycle) = timeline.outage_cycle(now) else {
        return (avoid, catching_up);
    };
    for c in [cycle - 1, cycle] {
        if c < 0 {
            continue;
        }
        let stop_at = timeline.outage_stop_at(c);
        let back = timeline.restarted_heartbeat_base(c);
        for g in 0..GROUPS {
            let g64 = g as i64;
            let returns = back + REBALANCE_DELAY + g64 * REBALANCE_SPREAD / GROUPS as i64;
            let leaves = stop_at - EVICT_BEFORE_STOP + g64 * EVICT_SPREAD / GROUPS as i64;
            if now >= leaves && now < returns {
                avoid[g] = true;
            }
            if now >= back && now < back + (g64 + 1) * CATCH_UP / GROUPS as i64 {
                catching_up[g] = true;
            }
        }
    }
    (avoid, catching_up)
}

/// The parts of a region that do not depend on time.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RegionStatic {
    /// Store indexes of the three voters, in peer order.
    pub(crate) voters: [u16; 3],
    /// The voter slot that leads at rotation 0.
    pub(crate) lead_slot: u8,
    pub(crate) group: u8,
    pub(crate) size: u64,
    pub(crate) keys: u64,
    pub(crate) kv_size: u64,
    version: u64,
    conf_ver: u64,
    write_rate: f64,
    read_rate: f64,
    key_bytes: u64,
    heartbeat_phase: i64,
}

/// Where a region sits, which decides its shape.
#[derive(Clone, Copy)]
pub(crate) enum RegionClass<'a> {
    Meta,
    Table(&'a Table, u64),
    /// The hot table's last region, which grows and splits.
    Tail(&'a Table),
    SplitBorn(&'a Table),
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

/// The learner regions among `n` base regions: about 0.2% (at least 4), evenly spread.
fn pick_learner_regions(n: u64) -> Vec<u64> {
    if n < 3 {
        return Vec::new();
    }
    let count = (n / 500).max(4).min(n - 2);
    (0..count)
        .map(|l| 1 + ((2 * l + 1) * (n - 2)) / (2 * count))
        .collect()
}

/// The regions of one cluster: what is fixed at start-up (the key layout, the learner regions),
/// from which any region at any [`Moment`] is derived. O(tables) memory, nothing per region.
pub(crate) struct RegionModel {
    /// The normalized configuration (seed, store count, split schedule).
    pub(crate) cfg: SimConfig,
    /// Regions at the epoch, before any split.
    pub(crate) base_regions: u64,
    pub(crate) layout: KeyLayout,
    /// Base regions that periodically gain a learner, ascending.
    pub(crate) learner_regions: Vec<u64>,
}

impl RegionModel {
    pub(crate) fn new(timeline: &Timeline) -> Self {
        let cfg = timeline.cfg.clone();
        Self {
            base_regions: cfg.regions,
            layout: KeyLayout::generate(cfg.seed, cfg.regions),
            learner_regions: pick_learner_regions(cfg.regions),
            cfg,
        }
    }

    fn is_tail(&self, uid: u64) -> bool {
        self.base_regions >= 2 && uid == self.base_regions - 1
    }

    /// Plain regions are summed at start-up; the others are computed per moment.
    pub(crate) fn is_plain(&self, uid: u64) -> bool {
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

    pub(crate) fn region_static(&self, uid: u64, class: RegionClass<'_>) -> RegionStatic {
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
            voters: place(seed, self.cfg.stores as u64, uid),
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
    pub(crate) fn build_region(&self, uid: u64, moment: &Moment) -> SimRegion {
        let class = self.class_of(uid);
        let st = self.region_static(uid, class);
        let seed = self.cfg.seed;
        let stores = self.cfg.stores;
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
                    let interval = self.cfg.split_interval_ns();
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
        let load = load_at(self.cfg.seed, beat_at);
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
            regions: self,
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
    pub(crate) fn special_uids(&self) -> impl Iterator<Item = u64> + '_ {
        let n = self.base_regions;
        let tail = (n >= 2).then(|| n - 1);
        tail.into_iter().chain(self.learner_regions.iter().copied())
    }
}

/// Sequential regions in key order; each boundary key is computed once.
pub(crate) struct RegionIter<'a> {
    regions: &'a RegionModel,
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
        let uid = self.regions.uid_at(index, self.moment.splits)?;
        let mut region = self.regions.build_region(uid, self.moment);
        region.index = index;
        region.start_key = self
            .next_start
            .take()
            .unwrap_or_else(|| self.regions.layout.start_key(index));
        region.end_key = if index + 1 == self.count {
            RegionKey::empty()
        } else {
            self.regions.layout.start_key(index + 1)
        };
        self.next_start = Some(region.end_key);
        Some(region)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = (self.end - self.next) as usize;
        (left, Some(left))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_region_has_distinct_stores_and_a_voter_leader() {
        let timeline = Timeline::new(SimConfig {
            stores: 5,
            regions: 3_000,
            ..SimConfig::default()
        });
        let regions = RegionModel::new(&timeline);
        for s in [0, 150, 250, 1_000, 2_600] {
            let moment = Moment::new(&timeline, &regions, timeline.epoch_ns + s * SECOND);
            let count = regions.region_count_at(&moment);
            for region in regions.regions_at_moment(0..count, &moment) {
                let mut stores: Vec<u64> = region.peers().iter().map(|p| p.store_id).collect();
                stores.sort_unstable();
                stores.dedup();
                assert_eq!(stores.len(), region.peers().len());
                let leader = region.leader.unwrap();
                assert!(region.peers().contains(&leader));
                assert_eq!(leader.role, PeerRole::Voter);
                assert_eq!(
                    regions.region_by_id_at(region.id, &moment).as_ref(),
                    Some(&region)
                );
            }
        }
    }
}
