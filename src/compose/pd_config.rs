//! PD's configuration as answers: the schedule configuration with the stores' limits, and the
//! placement of replicas (replication settings, the stores by location, the placement rules).

use crate::error::ApiError;
use crate::model::{Meta, Placement, ScheduleConfigAnswer, Warning, WarningSource};
use crate::normalize;
use crate::state::Cluster;
use crate::upstream::Upstream;
use crate::upstream::pd::paths;

fn pd_warning(message: String) -> Warning {
    Warning {
        source: WarningSource::Pd,
        message,
    }
}

/// The schedule configuration (required) and the store limits (`null` with a warning when PD
/// refuses them: `store-limit-version` v2 has none).
pub(crate) async fn schedule_config(cluster: &Cluster) -> Result<ScheduleConfigAnswer, ApiError> {
    let (config, limits) = tokio::join!(cluster.pd.schedule_config(), cluster.pd.store_limits());
    let schedule = normalize::schedule_config(config?)
        .map_err(|e| ApiError::bad_upstream_value(Upstream::Pd, paths::SCHEDULE_CONFIG, e))?;
    let mut warnings = Vec::new();
    let store_limits = match limits {
        Ok(limits) => match normalize::store_limits(limits) {
            Ok(limits) => Some(limits),
            Err(e) => {
                warnings.push(pd_warning(format!(
                    "store limits unusable ({}, key {}): {e}",
                    paths::STORE_LIMITS,
                    e.field
                )));
                None
            }
        },
        Err(e) => {
            warnings.push(pd_warning(format!("store limits unknown: {e}")));
            None
        }
    };
    Ok(ScheduleConfigAnswer {
        cluster: cluster.name.clone(),
        schedule,
        store_limits,
        meta: Meta::new(crate::upstream::freshness::observed_at(), warnings),
    })
}

/// Replication settings (required), the stores by location (`null` with a warning when the
/// stores cannot be read) and the placement rules when they are on.
pub(crate) async fn placement(cluster: &Cluster) -> Result<Placement, ApiError> {
    let pd = &cluster.pd;
    let (replication, stores) = tokio::join!(pd.replication_config(), pd.stores(false));
    let replication = normalize::replication(replication?)
        .map_err(|e| ApiError::bad_upstream_value(Upstream::Pd, paths::REPLICATION_CONFIG, e))?;
    let mut warnings = Vec::new();
    let stores = match stores {
        Ok(wire) => match normalize::store_list(wire.stores) {
            Ok(stores) => Some(stores),
            Err(e) => {
                warnings.push(pd_warning(format!(
                    "stores unusable ({}, field {}): {e}",
                    paths::STORES,
                    e.field
                )));
                None
            }
        },
        Err(e) => {
            warnings.push(pd_warning(format!("stores unknown: {e}")));
            None
        }
    };
    let rules = if replication.placement_rules_enabled {
        match pd.placement_rules().await {
            Ok(rules) => rules.map(normalize::rule_groups),
            Err(e) => {
                warnings.push(pd_warning(format!("placement rules unknown: {e}")));
                None
            }
        }
    } else {
        None
    };
    Ok(normalize::placement(
        &cluster.name,
        replication,
        stores.as_deref(),
        rules,
        Meta::new(crate::upstream::freshness::observed_at(), warnings),
    ))
}
