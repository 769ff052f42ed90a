use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use super::{Meta, PdId, StoreState};

/// How the cluster places replicas, and whether the stores' labels let it: the replication
/// settings, the stores arranged by their location labels, and the placement rules.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Placement {
    /// The cluster's configured name.
    pub cluster: String,
    /// Replicas per region (`max-replicas`); without placement rules, the count PD keeps.
    pub max_replicas: u64,
    /// The store labels that describe where a store is, most significant first (PD's
    /// comma-joined `location-labels`, as a list). PD spreads a region's replicas over different
    /// values of these, in this order.
    pub location_labels: Vec<String>,
    /// The location label replicas must differ in at least (`isolation-level`), or `null` when
    /// not set.
    pub isolation_level: Option<String>,
    /// Whether PD refuses stores whose labels do not match `location_labels` exactly.
    pub strictly_match_label: bool,
    /// Whether placement rules are on; then `placement_rules`, not `max_replicas`, decide.
    pub placement_rules_enabled: bool,
    /// The stores by location: one tree per value of the first location label (`zone`), each
    /// with a subtree per value of the next (`host`), down to the stores. Stores lacking a label
    /// sit under the value `""`. `null` when the stores could not be read (a warning says why).
    pub label_tree: Option<Vec<LabelNode>>,
    /// Every store but tombstones, sorted by id, with whether its labels name every location
    /// label; `null` when the stores could not be read.
    pub stores: Option<Vec<StorePlacement>>,
    /// The placement rules by group, when enabled; `null` when placement rules are off, or when
    /// they could not be read (a warning says so).
    pub placement_rules: Option<Vec<PlacementRuleGroup>>,
    // `stale`, `observed_at` and `warnings`, the answer's last keys.
    #[serde(flatten)]
    pub meta: Meta,
}

/// One value of a location label and what is under it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(no_recursion)]
pub struct LabelNode {
    /// The location label (`zone`).
    pub key: String,
    /// Its value (`z1`); `""` for stores without the label.
    pub value: String,
    /// Every store at or below this node, sorted.
    pub store_ids: Vec<PdId>,
    /// One node per value of the next location label; empty at the last label.
    pub children: Vec<LabelNode>,
}

/// A store's labels against the location labels.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StorePlacement {
    /// The store id.
    pub id: PdId,
    /// The store's state.
    pub state: StoreState,
    /// The store's labels.
    pub labels: BTreeMap<String, String>,
    /// The store's value of each location label, in their order; `null` where it has none.
    pub location: Vec<Option<String>>,
    /// `true` when the store has every location label (with a non-empty value).
    pub covers_location_labels: bool,
    /// The location labels the store lacks, in their order.
    pub missing_location_labels: Vec<String>,
}

/// A group of placement rules.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PlacementRuleGroup {
    /// The group id (`pd` for the default rules, `tiflash`, `TiDB_DDL_…`).
    pub group_id: String,
    /// Groups apply in this order.
    pub group_index: i64,
    /// When `true`, this group's rules replace those of groups with smaller indexes.
    pub group_override: bool,
    /// The group's rules.
    pub rules: Vec<PlacementRule>,
}

/// One placement rule: how many peers of which role go where, for a key range.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PlacementRule {
    /// The rule id, unique within its group (`default`).
    pub id: String,
    /// Rules within a group apply in this order.
    pub index: i64,
    /// When `true`, this rule replaces the group's rules with smaller indexes.
    #[serde(rename = "override")]
    pub overrides: bool,
    /// First key of the range, uppercase hex; `""` is the start of the key space.
    pub start_key: String,
    /// Key after the range, uppercase hex; `""` is the end of the key space.
    pub end_key: String,
    /// The role of the peers: `voter`, `leader`, `follower` or `learner` (PD's value, unchanged).
    pub role: String,
    /// `true` when the peers are witnesses.
    pub is_witness: bool,
    /// How many peers.
    pub count: u64,
    /// Which stores qualify: every constraint must hold.
    pub label_constraints: Vec<LabelConstraint>,
    /// Location labels to spread these peers over (PD's list).
    pub location_labels: Vec<String>,
    /// The location label the peers must differ in, or `null`.
    pub isolation_level: Option<String>,
}

/// A store label constraint of a placement rule.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LabelConstraint {
    /// The label.
    pub key: String,
    /// `in`, `notIn`, `exists` or `notExists` (PD's value, unchanged).
    pub op: String,
    /// The values `in` and `notIn` compare with.
    pub values: Vec<String>,
}
