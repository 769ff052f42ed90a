//! `/config/schedule` and `/placement` from PD v8.5 and v6.5 bodies: Go durations to seconds,
//! string booleans to booleans, the misspelled v6.5 key, store limits, the label tree and
//! placement rules (when on).

use serde_json::{Value, json};

use crate::support::{Canned, FakePd, Lens, PD_JSON, fixture, fixture_json, pd_json_string};

const SCHEDULE: &str = "/pd/api/v1/config/schedule";
const LIMITS: &str = "/pd/api/v1/stores/limit";
const REPLICATE: &str = "/pd/api/v1/config/replicate";
const RULES: &str = "/pd/api/v1/config/placement-rule";
const STORES: &str = "/pd/api/v1/stores";
const MIB: u64 = 1024 * 1024;

#[tokio::test]
async fn v85_schedule_config_normalized() {
    let pd = FakePd::start().await;
    pd.serve_json(SCHEDULE, "config_schedule_v8.5.json")
        .serve_json(LIMITS, "stores_limit_v8.5.json");
    let lens = Lens::single(&[pd.url()]).await;
    let body = lens
        .get("/api/v1/clusters/default/config/schedule")
        .await
        .ok()
        .clone();
    let s = &body["schedule"];
    assert_eq!(s["max_store_down_time_seconds"], 1800.0);
    assert_eq!(s["max_store_preparing_time_seconds"], 172_800.0);
    assert_eq!(s["split_merge_interval_seconds"], 3600.0);
    assert_eq!(s["patrol_region_interval_seconds"], 0.01);
    assert_eq!(s["max_merge_region_size_bytes"], 54 * MIB);
    assert_eq!(s["max_merge_region_keys"], 540_000);
    assert_eq!(s["enable_cross_table_merge"], true);
    assert_eq!(s["enable_one_way_merge"], false);
    assert_eq!(s["enable_replace_offline_replica"], true);
    assert_eq!(s["enable_heartbeat_concurrent_runner"], true);
    assert_eq!(s["low_space_ratio"], 0.8);
    assert_eq!(s["witness_schedule_limit"], 4);
    assert_eq!(s["max_movable_hot_peer_size_bytes"], 512 * MIB);
    assert_eq!(s["store_limit_version"], "v1");
    // `halt-scheduling` is omitted when false (`,string,omitempty`): unknown, so null.
    assert_eq!(s["halt_scheduling"], Value::Null);
    let limits = body["store_limits"].as_array().unwrap();
    let ids: Vec<&str> = limits
        .iter()
        .map(|l| l["store_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["1", "4", "5", "7", "8", "10", "20"]);
    assert_eq!(
        limits[6],
        json!({"store_id": "20", "add_peer_per_minute": 30.0, "remove_peer_per_minute": 30.0})
    );
    assert_eq!(body["warnings"], json!([]));
}

#[tokio::test]
async fn v65_schedule_config_with_its_misspelled_key() {
    let pd = FakePd::start().await;
    pd.serve_json(SCHEDULE, "config_schedule_v6.5.json")
        .serve_json(LIMITS, "stores_limit_v6.5.json");
    let lens = Lens::single(&[pd.url()]).await;
    let body = lens
        .get("/api/v1/clusters/default/config/schedule")
        .await
        .ok()
        .clone();
    let s = &body["schedule"];
    // v6.5 writes `swtich-witness-interval`.
    assert_eq!(s["switch_witness_interval_seconds"], 3600.0);
    assert_eq!(s["max_merge_region_size_bytes"], 20 * MIB);
    assert_eq!(s["enable_diagnostic"], false);
    // Settings v6.5 does not have.
    assert_eq!(s["witness_schedule_limit"], Value::Null);
    assert_eq!(s["enable_heartbeat_breakdown_metrics"], Value::Null);
    assert_eq!(s["store_limit_version"], Value::Null);
    assert_eq!(body["store_limits"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn store_limits_refused_leave_them_null() {
    let pd = FakePd::start().await;
    pd.serve_json(SCHEDULE, "config_schedule_v8.5.json").serve(
        LIMITS,
        Canned::new(400, PD_JSON, fixture("error_stores_limit_v2.txt")),
    );
    let lens = Lens::single(&[pd.url()]).await;
    let body = lens
        .get("/api/v1/clusters/default/config/schedule")
        .await
        .ok()
        .clone();
    assert_eq!(body["store_limits"], Value::Null);
    let warning = body["warnings"][0]["message"].as_str().unwrap();
    assert!(warning.contains("v2"), "{warning}");

    // A value PD's format does not allow is a 502 naming it.
    let mut bad = fixture_json("config_schedule_v8.5.json");
    bad["enable-witness"] = json!("maybe");
    pd.serve(SCHEDULE, Canned::new(200, PD_JSON, bad.to_string()));
    let answer = lens.get("/api/v1/clusters/default/config/schedule").await;
    let problem = answer.problem(502);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("enable-witness"),
        "{problem}"
    );
}

#[tokio::test]
async fn v85_placement_with_the_label_tree_and_rules() {
    let pd = FakePd::start().await;
    pd.serve_json(REPLICATE, "config_replicate.json")
        .serve_json(STORES, "stores_edge_cases.json")
        .serve_json(RULES, "placement_rule.json");
    let lens = Lens::single(&[pd.url()]).await;
    let body = lens
        .get("/api/v1/clusters/default/placement")
        .await
        .ok()
        .clone();
    assert_eq!(body["max_replicas"], 3);
    assert_eq!(body["location_labels"], json!(["zone", "host"]));
    assert_eq!(body["isolation_level"], Value::Null);
    assert_eq!(body["strictly_match_label"], false);
    assert_eq!(body["placement_rules_enabled"], true);

    // Stores 5, 8 and 20 have no zone or host: they sit under "".
    let tree = body["label_tree"].as_array().unwrap();
    let zones: Vec<&str> = tree.iter().map(|n| n["value"].as_str().unwrap()).collect();
    assert_eq!(zones, ["", "z1", "z2", "z3"]);
    assert_eq!(tree[0]["store_ids"], json!(["5", "8", "20"]));
    let z1 = &tree[1];
    assert_eq!(z1["key"], "zone");
    assert_eq!(z1["store_ids"], json!(["1", "7"]));
    assert_eq!(z1["children"][0]["key"], "host");
    assert_eq!(z1["children"][0]["value"], "tikv-21");
    assert_eq!(z1["children"][0]["store_ids"], json!(["1"]));
    assert_eq!(z1["children"][0]["children"], json!([]));

    let stores = body["stores"].as_array().unwrap();
    let uncovered: Vec<&str> = stores
        .iter()
        .filter(|s| s["covers_location_labels"] == false)
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(uncovered, ["5", "8", "20"]);
    let s10 = stores.iter().find(|s| s["id"] == "10").unwrap();
    assert_eq!(s10["location"], json!(["z3", "tikv-26"]));
    assert_eq!(s10["state"], "offline");
    let s5 = stores.iter().find(|s| s["id"] == "5").unwrap();
    assert_eq!(s5["missing_location_labels"], json!(["zone", "host"]));

    let rules = body["placement_rules"].as_array().unwrap();
    assert_eq!(rules[0]["group_id"], "pd");
    assert_eq!(
        rules[0]["rules"][0],
        json!({"id": "default", "index": 0, "override": false, "start_key": "", "end_key": "",
               "role": "voter", "is_witness": false, "count": 3, "label_constraints": [],
               "location_labels": ["zone", "host"], "isolation_level": null})
    );
    assert_eq!(body["warnings"], json!([]));
}

#[tokio::test]
async fn v65_placement_without_rules() {
    let pd = FakePd::start().await;
    pd.serve_json(REPLICATE, "config_replicate_v6.5.json")
        .serve_json(STORES, "stores.json");
    let lens = Lens::single(&[pd.url()]).await;
    let body = lens
        .get("/api/v1/clusters/default/placement")
        .await
        .ok()
        .clone();
    assert_eq!(body["location_labels"], json!(["zone", "rack", "host"]));
    assert_eq!(body["isolation_level"], "zone");
    assert_eq!(body["placement_rules_enabled"], false);
    assert_eq!(body["placement_rules"], Value::Null);
    assert_eq!(pd.hits(RULES), 0, "rules are not read when they are off");
    // No store has a rack label.
    for s in body["stores"].as_array().unwrap() {
        assert_eq!(s["covers_location_labels"], false, "{s}");
        assert!(
            s["missing_location_labels"]
                .as_array()
                .unwrap()
                .contains(&json!("rack"))
        );
    }
    // Three levels deep.
    let first = &body["label_tree"][0];
    assert_eq!(first["children"][0]["key"], "rack");
    assert_eq!(first["children"][0]["value"], "");
    assert_eq!(first["children"][0]["children"][0]["key"], "host");
}

#[tokio::test]
async fn placement_parts_that_fail() {
    let pd = FakePd::start().await;
    pd.serve_json(REPLICATE, "config_replicate.json")
        .serve(STORES, Canned::new(500, PD_JSON, pd_json_string("boom")))
        .serve(
            RULES,
            Canned::new(412, PD_JSON, fixture("error_placement_disabled.txt")),
        );
    let lens = Lens::single(&[pd.url()]).await;
    let body = lens
        .get("/api/v1/clusters/default/placement")
        .await
        .ok()
        .clone();
    assert_eq!(body["label_tree"], Value::Null);
    assert_eq!(body["stores"], Value::Null);
    // PD's 412 "disabled" is not a failure: no rules.
    assert_eq!(body["placement_rules"], Value::Null);
    let warnings = body["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("stores unknown")
    );

    pd.serve(REPLICATE, Canned::new(500, PD_JSON, pd_json_string("boom")));
    lens.get("/api/v1/clusters/default/placement")
        .await
        .problem(502);
}
