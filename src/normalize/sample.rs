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

/// Float Unix seconds (`1795744754.375`) to integer milliseconds.
pub fn timestamp_ms(seconds: f64) -> Option<i64> {
    let ms = (seconds * 1000.0).round();
    // ±1e16 ms is far beyond any real time and well inside i64.
    (ms.is_finite() && ms.abs() < 1e16).then_some(ms as i64)
}

fn pair(field: &str, p: &SamplePair) -> Result<(i64, SampleValue), FieldError> {
    let ts = timestamp_ms(p.0)
        .ok_or_else(|| FieldError::new(field, format!("invalid timestamp {}", p.0)))?;
    let value = parse_sample_value(&p.1).map_err(|e| FieldError::new(field, e))?;
    Ok((ts, value))
}

/// Prometheus' `warnings` and `infos`, as tikv-lens warnings.
pub(crate) fn warnings(envelope: &Envelope) -> Vec<Warning> {
    let warnings = envelope.warnings.iter().cloned();
    let infos = envelope.infos.iter().map(|i| format!("info: {i}"));
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
                    let (timestamp_ms, value) = pair(&format!("data.result[{i}].value"), &v)?;
                    Ok(instant_sample(labels, timestamp_ms, value))
                })
                .collect::<Result<_, FieldError>>()?;
        }
        Some(QueryData::Scalar(p)) => {
            result.result_type = ResultType::Scalar;
            let (timestamp_ms, value) = pair("data.result", &p)?;
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
        let (ts, value) = pair(&format!("data.result[{i}].values[{j}]"), p)?;
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
                let (ts, value) = pair(&format!("data.result[{i}].values[{j}]"), p)?;
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

fn grid_index(ts: i64, range: RangeParams, len: usize) -> Option<usize> {
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
    let meta = Meta::new(observed_at, warnings(&envelope));
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
    let (timestamps_ms, series) = align(series, range)?;
    Ok(RangeQueryResult {
        cluster: cluster.to_owned(),
        query: query.to_owned(),
        start_ms: range.start_ms,
        end_ms: timestamps_ms.last().copied().unwrap_or(range.start_ms),
        requested_start_ms: requested.0,
        requested_end_ms: requested.1,
        step_seconds: range.step_ms as f64 / 1000.0,
        timestamps_ms,
        series,
        meta,
    })
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

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = parse_sample_value(&s);
        }
    }
}
