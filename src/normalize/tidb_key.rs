//! What TiKV region boundary keys mean to TiDB.
//!
//! PD stores each region boundary as the memcomparable "bytes" encoding of a raw key: the raw
//! bytes are cut into groups of 8, each group is padded with `0x00` to 8 bytes and followed by a
//! marker byte `0xFF - pad` (so `0xFF` after a full group). The last group is always present and
//! always padded: a raw key whose length is a multiple of 8 ends with
//! `00 00 00 00 00 00 00 00 F7`.
//!
//! The raw keys TiDB writes are:
//!
//! * `t{table_id}`: the start of a table's data;
//! * `t{table_id}_r{handle}`: a row, with an 8-byte integer handle, or with the encoded primary
//!   key of a clustered (common handle) table when the part after `_r` is not 8 bytes long;
//! * `t{table_id}_i{index_id}{values}`: an index entry;
//! * `m…`: TiDB metadata;
//! * any of these after `x` + a 3-byte keyspace id (API v2).
//!
//! Integers (`table_id`, `handle`, `index_id`) are 8 bytes big-endian with the sign bit flipped,
//! so that they sort as signed numbers.
//!
//! TiKV may split regions at keys cut in the middle of an encoding group. Such keys decode to the
//! part that is certainly present and are marked `truncated`; a key that is not a valid
//! encoding in any other way (bad marker, non-zero padding, bytes after the final group) has no
//! TiDB meaning.

use std::fmt::Write as _;

use crate::model::{DecodedKey, KeyKind};

/// Data bytes per encoding group.
const GROUP_LEN: usize = 8;
/// Marker after a group with no padding; the marker is `MARKER_FULL - pad`.
const MARKER_FULL: u8 = 0xFF;
/// Marker after a group that is all padding (`MARKER_FULL - 8`).
const MARKER_EMPTY: u8 = 0xF7;
/// First byte of a table key.
const TABLE_PREFIX: u8 = b't';
/// First byte of a TiDB meta key.
const META_PREFIX: u8 = b'm';
/// First byte of an API v2 transactional keyspace key.
const KEYSPACE_PREFIX: u8 = b'x';
/// Separator before a row's handle.
const ROW_SEP: &[u8] = b"_r";
/// Separator before an index id.
const INDEX_SEP: &[u8] = b"_i";

/// A decoded key of `kind` with nothing else known yet.
fn new_key(kind: KeyKind, keyspace_id: Option<u32>, truncated: bool) -> DecodedKey {
    DecodedKey {
        kind,
        table_id: None,
        row_handle: None,
        common_handle_hex: None,
        index_id: None,
        index_values_hex: None,
        keyspace_id,
        truncated,
    }
}

/// Decodes a region boundary as PD stores it (memcomparable-encoded bytes). `None` when the key
/// has no TiDB meaning: empty, not a valid encoding, or not a TiDB table or meta key.
pub fn decode_region_key(raw: &[u8]) -> Option<DecodedKey> {
    let (key, truncated) = decode_memcomparable(raw)?;
    parse_tidb_key(&key, truncated)
}

/// [`decode_region_key`] for the hex form PD's API shows (uppercase or lowercase). `None` for
/// `""`, odd-length or non-hex input, and keys without TiDB meaning.
pub fn decode_hex_region_key(hex: &str) -> Option<DecodedKey> {
    decode_region_key(&hex_decode(hex)?)
}

/// The raw (not memcomparable-encoded) TiDB row key `t{table_id}_r{handle}` for an integer
/// handle.
pub fn encode_row_key(table_id: i64, handle: i64) -> Vec<u8> {
    let mut key = Vec::with_capacity(1 + 8 + ROW_SEP.len() + 8);
    key.push(TABLE_PREFIX);
    key.extend_from_slice(&encode_comparable_i64(table_id));
    key.extend_from_slice(ROW_SEP);
    key.extend_from_slice(&encode_comparable_i64(handle));
    key
}

/// The raw (not memcomparable-encoded) prefix `t{table_id}_i{index_id}` of an index's keys.
pub fn encode_index_key_prefix(table_id: i64, index_id: i64) -> Vec<u8> {
    let mut key = Vec::with_capacity(1 + 8 + INDEX_SEP.len() + 8);
    key.push(TABLE_PREFIX);
    key.extend_from_slice(&encode_comparable_i64(table_id));
    key.extend_from_slice(INDEX_SEP);
    key.extend_from_slice(&encode_comparable_i64(index_id));
    key
}

/// The memcomparable "bytes" encoding of a raw key, as region boundaries are stored: groups of 8
/// bytes, each padded with zeros and followed by `0xFF - pad`, always ending with a padded group.
pub fn encode_region_key(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity((raw.len() / GROUP_LEN + 1) * (GROUP_LEN + 1));
    let mut groups = raw.chunks_exact(GROUP_LEN);
    for group in &mut groups {
        out.extend_from_slice(group);
        out.push(MARKER_FULL);
    }
    let last = groups.remainder();
    // `chunks_exact` leaves fewer than 8 bytes, so `pad` is 1..=8.
    let pad = GROUP_LEN - last.len();
    out.extend_from_slice(last);
    out.extend(std::iter::repeat_n(0, pad));
    out.push(MARKER_FULL - pad as u8);
    out
}

/// Decodes the memcomparable "bytes" encoding: the raw bytes and whether the encoding was cut
/// short (`true` when it ends inside a group or lacks the final, padded group). `None` for empty
/// input, a marker outside `0xF7..=0xFF`, non-zero padding, or bytes after the final group.
///
/// Of a trailing partial group only the bytes up to its last non-zero byte are kept: those are
/// certainly data, while trailing zeros may be padding. So the result of a cut encoding is
/// always a prefix of the raw key.
fn decode_memcomparable(encoded: &[u8]) -> Option<(Vec<u8>, bool)> {
    if encoded.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(encoded.len() / (GROUP_LEN + 1) * GROUP_LEN + GROUP_LEN);
    let mut groups = encoded.chunks_exact(GROUP_LEN + 1);
    for group in &mut groups {
        let (&marker, data) = group.split_last()?;
        if marker == MARKER_FULL {
            out.extend_from_slice(data);
            continue;
        }
        if !(MARKER_EMPTY..MARKER_FULL).contains(&marker) {
            return None;
        }
        let pad = usize::from(MARKER_FULL - marker);
        let (kept, padding) = data.split_at_checked(GROUP_LEN.checked_sub(pad)?)?;
        if padding.iter().any(|&b| b != 0) {
            return None;
        }
        // The padded group is the last one: nothing may follow it.
        if groups.next().is_some() || !groups.remainder().is_empty() {
            return None;
        }
        out.extend_from_slice(kept);
        return Some((out, false));
    }
    let partial = groups.remainder();
    let certain = partial.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    out.extend_from_slice(partial.get(..certain)?);
    Some((out, true))
}

/// Interprets a raw (decoded) key as TiDB does; `truncated` says the encoding was cut short.
fn parse_tidb_key(key: &[u8], truncated: bool) -> Option<DecodedKey> {
    let (keyspace_id, key) = match key.split_first() {
        Some((&KEYSPACE_PREFIX, rest)) => {
            let (&[a, b, c], rest) = rest.split_first_chunk::<3>()?;
            (Some(u32::from_be_bytes([0, a, b, c])), rest)
        }
        _ => (None, key),
    };
    let (&first, rest) = key.split_first()?;
    match first {
        META_PREFIX => Some(new_key(KeyKind::Meta, keyspace_id, truncated)),
        TABLE_PREFIX => parse_table_key(rest, keyspace_id, truncated),
        _ => None,
    }
}

/// Interprets what follows the `t` of a table key.
fn parse_table_key(key: &[u8], keyspace_id: Option<u32>, truncated: bool) -> Option<DecodedKey> {
    let (&table_id, rest) = key.split_first_chunk::<8>()?;
    let table_id = Some(decode_comparable_i64(table_id));

    if let Some(handle) = rest.strip_prefix(ROW_SEP) {
        let mut decoded = new_key(KeyKind::Row, keyspace_id, truncated);
        decoded.table_id = table_id;
        if let Ok(handle) = <[u8; 8]>::try_from(handle) {
            decoded.row_handle = Some(decode_comparable_i64(handle));
        } else if handle.len() > 8 {
            decoded.common_handle_hex = Some(hex_upper(handle));
        } else if !handle.is_empty() {
            decoded.truncated = true;
        }
        return Some(decoded);
    }

    if let Some(index) = rest.strip_prefix(INDEX_SEP) {
        let mut decoded = new_key(KeyKind::Index, keyspace_id, truncated);
        decoded.table_id = table_id;
        match index.split_first_chunk::<8>() {
            Some((&index_id, values)) => {
                decoded.index_id = Some(decode_comparable_i64(index_id));
                decoded.index_values_hex = (!values.is_empty()).then(|| hex_upper(values));
            }
            None => decoded.truncated |= !index.is_empty(),
        }
        return Some(decoded);
    }

    // `t{table_id}` alone, or cut inside the `_r` / `_i` separator.
    let cut_in_separator = !rest.is_empty() && ROW_SEP.starts_with(rest);
    if rest.is_empty() || cut_in_separator {
        let mut decoded = new_key(KeyKind::TablePrefix, keyspace_id, truncated);
        decoded.table_id = table_id;
        decoded.truncated |= cut_in_separator;
        return Some(decoded);
    }
    None
}

/// TiDB's comparable integer: big-endian with the sign bit flipped.
fn encode_comparable_i64(value: i64) -> [u8; 8] {
    (value ^ i64::MIN).to_be_bytes()
}

fn decode_comparable_i64(bytes: [u8; 8]) -> i64 {
    i64::from_be_bytes(bytes) ^ i64::MIN
}

fn hex_upper(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        // Writing to a `String` cannot fail.
        let _ = write!(out, "{byte:02X}");
    }
    out
}

/// Bytes from hex (upper or lower case); `None` for odd lengths and non-hex characters.
pub fn hex_decode(hex: &str) -> Option<Vec<u8>> {
    let pairs = hex.as_bytes().chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return None;
    }
    pairs
        .map(|pair| match *pair {
            [hi, lo] => Some((hex_nibble(hi)? << 4) | hex_nibble(lo)?),
            _ => None,
        })
        .collect()
}

fn hex_nibble(c: u8) -> Option<u8> {
    char::from(c)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn table_prefix_key(table_id: i64) -> Vec<u8> {
        let mut key = vec![TABLE_PREFIX];
        key.extend_from_slice(&encode_comparable_i64(table_id));
        key
    }

    fn hex_region(raw: &[u8]) -> String {
        hex_upper(&encode_region_key(raw))
    }

    fn expect(hex: &str) -> DecodedKey {
        decode_hex_region_key(hex).unwrap_or_else(|| panic!("{hex} should decode"))
    }

    fn table_prefix(table_id: i64) -> DecodedKey {
        DecodedKey {
            table_id: Some(table_id),
            ..new_key(KeyKind::TablePrefix, None, false)
        }
    }

    fn row(table_id: i64, handle: i64) -> DecodedKey {
        DecodedKey {
            table_id: Some(table_id),
            row_handle: Some(handle),
            ..new_key(KeyKind::Row, None, false)
        }
    }

    #[test]
    fn documented_example_encodes_and_decodes_as_table_prefix() {
        let raw = table_prefix_key(5);
        assert_eq!(hex_upper(&raw), "748000000000000005");
        assert_eq!(hex_region(&raw), "7480000000000000FF0500000000000000F8");
        assert_eq!(
            expect("7480000000000000FF0500000000000000F8"),
            table_prefix(5)
        );
    }

    #[test]
    fn pd_fixture_table_prefixes_decode() {
        for (hex, table_id) in [
            ("7480000000000000FF0500000000000000F8", 5),
            ("7480000000000000FF1D00000000000000F8", 29),
            ("7480000000000000FF1F00000000000000F8", 31),
            ("7480000000000000FF0900000000000000F8", 9),
        ] {
            assert_eq!(expect(hex), table_prefix(table_id), "{hex}");
        }
    }

    #[test]
    fn pd_fixture_row_key_with_handle_split_across_groups_decodes() {
        // Groups: `74 80 00 00 00 00 00 00|FF`, `AF 5F 72 80 00 00 00 39|FF`,
        // `C4 D7 83` + 5 pad|FA. Handle bytes `80 00 00 00 39 C4 D7 83`: 0x39C4D783.
        let hex = "7480000000000000FFAF5F728000000039FFC4D7830000000000FA";
        assert_eq!(expect(hex), row(175, 0x39C4_D783));
        assert_eq!(0x39C4_D783, 969_201_539);
        assert_eq!(hex_region(&encode_row_key(175, 969_201_539)), hex);
    }

    #[test]
    fn row_key_round_trips_through_encoding_and_hex() {
        let hex = hex_region(&encode_row_key(5, 1));
        assert_eq!(
            hex,
            "7480000000000000FF055F728000000000FF0000010000000000FA"
        );
        assert_eq!(expect(&hex), row(5, 1));
    }

    #[test]
    fn negative_and_extreme_ids_round_trip() {
        for (table_id, handle) in [
            (-1, -1),
            (-5, 42),
            (5, -42),
            (i64::MIN, i64::MIN),
            (i64::MAX, i64::MAX),
            (i64::MIN, i64::MAX),
            (i64::MAX, i64::MIN),
            (0, 0),
        ] {
            let hex = hex_region(&encode_row_key(table_id, handle));
            assert_eq!(expect(&hex), row(table_id, handle), "{table_id} {handle}");
            assert_eq!(
                expect(&hex_region(&table_prefix_key(table_id))),
                table_prefix(table_id)
            );
        }
        assert_eq!(encode_row_key(i64::MIN, 0).get(1..9), Some(&[0u8; 8][..]));
        assert_eq!(
            encode_row_key(-1, 0).get(1..9),
            Some(&[0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF][..])
        );
    }

    #[test]
    fn index_key_with_values_decodes() {
        // An index on an integer column: datum flag 0x03 + comparable int 42.
        let mut raw = encode_index_key_prefix(31, 2);
        raw.extend_from_slice(&[0x03, 0x80, 0, 0, 0, 0, 0, 0, 0x2A]);
        let decoded = expect(&hex_region(&raw));
        assert_eq!(
            decoded,
            DecodedKey {
                table_id: Some(31),
                index_id: Some(2),
                index_values_hex: Some("03800000000000002A".to_owned()),
                ..new_key(KeyKind::Index, None, false)
            }
        );
    }

    #[test]
    fn index_prefix_has_no_values() {
        let decoded = expect(&hex_region(&encode_index_key_prefix(-7, i64::MAX)));
        assert_eq!(
            decoded,
            DecodedKey {
                table_id: Some(-7),
                index_id: Some(i64::MAX),
                ..new_key(KeyKind::Index, None, false)
            }
        );
    }

    #[test]
    fn bare_row_and_index_prefixes_decode_without_ids() {
        let mut raw = table_prefix_key(9);
        raw.extend_from_slice(ROW_SEP);
        let decoded = expect(&hex_region(&raw));
        assert_eq!(decoded.kind, KeyKind::Row);
        assert_eq!((decoded.table_id, decoded.row_handle), (Some(9), None));
        assert!(!decoded.truncated);

        let mut raw = table_prefix_key(9);
        raw.extend_from_slice(INDEX_SEP);
        let decoded = expect(&hex_region(&raw));
        assert_eq!(decoded.kind, KeyKind::Index);
        assert_eq!((decoded.table_id, decoded.index_id), (Some(9), None));
        assert!(!decoded.truncated);
    }

    #[test]
    fn common_handle_is_reported_as_hex() {
        // A clustered primary key on a bytes column: flag 0x01 + encoded "ab".
        let mut raw = table_prefix_key(12);
        raw.extend_from_slice(ROW_SEP);
        raw.extend_from_slice(&[0x01, b'a', b'b', 0, 0, 0, 0, 0, 0, 0xF9]);
        let decoded = expect(&hex_region(&raw));
        assert_eq!(
            decoded,
            DecodedKey {
                table_id: Some(12),
                common_handle_hex: Some("016162000000000000F9".to_owned()),
                ..new_key(KeyKind::Row, None, false)
            }
        );
    }

    #[test]
    fn short_row_handle_and_index_id_are_truncated() {
        let mut raw = encode_row_key(5, 1);
        raw.truncate(raw.len() - 3);
        let decoded = expect(&hex_region(&raw));
        assert_eq!(decoded.kind, KeyKind::Row);
        assert_eq!((decoded.table_id, decoded.row_handle), (Some(5), None));
        assert_eq!(decoded.common_handle_hex, None);
        assert!(decoded.truncated);

        let mut raw = encode_index_key_prefix(5, 1);
        raw.truncate(raw.len() - 1);
        let decoded = expect(&hex_region(&raw));
        assert_eq!(decoded.kind, KeyKind::Index);
        assert_eq!((decoded.table_id, decoded.index_id), (Some(5), None));
        assert!(decoded.truncated);
    }

    #[test]
    fn key_cut_inside_a_group_keeps_what_is_certain() {
        // The table 175 fixture cut after `AF 5F 72 80`: table id and separator are present.
        let decoded = expect("7480000000000000FFAF5F7280");
        assert_eq!(decoded.kind, KeyKind::Row);
        assert_eq!((decoded.table_id, decoded.row_handle), (Some(175), None));
        assert!(decoded.truncated);

        // Cut after `AF 5F`: the table id and half of `_r`.
        let decoded = expect("7480000000000000FFAF5F");
        assert_eq!(decoded.kind, KeyKind::TablePrefix);
        assert_eq!(decoded.table_id, Some(175));
        assert!(decoded.truncated);

        // Cut inside the final group, after the handle is complete.
        let decoded = expect("7480000000000000FFAF5F728000000039FFC4D783");
        assert_eq!(decoded.row_handle, Some(969_201_539));
        assert!(decoded.truncated);

        // Cut right after a full group: the final group is missing.
        let decoded = expect("7480000000000000FFAF5F728000000039FF");
        assert_eq!((decoded.kind, decoded.table_id), (KeyKind::Row, Some(175)));
        assert!(decoded.truncated);

        // Cut before the table id is complete.
        assert_eq!(decode_hex_region_key("7480000000000000FF"), None);
        assert_eq!(decode_hex_region_key("748000"), None);
    }

    #[test]
    fn meta_keys_decode() {
        let decoded = expect(&hex_region(b"mNextGlobalID\x00\x00\x00s"));
        assert_eq!(decoded, new_key(KeyKind::Meta, None, false));
        assert_eq!(
            expect("6D00000000000000F8"),
            new_key(KeyKind::Meta, None, false)
        );
    }

    #[test]
    fn keyspace_prefixed_keys_decode() {
        let mut raw = vec![KEYSPACE_PREFIX, 0x00, 0x01, 0x02];
        raw.extend_from_slice(&encode_row_key(70, -3));
        let decoded = expect(&hex_region(&raw));
        assert_eq!(
            decoded,
            DecodedKey {
                keyspace_id: Some(0x0102),
                ..row(70, -3)
            }
        );

        let mut raw = vec![KEYSPACE_PREFIX, 0xFF, 0xFF, 0xFF];
        raw.extend_from_slice(&table_prefix_key(5));
        assert_eq!(
            expect(&hex_region(&raw)),
            DecodedKey {
                keyspace_id: Some(0xFF_FFFF),
                ..table_prefix(5)
            }
        );

        let raw = [KEYSPACE_PREFIX, 0, 0, 1, META_PREFIX, b'D', b'B'];
        assert_eq!(
            expect(&hex_region(&raw)),
            new_key(KeyKind::Meta, Some(1), false)
        );
    }

    #[test]
    fn keys_without_tidb_meaning_are_none() {
        for raw in [
            &b""[..],
            b"x\x00\x00\x01",                        // keyspace alone
            b"x\x00\x01",                            // keyspace id cut short
            b"x\x00\x00\x01r123",                    // raw KV in a keyspace
            b"r\x00\x00\x01abc",                     // raw KV
            b"zzz",                                  // TiKV-internal or unknown
            b"t",                                    // table id missing
            b"t\x80\x00\x00\x00\x00\x00\x00\x05xyz", // unknown part after the table id
        ] {
            assert_eq!(decode_region_key(&encode_region_key(raw)), None, "{raw:?}");
        }
    }

    #[test]
    fn hex_decoding_accepts_lowercase() {
        let upper = "7480000000000000FFAF5F728000000039FFC4D7830000000000FA";
        assert_eq!(
            decode_hex_region_key(&upper.to_ascii_lowercase()),
            decode_hex_region_key(upper)
        );
        assert_eq!(
            expect("7480000000000000fF1d00000000000000f8"),
            table_prefix(29)
        );
    }

    #[test]
    fn garbage_and_invalid_encodings_are_none() {
        for hex in [
            "",
            "ZZ",
            "7G",
            "748",                                    // odd length
            "7480000000000000FF0500000000000000F",    // odd length
            " 7480000000000000FF0500000000000000F8",  // whitespace
            "7480000000000000FF0500000000000000F6",   // marker below 0xF7
            "7480000000000000F0",                     // marker below 0xF7
            "7480000000000000FF0500000000000000F800", // bytes after the final group
            "0000000000000000F70000000000000000F7",   // padded group that is not last
            "7480000000000000FE",                     // valid, but the table id is cut short
            "7480000000000000FF0500000000000001F8",   // non-zero padding
            "7480000000000000FF0500000000000100F9",   // non-zero padding
            "7480000000000000FF05000000000000FFF8",   // non-zero padding
            "74é0",                                   // not ASCII
        ] {
            assert_eq!(decode_hex_region_key(hex), None, "{hex:?}");
        }
    }

    #[test]
    fn memcomparable_edge_cases() {
        assert_eq!(encode_region_key(b""), [0, 0, 0, 0, 0, 0, 0, 0, 0xF7]);
        assert_eq!(
            encode_region_key(b"12345678"),
            *b"12345678\xFF\x00\x00\x00\x00\x00\x00\x00\x00\xF7"
        );
        assert_eq!(encode_region_key(b"1234567"), *b"1234567\x00\xFE");
        assert_eq!(decode_memcomparable(&[]), None);
        assert_eq!(
            decode_memcomparable(&[0, 0, 0, 0, 0, 0, 0, 0, 0xF7]),
            Some((vec![], false))
        );
        // Cut inside the final group: trailing zeros may be padding and are dropped.
        assert_eq!(
            decode_memcomparable(b"ab\x00c\x00\x00"),
            Some((b"ab\x00c".to_vec(), true))
        );
        assert_eq!(
            decode_memcomparable(b"12345678\xFF"),
            Some((b"12345678".to_vec(), true))
        );
    }

    #[test]
    fn output_schema_uses_snake_case_names_and_doc_descriptions() {
        #[derive(utoipa::OpenApi)]
        #[openapi(components(schemas(DecodedKey, KeyKind)))]
        struct Doc;
        let json = <Doc as utoipa::OpenApi>::openapi()
            .to_json()
            .expect("schema serializes");
        for needle in [
            "\"table_prefix\"",
            "\"row_handle\"",
            "\"common_handle_hex\"",
            "\"index_values_hex\"",
            "\"keyspace_id\"",
            "What a region boundary key means to TiDB.",
            "The API v2 keyspace id",
        ] {
            assert!(json.contains(needle), "{needle} missing from {json}");
        }
    }

    proptest! {
        #[test]
        fn row_keys_round_trip(table_id in any::<i64>(), handle in any::<i64>()) {
            let decoded = decode_region_key(&encode_region_key(&encode_row_key(table_id, handle)));
            prop_assert_eq!(decoded, Some(row(table_id, handle)));
        }

        #[test]
        fn index_keys_round_trip(
            table_id in any::<i64>(),
            index_id in any::<i64>(),
            values in prop::collection::vec(any::<u8>(), 0..40),
        ) {
            let mut raw = encode_index_key_prefix(table_id, index_id);
            raw.extend_from_slice(&values);
            let decoded = decode_region_key(&encode_region_key(&raw));
            prop_assert_eq!(
                decoded,
                Some(DecodedKey {
                    table_id: Some(table_id),
                    index_id: Some(index_id),
                    index_values_hex: (!values.is_empty()).then(|| hex_upper(&values)),
                    ..new_key(KeyKind::Index, None, false)
                })
            );
        }

        #[test]
        fn memcomparable_round_trips(raw in prop::collection::vec(any::<u8>(), 0..80)) {
            let encoded = encode_region_key(&raw);
            prop_assert_eq!(encoded.len() % (GROUP_LEN + 1), 0);
            prop_assert_eq!(decode_memcomparable(&encoded), Some((raw, false)));
        }

        #[test]
        fn memcomparable_preserves_order(
            a in prop::collection::vec(any::<u8>(), 0..40),
            b in prop::collection::vec(any::<u8>(), 0..40),
        ) {
            prop_assert_eq!(a.cmp(&b), encode_region_key(&a).cmp(&encode_region_key(&b)));
        }

        #[test]
        fn cut_encoding_decodes_to_a_prefix(
            raw in prop::collection::vec(any::<u8>(), 0..40),
            cut in any::<prop::sample::Index>(),
        ) {
            let encoded = encode_region_key(&raw);
            let cut = cut.index(encoded.len() + 1);
            let decoded = decode_memcomparable(encoded.get(..cut).unwrap_or_default());
            if cut == 0 {
                prop_assert_eq!(decoded, None);
            } else {
                let (prefix, truncated) = decoded.expect("a cut encoding decodes");
                if cut == encoded.len() {
                    prop_assert_eq!((prefix, truncated), (raw, false));
                } else {
                    // Every group complete before the cut is a full group of data.
                    prop_assert!(raw.starts_with(&prefix));
                    prop_assert!(prefix.len() >= cut / (GROUP_LEN + 1) * GROUP_LEN);
                    prop_assert!(truncated);
                }
            }
        }

        #[test]
        fn cut_row_keys_keep_their_table(
            table_id in any::<i64>(),
            handle in any::<i64>(),
            cut in any::<prop::sample::Index>(),
        ) {
            let encoded = encode_region_key(&encode_row_key(table_id, handle));
            let cut = cut.index(encoded.len() + 1);
            let decoded = decode_region_key(encoded.get(..cut).unwrap_or_default());
            if let Some(decoded) = &decoded {
                prop_assert_eq!(decoded.table_id, Some(table_id));
                prop_assert!(decoded.row_handle.is_none() || decoded.row_handle == Some(handle));
                prop_assert_eq!(decoded.truncated, cut < encoded.len());
            }
            // The table id and `_` are certainly present from the 11th encoded byte on, `_r` from
            // the 12th.
            if cut >= 11 {
                prop_assert!(decoded.is_some());
            }
            if cut >= 12 {
                prop_assert_eq!(decoded.map(|d| d.kind), Some(KeyKind::Row));
            }
        }

        #[test]
        fn decoding_arbitrary_bytes_never_panics(raw in prop::collection::vec(any::<u8>(), 0..80)) {
            let _ = decode_region_key(&raw);
            let _ = decode_memcomparable(&raw);
            let _ = decode_region_key(&encode_region_key(&raw));
        }

        #[test]
        fn decoding_arbitrary_strings_never_panics(s in any::<String>(), hex in "[0-9a-fA-F]{0,80}") {
            let _ = decode_hex_region_key(&s);
            let _ = decode_hex_region_key(&hex);
        }

        #[test]
        fn hex_form_matches_bytes(raw in prop::collection::vec(any::<u8>(), 0..60)) {
            let hex = hex_upper(&raw);
            prop_assert_eq!(hex_decode(&hex), Some(raw.clone()));
            prop_assert_eq!(decode_hex_region_key(&hex), decode_region_key(&raw));
            prop_assert_eq!(decode_hex_region_key(&hex.to_ascii_lowercase()), decode_region_key(&raw));
        }
    }
}
