//! PD's operators, which `/operators` lists as text (`Operator.String()`):
//!
//! ```text
//! <desc> {<brief>} (kind:<k1,k2>, region:<id>(<version>, <conf_ver>), createAt:<Go time>,
//! startAt:<Go time>, currentStep:<n>, size:<MiB>, steps:[<steps>], timeout:[<Go duration>])
//! ```
//!
//! followed by ` finished` and/or ` timeout` when it is. PD v8 writes each step as `i:{step}`;
//! PD v6.5 joins bare steps with `, ` and writes a full-width comma (U+FF0C) before `timeout`.
//! Parsing never fails: what does not fit is `null`, and `raw` keeps PD's text.

use super::go_duration::parse_go_duration_seconds;
use super::go_time_text::parse_go_time_string;
use crate::model::{Operator, OperatorKind, OperatorStatus, PdId};

const MIB: u64 = 1024 * 1024;

/// The parts of PD's operator text; `None` where the text does not have the expected shape.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct OperatorText {
    pub desc: String,
    pub brief: String,
    pub kinds: Option<Vec<String>>,
    pub region_id: Option<u64>,
    pub region_version: Option<u64>,
    pub region_conf_ver: Option<u64>,
    pub create_at: Option<String>,
    pub start_at: Option<String>,
    pub current_step: Option<u64>,
    pub size_mib: Option<i64>,
    pub steps: Option<Vec<String>>,
    pub timeout: Option<String>,
    pub finished: bool,
    pub timed_out: bool,
    /// Whether the whole text had PD's layout (`kind:` … `timeout:[…])`).
    pub complete: bool,
}

/// Splits `text` at the first `sep`: (before, after).
fn cut<'a>(text: &'a str, sep: &str) -> Option<(&'a str, &'a str)> {
    text.find(sep)
        .map(|at| (&text[..at], &text[at + sep.len()..]))
}

/// Splits PD's operator text into its parts.
#[must_use]
pub fn parse_operator_text(raw: &str) -> OperatorText {
    let mut out = OperatorText::default();
    let mut text = raw;
    if let Some(rest) = text.strip_suffix(" timeout") {
        out.timed_out = true;
        text = rest;
    }
    if let Some(rest) = text.strip_suffix(" finished") {
        out.finished = true;
        text = rest;
    }
    let Some((head, tail)) = cut(text, "} (kind:") else {
        // Not PD's layout: all of it is the description.
        raw.clone_into(&mut out.desc);
        return out;
    };
    match cut(head, " {") {
        Some((desc, brief)) => {
            desc.clone_into(&mut out.desc);
            brief.clone_into(&mut out.brief);
        }
        None => match head.strip_prefix('{') {
            Some(brief) => brief.clone_into(&mut out.brief),
            None => head.clone_into(&mut out.desc),
        },
    }
    let Some(tail) = tail.strip_suffix(')') else {
        return out;
    };
    let Some((kind, tail)) = cut(tail, ", region:") else {
        return out;
    };
    out.kinds = Some(kind.split(',').map(str::to_owned).collect());
    let Some((region, tail)) = cut(tail, ", createAt:") else {
        return out;
    };
    if let Some((id, epoch)) = cut(region, "(") {
        out.region_id = id.parse().ok();
        if let Some((version, conf_ver)) = epoch.strip_suffix(')').and_then(|e| cut(e, ", ")) {
            out.region_version = version.parse().ok();
            out.region_conf_ver = conf_ver.parse().ok();
        }
    }
    let Some((create_at, tail)) = cut(tail, ", startAt:") else {
        return out;
    };
    out.create_at = Some(create_at.to_owned());
    let Some((start_at, tail)) = cut(tail, ", currentStep:") else {
        return out;
    };
    out.start_at = Some(start_at.to_owned());
    let Some((step, tail)) = cut(tail, ", size:") else {
        return out;
    };
    out.current_step = step.parse().ok();
    let Some((size, tail)) = cut(tail, ", steps:[") else {
        return out;
    };
    out.size_mib = size.parse().ok();
    // The steps end at the last `], timeout:[` (v8) or `]，timeout:[` (v6.5).
    let boundary = ["], timeout:[", "]\u{ff0c}timeout:["]
        .iter()
        .filter_map(|sep| tail.rfind(sep).map(|at| (at, sep.len())))
        .max();
    let Some((at, len)) = boundary else {
        return out;
    };
    let (steps, timeout) = (&tail[..at], &tail[at + len..]);
    let Some(timeout) = timeout.strip_suffix(']') else {
        return out;
    };
    out.timeout = Some(timeout.to_owned());
    out.steps = indexed_steps(steps);
    out.complete = true;
    out
}

/// v8's `0:{step}, 1:{step}`; `None` for v6.5's bare, comma-joined steps (ambiguous: steps
/// contain commas) unless there are none.
fn indexed_steps(text: &str) -> Option<Vec<String>> {
    if text.is_empty() {
        return Some(Vec::new());
    }
    let mut steps = Vec::new();
    let mut rest = text;
    for i in 0.. {
        let body = rest.strip_prefix(&format!("{i}:{{"))?;
        let next = format!("}}, {}:{{", i + 1);
        match body.find(&next) {
            Some(end) => {
                steps.push(body[..end].to_owned());
                rest = &body[end + 3..];
            }
            None => {
                steps.push(body.strip_suffix('}')?.to_owned());
                break;
            }
        }
    }
    Some(steps)
}

/// Go's `%v` of a `[]uint64`: `[1 4 5]`.
fn go_id_list(text: &str) -> Option<Vec<u64>> {
    let inner = text.strip_prefix('[')?.strip_suffix(']')?;
    inner
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().ok())
        .collect()
}

/// The stores a brief moves away from and to, for the briefs that say (PD's operator builder):
/// `mv peer: store [1] to [4]`, `add peer: store [4]`, `rm peer: store [1]`,
/// `transfer leader: store 1 to 4`, `evict leader: from store 1 to one in [4 5], or to 0 (…)`.
#[must_use]
pub fn brief_stores(brief: &str) -> (Option<Vec<u64>>, Option<Vec<u64>>) {
    let moved = brief
        .strip_prefix("mv peer: store ")
        .or_else(|| brief.strip_prefix("mv light peer: store "));
    if let Some(rest) = moved
        && let Some((from, to)) = cut(rest, " to ")
    {
        return (go_id_list(from), go_id_list(to));
    }
    if let Some(rest) = brief.strip_prefix("add peer: store ") {
        return (None, go_id_list(rest));
    }
    if let Some(rest) = brief.strip_prefix("rm peer: store ") {
        return (go_id_list(rest), None);
    }
    if let Some(rest) = brief.strip_prefix("transfer leader: store ")
        && let Some((from, to)) = cut(rest, " to ")
    {
        return (
            from.parse().ok().map(|f| vec![f]),
            to.parse().ok().map(|t| vec![t]),
        );
    }
    if let Some(rest) = brief.strip_prefix("evict leader: from store ")
        && let Some((from, rest)) = cut(rest, " to one in ")
    {
        let from = from.parse().ok().map(|f| vec![f]);
        let to = cut(rest, ", or to ").and_then(|(list, single)| {
            let mut to = go_id_list(list)?;
            if to.is_empty() {
                let single: u64 = single.split(' ').next()?.parse().ok()?;
                if single != 0 {
                    to.push(single);
                }
            }
            Some(to)
        });
        return (from, to);
    }
    (None, None)
}

fn kind(name: &str) -> OperatorKind {
    match name {
        "leader" => OperatorKind::Leader,
        "region" => OperatorKind::Region,
        "split" => OperatorKind::Split,
        "merge" => OperatorKind::Merge,
        "admin" => OperatorKind::Admin,
        "hot-region" => OperatorKind::HotRegion,
        "replica" => OperatorKind::Replica,
        "range" => OperatorKind::Range,
        "witness" => OperatorKind::Witness,
        "witness-leader" => OperatorKind::WitnessLeader,
        _ => OperatorKind::Unknown,
    }
}

/// One operator of PD's `/operators`, and whether its text was PD's layout in full (the caller
/// warns when not).
pub(crate) fn operator(raw: String) -> (Operator, bool) {
    let p = parse_operator_text(&raw);
    let created_at = p
        .create_at
        .as_deref()
        .and_then(|t| parse_go_time_string(t).ok())
        .flatten();
    let started_at = p
        .start_at
        .as_deref()
        .and_then(|t| parse_go_time_string(t).ok())
        .flatten();
    let status = if !p.complete {
        None
    } else if p.timed_out {
        Some(OperatorStatus::Timeout)
    } else if p.finished {
        Some(OperatorStatus::Success)
    } else if started_at.is_some() {
        Some(OperatorStatus::Started)
    } else {
        Some(OperatorStatus::Created)
    };
    let (from, to) = brief_stores(&p.brief);
    let ids = |list: Option<Vec<u64>>| list.map(|l| l.into_iter().map(PdId).collect());
    let op = Operator {
        region_id: p.region_id.map(PdId),
        kind: p
            .kinds
            .iter()
            .flatten()
            .filter(|k| !k.is_empty())
            .map(|k| kind(k))
            .collect(),
        description: p.desc,
        brief: p.brief,
        status,
        created_at,
        started_at,
        timeout_seconds: p
            .timeout
            .as_deref()
            .and_then(|t| parse_go_duration_seconds(t).ok()),
        current_step: p.current_step,
        steps: p.steps,
        approximate_size_bytes: p
            .size_mib
            .map(|m| u64::try_from(m).unwrap_or(0).saturating_mul(MIB)),
        region_version: p.region_version,
        region_conf_ver: p.region_conf_ver,
        from_store_ids: ids(from),
        to_store_ids: ids(to),
        raw,
    };
    (op, p.complete)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const V85: &str = "replace-offline-replica {mv peer: store [7] to [4]} (kind:replica,region, region:242(31, 17), createAt:2025-03-10 08:15:10.102947561 +0000 UTC m=+612300.220145838, startAt:2025-03-10 08:15:10.143302811 +0000 UTC m=+612300.260501088, currentStep:1, size:96, steps:[0:{add learner peer 1937 on store 4}, 1:{use joint consensus, promote learner peer 1937 on store 4 to voter, demote voter peer 245 on store 7 to learner}, 2:{leave joint state, promote learner peer 1937 on store 4 to voter, demote voter peer 245 on store 7 to learner}, 3:{remove peer on store 7}], timeout:[17m0s])";

    const V65: &str = "balance-leader {transfer leader: store 1 to 5} (kind:leader, region:10(5, 5), createAt:2023-01-12 16:21:40.311283264 +0800 CST m=+3000.000000001, startAt:0001-01-01 00:00:00 +0000 UTC, currentStep:0, size:1, steps:[transfer leader from store 1 to store 5]\u{ff0c}timeout:[1m0s])";

    #[test]
    fn v8_text_parses_in_full() {
        let (op, complete) = operator(V85.to_owned());
        assert!(complete);
        assert_eq!(op.region_id, Some(PdId(242)));
        assert_eq!(op.kind, [OperatorKind::Replica, OperatorKind::Region]);
        assert_eq!(op.description, "replace-offline-replica");
        assert_eq!(op.brief, "mv peer: store [7] to [4]");
        assert_eq!(op.status, Some(OperatorStatus::Started));
        assert_eq!(
            op.created_at.unwrap().to_string(),
            "2025-03-10T08:15:10.102947561Z"
        );
        assert_eq!(op.timeout_seconds, Some(1_020.0));
        assert_eq!(op.current_step, Some(1));
        let steps = op.steps.unwrap();
        assert_eq!(steps.len(), 4);
        assert!(steps[1].starts_with("use joint consensus, promote"));
        assert_eq!(steps[3], "remove peer on store 7");
        assert_eq!(op.approximate_size_bytes, Some(96 * MIB));
        assert_eq!(
            (op.region_version, op.region_conf_ver),
            (Some(31), Some(17))
        );
        assert_eq!(op.from_store_ids, Some(vec![PdId(7)]));
        assert_eq!(op.to_store_ids, Some(vec![PdId(4)]));
    }

    #[test]
    fn v6_5_text_parses_but_its_steps_are_ambiguous() {
        let (op, complete) = operator(V65.to_owned());
        assert!(complete);
        assert_eq!(op.status, Some(OperatorStatus::Created));
        assert_eq!(op.started_at, None);
        assert_eq!(
            op.created_at.unwrap().to_string(),
            "2023-01-12T08:21:40.311283264Z"
        );
        assert_eq!(op.steps, None);
        assert_eq!(op.timeout_seconds, Some(60.0));
        assert_eq!(op.from_store_ids, Some(vec![PdId(1)]));
        assert_eq!(op.to_store_ids, Some(vec![PdId(5)]));
    }

    #[test]
    fn endings_and_briefs() {
        let done = format!("{V85} finished");
        assert_eq!(operator(done).0.status, Some(OperatorStatus::Success));
        let late = format!("{V85} timeout");
        assert_eq!(operator(late).0.status, Some(OperatorStatus::Timeout));
        assert_eq!(
            brief_stores("evict leader: from store 4 to one in [1 5], or to 0 (for compatibility)"),
            (Some(vec![4]), Some(vec![1, 5]))
        );
        assert_eq!(brief_stores("add peer: store [6]"), (None, Some(vec![6])));
        assert_eq!(brief_stores("rm peer: store [6]"), (Some(vec![6]), None));
        assert_eq!(brief_stores("merge: region 2 to 10"), (None, None));
        let (op, complete) = operator("something else entirely".to_owned());
        assert!(!complete);
        assert_eq!(op.raw, "something else entirely");
        assert_eq!(op.status, None);
        assert_eq!(op.region_id, None);
    }

    fn go_time(ms: i64) -> String {
        let t = jiff::Timestamp::from_millisecond(ms).unwrap();
        t.strftime("%Y-%m-%d %H:%M:%S%.f +0000 UTC").to_string()
    }

    proptest! {
        #[test]
        fn what_pd_writes_reads_back(
            desc in "[a-z][a-z-]{0,24}",
            from in 1u64..1_000,
            to in 1u64..1_000,
            region in 1u64..u64::MAX,
            version in 0u64..100_000,
            conf_ver in 0u64..100_000,
            created_ms in 1_600_000_000_000i64..1_900_000_000_000,
            started in any::<bool>(),
            step in 0u64..5,
            size in 0i64..100_000,
            steps in proptest::collection::vec("[a-z0-9 ,]{1,40}", 0..5),
            v8 in any::<bool>(),
            finished in any::<bool>(),
        ) {
            let brief = format!("mv peer: store [{from}] to [{to}]");
            let start = if started { go_time(created_ms + 17) } else { "0001-01-01 00:00:00 +0000 UTC".into() };
            let (steps_text, sep) = if v8 {
                let indexed: Vec<String> = steps.iter().enumerate().map(|(i, s)| format!("{i}:{{{s}}}")).collect();
                (indexed.join(", "), ", timeout:[")
            } else {
                (steps.join(", "), "\u{ff0c}timeout:[")
            };
            let mut text = format!(
                "{desc} {{{brief}}} (kind:region, region:{region}({version}, {conf_ver}), createAt:{} m=+1.5, startAt:{start}, currentStep:{step}, size:{size}, steps:[{steps_text}]{sep}10m0s])",
                go_time(created_ms)
            );
            if finished {
                text.push_str(" finished");
            }
            let p = parse_operator_text(&text);
            prop_assert!(p.complete);
            prop_assert_eq!(&p.desc, &desc);
            prop_assert_eq!(&p.brief, &brief);
            prop_assert_eq!(p.region_id, Some(region));
            prop_assert_eq!((p.region_version, p.region_conf_ver), (Some(version), Some(conf_ver)));
            prop_assert_eq!(p.current_step, Some(step));
            prop_assert_eq!(p.size_mib, Some(size));
            prop_assert_eq!(p.finished, finished);
            if v8 {
                prop_assert_eq!(p.steps.as_ref(), Some(&steps));
            }
            let (op, _) = operator(text.clone());
            prop_assert_eq!(op.created_at.map(|t| t.as_millisecond()), Some(created_ms));
            prop_assert_eq!(op.started_at.is_some(), started);
            prop_assert_eq!(op.from_store_ids, Some(vec![PdId(from)]));
            prop_assert_eq!(op.to_store_ids, Some(vec![PdId(to)]));
            prop_assert_eq!(op.timeout_seconds, Some(600.0));
        }

        #[test]
        fn any_text_is_safe(text in "\\PC{0,200}") {
            let (op, _) = operator(text.clone());
            prop_assert_eq!(op.raw, text);
        }
    }
}
