//! The live events' poller: one task per cluster with listeners, reading what the events are
//! about through the same clients and caches as the API (stores, PD members, operators, the
//! progress of stores being removed or added, and every `--events-checks-every` polls the
//! health checks), comparing each poll with the one before (`event_diff`) and publishing the
//! differences to the cluster's log (`event_log`).
//!
//! Cadence. One poll per cluster per interval however many streams listen: the first listener
//! starts the poller, the poller stops once nobody has listened for the idle grace. A poll that
//! takes longer than the interval delays the next one rather than piling up. The first poll
//! of a run sets the baseline: it publishes nothing about the state it finds.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::future::join_all;
use jiff::Timestamp;

use super::event_diff::{self, Health, StoreSeen};
use crate::error::ApiError;
use crate::event_log::{EventHub, HubSettings, LastEventId, Refused, Subscription};
use crate::model::{CheckStatus, EventPayload, Operator, PdId, ScaleInProgress, WarningSource};
use crate::normalize;
use crate::normalize::progress::store_action;
use crate::state::Cluster;
use crate::upstream::Upstream;
use crate::upstream::freshness::{self, Freshness};

/// A new listener of `cluster`'s events, starting its poller when none runs; a 503 problem
/// when the process has as many listeners as `--events-max-subscribers` allows, or is shutting
/// down.
pub(crate) fn subscribe_events(
    hub: &EventHub,
    cluster: &Arc<Cluster>,
    last: LastEventId,
) -> Result<Subscription, ApiError> {
    let subscription = hub
        .subscribe(&cluster.events, last)
        .map_err(|refused| match refused {
            Refused::Full(limit) => ApiError::TooManySubscribers(limit),
            Refused::ShuttingDown => ApiError::ShuttingDown,
        })?;
    if let Some(run) = subscription.start_poller {
        tokio::spawn(poll(
            Arc::clone(cluster),
            run,
            hub.settings,
            hub.shutdown_signal(),
        ));
    }
    Ok(subscription)
}

/// Marks the poller of a run stopped however its task ends (a panic included), so that the
/// next listener starts another.
struct RunGuard<'a>(&'a Cluster, u64);

impl Drop for RunGuard<'_> {
    fn drop(&mut self) {
        self.0.events.polling_stopped(self.1);
    }
}

/// Polls `cluster` every interval until nobody has listened for the idle grace, or the server
/// shuts down.
async fn poll(
    cluster: Arc<Cluster>,
    run: u64,
    settings: HubSettings,
    shutdown: impl Future<Output = ()>,
) {
    let _guard = RunGuard(&cluster, run);
    let polls = async {
        let mut interval = tokio::time::interval(cluster.events_poll_interval);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut observer = Observer::default();
        let checks_every = u64::from(settings.checks_every.max(1));
        for n in 0u64.. {
            interval.tick().await;
            if cluster
                .events
                .stop_polling_if_idle(run, settings.idle_grace)
            {
                return;
            }
            // Boxed: a poll's reads (the checks' above all) make a large future, too large for
            // a worker's stack in a debug build.
            let found = Box::pin(observer.observe(&cluster, n % checks_every == 0)).await;
            cluster.events.count_poll();
            for (at, payloads) in found {
                cluster.events.publish(at, payloads);
            }
        }
    };
    tokio::select! {
        () = polls => {}
        () = shutdown => {}
    }
}

/// What the poller saw last, part by part; `None` until a part was first read (its baseline).
#[derive(Default)]
struct Observer {
    stores: Option<BTreeMap<u64, StoreSeen>>,
    leader: Option<Option<String>>,
    operators: Option<BTreeMap<String, Operator>>,
    /// The last news of each store being removed or added; `None` until the stores were read.
    scale: Option<BTreeMap<PdId, ScaleInProgress>>,
    checks: Option<BTreeMap<String, CheckStatus>>,
    pd: Option<Health>,
    prometheus: Option<Health>,
}

/// What one poll read of PD; a part that could not be read is `Err` with why.
struct PdReading {
    stores: Result<Vec<crate::model::Store>, String>,
    leader: Result<Option<String>, String>,
    operators: Result<Vec<Operator>, String>,
    /// The progress of each store with an action, `None` where it could not be read.
    progress: Vec<(u64, Option<ScaleInProgress>)>,
}

async fn read_pd(cluster: &Cluster) -> PdReading {
    let pd = &cluster.pd;
    let (stores, members, operators) = tokio::join!(pd.stores(true), pd.members(), pd.operators());
    let stores = stores.map_err(|e| e.to_string()).and_then(|w| {
        normalize::store_list(w.stores).map_err(|e| {
            ApiError::bad_upstream_value(Upstream::Pd, crate::upstream::pd::paths::ALL_STORES, e)
                .to_string()
        })
    });
    let leader = members
        .map(|m| m.leader.map(|l| l.name))
        .map_err(|e| e.to_string());
    let operators = operators
        .map(|texts| {
            texts
                .0
                .into_iter()
                .map(|text| normalize::operator::operator(text).0)
                .collect()
        })
        .map_err(|e| e.to_string());
    let acting: Vec<u64> = match &stores {
        Ok(stores) => stores
            .iter()
            .filter(|s| store_action(s).is_some())
            .map(|s| s.id.0)
            .collect(),
        Err(_) => Vec::new(),
    };
    let progress = join_all(acting.into_iter().map(|id| async move {
        let read = Box::pin(super::store_progress(cluster, id)).await;
        let reading = read.ok().map(|p| ScaleInProgress {
            store_id: PdId(id),
            action: p.action,
            progress: p.progress,
            eta_seconds: p.eta_seconds,
            regions_left: Some(p.regions_left),
            blockers: p.blockers,
        });
        (id, reading)
    }))
    .await;
    PdReading {
        stores,
        leader,
        operators,
        progress,
    }
}

/// PD's health in one poll: the first read that failed, or a read that was served from the
/// last good answer because PD could not be reached.
fn pd_health(reading: &PdReading, freshness: &Freshness) -> Health {
    let failed = [
        reading.stores.as_ref().err(),
        reading.leader.as_ref().err(),
        reading.operators.as_ref().err(),
    ];
    if let Some(why) = failed.into_iter().flatten().next() {
        return Err(why.clone());
    }
    match freshness
        .stale_reads
        .iter()
        .find(|r| r.upstream == Upstream::Pd)
    {
        Some(stale) => Err(stale.message.clone()),
        None => Ok(()),
    }
}

impl Observer {
    /// One poll: what changed since the last, in groups observed at the same time (PD's parts,
    /// then the checks).
    async fn observe(
        &mut self,
        cluster: &Arc<Cluster>,
        with_checks: bool,
    ) -> Vec<(Timestamp, Vec<EventPayload>)> {
        let (reading, freshness) = freshness::scope(Box::pin(read_pd(cluster))).await;
        // When this poll saw it (its reads may be served from the cache, at most a TTL older):
        // polls run one after another, so `at` never goes back as the numbers go up.
        let at = Timestamp::now();
        let mut found = Vec::new();
        let mut events = Vec::new();
        let health = pd_health(&reading, &freshness);
        upstream(&mut self.pd, WarningSource::Pd, health, &mut events);
        self.pd_changes(reading, &mut events);
        found.push((at, events));
        if with_checks {
            let ((list, prometheus), freshness) =
                freshness::scope(Box::pin(super::checks::evaluate(cluster, &[]))).await;
            let mut events = Vec::new();
            if let Some(before) = &mut self.checks {
                events.extend(
                    event_diff::check_changes(before, &list.checks)
                        .into_iter()
                        .map(EventPayload::CheckStatusChanged),
                );
            } else {
                let mut baseline = BTreeMap::new();
                event_diff::check_changes(&mut baseline, &list.checks);
                self.checks = Some(baseline);
            }
            let stale = freshness
                .stale_reads
                .iter()
                .find(|r| r.upstream == Upstream::Prometheus);
            let health = match (prometheus, stale) {
                (super::checks::PrometheusRead::NotConfigured, _) => None,
                (super::checks::PrometheusRead::Failed(why), _) => Some(Err(why)),
                (super::checks::PrometheusRead::Answered, Some(stale)) => {
                    Some(Err(stale.message.clone()))
                }
                (super::checks::PrometheusRead::Answered, None) => Some(Ok(())),
            };
            if let Some(health) = health {
                upstream(
                    &mut self.prometheus,
                    WarningSource::Prometheus,
                    health,
                    &mut events,
                );
            }
            found.push((Timestamp::now(), events));
        }
        found
    }

    /// The events of PD's parts; each part read replaces the last (the first sets the
    /// baseline).
    fn pd_changes(&mut self, reading: PdReading, events: &mut Vec<EventPayload>) {
        if let Ok(leader) = reading.leader {
            if let Some(change) = self
                .leader
                .as_ref()
                .and_then(|before| event_diff::leader_change(before, &leader))
            {
                events.push(EventPayload::LeaderChanged(change));
            }
            self.leader = Some(leader);
        }
        if let Ok(stores) = reading.stores {
            let now: BTreeMap<u64, StoreSeen> = stores
                .iter()
                .map(|s| {
                    (
                        s.id.0,
                        StoreSeen {
                            address: s.address.clone(),
                            state: s.state,
                            region_count: s.region_count,
                            action: store_action(s),
                        },
                    )
                })
                .collect();
            if let Some(before) = &self.stores {
                events.extend(
                    event_diff::store_changes(before, &now)
                        .into_iter()
                        .map(EventPayload::StoreStateChanged),
                );
            }
            self.scale_changes(&now, reading.progress, events);
            self.stores = Some(now);
        }
        if let Ok(operators) = reading.operators {
            let now: BTreeMap<String, Operator> = operators
                .into_iter()
                .map(|op| (event_diff::operator_key(&op), op))
                .collect();
            if let Some(before) = &self.operators {
                let (finished, started) = event_diff::operator_changes(before, &now);
                events.extend(finished.into_iter().map(EventPayload::OperatorFinished));
                events.extend(started.into_iter().map(EventPayload::OperatorStarted));
            }
            self.operators = Some(now);
        }
    }

    /// The news of stores being removed or added: those read this poll, and, with
    /// `action: null`, those that had an action and have none now (or are gone).
    fn scale_changes(
        &mut self,
        stores: &BTreeMap<u64, StoreSeen>,
        progress: Vec<(u64, Option<ScaleInProgress>)>,
        events: &mut Vec<EventPayload>,
    ) {
        let mut now: Vec<ScaleInProgress> = progress.into_iter().filter_map(|(_, p)| p).collect();
        let Some(last_sent) = &mut self.scale else {
            // The baseline: what is under way now, silently.
            self.scale = Some(
                now.into_iter()
                    .filter(|p| p.action.is_some())
                    .map(|p| (p.store_id, p))
                    .collect(),
            );
            return;
        };
        for (&id, _) in last_sent.iter() {
            let acting = stores.get(&id.0).is_some_and(|s| s.action.is_some());
            if !acting {
                now.push(ScaleInProgress {
                    store_id: id,
                    action: None,
                    progress: None,
                    eta_seconds: None,
                    regions_left: stores.get(&id.0).map(|s| s.region_count),
                    blockers: Vec::new(),
                });
            }
        }
        events.extend(
            event_diff::scale_changes(last_sent, now)
                .into_iter()
                .map(EventPayload::ScaleInProgress),
        );
    }
}

/// Records an upstream's health; an event when it changed (not at the baseline).
fn upstream(
    before: &mut Option<Health>,
    which: WarningSource,
    now: Health,
    events: &mut Vec<EventPayload>,
) {
    if let Some(change) = before
        .as_ref()
        .and_then(|before| event_diff::upstream_change(which, before, &now))
    {
        events.push(EventPayload::UpstreamStatus(change));
    }
    *before = Some(now);
}
