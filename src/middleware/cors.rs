//! Reads from browser scripts of other origins (CORS), for the configured origins only.

use axum::http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::REQUEST_ID;

/// CORS for the configured origins only: reads (GET, HEAD) with the headers a dashboard sends
/// (`Last-Event-ID` included, for event streams), and the caching headers exposed to scripts.
pub(crate) fn cors_layer(origins: &[String]) -> Option<CorsLayer> {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::HEAD])
            .allow_headers([
                header::AUTHORIZATION,
                header::IF_NONE_MATCH,
                header::ACCEPT,
                // Sent by a browser's EventSource when it reconnects to `/events`.
                HeaderName::from_static("last-event-id"),
            ])
            .expose_headers([header::ETAG, header::AGE, header::CACHE_CONTROL, REQUEST_ID])
            .max_age(std::time::Duration::from_secs(600)),
    )
}
