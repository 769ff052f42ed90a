//! What the upstream clients run on: deadlines and caps for every upstream request, and how long
//! each kind of answer is reused.
//!
//! [`crate::config`] builds these from flags and the config file; the upstream layer never reads
//! configuration itself, so it does not depend on how a setting was typed.

use std::time::Duration;

/// Deadlines and caps applied to every upstream request.
#[derive(Debug, Clone, Copy)]
pub struct UpstreamLimits {
    pub pd_timeout: Duration,
    pub pd_attempt_timeout: Duration,
    pub prometheus_timeout: Duration,
    pub max_body_bytes: usize,
    /// How long a last good answer may stand in, marked stale, while its upstream is down.
    pub stale_window: Duration,
    /// Requests in flight to one cluster's PD at most (identical reads count once).
    pub pd_max_concurrency: usize,
    /// Queries in flight to one cluster's Prometheus at most.
    pub prometheus_max_concurrency: usize,
}

impl Default for UpstreamLimits {
    fn default() -> Self {
        Self {
            pd_timeout: Duration::from_secs(10),
            pd_attempt_timeout: Duration::from_secs(3),
            prometheus_timeout: Duration::from_secs(15),
            max_body_bytes: 64 * 1024 * 1024,
            stale_window: Duration::from_secs(600),
            pd_max_concurrency: 16,
            prometheus_max_concurrency: 16,
        }
    }
}

/// How long each kind of upstream answer is reused. A TTL of zero still coalesces concurrent
/// identical reads into one upstream request; it only stops keeping the answer afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheTtls {
    /// PD's `/stores` and `/store/{id}`.
    pub stores: Duration,
    /// PD's `/members` and `/health`.
    pub members: Duration,
    /// PD's `/status` (version).
    pub pd_status: Duration,
    /// PD's region pages, single regions and region count.
    pub regions: Duration,
    /// PD's region checks (`/regions/check/*`), which list every matching region.
    pub region_health: Duration,
    /// PD's hot-region statistics.
    pub hotspots: Duration,
    /// PD's schedulers and their configuration, operators, store progress and checkers.
    pub scheduling: Duration,
    /// PD's configuration: schedule and replication settings, placement rules, store limits.
    pub pd_config: Duration,
    /// PD's GC safe points and min resolved ts.
    pub safe_points: Duration,
    /// Prometheus queries evaluated now, or ending within the last five minutes (a range query
    /// is also kept at most one step).
    pub prometheus_recent: Duration,
    /// Prometheus queries evaluated, or ending, more than five minutes ago: the data is settled.
    pub prometheus_past: Duration,
}

impl CacheTtls {
    /// Nothing kept: every request reads its upstream (concurrent identical ones still share).
    pub fn uncached() -> Self {
        Self {
            stores: Duration::ZERO,
            members: Duration::ZERO,
            pd_status: Duration::ZERO,
            regions: Duration::ZERO,
            region_health: Duration::ZERO,
            hotspots: Duration::ZERO,
            scheduling: Duration::ZERO,
            pd_config: Duration::ZERO,
            safe_points: Duration::ZERO,
            prometheus_recent: Duration::ZERO,
            prometheus_past: Duration::ZERO,
        }
    }
}

impl Default for CacheTtls {
    fn default() -> Self {
        Self {
            stores: Duration::from_secs(2),
            members: Duration::from_secs(5),
            pd_status: Duration::from_secs(30),
            regions: Duration::from_secs(5),
            region_health: Duration::from_secs(30),
            hotspots: Duration::from_secs(5),
            scheduling: Duration::from_secs(2),
            pd_config: Duration::from_secs(10),
            safe_points: Duration::from_secs(2),
            prometheus_recent: Duration::from_secs(5),
            prometheus_past: Duration::from_secs(300),
        }
    }
}
