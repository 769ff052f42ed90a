//! [`ApiError`], the one error type handlers return, and its `application/problem+json` form.
//!
//! Every client mistake is a 400 naming the parameter; every upstream failure keeps the upstream
//! and its status; nothing a client or an upstream sends becomes a 500.

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::model::{Problem, ProblemType};
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
    /// As many event streams are open as the process allows.
    #[error(
        "{0} event streams are open, the most this tikv-lens serves (--events-max-subscribers); retry later"
    )]
    TooManySubscribers(usize),
    /// The server is shutting down and opens no new event stream.
    #[error("tikv-lens is shutting down; retry on another instance or later")]
    ShuttingDown,
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

    /// The answer's status: the one its problem type comes with.
    fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.problem_type().status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The problem `type` for this error; its status and title come with it.
    fn problem_type(&self) -> ProblemType {
        match self {
            ApiError::BadParameter { .. } => ProblemType::BadParameter,
            ApiError::UnknownCluster(_) => ProblemType::UnknownCluster,
            ApiError::NotFound { .. } => ProblemType::NotFound,
            ApiError::PrometheusNotConfigured(_) => ProblemType::PrometheusNotConfigured,
            ApiError::RouteNotFound(_) => ProblemType::NoSuchRoute,
            ApiError::PdLacksEndpoint { .. } => ProblemType::NotSupportedByPd,
            ApiError::MethodNotAllowed => ProblemType::MethodNotAllowed,
            ApiError::NotReady(_) => ProblemType::NotReady,
            ApiError::TooManySubscribers(_) => ProblemType::TooManySubscribers,
            ApiError::ShuttingDown => ProblemType::ShuttingDown,
            ApiError::Unauthorized(_) => ProblemType::Unauthorized,
            ApiError::RateLimited(_) => ProblemType::RateLimited,
            ApiError::RequestTimeout(_) => ProblemType::RequestTimeout,
            ApiError::Upstream(e) => match e {
                UpstreamError::Unreachable { .. } => ProblemType::UpstreamUnavailable,
                UpstreamError::Timeout { .. } => ProblemType::UpstreamTimeout,
                UpstreamError::Saturated { .. } => ProblemType::UpstreamSaturated,
                UpstreamError::Status {
                    status: 503 | 429, ..
                } => ProblemType::UpstreamUnavailable,
                UpstreamError::Rejected {
                    status,
                    error_type,
                    message,
                    ..
                } => rejection_type(*status, error_type, message),
                UpstreamError::Status { .. } => ProblemType::UpstreamError,
                UpstreamError::TooLarge { .. } => ProblemType::UpstreamTooLarge,
                UpstreamError::Decode { .. } => ProblemType::UpstreamBadResponse,
            },
        }
    }

    /// The public problem body.
    pub fn to_problem(&self) -> Problem {
        let kind = self.problem_type();
        let (parameter, detail) = match self {
            ApiError::BadParameter { parameter, detail } => (
                Some((*parameter).to_owned()),
                format!("{parameter}: {detail}"),
            ),
            ApiError::Upstream(UpstreamError::Rejected { message, .. })
                if matches!(
                    kind,
                    ProblemType::BadQuery | ProblemType::QueryExecutionFailed
                ) =>
            {
                (
                    Some(rejected_parameter(message).to_owned()),
                    self.to_string(),
                )
            }
            other => (None, other.to_string()),
        };
        let (upstream, upstream_status) = match self {
            ApiError::Upstream(e) => (Some(e.upstream().as_str().to_owned()), e.upstream_status()),
            ApiError::NotReady(_) => (Some(Upstream::Pd.as_str().to_owned()), None),
            ApiError::PdLacksEndpoint { .. } => (Some(Upstream::Pd.as_str().to_owned()), Some(404)),
            _ => (None, None),
        };
        Problem {
            kind,
            title: kind.title().to_owned(),
            status: self.status().as_u16(),
            detail,
            parameter,
            upstream,
            upstream_status,
        }
    }
}

/// What a query API's error answer means, for Prometheus and the backends speaking its API.
///
/// Prometheus, Thanos Query and Mimir name the kind in `errorType` (`bad_data` 400,
/// `execution` 422, `timeout` 503, `canceled` 499/503, `internal` 500, and Mimir's
/// `too_many_requests` 429, `too_large_entry` 413, `not_acceptable` 406). VictoriaMetrics puts
/// the HTTP status there instead (`"422"` for a parse error, an unknown function, too many
/// points and an execution limit alike; `"503"` when its queue is full), so an unnamed kind
/// is read from the status, and a VictoriaMetrics 422 whose message is a parse or argument
/// error is a bad query like Prometheus' `bad_data`.
fn rejection_type(status: u16, error_type: &str, message: &str) -> ProblemType {
    match error_type {
        "bad_data" => ProblemType::BadQuery,
        "execution" => ProblemType::QueryExecutionFailed,
        "timeout" => ProblemType::UpstreamTimeout,
        "canceled" | "unavailable" | "too_many_requests" => ProblemType::UpstreamUnavailable,
        // `internal`, `not_found`, `too_large_entry`, `not_acceptable`: the backend's fault or
        // its configuration's, not the client's query.
        "internal" | "not_found" | "too_large_entry" | "not_acceptable" => {
            ProblemType::UpstreamError
        }
        _ => match status {
            400 => ProblemType::BadQuery,
            422 if is_parse_error(message) => ProblemType::BadQuery,
            422 => ProblemType::QueryExecutionFailed,
            429 | 503 => ProblemType::UpstreamUnavailable,
            504 => ProblemType::UpstreamTimeout,
            _ => ProblemType::UpstreamError,
        },
    }
}

/// VictoriaMetrics' messages for PromQL it cannot parse and arguments it cannot read
/// (MetricsQL's parser and its `/api/v1/query` argument checks, v1.79 to v1.1xx).
fn is_parse_error(message: &str) -> bool {
    [
        "cannot parse",
        "unparsed data",
        "unknown func",
        "syntax error",
        "unexpected token",
        "too many points",
    ]
    .iter()
    .any(|needle| message.contains(needle))
}

/// The parameter an upstream's rejection is about: the one its message names (Prometheus:
/// `invalid parameter "time"`; VictoriaMetrics: `cannot parse "time"=…`), `step` for too
/// many points, otherwise the query.
fn rejected_parameter(message: &str) -> &'static str {
    for name in ["time", "start", "end", "step"] {
        if message.contains(&format!("parameter \"{name}\""))
            || message.contains(&format!("cannot parse \"{name}\""))
        {
            return name;
        }
    }
    if message.contains("too many points") || message.contains("maximum resolution") {
        return "step";
    }
    "query"
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

    fn rejected(status: u16, error_type: &str, message: &str) -> Problem {
        ApiError::from(UpstreamError::Rejected {
            upstream: Upstream::Prometheus,
            path: "/api/v1/query".into(),
            status,
            error_type: error_type.into(),
            message: message.into(),
        })
        .to_problem()
    }

    #[test]
    fn victoria_metrics_422s_are_client_mistakes_naming_the_argument() {
        // Captured from VictoriaMetrics 1.79.5 (Debian's victoria-metrics).
        let p = rejected(
            422,
            "422",
            r#"error when executing query="sum(" for (time=1796550910406, step=300000): singleExpr: unexpected token ""; want "(", "{", "-", "+"; unparsed data: """#,
        );
        assert_eq!((p.status, p.kind), (400, ProblemType::BadQuery));
        assert_eq!(p.parameter.as_deref(), Some("query"));
        assert_eq!(p.upstream_status, Some(422));
        let p = rejected(
            422,
            "422",
            r#"cannot parse "time"="abc": parsing time "abc" as "2006-01-02T15:04:05Z07:00": cannot parse "abc" as "2006""#,
        );
        assert_eq!((p.status, p.parameter.as_deref()), (400, Some("time")));
        let p = rejected(
            422,
            "422",
            "error when executing query=\"up\" on the time range (start=0, end=1000000000000, step=1000): too many points for the given step=1000",
        );
        assert_eq!((p.status, p.parameter.as_deref()), (400, Some("step")));
        let p = rejected(
            422,
            "422",
            "cannot select more than -search.maxSamplesPerQuery=1000 samples",
        );
        assert_eq!(
            (p.status, p.kind, p.parameter.as_deref()),
            (422, ProblemType::QueryExecutionFailed, Some("query"))
        );
    }

    #[test]
    fn backend_faults_stay_gateway_errors() {
        for (status, error_type, expected) in [
            (503, "503", 503),
            (429, "too_many_requests", 503),
            (503, "timeout", 504),
            (499, "canceled", 503),
            (500, "internal", 502),
            (413, "too_large_entry", 502),
            (404, "not_found", 502),
            (504, "504", 504),
            (500, "500", 502),
            (400, "bad_data", 400),
            (422, "execution", 422),
        ] {
            let p = rejected(status, error_type, "x");
            assert_eq!(p.status, expected, "{status} {error_type}");
            let names_query = matches!(expected, 400 | 422);
            assert_eq!(p.parameter.is_some(), names_query, "{status} {error_type}");
        }
    }
}
