//! `/stores/{id}/progress`: PD v8.5's progress of the offline store 10 of the edge-case cluster,
//! the blockers PD's configuration and state imply, v6.5's just-started removal (no estimate
//! yet), and a PD without `/stores/progress` (before v6.1), where tikv-lens computes progress from
//! its own readings.

use serde_json::{Value, json};

use crate::scheduling::serve_v85_schedulers;
use crate::support::{Canned, FakePd, Lens, PD_JSON, PD_TEXT, fixture, fixture_json};

const ALL_STORES: &str = "/pd/api/v1/stores?state=0&state=1&state=2";
const MIB: f64 = 1024.0 * 1024.0;

/// One store of `stores_edge_cases.json` as PD's `/store/{id}` answers it.
fn edge_store(id: u64) -> Value {
    fixture_json("stores_edge_cases.json")["stores"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["store"]["id"] == id)
        .unwrap()
        .clone()
}

fn serve_store(pd: &FakePd, store: &Value) {
    let id = store["store"]["id"].as_u64().unwrap();
    pd.serve(
        &format!("/pd/api/v1/store/{id}"),
        Canned::new(200, PD_JSON, serde_json::to_vec_pretty(store).unwrap()),
    );
}

/// The v8.5 edge-case cluster with everything the blockers read.
fn serve_v85_context(pd: &FakePd) {
    serve_v85_schedulers(pd);
    pd.serve_json(ALL_STORES, "stores_edge_cases.json")
        .serve_json("/pd/api/v1/config/replicate", "config_replicate.json")
        .serve_json("/pd/api/v1/config/schedule", "config_schedule_v8.5.json")
        .serve_json("/pd/api/v1/stores/limit", "stores_limit_v8.5.json")
        .serve_json("/pd/api/v1/checker/replica", "checker_replica.json");
    for id in [1, 4, 5, 7, 8, 10, 20] {
        serve_store(pd, &edge_store(id));
    }
}

fn kinds(body: &Value) -> Vec<String> {
    body["blockers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn v85_removal_progress_from_pd() {
    let pd = FakePd::start().await;
    serve_v85_context(&pd);
    pd.serve_json(
        "/pd/api/v1/stores/progress?id=10",
        "stores_progress_removing_v8.5.json",
    );
    let lens = Lens::single(&[pd.url()]).await;
    let body = lens
        .get("/api/v1/clusters/default/stores/10/progress")
        .await
        .ok()
        .clone();
    let raw = fixture_json("stores_progress_removing_v8.5.json");
    assert_eq!(body["store_id"], "10");
    assert_eq!(body["state"], "offline");
    assert_eq!(body["node_state"], "removing");
    assert_eq!(body["action"], "removing");
    assert_eq!(body["source"], "pd");
    assert_eq!(body["progress"], raw["progress"]);
    let speed = raw["current_speed"].as_f64().unwrap() * MIB;
    assert!((body["speed_bytes_per_second"].as_f64().unwrap() - speed).abs() < 1e-6);
    assert_eq!(body["eta_seconds"], raw["left_seconds"]);
    assert_eq!(body["regions_left"], 37);
    // One reading so far: no rate of its own yet.
    assert_eq!(body["regions_per_second"], Value::Null);
    // Up TiKV stores besides 10: 1, 4, 5 (7 is disconnected, 8 down, 20 TiFlash): enough for
    // three replicas; the evict-leader scheduler holds store 4, which exists.
    assert_eq!(kinds(&body), Vec::<String>::new(), "{body}");
    assert_eq!(body["down_in_seconds"], Value::Null);
    assert_eq!(body["warnings"], json!([]));
}

#[tokio::test]
async fn blockers_from_limits_isolation_and_leftover_schedulers() {
    let pd = FakePd::start().await;
    serve_v85_context(&pd);
    pd.serve_json(
        "/pd/api/v1/stores/progress?id=10",
        "stores_progress_removing_v8.5.json",
    );
    let mut limits = fixture_json("stores_limit_v8.5.json");
    limits["10"]["remove-peer"] = json!(0);
    pd.serve(
        "/pd/api/v1/stores/limit",
        Canned::new(200, PD_JSON, limits.to_string()),
    );
    let mut replicate = fixture_json("config_replicate.json");
    replicate["isolation-level"] = json!("zone");
    pd.serve(
        "/pd/api/v1/config/replicate",
        Canned::new(200, PD_JSON, replicate.to_string()),
    );
    let mut evict = fixture_json("scheduler_config_evict_leader_v8.5.json");
    evict["store-id-ranges"]["9"] = json!([{"start-key": "", "end-key": ""}]);
    pd.serve(
        "/pd/api/v1/scheduler-config/evict-leader-scheduler/list",
        Canned::new(200, PD_JSON, evict.to_string()),
    );
    pd.serve(
        "/pd/api/v1/checker/replica",
        Canned::new(200, PD_JSON, "{\n  \"paused\": true\n}\n"),
    );
    let lens = Lens::single(&[pd.url()]).await;
    let body = lens
        .get("/api/v1/clusters/default/stores/10/progress")
        .await
        .ok()
        .clone();
    let mut found = kinds(&body);
    found.sort_unstable();
    // Zones of the up stores besides 10: z1 (1) and z2 (4); 5 has none.
    assert_eq!(
        found,
        [
            "checker_disabled",
            "evict_leader_on_removed_store",
            "not_enough_stores",
            "store_limit_zero"
        ],
        "{body}"
    );
    for b in body["blockers"].as_array().unwrap() {
        assert!(
            b["source"].as_str().unwrap().starts_with("/pd/api/v1/"),
            "{b}"
        );
        assert!(!b["message"].as_str().unwrap().is_empty());
    }
}

#[tokio::test]
async fn v65_just_started_removal_has_no_eta() {
    let pd = FakePd::start().await;
    serve_v85_context(&pd);
    pd.serve_json(
        "/pd/api/v1/stores/progress?id=10",
        "stores_progress_removing_v6.5.json",
    );
    let lens = Lens::single(&[pd.url()]).await;
    let body = lens
        .get("/api/v1/clusters/default/stores/10/progress")
        .await
        .ok()
        .clone();
    assert_eq!(body["progress"], 0.0);
    assert_eq!(body["speed_bytes_per_second"], 0.0);
    // PD's left_seconds is the largest float: no estimate.
    assert_eq!(body["eta_seconds"], Value::Null);
    assert_eq!(body["source"], "pd");
}

#[tokio::test]
async fn without_pd_progress_tikv_lens_computes_it() {
    // PD v6.0 has no /stores/progress: its router's 404.
    let pd = FakePd::start().await;
    serve_v85_context(&pd);
    pd.serve(
        "/pd/api/v1/stores/progress?id=10",
        Canned::new(404, PD_TEXT, fixture("error_route_not_found.txt")),
    );
    let lens = Lens::single(&[pd.url()]).await;
    let path = "/api/v1/clusters/default/stores/10/progress";
    let first = lens.get(path).await.ok().clone();
    assert_eq!(first["source"], "tikv_lens");
    assert_eq!(first["progress"], 0.0);
    assert_eq!(first["speed_bytes_per_second"], Value::Null);
    let warning = first["warnings"][0]["message"].as_str().unwrap();
    assert!(warning.contains("v6.1"), "{warning}");

    // Regions leave the store.
    let mut store = edge_store(10);
    store["status"]["region_size"] = json!(1476);
    store["status"]["region_count"] = json!(25);
    serve_store(&pd, &store);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let second = lens.get(path).await.ok().clone();
    assert_eq!(second["source"], "tikv_lens");
    let progress = second["progress"].as_f64().unwrap();
    assert!(
        (progress - (1.0 - 1476.0 / 2214.0)).abs() < 1e-9,
        "{second}"
    );
    assert!(second["speed_bytes_per_second"].as_f64().unwrap() > 0.0);
    assert!(second["regions_per_second"].as_f64().unwrap() > 0.0);
    assert!(second["eta_seconds"].as_f64().unwrap() > 0.0);
    assert_eq!(second["regions_left"], 25);
}

#[tokio::test]
async fn a_store_doing_nothing_and_a_disconnected_one() {
    let pd = FakePd::start().await;
    serve_v85_context(&pd);
    pd.serve(
        "/pd/api/v1/stores/progress?id=1",
        Canned::new(404, PD_JSON, fixture("error_progress_not_found.txt")),
    );
    let lens = Lens::single(&[pd.url()]).await;
    let body = lens
        .get("/api/v1/clusters/default/stores/1/progress")
        .await
        .ok()
        .clone();
    assert_eq!(body["action"], Value::Null);
    assert_eq!(body["progress"], Value::Null);
    assert_eq!(body["source"], Value::Null);
    assert_eq!(body["blockers"], json!([]));
    assert_eq!(body["warnings"], json!([]));

    // Store 7, disconnected: its last heartbeat 45 s before now, PD's down time 30 minutes.
    let mut store = edge_store(7);
    let heartbeat = jiff::Timestamp::now() - jiff::SignedDuration::from_secs(45);
    store["status"]["last_heartbeat_ts"] = json!(heartbeat.to_string());
    serve_store(&pd, &store);
    pd.serve(
        "/pd/api/v1/stores/progress?id=7",
        Canned::new(404, PD_JSON, fixture("error_progress_not_found.txt")),
    );
    let body = lens
        .get("/api/v1/clusters/default/stores/7/progress")
        .await
        .ok()
        .clone();
    assert_eq!(body["state"], "disconnected");
    let down_in = body["down_in_seconds"].as_f64().unwrap();
    assert!((1_740.0..=1_755.1).contains(&down_in), "{down_in}");
}

#[tokio::test]
async fn unknown_and_malformed_stores() {
    let pd = FakePd::start().await;
    serve_v85_context(&pd);
    pd.serve(
        "/pd/api/v1/store/42",
        Canned::new(404, PD_JSON, fixture("error_store_not_found.txt")),
    );
    let lens = Lens::single(&[pd.url()]).await;
    let answer = lens
        .get("/api/v1/clusters/default/stores/42/progress")
        .await;
    assert_eq!(
        answer.problem(404)["type"],
        "urn:tikv-lens:problem:not-found"
    );
    let answer = lens
        .get("/api/v1/clusters/default/stores/x1/progress")
        .await;
    assert_eq!(answer.problem(400)["parameter"], "store_id");
}
