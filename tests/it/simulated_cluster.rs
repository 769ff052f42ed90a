//! tikv-lens in front of the simulated PD and Prometheus (the `tikv-sim` crate) over one simulated
//! cluster: metrics consistent with PD, the outage cycle, normalized results and errors. The
//! simulator's own conformance tests are in `crates/tikv-sim/tests`.

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;
use serde_json::Value;
use tikv_sim::{Clock, SimCluster, SimConfig, SimStoreState, serve_pd, serve_prometheus};
use tokio::sync::oneshot;

use crate::support::{Lens, cluster, test_limits};

/// The scenario's t = 0 (a multiple of the 15 s scrape interval).
fn epoch() -> Timestamp {
    "2025-03-10T08:00:00Z".parse().unwrap()
}

fn at(seconds_after_epoch: i64) -> Timestamp {
    epoch() + jiff::SignedDuration::from_secs(seconds_after_epoch)
}

fn unix(seconds_after_epoch: i64) -> i64 {
    at(seconds_after_epoch).as_second()
}

/// Times in the first outage cycle of the last store: all up; PD says Disconnected; Down; back.
const UP: i64 = 60;
const DISCONNECTED: i64 = 195;
const DOWN: i64 = 255;
const BACK: i64 = 540;

fn config(stores: usize, regions: u64) -> SimConfig {
    SimConfig {
        stores,
        regions,
        seed: 42,
        epoch: epoch(),
        ..SimConfig::default()
    }
}

fn sim(stores: usize, regions: u64) -> Arc<SimCluster> {
    Arc::new(SimCluster::new(config(stores, regions)))
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

// ---- the simulated PD and Prometheus behind tikv-lens ---------------------------------------

/// The simulated PD and Prometheus on loopback ports over the same cluster and clock, and
/// tikv-lens in front of them as cluster `x`.
struct Stack {
    lens: Lens,
    sim: Arc<SimCluster>,
    now: Timestamp,
    _stop: Vec<oneshot::Sender<()>>,
}

impl Stack {
    async fn start(sim: Arc<SimCluster>, seconds_after_epoch: i64) -> Self {
        let now = at(seconds_after_epoch);
        let clock = Clock::Fixed(now);
        let (pd_stop, pd_rx) = oneshot::channel::<()>();
        let pd_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let pd_url = format!("http://{}", pd_listener.local_addr().unwrap());
        tokio::spawn(serve_pd(pd_listener, sim.clone(), clock.clone(), async {
            let _ = pd_rx.await;
        }));
        let (prom_stop, prom_rx) = oneshot::channel::<()>();
        let prom_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let prom_url = format!("http://{}", prom_listener.local_addr().unwrap());
        tokio::spawn(serve_prometheus(prom_listener, sim.clone(), clock, async {
            let _ = prom_rx.await;
        }));
        let mut config = cluster("x", &[pd_url]);
        config.prometheus = Some(prom_url.parse().unwrap());
        let lens = Lens::start(vec![config], test_limits()).await;
        Self {
            lens,
            sim,
            now,
            _stop: vec![pd_stop, prom_stop],
        }
    }

    async fn instant(&self, promql: &str) -> Value {
        let path = format!(
            "/api/v1/clusters/x/metrics/query?query={}",
            urlencode(promql)
        );
        self.lens.get(&path).await.ok().clone()
    }
}

fn metrics_of<'a>(body: &'a Value, id: &str) -> &'a Value {
    let store = body["stores"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no store {id}: {body}"));
    &store["metrics"]
}

#[tokio::test]
async fn store_metrics_match_the_simulated_pd() {
    let stack = Stack::start(sim(4, 2_000), UP).await;
    let body = stack
        .lens
        .get("/api/v1/clusters/x/stores?include=metrics")
        .await
        .ok()
        .clone();
    let truth = stack.sim.stores_at(stack.now);
    let mut checked = 0;
    for store in body["stores"].as_array().unwrap() {
        if store["state"] != "up" {
            continue;
        }
        let id = store["id"].as_str().unwrap();
        let sim_store = truth.iter().find(|s| s.id.to_string() == id).unwrap();
        let m = &store["metrics"];
        assert_eq!(m["region_count"], store["region_count"], "{id}: {m}");
        assert_eq!(m["leader_count"], store["leader_count"], "{id}: {m}");
        assert_eq!(m["region_count"], sim_store.region_count, "{id}");
        assert_eq!(m["leader_count"], sim_store.leader_count, "{id}");
        assert_eq!(m["capacity_bytes"], sim_store.capacity_bytes, "{id}");
        assert_eq!(m["available_bytes"], sim_store.available_bytes, "{id}");
        assert_eq!(m["used_bytes"], sim_store.used_bytes, "{id}");
        // PD prints sizes with four significant digits; the exact metric agrees within 0.05%.
        let exact = m["used_bytes"].as_f64().unwrap();
        let rounded = store["used_bytes"].as_f64().unwrap();
        assert!(
            (exact - rounded).abs() / exact < 0.0005,
            "{id}: {exact} vs {rounded}"
        );
        let cpu = m["cpu_cores"].as_f64().unwrap();
        assert!((0.3..10.0).contains(&cpu), "{id}: {cpu}");
        let qps = m["grpc_requests_per_second"].as_f64().unwrap();
        assert!((100.0..100_000.0).contains(&qps), "{id}: {qps}");
        let p99 = m["grpc_p99_latency_seconds"].as_f64().unwrap();
        assert!((0.001..1.0).contains(&p99), "{id}: {p99}");
        let memory = m["memory_resident_bytes"].as_u64().unwrap();
        assert!(memory > 1 << 30, "{id}: {memory}");
        checked += 1;
    }
    assert_eq!(checked, 4, "{body}");
    assert_eq!(body["warnings"], serde_json::json!([]), "{body}");
}

#[tokio::test]
async fn a_down_store_has_null_metrics_and_a_warning() {
    for (when, state) in [(DISCONNECTED, "disconnected"), (DOWN, "down")] {
        let sim = sim(4, 2_000);
        let flapping = sim.stores_at(at(when))[3].clone();
        let want = match state {
            "down" => SimStoreState::Down,
            _ => SimStoreState::Disconnected,
        };
        assert_eq!(flapping.state, want);
        let stack = Stack::start(sim, when).await;
        let body = stack
            .lens
            .get("/api/v1/clusters/x/stores?include=metrics")
            .await
            .ok()
            .clone();
        let id = flapping.id.to_string();
        let m = metrics_of(&body, &id);
        for (field, value) in m.as_object().unwrap() {
            assert_eq!(value, &Value::Null, "{state}: {field} in {m}");
        }
        let warnings = body["warnings"].to_string();
        assert!(
            warnings.contains(&format!("store {id} (tikv-3:20180, {state})")),
            "{warnings}"
        );
        // The other stores keep their numbers.
        assert!(metrics_of(&body, "1")["cpu_cores"].is_number(), "{body}");

        let up = stack.instant(r#"up{job="tikv"}"#).await;
        let values: BTreeMap<String, f64> = up["samples"]
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
        assert_eq!(values["tikv-3:20180"], 0.0);
        assert_eq!(values["tikv-0:20180"], 1.0);
        let gone = stack
            .instant(r#"process_cpu_seconds_total{instance="tikv-3:20180"}"#)
            .await;
        assert_eq!(gone["samples"], serde_json::json!([]));
    }
}

/// As with live scrapes: the first failed scrape ends every series of the target at once for
/// instant selectors, while a `[1m]` rate still sees the samples before it for a minute.
#[tokio::test]
async fn a_stopped_store_loses_its_gauges_at_once_and_its_rates_a_window_later() {
    let sim = sim(4, 2_000);
    assert_eq!(sim.stores_at(at(150))[3].state, SimStoreState::Disconnected);
    let stack = Stack::start(sim, 150).await;
    let body = stack
        .lens
        .get("/api/v1/clusters/x/stores?include=metrics")
        .await
        .ok()
        .clone();
    let m = metrics_of(&body, "6");
    assert_eq!(m["region_count"], Value::Null, "{m}");
    assert_eq!(m["memory_resident_bytes"], Value::Null, "{m}");
    assert!(m["cpu_cores"].is_number(), "{m}");
}

#[tokio::test]
async fn a_restarted_store_reports_its_new_start_and_counters_start_over() {
    let sim = sim(4, 2_000);
    let stack = Stack::start(sim.clone(), BACK).await;
    let truth = sim.stores_at(stack.now);
    assert_eq!(truth[3].state, SimStoreState::Up);
    let starts = stack.instant("process_start_time_seconds").await;
    for s in starts["samples"].as_array().unwrap() {
        let instance = s["labels"]["instance"].as_str().unwrap();
        let store = truth.iter().find(|t| t.status_address == instance).unwrap();
        assert_eq!(s["value"].as_f64(), Some(store.start_timestamp as f64));
    }
    assert_eq!(
        truth[3].start_timestamp,
        unix(OUTAGE_RESTART),
        "the restart moved the start time"
    );
    // Counted from the restart: at most a minute of CPU.
    let cpu = stack
        .instant(r#"process_cpu_seconds_total{instance="tikv-3:20180"}"#)
        .await;
    let seconds = cpu["samples"][0]["value"].as_f64().unwrap();
    assert!(seconds < 60.0 * 10.0, "{seconds}");
    // A rate over a window holding the reset stays a plausible number of cores.
    let rate = stack
        .instant(r#"rate(process_cpu_seconds_total{instance="tikv-3:20180"}[10m])"#)
        .await;
    let cores = rate["samples"][0]["value"].as_f64().unwrap();
    assert!((0.1..10.0).contains(&cores), "{cores}");
}

const OUTAGE_RESTART: i64 = 480;

#[tokio::test]
async fn cpu_range_over_half_an_hour_has_31_points_per_store() {
    let end = 3_660;
    let stack = Stack::start(sim(4, 2_000), end).await;
    let query = r#"sum by (instance)(rate(process_cpu_seconds_total{job="tikv"}[1m]))"#;
    let path = format!(
        "/api/v1/clusters/x/metrics/query_range?query={}&start={}&end={}&step=60",
        urlencode(query),
        unix(end - 1_800),
        unix(end)
    );
    let body = stack.lens.get(&path).await.ok().clone();
    let axis = body["timestamps_ms"].as_array().unwrap();
    assert_eq!(axis.len(), 31);
    assert_eq!(axis[0], unix(end - 1_800) * 1000);
    let series = body["series"].as_array().unwrap();
    let instances: Vec<&str> = series
        .iter()
        .map(|s| s["labels"]["instance"].as_str().unwrap())
        .collect();
    assert_eq!(
        instances,
        [
            "tikv-0:20180",
            "tikv-1:20180",
            "tikv-2:20180",
            "tikv-3:20180"
        ]
    );
    for s in series {
        let values = s["values"].as_array().unwrap();
        assert_eq!(values.len(), 31);
        let nulls = values.iter().filter(|v| v.is_null()).count();
        if s["labels"]["instance"] == "tikv-3:20180" {
            // Down for 6 of every 10 minutes (plus a scrape or two around each outage).
            assert!((12..=24).contains(&nulls), "{nulls}: {s}");
        } else {
            assert_eq!(nulls, 0, "{s}");
        }
        for v in values.iter().filter_map(Value::as_f64) {
            assert!((0.1..10.0).contains(&v), "{v}");
        }
    }
}

#[tokio::test]
async fn non_finite_scalars_are_null_with_their_kind() {
    let stack = Stack::start(sim(3, 200), UP).await;
    for (query, kind) in [("1/0", "pos_inf"), ("-1/0", "neg_inf"), ("0/0", "nan")] {
        let body = stack.instant(query).await;
        assert_eq!(body["result_type"], "scalar", "{query}");
        let sample = &body["samples"][0];
        assert_eq!(sample["value"], Value::Null, "{query}");
        assert_eq!(sample["non_finite"], kind, "{query}");
        assert_eq!(sample["timestamp_ms"], unix(UP) * 1000);
    }
}

#[tokio::test]
async fn unsupported_promql_and_syntax_errors_are_400_problems() {
    let stack = Stack::start(sim(3, 200), UP).await;
    for (query, says) in [
        (
            r#"label_replace(up, "a", "b", "c", "d")"#,
            "the tikv-lens demo's simulated Prometheus does not support the function label_replace()",
        ),
        (
            "topk(2, up)",
            "the tikv-lens demo's simulated Prometheus does not support the aggregation topk",
        ),
        (
            "up and up",
            "the tikv-lens demo's simulated Prometheus does not support the and operator",
        ),
        (
            "sum(rate(tikv_grpc_msg_duration_seconds_count[1m])",
            "unclosed left parenthesis",
        ),
    ] {
        let path = format!(
            "/api/v1/clusters/x/metrics/query?query={}",
            urlencode(query)
        );
        let answer = stack.lens.get(&path).await;
        let problem = answer.problem(400);
        assert_eq!(
            problem["type"], "urn:tikv-lens:problem:bad-query",
            "{problem}"
        );
        assert_eq!(problem["upstream"], "prometheus");
        assert_eq!(problem["upstream_status"], 400);
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains(says), "{query}: {detail}");
    }
}

#[tokio::test]
async fn the_overview_has_cluster_metrics_and_pd_region_health_agrees() {
    let stack = Stack::start(sim(4, 2_000), DOWN).await;
    let overview = stack.lens.get("/api/v1/clusters/x").await.ok().clone();
    let metrics = &overview["metrics"];
    let qps = metrics["grpc_requests_per_second"].as_f64().unwrap();
    assert!(qps > 1_000.0, "{metrics}");
    let p99 = metrics["grpc_p99_latency_seconds"].as_f64().unwrap();
    assert!((0.001..1.0).contains(&p99), "{metrics}");

    // pd_regions_status carries the sizes of PD's region-check lists at the same instant.
    let health = &overview["region_health"];
    let status = stack.instant("pd_regions_status").await;
    let mut compared = 0;
    for s in status["samples"].as_array().unwrap() {
        let kind = s["labels"]["type"].as_str().unwrap();
        let field = match kind.strip_suffix("-region-count").unwrap() {
            "empty" => "empty".to_owned(),
            "oversized" => "oversized".to_owned(),
            "undersized" => "undersized".to_owned(),
            peer => peer.replace('-', "_"),
        };
        assert_eq!(
            health[&field].as_f64(),
            s["value"].as_f64(),
            "{kind}: {health}"
        );
        compared += 1;
    }
    assert_eq!(compared, 9);
    assert!(health["down_peer"].as_u64().unwrap() > 0, "{health}");

    let up = stack
        .instant(r#"scalar(sum(pd_cluster_status{type="store_up_count"}))"#)
        .await;
    assert_eq!(up["samples"][0]["value"], 3.0);
}

#[tokio::test]
async fn tikv_lens_reads_the_simulator_over_http() {
    let cluster = sim(4, 2_000);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve_pd(
        listener,
        cluster.clone(),
        Clock::Fixed(at(DOWN)),
        async {
            let _ = stopped.await;
        },
    ));
    let raw = reqwest::get(format!("{url}/pd/api/v1/stores"))
        .await
        .unwrap();
    assert_eq!(raw.status(), 200);
    assert_eq!(
        raw.headers()["content-type"],
        "application/json; charset=UTF-8"
    );

    let lens = Lens::single(std::slice::from_ref(&url)).await;
    let answer = lens.get("/api/v1/clusters/default/stores").await;
    assert_eq!(answer.status, 200, "{}", answer.json);
    let stores = answer.json["stores"].as_array().expect("stores");
    assert!(stores.len() >= 4);
    let flapping = cluster.stores_at(at(DOWN))[3].id.to_string();
    let down = stores
        .iter()
        .find(|s| s["id"] == flapping.as_str())
        .expect("flapping store");
    assert_eq!(down["state"], "down");
    // The rest of the PD-backed API reads the simulator too.
    let region = cluster.region_at(100, at(DOWN)).unwrap();
    let paths = [
        "/api/v1/clusters/default".to_owned(),
        "/api/v1/clusters/default/members".to_owned(),
        "/api/v1/clusters/default/regions?limit=50".to_owned(),
        format!("/api/v1/clusters/default/regions/{}", region.id),
        format!(
            "/api/v1/clusters/default/regions/by-key?key={}",
            region.start_key.to_hex()
        ),
        "/api/v1/clusters/default/regions/health".to_owned(),
        "/api/v1/clusters/default/hotspots/write".to_owned(),
        "/api/v1/clusters/default/hotspots/read".to_owned(),
    ];
    for path in &paths {
        let answer = lens.get(path).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.json);
    }
    drop(lens);
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
