//! `GET /api/v1/clusters/{cluster}/stores/{store_id}/progress`: a scale-in or scale-out.

use super::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::problems::{BadParameter, LookupErrors};
use super::{ApiPath, StorePath, parse_id, respond};
use crate::compose;
use crate::error::ApiError;
use crate::model::StoreProgress;
use crate::state::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(store_progress))
}

/// A store being removed or added: how far along (0 to 1), how fast, when done, and why it
/// cannot finish.
///
/// Progress, speed and ETA are PD's (`/stores/progress`, PD v6.1+). Where PD has none (older
/// PD, or a PD leader that changed since the removal began), tikv-lens computes them for a
/// removal from the store's region size over its own readings (one per request; a warning says
/// so). `blockers` lists what in PD's configuration and state keeps the action from finishing:
/// too few stores for the replicas, a store limit of 0, a paused checker or scheduler, a
/// leftover evict-leader scheduler. A store doing neither has `action: null` and no blockers.
#[utoipa::path(
    get,
    path = "/api/v1/clusters/{cluster}/stores/{store_id}/progress",
    tag = "stores",
    params(
        ("cluster" = String, Path, description = "The cluster's configured name."),
        ("store_id" = String, Path, description = "The store id, a decimal unsigned 64-bit integer.", example = "1"),
    ),
    responses((status = 200, description = "The store's progress.", body = StoreProgress), BadParameter, LookupErrors)
)]
async fn store_progress(
    State(state): State<AppState>,
    ApiPath(path): ApiPath<StorePath>,
) -> Result<Json<StoreProgress>, ApiError> {
    let store_id = parse_id("store_id", &path.store_id)?;
    let cluster = state.cluster(&path.cluster)?;
    Ok(respond(compose::store_progress(cluster, store_id).await?))
}
