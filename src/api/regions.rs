//! Regions: the paged listing in key order, lookups by id and by key, region health and hot
//! regions.

use super::Json;
use axum::response::Response;
use bytes::Bytes;

use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::cursor::Cursor;
use super::problems::{BadParameter, ClusterErrors, LookupErrors};
use super::{ApiPath, ApiQuery, parse_id, respond, truncate};
use crate::compose;
use crate::error::ApiError;
use crate::model::{HotspotKind, Hotspots, Meta, Region, RegionDetail, RegionHealth, RegionPage};
use crate::normalize::tidb_key::hex_decode;
use crate::normalize::{self, MaybeRegion, NormalizedRegions, RenderedRegions};
use crate::state::AppState;
use crate::upstream::pd;
use crate::upstream::pd::Lookup;
use crate::upstream::{Upstream, UpstreamError};

/// Default and largest page size. PD clamps `/regions/key` at 10,240.
const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 10_000;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_regions))
        .routes(routes!(region_by_key))
        .routes(routes!(region_health))
        .routes(routes!(get_region))
        .routes(routes!(hotspots))
}

/// Query parameters of the region list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListParams {
    /// Regions per page, 1 to 10,000; default 100.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 10000, default = 100)]
    limit: Option<String>,
    /// The `next_cursor` of the previous page; absent for the first page. Opaque.
    cursor: Option<String>,
}

fn parse_limit(raw: Option<&str>) -> Result<u32, ApiError> {
    let Some(raw) = raw else {
        return Ok(DEFAULT_LIMIT);
    };
    match raw.trim().parse::<u32>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(ApiError::BadParameter {
            parameter: "limit",
            detail: format!(
                "{:?} is not a whole number from 1 to {MAX_LIMIT}",
                truncate(raw, 32)
            ),
        }),
    }
}

/// Regions in key order, one page at a time.
///
/// Each page is one PD `/regions/key` read starting at the cursor's key, normalized as it is
/// parsed; no page holds more than `limit` regions, whatever the size of the cluster. Walking
/// every page (following `next_cursor` until it is `null`) visits every region once, in order,
/// while the cluster does not split or merge regions meanwhile; if it does, a region may show
/// twice, never not at all.
#[utoipa::path(
    get,
    path = "/api/v1/clusters/{cluster}/regions",
    tag = "regions",
    params(("cluster" = String, Path, description = "The cluster's configured name."), ListParams),
    responses((status = 200, description = "One page of regions.", body = RegionPage), BadParameter, ClusterErrors)
)]
async fn list_regions(
    State(state): State<AppState>,
    ApiPath(cluster): ApiPath<String>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Response, ApiError> {
    let limit = parse_limit(params.limit.as_deref())?;
    let cluster = state.cluster(&cluster)?;
    let start_key = match params.cursor.as_deref() {
        Some(raw) => Cursor::decode(&cluster.name, raw)?.start_key,
        None => Vec::new(),
    };
    let page: RenderedRegions = cluster.pd.regions_from(&start_key, limit).await?;
    let mut meta = Meta::observed(crate::upstream::freshness::observed_at());
    super::mark(&mut meta);
    let next_cursor = next_cursor(&cluster.name, &page, limit)?;
    Ok(page_answer(
        &cluster.name,
        page,
        next_cursor.as_deref(),
        &meta,
    ))
}

/// The [`RegionPage`] answer around regions that are JSON already: exactly the bytes serde
/// writes for a `RegionPage` holding them (a test holds the two to each other), without the
/// regions ever being a list in memory.
fn page_answer(
    cluster: &str,
    page: RenderedRegions,
    next_cursor: Option<&str>,
    meta: &Meta,
) -> Response {
    fn json<T: serde::Serialize + ?Sized>(value: &T) -> String {
        // Strings, numbers and `Meta` always serialize.
        serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
    }
    let head = format!(
        "{{\"cluster\":{},\"count\":{},\"regions\":[",
        json(cluster),
        page.count
    );
    // `meta` is flattened into the page: its keys follow, and its closing brace closes the page.
    let meta = json(meta);
    let tail = format!(
        "],\"next_cursor\":{},{}",
        json(&next_cursor),
        meta.strip_prefix('{').unwrap_or(&meta)
    );
    let chunks = std::iter::once(Bytes::from(head))
        .chain(page.json)
        .chain(std::iter::once(Bytes::from(tail)));
    let mut response = Response::new(crate::chunked::body(chunks));
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    response
}

/// The cursor after a page: the last region's end key, unless the page reached the end of the
/// key space (an empty end key) or came back short.
fn next_cursor(
    cluster: &str,
    page: &RenderedRegions,
    limit: u32,
) -> Result<Option<String>, ApiError> {
    let Some(last_end_key) = page.last_end_key.as_deref() else {
        return Ok(None);
    };
    if last_end_key.is_empty() || page.count < limit as usize {
        return Ok(None);
    }
    let start_key = hex_decode(last_end_key).ok_or_else(|| {
        ApiError::Upstream(UpstreamError::Decode {
            upstream: Upstream::Pd,
            path: pd::paths::REGIONS_BY_KEY.into(),
            field: "regions[].end_key".into(),
            message: format!("{:?} is not hex", truncate(last_end_key, 64)),
        })
    })?;
    Ok(Some(Cursor { start_key }.encode(cluster)))
}

/// Path parameters of one region.
#[derive(Debug, Deserialize)]
struct RegionPath {
    cluster: String,
    region_id: String,
}

/// One region by id.
///
/// A missing region is a 404 whichever way PD says it (v9's 404, v8's all-zero region, v7's
/// `null`).
#[utoipa::path(
    get,
    path = "/api/v1/clusters/{cluster}/regions/{region_id}",
    tag = "regions",
    params(
        ("cluster" = String, Path, description = "The cluster's configured name."),
        ("region_id" = String, Path, description = "The region id, a decimal unsigned 64-bit integer.", example = "2"),
    ),
    responses((status = 200, description = "The region.", body = RegionDetail), BadParameter, LookupErrors)
)]
async fn get_region(
    State(state): State<AppState>,
    ApiPath(path): ApiPath<RegionPath>,
) -> Result<Json<RegionDetail>, ApiError> {
    let region_id = parse_id("region_id", &path.region_id)?;
    let cluster = state.cluster(&path.cluster)?;
    let not_found = || ApiError::NotFound {
        kind: "region",
        id: region_id.to_string(),
        cluster: cluster.name.clone(),
    };
    let region = match cluster.pd.region_by_id::<MaybeRegion>(region_id).await? {
        Lookup::Found(MaybeRegion(Some(region))) => region,
        Lookup::Found(MaybeRegion(None)) | Lookup::NotFound => return Err(not_found()),
    };
    Ok(respond(RegionDetail {
        cluster: cluster.name.clone(),
        region,
        meta: Meta::observed(crate::upstream::freshness::observed_at()),
    }))
}

/// Query parameters of a lookup by key.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct KeyParams {
    /// The key, in hex as region boundaries show it (the key as TiKV stores it, memcomparable
    /// for TiDB); upper or lower case. Empty: the first region.
    #[param(
        required = true,
        pattern = "^([0-9A-Fa-f]{2})*$",
        example = "7480000000000000FF0500000000000000F8"
    )]
    key: Option<String>,
}

/// The region holding a key.
///
/// `key` is hex, as region boundaries show it (the key as TiKV stores it, memcomparable for
/// TiDB); empty asks for the first region. The region is the one whose `start_key` is at or
/// before the key and whose `end_key` is after it (or empty, the end of the key space); a key
/// in a gap of the key space is a 404.
#[utoipa::path(
    get,
    path = "/api/v1/clusters/{cluster}/regions/by-key",
    tag = "regions",
    params(("cluster" = String, Path, description = "The cluster's configured name."), KeyParams),
    responses((status = 200, description = "The region holding the key.", body = RegionDetail), BadParameter, LookupErrors)
)]
async fn region_by_key(
    State(state): State<AppState>,
    ApiPath(cluster): ApiPath<String>,
    ApiQuery(params): ApiQuery<KeyParams>,
) -> Result<Json<RegionDetail>, ApiError> {
    let raw = params.key.ok_or_else(|| ApiError::BadParameter {
        parameter: "key",
        detail: "missing; give the key in hex (empty for the first region)".into(),
    })?;
    let key = hex_decode(raw.trim()).ok_or_else(|| ApiError::BadParameter {
        parameter: "key",
        detail: format!(
            "{:?} is not hex (an even number of 0-9, A-F)",
            truncate(&raw, 64)
        ),
    })?;
    let cluster = state.cluster(&cluster)?;
    // `/regions/key` starts at the region containing the key, on every PD version; a gap in the
    // key space (no region holds the key) shows as a first region that starts after it.
    let NormalizedRegions(regions) = cluster.pd.regions_from(&key, 1).await?;
    let holds_key = |r: &Region| {
        let start = hex_decode(&r.start_key).unwrap_or_default();
        let end = hex_decode(&r.end_key).unwrap_or_default();
        start <= key && (r.end_key.is_empty() || key < end)
    };
    let Some(region) = regions.into_iter().next().filter(holds_key) else {
        return Err(ApiError::NotFound {
            kind: "region holding key",
            id: raw.trim().to_ascii_uppercase(),
            cluster: cluster.name.clone(),
        });
    };
    Ok(respond(RegionDetail {
        cluster: cluster.name.clone(),
        region,
        meta: Meta::observed(crate::upstream::freshness::observed_at()),
    }))
}

/// Counts of miss-peer, extra-peer, down-peer, pending-peer, offline-peer, learner-peer, empty,
/// oversized and undersized regions, from PD's region checker.
///
/// Read from PD's `/regions/check/*` at most once per 30 s per cluster, however many
/// dashboards ask (concurrent requests share one read). A count PD cannot give (its answer is
/// over the body cap, say) is `null` with a warning.
#[utoipa::path(
    get,
    path = "/api/v1/clusters/{cluster}/regions/health",
    tag = "regions",
    params(("cluster" = String, Path, description = "The cluster's configured name.")),
    responses((status = 200, description = "Region health counts.", body = RegionHealth), ClusterErrors)
)]
async fn region_health(
    State(state): State<AppState>,
    ApiPath(cluster): ApiPath<String>,
) -> Result<Json<RegionHealth>, ApiError> {
    let cluster = state.cluster(&cluster)?;
    let health = compose::region_health(cluster).await?;
    Ok(respond(RegionHealth::clone(&health)))
}

/// Path parameters of the hotspot lists.
#[derive(Debug, Deserialize)]
struct HotspotPath {
    cluster: String,
    kind: String,
}

/// Hot regions by store, for reads or for writes.
///
/// For each store PD has load statistics for: its whole load and that of its hot regions, as
/// leader (the regions it leads) and as any peer, with rates per second (bytes, keys, queries)
/// averaged by PD over its statistics window, and the hot regions themselves, hottest first.
#[utoipa::path(
    get,
    path = "/api/v1/clusters/{cluster}/hotspots/{kind}",
    tag = "regions",
    params(
        ("cluster" = String, Path, description = "The cluster's configured name."),
        ("kind" = HotspotKind, Path, description = "`read` or `write`."),
    ),
    responses((status = 200, description = "Hot regions by store.", body = Hotspots), BadParameter, ClusterErrors)
)]
async fn hotspots(
    State(state): State<AppState>,
    ApiPath(path): ApiPath<HotspotPath>,
) -> Result<Json<Hotspots>, ApiError> {
    let kind = match path.kind.as_str() {
        "read" => HotspotKind::Read,
        "write" => HotspotKind::Write,
        other => {
            return Err(ApiError::BadParameter {
                parameter: "kind",
                detail: format!(
                    "{:?} is not a hotspot kind; use read or write",
                    truncate(other, 32)
                ),
            });
        }
    };
    let cluster = state.cluster(&path.cluster)?;
    let wire = cluster.pd.hot_regions(&path.kind).await?;
    let observed_at = crate::upstream::freshness::observed_at();
    let stores = normalize::hot_stores(wire).map_err(|e| {
        ApiError::bad_upstream_value(Upstream::Pd, &pd::paths::hot_regions(&path.kind), e)
    })?;
    Ok(respond(Hotspots {
        cluster: cluster.name.clone(),
        kind,
        stores,
        meta: Meta::observed(observed_at),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert_eq!(parse_limit(None).unwrap(), 100);
        assert_eq!(parse_limit(Some("10000")).unwrap(), 10_000);
        for bad in ["0", "10001", "-1", "ten", "", "1e3"] {
            match parse_limit(Some(bad)) {
                Err(ApiError::BadParameter { parameter, .. }) => assert_eq!(parameter, "limit"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }
}
