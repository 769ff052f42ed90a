//! Health verdicts (`/checks`) and the fleet (`/fleet`).

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use super::{Meta, PdId, StorageTotals, StoreStateCounts, Warning};

/// How a check came out. Ordered from best to worst: `ok` < `unknown` < `warning` <
/// `critical` (an unknown check is worse than a passing one: nobody knows it passes).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    serde::Deserialize,
    ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// Nothing needs an operator.
    Ok,
    /// The data the check needs could not be read (a warning says why).
    Unknown,
    /// Something needs an operator soon.
    Warning,
    /// Something needs an operator now.
    Critical,
}

impl CheckStatus {
    /// Every status, best first.
    pub const ALL: [CheckStatus; 4] = [
        CheckStatus::Ok,
        CheckStatus::Unknown,
        CheckStatus::Warning,
        CheckStatus::Critical,
    ];

    /// The status' name in the API.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Ok => "ok",
            CheckStatus::Unknown => "unknown",
            CheckStatus::Warning => "warning",
            CheckStatus::Critical => "critical",
        }
    }

    /// The status named `name`, if any.
    #[must_use]
    pub fn from_name(name: &str) -> Option<CheckStatus> {
        CheckStatus::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// What decided a check: the numbers and ids it looked at, never prose.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct CheckEvidence {
    /// The measured values, each named with its unit (`gc_safe_point_age_seconds`,
    /// `down_peer_regions`, `min_available_ratio`); a value that could not be measured is absent.
    pub values: BTreeMap<String, f64>,
    /// The threshold of `warning`, in the unit of the value it applies to, or `null` when the
    /// check has no such threshold. A value at or above it is `warning` for counts, ratios and
    /// ages; above it for the checks of alert rules (`raftstore-cpu` … `scheduler-busy`: 0
    /// means any); under it for `capacity-runway`'s days.
    pub warning_threshold: Option<f64>,
    /// The threshold of `critical`, on the same side as `warning_threshold`, or `null` when the
    /// check has none.
    pub critical_threshold: Option<f64>,
    /// The stores concerned (the down ones, the low ones, the held ones), ascending.
    pub store_ids: Vec<PdId>,
    /// Other things concerned, by name: schedulers, PD members, versions, services, blocker
    /// kinds.
    pub names: Vec<String>,
}

/// One named check and its verdict.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Check {
    /// The check's stable id, one of (in the order they are listed): `store-down`,
    /// `pd-members`, `region-health`, `leader-schedulers`, `balance-paused`,
    /// `scale-in-blocked`, `low-space`, `version-drift`, `location-labels`,
    /// `gc-safe-point-age`, `resolved-ts-lag` (from PD); `capacity-runway`, `raftstore-cpu`,
    /// `apply-cpu`, `write-stall`, `channel-full`, `leader-drops`, `scheduler-busy` (from
    /// Prometheus).
    pub id: String,
    /// The verdict.
    pub status: CheckStatus,
    /// One line saying what was found.
    pub summary: String,
    /// The numbers and ids that decided it.
    pub evidence: CheckEvidence,
    /// What was read: PD API paths (comma-separated when several) or a PromQL query.
    pub source: String,
}

/// Checks counted by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct CheckCounts {
    /// Checks that are `ok`.
    pub ok: usize,
    /// Checks that are `warning`.
    pub warning: usize,
    /// Checks that are `critical`.
    pub critical: usize,
    /// Checks that are `unknown`.
    pub unknown: usize,
}

impl CheckCounts {
    /// Counts `checks` by status.
    #[must_use]
    pub fn of(checks: &[Check]) -> Self {
        let mut counts = Self::default();
        for check in checks {
            *match check.status {
                CheckStatus::Ok => &mut counts.ok,
                CheckStatus::Warning => &mut counts.warning,
                CheckStatus::Critical => &mut counts.critical,
                CheckStatus::Unknown => &mut counts.unknown,
            } += 1;
        }
        counts
    }
}

/// The worst status and the counts of a cluster's checks (the overview's and the fleet's part).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct CheckSummary {
    /// The worst status of all checks (`ok` when every check is ok).
    pub worst_status: CheckStatus,
    /// Every check counted by status (the filter of `/checks` does not apply).
    pub counts: CheckCounts,
}

impl CheckSummary {
    /// The summary of `checks`.
    #[must_use]
    pub fn of(checks: &[Check]) -> Self {
        Self {
            worst_status: checks
                .iter()
                .map(|c| c.status)
                .max()
                .unwrap_or(CheckStatus::Ok),
            counts: CheckCounts::of(checks),
        }
    }
}

/// A cluster's health verdicts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckList {
    /// The cluster's configured name.
    pub cluster: String,
    /// The worst status and counts over every check, before the `status` filter.
    pub summary: CheckSummary,
    /// The checks, in a fixed order, those the `status` filter kept.
    pub checks: Vec<Check>,
    // `stale`, `observed_at` and `warnings`, the answer's last keys.
    #[serde(flatten)]
    pub meta: Meta,
}

/// One cluster of the fleet.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FleetCluster {
    /// The cluster's configured name.
    pub name: String,
    /// `false` when the cluster did not answer within the fleet's per-cluster deadline or its
    /// PD could not be read at all; every other field is then `null` or empty.
    pub answered: bool,
    /// The PD version, or `null` when it could not be read.
    pub version: Option<String>,
    /// Stores counted by state, or `null` when the stores could not be read.
    pub stores: Option<StoreStateCounts>,
    /// Capacity totals, or `null` when the stores could not be read.
    pub storage: Option<StorageTotals>,
    /// Days until the first store fills at the trend of the capacity-runway check, or `null`
    /// when no store is filling or it could not be measured (no Prometheus, or no answer).
    pub runway_days: Option<f64>,
    /// The worst status and counts of the cluster's checks, or `null` when it did not answer.
    pub checks: Option<CheckSummary>,
    /// The checks that are not `ok`.
    pub not_ok: Vec<Check>,
    /// What could not be read for this cluster, and why.
    pub warnings: Vec<Warning>,
}

/// Every configured cluster side by side.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Fleet {
    /// One entry per configured cluster, in configuration order.
    pub clusters: Vec<FleetCluster>,
    /// How long each cluster was given, in seconds, before it was reported as not answering.
    pub cluster_deadline_seconds: f64,
    // `stale`, `observed_at` and `warnings`, the answer's last keys.
    #[serde(flatten)]
    pub meta: Meta,
}
