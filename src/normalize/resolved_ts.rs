//! PD's `/min-resolved-ts` to [`ResolvedTs`].

use super::FieldError;
use super::go_duration::parse_go_duration_seconds;
use super::tso::{seconds_between, tso_time};
use crate::model::{Meta, PdId, ResolvedTs, StoreResolvedTs, Tso};
use crate::upstream::pd::wire;

/// A resolved ts: `None` for PD's 0 (not computed yet) and `u64::MAX` (none).
fn known(tso: u64) -> Option<Tso> {
    (tso != 0 && tso != u64::MAX).then_some(Tso(tso))
}

/// Normalizes PD's answer. `stores` is `None` (and the caller warns) when PD gave no per-store
/// values.
pub(crate) fn resolved_ts(
    cluster: &str,
    wire: wire::MinResolvedTs,
    meta: Meta,
) -> Result<ResolvedTs, FieldError> {
    let now = meta.observed_at;
    let lag = |tso: Option<Tso>| {
        let at = tso.and_then(|t| tso_time(t.0));
        (at, at.map(|at| seconds_between(at, now)))
    };
    let min_resolved_ts = known(wire.min_resolved_ts);
    let (min_resolved_ts_at, lag_seconds) = lag(min_resolved_ts);
    let persist_interval_seconds = wire
        .persist_interval
        .as_deref()
        .map(|d| parse_go_duration_seconds(d).map_err(|e| FieldError::new("persist_interval", e)))
        .transpose()?;
    let stores = wire
        .stores_min_resolved_ts
        .map(|map| {
            let mut stores = map
                .into_iter()
                .map(|(id, tso)| {
                    let store_id = id.parse::<u64>().map_err(|_| {
                        FieldError::new(
                            &format!("stores_min_resolved_ts.{id}"),
                            "the key is not a store id",
                        )
                    })?;
                    let min_resolved_ts = known(tso);
                    let (min_resolved_ts_at, lag_seconds) = lag(min_resolved_ts);
                    Ok(StoreResolvedTs {
                        store_id: PdId(store_id),
                        min_resolved_ts,
                        min_resolved_ts_at,
                        lag_seconds,
                    })
                })
                .collect::<Result<Vec<_>, FieldError>>()?;
            stores.sort_by_key(|s| s.store_id);
            Ok::<_, FieldError>(stores)
        })
        .transpose()?;
    Ok(ResolvedTs {
        cluster: cluster.to_owned(),
        min_resolved_ts,
        min_resolved_ts_at,
        lag_seconds,
        is_real_time: wire.is_real_time,
        persist_interval_seconds,
        stores,
        meta,
    })
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;

    #[test]
    fn sentinels_and_per_store_values() {
        let now: Timestamp = "2025-03-10T08:15:30Z".parse().unwrap();
        let ts = (1_741_594_528_500u64 << 18) | 7;
        let body = format!(
            r#"{{"is_real_time":true,"min_resolved_ts":{ts},"persist_interval":"1s",
                "stores_min_resolved_ts":{{"4":{ts},"1":{},"9":18446744073709551615}}}}"#,
            ts + (1000 << 18)
        );
        let wire: wire::MinResolvedTs = serde_json::from_str(&body).unwrap();
        let r = resolved_ts("c", wire, Meta::observed(now)).unwrap();
        assert_eq!(r.min_resolved_ts, Some(Tso(ts)));
        assert_eq!(r.lag_seconds, Some(1.5));
        assert_eq!(r.persist_interval_seconds, Some(1.0));
        let stores = r.stores.unwrap();
        let ids: Vec<u64> = stores.iter().map(|s| s.store_id.0).collect();
        assert_eq!(ids, [1, 4, 9]);
        assert_eq!(stores[0].lag_seconds, Some(0.5));
        assert_eq!(stores[2].min_resolved_ts, None);
        assert_eq!(stores[2].lag_seconds, None);
    }

    #[test]
    fn old_pd_has_no_store_values() {
        let now: Timestamp = "2025-03-10T08:15:30Z".parse().unwrap();
        let wire: wire::MinResolvedTs = serde_json::from_str(
            r#"{"is_real_time":true,"min_resolved_ts":0,"persist_interval":"1s"}"#,
        )
        .unwrap();
        let r = resolved_ts("c", wire, Meta::observed(now)).unwrap();
        assert_eq!(r.stores, None);
        assert_eq!(r.min_resolved_ts, None);
        let bad: wire::MinResolvedTs =
            serde_json::from_str(r#"{"min_resolved_ts":1,"persist_interval":"soon"}"#).unwrap();
        assert_eq!(
            resolved_ts("c", bad, Meta::observed(now))
                .unwrap_err()
                .field,
            "persist_interval"
        );
    }
}
