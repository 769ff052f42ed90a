//! `GET /api/v1/clusters/{cluster}/stores` and `/stores/{store_id}`.

use std::collections::BTreeSet;

use super::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::params::parse_time;
use super::problems::{BadParameter, ClusterErrors, LookupErrors};
use super::{ApiPath, ApiQuery, StorePath, parse_id, respond, truncate};
use crate::compose;
use crate::error::ApiError;
use crate::model::{Meta, StoreDetail, StoreList, StoreState};
use crate::normalize;
use crate::state::AppState;
use crate::upstream::Upstream;
use crate::upstream::pd;
use crate::upstream::pd::Lookup;
use crate::upstream::prometheus::EvalTime;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_stores))
        .routes(routes!(get_store))
}

/// Query parameters of the store list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct StoresQuery {
    /// Only stores in these states, comma-separated: `up`, `offline`, `tombstone`,
    /// `disconnected`, `down`, `unknown` (e.g. `state=up,down`). Without it, every store except
    /// tombstones, as PD lists them.
    #[param(value_type = Option<Vec<StoreState>>, style = Form, explode = false)]
    state: Option<String>,
    /// `metrics` adds each TiKV store's current metrics from the cluster's Prometheus (joined on
    /// `status_address` = `instance`); without it `metrics` is `null`.
    #[param(value_type = Option<Vec<StoreInclude>>, inline, style = Form, explode = false)]
    include: Option<String>,
    /// With `include=metrics`: when to evaluate the metrics, RFC 3339 (any offset) or Unix
    /// seconds; default now. PD's part of the answer is always current.
    time: Option<String>,
}

/// What the store list can include besides PD's data: `metrics`, each TiKV store's current
/// metrics from the cluster's Prometheus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ToSchema)]
#[schema(rename_all = "snake_case")]
enum StoreInclude {
    Metrics,
}

/// What `?include=` asks for (comma-separated).
fn parse_include(raw: &str) -> Result<Vec<StoreInclude>, ApiError> {
    let mut included = Vec::new();
    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part {
            "metrics" => included.push(StoreInclude::Metrics),
            other => {
                return Err(ApiError::BadParameter {
                    parameter: "include",
                    detail: format!(
                        "{:?} cannot be included; the only option is metrics",
                        truncate(other, 64)
                    ),
                });
            }
        }
    }
    Ok(included)
}

/// Parses `?state=` into the set of states asked for.
fn parse_states(raw: &str) -> Result<BTreeSet<StoreState>, ApiError> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|name| {
            StoreState::from_name(name).ok_or_else(|| ApiError::BadParameter {
                parameter: "state",
                detail: format!(
                    "{:?} is not a store state; use up, offline, tombstone, disconnected, down or unknown",
                    truncate(name, 64)
                ),
            })
        })
        .collect::<Result<BTreeSet<_>, _>>()
        .and_then(|set| {
            if set.is_empty() {
                Err(ApiError::BadParameter {
                    parameter: "state",
                    detail: "empty; give one or more store states, comma-separated".into(),
                })
            } else {
                Ok(set)
            }
        })
}

/// The stores of a cluster, sorted by id, with sizes in bytes and times in RFC 3339 UTC;
/// with `include=metrics`, each joined to its current metrics from Prometheus.
///
/// A Prometheus outage does not fail the list: `metrics` is then `null` with a warning. A store
/// without series (a down store) has `null` metrics, not zeros, and a warning.
#[utoipa::path(
    get,
    path = "/api/v1/clusters/{cluster}/stores",
    tag = "stores",
    params(("cluster" = String, Path, description = "The cluster's configured name."), StoresQuery),
    responses((status = 200, description = "The stores, sorted by id.", body = StoreList), BadParameter, ClusterErrors)
)]
async fn list_stores(
    State(state): State<AppState>,
    ApiPath(cluster): ApiPath<String>,
    ApiQuery(query): ApiQuery<StoresQuery>,
) -> Result<Json<StoreList>, ApiError> {
    let filter = query.state.as_deref().map(parse_states).transpose()?;
    let with_metrics = query
        .include
        .as_deref()
        .map(parse_include)
        .transpose()?
        .is_some_and(|included| included.contains(&StoreInclude::Metrics));
    let metrics_time = match query.time.as_deref() {
        Some(t) => EvalTime::AtMs(parse_time("time", t)?),
        None => EvalTime::Now,
    };
    let cluster = state.cluster(&cluster)?;
    Ok(respond(
        compose::store_list(cluster, filter.as_ref(), with_metrics, metrics_time).await?,
    ))
}

/// One store, tombstones included.
///
/// The same store object as in the list, read from PD's `/store/{id}`, which also knows
/// tombstones; `metrics` is always `null` here (the store's series are under `/metrics`).
#[utoipa::path(
    get,
    path = "/api/v1/clusters/{cluster}/stores/{store_id}",
    tag = "stores",
    params(
        ("cluster" = String, Path, description = "The cluster's configured name."),
        ("store_id" = String, Path, description = "The store id, a decimal unsigned 64-bit integer.", example = "1"),
    ),
    responses((status = 200, description = "The store.", body = StoreDetail), BadParameter, LookupErrors)
)]
async fn get_store(
    State(state): State<AppState>,
    ApiPath(path): ApiPath<StorePath>,
) -> Result<Json<StoreDetail>, ApiError> {
    let store_id = parse_id("store_id", &path.store_id)?;
    let cluster = state.cluster(&path.cluster)?;
    let wire = match cluster.pd.store(store_id).await? {
        Lookup::Found(store) => store,
        Lookup::NotFound => {
            return Err(ApiError::NotFound {
                kind: "store",
                id: store_id.to_string(),
                cluster: cluster.name.clone(),
            });
        }
    };
    let observed_at = crate::upstream::freshness::observed_at();
    let store = normalize::store(wire)
        .map_err(|e| ApiError::bad_upstream_value(Upstream::Pd, &pd::paths::store(store_id), e))?;
    Ok(respond(StoreDetail {
        cluster: cluster.name.clone(),
        store,
        meta: Meta::observed(observed_at),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_filter_parses_lists_and_names_bad_values() {
        let set = parse_states("up,DOWN, tombstone").unwrap();
        assert_eq!(
            set.into_iter().collect::<Vec<_>>(),
            [StoreState::Up, StoreState::Tombstone, StoreState::Down]
        );
        for bad in ["sideways", "up,sideways", "", ",", "serving"] {
            match parse_states(bad) {
                Err(ApiError::BadParameter { parameter, .. }) => assert_eq!(parameter, "state"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }
}
