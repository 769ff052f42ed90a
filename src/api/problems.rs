//! The problem answers each operation lists in the OpenAPI document, as sets handlers name
//! in their `responses(...)`: every status an operation can answer besides its 200.

use std::collections::BTreeMap;

use utoipa::IntoResponses;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};

use crate::error::PROBLEM_JSON;

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
pub(crate) struct ClusterErrors;

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
pub(crate) struct LookupErrors;

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

/// Errors of an operation that needs a PD endpoint older PD versions lack: as
/// [`ClusterErrors`], and a 404 when this PD has no such endpoint.
pub(crate) struct PdFeatureErrors;

impl IntoResponses for PdFeatureErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let mut map = responses(&UPSTREAM_FAILURES);
        map.extend(responses(&[(
            404,
            "No cluster with this name is configured, or this PD version has no endpoint for this \
             (`type` ends in `not-supported-by-pd`; `detail` names the endpoint and the PD version \
             that added it).",
        )]));
        map
    }
}

/// A malformed parameter; `parameter` names it.
pub(crate) struct BadParameter;

impl IntoResponses for BadParameter {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        responses(&[(
            400,
            "A parameter is malformed; `parameter` names it and `detail` says why.",
        )])
    }
}

/// Not every cluster is ready.
pub(crate) struct NotReady;

impl IntoResponses for NotReady {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        responses(&[(
            503,
            "A cluster's PD has not answered yet; `detail` names the clusters.",
        )])
    }
}

/// Errors of an operation that reads Prometheus.
pub(crate) struct PrometheusErrors;

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

/// The 404 of a file the page does not have.
pub(crate) struct NoSuchAsset;

impl IntoResponses for NoSuchAsset {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        responses(&[(404, "The page has no such file.")])
    }
}

/// Errors of the event stream: it reads no upstream before answering (its poller does, and
/// reports failures as `upstream_status` events), so only the cluster and the limits refuse.
pub(crate) struct EventStreamErrors;

impl IntoResponses for EventStreamErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        responses(&[
            (404, "No cluster with this name is configured."),
            (
                503,
                "As many event streams are open as `--events-max-subscribers` allows \
                 (`too-many-subscribers`), or tikv-lens is shutting down (`shutting-down`).",
            ),
        ])
    }
}
