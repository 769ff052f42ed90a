//! A per-client rate limit: requests per second per client address, probes excepted.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::Clock as _;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::is_open;
use crate::error::ApiError;

/// The limit of each client address, built from the configuration; the default is unlimited.
#[derive(Clone, Default)]
pub(crate) struct ClientRateLimit {
    /// Per-client-address limiter; `None`: no rate limit.
    limiter: Option<Arc<DefaultKeyedRateLimiter<IpAddr>>>,
}

impl std::fmt::Debug for ClientRateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientRateLimit")
            .field("rate_limited", &self.limiter.is_some())
            .finish()
    }
}

impl ClientRateLimit {
    /// `per_second`: requests a client address may make per second, with a burst of as many
    /// (0: unlimited).
    pub(crate) fn new(per_second: u32) -> Self {
        let limiter =
            NonZeroU32::new(per_second).map(|n| Arc::new(RateLimiter::keyed(Quota::per_second(n))));
        Self { limiter }
    }
}

/// At most the configured requests per second per client address (the TCP peer; a proxy in
/// front makes every client one), probes excepted. Beyond: 429 with `Retry-After`.
pub(crate) async fn rate_limit(
    State(limit): State<ClientRateLimit>,
    request: Request,
    next: Next,
) -> Response {
    // Probes are exempt: behind a proxy every client shares one address, and a busy dashboard
    // must not make the orchestrator think the service is dead.
    let Some(limiter) = limit
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limiter_refuses_beyond_the_burst() {
        let limit = ClientRateLimit::new(5);
        let limiter = limit.limiter.as_ref().unwrap();
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let allowed = (0..10).filter(|_| limiter.check_key(&ip).is_ok()).count();
        assert_eq!(allowed, 5);
        let other: IpAddr = "127.0.0.2".parse().unwrap();
        assert!(limiter.check_key(&other).is_ok(), "limits are per address");
    }
}
