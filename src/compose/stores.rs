//! The store list: PD's stores, filtered by state, and with `include=metrics` each joined to
//! its current metrics from Prometheus (which never fails the list).

use std::collections::BTreeSet;

use crate::error::ApiError;
use crate::model::{Meta, StoreList, StoreState};
use crate::normalize;
use crate::state::Cluster;
use crate::upstream::Upstream;
use crate::upstream::pd;
use crate::upstream::prometheus::EvalTime;

/// The stores in `filter`'s states (every store but tombstones without one), sorted by id.
pub(crate) async fn store_list(
    cluster: &Cluster,
    filter: Option<&BTreeSet<StoreState>>,
    with_metrics: bool,
    metrics_time: EvalTime,
) -> Result<StoreList, ApiError> {
    let include_tombstones = filter.is_some_and(|f| f.contains(&StoreState::Tombstone));
    let wire = cluster.pd.stores(include_tombstones).await?;
    let observed_at = crate::upstream::freshness::observed_at();
    let mut stores = normalize::store_list(wire.stores).map_err(|e| {
        ApiError::bad_upstream_value(Upstream::Pd, pd::paths::stores(include_tombstones), e)
    })?;
    if let Some(filter) = filter {
        stores.retain(|s| filter.contains(&s.state));
    }
    let warnings = if with_metrics {
        super::store_metrics::join_store_metrics(cluster, &mut stores, metrics_time).await
    } else {
        Vec::new()
    };
    Ok(StoreList {
        cluster: cluster.name.clone(),
        count: stores.len(),
        stores,
        meta: Meta::new(observed_at, warnings),
    })
}
