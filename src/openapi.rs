//! The OpenAPI document: derived from the handlers (`utoipa::path`) and model types
//! (`ToSchema`), plus the shared error responses every operation lists.

use std::collections::BTreeMap;

use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::{ContentBuilder, OpenApi as OpenApiDoc, Ref, RefOr};
use utoipa::{IntoResponses, OpenApi};

use crate::error::PROBLEM_JSON;
use crate::model::Problem;

/// The document's fixed parts; paths are added by `api::routes()`.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "tikv-lens",
        description = "A typed, documented JSON API in front of a TiKV cluster's PD (Placement Driver) \
and Prometheus.\n\nConventions: units are part of field names (`capacity_bytes`, `uptime_seconds`); \
sizes are integer bytes; durations are seconds; points in time are RFC 3339 UTC strings (`_at`); \
PD ids are decimal strings (they exceed 2^53); enums are lowercase strings, with `unknown` for a \
value newer than this API; absent data is `null`, never an omitted field. Every error is \
`application/problem+json` (RFC 9457) with `upstream` and `upstream_status` when PD or Prometheus \
caused it.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    tags(
        (name = "operations", description = "Liveness and readiness of tikv-lens itself."),
        (name = "clusters", description = "The configured clusters and their overview."),
        (name = "members", description = "PD members."),
        (name = "stores", description = "TiKV and TiFlash stores."),
        (name = "regions", description = "Regions in key order, lookups, health and hot regions."),
        (name = "metrics", description = "PromQL against the cluster's Prometheus, normalized for charts."),
    ),
    components(schemas(Problem))
)]
pub struct ApiDoc;

/// The complete document, exactly as `/openapi.json` serves it.
pub fn document() -> OpenApiDoc {
    crate::api::routes().split_for_parts().1
}

/// The document as committed in `openapi/openapi.json`: pretty JSON and a final newline.
pub fn document_json() -> String {
    let mut text = document()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

fn problem(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .into()
}

fn responses(list: &[(u16, &str)]) -> BTreeMap<String, RefOr<Response>> {
    list.iter()
        .map(|(status, text)| (status.to_string(), problem(text)))
        .collect()
}

const UPSTREAM_FAILURES: [(u16, &str); 3] = [
    (
        502,
        "PD answered with an error (`upstream_status` says which) or with a body that does not decode \
         (`detail` names the field).",
    ),
    (
        503,
        "No PD endpoint could be reached, PD has no leader, or PD is rate limiting.",
    ),
    (504, "PD did not answer within the deadline."),
];

/// Errors of an operation on a cluster: unknown cluster, or PD failing.
pub struct ClusterErrors;

impl IntoResponses for ClusterErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let mut map = responses(&UPSTREAM_FAILURES);
        map.extend(responses(&[(
            404,
            "No cluster with this name is configured.",
        )]));
        map
    }
}

/// Errors of a lookup of one resource in a cluster: as [`ClusterErrors`], and a 404 for the resource.
pub struct LookupErrors;

impl IntoResponses for LookupErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let mut map = responses(&UPSTREAM_FAILURES);
        map.extend(responses(&[(
            404,
            "No cluster with this name is configured, or the cluster has no such resource.",
        )]));
        map
    }
}

/// A malformed parameter; `parameter` names it.
pub struct BadParameter;

impl IntoResponses for BadParameter {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        responses(&[(
            400,
            "A parameter is malformed; `parameter` names it and `detail` says why.",
        )])
    }
}

/// Not every cluster is ready.
pub struct NotReady;

impl IntoResponses for NotReady {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        responses(&[(
            503,
            "A cluster's PD has not answered yet; `detail` names the clusters.",
        )])
    }
}

/// Errors of an operation that reads Prometheus.
pub struct PrometheusErrors;

impl IntoResponses for PrometheusErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        responses(&[
            (
                400,
                "A parameter is malformed (`parameter` names it), or Prometheus rejected the PromQL \
                 (`bad_data`; `detail` has Prometheus' message).",
            ),
            (
                404,
                "No cluster with this name is configured, or it has no Prometheus.",
            ),
            (
                422,
                "Prometheus could not execute the query (`execution`, e.g. many-to-many matching).",
            ),
            (
                502,
                "Prometheus answered with an error of its own, or with something that is not its API \
                 (a plain-text 404, an HTML page, a body over the cap).",
            ),
            (503, "Prometheus could not be reached."),
            (
                504,
                "Prometheus did not answer within the deadline, or its query timed out.",
            ),
        ])
    }
}
