use serde::Serialize;
use utoipa::ToSchema;

/// Why part of an answer is missing or approximate. An aggregate that reads several upstreams
/// answers with what it has; each part it could not read is `null` and has a warning here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = super::examples::warning)]
pub struct Warning {
    /// Which upstream (or tikv-lens itself) the warning is about.
    pub source: WarningSource,
    /// What went wrong, for a human.
    pub message: String,
}

/// Where a warning comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WarningSource {
    /// The cluster's PD.
    Pd,
    /// The cluster's Prometheus.
    Prometheus,
}
