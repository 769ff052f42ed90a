//! Region health: PD's nine region checks read at once, counted, and kept per cluster for the
//! region-health TTL (the lists are large in a big cluster; concurrent callers share one read).

use std::sync::Arc;

use futures::future::join_all;

use crate::error::ApiError;
use crate::model::{Meta, RegionHealth, Warning, WarningSource};
use crate::normalize;
use crate::state::Cluster;
use crate::upstream::UpstreamError;

/// Region health, cached per cluster: computed at most once per TTL, concurrent callers share
/// the computation. An answer where every check failed is an error and is not cached.
pub(crate) async fn region_health(cluster: &Arc<Cluster>) -> Result<Arc<RegionHealth>, ApiError> {
    let load = {
        let cluster = Arc::clone(cluster);
        async move { read_region_health(&cluster).await.map(Arc::new) }
    };
    cluster
        .region_health
        .try_get_with((), load)
        .await
        .map_err(|e: Arc<UpstreamError>| ApiError::Upstream(UpstreamError::clone(&e)))
        .inspect(|health| {
            crate::upstream::freshness::record(
                health.meta.observed_at,
                cluster.cache_ttls.region_health,
            )
        })
}

async fn read_region_health(cluster: &Cluster) -> Result<RegionHealth, UpstreamError> {
    let answers = join_all(
        normalize::REGION_CHECKS
            .iter()
            .map(|kind| async move { (*kind, cluster.pd.region_check(kind).await) }),
    )
    .await;
    if let Some(Err(first)) = answers
        .first()
        .map(|(_, a)| a.as_ref())
        .filter(|_| answers.iter().all(|(_, a)| a.is_err()))
    {
        return Err(first.clone());
    }
    let mut warnings = Vec::new();
    let counts =
        normalize::region_health_counts(answers.into_iter().map(|(kind, answer)| match answer {
            Ok(check) => (kind, Some(check.count)),
            Err(e) => {
                warnings.push(Warning {
                    source: WarningSource::Pd,
                    message: format!("{kind} count unknown: {e}"),
                });
                (kind, None)
            }
        }));
    Ok(RegionHealth {
        cluster: cluster.name.clone(),
        counts,
        meta: Meta::new(crate::upstream::freshness::observed_at(), warnings),
    })
}
