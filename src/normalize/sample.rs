//! Prometheus results to the public model: sample strings to numbers, float-second timestamps to
//! integer milliseconds, and range results to columns on one shared time axis.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::FieldError;
use crate::model::{
    InstantQueryResult, InstantSample, Meta, NonFinite, NonFinitePoint, RangeQueryResult,
    RangeSeries, RawSeries, ResultType, Warning, WarningSource,
};
use crate::upstream::prometheus::RangeParams;
use crate::upstream::prometheus::wire::{Envelope, MatrixSeries, QueryData, SamplePair};

/// A parsed sample value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SampleValue {
    Finite(f64),
    NonFinite(NonFinite),
}

impl SampleValue {
    /// The value as JSON carries it: a number, or `None` for a non-finite value.
    pub fn finite(self) -> Option<f64> {
        match self {
            SampleValue::Finite(v) => Some(v),
            SampleValue::NonFinite(_) => None,
        }
    }

    pub fn non_finite(self) -> Option<NonFinite> {
        match self {
            SampleValue::Finite(_) => None,
            SampleValue::NonFinite(kind) => Some(kind),
        }
    }
}

/// Why a sample string is not a number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid sample value {0:?}")]
pub struct SampleValueError(pub String);

/// Parses a Prometheus sample value: Go's `strconv.FormatFloat` output (`"42.5"`, `"-0"`,
/// `"5.5e-07"`, `"1e+21"`) and the specials `"NaN"`, `"+Inf"`, `"-Inf"` (also `"Inf"`).
pub fn parse_sample_value(s: &str) -> Result<SampleValue, SampleValueError> {
    match s {
        "NaN" => return Ok(SampleValue::NonFinite(NonFinite::Nan)),
        "+Inf" | "Inf" => return Ok(SampleValue::NonFinite(NonFinite::PosInf)),
        "-Inf" => return Ok(SampleValue::NonFinite(NonFinite::NegInf)),
        _ => {}
    }
    // Rust's parser also takes "inf", "nan" and "infinity" in any case; Prometheus never sends
    // those spellings, so anything but digits, signs, dots and exponents is refused.
    let plausible = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'));
    match s.parse::<f64>() {
        Ok(v) if plausible && v.is_finite() => Ok(SampleValue::Finite(v)),
        // "1e999" overflows to infinity: a value, but not one Prometheus could have meant.
        _ => Err(SampleValueError(s.chars().take(64).collect())),
    }
}

/// Whether a sample text that is a plain decimal (`"42.5"`, `"-3"`, `"0.0012"`) is already,
/// byte for byte, the JSON serde_json writes for the number it parses to, so that it can be
/// copied instead of parsed and printed again: `Some(false)` when it is, `Some(true)` when it is
/// once `.0` is appended (an integer: serde writes `42.0`), `None` when only parsing and
/// printing can tell (more than 15 significant digits, an exponent, a trailing zero after the
/// point, a leading zero or `+`, or a magnitude serde writes with an exponent).
///
/// Why copying is exact: a decimal of at most 15 significant digits is the only one of that
/// length or shorter that parses to its double (15 digits always survive a round trip through a
/// double), so it is the shortest representation serde_json prints for that double; serde_json
/// prints it without an exponent from 1e-5 up to 1e16, as the text already is. Prometheus prints
/// gauges and counters (bytes, counts) this way; rates usually have 16 or 17 digits and are
/// parsed.
#[inline]
pub(crate) fn decimal_is_json(text: &[u8]) -> Option<bool> {
    let unsigned = text.strip_prefix(b"-").unwrap_or(text);
    let int = unsigned.iter().take_while(|b| b.is_ascii_digit()).count();
    if int == 0 || (int > 1 && unsigned[0] == b'0') {
        return None;
    }
    // Digits are counted from the first non-zero one to the last one written, so trailing zeros
    // of an integer count: then at most 15 digits before the point, well below 1e16, where
    // serde_json starts writing exponents.
    let Some((&b'.', frac)) = unsigned[int..].split_first() else {
        return (int == unsigned.len() && int <= 15).then_some(true);
    };
    if frac.is_empty() || frac.last() == Some(&b'0') || !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let significant = if unsigned[0] == b'0' {
        let zeros = frac.iter().take_while(|&&b| b == b'0').count();
        // 0.00001 is the smallest serde_json writes without an exponent.
        if zeros > 4 {
            return None;
        }
        frac.len() - zeros
    } else {
        int + frac.len()
    };
    (significant <= 15).then_some(false)
}

/// Float Unix seconds (`1795744754.375`) to integer milliseconds.
pub fn timestamp_ms(seconds: f64) -> Option<i64> {
    let ms = (seconds * 1000.0).round();
    // ±1e16 ms is far beyond any real time and well inside i64.
    (ms.is_finite() && ms.abs() < 1e16).then_some(ms as i64)
}

/// A sample's time and value; on failure, what is wrong with it (the caller names the field,
/// only then: a large answer has hundreds of thousands of samples).
fn pair(p: &SamplePair) -> Result<(i64, SampleValue), String> {
    let ts = timestamp_ms(p.0).ok_or_else(|| format!("invalid timestamp {}", p.0))?;
    let value = parse_sample_value(&p.1).map_err(|e| e.to_string())?;
    Ok((ts, value))
}

/// The `data.result[i].values[j]` a matrix sample's problem is about.
fn matrix_point(i: usize, j: usize) -> impl FnOnce(String) -> FieldError {
    move |message| FieldError::new(&format!("data.result[{i}].values[{j}]"), message)
}

/// Prometheus' `warnings` and `infos`, as tikv-lens warnings.
pub(crate) fn warnings(envelope: &Envelope) -> Vec<Warning> {
    prometheus_warnings(&envelope.warnings, &envelope.infos)
}

/// [`warnings`] from the two lists themselves.
pub(crate) fn prometheus_warnings(warnings: &[String], infos: &[String]) -> Vec<Warning> {
    let warnings = warnings.iter().cloned();
    let infos = infos.iter().map(|i| format!("info: {i}"));
    warnings
        .chain(infos)
        .map(|message| Warning {
            source: WarningSource::Prometheus,
            message,
        })
        .collect()
}

/// Normalizes an instant query answer.
pub(crate) fn instant_result(
    cluster: &str,
    query: &str,
    envelope: Envelope,
    observed_at: Timestamp,
) -> Result<InstantQueryResult, FieldError> {
    let meta = Meta::new(observed_at, warnings(&envelope));
    let mut result = InstantQueryResult {
        cluster: cluster.to_owned(),
        query: query.to_owned(),
        result_type: ResultType::Vector,
        samples: Vec::new(),
        series: Vec::new(),
        string_value: None,
        meta,
    };
    match envelope.data {
        None => return Err(FieldError::new("data", "missing in a success answer")),
        Some(QueryData::Vector(samples)) => {
            result.samples = samples
                .into_iter()
                .enumerate()
                // A native-histogram sample has no float value; it has nothing to show here.
                .filter_map(|(i, s)| s.value.map(|v| (i, s.metric, v)))
                .map(|(i, labels, v)| {
                    let (timestamp_ms, value) = pair(&v).map_err(|message| {
                        FieldError::new(&format!("data.result[{i}].value"), message)
                    })?;
                    Ok(instant_sample(labels, timestamp_ms, value))
                })
                .collect::<Result<_, FieldError>>()?;
        }
        Some(QueryData::Scalar(p)) => {
            result.result_type = ResultType::Scalar;
            let (timestamp_ms, value) =
                pair(&p).map_err(|message| FieldError::new("data.result", message))?;
            result.samples = vec![instant_sample(BTreeMap::new(), timestamp_ms, value)];
        }
        Some(QueryData::String(p)) => {
            result.result_type = ResultType::String;
            result.string_value = Some(p.1);
        }
        Some(QueryData::Matrix(series)) => {
            result.result_type = ResultType::Matrix;
            result.series = series
                .into_iter()
                .enumerate()
                .map(|(i, s)| raw_series(i, s))
                .collect::<Result<_, _>>()?;
        }
    }
    Ok(result)
}

fn instant_sample(
    labels: BTreeMap<String, String>,
    timestamp_ms: i64,
    value: SampleValue,
) -> InstantSample {
    InstantSample {
        labels,
        value: value.finite(),
        non_finite: value.non_finite(),
        timestamp_ms,
    }
}

fn raw_series(i: usize, s: MatrixSeries) -> Result<RawSeries, FieldError> {
    let mut out = RawSeries {
        labels: s.metric,
        timestamps_ms: Vec::with_capacity(s.values.len()),
        values: Vec::with_capacity(s.values.len()),
        non_finite: Vec::new(),
    };
    for (j, p) in s.values.iter().enumerate() {
        let (ts, value) = pair(p).map_err(matrix_point(i, j))?;
        if let Some(kind) = value.non_finite() {
            out.non_finite.push(NonFinitePoint {
                index: j,
                value: kind,
            });
        }
        out.timestamps_ms.push(ts);
        out.values.push(value.finite());
    }
    Ok(out)
}

/// The grid of a range query: every step from start to end, in milliseconds.
pub fn grid(range: RangeParams) -> Vec<i64> {
    if range.step_ms <= 0 || range.end_ms < range.start_ms {
        return Vec::new();
    }
    let n = (range.end_ms - range.start_ms) / range.step_ms + 1;
    (0..n).map(|k| range.start_ms + k * range.step_ms).collect()
}

/// Aligns matrix series to the grid: one value per grid point, `null` where a series has no
/// sample. A sample off the grid (a backend that does not evaluate exactly on it) goes to the
/// nearest point; one outside the range is dropped.
pub(crate) fn align(
    series: Vec<MatrixSeries>,
    range: RangeParams,
) -> Result<(Vec<i64>, Vec<RangeSeries>), FieldError> {
    let axis = grid(range);
    let aligned = series
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let mut values = vec![None; axis.len()];
            let mut kinds: BTreeMap<usize, NonFinite> = BTreeMap::new();
            for (j, p) in s.values.iter().enumerate() {
                let (ts, value) = pair(p).map_err(matrix_point(i, j))?;
                let Some(index) = grid_index(ts, range, axis.len()) else {
                    continue;
                };
                values[index] = value.finite();
                match value.non_finite() {
                    Some(kind) => kinds.insert(index, kind),
                    None => kinds.remove(&index),
                };
            }
            Ok(RangeSeries {
                labels: s.metric,
                values,
                non_finite: kinds
                    .into_iter()
                    .map(|(index, value)| NonFinitePoint { index, value })
                    .collect(),
            })
        })
        .collect::<Result<Vec<_>, FieldError>>()?;
    Ok((axis, aligned))
}

/// The grid point a sample at `ts` (Unix milliseconds) belongs to: the nearest one, `None`
/// outside the `len` points of the grid.
pub(crate) fn grid_index(ts: i64, range: RangeParams, len: usize) -> Option<usize> {
    if range.step_ms <= 0 {
        return None;
    }
    let offset = ts.checked_sub(range.start_ms)?;
    let half = range.step_ms / 2;
    let index = (offset + half).div_euclid(range.step_ms);
    usize::try_from(index).ok().filter(|i| *i < len)
}

/// Normalizes a range query answer into columns.
pub(crate) fn range_result(
    cluster: &str,
    query: &str,
    range: RangeParams,
    requested: (i64, i64),
    envelope: Envelope,
    observed_at: Timestamp,
) -> Result<RangeQueryResult, FieldError> {
    let warnings = warnings(&envelope);
    let series = match envelope.data {
        Some(QueryData::Matrix(series)) => series,
        Some(_) => {
            return Err(FieldError::new(
                "data.resultType",
                "a range query must answer a matrix",
            ));
        }
        None => return Err(FieldError::new("data", "missing in a success answer")),
    };
    let (_, series) = align(series, range)?;
    let mut result = range_frame(cluster, query, range, requested, warnings, observed_at);
    result.series = series;
    Ok(result)
}

/// A range answer without its series: the grid, the times asked for, the meta.
pub(crate) fn range_frame(
    cluster: &str,
    query: &str,
    range: RangeParams,
    requested: (i64, i64),
    warnings: Vec<Warning>,
    observed_at: Timestamp,
) -> RangeQueryResult {
    let timestamps_ms = grid(range);
    RangeQueryResult {
        cluster: cluster.to_owned(),
        query: query.to_owned(),
        start_ms: range.start_ms,
        end_ms: timestamps_ms.last().copied().unwrap_or(range.start_ms),
        requested_start_ms: requested.0,
        requested_end_ms: requested.1,
        step_seconds: range.step_ms as f64 / 1000.0,
        timestamps_ms,
        series: Vec::new(),
        meta: Meta::new(observed_at, warnings),
    }
}

/// The benchmark's baseline, the general decoder: a range body decoded into the wire types,
/// normalized and serialized as the API serializes answers; how many bytes of JSON. Not part of
/// the API.
#[doc(hidden)]
pub fn decode_range_json_len(body: &[u8], range: RangeParams) -> Option<usize> {
    let envelope: Envelope = serde_json::from_slice(body).ok()?;
    let result = range_result("c", "q", range, (0, 0), envelope, Timestamp::UNIX_EPOCH).ok()?;
    let mut out = crate::chunked::ChunkWriter::default();
    serde_json::to_writer(&mut out, &result).ok()?;
    Some(out.finish().iter().map(bytes::Bytes::len).sum())
}

/// The benchmark's floor: a range body merely parsed into the wire types; how many series. Not
/// part of the API.
#[doc(hidden)]
pub fn parse_range_wire_only(body: &[u8]) -> Option<usize> {
    match serde_json::from_slice::<Envelope>(body).ok()?.data? {
        QueryData::Matrix(series) => Some(series.len()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn specials_and_exponents_parse() {
        assert_eq!(
            parse_sample_value("NaN").unwrap(),
            SampleValue::NonFinite(NonFinite::Nan)
        );
        assert_eq!(
            parse_sample_value("+Inf").unwrap(),
            SampleValue::NonFinite(NonFinite::PosInf)
        );
        assert_eq!(
            parse_sample_value("-Inf").unwrap(),
            SampleValue::NonFinite(NonFinite::NegInf)
        );
        assert_eq!(
            parse_sample_value("42.5").unwrap(),
            SampleValue::Finite(42.5)
        );
        assert_eq!(
            parse_sample_value("5.5e-07").unwrap(),
            SampleValue::Finite(5.5e-7)
        );
        assert_eq!(
            parse_sample_value("1e+21").unwrap(),
            SampleValue::Finite(1e21)
        );
        let SampleValue::Finite(z) = parse_sample_value("-0").unwrap() else {
            panic!()
        };
        assert!(z == 0.0 && z.is_sign_negative());
        assert_eq!(
            parse_sample_value("3447.9999999999995").unwrap(),
            SampleValue::Finite(3447.9999999999995)
        );
        for bad in [
            "", "nan", "inf", "infinity", "0x10", "1,5", " 1", "1e999", "abc", "--1",
        ] {
            assert!(parse_sample_value(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn plain_decimals_are_copied_only_where_serde_writes_them_so() {
        for (text, vouched) in [
            ("42.5", Some(false)),
            ("-3", Some(true)),
            ("0", Some(true)),
            ("-0", Some(true)),
            ("0.00001", Some(false)),
            ("-0.00012", Some(false)),
            ("0.000001", None),
            ("100000000000000", Some(true)),
            ("1000000000000000", None),
            ("123456789012345", Some(true)),
            ("1234567890123456", None),
            ("0.30000000000000004", None),
            ("1.50", None),
            ("01", None),
            ("+1", None),
            (".5", None),
            ("5.", None),
            ("1e+21", None),
            ("NaN", None),
            ("", None),
        ] {
            assert_eq!(decimal_is_json(text.as_bytes()), vouched, "{text}");
            if let Some(point) = vouched {
                let value = parse_sample_value(text).unwrap().finite().unwrap();
                let copied = if point {
                    format!("{text}.0")
                } else {
                    text.to_owned()
                };
                assert_eq!(copied, serde_json::to_string(&value).unwrap());
            }
        }
    }

    #[test]
    fn timestamps_become_integer_milliseconds() {
        assert_eq!(timestamp_ms(1795744754.375), Some(1_795_744_754_375));
        assert_eq!(timestamp_ms(1795744800.0), Some(1_795_744_800_000));
        assert_eq!(timestamp_ms(f64::NAN), None);
        assert_eq!(timestamp_ms(1e300), None);
    }

    fn range(start_s: i64, end_s: i64, step_s: i64) -> RangeParams {
        RangeParams {
            start_ms: start_s * 1000,
            end_ms: end_s * 1000,
            step_ms: step_s * 1000,
        }
    }

    #[test]
    fn alignment_fills_gaps_with_null_and_keeps_non_finite_kinds() {
        let series: Vec<MatrixSeries> = serde_json::from_str(
            r#"[{"metric":{"instance":"a"},"values":[[100,"1"],[160,"NaN"],[220,"+Inf"]]},
                {"metric":{"instance":"b"},"values":[[130,"2"],[999,"3"]]}]"#,
        )
        .unwrap();
        let (axis, aligned) = align(series, range(100, 250, 30)).unwrap();
        assert_eq!(axis, [100_000, 130_000, 160_000, 190_000, 220_000, 250_000]);
        assert_eq!(aligned[0].values, [Some(1.0), None, None, None, None, None]);
        assert_eq!(
            aligned[0].non_finite,
            [
                NonFinitePoint {
                    index: 2,
                    value: NonFinite::Nan
                },
                NonFinitePoint {
                    index: 4,
                    value: NonFinite::PosInf
                }
            ]
        );
        assert_eq!(aligned[1].values, [None, Some(2.0), None, None, None, None]);
        assert!(aligned[1].non_finite.is_empty());
    }

    #[test]
    fn grid_counts_points_inclusive() {
        assert_eq!(grid(range(0, 1800, 60)).len(), 31);
        assert_eq!(grid(range(0, 59, 60)).len(), 1);
        assert!(grid(range(10, 0, 60)).is_empty());
    }

    proptest! {
        /// Every finite f64, written the way Go's strconv.FormatFloat writes it for Prometheus
        /// ('f' for ordinary magnitudes, 'e' for tiny and huge ones) and the way Rust prints it,
        /// parses back to the same bits.
        #[test]
        fn finite_values_round_trip(bits in any::<u64>()) {
            let v = f64::from_bits(bits);
            prop_assume!(v.is_finite());
            for text in [format!("{v}"), format!("{v:e}"), format!("{v:?}")] {
                // Rust's `{:e}` has no '+' in exponents; Go's has. Accept both shapes.
                let go_like = text.replace("e", "e+").replace("e+-", "e-");
                for t in [text.clone(), go_like] {
                    let parsed = parse_sample_value(&t).map_err(|e| TestCaseError::fail(format!("{t}: {e}")))?;
                    prop_assert_eq!(parsed.finite().map(f64::to_bits), Some(v.to_bits()), "{}", t);
                }
            }
        }

        /// A text `decimal_is_json` vouches for is, byte for byte (with `.0` when it says so),
        /// what serde_json writes for the number it parses to: over texts shaped like
        /// Prometheus' values, like other backends' (trailing zeros, leading zeros, `+`), and
        /// digits anywhere.
        #[test]
        fn decimal_texts_vouched_for_are_serdes_json(
            text in prop_oneof![
                any::<f64>().prop_map(|v| format!("{v}")),
                (any::<i64>(), 0u32..19).prop_map(|(n, d)| format!("{}", n as f64 / 10f64.powi(d as i32))),
                "-?[0-9]{1,18}(\\.[0-9]{1,18})?",
                "[-+0-9.]{1,24}",
            ]
        ) {
            if let Some(point) = decimal_is_json(text.as_bytes()) {
                let parsed = parse_sample_value(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
                let value = parsed.finite().ok_or_else(|| TestCaseError::fail("not finite"))?;
                let copied = if point { format!("{text}.0") } else { text.clone() };
                prop_assert_eq!(copied, serde_json::to_string(&value).unwrap());
            }
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = parse_sample_value(&s);
        }
    }
}
