//! The PromQL tikv-lens builds itself: the curated store and cluster metrics, with every label
//! value escaped. Nothing a client sends is ever spliced into these queries; the only values
//! in them are store addresses from PD and the configured label matchers of a shared
//! Prometheus, and those are quoted too ([`QueryScope`]).
//!
//! Metric names and labels are those of TiKV's own Grafana dashboards (`tikv_summary.json`,
//! `tikv_details.json`): `process_cpu_seconds_total`, `process_resident_memory_bytes`,
//! `tikv_grpc_msg_duration_seconds`, `tikv_raftstore_region_count`, `tikv_store_size_bytes`.

/// How one cluster's curated queries select its series: the label naming a store (PD's status
/// address, `instance` by default), the extra matchers of a shared Prometheus, and the rate
/// window (`max(4 × scrape interval, 1m)`; `1m`, TiKV's dashboards' window, at 15 s scrapes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueryScope {
    /// A valid label name (checked by the configuration), unquoted in matchers and `by (…)`.
    join_label: String,
    /// `name="value",` for each extra matcher, values quoted; empty without any.
    extra_matchers: String,
    /// A PromQL duration: `1m`, `2m`, `90s`.
    rate_window: String,
    /// The rate window as a duration (half of it is two scrapes at 15 s and slower scrapes).
    window: std::time::Duration,
}

impl QueryScope {
    /// `join_label` and the names in `labels` must be valid label names (the configuration
    /// checks them); values are quoted here.
    pub(crate) fn new<'a>(
        join_label: &str,
        labels: impl IntoIterator<Item = (&'a str, &'a str)>,
        rate_window: std::time::Duration,
    ) -> Self {
        let extra_matchers = labels
            .into_iter()
            .map(|(name, value)| format!("{name}={},", quote(value)))
            .collect();
        Self {
            join_label: join_label.to_owned(),
            extra_matchers,
            rate_window: promql_duration(rate_window),
            window: rate_window,
        }
    }

    /// The label naming a store, by which answers are joined.
    pub(crate) fn join_label(&self) -> &str {
        &self.join_label
    }

    /// The matchers selecting exactly these stores: the extra matchers, then
    /// `instance="a"` for one store or `instance=~"a|b"` for several. `None` for none (a
    /// selector would match everything).
    pub(crate) fn matcher<'a>(
        &self,
        instances: impl IntoIterator<Item = &'a str>,
    ) -> Option<String> {
        let instances: Vec<&str> = instances.into_iter().collect();
        let (label, extra) = (&self.join_label, &self.extra_matchers);
        match instances.as_slice() {
            [] => None,
            [one] => Some(format!("{extra}{label}={}", quote(one))),
            many => {
                let alternatives: Vec<String> = many.iter().map(|i| regex_literal(i)).collect();
                Some(format!(
                    "{extra}{label}=~{}",
                    quote(&alternatives.join("|"))
                ))
            }
        }
    }
}

impl QueryScope {
    /// The matchers of [`QueryScope::matcher`] for these instances, or only the extra matchers
    /// (possibly none: `""`) when no instance is known (the store list could not be read).
    pub(crate) fn selector<'a>(&self, instances: impl IntoIterator<Item = &'a str>) -> String {
        self.matcher(instances)
            .unwrap_or_else(|| self.extra_matchers.trim_end_matches(',').to_owned())
    }

    /// A range of at least `at_least`, and never under two scrapes (half the rate window), so
    /// that `delta` has two samples to compare.
    fn range_of(&self, at_least: std::time::Duration) -> String {
        promql_duration(at_least.max(self.window / 2))
    }
}

/// The checks' PromQL, each grouped by the scope's join label. The alert expressions are those
/// of TiKV's `metrics/alertmanager/tikv.rules.yml`, without their comparison (the threshold is
/// applied by the check, configurably), with two repairs: `apply_.*` is matched as the regular
/// expression the rule means (its `name="apply_.*"` is an equality that matches no thread), and
/// leader drops read `tikv_raftstore_region_count{type="leader"}`, which replaced the rule's
/// `tikv_pd_heartbeat_tick_total` in TiKV 3.0 (tikv/tikv#4092). Scheduler busy has no rule in
/// TiKV; its query is that of TiKV's "Server is busy" dashboard panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CheckQuery {
    /// Days until each store's available bytes reach zero at the trend of `lookback`
    /// (`predict_linear`'s slope: its line now minus its line in a day): positive when
    /// filling, negative or infinite when not.
    CapacityRunway,
    /// Raftstore threads' cores per instance (`TiKV_raftstore_thread_cpu_seconds_total`).
    RaftstoreCpu,
    /// The busiest apply thread's cores per instance (`TiKV_thread_apply_worker_cpu_seconds`).
    ApplyCpu,
    /// Write stall change over 10 minutes (`TiKV_write_stall`).
    WriteStall,
    /// Channel-full events per second over 10 minutes, by `type` (`TiKV_channel_full_total`).
    ChannelFull,
    /// Leader count change over 30 s (`TiKV_leader_drops`).
    LeaderDrops,
    /// Writes the scheduler rejected as too busy, per second (the "Server is busy" panel).
    SchedulerBusy,
}

impl CheckQuery {
    pub(crate) const ALL: [CheckQuery; 7] = [
        CheckQuery::CapacityRunway,
        CheckQuery::RaftstoreCpu,
        CheckQuery::ApplyCpu,
        CheckQuery::WriteStall,
        CheckQuery::ChannelFull,
        CheckQuery::LeaderDrops,
        CheckQuery::SchedulerBusy,
    ];

    /// The PromQL over the series `matcher` selects (see [`QueryScope::selector`]); `lookback`
    /// is the capacity trend's range.
    pub(crate) fn promql(
        self,
        scope: &QueryScope,
        matcher: &str,
        lookback: std::time::Duration,
    ) -> String {
        use std::time::Duration;
        let w = &scope.rate_window;
        let by = &scope.join_label;
        let sep = if matcher.is_empty() { "" } else { "," };
        match self {
            CheckQuery::CapacityRunway => {
                let available =
                    format!("tikv_store_size_bytes{{{matcher}{sep}type=\"available\"}}");
                // The fitted line now minus the fitted line in a day is exactly the bytes lost
                // per day at the trend; the last sample minus the line in a day would also count
                // how far that sample sits off the line, which swamps a slow trend.
                let range = promql_duration(lookback);
                format!(
                    "min by ({by}) ({available} / (predict_linear({available}[{range}], 0) - predict_linear({available}[{range}], 86400)))"
                )
            }
            CheckQuery::RaftstoreCpu => format!(
                "sum by ({by}) (rate(tikv_thread_cpu_seconds_total{{{matcher}{sep}name=~\"(raftstore|rs)_.*\"}}[{w}]))"
            ),
            CheckQuery::ApplyCpu => format!(
                "max by ({by}) (rate(tikv_thread_cpu_seconds_total{{{matcher}{sep}name=~\"apply_.*\"}}[{w}]))"
            ),
            CheckQuery::WriteStall => format!(
                "max by ({by}) (delta(tikv_engine_write_stall{{{matcher}}}[{}]))",
                scope.range_of(Duration::from_secs(600))
            ),
            CheckQuery::ChannelFull => format!(
                "sum by ({by}, type) (rate(tikv_channel_full_total{{{matcher}}}[{}]))",
                scope.range_of(Duration::from_secs(600))
            ),
            CheckQuery::LeaderDrops => format!(
                "min by ({by}) (delta(tikv_raftstore_region_count{{{matcher}{sep}type=\"leader\"}}[{}]))",
                scope.range_of(Duration::from_secs(30))
            ),
            CheckQuery::SchedulerBusy => {
                format!("sum by ({by}) (rate(tikv_scheduler_too_busy_total{{{matcher}}}[{w}]))")
            }
        }
    }
}

impl Default for QueryScope {
    fn default() -> Self {
        Self::new("instance", [], std::time::Duration::from_secs(60))
    }
}

/// A duration as PromQL writes it, in the largest whole unit: `1m`, `90s`, `1500ms`.
fn promql_duration(d: std::time::Duration) -> String {
    let ms = d.as_millis().max(1);
    if ms.is_multiple_of(3_600_000) {
        format!("{}h", ms / 3_600_000)
    } else if ms.is_multiple_of(60_000) {
        format!("{}m", ms / 60_000)
    } else if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// A PromQL double-quoted string literal holding `value` exactly.
pub(crate) fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `value` as an RE2 regular expression that matches exactly it (Go's `regexp.QuoteMeta`).
pub(crate) fn regex_literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The curated per-store metrics, one query each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StoreQuery {
    /// Cores, by instance.
    Cpu,
    /// Resident bytes, by instance.
    Memory,
    /// gRPC requests per second, by instance.
    GrpcRate,
    /// p99 gRPC duration in seconds, by instance.
    GrpcP99,
    /// Region and leader counts, by instance and `type` (`region`, `leader`).
    RegionCounts,
    /// Capacity, available and used bytes, by instance and `type`.
    StoreSizes,
}

impl StoreQuery {
    pub(crate) const ALL: [StoreQuery; 6] = [
        StoreQuery::Cpu,
        StoreQuery::Memory,
        StoreQuery::GrpcRate,
        StoreQuery::GrpcP99,
        StoreQuery::RegionCounts,
        StoreQuery::StoreSizes,
    ];

    /// What the query measures, for warnings.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            StoreQuery::Cpu => "CPU",
            StoreQuery::Memory => "memory",
            StoreQuery::GrpcRate => "gRPC request rate",
            StoreQuery::GrpcP99 => "gRPC p99 latency",
            StoreQuery::RegionCounts => "region and leader counts",
            StoreQuery::StoreSizes => "store sizes",
        }
    }

    /// The PromQL for the stores `matcher` selects (see [`QueryScope::matcher`]), grouped by
    /// the scope's join label.
    pub(crate) fn promql(self, scope: &QueryScope, matcher: &str) -> String {
        let w = &scope.rate_window;
        let by = &scope.join_label;
        match self {
            StoreQuery::Cpu => {
                format!("sum by ({by}) (rate(process_cpu_seconds_total{{{matcher}}}[{w}]))")
            }
            StoreQuery::Memory => {
                format!("sum by ({by}) (process_resident_memory_bytes{{{matcher}}})")
            }
            StoreQuery::GrpcRate => {
                format!(
                    "sum by ({by}) (rate(tikv_grpc_msg_duration_seconds_count{{{matcher},type!=\"kv_gc\"}}[{w}]))"
                )
            }
            StoreQuery::GrpcP99 => format!(
                "histogram_quantile(0.99, sum by (le, {by}) (rate(tikv_grpc_msg_duration_seconds_bucket{{{matcher},type!=\"kv_gc\"}}[{w}])))"
            ),
            StoreQuery::RegionCounts => {
                format!(
                    "sum by ({by}, type) (tikv_raftstore_region_count{{{matcher},type=~\"region|leader\"}})"
                )
            }
            StoreQuery::StoreSizes => format!(
                "sum by ({by}, type) (tikv_store_size_bytes{{{matcher},type=~\"capacity|available|used\"}})"
            ),
        }
    }
}

/// Cluster-wide gRPC requests per second over the selected stores.
pub(crate) fn cluster_grpc_rate(scope: &QueryScope, matcher: &str) -> String {
    format!(
        "sum(rate(tikv_grpc_msg_duration_seconds_count{{{matcher},type!=\"kv_gc\"}}[{}]))",
        scope.rate_window
    )
}

/// Cluster-wide p99 gRPC duration (seconds) over the selected stores.
pub(crate) fn cluster_grpc_p99(scope: &QueryScope, matcher: &str) -> String {
    format!(
        "histogram_quantile(0.99, sum by (le) (rate(tikv_grpc_msg_duration_seconds_bucket{{{matcher},type!=\"kv_gc\"}}[{}])))",
        scope.rate_window
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Reads a quoted literal back the way PromQL (Go's strconv.Unquote) would.
    fn unquote(s: &str) -> Option<String> {
        let inner = s.strip_prefix('"')?.strip_suffix('"')?;
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => return None, // an unescaped quote would end the literal early
                '\\' => match chars.next()? {
                    '\\' => out.push('\\'),
                    '"' => out.push('"'),
                    'n' => out.push('\n'),
                    'r' => out.push('\r'),
                    't' => out.push('\t'),
                    'u' => {
                        let hex: String = chars.by_ref().take(4).collect();
                        out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                    }
                    _ => return None,
                },
                c => out.push(c),
            }
        }
        Some(out)
    }

    #[test]
    fn injection_attempts_stay_inside_the_literal() {
        for hostile in [
            r#"a"} or vector(1) #"#,
            "x\n}",
            "{",
            "}",
            r"\",
            r#"\""#,
            "tikv-0:20180\"}[5m])",
        ] {
            let q = quote(hostile);
            assert_eq!(unquote(&q).as_deref(), Some(hostile), "{q}");
        }
    }

    #[test]
    fn regex_literals_escape_metacharacters() {
        assert_eq!(
            regex_literal("tikv-0.example:20180"),
            r"tikv-0\.example:20180"
        );
        assert_eq!(regex_literal("a|b(c)"), r"a\|b\(c\)");
    }

    #[test]
    fn matchers() {
        let scope = QueryScope::default();
        assert_eq!(scope.matcher([]), None);
        assert_eq!(
            scope.matcher(["tikv-0:20180"]).unwrap(),
            r#"instance="tikv-0:20180""#
        );
        assert_eq!(
            scope.matcher(["tikv-0:20180", "10.0.1.21:20180"]).unwrap(),
            r#"instance=~"tikv-0:20180|10\\.0\\.1\\.21:20180""#
        );
        assert_eq!(
            StoreQuery::Cpu.promql(&scope, r#"instance="a""#),
            r#"sum by (instance) (rate(process_cpu_seconds_total{instance="a"}[1m]))"#
        );
    }

    #[test]
    fn a_shared_prometheus_scope_carries_its_matchers_join_label_and_window() {
        let scope = QueryScope::new(
            "pod_address",
            [("k8s_cluster", "eu1"), ("tidb_cluster", r#"pr"od"#)],
            std::time::Duration::from_secs(120),
        );
        let matcher = scope.matcher(["tikv-0:20180"]).unwrap();
        assert_eq!(
            matcher,
            r#"k8s_cluster="eu1",tidb_cluster="pr\"od",pod_address="tikv-0:20180""#
        );
        assert_eq!(
            StoreQuery::GrpcP99.promql(&scope, &matcher),
            format!(
                r#"histogram_quantile(0.99, sum by (le, pod_address) (rate(tikv_grpc_msg_duration_seconds_bucket{{{matcher},type!="kv_gc"}}[2m])))"#
            )
        );
        assert_eq!(
            cluster_grpc_rate(&scope, &matcher),
            format!(
                r#"sum(rate(tikv_grpc_msg_duration_seconds_count{{{matcher},type!="kv_gc"}}[2m]))"#
            )
        );
    }

    #[test]
    fn check_queries_carry_the_matchers_and_windows() {
        use std::time::Duration;
        let scope = QueryScope::new("pod", [("k8s", "eu1")], Duration::from_secs(120));
        let m = scope.selector(["a:20180"]);
        assert_eq!(m, r#"k8s="eu1",pod="a:20180""#);
        assert_eq!(scope.selector([]), r#"k8s="eu1""#);
        assert_eq!(QueryScope::default().selector([]), "");
        let lookback = Duration::from_secs(6 * 3600);
        assert_eq!(
            CheckQuery::LeaderDrops.promql(&scope, &m, lookback),
            format!(
                r#"min by (pod) (delta(tikv_raftstore_region_count{{{m},type="leader"}}[1m]))"#
            )
        );
        assert_eq!(
            CheckQuery::LeaderDrops.promql(&QueryScope::default(), "", lookback),
            r#"min by (instance) (delta(tikv_raftstore_region_count{type="leader"}[30s]))"#
        );
        assert_eq!(
            CheckQuery::SchedulerBusy.promql(&scope, &m, lookback),
            format!(r"sum by (pod) (rate(tikv_scheduler_too_busy_total{{{m}}}[2m]))")
        );
        assert_eq!(
            CheckQuery::SchedulerBusy.promql(&QueryScope::default(), "", lookback),
            r"sum by (instance) (rate(tikv_scheduler_too_busy_total{}[1m]))"
        );
        assert_eq!(
            CheckQuery::RaftstoreCpu.promql(&scope, &m, lookback),
            format!(
                r#"sum by (pod) (rate(tikv_thread_cpu_seconds_total{{{m},name=~"(raftstore|rs)_.*"}}[2m]))"#
            )
        );
        assert_eq!(
            CheckQuery::WriteStall.promql(&scope, &m, lookback),
            format!(r"max by (pod) (delta(tikv_engine_write_stall{{{m}}}[10m]))")
        );
        let a = format!(r#"tikv_store_size_bytes{{{m},type="available"}}"#);
        assert_eq!(
            CheckQuery::CapacityRunway.promql(&scope, &m, lookback),
            format!(
                "min by (pod) ({a} / (predict_linear({a}[6h], 0) - predict_linear({a}[6h], 86400)))"
            )
        );
    }

    #[test]
    fn durations_in_promql() {
        use std::time::Duration;
        assert_eq!(promql_duration(Duration::from_secs(60)), "1m");
        assert_eq!(promql_duration(Duration::from_secs(120)), "2m");
        assert_eq!(promql_duration(Duration::from_secs(90)), "90s");
        assert_eq!(promql_duration(Duration::from_millis(1500)), "1500ms");
    }

    proptest! {
        #[test]
        fn quote_round_trips(s in "\\PC{0,30}|[\"\\\\{}\n]{0,10}") {
            prop_assert_eq!(unquote(&quote(&s)), Some(s));
        }
    }
}
