use serde::Serialize;
use utoipa::ToSchema;

/// The answer of `/healthz`: the process is up.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Liveness {
    /// Always `ok`.
    pub status: String,
    /// The tikv-lens version.
    pub version: String,
}

/// The answer of `/readyz` when every cluster is ready (otherwise a 503 problem naming the
/// clusters that are not).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Readiness {
    /// `true`: every cluster's PD has answered.
    pub ready: bool,
    /// One entry per configured cluster.
    pub clusters: Vec<ClusterReadiness>,
}

/// Readiness of one cluster.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClusterReadiness {
    /// The cluster's configured name.
    pub name: String,
    /// `true` once one of the cluster's PD endpoints has answered. It stays `true` afterwards:
    /// a later PD outage is reported by the API's own 503 answers, so that every replica is not
    /// removed from a load balancer at once.
    pub ready: bool,
}
