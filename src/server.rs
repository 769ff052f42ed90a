//! The router and the server loop.
//!
//! [`app`] builds everything a request meets (routes, docs, fallbacks, layers), so tests drive
//! the real service through `tower::ServiceExt::oneshot` or on a port-0 socket. [`run`] serves it
//! until the shutdown future resolves, finishing requests in flight and ending event streams;
//! [`run_tls`] does the same over HTTPS. The layers themselves live in `middleware`; their
//! order is set here.

use std::future::Future;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{Method, Uri};
use axum::middleware::{from_fn, from_fn_with_state};
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa_swagger_ui::SwaggerUi;

use crate::error::ApiError;
use crate::middleware::{
    REQUEST_ID, answer_cache, auth, cors, deadline, rate_limit, request_metrics,
};
use crate::state::AppState;

/// The whole service: the API, `/openapi.json`, Swagger UI at `/docs`, and problem+json answers
/// for unknown routes and methods.
pub fn app(state: AppState) -> Router {
    // Installed before the first request, so that /metrics lists every family from the start.
    crate::telemetry::handle();
    let answers = state.answers.clone();
    let request_timeout = state.request_timeout;
    let tokens = state.tokens.clone();
    let client_limit = state.rate_limit.clone();
    let cors = cors::cors_layer(&state.cors_origins);
    let (router, openapi) = crate::api::routes().split_for_parts();
    router
        // Route layer: runs after routing, so it sees the matched route template.
        .route_layer(from_fn(request_metrics::record_request))
        .merge(SwaggerUi::new("/docs").url("/openapi.json", crate::openapi::complete(openapi)))
        .fallback(route_not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // Inner to outer: gzip when asked for; freshness headers and ETags on the bytes actually
        // sent (so gzip and identity answers have different strong validators); the request
        // deadline; tokens; the rate limit; CORS (outside the token check, so that preflights
        // work); request ids and the access log.
        .layer(CompressionLayer::new().gzip(true))
        .layer(from_fn_with_state(answers, answer_cache::http_caching))
        .layer(from_fn_with_state(request_timeout, deadline::request_deadline))
        .layer(from_fn_with_state(tokens, auth::authenticate))
        .layer(from_fn_with_state(client_limit, rate_limit::rate_limit))
        .layer(tower::util::option_layer(cors))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<Body>| {
            let request_id = request
                .headers()
                .get(REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            tracing::info_span!("request", method = %request.method(), uri = %request.uri().path(), request_id)
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

async fn route_not_found(method: Method, uri: Uri) -> ApiError {
    if method == Method::GET || method == Method::HEAD {
        ApiError::RouteNotFound(crate::error::truncate(uri.path(), 128))
    } else {
        // Read-only service: no route takes anything but GET and HEAD.
        ApiError::MethodNotAllowed
    }
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Serves `app(state)` on `listener` until `shutdown` resolves, then lets requests in flight end.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let shutdown = ending_streams(&state, shutdown);
    // The peer address is what the per-client rate limit counts by.
    let app = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// `shutdown`, then the end of every event stream and poller: a graceful shutdown waits for
/// the answers in flight, and an event stream would otherwise never end.
fn ending_streams(
    state: &AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> impl Future<Output = ()> + Send + 'static {
    let events = state.events.clone();
    async move {
        shutdown.await;
        events.close();
    }
}

/// As [`run`], over HTTPS: TLS handshakes with `tls` run off the accept loop
/// ([`crate::tls::TlsListener`]); shutdown likewise lets requests in flight end.
pub async fn run_tls(
    listener: TcpListener,
    tls: std::sync::Arc<rustls::ServerConfig>,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt as _;
    // `tap_io` changes nothing on the connection; it is what lets `ConnectInfo<SocketAddr>`
    // (the rate limit's client address) come from any listener whose address is a SocketAddr.
    let listener = crate::tls::TlsListener::new(listener, tls)?.tap_io(|_| {});
    let shutdown = ending_streams(&state, shutdown);
    let app = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
