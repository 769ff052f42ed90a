//! The scheduler list: PD's schedulers, the paused ones with their times, the disabled ones,
//! and the configuration of each scheduler that holds stores, read at once. Only the list
//! itself is required; a part that cannot be read is `null` with a warning.

use std::collections::BTreeMap;

use futures::future::join_all;

use crate::error::ApiError;
use crate::model::{Meta, SchedulerList, Warning, WarningSource};
use crate::normalize::{self, scheduler};
use crate::state::Cluster;
use crate::upstream::Upstream;
use crate::upstream::pd::{Served, paths};

fn pd_warning(message: String) -> Warning {
    Warning {
        source: WarningSource::Pd,
        message,
    }
}

/// Every scheduler with its status and, for store-holding ones, the stores it holds.
pub(crate) async fn scheduler_list(cluster: &Cluster) -> Result<SchedulerList, ApiError> {
    let pd = &cluster.pd;
    let (enabled, paused, disabled) = tokio::join!(
        pd.schedulers(),
        pd.paused_schedulers(),
        pd.disabled_schedulers()
    );
    let enabled = enabled?.0;
    let mut warnings = Vec::new();
    let paused = paused
        .map_err(|e| {
            warnings.push(pd_warning(format!(
                "which schedulers are paused is unknown: {e}"
            )))
        })
        .ok()
        .map(|p| p.0);
    let disabled = disabled
        .map_err(|e| {
            warnings.push(pd_warning(format!(
                "which schedulers are disabled is unknown: {e}"
            )))
        })
        .ok()
        .map(|d| d.0);
    let holders: Vec<String> = enabled
        .iter()
        .chain(disabled.iter().flatten())
        .filter(|name| scheduler::holds_stores(scheduler::scheduler_kind(name)))
        .cloned()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let answers = join_all(holders.into_iter().map(|name| async move {
        let answer = pd.scheduler_config(&name).await;
        (name, answer)
    }))
    .await;
    let mut configs = BTreeMap::new();
    for (name, answer) in answers {
        match answer {
            Ok(Served::Answer(list)) => match normalize::scheduler::scheduler_config(&name, list) {
                Ok(config) => {
                    configs.insert(name, config);
                }
                Err(e) => warnings.push(pd_warning(format!(
                    "{name}'s configuration is unusable ({}, field {}): {e}",
                    paths::scheduler_config(&name),
                    e.field
                ))),
            },
            Ok(Served::NoRoute) => warnings.push(pd_warning(format!(
                "{name}'s configuration is unknown: this PD has no {} (PD before v7 has none for evict-slow-store)",
                paths::scheduler_config(&name)
            ))),
            Err(e) => warnings.push(pd_warning(format!("{name}'s configuration is unknown: {e}"))),
        }
    }
    let observed_at = crate::upstream::freshness::observed_at();
    normalize::scheduler::scheduler_list(
        &cluster.name,
        normalize::scheduler::SchedulerReads {
            enabled,
            paused,
            disabled,
            configs,
        },
        Meta::new(observed_at, warnings),
    )
    .map_err(|e| ApiError::bad_upstream_value(Upstream::Pd, paths::SCHEDULERS_PAUSED, e))
}
