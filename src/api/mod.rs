//! The HTTP API: one module per resource, each with its handlers and `routes()`.

use axum::Json;
use axum::extract::{FromRequestParts, Path, Query};
use utoipa_axum::router::OpenApiRouter;

use crate::error::ApiError;
use crate::model::{self, Warning};
use crate::openapi::ApiDoc;
use crate::state::AppState;
use utoipa::OpenApi;

mod clusters;
mod cursor;
mod members;
mod metrics;
mod operations;
mod params;
mod regions;
mod store_metrics;
mod stores;

/// Every route of the service with its OpenAPI operations.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(operations::routes())
        .merge(clusters::routes())
        .merge(members::routes())
        .merge(stores::routes())
        .merge(metrics::routes())
        .merge(store_metrics::routes())
        .merge(regions::routes())
}

/// An answer that says when its data was observed and whether it is stale.
pub(crate) trait Answer {
    /// Marks the answer stale (with the reasons) when the request used stale data.
    fn mark_freshness(&mut self, stale: bool, warnings: Vec<Warning>);
}

macro_rules! answer_with_warnings {
    ($($t:ty),* $(,)?) => {$(
        impl Answer for $t {
            fn mark_freshness(&mut self, stale: bool, warnings: Vec<Warning>) {
                self.stale = stale;
                self.warnings.extend(warnings);
            }
        }
    )*};
}

answer_with_warnings!(
    model::StoreList,
    model::StoreDetail,
    model::MemberList,
    model::ClusterOverview,
    model::RegionPage,
    model::RegionDetail,
    model::RegionHealth,
    model::Hotspots,
    model::InstantQueryResult,
    model::RangeQueryResult,
    model::StoreMetricsSeries,
);

impl Answer for model::ClusterList {
    fn mark_freshness(&mut self, stale: bool, _warnings: Vec<Warning>) {
        self.stale = stale;
    }
}

/// The JSON answer of a handler, marked with the request's staleness.
pub(crate) fn respond<T: Answer>(mut body: T) -> Json<T> {
    body.mark_freshness(
        crate::freshness::is_stale(),
        crate::freshness::stale_warnings(),
    );
    Json(body)
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
