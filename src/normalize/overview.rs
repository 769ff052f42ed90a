//! Aggregates over normalized stores for the cluster overview.

use crate::model::{StorageTotals, Store, StoreEngine, StoreState, StoreStateCounts};

/// Counts stores by state.
pub fn store_state_counts(stores: &[Store]) -> StoreStateCounts {
    let mut counts = StoreStateCounts {
        total: stores.len(),
        ..StoreStateCounts::default()
    };
    for s in stores {
        let slot = match s.state {
            StoreState::Up => &mut counts.up,
            StoreState::Offline => &mut counts.offline,
            StoreState::Tombstone => &mut counts.tombstone,
            StoreState::Disconnected => &mut counts.disconnected,
            StoreState::Down => &mut counts.down,
            StoreState::Unknown => &mut counts.unknown,
        };
        *slot += 1;
        if s.engine == StoreEngine::Tiflash {
            counts.tiflash += 1;
        }
    }
    counts
}

/// Sums capacity, used and available bytes over the stores that are not tombstones and report
/// a capacity (a store that never heartbeated has none); `store_count` counts those stores.
pub fn storage_totals(stores: &[Store]) -> StorageTotals {
    stores
        .iter()
        .filter(|s| s.state != StoreState::Tombstone && s.capacity_bytes.is_some())
        .fold(StorageTotals::default(), |mut t, s| {
            t.capacity_bytes = t
                .capacity_bytes
                .saturating_add(s.capacity_bytes.unwrap_or(0));
            t.used_bytes = t.used_bytes.saturating_add(s.used_bytes.unwrap_or(0));
            t.available_bytes = t
                .available_bytes
                .saturating_add(s.available_bytes.unwrap_or(0));
            t.store_count += 1;
            t
        })
}
