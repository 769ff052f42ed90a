use jiff::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

use super::{Meta, PdId};

/// The operators PD is running now: each changes one region (moves a peer, transfers a leader,
/// merges, splits).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OperatorList {
    /// The cluster's configured name.
    pub cluster: String,
    /// How many operators are in `operators`.
    pub count: usize,
    /// The operators, sorted by region id.
    pub operators: Vec<Operator>,
    // `stale`, `observed_at` and `warnings`, the answer's last keys.
    #[serde(flatten)]
    pub meta: Meta,
}

/// One operator, parsed from PD's text of it (`raw`). A part PD's text does not have, or has in
/// a shape this API does not know, is `null` (a warning says so); `raw` is always there.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Operator {
    /// The region it changes.
    pub region_id: Option<PdId>,
    /// What it does (PD's operator kind flags), e.g. `["leader"]`, `["replica", "region"]`.
    pub kind: Vec<OperatorKind>,
    /// Who made it and why: the scheduler or checker's description (`balance-leader`,
    /// `replace-offline-replica`, `admin-add-peer`).
    pub description: String,
    /// PD's short summary of the change (`mv peer: store [1] to [4]`), as PD wrote it.
    pub brief: String,
    /// Where it is: `created` (waiting to start), `started`, `success` (its last step is done),
    /// `timeout` (it ran longer than `timeout_seconds`).
    pub status: Option<OperatorStatus>,
    /// When PD created it (RFC 3339 UTC), or `null`.
    pub created_at: Option<Timestamp>,
    /// When it started (RFC 3339 UTC); `null` while it has not.
    pub started_at: Option<Timestamp>,
    /// How long it may run before PD gives up, in seconds (the sum of its steps' timeouts).
    pub timeout_seconds: Option<f64>,
    /// The step it is at (0 is the first); equal to `step_count` when done.
    pub current_step: Option<u64>,
    /// Its steps, in order, as PD describes them (`add learner peer 77 on store 4`); `null` when
    /// PD's text does not delimit them (PD before v7 joins them with commas that also occur
    /// inside steps).
    pub steps: Option<Vec<String>>,
    /// The region's approximate size when the operator was made, in bytes (PD keeps MiB).
    pub approximate_size_bytes: Option<u64>,
    /// The region's epoch version when the operator was made.
    pub region_version: Option<u64>,
    /// The region's epoch conf_ver when the operator was made.
    pub region_conf_ver: Option<u64>,
    /// The stores it moves a peer or the leader away from, from `brief`; `null` when the brief
    /// does not say (a merge, a split, a promotion).
    pub from_store_ids: Option<Vec<PdId>>,
    /// The stores it moves a peer or the leader to, from `brief`; `null` when the brief does not
    /// say.
    pub to_store_ids: Option<Vec<PdId>>,
    /// PD's text of the operator, unchanged.
    pub raw: String,
}

/// An operator kind flag: `leader` (transfers leaders), `region` (adds or removes peers),
/// `split`, `merge`, `admin` (asked for through the API), `hot-region`, `replica` (the replica
/// checker), `range`, `witness`, `witness-leader`; `unknown` for a flag newer than this API or
/// an operator without flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum OperatorKind {
    Leader,
    Region,
    Split,
    Merge,
    Admin,
    HotRegion,
    Replica,
    Range,
    Witness,
    WitnessLeader,
    Unknown,
}

/// Where an operator is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OperatorStatus {
    Created,
    Started,
    Success,
    Timeout,
}
