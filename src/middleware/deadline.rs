//! The deadline of a whole client request.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// The deadline of a whole request (`request_timeout`); beyond it, a 504 problem (upstream
/// deadlines are shorter, so this only catches what nothing else bounds).
///
/// It bounds the handler, until the answer's head: a body streamed afterwards (an event
/// stream, which lasts as long as its client) is not cut by it.
pub(crate) async fn request_deadline(
    State(request_timeout): State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    match tokio::time::timeout(request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::RequestTimeout(request_timeout).into_response(),
    }
}
