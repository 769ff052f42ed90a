//! The service's own metrics, served at `/metrics` in Prometheus' text format: requests by route
//! and status with latency, upstream requests by upstream, endpoint and outcome with latency,
//! cache reads by kind, the bytes each cache holds against the memory budget, and the live
//! events: listeners, events sent, polls. Every family
//! is described (HELP) when the recorder is installed, so `promtool check metrics` passes.
//!
//! One process-wide recorder (the `metrics` facade), installed on first use; several apps in one
//! process (the tests) share it.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Latency buckets, seconds: 1 ms to 30 s.
const LATENCY_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The recorder's handle; installs the recorder the first time.
pub(crate) fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &LATENCY_BUCKETS)
            .map(PrometheusBuilder::build_recorder);
        match recorder {
            Ok(recorder) => {
                let handle = recorder.handle();
                // Fails only when another recorder is installed already (a host embedding the
                // library); then the handle renders nothing, and nothing breaks.
                let _ = metrics::set_global_recorder(recorder);
                describe();
                handle
            }
            Err(_) => PrometheusBuilder::new().build_recorder().handle(),
        }
    })
}

/// HELP texts (and units) of every family.
fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "tikv_lens_http_requests_total",
        "Requests answered by tikv-lens, by route template, method and status."
    );
    describe_histogram!(
        "tikv_lens_http_request_duration_seconds",
        Unit::Seconds,
        "Time from receiving a request to its answer's headers, by route template, method and status."
    );
    describe_counter!(
        "tikv_lens_upstream_requests_total",
        "Requests tikv-lens sent to an upstream (pd, prometheus), by endpoint and outcome (ok, http_<status>, timeout, unreachable, too_large)."
    );
    describe_histogram!(
        "tikv_lens_upstream_request_duration_seconds",
        Unit::Seconds,
        "Time an upstream took to answer in full, by upstream, endpoint and outcome."
    );
    describe_counter!(
        "tikv_lens_cache_reads_total",
        "Reads through tikv-lens's caches, by upstream (pd, prometheus, answers) and kind: hit (a kept answer), load (asked the upstream), coalesced (shared another caller's request), stale (a last good answer while the upstream is down)."
    );
    describe_gauge!(
        "tikv_lens_cache_bytes",
        Unit::Bytes,
        "Bytes (keys and bodies) each cache holds: upstream (fresh upstream answers), last_good (served stale while an upstream is down), answers (finished API answers), events (the live events kept for resuming streams); together at most tikv_lens_memory_budget_bytes."
    );
    describe_gauge!(
        "tikv_lens_memory_budget_bytes",
        Unit::Bytes,
        "The memory budget of the caches (--memory-budget), by cache share: upstream, last_good, answers, events."
    );
    describe_gauge!(
        "tikv_lens_sse_subscribers",
        "Open event streams (GET /api/v1/clusters/{cluster}/events), by cluster; every cluster's together at most --events-max-subscribers."
    );
    describe_counter!(
        "tikv_lens_sse_events_sent_total",
        "Events written to event streams, by event type (one per stream that received it; resync included)."
    );
    describe_counter!(
        "tikv_lens_event_polls_total",
        "Polls of a cluster's upstreams for live events, by cluster: one per poll interval while the cluster has a listener, however many listen."
    );
}

/// How many event streams of `cluster` are open now.
pub(crate) fn sse_subscribers(cluster: &str, open: usize) {
    metrics::gauge!("tikv_lens_sse_subscribers", "cluster" => cluster.to_owned()).set(open as f64);
}

/// One event written to one stream.
pub(crate) fn sse_event_sent(kind: &'static str) {
    metrics::counter!("tikv_lens_sse_events_sent_total", "type" => kind).increment(1);
}

/// One poll of `cluster` for live events.
pub(crate) fn event_poll(cluster: &str) {
    metrics::counter!("tikv_lens_event_polls_total", "cluster" => cluster.to_owned()).increment(1);
}

/// The bytes each cache holds now (set when `/metrics` is read).
pub(crate) fn cache_bytes(upstream: u64, last_good: u64, answers: u64, events: u64) {
    for (cache, bytes) in [
        ("upstream", upstream),
        ("last_good", last_good),
        ("answers", answers),
        ("events", events),
    ] {
        metrics::gauge!("tikv_lens_cache_bytes", "cache" => cache).set(bytes as f64);
    }
}

/// The budget's shares, set once when the service starts.
pub(crate) fn memory_budget(budget: crate::budget::MemoryBudget) {
    // The state is built before the router installs the recorder (`server::app`); a gauge set
    // with no recorder would be lost.
    handle();
    for (cache, share) in [
        ("upstream", budget.upstream()),
        ("last_good", budget.last_good()),
        ("answers", budget.answers()),
        ("events", budget.events()),
    ] {
        metrics::gauge!("tikv_lens_memory_budget_bytes", "cache" => cache)
            .set(share.capacity_bytes as f64);
    }
}

/// One answered request of the API.
pub(crate) fn http_request(route: &str, method: &str, status: u16, elapsed: Duration) {
    let labels = [
        ("route", route.to_owned()),
        ("method", method.to_owned()),
        ("status", status.to_string()),
    ];
    metrics::counter!("tikv_lens_http_requests_total", &labels).increment(1);
    metrics::histogram!("tikv_lens_http_request_duration_seconds", &labels)
        .record(elapsed.as_secs_f64());
}

/// One request to an upstream. `endpoint` is the path with ids replaced by `{id}`; `outcome` is
/// `ok`, `http_<status>`, `timeout`, `unreachable`, `too_large` or `bad_body`.
pub(crate) fn upstream_request(upstream: &str, endpoint: &str, outcome: &str, elapsed: Duration) {
    let labels = [
        ("upstream", upstream.to_owned()),
        ("endpoint", endpoint.to_owned()),
        ("outcome", outcome.to_owned()),
    ];
    metrics::counter!("tikv_lens_upstream_requests_total", &labels).increment(1);
    metrics::histogram!("tikv_lens_upstream_request_duration_seconds", &labels)
        .record(elapsed.as_secs_f64());
}

/// How a cached read was served: `hit` (a kept answer), `load` (this caller asked the
/// upstream) or `coalesced` (it waited for another caller's identical request).
pub(crate) fn cache_read(upstream: &str, kind: &'static str) {
    metrics::counter!("tikv_lens_cache_reads_total", "upstream" => upstream.to_owned(), "kind" => kind).increment(1);
}

/// An upstream path as a metric label: no query, and numeric segments as `{id}`, so that the
/// label set stays bounded.
pub(crate) fn endpoint_label(path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    path.split('/')
        .map(|segment| {
            if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
                "{id}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_labels_are_bounded() {
        assert_eq!(
            endpoint_label("/pd/api/v1/store/42"),
            "/pd/api/v1/store/{id}"
        );
        assert_eq!(
            endpoint_label("/pd/api/v1/regions/key?key=t%80&limit=100"),
            "/pd/api/v1/regions/key"
        );
        assert_eq!(
            endpoint_label("/pd/api/v1/regions/check/miss-peer"),
            "/pd/api/v1/regions/check/miss-peer"
        );
    }
}
