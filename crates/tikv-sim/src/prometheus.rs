//! A simulated Prometheus (2.42 API) over the simulated cluster, for `tikv-lens demo` and the
//! tests: the query API answered as a Prometheus that scrapes the simulated TiKV stores and PD
//! every 15 s would answer it, byte for byte in format (see
//! `tests/fixtures/prometheus/UPSTREAM-NOTES.md`).
//!
//! - `GET`/`POST` (form) `/api/v1/query` (`query`, `time`, `timeout`) and `/api/v1/query_range`
//!   (`query`, `start`, `end`, `step`, `timeout`), parameters read and checked in Prometheus'
//!   order with its error texts; `GET /-/ready`, `/-/healthy`, `/api/v1/status/buildinfo`.
//! - Success `{"status":"success","data":{"resultType":…,"result":…}}`, compact, as
//!   `application/json`; sample values as Go's `strconv.FormatFloat` prints them (`'e'` below 1e-6
//!   and from 1e21, `NaN`, `+Inf`, `-Inf`), timestamps as seconds with up to 3 decimals.
//! - Errors `{"status":"error","errorType":…,"error":…}`: 400 `bad_data` for bad parameters, parse
//!   errors and PromQL the simulation does not implement, 422 `execution` for evaluation errors;
//!   plain-text 404 and 405 for unknown paths and methods.
//!
//! What the series are and how their values come about: `metrics`. Which PromQL works:
//! `promql_eval`. Differences from a real Prometheus: parse errors carry no `line:column`
//! position (the parser does not report one), `timeout` is accepted but never fires (queries are
//! computed, not read; instead one request may compute at most 50 million samples, Prometheus'
//! default `--query.max-samples`, else 422), and the series, label names and values are only those
//! the simulation exports (no `/api/v1/series`, labels, metadata or targets endpoints).

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;

use super::clock::Clock;
use super::cluster::SimCluster;
use super::go_format::{go_parse_query, go_quote, write_go_string};
use super::metrics::{Labels, MetricsModel};
use super::promql_eval::{EvalError, Evaluator, Kind, Plan, Value, prepare};

/// Prometheus' API content type.
const CONTENT_TYPE_JSON: &str = "application/json";
/// Go's `http.Error` content type.
const CONTENT_TYPE_TEXT: &str = "text/plain; charset=utf-8";
/// Go's default limit on a form body.
const MAX_FORM_BYTES: usize = 10 << 20;
/// Prometheus' limit on points per series of a range query.
const MAX_POINTS: i128 = 11_000;

const BUILD_INFO: &str = r#"{"status":"success","data":{"version":"2.42.0","revision":"tikv-lens-demo","branch":"HEAD","buildUser":"tikv-lens","buildDate":"20250101-00:00:00","goVersion":"go1.19.8"}}"#;

struct Prom {
    model: MetricsModel,
    clock: Clock,
}

/// The simulated Prometheus over `cluster`, answering at `clock`'s time. A stateless
/// `Router<()>`; answers are a pure function of the cluster's configuration and the time.
pub fn prometheus_router(cluster: Arc<SimCluster>, clock: Clock) -> Router {
    Router::new().fallback(dispatch).with_state(Arc::new(Prom {
        model: MetricsModel::new(cluster),
        clock,
    }))
}

/// Serves the simulated Prometheus on `listener` until `shutdown` completes.
pub async fn serve_prometheus(
    listener: tokio::net::TcpListener,
    cluster: Arc<SimCluster>,
    clock: Clock,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, prometheus_router(cluster, clock))
        .with_graceful_shutdown(shutdown)
        .await
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    Query,
    QueryRange,
    Ready,
    Healthy,
    BuildInfo,
}

async fn dispatch(State(prom): State<Arc<Prom>>, request: Request) -> Response {
    let route = match request.uri().path() {
        "/api/v1/query" => Route::Query,
        "/api/v1/query_range" => Route::QueryRange,
        "/-/ready" => Route::Ready,
        "/-/healthy" => Route::Healthy,
        "/api/v1/status/buildinfo" => Route::BuildInfo,
        _ => return text(StatusCode::NOT_FOUND, "404 page not found\n"),
    };
    let method = request.method().clone();
    let allowed = match route {
        Route::Query | Route::QueryRange => method == Method::GET || method == Method::POST,
        Route::Ready | Route::Healthy => method == Method::GET || method == Method::HEAD,
        Route::BuildInfo => method == Method::GET,
    };
    if !allowed {
        return text(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed\n");
    }
    match route {
        Route::Ready => return text(StatusCode::OK, "Prometheus Server is Ready.\n"),
        Route::Healthy => return text(StatusCode::OK, "Prometheus Server is Healthy.\n"),
        Route::BuildInfo => return json(StatusCode::OK, BUILD_INFO.to_owned()),
        Route::Query | Route::QueryRange => {}
    }
    let params = match form(request).await {
        Ok(params) => params,
        Err(message) => return error_response(ApiError::BadData(message)),
    };
    let now_ms = prom.clock.now().as_millisecond();
    let work = move || match route {
        Route::Query => instant_query(&prom.model, &params, now_ms),
        _ => range_query(&prom.model, &params),
    };
    let answer = match tokio::task::spawn_blocking(work).await {
        Ok(answer) => answer,
        Err(_) => Err(ApiError::Execution(
            "query evaluation was cancelled".to_owned(),
        )),
    };
    match answer {
        Ok(body) => json(StatusCode::OK, body),
        Err(e) => error_response(e),
    }
}

/// `r.FormValue` semantics: a urlencoded POST body's values first, then the URL query's.
struct Params(Vec<(Vec<u8>, Vec<u8>)>);

impl Params {
    fn get(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name.as_bytes())
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_default()
    }
}

async fn form(request: Request) -> Result<Params, String> {
    let query = go_parse_query(request.uri().query().unwrap_or("").as_bytes());
    let is_form = request.method() == Method::POST
        && request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                v.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
    if !is_form {
        return Ok(Params(query));
    }
    let body = to_bytes(request.into_body(), MAX_FORM_BYTES)
        .await
        .map_err(|_| "http: request body too large".to_owned())?;
    let mut pairs = go_parse_query(&body);
    pairs.extend(query);
    Ok(Params(pairs))
}

/// Prometheus API errors and their status codes.
#[derive(Debug)]
enum ApiError {
    BadData(String),
    Execution(String),
}

fn error_response(error: ApiError) -> Response {
    let (status, kind, message) = match error {
        ApiError::BadData(m) => (StatusCode::BAD_REQUEST, "bad_data", m),
        ApiError::Execution(m) => (StatusCode::UNPROCESSABLE_ENTITY, "execution", m),
    };
    let mut body = String::with_capacity(message.len() + 64);
    body.push_str(r#"{"status":"error","errorType":""#);
    body.push_str(kind);
    body.push_str(r#"","error":"#);
    write_go_string(&mut body, &message);
    body.push('}');
    json(status, body)
}

fn invalid_param(name: &str, message: impl std::fmt::Display) -> ApiError {
    ApiError::BadData(format!(
        "invalid parameter {}: {message}",
        go_quote(name.as_bytes())
    ))
}

fn from_eval(error: EvalError) -> ApiError {
    match error {
        EvalError::Unsupported(m) => invalid_param("query", m),
        EvalError::Execution(m) => ApiError::Execution(m),
    }
}

fn instant_query(model: &MetricsModel, params: &Params, now_ms: i64) -> Result<String, ApiError> {
    let raw_time = params.get("time");
    let t_ms = if raw_time.is_empty() {
        now_ms
    } else {
        parse_time(&raw_time)
            .map_err(|e| invalid_param("time", format!("Invalid time value for 'time': {e}")))?
    };
    check_timeout(params)?;
    let node = parse_query(model, &params.get("query"))?;
    let value = Evaluator::new(model)
        .instant(&node, t_ms)
        .map_err(from_eval)?;
    Ok(render_instant(&value, t_ms))
}

fn range_query(model: &MetricsModel, params: &Params) -> Result<String, ApiError> {
    let start = parse_time(&params.get("start")).map_err(|e| invalid_param("start", e))?;
    let end = parse_time(&params.get("end")).map_err(|e| invalid_param("end", e))?;
    if end < start {
        return Err(ApiError::BadData(
            "end timestamp must not be before start time".to_owned(),
        ));
    }
    let step_ns = parse_duration(&params.get("step")).map_err(|e| invalid_param("step", e))?;
    if step_ns <= 0 {
        return Err(ApiError::BadData(
            "zero or negative query resolution step widths are not accepted. Try a positive integer"
                .to_owned(),
        ));
    }
    if (i128::from(end) - i128::from(start)) * 1_000_000 / i128::from(step_ns) > MAX_POINTS {
        return Err(ApiError::BadData(
            "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"
                .to_owned(),
        ));
    }
    check_timeout(params)?;
    let node = parse_query(model, &params.get("query"))?;
    match node.kind() {
        Kind::Scalar | Kind::Vector => {}
        kind => {
            return Err(ApiError::BadData(format!(
                "invalid expression type {} for range query, must be Scalar or instant Vector",
                go_quote(kind.prometheus_name().as_bytes())
            )));
        }
    }
    let step_ms = step_ns / 1_000_000;
    let series = Evaluator::new(model)
        .range(&node, start, end, step_ms)
        .map_err(from_eval)?;
    let mut out = String::with_capacity(64 + series.len() * 64);
    out.push_str(r#"{"status":"success","data":{"resultType":"matrix","result":["#);
    for (i, s) in series.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_series(&mut out, &s.labels, &s.points);
    }
    out.push_str("]}}");
    Ok(out)
}

fn check_timeout(params: &Params) -> Result<(), ApiError> {
    let raw = params.get("timeout");
    if !raw.is_empty() {
        parse_duration(&raw).map_err(|e| invalid_param("timeout", e))?;
    }
    Ok(())
}

fn parse_query(model: &MetricsModel, query: &str) -> Result<Plan, ApiError> {
    let expr = promql_parser::parser::parse(query)
        .map_err(|e| invalid_param("query", format!("parse error: {e}")))?;
    prepare(model, &expr).map_err(from_eval)
}

// ---- rendering -----------------------------------------------------------------------------

fn render_instant(value: &Value, t_ms: i64) -> String {
    let mut out = String::with_capacity(256);
    out.push_str(r#"{"status":"success","data":{"resultType":""#);
    match value {
        Value::Scalar(v) => {
            out.push_str(r#"scalar","result":"#);
            write_point(&mut out, t_ms, *v);
        }
        Value::String(s) => {
            out.push_str(r#"string","result":["#);
            write_timestamp(&mut out, t_ms);
            out.push(',');
            write_go_string(&mut out, s);
            out.push(']');
        }
        Value::Vector(samples) => {
            out.push_str(r#"vector","result":["#);
            for (i, s) in samples.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(r#"{"metric":"#);
                write_labels(&mut out, &s.labels);
                out.push_str(r#","value":"#);
                write_point(&mut out, t_ms, s.value);
                out.push('}');
            }
            out.push(']');
        }
        Value::Matrix(series) => {
            out.push_str(r#"matrix","result":["#);
            for (i, s) in series.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_series(&mut out, &s.labels, &s.points);
            }
            out.push(']');
        }
    }
    out.push_str("}}");
    out
}

fn write_series(out: &mut String, labels: &Labels, points: &[(i64, f64)]) {
    out.push_str(r#"{"metric":"#);
    write_labels(out, labels);
    out.push_str(r#","values":["#);
    for (i, &(t, v)) in points.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_point(out, t, v);
    }
    out.push_str("]}");
}

fn write_labels(out: &mut String, labels: &Labels) {
    out.push('{');
    for (i, (k, v)) in labels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_go_string(out, k);
        out.push(':');
        write_go_string(out, v);
    }
    out.push('}');
}

/// `[<seconds>,"<value>"]`.
fn write_point(out: &mut String, t_ms: i64, v: f64) {
    out.push('[');
    write_timestamp(out, t_ms);
    out.push_str(",\"");
    push_value(out, v);
    out.push_str("\"]");
}

/// Unix milliseconds as Prometheus writes a timestamp: seconds, then up to three decimals
/// without trailing zeros (`1795744800`, `1795744800.25`, `1795744754.375`).
fn write_timestamp(out: &mut String, t_ms: i64) {
    use std::fmt::Write as _;
    if t_ms < 0 {
        out.push('-');
    }
    let abs = t_ms.unsigned_abs();
    let _ = write!(out, "{}", abs / 1000);
    let mut fraction = abs % 1000;
    if fraction != 0 {
        let mut digits = 3;
        while fraction.is_multiple_of(10) {
            fraction /= 10;
            digits -= 1;
        }
        let _ = write!(out, ".{fraction:0digits$}");
    }
}

/// A sample value as Prometheus prints it: `strconv.FormatFloat(v, 'f', -1, 64)`, or `'e'` when
/// the magnitude is below 1e-6 or at least 1e21; `NaN`, `+Inf`, `-Inf`.
fn push_value(out: &mut String, v: f64) {
    use std::fmt::Write as _;
    if v.is_nan() {
        out.push_str("NaN");
    } else if v == f64::INFINITY {
        out.push_str("+Inf");
    } else if v == f64::NEG_INFINITY {
        out.push_str("-Inf");
    } else {
        let abs = v.abs();
        if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
            // Rust prints `1.5e-7`; Go prints `1.5e-07` (a sign and at least two digits).
            let text = format!("{v:e}");
            if let Some((mantissa, exponent)) = text.split_once('e') {
                let (sign, digits) = match exponent.strip_prefix('-') {
                    Some(d) => ('-', d),
                    None => ('+', exponent),
                };
                let _ = write!(out, "{mantissa}e{sign}{digits:0>2}");
            }
        } else {
            let _ = write!(out, "{v}");
        }
    }
}

// ---- parameters ----------------------------------------------------------------------------

/// Prometheus' `parseTime`: Unix seconds (a float, rounded to milliseconds) or RFC 3339.
fn parse_time(raw: &str) -> Result<i64, String> {
    if let Some(seconds) = parse_go_float(raw) {
        let whole = seconds.trunc();
        let fraction = ((seconds - whole) * 1000.0).round();
        let ms = whole * 1000.0 + fraction;
        if seconds.is_finite() && ms.abs() < 9.2e18 {
            return Ok(ms as i64);
        }
    } else if let Some(ms) = parse_rfc3339(raw) {
        return Ok(ms);
    }
    Err(format!(
        "cannot parse {} to a valid timestamp",
        go_quote(raw.as_bytes())
    ))
}

/// What Go's `strconv.ParseFloat` accepts (decimal forms; hexadecimal floats are not read).
fn parse_go_float(raw: &str) -> Option<f64> {
    let body = raw.strip_prefix(['+', '-']).unwrap_or(raw);
    let word = body.to_ascii_lowercase();
    let numeric = !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if numeric || matches!(word.as_str(), "inf" | "infinity" | "nan") {
        raw.parse().ok()
    } else {
        None
    }
}

/// `time.Parse(time.RFC3339Nano, raw)` in Unix milliseconds: `2006-01-02T15:04:05[.frac]` and `Z`
/// or `±hh:mm`.
fn parse_rfc3339(raw: &str) -> Option<i64> {
    let b = raw.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        b.get(range.clone())
            .is_some_and(|s| s.iter().all(u8::is_ascii_digit))
    };
    let shape = b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    if !shape {
        return None;
    }
    let mut at = 19;
    if b[at] == b'.' {
        let start = at + 1;
        at = start;
        while at < b.len() && b[at].is_ascii_digit() {
            at += 1;
        }
        if at == start || at - start > 9 {
            return None;
        }
    }
    let zone = &b[at..];
    let zone_ok = zone == b"Z"
        || (zone.len() == 6
            && matches!(zone[0], b'+' | b'-')
            && zone[1..3].iter().all(u8::is_ascii_digit)
            && zone[3] == b':'
            && zone[4..6].iter().all(u8::is_ascii_digit));
    if !zone_ok {
        return None;
    }
    let ts: jiff::Timestamp = raw.parse().ok()?;
    Some(ts.as_millisecond())
}

/// Prometheus' `parseDuration`: float seconds, or a Prometheus duration (`1h30m`, `15s`, `500ms`),
/// in nanoseconds.
fn parse_duration(raw: &str) -> Result<i64, String> {
    if let Some(seconds) = parse_go_float(raw) {
        let ns = seconds * 1e9;
        if !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&ns) {
            return Err(format!(
                "cannot parse {} to a valid duration. It overflows int64",
                go_quote(raw.as_bytes())
            ));
        }
        return Ok(ns as i64);
    }
    if let Some(ms) = parse_model_duration(raw) {
        return ms.checked_mul(1_000_000).ok_or_else(|| {
            format!(
                "cannot parse {} to a valid duration",
                go_quote(raw.as_bytes())
            )
        });
    }
    Err(format!(
        "cannot parse {} to a valid duration",
        go_quote(raw.as_bytes())
    ))
}

/// `model.ParseDuration`: `[Ny][Nw][Nd][Nh][Nm][Ns][Nms]`, each at most once and in that order,
/// in milliseconds.
fn parse_model_duration(raw: &str) -> Option<i64> {
    if raw == "0" {
        return Some(0);
    }
    const UNITS: [(&str, i64); 7] = [
        ("y", 365 * 86_400_000),
        ("w", 7 * 86_400_000),
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ];
    let b = raw.as_bytes();
    let mut at = 0;
    let mut next_unit = 0;
    let mut total: i64 = 0;
    if b.is_empty() {
        return None;
    }
    while at < b.len() {
        let start = at;
        while at < b.len() && b[at].is_ascii_digit() {
            at += 1;
        }
        if at == start {
            return None;
        }
        let number: i64 = raw[start..at].parse().ok()?;
        let unit_len = if b[at..].starts_with(b"ms") {
            2
        } else if at < b.len() {
            1
        } else {
            return None;
        };
        let unit = &raw[at..at + unit_len];
        at += unit_len;
        let position = UNITS[next_unit..].iter().position(|(u, _)| *u == unit)? + next_unit;
        next_unit = position + 1;
        total = total.checked_add(number.checked_mul(UNITS[position].1)?)?;
    }
    Some(total)
}

// ---- responses -----------------------------------------------------------------------------

fn with_content_type(status: StatusCode, content_type: &'static str, body: Body) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn json(status: StatusCode, body: String) -> Response {
    with_content_type(status, CONTENT_TYPE_JSON, Body::from(body))
}

fn text(status: StatusCode, body: &'static str) -> Response {
    let mut response = with_content_type(status, CONTENT_TYPE_TEXT, Body::from(body));
    response.headers_mut().insert(
        "X-Content-Type-Options",
        HeaderValue::from_static("nosniff"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format_value(v: f64) -> String {
        let mut out = String::new();
        push_value(&mut out, v);
        out
    }

    #[test]
    fn values_print_like_go() {
        for (v, want) in [
            (2.733_333_333_333_333, "2.733333333333333"),
            (3.0, "3"),
            (47_129_840_719.0, "47129840719"),
            (1e-7, "1e-07"),
            (1.5e-7, "1.5e-07"),
            (1e21, "1e+21"),
            (123_456_789e20, "1.23456789e+28"),
            (1e20, "100000000000000000000"),
            (0.000_001, "0.000001"),
            (0.0, "0"),
            (-0.5, "-0.5"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
        ] {
            assert_eq!(format_value(v), want, "{v}");
        }
    }

    #[test]
    fn timestamps_print_like_prometheus() {
        for (ms, want) in [
            (1_795_744_800_000, "1795744800"),
            (1_795_744_800_250, "1795744800.25"),
            (1_795_744_754_375, "1795744754.375"),
            (1_795_744_800_005, "1795744800.005"),
            (-1_500, "-1.5"),
        ] {
            let mut out = String::new();
            write_timestamp(&mut out, ms);
            assert_eq!(out, want);
        }
    }

    #[test]
    fn times_and_durations_parse_like_prometheus() {
        assert_eq!(parse_time("1795744800"), Ok(1_795_744_800_000));
        assert_eq!(parse_time("1795744800.25"), Ok(1_795_744_800_250));
        assert_eq!(parse_time("1795744800.2504"), Ok(1_795_744_800_250));
        assert_eq!(parse_time("2026-11-27T02:00:00Z"), Ok(1_795_744_800_000));
        assert_eq!(
            parse_time("2026-11-27T03:00:00.5+01:00"),
            Ok(1_795_744_800_500)
        );
        assert_eq!(
            parse_time("yesterday"),
            Err(r#"cannot parse "yesterday" to a valid timestamp"#.to_owned())
        );
        assert!(parse_time("").is_err());
        assert!(parse_time("2026-11-27 02:00:00Z").is_err());
        assert_eq!(parse_duration("60"), Ok(60_000_000_000));
        assert_eq!(parse_duration("0.5"), Ok(500_000_000));
        assert_eq!(parse_duration("15s"), Ok(15_000_000_000));
        assert_eq!(parse_duration("1m30s"), Ok(90_000_000_000));
        assert_eq!(parse_duration("1h500ms"), Ok(3_600_500_000_000));
        assert!(parse_duration("1ns").is_err());
        assert!(parse_duration("30s1m").is_err());
        assert!(parse_duration("").is_err());
        assert_eq!(
            parse_duration("x"),
            Err(r#"cannot parse "x" to a valid duration"#.to_owned())
        );
    }
}
