//! The PD client: several endpoints per cluster, a deadline on every read, a cap on every body.
//!
//! PD's HTTP API is served by every member (followers proxy to the leader), so any endpoint can
//! answer. The client starts with the endpoint that answered last; on a connection failure, an
//! attempt timeout or a 503 (PD's "no leader" answer) it tries the next one. It never retries a
//! 4xx or another 5xx: those are answers, and a retry would only double PD's load.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde::de::DeserializeOwned;
use tokio::time::Instant;
use url::Url;

use super::{paths, wire};
use crate::upstream::cache::{ReadKind, ResponseCache};
use crate::upstream::http::{body_excerpt, decode_json, exchange};
use crate::upstream::{CacheTtls, Upstream, UpstreamError, UpstreamLimits, display_url};

/// A client for one cluster's PD endpoints.
#[derive(Debug)]
pub struct PdClient {
    http: reqwest::Client,
    endpoints: Vec<Url>,
    /// Index of the endpoint that answered last; reads start there.
    preferred: AtomicUsize,
    limits: UpstreamLimits,
    /// Answers by path; concurrent identical reads share one request.
    cache: ResponseCache,
    ttls: CacheTtls,
    /// Upstream requests in flight at most; beyond, reads wait (up to the PD deadline).
    permits: tokio::sync::Semaphore,
    /// Set when a read had to fail over: the leader may have moved, learn it again.
    failed_over: std::sync::atomic::AtomicBool,
    /// After a round in which every endpoint failed: when to try again, and the current delay.
    /// Until then reads fail at once (503, or a stale answer) instead of piling up on a dead PD.
    backoff: std::sync::Mutex<Backoff>,
}

#[derive(Debug, Default)]
struct Backoff {
    retry_at: Option<Instant>,
    delay: Duration,
}

/// Pages of regions are bulk reads: large, and asked for once by a walk.
fn read_kind(path: &str) -> ReadKind {
    if path.starts_with(paths::REGIONS_BY_KEY) {
        ReadKind::Bulk
    } else {
        ReadKind::Resource
    }
}

/// `host:port` of a URL, lowercased, with the scheme's default port when none is given.
fn host_port(url: &str) -> Option<String> {
    let url = Url::parse(url).ok()?;
    Some(format!(
        "{}:{}",
        url.host_str()?.to_ascii_lowercase(),
        url.port_or_known_default()?
    ))
}

/// The first and the longest pause after every endpoint failed.
const BACKOFF_MIN: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(10);

/// How one attempt on one endpoint ended, when it did not produce an answer.
enum AttemptFailure {
    /// Worth trying the next endpoint: the endpoint is down, hung, or has no leader.
    Retryable(UpstreamError),
    /// An answer (a 4xx, another 5xx, an oversized body): final.
    Final(UpstreamError),
}

/// A successful PD answer that may be the "not found" status of a lookup.
pub(crate) enum Lookup<T> {
    Found(T),
    NotFound,
}

/// An answer of an endpoint older PD versions lack: `NoRoute` when PD answered with its router's
/// own 404 (`404 page not found`, plain text), which says the PD has no such endpoint.
pub(crate) enum Served<T> {
    Answer(T),
    NoRoute,
}

/// Whether `e` is PD's router saying it has no such path (gorilla/mux's and Go's `NotFound`), not
/// a handler's 404 about a resource.
fn is_no_route(e: &UpstreamError) -> bool {
    matches!(e, UpstreamError::Status { status: 404, message, .. } if message == "404 page not found")
}

impl PdClient {
    /// Builds a client reading through `cache`; `endpoints` must be non-empty (the config
    /// guarantees it).
    pub(crate) fn new(
        http: reqwest::Client,
        endpoints: Vec<Url>,
        limits: UpstreamLimits,
        ttls: CacheTtls,
        cache: ResponseCache,
    ) -> Self {
        Self {
            http,
            endpoints,
            preferred: AtomicUsize::new(0),
            limits,
            cache,
            ttls,
            backoff: std::sync::Mutex::new(Backoff::default()),
            permits: tokio::sync::Semaphore::new(limits.pd_max_concurrency),
            failed_over: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// How long an answer of `path` is reused.
    fn ttl(&self, path: &str) -> Duration {
        let t = &self.ttls;
        let rules: [(&str, Duration); 19] = [
            ("/pd/api/v1/stores/progress", t.scheduling),
            ("/pd/api/v1/stores/limit", t.pd_config),
            ("/pd/api/v1/schedulers", t.scheduling),
            ("/pd/api/v1/scheduler-config/", t.scheduling),
            ("/pd/api/v1/operators", t.scheduling),
            ("/pd/api/v1/checker/", t.scheduling),
            ("/pd/api/v1/config/", t.pd_config),
            ("/pd/api/v1/gc/", t.safe_points),
            ("/pd/api/v1/min-resolved-ts", t.safe_points),
            ("/pd/api/v1/stores", t.stores),
            ("/pd/api/v1/store/", t.stores),
            ("/pd/api/v1/members", t.members),
            ("/pd/api/v1/health", t.members),
            ("/pd/api/v1/status", t.pd_status),
            ("/pd/api/v1/regions/check/", t.region_health),
            ("/pd/api/v1/regions/", t.regions),
            ("/pd/api/v1/region/", t.regions),
            ("/pd/api/v1/hotspot/", t.hotspots),
            ("/pd/api/v1/", Duration::ZERO),
        ];
        rules
            .iter()
            .find(|(prefix, _)| path.starts_with(prefix))
            .map_or(Duration::ZERO, |(_, ttl)| *ttl)
    }

    /// The configured endpoints, in order.
    pub fn endpoints(&self) -> &[Url] {
        &self.endpoints
    }

    pub(crate) async fn stores(
        &self,
        include_tombstones: bool,
    ) -> Result<wire::StoresResponse, UpstreamError> {
        // `/stores` leaves tombstones out; asking for every state by number brings them back
        // (the integer form works from v4 on; PD rejects state names with a 500).
        let path = paths::stores(include_tombstones);
        self.get_json(path).await
    }

    pub(crate) async fn store(&self, id: u64) -> Result<Lookup<wire::StoreInfo>, UpstreamError> {
        let path = paths::store(id);
        match self.get_json(&path).await {
            Ok(store) => Ok(Lookup::Found(store)),
            // PD's own "no such store" (v5+: `"store 42 not found"`, v7.4+ with the
            // ErrStoreNotFound code), not a router's 404 for a path it does not have (a wrong
            // proxy prefix), which says nothing about the store.
            Err(UpstreamError::Status {
                status: 404,
                message,
                ..
            }) if message.contains("ErrStoreNotFound")
                || message == format!("store {id} not found") =>
            {
                Ok(Lookup::NotFound)
            }
            Err(e) => Err(e),
        }
    }

    pub(crate) async fn members(&self) -> Result<wire::MembersResponse, UpstreamError> {
        let members: wire::MembersResponse = self.get_json(paths::MEMBERS).await?;
        self.prefer_leader(&members);
        Ok(members)
    }

    /// Reads go to the PD leader first when it is one of the configured endpoints: a follower
    /// would only proxy them to the leader (one more hop, and load on two members).
    fn prefer_leader(&self, members: &wire::MembersResponse) {
        let Some(leader) = &members.leader else {
            return;
        };
        let leader_addresses: Vec<String> = leader
            .client_urls
            .iter()
            .filter_map(|u| host_port(u))
            .collect();
        let leader_endpoint = self
            .endpoints
            .iter()
            .position(|e| host_port(e.as_str()).is_some_and(|hp| leader_addresses.contains(&hp)));
        if let Some(index) = leader_endpoint
            && self.preferred.swap(index, Ordering::Relaxed) != index
        {
            tracing::info!(leader = %leader.name, endpoint = %display_url(&self.endpoints[index]), "reading from the PD leader");
        }
    }

    /// After a failover the leader may have changed: learn it again (bypassing the cache).
    async fn relearn_leader(&self) {
        if let Ok(body) = self.fetch(paths::MEMBERS).await
            && let Ok(members) =
                decode_json::<wire::MembersResponse>(Upstream::Pd, paths::MEMBERS, &body)
        {
            self.prefer_leader(&members);
        }
    }

    pub(crate) async fn health(&self) -> Result<Vec<wire::MemberHealth>, UpstreamError> {
        self.get_json(paths::HEALTH).await
    }

    pub(crate) async fn status(&self) -> Result<wire::PdStatus, UpstreamError> {
        self.get_json(paths::STATUS).await
    }

    pub(crate) async fn region_count(&self) -> Result<wire::RegionCount, UpstreamError> {
        self.get_json(paths::REGION_COUNT).await
    }

    /// Regions in key order from the one containing `start_key` (raw bytes; empty for the start
    /// of the key space), at most `limit`. The key goes as percent-encoded raw bytes, which
    /// every PD version reads (`format=hex` exists only from v8.5). `T` decides how the page is
    /// decoded (the caller normalizes while parsing).
    pub(crate) async fn regions_from<T: DeserializeOwned>(
        &self,
        start_key: &[u8],
        limit: u32,
    ) -> Result<T, UpstreamError> {
        let key: String = url::form_urlencoded::byte_serialize(start_key).collect();
        self.get_json(&paths::regions_by_key(&key, limit)).await
    }

    /// One region by id. v9+ answers a missing region with 404 (`ErrRegionNotFound`); older
    /// versions answer 200 with `null` (v4–v7) or an all-zero region (v8), which `T` handles.
    pub(crate) async fn region_by_id<T: DeserializeOwned>(
        &self,
        id: u64,
    ) -> Result<Lookup<T>, UpstreamError> {
        match self.get_json(&paths::region_by_id(id)).await {
            Ok(region) => Ok(Lookup::Found(region)),
            Err(UpstreamError::Status {
                status: 404,
                message,
                ..
            }) if message.contains("ErrRegionNotFound") => Ok(Lookup::NotFound),
            Err(e) => Err(e),
        }
    }

    /// How many regions PD's checker lists for `kind` (`miss-peer`, `down-peer`, ...).
    pub(crate) async fn region_check(
        &self,
        kind: &str,
    ) -> Result<wire::RegionCheck, UpstreamError> {
        self.get_json(&paths::region_check(kind)).await
    }

    /// Hot regions of `kind` (`read` or `write`).
    pub(crate) async fn hot_regions(&self, kind: &str) -> Result<wire::HotRegions, UpstreamError> {
        self.get_json(&paths::hot_regions(kind)).await
    }

    /// The schedulers PD runs (v7+: the disabled ones left out).
    pub(crate) async fn schedulers(&self) -> Result<wire::SchedulerNames, UpstreamError> {
        self.get_json(paths::SCHEDULERS).await
    }

    /// The paused schedulers with their pause times.
    pub(crate) async fn paused_schedulers(&self) -> Result<wire::PausedSchedulers, UpstreamError> {
        self.get_json(paths::SCHEDULERS_PAUSED).await
    }

    pub(crate) async fn disabled_schedulers(&self) -> Result<wire::SchedulerNames, UpstreamError> {
        self.get_json(paths::SCHEDULERS_DISABLED).await
    }

    /// A scheduler's configuration; `NoRoute` when PD has no configuration endpoint for it (PD
    /// v6.5's evict-slow-store, or a scheduler that just went away).
    pub(crate) async fn scheduler_config(
        &self,
        name: &str,
    ) -> Result<Served<wire::SchedulerConfigList>, UpstreamError> {
        self.get_served(&paths::scheduler_config(name)).await
    }

    pub(crate) async fn operators(&self) -> Result<wire::OperatorTexts, UpstreamError> {
        self.get_json(paths::OPERATORS).await
    }

    /// The removal or preparation progress of a store: `NoRoute` before PD v6.1, `NotFound` when
    /// PD tracks no progress for the store (`ErrProgressNotFound`).
    pub(crate) async fn store_progress(
        &self,
        id: u64,
    ) -> Result<Served<Lookup<wire::StoreProgress>>, UpstreamError> {
        match self.get_served(&paths::store_progress(id)).await {
            Err(UpstreamError::Status {
                status: 404,
                message,
                ..
            }) if message.contains("ErrProgressNotFound")
                || message.starts_with("no progress found") =>
            {
                Ok(Served::Answer(Lookup::NotFound))
            }
            other => other.map(|served| match served {
                Served::Answer(p) => Served::Answer(Lookup::Found(p)),
                Served::NoRoute => Served::NoRoute,
            }),
        }
    }

    pub(crate) async fn replication_config(
        &self,
    ) -> Result<wire::ReplicationConfig, UpstreamError> {
        self.get_json(paths::REPLICATION_CONFIG).await
    }

    /// The placement rule groups; `None` when placement rules are off (PD's 412
    /// `ErrPlacementDisabled`).
    pub(crate) async fn placement_rules(&self) -> Result<Option<wire::RuleBundles>, UpstreamError> {
        match self.get_json(paths::PLACEMENT_RULES).await {
            Ok(rules) => Ok(Some(rules)),
            Err(UpstreamError::Status {
                status: 412,
                message,
                ..
            }) if message.contains("ErrPlacementDisabled")
                || message.contains("placement rules feature is disabled") =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    pub(crate) async fn schedule_config(&self) -> Result<wire::ScheduleConfig, UpstreamError> {
        self.get_json(paths::SCHEDULE_CONFIG).await
    }

    pub(crate) async fn store_limits(&self) -> Result<wire::StoreLimits, UpstreamError> {
        self.get_json(paths::STORE_LIMITS).await
    }

    /// Whether a checker (`replica`, `merge`, ...) is paused; `NoRoute` on PD without the endpoint.
    pub(crate) async fn checker(
        &self,
        name: &str,
    ) -> Result<Served<wire::CheckerStatus>, UpstreamError> {
        self.get_served(&paths::checker(name)).await
    }

    /// GC and service safe points; `NoRoute` before PD v5.0.
    pub(crate) async fn gc_safe_points(&self) -> Result<Served<wire::GcSafePoints>, UpstreamError> {
        self.get_served(paths::GC_SAFE_POINT).await
    }

    /// The min resolved ts; `NoRoute` before PD v6.0.
    pub(crate) async fn min_resolved_ts(
        &self,
    ) -> Result<Served<wire::MinResolvedTs>, UpstreamError> {
        self.get_served(paths::MIN_RESOLVED_TS).await
    }

    /// [`Self::get_json`] of an endpoint older PD versions lack.
    async fn get_served<T: DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<Served<T>, UpstreamError> {
        match self.get_json(path).await {
            Ok(value) => Ok(Served::Answer(value)),
            Err(e) if is_no_route(&e) => Ok(Served::NoRoute),
            Err(e) => Err(e),
        }
    }

    /// GETs `path` (absolute, with its query, built by tikv-lens only) and decodes the JSON body.
    async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, UpstreamError> {
        let body = self.get(path).await?;
        decode_json(Upstream::Pd, path, &body)
    }

    /// The body of `path`, from the cache or from PD (one request for concurrent callers).
    async fn get(&self, path: &str) -> Result<bytes::Bytes, UpstreamError> {
        if self.failed_over.swap(false, Ordering::Relaxed) {
            self.relearn_leader().await;
        }
        let cached = self
            .cache
            .get_or_fetch(path, read_kind(path), self.ttl(path), self.fetch(path))
            .await?;
        Ok(cached.body.clone())
    }

    /// Reads `path` from PD, trying the endpoints in turn; fails at once while backing off
    /// after a round in which every endpoint failed.
    async fn fetch(&self, path: &str) -> Result<bytes::Bytes, UpstreamError> {
        let retry_at = self.backoff.lock().map(|b| b.retry_at).unwrap_or(None);
        if let Some(at) = retry_at.filter(|at| Instant::now() < *at) {
            return Err(UpstreamError::Unreachable {
                upstream: Upstream::Pd,
                path: path.to_owned(),
                detail: format!(
                    "every PD endpoint failed just now; the next attempt is in {} ms",
                    at.saturating_duration_since(Instant::now()).as_millis()
                ),
            });
        }
        let permit = tokio::time::timeout(self.limits.pd_timeout, self.permits.acquire()).await;
        let Ok(Ok(_permit)) = permit else {
            return Err(UpstreamError::Saturated {
                upstream: Upstream::Pd,
                path: path.to_owned(),
                limit: self.limits.pd_max_concurrency,
            });
        };
        let result = self.fetch_round(path).await;
        if let Ok(mut b) = self.backoff.lock() {
            match &result {
                // Only a PD that refuses connections or has no leader everywhere: a slow answer
                // to one expensive request says nothing about the others.
                Err(
                    UpstreamError::Unreachable { .. } | UpstreamError::Status { status: 503, .. },
                ) => {
                    b.delay = (b.delay * 2).clamp(BACKOFF_MIN, BACKOFF_MAX);
                    b.retry_at = Some(Instant::now() + b.delay);
                }
                _ => *b = Backoff::default(),
            }
        }
        result
    }

    async fn fetch_round(&self, path: &str) -> Result<bytes::Bytes, UpstreamError> {
        let deadline = Instant::now() + self.limits.pd_timeout;
        let start = self.preferred.load(Ordering::Relaxed);
        let n = self.endpoints.len();
        let mut last_failure = None;
        for offset in 0..n {
            let index = (start + offset) % n;
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                break;
            }
            let attempt_timeout = remaining.min(self.limits.pd_attempt_timeout);
            match self
                .attempt(&self.endpoints[index], path, attempt_timeout)
                .await
            {
                Ok(body) => {
                    self.preferred.store(index, Ordering::Relaxed);
                    if offset > 0 {
                        self.failed_over.store(true, Ordering::Relaxed);
                    }
                    return Ok(body);
                }
                Err(AttemptFailure::Final(e)) => {
                    // An answer, even an error, means this endpoint is alive: keep using it.
                    self.preferred.store(index, Ordering::Relaxed);
                    return Err(e);
                }
                Err(AttemptFailure::Retryable(e)) => {
                    tracing::debug!(endpoint = %self.endpoints[index], path, error = %e, "PD endpoint failed; trying the next");
                    last_failure = Some(e);
                }
            }
        }
        Err(last_failure.unwrap_or_else(|| UpstreamError::Timeout {
            upstream: Upstream::Pd,
            path: path.to_owned(),
            after: self.limits.pd_timeout,
        }))
    }

    async fn attempt(
        &self,
        base: &Url,
        path: &str,
        timeout: Duration,
    ) -> Result<bytes::Bytes, AttemptFailure> {
        let url = format!("{}{}", base.as_str().trim_end_matches('/'), path);
        let request = self
            .http
            .get(&url)
            .header(reqwest::header::ACCEPT, "application/json");
        let (status, body) = exchange(
            request,
            Upstream::Pd,
            path,
            timeout,
            self.limits.max_body_bytes,
        )
        .await
        .map_err(|e| match e {
            // An oversized body is PD's answer; another endpoint would send the same.
            UpstreamError::TooLarge { .. } => AttemptFailure::Final(e),
            UpstreamError::Unreachable {
                upstream,
                path,
                detail,
            } => AttemptFailure::Retryable(UpstreamError::Unreachable {
                upstream,
                path,
                detail: format!("{}: {detail}", display_url(base)),
            }),
            other => AttemptFailure::Retryable(other),
        })?;
        if status.is_success() {
            return Ok(body);
        }
        let error = UpstreamError::Status {
            upstream: Upstream::Pd,
            path: path.to_owned(),
            status: status.as_u16(),
            message: body_excerpt(&body),
        };
        if status == reqwest::StatusCode::SERVICE_UNAVAILABLE {
            Err(AttemptFailure::Retryable(error))
        } else {
            Err(AttemptFailure::Final(error))
        }
    }
}
