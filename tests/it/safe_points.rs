//! `/gc` and `/resolved-ts` from PD v8.5 and v6.5 bodies, and the 404 of PD versions without the
//! endpoints: TSOs as decimal strings with their times and ages, int64-max expiries as never.

use serde_json::{Value, json};

use crate::support::{Canned, FakePd, Lens, PD_JSON, PD_TEXT, fixture, fixture_json};

const GC: &str = "/pd/api/v1/gc/safepoint";
const MRTS: &str = "/pd/api/v1/min-resolved-ts?scope=cluster";

/// The time of a TSO (its physical part), computed here independently of the crate.
fn tso_ms(tso: u64) -> i64 {
    (tso >> 18) as i64
}

fn rfc3339_of_ms(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).unwrap().to_string()
}

fn observed_ms(body: &Value) -> i64 {
    body["observed_at"]
        .as_str()
        .unwrap()
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_millisecond()
}

fn age_close(age: &Value, observed_ms: i64, tso: u64) {
    let expected = (observed_ms - tso_ms(tso)) as f64 / 1000.0;
    let got = age.as_f64().unwrap_or_else(|| panic!("no age: {age}"));
    assert!((got - expected).abs() < 0.002, "{got} vs {expected}");
}

#[tokio::test]
async fn gc_v85_safe_points_with_pds_minimum() {
    let pd = FakePd::start().await;
    pd.serve_json(GC, "gc_safepoint_v8.5.json");
    let lens = Lens::single(&[pd.url()]).await;
    let body = lens.get("/api/v1/clusters/default/gc").await.ok().clone();
    let raw = fixture_json("gc_safepoint_v8.5.json");
    let now = observed_ms(&body);

    let gc_tso = raw["gc_safe_point"].as_u64().unwrap();
    assert_eq!(body["gc_safe_point"], gc_tso.to_string());
    assert_eq!(body["gc_safe_point_at"], rfc3339_of_ms(tso_ms(gc_tso)));
    age_close(&body["gc_safe_point_age_seconds"], now, gc_tso);
    // PD v8.5 reports the minimum service safe point itself: passed through.
    let min = raw["min_service_gc_safe_point"].as_u64().unwrap();
    assert_eq!(body["min_service_safe_point"], min.to_string());

    let services = body["service_safe_points"].as_array().unwrap();
    assert_eq!(services.len(), 3);
    // Oldest safe point first.
    let points: Vec<u64> = services
        .iter()
        .map(|s| s["safe_point"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(points.windows(2).all(|w| w[0] <= w[1]), "{points:?}");
    let now_s = now / 1000;
    for s in services {
        let id = s["service_id"].as_str().unwrap();
        let wire = raw["service_gc_safe_points"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["service_id"] == id)
            .unwrap();
        let expired_at = wire["expired_at"].as_i64().unwrap();
        if expired_at == i64::MAX {
            assert_eq!(s["expires_at"], Value::Null, "{s}");
            assert_eq!(s["expired"], false);
        } else {
            assert_eq!(s["expires_at"], rfc3339_of_ms(expired_at * 1000));
            assert_eq!(s["expired"], expired_at <= now_s, "{s}");
        }
        age_close(&s["age_seconds"], now, wire["safe_point"].as_u64().unwrap());
    }
    // The BR safe points of the fixture (2025) have expired by now: the GC worker holds GC.
    assert_eq!(body["held_back_by"], "gc_worker");
    assert_eq!(body["warnings"], json!([]));
}

#[tokio::test]
async fn gc_holder_is_the_oldest_unexpired_service() {
    // The v8.5 fixture with the BR service renewed far into the future.
    let mut raw = fixture_json("gc_safepoint_v8.5.json");
    raw["service_gc_safe_points"][1]["expired_at"] = json!(4_102_444_800i64);
    let pd = FakePd::start().await;
    pd.serve(GC, Canned::new(200, PD_JSON, raw.to_string()));
    let lens = Lens::single(&[pd.url()]).await;
    let body = lens.get("/api/v1/clusters/default/gc").await.ok().clone();
    assert_eq!(
        body["held_back_by"],
        "br-6fd4bdb1-4f4d-4a94-9a5c-3e3b2c1d0a9f"
    );
    assert_eq!(body["service_safe_points"][1]["expired"], false);
    assert_eq!(
        body["service_safe_points"][1]["expires_at"],
        "2100-01-01T00:00:00Z"
    );
}

#[tokio::test]
async fn gc_v65_minimum_is_computed() {
    let pd = FakePd::start().await;
    pd.serve_json(GC, "gc_safepoint_v6.5.json");
    let lens = Lens::single(&[pd.url()]).await;
    let body = lens.get("/api/v1/clusters/default/gc").await.ok().clone();
    let raw = fixture_json("gc_safepoint_v6.5.json");
    // v6.5 has no min_service_gc_safe_point; the smallest unexpired one is the GC worker's (TiCDC's
    // expired in 2023).
    let worker = raw["service_gc_safe_points"][0]["safe_point"]
        .as_u64()
        .unwrap();
    assert_eq!(body["min_service_safe_point"], worker.to_string());
    assert_eq!(body["held_back_by"], "gc_worker");
    assert_eq!(body["service_safe_points"][0]["service_id"], "ticdc");
    assert_eq!(body["service_safe_points"][0]["expired"], true);
    assert_eq!(
        body["gc_safe_point"],
        raw["gc_safe_point"].as_u64().unwrap().to_string()
    );
}

#[tokio::test]
async fn gc_of_a_pd_without_the_endpoint_is_a_404_problem() {
    // PD v4.0 has no /gc/safepoint: its router answers `404 page not found`.
    let pd = FakePd::start().await;
    pd.serve(
        GC,
        Canned::new(404, PD_TEXT, fixture("error_route_not_found.txt")),
    );
    let lens = Lens::single(&[pd.url()]).await;
    let answer = lens.get("/api/v1/clusters/default/gc").await;
    let problem = answer.problem(404);
    assert_eq!(problem["type"], "urn:tikv-lens:problem:not-supported-by-pd");
    assert_eq!(problem["upstream"], "pd");
    assert_eq!(problem["upstream_status"], 404);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("/gc/safepoint"),
        "{problem}"
    );

    // A PD error is a 502, not a 404.
    pd.serve(
        GC,
        Canned::new(500, PD_JSON, crate::support::pd_json_string("boom")),
    );
    lens.get("/api/v1/clusters/default/gc").await.problem(502);
}

#[tokio::test]
async fn resolved_ts_v85_per_store() {
    let pd = FakePd::start().await;
    pd.serve_json(MRTS, "min_resolved_ts_v8.5_scope_cluster.json");
    let lens = Lens::single(&[pd.url()]).await;
    let body = lens
        .get("/api/v1/clusters/default/resolved-ts")
        .await
        .ok()
        .clone();
    assert_eq!(pd.hits(MRTS), 1, "{:?}", pd.paths());
    let raw = fixture_json("min_resolved_ts_v8.5_scope_cluster.json");
    let now = observed_ms(&body);
    let min = raw["min_resolved_ts"].as_u64().unwrap();
    assert_eq!(body["min_resolved_ts"], min.to_string());
    assert_eq!(body["min_resolved_ts_at"], rfc3339_of_ms(tso_ms(min)));
    age_close(&body["lag_seconds"], now, min);
    assert_eq!(body["is_real_time"], true);
    assert_eq!(body["persist_interval_seconds"], 1.0);
    let stores = body["stores"].as_array().unwrap();
    let ids: Vec<&str> = stores
        .iter()
        .map(|s| s["store_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["1", "4", "5", "9"]);
    for s in stores {
        let wire = raw["stores_min_resolved_ts"][s["store_id"].as_str().unwrap()]
            .as_u64()
            .unwrap();
        if wire == u64::MAX {
            assert_eq!(s["min_resolved_ts"], Value::Null);
            assert_eq!(s["lag_seconds"], Value::Null);
        } else {
            assert_eq!(s["min_resolved_ts"], wire.to_string());
            age_close(&s["lag_seconds"], now, wire);
        }
    }
    assert_eq!(body["warnings"], json!([]));
}

#[tokio::test]
async fn resolved_ts_v65_has_no_store_values() {
    let pd = FakePd::start().await;
    pd.serve_json(MRTS, "min_resolved_ts_v6.5.json");
    let lens = Lens::single(&[pd.url()]).await;
    let body = lens
        .get("/api/v1/clusters/default/resolved-ts")
        .await
        .ok()
        .clone();
    let raw = fixture_json("min_resolved_ts_v6.5.json");
    assert_eq!(
        body["min_resolved_ts"],
        raw["min_resolved_ts"].as_u64().unwrap().to_string()
    );
    assert_eq!(body["stores"], Value::Null);
    let warnings = body["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0]["message"].as_str().unwrap().contains("v7.1"));

    // The v8.5 body without `scope` (stores `null`) says the same.
    pd.serve_json(MRTS, "min_resolved_ts_v8.5.json");
    let body = lens
        .get("/api/v1/clusters/default/resolved-ts")
        .await
        .ok()
        .clone();
    assert_eq!(body["stores"], Value::Null);
    assert_eq!(body["warnings"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn resolved_ts_of_a_pd_without_the_endpoint_is_a_404_problem() {
    // PD v5.4 has no /min-resolved-ts.
    let pd = FakePd::start().await;
    pd.serve(
        MRTS,
        Canned::new(404, PD_TEXT, fixture("error_route_not_found.txt")),
    );
    let lens = Lens::single(&[pd.url()]).await;
    let answer = lens.get("/api/v1/clusters/default/resolved-ts").await;
    let problem = answer.problem(404);
    assert_eq!(problem["type"], "urn:tikv-lens:problem:not-supported-by-pd");
    assert!(problem["detail"].as_str().unwrap().contains("v6.0"));
    // An unknown cluster is still the usual 404.
    let other = lens.get("/api/v1/clusters/nope/resolved-ts").await;
    assert_eq!(
        other.problem(404)["type"],
        "urn:tikv-lens:problem:unknown-cluster"
    );
}
