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
