//! Bearer tokens: with any configured, every route but the probes needs one. Tokens are kept and
//! compared as digests only.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{is_open, is_page};
use crate::error::ApiError;

/// The accepted bearer tokens, built from the configuration; the default accepts none and
/// requires none.
#[derive(Clone, Default)]
pub(crate) struct BearerTokens {
    /// SHA-256 of each accepted token; empty: no authentication.
    digests: Arc<Vec<[u8; 32]>>,
}

impl std::fmt::Debug for BearerTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BearerTokens")
            .field("tokens", &self.digests.len())
            .finish()
    }
}

impl BearerTokens {
    /// `tokens`: accepted bearer tokens (none: open).
    pub(crate) fn new(tokens: &[String]) -> Self {
        let digests = tokens.iter().map(|t| digest(t.as_bytes())).collect();
        Self {
            digests: Arc::new(digests),
        }
    }

    pub(crate) fn requires_token(&self) -> bool {
        !self.digests.is_empty()
    }

    /// Compares against every accepted token without stopping early, on digests of equal
    /// length, so that timing tells nothing about how much of a guess was right.
    fn accepts(&self, presented: &[u8]) -> bool {
        let presented = digest(presented);
        self.digests
            .iter()
            .fold(subtle::Choice::from(0), |any, d| any | d.ct_eq(&presented))
            .into()
    }
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Bearer tokens: with tokens configured, every route but the probes needs
/// `Authorization: Bearer <token>`; otherwise a 401 problem.
pub(crate) async fn authenticate(
    State(tokens): State<BearerTokens>,
    request: Request,
    next: Next,
) -> Response {
    if !tokens.requires_token()
        || is_open(request.uri().path())
        || is_page(request.uri().path())
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
        Some(token) if tokens.accepts(token.as_bytes()) => next.run(request).await,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_compared_by_digest() {
        let tokens = BearerTokens::new(&["s3cret".into(), "other".into()]);
        assert!(tokens.accepts(b"s3cret"));
        assert!(tokens.accepts(b"other"));
        assert!(!tokens.accepts(b"s3cre"));
        assert!(!tokens.accepts(b""));
        assert!(!BearerTokens::default().requires_token());
    }
}
