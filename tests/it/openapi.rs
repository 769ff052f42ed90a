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
fn the_check_id_lists_every_check() {
    let doc: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    let described = doc["components"]["schemas"]["Check"]["properties"]["id"]["description"]
        .as_str()
        .unwrap();
    let listed: Vec<&str> = described.split('`').skip(1).step_by(2).collect();
    assert_eq!(
        listed,
        tikv_lens::normalize::checks::CHECK_IDS,
        "{described}"
    );
}

/// A response as written, or the component it references.
fn resolve<'a>(doc: &'a serde_json::Value, value: &'a serde_json::Value) -> &'a serde_json::Value {
    match value["$ref"].as_str() {
        Some(reference) => {
            let pointer = reference.strip_prefix('#').unwrap();
            doc.pointer(pointer)
                .unwrap_or_else(|| panic!("{reference} does not resolve"))
        }
        None => value,
    }
}

#[test]
fn every_operation_documents_its_errors_as_problems() {
    let doc: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 7, "{:?}", paths.keys());
    let mut streams = 0;
    for (path, item) in paths {
        let op = &item["get"];
        // An event stream is not an answer that finishes: the answer cache passes it through
        // (no validators, no 304), and it reads no upstream before answering (no 502, 504).
        let stream = op["responses"]["200"]["content"]["text/event-stream"].is_object();
        assert!(op["summary"].is_string(), "{path} has no summary");
        assert!(op["description"].is_string(), "{path} has no description");
        let responses = op["responses"].as_object().unwrap();
        for (status, response) in responses {
            let response = resolve(&doc, response);
            assert!(
                response["description"].is_string(),
                "{path} {status} has no description"
            );
            if status == "304" {
                assert!(response.get("content").is_none(), "{path} 304 has a body");
            } else if status.starts_with('3') {
                assert!(
                    response["headers"]["Location"].is_object(),
                    "{path} {status} is a redirect without a documented Location"
                );
            } else if !status.starts_with('2') {
                assert_eq!(
                    response["content"]["application/problem+json"]["schema"]["$ref"],
                    "#/components/schemas/Problem",
                    "{path} {status}"
                );
            }
            assert!(
                response["headers"]["x-request-id"].is_object(),
                "{path} {status} does not document x-request-id"
            );
        }
        if stream {
            streams += 1;
            for status in ["400", "404", "503"] {
                assert!(
                    responses.contains_key(status),
                    "{path} does not list {status}"
                );
            }
            assert!(!responses.contains_key("304"), "{path} cannot be a 304");
            let ok = &responses["200"];
            assert!(
                ok["headers"]["ETag"].is_null(),
                "{path}: no ETag on a stream"
            );
            let params = op["parameters"].as_array().unwrap();
            assert!(
                params
                    .iter()
                    .any(|p| p["name"] == "Last-Event-ID" && p["in"] == "header"),
                "{path} documents Last-Event-ID"
            );
        } else if path.starts_with("/api/v1/clusters/{cluster}") {
            for status in ["404", "502", "503", "504"] {
                assert!(
                    responses.contains_key(status),
                    "{path} does not list {status}"
                );
            }
        }
        // What the layers add to every operation: the token but on probes and the page, the
        // rate limit but on probes, one method, the answer cache's validators.
        let probe = matches!(path.as_str(), "/healthz" | "/readyz");
        let page = path == "/" || path == "/ui" || path.starts_with("/ui/");
        let security = op["security"].as_array().unwrap();
        if probe || page {
            assert!(security.is_empty(), "{path} needs no token");
        } else {
            assert_eq!(security, &[serde_json::json!({"bearer": []})], "{path}");
        }
        let mut expected = vec!["405"];
        if !stream {
            expected.push("304");
        }
        if !probe {
            expected.push("429");
        }
        if !probe && !page {
            expected.push("401");
        }
        for status in expected {
            assert!(
                responses.contains_key(status),
                "{path} does not list {status}"
            );
        }
        if stream || path == "/" || path == "/ui" {
            // An event stream has no validators; `/` and `/ui` are redirects, with no 200.
            continue;
        }
        let ok = resolve(&doc, &responses["200"]);
        for header in ["ETag", "Cache-Control", "Age"] {
            assert!(
                ok["headers"][header].is_object(),
                "{path} 200 lacks {header}"
            );
        }
    }
    assert_eq!(streams, 1, "the event stream is documented as one");
    let retry_after = &doc["components"]["responses"]["RateLimited"]["headers"]["Retry-After"];
    assert!(retry_after.is_object(), "429 documents Retry-After");
}

#[test]
fn every_schema_property_is_described_and_required() {
    let doc: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    let mut nullable = 0;
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        // An answer that embeds `Meta` is `allOf` [`Meta`, its own object]: check both levels.
        let parts = std::iter::once(schema).chain(schema["allOf"].as_array().into_iter().flatten());
        for part in parts.filter(|part| part["properties"].is_object()) {
            let required: Vec<&str> = part["required"]
                .as_array()
                .map(|r| r.iter().filter_map(|v| v.as_str()).collect())
                .unwrap_or_default();
            for (prop, def) in part["properties"].as_object().unwrap() {
                // On the property itself, where tools read it: not inside a `oneOf` branch.
                assert!(
                    def["description"].is_string(),
                    "{name}.{prop} has no description"
                );
                // Every field is sent, `null` when it has no value.
                assert!(
                    required.contains(&prop.as_str()),
                    "{name}.{prop} is not required"
                );
                let text = def.to_string();
                if text.contains("\"null\"") {
                    nullable += 1;
                }
            }
        }
    }
    assert!(nullable >= 77, "{nullable} nullable properties");
}

#[test]
fn parameters_say_what_the_handlers_accept() {
    let doc: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    let param = |path: &str, name: &str| -> serde_json::Value {
        doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{path} has no parameter {name}"))
            .clone()
    };
    for path in [
        "/api/v1/clusters/{cluster}/metrics/query",
        "/api/v1/clusters/{cluster}/metrics/query_range",
    ] {
        assert_eq!(param(path, "query")["required"], true, "{path}");
    }
    assert_eq!(
        param("/api/v1/clusters/{cluster}/regions/by-key", "key")["required"],
        true
    );
    let limit = param("/api/v1/clusters/{cluster}/regions", "limit");
    assert_eq!(limit["schema"]["type"], "integer");
    assert_eq!(
        (
            &limit["schema"]["minimum"],
            &limit["schema"]["maximum"],
            &limit["schema"]["default"]
        ),
        (&1.into(), &10_000.into(), &100.into())
    );
    let state = param("/api/v1/clusters/{cluster}/stores", "state");
    assert_eq!(state["schema"]["type"], "array");
    assert_eq!(
        state["schema"]["items"]["$ref"],
        "#/components/schemas/StoreState"
    );
    assert_eq!(
        (&state["style"], &state["explode"]),
        (&"form".into(), &false.into())
    );
    let include = param("/api/v1/clusters/{cluster}/stores", "include");
    assert_eq!(
        include["schema"]["items"]["enum"],
        serde_json::json!(["metrics"])
    );
}

#[test]
fn every_problem_type_is_documented() {
    let doc: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    let schema = &doc["components"]["schemas"]["ProblemType"];
    let listed: Vec<&str> = schema["enum"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(listed.len(), tikv_lens::model::ProblemType::ALL.len());
    let description = schema["description"].as_str().unwrap();
    let readme = include_str!("../../README.md");
    for kind in tikv_lens::model::ProblemType::ALL {
        assert!(listed.contains(&kind.urn()), "{}", kind.urn());
        assert!(
            description.contains(&format!("`{}` ({})", kind.urn(), kind.status())),
            "{} is not explained in the schema",
            kind.urn()
        );
        let slug = kind.urn().trim_start_matches("urn:tikv-lens:problem:");
        assert!(
            readme.contains(&format!("`{slug}`")),
            "README's table of problems lacks `{slug}`"
        );
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
        // Its properties, not its example (an example of an answer ends with Meta's fields).
        let mut properties = schema.clone();
        properties.as_object_mut().unwrap().remove("example");
        let text = properties.to_string();
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
    assert_eq!(answers, 21, "the answer types embedding Meta");
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

#[test]
fn every_schema_example_is_a_valid_instance_of_its_schema() {
    let doc = crate::support::schema::Document::committed();
    let mut examples = 0;
    for (name, schema) in doc.json()["components"]["schemas"].as_object().unwrap() {
        let Some(example) = schema.get("example") else {
            continue;
        };
        let errors = doc.errors(&doc.component(name), example);
        assert!(errors.is_empty(), "the example of {name}: {errors:#?}");
        examples += 1;
    }
    assert!(examples >= 15, "{examples} schemas have an example");
    // The check has teeth: an example without a required field, or with a wrong type, fails.
    let mut store = doc.json()["components"]["schemas"]["Store"]["example"].clone();
    store.as_object_mut().unwrap().remove("capacity_bytes");
    assert!(!doc.errors(&doc.component("Store"), &store).is_empty());
    let mut page = doc.json()["components"]["schemas"]["RegionPage"]["example"].clone();
    page["next_cursor"] = 42.into();
    assert!(!doc.errors(&doc.component("RegionPage"), &page).is_empty());
}

#[tokio::test]
async fn the_documented_security_is_what_the_server_does() {
    let pd = FakePd::start().await;
    pd.serve_v85_cluster();
    let lens = Lens::start_with_access(
        vec![crate::support::cluster("default", &[pd.url()])],
        crate::support::test_limits(),
        tikv_lens::config::AccessConfig {
            tokens: vec!["documented-token".into()],
            ..Default::default()
        },
    )
    .await;
    let doc: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    for (template, item) in doc["paths"].as_object().unwrap() {
        let path = template
            .replace("{cluster}", "default")
            .replace("{store_id}", "1")
            .replace("{region_id}", "2")
            .replace("{kind}", "read")
            .replace("{asset}", "main.js");
        let needs_token = !item["get"]["security"].as_array().unwrap().is_empty();
        // Not every answer is JSON (the page, /metrics), so only the status is read.
        let status = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(format!("{}{path}", lens.base))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        assert_eq!(
            status == 401,
            needs_token,
            "{path}: {status} without a token; the document says a token is {}needed",
            if needs_token { "" } else { "not " }
        );
    }
}
