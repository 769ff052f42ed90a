//! The crate's modules depend on each other in one direction only: each uses only modules before
//! it in the order stated under `# Layout` in `src/lib.rs`. A module that reached back up (as
//! `cluster` and `regions` once did, each importing the other) would make the two one tangle that
//! can only be read, tested and changed together.
//!
//! The check reads the sources: every `super::<module>` and `crate::<module>` path (and a
//! `crate::<Name>` re-exported by `lib.rs`, resolved to its module) counts as a dependency.

use std::collections::{BTreeMap, BTreeSet};

/// Groups of modules, lowest first; modules in one group do not use each other.
const ORDER: &[&[&str]] = &[
    &["mix", "go_format", "clock"],
    &["keys"],
    &["layout"],
    &["timeline"],
    &["regions"],
    &["tally", "hot"],
    &["cluster"],
    &["activity"],
    &["bodies", "metrics"],
    &["promql_eval"],
    &["pd", "prometheus"],
];

fn src() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn ident(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// The first segment of each path after `prefix` (`a` of `super::a::B`; `a` and `b` of
/// `super::{a::B, b}`), comment lines skipped.
fn heads<'a>(code: &'a str, prefix: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
        let mut rest = line;
        while let Some(at) = rest.find(prefix) {
            rest = &rest[at + prefix.len()..];
            match rest.strip_prefix('{') {
                Some(group) => out.extend(group.split(',').map(|item| ident(item.trim()))),
                None => out.push(ident(rest)),
            }
        }
    }
    out
}

/// rustfmt breaks long `use` items over lines; each is joined back onto one line so that a group
/// `{…}` is read whole.
fn joined_uses(code: &str) -> String {
    let mut out = String::new();
    let mut in_use = false;
    for line in code.lines() {
        let trimmed = line.trim();
        in_use |= trimmed.starts_with("use ") || trimmed.starts_with("pub use ");
        out.push_str(if in_use { trimmed } else { line });
        if in_use && trimmed.ends_with(';') {
            in_use = false;
        }
        out.push(if in_use { ' ' } else { '\n' });
    }
    out
}

#[test]
fn modules_only_use_modules_below_them() {
    let rank: BTreeMap<&str, usize> = ORDER
        .iter()
        .enumerate()
        .flat_map(|(rank, group)| group.iter().map(move |m| (*m, rank)))
        .collect();
    let files: BTreeSet<String> = std::fs::read_dir(src())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter_map(|name| name.strip_suffix(".rs").map(str::to_owned))
        .filter(|name| name != "lib")
        .collect();
    let placed: BTreeSet<String> = rank.keys().map(|m| (*m).to_owned()).collect();
    assert_eq!(
        files, placed,
        "every module of src/ is placed in ORDER (and lib.rs's # Layout)"
    );

    // `pub use module::{Name, …};` in lib.rs: which module a `crate::Name` comes from.
    let lib = joined_uses(&std::fs::read_to_string(src().join("lib.rs")).unwrap());
    let mut home: BTreeMap<String, String> = BTreeMap::new();
    for line in lib.lines() {
        if let Some(rest) = line.trim().strip_prefix("pub use ") {
            let module = ident(rest);
            for name in
                rest[module.len()..].split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            {
                if !name.is_empty() {
                    home.insert(name.to_owned(), module.to_owned());
                }
            }
        }
    }

    let mut wrong = Vec::new();
    for module in &files {
        let code =
            joined_uses(&std::fs::read_to_string(src().join(format!("{module}.rs"))).unwrap());
        let mut uses: BTreeSet<&str> = BTreeSet::new();
        for head in heads(&code, "super::")
            .into_iter()
            .chain(heads(&code, "crate::"))
        {
            if rank.contains_key(head) {
                uses.insert(head);
            } else if let Some(home) = home.get(head) {
                uses.insert(rank.get_key_value(home.as_str()).unwrap().0);
            }
        }
        for used in uses.into_iter().filter(|used| used != module) {
            if rank[used] >= rank[module.as_str()] {
                wrong.push(format!("{module} uses {used}"));
            }
        }
    }
    assert!(wrong.is_empty(), "against the order: {wrong:#?}");

    let stated = ORDER
        .iter()
        .map(|group| group.join(", "))
        .collect::<Vec<_>>()
        .join(" → ");
    let doc = std::fs::read_to_string(src().join("lib.rs"))
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("//!"))
        .collect::<Vec<_>>()
        .join(" ");
    let doc = doc.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        doc.contains(&stated),
        "lib.rs's # Layout states the order: {stated}"
    );
}
