//! PD's hot-region statistics and region checks to the public model.

use super::FieldError;
use super::timestamp::parse_pd_timestamp;
use crate::model::{HotLoad, HotRegion, HotStore, PdId, RegionHealthCounts};
use crate::upstream::pd::wire;

/// PD's region checker kinds, as `/regions/check/{kind}` names them.
pub const REGION_CHECKS: [&str; 9] = [
    "miss-peer",
    "extra-peer",
    "down-peer",
    "pending-peer",
    "offline-peer",
    "learner-peer",
    "empty-region",
    "oversized-region",
    "undersized-region",
];

/// Counts by checker kind (`None` where the check failed) into the public counts.
pub fn region_health_counts(
    counts: impl IntoIterator<Item = (&'static str, Option<u64>)>,
) -> RegionHealthCounts {
    let mut out = RegionHealthCounts::default();
    for (kind, count) in counts {
        let slot = match kind {
            "miss-peer" => &mut out.miss_peer,
            "extra-peer" => &mut out.extra_peer,
            "down-peer" => &mut out.down_peer,
            "pending-peer" => &mut out.pending_peer,
            "offline-peer" => &mut out.offline_peer,
            "learner-peer" => &mut out.learner_peer,
            "empty-region" => &mut out.empty,
            "oversized-region" => &mut out.oversized,
            "undersized-region" => &mut out.undersized,
            _ => continue,
        };
        *slot = count;
    }
    out
}

/// Hot regions grouped by store, sorted by store id; each store's regions hottest first.
pub(crate) fn hot_stores(hot: wire::HotRegions) -> Result<Vec<HotStore>, FieldError> {
    let mut stores: std::collections::BTreeMap<u64, HotStore> = std::collections::BTreeMap::new();
    for (role, map) in [("as_leader", hot.as_leader), ("as_peer", hot.as_peer)] {
        for (key, stat) in map {
            let field = format!("{role}.{key}");
            let store_id: u64 = key
                .parse()
                .map_err(|_| FieldError::new(&field, format!("{key:?} is not a store id")))?;
            let Some(stat) = stat else { continue };
            let load = hot_load(stat).map_err(|e| e.within(&field))?;
            let entry = stores.entry(store_id).or_insert_with(|| HotStore {
                store_id: PdId(store_id),
                as_leader: None,
                as_peer: None,
            });
            if role == "as_leader" {
                entry.as_leader = Some(load);
            } else {
                entry.as_peer = Some(load);
            }
        }
    }
    Ok(stores.into_values().collect())
}

fn hot_load(stat: wire::HotPeersStat) -> Result<HotLoad, FieldError> {
    let mut regions = stat
        .statistics
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let last_update_at = match r.last_update_time.as_deref() {
                Some(t) => parse_pd_timestamp(t).map_err(|e| {
                    FieldError::new(&format!("statistics[{i}].last_update_time"), e)
                })?,
                None => None,
            };
            Ok(HotRegion {
                region_id: PdId(r.region_id),
                peer_store_ids: r.stores.into_iter().map(PdId).collect(),
                is_leader: r.is_leader,
                is_learner: r.is_learner,
                hot_degree: r.hot_degree,
                bytes_per_second: r.flow_bytes,
                keys_per_second: r.flow_keys,
                queries_per_second: r.flow_query,
                anti_count: r.anti_count,
                last_update_at,
            })
        })
        .collect::<Result<Vec<_>, FieldError>>()?;
    regions.sort_by(|a, b| b.bytes_per_second.total_cmp(&a.bytes_per_second));
    Ok(HotLoad {
        store_bytes_per_second: stat.store_bytes,
        store_keys_per_second: stat.store_keys,
        store_queries_per_second: stat.store_query,
        hot_bytes_per_second: stat.total_flow_bytes,
        hot_keys_per_second: stat.total_flow_keys,
        hot_queries_per_second: stat.total_flow_query,
        hot_region_count: stat.regions_count,
        regions,
    })
}
