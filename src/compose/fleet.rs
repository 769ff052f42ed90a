//! The fleet: every configured cluster read at once, each within its own deadline, so that one
//! slow or dead PD neither slows nor fails the others' answers.

use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;

use crate::model::{CheckStatus, Fleet, FleetCluster, Meta, Warning, WarningSource};
use crate::normalize;
use crate::state::{AppState, Cluster};

/// Each cluster's share of the request deadline: half of it, so that the answer (with the
/// clusters that did not make it marked so) is written well before the request's own 504.
pub(crate) fn cluster_deadline(request_timeout: Duration) -> Duration {
    request_timeout / 2
}

/// Every cluster side by side.
pub(crate) async fn fleet(state: &AppState) -> Fleet {
    let deadline = cluster_deadline(state.request_timeout);
    let clusters = join_all(state.clusters().iter().map(|cluster| async move {
        match tokio::time::timeout(deadline, Box::pin(one(cluster))).await {
            Ok(answer) => answer,
            Err(_) => not_answered(
                cluster,
                format!(
                    "the cluster did not answer within the fleet's per-cluster deadline of {} ms",
                    deadline.as_millis()
                ),
            ),
        }
    }))
    .await;
    Fleet {
        clusters,
        cluster_deadline_seconds: deadline.as_secs_f64(),
        meta: Meta::observed(crate::upstream::freshness::observed_at()),
    }
}

fn not_answered(cluster: &Cluster, message: String) -> FleetCluster {
    FleetCluster {
        name: cluster.name.clone(),
        answered: false,
        version: None,
        stores: None,
        storage: None,
        runway_days: None,
        checks: None,
        not_ok: Vec::new(),
        warnings: vec![Warning {
            source: WarningSource::Pd,
            message,
        }],
    }
}

async fn one(cluster: &Arc<Cluster>) -> FleetCluster {
    let (status, stores, checks) = tokio::join!(
        cluster.pd.status(),
        cluster.pd.stores(true),
        Box::pin(super::checks(cluster, &[]))
    );
    let mut warnings = checks.meta.warnings;
    let version = status
        .map_err(|e| {
            warnings.push(Warning {
                source: WarningSource::Pd,
                message: format!("PD version unknown: {e}"),
            });
        })
        .ok()
        .and_then(|s| s.version);
    let stores = stores
        .ok()
        .and_then(|w| normalize::store_list(w.stores).ok());
    if version.is_none() && stores.is_none() {
        let mut answer = not_answered(cluster, "PD could not be read".to_owned());
        answer.warnings.extend(warnings);
        return answer;
    }
    FleetCluster {
        name: cluster.name.clone(),
        answered: true,
        version,
        stores: stores.as_deref().map(normalize::store_state_counts),
        storage: stores.as_deref().map(normalize::storage_totals),
        runway_days: checks
            .checks
            .iter()
            .find(|c| c.id == "capacity-runway")
            .and_then(|c| c.evidence.values.get("min_runway_days").copied()),
        checks: Some(checks.summary),
        not_ok: checks
            .checks
            .into_iter()
            .filter(|c| c.status != CheckStatus::Ok)
            .collect(),
        warnings,
    }
}
