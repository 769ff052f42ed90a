//! `/stores` and `/stores/{id}`: every store fixture through the real HTTP path, asserting the
//! normalized values. Expected sizes are computed here from the literals PD printed.

use serde_json::{Value, json};

use crate::support::{
    Canned, FakePd, Lens, PD_JSON, fixture, gib, mib, pd_json_string, store_ids, store_with_id, tib,
};

const MIB: u64 = 1024 * 1024;
const STORES: &str = "/pd/api/v1/stores";
const STORES_ALL_STATES: &str = "/pd/api/v1/stores?state=0&state=1&state=2";
const LIST: &str = "/api/v1/clusters/default/stores";

/// A fake PD answering `path` with a 200 `rd.JSON` fixture, and tikv-lens in front of it.
async fn serving(path: &str, fixture_name: &str) -> (FakePd, Lens) {
    let pd = FakePd::start().await;
    pd.serve_json(path, fixture_name);
    let lens = Lens::single(&[pd.url()]).await;
    (pd, lens)
}

/// The fields every store object carries, `null` or not (fields are never omitted).
const STORE_FIELDS: &[&str] = &[
    "id",
    "address",
    "peer_address",
    "status_address",
    "state",
    "pd_state_name",
    "node_state",
    "engine",
    "labels",
    "version",
    "git_hash",
    "deploy_path",
    "physically_destroyed",
    "capacity_bytes",
    "available_bytes",
    "used_bytes",
    "leader_count",
    "leader_weight",
    "leader_score",
    "leader_size_bytes",
    "region_count",
    "region_weight",
    "region_score",
    "region_size_bytes",
    "learner_count",
    "witness_count",
    "pending_peer_count",
    "sending_snapshot_count",
    "receiving_snapshot_count",
    "is_busy",
    "slow_score",
    "started_at",
    "last_heartbeat_at",
    "uptime_seconds",
];

fn assert_complete_store(store: &Value) {
    for field in STORE_FIELDS {
        assert!(store.get(field).is_some(), "store lacks `{field}`: {store}");
    }
}

/// What one healthy v8.5 store of `stores.json` normalizes to.
struct UpStore {
    id: &'static str,
    available: u64,
    used: u64,
    uptime: f64,
    started_at: &'static str,
    last_heartbeat_at: &'static str,
    labels: Value,
    status_address: &'static str,
    leader_count: u64,
    leader_size_mib: u64,
    region_score: f64,
    learner_count: u64,
    pending_peer_count: u64,
}

fn v85_up_stores() -> Vec<UpStore> {
    vec![
        UpStore {
            id: "1",
            available: tib(1.672),
            used: mib(621.7),
            // 169h50m15.481079227s
            uptime: 611415.481079227,
            started_at: "2025-03-03T06:25:11Z",
            last_heartbeat_at: "2025-03-10T08:15:26.481079227Z",
            labels: json!({"zone": "z1", "host": "tikv-21"}),
            status_address: "10.0.1.21:20180",
            leader_count: 4,
            leader_size_mib: 113,
            region_score: 337.5325269434902,
            learner_count: 0,
            pending_peer_count: 0,
        },
        UpStore {
            id: "4",
            available: tib(1.673),
            used: mib(618.8),
            // 169h50m10.79588264s
            uptime: 611410.79588264,
            started_at: "2025-03-03T06:25:12Z",
            last_heartbeat_at: "2025-03-10T08:15:22.79588264Z",
            labels: json!({"zone": "z2", "host": "tikv-22"}),
            status_address: "10.0.1.22:20180",
            leader_count: 4,
            leader_size_mib: 173,
            region_score: 337.51826206060565,
            learner_count: 0,
            pending_peer_count: 0,
        },
        UpStore {
            id: "5",
            available: tib(1.672),
            used: mib(670.1),
            // 169h50m17.937188991s
            uptime: 611417.937188991,
            started_at: "2025-03-03T06:25:11Z",
            last_heartbeat_at: "2025-03-10T08:15:28.937188991Z",
            labels: json!({}),
            status_address: "10.0.1.23:20180",
            leader_count: 2,
            leader_size_mib: 4,
            region_score: 337.53678749488756,
            learner_count: 1,
            pending_peer_count: 2,
        },
    ]
}

fn assert_v85_up_store(s: &Value, want: &UpStore) {
    let id = want.id;
    assert_complete_store(s);
    assert_eq!(s["id"], id);
    assert_eq!(s["capacity_bytes"], tib(1.747), "store {id}");
    assert_eq!(s["available_bytes"], want.available, "store {id}");
    assert_eq!(s["used_bytes"], want.used, "store {id}");
    assert_eq!(s["uptime_seconds"], want.uptime, "store {id}");
    assert_eq!(s["started_at"], want.started_at, "store {id}");
    assert_eq!(s["last_heartbeat_at"], want.last_heartbeat_at, "store {id}");
    assert_eq!(s["labels"], want.labels, "store {id}");
    assert_eq!(s["status_address"], want.status_address, "store {id}");
    assert_eq!(s["state"], "up", "store {id}");
    assert_eq!(s["pd_state_name"], "Up", "store {id}");
    assert_eq!(s["node_state"], "serving", "store {id}");
    assert_eq!(s["engine"], "tikv", "store {id}");
    assert_eq!(s["version"], "8.5.1", "store {id}");
    assert_eq!(s["leader_count"], want.leader_count, "store {id}");
    assert_eq!(s["leader_score"], want.leader_count as f64, "store {id}");
    assert_eq!(s["leader_weight"], 1.0, "store {id}");
    assert_eq!(
        s["leader_size_bytes"],
        want.leader_size_mib * MIB,
        "store {id}"
    );
    assert_eq!(s["region_count"], 10, "store {id}");
    assert_eq!(s["region_size_bytes"], 290 * MIB, "store {id}");
    assert_eq!(s["region_score"], want.region_score, "store {id}");
    assert_eq!(s["learner_count"], want.learner_count, "store {id}");
    assert_eq!(
        s["pending_peer_count"], want.pending_peer_count,
        "store {id}"
    );
    assert_eq!(s["witness_count"], 0, "store {id}");
    assert_eq!(s["sending_snapshot_count"], 0, "store {id}");
    assert_eq!(s["is_busy"], false, "store {id}");
    assert_eq!(s["physically_destroyed"], false, "store {id}");
    assert_eq!(s["slow_score"], 1.0, "store {id}");
}

#[tokio::test]
async fn v85_stores_are_sorted_and_normalized() {
    let (pd, lens) = serving(STORES, "stores.json").await;
    let answer = lens.get(LIST).await;
    let body = answer.ok();
    assert_eq!(body["cluster"], "default");
    assert_eq!(body["count"], 3);
    assert_eq!(store_ids(body), ["1", "4", "5"]);
    assert_eq!(body["warnings"], json!([]));
    assert!(body["observed_at"].as_str().unwrap().ends_with('Z'));
    for want in v85_up_stores() {
        assert_v85_up_store(store_with_id(body, want.id), &want);
    }
    // The spot values of the contract, spelled out.
    let s4 = store_with_id(body, "4");
    assert_eq!(s4["capacity_bytes"], 1_920_846_813_725u64);
    assert_eq!(s4["uptime_seconds"], 611410.79588264);
    assert_eq!(s4["last_heartbeat_at"], "2025-03-10T08:15:22.79588264Z");
    assert_eq!(s4["leader_size_bytes"], 173 * 1_048_576);
    assert_eq!(pd.hits(STORES), 1);
    assert_eq!(pd.hits(STORES_ALL_STATES), 0);
}

#[tokio::test]
async fn edge_case_stores_keep_their_states() {
    let (pd, lens) = serving(STORES, "stores_edge_cases.json").await;
    let answer = lens.get(LIST).await;
    let body = answer.ok();
    assert_eq!(body["count"], 7);
    assert_eq!(store_ids(body), ["1", "4", "5", "7", "8", "10", "20"]);
    for s in body["stores"].as_array().unwrap() {
        assert_complete_store(s);
    }

    let offline = store_with_id(body, "10");
    assert_eq!(offline["state"], "offline");
    assert_eq!(offline["pd_state_name"], "Offline");
    assert_eq!(offline["node_state"], "removing");
    assert_eq!(offline["sending_snapshot_count"], 2);
    assert_eq!(offline["receiving_snapshot_count"], 0);
    assert_eq!(offline["used_bytes"], gib(8.497));
    assert_eq!(offline["available_bytes"], tib(1.684));
    assert_eq!(offline["region_size_bytes"], 2214 * MIB);
    assert_eq!(offline["region_count"], 37);
    // 169h49m24.099882788s
    assert_eq!(offline["uptime_seconds"], 611364.099882788);

    let tiflash = store_with_id(body, "20");
    assert_eq!(tiflash["engine"], "tiflash");
    assert_eq!(tiflash["state"], "up");
    assert_eq!(tiflash["used_bytes"], 1);
    assert_eq!(tiflash["available_bytes"], tib(1.71));
    assert_eq!(tiflash["version"], "v8.5.1");
    assert_eq!(tiflash["labels"], json!({"engine": "tiflash"}));
    assert_eq!(tiflash["learner_count"], 3);
    assert_eq!(tiflash["address"], "10.0.1.31:3930");

    let down = store_with_id(body, "8");
    assert_eq!(down["state"], "down");
    assert_eq!(down["pd_state_name"], "Down");
    assert_eq!(down["last_heartbeat_at"], Value::Null);
    assert_eq!(down["uptime_seconds"], Value::Null);
    // PD prints "0B" for a store that never heartbeated: no statistics, so unknown (null).
    assert_eq!(down["capacity_bytes"], Value::Null);
    assert_eq!(down["available_bytes"], Value::Null);
    assert_eq!(down["used_bytes"], Value::Null);
    assert_eq!(down["node_state"], Value::Null);
    assert_eq!(down["slow_score"], Value::Null);
    assert_eq!(down["started_at"], "2025-03-09T09:10:05Z");
    assert_eq!(down["labels"], json!({}));

    let disconnected = store_with_id(body, "7");
    assert_eq!(disconnected["state"], "disconnected");
    assert_eq!(disconnected["pd_state_name"], "Disconnected");
    assert_eq!(disconnected["node_state"], "serving");
    assert_eq!(disconnected["started_at"], "2025-03-10T07:00:00Z");
    assert_eq!(
        disconnected["last_heartbeat_at"],
        "2025-03-10T08:14:44.689995882Z"
    );
    // 1h14m44.689995882s
    assert_eq!(disconnected["uptime_seconds"], 4484.689995882);
    assert_eq!(disconnected["used_bytes"], mib(204.2));

    for id in ["1", "4", "5"] {
        assert_eq!(store_with_id(body, id)["state"], "up", "store {id}");
    }
    assert_eq!(pd.hits(STORES), 1);
}

#[tokio::test]
async fn state_filter_selects_exact_sets() {
    let (pd, lens) = serving(STORES, "stores_edge_cases.json").await;
    for (query, want) in [
        ("down", vec!["8"]),
        ("DOWN", vec!["8"]),
        ("up,disconnected", vec!["1", "4", "5", "7", "20"]),
        ("offline", vec!["10"]),
        ("Up", vec!["1", "4", "5", "20"]),
        ("unknown", vec![]),
    ] {
        let answer = lens.get(&format!("{LIST}?state={query}")).await;
        let body = answer.ok();
        assert_eq!(store_ids(body), want, "?state={query}");
        assert_eq!(body["count"], want.len(), "?state={query}");
    }
    // None of these filters asks for tombstones: plain /stores every time.
    assert_eq!(pd.hits(STORES), 6);
    assert_eq!(pd.hits(STORES_ALL_STATES), 0);
}

#[tokio::test]
async fn tombstone_filter_asks_pd_for_every_state() {
    let pd = FakePd::start().await;
    pd.serve_json(STORES, "stores.json")
        .serve_json(STORES_ALL_STATES, "stores_state_0_1_2.json");
    let lens = Lens::single(&[pd.url()]).await;

    let answer = lens.get(&format!("{LIST}?state=tombstone")).await;
    let body = answer.ok();
    assert_eq!(store_ids(body), ["9"]);
    assert_eq!(body["count"], 1);
    let tombstone = store_with_id(body, "9");
    assert_complete_store(tombstone);
    assert_eq!(tombstone["state"], "tombstone");
    assert_eq!(tombstone["pd_state_name"], "Tombstone");
    assert_eq!(tombstone["node_state"], "removed");
    assert_eq!(tombstone["version"], "8.5.0");
    assert_eq!(tombstone["used_bytes"], mib(178.8));
    assert_eq!(tombstone["available_bytes"], tib(1.741));
    assert_eq!(tombstone["started_at"], "2025-02-10T07:21:41Z");
    assert_eq!(
        tombstone["last_heartbeat_at"],
        "2025-02-24T16:01:17.660512049Z"
    );
    // 344h39m36.660512049s
    assert_eq!(tombstone["uptime_seconds"], 1240776.660512049);
    assert_eq!(pd.hits(STORES_ALL_STATES), 1);
    assert_eq!(pd.hits(STORES), 0);

    let answer = lens.get(&format!("{LIST}?state=up,tombstone")).await;
    let body = answer.ok();
    assert_eq!(store_ids(body), ["1", "4", "5", "9"]);
    assert_eq!(store_with_id(body, "9")["node_state"], "removed");
    assert_eq!(pd.hits(STORES_ALL_STATES), 2);
    assert_eq!(pd.hits(STORES), 0);

    // Without a tombstone in the filter, or without a filter, PD's plain list is read.
    let answer = lens.get(&format!("{LIST}?state=up")).await;
    assert_eq!(store_ids(answer.ok()), ["1", "4", "5"]);
    let answer = lens.get(LIST).await;
    assert_eq!(store_ids(answer.ok()), ["1", "4", "5"]);
    assert_eq!(pd.hits(STORES), 2);
    assert_eq!(pd.hits(STORES_ALL_STATES), 2);
}

#[tokio::test]
async fn tombstone_only_fixture_reads() {
    // The same question answered by a PD holding only the tombstone.
    let (pd, lens) = serving(STORES_ALL_STATES, "stores_state_2_tombstone.json").await;
    let answer = lens.get(&format!("{LIST}?state=tombstone")).await;
    let body = answer.ok();
    assert_eq!(store_ids(body), ["9"]);
    assert_eq!(store_with_id(body, "9")["node_state"], "removed");
    assert_eq!(store_with_id(body, "9")["capacity_bytes"], tib(1.747));
    assert_eq!(pd.hits(STORES_ALL_STATES), 1);
}

#[tokio::test]
async fn bad_state_filters_are_400_without_upstream_call() {
    let (pd, lens) = serving(STORES, "stores.json").await;
    for query in ["sideways", "", "up,sideways", ",", "serving"] {
        let answer = lens.get(&format!("{LIST}?state={query}")).await;
        let problem = answer.problem(400);
        assert_eq!(problem["parameter"], "state", "?state={query}");
        assert_eq!(problem["type"], "urn:tikv-lens:problem:bad-parameter");
        assert_eq!(problem["upstream"], Value::Null);
        assert_eq!(problem["upstream_status"], Value::Null);
        assert!(
            problem["detail"].as_str().unwrap().starts_with("state: "),
            "{problem}"
        );
    }
    let answer = lens.get(&format!("{LIST}?state=sideways")).await;
    assert!(
        answer.json["detail"]
            .as_str()
            .unwrap()
            .contains("\"sideways\""),
        "{}",
        answer.json
    );
    assert_eq!(pd.total_hits(), 0);
}

#[tokio::test]
async fn empty_store_list() {
    let (pd, lens) = serving(STORES, "stores_empty.json").await;
    let answer = lens.get(LIST).await;
    let body = answer.ok();
    assert_eq!(body["count"], 0);
    assert_eq!(body["stores"], json!([]));
    assert_eq!(body["warnings"], json!([]));
    assert_eq!(pd.hits(STORES), 1);
}

async fn one_store(fixture_name: &str, id: &str) -> Value {
    let path = format!("/pd/api/v1/store/{id}");
    let (pd, lens) = serving(&path, fixture_name).await;
    let answer = lens.get(&format!("{LIST}/{id}")).await;
    let body = answer.ok().clone();
    assert_eq!(pd.hits(&path), 1);
    assert_eq!(pd.total_hits(), 1);
    assert_eq!(body["cluster"], "default");
    assert_eq!(body["warnings"], json!([]));
    assert!(body["observed_at"].is_string());
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 5, "{body}");
    assert_eq!(body["stale"], false);
    assert_complete_store(&body["store"]);
    assert_eq!(body["store"]["id"], id);
    body["store"].clone()
}

#[tokio::test]
async fn store_1() {
    let s = one_store("store_1.json", "1").await;
    assert_v85_up_store(&s, &v85_up_stores()[0]);
    assert_eq!(s["address"], "10.0.1.21:20160");
    assert_eq!(s["peer_address"], "10.0.1.21:20160");
    assert_eq!(s["git_hash"], "d0e6a1f9c83b72e5a4d9b1c07f6e5d4c3b2a1908");
    assert_eq!(s["deploy_path"], "/tidb-deploy/tikv-20160/bin");
}

#[tokio::test]
async fn store_7_disconnected() {
    let s = one_store("store_7_disconnected.json", "7").await;
    assert_eq!(s["state"], "disconnected");
    assert_eq!(s["pd_state_name"], "Disconnected");
    assert_eq!(s["node_state"], "serving");
    assert_eq!(s["capacity_bytes"], tib(1.747));
    assert_eq!(s["available_bytes"], tib(1.719));
    assert_eq!(s["used_bytes"], mib(204.2));
    assert_eq!(s["region_size_bytes"], 2 * MIB);
    assert_eq!(s["region_score"], 2.3223704028413055);
    assert_eq!(s["last_heartbeat_at"], "2025-03-10T08:14:44.689995882Z");
    assert_eq!(s["uptime_seconds"], 4484.689995882);
    assert_eq!(s["labels"], json!({"zone": "z1", "host": "tikv-24"}));
}

#[tokio::test]
async fn store_8_down_never_heartbeat() {
    let s = one_store("store_8_down_never_heartbeat.json", "8").await;
    assert_eq!(s["state"], "down");
    assert_eq!(s["node_state"], Value::Null);
    assert_eq!(s["last_heartbeat_at"], Value::Null);
    assert_eq!(s["uptime_seconds"], Value::Null);
    assert_eq!(s["started_at"], "2025-03-09T09:10:05Z");
    // "0B" from a store that never heartbeated means "no statistics": null, not zero.
    assert_eq!(s["capacity_bytes"], Value::Null);
    assert_eq!(s["available_bytes"], Value::Null);
    assert_eq!(s["used_bytes"], Value::Null);
    assert_eq!(s["slow_score"], Value::Null);
    assert_eq!(s["region_score"], 0.0);
    assert_eq!(s["labels"], json!({}));
}

#[tokio::test]
async fn store_20_tiflash() {
    let s = one_store("store_20_tiflash.json", "20").await;
    assert_eq!(s["engine"], "tiflash");
    assert_eq!(s["state"], "up");
    assert_eq!(s["version"], "v8.5.1");
    assert_eq!(s["used_bytes"], 1);
    assert_eq!(s["capacity_bytes"], tib(1.747));
    assert_eq!(s["available_bytes"], tib(1.71));
    assert_eq!(s["learner_count"], 3);
    assert_eq!(s["region_size_bytes"], 175 * MIB);
    assert_eq!(s["peer_address"], "10.0.1.31:20170");
    assert_eq!(s["status_address"], "10.0.1.31:20292");
    assert_eq!(s["started_at"], "2025-03-03T06:26:30Z");
    // 169h48m50.598224897s
    assert_eq!(s["uptime_seconds"], 611330.598224897);
}

#[tokio::test]
async fn store_9_tombstone() {
    let s = one_store("store_9_tombstone.json", "9").await;
    assert_eq!(s["state"], "tombstone");
    assert_eq!(s["pd_state_name"], "Tombstone");
    assert_eq!(s["node_state"], "removed");
    assert_eq!(s["version"], "8.5.0");
    assert_eq!(s["used_bytes"], mib(178.8));
    assert_eq!(s["last_heartbeat_at"], "2025-02-24T16:01:17.660512049Z");
    assert_eq!(s["uptime_seconds"], 1240776.660512049);
}

#[tokio::test]
async fn missing_store_is_404_in_both_pd_message_forms() {
    for body in [
        // v7.4+
        fixture("error_store_not_found.txt"),
        // v5.0–v7.3
        pd_json_string("store 42 not found"),
    ] {
        let pd = FakePd::start().await;
        pd.serve("/pd/api/v1/store/42", Canned::new(404, PD_JSON, body));
        let lens = Lens::single(&[pd.url()]).await;
        let answer = lens.get(&format!("{LIST}/42")).await;
        let problem = answer.problem(404);
        assert_eq!(problem["type"], "urn:tikv-lens:problem:not-found");
        assert_eq!(problem["upstream"], Value::Null);
        assert_eq!(problem["upstream_status"], Value::Null);
        assert_eq!(problem["parameter"], Value::Null);
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains("store 42"), "{detail}");
        assert!(detail.contains("default"), "{detail}");
        assert_eq!(pd.hits("/pd/api/v1/store/42"), 1);
    }
}

#[tokio::test]
async fn bad_store_ids_are_400_without_upstream_call() {
    let pd = FakePd::start().await;
    pd.serve_v85_cluster();
    let lens = Lens::single(&[pd.url()]).await;
    for id in ["abc", "-1", "18446744073709551616", "1.0", "0x10", "%201"] {
        let answer = lens.get(&format!("{LIST}/{id}")).await;
        let problem = answer.problem(400);
        assert_eq!(problem["parameter"], "store_id", "/stores/{id}");
        assert_eq!(problem["type"], "urn:tikv-lens:problem:bad-parameter");
        assert_eq!(problem["upstream"], Value::Null);
    }
    assert_eq!(pd.total_hits(), 0);
}

#[tokio::test]
async fn u64_max_store_id_reaches_pd() {
    let path = "/pd/api/v1/store/18446744073709551615";
    let pd = FakePd::start().await;
    pd.serve(
        path,
        Canned::new(
            404,
            PD_JSON,
            pd_json_string("[PD:core:ErrStoreNotFound]store 18446744073709551615 not found"),
        ),
    );
    let lens = Lens::single(&[pd.url()]).await;
    let answer = lens.get(&format!("{LIST}/18446744073709551615")).await;
    let problem = answer.problem(404);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("18446744073709551615"),
        "{problem}"
    );
    assert_eq!(pd.hits(path), 1);
    assert_eq!(pd.total_hits(), 1);
}

#[tokio::test]
async fn pd_400_on_a_store_path_is_a_bad_gateway() {
    let pd = FakePd::start().await;
    pd.serve(
        "/pd/api/v1/store/42",
        Canned::new(400, PD_JSON, fixture("error_store_invalid_id.json")),
    );
    let lens = Lens::single(&[pd.url()]).await;
    let answer = lens.get(&format!("{LIST}/42")).await;
    let problem = answer.problem(502);
    assert_eq!(problem["upstream"], "pd");
    assert_eq!(problem["upstream_status"], 400);
    assert_eq!(problem["type"], "urn:tikv-lens:problem:upstream-error");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("strconv.ParseUint"),
        "{problem}"
    );
}

#[tokio::test]
async fn real_v4_1_stores_with_a_down_store_in_utc_plus_8() {
    let (_pd, lens) = serving(
        STORES,
        "real_blog_pd_ctl_v4.1.0-alpha_stores_with_down_store.json",
    )
    .await;
    let answer = lens.get(LIST).await;
    let body = answer.ok();
    assert_eq!(store_ids(body), ["1", "4", "6"]);
    for s in body["stores"].as_array().unwrap() {
        assert_complete_store(s);
        // v4.1 printed no peer_address and no node_state.
        assert_eq!(s["peer_address"], Value::Null);
        assert_eq!(s["node_state"], Value::Null);
        assert_eq!(s["version"], "4.1.0-alpha");
    }

    let s1 = store_with_id(body, "1");
    assert_eq!(s1["state"], "up");
    assert_eq!(s1["started_at"], "2020-08-16T09:41:44Z");
    assert_eq!(s1["last_heartbeat_at"], "2020-08-16T09:43:24.991536254Z");
    assert_eq!(s1["uptime_seconds"], 100.991536254);
    assert_eq!(s1["capacity_bytes"], gib(39.25));
    assert_eq!(s1["capacity_bytes"], 42_144_366_592u64);
    assert_eq!(s1["available_bytes"], gib(19.98));
    assert_eq!(s1["used_bytes"], mib(31.51));
    assert_eq!(s1["slow_score"], Value::Null);

    let s4 = store_with_id(body, "4");
    assert_eq!(s4["started_at"], "2020-08-16T09:41:58Z");
    assert_eq!(s4["used_bytes"], mib(31.5));
    assert_eq!(s4["uptime_seconds"], 80.472699813);

    let s6 = store_with_id(body, "6");
    assert_eq!(s6["state"], "down");
    // PD printed 1970-01-01T08:00:00+08:00: the epoch, i.e. never.
    assert_eq!(s6["last_heartbeat_at"], Value::Null);
    assert_eq!(s6["uptime_seconds"], Value::Null);
    assert_eq!(s6["started_at"], "2020-08-16T09:43:19Z");
    // PD's "0B" for a store without statistics is unknown, not zero.
    assert_eq!(s6["capacity_bytes"], Value::Null);
    assert_eq!(s6["used_bytes"], Value::Null);
}

#[tokio::test]
async fn real_v5_0_stores_in_utc_minus_5() {
    let (_pd, lens) = serving(STORES, "real_blog_pd_ctl_v5.0.0-rc_stores.json").await;
    let answer = lens.get(LIST).await;
    let body = answer.ok();
    assert_eq!(store_ids(body), ["1", "4", "5"]);
    for s in body["stores"].as_array().unwrap() {
        assert_complete_store(s);
        assert_eq!(s["node_state"], Value::Null);
        assert_eq!(s["peer_address"], Value::Null);
        assert_eq!(s["state"], "up");
        assert_eq!(s["labels"], json!({}));
    }
    let s4 = store_with_id(body, "4");
    assert_eq!(s4["started_at"], "2021-03-04T02:53:08Z");
    assert_eq!(s4["last_heartbeat_at"], "2021-03-04T09:50:12.185271431Z");
    // 6h57m4.185271431s
    assert_eq!(s4["uptime_seconds"], 25024.185271431);
    assert_eq!(s4["capacity_bytes"], gib(49.69));
    assert_eq!(s4["available_bytes"], gib(43.49));
    assert_eq!(s4["used_bytes"], mib(33.83));
    assert_eq!(s4["region_score"], 16.371531365002888);

    let s1 = store_with_id(body, "1");
    assert_eq!(s1["started_at"], "2021-03-04T02:53:07Z");
    assert_eq!(s1["last_heartbeat_at"], "2021-03-04T09:50:10.934574688Z");
    assert_eq!(s1["leader_size_bytes"], 2 * MIB);

    let s5 = store_with_id(body, "5");
    assert_eq!(s5["capacity_bytes"], gib(46.54));
}

#[tokio::test]
async fn real_v6_1_stores_keep_large_region_scores_as_numbers() {
    let (_pd, lens) = serving(STORES, "real_blog_pd_ctl_v6.1.0_stores.json").await;
    let answer = lens.get(LIST).await;
    let body = answer.ok();
    assert_eq!(store_ids(body), ["1", "4", "5"]);
    let s1 = store_with_id(body, "1");
    assert_complete_store(s1);
    assert!(s1["region_score"].is_f64(), "{}", s1["region_score"]);
    assert_eq!(s1["region_score"], 6860013051.732055);
    assert_eq!(s1["started_at"], "2022-07-29T07:02:32Z");
    assert_eq!(s1["last_heartbeat_at"], "2022-08-20T06:58:08.453748544Z");
    // 527h55m36.453748544s
    assert_eq!(s1["uptime_seconds"], 1900536.453748544);
    assert_eq!(s1["capacity_bytes"], gib(19.56));
    assert_eq!(s1["available_bytes"], gib(15.7));
    assert_eq!(s1["used_bytes"], gib(1.011));
    assert_eq!(s1["leader_size_bytes"], 417 * MIB);
    assert_eq!(s1["region_size_bytes"], 1811 * MIB);
    assert_eq!(s1["slow_score"], 1.0);
    assert_eq!(s1["node_state"], Value::Null);
    assert_eq!(store_with_id(body, "4")["region_score"], 6861560216.947071);
    assert_eq!(store_with_id(body, "5")["used_bytes"], gib(1.031));
}

#[tokio::test]
async fn real_v8_1_operator_stores_with_tiflash() {
    let (_pd, lens) = serving(STORES, "real_tidb_operator_v8.1.0_stores.json").await;
    let answer = lens.get(LIST).await;
    let body = answer.ok();
    assert_eq!(store_ids(body), ["1", "4", "5", "20"]);
    assert_eq!(body["count"], 4);
    for s in body["stores"].as_array().unwrap() {
        assert_complete_store(s);
        assert_eq!(s["capacity_bytes"], gib(311.7));
        assert_eq!(s["available_bytes"], gib(222.1));
        assert_eq!(s["node_state"], "serving");
        assert_eq!(s["state"], "up");
    }
    let tiflash = store_with_id(body, "20");
    assert_eq!(tiflash["engine"], "tiflash");
    assert_eq!(tiflash["version"], "v8.1.0");
    assert_eq!(tiflash["used_bytes"], 1);
    assert_eq!(tiflash["started_at"], "2024-12-25T03:05:04Z");
    // 36m10.657264947s
    assert_eq!(tiflash["uptime_seconds"], 2170.657264947);

    let s4 = store_with_id(body, "4");
    assert_eq!(s4["engine"], "tikv");
    assert_eq!(s4["version"], "8.1.0");
    assert_eq!(s4["used_bytes"], mib(290.7));
    assert_eq!(s4["leader_count"], 17);
    assert_eq!(s4["leader_size_bytes"], 17 * MIB);
    assert_eq!(s4["region_score"], 127.38727094442186);
    assert_eq!(s4["last_heartbeat_at"], "2024-12-25T03:41:23.480549971Z");
    // 36m20.480549971s
    assert_eq!(s4["uptime_seconds"], 2180.480549971);
    assert_eq!(store_with_id(body, "1")["used_bytes"], mib(293.5));
}

#[tokio::test]
async fn real_v8_1_operator_store_4() {
    let s = one_store("real_tidb_operator_v8.1.0_store_4.json", "4").await;
    assert_eq!(s["state"], "up");
    assert_eq!(s["node_state"], "serving");
    assert_eq!(s["capacity_bytes"], gib(309.4));
    assert_eq!(s["available_bytes"], gib(218.8));
    assert_eq!(s["used_bytes"], mib(296.7));
    assert_eq!(s["region_count"], 5);
    assert_eq!(s["region_size_bytes"], 5 * MIB);
    assert_eq!(s["started_at"], "2024-12-25T03:05:03Z");
    assert_eq!(s["last_heartbeat_at"], "2024-12-25T08:20:32.382630989Z");
    // 5h15m29.382630989s
    assert_eq!(s["uptime_seconds"], 18929.382630989);
    assert_eq!(
        s["address"],
        "basic-tikv-5gzwgj.basic-tikv-peer.default:20160"
    );
}

const V3_ANNOTATED: &str = "real_docs_tidb_monitoring_api_stores_v3.0.0-beta_annotated.txt";

#[tokio::test]
async fn real_v3_annotated_document_verbatim_is_a_bad_gateway() {
    let (pd, lens) = serving(STORES, V3_ANNOTATED).await;
    let answer = lens.get(LIST).await;
    let problem = answer.problem(502);
    assert_eq!(problem["upstream"], "pd");
    assert_eq!(
        problem["type"],
        "urn:tikv-lens:problem:upstream-bad-response"
    );
    assert_eq!(problem["upstream_status"], Value::Null);
    assert!(
        problem["detail"].as_str().unwrap().contains(STORES),
        "{problem}"
    );
    assert_eq!(pd.hits(STORES), 1);
}

/// The published v3 document made into the JSON PD really sent: the shell line and the `#`
/// comments removed, the missing closing brace added.
fn v3_document_as_json() -> Vec<u8> {
    let text = String::from_utf8(fixture(V3_ANNOTATED)).unwrap();
    let mut json = String::new();
    for line in text.lines() {
        if line.starts_with("curl ") {
            continue;
        }
        // No string in this document contains '#'.
        let code = line.split('#').next().unwrap().trim_end();
        if !code.trim().is_empty() {
            json.push_str(code);
            json.push('\n');
        }
    }
    json.push_str("}\n");
    let parsed: Value = serde_json::from_str(&json).expect("the cleaned document is JSON");
    assert_eq!(parsed["count"], 1);
    json.into_bytes()
}

#[tokio::test]
async fn real_v3_document_cleaned_reads_go_humanize_sizes() {
    let pd = FakePd::start().await;
    pd.serve(STORES, Canned::new(200, PD_JSON, v3_document_as_json()));
    let lens = Lens::single(&[pd.url()]).await;
    let answer = lens.get(LIST).await;
    let body = answer.ok();
    assert_eq!(store_ids(body), ["1"]);
    let s = store_with_id(body, "1");
    assert_complete_store(s);
    assert_eq!(s["capacity_bytes"], 21_474_836_480u64);
    assert_eq!(s["capacity_bytes"], gib(20.0));
    assert_eq!(s["available_bytes"], 17_179_869_184u64);
    assert_eq!(s["used_bytes"], Value::Null);
    assert_eq!(s["status_address"], Value::Null);
    assert_eq!(s["peer_address"], Value::Null);
    assert_eq!(s["node_state"], Value::Null);
    assert_eq!(s["uptime_seconds"], 290.961171958);
    assert_eq!(s["started_at"], "2019-03-21T06:09:32Z");
    assert_eq!(s["last_heartbeat_at"], "2019-03-21T06:14:22.961171958Z");
    assert_eq!(s["version"], "3.0.0-beta");
    assert_eq!(s["state"], "up");
    assert_eq!(s["leader_count"], 17);
    assert_eq!(s["leader_size_bytes"], 17 * MIB);
}
