//! What the `--config` file says: several clusters as raw TOML, as written. Unknown keys are
//! refused (a typo must not fall back to a default silently); values are checked in `serve.rs`,
//! with the flags of a single cluster.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::ConfigError;
use crate::security::{Naming, RawSecurity};
use crate::upstream::prometheus::{LabelName, SeriesSelection};

/// The multi-cluster TOML file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    clusters: Vec<FileCluster>,
}

/// One `[[clusters]]` table; also the single cluster of the command line.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileCluster {
    pub(super) name: String,
    pub(super) pd: Vec<String>,
    #[serde(default)]
    pub(super) prometheus: Option<String>,
    /// Equality matchers every curated query carries (`{ tidb_cluster = "prod" }`), for a
    /// Prometheus shared by several clusters.
    #[serde(default)]
    pub(super) prometheus_labels: std::collections::BTreeMap<String, String>,
    /// The label that holds a store's status address (default `instance`).
    #[serde(default)]
    pub(super) prometheus_join_label: Option<String>,
    /// Prometheus' scrape interval for TiKV (`"15s"`, the default; `"30s"`, `"1m"`).
    #[serde(default)]
    pub(super) prometheus_scrape_interval: Option<String>,
    /// TTLs as durations (`"2s"`, `"500ms"`, `"0s"`); absent ones keep their defaults.
    #[serde(default)]
    pub(super) cache: std::collections::BTreeMap<String, String>,
    /// Thresholds of the health checks; absent ones keep their defaults.
    #[serde(default)]
    pub(super) checks: FileCheckThresholds,
    /// How often the cluster is polled for live events (`"2s"`); absent: the flag's.
    #[serde(default)]
    pub(super) events_poll_interval: Option<String>,
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
    /// The single cluster of `--pd`, `--prometheus`, `--cluster` and the security flags, so that
    /// it is validated exactly as a file's cluster is.
    pub(super) fn from_flags(
        name: String,
        pd: Vec<String>,
        prometheus: Option<String>,
        flags: RawSecurity,
    ) -> Self {
        Self {
            name,
            pd,
            prometheus,
            cache: Default::default(),
            prometheus_labels: Default::default(),
            prometheus_join_label: None,
            prometheus_scrape_interval: None,
            checks: FileCheckThresholds::default(),
            events_poll_interval: None,
            pd_ca: None,
            pd_cert: None,
            pd_key: None,
            prometheus_ca: None,
            prometheus_bearer_token_file: None,
            prometheus_username: None,
            prometheus_password_file: None,
            flags: Some(flags),
        }
    }

    /// The series of a shared Prometheus that are this cluster's, checked: label names must be
    /// Prometheus label names, the scrape interval a duration above zero.
    pub(super) fn prometheus_selection(&self) -> Result<SeriesSelection, ConfigError> {
        let invalid = |message: String| ConfigError::PrometheusSelection {
            cluster: self.name.clone(),
            message,
        };
        let mut selection = SeriesSelection::default();
        for (name, value) in &self.prometheus_labels {
            let name =
                LabelName::parse(name).map_err(|e| invalid(format!("prometheus_labels: {e}")))?;
            selection.labels.push((name, value.clone()));
        }
        if let Some(join) = &self.prometheus_join_label {
            selection.join_label = LabelName::parse(join)
                .map_err(|e| invalid(format!("prometheus_join_label: {e}")))?;
        }
        if selection
            .labels
            .iter()
            .any(|(name, _)| *name == selection.join_label)
        {
            return Err(invalid(format!(
                "prometheus_labels: {:?} is the join label; it selects the stores already",
                selection.join_label.as_str()
            )));
        }
        if let Some(interval) = &self.prometheus_scrape_interval {
            selection.scrape_interval = humantime::parse_duration(interval.trim())
                .ok()
                .filter(|d| !d.is_zero())
                .ok_or_else(|| {
                    invalid(format!(
                        "prometheus_scrape_interval: {interval:?} is not a duration above zero (e.g. \"15s\", \"1m\")"
                    ))
                })?;
        }
        Ok(selection)
    }

    /// The security settings as given, and how to name them in messages.
    pub(super) fn raw_security(&mut self, config_dir: Option<&Path>) -> (RawSecurity, Naming) {
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

/// Reads and parses the `--config` file; its values are not checked yet.
pub(super) fn load_file(path: &Path) -> Result<Vec<FileCluster>, ConfigError> {
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

/// A cluster's `checks` table: the thresholds of `/checks`, durations as text (`"24h"`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileCheckThresholds {
    #[serde(default)]
    unhealthy_regions_warning: Option<u64>,
    #[serde(default)]
    unhealthy_regions_critical: Option<u64>,
    #[serde(default)]
    low_space_margin: Option<f64>,
    #[serde(default)]
    gc_age_warning: Option<String>,
    #[serde(default)]
    gc_age_critical: Option<String>,
    #[serde(default)]
    resolved_ts_lag_warning: Option<String>,
    #[serde(default)]
    resolved_ts_lag_critical: Option<String>,
    #[serde(default)]
    runway_warning_days: Option<f64>,
    #[serde(default)]
    runway_critical_days: Option<f64>,
    #[serde(default)]
    runway_lookback: Option<String>,
    #[serde(default)]
    raftstore_cpu_critical: Option<f64>,
    #[serde(default)]
    apply_cpu_critical: Option<f64>,
    #[serde(default)]
    write_stall_critical: Option<f64>,
    #[serde(default)]
    channel_full_critical: Option<f64>,
    #[serde(default)]
    leader_drops_warning: Option<f64>,
    #[serde(default)]
    scheduler_busy_warning: Option<f64>,
    #[serde(default)]
    scheduler_busy_critical: Option<f64>,
}

impl FileCheckThresholds {
    /// The thresholds, defaults where the file is silent; a warning threshold above its critical
    /// one, a margin outside 0..1 or a duration that does not parse is an error naming the key.
    pub(super) fn validate(
        &self,
        cluster: &str,
    ) -> Result<crate::normalize::CheckThresholds, super::ConfigError> {
        let bad = |key: &str, why: String| {
            super::ConfigError::Checks(format!("cluster {cluster:?}: checks.{key}: {why}"))
        };
        let duration = |key: &str, raw: &Option<String>, default: std::time::Duration| match raw {
            None => Ok(default),
            Some(text) => {
                humantime::parse_duration(text).map_err(|e| bad(key, format!("{text:?}: {e}")))
            }
        };
        let d = crate::normalize::CheckThresholds::default();
        let t = crate::normalize::CheckThresholds {
            unhealthy_regions_warning: self
                .unhealthy_regions_warning
                .unwrap_or(d.unhealthy_regions_warning),
            unhealthy_regions_critical: self
                .unhealthy_regions_critical
                .unwrap_or(d.unhealthy_regions_critical),
            low_space_margin: self.low_space_margin.unwrap_or(d.low_space_margin),
            gc_age_warning: duration("gc_age_warning", &self.gc_age_warning, d.gc_age_warning)?,
            gc_age_critical: duration("gc_age_critical", &self.gc_age_critical, d.gc_age_critical)?,
            resolved_ts_lag_warning: duration(
                "resolved_ts_lag_warning",
                &self.resolved_ts_lag_warning,
                d.resolved_ts_lag_warning,
            )?,
            resolved_ts_lag_critical: duration(
                "resolved_ts_lag_critical",
                &self.resolved_ts_lag_critical,
                d.resolved_ts_lag_critical,
            )?,
            runway_warning_days: self.runway_warning_days.unwrap_or(d.runway_warning_days),
            runway_critical_days: self.runway_critical_days.unwrap_or(d.runway_critical_days),
            runway_lookback: duration("runway_lookback", &self.runway_lookback, d.runway_lookback)?,
            raftstore_cpu_critical: self
                .raftstore_cpu_critical
                .unwrap_or(d.raftstore_cpu_critical),
            apply_cpu_critical: self.apply_cpu_critical.unwrap_or(d.apply_cpu_critical),
            write_stall_critical: self.write_stall_critical.unwrap_or(d.write_stall_critical),
            channel_full_critical: self
                .channel_full_critical
                .unwrap_or(d.channel_full_critical),
            leader_drops_warning: self.leader_drops_warning.unwrap_or(d.leader_drops_warning),
            scheduler_busy_warning: self
                .scheduler_busy_warning
                .unwrap_or(d.scheduler_busy_warning),
            scheduler_busy_critical: self
                .scheduler_busy_critical
                .unwrap_or(d.scheduler_busy_critical),
        };
        for (key, value) in [
            ("runway_warning_days", t.runway_warning_days),
            ("runway_critical_days", t.runway_critical_days),
            ("raftstore_cpu_critical", t.raftstore_cpu_critical),
            ("apply_cpu_critical", t.apply_cpu_critical),
            ("write_stall_critical", t.write_stall_critical),
            ("channel_full_critical", t.channel_full_critical),
            ("leader_drops_warning", t.leader_drops_warning),
            ("scheduler_busy_warning", t.scheduler_busy_warning),
            ("scheduler_busy_critical", t.scheduler_busy_critical),
        ] {
            if !value.is_finite() || value < 0.0 {
                return Err(bad(key, format!("{value} is not a number >= 0")));
            }
        }
        if t.runway_lookback < std::time::Duration::from_secs(60) {
            return Err(bad("runway_lookback", "is under a minute".to_owned()));
        }
        if t.runway_critical_days > t.runway_warning_days {
            return Err(bad(
                "runway_critical_days",
                "is above runway_warning_days (runway warns below the larger)".to_owned(),
            ));
        }
        if !(0.0..1.0).contains(&t.low_space_margin) {
            return Err(bad(
                "low_space_margin",
                format!("{} is not in [0, 1)", t.low_space_margin),
            ));
        }
        for (key, warning, critical) in [
            (
                "unhealthy_regions_warning",
                t.unhealthy_regions_warning as f64,
                t.unhealthy_regions_critical as f64,
            ),
            (
                "gc_age_warning",
                t.gc_age_warning.as_secs_f64(),
                t.gc_age_critical.as_secs_f64(),
            ),
            (
                "resolved_ts_lag_warning",
                t.resolved_ts_lag_warning.as_secs_f64(),
                t.resolved_ts_lag_critical.as_secs_f64(),
            ),
            (
                "scheduler_busy_warning",
                t.scheduler_busy_warning,
                t.scheduler_busy_critical,
            ),
        ] {
            if warning > critical {
                return Err(bad(key, "is above its critical threshold".to_owned()));
            }
        }
        Ok(t)
    }
}
