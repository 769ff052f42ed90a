//! Public response types: `Serialize` + `ToSchema`, and nothing from `upstream`.
//!
//! Their doc comments become the descriptions in the OpenAPI document, so each field says its
//! unit and meaning. Conventions (see the API contract): units in field names, ids as decimal
//! strings, points in time as RFC 3339 UTC, absent data as `null` rather than an omitted field.

mod check;
mod cluster;
mod event;
mod examples;
mod gc;
mod hotspot;
mod id;
mod key;
mod member;
mod meta;
mod metrics;
mod operator;
mod placement;
mod problem;
mod progress;
mod readiness;
mod region;
mod resolved_ts;
mod schedule_config;
mod scheduler;
mod store;
mod tso;
mod warning;

pub use check::{
    Check, CheckCounts, CheckEvidence, CheckList, CheckStatus, CheckSummary, Fleet, FleetCluster,
};
pub use cluster::{
    ClusterHealth, ClusterList, ClusterOverview, ClusterSummary, PdOverview, StorageTotals,
    StoreStateCounts,
};
pub use event::{
    CheckStatusChanged, Event, EventPayload, EventType, LeaderChanged, OperatorFinished,
    OperatorStarted, ScaleInProgress, StoreStateChanged, UpstreamStatus,
};
pub use gc::{GcSafePoints, ServiceSafePoint};
pub use hotspot::{HotLoad, HotRegion, HotStore, HotspotKind, Hotspots};
pub use id::PdId;
pub use key::{DecodedKey, KeyKind};
pub use member::{Member, MemberList, MemberRef};
pub use meta::Meta;
pub use metrics::{
    ClusterMetrics, InstantQueryResult, InstantSample, NonFinite, NonFinitePoint, RangeQueryResult,
    RangeSeries, RawSeries, ResultType, StoreMetricColumns, StoreMetrics, StoreMetricsSeries,
};
pub use operator::{Operator, OperatorKind, OperatorList, OperatorStatus};
pub use placement::{
    LabelConstraint, LabelNode, Placement, PlacementRule, PlacementRuleGroup, StorePlacement,
};
pub use problem::{Problem, ProblemType};
pub use progress::{Blocker, BlockerKind, ProgressAction, ProgressSource, StoreProgress};
pub use readiness::{ClusterReadiness, Liveness, Readiness};
pub use region::{
    DownPeer, Peer, PeerRole, Region, RegionDetail, RegionEpoch, RegionHealth, RegionHealthCounts,
    RegionPage,
};
pub use resolved_ts::{ResolvedTs, StoreResolvedTs};
pub use schedule_config::{ScheduleConfig, ScheduleConfigAnswer, StoreLimit};
pub use scheduler::{Scheduler, SchedulerConfig, SchedulerKind, SchedulerList, SchedulerStatus};
pub use store::{NodeState, Store, StoreDetail, StoreEngine, StoreList, StoreState};
pub use tso::Tso;
pub use warning::{Warning, WarningSource};
