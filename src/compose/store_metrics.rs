//! Stores joined to Prometheus: each store's current metrics for the store list
//! (`include=metrics`), and one store's curated series. PD says which `instance` a store is (its
//! status address); Prometheus has the numbers. A Prometheus outage leaves the metrics `null`
//! with a warning; the series of one store fail only when every query fails.

use futures::future::join_all;

use super::ParsedRange;
use crate::error::ApiError;
use crate::model::{Meta, PdId, Store, StoreMetricsSeries, Warning, WarningSource};
use crate::normalize::{self, InstantIndex};
use crate::promql::{QueryScope, StoreQuery};
use crate::state::Cluster;
use crate::upstream::pd;
use crate::upstream::pd::Lookup;
use crate::upstream::prometheus;
use crate::upstream::prometheus::EvalTime;
use crate::upstream::{Upstream, UpstreamError};

/// How the cluster's curated queries select its series in `prometheus` (a shared one: extra
/// matchers, its join label) and the rate window of its scrape interval.
pub(crate) fn query_scope(prometheus: &prometheus::PrometheusClient) -> QueryScope {
    let selection = prometheus.selection();
    QueryScope::new(
        selection.join_label.as_str(),
        selection
            .labels
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str())),
        selection.rate_window(),
    )
}

fn prometheus_warning(message: String) -> Warning {
    Warning {
        source: WarningSource::Prometheus,
        message,
    }
}

/// Fills each TiKV store's `metrics` from Prometheus (current values) and says what is missing.
/// Never fails: a Prometheus outage leaves `metrics` null with a warning.
pub(crate) async fn join_store_metrics(
    cluster: &Cluster,
    stores: &mut [Store],
    time: EvalTime,
) -> Vec<Warning> {
    let Some(prometheus) = &cluster.prometheus else {
        return vec![prometheus_warning(format!(
            "metrics unavailable: cluster {:?} has no Prometheus configured",
            cluster.name
        ))];
    };
    let instances = normalize::metric_instances(stores);
    let scope = query_scope(prometheus);
    let Some(matcher) = scope.matcher(instances.iter().map(String::as_str)) else {
        return Vec::new();
    };
    let answers = join_all(StoreQuery::ALL.map(|q| {
        let promql = q.promql(&scope, &matcher);
        async move { (q, prometheus.query(&promql, time).await) }
    }))
    .await;

    let mut warnings = Vec::new();
    if answers.iter().all(|(_, a)| a.is_err()) {
        let first = answers.into_iter().find_map(|(_, a)| a.err());
        let why = first.map_or_else(String::new, |e| e.to_string());
        warnings.push(prometheus_warning(format!(
            "store metrics unavailable: {why}"
        )));
        return warnings;
    }
    let indexes: Vec<(StoreQuery, Option<InstantIndex>)> = answers
        .into_iter()
        .map(|(q, answer)| match answer {
            Ok(envelope) => {
                warnings.extend(normalize::sample::warnings(&envelope));
                (q, Some(InstantIndex::new(&envelope, scope.join_label())))
            }
            Err(e) => {
                warnings.push(prometheus_warning(format!(
                    "{} unavailable: {e}",
                    q.describe()
                )));
                (q, None)
            }
        })
        .collect();
    for store in stores.iter_mut() {
        let Some(instance) = store
            .status_address
            .clone()
            .filter(|i| instances.contains(i))
        else {
            continue;
        };
        let metrics = normalize::store_metrics(&instance, &indexes);
        if normalize::metrics_empty(&metrics) {
            warnings.push(prometheus_warning(format!(
                "store {} ({instance}, {}) has no series in Prometheus; its metrics are null",
                store.id,
                store.state.as_str()
            )));
        }
        store.metrics = Some(metrics);
    }
    warnings
}

/// One store's curated series over `range`: the store's status address from PD selects them.
pub(crate) async fn store_series(
    cluster: &Cluster,
    store_id: u64,
    parsed: ParsedRange,
) -> Result<StoreMetricsSeries, ApiError> {
    let range = parsed.grid;
    let prometheus = cluster.prometheus()?;
    let instance = match cluster.pd.store(store_id).await? {
        Lookup::Found(store) => {
            normalize::store(store)
                .map_err(|e| {
                    ApiError::bad_upstream_value(Upstream::Pd, &pd::paths::store(store_id), e)
                })?
                .status_address
        }
        Lookup::NotFound => {
            return Err(ApiError::NotFound {
                kind: "store",
                id: store_id.to_string(),
                cluster: cluster.name.clone(),
            });
        }
    };
    let mut warnings = Vec::new();
    let scope = query_scope(prometheus);
    let answers = match instance.as_deref().and_then(|i| scope.matcher([i])) {
        Some(matcher) => {
            let answers = join_all(StoreQuery::ALL.map(|q| {
                let promql = q.promql(&scope, &matcher);
                async move { (q, prometheus.query_range(&promql, range).await) }
            }))
            .await;
            if let Some(e) = every_failed(&answers) {
                return Err(e);
            }
            answers
                .into_iter()
                .map(|(q, answer)| match answer {
                    Ok(envelope) => {
                        warnings.extend(normalize::sample::warnings(&envelope));
                        (q, Some(envelope))
                    }
                    Err(e) => {
                        warnings.push(prometheus_warning(format!(
                            "{} unavailable: {e}",
                            q.describe()
                        )));
                        (q, None)
                    }
                })
                .collect()
        }
        None => {
            warnings.push(prometheus_warning(format!(
                "store {store_id} has no status address in PD, so its series cannot be selected"
            )));
            Vec::new()
        }
    };
    let (timestamps_ms, metrics) =
        normalize::store_metric_columns(range, answers).map_err(|e| {
            ApiError::bad_upstream_value(Upstream::Prometheus, prometheus::QUERY_RANGE_PATH, e)
        })?;
    Ok(StoreMetricsSeries {
        cluster: cluster.name.clone(),
        store_id: PdId(store_id),
        instance: instance.unwrap_or_default(),
        start_ms: range.start_ms,
        end_ms: timestamps_ms.last().copied().unwrap_or(range.start_ms),
        requested_start_ms: parsed.requested_start_ms,
        requested_end_ms: parsed.requested_end_ms,
        step_seconds: range.step_ms as f64 / 1000.0,
        timestamps_ms,
        metrics,
        meta: Meta::new(crate::upstream::freshness::observed_at(), warnings),
    })
}

/// When every query failed, the endpoint has nothing to show: answer with the first failure.
fn every_failed<T>(answers: &[(StoreQuery, Result<T, UpstreamError>)]) -> Option<ApiError> {
    if !answers.iter().all(|(_, a)| a.is_err()) {
        return None;
    }
    answers
        .iter()
        .find_map(|(_, a)| a.as_ref().err().cloned().map(ApiError::Upstream))
}
