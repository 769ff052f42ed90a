//! The dashboard page (`/ui/`) in a real headless Chromium against `tikv-lens demo` (the binary,
//! as a user runs it): every view renders the API's data, the store charts have points, a store
//! going down in the demo reaches the page through the events stream without a reload, and the
//! console stays free of errors. Screenshots of every view go to `target/ui-screenshots/`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::browser::Browser;

/// `tikv-lens demo` on a free port, killed when dropped.
struct Demo {
    child: Child,
    base: String,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Demo {
    /// Starts the demo `offset` into its scenario (the first store outage comes at 2 minutes).
    fn start(offset: &str) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tikv-lens"))
            .args([
                "demo",
                "--listen",
                "127.0.0.1:0",
                "--scenario-offset",
                offset,
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("tikv-lens demo starts");
        // The banner names the address it listens on: "  API       http://127.0.0.1:PORT/…".
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.trim().strip_prefix("API") {
                    let url = url.trim();
                    let base = url.split("/api/").next().unwrap_or(url).to_owned();
                    let _ = tx.send(base);
                }
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the demo prints its address within 30 s");
        Self { child, base }
    }

    async fn get(&self, path: &str) -> Value {
        let response = reqwest::get(format!("{}{path}", self.base)).await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        response.json().await.unwrap()
    }
}

const VIEW_TIMEOUT: Duration = Duration::from_secs(20);

/// Errors in the console: every entry at level SEVERE (uncaught exceptions, failed requests,
/// CSP violations).
fn severe(entries: &[Value]) -> Vec<&Value> {
    entries.iter().filter(|e| e["level"] == "SEVERE").collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_view_renders_the_api_and_live_updates_arrive_without_a_reload() {
    // 1m05s in: the scale-in is under way, and the flapping store stops at 2:00, so about 55 s
    // after launch; it is Disconnected 20 s after its last heartbeat.
    let demo = Demo::start("65s");
    let browser = Browser::start().await;
    let page = |route: &str| format!("{}/ui/#/{route}", demo.base);
    let b = &browser;

    // Fleet.
    b.client.goto(&page("fleet")).await.unwrap();
    let row = b
        .wait_for("the fleet table", "document.querySelector('main[data-view=fleet] table[data-table=fleet] tbody tr')?.textContent", VIEW_TIMEOUT)
        .await;
    assert!(row.as_str().unwrap().contains("default"), "{row}");
    b.screenshot("fleet").await;

    // Overview: every check of /checks, and PD's leader.
    let checks = demo.get("/api/v1/clusters/default/checks").await;
    let members = demo.get("/api/v1/clusters/default/members").await;
    b.client.goto(&page("c/default/overview")).await.unwrap();
    let expected = checks["checks"].as_array().unwrap().len();
    b.wait_for(
        "every check on the overview",
        &format!("document.querySelectorAll('main[data-view=overview] [data-checks] li[data-check]').length === {expected}"),
        VIEW_TIMEOUT,
    )
    .await;
    let leader = members["leader"]["name"].as_str().unwrap();
    let text = b.eval("document.querySelector('main').textContent").await;
    assert!(
        text.as_str().unwrap().contains(leader),
        "PD leader {leader} on the overview"
    );
    b.screenshot("overview").await;

    // Stores: one row per store, each in the API's state.
    let stores = demo.get("/api/v1/clusters/default/stores").await;
    b.client.goto(&page("c/default/stores")).await.unwrap();
    let count = stores["stores"].as_array().unwrap().len();
    b.wait_for(
        "a row per store",
        &format!("document.querySelectorAll('main[data-view=stores] tr[data-store-id]').length === {count}"),
        VIEW_TIMEOUT,
    )
    .await;
    for store in stores["stores"].as_array().unwrap() {
        let id = store["id"].as_str().unwrap();
        let state = b
            .eval(&format!(
                "document.querySelector('tr[data-store-id=\"{id}\"]').dataset.state"
            ))
            .await;
        assert_eq!(state, store["state"], "store {id}");
    }
    // A sortable column sorts: by regions, descending after two clicks.
    b.eval("(() => { const th = [...document.querySelectorAll('th.sortable')].find(t => t.textContent.startsWith('regions')); th.click(); return true; })()").await;
    b.eval("(() => { const th = [...document.querySelectorAll('th.sortable')].find(t => t.textContent.startsWith('regions')); th.click(); return true; })()").await;
    let sorted = b.eval("[...document.querySelectorAll('table[data-table=stores] tbody tr')].map(tr => Number(tr.children[9].textContent.replace(/,/g, '')))").await;
    let sorted: Vec<f64> = serde_json::from_value(sorted).unwrap();
    assert!(
        sorted.windows(2).all(|w| w[0] >= w[1]),
        "regions descending: {sorted:?}"
    );
    b.screenshot("stores").await;

    // A store's charts have points.
    let first = stores["stores"][0]["id"].as_str().unwrap();
    b.client
        .goto(&page(&format!("c/default/store/{first}")))
        .await
        .unwrap();
    b.wait_for(
        "six charts",
        "document.querySelectorAll('main[data-view=store] figure[data-chart] canvas').length === 6",
        VIEW_TIMEOUT,
    )
    .await;
    let points = b.eval("[...document.querySelectorAll('figure[data-chart]')].map(f => Number(f.dataset.points))").await;
    let points: Vec<u64> = serde_json::from_value(points).unwrap();
    assert!(
        points.iter().all(|&p| p > 0),
        "every chart has points: {points:?}"
    );
    b.screenshot("store-charts").await;

    // Operations: the schedulers, and the scale-in under way with its progress.
    let schedulers = demo.get("/api/v1/clusters/default/schedulers").await;
    b.client.goto(&page("c/default/operations")).await.unwrap();
    let n = schedulers["schedulers"].as_array().unwrap().len();
    b.wait_for(
        "a row per scheduler",
        &format!("document.querySelectorAll('main[data-view=operations] table[data-table=schedulers] tbody tr').length === {n}"),
        VIEW_TIMEOUT,
    )
    .await;
    b.wait_for(
        "the removal's progress",
        "document.querySelector('main[data-view=operations] [data-progress-store] .bar-fill')",
        VIEW_TIMEOUT,
    )
    .await;
    b.screenshot("operations").await;

    // Hot regions by store.
    let hot = demo.get("/api/v1/clusters/default/hotspots/write").await;
    b.client.goto(&page("c/default/hot")).await.unwrap();
    b.wait_for(
        "the hot view",
        "document.querySelector('main[data-view=hot] h1')",
        VIEW_TIMEOUT,
    )
    .await;
    if !hot["stores"].as_array().unwrap().is_empty() {
        b.wait_for(
            "hot write rows",
            "document.querySelectorAll('table[data-table=hot-write] tbody tr').length > 0",
            VIEW_TIMEOUT,
        )
        .await;
    }
    b.screenshot("hot-regions").await;

    // Region lookup: by id through the route, then by key through the form.
    let page_of_regions = demo.get("/api/v1/clusters/default/regions?limit=3").await;
    let region = &page_of_regions["regions"][2];
    let region_id = region["id"].as_str().unwrap();
    b.client
        .goto(&page(&format!("c/default/regions/{region_id}")))
        .await
        .unwrap();
    b.wait_for(
        "the region by id",
        &format!("document.querySelector('[data-region-id=\"{region_id}\"]')"),
        VIEW_TIMEOUT,
    )
    .await;
    let start_key = region["start_key"].as_str().unwrap();
    b.eval(&format!(
        "(() => {{ const i = document.querySelector('form.lookup input'); i.value = '{start_key}'; document.querySelector('form.lookup button').click(); return true; }})()"
    ))
    .await;
    b.wait_for("the region by key", &format!("document.querySelector('[data-region-id=\"{region_id}\"]') && location.hash.endsWith('{start_key}')"), VIEW_TIMEOUT).await;
    let decoded = b
        .eval("document.querySelector('[data-region-id]').textContent")
        .await;
    assert!(
        decoded.as_str().unwrap().contains("table"),
        "the key decoded as a TiDB key: {decoded}"
    );
    b.screenshot("region-lookup").await;

    // Live: on the stores view, with the events stream open, a store goes down in the demo.
    b.client.goto(&page("c/default/stores")).await.unwrap();
    b.wait_for(
        "the events stream open",
        "document.querySelector('.liveness').dataset.live === 'live'",
        VIEW_TIMEOUT,
    )
    .await;
    b.eval("(window.__loadedOnce = true)").await;
    let before = demo.get("/api/v1/clusters/default/stores").await;
    let up: Vec<String> = before["stores"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["state"] == "up")
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        up.len(),
        3,
        "the three stores are up before the outage: {before}"
    );
    // Wait (bounded) for the API to report one of them not up, and note when.
    let deadline = Instant::now() + Duration::from_secs(90);
    let (down_id, api_seen) = loop {
        assert!(
            Instant::now() < deadline,
            "no store went down in the demo within 90 s"
        );
        let now = demo.get("/api/v1/clusters/default/stores").await;
        let changed = now["stores"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| up.contains(&s["id"].as_str().unwrap().to_owned()) && s["state"] != "up")
            .map(|s| s["id"].as_str().unwrap().to_owned());
        if let Some(id) = changed {
            break (id, Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    b.wait_for(
        "the down store on the page",
        &format!("['disconnected', 'down'].includes(document.querySelector('tr[data-store-id=\"{down_id}\"]')?.dataset.state)"),
        Duration::from_secs(10),
    )
    .await;
    let latency = api_seen.elapsed();
    assert_eq!(
        b.eval("window.__loadedOnce === true").await,
        Value::Bool(true),
        "no reload"
    );
    // The row can change first, when another event (the scale-in's progress, an operator) makes
    // the view re-read the stores between two polls; the store's own event follows at the next
    // poll (2 s).
    b.wait_for(
        "the store's event in the feed",
        &format!("[...document.querySelectorAll('[data-feed] li[data-event-type=store_state_changed]')].some(li => li.textContent.includes('store {down_id} '))"),
        Duration::from_secs(10),
    )
    .await;
    let feed_latency = api_seen.elapsed();
    assert_eq!(
        b.eval("document.querySelector('.liveness').dataset.live")
            .await,
        "live",
        "still on the stream"
    );
    eprintln!(
        "store {down_id} on the page {latency:?}, in the feed {feed_latency:?} after the API first said so"
    );
    b.screenshot("live-store-down").await;

    let console = b.console().await;
    assert!(severe(&console).is_empty(), "console errors: {console:#?}");
}

/// A tikv-lens with `tokens` in front of a simulated PD (system clock).
async fn lens_with_tokens(tokens: &[&str]) -> crate::support::Lens {
    lens_with(tokens, Default::default()).await
}

async fn lens_with(
    tokens: &[&str],
    events: tikv_lens::config::EventsConfig,
) -> crate::support::Lens {
    use std::sync::Arc;
    let sim = Arc::new(tikv_sim::SimCluster::new(tikv_sim::SimConfig {
        epoch: jiff::Timestamp::now(),
        ..tikv_sim::SimConfig::default()
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(tikv_sim::serve_pd(
        listener,
        sim,
        tikv_sim::Clock::System,
        std::future::pending(),
    ));
    crate::support::Lens::start_with_events(
        vec![crate::support::cluster("default", &[url])],
        crate::support::test_limits(),
        tikv_lens::config::AccessConfig {
            tokens: tokens.iter().map(|t| (*t).to_owned()).collect(),
            ..Default::default()
        },
        events,
    )
    .await
}

/// Every file the page loads is served with its content type and without a token (the page
/// holds no data), while the API still asks for one; the HTML carries its CSP.
#[tokio::test]
async fn the_page_and_every_file_it_loads_are_served_without_a_token() {
    let lens = lens_with_tokens(&["s3cret"]).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |path: &str| client.get(format!("{}{path}", lens.base)).send();

    for (from, to) in [("/", "ui/"), ("/ui", "ui/")] {
        let r = get(from).await.unwrap();
        assert_eq!(r.status(), 308, "{from}");
        assert_eq!(r.headers()["location"], to, "{from}");
    }
    let html = get("/ui/").await.unwrap();
    assert_eq!(html.status(), 200);
    assert_eq!(html.headers()["content-type"], "text/html; charset=utf-8");
    let csp = html.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("connect-src 'self'"),
        "{csp}"
    );
    let html = html.text().await.unwrap();
    assert_eq!(
        get("/api/v1/clusters").await.unwrap().status(),
        401,
        "the API still needs the token"
    );

    // What the HTML references, then every module the scripts import, transitively.
    let mut pending: Vec<String> = attribute_values(&html, &["src=\"", "href=\""])
        .into_iter()
        .filter(|v| !v.starts_with("..") && !v.contains(':'))
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    while let Some(file) = pending.pop() {
        if !seen.insert(file.clone()) {
            continue;
        }
        let r = get(&format!("/ui/{file}")).await.unwrap();
        assert_eq!(r.status(), 200, "/ui/{file}");
        let content_type = r.headers()["content-type"].to_str().unwrap().to_owned();
        let expected = match file.rsplit_once('.').map(|(_, e)| e) {
            Some("js") => "text/javascript; charset=utf-8",
            Some("css") => "text/css; charset=utf-8",
            Some("svg") => "image/svg+xml",
            other => panic!("unexpected file type {other:?} of {file}"),
        };
        assert_eq!(content_type, expected, "/ui/{file}");
        if file.ends_with(".js") {
            let dir = file.rsplit_once('/').map_or("", |(d, _)| d);
            let text = r.text().await.unwrap();
            for import in attribute_values(&text, &["from \"", "import \""]) {
                if let Some(relative) = import.strip_prefix("./") {
                    pending.push(join(dir, relative));
                } else if let Some(parent) = import.strip_prefix("../") {
                    let up = dir.rsplit_once('/').map_or("", |(d, _)| d);
                    pending.push(join(up, parent));
                } else {
                    panic!(
                        "{file} imports {import:?}, which the browser cannot resolve without an import map"
                    );
                }
            }
        }
    }
    assert!(
        seen.contains("main.js")
            && seen.contains("vendor/uPlot.esm.js")
            && seen.contains("vendor/openapi-fetch.js"),
        "{seen:?}"
    );

    let missing = get("/ui/no-such-file.js").await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.headers()["content-type"],
        "application/problem+json"
    );
}

fn join(dir: &str, file: &str) -> String {
    if dir.is_empty() {
        file.to_owned()
    } else {
        format!("{dir}/{file}")
    }
}

/// The values that follow each of `prefixes` up to the next double quote.
fn attribute_values(text: &str, prefixes: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for prefix in prefixes {
        for (i, _) in text.match_indices(prefix) {
            let rest = &text[i + prefix.len()..];
            if let Some(end) = rest.find('"') {
                out.push(rest[..end].to_owned());
            }
        }
    }
    out
}

/// With tokens configured, the page asks for one, sends it, and then shows the data.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_asks_for_a_token_and_uses_it() {
    let lens = lens_with_tokens(&["s3cret"]).await;
    let browser = Browser::start().await;
    let b = &browser;
    b.client
        .goto(&format!("{}/ui/#/c/default/overview", lens.base))
        .await
        .unwrap();
    b.wait_for(
        "the token prompt",
        "document.querySelector('dialog.token-dialog[open]')",
        VIEW_TIMEOUT,
    )
    .await;
    b.eval("(() => { document.querySelector('dialog input[name=token]').value = 's3cret'; document.querySelector('dialog button[value=ok]').click(); return true; })()").await;
    b.wait_for(
        "the overview with the token",
        "document.querySelector('main[data-view=overview] [data-checks] li')",
        VIEW_TIMEOUT,
    )
    .await;
    assert_eq!(
        b.eval("sessionStorage.getItem('tikv-lens-token')").await,
        "s3cret"
    );
    // The only errors are the refused calls before the token was given.
    let console = b.console().await;
    for entry in severe(&console) {
        let message = entry["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("status of 401"),
            "an error other than the first 401s: {entry}"
        );
    }
}

/// When the events stream is refused (here: no stream may open), the page says so and keeps
/// the view current by polling it every few seconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_events_stream_the_page_polls() {
    let lens = lens_with(
        &[],
        tikv_lens::config::EventsConfig {
            max_subscribers: 0,
            ..Default::default()
        },
    )
    .await;
    let browser = Browser::start().await;
    let b = &browser;
    b.client
        .goto(&format!("{}/ui/#/c/default/stores", lens.base))
        .await
        .unwrap();
    b.wait_for(
        "the polling indicator",
        "document.querySelector('.liveness').dataset.live === 'polling'",
        VIEW_TIMEOUT,
    )
    .await;
    let first = b
        .wait_for(
            "the stores view",
            "document.querySelector('main[data-view=stores] tr[data-store-id]') && Number(document.querySelector('main').dataset.renderedAt)",
            VIEW_TIMEOUT,
        )
        .await;
    // Polled every 5 s: rendered again within 15 s, without a reload.
    b.eval("(window.__loadedOnce = true)").await;
    b.wait_for(
        "a render by polling",
        &format!("Number(document.querySelector('main').dataset.renderedAt) > {first} + 4000"),
        Duration::from_secs(15),
    )
    .await;
    assert_eq!(
        b.eval("window.__loadedOnce === true").await,
        Value::Bool(true),
        "no reload"
    );
    // The refused streams are the only errors.
    for entry in severe(&b.console().await) {
        let message = entry["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("/events") && message.contains("status of 503"),
            "an error other than the refused stream: {entry}"
        );
    }
}
