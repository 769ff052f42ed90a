//! Instants as PD reports them — Go RFC 3339 strings in any offset, or Unix
//! seconds/nanoseconds — turned into [`jiff::Timestamp`], with PD's "never"
//! values mapped to `None`, plus the one UTC rendering the service emits.

use jiff::Timestamp;
use thiserror::Error;

/// Go's zero `time.Time` (`0001-01-01T00:00:00Z`), which PD reports for
/// "never happened".
const GO_ZERO_TIME: Timestamp = Timestamp::constant(-62_135_596_800, 0);

/// `time.Time{}.UnixNano()` in Go: the zero time's nanoseconds overflow
/// `int64` and wrap to this (it reads as 1754-08-30T22:43:41.128654848Z).
const GO_ZERO_TIME_UNIX_NANOS_WRAPPED: i64 = -6_795_364_578_871_345_152;

/// How far a printed sentinel may land from the real one. Go prints RFC 3339
/// offsets truncated to whole minutes, so a sentinel rendered in a zone whose
/// offset has seconds comes back up to 59 s off: Go's zero time in
/// Asia/Shanghai's LMT (+08:05:43) prints as `0001-01-01T08:05:43+08:05`, and
/// the epoch in Africa/Monrovia (-00:44:30 until 1972) as
/// `1969-12-31T23:15:30-00:44`.
const SENTINEL_SLACK_NANOS: u128 = 60 * 1_000_000_000;

/// Why a timestamp string was rejected. The message names the input and
/// carries jiff's explanation.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TimestampError {
    /// Not an RFC 3339 timestamp with an offset, or outside the range jiff
    /// supports (years -9999..=9999).
    #[error("invalid timestamp {input:?}: {reason}")]
    Invalid { input: String, reason: String },
}

/// Parses a PD timestamp such as `2020-08-16T17:43:24.991536254+08:00`.
///
/// Accepts Go's `RFC3339`/`RFC3339Nano` output in any offset (`Z`, `+08:00`,
/// `-05:00`). The offset is required. Parsing is jiff's Temporal/ISO 8601
/// parser, which is a superset of RFC 3339: it also takes a space or
/// lowercase `t` for the `T`, lowercase `z`, a comma before the fraction,
/// missing seconds, offsets like `+08`, `+0800` or `+08:05:43`, the compact
/// `20250303T062512Z` form, and ignores a trailing `[Zone/Name]` annotation.
/// Surrounding whitespace and more than 9 fraction digits are rejected.
///
/// Returns `Ok(None)` for PD's "never" values: the Unix epoch and Go's zero
/// time (`0001-01-01T00:00:00Z`). They are matched as instants, in whatever
/// offset they were printed, with under a minute of slack because Go
/// truncates seconds off printed offsets; a real event within a minute of
/// either sentinel is indistinguishable from "never" and is reported as such.
///
/// # Errors
///
/// Returns [`TimestampError::Invalid`], naming the input and carrying jiff's
/// reason, when the string is not a timestamp with an offset or lies outside
/// jiff's supported range.
pub fn parse_pd_timestamp(s: &str) -> Result<Option<Timestamp>, TimestampError> {
    let ts = s
        .parse::<Timestamp>()
        .map_err(|e| TimestampError::Invalid {
            input: s.to_owned(),
            reason: e.to_string(),
        })?;
    Ok(if is_never(ts) { None } else { Some(ts) })
}

/// Renders `ts` as RFC 3339 in UTC: `Z` suffix, fraction with trailing zeros
/// trimmed, no fraction at all for whole seconds, e.g.
/// `2020-08-16T09:43:24.991536254Z` or `2025-03-03T06:25:12Z`.
///
/// This is jiff's `Display` for `Timestamp`, which already has exactly this
/// shape (the tests pin it). Years before 0000 come out in ISO 8601's
/// expanded form (`-000001-...`), which RFC 3339 has no spelling for; PD
/// never produces them.
#[must_use]
pub fn format_utc(ts: Timestamp) -> String {
    ts.to_string()
}

/// Converts Unix seconds from PD. `None` for 0 (PD's "never"), for Go's zero
/// time expressed in Unix seconds (-62135596800, what `time.Time{}.Unix()`
/// returns), and for values outside jiff's range.
#[must_use]
pub fn timestamp_from_unix_seconds(secs: i64) -> Option<Timestamp> {
    if secs == 0 || secs == GO_ZERO_TIME.as_second() {
        return None;
    }
    Timestamp::from_second(secs).ok()
}

/// Converts Unix nanoseconds from PD. `None` for 0 (PD's "never") and for
/// the value Go's zero time wraps to in `UnixNano()`. Every other `i64` is
/// within jiff's range (±292 years around 1970); the check stays in case
/// that ever changes.
#[must_use]
pub fn timestamp_from_unix_nanos(nanos: i64) -> Option<Timestamp> {
    if nanos == 0 || nanos == GO_ZERO_TIME_UNIX_NANOS_WRAPPED {
        return None;
    }
    Timestamp::from_nanosecond(i128::from(nanos)).ok()
}

fn is_never(ts: Timestamp) -> bool {
    [Timestamp::UNIX_EPOCH, GO_ZERO_TIME]
        .into_iter()
        .any(|sentinel| {
            ts.as_nanosecond().abs_diff(sentinel.as_nanosecond()) < SENTINEL_SLACK_NANOS
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::tz::Offset;
    use proptest::prelude::*;

    fn some(s: &str) -> Timestamp {
        match parse_pd_timestamp(s) {
            Ok(Some(ts)) => ts,
            other => panic!("{s:?} should parse to an instant, got {other:?}"),
        }
    }

    fn ts(second: i64, nanosecond: i32) -> Timestamp {
        Timestamp::new(second, nanosecond).unwrap()
    }

    #[test]
    fn parses_pd_examples() {
        assert_eq!(
            some("2025-03-10T08:15:22.79588264Z"),
            ts(1_741_594_522, 795_882_640)
        );
        assert_eq!(
            some("2020-08-16T17:43:24.991536254+08:00"),
            ts(1_597_571_004, 991_536_254)
        );
        assert_eq!(
            some("2021-03-04T04:50:12.185271431-05:00"),
            ts(1_614_851_412, 185_271_431)
        );
        assert_eq!(some("2025-03-03T06:25:12Z"), ts(1_740_983_112, 0));
    }

    #[test]
    fn offsets_are_applied_not_dropped() {
        assert_eq!(
            some("2020-08-16T17:43:24.991536254+08:00"),
            some("2020-08-16T09:43:24.991536254Z")
        );
        assert_eq!(
            some("2021-03-04T04:50:12.185271431-05:00"),
            some("2021-03-04T09:50:12.185271431Z")
        );
        assert_eq!(
            some("2025-03-03T06:25:12-00:00"),
            some("2025-03-03T06:25:12+00:00")
        );
    }

    #[test]
    fn never_values_are_none() {
        for s in [
            "1970-01-01T00:00:00Z",
            "1970-01-01T08:00:00+08:00",
            "1969-12-31T19:00:00-05:00",
            "1970-01-01T00:00:00.000000000Z",
            "0001-01-01T00:00:00Z",
            "0001-01-01T00:00:00+00:00",
            // Zero time in Asia/Shanghai LMT, printed by Go with its +08:05:43
            // offset truncated to +08:05.
            "0001-01-01T08:05:43+08:05",
            // The epoch in Africa/Monrovia (-00:44:30 in 1970), offset
            // truncated to -00:44.
            "1969-12-31T23:15:30-00:44",
        ] {
            assert_eq!(parse_pd_timestamp(s), Ok(None), "{s:?}");
        }
    }

    #[test]
    fn instants_a_minute_from_the_sentinels_are_kept() {
        assert_eq!(some("1970-01-01T00:01:00Z"), ts(60, 0));
        assert_eq!(some("1969-12-31T23:59:00Z"), ts(-60, 0));
        assert_eq!(some("0001-01-01T00:01:00Z"), ts(-62_135_596_740, 0));
        assert_eq!(some("0001-01-01T01:00:00+00:00"), ts(-62_135_593_200, 0));
        // Go's zero time shifted by a whole-hour offset is a different
        // instant, not the sentinel.
        assert_eq!(some("0001-01-01T00:00:00+08:00"), ts(-62_135_625_600, 0));
    }

    #[test]
    fn format_utc_examples() {
        assert_eq!(
            format_utc(some("2025-03-10T08:15:22.79588264Z")),
            "2025-03-10T08:15:22.79588264Z"
        );
        assert_eq!(
            format_utc(some("2020-08-16T17:43:24.991536254+08:00")),
            "2020-08-16T09:43:24.991536254Z"
        );
        assert_eq!(
            format_utc(some("2025-03-03T06:25:12Z")),
            "2025-03-03T06:25:12Z"
        );
        assert_eq!(format_utc(ts(1, 500_000_000)), "1970-01-01T00:00:01.5Z");
        assert_eq!(format_utc(ts(1, 1)), "1970-01-01T00:00:01.000000001Z");
        assert_eq!(format_utc(ts(-1, 500_000_000)), "1969-12-31T23:59:59.5Z");
        assert_eq!(
            format_utc(some("2025-03-03T06:25:12.100+08:00")),
            "2025-03-02T22:25:12.1Z"
        );
        assert_eq!(format_utc(GO_ZERO_TIME), "0001-01-01T00:00:00Z");
        assert_eq!(format_utc(Timestamp::UNIX_EPOCH), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn rejects_non_timestamps() {
        for s in [
            "",
            " ",
            "garbage",
            "1741594522",
            "2025-03-03",
            "2025-03-03T06:25:12",
            " 2025-03-03T06:25:12Z",
            "2025-03-03T06:25:12Z ",
            "2025-13-01T00:00:00Z",
            "2025-02-30T00:00:00Z",
            "2025-03-03T24:00:00Z",
            "2025-03-03T06:25:12.1234567891Z",
            "2025-03-03T06:25:12+08:00junk",
            "9999-12-31T23:59:59Z",
            "9999-12-31T23:59:59-05:00",
        ] {
            let result = parse_pd_timestamp(s);
            assert!(
                matches!(result, Err(TimestampError::Invalid { .. })),
                "{s:?} -> {result:?}"
            );
        }
    }

    #[test]
    fn error_messages_name_the_input() {
        let e = parse_pd_timestamp("2025-03-03T06:25:12").unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.starts_with(r#"invalid timestamp "2025-03-03T06:25:12": "#),
            "{msg}"
        );
        assert!(msg.contains("offset"), "{msg}");
    }

    /// Documents jiff's leniency: these are not RFC 3339 but parse anyway.
    /// If the service ever needs strict RFC 3339, this test should flip.
    #[test]
    fn accepts_jiff_temporal_extensions() {
        let want = ts(1_740_983_112, 0);
        for s in [
            "2025-03-03 06:25:12Z",
            "2025-03-03t06:25:12z",
            "2025-03-03T06:25:12Z[Asia/Shanghai]",
            "2025-03-03T14:25:12+08",
            "2025-03-03T14:25:12+0800",
            "20250303T062512Z",
        ] {
            assert_eq!(some(s), want, "{s:?}");
        }
        assert_eq!(some("2025-03-03T06:25Z"), ts(1_740_983_100, 0));
        assert_eq!(
            some("2025-03-03T06:25:12,5Z"),
            ts(1_740_983_112, 500_000_000)
        );
        // A leap second is clamped to :59.
        assert_eq!(some("2025-03-03T06:25:60Z"), ts(1_740_983_159, 0));
    }

    #[test]
    fn unix_seconds() {
        assert_eq!(timestamp_from_unix_seconds(0), None);
        assert_eq!(timestamp_from_unix_seconds(-62_135_596_800), None);
        assert_eq!(
            timestamp_from_unix_seconds(1_741_594_522),
            Some(ts(1_741_594_522, 0))
        );
        assert_eq!(timestamp_from_unix_seconds(-1), Some(ts(-1, 0)));
        assert_eq!(timestamp_from_unix_seconds(i64::MAX), None);
        assert_eq!(timestamp_from_unix_seconds(i64::MIN), None);
        assert_eq!(timestamp_from_unix_seconds(253_402_300_800), None);
        assert_eq!(
            timestamp_from_unix_seconds(Timestamp::MAX.as_second()),
            Some(ts(Timestamp::MAX.as_second(), 0))
        );
    }

    #[test]
    fn unix_nanos() {
        assert_eq!(timestamp_from_unix_nanos(0), None);
        assert_eq!(timestamp_from_unix_nanos(-6_795_364_578_871_345_152), None);
        assert_eq!(
            timestamp_from_unix_nanos(1_741_594_522_795_882_640),
            Some(ts(1_741_594_522, 795_882_640))
        );
        assert_eq!(
            timestamp_from_unix_nanos(i64::MAX)
                .map(format_utc)
                .as_deref(),
            Some("2262-04-11T23:47:16.854775807Z")
        );
        assert_eq!(
            timestamp_from_unix_nanos(i64::MIN)
                .map(format_utc)
                .as_deref(),
            Some("1677-09-21T00:12:43.145224192Z")
        );
        assert_eq!(timestamp_from_unix_nanos(1), Some(ts(0, 1)));
    }

    #[test]
    fn go_zero_time_constants_agree() {
        assert_eq!(
            "0001-01-01T00:00:00Z".parse::<Timestamp>().unwrap(),
            GO_ZERO_TIME
        );
        let wrapped = (GO_ZERO_TIME.as_second() as i128 * 1_000_000_000).rem_euclid(1 << 64);
        let wrapped = if wrapped >= 1 << 63 {
            wrapped - (1 << 64)
        } else {
            wrapped
        };
        assert_eq!(wrapped, i128::from(GO_ZERO_TIME_UNIX_NANOS_WRAPPED));
    }

    /// Test-only emulation of Go's `t.In(offset).Format(time.RFC3339Nano)`.
    fn go_rfc3339_nano(ts: Timestamp, offset: Offset) -> String {
        let dt = offset.to_datetime(ts);
        let mut out = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            dt.year(),
            dt.month(),
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second()
        );
        let nanos = dt.subsec_nanosecond();
        if nanos != 0 {
            let frac = format!("{nanos:09}");
            out.push('.');
            out.push_str(frac.trim_end_matches('0'));
        }
        let offset_secs = offset.seconds();
        if offset_secs == 0 {
            out.push('Z');
        } else {
            let sign = if offset_secs < 0 { '-' } else { '+' };
            // Go drops the seconds of the offset (integer division).
            let minutes = offset_secs.unsigned_abs() / 60;
            out.push_str(&format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60));
        }
        out
    }

    #[test]
    fn go_format_emulation_matches_pd_examples() {
        let plus8 = Offset::from_seconds(8 * 3600).unwrap();
        let minus5 = Offset::from_seconds(-5 * 3600).unwrap();
        assert_eq!(
            go_rfc3339_nano(ts(1_597_571_004, 991_536_254), plus8),
            "2020-08-16T17:43:24.991536254+08:00"
        );
        assert_eq!(
            go_rfc3339_nano(ts(1_614_851_412, 185_271_431), minus5),
            "2021-03-04T04:50:12.185271431-05:00"
        );
        assert_eq!(
            go_rfc3339_nano(ts(1_741_594_522, 795_882_640), Offset::UTC),
            "2025-03-10T08:15:22.79588264Z"
        );
        assert_eq!(
            go_rfc3339_nano(Timestamp::UNIX_EPOCH, plus8),
            "1970-01-01T08:00:00+08:00"
        );
    }

    // 1971-01-01T00:00:00Z ..= 2100-12-31T23:59:59Z
    const FIRST_SECOND: i64 = 31_536_000;
    const LAST_SECOND: i64 = 4_133_980_799;

    proptest! {
        #[test]
        fn parses_go_rfc3339_in_any_offset(
            second in FIRST_SECOND..=LAST_SECOND,
            nanosecond in 0i32..1_000_000_000,
            offset_minutes in (-12 * 60)..=(14 * 60),
        ) {
            let instant = ts(second, nanosecond);
            let offset = Offset::from_seconds(offset_minutes * 60).unwrap();

            let go = go_rfc3339_nano(instant, offset);
            prop_assert_eq!(parse_pd_timestamp(&go), Ok(Some(instant)), "{}", go);

            let jiff = instant.display_with_offset(offset).to_string();
            prop_assert_eq!(parse_pd_timestamp(&jiff), Ok(Some(instant)), "{}", jiff);
        }

        #[test]
        fn format_utc_is_go_rfc3339_nano_in_utc_and_round_trips(
            second in FIRST_SECOND..=LAST_SECOND,
            nanosecond in 0i32..1_000_000_000,
        ) {
            let instant = ts(second, nanosecond);
            let formatted = format_utc(instant);
            prop_assert_eq!(&formatted, &go_rfc3339_nano(instant, Offset::UTC));
            prop_assert_eq!(parse_pd_timestamp(&formatted), Ok(Some(instant)));
        }

        #[test]
        fn unix_conversions_agree_with_parsing(
            second in FIRST_SECOND..=LAST_SECOND,
            nanosecond in 0i64..1_000_000_000,
        ) {
            let from_secs = timestamp_from_unix_seconds(second);
            prop_assert_eq!(from_secs, Some(ts(second, 0)));
            let nanos = second * 1_000_000_000 + nanosecond;
            let from_nanos = timestamp_from_unix_nanos(nanos).unwrap();
            prop_assert_eq!(from_nanos.as_nanosecond(), i128::from(nanos));
            prop_assert_eq!(
                parse_pd_timestamp(&format_utc(from_nanos)),
                Ok(Some(from_nanos))
            );
        }

        #[test]
        fn never_panics_on_arbitrary_strings(s in any::<String>()) {
            let _ = parse_pd_timestamp(&s);
        }

        #[test]
        fn never_panics_on_timestamp_like_strings(
            s in "[0-9]{1,6}-[0-9]{1,2}-[0-9]{1,2}[Tt ][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\\.[0-9]{0,12})?(Z|[+-][0-9]{1,2}:?[0-9]{0,2})?"
        ) {
            let _ = parse_pd_timestamp(&s);
        }

        #[test]
        fn never_panics_on_any_unix_value(v in any::<i64>()) {
            let _ = timestamp_from_unix_seconds(v);
            let _ = timestamp_from_unix_nanos(v);
        }
    }
}
