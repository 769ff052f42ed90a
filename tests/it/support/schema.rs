//! The committed OpenAPI document as a JSON Schema validator: what a path answers with a status,
//! and whether a body is a valid instance of it (JSON Schema 2020-12, as OpenAPI 3.1 says;
//! `date-time` formats checked).

use serde_json::{Value, json};

/// The committed document.
pub(crate) struct Document {
    doc: Value,
}

impl Document {
    pub(crate) fn committed() -> Self {
        let text = include_str!("../../../openapi/openapi.json");
        Self {
            doc: serde_json::from_str(text).unwrap(),
        }
    }

    pub(crate) fn json(&self) -> &Value {
        &self.doc
    }

    /// `value`, or what its `$ref` points to within the document.
    pub(crate) fn resolve<'a>(&'a self, value: &'a Value) -> &'a Value {
        match value["$ref"].as_str() {
            Some(reference) => self
                .doc
                .pointer(reference.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("{reference} does not resolve")),
            None => value,
        }
    }

    /// The path template of the document that a concrete path (no query) matches, e.g.
    /// `/api/v1/clusters/{cluster}/stores/{store_id}` for `/api/v1/clusters/default/stores/1`.
    /// A literal segment wins over a parameter (`regions/health` is not `regions/{region_id}`).
    pub(crate) fn template(&self, path: &str) -> Option<String> {
        let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        let mut best: Option<(usize, &String)> = None;
        for template in self.doc["paths"].as_object().unwrap().keys() {
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                continue;
            }
            let mut literal = 0;
            let matches = parts.iter().zip(&segments).all(|(part, segment)| {
                if part.starts_with('{') {
                    true
                } else {
                    literal += 1;
                    part == segment
                }
            });
            if matches && best.is_none_or(|(n, _)| literal > n) {
                best = Some((literal, template));
            }
        }
        best.map(|(_, template)| template.clone())
    }

    /// The schema of the JSON a GET of `path` answers with `status`.
    pub(crate) fn answer_schema(&self, path: &str, status: u16) -> Value {
        let template = self
            .template(path)
            .unwrap_or_else(|| panic!("no documented path matches {path}"));
        let response = &self.doc["paths"][&template]["get"]["responses"][status.to_string()];
        assert!(
            !response.is_null(),
            "{template} does not document a {status} answer"
        );
        let content = &self.resolve(response)["content"];
        let (_, media) = content
            .as_object()
            .and_then(|c| c.iter().next())
            .unwrap_or_else(|| panic!("{template} {status} has no content"));
        media["schema"].clone()
    }

    /// The component schema `name`, e.g. `Store`.
    pub(crate) fn component(&self, name: &str) -> Value {
        json!({ "$ref": format!("#/components/schemas/{name}") })
    }

    /// Why `instance` is not a valid instance of `schema` (a schema of this document); empty
    /// when it is.
    pub(crate) fn errors(&self, schema: &Value, instance: &Value) -> Vec<String> {
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": self.doc["components"],
            "allOf": [schema],
        });
        let validator = jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&root)
            .unwrap_or_else(|e| panic!("the document's schema does not compile: {e}"));
        validator
            .iter_errors(instance)
            .map(|e| {
                let at = e.instance_path().to_string();
                format!("{e} at {}", if at.is_empty() { "/" } else { &at })
            })
            .collect()
    }
}
