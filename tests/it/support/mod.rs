//! Test support: a fake PD on 127.0.0.1:0 that serves canned bodies with PD's own statuses and
//! content types, and the real tikv-lens server started in front of it on another port.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::response::Response;
use tikv_lens::config::ClusterConfig;
use tikv_lens::state::AppState;
use tikv_lens::upstream::UpstreamLimits;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// PD's `rd.JSON` content type (indented bodies, JSON-string errors).
pub(crate) const PD_JSON: &str = "application/json; charset=UTF-8";
/// PD's `rd.Data` content type (compact easyjson region bodies).
pub(crate) const PD_DATA: &str = "application/octet-stream";
/// PD's `http.Error` content type (redirector, rate limiter, unknown route).
pub(crate) const PD_TEXT: &str = "text/plain; charset=utf-8";

/// The bytes of a fixture under `tests/fixtures/pd/`.
pub(crate) fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/pd/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

/// One canned answer.
#[derive(Clone)]
pub(crate) struct Canned {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// Wait this long before answering (a slow or hung PD).
    pub delay: Duration,
    /// Send the body as a stream of small chunks without `Content-Length`, so a reader cannot
    /// know its size before reading it.
    pub chunked: bool,
}

impl Canned {
    pub(crate) fn new(status: u16, content_type: &'static str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            content_type,
            body: body.into(),
            delay: Duration::ZERO,
            chunked: false,
        }
    }

    /// A 200 `rd.JSON` answer with a fixture's bytes.
    pub(crate) fn json(fixture_name: &str) -> Self {
        Self::new(200, PD_JSON, fixture(fixture_name))
    }

    pub(crate) fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Streams the body in 256-byte chunks, without `Content-Length`.
    pub(crate) fn chunked(mut self) -> Self {
        self.chunked = true;
        self
    }
}

#[derive(Default)]
struct Routes {
    canned: HashMap<String, Canned>,
    hits: HashMap<String, usize>,
}

/// A fake PD endpoint. Unknown paths answer like gorilla/mux: 404 `404 page not found`.
pub(crate) struct FakePd {
    pub addr: SocketAddr,
    routes: Arc<Mutex<Routes>>,
    _shutdown: oneshot::Sender<()>,
}

impl FakePd {
    pub(crate) async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let routes = Arc::new(Mutex::new(Routes::default()));
        let shared = routes.clone();
        let app = axum::Router::new().fallback(move |req: Request<Body>| {
            let routes = shared.clone();
            let key = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default();
            async move { answer(&routes, key).await }
        });
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
        });
        Self {
            addr,
            routes,
            _shutdown: tx,
        }
    }

    /// Answers `path_and_query` (exactly as tikv-lens sends it) with `canned`.
    pub(crate) fn serve(&self, path_and_query: &str, canned: Canned) -> &Self {
        self.routes
            .lock()
            .unwrap()
            .canned
            .insert(path_and_query.to_owned(), canned);
        self
    }

    /// Answers `path_and_query` with a 200 `rd.JSON` fixture.
    pub(crate) fn serve_json(&self, path_and_query: &str, fixture_name: &str) -> &Self {
        self.serve(path_and_query, Canned::json(fixture_name))
    }

    /// The healthy v8.5 cluster of the shared fixtures: members, health, status, stores,
    /// store 1, region count.
    pub(crate) fn serve_v85_cluster(&self) -> &Self {
        self.serve_json("/pd/api/v1/members", "members.json")
            .serve_json("/pd/api/v1/health", "health.json")
            .serve_json("/pd/api/v1/status", "status.json")
            .serve_json("/pd/api/v1/stores", "stores.json")
            .serve_json(
                "/pd/api/v1/stores?state=0&state=1&state=2",
                "stores_state_0_1_2.json",
            )
            .serve_json("/pd/api/v1/store/1", "store_1.json")
            .serve_json("/pd/api/v1/regions/count", "regions_count.json")
            .serve_region_checks()
    }

    /// PD's region checker answers (`rd.Data` bodies): the down-, pending- and learner-peer
    /// fixtures, and PD's empty list (`{"count":0,"regions":[]}`) for the other kinds.
    pub(crate) fn serve_region_checks(&self) -> &Self {
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
            self.serve(
                &format!("/pd/api/v1/regions/check/{kind}"),
                Canned::new(200, PD_DATA, fixture(file)),
            );
        }
        self
    }

    /// How many requests `path_and_query` received.
    pub(crate) fn hits(&self, path_and_query: &str) -> usize {
        self.routes
            .lock()
            .unwrap()
            .hits
            .get(path_and_query)
            .copied()
            .unwrap_or(0)
    }

    /// Requests received on every path.
    pub(crate) fn total_hits(&self) -> usize {
        self.routes.lock().unwrap().hits.values().sum()
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

async fn answer(routes: &Mutex<Routes>, key: String) -> Response {
    let canned = {
        let mut routes = routes.lock().unwrap();
        *routes.hits.entry(key.clone()).or_default() += 1;
        routes.canned.get(&key).cloned()
    };
    let canned = canned.unwrap_or_else(|| Canned::new(404, PD_TEXT, "404 page not found\n"));
    canned.respond().await
}

impl Canned {
    /// The HTTP answer: after the delay, with the status and content type, the body in 256-byte
    /// chunks when `chunked` (no Content-Length), and `nosniff` on plain text as Go's
    /// `http.Error` sends it (PD's and Prometheus' error pages alike).
    pub(crate) async fn respond(self) -> Response {
        if !self.delay.is_zero() {
            // A slow upstream; tikv-lens' deadline, not this sleep, decides when a test ends.
            tokio::time::sleep(self.delay).await;
        }
        let body = if self.chunked {
            let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
                self.body.chunks(256).map(|c| Ok(c.to_vec())).collect();
            Body::from_stream(futures::stream::iter(chunks))
        } else {
            Body::from(self.body)
        };
        let mut response = Response::new(body);
        *response.status_mut() = StatusCode::from_u16(self.status).unwrap();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        if self.content_type == PD_TEXT {
            response.headers_mut().insert(
                "x-content-type-options",
                HeaderValue::from_static("nosniff"),
            );
        }
        response
    }
}

/// An address on 127.0.0.1 that refuses connections (bound, then released).
pub(crate) async fn refused_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

/// The real tikv-lens server on 127.0.0.1:0.
pub(crate) struct Lens {
    pub base: String,
    client: reqwest::Client,
    _shutdown: oneshot::Sender<()>,
}

/// A JSON answer of tikv-lens.
pub(crate) struct Answer {
    pub status: u16,
    pub content_type: String,
    pub headers: reqwest::header::HeaderMap,
    pub json: serde_json::Value,
}

impl Lens {
    /// One cluster named `default` in front of `pd_urls`, with test-sized deadlines.
    pub(crate) async fn single(pd_urls: &[String]) -> Self {
        Self::start(vec![cluster("default", pd_urls)], test_limits()).await
    }

    /// One cluster named `default` with the production cache TTLs (`cluster()` uses none).
    pub(crate) async fn single_cached(pd_urls: &[String]) -> Self {
        let mut c = cluster("default", pd_urls);
        c.cache = tikv_lens::upstream::CacheTtls::default();
        Self::start(vec![c], test_limits()).await
    }

    pub(crate) async fn start(clusters: Vec<ClusterConfig>, limits: UpstreamLimits) -> Self {
        let state = AppState::from_clusters(&clusters, limits).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            tikv_lens::server::run(listener, state, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        Self {
            base: format!("http://{addr}"),
            // Every test is bounded: no request to tikv-lens may hang a test forever.
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            _shutdown: tx,
        }
    }

    /// GETs `path` and parses the body as JSON (`null` when there is none).
    pub(crate) async fn get(&self, path: &str) -> Answer {
        self.request(reqwest::Method::GET, path).await
    }

    pub(crate) async fn request(&self, method: reqwest::Method, path: &str) -> Answer {
        let response = self
            .client
            .request(method, format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let bytes = response.bytes().await.unwrap();
        let json = if bytes.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                panic!(
                    "{path}: body is not JSON ({e}): {:?}",
                    String::from_utf8_lossy(&bytes)
                )
            })
        };
        Answer {
            status,
            content_type,
            headers,
            json,
        }
    }

    /// GETs `path` and returns the raw body text.
    pub(crate) async fn get_text(&self, path: &str) -> (u16, String) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }
}

impl Answer {
    /// Asserts a problem+json answer with this status, and returns it.
    pub(crate) fn problem(&self, status: u16) -> &serde_json::Value {
        assert_eq!(self.status, status, "body: {}", self.json);
        assert_eq!(
            self.content_type, "application/problem+json",
            "body: {}",
            self.json
        );
        assert_eq!(self.json["status"], status);
        for key in [
            "type",
            "title",
            "detail",
            "parameter",
            "upstream",
            "upstream_status",
        ] {
            assert!(
                self.json.get(key).is_some(),
                "problem lacks {key}: {}",
                self.json
            );
        }
        &self.json
    }

    /// Asserts a 200 JSON answer and returns the body.
    pub(crate) fn ok(&self) -> &serde_json::Value {
        assert_eq!(self.status, 200, "body: {}", self.json);
        assert!(
            self.content_type.starts_with("application/json"),
            "{}",
            self.content_type
        );
        &self.json
    }
}

pub(crate) fn cluster(name: &str, pd_urls: &[String]) -> ClusterConfig {
    ClusterConfig {
        name: name.to_owned(),
        pd_endpoints: pd_urls.iter().map(|u| u.parse().unwrap()).collect(),
        prometheus: None,
        cache: tikv_lens::upstream::CacheTtls::uncached(),
        checks: Default::default(),
        security: Default::default(),
        prometheus_selection: Default::default(),
        events_poll_interval: None,
    }
}

/// Deadlines short enough for fault tests to end quickly.
pub(crate) fn test_limits() -> UpstreamLimits {
    UpstreamLimits {
        pd_timeout: Duration::from_secs(3),
        pd_attempt_timeout: Duration::from_millis(700),
        prometheus_timeout: Duration::from_secs(5),
        max_body_bytes: 8 * 1024 * 1024,
        stale_window: Duration::from_secs(600),
        pd_max_concurrency: 16,
        prometheus_max_concurrency: 16,
    }
}

/// The bytes a PD size string stands for, computed independently of the crate's parser:
/// `mantissa * 1024^power`, rounded to whole bytes (`binary_bytes(1.747, 4)` for `"1.747TiB"`).
pub(crate) fn binary_bytes(mantissa: f64, power: i32) -> u64 {
    (mantissa * 1024f64.powi(power)).round() as u64
}

/// `"<m>MiB"` in bytes.
pub(crate) fn mib(mantissa: f64) -> u64 {
    binary_bytes(mantissa, 2)
}

/// `"<m>GiB"` in bytes.
pub(crate) fn gib(mantissa: f64) -> u64 {
    binary_bytes(mantissa, 3)
}

/// `"<m>TiB"` in bytes.
pub(crate) fn tib(mantissa: f64) -> u64 {
    binary_bytes(mantissa, 4)
}

/// A PD `rd.JSON` error body: the message as a JSON string plus PD's trailing newline.
pub(crate) fn pd_json_string(message: &str) -> Vec<u8> {
    let mut body = serde_json::to_vec(message).unwrap();
    body.push(b'\n');
    body
}

/// The ids of a store list answer, in the order served.
pub(crate) fn store_ids(body: &serde_json::Value) -> Vec<String> {
    body["stores"]
        .as_array()
        .unwrap_or_else(|| panic!("no stores array: {body}"))
        .iter()
        .map(|s| {
            s["id"]
                .as_str()
                .unwrap_or_else(|| panic!("store id is not a string: {s}"))
                .to_owned()
        })
        .collect()
}

/// The store with this id in a store list answer.
pub(crate) fn store_with_id<'a>(body: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    body["stores"]
        .as_array()
        .unwrap_or_else(|| panic!("no stores array: {body}"))
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no store {id} in {body}"))
}

/// A fixture parsed as JSON, for tests that build a variant of it.
pub(crate) fn fixture_json(name: &str) -> serde_json::Value {
    serde_json::from_slice(&fixture(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// The scenario's t = 0 in the scale-cycle tests (`checks.rs`, `scale_cycle.rs`).
pub(crate) fn scale_epoch() -> jiff::Timestamp {
    "2025-03-10T08:00:00Z".parse().unwrap()
}

/// One simulated cluster with the scale cycle on (3 stores, 300 regions, seed 11), served by one
/// simulated PD per instant of `times` (seconds after [`scale_epoch`]) with its clock fixed
/// there; cluster `t<seconds>` is the cluster at that instant. No Prometheus.
pub(crate) async fn scale_cycle_lens(times: &[i64]) -> Lens {
    scale_cycle_stack(times, false).await
}

/// [`scale_cycle_lens`] with a simulated Prometheus beside each simulated PD, on the same clock.
pub(crate) async fn scale_cycle_lens_with_prometheus(times: &[i64]) -> Lens {
    scale_cycle_stack(times, true).await
}

/// The scale-cycle tests' simulated cluster: 3 stores, 300 regions, seed 11, the scale cycle
/// on, t = 0 at [`scale_epoch`].
pub(crate) fn scale_cycle_sim() -> Arc<tikv_sim::SimCluster> {
    Arc::new(tikv_sim::SimCluster::new(tikv_sim::SimConfig {
        stores: 3,
        regions: 300,
        seed: 11,
        epoch: scale_epoch(),
        scale_cycle: true,
        ..tikv_sim::SimConfig::default()
    }))
}

async fn scale_cycle_stack(times: &[i64], with_prometheus: bool) -> Lens {
    use tikv_sim::Clock;
    let sim = scale_cycle_sim();
    let mut clusters = Vec::new();
    for &t in times {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let now = scale_epoch() + jiff::SignedDuration::from_secs(t);
        tokio::spawn(tikv_sim::serve_pd(
            listener,
            Arc::clone(&sim),
            Clock::Fixed(now),
            std::future::pending(),
        ));
        let mut config = cluster(&format!("t{t}"), &[url]);
        if with_prometheus {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            tokio::spawn(tikv_sim::serve_prometheus(
                listener,
                Arc::clone(&sim),
                Clock::Fixed(now),
                std::future::pending(),
            ));
            config.prometheus = Some(url.parse().unwrap());
        }
        clusters.push(config);
    }
    Lens::start(clusters, test_limits()).await
}

pub(crate) mod browser;
pub(crate) mod real_prometheus;
pub(crate) mod real_victoria;
pub(crate) mod schema;
pub(crate) mod tikv_history;

pub(crate) mod fake_prometheus;

impl Lens {
    /// Like [`Lens::start`], with the state built the way `tikv-lens serve` builds it
    /// (`AppState::new`), so that `access` (tokens, CORS origins, rate limit, request deadline)
    /// applies.
    pub(crate) async fn start_with_access(
        clusters: Vec<ClusterConfig>,
        limits: UpstreamLimits,
        access: tikv_lens::config::AccessConfig,
    ) -> Self {
        Self::start_with_events(clusters, limits, access, Default::default()).await
    }

    /// Like [`Lens::start_with_access`], with the live events' settings too.
    pub(crate) async fn start_with_events(
        clusters: Vec<ClusterConfig>,
        limits: UpstreamLimits,
        access: tikv_lens::config::AccessConfig,
        events: tikv_lens::config::EventsConfig,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let config = tikv_lens::config::ServeConfig {
            listen: addr,
            tls: None,
            clusters,
            upstream: limits,
            memory_budget: Default::default(),
            access,
            events,
            log_format: tikv_lens::config::LogFormat::Text,
        };
        let state = AppState::new(&config).unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            tikv_lens::server::run(listener, state, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        Self {
            base: format!("http://{addr}"),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            _shutdown: tx,
        }
    }
}

impl FakePd {
    /// Every path and query received, sorted, each once.
    pub(crate) fn paths(&self) -> Vec<String> {
        let mut paths: Vec<String> = self.routes.lock().unwrap().hits.keys().cloned().collect();
        paths.sort_unstable();
        paths
    }
}

/// The simulated PD (seeded, clock standing still) with `regions` regions, on 127.0.0.1:0.
pub(crate) async fn simulated_pd(regions: u64) -> String {
    let epoch = jiff::Timestamp::constant(1_795_737_600, 0);
    let sim = std::sync::Arc::new(tikv_sim::SimCluster::new(tikv_sim::SimConfig {
        regions,
        seed: 7,
        epoch,
        ..tikv_sim::SimConfig::default()
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let clock = tikv_sim::Clock::Fixed(
        epoch
            .checked_add(jiff::SignedDuration::from_secs(30))
            .unwrap(),
    );
    tokio::spawn(tikv_sim::serve_pd(
        listener,
        sim,
        clock,
        std::future::pending(),
    ));
    url
}
