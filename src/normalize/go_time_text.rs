//! Go's `time.Time.String()`: `2006-01-02 15:04:05.999999999 -0700 MST`, with the monotonic
//! clock reading appended when the value has one (`m=+612345.678901234`). PD prints operator
//! times this way (`createAt:…, startAt:…`), in its process' zone; the zero time
//! (`0001-01-01 00:00:00 +0000 UTC`) means "not yet".

use jiff::Timestamp;
use thiserror::Error;

/// Why a Go time string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid Go time {input:?}: {reason}")]
pub struct GoTimeError {
    input: String,
    reason: &'static str,
}

/// Parses Go's `time.Time.String()`. The zone abbreviation (`UTC`, `CST`, `+08`) is ignored; the
/// numeric offset decides the instant. Returns `Ok(None)` for Go's zero time.
///
/// # Errors
///
/// [`GoTimeError`] when the text is not of that layout or the instant is outside jiff's range.
pub fn parse_go_time_string(input: &str) -> Result<Option<Timestamp>, GoTimeError> {
    let bad = |reason| GoTimeError {
        input: input.to_owned(),
        reason,
    };
    let mut parts = input.split(' ');
    let date = parts.next().ok_or_else(|| bad("no date"))?;
    let clock = parts.next().ok_or_else(|| bad("no time of day"))?;
    let offset = parts.next().ok_or_else(|| bad("no zone offset"))?;
    // What follows is the zone's abbreviation and, optionally, the monotonic reading.
    let rest: Vec<&str> = parts.collect();
    match rest.as_slice() {
        [] | [_] => {}
        [_, monotonic] if monotonic.starts_with("m=") => {}
        _ => return Err(bad("unexpected text after the zone")),
    }
    if date == "0001-01-01" && clock == "00:00:00" && offset == "+0000" {
        return Ok(None);
    }
    let (sign, digits) = match offset.as_bytes().first() {
        Some(b'+') => ('+', &offset[1..]),
        Some(b'-') => ('-', &offset[1..]),
        _ => return Err(bad("the zone offset has no sign")),
    };
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("the zone offset is not ±hhmm"));
    }
    if !clock
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b':' || b == b'.')
    {
        return Err(bad("the time of day is not hh:mm:ss[.fraction]"));
    }
    let text = format!("{date}T{clock}{sign}{}:{}", &digits[..2], &digits[2..]);
    text.parse::<Timestamp>()
        .map(Some)
        .map_err(|_| bad("not a valid date and time"))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn go_time_strings_read() {
        let t = parse_go_time_string("2025-03-10 08:15:22.795882643 +0000 UTC m=+612345.678901234")
            .unwrap()
            .unwrap();
        assert_eq!(t.to_string(), "2025-03-10T08:15:22.795882643Z");
        let t = parse_go_time_string("2025-03-10 16:15:22 +0800 CST")
            .unwrap()
            .unwrap();
        assert_eq!(t.to_string(), "2025-03-10T08:15:22Z");
        let t = parse_go_time_string("2025-03-10 03:15:22.5 -0500 -05")
            .unwrap()
            .unwrap();
        assert_eq!(t.to_string(), "2025-03-10T08:15:22.5Z");
        assert_eq!(
            parse_go_time_string("0001-01-01 00:00:00 +0000 UTC"),
            Ok(None)
        );
        for bad in [
            "",
            "2025-03-10",
            "2025-03-10 08:15:22",
            "2025-03-10 08:15:22 UTC",
            "2025-03-10 08:15:22 +00:00 UTC",
            "2025-03-10T08:15:22 +0000 UTC",
            "2025-13-10 08:15:22 +0000 UTC",
            "2025-03-10 08:15:22 +0000 UTC extra words",
        ] {
            assert!(parse_go_time_string(bad).is_err(), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn what_go_prints_reads_back(
            seconds in 0i64..4_102_444_800,
            nanos in 0u32..1_000_000_000,
            offset_minutes in -720i32..=840,
            monotonic in proptest::option::of(0u64..10_000_000),
        ) {
            let instant = Timestamp::new(seconds, nanos as i32).unwrap();
            let offset = jiff::tz::Offset::from_seconds(offset_minutes * 60).unwrap();
            let local = offset.to_datetime(instant);
            // Go: fraction with trailing zeros trimmed, none for whole seconds.
            let mut fraction = format!("{:09}", nanos);
            while fraction.ends_with('0') {
                fraction.pop();
            }
            let clock = if fraction.is_empty() {
                format!("{:02}:{:02}:{:02}", local.hour(), local.minute(), local.second())
            } else {
                format!("{:02}:{:02}:{:02}.{fraction}", local.hour(), local.minute(), local.second())
            };
            let sign = if offset_minutes < 0 { '-' } else { '+' };
            let abs = offset_minutes.abs();
            let mut text = format!(
                "{:04}-{:02}-{:02} {clock} {sign}{:02}{:02} ZZZ",
                local.year(), local.month(), local.day(), abs / 60, abs % 60
            );
            if let Some(m) = monotonic {
                text.push_str(&format!(" m=+{m}.000000001"));
            }
            let parsed = parse_go_time_string(&text).unwrap();
            prop_assert_eq!(parsed, Some(instant));
        }

        #[test]
        fn any_text_is_safe(text in "\\PC{0,60}") {
            let _ = parse_go_time_string(&text);
        }
    }
}
