//! The simulated PD's HTTP API: routing like gorilla/mux (404 `404 page not found` for unknown
//! paths, 405 with an empty body for a wrong method), parameters parsed like Go (`r.URL.Query()`,
//! `strconv`), and every answer rendered the way PD v8.5 renders it.
//!
//! Region lists are streamed in chunks, so `/regions` over a million regions never sits in memory.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use jiff::Timestamp;

use super::activity;
use super::bodies::{self, HotKind, RegionStatsBody, StoreMaps};
use super::clock::Clock;
use super::cluster::SimCluster;
use super::go_format::{
    JsonWriter, Layout, go_atoi, go_hex_decode, go_parse_query, go_parse_uint, go_path_unescape,
    go_query_unescape, indented_json_string,
};
use super::regions::{Moment, PeerRole, RegionCheck};

/// PD's `rd.JSON` content type.
pub const CONTENT_TYPE_JSON: &str = "application/json; charset=UTF-8";
/// PD's `rd.Data` content type (region bodies).
pub const CONTENT_TYPE_DATA: &str = "application/octet-stream";
/// Go's `http.Error` content type.
pub const CONTENT_TYPE_TEXT: &str = "text/plain; charset=utf-8";

/// `/regions/key` page size without `limit`, and the most one page returns.
const DEFAULT_SCAN_LIMIT: i64 = 16;
const MAX_SCAN_LIMIT: i64 = 10_240;
/// Regions rendered per streamed chunk.
const REGIONS_PER_CHUNK: u64 = 256;
/// Scans over more regions than this run on the blocking pool.
const BLOCKING_SCAN: u64 = 20_000;

struct Pd {
    cluster: Arc<SimCluster>,
    clock: Clock,
}

/// The PD HTTP API over `cluster`, answering at `clock`'s time. A stateless `Router<()>`.
pub fn pd_router(cluster: Arc<SimCluster>, clock: Clock) -> Router {
    Router::new()
        .fallback(dispatch)
        .with_state(Arc::new(Pd { cluster, clock }))
}

/// Serves the PD API on `listener` until `shutdown` completes.
pub async fn serve_pd(
    listener: tokio::net::TcpListener,
    cluster: Arc<SimCluster>,
    clock: Clock,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, pd_router(cluster, clock))
        .with_graceful_shutdown(shutdown)
        .await
}

/// The routes PD v8.5 serves that the simulator implements.
#[derive(Debug, PartialEq, Eq)]
enum Route {
    Members,
    Health,
    Leader,
    Status,
    Version,
    Cluster,
    ClusterStatus,
    Stores,
    Store(Vec<u8>),
    Regions,
    RegionsCount,
    RegionsKey,
    RegionId(Vec<u8>),
    RegionKey(Vec<u8>),
    RegionsStore(Vec<u8>),
    RegionsCheck(RegionCheck),
    StatsRegion,
    HotRead,
    HotWrite,
    HotStores,
    Schedulers,
    /// Anything under `/scheduler-config/` (PD routes the prefix to the schedulers' handlers).
    SchedulerConfig(Vec<Vec<u8>>),
    Operators,
    StoresProgress,
    StoresLimit,
    ConfigSchedule,
    ConfigReplicate,
    ConfigPlacementRule,
    Checker(Vec<u8>),
    GcSafePoint,
    MinResolvedTs,
}

impl Route {
    /// Matches a decoded path; `{var}` segments match one non-empty segment, as in gorilla/mux.
    fn parse(path: &[u8]) -> Option<Self> {
        let rest = path.strip_prefix(b"/pd/api/v1/")?;
        let segments: Vec<&[u8]> = rest.split(|&b| b == b'/').collect();
        let var = |s: &[u8]| (!s.is_empty()).then(|| s.to_vec());
        Some(match segments.as_slice() {
            [b"members"] => Self::Members,
            [b"health"] => Self::Health,
            [b"leader"] => Self::Leader,
            [b"status"] => Self::Status,
            [b"version"] => Self::Version,
            [b"cluster"] => Self::Cluster,
            [b"cluster", b"status"] => Self::ClusterStatus,
            [b"stores"] => Self::Stores,
            [b"store", id] => Self::Store(var(id)?),
            [b"regions"] => Self::Regions,
            [b"regions", b"count"] => Self::RegionsCount,
            [b"regions", b"key"] => Self::RegionsKey,
            [b"region", b"id", id] => Self::RegionId(var(id)?),
            [b"region", b"key", key] => Self::RegionKey(var(key)?),
            [b"regions", b"store", id] => Self::RegionsStore(var(id)?),
            [b"regions", b"check", kind] => Self::RegionsCheck(RegionCheck::from_path_name(kind)?),
            [b"stats", b"region"] => Self::StatsRegion,
            [b"hotspot", b"regions", b"read"] => Self::HotRead,
            [b"hotspot", b"regions", b"write"] => Self::HotWrite,
            [b"hotspot", b"stores"] => Self::HotStores,
            [b"schedulers"] => Self::Schedulers,
            [b"scheduler-config", rest @ ..] => {
                Self::SchedulerConfig(rest.iter().map(|s| s.to_vec()).collect())
            }
            [b"operators"] => Self::Operators,
            [b"stores", b"progress"] => Self::StoresProgress,
            [b"stores", b"limit"] => Self::StoresLimit,
            [b"config", b"schedule"] => Self::ConfigSchedule,
            [b"config", b"replicate"] => Self::ConfigReplicate,
            [b"config", b"placement-rule"] => Self::ConfigPlacementRule,
            [b"checker", name] => Self::Checker(var(name)?),
            [b"gc", b"safepoint"] => Self::GcSafePoint,
            [b"min-resolved-ts"] => Self::MinResolvedTs,
            _ => return None,
        })
    }
}

/// The query string as `r.URL.Query()` sees it.
struct Query(Vec<(Vec<u8>, Vec<u8>)>);

impl Query {
    /// `query.Get(name)`: the first value, or empty.
    fn get(&self, name: &str) -> &[u8] {
        self.0
            .iter()
            .find(|(k, _)| k == name.as_bytes())
            .map(|(_, v)| v.as_slice())
            .unwrap_or(b"")
    }

    fn all(&self, name: &str) -> impl Iterator<Item = &[u8]> {
        self.0
            .iter()
            .filter(move |(k, _)| k == name.as_bytes())
            .map(|(_, v)| v.as_slice())
    }

    fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name.as_bytes())
    }
}

async fn dispatch(State(pd): State<Arc<Pd>>, request: Request) -> Response {
    let Ok(path) = go_path_unescape(request.uri().path().as_bytes()) else {
        // Go's server rejects a request line whose path has a bad escape.
        return text(StatusCode::BAD_REQUEST, "400 Bad Request");
    };
    let Some(route) = Route::parse(&path) else {
        return text(StatusCode::NOT_FOUND, "404 page not found\n");
    };
    if request.method() != Method::GET {
        return empty(StatusCode::METHOD_NOT_ALLOWED);
    }
    let query = Query(go_parse_query(
        request.uri().query().unwrap_or("").as_bytes(),
    ));
    let now = pd.clock.now();
    handle(&pd.cluster, route, &query, now).await
}

async fn handle(
    cluster: &Arc<SimCluster>,
    route: Route,
    query: &Query,
    now: Timestamp,
) -> Response {
    let moment = cluster.moment(now);
    match route {
        Route::Members => json(StatusCode::OK, bodies::members_body(cluster)),
        Route::Health => json(StatusCode::OK, bodies::health_body(cluster)),
        Route::Leader => json(StatusCode::OK, bodies::leader_body(cluster)),
        Route::Status => json(StatusCode::OK, bodies::status_body(cluster)),
        Route::Version => json(StatusCode::OK, bodies::version_body()),
        Route::Cluster => json(StatusCode::OK, bodies::cluster_body(cluster)),
        Route::ClusterStatus => json(StatusCode::OK, bodies::cluster_status_body(cluster)),
        Route::Stores => stores(cluster, query, &moment),
        Route::Store(id) => store(cluster, &id, &moment),
        Route::Regions => {
            let count = cluster.region_model.region_count_at(&moment);
            // Go map order: any order; start at a seeded offset to make that visible.
            let offset = if count == 0 {
                0
            } else {
                super::mix::hash(cluster.config().seed, 77, 0) % count
            };
            stream_regions(
                cluster.clone(),
                moment,
                RegionSource::Rotated { offset, count },
            )
        }
        Route::RegionsCount => json(
            StatusCode::OK,
            bodies::regions_count_body(cluster.region_model.region_count_at(&moment)),
        ),
        Route::RegionsKey => scan_regions(cluster, query, moment),
        Route::RegionId(id) => region_by_id(cluster, &id, &moment),
        Route::RegionKey(key) => region_by_key(cluster, &key, query, &moment),
        Route::RegionsStore(id) => store_regions(cluster, &id, query, moment).await,
        Route::RegionsCheck(check) => checked_regions(cluster, check, moment).await,
        Route::StatsRegion => region_stats(cluster, query, moment).await,
        Route::HotRead | Route::HotWrite => hot_regions(cluster, &route, query, &moment),
        Route::HotStores => json(
            StatusCode::OK,
            bodies::hot_stores_body(&cluster.stores_at_moment(&moment)),
        ),
        Route::Schedulers => schedulers(cluster, query, &moment),
        Route::SchedulerConfig(rest) => scheduler_config(cluster, &rest, &moment),
        Route::Operators => {
            let stores = cluster.stores_at_moment(&moment);
            let texts = activity::operators(cluster, &moment, &stores);
            json(StatusCode::OK, bodies::operators_body(&texts))
        }
        Route::StoresProgress => store_progress(cluster, query, &moment),
        Route::StoresLimit => json(
            StatusCode::OK,
            bodies::store_limits_body(&cluster.stores_at_moment(&moment)),
        ),
        Route::ConfigSchedule => json(
            StatusCode::OK,
            bodies::schedule_config_body(
                cluster.config().max_down_ns(),
                &cluster.stores_at_moment(&moment),
                activity::schedulers(cluster, &moment).evict_leader_store,
            ),
        ),
        Route::ConfigReplicate => json(StatusCode::OK, bodies::replicate_body()),
        Route::ConfigPlacementRule => json(StatusCode::OK, bodies::placement_rules_body()),
        Route::Checker(name) => match name.as_slice() {
            b"learner" | b"replica" | b"rule" | b"split" | b"merge" | b"joint-state" => {
                json(StatusCode::OK, bodies::checker_body(false))
            }
            _ => json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "[PD:checker:ErrCheckerNotFound]checker not found",
            ),
        },
        Route::GcSafePoint => json(
            StatusCode::OK,
            bodies::gc_safe_point_body(&activity::safe_points(cluster, moment.now_ns)),
        ),
        Route::MinResolvedTs => min_resolved_ts(cluster, query, &moment),
    }
}

/// `GET /schedulers`: `?status=paused` (with `timestamp`, the pause times), `?status=disabled`
/// (none here), otherwise every enabled scheduler.
fn schedulers(cluster: &SimCluster, query: &Query, moment: &Moment) -> Response {
    let now = activity::schedulers(cluster, moment);
    let body = match query.get("status") {
        b"paused" if query.has("timestamp") => bodies::paused_schedulers_body(&now.paused),
        b"paused" => {
            let names: Vec<&str> = now.paused.iter().map(|(name, _, _)| *name).collect();
            bodies::scheduler_names_body(&names)
        }
        b"disabled" => bodies::scheduler_names_body(&[]),
        _ => bodies::scheduler_names_body(&now.names),
    };
    json(StatusCode::OK, body)
}

/// `/scheduler-config/...`: PD's `ServeMux` of the schedulers' own routers; only the
/// evict-leader and evict-slow-store lists are simulated. Anything else is Go's 404.
fn scheduler_config(cluster: &SimCluster, rest: &[Vec<u8>], moment: &Moment) -> Response {
    let not_found = || text(StatusCode::NOT_FOUND, "404 page not found\n");
    let [name, list] = rest else {
        return not_found();
    };
    if list != b"list" {
        return not_found();
    }
    let now = activity::schedulers(cluster, moment);
    match (name.as_slice(), now.evict_leader_store) {
        (b"evict-leader-scheduler", Some(store)) => {
            json(StatusCode::OK, bodies::evict_leader_config_body(&[store]))
        }
        (b"evict-slow-store-scheduler", _) => {
            json(StatusCode::OK, bodies::evict_slow_store_config_body())
        }
        _ => not_found(),
    }
}

/// `GET /stores/progress?id=` or `?action=`.
fn store_progress(cluster: &SimCluster, query: &Query, moment: &Moment) -> Response {
    let id = query.get("id");
    if !id.is_empty() {
        let id = match go_parse_uint(id) {
            Ok(id) => id,
            Err(message) => {
                let mut response = json(
                    StatusCode::BAD_REQUEST,
                    bodies::errcode_input_body(&message),
                );
                response
                    .headers_mut()
                    .insert("TiDB-Error-Code", HeaderValue::from_static("input"));
                return response;
            }
        };
        return match activity::progress(cluster, moment, id) {
            Some(p) => json(
                StatusCode::OK,
                bodies::progress_body(p.action, Some(p.store_id), &p),
            ),
            None => json_error(
                StatusCode::NOT_FOUND,
                &format!(
                    "[PD:progress:ErrProgressNotFound]no progress found for the given store ID: {}",
                    String::from_utf8_lossy(query.get("id"))
                ),
            ),
        };
    }
    let action = query.get("action");
    if !action.is_empty() {
        let found = cluster
            .stores_at_moment(moment)
            .iter()
            .filter_map(|s| activity::progress(cluster, moment, s.id))
            .find(|p| p.action.as_bytes().starts_with(action));
        return match found {
            // PD reports the action as it was asked for (matched as a prefix of its names).
            Some(p) => json(
                StatusCode::OK,
                bodies::progress_body(&String::from_utf8_lossy(action), None, &p),
            ),
            None => json_error(
                StatusCode::NOT_FOUND,
                &format!(
                    "[PD:progress:ErrProgressNotFound]no progress found for the action: {}",
                    String::from_utf8_lossy(action)
                ),
            ),
        };
    }
    json_error(StatusCode::BAD_REQUEST, "need query parameters")
}

/// `GET /min-resolved-ts`: `?scope=cluster` adds every store's, `?scope=1,4` those stores' (and
/// their minimum as the answer's).
fn min_resolved_ts(cluster: &SimCluster, query: &Query, moment: &Moment) -> Response {
    let stores = cluster.stores_at_moment(moment);
    let (cluster_ts, per_store) = activity::resolved_ts(cluster, moment.now_ns, &stores);
    let scope = query.get("scope");
    if scope.is_empty() {
        return json(
            StatusCode::OK,
            bodies::min_resolved_ts_body(cluster_ts, None),
        );
    }
    if scope == b"cluster" {
        return json(
            StatusCode::OK,
            bodies::min_resolved_ts_body(cluster_ts, Some(&per_store)),
        );
    }
    let mut chosen = Vec::new();
    for raw in scope.split(|&b| b == b',') {
        let id = match go_parse_uint(raw) {
            Ok(id) => id,
            Err(message) => return json_error(StatusCode::BAD_REQUEST, &message),
        };
        let ts = per_store
            .iter()
            .find(|(s, _)| *s == id)
            .map_or(u64::MAX, |(_, ts)| *ts);
        chosen.push((id, ts));
    }
    let min = chosen.iter().map(|(_, ts)| *ts).min().unwrap_or(u64::MAX);
    json(
        StatusCode::OK,
        bodies::min_resolved_ts_body(min, Some(&chosen)),
    )
}

/// `GET /stores`: `?state=` takes integer `metapb.StoreState`s (repeatable); without it every
/// store but tombstones.
fn stores(cluster: &SimCluster, query: &Query, moment: &Moment) -> Response {
    let mut accept: Vec<u8> = Vec::new();
    if query.has("state") {
        for raw in query.all("state") {
            let state = match go_atoi(raw) {
                Ok(state) => state as i32, // Go converts int to the int32 enum.
                Err(message) => return json_error(StatusCode::INTERNAL_SERVER_ERROR, &message),
            };
            match u8::try_from(state) {
                Ok(state @ 0..=2) => accept.push(state),
                _ => {
                    return json_error(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        &format!("unknown StoreState: {state}"),
                    );
                }
            }
        }
    } else {
        accept = vec![0, 1];
    }
    let stores: Vec<_> = cluster
        .stores_in_map_order(moment)
        .into_iter()
        .filter(|s| accept.contains(&s.meta_state))
        .collect();
    json(StatusCode::OK, bodies::stores_body(&stores))
}

fn store(cluster: &SimCluster, raw_id: &[u8], moment: &Moment) -> Response {
    let id = match go_parse_uint(raw_id) {
        Ok(id) => id,
        Err(message) => {
            let mut response = json(
                StatusCode::BAD_REQUEST,
                bodies::errcode_input_body(&message),
            );
            response
                .headers_mut()
                .insert("TiDB-Error-Code", HeaderValue::from_static("input"));
            return response;
        }
    };
    match cluster
        .stores_at_moment(moment)
        .into_iter()
        .find(|s| s.id == id)
    {
        Some(store) => json(StatusCode::OK, bodies::store_body(&store)),
        None => json_error(
            StatusCode::NOT_FOUND,
            &format!("[PD:core:ErrStoreNotFound]store {id} not found"),
        ),
    }
}

/// `GET /regions/key?key=&end_key=&limit=&format=hex`: key order from the region containing `key`.
fn scan_regions(cluster: &Arc<SimCluster>, query: &Query, moment: Moment) -> Response {
    let mut start = query.get("key").to_vec();
    let mut end = query.get("end_key").to_vec();
    if query.get("format") == b"hex" {
        for key in [&mut start, &mut end] {
            match go_hex_decode(key) {
                Ok(decoded) => *key = decoded,
                Err(message) => return json_error(StatusCode::BAD_REQUEST, &message),
            }
        }
    }
    let limit = match query.get("limit") {
        b"" => DEFAULT_SCAN_LIMIT,
        raw => match go_atoi(raw) {
            Ok(limit) => limit.min(MAX_SCAN_LIMIT),
            Err(message) => return json_error(StatusCode::BAD_REQUEST, &message),
        },
    };
    let from = cluster.region_model.region_index_for_key(&start, &moment);
    let to = cluster
        .region_model
        .regions_starting_before(&end, &moment)
        .max(from);
    let mut count = to - from;
    if limit > 0 {
        count = count.min(limit as u64);
    }
    stream_regions(
        cluster.clone(),
        moment,
        RegionSource::Range {
            from,
            to: from + count,
        },
    )
}

fn region_by_id(cluster: &SimCluster, raw_id: &[u8], moment: &Moment) -> Response {
    let id = match go_parse_uint(raw_id) {
        Ok(id) => id,
        Err(message) => return json_error(StatusCode::BAD_REQUEST, &message),
    };
    match cluster.region_model.region_by_id_at(id, moment) {
        Some(region) => data(bodies::region_body(&region)),
        None => data(bodies::MISSING_REGION_BODY.to_owned()),
    }
}

fn region_by_key(cluster: &SimCluster, raw_key: &[u8], query: &Query, moment: &Moment) -> Response {
    let mut key = match go_query_unescape(raw_key) {
        Ok(key) => key,
        Err(message) => return json_error(StatusCode::BAD_REQUEST, &message),
    };
    if query.get("format") == b"hex" {
        key = match go_hex_decode(&key) {
            Ok(key) => key,
            Err(message) => return json_error(StatusCode::BAD_REQUEST, &message),
        };
    }
    let index = cluster.region_model.region_index_for_key(&key, moment);
    match cluster.region_model.region_at_moment(index, moment) {
        Some(region) => data(bodies::region_body(&region)),
        None => data(bodies::MISSING_REGION_BODY.to_owned()),
    }
}

/// `GET /regions/store/{id}?type=`: the store's leader regions, then follower, then learner
/// regions, each in key order.
async fn store_regions(
    cluster: &Arc<SimCluster>,
    raw_id: &[u8],
    query: &Query,
    moment: Moment,
) -> Response {
    let id = match go_atoi(raw_id) {
        Ok(id) => id as u64, // PD converts with uint64(id).
        Err(message) => return json_error(StatusCode::BAD_REQUEST, &message),
    };
    #[derive(Clone, Copy, PartialEq)]
    enum Kind {
        All,
        Leader,
        Follower,
        Learner,
        Witness,
        Pending,
    }
    let kind = match query.get("type") {
        b"" | b"all" => Kind::All,
        b"leader" => Kind::Leader,
        b"follower" => Kind::Follower,
        b"learner" => Kind::Learner,
        b"witness" => Kind::Witness,
        b"pending" => Kind::Pending,
        other => {
            let message = format!(
                "unknown sub tree region type {}",
                String::from_utf8_lossy(other)
            );
            return json_error(StatusCode::BAD_REQUEST, &message);
        }
    };
    let scan = {
        let cluster = cluster.clone();
        move |moment: &Moment| {
            let (mut leaders, mut followers, mut learners, mut pending) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            if kind == Kind::Witness {
                return Vec::new();
            }
            let count = cluster.region_model.region_count_at(moment);
            for region in cluster.region_model.regions_at_moment(0..count, moment) {
                let Some(peer) = region.peers().iter().find(|p| p.store_id == id) else {
                    continue;
                };
                if region.pending_peers().iter().any(|p| p.id == peer.id) {
                    pending.push(region.index);
                }
                if region.leader.map(|l| l.id) == Some(peer.id) {
                    leaders.push(region.index);
                } else if peer.role == PeerRole::Learner {
                    learners.push(region.index);
                } else {
                    followers.push(region.index);
                }
            }
            match kind {
                Kind::All => {
                    leaders.extend(followers);
                    leaders.extend(learners);
                    leaders
                }
                Kind::Leader => leaders,
                Kind::Follower => followers,
                Kind::Learner => learners,
                Kind::Pending => pending,
                Kind::Witness => Vec::new(),
            }
        }
    };
    let (indices, moment) = run_scan(cluster, moment, scan).await;
    stream_regions(cluster.clone(), moment, RegionSource::Indices(indices))
}

async fn checked_regions(
    cluster: &Arc<SimCluster>,
    check: RegionCheck,
    moment: Moment,
) -> Response {
    let scan = {
        let cluster = cluster.clone();
        move |moment: &Moment| {
            let count = cluster.region_model.region_count_at(moment);
            cluster
                .region_model
                .regions_at_moment(0..count, moment)
                .filter(|r| cluster.region_model.region_matches(r, check, moment))
                .map(|r| r.index)
                .collect()
        }
    };
    let (indices, moment) = run_scan(cluster, moment, scan).await;
    stream_regions(cluster.clone(), moment, RegionSource::Indices(indices))
}

/// Runs a walk over all regions, on the blocking pool when the cluster is large.
async fn run_scan<F>(cluster: &SimCluster, moment: Moment, scan: F) -> (Vec<u64>, Moment)
where
    F: FnOnce(&Moment) -> Vec<u64> + Send + 'static,
{
    if cluster.region_model.region_count_at(&moment) <= BLOCKING_SCAN {
        let indices = scan(&moment);
        return (indices, moment);
    }
    let now_ns = moment.now_ns;
    match tokio::task::spawn_blocking(move || {
        let indices = scan(&moment);
        (indices, moment)
    })
    .await
    {
        Ok(result) => result,
        // The scan itself cannot fail; if the task was cancelled, answer with nothing found.
        Err(_) => (Vec::new(), cluster.moment_at_ns(now_ns)),
    }
}

/// `GET /stats/region`: the whole key space from the precomputed totals; a `start_key`/`end_key`
/// range (raw bytes) by scanning it; `?count` counts only.
async fn region_stats(cluster: &Arc<SimCluster>, query: &Query, moment: Moment) -> Response {
    let start = query.get("start_key").to_vec();
    let end = query.get("end_key").to_vec();
    let count_only = query.has("count");
    let from = cluster.region_model.region_index_for_key(&start, &moment);
    let to = cluster
        .region_model
        .regions_starting_before(&end, &moment)
        .max(from);
    let stats = if count_only {
        RegionStatsBody {
            count: to - from,
            ..RegionStatsBody::default()
        }
    } else if start.is_empty() && end.is_empty() {
        bodies::cluster_region_stats(cluster, &moment)
    } else {
        let cluster = cluster.clone();
        let walk = move || {
            let mut stats = RegionStatsBody {
                maps: Some(StoreMaps::default()),
                ..RegionStatsBody::default()
            };
            for region in cluster.region_model.regions_at_moment(from..to, &moment) {
                stats.count += 1;
                if region.is_empty_region() {
                    stats.empty_count += 1;
                }
                stats.storage_size += region.approximate_size;
                stats.user_storage_size += region.approximate_kv_size;
                stats.storage_keys += region.approximate_keys;
                if let Some(maps) = stats.maps.as_mut() {
                    maps.observe(&region);
                }
            }
            stats
        };
        if to - from <= BLOCKING_SCAN {
            walk()
        } else {
            tokio::task::spawn_blocking(walk).await.unwrap_or_default()
        }
    };
    json(StatusCode::OK, bodies::region_stats_body(&stats))
}

fn hot_regions(cluster: &SimCluster, route: &Route, query: &Query, moment: &Moment) -> Response {
    let mut only = Vec::new();
    for raw in query.all("store_id") {
        match go_parse_uint(raw) {
            Ok(id) => only.push(id),
            Err(message) => return json_error(StatusCode::BAD_REQUEST, &message),
        }
    }
    let stores = cluster.stores_at_moment(moment);
    let hot = cluster.hot_snapshot(moment);
    let (peers, kind) = match route {
        Route::HotRead => (&hot.read, HotKind::Read),
        _ => (&hot.write, HotKind::Write),
    };
    let only = (!only.is_empty()).then_some(only.as_slice());
    json(
        StatusCode::OK,
        bodies::hot_regions_body(&stores, peers, kind, only),
    )
}

/// Which regions a region-list body holds, in body order.
enum RegionSource {
    /// Key-order positions `from..to`.
    Range {
        from: u64,
        to: u64,
    },
    /// All regions, starting at key-order `offset` and wrapping around.
    Rotated {
        offset: u64,
        count: u64,
    },
    Indices(Vec<u64>),
}

impl RegionSource {
    fn len(&self) -> u64 {
        match self {
            Self::Range { from, to } => to - from,
            Self::Rotated { count, .. } => *count,
            Self::Indices(indices) => indices.len() as u64,
        }
    }
}

/// `{"count":N,"regions":[…]}` as easyjson writes it, generated chunk by chunk.
fn stream_regions(cluster: Arc<SimCluster>, moment: Moment, source: RegionSource) -> Response {
    let total = source.len();
    if total <= REGIONS_PER_CHUNK * 4 {
        let mut w = JsonWriter::with_capacity(Layout::Compact, 64 + 600 * total as usize);
        open_region_list(&mut w, total);
        write_region_range(&cluster, &moment, &source, 0..total, &mut w);
        w.end_array();
        w.end_object();
        return data(w.into_string());
    }
    let state = StreamState {
        cluster,
        moment,
        source,
        done: 0,
        total,
        writer: None,
        finished: false,
    };
    let stream = futures::stream::unfold(state, |mut state| async move {
        if state.finished {
            return None;
        }
        let mut w = state.writer.take().unwrap_or_else(|| {
            let mut w =
                JsonWriter::with_capacity(Layout::Compact, 600 * REGIONS_PER_CHUNK as usize);
            open_region_list(&mut w, state.total);
            w
        });
        let until = (state.done + REGIONS_PER_CHUNK).min(state.total);
        write_region_range(
            &state.cluster,
            &state.moment,
            &state.source,
            state.done..until,
            &mut w,
        );
        state.done = until;
        if state.done == state.total {
            w.end_array();
            w.end_object();
            state.finished = true;
        }
        let chunk = Bytes::from(w.take());
        state.writer = Some(w);
        Some((Ok::<_, Infallible>(chunk), state))
    });
    let mut response = Response::new(Body::from_stream(stream));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(CONTENT_TYPE_DATA),
    );
    response
}

struct StreamState {
    cluster: Arc<SimCluster>,
    moment: Moment,
    source: RegionSource,
    done: u64,
    total: u64,
    writer: Option<JsonWriter>,
    finished: bool,
}

fn open_region_list(w: &mut JsonWriter, total: u64) {
    w.begin_object();
    w.field_u64("count", total);
    w.key("regions");
    w.begin_array();
}

/// Writes the body positions `positions` of `source`.
fn write_region_range(
    cluster: &SimCluster,
    moment: &Moment,
    source: &RegionSource,
    positions: std::ops::Range<u64>,
    w: &mut JsonWriter,
) {
    match source {
        RegionSource::Range { from, .. } => {
            for region in cluster
                .region_model
                .regions_at_moment(from + positions.start..from + positions.end, moment)
            {
                bodies::write_region(w, &region);
            }
        }
        RegionSource::Rotated { offset, count } => {
            // Split the positions at the wrap-around point so each part is a key-order run.
            let first = offset + positions.start;
            let last = offset + positions.end;
            let runs = [
                (first.min(*count), last.min(*count)),
                (first.max(*count) - count, last.max(*count) - count),
            ];
            for (a, b) in runs {
                for region in cluster.region_model.regions_at_moment(a..b, moment) {
                    bodies::write_region(w, &region);
                }
            }
        }
        RegionSource::Indices(indices) => {
            let slice = &indices[positions.start as usize..positions.end as usize];
            for &index in slice {
                if let Some(region) = cluster.region_model.region_at_moment(index, moment) {
                    bodies::write_region(w, &region);
                }
            }
        }
    }
}

fn with_content_type(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Body>,
) -> Response {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn json(status: StatusCode, body: String) -> Response {
    with_content_type(status, CONTENT_TYPE_JSON, body)
}

/// `rd.JSON(w, status, err.Error())`: a JSON string.
fn json_error(status: StatusCode, message: &str) -> Response {
    json(status, indented_json_string(message))
}

fn data(body: String) -> Response {
    with_content_type(StatusCode::OK, CONTENT_TYPE_DATA, body)
}

/// `http.Error`: text plus `X-Content-Type-Options: nosniff`.
fn text(status: StatusCode, body: &'static str) -> Response {
    let mut response = with_content_type(status, CONTENT_TYPE_TEXT, body);
    response.headers_mut().insert(
        "X-Content-Type-Options",
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn empty(status: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_like_gorilla_mux() {
        assert_eq!(Route::parse(b"/pd/api/v1/stores"), Some(Route::Stores));
        assert_eq!(Route::parse(b"/pd/api/v1/stores/"), None);
        assert_eq!(Route::parse(b"/pd/api/v1/store/"), None);
        assert_eq!(
            Route::parse(b"/pd/api/v1/store/abc"),
            Some(Route::Store(b"abc".to_vec()))
        );
        assert_eq!(
            Route::parse(b"/pd/api/v1/regions/check/miss-peer"),
            Some(Route::RegionsCheck(RegionCheck::MissPeer))
        );
        assert_eq!(Route::parse(b"/pd/api/v1/regions/check/nope"), None);
        assert_eq!(Route::parse(b"/pd/api/v2/stores"), None);
    }
}
