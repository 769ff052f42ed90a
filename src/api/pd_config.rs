//! PD's configuration: `GET /api/v1/clusters/{cluster}/config/schedule` and `/placement`.

use super::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::problems::ClusterErrors;
use super::{ApiPath, respond};
use crate::compose;
use crate::error::ApiError;
use crate::model::{Placement, ScheduleConfigAnswer};
use crate::state::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(schedule_config))
        .routes(routes!(placement))
}

/// PD's schedule configuration, normalized (durations in seconds, string booleans as
/// booleans, sizes in bytes), and each store's peer-change limits.
///
/// A setting the PD version does not have is `null`. When PD refuses the store limits
/// (`store-limit-version` v2), `store_limits` is `null` with a warning.
#[utoipa::path(
    get,
    path = "/api/v1/clusters/{cluster}/config/schedule",
    tag = "configuration",
    params(("cluster" = String, Path, description = "The cluster's configured name.")),
    responses((status = 200, description = "The schedule configuration.", body = ScheduleConfigAnswer), ClusterErrors)
)]
async fn schedule_config(
    State(state): State<AppState>,
    ApiPath(cluster): ApiPath<String>,
) -> Result<Json<ScheduleConfigAnswer>, ApiError> {
    let cluster = state.cluster(&cluster)?;
    Ok(respond(compose::schedule_config(cluster).await?))
}

/// Replica placement: replicas per region, the location labels (as a list), the stores
/// arranged by location with whether each has every location label, and the placement rules.
///
/// Reads PD's `/config/replicate`, `/stores` and, when placement rules are on,
/// `/config/placement-rule`. A store lacking a location label is where PD cannot isolate
/// replicas as asked.
#[utoipa::path(
    get,
    path = "/api/v1/clusters/{cluster}/placement",
    tag = "configuration",
    params(("cluster" = String, Path, description = "The cluster's configured name.")),
    responses((status = 200, description = "The placement.", body = Placement), ClusterErrors)
)]
async fn placement(
    State(state): State<AppState>,
    ApiPath(cluster): ApiPath<String>,
) -> Result<Json<Placement>, ApiError> {
    let cluster = state.cluster(&cluster)?;
    Ok(respond(compose::placement(cluster).await?))
}
