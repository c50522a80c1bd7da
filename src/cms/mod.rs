//! The CMS behind the product pages: home, course and program pages, instructors,
//! signatories, certificate pages, resource pages and the site banner, each with draft and
//! published revisions, plus images stored in SQLite. Staff edit under `/staff/cms/`; the
//! public reads published revisions through the catalog snapshot and `/api/v2/pages/`.
//!
//! Owns `cms_pages`, `cms_revisions`, `cms_media` and `cms_featured_courses`. Reads from others: products by readable
//! id through `catalog::service`, and the catalog snapshot (the pages API, previews). Its
//! routes are mounted by `http`.

pub mod api;
pub mod api_shapes;
pub mod certificate_rules;
pub mod check;
pub mod featured;
pub mod form;
pub mod links;
pub mod media;
pub mod model;
pub mod openapi;
pub mod pages;
pub mod queries;
pub mod service;
pub mod store;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::{Extension, Router};

use crate::catalog::CatalogCache;
use crate::state::AppState;

/// The pages API, media and the staff editor; pages are read through the shared catalog
/// snapshot cache.
pub fn routes(cache: Arc<CatalogCache>) -> Router<AppState> {
    Router::new()
        .route("/api/v2/pages/", get(api::pages))
        .route("/api/v2/pages/{id}/", get(api::page_detail))
        .route("/media/{id}/", get(api::media))
        .route("/staff/cms/", get(pages::index))
        .route("/staff/cms/pages/", post(pages::create))
        .route("/staff/cms/pages/{id}/", get(pages::edit).post(pages::save))
        .route("/staff/cms/pages/{id}/preview", get(pages::preview))
        .route("/staff/cms/pages/{id}/publish", post(pages::set_live::<true>))
        .route("/staff/cms/pages/{id}/unpublish", post(pages::set_live::<false>))
        .route("/staff/cms/pages/{id}/rollback", post(pages::rollback))
        .route(
            "/staff/cms/media/",
            post(pages::upload).layer(DefaultBodyLimit::max(media::MAX_BYTES + 64 * 1024)),
        )
        .layer(Extension(cache))
}

/// The CMS's scheduled job (the featured home-page courses).
pub fn register(state: &AppState) {
    for job in featured::job_defs() {
        state.jobs.add(job);
    }
}
