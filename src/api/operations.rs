//! `/healthz`, `/readyz` and `/metrics`: the service's own liveness, readiness and metrics.

use super::Json;
use axum::extract::State;
use futures::future::join_all;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::problems::NotReady;
use crate::error::ApiError;
use crate::model::{ClusterReadiness, Liveness, Readiness};
use crate::state::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
}

/// Liveness: the process is up.
///
/// Reads no upstream, needs no token and is not rate limited, so it answers 200 whatever PD and
/// Prometheus do.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "The process is up.", body = Liveness)))]
async fn healthz() -> Json<Liveness> {
    Json(Liveness {
        status: "ok".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    })
}

/// Readiness: 200 once a PD endpoint of every cluster has answered, 503 before.
///
/// A cluster stays ready after its PD first answered; later outages show as 503 answers of the
/// API itself, so that a PD outage does not take every replica out of a load balancer.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses((status = 200, description = "Every cluster's PD has answered.", body = Readiness), NotReady)
)]
async fn readyz(State(state): State<AppState>) -> Result<Json<Readiness>, ApiError> {
    let checks = state.clusters().iter().map(|cluster| async move {
        if cluster.is_ready() {
            return Ok(());
        }
        match cluster.pd.health().await {
            Ok(_) => {
                cluster.mark_ready();
                Ok(())
            }
            Err(e) => Err(format!("cluster {:?}: {e}", cluster.name)),
        }
    });
    let failures: Vec<String> = join_all(checks)
        .await
        .into_iter()
        .filter_map(Result::err)
        .collect();
    if !failures.is_empty() {
        return Err(ApiError::NotReady(failures.join("; ")));
    }
    Ok(Json(Readiness {
        ready: true,
        clusters: state
            .clusters()
            .iter()
            .map(|c| ClusterReadiness {
                name: c.name.clone(),
                ready: true,
            })
            .collect(),
    }))
}

/// The service's own metrics, in Prometheus' text format.
///
/// `tikv_lens_http_requests_total` and `tikv_lens_http_request_duration_seconds` by route,
/// method and status;
/// `tikv_lens_upstream_requests_total` and `tikv_lens_upstream_request_duration_seconds` by
/// upstream, endpoint and outcome; `tikv_lens_cache_reads_total` by upstream and kind (`hit`,
/// `load`, `coalesced`, `stale`); `tikv_lens_cache_bytes` by cache (`upstream`, `last_good`,
/// `answers`, `events`) and `tikv_lens_memory_budget_bytes`; the live events:
/// `tikv_lens_sse_subscribers` by cluster, `tikv_lens_sse_events_sent_total` by type,
/// `tikv_lens_event_polls_total` by cluster. Every family has HELP and TYPE lines.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses((status = 200, description = "Prometheus text exposition format 0.0.4.", body = String, content_type = "text/plain"))
)]
async fn metrics(State(state): State<AppState>) -> impl axum::response::IntoResponse {
    let (upstream, last_good) = state.upstream_caches.weighted_bytes().await;
    crate::telemetry::cache_bytes(
        upstream,
        last_good,
        state.answers.weighted_bytes(),
        state.events_kept_bytes(),
    );
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        crate::telemetry::handle().render(),
    )
}
