//! `/metrics/query` and `/metrics/query_range` over the real HTTP path, in front of a fake
//! Prometheus serving the captured Prometheus 2.42 bodies byte for byte. Expected values are
//! computed here from the fixtures themselves (parsed with serde_json), not by tikv-lens' code.
//!
//! PD is unreachable in these tests on purpose: the metric routes must not need it.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tikv_lens::upstream::UpstreamLimits;

use crate::support::fake_prometheus::{
    FakePrometheus, PROM_JSON, PROM_TEXT, QUERY, QUERY_RANGE, prom_json, prometheus_canned,
    prometheus_fixture, prometheus_fixture_json, urlencode,
};
use crate::support::{Answer, Canned, Lens, cluster, refused_url, test_limits};

const INSTANT: &str = "/api/v1/clusters/default/metrics/query";
const RANGE: &str = "/api/v1/clusters/default/metrics/query_range";

/// Every query answer and error body of the fixture directory, and the test that serves it.
/// `every_query_and_error_fixture_is_covered` keeps this list complete.
const COVERED: &[&str] = &[
    "query_vector_qps.json",
    "query_vector_store_used.json",
    "query_empty_vector.json",
    "query_histogram_quantile_p99.json",
    "query_vector_nan_idle_histogram.json",
    "query_scalar_nan.json",
    "query_scalar_pos_inf.json",
    "query_scalar_neg_inf.json",
    "query_scalar_store_up.json",
    "query_scalar_time_fractional.json",
    "query_string.json",
    "query_matrix_range_selector.json",
    "query_range_matrix_cpu.json",
    "query_range_matrix_qps_by_type_post.json",
    "query_range_empty_matrix.json",
    "query_vector_with_warnings.json",
    "query_range_with_warnings.json",
    "error_bad_data_400_syntax.json",
    "error_bad_data_400_bad_time.json",
    "error_bad_data_400_too_many_points.json",
    "error_execution_422_many_to_many.json",
    "error_timeout_503.json",
    "error_404_unknown_endpoint.txt",
    "error_405_method_not_allowed.txt",
];

/// A fake Prometheus, and tikv-lens in front of it with an unreachable PD.
async fn setup() -> (FakePrometheus, Lens) {
    let prom = FakePrometheus::start().await;
    let lens = Lens::start_with_prometheus(&[refused_url().await], &prom.url()).await;
    (prom, lens)
}

/// A fixture's entry in `index.json`.
struct Case {
    /// `/api/v1/query` or `/api/v1/query_range`.
    path: String,
    params: Vec<(String, String)>,
}

impl Case {
    fn load(file: &str) -> Self {
        let index = prometheus_fixture_json("index.json");
        let case = index["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["file"] == file)
            .unwrap_or_else(|| panic!("{file} is not in index.json"))
            .clone();
        let request = case["request"].as_str().unwrap();
        let path = request
            .strip_prefix("PROM")
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .to_owned();
        let params = case["params"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .map(|p| {
                        (
                            p[0].as_str().unwrap().to_owned(),
                            p[1].as_str().unwrap().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self { path, params }
    }

    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn query(&self) -> &str {
        self.param("query").unwrap()
    }

    /// The tikv-lens URL asking the same thing.
    fn lens_url(&self) -> String {
        let route = if self.path == QUERY_RANGE {
            RANGE
        } else {
            INSTANT
        };
        let params: Vec<String> = self
            .params
            .iter()
            .map(|(k, v)| format!("{k}={}", urlencode(v)))
            .collect();
        format!("{route}?{}", params.join("&"))
    }
}

/// Seconds as Prometheus reads a time or step parameter (`1795744800.25`, `60`, `30s`, `1m`).
fn seconds(raw: &str) -> f64 {
    if let Ok(s) = raw.parse::<f64>() {
        return s;
    }
    let (number, unit) = raw.split_at(raw.len() - 1);
    let n: f64 = number.parse().unwrap_or_else(|_| panic!("{raw:?}"));
    match unit {
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => panic!("{raw:?}"),
    }
}

/// Serves `file` under its own PromQL, asks tikv-lens what the capture asked Prometheus, and
/// checks what reached the fake: the exact PromQL, the same times, and a `timeout`, by GET.
async fn replay(file: &str) -> (FakePrometheus, Lens, Answer) {
    let case = Case::load(file);
    let (prom, lens) = setup().await;
    prom.answer_fixture(&case.path, case.query(), file);
    let answer = lens.get(&case.lens_url()).await;
    assert_eq!(prom.hits(&case.path), 1, "{file}");
    let got = prom.last(&case.path);
    assert_eq!(got.query(), case.query(), "{file}: PromQL altered");
    assert_eq!(got.method, "GET", "{file}: a short query goes as GET");
    assert!(got.form_params.is_empty(), "{file}");
    assert_eq!(got.all("query").len(), 1, "{file}: one query parameter");
    let timeout = got.param("timeout").expect("timeout is always sent");
    assert!(seconds(timeout) > 0.0, "{file}: timeout {timeout:?}");
    for name in ["time", "start", "end", "step"] {
        match case.param(name) {
            Some(want) => {
                let sent = got
                    .param(name)
                    .unwrap_or_else(|| panic!("{file}: {name} not sent"));
                assert_eq!(seconds(sent), seconds(want), "{file}: {name}");
            }
            None => assert_eq!(got.param(name), None, "{file}: {name} sent unasked"),
        }
    }
    (prom, lens, answer)
}

/// The instance labels of an instant answer's samples, in order.
fn instances(body: &Value) -> Vec<&str> {
    body["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["labels"]["instance"].as_str().unwrap())
        .collect()
}

/// The fixture's vector samples as (labels, value string, time seconds).
fn fixture_vector(file: &str) -> Vec<(Value, String, f64)> {
    prometheus_fixture_json(file)["data"]["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["metric"].clone(),
                s["value"][1].as_str().unwrap().to_owned(),
                s["value"][0].as_f64().unwrap(),
            )
        })
        .collect()
}

/// Checks an instant vector answer against its fixture, sample by sample.
fn assert_vector_matches(body: &Value, file: &str) {
    assert_eq!(body["result_type"], "vector", "{body}");
    assert_eq!(body["series"], json!([]));
    assert_eq!(body["string_value"], Value::Null);
    let want = fixture_vector(file);
    let samples = body["samples"].as_array().unwrap();
    assert_eq!(samples.len(), want.len(), "{body}");
    for (got, (labels, value, time)) in samples.iter().zip(&want) {
        assert_eq!(&got["labels"], labels);
        assert_eq!(got["timestamp_ms"], json!((time * 1000.0).round() as i64));
        match value.as_str() {
            "NaN" => {
                assert_eq!(got["value"], Value::Null);
                assert_eq!(got["non_finite"], "nan");
            }
            number => {
                let v: f64 = number.parse().unwrap();
                assert!(got["value"].is_number(), "{got}");
                assert_number(&got["value"], v, &format!("{file}: {got}"));
                assert_eq!(got["non_finite"], Value::Null);
            }
        }
    }
}

/// `got` is the number `want`. The test's serde_json parses without `float_roundtrip`, so a
/// number read back may be one ULP off; exact digits are checked on raw bodies
/// (`assert_exact_digits`).
fn assert_number(got: &Value, want: f64, context: &str) {
    let g = got
        .as_f64()
        .unwrap_or_else(|| panic!("{context}: {got} is not a number"));
    let ulps = (g.to_bits() as i64 - want.to_bits() as i64).abs();
    assert!(ulps <= 1, "{context}: {g} is not {want}");
}

/// Every sample value of a fixture appears in `raw` (tikv-lens' body) with its exact shortest
/// digits, as a JSON number.
fn assert_exact_digits(raw: &str, file: &str) {
    let fixture = prometheus_fixture_json(file);
    for series in fixture["data"]["result"].as_array().unwrap() {
        let points: Vec<&Value> = match series.get("values") {
            Some(vs) => vs.as_array().unwrap().iter().collect(),
            None => vec![&series["value"]],
        };
        for p in points {
            let v: f64 = p[1].as_str().unwrap().parse().unwrap();
            if v.is_finite() {
                // Shortest round-trip digits, as serde_json (ryu) writes them: `1142.0`.
                let digits = format!("{v:?}");
                assert!(
                    raw.contains(&format!("{digits},"))
                        || raw.contains(&format!("{digits}]"))
                        || raw.contains(&format!("{digits}}}")),
                    "{file}: {digits} not in {raw}"
                );
            }
        }
    }
}

/// The grid from `start` to `end` (seconds) at `step` (seconds), in milliseconds.
fn axis(start: i64, end: i64, step: i64) -> Vec<i64> {
    (start..=end)
        .step_by(step as usize)
        .map(|s| s * 1000)
        .collect()
}

/// Checks a range answer against its fixture: every series on the shared axis, a number where
/// the fixture has a sample at that time and `null` everywhere else.
fn assert_aligned(body: &Value, file: &str, want_axis: &[i64]) {
    assert_eq!(body["timestamps_ms"], json!(want_axis), "{body}");
    assert_eq!(body["start_ms"], json!(want_axis[0]));
    assert_eq!(body["end_ms"], json!(want_axis[want_axis.len() - 1]));
    let fixture = prometheus_fixture_json(file);
    let want_series = fixture["data"]["result"].as_array().unwrap();
    let series = body["series"].as_array().unwrap();
    assert_eq!(series.len(), want_series.len(), "{body}");
    for (got, want) in series.iter().zip(want_series) {
        assert_eq!(got["labels"], want["metric"]);
        let values = got["values"].as_array().unwrap();
        assert_eq!(values.len(), want_axis.len(), "{}", got["labels"]);
        for (k, t) in want_axis.iter().enumerate() {
            let sample = want["values"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| (p[0].as_f64().unwrap() * 1000.0).round() as i64 == *t);
            match sample {
                Some(p) => {
                    let v: f64 = p[1].as_str().unwrap().parse().unwrap();
                    assert_number(&values[k], v, &format!("{file}: {} at {t}", got["labels"]));
                }
                None => assert_eq!(values[k], Value::Null, "{} at {t}", got["labels"]),
            }
        }
        assert_eq!(got["non_finite"], json!([]));
    }
}

#[tokio::test]
async fn every_query_and_error_fixture_is_covered() {
    let dir = format!("{}/tests/fixtures/prometheus", env!("CARGO_MANIFEST_DIR"));
    let on_disk: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("query_") || n.starts_with("error_"))
        .collect();
    let covered: BTreeSet<String> = COVERED.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(on_disk, covered);
}

// ---- instant vectors ----

#[tokio::test]
async fn vector_qps_has_numbers_instances_and_millisecond_times() {
    let (_prom, lens, answer) = replay("query_vector_qps.json").await;
    let body = answer.ok();
    assert_eq!(body["cluster"], "default");
    assert_eq!(
        body["query"],
        "sum by (instance)(rate(tikv_grpc_msg_duration_seconds_count[1m]))"
    );
    assert_eq!(body["result_type"], "vector");
    assert_eq!(
        instances(body),
        ["tikv-0:20180", "tikv-1:20180", "tikv-2:20180"]
    );
    let first = &body["samples"][0];
    assert!(first["value"].is_f64(), "a JSON number: {first}");
    assert_eq!(first["value"], json!(3447.9999999999995));
    assert_eq!(first["non_finite"], Value::Null);
    for s in body["samples"].as_array().unwrap() {
        assert_eq!(s["timestamp_ms"], 1_795_744_800_000i64);
    }
    assert_eq!(body["warnings"], json!([]));
    assert!(body["observed_at"].as_str().unwrap().ends_with('Z'));
    assert_vector_matches(body, "query_vector_qps.json");
    let (_, raw) = lens
        .get_text(&Case::load("query_vector_qps.json").lens_url())
        .await;
    assert!(raw.contains(r#""value":3447.9999999999995,"#), "{raw}");
    assert_exact_digits(&raw, "query_vector_qps.json");
}

#[tokio::test]
async fn vector_keeps_every_label_including_the_metric_name() {
    let (_prom, _lens, answer) = replay("query_vector_store_used.json").await;
    let body = answer.ok();
    assert_eq!(
        body["samples"][0]["labels"],
        json!({"__name__": "tikv_store_size_bytes", "instance": "tikv-0:20180", "job": "tikv", "type": "used"})
    );
    assert_eq!(body["samples"][0]["value"].as_f64(), Some(47_129_840_719.0));
    assert_vector_matches(body, "query_vector_store_used.json");
}

#[tokio::test]
async fn empty_vector_has_no_samples() {
    let (_prom, _lens, answer) = replay("query_empty_vector.json").await;
    let body = answer.ok();
    assert_eq!(body["result_type"], "vector");
    assert_eq!(body["samples"], json!([]));
    assert_eq!(body["series"], json!([]));
}

#[tokio::test]
async fn histogram_quantile_values_are_numbers() {
    let (_prom, _lens, answer) = replay("query_histogram_quantile_p99.json").await;
    let body = answer.ok();
    assert_eq!(body["samples"].as_array().unwrap().len(), 3);
    assert_eq!(body["samples"][2]["value"], json!(0.02198173737373735));
    assert_vector_matches(body, "query_histogram_quantile_p99.json");
}

#[tokio::test]
async fn idle_histogram_nans_are_null_and_say_nan() {
    let (_prom, _lens, answer) = replay("query_vector_nan_idle_histogram.json").await;
    let body = answer.ok();
    let samples = body["samples"].as_array().unwrap();
    assert_eq!(samples.len(), 3);
    for s in samples {
        assert_eq!(s["value"], Value::Null, "{s}");
        assert_eq!(s["non_finite"], "nan", "{s}");
        assert_eq!(s["timestamp_ms"], 1_795_744_680_000i64);
    }
    assert_vector_matches(body, "query_vector_nan_idle_histogram.json");
}

// ---- scalars and strings ----

#[tokio::test]
async fn non_finite_scalars_are_null_with_their_kind() {
    for (file, kind) in [
        ("query_scalar_nan.json", "nan"),
        ("query_scalar_pos_inf.json", "pos_inf"),
        ("query_scalar_neg_inf.json", "neg_inf"),
    ] {
        let (_prom, _lens, answer) = replay(file).await;
        let body = answer.ok();
        assert_eq!(body["result_type"], "scalar", "{file}");
        assert_eq!(
            body["samples"],
            json!([{"labels": {}, "value": null, "non_finite": kind, "timestamp_ms": 1_795_744_800_000i64}]),
            "{file}"
        );
        assert_eq!(body["series"], json!([]));
        assert_eq!(body["string_value"], Value::Null);
    }
}

#[tokio::test]
async fn finite_scalar_is_a_number() {
    let (_prom, _lens, answer) = replay("query_scalar_store_up.json").await;
    let body = answer.ok();
    assert_eq!(body["result_type"], "scalar");
    let samples = body["samples"].as_array().unwrap();
    assert_eq!(samples.len(), 1);
    assert_eq!(samples[0]["labels"], json!({}));
    assert_eq!(samples[0]["value"].as_f64(), Some(3.0));
    assert_eq!(samples[0]["non_finite"], Value::Null);
}

#[tokio::test]
async fn fractional_evaluation_time_keeps_its_milliseconds() {
    let (prom, _lens, answer) = replay("query_scalar_time_fractional.json").await;
    let body = answer.ok();
    assert_eq!(body["samples"][0]["timestamp_ms"], 1_795_744_800_250i64);
    assert_eq!(body["samples"][0]["value"], json!(1_795_744_800.25));
    assert_eq!(
        seconds(prom.last(QUERY).param("time").unwrap()),
        1_795_744_800.25
    );
}

#[tokio::test]
async fn string_result_fills_string_value() {
    let (_prom, _lens, answer) = replay("query_string.json").await;
    let body = answer.ok();
    assert_eq!(body["result_type"], "string");
    assert_eq!(body["string_value"], "hello");
    assert_eq!(body["samples"], json!([]));
    assert_eq!(body["series"], json!([]));
}

#[tokio::test]
async fn range_selector_in_an_instant_query_keeps_raw_sample_times() {
    let (_prom, _lens, answer) = replay("query_matrix_range_selector.json").await;
    let body = answer.ok();
    assert_eq!(body["result_type"], "matrix");
    assert_eq!(body["samples"], json!([]));
    let series = body["series"].as_array().unwrap();
    assert_eq!(series.len(), 1);
    assert_eq!(
        series[0]["timestamps_ms"],
        json!([
            1_795_744_754_375i64,
            1_795_744_769_375i64,
            1_795_744_784_375i64,
            1_795_744_799_375i64
        ])
    );
    let values: Vec<f64> = series[0]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(
        values,
        [
            47_129_829_394.0,
            47_129_834_617.0,
            47_129_836_751.0,
            47_129_840_719.0
        ]
    );
    assert!(values.iter().all(|v| v.fract() == 0.0));
    assert_eq!(series[0]["labels"]["__name__"], "tikv_store_size_bytes");
    assert_eq!(series[0]["non_finite"], json!([]));
}

// ---- range queries ----

#[tokio::test]
async fn range_cpu_is_columnar_on_the_step_grid() {
    let (prom, lens, answer) = replay("query_range_matrix_cpu.json").await;
    let body = answer.ok();
    let want = axis(1_795_743_000, 1_795_744_800, 60);
    assert_eq!(want.len(), 31);
    assert_eq!(want[0], 1_795_743_000_000);
    assert_eq!(body["step_seconds"].as_f64(), Some(60.0));
    assert_aligned(body, "query_range_matrix_cpu.json", &want);
    for s in body["series"].as_array().unwrap() {
        assert_eq!(s["values"].as_array().unwrap().len(), 31);
    }
    let got = prom.last(QUERY_RANGE);
    assert_eq!(got.param("start"), Some("1795743000"));
    assert_eq!(got.param("end"), Some("1795744800"));
    assert_eq!(got.param("step"), Some("60"));
    assert!(got.param("timeout").is_some());
    let (status, raw) = lens
        .get_text(&Case::load("query_range_matrix_cpu.json").lens_url())
        .await;
    assert_eq!(status, 200);
    assert_exact_digits(&raw, "query_range_matrix_cpu.json");
}

#[tokio::test]
async fn range_wider_than_the_data_is_null_where_there_are_no_samples() {
    let file = "query_range_matrix_cpu.json";
    let case = Case::load(file);
    let (prom, lens) = setup().await;
    prom.answer_fixture(QUERY_RANGE, case.query(), file);
    // Two steps before and after the captured range: four nulls per series.
    let answer = lens
        .get(&format!(
            "{RANGE}?query={}&start=1795742880&end=1795744920&step=1m",
            urlencode(case.query())
        ))
        .await;
    let body = answer.ok();
    let want = axis(1_795_742_880, 1_795_744_920, 60);
    assert_eq!(want.len(), 35);
    assert_aligned(body, file, &want);
    for s in body["series"].as_array().unwrap() {
        let values = s["values"].as_array().unwrap();
        assert_eq!(values[0], Value::Null);
        assert_eq!(values[1], Value::Null);
        assert!(values[2].is_number());
        assert_eq!(values[34], Value::Null);
    }
    assert_eq!(prom.last(QUERY_RANGE).param("step"), Some("60"));
}

#[tokio::test]
async fn range_with_a_duration_step_has_21_points() {
    let (prom, lens, answer) = replay("query_range_matrix_qps_by_type_post.json").await;
    let body = answer.ok();
    let want = axis(1_795_744_200, 1_795_744_800, 30);
    assert_eq!(want.len(), 21);
    assert_eq!(body["step_seconds"].as_f64(), Some(30.0));
    assert_aligned(body, "query_range_matrix_qps_by_type_post.json", &want);
    assert_eq!(body["series"].as_array().unwrap().len(), 6);
    assert_eq!(seconds(prom.last(QUERY_RANGE).param("step").unwrap()), 30.0);
    let (_, raw) = lens
        .get_text(&Case::load("query_range_matrix_qps_by_type_post.json").lens_url())
        .await;
    assert_exact_digits(&raw, "query_range_matrix_qps_by_type_post.json");
}

#[tokio::test]
async fn empty_matrix_still_has_its_time_axis() {
    let (_prom, _lens, answer) = replay("query_range_empty_matrix.json").await;
    let body = answer.ok();
    assert_eq!(body["series"], json!([]));
    assert_eq!(
        body["timestamps_ms"],
        json!(axis(1_795_744_200, 1_795_744_800, 60))
    );
    assert_eq!(body["timestamps_ms"].as_array().unwrap().len(), 11);
}

// ---- warnings ----

#[tokio::test]
async fn instant_warnings_are_passed_through() {
    let (_prom, _lens, answer) = replay("query_vector_with_warnings.json").await;
    let body = answer.ok();
    assert_eq!(body["samples"].as_array().unwrap().len(), 3);
    let fixture = prometheus_fixture_json("query_vector_with_warnings.json");
    assert_eq!(
        body["warnings"],
        json!([{"source": "prometheus", "message": fixture["warnings"][0]}])
    );
    assert!(
        body["warnings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("remote_read")
    );
}

#[tokio::test]
async fn range_warnings_are_passed_through() {
    let (_prom, _lens, answer) = replay("query_range_with_warnings.json").await;
    let body = answer.ok();
    assert_eq!(body["series"], json!([]));
    assert_eq!(
        body["timestamps_ms"],
        json!(axis(1_795_744_500, 1_795_744_800, 60))
    );
    let warnings = body["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0]["source"], "prometheus");
    assert!(
        warnings[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("remote_read: ")
    );
}

// ---- Prometheus errors ----

fn detail(problem: &Value) -> &str {
    problem["detail"].as_str().unwrap()
}

#[tokio::test]
async fn syntax_error_is_our_400_naming_prometheus() {
    let (_prom, _lens, answer) = replay("error_bad_data_400_syntax.json").await;
    let p = answer.problem(400);
    assert_eq!(p["type"], "urn:tikv-lens:problem:bad-query");
    assert_eq!(p["upstream"], "prometheus");
    assert_eq!(p["upstream_status"], 400);
    assert!(detail(p).contains("unclosed left parenthesis"), "{p}");
}

/// Serves `canned` for every request on `path` and asks tikv-lens a valid question there.
async fn ask_through(path: &str, canned: Canned) -> (FakePrometheus, Answer) {
    let (prom, lens) = setup().await;
    prom.answer_any(path, canned);
    let url = if path == QUERY_RANGE {
        format!("{RANGE}?query=up&start=1795744200&end=1795744800&step=60")
    } else {
        format!("{INSTANT}?query=up&time=1795744800")
    };
    let answer = lens.get(&url).await;
    assert_eq!(prom.hits(path), 1);
    (prom, answer)
}

#[tokio::test]
async fn bad_time_rejection_is_a_400() {
    let (_prom, answer) =
        ask_through(QUERY, prometheus_canned("error_bad_data_400_bad_time.json")).await;
    let p = answer.problem(400);
    assert_eq!(p["upstream"], "prometheus");
    assert_eq!(p["upstream_status"], 400);
    assert!(detail(p).contains("cannot parse"), "{p}");
}

#[tokio::test]
async fn too_many_points_rejection_is_a_400() {
    let (_prom, answer) = ask_through(
        QUERY_RANGE,
        prometheus_canned("error_bad_data_400_too_many_points.json"),
    )
    .await;
    let p = answer.problem(400);
    assert_eq!(p["upstream"], "prometheus");
    assert_eq!(p["upstream_status"], 400);
    assert!(detail(p).contains("11,000 points"), "{p}");
}

#[tokio::test]
async fn execution_error_stays_422() {
    let (_prom, _lens, answer) = replay("error_execution_422_many_to_many.json").await;
    let p = answer.problem(422);
    assert_eq!(p["type"], "urn:tikv-lens:problem:query-execution-failed");
    assert_eq!(p["upstream"], "prometheus");
    assert_eq!(p["upstream_status"], 422);
    assert!(
        detail(p).contains("many-to-many matching not allowed"),
        "{p}"
    );
}

#[tokio::test]
async fn prometheus_timeout_is_a_504() {
    let (_prom, _lens, answer) = replay("error_timeout_503.json").await;
    let p = answer.problem(504);
    assert_eq!(p["upstream"], "prometheus");
    assert_eq!(p["upstream_status"], 503);
    assert!(detail(p).contains("timed out"), "{p}");
}

#[tokio::test]
async fn timeout_on_a_range_query_is_a_504_too() {
    let (_prom, answer) =
        ask_through(QUERY_RANGE, prometheus_canned("error_timeout_503.json")).await;
    answer.problem(504);
}

#[tokio::test]
async fn plain_text_404_and_405_are_bad_gateways() {
    for (file, status, text) in [
        ("error_404_unknown_endpoint.txt", 404, "404 page not found"),
        (
            "error_405_method_not_allowed.txt",
            405,
            "Method Not Allowed",
        ),
    ] {
        let canned = prometheus_canned(file);
        assert_eq!(canned.content_type, PROM_TEXT);
        for path in [QUERY, QUERY_RANGE] {
            let (_prom, answer) = ask_through(path, canned.clone()).await;
            let p = answer.problem(502);
            assert_eq!(p["upstream"], "prometheus", "{file}");
            assert_eq!(p["upstream_status"], status, "{file}");
            assert!(detail(p).contains(text), "{file}: {p}");
        }
    }
}

#[tokio::test]
async fn prometheus_without_the_query_api_is_a_bad_gateway() {
    // Nothing registered: the fake answers like Prometheus' router for an unknown path.
    let (prom, lens) = setup().await;
    let answer = lens.get(&format!("{INSTANT}?query=up")).await;
    let p = answer.problem(502);
    assert_eq!(p["upstream_status"], 404);
    assert_eq!(prom.hits(QUERY), 1);
}

#[tokio::test]
async fn garbage_success_bodies_are_bad_gateways_naming_prometheus() {
    let qps = prometheus_fixture("query_vector_qps.json");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "text/html; charset=utf-8",
            b"<!DOCTYPE html><html><head><title>Prometheus Time Series Collection and Processing Server</title></head><body></body></html>\n".to_vec(),
            "",
        ),
        (PROM_JSON, qps[..qps.len() / 2].to_vec(), ""),
        (
            PROM_JSON,
            br#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"banana"]}]}}"#
                .to_vec(),
            "data.result[0].value",
        ),
        (PROM_JSON, Vec::new(), ""),
        (PROM_JSON, b"null".to_vec(), ""),
        (PROM_JSON, br#"{"status":"success"}"#.to_vec(), "data"),
        (
            PROM_JSON,
            br#"{"status":"success","data":{"resultType":"histogram","result":[]}}"#.to_vec(),
            "",
        ),
    ];
    for (content_type, body, field) in cases {
        let text = String::from_utf8_lossy(&body).into_owned();
        let (_prom, answer) = ask_through(QUERY, Canned::new(200, content_type, body)).await;
        let p = answer.problem(502);
        assert_eq!(
            p["type"], "urn:tikv-lens:problem:upstream-bad-response",
            "{text}"
        );
        assert_eq!(p["upstream"], "prometheus", "{text}");
        assert!(detail(p).contains("Prometheus"), "{text}: {p}");
        assert!(detail(p).contains(field), "{text}: {p}");
    }
}

#[tokio::test]
async fn garbage_values_in_a_matrix_name_the_point() {
    let body = br#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"instance":"a"},"values":[[1795744200,"1"],[1795744260,"banana"]]}]}}"#;
    let (_prom, answer) = ask_through(QUERY_RANGE, prom_json(body.to_vec())).await;
    let p = answer.problem(502);
    assert_eq!(p["upstream"], "prometheus");
    assert!(detail(p).contains("data.result[0].values[1]"), "{p}");
}

#[tokio::test]
async fn a_range_query_answered_with_a_vector_is_a_bad_gateway() {
    let (_prom, answer) =
        ask_through(QUERY_RANGE, prometheus_canned("query_vector_qps.json")).await;
    let p = answer.problem(502);
    assert_eq!(p["upstream"], "prometheus");
    assert!(detail(p).contains("resultType"), "{p}");
}

#[tokio::test]
async fn unreachable_prometheus_is_a_503() {
    let lens = Lens::start_with_prometheus(&[refused_url().await], &refused_url().await).await;
    for url in [
        format!("{INSTANT}?query=up"),
        format!("{RANGE}?query=up&start=1795744200&end=1795744800&step=60"),
    ] {
        let answer = lens.get(&url).await;
        let p = answer.problem(503);
        assert_eq!(p["type"], "urn:tikv-lens:problem:upstream-unavailable");
        assert_eq!(p["upstream"], "prometheus");
        assert_eq!(p["upstream_status"], Value::Null);
    }
}

#[tokio::test]
async fn a_slow_prometheus_is_a_504_at_the_deadline() {
    let prom = FakePrometheus::start().await;
    prom.answer_any(
        QUERY,
        prometheus_canned("query_vector_qps.json").delayed(Duration::from_secs(20)),
    );
    let limits = UpstreamLimits {
        prometheus_timeout: Duration::from_millis(300),
        ..test_limits()
    };
    let lens =
        Lens::start_with_prometheus_limits(&[refused_url().await], &prom.url(), limits).await;
    let started = Instant::now();
    let answer = lens.get(&format!("{INSTANT}?query=up")).await;
    let elapsed = started.elapsed();
    let p = answer.problem(504);
    assert_eq!(p["type"], "urn:tikv-lens:problem:upstream-timeout");
    assert_eq!(p["upstream"], "prometheus");
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
    // Prometheus is told the same deadline, so it stops evaluating.
    assert_eq!(
        seconds(prom.last(QUERY).param("timeout").unwrap()),
        0.3,
        "timeout sent"
    );
}

// ---- client mistakes ----

#[tokio::test]
async fn client_mistakes_are_400s_naming_the_parameter_and_reach_no_upstream() {
    let (prom, lens) = setup().await;
    let cases: &[(&str, &str)] = &[
        (INSTANT, "query"),
        ("/api/v1/clusters/default/metrics/query?query=", "query"),
        (
            "/api/v1/clusters/default/metrics/query?query=%20%20",
            "query",
        ),
        (
            "/api/v1/clusters/default/metrics/query?time=1795744800",
            "query",
        ),
        (
            "/api/v1/clusters/default/metrics/query?query=up&time=yesterday",
            "time",
        ),
        (
            "/api/v1/clusters/default/metrics/query?query=up&time=",
            "time",
        ),
        (RANGE, "query"),
        (
            "/api/v1/clusters/default/metrics/query_range?query=&start=1795744200&end=1795744800&step=60",
            "query",
        ),
        (
            "/api/v1/clusters/default/metrics/query_range?query=up&start=1795744800&end=1795744200&step=60",
            "start",
        ),
        (
            "/api/v1/clusters/default/metrics/query_range?query=up&start=yesterday&end=1795744800&step=60",
            "start",
        ),
        (
            "/api/v1/clusters/default/metrics/query_range?query=up&start=1795744200&end=tomorrow&step=60",
            "end",
        ),
        (
            "/api/v1/clusters/default/metrics/query_range?query=up&start=1795744200&end=1795744800&step=0",
            "step",
        ),
        (
            "/api/v1/clusters/default/metrics/query_range?query=up&start=1795744200&end=1795744800&step=soon",
            "step",
        ),
        (
            "/api/v1/clusters/default/metrics/query_range?query=up&start=1795733799&end=1795744800&step=1",
            "step",
        ),
    ];
    for (url, parameter) in cases {
        let answer = lens.get(url).await;
        let p = answer.problem(400);
        assert_eq!(p["type"], "urn:tikv-lens:problem:bad-parameter", "{url}");
        assert_eq!(p["parameter"], *parameter, "{url}: {p}");
        assert!(detail(p).contains(parameter), "{url}: {p}");
        assert_eq!(p["upstream"], Value::Null, "{url}");
    }
    assert_eq!(prom.total_hits(), 0, "{:?}", prom.received());
}

#[tokio::test]
async fn exactly_11000_points_reach_prometheus() {
    let (prom, lens) = setup().await;
    prom.answer_any(
        QUERY_RANGE,
        prometheus_canned("query_range_empty_matrix.json"),
    );
    let answer = lens
        .get(&format!(
            "{RANGE}?query=up&start=1795733800&end=1795744799&step=1"
        ))
        .await;
    let body = answer.ok();
    assert_eq!(body["timestamps_ms"].as_array().unwrap().len(), 11_000);
    assert_eq!(prom.hits(QUERY_RANGE), 1);
}

/// A query over the length limit that still fits in a URL (hyper refuses request targets over
/// 65,534 bytes itself): tikv-lens must refuse it as a 400 naming `query`, not forward it.
#[tokio::test]
async fn a_query_over_the_length_limit_is_a_400_naming_query() {
    let (prom, lens) = setup().await;
    prom.answer_any(QUERY, prometheus_canned("query_empty_vector.json"));
    let query = "x".repeat(65_000);
    let answer = lens.get(&format!("{INSTANT}?query={query}")).await;
    assert_eq!(
        (answer.status, prom.total_hits()),
        (400, 0),
        "a {}-byte query must be refused before Prometheus (status, Prometheus hits)",
        query.len()
    );
    let p = answer.problem(400);
    assert_eq!(p["parameter"], "query", "{p}");
    assert_eq!(prom.total_hits(), 0);
}

/// A 70 KB query. No HTTP client library sends a request target that long (reqwest and the
/// `http` crate stop at 65,534 bytes), and hyper answers one itself with a bare 414 before any
/// handler runs; so this speaks HTTP/1.1 by hand and asserts what tikv-lens can guarantee: a
/// client error, and nothing sent to Prometheus.
#[tokio::test]
async fn a_70_kb_query_is_refused_without_reaching_prometheus() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let (prom, lens) = setup().await;
    prom.answer_any(QUERY, prometheus_canned("query_empty_vector.json"));
    let query = format!("sum({})", "up+".repeat(70 * 1024 / 3));
    assert!(query.len() > 70_000);
    let addr = lens.base.strip_prefix("http://").unwrap();
    let status_line = tokio::time::timeout(Duration::from_secs(10), async {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = format!(
            "GET {INSTANT}?query={} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n",
            urlencode(&query)
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response).await;
        String::from_utf8_lossy(&response)
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned()
    })
    .await
    .expect("tikv-lens answers a 70 KB request target");
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {status_line:?}"));
    assert!((400..500).contains(&status), "{status_line}");
    assert_eq!(prom.total_hits(), 0, "a 70 KB query reached Prometheus");
}

#[tokio::test]
async fn a_cluster_without_prometheus_is_a_404_problem() {
    let prom = FakePrometheus::start().await;
    let lens = Lens::start(
        vec![cluster("default", &[refused_url().await])],
        test_limits(),
    )
    .await;
    for url in [
        format!("{INSTANT}?query=up"),
        format!("{RANGE}?query=up&start=1795744200&end=1795744800&step=60"),
    ] {
        let answer = lens.get(&url).await;
        let p = answer.problem(404);
        assert_eq!(p["type"], "urn:tikv-lens:problem:prometheus-not-configured");
        assert!(detail(p).contains("default"), "{p}");
    }
    let answer = lens
        .get("/api/v1/clusters/nope/metrics/query?query=up")
        .await;
    assert_eq!(
        answer.problem(404)["type"],
        "urn:tikv-lens:problem:unknown-cluster"
    );
    assert_eq!(prom.total_hits(), 0);
}

// ---- how queries travel ----

/// About 3 KB of PromQL with every character a URL or form encoding could mangle.
fn long_promql() -> String {
    let instances: Vec<String> = (0..200).map(|i| format!("tikv-{i}:20180")).collect();
    format!(
        "sum by (instance)(rate(tikv_grpc_msg_duration_seconds_count{{instance=~\"{}\",type!=\"kv_gc\"}}[1m])) + 0 * count(up{{job=\"a&b=c;d#e%20+ü\"}})",
        instances.join("|")
    )
}

#[tokio::test]
async fn a_long_instant_query_is_sent_as_a_post_form_unaltered() {
    let promql = long_promql();
    assert!(promql.len() > 3000, "{}", promql.len());
    let (prom, lens) = setup().await;
    prom.answer_fixture(QUERY, &promql, "query_vector_qps.json");
    let answer = lens
        .get(&format!(
            "{INSTANT}?query={}&time=1795744800",
            urlencode(&promql)
        ))
        .await;
    let body = answer.ok();
    assert_eq!(body["query"], promql.as_str());
    assert_eq!(body["samples"].as_array().unwrap().len(), 3);
    let got = prom.last(QUERY);
    assert_eq!(got.method, "POST");
    assert!(
        got.content_type
            .as_deref()
            .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded")),
        "{:?}",
        got.content_type
    );
    assert_eq!(
        got.form_params.iter().filter(|(k, _)| k == "query").count(),
        1
    );
    assert_eq!(got.query(), promql);
    assert_eq!(got.param("time"), Some("1795744800"));
    assert!(got.param("timeout").is_some());
    assert!(got.url_params.is_empty(), "{:?}", got.url_params);
}

#[tokio::test]
async fn a_long_range_query_is_sent_as_a_post_form_unaltered() {
    let promql = long_promql();
    let (prom, lens) = setup().await;
    prom.answer_fixture(QUERY_RANGE, &promql, "query_range_matrix_cpu.json");
    let answer = lens
        .get(&format!(
            "{RANGE}?query={}&start=1795743000&end=1795744800&step=60",
            urlencode(&promql)
        ))
        .await;
    assert_aligned(
        answer.ok(),
        "query_range_matrix_cpu.json",
        &axis(1_795_743_000, 1_795_744_800, 60),
    );
    let got = prom.last(QUERY_RANGE);
    assert_eq!(got.method, "POST");
    assert_eq!(got.query(), promql);
    assert_eq!(
        got.names(),
        ["end", "query", "start", "step", "timeout"],
        "{got:?}"
    );
    assert_eq!(got.param("start"), Some("1795743000"));
    assert_eq!(got.param("end"), Some("1795744800"));
    assert_eq!(got.param("step"), Some("60"));
}

#[tokio::test]
async fn a_short_query_with_special_characters_is_sent_as_get_unaltered() {
    let promql = r#"sum(up{job="a&b=c;d#e%20+ü"}) + 1"#;
    let (prom, lens) = setup().await;
    prom.answer_fixture(QUERY, promql, "query_scalar_store_up.json");
    let answer = lens
        .get(&format!("{INSTANT}?query={}", urlencode(promql)))
        .await;
    assert_eq!(answer.ok()["samples"][0]["value"].as_f64(), Some(3.0));
    let got = prom.last(QUERY);
    assert_eq!(got.method, "GET");
    assert_eq!(got.query(), promql);
    assert_eq!(got.names(), ["query", "timeout"], "no time unless asked");
}

// ---- times, grids and values the fixtures do not show ----

#[tokio::test]
async fn rfc3339_times_with_offsets_reach_prometheus_as_unix_seconds() {
    let (prom, lens) = setup().await;
    prom.answer_any(QUERY, prometheus_canned("query_scalar_store_up.json"));
    prom.answer_any(
        QUERY_RANGE,
        prometheus_canned("query_range_empty_matrix.json"),
    );
    lens.get(&format!(
        "{INSTANT}?query=up&time={}",
        urlencode("2026-11-27T12:00:00.25+08:00")
    ))
    .await
    .ok();
    assert_eq!(prom.last(QUERY).param("time"), Some("1795752000.250"));
    let answer = lens
        .get(&format!(
            "{RANGE}?query=up&start={}&end={}&step=1m",
            urlencode("2026-11-27T01:50:00Z"),
            urlencode("2026-11-27T09:00:00+07:00")
        ))
        .await;
    let body = answer.ok();
    assert_eq!(
        body["timestamps_ms"],
        json!(axis(1_795_744_200, 1_795_744_800, 60))
    );
    let got = prom.last(QUERY_RANGE);
    assert_eq!(got.param("start"), Some("1795744200"));
    assert_eq!(got.param("end"), Some("1795744800"));
    assert_eq!(got.param("step"), Some("60"));
}

#[tokio::test]
async fn a_step_that_does_not_divide_the_range_snaps_both_ends_to_the_step_grid() {
    let (prom, lens) = setup().await;
    prom.answer_any(
        QUERY_RANGE,
        prometheus_canned("query_range_empty_matrix.json"),
    );
    let answer = lens
        .get(&format!(
            "{RANGE}?query=up&start=1795744200&end=1795744800&step=7m"
        ))
        .await;
    let body = answer.ok();
    // 7 minutes = 420 s: start and end snap down to multiples of 420 s since the Unix epoch.
    assert_eq!(
        body["timestamps_ms"],
        json!([1_795_744_020_000i64, 1_795_744_440_000i64])
    );
    assert_eq!(body["start_ms"], 1_795_744_020_000i64);
    assert_eq!(body["end_ms"], 1_795_744_440_000i64);
    assert_eq!(body["requested_start_ms"], 1_795_744_200_000i64);
    assert_eq!(body["requested_end_ms"], 1_795_744_800_000i64);
    assert_eq!(body["step_seconds"].as_f64(), Some(420.0));
    assert_eq!(prom.last(QUERY_RANGE).param("step"), Some("420"));
}

#[tokio::test]
async fn a_range_without_times_is_the_last_hour_at_one_minute() {
    let (prom, lens) = setup().await;
    prom.answer_any(
        QUERY_RANGE,
        prometheus_canned("query_range_empty_matrix.json"),
    );
    let answer = lens.get(&format!("{RANGE}?query=up")).await;
    let body = answer.ok();
    assert_eq!(body["timestamps_ms"].as_array().unwrap().len(), 61);
    let got = prom.last(QUERY_RANGE);
    let (start, end) = (
        seconds(got.param("start").unwrap()),
        seconds(got.param("end").unwrap()),
    );
    assert_eq!(end - start, 3600.0);
    assert_eq!(got.param("step"), Some("60"));
}

#[tokio::test]
async fn non_finite_points_in_matrices_are_null_and_listed() {
    let (prom, lens) = setup().await;
    let body = br#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"instance":"tikv-0:20180"},"values":[[1795744200,"NaN"],[1795744260,"1.5"],[1795744320,"+Inf"],[1795744380,"-Inf"]]}]}}"#;
    prom.answer_any(QUERY_RANGE, prom_json(body.to_vec()));
    prom.answer_any(QUERY, prom_json(body.to_vec()));
    let range = lens
        .get(&format!(
            "{RANGE}?query=up&start=1795744200&end=1795744440&step=60"
        ))
        .await;
    let series = &range.ok()["series"][0];
    assert_eq!(series["values"], json!([null, 1.5, null, null, null]));
    assert_eq!(
        series["non_finite"],
        json!([
            {"index": 0, "value": "nan"},
            {"index": 2, "value": "pos_inf"},
            {"index": 3, "value": "neg_inf"}
        ])
    );
    let instant = lens.get(&format!("{INSTANT}?query=up[5m]")).await;
    let raw = &instant.ok()["series"][0];
    assert_eq!(raw["values"], json!([null, 1.5, null, null]));
    assert_eq!(raw["non_finite"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn prometheus_infos_become_warnings_too() {
    let (prom, lens) = setup().await;
    prom.answer_any(
        QUERY,
        prom_json(
            br#"{"status":"success","data":{"resultType":"vector","result":[]},"infos":["PromQL info: metric might not be a counter"]}"#
                .to_vec(),
        ),
    );
    let answer = lens.get(&format!("{INSTANT}?query=rate(x[1m])")).await;
    let warnings = answer.ok()["warnings"].as_array().unwrap().clone();
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0]["source"], "prometheus");
    assert!(
        warnings[0]["message"]
            .as_str()
            .unwrap()
            .contains("metric might not be a counter")
    );
}

#[tokio::test]
async fn a_body_over_the_cap_is_a_bad_gateway_even_without_content_length() {
    let prom = FakePrometheus::start().await;
    let limits = UpstreamLimits {
        max_body_bytes: 1024,
        ..test_limits()
    };
    let lens =
        Lens::start_with_prometheus_limits(&[refused_url().await], &prom.url(), limits).await;
    let big = prometheus_canned("query_range_matrix_cpu.json");
    assert!(big.body.len() > 1024);
    for canned in [big.clone(), big.chunked()] {
        prom.answer_any(QUERY_RANGE, canned);
        let answer = lens
            .get(&format!(
                "{RANGE}?query=up&start=1795743000&end=1795744800&step=60"
            ))
            .await;
        let p = answer.problem(502);
        assert_eq!(p["type"], "urn:tikv-lens:problem:upstream-too-large");
        assert_eq!(p["upstream"], "prometheus");
    }
}
