//! The command line and the configuration file, validated into [`ServeConfig`].
//!
//! Raw input (flags, environment, TOML) and validated configuration are different types: once a
//! [`ServeConfig`] exists, every cluster has a unique name and at least one parseable PD URL, so
//! nothing downstream checks them again. This module does no I/O beyond reading the config file
//! and the certificate, key and secret files named (checked once, here: see [`crate::security`]).

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Deserialize;
use url::Url;

use crate::budget::MemoryBudget;
use crate::security::{ClusterSecurity, Naming, RawSecurity, Secret, SecurityError};
use crate::tls::{CertKey, PemError};
use crate::upstream::{CacheTtls, UpstreamLimits};

/// Command-line interface of the `tikv-lens` binary.
#[derive(Debug, Parser)]
#[command(
    name = "tikv-lens",
    version,
    about = "A typed, documented JSON API in front of a TiKV cluster's PD and Prometheus"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
#[allow(
    clippy::large_enum_variant,
    reason = "parsed once at startup; `serve` simply has many flags"
)]
pub enum Command {
    /// Serve the API in front of one cluster (--pd) or several (--config).
    Serve(ServeArgs),
    /// Run tikv-lens in front of an embedded, simulated TiKV cluster (nothing else needed).
    #[cfg(feature = "demo")]
    Demo(DemoArgs),
    /// Run only the simulated PD (for benchmarks and experiments): point `serve --pd` at it.
    #[cfg(feature = "demo")]
    SimulatePd(SimulatePdArgs),
    /// Print the OpenAPI document (JSON) and exit.
    Openapi,
}

/// The simulated cluster's shape, shared by `demo` and `simulate-pd`.
#[cfg(feature = "demo")]
#[derive(Debug, Clone, Args)]
pub struct SimArgs {
    /// TiKV stores in the simulated cluster (at least 3).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(3..=1000))]
    pub stores: u16,
    /// Regions at start (they split over time), 1 to 10,000,000.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub regions: u64,
    /// Seed of everything random in the simulation: the same seed gives the same cluster.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// Flags of `tikv-lens demo`.
#[cfg(feature = "demo")]
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Address tikv-lens listens on.
    #[arg(long, env = "TIKV_LENS_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub sim: SimArgs,
    #[command(flatten)]
    pub tls: ServeTlsArgs,
    /// Log format on stderr.
    #[arg(long, env = "TIKV_LENS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// HTTPS for tikv-lens itself (`serve` and `demo`).
#[derive(Debug, Clone, Args)]
pub struct ServeTlsArgs {
    /// Serve HTTPS with this certificate chain (PEM, leaf first); needs --tls-key.
    #[arg(long, env = "TIKV_LENS_TLS_CERT", value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM: PKCS#8, PKCS#1 or SEC1) of --tls-cert.
    #[arg(long, env = "TIKV_LENS_TLS_KEY", value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
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

/// Flags of `tikv-lens simulate-pd`.
#[cfg(feature = "demo")]
#[derive(Debug, Clone, Args)]
pub struct SimulatePdArgs {
    /// Address the simulated PD listens on.
    #[arg(long, default_value = "127.0.0.1:2379")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub sim: SimArgs,
}

/// Flags of `tikv-lens serve`; each one can also come from the environment.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "TIKV_LENS_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// PD endpoints of the single cluster, comma-separated (e.g. http://pd-0:2379,http://pd-1:2379).
    #[arg(
        long,
        env = "TIKV_LENS_PD",
        value_delimiter = ',',
        conflicts_with = "config"
    )]
    pub pd: Vec<String>,

    /// Prometheus base URL of the single cluster (optional).
    #[arg(long, env = "TIKV_LENS_PROMETHEUS", conflicts_with = "config")]
    pub prometheus: Option<String>,

    /// Name of the single cluster, as it appears in /api/v1/clusters/{cluster}.
    #[arg(
        long,
        env = "TIKV_LENS_CLUSTER",
        default_value = "default",
        conflicts_with = "config"
    )]
    pub cluster: String,

    /// TOML file describing several clusters (see README); replaces --pd, --prometheus, --cluster
    /// and the --pd-* and --prometheus-* security flags.
    #[arg(long, env = "TIKV_LENS_CONFIG")]
    pub config: Option<PathBuf>,

    /// CA certificate(s) (PEM) PD's server certificate must chain to; when set, the only CA
    /// trusted for PD.
    #[arg(
        long,
        env = "TIKV_LENS_PD_CA",
        value_name = "FILE",
        conflicts_with = "config"
    )]
    pub pd_ca: Option<PathBuf>,

    /// Client certificate (PEM) presented to PD, for a cluster with TLS between components;
    /// needs --pd-key.
    #[arg(
        long,
        env = "TIKV_LENS_PD_CERT",
        value_name = "FILE",
        conflicts_with = "config"
    )]
    pub pd_cert: Option<PathBuf>,

    /// Private key (PEM) of --pd-cert.
    #[arg(
        long,
        env = "TIKV_LENS_PD_KEY",
        value_name = "FILE",
        conflicts_with = "config"
    )]
    pub pd_key: Option<PathBuf>,

    /// CA certificate(s) (PEM) Prometheus' server certificate must chain to; when set, the
    /// only CA trusted for Prometheus.
    #[arg(
        long,
        env = "TIKV_LENS_PROMETHEUS_CA",
        value_name = "FILE",
        conflicts_with = "config"
    )]
    pub prometheus_ca: Option<PathBuf>,

    /// File holding the bearer token sent to Prometheus (or set TIKV_LENS_PROMETHEUS_BEARER_TOKEN).
    #[arg(
        long,
        env = "TIKV_LENS_PROMETHEUS_BEARER_TOKEN_FILE",
        value_name = "FILE",
        conflicts_with = "config"
    )]
    pub prometheus_bearer_token_file: Option<PathBuf>,

    /// The bearer token itself; meant for the environment variable (a flag shows in `ps`).
    #[arg(
        long,
        env = "TIKV_LENS_PROMETHEUS_BEARER_TOKEN",
        value_parser = Secret::parse_arg,
        hide = true,
        hide_env_values = true,
        conflicts_with = "config"
    )]
    pub prometheus_bearer_token: Option<Secret>,

    /// User name of basic auth to Prometheus; needs --prometheus-password-file (or
    /// TIKV_LENS_PROMETHEUS_PASSWORD).
    #[arg(long, env = "TIKV_LENS_PROMETHEUS_USERNAME", conflicts_with = "config")]
    pub prometheus_username: Option<String>,

    /// File holding the basic-auth password of --prometheus-username.
    #[arg(
        long,
        env = "TIKV_LENS_PROMETHEUS_PASSWORD_FILE",
        value_name = "FILE",
        conflicts_with = "config"
    )]
    pub prometheus_password_file: Option<PathBuf>,

    /// The basic-auth password itself; meant for the environment variable.
    #[arg(
        long,
        env = "TIKV_LENS_PROMETHEUS_PASSWORD",
        value_parser = Secret::parse_arg,
        hide = true,
        hide_env_values = true,
        conflicts_with = "config"
    )]
    pub prometheus_password: Option<Secret>,

    #[command(flatten)]
    pub tls: ServeTlsArgs,

    /// Total deadline of one PD read, across every endpoint tried (e.g. 10s, 1500ms).
    #[arg(long, env = "TIKV_LENS_PD_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration)]
    pub pd_timeout: Duration,

    /// Deadline of one attempt on one PD endpoint, so a hung endpoint leaves time to try the next.
    #[arg(long, env = "TIKV_LENS_PD_ATTEMPT_TIMEOUT", default_value = "3s", value_parser = humantime::parse_duration)]
    pub pd_attempt_timeout: Duration,

    /// Deadline of one Prometheus query; Prometheus is told the same, so it stops evaluating.
    #[arg(long, env = "TIKV_LENS_PROMETHEUS_TIMEOUT", default_value = "15s", value_parser = humantime::parse_duration)]
    pub prometheus_timeout: Duration,

    /// Largest upstream response body read, in bytes; a larger one is a 502, not an allocation.
    #[arg(long, env = "TIKV_LENS_UPSTREAM_MAX_BODY_BYTES", default_value_t = 64 * 1024 * 1024)]
    pub upstream_max_body_bytes: usize,

    /// How long a last good answer may be served, marked `stale: true`, while its upstream is
    /// unreachable (0s: never).
    #[arg(long, env = "TIKV_LENS_STALE_WINDOW", default_value = "10m", value_parser = humantime::parse_duration)]
    pub stale_window: Duration,

    /// Requests in flight to one cluster's PD at most; more wait, up to the PD deadline, then 503.
    #[arg(long, env = "TIKV_LENS_PD_MAX_CONCURRENCY", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..))]
    pub pd_max_concurrency: u16,

    /// Queries in flight to one cluster's Prometheus at most; more wait, then 503.
    #[arg(long, env = "TIKV_LENS_PROMETHEUS_MAX_CONCURRENCY", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..))]
    pub prometheus_max_concurrency: u16,

    /// Most memory the caches keep between requests, every cluster's together (e.g. 128MiB,
    /// 1GiB, or bytes): half for upstream answers, a quarter for last good answers (served
    /// stale while an upstream is down), a quarter for finished answers.
    #[arg(long, env = "TIKV_LENS_MEMORY_BUDGET", default_value = "128MiB", value_parser = parse_memory_budget)]
    pub memory_budget: MemoryBudget,

    /// File of accepted bearer tokens, one per line (`#` comments and blank lines ignored).
    /// With any token configured, every route but /healthz and /readyz needs one.
    #[arg(long, env = "TIKV_LENS_AUTH_TOKENS_FILE")]
    pub auth_tokens_file: Option<PathBuf>,

    /// Accepted bearer tokens, comma-separated (added to those of --auth-tokens-file).
    #[arg(
        long = "auth-tokens",
        env = "TIKV_LENS_AUTH_TOKENS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub auth_tokens: Vec<String>,

    /// An origin allowed to call the API from a browser (CORS); repeat for several. None: no CORS.
    #[arg(
        long = "cors-origin",
        env = "TIKV_LENS_CORS_ORIGINS",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,

    /// Requests per second each client address may make (a burst of as many); 0: unlimited.
    #[arg(long, env = "TIKV_LENS_RATE_LIMIT", default_value_t = 0)]
    pub rate_limit: u32,

    /// Deadline of a whole client request.
    #[arg(long, env = "TIKV_LENS_REQUEST_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration)]
    pub request_timeout: Duration,

    /// Log format on stderr.
    #[arg(long, env = "TIKV_LENS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

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
    pub log_format: LogFormat,
}

/// `--memory-budget`: a size with a binary or decimal unit (`128MiB`, `1GiB`, `500MB`) or plain
/// bytes; at least 1 MiB.
fn parse_memory_budget(text: &str) -> Result<MemoryBudget, String> {
    let text = text.trim();
    let bytes = match text.parse::<u64>() {
        Ok(bytes) => bytes,
        Err(_) => crate::normalize::byte_size::parse_pd_byte_size(text).map_err(|e| {
            format!("{e}; give a size such as 128MiB or 1GiB, or a number of bytes")
        })?,
    };
    if bytes < 1 << 20 {
        return Err(format!("{text} is below the smallest budget, 1MiB"));
    }
    Ok(MemoryBudget { total_bytes: bytes })
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
    /// CAs, PD's client certificate and Prometheus' credentials; the default is none.
    pub security: ClusterSecurity,
}

/// Why a configuration was refused. Each message fits on one line.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The config file is not valid TOML or has unknown or missing keys.
    #[error("invalid config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    /// Neither --pd nor --config was given.
    #[error("no cluster configured: give --pd URL[,URL...] (or TIKV_LENS_PD) or --config FILE")]
    NoCluster,
    /// A cluster name is empty or has characters that do not belong in a URL path segment.
    #[error(
        "invalid cluster name {0:?}: use letters, digits, '.', '_' and '-', starting with a letter or digit"
    )]
    ClusterName(String),
    /// Two clusters share a name.
    #[error("cluster name {0:?} is used twice")]
    DuplicateCluster(String),
    /// A cluster has no PD endpoint.
    #[error("cluster {0:?} has no PD endpoint")]
    NoPdEndpoint(String),
    /// A PD or Prometheus URL does not parse or is not http(s).
    #[error("cluster {cluster:?}: invalid {what} URL {url:?}: {reason}")]
    Url {
        cluster: String,
        what: &'static str,
        url: String,
        reason: String,
    },
    /// A token file or a CORS origin is unusable.
    #[error("invalid access settings: {0}")]
    Access(String),
    /// A cache TTL is unknown or not a duration.
    #[error("invalid cache settings: {0}")]
    Cache(String),
    /// A limit makes no sense (a zero deadline, an attempt longer than the total).
    #[error("invalid limits: {0}")]
    Limits(String),
    /// A certificate, key or CA file cannot be read or used.
    #[error("invalid TLS file: {0}")]
    Pem(#[from] PemError),
    /// TLS or credential settings are incomplete, conflicting, or unreadable.
    #[error("invalid TLS or authentication settings: {0}")]
    Security(String),
}

impl From<SecurityError> for ConfigError {
    fn from(e: SecurityError) -> Self {
        match e {
            SecurityError::Pem(e) => ConfigError::Pem(e),
            other => ConfigError::Security(other.to_string()),
        }
    }
}

/// The multi-cluster TOML file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    clusters: Vec<FileCluster>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileCluster {
    name: String,
    pd: Vec<String>,
    #[serde(default)]
    prometheus: Option<String>,
    /// TTLs as durations (`"2s"`, `"500ms"`, `"0s"`); absent ones keep their defaults.
    #[serde(default)]
    cache: std::collections::BTreeMap<String, String>,
    // Security: file names, relative ones resolved against the config file's folder.
    #[serde(default)]
    pd_ca: Option<PathBuf>,
    #[serde(default)]
    pd_cert: Option<PathBuf>,
    #[serde(default)]
    pd_key: Option<PathBuf>,
    #[serde(default)]
    prometheus_ca: Option<PathBuf>,
    #[serde(default)]
    prometheus_bearer_token_file: Option<PathBuf>,
    #[serde(default)]
    prometheus_username: Option<String>,
    #[serde(default)]
    prometheus_password_file: Option<PathBuf>,
    /// Set by tikv-lens, never by the file: the settings of the command line (single cluster).
    #[serde(skip)]
    flags: Option<RawSecurity>,
}

impl FileCluster {
    /// The security settings as given, and how to name them in messages.
    fn raw_security(&mut self, config_dir: Option<&Path>) -> (RawSecurity, Naming) {
        if let Some(raw) = self.flags.take() {
            return (raw, Naming::Flags);
        }
        let raw = RawSecurity {
            pd_ca: self.pd_ca.take(),
            pd_cert: self.pd_cert.take(),
            pd_key: self.pd_key.take(),
            prometheus_ca: self.prometheus_ca.take(),
            prometheus_bearer_token_file: self.prometheus_bearer_token_file.take(),
            prometheus_bearer_token: None,
            prometheus_username: self.prometheus_username.take(),
            prometheus_password_file: self.prometheus_password_file.take(),
            prometheus_password: None,
        };
        let raw = match config_dir {
            Some(dir) => raw.relative_to(dir),
            None => raw,
        };
        let naming = Naming::File {
            cluster: self.name.clone(),
        };
        (raw, naming)
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
            None => vec![FileCluster {
                name: self.cluster.clone(),
                pd: self.pd.clone(),
                prometheus: self.prometheus.clone(),
                cache: Default::default(),
                pd_ca: None,
                pd_cert: None,
                pd_key: None,
                prometheus_ca: None,
                prometheus_bearer_token_file: None,
                prometheus_username: None,
                prometheus_password_file: None,
                flags: Some(self.raw_security()),
            }],
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
        let clusters = validate_clusters(clusters, config_dir.as_deref())?;
        Ok(ServeConfig {
            listen: self.listen,
            tls: self.tls.load()?,
            clusters,
            upstream,
            memory_budget: self.memory_budget,
            access,
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

fn load_file(path: &Path) -> Result<Vec<FileCluster>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    let file: FileConfig = toml::from_str(&text).map_err(|e| ConfigError::Parse {
        path: path.to_owned(),
        // toml's Display spans several lines (it quotes the source); the message alone is one.
        message: e.message().to_owned() + &line_suffix(&text, e.span()),
    })?;
    Ok(file.clusters)
}

fn line_suffix(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    match span {
        Some(span) => {
            let line = text
                .get(..span.start)
                .map_or(0, |s| s.matches('\n').count())
                + 1;
            format!(" (line {line})")
        }
        None => String::new(),
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
            let (raw, naming) = c.raw_security(config_dir);
            let security = raw.validate(&naming)?;
            security.check_urls(&naming, &pd_endpoints, prometheus.as_ref())?;
            Ok(ClusterConfig {
                name: c.name,
                pd_endpoints,
                prometheus,
                cache,
                security,
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
            "prometheus_recent" => &mut ttls.prometheus_recent,
            "prometheus_past" => &mut ttls.prometheus_past,
            other => {
                return Err(ConfigError::Cache(format!(
                    "cluster {cluster:?}: unknown cache key {other:?} (stores, members, pd_status, regions, \
                     region_health, hotspots, prometheus_recent, prometheus_past)"
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
    use super::*;

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
    fn config_and_pd_conflict() {
        let err = Cli::try_parse_from([
            "tikv-lens",
            "serve",
            "--pd",
            "http://a",
            "--config",
            "x.toml",
        ])
        .unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::ArgumentConflict);
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
    fn zero_timeouts_are_refused() {
        assert!(matches!(
            serve(&["--pd", "http://pd:2379", "--pd-timeout", "0s"]),
            Err(ConfigError::Limits(_))
        ));
    }
}
