//! `GET /api/v1/clusters/{cluster}/events`: Server-Sent Events over the simulated cluster with a
//! clock the test moves (a store going disconnected then down, operators starting and
//! finishing, a check changing status, a scale-in moving), a fake PD whose leader changes, PD
//! and Prometheus failing and recovering; resuming with `Last-Event-ID`, the `types` filter,
//! heartbeats, the listener cap, graceful shutdown, and 200 streams costing PD what one does.
//! Everything on 127.0.0.1, every wait bounded.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::IntoResponse;
use jiff::Timestamp;
use serde_json::Value;
use tikv_lens::config::{AccessConfig, ClusterConfig, EventsConfig};
use tikv_sim::Clock;
use tokio::net::TcpListener;

use crate::support::{FakePd, Lens, PD_JSON, cluster, fixture_json, scale_epoch, test_limits};

/// Every test ends within this, whatever the server does.
async fn bounded<F: Future>(body: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(120), body)
        .await
        .expect("the test did not finish within 120 s")
}

/// How long a test waits for an event it expects (the poll interval is 100 ms; a loaded
/// machine gets many times that).
const PATIENCE: Duration = Duration::from_secs(20);

fn at(seconds: f64) -> Timestamp {
    scale_epoch() + jiff::SignedDuration::from_secs_f64(seconds)
}

// ---- an upstream the test controls ----

/// An upstream router (the simulated PD or Prometheus) on 127.0.0.1:0, counting the requests
/// it gets by path and query, and answering 503 while `failing`.
struct Upstream {
    url: String,
    hits: Arc<Mutex<BTreeMap<String, usize>>>,
    failing: Arc<AtomicBool>,
}

impl Upstream {
    async fn serve(router: axum::Router) -> Self {
        let hits = Arc::new(Mutex::new(BTreeMap::<String, usize>::new()));
        let failing = Arc::new(AtomicBool::new(false));
        let (count, fail) = (Arc::clone(&hits), Arc::clone(&failing));
        let app = router.layer(axum::middleware::from_fn(
            move |request: Request, next: Next| {
                let (count, fail) = (Arc::clone(&count), Arc::clone(&fail));
                async move {
                    let key = request
                        .uri()
                        .path_and_query()
                        .map(|p| p.as_str().to_owned())
                        .unwrap_or_default();
                    *count.lock().unwrap().entry(key).or_default() += 1;
                    if fail.load(Ordering::SeqCst) {
                        // PD's answer while it has no leader; Prometheus' while it is down.
                        return (axum::http::StatusCode::SERVICE_UNAVAILABLE, "no leader\n")
                            .into_response();
                    }
                    next.run(request).await
                }
            },
        ));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, hits, failing }
    }

    fn hits(&self) -> BTreeMap<String, usize> {
        self.hits.lock().unwrap().clone()
    }

    fn hits_of(&self, path: &str) -> usize {
        self.hits().get(path).copied().unwrap_or(0)
    }

    fn fail(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }
}

/// The scenario of `scale_cycle.rs` and `checks.rs` (3 stores, 300 regions, seed 11, the scale
/// cycle on): store 5 flaps (disconnected by 140 s, down by 210 s after the epoch), store 2000
/// is being removed from -120 s, a balance-leader operator runs 2 to 5 s into every 15 s.
struct Sim {
    pd: Upstream,
    prometheus: Upstream,
    clock: Clock,
}

impl Sim {
    async fn start(seconds: f64) -> Self {
        let sim = crate::support::scale_cycle_sim();
        let clock = Clock::shared(at(seconds));
        let pd = Upstream::serve(tikv_sim::pd_router(Arc::clone(&sim), clock.clone())).await;
        let prometheus = Upstream::serve(tikv_sim::prometheus_router(sim, clock.clone())).await;
        Self {
            pd,
            prometheus,
            clock,
        }
    }

    fn set(&self, seconds: f64) {
        assert!(self.clock.set(at(seconds)));
    }

    fn cluster(&self, name: &str) -> ClusterConfig {
        cluster(name, std::slice::from_ref(&self.pd.url))
    }
}

/// Fast events for tests: a poll every 100 ms, the checks every other poll, no heartbeat
/// unless a test asks for one.
fn fast() -> EventsConfig {
    EventsConfig {
        poll_interval: Duration::from_millis(100),
        checks_every: 2,
        heartbeat: Duration::from_secs(60),
        max_subscribers: 1000,
        retained: 1024,
        idle_grace: Duration::from_secs(10),
    }
}

async fn lens(clusters: Vec<ClusterConfig>, events: EventsConfig) -> Lens {
    Lens::start_with_events(clusters, test_limits(), AccessConfig::default(), events).await
}

// ---- an SSE client ----

/// One SSE message as received.
#[derive(Debug, Clone, Default)]
struct Frame {
    id: Option<String>,
    event: Option<String>,
    data: Option<String>,
    retry: Option<String>,
    comments: Vec<String>,
}

impl Frame {
    fn json(&self) -> Value {
        serde_json::from_str(self.data.as_deref().unwrap_or("null"))
            .unwrap_or_else(|e| panic!("data is not JSON ({e}): {self:?}"))
    }

    fn is_event(&self) -> bool {
        self.event.is_some()
    }
}

/// A stream being read.
struct Events {
    response: reqwest::Response,
    buffer: String,
    /// The raw bytes received, for the assertions on the wire format.
    raw: String,
    /// Every event `until` and `collect_for` read, in order.
    log: Vec<Value>,
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

impl Events {
    /// Opens `path` of `lens` with `headers`; the answer when it is not a 200 stream.
    async fn open(
        client: &reqwest::Client,
        lens: &Lens,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Result<Self, (u16, reqwest::header::HeaderMap, Value)> {
        let mut request = client.get(format!("{}{path}", lens.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = tokio::time::timeout(Duration::from_secs(10), request.send())
            .await
            .expect("the stream's head within 10 s")
            .unwrap();
        let status = response.status().as_u16();
        if status != 200 {
            let headers = response.headers().clone();
            let body = response.json().await.unwrap_or(Value::Null);
            return Err((status, headers, body));
        }
        Ok(Self {
            response,
            buffer: String::new(),
            raw: String::new(),
            log: Vec::new(),
        })
    }

    async fn open_ok(lens: &Lens, path: &str, headers: &[(&str, &str)]) -> Self {
        match Self::open(&client(), lens, path, headers).await {
            Ok(events) => events,
            Err((status, _, body)) => panic!("{path}: {status} {body}"),
        }
    }

    /// The next message within `within`; `None` at its end, or when none came in time.
    async fn next(&mut self, within: Duration) -> Option<Frame> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                return Some(parse_frame(&block));
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .ok()?
                .ok()??;
            let text = String::from_utf8(chunk.to_vec()).expect("SSE is UTF-8");
            self.raw.push_str(&text);
            self.buffer.push_str(&text);
        }
    }

    /// Whether the stream ended (the server closed it) within `within`.
    async fn ends_within(&mut self, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Err(_) => return false,
                Ok(Ok(Some(_))) => {}
                Ok(Ok(None) | Err(_)) => return true,
            }
        }
    }

    /// The next event (not a comment or `retry`) within `within`.
    async fn next_event(&mut self, within: Duration) -> Option<Frame> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let frame = self.next(left).await?;
            if frame.is_event() {
                return Some(frame);
            }
        }
    }

    /// The first event matching `wanted` within [`PATIENCE`], with every event before it.
    async fn until(&mut self, what: &str, wanted: impl Fn(&Value) -> bool) -> (Value, Vec<Value>) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let Some(frame) = self.next_event(left).await else {
                panic!("no {what} within {PATIENCE:?}; saw {seen:#?}");
            };
            let data = checked(&frame);
            self.log.push(data.clone());
            if wanted(&data) {
                return (data, seen);
            }
            seen.push(data);
        }
    }

    /// Every event within `window`.
    async fn collect_for(&mut self, window: Duration) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + window;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_event(left).await {
                Some(frame) => {
                    let data = checked(&frame);
                    self.log.push(data.clone());
                    seen.push(data);
                }
                None => return seen,
            }
        }
    }
}

fn parse_frame(block: &str) -> Frame {
    let mut frame = Frame::default();
    for line in block.lines().filter(|l| !l.is_empty()) {
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value).to_owned();
        match field {
            "" => frame.comments.push(value),
            "id" => frame.id = Some(value),
            "event" => frame.event = Some(value),
            "data" => {
                assert!(frame.data.is_none(), "data is one line: {block:?}");
                frame.data = Some(value);
            }
            "retry" => frame.retry = Some(value),
            other => panic!("unknown SSE field {other:?} in {block:?}"),
        }
    }
    frame
}

/// An event's data, checked against the contract's common fields: `id` and `type` repeat the
/// SSE `id` and `event`, `at` is RFC 3339.
fn checked(frame: &Frame) -> Value {
    let data = frame.json();
    assert_eq!(data["id"].as_str(), frame.id.as_deref(), "{frame:?}");
    assert_eq!(data["type"].as_str(), frame.event.as_deref(), "{frame:?}");
    assert!(data["cluster"].is_string(), "{frame:?}");
    let at = data["at"].as_str().unwrap();
    assert!(at.ends_with('Z') && at.parse::<Timestamp>().is_ok(), "{at}");
    data
}

fn seq(data: &Value) -> u64 {
    data["id"].as_str().unwrap().parse().unwrap()
}

fn kind(data: &Value) -> &str {
    data["type"].as_str().unwrap()
}

/// Waits until the cluster has been polled `n` more times (PD's `/operators` is read once per
/// poll, by the poller only).
async fn polls(pd: &Upstream, n: usize) {
    let start = pd.hits_of("/pd/api/v1/operators");
    let deadline = Instant::now() + PATIENCE;
    while pd.hits_of("/pd/api/v1/operators") < start + n {
        assert!(
            Instant::now() < deadline,
            "no {n} polls within {PATIENCE:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// ---- the tests ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulated_cluster_drives_store_operator_check_and_scale_events() {
    bounded(async {
        let sim = Sim::start(90.0).await;
        let lens = lens(vec![sim.cluster("sim")], fast()).await;
        let mut stream = Events::open_ok(&lens, "/api/v1/clusters/sim/events", &[]).await;
        let head = stream.next(PATIENCE).await.unwrap();
        assert_eq!(head.retry.as_deref(), Some("3000"), "{head:?}");
        assert!(
            stream.raw.starts_with("retry: 3000\n\n"),
            "{:?}",
            stream.raw
        );

        // The baseline is silent, and a cluster standing still makes no event.
        polls(&sim.pd, 5).await;
        let quiet = stream.collect_for(Duration::from_millis(300)).await;
        assert!(quiet.is_empty(), "{quiet:#?}");

        // A balance-leader operator runs from about 92 s to 95 s (a 15 s window).
        sim.set(93.5);
        let (started, _) = stream
            .until("balance-leader starting", |e| {
                kind(e) == "operator_started" && e["description"] == "balance-leader"
            })
            .await;
        assert_eq!(started["kind"], serde_json::json!(["leader"]));
        assert!(
            started["region_id"]
                .as_str()
                .is_some_and(|id| id.parse::<u64>().is_ok()),
            "{started}"
        );
        assert!(
            started["brief"]
                .as_str()
                .unwrap()
                .starts_with("transfer leader: store "),
            "{started}"
        );
        sim.set(97.0);
        let (finished, _) = stream
            .until("balance-leader finishing", |e| {
                kind(e) == "operator_finished" && e["description"] == "balance-leader"
            })
            .await;
        assert_eq!(finished["region_id"], started["region_id"]);
        assert!(finished.get("brief").is_none(), "{finished}");

        // Store 5 stops heartbeating at 2:00: disconnected, then down.
        sim.set(150.0);
        let (disconnected, _) = stream
            .until("store 5 disconnected", |e| kind(e) == "store_state_changed")
            .await;
        assert_eq!(disconnected["store_id"], "5", "{disconnected}");
        assert_eq!(
            (&disconnected["from"], &disconnected["to"]),
            (&"up".into(), &"disconnected".into())
        );
        assert!(disconnected["address"].as_str().unwrap().contains(':'));
        // The checks (every other poll) see it too.
        let (warned, _) = stream
            .until("store-down warning", |e| {
                kind(e) == "check_status_changed" && e["check_id"] == "store-down"
            })
            .await;
        assert_eq!(
            (&warned["from"], &warned["to"]),
            (&"ok".into(), &"warning".into())
        );
        assert!(seq(&warned) > seq(&disconnected));
        sim.set(300.0);
        let (down, _) = stream
            .until("store 5 down", |e| kind(e) == "store_state_changed")
            .await;
        assert_eq!(
            (&down["store_id"], &down["from"], &down["to"]),
            (&"5".into(), &"disconnected".into(), &"down".into())
        );
        // The removal of store 2000 stalls (a replica has nowhere to go) once store 5 is not
        // up; the store-down check turns critical once it is down.
        let blocked = |e: &Value| {
            kind(e) == "scale_in_progress"
                && e["store_id"] == "2000"
                && e["blockers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|b| b["kind"] == "not_enough_stores")
        };
        let critical = |e: &Value| {
            kind(e) == "check_status_changed"
                && e["check_id"] == "store-down"
                && e["to"] == "critical"
        };
        for (what, wanted) in [
            ("the stalled scale-in", &blocked as &dyn Fn(&Value) -> bool),
            ("store-down critical", &critical),
        ] {
            if !stream.log.iter().any(wanted) {
                stream.until(what, wanted).await;
            }
        }
        let seen = stream.log.clone();
        let scale = seen.iter().find(|e| blocked(e)).unwrap();
        assert_eq!(scale["action"], "removing", "{scale}");
        let progress = scale["progress"].as_f64().unwrap();
        assert!((0.0..1.0).contains(&progress), "{scale}");
        assert!(scale["regions_left"].is_u64(), "{scale}");
        // ok, then warning while the store was disconnected, then critical.
        let check = seen.iter().find(|e| critical(e)).unwrap();
        assert_eq!(check["from"], "warning", "{check}");
        assert!(
            check["summary"].as_str().unwrap().contains("down"),
            "{check}"
        );

        // The removal resumes once store 5 is back, and ends: a tombstone, nothing under way.
        sim.set(900.0);
        let (done, _) = stream
            .until("store 2000 done", |e| {
                kind(e) == "scale_in_progress" && e["store_id"] == "2000" && e["action"].is_null()
            })
            .await;
        assert_eq!(done["progress"], Value::Null);
        assert_eq!(done["blockers"], serde_json::json!([]));
        let tombstone = |e: &Value| kind(e) == "store_state_changed" && e["store_id"] == "2000";
        if !stream.log.iter().any(tombstone) {
            stream.until("store 2000 a tombstone", tombstone).await;
        }
        let gone = stream.log.iter().find(|e| tombstone(e)).unwrap();
        assert_eq!(
            (&gone["from"], &gone["to"]),
            (&"offline".into(), &"tombstone".into())
        );
        let ids: Vec<u64> = seen.iter().map(seq).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
        let ats: Vec<Timestamp> = seen
            .iter()
            .map(|e| e["at"].as_str().unwrap().parse().unwrap())
            .collect();
        assert!(
            ats.windows(2).all(|w| w[0] <= w[1]),
            "`at` follows `id`: {ats:?}"
        );
        assert!(seq(&done) > *ids.last().unwrap());
        assert_eq!(done["cluster"], "sim");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_event_id_resumes_from_the_kept_events_or_resyncs() {
    bounded(async {
        let sim = Sim::start(90.0).await;
        let lens = lens(
            vec![sim.cluster("c")],
            EventsConfig {
                retained: 3,
                ..fast()
            },
        )
        .await;
        let path = "/api/v1/clusters/c/events";
        let mut first = Events::open_ok(&lens, path, &[]).await;
        polls(&sim.pd, 3).await;
        // At least five events: operators start and finish, a store disconnects and goes down.
        let mut seen = Vec::new();
        for t in [93.5, 97.0, 150.0, 300.0] {
            sim.set(t);
            polls(&sim.pd, 3).await;
            seen.extend(first.collect_for(Duration::from_millis(300)).await);
        }
        // Whatever is still to come of the last poll.
        polls(&sim.pd, 4).await;
        seen.extend(first.collect_for(Duration::from_millis(500)).await);
        assert!(seen.len() >= 5, "{seen:#?}");
        let ids: Vec<String> = seen
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect();

        // Resuming after the second-to-last event: the last one, as it was sent.
        let mut resumed =
            Events::open_ok(&lens, path, &[("last-event-id", &ids[ids.len() - 2])]).await;
        assert!(resumed.next(PATIENCE).await.unwrap().retry.is_some());
        let replayed = resumed.next_event(PATIENCE).await.unwrap();
        assert_eq!(checked(&replayed), *seen.last().unwrap());
        // Resuming after the last event: nothing to replay.
        let mut current =
            Events::open_ok(&lens, path, &[("last-event-id", ids.last().unwrap())]).await;
        assert!(
            current
                .collect_for(Duration::from_millis(500))
                .await
                .is_empty()
        );

        // Older than the three kept, unknown, or from another process: a resync first, numbered
        // as the newest event, and live events after it.
        for last in [ids[0].as_str(), "not-a-number", "1"] {
            let mut stale = Events::open_ok(&lens, path, &[("last-event-id", last)]).await;
            let frame = stale.next_event(PATIENCE).await.unwrap();
            let resync = checked(&frame);
            assert_eq!(kind(&resync), "resync", "{last}: {resync}");
            assert_eq!(
                resync["id"].as_str(),
                ids.last().map(String::as_str),
                "{last}"
            );
            assert_eq!(
                resync.as_object().unwrap().len(),
                4,
                "only the common fields: {resync}"
            );
            // A client that took the resync resumes from it.
            let mut after = Events::open_ok(
                &lens,
                path,
                &[("last-event-id", resync["id"].as_str().unwrap())],
            )
            .await;
            assert!(
                after
                    .collect_for(Duration::from_millis(300))
                    .await
                    .is_empty()
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn types_filter_the_stream_and_bad_requests_are_problems() {
    bounded(async {
        let sim = Sim::start(90.0).await;
        let lens = lens(vec![sim.cluster("c")], fast()).await;
        let mut stores_only = Events::open_ok(
            &lens,
            "/api/v1/clusters/c/events?types=store_state_changed,leader_changed",
            &[],
        )
        .await;
        let mut everything = Events::open_ok(&lens, "/api/v1/clusters/c/events", &[]).await;
        polls(&sim.pd, 3).await;
        sim.set(93.5);
        everything
            .until("an operator", |e| kind(e) == "operator_started")
            .await;
        sim.set(150.0);
        let (store, before) = stores_only
            .until("the store change", |e| kind(e) == "store_state_changed")
            .await;
        assert!(before.is_empty(), "only the types asked for: {before:#?}");
        assert_eq!(store["to"], "disconnected");

        let client = client();
        for (path, status, parameter) in [
            (
                "/api/v1/clusters/c/events?types=store_state_changed,nope",
                400,
                Some("types"),
            ),
            ("/api/v1/clusters/c/events?types=", 400, Some("types")),
            ("/api/v1/clusters/absent/events", 404, None),
        ] {
            let Err((got, headers, problem)) = Events::open(&client, &lens, path, &[]).await else {
                panic!("{path} opened a stream");
            };
            assert_eq!(got, status, "{path}: {problem}");
            assert_eq!(
                headers["content-type"], "application/problem+json",
                "{path}"
            );
            assert_eq!(problem["status"], status);
            assert_eq!(
                problem["parameter"].as_str(),
                parameter,
                "{path}: {problem}"
            );
        }
        let (_, _, problem) =
            Events::open(&client, &lens, "/api/v1/clusters/c/events?types=nope", &[])
                .await
                .err()
                .unwrap();
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("store_state_changed"),
            "the detail lists the types: {problem}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_flow_past_the_request_deadline_uncompressed() {
    bounded(async {
        let sim = Sim::start(90.0).await;
        let lens = Lens::start_with_events(
            vec![sim.cluster("c")],
            test_limits(),
            AccessConfig {
                request_timeout: Duration::from_secs(1),
                ..AccessConfig::default()
            },
            EventsConfig {
                heartbeat: Duration::from_millis(300),
                ..fast()
            },
        )
        .await;
        let mut stream = Events::open_ok(
            &lens,
            "/api/v1/clusters/c/events",
            &[("accept-encoding", "gzip")],
        )
        .await;
        let headers = stream.response.headers().clone();
        assert_eq!(headers["content-type"], "text/event-stream");
        assert_eq!(headers["cache-control"], "no-cache");
        assert!(headers.get("content-encoding").is_none(), "{headers:?}");
        assert!(headers.get("etag").is_none(), "{headers:?}");
        assert!(headers.get("x-request-id").is_some());
        // Three times the request deadline, still streaming.
        let started = Instant::now();
        let mut heartbeats = 0;
        while started.elapsed() < Duration::from_secs(3) {
            let frame = stream
                .next(Duration::from_secs(2))
                .await
                .expect("the stream lives past the request deadline");
            if frame.comments == ["heartbeat"] {
                heartbeats += 1;
            }
        }
        assert!(heartbeats >= 5, "{heartbeats} heartbeats in 3 s at 300 ms");
        assert!(
            stream.raw.contains("\n\n: heartbeat\n\n"),
            "{:?}",
            stream.raw
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_listener_cap_answers_503_and_frees_with_a_stream() {
    bounded(async {
        let sim = Sim::start(90.0).await;
        let lens = lens(
            vec![sim.cluster("a"), sim.cluster("b")],
            EventsConfig {
                max_subscribers: 2,
                heartbeat: Duration::from_millis(200),
                ..fast()
            },
        )
        .await;
        let one = Events::open_ok(&lens, "/api/v1/clusters/a/events", &[]).await;
        let _two = Events::open_ok(&lens, "/api/v1/clusters/b/events", &[]).await;
        let client = client();
        let Err((status, headers, problem)) =
            Events::open(&client, &lens, "/api/v1/clusters/a/events", &[]).await
        else {
            panic!("a third stream opened");
        };
        assert_eq!(status, 503, "{problem}");
        assert_eq!(headers["content-type"], "application/problem+json");
        assert_eq!(
            problem["type"],
            "urn:tikv-lens:problem:too-many-subscribers"
        );
        assert!(
            problem["detail"].as_str().unwrap().contains('2'),
            "{problem}"
        );
        // The cap counts streams, not requests: the rest of the API answers.
        assert_eq!(lens.get("/api/v1/clusters/a/stores").await.status, 200);
        // A closed stream gives its place back (noticed at its next write, a heartbeat).
        drop(one);
        let deadline = Instant::now() + PATIENCE;
        loop {
            match Events::open(&client, &lens, "/api/v1/clusters/a/events", &[]).await {
                Ok(_) => break,
                Err((503, _, _)) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err((status, _, body)) => panic!("{status} {body}"),
            }
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pd_and_prometheus_failing_and_recovering_are_upstream_status_events() {
    bounded(async {
        let sim = Sim::start(90.0).await;
        let mut config = sim.cluster("c");
        config.prometheus = Some(sim.prometheus.url.parse().unwrap());
        let lens = lens(
            vec![config],
            EventsConfig {
                checks_every: 1,
                ..fast()
            },
        )
        .await;
        let mut stream = Events::open_ok(&lens, "/api/v1/clusters/c/events", &[]).await;
        polls(&sim.pd, 3).await;

        sim.pd.fail(true);
        let (down, _) = stream
            .until("PD failing", |e| {
                kind(e) == "upstream_status" && e["upstream"] == "pd"
            })
            .await;
        assert_eq!(down["ok"], false, "{down}");
        let detail = down["detail"].as_str().unwrap();
        assert!(detail.contains("/pd/api/v1/"), "{detail}");
        sim.pd.fail(false);
        let (up, _) = stream
            .until("PD recovering", |e| {
                kind(e) == "upstream_status" && e["upstream"] == "pd"
            })
            .await;
        assert_eq!((&up["ok"], &up["detail"]), (&true.into(), &Value::Null));
        assert!(seq(&up) > seq(&down));

        sim.prometheus.fail(true);
        let (down, _) = stream
            .until("Prometheus failing", |e| {
                kind(e) == "upstream_status" && e["upstream"] == "prometheus"
            })
            .await;
        assert_eq!(down["ok"], false, "{down}");
        sim.prometheus.fail(false);
        let (up, _) = stream
            .until("Prometheus recovering", |e| {
                kind(e) == "upstream_status" && e["upstream"] == "prometheus"
            })
            .await;
        assert_eq!(up["ok"], true, "{up}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_pd_leader_is_a_leader_changed_event() {
    bounded(async {
        let pd = FakePd::start().await;
        pd.serve_v85_cluster();
        pd.serve(
            "/pd/api/v1/operators",
            crate::support::Canned::new(200, PD_JSON, "null\n"),
        );
        let members = fixture_json("members.json");
        let names: Vec<String> = members["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap().to_owned())
            .collect();
        let old = members["leader"]["name"].as_str().unwrap().to_owned();
        let new = names.iter().find(|n| **n != old).unwrap().clone();
        let lens = lens(vec![cluster("f", &[pd.url()])], fast()).await;
        let mut stream = Events::open_ok(&lens, "/api/v1/clusters/f/events", &[]).await;
        let deadline = Instant::now() + PATIENCE;
        while pd.hits("/pd/api/v1/operators") < 3 {
            assert!(Instant::now() < deadline, "no polls");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mut elected = members.clone();
        let leader = members["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == new.as_str())
            .unwrap()
            .clone();
        elected["leader"] = leader;
        pd.serve(
            "/pd/api/v1/members",
            crate::support::Canned::new(200, PD_JSON, serde_json::to_vec(&elected).unwrap()),
        );
        let (changed, before) = stream
            .until("the new leader", |e| kind(e) == "leader_changed")
            .await;
        assert!(before.is_empty(), "{before:#?}");
        assert_eq!(
            (&changed["from"], &changed["to"]),
            (&old.clone().into(), &new.into())
        );

        // No leader at all: `to` is null.
        let mut leaderless = members.clone();
        leaderless.as_object_mut().unwrap().remove("leader");
        pd.serve(
            "/pd/api/v1/members",
            crate::support::Canned::new(200, PD_JSON, serde_json::to_vec(&leaderless).unwrap()),
        );
        let (lost, _) = stream
            .until("no leader", |e| kind(e) == "leader_changed")
            .await;
        assert_eq!(lost["to"], Value::Null, "{lost}");
    })
    .await;
}

/// The requirement: the poll of a cluster is shared by all its listeners. Two stacks
/// over the same simulated cluster, one with 1 stream and one with 200, each over the same
/// stretch of polls: every PD path is read as often by both, within one poll.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_streams_cost_pd_what_one_does() {
    bounded(async {
        const INTERVAL: Duration = Duration::from_millis(200);
        /// Polls measured, in each stack.
        const POLLS: usize = 15;
        let mut measured = Vec::new();
        for listeners in [1usize, 200] {
            let sim = Sim::start(90.0).await;
            let lens = lens(
                vec![sim.cluster("c")],
                EventsConfig {
                    poll_interval: INTERVAL,
                    checks_every: 5,
                    ..fast()
                },
            )
            .await;
            let client = client();
            let mut streams = Vec::new();
            for _ in 0..listeners {
                match Events::open(&client, &lens, "/api/v1/clusters/c/events", &[]).await {
                    Ok(stream) => streams.push(stream),
                    Err((status, _, body)) => panic!("{status} {body}"),
                }
            }
            // Every stream is open and the poller past its first polls; count from here, over
            // the same number of polls in both stacks.
            polls(&sim.pd, 2).await;
            let before = sim.pd.hits();
            let started = Instant::now();
            polls(&sim.pd, POLLS).await;
            let elapsed = started.elapsed();
            let after = sim.pd.hits();
            let delta: BTreeMap<String, usize> = after
                .iter()
                .map(|(path, n)| (path.clone(), n - before.get(path).copied().unwrap_or(0)))
                .filter(|(_, n)| *n > 0)
                .collect();
            // However many listen, a poll per interval, not more: 15 polls span at least 14
            // intervals (the first may come just after counting began).
            assert!(
                elapsed >= INTERVAL * (POLLS as u32 - 1),
                "{listeners} streams: {POLLS} polls in {elapsed:?} at a {INTERVAL:?} interval"
            );
            // The streams all still read, and got the same (nothing: the clock stands still).
            for stream in &mut streams {
                assert!(stream.collect_for(Duration::from_millis(1)).await.is_empty());
            }
            measured.push((listeners, delta, elapsed));
        }
        let (_, one, one_took) = &measured[0];
        let (_, many, many_took) = &measured[1];
        eprintln!(
            "PD requests over {POLLS} polls at {INTERVAL:?}: 1 stream {} (in {one_took:?}), 200 streams {} (in {many_took:?})",
            one.values().sum::<usize>(),
            many.values().sum::<usize>()
        );
        eprintln!("1 stream:    {one:?}\n200 streams: {many:?}");
        let paths: std::collections::BTreeSet<&String> = one.keys().chain(many.keys()).collect();
        for path in paths {
            let (a, b) = (
                one.get(path).copied().unwrap_or(0),
                many.get(path).copied().unwrap_or(0),
            );
            // Equal within one poll's reads of that path (counting may stop in mid-poll).
            let per_poll = a.div_ceil(POLLS).max(1);
            assert!(a.abs_diff(b) <= per_poll, "{path}: {a} with 1 stream, {b} with 200");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_poller_stops_after_the_last_listener_and_restarts_with_a_resync() {
    bounded(async {
        let sim = Sim::start(90.0).await;
        let lens = lens(
            vec![sim.cluster("c")],
            EventsConfig {
                idle_grace: Duration::from_millis(300),
                heartbeat: Duration::from_millis(100),
                ..fast()
            },
        )
        .await;
        let path = "/api/v1/clusters/c/events";
        let mut stream = Events::open_ok(&lens, path, &[]).await;
        polls(&sim.pd, 3).await;
        sim.set(93.5);
        let (event, _) = stream
            .until("an operator", |e| kind(e) == "operator_started")
            .await;
        drop(stream);
        // The stream's end is noticed at its next heartbeat; the poller stops after the grace.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let idle = sim.pd.hits_of("/pd/api/v1/operators");
        tokio::time::sleep(Duration::from_millis(800)).await;
        assert_eq!(
            sim.pd.hits_of("/pd/api/v1/operators"),
            idle,
            "nobody listens: no polls"
        );
        // What happened while nobody polled is unknown: resuming from before is a resync.
        sim.set(97.0);
        let mut back = Events::open_ok(
            &lens,
            path,
            &[("last-event-id", event["id"].as_str().unwrap())],
        )
        .await;
        let first = checked(&back.next_event(PATIENCE).await.unwrap());
        assert_eq!(kind(&first), "resync", "{first}");
        assert!(seq(&first) > seq(&event));
        polls(&sim.pd, 2).await;
        // And the new poller's first poll is a baseline: the operator that ended while nobody
        // watched is not reported.
        let after = back.collect_for(Duration::from_millis(500)).await;
        assert!(after.is_empty(), "{after:#?}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_ends_open_streams() {
    bounded(async {
        let sim = Sim::start(90.0).await;
        let state =
            tikv_lens::state::AppState::from_clusters(&[sim.cluster("c")], test_limits()).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(tikv_lens::server::run(listener, state, async {
            let _ = stopped.await;
        }));
        let client = client();
        let mut streams = Vec::new();
        for _ in 0..3 {
            let response = client
                .get(format!("http://{addr}/api/v1/clusters/c/events"))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            streams.push(Events {
                response,
                buffer: String::new(),
                raw: String::new(),
                log: Vec::new(),
            });
        }
        polls(&sim.pd, 2).await;
        stop.send(()).unwrap();
        for stream in &mut streams {
            assert!(
                stream.ends_within(Duration::from_secs(5)).await,
                "a stream outlived the shutdown"
            );
        }
        tokio::time::timeout(Duration::from_secs(10), server)
            .await
            .expect("the server stops with streams open")
            .unwrap()
            .unwrap();
        // The poller stopped with it.
        let last = sim.pd.hits_of("/pd/api/v1/operators");
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(sim.pd.hits_of("/pd/api/v1/operators"), last);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_tokens_guard_the_stream() {
    bounded(async {
        let sim = Sim::start(90.0).await;
        let lens = Lens::start_with_events(
            vec![sim.cluster("c")],
            test_limits(),
            AccessConfig {
                tokens: vec!["events-token".into()],
                ..AccessConfig::default()
            },
            fast(),
        )
        .await;
        let client = client();
        let path = "/api/v1/clusters/c/events";
        let Err((status, _, problem)) = Events::open(&client, &lens, path, &[]).await else {
            panic!("a stream without a token");
        };
        assert_eq!(status, 401, "{problem}");
        assert_eq!(
            sim.pd.hits_of("/pd/api/v1/operators"),
            0,
            "no poller for a refused client"
        );
        let mut stream = Events::open(
            &client,
            &lens,
            path,
            &[("authorization", "Bearer events-token")],
        )
        .await
        .map_err(|(s, _, b)| format!("{s} {b}"))
        .unwrap();
        assert_eq!(
            stream.next(PATIENCE).await.unwrap().retry.as_deref(),
            Some("3000")
        );
    })
    .await;
}
