//! Walking every page of a generated 100,000-region cluster through the real HTTP path: the
//! simulated PD (seeded, fixed clock) on one port, tikv-lens on another.

use std::collections::HashSet;

use crate::support::{Lens, cluster, test_limits};

const REGIONS: u64 = 100_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn walking_every_page_visits_every_region_once_in_key_order() {
    let pd = crate::support::simulated_pd(REGIONS).await;
    // A debug build renders 10,000-region pages slowly when the other tests load the machine:
    // give PD time (this test is about the walk, not the deadlines).
    let limits = tikv_lens::upstream::UpstreamLimits {
        pd_timeout: std::time::Duration::from_secs(60),
        pd_attempt_timeout: std::time::Duration::from_secs(30),
        ..test_limits()
    };
    let lens = Lens::start(vec![cluster("sim", &[pd])], limits).await;
    let expected = lens.get("/api/v1/clusters/sim").await.ok()["region_count"]
        .as_u64()
        .unwrap();
    assert!(expected >= REGIONS, "{expected}");

    let mut cursor: Option<String> = None;
    let mut seen_ids = HashSet::new();
    let mut previous_end: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/clusters/sim/regions?limit=10000&cursor={c}"),
            None => "/api/v1/clusters/sim/regions?limit=10000".to_owned(),
        };
        let answer = lens.get(&path).await;
        let body = answer.ok();
        pages += 1;
        let regions = body["regions"].as_array().unwrap();
        assert!(regions.len() <= 10_000);
        for r in regions {
            let id = r["id"].as_str().unwrap().to_owned();
            assert!(seen_ids.insert(id.clone()), "region {id} seen twice");
            let start = r["start_key"].as_str().unwrap().to_owned();
            match &previous_end {
                None => assert_eq!(start, "", "the walk starts at the start of the key space"),
                Some(end) => assert_eq!(&start, end, "gap or overlap before region {id}"),
            }
            previous_end = Some(r["end_key"].as_str().unwrap().to_owned());
        }
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
        assert!(pages < 100, "the walk does not end");
    }
    assert_eq!(
        previous_end.as_deref(),
        Some(""),
        "the walk ends at the end of the key space"
    );
    assert_eq!(seen_ids.len() as u64, expected);
    assert_eq!(pages, expected.div_ceil(10_000));
}
