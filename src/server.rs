//! The router and the server loop.
//!
//! [`app`] builds everything a request meets (routes, docs, fallbacks, layers), so tests drive
//! the real service through `tower::ServiceExt::oneshot` or on a port-0 socket. [`run`] serves it
//! until the shutdown future resolves, finishing requests in flight.

use std::future::Future;

use axum::Router;
use axum::http::{Method, Uri};
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;
use utoipa_swagger_ui::SwaggerUi;

use crate::error::ApiError;
use crate::state::AppState;

/// The whole service: the API, `/openapi.json`, Swagger UI at `/docs`, and problem+json answers
/// for unknown routes and methods.
pub fn app(state: AppState) -> Router {
    let (router, openapi) = crate::api::routes().split_for_parts();
    router
        .merge(SwaggerUi::new("/docs").url("/openapi.json", openapi))
        .fallback(route_not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn route_not_found(method: Method, uri: Uri) -> ApiError {
    if method == Method::GET || method == Method::HEAD {
        ApiError::RouteNotFound(uri.path().to_owned())
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
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
}
