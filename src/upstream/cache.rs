//! The one cache of upstream answers: raw bodies by request, each with its own time to live,
//! weighed by size. Concurrent reads of the same request share one upstream call, whether the
//! answer is then kept (TTL > 0) or not (TTL 0): moka runs one loader per key and hands its
//! result to every waiter. Failures are shared with the waiters but never kept.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use jiff::Timestamp;
use moka::Expiry;

use super::UpstreamError;

/// A cached upstream body.
#[derive(Debug)]
pub(crate) struct Cached {
    pub body: Bytes,
    pub fetched_at: Timestamp,
    pub ttl: Duration,
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

/// Cache hit, miss and coalescing counts, for the service's own metrics.
#[derive(Debug, Default)]
pub struct CacheStats {
    /// Reads answered from a kept answer.
    pub hits: std::sync::atomic::AtomicU64,
    /// Reads that asked the upstream.
    pub loads: std::sync::atomic::AtomicU64,
    /// Reads that waited for another caller's identical upstream request.
    pub coalesced: std::sync::atomic::AtomicU64,
    /// Reads answered with a last good answer because the upstream was unreachable.
    pub stale: std::sync::atomic::AtomicU64,
}

#[derive(Clone)]
pub(crate) struct ResponseCache {
    entries: moka::future::Cache<String, Arc<Cached>>,
    /// Last good answers, kept for the stale window after they stop being fresh: served, marked
    /// stale, when the upstream cannot be reached.
    last_good: moka::future::Cache<String, Arc<Cached>>,
    stats: Arc<CacheStats>,
    /// `pd` or `prometheus`, for the metrics.
    upstream: &'static str,
}

impl std::fmt::Debug for ResponseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseCache")
            .field("entries", &self.entries.entry_count())
            .finish()
    }
}

impl ResponseCache {
    /// A cache holding at most `max_bytes` of bodies.
    pub(crate) fn new(upstream: super::Upstream, max_bytes: u64, stale_window: Duration) -> Self {
        let entries = moka::future::Cache::builder()
            .max_capacity(max_bytes)
            .weigher(|key: &String, value: &Arc<Cached>| {
                u32::try_from(key.len() + value.body.len()).unwrap_or(u32::MAX)
            })
            .expire_after(PerEntryTtl)
            .build();
        let last_good = moka::future::Cache::builder()
            .max_capacity(max_bytes)
            .weigher(|key: &String, value: &Arc<Cached>| {
                u32::try_from(key.len() + value.body.len()).unwrap_or(u32::MAX)
            })
            .time_to_live(stale_window)
            .build();
        Self {
            entries,
            last_good,
            stats: Arc::new(CacheStats::default()),
            upstream: upstream.as_str(),
        }
    }

    pub(crate) fn stats(&self) -> &Arc<CacheStats> {
        &self.stats
    }

    /// The cached answer of `key`, or the result of `fetch` (shared with concurrent callers of
    /// the same key, and kept for `ttl`).
    pub(crate) async fn get_or_fetch<F>(
        &self,
        key: String,
        ttl: Duration,
        fetch: F,
    ) -> Result<Arc<Cached>, UpstreamError>
    where
        F: Future<Output = Result<Bytes, UpstreamError>>,
    {
        use std::sync::atomic::Ordering::Relaxed;
        if let Some(cached) = self.entries.get(&key).await {
            self.stats.hits.fetch_add(1, Relaxed);
            crate::telemetry::cache_read(self.upstream, "hit");
            crate::freshness::record(cached.fetched_at, cached.ttl);
            return Ok(cached);
        }
        let loaded = std::sync::atomic::AtomicBool::new(false);
        let key_for_stale = key.clone();
        let result = self
            .entries
            .try_get_with(key, async {
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
        if loaded.load(Relaxed) {
            self.stats.loads.fetch_add(1, Relaxed);
            crate::telemetry::cache_read(self.upstream, "load");
        } else {
            self.stats.coalesced.fetch_add(1, Relaxed);
            crate::telemetry::cache_read(self.upstream, "coalesced");
        }
        match result {
            Ok(cached) => {
                crate::freshness::record(cached.fetched_at, cached.ttl);
                self.last_good
                    .insert(key_for_stale, Arc::clone(&cached))
                    .await;
                Ok(cached)
            }
            Err(e) if e.is_unavailable() => match self.last_good.get(&key_for_stale).await {
                Some(cached) => {
                    self.stats.stale.fetch_add(1, Relaxed);
                    crate::telemetry::cache_read(self.upstream, "stale");
                    let source = if self.upstream == "pd" {
                        crate::model::WarningSource::Pd
                    } else {
                        crate::model::WarningSource::Prometheus
                    };
                    crate::freshness::record_stale(cached.fetched_at, source, &e.to_string());
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

    #[tokio::test]
    async fn a_kept_answer_is_a_hit_and_a_shared_load_is_coalesced() {
        use std::sync::atomic::Ordering::Relaxed;
        let cache = ResponseCache::new(
            super::super::Upstream::Pd,
            1 << 20,
            Duration::from_secs(600),
        );
        let fetch = || async { Ok(Bytes::from_static(b"{}")) };
        cache
            .get_or_fetch("k".into(), Duration::from_secs(60), fetch())
            .await
            .unwrap();
        cache
            .get_or_fetch("k".into(), Duration::from_secs(60), fetch())
            .await
            .unwrap();
        assert_eq!(cache.stats().loads.load(Relaxed), 1);
        assert_eq!(cache.stats().hits.load(Relaxed), 1);
        assert_eq!(cache.stats().coalesced.load(Relaxed), 0);
    }
}
