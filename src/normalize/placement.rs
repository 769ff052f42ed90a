//! PD's replication settings, placement rules and the stores' labels to [`Placement`]: the
//! comma-joined location labels as a list, string booleans as booleans, the stores arranged by
//! their location labels.

use std::collections::BTreeMap;

use super::FieldError;
use super::pd_text::parse_comma_list;
use super::schedule_config::flag;
use crate::model::{
    LabelConstraint, LabelNode, Meta, PdId, Placement, PlacementRule, PlacementRuleGroup, Store,
    StorePlacement, StoreState,
};
use crate::upstream::pd::wire;

/// The replication settings of PD's `/config/replicate`, normalized.
pub(crate) struct Replication {
    pub max_replicas: u64,
    pub location_labels: Vec<String>,
    pub isolation_level: Option<String>,
    pub strictly_match_label: bool,
    pub placement_rules_enabled: bool,
}

pub(crate) fn replication(w: wire::ReplicationConfig) -> Result<Replication, FieldError> {
    Ok(Replication {
        max_replicas: w.max_replicas,
        location_labels: parse_comma_list(&w.location_labels),
        isolation_level: Some(w.isolation_level).filter(|l| !l.is_empty()),
        strictly_match_label: flag("strictly-match-label", w.strictly_match_label)?
            .unwrap_or(false),
        placement_rules_enabled: flag("enable-placement-rules", w.enable_placement_rules)?
            .unwrap_or(false),
    })
}

/// A store's value of each location label (`None` where it lacks the label or its value is empty).
pub(crate) fn store_location(store: &Store, labels: &[String]) -> Vec<Option<String>> {
    labels
        .iter()
        .map(|l| store.labels.get(l).filter(|v| !v.is_empty()).cloned())
        .collect()
}

/// A tree level: values to (stores at or below, the next level).
#[derive(Default)]
struct Level(BTreeMap<String, (Vec<PdId>, Level)>);

impl Level {
    fn insert(&mut self, path: &[String], store: PdId) {
        if let Some((value, rest)) = path.split_first() {
            let (stores, next) = self.0.entry(value.clone()).or_default();
            stores.push(store);
            next.insert(rest, store);
        }
    }

    fn into_nodes(self, keys: &[String]) -> Vec<LabelNode> {
        let Some((key, rest)) = keys.split_first() else {
            return Vec::new();
        };
        self.0
            .into_iter()
            .map(|(value, (mut store_ids, next))| {
                store_ids.sort_unstable();
                LabelNode {
                    key: key.clone(),
                    value,
                    store_ids,
                    children: next.into_nodes(rest),
                }
            })
            .collect()
    }
}

/// The stores (tombstones left out) by location, with their coverage of the location labels.
pub(crate) fn label_tree(
    stores: &[Store],
    location_labels: &[String],
) -> (Vec<LabelNode>, Vec<StorePlacement>) {
    let mut root = Level::default();
    let mut placements = Vec::new();
    for store in stores.iter().filter(|s| s.state != StoreState::Tombstone) {
        let location = store_location(store, location_labels);
        let path: Vec<String> = location
            .iter()
            .map(|v| v.clone().unwrap_or_default())
            .collect();
        root.insert(&path, store.id);
        let missing_location_labels: Vec<String> = location_labels
            .iter()
            .zip(&location)
            .filter(|(_, v)| v.is_none())
            .map(|(l, _)| l.clone())
            .collect();
        placements.push(StorePlacement {
            id: store.id,
            state: store.state,
            labels: store.labels.clone(),
            covers_location_labels: missing_location_labels.is_empty(),
            missing_location_labels,
            location,
        });
    }
    placements.sort_by_key(|p| p.id);
    (root.into_nodes(location_labels), placements)
}

pub(crate) fn rule_groups(w: wire::RuleBundles) -> Vec<PlacementRuleGroup> {
    w.0.into_iter()
        .map(|b| PlacementRuleGroup {
            group_id: b.group_id,
            group_index: b.group_index,
            group_override: b.group_override,
            rules: b
                .rules
                .into_iter()
                .map(|r| PlacementRule {
                    id: r.id,
                    index: r.index,
                    overrides: r.r#override,
                    start_key: r.start_key.to_ascii_uppercase(),
                    end_key: r.end_key.to_ascii_uppercase(),
                    role: r.role,
                    is_witness: r.is_witness,
                    count: r.count,
                    label_constraints: r
                        .label_constraints
                        .into_iter()
                        .map(|c| LabelConstraint {
                            key: c.key,
                            op: c.op,
                            values: c.values,
                        })
                        .collect(),
                    location_labels: r.location_labels,
                    isolation_level: Some(r.isolation_level).filter(|l| !l.is_empty()),
                })
                .collect(),
        })
        .collect()
}

/// The whole answer.
pub(crate) fn placement(
    cluster: &str,
    replication: Replication,
    stores: Option<&[Store]>,
    rules: Option<Vec<PlacementRuleGroup>>,
    meta: Meta,
) -> Placement {
    let (label_tree, stores) = match stores {
        Some(stores) => {
            let (tree, placements) = label_tree(stores, &replication.location_labels);
            (Some(tree), Some(placements))
        }
        None => (None, None),
    };
    Placement {
        cluster: cluster.to_owned(),
        max_replicas: replication.max_replicas,
        location_labels: replication.location_labels,
        isolation_level: replication.isolation_level,
        strictly_match_label: replication.strictly_match_label,
        placement_rules_enabled: replication.placement_rules_enabled,
        label_tree,
        stores,
        placement_rules: rules,
        meta,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(id: u64, labels: &[(&str, &str)], state: StoreState) -> Store {
        let json = format!(
            r#"{{"store":{{"id":{id},"state_name":"Up","labels":[{}]}},"status":{{}}}}"#,
            labels
                .iter()
                .map(|(k, v)| format!(r#"{{"key":"{k}","value":"{v}"}}"#))
                .collect::<Vec<_>>()
                .join(",")
        );
        let mut s = crate::normalize::store(serde_json::from_str(&json).unwrap()).unwrap();
        s.state = state;
        s
    }

    #[test]
    fn replication_strings_become_values() {
        let w: wire::ReplicationConfig = serde_json::from_str(
            r#"{"max-replicas":3,"location-labels":"zone,host","strictly-match-label":"false",
                "enable-placement-rules":"true","enable-placement-rules-cache":"false","isolation-level":""}"#,
        )
        .unwrap();
        let r = replication(w).unwrap();
        assert_eq!(r.location_labels, ["zone", "host"]);
        assert!(!r.strictly_match_label);
        assert!(r.placement_rules_enabled);
        assert_eq!(r.isolation_level, None);
        let bad: wire::ReplicationConfig =
            serde_json::from_str(r#"{"max-replicas":3,"strictly-match-label":"nope"}"#).unwrap();
        assert_eq!(
            replication(bad).err().unwrap().field,
            "strictly-match-label"
        );
    }

    #[test]
    fn the_tree_follows_the_location_labels() {
        let stores = [
            store(1, &[("zone", "z1"), ("host", "h1")], StoreState::Up),
            store(4, &[("zone", "z1"), ("host", "h2")], StoreState::Up),
            store(5, &[("zone", "z2")], StoreState::Up),
            store(9, &[("zone", "z3"), ("host", "h9")], StoreState::Tombstone),
        ];
        let labels = vec!["zone".to_owned(), "host".to_owned()];
        let (tree, placements) = label_tree(&stores, &labels);
        assert_eq!(tree.len(), 2, "the tombstone's zone is left out");
        assert_eq!(tree[0].value, "z1");
        assert_eq!(tree[0].store_ids, [PdId(1), PdId(4)]);
        assert_eq!(tree[0].children.len(), 2);
        assert_eq!(tree[0].children[1].store_ids, [PdId(4)]);
        assert!(tree[0].children[1].children.is_empty());
        assert_eq!(tree[1].children[0].value, "", "store 5 has no host");
        assert_eq!(placements.len(), 3);
        assert!(placements[0].covers_location_labels);
        assert!(!placements[2].covers_location_labels);
        assert_eq!(placements[2].missing_location_labels, ["host"]);
        assert_eq!(placements[2].location, [Some("z2".to_owned()), None]);
    }
}
