use jiff::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

use super::{Meta, PdId};

/// The schedulers PD runs, with their state and, where PD exposes it, what they hold.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SchedulerList {
    /// The cluster's configured name.
    pub cluster: String,
    /// How many schedulers are in `schedulers`.
    pub count: usize,
    /// The schedulers, sorted by name.
    pub schedulers: Vec<Scheduler>,
    // `stale`, `observed_at` and `warnings`, the answer's last keys.
    #[serde(flatten)]
    pub meta: Meta,
}

/// One scheduler.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Scheduler {
    /// PD's name for it (`balance-leader-scheduler`, `evict-leader-scheduler`).
    pub name: String,
    /// What it does, from its name.
    pub kind: SchedulerKind,
    /// Whether it runs now. `null` when PD's paused or disabled list could not be read (a
    /// warning says which).
    pub status: Option<SchedulerStatus>,
    /// When it was paused (RFC 3339 UTC); `null` unless paused.
    pub paused_at: Option<Timestamp>,
    /// When it resumes by itself (RFC 3339 UTC); `null` unless paused.
    pub paused_until: Option<Timestamp>,
    /// Its configuration, for the schedulers that hold stores (`evict-leader`, `grant-leader`,
    /// `evict-slow-store`); `null` for the others, and when PD has no configuration endpoint for
    /// it or it could not be read (a warning then says so).
    pub config: Option<SchedulerConfig>,
}

/// A scheduler's kind: PD's scheduler type (its name without `-scheduler`). `balance-leader`,
/// `balance-region`, `balance-hot-region`: spread leaders, regions and hot regions over the
/// stores. `evict-leader`: keeps leaders off the stores it holds. `grant-leader`: moves all
/// leaders onto the stores it holds. `evict-slow-store`, `evict-slow-trend`: evict leaders from
/// a store PD finds slow. `shuffle-leader`, `shuffle-region`, `shuffle-hot-region`,
/// `random-merge`: test schedulers. `scatter-range`: spreads one key range. `label`: moves
/// leaders off stores labelled `reject-leader`. `split-bucket`, `transfer-witness-leader`,
/// `balance-witness`, `evict-stopping-store`: newer special-purpose schedulers. `unknown`: a
/// scheduler newer than this API (`name` says which).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SchedulerKind {
    BalanceLeader,
    BalanceRegion,
    BalanceHotRegion,
    BalanceWitness,
    EvictLeader,
    GrantLeader,
    EvictSlowStore,
    EvictSlowTrend,
    EvictStoppingStore,
    GrantHotRegion,
    ShuffleLeader,
    ShuffleRegion,
    ShuffleHotRegion,
    RandomMerge,
    ScatterRange,
    Label,
    SplitBucket,
    TransferWitnessLeader,
    Unknown,
}

/// `running`: scheduling; `paused`: paused until `paused_until` (`pd-ctl scheduler pause`);
/// `disabled`: a default scheduler turned off (PD v7+ keeps default schedulers and disables them
/// instead of removing them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SchedulerStatus {
    Running,
    Paused,
    Disabled,
}

/// What a store-holding scheduler holds, from PD's `/scheduler-config/{name}/list`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SchedulerConfig {
    /// The stores it acts on (evict leaders from, grant leaders to, evicted as slow), sorted.
    /// `null` when PD's configuration does not say: PD v8's `evict-slow-store` list leaves out
    /// the evicted stores.
    pub store_ids: Option<Vec<PdId>>,
    /// How many leaders an `evict-leader` scheduler moves per round (PD v7.2+); `null` otherwise.
    pub batch: Option<u64>,
    /// Seconds an `evict-slow-store` scheduler waits after a store recovers before it gives the
    /// store its leaders back (PD v7.5+); `null` otherwise.
    pub recovery_duration_seconds: Option<f64>,
}
