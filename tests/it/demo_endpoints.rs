//! Every endpoint of the API contract answers with live data from the demo's simulated cluster
//! (simulated PD and Prometheus on one clock), through the real HTTP path.

use std::sync::Arc;

use tikv_lens::config::ClusterConfig;
use tikv_lens::upstream::CacheTtls;
use tikv_sim::{Clock, SimCluster, SimConfig};

use crate::support::schema::Document;
use crate::support::{Lens, test_limits};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_api_endpoint_answers_on_the_demo_cluster() {
    let epoch = jiff::Timestamp::constant(1_795_737_600, 0);
    let now = epoch
        .checked_add(jiff::SignedDuration::from_secs(3_600))
        .unwrap();
    let sim = Arc::new(SimCluster::new(SimConfig {
        regions: 500,
        seed: 3,
        epoch,
        ..SimConfig::default()
    }));
    let pd = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let prom = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (pd_url, prom_url) = (
        format!("http://{}", pd.local_addr().unwrap()),
        format!("http://{}", prom.local_addr().unwrap()),
    );
    tokio::spawn(tikv_sim::serve_pd(
        pd,
        Arc::clone(&sim),
        Clock::Fixed(now),
        std::future::pending(),
    ));
    tokio::spawn(tikv_sim::serve_prometheus(
        prom,
        sim,
        Clock::Fixed(now),
        std::future::pending(),
    ));
    let cluster = ClusterConfig {
        name: "demo".into(),
        pd_endpoints: vec![pd_url.parse().unwrap()],
        prometheus: Some(prom_url.parse().unwrap()),
        cache: CacheTtls::uncached(),
        checks: Default::default(),
        security: Default::default(),
        prometheus_selection: Default::default(),
        events_poll_interval: None,
    };
    let lens = Lens::start(vec![cluster], test_limits()).await;
    let t = now.as_second();
    let base = "/api/v1/clusters/demo";

    let clusters = lens.get("/api/v1/clusters").await;
    assert_eq!(clusters.ok()["clusters"][0]["health"], "healthy");
    let overview = lens.get(base).await;
    let overview = overview.ok();
    assert_eq!(
        overview["region_count"].as_u64().map(|n| n >= 500),
        Some(true),
        "{overview}"
    );
    assert!(overview["region_health"]["empty"].is_u64(), "{overview}");
    assert!(overview["storage"]["capacity_bytes"].as_u64().unwrap() > 0);
    assert_eq!(lens.get(&format!("{base}/members")).await.ok()["count"], 3);

    let stores = lens
        .get(&format!("{base}/stores?include=metrics&time={t}"))
        .await;
    let stores = stores.ok();
    let first = &stores["stores"][0];
    let id = first["id"].as_str().unwrap().to_owned();
    assert!(
        first["metrics"]["cpu_cores"].as_f64().unwrap() > 0.0,
        "{first}"
    );
    assert_eq!(first["metrics"]["region_count"], first["region_count"]);
    assert_eq!(
        lens.get(&format!("{base}/stores/{id}")).await.ok()["store"]["id"],
        id.as_str()
    );
    let series = lens
        .get(&format!(
            "{base}/stores/{id}/metrics?start={}&end={t}&step=60",
            t - 1800
        ))
        .await;
    assert_eq!(
        series.ok()["metrics"]["cpu_cores"]
            .as_array()
            .unwrap()
            .len(),
        31
    );

    let page = lens.get(&format!("{base}/regions?limit=3")).await;
    let page = page.ok();
    assert_eq!(page["count"], 3);
    let region = &page["regions"][1];
    let region_id = region["id"].as_str().unwrap();
    let start_key = region["start_key"].as_str().unwrap();
    assert_eq!(
        lens.get(&format!("{base}/regions/{region_id}")).await.ok()["region"]["id"],
        region_id
    );
    assert_eq!(
        lens.get(&format!("{base}/regions/by-key?key={start_key}"))
            .await
            .ok()["region"]["id"],
        region_id
    );
    assert!(
        lens.get(&format!("{base}/regions/health")).await.ok()["counts"]["undersized"].is_u64()
    );
    for kind in ["read", "write"] {
        let hot = lens.get(&format!("{base}/hotspots/{kind}")).await;
        assert!(!hot.ok()["stores"].as_array().unwrap().is_empty(), "{kind}");
    }

    let instant = lens
        .get(&format!("{base}/metrics/query?query=sum(tikv_store_size_bytes%7Btype%3D%22capacity%22%7D)&time={t}"))
        .await;
    assert!(instant.ok()["samples"][0]["value"].as_f64().unwrap() > 0.0);
    let range = lens
        .get(&format!(
            "{base}/metrics/query_range?query=sum%20by%20(instance)%20(rate(process_cpu_seconds_total%5B1m%5D))&start={}&end={t}&step=5m",
            t - 3600
        ))
        .await;
    let range = range.ok();
    assert_eq!(range["timestamps_ms"].as_array().unwrap().len(), 13);
    assert!(!range["series"].as_array().unwrap().is_empty());

    // Every answer, problems included, is a valid instance of the schema the document gives for
    // its path and status: every field present (`null`, never omitted), every type and format
    // as documented.
    let doc = Document::committed();
    let paths = [
        "/healthz".to_owned(),
        "/readyz".to_owned(),
        "/api/v1/clusters".to_owned(),
        base.to_owned(),
        format!("{base}/members"),
        format!("{base}/stores"),
        format!("{base}/stores?include=metrics&time={t}"),
        format!("{base}/stores?state=sideways"),
        format!("{base}/stores/{id}"),
        format!("{base}/stores/424242"),
        format!(
            "{base}/stores/{id}/metrics?start={}&end={t}&step=60",
            t - 1800
        ),
        format!("{base}/regions?limit=3"),
        format!("{base}/regions?limit=0"),
        format!("{base}/regions/{region_id}"),
        format!("{base}/regions/by-key?key={start_key}"),
        format!("{base}/regions/health"),
        format!("{base}/checks"),
        format!("{base}/checks?status=warning,critical"),
        format!("{base}/checks?status=sideways"),
        "/api/v1/fleet".to_owned(),
        format!("{base}/hotspots/read"),
        format!("{base}/hotspots/write"),
        format!("{base}/metrics/query?query=sum%20by%20(instance)%20(up)&time={t}"),
        format!("{base}/metrics/query?query=up%5B5m%5D&time={t}"),
        format!("{base}/metrics/query"),
        format!(
            "{base}/metrics/query_range?query=sum%20by%20(instance)%20(rate(process_cpu_seconds_total%5B1m%5D))&start={}&end={t}&step=5m",
            t - 3600
        ),
    ];
    for path in paths {
        let answer = lens.get(&path).await;
        let route = path.split('?').next().unwrap();
        let errors = doc.errors(&doc.answer_schema(route, answer.status), &answer.json);
        assert!(
            errors.is_empty(),
            "{path} ({}) does not match its documented schema: {errors:#?}\n{}",
            answer.status,
            answer.json
        );
    }
}
