//! [`AppState`]: the clusters this process fronts, each with its upstream clients.
//!
//! Built once from a validated [`ServeConfig`]; handlers only read it. Clients never take a URL
//! from a request: a request names a cluster, and the cluster owns its endpoints.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::budget::MemoryBudget;
use crate::config::{ClusterConfig, EventsConfig, ServeConfig};
use crate::error::ApiError;
use crate::event_log::{ClusterEvents, EventHub, HubSettings};
use crate::middleware::answer_cache::AnswerCache;
use crate::middleware::auth::BearerTokens;
use crate::middleware::rate_limit::ClientRateLimit;
use crate::model::RegionHealth;
use crate::upstream::pd::PdClient;
use crate::upstream::prometheus::PrometheusClient;
use crate::upstream::{CacheTtls, Upstream, UpstreamCaches, UpstreamLimits};

/// Shared, cheaply clonable state of the service.
#[derive(Clone)]
pub struct AppState {
    clusters: Arc<[Arc<Cluster>]>,
    /// Upstream bodies kept between requests, every cluster's together, within the budget.
    pub upstream_caches: UpstreamCaches,
    /// Finished answers kept while their data is fresh, within the budget.
    pub(crate) answers: AnswerCache,
    /// Accepted bearer tokens; none: no authentication.
    pub(crate) tokens: BearerTokens,
    /// Requests per second per client address; unlimited by default.
    pub(crate) rate_limit: ClientRateLimit,
    /// Deadline of a whole client request.
    pub(crate) request_timeout: Duration,
    /// Origins allowed by CORS; empty: none.
    pub cors_origins: Arc<[String]>,
    /// The live event streams of every cluster: their cap, the shutdown signal, how they run.
    pub events: EventHub,
}

/// One fronted cluster.
pub struct Cluster {
    /// The configured name: the `{cluster}` path segment.
    pub name: String,
    pub pd: PdClient,
    /// The cluster's Prometheus, when configured.
    pub prometheus: Option<PrometheusClient>,
    /// Latched once a PD endpoint answered, for `/readyz`.
    ready: AtomicBool,
    /// Region health, read from PD at most once per TTL (PD answers each check with a list of
    /// regions, large in a big cluster); concurrent readers share one load.
    pub region_health: moka::future::Cache<(), Arc<RegionHealth>>,
    /// How long each kind of upstream answer is reused.
    pub cache_ttls: CacheTtls,
    /// Readings of stores being removed or added, for progress when PD has none.
    pub store_readings: StoreReadings,
    /// The thresholds of the health checks (`/checks`).
    pub check_thresholds: crate::config::CheckThresholds,
    /// The cluster's live events: numbered, the last ones kept, broadcast to its streams.
    pub events: Arc<ClusterEvents>,
    /// How often the cluster is polled while its events have a listener.
    pub events_poll_interval: Duration,
}

/// Events a stream may fall behind the newest before it gets a `resync` instead of the ones it
/// missed: a client that reads slower than a poll's worth of changes for this long is not
/// buffered for without bound.
const LAG_EVENTS: usize = 256;

/// One reading of a store: when (Unix milliseconds), its region count, its region size in bytes.
pub type StoreReading = (i64, u64, u64);

/// Recent readings of the stores whose progress was asked for (at most [`StoreReadings::STORES`]
/// stores, each over the last [`StoreReadings::WINDOW_MS`]), with the first reading of the
/// current action: what PD itself keeps to compute progress, for PD versions without it.
#[derive(Debug, Default)]
pub struct StoreReadings(std::sync::Mutex<std::collections::HashMap<u64, StoreHistory>>);

#[derive(Debug, Clone, Default)]
struct StoreHistory {
    /// What the store was doing when the readings began (an opaque tag of the caller's).
    action: u8,
    first: Option<StoreReading>,
    readings: std::collections::VecDeque<StoreReading>,
    last_asked_ms: i64,
}

impl StoreReadings {
    /// Stores tracked at most; the one asked about least recently makes room.
    pub const STORES: usize = 256;
    /// Readings older than this are dropped (PD's own speed window is 10 minutes).
    pub const WINDOW_MS: i64 = 600_000;
    /// Readings closer together than this replace the last one.
    const MIN_SPACING_MS: i64 = 1_000;

    /// Records `reading` of store `id` doing `action`, and returns the first reading of that
    /// action and the readings within the window, oldest first. A change of action starts over.
    pub fn record(
        &self,
        id: u64,
        action: u8,
        reading: StoreReading,
    ) -> (StoreReading, Vec<StoreReading>) {
        let Ok(mut map) = self.0.lock() else {
            return (reading, vec![reading]);
        };
        if !map.contains_key(&id) && map.len() >= Self::STORES {
            let oldest = map
                .iter()
                .min_by_key(|(_, h)| h.last_asked_ms)
                .map(|(id, _)| *id);
            if let Some(oldest) = oldest {
                map.remove(&oldest);
            }
        }
        let history = map.entry(id).or_default();
        if history.action != action || history.first.is_none() {
            *history = StoreHistory {
                action,
                first: Some(reading),
                ..StoreHistory::default()
            };
        }
        history.last_asked_ms = reading.0;
        match history.readings.back() {
            Some(last) if reading.0 < last.0 => {}
            Some(last)
                if reading.0 - last.0 < Self::MIN_SPACING_MS && history.readings.len() > 1 =>
            {
                if let Some(back) = history.readings.back_mut() {
                    *back = reading;
                }
            }
            _ => history.readings.push_back(reading),
        }
        while history
            .readings
            .front()
            .is_some_and(|r| reading.0 - r.0 > Self::WINDOW_MS)
        {
            history.readings.pop_front();
        }
        let first = history.first.unwrap_or(reading);
        (first, history.readings.iter().copied().collect())
    }
}

impl Cluster {
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }

    /// The cluster's Prometheus, or the 404 a route that needs one answers.
    pub fn prometheus(&self) -> Result<&PrometheusClient, ApiError> {
        self.prometheus
            .as_ref()
            .ok_or_else(|| ApiError::PrometheusNotConfigured(self.name.clone()))
    }

    pub fn mark_ready(&self) {
        self.ready.store(true, Ordering::Relaxed);
    }
}

impl AppState {
    /// Builds the clients for every configured cluster.
    pub fn new(config: &ServeConfig) -> Result<Self, reqwest::Error> {
        let mut state = Self::with_budget(
            &config.clusters,
            config.upstream,
            config.memory_budget,
            &config.events,
        )?;
        let access = &config.access;
        state.tokens = BearerTokens::new(&access.tokens);
        state.rate_limit = ClientRateLimit::new(access.rate_limit);
        state.request_timeout = access.request_timeout;
        state.cors_origins = access.cors_origins.clone().into();
        Ok(state)
    }

    /// The state of `clusters` with the default memory budget and event settings, and open
    /// access (no tokens, no rate limit).
    pub fn from_clusters(
        clusters: &[ClusterConfig],
        limits: UpstreamLimits,
    ) -> Result<Self, reqwest::Error> {
        Self::with_budget(
            clusters,
            limits,
            MemoryBudget::default(),
            &EventsConfig::default(),
        )
    }

    fn with_budget(
        clusters: &[ClusterConfig],
        limits: UpstreamLimits,
        budget: MemoryBudget,
        events: &EventsConfig,
    ) -> Result<Self, reqwest::Error> {
        let upstream_caches = UpstreamCaches::new(budget, limits.stale_window);
        crate::telemetry::memory_budget(budget);
        // Deadlines are applied per request. Upstreams without TLS or credential settings of
        // their own share one connection pool; the others get a client each (its CA, client
        // certificate and `Authorization` header).
        let builder = || {
            reqwest::Client::builder()
                .user_agent(concat!("tikv-lens/", env!("CARGO_PKG_VERSION")))
                .connect_timeout(limits.pd_attempt_timeout)
                .pool_idle_timeout(Duration::from_secs(60))
        };
        let http = builder().build()?;
        // Event numbers start above anything an earlier process gave out (see `event_log`).
        let first_seq = u64::try_from(jiff::Timestamp::now().as_millisecond())
            .unwrap_or(0)
            .saturating_mul(1000);
        let events_bytes =
            usize::try_from(budget.events().capacity_bytes / clusters.len().max(1) as u64)
                .unwrap_or(usize::MAX);
        let clusters = clusters
            .iter()
            .map(|c| {
                let pd_http = c
                    .security
                    .pd_client(builder)?
                    .unwrap_or_else(|| http.clone());
                let prometheus_http = match &c.prometheus {
                    Some(_) => c.security.prometheus_client(builder)?,
                    None => None,
                }
                .unwrap_or_else(|| http.clone());
                Ok(Arc::new(Cluster {
                    name: c.name.clone(),
                    pd: PdClient::new(
                        pd_http,
                        c.pd_endpoints.clone(),
                        limits,
                        c.cache,
                        upstream_caches.for_client(&c.name, Upstream::Pd),
                    ),
                    prometheus: c.prometheus.clone().map(|url| {
                        PrometheusClient::new(
                            prometheus_http,
                            url,
                            limits,
                            c.cache,
                            upstream_caches.for_client(&c.name, Upstream::Prometheus),
                            c.prometheus_selection.clone(),
                        )
                    }),
                    ready: AtomicBool::new(false),
                    cache_ttls: c.cache,
                    store_readings: StoreReadings::default(),
                    check_thresholds: c.checks,
                    events: Arc::new(ClusterEvents::new(
                        &c.name,
                        first_seq,
                        events.retained,
                        events_bytes,
                        LAG_EVENTS,
                    )),
                    events_poll_interval: c.events_poll_interval.unwrap_or(events.poll_interval),
                    region_health: moka::future::Cache::builder()
                        .max_capacity(1)
                        .time_to_live(c.cache.region_health)
                        .build(),
                }))
            })
            .collect::<Result<_, reqwest::Error>>()?;
        Ok(Self {
            clusters,
            upstream_caches,
            answers: AnswerCache::new(budget.answers()),
            tokens: BearerTokens::default(),
            rate_limit: ClientRateLimit::default(),
            request_timeout: crate::config::AccessConfig::default().request_timeout,
            cors_origins: Arc::from(Vec::new()),
            events: EventHub::new(HubSettings {
                max_subscribers: events.max_subscribers,
                heartbeat: events.heartbeat,
                checks_every: events.checks_every,
                idle_grace: events.idle_grace,
            }),
        })
    }

    /// Bytes of the live events kept, every cluster's together.
    pub(crate) fn events_kept_bytes(&self) -> u64 {
        self.clusters
            .iter()
            .map(|c| c.events.kept_bytes() as u64)
            .sum()
    }

    /// Every cluster, in configuration order.
    pub fn clusters(&self) -> &[Arc<Cluster>] {
        &self.clusters
    }

    /// The cluster named in a request path, or a 404.
    pub fn cluster(&self, name: &str) -> Result<&Arc<Cluster>, ApiError> {
        self.clusters
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| ApiError::UnknownCluster(crate::error::truncate(name, 64)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_keep_a_window_and_restart_with_the_action() {
        let readings = StoreReadings::default();
        let (first, all) = readings.record(7, 1, (0, 100, 1000));
        assert_eq!((first, all.len()), ((0, 100, 1000), 1));
        readings.record(7, 1, (10_000, 90, 900));
        // Closer than a second to the last: replaces it.
        let (_, all) = readings.record(7, 1, (10_500, 89, 890));
        assert_eq!(all, [(0, 100, 1000), (10_500, 89, 890)]);
        // Past the window, the oldest reading goes; the first reading of the action stays.
        let (first, all) = readings.record(7, 1, (605_000, 10, 100));
        assert_eq!(first, (0, 100, 1000));
        assert_eq!(all, [(10_500, 89, 890), (605_000, 10, 100)]);
        // Another action starts over.
        let (first, all) = readings.record(7, 2, (606_000, 11, 110));
        assert_eq!((first, all.len()), ((606_000, 11, 110), 1));
    }

    #[test]
    fn readings_track_a_bounded_number_of_stores() {
        let readings = StoreReadings::default();
        for id in 0..(StoreReadings::STORES as u64 + 10) {
            readings.record(id, 1, (id as i64, 1, 1));
        }
        assert_eq!(readings.0.lock().unwrap().len(), StoreReadings::STORES);
        assert!(!readings.0.lock().unwrap().contains_key(&0));
    }
}
