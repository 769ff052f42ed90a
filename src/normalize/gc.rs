//! PD's `/gc/safepoint` to [`GcSafePoints`]: TSOs with their times and ages, expiries (int64 max
//! is never), and the service holding GC back.

use jiff::Timestamp;

use super::pd_text::expiry_from_unix_seconds;
use super::tso::{seconds_between, tso_time};
use crate::model::{GcSafePoints, Meta, ServiceSafePoint, Tso};
use crate::upstream::pd::wire;

/// A TSO, its time and its age at `now`; all `None` for PD's 0.
fn tso_parts(tso: u64, now: Timestamp) -> (Option<Tso>, Option<Timestamp>, Option<f64>) {
    if tso == 0 {
        return (None, None, None);
    }
    let at = tso_time(tso);
    (Some(Tso(tso)), at, at.map(|at| seconds_between(at, now)))
}

/// Normalizes PD's safe points read at `observed_at`.
pub(crate) fn gc_safe_points(cluster: &str, wire: wire::GcSafePoints, meta: Meta) -> GcSafePoints {
    let now = meta.observed_at;
    let mut services: Vec<ServiceSafePoint> = wire
        .service_gc_safe_points
        .into_iter()
        .map(|s| {
            let (safe_point, safe_point_at, age_seconds) = tso_parts(s.safe_point, now);
            let expires_at = expiry_from_unix_seconds(s.expired_at);
            // PD: a safe point counts while `expired_at > now` (Unix seconds); never expires
            // when `expired_at` is int64 max.
            let expired = s.expired_at != i64::MAX && s.expired_at <= now.as_second();
            ServiceSafePoint {
                service_id: s.service_id,
                safe_point,
                safe_point_at,
                age_seconds,
                expires_at,
                expired,
            }
        })
        .collect();
    services.sort_by(|a, b| {
        (a.safe_point.map(|t| t.0), &a.service_id).cmp(&(b.safe_point.map(|t| t.0), &b.service_id))
    });
    let holder = services
        .iter()
        .find(|s| !s.expired && s.safe_point.is_some());
    let held_back_by = holder.map(|s| s.service_id.clone());
    // PD v8 reports the minimum (omitted when 0); older PD does not, and it is the holder's.
    let min_service = match wire.min_service_gc_safe_point {
        Some(min) if min != 0 => min,
        _ => holder.and_then(|s| s.safe_point).map_or(0, |t| t.0),
    };
    let (gc_safe_point, gc_safe_point_at, gc_safe_point_age_seconds) =
        tso_parts(wire.gc_safe_point, now);
    let (min_service_safe_point, min_service_safe_point_at, min_service_safe_point_age_seconds) =
        tso_parts(min_service, now);
    GcSafePoints {
        cluster: cluster.to_owned(),
        gc_safe_point,
        gc_safe_point_at,
        gc_safe_point_age_seconds,
        min_service_safe_point,
        min_service_safe_point_at,
        min_service_safe_point_age_seconds,
        held_back_by,
        service_safe_points: services,
        meta,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> wire::GcSafePoints {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn the_oldest_unexpired_service_holds_gc_back() {
        // Now: 2025-03-10T08:15:30Z = 1741594530.
        let now: Timestamp = "2025-03-10T08:15:30Z".parse().unwrap();
        let tso = |ms: u64| ms << 18;
        let body = format!(
            r#"{{"service_gc_safe_points":[
                {{"service_id":"br-old","expired_at":1741590000,"safe_point":{}}},
                {{"service_id":"gc_worker","expired_at":9223372036854775807,"safe_point":{}}},
                {{"service_id":"ticdc","expired_at":1741600000,"safe_point":{}}}],
               "gc_safe_point":{}}}"#,
            tso(1_741_500_000_000),
            tso(1_741_593_930_000),
            tso(1_741_592_730_000),
            tso(1_741_592_730_000),
        );
        let gc = gc_safe_points("c", read(&body), Meta::observed(now));
        assert_eq!(gc.held_back_by.as_deref(), Some("ticdc"));
        assert_eq!(gc.min_service_safe_point, Some(Tso(tso(1_741_592_730_000))));
        assert_eq!(gc.min_service_safe_point_age_seconds, Some(1_800.0));
        assert_eq!(gc.gc_safe_point_age_seconds, Some(1_800.0));
        let ids: Vec<&str> = gc
            .service_safe_points
            .iter()
            .map(|s| s.service_id.as_str())
            .collect();
        assert_eq!(ids, ["br-old", "ticdc", "gc_worker"]);
        assert!(gc.service_safe_points[0].expired);
        let worker = &gc.service_safe_points[2];
        assert_eq!(worker.expires_at, None);
        assert!(!worker.expired);
        assert_eq!(worker.age_seconds, Some(600.0));
    }

    #[test]
    fn nothing_set_is_null() {
        let now: Timestamp = "2025-03-10T08:15:30Z".parse().unwrap();
        let gc = gc_safe_points(
            "c",
            read(r#"{"service_gc_safe_points":[],"gc_safe_point":0}"#),
            Meta::observed(now),
        );
        assert_eq!(gc.gc_safe_point, None);
        assert_eq!(gc.gc_safe_point_at, None);
        assert_eq!(gc.held_back_by, None);
        assert_eq!(gc.min_service_safe_point, None);
    }
}
