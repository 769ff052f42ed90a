//! Which series of a Prometheus are one cluster's: the label matchers every curated query
//! carries (a Prometheus, Thanos or Mimir shared by many clusters), the label that names a
//! store (PD's status address), and the scrape interval that sizes rate windows.

use std::time::Duration;

/// A valid Prometheus label name (`[a-zA-Z_][a-zA-Z0-9_]*`, not starting with the reserved
/// `__`), so it can stand unquoted in a matcher and in `by (…)`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LabelName(String);

impl LabelName {
    /// Checks `name`; the error says what a label name may be.
    pub fn parse(name: &str) -> Result<Self, String> {
        let mut chars = name.chars();
        let first_ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !first_ok || !rest_ok {
            return Err(format!(
                "{name:?} is not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)"
            ));
        }
        if name.starts_with("__") {
            return Err(format!(
                "{name:?}: label names starting with \"__\" are reserved by Prometheus"
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One cluster's series in its Prometheus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesSelection {
    /// Equality matchers every curated query carries, e.g. `tidb_cluster="prod"`; empty for a
    /// Prometheus of one cluster.
    pub labels: Vec<(LabelName, String)>,
    /// The label whose value is a store's status address (`instance` by default).
    pub join_label: LabelName,
    /// How often Prometheus scrapes TiKV; rate windows are `max(4 × this, 1m)`.
    pub scrape_interval: Duration,
}

impl SeriesSelection {
    /// The default scrape interval (Prometheus' own default is 1m; TiDB's deployments use 15s).
    pub const DEFAULT_SCRAPE_INTERVAL: Duration = Duration::from_secs(15);

    /// The rate window for this scrape interval, like Grafana's `$__rate_interval`: four
    /// scrapes, and never under a minute (TiKV's dashboards' window).
    pub fn rate_window(&self) -> Duration {
        (self.scrape_interval * 4).max(Duration::from_secs(60))
    }
}

impl Default for SeriesSelection {
    fn default() -> Self {
        Self {
            labels: Vec::new(),
            join_label: LabelName("instance".to_owned()),
            scrape_interval: Self::DEFAULT_SCRAPE_INTERVAL,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_names() {
        for ok in ["instance", "tidb_cluster", "_x", "k8s_cluster", "A1"] {
            assert_eq!(LabelName::parse(ok).unwrap().as_str(), ok);
        }
        for bad in ["", "1a", "a-b", "a.b", "a b", "__name__", "a\"", "ü"] {
            assert!(LabelName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn rate_windows_follow_the_scrape_interval() {
        let window = |s| {
            SeriesSelection {
                scrape_interval: Duration::from_secs(s),
                ..Default::default()
            }
            .rate_window()
        };
        assert_eq!(window(15), Duration::from_secs(60));
        assert_eq!(window(5), Duration::from_secs(60));
        assert_eq!(window(30), Duration::from_secs(120));
        assert_eq!(window(60), Duration::from_secs(240));
    }
}
