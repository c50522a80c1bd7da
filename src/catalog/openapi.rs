//! The catalog's part of our OpenAPI document (see `crate::http::openapi`).

use utoipa::OpenApi;

use super::api;
use crate::http::openapi::alias;

#[derive(OpenApi)]
#[openapi(
    paths(api::v2_departments, api::v2_department, api::countries),
    tags((name = "catalog", description = "Courses, runs, programs, departments and collections"))
)]
pub struct Doc;

/// [`Doc`] with the paths that serve the same handlers.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = Doc::openapi();
    alias(&mut doc, "/api/countries/", &["/api/v0/countries/"]);
    doc
}
