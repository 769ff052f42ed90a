//! Time parameters of the metric routes, parsed before any upstream call: points in time
//! (RFC 3339 or Unix seconds), steps (`15s`, `1m`, or seconds) and the range they make.

use jiff::Timestamp;

use super::truncate;
use crate::compose::ParsedRange;
use crate::error::ApiError;
use crate::upstream::prometheus::RangeParams;

/// Prometheus refuses range queries of more than 11,000 points per series.
pub(crate) const MAX_POINTS: i64 = 11_000;

/// The range used when `start`, `end` or `step` is not given: the last hour at one minute.
const DEFAULT_WINDOW_MS: i64 = 3_600_000;
const DEFAULT_STEP_MS: i64 = 60_000;

/// Unix milliseconds from RFC 3339 (`2026-11-27T04:00:00Z`, any offset) or Unix seconds
/// (`1795744800`, `1795744800.25`).
pub(crate) fn parse_time(parameter: &'static str, raw: &str) -> Result<i64, ApiError> {
    let bad = |why: &str| ApiError::BadParameter {
        parameter,
        detail: format!(
            "{:?} {why}; use RFC 3339 (2026-11-27T04:00:00Z) or Unix seconds",
            truncate(raw, 64)
        ),
    };
    let raw = raw.trim();
    if raw
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+'))
        && !raw.is_empty()
    {
        let seconds: f64 = raw.parse().map_err(|_| bad("is not a number"))?;
        // Keep to years 1970±3000: beyond that no sample exists and i64 milliseconds stay exact.
        if !seconds.is_finite() || seconds.abs() > 1e11 {
            return Err(bad("is out of range"));
        }
        return Ok((seconds * 1000.0).round() as i64);
    }
    let ts: Timestamp = raw.parse().map_err(|_| bad("is not a time"))?;
    Ok(ts.as_millisecond())
}

/// A step in milliseconds from `15s`, `1m30s`, `500ms` or a number of seconds (`15`, `0.5`).
pub(crate) fn parse_step(raw: &str) -> Result<i64, ApiError> {
    let bad = |why: String| ApiError::BadParameter {
        parameter: "step",
        detail: format!("{:?} {why}", truncate(raw, 64)),
    };
    let raw = raw.trim();
    let ms = if let Ok(seconds) = raw.parse::<f64>() {
        if !seconds.is_finite() || seconds.abs() > 1e10 {
            return Err(bad("is out of range".into()));
        }
        (seconds * 1000.0).round() as i64
    } else {
        let d = humantime::parse_duration(raw).map_err(|e| {
            bad(format!(
                "is not a duration ({e}); use 15s, 1m or a number of seconds"
            ))
        })?;
        i64::try_from(d.as_millis()).map_err(|_| bad("is out of range".into()))?
    };
    if ms <= 0 {
        return Err(bad("must be at least 1ms".into()));
    }
    Ok(ms)
}

/// `start`, `end` and `step` as given (each optional), validated and snapped to the step grid.
pub(crate) fn parse_range(
    start: Option<&str>,
    end: Option<&str>,
    step: Option<&str>,
    now_ms: i64,
) -> Result<ParsedRange, ApiError> {
    let end_ms = end
        .map(|e| parse_time("end", e))
        .transpose()?
        .unwrap_or(now_ms);
    let step_ms = step.map(parse_step).transpose()?.unwrap_or(DEFAULT_STEP_MS);
    let start_ms = start
        .map(|s| parse_time("start", s))
        .transpose()?
        .unwrap_or(end_ms.saturating_sub(DEFAULT_WINDOW_MS));
    if start_ms > end_ms {
        return Err(ApiError::BadParameter {
            parameter: "start",
            detail: format!("start ({start_ms} ms) is after end ({end_ms} ms)"),
        });
    }
    let snapped_start = start_ms.div_euclid(step_ms) * step_ms;
    let snapped_end = end_ms.div_euclid(step_ms) * step_ms;
    let points = (snapped_end - snapped_start) / step_ms + 1;
    if points > MAX_POINTS {
        return Err(ApiError::BadParameter {
            parameter: "step",
            detail: format!(
                "{points} points per series from start to end at this step; at most {MAX_POINTS}: use a larger step or a shorter range"
            ),
        });
    }
    Ok(ParsedRange {
        grid: RangeParams {
            start_ms: snapped_start,
            end_ms: snapped_end,
            step_ms,
        },
        requested_start_ms: start_ms,
        requested_end_ms: end_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param_of(e: ApiError) -> &'static str {
        match e {
            ApiError::BadParameter { parameter, .. } => parameter,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn times_accept_rfc3339_with_offsets_and_unix_seconds() {
        assert_eq!(parse_time("time", "1795744800").unwrap(), 1_795_744_800_000);
        assert_eq!(
            parse_time("time", "1795744800.25").unwrap(),
            1_795_744_800_250
        );
        assert_eq!(
            parse_time("time", "2026-11-27T04:00:00Z").unwrap(),
            1_795_752_000_000
        );
        assert_eq!(
            parse_time("time", "2026-11-27T12:00:00+08:00").unwrap(),
            1_795_752_000_000
        );
        for bad in [
            "yesterday",
            "",
            "1e400",
            "NaN",
            "2026-13-01T00:00:00Z",
            "1.2.3",
        ] {
            assert_eq!(
                param_of(parse_time("time", bad).unwrap_err()),
                "time",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn steps_accept_durations_and_seconds() {
        assert_eq!(parse_step("15s").unwrap(), 15_000);
        assert_eq!(parse_step("1m").unwrap(), 60_000);
        assert_eq!(parse_step("1m30s").unwrap(), 90_000);
        assert_eq!(parse_step("60").unwrap(), 60_000);
        assert_eq!(parse_step("0.5").unwrap(), 500);
        for bad in ["0", "0s", "-5", "soon", "", "NaN", "1e300"] {
            assert_eq!(param_of(parse_step(bad).unwrap_err()), "step", "{bad:?}");
        }
    }

    #[test]
    fn ranges_are_validated_before_any_upstream_call() {
        let r = parse_range(Some("1795743000"), Some("1795744800"), Some("60"), 0)
            .unwrap()
            .grid;
        assert_eq!((r.end_ms - r.start_ms) / r.step_ms + 1, 31);
        assert_eq!(
            param_of(parse_range(Some("2000"), Some("1000"), Some("1"), 0).unwrap_err()),
            "start"
        );
        assert_eq!(
            param_of(parse_range(Some("0"), Some("11000"), Some("1"), 0).unwrap_err()),
            "step"
        );
        assert!(
            parse_range(Some("0"), Some("10999"), Some("1"), 0).is_ok(),
            "11,000 points are allowed"
        );
        let d = parse_range(None, None, None, 7_200_000).unwrap().grid;
        assert_eq!(
            (d.start_ms, d.end_ms, d.step_ms),
            (3_600_000, 7_200_000, 60_000)
        );
    }

    #[test]
    fn start_and_end_snap_down_to_the_step_grid() {
        let r = parse_range(Some("1795743010.5"), Some("1795744859"), Some("1m"), 0).unwrap();
        assert_eq!(r.grid.start_ms, 1_795_743_000_000);
        assert_eq!(r.grid.end_ms, 1_795_744_800_000);
        assert_eq!(
            (r.requested_start_ms, r.requested_end_ms),
            (1_795_743_010_500, 1_795_744_859_000)
        );
        // A sliding window refreshed within the same step asks for the same grid.
        let later = parse_range(Some("1795743040"), Some("1795744855"), Some("1m"), 0).unwrap();
        assert_eq!(later.grid, r.grid);
    }
}
