//! A fake Prometheus on 127.0.0.1:0 answering `/api/v1/query` and `/api/v1/query_range` with
//! canned bodies (the captured Prometheus 2.42 fixtures, or bodies a test builds), and recording
//! every request so tests can assert what tikv-lens sent.
//!
//! Like Prometheus, it reads parameters from the URL query string and, for a POST with
//! `Content-Type: application/x-www-form-urlencoded`, from the form body (the form wins, as with
//! Go's `Request.FormValue`). Answers are chosen by (path, decoded `query`) first, then by path.
//! Anything unregistered answers like Prometheus' router: 404 `404 page not found`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Method, Request, header};
use axum::response::Response;
use tikv_lens::config::ClusterConfig;
use tikv_lens::upstream::UpstreamLimits;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use super::{Canned, Lens, test_limits};

/// Prometheus' content type for API answers (success and error).
pub(crate) const PROM_JSON: &str = "application/json";
/// Prometheus' content type for its router's 404 and 405 pages.
pub(crate) const PROM_TEXT: &str = "text/plain; charset=utf-8";

pub(crate) const QUERY: &str = "/api/v1/query";
pub(crate) const QUERY_RANGE: &str = "/api/v1/query_range";

/// The bytes of a fixture under `tests/fixtures/prometheus/`.
pub(crate) fn prometheus_fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/prometheus/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

/// A Prometheus fixture parsed as JSON, for computing expectations independently of tikv-lens.
pub(crate) fn prometheus_fixture_json(name: &str) -> serde_json::Value {
    serde_json::from_slice(&prometheus_fixture(name))
        .unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// A fixture's captured status and content type, from `index.json`, with its bytes.
pub(crate) fn prometheus_canned(name: &str) -> Canned {
    let index = prometheus_fixture_json("index.json");
    let case = index["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["file"] == name)
        .unwrap_or_else(|| panic!("{name} is not in index.json"));
    let status = u16::try_from(case["status"].as_u64().unwrap()).unwrap();
    let content_type = match case["content_type"].as_str().unwrap() {
        PROM_JSON => PROM_JSON,
        PROM_TEXT => PROM_TEXT,
        other => panic!("{name}: unexpected content type {other}"),
    };
    Canned::new(status, content_type, prometheus_fixture(name))
}

/// A 200 JSON answer with a body built by the test.
pub(crate) fn prom_json(body: impl Into<Vec<u8>>) -> Canned {
    Canned::new(200, PROM_JSON, body)
}

/// One request the fake received.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub method: Method,
    pub path: String,
    /// The request's `Content-Type`, if any.
    pub content_type: Option<String>,
    /// Parameters of the URL query string, decoded, in order.
    pub url_params: Vec<(String, String)>,
    /// Parameters of an urlencoded form body, decoded, in order.
    pub form_params: Vec<(String, String)>,
}

impl Received {
    /// A parameter's value the way Prometheus reads it: the form body first, then the URL.
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.form_params
            .iter()
            .chain(&self.url_params)
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value given for `name` (URL and form), to catch duplicates.
    pub(crate) fn all(&self, name: &str) -> Vec<&str> {
        self.form_params
            .iter()
            .chain(&self.url_params)
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The decoded PromQL, or `""`.
    pub(crate) fn query(&self) -> &str {
        self.param("query").unwrap_or_default()
    }

    /// The names of every parameter received, sorted, without duplicates.
    pub(crate) fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .form_params
            .iter()
            .chain(&self.url_params)
            .map(|(k, _)| k.as_str())
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }
}

type Responder = Arc<dyn Fn(&Received) -> Canned + Send + Sync>;

#[derive(Default)]
struct Registry {
    by_query: HashMap<(String, String), Canned>,
    by_path: HashMap<String, Responder>,
    hits: HashMap<String, usize>,
    received: Vec<Received>,
}

/// The fake Prometheus. Dropping it stops the server.
pub(crate) struct FakePrometheus {
    pub addr: SocketAddr,
    registry: Arc<Mutex<Registry>>,
    _shutdown: oneshot::Sender<()>,
}

impl FakePrometheus {
    pub(crate) async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let registry = Arc::new(Mutex::new(Registry::default()));
        let shared = registry.clone();
        let app = axum::Router::new().fallback(move |req: Request<Body>| {
            let registry = shared.clone();
            async move { answer(&registry, req).await }
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
            registry,
            _shutdown: tx,
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Answers `path` with `canned` when the decoded `query` parameter is exactly `promql`.
    pub(crate) fn answer(&self, path: &str, promql: &str, canned: Canned) -> &Self {
        self.registry
            .lock()
            .unwrap()
            .by_query
            .insert((path.to_owned(), promql.to_owned()), canned);
        self
    }

    /// Answers `path` with a fixture (its captured status and content type) for this PromQL.
    pub(crate) fn answer_fixture(&self, path: &str, promql: &str, fixture_name: &str) -> &Self {
        self.answer(path, promql, prometheus_canned(fixture_name))
    }

    /// Answers every request on `path` that has no (path, query) answer with `canned`.
    pub(crate) fn answer_any(&self, path: &str, canned: Canned) -> &Self {
        self.answer_with(path, move |_| canned.clone())
    }

    /// Answers every request on `path` that has no (path, query) answer with what `responder`
    /// builds from the request (e.g. a body chosen by the metric named in the PromQL).
    pub(crate) fn answer_with(
        &self,
        path: &str,
        responder: impl Fn(&Received) -> Canned + Send + Sync + 'static,
    ) -> &Self {
        self.registry
            .lock()
            .unwrap()
            .by_path
            .insert(path.to_owned(), Arc::new(responder));
        self
    }

    /// How many requests `path` received (any method, any parameters).
    pub(crate) fn hits(&self, path: &str) -> usize {
        self.registry
            .lock()
            .unwrap()
            .hits
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    /// Requests received on every path.
    pub(crate) fn total_hits(&self) -> usize {
        self.registry.lock().unwrap().hits.values().sum()
    }

    /// Every request received, in arrival order.
    pub(crate) fn received(&self) -> Vec<Received> {
        self.registry.lock().unwrap().received.clone()
    }

    /// Every request received on `path`, in arrival order.
    pub(crate) fn received_on(&self, path: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    /// The last request received on `path`; panics when there was none.
    pub(crate) fn last(&self, path: &str) -> Received {
        self.received_on(path)
            .pop()
            .unwrap_or_else(|| panic!("the fake Prometheus received nothing on {path}"))
    }
}

fn decode(raw: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw).into_owned().collect()
}

async fn answer(registry: &Mutex<Registry>, req: Request<Body>) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 16 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let is_form = parts.method == Method::POST
        && content_type
            .as_deref()
            .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    let received = Received {
        method: parts.method.clone(),
        path: parts.uri.path().to_owned(),
        content_type,
        url_params: decode(parts.uri.query().unwrap_or_default().as_bytes()),
        form_params: if is_form { decode(&body) } else { Vec::new() },
    };
    let api = received.path == QUERY || received.path == QUERY_RANGE;
    let (exact, responder) = {
        let mut registry = registry.lock().unwrap();
        *registry.hits.entry(received.path.clone()).or_default() += 1;
        registry.received.push(received.clone());
        let key = (received.path.clone(), received.query().to_owned());
        (
            registry.by_query.get(&key).cloned(),
            registry.by_path.get(&received.path).cloned(),
        )
    };
    // The responder runs outside the lock: a test's assertion failing in it must not poison
    // the registry the test reads afterwards.
    let canned = if api && !matches!(received.method, Method::GET | Method::POST) {
        Canned::new(405, PROM_TEXT, "Method Not Allowed\n")
    } else if let Some(canned) = exact {
        canned
    } else if let Some(responder) = responder {
        responder(&received)
    } else {
        Canned::new(404, PROM_TEXT, "404 page not found\n")
    };
    canned.respond().await
}

/// A cluster named `name` in front of `pd_urls`, with `prometheus_url` as its Prometheus.
pub(crate) fn cluster_with_prometheus(
    name: &str,
    pd_urls: &[String],
    prometheus_url: &str,
) -> ClusterConfig {
    ClusterConfig {
        name: name.to_owned(),
        pd_endpoints: pd_urls.iter().map(|u| u.parse().unwrap()).collect(),
        prometheus: Some(prometheus_url.parse().unwrap()),
        cache: tikv_lens::upstream::CacheTtls::uncached(),
        checks: Default::default(),
        security: Default::default(),
        prometheus_selection: Default::default(),
        events_poll_interval: None,
    }
}

impl Lens {
    /// One cluster named `default` in front of `pd_urls` and `prometheus_url`, with test-sized
    /// deadlines.
    pub(crate) async fn start_with_prometheus(pd_urls: &[String], prometheus_url: &str) -> Self {
        Self::start_with_prometheus_limits(pd_urls, prometheus_url, test_limits()).await
    }

    /// As [`Lens::start_with_prometheus`], with these limits.
    pub(crate) async fn start_with_prometheus_limits(
        pd_urls: &[String],
        prometheus_url: &str,
        limits: UpstreamLimits,
    ) -> Self {
        Self::start(
            vec![cluster_with_prometheus("default", pd_urls, prometheus_url)],
            limits,
        )
        .await
    }
}

/// `text` percent-encoded for a URL query string.
pub(crate) fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
