//! The cluster overview and the one-line summaries of the cluster list: PD's members, health,
//! status, stores, region count and region health read at once, with cluster-wide metrics
//! from Prometheus when one is configured.

use std::fmt;
use std::sync::Arc;

use crate::error::ApiError;
use crate::model::{
    ClusterHealth, ClusterMetrics, ClusterOverview, ClusterSummary, Meta, Store, Warning,
    WarningSource,
};
use crate::normalize;
use crate::promql;
use crate::state::Cluster;
use crate::upstream::Upstream;
use crate::upstream::pd;
use crate::upstream::prometheus::{EvalTime, PrometheusClient};
use crate::upstream::{UpstreamError, display_url};

/// A cluster's line in the cluster list, from PD's member health; a PD that cannot be read
/// makes the cluster `unreachable`, never an error.
pub(crate) async fn summarize(cluster: &Cluster) -> ClusterSummary {
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

/// A cluster at a glance. A part PD cannot give is `null` with a warning; only when PD
/// cannot be read at all is the answer an error.
pub(crate) async fn overview(cluster: &Arc<Cluster>) -> Result<ClusterOverview, ApiError> {
    let pd = &cluster.pd;
    let (members, health, status, stores, regions, region_health, checks) = tokio::join!(
        pd.members(),
        pd.health(),
        pd.status(),
        pd.stores(true),
        pd.region_count(),
        super::region_health(cluster),
        Box::pin(super::checks(cluster, &[]))
    );
    let observed_at = crate::upstream::freshness::observed_at();

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
                .map_err(|e| ApiError::bad_upstream_value(Upstream::Pd, pd::paths::ALL_STORES, e))
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
    Ok(ClusterOverview {
        name: cluster.name.clone(),
        cluster_id,
        pd,
        stores: stores.as_deref().map(normalize::store_state_counts),
        storage: stores.as_deref().map(normalize::storage_totals),
        region_count,
        region_health,
        metrics,
        checks: checks.summary,
        meta: Meta::new(observed_at, warnings),
    })
}

/// Cluster-wide QPS and p99 over the TiKV stores PD lists; `None` (with a warning) when
/// Prometheus cannot answer either query.
async fn cluster_metrics(
    prometheus: &PrometheusClient,
    stores: &[Store],
    warnings: &mut Vec<Warning>,
) -> Option<ClusterMetrics> {
    let instances = normalize::metric_instances(stores);
    let scope = super::store_metrics::query_scope(prometheus);
    let Some(matcher) = scope.matcher(instances.iter().map(String::as_str)) else {
        warnings.push(Warning {
            source: WarningSource::Prometheus,
            message: "no TiKV store has a status address to select its metrics by; cluster metrics are null".to_owned(),
        });
        return None;
    };
    let (rate_query, p99_query) = (
        promql::cluster_grpc_rate(&scope, &matcher),
        promql::cluster_grpc_p99(&scope, &matcher),
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
