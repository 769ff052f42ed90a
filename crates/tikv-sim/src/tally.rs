//! Per-store totals at a moment (leader and region counts, sizes and keys, learners, pending
//! peers) and the whole cluster's region totals, without building every region.
//!
//! A walk over every region would cost O(regions) per request; instead the "plain" regions (all
//! but the split-born, the growing tail and the learner regions) are summed once at start-up per
//! (group, leader slot, store), and a moment's totals are assembled from those sums, a light pass
//! over the split-born regions, and the few special regions. The sums must follow
//! `RegionModel::build_region`'s placement and leader rules exactly; the test below holds them to
//! a full walk.

use super::regions::{EMPTY_MIB, GROUPS, Moment, PeerRole, RegionClass, RegionModel};
use super::timeline::{Timeline, store_index};

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
pub(crate) struct PlainAggregates {
    stores: usize,
    leader_normal: Vec<Tally>,
    leader_avoid: Vec<Tally>,
    peers: Vec<Tally>,
    totals: RegionTotals,
}

impl PlainAggregates {
    pub(crate) fn compute(timeline: &Timeline, regions: &RegionModel) -> Self {
        let stores = timeline.stores.len();
        let flapping = timeline.flapping_store_index() as u16;
        let mut agg = Self {
            stores,
            leader_normal: vec![Tally::default(); GROUPS * 3 * stores],
            leader_avoid: vec![Tally::default(); GROUPS * 3 * stores],
            peers: vec![Tally::default(); GROUPS * stores],
            totals: RegionTotals::default(),
        };
        let mut observe = |uid: u64, class: RegionClass<'_>| {
            if !regions.is_plain(uid) {
                return;
            }
            let st = regions.region_static(uid, class);
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
        for table in regions.layout.tables() {
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

    /// Per-store leader/peer/pending totals and region totals at `moment`, without walking every
    /// region: O(groups × stores + splits + learner regions).
    pub(crate) fn tally(&self, regions: &RegionModel, moment: &Moment) -> ClusterTally {
        let stores = self.stores;
        let plain = self;
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
        if let Some(hot) = regions.layout.tables().last() {
            let n = regions.base_regions;
            for uid in n..n + moment.splits {
                let st = regions.region_static(uid, RegionClass::SplitBorn(hot));
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
        for uid in regions.special_uids() {
            let region = regions.build_region(uid, moment);
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
}

/// Per-store sums of the split-born regions' sizes (MiB) up to some split count, carried from
/// one moment to a later one: a long range reads many moments in time order, and the splits
/// between two of them are few.
#[derive(Clone, Debug, Default)]
pub(crate) struct SplitBornSizes {
    splits: u64,
    per_store: Vec<u64>,
}

impl PlainAggregates {
    /// The MiB of each live store's regions at `moment`, exactly `tally(…).stores[s].regions.size`
    /// without the leaders, pending peers and totals: O(groups × stores + learner regions), plus
    /// the splits since the moment `born` was last brought to (all of them when it is later).
    pub(crate) fn store_region_sizes(
        &self,
        regions: &RegionModel,
        moment: &Moment,
        born: &mut SplitBornSizes,
    ) -> Vec<u64> {
        let stores = self.stores;
        let mut out = vec![0u64; stores];
        for g in 0..GROUPS {
            for (s, size) in out.iter_mut().enumerate() {
                *size += self.peers[g * stores + s].size;
            }
        }
        if born.per_store.len() != stores || born.splits > moment.splits {
            *born = SplitBornSizes {
                splits: 0,
                per_store: vec![0; stores],
            };
        }
        if let Some(hot) = regions.layout.tables().last() {
            let n = regions.base_regions;
            for uid in n + born.splits..n + moment.splits {
                let st = regions.region_static(uid, RegionClass::SplitBorn(hot));
                for &voter in &st.voters {
                    born.per_store[usize::from(voter)] += st.size;
                }
            }
            born.splits = moment.splits;
            for (size, extra) in out.iter_mut().zip(&born.per_store) {
                *size += extra;
            }
        }
        for uid in regions.special_uids() {
            let region = regions.build_region(uid, moment);
            for peer in region.peers() {
                if let Some(size) = store_index(peer.store_id).and_then(|s| out.get_mut(s)) {
                    *size += region.approximate_size;
                }
            }
        }
        out
    }
}

/// Leader, peer and pending totals of the whole cluster at one moment, per live store.
pub(crate) struct ClusterTally {
    pub(crate) stores: Vec<StoreTally>,
    pub(crate) totals: RegionTotals,
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;
    use crate::timeline::{SECOND, SimConfig};

    /// The same totals as [`PlainAggregates::tally`], by walking every region.
    fn walk(regions: &RegionModel, moment: &Moment) -> ClusterTally {
        let mut stores = vec![StoreTally::default(); regions.cfg.stores];
        let mut totals = RegionTotals::default();
        let count = regions.region_count_at(moment);
        for region in regions.regions_at_moment(0..count, moment) {
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
                let timeline = Timeline::new(SimConfig {
                    stores,
                    regions,
                    seed: regions ^ stores as u64,
                    epoch,
                    ..SimConfig::default()
                });
                let model = RegionModel::new(&timeline);
                let plain = PlainAggregates::compute(&timeline, &model);
                let seconds = [
                    -4_000, 0, 95, 105, 110, 125, 131, 150, 215, 300, 479, 486, 495, 505, 530, 560,
                    600, 605, 1_000, 2_650, 90_000,
                ];
                // Carried from moment to moment in time order, as a range query reads them.
                let mut born = SplitBornSizes::default();
                for s in seconds {
                    for extra in [0, 333_000_000] {
                        let now = timeline.epoch_ns + s * SECOND + extra;
                        let moment = Moment::new(&timeline, &model, now);
                        let fast = plain.tally(&model, &moment);
                        let slow = walk(&model, &moment);
                        assert_eq!(
                            fast.totals, slow.totals,
                            "stores {stores}, regions {regions}, t {s}"
                        );
                        assert_eq!(
                            fast.stores, slow.stores,
                            "stores {stores}, regions {regions}, t {s}"
                        );
                        let sizes: Vec<u64> = fast.stores.iter().map(|t| t.regions.size).collect();
                        assert_eq!(
                            plain.store_region_sizes(&model, &moment, &mut born),
                            sizes,
                            "stores {stores}, regions {regions}, t {s}"
                        );
                    }
                }
                // Back in time: the carried sums are too far along and start over.
                let moment = Moment::new(&timeline, &model, timeline.epoch_ns + 300 * SECOND);
                let sizes: Vec<u64> = plain
                    .tally(&model, &moment)
                    .stores
                    .iter()
                    .map(|t| t.regions.size)
                    .collect();
                assert_eq!(plain.store_region_sizes(&model, &moment, &mut born), sizes);
            }
        }
    }
}
