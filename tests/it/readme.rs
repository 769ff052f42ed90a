//! The README's examples against the OpenAPI document: every ```json block is the answer of the
//! `curl` in the ```console block just before it (whole, or a path into it with `jq .a.b[0]`), and
//! must be a valid instance of the schema the document gives for that route and status. An
//! example that lacks a required field, or has one of the wrong type, fails here.

use serde_json::Value;

use crate::support::schema::Document;

const README: &str = include_str!("../../README.md");

/// One ```json block of the README and the command it answers.
struct Example {
    line: usize,
    command: String,
    json: String,
}

/// Every ```json block, with the last `$ curl` command of the ```console block before it.
fn examples(markdown: &str) -> Vec<Example> {
    let lines: Vec<&str> = markdown.lines().collect();
    let mut found = Vec::new();
    let mut last_console: Option<Vec<&str>> = None;
    let mut i = 0;
    while i < lines.len() {
        let fence = lines[i].trim_end();
        if let Some(info) = fence.strip_prefix("```")
            && !info.is_empty()
        {
            let end = (i + 1..lines.len())
                .find(|&j| lines[j].trim_end() == "```")
                .unwrap_or_else(|| panic!("README.md:{}: unclosed code block", i + 1));
            let body = lines[i + 1..end].to_vec();
            match info {
                "console" => last_console = Some(body),
                "json" => {
                    let console = last_console.take().unwrap_or_else(|| {
                        panic!(
                            "README.md:{}: a json block must follow the console block of its command",
                            i + 1
                        )
                    });
                    found.push(Example {
                        line: i + 1,
                        command: last_command(&console).unwrap_or_else(|| {
                            panic!("README.md:{}: no `$ curl` before this json block", i + 1)
                        }),
                        json: body.join("\n"),
                    });
                }
                _ => last_console = None,
            }
            i = end + 1;
            continue;
        }
        // Prose between the blocks is fine; another block is not.
        i += 1;
    }
    found
}

/// The last `$ ` command of a console block, its `\` continuations joined.
fn last_command(console: &[&str]) -> Option<String> {
    let start = console.iter().rposition(|l| l.starts_with("$ "))?;
    let mut command = String::new();
    for line in &console[start..] {
        let line = line.trim_start_matches("$ ").trim();
        match line.strip_suffix('\\') {
            Some(part) => command.push_str(part.trim_end()),
            None => {
                command.push_str(line);
                break;
            }
        }
        command.push(' ');
    }
    Some(command)
}

/// The path of the URL a `curl` command asks for (`localhost:8080/...`, query dropped).
fn route(command: &str) -> Option<String> {
    let at = command.find("localhost:8080")?;
    let rest = &command[at + "localhost:8080".len()..];
    let end = rest
        .find(|c: char| c == '?' || c == '\'' || c.is_whitespace())
        .unwrap_or(rest.len());
    Some(rest[..end].to_owned())
}

/// The `jq` filter the command pipes the answer through, as a JSON pointer into the answer:
/// `.`, `.store`, `.samples[0]`. Anything else reshapes the answer, which a json block must not.
fn pointer(command: &str) -> Result<String, String> {
    let Some((_, jq)) = command.rsplit_once("| jq") else {
        return Ok(String::new());
    };
    let filter = jq
        .split_whitespace()
        .filter(|w| *w != "-c" && *w != "-r")
        .collect::<Vec<_>>()
        .join(" ");
    let filter = filter.trim_matches('\'');
    if filter == "." {
        return Ok(String::new());
    }
    let mut pointer = String::new();
    for part in filter.strip_prefix('.').unwrap_or("!").split('.') {
        let (name, index) = match part.split_once('[') {
            Some((name, index)) => (name, Some(index.trim_end_matches(']'))),
            None => (part, None),
        };
        let valid =
            |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid(name) || index.is_some_and(|i| i.parse::<usize>().is_err()) {
            return Err(format!("jq filter {filter:?} reshapes the answer"));
        }
        pointer.push('/');
        pointer.push_str(name);
        if let Some(index) = index {
            pointer.push('/');
            pointer.push_str(index);
        }
    }
    Ok(pointer)
}

/// The schema at `pointer` within `schema` (following `$ref`s, `allOf` parts, properties and
/// items), for an example that shows a part of an answer.
fn schema_at(doc: &Document, schema: &Value, pointer: &str) -> Value {
    let mut current = doc.resolve(schema).clone();
    for step in pointer.split('/').filter(|s| !s.is_empty()) {
        current = doc.resolve(&current).clone();
        let next = if step.parse::<usize>().is_ok() {
            current["items"].clone()
        } else {
            let parts =
                std::iter::once(&current).chain(current["allOf"].as_array().into_iter().flatten());
            parts
                .map(|part| doc.resolve(part))
                .find_map(|part| part["properties"].get(step).cloned())
                .unwrap_or(Value::Null)
        };
        assert!(!next.is_null(), "the schema has no {pointer}");
        current = next;
    }
    current
}

/// Why the README example is not an instance of its schema; empty when it is.
fn check(doc: &Document, example: &Example) -> Vec<String> {
    let at = format!("README.md:{}", example.line);
    let route = route(&example.command)
        .unwrap_or_else(|| panic!("{at}: the command names no localhost:8080 URL"));
    let pointer = pointer(&example.command).unwrap_or_else(|e| panic!("{at}: {e}"));
    let value: Value =
        serde_json::from_str(&example.json).unwrap_or_else(|e| panic!("{at}: not JSON ({e})"));
    // A problem answers with its own status; anything else is the 200 answer.
    let status = match (&value["type"], value["status"].as_u64()) {
        (Value::String(t), Some(s)) if t.starts_with("urn:tikv-lens:problem:") => s as u16,
        _ => 200,
    };
    let schema = schema_at(doc, &doc.answer_schema(&route, status), &pointer);
    doc.errors(&schema, &value)
        .into_iter()
        .map(|e| {
            format!(
                "{at} ({route}{}): {e}",
                if pointer.is_empty() {
                    String::new()
                } else {
                    format!(" at {pointer}")
                }
            )
        })
        .collect()
}

#[test]
fn every_readme_json_example_is_an_answer_its_schema_accepts() {
    let doc = Document::committed();
    let examples = examples(README);
    assert!(
        examples.len() >= 7,
        "{} json examples in README.md; the whole answers are json blocks",
        examples.len()
    );
    let errors: Vec<String> = examples.iter().flat_map(|e| check(&doc, e)).collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn a_readme_example_without_a_required_field_fails() {
    let doc = Document::committed();
    let examples = examples(README);
    let overview = examples
        .iter()
        .find(|e| route(&e.command).as_deref() == Some("/api/v1/clusters/default"))
        .expect("the overview example");
    assert!(check(&doc, overview).is_empty());
    for field in ["region_health", "observed_at", "stale"] {
        let mut value: Value = serde_json::from_str(&overview.json).unwrap();
        value.as_object_mut().unwrap().remove(field);
        let broken = Example {
            line: overview.line,
            command: overview.command.clone(),
            json: value.to_string(),
        };
        let errors = check(&doc, &broken);
        assert!(
            errors.iter().any(|e| e.contains(field)),
            "without {field}: {errors:?}"
        );
    }
    // A part of an answer is checked against the part's schema.
    let store = examples
        .iter()
        .find(|e| e.command.ends_with("| jq .store"))
        .expect("the store example");
    let mut value: Value = serde_json::from_str(&store.json).unwrap();
    value["capacity_bytes"] = "1.747TiB".into();
    let broken = Example {
        line: store.line,
        command: store.command.clone(),
        json: value.to_string(),
    };
    assert!(!check(&doc, &broken).is_empty());
}

#[test]
fn commands_and_filters_are_read_as_written() {
    let console = [
        "$ curl -s -G localhost:8080/api/v1/clusters/default/metrics/query \\",
        "    --data-urlencode 'query=up' \\",
        "    --data-urlencode time=1795737480 | jq -c '.samples[0]'",
    ];
    let command = last_command(&console).unwrap();
    assert_eq!(
        route(&command).as_deref(),
        Some("/api/v1/clusters/default/metrics/query")
    );
    assert_eq!(pointer(&command).unwrap(), "/samples/0");
    assert_eq!(pointer("curl -s localhost:8080/x | jq .").unwrap(), "");
    assert!(pointer("curl -s localhost:8080/x | jq 'del(.observed_at)'").is_err());
    assert!(pointer("curl -s localhost:8080/x | jq '.stores[] | {id}'").is_err());
}
