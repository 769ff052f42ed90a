//! What the layers of `server::app` add to every operation, which no handler declares: the
//! bearer token and the rate limit (every path but the probes), the one method served, the
//! caching headers and `304` of the answer cache (not on event streams, which it passes
//! through), and the request id.

use utoipa::Modify;
use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Components, ContentBuilder, OpenApi, Ref, RefOr, Required};

use crate::error::PROBLEM_JSON;
use crate::middleware::{OPEN_PATHS, is_page};

/// The name of the bearer token's security scheme.
const BEARER: &str = "bearer";

/// Documents the layers on every operation of the document (see the module doc).
pub(super) struct Layers;

impl Modify for Layers {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Components::new);
        add_components(components);
        for (path, item) in openapi.paths.paths.iter_mut() {
            let open = OPEN_PATHS.contains(&path.as_str());
            let page = is_page(path);
            for operation in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
            ]
            .into_iter()
            .flatten()
            {
                document_layers(operation, open, page);
            }
        }
    }
}

/// Whether the operation answers with an event stream, which the answer cache passes through:
/// no `ETag`, `Age` or `304` there.
fn is_stream(operation: &Operation) -> bool {
    operation
        .responses
        .responses
        .get("200")
        .is_some_and(|response| match response {
            RefOr::T(response) => response.content.contains_key(EVENT_STREAM),
            RefOr::Ref(_) => false,
        })
}

const EVENT_STREAM: &str = "text/event-stream";

/// `open`: a probe (no token, no rate limit); `page`: the page's files (no token, rate limited).
fn document_layers(operation: &mut Operation, open: bool, page: bool) {
    let stream = is_stream(operation);
    if !stream {
        operation
            .parameters
            .get_or_insert_with(Vec::new)
            .push(RefOr::Ref(Ref::new(
                "#/components/parameters/If-None-Match",
            )));
    }
    let responses = &mut operation.responses.responses;
    for (status, response) in responses.iter_mut() {
        let RefOr::T(response) = response else {
            continue;
        };
        let headers: &[&str] = if status.starts_with('2') && !stream {
            &["ETag", "Cache-Control", "Age", "x-request-id"]
        } else {
            &["x-request-id"]
        };
        add_headers(response, headers);
    }
    if !stream {
        responses.insert("304".into(), response_ref("NotModified"));
    }
    responses.insert("405".into(), response_ref("MethodNotAllowed"));
    if open || page {
        // An empty list: no security requirement, not even the bearer token when one is set.
        operation.security = Some(Vec::new());
        if page {
            responses.insert("429".into(), response_ref("RateLimited"));
        }
    } else {
        operation.security = Some(vec![SecurityRequirement::new::<_, [&str; 0], &str>(
            BEARER,
            [],
        )]);
        responses.insert("401".into(), response_ref("Unauthorized"));
        responses.insert("429".into(), response_ref("RateLimited"));
    }
}

fn add_components(components: &mut Components) {
    components.security_schemes.insert(
        BEARER.into(),
        RefOr::T(SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "`Authorization: Bearer <token>`, needed when the service is started with \
                     `--auth-tokens-file` or `TIKV_LENS_AUTH_TOKENS`; otherwise the header is \
                     not needed and not read. `/healthz` and `/readyz` never need it.",
                ))
                .build(),
        )),
    );
    components
        .parameters
        .insert("If-None-Match".into(), RefOr::T(if_none_match()));
    let headers = [
        (
            "ETag",
            header(
                Type::String,
                "A strong validator of the answer's bytes (gzip and identity answers differ): \
                 send it back as `If-None-Match` to get a bodiless `304` while the answer is \
                 unchanged.",
                "\"5466ff12aac5251a-4c4\"",
            ),
        ),
        (
            "Cache-Control",
            header(
                Type::String,
                "`max-age=N`: the data behind the answer stays fresh N more seconds in \
                 tikv-lens's cache (polling faster returns the same bytes); `no-cache` when the \
                 answer holds no cached upstream data.",
                "max-age=2",
            ),
        ),
        (
            "Age",
            header(
                Type::Integer,
                "Seconds since the upstream data behind the answer was read; absent when the \
                 answer reads no upstream data.",
                "1",
            ),
        ),
        (
            "x-request-id",
            header(
                Type::String,
                "The request's id: the client's own `x-request-id`, or a new UUID. The request's \
                 log lines carry it too.",
                "6f2c1d0e-8b1a-4c55-9a57-3d3c2f0b7e11",
            ),
        ),
        (
            "Retry-After",
            header(
                Type::Integer,
                "Seconds to wait before the client address may make another request.",
                "1",
            ),
        ),
        (
            "WWW-Authenticate",
            header(
                Type::String,
                "The scheme to authenticate with.",
                "Bearer realm=\"tikv-lens\"",
            ),
        ),
        (
            "Allow",
            header(Type::String, "The methods served.", "GET, HEAD"),
        ),
    ];
    for (name, header) in headers {
        components.headers.insert(name.into(), RefOr::T(header));
    }
    let responses = [
        (
            "NotModified",
            response(
                "The answer is unchanged since the `ETag` sent in `If-None-Match`: no body.",
                &["ETag", "Cache-Control", "Age", "x-request-id"],
                false,
            ),
        ),
        (
            "Unauthorized",
            response(
                "Bearer tokens are configured and the request has none or a wrong one \
                 (`urn:tikv-lens:problem:unauthorized`).",
                &["WWW-Authenticate", "x-request-id"],
                true,
            ),
        ),
        (
            "RateLimited",
            response(
                "The client address made more requests per second than `--rate-limit` allows \
                 (`urn:tikv-lens:problem:rate-limited`); `Retry-After` says when to try again.",
                &["Retry-After", "x-request-id"],
                true,
            ),
        ),
        (
            "MethodNotAllowed",
            response(
                "Any method but GET and HEAD (OPTIONS only as a CORS preflight): tikv-lens is \
                 read-only (`urn:tikv-lens:problem:method-not-allowed`).",
                &["Allow", "x-request-id"],
                true,
            ),
        ),
    ];
    for (name, response) in responses {
        components.responses.insert(name.into(), RefOr::T(response));
    }
}

fn if_none_match() -> Parameter {
    ParameterBuilder::new()
        .name("If-None-Match")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "The `ETag` of an answer the client has: while the answer is unchanged, tikv-lens \
             answers `304 Not Modified` without a body.",
        ))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build()
}

fn header(kind: Type, description: &str, example: &str) -> Header {
    let example = match kind {
        Type::Integer => example
            .parse::<u64>()
            .map(serde_json::Value::from)
            .unwrap_or_else(|_| example.into()),
        _ => example.into(),
    };
    HeaderBuilder::new()
        .schema(Some(ObjectBuilder::new().schema_type(kind)))
        .description(Some(description))
        .example(Some(example))
        .build()
}

fn response(description: &str, headers: &[&str], problem: bool) -> Response {
    let mut response = ResponseBuilder::new().description(description);
    if problem {
        response = response.content(
            PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        );
    }
    let mut response = response.build();
    add_headers(&mut response, headers);
    response
}

fn add_headers(response: &mut Response, names: &[&str]) {
    for name in names {
        response.headers.insert(
            (*name).to_owned(),
            RefOr::Ref(Ref::new(format!("#/components/headers/{name}"))),
        );
    }
}

fn response_ref(name: &str) -> RefOr<Response> {
    RefOr::Ref(Ref::from_response_name(name))
}
