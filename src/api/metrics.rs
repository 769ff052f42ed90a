//! `GET /api/v1/clusters/{cluster}/metrics/query` and `/metrics/query_range`: PromQL passed to
//! the cluster's Prometheus as given, its answer normalized.

use super::Json;
use axum::extract::State;
use jiff::Timestamp;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::params::{parse_range, parse_time};
use super::problems::{BadParameter, PrometheusErrors};
use super::{ApiPath, ApiQuery, respond};
use crate::error::ApiError;
use crate::model::{InstantQueryResult, RangeQueryResult};
use crate::normalize::sample;
use crate::state::AppState;
use crate::upstream::Upstream;
use crate::upstream::prometheus;
use crate::upstream::prometheus::EvalTime;

/// Longest PromQL accepted, in bytes. The HTTP server refuses request targets above 64 KiB
/// before any handler runs, so the limit sits well below that to be the one a client meets.
const MAX_QUERY_BYTES: usize = 32 * 1024;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(instant_query))
        .routes(routes!(range_query))
}

/// Query parameters of an instant query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct InstantParams {
    /// The PromQL expression (at most 32 KiB).
    #[param(required = true, min_length = 1, example = "sum by (instance) (up)")]
    query: Option<String>,
    /// Evaluation time: RFC 3339 (any offset) or Unix seconds; Prometheus' "now" when absent.
    time: Option<String>,
}

/// Query parameters of a range query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct RangeParamsQuery {
    /// The PromQL expression (at most 32 KiB).
    #[param(
        required = true,
        min_length = 1,
        example = "sum by (instance) (rate(process_cpu_seconds_total[1m]))"
    )]
    query: Option<String>,
    /// First point: RFC 3339 (any offset) or Unix seconds. Default: `end` minus one hour.
    start: Option<String>,
    /// Last point at most: RFC 3339 or Unix seconds. Default: now.
    end: Option<String>,
    /// Distance between points: `15s`, `1m`, `1h` or seconds (`30`, `0.5`). Default: `1m`. At
    /// most 11,000 points from `start` to `end`.
    step: Option<String>,
}

fn require_query(query: Option<String>) -> Result<String, ApiError> {
    let query = query.unwrap_or_default();
    if query.trim().is_empty() {
        return Err(ApiError::BadParameter {
            parameter: "query",
            detail: "missing or empty; give a PromQL expression".into(),
        });
    }
    if query.len() > MAX_QUERY_BYTES {
        return Err(ApiError::BadParameter {
            parameter: "query",
            detail: format!("{} bytes long; at most {MAX_QUERY_BYTES}", query.len()),
        });
    }
    Ok(query)
}

/// A PromQL instant query, normalized.
///
/// The PromQL goes to the cluster's Prometheus as given, evaluated at `time`. The answer has
/// numbers instead of strings, `null` plus its kind (`non_finite`) for NaN and infinities,
/// timestamps in milliseconds, and Prometheus' warnings passed through; `result_type` says
/// which of `samples`, `series` and `string_value` holds the result.
#[utoipa::path(
    get,
    path = "/api/v1/clusters/{cluster}/metrics/query",
    tag = "metrics",
    params(("cluster" = String, Path, description = "The cluster's configured name."), InstantParams),
    responses(
        (status = 200, description = "The normalized result.", body = InstantQueryResult),
        BadParameter,
        PrometheusErrors
    )
)]
async fn instant_query(
    State(state): State<AppState>,
    ApiPath(cluster): ApiPath<String>,
    ApiQuery(params): ApiQuery<InstantParams>,
) -> Result<Json<InstantQueryResult>, ApiError> {
    let query = require_query(params.query)?;
    let time = match params.time.as_deref() {
        Some(t) => EvalTime::AtMs(parse_time("time", t)?),
        None => EvalTime::Now,
    };
    let cluster = state.cluster(&cluster)?;
    let envelope = cluster.prometheus()?.query(&query, time).await?;
    let result = sample::instant_result(
        &cluster.name,
        &query,
        envelope,
        crate::upstream::freshness::observed_at(),
    )
    .map_err(|e| ApiError::bad_upstream_value(Upstream::Prometheus, prometheus::QUERY_PATH, e))?;
    Ok(respond(result))
}

/// A PromQL range query, normalized into columns for charts.
///
/// One shared `timestamps_ms` axis on the step grid from `start` to `end`, and per series one
/// value per timestamp (`null` where the series has no sample). Parameters are checked before
/// Prometheus is asked. `start` and `end` are snapped down to multiples of `step` (the answer
/// gives both the grid and the times asked for), so a dashboard refreshing a sliding window
/// hits the cache until a step has passed.
#[utoipa::path(
    get,
    path = "/api/v1/clusters/{cluster}/metrics/query_range",
    tag = "metrics",
    params(("cluster" = String, Path, description = "The cluster's configured name."), RangeParamsQuery),
    responses(
        (status = 200, description = "The normalized, columnar result.", body = RangeQueryResult),
        BadParameter,
        PrometheusErrors
    )
)]
async fn range_query(
    State(state): State<AppState>,
    ApiPath(cluster): ApiPath<String>,
    ApiQuery(params): ApiQuery<RangeParamsQuery>,
) -> Result<Json<RangeQueryResult>, ApiError> {
    let query = require_query(params.query)?;
    let parsed = parse_range(
        params.start.as_deref(),
        params.end.as_deref(),
        params.step.as_deref(),
        Timestamp::now().as_millisecond(),
    )?;
    let cluster = state.cluster(&cluster)?;
    let range = parsed.grid;
    let envelope = cluster.prometheus()?.query_range(&query, range).await?;
    let requested = (parsed.requested_start_ms, parsed.requested_end_ms);
    let result = sample::range_result(
        &cluster.name,
        &query,
        range,
        requested,
        envelope,
        crate::upstream::freshness::observed_at(),
    )
    .map_err(|e| {
        ApiError::bad_upstream_value(Upstream::Prometheus, prometheus::QUERY_RANGE_PATH, e)
    })?;
    Ok(respond(result))
}
