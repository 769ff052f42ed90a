//! [`ApiError`], the one error type handlers return, and its `application/problem+json` form.
//!
//! Every client mistake is a 400 naming the parameter; every upstream failure keeps the upstream
//! and its status; nothing a client or an upstream sends becomes a 500.

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::model::Problem;
use crate::normalize::FieldError;
use crate::upstream::{Upstream, UpstreamError};

/// Keeps client input quoted in error messages short (at most `max_chars` characters).
pub(crate) fn truncate(s: &str, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// The media type of every error answer (RFC 9457).
pub(crate) const PROBLEM_JSON: &str = "application/problem+json";

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A path or query parameter is malformed or out of range.
    #[error("{parameter}: {detail}")]
    BadParameter {
        parameter: &'static str,
        detail: String,
    },
    /// No cluster is configured under this name.
    #[error("no cluster named {0:?} is configured")]
    UnknownCluster(String),
    /// The cluster has no such resource (a store or region id PD does not know).
    #[error("{kind} {id} not found in cluster {cluster:?}")]
    NotFound {
        kind: &'static str,
        id: String,
        cluster: String,
    },
    /// The cluster has no Prometheus configured, and the route needs one.
    #[error("cluster {0:?} has no Prometheus configured")]
    PrometheusNotConfigured(String),
    /// Authentication is configured and the request has no valid bearer token.
    #[error("{0}")]
    Unauthorized(String),
    /// The client made more requests than its rate limit allows; retry after this many seconds.
    #[error("too many requests from this address; retry in {0} s")]
    RateLimited(u64),
    /// The whole request took longer than the configured request timeout.
    #[error("the request took longer than {}", humantime::format_duration(*.0))]
    RequestTimeout(std::time::Duration),
    /// No route matches the path.
    #[error("no route for {0}")]
    RouteNotFound(String),
    /// The route exists but only answers GET and HEAD.
    #[error("only GET and HEAD are allowed here")]
    MethodNotAllowed,
    /// PD has no such endpoint (its router's own 404): the PD version predates what the route
    /// needs.
    #[error("PD has no {path} (added in PD {since}); this PD version cannot answer this route")]
    PdLacksEndpoint {
        path: &'static str,
        since: &'static str,
    },
    /// A cluster's PD has not answered yet (readiness).
    #[error("not ready: {0}")]
    NotReady(String),
    /// An upstream failed or answered with something unusable.
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
}

impl ApiError {
    /// Turns a normalization failure into the upstream error it is: PD sent a value that does not
    /// mean anything.
    pub fn bad_upstream_value(upstream: Upstream, path: &str, e: FieldError) -> Self {
        ApiError::Upstream(UpstreamError::Decode {
            upstream,
            path: path.to_owned(),
            field: e.field,
            message: e.message,
        })
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadParameter { .. } => StatusCode::BAD_REQUEST,
            ApiError::UnknownCluster(_)
            | ApiError::NotFound { .. }
            | ApiError::PrometheusNotConfigured(_)
            | ApiError::PdLacksEndpoint { .. }
            | ApiError::RouteNotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::NotReady(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::RequestTimeout(_) => StatusCode::GATEWAY_TIMEOUT,
            ApiError::Upstream(e) => match e {
                UpstreamError::Unreachable { .. } | UpstreamError::Saturated { .. } => {
                    StatusCode::SERVICE_UNAVAILABLE
                }
                UpstreamError::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
                // PD's "no leader" and its rate limiter mean "try again soon", not "broken".
                UpstreamError::Status {
                    status: 503 | 429, ..
                } => StatusCode::SERVICE_UNAVAILABLE,
                // Prometheus' own verdicts on a query: the client's PromQL is wrong (400), cannot
                // be executed (422), or took too long (504).
                UpstreamError::Rejected { error_type, .. } => match error_type.as_str() {
                    "bad_data" => StatusCode::BAD_REQUEST,
                    "execution" => StatusCode::UNPROCESSABLE_ENTITY,
                    "timeout" => StatusCode::GATEWAY_TIMEOUT,
                    "canceled" | "unavailable" => StatusCode::SERVICE_UNAVAILABLE,
                    _ => StatusCode::BAD_GATEWAY,
                },
                UpstreamError::Status { .. }
                | UpstreamError::TooLarge { .. }
                | UpstreamError::Decode { .. } => StatusCode::BAD_GATEWAY,
            },
        }
    }

    /// The problem `type` (a stable URN) and `title` for this error.
    fn kind(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::BadParameter { .. } => ("bad-parameter", "Bad parameter"),
            ApiError::UnknownCluster(_) => ("unknown-cluster", "Unknown cluster"),
            ApiError::NotFound { .. } => ("not-found", "Not found"),
            ApiError::PrometheusNotConfigured(_) => {
                ("prometheus-not-configured", "No Prometheus configured")
            }
            ApiError::RouteNotFound(_) => ("no-such-route", "No such route"),
            ApiError::PdLacksEndpoint { .. } => {
                ("not-supported-by-pd", "Not supported by this PD version")
            }
            ApiError::MethodNotAllowed => ("method-not-allowed", "Method not allowed"),
            ApiError::NotReady(_) => ("not-ready", "Not ready"),
            ApiError::Unauthorized(_) => ("unauthorized", "Unauthorized"),
            ApiError::RateLimited(_) => ("rate-limited", "Too many requests"),
            ApiError::RequestTimeout(_) => ("request-timeout", "Request timed out"),
            ApiError::Upstream(e) => match e {
                UpstreamError::Unreachable { .. } => {
                    ("upstream-unavailable", "Upstream unavailable")
                }
                UpstreamError::Timeout { .. } => ("upstream-timeout", "Upstream timed out"),
                UpstreamError::Saturated { .. } => (
                    "upstream-saturated",
                    "Too many requests in flight to the upstream",
                ),
                UpstreamError::Status {
                    status: 503 | 429, ..
                } => ("upstream-unavailable", "Upstream unavailable"),
                UpstreamError::Rejected { error_type, .. } => match error_type.as_str() {
                    "bad_data" => ("bad-query", "Query rejected"),
                    "execution" => ("query-execution-failed", "Query could not be executed"),
                    "timeout" => ("upstream-timeout", "Upstream timed out"),
                    "canceled" | "unavailable" => ("upstream-unavailable", "Upstream unavailable"),
                    _ => ("upstream-error", "Upstream error"),
                },
                UpstreamError::Status { .. } => ("upstream-error", "Upstream error"),
                UpstreamError::TooLarge { .. } => {
                    ("upstream-too-large", "Upstream answer too large")
                }
                UpstreamError::Decode { .. } => {
                    ("upstream-bad-response", "Upstream sent an unusable answer")
                }
            },
        }
    }

    /// The public problem body.
    pub fn to_problem(&self) -> Problem {
        let (kind, title) = self.kind();
        let (parameter, detail) = match self {
            ApiError::BadParameter { parameter, detail } => (
                Some((*parameter).to_owned()),
                format!("{parameter}: {detail}"),
            ),
            other => (None, other.to_string()),
        };
        let (upstream, upstream_status) = match self {
            ApiError::Upstream(e) => (Some(e.upstream().as_str().to_owned()), e.upstream_status()),
            ApiError::NotReady(_) => (Some(Upstream::Pd.as_str().to_owned()), None),
            ApiError::PdLacksEndpoint { .. } => (Some(Upstream::Pd.as_str().to_owned()), Some(404)),
            _ => (None, None),
        };
        Problem {
            kind: format!("urn:tikv-lens:problem:{kind}"),
            title: title.to_owned(),
            status: self.status().as_u16(),
            detail,
            parameter,
            upstream,
            upstream_status,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::warn!(error = %self, "upstream failure");
        }
        let mut response = (status, Json(self.to_problem())).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if status == StatusCode::METHOD_NOT_ALLOWED {
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        }
        response
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::BadParameter {
            parameter: "query_string",
            detail: rejection.body_text(),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::BadParameter {
            parameter: "path",
            detail: rejection.body_text(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_errors_map_to_gateway_statuses() {
        let status = |e: UpstreamError| ApiError::from(e).status().as_u16();
        let path = || "/pd/api/v1/stores".to_owned();
        assert_eq!(
            status(UpstreamError::Unreachable {
                upstream: Upstream::Pd,
                path: path(),
                detail: "refused".into()
            }),
            503
        );
        assert_eq!(
            status(UpstreamError::Timeout {
                upstream: Upstream::Pd,
                path: path(),
                after: std::time::Duration::from_secs(1)
            }),
            504
        );
        assert_eq!(
            status(UpstreamError::Status {
                upstream: Upstream::Pd,
                path: path(),
                status: 500,
                message: "x".into()
            }),
            502
        );
        assert_eq!(
            status(UpstreamError::Status {
                upstream: Upstream::Pd,
                path: path(),
                status: 503,
                message: "x".into()
            }),
            503
        );
        assert_eq!(
            status(UpstreamError::TooLarge {
                upstream: Upstream::Pd,
                path: path(),
                limit: 1
            }),
            502
        );
    }

    #[test]
    fn bad_parameter_names_it() {
        let p = ApiError::BadParameter {
            parameter: "state",
            detail: "\"sideways\" is not a store state".into(),
        }
        .to_problem();
        assert_eq!(p.status, 400);
        assert_eq!(p.parameter.as_deref(), Some("state"));
        assert!(p.detail.starts_with("state: "));
        assert_eq!(p.upstream, None);
    }

    #[test]
    fn upstream_problem_names_pd_and_its_status() {
        let p = ApiError::from(UpstreamError::Status {
            upstream: Upstream::Pd,
            path: "/pd/api/v1/stores".into(),
            status: 500,
            message: "[PD:cluster:ErrNotBootstrapped]TiKV cluster not bootstrapped".into(),
        })
        .to_problem();
        assert_eq!(p.upstream.as_deref(), Some("pd"));
        assert_eq!(p.upstream_status, Some(500));
        assert!(p.detail.contains("ErrNotBootstrapped"));
    }
}
