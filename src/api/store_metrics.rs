//! Stores joined to Prometheus: the `include=metrics` join of the store list, and
//! `GET /api/v1/clusters/{cluster}/stores/{store_id}/metrics` (curated series of one store).

use axum::Json;
use axum::extract::State;
use futures::future::join_all;
use jiff::Timestamp;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::params::parse_range;
use super::{ApiPath, ApiQuery, StorePath, parse_id, respond};
use crate::error::ApiError;
use crate::model::{Meta, PdId, Store, StoreMetricsSeries, Warning, WarningSource};
use crate::normalize::{self, InstantIndex};
use super::problems::{BadParameter, PrometheusErrors};
use crate::promql::{StoreQuery, instance_matcher};
use crate::state::{AppState, Cluster};
use crate::upstream::pd::Lookup;
use crate::upstream::prometheus::EvalTime;
use crate::upstream::{Upstream, UpstreamError};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(store_metrics))
}

fn prometheus_warning(message: String) -> Warning {
    Warning {
        source: WarningSource::Prometheus,
        message,
    }
}

/// Fills each TiKV store's `metrics` from Prometheus (current values) and says what is missing.
/// Never fails: a Prometheus outage leaves `metrics` null with a warning.
pub(super) async fn join_store_metrics(
    cluster: &Cluster,
    stores: &mut [Store],
    time: EvalTime,
) -> Vec<Warning> {
    let Some(prometheus) = &cluster.prometheus else {
        return vec![prometheus_warning(format!(
            "metrics unavailable: cluster {:?} has no Prometheus configured",
            cluster.name
        ))];
    };
    let instances = normalize::metric_instances(stores);
    let Some(matcher) = instance_matcher(instances.iter().map(String::as_str)) else {
        return Vec::new();
    };
    let answers = join_all(StoreQuery::ALL.map(|q| {
        let promql = q.promql(&matcher);
        async move { (q, prometheus.query(&promql, time).await) }
    }))
    .await;

    let mut warnings = Vec::new();
    if answers.iter().all(|(_, a)| a.is_err()) {
        let first = answers.into_iter().find_map(|(_, a)| a.err());
        let why = first.map_or_else(String::new, |e| e.to_string());
        warnings.push(prometheus_warning(format!(
            "store metrics unavailable: {why}"
        )));
        return warnings;
    }
    let indexes: Vec<(StoreQuery, Option<InstantIndex>)> = answers
        .into_iter()
        .map(|(q, answer)| match answer {
            Ok(envelope) => {
                warnings.extend(normalize::sample::warnings(&envelope));
                (q, Some(InstantIndex::new(&envelope)))
            }
            Err(e) => {
                warnings.push(prometheus_warning(format!(
                    "{} unavailable: {e}",
                    q.describe()
                )));
                (q, None)
            }
        })
        .collect();
    for store in stores.iter_mut() {
        let Some(instance) = store
            .status_address
            .clone()
            .filter(|i| instances.contains(i))
        else {
            continue;
        };
        let metrics = normalize::store_metrics(&instance, &indexes);
        if normalize::metrics_empty(&metrics) {
            warnings.push(prometheus_warning(format!(
                "store {} ({instance}, {}) has no series in Prometheus; its metrics are null",
                store.id,
                store.state.as_str()
            )));
        }
        store.metrics = Some(metrics);
    }
    warnings
}

/// Query parameters of a store's series.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct SeriesParams {
    /// First point: RFC 3339 (any offset) or Unix seconds. Default: `end` minus one hour.
    start: Option<String>,
    /// Last point at most: RFC 3339 or Unix seconds. Default: now.
    end: Option<String>,
    /// Distance between points: `15s`, `1m` or seconds. Default: `1m`. At most 11,000 points.
    step: Option<String>,
}

/// The curated metrics of one store as columnar time series: CPU, memory, gRPC rate and p99,
/// region and leader counts, and exact capacity, available and used bytes.
///
/// The store's status address (from PD) selects its series (`instance`). A metric without
/// series is a column of `null`s; one whose query failed also gets a warning.
#[utoipa::path(
    get,
    path = "/api/v1/clusters/{cluster}/stores/{store_id}/metrics",
    tag = "stores",
    params(
        ("cluster" = String, Path, description = "The cluster's configured name."),
        ("store_id" = String, Path, description = "The store id, a decimal unsigned 64-bit integer.", example = "1"),
        SeriesParams
    ),
    responses(
        (status = 200, description = "The store's series, aligned to one time axis.", body = StoreMetricsSeries),
        BadParameter,
        PrometheusErrors
    )
)]
async fn store_metrics(
    State(state): State<AppState>,
    ApiPath(path): ApiPath<StorePath>,
    ApiQuery(params): ApiQuery<SeriesParams>,
) -> Result<Json<StoreMetricsSeries>, ApiError> {
    let store_id = parse_id("store_id", &path.store_id)?;
    let parsed = parse_range(
        params.start.as_deref(),
        params.end.as_deref(),
        params.step.as_deref(),
        Timestamp::now().as_millisecond(),
    )?;
    let range = parsed.grid;
    let cluster = state.cluster(&path.cluster)?;
    let prometheus = cluster.prometheus()?;
    let instance = match cluster.pd.store(store_id).await? {
        Lookup::Found(store) => {
            normalize::store(store)
                .map_err(|e| {
                    ApiError::bad_upstream_value(
                        Upstream::Pd,
                        &format!("/pd/api/v1/store/{store_id}"),
                        e,
                    )
                })?
                .status_address
        }
        Lookup::NotFound => {
            return Err(ApiError::NotFound {
                kind: "store",
                id: store_id.to_string(),
                cluster: cluster.name.clone(),
            });
        }
    };
    let mut warnings = Vec::new();
    let answers = match instance.as_deref().and_then(|i| instance_matcher([i])) {
        Some(matcher) => {
            let answers = join_all(StoreQuery::ALL.map(|q| {
                let promql = q.promql(&matcher);
                async move { (q, prometheus.query_range(&promql, range).await) }
            }))
            .await;
            if let Some(e) = every_failed(&answers) {
                return Err(e);
            }
            answers
                .into_iter()
                .map(|(q, answer)| match answer {
                    Ok(envelope) => {
                        warnings.extend(normalize::sample::warnings(&envelope));
                        (q, Some(envelope))
                    }
                    Err(e) => {
                        warnings.push(prometheus_warning(format!(
                            "{} unavailable: {e}",
                            q.describe()
                        )));
                        (q, None)
                    }
                })
                .collect()
        }
        None => {
            warnings.push(prometheus_warning(format!(
                "store {store_id} has no status address in PD, so its series cannot be selected"
            )));
            Vec::new()
        }
    };
    let (timestamps_ms, metrics) =
        normalize::store_metric_columns(range, answers).map_err(|e| {
            ApiError::bad_upstream_value(Upstream::Prometheus, "/api/v1/query_range", e)
        })?;
    Ok(respond(StoreMetricsSeries {
        cluster: cluster.name.clone(),
        store_id: PdId(store_id),
        instance: instance.unwrap_or_default(),
        start_ms: range.start_ms,
        end_ms: timestamps_ms.last().copied().unwrap_or(range.start_ms),
        requested_start_ms: parsed.requested_start_ms,
        requested_end_ms: parsed.requested_end_ms,
        step_seconds: range.step_ms as f64 / 1000.0,
        timestamps_ms,
        metrics,
        meta: Meta::new(crate::freshness::observed_at(), warnings),
    }))
}

/// When every query failed, the endpoint has nothing to show: answer with the first failure.
fn every_failed<T>(answers: &[(StoreQuery, Result<T, UpstreamError>)]) -> Option<ApiError> {
    if !answers.iter().all(|(_, a)| a.is_err()) {
        return None;
    }
    answers
        .iter()
        .find_map(|(_, a)| a.as_ref().err().cloned().map(ApiError::Upstream))
}
