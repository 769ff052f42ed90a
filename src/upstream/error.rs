//! The one error type of the upstream layer: which upstream failed, on which path, and how.

use std::fmt;
use std::time::Duration;

/// Which upstream a failure came from; it appears in problem responses as `upstream`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upstream {
    Pd,
    Prometheus,
}

impl Upstream {
    /// The lowercase name used in problem responses and warnings.
    pub fn as_str(self) -> &'static str {
        match self {
            Upstream::Pd => "pd",
            Upstream::Prometheus => "prometheus",
        }
    }

    fn display_name(self) -> &'static str {
        match self {
            Upstream::Pd => "PD",
            Upstream::Prometheus => "Prometheus",
        }
    }
}

impl fmt::Display for Upstream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display_name())
    }
}

/// A failed upstream read. Every variant keeps the upstream and the path it asked for.
#[derive(Debug, Clone, thiserror::Error)]
pub enum UpstreamError {
    /// No endpoint accepted a connection (refused, DNS, TLS, reset).
    #[error("{upstream} is unreachable ({path}): {detail}")]
    Unreachable {
        upstream: Upstream,
        path: String,
        detail: String,
    },
    /// The deadline passed before an endpoint answered in full.
    #[error("{upstream} did not answer {path} within {}", humantime::format_duration(*after))]
    Timeout {
        upstream: Upstream,
        path: String,
        after: Duration,
    },
    /// The upstream answered with a non-success status.
    #[error("{upstream} answered {path} with HTTP {status}: {message}")]
    Status {
        upstream: Upstream,
        path: String,
        status: u16,
        /// The start of the body, as text, so the operator sees what PD said.
        message: String,
    },
    /// The upstream understood the request and refused it with an error of its own API
    /// (Prometheus' `{"status":"error","errorType":...}`).
    #[error("{upstream} rejected the request ({path}, HTTP {status}, {error_type}): {message}")]
    Rejected {
        upstream: Upstream,
        path: String,
        status: u16,
        /// Prometheus' `errorType`: `bad_data`, `execution`, `timeout`, `canceled`, ...
        error_type: String,
        message: String,
    },
    /// Too many requests to this upstream were in flight for the whole deadline.
    #[error("{upstream}: {limit} requests already in flight ({path}); try again shortly")]
    Saturated {
        upstream: Upstream,
        path: String,
        limit: usize,
    },
    /// The body exceeded the configured cap; reading stopped there.
    #[error("{upstream} answered {path} with a body larger than the {limit}-byte cap")]
    TooLarge {
        upstream: Upstream,
        path: String,
        limit: usize,
    },
    /// The body did not decode into the expected shape, or a value in it made no sense.
    #[error("{upstream} answered {path} with a body that does not decode at `{field}`: {message}")]
    Decode {
        upstream: Upstream,
        path: String,
        /// Where in the body decoding failed, e.g. `stores[2].status.capacity`.
        field: String,
        message: String,
    },
}

impl UpstreamError {
    pub fn upstream(&self) -> Upstream {
        match self {
            UpstreamError::Unreachable { upstream, .. }
            | UpstreamError::Timeout { upstream, .. }
            | UpstreamError::Status { upstream, .. }
            | UpstreamError::Rejected { upstream, .. }
            | UpstreamError::Saturated { upstream, .. }
            | UpstreamError::TooLarge { upstream, .. }
            | UpstreamError::Decode { upstream, .. } => *upstream,
        }
    }

    /// Whether the upstream is down or overloaded (not an answer about the request): then a
    /// last good answer may stand in.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            UpstreamError::Unreachable { .. }
                | UpstreamError::Timeout { .. }
                | UpstreamError::Status {
                    status: 503 | 429,
                    ..
                }
        )
    }

    /// The HTTP status the upstream answered with, when it answered at all.
    pub fn upstream_status(&self) -> Option<u16> {
        match self {
            UpstreamError::Status { status, .. } | UpstreamError::Rejected { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }
}
