//! The opaque cursor of the region list: where the next page starts, bound to its cluster and
//! checked for integrity, so a corrupt or edited cursor is a 400 rather than a wrong page.
//!
//! Layout before base64url: version (1 byte), CRC-32 of the cluster name (4), the start key
//! (the raw key bytes as PD stores them), CRC-32 of everything before it (4). A checksum, not a
//! secret: cursors work across replicas and restarts, and carry nothing a client could not ask
//! for directly with `regions/by-key`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::ApiError;

const VERSION: u8 = 1;
/// A cursor holds one key; TiKV keys are small, so anything this long is not ours.
const MAX_CURSOR_CHARS: usize = 16 * 1024;

/// The start of the next page: the key after the previous page's last region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub start_key: Vec<u8>,
}

impl Cursor {
    pub(super) fn encode(&self, cluster: &str) -> String {
        let mut bytes = Vec::with_capacity(self.start_key.len() + 9);
        bytes.push(VERSION);
        bytes.extend_from_slice(&crc32fast::hash(cluster.as_bytes()).to_be_bytes());
        bytes.extend_from_slice(&self.start_key);
        let check = crc32fast::hash(&bytes);
        bytes.extend_from_slice(&check.to_be_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }

    pub(super) fn decode(cluster: &str, raw: &str) -> Result<Cursor, ApiError> {
        let bad = |why: &str| ApiError::BadParameter {
            parameter: "cursor",
            detail: format!(
                "not a cursor this service issued for cluster {cluster:?} ({why}); start again without one"
            ),
        };
        if raw.len() > MAX_CURSOR_CHARS {
            return Err(bad("too long"));
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(raw)
            .map_err(|_| bad("not base64url"))?;
        let Some((body, check)) = bytes.split_last_chunk::<4>() else {
            return Err(bad("too short"));
        };
        if crc32fast::hash(body) != u32::from_be_bytes(*check) {
            return Err(bad("checksum mismatch"));
        }
        let Some((&version, rest)) = body.split_first() else {
            return Err(bad("too short"));
        };
        if version != VERSION {
            return Err(bad("unknown version"));
        }
        let Some((cluster_crc, key)) = rest.split_first_chunk::<4>() else {
            return Err(bad("too short"));
        };
        if u32::from_be_bytes(*cluster_crc) != crc32fast::hash(cluster.as_bytes()) {
            return Err(bad("issued for another cluster"));
        }
        Ok(Cursor {
            start_key: key.to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn round_trip_and_refusals() {
        let c = Cursor {
            start_key: vec![0x74, 0x80, 0, 0, 0, 0, 0, 0, 0xFF, 5],
        };
        let text = c.encode("east");
        assert_eq!(Cursor::decode("east", &text).unwrap(), c);
        assert!(
            Cursor::decode("west", &text).is_err(),
            "bound to its cluster"
        );
        let mut tampered = text.clone().into_bytes();
        let last = tampered.len() / 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert!(Cursor::decode("east", &String::from_utf8(tampered).unwrap()).is_err());
        for junk in ["", "x", "!!!!", "AAAAAAAAAAAA", &"A".repeat(20_000)] {
            match Cursor::decode("east", junk) {
                Err(ApiError::BadParameter { parameter, .. }) => assert_eq!(parameter, "cursor"),
                other => panic!("{junk:?}: {other:?}"),
            }
        }
    }

    proptest! {
        #[test]
        fn any_key_round_trips(key in proptest::collection::vec(any::<u8>(), 0..100)) {
            let c = Cursor { start_key: key };
            prop_assert_eq!(Cursor::decode("c", &c.encode("c")).unwrap(), c);
        }

        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,64}") {
            let _ = Cursor::decode("c", &s);
        }
    }
}
