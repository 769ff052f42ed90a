//! What PD is doing: `GET /api/v1/clusters/{cluster}/schedulers` and `/operators`.

use super::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::problems::ClusterErrors;
use super::{ApiPath, respond};
use crate::compose;
use crate::error::ApiError;
use crate::model::{Meta, OperatorList, SchedulerList, Warning, WarningSource};
use crate::normalize;
use crate::state::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_schedulers))
        .routes(routes!(list_operators))
}

/// The schedulers PD runs: running, paused (until when) or disabled, and the stores the
/// store-holding ones act on.
///
/// Reads PD's `/schedulers` with its paused and disabled lists, and `/scheduler-config/{name}/list`
/// of every evict-leader, grant-leader and evict-slow-store scheduler. A leftover evict-leader
/// scheduler is why a store sits at zero leaders. Only the scheduler list is required: a part
/// that cannot be read is `null` with a warning.
#[utoipa::path(
    get,
    path = "/api/v1/clusters/{cluster}/schedulers",
    tag = "scheduling",
    params(("cluster" = String, Path, description = "The cluster's configured name.")),
    responses((status = 200, description = "The schedulers, sorted by name.", body = SchedulerList), ClusterErrors)
)]
async fn list_schedulers(
    State(state): State<AppState>,
    ApiPath(cluster): ApiPath<String>,
) -> Result<Json<SchedulerList>, ApiError> {
    let cluster = state.cluster(&cluster)?;
    Ok(respond(compose::scheduler_list(cluster).await?))
}

/// The operators PD is running now, each parsed from PD's text of it: the region, the kind,
/// where it is, its timeout in seconds and the stores it moves from and to.
///
/// An operator whose text is not in the layout this API knows keeps `raw` with its other fields
/// `null`, and a warning says so.
#[utoipa::path(
    get,
    path = "/api/v1/clusters/{cluster}/operators",
    tag = "scheduling",
    params(("cluster" = String, Path, description = "The cluster's configured name.")),
    responses((status = 200, description = "The operators in flight, sorted by region id.", body = OperatorList), ClusterErrors)
)]
async fn list_operators(
    State(state): State<AppState>,
    ApiPath(cluster): ApiPath<String>,
) -> Result<Json<OperatorList>, ApiError> {
    let cluster = state.cluster(&cluster)?;
    let texts = cluster.pd.operators().await?;
    let observed_at = crate::upstream::freshness::observed_at();
    let mut warnings = Vec::new();
    let mut operators: Vec<_> = texts
        .0
        .into_iter()
        .map(|text| {
            let (op, complete) = normalize::operator::operator(text);
            if !complete {
                warnings.push(Warning {
                    source: WarningSource::Pd,
                    message: format!(
                        "an operator's text is not in the layout this API knows; its fields are null, `raw` has it: {}",
                        crate::error::truncate(&op.raw, 200)
                    ),
                });
            }
            op
        })
        .collect();
    operators.sort_by_key(|o| o.region_id);
    Ok(respond(OperatorList {
        cluster: cluster.name.clone(),
        count: operators.len(),
        operators,
        meta: Meta::new(observed_at, warnings),
    }))
}
