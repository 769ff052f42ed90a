//! `/checks`, the overview's check summary and `/fleet`: verdicts driven by the simulated
//! cluster and its simulated Prometheus at chosen instants (a store disconnected then down, a
//! scale-in stalled by it, the evict-leader scheduler outliving its store, leaders dropped by a
//! stopping store and by the others when it takes them back, the hourly spike saturating a
//! raftstore and stalling a store's writes), fixtures driving the Prometheus checks into each
//! status, an outage turning checks `unknown`, and a fleet with a hanging PD answering within
//! its deadline.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{FakePd, Lens, cluster, scale_cycle_lens_with_prometheus, test_limits};

/// Seconds after the epoch, as in `scale_cycle.rs`: the flapping store (`tikv-2`, store 5)
/// hands its leaders over from 90 s to 110 s, stops at 120 s, is down from 140 s to 480 s and
/// takes its leaders back from 510 s to 600 s (and again from 1,110 s to 1,200 s); the removal of
/// store 2000 stalls while it is down; the evict-leader scheduler holds the tombstone 2000 until
/// 1,200 s. The hour's load spike (seed 11) runs from 780 s to 960 s: `tikv-0` (store 1) has
/// its raftstore busiest and its channel full from 850 s to 890 s, `tikv-1` (store 4) stalls
/// writes and rejects them as too busy from 840 s to 900 s.
const TIMES: [i64; 7] = [60, 110, 130, 300, 900, 1_150, 1_480];

async fn stack() -> Lens {
    scale_cycle_lens_with_prometheus(&TIMES).await
}

fn by_id<'a>(body: &'a Value, id: &str) -> &'a Value {
    body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {body}"))
}

fn status<'a>(body: &'a Value, id: &str) -> &'a str {
    by_id(body, id)["status"].as_str().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_follow_the_simulated_cycle() {
    let lens = stack().await;
    let mut bodies = std::collections::BTreeMap::new();
    for t in TIMES {
        let body = lens.get(&format!("/api/v1/clusters/t{t}/checks")).await;
        bodies.insert(t, body.ok().clone());
    }
    let (t60, t300, t1150) = (&bodies[&60], &bodies[&300], &bodies[&1_150]);
    let (t110, t900, t1480) = (&bodies[&110], &bodies[&900], &bodies[&1_480]);

    // Before the flapping store goes down: connected, the removal of 2000 unblocked.
    assert_eq!(status(t60, "store-down"), "ok", "{t60}");
    assert_eq!(status(t60, "scale-in-blocked"), "ok");
    assert_eq!(
        by_id(t60, "scale-in-blocked")["evidence"]["values"]["stores_being_removed"],
        1.0
    );
    // The store is down: PD replaces its replicas, and the removal of 2000 cannot finish.
    let down = by_id(t300, "store-down");
    assert_eq!(down["status"], "critical", "{down}");
    assert_eq!(down["evidence"]["values"]["down_stores"], 1.0);
    assert_eq!(down["evidence"]["store_ids"].as_array().unwrap().len(), 1);
    assert_eq!(
        down["evidence"]["values"]["max_store_down_time_seconds"],
        90.0
    );
    let blocked = by_id(t300, "scale-in-blocked");
    assert_eq!(blocked["status"], "critical", "{blocked}");
    assert_eq!(
        blocked["evidence"]["store_ids"],
        serde_json::json!(["2000"])
    );
    assert_eq!(
        blocked["evidence"]["names"],
        serde_json::json!(["not_enough_stores"])
    );
    let regions = by_id(t300, "region-health");
    assert_eq!(regions["status"], "warning", "{regions}");
    assert!(
        regions["evidence"]["values"]["unhealthy_regions"]
            .as_f64()
            .unwrap()
            >= 1.0
    );
    // Up again, 2000 a tombstone, but its evict-leader scheduler is left behind.
    assert_eq!(status(t1150, "store-down"), "ok");
    assert_eq!(status(t1150, "region-health"), "ok", "{t1150}");
    assert_eq!(status(t1150, "scale-in-blocked"), "ok");
    let evict = by_id(t1150, "leader-schedulers");
    assert_eq!(evict["status"], "warning");
    assert_eq!(
        evict["evidence"]["names"],
        serde_json::json!(["evict-leader-scheduler"])
    );
    assert_eq!(evict["evidence"]["store_ids"], serde_json::json!(["2000"]));
    assert_eq!(
        evict["source"],
        "/pd/api/v1/schedulers, /pd/api/v1/scheduler-config"
    );
    for body in bodies.values() {
        // Every check, always, in the same order; the simulated cluster is otherwise sound.
        let ids: Vec<&str> = body["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, tikv_lens::normalize::checks::CHECK_IDS, "{body}");
        for id in [
            "pd-members",
            "balance-paused",
            "low-space",
            "version-drift",
            "location-labels",
        ] {
            assert_eq!(status(body, id), "ok", "{id}: {body}");
        }
        // The simulated Prometheus answers every check's query: none is unknown, no warning.
        assert_eq!(body["warnings"], serde_json::json!([]), "{body}");
        for id in PROM_CHECKS {
            assert_ne!(status(body, id), "unknown", "{id}: {body}");
            let source = by_id(body, id)["source"].as_str().unwrap();
            assert!(source.contains(" by (instance"), "{id}: {source}");
        }
        // Apply threads never come near TiKV's 0.9 cores.
        assert_eq!(status(body, "apply-cpu"), "ok", "{body}");
    }

    // Calm instants: every Prometheus check passes (the store down at 300 s has no series).
    for body in [t60, &bodies[&130], t300] {
        for id in PROM_CHECKS {
            assert_eq!(status(body, id), "ok", "{id}: {body}");
        }
    }
    // The flapping store hands its leaders over before it stops: it drops them all in 20 s.
    let drops = by_id(t110, "leader-drops");
    assert_eq!(drops["status"], "warning", "{drops}");
    assert_eq!(drops["evidence"]["store_ids"], serde_json::json!(["5"]));
    assert!(
        drops["evidence"]["values"]["max_leaders_dropped"]
            .as_f64()
            .unwrap()
            > 10.0
    );
    assert!(
        drops["source"]
            .as_str()
            .unwrap()
            .contains(r#"delta(tikv_raftstore_region_count{instance=~"#),
        "{drops}"
    );
    // The hourly spike: tikv-0's raftstore over TiKV's 1.6 cores and its channel full, tikv-1's
    // writes stalled and rejected.
    for (id, want, store) in [
        ("raftstore-cpu", "critical", "1"),
        ("channel-full", "critical", "1"),
        ("write-stall", "critical", "4"),
        ("scheduler-busy", "critical", "4"),
    ] {
        let check = by_id(t900, id);
        assert_eq!(check["status"], want, "{check}");
        assert_eq!(
            check["evidence"]["store_ids"],
            serde_json::json!([store]),
            "{check}"
        );
    }
    let raft = by_id(t900, "raftstore-cpu")["evidence"]["values"]["max_raftstore_cpu_cores"]
        .as_f64()
        .unwrap();
    assert!(raft > 1.6 && raft < 2.0, "{raft}");
    assert_eq!(
        by_id(t900, "channel-full")["evidence"]["names"],
        serde_json::json!(["normal"])
    );
    assert_eq!(status(t900, "leader-drops"), "ok", "{t900}");
    // Past the spike: the raftstore is calm and nothing is rejected, but the stall and the full
    // channel stay in TiKV's 10-minute windows; the restarted store takes its leaders back, so
    // the others drop them.
    assert_eq!(status(t1150, "raftstore-cpu"), "ok", "{t1150}");
    assert_eq!(status(t1150, "scheduler-busy"), "ok", "{t1150}");
    for body in [t1150, t1480] {
        assert_eq!(status(body, "write-stall"), "critical", "{body}");
        assert_eq!(status(body, "channel-full"), "critical", "{body}");
    }
    let back = by_id(t1150, "leader-drops");
    assert_eq!(back["status"], "warning", "{back}");
    assert_eq!(back["evidence"]["store_ids"], serde_json::json!(["1", "4"]));
    // The summary counts every check, and the worst is critical while the store is down.
    assert_eq!(t300["summary"]["worst_status"], "critical");
    let counts = &t300["summary"]["counts"];
    let total: u64 = ["ok", "warning", "critical", "unknown"]
        .iter()
        .map(|k| counts[k].as_u64().unwrap())
        .sum();
    assert_eq!(
        total as usize,
        tikv_lens::normalize::checks::CHECK_IDS.len()
    );

    // The filter keeps the statuses asked for; the summary still counts every check.
    let filtered = lens
        .get("/api/v1/clusters/t300/checks?status=critical")
        .await
        .ok()
        .clone();
    let kept: Vec<&str> = filtered["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert!(
        !kept.is_empty() && kept.iter().all(|s| *s == "critical"),
        "{filtered}"
    );
    assert_eq!(filtered["summary"], t300["summary"]);
    let bad = lens
        .get("/api/v1/clusters/t300/checks?status=warning,fine")
        .await;
    assert_eq!(bad.problem(400)["parameter"], "status");

    // The overview carries the same summary.
    let overview = lens.get("/api/v1/clusters/t300").await.ok().clone();
    assert_eq!(overview["checks"]["worst_status"], "critical");
    assert_eq!(overview["checks"]["counts"], t300["summary"]["counts"]);
}

#[tokio::test]
async fn an_outage_makes_checks_unknown_never_ok() {
    let lens = Lens::single(&[crate::support::refused_url().await]).await;
    let body = lens
        .get("/api/v1/clusters/default/checks")
        .await
        .ok()
        .clone();
    let checks = body["checks"].as_array().unwrap();
    assert_eq!(
        checks.len(),
        tikv_lens::normalize::checks::CHECK_IDS.len(),
        "every check is listed: {body}"
    );
    for check in checks {
        assert_eq!(check["status"], "unknown", "{check}");
        assert!(
            check["summary"]
                .as_str()
                .unwrap()
                .contains("could not be read")
        );
    }
    assert_eq!(body["summary"]["worst_status"], "unknown");
    assert_eq!(
        body["summary"]["counts"]["unknown"].as_u64().unwrap() as usize,
        tikv_lens::normalize::checks::CHECK_IDS.len()
    );
    let warnings = body["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w["source"] == "pd"
                && w["message"].as_str().unwrap().starts_with("stores unknown")),
        "{body}"
    );
    // Without a Prometheus configured, its checks are unknown too, and a warning says why.
    assert!(
        warnings.iter().any(|w| w["source"] == "prometheus"
            && w["message"]
                .as_str()
                .unwrap()
                .contains("has no Prometheus configured")),
        "{body}"
    );
    // Only what failed is unknown: with PD answering the stores but not the GC safe points, the
    // store checks decide and the GC check is unknown.
    let pd = FakePd::start().await;
    pd.serve_v85_cluster();
    let lens = Lens::single(&[pd.url()]).await;
    let body = lens
        .get("/api/v1/clusters/default/checks")
        .await
        .ok()
        .clone();
    assert_eq!(status(&body, "version-drift"), "ok", "{body}");
    assert_eq!(status(&body, "gc-safe-point-age"), "unknown", "{body}");
    assert!(
        body["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["message"]
                .as_str()
                .unwrap()
                .starts_with("GC safe points unknown")),
        "{body}"
    );
}

/// A lag or an age is measured from the time its own data was read: a configuration cached for
/// a minute makes the request's oldest read older, and must not make the lag shorter.
#[tokio::test]
async fn lags_and_ages_count_from_their_own_read_not_the_oldest() {
    let mut config = cluster("default", &[crate::support::simulated_pd(100).await]);
    config.cache.pd_config = Duration::from_secs(60);
    let lens = Lens::start(vec![config], test_limits()).await;
    lens.get("/api/v1/clusters/default/checks").await.ok();
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let body = lens
        .get("/api/v1/clusters/default/checks")
        .await
        .ok()
        .clone();
    let observed: jiff::Timestamp = body["observed_at"].as_str().unwrap().parse().unwrap();
    assert!(
        jiff::Timestamp::now().duration_since(observed) >= jiff::SignedDuration::from_secs(2),
        "the cached configuration is the oldest read: {body}"
    );
    let resolved = lens.get("/api/v1/clusters/default/resolved-ts").await;
    let gc = lens.get("/api/v1/clusters/default/gc").await;
    let value = |id: &str, name: &str| {
        by_id(&body, id)["evidence"]["values"][name]
            .as_f64()
            .unwrap_or_else(|| panic!("{id}: no {name} in {body}"))
    };
    for (got, want) in [
        (
            value("resolved-ts-lag", "lag_seconds"),
            resolved.ok()["lag_seconds"].as_f64().unwrap(),
        ),
        (
            value("gc-safe-point-age", "gc_safe_point_age_seconds"),
            gc.ok()["gc_safe_point_age_seconds"].as_f64().unwrap(),
        ),
    ] {
        assert!((got - want).abs() < 1.0, "{got} vs {want}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fleet_answers_within_its_deadline_when_one_pd_hangs() {
    // A PD that accepts connections and never answers.
    let hanging = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hanging_url = format!("http://{}", hanging.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = hanging.accept().await {
            held.push(socket);
        }
    });
    let clusters = vec![
        cluster("one", &[crate::support::simulated_pd(100).await]),
        cluster("hangs", &[hanging_url]),
        cluster("two", &[crate::support::simulated_pd(100).await]),
    ];
    // PD's own deadlines are longer than the fleet's share of the request (2 s of 4 s), so the
    // fleet's per-cluster deadline is what ends the wait.
    let limits = tikv_lens::upstream::UpstreamLimits {
        pd_timeout: Duration::from_secs(20),
        pd_attempt_timeout: Duration::from_secs(20),
        ..test_limits()
    };
    let access = tikv_lens::config::AccessConfig {
        request_timeout: Duration::from_secs(4),
        ..Default::default()
    };
    let lens = Lens::start_with_access(clusters, limits, access).await;
    let started = Instant::now();
    let answer = lens.get("/api/v1/fleet").await;
    let elapsed = started.elapsed();
    let body = answer.ok().clone();
    assert!(elapsed < Duration::from_millis(3_500), "{elapsed:?}");
    assert!(
        elapsed >= Duration::from_millis(1_900),
        "the hanging cluster was waited for: {elapsed:?}"
    );
    assert_eq!(body["cluster_deadline_seconds"], 2.0);
    let names: Vec<&str> = body["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["one", "hangs", "two"]);
    for i in [0, 2] {
        let c = &body["clusters"][i];
        assert_eq!(c["answered"], true, "{c}");
        assert!(c["version"].is_string(), "{c}");
        assert!(c["stores"]["total"].as_u64().unwrap() >= 3, "{c}");
        assert!(c["storage"]["capacity_bytes"].as_u64().unwrap() > 0, "{c}");
        assert!(c["checks"]["worst_status"].is_string(), "{c}");
        let not_ok = c["not_ok"].as_array().unwrap();
        assert!(not_ok.iter().all(|k| k["status"] != "ok"), "{c}");
    }
    let dead = &body["clusters"][1];
    assert_eq!(dead["answered"], false, "{dead}");
    assert_eq!(dead["checks"], Value::Null);
    assert_eq!(dead["stores"], Value::Null);
    let warning = dead["warnings"][0]["message"].as_str().unwrap();
    assert!(warning.contains("deadline of 2000 ms"), "{warning}");
}

/// A Prometheus vector answer: one sample per `(instance, type, value)`.
fn vector(samples: &[(&str, Option<&str>, &str)]) -> crate::support::Canned {
    let result: Vec<Value> = samples
        .iter()
        .map(|(instance, kind, value)| {
            let mut metric = serde_json::json!({ "instance": instance });
            if let Some(kind) = kind {
                metric["type"] = Value::from(*kind);
            }
            serde_json::json!({ "metric": metric, "value": [1_741_593_600.0, value] })
        })
        .collect();
    crate::support::fake_prometheus::prom_json(
        serde_json::to_vec(&serde_json::json!({
            "status": "success",
            "data": { "resultType": "vector", "result": result }
        }))
        .unwrap(),
    )
}

const PROM_CHECKS: [&str; 7] = [
    "capacity-runway",
    "raftstore-cpu",
    "apply-cpu",
    "write-stall",
    "channel-full",
    "leader-drops",
    "scheduler-busy",
];

/// `/checks` of the v8.5 fixture cluster (stores 1 and 4 are `10.0.1.21` and `10.0.1.22`)
/// behind a shared Prometheus selected by `k8s_cluster="eu1"`, answering each check's query
/// with `answers(metric)`; returns the body and the PromQL received.
async fn with_prometheus(
    answers: impl Fn(&str) -> crate::support::Canned + Send + Sync + 'static,
) -> (Value, Vec<String>) {
    get_with_prometheus("/api/v1/clusters/default/checks", answers).await
}

/// `path` of the cluster of [`with_prometheus`].
async fn get_with_prometheus(
    path: &str,
    answers: impl Fn(&str) -> crate::support::Canned + Send + Sync + 'static,
) -> (Value, Vec<String>) {
    use crate::support::fake_prometheus::{FakePrometheus, QUERY, cluster_with_prometheus};
    let pd = FakePd::start().await;
    pd.serve_v85_cluster();
    let prometheus = FakePrometheus::start().await;
    prometheus.answer_with(QUERY, move |r| {
        let q = r.query();
        let metric = [
            "tikv_store_size_bytes",
            "(raftstore|rs)_",
            "apply_",
            "tikv_engine_write_stall",
            "tikv_channel_full_total",
            "tikv_raftstore_region_count",
            "tikv_scheduler_too_busy_total",
        ]
        .into_iter()
        .find(|m| q.contains(m))
        .unwrap_or("");
        answers(metric)
    });
    let mut config = cluster_with_prometheus("default", &[pd.url()], &prometheus.url());
    config.prometheus_selection.labels = vec![(
        tikv_lens::upstream::prometheus::LabelName::parse("k8s_cluster").unwrap(),
        "eu1".to_owned(),
    )];
    let lens = Lens::start(vec![config], test_limits()).await;
    let body = lens.get(path).await.ok().clone();
    let sent = prometheus
        .received_on(QUERY)
        .iter()
        .map(|r| r.query().to_owned())
        .collect();
    (body, sent)
}

fn calm(metric: &str) -> crate::support::Canned {
    match metric {
        "tikv_store_size_bytes" => vector(&[
            ("10.0.1.21:20180", None, "120"),
            ("10.0.1.22:20180", None, "+Inf"),
        ]),
        "(raftstore|rs)_" => vector(&[("10.0.1.21:20180", None, "0.4")]),
        "apply_" => vector(&[("10.0.1.21:20180", None, "0.2")]),
        "tikv_engine_write_stall" => vector(&[("10.0.1.21:20180", None, "0")]),
        "tikv_channel_full_total" => vector(&[]),
        "tikv_scheduler_too_busy_total" => vector(&[
            ("10.0.1.21:20180", None, "0"),
            ("10.0.1.22:20180", None, "0"),
        ]),
        _ => vector(&[("10.0.1.21:20180", None, "3")]),
    }
}

fn troubled(metric: &str) -> crate::support::Canned {
    match metric {
        "tikv_store_size_bytes" => vector(&[
            ("10.0.1.21:20180", None, "5.5"),
            ("10.0.1.22:20180", None, "20"),
        ]),
        "(raftstore|rs)_" => vector(&[("10.0.1.22:20180", None, "1.9")]),
        "apply_" => vector(&[("10.0.1.22:20180", None, "0.95")]),
        "tikv_engine_write_stall" => vector(&[("10.0.1.21:20180", None, "2")]),
        "tikv_channel_full_total" => vector(&[("10.0.1.22:20180", Some("raftstore"), "0.25")]),
        "tikv_scheduler_too_busy_total" => vector(&[
            ("10.0.1.21:20180", None, "0.5"),
            ("10.0.1.22:20180", None, "12.5"),
        ]),
        _ => vector(&[("10.0.1.22:20180", None, "-40")]),
    }
}

#[tokio::test]
async fn prometheus_checks_pass_on_calm_answers() {
    let (body, sent) = with_prometheus(calm).await;
    for id in PROM_CHECKS {
        assert_eq!(status(&body, id), "ok", "{id}: {body}");
        let source = by_id(&body, id)["source"].as_str().unwrap();
        assert!(
            sent.iter().any(|q| q == source),
            "{id}: {source} not in {sent:?}"
        );
    }
    assert_eq!(sent.len(), PROM_CHECKS.len(), "{sent:?}");
    for q in &sent {
        assert!(
            q.contains(r#"k8s_cluster="eu1",instance=~"#)
                && q.contains("10\\\\.0\\\\.1\\\\.21:20180"),
            "the selection's matchers and the stores' instances: {q}"
        );
    }
    let runway = by_id(&body, "capacity-runway");
    assert_eq!(runway["evidence"]["values"]["store_1_runway_days"], 120.0);
    assert_eq!(runway["evidence"]["values"]["min_runway_days"], 120.0);
    assert_eq!(runway["evidence"]["warning_threshold"], 30.0);
    assert_eq!(runway["evidence"]["critical_threshold"], 7.0);
    assert!(
        runway["source"]
            .as_str()
            .unwrap()
            .contains("predict_linear(")
    );
    assert!(
        by_id(&body, "leader-drops")["source"]
            .as_str()
            .unwrap()
            .contains("[30s]")
    );
    assert!(body["summary"]["counts"]["ok"].as_u64().unwrap() >= 6);
}

#[tokio::test]
async fn prometheus_checks_fire_on_troubled_answers() {
    let (body, _) = with_prometheus(troubled).await;
    let expect = [
        ("capacity-runway", "critical", vec!["1"]),
        ("raftstore-cpu", "critical", vec!["4"]),
        ("apply-cpu", "critical", vec!["4"]),
        ("write-stall", "critical", vec!["1"]),
        ("channel-full", "critical", vec!["4"]),
        ("leader-drops", "warning", vec!["4"]),
        ("scheduler-busy", "critical", vec!["4"]),
    ];
    for (id, want, stores) in expect {
        let check = by_id(&body, id);
        assert_eq!(check["status"], want, "{check}");
        assert_eq!(
            check["evidence"]["store_ids"],
            serde_json::json!(stores),
            "{check}"
        );
    }
    assert_eq!(
        by_id(&body, "channel-full")["evidence"]["names"],
        serde_json::json!(["raftstore"])
    );
    assert_eq!(
        by_id(&body, "leader-drops")["evidence"]["values"]["max_leaders_dropped"],
        40.0
    );
    // 20 days left on the fullest store: a warning, not critical; a few writes rejected on one
    // store (0.2 a second, under the critical 1 a second): a warning.
    let (body, _) = with_prometheus(|m| match m {
        "tikv_store_size_bytes" => vector(&[("10.0.1.21:20180", None, "20")]),
        "tikv_scheduler_too_busy_total" => vector(&[
            ("10.0.1.21:20180", None, "0.2"),
            ("10.0.1.22:20180", None, "0"),
        ]),
        _ => calm(m),
    })
    .await;
    let runway = by_id(&body, "capacity-runway");
    assert_eq!(runway["status"], "warning", "{runway}");
    assert_eq!(runway["evidence"]["store_ids"], serde_json::json!(["1"]));
    let busy = by_id(&body, "scheduler-busy");
    assert_eq!(busy["status"], "warning", "{busy}");
    assert_eq!(busy["evidence"]["store_ids"], serde_json::json!(["1"]));
    assert_eq!(busy["evidence"]["warning_threshold"], 0.0);
    assert_eq!(busy["evidence"]["critical_threshold"], 1.0);
    // No series at all is unknown, not ok (channel-full's series exist only once a channel
    // was full, so its empty answer is ok).
    let (body, _) = with_prometheus(|_| vector(&[])).await;
    for id in PROM_CHECKS {
        let want = if id == "channel-full" {
            "ok"
        } else {
            "unknown"
        };
        assert_eq!(status(&body, id), want, "{id}: {body}");
    }
}

#[tokio::test]
async fn a_prometheus_outage_makes_its_checks_unknown() {
    use crate::support::fake_prometheus::cluster_with_prometheus;
    let pd = FakePd::start().await;
    pd.serve_v85_cluster();
    let refused = crate::support::refused_url().await;
    let lens = Lens::start(
        vec![cluster_with_prometheus("default", &[pd.url()], &refused)],
        test_limits(),
    )
    .await;
    let body = lens
        .get("/api/v1/clusters/default/checks")
        .await
        .ok()
        .clone();
    for id in PROM_CHECKS {
        let check = by_id(&body, id);
        assert_eq!(check["status"], "unknown", "{check}");
        assert!(
            check["source"].as_str().unwrap().contains("tikv_"),
            "{check}"
        );
    }
    assert_eq!(status(&body, "version-drift"), "ok", "{body}");
    assert!(
        body["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["source"] == "prometheus"
                && w["message"]
                    .as_str()
                    .unwrap()
                    .starts_with("Prometheus could not answer")),
        "{body}"
    );
}

#[tokio::test]
async fn the_fleet_shows_the_runway() {
    let (body, _) = get_with_prometheus("/api/v1/fleet", troubled).await;
    let cluster = &body["clusters"][0];
    assert_eq!(cluster["runway_days"], 5.5, "{cluster}");
    let not_ok: Vec<&str> = cluster["not_ok"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    for id in PROM_CHECKS {
        assert!(not_ok.contains(&id), "{id}: {cluster}");
    }
    let (body, _) = get_with_prometheus("/api/v1/fleet", calm).await;
    assert_eq!(body["clusters"][0]["runway_days"], 120.0);
    // No store size series: no runway to show.
    let (body, _) = get_with_prometheus("/api/v1/fleet", |_| vector(&[])).await;
    assert_eq!(body["clusters"][0]["runway_days"], Value::Null);
}
