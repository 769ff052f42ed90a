//! Stores joined to their Prometheus metrics, on `status_address` = the join label
//! (`instance` unless configured).

use std::collections::HashMap;

use super::FieldError;
use super::sample::{align, parse_sample_value};
use crate::model::{
    ClusterMetrics, Store, StoreEngine, StoreMetricColumns, StoreMetrics, StoreState,
};
use crate::promql::StoreQuery;
use crate::upstream::prometheus::RangeParams;
use crate::upstream::prometheus::wire::{Envelope, QueryData};

/// Finite values of one instant answer, by `(join label, type)` (`type` is `""` when absent).
#[derive(Debug, Default)]
pub(crate) struct InstantIndex(HashMap<(String, String), f64>);

impl InstantIndex {
    /// Indexes a vector answer by the value of `join_label`; non-finite values are left out
    /// (they read as `null`).
    pub(crate) fn new(envelope: &Envelope, join_label: &str) -> Self {
        let mut index = HashMap::new();
        if let Some(QueryData::Vector(samples)) = &envelope.data {
            for s in samples {
                let Some(v) = s
                    .value
                    .as_ref()
                    .and_then(|p| parse_sample_value(&p.1).ok())
                    .and_then(|v| v.finite())
                else {
                    continue;
                };
                let instance = s.metric.get(join_label).cloned().unwrap_or_default();
                let kind = s.metric.get("type").cloned().unwrap_or_default();
                index.insert((instance, kind), v);
            }
        }
        Self(index)
    }

    fn get(&self, instance: &str, kind: &str) -> Option<f64> {
        self.0.get(&(instance.to_owned(), kind.to_owned())).copied()
    }

    /// The value of a single-sample answer without labels (a cluster-wide `sum`).
    fn single(&self) -> Option<f64> {
        if self.0.len() == 1 {
            self.0.values().next().copied()
        } else {
            None
        }
    }
}

/// A count or a byte size read from a float sample.
fn whole(v: Option<f64>) -> Option<u64> {
    v.filter(|v| v.is_finite() && *v >= 0.0)
        .map(|v| v.round() as u64)
}

/// The stores whose metrics Prometheus should have: TiKV stores that are not tombstones and
/// have a status address. TiFlash exports other metrics, under other names.
pub fn metric_instances(stores: &[Store]) -> Vec<String> {
    let mut instances: Vec<String> = stores
        .iter()
        .filter(|s| s.engine == StoreEngine::Tikv && s.state != StoreState::Tombstone)
        .filter_map(|s| s.status_address.clone())
        .collect();
    instances.sort_unstable();
    instances.dedup();
    instances
}

/// One store's metrics from the answers of every [`StoreQuery`] (`None` where a query failed).
pub(crate) fn store_metrics(
    instance: &str,
    answers: &[(StoreQuery, Option<InstantIndex>)],
) -> StoreMetrics {
    let mut m = StoreMetrics::default();
    for (query, index) in answers {
        let Some(index) = index else { continue };
        let get = |kind: &str| index.get(instance, kind);
        match query {
            StoreQuery::Cpu => m.cpu_cores = get(""),
            StoreQuery::Memory => m.memory_resident_bytes = whole(get("")),
            StoreQuery::GrpcRate => m.grpc_requests_per_second = get(""),
            StoreQuery::GrpcP99 => m.grpc_p99_latency_seconds = get(""),
            StoreQuery::RegionCounts => {
                m.region_count = whole(get("region"));
                m.leader_count = whole(get("leader"));
            }
            StoreQuery::StoreSizes => {
                m.capacity_bytes = whole(get("capacity"));
                m.available_bytes = whole(get("available"));
                m.used_bytes = whole(get("used"));
            }
        }
    }
    m
}

/// `true` when every metric is `null`: Prometheus has no series of the store.
pub fn is_empty(m: &StoreMetrics) -> bool {
    *m == StoreMetrics::default()
}

/// Cluster-wide metrics from the answers of the two cluster queries.
pub(crate) fn cluster_metrics(rate: Option<&Envelope>, p99: Option<&Envelope>) -> ClusterMetrics {
    ClusterMetrics {
        // Cluster-wide sums have no labels: any join label indexes their one sample.
        grpc_requests_per_second: rate
            .map(|e| InstantIndex::new(e, "instance"))
            .and_then(|i| i.single()),
        grpc_p99_latency_seconds: p99
            .map(|e| InstantIndex::new(e, "instance"))
            .and_then(|i| i.single()),
    }
}

/// One store's range answers as columns on the grid. A metric without series (or whose query
/// failed, `None`) is a column of `null`s. Returns the axis too.
pub(crate) fn store_metric_columns(
    range: RangeParams,
    answers: Vec<(StoreQuery, Option<Envelope>)>,
) -> Result<(Vec<i64>, StoreMetricColumns), FieldError> {
    let axis = super::sample::grid(range);
    let empty = || vec![None; axis.len()];
    let mut c = StoreMetricColumns {
        cpu_cores: empty(),
        memory_resident_bytes: empty(),
        grpc_requests_per_second: empty(),
        grpc_p99_latency_seconds: empty(),
        region_count: empty(),
        leader_count: empty(),
        capacity_bytes: empty(),
        available_bytes: empty(),
        used_bytes: empty(),
    };
    for (query, envelope) in answers {
        let Some(QueryData::Matrix(series)) = envelope.and_then(|e| e.data) else {
            continue;
        };
        let (_, aligned) = align(series, range)?;
        for s in aligned {
            let kind = s.labels.get("type").map(String::as_str).unwrap_or("");
            let column = match (query, kind) {
                (StoreQuery::Cpu, _) => &mut c.cpu_cores,
                (StoreQuery::Memory, _) => &mut c.memory_resident_bytes,
                (StoreQuery::GrpcRate, _) => &mut c.grpc_requests_per_second,
                (StoreQuery::GrpcP99, _) => &mut c.grpc_p99_latency_seconds,
                (StoreQuery::RegionCounts, "region") => &mut c.region_count,
                (StoreQuery::RegionCounts, "leader") => &mut c.leader_count,
                (StoreQuery::StoreSizes, "capacity") => &mut c.capacity_bytes,
                (StoreQuery::StoreSizes, "available") => &mut c.available_bytes,
                (StoreQuery::StoreSizes, "used") => &mut c.used_bytes,
                _ => continue,
            };
            *column = s.values;
        }
    }
    Ok((axis, c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(json: &str) -> Envelope {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn join_by_instance_and_type_with_nulls_for_missing_series() {
        let cpu = envelope(
            r#"{"status":"success","data":{"resultType":"vector","result":[
                {"metric":{"instance":"tikv-0:20180"},"value":[1,"1.5"]},
                {"metric":{"instance":"tikv-1:20180"},"value":[1,"NaN"]}]}}"#,
        );
        let sizes = envelope(
            r#"{"status":"success","data":{"resultType":"vector","result":[
                {"metric":{"instance":"tikv-0:20180","type":"capacity"},"value":[1,"536870912000"]},
                {"metric":{"instance":"tikv-0:20180","type":"used"},"value":[1,"4.7e10"]}]}}"#,
        );
        let answers = vec![
            (StoreQuery::Cpu, Some(InstantIndex::new(&cpu, "instance"))),
            (
                StoreQuery::StoreSizes,
                Some(InstantIndex::new(&sizes, "instance")),
            ),
            (StoreQuery::Memory, None),
        ];
        let m0 = store_metrics("tikv-0:20180", &answers);
        assert_eq!(m0.cpu_cores, Some(1.5));
        assert_eq!(m0.capacity_bytes, Some(536_870_912_000));
        assert_eq!(m0.used_bytes, Some(47_000_000_000));
        assert_eq!(m0.available_bytes, None);
        assert_eq!(m0.memory_resident_bytes, None);
        let m1 = store_metrics("tikv-1:20180", &answers);
        assert_eq!(m1.cpu_cores, None, "NaN reads as null");
        assert!(is_empty(&store_metrics("tikv-9:20180", &answers)));
    }
}
