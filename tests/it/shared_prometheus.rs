//! Two clusters sharing one metrics backend (a real VictoriaMetrics), told apart only by the
//! labels tidb-operator's monitoring puts on every series: both have stores named
//! `tikv-<i>:20180`, and a third copy with the same `tidb_cluster` but another `k8s_cluster`
//! sits beside them. Each cluster must see its own stores' numbers and nothing else.

use serde_json::{Value, json};
use tikv_lens::config::ClusterConfig;
use tikv_lens::upstream::prometheus::{LabelName, SeriesSelection};

use crate::real_prometheus::{close, stores_body};
use crate::support::real_victoria::{self, prometheus_text};
use crate::support::tikv_history::{self as history, END_S};
use crate::support::{Canned, FakePd, Lens, PD_JSON, test_limits};

/// The history once per cluster: `labels` added to every series, `instance` renamed to
/// `join_label` when it is not `instance` (the exporter's address then stands in `instance`),
/// every value multiplied by `scale` (histogram quantiles stay as they are).
fn copy_of_history(text: &str, labels: &str, join_label: &str, scale: f64) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 2);
    for line in text.lines() {
        let (series, rest) = line.split_once("} ").unwrap();
        let (name, series_labels) = series.split_once('{').unwrap();
        let (value, stamp) = rest.split_once(' ').unwrap();
        let series_labels = if join_label == "instance" {
            series_labels.to_owned()
        } else {
            let (before, after) = series_labels.split_once("instance=\"").unwrap();
            let (address, after) = after.split_once('"').unwrap();
            format!("{before}instance=\"10.1.0.9:9100\",{join_label}=\"{address}\"{after}")
        };
        let value: f64 = value.parse().unwrap();
        out.push_str(&format!(
            "{name}{{{labels},{series_labels}}} {} {stamp}\n",
            value * scale
        ));
    }
    out
}

fn selection(labels: &[(&str, &str)], join_label: &str, scrape_s: u64) -> SeriesSelection {
    SeriesSelection {
        labels: labels
            .iter()
            .map(|(n, v)| (LabelName::parse(n).unwrap(), (*v).to_owned()))
            .collect(),
        join_label: LabelName::parse(join_label).unwrap(),
        scrape_interval: std::time::Duration::from_secs(scrape_s),
    }
}

async fn pd_with_history_stores() -> FakePd {
    let pd = FakePd::start().await;
    pd.serve_v85_cluster();
    for path in [
        "/pd/api/v1/stores",
        "/pd/api/v1/stores?state=0&state=1&state=2",
    ] {
        pd.serve(path, Canned::new(200, PD_JSON, stores_body()));
    }
    let stores: Value = serde_json::from_slice(&stores_body()).unwrap();
    pd.serve(
        "/pd/api/v1/store/4",
        Canned::new(
            200,
            PD_JSON,
            serde_json::to_vec_pretty(&stores["stores"][1]).unwrap(),
        ),
    );
    pd
}

#[tokio::test]
async fn two_clusters_on_one_backend_each_see_only_their_stores() {
    let history = prometheus_text(&history::openmetrics());
    let mut body = copy_of_history(
        &history,
        r#"tidb_cluster="prod",k8s_cluster="eu1""#,
        "instance",
        1.0,
    );
    body.push_str(&copy_of_history(
        &history,
        r#"tidb_cluster="staging",k8s_cluster="eu1""#,
        "tikv_status_address",
        10.0,
    ));
    // Same tidb_cluster name, another Kubernetes cluster: only the second label tells it apart.
    body.push_str(&copy_of_history(
        &history,
        r#"tidb_cluster="prod",k8s_cluster="us1""#,
        "instance",
        100.0,
    ));
    let backend = real_victoria::private(&body);

    let (pd_prod, pd_staging) = (
        pd_with_history_stores().await,
        pd_with_history_stores().await,
    );
    let cluster = |name: &str, pd: &FakePd, selection: SeriesSelection| ClusterConfig {
        name: name.to_owned(),
        pd_endpoints: vec![pd.url().parse().unwrap()],
        prometheus: Some(backend.url.parse().unwrap()),
        cache: tikv_lens::upstream::CacheTtls::uncached(),
        security: Default::default(),
        prometheus_selection: selection,
        events_poll_interval: None,
        checks: Default::default(),
    };
    let lens = Lens::start(
        vec![
            cluster(
                "prod",
                &pd_prod,
                selection(
                    &[("tidb_cluster", "prod"), ("k8s_cluster", "eu1")],
                    "instance",
                    15,
                ),
            ),
            cluster(
                "staging",
                &pd_staging,
                selection(
                    &[("tidb_cluster", "staging"), ("k8s_cluster", "eu1")],
                    "tikv_status_address",
                    30,
                ),
            ),
        ],
        test_limits(),
    )
    .await;

    for (name, scale) in [("prod", 1.0), ("staging", 10.0)] {
        let answer = lens
            .get(&format!(
                "/api/v1/clusters/{name}/stores?include=metrics&time={END_S}"
            ))
            .await;
        let body = answer.ok();
        for i in 0..history::STORES {
            let store = body["stores"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["status_address"] == history::instance(i))
                .unwrap();
            let m = &store["metrics"];
            if i == history::DEAD_INDEX {
                assert!(
                    m.as_object().unwrap().values().all(Value::is_null),
                    "{name}: {m}"
                );
                continue;
            }
            assert!(
                close(&m["cpu_cores"], history::cpu_cores(i) * scale),
                "{name} store {i}: {m}"
            );
            assert_eq!(
                m["memory_resident_bytes"].as_f64(),
                Some(history::memory_bytes(i) as f64 * scale),
                "{name} store {i}"
            );
            assert!(
                close(&m["grpc_requests_per_second"], history::grpc_qps(i) * scale),
                "{name} store {i}: {m}"
            );
            let p99 = m["grpc_p99_latency_seconds"].as_f64().unwrap();
            assert!(
                (p99 - history::GRPC_P99_SECONDS).abs() < 1e-6,
                "{name}: {p99}"
            );
            assert_eq!(
                m["region_count"].as_f64(),
                Some(history::region_count(i) as f64 * scale),
                "{name} store {i}"
            );
        }
        assert_eq!(
            body["warnings"].as_array().unwrap().len(),
            1,
            "{name}: only the dead store: {}",
            body["warnings"]
        );

        let series = lens
            .get(&format!(
                "/api/v1/clusters/{name}/stores/4/metrics?start={}&end={END_S}&step=5m",
                END_S - 1800
            ))
            .await;
        let series = series.ok();
        assert_eq!(series["instance"], "tikv-1:20180");
        for v in series["metrics"]["cpu_cores"].as_array().unwrap() {
            assert!(close(v, history::cpu_cores(1) * scale), "{name}: {v}");
        }
        assert_eq!(series["warnings"], json!([]), "{name}");
    }
}
