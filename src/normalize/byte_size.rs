//! Human-readable byte sizes as PD prints them (`"1.863GiB"`, `"937 GiB"`),
//! turned back into integer byte counts.
//!
//! This module owns the grammar and the exact integer arithmetic; it knows
//! nothing about which PD fields carry such sizes.

use thiserror::Error;

/// Longest mantissa (integer plus fraction digits) we accept. PD never prints
/// more than 4 significant digits; the cap keeps `mantissa * 1024^6` well
/// inside `u128` and turns absurd inputs into an error rather than a panic.
const MAX_MANTISSA_DIGITS: usize = 30;

/// `2^64`: PD's 4-significant-digit rounding prints `u64::MAX` as `16EiB`,
/// which is exactly this, so values up to here are treated as `u64::MAX`.
const TWO_POW_64: u128 = 1 << 64;

/// Unit spellings, matched ASCII-case-insensitively, and their power of 1024.
///
/// Everything is binary, including `kb`/`mb`/..., because PD's own parser
/// (`units.RAMInBytes`) treats them that way. The `ki`/`mi`/... spellings are
/// accepted because PD's regex `[kKmMgGtTpP]?[iI]?[bB]?` admits them. `e*` is
/// not in that regex but go-units' `BytesSize` does print `EiB`.
const UNITS: &[(&str, u32)] = &[
    ("", 0),
    ("b", 0),
    ("k", 1),
    ("kb", 1),
    ("ki", 1),
    ("kib", 1),
    ("m", 2),
    ("mb", 2),
    ("mi", 2),
    ("mib", 2),
    ("g", 3),
    ("gb", 3),
    ("gi", 3),
    ("gib", 3),
    ("t", 4),
    ("tb", 4),
    ("ti", 4),
    ("tib", 4),
    ("p", 5),
    ("pb", 5),
    ("pi", 5),
    ("pib", 5),
    ("e", 6),
    ("eb", 6),
    ("ei", 6),
    ("eib", 6),
];

/// Why a byte-size string was rejected. Every message names the input.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ByteSizeError {
    /// The input was empty or only whitespace.
    #[error("invalid byte size {input:?}: empty")]
    Empty { input: String },
    /// The number had a leading minus sign.
    #[error("invalid byte size {input:?}: negative sizes are not allowed")]
    Negative { input: String },
    /// No well-formed `digits[.digits]` number at the start (e.g. `".5KiB"`,
    /// `"1.KiB"`, `"NaN"`, `"+5B"`).
    #[error("invalid byte size {input:?}: expected a number like 12 or 1.5 before the unit")]
    InvalidNumber { input: String },
    /// The number had more digits than any real PD value could.
    #[error(
        "invalid byte size {input:?}: more than {max} digits in the number",
        max = MAX_MANTISSA_DIGITS
    )]
    TooManyDigits { input: String },
    /// More than one space (or other whitespace after the space) between the
    /// number and the unit.
    #[error("invalid byte size {input:?}: at most one space may separate the number and the unit")]
    ExtraSpace { input: String },
    /// The text after the number is not a known unit. Exponent forms such as
    /// `"1e3B"` land here too, with unit `"e3B"`.
    #[error("invalid byte size {input:?}: unknown unit {unit:?}")]
    UnknownUnit { input: String, unit: String },
    /// The value exceeds 2^64 bytes, so it cannot be a PD-rounded `u64`.
    #[error("byte size {input:?} is larger than 16EiB, the 64-bit limit")]
    OutOfRange { input: String },
}

/// Parses a byte size as printed by PD into a byte count.
///
/// Accepted forms:
/// - go-units `BytesSize` (PD v3.1+): `"290.7MiB"`, `"1.863GiB"`, `"16EiB"`;
/// - go-humanize `IBytes` (PD <= v3.0): `"937 GiB"`, `"1.9 GiB"`, `"512 B"`;
/// - anything of the shape PD's own `units.RAMInBytes` reads:
///   `digits[.digits][ ]unit` with the unit (`b`, `k`/`kb`/`kib`, ..., `e`/
///   `eb`/`eib`, or none for bytes) in any letter case. Surrounding whitespace
///   is ignored. All units are binary (powers of 1024), as in PD.
///
/// The result is `mantissa * 1024^k` computed exactly and rounded half up to
/// whole bytes.
///
/// PD rounds sizes to 4 significant digits before printing them, so the
/// returned count can differ from the true value PD had by up to 0.05%
/// (`"1.747TiB"` stands for anything in roughly 1.7465–1.7475 TiB). Treat the
/// result as an approximation unless the input is a plain byte count below
/// 1024, which PD prints exactly.
///
/// Values in (`u64::MAX`, 2^64] saturate to `u64::MAX`: that range is only
/// reachable through PD's rounding (it prints `u64::MAX` as `"16EiB"`).
/// Anything larger is [`ByteSizeError::OutOfRange`].
///
/// # Errors
///
/// Returns a [`ByteSizeError`] naming the input when it is empty, negative,
/// not `digits[.digits]` followed by a known unit, separated from its unit by
/// more than one space, longer than 30 digits, or above 2^64 bytes.
pub fn parse_pd_byte_size(s: &str) -> Result<u64, ByteSizeError> {
    let input = || s.to_owned();
    let trimmed = s.trim();
    if trimmed.is_empty() {
        return Err(ByteSizeError::Empty { input: input() });
    }
    if trimmed.starts_with('-') {
        return Err(ByteSizeError::Negative { input: input() });
    }

    let (int_digits, rest) = split_leading_ascii_digits(trimmed);
    if int_digits.is_empty() {
        return Err(ByteSizeError::InvalidNumber { input: input() });
    }
    let (frac_digits, rest) = match rest.strip_prefix('.') {
        Some(after_dot) => {
            let (frac, rest) = split_leading_ascii_digits(after_dot);
            // Go's ParseFloat would take "1.", but PD's regex requires
            // digits after the dot, and no PD version prints it.
            if frac.is_empty() {
                return Err(ByteSizeError::InvalidNumber { input: input() });
            }
            (frac, rest)
        }
        None => ("", rest),
    };
    if int_digits.len().saturating_add(frac_digits.len()) > MAX_MANTISSA_DIGITS {
        return Err(ByteSizeError::TooManyDigits { input: input() });
    }

    let unit = match rest.strip_prefix(' ') {
        Some(unit) if unit.starts_with(char::is_whitespace) => {
            return Err(ByteSizeError::ExtraSpace { input: input() });
        }
        Some(unit) => unit,
        None => rest,
    };
    let Some(power) = unit_power(unit) else {
        return Err(ByteSizeError::UnknownUnit {
            input: input(),
            unit: unit.to_owned(),
        });
    };

    let out_of_range = || ByteSizeError::OutOfRange { input: input() };
    // For at most MAX_MANTISSA_DIGITS ASCII digits the first two steps
    // cannot fail; the scaling fails only for values far beyond 2^64.
    let mantissa = digits_to_u128(int_digits, frac_digits).ok_or_else(out_of_range)?;
    let frac_len = u32::try_from(frac_digits.len()).map_err(|_| out_of_range())?;
    let bytes = scale_round_half_up(mantissa, frac_len, power.saturating_mul(10))
        .ok_or_else(out_of_range)?;

    match u64::try_from(bytes) {
        Ok(bytes) => Ok(bytes),
        Err(_) if bytes <= TWO_POW_64 => Ok(u64::MAX),
        Err(_) => Err(out_of_range()),
    }
}

/// Splits `s` after its leading run of ASCII digits.
fn split_leading_ascii_digits(s: &str) -> (&str, &str) {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    s.split_at_checked(end).unwrap_or((s, ""))
}

fn unit_power(unit: &str) -> Option<u32> {
    UNITS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(unit))
        .map(|&(_, power)| power)
}

/// The decimal digits of `int_digits` followed by `frac_digits` as one
/// integer (the mantissa with its decimal point removed).
fn digits_to_u128(int_digits: &str, frac_digits: &str) -> Option<u128> {
    int_digits
        .bytes()
        .chain(frac_digits.bytes())
        .try_fold(0u128, |acc, b| {
            let digit = u128::from(b.checked_sub(b'0')?);
            acc.checked_mul(10)?.checked_add(digit)
        })
}

/// `round_half_up(mantissa * 2^shift / 10^frac_len)`, exactly.
///
/// A direct `mantissa << shift` can exceed `u128` for 30-digit mantissas, so
/// the doubling is done as binary long division: the remainder stays below
/// `10^frac_len` and only the quotient grows. `None` means the quotient
/// overflowed `u128`, i.e. the value is astronomically out of range.
fn scale_round_half_up(mantissa: u128, frac_len: u32, shift: u32) -> Option<u128> {
    let divisor = 10u128.checked_pow(frac_len)?;
    let mut quotient = mantissa.checked_div(divisor)?;
    let mut remainder = mantissa.checked_rem(divisor)?;
    for _ in 0..shift {
        quotient = quotient.checked_mul(2)?;
        remainder = remainder.checked_mul(2)?;
        if remainder >= divisor {
            quotient = quotient.checked_add(1)?;
            remainder = remainder.checked_sub(divisor)?;
        }
    }
    if remainder.checked_mul(2)? >= divisor {
        quotient = quotient.checked_add(1)?;
    }
    Some(quotient)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const KIB: u64 = 1 << 10;
    const MIB: u64 = 1 << 20;
    const GIB: u64 = 1 << 30;
    const TIB: u64 = 1 << 40;
    const EIB: u64 = 1 << 60;

    fn ok(s: &str) -> u64 {
        match parse_pd_byte_size(s) {
            Ok(n) => n,
            Err(e) => panic!("{s:?} should parse: {e}"),
        }
    }

    #[test]
    fn go_units_examples() {
        let cases: &[(&str, u64)] = &[
            ("0B", 0),
            ("1B", 1),
            ("512B", 512),
            ("1023B", 1023),
            ("1KiB", KIB),
            ("1.5KiB", 1536),
            ("4KiB", 4 * KIB),
            // 290.7 * 2^20 = 304821043.2
            ("290.7MiB", 304_821_043),
            // 618.8 * 2^20 = 648858828.8
            ("618.8MiB", 648_858_829),
            // 1.863 * 2^30 = 2000381018.112
            ("1.863GiB", 2_000_381_018),
            ("100GiB", 100 * GIB),
            ("1000GiB", 1000 * GIB),
            // 1.001 * 2^40 = 1100611139403.776
            ("1.001TiB", 1_100_611_139_404),
            ("1.747TiB", 1_920_846_813_725),
            ("8.5EiB", 9_799_832_789_158_199_296),
            ("16EiB", u64::MAX),
            ("1024KiB", 1024 * KIB),
            ("1024GiB", 1024 * GIB),
        ];
        for &(s, want) in cases {
            assert_eq!(ok(s), want, "{s:?}");
        }
    }

    #[test]
    fn exact_products_from_the_brief() {
        assert_eq!(ok("1.747TiB"), 1_920_846_813_725);
        assert_eq!(ok("1.5KiB"), 1536);
        assert_eq!(ok("8.5EiB"), 9_799_832_789_158_199_296);
        assert_eq!(ok("1.747TiB"), (1.747 * TIB as f64).round() as u64);
    }

    #[test]
    fn go_humanize_examples() {
        assert_eq!(ok("937 GiB"), 937 * GIB);
        assert_eq!(ok("20 GiB"), 20 * GIB);
        // 1.9 * 2^30 = 2040109465.6
        assert_eq!(ok("1.9 GiB"), 2_040_109_466);
        assert_eq!(ok("512 B"), 512);
    }

    #[test]
    fn pd_ram_in_bytes_spellings_are_binary_and_case_insensitive() {
        for s in [
            "1k", "1K", "1kb", "1KB", "1kib", "1KiB", "1KIB", "1ki", "1Ki", "1 k", "1 KB",
        ] {
            assert_eq!(ok(s), KIB, "{s:?}");
        }
        assert_eq!(ok("3m"), 3 * MIB);
        assert_eq!(ok("3Mb"), 3 * MIB);
        assert_eq!(ok("2g"), 2 * GIB);
        assert_eq!(ok("2 gib"), 2 * GIB);
        assert_eq!(ok("1t"), TIB);
        assert_eq!(ok("1p"), 1 << 50);
        assert_eq!(ok("1PB"), 1 << 50);
        assert_eq!(ok("1e"), EIB);
        assert_eq!(ok("1eb"), EIB);
        assert_eq!(ok("1b"), 1);
        assert_eq!(ok("42"), 42);
        assert_eq!(ok("0"), 0);
        assert_eq!(ok("0.0000KiB"), 0);
        assert_eq!(ok("007KiB"), 7 * KIB);
    }

    #[test]
    fn surrounding_whitespace_is_ignored() {
        assert_eq!(ok("  1.5KiB\n"), 1536);
        assert_eq!(ok("\t937 GiB "), 937 * GIB);
    }

    #[test]
    fn rounds_half_up_to_whole_bytes() {
        assert_eq!(ok("0.5B"), 1);
        assert_eq!(ok("0.49B"), 0);
        assert_eq!(ok("1.5B"), 2);
        assert_eq!(ok("2.5B"), 3);
        // 0.0001 * 1024 = 0.1024
        assert_eq!(ok("0.0001KiB"), 0);
        // 0.0005 * 1024 = 0.512
        assert_eq!(ok("0.0005KiB"), 1);
    }

    #[test]
    fn values_just_above_u64_max_saturate_and_beyond_2_pow_64_fail() {
        assert_eq!(ok("16EiB"), u64::MAX);
        assert_eq!(ok("18446744073709551615"), u64::MAX);
        assert_eq!(ok("18446744073709551616"), u64::MAX);
        assert_eq!(ok("16384PiB"), u64::MAX);
        assert_eq!(ok("15.99EiB"), 18_435_214_858_663_483_146);
        for s in [
            "18446744073709551617",
            "16.01EiB",
            "17EiB",
            "1024EiB",
            "999999999999999999999999999999EiB",
            "99999999999999999999.9999999999EiB",
        ] {
            assert!(
                matches!(parse_pd_byte_size(s), Err(ByteSizeError::OutOfRange { .. })),
                "{s:?} -> {:?}",
                parse_pd_byte_size(s)
            );
        }
    }

    #[test]
    fn thirty_digit_mantissas_are_exact() {
        // 1 + 10^-29 EiB: the tiny fraction rounds away, and the long
        // division path must not overflow on the way.
        assert_eq!(ok("1.00000000000000000000000000001EiB"), EIB);
        assert_eq!(ok("0.99999999999999999999999999999EiB"), EIB);
        assert_eq!(ok("000000000000000000000000000001B"), 1);
    }

    fn err(s: &str) -> ByteSizeError {
        match parse_pd_byte_size(s) {
            Ok(n) => panic!("{s:?} should be rejected, got {n}"),
            Err(e) => e,
        }
    }

    #[test]
    fn rejects_empty() {
        for s in ["", "   ", "\n"] {
            assert!(matches!(err(s), ByteSizeError::Empty { .. }), "{s:?}");
        }
    }

    #[test]
    fn rejects_negative() {
        for s in ["-1B", "-1.5KiB", "-0"] {
            assert!(matches!(err(s), ByteSizeError::Negative { .. }), "{s:?}");
        }
    }

    #[test]
    fn rejects_malformed_numbers() {
        for s in [
            ".5KiB", "1.KiB", "1.", "KiB", "B", "NaN", "nan", "Inf", "+Inf", "+5B", "0x10B", "١٢B",
            " .5 KiB",
        ] {
            let e = err(s);
            assert!(
                matches!(
                    e,
                    ByteSizeError::InvalidNumber { .. } | ByteSizeError::UnknownUnit { .. }
                ),
                "{s:?} -> {e:?}"
            );
        }
        assert!(matches!(err(".5KiB"), ByteSizeError::InvalidNumber { .. }));
        assert!(matches!(err("1.KiB"), ByteSizeError::InvalidNumber { .. }));
        assert!(matches!(err("NaN"), ByteSizeError::InvalidNumber { .. }));
        assert!(matches!(err("Inf"), ByteSizeError::InvalidNumber { .. }));
    }

    #[test]
    fn rejects_exponent_forms_as_unknown_units() {
        for (s, unit) in [
            ("1e3B", "e3B"),
            ("1E3", "E3"),
            ("1.5e+3KiB", "e+3KiB"),
            ("0x10", "x10"),
        ] {
            assert_eq!(
                err(s),
                ByteSizeError::UnknownUnit {
                    input: s.to_owned(),
                    unit: unit.to_owned()
                }
            );
        }
    }

    #[test]
    fn rejects_unknown_units() {
        for (s, unit) in [
            ("1.5XiB", "XiB"),
            ("5 bananas", "bananas"),
            ("1ZiB", "ZiB"),
            ("1YiB", "YiB"),
            ("1 i", "i"),
            ("1ib", "ib"),
            ("1KiBs", "KiBs"),
            ("1\tKiB", "\tKiB"),
            ("1.2.3KiB", ".3KiB"),
            ("1 µB", "µB"),
        ] {
            assert_eq!(
                err(s),
                ByteSizeError::UnknownUnit {
                    input: s.to_owned(),
                    unit: unit.to_owned()
                },
                "{s:?}"
            );
        }
    }

    #[test]
    fn rejects_more_than_one_space() {
        for s in ["1  KiB", "937   GiB", "1 \tKiB"] {
            assert!(matches!(err(s), ByteSizeError::ExtraSpace { .. }), "{s:?}");
        }
    }

    #[test]
    fn rejects_overlong_mantissas() {
        let s = format!("{}B", "1".repeat(31));
        assert!(matches!(err(&s), ByteSizeError::TooManyDigits { .. }));
        let s = format!("1.{}KiB", "0".repeat(30));
        assert!(matches!(err(&s), ByteSizeError::TooManyDigits { .. }));
        let s = format!("{}B", "9".repeat(10_000));
        assert!(matches!(err(&s), ByteSizeError::TooManyDigits { .. }));
    }

    #[test]
    fn error_messages_name_the_input() {
        assert_eq!(
            err("5 bananas").to_string(),
            r#"invalid byte size "5 bananas": unknown unit "bananas""#
        );
        assert_eq!(err("").to_string(), r#"invalid byte size "": empty"#);
        assert_eq!(
            err("-1B").to_string(),
            r#"invalid byte size "-1B": negative sizes are not allowed"#
        );
        assert_eq!(
            err("17EiB").to_string(),
            r#"byte size "17EiB" is larger than 16EiB, the 64-bit limit"#
        );
        assert!(err(".5KiB").to_string().contains(r#"".5KiB""#));
        assert!(err("1  B").to_string().contains(r#""1  B""#));
        let long = "1".repeat(31);
        assert!(err(&long).to_string().contains("more than 30 digits"));
    }

    /// Test-only emulation of go-units `BytesSize`: `fmt.Sprintf("%.4g%s")`
    /// after dividing by 1024 while the value is >= 1024.
    ///
    /// Go's `%.4g` (strconv `formatDigits`, case 'g') rounds to 4 significant
    /// digits, drops trailing zeros (`prec = digs.nd` when `prec > digs.dp`)
    /// and switches to exponent form only when the decimal exponent is < -4
    /// or >= the precision. Here the value is 0 or in [1, 1024), so the
    /// exponent is 0..=3 (1023.95 rounds to 1.024e3, still 3) and the output
    /// is always fixed notation; when the 4 digits have no trailing zeros
    /// eprec stays 4, and when they do (e.g. "1000") nd < dp keeps eprec at 4
    /// as well. Both Go (ryu fixed) and Rust round exact ties to even.
    fn go_units_bytes_size(n: u64) -> String {
        const UNITS: [&str; 9] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];
        // Go converts to float64 before dividing; mirror that rounding.
        let mut size = n as f64;
        let mut unit = 0;
        while size >= 1024.0 && unit < UNITS.len() - 1 {
            size /= 1024.0;
            unit += 1;
        }
        format!("{}{}", go_percent_4g(size), UNITS[unit])
    }

    fn go_percent_4g(x: f64) -> String {
        if x == 0.0 {
            return "0".to_owned();
        }
        let sci = format!("{x:.3e}");
        let (mantissa, exp) = sci.split_once('e').unwrap();
        let exp: usize = exp.parse().unwrap();
        assert!(exp <= 3, "{x} formatted as {sci}");
        let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
        let (int, frac) = digits.split_at(exp + 1);
        let frac = frac.trim_end_matches('0');
        if frac.is_empty() {
            int.to_owned()
        } else {
            format!("{int}.{frac}")
        }
    }

    #[test]
    fn go_units_emulation_matches_known_pd_output() {
        assert_eq!(go_units_bytes_size(0), "0B");
        assert_eq!(go_units_bytes_size(1023), "1023B");
        assert_eq!(go_units_bytes_size(1000), "1000B");
        assert_eq!(go_units_bytes_size(1024), "1KiB");
        assert_eq!(go_units_bytes_size(1536), "1.5KiB");
        assert_eq!(go_units_bytes_size(1_048_575), "1024KiB");
        assert_eq!(go_units_bytes_size(2_000_000_000), "1.863GiB");
        assert_eq!(go_units_bytes_size(1_920_846_813_725), "1.747TiB");
        assert_eq!(go_units_bytes_size(1000 * GIB), "1000GiB");
        assert_eq!(go_units_bytes_size(u64::MAX), "16EiB");
        // Exact tie (1.0625 KiB) rounds to even like Go.
        assert_eq!(go_units_bytes_size(1088), "1.062KiB");
    }

    /// Any `u64`, spread evenly over magnitudes so every unit gets exercised
    /// (uniform `u64`s are almost all PiB/EiB).
    fn any_magnitude() -> impl Strategy<Value = u64> {
        (any::<u64>(), 0u32..64).prop_map(|(n, shift)| n >> shift)
    }

    proptest! {
        #[test]
        fn parses_go_units_output_within_rounding_error(n in any_magnitude()) {
            let printed = go_units_bytes_size(n);
            let parsed = parse_pd_byte_size(&printed)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let diff = u128::from(parsed.abs_diff(n));
            // 4 significant digits: half a unit in the 4th digit is at most
            // 0.05% of the value; +1 for rounding to whole bytes.
            let bound = u128::from(n) * 5 / 10_000 + 1;
            prop_assert!(diff <= bound, "{n} printed {printed:?} parsed {parsed}");
            if n < 1024 {
                prop_assert_eq!(parsed, n);
            }
        }

        #[test]
        fn parses_small_exact_byte_counts(n in 0u64..1024) {
            prop_assert_eq!(parse_pd_byte_size(&go_units_bytes_size(n)), Ok(n));
            prop_assert_eq!(parse_pd_byte_size(&format!("{n} B")), Ok(n));
        }

        #[test]
        fn space_and_case_do_not_change_the_value(n in any_magnitude()) {
            let printed = go_units_bytes_size(n);
            let split = printed.find(|c: char| c.is_ascii_alphabetic()).unwrap();
            let (number, unit) = printed.split_at(split);
            let humanized = format!("{number} {}", unit.to_ascii_lowercase());
            prop_assert_eq!(parse_pd_byte_size(&humanized), parse_pd_byte_size(&printed));
        }

        #[test]
        fn never_panics_on_arbitrary_strings(s in any::<String>()) {
            let _ = parse_pd_byte_size(&s);
        }

        #[test]
        fn never_panics_on_size_like_strings(s in "[ \\-+.0-9eEkKmMgGtTpPiIbB µ]{0,40}") {
            let _ = parse_pd_byte_size(&s);
        }
    }
}
