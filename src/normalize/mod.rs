//! Pure functions, no I/O: PD's wire formats to the public model.
//!
//! The string parsers (`byte_size`, `go_duration`, `timestamp`) are public and property-tested;
//! the wire-to-model conversions report a bad value as a [`FieldError`] naming the field, which
//! the API turns into a 502 naming PD, the path and the field.

use crate::model::{Warning, WarningSource};
use crate::upstream::Upstream;
use crate::upstream::freshness::StaleRead;

pub mod byte_size;
pub mod checks;
mod gc;
pub mod go_duration;
pub mod go_time_text;
mod hotspot;
mod member;
pub mod operator;
mod overview;
pub mod pd_text;
mod placement;
pub mod progress;
mod range_body;
mod region;
mod resolved_ts;
pub mod sample;
mod schedule_config;
pub mod scheduler;
mod store;
mod store_metrics;
pub mod tidb_key;
pub mod timestamp;
pub mod tso;

pub use checks::CheckThresholds;
pub(crate) use gc::gc_safe_points;
pub(crate) use hotspot::hot_stores;
pub use hotspot::{REGION_CHECKS, region_health_counts};
pub(crate) use member::{member_list, pd_overview};
pub use overview::{storage_totals, store_state_counts};
pub(crate) use placement::{placement, replication, rule_groups};
pub(crate) use range_body::render_range;
#[cfg(test)]
pub(crate) use range_body::render_range_in_two_from;
#[doc(hidden)]
pub use range_body::render_range_json_len;
pub use region::normalize_regions_page;
#[doc(hidden)]
pub use region::parse_regions_page_wire_only;
pub(crate) use region::{MaybeRegion, NormalizedRegions, RenderedRegions};
pub(crate) use resolved_ts::resolved_ts;
pub(crate) use schedule_config::{schedule_config, store_limits};
pub(crate) use store::{store, store_list};
pub(crate) use store_metrics::{
    InstantIndex, cluster_metrics, store_metric_columns, store_metrics,
};
pub use store_metrics::{is_empty as metrics_empty, metric_instances};

/// The one mapping from the upstream layer's [`Upstream`] to the public [`WarningSource`].
impl From<Upstream> for WarningSource {
    fn from(upstream: Upstream) -> Self {
        match upstream {
            Upstream::Pd => WarningSource::Pd,
            Upstream::Prometheus => WarningSource::Prometheus,
        }
    }
}

/// The warning of a read served stale because its upstream failed.
pub(crate) fn stale_warning(read: StaleRead) -> Warning {
    Warning {
        source: read.upstream.into(),
        message: read.message,
    }
}

/// A value in an upstream body that decoded but makes no sense (a size that is not a size).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FieldError {
    /// Where the value is, e.g. `stores[2].status.capacity`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    fn new(field: &str, message: impl ToString) -> Self {
        Self {
            field: field.to_owned(),
            message: message.to_string(),
        }
    }

    /// Places the field under a parent, e.g. `status.capacity` under `stores[2]`.
    fn within(mut self, parent: &str) -> Self {
        self.field = format!("{parent}.{}", self.field);
        self
    }
}
