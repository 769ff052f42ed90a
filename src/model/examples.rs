//! The `example`s of the main schemas in the OpenAPI document: answers of `tikv-lens demo`
//! (its simulated v8.5 cluster; the warning and the NaN sample come from a real Prometheus, as
//! in README.md), kept whole so that each is a valid instance of its schema
//! (`tests/it/openapi.rs` validates every one). Composite answers reuse their parts.

use serde_json::{Value, json};

pub(super) fn meta() -> Value {
    json!({
        "stale": false,
        "observed_at": "2026-12-06T09:11:06.889077679Z",
        "warnings": []
    })
}

/// `value` with the `Meta` fields an answer ends with.
fn with_meta(mut value: Value) -> Value {
    if let (Value::Object(fields), Value::Object(meta)) = (&mut value, meta()) {
        fields.extend(meta);
    }
    value
}

pub(super) fn warning() -> Value {
    json!({
        "source": "prometheus",
        "message": "store 6 (tikv-3:20180, down) has no series in Prometheus; its metrics are null"
    })
}

pub(super) fn cluster_summary() -> Value {
    json!({
        "name": "default",
        "health": "healthy",
        "summary": "3 of 3 PD members healthy",
        "pd_healthy_members": 3,
        "pd_members": 3,
        "pd_endpoints": ["http://127.0.0.1:37577"],
        "prometheus_configured": true
    })
}

pub(super) fn cluster_list() -> Value {
    with_meta(json!({ "clusters": [cluster_summary()] }))
}

pub(super) fn region_health_counts() -> Value {
    json!({
        "miss_peer": 1,
        "extra_peer": 0,
        "down_peer": 0,
        "pending_peer": 1,
        "offline_peer": 0,
        "learner_peer": 1,
        "empty": 16,
        "oversized": 0,
        "undersized": 32
    })
}

pub(super) fn cluster_overview() -> Value {
    with_meta(json!({
        "name": "default",
        "cluster_id": "7713518432287967257",
        "pd": {
            "version": "v8.5.1",
            "leader": { "name": "pd-1", "member_id": "4823394486958072616" },
            "member_count": 3,
            "healthy_member_count": 3
        },
        "stores": {
            "total": 4,
            "up": 3,
            "offline": 0,
            "tombstone": 1,
            "disconnected": 0,
            "down": 0,
            "unknown": 0,
            "tiflash": 0
        },
        "storage": {
            "capacity_bytes": 11525080882347_u64,
            "used_bytes": 7502234124_u64,
            "available_bytes": 11287586370747_u64,
            "store_count": 3
        },
        "region_count": 100,
        "region_health": region_health_counts(),
        "metrics": {
            "grpc_requests_per_second": 11114.044444444444,
            "grpc_p99_latency_seconds": 0.023857424902659304
        },
        "checks": {
            "worst_status": "warning",
            "counts": {"ok": 9, "warning": 2, "critical": 0, "unknown": 0}
        }
    }))
}

pub(super) fn member() -> Value {
    json!({
        "name": "pd-1",
        "member_id": "4823394486958072616",
        "client_urls": ["http://pd-1:2379"],
        "peer_urls": ["http://pd-1:2380"],
        "is_leader": true,
        "is_etcd_leader": true,
        "healthy": true,
        "leader_priority": 0,
        "binary_version": "v8.5.1",
        "git_hash": "0ba2a0e9a3a6f7c4b3e2d1c0f9e8d7c6b5a49382",
        "deploy_path": "/tidb-deploy/pd-2379/bin"
    })
}

pub(super) fn store_metrics() -> Value {
    json!({
        "cpu_cores": 2.8888888888888884,
        "memory_resident_bytes": 8305847175_u64,
        "grpc_requests_per_second": 3722.4666666666667,
        "grpc_p99_latency_seconds": 0.023816533333333403,
        "region_count": 100,
        "leader_count": 36,
        "capacity_bytes": 3841693627450_u64,
        "available_bytes": 3762379559257_u64,
        "used_bytes": 2480195644_u64
    })
}

pub(super) fn store() -> Value {
    json!({
        "id": "1",
        "address": "tikv-0:20160",
        "peer_address": "tikv-0:20160",
        "status_address": "tikv-0:20180",
        "state": "up",
        "pd_state_name": "Up",
        "node_state": "serving",
        "engine": "tikv",
        "labels": { "host": "tikv-0", "zone": "z1" },
        "version": "8.5.1",
        "git_hash": "d0e6a1f9c83b72e5a4d9b1c07f6e5d4c3b2a1908",
        "deploy_path": "/tidb-deploy/tikv-20160/bin",
        "physically_destroyed": false,
        "capacity_bytes": 3841693627449_u64,
        "available_bytes": 3762528790249_u64,
        "used_bytes": 2486786064_u64,
        "leader_count": 36,
        "leader_weight": 1.0,
        "leader_score": 36.0,
        "leader_size_bytes": 1780482048_u64,
        "region_count": 100,
        "region_weight": 1.0,
        "region_score": 5155.5403285898265,
        "region_size_bytes": 5001707520_u64,
        "learner_count": 0,
        "witness_count": 0,
        "pending_peer_count": 0,
        "sending_snapshot_count": 0,
        "receiving_snapshot_count": 0,
        "is_busy": false,
        "slow_score": 1.0,
        "started_at": "2026-11-29T09:10:59Z",
        "last_heartbeat_at": "2026-12-06T09:11:02.39496659Z",
        "uptime_seconds": 604803.39496659,
        "metrics": store_metrics()
    })
}

fn table_prefix(table_id: i64) -> Value {
    json!({
        "kind": "table_prefix",
        "table_id": table_id,
        "row_handle": null,
        "common_handle_hex": null,
        "index_id": null,
        "index_values_hex": null,
        "keyspace_id": null,
        "truncated": false
    })
}

pub(super) fn decoded_key() -> Value {
    json!({
        "kind": "row",
        "table_id": 107,
        "row_handle": "127658",
        "common_handle_hex": null,
        "index_id": null,
        "index_values_hex": null,
        "keyspace_id": null,
        "truncated": false
    })
}

fn peer(id: &str, store_id: &str) -> Value {
    json!({
        "id": id,
        "store_id": store_id,
        "role": "voter",
        "unknown_role_name": null,
        "is_witness": false
    })
}

pub(super) fn region() -> Value {
    json!({
        "id": "210",
        "start_key": "7480000000000000FF6B5F728000000000FF01F2AA0000000000FA",
        "end_key": "7480000000000000FF6D00000000000000F8",
        "start_key_decoded": decoded_key(),
        "end_key_decoded": table_prefix(109),
        "epoch": { "conf_ver": 9, "version": 33 },
        "peers": [peer("211", "5"), peer("212", "1"), peer("213", "4")],
        "leader": peer("211", "5"),
        "down_peers": [],
        "pending_peers": [],
        "approximate_size_bytes": 52428800,
        "approximate_keys": 60751,
        "written_bytes": 0,
        "read_bytes": 0,
        "written_keys": 0,
        "read_keys": 0,
        "cpu_usage": 0
    })
}

pub(super) fn region_page() -> Value {
    with_meta(json!({
        "cluster": "default",
        "count": 1,
        "regions": [region()],
        "next_cursor": "AeNeAN90gAAAAAAAAP9tAAAAAAAAAPix2Bpl"
    }))
}

pub(super) fn instant_query_result() -> Value {
    let sample = |instance: &str, value: f64| {
        json!({
            "labels": { "instance": instance },
            "value": value,
            "non_finite": null,
            "timestamp_ms": 1796547600000_i64
        })
    };
    with_meta(json!({
        "cluster": "default",
        "query": "sum by (instance) (tikv_raftstore_region_count)",
        "result_type": "vector",
        "samples": [
            sample("tikv-0:20180", 138.0),
            sample("tikv-1:20180", 130.0),
            sample("tikv-2:20180", 132.0)
        ],
        "series": [],
        "string_value": null
    }))
}

/// A p99 over an idle minute (no observations): NaN, from a real Prometheus (as in README.md).
pub(super) fn instant_sample() -> Value {
    json!({
        "labels": { "instance": "tikv-0:20180" },
        "value": null,
        "non_finite": "nan",
        "timestamp_ms": 1795744680000_i64
    })
}

pub(super) fn range_query_result() -> Value {
    with_meta(json!({
        "cluster": "default",
        "query": "sum by (instance) (rate(process_cpu_seconds_total{job=\"tikv\"}[1m]))",
        "start_ms": 1796547000000_i64,
        "end_ms": 1796547600000_i64,
        "requested_start_ms": 1796547000000_i64,
        "requested_end_ms": 1796547600000_i64,
        "step_seconds": 300.0,
        "timestamps_ms": [1796547000000_i64, 1796547300000_i64, 1796547600000_i64],
        "series": [
            {
                "labels": { "instance": "tikv-0:20180" },
                "values": [2.65, 2.8333333333333335, 2.85],
                "non_finite": []
            },
            {
                "labels": { "instance": "tikv-1:20180" },
                "values": [2.6666666666666665, 2.9166666666666665, 2.716666666666667],
                "non_finite": []
            },
            {
                "labels": { "instance": "tikv-2:20180" },
                "values": [2.9166666666666665, 2.966666666666667, 3.15],
                "non_finite": []
            }
        ]
    }))
}
