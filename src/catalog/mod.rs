//! The catalog: departments, courses and their runs, programs with requirement trees,
//! collections and products with versioned prices. Served to MIT Learn and the SPAs through
//! the original's v1/v2/internal APIs, and to learners as server-rendered pages, all from an
//! in-memory snapshot that is replaced whenever the catalog changes.
//!
//! Owns `departments`, `topics`, `enrollment_modes`, `courses`, `course_departments`,
//! `course_topics`, `course_variants`, `blocked_countries`, `course_runs`, `course_run_modes`,
//! `programs`, `program_departments`, `program_modes`, `program_requirements`,
//! `program_collections`, `program_collection_items`, `products`, `product_versions`,
//! `related_programs` and `catalog_version`. Other modules read them through the snapshot ([`CatalogCache`]) or,
//! inside their own transactions, through [`service`] ([`lookups`], [`edx_sync`]). Reads from
//! others: the snapshot loads the CMS's published pages (`cms_pages`, `cms_revisions`) with
//! the catalog, and the blocked-country check joins the users module's `legal_addresses`.
//! CMS pages and images are written through `cms::service` (the demo catalog).
//! Staff write the catalog through [`admin`] (`/staff/catalog/`, `mitxonline catalog …`) and
//! programs, their requirement trees and collections through [`program_admin`].

pub mod admin;
pub mod api;
pub mod api_groups;
pub mod api_v1;
pub mod cache;
pub mod check;
pub mod context;
pub mod demo;
pub mod edx_sync;
pub mod lookups;
pub mod model;
pub mod openapi;
pub mod pages;
pub mod products;
pub mod program_admin;
pub mod service;
pub mod shapes;
pub mod snapshot;
pub mod store;

use std::sync::Arc;

use axum::routing::get;
use axum::{Extension, Router};

use crate::state::AppState;
pub use cache::CatalogCache;

/// Every catalog API route and catalog page, reading the shared snapshot cache.
pub fn routes(cache: Arc<CatalogCache>) -> Router<AppState> {
    Router::new()
        .route("/api/v2/courses/", get(api::v2_courses))
        .route("/api/v2/courses/{key}/", get(api::v2_course))
        .route("/api/v2/programs/", get(api::v2_programs))
        .route("/api/v2/programs/{key}/", get(api::v2_program))
        .route("/api/v2/departments/", get(api_groups::v2_departments))
        .route("/api/v2/departments/{id}/", get(api_groups::v2_department))
        .route(
            "/api/v2/program-collections/",
            get(api_groups::v2_program_collections),
        )
        .route(
            "/api/v2/program-collections/{id}/",
            get(api_groups::v2_program_collection),
        )
        .route("/api/internal/courses/", get(api::internal_courses))
        .route("/api/internal/courses/{key}/", get(api::internal_course))
        .route("/api/v1/courses/", get(api_v1::courses))
        .route("/api/v1/courses/{id}/", get(api_v1::course))
        .route("/api/v1/course_runs/", get(api_v1::course_runs))
        .route("/api/v1/course_runs/{id}/", get(api_v1::course_run))
        .route("/api/v1/programs/", get(api_v1::programs))
        .route("/api/v1/programs/{id}/", get(api_v1::program))
        .route("/api/v1/departments/", get(api_v1::departments))
        .route("/api/v1/departments/{id}/", get(api_v1::department))
        .route("/api/countries/", get(api_groups::countries))
        .route("/api/v0/countries/", get(api_groups::countries))
        .merge(pages::routes())
        .merge(program_admin::routes())
        .merge(admin::routes())
        .layer(Extension(cache))
}
