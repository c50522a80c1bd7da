//! The staff console's programs and program collections (issue 17): search and edit every
//! field of a program ([`pages_programs`]), its requirement tree in plain language with
//! drag-free ordering ([`pages_requirements`], the tree logic in [`tree`]), collections and
//! their ordered programs ([`pages_collections`]), and the same writes from the command line
//! ([`cli`]). Writes go through [`service`] (validated, audited in their transaction); the
//! catalog snapshot follows by `catalog_version`, which the tables' triggers bump.

pub mod cli;
pub mod forms;
pub mod pages_collections;
pub mod pages_programs;
pub mod pages_requirements;
pub mod service;
pub mod store;
pub mod tree;

use axum::Router;
use axum::routing::get;

use crate::state::AppState;

/// The program console's pages (mounted inside the catalog router, which supplies the
/// snapshot cache).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/staff/catalog/programs/",
            get(pages_programs::list).post(pages_programs::create),
        )
        .route("/staff/catalog/programs/new/", get(pages_programs::new))
        .route(
            "/staff/catalog/programs/{id}/",
            get(pages_programs::edit).post(pages_programs::update),
        )
        .route(
            "/staff/catalog/programs/{id}/requirements/",
            get(pages_requirements::show).post(pages_requirements::change),
        )
        .route(
            "/staff/catalog/collections/",
            get(pages_collections::list).post(pages_collections::create),
        )
        .route(
            "/staff/catalog/collections/{id}/",
            get(pages_collections::edit).post(pages_collections::change),
        )
}
