//! The OpenAPI document: its fixed parts (info, servers, tags, the problem schema), the paths
//! the handlers declare (`utoipa::path`, collected by `api::routes`) with the model types
//! they use (`ToSchema`), and what the router's layers add to every operation (`layers`). The
//! problem answers each operation lists live beside the handlers (`api::problems`); `schemas`
//! states what utoipa cannot derive about the model: every field is sent, and where a nullable
//! reference's description goes.

use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::{Modify, OpenApi};

mod layers;
mod schemas;

use crate::model::Problem;

/// The document's fixed parts; paths are added from `api::routes()`.
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
    servers((url = "/", description = "The tikv-lens serving this document (`/openapi.json`).")),
    tags(
        (name = "operations", description = "Liveness and readiness of tikv-lens itself."),
        (name = "clusters", description = "The configured clusters and their overview."),
        (name = "members", description = "PD members."),
        (name = "stores", description = "TiKV and TiFlash stores."),
        (name = "regions", description = "Regions in key order, lookups, health and hot regions."),
        (name = "metrics", description = "PromQL against the cluster's Prometheus, normalized for charts."),
        (name = "scheduling", description = "What PD is doing: its schedulers and the operators in flight."),
        (name = "configuration", description = "PD's schedule configuration, store limits and replica placement."),
        (name = "safe points", description = "GC safe points and the min resolved timestamp."),
        (name = "page", description = "The dashboard page served from the binary, a client of this API."),
        (name = "events", description = "Live updates as Server-Sent Events: stores changing state, checks changing status, operators, scale-in progress, PD leader changes, upstream outages."),
    ),
    components(schemas(Problem))
)]
pub struct ApiDoc;

/// The complete document, exactly as `/openapi.json` serves it.
pub fn document() -> OpenApiDoc {
    complete(crate::api::routes().split_for_parts().1)
}

/// The fixed parts with the paths and schemas of `paths` (what the routes declare), and what
/// the layers and the model's serialization add to them.
pub fn complete(paths: OpenApiDoc) -> OpenApiDoc {
    let mut document = ApiDoc::openapi();
    document.merge(paths);
    layers::Layers.modify(&mut document);
    schemas::EveryPropertyRequired.modify(&mut document);
    schemas::DescribedNullableReferences.modify(&mut document);
    document
}

/// The document as committed in `openapi/openapi.json`: pretty JSON and a final newline.
pub fn document_json() -> String {
    let mut text = document()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}
