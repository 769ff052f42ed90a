use jiff::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

use super::{Meta, Tso};

/// Garbage collection of old MVCC versions: how far GC may go, and who holds it back.
///
/// TiKV keeps old versions of every key until GC removes them. GC may only remove versions older
/// than the GC safe point, and the GC safe point may only advance to the smallest service safe
/// point: every service (the GC worker, BR, TiCDC, Dumpling, a RawKV CDC) registers one with a
/// time to live, and an old one holds GC back (disk grows, scans slow down).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GcSafePoints {
    /// The cluster's configured name.
    pub cluster: String,
    /// PD's GC safe point: versions older than this may be removed. `null` when GC never ran
    /// (PD reports 0).
    pub gc_safe_point: Option<Tso>,
    /// When `gc_safe_point` was taken (its physical part, RFC 3339 UTC), or `null`.
    pub gc_safe_point_at: Option<Timestamp>,
    /// Seconds from `gc_safe_point_at` to `observed_at`: how much history GC keeps. `null` with
    /// `gc_safe_point`.
    pub gc_safe_point_age_seconds: Option<f64>,
    /// The smallest service safe point that has not expired: the GC safe point cannot pass it.
    /// PD v8 reports it; for older PD it is computed from `service_safe_points`. `null` when every
    /// service safe point has expired or there is none.
    pub min_service_safe_point: Option<Tso>,
    /// When `min_service_safe_point` was taken, or `null`.
    pub min_service_safe_point_at: Option<Timestamp>,
    /// Seconds from `min_service_safe_point_at` to `observed_at`, or `null`.
    pub min_service_safe_point_age_seconds: Option<f64>,
    /// The service whose unexpired safe point is the smallest: the one holding GC back the most
    /// (`gc_worker` when no other service lags behind it). `null` when there is none.
    pub held_back_by: Option<String>,
    /// Every service safe point PD keeps, expired ones included (PD removes those lazily), sorted
    /// by safe point, oldest first.
    pub service_safe_points: Vec<ServiceSafePoint>,
    // `stale`, `observed_at` and `warnings`, the answer's last keys.
    #[serde(flatten)]
    pub meta: Meta,
}

/// One service's GC safe point.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ServiceSafePoint {
    /// The service's id as it registered (`gc_worker`, `br-<uuid>`, `ticdc-…`).
    pub service_id: String,
    /// The service's safe point: it needs versions from this TSO on. `null` when PD reports 0.
    pub safe_point: Option<Tso>,
    /// When `safe_point` was taken (RFC 3339 UTC), or `null`.
    pub safe_point_at: Option<Timestamp>,
    /// Seconds from `safe_point_at` to `observed_at`: how far behind now this service holds GC.
    pub age_seconds: Option<f64>,
    /// When the safe point expires unless the service renews it (RFC 3339 UTC); `null` for never
    /// (PD's `gc_worker` entry, whose `expired_at` is the largest 64-bit integer).
    pub expires_at: Option<Timestamp>,
    /// `true` when `expires_at` has passed: PD ignores the safe point and removes it later.
    pub expired: bool,
}

impl GcSafePoints {
    /// The service safe point holding GC back the most, if any.
    pub fn holder(&self) -> Option<&ServiceSafePoint> {
        self.held_back_by
            .as_deref()
            .and_then(|id| self.service_safe_points.iter().find(|s| s.service_id == id))
    }
}
