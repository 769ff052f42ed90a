//! The service's own request metrics: every routed request counted and timed (see
//! [`crate::telemetry`]).

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

/// Counts and times every routed request by its route template (never the raw path, which
/// would make the label set unbounded).
pub(crate) async fn record_request(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = match *request.method() {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    };
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    crate::telemetry::http_request(
        &route,
        method,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}
