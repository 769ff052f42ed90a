//! Every metrics endpoint in front of a real VictoriaMetrics (Debian's `victoria-metrics`,
//! support::real_victoria) holding the same TiKV-shaped history as the real Prometheus: the
//! numbers must come out as the history defines them, and VictoriaMetrics' own error answers
//! (HTTP 422, `errorType: "422"`) must become client problems, not upstream failures.

use serde_json::{Value, json};

use crate::real_prometheus::{by_instance, close, lens_with, stores_body, urlencode};
use crate::support::real_victoria::{self, MAX_SAMPLES_PER_QUERY};
use crate::support::tikv_history::{self as history, END_S};
use crate::support::{Canned, PD_JSON};

const INSTANT: &str = "/api/v1/clusters/default/metrics/query";
const RANGE: &str = "/api/v1/clusters/default/metrics/query_range";

fn live_instances() -> Vec<String> {
    (0..history::STORES)
        .filter(|i| *i != history::DEAD_INDEX)
        .map(history::instance)
        .collect()
}

#[tokio::test]
async fn range_query_has_one_series_per_live_store_with_exact_rates() {
    let vm = real_victoria::shared();
    let (_pd, lens) = lens_with(&vm.url).await;
    let query = "sum by (instance)(rate(process_cpu_seconds_total{job=\"tikv\"}[1m]))";
    let answer = lens
        .get(&format!(
            "{RANGE}?query={}&start={}&end={END_S}&step=60",
            urlencode(query),
            END_S - 1800
        ))
        .await;
    let body = answer.ok();
    assert_eq!(body["timestamps_ms"].as_array().unwrap().len(), 31);
    assert_eq!(body["timestamps_ms"][0], (END_S - 1800) * 1000);
    let series = by_instance(&body["series"]);
    assert_eq!(
        series.iter().map(|(i, _)| i.clone()).collect::<Vec<_>>(),
        live_instances()
    );
    for (i, (_, s)) in series.iter().enumerate() {
        let values = s["values"].as_array().unwrap();
        assert_eq!(values.len(), 31);
        for v in values {
            assert!(close(v, history::cpu_cores(i)), "store {i}: {v}");
        }
    }
}

#[tokio::test]
async fn instant_query_answers_numbers_and_infinities_and_drops_nan() {
    let vm = real_victoria::shared();
    let (_pd, lens) = lens_with(&vm.url).await;
    let answer = lens
        .get(&format!(
            "{INSTANT}?query={}&time={END_S}",
            urlencode("sum by (instance)(process_resident_memory_bytes)")
        ))
        .await;
    let body = answer.ok();
    assert_eq!(body["result_type"], "vector");
    let mut samples: Vec<(String, f64)> = body["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["labels"]["instance"].as_str().unwrap().to_owned(),
                s["value"].as_f64().unwrap(),
            )
        })
        .collect();
    samples.sort_by(|a, b| a.0.cmp(&b.0));
    let expected: Vec<(String, f64)> = (0..history::STORES)
        .filter(|i| *i != history::DEAD_INDEX)
        .map(|i| (history::instance(i), history::memory_bytes(i) as f64))
        .collect();
    assert_eq!(samples, expected);
    assert_eq!(body["samples"][0]["timestamp_ms"], END_S * 1000);

    // VictoriaMetrics answers a constant expression with a one-element vector, not a scalar.
    let inf = lens
        .get(&format!(
            "{INSTANT}?query={}&time={END_S}",
            urlencode("1/0")
        ))
        .await;
    let inf = inf.ok();
    assert_eq!(inf["result_type"], "vector");
    assert_eq!(inf["samples"][0]["value"], Value::Null);
    assert_eq!(inf["samples"][0]["non_finite"], "pos_inf");
    // And it leaves NaN results out of instant answers (Prometheus keeps them): nothing for
    // tikv-lens to mark, so the answer is empty rather than a null.
    let nan = lens
        .get(&format!(
            "{INSTANT}?query={}&time={END_S}",
            urlencode("0/0")
        ))
        .await;
    assert_eq!(nan.ok()["samples"], json!([]));
}

#[tokio::test]
async fn bad_promql_is_a_400_naming_query_not_a_502() {
    let vm = real_victoria::shared();
    let (_pd, lens) = lens_with(&vm.url).await;
    for (path, extra) in [
        (INSTANT, format!("&time={END_S}")),
        (RANGE, format!("&start={}&end={END_S}&step=60", END_S - 600)),
    ] {
        for bad in ["sum(rate(up[1m])", "no_such_function(up)", "up{"] {
            let answer = lens
                .get(&format!("{path}?query={}{extra}", urlencode(bad)))
                .await;
            let p = answer.problem(400);
            assert_eq!(p["type"], "urn:tikv-lens:problem:bad-query", "{bad}: {p}");
            assert_eq!(p["parameter"], "query", "{bad}: {p}");
            assert_eq!(p["upstream"], "prometheus");
            assert_eq!(
                p["upstream_status"], 422,
                "VictoriaMetrics' own status: {p}"
            );
        }
    }
}

#[tokio::test]
async fn execution_errors_stay_422_naming_query() {
    let vm = real_victoria::shared();
    let (_pd, lens) = lens_with(&vm.url).await;
    // Two series that differ only by name collide once the name is dropped: Prometheus says
    // `execution` here, VictoriaMetrics 422 "duplicate output timeseries".
    let duplicate = lens
        .get(&format!(
            "{INSTANT}?query={}&time={END_S}",
            urlencode("count_over_time({__name__=~\"process_.+\"}[2h])")
        ))
        .await;
    let p = duplicate.problem(422);
    assert_eq!(p["type"], "urn:tikv-lens:problem:query-execution-failed");
    assert_eq!(p["parameter"], "query");
    assert_eq!(p["upstream_status"], 422);
    assert!(
        p["detail"].as_str().unwrap().contains("duplicate output"),
        "{p}"
    );
    // Over -search.maxSamplesPerQuery: a limit of the backend, met by this query.
    let too_many = lens
        .get(&format!(
            "{INSTANT}?query={}&time={END_S}",
            urlencode("sum(count_over_time({__name__=~\".+\"}[2h]))")
        ))
        .await;
    let p = too_many.problem(422);
    assert_eq!(p["type"], "urn:tikv-lens:problem:query-execution-failed");
    assert_eq!(p["parameter"], "query");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains(&MAX_SAMPLES_PER_QUERY.to_string()),
        "{p}"
    );
}

#[tokio::test]
async fn stores_include_metrics_joins_each_live_store() {
    let vm = real_victoria::shared();
    let (_pd, lens) = lens_with(&vm.url).await;
    let answer = lens
        .get(&format!(
            "/api/v1/clusters/default/stores?include=metrics&time={END_S}"
        ))
        .await;
    let body = answer.ok();
    for i in 0..history::STORES {
        let store = body["stores"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["status_address"] == history::instance(i))
            .unwrap();
        let m = &store["metrics"];
        if i == history::DEAD_INDEX {
            assert!(
                m.as_object().unwrap().values().all(Value::is_null),
                "dead store: {m}"
            );
            continue;
        }
        assert!(close(&m["cpu_cores"], history::cpu_cores(i)), "{i}: {m}");
        assert_eq!(m["memory_resident_bytes"], history::memory_bytes(i));
        assert!(
            close(&m["grpc_requests_per_second"], history::grpc_qps(i)),
            "{i}: {m}"
        );
        let p99 = m["grpc_p99_latency_seconds"].as_f64().unwrap();
        assert!(
            (p99 - history::GRPC_P99_SECONDS).abs() < 1e-6,
            "{i}: {p99} vs {}",
            history::GRPC_P99_SECONDS
        );
        assert_eq!(m["region_count"], history::region_count(i));
        assert_eq!(m["leader_count"], history::leader_count(i));
        assert_eq!(m["capacity_bytes"], history::CAPACITY_BYTES);
        assert_eq!(m["used_bytes"], history::used_bytes(i));
    }
    let warnings = body["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "only the dead store: {warnings:?}");
}

#[tokio::test]
async fn one_store_as_columns() {
    let vm = real_victoria::shared();
    let (pd, lens) = lens_with(&vm.url).await;
    let stores: Value = serde_json::from_slice(&stores_body()).unwrap();
    pd.serve(
        "/pd/api/v1/store/4",
        Canned::new(
            200,
            PD_JSON,
            serde_json::to_vec_pretty(&stores["stores"][1]).unwrap(),
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
    assert_eq!(body["warnings"], json!([]));
}
