//! A store's removal or addition: PD's progress for it (or, where PD has none, the same figures
//! from tikv-lens' own readings of the store), and the reasons it cannot finish, from PD's
//! replication and schedule configuration, the stores, their limits, the schedulers and the
//! replica checker, all read at once. Only the store itself is required.

use crate::error::ApiError;
use crate::model::{
    Meta, PdId, ProgressAction, ProgressSource, StoreProgress, Warning, WarningSource,
};
use crate::normalize;
use crate::normalize::progress::{self, StoreReading};
use crate::state::Cluster;
use crate::upstream::Upstream;
use crate::upstream::pd::{Lookup, Served, paths};

fn pd_warning(message: String) -> Warning {
    Warning {
        source: WarningSource::Pd,
        message,
    }
}

pub(crate) async fn store_progress(cluster: &Cluster, id: u64) -> Result<StoreProgress, ApiError> {
    let pd = &cluster.pd;
    let wire = match pd.store(id).await? {
        Lookup::Found(store) => store,
        Lookup::NotFound => {
            return Err(ApiError::NotFound {
                kind: "store",
                id: id.to_string(),
                cluster: cluster.name.clone(),
            });
        }
    };
    let read_at = crate::upstream::freshness::observed_at();
    let store = normalize::store(wire)
        .map_err(|e| ApiError::bad_upstream_value(Upstream::Pd, &paths::store(id), e))?;

    let (pd_progress, replication, stores, schedule, limits, schedulers, checker) = tokio::join!(
        pd.store_progress(id),
        pd.replication_config(),
        pd.stores(true),
        pd.schedule_config(),
        pd.store_limits(),
        super::scheduler_list(cluster),
        pd.checker("replica"),
    );
    let mut warnings = Vec::new();
    let mut keep = |what: &str, e: &dyn std::fmt::Display| {
        warnings.push(pd_warning(format!("{what} unknown: {e}")));
    };
    let replication = replication
        .map_err(ApiError::from)
        .and_then(|r| {
            normalize::replication(r).map_err(|e| {
                ApiError::bad_upstream_value(Upstream::Pd, paths::REPLICATION_CONFIG, e)
            })
        })
        .map_err(|e| keep("replication settings (max-replicas)", &e))
        .ok();
    let stores = stores
        .map_err(ApiError::from)
        .and_then(|w| {
            normalize::store_list(w.stores)
                .map_err(|e| ApiError::bad_upstream_value(Upstream::Pd, paths::ALL_STORES, e))
        })
        .map_err(|e| keep("the other stores", &e))
        .ok();
    let schedule = schedule
        .map_err(ApiError::from)
        .and_then(|c| {
            normalize::schedule_config(c)
                .map_err(|e| ApiError::bad_upstream_value(Upstream::Pd, paths::SCHEDULE_CONFIG, e))
        })
        .map_err(|e| keep("the schedule configuration", &e))
        .ok();
    let limits = limits
        .map_err(ApiError::from)
        .and_then(|l| {
            normalize::store_limits(l)
                .map_err(|e| ApiError::bad_upstream_value(Upstream::Pd, paths::STORE_LIMITS, e))
        })
        .map_err(|e| keep("store limits", &e))
        .ok();
    let schedulers = schedulers.map_err(|e| keep("schedulers", &e)).ok();
    let replica_checker_paused = match checker {
        Ok(Served::Answer(status)) => Some(status.paused),
        Ok(Served::NoRoute) => None,
        Err(e) => {
            keep("whether the replica checker is paused", &e);
            None
        }
    };
    let observed_at = crate::upstream::freshness::observed_at();

    let (pd_found, pd_missing_why) = match pd_progress {
        Ok(Served::Answer(Lookup::Found(p))) => (Some(p), None),
        Ok(Served::Answer(Lookup::NotFound)) => (
            None,
            Some(format!(
                "PD tracks no progress for store {id} (it has none, or its leader changed since the action began)"
            )),
        ),
        Ok(Served::NoRoute) => (
            None,
            Some(format!(
                "this PD has no {} (PD before v6.1)",
                paths::store_progress(id)
            )),
        ),
        Err(e) => (
            None,
            Some(format!("PD's progress for store {id} unknown: {e}")),
        ),
    };
    let action = pd_found
        .as_ref()
        .and_then(|p| progress::pd_action(&p.action))
        .or_else(|| progress::store_action(&store));

    let (mut value, mut speed, mut eta, mut source) = (None, None, None, None);
    if let Some(p) = &pd_found {
        (value, speed, eta) = progress::pd_progress(p);
        source = Some(ProgressSource::Pd);
    }
    let mut regions_per_second = None;
    if let Some(action) = action {
        let tag = match action {
            ProgressAction::Removing => 1,
            ProgressAction::Preparing => 2,
        };
        let (first, readings) = cluster.store_readings.record(
            id,
            tag,
            (
                read_at.as_millisecond(),
                store.region_count,
                store.region_size_bytes,
            ),
        );
        let readings: Vec<StoreReading> = readings
            .into_iter()
            .filter_map(|(ms, region_count, region_size_bytes)| {
                Some(StoreReading {
                    at: jiff::Timestamp::from_millisecond(ms).ok()?,
                    region_count,
                    region_size_bytes,
                })
            })
            .collect();
        let (bytes_per_second, regions) = progress::reading_speeds(&readings, action);
        regions_per_second = regions;
        if pd_found.is_none() {
            if let Some(why) = &pd_missing_why {
                let computed = action == ProgressAction::Removing;
                warnings.push(pd_warning(if computed {
                    format!(
                        "{why}; progress, speed and ETA are computed by tikv-lens from the store's region size over {} reading(s) since {}",
                        readings.len(),
                        jiff::Timestamp::from_millisecond(first.0)
                            .map(|t| t.to_string())
                            .unwrap_or_default()
                    )
                } else {
                    format!("{why}; progress and ETA are unknown (only PD knows the size the store must reach)")
                }));
            }
            if action == ProgressAction::Removing {
                (value, speed, eta) = progress::removal_from_readings(first.2, &readings);
                source = Some(ProgressSource::TikvLens);
            } else if bytes_per_second.is_some() {
                speed = bytes_per_second;
                source = Some(ProgressSource::TikvLens);
            }
        }
    }
    let blockers = match action {
        Some(action) => progress::blockers(&progress::BlockerInputs {
            store: &store,
            action,
            stores: stores.as_deref(),
            max_replicas: replication.as_ref().map(|r| r.max_replicas),
            isolation_level: replication
                .as_ref()
                .and_then(|r| r.isolation_level.as_deref()),
            schedule: schedule.as_ref(),
            store_limits: limits.as_deref(),
            schedulers: schedulers.as_ref(),
            replica_checker_paused,
        }),
        None => Vec::new(),
    };
    let down_in_seconds = progress::down_in_seconds(
        &store,
        schedule
            .as_ref()
            .and_then(|s| s.max_store_down_time_seconds),
        observed_at,
    );
    Ok(StoreProgress {
        cluster: cluster.name.clone(),
        store_id: PdId(id),
        state: store.state,
        node_state: store.node_state,
        action,
        progress: value,
        speed_bytes_per_second: speed,
        regions_per_second,
        eta_seconds: eta,
        regions_left: store.region_count,
        source,
        blockers,
        down_in_seconds,
        last_heartbeat_at: store.last_heartbeat_at,
        meta: Meta::new(observed_at, warnings),
    })
}
