//! Who may read, and how much: bearer tokens, CORS for configured origins, a per-client rate
//! limit, a deadline on every request, and request ids. Everything here answers with the same
//! problem+json as the API.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::Clock as _;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::ApiError;

/// The request id header, set on every answer (and taken from the request when it has one).
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Access settings, built from the configuration.
#[derive(Clone, Default)]
pub struct Guard {
    /// SHA-256 of each accepted token; empty: no authentication.
    token_digests: Arc<Vec<[u8; 32]>>,
    /// Per-client-address limiter; `None`: no rate limit.
    limiter: Option<Arc<DefaultKeyedRateLimiter<IpAddr>>>,
    /// Deadline of a whole request.
    pub request_timeout: Duration,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("tokens", &self.token_digests.len())
            .field("rate_limited", &self.limiter.is_some())
            .field("request_timeout", &self.request_timeout)
            .finish()
    }
}

impl Guard {
    /// `tokens`: accepted bearer tokens (none: open). `per_second`: requests a client address
    /// may make per second, with a burst of as many (0: unlimited).
    pub fn new(tokens: &[String], per_second: u32, request_timeout: Duration) -> Self {
        let token_digests = tokens.iter().map(|t| digest(t.as_bytes())).collect();
        let limiter =
            NonZeroU32::new(per_second).map(|n| Arc::new(RateLimiter::keyed(Quota::per_second(n))));
        Self {
            token_digests: Arc::new(token_digests),
            limiter,
            request_timeout,
        }
    }

    pub fn requires_token(&self) -> bool {
        !self.token_digests.is_empty()
    }

    /// Compares against every accepted token without stopping early, on digests of equal
    /// length, so that timing tells nothing about how much of a guess was right.
    fn accepts(&self, presented: &[u8]) -> bool {
        let presented = digest(presented);
        self.token_digests
            .iter()
            .fold(subtle::Choice::from(0), |any, d| any | d.ct_eq(&presented))
            .into()
    }
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Paths that stay open without a token: probes must work before anyone configures one.
fn is_open(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz")
}

/// Bearer tokens: with tokens configured, every route but the probes needs
/// `Authorization: Bearer <token>`; otherwise a 401 problem.
pub async fn authenticate(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    if !guard.requires_token()
        || is_open(request.uri().path())
        || request.method() == Method::OPTIONS
    {
        return next.run(request).await;
    }
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    match presented {
        Some(token) if guard.accepts(token.as_bytes()) => next.run(request).await,
        Some(_) => unauthorized("the bearer token is not valid"),
        None => {
            unauthorized("this service needs a bearer token: send Authorization: Bearer <token>")
        }
    }
}

fn unauthorized(detail: &str) -> Response {
    let mut response = ApiError::Unauthorized(detail.to_owned()).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"tikv-lens\""),
    );
    response
}

/// At most the configured requests per second per client address (the TCP peer; a proxy in
/// front makes every client one), probes excepted. Beyond: 429 with `Retry-After`.
pub async fn rate_limit(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    // Probes are exempt: behind a proxy every client shares one address, and a busy dashboard
    // must not make the orchestrator think the service is dead.
    let Some(limiter) = guard
        .limiter
        .as_ref()
        .filter(|_| !is_open(request.uri().path()))
    else {
        return next.run(request).await;
    };
    let Some(peer) = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
    else {
        return next.run(request).await;
    };
    match limiter.check_key(&peer) {
        Ok(()) => {
            // Forget idle clients now and then, so the table stays as small as the active set.
            if limiter.len() > 10_000 {
                limiter.retain_recent();
            }
            next.run(request).await
        }
        Err(not_until) => {
            let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
            let seconds = wait.as_secs().max(1);
            let mut response = ApiError::RateLimited(seconds).into_response();
            if let Ok(v) = HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
            response
        }
    }
}

/// The deadline of a whole request; beyond it, a 504 problem (upstream deadlines are shorter, so
/// this only catches what nothing else bounds).
pub async fn request_deadline(
    State(guard): State<Guard>,
    request: Request,
    next: Next,
) -> Response {
    match tokio::time::timeout(guard.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::RequestTimeout(guard.request_timeout).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_compared_by_digest() {
        let g = Guard::new(
            &["s3cret".into(), "other".into()],
            0,
            Duration::from_secs(1),
        );
        assert!(g.accepts(b"s3cret"));
        assert!(g.accepts(b"other"));
        assert!(!g.accepts(b"s3cre"));
        assert!(!g.accepts(b""));
        assert!(!Guard::default().requires_token());
    }

    #[test]
    fn the_limiter_refuses_beyond_the_burst() {
        let g = Guard::new(&[], 5, Duration::from_secs(1));
        let limiter = g.limiter.as_ref().unwrap();
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let allowed = (0..10).filter(|_| limiter.check_key(&ip).is_ok()).count();
        assert_eq!(allowed, 5);
        let other: IpAddr = "127.0.0.2".parse().unwrap();
        assert!(limiter.check_key(&other).is_ok(), "limits are per address");
    }
}
