//! How fresh an answer is: every upstream read in a request records when its data was fetched
//! (possibly earlier, from the cache) and how long it stays fresh; the answer's `observed_at`,
//! `Age` and `Cache-Control: max-age` are derived from the oldest and the soonest-stale read.
//!
//! The record lives in a task-local scope that the server opens around each request, so the
//! upstream clients report without threading a value through every handler.

use std::cell::RefCell;
use std::future::Future;
use std::time::Duration;

use jiff::Timestamp;

use super::Upstream;

/// A read answered from the last good answer because its upstream failed: which upstream, and
/// the message the answer's warning carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleRead {
    pub upstream: Upstream,
    pub message: String,
}

/// What the reads of one request saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Freshness {
    /// When the oldest data used was fetched from its upstream.
    pub observed_at: Option<Timestamp>,
    /// When the first piece of that data stops being fresh.
    pub fresh_until: Option<Timestamp>,
    /// Whether some data was a last good answer served because its upstream was unreachable.
    pub stale: bool,
    /// Why, one message per stale read.
    pub stale_reads: Vec<StaleRead>,
}

impl Freshness {
    /// Seconds since the oldest data was fetched (the `Age` header), at `now`.
    pub fn age_seconds(&self, now: Timestamp) -> Option<u64> {
        self.observed_at
            .map(|at| whole_seconds(now.duration_since(at)))
    }

    /// Seconds the answer stays fresh from `now` (the `max-age` directive).
    pub fn max_age_seconds(&self, now: Timestamp) -> Option<u64> {
        self.fresh_until
            .map(|until| whole_seconds(until.duration_since(now)))
    }
}

fn whole_seconds(d: jiff::SignedDuration) -> u64 {
    u64::try_from(d.as_secs()).unwrap_or(0)
}

tokio::task_local! {
    static CURRENT: RefCell<Freshness>;
}

/// Runs `request` with a fresh record; returns its output and what its reads recorded.
pub async fn scope<F: Future>(request: F) -> (F::Output, Freshness) {
    CURRENT
        .scope(RefCell::new(Freshness::default()), async move {
            let output = request.await;
            let freshness = CURRENT.with(|f| f.borrow().clone());
            (output, freshness)
        })
        .await
}

/// Runs one read with a record of its own, adds that record to the enclosing one, and returns
/// when the read's data was fetched (`None` when it recorded nothing): for a verdict that sets
/// a read's data against the time it was read (a lag, an age), which the request's oldest read,
/// possibly cached for longer, would skew.
pub async fn read_at<F: Future>(read: F) -> (F::Output, Option<Timestamp>) {
    let (output, inner) = scope(read).await;
    let _ = CURRENT.try_with(|f| f.borrow_mut().absorb(&inner));
    (output, inner.observed_at)
}

impl Freshness {
    /// Adds what another record saw: the older observation, the sooner expiry, its stale reads.
    fn absorb(&mut self, other: &Freshness) {
        let older = |a: Option<Timestamp>, b: Option<Timestamp>| match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.observed_at = older(self.observed_at, other.observed_at);
        self.fresh_until = older(self.fresh_until, other.fresh_until);
        self.stale |= other.stale;
        self.stale_reads.extend(other.stale_reads.iter().cloned());
    }
}

/// Records one upstream read: fetched at `fetched_at`, fresh for `ttl`. Outside a scope (a
/// background task, a test calling a client directly) it does nothing.
pub fn record(fetched_at: Timestamp, ttl: Duration) {
    let until = fetched_at
        .checked_add(jiff::SignedDuration::try_from(ttl).unwrap_or(jiff::SignedDuration::ZERO))
        .unwrap_or(fetched_at);
    let _ = CURRENT.try_with(|f| {
        let mut f = f.borrow_mut();
        f.observed_at = Some(f.observed_at.map_or(fetched_at, |t| t.min(fetched_at)));
        f.fresh_until = Some(f.fresh_until.map_or(until, |t| t.min(until)));
    });
}

/// Records a read answered from the last good answer because the upstream failed: the data
/// was fetched at `fetched_at`, is not fresh any more, and the answer says why.
pub fn record_stale(fetched_at: Timestamp, upstream: Upstream, why: &str) {
    let _ = CURRENT.try_with(|f| {
        let mut f = f.borrow_mut();
        let now = Timestamp::now();
        f.observed_at = Some(f.observed_at.map_or(fetched_at, |t| t.min(fetched_at)));
        f.fresh_until = Some(now);
        f.stale = true;
        f.stale_reads.push(StaleRead {
            upstream,
            message: format!(
                "stale: serving the last good answer, observed at {fetched_at}, because {why}"
            ),
        });
    });
}

/// Whether the current request used stale data.
pub fn is_stale() -> bool {
    CURRENT.try_with(|f| f.borrow().stale).unwrap_or(false)
}

/// The warnings of the current request's stale reads (each once).
pub fn stale_reads() -> Vec<StaleRead> {
    CURRENT
        .try_with(|f| {
            let mut reads = f.borrow().stale_reads.clone();
            reads.dedup();
            reads
        })
        .unwrap_or_default()
}

/// When the data of the current request was observed: its oldest read, or now when it read
/// nothing (or runs outside a scope).
pub fn observed_at() -> Timestamp {
    CURRENT
        .try_with(|f| f.borrow().observed_at)
        .ok()
        .flatten()
        .unwrap_or_else(Timestamp::now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_read_of_its_own_reports_its_time_and_counts_in_the_request() {
        let t0 = Timestamp::constant(1_795_737_600, 0);
        let t1 = Timestamp::constant(1_795_737_610, 0);
        let ((inner, own), f) = scope(async {
            record(t0, Duration::from_secs(60));
            read_at(async {
                record(t1, Duration::from_secs(5));
                7
            })
            .await
        })
        .await;
        assert_eq!((inner, own), (7, Some(t1)));
        assert_eq!(f.observed_at, Some(t0), "the request's oldest read");
        assert_eq!(
            f.fresh_until,
            Some(t1 + jiff::SignedDuration::from_secs(5)),
            "the inner read's sooner expiry"
        );
        assert!(!f.stale);
        // A stale inner read makes the request stale, with its reason.
        let ((_, own), f) = scope(read_at(async {
            record_stale(t1, Upstream::Pd, "PD is down");
        }))
        .await;
        assert_eq!(own, Some(t1));
        assert!(f.stale);
        assert_eq!(f.stale_reads.len(), 1);
        let ((_, nothing), f) = scope(read_at(async {})).await;
        assert_eq!((nothing, f.observed_at), (None, None));
    }

    #[tokio::test]
    async fn oldest_read_and_soonest_expiry_win() {
        let t0 = Timestamp::constant(1_795_737_600, 0);
        let t1 = Timestamp::constant(1_795_737_610, 0);
        let ((), f) = scope(async {
            record(t1, Duration::from_secs(5));
            record(t0, Duration::from_secs(60));
            assert_eq!(observed_at(), t0);
        })
        .await;
        assert_eq!(f.observed_at, Some(t0));
        assert_eq!(f.fresh_until, Some(Timestamp::constant(1_795_737_615, 0)));
        assert_eq!(
            f.age_seconds(Timestamp::constant(1_795_737_612, 0)),
            Some(12)
        );
        assert_eq!(
            f.max_age_seconds(Timestamp::constant(1_795_737_612, 0)),
            Some(3)
        );
        assert_eq!(
            f.max_age_seconds(Timestamp::constant(1_795_737_700, 0)),
            Some(0)
        );
    }

    #[test]
    fn outside_a_scope_nothing_breaks() {
        record(Timestamp::now(), Duration::from_secs(1));
        let before = Timestamp::now();
        assert!(observed_at() >= before);
    }
}
