//! `GET /api/v1/clusters/{cluster}/members`: PD members, the leader, and their health.

use super::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::problems::ClusterErrors;
use super::{ApiPath, respond};
use crate::error::ApiError;
use crate::model::{MemberList, Meta, Warning, WarningSource};
use crate::normalize;
use crate::state::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_members))
}

/// PD members, which one leads, and whether each is healthy.
///
/// Reads PD's `/members` and `/health` at once. When only health cannot be read, the members
/// are still listed, with `healthy: null` and a warning.
#[utoipa::path(
    get,
    path = "/api/v1/clusters/{cluster}/members",
    tag = "members",
    params(("cluster" = String, Path, description = "The cluster's configured name.")),
    responses((status = 200, description = "The PD members.", body = MemberList), ClusterErrors)
)]
async fn list_members(
    State(state): State<AppState>,
    ApiPath(cluster): ApiPath<String>,
) -> Result<Json<MemberList>, ApiError> {
    let cluster = state.cluster(&cluster)?;
    let (members, health) = tokio::join!(cluster.pd.members(), cluster.pd.health());
    let members = members?;
    let observed_at = crate::upstream::freshness::observed_at();
    let mut warnings = Vec::new();
    let health = match health {
        Ok(h) => Some(h),
        Err(e) => {
            warnings.push(Warning {
                source: WarningSource::Pd,
                message: format!("member health unknown: {e}"),
            });
            None
        }
    };
    Ok(respond(normalize::member_list(
        &cluster.name,
        members,
        health.as_deref(),
        Meta::new(observed_at, warnings),
    )))
}
