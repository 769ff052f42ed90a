//! Go's wire formats, reproduced byte for byte: the two JSON renderers PD uses (`rd.JSON`, which is
//! `json.MarshalIndent` plus a newline, and easyjson's compact output behind `rd.Data`), go-units
//! byte sizes (`%.4g`), `time.Duration.String()`, RFC 3339 with nanoseconds, and the texts of the
//! `strconv`, `encoding/hex` and `net/url` errors that PD hands back verbatim.
//!
//! Nothing here knows about PD objects; `bodies` decides what to write.

use std::fmt::Write as _;

/// How a [`JsonWriter`] lays out its output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    /// `json.MarshalIndent(v, "", "  ")`: one member per line, `"key": value`.
    Indent,
    /// easyjson / `json.Marshal`: no whitespace at all.
    Compact,
}

/// A streaming JSON writer with Go's formatting rules. The caller writes members in the order Go
/// would (struct field order), and skips `omitempty` fields itself.
pub(crate) struct JsonWriter {
    out: String,
    layout: Layout,
    /// One entry per open container: whether it already holds an element.
    open: Vec<bool>,
    /// A key was just written, so the next value follows it on the same line.
    after_key: bool,
}

impl JsonWriter {
    pub(crate) fn new(layout: Layout) -> Self {
        Self::with_capacity(layout, 256)
    }

    pub(crate) fn with_capacity(layout: Layout, capacity: usize) -> Self {
        Self {
            out: String::with_capacity(capacity),
            layout,
            open: Vec::with_capacity(8),
            after_key: false,
        }
    }

    /// The text written so far; `rd.JSON` bodies still need [`JsonWriter::finish_indented`].
    pub(crate) fn into_string(self) -> String {
        self.out
    }

    /// The `rd.JSON` body: the indented text plus the trailing newline `render` appends.
    pub(crate) fn finish_indented(mut self) -> String {
        self.out.push('\n');
        self.out
    }

    /// Takes what was written so far, leaving the writer's nesting state in place (for streaming).
    pub(crate) fn take(&mut self) -> String {
        std::mem::take(&mut self.out)
    }

    fn newline(&mut self) {
        self.out.push('\n');
        for _ in 0..self.open.len() {
            self.out.push_str("  ");
        }
    }

    /// Separator and indentation before a new element (a value in an array, or a key).
    fn before_element(&mut self) {
        if self.after_key {
            self.after_key = false;
            return;
        }
        if let Some(has_elements) = self.open.last_mut() {
            let first = !*has_elements;
            *has_elements = true;
            if !first {
                self.out.push(',');
            }
            if self.layout == Layout::Indent {
                self.newline();
            }
        }
    }

    pub(crate) fn begin_object(&mut self) {
        self.before_element();
        self.out.push('{');
        self.open.push(false);
    }

    pub(crate) fn end_object(&mut self) {
        self.close('}');
    }

    pub(crate) fn begin_array(&mut self) {
        self.before_element();
        self.out.push('[');
        self.open.push(false);
    }

    pub(crate) fn end_array(&mut self) {
        self.close(']');
    }

    fn close(&mut self, bracket: char) {
        let had_elements = self.open.pop().unwrap_or(false);
        if had_elements && self.layout == Layout::Indent {
            self.newline();
        }
        self.out.push(bracket);
    }

    pub(crate) fn key(&mut self, name: &str) {
        self.before_element();
        write_go_string(&mut self.out, name);
        self.out.push(':');
        if self.layout == Layout::Indent {
            self.out.push(' ');
        }
        self.after_key = true;
    }

    pub(crate) fn string(&mut self, value: &str) {
        self.before_element();
        write_go_string(&mut self.out, value);
    }

    /// A string that is known to need no escaping (hex digits, fixed names): skips the scan.
    pub(crate) fn plain_string(&mut self, value: &str) {
        self.before_element();
        self.out.push('"');
        self.out.push_str(value);
        self.out.push('"');
    }

    pub(crate) fn u64(&mut self, value: u64) {
        self.before_element();
        let _ = write!(self.out, "{value}");
    }

    pub(crate) fn i64(&mut self, value: i64) {
        self.before_element();
        let _ = write!(self.out, "{value}");
    }

    /// A float64 the way `encoding/json` prints it.
    pub(crate) fn f64(&mut self, value: f64) {
        self.before_element();
        self.out.push_str(&go_json_float(value));
    }

    pub(crate) fn bool(&mut self, value: bool) {
        self.before_element();
        self.out.push_str(if value { "true" } else { "false" });
    }

    pub(crate) fn null(&mut self) {
        self.before_element();
        self.out.push_str("null");
    }

    /// Writes a member `"name": <u64>`.
    pub(crate) fn field_u64(&mut self, name: &str, value: u64) {
        self.key(name);
        self.u64(value);
    }

    pub(crate) fn field_i64(&mut self, name: &str, value: i64) {
        self.key(name);
        self.i64(value);
    }

    pub(crate) fn field_f64(&mut self, name: &str, value: f64) {
        self.key(name);
        self.f64(value);
    }

    pub(crate) fn field_str(&mut self, name: &str, value: &str) {
        self.key(name);
        self.string(value);
    }

    pub(crate) fn field_bool(&mut self, name: &str, value: bool) {
        self.key(name);
        self.bool(value);
    }
}

/// A JSON string literal with `encoding/json`'s escaping (HTML-safe, Go 1.22+ short escapes).
pub(crate) fn write_go_string(out: &mut String, value: &str) {
    out.push('"');
    let mut plain_from = 0;
    for (at, c) in value.char_indices() {
        let escape: Option<&str> = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            '\u{8}' => Some("\\b"),
            '\u{c}' => Some("\\f"),
            '<' => Some("\\u003c"),
            '>' => Some("\\u003e"),
            '&' => Some("\\u0026"),
            '\u{2028}' => Some("\\u2028"),
            '\u{2029}' => Some("\\u2029"),
            c if (c as u32) < 0x20 => None,
            _ => continue,
        };
        out.push_str(&value[plain_from..at]);
        match escape {
            Some(text) => out.push_str(text),
            None => {
                let _ = write!(out, "\\u00{:02x}", c as u32);
            }
        }
        plain_from = at + c.len_utf8();
    }
    out.push_str(&value[plain_from..]);
    out.push('"');
}

/// The JSON text of a lone string, as `rd.JSON(w, status, "message")` writes it.
pub(crate) fn indented_json_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 4);
    write_go_string(&mut out, value);
    out.push('\n');
    out
}

/// A float64 as `encoding/json` writes it: shortest round-trip digits, fixed notation unless the
/// magnitude is below 1e-6 or at least 1e21, exponents without leading zeros (`1e-7`, `1e+21`).
pub(crate) fn go_json_float(value: f64) -> String {
    if !value.is_finite() {
        // encoding/json refuses these; PD never sends them. Keep the document valid.
        return "null".to_owned();
    }
    let magnitude = value.abs();
    if magnitude != 0.0 && !(1e-6..1e21).contains(&magnitude) {
        // Rust prints `1e21` / `1.5e-7`; Go prints `1e+21` / `1.5e-07` and then trims the zero.
        let text = format!("{value:e}");
        match text.split_once('e') {
            Some((mantissa, exp)) if !exp.starts_with('-') => format!("{mantissa}e+{exp}"),
            _ => text,
        }
    } else {
        // Rust's Display is the shortest round-trip representation in fixed notation, which is
        // what strconv.FormatFloat(f, 'f', -1, 64) gives; `1.0` prints as `1` in both.
        format!("{value}")
    }
}

const BINARY_UNITS: [&str; 9] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];

/// PD's `typeutil.ByteSize` text: go-units `BytesSize`, i.e. `fmt.Sprintf("%.4g%s", size, unit)`
/// after dividing a float64 by 1024 while it is at least 1024.
pub(crate) fn go_byte_size(bytes: u64) -> String {
    // Go converts to float64 first (round to nearest even), exactly as `as f64` does.
    let mut size = bytes as f64;
    let mut unit = 0;
    while size >= 1024.0 && unit < BINARY_UNITS.len() - 1 {
        size /= 1024.0;
        unit += 1;
    }
    format!("{}{}", format_g4(size), BINARY_UNITS[unit])
}

/// `%.4g` for 0 <= value < 10000 (all go-units can produce): four significant digits, rounded
/// half to even on the exact binary value, trailing zeros and a trailing dot removed.
fn format_g4(value: f64) -> String {
    if value == 0.0 {
        return "0".to_owned();
    }
    // value = mantissa * 2^exp exactly.
    let bits = value.to_bits();
    let raw_exp = ((bits >> 52) & 0x7ff) as i32;
    let raw_mantissa = bits & ((1u64 << 52) - 1);
    let (mantissa, exp) = if raw_exp == 0 {
        (raw_mantissa, -1074)
    } else {
        (raw_mantissa | (1u64 << 52), raw_exp - 1075)
    };
    // Integer digits of the value (1..=4 here), so four significant digits need 10^(4-d).
    let mut int_digits = if value >= 1000.0 {
        4
    } else if value >= 100.0 {
        3
    } else if value >= 10.0 {
        2
    } else if value >= 1.0 {
        1
    } else {
        // 0 < value < 1 never happens for byte sizes (sizes are integers >= 1 before division,
        // and division stops at >= 1). Fall back to Rust's own rounding.
        return trim_fraction(format!("{value:.4}"));
    };
    let scale = 10u128.pow(4 - int_digits);
    let numerator = u128::from(mantissa) * scale;
    let mut digits = if exp >= 0 {
        numerator << exp
    } else {
        let shift = (-exp) as u32;
        if shift >= 128 {
            0
        } else {
            let denominator = 1u128 << shift;
            let quotient = numerator / denominator;
            let remainder = numerator % denominator;
            let twice = remainder * 2;
            if twice > denominator || (twice == denominator && quotient % 2 == 1) {
                quotient + 1
            } else {
                quotient
            }
        }
    };
    if digits >= 10_000 {
        // 999.95 rounds up to 1000: one more integer digit.
        digits /= 10;
        int_digits += 1;
    }
    let text = digits.to_string();
    let split = (int_digits as usize).min(text.len());
    let (whole, fraction) = text.split_at(split);
    if int_digits as usize > text.len() {
        // Only when value >= 10000, which go-units cannot produce below YiB.
        let mut whole = text.clone();
        whole.extend(std::iter::repeat_n('0', int_digits as usize - text.len()));
        return whole;
    }
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        whole.to_owned()
    } else {
        format!("{whole}.{fraction}")
    }
}

fn trim_fraction(text: String) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

/// `time.Duration(nanos).String()`.
pub(crate) fn go_duration(nanos: i64) -> String {
    if nanos == 0 {
        return "0s".to_owned();
    }
    let negative = nanos < 0;
    let u = nanos.unsigned_abs();
    let mut out = String::with_capacity(24);
    if negative {
        out.push('-');
    }
    if u < 1_000_000_000 {
        let (prec, unit) = if u < 1_000 {
            (0, "ns")
        } else if u < 1_000_000 {
            (3, "µs")
        } else {
            (6, "ms")
        };
        push_with_fraction(&mut out, u, prec);
        out.push_str(unit);
        return out;
    }
    let seconds = u / 1_000_000_000;
    let fraction = u % 1_000_000_000;
    let (hours, minutes, secs) = (seconds / 3600, (seconds / 60) % 60, seconds % 60);
    if hours > 0 {
        let _ = write!(out, "{hours}h{minutes}m");
    } else if minutes > 0 {
        let _ = write!(out, "{minutes}m");
    }
    push_with_fraction(&mut out, secs * 1_000_000_000 + fraction, 9);
    out.push('s');
    out
}

/// `value / 10^prec` with up to `prec` fractional digits, trailing zeros (and dot) dropped.
fn push_with_fraction(out: &mut String, value: u64, prec: u32) {
    let scale = 10u64.pow(prec);
    let whole = value / scale;
    let fraction = value % scale;
    let _ = write!(out, "{whole}");
    if fraction != 0 {
        let digits = format!("{fraction:0width$}", width = prec as usize);
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
}

/// `time.Unix(0, nanos).Format(time.RFC3339Nano)` in a PD process running in UTC.
pub(crate) fn go_rfc3339_nano(nanos: i64) -> String {
    let seconds = nanos.div_euclid(1_000_000_000);
    let fraction = nanos.rem_euclid(1_000_000_000) as u64;
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let mut out = format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        of_day / 3600,
        (of_day / 60) % 60,
        of_day % 60
    );
    if fraction != 0 {
        let digits = format!("{fraction:09}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `strconv.Quote` of raw bytes (what `%q` and strconv's `NumError` print).
/// Go's `time.Time.String()` of a UTC instant with a monotonic clock reading:
/// `2025-03-10 08:15:10.102947561 +0000 UTC m=+612300.220145838`; `monotonic_ns` is the
/// reading (time since the process started). Go's zero time prints without one.
pub(crate) fn go_time_string(nanos: i64, monotonic_ns: Option<i64>) -> String {
    let rfc = go_rfc3339_nano(nanos);
    let (date, rest) = rfc.split_once('T').unwrap_or((&rfc, ""));
    let clock = rest.trim_end_matches('Z');
    let mut out = format!("{date} {clock} +0000 UTC");
    if let Some(m) = monotonic_ns {
        let sign = if m < 0 { '-' } else { '+' };
        let m = m.unsigned_abs();
        out.push_str(&format!(
            " m={sign}{}.{:09}",
            m / 1_000_000_000,
            m % 1_000_000_000
        ));
    }
    out
}

/// Go's zero `time.Time` as `String()` prints it.
pub(crate) const GO_ZERO_TIME_STRING: &str = "0001-01-01 00:00:00 +0000 UTC";

pub(crate) fn go_quote(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\u{7}' => out.push_str("\\a"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{b}' => out.push_str("\\v"),
                c if go_is_print(c) => out.push(c),
                c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                    let _ = write!(out, "\\x{:02x}", c as u32);
                }
                c if (c as u32) < 0x10000 => {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                }
                c => {
                    let _ = write!(out, "\\U{:08x}", c as u32);
                }
            }
        }
        for byte in chunk.invalid() {
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
    out.push('"');
    out
}

/// An approximation of Go's `strconv.IsPrint` (letters, marks, numbers, punctuation, symbols and
/// the ASCII space): exact for ASCII and Latin-1, close enough beyond.
fn go_is_print(c: char) -> bool {
    match c as u32 {
        0x20..=0x7e => true,
        0..=0x1f | 0x7f..=0xa0 | 0xad => false,
        _ => {
            !c.is_control()
                && !c.is_whitespace()
                && !matches!(c as u32, 0x200b..=0x200f | 0x2028..=0x202e | 0x2060..=0x206f | 0xfeff | 0xfff9..=0xfffb)
        }
    }
}

/// Why a Go integer parse failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NumErrorKind {
    Syntax,
    Range,
}

fn num_error(func: &str, input: &[u8], kind: NumErrorKind) -> String {
    let reason = match kind {
        NumErrorKind::Syntax => "invalid syntax",
        NumErrorKind::Range => "value out of range",
    };
    format!("strconv.{func}: parsing {}: {reason}", go_quote(input))
}

/// `strconv.ParseUint(s, 10, 64)`, with Go's error text.
pub(crate) fn go_parse_uint(input: &[u8]) -> Result<u64, String> {
    parse_decimal_u64(input).map_err(|kind| num_error("ParseUint", input, kind))
}

fn parse_decimal_u64(input: &[u8]) -> Result<u64, NumErrorKind> {
    if input.is_empty() {
        return Err(NumErrorKind::Syntax);
    }
    let mut value: u64 = 0;
    let mut overflow = false;
    for &byte in input {
        if !byte.is_ascii_digit() {
            return Err(NumErrorKind::Syntax);
        }
        match value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(byte - b'0')))
        {
            Some(next) => value = next,
            None => overflow = true,
        }
    }
    if overflow {
        Err(NumErrorKind::Range)
    } else {
        Ok(value)
    }
}

/// `strconv.Atoi(s)` on a 64-bit platform, with Go's error text.
pub(crate) fn go_atoi(input: &[u8]) -> Result<i64, String> {
    let (negative, digits) = match input.first() {
        Some(b'+') => (false, &input[1..]),
        Some(b'-') => (true, &input[1..]),
        _ => (false, input),
    };
    let magnitude = parse_decimal_u64(digits).map_err(|kind| num_error("Atoi", input, kind))?;
    let limit = if negative {
        1u64 << 63
    } else {
        (1u64 << 63) - 1
    };
    if magnitude > limit {
        return Err(num_error("Atoi", input, NumErrorKind::Range));
    }
    Ok(if negative {
        (magnitude as i64).wrapping_neg()
    } else {
        magnitude as i64
    })
}

/// `hex.DecodeString`, with `encoding/hex`'s error texts.
pub(crate) fn go_hex_decode(input: &[u8]) -> Result<Vec<u8>, String> {
    fn nibble(byte: u8) -> Option<u8> {
        match byte {
            b'0'..=b'9' => Some(byte - b'0'),
            b'a'..=b'f' => Some(byte - b'a' + 10),
            b'A'..=b'F' => Some(byte - b'A' + 10),
            _ => None,
        }
    }
    let mut out = Vec::with_capacity(input.len() / 2);
    let mut pairs = input.chunks_exact(2);
    for pair in &mut pairs {
        let high = nibble(pair[0]).ok_or_else(|| invalid_hex_byte(pair[0]))?;
        let low = nibble(pair[1]).ok_or_else(|| invalid_hex_byte(pair[1]))?;
        out.push((high << 4) | low);
    }
    if let [last] = pairs.remainder() {
        // Go reports a bad character before the odd length.
        if nibble(*last).is_none() {
            return Err(invalid_hex_byte(*last));
        }
        return Err("encoding/hex: odd length hex string".to_owned());
    }
    Ok(out)
}

/// `hex.InvalidByteError`: `fmt.Sprintf("encoding/hex: invalid byte: %#U", rune(b))`.
fn invalid_hex_byte(byte: u8) -> String {
    let c = char::from(byte);
    if go_is_print(c) {
        format!(
            "encoding/hex: invalid byte: U+{:04X} '{c}'",
            u32::from(byte)
        )
    } else {
        format!("encoding/hex: invalid byte: U+{:04X}", u32::from(byte))
    }
}

/// `url.QueryUnescape`: `%XX` escapes and `+` as space, with Go's `EscapeError` text.
pub(crate) fn go_query_unescape(input: &[u8]) -> Result<Vec<u8>, String> {
    percent_decode(input, true)
}

/// Percent-decoding as Go's URL parser does for a path (`+` stays `+`).
pub(crate) fn go_path_unescape(input: &[u8]) -> Result<Vec<u8>, String> {
    percent_decode(input, false)
}

fn percent_decode(input: &[u8], plus_is_space: bool) -> Result<Vec<u8>, String> {
    fn hex_value(byte: u8) -> Option<u8> {
        (byte as char).to_digit(16).map(|d| d as u8)
    }
    let mut out = Vec::with_capacity(input.len());
    let mut at = 0;
    while at < input.len() {
        match input[at] {
            b'%' => {
                let escape = input
                    .get(at + 1)
                    .copied()
                    .and_then(hex_value)
                    .zip(input.get(at + 2).copied().and_then(hex_value));
                match escape {
                    Some((high, low)) => {
                        out.push((high << 4) | low);
                        at += 3;
                    }
                    None => {
                        let end = (at + 3).min(input.len());
                        return Err(format!("invalid URL escape {}", go_quote(&input[at..end])));
                    }
                }
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                at += 1;
            }
            byte => {
                out.push(byte);
                at += 1;
            }
        }
    }
    Ok(out)
}

/// `url.ParseQuery` as `r.URL.Query()` uses it: pairs with a bad escape or a semicolon are
/// dropped, everything else kept in order, raw bytes.
pub(crate) fn go_parse_query(query: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut pairs = Vec::new();
    for part in query.split(|&b| b == b'&') {
        if part.is_empty() || part.contains(&b';') {
            continue;
        }
        let (key, value) = match part.iter().position(|&b| b == b'=') {
            Some(eq) => (&part[..eq], &part[eq + 1..]),
            None => (part, &part[part.len()..]),
        };
        if let (Ok(key), Ok(value)) = (go_query_unescape(key), go_query_unescape(value)) {
            pairs.push((key, value));
        }
    }
    pairs
}

/// Uppercase hex of raw bytes (`core.HexRegionKeyStr`).
pub(crate) fn push_upper_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    out.reserve(bytes.len() * 2);
    for &byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_sizes_match_go_units() {
        let cases: &[(u64, &str)] = &[
            (0, "0B"),
            (1, "1B"),
            (512, "512B"),
            (1023, "1023B"),
            (1024, "1KiB"),
            (1536, "1.5KiB"),
            (4096, "4KiB"),
            (1_048_575, "1024KiB"),
            (1_048_064, "1024KiB"),
            (2_000_000_000, "1.863GiB"),
            (100 * (1 << 30), "100GiB"),
            (1000 * (1 << 30), "1000GiB"),
            ((1 << 40) + (1 << 30), "1.001TiB"),
            (1_920_846_813_725, "1.747TiB"),
            (1_099_510_579_200, "1024GiB"),
            (304_807_936, "290.7MiB"),
            (u64::MAX, "16EiB"),
            (17 * (1 << 59), "8.5EiB"),
        ];
        for &(bytes, want) in cases {
            assert_eq!(go_byte_size(bytes), want, "{bytes} bytes");
        }
    }

    #[test]
    fn durations_match_go() {
        let cases: &[(i64, &str)] = &[
            (611_410_795_882_640, "169h50m10.79588264s"),
            (3_600_000_000_000, "1h0m0s"),
            (3_600_500_000_000, "1h0m0.5s"),
            (532_000, "532µs"),
            (1_500, "1.5µs"),
            (250_000_000, "250ms"),
            (7, "7ns"),
            (999, "999ns"),
            (45_000_000_000, "45s"),
            (61_000_000_000, "1m1s"),
            (2_180_480_549_971, "36m20.480549971s"),
            (3_598_000_000_001, "59m58.000000001s"),
            (1_800_000_000_000, "30m0s"),
            (0, "0s"),
            (-1_500_000_000, "-1.5s"),
        ];
        for &(nanos, want) in cases {
            assert_eq!(go_duration(nanos), want, "{nanos} ns");
        }
    }

    #[test]
    fn timestamps_are_rfc3339_nano_utc() {
        assert_eq!(
            go_rfc3339_nano(1_741_594_522_795_882_640),
            "2025-03-10T08:15:22.79588264Z"
        );
        assert_eq!(
            go_rfc3339_nano(1_740_983_112_000_000_000),
            "2025-03-03T06:25:12Z"
        );
        assert_eq!(go_rfc3339_nano(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            go_rfc3339_nano(951_782_400_000_000_001),
            "2000-02-29T00:00:00.000000001Z"
        );
    }

    #[test]
    fn json_escapes_html_and_controls_like_go() {
        let mut out = String::new();
        write_go_string(&mut out, "a<b>&c\"d\\e\nf\u{1}g\u{8}µ\u{2028}");
        assert_eq!(out, r#""a\u003cb\u003e\u0026c\"d\\e\nf\u0001g\bµ\u2028""#);
    }

    #[test]
    fn floats_print_like_encoding_json() {
        assert_eq!(go_json_float(1.0), "1");
        assert_eq!(go_json_float(0.5), "0.5");
        assert_eq!(go_json_float(127.38727094442186), "127.38727094442186");
        assert_eq!(go_json_float(1e21), "1e+21");
        assert_eq!(go_json_float(1e-7), "1e-7");
        assert_eq!(go_json_float(0.0), "0");
        assert_eq!(go_json_float(2202009.6), "2202009.6");
        assert_eq!(go_json_float(1e20), "100000000000000000000");
    }

    #[test]
    fn indented_and_compact_layouts() {
        let mut w = JsonWriter::new(Layout::Indent);
        w.begin_object();
        w.field_u64("count", 0);
        w.key("stores");
        w.begin_array();
        w.end_array();
        w.key("o");
        w.begin_object();
        w.end_object();
        w.key("list");
        w.begin_array();
        w.u64(1);
        w.begin_object();
        w.field_str("k", "v");
        w.end_object();
        w.end_array();
        w.end_object();
        assert_eq!(
            w.finish_indented(),
            "{\n  \"count\": 0,\n  \"stores\": [],\n  \"o\": {},\n  \"list\": [\n    1,\n    {\n      \"k\": \"v\"\n    }\n  ]\n}\n"
        );
        let mut w = JsonWriter::new(Layout::Compact);
        w.begin_object();
        w.field_u64("count", 1);
        w.key("regions");
        w.begin_array();
        w.begin_object();
        w.field_str("role_name", "");
        w.end_object();
        w.end_array();
        w.end_object();
        assert_eq!(
            w.into_string(),
            r#"{"count":1,"regions":[{"role_name":""}]}"#
        );
    }

    #[test]
    fn strconv_errors_match_go() {
        assert_eq!(
            go_atoi(b"up").unwrap_err(),
            r#"strconv.Atoi: parsing "up": invalid syntax"#
        );
        assert_eq!(go_atoi(b"-12"), Ok(-12));
        assert_eq!(go_atoi(b"+3"), Ok(3));
        assert_eq!(
            go_atoi(b"99999999999999999999").unwrap_err(),
            r#"strconv.Atoi: parsing "99999999999999999999": value out of range"#
        );
        assert_eq!(go_atoi(b"-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(
            go_parse_uint(b"abc").unwrap_err(),
            r#"strconv.ParseUint: parsing "abc": invalid syntax"#
        );
        assert_eq!(
            go_parse_uint(b"+1").unwrap_err(),
            r#"strconv.ParseUint: parsing "+1": invalid syntax"#
        );
        assert_eq!(go_parse_uint(b"18446744073709551615"), Ok(u64::MAX));
        assert_eq!(
            go_parse_uint(b"\"\xff\n").unwrap_err(),
            r#"strconv.ParseUint: parsing "\"\xff\n": invalid syntax"#
        );
    }

    #[test]
    fn hex_and_url_errors_match_go() {
        assert_eq!(
            go_hex_decode(b"0g").unwrap_err(),
            "encoding/hex: invalid byte: U+0067 'g'"
        );
        assert_eq!(
            go_hex_decode(b"abc").unwrap_err(),
            "encoding/hex: odd length hex string"
        );
        assert_eq!(
            go_hex_decode(b"ab\x00").unwrap_err(),
            "encoding/hex: invalid byte: U+0000"
        );
        assert_eq!(go_hex_decode(b"74800000"), Ok(vec![0x74, 0x80, 0, 0]));
        assert_eq!(go_query_unescape(b"a+b%41"), Ok(b"a bA".to_vec()));
        assert_eq!(
            go_query_unescape(b"%zz").unwrap_err(),
            r#"invalid URL escape "%zz""#
        );
        assert_eq!(
            go_query_unescape(b"x%4").unwrap_err(),
            r#"invalid URL escape "%4""#
        );
        let pairs = go_parse_query(b"state=0&state=1&bad=%zz&a;b=1&key=%74%80&flag");
        let pairs: Vec<(&[u8], &[u8])> = pairs
            .iter()
            .map(|(k, v)| (k.as_slice(), v.as_slice()))
            .collect();
        assert_eq!(
            pairs,
            vec![
                (&b"state"[..], &b"0"[..]),
                (b"state", b"1"),
                (b"key", b"\x74\x80"),
                (b"flag", b"")
            ]
        );
    }
}
