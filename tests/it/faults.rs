//! Fault injection through the real server: PD endpoints that refuse or hang, a PD that is
//! down altogether (fail fast, then stale answers within the stale window), Prometheus dying
//! mid-run, and upstream bodies that are broken or far too large.
//!
//! Every test is bounded in time ([`bounded`]), talks to 127.0.0.1 only, and prints what it
//! tried and injected (`cargo test -- --nocapture` shows the lines):
//! `faults[<test>]: requests tried N, faults injected M, failures F (...)`.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use tikv_lens::upstream::{CacheTtls, UpstreamLimits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::support::fake_prometheus::{
    FakePrometheus, PROM_JSON, QUERY, QUERY_RANGE, cluster_with_prometheus, prometheus_canned,
    prometheus_fixture,
};
use crate::support::{
    Answer, Canned, FakePd, Lens, PD_DATA, PD_JSON, PD_TEXT, cluster, fixture, refused_url,
    store_ids, test_limits,
};

/// Runs a test body under a cap, so that no regression can hang the suite.
async fn bounded<F: Future>(seconds: u64, body: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(seconds), body)
        .await
        .unwrap_or_else(|_| panic!("the test did not finish within {seconds} s"))
}

/// What one test tried and injected, printed at its end.
struct Tally {
    test: &'static str,
    tried: usize,
    faults: usize,
    failures: usize,
    notes: Vec<String>,
}

impl Tally {
    fn new(test: &'static str) -> Self {
        Self {
            test,
            tried: 0,
            faults: 0,
            failures: 0,
            notes: Vec::new(),
        }
    }

    fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    fn report(&self) {
        eprintln!(
            "faults[{}]: requests tried {}, faults injected {}, failures {} ({})",
            self.test,
            self.tried,
            self.faults,
            self.failures,
            self.notes.join("; ")
        );
    }
}

const CLUSTER: &str = "/api/v1/clusters/default";
const STORES: &str = "/api/v1/clusters/default/stores";
const PD_STORES: &str = "/pd/api/v1/stores";
const PD_MEMBERS: &str = "/pd/api/v1/members";
const PD_FIRST_PAGE: &str = "/pd/api/v1/regions/key?key=&limit=3";

/// Every PD answer the routes of [`MIX`] read: the v8.5 fixtures.
fn cluster_answers() -> Vec<(String, Canned)> {
    let mut answers: Vec<(String, Canned)> = [
        (PD_MEMBERS, "members.json"),
        ("/pd/api/v1/health", "health.json"),
        ("/pd/api/v1/status", "status.json"),
        (PD_STORES, "stores.json"),
        (
            "/pd/api/v1/stores?state=0&state=1&state=2",
            "stores_state_0_1_2.json",
        ),
        ("/pd/api/v1/store/1", "store_1.json"),
        ("/pd/api/v1/regions/count", "regions_count.json"),
        (
            "/pd/api/v1/hotspot/regions/read",
            "hotspot_regions_read.json",
        ),
    ]
    .into_iter()
    .map(|(path, name)| (path.to_owned(), Canned::json(name)))
    .collect();
    answers.push((
        PD_FIRST_PAGE.to_owned(),
        Canned::new(200, PD_DATA, fixture("regions_key_limit3.json")),
    ));
    answers.push((
        "/pd/api/v1/region/id/2".to_owned(),
        Canned::new(200, PD_DATA, fixture("region_2.json")),
    ));
    for kind in [
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
        let file = match kind {
            "down-peer" => "regions_check_down_peer.json",
            "pending-peer" => "regions_check_pending_peer.json",
            "learner-peer" => "regions_check_learner_peer.json",
            _ => "regions_store_unknown_id.json",
        };
        answers.push((
            format!("/pd/api/v1/regions/check/{kind}"),
            Canned::new(200, PD_DATA, fixture(file)),
        ));
    }
    answers
}

/// A fake PD answering every read of [`MIX`], each after `delay`.
async fn pd_serving_everything(delay: Duration) -> FakePd {
    let pd = FakePd::start().await;
    for (path, canned) in cluster_answers() {
        pd.serve(&path, canned.delayed(delay));
    }
    pd
}

/// A mix of PD-backed routes: lists, lookups, the overview (which reads six PD resources and
/// nine region checks at once), paging, hotspots.
const MIX: [&str; 10] = [
    "/api/v1/clusters",
    "/api/v1/clusters/default",
    "/api/v1/clusters/default/members",
    "/api/v1/clusters/default/stores",
    "/api/v1/clusters/default/stores/1",
    "/api/v1/clusters/default/stores?state=up,tombstone",
    "/api/v1/clusters/default/regions?limit=3",
    "/api/v1/clusters/default/regions/2",
    "/api/v1/clusters/default/regions/health",
    "/api/v1/clusters/default/hotspots/read",
];

/// Asserts the answer of a [`MIX`] route is complete: 200, fresh, and (where the route has
/// them) without warnings, as when every PD endpoint is healthy.
fn assert_complete(path: &str, answer: &Answer) {
    let body = answer.ok();
    if path == "/api/v1/clusters" {
        assert_ne!(body["clusters"][0]["health"], "unreachable", "{body}");
        return;
    }
    assert_eq!(body["stale"], false, "{path}: {body}");
    assert_eq!(body["warnings"], serde_json::json!([]), "{path}: {body}");
    if path == STORES {
        assert_eq!(store_ids(body), ["1", "4", "5"], "{path}");
    }
}

// ---- 1. One PD endpoint of three refuses connections ----

#[tokio::test]
async fn one_refusing_pd_endpoint_of_three_costs_no_request() {
    bounded(120, async {
        let mut tally = Tally::new("one_refusing_pd_endpoint_of_three");
        // The refusing endpoint is first, where every read starts until one fails over.
        let refused = refused_url().await;
        let a = pd_serving_everything(Duration::ZERO).await;
        let b = pd_serving_everything(Duration::ZERO).await;
        let lens = Lens::single(&[refused, a.url(), b.url()]).await;

        let answers: Vec<(usize, Answer)> = futures::stream::iter(0..200)
            .map(|i| {
                let lens = &lens;
                async move { (i, lens.get(MIX[i % MIX.len()]).await) }
            })
            .buffer_unordered(8)
            .collect()
            .await;
        for (i, answer) in &answers {
            tally.tried += 1;
            if answer.status != 200 {
                tally.failures += 1;
            }
            assert_complete(MIX[i % MIX.len()], answer);
        }
        let served = a.total_hits() + b.total_hits();
        // One endpoint refusing; a read meets it only while it is still the preferred one.
        tally.faults = 1;
        tally.note(format!(
            "1 of 3 endpoints refusing connections; PD reads served by the other two: {served}"
        ));
        tally.report();
        assert_eq!(tally.failures, 0);
        assert!(served > 0);
    })
    .await;
}

// ---- 2. The first (leader) endpoint hangs ----

#[tokio::test]
async fn a_hung_first_endpoint_leaves_every_request_within_the_pd_deadline() {
    bounded(120, async {
        let mut tally = Tally::new("hung_first_endpoint");
        let limits = test_limits();
        // Every path the routes read hangs for 10 s on the first endpoint.
        let hung = pd_serving_everything(Duration::from_secs(10)).await;
        let a = pd_serving_everything(Duration::ZERO).await;
        let b = pd_serving_everything(Duration::ZERO).await;
        let lens = Lens::single(&[hung.url(), a.url(), b.url()]).await;

        // First wave: every route at once, while every read still starts at the hung endpoint.
        // Then 40 more, eight at a time.
        let timed = |path: &'static str| {
            let lens = &lens;
            async move {
                let started = Instant::now();
                let answer = lens.get(path).await;
                (path, started.elapsed(), answer)
            }
        };
        let mut answers: Vec<(&str, Duration, Answer)> =
            futures::future::join_all(MIX.iter().map(|p| timed(p))).await;
        let hung_after_first_wave = hung.total_hits();
        let rest: Vec<(&str, Duration, Answer)> = futures::stream::iter(0..40)
            .map(|i| timed(MIX[i % MIX.len()]))
            .buffer_unordered(8)
            .collect()
            .await;
        answers.extend(rest);

        let mut slowest = Duration::ZERO;
        for (path, elapsed, answer) in &answers {
            tally.tried += 1;
            if answer.status != 200 || *elapsed >= limits.pd_timeout {
                tally.failures += 1;
            }
            assert_complete(path, answer);
            assert!(
                *elapsed < limits.pd_timeout,
                "{path} took {elapsed:?}, beyond the PD deadline {:?}",
                limits.pd_timeout
            );
            slowest = slowest.max(*elapsed);
        }
        tally.faults = hung.total_hits();
        tally.note(format!(
            "reads that met the hung endpoint: {} (first wave {hung_after_first_wave}); slowest answer {slowest:?}; PD deadline {:?}, attempt {:?}",
            hung.total_hits(),
            limits.pd_timeout,
            limits.pd_attempt_timeout
        ));
        tally.report();
        assert!(hung_after_first_wave > 0, "the hung endpoint was never tried");
        // Once a read failed over, reads start at the endpoint that answered.
        assert_eq!(
            hung.total_hits(),
            hung_after_first_wave,
            "reads kept going to the hung endpoint"
        );
        assert!(a.total_hits() + b.total_hits() > 0);
    })
    .await;
}

// ---- 3. Every PD endpoint down ----

#[tokio::test]
async fn every_pd_endpoint_refusing_is_a_fast_503() {
    bounded(60, async {
        let mut tally = Tally::new("every_pd_endpoint_refusing");
        let limits = test_limits();
        let urls = [refused_url().await, refused_url().await, refused_url().await];
        let lens = Lens::single(&urls).await;

        let first = lens.get(STORES).await;
        tally.tried += 1;
        let problem = first.problem(503);
        assert_eq!(problem["upstream"], "pd");
        assert_eq!(
            problem["type"],
            "urn:tikv-lens:problem:upstream-unavailable"
        );
        let answered = Instant::now();

        // Within the backoff that follows (at least 500 ms), every read fails at once.
        let bound = Duration::from_millis(300);
        let mut slowest = Duration::ZERO;
        // Every PD-backed route but the cluster list (which answers 200, "unreachable").
        for path in MIX.iter().skip(1).cycle().take(20) {
            if answered.elapsed() > Duration::from_millis(400) {
                break;
            }
            let started = Instant::now();
            let answer = lens.get(path).await;
            let elapsed = started.elapsed();
            tally.tried += 1;
            let problem = answer.problem(503);
            assert_eq!(problem["upstream"], "pd", "{path}");
            assert!(
                elapsed < bound,
                "{path} took {elapsed:?} while PD was known down (attempts time out after {:?})",
                limits.pd_attempt_timeout
            );
            slowest = slowest.max(elapsed);
        }
        tally.faults = 3;
        tally.failures = 0;
        tally.note(format!(
            "3 of 3 endpoints refusing; every answer a 503 problem; slowest {slowest:?} (bound {bound:?})"
        ));
        tally.report();
        assert!(tally.tried > 1, "no request fell within the backoff");
    })
    .await;
}

/// Endpoints that answer PD's "no leader" 503 only after 400 ms each: one round over three of
/// them takes 1.2 s. After such a round every read fails at once until the backoff ends,
/// without asking PD; then one round is tried again.
#[tokio::test]
async fn after_a_round_of_slow_503s_reads_fail_fast_without_asking_pd() {
    bounded(60, async {
        let mut tally = Tally::new("slow_leaderless_pd_backoff");
        let slow = Duration::from_millis(400);
        let mut pds = Vec::new();
        for _ in 0..3 {
            let pd = FakePd::start().await;
            pd.serve(
                PD_STORES,
                Canned::new(503, PD_TEXT, fixture("error_redirect_no_leader.txt")).delayed(slow),
            );
            pds.push(pd);
        }
        let urls: Vec<String> = pds.iter().map(FakePd::url).collect();
        let lens = Lens::single(&urls).await;
        let hits = || pds.iter().map(FakePd::total_hits).sum::<usize>();

        let started = Instant::now();
        let first = lens.get(STORES).await;
        let round = started.elapsed();
        tally.tried += 1;
        let problem = first.problem(503);
        assert_eq!(problem["upstream"], "pd");
        assert_eq!(problem["upstream_status"], 503);
        assert_eq!(hits(), 3, "one attempt per endpoint");
        assert!(round >= slow * 3, "{round:?}");
        let answered = Instant::now();

        let bound = Duration::from_millis(300);
        let mut fast = 0;
        while answered.elapsed() < Duration::from_millis(250) {
            let started = Instant::now();
            let answer = lens.get(STORES).await;
            let elapsed = started.elapsed();
            tally.tried += 1;
            assert_eq!(answer.problem(503)["upstream"], "pd");
            assert!(elapsed < bound, "{elapsed:?} during the backoff");
            fast += 1;
        }
        assert_eq!(hits(), 3, "PD was asked again during the backoff");

        // The backoff ends: the next read tries PD again (a whole round), then backs off longer.
        tokio::time::sleep(Duration::from_millis(700)).await;
        let again = lens.get(STORES).await;
        tally.tried += 1;
        assert_eq!(again.problem(503)["upstream_status"], 503);
        assert_eq!(hits(), 6, "one more round after the backoff");

        tally.faults = hits();
        tally.note(format!(
            "slow 503 round took {round:?}; {fast} reads within the backoff each under {bound:?} with no PD request"
        ));
        tally.report();
        assert!(fast >= 1);
    })
    .await;
}

/// Waits until nothing listens on `addr` any more (a fake that was dropped has let go of it).
async fn wait_until_refused(addr: std::net::SocketAddr) {
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{addr} still accepts connections");
}

/// A cluster in front of `pd_url` with the production TTLs, `/stores` kept only 100 ms.
fn short_stores_ttl(pd_url: &str) -> tikv_lens::config::ClusterConfig {
    let mut c = cluster("default", &[pd_url.to_owned()]);
    c.cache = CacheTtls {
        stores: Duration::from_millis(100),
        ..CacheTtls::default()
    };
    c
}

#[tokio::test]
async fn a_pd_outage_serves_the_last_good_answer_marked_stale() {
    bounded(60, async {
        let mut tally = Tally::new("pd_outage_stale_answers");
        let pd = FakePd::start().await;
        pd.serve_v85_cluster();
        let addr = pd.addr;
        let lens = Lens::start(
            vec![short_stores_ttl(&pd.url())],
            UpstreamLimits {
                stale_window: Duration::from_secs(600),
                ..test_limits()
            },
        )
        .await;

        let good = lens.get(STORES).await;
        tally.tried += 1;
        let good = good.ok().clone();
        assert_eq!(good["stale"], false);
        assert_eq!(store_ids(&good), ["1", "4", "5"]);

        // PD goes away; the 100 ms TTL passes.
        drop(pd);
        wait_until_refused(addr).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        tally.faults += 1;

        // Twice: the read that finds PD down, and one during the backoff that follows.
        for attempt in ["first after the outage", "during the backoff"] {
            let answer = lens.get(STORES).await;
            tally.tried += 1;
            let body = answer.ok();
            assert_eq!(body["stale"], true, "{attempt}: {body}");
            assert_eq!(body["observed_at"], good["observed_at"], "{attempt}");
            assert_eq!(body["stores"], good["stores"], "{attempt}");
            let warnings = body["warnings"].as_array().unwrap();
            assert!(
                warnings.iter().any(|w| w["source"] == "pd"
                    && w["message"]
                        .as_str()
                        .is_some_and(|m| m.starts_with("stale"))),
                "{attempt}: {warnings:?}"
            );
            // A stale answer is not fresh for any time.
            assert_eq!(
                answer.headers["cache-control"], "max-age=0",
                "{attempt}: {:?}",
                answer.headers
            );
        }
        // A question PD never answered has nothing to stand in for it.
        let never_read = lens.get(&format!("{STORES}/1")).await;
        tally.tried += 1;
        assert_eq!(never_read.problem(503)["upstream"], "pd");
        tally.note(format!(
            "stale answers observed at {} served after PD stopped",
            good["observed_at"]
        ));
        tally.report();
    })
    .await;
}

#[tokio::test]
async fn without_a_stale_window_a_pd_outage_is_a_503() {
    bounded(60, async {
        let mut tally = Tally::new("pd_outage_no_stale_window");
        let pd = FakePd::start().await;
        pd.serve_v85_cluster();
        let addr = pd.addr;
        let lens = Lens::start(
            vec![short_stores_ttl(&pd.url())],
            UpstreamLimits {
                stale_window: Duration::ZERO,
                ..test_limits()
            },
        )
        .await;
        let good = lens.get(STORES).await;
        tally.tried += 1;
        assert_eq!(good.ok()["stale"], false);

        drop(pd);
        wait_until_refused(addr).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        tally.faults += 1;

        let answer = lens.get(STORES).await;
        tally.tried += 1;
        let problem = answer.problem(503);
        assert_eq!(problem["upstream"], "pd");
        assert_eq!(
            problem["type"],
            "urn:tikv-lens:problem:upstream-unavailable"
        );
        tally.report();
    })
    .await;
}

// ---- 4. Prometheus dies mid-run ----

#[tokio::test]
async fn prometheus_killed_mid_run_leaves_pd_routes_untouched() {
    bounded(120, async {
        let mut tally = Tally::new("prometheus_killed_mid_run");
        let pd = pd_serving_everything(Duration::ZERO).await;
        let prometheus = FakePrometheus::start().await;
        prometheus
            .answer_any(QUERY, prometheus_canned("query_vector_qps.json"))
            .answer_any(QUERY_RANGE, prometheus_canned("query_range_empty_matrix.json"));
        let lens = Lens::start(
            vec![cluster_with_prometheus(
                "default",
                &[pd.url()],
                &prometheus.url(),
            )],
            test_limits(),
        )
        .await;

        // Four workers loop over PD routes and metric routes until 160 answers; the main task
        // stops Prometheus after the 60th. Each answer is classified by whether its request
        // started after Prometheus was gone.
        let metric_routes = [
            "/api/v1/clusters/default/stores?include=metrics",
            // A different evaluation time each time: no earlier answer can stand in for it.
            "/api/v1/clusters/default/metrics/query?query=up&time=",
        ];
        let prometheus = std::sync::Mutex::new(Some(prometheus));
        let done = AtomicUsize::new(0);
        let gone = AtomicBool::new(false);
        let next = AtomicUsize::new(0);
        let total = 160;
        let kill_after = 60;
        let results = std::sync::Mutex::new(Vec::new());
        let worker = || async {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let path = if i % 3 == 2 {
                    let route = metric_routes[(i / 3) % 2];
                    if route.ends_with("time=") {
                        format!("{route}{}", 1_795_744_800 - i)
                    } else {
                        route.to_owned()
                    }
                } else {
                    MIX[i % MIX.len()].to_owned()
                };
                let after = gone.load(Ordering::SeqCst);
                let answer = lens.get(&path).await;
                results.lock().unwrap().push((path, after, answer));
                if done.fetch_add(1, Ordering::SeqCst) + 1 == kill_after {
                    // Stop Prometheus: dropping the fake closes its listener.
                    let addr = {
                        let p = prometheus.lock().unwrap().take().unwrap();
                        let addr = p.addr;
                        drop(p);
                        addr
                    };
                    wait_until_refused(addr).await;
                    gone.store(true, Ordering::SeqCst);
                }
            }
        };
        futures::future::join_all((0..4).map(|_| worker())).await;

        let results = results.into_inner().unwrap();
        let mut after_kill = 0;
        for (path, after, answer) in &results {
            tally.tried += 1;
            assert_ne!(answer.status, 500, "{path}: {}", answer.json);
            let is_metric = path.contains("metrics");
            if !is_metric {
                // PD routes: exactly as with a healthy Prometheus.
                if answer.status != 200 {
                    tally.failures += 1;
                }
                if path == CLUSTER {
                    // The overview also has a Prometheus part: only that may be missing (or
                    // stale, which then makes the answer `stale`); PD's parts are all there.
                    let body = answer.ok();
                    assert!(body["stores"].is_object() && body["pd"].is_object(), "{body}");
                    assert!(
                        body["warnings"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .all(|w| w["source"] == "prometheus"),
                        "{body}"
                    );
                } else {
                    assert_complete(path, answer);
                }
                continue;
            }
            if !after {
                continue;
            }
            after_kill += 1;
            if path.contains("include=metrics") {
                // The store list still answers; the metric part says Prometheus is missing.
                let body = answer.ok();
                assert_eq!(store_ids(body), ["1", "4", "5"]);
                assert!(
                    body["warnings"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|w| w["source"] == "prometheus"),
                    "{body}"
                );
            } else {
                let problem = answer.problem(503);
                assert_eq!(problem["upstream"], "prometheus", "{problem}");
            }
        }
        tally.faults = after_kill;
        tally.note(format!(
            "Prometheus stopped after {kill_after} answers; {after_kill} metric requests started after it was gone; every PD route answered in full"
        ));
        tally.report();
        assert_eq!(tally.failures, 0);
        assert!(after_kill > 0, "no metric request ran after the kill");
        assert_eq!(results.len(), total);
    })
    .await;
}

// ---- 5. Broken and oversized bodies ----

/// One upstream body a route reads, and how to break it.
struct BodyRoute {
    route: &'static str,
    upstream: &'static str,
    /// The path (and query) of the upstream request the route makes.
    upstream_path: &'static str,
    content_type: &'static str,
    good: Vec<u8>,
    /// A valid JSON body whose types are wrong.
    wrong_types: &'static str,
    /// A string in `good` whose value tikv-lens reads, to make invalid UTF-8.
    utf8_needle: &'static str,
}

fn body_routes() -> Vec<BodyRoute> {
    vec![
        BodyRoute {
            route: STORES,
            upstream: "pd",
            upstream_path: PD_STORES,
            content_type: PD_JSON,
            good: fixture("stores.json"),
            wrong_types: r#"{"count":1,"stores":[{"store":{"id":"one"}}]}"#,
            utf8_needle: "10.0.1.22:20160",
        },
        BodyRoute {
            route: "/api/v1/clusters/default/members",
            upstream: "pd",
            upstream_path: PD_MEMBERS,
            content_type: PD_JSON,
            good: fixture("members.json"),
            wrong_types: r#"{"header":{"cluster_id":"x"},"members":[{"name":5,"member_id":[]}]}"#,
            utf8_needle: "pd-10.0.1.11-2379",
        },
        BodyRoute {
            route: "/api/v1/clusters/default/regions?limit=3",
            upstream: "pd",
            upstream_path: PD_FIRST_PAGE,
            content_type: PD_DATA,
            good: fixture("regions_key_limit3.json"),
            wrong_types: r#"{"count":1,"regions":[{"id":"two","start_key":7,"peers":{}}]}"#,
            utf8_needle: "Voter",
        },
        BodyRoute {
            route: "/api/v1/clusters/default/metrics/query?query=up",
            upstream: "prometheus",
            upstream_path: QUERY,
            content_type: PROM_JSON,
            good: prometheus_fixture("query_vector_qps.json"),
            wrong_types: r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"instance":5},"value":["x",1]}]}}"#,
            utf8_needle: "tikv-0:20180",
        },
    ]
}

/// `good` with invalid UTF-8 (`\xc3\x28`, a lead byte without its continuation) in the
/// middle of the first occurrence of `needle`.
fn with_invalid_utf8(good: &[u8], needle: &str) -> Vec<u8> {
    let at = good
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())
        .unwrap_or_else(|| panic!("{needle} is not in the body"))
        + needle.len() / 2;
    let mut body = good[..at].to_vec();
    body.extend_from_slice(b"\xc3\x28");
    body.extend_from_slice(&good[at..]);
    body
}

const CAP: usize = 1024 * 1024;

#[tokio::test]
async fn broken_and_oversized_bodies_are_502s_naming_the_upstream() {
    bounded(120, async {
        let mut tally = Tally::new("broken_bodies");
        let pd = pd_serving_everything(Duration::ZERO).await;
        let prometheus = FakePrometheus::start().await;
        let lens = Lens::start(
            vec![cluster_with_prometheus(
                "default",
                &[pd.url()],
                &prometheus.url(),
            )],
            UpstreamLimits {
                max_body_bytes: CAP,
                ..test_limits()
            },
        )
        .await;
        let html = "<html><head><title>502 Bad Gateway</title></head>\n<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n";

        for r in body_routes() {
            // The good body padded past the cap with whitespace (still valid JSON): only the
            // size can be wrong with it.
            let mut oversized = r.good.clone();
            oversized.resize(2 * CAP, b' ');
            let cases: Vec<(&str, Canned, &str)> = vec![
                (
                    "truncated JSON",
                    Canned::new(200, r.content_type, r.good[..r.good.len() / 2].to_vec()),
                    "upstream-bad-response",
                ),
                (
                    "HTML error page",
                    Canned::new(200, "text/html; charset=utf-8", html),
                    "upstream-bad-response",
                ),
                (
                    "wrong types",
                    Canned::new(200, r.content_type, r.wrong_types),
                    "upstream-bad-response",
                ),
                (
                    "not UTF-8 at all",
                    Canned::new(200, r.content_type, b"\xff\xfe\xfd\xfc".to_vec()),
                    "upstream-bad-response",
                ),
                (
                    "invalid UTF-8 in a string",
                    Canned::new(200, r.content_type, with_invalid_utf8(&r.good, r.utf8_needle)),
                    "upstream-bad-response",
                ),
                (
                    "over the cap, with Content-Length",
                    Canned::new(200, r.content_type, oversized.clone()),
                    "upstream-too-large",
                ),
                (
                    "over the cap, streamed without Content-Length",
                    Canned::new(200, r.content_type, oversized).chunked(),
                    "upstream-too-large",
                ),
            ];
            for (what, canned, kind) in cases {
                if r.upstream == "pd" {
                    pd.serve(r.upstream_path, canned);
                } else {
                    prometheus.answer_any(r.upstream_path, canned);
                }
                tally.faults += 1;
                let answer = lens.get(r.route).await;
                tally.tried += 1;
                if answer.status != 502 {
                    tally.failures += 1;
                }
                assert_ne!(answer.status, 500, "{} / {what}: {}", r.route, answer.json);
                let problem = answer.problem(502);
                assert_eq!(problem["upstream"], r.upstream, "{} / {what}", r.route);
                assert_eq!(
                    problem["type"],
                    format!("urn:tikv-lens:problem:{kind}"),
                    "{} / {what}: {problem}",
                    r.route
                );
                let detail = problem["detail"].as_str().unwrap();
                assert!(
                    detail.contains(r.upstream_path.split('?').next().unwrap()),
                    "{} / {what}: the detail does not name {}: {detail}",
                    r.route,
                    r.upstream_path
                );
                // The service keeps answering.
                let (status, _) = lens.get_text("/healthz").await;
                tally.tried += 1;
                assert_eq!(status, 200, "after {} / {what}", r.route);
            }
            // And the route itself recovers as soon as the upstream does.
            let good = Canned::new(200, r.content_type, r.good.clone());
            if r.upstream == "pd" {
                pd.serve(r.upstream_path, good);
            } else {
                prometheus.answer_any(r.upstream_path, good);
            }
            let answer = lens.get(r.route).await;
            tally.tried += 1;
            assert_eq!(answer.status, 200, "{}: {}", r.route, answer.json);
        }
        tally.note("4 routes x 7 bodies, each a 502 naming its upstream; /healthz 200 after each");
        tally.report();
        assert_eq!(tally.failures, 0);
    })
    .await;
}

/// An HTTP/1.1 upstream that answers every request with a 100 MB body generated as it is
/// sent (nothing is held in memory), and counts the body bytes the kernel accepted.
struct EndlessUpstream {
    addr: std::net::SocketAddr,
    /// Body bytes written to sockets, over every connection.
    written: Arc<AtomicU64>,
    connections: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

const HUNDRED_MB: u64 = 100 * 1024 * 1024;

impl EndlessUpstream {
    /// `with_length`: declare the size in `Content-Length`; otherwise stream it chunked.
    async fn start(with_length: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let written = Arc::new(AtomicU64::new(0));
        let connections = Arc::new(AtomicUsize::new(0));
        let (w, c) = (written.clone(), connections.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    return;
                };
                c.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(serve_endless(socket, with_length, w.clone()));
            }
        });
        Self {
            addr,
            written,
            connections,
            task,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }
}

impl Drop for EndlessUpstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve_endless(
    mut socket: tokio::net::TcpStream,
    with_length: bool,
    written: Arc<AtomicU64>,
) {
    // The request head; its content does not matter.
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
        if head.len() > 256 * 1024 {
            return;
        }
    }
    let framing = if with_length {
        format!("Content-Length: {HUNDRED_MB}\r\n")
    } else {
        "Transfer-Encoding: chunked\r\n".to_owned()
    };
    let response_head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{framing}Connection: close\r\n\r\n"
    );
    if socket.write_all(response_head.as_bytes()).await.is_err() {
        return;
    }
    // `[` then whitespace: JSON that never ends within the cap.
    let mut chunk = vec![b' '; 64 * 1024];
    chunk[0] = b'[';
    let mut sent = 0u64;
    while sent < HUNDRED_MB {
        let result = if with_length {
            socket.write_all(&chunk).await
        } else {
            let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
            framed.extend_from_slice(&chunk);
            framed.extend_from_slice(b"\r\n");
            socket.write_all(&framed).await
        };
        if result.is_err() {
            return;
        }
        sent += chunk.len() as u64;
        written.fetch_add(chunk.len() as u64, Ordering::Relaxed);
        chunk[0] = b' ';
    }
    if !with_length {
        let _ = socket.write_all(b"0\r\n\r\n").await;
    }
}

#[tokio::test]
async fn a_100_mb_body_is_refused_without_being_read() {
    bounded(120, async {
        let mut tally = Tally::new("hundred_mb_bodies");
        // A healthy cluster beside the endless ones shows the service keeps answering.
        let healthy = pd_serving_everything(Duration::ZERO).await;
        for with_length in [true, false] {
            let framing = if with_length {
                "Content-Length"
            } else {
                "chunked"
            };
            let pd = EndlessUpstream::start(with_length).await;
            let prometheus = EndlessUpstream::start(with_length).await;
            let lens = Lens::start(
                vec![
                    cluster_with_prometheus("endless", &[pd.url()], &prometheus.url()),
                    cluster("healthy", &[healthy.url()]),
                ],
                UpstreamLimits {
                    max_body_bytes: CAP,
                    ..test_limits()
                },
            )
            .await;
            for (route, upstream, source) in [
                ("/api/v1/clusters/endless/stores", "pd", &pd),
                (
                    "/api/v1/clusters/endless/metrics/query?query=up",
                    "prometheus",
                    &prometheus,
                ),
            ] {
                let before = source.written();
                let started = Instant::now();
                let answer = lens.get(route).await;
                let elapsed = started.elapsed();
                tally.tried += 1;
                tally.faults += 1;
                if answer.status != 502 {
                    tally.failures += 1;
                }
                let problem = answer.problem(502);
                assert_eq!(problem["upstream"], upstream, "{route} ({framing})");
                assert_eq!(
                    problem["type"], "urn:tikv-lens:problem:upstream-too-large",
                    "{route} ({framing})"
                );
                // Let the sender notice the closed connection, then count what it got rid of.
                tokio::time::sleep(Duration::from_millis(200)).await;
                let sent = source.written() - before;
                tally.note(format!(
                    "{upstream} {framing}: {:.1} MiB of 100 MiB accepted by the socket before tikv-lens hung up, answered in {elapsed:?}",
                    sent as f64 / (1024.0 * 1024.0)
                ));
                // What tikv-lens read is at most the cap; the rest sat in socket buffers.
                assert!(
                    sent < 32 * 1024 * 1024,
                    "{route} ({framing}): {sent} bytes were sent; the body was read far past the cap"
                );
                assert!(source.connections.load(Ordering::Relaxed) >= 1);
                let (status, _) = lens.get_text("/healthz").await;
                assert_eq!(status, 200);
                let answer = lens.get("/api/v1/clusters/healthy/stores").await;
                tally.tried += 2;
                assert_eq!(store_ids(answer.ok()), ["1", "4", "5"]);
            }
        }
        tally.report();
        assert_eq!(tally.failures, 0);
    })
    .await;
}
