//! Health verdicts: `GET /api/v1/clusters/{cluster}/checks` and `GET /api/v1/fleet`.

use super::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::problems::{BadParameter, ClusterErrors};
use super::{ApiPath, ApiQuery, respond, truncate};
use crate::compose;
use crate::error::ApiError;
use crate::model::{CheckList, CheckStatus, Fleet};
use crate::state::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_checks))
        .routes(routes!(fleet))
}

/// Query parameters of the checks.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ChecksQuery {
    /// Only checks with these statuses, comma-separated: `ok`, `warning`, `critical`,
    /// `unknown` (e.g. `status=warning,critical`). Without it, every check.
    #[param(value_type = Option<Vec<CheckStatus>>, style = Form, explode = false)]
    status: Option<String>,
}

/// Parses `?status=` into the statuses asked for.
fn parse_statuses(raw: &str) -> Result<Vec<CheckStatus>, ApiError> {
    let mut statuses = Vec::new();
    for name in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let status = CheckStatus::from_name(&name.to_ascii_lowercase()).ok_or_else(|| {
            ApiError::BadParameter {
                parameter: "status",
                detail: format!(
                    "{:?} is not a check status; use ok, warning, critical or unknown",
                    truncate(name, 64)
                ),
            }
        })?;
        if !statuses.contains(&status) {
            statuses.push(status);
        }
    }
    if statuses.is_empty() {
        return Err(ApiError::BadParameter {
            parameter: "status",
            detail: "empty; give one or more check statuses, comma-separated".into(),
        });
    }
    Ok(statuses)
}

/// Health verdicts: named checks, each `ok`, `warning`, `critical` or `unknown`, with the
/// numbers and ids that decided it and the PD endpoint it read.
///
/// Every check is always listed (unless filtered out by `status`): a check whose data could not
/// be read is `unknown` and a warning says why, so an upstream outage never reads as `ok`.
/// `summary` has the worst status and the counts over every check, before the filter.
#[utoipa::path(
    get,
    path = "/api/v1/clusters/{cluster}/checks",
    tag = "clusters",
    params(("cluster" = String, Path, description = "The cluster's configured name."), ChecksQuery),
    responses((status = 200, description = "The checks; those whose data could not be read are `unknown` with a warning.", body = CheckList), BadParameter, ClusterErrors)
)]
async fn list_checks(
    State(state): State<AppState>,
    ApiPath(cluster): ApiPath<String>,
    ApiQuery(query): ApiQuery<ChecksQuery>,
) -> Result<Json<CheckList>, ApiError> {
    let keep = query.status.as_deref().map(parse_statuses).transpose()?;
    let cluster = state.cluster(&cluster)?;
    Ok(respond(
        // Boxed, as the overview and the fleet box it: the checks' future is large (it reads
        // everything at once), and polling it in place overflowed a worker's stack in debug builds.
        Box::pin(compose::checks(
            cluster,
            keep.as_deref().unwrap_or_default(),
        ))
        .await,
    ))
}

/// Every configured cluster side by side: PD version, stores by state, capacity, the worst
/// check status and the checks that are not `ok`.
///
/// Always 200. Each cluster is read within its own deadline (half the request deadline,
/// `cluster_deadline_seconds`): a cluster that does not answer in time, or whose PD cannot be
/// read, has `answered: false` and a warning, and does not delay the others.
#[utoipa::path(
    get,
    path = "/api/v1/fleet",
    tag = "clusters",
    responses((status = 200, description = "Every cluster, each with its own warnings.", body = Fleet))
)]
async fn fleet(State(state): State<AppState>) -> Json<Fleet> {
    respond(compose::fleet(&state).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_filter_parses_lists_and_names_bad_values() {
        assert_eq!(
            parse_statuses("warning, CRITICAL,warning").unwrap(),
            vec![CheckStatus::Warning, CheckStatus::Critical]
        );
        for bad in ["bad", "", ",", "ok,nope"] {
            match parse_statuses(bad) {
                Err(ApiError::BadParameter { parameter, .. }) => assert_eq!(parameter, "status"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }
}
