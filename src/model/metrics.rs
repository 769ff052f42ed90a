use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use super::{Meta, PdId};

/// Which non-finite value a `null` sample stands for. JSON has no NaN or infinity, so such a
/// sample's value is `null` and this says what it was: `nan` (not a number, e.g. 0/0 or a
/// quantile over no observations), `pos_inf` (+Inf) or `neg_inf` (-Inf).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NonFinite {
    Nan,
    PosInf,
    NegInf,
}

/// A non-finite sample in a series: its position and what it was.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct NonFinitePoint {
    /// Index into the series' `values` (and the shared or own `timestamps_ms`).
    pub index: usize,
    /// The value the `null` at that index stands for.
    pub value: NonFinite,
}

/// The type of a PromQL result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResultType {
    /// One sample per series at the evaluation time (`samples`).
    Vector,
    /// Raw samples of each series over a range selector such as `up[5m]` (`series`).
    Matrix,
    /// One number without labels (`samples` holds one sample with empty labels).
    Scalar,
    /// A string literal (`string_value`).
    String,
}

/// One sample of an instant result.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = super::examples::instant_sample)]
pub struct InstantSample {
    /// The series' labels, `__name__` included when Prometheus kept it.
    pub labels: BTreeMap<String, String>,
    /// The sample value, or `null` when it is not finite (see `non_finite`).
    pub value: Option<f64>,
    /// What a `null` value was (`nan`, `pos_inf`, `neg_inf`); `null` for finite values.
    pub non_finite: Option<NonFinite>,
    /// The sample's time, Unix milliseconds.
    pub timestamp_ms: i64,
}

/// One series of raw samples (a range selector in an instant query), with its own time axis.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RawSeries {
    /// The series' labels.
    pub labels: BTreeMap<String, String>,
    /// Sample times, Unix milliseconds, ascending; as scraped (not on a grid).
    pub timestamps_ms: Vec<i64>,
    /// Sample values, one per timestamp; `null` where the value is not finite.
    pub values: Vec<Option<f64>>,
    /// Which values are non-finite, and what they were.
    pub non_finite: Vec<NonFinitePoint>,
}

/// One series of a range result, aligned to the shared `timestamps_ms` axis.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RangeSeries {
    /// The series' labels.
    pub labels: BTreeMap<String, String>,
    /// One value per entry of `timestamps_ms`: a number, or `null` where the series has no
    /// sample at that step or the sample is not finite (then `non_finite` lists it).
    pub values: Vec<Option<f64>>,
    /// The `null`s of `values` that are non-finite samples rather than missing ones.
    pub non_finite: Vec<NonFinitePoint>,
}

/// A PromQL instant query, normalized. Prometheus' warnings and infos are passed through in
/// `warnings`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = super::examples::instant_query_result)]
pub struct InstantQueryResult {
    /// The cluster's configured name.
    pub cluster: String,
    /// The PromQL as given.
    pub query: String,
    /// The result type; it says which of `samples`, `series` and `string_value` is filled.
    pub result_type: ResultType,
    /// Vector results (one per series) and scalar results (one, with empty labels).
    pub samples: Vec<InstantSample>,
    /// Matrix results of range selectors, each series with its own time axis.
    pub series: Vec<RawSeries>,
    /// A string result, or `null`.
    pub string_value: Option<String>,
    // `stale`, `observed_at` and `warnings`, the answer's last keys.
    #[serde(flatten)]
    pub meta: Meta,
}

/// A PromQL range query, normalized into columns for charts. Prometheus' warnings and infos are
/// passed through in `warnings`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = super::examples::range_query_result)]
pub struct RangeQueryResult {
    /// The cluster's configured name.
    pub cluster: String,
    /// The PromQL as given.
    pub query: String,
    /// The first point of the grid, Unix milliseconds: the `start` asked for, snapped down to
    /// a multiple of the step (Unix time 0 plus whole steps), so that dashboards refreshing a
    /// sliding window share cached answers until a step has passed.
    pub start_ms: i64,
    /// The last point of the grid, Unix milliseconds: the `end` asked for, snapped down the
    /// same way.
    pub end_ms: i64,
    /// The `start` asked for, before snapping, Unix milliseconds.
    pub requested_start_ms: i64,
    /// The `end` asked for, before snapping, Unix milliseconds.
    pub requested_end_ms: i64,
    /// The grid's step, in seconds.
    pub step_seconds: f64,
    /// The shared time axis: every step from `start_ms` to `end_ms`, Unix milliseconds.
    pub timestamps_ms: Vec<i64>,
    /// The series, each with one value per timestamp.
    pub series: Vec<RangeSeries>,
    // `stale`, `observed_at` and `warnings`, the answer's last keys.
    #[serde(flatten)]
    pub meta: Meta,
}

/// A store's current metrics from Prometheus, joined on its status address (= `instance`).
/// A metric is `null` when the store has no series for it (a down store has none) or its value
/// is not finite (a p99 over an idle minute is NaN); zeros are real zeros.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
#[schema(example = super::examples::store_metrics)]
pub struct StoreMetrics {
    /// CPU used by the TiKV process, in cores (rate of `process_cpu_seconds_total` over 1 min).
    pub cpu_cores: Option<f64>,
    /// Resident memory of the TiKV process, in bytes (`process_resident_memory_bytes`).
    pub memory_resident_bytes: Option<u64>,
    /// gRPC requests handled per second, over 1 min (`tikv_grpc_msg_duration_seconds_count`,
    /// GC excluded).
    pub grpc_requests_per_second: Option<f64>,
    /// 99th percentile gRPC request duration over 1 min, in seconds (GC excluded).
    pub grpc_p99_latency_seconds: Option<f64>,
    /// Regions with a peer on the store, as TiKV itself reports (`tikv_raftstore_region_count`).
    pub region_count: Option<u64>,
    /// Regions the store leads, as TiKV itself reports.
    pub leader_count: Option<u64>,
    /// Disk capacity in bytes, exact, as TiKV reports it (`tikv_store_size_bytes`).
    pub capacity_bytes: Option<u64>,
    /// Free disk space in bytes, exact.
    pub available_bytes: Option<u64>,
    /// Bytes used by the store's data, exact.
    pub used_bytes: Option<u64>,
}

/// Curated time series of one store, for charts. Metrics that could not be read have a warning
/// each in `warnings`, next to Prometheus' own warnings.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StoreMetricsSeries {
    /// The cluster's configured name.
    pub cluster: String,
    /// The store id.
    pub store_id: PdId,
    /// The store's status address, the `instance` label its series are selected by.
    pub instance: String,
    /// The first point of the grid, Unix milliseconds: `start` snapped down to a multiple of
    /// the step.
    pub start_ms: i64,
    /// The last point of the grid, Unix milliseconds: `end` snapped down the same way.
    pub end_ms: i64,
    /// The `start` asked for, before snapping, Unix milliseconds.
    pub requested_start_ms: i64,
    /// The `end` asked for, before snapping, Unix milliseconds.
    pub requested_end_ms: i64,
    /// The grid's step, in seconds.
    pub step_seconds: f64,
    /// The shared time axis, Unix milliseconds.
    pub timestamps_ms: Vec<i64>,
    /// Each metric's values on the axis (`null` where the store has no sample); the units are
    /// those of the same fields in `StoreMetrics`.
    pub metrics: StoreMetricColumns,
    // `stale`, `observed_at` and `warnings`, the answer's last keys.
    #[serde(flatten)]
    pub meta: Meta,
}

/// One column of values per metric, aligned to `timestamps_ms`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct StoreMetricColumns {
    /// CPU used, in cores.
    pub cpu_cores: Vec<Option<f64>>,
    /// Resident memory, in bytes.
    pub memory_resident_bytes: Vec<Option<f64>>,
    /// gRPC requests per second.
    pub grpc_requests_per_second: Vec<Option<f64>>,
    /// p99 gRPC request duration, in seconds.
    pub grpc_p99_latency_seconds: Vec<Option<f64>>,
    /// Regions with a peer on the store.
    pub region_count: Vec<Option<f64>>,
    /// Regions the store leads.
    pub leader_count: Vec<Option<f64>>,
    /// Disk capacity, in bytes.
    pub capacity_bytes: Vec<Option<f64>>,
    /// Free disk space, in bytes.
    pub available_bytes: Vec<Option<f64>>,
    /// Bytes used by the store's data.
    pub used_bytes: Vec<Option<f64>>,
}

/// Cluster-wide traffic from Prometheus, over the stores PD lists.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct ClusterMetrics {
    /// gRPC requests per second over every store, over 1 min (GC excluded).
    pub grpc_requests_per_second: Option<f64>,
    /// 99th percentile gRPC request duration over every store, over 1 min, in seconds.
    pub grpc_p99_latency_seconds: Option<f64>,
}
