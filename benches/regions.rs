//! Region normalization throughput against a baseline measured in the same run: serde_json
//! merely parsing the same bytes into PD's wire types.
//!
//! `cargo bench --bench regions [-- REGIONS]` (default 200,000 regions). The bodies come from the
//! simulated PD (seeded; PD v8.5 easyjson pages of 10,240 regions, exactly what tikv-lens reads),
//! so nothing is stored on disk. Each side runs 7 times, interleaved; medians are printed, and
//! the ratio normalize / parse-only is the number to watch (aim: at most 1.5).

use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::BodyExt;
use tikv_lens::normalize::{normalize_regions_page, parse_regions_page_wire_only};
use tikv_sim::{Clock, SimCluster, SimConfig, pd_router};
use tower::ServiceExt;

const PAGE: usize = 10_240;
const RUNS: usize = 7;

fn main() {
    // `cargo test --all-targets` runs bench binaries too, without `--bench`: only build then.
    if !std::env::args().any(|a| a == "--bench") {
        println!("regions benchmark: run it with `cargo bench --bench regions`");
        return;
    }
    let regions: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(200_000);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let pages = runtime.block_on(generate_pages(regions));
    let bytes: usize = pages.iter().map(Vec::len).sum();
    let count: usize = pages
        .iter()
        .map(|p| parse_regions_page_wire_only(p).unwrap())
        .sum();
    println!(
        "region normalization: {count} regions in {} pages, {:.1} MB of PD JSON",
        pages.len(),
        bytes as f64 / 1e6
    );

    let mut parse_only = Vec::new();
    let mut normalize = Vec::new();
    for _ in 0..RUNS {
        parse_only.push(time(|| {
            pages
                .iter()
                .map(|p| parse_regions_page_wire_only(p).unwrap())
                .sum()
        }));
        normalize.push(time(|| {
            pages
                .iter()
                .map(|p| normalize_regions_page(p).unwrap().len())
                .sum()
        }));
    }
    let (p, n) = (median(parse_only), median(normalize));
    let report = |name: &str, d: Duration| {
        println!(
            "  {name:<28} median {:>8.1} ms   {:>10.0} regions/s   {:>7.1} MB/s",
            d.as_secs_f64() * 1e3,
            count as f64 / d.as_secs_f64(),
            bytes as f64 / 1e6 / d.as_secs_f64()
        );
    };
    report("serde_json parse only", p);
    report("parse + normalize", n);
    println!(
        "  ratio normalize / parse-only: {:.2} (aim: at most 1.5)",
        n.as_secs_f64() / p.as_secs_f64()
    );
}

/// PD's `/regions/key` pages over the whole key space, from the simulated PD.
async fn generate_pages(regions: u64) -> Vec<Vec<u8>> {
    let epoch = jiff::Timestamp::constant(1_795_737_600, 0);
    let sim = Arc::new(SimCluster::new(SimConfig {
        regions,
        seed: 7,
        epoch,
        ..SimConfig::default()
    }));
    let router = pd_router(sim, Clock::Fixed(epoch));
    let mut pages = Vec::new();
    let mut key = Vec::new();
    loop {
        let encoded: String = url::form_urlencoded::byte_serialize(&key).collect();
        let uri = format!("/pd/api/v1/regions/key?key={encoded}&limit={PAGE}");
        let response = router
            .clone()
            .oneshot(
                axum::http::Request::get(uri)
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        let body = response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        let page = normalize_regions_page(&body).unwrap();
        let last_end = page.last().map(|r| r.end_key.clone()).unwrap_or_default();
        let full = page.len() == PAGE;
        pages.push(body);
        if last_end.is_empty() || !full {
            return pages;
        }
        key = tikv_lens::normalize::tidb_key::hex_decode(&last_end).unwrap();
    }
}

fn time(f: impl FnOnce() -> usize) -> Duration {
    let start = Instant::now();
    std::hint::black_box(f());
    start.elapsed()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}
