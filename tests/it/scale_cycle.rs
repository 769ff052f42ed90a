//! tikv-lens in front of the simulated PD with the scale cycle on (as `tikv-lens demo` runs it):
//! a scale-in whose progress rises to 1 while its ETA shrinks, that stalls with a blocker while a
//! replica has nowhere to go, and whose evict-leader scheduler outlives the store; and the other
//! round-2 answers on live data. One tikv-lens fronts one simulated PD per instant (a cluster
//! each), all over the same simulated cluster.

use jiff::Timestamp;
use serde_json::Value;

use crate::support::{Lens, scale_cycle_lens, scale_epoch};

fn epoch() -> Timestamp {
    scale_epoch()
}

/// Times (seconds after the epoch): the removal of store 2000 began at -120 s; the flapping store
/// is down from 140 s to 480 s; store 2000 is a tombstone by 900 s; store 2001 prepares from
/// 1080 s, while the evict-leader scheduler still holds 2000 (until 1200 s).
const TIMES: [i64; 9] = [-100, -20, 60, 130, 300, 560, 900, 1_150, 1_480];

async fn stack() -> Lens {
    scale_cycle_lens(&TIMES).await
}

async fn progress(lens: &Lens, t: i64, store: u64) -> Value {
    lens.get(&format!("/api/v1/clusters/t{t}/stores/{store}/progress"))
        .await
        .ok()
        .clone()
}

fn blocker_kinds(body: &Value) -> Vec<&str> {
    body["blockers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["kind"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_scale_in_rises_to_one_stalls_on_a_blocker_and_finishes() {
    let lens = stack().await;
    let early = progress(&lens, -20, 2000).await;
    let later = progress(&lens, 60, 2000).await;
    for p in [&early, &later] {
        assert_eq!(p["action"], "removing", "{p}");
        assert_eq!(p["state"], "offline");
        assert_eq!(p["node_state"], "removing");
        assert_eq!(p["source"], "pd");
        assert_eq!(blocker_kinds(p), Vec::<&str>::new(), "{p}");
    }
    let (p1, p2) = (
        early["progress"].as_f64().unwrap(),
        later["progress"].as_f64().unwrap(),
    );
    assert!(0.0 < p1 && p1 < p2 && p2 < 1.0, "{p1} {p2}");
    let (e1, e2) = (
        early["eta_seconds"].as_f64().unwrap(),
        later["eta_seconds"].as_f64().unwrap(),
    );
    assert!(e2 < e1, "the ETA shrinks: {e1} then {e2}");
    assert!(later["regions_left"].as_u64().unwrap() < early["regions_left"].as_u64().unwrap());

    // The flapping store is down: with three stores a replica has nowhere to go.
    let stalled = progress(&lens, 300, 2000).await;
    assert!(
        blocker_kinds(&stalled).contains(&"not_enough_stores"),
        "{stalled}"
    );
    assert_eq!(
        stalled["regions_left"],
        progress(&lens, 130, 2000).await["regions_left"]
    );

    let resumed = progress(&lens, 560, 2000).await;
    assert!(resumed["progress"].as_f64().unwrap() > stalled["progress"].as_f64().unwrap());
    assert_eq!(blocker_kinds(&resumed), Vec::<&str>::new());

    // Finished: a tombstone, nothing happening.
    let done = progress(&lens, 900, 2000).await;
    assert_eq!(done["state"], "tombstone");
    assert_eq!(done["action"], Value::Null);
    assert_eq!(done["regions_left"], 0);

    // The next store prepares while the evict-leader scheduler still holds the tombstone.
    let next = progress(&lens, 1_150, 2001).await;
    assert_eq!(next["action"], "preparing", "{next}");
    assert!(next["progress"].as_f64().unwrap() < 1.0);
    assert_eq!(
        blocker_kinds(&next),
        ["evict_leader_on_removed_store"],
        "{next}"
    );
    let served = progress(&lens, 1_480, 2001).await;
    assert_eq!(served["action"], Value::Null);
    assert_eq!(served["node_state"], "serving");
}

#[tokio::test]
async fn round2_answers_on_live_data() {
    let lens = stack().await;
    let base = "/api/v1/clusters/t60";

    let schedulers = lens.get(&format!("{base}/schedulers")).await.ok().clone();
    let evict = schedulers["schedulers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "evict-leader")
        .unwrap();
    assert_eq!(evict["config"]["store_ids"], serde_json::json!(["2000"]));
    assert_eq!(evict["status"], "running");
    assert_eq!(schedulers["warnings"], serde_json::json!([]));

    // Every operator the simulator writes is in PD's layout: parsed in full, no warning.
    let mut seen = 0;
    for t in TIMES {
        let ops = lens
            .get(&format!("/api/v1/clusters/t{t}/operators"))
            .await
            .ok()
            .clone();
        assert_eq!(ops["warnings"], serde_json::json!([]), "{ops}");
        for op in ops["operators"].as_array().unwrap() {
            assert!(
                op["status"].is_string() && op["region_id"].is_string(),
                "{op}"
            );
            assert!(op["timeout_seconds"].as_f64().unwrap() >= 60.0);
            assert!(
                op["steps"].as_array().is_some_and(|s| !s.is_empty()),
                "{op}"
            );
            seen += 1;
        }
    }
    assert!(seen > 0, "operators in flight at some of the times");

    // Ages are to tikv-lens' clock; the simulated PD's stands still at t = 60 s, so behind it:
    let pd_now = epoch() + jiff::SignedDuration::from_secs(60);
    let behind = |at: &Value| {
        let at: Timestamp = at.as_str().unwrap().parse().unwrap();
        (pd_now.as_millisecond() - at.as_millisecond()) as f64 / 1000.0
    };
    let gc = lens.get(&format!("{base}/gc")).await.ok().clone();
    assert_eq!(gc["held_back_by"], "gc_worker");
    // GC ran at 0:37 with a 10-minute life time.
    assert_eq!(gc["gc_safe_point_at"], "2025-03-10T07:50:37Z");
    assert!(gc["gc_safe_point_age_seconds"].as_f64().unwrap() > behind(&gc["gc_safe_point_at"]));

    let rts = lens.get(&format!("{base}/resolved-ts")).await.ok().clone();
    let lag = behind(&rts["min_resolved_ts_at"]);
    assert!((0.0..=3.0).contains(&lag), "{lag}");
    let mut unknown = 0;
    for s in rts["stores"].as_array().unwrap() {
        if s["min_resolved_ts"].is_null() {
            // The tombstones, and the store being removed (no leaders).
            unknown += 1;
        } else {
            let lag = behind(&s["min_resolved_ts_at"]);
            assert!((0.0..3.0).contains(&lag), "{s}");
        }
    }
    assert_eq!(unknown, 2, "{rts}");
    assert_eq!(rts["warnings"], serde_json::json!([]));

    let config = lens
        .get(&format!("{base}/config/schedule"))
        .await
        .ok()
        .clone();
    assert_eq!(config["schedule"]["max_store_down_time_seconds"], 90.0);
    let limits = config["store_limits"].as_array().unwrap();
    assert!(limits.iter().any(|l| l["store_id"] == "2000"));

    let placement = lens.get(&format!("{base}/placement")).await.ok().clone();
    assert_eq!(
        placement["location_labels"],
        serde_json::json!(["zone", "host"])
    );
    let zones: Vec<&str> = placement["label_tree"]
        .as_array()
        .unwrap()
        .iter()
        .map(|z| z["value"].as_str().unwrap())
        .collect();
    assert_eq!(zones, ["z1", "z2", "z3"]);
    assert!(
        placement["stores"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["covers_location_labels"] == true)
    );
    assert_eq!(placement["placement_rules"][0]["rules"][0]["count"], 3);

    // At 24:40 the GC run of 20:37 was held back by the backup running since 5:00: the GC safe
    // point is the backup's service safe point, older than the GC worker's. (Whether the backup's
    // safe point has expired is judged by tikv-lens' clock, long past the simulated PD's here.)
    let held = lens.get("/api/v1/clusters/t1480/gc").await.ok().clone();
    let services = held["service_safe_points"].as_array().unwrap();
    let backup = services
        .iter()
        .find(|s| s["service_id"].as_str().unwrap().starts_with("br-"))
        .unwrap_or_else(|| panic!("{held}"));
    assert_eq!(held["gc_safe_point"], backup["safe_point"]);
    assert_eq!(backup["safe_point_at"], "2025-03-10T08:04:58Z");
    let worker = services
        .iter()
        .find(|s| s["service_id"] == "gc_worker")
        .unwrap();
    assert_eq!(worker["expires_at"], Value::Null);
    assert_eq!(
        worker["safe_point_at"], "2025-03-10T08:10:37Z",
        "what the worker wanted"
    );
}
