//! Where region boundaries fall in the key space: a TiDB-shaped layout of tables, generated once
//! from the seed, from which any region's start key is computed in O(log tables).
//!
//! Key order: region 0 is `["", t{first table})` (TiDB's meta keys). Then system tables with one
//! region each, then user tables. A table's regions start at `t{id}`; tables with four or more
//! regions have index regions first (`t{id}_i{index}{value}`), then record regions starting at
//! `t{id}_r` and `t{id}_r{handle}`. The last table is the hot, append-only one: its last region
//! ends at `""` and keeps splitting as rows are appended, so the regions that splits create all
//! sit at the end of the key space, just before that last region.

use super::keys::{RawKey, RegionKey};
use super::mix::SplitMix;

/// What a table holds, which decides its regions' sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TableKind {
    /// `mysql.*` and friends: one small or empty region each.
    System,
    User,
    /// The last table, where inserts append and regions split.
    Hot,
}

#[derive(Clone, Debug)]
pub(crate) struct Table {
    pub(crate) id: i64,
    pub(crate) kind: TableKind,
    /// Key-order position of the table's first region.
    pub(crate) first: u64,
    /// Regions at t = 0 (the hot table grows past this).
    pub(crate) base_len: u64,
    /// Leading regions that hold index entries (0 when the table is small).
    pub(crate) index_regions: u64,
    pub(crate) index_id: i64,
    pub(crate) index_step: i64,
    /// Row handles per record region.
    pub(crate) handle_step: i64,
    /// Average row size, which turns region sizes into key counts.
    pub(crate) row_bytes: u64,
}

impl Table {
    /// Whether the table's `local`-th region holds index entries rather than rows.
    pub(crate) fn is_index_region(&self, local: u64) -> bool {
        local < self.index_regions
    }

    fn raw_start(&self, local: u64) -> RawKey {
        if local == 0 {
            return RawKey::table(self.id);
        }
        if local < self.index_regions {
            return RawKey::index_value(self.id, self.index_id, local as i64 * self.index_step);
        }
        match local - self.index_regions {
            // Only reached with index regions: the rows start right after them.
            0 => RawKey::record_prefix(self.id),
            row_region => RawKey::row(self.id, row_region as i64 * self.handle_step),
        }
    }
}

pub(crate) struct KeyLayout {
    tables: Vec<Table>,
}

/// System tables before the first user table, as in a fresh TiDB.
const MAX_SYSTEM_TABLES: u64 = 24;
const REGION_SPLIT_BYTES: u64 = 96 << 20;

impl KeyLayout {
    /// Lays out `regions` regions (at least 1).
    pub(crate) fn generate(seed: u64, regions: u64) -> Self {
        let mut rng = SplitMix::new(seed ^ 0x6b65_795f_6c61_796f);
        let mut tables = Vec::new();
        if regions < 2 {
            return Self { tables };
        }
        let budget = regions - 1;
        // Keep at least one region for the hot table.
        let system = (budget - 1).min(MAX_SYSTEM_TABLES);
        let mut next = 1;
        for j in 0..system {
            tables.push(Table {
                id: 5 + 2 * j as i64,
                kind: TableKind::System,
                first: next,
                base_len: 1,
                index_regions: 0,
                index_id: 1,
                index_step: 1,
                handle_step: 1 << 20,
                row_bytes: 256,
            });
            next += 1;
        }
        let mut remaining = budget - system;
        let largest = (remaining / 6).max(2);
        let mut id = 104 + rng.between(0, 12) as i64;
        while remaining > 0 {
            let len = if rng.next_unit() < 0.3 {
                1
            } else {
                // Log-uniform in 1..=largest: many small tables, a few huge ones.
                ((rng.next_unit() * ((largest + 1) as f64).ln()).exp() as u64).clamp(1, largest)
            }
            .min(remaining);
            remaining -= len;
            let row_bytes = rng.between(100, 1200);
            let rows_per_region = (REGION_SPLIT_BYTES / row_bytes).max(1);
            tables.push(Table {
                id,
                kind: if remaining == 0 {
                    TableKind::Hot
                } else {
                    TableKind::User
                },
                first: next,
                base_len: len,
                index_regions: if len >= 4 { len / 4 } else { 0 },
                index_id: rng.between(1, 3) as i64,
                index_step: rng.between(1_000, 200_000) as i64,
                handle_step: (rows_per_region + rng.between(0, rows_per_region / 8)) as i64,
                row_bytes,
            });
            next += len;
            id += rng.between(1, 6) as i64;
        }
        Self { tables }
    }

    pub(crate) fn tables(&self) -> &[Table] {
        &self.tables
    }

    /// The table holding key-order position `position` (None for region 0, the meta region).
    /// Positions past the base layout belong to the hot (last) table.
    pub(crate) fn table_at(&self, position: u64) -> Option<(&Table, u64)> {
        if position == 0 {
            return None;
        }
        let at = self
            .tables
            .partition_point(|t| t.first <= position)
            .checked_sub(1)?;
        let table = &self.tables[at];
        Some((table, position - table.first))
    }

    /// The start key of the region at key-order position `position`.
    pub(crate) fn start_key(&self, position: u64) -> RegionKey {
        match self.table_at(position) {
            None => RegionKey::empty(),
            Some((table, local)) => table.raw_start(local).encode(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_keys_increase_through_every_table() {
        for regions in [1u64, 2, 3, 10, 57, 100, 2_000] {
            let layout = KeyLayout::generate(7, regions);
            let total: u64 = 1 + layout.tables().iter().map(|t| t.base_len).sum::<u64>();
            assert_eq!(total, regions.max(1));
            let mut previous = layout.start_key(0);
            assert!(previous.is_empty());
            // Include 50 positions of growth in the hot table.
            for position in 1..regions + 50 {
                if regions < 2 {
                    break;
                }
                let key = layout.start_key(position);
                assert!(key > previous, "position {position} of {regions}");
                previous = key;
            }
        }
    }

    #[test]
    fn last_table_is_hot() {
        let layout = KeyLayout::generate(1, 500);
        assert_eq!(layout.tables().last().map(|t| t.kind), Some(TableKind::Hot));
        assert_eq!(layout.tables()[0].id, 5);
    }
}
