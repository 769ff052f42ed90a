//! Per-cluster upstream security: the CA an upstream's server certificate must chain to, the
//! client certificate PD asks for in a TLS-enabled cluster, and Prometheus' credentials (a
//! bearer token or basic auth).
//!
//! [`RawSecurity`] is what flags or one `[[clusters]]` table gave: file names, and secrets from
//! the environment. [`RawSecurity::validate`] reads and checks every file once, at startup,
//! into a [`ClusterSecurity`]; [`ClusterSecurity::pd_client`] and
//! [`ClusterSecurity::prometheus_client`] build the reqwest clients from it.
//!
//! Secrets (tokens, passwords) never appear in `Debug` output, in messages, or in answers: they
//! live in [`Secret`] or in a sensitive `HeaderValue`, and errors name their files only.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use url::Url;

use crate::tls::{CaBundle, CertKey, PemError};
use crate::upstream::display_url;

/// A secret string (a token, a password). Its `Debug` shows nothing of it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// For clap: a secret flag or environment variable.
    pub fn parse_arg(value: &str) -> Result<Self, std::convert::Infallible> {
        Ok(Self(value.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// How tikv-lens authenticates one upstream's server, and itself to it.
#[derive(Debug, Clone, Default)]
pub struct UpstreamTls {
    /// When set, the only CA the upstream's certificate may chain to (the system's roots are
    /// not consulted).
    pub ca: Option<Arc<CaBundle>>,
    /// The client certificate presented when the server asks for one.
    pub identity: Option<Arc<CertKey>>,
}

impl UpstreamTls {
    /// Nothing configured: the system's roots, no client certificate.
    pub fn is_default(&self) -> bool {
        self.ca.is_none() && self.identity.is_none()
    }

    /// Adds the CA and the client certificate to a client under construction.
    pub fn apply(
        &self,
        mut builder: reqwest::ClientBuilder,
    ) -> Result<reqwest::ClientBuilder, reqwest::Error> {
        if let Some(ca) = &self.ca {
            let certs = ca
                .certs()
                .iter()
                .map(|c| reqwest::Certificate::from_der(c.as_ref()))
                .collect::<Result<Vec<_>, _>>()?;
            builder = builder.tls_certs_only(certs);
        }
        if let Some(identity) = &self.identity {
            builder = builder.identity(reqwest::Identity::from_pem(&identity.identity_pem())?);
        }
        Ok(builder)
    }
}

/// Credentials sent to an upstream in `Authorization`.
#[derive(Clone)]
pub struct HttpAuth {
    /// The user name of basic auth; `None` for a bearer token.
    username: Option<String>,
    /// The whole header, marked sensitive (reqwest and `http` print it as `Sensitive`).
    header: HeaderValue,
}

impl HttpAuth {
    /// `Authorization: Bearer <token>`; `None` if the token cannot go in a header.
    pub fn bearer(token: &Secret) -> Option<Self> {
        Some(Self {
            username: None,
            header: sensitive(&format!("Bearer {}", token.expose()))?,
        })
    }

    /// `Authorization: Basic base64(user:password)`; `None` if the user name has a `:`.
    pub fn basic(username: &str, password: &Secret) -> Option<Self> {
        use base64::Engine as _;
        if username.contains(':') || username.chars().any(char::is_control) {
            return None;
        }
        let encoded = base64::engine::general_purpose::STANDARD
            .encode(format!("{username}:{}", password.expose()));
        Some(Self {
            username: Some(username.to_owned()),
            header: sensitive(&format!("Basic {encoded}"))?,
        })
    }

    /// The header map to send with every request.
    pub fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, self.header.clone());
        headers
    }
}

fn sensitive(text: &str) -> Option<HeaderValue> {
    let mut value = HeaderValue::from_str(text).ok()?;
    value.set_sensitive(true);
    Some(value)
}

impl fmt::Debug for HttpAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.username {
            None => f.write_str("Bearer(<redacted>)"),
            Some(username) => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
        }
    }
}

/// The validated security settings of one cluster; the default is none at all.
#[derive(Debug, Clone, Default)]
pub struct ClusterSecurity {
    pub pd: UpstreamTls,
    pub prometheus: UpstreamTls,
    pub prometheus_auth: Option<HttpAuth>,
}

impl ClusterSecurity {
    /// PD's own client, or `None` when PD needs nothing a plain client lacks. `builder` makes a
    /// client builder with the common settings (user agent, timeouts).
    pub fn pd_client(
        &self,
        builder: impl FnOnce() -> reqwest::ClientBuilder,
    ) -> Result<Option<reqwest::Client>, reqwest::Error> {
        if self.pd.is_default() {
            return Ok(None);
        }
        self.pd.apply(builder())?.build().map(Some)
    }

    /// Prometheus' own client (CA and credentials), or `None` when it needs nothing special.
    pub fn prometheus_client(
        &self,
        builder: impl FnOnce() -> reqwest::ClientBuilder,
    ) -> Result<Option<reqwest::Client>, reqwest::Error> {
        if self.prometheus.is_default() && self.prometheus_auth.is_none() {
            return Ok(None);
        }
        let mut builder = self.prometheus.apply(builder())?;
        if let Some(auth) = &self.prometheus_auth {
            // reqwest drops `Authorization` on a redirect to another host.
            builder = builder.default_headers(auth.headers());
        }
        builder.build().map(Some)
    }

    /// Refuses settings that cannot take effect: TLS files for an `http://` upstream (the
    /// operator believes the link is secured), Prometheus settings without a Prometheus.
    pub fn check_urls(
        &self,
        naming: &Naming,
        pd: &[Url],
        prometheus: Option<&Url>,
    ) -> Result<(), SecurityError> {
        if !self.pd.is_default()
            && let Some(url) = pd.iter().find(|u| u.scheme() != "https")
        {
            let key = if self.pd.ca.is_some() {
                "pd_ca"
            } else {
                "pd_cert"
            };
            return Err(naming.invalid(format!(
                "{} is set but the PD endpoint {} is not https",
                naming.key(key),
                display_url(url)
            )));
        }
        let prometheus_key = if self.prometheus.ca.is_some() {
            Some("prometheus_ca")
        } else if self.prometheus_auth.is_some() {
            Some("prometheus credentials")
        } else {
            None
        };
        match (prometheus_key, prometheus) {
            (Some(key), None) => Err(naming.invalid(format!(
                "{} set but the cluster has no Prometheus URL",
                naming.key_is(key)
            ))),
            (_, Some(url)) if self.prometheus.ca.is_some() && url.scheme() != "https" => {
                Err(naming.invalid(format!(
                    "{} is set but the Prometheus URL {} is not https",
                    naming.key("prometheus_ca"),
                    display_url(url)
                )))
            }
            _ => Ok(()),
        }
    }
}

/// Where the settings came from, for naming them in messages: `--pd-cert` on the command
/// line, `pd_cert` (and the cluster) in a config file.
#[derive(Debug, Clone)]
pub enum Naming {
    Flags,
    File { cluster: String },
}

impl Naming {
    /// How a setting is called here.
    pub fn key(&self, key: &str) -> String {
        match self {
            Naming::Flags if key.contains(' ') => format!("the {key}"),
            Naming::Flags => format!("--{}", key.replace('_', "-")),
            Naming::File { .. } => key.to_owned(),
        }
    }

    fn key_is(&self, key: &str) -> String {
        if key.contains(' ') {
            format!("{} are", self.key(key))
        } else {
            format!("{} is", self.key(key))
        }
    }

    fn invalid(&self, message: String) -> SecurityError {
        match self {
            Naming::Flags => SecurityError::Invalid(message),
            Naming::File { cluster } => {
                SecurityError::Invalid(format!("cluster {cluster:?}: {message}"))
            }
        }
    }
}

/// Why security settings were refused; one line, naming the setting or file, never a secret.
#[derive(Debug, thiserror::Error)]
pub enum SecurityError {
    #[error(transparent)]
    Pem(#[from] PemError),
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
}

/// Environment variables that carry secrets themselves (only for the single cluster of
/// `--pd`; a config file names files instead).
pub const BEARER_TOKEN_ENV: &str = "TIKV_LENS_PROMETHEUS_BEARER_TOKEN";
pub const PASSWORD_ENV: &str = "TIKV_LENS_PROMETHEUS_PASSWORD";

/// The security settings of one cluster as given: file names, and secrets from the environment.
#[derive(Debug, Clone, Default)]
pub struct RawSecurity {
    pub pd_ca: Option<PathBuf>,
    pub pd_cert: Option<PathBuf>,
    pub pd_key: Option<PathBuf>,
    pub prometheus_ca: Option<PathBuf>,
    pub prometheus_bearer_token_file: Option<PathBuf>,
    pub prometheus_bearer_token: Option<Secret>,
    pub prometheus_username: Option<String>,
    pub prometheus_password_file: Option<PathBuf>,
    pub prometheus_password: Option<Secret>,
}

impl RawSecurity {
    /// Resolves relative file names against `dir` (a config file's folder).
    pub fn relative_to(mut self, dir: &Path) -> Self {
        for path in [
            &mut self.pd_ca,
            &mut self.pd_cert,
            &mut self.pd_key,
            &mut self.prometheus_ca,
            &mut self.prometheus_bearer_token_file,
            &mut self.prometheus_password_file,
        ]
        .into_iter()
        .flatten()
        {
            if path.is_relative() {
                *path = dir.join(&*path);
            }
        }
        self
    }

    /// Reads and checks every file named.
    pub fn validate(self, naming: &Naming) -> Result<ClusterSecurity, SecurityError> {
        let pd = UpstreamTls {
            ca: self.pd_ca.as_deref().map(load_ca).transpose()?,
            identity: match (&self.pd_cert, &self.pd_key) {
                (None, None) => None,
                (Some(cert), Some(key)) => Some(Arc::new(CertKey::load(cert, key)?)),
                (Some(_), None) => return Err(without(naming, "pd_cert", "pd_key")),
                (None, Some(_)) => return Err(without(naming, "pd_key", "pd_cert")),
            },
        };
        let prometheus = UpstreamTls {
            ca: self.prometheus_ca.as_deref().map(load_ca).transpose()?,
            identity: None,
        };
        let token = one_secret(
            naming,
            "prometheus_bearer_token_file",
            self.prometheus_bearer_token_file.as_deref(),
            BEARER_TOKEN_ENV,
            self.prometheus_bearer_token.as_ref(),
            "token",
        )?;
        let password = one_secret(
            naming,
            "prometheus_password_file",
            self.prometheus_password_file.as_deref(),
            PASSWORD_ENV,
            self.prometheus_password.as_ref(),
            "password",
        )?;
        let username = self
            .prometheus_username
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty());
        let password_key = match naming {
            Naming::Flags => format!("--prometheus-password-file (or {PASSWORD_ENV})"),
            Naming::File { .. } => "prometheus_password_file".to_owned(),
        };
        let prometheus_auth = match (token, username, password) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                return Err(naming.invalid(format!(
                    "a bearer token and basic auth are both set for Prometheus ({} and {}); give one",
                    naming.key("prometheus_bearer_token_file"),
                    naming.key("prometheus_username")
                )));
            }
            (Some((token, origin)), None, None) => {
                Some(HttpAuth::bearer(&token).ok_or_else(|| {
                    naming.invalid(format!(
                        "the Prometheus bearer token of {origin} has characters an HTTP header cannot carry"
                    ))
                })?)
            }
            (None, Some(username), Some((password, origin))) => {
                Some(HttpAuth::basic(username, &password).ok_or_else(|| {
                    naming.invalid(format!(
                        "{}: a basic-auth user name cannot contain ':' or control characters, and the password of {origin} no control characters",
                        naming.key("prometheus_username")
                    ))
                })?)
            }
            (None, Some(_), None) => {
                return Err(naming.invalid(format!(
                    "{} is set without {password_key}",
                    naming.key("prometheus_username")
                )));
            }
            (None, None, Some(_)) => {
                return Err(naming.invalid(format!(
                    "{password_key} is set without {}",
                    naming.key("prometheus_username")
                )));
            }
            (None, None, None) => None,
        };
        Ok(ClusterSecurity {
            pd,
            prometheus,
            prometheus_auth,
        })
    }
}

fn load_ca(path: &Path) -> Result<Arc<CaBundle>, SecurityError> {
    Ok(Arc::new(CaBundle::load(path)?))
}

fn without(naming: &Naming, given: &str, missing: &str) -> SecurityError {
    naming.invalid(format!(
        "{} is set without {}",
        naming.key(given),
        naming.key(missing)
    ))
}

/// A secret from its file or its environment variable (not both), trimmed of surrounding
/// whitespace (a trailing newline), with where it came from for messages.
fn one_secret(
    naming: &Naming,
    file_key: &str,
    file: Option<&Path>,
    env_name: &str,
    env: Option<&Secret>,
    what: &str,
) -> Result<Option<(Secret, String)>, SecurityError> {
    let env = env.map(|s| s.expose().trim()).filter(|s| !s.is_empty());
    match (file, env) {
        (Some(_), Some(_)) => Err(naming.invalid(format!(
            "{} and {env_name} are both set; give one",
            naming.key(file_key)
        ))),
        (Some(path), None) => {
            let text = std::fs::read_to_string(path).map_err(|source| SecurityError::Read {
                path: path.to_owned(),
                source,
            })?;
            let value = text.trim();
            if value.is_empty() {
                return Err(SecurityError::Invalid(format!(
                    "{} holds no {what}",
                    path.display()
                )));
            }
            Ok(Some((Secret::new(value), path.display().to_string())))
        }
        (None, Some(value)) => Ok(Some((Secret::new(value), env_name.to_owned()))),
        (None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug() {
        let token = Secret::new("tok-123456");
        assert!(!format!("{token:?}").contains("tok-123456"));
        let bearer = HttpAuth::bearer(&token).unwrap();
        assert!(!format!("{bearer:?}").contains("tok-123456"));
        assert!(bearer.headers()[AUTHORIZATION].is_sensitive());
        let basic = HttpAuth::basic("grafana", &Secret::new("pa55word")).unwrap();
        let shown = format!("{basic:?} {:?}", basic.headers());
        assert!(!shown.contains("pa55word"), "{shown}");
        assert!(!shown.contains("Z3JhZmFuYTpwYTU1d29yZA"), "{shown}");
        assert!(shown.contains("grafana"));
    }

    #[test]
    fn basic_auth_header_is_base64_of_user_colon_password() {
        let basic = HttpAuth::basic("Aladdin", &Secret::new("open sesame")).unwrap();
        assert_eq!(
            basic.headers()[AUTHORIZATION],
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert!(HttpAuth::basic("a:b", &Secret::new("x")).is_none());
        assert!(HttpAuth::bearer(&Secret::new("line\nbreak")).is_none());
    }

    #[test]
    fn pairs_and_conflicts_are_refused_by_name() {
        let flags = Naming::Flags;
        let only_cert = RawSecurity {
            pd_cert: Some("/x/client.pem".into()),
            ..Default::default()
        };
        let err = only_cert.validate(&flags).unwrap_err().to_string();
        assert_eq!(err, "--pd-cert is set without --pd-key");
        let only_key = RawSecurity {
            pd_key: Some("/x/client-key.pem".into()),
            ..Default::default()
        };
        let err = only_key
            .validate(&Naming::File {
                cluster: "east".into(),
            })
            .unwrap_err()
            .to_string();
        assert_eq!(err, "cluster \"east\": pd_key is set without pd_cert");
        let user_only = RawSecurity {
            prometheus_username: Some("grafana".into()),
            ..Default::default()
        };
        let err = user_only.validate(&flags).unwrap_err().to_string();
        assert!(
            err.contains("--prometheus-username is set without"),
            "{err}"
        );
        let both = RawSecurity {
            prometheus_bearer_token: Some(Secret::new("t0ken")),
            prometheus_username: Some("grafana".into()),
            prometheus_password: Some(Secret::new("pa55")),
            ..Default::default()
        };
        let err = both.validate(&flags).unwrap_err().to_string();
        assert!(err.contains("both set"), "{err}");
        assert!(!err.contains("t0ken") && !err.contains("pa55"), "{err}");
    }

    #[test]
    fn relative_files_resolve_against_the_config_folder() {
        let raw = RawSecurity {
            pd_ca: Some("certs/ca.pem".into()),
            pd_cert: Some("/abs/client.pem".into()),
            ..Default::default()
        }
        .relative_to(Path::new("/etc/tikv-lens"));
        assert_eq!(raw.pd_ca.unwrap(), Path::new("/etc/tikv-lens/certs/ca.pem"));
        assert_eq!(raw.pd_cert.unwrap(), Path::new("/abs/client.pem"));
    }

    #[test]
    fn prometheus_settings_need_a_prometheus() {
        let security = ClusterSecurity {
            prometheus_auth: HttpAuth::bearer(&Secret::new("t")),
            ..Default::default()
        };
        let err = security
            .check_urls(&Naming::Flags, &["http://pd:2379".parse().unwrap()], None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no Prometheus URL"), "{err}");
        // Credentials over plain http are allowed (a Prometheus inside the cluster network).
        let prometheus: Url = "http://prom:9090".parse().unwrap();
        security
            .check_urls(&Naming::Flags, &[], Some(&prometheus))
            .unwrap();
    }
}
