//! `GET /`, `/ui/` and `/ui/{asset}`: the dashboard page, built from `ui/` by
//! `scripts/build-ui.sh` into `ui/dist` and embedded in the binary at compile time (no CDN, no
//! file on disk at run time). The page is a client of the public API like any other; these
//! routes serve files only and read no upstream.
//!
//! The page and its assets need no token (the page asks for one when the API answers 401) but
//! are rate limited like the API. HTML answers carry a Content-Security-Policy that lets the page
//! load only its own scripts and talk only to this service.

use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use rust_embed::RustEmbed;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use super::problems::NoSuchAsset;
use crate::error::ApiError;
use crate::state::AppState;

/// `ui/dist`, as the build saw it.
#[derive(RustEmbed)]
#[folder = "ui/dist"]
struct Assets;

/// What the HTML may load and talk to: its own files and this service only. Styles may be
/// inline because uPlot positions its cursor and legend with style attributes.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

#[derive(OpenApi)]
#[openapi(paths(root, root_of_page, page, asset))]
struct PageDoc;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(PageDoc::openapi())
        .route("/", get(root))
        .route("/ui", get(root_of_page))
        .route("/ui/", get(page))
        // A wildcard, for the page's subfolders (`views/`, `vendor/`); OpenAPI has no such
        // parameter, so the document names it `{asset}`.
        .route("/ui/{*asset}", get(asset))
}

/// The service's root: a redirect to the dashboard page.
///
/// Relative (`ui/`), so that it also works behind a proxy that mounts tikv-lens under a prefix.
#[utoipa::path(
    get,
    path = "/",
    tag = "page",
    responses((status = 308, description = "Permanent redirect to the page, `Location: ui/`.",
        headers(("Location" = String, description = "`ui/`"))))
)]
async fn root() -> Redirect {
    Redirect::permanent("ui/")
}

/// `/ui` without its slash: a redirect to the page.
///
/// Relative (`ui/`, resolved against `/ui` to `/ui/`), as for `/`.
#[utoipa::path(
    get,
    path = "/ui",
    tag = "page",
    responses((status = 308, description = "Permanent redirect to the page, `Location: ui/`.",
        headers(("Location" = String, description = "`ui/`"))))
)]
async fn root_of_page() -> Redirect {
    root().await
}

/// The dashboard page: fleet, cluster overview with its checks, stores, a store's charts,
/// operations, hot regions and region lookup, updated live from `/events`.
///
/// Built from `ui/` (TypeScript compiled against types generated from this document) and
/// embedded in the binary. Needs no token; when the service has tokens, the page asks for one
/// and sends it with its API calls.
#[utoipa::path(
    get,
    path = "/ui/",
    tag = "page",
    responses((status = 200, description = "The page (HTML), with a Content-Security-Policy that allows only this service.", body = String, content_type = "text/html"))
)]
async fn page() -> Response {
    serve("index.html")
        .unwrap_or_else(|| ApiError::RouteNotFound("/ui/".to_owned()).into_response())
}

/// A file of the page.
///
/// Its scripts (`main.js`, `views/*.js`), styles, icon, and the vendored uPlot and
/// openapi-fetch modules with their licences (`vendor/*.LICENSE.txt`). Answers carry `ETag` and
/// `Cache-Control: no-cache`, so a browser revalidates and gets a `304` while unchanged.
#[utoipa::path(
    get,
    path = "/ui/{asset}",
    tag = "page",
    params(("asset" = String, Path, description = "The file's path under `/ui/`, e.g. `main.js` or `vendor/uPlot.esm.js`.")),
    responses(
        (status = 200, description = "The file, with its content type.", content(
            (String = "text/javascript"),
            (String = "text/css"),
            (String = "image/svg+xml"),
            (String = "text/plain"),
        )),
        NoSuchAsset
    )
)]
async fn asset(Path(asset): Path<String>) -> Response {
    serve(&asset).unwrap_or_else(|| {
        ApiError::RouteNotFound(crate::error::truncate(&format!("/ui/{asset}"), 128))
            .into_response()
    })
}

fn serve(name: &str) -> Option<Response> {
    let file = Assets::get(name)?;
    let content_type = content_type(name);
    let mut response = (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
        ],
        file.data,
    )
        .into_response();
    if content_type.starts_with("text/html") {
        response.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
    }
    Some(response)
}

/// The content type of a file of `ui/dist`, by its extension.
fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_file_has_a_known_content_type() {
        let names: Vec<_> = Assets::iter().collect();
        assert!(names.iter().any(|n| n == "index.html"), "{names:?}");
        assert!(
            names.iter().any(|n| n == "vendor/uPlot.esm.js"),
            "{names:?}"
        );
        for name in names {
            assert_ne!(content_type(&name), "application/octet-stream", "{name}");
        }
    }
}
