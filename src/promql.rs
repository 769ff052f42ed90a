//! The PromQL tikv-lens builds itself: the curated store and cluster metrics, with every label
//! value escaped. Nothing a client sends is ever spliced into these queries; the only values
//! in them are store addresses from PD, and those are quoted too.
//!
//! Metric names and labels are those of TiKV's own Grafana dashboards (`tikv_summary.json`,
//! `tikv_details.json`): `process_cpu_seconds_total`, `process_resident_memory_bytes`,
//! `tikv_grpc_msg_duration_seconds`, `tikv_raftstore_region_count`, `tikv_store_size_bytes`.

/// The rate window of every rate in these queries, as TiKV's dashboards use.
pub(crate) const RATE_WINDOW: &str = "1m";

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

/// A label matcher selecting exactly these instances: `instance="a"` for one,
/// `instance=~"a|b"` for several. `None` for none (a selector would match everything).
pub(crate) fn instance_matcher<'a>(instances: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let instances: Vec<&str> = instances.into_iter().collect();
    match instances.as_slice() {
        [] => None,
        [one] => Some(format!("instance={}", quote(one))),
        many => {
            let alternatives: Vec<String> = many.iter().map(|i| regex_literal(i)).collect();
            Some(format!("instance=~{}", quote(&alternatives.join("|"))))
        }
    }
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

    /// The PromQL for the stores `matcher` selects (see [`instance_matcher`]).
    pub(crate) fn promql(self, matcher: &str) -> String {
        let w = RATE_WINDOW;
        match self {
            StoreQuery::Cpu => {
                format!("sum by (instance) (rate(process_cpu_seconds_total{{{matcher}}}[{w}]))")
            }
            StoreQuery::Memory => {
                format!("sum by (instance) (process_resident_memory_bytes{{{matcher}}})")
            }
            StoreQuery::GrpcRate => {
                format!(
                    "sum by (instance) (rate(tikv_grpc_msg_duration_seconds_count{{{matcher},type!=\"kv_gc\"}}[{w}]))"
                )
            }
            StoreQuery::GrpcP99 => format!(
                "histogram_quantile(0.99, sum by (le, instance) (rate(tikv_grpc_msg_duration_seconds_bucket{{{matcher},type!=\"kv_gc\"}}[{w}])))"
            ),
            StoreQuery::RegionCounts => {
                format!(
                    "sum by (instance, type) (tikv_raftstore_region_count{{{matcher},type=~\"region|leader\"}})"
                )
            }
            StoreQuery::StoreSizes => format!(
                "sum by (instance, type) (tikv_store_size_bytes{{{matcher},type=~\"capacity|available|used\"}})"
            ),
        }
    }
}

/// Cluster-wide gRPC requests per second over the selected stores.
pub(crate) fn cluster_grpc_rate(matcher: &str) -> String {
    format!(
        "sum(rate(tikv_grpc_msg_duration_seconds_count{{{matcher},type!=\"kv_gc\"}}[{}]))",
        RATE_WINDOW
    )
}

/// Cluster-wide p99 gRPC duration (seconds) over the selected stores.
pub(crate) fn cluster_grpc_p99(matcher: &str) -> String {
    format!(
        "histogram_quantile(0.99, sum by (le) (rate(tikv_grpc_msg_duration_seconds_bucket{{{matcher},type!=\"kv_gc\"}}[{}])))",
        RATE_WINDOW
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
        assert_eq!(instance_matcher([]), None);
        assert_eq!(
            instance_matcher(["tikv-0:20180"]).unwrap(),
            r#"instance="tikv-0:20180""#
        );
        assert_eq!(
            instance_matcher(["tikv-0:20180", "10.0.1.21:20180"]).unwrap(),
            r#"instance=~"tikv-0:20180|10\\.0\\.1\\.21:20180""#
        );
        assert_eq!(
            StoreQuery::Cpu.promql(r#"instance="a""#),
            r#"sum by (instance) (rate(process_cpu_seconds_total{instance="a"}[1m]))"#
        );
    }

    proptest! {
        #[test]
        fn quote_round_trips(s in "\\PC{0,30}|[\"\\\\{}\n]{0,10}") {
            prop_assert_eq!(unquote(&quote(&s)), Some(s));
        }
    }
}
