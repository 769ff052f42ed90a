//! Hostile input through the real server: PromQL injection through values PD hands back,
//! hostile and absurd request parameters, oversized queries and URLs, methods the service does
//! not take, and the access layers (bearer tokens, CORS, rate limit, request ids).
//!
//! Every test is bounded in time and talks to 127.0.0.1 only. The rule throughout: a client
//! mistake is a 4xx problem naming what is wrong, never a 5xx, and nothing a client chooses
//! reaches an upstream except the PromQL of the metric query routes (and a by-key lookup's key,
//! as percent-encoded bytes in PD's `key` parameter).

use std::collections::BTreeSet;
use std::future::Future;
use std::time::Duration;

use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use tikv_lens::config::AccessConfig;

use crate::support::fake_prometheus::{
    FakePrometheus, QUERY, QUERY_RANGE, Received, prometheus_canned, urlencode,
};
use crate::support::{
    Canned, FakePd, Lens, PD_DATA, PD_JSON, cluster, fixture, fixture_json, refused_url,
    test_limits,
};

async fn bounded<F: Future>(body: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(120), body)
        .await
        .expect("the test did not finish within 120 s")
}

// ---- a client that can send any method and header ----

/// An answer as sent on the wire.
struct Raw {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{}: body is not JSON ({e}): {:?}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// Asserts a problem+json answer with this status and returns it.
    fn problem(&self, status: u16, what: &str) -> Value {
        assert_eq!(
            self.status,
            status,
            "{what}: {}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{what}"
        );
        let problem = self.json();
        assert_eq!(problem["status"], status, "{what}: {problem}");
        problem
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

async fn send(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    headers: &[(&str, &str)],
) -> Raw {
    let mut request = client.request(method.clone(), url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if matches!(method.as_str(), "POST" | "PUT" | "PATCH") {
        request = request
            .header("content-type", "application/json")
            .body("{}");
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.bytes().await.unwrap().to_vec();
    Raw {
        status,
        headers,
        body,
    }
}

async fn get(client: &reqwest::Client, url: &str, headers: &[(&str, &str)]) -> Raw {
    send(client, reqwest::Method::GET, url, headers).await
}

/// Every byte but the unreserved ones percent-encoded, for a path segment.
fn segment(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

// ---- 1. PromQL injection through the status addresses PD hands back ----

/// Status addresses a compromised or buggy PD could return, each trying to leave its label
/// matcher: quotes, braces, newlines, backslashes, regex operators, PromQL operators, control
/// characters.
const HOSTILE_ADDRESSES: &[&str] = &[
    r#"tikv-0:20180"} or vector(1) #"#,
    "tikv-1:20180\"}[5m])) or sum(rate(x{a=\"",
    "x\n}",
    "{",
    "}",
    r"back\slash\",
    r#"\""#,
    r#"=~".*""#,
    ") or vector(1)",
    "a|b.*",
    "(tikv-2:20180)+[z]?^$",
    "tikv-3:20180\r\t\u{0}\u{7}\u{7f}",
    "ünïcödé:20180 \u{202e}",
];

/// Decodes the PromQL double-quoted string literal starting at `s[start]` (a `"`), the way
/// PromQL's lexer and Go's `strconv.Unquote` read it. Returns the value and the index just
/// past the closing quote, or why the literal is malformed.
fn unquote_at(s: &str, start: usize) -> Result<(String, usize), String> {
    let mut chars = s[start..].char_indices();
    if chars.next().map(|(_, c)| c) != Some('"') {
        return Err("no opening quote".into());
    }
    let mut out = String::new();
    let hex = |chars: &mut std::str::CharIndices, n: usize| -> Result<u32, String> {
        let digits: String = chars.by_ref().take(n).map(|(_, c)| c).collect();
        if digits.len() != n {
            return Err(format!("short escape {digits:?}"));
        }
        u32::from_str_radix(&digits, 16).map_err(|e| format!("escape {digits:?}: {e}"))
    };
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, start + i + 1)),
            '\n' => return Err("raw newline inside the literal".into()),
            '\\' => {
                let (_, e) = chars.next().ok_or("dangling backslash")?;
                match e {
                    'a' => out.push('\u{7}'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'n' => out.push('\n'),
                    'r' => out.push('\r'),
                    't' => out.push('\t'),
                    'v' => out.push('\u{b}'),
                    '\\' => out.push('\\'),
                    '"' => out.push('"'),
                    'x' => out.push(char::from_u32(hex(&mut chars, 2)?).ok_or("bad \\x")?),
                    'u' => out.push(char::from_u32(hex(&mut chars, 4)?).ok_or("bad \\u")?),
                    'U' => out.push(char::from_u32(hex(&mut chars, 8)?).ok_or("bad \\U")?),
                    '0'..='7' => {
                        let rest: String = chars.by_ref().take(2).map(|(_, c)| c).collect();
                        let code = u32::from_str_radix(&format!("{e}{rest}"), 8)
                            .map_err(|e| format!("octal escape: {e}"))?;
                        out.push(char::from_u32(code).ok_or("bad octal")?);
                    }
                    other => return Err(format!("unknown escape \\{other}")),
                }
            }
            c => out.push(c),
        }
    }
    Err("unterminated literal".into())
}

/// The `instance` matcher of a curated query: its operator (`=` or `=~`), the decoded literal,
/// and the query with the literal replaced by `"…"` (its shape). A query selecting the same
/// series several times (the capacity runway's `predict_linear`) repeats the same matcher; each
/// literal is read past, so an address holding `instance=` is not taken for a matcher.
fn instance_matcher(promql: &str) -> (String, String, String) {
    let mut found: Option<(String, String)> = None;
    let mut shape = String::new();
    let mut from = 0;
    while let Some(i) = promql[from..].find("instance=") {
        let at = from + i + "instance=".len();
        let (op, literal_start) = if promql[at..].starts_with('~') {
            ("=~", at + 1)
        } else {
            ("=", at)
        };
        let (value, end) = unquote_at(promql, literal_start)
            .unwrap_or_else(|e| panic!("malformed literal in {promql:?}: {e}"));
        match &found {
            None => found = Some((op.to_owned(), value)),
            Some(first) => assert_eq!(
                (first.0.as_str(), first.1.as_str()),
                (op, value.as_str()),
                "different instance matchers in {promql:?}"
            ),
        }
        shape.push_str(&promql[from..literal_start]);
        shape.push_str("\"…\"");
        from = end;
    }
    shape.push_str(&promql[from..]);
    let (op, value) = found.unwrap_or_else(|| panic!("no instance matcher in {promql:?}"));
    (op, value, shape)
}

/// The literal strings an RE2 regular expression made only of escaped literals and `|`
/// matches, or why it is something else (an unescaped metacharacter).
fn regex_alternatives(regex: &str) -> Result<Vec<String>, String> {
    const META: &str = "\\.+*?()|[]{}^$";
    let mut alternatives = vec![String::new()];
    let mut chars = regex.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let e = chars.next().ok_or("dangling backslash")?;
                if !META.contains(e) {
                    return Err(format!("\\{e} is not an escaped metacharacter"));
                }
                alternatives.last_mut().unwrap().push(e);
            }
            '|' => alternatives.push(String::new()),
            c if META.contains(c) => {
                return Err(format!("unescaped metacharacter {c:?} in {regex:?}"));
            }
            c => alternatives.last_mut().unwrap().push(c),
        }
    }
    Ok(alternatives)
}

/// A PD store list of TiKV stores 100, 101, ... with these status addresses.
fn stores_with_status_addresses(addresses: &[&str]) -> Vec<u8> {
    let template = fixture_json("stores.json")["stores"][0].clone();
    let stores: Vec<Value> = addresses
        .iter()
        .enumerate()
        .map(|(i, address)| {
            let mut s = template.clone();
            s["store"]["id"] = json!(100 + i);
            s["store"]["address"] = json!(format!("10.9.0.{i}:20160"));
            s["store"]["status_address"] = json!(address);
            s
        })
        .collect();
    serde_json::to_vec(&json!({ "count": stores.len(), "stores": stores })).unwrap()
}

fn store_1_with_status_address(address: &str) -> Vec<u8> {
    let mut store = fixture_json("store_1.json");
    store["store"]["status_address"] = json!(address);
    serde_json::to_vec(&store).unwrap()
}

/// PD and Prometheus fakes for the curated-query routes, and tikv-lens in front of them.
async fn curated_setup(addresses: &[&str]) -> (FakePd, FakePrometheus, Lens) {
    let pd = FakePd::start().await;
    pd.serve_v85_cluster();
    let stores = stores_with_status_addresses(addresses);
    pd.serve(
        "/pd/api/v1/stores",
        Canned::new(200, PD_JSON, stores.clone()),
    );
    pd.serve(
        "/pd/api/v1/stores?state=0&state=1&state=2",
        Canned::new(200, PD_JSON, stores),
    );
    let prometheus = FakePrometheus::start().await;
    prometheus
        .answer_any(QUERY, prometheus_canned("query_empty_vector.json"))
        .answer_any(
            QUERY_RANGE,
            prometheus_canned("query_range_empty_matrix.json"),
        );
    let lens = Lens::start_with_prometheus(&[pd.url()], &prometheus.url()).await;
    (pd, prometheus, lens)
}

const SERIES: &str =
    "/api/v1/clusters/default/stores/1/metrics?start=1795744200&end=1795744800&step=60";

/// The shapes of the curated queries (literal replaced by `"…"`) with harmless addresses:
/// (several stores: list join and overview; one store: its series).
async fn benign_shapes() -> (BTreeSet<String>, BTreeSet<String>) {
    let (pd, prometheus, lens) = curated_setup(&["tikv-a:20180", "tikv-b:20180"]).await;
    assert_eq!(
        lens.get("/api/v1/clusters/default/stores?include=metrics")
            .await
            .status,
        200
    );
    assert_eq!(lens.get("/api/v1/clusters/default").await.status, 200);
    let many: BTreeSet<String> = prometheus
        .received_on(QUERY)
        .iter()
        .map(|r| instance_matcher(r.query()).2)
        .collect();
    pd.serve(
        "/pd/api/v1/store/1",
        Canned::new(200, PD_JSON, store_1_with_status_address("tikv-a:20180")),
    );
    assert_eq!(lens.get(SERIES).await.status, 200);
    let one: BTreeSet<String> = prometheus
        .received_on(QUERY_RANGE)
        .iter()
        .map(|r| instance_matcher(r.query()).2)
        .collect();
    // Six per-store queries for the join, two cluster-wide ones for the overview, seven of the
    // checks the overview summarizes.
    assert_eq!(many.len(), 15, "{many:#?}");
    assert_eq!(one.len(), 6, "{one:#?}");
    (many, one)
}

#[tokio::test]
async fn hostile_status_addresses_stay_inside_their_promql_literals() {
    bounded(async {
        let (many_shapes, one_shapes) = benign_shapes().await;
        let (pd, prometheus, lens) = curated_setup(HOSTILE_ADDRESSES).await;

        // Several stores: one regex matcher listing every address (the store list's join and
        // the overview's cluster-wide queries).
        let joined = lens
            .get("/api/v1/clusters/default/stores?include=metrics")
            .await;
        let body = joined.ok();
        let mut served: Vec<&str> = body["stores"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["status_address"].as_str().unwrap())
            .collect();
        served.sort_unstable();
        let mut want: Vec<&str> = HOSTILE_ADDRESSES.to_vec();
        want.sort_unstable();
        assert_eq!(served, want, "the addresses come back unchanged");
        assert_eq!(lens.get("/api/v1/clusters/default").await.status, 200);

        let received = prometheus.received_on(QUERY);
        assert_eq!(received.len(), 15);
        for r in &received {
            let promql = r.query();
            let (op, regex, shape) = instance_matcher(promql);
            assert_eq!(op, "=~", "{promql}");
            assert!(
                many_shapes.contains(&shape),
                "the query's shape changed:\n{shape}\nnot one of {many_shapes:#?}"
            );
            let mut alternatives =
                regex_alternatives(&regex).unwrap_or_else(|e| panic!("{promql:?}: {e}"));
            alternatives.sort_unstable();
            assert_eq!(
                alternatives, want,
                "the regex {regex:?} matches something else than the addresses"
            );
            assert_eq!(r.names(), ["query", "timeout"], "{r:?}");
        }

        // One store: an equality matcher whose literal is exactly the address.
        for address in HOSTILE_ADDRESSES {
            pd.serve(
                "/pd/api/v1/store/1",
                Canned::new(200, PD_JSON, store_1_with_status_address(address)),
            );
            let before = prometheus.received_on(QUERY_RANGE).len();
            let answer = lens.get(SERIES).await;
            assert_eq!(answer.ok()["instance"], *address);
            let received = prometheus.received_on(QUERY_RANGE);
            assert_eq!(received.len() - before, 6, "{address:?}");
            for r in &received[before..] {
                let promql = r.query();
                let (op, value, shape) = instance_matcher(promql);
                assert_eq!(op, "=", "{promql}");
                assert_eq!(value, *address, "{promql:?}");
                assert!(
                    one_shapes.contains(&shape),
                    "{address:?}: the query's shape changed:\n{shape}"
                );
                assert_eq!(
                    r.names(),
                    ["end", "query", "start", "step", "timeout"],
                    "{r:?}"
                );
            }
        }
    })
    .await;
}

// ---- 2. Hostile parameters ----

/// Values that try quoting, nesting, line breaks, NUL, escapes and sheer size.
fn hostile_values() -> Vec<String> {
    let mut values: Vec<String> = [
        "\"",
        "\"}",
        "{",
        "}",
        "{}",
        "\n}",
        "a\nb",
        "\0",
        "x\0y",
        "\\",
        "'",
        "=~\".*\"",
        ") or vector(1)",
        "\"} or vector(1) #",
        "%",
        "%00",
        "1 OR 1=1",
        "\u{202e}rtl",
        "ünïcödé",
        "up&time=0",
        "#frag",
        "?",
        "/",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    values.push("A".repeat(10 * 1024));
    values.push("\"{}\n\0\\".repeat(2 * 1024));
    values
}

/// What a hostile value must get.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// 400 with `parameter` set to this name.
    BadParameter(&'static str),
    /// 404 `unknown-cluster`.
    UnknownCluster,
}

/// `(parameter, URL path and query with {} for the value, expectation)`. Query values are
/// form-encoded, path values percent-encoded (see [`fill`]).
fn parameter_routes() -> Vec<(&'static str, &'static str, Expect)> {
    use Expect::*;
    vec![
        ("cluster", "/api/v1/clusters/{}", UnknownCluster),
        ("cluster", "/api/v1/clusters/{}/stores", UnknownCluster),
        ("cluster", "/api/v1/clusters/{}/members", UnknownCluster),
        (
            "cluster",
            "/api/v1/clusters/{}/metrics/query?query=up",
            UnknownCluster,
        ),
        (
            "store_id",
            "/api/v1/clusters/default/stores/{}",
            BadParameter("store_id"),
        ),
        (
            "store_id",
            "/api/v1/clusters/default/stores/{}/metrics",
            BadParameter("store_id"),
        ),
        (
            "region_id",
            "/api/v1/clusters/default/regions/{}",
            BadParameter("region_id"),
        ),
        (
            "kind",
            "/api/v1/clusters/default/hotspots/{}",
            BadParameter("kind"),
        ),
        (
            "state",
            "/api/v1/clusters/default/stores?state={}",
            BadParameter("state"),
        ),
        (
            "include",
            "/api/v1/clusters/default/stores?include={}",
            BadParameter("include"),
        ),
        (
            "time",
            "/api/v1/clusters/default/stores?include=metrics&time={}",
            BadParameter("time"),
        ),
        (
            "time",
            "/api/v1/clusters/default/metrics/query?query=up&time={}",
            BadParameter("time"),
        ),
        (
            "start",
            "/api/v1/clusters/default/metrics/query_range?query=up&start={}",
            BadParameter("start"),
        ),
        (
            "end",
            "/api/v1/clusters/default/metrics/query_range?query=up&end={}",
            BadParameter("end"),
        ),
        (
            "step",
            "/api/v1/clusters/default/metrics/query_range?query=up&step={}",
            BadParameter("step"),
        ),
        (
            "start",
            "/api/v1/clusters/default/stores/1/metrics?start={}",
            BadParameter("start"),
        ),
        (
            "end",
            "/api/v1/clusters/default/stores/1/metrics?end={}",
            BadParameter("end"),
        ),
        (
            "step",
            "/api/v1/clusters/default/stores/1/metrics?step={}",
            BadParameter("step"),
        ),
        (
            "limit",
            "/api/v1/clusters/default/regions?limit={}",
            BadParameter("limit"),
        ),
        (
            "cursor",
            "/api/v1/clusters/default/regions?cursor={}",
            BadParameter("cursor"),
        ),
        (
            "key",
            "/api/v1/clusters/default/regions/by-key?key={}",
            BadParameter("key"),
        ),
    ]
}

/// The template with `value` in place of `{}`: form-encoded after a `?`, percent-encoded in
/// the path.
fn fill(template: &str, value: &str) -> String {
    let at = template.find("{}").unwrap();
    let in_query = template[..at].contains('?');
    let encoded = if in_query {
        urlencode(value)
    } else {
        segment(value)
    };
    template.replacen("{}", &encoded, 1)
}

/// Whether `value` is one a parameter accepts (then it is not hostile for it).
fn acceptable(parameter: &str, value: &str) -> bool {
    match parameter {
        // A key is hex; an even number of hex digits is a key like any other.
        "key" => value.len().is_multiple_of(2) && value.bytes().all(|b| b.is_ascii_hexdigit()),
        _ => false,
    }
}

/// Tikv-lens in front of a PD and a Prometheus that record everything and answer nothing
/// useful: a request that reaches them shows in their hit counts.
async fn recording_setup() -> (FakePd, FakePrometheus, Lens) {
    let pd = FakePd::start().await;
    let prometheus = FakePrometheus::start().await;
    let lens = Lens::start_with_prometheus(&[pd.url()], &prometheus.url()).await;
    (pd, prometheus, lens)
}

#[tokio::test]
async fn hostile_parameters_are_400s_naming_them_and_reach_no_upstream() {
    bounded(async {
        let (pd, prometheus, lens) = recording_setup().await;
        let client = client();
        let mut tried = 0;
        for (parameter, template, expect) in parameter_routes() {
            for value in hostile_values() {
                if acceptable(parameter, &value) {
                    continue;
                }
                let path = fill(template, &value);
                let shown: String = value.chars().take(40).collect();
                let what = format!("{parameter}={shown:?} via {template}");
                let answer = get(&client, &format!("{}{path}", lens.base), &[]).await;
                tried += 1;
                assert!(
                    answer.status < 500,
                    "{what}: {} {}",
                    answer.status,
                    String::from_utf8_lossy(&answer.body)
                );
                match expect {
                    Expect::BadParameter(name) => {
                        let problem = answer.problem(400, &what);
                        assert_eq!(problem["parameter"], name, "{what}: {problem}");
                        assert_eq!(
                            problem["type"], "urn:tikv-lens:problem:bad-parameter",
                            "{what}"
                        );
                        assert!(
                            problem["detail"].as_str().unwrap().starts_with(name),
                            "{what}: {problem}"
                        );
                    }
                    Expect::UnknownCluster => {
                        let problem = answer.problem(404, &what);
                        assert_eq!(
                            problem["type"], "urn:tikv-lens:problem:unknown-cluster",
                            "{what}"
                        );
                    }
                }
            }
        }
        eprintln!("hostile parameters: {tried} requests, every one a 400/404 problem");
        assert_eq!(pd.total_hits(), 0, "PD received {:?}", pd.paths());
        assert_eq!(
            prometheus.total_hits(),
            0,
            "Prometheus received {:?}",
            prometheus.received()
        );
    })
    .await;
}

/// Bytes that are not UTF-8, and a parameter given twice (parameter pollution: which one would
/// an upstream see?), are 400s too. A path segment that is not UTF-8 is refused by the path
/// extractor (`parameter: "path"`, the detail names the segment), a duplicate by the query
/// extractor (`parameter: "query_string"`, the detail names the field).
#[tokio::test]
async fn undecodable_and_repeated_parameters_are_400s() {
    bounded(async {
        let (pd, prometheus, lens) = recording_setup().await;
        let client = client();
        let cases = [
            ("/api/v1/clusters/default/stores/%FF", "path", "store_id"),
            ("/api/v1/clusters/%FF%FE/stores", "path", "cluster"),
            (
                "/api/v1/clusters/default/regions/%C3%28",
                "path",
                "region_id",
            ),
            (
                "/api/v1/clusters/default/stores?state=%FF",
                "state",
                "state",
            ),
            (
                "/api/v1/clusters/default/stores?include=%FF%FE",
                "include",
                "include",
            ),
            (
                "/api/v1/clusters/default/stores?state=up&state=down",
                "query_string",
                "state",
            ),
            (
                "/api/v1/clusters/default/regions?limit=1&limit=2",
                "query_string",
                "limit",
            ),
            (
                "/api/v1/clusters/default/metrics/query?query=up&query=vector(1)",
                "query_string",
                "query",
            ),
            (
                "/api/v1/clusters/default/metrics/query_range?query=up&step=1&step=2",
                "query_string",
                "step",
            ),
        ];
        for (path, parameter, named) in cases {
            let answer = get(&client, &format!("{}{path}", lens.base), &[]).await;
            let problem = answer.problem(400, path);
            assert_eq!(problem["parameter"], parameter, "{path}: {problem}");
            assert!(
                problem["detail"].as_str().unwrap().contains(named),
                "{path}: the detail does not name {named}: {problem}"
            );
        }
        assert_eq!(pd.total_hits(), 0, "{:?}", pd.paths());
        assert_eq!(prometheus.total_hits(), 0);
    })
    .await;
}

/// A problem quotes at most a short part of what the client sent: a 10 KB value is not
/// echoed back whole. Parameters are cut at 64 characters (`api::truncate`); an unknown
/// cluster's name (`ApiError::UnknownCluster`) and an unknown route's path
/// (`ApiError::RouteNotFound`) are quoted whole, up to the 64 KiB the HTTP server accepts.
#[tokio::test]
async fn problems_quote_only_a_bounded_part_of_hostile_input() {
    bounded(async {
        let (_pd, _prometheus, lens) = recording_setup().await;
        let client = client();
        let long = "A".repeat(10 * 1024);
        let mut too_long = Vec::new();
        let mut templates = parameter_routes();
        templates.push(("route", "/api/v1/{}", Expect::UnknownCluster));
        for (parameter, template, _) in templates {
            if acceptable(parameter, &long) {
                continue;
            }
            let answer = get(
                &client,
                &format!("{}{}", lens.base, fill(template, &long)),
                &[],
            )
            .await;
            let detail = answer.json()["detail"].as_str().unwrap().to_owned();
            if detail.len() > 1024 {
                too_long.push(format!(
                    "{template}: {} {}, {} bytes of detail",
                    answer.status,
                    answer.json()["type"],
                    detail.len()
                ));
            }
        }
        assert!(
            too_long.is_empty(),
            "problems echo a 10 KB value whole: {too_long:#?}"
        );
    })
    .await;
}

#[tokio::test]
async fn absurd_values_are_400s() {
    bounded(async {
        let (pd, prometheus, lens) = recording_setup().await;
        let client = client();
        let range = "/api/v1/clusters/default/metrics/query_range?query=up";
        let series = "/api/v1/clusters/default/stores/1/metrics?x=1";
        let cases: Vec<(String, &str)> = vec![
            (
                "/api/v1/clusters/default/regions?limit=99999999999999999999".into(),
                "limit",
            ),
            ("/api/v1/clusters/default/regions?limit=0".into(), "limit"),
            ("/api/v1/clusters/default/regions?limit=-1".into(), "limit"),
            ("/api/v1/clusters/default/regions?limit=1e3".into(), "limit"),
            (
                "/api/v1/clusters/default/regions?limit=10001".into(),
                "limit",
            ),
            (
                "/api/v1/clusters/default/stores/99999999999999999999".into(),
                "store_id",
            ),
            ("/api/v1/clusters/default/regions/-1".into(), "region_id"),
            (format!("{range}&step=1e300"), "step"),
            (format!("{range}&step=-1"), "step"),
            (format!("{range}&step=0"), "step"),
            (format!("{range}&step=1e-300"), "step"),
            (format!("{range}&step=NaN"), "step"),
            (format!("{range}&step=inf"), "step"),
            (format!("{range}&step=99999999999999999999999y"), "step"),
            (format!("{series}&step=1e300"), "step"),
            (format!("{series}&step=-1"), "step"),
            (
                "/api/v1/clusters/default/metrics/query?query=up&time=1e20".into(),
                "time",
            ),
            (
                "/api/v1/clusters/default/metrics/query?query=up&time=-1e20".into(),
                "time",
            ),
            (
                "/api/v1/clusters/default/metrics/query?query=up&time=NaN".into(),
                "time",
            ),
            (
                "/api/v1/clusters/default/metrics/query?query=up&time=99999-01-01T00:00:00Z".into(),
                "time",
            ),
            (
                "/api/v1/clusters/default/stores?include=metrics&time=1e20".into(),
                "time",
            ),
            // Start after end by centuries.
            (
                format!("{range}&start=2900-01-01T00:00:00Z&end=1970-01-01T00:00:00Z"),
                "start",
            ),
            (
                format!("{series}&start=2900-01-01T00:00:00Z&end=1970-01-01T00:00:00Z"),
                "start",
            ),
            (
                format!("{range}&start=99999999999&end=-99999999999"),
                "start",
            ),
            // Three thousand years at one second a point.
            (
                format!("{range}&start=-99999999999&end=99999999999&step=1"),
                "step",
            ),
        ];
        for (path, parameter) in &cases {
            let answer = get(&client, &format!("{}{path}", lens.base), &[]).await;
            let problem = answer.problem(400, path);
            assert_eq!(problem["parameter"], *parameter, "{path}: {problem}");
        }
        eprintln!("absurd values: {} requests, every one a 400", cases.len());
        assert_eq!(pd.total_hits(), 0, "PD received {:?}", pd.paths());
        assert_eq!(prometheus.total_hits(), 0);
    })
    .await;
}

/// What a client sends travels to the upstreams only as tikv-lens re-encodes it: the PromQL of
/// a metric query as one `query` value, times as Unix seconds, a key as percent-encoded bytes.
/// Parameters smuggled inside values stay inside them.
#[tokio::test]
async fn client_values_cannot_add_upstream_parameters() {
    bounded(async {
        let pd = FakePd::start().await;
        let prometheus = FakePrometheus::start().await;
        prometheus
            .answer_any(QUERY, prometheus_canned("query_empty_vector.json"))
            .answer_any(
                QUERY_RANGE,
                prometheus_canned("query_range_empty_matrix.json"),
            );
        let lens = Lens::start_with_prometheus(&[pd.url()], &prometheus.url()).await;

        let promql = "up&time=0&timeout=1s&query=down\0\"{}\n#";
        let answer = lens
            .get(&format!(
                "/api/v1/clusters/default/metrics/query?query={}&time={}",
                urlencode(promql),
                urlencode("2026-11-27T10:00:00+08:00")
            ))
            .await;
        assert_eq!(answer.ok()["query"], promql);
        let r: Received = prometheus.last(QUERY);
        assert_eq!(r.all("query"), [promql]);
        assert_eq!(r.all("time"), ["1795744800"]);
        assert_eq!(r.all("timeout").len(), 1);
        assert_eq!(r.names(), ["query", "time", "timeout"]);

        let answer = lens
            .get(&format!(
                "/api/v1/clusters/default/metrics/query_range?query={}&start={}&end={}&step=1m30s",
                urlencode("up&step=1"),
                urlencode("2026-11-27T01:50:00Z"),
                urlencode("2026-11-27T10:00:00+08:00"),
            ))
            .await;
        answer.ok();
        let r = prometheus.last(QUERY_RANGE);
        assert_eq!(r.all("query"), ["up&step=1"]);
        assert_eq!(r.all("step"), ["90"]);
        assert_eq!(r.names(), ["end", "query", "start", "step", "timeout"]);

        // A key whose bytes spell more parameters: they arrive percent-encoded inside `key`.
        let smuggled = b"&limit=999&format=hex&x=";
        let hex: String = smuggled.iter().map(|b| format!("{b:02X}")).collect();
        let pd_path = format!(
            "/pd/api/v1/regions/key?key={}&limit=1",
            url::form_urlencoded::byte_serialize(smuggled).collect::<String>()
        );
        pd.serve(
            &pd_path,
            Canned::new(200, PD_DATA, fixture("regions_key_limit3.json")),
        );
        let answer = lens
            .get(&format!(
                "/api/v1/clusters/default/regions/by-key?key={hex}"
            ))
            .await;
        assert!(answer.status < 500, "{}", answer.json);
        assert_eq!(pd.paths(), [pd_path]);
    })
    .await;
}

// ---- 3. Query and URL sizes ----

#[tokio::test]
async fn long_queries_are_answered_or_refused_by_size_never_5xx() {
    bounded(async {
        let pd = FakePd::start().await;
        let prometheus = FakePrometheus::start().await;
        prometheus.answer_any(QUERY, prometheus_canned("query_empty_vector.json"));
        let lens = Lens::start_with_prometheus(&[pd.url()], &prometheus.url()).await;
        let client = client();
        let url = |query: &str| {
            format!(
                "{}/api/v1/clusters/default/metrics/query?query={}",
                lens.base,
                urlencode(query)
            )
        };
        // `up or up or ...`: PromQL whose URL encoding is as long as itself, so that even
        // 40 KiB of it stays within the 64 KiB request line the HTTP server reads.
        let promql = |bytes: usize| {
            let mut q = "up".to_owned();
            while q.len() < bytes {
                q.push_str(" or up");
            }
            q.truncate(bytes);
            q
        };

        for (bytes, answered) in [
            (10 * 1024, true),
            (32 * 1024, true),
            (32 * 1024 + 1, false),
            (40 * 1024, false),
        ] {
            let query = promql(bytes);
            let answer = get(&client, &url(&query), &[]).await;
            if answered {
                assert_eq!(answer.status, 200, "{bytes} bytes");
                let r = prometheus.last(QUERY);
                assert_eq!(r.query(), query, "{bytes} bytes arrive whole");
            } else {
                let problem = answer.problem(400, &format!("{bytes} bytes"));
                assert_eq!(problem["parameter"], "query");
            }
        }
        assert_eq!(prometheus.hits(QUERY), 2);

        // Beyond 64 KiB the HTTP server (hyper) refuses the request line itself, before any
        // layer of tikv-lens runs. Sent over a raw socket: hyper answers and closes without
        // reading the rest, so an HTTP client may see the reset before the answer.
        let path = format!(
            "/api/v1/clusters/default/metrics/query?query={}",
            "a".repeat(70 * 1024)
        );
        let mut statuses = Vec::new();
        for _ in 0..5 {
            if let Some(head) = raw_head(&lens.base, &path).await {
                let status: u16 = head
                    .split(' ')
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or_else(|| panic!("no status in {head:?}"));
                eprintln!("a {} byte request target: {head:?}", path.len());
                statuses.push(status);
            }
        }
        assert!(!statuses.is_empty(), "no answer to a 70 KiB request target");
        assert!(
            statuses.iter().all(|s| (400..500).contains(s)),
            "{statuses:?}"
        );
        assert_eq!(prometheus.hits(QUERY), 2);
        // And the service goes on.
        assert_eq!(get(&client, &url("up"), &[]).await.status, 200);
    })
    .await;
}

/// Sends `GET path` over a plain socket (ignoring a reset while writing) and returns the
/// answer's head, if one arrived.
async fn raw_head(base: &str, path: &str) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(addr).await.ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    let _ = socket.write_all(request.as_bytes()).await;
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(5), socket.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => {
                answer.extend_from_slice(&buf[..n]);
                if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            _ => break,
        }
    }
    let text = String::from_utf8_lossy(&answer).into_owned();
    let head = text.split("\r\n\r\n").next()?.to_owned();
    (!head.is_empty()).then_some(head)
}

// ---- 4. Methods ----

#[tokio::test]
async fn methods_other_than_get_and_head_are_405_with_allow() {
    bounded(async {
        let (pd, prometheus, lens) = recording_setup().await;
        let client = client();
        let openapi = get(&client, &format!("{}/openapi.json", lens.base), &[])
            .await
            .json();
        let mut paths: Vec<String> = openapi["paths"]
            .as_object()
            .unwrap()
            .keys()
            .map(|p| {
                p.replace("{cluster}", "default")
                    .replace("{store_id}", "1")
                    .replace("{region_id}", "2")
                    .replace("{kind}", "read")
            })
            .collect();
        paths.push("/openapi.json".into());
        assert!(paths.len() >= 16, "{paths:?}");
        let methods = ["POST", "PUT", "DELETE", "PATCH", "PURGE", "TRACE"];
        let mut tried = 0;
        for path in &paths {
            for method in methods {
                let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
                let answer = send(
                    &client,
                    method.clone(),
                    &format!("{}{path}", lens.base),
                    &[],
                )
                .await;
                tried += 1;
                let what = format!("{method} {path}");
                let problem = answer.problem(405, &what);
                assert_eq!(
                    problem["type"], "urn:tikv-lens:problem:method-not-allowed",
                    "{what}"
                );
                assert_eq!(answer.header("allow"), Some("GET, HEAD"), "{what}");
                assert!(answer.header("x-request-id").is_some(), "{what}");
            }
        }
        eprintln!(
            "methods: {tried} requests ({} routes x {methods:?}), every one a 405",
            paths.len()
        );
        assert_eq!(pd.total_hits(), 0, "{:?}", pd.paths());
        assert_eq!(prometheus.total_hits(), 0);
    })
    .await;
}

// ---- 5. Bearer tokens ----

const TOKEN: &str = "s3cret-token-for-tests";

async fn lens_with_access(access: AccessConfig) -> (FakePd, Lens) {
    let pd = FakePd::start().await;
    pd.serve_v85_cluster();
    let lens =
        Lens::start_with_access(vec![cluster("default", &[pd.url()])], test_limits(), access).await;
    (pd, lens)
}

#[tokio::test]
async fn bearer_tokens_guard_every_route_but_the_probes() {
    bounded(async {
        let (pd, lens) = lens_with_access(AccessConfig {
            tokens: vec![TOKEN.into(), "another-token".into()],
            ..AccessConfig::default()
        })
        .await;
        let client = client();
        let stores = format!("{}/api/v1/clusters/default/stores", lens.base);
        let bearer = format!("Bearer {TOKEN}");

        let missing = get(&client, &stores, &[]).await;
        let wrong = get(
            &client,
            &stores,
            &[("authorization", "Bearer s3cret-token-for-test")],
        )
        .await;
        let missing_problem = missing.problem(401, "no token");
        let wrong_problem = wrong.problem(401, "wrong token");
        let challenge = missing.header("www-authenticate").unwrap_or_default();
        assert!(challenge.starts_with("Bearer"), "{challenge:?}");
        assert_eq!(
            missing_problem["type"],
            "urn:tikv-lens:problem:unauthorized"
        );
        // A wrong token and no token differ in `detail` only.
        let without_detail = |p: &Value| {
            let mut p = p.clone();
            p.as_object_mut().unwrap().remove("detail");
            p
        };
        assert_eq!(
            without_detail(&missing_problem),
            without_detail(&wrong_problem)
        );
        assert_eq!(
            missing.header("www-authenticate"),
            wrong.header("www-authenticate")
        );
        assert_eq!(missing.header("content-type"), wrong.header("content-type"));
        assert_eq!(
            missing.header("cache-control"),
            wrong.header("cache-control")
        );
        eprintln!(
            "401 details: missing {:?}; wrong {:?}",
            missing_problem["detail"], wrong_problem["detail"]
        );

        for (what, headers) in [
            ("a token prefix", vec![("authorization", "Bearer s3cret")]),
            ("an empty bearer", vec![("authorization", "Bearer ")]),
            (
                "basic credentials",
                vec![("authorization", "Basic czNjcmV0LXRva2VuLWZvci10ZXN0cw==")],
            ),
            ("the token without a scheme", vec![("authorization", TOKEN)]),
            ("the token in another header", vec![("x-api-key", TOKEN)]),
        ] {
            let answer = get(&client, &stores, &headers).await;
            answer.problem(401, what);
        }
        // Nor in the URL.
        let answer = get(&client, &format!("{stores}?access_token={TOKEN}"), &[]).await;
        answer.problem(401, "token in the query string");
        assert_eq!(pd.total_hits(), 0, "an unauthenticated request reached PD");

        // The right token (either of them).
        let ok = get(&client, &stores, &[("authorization", bearer.as_str())]).await;
        assert_eq!(ok.status, 200);
        let other = get(
            &client,
            &stores,
            &[("authorization", "Bearer another-token")],
        )
        .await;
        assert_eq!(other.status, 200);

        // Probes are open; everything else is not.
        for open in ["/healthz", "/readyz"] {
            let answer = get(&client, &format!("{}{open}", lens.base), &[]).await;
            assert_eq!(answer.status, 200, "{open}");
        }
        for closed in [
            "/api/v1/clusters",
            "/api/v1/clusters/default",
            "/metrics",
            "/openapi.json",
            "/api/v1/no-such-route",
        ] {
            let answer = get(&client, &format!("{}{closed}", lens.base), &[]).await;
            answer.problem(401, closed);
        }
        // A write method without a token is refused before routing: 401, not 405.
        let answer = send(&client, reqwest::Method::POST, &stores, &[]).await;
        answer.problem(401, "POST without a token");
    })
    .await;
}

// ---- 6. CORS ----

const ORIGIN: &str = "https://grafana.example.com";

#[tokio::test]
async fn cors_allows_configured_origins_only_and_preflights_need_no_token() {
    bounded(async {
        let (_pd, lens) = lens_with_access(AccessConfig {
            tokens: vec![TOKEN.into()],
            cors_origins: vec![ORIGIN.into()],
            ..AccessConfig::default()
        })
        .await;
        let client = client();
        let stores = format!("{}/api/v1/clusters/default/stores", lens.base);
        let bearer = format!("Bearer {TOKEN}");
        let preflight = |origin: &'static str| {
            let client = &client;
            let stores = &stores;
            async move {
                send(
                    client,
                    reqwest::Method::OPTIONS,
                    stores,
                    &[
                        ("origin", origin),
                        ("access-control-request-method", "GET"),
                        ("access-control-request-headers", "authorization"),
                    ],
                )
                .await
            }
        };

        let allowed = get(
            &client,
            &stores,
            &[("origin", ORIGIN), ("authorization", bearer.as_str())],
        )
        .await;
        assert_eq!(allowed.status, 200);
        assert_eq!(allowed.header("access-control-allow-origin"), Some(ORIGIN));
        let exposed = allowed
            .header("access-control-expose-headers")
            .unwrap_or_default()
            .to_ascii_lowercase();
        for header in ["etag", "x-request-id"] {
            assert!(exposed.contains(header), "{exposed:?} lacks {header}");
        }

        // A preflight carries no token (browsers never send one) and needs none.
        let pre = preflight(ORIGIN).await;
        assert!(pre.status < 300, "preflight: {}", pre.status);
        assert_eq!(pre.header("access-control-allow-origin"), Some(ORIGIN));
        let methods = pre
            .header("access-control-allow-methods")
            .unwrap_or_default()
            .to_owned();
        assert!(methods.contains("GET"), "{methods:?}");
        let headers = pre
            .header("access-control-allow-headers")
            .unwrap_or_default()
            .to_ascii_lowercase();
        assert!(headers.contains("authorization"), "{headers:?}");

        // A 401 to an allowed origin is readable by its script.
        let unauthorized = get(&client, &stores, &[("origin", ORIGIN)]).await;
        unauthorized.problem(401, "allowed origin without a token");
        assert_eq!(
            unauthorized.header("access-control-allow-origin"),
            Some(ORIGIN)
        );

        for other in [
            "https://evil.example.com",
            "https://grafana.example.com.evil.example",
            "http://grafana.example.com",
            "null",
        ] {
            let answer = get(
                &client,
                &stores,
                &[("origin", other), ("authorization", bearer.as_str())],
            )
            .await;
            assert_eq!(answer.status, 200, "{other}");
            assert_eq!(
                answer.header("access-control-allow-origin"),
                None,
                "{other}"
            );
            let pre = preflight(other).await;
            assert_eq!(
                pre.header("access-control-allow-origin"),
                None,
                "preflight from {other}"
            );
            assert!(pre.status < 500, "preflight from {other}: {}", pre.status);
        }
    })
    .await;
}

// ---- 7. Rate limit ----

#[tokio::test]
async fn a_burst_beyond_the_rate_limit_gets_429s_with_retry_after() {
    bounded(async {
        let (_pd, lens) = lens_with_access(AccessConfig {
            rate_limit: 5,
            ..AccessConfig::default()
        })
        .await;
        let client = client();
        let stores = format!("{}/api/v1/clusters/default/stores", lens.base);

        // Twenty at once from one address.
        let answers = futures::future::join_all((0..20).map(|_| get(&client, &stores, &[]))).await;
        let ok = answers.iter().filter(|a| a.status == 200).count();
        let limited: Vec<&Raw> = answers.iter().filter(|a| a.status == 429).collect();
        assert_eq!(ok + limited.len(), 20, "only 200 and 429 expected");
        assert!(ok >= 1, "none of the burst answered");
        assert!(!limited.is_empty());
        for answer in &limited {
            let problem = answer.problem(429, "burst");
            assert_eq!(problem["type"], "urn:tikv-lens:problem:rate-limited");
            let retry: u64 = answer
                .header("retry-after")
                .expect("Retry-After")
                .parse()
                .expect("Retry-After in seconds");
            assert!((1..=60).contains(&retry), "Retry-After {retry}");
            assert!(answer.header("x-request-id").is_some());
        }

        // The probes are exempt: right after the burst, /healthz still answers, and a burst of
        // twenty probes is not limited either (an orchestrator behind a shared proxy address
        // must not see the service as dead because dashboards are busy).
        let healthz = format!("{}/healthz", lens.base);
        let probe = get(&client, &healthz, &[]).await.status;
        let probes = futures::future::join_all((0..20).map(|_| get(&client, &healthz, &[]))).await;
        let probes_ok = probes.iter().filter(|a| a.status == 200).count();
        eprintln!(
            "rate limit 5/s: a burst of 20 got {ok} x 200 and {} x 429; /healthz right after: \
             {probe}; a burst of 20 /healthz: {probes_ok} x 200",
            limited.len(),
        );
        assert_eq!(probe, 200, "/healthz is exempt from the limit");
        assert_eq!(probes_ok, 20);
    })
    .await;
}

// ---- 8. Request ids ----

#[tokio::test]
async fn every_answer_has_a_request_id_and_a_clients_is_echoed() {
    bounded(async {
        let pd = FakePd::start().await;
        pd.serve_v85_cluster();
        pd.serve(
            "/pd/api/v1/store/1",
            Canned::new(500, PD_JSON, "\"boom\"\n"),
        );
        let down = refused_url().await;
        let lens = Lens::start(
            vec![cluster("default", &[pd.url()]), cluster("down", &[down])],
            test_limits(),
        )
        .await;
        let (_pd2, guarded) = lens_with_access(AccessConfig {
            tokens: vec![TOKEN.into()],
            rate_limit: 1,
            ..AccessConfig::default()
        })
        .await;
        let client = client();
        let base = &lens.base;
        let cases: Vec<(u16, String, reqwest::Method)> = vec![
            (200, format!("{base}/healthz"), reqwest::Method::GET),
            (
                200,
                format!("{base}/api/v1/clusters/default/stores"),
                reqwest::Method::GET,
            ),
            (200, format!("{base}/openapi.json"), reqwest::Method::GET),
            (
                400,
                format!("{base}/api/v1/clusters/default/stores?state=x"),
                reqwest::Method::GET,
            ),
            (
                404,
                format!("{base}/api/v1/clusters/nope/stores"),
                reqwest::Method::GET,
            ),
            (404, format!("{base}/no/such/route"), reqwest::Method::GET),
            (
                405,
                format!("{base}/api/v1/clusters"),
                reqwest::Method::DELETE,
            ),
            (
                502,
                format!("{base}/api/v1/clusters/default/stores/1"),
                reqwest::Method::GET,
            ),
            (
                503,
                format!("{base}/api/v1/clusters/down/stores"),
                reqwest::Method::GET,
            ),
            (
                401,
                format!("{}/api/v1/clusters", guarded.base),
                reqwest::Method::GET,
            ),
        ];
        let mut ids = BTreeSet::new();
        for (status, url, method) in &cases {
            let answer = send(&client, method.clone(), url, &[]).await;
            assert_eq!(answer.status, *status, "{method} {url}");
            let id = answer
                .header("x-request-id")
                .unwrap_or_else(|| panic!("{status} {url} has no x-request-id"))
                .to_owned();
            assert!(!id.is_empty());
            assert!(ids.insert(id), "request ids repeat");

            let mine = format!("hardening-{status}-{}", ids.len());
            let answer = send(
                &client,
                method.clone(),
                url,
                &[("x-request-id", mine.as_str())],
            )
            .await;
            assert_eq!(answer.header("x-request-id"), Some(mine.as_str()), "{url}");
        }
        // A 429 too (the probes are exempt from the limit, so an API route; the token is
        // checked after the limit, so the limited answer needs none).
        let limited = loop {
            let answer = get(&client, &format!("{}/api/v1/clusters", guarded.base), &[]).await;
            if answer.status == 429 {
                break answer;
            }
        };
        assert!(limited.header("x-request-id").is_some());
    })
    .await;
}
