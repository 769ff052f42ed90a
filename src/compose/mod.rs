//! Orchestration: answers built from several upstream reads, and the partial-answer policy.
//!
//! Handlers (`api`) extract and validate a request, call one function here, and shape the
//! answer; the functions here read the upstreams (`upstream`), convert what they read
//! (`normalize`) and decide what a missing part means: a part that cannot be read is `null` with
//! a warning naming its source, and only when nothing can be read is the answer an error. A PD
//! outage never fails a metric, and a Prometheus outage never fails a PD-backed answer.
//!
//! The live events are orchestration too: `events.rs` runs one poller per cluster with
//! listeners (started by the first, stopped after the last leaves) over the same reads and
//! caches, and `event_diff.rs` decides, without I/O, which events two polls make.

mod checks;
mod event_diff;
mod events;
mod fleet;
mod overview;
mod pd_config;
mod region_health;
mod schedulers;
mod store_metrics;
mod store_progress;
mod stores;

pub(crate) use checks::checks;
pub(crate) use events::subscribe_events;
pub(crate) use fleet::fleet;
pub(crate) use overview::{overview, summarize};
pub(crate) use pd_config::{placement, schedule_config};
pub(crate) use region_health::region_health;
pub(crate) use schedulers::scheduler_list;
pub(crate) use store_metrics::store_series;
pub(crate) use store_progress::store_progress;
pub(crate) use stores::store_list;

use crate::upstream::prometheus::RangeParams;

/// A validated range: the grid asked of Prometheus, and the times the client gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ParsedRange {
    /// `start` and `end` snapped down to multiples of `step` (Unix milliseconds), so that
    /// dashboards refreshing a sliding window ask for the same grid until a step has passed.
    pub grid: RangeParams,
    pub requested_start_ms: i64,
    pub requested_end_ms: i64,
}
