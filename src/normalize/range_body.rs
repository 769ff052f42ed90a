//! A range query's answer read straight from Prometheus' body into the JSON of the public
//! answer's `series`, in one pass, without building the wire types or the model first.
//!
//! A 1,000-series × 240-point answer is 5 MB of JSON holding 240,000 `[time, "value"]` pairs.
//! Decoding it through serde into `wire::MatrixSeries` and then the model cost tens of
//! milliseconds, mostly in allocating and visiting each pair; this reader walks the bytes once,
//! copies each value text that is already the JSON serde would print for it (see
//! [`super::sample::decimal_is_json`]), parses and prints only the others, and writes each
//! series as soon as it is read. A large body's series are read in two halves on two threads
//! (`Reader::series_in_two`): Prometheus, done with its answer, leaves a core idle meanwhile.
//!
//! It reads one shape only: the one Prometheus, Thanos, VictoriaMetrics and Mimir send for a
//! successful matrix (`{"status":"success","data":{"resultType":"matrix","result":[...]}}`,
//! any unknown keys, `warnings` and `infos`). For anything else, an error, another result type,
//! keys it does not know how to order, escapes where it does not expect them, a sample value
//! that does not parse, a body that is not JSON, it declines (`None`) and the general decoder
//! (`wire::Envelope` and [`super::sample::range_result`]) answers, with the errors it always
//! gave. So what it must never do is accept a body the general decoder would refuse, or write
//! other bytes than serde writes for the model that decoder builds; the tests hold both.
//! Every value it does not read itself (labels, warnings, unknown keys) is handed to serde_json,
//! so escapes, UTF-8 and duplicate label names mean exactly what they mean to the decoder.

use std::collections::BTreeMap;
use std::io::Write;

use bytes::Bytes;
use serde::de::IgnoredAny;

use super::sample::{self, SampleValue, decimal_is_json, grid_index, timestamp_ms};
use crate::chunked::ChunkWriter;
use crate::model::{NonFinite, NonFinitePoint, Warning};
use crate::upstream::prometheus::RangeParams;

/// The `series` of a range answer, as JSON: `{series},{series},...` (without the brackets) in
/// chunks, exactly what serde writes for the model's series list between its brackets.
#[derive(Debug, Default)]
pub(crate) struct RenderedRange {
    /// The series' JSON, comma-separated, in chunks.
    pub(crate) json: Vec<Bytes>,
    /// Prometheus' warnings and infos, as [`sample::warnings`] makes them.
    pub(crate) warnings: Vec<Warning>,
}

/// Reads a success answer's body of a range query over `range` into the answer's series, or
/// declines (`None`) so that the general decoder reads it. `Some` also says the body is a
/// well-formed success answer (the client may keep it).
pub(crate) fn render_range(body: &[u8], range: RangeParams) -> Option<RenderedRange> {
    render_range_in_two_from(body, range, IN_TWO_FROM_BYTES)
}

/// From this size on, a body's series are read by two threads (see `Reader::series_in_two`):
/// a 1,000-series answer is about 5 MB and 5 ms of reading, a thread costs tens of microseconds.
const IN_TWO_FROM_BYTES: usize = 512 * 1024;

/// [`render_range`], its series read in two halves when at least `in_two_from` bytes of them
/// remain (tests cut small bodies too).
pub(crate) fn render_range_in_two_from(
    body: &[u8],
    range: RangeParams,
    in_two_from: usize,
) -> Option<RenderedRange> {
    let mut reader = Reader {
        body,
        pos: 0,
        axis_len: sample::grid(range).len(),
        range,
        in_two_from,
    };
    let rendered = reader.envelope()?;
    reader.ws();
    (reader.pos == body.len()).then_some(rendered)
}

/// The benchmark's entry to [`render_range`] (on one thread, or two for a large body): how many
/// bytes of series JSON it writes, `None` when it declines. Not part of the API.
#[doc(hidden)]
pub fn render_range_json_len(body: &[u8], range: RangeParams, in_two: bool) -> Option<usize> {
    let in_two_from = if in_two {
        IN_TWO_FROM_BYTES
    } else {
        usize::MAX
    };
    render_range_in_two_from(body, range, in_two_from).map(|r| r.json.iter().map(Bytes::len).sum())
}

/// Where the reader is in the body.
#[derive(Clone, Copy)]
struct Reader<'a> {
    body: &'a [u8],
    pos: usize,
    range: RangeParams,
    axis_len: usize,
    /// How many bytes of series make reading them in two halves worth a thread.
    in_two_from: usize,
}

/// One grid point of the series being read.
#[derive(Debug, Clone, Copy)]
enum Cell {
    /// No sample on this point: `null`.
    Missing,
    /// A value whose text (`body[start..end]`, with `.0` appended when `point`) is its JSON.
    Text {
        start: usize,
        end: usize,
        point: bool,
    },
    /// A value serde prints.
    Number(f64),
    /// NaN or an infinity: `null`, listed in `non_finite`.
    NonFinite(NonFinite),
}

/// The keys of the envelope the decoder knows; each may appear once.
#[derive(Default)]
struct Seen {
    status: bool,
    data: bool,
    error_type: bool,
    error: bool,
    warnings: bool,
    infos: bool,
}

/// Marks a key as seen; `None` when it was already (the decoder refuses duplicate fields).
fn once(seen: &mut bool) -> Option<()> {
    (!std::mem::replace(seen, true)).then_some(())
}

impl<'a> Reader<'a> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.body.get(self.pos).copied()
    }

    /// Skips JSON whitespace.
    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.pos += 1;
        }
    }

    /// Consumes `byte` after optional whitespace.
    #[inline]
    fn eat(&mut self, byte: u8) -> Option<()> {
        // Compact bodies (all of Prometheus') have no whitespace: look before skipping any.
        if self.peek() != Some(byte) {
            self.ws();
        }
        (self.peek() == Some(byte)).then(|| self.pos += 1)
    }

    /// After a member or element: `true` at `,`, `false` at `close`.
    #[inline]
    fn more(&mut self, close: u8) -> Option<bool> {
        if !matches!(self.peek(), Some(b',')) {
            self.ws();
        }
        match self.peek()? {
            b',' => {
                self.pos += 1;
                Some(true)
            }
            b if b == close => {
                self.pos += 1;
                Some(false)
            }
            _ => None,
        }
    }

    /// A string without escapes or control characters, as the bytes between its quotes.
    #[inline]
    fn plain_string(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let start = self.pos;
        let len = self.body[start..]
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
        if self.body[start + len] != b'"' {
            return None;
        }
        self.pos = start + len + 1;
        Some(&self.body[start..start + len])
    }

    /// An object key and its colon. Keys with escapes are declined: the decoder would unescape
    /// them before matching.
    fn key(&mut self) -> Option<&'a [u8]> {
        let key = self.plain_string()?;
        self.eat(b':')?;
        Some(key)
    }

    /// Reads the next value with serde_json, as the decoder would read it there.
    fn serde_value<T: serde::de::DeserializeOwned>(&mut self) -> Option<T> {
        let mut values =
            serde_json::Deserializer::from_slice(&self.body[self.pos..]).into_iter::<T>();
        let value = values.next()?.ok()?;
        self.pos += values.byte_offset();
        Some(value)
    }

    /// Skips a value the decoder ignores (an unknown key's). serde_json checks it is JSON; its
    /// nesting is bounded here so that it stays within the decoder's recursion limit, which
    /// counts from the top of the body.
    fn skip_unknown(&mut self, key: &[u8]) -> Option<()> {
        // The decoder matches the key as a string: it must be UTF-8.
        std::str::from_utf8(key).ok()?;
        let start = self.pos;
        self.serde_value::<IgnoredAny>()?;
        (nesting(&self.body[start..self.pos]) <= 64).then_some(())
    }

    /// `{"status":"success","data":{...},...}`.
    fn envelope(&mut self) -> Option<RenderedRange> {
        self.eat(b'{')?;
        let mut seen = Seen::default();
        let mut rendered = None;
        let (mut warnings, mut infos) = (Vec::<String>::new(), Vec::<String>::new());
        self.ws();
        if self.peek() == Some(b'}') {
            return None;
        }
        loop {
            match self.key()? {
                b"status" => {
                    once(&mut seen.status)?;
                    if self.plain_string()? != b"success" {
                        return None;
                    }
                }
                b"data" => {
                    once(&mut seen.data)?;
                    rendered = Some(self.data()?);
                }
                b"errorType" => {
                    once(&mut seen.error_type)?;
                    self.serde_value::<Option<String>>()?;
                }
                b"error" => {
                    once(&mut seen.error)?;
                    self.serde_value::<Option<String>>()?;
                }
                b"warnings" => {
                    once(&mut seen.warnings)?;
                    warnings = self.serde_value()?;
                }
                b"infos" => {
                    once(&mut seen.infos)?;
                    infos = self.serde_value()?;
                }
                other => self.skip_unknown(other)?,
            }
            if !self.more(b'}')? {
                break;
            }
        }
        let mut rendered = rendered.filter(|_| seen.status)?;
        rendered.warnings = sample::prometheus_warnings(&warnings, &infos);
        Some(rendered)
    }

    /// `{"resultType":"matrix","result":[...]}`: the type must come first, so that the result
    /// is known to be a matrix as it is read.
    fn data(&mut self) -> Option<RenderedRange> {
        self.eat(b'{')?;
        let (mut result_type, mut rendered) = (false, None);
        loop {
            match self.key()? {
                b"resultType" => {
                    once(&mut result_type)?;
                    if self.plain_string()? != b"matrix" {
                        return None;
                    }
                }
                b"result" if result_type && rendered.is_none() => {
                    rendered = Some(self.result()?);
                }
                b"result" => return None,
                other => self.skip_unknown(other)?,
            }
            if !self.more(b'}')? {
                break;
            }
        }
        rendered
    }

    /// `[{"metric":{...},"values":[...]},...]`, each series written as it is read.
    fn result(&mut self) -> Option<RenderedRange> {
        self.eat(b'[')?;
        self.ws();
        let json = if self.peek() == Some(b']') {
            self.pos += 1;
            Vec::new()
        } else if let Some(json) = self.series_in_two() {
            json
        } else {
            self.series_list(None)?
        };
        Some(RenderedRange {
            json,
            warnings: Vec::new(),
        })
    }

    /// Series, comma-separated, to the closing bracket (consumed), or with `cut` exactly up to
    /// `cut` (where the body given to this reader ends, at the comma before a series).
    fn series_list(&mut self, cut: Option<usize>) -> Option<Vec<Bytes>> {
        let mut out = ChunkWriter::default();
        let mut scratch = Vec::with_capacity(16 * 1024);
        let mut cells = vec![Cell::Missing; self.axis_len];
        let mut first = true;
        loop {
            cells.fill(Cell::Missing);
            let labels = self.series(&mut cells)?;
            scratch.clear();
            if !std::mem::take(&mut first) {
                scratch.push(b',');
            }
            self.write_series(&mut scratch, &labels, &cells)?;
            out.write_all(&scratch).ok()?;
            if cut == Some(self.pos) {
                return Some(out.finish());
            }
            if !self.more(b']')? {
                // The array closed before the cut: the cut was no boundary between series.
                return cut.is_none().then(|| out.finish());
            }
        }
    }

    /// A large array of series read on two threads: cut at the first series boundary Prometheus
    /// writes (`]},{"metric":`) past the middle, the first half read by a helper thread over the
    /// bytes up to the cut, the second by this one to the closing bracket. `None`, with nothing
    /// consumed, when the series are too few bytes, no cut is found near the middle, a thread
    /// cannot be had, or either half fails; the caller then reads them all in one.
    ///
    /// Exact whatever the labels hold: the first half is read from the first series' start, so
    /// it ends exactly at the cut only if the cut is a boundary between two series. A cut inside
    /// a string (a label value holding those bytes) leaves that string unterminated in the first
    /// half's bytes, which then fails.
    fn series_in_two(&mut self) -> Option<Vec<Bytes>> {
        const BOUNDARY: &[u8] = b"]},{\"metric\":";
        /// How far past the middle a boundary is looked for (series are a few KB each).
        const LOOK_BYTES: usize = 256 * 1024;
        let rest = self.body.len() - self.pos;
        if rest < self.in_two_from {
            return None;
        }
        let middle = self.pos + rest / 2;
        let window = &self.body[middle..self.body.len().min(middle + LOOK_BYTES)];
        let at = window
            .iter()
            .enumerate()
            .filter(|&(_, &b)| b == b']')
            .find_map(|(i, _)| window[i..].starts_with(BOUNDARY).then_some(i))?;
        // The comma between the two series.
        let cut = middle + at + 2;
        let mut first = Reader {
            body: &self.body[..cut],
            in_two_from: usize::MAX,
            ..*self
        };
        let mut second = Reader {
            pos: cut + 1,
            in_two_from: usize::MAX,
            ..*self
        };
        let (first_json, second_json) = std::thread::scope(|scope| {
            let helper = std::thread::Builder::new()
                .name("range-reader".into())
                .spawn_scoped(scope, move || first.series_list(Some(cut)))
                .ok()?;
            let second_json = second.series_list(None);
            Some((helper.join().ok()??, second_json?))
        })?;
        self.pos = second.pos;
        let mut json = first_json;
        json.push(Bytes::from_static(b","));
        json.extend(second_json);
        Some(json)
    }

    /// One series: its labels, and its samples laid on the grid in `cells`.
    fn series(&mut self, cells: &mut [Cell]) -> Option<BTreeMap<String, String>> {
        self.eat(b'{')?;
        let (mut metric, mut values) = (None, false);
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Some(BTreeMap::new());
        }
        loop {
            match self.key()? {
                b"metric" if metric.is_none() => metric = Some(self.serde_value()?),
                b"values" if !values => {
                    values = true;
                    self.values(cells)?;
                }
                b"metric" | b"values" => return None,
                other => self.skip_unknown(other)?,
            }
            if !self.more(b'}')? {
                break;
            }
        }
        Some(metric.unwrap_or_default())
    }

    /// `[[time,"value"],...]` onto the grid: a later sample on the same point replaces an
    /// earlier one, a sample outside the grid is dropped (once it is known to be valid), as in
    /// [`sample::align`].
    fn values(&mut self, cells: &mut [Cell]) -> Option<()> {
        self.eat(b'[')?;
        self.ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Some(());
        }
        // Samples usually sit on consecutive grid points: try the next one before dividing.
        let (mut next, mut next_ms) = (0usize, Some(self.range.start_ms));
        loop {
            self.eat(b'[')?;
            let ts = self.timestamp()?;
            self.eat(b',')?;
            let cell = self.value()?;
            self.eat(b']')?;
            let index = if next_ms == Some(ts) && next < cells.len() {
                Some(next)
            } else {
                grid_index(ts, self.range, cells.len())
            };
            if let Some(index) = index {
                cells[index] = cell;
                next = index + 1;
                next_ms = i64::try_from(next)
                    .ok()
                    .and_then(|n| n.checked_mul(self.range.step_ms))
                    .and_then(|offset| offset.checked_add(self.range.start_ms));
            }
            if !self.more(b']')? {
                return Some(());
            }
        }
    }

    /// A sample's time in milliseconds. Whole seconds (at most ten digits) with up to three
    /// decimals are read here, exactly what float parsing and `timestamp_ms` make of them;
    /// anything else is read by serde_json as the decoder reads it.
    #[inline]
    fn timestamp(&mut self) -> Option<i64> {
        self.ws();
        let rest = &self.body[self.pos..];
        // Ten digits (every second from 2001 to 2286) are read eight at a time; other lengths
        // one by one.
        let ten = rest
            .first_chunk::<10>()
            .filter(|_| rest.get(10).is_none_or(|b| !b.is_ascii_digit()))
            .and_then(|ten| {
                let (head, tail) = ten.split_first_chunk::<8>()?;
                let tail = [tail[0].wrapping_sub(b'0'), tail[1].wrapping_sub(b'0')];
                let high = eight_digits(head).filter(|_| tail[0] < 10 && tail[1] < 10)?;
                Some(high * 100 + u64::from(tail[0]) * 10 + u64::from(tail[1]))
            });
        let (mut end, mut ms) = match ten.and_then(|s| i64::try_from(s).ok()) {
            Some(seconds) => (10, seconds),
            None => (0, 0i64),
        };
        while let Some(&b) = rest.get(end).filter(|b| b.is_ascii_digit() && end <= 10) {
            ms = ms * 10 + i64::from(b - b'0');
            end += 1;
        }
        let int = end;
        ms *= 1000;
        let mut frac = 0;
        if rest.get(end) == Some(&b'.') {
            end += 1;
            while let Some(&b) = rest.get(end).filter(|b| b.is_ascii_digit() && frac < 4) {
                ms += i64::from(b - b'0') * [100, 10, 1, 0][frac];
                frac += 1;
                end += 1;
            }
        }
        let simple = (1..=10).contains(&int)
            && (int == 1 || rest[0] != b'0')
            && (frac > 0 || rest.get(int) != Some(&b'.'))
            && frac <= 3
            && matches!(rest.get(end), Some(b',' | b' ' | b'\n' | b'\r' | b'\t'));
        if !simple {
            let seconds = self.serde_value::<f64>()?;
            return timestamp_ms(seconds);
        }
        self.pos += end;
        Some(ms)
    }

    /// A sample's value text, as the cell it becomes; `None` for a text that is not a sample
    /// value (the decoder names the point).
    #[inline]
    fn value(&mut self) -> Option<Cell> {
        let text = self.plain_string()?;
        let end = self.pos - 1;
        let start = end - text.len();
        if let Some(point) = decimal_is_json(text) {
            return Some(Cell::Text { start, end, point });
        }
        let text = std::str::from_utf8(text).ok()?;
        Some(match sample::parse_sample_value(text).ok()? {
            SampleValue::Finite(v) => Cell::Number(v),
            SampleValue::NonFinite(kind) => Cell::NonFinite(kind),
        })
    }

    /// `{"labels":{...},"values":[...],"non_finite":[...]}`, as serde writes a `RangeSeries`.
    fn write_series(
        &self,
        out: &mut Vec<u8>,
        labels: &BTreeMap<String, String>,
        cells: &[Cell],
    ) -> Option<()> {
        // Room for every value at its longest copied text, so that the loop does not grow it.
        out.reserve(cells.len() * 24 + 64);
        out.extend_from_slice(b"{\"labels\":");
        serde_json::to_writer(&mut *out, labels).ok()?;
        out.extend_from_slice(b",\"values\":[");
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            match *cell {
                Cell::Missing | Cell::NonFinite(_) => out.extend_from_slice(b"null"),
                Cell::Text { start, end, point } => {
                    out.extend_from_slice(&self.body[start..end]);
                    if point {
                        out.extend_from_slice(b".0");
                    }
                }
                Cell::Number(v) => serde_json::to_writer(&mut *out, &v).ok()?,
            }
        }
        out.extend_from_slice(b"],\"non_finite\":[");
        let non_finite = cells
            .iter()
            .enumerate()
            .filter_map(|(index, cell)| match cell {
                Cell::NonFinite(value) => Some(NonFinitePoint {
                    index,
                    value: *value,
                }),
                _ => None,
            });
        for (n, point) in non_finite.enumerate() {
            if n > 0 {
                out.push(b',');
            }
            serde_json::to_writer(&mut *out, &point).ok()?;
        }
        out.extend_from_slice(b"]}");
        Some(())
    }
}

/// Eight ASCII digits as their number (the first the most significant); `None` if a byte is not
/// a digit. All eight at once, in one 64-bit word.
#[inline]
fn eight_digits(bytes: &[u8; 8]) -> Option<u64> {
    let word = u64::from_le_bytes(*bytes);
    // A digit is 0x30..=0x39: its high nibble is 3, and still 3 once 6 is added.
    let tops = 0xF0F0_F0F0_F0F0_F0F0;
    let nibbles = (word & tops) | ((word.wrapping_add(0x0606_0606_0606_0606) & tops) >> 4);
    if nibbles != 0x3333_3333_3333_3333 {
        return None;
    }
    // Pairs of digits, then fours, then all eight, each step one multiply per lane.
    let digits = word - 0x3030_3030_3030_3030;
    let pairs = digits.wrapping_mul(10).wrapping_add(digits >> 8);
    let low = pairs & 0x0000_00FF_0000_00FF;
    let high = (pairs >> 16) & 0x0000_00FF_0000_00FF;
    let all = low
        .wrapping_mul(100 + (1_000_000 << 32))
        .wrapping_add(high.wrapping_mul(1 + (10_000 << 32)));
    Some(all >> 32)
}

/// How deeply a JSON value nests arrays and objects (strings skipped).
fn nesting(json: &[u8]) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0, false, false);
    for &b in json {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn eight_digits_read_as_one_by_one(bytes in prop::array::uniform8(prop_oneof![
            8 => b'0'..=b'9',
            1 => any::<u8>(),
        ])) {
            let one_by_one = bytes.iter().try_fold(0u64, |n, b| {
                b.is_ascii_digit().then(|| n * 10 + u64::from(b - b'0'))
            });
            prop_assert_eq!(eight_digits(&bytes), one_by_one);
        }
    }

    #[test]
    fn eight_digits_at_the_edges() {
        assert_eq!(eight_digits(b"00000000"), Some(0));
        assert_eq!(eight_digits(b"99999999"), Some(99_999_999));
        assert_eq!(eight_digits(b"17934876"), Some(17_934_876));
        for bad in [b"1793487/", b":7934876", b"1793 876", b"\xff9999999"] {
            assert_eq!(eight_digits(bad), None);
        }
    }
}
