use jiff::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

use super::{Meta, NodeState, PdId, StoreState};

/// A store being removed (scale-in) or added (scale-out): how far along, how fast, when done,
/// and what keeps it from finishing.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StoreProgress {
    /// The cluster's configured name.
    pub cluster: String,
    /// The store id.
    pub store_id: PdId,
    /// The store's state.
    pub state: StoreState,
    /// The store's lifecycle state (PD v6+), or `null`.
    pub node_state: Option<NodeState>,
    /// What is happening to it: `removing` (its regions move away), `preparing` (regions move
    /// onto it before it serves), or `null` (neither).
    pub action: Option<ProgressAction>,
    /// How far along, from 0 to 1: for `removing`, the share of the store's region size (when
    /// the removal was first seen) that has left; for `preparing`, the share of the size it must
    /// hold before it serves. `null` when unknown.
    pub progress: Option<f64>,
    /// How fast region data moves, in bytes per second, over the last minutes; `null` when
    /// unknown.
    pub speed_bytes_per_second: Option<f64>,
    /// How fast the store's region count changes, in regions per second (leaving for
    /// `removing`, arriving for `preparing`), from tikv-lens' own readings of the store over the
    /// last ten minutes; `null` until two readings exist.
    pub regions_per_second: Option<f64>,
    /// Seconds until done at the current speed; `null` when unknown or when nothing moves (PD
    /// reports the largest float then).
    pub eta_seconds: Option<f64>,
    /// Regions with a peer still on the store.
    pub regions_left: u64,
    /// Where `progress`, `speed_bytes_per_second` and `eta_seconds` come from: `pd` (PD's
    /// `/stores/progress`) or `tikv_lens` (computed from the store's region size over time, when
    /// PD has no progress for it: PD before v6.1, or just after a PD leader change); `null` with
    /// them.
    pub source: Option<ProgressSource>,
    /// Why the action cannot finish, as far as PD's configuration and state tell; empty when
    /// nothing is in the way (or nothing is happening).
    pub blockers: Vec<Blocker>,
    /// For a `disconnected` store: seconds until PD calls it `down` (from
    /// `max-store-down-time` and its last heartbeat) and starts replacing its replicas; `null`
    /// otherwise.
    pub down_in_seconds: Option<f64>,
    /// When PD last heard from the store (RFC 3339 UTC), or `null`.
    pub last_heartbeat_at: Option<Timestamp>,
    // `stale`, `observed_at` and `warnings`, the answer's last keys.
    #[serde(flatten)]
    pub meta: Meta,
}

/// What is happening to a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProgressAction {
    Removing,
    Preparing,
}

/// Where progress figures come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProgressSource {
    Pd,
    TikvLens,
}

/// One reason a removal or addition cannot finish.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Blocker {
    /// Which reason.
    pub kind: BlockerKind,
    /// What is wrong and what to do, for a human.
    pub message: String,
    /// The PD endpoint the evidence comes from.
    pub source: String,
}

/// `not_enough_stores`: fewer up stores outside this one (or fewer distinct values of the
/// isolation label among them) than replicas per region, so its replicas have nowhere to go.
/// `store_limit_zero`: the store's remove-peer (removing) or add-peer (preparing) limit is 0.
/// `scheduler_paused`, `scheduler_missing`, `scheduler_disabled`: balance-region is paused,
/// absent or disabled. `checker_disabled`: the replica checker's repairs this needs are turned
/// off (`enable-replace-offline-replica`, `enable-make-up-replica`) or paused.
/// `schedule_limit_zero`: `replica-schedule-limit` or `region-schedule-limit` is 0.
/// `scheduling_halted`: `halt-scheduling` is on. `evict_leader_on_removed_store`: an
/// evict-leader scheduler still holds a store that is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BlockerKind {
    NotEnoughStores,
    StoreLimitZero,
    SchedulerPaused,
    SchedulerMissing,
    SchedulerDisabled,
    CheckerDisabled,
    ScheduleLimitZero,
    SchedulingHalted,
    EvictLeaderOnRemovedStore,
}
