use serde::Serialize;
use utoipa::ToSchema;

use super::{ClusterMetrics, MemberRef, Meta, PdId, RegionHealthCounts};

/// The clusters this tikv-lens fronts.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = super::examples::cluster_list)]
pub struct ClusterList {
    /// One entry per configured cluster, in configuration order.
    pub clusters: Vec<ClusterSummary>,
    // `stale`, `observed_at` and `warnings`, the answer's last keys.
    #[serde(flatten)]
    pub meta: Meta,
}

/// A configured cluster with a one-line health summary.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = super::examples::cluster_summary)]
pub struct ClusterSummary {
    /// The cluster's configured name: the `{cluster}` in every path below it.
    pub name: String,
    /// Overall health from PD's member health.
    pub health: ClusterHealth,
    /// One line saying why, e.g. `3 of 3 PD members healthy`.
    pub summary: String,
    /// PD members reporting healthy, or `null` when PD could not be read.
    pub pd_healthy_members: Option<usize>,
    /// PD members in total, or `null` when PD could not be read.
    pub pd_members: Option<usize>,
    /// The configured PD endpoints (credentials removed).
    pub pd_endpoints: Vec<String>,
    /// `true` when a Prometheus is configured for the cluster.
    pub prometheus_configured: bool,
}

/// Health of a cluster as PD reports it.
///
/// `healthy`: every PD member is healthy; `degraded`: PD answered but some members are not
/// healthy; `unreachable`: no PD endpoint answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClusterHealth {
    Healthy,
    Degraded,
    Unreachable,
}

/// A cluster at a glance: PD, stores, storage and regions. Each part that could not be read is
/// `null` and has a warning.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = super::examples::cluster_overview)]
pub struct ClusterOverview {
    /// The cluster's configured name.
    pub name: String,
    /// The TiKV cluster id PD reports, or `null` when PD's members could not be read.
    pub cluster_id: Option<PdId>,
    /// PD itself: version, leader and member health.
    pub pd: PdOverview,
    /// Stores counted by state (tombstones included), or `null` when the stores could not be read.
    pub stores: Option<StoreStateCounts>,
    /// Capacity totals over the stores that are not tombstones and report sizes, or `null` when
    /// the stores could not be read.
    pub storage: Option<StorageTotals>,
    /// Regions in the cluster, or `null` when PD could not count them.
    pub region_count: Option<u64>,
    /// Unhealthy regions by kind (as `regions/health` gives them, cached 30 s), or `null` when
    /// PD's region checks could not be read.
    pub region_health: Option<RegionHealthCounts>,
    /// Cluster-wide traffic from Prometheus, or `null` when no Prometheus is configured or it
    /// could not be read (a warning then says why).
    pub metrics: Option<ClusterMetrics>,
    /// The worst status and the counts of the cluster's checks (`/checks`). Never `null`: a
    /// check whose data could not be read counts as `unknown`.
    pub checks: super::CheckSummary,
    // `stale`, `observed_at` and `warnings`, the answer's last keys.
    #[serde(flatten)]
    pub meta: Meta,
}

/// PD's part of the overview.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PdOverview {
    /// The version PD reports (`v8.5.1`), or `null` when it could not be read.
    pub version: Option<String>,
    /// The PD leader, or `null` while none is elected or when members could not be read.
    pub leader: Option<MemberRef>,
    /// PD members in total, or `null` when members could not be read.
    pub member_count: Option<usize>,
    /// PD members reporting healthy, or `null` when health could not be read.
    pub healthy_member_count: Option<usize>,
}

/// Stores counted by state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct StoreStateCounts {
    /// Every store PD knows, tombstones included.
    pub total: usize,
    /// Stores in state `up`.
    pub up: usize,
    /// Stores in state `offline`.
    pub offline: usize,
    /// Stores in state `tombstone`.
    pub tombstone: usize,
    /// Stores in state `disconnected`.
    pub disconnected: usize,
    /// Stores in state `down`.
    pub down: usize,
    /// Stores in a state newer than this API.
    pub unknown: usize,
    /// TiFlash stores among `total`.
    pub tiflash: usize,
}

/// Storage totals, summed over the stores (TiKV and TiFlash) that are not tombstones and report a
/// capacity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct StorageTotals {
    /// Sum of the stores' capacity in bytes. PD rounds each store's value to 4 significant
    /// digits, so the sum is approximate to about 0.05%.
    pub capacity_bytes: u64,
    /// Sum of the stores' used bytes, approximate like `capacity_bytes`.
    pub used_bytes: u64,
    /// Sum of the stores' available bytes, approximate like `capacity_bytes`.
    pub available_bytes: u64,
    /// How many stores the sums cover.
    pub store_count: usize,
}
