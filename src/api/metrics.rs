//! `GET /api/v1/clusters/{cluster}/metrics/query` and `/metrics/query_range`: PromQL passed to
//! the cluster's Prometheus as given, its answer normalized.

use super::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use jiff::Timestamp;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::params::{parse_range, parse_time};
use super::problems::{BadParameter, PrometheusErrors};
use super::{ApiPath, ApiQuery, respond};
use crate::error::ApiError;
use crate::model::{InstantQueryResult, RangeQueryResult};
use crate::normalize::{self, sample};
use crate::state::AppState;
use crate::upstream::Upstream;
use crate::upstream::prometheus;
use crate::upstream::prometheus::{EvalTime, QueryAnswer};

/// Longest PromQL accepted, in bytes. The HTTP server refuses request targets above 64 KiB
/// before any handler runs, so the limit sits well below that to be the one a client meets.
const MAX_QUERY_BYTES: usize = 32 * 1024;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(instant_query))
        .routes(routes!(range_query))
}

/// Query parameters of an instant query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct InstantParams {
    /// The PromQL expression (at most 32 KiB).
    #[param(required = true, min_length = 1, example = "sum by (instance) (up)")]
    query: Option<String>,
    /// Evaluation time: RFC 3339 (any offset) or Unix seconds; Prometheus' "now" when absent.
    time: Option<String>,
}

/// Query parameters of a range query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct RangeParamsQuery {
    /// The PromQL expression (at most 32 KiB).
    #[param(
        required = true,
        min_length = 1,
        example = "sum by (instance) (rate(process_cpu_seconds_total[1m]))"
    )]
    query: Option<String>,
    /// First point: RFC 3339 (any offset) or Unix seconds. Default: `end` minus one hour.
    start: Option<String>,
    /// Last point at most: RFC 3339 or Unix seconds. Default: now.
    end: Option<String>,
    /// Distance between points: `15s`, `1m`, `1h` or seconds (`30`, `0.5`). Default: `1m`. At
    /// most 11,000 points from `start` to `end`.
    step: Option<String>,
}

fn require_query(query: Option<String>) -> Result<String, ApiError> {
    let query = query.unwrap_or_default();
    if query.trim().is_empty() {
        return Err(ApiError::BadParameter {
            parameter: "query",
            detail: "missing or empty; give a PromQL expression".into(),
        });
    }
    if query.len() > MAX_QUERY_BYTES {
        return Err(ApiError::BadParameter {
            parameter: "query",
            detail: format!("{} bytes long; at most {MAX_QUERY_BYTES}", query.len()),
        });
    }
    Ok(query)
}

/// A PromQL instant query, normalized.
///
/// The PromQL goes to the cluster's Prometheus as given, evaluated at `time`. The answer has
/// numbers instead of strings, `null` plus its kind (`non_finite`) for NaN and infinities,
/// timestamps in milliseconds, and Prometheus' warnings passed through; `result_type` says
/// which of `samples`, `series` and `string_value` holds the result.
#[utoipa::path(
    get,
    path = "/api/v1/clusters/{cluster}/metrics/query",
    tag = "metrics",
    params(("cluster" = String, Path, description = "The cluster's configured name."), InstantParams),
    responses(
        (status = 200, description = "The normalized result.", body = InstantQueryResult),
        BadParameter,
        PrometheusErrors
    )
)]
async fn instant_query(
    State(state): State<AppState>,
    ApiPath(cluster): ApiPath<String>,
    ApiQuery(params): ApiQuery<InstantParams>,
) -> Result<Json<InstantQueryResult>, ApiError> {
    let query = require_query(params.query)?;
    let time = match params.time.as_deref() {
        Some(t) => EvalTime::AtMs(parse_time("time", t)?),
        None => EvalTime::Now,
    };
    let cluster = state.cluster(&cluster)?;
    let envelope = cluster.prometheus()?.query(&query, time).await?;
    let result = sample::instant_result(
        &cluster.name,
        &query,
        envelope,
        crate::upstream::freshness::observed_at(),
    )
    .map_err(|e| ApiError::bad_upstream_value(Upstream::Prometheus, prometheus::QUERY_PATH, e))?;
    Ok(respond(result))
}

/// A PromQL range query, normalized into columns for charts.
///
/// One shared `timestamps_ms` axis on the step grid from `start` to `end`, and per series one
/// value per timestamp (`null` where the series has no sample). Parameters are checked before
/// Prometheus is asked. `start` and `end` are snapped down to multiples of `step` (the answer
/// gives both the grid and the times asked for), so a dashboard refreshing a sliding window
/// hits the cache until a step has passed.
#[utoipa::path(
    get,
    path = "/api/v1/clusters/{cluster}/metrics/query_range",
    tag = "metrics",
    params(("cluster" = String, Path, description = "The cluster's configured name."), RangeParamsQuery),
    responses(
        (status = 200, description = "The normalized, columnar result.", body = RangeQueryResult),
        BadParameter,
        PrometheusErrors
    )
)]
async fn range_query(
    State(state): State<AppState>,
    ApiPath(cluster): ApiPath<String>,
    ApiQuery(params): ApiQuery<RangeParamsQuery>,
) -> Result<Response, ApiError> {
    let query = require_query(params.query)?;
    let parsed = parse_range(
        params.start.as_deref(),
        params.end.as_deref(),
        params.step.as_deref(),
        Timestamp::now().as_millisecond(),
    )?;
    let cluster = state.cluster(&cluster)?;
    let range = parsed.grid;
    let answer = cluster
        .prometheus()?
        .query_range_read(&query, range, |body| normalize::render_range(body, range))
        .await?;
    let requested = (parsed.requested_start_ms, parsed.requested_end_ms);
    let observed_at = crate::upstream::freshness::observed_at();
    match answer {
        QueryAnswer::Read(rendered) => {
            let mut frame = sample::range_frame(
                &cluster.name,
                &query,
                range,
                requested,
                rendered.warnings,
                observed_at,
            );
            super::mark(&mut frame.meta);
            Ok(range_answer(&frame, rendered.json))
        }
        QueryAnswer::Decoded(envelope) => {
            let result = sample::range_result(
                &cluster.name,
                &query,
                range,
                requested,
                envelope,
                observed_at,
            )
            .map_err(|e| {
                ApiError::bad_upstream_value(Upstream::Prometheus, prometheus::QUERY_RANGE_PATH, e)
            })?;
            Ok(respond(result).into_response())
        }
    }
}

/// The answer of `frame` (a [`RangeQueryResult`] without series) around series that are JSON
/// already (`{series},{series},...` in chunks): exactly the bytes serde writes for the frame
/// holding them (a test holds the two to each other), without the series ever being a list in
/// memory.
fn range_answer(frame: &RangeQueryResult, series: Vec<Bytes>) -> Response {
    let mut response = Response::new(crate::chunked::body(range_json(frame, series)));
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    response
}

/// [`range_answer`]'s body, in chunks.
fn range_json(frame: &RangeQueryResult, series: Vec<Bytes>) -> impl Iterator<Item = Bytes> {
    fn json<T: serde::Serialize + ?Sized>(value: &T) -> String {
        // Strings, numbers, lists of numbers and `Meta` always serialize.
        serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
    }
    let head = format!(
        "{{\"cluster\":{},\"query\":{},\"start_ms\":{},\"end_ms\":{},\"requested_start_ms\":{},\"requested_end_ms\":{},\"step_seconds\":{},\"timestamps_ms\":{},\"series\":[",
        json(&frame.cluster),
        json(&frame.query),
        json(&frame.start_ms),
        json(&frame.end_ms),
        json(&frame.requested_start_ms),
        json(&frame.requested_end_ms),
        json(&frame.step_seconds),
        json(&frame.timestamps_ms),
    );
    // `meta` is flattened into the answer: its keys follow, and its closing brace closes it.
    let meta = json(&frame.meta);
    let tail = format!("],{}", meta.strip_prefix('{').unwrap_or(&meta));
    std::iter::once(Bytes::from(head))
        .chain(series)
        .chain(std::iter::once(Bytes::from(tail)))
}

#[cfg(test)]
mod tests {
    //! The one-pass reader of range bodies ([`normalize::render_range`]) against the general
    //! decoder (`wire::Envelope`, then [`sample::range_result`], then serde): whatever the
    //! reader accepts, the decoder accepts too, and the answer's bytes are the same; what the
    //! reader declines, the decoder answers (or refuses) as it always did.

    use super::*;
    use crate::upstream::prometheus::RangeParams;
    use crate::upstream::prometheus::wire::Envelope;
    use proptest::prelude::*;

    const CLUSTER: &str = "dc-1 \"east\"";
    const QUERY: &str = "sum by (instance) (rate(x{a=\"b\"}[1m])) < 3 & ü";

    fn observed_at() -> Timestamp {
        Timestamp::from_millisecond(1_795_744_801_250).unwrap()
    }

    fn range(start_s: i64, end_s: i64, step_s: i64) -> RangeParams {
        RangeParams {
            start_ms: start_s * 1000,
            end_ms: end_s * 1000,
            step_ms: step_s * 1000,
        }
    }

    fn requested(range: RangeParams) -> (i64, i64) {
        (range.start_ms + 1, range.end_ms + 999)
    }

    /// The general decoder's answer: serde's bytes of the model, or `None` when it refuses.
    fn decoded(body: &[u8], range: RangeParams) -> Option<Vec<u8>> {
        let envelope: Envelope = serde_json::from_slice(body).ok()?;
        if envelope.status != "success" {
            return None;
        }
        let result = sample::range_result(
            CLUSTER,
            QUERY,
            range,
            requested(range),
            envelope,
            observed_at(),
        )
        .ok()?;
        Some(serde_json::to_vec(&result).unwrap())
    }

    /// The reader's answer, as the handler assembles it, or `None` when it declines; read on one
    /// thread and cut in two wherever it can be (even a small body): both must give the same.
    fn rendered(body: &[u8], range: RangeParams) -> Option<Vec<u8>> {
        let one = rendered_in_two_from(body, range, usize::MAX);
        let two = rendered_in_two_from(body, range, 0);
        assert_eq!(
            one,
            two,
            "one thread and two read {}",
            String::from_utf8_lossy(body)
        );
        one
    }

    fn rendered_in_two_from(body: &[u8], range: RangeParams, from: usize) -> Option<Vec<u8>> {
        let rendered = normalize::render_range_in_two_from(body, range, from)?;
        let frame = sample::range_frame(
            CLUSTER,
            QUERY,
            range,
            requested(range),
            rendered.warnings,
            observed_at(),
        );
        Some(
            range_json(&frame, rendered.json)
                .flat_map(|c| c.to_vec())
                .collect(),
        )
    }

    /// The property, for one body: `Ok(true)` when the reader read it.
    fn same_answer(body: &[u8], range: RangeParams) -> Result<bool, String> {
        let Some(fast) = rendered(body, range) else {
            return Ok(false);
        };
        let text = String::from_utf8_lossy(body);
        let Some(general) = decoded(body, range) else {
            return Err(format!(
                "the reader accepted what the decoder refuses: {text}"
            ));
        };
        if fast != general {
            return Err(format!(
                "other bytes for {text}\n reader:  {}\n decoder: {}",
                String::from_utf8_lossy(&fast),
                String::from_utf8_lossy(&general)
            ));
        }
        Ok(true)
    }

    fn fixtures() -> Vec<(String, Vec<u8>)> {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/prometheus");
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json" || e == "txt"))
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read(p).unwrap())
            })
            .collect()
    }

    /// Every Prometheus, Thanos, Mimir and VictoriaMetrics fixture, over the grids of the range
    /// fixtures and over grids that drop samples, miss them or fall between them: the reader
    /// reads every matrix answer, and only those, to the decoder's bytes.
    #[test]
    fn every_fixture_reads_to_the_decoders_bytes() {
        let grids = [
            range(1_795_743_000, 1_795_744_800, 60),
            range(1_795_744_200, 1_795_744_800, 30),
            range(1_795_744_680, 1_795_744_800, 60),
            range(1_795_744_500, 1_795_744_800, 60),
            range(1_795_743_990, 1_795_744_800, 45),
            range(1_795_744_000, 1_795_744_100, 7),
        ];
        let mut read = 0;
        for (name, body) in fixtures() {
            let matrix = name.contains("query_range");
            for grid in grids {
                match same_answer(&body, grid) {
                    Ok(true) => read += 1,
                    Ok(false) if matrix => panic!("{name} at {grid:?}: the reader declined"),
                    Ok(false) => {}
                    Err(e) => panic!("{name} at {grid:?}: {e}"),
                }
            }
        }
        assert_eq!(
            read,
            6 * grids.len(),
            "the six range fixtures on every grid"
        );
    }

    #[test]
    fn shapes_of_other_backends_and_unusual_orders_read_the_same() {
        let grid = range(1_795_744_680, 1_795_744_800, 60);
        let read = [
            // VictoriaMetrics: isPartial and stats around the data.
            r#"{"status":"success","isPartial":false,"data":{"resultType":"matrix","result":[{"metric":{"instance":"a"},"values":[[1795744680,"1"],[1795744740,"2.5"]]}]},"stats":{"seriesFetched":"1","executionTimeMsec":3}}"#,
            // Keys in another order, whitespace, values before labels, a histogram key ignored.
            "{ \"warnings\" : [\"w\"] ,\n \"data\" : { \"resultType\" : \"matrix\" , \"result\" : [ { \"values\" : [ [ 1795744680 , \"NaN\" ] ] , \"histograms\" : [] , \"metric\" : { \"b\" : \"2\" , \"a\" : \"1\" } } ] } , \"status\" : \"success\" , \"infos\" : [\"i\"] }\n",
            // Escaped and duplicate labels: serde's meaning (the last one wins).
            r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"a":"x\u003cy","a":"\"z\"","\u00fc":"\n"},"values":[]}]}}"#,
            // Samples off the grid, twice on one point, outside it, at fractional seconds.
            r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1795744650,"1"],[1795744681.5,"2"],[1795744682,"+Inf"],[1795744739.999,"3"],[1795744740.001,"4"],[1.7957448e9,"5"],[1795745000,"6"]]},{}]}}"#,
            // Errors fields of a success answer, null.
            r#"{"status":"success","errorType":null,"error":null,"data":{"resultType":"matrix","result":[]}}"#,
        ];
        for body in read {
            assert_eq!(same_answer(body.as_bytes(), grid), Ok(true), "{body}");
        }
    }

    /// A body cut in two where a label holds the very bytes of a boundary between series: the
    /// half before the cut fails, and the body is read in one, to the decoder's bytes.
    #[test]
    fn a_cut_inside_a_label_is_no_cut() {
        let grid = range(1_795_744_680, 1_795_744_800, 60);
        let series = |label: &str| {
            format!(
                r#"{{"metric":{{"a":{}}},"values":[[1795744680,"1"],[1795744740,"2.5"]]}}"#,
                serde_json::to_string(label).unwrap()
            )
        };
        let trap = "]},{\"metric\":{\"b\":\"c\"},\"values\":[]},{\"metric\":";
        for padding in 0..40 {
            let list = [
                series(&"x".repeat(padding)),
                series(trap),
                series(trap),
                series("z"),
            ];
            let body = format!(
                r#"{{"status":"success","data":{{"resultType":"matrix","result":[{}]}}}}"#,
                list.join(",")
            );
            assert_eq!(same_answer(body.as_bytes(), grid), Ok(true), "{body}");
        }
    }

    /// A cut past the end of the series, in an unknown key after them that holds what reads as
    /// a series: the first half ends before the cut, so there was no cut.
    #[test]
    fn a_cut_past_the_series_is_no_cut() {
        let grid = range(1_795_744_680, 1_795_744_800, 60);
        for padding in 0..80 {
            let body = format!(
                r#"{{"status":"success","data":{{"resultType":"matrix","result":[{{"metric":{{"a":"{}"}},"values":[[1795744680,"1"]]}}],"x":[{{"k":[0]}},{{"metric":{{"b":"2"}},"values":[[1795744680,"2"]]}}]}}}}"#,
                "p".repeat(padding)
            );
            assert_eq!(same_answer(body.as_bytes(), grid), Ok(true), "{body}");
        }
    }

    /// What the decoder refuses or reads differently, the reader declines.
    #[test]
    fn the_reader_declines_what_it_does_not_read_exactly() {
        let grid = range(1_795_744_680, 1_795_744_800, 60);
        let deep = format!(
            r#"{{"status":"success","x":{}1{},"data":{{"resultType":"matrix","result":[]}}}}"#,
            "[".repeat(127),
            "]".repeat(127)
        );
        let declined = [
            r#"{"status":"success","status":"success","data":{"resultType":"matrix","result":[]}}"#,
            r#"{"status":"success","data":{"resultType":"matrix","result":[]},"data":{"resultType":"matrix","result":[]}}"#,
            r#"{"status":"success","data":{"result":[],"resultType":"matrix"}}"#,
            r#"{"status":"success","data":{"resultType":"matrix","resultType":"matrix","result":[]}}"#,
            r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"metric":{}}]}}"#,
            r#"{"status":"success","data":{"resultType":"matrix","result":[{"values":[],"values":[]}]}}"#,
            r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":null}]}}"#,
            r#"{"status":"success","data":{"resultType":"matrix","result":[{"values":null}]}}"#,
            r#"{"status":"success","data":{"resultType":"matrix","result":null}}"#,
            r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#,
            r#"{"status":"success","data":{"resultType":"string","result":[1795744800,"x"]}}"#,
            r#"{"status":"success","data":null}"#,
            r#"{"status":"success"}"#,
            r#"{"status":"error","errorType":"bad_data","error":"x"}"#,
            r#"{"status":"succ\u0065ss","data":{"resultType":"matrix","result":[]}}"#,
            r#"{"st\u0061tus":"success","data":{"resultType":"matrix","result":[]}}"#,
            r#"{"status":"success","warnings":null,"data":{"resultType":"matrix","result":[]}}"#,
            r#"{"status":"success","data":{"resultType":"matrix","result":[{"values":[[1795744680,"banana"]]}]}}"#,
            r#"{"status":"success","data":{"resultType":"matrix","result":[{"values":[[1795744680,"1","2"]]}]}}"#,
            r#"{"status":"success","data":{"resultType":"matrix","result":[{"values":[[1795744680]]}]}}"#,
            r#"{"status":"success","data":{"resultType":"matrix","result":[{"values":[["1795744680","1"]]}]}}"#,
            r#"{"status":"success","data":{"resultType":"matrix","result":[{"values":[[01795744680,"1"]]}]}}"#,
            r#"{"status":"success","data":{"resultType":"matrix","result":[{"values":[[1e999,"1"]]}]}}"#,
            r#"{"status":"success","data":{"resultType":"matrix","result":[{"values":[[1795744680,"1e999"]]}]}}"#,
            r#"{"status":"success","data":{"resultType":"matrix","result":[{"values":[[1795744680,"\u0031"]]}]}}"#,
            r#"{"status":"success","data":{"resultType":"matrix","result":[]}} x"#,
            r#"{"status":"success","data":{"resultType":"matrix","result":[]},}"#,
            r#"["success",{"resultType":"matrix","result":[]}]"#,
            r#"{"status":"success","data":{"resultType":"matrix","result":[]}"#,
            "",
            deep.as_str(),
        ];
        for body in declined {
            assert_eq!(same_answer(body.as_bytes(), grid), Ok(false), "{body}");
        }
        // Invalid UTF-8 in an unknown key, control characters in a string.
        for body in [
            &b"{\"status\":\"success\",\"\xff\":1,\"data\":{\"resultType\":\"matrix\",\"result\":[]}}"[..],
            &b"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{\"a\":\"\x01\"}}]}}"[..],
        ] {
            assert_eq!(same_answer(body, grid), Ok(false));
        }
    }

    // ---- generated bodies ----

    /// A JSON string literal of `text`, sometimes with `<`, `>` and `&` escaped as Go does.
    fn quoted(text: &str, go_escapes: bool) -> String {
        let json = serde_json::to_string(text).unwrap();
        if go_escapes {
            json.replace('<', "\\u003c")
                .replace('>', "\\u003e")
                .replace('&', "\\u0026")
        } else {
            json
        }
    }

    fn label_text() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "__name__",
                "instance",
                "job",
                "type",
                "le",
                "",
                "a b",
                "q\"d",
                "ü",
                "😀",
                "b\\s",
                "x<y&z",
                "tikv-0:20180",
            ])
            .prop_map(str::to_owned),
            "\\PC{0,8}",
        ]
    }

    /// A sample value text: what Go's strconv.FormatFloat prints for Prometheus (shortest, fixed
    /// notation unless tiny or huge), short decimals and integers (gauges, counters), the
    /// non-finite spellings, and texts the decoder refuses or reads only by parsing.
    fn value_text() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => any::<f64>().prop_filter("finite", |v| v.is_finite()).prop_map(|v| {
                let a = v.abs();
                if a != 0.0 && !(1e-6..1e21).contains(&a) {
                    format!("{v:e}").replace('e', "e+").replace("e+-", "e-")
                } else {
                    format!("{v}")
                }
            }),
            4 => (any::<i32>(), 0u32..5).prop_map(|(n, d)| format!("{}", f64::from(n) / 10f64.powi(d as i32))),
            2 => any::<i64>().prop_map(|n| n.to_string()),
            2 => prop::sample::select(vec!["NaN", "+Inf", "-Inf", "Inf", "0", "-0", "1e+21", "1e-07", "0.00001", "0.000001", "1234567890123456", "123456789012345.6", "1.50", "01", "+1", ".5", "5.", "banana", "1e999", ""]).prop_map(str::to_owned),
            1 => "[-0-9.e+]{1,20}",
        ]
    }

    /// A sample time: on the grid (or past its ends), between points, with fractions, or in
    /// notations only serde_json reads.
    fn sample_time(grid: RangeParams) -> impl Strategy<Value = String> {
        let (start, step) = (grid.start_ms / 1000, grid.step_ms / 1000);
        prop_oneof![
            6 => (-1i64..14).prop_map(move |k| (start + k * step).to_string()),
            2 => (-1i64..14, 1i64..1000).prop_map(move |(k, ms)| format!("{}.{ms:03}", start + k * step).trim_end_matches('0').to_owned()),
            1 => (-1i64..14).prop_map(move |k| format!("{}e0", start + k * step)),
            1 => (-1i64..14).prop_map(move |k| format!("{:e}", (start + k * step) as f64)),
            1 => prop::sample::select(vec!["-1", "0", "1e400", "-0", "0.5"]).prop_map(str::to_owned),
        ]
    }

    #[derive(Debug, Clone)]
    struct Body {
        grid: RangeParams,
        text: String,
    }

    /// A whole answer: series of labels and samples, warnings and infos, unknown keys, the keys
    /// in any order, compact or spaced.
    fn body() -> impl Strategy<Value = Body> {
        (
            1_795_744_000i64..1_795_744_100,
            prop::sample::select(vec![1i64, 15, 60]),
            0i64..12,
        )
            .prop_flat_map(|(start, step, points)| {
                let grid = range(start, start + points * step, step);
                let series = prop::collection::vec(
                    (
                        prop::collection::vec((label_text(), label_text()), 0..4),
                        prop::collection::vec((sample_time(grid), value_text()), 0..14),
                        any::<bool>(),
                        any::<bool>(),
                    ),
                    0..4,
                );
                (
                    Just(grid),
                    series,
                    prop::option::of(prop::collection::vec("\\PC{0,12}", 0..3)),
                    prop::option::of(prop::collection::vec("\\PC{0,12}", 0..3)),
                    prop::sample::select(vec![
                        "",
                        "\"isPartial\":false",
                        "\"stats\":{\"a\":[1,{\"b\":null}]}",
                    ]),
                    any::<bool>(),
                    prop::sample::select(vec!["", " ", "\n  "]),
                    Just(()).prop_perturb(|_, mut rng| rng.random::<u64>()),
                )
            })
            .prop_map(
                |(grid, series, warnings, infos, extra, go_escapes, ws, order)| {
                    let sep = |s: &str| format!("{ws}{s}{ws}");
                    let series: Vec<String> = series
                        .iter()
                        .map(|(labels, samples, values_first, with_histograms)| {
                            let labels: Vec<String> = labels
                                .iter()
                                .map(|(k, v)| {
                                    format!(
                                        "{}{}{}",
                                        quoted(k, go_escapes),
                                        sep(":"),
                                        quoted(v, go_escapes)
                                    )
                                })
                                .collect();
                            let samples: Vec<String> = samples
                                .iter()
                                .map(|(t, v)| format!("[{t}{}{}]", sep(","), quoted(v, false)))
                                .collect();
                            let metric =
                                format!("\"metric\"{}{{{}}}", sep(":"), labels.join(&sep(",")));
                            let values =
                                format!("\"values\"{}[{}]", sep(":"), samples.join(&sep(",")));
                            let mut keys = if *values_first {
                                vec![values, metric]
                            } else {
                                vec![metric, values]
                            };
                            if *with_histograms {
                                keys.insert(1, "\"histograms\":[[1,{\"count\":\"1\"}]]".to_owned());
                            }
                            format!("{{{}}}", keys.join(&sep(",")))
                        })
                        .collect();
                    let data = format!(
                        "\"data\"{}{{\"resultType\"{}\"matrix\"{}\"result\"{}[{}]}}",
                        sep(":"),
                        sep(":"),
                        sep(","),
                        sep(":"),
                        series.join(&sep(","))
                    );
                    let list = |name: &str, items: &Option<Vec<String>>| {
                        items.as_ref().map(|items| {
                            let items: Vec<String> =
                                items.iter().map(|i| quoted(i, go_escapes)).collect();
                            format!("\"{name}\"{}[{}]", sep(":"), items.join(","))
                        })
                    };
                    let mut keys: Vec<String> = [
                        Some(format!("\"status\"{}\"success\"", sep(":"))),
                        Some(data),
                        list("warnings", &warnings),
                        list("infos", &infos),
                        (!extra.is_empty()).then(|| extra.to_owned()),
                    ]
                    .into_iter()
                    .flatten()
                    .collect();
                    // Any order of the envelope's keys.
                    let n = keys.len();
                    for i in (1..n).rev() {
                        keys.swap(i, (order as usize / (i + 1)) % (i + 1));
                    }
                    Body {
                        grid,
                        text: format!("{ws}{{{}}}{ws}", keys.join(&sep(","))),
                    }
                },
            )
    }

    /// Whether every sample of a generated body is one the decoder reads (then the reader must
    /// read the body too).
    fn readable(body: &Body) -> bool {
        decoded(body.text.as_bytes(), body.grid).is_some()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Generated answers: the reader reads every one the decoder reads, to the same bytes,
        /// and declines every other.
        #[test]
        fn generated_answers_read_to_the_decoders_bytes(body in body()) {
            let read = same_answer(body.text.as_bytes(), body.grid).map_err(TestCaseError::fail)?;
            prop_assert_eq!(read, readable(&body), "{}", body.text);
        }

        /// Generated answers with a few bytes deleted, inserted or replaced: whatever the reader
        /// still accepts, the decoder accepts to the same bytes.
        #[test]
        fn damaged_answers_are_never_read_differently(
            body in body(),
            edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, prop::sample::select(b"{}[]\",:0123456789.-+eE \\nuN".to_vec())), 1..4),
        ) {
            let mut bytes = body.text.into_bytes();
            for (at, op, byte) in edits {
                if bytes.is_empty() {
                    break;
                }
                let i = at.index(bytes.len());
                match op {
                    0 => { bytes.remove(i); }
                    1 => bytes.insert(i, byte),
                    _ => bytes[i] = byte,
                }
            }
            same_answer(&bytes, body.grid).map_err(TestCaseError::fail)?;
        }
    }
}
