//! PD v8.5's response objects, field by field in Go's order with its `omitempty` rules (see
//! `tests/fixtures/pd/UPSTREAM-NOTES.md` §3). `rd.JSON` bodies are indented; region bodies are
//! easyjson's compact output.

use std::collections::BTreeMap;

use super::activity::{EVICT_LEADER_BATCH, Progress, RECOVERY_DURATION, SafePoints};
use super::cluster::{
    PD_BUILD_TS, PD_DEPLOY_PATH, PD_GIT_HASH, PD_VERSION, SimCluster, SimMember, SimStore,
};
use super::go_format::{
    JsonWriter, Layout, go_byte_size, go_duration, go_rfc3339_nano, push_upper_hex,
};
use super::hot::HotPeer;
use super::regions::{Moment, PeerRole, SimPeer, SimRegion};
use super::timeline::{SECOND, SimStoreState, store_id};

/// `{"store": MetaStore, "status": StoreStatus}`.
pub(crate) fn write_store_info(w: &mut JsonWriter, store: &SimStore) {
    w.begin_object();
    w.key("store");
    w.begin_object();
    w.field_u64("id", store.id);
    w.field_str("address", &store.address);
    if store.meta_state != 0 {
        w.field_u64("state", u64::from(store.meta_state));
    }
    if !store.labels.is_empty() {
        w.key("labels");
        w.begin_array();
        for (key, value) in &store.labels {
            w.begin_object();
            w.field_str("key", key);
            w.field_str("value", value);
            w.end_object();
        }
        w.end_array();
    }
    w.field_str("version", store.version);
    w.field_str("peer_address", &store.peer_address);
    w.field_str("status_address", &store.status_address);
    w.field_str("git_hash", store.git_hash);
    if store.start_timestamp != 0 {
        w.field_i64("start_timestamp", store.start_timestamp);
    }
    w.field_str("deploy_path", store.deploy_path);
    if store.last_heartbeat_ns != 0 {
        w.field_i64("last_heartbeat", store.last_heartbeat_ns);
    }
    if store.node_state != 0 {
        w.field_u64("node_state", u64::from(store.node_state));
    }
    w.field_str("state_name", store.state.name());
    w.end_object();

    w.key("status");
    w.begin_object();
    w.field_str("capacity", &go_byte_size(store.capacity_bytes));
    w.field_str("available", &go_byte_size(store.available_bytes));
    w.field_str("used_size", &go_byte_size(store.used_bytes));
    w.field_u64("leader_count", store.leader_count);
    w.field_f64("leader_weight", 1.0);
    w.field_f64("leader_score", store.leader_score);
    w.field_u64("leader_size", store.leader_size_mib);
    w.field_u64("region_count", store.region_count);
    w.field_f64("region_weight", 1.0);
    w.field_f64("region_score", store.region_score);
    w.field_u64("region_size", store.region_size_mib);
    if store.learner_count != 0 {
        w.field_u64("learner_count", store.learner_count);
    }
    if store.pending_peer_count != 0 {
        w.field_u64("pending_peer_count", store.pending_peer_count);
    }
    w.field_f64("slow_score", 1.0);
    w.key("slow_trend");
    w.begin_object();
    w.field_f64("cause_value", store.slow_trend_cause_value);
    w.field_f64("cause_rate", 0.0);
    w.field_f64("result_value", store.slow_trend_result_value);
    w.field_f64("result_rate", 0.0);
    w.end_object();
    if store.sending_snap_count != 0 {
        w.field_u64("sending_snap_count", store.sending_snap_count);
    }
    if store.receiving_snap_count != 0 {
        w.field_u64("receiving_snap_count", store.receiving_snap_count);
    }
    w.field_str(
        "start_ts",
        &go_rfc3339_nano(store.start_timestamp * 1_000_000_000),
    );
    w.field_str(
        "last_heartbeat_ts",
        &go_rfc3339_nano(store.last_heartbeat_ns),
    );
    if let Some(uptime) = store.uptime_ns() {
        w.field_str("uptime", &go_duration(uptime));
    }
    w.end_object();
    w.end_object();
}

pub(crate) fn stores_body(stores: &[SimStore]) -> String {
    let mut w = JsonWriter::with_capacity(Layout::Indent, 2048 * (stores.len() + 1));
    w.begin_object();
    w.field_u64("count", stores.len() as u64);
    w.key("stores");
    w.begin_array();
    for store in stores {
        write_store_info(&mut w, store);
    }
    w.end_array();
    w.end_object();
    w.finish_indented()
}

pub(crate) fn store_body(store: &SimStore) -> String {
    let mut w = JsonWriter::with_capacity(Layout::Indent, 2048);
    write_store_info(&mut w, store);
    w.finish_indented()
}

/// easyjson's MetaPeer: `role_name` first, `is_learner` only when true, `role` only when not 0.
fn write_peer(w: &mut JsonWriter, peer: &SimPeer) {
    w.begin_object();
    match peer.role {
        PeerRole::Voter => {
            w.key("role_name");
            w.plain_string("Voter");
            w.field_u64("id", peer.id);
            w.field_u64("store_id", peer.store_id);
        }
        PeerRole::Learner => {
            w.key("role_name");
            w.plain_string("Learner");
            w.field_bool("is_learner", true);
            w.field_u64("id", peer.id);
            w.field_u64("store_id", peer.store_id);
            w.field_u64("role", 1);
        }
    }
    w.end_object();
}

fn write_hex_key(w: &mut JsonWriter, name: &str, key: &[u8]) {
    let mut hex = String::with_capacity(key.len() * 2);
    push_upper_hex(&mut hex, key);
    w.key(name);
    w.plain_string(&hex);
}

/// easyjson's RegionInfo (v8.5: no `approximate_kv_size`, no `buckets`).
pub(crate) fn write_region(w: &mut JsonWriter, region: &SimRegion) {
    w.begin_object();
    w.field_u64("id", region.id);
    write_hex_key(w, "start_key", &region.start_key);
    write_hex_key(w, "end_key", &region.end_key);
    w.key("epoch");
    w.begin_object();
    if region.conf_ver != 0 {
        w.field_u64("conf_ver", region.conf_ver);
    }
    if region.version != 0 {
        w.field_u64("version", region.version);
    }
    w.end_object();
    if !region.peers().is_empty() {
        w.key("peers");
        w.begin_array();
        for peer in region.peers() {
            write_peer(w, peer);
        }
        w.end_array();
    }
    w.key("leader");
    match &region.leader {
        Some(leader) => write_peer(w, leader),
        None => {
            w.begin_object();
            w.key("role_name");
            w.plain_string("");
            w.end_object();
        }
    }
    if !region.down_peers().is_empty() {
        w.key("down_peers");
        w.begin_array();
        for (peer, down_seconds) in region.down_peers() {
            w.begin_object();
            w.key("peer");
            write_peer(w, peer);
            if *down_seconds != 0 {
                w.field_u64("down_seconds", *down_seconds);
            }
            w.end_object();
        }
        w.end_array();
    }
    if !region.pending_peers().is_empty() {
        w.key("pending_peers");
        w.begin_array();
        for peer in region.pending_peers() {
            write_peer(w, peer);
        }
        w.end_array();
    }
    w.field_u64("cpu_usage", region.cpu_usage);
    w.field_u64("written_bytes", region.written_bytes);
    w.field_u64("read_bytes", region.read_bytes);
    w.field_u64("written_keys", region.written_keys);
    w.field_u64("read_keys", region.read_keys);
    w.field_u64("approximate_size", region.approximate_size);
    w.field_u64("approximate_keys", region.approximate_keys);
    w.end_object();
}

pub(crate) fn region_body(region: &SimRegion) -> String {
    let mut w = JsonWriter::with_capacity(Layout::Compact, 640);
    write_region(&mut w, region);
    w.into_string()
}

/// v8.0–v8.5 answer for a region that does not exist (tikv/pd#8868): a 200 with zero values.
pub(crate) const MISSING_REGION_BODY: &str = r#"{"id":0,"start_key":"","end_key":"","leader":{"role_name":""},"cpu_usage":0,"written_bytes":0,"read_bytes":0,"written_keys":0,"read_keys":0,"approximate_size":0,"approximate_keys":0}"#;

fn write_member(w: &mut JsonWriter, member: &SimMember, full: bool) {
    w.begin_object();
    w.field_str("name", &member.name);
    w.field_u64("member_id", member.member_id);
    w.key("peer_urls");
    w.begin_array();
    w.string(&member.peer_url);
    w.end_array();
    w.key("client_urls");
    w.begin_array();
    w.string(&member.client_url);
    w.end_array();
    if full {
        w.field_str("deploy_path", PD_DEPLOY_PATH);
        w.field_str("binary_version", PD_VERSION);
        w.field_str("git_hash", PD_GIT_HASH);
    }
    w.end_object();
}

pub(crate) fn members_body(cluster: &SimCluster) -> String {
    let mut w = JsonWriter::new(Layout::Indent);
    w.begin_object();
    w.key("header");
    w.begin_object();
    w.field_u64("cluster_id", cluster.cluster_id());
    w.end_object();
    w.key("members");
    w.begin_array();
    for member in cluster.members() {
        write_member(&mut w, member, true);
    }
    w.end_array();
    w.key("leader");
    write_member(&mut w, cluster.leader(), true);
    w.key("etcd_leader");
    write_member(&mut w, cluster.leader(), true);
    w.end_object();
    w.finish_indented()
}

pub(crate) fn leader_body(cluster: &SimCluster) -> String {
    let mut w = JsonWriter::new(Layout::Indent);
    write_member(&mut w, cluster.leader(), false);
    w.finish_indented()
}

pub(crate) fn health_body(cluster: &SimCluster) -> String {
    let mut w = JsonWriter::new(Layout::Indent);
    w.begin_array();
    for member in cluster.members() {
        w.begin_object();
        w.field_str("name", &member.name);
        w.field_u64("member_id", member.member_id);
        w.key("client_urls");
        w.begin_array();
        w.string(&member.client_url);
        w.end_array();
        w.field_bool("health", true);
        w.end_object();
    }
    w.end_array();
    w.finish_indented()
}

pub(crate) fn status_body(cluster: &SimCluster) -> String {
    let mut w = JsonWriter::new(Layout::Indent);
    w.begin_object();
    w.field_str("build_ts", PD_BUILD_TS);
    w.field_str("version", PD_VERSION);
    w.field_str("git_hash", PD_GIT_HASH);
    w.field_i64("start_timestamp", cluster.pd_start_timestamp());
    w.end_object();
    w.finish_indented()
}

pub(crate) fn version_body() -> String {
    let mut w = JsonWriter::new(Layout::Indent);
    w.begin_object();
    w.field_str("version", PD_VERSION);
    w.field_str("build_time", "");
    w.field_str("hash", "");
    w.field_str("branch", "");
    w.end_object();
    w.finish_indented()
}

pub(crate) fn cluster_body(cluster: &SimCluster) -> String {
    let mut w = JsonWriter::new(Layout::Indent);
    w.begin_object();
    w.field_u64("id", cluster.cluster_id());
    w.field_u64("max_peer_count", 3);
    w.end_object();
    w.finish_indented()
}

pub(crate) fn cluster_status_body(cluster: &SimCluster) -> String {
    let mut w = JsonWriter::new(Layout::Indent);
    w.begin_object();
    w.field_str(
        "raft_bootstrap_time",
        &go_rfc3339_nano(cluster.raft_bootstrap_ns()),
    );
    w.field_bool("is_initialized", true);
    w.field_str("replication_status", "");
    w.end_object();
    w.finish_indented()
}

pub(crate) fn regions_count_body(count: u64) -> String {
    let mut w = JsonWriter::new(Layout::Indent);
    w.begin_object();
    w.field_u64("count", count);
    w.key("regions");
    w.null();
    w.end_object();
    w.finish_indented()
}

/// `GET /schedulers`, or a `?status=` list: names.
pub(crate) fn scheduler_names_body(names: &[&str]) -> String {
    let mut w = JsonWriter::new(Layout::Indent);
    w.begin_array();
    for name in names {
        w.string(name);
    }
    w.end_array();
    w.finish_indented()
}

/// `GET /schedulers?status=paused&timestamp`: `schedulerPausedPeriod`s, times as
/// `time.Unix(s, 0)` in PD's zone (UTC here).
pub(crate) fn paused_schedulers_body(paused: &[(&str, i64, i64)]) -> String {
    let mut w = JsonWriter::new(Layout::Indent);
    w.begin_array();
    for (name, at, until) in paused {
        w.begin_object();
        w.field_str("name", name);
        w.field_str("paused_at", &go_rfc3339_nano(at * SECOND));
        w.field_str("resume_at", &go_rfc3339_nano(until * SECOND));
        w.end_object();
    }
    w.end_array();
    w.finish_indented()
}

/// `GET /scheduler-config/evict-leader-scheduler/list`: the stores with their key ranges (the
/// whole key space: `[]byte("")` encodes as `""`) and the batch size.
pub(crate) fn evict_leader_config_body(store_ids: &[u64]) -> String {
    let mut ids: Vec<String> = store_ids.iter().map(u64::to_string).collect();
    ids.sort();
    let mut w = JsonWriter::new(Layout::Indent);
    w.begin_object();
    w.key("store-id-ranges");
    w.begin_object();
    for id in &ids {
        w.key(id);
        w.begin_array();
        w.begin_object();
        w.field_str("start-key", "");
        w.field_str("end-key", "");
        w.end_object();
        w.end_array();
    }
    w.end_object();
    w.field_u64("batch", EVICT_LEADER_BATCH);
    w.end_object();
    w.finish_indented()
}

/// `GET /scheduler-config/evict-slow-store-scheduler/list`: v8.5's `clone()` keeps only the
/// recovery duration, so the evicted stores are always `null`.
pub(crate) fn evict_slow_store_config_body() -> String {
    let mut w = JsonWriter::new(Layout::Indent);
    w.begin_object();
    w.field_bool("disabled", false);
    w.field_u64("recovery-duration", RECOVERY_DURATION);
    w.key("evict-stores");
    w.null();
    w.end_object();
    w.finish_indented()
}

/// `GET /operators`: `Operator.MarshalJSON`, each operator's text as a JSON string.
pub(crate) fn operators_body(texts: &[String]) -> String {
    let mut w = JsonWriter::new(Layout::Indent);
    w.begin_array();
    for text in texts {
        w.string(text);
    }
    w.end_array();
    w.finish_indented()
}

/// `GET /stores/progress`: `store_id` is omitted (`omitempty`) for `?action=`.
pub(crate) fn progress_body(action: &str, store_id: Option<u64>, p: &Progress) -> String {
    let mut w = JsonWriter::new(Layout::Indent);
    w.begin_object();
    w.field_str("action", action);
    if let Some(id) = store_id {
        w.field_u64("store_id", id);
    }
    w.field_f64("progress", p.progress);
    w.field_f64("current_speed", p.current_speed);
    w.field_f64("left_seconds", p.left_seconds);
    w.end_object();
    w.finish_indented()
}

/// The replication settings (`/config/replicate`): location labels comma-joined, booleans as
/// strings.
pub(crate) fn replicate_body() -> String {
    let mut w = JsonWriter::new(Layout::Indent);
    w.begin_object();
    w.field_u64("max-replicas", 3);
    w.field_str("location-labels", "zone,host");
    w.field_str("strictly-match-label", "false");
    w.field_str("enable-placement-rules", "true");
    w.field_str("enable-placement-rules-cache", "false");
    w.field_str("isolation-level", "");
    w.end_object();
    w.finish_indented()
}

/// `/config/placement-rule`: the default rule group PD creates from the replication settings.
pub(crate) fn placement_rules_body() -> String {
    let mut w = JsonWriter::new(Layout::Indent);
    w.begin_array();
    w.begin_object();
    w.field_str("group_id", "pd");
    w.field_u64("group_index", 0);
    w.field_bool("group_override", false);
    w.key("rules");
    w.begin_array();
    w.begin_object();
    w.field_str("group_id", "pd");
    w.field_str("id", "default");
    w.field_str("start_key", "");
    w.field_str("end_key", "");
    w.field_str("role", "voter");
    w.field_bool("is_witness", false);
    w.field_u64("count", 3);
    w.key("location_labels");
    w.begin_array();
    w.string("zone");
    w.string("host");
    w.end_array();
    w.end_object();
    w.end_array();
    w.end_object();
    w.end_array();
    w.finish_indented()
}

/// A store limit map (`store-limit`, `/stores/limit`): keys sorted as strings.
fn write_store_limits(w: &mut JsonWriter, ids: &[u64]) {
    let mut keys: Vec<String> = ids.iter().map(u64::to_string).collect();
    keys.sort();
    keys.dedup();
    w.begin_object();
    for key in &keys {
        w.key(key);
        w.begin_object();
        w.field_f64("add-peer", 15.0);
        w.field_f64("remove-peer", 15.0);
        w.end_object();
    }
    w.end_object();
}

/// `/stores/limit`: every store but tombstones.
pub(crate) fn store_limits_body(stores: &[SimStore]) -> String {
    let ids: Vec<u64> = stores
        .iter()
        .filter(|s| s.meta_state != 2)
        .map(|s| s.id)
        .collect();
    let mut w = JsonWriter::new(Layout::Indent);
    write_store_limits(&mut w, &ids);
    w.finish_indented()
}

/// `/config/schedule`: PD v8.5's defaults, `max-store-down-time` as configured, a limit per
/// store, and the evict-leader scheduler in `schedulers-v2` while there is one.
pub(crate) fn schedule_config_body(
    max_store_down_ns: i64,
    stores: &[SimStore],
    evict_leader_store: Option<u64>,
) -> String {
    let ids: Vec<u64> = stores.iter().map(|s| s.id).collect();
    let mut w = JsonWriter::new(Layout::Indent);
    w.begin_object();
    w.field_u64("max-snapshot-count", 64);
    w.field_u64("max-pending-peer-count", 64);
    w.field_u64("max-merge-region-size", 54);
    w.field_u64("max-merge-region-keys", 540_000);
    w.field_str("split-merge-interval", "1h0m0s");
    w.field_str("switch-witness-interval", "1h0m0s");
    w.field_str("enable-one-way-merge", "false");
    w.field_str("enable-cross-table-merge", "true");
    w.field_str("patrol-region-interval", "10ms");
    w.field_str("max-store-down-time", &go_duration(max_store_down_ns));
    w.field_str("max-store-preparing-time", "48h0m0s");
    w.field_u64("leader-schedule-limit", 4);
    w.field_str("leader-schedule-policy", "count");
    w.field_u64("region-schedule-limit", 2048);
    w.field_u64("witness-schedule-limit", 4);
    w.field_u64("replica-schedule-limit", 64);
    w.field_u64("merge-schedule-limit", 8);
    w.field_u64("hot-region-schedule-limit", 4);
    w.field_u64("hot-region-cache-hits-threshold", 3);
    w.key("store-limit");
    write_store_limits(&mut w, &ids);
    w.field_f64("tolerant-size-ratio", 0.0);
    w.field_f64("low-space-ratio", 0.8);
    w.field_f64("high-space-ratio", 0.7);
    w.field_str("region-score-formula-version", "v2");
    w.field_u64("scheduler-max-waiting-operator", 5);
    for (key, value) in [
        ("enable-remove-down-replica", "true"),
        ("enable-replace-offline-replica", "true"),
        ("enable-make-up-replica", "true"),
        ("enable-remove-extra-replica", "true"),
        ("enable-location-replacement", "true"),
        ("enable-debug-metrics", "false"),
        ("enable-joint-consensus", "true"),
        ("enable-tikv-split-region", "true"),
        ("enable-heartbeat-breakdown-metrics", "true"),
        ("enable-heartbeat-concurrent-runner", "true"),
    ] {
        w.field_str(key, value);
    }
    w.key("schedulers-v2");
    w.begin_array();
    let evict_arg = evict_leader_store.map(|id| id.to_string());
    let schedulers = [
        Some(("balance-region", None)),
        Some(("balance-leader", None)),
        Some(("hot-region", None)),
        Some(("evict-slow-store", None)),
        evict_arg.as_deref().map(|id| ("evict-leader", Some(id))),
    ];
    for (kind, arg) in schedulers.into_iter().flatten() {
        w.begin_object();
        w.field_str("type", kind);
        w.key("args");
        match arg {
            Some(arg) => {
                w.begin_array();
                w.string(arg);
                w.end_array();
            }
            None => w.null(),
        }
        w.field_bool("disable", false);
        w.field_str("args-payload", "");
        w.end_object();
    }
    w.end_array();
    w.field_str("hot-regions-write-interval", "10m0s");
    w.field_u64("hot-regions-reserved-days", 7);
    w.field_u64("max-movable-hot-peer-size", 512);
    w.field_str("enable-diagnostic", "true");
    w.field_str("enable-witness", "false");
    w.field_f64("slow-store-evicting-affected-store-ratio-threshold", 0.3);
    w.field_str("store-limit-version", "v1");
    w.field_u64("patrol-region-worker-count", 1);
    w.end_object();
    w.finish_indented()
}

/// `GET /checker/{name}`.
pub(crate) fn checker_body(paused: bool) -> String {
    let mut w = JsonWriter::new(Layout::Indent);
    w.begin_object();
    w.field_bool("paused", paused);
    w.end_object();
    w.finish_indented()
}

/// `GET /gc/safepoint` (v8.5: `min_service_gc_safe_point` omitted when 0).
pub(crate) fn gc_safe_point_body(points: &SafePoints) -> String {
    let mut w = JsonWriter::new(Layout::Indent);
    w.begin_object();
    w.key("service_gc_safe_points");
    w.begin_array();
    for (id, expired_at, safe_point) in &points.services {
        w.begin_object();
        w.field_str("service_id", id);
        w.field_i64("expired_at", *expired_at);
        w.field_u64("safe_point", *safe_point);
        w.end_object();
    }
    w.end_array();
    if points.min_service != 0 {
        w.field_u64("min_service_gc_safe_point", points.min_service);
    }
    w.field_u64("gc_safe_point", points.gc_safe_point);
    w.end_object();
    w.finish_indented()
}

/// `GET /min-resolved-ts`: `stores_min_resolved_ts` is `null` without `scope`.
pub(crate) fn min_resolved_ts_body(min: u64, stores: Option<&[(u64, u64)]>) -> String {
    let mut w = JsonWriter::new(Layout::Indent);
    w.begin_object();
    w.field_bool("is_real_time", true);
    w.field_u64("min_resolved_ts", min);
    w.field_str("persist_interval", "1s");
    w.key("stores_min_resolved_ts");
    match stores {
        Some(stores) => {
            let mut keyed: Vec<(String, u64)> = stores
                .iter()
                .map(|(id, ts)| (id.to_string(), *ts))
                .collect();
            keyed.sort();
            w.begin_object();
            for (id, ts) in &keyed {
                w.field_u64(id, *ts);
            }
            w.end_object();
        }
        None => w.null(),
    }
    w.end_object();
    w.finish_indented()
}

/// errcode's JSON for an invalid-input error (`apiutil.ErrorResp`).
pub(crate) fn errcode_input_body(message: &str) -> String {
    let mut w = JsonWriter::new(Layout::Indent);
    w.begin_object();
    w.field_str("code", "input");
    w.field_str("msg", message);
    w.key("data");
    w.begin_object();
    w.end_object();
    w.end_object();
    w.finish_indented()
}

/// `statistics.RegionStats`. Store maps only hold stores that appear in the regions observed,
/// keyed by id and sorted as strings (encoding/json sorts map keys).
#[derive(Default)]
pub(crate) struct RegionStatsBody {
    pub(crate) count: u64,
    pub(crate) empty_count: u64,
    pub(crate) storage_size: u64,
    pub(crate) user_storage_size: u64,
    pub(crate) storage_keys: u64,
    /// `None` renders the maps as `null` (`?count`).
    pub(crate) maps: Option<StoreMaps>,
}

#[derive(Default)]
pub(crate) struct StoreMaps {
    pub(crate) leader_count: BTreeMap<String, u64>,
    pub(crate) peer_count: BTreeMap<String, u64>,
    pub(crate) leader_size: BTreeMap<String, u64>,
    pub(crate) leader_keys: BTreeMap<String, u64>,
    pub(crate) peer_size: BTreeMap<String, u64>,
    pub(crate) peer_keys: BTreeMap<String, u64>,
}

impl StoreMaps {
    pub(crate) fn observe(&mut self, region: &SimRegion) {
        if let Some(leader) = &region.leader {
            let key = leader.store_id.to_string();
            *self.leader_count.entry(key.clone()).or_default() += 1;
            *self.leader_size.entry(key.clone()).or_default() += region.approximate_size;
            *self.leader_keys.entry(key).or_default() += region.approximate_keys;
        }
        for peer in region.peers() {
            let key = peer.store_id.to_string();
            *self.peer_count.entry(key.clone()).or_default() += 1;
            *self.peer_size.entry(key.clone()).or_default() += region.approximate_size;
            *self.peer_keys.entry(key).or_default() += region.approximate_keys;
        }
    }
}

pub(crate) fn region_stats_body(stats: &RegionStatsBody) -> String {
    fn map(w: &mut JsonWriter, name: &str, values: Option<&BTreeMap<String, u64>>) {
        w.key(name);
        match values {
            None => w.null(),
            Some(values) => {
                w.begin_object();
                for (key, value) in values {
                    w.field_u64(key, *value);
                }
                w.end_object();
            }
        }
    }
    let mut w = JsonWriter::new(Layout::Indent);
    w.begin_object();
    w.field_u64("count", stats.count);
    w.field_u64("empty_count", stats.empty_count);
    w.field_u64("storage_size", stats.storage_size);
    w.field_u64("user_storage_size", stats.user_storage_size);
    w.field_u64("storage_keys", stats.storage_keys);
    let maps = stats.maps.as_ref();
    map(&mut w, "store_leader_count", maps.map(|m| &m.leader_count));
    map(&mut w, "store_peer_count", maps.map(|m| &m.peer_count));
    map(&mut w, "store_leader_size", maps.map(|m| &m.leader_size));
    map(&mut w, "store_leader_keys", maps.map(|m| &m.leader_keys));
    map(&mut w, "store_peer_size", maps.map(|m| &m.peer_size));
    map(&mut w, "store_peer_keys", maps.map(|m| &m.peer_keys));
    w.end_object();
    w.finish_indented()
}

/// Whole-cluster region stats without walking the regions.
pub(crate) fn cluster_region_stats(cluster: &SimCluster, moment: &Moment) -> RegionStatsBody {
    let tally = cluster.tally(moment);
    let mut maps = StoreMaps::default();
    for (index, store) in tally.stores.iter().enumerate() {
        let key = store_id(index).to_string();
        if store.leaders.count > 0 {
            maps.leader_count.insert(key.clone(), store.leaders.count);
            maps.leader_size.insert(key.clone(), store.leaders.size);
            maps.leader_keys.insert(key.clone(), store.leaders.keys);
        }
        if store.regions.count > 0 {
            maps.peer_count.insert(key.clone(), store.regions.count);
            maps.peer_size.insert(key.clone(), store.regions.size);
            maps.peer_keys.insert(key, store.regions.keys);
        }
    }
    RegionStatsBody {
        count: tally.totals.count,
        empty_count: tally.totals.empty,
        storage_size: tally.totals.size,
        user_storage_size: tally.totals.kv_size,
        storage_keys: tally.totals.keys,
        maps: Some(maps),
    }
}

/// Which direction of hot regions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HotKind {
    Read,
    Write,
}

fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// `/hotspot/regions/{read,write}`: `{"as_peer": {store: HotPeersStat}, "as_leader": {…}}`.
/// `only` limits the maps to the given store ids (`?store_id=`); an id without data is `null`.
pub(crate) fn hot_regions_body(
    stores: &[SimStore],
    peers: &[HotPeer],
    kind: HotKind,
    only: Option<&[u64]>,
) -> String {
    let live: Vec<&SimStore> = stores
        .iter()
        .filter(|s| s.meta_state == 0 && s.state == SimStoreState::Up)
        .collect();
    let mut w = JsonWriter::new(Layout::Indent);
    w.begin_object();
    for (name, leaders_only) in [("as_peer", false), ("as_leader", true)] {
        w.key(name);
        w.begin_object();
        let mut entries: BTreeMap<String, Option<&SimStore>> = BTreeMap::new();
        match only {
            None => {
                for store in &live {
                    entries.insert(store.id.to_string(), Some(store));
                }
            }
            Some(ids) => {
                for id in ids {
                    entries.insert(id.to_string(), live.iter().copied().find(|s| s.id == *id));
                }
            }
        }
        for (key, store) in entries {
            w.key(&key);
            let Some(store) = store else {
                w.null();
                continue;
            };
            let mine: Vec<&HotPeer> = peers
                .iter()
                .filter(|p| p.store == store.index && (!leaders_only || p.is_leader))
                .collect();
            let (store_bytes, store_keys, store_query) = match (kind, leaders_only) {
                (HotKind::Write, false) => (
                    store.write_bytes_per_sec,
                    store.write_keys_per_sec,
                    store.write_query_per_sec,
                ),
                (HotKind::Write, true) => {
                    let leader_flow: f64 =
                        mine.iter().map(|p| p.flow_bytes).fold(0.0, |a, b| a + b);
                    let bytes = round1(
                        leader_flow + (store.write_bytes_per_sec - leader_flow).max(0.0) / 3.0,
                    );
                    (bytes, round1(bytes / 128.0), round1(bytes / 128.0 / 12.0))
                }
                (HotKind::Read, _) => (
                    store.read_bytes_per_sec,
                    store.read_keys_per_sec,
                    store.read_query_per_sec,
                ),
            };
            w.begin_object();
            w.field_f64("store_bytes", store_bytes);
            w.field_f64("store_keys", store_keys);
            w.field_f64("store_query", store_query);
            w.field_f64(
                "total_flow_bytes",
                mine.iter().map(|p| p.flow_bytes).fold(0.0, |a, b| a + b),
            );
            w.field_f64(
                "total_flow_keys",
                mine.iter().map(|p| p.flow_keys).fold(0.0, |a, b| a + b),
            );
            w.field_f64(
                "total_flow_query",
                mine.iter().map(|p| p.flow_query).fold(0.0, |a, b| a + b),
            );
            w.field_u64("regions_count", mine.len() as u64);
            w.key("statistics");
            w.begin_array();
            for peer in mine {
                w.begin_object();
                w.field_u64("store_id", store.id);
                w.key("stores");
                w.begin_array();
                for id in &peer.stores {
                    w.u64(*id);
                }
                w.end_array();
                w.field_bool("is_leader", peer.is_leader);
                w.field_bool("is_learner", peer.is_learner);
                w.field_u64("region_id", peer.region_id);
                w.field_u64("hot_degree", peer.hot_degree);
                w.field_f64("flow_bytes", peer.flow_bytes);
                w.field_f64("flow_keys", peer.flow_keys);
                w.field_f64("flow_query", peer.flow_query);
                w.field_u64("anti_count", peer.anti_count);
                w.field_str("last_update_time", &go_rfc3339_nano(peer.last_update_ns));
                w.end_object();
            }
            w.end_array();
            w.end_object();
        }
        w.end_object();
    }
    w.end_object();
    w.finish_indented()
}

/// `/hotspot/stores`: six maps of store id → rate; a map with no entries is omitted.
pub(crate) fn hot_stores_body(stores: &[SimStore]) -> String {
    let live: Vec<&SimStore> = stores
        .iter()
        .filter(|s| s.meta_state == 0 && s.state == SimStoreState::Up)
        .collect();
    let mut w = JsonWriter::new(Layout::Indent);
    w.begin_object();
    type Rate = fn(&SimStore) -> f64;
    let metrics: [(&str, Rate); 6] = [
        ("bytes-write-rate", |s| s.write_bytes_per_sec),
        ("bytes-read-rate", |s| s.read_bytes_per_sec),
        ("keys-write-rate", |s| s.write_keys_per_sec),
        ("keys-read-rate", |s| s.read_keys_per_sec),
        ("query-write-rate", |s| s.write_query_per_sec),
        ("query-read-rate", |s| s.read_query_per_sec),
    ];
    for (name, value) in metrics {
        if live.is_empty() {
            continue;
        }
        let sorted: BTreeMap<String, f64> =
            live.iter().map(|s| (s.id.to_string(), value(s))).collect();
        w.key(name);
        w.begin_object();
        for (key, rate) in sorted {
            w.field_f64(&key, rate);
        }
        w.end_object();
    }
    w.end_object();
    w.finish_indented()
}
