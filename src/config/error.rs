//! [`ConfigError`]: why a configuration was refused.

use std::path::PathBuf;

use crate::security::SecurityError;
use crate::tls::PemError;

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
    /// A cluster's Prometheus labels, join label or scrape interval is invalid.
    #[error("cluster {cluster:?}: invalid Prometheus selection: {message}")]
    PrometheusSelection { cluster: String, message: String },
    /// A cache TTL is unknown or not a duration.
    #[error("invalid cache settings: {0}")]
    Cache(String),
    /// A health-check threshold does not parse or contradicts another.
    #[error("invalid check thresholds: {0}")]
    Checks(String),
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
