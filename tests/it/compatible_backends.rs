//! Thanos Query, Grafana Mimir and VictoriaMetrics answers (tests/fixtures/prometheus/
//! `thanos_*`, `mimir_*`, `victoriametrics_*`; origins in tests/fixtures/README.md) through a
//! fake Prometheus: their extra fields (`stats`, `analysis`, `infos`) are ignored, partial-
//! response warnings are passed through, client mistakes are 400/422 problems naming the
//! argument, and the backends' own faults stay 502/503/504.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::support::fake_prometheus::{
    FakePrometheus, PROM_JSON, PROM_TEXT, QUERY, QUERY_RANGE, prometheus_fixture,
    prometheus_fixture_json,
};
use crate::support::{Answer, Canned, Lens, refused_url};

const INSTANT: &str = "/api/v1/clusters/default/metrics/query?query=up&time=1795744800";
const RANGE: &str =
    "/api/v1/clusters/default/metrics/query_range?query=up&start=1795744680&end=1795744800&step=60";

/// Every backend fixture, with the status and content type the backend answers it with.
const FIXTURES: &[(&str, u16, &str)] = &[
    (
        "thanos_query_vector_stats_partial_response.json",
        200,
        PROM_JSON,
    ),
    ("thanos_query_range_matrix_analysis.json", 200, PROM_JSON),
    ("thanos_error_bad_data_400.json", 400, PROM_JSON),
    ("thanos_error_internal_500_store.json", 500, PROM_JSON),
    ("thanos_error_timeout_503.json", 503, PROM_JSON),
    ("mimir_query_vector_infos.json", 200, PROM_JSON),
    ("mimir_error_bad_data_400.json", 400, PROM_JSON),
    ("mimir_error_execution_422_limit.json", 422, PROM_JSON),
    ("mimir_error_canceled_499.json", 499, PROM_JSON),
    ("mimir_error_too_large_entry_413.json", 413, PROM_JSON),
    ("mimir_error_too_many_requests_429.txt", 429, PROM_TEXT),
    ("mimir_error_no_org_id_401.txt", 401, PROM_TEXT),
    ("victoriametrics_error_422_parse.json", 422, PROM_JSON),
    (
        "victoriametrics_error_422_too_many_points.json",
        422,
        PROM_JSON,
    ),
];

fn canned(file: &str) -> Canned {
    let (_, status, content_type) = FIXTURES
        .iter()
        .find(|(f, _, _)| *f == file)
        .unwrap_or_else(|| panic!("{file} is not in FIXTURES"));
    Canned::new(*status, content_type, prometheus_fixture(file))
}

/// Serves `file` on `path` and asks tikv-lens the matching question.
async fn through(path: &str, file: &str) -> (FakePrometheus, Lens, Answer) {
    let prom = FakePrometheus::start().await;
    let lens = Lens::start_with_prometheus(&[refused_url().await], &prom.url()).await;
    prom.answer_any(path, canned(file));
    let url = if path == QUERY_RANGE { RANGE } else { INSTANT };
    let answer = lens.get(url).await;
    assert_eq!(prom.hits(path), 1, "{file}");
    (prom, lens, answer)
}

#[tokio::test]
async fn every_backend_fixture_is_covered() {
    let dir = format!("{}/tests/fixtures/prometheus", env!("CARGO_MANIFEST_DIR"));
    let on_disk: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| {
            n.starts_with("thanos_") || n.starts_with("mimir_") || n.starts_with("victoriametrics_")
        })
        .collect();
    let listed: BTreeSet<String> = FIXTURES.iter().map(|(f, _, _)| (*f).to_owned()).collect();
    assert_eq!(on_disk, listed);
}

#[tokio::test]
async fn thanos_stats_and_analysis_are_ignored_and_partial_response_warns() {
    let file = "thanos_query_vector_stats_partial_response.json";
    let (_prom, _lens, answer) = through(QUERY, file).await;
    let body = answer.ok();
    assert_eq!(body["result_type"], "vector");
    let values: Vec<(Value, Value)> = body["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["labels"]["instance"].clone(), s["value"].clone()))
        .collect();
    assert_eq!(
        values,
        [
            (json!("tikv-0:20180"), json!(100.0)),
            (json!("tikv-1:20180"), json!(200.0))
        ]
    );
    let fixture = prometheus_fixture_json(file);
    assert_eq!(
        body["warnings"],
        json!([{"source": "prometheus", "message": fixture["warnings"][0]}]),
        "the partial response is said, not hidden"
    );
    assert!(body.get("stats").is_none() && body.get("analysis").is_none());
}

#[tokio::test]
async fn thanos_range_with_analysis_is_columnar() {
    let (_prom, _lens, answer) =
        through(QUERY_RANGE, "thanos_query_range_matrix_analysis.json").await;
    let body = answer.ok();
    assert_eq!(
        body["timestamps_ms"],
        json!([
            1_795_744_680_000_i64,
            1_795_744_740_000_i64,
            1_795_744_800_000_i64
        ])
    );
    assert_eq!(body["series"][0]["values"], json!([1.0, 1.0, 1.0]));
    assert_eq!(body["series"][1]["values"], json!([null, 2.0, null]));
    assert_eq!(
        body["series"][1]["non_finite"],
        json!([{"index": 2, "value": "nan"}])
    );
    assert_eq!(body["warnings"], json!([]));
}

#[tokio::test]
async fn mimir_infos_become_info_warnings() {
    let (_prom, _lens, answer) = through(QUERY, "mimir_query_vector_infos.json").await;
    let body = answer.ok();
    assert_eq!(body["samples"].as_array().unwrap().len(), 2);
    let warnings = body["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1);
    let message = warnings[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("info: PromQL info: metric might not be a counter"),
        "{message}"
    );
}

/// Each error fixture on both query paths: the problem type, status, parameter and the
/// backend's status, as API.md's error table says.
#[tokio::test]
async fn backend_errors_map_to_problems() {
    let cases: &[(&str, u16, &str, Option<&str>)] = &[
        (
            "thanos_error_bad_data_400.json",
            400,
            "bad-query",
            Some("query"),
        ),
        (
            "thanos_error_internal_500_store.json",
            502,
            "upstream-error",
            None,
        ),
        (
            "thanos_error_timeout_503.json",
            504,
            "upstream-timeout",
            None,
        ),
        (
            "mimir_error_bad_data_400.json",
            400,
            "bad-query",
            Some("query"),
        ),
        (
            "mimir_error_execution_422_limit.json",
            422,
            "query-execution-failed",
            Some("query"),
        ),
        (
            "mimir_error_canceled_499.json",
            503,
            "upstream-unavailable",
            None,
        ),
        (
            "mimir_error_too_large_entry_413.json",
            502,
            "upstream-error",
            None,
        ),
        (
            "mimir_error_too_many_requests_429.txt",
            503,
            "upstream-unavailable",
            None,
        ),
        ("mimir_error_no_org_id_401.txt", 502, "upstream-error", None),
        (
            "victoriametrics_error_422_parse.json",
            400,
            "bad-query",
            Some("query"),
        ),
        (
            "victoriametrics_error_422_too_many_points.json",
            400,
            "bad-query",
            Some("step"),
        ),
    ];
    for (file, status, kind, parameter) in cases {
        let upstream_status = FIXTURES.iter().find(|(f, _, _)| f == file).unwrap().1;
        for path in [QUERY, QUERY_RANGE] {
            let (_prom, _lens, answer) = through(path, file).await;
            let p = answer.problem(*status);
            assert_eq!(
                p["type"],
                format!("urn:tikv-lens:problem:{kind}"),
                "{file} {path}: {p}"
            );
            assert_eq!(p["parameter"], json!(parameter), "{file} {path}: {p}");
            assert_eq!(p["upstream"], "prometheus", "{file}");
            assert_eq!(p["upstream_status"], upstream_status, "{file}");
        }
    }
}
