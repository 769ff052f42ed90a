//! Stores joined to Prometheus over the real HTTP path: `/stores?include=metrics`,
//! `/stores/{id}/metrics` and the overview's cluster metrics, with a fake PD serving the v8.5
//! fixtures (status addresses rewritten to the instances of the Prometheus fixtures) and a fake
//! Prometheus answering each curated query with a body built here for it.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::support::fake_prometheus::{
    FakePrometheus, QUERY, QUERY_RANGE, Received, prom_json, prometheus_canned,
    prometheus_fixture_json,
};
use crate::support::{
    Canned, FakePd, Lens, PD_JSON, cluster, fixture_json, refused_url, store_with_id, test_limits,
};

const STORES: &str = "/pd/api/v1/stores";
const STORES_ALL_STATES: &str = "/pd/api/v1/stores?state=0&state=1&state=2";
const LIST_WITH_METRICS: &str = "/api/v1/clusters/default/stores?include=metrics";
const OVERVIEW: &str = "/api/v1/clusters/default";

/// The instances of the Prometheus fixtures, by PD store id (4, 1, 5 in `stores.json`; 9 is the
/// tombstone of `stores_state_0_1_2.json`).
const INSTANCES: &[(u64, &str)] = &[
    (1, "tikv-0:20180"),
    (4, "tikv-1:20180"),
    (5, "tikv-2:20180"),
    (9, "tikv-3:20180"),
];

/// The selector of the three live stores, as PromQL must spell it.
const LIVE_MATCHER: &str = r#"instance=~"tikv-0:20180|tikv-1:20180|tikv-2:20180""#;

const METRIC_FIELDS: &[&str] = &[
    "cpu_cores",
    "memory_resident_bytes",
    "grpc_requests_per_second",
    "grpc_p99_latency_seconds",
    "region_count",
    "leader_count",
    "capacity_bytes",
    "available_bytes",
    "used_bytes",
];

/// A PD store list fixture with each store's `status_address` set from [`INSTANCES`].
fn stores_body(fixture_name: &str) -> Vec<u8> {
    let mut body = fixture_json(fixture_name);
    for entry in body["stores"].as_array_mut().unwrap() {
        let id = entry["store"]["id"].as_u64().unwrap();
        let (_, instance) = INSTANCES.iter().find(|(i, _)| *i == id).unwrap();
        entry["store"]["status_address"] = json!(instance);
    }
    serde_json::to_vec_pretty(&body).unwrap()
}

/// `store_1.json` with this status address.
fn store_1_body(status_address: &str) -> Vec<u8> {
    let mut body = fixture_json("store_1.json");
    body["store"]["status_address"] = json!(status_address);
    serde_json::to_vec_pretty(&body).unwrap()
}

/// Which curated metric a PromQL asks for, read from the metric name it selects.
fn metric_of(promql: &str) -> &'static str {
    if [
        "predict_linear(",
        "tikv_thread_cpu_seconds_total",
        "tikv_engine_write_stall",
        "tikv_channel_full_total",
        "delta(tikv_raftstore_region_count",
        "tikv_scheduler_too_busy_total",
    ]
    .iter()
    .any(|m| promql.contains(m))
    {
        // The checks the overview summarizes (`/checks`).
        "check"
    } else if promql.contains("histogram_quantile") {
        "p99"
    } else if promql.contains("process_cpu_seconds_total") {
        "cpu"
    } else if promql.contains("process_resident_memory_bytes") {
        "memory"
    } else if promql.contains("tikv_grpc_msg_duration_seconds_count") {
        "rate"
    } else if promql.contains("tikv_raftstore_region_count") {
        "regions"
    } else if promql.contains("tikv_store_size_bytes") {
        "sizes"
    } else {
        panic!("unexpected PromQL {promql}")
    }
}

/// An instant vector at 1795744800 of `(instance, type, value)` samples (`type` when given).
fn vector(samples: &[(&str, Option<&str>, &str)]) -> Vec<u8> {
    let result: Vec<Value> = samples
        .iter()
        .map(|(instance, kind, value)| {
            let mut metric = json!({"instance": instance});
            if let Some(kind) = kind {
                metric["type"] = json!(kind);
            }
            json!({"metric": metric, "value": [1_795_744_800, value]})
        })
        .collect();
    serde_json::to_vec(
        &json!({"status": "success", "data": {"resultType": "vector", "result": result}}),
    )
    .unwrap()
}

/// A matrix of series, each `(labels, [(unix seconds, value)])`.
fn matrix(series: &[(Value, Vec<(i64, String)>)]) -> Vec<u8> {
    let result: Vec<Value> = series
        .iter()
        .map(|(labels, points)| {
            let values: Vec<Value> = points.iter().map(|(t, v)| json!([t, v])).collect();
            json!({"metric": labels, "values": values})
        })
        .collect();
    serde_json::to_vec(
        &json!({"status": "success", "data": {"resultType": "matrix", "result": result}}),
    )
    .unwrap()
}

/// The fixture's qps samples of these instances (value strings as Prometheus wrote them).
fn fixture_values(file: &str, instances: &[&str]) -> Vec<(String, String)> {
    prometheus_fixture_json(file)["data"]["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["metric"]["instance"].as_str().unwrap().to_owned(),
                s["value"][1].as_str().unwrap().to_owned(),
            )
        })
        .filter(|(i, _)| instances.contains(&i.as_str()))
        .collect()
}

/// The current values of tikv-0 and tikv-1; tikv-2 (store 5) has no series at all, tikv-1 has no
/// CPU series and a NaN p99, and tikv-3 (not a live store) has series that must join nothing.
fn current_values(r: &Received) -> Canned {
    let qps = fixture_values("query_vector_qps.json", &["tikv-0:20180", "tikv-1:20180"]);
    let body = match metric_of(r.query()) {
        "cpu" => vector(&[
            ("tikv-0:20180", None, "2.733333333333333"),
            ("tikv-3:20180", None, "9"),
        ]),
        "memory" => vector(&[
            ("tikv-0:20180", None, "3221225472"),
            ("tikv-1:20180", None, "2147483648"),
        ]),
        "rate" => vector(&[
            (qps[0].0.as_str(), None, qps[0].1.as_str()),
            (qps[1].0.as_str(), None, qps[1].1.as_str()),
        ]),
        "p99" => vector(&[
            ("tikv-0:20180", None, "0.02198173737373735"),
            ("tikv-1:20180", None, "NaN"),
        ]),
        "regions" => vector(&[
            ("tikv-0:20180", Some("region"), "1234"),
            ("tikv-0:20180", Some("leader"), "456"),
            ("tikv-1:20180", Some("region"), "1200"),
            ("tikv-1:20180", Some("leader"), "400"),
        ]),
        "sizes" => vector(&[
            ("tikv-0:20180", Some("capacity"), "536870912000"),
            ("tikv-0:20180", Some("available"), "489741071281"),
            ("tikv-0:20180", Some("used"), "47129840719"),
            ("tikv-1:20180", Some("capacity"), "536870912000"),
            ("tikv-1:20180", Some("available"), "495839406502"),
            ("tikv-1:20180", Some("used"), "41031505498"),
            ("tikv-3:20180", Some("used"), "1"),
        ]),
        _ => unreachable!(),
    };
    prom_json(body)
}

/// A fake PD serving `stores.json` (rewritten) and a fake Prometheus, with tikv-lens in front.
async fn joined_cluster() -> (FakePd, FakePrometheus, Lens) {
    let pd = FakePd::start().await;
    pd.serve(
        STORES,
        Canned::new(200, PD_JSON, stores_body("stores.json")),
    );
    pd.serve(
        STORES_ALL_STATES,
        Canned::new(200, PD_JSON, stores_body("stores_state_0_1_2.json")),
    );
    let prom = FakePrometheus::start().await;
    let lens = Lens::start_with_prometheus(&[pd.url()], &prom.url()).await;
    (pd, prom, lens)
}

fn all_null_metrics() -> Value {
    let mut m = serde_json::Map::new();
    for f in METRIC_FIELDS {
        m.insert((*f).to_owned(), Value::Null);
    }
    Value::Object(m)
}

fn messages(body: &Value) -> Vec<String> {
    body["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            format!(
                "{}: {}",
                w["source"].as_str().unwrap(),
                w["message"].as_str().unwrap()
            )
        })
        .collect()
}

// ---- /stores?include=metrics ----

#[tokio::test]
async fn include_metrics_joins_each_store_on_its_status_address() {
    let (_pd, prom, lens) = joined_cluster().await;
    prom.answer_with(QUERY, current_values);
    let answer = lens.get(LIST_WITH_METRICS).await;
    let body = answer.ok();

    let s1 = store_with_id(body, "1");
    assert_eq!(s1["status_address"], "tikv-0:20180");
    assert_eq!(
        s1["metrics"],
        json!({
            "cpu_cores": 2.733333333333333,
            "memory_resident_bytes": 3_221_225_472u64,
            "grpc_requests_per_second": 3447.9999999999995,
            "grpc_p99_latency_seconds": 0.02198173737373735,
            "region_count": 1234,
            "leader_count": 456,
            "capacity_bytes": 536_870_912_000u64,
            "available_bytes": 489_741_071_281u64,
            "used_bytes": 47_129_840_719u64,
        })
    );
    assert!(s1["metrics"]["used_bytes"].is_u64(), "bytes are integers");

    let s4 = store_with_id(body, "4");
    assert_eq!(
        s4["metrics"],
        json!({
            "cpu_cores": null,
            "memory_resident_bytes": 2_147_483_648u64,
            "grpc_requests_per_second": 2316.2,
            "grpc_p99_latency_seconds": null,
            "region_count": 1200,
            "leader_count": 400,
            "capacity_bytes": 536_870_912_000u64,
            "available_bytes": 495_839_406_502u64,
            "used_bytes": 41_031_505_498u64,
        }),
        "no CPU series and a NaN p99 read as null"
    );

    let s5 = store_with_id(body, "5");
    assert_eq!(s5["metrics"], all_null_metrics(), "a store without series");

    let warnings = messages(body);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].starts_with("prometheus: "), "{warnings:?}");
    assert!(warnings[0].contains("store 5"), "{warnings:?}");
    assert!(warnings[0].contains("tikv-2:20180"), "{warnings:?}");

    // One instant query per curated metric, each selecting exactly the live stores.
    let received = prom.received_on(QUERY);
    assert_eq!(received.len(), 6);
    let metrics: BTreeSet<&str> = received.iter().map(|r| metric_of(r.query())).collect();
    assert_eq!(metrics.len(), 6, "{metrics:?}");
    for r in &received {
        assert!(r.query().contains(LIVE_MATCHER), "{}", r.query());
        assert!(!r.query().contains("tikv-3"), "{}", r.query());
        assert_eq!(r.param("time"), None, "current values: Prometheus' now");
        assert!(r.param("timeout").is_some());
    }
    assert_eq!(prom.hits(QUERY_RANGE), 0);
}

#[tokio::test]
async fn include_metrics_leaves_tombstones_out_of_the_selector() {
    let (pd, prom, lens) = joined_cluster().await;
    prom.answer_with(QUERY, current_values);
    let answer = lens
        .get("/api/v1/clusters/default/stores?state=up,tombstone&include=metrics")
        .await;
    let body = answer.ok();
    assert_eq!(pd.hits(STORES_ALL_STATES), 1);
    let tombstone = store_with_id(body, "9");
    assert_eq!(tombstone["state"], "tombstone");
    assert_eq!(tombstone["metrics"], Value::Null, "{tombstone}");
    assert_eq!(
        store_with_id(body, "1")["metrics"]["cpu_cores"],
        json!(2.733333333333333)
    );
    for r in prom.received_on(QUERY) {
        assert!(r.query().contains(LIVE_MATCHER), "{}", r.query());
    }
    let warnings = messages(body);
    assert!(
        warnings.iter().all(|w| !w.contains("store 9")),
        "{warnings:?}"
    );
}

#[tokio::test]
async fn a_failed_metric_query_nulls_that_metric_with_a_warning_and_prometheus_warnings_pass() {
    let (_pd, prom, lens) = joined_cluster().await;
    prom.answer_with(QUERY, |r| match metric_of(r.query()) {
        "sizes" => prometheus_canned("error_execution_422_many_to_many.json"),
        // Capacity only, with Prometheus' own remote_read warning.
        "memory" => prometheus_canned("query_vector_with_warnings.json"),
        _ => current_values(r),
    });
    let answer = lens.get(LIST_WITH_METRICS).await;
    let body = answer.ok();
    let s1 = &store_with_id(body, "1")["metrics"];
    assert_eq!(s1["cpu_cores"], json!(2.733333333333333));
    assert_eq!(s1["region_count"], 1234);
    for f in ["capacity_bytes", "available_bytes", "used_bytes"] {
        assert_eq!(s1[f], Value::Null, "{f}");
    }
    // The memory query's answer has no series without `type` for tikv-0: null, not a number
    // taken from another metric.
    assert_eq!(s1["memory_resident_bytes"], Value::Null);
    let warnings = messages(body);
    assert!(
        warnings.iter().any(|w| w.starts_with("prometheus: ")
            && w.contains("store sizes")
            && w.contains("422")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("prometheus: remote_read: ")),
        "Prometheus' warnings pass through: {warnings:?}"
    );
}

#[tokio::test]
async fn include_bogus_is_a_400_that_reaches_no_upstream() {
    let (pd, prom, lens) = joined_cluster().await;
    for include in ["bogus", "metrics,bogus", "METRICS"] {
        let answer = lens
            .get(&format!(
                "/api/v1/clusters/default/stores?include={include}"
            ))
            .await;
        let p = answer.problem(400);
        assert_eq!(p["parameter"], "include", "{include}");
        assert!(p["detail"].as_str().unwrap().contains("include"), "{p}");
    }
    assert_eq!(pd.total_hits(), 0);
    assert_eq!(prom.total_hits(), 0);
}

#[tokio::test]
async fn without_include_prometheus_is_not_asked() {
    let (_pd, prom, lens) = joined_cluster().await;
    prom.answer_with(QUERY, current_values);
    let answer = lens.get("/api/v1/clusters/default/stores").await;
    let body = answer.ok();
    for id in ["1", "4", "5"] {
        assert_eq!(store_with_id(body, id)["metrics"], Value::Null);
    }
    assert_eq!(body["warnings"], json!([]));
    assert_eq!(prom.total_hits(), 0);
}

#[tokio::test]
async fn prometheus_down_leaves_the_store_list_whole_with_null_metrics() {
    let pd = FakePd::start().await;
    pd.serve(
        STORES,
        Canned::new(200, PD_JSON, stores_body("stores.json")),
    );
    let lens = Lens::start_with_prometheus(&[pd.url()], &refused_url().await).await;
    let answer = lens.get(LIST_WITH_METRICS).await;
    let body = answer.ok();
    assert_eq!(body["count"], 3);
    for id in ["1", "4", "5"] {
        let s = store_with_id(body, id);
        assert_eq!(s["metrics"], Value::Null, "{s}");
        assert!(s["capacity_bytes"].is_u64(), "PD's part stays: {s}");
    }
    let warnings = body["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0]["source"], "prometheus");
    assert!(
        warnings[0]["message"]
            .as_str()
            .unwrap()
            .contains("unreachable"),
        "{warnings:?}"
    );
}

#[tokio::test]
async fn prometheus_failing_every_query_leaves_null_metrics_and_one_warning() {
    let (_pd, prom, lens) = joined_cluster().await;
    prom.answer_any(QUERY, prometheus_canned("error_timeout_503.json"));
    let answer = lens.get(LIST_WITH_METRICS).await;
    let body = answer.ok();
    for id in ["1", "4", "5"] {
        assert_eq!(store_with_id(body, id)["metrics"], Value::Null);
    }
    let warnings = messages(body);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].starts_with("prometheus: "), "{warnings:?}");
    assert!(warnings[0].contains("timed out"), "{warnings:?}");
    assert_eq!(prom.hits(QUERY), 6);
}

#[tokio::test]
async fn no_prometheus_configured_is_200_with_a_warning() {
    let pd = FakePd::start().await;
    pd.serve(
        STORES,
        Canned::new(200, PD_JSON, stores_body("stores.json")),
    );
    let lens = Lens::single(&[pd.url()]).await;
    let answer = lens.get(LIST_WITH_METRICS).await;
    let body = answer.ok();
    for id in ["1", "4", "5"] {
        assert_eq!(store_with_id(body, id)["metrics"], Value::Null);
    }
    let warnings = messages(body);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].starts_with("prometheus: "), "{warnings:?}");
    assert!(
        warnings[0].contains("no Prometheus configured"),
        "{warnings:?}"
    );
}

// ---- /stores/{id}/metrics ----

const SERIES: &str =
    "/api/v1/clusters/default/stores/1/metrics?start=1795743000&end=1795744800&step=60";

/// The grid of [`SERIES`], in seconds.
fn series_grid() -> Vec<i64> {
    (1_795_743_000..=1_795_744_800).step_by(60).collect()
}

/// Range answers for tikv-0: CPU from the fixture, memory without series, the rate with a gap
/// at the sixth point, p99 failing, counts and sizes constant.
fn range_values(r: &Received) -> Canned {
    let grid = series_grid();
    let constant = |v: &str| grid.iter().map(|t| (*t, v.to_owned())).collect::<Vec<_>>();
    let body = match metric_of(r.query()) {
        "cpu" => {
            let fixture = prometheus_fixture_json("query_range_matrix_cpu.json");
            let tikv0: Vec<Value> = fixture["data"]["result"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|s| s["metric"]["instance"] == "tikv-0:20180")
                .cloned()
                .collect();
            assert_eq!(tikv0.len(), 1);
            serde_json::to_vec(
                &json!({"status": "success", "data": {"resultType": "matrix", "result": tikv0}}),
            )
            .unwrap()
        }
        "memory" => return prometheus_canned("query_range_empty_matrix.json"),
        "rate" => {
            let points = grid
                .iter()
                .enumerate()
                .filter(|(k, _)| *k != 5)
                .map(|(k, t)| (*t, format!("{}.5", 3000 + k)))
                .collect();
            matrix(&[(json!({"instance": "tikv-0:20180"}), points)])
        }
        "p99" => return prometheus_canned("error_execution_422_many_to_many.json"),
        "regions" => matrix(&[
            (
                json!({"instance": "tikv-0:20180", "type": "region"}),
                constant("1234"),
            ),
            (
                json!({"instance": "tikv-0:20180", "type": "leader"}),
                constant("456"),
            ),
        ]),
        "sizes" => matrix(&[
            (
                json!({"instance": "tikv-0:20180", "type": "capacity"}),
                constant("536870912000"),
            ),
            (
                json!({"instance": "tikv-0:20180", "type": "available"}),
                constant("489741071281"),
            ),
            (
                json!({"instance": "tikv-0:20180", "type": "used"}),
                constant("47129840719"),
            ),
        ]),
        _ => unreachable!(),
    };
    prom_json(body)
}

async fn store_1_cluster(status_address: &str) -> (FakePd, FakePrometheus, Lens) {
    let pd = FakePd::start().await;
    pd.serve(
        "/pd/api/v1/store/1",
        Canned::new(200, PD_JSON, store_1_body(status_address)),
    );
    let prom = FakePrometheus::start().await;
    let lens = Lens::start_with_prometheus(&[pd.url()], &prom.url()).await;
    (pd, prom, lens)
}

fn column(body: &Value, name: &str) -> Vec<Option<f64>> {
    body["metrics"][name]
        .as_array()
        .unwrap_or_else(|| panic!("no column {name}: {body}"))
        .iter()
        .map(Value::as_f64)
        .collect()
}

#[tokio::test]
async fn store_series_are_columns_on_one_axis_selected_by_the_status_address() {
    let (_pd, prom, lens) = store_1_cluster("tikv-0:20180").await;
    prom.answer_with(QUERY_RANGE, range_values);
    let answer = lens.get(SERIES).await;
    let body = answer.ok();

    assert_eq!(body["store_id"], "1");
    assert_eq!(body["instance"], "tikv-0:20180");
    assert_eq!(body["start_ms"], 1_795_743_000_000i64);
    assert_eq!(body["end_ms"], 1_795_744_800_000i64);
    assert_eq!(body["step_seconds"].as_f64(), Some(60.0));
    let axis: Vec<i64> = series_grid().iter().map(|t| t * 1000).collect();
    assert_eq!(axis.len(), 31);
    assert_eq!(body["timestamps_ms"], json!(axis));

    let columns: BTreeSet<&str> = body["metrics"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(columns, METRIC_FIELDS.iter().copied().collect());
    for name in METRIC_FIELDS {
        assert_eq!(column(body, name).len(), 31, "{name}");
    }

    // CPU: the fixture's tikv-0 series, point for point.
    let fixture = prometheus_fixture_json("query_range_matrix_cpu.json");
    let want_cpu: Vec<Option<f64>> = fixture["data"]["result"][0]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[1].as_str().unwrap().parse().ok())
        .collect();
    assert_eq!(
        fixture["data"]["result"][0]["metric"]["instance"],
        "tikv-0:20180"
    );
    let cpu = column(body, "cpu_cores");
    for (k, (got, want)) in cpu.iter().zip(&want_cpu).enumerate() {
        let (g, w) = (got.unwrap(), want.unwrap());
        assert!(
            (g.to_bits() as i64 - w.to_bits() as i64).abs() <= 1,
            "cpu at {k}: {g} vs {w}"
        );
    }
    assert_eq!(column(body, "memory_resident_bytes"), vec![None; 31]);
    let rate = column(body, "grpc_requests_per_second");
    assert_eq!(rate[5], None, "the gap");
    assert_eq!(rate[0], Some(3000.5));
    assert_eq!(rate[30], Some(3030.5));
    assert_eq!(column(body, "grpc_p99_latency_seconds"), vec![None; 31]);
    assert_eq!(column(body, "region_count"), vec![Some(1234.0); 31]);
    assert_eq!(column(body, "leader_count"), vec![Some(456.0); 31]);
    assert_eq!(
        column(body, "capacity_bytes"),
        vec![Some(536_870_912_000.0); 31]
    );
    assert_eq!(
        column(body, "available_bytes"),
        vec![Some(489_741_071_281.0); 31]
    );
    assert_eq!(column(body, "used_bytes"), vec![Some(47_129_840_719.0); 31]);

    // The failed p99 query is named; the empty memory answer is not a failure.
    let warnings = messages(body);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("prometheus: gRPC p99 latency"),
        "{warnings:?}"
    );

    let received = prom.received_on(QUERY_RANGE);
    assert_eq!(received.len(), 6);
    for r in &received {
        assert!(
            r.query().contains(r#"{instance="tikv-0:20180""#),
            "{}",
            r.query()
        );
        assert!(!r.query().contains("instance=~"), "{}", r.query());
        assert_eq!(r.param("start"), Some("1795743000"));
        assert_eq!(r.param("end"), Some("1795744800"));
        assert_eq!(r.param("step"), Some("60"));
        assert!(r.param("timeout").is_some());
    }
    assert_eq!(prom.hits(QUERY), 0);
}

#[tokio::test]
async fn store_series_selector_quotes_a_hostile_status_address() {
    let hostile = r#"tikv-0:20180"} or vector(1) #"#;
    let (_pd, prom, lens) = store_1_cluster(hostile).await;
    prom.answer_any(
        QUERY_RANGE,
        prometheus_canned("query_range_empty_matrix.json"),
    );
    let answer = lens.get(SERIES).await;
    let body = answer.ok();
    assert_eq!(body["instance"], hostile);
    for r in prom.received_on(QUERY_RANGE) {
        assert!(
            r.query()
                .contains(r#"{instance="tikv-0:20180\"} or vector(1) #""#),
            "{}",
            r.query()
        );
    }
}

#[tokio::test]
async fn store_series_with_prometheus_down_is_a_503() {
    let pd = FakePd::start().await;
    pd.serve(
        "/pd/api/v1/store/1",
        Canned::new(200, PD_JSON, store_1_body("tikv-0:20180")),
    );
    let lens = Lens::start_with_prometheus(&[pd.url()], &refused_url().await).await;
    let answer = lens.get(SERIES).await;
    let p = answer.problem(503);
    assert_eq!(p["upstream"], "prometheus");
}

#[tokio::test]
async fn store_series_bad_parameters_reach_no_upstream() {
    let (pd, prom, lens) = store_1_cluster("tikv-0:20180").await;
    for (url, parameter) in [
        (
            "/api/v1/clusters/default/stores/1/metrics?start=1795744800&end=1795743000&step=60",
            "start",
        ),
        (
            "/api/v1/clusters/default/stores/1/metrics?start=1795743000&end=1795744800&step=soon",
            "step",
        ),
        (
            "/api/v1/clusters/default/stores/1/metrics?start=1795733799&end=1795744800&step=1",
            "step",
        ),
        ("/api/v1/clusters/default/stores/x/metrics", "store_id"),
    ] {
        let answer = lens.get(url).await;
        assert_eq!(answer.problem(400)["parameter"], parameter, "{url}");
    }
    assert_eq!(pd.total_hits(), 0);
    assert_eq!(prom.total_hits(), 0);
}

#[tokio::test]
async fn store_series_without_prometheus_is_a_404_before_pd() {
    let pd = FakePd::start().await;
    let lens = Lens::start(vec![cluster("default", &[pd.url()])], test_limits()).await;
    let answer = lens.get(SERIES).await;
    assert_eq!(
        answer.problem(404)["type"],
        "urn:tikv-lens:problem:prometheus-not-configured"
    );
    assert_eq!(pd.total_hits(), 0);
}

// ---- the overview ----

/// A v8.5 cluster whose stores (tombstone included) have the fixture instances.
async fn overview_cluster(prometheus_url: Option<&str>) -> (FakePd, Lens) {
    let pd = FakePd::start().await;
    pd.serve_v85_cluster();
    pd.serve(
        STORES_ALL_STATES,
        Canned::new(200, PD_JSON, stores_body("stores_state_0_1_2.json")),
    );
    let lens = match prometheus_url {
        Some(url) => Lens::start_with_prometheus(&[pd.url()], url).await,
        None => Lens::single(&[pd.url()]).await,
    };
    (pd, lens)
}

/// A single-sample vector without labels, as `sum(...)` answers.
fn single(value: &str) -> Canned {
    prom_json(
        serde_json::to_vec(&json!({"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1_795_744_800, value]}]}}))
            .unwrap(),
    )
}

#[tokio::test]
async fn overview_has_cluster_qps_and_p99_from_single_sample_vectors() {
    let prom = FakePrometheus::start().await;
    prom.answer_with(QUERY, |r| match metric_of(r.query()) {
        "p99" => single("0.021514"),
        "rate" => single("8402.488888888888"),
        "check" => prom_json(r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#),
        other => panic!("the overview asks no {other} query"),
    });
    let (_pd, lens) = overview_cluster(Some(&prom.url())).await;
    let answer = lens.get(OVERVIEW).await;
    let body = answer.ok();
    assert_eq!(
        body["metrics"],
        json!({"grpc_requests_per_second": 8402.488888888888, "grpc_p99_latency_seconds": 0.021514})
    );
    assert_eq!(body["warnings"], json!([]));
    let received: Vec<_> = prom
        .received_on(QUERY)
        .into_iter()
        .filter(|r| metric_of(r.query()) != "check")
        .collect();
    assert_eq!(received.len(), 2);
    for r in &received {
        assert!(r.query().contains(LIVE_MATCHER), "{}", r.query());
        assert!(
            !r.query().contains("tikv-3"),
            "tombstone selected: {}",
            r.query()
        );
        assert!(r.query().contains(r#"type!="kv_gc""#), "{}", r.query());
    }
}

#[tokio::test]
async fn overview_metrics_are_null_when_prometheus_has_no_single_answer() {
    let prom = FakePrometheus::start().await;
    prom.answer_with(QUERY, |r| match metric_of(r.query()) {
        "p99" => single("NaN"),
        _ => prometheus_canned("query_empty_vector.json"),
    });
    let (_pd, lens) = overview_cluster(Some(&prom.url())).await;
    let answer = lens.get(OVERVIEW).await;
    let body = answer.ok();
    assert_eq!(
        body["metrics"],
        json!({"grpc_requests_per_second": null, "grpc_p99_latency_seconds": null})
    );
}

#[tokio::test]
async fn overview_with_prometheus_down_keeps_pd_parts_and_warns() {
    let (_pd, lens) = overview_cluster(Some(&refused_url().await)).await;
    let answer = lens.get(OVERVIEW).await;
    let body = answer.ok();
    assert_eq!(body["metrics"], Value::Null);
    assert!(body["cluster_id"].is_string(), "{body}");
    assert!(body["stores"].is_object(), "{body}");
    assert!(body["storage"].is_object(), "{body}");
    assert!(body["region_count"].is_u64(), "{body}");
    let warnings = messages(body);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].starts_with("prometheus: "), "{warnings:?}");
}

#[tokio::test]
async fn overview_with_one_failed_query_keeps_the_other() {
    let prom = FakePrometheus::start().await;
    prom.answer_with(QUERY, |r| match metric_of(r.query()) {
        "p99" => prometheus_canned("error_timeout_503.json"),
        _ => single("8402.5"),
    });
    let (_pd, lens) = overview_cluster(Some(&prom.url())).await;
    let answer = lens.get(OVERVIEW).await;
    let body = answer.ok();
    assert_eq!(
        body["metrics"],
        json!({"grpc_requests_per_second": 8402.5, "grpc_p99_latency_seconds": null})
    );
    let warnings = messages(body);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("p99"), "{warnings:?}");
}

#[tokio::test]
async fn overview_without_prometheus_has_null_metrics() {
    let (_pd, lens) = overview_cluster(None).await;
    let answer = lens.get(OVERVIEW).await;
    let body = answer.ok();
    assert_eq!(body["metrics"], Value::Null);
    assert!(body["cluster_id"].is_string());
}

/// A cluster of a shared Prometheus: every curated query (the store list's and the overview's)
/// carries the cluster's matchers, groups and selects by its join label, and rates over
/// `max(4 × scrape interval, 1m)`.
#[tokio::test]
async fn a_shared_prometheus_cluster_scopes_every_curated_query() {
    use tikv_lens::upstream::prometheus::{LabelName, SeriesSelection};

    let pd = FakePd::start().await;
    pd.serve_v85_cluster();
    pd.serve(
        STORES,
        Canned::new(200, PD_JSON, stores_body("stores.json")),
    );
    pd.serve(
        STORES_ALL_STATES,
        Canned::new(200, PD_JSON, stores_body("stores_state_0_1_2.json")),
    );
    let prom = FakePrometheus::start().await;
    prom.answer_with(QUERY, |_| {
        prom_json(r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#)
    });
    let mut config = crate::support::fake_prometheus::cluster_with_prometheus(
        "default",
        &[pd.url()],
        &prom.url(),
    );
    config.prometheus_selection = SeriesSelection {
        labels: vec![
            (LabelName::parse("k8s_cluster").unwrap(), "eu1".to_owned()),
            (
                LabelName::parse("tidb_cluster").unwrap(),
                r#"p"rod"#.to_owned(),
            ),
        ],
        join_label: LabelName::parse("pod_address").unwrap(),
        scrape_interval: std::time::Duration::from_secs(30),
    };
    let lens = Lens::start(vec![config], test_limits()).await;

    lens.get(LIST_WITH_METRICS).await.ok();
    lens.get(OVERVIEW).await.ok();

    let received = prom.received_on(QUERY);
    assert_eq!(
        received.len(),
        6 + 2 + 7,
        "six store queries, two cluster ones, seven of the checks"
    );
    let scoped = r#"{k8s_cluster="eu1",tidb_cluster="p\"rod",pod_address=~"tikv-0:20180|tikv-1:20180|tikv-2:20180""#;
    for r in &received {
        let q = r.query();
        assert!(q.contains(scoped), "{q}");
        assert!(!q.contains("instance"), "{q}");
        if q.contains("rate(") && !q.contains("tikv_channel_full_total") {
            assert!(q.contains("[2m]") && !q.contains("[1m]"), "{q}");
        }
        if q.contains("delta(tikv_raftstore_region_count") {
            assert!(q.contains("[1m]"), "two 30 s scrapes: {q}");
        }
        if q.contains(" by (") && !q.starts_with("histogram_quantile(0.99, sum by (le) ") {
            assert!(
                q.contains("pod_address)") || q.contains("pod_address, type)"),
                "{q}"
            );
        }
    }
}
