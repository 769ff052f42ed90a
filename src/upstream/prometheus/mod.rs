//! Prometheus' HTTP API (`/api/v1/query`, `/api/v1/query_range`): the client and the wire types.

mod client;
mod selection;
pub(crate) mod wire;

pub use client::{EvalTime, PrometheusClient, RangeParams};
pub(crate) use client::{QUERY_PATH, QUERY_RANGE_PATH, QueryAnswer};
pub use selection::{LabelName, SeriesSelection};
