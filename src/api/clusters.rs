//! `GET /api/v1/clusters` and `GET /api/v1/clusters/{cluster}` (the overview).

use std::fmt;

use axum::Json;
use axum::extract::State;
use futures::future::join_all;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::regions::cached_region_health;
use super::{ApiPath, respond};
use crate::error::ApiError;
use crate::model::{
    ClusterHealth, ClusterList, ClusterMetrics, ClusterOverview, ClusterSummary, Meta, Store,
    Warning, WarningSource,
};
use crate::normalize;
use super::problems::ClusterErrors;
use crate::promql::{self, instance_matcher};
use crate::state::{AppState, Cluster};
use crate::upstream::Upstream;
use crate::upstream::prometheus::{EvalTime, PrometheusClient};
use crate::upstream::{UpstreamError, display_url};

/// The PD path the overview's store totals come from, named in errors.
const STORES_PATH: &str = "/pd/api/v1/stores?state=0&state=1&state=2";

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
    let clusters = join_all(state.clusters().iter().map(|c| summarize(c))).await;
    respond(ClusterList {
        clusters,
        meta: Meta::observed(crate::freshness::observed_at()),
    })
}

async fn summarize(cluster: &Cluster) -> ClusterSummary {
    let (health, summary, healthy, total) = match cluster.pd.health().await {
        Ok(members) => {
            cluster.mark_ready();
            let total = members.len();
            let healthy = members.iter().filter(|m| m.health).count();
            let health = if total > 0 && healthy == total {
                ClusterHealth::Healthy
            } else {
                ClusterHealth::Degraded
            };
            let summary = format!("{healthy} of {total} PD members healthy");
            (health, summary, Some(healthy), Some(total))
        }
        Err(e) => (ClusterHealth::Unreachable, e.to_string(), None, None),
    };
    ClusterSummary {
        name: cluster.name.clone(),
        health,
        summary,
        pd_healthy_members: healthy,
        pd_members: total,
        pd_endpoints: cluster.pd.endpoints().iter().map(display_url).collect(),
        prometheus_configured: cluster.prometheus.is_some(),
    }
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
    let pd = &cluster.pd;
    let (members, health, status, stores, regions, region_health) = tokio::join!(
        pd.members(),
        pd.health(),
        pd.status(),
        pd.stores(true),
        pd.region_count(),
        cached_region_health(cluster)
    );
    let observed_at = crate::freshness::observed_at();

    if let (Err(_), Err(_), Err(_), Err(_), Err(_)) =
        (&members, &health, &status, &stores, &regions)
    {
        // Nothing to show: answer with PD's failure rather than an overview of nulls.
        return Err(members
            .err()
            .map(ApiError::from)
            .unwrap_or(ApiError::NotReady(String::new())));
    }

    let mut warnings = Vec::new();
    let mut keep = |what: &str, e: &dyn fmt::Display| {
        warnings.push(Warning {
            source: WarningSource::Pd,
            message: format!("{what} unknown: {e}"),
        });
    };
    let members = members
        .map_err(|e| keep("members, leader and cluster id", &e))
        .ok();
    let health = health.map_err(|e| keep("member health", &e)).ok();
    let version = status
        .map_err(|e| keep("PD version", &e))
        .ok()
        .and_then(|s| s.version);
    let region_count = regions
        .map_err(|e| keep("region count", &e))
        .ok()
        .map(|r| r.count);
    let mut health_warnings = Vec::new();
    let region_health = match region_health {
        Ok(h) => {
            health_warnings.clone_from(&h.meta.warnings);
            Some(h.counts.clone())
        }
        Err(e) => {
            keep("region health", &e);
            None
        }
    };
    let stores = stores
        .map_err(ApiError::from)
        .and_then(|wire| {
            normalize::store_list(wire.stores)
                .map_err(|e| ApiError::bad_upstream_value(Upstream::Pd, STORES_PATH, e))
        })
        .map_err(|e| keep("stores", &e))
        .ok();

    warnings.extend(health_warnings);
    let (cluster_id, pd) = normalize::pd_overview(members.as_ref(), health.as_deref(), version);
    let metrics = match (&cluster.prometheus, stores.as_deref()) {
        (Some(prometheus), Some(stores)) => {
            cluster_metrics(prometheus, stores, &mut warnings).await
        }
        _ => None,
    };
    Ok(respond(ClusterOverview {
        name: cluster.name.clone(),
        cluster_id,
        pd,
        stores: stores.as_deref().map(normalize::store_state_counts),
        storage: stores.as_deref().map(normalize::storage_totals),
        region_count,
        region_health,
        metrics,
        meta: Meta::new(observed_at, warnings),
    }))
}

/// Cluster-wide QPS and p99 over the TiKV stores PD lists; `None` (with a warning) when
/// Prometheus cannot answer either query.
async fn cluster_metrics(
    prometheus: &PrometheusClient,
    stores: &[Store],
    warnings: &mut Vec<Warning>,
) -> Option<ClusterMetrics> {
    let instances = normalize::metric_instances(stores);
    let Some(matcher) = instance_matcher(instances.iter().map(String::as_str)) else {
        warnings.push(Warning {
            source: WarningSource::Prometheus,
            message: "no TiKV store has a status address to select its metrics by; cluster metrics are null".to_owned(),
        });
        return None;
    };
    let (rate_query, p99_query) = (
        promql::cluster_grpc_rate(&matcher),
        promql::cluster_grpc_p99(&matcher),
    );
    let (rate, p99) = tokio::join!(
        prometheus.query(&rate_query, EvalTime::Now),
        prometheus.query(&p99_query, EvalTime::Now)
    );
    let mut keep = |what: &str, e: UpstreamError| {
        warnings.push(Warning {
            source: WarningSource::Prometheus,
            message: format!("{what} unknown: {e}"),
        });
    };
    if let (Err(e), Err(_)) = (&rate, &p99) {
        keep("cluster QPS and p99 latency", e.clone());
        return None;
    }
    let rate = rate.map_err(|e| keep("cluster QPS", e)).ok();
    let p99 = p99.map_err(|e| keep("cluster p99 latency", e)).ok();
    for envelope in rate.iter().chain(p99.iter()) {
        warnings.extend(normalize::sample::warnings(envelope));
    }
    let metrics = normalize::cluster_metrics(rate.as_ref(), p99.as_ref());
    let answered_empty = (rate.is_some() && metrics.grpc_requests_per_second.is_none())
        || (p99.is_some() && metrics.grpc_p99_latency_seconds.is_none());
    if answered_empty {
        warnings.push(Warning {
            source: WarningSource::Prometheus,
            message:
                "Prometheus has no current gRPC samples for the cluster's TiKV stores (or the \
                      p99 is NaN: no requests); those metrics are null"
                    .to_owned(),
        });
    }
    Some(metrics)
}
