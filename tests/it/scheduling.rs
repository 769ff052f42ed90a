//! `/schedulers` and `/operators` from PD v8.5 and v6.5 bodies: statuses from the paused and
//! disabled lists (v6.5 writes `null` for empty ones), pause times in UTC, the stores
//! store-holding schedulers hold (v6.5's evict-slow-store has no configuration endpoint), and
//! operators parsed from PD's text in both versions' layouts.

use serde_json::{Value, json};

use crate::support::{Canned, FakePd, Lens, PD_JSON, PD_TEXT, fixture, pd_json_string};

const SCHEDULERS: &str = "/pd/api/v1/schedulers";
const PAUSED: &str = "/pd/api/v1/schedulers?status=paused&timestamp=true";
const DISABLED: &str = "/pd/api/v1/schedulers?status=disabled";
const EVICT_LEADER: &str = "/pd/api/v1/scheduler-config/evict-leader-scheduler/list";
const EVICT_SLOW: &str = "/pd/api/v1/scheduler-config/evict-slow-store-scheduler/list";
const OPERATORS: &str = "/pd/api/v1/operators";

fn by_name<'a>(body: &'a Value, name: &str) -> &'a Value {
    body["schedulers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {body}"))
}

pub(crate) fn serve_v85_schedulers(pd: &FakePd) {
    pd.serve_json(SCHEDULERS, "schedulers_v8.5_evict_leader.json")
        .serve_json(PAUSED, "schedulers_paused_v8.5.json")
        .serve_json(DISABLED, "schedulers_disabled_v8.5_none.json")
        .serve_json(EVICT_LEADER, "scheduler_config_evict_leader_v8.5.json")
        .serve_json(EVICT_SLOW, "scheduler_config_evict_slow_store_v8.5.json");
}

#[tokio::test]
async fn v85_schedulers_with_status_and_what_they_hold() {
    let pd = FakePd::start().await;
    serve_v85_schedulers(&pd);
    let lens = Lens::single(&[pd.url()]).await;
    let body = lens
        .get("/api/v1/clusters/default/schedulers")
        .await
        .ok()
        .clone();
    assert_eq!(body["count"], 5);
    let names: Vec<&str> = body["schedulers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted, "sorted by name");

    let region = by_name(&body, "balance-region-scheduler");
    assert_eq!(region["kind"], "balance-region");
    assert_eq!(region["status"], "paused");
    assert_eq!(region["paused_at"], "2025-03-10T08:12:04Z");
    assert_eq!(region["paused_until"], "2025-03-10T09:12:04Z");
    assert_eq!(region["config"], Value::Null);

    let leader = by_name(&body, "balance-leader-scheduler");
    assert_eq!(leader["status"], "running");
    assert_eq!(leader["paused_until"], Value::Null);

    let evict = by_name(&body, "evict-leader-scheduler");
    assert_eq!(evict["kind"], "evict-leader");
    assert_eq!(
        evict["config"],
        json!({"store_ids": ["4"], "batch": 3, "recovery_duration_seconds": null})
    );
    // PD v8.5's evict-slow-store list leaves the evicted stores out (`null`): unknown, not none.
    let slow = by_name(&body, "evict-slow-store-scheduler");
    assert_eq!(
        slow["config"],
        json!({"store_ids": null, "batch": null, "recovery_duration_seconds": 600.0})
    );
    assert_eq!(
        by_name(&body, "balance-hot-region-scheduler")["kind"],
        "balance-hot-region"
    );
    assert_eq!(body["warnings"], json!([]));
}

#[tokio::test]
async fn v65_schedulers_null_lists_and_a_missing_config_endpoint() {
    let pd = FakePd::start().await;
    pd.serve_json(SCHEDULERS, "schedulers_v6.5.json")
        .serve_json(PAUSED, "schedulers_paused_v6.5.json")
        .serve_json(DISABLED, "schedulers_disabled_v6.5_none.json")
        .serve_json(EVICT_LEADER, "scheduler_config_evict_leader_v6.5.json")
        // v6.5's evict-slow-store has no HTTP handler: Go's mux answers 404.
        .serve(
            EVICT_SLOW,
            Canned::new(404, PD_TEXT, fixture("error_route_not_found.txt")),
        );
    let lens = Lens::single(&[pd.url()]).await;
    let body = lens
        .get("/api/v1/clusters/default/schedulers")
        .await
        .ok()
        .clone();
    assert_eq!(body["count"], 6);
    let leader = by_name(&body, "balance-leader-scheduler");
    assert_eq!(leader["status"], "paused");
    // PD printed 14:00 and 14:30 at +08:00.
    assert_eq!(leader["paused_at"], "2023-06-15T06:00:00Z");
    assert_eq!(leader["paused_until"], "2023-06-15T06:30:00Z");
    assert_eq!(
        by_name(&body, "split-bucket-scheduler")["kind"],
        "split-bucket"
    );
    assert_eq!(
        by_name(&body, "split-bucket-scheduler")["status"],
        "running"
    );
    assert_eq!(
        by_name(&body, "evict-leader-scheduler")["config"],
        json!({"store_ids": ["1", "12"], "batch": null, "recovery_duration_seconds": null})
    );
    assert_eq!(
        by_name(&body, "evict-slow-store-scheduler")["config"],
        Value::Null
    );
    let warnings = body["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0]["message"]
            .as_str()
            .unwrap()
            .contains("evict-slow-store-scheduler"),
        "{warnings:?}"
    );

    // With no paused scheduler v6.5 writes `null`: everything runs.
    pd.serve_json(PAUSED, "schedulers_paused_v6.5_none.json");
    let body = lens
        .get("/api/v1/clusters/default/schedulers")
        .await
        .ok()
        .clone();
    for s in body["schedulers"].as_array().unwrap() {
        assert_eq!(s["status"], "running", "{s}");
    }
}

#[tokio::test]
async fn a_failing_status_list_leaves_status_null() {
    let pd = FakePd::start().await;
    serve_v85_schedulers(&pd);
    pd.serve(PAUSED, Canned::new(500, PD_JSON, pd_json_string("boom")));
    let lens = Lens::single(&[pd.url()]).await;
    let body = lens
        .get("/api/v1/clusters/default/schedulers")
        .await
        .ok()
        .clone();
    for s in body["schedulers"].as_array().unwrap() {
        assert_eq!(s["status"], Value::Null, "{s}");
    }
    let warnings = body["warnings"].as_array().unwrap();
    assert!(warnings[0]["message"].as_str().unwrap().contains("paused"));

    // Without the list itself there is no answer.
    pd.serve(
        SCHEDULERS,
        Canned::new(500, PD_JSON, pd_json_string("boom")),
    );
    let answer = lens.get("/api/v1/clusters/default/schedulers").await;
    assert_eq!(answer.problem(502)["upstream_status"], 500);
}

#[tokio::test]
async fn v85_operators_parsed_from_pd_text() {
    let pd = FakePd::start().await;
    pd.serve_json(OPERATORS, "operators_v8.5.json");
    let lens = Lens::single(&[pd.url()]).await;
    let body = lens
        .get("/api/v1/clusters/default/operators")
        .await
        .ok()
        .clone();
    assert_eq!(body["count"], 3);
    let ops = body["operators"].as_array().unwrap();
    let regions: Vec<&str> = ops
        .iter()
        .map(|o| o["region_id"].as_str().unwrap())
        .collect();
    assert_eq!(regions, ["2", "48", "112"]);
    let raw: Vec<String> = serde_json::from_slice(&fixture("operators_v8.5.json")).unwrap();

    let evict = &ops[0];
    assert_eq!(evict["kind"], json!(["leader"]));
    assert_eq!(evict["description"], "evict-leader-scheduler");
    assert_eq!(evict["from_store_ids"], json!(["4"]));
    assert_eq!(evict["to_store_ids"], json!(["1", "5"]));
    assert_eq!(evict["status"], "started");
    assert_eq!(evict["timeout_seconds"], 60.0);
    assert_eq!(evict["raw"], raw[0]);

    let waiting = &ops[1];
    assert_eq!(waiting["status"], "created");
    assert_eq!(waiting["started_at"], Value::Null);
    assert_eq!(waiting["created_at"], "2025-03-10T08:15:29.887102453Z");
    assert_eq!(waiting["brief"], "transfer leader: store 1 to 4");

    let mv = &ops[2];
    assert_eq!(mv["kind"], json!(["replica", "region"]));
    assert_eq!(mv["description"], "replace-offline-replica");
    assert_eq!(mv["from_store_ids"], json!(["10"]));
    assert_eq!(mv["to_store_ids"], json!(["5"]));
    assert_eq!(mv["current_step"], 1);
    assert_eq!(mv["steps"].as_array().unwrap().len(), 4);
    assert_eq!(mv["steps"][3], "remove peer on store 10");
    assert_eq!(mv["timeout_seconds"], 1020.0);
    assert_eq!(mv["approximate_size_bytes"], 92u64 * 1024 * 1024);
    assert_eq!(
        (mv["region_version"].clone(), mv["region_conf_ver"].clone()),
        (json!(12), json!(9))
    );
    assert_eq!(body["warnings"], json!([]));
}

#[tokio::test]
async fn v65_operators_with_the_full_width_comma() {
    let pd = FakePd::start().await;
    pd.serve_json(OPERATORS, "operators_v6.5.json");
    let lens = Lens::single(&[pd.url()]).await;
    let body = lens
        .get("/api/v1/clusters/default/operators")
        .await
        .ok()
        .clone();
    let ops = body["operators"].as_array().unwrap();
    assert_eq!(ops.len(), 2);
    let leader = &ops[0];
    assert_eq!(leader["region_id"], "38");
    assert_eq!(leader["status"], "success");
    // Printed at +0800 CST.
    assert_eq!(leader["created_at"], "2023-06-15T06:02:12.008817155Z");
    let mv = &ops[1];
    assert_eq!(mv["from_store_ids"], json!(["1"]));
    assert_eq!(mv["to_store_ids"], json!(["6"]));
    // v6.5 joins bare steps with commas that steps also contain: not split.
    assert_eq!(mv["steps"], Value::Null);
    assert_eq!(mv["current_step"], 2);
    assert_eq!(mv["timeout_seconds"], 1020.0);
    assert_eq!(body["warnings"], json!([]));
}

#[tokio::test]
async fn empty_and_unknown_operators() {
    let pd = FakePd::start().await;
    pd.serve_json(OPERATORS, "operators_empty.json");
    let lens = Lens::single(&[pd.url()]).await;
    let body = lens
        .get("/api/v1/clusters/default/operators")
        .await
        .ok()
        .clone();
    assert_eq!(body["count"], 0);
    assert_eq!(body["operators"], json!([]));

    pd.serve(
        OPERATORS,
        Canned::new(200, PD_JSON, "[\n  \"a future operator layout\"\n]\n"),
    );
    let body = lens
        .get("/api/v1/clusters/default/operators")
        .await
        .ok()
        .clone();
    assert_eq!(body["operators"][0]["raw"], "a future operator layout");
    assert_eq!(body["operators"][0]["region_id"], Value::Null);
    assert_eq!(body["operators"][0]["status"], Value::Null);
    assert_eq!(body["warnings"].as_array().unwrap().len(), 1);

    pd.serve(
        OPERATORS,
        Canned::new(200, PD_JSON, "{\"not\": \"a list\"}\n"),
    );
    lens.get("/api/v1/clusters/default/operators")
        .await
        .problem(502);
}
