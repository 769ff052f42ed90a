use serde::Serialize;
use utoipa::ToSchema;

/// An error, as `application/problem+json` (RFC 9457). Every non-2xx answer has this shape.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:tikv-lens:problem:bad-parameter",
    "title": "Bad parameter",
    "status": 400,
    "detail": "store_id: \"abc\" is not an unsigned 64-bit integer",
    "parameter": "store_id",
    "upstream": null,
    "upstream_status": null
}))]
pub struct Problem {
    /// A stable URI naming the kind of problem, e.g. `urn:tikv-lens:problem:upstream-unavailable`;
    /// match on this, not on `title` or `detail`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code of this answer.
    pub status: u16,
    /// What happened in this case, for a human: the bad parameter and value, or what the
    /// upstream said.
    pub detail: String,
    /// The query or path parameter at fault, for 400 answers; otherwise `null`.
    pub parameter: Option<String>,
    /// The upstream (`pd` or `prometheus`) that caused the problem, or `null` when none did.
    pub upstream: Option<String>,
    /// The HTTP status the upstream answered with, when it answered at all; otherwise `null`.
    pub upstream_status: Option<u16>,
}
