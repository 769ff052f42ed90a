//! Which events two polls make: the stores' states, the PD leader, the operators in flight, the
//! stores being removed or added, the checks and the upstreams' health. No I/O: the poller
//! (`events.rs`) reads, and these functions compare what it read with what it read before.

use std::collections::BTreeMap;

use crate::model::{
    Check, CheckStatus, CheckStatusChanged, LeaderChanged, Operator, OperatorFinished,
    OperatorStarted, PdId, ProgressAction, ScaleInProgress, StoreState, StoreStateChanged,
    UpstreamStatus, WarningSource,
};

/// Progress below this move is not news (the contract: "moved by 0.01 or more"); the epsilon
/// keeps 0.30 - 0.29 (0.0099999…) a move.
const PROGRESS_STEP: f64 = 0.01 - 1e-9;

/// What a poll saw of one store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct StoreSeen {
    pub(super) address: String,
    pub(super) state: StoreState,
    pub(super) region_count: u64,
    /// Being removed or added, as the store's states say.
    pub(super) action: Option<ProgressAction>,
}

/// Stores that appeared, changed state or disappeared, by store id.
pub(super) fn store_changes(
    before: &BTreeMap<u64, StoreSeen>,
    now: &BTreeMap<u64, StoreSeen>,
) -> Vec<StoreStateChanged> {
    let mut changes = Vec::new();
    for (&id, seen) in now {
        let from = before.get(&id).map(|s| s.state);
        if from != Some(seen.state) {
            changes.push(StoreStateChanged {
                store_id: PdId(id),
                address: seen.address.clone(),
                from,
                to: Some(seen.state),
            });
        }
    }
    for (&id, gone) in before.iter().filter(|(id, _)| !now.contains_key(id)) {
        changes.push(StoreStateChanged {
            store_id: PdId(id),
            address: gone.address.clone(),
            from: Some(gone.state),
            to: None,
        });
    }
    changes.sort_by_key(|c| c.store_id);
    changes
}

/// The PD leader's change, if it changed.
pub(super) fn leader_change(
    before: &Option<String>,
    now: &Option<String>,
) -> Option<LeaderChanged> {
    (before != now).then(|| LeaderChanged {
        from: before.clone(),
        to: now.clone(),
    })
}

/// An operator's identity across polls: its region, who made it, its brief and when it was
/// created (its text also holds its current step, which changes while it runs). An operator
/// whose text is not in PD's layout is known by its whole text.
pub(super) fn operator_key(op: &Operator) -> String {
    match (op.region_id, op.created_at) {
        (Some(region), Some(created)) => {
            format!("{region}\n{}\n{}\n{created}", op.description, op.brief)
        }
        _ => op.raw.clone(),
    }
}

/// The operators that left (finished) and those that appeared (started), in that order, each by
/// region.
pub(super) fn operator_changes(
    before: &BTreeMap<String, Operator>,
    now: &BTreeMap<String, Operator>,
) -> (Vec<OperatorFinished>, Vec<OperatorStarted>) {
    let region = |op: &Operator| op.region_id;
    let mut finished: Vec<OperatorFinished> = before
        .iter()
        .filter(|(key, _)| !now.contains_key(*key))
        .map(|(_, op)| OperatorFinished {
            region_id: region(op),
            kind: op.kind.clone(),
            description: op.description.clone(),
        })
        .collect();
    let mut started: Vec<OperatorStarted> = now
        .iter()
        .filter(|(key, _)| !before.contains_key(*key))
        .map(|(_, op)| OperatorStarted {
            region_id: region(op),
            kind: op.kind.clone(),
            description: op.description.clone(),
            brief: op.brief.clone(),
        })
        .collect();
    finished.sort_by_key(|o| o.region_id);
    started.sort_by_key(|o| o.region_id);
    (finished, started)
}

/// The news about stores being removed or added: `now` holds this poll's reading of each store
/// the poller has something to say about (the stores with an action, and, with `action: None`,
/// those that had one). A reading is news when its action changed, its progress moved by 0.01
/// or more since the last news, or its blockers changed. `last_sent` keeps, per store, the last
/// reading that was news (or the first one seen); a store whose action ended leaves it.
pub(super) fn scale_changes(
    last_sent: &mut BTreeMap<PdId, ScaleInProgress>,
    now: Vec<ScaleInProgress>,
) -> Vec<ScaleInProgress> {
    let mut news = Vec::new();
    for reading in now {
        let is_news = match last_sent.get(&reading.store_id) {
            None => reading.action.is_some(),
            Some(last) => {
                last.action != reading.action
                    || progress_moved(last.progress, reading.progress)
                    || last.blockers != reading.blockers
            }
        };
        if !is_news {
            continue;
        }
        if reading.action.is_some() {
            last_sent.insert(reading.store_id, reading.clone());
        } else {
            last_sent.remove(&reading.store_id);
        }
        news.push(reading);
    }
    news
}

fn progress_moved(before: Option<f64>, now: Option<f64>) -> bool {
    match (before, now) {
        (Some(a), Some(b)) => (a - b).abs() >= PROGRESS_STEP,
        (None, None) => false,
        _ => true,
    }
}

/// The checks whose status changed, in the checks' order; `before` is updated to `now`.
pub(super) fn check_changes(
    before: &mut BTreeMap<String, CheckStatus>,
    now: &[Check],
) -> Vec<CheckStatusChanged> {
    let mut changes = Vec::new();
    for check in now {
        let from = before.insert(check.id.clone(), check.status);
        if from != Some(check.status) {
            changes.push(CheckStatusChanged {
                check_id: check.id.clone(),
                from,
                to: check.status,
                summary: check.summary.clone(),
            });
        }
    }
    changes
}

/// Whether polling an upstream worked: `Err` says why not.
pub(super) type Health = Result<(), String>;

/// The change of an upstream's health, when it went from working to failing or back (a
/// failure whose reason changes is still the same failure).
pub(super) fn upstream_change(
    upstream: WarningSource,
    before: &Health,
    now: &Health,
) -> Option<UpstreamStatus> {
    match (before, now) {
        (Ok(()), Err(why)) => Some(UpstreamStatus {
            upstream,
            ok: false,
            detail: Some(why.clone()),
        }),
        (Err(_), Ok(())) => Some(UpstreamStatus {
            upstream,
            ok: true,
            detail: None,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Blocker, BlockerKind, CheckEvidence, OperatorKind, PdId};

    fn store(state: StoreState) -> StoreSeen {
        StoreSeen {
            address: "tikv-1:20160".into(),
            state,
            region_count: 10,
            action: None,
        }
    }

    #[test]
    fn stores_appear_change_and_disappear() {
        let before = BTreeMap::from([(1, store(StoreState::Up)), (4, store(StoreState::Up))]);
        let now = BTreeMap::from([
            (1, store(StoreState::Disconnected)),
            (5, store(StoreState::Up)),
        ]);
        let changes = store_changes(&before, &now);
        let summary: Vec<_> = changes
            .iter()
            .map(|c| (c.store_id.0, c.from, c.to))
            .collect();
        assert_eq!(
            summary,
            [
                (1, Some(StoreState::Up), Some(StoreState::Disconnected)),
                (4, Some(StoreState::Up), None),
                (5, None, Some(StoreState::Up)),
            ]
        );
        assert!(store_changes(&now, &now).is_empty());
    }

    fn operator(region: u64, created: &str, step: u64) -> Operator {
        Operator {
            region_id: Some(PdId(region)),
            kind: vec![OperatorKind::Leader],
            description: "balance-leader".into(),
            brief: "transfer leader: store 1 to 4".into(),
            status: None,
            created_at: Some(created.parse().unwrap()),
            started_at: None,
            timeout_seconds: None,
            current_step: Some(step),
            steps: None,
            approximate_size_bytes: None,
            region_version: None,
            region_conf_ver: None,
            from_store_ids: None,
            to_store_ids: None,
            raw: format!("balance-leader ... currentStep:{step}"),
        }
    }

    fn keyed(ops: &[Operator]) -> BTreeMap<String, Operator> {
        ops.iter().map(|o| (operator_key(o), o.clone())).collect()
    }

    #[test]
    fn an_operator_moving_a_step_is_the_same_operator() {
        let a = operator(7, "2025-03-10T08:00:02Z", 0);
        let b = operator(9, "2025-03-10T08:00:17Z", 0);
        let (finished, started) = operator_changes(
            &keyed(std::slice::from_ref(&a)),
            &keyed(&[operator(7, "2025-03-10T08:00:02Z", 1), b]),
        );
        assert!(finished.is_empty());
        assert_eq!(started.len(), 1);
        assert_eq!(started[0].region_id, Some(PdId(9)));
        let (finished, started) = operator_changes(&keyed(&[a]), &BTreeMap::new());
        assert_eq!((finished.len(), started.len()), (1, 0));
        assert_eq!(finished[0].description, "balance-leader");
    }

    fn reading(progress: Option<f64>, blockers: Vec<Blocker>) -> ScaleInProgress {
        ScaleInProgress {
            store_id: PdId(2000),
            action: Some(ProgressAction::Removing),
            progress,
            eta_seconds: Some(100.0),
            regions_left: Some(50),
            blockers,
        }
    }

    #[test]
    fn scale_news_needs_a_step_of_progress_a_new_action_or_new_blockers() {
        let mut sent = BTreeMap::new();
        // A store starting an action is news.
        assert_eq!(
            scale_changes(&mut sent, vec![reading(Some(0.10), vec![])]).len(),
            1
        );
        // Small moves add up until they reach 0.01.
        assert!(scale_changes(&mut sent, vec![reading(Some(0.105), vec![])]).is_empty());
        assert_eq!(
            scale_changes(&mut sent, vec![reading(Some(0.11), vec![])]).len(),
            1
        );
        assert!(scale_changes(&mut sent, vec![reading(Some(0.115), vec![])]).is_empty());
        let blocker = Blocker {
            kind: BlockerKind::NotEnoughStores,
            message: "m".into(),
            source: "s".into(),
        };
        assert_eq!(
            scale_changes(&mut sent, vec![reading(Some(0.112), vec![blocker])]).len(),
            1
        );
        // Done: news once, then nothing more about the store.
        let done = ScaleInProgress {
            action: None,
            progress: None,
            eta_seconds: None,
            blockers: vec![],
            ..reading(None, vec![])
        };
        assert_eq!(scale_changes(&mut sent, vec![done.clone()]).len(), 1);
        assert!(sent.is_empty());
        assert!(scale_changes(&mut sent, vec![done]).is_empty());
    }

    fn check(id: &str, status: CheckStatus) -> Check {
        Check {
            id: id.into(),
            status,
            summary: format!("{id} is {}", status.as_str()),
            evidence: CheckEvidence::default(),
            source: String::new(),
        }
    }

    #[test]
    fn checks_report_status_changes_only() {
        let mut before = BTreeMap::new();
        let first = check_changes(&mut before, &[check("store-down", CheckStatus::Ok)]);
        assert_eq!(first[0].from, None, "a new check");
        let now = [
            check("store-down", CheckStatus::Critical),
            check("gc-safe-point-age", CheckStatus::Ok),
        ];
        let changes = check_changes(&mut before, &now);
        assert_eq!(changes.len(), 2);
        assert_eq!(
            (changes[0].from, changes[0].to),
            (Some(CheckStatus::Ok), CheckStatus::Critical)
        );
        assert_eq!(changes[0].summary, "store-down is critical");
        assert!(check_changes(&mut before, &now).is_empty());
    }

    #[test]
    fn upstreams_report_failing_and_recovering_once() {
        let pd = WarningSource::Pd;
        let down: Health = Err("refused".into());
        let change = upstream_change(pd, &Ok(()), &down).unwrap();
        assert_eq!(
            (change.ok, change.detail.as_deref()),
            (false, Some("refused"))
        );
        assert!(upstream_change(pd, &down, &Err("timeout".into())).is_none());
        assert!(upstream_change(pd, &down, &Ok(())).unwrap().ok);
        assert!(upstream_change(pd, &Ok(()), &Ok(())).is_none());
    }
}
