//! Go `time.Duration` strings (`"169h50m10.79588264s"`, `"532µs"`) as PD
//! prints them, turned into seconds.
//!
//! This module owns the grammar of Go's `time.ParseDuration` and the exact
//! nanosecond arithmetic behind it; callers get plain `f64` seconds.

use thiserror::Error;

/// Go durations are `int64` nanoseconds: magnitudes up to 2^63 are allowed for
/// negative values, up to 2^63 - 1 for positive ones.
const MAX_MAGNITUDE_NANOS: u128 = 1 << 63;

/// Why a duration string was rejected. Every message names the input.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GoDurationError {
    /// The input was empty.
    #[error("invalid duration {input:?}: empty")]
    Empty { input: String },
    /// A component did not start with a number (`"h"`, `"."`, `"-"`, `" "`).
    #[error("invalid duration {input:?}: expected a number")]
    MissingNumber { input: String },
    /// A number was not followed by a unit (`"1"`, `"1h2"`).
    #[error("invalid duration {input:?}: missing unit")]
    MissingUnit { input: String },
    /// The unit is not one of `ns`, `us`, `µs`, `μs`, `ms`, `s`, `m`, `h`.
    /// Whitespace inside the input ends up here as part of the unit.
    #[error("invalid duration {input:?}: unknown unit {unit:?}")]
    UnknownUnit { input: String, unit: String },
    /// The value does not fit Go's `int64` nanoseconds (about ±292 years).
    #[error(
        "invalid duration {input:?}: out of range (Go durations are limited to about ±292 years)"
    )]
    OutOfRange { input: String },
}

/// Parses a Go duration string into seconds.
///
/// Accepts exactly what Go's `time.ParseDuration` accepts: an optional sign,
/// then one or more `<decimal number><unit>` parts with units `ns`, `us`,
/// `µs` (U+00B5), `μs` (U+03BC), `ms`, `s`, `m`, `h`. A number may start or
/// end with the dot (`".5s"`, `"1.s"`), and a bare `"0"` (optionally signed)
/// needs no unit. No whitespace is allowed anywhere.
///
/// The value is accumulated as integer nanoseconds, truncating fraction digits
/// finer than a nanosecond as Go does, and only then divided by 1e9. For
/// durations under 2^53 ns (about 104 days) this gives the `f64` nearest to
/// the exact decimal number of seconds, e.g. `"169h50m10.79588264s"` yields
/// exactly `611410.79588264`.
///
/// Go computes the nanoseconds of a fractional part in `float64` and ignores
/// fraction digits past about the 19th, so for long fractions (mostly of
/// hours or minutes) Go can land 1 ns away from the exact value used here.
///
/// # Errors
///
/// Returns a [`GoDurationError`] naming the input when it is empty, a part
/// lacks its number or unit, a unit is unknown (whitespace counts as part of
/// a unit), or the total exceeds Go's `int64` nanoseconds.
pub fn parse_go_duration_seconds(s: &str) -> Result<f64, GoDurationError> {
    let nanos = parse_go_duration_nanos(s)?;
    // Exact below 2^53 ns; above that (over 104 days) the nanosecond count
    // itself gets rounded first, a relative error under 1e-16.
    #[allow(clippy::cast_precision_loss)]
    let seconds = nanos as f64 / 1e9;
    Ok(seconds)
}

fn parse_go_duration_nanos(input: &str) -> Result<i128, GoDurationError> {
    let owned = || input.to_owned();
    let (negative, mut rest) = match input.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, input.strip_prefix('+').unwrap_or(input)),
    };
    if rest == "0" {
        return Ok(0);
    }
    if input.is_empty() {
        return Err(GoDurationError::Empty { input: owned() });
    }
    if rest.is_empty() {
        return Err(GoDurationError::MissingNumber { input: owned() });
    }

    let out_of_range = || GoDurationError::OutOfRange { input: owned() };
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let (int_digits, after_int) = split_leading_ascii_digits(rest);
        let (frac_digits, after_number) = match after_int.strip_prefix('.') {
            Some(after_dot) => split_leading_ascii_digits(after_dot),
            None => ("", after_int),
        };
        if int_digits.is_empty() && frac_digits.is_empty() {
            return Err(GoDurationError::MissingNumber { input: owned() });
        }

        let unit_len = after_number
            .find(|c: char| c == '.' || c.is_ascii_digit())
            .unwrap_or(after_number.len());
        let (unit, tail) = after_number
            .split_at_checked(unit_len)
            .unwrap_or((after_number, ""));
        if unit.is_empty() {
            return Err(GoDurationError::MissingUnit { input: owned() });
        }
        let Some(unit_nanos) = unit_nanos(unit) else {
            return Err(GoDurationError::UnknownUnit {
                input: owned(),
                unit: unit.to_owned(),
            });
        };

        let whole = parse_integer_part(int_digits)
            .and_then(|v| v.checked_mul(unit_nanos))
            .ok_or_else(out_of_range)?;
        let fraction = fraction_nanos(frac_digits, unit_nanos).ok_or_else(out_of_range)?;
        total = total
            .checked_add(whole)
            .and_then(|t| t.checked_add(fraction))
            .filter(|&t| t <= MAX_MAGNITUDE_NANOS)
            .ok_or_else(out_of_range)?;
        rest = tail;
    }

    let magnitude = i128::try_from(total).map_err(|_| out_of_range())?;
    if negative {
        magnitude.checked_neg().ok_or_else(out_of_range)
    } else if total < MAX_MAGNITUDE_NANOS {
        Ok(magnitude)
    } else {
        Err(out_of_range())
    }
}

fn split_leading_ascii_digits(s: &str) -> (&str, &str) {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    s.split_at_checked(end).unwrap_or((s, ""))
}

fn unit_nanos(unit: &str) -> Option<u128> {
    Some(match unit {
        "ns" => 1,
        // U+00B5 MICRO SIGN is what Go prints; U+03BC GREEK SMALL LETTER MU
        // is what people type. Go accepts both.
        "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return None,
    })
}

/// The integer digits as a number, or `None` once it passes 2^63 (Go's
/// `leadingInt` rejects such inputs outright, before looking at the unit).
fn parse_integer_part(digits: &str) -> Option<u128> {
    digits.bytes().try_fold(0u128, |acc, b| {
        let digit = u128::from(b.checked_sub(b'0')?);
        acc.checked_mul(10)?
            .checked_add(digit)
            .filter(|&v| v <= MAX_MAGNITUDE_NANOS)
    })
}

/// `floor(0.<digits> * unit_nanos)`, exact for any number of digits.
///
/// Multiplying the digit string by the unit from the least significant digit
/// up, the carry left after the most significant digit is exactly that floor
/// (`floor(floor(a / b) / c) == floor(a / (b * c))`), and it stays below
/// `unit_nanos`, so nothing grows with the input's length.
fn fraction_nanos(digits: &str, unit_nanos: u128) -> Option<u128> {
    digits.bytes().rev().try_fold(0u128, |carry, b| {
        let digit = u128::from(b.checked_sub(b'0')?);
        digit
            .checked_mul(unit_nanos)?
            .checked_add(carry)?
            .checked_div(10)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn secs(s: &str) -> f64 {
        match parse_go_duration_seconds(s) {
            Ok(v) => v,
            Err(e) => panic!("{s:?} should parse: {e}"),
        }
    }

    fn nanos(s: &str) -> i128 {
        match parse_go_duration_nanos(s) {
            Ok(v) => v,
            Err(e) => panic!("{s:?} should parse: {e}"),
        }
    }

    fn err(s: &str) -> GoDurationError {
        match parse_go_duration_seconds(s) {
            Ok(v) => panic!("{s:?} should be rejected, got {v}"),
            Err(e) => e,
        }
    }

    #[test]
    fn parses_examples_to_exact_f64() {
        let cases: &[(&str, f64)] = &[
            ("169h50m10.79588264s", 611_410.795_882_64),
            ("1h0m0s", 3600.0),
            ("1h0m0.5s", 3600.5),
            ("36m20.480549971s", 2_180.480_549_971),
            ("59m58.000000001s", 3_598.000_000_001),
            ("45s", 45.0),
            ("1m1s", 61.0),
            ("250ms", 0.25),
            ("532\u{b5}s", 0.000_532),
            ("532\u{3bc}s", 0.000_532),
            ("532us", 0.000_532),
            ("1.5\u{b5}s", 0.000_001_5),
            ("7ns", 7e-9),
            ("999ns", 999e-9),
            ("0s", 0.0),
            ("0", 0.0),
            ("-1h", -3600.0),
            ("+5s", 5.0),
            ("30m0s", 1800.0),
            ("1.5h", 5400.0),
            (".5s", 0.5),
            ("1.s", 1.0),
        ];
        for &(s, want) in cases {
            let got = secs(s);
            assert_eq!(
                got.to_bits(),
                want.to_bits(),
                "{s:?}: got {got}, want {want}"
            );
        }
    }

    #[test]
    fn matches_the_decimal_literal_exactly() {
        assert_eq!(secs("169h50m10.79588264s"), 611410.79588264_f64);
        assert_eq!(secs("36m20.480549971s"), 2180.480549971_f64);
    }

    #[test]
    fn computes_integer_nanoseconds() {
        assert_eq!(nanos("169h50m10.79588264s"), 611_410_795_882_640);
        assert_eq!(nanos("59m58.000000001s"), 3_598_000_000_001);
        assert_eq!(nanos("1.5\u{b5}s"), 1_500);
        assert_eq!(nanos("-0"), 0);
        assert_eq!(nanos("+0"), 0);
        assert_eq!(nanos("-0s"), 0);
        assert_eq!(nanos("0.1h"), 360_000_000_000);
        assert_eq!(nanos("1h1h"), 7_200_000_000_000);
        assert_eq!(nanos("1s1h"), 3_601_000_000_000);
        assert_eq!(nanos("00001s"), 1_000_000_000);
    }

    #[test]
    fn truncates_below_a_nanosecond_like_go() {
        assert_eq!(nanos("1.9ns"), 1);
        assert_eq!(nanos("0.9999999999s"), 999_999_999);
        assert_eq!(nanos("-1.9ns"), -1);
        let long = format!("0.{}s", "9".repeat(100));
        assert_eq!(nanos(&long), 999_999_999);
        let long = format!("1.{}1h", "0".repeat(100));
        assert_eq!(nanos(&long), 3_600_000_000_000);
    }

    #[test]
    fn long_fractions_are_exact() {
        // 1000 s is 0.2777... h. A finite prefix of that expansion is below
        // it; one digit larger at position 31 is above it.
        let below = format!("0.2{}h", "7".repeat(100));
        assert_eq!(nanos(&below), 999_999_999_999);
        let above = format!("0.2{}8h", "7".repeat(29));
        assert_eq!(nanos(&above), 1_000_000_000_000);
        let huge = format!("1.{}s", "5".repeat(100_000));
        assert_eq!(nanos(&huge), 1_555_555_555);
    }

    #[test]
    fn go_range_limits() {
        // time.Duration(math.MaxInt64).String() and math.MinInt64.
        assert_eq!(nanos("2562047h47m16.854775807s"), i128::from(i64::MAX));
        assert_eq!(nanos("-2562047h47m16.854775808s"), i128::from(i64::MIN));
        assert_eq!(nanos("9223372036854775807ns"), i128::from(i64::MAX));
        assert_eq!(nanos("-9223372036854775808ns"), i128::from(i64::MIN));
        for s in [
            "2562047h47m16.854775808s",
            "9223372036854775808ns",
            "-9223372036854775809ns",
            "2562048h",
            "9223372036854775807ns1ns",
            "99999999999999999999999999999999999999999999h",
            "-99999999999999999999999999999999999999999999999999ns",
        ] {
            assert_eq!(
                err(s),
                GoDurationError::OutOfRange {
                    input: s.to_owned()
                },
                "{s:?}"
            );
        }
    }

    #[test]
    fn rejects_malformed_input() {
        assert_eq!(
            err(""),
            GoDurationError::Empty {
                input: String::new()
            }
        );
        for s in [
            "h", ".", "-", "+", " ", "   ", ".s", "-.s", "1h.", "1h.m", "\u{b5}s", " 1h", "NaNs",
            "--1s", "+-1s", "\u{661}s",
        ] {
            assert_eq!(
                err(s),
                GoDurationError::MissingNumber {
                    input: s.to_owned()
                },
                "{s:?}"
            );
        }
        for s in ["1", "00", "-1", "1h2", "1.5", "1.5.5s"] {
            assert_eq!(
                err(s),
                GoDurationError::MissingUnit {
                    input: s.to_owned()
                },
                "{s:?}"
            );
        }
        for (s, unit) in [
            ("1d", "d"),
            ("1x", "x"),
            ("1h 2m", "h "),
            ("1h ", "h "),
            ("1H", "H"),
            ("1S", "S"),
            ("1sec", "sec"),
            ("1e3s", "e"),
            ("1\u{b5}", "\u{b5}"),
            ("1s\n", "s\n"),
        ] {
            assert_eq!(
                err(s),
                GoDurationError::UnknownUnit {
                    input: s.to_owned(),
                    unit: unit.to_owned()
                },
                "{s:?}"
            );
        }
    }

    #[test]
    fn error_messages_name_the_input() {
        assert_eq!(
            err("1d").to_string(),
            r#"invalid duration "1d": unknown unit "d""#
        );
        assert_eq!(
            err("1").to_string(),
            r#"invalid duration "1": missing unit"#
        );
        assert_eq!(
            err("h").to_string(),
            r#"invalid duration "h": expected a number"#
        );
        assert!(err("2562048h").to_string().contains(r#""2562048h""#));
    }

    /// Test-only emulation of Go's `time.Duration.String()`.
    fn go_duration_string(d: i64) -> String {
        let negative = d < 0;
        let mut u = d.unsigned_abs();
        let mut out = String::new();
        if u < 1_000_000_000 {
            if u == 0 {
                return "0s".to_owned();
            }
            let (prec, unit) = match u {
                1..1_000 => (0, "ns"),
                1_000..1_000_000 => (3, "\u{b5}s"),
                _ => (6, "ms"),
            };
            out.push_str(&fmt_frac(u, prec));
            out.push_str(unit);
        } else {
            let frac = fmt_frac(u % 1_000_000_000, 9);
            u /= 1_000_000_000;
            let seconds = u % 60;
            u /= 60;
            if u > 0 {
                let minutes = u % 60;
                u /= 60;
                if u > 0 {
                    out.push_str(&format!("{u}h"));
                }
                out.push_str(&format!("{minutes}m"));
            }
            // fmt_frac of the sub-second part yields "0[.digits]".
            out.push_str(&format!("{seconds}{}s", frac.trim_start_matches('0')));
        }
        if negative {
            out.insert(0, '-');
        }
        out
    }

    /// `v / 10^prec` with the fraction's trailing zeros (and a bare dot)
    /// removed, like Go's `fmtFrac` followed by `fmtInt`.
    fn fmt_frac(v: u64, prec: u32) -> String {
        let scale = 10u64.pow(prec);
        let (int, frac) = (v / scale, v % scale);
        if frac == 0 {
            return int.to_string();
        }
        let frac = format!("{frac:0width$}", width = prec as usize);
        format!("{int}.{}", frac.trim_end_matches('0'))
    }

    #[test]
    fn go_string_emulation_matches_go() {
        let cases: &[(i64, &str)] = &[
            (0, "0s"),
            (1, "1ns"),
            (1_100, "1.1\u{b5}s"),
            (2_200_000, "2.2ms"),
            (3_300_000_000, "3.3s"),
            (60_000_000_000, "1m0s"),
            (3_600_000_000_000, "1h0m0s"),
            (3_600_500_000_000, "1h0m0.5s"),
            (-3_600_000_000_000, "-1h0m0s"),
            (611_410_795_882_640, "169h50m10.79588264s"),
            (i64::MAX, "2562047h47m16.854775807s"),
            (i64::MIN, "-2562047h47m16.854775808s"),
        ];
        for &(d, want) in cases {
            assert_eq!(go_duration_string(d), want, "{d}");
        }
    }

    proptest! {
        #[test]
        fn round_trips_go_duration_strings(d in any::<i64>()) {
            let printed = go_duration_string(d);
            prop_assert_eq!(parse_go_duration_nanos(&printed), Ok(i128::from(d)));
            let got = parse_go_duration_seconds(&printed)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(got.to_bits(), (d as f64 / 1e9).to_bits(), "{}", printed);
        }

        #[test]
        fn round_trips_small_durations(d in -1_000_000_000_000i64..1_000_000_000_000) {
            let printed = go_duration_string(d);
            prop_assert_eq!(parse_go_duration_nanos(&printed), Ok(i128::from(d)));
        }

        #[test]
        fn fraction_matches_direct_computation(
            digits in "[0-9]{1,19}",
            unit in prop::sample::select(&["ns", "us", "ms", "s", "m", "h"][..]),
        ) {
            let unit_nanos = unit_nanos(unit).unwrap();
            let numerator: u128 = digits.parse().unwrap();
            let len = u32::try_from(digits.len()).unwrap();
            let want = numerator * unit_nanos / 10u128.pow(len);
            prop_assert_eq!(fraction_nanos(&digits, unit_nanos), Some(want));
            let padded = format!("{digits}{}", "0".repeat(50));
            prop_assert_eq!(fraction_nanos(&padded, unit_nanos), Some(want));
        }

        #[test]
        fn never_panics_on_arbitrary_strings(s in any::<String>()) {
            let _ = parse_go_duration_seconds(&s);
        }

        #[test]
        fn never_panics_on_duration_like_strings(s in "[-+.0-9hmsnuµμ ]{0,40}") {
            let _ = parse_go_duration_seconds(&s);
        }
    }
}
