//! The OpenAPI document: committed, served, and generated from the code must all agree, and
//! Swagger UI must load from the binary alone.

use crate::support::{FakePd, Lens};

const COMMITTED: &str = include_str!("../../openapi/openapi.json");

#[test]
fn committed_document_matches_the_code() {
    let generated = tikv_lens::openapi::document_json();
    assert!(
        generated == COMMITTED,
        "openapi/openapi.json is stale; regenerate it with `cargo run -- openapi > openapi/openapi.json`"
    );
}

#[tokio::test]
async fn served_document_is_the_committed_one() {
    let pd = FakePd::start().await;
    let lens = Lens::single(&[pd.url()]).await;
    let answer = lens.get("/openapi.json").await;
    let committed: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    assert_eq!(answer.ok(), &committed);
}

#[test]
fn every_operation_documents_its_errors_as_problems() {
    let doc: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 7, "{:?}", paths.keys());
    for (path, item) in paths {
        let op = &item["get"];
        assert!(op["summary"].is_string(), "{path} has no summary");
        let responses = op["responses"].as_object().unwrap();
        for (status, response) in responses {
            assert!(
                response["description"].is_string(),
                "{path} {status} has no description"
            );
            if !status.starts_with('2') {
                assert_eq!(
                    response["content"]["application/problem+json"]["schema"]["$ref"],
                    "#/components/schemas/Problem",
                    "{path} {status}"
                );
            }
        }
        if path.starts_with("/api/v1/clusters/{cluster}") {
            for status in ["404", "502", "503", "504"] {
                assert!(
                    responses.contains_key(status),
                    "{path} does not list {status}"
                );
            }
        }
    }
}

#[test]
fn every_schema_property_is_described() {
    let doc: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        // An answer that embeds `Meta` is `allOf` [`Meta`, its own object]: check both levels.
        let parts = std::iter::once(schema).chain(schema["allOf"].as_array().into_iter().flatten());
        for props in parts.filter_map(|part| part["properties"].as_object()) {
            for (prop, def) in props {
                // A nullable reference carries its description inside `oneOf`.
                let described =
                    def["description"].is_string() || def["oneOf"][0]["description"].is_string();
                assert!(described, "{name}.{prop} has no description");
            }
        }
    }
}

#[test]
fn every_answer_references_the_one_meta() {
    let doc: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let meta = &schemas["Meta"];
    for field in ["stale", "observed_at", "warnings"] {
        assert!(
            meta["properties"][field]["description"].is_string(),
            "Meta.{field}"
        );
    }
    let mut answers = 0;
    for (name, schema) in schemas {
        if name == "Meta" {
            continue;
        }
        let text = schema.to_string();
        assert!(
            !text.contains("\"observed_at\""),
            "{name} has its own observed_at instead of Meta's"
        );
        let Some(parts) = schema["allOf"].as_array() else {
            continue;
        };
        assert_eq!(parts[0]["$ref"], "#/components/schemas/Meta", "{name}");
        assert!(schema["description"].is_string(), "{name}");
        answers += 1;
    }
    assert_eq!(answers, 19, "the answer types embedding Meta");
}

#[tokio::test]
async fn swagger_ui_loads_without_external_urls() {
    let pd = FakePd::start().await;
    let lens = Lens::single(&[pd.url()]).await;
    let (status, html) = lens.get_text("/docs/").await;
    assert_eq!(status, 200);
    assert!(html.contains("swagger-ui"), "{html}");
    for asset in [
        "/docs/swagger-ui.css",
        "/docs/swagger-ui-bundle.js",
        "/docs/swagger-initializer.js",
    ] {
        let (status, body) = lens.get_text(asset).await;
        assert_eq!(status, 200, "{asset}");
        assert!(!body.is_empty(), "{asset}");
    }
    let (_, init) = lens.get_text("/docs/swagger-initializer.js").await;
    assert!(init.contains("/openapi.json"), "{init}");
    for page in [&html, &init] {
        for line in page.lines() {
            let external = line.contains("src=\"http")
                || line.contains("href=\"http")
                || line.contains("url: \"http");
            assert!(!external, "external URL in Swagger UI: {line}");
        }
    }
}
