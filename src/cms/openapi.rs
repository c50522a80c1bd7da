//! The CMS's part of our OpenAPI document (see `crate::http::openapi`): Wagtail's pages API.

use utoipa::OpenApi;

use super::api;

#[derive(OpenApi)]
#[openapi(
    paths(api::pages, api::page_detail),
    tags((name = "cms", description = "Course, program and certificate pages (Wagtail's pages API)"))
)]
pub struct Doc;
