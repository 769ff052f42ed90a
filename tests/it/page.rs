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
            .args(["demo", "--listen", "127.0.0.1:0", "--scenario-offset", offset])
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
    assert!(text.as_str().unwrap().contains(leader), "PD leader {leader} on the overview");
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
        let state = b.eval(&format!("document.querySelector('tr[data-store-id=\"{id}\"]').dataset.state")).await;
        assert_eq!(state, store["state"], "store {id}");
    }
    // A sortable column sorts: by regions, descending after two clicks.
    b.eval("(() => { const th = [...document.querySelectorAll('th.sortable')].find(t => t.textContent.startsWith('regions')); th.click(); return true; })()").await;
    b.eval("(() => { const th = [...document.querySelectorAll('th.sortable')].find(t => t.textContent.startsWith('regions')); th.click(); return true; })()").await;
    let sorted = b.eval("[...document.querySelectorAll('table[data-table=stores] tbody tr')].map(tr => Number(tr.children[9].textContent.replace(/,/g, '')))").await;
    let sorted: Vec<f64> = serde_json::from_value(sorted).unwrap();
    assert!(sorted.windows(2).all(|w| w[0] >= w[1]), "regions descending: {sorted:?}");
    b.screenshot("stores").await;

    // A store's charts have points.
    let first = stores["stores"][0]["id"].as_str().unwrap();
    b.client.goto(&page(&format!("c/default/store/{first}"))).await.unwrap();
    b.wait_for("six charts", "document.querySelectorAll('main[data-view=store] figure[data-chart] canvas').length === 6", VIEW_TIMEOUT).await;
    let points = b.eval("[...document.querySelectorAll('figure[data-chart]')].map(f => Number(f.dataset.points))").await;
    let points: Vec<u64> = serde_json::from_value(points).unwrap();
    assert!(points.iter().all(|&p| p > 0), "every chart has points: {points:?}");
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
    b.wait_for("the removal's progress", "document.querySelector('main[data-view=operations] [data-progress-store] .bar-fill')", VIEW_TIMEOUT).await;
    b.screenshot("operations").await;

    // Hot regions by store.
    let hot = demo.get("/api/v1/clusters/default/hotspots/write").await;
    b.client.goto(&page("c/default/hot")).await.unwrap();
    b.wait_for("the hot view", "document.querySelector('main[data-view=hot] h1')", VIEW_TIMEOUT).await;
    if !hot["stores"].as_array().unwrap().is_empty() {
        b.wait_for("hot write rows", "document.querySelectorAll('table[data-table=hot-write] tbody tr').length > 0", VIEW_TIMEOUT).await;
    }
    b.screenshot("hot-regions").await;

    // Region lookup: by id through the route, then by key through the form.
    let page_of_regions = demo.get("/api/v1/clusters/default/regions?limit=3").await;
    let region = &page_of_regions["regions"][2];
    let region_id = region["id"].as_str().unwrap();
    b.client.goto(&page(&format!("c/default/regions/{region_id}"))).await.unwrap();
    b.wait_for("the region by id", &format!("document.querySelector('[data-region-id=\"{region_id}\"]')"), VIEW_TIMEOUT).await;
    let start_key = region["start_key"].as_str().unwrap();
    b.eval(&format!(
        "(() => {{ const i = document.querySelector('form.lookup input'); i.value = '{start_key}'; document.querySelector('form.lookup button').click(); return true; }})()"
    ))
    .await;
    b.wait_for("the region by key", &format!("document.querySelector('[data-region-id=\"{region_id}\"]') && location.hash.endsWith('{start_key}')"), VIEW_TIMEOUT).await;
    let decoded = b.eval("document.querySelector('[data-region-id]').textContent").await;
    assert!(decoded.as_str().unwrap().contains("table"), "the key decoded as a TiDB key: {decoded}");
    b.screenshot("region-lookup").await;

    // Live: on the stores view, with the events stream open, a store goes down in the demo.
    b.client.goto(&page("c/default/stores")).await.unwrap();
    b.wait_for("the events stream open", "document.querySelector('.liveness').dataset.live === 'live'", VIEW_TIMEOUT).await;
    b.eval("(window.__loadedOnce = true)").await;
    let before = demo.get("/api/v1/clusters/default/stores").await;
    let up: Vec<String> = before["stores"].as_array().unwrap().iter().filter(|s| s["state"] == "up").map(|s| s["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(up.len(), 3, "the three stores are up before the outage: {before}");
    // Wait (bounded) for the API to report one of them not up, and note when.
    let deadline = Instant::now() + Duration::from_secs(90);
    let (down_id, api_seen) = loop {
        assert!(Instant::now() < deadline, "no store went down in the demo within 90 s");
        let now = demo.get("/api/v1/clusters/default/stores").await;
        let changed = now["stores"].as_array().unwrap().iter().find(|s| up.contains(&s["id"].as_str().unwrap().to_owned()) && s["state"] != "up").map(|s| s["id"].as_str().unwrap().to_owned());
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
    assert_eq!(b.eval("window.__loadedOnce === true").await, Value::Bool(true), "no reload");
    let event = b.eval(&format!("document.querySelector('[data-feed] li[data-event-type=store_state_changed]')?.textContent ?? ''")).await;
    assert!(event.as_str().unwrap().contains(&format!("store {down_id}")), "the event in the feed: {event}");
    assert_eq!(b.eval("document.querySelector('.liveness').dataset.live").await, "live", "still on the stream");
    eprintln!("store {down_id} on the page {latency:?} after the API first said so");
    b.screenshot("live-store-down").await;

    let console = b.console().await;
    assert!(severe(&console).is_empty(), "console errors: {console:#?}");
}
