//! PD failures through `/stores`: PD's own error bodies, unusable bodies, failover between PD
//! endpoints, deadlines and the body cap. None of them may become a 500.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{
    Canned, FakePd, Lens, PD_JSON, PD_TEXT, cluster, fixture, fixture_json, refused_url, store_ids,
    test_limits,
};
use tikv_lens::upstream::UpstreamLimits;

const STORES: &str = "/pd/api/v1/stores";
const LIST: &str = "/api/v1/clusters/default/stores";

/// tikv-lens in front of one PD that answers `/stores` with `canned`.
async fn stores_answering(canned: Canned) -> (FakePd, Lens) {
    let pd = FakePd::start().await;
    pd.serve(STORES, canned);
    let lens = Lens::single(&[pd.url()]).await;
    (pd, lens)
}

/// PD's message as tikv-lens should quote it: a JSON-string body unquoted, anything else as
/// text, trimmed.
fn pd_message(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body).trim().to_owned();
    serde_json::from_str::<String>(&text).unwrap_or(text)
}

fn detail(problem: &Value) -> &str {
    problem["detail"].as_str().unwrap()
}

#[tokio::test]
async fn not_bootstrapped_is_a_bad_gateway() {
    let (pd, lens) = stores_answering(Canned::new(
        500,
        PD_JSON,
        fixture("error_not_bootstrapped.txt"),
    ))
    .await;
    let answer = lens.get(LIST).await;
    let problem = answer.problem(502);
    assert_eq!(problem["upstream"], "pd");
    assert_eq!(problem["upstream_status"], 500);
    assert_eq!(problem["type"], "urn:tikv-lens:problem:upstream-error");
    assert!(detail(problem).contains("not bootstrapped"), "{problem}");
    assert!(detail(problem).contains(STORES), "{problem}");
    assert_eq!(pd.hits(STORES), 1);
}

#[tokio::test]
async fn no_leader_is_503() {
    let (pd, lens) = stores_answering(Canned::new(
        503,
        PD_TEXT,
        fixture("error_redirect_no_leader.txt"),
    ))
    .await;
    let answer = lens.get(LIST).await;
    let problem = answer.problem(503);
    assert_eq!(problem["upstream"], "pd");
    assert_eq!(problem["upstream_status"], 503);
    assert_eq!(
        problem["type"],
        "urn:tikv-lens:problem:upstream-unavailable"
    );
    assert!(
        detail(problem).contains("[PD:apiutil:ErrRedirectNoLeader]redirect finds no leader"),
        "{problem}"
    );
    assert_eq!(pd.hits(STORES), 1);
}

#[tokio::test]
async fn rate_limited_is_503_and_not_retried() {
    let limited = FakePd::start().await;
    limited.serve(
        STORES,
        Canned::new(429, PD_TEXT, fixture("error_rate_limited.txt")),
    );
    let other = FakePd::start().await;
    other.serve_json(STORES, "stores.json");
    let lens = Lens::single(&[limited.url(), other.url()]).await;
    let answer = lens.get(LIST).await;
    let problem = answer.problem(503);
    assert_eq!(problem["upstream"], "pd");
    assert_eq!(problem["upstream_status"], 429);
    assert_eq!(
        problem["type"],
        "urn:tikv-lens:problem:upstream-unavailable"
    );
    assert!(detail(problem).contains("Too Many Requests"), "{problem}");
    assert_eq!(limited.hits(STORES), 1);
    // A 4xx is an answer, not a reason to load another PD member.
    assert_eq!(other.total_hits(), 0);
}

#[tokio::test]
async fn redirect_to_not_leader_is_a_bad_gateway() {
    let (_pd, lens) = stores_answering(Canned::new(
        500,
        PD_TEXT,
        fixture("error_redirect_to_not_leader.txt"),
    ))
    .await;
    let answer = lens.get(LIST).await;
    let problem = answer.problem(502);
    assert_eq!(problem["upstream"], "pd");
    assert_eq!(problem["upstream_status"], 500);
    assert!(
        detail(problem).contains("redirect to not leader"),
        "{problem}"
    );
}

#[tokio::test]
async fn route_not_found_on_a_list_is_a_bad_gateway_not_a_404() {
    let (_pd, lens) = stores_answering(Canned::new(
        404,
        PD_TEXT,
        fixture("error_route_not_found.txt"),
    ))
    .await;
    let answer = lens.get(LIST).await;
    let problem = answer.problem(502);
    assert_eq!(problem["upstream"], "pd");
    assert_eq!(problem["upstream_status"], 404);
    assert_eq!(problem["type"], "urn:tikv-lens:problem:upstream-error");
    assert!(detail(problem).contains("404 page not found"), "{problem}");
}

/// PD's router answers an unknown path (a wrong proxy prefix, a PD without the route) with
/// gorilla/mux's text/plain `404 page not found`. On a store path that is not PD saying "no such
/// store" (that is the JSON string `"[PD:core:ErrStoreNotFound]store 1 not found"`), so it must
/// not become a 404 claiming the store does not exist.
#[tokio::test]
async fn route_not_found_on_a_store_path_is_not_a_missing_store() {
    let pd = FakePd::start().await;
    pd.serve(
        "/pd/api/v1/store/1",
        Canned::new(404, PD_TEXT, fixture("error_route_not_found.txt")),
    );
    let lens = Lens::single(&[pd.url()]).await;
    let answer = lens.get(&format!("{LIST}/1")).await;
    let problem = answer.problem(502);
    assert_eq!(problem["upstream"], "pd");
    assert_eq!(problem["upstream_status"], 404);
    assert_eq!(problem["type"], "urn:tikv-lens:problem:upstream-error");
    assert!(detail(problem).contains("404 page not found"), "{problem}");
}

/// Every other PD error fixture, with the status and content type PD sends it with, answered
/// on the path tikv-lens reads: the problem keeps PD's status and message, and is never a 500.
#[tokio::test]
async fn every_pd_error_body_keeps_pds_status_and_message() {
    let cases: &[(&str, u16, &'static str)] = &[
        ("error_not_bootstrapped.txt", 500, PD_JSON),
        ("error_stores_bad_state_param.txt", 500, PD_JSON),
        ("error_stores_unknown_state.txt", 500, PD_JSON),
        ("error_stores_check_unknown_state.txt", 400, PD_JSON),
        ("error_store_invalid_id.json", 400, PD_JSON),
        ("error_store_not_found.txt", 404, PD_JSON),
        ("error_region_id_parse.txt", 400, PD_JSON),
        ("error_region_invalid_id_v9.json", 400, PD_JSON),
        ("error_region_key_not_found_v9.txt", 404, PD_JSON),
        ("error_region_not_found_v9.txt", 404, PD_JSON),
        ("error_regions_key_bad_hex.txt", 400, PD_JSON),
        ("error_regions_key_bad_limit.txt", 400, PD_JSON),
        ("error_redirect_to_not_leader.txt", 500, PD_TEXT),
        ("error_route_not_found.txt", 404, PD_TEXT),
        ("error_redirect_no_leader.txt", 503, PD_TEXT),
        ("error_rate_limited.txt", 429, PD_TEXT),
    ];
    for &(name, status, content_type) in cases {
        let body = fixture(name);
        let (_pd, lens) = stores_answering(Canned::new(status, content_type, body.clone())).await;
        let answer = lens.get(LIST).await;
        let ours = if matches!(status, 503 | 429) {
            503
        } else {
            502
        };
        let problem = answer.problem(ours);
        assert_eq!(problem["upstream"], "pd", "{name}");
        assert_eq!(problem["upstream_status"], status, "{name}");
        let message = pd_message(&body);
        assert!(
            detail(problem).contains(&message),
            "{name}: {message:?} not in {problem}"
        );
    }
}

#[tokio::test]
async fn tombstone_query_errors_from_pd_are_bad_gateways() {
    // What PD answers when the state query is wrong: the integer form is what tikv-lens sends,
    // and a 500 there is PD's answer, passed on.
    let pd = FakePd::start().await;
    pd.serve(
        "/pd/api/v1/stores?state=0&state=1&state=2",
        Canned::new(500, PD_JSON, fixture("error_stores_bad_state_param.txt")),
    );
    let lens = Lens::single(&[pd.url()]).await;
    let answer = lens.get(&format!("{LIST}?state=tombstone")).await;
    let problem = answer.problem(502);
    assert_eq!(problem["upstream_status"], 500);
    assert!(
        detail(problem).contains(r#"strconv.Atoi: parsing "up": invalid syntax"#),
        "{problem}"
    );
}

/// Asserts the 502 of a body PD sent with 200 that cannot be used.
fn assert_bad_response(answer: &crate::support::Answer) -> &Value {
    let problem = answer.problem(502);
    assert_eq!(problem["upstream"], "pd");
    assert_eq!(problem["upstream_status"], Value::Null);
    assert_eq!(
        problem["type"],
        "urn:tikv-lens:problem:upstream-bad-response"
    );
    assert!(detail(problem).contains(STORES), "{problem}");
    problem
}

#[tokio::test]
async fn truncated_json_is_a_bad_gateway() {
    let full = fixture("stores.json");
    let half = full[..full.len() / 2].to_vec();
    let (_pd, lens) = stores_answering(Canned::new(200, PD_JSON, half)).await;
    let answer = lens.get(LIST).await;
    assert_bad_response(&answer);
}

#[tokio::test]
async fn html_error_page_with_200_is_a_bad_gateway() {
    let html = "<html><head><title>502 Bad Gateway</title></head>\n<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n";
    let (_pd, lens) = stores_answering(Canned::new(200, "text/html; charset=utf-8", html)).await;
    let answer = lens.get(LIST).await;
    assert_bad_response(&answer);
}

#[tokio::test]
async fn wrong_types_name_the_field() {
    let (_pd, lens) = stores_answering(Canned::new(
        200,
        PD_JSON,
        r#"{"stores":[{"store":{"id":"one"}}]}"#,
    ))
    .await;
    let answer = lens.get(LIST).await;
    let problem = assert_bad_response(&answer);
    assert!(detail(problem).contains("stores[0].store.id"), "{problem}");
}

#[tokio::test]
async fn invalid_utf8_is_a_bad_gateway() {
    for body in [
        b"\xff\xfe\xfd".to_vec(),
        b"{\"count\":1,\"stores\":[{\"store\":{\"id\":1,\"address\":\"\xc3\x28:20160\",\"state_name\":\"Up\"},\"status\":{}}]}".to_vec(),
    ] {
        let (_pd, lens) = stores_answering(Canned::new(200, PD_JSON, body)).await;
        let answer = lens.get(LIST).await;
        assert_bad_response(&answer);
    }
}

#[tokio::test]
async fn invalid_size_names_the_field() {
    let mut stores = fixture_json("stores.json");
    stores["stores"][0]["status"]["capacity"] = Value::from("lots");
    let (_pd, lens) = stores_answering(Canned::new(
        200,
        PD_JSON,
        serde_json::to_vec_pretty(&stores).unwrap(),
    ))
    .await;
    let answer = lens.get(LIST).await;
    let problem = assert_bad_response(&answer);
    assert!(
        detail(problem).contains("stores[0].status.capacity"),
        "{problem}"
    );
    assert!(detail(problem).contains("lots"), "{problem}");
}

#[tokio::test]
async fn invalid_size_in_one_store_names_the_field() {
    let mut store = fixture_json("store_1.json");
    store["status"]["used_size"] = Value::from("1.5 lots");
    let pd = FakePd::start().await;
    pd.serve(
        "/pd/api/v1/store/1",
        Canned::new(200, PD_JSON, serde_json::to_vec_pretty(&store).unwrap()),
    );
    let lens = Lens::single(&[pd.url()]).await;
    let answer = lens.get(&format!("{LIST}/1")).await;
    let problem = answer.problem(502);
    assert_eq!(problem["upstream"], "pd");
    assert_eq!(
        problem["type"],
        "urn:tikv-lens:problem:upstream-bad-response"
    );
    assert!(detail(problem).contains("status.used_size"), "{problem}");
    assert!(detail(problem).contains("/pd/api/v1/store/1"), "{problem}");
}

#[tokio::test]
async fn failover_skips_a_refused_and_a_leaderless_endpoint() {
    let down = refused_url().await;
    let leaderless = FakePd::start().await;
    leaderless.serve(
        STORES,
        Canned::new(503, PD_TEXT, fixture("error_redirect_no_leader.txt")),
    );
    let healthy = FakePd::start().await;
    healthy.serve_json(STORES, "stores.json");
    let lens = Lens::single(&[down, leaderless.url(), healthy.url()]).await;

    let answer = lens.get(LIST).await;
    assert_eq!(store_ids(answer.ok()), ["1", "4", "5"]);
    assert_eq!(leaderless.hits(STORES), 1);
    assert_eq!(healthy.hits(STORES), 1);

    // The next read starts at the endpoint that answered last.
    let answer = lens.get(LIST).await;
    assert_eq!(store_ids(answer.ok()), ["1", "4", "5"]);
    assert_eq!(healthy.hits(STORES), 2);
    assert_eq!(leaderless.hits(STORES), 1);
}

#[tokio::test]
async fn a_404_is_an_answer_and_not_retried() {
    let first = FakePd::start().await;
    first.serve(
        "/pd/api/v1/store/42",
        Canned::new(404, PD_JSON, fixture("error_store_not_found.txt")),
    );
    let second = FakePd::start().await;
    second.serve_json("/pd/api/v1/store/42", "store_1.json");
    let lens = Lens::single(&[first.url(), second.url()]).await;
    let answer = lens.get(&format!("{LIST}/42")).await;
    let problem = answer.problem(404);
    assert_eq!(problem["type"], "urn:tikv-lens:problem:not-found");
    assert_eq!(first.hits("/pd/api/v1/store/42"), 1);
    assert_eq!(second.total_hits(), 0);
}

#[tokio::test]
async fn a_slow_endpoint_is_abandoned_for_the_next() {
    let slow = FakePd::start().await;
    slow.serve(
        STORES,
        Canned::json("stores.json").delayed(Duration::from_secs(2)),
    );
    let fast = FakePd::start().await;
    // A different body, so the answer shows which endpoint gave it.
    fast.serve_json(STORES, "stores_edge_cases.json");
    let lens = Lens::single(&[slow.url(), fast.url()]).await;

    let started = Instant::now();
    let answer = lens.get(LIST).await;
    let elapsed = started.elapsed();
    let body = answer.ok();
    assert_eq!(body["count"], 7, "answered by the second endpoint");
    assert_eq!(slow.hits(STORES), 1);
    assert_eq!(fast.hits(STORES), 1);
    // The attempt deadline is 700 ms; the slow endpoint would take 2 s.
    assert!(elapsed < Duration::from_millis(2500), "{elapsed:?}");
}

#[tokio::test]
async fn every_endpoint_slow_is_504() {
    let a = FakePd::start().await;
    a.serve(
        STORES,
        Canned::json("stores.json").delayed(Duration::from_secs(10)),
    );
    let b = FakePd::start().await;
    b.serve(
        STORES,
        Canned::json("stores.json").delayed(Duration::from_secs(10)),
    );
    let lens = Lens::single(&[a.url(), b.url()]).await;
    let started = Instant::now();
    let answer = lens.get(LIST).await;
    let elapsed = started.elapsed();
    let problem = answer.problem(504);
    assert_eq!(problem["upstream"], "pd");
    assert_eq!(problem["upstream_status"], Value::Null);
    assert_eq!(problem["type"], "urn:tikv-lens:problem:upstream-timeout");
    assert_eq!(a.hits(STORES), 1);
    assert_eq!(b.hits(STORES), 1);
    // Bounded by the total PD deadline (3 s), far below the endpoints' 10 s.
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[tokio::test]
async fn a_body_over_the_cap_is_a_bad_gateway() {
    assert!(fixture("stores.json").len() > 1024);
    let pd = FakePd::start().await;
    pd.serve_json(STORES, "stores.json");
    let lens = Lens::start(
        vec![cluster("default", &[pd.url()])],
        UpstreamLimits {
            max_body_bytes: 1024,
            ..test_limits()
        },
    )
    .await;
    let answer = lens.get(LIST).await;
    let problem = answer.problem(502);
    assert_eq!(problem["upstream"], "pd");
    assert_eq!(problem["type"], "urn:tikv-lens:problem:upstream-too-large");
    assert!(detail(problem).contains("1024"), "{problem}");
    // A small answer still fits under the same cap.
    pd.serve_json(STORES, "stores_empty.json");
    let answer = lens.get(LIST).await;
    assert_eq!(answer.ok()["count"], 0);
}

#[tokio::test]
async fn a_streamed_body_over_the_cap_is_a_bad_gateway() {
    // Without Content-Length the cap has to stop the reading itself.
    let pd = FakePd::start().await;
    pd.serve(STORES, Canned::json("stores.json").chunked());
    let lens = Lens::start(
        vec![cluster("default", &[pd.url()])],
        UpstreamLimits {
            max_body_bytes: 1024,
            ..test_limits()
        },
    )
    .await;
    let answer = lens.get(LIST).await;
    let problem = answer.problem(502);
    assert_eq!(problem["upstream"], "pd");
    assert_eq!(problem["type"], "urn:tikv-lens:problem:upstream-too-large");

    // The same streamed body under the default cap reads in full.
    let pd = FakePd::start().await;
    pd.serve(STORES, Canned::json("stores.json").chunked());
    let lens = Lens::single(&[pd.url()]).await;
    let answer = lens.get(LIST).await;
    assert_eq!(store_ids(answer.ok()), ["1", "4", "5"]);
}

/// A PD URL may carry credentials (`http://user:password@pd:2379`). `pd_endpoints` lists it
/// without them, and no other part of any answer may show them either.
#[tokio::test]
async fn pd_credentials_never_appear_in_answers() {
    let url = refused_url()
        .await
        .replace("http://", "http://admin:s3cret@");
    let lens = Lens::start(vec![cluster("default", &[url])], test_limits()).await;
    for path in [
        "/api/v1/clusters",
        LIST,
        "/api/v1/clusters/default",
        "/readyz",
    ] {
        let (status, text) = lens.get_text(path).await;
        assert!(status == 200 || status == 503, "{path}: {status} {text}");
        assert!(
            !text.contains("s3cret"),
            "{path} leaks the password: {text}"
        );
        assert!(!text.contains("admin:"), "{path} leaks the user: {text}");
    }
}
