//! `/healthz`, `/readyz`, unknown routes and methods other than GET and HEAD.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Canned, FakePd, Lens, PD_JSON, fixture, refused_url};

const HEALTH: &str = "/pd/api/v1/health";

#[tokio::test]
async fn healthz_reads_no_upstream() {
    let pd = FakePd::start().await;
    let lens = Lens::single(&[pd.url()]).await;
    let answer = lens.get("/healthz").await;
    let body = answer.ok();
    assert_eq!(body["status"], "ok");
    assert!(body["version"].is_string());
    assert_eq!(pd.total_hits(), 0);
}

#[tokio::test]
async fn readyz_is_503_while_the_only_pd_refuses() {
    let lens = Lens::single(&[refused_url().await]).await;
    let answer = lens.get("/readyz").await;
    let problem = answer.problem(503);
    assert_eq!(problem["type"], "urn:tikv-lens:problem:not-ready");
    assert_eq!(problem["upstream"], "pd");
    assert!(
        problem["detail"].as_str().unwrap().contains("\"default\""),
        "{problem}"
    );
}

#[tokio::test]
async fn readyz_is_200_once_pd_answers_and_stays_ready() {
    let pd = FakePd::start().await;
    pd.serve_json(HEALTH, "health.json");
    let lens = Lens::single(&[pd.url()]).await;
    let answer = lens.get("/readyz").await;
    assert_eq!(
        *answer.ok(),
        json!({"ready": true, "clusters": [{"name": "default", "ready": true}]})
    );
    assert_eq!(pd.hits(HEALTH), 1);

    // Ready is latched: a later PD failure shows in API answers, not in /readyz.
    pd.serve(
        HEALTH,
        Canned::new(500, PD_JSON, fixture("error_not_bootstrapped.txt")),
    );
    let answer = lens.get("/readyz").await;
    assert_eq!(answer.ok()["ready"], true);
    assert_eq!(pd.hits(HEALTH), 1, "a ready cluster is not asked again");
}

#[tokio::test]
async fn readyz_turns_ready_when_pd_starts_answering() {
    let pd = FakePd::start().await;
    pd.serve(
        HEALTH,
        Canned::new(500, PD_JSON, fixture("error_not_bootstrapped.txt")),
    );
    let lens = Lens::single(&[pd.url()]).await;
    let answer = lens.get("/readyz").await;
    let problem = answer.problem(503);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("not bootstrapped"),
        "{problem}"
    );

    pd.serve_json(HEALTH, "health.json");
    let answer = lens.get("/readyz").await;
    assert_eq!(answer.ok()["ready"], true);
    assert_eq!(pd.hits(HEALTH), 2);
}

#[tokio::test]
async fn unknown_route_is_a_404_problem() {
    let pd = FakePd::start().await;
    let lens = Lens::single(&[pd.url()]).await;
    for path in ["/api/v1/nope", "/api/v2/clusters", "/nope"] {
        let answer = lens.get(path).await;
        let problem = answer.problem(404);
        assert_eq!(problem["type"], "urn:tikv-lens:problem:no-such-route");
        assert_eq!(problem["upstream"], Value::Null);
        assert!(
            problem["detail"].as_str().unwrap().contains(path),
            "{problem}"
        );
    }
    assert_eq!(pd.total_hits(), 0);
}

#[tokio::test]
async fn writes_are_405_with_allow() {
    let pd = FakePd::start().await;
    pd.serve_v85_cluster();
    let lens = Lens::single(&[pd.url()]).await;
    for method in [Method::POST, Method::PUT, Method::DELETE, Method::PATCH] {
        let answer = lens
            .request(method.clone(), "/api/v1/clusters/default/stores")
            .await;
        let problem = answer.problem(405);
        assert_eq!(
            problem["type"], "urn:tikv-lens:problem:method-not-allowed",
            "{method}"
        );
        let allow: Vec<&str> = answer
            .headers
            .get_all(reqwest::header::ALLOW)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(allow, ["GET, HEAD"], "{method}");
    }
    // Nothing was forwarded to PD.
    assert_eq!(pd.total_hits(), 0);
}

#[tokio::test]
async fn head_healthz_has_no_body() {
    let pd = FakePd::start().await;
    let lens = Lens::single(&[pd.url()]).await;
    let answer = lens.request(Method::HEAD, "/healthz").await;
    assert_eq!(answer.status, 200);
    assert!(
        answer.content_type.starts_with("application/json"),
        "{}",
        answer.content_type
    );
    // `Answer.json` is `null` only when the body was empty.
    assert_eq!(answer.json, Value::Null);
}
