//! End to end against a real Prometheus holding TiKV-shaped history (support::tikv_history):
//! range and instant queries, non-finite values, stores joined to their metrics, the overview,
//! and a Prometheus that dies while PD keeps answering.

use serde_json::{Value, json};
use tikv_lens::config::ClusterConfig;

use crate::support::tikv_history::{self as history, END_S};
use crate::support::{FakePd, Lens, PD_JSON, real_prometheus, test_limits};

/// PD's `/stores` for the history's stores (PD v8.5 shape, from the store_1.json fixture):
/// ids 1, 4, 5, 6 with status addresses `tikv-<i>:20180`; the dead one (id 6) is Down.
pub(crate) fn stores_body() -> Vec<u8> {
    let template: Value = serde_json::from_slice(&crate::support::fixture("store_1.json")).unwrap();
    let stores: Vec<Value> = (0..history::STORES)
        .map(|i| {
            let mut s = template.clone();
            s["store"]["id"] = json!(history::store_id(i));
            s["store"]["address"] = json!(history::address(i));
            s["store"]["peer_address"] = json!(history::address(i));
            s["store"]["status_address"] = json!(history::instance(i));
            if i == history::DEAD_INDEX {
                s["store"]["state_name"] = json!("Down");
            }
            s
        })
        .collect();
    serde_json::to_vec_pretty(&json!({"count": stores.len(), "stores": stores})).unwrap()
}

pub(crate) async fn lens_with(prometheus_url: &str) -> (FakePd, Lens) {
    let pd = FakePd::start().await;
    pd.serve_v85_cluster();
    pd.serve(
        "/pd/api/v1/stores",
        crate::support::Canned::new(200, PD_JSON, stores_body()),
    );
    pd.serve(
        "/pd/api/v1/stores?state=0&state=1&state=2",
        crate::support::Canned::new(200, PD_JSON, stores_body()),
    );
    let cluster = ClusterConfig {
        name: "default".into(),
        pd_endpoints: vec![pd.url().parse().unwrap()],
        prometheus: Some(prometheus_url.parse().unwrap()),
        cache: tikv_lens::upstream::CacheTtls::uncached(),
        checks: Default::default(),
        security: Default::default(),
        prometheus_selection: Default::default(),
        events_poll_interval: None,
    };
    let lens = Lens::start(vec![cluster], test_limits()).await;
    (pd, lens)
}

pub(crate) fn close(actual: &Value, expected: f64) -> bool {
    actual
        .as_f64()
        .is_some_and(|a| (a - expected).abs() <= expected.abs() * 1e-9 + 1e-12)
}

pub(crate) fn by_instance(series: &Value) -> Vec<(String, &Value)> {
    let mut out: Vec<(String, &Value)> = series
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["labels"]["instance"].as_str().unwrap().to_owned(), s))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[tokio::test]
async fn cpu_range_over_30_minutes_has_31_points_and_one_series_per_live_store() {
    let prometheus = real_prometheus::shared();
    let (_pd, lens) = lens_with(&prometheus.url).await;
    let query = "sum by (instance)(rate(process_cpu_seconds_total{job=\"tikv\"}[1m]))";
    let path = format!(
        "/api/v1/clusters/default/metrics/query_range?query={}&start={}&end={END_S}&step=60",
        urlencode(query),
        END_S - 1800
    );
    let answer = lens.get(&path).await;
    let body = answer.ok();
    let axis: Vec<i64> = body["timestamps_ms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_i64().unwrap())
        .collect();
    assert_eq!(axis.len(), 31);
    assert_eq!(axis[0], (END_S - 1800) * 1000);
    assert!(axis.windows(2).all(|w| w[1] - w[0] == 60_000));
    let series = by_instance(&body["series"]);
    let live: Vec<String> = (0..history::STORES)
        .filter(|i| *i != history::DEAD_INDEX)
        .map(history::instance)
        .collect();
    assert_eq!(
        series.iter().map(|(i, _)| i.clone()).collect::<Vec<_>>(),
        live,
        "the dead store has no series"
    );
    for (i, (_, s)) in series.iter().enumerate() {
        let values = s["values"].as_array().unwrap();
        assert_eq!(values.len(), 31);
        for v in values {
            assert!(
                close(v, history::cpu_cores(i)),
                "store {i}: {v} != {}",
                history::cpu_cores(i)
            );
        }
        assert_eq!(s["non_finite"], json!([]));
    }
    assert_eq!(body["step_seconds"], 60.0);
}

#[tokio::test]
async fn non_finite_scalars_come_back_null_with_their_kind() {
    let prometheus = real_prometheus::shared();
    let (_pd, lens) = lens_with(&prometheus.url).await;
    for (query, kind) in [("1/0", "pos_inf"), ("-1/0", "neg_inf"), ("0/0", "nan")] {
        let answer = lens
            .get(&format!(
                "/api/v1/clusters/default/metrics/query?query={}&time={END_S}",
                urlencode(query)
            ))
            .await;
        let body = answer.ok();
        assert_eq!(body["result_type"], "scalar", "{query}");
        assert_eq!(body["samples"][0]["value"], Value::Null, "{query}");
        assert_eq!(body["samples"][0]["non_finite"], kind, "{query}");
        assert_eq!(body["samples"][0]["timestamp_ms"], END_S * 1000);
    }
    // And inside a range: a vector of 0/0 at every step.
    let answer = lens
        .get(&format!(
            "/api/v1/clusters/default/metrics/query_range?query={}&start={}&end={END_S}&step=5m",
            urlencode("up{instance=\"tikv-0:20180\"} * 0 / 0"),
            END_S - 900
        ))
        .await;
    let series = &answer.ok()["series"][0];
    assert_eq!(series["values"], json!([null, null, null, null]));
    assert_eq!(series["non_finite"].as_array().unwrap().len(), 4);
    assert_eq!(series["non_finite"][3], json!({"index": 3, "value": "nan"}));
}

#[tokio::test]
async fn prometheus_errors_map_to_problems() {
    let prometheus = real_prometheus::shared();
    let (_pd, lens) = lens_with(&prometheus.url).await;
    let syntax = lens
        .get(&format!(
            "/api/v1/clusters/default/metrics/query?query={}",
            urlencode("sum(rate(up[1m])")
        ))
        .await;
    let p = syntax.problem(400);
    assert_eq!(p["upstream"], "prometheus");
    assert_eq!(p["upstream_status"], 400);
    assert!(p["detail"].as_str().unwrap().contains("parse error"), "{p}");
    let many = lens
        .get(&format!(
            "/api/v1/clusters/default/metrics/query?query={}&time={END_S}",
            urlencode("tikv_store_size_bytes + on(instance) tikv_raftstore_region_count")
        ))
        .await;
    many.problem(422);
}

/// The live stores' metrics exactly as the history defines them; the dead store's are null.
#[tokio::test]
async fn stores_include_metrics_joins_each_live_store_and_nulls_the_dead_one() {
    let prometheus = real_prometheus::shared();
    let (_pd, lens) = lens_with(&prometheus.url).await;
    let answer = lens
        .get(&format!(
            "/api/v1/clusters/default/stores?include=metrics&time={END_S}"
        ))
        .await;
    let body = answer.ok();
    assert_eq!(body["count"], 4);
    for i in 0..history::STORES {
        let store = body["stores"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"].as_str().and_then(|id| id.parse().ok()) == Some(history::store_id(i)))
            .unwrap();
        assert_eq!(store["status_address"], history::instance(i));
        let m = &store["metrics"];
        if i == history::DEAD_INDEX {
            for (key, value) in m.as_object().unwrap() {
                assert_eq!(
                    value,
                    &Value::Null,
                    "dead store's {key} must be null, not zero"
                );
            }
            continue;
        }
        assert!(
            close(&m["cpu_cores"], history::cpu_cores(i)),
            "store {i} cpu {}",
            m["cpu_cores"]
        );
        assert_eq!(m["memory_resident_bytes"], history::memory_bytes(i));
        assert!(
            close(&m["grpc_requests_per_second"], history::grpc_qps(i)),
            "store {i} qps {}",
            m["grpc_requests_per_second"]
        );
        assert!(
            close(&m["grpc_p99_latency_seconds"], history::GRPC_P99_SECONDS),
            "store {i} p99 {}",
            m["grpc_p99_latency_seconds"]
        );
        assert_eq!(m["region_count"], history::region_count(i));
        assert_eq!(m["leader_count"], history::leader_count(i));
        assert_eq!(m["capacity_bytes"], history::CAPACITY_BYTES);
        assert_eq!(m["available_bytes"], history::available_bytes(i));
        assert_eq!(m["used_bytes"], history::used_bytes(i));
    }
    let warnings = body["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0]["source"], "prometheus");
    let message = warnings[0]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("store {}", history::store_id(history::DEAD_INDEX))),
        "{message}"
    );
    assert!(
        message.contains(&history::instance(history::DEAD_INDEX)),
        "{message}"
    );
}

#[tokio::test]
async fn one_store_as_columns_over_the_history() {
    let prometheus = real_prometheus::shared();
    let (pd, lens) = lens_with(&prometheus.url).await;
    let body: Value = serde_json::from_slice(&stores_body()).unwrap();
    pd.serve(
        "/pd/api/v1/store/4",
        crate::support::Canned::new(
            200,
            PD_JSON,
            serde_json::to_vec_pretty(&body["stores"][1]).unwrap(),
        ),
    );
    let answer = lens
        .get(&format!(
            "/api/v1/clusters/default/stores/4/metrics?start={}&end={END_S}&step=5m",
            END_S - 1800
        ))
        .await;
    let body = answer.ok();
    assert_eq!(body["instance"], "tikv-1:20180");
    assert_eq!(body["timestamps_ms"].as_array().unwrap().len(), 7);
    let m = &body["metrics"];
    for v in m["cpu_cores"].as_array().unwrap() {
        assert!(close(v, history::cpu_cores(1)), "{v}");
    }
    for v in m["used_bytes"].as_array().unwrap() {
        assert_eq!(v.as_f64(), Some(history::used_bytes(1) as f64));
    }
    assert_eq!(
        m["leader_count"][6].as_f64(),
        Some(history::leader_count(1) as f64)
    );
    assert_eq!(body["warnings"], json!([]));
}

/// Prometheus dies mid-run: PD answers are unaffected, the metric parts become null with a
/// warning naming Prometheus, and metric routes answer 503.
#[tokio::test]
async fn prometheus_killed_mid_run_leaves_pd_answers_intact() {
    let prometheus = real_prometheus::private();
    let (_pd, lens) = lens_with(&prometheus.url).await;
    let before = lens
        .get(&format!(
            "/api/v1/clusters/default/stores?include=metrics&time={END_S}"
        ))
        .await;
    assert!(before.ok()["stores"][0]["metrics"]["cpu_cores"].is_number());

    prometheus.kill();

    let stores = lens.get("/api/v1/clusters/default/stores").await;
    assert_eq!(stores.ok()["count"], 4);
    // The same question as before the kill: the last good answer stands in, marked stale.
    let again = lens
        .get(&format!(
            "/api/v1/clusters/default/stores?include=metrics&time={END_S}"
        ))
        .await;
    let again = again.ok();
    assert_eq!(again["stale"], true, "{again}");
    assert!(again["stores"][0]["metrics"]["cpu_cores"].is_number());
    assert!(
        again["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["source"] == "prometheus"
                && w["message"].as_str().unwrap().starts_with("stale")),
        "{}",
        again["warnings"]
    );
    // A question Prometheus never answered: nothing to stand in, so the metrics are null.
    let joined = lens
        .get(&format!(
            "/api/v1/clusters/default/stores?include=metrics&time={}",
            END_S - 60
        ))
        .await;
    let body = joined.ok();
    assert!(
        body["stores"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["metrics"].is_null())
    );
    assert_eq!(body["warnings"][0]["source"], "prometheus");
    let overview = lens.get("/api/v1/clusters/default").await;
    let overview = overview.ok();
    assert_eq!(overview["metrics"], Value::Null);
    assert_eq!(overview["region_count"], 10);
    assert!(
        overview["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["source"] == "prometheus"),
        "{}",
        overview["warnings"]
    );
    let query = lens
        .get("/api/v1/clusters/default/metrics/query?query=up")
        .await;
    assert_eq!(query.problem(503)["upstream"], "prometheus");
}

pub(crate) fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
