//! What was typed: the command line as clap parses it, each `serve` flag also an environment
//! variable. Nothing here is checked beyond what clap's value parsers do; `serve.rs` validates
//! these into a [`super::ServeConfig`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::budget::MemoryBudget;
use crate::security::Secret;

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
    /// Start this far into the scenario: the flapping store stops 2 minutes in (and every 10
    /// minutes after that; PD calls it disconnected 20 s later), so with `--scenario-offset
    /// 1m50s` it stops 10 s after launch.
    #[arg(long, default_value = "0s", value_parser = humantime::parse_duration)]
    pub scenario_offset: std::time::Duration,
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
    #[command(flatten)]
    pub events: EventsArgs,
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

    /// A label matcher every curated query of the single cluster carries, NAME=VALUE
    /// (repeatable; comma-separated in the environment), for a Prometheus shared by clusters.
    #[arg(
        long,
        env = "TIKV_LENS_PROMETHEUS_LABELS",
        value_delimiter = ',',
        value_name = "NAME=VALUE",
        conflicts_with = "config"
    )]
    pub prometheus_label: Vec<String>,

    /// The label holding a store's status address in Prometheus (default: instance).
    #[arg(
        long,
        env = "TIKV_LENS_PROMETHEUS_JOIN_LABEL",
        value_name = "NAME",
        conflicts_with = "config"
    )]
    pub prometheus_join_label: Option<String>,

    /// How often Prometheus scrapes TiKV (default: 15s); rate windows are max(4 x this, 1m).
    #[arg(
        long,
        env = "TIKV_LENS_PROMETHEUS_SCRAPE_INTERVAL",
        value_name = "DURATION",
        conflicts_with = "config"
    )]
    pub prometheus_scrape_interval: Option<String>,

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

    #[command(flatten)]
    pub events: EventsArgs,

    /// Log format on stderr.
    #[arg(long, env = "TIKV_LENS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// The live events (`GET /api/v1/clusters/{cluster}/events`), for `serve` and `demo`.
#[derive(Debug, Clone, Args)]
pub struct EventsArgs {
    /// How often a cluster with event listeners is polled (stores, PD leader, operators, store
    /// progress); one poll per cluster however many listen. A cluster of the config file may
    /// set its own (`events_poll_interval`).
    #[arg(long, env = "TIKV_LENS_EVENTS_POLL_INTERVAL", default_value = "2s", value_parser = humantime::parse_duration)]
    pub events_poll_interval: Duration,

    /// The health checks (and with them Prometheus) are evaluated every this many polls: they
    /// read a dozen PD endpoints and Prometheus (1: every poll).
    #[arg(long, env = "TIKV_LENS_EVENTS_CHECKS_EVERY", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub events_checks_every: u32,

    /// A comment line (`: heartbeat`) on every event stream this often, so that proxies and
    /// load balancers keep idle streams open.
    #[arg(long, env = "TIKV_LENS_EVENTS_HEARTBEAT", default_value = "15s", value_parser = humantime::parse_duration)]
    pub events_heartbeat: Duration,

    /// Event streams open at most, every cluster's together; beyond, 503.
    #[arg(long, env = "TIKV_LENS_EVENTS_MAX_SUBSCRIBERS", default_value_t = 1000)]
    pub events_max_subscribers: usize,

    /// Events kept per cluster for clients resuming with Last-Event-ID (also bounded by the
    /// events' share of --memory-budget).
    #[arg(long, env = "TIKV_LENS_EVENTS_RETAINED", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    pub events_retained: u32,

    /// A cluster's poller stops once nobody has listened for this long.
    #[arg(long, env = "TIKV_LENS_EVENTS_IDLE_GRACE", default_value = "10s", value_parser = humantime::parse_duration)]
    pub events_idle_grace: Duration,
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
