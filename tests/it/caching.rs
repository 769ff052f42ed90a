//! HTTP caching through the real server: concurrent identical upstream reads coalesced into one
//! (even uncached), per-resource TTLs, strong ETags with `304 Not Modified`, `no-store` on
//! errors, gzip, and range queries snapped to the step grid so sliding windows share a cache
//! entry. Nothing here measures a duration: upstream hit counts, headers and bodies prove each
//! behaviour, and every test is bounded by [`bounded`].

use std::future::Future;
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{
    ACCEPT_ENCODING, AGE, CACHE_CONTROL, CONTENT_ENCODING, ETAG, HeaderMap, IF_NONE_MATCH, VARY,
};
use serde_json::{Value, json};
use tikv_lens::config::ClusterConfig;
use tikv_lens::upstream::{CacheTtls, UpstreamLimits};

use crate::support::fake_prometheus::{
    FakePrometheus, QUERY, QUERY_RANGE, Received, cluster_with_prometheus, prom_json,
    prometheus_canned, urlencode,
};
use crate::support::{
    Canned, FakePd, Lens, PD_DATA, PD_JSON, cluster, fixture, pd_json_string, refused_url,
    test_limits,
};

const STORES: &str = "/pd/api/v1/stores";
const MEMBERS: &str = "/pd/api/v1/members";
const LIST: &str = "/api/v1/clusters/default/stores";

/// Runs a test body under a 60 s cap, so that no regression can hang the suite.
async fn bounded<F: Future>(body: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(60), body)
        .await
        .expect("the test did not finish within 60 s")
}

/// A client of our own (the harness' client cannot send headers), with a pool as large as the
/// bursts below and no automatic decompression (reqwest is built without it here).
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(2_000)
        .build()
        .unwrap()
}

/// An answer as sent on the wire: status, headers and raw (possibly gzip) bytes.
#[derive(Debug, Clone)]
struct Raw {
    status: u16,
    headers: HeaderMap,
    body: Bytes,
}

impl Raw {
    fn header(&self, name: impl reqwest::header::AsHeaderName) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    fn etag(&self) -> &str {
        self.header(ETAG)
            .unwrap_or_else(|| panic!("no ETag on a {} answer: {:?}", self.status, self.headers))
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The `N` of `Cache-Control: max-age=N`.
    fn max_age(&self) -> u64 {
        let cc = self
            .header(CACHE_CONTROL)
            .unwrap_or_else(|| panic!("no Cache-Control: {:?}", self.headers));
        cc.strip_prefix("max-age=")
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("Cache-Control is not max-age=N: {cc:?}"))
    }
}

async fn get(client: &reqwest::Client, url: &str, headers: &[(&str, &str)]) -> Raw {
    let mut request = client.get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.bytes().await.unwrap();
    Raw {
        status,
        headers,
        body,
    }
}

/// `count` concurrent GETs of `url`, released together, over connections opened beforehand
/// (so that the burst reaches tikv-lens while the first upstream read is still in flight).
async fn burst(client: &reqwest::Client, base: &str, url: &str, count: usize) -> Vec<Raw> {
    warm_pool(client, base, count).await;
    let barrier = Arc::new(tokio::sync::Barrier::new(count));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..count {
        let (client, url, barrier) = (client.clone(), url.to_owned(), barrier.clone());
        tasks.spawn(async move {
            barrier.wait().await;
            get(&client, &url, &[]).await
        });
    }
    tasks.join_all().await
}

/// Opens `count` keep-alive connections to tikv-lens and leaves them idle in `client`'s pool.
async fn warm_pool(client: &reqwest::Client, base: &str, count: usize) {
    let barrier = Arc::new(tokio::sync::Barrier::new(count));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..count {
        let (client, url, barrier) = (client.clone(), format!("{base}/healthz"), barrier.clone());
        tasks.spawn(async move {
            barrier.wait().await;
            get(&client, &url, &[]).await.status
        });
    }
    assert!(tasks.join_all().await.iter().all(|s| *s == 200));
}

/// How long the fake PD holds its answer in the coalescing tests, so that every request of a
/// burst reaches tikv-lens while the one PD request is in flight. Dispatching 1,000 requests
/// through client and server in one debug-built process on two cores took about 0.9 s here,
/// so the ~300 ms first tried did not overlap them; this leaves a wide margin under load.
const HOLD: Duration = Duration::from_secs(5);

/// Test limits with PD deadlines longer than [`HOLD`].
fn patient_limits() -> UpstreamLimits {
    UpstreamLimits {
        pd_timeout: Duration::from_secs(30),
        pd_attempt_timeout: Duration::from_secs(20),
        ..test_limits()
    }
}

/// Every TTL long enough that a test never sees an entry expire.
fn long_ttls() -> CacheTtls {
    let long = Duration::from_secs(600);
    CacheTtls {
        stores: long,
        members: long,
        pd_status: long,
        regions: long,
        region_health: long,
        hotspots: long,
        scheduling: long,
        pd_config: long,
        safe_points: long,
        prometheus_recent: long,
        prometheus_past: long,
    }
}

fn with_cache(mut c: ClusterConfig, cache: CacheTtls) -> ClusterConfig {
    c.cache = cache;
    c
}

fn observed_at(body: &Value) -> jiff::Timestamp {
    body["observed_at"]
        .as_str()
        .unwrap_or_else(|| panic!("no observed_at: {body}"))
        .parse()
        .unwrap()
}

fn assert_strong_etag(raw: &Raw, what: &str) {
    let etag = raw.etag();
    assert!(
        etag.len() > 2 && etag.starts_with('"') && etag.ends_with('"'),
        "{what}: ETag {etag:?} is not a quoted tag"
    );
    assert!(!etag.starts_with("W/"), "{what}: ETag {etag:?} is weak");
}

fn assert_not_stored(raw: &Raw, what: &str) {
    assert_eq!(raw.header(CACHE_CONTROL), Some("no-store"), "{what}");
    assert_eq!(raw.header(ETAG), None, "{what}: an error has no validator");
}

// ---- 1. coalescing ----

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_identical_uncached_requests_make_one_pd_request() {
    bounded(async {
        let pd = FakePd::start().await;
        pd.serve(STORES, Canned::json("stores.json").delayed(HOLD));
        // `Lens::single`'s TTLs (nothing kept), with deadlines that outlast the hold.
        let lens = Lens::start(vec![cluster("default", &[pd.url()])], patient_limits()).await;
        let client = client();
        let url = format!("{}{LIST}", lens.base);

        let answers = burst(&client, &lens.base, &url, 1_000).await;

        assert_eq!(answers.len(), 1_000);
        assert_eq!(pd.hits(STORES), 1, "1,000 identical reads, one PD request");
        let first = &answers[0];
        assert_eq!(first.status, 200, "{:?}", first.body);
        assert!(!first.json()["stores"].as_array().unwrap().is_empty());
        for (i, a) in answers.iter().enumerate() {
            assert_eq!(a.status, 200, "answer {i}");
            assert_eq!(a.body, first.body, "answer {i} differs from answer 0");
            assert_eq!(a.etag(), first.etag(), "answer {i}");
        }
        // TTL 0: nothing was kept, so the next request reads PD again.
        pd.serve_json(STORES, "stores.json");
        assert_eq!(get(&client, &url, &[]).await.status, 200);
        assert_eq!(pd.hits(STORES), 2, "an uncached answer is not kept");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_for_two_stores_make_one_pd_request_each() {
    bounded(async {
        let pd = FakePd::start().await;
        pd.serve(
            "/pd/api/v1/store/1",
            Canned::json("store_1.json").delayed(HOLD),
        );
        pd.serve(
            "/pd/api/v1/store/7",
            Canned::json("store_7_disconnected.json").delayed(HOLD),
        );
        let lens = Lens::start(vec![cluster("default", &[pd.url()])], patient_limits()).await;
        let client = client();
        warm_pool(&client, &lens.base, 400).await;

        let barrier = Arc::new(tokio::sync::Barrier::new(400));
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..400 {
            let id = if i % 2 == 0 { "1" } else { "7" };
            let url = format!("{}{LIST}/{id}", lens.base);
            let (client, barrier) = (client.clone(), barrier.clone());
            tasks.spawn(async move {
                barrier.wait().await;
                (id, get(&client, &url, &[]).await)
            });
        }
        let answers = tasks.join_all().await;

        assert_eq!(pd.hits("/pd/api/v1/store/1"), 1);
        assert_eq!(pd.hits("/pd/api/v1/store/7"), 1);
        assert_eq!(pd.total_hits(), 2, "no other PD request");
        for id in ["1", "7"] {
            let of_id: Vec<&Raw> = answers
                .iter()
                .filter(|(i, _)| *i == id)
                .map(|(_, a)| a)
                .collect();
            assert_eq!(of_id.len(), 200);
            let first = of_id[0];
            assert_eq!(first.status, 200, "{:?}", first.body);
            assert_eq!(first.json()["store"]["id"], id, "{}", first.json());
            for a in &of_id {
                assert_eq!(a.status, 200);
                assert_eq!(a.body, first.body, "store {id}: answers differ");
            }
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_failures_share_one_pd_request_and_are_not_kept() {
    bounded(async {
        let pd = FakePd::start().await;
        pd.serve(
            STORES,
            Canned::new(500, PD_JSON, pd_json_string("something broke")).delayed(HOLD),
        );
        // Default TTLs: even with a TTL to keep answers, a failure is never kept.
        let lens = Lens::start(
            vec![with_cache(
                cluster("default", &[pd.url()]),
                CacheTtls::default(),
            )],
            patient_limits(),
        )
        .await;
        let client = client();
        let url = format!("{}{LIST}", lens.base);

        let answers = burst(&client, &lens.base, &url, 200).await;

        assert_eq!(pd.hits(STORES), 1, "the failure was shared, not repeated");
        for (i, a) in answers.iter().enumerate() {
            assert_eq!(a.status, 502, "answer {i}: {:?}", a.body);
            assert_eq!(a.json()["upstream_status"], 500, "answer {i}");
            assert_not_stored(a, "a shared PD failure");
        }
        pd.serve(
            STORES,
            Canned::new(500, PD_JSON, pd_json_string("something broke")),
        );
        let later = get(&client, &url, &[]).await;
        assert_eq!(later.status, 502);
        assert_eq!(
            pd.hits(STORES),
            2,
            "a failure is not cached: PD is asked again"
        );
    })
    .await;
}

// ---- 2. caching with a TTL ----

#[tokio::test]
async fn within_the_default_ttl_stores_are_read_from_pd_once() {
    bounded(async {
        let pd = FakePd::start().await;
        pd.serve_json(STORES, "stores.json");
        let lens = Lens::single_cached(&[pd.url()]).await;
        let client = client();
        let url = format!("{}{LIST}", lens.base);

        let first = get(&client, &url, &[]).await;
        let second = get(&client, &url, &[]).await;

        assert_eq!((first.status, second.status), (200, 200));
        assert_eq!(pd.hits(STORES), 1, "the second answer comes from the cache");
        for a in [&first, &second] {
            let age: u64 = a
                .header(AGE)
                .unwrap_or_else(|| panic!("no Age: {:?}", a.headers))
                .parse()
                .expect("Age is a whole number of seconds");
            assert!(age <= 2, "Age {age} beyond the 2 s TTL of stores");
            assert!(a.max_age() <= 2, "max-age {} > stores TTL", a.max_age());
        }
        assert_eq!(
            observed_at(&second.json()),
            observed_at(&first.json()),
            "a cached answer says when PD was actually read"
        );
        assert_eq!(second.body, first.body);
        assert_eq!(second.etag(), first.etag());
    })
    .await;
}

#[tokio::test]
async fn after_the_ttl_pd_is_read_again_and_observed_at_moves() {
    bounded(async {
        let pd = FakePd::start().await;
        pd.serve_json(STORES, "stores.json");
        let ttls = CacheTtls {
            stores: Duration::from_millis(300),
            ..CacheTtls::uncached()
        };
        let lens = Lens::start(
            vec![with_cache(cluster("default", &[pd.url()]), ttls)],
            test_limits(),
        )
        .await;
        let client = client();
        let url = format!("{}{LIST}", lens.base);

        let first = get(&client, &url, &[]).await;
        assert_eq!(first.status, 200);
        assert_eq!(pd.hits(STORES), 1);
        let first_at = observed_at(&first.json());

        let mut refreshed = None;
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let a = get(&client, &url, &[]).await;
            assert_eq!(a.status, 200);
            if pd.hits(STORES) >= 2 {
                refreshed = Some(a);
                break;
            }
            // PD not asked again: this answer came from the cache.
            assert_eq!(observed_at(&a.json()), first_at, "cached answer");
        }
        let refreshed = refreshed.expect("PD was not read again within 5 s of a 300 ms TTL");
        assert_eq!(pd.hits(STORES), 2);
        let refreshed_at = observed_at(&refreshed.json());
        assert!(
            refreshed_at > first_at,
            "observed_at did not move: {first_at} then {refreshed_at}"
        );
        assert_ne!(refreshed.etag(), first.etag(), "new data, new validator");
    })
    .await;
}

#[tokio::test]
async fn each_resource_has_its_own_ttl() {
    bounded(async {
        let pd = FakePd::start().await;
        pd.serve_v85_cluster();
        let ttls = CacheTtls {
            stores: Duration::ZERO,
            ..CacheTtls::default()
        };
        let lens = Lens::start(
            vec![with_cache(cluster("default", &[pd.url()]), ttls)],
            test_limits(),
        )
        .await;
        let client = client();
        let members = format!("{}/api/v1/clusters/default/members", lens.base);
        let stores = format!("{}{LIST}", lens.base);

        let m1 = get(&client, &members, &[]).await;
        let m2 = get(&client, &members, &[]).await;
        let s1 = get(&client, &stores, &[]).await;
        let s2 = get(&client, &stores, &[]).await;

        for a in [&m1, &m2, &s1, &s2] {
            assert_eq!(a.status, 200, "{:?}", a.body);
        }
        assert_eq!(pd.hits(MEMBERS), 1, "members are kept 5 s");
        assert_eq!(pd.hits(STORES), 2, "stores (TTL 0) are read every time");
        assert!(m2.max_age() <= 5 && m2.max_age() > 0, "{}", m2.max_age());
        assert_eq!(observed_at(&m2.json()), observed_at(&m1.json()));
        assert_eq!(
            s2.max_age(),
            0,
            "an uncached answer is not fresh for any time"
        );
        assert!(
            observed_at(&s2.json()) >= observed_at(&s1.json()),
            "stores re-read"
        );
    })
    .await;
}

// ---- 3. ETag and 304 ----

/// A PD cluster (`pd`), one with a Prometheus (`prom`) and one whose PD is down (`down`), all
/// with TTLs long enough that nothing expires during a test.
async fn etag_setup() -> (FakePd, FakePrometheus, Lens) {
    let pd = FakePd::start().await;
    pd.serve_v85_cluster();
    pd.serve(
        "/pd/api/v1/regions/key?key=&limit=3",
        Canned::new(200, PD_DATA, fixture("regions_key_limit3.json")),
    );
    let prom = FakePrometheus::start().await;
    prom.answer_any(QUERY, prometheus_canned("query_vector_qps.json"));
    let down = refused_url().await;
    let lens = Lens::start(
        vec![
            with_cache(cluster("pd", &[pd.url()]), long_ttls()),
            with_cache(
                cluster_with_prometheus("prom", std::slice::from_ref(&down), &prom.url()),
                long_ttls(),
            ),
            with_cache(cluster("down", &[down]), long_ttls()),
        ],
        test_limits(),
    )
    .await;
    (pd, prom, lens)
}

#[tokio::test]
async fn every_json_answer_has_a_strong_etag_and_revalidates_to_304() {
    bounded(async {
        let (pd, prom, lens) = etag_setup().await;
        let client = client();
        let paths = [
            "/api/v1/clusters/pd/stores",
            "/api/v1/clusters/pd/members",
            "/api/v1/clusters/pd",
            "/api/v1/clusters/pd/regions?limit=3",
            "/openapi.json",
            "/api/v1/clusters/prom/metrics/query?query=up&time=1700000000",
        ];
        for path in paths {
            let url = format!("{}{path}", lens.base);
            let first = get(&client, &url, &[]).await;
            assert_eq!(first.status, 200, "{path}: {:?}", first.body);
            assert!(!first.body.is_empty(), "{path}");
            first.json();
            assert_strong_etag(&first, path);
            let etag = first.etag().to_owned();
            let cache_control = first
                .header(CACHE_CONTROL)
                .unwrap_or_else(|| panic!("{path}: no Cache-Control"))
                .to_owned();
            assert_ne!(cache_control, "no-store", "{path}");

            let weak = format!("W/{etag}");
            let listed = format!("\"x\", {etag}");
            for tag in [etag.as_str(), weak.as_str(), listed.as_str(), "*"] {
                let again = get(&client, &url, &[("if-none-match", tag)]).await;
                assert_eq!(again.status, 304, "{path}, If-None-Match: {tag}");
                assert!(again.body.is_empty(), "{path}: a 304 has no body");
                assert_eq!(again.header(ETAG), Some(etag.as_str()), "{path}: {tag}");
                assert!(
                    again.header(CACHE_CONTROL).is_some(),
                    "{path}: a 304 keeps Cache-Control"
                );
            }

            let wrong = get(&client, &url, &[("if-none-match", "\"not-it\"")]).await;
            assert_eq!(wrong.status, 200, "{path}: a tag that does not match");
            assert_eq!(wrong.body, first.body, "{path}: the same cached answer");
            assert_eq!(wrong.etag(), etag, "{path}");
        }
        // Everything above came from the cache after the first read.
        assert_eq!(pd.hits(STORES), 1, "stores read once (then from the cache)");
        assert_eq!(pd.hits("/pd/api/v1/regions/key?key=&limit=3"), 1);
        assert_eq!(prom.hits(QUERY), 1);
    })
    .await;
}

#[tokio::test]
async fn different_answers_have_different_etags() {
    bounded(async {
        let (_pd, _prom, lens) = etag_setup().await;
        let client = client();
        let stores = get(
            &client,
            &format!("{}/api/v1/clusters/pd/stores", lens.base),
            &[],
        )
        .await;
        let members = get(
            &client,
            &format!("{}/api/v1/clusters/pd/members", lens.base),
            &[],
        )
        .await;
        assert_ne!(stores.etag(), members.etag());
        // The members' tag does not validate the stores.
        let cross = get(
            &client,
            &format!("{}/api/v1/clusters/pd/stores", lens.base),
            &[("if-none-match", members.etag())],
        )
        .await;
        assert_eq!(cross.status, 200);
        assert_eq!(cross.body, stores.body);
    })
    .await;
}

#[tokio::test]
async fn errors_are_no_store_without_etag_even_when_revalidated() {
    bounded(async {
        let (_pd, _prom, lens) = etag_setup().await;
        let client = client();
        let cases = [
            ("/api/v1/clusters/pd/stores?state=bogus", 400),
            ("/api/v1/clusters/down/stores", 503),
            ("/api/v1/clusters/nope/stores", 404),
        ];
        for (path, status) in cases {
            let url = format!("{}{path}", lens.base);
            for headers in [&[][..], &[("if-none-match", "*")][..]] {
                let a = get(&client, &url, headers).await;
                assert_eq!(a.status, status, "{path} {headers:?}: {:?}", a.body);
                assert_eq!(a.json()["status"], status, "{path}");
                assert_not_stored(&a, path);
            }
        }
    })
    .await;
}

// ---- 4. gzip ----

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("the body is valid gzip");
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_page_is_gzipped_when_asked_and_decompresses_to_the_identity_answer() {
    bounded(async {
        let pd = crate::support::simulated_pd(5_000).await;
        let lens = Lens::start(
            vec![with_cache(cluster("sim", &[pd]), CacheTtls::default())],
            test_limits(),
        )
        .await;
        let client = client();
        let url = format!("{}/api/v1/clusters/sim/regions?limit=2000", lens.base);

        let identity = get(&client, &url, &[]).await;
        let gzipped = get(&client, &url, &[("accept-encoding", "gzip")]).await;

        assert_eq!(identity.status, 200);
        assert_eq!(identity.header(CONTENT_ENCODING), None);
        let page = identity.json();
        assert_eq!(page["count"], 2000, "a full page");
        assert_eq!(page["regions"].as_array().unwrap().len(), 2000);

        assert_eq!(gzipped.status, 200);
        assert_eq!(gzipped.header(CONTENT_ENCODING), Some("gzip"));
        let vary = gzipped
            .header(VARY)
            .unwrap_or_default()
            .to_ascii_lowercase();
        assert!(vary.contains("accept-encoding"), "Vary: {vary:?}");
        let inflated = gunzip(&gzipped.body);
        let inflated_json: Value = serde_json::from_slice(&inflated).unwrap();
        assert_eq!(inflated_json, page, "gzip carries the same answer");
        assert_eq!(
            observed_at(&inflated_json),
            observed_at(&page),
            "both answers come from one cached PD read"
        );
        assert_eq!(
            inflated,
            identity.body.as_ref(),
            "byte for byte the identity answer"
        );

        let ratio = identity.body.len() as f64 / gzipped.body.len() as f64;
        eprintln!(
            "regions page of 2,000: identity {} bytes, gzip {} bytes, ratio {ratio:.1}x",
            identity.body.len(),
            gzipped.body.len()
        );
        assert!(ratio >= 5.0, "gzip only {ratio:.2}x smaller");

        assert_strong_etag(&gzipped, "gzip");
        assert_ne!(
            gzipped.etag(),
            identity.etag(),
            "different bytes, different strong validators"
        );
        // Each representation revalidates with its own tag.
        let gz_again = get(
            &client,
            &url,
            &[
                ("accept-encoding", "gzip"),
                ("if-none-match", gzipped.etag()),
            ],
        )
        .await;
        assert_eq!(gz_again.status, 304);
        assert!(gz_again.body.is_empty());
        assert_eq!(gz_again.header(ETAG), Some(gzipped.etag()));
        let id_again = get(&client, &url, &[("if-none-match", identity.etag())]).await;
        assert_eq!(id_again.status, 304);
        assert_eq!(id_again.header(ETAG), Some(identity.etag()));
    })
    .await;
}

#[tokio::test]
async fn an_identity_tag_does_not_validate_the_gzip_answer() {
    bounded(async {
        let pd = crate::support::simulated_pd(500).await;
        let lens = Lens::start(
            vec![with_cache(cluster("sim", &[pd]), long_ttls())],
            test_limits(),
        )
        .await;
        let client = client();
        let url = format!("{}/api/v1/clusters/sim/regions?limit=500", lens.base);
        let identity = get(&client, &url, &[]).await;
        assert_eq!(identity.status, 200);
        let gzipped = get(
            &client,
            &url,
            &[
                (ACCEPT_ENCODING.as_str(), "gzip"),
                (IF_NONE_MATCH.as_str(), identity.etag()),
            ],
        )
        .await;
        assert_eq!(
            gzipped.status, 200,
            "the gzip bytes are another representation"
        );
        assert_eq!(gzipped.header(CONTENT_ENCODING), Some("gzip"));
        assert_eq!(gunzip(&gzipped.body), identity.body.as_ref());
    })
    .await;
}

// ---- 5. range queries snapped to the step grid ----

/// A matrix of one series with a sample on every step of the grid Prometheus was asked for.
fn matrix_for(received: &Received) -> Canned {
    let start: i64 = received.param("start").unwrap().parse().unwrap();
    let end: i64 = received.param("end").unwrap().parse().unwrap();
    let step: i64 = received.param("step").unwrap().parse().unwrap();
    let values: Vec<Value> = (start..=end)
        .step_by(usize::try_from(step).unwrap())
        .map(|t| json!([t, "1"]))
        .collect();
    prom_json(
        json!({
            "status": "success",
            "data": {
                "resultType": "matrix",
                "result": [{"metric": {"__name__": "up", "job": "tikv"}, "values": values}]
            }
        })
        .to_string(),
    )
}

/// The grid's end: a whole minute long settled (2023-11-14, more than five minutes ago).
const GRID_END: i64 = 1_699_999_980;
const GRID_START: i64 = GRID_END - 3_600;

fn range_url(base: &str, shift_seconds: i64) -> String {
    format!(
        "{base}/api/v1/clusters/default/metrics/query_range?query={}&start={}&end={}&step=60",
        urlencode("up"),
        GRID_START + shift_seconds,
        GRID_END + shift_seconds
    )
}

/// Asserts a range answer on the grid, with the times asked for kept beside it.
fn assert_on_grid(body: &Value, shift_seconds: i64) {
    assert_eq!(body["start_ms"], GRID_START * 1000, "{body}");
    assert_eq!(body["end_ms"], GRID_END * 1000, "{body}");
    assert_eq!(
        body["requested_start_ms"],
        (GRID_START + shift_seconds) * 1000
    );
    assert_eq!(body["requested_end_ms"], (GRID_END + shift_seconds) * 1000);
    assert_eq!(body["timestamps_ms"].as_array().unwrap().len(), 61);
    assert_eq!(body["series"][0]["values"].as_array().unwrap().len(), 61);
}

#[tokio::test]
async fn sliding_windows_within_a_step_ask_prometheus_for_the_same_grid() {
    bounded(async {
        let prom = FakePrometheus::start().await;
        prom.answer_with(QUERY_RANGE, matrix_for);
        // Uncached: both windows reach Prometheus, so what each asked can be compared.
        let lens = Lens::start_with_prometheus(&[refused_url().await], &prom.url()).await;
        let client = client();

        let a = get(&client, &range_url(&lens.base, 10), &[]).await;
        let b = get(&client, &range_url(&lens.base, 20), &[]).await;

        assert_eq!((a.status, b.status), (200, 200), "{:?}", a.body);
        assert_on_grid(&a.json(), 10);
        assert_on_grid(&b.json(), 20);
        let received = prom.received_on(QUERY_RANGE);
        assert_eq!(received.len(), 2);
        for r in &received {
            assert_eq!(r.param("start"), Some(GRID_START.to_string().as_str()));
            assert_eq!(r.param("end"), Some(GRID_END.to_string().as_str()));
            assert_eq!(r.param("step"), Some("60"));
        }
    })
    .await;
}

#[tokio::test]
async fn a_settled_sliding_window_is_served_from_the_cache_within_a_step() {
    bounded(async {
        let prom = FakePrometheus::start().await;
        prom.answer_with(QUERY_RANGE, matrix_for);
        let lens = Lens::start(
            vec![with_cache(
                cluster_with_prometheus("default", &[refused_url().await], &prom.url()),
                CacheTtls::default(),
            )],
            test_limits(),
        )
        .await;
        let client = client();

        let a = get(&client, &range_url(&lens.base, 10), &[]).await;
        let b = get(&client, &range_url(&lens.base, 20), &[]).await;

        assert_eq!((a.status, b.status), (200, 200), "{:?}", a.body);
        assert_eq!(
            prom.hits(QUERY_RANGE),
            1,
            "the second window is a cache hit"
        );
        let last = prom.last(QUERY_RANGE);
        assert_eq!(last.param("start"), Some(GRID_START.to_string().as_str()));
        assert_eq!(last.param("end"), Some(GRID_END.to_string().as_str()));
        let (a_body, b_body) = (a.json(), b.json());
        assert_on_grid(&a_body, 10);
        assert_on_grid(&b_body, 20);
        assert_eq!(a_body["series"], b_body["series"]);
        assert_eq!(observed_at(&b_body), observed_at(&a_body));
        // Settled data is kept with the long TTL (300 s), not the recent one (5 s).
        assert!(
            b.max_age() > 5 && b.max_age() <= 300,
            "max-age {} for a range that ended long ago",
            b.max_age()
        );
        // A window one step later is another grid: Prometheus is asked again.
        let c = get(&client, &range_url(&lens.base, 60), &[]).await;
        assert_eq!(c.status, 200);
        assert_eq!(prom.hits(QUERY_RANGE), 2);
        assert_eq!(
            prom.last(QUERY_RANGE).param("end"),
            Some((GRID_END + 60).to_string().as_str())
        );
    })
    .await;
}
