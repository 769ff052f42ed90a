//! TiDB's key encoding, as region boundaries carry it: table prefixes `t{table_id}`, record keys
//! `t{table_id}_r{handle}` and index keys `t{table_id}_i{index_id}{value}`, with comparable int64s,
//! and the whole key wrapped in the memcomparable byte encoding (`codec.EncodeBytes`): groups of 8
//! bytes, each followed by `0xFF - pad`.
//!
//! Keys are built in fixed buffers: a region page of 10,000 regions allocates nothing per key.

use std::fmt;

/// Longest raw key the simulator builds: `t` + id + `_i` + index id + int datum (1 + 8 + 2 + 8 + 9).
const MAX_RAW: usize = 28;
/// Its memcomparable length: 4 groups of 9.
const MAX_ENCODED: usize = 36;

/// A raw (unencoded) TiDB key.
#[derive(Clone, Copy)]
pub(crate) struct RawKey {
    buf: [u8; MAX_RAW],
    len: u8,
}

impl RawKey {
    fn new() -> Self {
        Self {
            buf: [0; MAX_RAW],
            len: 0,
        }
    }

    fn push(&mut self, bytes: &[u8]) {
        let at = usize::from(self.len);
        self.buf[at..at + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len() as u8;
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }

    /// `t{table_id}`.
    pub(crate) fn table(table_id: i64) -> Self {
        let mut key = Self::new();
        key.push(b"t");
        key.push(&comparable_i64(table_id));
        key
    }

    /// `t{table_id}_r`: the start of the table's rows.
    pub(crate) fn record_prefix(table_id: i64) -> Self {
        let mut key = Self::table(table_id);
        key.push(b"_r");
        key
    }

    /// `t{table_id}_r{handle}`.
    pub(crate) fn row(table_id: i64, handle: i64) -> Self {
        let mut key = Self::record_prefix(table_id);
        key.push(&comparable_i64(handle));
        key
    }

    /// `t{table_id}_i{index_id}` followed by one int datum (flag 0x03, comparable int64).
    pub(crate) fn index_value(table_id: i64, index_id: i64, value: i64) -> Self {
        let mut key = Self::table(table_id);
        key.push(b"_i");
        key.push(&comparable_i64(index_id));
        key.push(&[0x03]);
        key.push(&comparable_i64(value));
        key
    }

    /// The memcomparable encoding PD sees as the region key.
    pub(crate) fn encode(&self) -> RegionKey {
        let raw = self.as_bytes();
        let mut out = RegionKey::empty();
        let mut at = 0;
        loop {
            let group = &raw[at.min(raw.len())..(at + 8).min(raw.len())];
            let pad = 8 - group.len();
            let start = usize::from(out.len);
            out.buf[start..start + group.len()].copy_from_slice(group);
            // Padding bytes are already zero.
            out.buf[start + 8] = 0xff - pad as u8;
            out.len += 9;
            at += 8;
            if pad > 0 {
                break;
            }
        }
        out
    }
}

/// int64 in TiDB's comparable form: big-endian with the sign bit flipped.
fn comparable_i64(value: i64) -> [u8; 8] {
    ((value as u64) ^ (1 << 63)).to_be_bytes()
}

/// A region boundary key as PD stores it (memcomparable-encoded; empty means unbounded).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RegionKey {
    buf: [u8; MAX_ENCODED],
    len: u8,
}

impl RegionKey {
    /// The empty key: −∞ as a start key, +∞ as an end key.
    pub fn empty() -> Self {
        Self {
            buf: [0; MAX_ENCODED],
            len: 0,
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Uppercase hex, as PD prints `start_key` and `end_key`.
    pub fn to_hex(&self) -> String {
        let mut out = String::with_capacity(usize::from(self.len) * 2);
        super::go_format::push_upper_hex(&mut out, self.as_bytes());
        out
    }
}

impl Ord for RegionKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl PartialOrd for RegionKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Debug for RegionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegionKey({})", self.to_hex())
    }
}

impl std::ops::Deref for RegionKey {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_the_fixtures() {
        assert_eq!(
            RawKey::table(5).encode().to_hex(),
            "7480000000000000FF0500000000000000F8"
        );
        assert_eq!(
            RawKey::record_prefix(15).encode().to_hex(),
            "7480000000000000FF0F5F720000000000FA"
        );
        assert_eq!(
            RawKey::row(15, 500_000).encode().to_hex(),
            "7480000000000000FF0F5F728000000000FF07A1200000000000FA"
        );
        // 28 raw bytes: three full groups and a fourth with 4 bytes.
        assert_eq!(RawKey::index_value(15, 1, 7).encode().len(), 36);
    }

    #[test]
    fn encoding_preserves_order() {
        let keys = [
            RawKey::table(5),
            RawKey::index_value(5, 1, -3),
            RawKey::index_value(5, 1, 9),
            RawKey::index_value(5, 2, 0),
            RawKey::record_prefix(5),
            RawKey::row(5, -1),
            RawKey::row(5, 0),
            RawKey::row(5, 1 << 40),
            RawKey::table(6),
        ];
        for pair in keys.windows(2) {
            assert!(pair[0].as_bytes() < pair[1].as_bytes());
            assert!(pair[0].encode() < pair[1].encode());
        }
    }

    #[test]
    fn full_group_gets_an_extra_empty_group() {
        let mut key = RawKey::new();
        key.push(b"abcdefgh");
        assert_eq!(
            key.encode().to_hex(),
            "6162636465666768FF0000000000000000F7"
        );
    }
}
