use jiff::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

use super::{Meta, PdId, Tso};

/// The cluster's minimum resolved timestamp: every transaction committed before it is visible
/// to stale reads and CDC. Its lag behind now is how stale a stale read at "as fresh as
/// possible" is.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResolvedTs {
    /// The cluster's configured name.
    pub cluster: String,
    /// PD's cluster-wide minimum resolved timestamp (the smallest over the stores that lead
    /// regions). `null` when PD has none yet (it reports 0, or the largest 64-bit integer before
    /// the cluster is initialized).
    pub min_resolved_ts: Option<Tso>,
    /// When `min_resolved_ts` was taken (its physical part, RFC 3339 UTC), or `null`.
    pub min_resolved_ts_at: Option<Timestamp>,
    /// Seconds from `min_resolved_ts_at` to `observed_at`: how far the resolved timestamp lags.
    pub lag_seconds: Option<f64>,
    /// Whether PD computes and persists it (its `min-resolved-ts-persistence-interval` is not
    /// zero); when `false`, `min_resolved_ts` does not advance.
    pub is_real_time: bool,
    /// How often PD recomputes it, in seconds; `null` when PD did not say.
    pub persist_interval_seconds: Option<f64>,
    /// Per store, sorted by store id (PD v7.1+, `?scope=cluster`); `null` when PD does not give
    /// per-store values (a warning says so).
    pub stores: Option<Vec<StoreResolvedTs>>,
    // `stale`, `observed_at` and `warnings`, the answer's last keys.
    #[serde(flatten)]
    pub meta: Meta,
}

/// One store's minimum resolved timestamp.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StoreResolvedTs {
    /// The store id.
    pub store_id: PdId,
    /// The store's minimum resolved timestamp; `null` when PD has none for it (a tombstone, a
    /// TiFlash store, a store leading no region: PD reports the largest 64-bit integer).
    pub min_resolved_ts: Option<Tso>,
    /// When the store's `min_resolved_ts` was taken, or `null`.
    pub min_resolved_ts_at: Option<Timestamp>,
    /// Seconds from `min_resolved_ts_at` to `observed_at`, or `null`.
    pub lag_seconds: Option<f64>,
}
