//! `/members`: PD's `/members` joined with `/health`, from the synthesized v8.5 cluster and the
//! real v8.1 operator sample, and what happens when either PD read fails.

use serde_json::{Value, json};

use crate::support::{Canned, FakePd, Lens, PD_JSON, fixture};

const MEMBERS: &str = "/pd/api/v1/members";
const HEALTH: &str = "/pd/api/v1/health";
const PATH: &str = "/api/v1/clusters/default/members";

fn members_of(body: &Value) -> &Vec<Value> {
    body["members"]
        .as_array()
        .unwrap_or_else(|| panic!("no members array: {body}"))
}

fn member_named<'a>(body: &'a Value, name: &str) -> &'a Value {
    members_of(body)
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("no member {name} in {body}"))
}

#[tokio::test]
async fn v85_members_with_health() {
    let pd = FakePd::start().await;
    pd.serve_json(MEMBERS, "members.json")
        .serve_json(HEALTH, "health.json");
    let lens = Lens::single(&[pd.url()]).await;
    let answer = lens.get(PATH).await;
    let body = answer.ok();

    assert_eq!(body["cluster"], "default");
    assert_eq!(body["cluster_id"], "7479384163853613270");
    assert_eq!(
        body["leader"],
        json!({"name": "pd-10.0.1.12-2379", "member_id": "13756439124398457317"})
    );
    assert_eq!(
        body["etcd_leader"],
        json!({"name": "pd-10.0.1.12-2379", "member_id": "13756439124398457317"})
    );
    assert_eq!(body["count"], 3);
    assert_eq!(body["warnings"], json!([]));

    let members = members_of(body);
    // PD's order (by member id) is kept.
    let ids: Vec<&str> = members
        .iter()
        .map(|m| m["member_id"].as_str().expect("member ids are strings"))
        .collect();
    assert_eq!(
        ids,
        [
            "3474484975246189105",
            "5921845201446032877",
            "13756439124398457317"
        ]
    );
    let leaders: Vec<&Value> = members.iter().filter(|m| m["is_leader"] == true).collect();
    assert_eq!(leaders.len(), 1, "{body}");
    assert_eq!(leaders[0]["name"], "pd-10.0.1.12-2379");
    assert_eq!(
        members
            .iter()
            .filter(|m| m["is_etcd_leader"] == true)
            .count(),
        1
    );
    for m in members {
        assert_eq!(m["healthy"], true, "{m}");
        assert_eq!(m["binary_version"], "v8.5.1", "{m}");
        assert_eq!(m["git_hash"], "0ba2a0e9a3a6f7c4b3e2d1c0f9e8d7c6b5a49382");
        assert_eq!(m["deploy_path"], "/tidb-deploy/pd-2379/bin");
        assert_eq!(m["leader_priority"], 0);
        assert_eq!(m["is_leader"], m["name"] == "pd-10.0.1.12-2379");
    }
    let m11 = member_named(body, "pd-10.0.1.11-2379");
    assert_eq!(m11["client_urls"], json!(["http://10.0.1.11:2379"]));
    assert_eq!(m11["peer_urls"], json!(["http://10.0.1.11:2380"]));
    assert_eq!(pd.hits(MEMBERS), 1);
    assert_eq!(pd.hits(HEALTH), 1);
}

#[tokio::test]
async fn real_v81_members_keep_ids_above_2_pow_63_exact() {
    let pd = FakePd::start().await;
    pd.serve_json(MEMBERS, "real_tidb_operator_v8.1.0_members.json")
        .serve_json(HEALTH, "real_tidb_operator_v8.1.0_health.json");
    let lens = Lens::single(&[pd.url()]).await;
    let answer = lens.get(PATH).await;
    let body = answer.ok();

    assert_eq!(body["cluster_id"], "7452180154224557728");
    assert_eq!(
        body["leader"],
        json!({"name": "basic-53pe89", "member_id": "2548954049902922308"})
    );
    assert_eq!(body["count"], 3);
    assert_eq!(body["warnings"], json!([]));
    let big = member_named(body, "basic-0qt9e9");
    // Above 2^63: an i64 or f64 anywhere on the way would change it.
    assert_eq!(big["member_id"], "12818309996638325969");
    assert_eq!(big["is_leader"], false);
    assert_eq!(big["healthy"], true);
    assert_eq!(
        member_named(body, "basic-7axwci")["member_id"],
        "1428427862495950874"
    );
    let leaders: Vec<&Value> = members_of(body)
        .iter()
        .filter(|m| m["is_leader"] == true)
        .collect();
    assert_eq!(leaders.len(), 1);
    assert_eq!(leaders[0]["name"], "basic-53pe89");
    for m in members_of(body) {
        assert_eq!(m["healthy"], true, "{m}");
        assert_eq!(m["binary_version"], "v8.1.0", "{m}");
        assert_eq!(m["deploy_path"], "/", "{m}");
    }
    assert_eq!(
        big["client_urls"],
        json!(["http://basic-pd-0qt9e9.basic-pd-peer.default:2379"])
    );
}

/// Members answered, health did not: every `healthy` is null and one PD warning says why.
async fn assert_members_without_health(pd: &FakePd, expect_in_warning: &str) {
    let lens = Lens::single(&[pd.url()]).await;
    let answer = lens.get(PATH).await;
    let body = answer.ok();
    assert_eq!(body["cluster_id"], "7479384163853613270");
    assert_eq!(body["count"], 3);
    assert_eq!(body["leader"]["name"], "pd-10.0.1.12-2379");
    for m in members_of(body) {
        assert_eq!(m["healthy"], Value::Null, "{m}");
        assert!(m["member_id"].is_string());
    }
    let warnings = body["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{body}");
    assert_eq!(warnings[0]["source"], "pd");
    let message = warnings[0]["message"].as_str().unwrap();
    assert!(message.contains("health"), "{message}");
    assert!(message.contains(expect_in_warning), "{message}");
}

#[tokio::test]
async fn health_failing_with_500_leaves_healthy_null() {
    let pd = FakePd::start().await;
    pd.serve_json(MEMBERS, "members.json").serve(
        HEALTH,
        Canned::new(500, PD_JSON, fixture("error_not_bootstrapped.txt")),
    );
    assert_members_without_health(&pd, "not bootstrapped").await;
    assert_eq!(pd.hits(HEALTH), 1);
}

#[tokio::test]
async fn health_absent_leaves_healthy_null() {
    let pd = FakePd::start().await;
    // No /health route: PD's router answers 404 "404 page not found".
    pd.serve_json(MEMBERS, "members.json");
    assert_members_without_health(&pd, "404").await;
}

#[tokio::test]
async fn members_failing_is_a_bad_gateway_with_pds_message() {
    let pd = FakePd::start().await;
    pd.serve(
        MEMBERS,
        Canned::new(500, PD_JSON, fixture("error_not_bootstrapped.txt")),
    )
    .serve_json(HEALTH, "health.json");
    let lens = Lens::single(&[pd.url()]).await;
    let answer = lens.get(PATH).await;
    let problem = answer.problem(502);
    assert_eq!(problem["upstream"], "pd");
    assert_eq!(problem["upstream_status"], 500);
    assert_eq!(problem["type"], "urn:tikv-lens:problem:upstream-error");
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains(
            "[PD:cluster:ErrNotBootstrapped]TiKV cluster not bootstrapped, please start TiKV first"
        ),
        "{detail}"
    );
    // PD's JSON-string quoting is removed from the message.
    assert!(!detail.contains("\"[PD:"), "{detail}");
    assert!(detail.contains(MEMBERS), "{detail}");
    assert_eq!(pd.hits(MEMBERS), 1);
}
