//! Our own OpenAPI document, generated from the code (utoipa), served at `GET /api/schema/`
//! (drf-spectacular's path in the original) and shown without JavaScript at
//! `GET /api/schema/swagger-ui/` ([`super::openapi_view`]).
//!
//! **Module-owned documents.** Each domain module serving JSON under `/api/` has its own
//! `src/<module>/openapi.rs` with `#[derive(utoipa::OpenApi)] pub struct Doc` listing its
//! handlers (each annotated with `#[utoipa::path]` next to it: method, the path as the router
//! writes it, parameters, request body, every status it answers, a tag per module, an
//! operation id) and, where one handler is mounted at several paths, a `document()` that adds
//! those paths with [`alias`]. [`document`] merges them all under the info, servers and
//! security schemes below; a new module adds one line there. Response and request types derive
//! `utoipa::ToSchema` next to `Serialize`/`Deserialize`, so the document cannot drift from what
//! the handlers send. Every error answer under `/api/` is [`ErrorBody`] (what
//! [`super::AppError`] renders); the statuses are named with the shared responses below
//! ([`BadRequest`], [`NotFound`], …) so annotations do not repeat them.
//!
//! **Not documented here:** the sandbox faces of partners under `src/integrations/` (the fake
//! Open edX, CyberSource, Keycloak, HubSpot, Google Sheets, exchange rates…) are those
//! partners' APIs, not ours; SCIM's `/scim/v2/` is a different protocol with its own schema
//! endpoints; and the HTML pages.
//!
//! **The validator hook.** The integration tests check every JSON answer their HTTP helpers read
//! from `/api/` against this document (`tests/it/support/openapi.rs`): the operation is found by
//! method and path template, and the body must validate against the response documented for
//! its status; an undocumented operation or status fails the test. `contract::own_schema`
//! checks that the document covers the original's contract and that no operation listed in
//! `tests/data/openapi/operations.txt` disappears.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use serde_json::Value;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{self as oa, PathItem, Server};

use crate::state::AppState;

/// The body of every error answer under `/api/`: DRF's `{"detail": "…"}`, or for invalid input
/// each field named with its messages (`{"email": ["Enter a valid email address."]}`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum ErrorBody {
    Detail { detail: String },
    Fields(BTreeMap<String, Vec<String>>),
}

/// The shared error responses an annotation lists after its own, e.g.
/// `responses((status = 200, body = Course), NotFound)`.
mod responses {
    #![allow(dead_code, reason = "response types for the document only; never constructed")]
    use super::ErrorBody;

    /// The request is invalid: a `detail`, or each invalid field with its messages.
    #[derive(utoipa::IntoResponses)]
    #[response(status = 400)]
    pub struct BadRequest(ErrorBody);

    /// Not signed in, or the credentials are not valid.
    #[derive(utoipa::IntoResponses)]
    #[response(status = 401)]
    pub struct Unauthorized(ErrorBody);

    /// Not allowed to this caller (including "Authentication credentials were not provided.").
    #[derive(utoipa::IntoResponses)]
    #[response(status = 403)]
    pub struct Forbidden(ErrorBody);

    /// No such object, or not shown to this caller.
    #[derive(utoipa::IntoResponses)]
    #[response(status = 404)]
    pub struct NotFound(ErrorBody);

    /// The request conflicts with the object's current state.
    #[derive(utoipa::IntoResponses)]
    #[response(status = 409)]
    pub struct Conflict(ErrorBody);

    /// Too many requests: wait for `Retry-After` seconds.
    #[derive(utoipa::IntoResponses)]
    #[response(status = 429)]
    pub struct TooManyRequests(ErrorBody);
}
pub use responses::*;

/// The document's frame: info, tags, security schemes and the schemas every module shares.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "MITx Online",
        description = "The MITx Online API, generated from this server's code.",
        version = "2"
    ),
    paths(schema, viewer),
    components(schemas(ErrorBody, DocumentShape)),
    tags((name = "schema", description = "This document"))
)]
struct Root;

/// Every module's document merged into one: the catalog, CMS, commerce, B2B, pricing,
/// enrollment, certificates, users and staff modules add their `openapi::Doc` (or
/// `document()`) here.
pub fn document() -> oa::OpenApi {
    let mut doc = Root::openapi();
    for part in [
        crate::catalog::openapi::document(),
        crate::cms::openapi::Doc::openapi(),
        crate::commerce::openapi::Doc::openapi(),
        crate::b2b::openapi::Doc::openapi(),
        crate::pricing::openapi::Doc::openapi(),
        crate::enrollment::openapi::document(),
        crate::certificates::openapi::Doc::openapi(),
        crate::users::openapi::document(),
        crate::staff::openapi::Doc::openapi(),
    ] {
        refuse_name_clashes(&doc, &part);
        doc.merge(part);
    }
    let components = doc.components.get_or_insert_with(Default::default);
    for (name, scheme) in security_schemes() {
        components.add_security_scheme(name, scheme);
    }
    doc
}

/// Two different schemas under one name would keep only the first when merged: each type a
/// module documents needs a name of its own (`#[schema(as = …)]`).
fn refuse_name_clashes(doc: &oa::OpenApi, part: &oa::OpenApi) {
    let (Some(have), Some(new)) = (&doc.components, &part.components) else {
        return;
    };
    for (name, schema) in &new.schemas {
        if let Some(old) = have.schemas.get(name) {
            let json = |s| serde_json::to_value(s).ok();
            assert!(
                json(old) == json(schema),
                "two different OpenAPI schemas are named {name}: give one another name"
            );
        }
    }
}

fn security_schemes() -> [(&'static str, SecurityScheme); 4] {
    let described = |name: &str, text: &str| ApiKeyValue::with_description(name.to_owned(), text.to_owned());
    let mut bearer = Http::new(HttpAuthScheme::Bearer);
    bearer.description = Some(
        "An access token of our OAuth2 provider (Open edX's application) or a staff service \
         account's token (`/staff/access-tokens/`)."
            .into(),
    );
    [
        (
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(described(
                super::session::SESSION_COOKIE,
                "The session cookie of a signed-in person; writes also send the CSRF token in \
                 `X-CSRFToken`.",
            ))),
        ),
        (
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(described(
                "Authorization",
                "`Authorization: Api-Key <key>` (created with `mitxonline apikey create`).",
            ))),
        ),
        ("bearer", SecurityScheme::Http(bearer)),
        (
            "gateway",
            SecurityScheme::ApiKey(ApiKey::Header(described(
                "X-Userinfo",
                "The APISIX gateway's base64 JSON claims of the signed-in person (trusted \
                 proxies only).",
            ))),
        ),
    ]
}

/// Adds each path of `at` as the same operations as the path `of` (one handler mounted at
/// several paths, e.g. a v0 alias), their operation ids suffixed with what differs in the path.
pub fn alias(doc: &mut oa::OpenApi, of: &str, at: &[&str]) {
    alias_methods(doc, of, at, &[]);
}

/// [`alias`] for some methods of `of` only (`&[]`: all of them).
pub fn alias_methods(doc: &mut oa::OpenApi, of: &str, at: &[&str], methods: &[&str]) {
    let original = doc
        .paths
        .paths
        .get(of)
        .cloned()
        .unwrap_or_else(|| panic!("alias of an undocumented path {of}"));
    for path in at {
        let mut item = original.clone();
        let suffix = suffix(path, of);
        for (method, op) in operations_mut(&mut item) {
            if !methods.is_empty() && !methods.contains(&method) {
                *op = None;
            } else if let Some(op) = op
                && let Some(id) = &mut op.operation_id
            {
                id.push('_');
                id.push_str(&suffix);
            }
        }
        doc.paths
            .paths
            .entry((*path).to_owned())
            .or_default()
            .merge_operations(item);
    }
}

/// The segments of `path` that `of` does not have, joined by `_` (`/api/v0/users/me` against
/// `/api/users/me`: `v0`).
fn suffix(path: &str, of: &str) -> String {
    let known: Vec<&str> = of.split('/').collect();
    let own: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty() && !known.contains(s))
        .map(|s| s.trim_matches(|c| c == '{' || c == '}'))
        .collect();
    own.join("_").replace('-', "_")
}

fn operations_mut(item: &mut PathItem) -> [(&'static str, &mut Option<oa::path::Operation>); 5] {
    [
        ("get", &mut item.get),
        ("post", &mut item.post),
        ("put", &mut item.put),
        ("patch", &mut item.patch),
        ("delete", &mut item.delete),
    ]
}

/// The document as JSON, built once per process.
pub fn document_json() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| serde_json::to_value(document()).expect("the document serializes"))
}

/// What `GET /api/schema/` answers: an OpenAPI 3.1 document. Its parts are OpenAPI's own
/// objects (described by OpenAPI's metaschema, not by this document), so they are free-form here.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DocumentShape {
    /// `3.1.0`.
    pub openapi: String,
    pub info: Object,
    pub servers: Vec<ServerShape>,
    pub paths: Object,
    pub components: Object,
    pub tags: Vec<Object>,
}

/// Where the API is served: this server's public URL.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ServerShape {
    pub url: String,
}

/// An OpenAPI object (free-form: see [`DocumentShape`]).
pub type Object = BTreeMap<String, Value>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/schema/", get(schema))
        .route("/api/schema/swagger-ui/", get(viewer))
}

/// The document with this server's public URL as its server.
pub fn served(state: &AppState) -> Value {
    let mut doc = document_json().clone();
    doc["servers"] = serde_json::to_value(vec![Server::new(
        state.config.public_url.as_str().trim_end_matches('/'),
    )])
    .expect("servers serialize");
    doc
}

/// This OpenAPI document.
#[utoipa::path(
    get,
    path = "/api/schema/",
    tag = "schema",
    operation_id = "schema_retrieve",
    responses((status = 200, description = "This document", body = DocumentShape))
)]
async fn schema(State(state): State<AppState>) -> Response {
    axum::Json(served(&state)).into_response()
}

/// This document as a page: operations by tag, with parameters, bodies and responses.
#[utoipa::path(
    get,
    path = "/api/schema/swagger-ui/",
    tag = "schema",
    operation_id = "schema_viewer",
    responses((status = 200, description = "An HTML page", body = String, content_type = "text/html"))
)]
async fn viewer(ctx: super::PageCtx, State(state): State<AppState>) -> Response {
    let doc = served(&state);
    (
        [(header::CACHE_CONTROL, "no-cache")],
        super::openapi_view::render(&ctx, &doc),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alias_suffix_names_what_differs() {
        assert_eq!(suffix("/api/v0/users/me", "/api/users/me"), "v0");
        assert_eq!(
            suffix("/api/v0/users/current_user/", "/api/users/me"),
            "v0_current_user"
        );
        assert_eq!(suffix("/api/v0/change-emails/", "/api/change-emails/"), "v0");
    }

    #[test]
    fn the_document_is_openapi_3_1_with_unique_operation_ids() {
        let doc = document_json();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        let mut ids = std::collections::BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let id = op["operationId"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{method} {path}: no operationId"));
                assert!(
                    ids.insert(id.to_owned()),
                    "{method} {path}: operationId {id} twice"
                );
                assert!(
                    op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                    "{method} {path}: no tag"
                );
                for (status, r) in op["responses"].as_object().unwrap() {
                    assert!(
                        r["description"].is_string(),
                        "{method} {path} {status}: no description"
                    );
                }
            }
        }
        for s in ["session", "api_key", "bearer", "gateway"] {
            assert!(doc["components"]["securitySchemes"][s].is_object(), "{s}");
        }
    }
}
