//! PD's `StoreInfo` to [`Store`].

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::FieldError;
use super::byte_size::parse_pd_byte_size;
use super::go_duration::parse_go_duration_seconds;
use super::timestamp::{
    parse_pd_timestamp, timestamp_from_unix_nanos, timestamp_from_unix_seconds,
};
use crate::model::{NodeState, PdId, Store, StoreEngine, StoreState};
use crate::upstream::pd::wire;

const MIB: u64 = 1024 * 1024;

/// Normalizes PD's store list, sorted by id (PD lists stores in Go map order).
pub(crate) fn store_list(stores: Vec<wire::StoreInfo>) -> Result<Vec<Store>, FieldError> {
    let mut out = stores
        .into_iter()
        .enumerate()
        .map(|(i, s)| store(s).map_err(|e| e.within(&format!("stores[{i}]"))))
        .collect::<Result<Vec<_>, _>>()?;
    out.sort_by_key(|s| s.id);
    Ok(out)
}

/// Normalizes one store.
pub(crate) fn store(info: wire::StoreInfo) -> Result<Store, FieldError> {
    let wire::StoreInfo {
        store: meta,
        status,
    } = info;
    let labels: BTreeMap<String, String> =
        meta.labels.into_iter().map(|l| (l.key, l.value)).collect();
    let engine = match labels.get("engine") {
        Some(engine) if engine.eq_ignore_ascii_case("tiflash") => StoreEngine::Tiflash,
        _ => StoreEngine::Tikv,
    };
    let size = |field: &str, value: Option<&str>| -> Result<Option<u64>, FieldError> {
        value
            .map(|v| {
                parse_pd_byte_size(v).map_err(|e| FieldError::new(&format!("status.{field}"), e))
            })
            .transpose()
    };
    let time = |field: &str,
                value: Option<&str>|
     -> Result<Option<Option<Timestamp>>, FieldError> {
        value
            .map(|v| {
                parse_pd_timestamp(v).map_err(|e| FieldError::new(&format!("status.{field}"), e))
            })
            .transpose()
    };
    // The status strings carry PD's local zone; the raw store numbers are the fallback for a
    // status without them (they are what PD formats the strings from).
    let started_at = match time("start_ts", status.start_ts.as_deref())? {
        Some(parsed) => parsed,
        None => timestamp_from_unix_seconds(meta.start_timestamp),
    };
    let last_heartbeat_at = match time("last_heartbeat_ts", status.last_heartbeat_ts.as_deref())? {
        Some(parsed) => parsed,
        None => timestamp_from_unix_nanos(meta.last_heartbeat),
    };
    let uptime_seconds = status
        .uptime
        .as_deref()
        .map(|v| parse_go_duration_seconds(v).map_err(|e| FieldError::new("status.uptime", e)))
        .transpose()?;

    // PD prints "0B" for a store it has no statistics from; a store that never heartbeated has
    // none, so its sizes are unknown rather than zero.
    let never_heartbeated = last_heartbeat_at.is_none();
    let size = |field: &str, value: Option<&str>| -> Result<Option<u64>, FieldError> {
        Ok(size(field, value)?.filter(|bytes| !(never_heartbeated && *bytes == 0)))
    };
    Ok(Store {
        id: PdId(meta.id),
        address: meta.address,
        peer_address: meta.peer_address.filter(|a| !a.is_empty()),
        status_address: meta.status_address.filter(|a| !a.is_empty()),
        state: store_state(&meta.state_name, meta.state),
        pd_state_name: meta.state_name,
        node_state: meta.node_state.map(node_state),
        engine,
        labels,
        version: meta.version.filter(|v| !v.is_empty()),
        git_hash: meta.git_hash.filter(|v| !v.is_empty()),
        deploy_path: meta.deploy_path.filter(|v| !v.is_empty()),
        physically_destroyed: meta.physically_destroyed,
        capacity_bytes: size("capacity", status.capacity.as_deref())?,
        available_bytes: size("available", status.available.as_deref())?,
        used_bytes: size("used_size", status.used_size.as_deref())?,
        leader_count: status.leader_count,
        leader_weight: status.leader_weight,
        leader_score: status.leader_score,
        leader_size_bytes: status.leader_size.saturating_mul(MIB),
        region_count: status.region_count,
        region_weight: status.region_weight,
        region_score: status.region_score,
        region_size_bytes: status.region_size.saturating_mul(MIB),
        learner_count: status.learner_count,
        witness_count: status.witness_count,
        pending_peer_count: status.pending_peer_count,
        sending_snapshot_count: status.sending_snap_count,
        receiving_snapshot_count: status.receiving_snap_count,
        is_busy: status.is_busy,
        slow_score: status.slow_score,
        started_at,
        last_heartbeat_at,
        uptime_seconds,
        metrics: None,
    })
}

/// PD's `state_name`, falling back to the numeric `state` when the name is missing.
fn store_state(state_name: &str, state: i64) -> StoreState {
    let by_name = [
        ("Up", StoreState::Up),
        ("Offline", StoreState::Offline),
        ("Tombstone", StoreState::Tombstone),
        ("Disconnected", StoreState::Disconnected),
        ("Down", StoreState::Down),
    ];
    if let Some((_, s)) = by_name
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(state_name))
    {
        return *s;
    }
    match (state_name.is_empty(), state) {
        (true, 0) => StoreState::Up,
        (true, 1) => StoreState::Offline,
        (true, 2) => StoreState::Tombstone,
        _ => StoreState::Unknown,
    }
}

fn node_state(raw: i64) -> NodeState {
    match raw {
        0 => NodeState::Preparing,
        1 => NodeState::Serving,
        2 => NodeState::Removing,
        3 => NodeState::Removed,
        _ => NodeState::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire_store(json: &str) -> wire::StoreInfo {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn state_names_map_and_unknown_keeps_the_raw_name() {
        assert_eq!(store_state("Up", 0), StoreState::Up);
        assert_eq!(store_state("Disconnected", 0), StoreState::Disconnected);
        assert_eq!(store_state("Down", 0), StoreState::Down);
        assert_eq!(store_state("Offline", 1), StoreState::Offline);
        assert_eq!(store_state("Tombstone", 2), StoreState::Tombstone);
        assert_eq!(store_state("", 2), StoreState::Tombstone);
        assert_eq!(store_state("Serving", 0), StoreState::Unknown);
        let s = store(wire_store(
            r#"{"store":{"id":3,"state_name":"Evicting"},"status":{}}"#,
        ))
        .unwrap();
        assert_eq!(s.state, StoreState::Unknown);
        assert_eq!(s.pd_state_name, "Evicting");
    }

    #[test]
    fn never_heartbeated_store_has_null_times() {
        let s = store(wire_store(
            r#"{"store":{"id":8,"address":"a","start_timestamp":1741511405,"state_name":"Down"},
                "status":{"capacity":"0B","available":"0B","used_size":"0B",
                          "start_ts":"2025-03-09T09:10:05Z","last_heartbeat_ts":"1970-01-01T00:00:00Z"}}"#,
        ))
        .unwrap();
        assert_eq!(s.last_heartbeat_at, None);
        assert_eq!(s.uptime_seconds, None);
        assert_eq!(s.capacity_bytes, None, "PD's 0B means no statistics here");
        assert_eq!(s.used_bytes, None);
        assert_eq!(s.started_at.unwrap().to_string(), "2025-03-09T09:10:05Z");
    }

    #[test]
    fn bad_size_names_the_field() {
        let err = store_list(vec![
            wire_store(r#"{"store":{"id":1},"status":{"capacity":"1GiB"}}"#),
            wire_store(r#"{"store":{"id":2},"status":{"capacity":"lots"}}"#),
        ])
        .unwrap_err();
        assert_eq!(err.field, "stores[1].status.capacity");
    }

    #[test]
    fn tiflash_is_recognized_by_label() {
        let s = store(wire_store(
            r#"{"store":{"id":20,"labels":[{"key":"engine","value":"tiflash"}],"state_name":"Up"},"status":{}}"#,
        ))
        .unwrap();
        assert_eq!(s.engine, StoreEngine::Tiflash);
        assert_eq!(s.labels.get("engine").map(String::as_str), Some("tiflash"));
    }

    #[test]
    fn missing_times_fall_back_to_raw_numbers() {
        let s = store(wire_store(
            r#"{"store":{"id":1,"start_timestamp":1740983111,"last_heartbeat":1741594526481079227,"state_name":"Up"},"status":{}}"#,
        ))
        .unwrap();
        assert_eq!(s.started_at.unwrap().to_string(), "2025-03-03T06:25:11Z");
        assert_eq!(
            s.last_heartbeat_at.unwrap().to_string(),
            "2025-03-10T08:15:26.481079227Z"
        );
    }
}
