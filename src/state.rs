//! [`AppState`]: the clusters this process fronts, each with its upstream clients.
//!
//! Built once from a validated [`ServeConfig`]; handlers only read it. Clients never take a URL
//! from a request: a request names a cluster, and the cluster owns its endpoints.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::budget::MemoryBudget;
use crate::config::{ClusterConfig, ServeConfig};
use crate::error::ApiError;
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
        let mut state = Self::with_budget(&config.clusters, config.upstream, config.memory_budget)?;
        let access = &config.access;
        state.tokens = BearerTokens::new(&access.tokens);
        state.rate_limit = ClientRateLimit::new(access.rate_limit);
        state.request_timeout = access.request_timeout;
        state.cors_origins = access.cors_origins.clone().into();
        Ok(state)
    }

    /// The state of `clusters` with the default memory budget and open access (no tokens, no
    /// rate limit).
    pub fn from_clusters(
        clusters: &[ClusterConfig],
        limits: UpstreamLimits,
    ) -> Result<Self, reqwest::Error> {
        Self::with_budget(clusters, limits, MemoryBudget::default())
    }

    fn with_budget(
        clusters: &[ClusterConfig],
        limits: UpstreamLimits,
        budget: MemoryBudget,
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
                        )
                    }),
                    ready: AtomicBool::new(false),
                    cache_ttls: c.cache,
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
        })
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
