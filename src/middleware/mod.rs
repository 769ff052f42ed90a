//! What a request meets besides its handler, one concern a file. [`crate::server::app`] puts the
//! layers in order, in one place; nothing here decides where it runs.
//!
//! - `answer_cache.rs`: finished answers kept while fresh; `ETag`, `304 Not Modified`, `Age` and
//!   `Cache-Control`.
//! - `request_metrics.rs`: every routed request counted and timed by its route template.
//! - `deadline.rs`: the deadline of a whole request.
//! - `auth.rs`: bearer tokens, compared by digest.
//! - `rate_limit.rs`: requests per second per client address.
//! - `cors.rs`: CORS for the configured origins.
//!
//! Request ids are tower-http's layers, on the header named here (`REQUEST_ID`). Everything
//! here that refuses a request answers with the same problem+json as the API.

pub(crate) mod answer_cache;
pub(crate) mod auth;
pub(crate) mod cors;
pub(crate) mod deadline;
pub(crate) mod rate_limit;
pub(crate) mod request_metrics;

use axum::http::HeaderName;

/// The request id header, set on every answer (and taken from the request when it has one).
pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Paths that stay open without a token and outside the rate limit: probes must work before
/// anyone configures a token, and a busy dashboard must not make a probe fail.
pub(crate) const OPEN_PATHS: [&str; 2] = ["/healthz", "/readyz"];

fn is_open(path: &str) -> bool {
    OPEN_PATHS.contains(&path)
}

/// The dashboard page and its files: they hold no cluster data, so they need no token (the page
/// asks for one when the API answers 401), but they are rate limited like the API.
pub(crate) fn is_page(path: &str) -> bool {
    path == "/" || path == "/ui" || path.starts_with("/ui/")
}
