//! PD's regions to [`Region`], including a page decoder that normalizes each region as it is
//! parsed, so a page of 10,000 regions never exists twice in memory.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::tidb_key::decode_hex_region_key;
use crate::model::{DownPeer, PdId, Peer, PeerRole, Region, RegionEpoch};
use crate::upstream::pd::wire;

const MIB: u64 = 1024 * 1024;

/// Normalizes one region. `None` for PD's "no region" answers: v8.0–v8.5's all-zero object.
pub(crate) fn region(r: wire::RegionInfo) -> Option<Region> {
    region_after(r, None)
}

/// [`region`], reusing the decoded start key when the previous region in a page ends where this
/// one starts (always, in key order): each boundary is decoded once, not twice.
fn region_after(mut r: wire::RegionInfo, previous: Option<&Region>) -> Option<Region> {
    if r.id == 0 {
        return None;
    }
    r.start_key.make_ascii_uppercase();
    r.end_key.make_ascii_uppercase();
    let start_key_decoded = match previous {
        Some(p) if p.end_key == r.start_key => p.end_key_decoded.clone(),
        _ => decode_hex_region_key(&r.start_key),
    };
    let epoch = r.epoch.unwrap_or_default();
    Some(Region {
        id: PdId(r.id),
        start_key_decoded,
        end_key_decoded: decode_hex_region_key(&r.end_key),
        start_key: r.start_key,
        end_key: r.end_key,
        epoch: RegionEpoch {
            conf_ver: epoch.conf_ver,
            version: epoch.version,
        },
        peers: r.peers.into_iter().map(peer).collect(),
        // PD v5.1+ always sends a leader; `{"role_name":""}` (id 0) means there is none.
        leader: r.leader.filter(|l| l.id != 0).map(peer),
        down_peers: r
            .down_peers
            .into_iter()
            .map(|d| DownPeer {
                peer: peer(d.peer),
                down_seconds: d.down_seconds,
            })
            .collect(),
        pending_peers: r.pending_peers.into_iter().map(peer).collect(),
        approximate_size_bytes: u64::try_from(r.approximate_size)
            .unwrap_or(0)
            .saturating_mul(MIB),
        approximate_keys: u64::try_from(r.approximate_keys).unwrap_or(0),
        written_bytes: r.written_bytes,
        read_bytes: r.read_bytes,
        written_keys: r.written_keys,
        read_keys: r.read_keys,
        cpu_usage: r.cpu_usage,
    })
}

fn peer(p: wire::MetaPeer) -> Peer {
    let role = peer_role(&p);
    let unknown_role_name = (role == PeerRole::Unknown).then(|| {
        p.role_name
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| p.role.to_string())
    });
    Peer {
        id: PdId(p.id),
        store_id: PdId(p.store_id),
        role,
        unknown_role_name,
        is_witness: p.is_witness,
    }
}

/// The role from `role_name` (v5.1+), else the numeric `role` (v5.0), else `is_learner` (v4).
fn peer_role(p: &wire::MetaPeer) -> PeerRole {
    match p.role_name.as_deref() {
        Some("Voter") => PeerRole::Voter,
        Some("Learner") => PeerRole::Learner,
        Some("IncomingVoter") => PeerRole::IncomingVoter,
        Some("DemotingVoter") => PeerRole::DemotingVoter,
        Some(_) => PeerRole::Unknown,
        None => match (p.role, p.is_learner) {
            (_, true) | (1, _) => PeerRole::Learner,
            (0, false) => PeerRole::Voter,
            (2, _) => PeerRole::IncomingVoter,
            (3, _) => PeerRole::DemotingVoter,
            _ => PeerRole::Unknown,
        },
    }
}

/// A page of `/regions/key` (`{"count":N,"regions":[...]}`), normalized while it is parsed.
/// PD's all-zero placeholder regions are dropped.
#[derive(Debug)]
pub(crate) struct NormalizedRegions(pub Vec<Region>);

impl<'de> Deserialize<'de> for NormalizedRegions {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(PageVisitor)
    }
}

struct PageVisitor;

impl<'de> Visitor<'de> for PageVisitor {
    type Value = NormalizedRegions;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"a regions page {"count": N, "regions": [...]}"#)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut regions = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == "regions" {
                regions = Some(map.next_value_seed(RegionsSeed(PhantomData))?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(NormalizedRegions(regions.unwrap_or_default()))
    }
}

struct RegionsSeed(PhantomData<()>);

impl<'de> DeserializeSeed<'de> for RegionsSeed {
    type Value = Vec<Region>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(RegionsVisitor)
    }
}

struct RegionsVisitor;

impl<'de> Visitor<'de> for RegionsVisitor {
    type Value = Vec<Region>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of regions or null")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(16_384));
        while let Some(r) = seq.next_element::<wire::RegionInfo>()? {
            if let Some(region) = region_after(r, out.last()) {
                out.push(region);
            }
        }
        Ok(out)
    }
}

/// A page of `/regions/key` normalized and written as the JSON array elements of the answer
/// while it is parsed: no list of regions exists at all, only PD's body and the answer's bytes.
/// Holds the comma-separated regions (without the brackets), how many there are, and the last
/// region's end key (for the next cursor).
#[derive(Debug, Default)]
pub(crate) struct RenderedRegions {
    pub(crate) count: usize,
    /// `{region},{region},...` in chunks.
    pub(crate) json: Vec<bytes::Bytes>,
    /// The last region's end key, uppercase hex (`""`: the end of the key space).
    pub(crate) last_end_key: Option<String>,
}

impl<'de> Deserialize<'de> for RenderedRegions {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(RenderedPageVisitor)
    }
}

struct RenderedPageVisitor;

impl<'de> Visitor<'de> for RenderedPageVisitor {
    type Value = RenderedRegions;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"a regions page {"count": N, "regions": [...]}"#)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut page = RenderedRegions::default();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == "regions" {
                page = map.next_value_seed(RenderedSeed)?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(page)
    }
}

struct RenderedSeed;

impl<'de> DeserializeSeed<'de> for RenderedSeed {
    type Value = RenderedRegions;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RenderedSeed {
    type Value = RenderedRegions;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of regions or null")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(RenderedRegions::default())
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(RenderedRegions::default())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        use std::io::Write;
        let mut out = crate::chunked::ChunkWriter::default();
        let mut count = 0;
        let mut previous: Option<Region> = None;
        while let Some(r) = seq.next_element::<wire::RegionInfo>()? {
            let Some(region) = region_after(r, previous.as_ref()) else {
                continue;
            };
            let written = if count == 0 {
                Ok(())
            } else {
                out.write_all(b",")
            };
            written.map_err(de::Error::custom).and_then(|()| {
                serde_json::to_writer(&mut out, &region).map_err(de::Error::custom)
            })?;
            count += 1;
            previous = Some(region);
        }
        Ok(RenderedRegions {
            count,
            json: out.finish(),
            last_end_key: previous.map(|r| r.end_key),
        })
    }
}

/// Normalizes a PD regions page body (`/regions/key`, `/regions`) while parsing it: the public
/// entry of the page decoder, for benchmarks and tools.
pub fn normalize_regions_page(body: &[u8]) -> Result<Vec<Region>, serde_json::Error> {
    serde_json::from_slice::<NormalizedRegions>(body).map(|page| page.0)
}

/// The benchmark baseline: parses the same body into PD's wire types without normalizing, and
/// returns how many regions it holds. Not part of the API.
#[doc(hidden)]
pub fn parse_regions_page_wire_only(body: &[u8]) -> Result<usize, serde_json::Error> {
    #[derive(Deserialize)]
    struct Page {
        #[serde(default)]
        regions: Option<Vec<wire::RegionInfo>>,
    }
    serde_json::from_slice::<Page>(body).map(|p| p.regions.map_or(0, |r| r.len()))
}

/// A single-region answer: the region, or `None` for v4.0–v7.2's `null` and v8's all-zero one.
#[derive(Debug)]
pub(crate) struct MaybeRegion(pub Option<Region>);

impl<'de> Deserialize<'de> for MaybeRegion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = Option::<wire::RegionInfo>::deserialize(deserializer)?;
        Ok(MaybeRegion(wire.and_then(region)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(json: &str) -> Option<Region> {
        serde_json::from_str::<MaybeRegion>(json).unwrap().0
    }

    #[test]
    fn missing_region_shapes_read_as_none() {
        assert!(one("null").is_none());
        assert!(one(r#"{"id":0,"start_key":"","end_key":"","leader":{"role_name":""},"cpu_usage":0,"written_bytes":0,"read_bytes":0,"written_keys":0,"read_keys":0,"approximate_size":0,"approximate_keys":0}"#).is_none());
    }

    #[test]
    fn roles_from_every_generation() {
        let r = one(r#"{"id":48,"start_key":"","end_key":"","peers":[
                {"role_name":"Voter","id":1,"store_id":1},
                {"role_name":"Learner","is_learner":true,"id":2,"store_id":20,"role":1},
                {"id":3,"store_id":5,"role":2,"role_name":"IncomingVoter"},
                {"id":4,"store_id":6,"is_learner":true},
                {"id":5,"store_id":7,"role":3},
                {"id":6,"store_id":8,"role_name":"Voter","is_witness":true}],
               "leader":{"role_name":""}}"#)
        .unwrap();
        let roles: Vec<PeerRole> = r.peers.iter().map(|p| p.role).collect();
        assert_eq!(
            roles,
            [
                PeerRole::Voter,
                PeerRole::Learner,
                PeerRole::IncomingVoter,
                PeerRole::Learner,
                PeerRole::DemotingVoter,
                PeerRole::Voter
            ]
        );
        assert!(r.peers[5].is_witness);
        assert!(r.leader.is_none(), "an empty leader is no leader");
    }

    #[test]
    fn a_rendered_page_is_the_json_of_the_normalized_regions() {
        let body = PAGE;
        let normalized: NormalizedRegions = serde_json::from_str(body).unwrap();
        let rendered: RenderedRegions = serde_json::from_str(body).unwrap();
        assert_eq!(rendered.count, normalized.0.len());
        let json: Vec<u8> = rendered.json.concat();
        let expected = serde_json::to_string(&normalized.0).unwrap();
        assert_eq!(format!("[{}]", String::from_utf8(json).unwrap()), expected);
        assert_eq!(
            rendered.last_end_key.as_deref(),
            normalized.0.last().map(|r| r.end_key.as_str())
        );
        let empty: RenderedRegions = serde_json::from_str(r#"{"count":0,"regions":null}"#).unwrap();
        assert_eq!(
            (empty.count, empty.json.len(), empty.last_end_key),
            (0, 0, None)
        );
    }

    /// Two regions and PD's all-zero placeholder, which is dropped.
    pub(super) const PAGE: &str = r#"{"count":3,"regions":[{"id":2,"start_key":"","end_key":"7480000000000000ff0500000000000000f8","approximate_size":1,"peers":[{"id":5,"store_id":1,"role_name":"Voter"}],"leader":{"id":5,"store_id":1,"role_name":"Voter"}},
        {"id":0,"start_key":"","end_key":"","leader":{"role_name":""}},
        {"id":3,"start_key":"7480000000000000FF0500000000000000F8","end_key":"","approximate_size":96}]}"#;

    #[test]
    fn page_normalizes_in_place_and_accepts_null() {
        let page: NormalizedRegions = serde_json::from_str(
            r#"{"count":2,"regions":[{"id":2,"start_key":"","end_key":"7480000000000000FF0500000000000000F8","approximate_size":1},
                                     {"id":3,"start_key":"7480000000000000FF0500000000000000F8","end_key":"","approximate_size":96}]}"#,
        )
        .unwrap();
        assert_eq!(page.0.len(), 2);
        assert_eq!(page.0[1].approximate_size_bytes, 96 * MIB);
        assert_eq!(
            page.0[0].end_key_decoded.as_ref().and_then(|k| k.table_id),
            Some(5)
        );
        let empty: NormalizedRegions =
            serde_json::from_str(r#"{"count":0,"regions":null}"#).unwrap();
        assert!(empty.0.is_empty());
    }
}
