//! The HTTP API: one module per resource, each with its handlers and `routes()`.

use axum::extract::{FromRequestParts, Path, Query};
use utoipa_axum::router::OpenApiRouter;

use crate::error::ApiError;
use crate::model::{self, Meta};
use crate::normalize;
use crate::state::AppState;

mod checks;
mod clusters;
mod cursor;
mod events;
mod members;
mod metrics;
mod operations;
mod page;
mod params;
mod pd_config;
mod problems;
mod regions;
mod safe_points;
mod scheduling;
mod store_metrics;
mod store_progress;
mod stores;

/// Every route of the service with its OpenAPI operations (the document's fixed parts are
/// added by [`crate::openapi::complete`]).
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(operations::routes())
        .merge(page::routes())
        .merge(clusters::routes())
        .merge(checks::routes())
        .merge(events::routes())
        .merge(members::routes())
        .merge(stores::routes())
        .merge(metrics::routes())
        .merge(store_metrics::routes())
        .merge(regions::routes())
        .merge(store_progress::routes())
        .merge(scheduling::routes())
        .merge(pd_config::routes())
        .merge(safe_points::routes())
}

/// An answer: its data with the [`Meta`] that says when the data was observed, whether it is
/// stale, and what is missing.
pub(crate) trait Answer {
    /// The answer's meta, for [`respond`] to mark.
    fn meta_mut(&mut self) -> &mut Meta;
}

/// `Answer` for the types that embed their `Meta` as the field `meta`.
macro_rules! answers {
    ($($t:ident),* $(,)?) => {$(
        impl Answer for model::$t {
            fn meta_mut(&mut self) -> &mut Meta {
                &mut self.meta
            }
        }
    )*};
}

answers!(
    ClusterList,
    CheckList,
    Fleet,
    ClusterOverview,
    MemberList,
    StoreList,
    StoreDetail,
    RegionPage,
    RegionDetail,
    RegionHealth,
    Hotspots,
    InstantQueryResult,
    RangeQueryResult,
    StoreMetricsSeries,
    SchedulerList,
    OperatorList,
    StoreProgress,
    Placement,
    ScheduleConfigAnswer,
    GcSafePoints,
    ResolvedTs,
);

/// A JSON answer, serialized into chunks ([`crate::chunked`]) rather than one growing buffer:
/// a page of 10,000 regions costs its size once, and is sent with its exact `Content-Length`.
pub(crate) struct Json<T>(pub(crate) T);

impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        use axum::http::{HeaderValue, header};
        let mut writer = crate::chunked::ChunkWriter::default();
        if serde_json::to_writer(&mut writer, &self.0).is_err() {
            // Only a map with non-string keys fails to serialize, and no answer type has one;
            // axum's own JSON answer says so as it always did.
            return axum::Json(self.0).into_response();
        }
        let mut response = axum::response::Response::new(axum::body::Body::new(
            crate::chunked::Chunks::new(writer.finish()),
        ));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}

/// The JSON answer of a handler, marked with the request's staleness: `stale` when some of its
/// data was a last good answer standing in for an unreachable upstream, and a warning saying so
/// for each such read.
pub(crate) fn respond<T: Answer>(mut body: T) -> Json<T> {
    mark(body.meta_mut());
    Json(body)
}

/// Marks an answer's [`Meta`] with the request's stale reads.
pub(crate) fn mark(meta: &mut Meta) {
    meta.stale = crate::upstream::freshness::is_stale();
    meta.warnings.extend(
        crate::upstream::freshness::stale_reads()
            .into_iter()
            .map(normalize::stale_warning),
    );
}

/// `Query` whose rejection is a problem+json 400.
#[derive(FromRequestParts)]
#[from_request(via(Query), rejection(ApiError))]
pub(crate) struct ApiQuery<T>(pub T);

/// `Path` whose rejection is a problem+json 400.
#[derive(FromRequestParts)]
#[from_request(via(Path), rejection(ApiError))]
pub(crate) struct ApiPath<T>(pub T);

/// Path parameters of the routes about one store.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct StorePath {
    pub cluster: String,
    pub store_id: String,
}

/// Parses a PD id from a path or query parameter: decimal digits only, within u64.
pub(crate) fn parse_id(parameter: &'static str, raw: &str) -> Result<u64, ApiError> {
    let bad = || ApiError::BadParameter {
        parameter,
        detail: format!(
            "{:?} is not an unsigned 64-bit decimal integer",
            truncate(raw, 64)
        ),
    };
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    raw.parse().map_err(|_| bad())
}

pub(crate) use crate::error::truncate;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_digits_within_u64() {
        assert_eq!(
            parse_id("store_id", "18446744073709551615").unwrap(),
            u64::MAX
        );
        for bad in [
            "",
            "abc",
            "-1",
            "+1",
            "1.0",
            " 1",
            "18446744073709551616",
            "0x10",
        ] {
            assert!(parse_id("store_id", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn truncate_respects_char_boundaries() {
        assert_eq!(truncate("µµµµ", 2), "µµ…");
        assert_eq!(truncate("ab", 5), "ab");
    }
}
