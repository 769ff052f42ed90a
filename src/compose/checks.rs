//! Health verdicts: everything the checks need, read from PD at once, then decided by
//! `normalize::checks`. A read that fails makes the checks that need it `unknown` with a warning;
//! `/checks` itself never fails for an upstream outage.

use std::sync::Arc;

use futures::future::join_all;

use crate::model::{
    CheckList, CheckStatus, CheckSummary, Meta, NodeState, StoreState, Warning, WarningSource,
};
use crate::normalize;
use crate::normalize::checks::{self as verdict, MemberHealth, Removal};
use crate::promql::CheckQuery;
use crate::state::Cluster;
use crate::upstream::Upstream;
use crate::upstream::pd::{Served, paths};

/// The answers of the checks' PromQL, in the order of `CheckQuery::ALL`, each with the PromQL
/// sent: `None` (with a warning) when the cluster has no Prometheus or it could not answer.
/// The stores PD lists select the series and name the stores; without them, only the
/// selection's extra matchers do.
async fn prometheus_answers(
    cluster: &Cluster,
    stores: Option<&[crate::model::Store]>,
    warnings: &mut Vec<Warning>,
    failure: &mut Option<String>,
) -> Vec<(Option<Vec<verdict::PromSample>>, String)> {
    let lookback = cluster.check_thresholds.runway_lookback;
    let Some(prometheus) = &cluster.prometheus else {
        warnings.push(Warning {
            source: WarningSource::Prometheus,
            message: format!(
                "cluster {:?} has no Prometheus configured: the checks using it are unknown",
                cluster.name
            ),
        });
        let scope = crate::promql::QueryScope::default();
        return CheckQuery::ALL
            .iter()
            .map(|q| (None, q.promql(&scope, "", lookback)))
            .collect();
    };
    let scope = super::store_metrics::query_scope(prometheus);
    let instances = stores.map(normalize::metric_instances).unwrap_or_default();
    let store_ids: std::collections::HashMap<String, crate::model::PdId> = stores
        .unwrap_or_default()
        .iter()
        .filter_map(|s| Some((s.status_address.clone()?, s.id)))
        .collect();
    let matcher = scope.selector(instances.iter().map(String::as_str));
    let time = crate::upstream::prometheus::EvalTime::Now;
    let answers = join_all(CheckQuery::ALL.iter().map(|q| {
        let promql = q.promql(&scope, &matcher, lookback);
        async move {
            let answer = prometheus.query(&promql, time).await;
            (answer, promql)
        }
    }))
    .await;
    let mut failed = false;
    answers
        .into_iter()
        .map(|(answer, promql)| match answer {
            Ok(envelope) => {
                warnings.extend(normalize::sample::warnings(&envelope));
                let samples = verdict::prom_samples(&envelope, scope.join_label(), &store_ids);
                (Some(samples), promql)
            }
            Err(e) => {
                // A query Prometheus rejects (bad_data, execution) is an answer: Prometheus
                // works. Anything else (unreachable, slow, a 5xx, not its API) is an outage.
                let rejected = matches!(
                    &e,
                    crate::upstream::UpstreamError::Rejected { status, .. } if *status < 500
                );
                if !rejected && failure.is_none() {
                    *failure = Some(e.to_string());
                }
                if !failed {
                    failed = true;
                    warnings.push(Warning {
                        source: WarningSource::Prometheus,
                        message: format!(
                            "Prometheus could not answer, the checks using it are unknown: {e}"
                        ),
                    });
                }
                (None, promql)
            }
        })
        .collect()
}

fn unread(warnings: &mut Vec<Warning>, what: &str, e: &dyn std::fmt::Display) {
    warnings.push(pd_warning(format!(
        "{what} unknown, the checks using it are unknown: {e}"
    )));
}

fn pd_warning(message: String) -> Warning {
    Warning {
        source: WarningSource::Pd,
        message,
    }
}

/// Every check of the cluster, in the order of `normalize::checks::CHECK_IDS`, with the summary
/// over all of them; `keep` chooses which statuses are listed (the summary counts every check).
pub(crate) async fn checks(cluster: &Arc<Cluster>, keep: &[CheckStatus]) -> CheckList {
    evaluate(cluster, keep).await.0
}

/// How the checks' Prometheus queries went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PrometheusRead {
    /// The cluster has no Prometheus.
    NotConfigured,
    /// Every query was answered (some perhaps with Prometheus' rejection of the PromQL).
    Answered,
    /// A query failed other than by Prometheus rejecting it (unreachable, too slow, a 5xx,
    /// not Prometheus' API); why.
    Failed(String),
}

/// [`checks`], and whether Prometheus answered (the live events' poller reports it). A
/// Prometheus answer served stale is a failure there, as the freshness record tells.
pub(crate) async fn evaluate(
    cluster: &Arc<Cluster>,
    keep: &[CheckStatus],
) -> (CheckList, PrometheusRead) {
    let pd = &cluster.pd;
    let t = cluster.check_thresholds;
    // The stores, GC safe points and min resolved ts are set against the time they were read
    // (how long since a heartbeat, how old, how far behind), not against the request's oldest
    // read, which a longer-cached configuration can make older by its TTL.
    use crate::upstream::freshness::read_at;
    let (
        (stores, stores_read),
        schedule,
        members,
        health,
        region_health,
        schedulers,
        replication,
        (gc, gc_read),
        (resolved, resolved_read),
    ) = tokio::join!(
        // Each read boxed: in place, the nine of them made this future (and the stack frames
        // that poll it in debug builds) hundreds of kilobytes.
        Box::pin(read_at(pd.stores(true))),
        Box::pin(pd.schedule_config()),
        Box::pin(pd.members()),
        Box::pin(pd.health()),
        Box::pin(super::region_health(cluster)),
        Box::pin(super::scheduler_list(cluster)),
        Box::pin(pd.replication_config()),
        Box::pin(read_at(pd.gc_safe_points())),
        Box::pin(read_at(pd.min_resolved_ts())),
    );
    let observed_at = crate::upstream::freshness::observed_at();
    let mut warnings = Vec::new();

    let stores = stores
        .map_err(|e| e.to_string())
        .and_then(|w| normalize::store_list(w.stores).map_err(|e| e.to_string()))
        .map_err(|e| unread(&mut warnings, "stores", &e))
        .ok();
    let schedule = schedule
        .map_err(|e| e.to_string())
        .and_then(|c| normalize::schedule_config(c).map_err(|e| e.to_string()))
        .map_err(|e| unread(&mut warnings, "schedule configuration", &e))
        .ok();
    let members = match (members, health) {
        (Ok(members), Ok(health)) => Some(MemberHealth {
            leader: members.leader.as_ref().map(|l| l.name.clone()),
            members: members
                .members
                .iter()
                .map(|m| {
                    let healthy = health
                        .iter()
                        .any(|h| h.member_id == m.member_id && h.health);
                    (m.name.clone(), healthy)
                })
                .collect(),
        }),
        (Err(e), _) | (_, Err(e)) => {
            unread(&mut warnings, "PD members and their health", &e);
            None
        }
    };
    let region_counts = match region_health {
        Ok(h) => {
            warnings.extend(h.meta.warnings.iter().cloned());
            Some(h.counts.clone())
        }
        Err(e) => {
            unread(&mut warnings, "region health", &e);
            None
        }
    };
    let schedulers = schedulers
        .map(|list| {
            warnings.extend(list.meta.warnings.iter().cloned());
            list.schedulers
        })
        .map_err(|e| unread(&mut warnings, "schedulers", &e))
        .ok();
    let location_labels = replication
        .map_err(|e| e.to_string())
        .and_then(|r| normalize::replication(r).map_err(|e| e.to_string()))
        .map_err(|e| {
            unread(
                &mut warnings,
                "replication configuration (location-labels)",
                &e,
            )
        })
        .ok()
        .map(|r| r.location_labels);
    let gc = match gc {
        Ok(Served::Answer(wire)) => Some(normalize::gc_safe_points(
            &cluster.name,
            wire,
            Meta::observed(gc_read.unwrap_or(observed_at)),
        )),
        Ok(Served::NoRoute) => {
            unread(
                &mut warnings,
                "GC safe points",
                &format!("PD has no {} (before v5.0)", paths::GC_SAFE_POINT),
            );
            None
        }
        Err(e) => {
            unread(&mut warnings, "GC safe points", &e);
            None
        }
    };
    let resolved = match resolved {
        Ok(Served::Answer(wire)) => normalize::resolved_ts(
            &cluster.name,
            wire,
            Meta::observed(resolved_read.unwrap_or(observed_at)),
        )
        .map_err(|e| {
            unread(
                &mut warnings,
                "min resolved ts",
                &crate::error::ApiError::bad_upstream_value(
                    Upstream::Pd,
                    paths::MIN_RESOLVED_TS,
                    e,
                ),
            );
        })
        .ok(),
        Ok(Served::NoRoute) => {
            unread(
                &mut warnings,
                "min resolved ts",
                &"PD has no /pd/api/v1/min-resolved-ts (before v6.0)",
            );
            None
        }
        Err(e) => {
            unread(&mut warnings, "min resolved ts", &e);
            None
        }
    };

    // The blockers of each store being removed, as `/stores/{id}/progress` finds them.
    let removals = match &stores {
        Some(stores) => {
            let removing: Vec<_> = stores
                .iter()
                .filter(|s| {
                    s.state == StoreState::Offline || s.node_state == Some(NodeState::Removing)
                })
                .map(|s| s.id)
                .collect();
            let read = join_all(removing.into_iter().map(|id| async move {
                let progress = Box::pin(super::store_progress(cluster, id.0)).await;
                (id, progress)
            }))
            .await;
            Some(
                read.into_iter()
                    .map(|(store_id, progress)| Removal {
                        store_id,
                        blockers: progress
                            .map_err(|e| {
                                warnings.push(pd_warning(format!(
                                    "progress of store {store_id} unknown: {e}"
                                )));
                            })
                            .ok()
                            .map(|p| p.blockers),
                    })
                    .collect::<Vec<_>>(),
            )
        }
        None => None,
    };

    let mut prometheus_failure = None;
    let prom = Box::pin(prometheus_answers(
        cluster,
        stores.as_deref(),
        &mut warnings,
        &mut prometheus_failure,
    ))
    .await;
    let prometheus_read = match (&cluster.prometheus, prometheus_failure) {
        (None, _) => PrometheusRead::NotConfigured,
        (Some(_), Some(why)) => PrometheusRead::Failed(why),
        (Some(_), None) => PrometheusRead::Answered,
    };
    let input = |q: CheckQuery| {
        let (samples, source) = &prom[CheckQuery::ALL.iter().position(|x| *x == q).unwrap_or(0)];
        verdict::PromInput {
            samples: samples.as_deref(),
            source,
        }
    };
    let stores = stores.as_deref();
    let all = vec![
        verdict::store_down(
            stores,
            schedule
                .as_ref()
                .and_then(|s| s.max_store_down_time_seconds),
            stores_read.unwrap_or(observed_at),
        ),
        verdict::pd_members(members.as_ref()),
        verdict::region_health(region_counts.as_ref(), &t),
        verdict::leader_schedulers(schedulers.as_deref()),
        verdict::balance_paused(schedulers.as_deref()),
        verdict::scale_in_blocked(removals.as_deref(), |b| {
            serde_json::to_value(b.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        }),
        verdict::low_space(
            stores,
            schedule.as_ref().and_then(|s| s.low_space_ratio),
            &t,
        ),
        verdict::version_drift(stores),
        verdict::location_labels(stores, location_labels.as_deref()),
        verdict::gc_safe_point_age(gc.as_ref(), &t),
        verdict::resolved_ts_lag(resolved.as_ref(), &t),
        verdict::capacity_runway(input(CheckQuery::CapacityRunway), &t),
        verdict::raftstore_cpu(input(CheckQuery::RaftstoreCpu), &t),
        verdict::apply_cpu(input(CheckQuery::ApplyCpu), &t),
        verdict::write_stall(input(CheckQuery::WriteStall), &t),
        verdict::channel_full(input(CheckQuery::ChannelFull), &t),
        verdict::leader_drops(input(CheckQuery::LeaderDrops), &t),
        verdict::scheduler_busy(input(CheckQuery::SchedulerBusy), &t),
    ];
    let summary = CheckSummary::of(&all);
    let checks = all
        .into_iter()
        .filter(|c| keep.is_empty() || keep.contains(&c.status))
        .collect();
    let list = CheckList {
        cluster: cluster.name.clone(),
        summary,
        checks,
        meta: Meta::new(observed_at, warnings),
    };
    (list, prometheus_read)
}
