//! Safe points: `GET /api/v1/clusters/{cluster}/gc` and `/resolved-ts`.

use super::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::problems::PdFeatureErrors;
use super::{ApiPath, respond};
use crate::error::ApiError;
use crate::model::{GcSafePoints, Meta, ResolvedTs, Warning, WarningSource};
use crate::normalize;
use crate::state::AppState;
use crate::upstream::Upstream;
use crate::upstream::pd::{Served, paths};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(gc))
        .routes(routes!(resolved_ts))
}

/// GC: the GC safe point, every service safe point with its age and expiry, and which service
/// holds GC back the most.
///
/// TSOs are decimal strings; each has its time (`…_at`, RFC 3339 UTC) and age in seconds beside
/// it. PD before v5.0 has no `/gc/safepoint`: the answer is then a 404 problem saying so.
#[utoipa::path(
    get,
    path = "/api/v1/clusters/{cluster}/gc",
    tag = "safe points",
    params(("cluster" = String, Path, description = "The cluster's configured name.")),
    responses((status = 200, description = "The GC and service safe points.", body = GcSafePoints), PdFeatureErrors)
)]
async fn gc(
    State(state): State<AppState>,
    ApiPath(cluster): ApiPath<String>,
) -> Result<Json<GcSafePoints>, ApiError> {
    let cluster = state.cluster(&cluster)?;
    let wire = match cluster.pd.gc_safe_points().await? {
        Served::Answer(wire) => wire,
        Served::NoRoute => {
            return Err(ApiError::PdLacksEndpoint {
                path: paths::GC_SAFE_POINT,
                since: "v5.0",
            });
        }
    };
    let observed_at = crate::upstream::freshness::observed_at();
    Ok(respond(normalize::gc_safe_points(
        &cluster.name,
        wire,
        Meta::observed(observed_at),
    )))
}

/// The cluster's minimum resolved timestamp and its lag behind now (how stale stale reads and
/// CDC are), and per store where PD gives it (PD v7.1+).
///
/// PD before v6.0 has no `/min-resolved-ts`: the answer is then a 404 problem saying so. PD
/// before v7.1 gives no per-store values: `stores` is then `null` with a warning.
#[utoipa::path(
    get,
    path = "/api/v1/clusters/{cluster}/resolved-ts",
    tag = "safe points",
    params(("cluster" = String, Path, description = "The cluster's configured name.")),
    responses((status = 200, description = "The min resolved timestamp.", body = ResolvedTs), PdFeatureErrors)
)]
async fn resolved_ts(
    State(state): State<AppState>,
    ApiPath(cluster): ApiPath<String>,
) -> Result<Json<ResolvedTs>, ApiError> {
    let cluster = state.cluster(&cluster)?;
    let wire = match cluster.pd.min_resolved_ts().await? {
        Served::Answer(wire) => wire,
        Served::NoRoute => {
            return Err(ApiError::PdLacksEndpoint {
                path: "/pd/api/v1/min-resolved-ts",
                since: "v6.0",
            });
        }
    };
    let observed_at = crate::upstream::freshness::observed_at();
    let mut warnings = Vec::new();
    if wire.stores_min_resolved_ts.is_none() {
        warnings.push(Warning {
            source: WarningSource::Pd,
            message:
                "PD gave no per-store min resolved ts (PD before v7.1 has none); stores is null"
                    .to_owned(),
        });
    }
    let answer = normalize::resolved_ts(&cluster.name, wire, Meta::new(observed_at, warnings))
        .map_err(|e| ApiError::bad_upstream_value(Upstream::Pd, paths::MIN_RESOLVED_TS, e))?;
    Ok(respond(answer))
}
