//! What PD's `/hotspot/regions/{read,write}` report at a moment: the peers of the moment's hot
//! regions and their flows, which also add to the stores' byte rates (and so to
//! `/hotspot/stores`). Which regions are hot, and how much traffic that adds to them, is decided in
//! `regions` (`Moment`, `RegionModel::build_region`); this is PD's view of them.

use super::regions::{Moment, PeerRole, REGION_HEARTBEAT, RegionModel};
use super::timeline::{SECOND, Timeline, store_index};

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
    /// The hot peers PD's hotspot endpoints report at `moment`.
    pub(crate) fn at(timeline: &Timeline, regions: &RegionModel, moment: &Moment) -> Self {
        let n = regions.base_regions;
        let alive = |store: usize| store != moment.down.index || moment.down.alive;
        let store_heartbeat = |store: usize| {
            if store == moment.down.index {
                moment.down.last_heartbeat_ns
            } else {
                timeline.stores[store].first_process_heartbeat(moment.now_ns)
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
        let mut snapshot = Self::default();
        for (uid, degree) in write_regions {
            let region = regions.build_region(uid, moment);
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
            let region = regions.build_region(uid, moment);
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
