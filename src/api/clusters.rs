//! `GET /api/v1/clusters` and `GET /api/v1/clusters/{cluster}` (the overview).

use super::Json;
use axum::extract::State;
use futures::future::join_all;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::problems::ClusterErrors;
use super::{ApiPath, respond};
use crate::compose;
use crate::error::ApiError;
use crate::model::{ClusterList, ClusterOverview, Meta};
use crate::state::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_clusters))
        .routes(routes!(get_cluster))
}

/// Every configured cluster with a one-line health summary from PD's member health.
///
/// Always 200: a cluster whose PD cannot be reached is listed as `unreachable`.
#[utoipa::path(get, path = "/api/v1/clusters", tag = "clusters", responses((status = 200, description = "The configured clusters.", body = ClusterList)))]
async fn list_clusters(State(state): State<AppState>) -> Json<ClusterList> {
    let clusters = join_all(state.clusters().iter().map(|c| compose::summarize(c))).await;
    respond(ClusterList {
        clusters,
        meta: Meta::observed(crate::upstream::freshness::observed_at()),
    })
}

/// A cluster at a glance: id, PD version, leader and member health, stores by state, storage
/// totals and region count.
///
/// PD's members, health, status, stores and region count are read at once; a part that cannot be
/// read is `null` with a warning. Only when PD cannot be read at all is the answer an error.
#[utoipa::path(
    get,
    path = "/api/v1/clusters/{cluster}",
    tag = "clusters",
    params(("cluster" = String, Path, description = "The cluster's configured name.")),
    responses((status = 200, description = "The overview; parts PD could not give are `null` with a warning.", body = ClusterOverview), ClusterErrors)
)]
async fn get_cluster(
    State(state): State<AppState>,
    ApiPath(cluster): ApiPath<String>,
) -> Result<Json<ClusterOverview>, ApiError> {
    let cluster = state.cluster(&cluster)?;
    Ok(respond(compose::overview(cluster).await?))
}
