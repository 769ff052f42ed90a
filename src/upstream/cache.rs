//! The one cache of upstream answers: raw bodies by request, each with its own time to live,
//! weighed by size, shared by every cluster and upstream of the process within its share of
//! the memory budget ([`crate::budget`]). Concurrent reads of the same request share one
//! upstream call whether or not the answer is then kept: moka runs one loader per key and hands
//! its result to every waiter. Failures are shared with the waiters but never kept.
//!
//! Beside the fresh answers, the last good answer of each resource read is kept for the stale
//! window, to stand in (marked stale) while its upstream is down. Bulk reads (region pages,
//! range queries) are not kept there: a walk over a cluster's regions would fill it with pages
//! nobody asks for twice.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use jiff::Timestamp;
use moka::Expiry;

use super::{Upstream, UpstreamError};
use crate::budget::{MemoryBudget, Share};

/// A cached upstream body.
#[derive(Debug)]
pub(crate) struct Cached {
    pub(crate) body: Bytes,
    pub(crate) fetched_at: Timestamp,
    pub(crate) ttl: Duration,
}

/// What a read is, for what the cache keeps of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadKind {
    /// A resource dashboards poll (stores, members, a region, an instant query): kept while
    /// fresh, and as the last good answer for the stale window.
    Resource,
    /// A large, rarely repeated read (a page of regions, a range query): kept while fresh
    /// (within the entry limit), never as a last good answer.
    Bulk,
}

struct PerEntryTtl;

impl Expiry<String, Arc<Cached>> for PerEntryTtl {
    fn expire_after_create(
        &self,
        _key: &String,
        value: &Arc<Cached>,
        _created_at: Instant,
    ) -> Option<Duration> {
        Some(value.ttl)
    }
}

fn weigh(key: &str, value: &Arc<Cached>) -> u32 {
    u32::try_from(key.len() + value.body.len()).unwrap_or(u32::MAX)
}

/// The fresh and last-good stores of the whole process.
struct Stores {
    fresh: moka::future::Cache<String, Arc<Cached>>,
    fresh_max_entry: u64,
    last_good: moka::future::Cache<String, Arc<Cached>>,
    last_good_max_entry: u64,
}

/// The upstream caches of the process, built once from the memory budget; each upstream
/// client reads through its own `ResponseCache` view of them.
#[derive(Clone)]
pub struct UpstreamCaches(Arc<Stores>);

impl std::fmt::Debug for UpstreamCaches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamCaches")
            .field("fresh_entries", &self.0.fresh.entry_count())
            .field("last_good_entries", &self.0.last_good.entry_count())
            .finish()
    }
}

impl UpstreamCaches {
    /// Caches within `budget`'s upstream and last-good shares; last good answers are kept for
    /// `stale_window`.
    pub fn new(budget: MemoryBudget, stale_window: Duration) -> Self {
        let (fresh, last_good): (Share, Share) = (budget.upstream(), budget.last_good());
        Self(Arc::new(Stores {
            fresh: moka::future::Cache::builder()
                .max_capacity(fresh.capacity_bytes)
                .weigher(|key: &String, value: &Arc<Cached>| weigh(key, value))
                .expire_after(PerEntryTtl)
                .build(),
            fresh_max_entry: fresh.max_entry_bytes,
            last_good: moka::future::Cache::builder()
                .max_capacity(last_good.capacity_bytes)
                .weigher(|key: &String, value: &Arc<Cached>| weigh(key, value))
                .time_to_live(stale_window)
                .build(),
            last_good_max_entry: last_good.max_entry_bytes,
        }))
    }

    /// The view one cluster's client of `upstream` reads through: its keys are its own.
    pub(crate) fn for_client(&self, cluster: &str, upstream: Upstream) -> ResponseCache {
        ResponseCache {
            stores: Arc::clone(&self.0),
            prefix: format!("{cluster}\n{}\n", upstream.as_str()),
            upstream,
        }
    }

    /// Bytes (keys and bodies) held now by the fresh and by the last-good store.
    pub async fn weighted_bytes(&self) -> (u64, u64) {
        self.0.fresh.run_pending_tasks().await;
        self.0.last_good.run_pending_tasks().await;
        (
            self.0.fresh.weighted_size(),
            self.0.last_good.weighted_size(),
        )
    }
}

/// One client's view of the [`UpstreamCaches`].
#[derive(Clone)]
pub(crate) struct ResponseCache {
    stores: Arc<Stores>,
    /// Cluster and upstream, so that two clusters' identical paths are different entries.
    prefix: String,
    upstream: Upstream,
}

impl std::fmt::Debug for ResponseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseCache")
            .field("upstream", &self.upstream)
            .finish()
    }
}

impl ResponseCache {
    /// The cached answer of `path`, or the result of `fetch`: shared with concurrent callers of
    /// the same path, and kept for `ttl` when it fits the entry limit.
    pub(crate) async fn get_or_fetch<F>(
        &self,
        path: &str,
        kind: ReadKind,
        ttl: Duration,
        fetch: F,
    ) -> Result<Arc<Cached>, UpstreamError>
    where
        F: Future<Output = Result<Bytes, UpstreamError>>,
    {
        use std::sync::atomic::Ordering::Relaxed;
        let upstream = self.upstream.as_str();
        let key = format!("{}{path}", self.prefix);
        let stores = &self.stores;
        if let Some(cached) = stores.fresh.get(&key).await {
            crate::telemetry::cache_read(upstream, "hit");
            super::freshness::record(cached.fetched_at, cached.ttl);
            return Ok(cached);
        }
        let loaded = std::sync::atomic::AtomicBool::new(false);
        let result = stores
            .fresh
            .try_get_with_by_ref(&key, async {
                loaded.store(true, Relaxed);
                let body = fetch.await?;
                Ok::<_, UpstreamError>(Arc::new(Cached {
                    body,
                    fetched_at: Timestamp::now(),
                    ttl,
                }))
            })
            .await
            .map_err(|e: Arc<UpstreamError>| UpstreamError::clone(&e));
        let loaded = loaded.load(Relaxed);
        crate::telemetry::cache_read(upstream, if loaded { "load" } else { "coalesced" });
        match result {
            Ok(cached) => {
                let size = weigh(&key, &cached) as u64;
                if loaded && (ttl.is_zero() || size > stores.fresh_max_entry) {
                    // Served and shared with the waiters, but not kept: too large for its share,
                    // or not meant to be reused.
                    stores.fresh.invalidate(&key).await;
                }
                super::freshness::record(cached.fetched_at, cached.ttl);
                if kind == ReadKind::Resource && size <= stores.last_good_max_entry {
                    stores.last_good.insert(key, Arc::clone(&cached)).await;
                }
                Ok(cached)
            }
            Err(e) if e.is_unavailable() => match stores.last_good.get(&key).await {
                Some(cached) => {
                    crate::telemetry::cache_read(upstream, "stale");
                    super::freshness::record_stale(
                        cached.fetched_at,
                        self.upstream,
                        &e.to_string(),
                    );
                    Ok(cached)
                }
                None => Err(e),
            },
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

    const MIB: u64 = 1 << 20;

    fn caches(total_bytes: u64) -> ResponseCache {
        UpstreamCaches::new(MemoryBudget { total_bytes }, Duration::from_secs(600))
            .for_client("c", Upstream::Pd)
    }

    /// Reads `path` through `cache`, counting upstream fetches in `calls`.
    async fn read(
        cache: &ResponseCache,
        path: &str,
        kind: ReadKind,
        body_bytes: usize,
        calls: &AtomicUsize,
    ) -> Result<Arc<Cached>, UpstreamError> {
        cache
            .get_or_fetch(path, kind, Duration::from_secs(60), async {
                calls.fetch_add(1, Relaxed);
                Ok(Bytes::from(vec![b'x'; body_bytes]))
            })
            .await
    }

    fn down() -> UpstreamError {
        UpstreamError::Unreachable {
            upstream: Upstream::Pd,
            path: "/p".into(),
            detail: "connection refused".into(),
        }
    }

    #[tokio::test]
    async fn a_kept_answer_is_reused() {
        let cache = caches(128 * MIB);
        let calls = AtomicUsize::new(0);
        read(&cache, "/a", ReadKind::Resource, 100, &calls)
            .await
            .unwrap();
        read(&cache, "/a", ReadKind::Resource, 100, &calls)
            .await
            .unwrap();
        assert_eq!(calls.load(Relaxed), 1);
    }

    #[tokio::test]
    async fn a_body_larger_than_its_share_allows_is_served_but_not_kept() {
        // 16 MiB budget: 8 MiB upstream share, entries up to 512 KiB.
        let cache = caches(16 * MIB);
        let calls = AtomicUsize::new(0);
        let big = read(&cache, "/big", ReadKind::Resource, 600 * 1024, &calls)
            .await
            .unwrap();
        assert_eq!(big.body.len(), 600 * 1024);
        read(&cache, "/big", ReadKind::Resource, 600 * 1024, &calls)
            .await
            .unwrap();
        assert_eq!(calls.load(Relaxed), 2, "an oversized body must not be kept");
        let (fresh, last_good) = UpstreamCaches(Arc::clone(&cache.stores))
            .weighted_bytes()
            .await;
        assert_eq!((fresh, last_good), (0, 0));
    }

    #[tokio::test]
    async fn the_caches_never_hold_more_than_their_shares() {
        let cache = caches(16 * MIB);
        let calls = AtomicUsize::new(0);
        for i in 0..200 {
            read(
                &cache,
                &format!("/r{i}"),
                ReadKind::Resource,
                400 * 1024,
                &calls,
            )
            .await
            .unwrap();
        }
        let (fresh, last_good) = UpstreamCaches(Arc::clone(&cache.stores))
            .weighted_bytes()
            .await;
        assert!(fresh <= 8 * MIB, "fresh {fresh}");
        assert!(last_good <= 4 * MIB, "last good {last_good}");
        assert!(fresh > 4 * MIB, "the fresh cache is used: {fresh}");
    }

    #[tokio::test]
    async fn bulk_reads_are_not_kept_as_last_good_answers() {
        let cache = caches(128 * MIB);
        let calls = AtomicUsize::new(0);
        read(&cache, "/resource", ReadKind::Resource, 10, &calls)
            .await
            .unwrap();
        read(&cache, "/page", ReadKind::Bulk, 10, &calls)
            .await
            .unwrap();
        cache.stores.fresh.invalidate_all();
        let failing = |path: &'static str, kind| {
            let cache = cache.clone();
            async move {
                cache
                    .get_or_fetch(path, kind, Duration::from_secs(60), async { Err(down()) })
                    .await
            }
        };
        assert!(failing("/resource", ReadKind::Resource).await.is_ok());
        assert!(failing("/page", ReadKind::Bulk).await.is_err());
    }

    #[tokio::test]
    async fn clusters_do_not_share_entries() {
        let caches = UpstreamCaches::new(MemoryBudget::default(), Duration::from_secs(600));
        let (a, b) = (
            caches.for_client("a", Upstream::Pd),
            caches.for_client("b", Upstream::Pd),
        );
        let calls = AtomicUsize::new(0);
        read(&a, "/stores", ReadKind::Resource, 10, &calls)
            .await
            .unwrap();
        read(&b, "/stores", ReadKind::Resource, 10, &calls)
            .await
            .unwrap();
        assert_eq!(calls.load(Relaxed), 2);
    }
}
