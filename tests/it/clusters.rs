//! `/api/v1/clusters` and `/api/v1/clusters/{cluster}`: the overview from the v8.5 fixtures,
//! its partial answers, and the multi-cluster list.

use serde_json::{Value, json};

use crate::support::{
    Canned, FakePd, Lens, PD_JSON, PD_TEXT, cluster, fixture, fixture_json, gib, mib, refused_url,
    test_limits, tib,
};

const OVERVIEW: &str = "/api/v1/clusters/default";
const STORES_ALL_STATES: &str = "/pd/api/v1/stores?state=0&state=1&state=2";

async fn v85() -> (FakePd, Lens) {
    let pd = FakePd::start().await;
    pd.serve_v85_cluster();
    let lens = Lens::single(&[pd.url()]).await;
    (pd, lens)
}

/// `stores_state_0_1_2.json` holds stores 4, 9, 1 and 5; 9 is the tombstone, so the totals are
/// over 1, 4 and 5.
fn v85_storage() -> Value {
    json!({
        "capacity_bytes": tib(1.747) * 3,
        "used_bytes": mib(621.7) + mib(618.8) + mib(670.1),
        "available_bytes": tib(1.672) + tib(1.673) + tib(1.672),
        "store_count": 3,
    })
}

fn v85_store_counts() -> Value {
    json!({
        "total": 4,
        "up": 3,
        "offline": 0,
        "tombstone": 1,
        "disconnected": 0,
        "down": 0,
        "unknown": 0,
        "tiflash": 0,
    })
}

fn v85_leader() -> Value {
    json!({"name": "pd-10.0.1.12-2379", "member_id": "13756439124398457317"})
}

#[tokio::test]
async fn overview_of_the_v85_cluster() {
    let (pd, lens) = v85().await;
    let answer = lens.get(OVERVIEW).await;
    let body = answer.ok();
    assert_eq!(body["name"], "default");
    assert_eq!(body["cluster_id"], "7479384163853613270");
    assert_eq!(
        body["pd"],
        json!({
            "version": "v8.5.1",
            "leader": v85_leader(),
            "member_count": 3,
            "healthy_member_count": 3,
        })
    );
    assert_eq!(body["stores"], v85_store_counts());
    assert_eq!(body["storage"], v85_storage());
    // Spelled out once: 3 × 1.747 TiB.
    assert_eq!(body["storage"]["capacity_bytes"], 5_762_540_441_175u64);
    assert_eq!(body["region_count"], 10);
    assert_eq!(body["warnings"], json!([]));
    assert!(body["observed_at"].as_str().unwrap().ends_with('Z'));
    // The totals include the tombstone in the counts, so PD's every-state list was read.
    assert_eq!(pd.hits(STORES_ALL_STATES), 1);
    assert_eq!(pd.hits("/pd/api/v1/stores"), 0);
    for path in [
        "/pd/api/v1/members",
        "/pd/api/v1/health",
        "/pd/api/v1/status",
        "/pd/api/v1/regions/count",
    ] {
        assert_eq!(pd.hits(path), 1, "{path}");
    }
}

#[tokio::test]
async fn overview_counts_every_store_state() {
    let pd = FakePd::start().await;
    pd.serve_v85_cluster()
        .serve_json(STORES_ALL_STATES, "stores_edge_cases.json");
    let lens = Lens::single(&[pd.url()]).await;
    let answer = lens.get(OVERVIEW).await;
    let body = answer.ok();
    assert_eq!(
        body["stores"],
        json!({
            "total": 7,
            "up": 4,
            "offline": 1,
            "tombstone": 0,
            "disconnected": 1,
            "down": 1,
            "unknown": 0,
            "tiflash": 1,
        })
    );
    // Store 8 never heartbeated: its sizes are unknown and add nothing. The others are
    // 10 (offline), 1, 20 (TiFlash), 4, 7 (disconnected) and 5.
    assert_eq!(body["storage"]["capacity_bytes"], tib(1.747) * 6);
    assert_eq!(
        body["storage"]["available_bytes"],
        tib(1.684) + tib(1.672) + tib(1.71) + tib(1.673) + tib(1.719) + tib(1.672)
    );
    assert_eq!(
        body["storage"]["used_bytes"],
        gib(8.497) + mib(621.7) + 1 + mib(618.8) + mib(204.2) + mib(670.1)
    );
    assert_eq!(body["warnings"], json!([]));
}

/// The warnings of an overview, asserting there is exactly one from PD mentioning `what`.
fn single_pd_warning(body: &Value, what: &str) {
    let warnings = body["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{body}");
    assert_eq!(warnings[0]["source"], "pd");
    let message = warnings[0]["message"].as_str().unwrap();
    assert!(message.contains(what), "{message}");
}

#[tokio::test]
async fn overview_without_region_count() {
    let (pd, lens) = v85().await;
    pd.serve(
        "/pd/api/v1/regions/count",
        Canned::new(500, PD_JSON, fixture("error_not_bootstrapped.txt")),
    );
    let answer = lens.get(OVERVIEW).await;
    let body = answer.ok();
    assert_eq!(body["region_count"], Value::Null);
    single_pd_warning(body, "region count");
    single_pd_warning(body, "not bootstrapped");
    // The rest is intact.
    assert_eq!(body["cluster_id"], "7479384163853613270");
    assert_eq!(body["pd"]["version"], "v8.5.1");
    assert_eq!(body["pd"]["leader"], v85_leader());
    assert_eq!(body["pd"]["member_count"], 3);
    assert_eq!(body["pd"]["healthy_member_count"], 3);
    assert_eq!(body["stores"], v85_store_counts());
    assert_eq!(body["storage"], v85_storage());
}

#[tokio::test]
async fn overview_without_pd_version() {
    let (pd, lens) = v85().await;
    pd.serve(
        "/pd/api/v1/status",
        Canned::new(404, PD_TEXT, fixture("error_route_not_found.txt")),
    );
    let answer = lens.get(OVERVIEW).await;
    let body = answer.ok();
    assert_eq!(body["pd"]["version"], Value::Null);
    single_pd_warning(body, "version");
    single_pd_warning(body, "404");
    assert_eq!(body["pd"]["leader"], v85_leader());
    assert_eq!(body["cluster_id"], "7479384163853613270");
    assert_eq!(body["stores"], v85_store_counts());
    assert_eq!(body["storage"], v85_storage());
    assert_eq!(body["region_count"], 10);
}

#[tokio::test]
async fn overview_with_every_pd_endpoint_down_is_503() {
    let lens = Lens::single(&[refused_url().await]).await;
    let answer = lens.get(OVERVIEW).await;
    let problem = answer.problem(503);
    assert_eq!(problem["upstream"], "pd");
    assert_eq!(problem["upstream_status"], Value::Null);
    assert_eq!(
        problem["type"],
        "urn:tikv-lens:problem:upstream-unavailable"
    );
}

#[tokio::test]
async fn cluster_list_reports_each_cluster() {
    let east = FakePd::start().await;
    east.serve_v85_cluster();
    let west_url = refused_url().await;
    let lens = Lens::start(
        vec![
            cluster("east", &[east.url()]),
            cluster("west", std::slice::from_ref(&west_url)),
        ],
        test_limits(),
    )
    .await;
    let answer = lens.get("/api/v1/clusters").await;
    let body = answer.ok();
    let clusters = body["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 2);

    let e = &clusters[0];
    assert_eq!(e["name"], "east");
    assert_eq!(e["health"], "healthy");
    assert_eq!(e["summary"], "3 of 3 PD members healthy");
    assert_eq!(e["pd_healthy_members"], 3);
    assert_eq!(e["pd_members"], 3);
    assert_eq!(e["prometheus_configured"], false);
    let endpoints = e["pd_endpoints"].as_array().unwrap();
    assert_eq!(endpoints.len(), 1);
    assert!(
        endpoints[0].as_str().unwrap().starts_with(&east.url()),
        "{endpoints:?}"
    );

    let w = &clusters[1];
    assert_eq!(w["name"], "west");
    assert_eq!(w["health"], "unreachable");
    assert_eq!(w["pd_healthy_members"], Value::Null);
    assert_eq!(w["pd_members"], Value::Null);
    assert!(
        w["summary"].as_str().unwrap().contains("unreachable"),
        "{w}"
    );
    assert!(body["observed_at"].is_string());
    assert_eq!(east.hits("/pd/api/v1/health"), 1);
}

/// The v8.5 health answer with the second member unhealthy.
fn health_with_one_unhealthy() -> Vec<u8> {
    let mut health = fixture_json("health.json");
    health[1]["health"] = json!(false);
    let mut body = serde_json::to_vec_pretty(&health).unwrap();
    body.push(b'\n');
    body
}

#[tokio::test]
async fn cluster_with_an_unhealthy_member_is_degraded() {
    let pd = FakePd::start().await;
    pd.serve_v85_cluster().serve(
        "/pd/api/v1/health",
        Canned::new(200, PD_JSON, health_with_one_unhealthy()),
    );
    let lens = Lens::single(&[pd.url()]).await;

    let answer = lens.get("/api/v1/clusters").await;
    let c = &answer.ok()["clusters"][0];
    assert_eq!(c["name"], "default");
    assert_eq!(c["health"], "degraded");
    assert_eq!(c["summary"], "2 of 3 PD members healthy");
    assert_eq!(c["pd_healthy_members"], 2);
    assert_eq!(c["pd_members"], 3);

    let answer = lens.get(OVERVIEW).await;
    let body = answer.ok();
    assert_eq!(body["pd"]["healthy_member_count"], 2);
    assert_eq!(body["pd"]["member_count"], 3);

    let answer = lens.get("/api/v1/clusters/default/members").await;
    let members = answer.ok()["members"].as_array().unwrap().clone();
    let unhealthy: Vec<&Value> = members.iter().filter(|m| m["healthy"] == false).collect();
    assert_eq!(unhealthy.len(), 1);
    assert_eq!(unhealthy[0]["name"], "pd-10.0.1.13-2379");
}

#[tokio::test]
async fn unknown_cluster_is_404() {
    let (pd, lens) = v85().await;
    for path in [
        "/api/v1/clusters/nope",
        "/api/v1/clusters/nope/stores",
        "/api/v1/clusters/nope/stores/1",
        "/api/v1/clusters/nope/members",
    ] {
        let answer = lens.get(path).await;
        let problem = answer.problem(404);
        assert_eq!(
            problem["type"], "urn:tikv-lens:problem:unknown-cluster",
            "{path}"
        );
        assert_eq!(problem["upstream"], Value::Null, "{path}");
        assert!(
            problem["detail"].as_str().unwrap().contains("\"nope\""),
            "{problem}"
        );
    }
    assert_eq!(pd.total_hits(), 0);
}
