use jiff::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

use super::Warning;

/// What every answer ends with: when its data was read, whether it is a stale stand-in for an
/// unreachable upstream, and what is missing from it.
///
/// Answers embed it flattened, so these three fields are the answer's last keys.
// Each answer embeds it as `#[serde(flatten)] pub meta: Meta`, which utoipa renders as
// `allOf: [{$ref: Meta}, {the answer's own properties}]`. The `meta` fields carry no doc comment:
// it would become a `description` beside that `$ref`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = super::examples::meta)]
pub struct Meta {
    /// `true` when the upstream could not be reached and this is the last good answer,
    /// served within the stale window (its `observed_at` says how old; a warning says why).
    pub stale: bool,
    /// When the upstream was read (RFC 3339 UTC): PD for clusters, members, stores, regions and
    /// hotspots, Prometheus for metric queries and store series; the oldest read when the answer
    /// uses several. A read served from tikv-lens' cache keeps the time it was made.
    pub observed_at: Timestamp,
    /// Parts of the answer that could not be read (they are `null` or missing), why the answer
    /// is stale, and Prometheus' own warnings and infos, passed through; empty when the answer
    /// is complete.
    pub warnings: Vec<Warning>,
}

impl Meta {
    /// A fresh (not stale) answer's meta: its data read at `observed_at`, with `warnings`.
    pub fn new(observed_at: Timestamp, warnings: Vec<Warning>) -> Self {
        Self {
            stale: false,
            observed_at,
            warnings,
        }
    }

    /// A fresh, complete answer's meta: its data read at `observed_at`, no warnings.
    pub fn observed(observed_at: Timestamp) -> Self {
        Self::new(observed_at, Vec::new())
    }
}
