//! The simulated PD: shape conformance with the PD v8.5 fixtures (key order,
//! required keys, value kinds, renderer layout, content types, status codes), Go value formats,
//! `/regions/key` paging, determinism, and the store outage cycle.

use std::collections::HashSet;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use jiff::Timestamp;
use tikv_sim::{Clock, SimCluster, SimConfig, SimStoreState, pd_router};
use tower::ServiceExt;

/// A PD fixture of the service's tests (`tests/fixtures/pd`, origins in its README).
fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../tests/fixtures/pd/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

const JSON: &str = "application/json; charset=UTF-8";
const DATA: &str = "application/octet-stream";
const TEXT: &str = "text/plain; charset=utf-8";

fn epoch() -> Timestamp {
    "2025-03-10T08:00:00Z".parse().unwrap()
}

fn at(seconds_after_epoch: i64) -> Timestamp {
    epoch() + jiff::SignedDuration::from_secs(seconds_after_epoch)
}

/// Times inside the first outage cycle: up, disconnected, down, restarted.
const UP: i64 = 60;
const DISCONNECTED: i64 = 150;
const DOWN: i64 = 250;
const BACK: i64 = 540;

fn config(regions: u64, stores: usize) -> SimConfig {
    SimConfig {
        stores,
        regions,
        seed: 42,
        epoch: epoch(),
        ..SimConfig::default()
    }
}

fn sim(regions: u64, stores: usize) -> Arc<SimCluster> {
    Arc::new(SimCluster::new(config(regions, stores)))
}

/// A cluster with the scale cycle on (as the demo runs it).
fn scaling_sim(regions: u64, stores: usize) -> Arc<SimCluster> {
    Arc::new(SimCluster::new(SimConfig {
        scale_cycle: true,
        ..config(regions, stores)
    }))
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    fn text(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap()
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

async fn call(router: &Router, method: Method, path: &str) -> Reply {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .body(Body::empty())
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

async fn get(router: &Router, path: &str) -> Reply {
    call(router, Method::GET, path).await
}

fn router_at(cluster: &Arc<SimCluster>, seconds: i64) -> Router {
    pd_router(cluster.clone(), Clock::Fixed(at(seconds)))
}

// ---------------------------------------------------------------------------------------------
// An order-preserving JSON reader, and Go's two layouts re-rendered from it.

#[derive(Clone, Debug)]
enum J {
    Null,
    Bool(bool),
    Num(String),
    /// The raw token (quotes and escapes included) and the decoded text.
    Str(String, String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

impl J {
    fn kind(&self) -> &'static str {
        match self {
            J::Null => "null",
            J::Bool(_) => "bool",
            J::Num(_) => "number",
            J::Str(..) => "string",
            J::Arr(_) => "array",
            J::Obj(_) => "object",
        }
    }

    fn get(&self, key: &str) -> Option<&J> {
        match self {
            J::Obj(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

fn parse(text: &str) -> J {
    let bytes = text.as_bytes();
    let mut at = 0;
    let value = parse_value(bytes, &mut at);
    skip_ws(bytes, &mut at);
    assert_eq!(at, bytes.len(), "trailing data after JSON value");
    value
}

fn skip_ws(b: &[u8], at: &mut usize) {
    while *at < b.len() && matches!(b[*at], b' ' | b'\n' | b'\t' | b'\r') {
        *at += 1;
    }
}

fn parse_value(b: &[u8], at: &mut usize) -> J {
    skip_ws(b, at);
    match b[*at] {
        b'{' => {
            *at += 1;
            let mut members = Vec::new();
            skip_ws(b, at);
            if b[*at] == b'}' {
                *at += 1;
                return J::Obj(members);
            }
            loop {
                skip_ws(b, at);
                let J::Str(_, key) = parse_value(b, at) else {
                    panic!("object key")
                };
                skip_ws(b, at);
                assert_eq!(b[*at], b':');
                *at += 1;
                let value = parse_value(b, at);
                members.push((key, value));
                skip_ws(b, at);
                match b[*at] {
                    b',' => *at += 1,
                    b'}' => {
                        *at += 1;
                        return J::Obj(members);
                    }
                    other => panic!("unexpected {}", other as char),
                }
            }
        }
        b'[' => {
            *at += 1;
            let mut items = Vec::new();
            skip_ws(b, at);
            if b[*at] == b']' {
                *at += 1;
                return J::Arr(items);
            }
            loop {
                items.push(parse_value(b, at));
                skip_ws(b, at);
                match b[*at] {
                    b',' => *at += 1,
                    b']' => {
                        *at += 1;
                        return J::Arr(items);
                    }
                    other => panic!("unexpected {}", other as char),
                }
            }
        }
        b'"' => {
            let start = *at;
            *at += 1;
            while b[*at] != b'"' {
                if b[*at] == b'\\' {
                    *at += 1;
                }
                *at += 1;
            }
            *at += 1;
            let raw = std::str::from_utf8(&b[start..*at]).unwrap().to_owned();
            let decoded: String = serde_json::from_str(&raw).unwrap();
            J::Str(raw, decoded)
        }
        b't' => {
            *at += 4;
            J::Bool(true)
        }
        b'f' => {
            *at += 5;
            J::Bool(false)
        }
        b'n' => {
            *at += 4;
            J::Null
        }
        _ => {
            let start = *at;
            while *at < b.len() && matches!(b[*at], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
            {
                *at += 1;
            }
            J::Num(std::str::from_utf8(&b[start..*at]).unwrap().to_owned())
        }
    }
}

/// `json.MarshalIndent(v, "", "  ")` of the parsed value.
fn render_indent(value: &J, depth: usize, out: &mut String) {
    let pad = |n: usize| "  ".repeat(n);
    match value {
        J::Obj(members) if !members.is_empty() => {
            out.push('{');
            for (i, (k, v)) in members.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                out.push_str(&pad(depth + 1));
                out.push_str(&serde_json::to_string(k).unwrap());
                out.push_str(": ");
                render_indent(v, depth + 1, out);
            }
            out.push('\n');
            out.push_str(&pad(depth));
            out.push('}');
        }
        J::Arr(items) if !items.is_empty() => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                out.push_str(&pad(depth + 1));
                render_indent(v, depth + 1, out);
            }
            out.push('\n');
            out.push_str(&pad(depth));
            out.push(']');
        }
        other => render_compact(other, out),
    }
}

fn render_compact(value: &J, out: &mut String) {
    match value {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Num(n) => out.push_str(n),
        J::Str(raw, _) => out.push_str(raw),
        J::Arr(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                render_compact(v, out);
            }
            out.push(']');
        }
        J::Obj(members) => {
            out.push('{');
            for (i, (k, v)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(k).unwrap());
                out.push(':');
                render_compact(v, out);
            }
            out.push('}');
        }
    }
}

/// How PD renders a body.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Renderer {
    /// `rd.JSON`: indented, trailing newline, `application/json; charset=UTF-8`.
    Json,
    /// `rd.Data` with easyjson: compact, no newline, `application/octet-stream`.
    Data,
}

/// Asserts the body is exactly what Go's renderer would print for its own value.
fn assert_layout(reply: &Reply, renderer: Renderer, what: &str) -> J {
    let text = reply.text();
    let parsed = parse(text);
    let mut expected = String::new();
    match renderer {
        Renderer::Json => {
            assert_eq!(reply.content_type(), JSON, "{what}: content type");
            render_indent(&parsed, 0, &mut expected);
            expected.push('\n');
        }
        Renderer::Data => {
            assert_eq!(reply.content_type(), DATA, "{what}: content type");
            render_compact(&parsed, &mut expected);
        }
    }
    assert_eq!(text, expected, "{what}: layout differs from Go's renderer");
    assert!(
        !text.contains('<') && !text.contains('>') && !text.contains('&'),
        "{what}: HTML not escaped"
    );
    parsed
}

// ---------------------------------------------------------------------------------------------
// Shape conformance.

/// Fields PD leaves out when empty or zero (`omitempty`), so a fixture may show them and the
/// simulator not, or the other way round.
const OMITEMPTY: &[&str] = &[
    "state",
    "labels",
    "start_timestamp",
    "last_heartbeat",
    "physically_destroyed",
    "node_state",
    "learner_count",
    "witness_count",
    "pending_peer_count",
    "slow_score",
    "slow_trend",
    "sending_snap_count",
    "receiving_snap_count",
    "is_busy",
    "uptime",
    "peers",
    "down_peers",
    "pending_peers",
    "down_seconds",
    "is_learner",
    "role",
    "is_witness",
    "leader_priority",
    "dc_location",
    "buckets",
    "replication_status",
];

/// PD's field orders (UPSTREAM-NOTES §3), for fields a fixture object happens not to show.
const CANONICAL_ORDERS: &[&[&str]] = &[
    &[
        "id",
        "address",
        "state",
        "labels",
        "version",
        "peer_address",
        "status_address",
        "git_hash",
        "start_timestamp",
        "deploy_path",
        "last_heartbeat",
        "physically_destroyed",
        "node_state",
        "state_name",
    ],
    &[
        "capacity",
        "available",
        "used_size",
        "leader_count",
        "leader_weight",
        "leader_score",
        "leader_size",
        "region_count",
        "region_weight",
        "region_score",
        "region_size",
        "learner_count",
        "witness_count",
        "pending_peer_count",
        "slow_score",
        "slow_trend",
        "sending_snap_count",
        "receiving_snap_count",
        "is_busy",
        "start_ts",
        "last_heartbeat_ts",
        "uptime",
    ],
    &[
        "id",
        "start_key",
        "end_key",
        "epoch",
        "peers",
        "leader",
        "down_peers",
        "pending_peers",
        "cpu_usage",
        "written_bytes",
        "read_bytes",
        "written_keys",
        "read_keys",
        "approximate_size",
        "approximate_keys",
    ],
    &[
        "role_name",
        "is_learner",
        "id",
        "store_id",
        "role",
        "is_witness",
    ],
    &["peer", "down_seconds"],
];

fn is_map(members: &[(String, J)]) -> bool {
    !members.is_empty()
        && members
            .iter()
            .all(|(k, _)| k.bytes().all(|b| b.is_ascii_digit()))
}

/// Checks `sim` against every fixture value found at the same place (`candidates`): the same
/// kind; object keys present in a candidate keep the candidate's relative order; keys every
/// candidate has (and PD always prints) are present; keys no candidate has follow PD's canonical
/// order. Objects keyed by store id are maps: their keys are sorted as strings.
fn conform(sim: &J, candidates: &[&J], path: &str) {
    if candidates.is_empty() {
        return;
    }
    // A pool of array items can mix kinds (`"args": null` beside `"args": ["4"]`): the value must
    // be of a kind some candidate has, and is compared with those.
    let same_kind: Vec<&J> = candidates
        .iter()
        .copied()
        .filter(|c| c.kind() == sim.kind())
        .collect();
    assert!(
        !same_kind.is_empty(),
        "{path}: kind {} where PD has {:?}",
        sim.kind(),
        candidates.iter().map(|c| c.kind()).collect::<Vec<_>>()
    );
    let candidates = &same_kind[..];
    match sim {
        J::Arr(items) => {
            let pool: Vec<&J> = candidates
                .iter()
                .flat_map(|c| match c {
                    J::Arr(items) => items.iter().collect::<Vec<_>>(),
                    _ => Vec::new(),
                })
                .collect();
            for (i, item) in items.iter().enumerate() {
                conform(item, &pool, &format!("{path}[{i}]"));
            }
        }
        J::Obj(members)
            if is_map(members)
                || candidates
                    .iter()
                    .any(|c| matches!(c, J::Obj(m) if is_map(m))) =>
        {
            let keys: Vec<&String> = members.iter().map(|(k, _)| k).collect();
            let mut sorted = keys.clone();
            sorted.sort();
            assert_eq!(keys, sorted, "{path}: map keys must be sorted as strings");
            let pool: Vec<&J> = candidates
                .iter()
                .flat_map(|c| match c {
                    J::Obj(m) => m.iter().map(|(_, v)| v).collect::<Vec<_>>(),
                    _ => Vec::new(),
                })
                .filter(|v| !matches!(v, J::Null))
                .collect();
            for (k, v) in members {
                if !matches!(v, J::Null) {
                    conform(v, &pool, &format!("{path}.{k}"));
                }
            }
        }
        J::Obj(members) => {
            let sim_keys: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
            for candidate in candidates {
                let J::Obj(fixture_members) = candidate else {
                    continue;
                };
                let fixture_keys: Vec<&str> =
                    fixture_members.iter().map(|(k, _)| k.as_str()).collect();
                let common: Vec<&str> = sim_keys
                    .iter()
                    .copied()
                    .filter(|k| fixture_keys.contains(k))
                    .collect();
                let fixture_common: Vec<&str> = fixture_keys
                    .iter()
                    .copied()
                    .filter(|k| sim_keys.contains(k))
                    .collect();
                assert_eq!(common, fixture_common, "{path}: key order");
                for key in &fixture_keys {
                    if !OMITEMPTY.contains(key) {
                        assert!(
                            sim_keys.contains(key),
                            "{path}: missing always-present key {key:?}"
                        );
                    }
                }
            }
            let unknown: Vec<&str> = sim_keys
                .iter()
                .copied()
                .filter(|k| !candidates.iter().any(|c| c.get(k).is_some()))
                .collect();
            if !unknown.is_empty() {
                let order = CANONICAL_ORDERS
                    .iter()
                    .find(|order| sim_keys.iter().all(|k| order.contains(k)))
                    .unwrap_or_else(|| panic!("{path}: keys {unknown:?} are not in PD's object"));
                let positions: Vec<usize> = sim_keys
                    .iter()
                    .map(|k| order.iter().position(|o| o == k).unwrap())
                    .collect();
                assert!(
                    positions.windows(2).all(|w| w[0] < w[1]),
                    "{path}: canonical order of {sim_keys:?}"
                );
                for key in &unknown {
                    assert!(
                        OMITEMPTY.contains(key),
                        "{path}: {key:?} is not an omitempty field"
                    );
                }
            }
            for (key, value) in members {
                let pool: Vec<&J> = candidates.iter().filter_map(|c| c.get(key)).collect();
                conform(value, &pool, &format!("{path}.{key}"));
            }
        }
        _ => {}
    }
}

fn fixture_j(name: &str) -> J {
    parse(std::str::from_utf8(&fixture(name)).unwrap())
}

async fn assert_conforms(router: &Router, path: &str, renderer: Renderer, fixtures: &[&str]) -> J {
    let reply = get(router, path).await;
    assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text());
    let sim = assert_layout(&reply, renderer, path);
    let fixtures: Vec<J> = fixtures.iter().map(|f| fixture_j(f)).collect();
    let candidates: Vec<&J> = fixtures.iter().collect();
    conform(&sim, &candidates, path);
    sim
}

#[tokio::test]
async fn endpoints_conform_to_the_pd_fixtures() {
    for (stores, scaling) in [(3, false), (5, false), (3, true), (5, true)] {
        let cluster = if scaling {
            scaling_sim(300, stores)
        } else {
            sim(300, stores)
        };
        let flapping = cluster.stores_at(at(0))[stores - 1].id;
        for seconds in [UP, DISCONNECTED, DOWN, BACK, 1_250, 1_480, 86_400 + 1_234] {
            let r = router_at(&cluster, seconds);
            use Renderer::{Data, Json};
            assert_conforms(
                &r,
                "/pd/api/v1/stores",
                Json,
                &["stores.json", "stores_edge_cases.json"],
            )
            .await;
            round2_endpoints_conform(&cluster, &r, seconds).await;
            assert_conforms(&r, "/pd/api/v1/store/1", Json, &["store_1.json"]).await;
            let flapping_fixtures: &[&str] = match seconds {
                DISCONNECTED => &["store_7_disconnected.json"],
                _ => &["store_1.json"],
            };
            assert_conforms(
                &r,
                &format!("/pd/api/v1/store/{flapping}"),
                Json,
                flapping_fixtures,
            )
            .await;
            assert_conforms(
                &r,
                "/pd/api/v1/stores?state=2",
                Json,
                &["stores_state_2_tombstone.json"],
            )
            .await;
            assert_conforms(
                &r,
                "/pd/api/v1/stores?state=0&state=1&state=2",
                Json,
                &["stores_state_0_1_2.json"],
            )
            .await;
            assert_conforms(&r, "/pd/api/v1/members", Json, &["members.json"]).await;
            assert_conforms(&r, "/pd/api/v1/health", Json, &["health.json"]).await;
            assert_conforms(&r, "/pd/api/v1/leader", Json, &["leader.json"]).await;
            assert_conforms(&r, "/pd/api/v1/status", Json, &["status.json"]).await;
            assert_conforms(&r, "/pd/api/v1/version", Json, &["version.json"]).await;
            assert_conforms(&r, "/pd/api/v1/cluster", Json, &["cluster.json"]).await;
            assert_conforms(
                &r,
                "/pd/api/v1/cluster/status",
                Json,
                &["cluster_status.json"],
            )
            .await;
            assert_conforms(
                &r,
                "/pd/api/v1/regions/count",
                Json,
                &["regions_count.json"],
            )
            .await;
            assert_conforms(&r, "/pd/api/v1/stats/region", Json, &["stats_region.json"]).await;
            assert_conforms(
                &r,
                "/pd/api/v1/stats/region?count",
                Json,
                &["stats_region_count_only.json"],
            )
            .await;
            let hot_write = ["hotspot_regions_write.json", "hotspot_regions_empty.json"];
            assert_conforms(&r, "/pd/api/v1/hotspot/regions/write", Json, &hot_write).await;
            let hot_read = ["hotspot_regions_read.json", "hotspot_regions_empty.json"];
            assert_conforms(&r, "/pd/api/v1/hotspot/regions/read", Json, &hot_read).await;
            assert_conforms(
                &r,
                "/pd/api/v1/hotspot/stores",
                Json,
                &["hotspot_stores.json"],
            )
            .await;

            let regions = [
                "region_2.json",
                "region_112_down_pending.json",
                "region_48_learner_pending.json",
                "region_1008_last.json",
            ];
            let list: Vec<&str> = [
                "regions_key_limit3.json",
                "regions.json",
                "regions_check_pending_peer.json",
            ]
            .to_vec();
            assert_conforms(&r, "/pd/api/v1/region/id/2", Data, &regions).await;
            assert_conforms(&r, "/pd/api/v1/region/key/a", Data, &regions).await;
            assert_conforms(&r, "/pd/api/v1/regions/key?limit=3", Data, &list).await;
            let start = cluster
                .region_at(40, at(seconds))
                .unwrap()
                .start_key
                .to_hex();
            let path = format!("/pd/api/v1/regions/key?key={start}&format=hex&limit=3");
            assert_conforms(&r, &path, Data, &list).await;
            assert_conforms(&r, "/pd/api/v1/regions", Data, &list).await;
            assert_conforms(&r, "/pd/api/v1/regions/store/4", Data, &list).await;
            for check in [
                "miss-peer",
                "extra-peer",
                "down-peer",
                "pending-peer",
                "offline-peer",
                "learner-peer",
                "empty-region",
                "oversized-region",
                "undersized-region",
            ] {
                let path = format!("/pd/api/v1/regions/check/{check}");
                let fixtures = [
                    "regions_check_down_peer.json",
                    "regions_check_pending_peer.json",
                    "regions_check_learner_peer.json",
                    "regions_store_unknown_id.json",
                ];
                assert_conforms(&r, &path, Data, &fixtures).await;
            }
            // Fixed bodies are byte-identical.
            for (path, name) in [
                ("/pd/api/v1/version", "version.json"),
                ("/pd/api/v1/config/replicate", "config_replicate.json"),
                ("/pd/api/v1/config/placement-rule", "placement_rule.json"),
                ("/pd/api/v1/checker/replica", "checker_replica.json"),
                (
                    "/pd/api/v1/regions/store/99",
                    "regions_store_unknown_id.json",
                ),
            ] {
                let reply = get(&r, path).await;
                assert_eq!(reply.body, fixture(name), "{path}");
            }
        }
    }
}

/// The scheduling, configuration, GC and resolved-ts endpoints against the fixtures of their
/// PD v8.5 bodies.
async fn round2_endpoints_conform(cluster: &SimCluster, r: &Router, seconds: i64) {
    use Renderer::Json;
    let schedulers = assert_conforms(
        r,
        "/pd/api/v1/schedulers",
        Json,
        &["schedulers.json", "schedulers_v8.5_evict_leader.json"],
    )
    .await;
    let J::Arr(names) = &schedulers else { panic!() };
    assert!(names.len() >= 4);
    let paused = [
        "schedulers_paused_v8.5.json",
        "schedulers_paused_v8.5_none.json",
    ];
    assert_conforms(
        r,
        "/pd/api/v1/schedulers?status=paused&timestamp=true",
        Json,
        &paused,
    )
    .await;
    assert_conforms(
        r,
        "/pd/api/v1/schedulers?status=disabled",
        Json,
        &["schedulers_disabled_v8.5_none.json"],
    )
    .await;
    assert_conforms(
        r,
        "/pd/api/v1/scheduler-config/evict-slow-store-scheduler/list",
        Json,
        &["scheduler_config_evict_slow_store_v8.5.json"],
    )
    .await;
    let evict = get(r, "/pd/api/v1/scheduler-config/evict-leader-scheduler/list").await;
    let listed = names
        .iter()
        .any(|n| matches!(n, J::Str(_, name) if name == "evict-leader-scheduler"));
    if listed {
        assert_conforms(
            r,
            "/pd/api/v1/scheduler-config/evict-leader-scheduler/list",
            Json,
            &["scheduler_config_evict_leader_v8.5.json"],
        )
        .await;
    } else {
        // Without the scheduler, Go's ServeMux has no handler for the path.
        assert_eq!(evict.status, StatusCode::NOT_FOUND);
        assert_eq!(evict.body, fixture("error_route_not_found.txt"));
    }
    let operators = assert_conforms(
        r,
        "/pd/api/v1/operators",
        Json,
        &["operators_v8.5.json", "operators_empty.json"],
    )
    .await;
    let J::Arr(operators) = operators else {
        panic!()
    };
    for op in &operators {
        let J::Str(_, text) = op else { panic!() };
        assert!(
            text.contains("} (kind:") && text.contains(", timeout:[") && text.ends_with("])"),
            "{text}"
        );
    }
    assert_conforms(
        r,
        "/pd/api/v1/config/schedule",
        Json,
        &["config_schedule_v8.5.json"],
    )
    .await;
    assert_conforms(
        r,
        "/pd/api/v1/stores/limit",
        Json,
        &["stores_limit_v8.5.json"],
    )
    .await;
    assert_conforms(
        r,
        "/pd/api/v1/gc/safepoint",
        Json,
        &["gc_safepoint_v8.5.json"],
    )
    .await;
    assert_conforms(
        r,
        "/pd/api/v1/min-resolved-ts?scope=cluster",
        Json,
        &["min_resolved_ts_v8.5_scope_cluster.json"],
    )
    .await;
    assert_conforms(
        r,
        "/pd/api/v1/min-resolved-ts",
        Json,
        &["min_resolved_ts_v8.5.json"],
    )
    .await;
    // The scale cycle's store, when there is one, has PD's progress body or PD's 404.
    for store in cluster.stores_at(at(seconds)) {
        let path = format!("/pd/api/v1/stores/progress?id={}", store.id);
        let reply = get(r, &path).await;
        if reply.status == StatusCode::OK {
            assert!(store.id >= tikv_sim::SCALE_ID_BASE, "{path}");
            assert_conforms(r, &path, Json, &["stores_progress_removing_v8.5.json"]).await;
        } else {
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
            assert_eq!(reply.content_type(), JSON);
            assert_eq!(
                reply.text(),
                format!(
                    "\"[PD:progress:ErrProgressNotFound]no progress found for the given store ID: {}\"\n",
                    store.id
                )
            );
        }
    }
}

#[tokio::test]
async fn outage_and_learner_regions_show_the_fixture_shapes() {
    let cluster = sim(2_000, 3);
    let r = router_at(&cluster, DOWN);
    let down = parse(get(&r, "/pd/api/v1/regions/check/down-peer").await.text());
    let J::Arr(regions) = down.get("regions").unwrap() else {
        panic!()
    };
    assert!(!regions.is_empty());
    let fixture = fixture_j("region_112_down_pending.json");
    for region in regions.iter().take(50) {
        conform(region, &[&fixture], "down-peer region");
        assert!(region.get("down_peers").is_some() && region.get("pending_peers").is_some());
    }
    // Somewhere in 40 minutes every learner region has had its learner.
    let fixture = fixture_j("region_48_learner_pending.json");
    let mut seen = 0;
    for seconds in (0..2_400).step_by(120) {
        let r = router_at(&cluster, seconds);
        let body = parse(
            get(&r, "/pd/api/v1/regions/check/learner-peer")
                .await
                .text(),
        );
        let J::Arr(regions) = body.get("regions").unwrap() else {
            panic!()
        };
        for region in regions {
            conform(region, &[&fixture], "learner region");
            seen += 1;
        }
    }
    assert!(seen > 0, "no learner region in 40 minutes");
}

#[tokio::test]
async fn error_answers_are_pds_own() {
    let cluster = sim(100, 3);
    let r = router_at(&cluster, UP);
    let cases: &[(&str, u16, &str, &str)] = &[
        (
            "/pd/api/v1/store/42",
            404,
            JSON,
            "error_store_not_found.txt",
        ),
        (
            "/pd/api/v1/store/abc",
            400,
            JSON,
            "error_store_invalid_id.json",
        ),
        (
            "/pd/api/v1/region/id/abc",
            400,
            JSON,
            "error_region_id_parse.txt",
        ),
        (
            "/pd/api/v1/region/id/999",
            200,
            DATA,
            "region_missing_v8.5.json",
        ),
        (
            "/pd/api/v1/stores?state=up",
            500,
            JSON,
            "error_stores_bad_state_param.txt",
        ),
        (
            "/pd/api/v1/stores?state=3",
            500,
            JSON,
            "error_stores_unknown_state.txt",
        ),
        (
            "/pd/api/v1/regions/key?limit=ten",
            400,
            JSON,
            "error_regions_key_bad_limit.txt",
        ),
        (
            "/pd/api/v1/regions/key?key=0g&format=hex",
            400,
            JSON,
            "error_regions_key_bad_hex.txt",
        ),
        (
            "/pd/api/v1/no/such/route",
            404,
            TEXT,
            "error_route_not_found.txt",
        ),
        ("/pd/api/v1/stores/", 404, TEXT, "error_route_not_found.txt"),
        (
            "/pd/api/v1/regions/check/nope",
            404,
            TEXT,
            "error_route_not_found.txt",
        ),
    ];
    for &(path, status, content_type, name) in cases {
        let reply = get(&r, path).await;
        assert_eq!(reply.status.as_u16(), status, "{path}");
        assert_eq!(reply.content_type(), content_type, "{path}");
        assert_eq!(
            reply.text(),
            std::str::from_utf8(&fixture(name)).unwrap(),
            "{path}"
        );
    }
    let reply = get(&r, "/pd/api/v1/store/abc").await;
    assert_eq!(reply.headers.get("TiDB-Error-Code").unwrap(), "input");
    let reply = get(&r, "/pd/api/v1/nope").await;
    assert_eq!(
        reply.headers.get("X-Content-Type-Options").unwrap(),
        "nosniff"
    );

    for method in [Method::POST, Method::DELETE, Method::PUT] {
        let reply = call(&r, method.clone(), "/pd/api/v1/stores").await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert!(reply.body.is_empty());
        assert!(reply.headers.get("content-type").is_none());
    }
    // More Go error texts, checked against what strconv / encoding/hex / net/url print.
    let more: &[(&str, u16, &str)] = &[
        (
            "/pd/api/v1/stores?state=",
            500,
            r#""strconv.Atoi: parsing \"\": invalid syntax""#,
        ),
        (
            "/pd/api/v1/stores?state=-1",
            500,
            r#""unknown StoreState: -1""#,
        ),
        (
            "/pd/api/v1/regions/key?limit=1e3",
            400,
            r#""strconv.Atoi: parsing \"1e3\": invalid syntax""#,
        ),
        (
            "/pd/api/v1/regions/key?key=abc&format=hex",
            400,
            r#""encoding/hex: odd length hex string""#,
        ),
        (
            "/pd/api/v1/regions/key?end_key=zz&format=hex",
            400,
            r#""encoding/hex: invalid byte: U+007A 'z'""#,
        ),
        (
            "/pd/api/v1/region/id/-1",
            400,
            r#""strconv.ParseUint: parsing \"-1\": invalid syntax""#,
        ),
        (
            "/pd/api/v1/region/id/99999999999999999999",
            400,
            r#""strconv.ParseUint: parsing \"99999999999999999999\": value out of range""#,
        ),
        (
            "/pd/api/v1/regions/store/x",
            400,
            r#""strconv.Atoi: parsing \"x\": invalid syntax""#,
        ),
        (
            "/pd/api/v1/region/key/%25zz",
            400,
            r#""invalid URL escape \"%zz\"""#,
        ),
        (
            "/pd/api/v1/region/key/%3Cb%3E?format=hex",
            400,
            r#""encoding/hex: invalid byte: U+003C '\u003c'""#,
        ),
    ];
    for &(path, status, body) in more {
        let reply = get(&r, path).await;
        assert_eq!(reply.status.as_u16(), status, "{path}");
        assert_eq!(reply.text(), format!("{body}\n"), "{path}");
    }
}

// ---------------------------------------------------------------------------------------------
// Go value formats in everything the simulator prints.

fn is_byte_size(s: &str) -> bool {
    let Some(unit_at) = s.find(|c: char| c.is_ascii_alphabetic()) else {
        return false;
    };
    let (number, unit) = s.split_at(unit_at);
    if !["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"].contains(&unit) {
        return false;
    }
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let digits_ok = !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && (!number.contains('.') || (!fraction.is_empty() && !fraction.ends_with('0')));
    let significant = format!("{whole}{fraction}").trim_start_matches('0').len();
    digits_ok && significant <= 4 && !(whole.len() > 1 && whole.starts_with('0'))
}

fn is_go_duration(s: &str) -> bool {
    fn number(s: &str, max_fraction: usize) -> bool {
        let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
        !whole.is_empty()
            && whole.bytes().all(|b| b.is_ascii_digit())
            && fraction.len() <= max_fraction
            && fraction.bytes().all(|b| b.is_ascii_digit())
            && (!s.contains('.') || (!fraction.is_empty() && !fraction.ends_with('0')))
    }
    for (unit, max_fraction) in [("ns", 0), ("µs", 3), ("ms", 6)] {
        if let Some(n) = s.strip_suffix(unit) {
            return number(n, max_fraction)
                && !n.contains(|c: char| !c.is_ascii_digit() && c != '.');
        }
    }
    let Some(rest) = s.strip_suffix('s') else {
        return false;
    };
    let (hours, rest) = match rest.split_once('h') {
        Some((h, rest)) => (Some(h), rest),
        None => (None, rest),
    };
    let (minutes, seconds) = match rest.split_once('m') {
        Some((m, sec)) => (Some(m), sec),
        None => (None, rest),
    };
    let small = |v: &str| v.parse::<u64>().is_ok_and(|v| v < 60);
    let hours_ok = hours.is_none_or(|h| h.parse::<u64>().is_ok_and(|h| h > 0) && minutes.is_some());
    let minutes_ok = minutes.is_none_or(|m| small(m) && (hours.is_some() || m != "0"));
    let seconds_ok = number(seconds, 9)
        && seconds
            .split('.')
            .next()
            .is_some_and(|w| w.parse::<u64>().is_ok_and(|w| w < 60 || minutes.is_none()));
    hours_ok && minutes_ok && seconds_ok
}

fn is_rfc3339_utc(s: &str) -> bool {
    let b = s.as_bytes();
    let shape = b.len() >= 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && s.ends_with('Z');
    let fraction_ok = match &s[19..s.len() - 1] {
        "" => true,
        f => {
            f.starts_with('.')
                && f.len() <= 10
                && f.len() > 1
                && !f.ends_with('0')
                && f[1..].bytes().all(|c| c.is_ascii_digit())
        }
    };
    shape && fraction_ok && s.parse::<Timestamp>().is_ok()
}

#[test]
fn format_validators_accept_go_and_reject_others() {
    for ok in [
        "0B", "1023B", "1.5KiB", "1024KiB", "1.747TiB", "16EiB", "290.7MiB",
    ] {
        assert!(is_byte_size(ok), "{ok}");
    }
    for bad in [
        "1.50KiB",
        "1.7474TiB",
        "1 GiB",
        "12345B",
        "1.KiB",
        "1.5kB",
        "01B",
    ] {
        assert!(!is_byte_size(bad), "{bad}");
    }
    for ok in [
        "169h50m10.79588264s",
        "1h0m0s",
        "532µs",
        "250ms",
        "7ns",
        "45s",
        "1m1s",
        "59m58.000000001s",
    ] {
        assert!(is_go_duration(ok), "{ok}");
    }
    for bad in [
        "1h", "1h0s", "0m5s", "61s10", "1.50s", "1d2h", "1h60m0s", "10.0s",
    ] {
        assert!(!is_go_duration(bad), "{bad}");
    }
    assert!(is_rfc3339_utc("2025-03-10T08:15:22.79588264Z"));
    assert!(is_rfc3339_utc("1970-01-01T00:00:00Z"));
    assert!(!is_rfc3339_utc("2025-03-10T08:15:22.790Z"));
    assert!(!is_rfc3339_utc("2025-03-10 08:15:22Z"));
}

/// Every string under a format-bearing key, anywhere in the document.
fn check_formats(value: &J, path: &str, counts: &mut [usize; 3]) {
    match value {
        J::Obj(members) => {
            for (key, v) in members {
                if let J::Str(_, s) = v {
                    match key.as_str() {
                        "capacity" | "available" | "used_size" => {
                            assert!(is_byte_size(s), "{path}.{key} = {s:?}");
                            counts[0] += 1;
                        }
                        "uptime" => {
                            assert!(is_go_duration(s), "{path}.{key} = {s:?}");
                            counts[1] += 1;
                        }
                        "start_ts"
                        | "last_heartbeat_ts"
                        | "raft_bootstrap_time"
                        | "last_update_time" => {
                            assert!(is_rfc3339_utc(s), "{path}.{key} = {s:?}");
                            counts[2] += 1;
                        }
                        _ => {}
                    }
                }
                check_formats(v, &format!("{path}.{key}"), counts);
            }
        }
        J::Arr(items) => items.iter().for_each(|v| check_formats(v, path, counts)),
        // Nothing PD reports here is negative; a "-0" would be a float summed from nothing.
        J::Num(n) => assert!(!n.starts_with('-'), "{path} = {n}"),
        _ => {}
    }
}

#[tokio::test]
async fn sizes_durations_and_timestamps_use_go_formats() {
    let mut counts = [0usize; 3];
    for (regions, stores) in [(10, 3), (5_000, 4), (1, 3)] {
        let cluster = sim(regions, stores);
        for seconds in [-7_200, 0, UP, DISCONNECTED, DOWN, BACK, 3 * 86_400 + 17] {
            let r = router_at(&cluster, seconds);
            for path in [
                "/pd/api/v1/stores?state=0&state=1&state=2",
                "/pd/api/v1/cluster/status",
                "/pd/api/v1/hotspot/regions/write",
                "/pd/api/v1/hotspot/regions/read",
            ] {
                let reply = get(&r, path).await;
                assert_eq!(reply.status, StatusCode::OK, "{path}");
                check_formats(&parse(reply.text()), path, &mut counts);
            }
        }
    }
    assert!(counts.iter().all(|&c| c > 20), "{counts:?}");
}

// ---------------------------------------------------------------------------------------------
// Paging, determinism, scenario.

#[tokio::test]
async fn paging_regions_by_key_visits_every_region_once_in_key_order() {
    let cluster = sim(100_000, 3);
    let seconds = 3 * 3_600 + 250; // mid-outage, one split a minute since the epoch.
    let r = router_at(&cluster, seconds);
    let expected = cluster.region_count(at(seconds));
    assert_eq!(expected, 100_000 + seconds as u64 / 60);
    let mut seen = HashSet::new();
    let mut key = String::new();
    let mut previous_end: Option<String> = None;
    let mut pages = 0;
    loop {
        let reply = get(
            &r,
            &format!("/pd/api/v1/regions/key?key={key}&format=hex&limit=1000"),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.content_type(), DATA);
        let body = reply.json();
        let regions = body["regions"].as_array().unwrap();
        assert_eq!(body["count"].as_u64(), Some(regions.len() as u64));
        pages += 1;
        for region in regions {
            assert!(
                seen.insert(region["id"].as_u64().unwrap()),
                "region visited twice"
            );
            let start = region["start_key"].as_str().unwrap().to_owned();
            let end = region["end_key"].as_str().unwrap().to_owned();
            if let Some(previous) = &previous_end {
                assert_eq!(&start, previous, "regions must be contiguous in key order");
            } else {
                assert_eq!(start, "", "the first region starts at \"\"");
            }
            assert!(end.is_empty() || end > start, "keys must increase");
            previous_end = Some(end);
        }
        let last_end = previous_end.clone().unwrap();
        if last_end.is_empty() || regions.len() < 1000 {
            break;
        }
        key = last_end;
    }
    assert_eq!(
        previous_end.as_deref(),
        Some(""),
        "the walk ends at end_key \"\""
    );
    assert_eq!(seen.len() as u64, expected);
    assert_eq!(pages, 101);

    // limit above 10240 is clamped; limit <= 0 means no limit; end_key bounds the scan.
    let reply = get(&r, "/pd/api/v1/regions/key?limit=20000").await;
    assert_eq!(reply.json()["count"], 10_240);
    let small = sim(50, 3);
    let rs = router_at(&small, 0);
    assert_eq!(
        get(&rs, "/pd/api/v1/regions/key?limit=-1").await.json()["count"],
        50
    );
    assert_eq!(
        get(&rs, "/pd/api/v1/regions/key?limit=0").await.json()["count"],
        50
    );
    assert_eq!(get(&rs, "/pd/api/v1/regions/key").await.json()["count"], 16);
    let tenth = small.region_at(10, at(0)).unwrap();
    let path = format!(
        "/pd/api/v1/regions/key?key={}&end_key={}&format=hex&limit=0",
        small.region_at(3, at(0)).unwrap().start_key.to_hex(),
        tenth.start_key.to_hex()
    );
    let body = get(&rs, &path).await.json();
    assert_eq!(body["count"], 7);
    // Without format=hex the key is the raw bytes: region 1 starts at table 5's prefix.
    let table_5 = "%74%80%00%00%00%00%00%00%FF%05%00%00%00%00%00%00%00%F8";
    let raw = get(
        &rs,
        &format!("/pd/api/v1/regions/key?key={table_5}&limit=1"),
    )
    .await
    .json();
    assert_eq!(
        raw["regions"][0]["id"],
        small.region_at(1, at(0)).unwrap().id
    );
}

#[tokio::test]
async fn same_config_same_bytes() {
    let paths = [
        "/pd/api/v1/members",
        "/pd/api/v1/stores?state=0&state=1&state=2",
        "/pd/api/v1/store/5",
        "/pd/api/v1/regions",
        "/pd/api/v1/regions/key?limit=100",
        "/pd/api/v1/regions/store/1",
        "/pd/api/v1/regions/check/pending-peer",
        "/pd/api/v1/stats/region",
        "/pd/api/v1/hotspot/regions/write",
        "/pd/api/v1/hotspot/regions/read",
        "/pd/api/v1/hotspot/stores",
        "/pd/api/v1/cluster",
    ];
    let a = sim(3_000, 4);
    let b = sim(3_000, 4);
    let other_seed = Arc::new(SimCluster::new(SimConfig {
        seed: 43,
        ..config(3_000, 4)
    }));
    for seconds in [0, DOWN, BACK, 12_345] {
        let (ra, rb, rc) = (
            router_at(&a, seconds),
            router_at(&b, seconds),
            router_at(&other_seed, seconds),
        );
        let mut differs = false;
        for path in paths {
            let (x, y, z) = (
                get(&ra, path).await,
                get(&rb, path).await,
                get(&rc, path).await,
            );
            assert_eq!(x.status, StatusCode::OK, "{path}");
            assert_eq!(x.body, y.body, "{path} at {seconds}");
            differs |= x.body != z.body;
        }
        assert!(differs, "another seed gives another cluster");
    }
}

#[tokio::test]
async fn the_last_store_goes_disconnected_down_and_comes_back() {
    let cluster = sim(500, 3);
    let id = cluster.stores_at(at(0))[2].id;
    let mut previous_start = None;
    for cycle in [0, 1, 5] {
        let base = cycle * 600;
        let expect = [
            (base + UP, SimStoreState::Up),
            (base + DISCONNECTED, SimStoreState::Disconnected),
            (base + DOWN, SimStoreState::Down),
            (base + 470, SimStoreState::Down),
            (base + BACK, SimStoreState::Up),
        ];
        for (seconds, state) in expect {
            let r = router_at(&cluster, seconds);
            let store = get(&r, &format!("/pd/api/v1/store/{id}")).await.json();
            assert_eq!(store["store"]["state_name"], state.name(), "t = {seconds}");
            let fact = cluster.store_at(id, at(seconds)).unwrap();
            assert_eq!(fact.state, state);

            let down = get(&r, "/pd/api/v1/regions/check/down-peer").await.json();
            let miss = get(&r, "/pd/api/v1/regions/check/miss-peer").await.json();
            let stats = get(&r, "/pd/api/v1/stats/region").await.json();
            let regions = cluster.region_count(at(seconds));
            match state {
                SimStoreState::Up => {
                    assert_eq!(down["count"], 0, "t = {seconds}");
                    assert!(fact.uptime_ns().is_some());
                }
                SimStoreState::Disconnected | SimStoreState::Down => {
                    // Every region has a peer on it (3 stores, 3 replicas).
                    assert_eq!(down["count"], regions, "t = {seconds}");
                    let region = &down["regions"][0];
                    let silent = (at(seconds).as_nanosecond() - i128::from(fact.last_heartbeat_ns))
                        / 1_000_000_000;
                    assert_eq!(
                        region["down_peers"][0]["down_seconds"]
                            .as_i64()
                            .map(i128::from),
                        Some(silent)
                    );
                    assert_eq!(region["down_peers"][0]["peer"]["store_id"], id);
                    assert_eq!(region["pending_peers"][0]["store_id"], id);
                    // Leaders moved away after the election.
                    assert_eq!(fact.leader_count, 0, "t = {seconds}");
                    assert!(stats["store_leader_count"].get(id.to_string()).is_none());
                    if state == SimStoreState::Down {
                        assert_eq!(miss["count"], regions);
                    }
                }
                SimStoreState::Tombstone | SimStoreState::Offline => unreachable!(),
            }
            if seconds == base + BACK {
                // Restarted: a new process start, uptime counted from it, leaders back.
                assert_eq!(fact.start_timestamp, (at(base + 480).as_second()));
                assert!(fact.uptime_ns().unwrap() < 60_000_000_000);
                assert!(fact.leader_count > 0);
                assert_ne!(Some(fact.start_timestamp), previous_start);
                previous_start = Some(fact.start_timestamp);
            }
        }
    }
    // The other stores never miss a heartbeat, and the tombstone stays hidden from /stores.
    let r = router_at(&cluster, DOWN);
    let stores = get(&r, "/pd/api/v1/stores").await.json();
    assert_eq!(stores["count"], 3);
    let states: Vec<&str> = stores["stores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["store"]["state_name"].as_str().unwrap())
        .collect();
    assert_eq!(states.iter().filter(|s| **s == "Up").count(), 2);
    let tombstones = get(&r, "/pd/api/v1/stores?state=2").await.json();
    assert_eq!(tombstones["stores"][0]["store"]["state_name"], "Tombstone");
    assert_eq!(tombstones["stores"][0]["store"]["node_state"], 3);
}

#[tokio::test]
async fn regions_split_and_leaders_move_over_time() {
    let cluster = sim(1_000, 3);
    assert_eq!(cluster.region_count(at(-60)), 1_000);
    assert_eq!(cluster.region_count(at(0)), 1_000);
    assert_eq!(cluster.region_count(at(3_600)), 1_060);
    let last = cluster.region_at(1_059, at(3_600)).unwrap();
    assert!(last.end_key.is_empty());
    assert_eq!(
        last.id,
        cluster.region_at(999, at(0)).unwrap().id,
        "the split region keeps its id"
    );
    let leaders = |seconds| -> Vec<u64> {
        cluster
            .regions(0..1_000, at(seconds))
            .iter()
            .map(|r| r.leader.unwrap().store_id)
            .collect()
    };
    let (before, after) = (leaders(60), leaders(60 + 1_800));
    let moved = before.iter().zip(&after).filter(|(a, b)| a != b).count();
    assert!(moved > 100, "{moved} leaders moved in 30 minutes");
    // Store totals agree with the regions.
    let stores = cluster.stores_at(at(3_600));
    let leader_total: u64 = stores.iter().map(|s| s.leader_count).sum();
    assert_eq!(leader_total, 1_060);
    let load_noon = cluster.load_factor("2025-03-10T12:00:00Z".parse().unwrap());
    let load_midnight = cluster.load_factor("2025-03-11T00:30:00Z".parse().unwrap());
    assert!(load_noon > load_midnight);
}

#[tokio::test]
async fn odd_clocks_and_tiny_clusters_never_panic() {
    for (regions, stores) in [(1, 1), (2, 3), (3, 3), (7, 9)] {
        let cluster = Arc::new(SimCluster::new(SimConfig {
            max_splits: 100,
            ..config(regions, stores)
        }));
        for now in [
            Timestamp::MIN,
            Timestamp::UNIX_EPOCH,
            at(-1),
            at(1),
            at(1 << 33),
            Timestamp::MAX,
        ] {
            let router = pd_router(cluster.clone(), Clock::Fixed(now));
            for path in [
                "/pd/api/v1/stores?state=0&state=1&state=2",
                "/pd/api/v1/regions",
                "/pd/api/v1/regions/key?key=&limit=-1",
                "/pd/api/v1/regions/store/1?type=pending",
                "/pd/api/v1/regions/check/miss-peer",
                "/pd/api/v1/stats/region?start_key=t&end_key=u",
                "/pd/api/v1/hotspot/regions/write?store_id=1&store_id=77",
                "/pd/api/v1/hotspot/stores",
                "/pd/api/v1/region/key/%FF%FF?format=raw",
            ] {
                let reply = get(&router, path).await;
                assert_eq!(
                    reply.status,
                    StatusCode::OK,
                    "{path} with {regions} regions at {now}"
                );
                let _ = parse(reply.text());
            }
        }
        assert_eq!(cluster.region_count(at(0)), regions);
        let last = cluster.find_region_by_key(b"\xff\xff", at(0));
        assert!(last.end_key.is_empty());
        assert_eq!(last.index, regions - 1);
    }
}

#[test]
fn the_simulator_is_shareable_across_threads() {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<SimCluster>();
    shareable::<Clock>();
}

#[tokio::test]
async fn a_scale_in_progresses_pauses_and_finishes() {
    // Cycle 0's store (id 2000) is scaled in 2 minutes before the epoch; with three stores its
    // moves stall while the flapping store is not up (2:20 to 8:00).
    let cluster = scaling_sim(300, 3);
    let id = tikv_sim::SCALE_ID_BASE;
    let mut seen = Vec::new();
    for seconds in (-115..900).step_by(10) {
        let r = router_at(&cluster, seconds);
        let store = get(&r, &format!("/pd/api/v1/store/{id}")).await.json();
        let state = store["store"]["state_name"].as_str().unwrap().to_owned();
        let reply = get(&r, &format!("/pd/api/v1/stores/progress?id={id}")).await;
        let progress = (reply.status == StatusCode::OK).then(|| reply.json());
        let regions = store["status"]["region_count"].as_u64().unwrap();
        seen.push((seconds, state, progress, regions));
    }
    let removing: Vec<_> = seen.iter().filter(|s| s.2.is_some()).collect();
    assert!(removing.len() > 20, "{seen:?}");
    let mut last = -1.0;
    for (seconds, state, progress, _) in &removing {
        let p = progress.as_ref().unwrap();
        assert_eq!(state, "Offline", "t = {seconds}");
        assert_eq!(p["action"], "removing");
        let value = p["progress"].as_f64().unwrap();
        assert!(value >= last, "t = {seconds}: {value} < {last}");
        last = value;
    }
    assert!((last - 1.0).abs() < 1e-9, "the removal finished: {last}");
    // While the moves stall (the flapping store down) the speed decays and the ETA grows; before
    // and after it, the ETA shrinks as the regions leave.
    let eta = |s: i64| {
        removing
            .iter()
            .find(|(t, ..)| *t == s)
            .and_then(|(_, _, p, _)| p.as_ref()?["left_seconds"].as_f64())
            .unwrap()
    };
    assert!(eta(95) < eta(25), "{} vs {}", eta(95), eta(25));
    assert!(eta(395) > eta(195));
    let regions_at = |s: i64| seen.iter().find(|(t, ..)| *t == s).unwrap().3;
    assert_eq!(
        regions_at(205),
        regions_at(395),
        "no region leaves while blocked"
    );
    // Then a tombstone, no longer listed by /stores, its progress gone.
    let (_, state, progress, regions) = seen.last().unwrap();
    assert_eq!(state, "Tombstone");
    assert!(progress.is_none());
    assert_eq!(*regions, 0);
    let r = router_at(&cluster, 890);
    let stores = get(&r, "/pd/api/v1/stores").await.json();
    assert!(
        stores["stores"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["store"]["id"] != id)
    );
    // The evict-leader scheduler still holds it: a leftover until 2:00 of the next cycle (1200 s).
    let schedulers = get(&r, "/pd/api/v1/schedulers").await.json();
    assert!(
        schedulers
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("evict-leader-scheduler"))
    );
    let config = get(
        &r,
        "/pd/api/v1/scheduler-config/evict-leader-scheduler/list",
    )
    .await
    .json();
    assert!(
        config["store-id-ranges"].get(id.to_string()).is_some(),
        "{config}"
    );
    let r = router_at(&cluster, 1_205);
    let schedulers = get(&r, "/pd/api/v1/schedulers").await.json();
    assert_eq!(schedulers.as_array().unwrap().len(), 4, "{schedulers}");
    // The next cycle's store (2001) prepares: regions arrive, progress rises.
    let p1 = get(
        &router_at(&cluster, 1_150),
        "/pd/api/v1/stores/progress?id=2001",
    )
    .await
    .json();
    let p2 = get(
        &router_at(&cluster, 1_250),
        "/pd/api/v1/stores/progress?id=2001",
    )
    .await
    .json();
    assert_eq!(p1["action"], "preparing");
    assert!(p2["progress"].as_f64().unwrap() > p1["progress"].as_f64().unwrap());
    let by_action = get(
        &router_at(&cluster, 1_250),
        "/pd/api/v1/stores/progress?action=preparing",
    )
    .await
    .json();
    assert_eq!(by_action["progress"], p2["progress"]);
    assert!(by_action.get("store_id").is_none());
}

#[tokio::test]
async fn round2_error_answers_are_pds_own() {
    let cluster = scaling_sim(100, 3);
    let r = router_at(&cluster, UP);
    let reply = get(&r, "/pd/api/v1/stores/progress?id=1").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.body, fixture("error_progress_not_found.txt"));
    let reply = get(&r, "/pd/api/v1/stores/progress").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.text(), "\"need query parameters\"\n");
    let reply = get(&r, "/pd/api/v1/stores/progress?id=x").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json()["code"], "input");
    let reply = get(&r, "/pd/api/v1/stores/progress?action=preparing").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let reply = get(&r, "/pd/api/v1/checker/nope").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        reply.text(),
        "\"[PD:checker:ErrCheckerNotFound]checker not found\"\n"
    );
    for path in [
        "/pd/api/v1/scheduler-config/balance-leader-scheduler/list",
        "/pd/api/v1/scheduler-config/evict-slow-store-scheduler/nope",
        "/pd/api/v1/scheduler-config",
    ] {
        let reply = get(&r, path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(reply.content_type(), TEXT, "{path}");
    }
    let reply = get(&r, "/pd/api/v1/min-resolved-ts?scope=1,x").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let reply = get(&r, "/pd/api/v1/min-resolved-ts?scope=1,4").await.json();
    let stores = reply["stores_min_resolved_ts"].as_object().unwrap();
    assert_eq!(stores.len(), 2);
    assert_eq!(
        reply["min_resolved_ts"],
        stores.values().map(|v| v.as_u64().unwrap()).min().unwrap()
    );
}
