//! Every PD path tikv-lens reads, known once: the client requests them, and callers that name
//! the source of a bad value in an error take the same text from here.

/// The stores PD lists by default: every state but tombstone.
pub(crate) const STORES: &str = "/pd/api/v1/stores";
/// Every store, tombstones included (the integer form of `state` works from PD v4 on; PD
/// rejects state names with a 500).
pub(crate) const ALL_STORES: &str = "/pd/api/v1/stores?state=0&state=1&state=2";
pub(crate) const MEMBERS: &str = "/pd/api/v1/members";
pub(crate) const HEALTH: &str = "/pd/api/v1/health";
pub(crate) const STATUS: &str = "/pd/api/v1/status";
pub(crate) const REGION_COUNT: &str = "/pd/api/v1/regions/count";
/// A page of regions from a start key (the query carries `key` and `limit`).
pub(crate) const REGIONS_BY_KEY: &str = "/pd/api/v1/regions/key";

/// The stores of `ALL_STORES` or `STORES`.
pub(crate) fn stores(include_tombstones: bool) -> &'static str {
    if include_tombstones {
        ALL_STORES
    } else {
        STORES
    }
}

pub(crate) fn store(id: u64) -> String {
    format!("/pd/api/v1/store/{id}")
}

pub(crate) fn region_by_id(id: u64) -> String {
    format!("/pd/api/v1/region/id/{id}")
}

/// `key`: the start key, percent-encoded raw bytes.
pub(crate) fn regions_by_key(key: &str, limit: u32) -> String {
    format!("{REGIONS_BY_KEY}?key={key}&limit={limit}")
}

pub(crate) fn region_check(kind: &str) -> String {
    format!("/pd/api/v1/regions/check/{kind}")
}

pub(crate) fn hot_regions(kind: &str) -> String {
    format!("/pd/api/v1/hotspot/regions/{kind}")
}

/// Every scheduler but the disabled ones (v7+; before, disabled ones too).
pub(crate) const SCHEDULERS: &str = "/pd/api/v1/schedulers";
/// The paused schedulers with when they were paused and resume.
pub(crate) const SCHEDULERS_PAUSED: &str = "/pd/api/v1/schedulers?status=paused&timestamp=true";
pub(crate) const SCHEDULERS_DISABLED: &str = "/pd/api/v1/schedulers?status=disabled";
pub(crate) const OPERATORS: &str = "/pd/api/v1/operators";
pub(crate) const REPLICATION_CONFIG: &str = "/pd/api/v1/config/replicate";
pub(crate) const PLACEMENT_RULES: &str = "/pd/api/v1/config/placement-rule";
pub(crate) const SCHEDULE_CONFIG: &str = "/pd/api/v1/config/schedule";
pub(crate) const STORE_LIMITS: &str = "/pd/api/v1/stores/limit";
pub(crate) const GC_SAFE_POINT: &str = "/pd/api/v1/gc/safepoint";
/// The cluster's min resolved ts, and per store (`scope=cluster`, PD v7.1+; older PD ignores it).
pub(crate) const MIN_RESOLVED_TS: &str = "/pd/api/v1/min-resolved-ts?scope=cluster";

/// The configuration of the scheduler `name` (a name PD listed).
pub(crate) fn scheduler_config(name: &str) -> String {
    let name: String = url::form_urlencoded::byte_serialize(name.as_bytes()).collect();
    format!("/pd/api/v1/scheduler-config/{name}/list")
}

pub(crate) fn store_progress(id: u64) -> String {
    format!("/pd/api/v1/stores/progress?id={id}")
}

/// `name`: `replica`, `merge`, `rule`, `split`, ...
pub(crate) fn checker(name: &str) -> String {
    format!("/pd/api/v1/checker/{name}")
}
