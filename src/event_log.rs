//! The live events of each cluster and who listens to them: the numbering, the last events kept
//! for clients resuming with `Last-Event-ID`, the broadcast to the streams, the count of
//! listeners that decides when a cluster's poller runs, and the process-wide cap on listeners.
//!
//! This module only keeps and hands out: it reads no upstream and decides no event. The poller
//! (`compose::events`) publishes what changed; the handler (`api::events`) turns a
//! [`Subscription`] into a stream.
//!
//! Numbering. Each cluster numbers its events from a base taken at process start (Unix
//! milliseconds x 1000), so a `Last-Event-ID` kept across a restart of tikv-lens is older than
//! anything the new process knows and gets a `resync`, never another process's events. A
//! poller that starts (first listener after a quiet spell) takes a number of its own and no
//! event: what happened while nobody polled is unknown, so an id from before it is not
//! resumable.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, broadcast, watch};

use crate::model::{Event, EventPayload, EventType};

/// Bytes a kept event is counted for beyond its JSON: the `Arc`, its sequence number, its
/// type, the ring's slot.
const EVENT_OVERHEAD_BYTES: usize = 64;

/// One published event, serialized once and shared by every stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Published {
    pub(crate) seq: u64,
    pub(crate) kind: EventType,
    /// The event as one line of JSON (the SSE `data`).
    pub(crate) data: String,
}

impl Published {
    fn of(event: &Event) -> Self {
        Self {
            seq: event.seq,
            kind: event.payload.kind(),
            // Only a map with non-string keys fails to serialize, and no event has one.
            data: serde_json::to_string(event).unwrap_or_else(|_| "{}".to_owned()),
        }
    }

    fn weight(&self) -> usize {
        self.data.len() + EVENT_OVERHEAD_BYTES
    }
}

/// Where a new listener starts.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Start {
    /// From the kept events after its `Last-Event-ID` (none without one), then live.
    Resume(Vec<Arc<Published>>),
    /// With a `resync` numbered `seq` (the newest number given out), then live: the events
    /// after its `Last-Event-ID` are not all known.
    Resync { seq: u64 },
}

/// A listener's place in a cluster's log: kept for as long as its stream lives.
pub(crate) struct Subscription {
    pub(crate) start: Start,
    /// Every event published after `start` was decided.
    pub(crate) live: broadcast::Receiver<Arc<Published>>,
    pub(crate) log: Arc<ClusterEvents>,
    /// The run the caller must start a poller for (the first listener after a quiet spell):
    /// the poller passes it back, so that a poller outlived by a newer run stops.
    pub(crate) start_poller: Option<u64>,
    _listening: Listening,
    _permit: OwnedSemaphorePermit,
}

/// Counts a listener of a cluster while it lives.
struct Listening(Arc<ClusterEvents>);

impl Drop for Listening {
    fn drop(&mut self) {
        let mut log = self.0.lock();
        log.listeners = log.listeners.saturating_sub(1);
        if log.listeners == 0 {
            log.idle_since = Some(Instant::now());
        }
        crate::telemetry::sse_subscribers(&self.0.cluster, log.listeners);
    }
}

/// What a `Last-Event-ID` header said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LastEventId {
    /// No header (a first connection).
    Absent,
    /// The number of the last event the client saw.
    Seq(u64),
    /// Something that is not one of our numbers: treated as unknown.
    Unreadable,
}

#[derive(Debug)]
struct Log {
    /// The kept events, oldest first.
    kept: VecDeque<Arc<Published>>,
    kept_bytes: usize,
    /// The newest number given out (to an event or to the start of a poller).
    last_seq: u64,
    /// The number the running (or last) poller started at: an id before it is not resumable.
    run_start: u64,
    /// The newest number dropped from `kept`: an id before it is not resumable.
    dropped_through: u64,
    listeners: usize,
    /// The run of the poller that runs (or has been asked to start), if one does.
    polling: Option<u64>,
    /// Since when nobody has listened.
    idle_since: Option<Instant>,
}

/// One cluster's events: numbered, kept, broadcast.
#[derive(Debug)]
pub struct ClusterEvents {
    cluster: String,
    log: Mutex<Log>,
    live: broadcast::Sender<Arc<Published>>,
    /// Events kept at most, and their bytes at most.
    keep_events: usize,
    keep_bytes: usize,
}

impl ClusterEvents {
    /// The log of `cluster`: numbers start after `first_seq`; at most `keep_events` events and
    /// `keep_bytes` bytes are kept; a stream may fall `lag_events` behind before it is resynced.
    pub(crate) fn new(
        cluster: &str,
        first_seq: u64,
        keep_events: usize,
        keep_bytes: usize,
        lag_events: usize,
    ) -> Self {
        let (live, _) = broadcast::channel(lag_events.max(1));
        Self {
            cluster: cluster.to_owned(),
            log: Mutex::new(Log {
                kept: VecDeque::new(),
                kept_bytes: 0,
                last_seq: first_seq,
                run_start: first_seq,
                dropped_through: first_seq,
                listeners: 0,
                polling: None,
                idle_since: None,
            }),
            live,
            keep_events,
            keep_bytes,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Log> {
        // A panic while holding the lock leaves a log that is still consistent (every update
        // is a few assignments), so a poisoned lock is used as it is.
        self.log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds a listener: where it starts, and the live events after that. The first listener
    /// while no poller runs starts a new run (and is told to start the poller).
    fn join(self: &Arc<Self>, last: LastEventId, permit: OwnedSemaphorePermit) -> Subscription {
        let mut log = self.lock();
        log.listeners += 1;
        log.idle_since = None;
        crate::telemetry::sse_subscribers(&self.cluster, log.listeners);
        let start_poller = if log.polling.is_none() {
            log.last_seq += 1;
            log.run_start = log.last_seq;
            log.polling = Some(log.run_start);
            log.polling
        } else {
            None
        };
        let start = match last {
            LastEventId::Absent => Start::Resume(Vec::new()),
            LastEventId::Seq(seq)
                if seq >= log.run_start && seq >= log.dropped_through && seq <= log.last_seq =>
            {
                Start::Resume(log.kept.iter().filter(|e| e.seq > seq).cloned().collect())
            }
            LastEventId::Seq(_) | LastEventId::Unreadable => Start::Resync { seq: log.last_seq },
        };
        // Subscribed under the lock that numbers and sends: nothing published after `start`
        // was decided is missed, and nothing in it arrives twice.
        let live = self.live.subscribe();
        drop(log);
        Subscription {
            start,
            live,
            log: Arc::clone(self),
            start_poller,
            _listening: Listening(Arc::clone(self)),
            _permit: permit,
        }
    }

    /// Numbers, keeps and broadcasts what one poll observed at `at`.
    pub(crate) fn publish(&self, at: Timestamp, payloads: Vec<EventPayload>) {
        if payloads.is_empty() {
            return;
        }
        let mut log = self.lock();
        for payload in payloads {
            log.last_seq += 1;
            let event = Arc::new(Published::of(&Event {
                seq: log.last_seq,
                cluster: self.cluster.clone(),
                at,
                payload,
            }));
            log.kept_bytes += event.weight();
            log.kept.push_back(Arc::clone(&event));
            while log.kept.len() > self.keep_events
                || (log.kept_bytes > self.keep_bytes && log.kept.len() > 1)
            {
                let Some(dropped) = log.kept.pop_front() else {
                    break;
                };
                log.kept_bytes -= dropped.weight();
                log.dropped_through = dropped.seq;
            }
            // An error only says nobody listens right now.
            let _ = self.live.send(event);
        }
    }

    /// A `resync` numbered `seq`, for one stream (not kept, not broadcast).
    pub(crate) fn resync(&self, seq: u64) -> Published {
        Published::of(&Event {
            seq,
            cluster: self.cluster.clone(),
            at: Timestamp::now(),
            payload: EventPayload::Resync,
        })
    }

    /// The newest number given out.
    pub(crate) fn last_seq(&self) -> u64 {
        self.lock().last_seq
    }

    /// Whether the poller of `run` should stop now: nobody has listened for `grace` (the log
    /// then counts it stopped, so that the next listener starts another), or a newer run has
    /// replaced it.
    pub(crate) fn stop_polling_if_idle(&self, run: u64, grace: Duration) -> bool {
        let mut log = self.lock();
        if log.polling != Some(run) {
            return true;
        }
        let idle = log.listeners == 0 && log.idle_since.is_some_and(|at| at.elapsed() >= grace);
        if idle {
            log.polling = None;
        }
        idle
    }

    /// The poller of `run` ended (shutdown, or a panic): the next listener starts another.
    pub(crate) fn polling_stopped(&self, run: u64) {
        let mut log = self.lock();
        if log.polling == Some(run) {
            log.polling = None;
        }
    }

    /// One poll of the cluster was made.
    pub(crate) fn count_poll(&self) {
        crate::telemetry::event_poll(&self.cluster);
    }

    /// Bytes of the kept events.
    pub(crate) fn kept_bytes(&self) -> usize {
        self.lock().kept_bytes
    }
}

/// What every cluster's events share: the cap on listeners, the shutdown signal, and how the
/// streams and pollers run.
#[derive(Debug, Clone)]
pub struct EventHub {
    /// One permit per listener, process-wide.
    permits: Arc<Semaphore>,
    /// Flips to `true` when the server shuts down: streams end, pollers stop.
    shutdown: Arc<watch::Sender<bool>>,
    pub(crate) settings: HubSettings,
}

/// How the streams and the pollers run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HubSettings {
    /// Listeners at most, every cluster's together.
    pub max_subscribers: usize,
    /// A comment line on every stream this often, so proxies keep it open.
    pub heartbeat: Duration,
    /// The checks are evaluated every this many polls.
    pub checks_every: u32,
    /// A cluster's poller stops after nobody has listened for this long.
    pub idle_grace: Duration,
}

/// Why a listener was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Every permit is taken: the limit.
    Full(usize),
    /// The server is shutting down.
    ShuttingDown,
}

impl EventHub {
    pub(crate) fn new(settings: HubSettings) -> Self {
        let (shutdown, _) = watch::channel(false);
        Self {
            permits: Arc::new(Semaphore::new(
                settings.max_subscribers.min(Semaphore::MAX_PERMITS),
            )),
            shutdown: Arc::new(shutdown),
            settings,
        }
    }

    /// A new listener of `events`, if the cap allows and the server is not shutting down.
    pub(crate) fn subscribe(
        &self,
        events: &Arc<ClusterEvents>,
        last: LastEventId,
    ) -> Result<Subscription, Refused> {
        if *self.shutdown.borrow() {
            return Err(Refused::ShuttingDown);
        }
        let permit = Arc::clone(&self.permits)
            .try_acquire_owned()
            .map_err(|_| Refused::Full(self.settings.max_subscribers))?;
        Ok(events.join(last, permit))
    }

    /// Resolves when the server shuts down (at once if it has).
    pub(crate) fn shutdown_signal(&self) -> impl Future<Output = ()> + Send + use<> {
        let mut shutdown = self.shutdown.subscribe();
        async move {
            // An error means the hub is gone: nothing is left to serve either.
            let _ = shutdown.wait_for(|down| *down).await;
        }
    }

    /// Ends every stream and poller: the server is shutting down.
    pub fn close(&self) {
        self.shutdown.send_replace(true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LeaderChanged, StoreState, StoreStateChanged};

    fn hub(max: usize) -> EventHub {
        EventHub::new(HubSettings {
            max_subscribers: max,
            heartbeat: Duration::from_secs(15),
            checks_every: 5,
            idle_grace: Duration::ZERO,
        })
    }

    fn leader(to: &str) -> EventPayload {
        EventPayload::LeaderChanged(LeaderChanged {
            from: None,
            to: Some(to.to_owned()),
        })
    }

    fn seqs(start: &Start) -> Vec<u64> {
        match start {
            Start::Resume(events) => events.iter().map(|e| e.seq).collect(),
            Start::Resync { .. } => panic!("resync: {start:?}"),
        }
    }

    #[test]
    fn a_listener_resumes_after_its_last_event_or_resyncs() {
        let hub = hub(10);
        let log = Arc::new(ClusterEvents::new("c", 1000, 3, 1 << 20, 16));
        let first = hub.subscribe(&log, LastEventId::Absent).unwrap();
        assert_eq!(first.start_poller, Some(1001));
        assert_eq!(first.start, Start::Resume(Vec::new()));
        // The run took 1001; events are 1002 to 1006, of which 3 are kept.
        log.publish(
            Timestamp::now(),
            (0..5).map(|i| leader(&format!("pd-{i}"))).collect(),
        );
        let resumed = hub.subscribe(&log, LastEventId::Seq(1003)).unwrap();
        assert_eq!(resumed.start_poller, None, "one poller per cluster");
        assert_eq!(seqs(&resumed.start), [1004, 1005, 1006]);
        assert_eq!(
            seqs(&hub.subscribe(&log, LastEventId::Seq(1006)).unwrap().start),
            Vec::<u64>::new()
        );
        for lost in [
            LastEventId::Seq(1002),
            LastEventId::Seq(1000),
            LastEventId::Seq(1007),
            LastEventId::Unreadable,
        ] {
            assert_eq!(
                hub.subscribe(&log, lost).unwrap().start,
                Start::Resync { seq: 1006 },
                "{lost:?}"
            );
        }
        let data: serde_json::Value = serde_json::from_str(&log.resync(1006).data).unwrap();
        assert_eq!(
            (data["id"].as_str(), data["type"].as_str()),
            (Some("1006"), Some("resync"))
        );
    }

    #[test]
    fn live_events_follow_the_start_without_gap_or_repeat() {
        let hub = hub(10);
        let log = Arc::new(ClusterEvents::new("c", 0, 100, 1 << 20, 16));
        let mut sub = hub.subscribe(&log, LastEventId::Absent).unwrap();
        log.publish(
            Timestamp::now(),
            vec![EventPayload::StoreStateChanged(StoreStateChanged {
                store_id: crate::model::PdId(1),
                address: "a".into(),
                from: Some(StoreState::Up),
                to: Some(StoreState::Down),
            })],
        );
        let event = sub.live.try_recv().unwrap();
        assert_eq!((event.seq, event.kind), (2, EventType::StoreStateChanged));
        assert!(
            event
                .data
                .starts_with(r#"{"id":"2","type":"store_state_changed","cluster":"c","#)
        );
        assert!(sub.live.try_recv().is_err());
    }

    #[test]
    fn kept_events_stay_within_their_bytes() {
        let log = ClusterEvents::new("c", 0, 1000, 1000, 16);
        log.publish(
            Timestamp::now(),
            (0..50).map(|i| leader(&format!("pd-{i}"))).collect(),
        );
        let kept = log.kept_bytes();
        assert!(kept <= 1000 && kept > 500, "{kept}");
        assert_eq!(log.last_seq(), 50);
    }

    #[test]
    fn the_cap_refuses_and_frees_with_the_listener() {
        let hub = hub(2);
        let log = Arc::new(ClusterEvents::new("c", 0, 10, 1 << 20, 16));
        let a = hub.subscribe(&log, LastEventId::Absent).unwrap();
        let _b = hub.subscribe(&log, LastEventId::Absent).unwrap();
        assert_eq!(
            hub.subscribe(&log, LastEventId::Absent).err(),
            Some(Refused::Full(2))
        );
        drop(a);
        assert!(hub.subscribe(&log, LastEventId::Absent).is_ok());
        hub.close();
        assert_eq!(
            hub.subscribe(&log, LastEventId::Absent).err(),
            Some(Refused::ShuttingDown)
        );
    }

    #[test]
    fn a_poller_stops_when_idle_and_the_next_run_is_not_resumable_from_before() {
        let hub = hub(10);
        let log = Arc::new(ClusterEvents::new("c", 0, 10, 1 << 20, 16));
        let sub = hub.subscribe(&log, LastEventId::Absent).unwrap();
        let run = sub.start_poller.unwrap();
        log.publish(Timestamp::now(), vec![leader("pd-1")]);
        assert!(
            !log.stop_polling_if_idle(run, Duration::ZERO),
            "someone listens"
        );
        drop(sub);
        assert!(log.stop_polling_if_idle(run, Duration::ZERO));
        // Event 2 was seen; the next run starts at 3 without having watched in between.
        let next = hub.subscribe(&log, LastEventId::Seq(2)).unwrap();
        assert_eq!(next.start_poller, Some(3));
        assert_eq!(next.start, Start::Resync { seq: 3 });
        // The old poller, had it not noticed, stops for the newer run; ending it changes
        // nothing for the new one.
        assert!(log.stop_polling_if_idle(run, Duration::ZERO));
        log.polling_stopped(run);
        assert!(!log.stop_polling_if_idle(3, Duration::ZERO));
        // A client that got that resync can resume from it.
        assert_eq!(
            hub.subscribe(&log, LastEventId::Seq(3)).unwrap().start,
            Start::Resume(Vec::new())
        );
    }
}
