//! The one memory budget that bounds everything tikv-lens keeps between requests.
//!
//! `--memory-budget` (default 128 MiB) is split, once, among the three caches and the retained
//! live events; nothing else is kept across requests (in-flight work is bounded separately, by
//! the upstream body cap and the concurrency limits):
//!
//! | cache | share | what it keeps |
//! | --- | --- | --- |
//! | `upstream` | 1/2 | upstream bodies while fresh (their TTL), every cluster and upstream together |
//! | `last_good` | 1/4 | the last good body of each non-bulk read, for the stale window |
//! | `events` | 1/64 | the last events of each cluster, for clients resuming with `Last-Event-ID` (split evenly among the clusters; `--events-retained` caps the count) |
//! | `answers` | the rest (15/64) | finished API answers while their data is fresh |
//!
//! No single entry may take more than [`MAX_ENTRY_FRACTION`] of its cache: a larger body is
//! served (and shared with concurrent identical requests) but not kept, so a walk over a large
//! cluster's regions, or a large range query, cannot push out the small answers dashboards poll.

/// A kept entry may use at most this fraction of its cache (1/16: 4 MiB of the default 64 MiB
/// upstream cache, 2 MiB of the last-good cache, 1.875 MiB of the answer cache).
pub const MAX_ENTRY_FRACTION: u64 = 16;

/// The default budget: 128 MiB.
pub const DEFAULT_BYTES: u64 = 128 * 1024 * 1024;

/// Bytes the caches may keep in all, and how they share them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryBudget {
    /// The whole budget, bytes.
    pub total_bytes: u64,
}

impl Default for MemoryBudget {
    fn default() -> Self {
        Self {
            total_bytes: DEFAULT_BYTES,
        }
    }
}

/// A share of the budget: the bytes one cache may hold, and the largest entry it keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Share {
    /// Most bytes (keys and bodies) the cache holds.
    pub capacity_bytes: u64,
    /// The largest entry kept; larger ones are served and dropped.
    pub max_entry_bytes: u64,
}

impl Share {
    fn of(capacity_bytes: u64) -> Self {
        Self {
            capacity_bytes,
            max_entry_bytes: capacity_bytes / MAX_ENTRY_FRACTION,
        }
    }
}

impl MemoryBudget {
    /// Fresh upstream bodies: half the budget.
    pub fn upstream(&self) -> Share {
        Share::of(self.total_bytes / 2)
    }

    /// Last good upstream bodies, for serving stale while an upstream is down: a quarter.
    pub fn last_good(&self) -> Share {
        Share::of(self.total_bytes / 4)
    }

    /// Retained live events, every cluster's together: 1/64 (2 MiB of the default budget, some
    /// 5,000 events of a few hundred bytes).
    pub fn events(&self) -> Share {
        Share::of(self.total_bytes / 64)
    }

    /// Finished answers: the rest (15/64).
    pub fn answers(&self) -> Share {
        Share::of(
            self.total_bytes - self.total_bytes / 2 - self.total_bytes / 4 - self.total_bytes / 64,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shares_add_up_to_the_budget() {
        for total in [0, 1, 7, DEFAULT_BYTES, 1_000_000_007] {
            let b = MemoryBudget { total_bytes: total };
            assert_eq!(
                b.upstream().capacity_bytes
                    + b.last_good().capacity_bytes
                    + b.events().capacity_bytes
                    + b.answers().capacity_bytes,
                total
            );
        }
        let b = MemoryBudget::default();
        assert_eq!(b.upstream().capacity_bytes, 64 << 20);
        assert_eq!(b.upstream().max_entry_bytes, 4 << 20);
        assert_eq!(b.last_good().max_entry_bytes, 2 << 20);
        assert_eq!(b.events().capacity_bytes, 2 << 20);
        assert_eq!(b.answers().capacity_bytes, 30 << 20);
    }
}
