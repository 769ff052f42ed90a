//! Regions: every region fixture through the real HTTP path (pages, lookups by id and by key),
//! paging through a generated cluster, cursors, region health and its cache, hot regions, and
//! the region health of the cluster overview. Expected values are written out here from the
//! literals PD printed, not computed by the crate.

use futures::future::join_all;
use serde_json::{Value, json};
use tikv_lens::normalize::tidb_key::{encode_region_key, encode_row_key};

use crate::support::{
    Answer, Canned, FakePd, Lens, PD_DATA, PD_JSON, cluster, fixture, fixture_json, pd_json_string,
    refused_url, test_limits,
};

const MIB: u64 = 1024 * 1024;
const LIST: &str = "/api/v1/clusters/default/regions";
const BY_KEY: &str = "/api/v1/clusters/default/regions/by-key";
const HEALTH: &str = "/api/v1/clusters/default/regions/health";
const OVERVIEW: &str = "/api/v1/clusters/default";
const NOT_FOUND: &str = "urn:tikv-lens:problem:not-found";
const BAD_PARAMETER: &str = "urn:tikv-lens:problem:bad-parameter";
/// The first page with tikv-lens' default limit of 100: an empty start key goes as `key=`.
const FIRST_PAGE: &str = "/pd/api/v1/regions/key?key=&limit=100";

/// Region boundaries of the v8.5 fixture cluster, as PD prints them.
const T5: &str = "7480000000000000FF0500000000000000F8";
const T7: &str = "7480000000000000FF0700000000000000F8";
const T9: &str = "7480000000000000FF0900000000000000F8";
const T11: &str = "7480000000000000FF0B00000000000000F8";
const T13: &str = "7480000000000000FF0D00000000000000F8";
const T62: &str = "7480000000000000FF3E00000000000000F8";
const T64: &str = "7480000000000000FF4000000000000000F8";
/// `t15_r`: the bare row prefix of table 15.
const ROW15: &str = "7480000000000000FF0F5F720000000000FA";
/// `t15_r500000`.
const ROW15_500000: &str = "7480000000000000FF0F5F728000000000FF07A1200000000000FA";
/// The pingcap/docs pd-ctl sample (tables 29 and 31).
const T29: &str = "7480000000000000FF1D00000000000000F8";
const T31: &str = "7480000000000000FF1F00000000000000F8";
/// The real v3 key of tikv/pd#1721: `t175_r969201539`.
const ROW175: &str = "7480000000000000FFAF5F728000000039FFC4D7830000000000FA";

/// PD's region checker kinds, as tikv-lens asks for them.
const CHECKS: [&str; 9] = [
    "miss-peer",
    "extra-peer",
    "down-peer",
    "pending-peer",
    "offline-peer",
    "learner-peer",
    "empty-region",
    "oversized-region",
    "undersized-region",
];

// ---------------------------------------------------------------------------------------------
// Expected values

fn decoded(kind: &str, table_id: i64, row_handle: Option<i64>) -> Value {
    json!({
        "kind": kind,
        "table_id": table_id,
        "row_handle": row_handle.map(|h| h.to_string()),
        "common_handle_hex": null,
        "index_id": null,
        "index_values_hex": null,
        "keyspace_id": null,
        "truncated": false,
    })
}

fn table_prefix(table_id: i64) -> Value {
    decoded("table_prefix", table_id, None)
}

fn row(table_id: i64, handle: Option<i64>) -> Value {
    decoded("row", table_id, handle)
}

/// What each boundary of the fixtures means to TiDB, worked out by hand.
fn decoded_key(hex: &str) -> Value {
    match hex {
        "" => Value::Null,
        T5 => table_prefix(5),
        T7 => table_prefix(7),
        T9 => table_prefix(9),
        T11 => table_prefix(11),
        T13 => table_prefix(13),
        T62 => table_prefix(62),
        T64 => table_prefix(64),
        T29 => table_prefix(29),
        T31 => table_prefix(31),
        ROW15 => row(15, None),
        ROW15_500000 => row(15, Some(500_000)),
        ROW175 => row(175, Some(969_201_539)),
        other => panic!("no expectation for key {other}"),
    }
}

fn peer(id: u64, store_id: u64, role: &str) -> Value {
    json!({"id": id.to_string(), "store_id": store_id.to_string(), "role": role, "unknown_role_name": null, "is_witness": false})
}

fn voter(id: u64, store_id: u64) -> Value {
    peer(id, store_id, "voter")
}

fn learner(id: u64, store_id: u64) -> Value {
    peer(id, store_id, "learner")
}

/// Three voters on stores 1, 4 and 5, in that order.
fn on_1_4_5(a: u64, b: u64, c: u64) -> Value {
    json!([voter(a, 1), voter(b, 4), voter(c, 5)])
}

/// A quiet region (1 MiB, no keys, no traffic) with these boundaries, epoch and peers.
fn region(
    id: u64,
    (start, end): (&str, &str),
    (conf_ver, version): (u64, u64),
    peers: Value,
    leader: Value,
) -> Value {
    json!({
        "id": id.to_string(),
        "start_key": start,
        "end_key": end,
        "start_key_decoded": decoded_key(start),
        "end_key_decoded": decoded_key(end),
        "epoch": {"conf_ver": conf_ver, "version": version},
        "peers": peers,
        "leader": leader,
        "down_peers": [],
        "pending_peers": [],
        "approximate_size_bytes": MIB,
        "approximate_keys": 0,
        "written_bytes": 0,
        "read_bytes": 0,
        "written_keys": 0,
        "read_keys": 0,
        "cpu_usage": 0,
    })
}

/// `base` with some fields replaced (each must exist: a typo must not pass silently).
fn with(mut base: Value, changes: Value) -> Value {
    for (key, value) in changes.as_object().expect("changes are an object") {
        assert!(base.get(key).is_some(), "no field {key} in {base}");
        base[key] = value.clone();
    }
    base
}

/// The normalized region `id` of the v8.5 fixture cluster.
fn v85_region(id: u64) -> Value {
    match id {
        2 => region(2, ("", T5), (5, 5), on_1_4_5(3, 5, 7), voter(3, 1)),
        14 => region(14, (T5, T7), (5, 6), on_1_4_5(15, 16, 17), voter(16, 4)),
        20 => with(
            region(20, (T7, T9), (5, 7), on_1_4_5(21, 22, 23), voter(23, 5)),
            json!({
                "approximate_size_bytes": 3 * MIB,
                "approximate_keys": 2315,
                "read_bytes": 14336,
                "read_keys": 112,
                "cpu_usage": 3,
            }),
        ),
        26 => region(26, (T9, T11), (5, 8), on_1_4_5(27, 28, 29), voter(27, 1)),
        32 => with(
            region(32, (T11, T13), (5, 9), on_1_4_5(33, 34, 35), voter(34, 4)),
            json!({
                "approximate_size_bytes": 12 * MIB,
                "approximate_keys": 41022,
                "written_bytes": 35817,
                "read_bytes": 401921,
                "written_keys": 211,
                "read_keys": 3127,
                "cpu_usage": 12,
            }),
        ),
        40 => with(
            region(
                40,
                (T13, ROW15),
                (11, 10),
                json!([voter(41, 1), voter(1003, 5), voter(43, 4)]),
                voter(43, 4),
            ),
            json!({
                "approximate_size_bytes": 96 * MIB,
                "approximate_keys": 905213,
                "written_bytes": 4718592,
                "read_bytes": 12582912,
                "written_keys": 30117,
                "read_keys": 98304,
                "cpu_usage": 118,
            }),
        ),
        48 => with(
            region(
                48,
                (ROW15, ROW15_500000),
                (9, 11),
                json!([voter(49, 1), voter(50, 4), learner(1020, 5)]),
                voter(49, 1),
            ),
            json!({
                "pending_peers": [learner(1020, 5)],
                "approximate_size_bytes": 88 * MIB,
                "approximate_keys": 812766,
                "written_bytes": 1048576,
                "written_keys": 7812,
                "cpu_usage": 21,
            }),
        ),
        112 => with(
            region(
                112,
                (ROW15_500000, T62),
                (5, 12),
                on_1_4_5(113, 114, 115),
                voter(114, 4),
            ),
            json!({
                "down_peers": [{"peer": voter(115, 5), "down_seconds": 124}],
                "pending_peers": [voter(115, 5)],
                "approximate_size_bytes": 64 * MIB,
                "approximate_keys": 598131,
                "written_bytes": 262144,
                "read_bytes": 65536,
                "written_keys": 1890,
                "read_keys": 512,
                "cpu_usage": 7,
            }),
        ),
        116 => with(
            region(
                116,
                (T62, T64),
                (5, 13),
                on_1_4_5(117, 118, 119),
                voter(119, 5),
            ),
            json!({"read_bytes": 20971520, "read_keys": 163840, "cpu_usage": 245}),
        ),
        1008 => with(
            region(
                1008,
                (T64, ""),
                (5, 14),
                on_1_4_5(1009, 1010, 1011),
                voter(1009, 1),
            ),
            json!({
                "approximate_size_bytes": 23 * MIB,
                "approximate_keys": 184211,
                "written_bytes": 91750400,
                "written_keys": 716800,
                "cpu_usage": 389,
            }),
        ),
        other => panic!("no region {other} in the v8.5 fixtures"),
    }
}

/// The ids of the v8.5 fixture cluster in key order.
const V85_KEY_ORDER: [u64; 10] = [2, 14, 20, 26, 32, 40, 48, 112, 116, 1008];

fn v85_region_health() -> Value {
    json!({
        "miss_peer": 0,
        "extra_peer": 0,
        "down_peer": 1,
        "pending_peer": 2,
        "offline_peer": 0,
        "learner_peer": 1,
        "empty": 0,
        "oversized": 0,
        "undersized": 0,
    })
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// The PD path tikv-lens asks for a page starting at `raw` (the key's raw bytes).
fn pd_page_path(raw: &[u8], limit: usize) -> String {
    let key: String = url::form_urlencoded::byte_serialize(raw).collect();
    format!("/pd/api/v1/regions/key?key={key}&limit={limit}")
}

fn unhex(hex: &str) -> Vec<u8> {
    assert!(hex.len().is_multiple_of(2), "odd hex {hex}");
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// A `/regions/key` body as PD v8.5 sends it.
fn page_body(regions: &[Value]) -> Vec<u8> {
    serde_json::to_vec(&json!({"count": regions.len(), "regions": regions})).unwrap()
}

fn data(body: Vec<u8>) -> Canned {
    Canned::new(200, PD_DATA, body)
}

fn regions_of(body: &Value) -> &Vec<Value> {
    body["regions"]
        .as_array()
        .unwrap_or_else(|| panic!("no regions array: {body}"))
}

fn ids(body: &Value) -> Vec<String> {
    regions_of(body)
        .iter()
        .map(|r| {
            r["id"]
                .as_str()
                .unwrap_or_else(|| panic!("region id is not a string: {r}"))
                .to_owned()
        })
        .collect()
}

fn id_strings(ids: &[u64]) -> Vec<String> {
    ids.iter().map(u64::to_string).collect()
}

fn assert_bad_parameter(answer: &Answer, parameter: &str) {
    let p = answer.problem(400);
    assert_eq!(p["type"], BAD_PARAMETER, "{p}");
    assert_eq!(p["parameter"], parameter, "{p}");
    assert_eq!(p["upstream"], Value::Null, "{p}");
}

fn assert_not_found(answer: &Answer) -> &Value {
    let p = answer.problem(404);
    assert_eq!(p["type"], NOT_FOUND, "{p}");
    assert_eq!(p["upstream"], Value::Null, "{p}");
    p
}

/// A fake PD serving `path` with `canned`, and tikv-lens in front of it.
async fn serving(path: &str, canned: Canned) -> (FakePd, Lens) {
    let pd = FakePd::start().await;
    pd.serve(path, canned);
    let lens = Lens::single(&[pd.url()]).await;
    (pd, lens)
}

/// Follows `next_cursor` from the first page of `list` until it is `null`; the page bodies.
async fn walk(lens: &Lens, list: &str, limit: usize, max_pages: usize) -> Vec<Value> {
    let mut pages: Vec<Value> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        assert!(
            pages.len() < max_pages,
            "more than {max_pages} pages: the walk does not end"
        );
        let path = match &cursor {
            None => format!("{list}?limit={limit}"),
            Some(c) => format!("{list}?limit={limit}&cursor={c}"),
        };
        let answer = lens.get(&path).await;
        let body = answer.ok().clone();
        cursor = match &body["next_cursor"] {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => panic!("next_cursor is neither null nor a string: {other}"),
        };
        pages.push(body);
        if cursor.is_none() {
            return pages;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Every region fixture

#[tokio::test]
async fn key_ordered_page_normalizes_every_region() {
    let (pd, lens) = serving(FIRST_PAGE, data(fixture("regions_key_default_limit.json"))).await;
    let answer = lens.get(LIST).await;
    let body = answer.ok();
    assert_eq!(body["cluster"], "default");
    assert_eq!(body["count"], 10);
    assert_eq!(ids(body), id_strings(&V85_KEY_ORDER));
    for (got, id) in regions_of(body).iter().zip(V85_KEY_ORDER) {
        assert_eq!(*got, v85_region(id), "region {id}");
    }
    // Ten regions on a page of 100: the last page.
    assert_eq!(body["next_cursor"], Value::Null);
    assert_eq!(body["warnings"], json!([]));
    assert!(body["observed_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(pd.hits(FIRST_PAGE), 1);
    assert_eq!(pd.total_hits(), 1);

    // The contract's spot values, spelled out.
    let regions = regions_of(body);
    let r2 = &regions[0];
    assert_eq!(r2["start_key"], "");
    assert_eq!(r2["start_key_decoded"], Value::Null);
    assert_eq!(r2["end_key_decoded"]["kind"], "table_prefix");
    assert_eq!(r2["end_key_decoded"]["table_id"], 5);
    let r112 = &regions[7];
    assert_eq!(r112["approximate_size_bytes"], 67_108_864);
    assert_eq!(r112["down_peers"][0]["down_seconds"], 124);
    assert_eq!(r112["down_peers"][0]["peer"]["store_id"], "5");
    assert_eq!(regions[9]["end_key"], "");
    assert_eq!(regions[9]["end_key_decoded"], Value::Null);
}

#[tokio::test]
async fn pages_in_other_orders_and_encodings_normalize_every_region() {
    for (name, content_type) in [
        ("regions.json", PD_DATA),
        ("regions_store_4.json", PD_DATA),
        ("regions_store_5.json", PD_DATA),
        // v6.5–v7.2: encoding/json (`id` first in peers, `down_seconds` before `peer`).
        ("legacy_v6.5-v7.2_regions.json", PD_JSON),
    ] {
        let (pd, lens) = serving(FIRST_PAGE, Canned::new(200, content_type, fixture(name))).await;
        let answer = lens.get(LIST).await;
        let body = answer.ok();
        assert_eq!(body["count"], 10, "{name}");
        let mut got = ids(body);
        got.sort_by_key(|id| id.parse::<u64>().unwrap());
        assert_eq!(got, id_strings(&V85_KEY_ORDER), "{name}: every region once");
        for r in regions_of(body) {
            let id: u64 = r["id"].as_str().unwrap().parse().unwrap();
            assert_eq!(*r, v85_region(id), "{name}: region {id}");
        }
        assert_eq!(body["next_cursor"], Value::Null, "{name}");
        assert_eq!(pd.hits(FIRST_PAGE), 1, "{name}");
    }
}

#[tokio::test]
async fn empty_page_is_an_empty_last_page() {
    let (pd, lens) = serving(FIRST_PAGE, data(fixture("regions_store_unknown_id.json"))).await;
    let answer = lens.get(LIST).await;
    let body = answer.ok();
    assert_eq!(body["count"], 0);
    assert_eq!(body["regions"], json!([]));
    assert_eq!(body["next_cursor"], Value::Null);
    assert_eq!(body["warnings"], json!([]));
    assert_eq!(pd.hits(FIRST_PAGE), 1);
}

#[tokio::test]
async fn single_regions_by_id() {
    for (id, name) in [
        (2, "region_2.json"),
        (48, "region_48_learner_pending.json"),
        (112, "region_112_down_pending.json"),
        (1008, "region_1008_last.json"),
    ] {
        let pd_path = format!("/pd/api/v1/region/id/{id}");
        let (pd, lens) = serving(&pd_path, data(fixture(name))).await;
        let answer = lens
            .get(&format!("/api/v1/clusters/default/regions/{id}"))
            .await;
        let body = answer.ok();
        assert_eq!(body["cluster"], "default", "{name}");
        assert_eq!(body["region"], v85_region(id), "{name}");
        assert_eq!(body["warnings"], json!([]), "{name}");
        assert!(body["observed_at"].as_str().unwrap().ends_with('Z'));
        assert_eq!(pd.hits(&pd_path), 1, "{name}");
        assert_eq!(pd.total_hits(), 1, "{name}");
    }
}

#[tokio::test]
async fn learner_region_48_roles() {
    let (_pd, lens) = serving(
        "/pd/api/v1/region/id/48",
        data(fixture("region_48_learner_pending.json")),
    )
    .await;
    let answer = lens.get("/api/v1/clusters/default/regions/48").await;
    let r = &answer.ok()["region"];
    let roles: Vec<&str> = r["peers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["voter", "voter", "learner"]);
    assert_eq!(r["pending_peers"], json!([learner(1020, 5)]));
    assert_eq!(r["start_key_decoded"], row(15, None));
    assert_eq!(r["end_key_decoded"], row(15, Some(500_000)));
}

#[tokio::test]
async fn legacy_encoding_json_region_normalizes_like_easyjson() {
    let easyjson = FakePd::start().await;
    easyjson.serve(
        "/pd/api/v1/region/id/112",
        data(fixture("region_112_down_pending.json")),
    );
    let legacy = FakePd::start().await;
    legacy.serve(
        "/pd/api/v1/region/id/112",
        Canned::json("legacy_v6.5-v7.2_region_112_down_pending.json"),
    );
    let lens = Lens::start(
        vec![
            cluster("v85", &[easyjson.url()]),
            cluster("v72", &[legacy.url()]),
        ],
        test_limits(),
    )
    .await;
    let new = lens.get("/api/v1/clusters/v85/regions/112").await;
    let old = lens.get("/api/v1/clusters/v72/regions/112").await;
    assert_eq!(new.ok()["region"], old.ok()["region"]);
    assert_eq!(old.ok()["region"], v85_region(112));
    assert_eq!(old.ok()["cluster"], "v72");
    assert_eq!(legacy.hits("/pd/api/v1/region/id/112"), 1);
    assert_eq!(easyjson.hits("/pd/api/v1/region/id/112"), 1);
}

#[tokio::test]
async fn pre_v51_region_without_role_names_has_voters() {
    let (_pd, lens) = serving(
        "/pd/api/v1/region/id/2",
        Canned::json("real_docs_pd_ctl_region_2_pre_v5.1.json"),
    )
    .await;
    let answer = lens.get("/api/v1/clusters/default/regions/2").await;
    let want = region(2, (T29, T31), (1, 15), json!([voter(40, 3)]), voter(40, 3));
    assert_eq!(answer.ok()["region"], want);
    // No `cpu_usage` before v6.5: 0, not absent.
    assert_eq!(answer.ok()["region"]["cpu_usage"], 0);
}

#[tokio::test]
async fn v3_region_with_open_end_and_no_read_bytes() {
    let (_pd, lens) = serving(
        "/pd/api/v1/region/id/2",
        Canned::json("real_issue_tikv_pd_1721_region_v3.json"),
    )
    .await;
    let answer = lens.get("/api/v1/clusters/default/regions/2").await;
    let r = &answer.ok()["region"];
    let want = with(
        region(
            2,
            (ROW175, ""),
            (4571, 8348),
            json!([voter(668213, 7), voter(668234, 11), voter(668909, 1)]),
            voter(668213, 7),
        ),
        json!({
            "approximate_size_bytes": 197 * MIB,
            "approximate_keys": 714305,
            "written_bytes": 918769,
        }),
    );
    assert_eq!(*r, want);
    // Spelled out: the real key is row 969201539 of table 175.
    assert_eq!(r["start_key_decoded"]["kind"], "row");
    assert_eq!(r["start_key_decoded"]["table_id"], 175);
    assert_eq!(
        r["start_key_decoded"]["row_handle"], "969201539",
        "handles are decimal strings"
    );
    assert_eq!(r["end_key"], "");
    assert_eq!(r["end_key_decoded"], Value::Null);
    assert_eq!(r["read_bytes"], 0);
    assert_eq!(r["approximate_size_bytes"], 206_569_472);
}

#[tokio::test]
async fn lowercase_keys_from_pd_are_uppercased() {
    let mut r = fixture_json("region_112_down_pending.json");
    r["start_key"] = json!(ROW15_500000.to_ascii_lowercase());
    r["end_key"] = json!(T62.to_ascii_lowercase());
    let (_pd, lens) = serving(
        "/pd/api/v1/region/id/112",
        data(serde_json::to_vec(&r).unwrap()),
    )
    .await;
    let answer = lens.get("/api/v1/clusters/default/regions/112").await;
    assert_eq!(answer.ok()["region"], v85_region(112));
}

#[tokio::test]
async fn region_without_leader_has_null_leader() {
    let mut r = fixture_json("region_2.json");
    r["leader"] = json!({"role_name": ""});
    let (_pd, lens) = serving(
        "/pd/api/v1/region/id/2",
        data(serde_json::to_vec(&r).unwrap()),
    )
    .await;
    let answer = lens.get("/api/v1/clusters/default/regions/2").await;
    let region = &answer.ok()["region"];
    assert!(
        region.get("leader").is_some(),
        "leader is present: {region}"
    );
    assert_eq!(region["leader"], Value::Null);
    assert_eq!(region["peers"], on_1_4_5(3, 5, 7));
}

/// API.md, enums: "an unknown upstream value maps to `unknown` and the raw value is kept beside
/// it". A peer role newer than this API must not lose PD's name for it.
#[tokio::test]
async fn unknown_peer_role_keeps_the_raw_role_name() {
    let mut r = fixture_json("region_2.json");
    r["peers"][2]["role_name"] = json!("Observer");
    r["peers"][2]["role"] = json!(7);
    let (_pd, lens) = serving(
        "/pd/api/v1/region/id/2",
        data(serde_json::to_vec(&r).unwrap()),
    )
    .await;
    let answer = lens.get("/api/v1/clusters/default/regions/2").await;
    let peers = &answer.ok()["region"]["peers"];
    assert_eq!(peers[0], voter(3, 1));
    let p = &peers[2];
    assert_eq!(p["role"], "unknown", "{p}");
    let raw_kept = p
        .as_object()
        .unwrap()
        .iter()
        .any(|(field, value)| field != "role" && value == "Observer");
    assert!(raw_kept, "PD's role name \"Observer\" is lost: {p}");
}

// ---------------------------------------------------------------------------------------------
// 2. Missing regions and bad ids

#[tokio::test]
async fn every_missing_region_shape_is_404() {
    const PD_PATH: &str = "/pd/api/v1/region/id/999";
    for (what, canned) in [
        (
            "v9 404",
            Canned::new(404, PD_JSON, fixture("error_region_not_found_v9.txt")),
        ),
        (
            "v8 all-zero region",
            data(fixture("region_missing_v8.5.json")),
        ),
        (
            "v7 null",
            Canned::json("legacy_v4.0-v7.2_region_missing.json"),
        ),
    ] {
        let (pd, lens) = serving(PD_PATH, canned).await;
        let answer = lens.get("/api/v1/clusters/default/regions/999").await;
        let p = assert_not_found(&answer);
        assert!(p["detail"].as_str().unwrap().contains("999"), "{what}: {p}");
        assert_eq!(p["upstream_status"], Value::Null, "{what}: {p}");
        assert_eq!(pd.hits(PD_PATH), 1, "{what}");
    }
}

#[tokio::test]
async fn a_router_404_is_not_a_missing_region() {
    // Nothing served: the fake PD answers like gorilla/mux, `404 page not found` (a wrong proxy
    // prefix, say). That says nothing about the region.
    let pd = FakePd::start().await;
    let lens = Lens::single(&[pd.url()]).await;
    let answer = lens.get("/api/v1/clusters/default/regions/999").await;
    let p = answer.problem(502);
    assert_eq!(p["upstream"], "pd");
    assert_eq!(p["upstream_status"], 404);
    assert_eq!(pd.hits("/pd/api/v1/region/id/999"), 1);
}

#[tokio::test]
async fn v9_invalid_id_zero_is_a_bad_gateway() {
    const PD_PATH: &str = "/pd/api/v1/region/id/0";
    let (pd, lens) = serving(
        PD_PATH,
        Canned::new(400, PD_JSON, fixture("error_region_invalid_id_v9.json")),
    )
    .await;
    let answer = lens.get("/api/v1/clusters/default/regions/0").await;
    let p = answer.problem(502);
    assert_eq!(p["upstream"], "pd");
    assert_eq!(p["upstream_status"], 400);
    assert_eq!(p["parameter"], Value::Null);
    assert_eq!(pd.hits(PD_PATH), 1);
}

#[tokio::test]
async fn malformed_region_ids_are_400_without_asking_pd() {
    let pd = FakePd::start().await;
    let lens = Lens::single(&[pd.url()]).await;
    for bad in [
        "abc",
        "-1",
        "+1",
        "1.0",
        "0x10",
        "%201",
        "18446744073709551616",
    ] {
        let answer = lens
            .get(&format!("/api/v1/clusters/default/regions/{bad}"))
            .await;
        assert_bad_parameter(&answer, "region_id");
    }
    assert_eq!(pd.total_hits(), 0);
}

// ---------------------------------------------------------------------------------------------
// 3. Paging

/// The boundary keys of a generated cluster: `t100_r{handle}` memcomparable-encoded, with
/// handles whose bytes include `&`, `=`, `+`, `%` and space, which must be escaped in a query.
fn generated_handle(i: usize) -> i64 {
    0x0000_263D_2B25_2000 + i as i64
}

fn generated_boundary(i: usize, n: usize) -> String {
    if i == 0 || i == n {
        String::new()
    } else {
        hex_upper(&encode_region_key(&encode_row_key(
            100,
            generated_handle(i),
        )))
    }
}

fn generated_id(i: usize) -> u64 {
    5000 + 4 * i as u64
}

/// `n` regions in key order in the v8.5 easyjson shape, from a template region of the
/// `regions_key_limit3.json` fixture.
fn generated_cluster(n: usize) -> Vec<Value> {
    let template = fixture_json("regions_key_limit3.json")["regions"][0].clone();
    (0..n)
        .map(|i| {
            let id = generated_id(i);
            let mut r = template.clone();
            r["id"] = json!(id);
            r["start_key"] = json!(generated_boundary(i, n));
            r["end_key"] = json!(generated_boundary(i + 1, n));
            r["peers"] = json!([
                {"role_name": "Voter", "id": id + 1, "store_id": 1},
                {"role_name": "Voter", "id": id + 2, "store_id": 4},
                {"role_name": "Voter", "id": id + 3, "store_id": 5},
            ]);
            r["leader"] = json!({"role_name": "Voter", "id": id + 2, "store_id": 4});
            r["approximate_size"] = json!(i + 1);
            r["approximate_keys"] = json!(i * 10);
            r
        })
        .collect()
}

fn generated_decoded(i: usize, n: usize) -> Value {
    if i == 0 || i == n {
        Value::Null
    } else {
        row(100, Some(generated_handle(i)))
    }
}

/// Serves every page a walk with `limit` makes over a generated cluster of `n` regions, walks
/// it, and checks every region shows once, in order, with its values.
async fn walk_generated_cluster(n: usize, limit: usize) -> (FakePd, Vec<Value>) {
    let regions = generated_cluster(n);
    let pd = FakePd::start().await;
    let mut pd_paths = Vec::new();
    for start in (0..n).step_by(limit) {
        let raw = unhex(regions[start]["start_key"].as_str().unwrap());
        let path = pd_page_path(&raw, limit);
        let end = (start + limit).min(n);
        pd.serve(&path, data(page_body(&regions[start..end])));
        pd_paths.push(path);
    }
    let lens = Lens::single(&[pd.url()]).await;
    let pages = walk(&lens, LIST, limit, n / limit + 2).await;

    assert_eq!(pages.len(), pd_paths.len(), "{n} regions by {limit}");
    let mut seen = Vec::new();
    for (p, page) in pages.iter().enumerate() {
        let count = regions_of(page).len();
        assert_eq!(page["count"], count, "page {p}");
        assert!(count <= limit, "page {p} has {count} regions");
        assert!(count > 0, "page {p} is empty");
        let last = p + 1 == pages.len();
        assert_eq!(page["next_cursor"].is_null(), last, "page {p}: {page}");
        for r in regions_of(page) {
            let i = seen.len();
            assert!(i < n, "more regions than the cluster has");
            assert_eq!(r["id"], generated_id(i).to_string(), "region #{i}");
            assert_eq!(r["start_key"], generated_boundary(i, n), "region #{i}");
            assert_eq!(r["end_key"], generated_boundary(i + 1, n), "region #{i}");
            assert_eq!(
                r["start_key_decoded"],
                generated_decoded(i, n),
                "region #{i}"
            );
            assert_eq!(
                r["end_key_decoded"],
                generated_decoded(i + 1, n),
                "region #{i}"
            );
            assert_eq!(r["approximate_size_bytes"], (i as u64 + 1) * MIB);
            assert_eq!(r["approximate_keys"], i * 10);
            assert_eq!(r["leader"], voter(generated_id(i) + 2, 4));
            seen.push(r["id"].as_str().unwrap().to_owned());
        }
    }
    let all: Vec<String> = (0..n).map(|i| generated_id(i).to_string()).collect();
    assert_eq!(seen, all, "every region exactly once, in key order");
    for path in &pd_paths {
        assert_eq!(pd.hits(path), 1, "{path}");
    }
    assert_eq!(pd.total_hits(), pd_paths.len());
    (pd, pages)
}

#[tokio::test]
async fn walking_25_regions_by_7_visits_each_once_in_order() {
    let (pd, pages) = walk_generated_cluster(25, 7).await;
    let counts: Vec<u64> = pages.iter().map(|p| p["count"].as_u64().unwrap()).collect();
    assert_eq!(counts, [7, 7, 7, 4]);
    // The second page starts at the 7th boundary, sent as form-encoded raw bytes, written out
    // by hand: `&`, `=`, `+`, `%` escaped, space as `+`, `d_r` (0x64 0x5F 0x72) as is.
    assert_eq!(
        pd.hits(
            "/pd/api/v1/regions/key?key=t%80%00%00%00%00%00%00%FFd_r%80%00%26%3D%2B%FF%25+%07%00%00%00%00%00%FA&limit=7"
        ),
        1
    );
}

#[tokio::test]
async fn walking_21_regions_by_7_ends_on_the_full_last_page() {
    // The last page is full, but its last region ends the key space: no further page.
    let (_pd, pages) = walk_generated_cluster(21, 7).await;
    let counts: Vec<u64> = pages.iter().map(|p| p["count"].as_u64().unwrap()).collect();
    assert_eq!(counts, [7, 7, 7]);
}

#[tokio::test]
async fn walking_a_one_region_cluster_is_one_page() {
    let (_pd, pages) = walk_generated_cluster(1, 7).await;
    assert_eq!(pages.len(), 1);
    assert_eq!(regions_of(&pages[0])[0]["start_key"], "");
    assert_eq!(regions_of(&pages[0])[0]["end_key"], "");
}

/// The v8.5 fixture cluster served three regions a page, the second page being
/// `regions_key_limit3.json` exactly.
fn serve_fixture_cluster_by_3(pd: &FakePd) -> Vec<String> {
    let all = fixture_json("regions_key_default_limit.json")["regions"]
        .as_array()
        .unwrap()
        .clone();
    // Page 2 starts at region 20's end key, t9, as raw bytes, written out by hand.
    let pages = [
        ("/pd/api/v1/regions/key?key=&limit=3".to_owned(), page_body(&all[0..3])),
        (
            "/pd/api/v1/regions/key?key=t%80%00%00%00%00%00%00%FF%09%00%00%00%00%00%00%00%F8&limit=3"
                .to_owned(),
            fixture("regions_key_limit3.json"),
        ),
        (pd_page_path(&unhex(ROW15), 3), page_body(&all[6..9])),
        (pd_page_path(&unhex(T64), 3), page_body(&all[9..])),
    ];
    pages
        .into_iter()
        .map(|(path, body)| {
            pd.serve(&path, data(body));
            path
        })
        .collect()
}

#[tokio::test]
async fn walking_the_fixture_cluster_three_at_a_time() {
    let pd = FakePd::start().await;
    let paths = serve_fixture_cluster_by_3(&pd);
    let lens = Lens::single(&[pd.url()]).await;
    let pages = walk(&lens, LIST, 3, 6).await;
    let counts: Vec<u64> = pages.iter().map(|p| p["count"].as_u64().unwrap()).collect();
    assert_eq!(counts, [3, 3, 3, 1]);
    let regions: Vec<&Value> = pages.iter().flat_map(regions_of).collect();
    assert_eq!(regions.len(), 10);
    for (r, id) in regions.iter().zip(V85_KEY_ORDER) {
        assert_eq!(**r, v85_region(id), "region {id}");
    }
    for path in &paths {
        assert_eq!(pd.hits(path), 1, "{path}");
    }
    assert_eq!(pd.total_hits(), 4);
}

#[tokio::test]
async fn limit_is_validated_before_asking_pd() {
    let pd = FakePd::start().await;
    let lens = Lens::single(&[pd.url()]).await;
    for bad in ["0", "10001", "ten", "-1", "", "1e3", "4294967296"] {
        let answer = lens.get(&format!("{LIST}?limit={bad}")).await;
        assert_bad_parameter(&answer, "limit");
    }
    assert_eq!(pd.total_hits(), 0);

    const MAX_PAGE: &str = "/pd/api/v1/regions/key?key=&limit=10000";
    pd.serve(MAX_PAGE, data(fixture("regions_key_default_limit.json")));
    let answer = lens.get(&format!("{LIST}?limit=10000")).await;
    assert_eq!(answer.ok()["count"], 10);
    assert_eq!(pd.hits(MAX_PAGE), 1);
    assert_eq!(pd.total_hits(), 1);
}

#[tokio::test]
async fn corrupt_and_garbage_cursors_are_400_without_asking_pd() {
    let pd = FakePd::start().await;
    serve_fixture_cluster_by_3(&pd);
    let lens = Lens::single(&[pd.url()]).await;
    let first = lens.get(&format!("{LIST}?limit=3")).await;
    let cursor = first.ok()["next_cursor"].as_str().unwrap().to_owned();
    assert_eq!(pd.total_hits(), 1);

    let mut bad = Vec::new();
    // Each character flipped in turn: every single change is caught.
    for i in 0..cursor.len() {
        let mut chars: Vec<char> = cursor.chars().collect();
        chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
        bad.push(chars.into_iter().collect::<String>());
    }
    bad.push(format!("{cursor}A"));
    bad.push(cursor[..cursor.len() - 1].to_owned());
    for garbage in [
        "",
        "garbage",
        "AAAA",
        "AAAAAAAAAAAAAAAA",
        "%2F%2F%2F%2F",
        "ünï",
    ] {
        bad.push(garbage.to_owned());
    }
    bad.push("A".repeat(20_000));
    for c in &bad {
        let encoded: String = url::form_urlencoded::byte_serialize(c.as_bytes()).collect();
        let answer = lens.get(&format!("{LIST}?limit=3&cursor={encoded}")).await;
        assert_bad_parameter(&answer, "cursor");
    }
    assert_eq!(pd.total_hits(), 1, "no bad cursor reached PD");

    // The genuine cursor still works: the 400s were about the cursors.
    let second = lens.get(&format!("{LIST}?limit=3&cursor={cursor}")).await;
    assert_eq!(ids(second.ok()), id_strings(&[26, 32, 40]));
}

#[tokio::test]
async fn a_cursor_from_another_cluster_is_400() {
    let pd = FakePd::start().await;
    serve_fixture_cluster_by_3(&pd);
    let lens = Lens::start(
        vec![cluster("a", &[pd.url()]), cluster("b", &[pd.url()])],
        test_limits(),
    )
    .await;
    let first = lens.get("/api/v1/clusters/a/regions?limit=3").await;
    let cursor = first.ok()["next_cursor"].as_str().unwrap().to_owned();
    assert_eq!(pd.total_hits(), 1);

    let answer = lens
        .get(&format!(
            "/api/v1/clusters/b/regions?limit=3&cursor={cursor}"
        ))
        .await;
    assert_bad_parameter(&answer, "cursor");
    assert_eq!(pd.total_hits(), 1, "the foreign cursor did not reach PD");

    // On its own cluster the cursor leads to the second page.
    let second = lens
        .get(&format!(
            "/api/v1/clusters/a/regions?limit=3&cursor={cursor}"
        ))
        .await;
    assert_eq!(ids(second.ok()), id_strings(&[26, 32, 40]));
    // And b's own walk is not affected.
    let b_first = lens.get("/api/v1/clusters/b/regions?limit=3").await;
    assert_eq!(ids(b_first.ok()), id_strings(&[2, 14, 20]));
    assert_ne!(b_first.ok()["next_cursor"], cursor.as_str());
}

// ---------------------------------------------------------------------------------------------
// 4. By key

/// A one-region page of the v8.5 fixture region in `name`.
fn one_region_page(name: &str) -> Canned {
    data(page_body(&[fixture_json(name)]))
}

#[tokio::test]
async fn region_by_key_finds_the_region_holding_the_key() {
    // Row 600000 of table 15 lies in region 112 (from row 500000 to table 62).
    let raw = encode_region_key(&encode_row_key(15, 600_000));
    let pd_path = pd_page_path(&raw, 1);
    let (pd, lens) = serving(&pd_path, one_region_page("region_112_down_pending.json")).await;
    let hex = hex_upper(&raw);
    let answer = lens.get(&format!("{BY_KEY}?key={hex}")).await;
    let body = answer.ok();
    assert_eq!(body["cluster"], "default");
    assert_eq!(body["region"], v85_region(112));
    assert_eq!(body["warnings"], json!([]));

    let lower = lens
        .get(&format!("{BY_KEY}?key={}", hex.to_ascii_lowercase()))
        .await;
    assert_eq!(lower.ok()["region"], v85_region(112));
    assert_eq!(pd.hits(&pd_path), 2);
    assert_eq!(pd.total_hits(), 2);
}

#[tokio::test]
async fn region_by_key_at_a_start_key_holds_it() {
    // A region's start key belongs to it (start inclusive).
    let pd_path = pd_page_path(&unhex(ROW15_500000), 1);
    let (_pd, lens) = serving(&pd_path, one_region_page("region_112_down_pending.json")).await;
    let answer = lens.get(&format!("{BY_KEY}?key={ROW15_500000}")).await;
    assert_eq!(answer.ok()["region"]["id"], "112");
}

#[tokio::test]
async fn region_by_key_in_the_last_region() {
    let raw = encode_region_key(&encode_row_key(999, 1));
    let pd_path = pd_page_path(&raw, 1);
    let (_pd, lens) = serving(&pd_path, one_region_page("region_1008_last.json")).await;
    let answer = lens.get(&format!("{BY_KEY}?key={}", hex_upper(&raw))).await;
    assert_eq!(answer.ok()["region"], v85_region(1008));
}

#[tokio::test]
async fn empty_key_is_the_first_region() {
    const PD_PATH: &str = "/pd/api/v1/regions/key?key=&limit=1";
    let (pd, lens) = serving(PD_PATH, one_region_page("region_2.json")).await;
    let answer = lens.get(&format!("{BY_KEY}?key=")).await;
    assert_eq!(answer.ok()["region"], v85_region(2));
    assert_eq!(pd.hits(PD_PATH), 1);
}

#[tokio::test]
async fn bad_keys_are_400_without_asking_pd() {
    let pd = FakePd::start().await;
    let lens = Lens::single(&[pd.url()]).await;
    for bad in ["zz", "7", "7G", "748", "0x74", "74%2080"] {
        let answer = lens.get(&format!("{BY_KEY}?key={bad}")).await;
        assert_bad_parameter(&answer, "key");
    }
    let missing = lens.get(BY_KEY).await;
    assert_bad_parameter(&missing, "key");
    assert_eq!(pd.total_hits(), 0);
}

#[tokio::test]
async fn a_key_in_a_gap_is_404() {
    // PD answers with the first region after the key (table 7 onwards) when no region holds
    // table 6's prefix.
    let t6 = "7480000000000000FF0600000000000000F8";
    let pd_path = pd_page_path(&unhex(t6), 1);
    let page = page_body(&[fixture_json("regions_key_limit3.json")["regions"][0].clone()]);
    let (pd, lens) = serving(&pd_path, data(page)).await;
    let answer = lens.get(&format!("{BY_KEY}?key={t6}")).await;
    let p = assert_not_found(&answer);
    assert!(p["detail"].as_str().unwrap().contains(t6), "{p}");
    assert_eq!(pd.hits(&pd_path), 1);
}

#[tokio::test]
async fn a_key_past_the_returned_region_is_404() {
    // A region ending at or before the key does not hold it, whatever PD sends.
    let pd_path = pd_page_path(&unhex(T62), 1);
    let (_pd, lens) = serving(&pd_path, one_region_page("region_112_down_pending.json")).await;
    let answer = lens.get(&format!("{BY_KEY}?key={T62}")).await;
    assert_not_found(&answer);
}

#[tokio::test]
async fn no_region_at_all_is_404() {
    let raw = encode_region_key(&encode_row_key(5, 1));
    let pd_path = pd_page_path(&raw, 1);
    let (_pd, lens) = serving(&pd_path, data(fixture("regions_store_unknown_id.json"))).await;
    let answer = lens.get(&format!("{BY_KEY}?key={}", hex_upper(&raw))).await;
    assert_not_found(&answer);
}

// ---------------------------------------------------------------------------------------------
// 5. Region health

fn check_path(kind: &str) -> String {
    format!("/pd/api/v1/regions/check/{kind}")
}

async fn health_cluster() -> (FakePd, Lens) {
    let pd = FakePd::start().await;
    pd.serve_region_checks();
    let lens = Lens::single_cached(&[pd.url()]).await;
    (pd, lens)
}

#[tokio::test]
async fn region_health_counts_from_the_checks() {
    let (pd, lens) = health_cluster().await;
    let answer = lens.get(HEALTH).await;
    let body = answer.ok();
    assert_eq!(body["cluster"], "default");
    assert_eq!(body["counts"], v85_region_health());
    assert_eq!(body["warnings"], json!([]));
    assert!(body["observed_at"].as_str().unwrap().ends_with('Z'));
    for kind in CHECKS {
        assert_eq!(pd.hits(&check_path(kind)), 1, "{kind}");
    }
    assert_eq!(pd.total_hits(), CHECKS.len());
}

#[tokio::test]
async fn a_failed_check_is_null_with_a_warning() {
    let (pd, lens) = health_cluster().await;
    pd.serve(
        &check_path("down-peer"),
        Canned::new(
            500,
            PD_JSON,
            pd_json_string("[PD:cluster:ErrNotBootstrapped]TiKV cluster not bootstrapped"),
        ),
    );
    let answer = lens.get(HEALTH).await;
    let body = answer.ok();
    let mut want = v85_region_health();
    want["down_peer"] = Value::Null;
    assert_eq!(body["counts"], want);
    let warnings = body["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{body}");
    assert_eq!(warnings[0]["source"], "pd");
    let message = warnings[0]["message"].as_str().unwrap();
    assert!(message.contains("down-peer"), "{message}");
    assert!(message.contains("500"), "{message}");
}

#[tokio::test]
async fn every_check_failing_is_503() {
    let lens = Lens::single(&[refused_url().await]).await;
    let answer = lens.get(HEALTH).await;
    let p = answer.problem(503);
    assert_eq!(p["upstream"], "pd");
    assert_eq!(p["type"], "urn:tikv-lens:problem:upstream-unavailable");
}

#[tokio::test]
async fn a_wholly_failed_health_read_is_not_cached() {
    // Nothing served: every check gets the router's 404.
    let pd = FakePd::start().await;
    let lens = Lens::single(&[pd.url()]).await;
    let failed = lens.get(HEALTH).await;
    let p = failed.problem(502);
    assert_eq!(p["upstream_status"], 404);

    pd.serve_region_checks();
    let answer = lens.get(HEALTH).await;
    assert_eq!(answer.ok()["counts"], v85_region_health());
    for kind in CHECKS {
        assert_eq!(pd.hits(&check_path(kind)), 2, "{kind}");
    }
}

#[tokio::test]
async fn region_health_is_cached() {
    let (pd, lens) = health_cluster().await;
    let first = lens.get(HEALTH).await;
    let second = lens.get(HEALTH).await;
    assert_eq!(first.ok()["counts"], v85_region_health());
    assert_eq!(second.ok()["counts"], v85_region_health());
    // The second answer is the first one, read at the same time.
    assert_eq!(first.ok()["observed_at"], second.ok()["observed_at"]);
    for kind in CHECKS {
        assert_eq!(pd.hits(&check_path(kind)), 1, "{kind}");
    }
}

#[tokio::test]
async fn a_partial_answer_is_cached_too() {
    let (pd, lens) = health_cluster().await;
    pd.serve(
        &check_path("oversized-region"),
        Canned::new(500, PD_JSON, pd_json_string("boom")),
    );
    let first = lens.get(HEALTH).await;
    let second = lens.get(HEALTH).await;
    assert_eq!(first.ok()["counts"]["oversized"], Value::Null);
    assert_eq!(second.ok()["counts"], first.ok()["counts"]);
    assert_eq!(second.ok()["warnings"], first.ok()["warnings"]);
    for kind in CHECKS {
        assert_eq!(pd.hits(&check_path(kind)), 1, "{kind}");
    }
}

#[tokio::test]
async fn concurrent_health_requests_share_one_read() {
    let pd = FakePd::start().await;
    pd.serve_region_checks();
    // A PD that takes a moment, so the requests overlap the read rather than find it cached.
    for kind in CHECKS {
        let file = match kind {
            "down-peer" => "regions_check_down_peer.json",
            "pending-peer" => "regions_check_pending_peer.json",
            "learner-peer" => "regions_check_learner_peer.json",
            _ => "regions_store_unknown_id.json",
        };
        pd.serve(
            &check_path(kind),
            data(fixture(file)).delayed(std::time::Duration::from_millis(300)),
        );
    }
    let lens = Lens::single(&[pd.url()]).await;
    let answers = join_all((0..20).map(|_| lens.get(HEALTH))).await;
    for answer in &answers {
        assert_eq!(answer.ok()["counts"], v85_region_health());
    }
    for kind in CHECKS {
        assert_eq!(pd.hits(&check_path(kind)), 1, "{kind}");
    }
}

// ---------------------------------------------------------------------------------------------
// 6. Hot regions

fn hot_load(store: [f64; 3], hot: [f64; 3], hot_region_count: u64, regions: Value) -> Value {
    json!({
        "store_bytes_per_second": store[0],
        "store_keys_per_second": store[1],
        "store_queries_per_second": store[2],
        "hot_bytes_per_second": hot[0],
        "hot_keys_per_second": hot[1],
        "hot_queries_per_second": hot[2],
        "hot_region_count": hot_region_count,
        "regions": regions,
    })
}

fn hot_region(
    region_id: u64,
    stores: &[u64],
    is_leader: bool,
    hot_degree: i64,
    rates: [f64; 3],
    anti_count: i64,
    last_update_at: &str,
) -> Value {
    let stores: Vec<String> = stores.iter().map(u64::to_string).collect();
    json!({
        "region_id": region_id.to_string(),
        "peer_store_ids": stores,
        "is_leader": is_leader,
        "is_learner": false,
        "hot_degree": hot_degree,
        "bytes_per_second": rates[0],
        "keys_per_second": rates[1],
        "queries_per_second": rates[2],
        "anti_count": anti_count,
        "last_update_at": last_update_at,
    })
}

fn hot_store(id: u64, as_leader: Value, as_peer: Value) -> Value {
    json!({"store_id": id.to_string(), "as_leader": as_leader, "as_peer": as_peer})
}

fn read_hotspots() -> Value {
    let store_1 = hot_load([40960.0, 312.5, 88.2], [0.0, 0.0, 0.0], 0, json!([]));
    let store_4 = hot_load(
        [73728.0, 577.4, 131.0],
        [40192.1, 312.7, 95.3],
        1,
        json!([hot_region(
            32,
            &[1, 4, 5],
            true,
            3,
            [40192.1, 312.7, 95.3],
            1,
            "2025-03-10T08:15:22.79588264Z"
        )]),
    );
    let store_5 = hot_load(
        [2202009.6, 17203.2, 1489.7],
        [2097152.0, 16384.0, 1402.4],
        1,
        json!([hot_region(
            116,
            &[1, 4, 5],
            true,
            19,
            [2097152.0, 16384.0, 1402.4],
            1,
            "2025-03-10T08:15:28.937188991Z"
        )]),
    );
    json!([
        hot_store(1, store_1.clone(), store_1),
        hot_store(4, store_4.clone(), store_4),
        hot_store(5, store_5.clone(), store_5),
    ])
}

fn write_hotspots() -> Value {
    const AT: &str = "2025-03-10T08:15:21Z";
    let r1008_rates = [1529173.3333333333, 11946.666666666666, 803.6166666666667];
    let r40_rates = [78643.2, 501.95, 41.5];
    let r1008 = |leader: bool| hot_region(1008, &[1, 4, 5], leader, 42, r1008_rates, 2, AT);
    let r40 = |leader: bool| hot_region(40, &[1, 5, 4], leader, 7, r40_rates, 2, AT);
    let peer_totals = [1607816.5333333332, 12448.616666666667, 845.1166666666667];
    json!([
        hot_store(
            1,
            hot_load(
                [1681920.5, 13024.7, 911.35],
                r1008_rates,
                1,
                json!([r1008(true)])
            ),
            // PD lists region 40 first; the hotter 1008 comes first.
            hot_load(
                [1770307.3, 13718.3, 911.35],
                peer_totals,
                2,
                json!([r1008(true), r40(false)])
            ),
        ),
        hot_store(
            4,
            hot_load([102400.0, 640.2, 55.6], r40_rates, 1, json!([r40(true)])),
            hot_load(
                [1744150.6, 13517.9, 870.2],
                peer_totals,
                2,
                json!([r1008(false), r40(true)])
            ),
        ),
        hot_store(
            5,
            hot_load([6553.6, 31.4, 4.9], [0.0, 0.0, 0.0], 0, json!([])),
            hot_load(
                [1731201.1, 13402.8, 851.7],
                peer_totals,
                2,
                json!([r1008(false), r40(false)])
            ),
        ),
    ])
}

async fn hotspots(kind: &str, canned: Canned) -> (FakePd, Answer) {
    let pd_path = format!("/pd/api/v1/hotspot/regions/{kind}");
    let (pd, lens) = serving(&pd_path, canned).await;
    let answer = lens
        .get(&format!("/api/v1/clusters/default/hotspots/{kind}"))
        .await;
    assert_eq!(pd.hits(&pd_path), 1);
    (pd, answer)
}

#[tokio::test]
async fn read_hotspots_by_store() {
    let (_pd, answer) = hotspots("read", Canned::json("hotspot_regions_read.json")).await;
    let body = answer.ok();
    assert_eq!(body["cluster"], "default");
    assert_eq!(body["kind"], "read");
    assert_eq!(body["stores"], read_hotspots());
    assert_eq!(body["warnings"], json!([]));
    assert!(body["observed_at"].as_str().unwrap().ends_with('Z'));
    // Rates are numbers, not strings.
    assert!(body["stores"][2]["as_leader"]["store_bytes_per_second"].is_f64());
}

#[tokio::test]
async fn write_hotspots_by_store_hottest_first() {
    let (_pd, answer) = hotspots("write", Canned::json("hotspot_regions_write.json")).await;
    let body = answer.ok();
    assert_eq!(body["kind"], "write");
    assert_eq!(body["stores"], write_hotspots());
    // A store with `"statistics": []` has no hot regions.
    assert_eq!(body["stores"][2]["as_leader"]["regions"], json!([]));
    assert_eq!(
        body["stores"][0]["as_peer"]["regions"][0]["region_id"],
        "1008"
    );
}

#[tokio::test]
async fn empty_hotspots_have_no_stores() {
    for kind in ["read", "write"] {
        let (_pd, answer) = hotspots(kind, Canned::json("hotspot_regions_empty.json")).await;
        let body = answer.ok();
        assert_eq!(body["kind"], kind);
        assert_eq!(body["stores"], json!([]));
        assert_eq!(body["warnings"], json!([]));
    }
}

#[tokio::test]
async fn go_zero_update_time_is_null() {
    let mut hot = fixture_json("hotspot_regions_read.json");
    for role in ["as_peer", "as_leader"] {
        hot[role]["4"]["statistics"][0]["last_update_time"] = json!("0001-01-01T00:00:00Z");
    }
    let body = serde_json::to_vec_pretty(&hot).unwrap();
    let (_pd, answer) = hotspots("read", Canned::new(200, PD_JSON, body)).await;
    let stores = &answer.ok()["stores"];
    assert_eq!(stores[1]["store_id"], "4");
    let r = &stores[1]["as_leader"]["regions"][0];
    assert!(r.get("last_update_at").is_some(), "field kept: {r}");
    assert_eq!(r["last_update_at"], Value::Null);
    assert_eq!(
        stores[2]["as_leader"]["regions"][0]["last_update_at"],
        "2025-03-10T08:15:28.937188991Z"
    );
}

#[tokio::test]
async fn unknown_hotspot_kind_is_400_without_asking_pd() {
    let pd = FakePd::start().await;
    let lens = Lens::single(&[pd.url()]).await;
    for bad in ["sideways", "READ", "stores"] {
        let answer = lens
            .get(&format!("/api/v1/clusters/default/hotspots/{bad}"))
            .await;
        assert_bad_parameter(&answer, "kind");
    }
    assert_eq!(pd.total_hits(), 0);
}

// ---------------------------------------------------------------------------------------------
// 7. The overview's region health

#[tokio::test]
async fn overview_includes_region_health() {
    let pd = FakePd::start().await;
    pd.serve_v85_cluster();
    let lens = Lens::single_cached(&[pd.url()]).await;
    let answer = lens.get(OVERVIEW).await;
    let body = answer.ok();
    assert_eq!(body["region_health"], v85_region_health());
    assert_eq!(body["region_count"], 10);
    assert_eq!(body["warnings"], json!([]));

    // The region health endpoint shares the overview's read.
    let health = lens.get(HEALTH).await;
    assert_eq!(health.ok()["counts"], v85_region_health());
    for kind in CHECKS {
        assert_eq!(pd.hits(&check_path(kind)), 1, "{kind}");
    }
}

#[tokio::test]
async fn overview_with_a_failed_check_warns() {
    let pd = FakePd::start().await;
    pd.serve_v85_cluster();
    pd.serve(
        &check_path("learner-peer"),
        Canned::new(500, PD_JSON, pd_json_string("boom")),
    );
    let lens = Lens::single(&[pd.url()]).await;
    let answer = lens.get(OVERVIEW).await;
    let body = answer.ok();
    let mut want = v85_region_health();
    want["learner_peer"] = Value::Null;
    assert_eq!(body["region_health"], want);
    let warnings = body["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{body}");
    assert!(
        warnings[0]["message"]
            .as_str()
            .unwrap()
            .contains("learner-peer"),
        "{body}"
    );
}

#[tokio::test]
async fn overview_without_region_health_still_answers() {
    let pd = FakePd::start().await;
    pd.serve_v85_cluster();
    for kind in CHECKS {
        pd.serve(
            &check_path(kind),
            Canned::new(500, PD_JSON, pd_json_string("boom")),
        );
    }
    let lens = Lens::single(&[pd.url()]).await;
    let answer = lens.get(OVERVIEW).await;
    let body = answer.ok();
    assert_eq!(body["region_health"], Value::Null);
    assert_eq!(body["region_count"], 10);
    let warnings = body["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w["message"].as_str().unwrap().contains("region health")),
        "{body}"
    );
}
