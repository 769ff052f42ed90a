use std::borrow::Cow;

use serde::{Serialize, Serializer};
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

/// An error, as `application/problem+json` (RFC 9457). Every non-2xx answer has this shape.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:tikv-lens:problem:bad-parameter",
    "title": "Bad parameter",
    "status": 400,
    "detail": "store_id: \"abc\" is not an unsigned 64-bit decimal integer",
    "parameter": "store_id",
    "upstream": null,
    "upstream_status": null
}))]
pub struct Problem {
    /// The kind of problem, a stable URN; match on this, not on `title` or `detail`.
    #[serde(rename = "type")]
    pub kind: ProblemType,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code of this answer.
    pub status: u16,
    /// What happened in this case, for a human: the bad parameter and value, or what the
    /// upstream said.
    pub detail: String,
    /// The query or path parameter at fault, for 400 answers and for PromQL the upstream could
    /// not execute (422, `query`); otherwise `null`.
    pub parameter: Option<String>,
    /// The upstream (`pd` or `prometheus`) that caused the problem, or `null` when none did.
    pub upstream: Option<String>,
    /// The HTTP status the upstream answered with, when it answered at all; otherwise `null`.
    pub upstream_status: Option<u16>,
}

/// Defines [`ProblemType`] from one table: each kind's URN, title, status and meaning, so the
/// answers, the titles and the OpenAPI document's list of types cannot disagree.
macro_rules! problem_types {
    ($($variant:ident => ($slug:literal, $status:literal, $title:literal, $meaning:literal),)*) => {
        /// The `type` of a [`Problem`]: every kind of problem tikv-lens answers with.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ProblemType {
            $(#[doc = $meaning] $variant,)*
        }

        impl ProblemType {
            /// Every problem type, in the order the document lists them.
            pub const ALL: &'static [ProblemType] = &[$(ProblemType::$variant,)*];

            /// The URN clients match on, e.g. `urn:tikv-lens:problem:bad-parameter`.
            pub fn urn(self) -> &'static str {
                match self {
                    $(ProblemType::$variant => concat!("urn:tikv-lens:problem:", $slug),)*
                }
            }

            /// The problem's `title`, the same for every problem of this type.
            pub fn title(self) -> &'static str {
                match self {
                    $(ProblemType::$variant => $title,)*
                }
            }

            /// The HTTP status problems of this type are answered with.
            pub fn status(self) -> u16 {
                match self {
                    $(ProblemType::$variant => $status,)*
                }
            }

            /// What a problem of this type means, for the document.
            pub fn meaning(self) -> &'static str {
                match self {
                    $(ProblemType::$variant => $meaning,)*
                }
            }
        }
    };
}

problem_types! {
    BadParameter => ("bad-parameter", 400, "Bad parameter",
        "A path or query parameter is malformed or out of range; `parameter` names it."),
    BadQuery => ("bad-query", 400, "Query rejected",
        "Prometheus (or Thanos, Mimir, VictoriaMetrics) rejected the PromQL or its time \
         arguments (`bad_data`; VictoriaMetrics' 422 parse errors); `parameter` names the \
         argument, `detail` has the backend's message."),
    Unauthorized => ("unauthorized", 401, "Unauthorized",
        "Bearer tokens are configured and the request has none, or not a valid one."),
    UnknownCluster => ("unknown-cluster", 404, "Unknown cluster",
        "No cluster is configured under this name."),
    NotFound => ("not-found", 404, "Not found",
        "The cluster has no such store or region, or no region holds the key."),
    PrometheusNotConfigured => ("prometheus-not-configured", 404, "No Prometheus configured",
        "The route needs a Prometheus and the cluster has none configured."),
    NoSuchRoute => ("no-such-route", 404, "No such route",
        "No route matches the path."),
    NotSupportedByPd => ("not-supported-by-pd", 404, "Not supported by this PD version",
        "The cluster's PD is too old to have the endpoint this answer needs (e.g. `/gc/safepoint` \
         before v5.0, `/min-resolved-ts` before v6.0); `upstream` is `pd`."),
    MethodNotAllowed => ("method-not-allowed", 405, "Method not allowed",
        "Only GET and HEAD are served (and OPTIONS for CORS preflights)."),
    QueryExecutionFailed => ("query-execution-failed", 422, "Query could not be executed",
        "Prometheus could not execute the PromQL (`execution`, e.g. many-to-many matching, or \
         a VictoriaMetrics 422 other than a parse error); `parameter` is `query`."),
    RateLimited => ("rate-limited", 429, "Too many requests",
        "The client address made more requests per second than the rate limit allows; \
         `Retry-After` says when to try again."),
    UpstreamError => ("upstream-error", 502, "Upstream error",
        "PD or Prometheus answered with an error; `upstream` and `upstream_status` say which."),
    UpstreamBadResponse => ("upstream-bad-response", 502, "Upstream sent an unusable answer",
        "PD or Prometheus answered with a body that does not decode; `detail` names the field."),
    UpstreamTooLarge => ("upstream-too-large", 502, "Upstream answer too large",
        "PD's or Prometheus' answer is larger than the body cap."),
    UpstreamUnavailable => ("upstream-unavailable", 503, "Upstream unavailable",
        "No PD endpoint or Prometheus could be reached, PD has no leader or is rate limiting, \
         or Prometheus is unavailable."),
    UpstreamSaturated => ("upstream-saturated", 503, "Too many requests in flight to the upstream",
        "The cluster's limit of concurrent requests to PD or Prometheus is reached."),
    NotReady => ("not-ready", 503, "Not ready",
        "`/readyz`: a cluster's PD has not answered yet; `detail` names the clusters."),
    TooManySubscribers => ("too-many-subscribers", 503, "Too many event streams",
        "As many event streams (`/events`) are open as `--events-max-subscribers` allows, every \
         cluster's together; retry later (the stream's `retry` is 3 s)."),
    ShuttingDown => ("shutting-down", 503, "Shutting down",
        "tikv-lens is shutting down and opens no new event stream; reconnect (to another \
         replica) later."),
    UpstreamTimeout => ("upstream-timeout", 504, "Upstream timed out",
        "PD or Prometheus did not answer within the deadline, or Prometheus' query timed out."),
    RequestTimeout => ("request-timeout", 504, "Request timed out",
        "The whole request took longer than the request timeout."),
}

impl Serialize for ProblemType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.urn())
    }
}

impl utoipa::PartialSchema for ProblemType {
    fn schema() -> RefOr<Schema> {
        let mut description = String::from(
            "The kind of problem, a stable URN; match on this, not on `title` or `detail`. \
             Every type, with the status it comes with:\n",
        );
        for kind in ProblemType::ALL {
            description.push_str(&format!(
                "\n- `{}` ({}): {}",
                kind.urn(),
                kind.status(),
                kind.meaning()
            ));
        }
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(ProblemType::ALL.iter().map(|kind| kind.urn())))
            .description(Some(description))
            .into()
    }
}

impl ToSchema for ProblemType {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ProblemType")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_types_serialize_as_their_urn_and_are_unique() {
        assert_eq!(
            serde_json::to_string(&ProblemType::BadParameter).unwrap(),
            "\"urn:tikv-lens:problem:bad-parameter\""
        );
        let urns: std::collections::BTreeSet<_> =
            ProblemType::ALL.iter().map(|k| k.urn()).collect();
        assert_eq!(urns.len(), ProblemType::ALL.len());
        for kind in ProblemType::ALL {
            assert!((400..600).contains(&kind.status()), "{kind:?}");
        }
    }
}
