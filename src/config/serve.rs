//! What `tikv-lens serve` runs on: [`ServeConfig`] and its parts, and the validation of the
//! flags (`args.rs`) and the config file (`file.rs`) into them. The conversions are methods of
//! the raw types ([`ServeArgs::into_config`], [`ServeTlsArgs::load`]) but live here, beside what
//! they produce.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use super::ConfigError;
use super::args::{EventsArgs, LogFormat, ServeArgs, ServeTlsArgs};
use super::file::{FileCluster, load_file};
use crate::budget::MemoryBudget;
use crate::security::{ClusterSecurity, RawSecurity};
use crate::tls::CertKey;
use crate::upstream::prometheus::SeriesSelection;
use crate::upstream::{CacheTtls, UpstreamLimits};

/// The validated configuration `tikv-lens serve` runs with.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    /// The certificate and key tikv-lens serves HTTPS with; `None`: plain HTTP.
    pub tls: Option<Arc<CertKey>>,
    pub clusters: Vec<ClusterConfig>,
    pub upstream: UpstreamLimits,
    /// What the caches may keep, in all.
    pub memory_budget: MemoryBudget,
    pub access: AccessConfig,
    /// The live events: poll cadence, listeners, heartbeat, what is kept.
    pub events: EventsConfig,
    pub log_format: LogFormat,
}

/// The live events (`GET /api/v1/clusters/{cluster}/events`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventsConfig {
    /// How often a cluster with listeners is polled, unless its own configuration says.
    pub poll_interval: Duration,
    /// The health checks are evaluated every this many polls (at least 1).
    pub checks_every: u32,
    /// A comment line on every stream this often.
    pub heartbeat: Duration,
    /// Streams open at most, every cluster's together.
    pub max_subscribers: usize,
    /// Events kept per cluster for resuming (at least 1).
    pub retained: usize,
    /// A cluster's poller stops once nobody has listened for this long.
    pub idle_grace: Duration,
}

impl Default for EventsConfig {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(2),
            checks_every: 5,
            heartbeat: Duration::from_secs(15),
            max_subscribers: 1000,
            retained: 1024,
            idle_grace: Duration::from_secs(10),
        }
    }
}

/// The shortest poll interval accepted: a faster poll would only read PD's cached answers
/// again (the shortest default TTL is 2 s) while costing a poll's work.
const MIN_POLL_INTERVAL: Duration = Duration::from_millis(100);

fn check_poll_interval(what: &str, interval: Duration) -> Result<(), ConfigError> {
    if interval < MIN_POLL_INTERVAL {
        return Err(ConfigError::Limits(format!(
            "{what} {} is below the shortest poll interval, {}",
            humantime::format_duration(interval),
            humantime::format_duration(MIN_POLL_INTERVAL)
        )));
    }
    Ok(())
}

impl EventsArgs {
    /// Validates the events' flags.
    pub fn into_config(&self) -> Result<EventsConfig, ConfigError> {
        check_poll_interval("--events-poll-interval", self.events_poll_interval)?;
        if self.events_heartbeat.is_zero() {
            return Err(ConfigError::Limits(
                "--events-heartbeat must be above zero".into(),
            ));
        }
        Ok(EventsConfig {
            poll_interval: self.events_poll_interval,
            checks_every: self.events_checks_every.max(1),
            heartbeat: self.events_heartbeat,
            max_subscribers: self.events_max_subscribers,
            retained: usize::try_from(self.events_retained.max(1)).unwrap_or(1),
            idle_grace: self.events_idle_grace,
        })
    }
}

/// Who may call the API, and how much.
#[derive(Debug, Clone)]
pub struct AccessConfig {
    /// Accepted bearer tokens; empty: no authentication.
    pub tokens: Vec<String>,
    /// Origins allowed by CORS; empty: no CORS headers.
    pub cors_origins: Vec<String>,
    /// Requests per second per client address; 0: unlimited.
    pub rate_limit: u32,
    /// Deadline of a whole client request.
    pub request_timeout: Duration,
}

impl Default for AccessConfig {
    fn default() -> Self {
        Self {
            tokens: Vec::new(),
            cors_origins: Vec::new(),
            rate_limit: 0,
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// One cluster: its public name and where its upstreams are.
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// The `{cluster}` path segment; unique, `[A-Za-z0-9][A-Za-z0-9._-]*`.
    pub name: String,
    /// PD base URLs, tried in order (starting from the last one that answered).
    pub pd_endpoints: Vec<Url>,
    /// Prometheus base URL, when the cluster has one.
    pub prometheus: Option<Url>,
    /// How long upstream answers are reused.
    pub cache: CacheTtls,
    /// The thresholds of the health checks; the default unless the file sets them.
    pub checks: crate::normalize::CheckThresholds,
    /// CAs, PD's client certificate and Prometheus' credentials; the default is none.
    pub security: ClusterSecurity,
    /// Which series of the Prometheus are this cluster's (extra matchers, the join label) and
    /// its scrape interval; the default is a Prometheus of this cluster alone, `instance`, 15s.
    pub prometheus_selection: SeriesSelection,
    /// How often this cluster is polled for live events; `None`: the process-wide
    /// `--events-poll-interval`.
    pub events_poll_interval: Option<Duration>,
}

impl ServeTlsArgs {
    /// Reads and checks the certificate and key; `None` for plain HTTP.
    pub fn load(&self) -> Result<Option<Arc<CertKey>>, ConfigError> {
        match (&self.tls_cert, &self.tls_key) {
            (None, None) => Ok(None),
            (Some(cert), Some(key)) => Ok(Some(Arc::new(CertKey::load(cert, key)?))),
            (Some(_), None) => Err(ConfigError::Security(
                "--tls-cert is set without --tls-key".into(),
            )),
            (None, Some(_)) => Err(ConfigError::Security(
                "--tls-key is set without --tls-cert".into(),
            )),
        }
    }
}

impl ServeArgs {
    /// Validates the flags (and the config file they name) into a [`ServeConfig`].
    pub fn into_config(self) -> Result<ServeConfig, ConfigError> {
        let clusters = match &self.config {
            Some(path) => load_file(path)?,
            None if self.pd.iter().all(|u| u.trim().is_empty()) => {
                return Err(ConfigError::NoCluster);
            }
            None => {
                let mut cluster = FileCluster::from_flags(
                    self.cluster.clone(),
                    self.pd.clone(),
                    self.prometheus.clone(),
                    self.raw_security(),
                );
                for pair in self
                    .prometheus_label
                    .iter()
                    .filter(|p| !p.trim().is_empty())
                {
                    let Some((name, value)) = pair.split_once('=') else {
                        return Err(ConfigError::PrometheusSelection {
                            cluster: self.cluster.clone(),
                            message: format!("--prometheus-label {pair:?}: expected NAME=VALUE"),
                        });
                    };
                    cluster
                        .prometheus_labels
                        .insert(name.trim().to_owned(), value.to_owned());
                }
                cluster.prometheus_join_label = self.prometheus_join_label.clone();
                cluster.prometheus_scrape_interval = self.prometheus_scrape_interval.clone();
                vec![cluster]
            }
        };
        let config_dir = self
            .config
            .as_deref()
            .map(|p| p.parent().unwrap_or(Path::new("")).to_owned());
        let upstream = UpstreamLimits {
            pd_timeout: self.pd_timeout,
            pd_attempt_timeout: self.pd_attempt_timeout,
            prometheus_timeout: self.prometheus_timeout,
            max_body_bytes: self.upstream_max_body_bytes,
            stale_window: self.stale_window,
            pd_max_concurrency: usize::from(self.pd_max_concurrency),
            prometheus_max_concurrency: usize::from(self.prometheus_max_concurrency),
        };
        validate_limits(&upstream)?;
        let access = self.access()?;
        let events = self.events.into_config()?;
        let clusters = validate_clusters(clusters, config_dir.as_deref())?;
        Ok(ServeConfig {
            listen: self.listen,
            tls: self.tls.load()?,
            clusters,
            upstream,
            memory_budget: self.memory_budget,
            access,
            events,
            log_format: self.log_format,
        })
    }

    /// The single cluster's security flags.
    fn raw_security(&self) -> RawSecurity {
        RawSecurity {
            pd_ca: self.pd_ca.clone(),
            pd_cert: self.pd_cert.clone(),
            pd_key: self.pd_key.clone(),
            prometheus_ca: self.prometheus_ca.clone(),
            prometheus_bearer_token_file: self.prometheus_bearer_token_file.clone(),
            prometheus_bearer_token: self.prometheus_bearer_token.clone(),
            prometheus_username: self.prometheus_username.clone(),
            prometheus_password_file: self.prometheus_password_file.clone(),
            prometheus_password: self.prometheus_password.clone(),
        }
    }

    fn access(&self) -> Result<AccessConfig, ConfigError> {
        let mut tokens: Vec<String> = self
            .auth_tokens
            .iter()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect();
        if let Some(path) = &self.auth_tokens_file {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.clone(),
                source,
            })?;
            tokens.extend(
                text.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(str::to_owned),
            );
            if tokens.is_empty() {
                return Err(ConfigError::Access(format!(
                    "{} holds no token",
                    path.display()
                )));
            }
        }
        for origin in &self.cors_origins {
            let ok = Url::parse(origin)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.path() == "/")
                && !origin.ends_with('/');
            if !ok {
                return Err(ConfigError::Access(format!(
                    "--cors-origin {origin:?} is not an origin like https://grafana.example.com"
                )));
            }
        }
        if self.request_timeout.is_zero() {
            return Err(ConfigError::Limits(
                "--request-timeout must be above zero".into(),
            ));
        }
        Ok(AccessConfig {
            tokens,
            cors_origins: self.cors_origins.clone(),
            rate_limit: self.rate_limit,
            request_timeout: self.request_timeout,
        })
    }
}

fn validate_limits(limits: &UpstreamLimits) -> Result<(), ConfigError> {
    if limits.pd_timeout.is_zero()
        || limits.pd_attempt_timeout.is_zero()
        || limits.prometheus_timeout.is_zero()
    {
        return Err(ConfigError::Limits("timeouts must be above zero".into()));
    }
    if limits.max_body_bytes == 0 {
        return Err(ConfigError::Limits(
            "the upstream body cap must be above zero".into(),
        ));
    }
    Ok(())
}

fn validate_clusters(
    clusters: Vec<FileCluster>,
    config_dir: Option<&Path>,
) -> Result<Vec<ClusterConfig>, ConfigError> {
    if clusters.is_empty() {
        return Err(ConfigError::NoCluster);
    }
    let mut seen = HashSet::new();
    clusters
        .into_iter()
        .map(|mut c| {
            if !is_valid_cluster_name(&c.name) {
                return Err(ConfigError::ClusterName(c.name));
            }
            if !seen.insert(c.name.clone()) {
                return Err(ConfigError::DuplicateCluster(c.name));
            }
            let pd_endpoints =
                c.pd.iter()
                    .map(|u| u.trim())
                    .filter(|u| !u.is_empty())
                    .map(|u| parse_base_url(&c.name, "PD", u))
                    .collect::<Result<Vec<_>, _>>()?;
            if pd_endpoints.is_empty() {
                return Err(ConfigError::NoPdEndpoint(c.name));
            }
            let prometheus = match c.prometheus.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(u) => Some(parse_base_url(&c.name, "Prometheus", u)?),
            };
            let cache = parse_cache_ttls(&c.name, &c.cache)?;
            let checks = c.checks.validate(&c.name)?;
            let (raw, naming) = c.raw_security(config_dir);
            let security = raw.validate(&naming)?;
            security.check_urls(&naming, &pd_endpoints, prometheus.as_ref())?;
            let prometheus_selection = c.prometheus_selection()?;
            let events_poll_interval = c
                .events_poll_interval
                .as_deref()
                .map(|text| {
                    let interval = humantime::parse_duration(text.trim()).map_err(|e| {
                        ConfigError::Limits(format!(
                            "cluster {:?}: events_poll_interval = {text:?}: {e}",
                            c.name
                        ))
                    })?;
                    check_poll_interval(
                        &format!("cluster {:?}: events_poll_interval", c.name),
                        interval,
                    )?;
                    Ok::<_, ConfigError>(interval)
                })
                .transpose()?;
            Ok(ClusterConfig {
                name: c.name,
                pd_endpoints,
                prometheus,
                cache,
                checks,
                security,
                prometheus_selection,
                events_poll_interval,
            })
        })
        .collect()
}

fn parse_cache_ttls(
    cluster: &str,
    raw: &std::collections::BTreeMap<String, String>,
) -> Result<CacheTtls, ConfigError> {
    let mut ttls = CacheTtls::default();
    for (key, value) in raw {
        let slot = match key.as_str() {
            "stores" => &mut ttls.stores,
            "members" => &mut ttls.members,
            "pd_status" => &mut ttls.pd_status,
            "regions" => &mut ttls.regions,
            "region_health" => &mut ttls.region_health,
            "hotspots" => &mut ttls.hotspots,
            "scheduling" => &mut ttls.scheduling,
            "pd_config" => &mut ttls.pd_config,
            "safe_points" => &mut ttls.safe_points,
            "prometheus_recent" => &mut ttls.prometheus_recent,
            "prometheus_past" => &mut ttls.prometheus_past,
            other => {
                return Err(ConfigError::Cache(format!(
                    "cluster {cluster:?}: unknown cache key {other:?} (stores, members, pd_status, regions, \
                     region_health, hotspots, scheduling, pd_config, safe_points, prometheus_recent, \
                     prometheus_past)"
                )));
            }
        };
        *slot = humantime::parse_duration(value).map_err(|e| {
            ConfigError::Cache(format!("cluster {cluster:?}: cache.{key} = {value:?}: {e}"))
        })?;
    }
    Ok(ttls)
}

fn is_valid_cluster_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && name.len() <= 64
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Parses an upstream base URL. A path prefix is kept (a PD behind a proxy), with its trailing
/// slash removed so that API paths can be appended.
fn parse_base_url(cluster: &str, what: &'static str, raw: &str) -> Result<Url, ConfigError> {
    let err = |reason: String| ConfigError::Url {
        cluster: cluster.to_owned(),
        what,
        url: raw.to_owned(),
        reason,
    };
    let mut url = Url::parse(raw).map_err(|e| err(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(err("the scheme must be http or https".into()));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(err("the URL has no host".into()));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(err("a base URL cannot have a query or a fragment".into()));
    }
    let trimmed = url.path().trim_end_matches('/').to_owned();
    url.set_path(&trimmed);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::config::{Cli, Command};

    fn serve(args: &[&str]) -> Result<ServeConfig, ConfigError> {
        let mut argv = vec!["tikv-lens", "serve"];
        argv.extend_from_slice(args);
        match Cli::try_parse_from(argv).expect("flags parse").command {
            Command::Serve(args) => args.into_config(),
            _ => unreachable!("serve was given"),
        }
    }

    #[test]
    fn single_cluster_from_flags() {
        let cfg = serve(&[
            "--pd",
            "http://pd-0:2379/,http://pd-1:2379",
            "--cluster",
            "east",
        ])
        .unwrap();
        assert_eq!(cfg.clusters.len(), 1);
        assert_eq!(cfg.clusters[0].name, "east");
        assert_eq!(
            cfg.clusters[0].pd_endpoints[0].as_str(),
            "http://pd-0:2379/"
        );
        assert_eq!(
            cfg.clusters[0].pd_endpoints[1].as_str(),
            "http://pd-1:2379/"
        );
        assert!(cfg.clusters[0].prometheus.is_none());
    }

    #[test]
    fn shared_prometheus_from_flags() {
        let cfg = serve(&[
            "--pd",
            "http://pd-0:2379",
            "--prometheus-label",
            "tidb_cluster=prod",
            "--prometheus-label",
            "k8s_cluster=eu1,x=a=b",
            "--prometheus-join-label",
            "pod_address",
            "--prometheus-scrape-interval",
            "1m",
        ])
        .unwrap();
        let selection = &cfg.clusters[0].prometheus_selection;
        let labels: Vec<(&str, &str)> = selection
            .labels
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            labels,
            [
                ("k8s_cluster", "eu1"),
                ("tidb_cluster", "prod"),
                ("x", "a=b")
            ]
        );
        assert_eq!(selection.join_label.as_str(), "pod_address");
        assert_eq!(selection.rate_window(), Duration::from_secs(240));
        let err = serve(&["--pd", "http://pd-0:2379", "--prometheus-label", "prod"]).unwrap_err();
        assert!(err.to_string().contains("expected NAME=VALUE"), "{err}");
    }

    #[test]
    fn path_prefix_is_kept_without_trailing_slash() {
        let cfg = serve(&[
            "--pd",
            "https://proxy/pd-east/",
            "--prometheus",
            "http://vm/select/0/prometheus/",
        ])
        .unwrap();
        assert_eq!(cfg.clusters[0].pd_endpoints[0].path(), "/pd-east");
        assert_eq!(
            cfg.clusters[0].prometheus.as_ref().unwrap().path(),
            "/select/0/prometheus"
        );
    }

    #[test]
    fn rejects_bad_urls_and_names() {
        assert!(matches!(
            serve(&["--pd", "ftp://pd:2379"]),
            Err(ConfigError::Url { .. })
        ));
        assert!(matches!(
            serve(&["--pd", "not a url"]),
            Err(ConfigError::Url { .. })
        ));
        assert!(matches!(
            serve(&["--pd", "http://pd:2379?x=1"]),
            Err(ConfigError::Url { .. })
        ));
        assert!(matches!(
            serve(&["--pd", "http://pd:2379", "--cluster", "a/b"]),
            Err(ConfigError::ClusterName(_))
        ));
        assert!(matches!(serve(&[]), Err(ConfigError::NoCluster)));
        assert!(matches!(
            serve(&["--pd", " , "]),
            Err(ConfigError::NoCluster)
        ));
    }

    #[test]
    fn check_thresholds_from_the_file() {
        let dir = std::env::temp_dir().join(format!("tikv-lens-checks-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let write = |name: &str, checks: &str| {
            let path = dir.join(name);
            std::fs::write(
                &path,
                format!("[[clusters]]\nname='a'\npd=['http://x']\n{checks}\n[[clusters]]\nname='b'\npd=['http://y']\n"),
            )
            .unwrap();
            serve(&["--config", path.to_str().unwrap()])
        };
        let cfg = write(
            "ok.toml",
            "checks = { gc_age_warning = '2h', gc_age_critical = '6h', unhealthy_regions_critical = 50, low_space_margin = 0.05, runway_warning_days = 60, runway_lookback = '1d', raftstore_cpu_critical = 3.2, leader_drops_warning = 20, scheduler_busy_warning = 0.5, scheduler_busy_critical = 20 }",
        )
        .unwrap();
        assert!((cfg.clusters[0].checks.runway_warning_days - 60.0).abs() < 1e-12);
        assert_eq!(
            cfg.clusters[0].checks.runway_lookback,
            Duration::from_secs(86_400)
        );
        assert!((cfg.clusters[0].checks.raftstore_cpu_critical - 3.2).abs() < 1e-12);
        assert!((cfg.clusters[0].checks.leader_drops_warning - 20.0).abs() < 1e-12);
        assert!((cfg.clusters[0].checks.apply_cpu_critical - 0.9).abs() < 1e-12);
        assert!((cfg.clusters[0].checks.scheduler_busy_warning - 0.5).abs() < 1e-12);
        assert!((cfg.clusters[0].checks.scheduler_busy_critical - 20.0).abs() < 1e-12);
        let (a, b) = (&cfg.clusters[0].checks, &cfg.clusters[1].checks);
        assert_eq!(a.gc_age_warning, Duration::from_secs(7200));
        assert_eq!(a.gc_age_critical, Duration::from_secs(6 * 3600));
        assert_eq!(a.unhealthy_regions_critical, 50);
        assert!((a.low_space_margin - 0.05).abs() < 1e-12);
        assert_eq!(
            a.resolved_ts_lag_warning,
            Duration::from_secs(60),
            "default kept"
        );
        assert_eq!(*b, crate::normalize::CheckThresholds::default());
        for (name, bad, key) in [
            (
                "d.toml",
                "checks = { gc_age_warning = 'soon' }",
                "gc_age_warning",
            ),
            (
                "o.toml",
                "checks = { resolved_ts_lag_warning = '1h' }",
                "resolved_ts_lag_warning",
            ),
            (
                "m.toml",
                "checks = { low_space_margin = 1.5 }",
                "low_space_margin",
            ),
            (
                "r.toml",
                "checks = { runway_critical_days = 40 }",
                "runway_critical_days",
            ),
            (
                "n.toml",
                "checks = { apply_cpu_critical = -1 }",
                "apply_cpu_critical",
            ),
            (
                "l.toml",
                "checks = { runway_lookback = '10s' }",
                "runway_lookback",
            ),
            (
                "s.toml",
                "checks = { scheduler_busy_warning = 5 }",
                "scheduler_busy_warning",
            ),
            (
                "c.toml",
                "checks = { scheduler_busy_critical = nan }",
                "scheduler_busy_critical",
            ),
        ] {
            match write(name, bad) {
                Err(ConfigError::Checks(message)) => assert!(message.contains(key), "{message}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
        assert!(write("u.toml", "checks = { nope = 1 }").is_err());
    }

    #[test]
    fn multi_cluster_file() {
        let dir = std::env::temp_dir().join(format!("tikv-lens-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ok.toml");
        std::fs::write(
            &path,
            r#"
[[clusters]]
name = "east"
pd = ["http://pd-e0:2379", "http://pd-e1:2379"]
prometheus = "http://prom-e:9090"

[[clusters]]
name = "west"
pd = ["http://pd-w0:2379"]
cache = { stores = "500ms", prometheus_past = "10m" }
"#,
        )
        .unwrap();
        let cfg = serve(&["--config", path.to_str().unwrap()]).unwrap();
        assert_eq!(
            cfg.clusters
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>(),
            ["east", "west"]
        );
        assert_eq!(cfg.clusters[0].pd_endpoints.len(), 2);
        assert!(cfg.clusters[1].prometheus.is_none());
        assert_eq!(cfg.clusters[1].cache.stores, Duration::from_millis(500));
        assert_eq!(
            cfg.clusters[1].cache.prometheus_past,
            Duration::from_secs(600)
        );
        assert_eq!(cfg.clusters[0].cache, CacheTtls::default());

        let bad_ttl = dir.join("ttl.toml");
        std::fs::write(
            &bad_ttl,
            "[[clusters]]\nname='a'\npd=['http://x']\ncache={stores='soon'}\n",
        )
        .unwrap();
        assert!(matches!(
            serve(&["--config", bad_ttl.to_str().unwrap()]),
            Err(ConfigError::Cache(_))
        ));

        let dup = dir.join("dup.toml");
        std::fs::write(
            &dup,
            "[[clusters]]\nname='a'\npd=['http://x']\n[[clusters]]\nname='a'\npd=['http://y']\n",
        )
        .unwrap();
        assert!(matches!(
            serve(&["--config", dup.to_str().unwrap()]),
            Err(ConfigError::DuplicateCluster(_))
        ));

        let typo = dir.join("typo.toml");
        std::fs::write(&typo, "[[clusters]]\nname='a'\npds=['http://x']\n").unwrap();
        let err = serve(&["--config", typo.to_str().unwrap()]).unwrap_err();
        assert!(matches!(err, ConfigError::Parse { .. }));
        assert!(!err.to_string().contains('\n'), "one line: {err}");

        let missing = serve(&["--config", dir.join("absent.toml").to_str().unwrap()]).unwrap_err();
        assert!(matches!(missing, ConfigError::Read { .. }));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn shared_prometheus_selection_from_the_file() {
        let dir =
            std::env::temp_dir().join(format!("tikv-lens-config-selection-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("shared.toml");
        std::fs::write(
            &path,
            r#"
[[clusters]]
name = "prod"
pd = ["http://pd-prod:2379"]
prometheus = "http://mimir:8080/prometheus"
prometheus_labels = { tidb_cluster = "prod", k8s_cluster = "eu1" }
prometheus_join_label = "pod_address"
prometheus_scrape_interval = "30s"

[[clusters]]
name = "alone"
pd = ["http://pd-alone:2379"]
"#,
        )
        .unwrap();
        let cfg = serve(&["--config", path.to_str().unwrap()]).unwrap();
        let prod = &cfg.clusters[0].prometheus_selection;
        let labels: Vec<(&str, &str)> = prod
            .labels
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert_eq!(labels, [("k8s_cluster", "eu1"), ("tidb_cluster", "prod")]);
        assert_eq!(prod.join_label.as_str(), "pod_address");
        assert_eq!(prod.scrape_interval, Duration::from_secs(30));
        assert_eq!(prod.rate_window(), Duration::from_secs(120));
        assert_eq!(
            cfg.clusters[1].prometheus_selection,
            SeriesSelection::default()
        );

        for (line, needle) in [
            (
                "prometheus_labels = { \"tidb-cluster\" = \"prod\" }",
                "\"tidb-cluster\" is not a Prometheus label name",
            ),
            (
                "prometheus_join_label = \"1nstance\"",
                "prometheus_join_label",
            ),
            ("prometheus_join_label = \"__address__\"", "reserved"),
            (
                "prometheus_labels = { instance = \"x\" }",
                "is the join label",
            ),
            (
                "prometheus_scrape_interval = \"soon\"",
                "prometheus_scrape_interval",
            ),
            ("prometheus_scrape_interval = \"0s\"", "above zero"),
        ] {
            let bad = dir.join("bad.toml");
            std::fs::write(
                &bad,
                format!("[[clusters]]\nname='a'\npd=['http://x']\n{line}\n"),
            )
            .unwrap();
            let err = serve(&["--config", bad.to_str().unwrap()]).unwrap_err();
            assert!(
                matches!(err, ConfigError::PrometheusSelection { .. }),
                "{line}: {err}"
            );
            let message = err.to_string();
            assert!(message.contains(needle), "{line}: {message}");
            assert!(message.starts_with("cluster \"a\": "), "{message}");
            assert!(!message.contains('\n'), "one line: {message}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn event_settings_from_flags_and_the_file() {
        let cfg = serve(&["--pd", "http://pd:2379"]).unwrap();
        assert_eq!(cfg.events, EventsConfig::default());
        assert_eq!(cfg.clusters[0].events_poll_interval, None);
        let cfg = serve(&[
            "--pd",
            "http://pd:2379",
            "--events-poll-interval",
            "500ms",
            "--events-checks-every",
            "1",
            "--events-heartbeat",
            "5s",
            "--events-max-subscribers",
            "3",
            "--events-retained",
            "10",
        ])
        .unwrap();
        assert_eq!(
            cfg.events,
            EventsConfig {
                poll_interval: Duration::from_millis(500),
                checks_every: 1,
                heartbeat: Duration::from_secs(5),
                max_subscribers: 3,
                retained: 10,
                idle_grace: Duration::from_secs(10),
            }
        );
        for bad in [
            ["--events-poll-interval", "10ms"],
            ["--events-heartbeat", "0s"],
        ] {
            let mut args = vec!["--pd", "http://pd:2379"];
            args.extend(bad);
            assert!(
                matches!(serve(&args), Err(ConfigError::Limits(_))),
                "{bad:?}"
            );
        }

        let dir =
            std::env::temp_dir().join(format!("tikv-lens-config-events-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("events.toml");
        std::fs::write(
            &path,
            "[[clusters]]\nname='a'\npd=['http://x']\nevents_poll_interval='5s'\n[[clusters]]\nname='b'\npd=['http://y']\n",
        )
        .unwrap();
        let cfg = serve(&["--config", path.to_str().unwrap()]).unwrap();
        assert_eq!(
            cfg.clusters[0].events_poll_interval,
            Some(Duration::from_secs(5))
        );
        assert_eq!(cfg.clusters[1].events_poll_interval, None);
        std::fs::write(
            &path,
            "[[clusters]]\nname='a'\npd=['http://x']\nevents_poll_interval='often'\n",
        )
        .unwrap();
        let err = serve(&["--config", path.to_str().unwrap()]).unwrap_err();
        assert!(err.to_string().contains("events_poll_interval"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn zero_timeouts_are_refused() {
        assert!(matches!(
            serve(&["--pd", "http://pd:2379", "--pd-timeout", "0s"]),
            Err(ConfigError::Limits(_))
        ));
    }
}
