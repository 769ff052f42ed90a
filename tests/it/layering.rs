//! The layering `src/lib.rs` states, held by a test: every `crate::<module>` a file of the
//! library names (in `use` or in a path, comments aside) must be one its top-level module may
//! import. A new import against the flow fails here with the file, the line and the rule.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What each top-level module may import, top of the flow first. Handlers (`api`) reach the
/// upstreams through `compose` where several are combined, and directly where one is read;
/// nothing below imports anything above it, so there is no cycle.
const ALLOWED: &[(&str, &[&str])] = &[
    // The router, the document and the request-scoped layers.
    (
        "server",
        &[
            "api",
            "openapi",
            "middleware",
            "state",
            "error",
            "telemetry",
            "tls",
        ],
    ),
    // The document: what the handlers declare, and what the middleware adds to every operation.
    ("openapi", &["api", "middleware", "error", "model"]),
    // Handlers: extract, call, shape.
    (
        "api",
        &[
            "compose",
            "event_log",
            "state",
            "error",
            "normalize",
            "promql",
            "upstream",
            "model",
            "telemetry",
            "chunked",
        ],
    ),
    // Orchestration across upstreams and the partial-answer policy; the live events' poller,
    // which publishes into the event log.
    (
        "compose",
        &[
            "state",
            "event_log",
            "error",
            "normalize",
            "promql",
            "upstream",
            "model",
        ],
    ),
    // Each cluster's live events, kept and handed out; no upstream, no decision.
    ("event_log", &["model", "telemetry"]),
    // The clusters and their clients, built from the validated configuration.
    (
        "state",
        &[
            "config",
            "event_log",
            "middleware",
            "error",
            "upstream",
            "model",
            "budget",
            "telemetry",
        ],
    ),
    (
        "config",
        &["security", "tls", "upstream", "normalize", "budget"],
    ),
    (
        "middleware",
        &["error", "upstream", "telemetry", "budget", "chunked"],
    ),
    ("error", &["normalize", "upstream", "model"]),
    // Conversion: upstream wire types to the public model.
    ("normalize", &["upstream", "model", "promql", "chunked"]),
    ("security", &["tls", "upstream"]),
    // Fetching: clients, caches, wire types. Never the public model.
    ("upstream", &["budget", "telemetry"]),
    ("model", &[]),
    ("promql", &[]),
    ("telemetry", &["budget"]),
    ("budget", &[]),
    ("chunked", &[]),
    ("tls", &[]),
];

/// `crate::x` and `crate::{x, y::z}` in a line of code: the top-level module names.
fn imported_modules(line: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        // `$crate::` in a macro is the same crate seen from elsewhere; skip the word boundary
        // check for it as well as for identifiers ending in `crate` (`tikv_crate::`).
        let boundary_ok = at == 0 || {
            let before = rest.as_bytes()[at - 1];
            !(before.is_ascii_alphanumeric() || before == b'_' || before == b'$')
        };
        if boundary_ok {
            if let Some(group) = after.strip_prefix('{') {
                let inner = group.split('}').next().unwrap_or("");
                names.extend(
                    inner
                        .split(',')
                        .filter_map(|part| part.trim().split("::").next())
                        .filter(|name| !name.is_empty() && *name != "self")
                        .map(str::to_owned),
                );
            } else {
                let name: String = after
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    names.push(name);
                }
            }
        }
        rest = after;
    }
    names
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// Every import against [`ALLOWED`] in the library's sources under `src`.
fn violations(src: &Path) -> Vec<String> {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let mut found = Vec::new();
    for file in files {
        let relative = file.strip_prefix(src).unwrap();
        let top = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        // The crate root and the binary's own files sit above every layer.
        if matches!(top.as_str(), "lib" | "main" | "demo") {
            continue;
        }
        let Some(may) = allowed.get(top.as_str()) else {
            found.push(format!(
                "src/{}: module `{top}` has no place in the layering (add it to ALLOWED in tests/it/layering.rs and to the layout in src/lib.rs)",
                relative.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            for module in imported_modules(code) {
                if module != top && !may.contains(&module.as_str()) {
                    found.push(format!(
                        "src/{}:{}: `{top}` imports `crate::{module}`, against the flow (`{top}` may import: {})",
                        relative.display(),
                        n + 1,
                        if may.is_empty() { "nothing".to_owned() } else { may.join(", ") }
                    ));
                }
            }
        }
    }
    found
}

#[test]
fn every_import_follows_the_stated_flow() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = violations(&src);
    assert!(
        found.is_empty(),
        "{} import(s) against the layering of src/lib.rs:\n{}",
        found.len(),
        found.join("\n")
    );
}

#[test]
fn the_rules_have_no_cycle() {
    // Depth-first search over ALLOWED: a module reachable from itself would be a cycle.
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    fn reaches(
        from: &str,
        target: &str,
        allowed: &BTreeMap<&str, &[&str]>,
        seen: &mut Vec<String>,
    ) -> bool {
        for next in allowed.get(from).copied().unwrap_or_default() {
            if *next == target {
                return true;
            }
            if !seen.iter().any(|s| s == next) {
                seen.push((*next).to_owned());
                if reaches(next, target, allowed, seen) {
                    return true;
                }
            }
        }
        false
    }
    for module in allowed.keys() {
        assert!(
            !reaches(module, module, &allowed, &mut Vec::new()),
            "`{module}` can reach itself through ALLOWED"
        );
    }
}

#[test]
fn the_checker_sees_grouped_and_path_imports() {
    assert_eq!(imported_modules("use crate::model::Store;"), ["model"]);
    assert_eq!(
        imported_modules("use crate::{error::ApiError, model, self};"),
        ["error", "model"]
    );
    assert_eq!(
        imported_modules("let x = crate::freshness::observed_at(); $crate::y"),
        ["freshness"]
    );
    // A violation is reported with its file and line.
    let dir = std::env::temp_dir().join(format!("tikv-lens-layering-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("model")).unwrap();
    std::fs::write(
        dir.join("model/store.rs"),
        "// crate::api in a comment is fine\nuse crate::upstream::pd::wire;\n",
    )
    .unwrap();
    let found = violations(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("src/model/store.rs:2: `model` imports `crate::upstream`"),
        "{}",
        found[0]
    );
}
