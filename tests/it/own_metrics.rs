//! The service's own `/metrics`: valid for Prometheus (`promtool check metrics`, which also
//! lints HELP texts, units and names), and the cache gauges follow what the caches hold.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::support::real_prometheus::find_binary;
use crate::support::{Canned, FakePd, Lens};

const STORES: &str = "/pd/api/v1/stores";

async fn metrics_text(lens: &Lens) -> String {
    let response = reqwest::get(format!("{}/metrics", lens.base))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

/// The value of the sample whose line starts with `series` (name and labels, as rendered).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
}

#[tokio::test]
async fn promtool_accepts_the_metrics_page() {
    let pd = FakePd::start().await;
    pd.serve(STORES, Canned::json("stores.json"));
    let lens = Lens::single_cached(&[pd.url()]).await;
    // Every family gets samples: answered requests, upstream requests, cache reads and bytes,
    // and an event stream (a listener, its poller's polls, the events sent to it).
    lens.get("/api/v1/clusters/default/stores").await.ok();
    lens.get("/api/v1/clusters/default/stores").await.ok();
    let events = format!("{}/api/v1/clusters/default/events", lens.base);
    let mut plain = reqwest::get(&events).await.unwrap();
    assert_eq!(plain.status(), 200);
    let _retry = plain.chunk().await.unwrap();
    // An unknown `Last-Event-ID` gets a resync: an event sent.
    let mut resumed = reqwest::Client::new()
        .get(&events)
        .header("last-event-id", "0")
        .send()
        .await
        .unwrap();
    let mut received = String::new();
    while !received.contains("event: resync") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), resumed.chunk())
            .await
            .expect("the resync within 10 s")
            .unwrap()
            .unwrap();
        received.push_str(&String::from_utf8_lossy(&chunk));
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut text = metrics_text(&lens).await;
    while !text.contains("tikv_lens_event_polls_total{cluster=\"default\"}") {
        assert!(
            std::time::Instant::now() < deadline,
            "no poll counted:\n{text}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        text = metrics_text(&lens).await;
    }
    assert!(
        sample(&text, "tikv_lens_sse_subscribers{cluster=\"default\"}").unwrap() >= 2.0,
        "{text}"
    );
    for family in [
        "tikv_lens_http_requests_total",
        "tikv_lens_http_request_duration_seconds",
        "tikv_lens_upstream_requests_total",
        "tikv_lens_upstream_request_duration_seconds",
        "tikv_lens_cache_reads_total",
        "tikv_lens_cache_bytes",
        "tikv_lens_memory_budget_bytes",
        "tikv_lens_sse_subscribers",
        "tikv_lens_sse_events_sent_total",
        "tikv_lens_event_polls_total",
    ] {
        assert!(
            text.contains(&format!("# HELP {family} ")),
            "no HELP for {family}:\n{text}"
        );
    }

    let mut promtool = Command::new(find_binary("promtool"))
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    promtool
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = promtool.wait_with_output().unwrap();
    assert!(
        out.status.success() && out.stdout.is_empty(),
        "promtool check metrics failed ({}):\n{}{}\n--- the page ---\n{text}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn cache_gauges_report_the_bytes_kept() {
    let pd = FakePd::start().await;
    pd.serve(STORES, Canned::json("stores.json"));
    let lens = Lens::single_cached(&[pd.url()]).await;
    assert_eq!(
        lens.get("/api/v1/clusters/default/stores").await.status,
        200
    );
    let text = metrics_text(&lens).await;
    // This lens's caches hold the stores body (upstream and last good) and the answer; the
    // gauges are process-wide, but each test's state sets them when its /metrics is read.
    let body = crate::support::fixture("stores.json").len() as f64;
    let upstream = sample(&text, "tikv_lens_cache_bytes{cache=\"upstream\"}").unwrap();
    let last_good = sample(&text, "tikv_lens_cache_bytes{cache=\"last_good\"}").unwrap();
    let answers = sample(&text, "tikv_lens_cache_bytes{cache=\"answers\"}").unwrap();
    assert!(upstream >= body, "upstream {upstream} < body {body}");
    assert!(last_good >= body, "last good {last_good} < body {body}");
    assert!(answers > 0.0, "answers {answers}");
    assert_eq!(
        sample(&text, "tikv_lens_memory_budget_bytes{cache=\"upstream\"}"),
        Some(64.0 * 1024.0 * 1024.0)
    );
}
