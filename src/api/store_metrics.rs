//! Stores joined to Prometheus: the `include=metrics` join of the store list, and
//! `GET /api/v1/clusters/{cluster}/stores/{store_id}/metrics` (curated series of one store).

use super::Json;
use axum::extract::State;
use jiff::Timestamp;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::params::parse_range;
use super::problems::{BadParameter, PrometheusErrors};
use super::{ApiPath, ApiQuery, StorePath, parse_id, respond};
use crate::compose;
use crate::error::ApiError;
use crate::model::StoreMetricsSeries;
use crate::state::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(store_metrics))
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
    let _range = parsed.grid;
    let cluster = state.cluster(&path.cluster)?;
    Ok(respond(
        compose::store_series(cluster, store_id, parsed).await?,
    ))
}
