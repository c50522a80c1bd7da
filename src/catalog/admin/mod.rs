//! The operator console's catalog screens (`/staff/catalog/…`) and `mitxonline catalog …`:
//! departments and topics, courses, course runs with their products and prices, and a run's
//! Open edX actions. Pages parse the form and call [`service`], [`runs`], [`edx`] or the
//! product service; a bad field shows the form again (400) with the error next to it and
//! changes nothing.

pub mod cli;
pub mod courses;
pub mod edx;
pub mod form;
pub mod pages_courses;
pub mod pages_departments;
pub mod pages_products;
pub mod pages_runs;
pub mod queries;
pub mod runs;
pub mod service;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/catalog/", get(pages_courses::list))
        .route(
            "/staff/catalog/departments/",
            get(pages_departments::list).post(pages_departments::add),
        )
        .route(
            "/staff/catalog/departments/{id}/",
            post(pages_departments::rename),
        )
        .route("/staff/catalog/topics/", post(pages_departments::add_topic))
        .route("/staff/catalog/courses/", post(pages_courses::create))
        .route("/staff/catalog/courses/new/", get(pages_courses::new))
        .route(
            "/staff/catalog/courses/{id}/",
            get(pages_courses::edit).post(pages_courses::update),
        )
        .route("/staff/catalog/courses/{id}/runs/new/", get(pages_runs::new))
        .route("/staff/catalog/runs/", post(pages_runs::create))
        .route(
            "/staff/catalog/runs/{id}/",
            get(pages_runs::edit).post(pages_runs::update),
        )
        .route("/staff/catalog/runs/{id}/product/", post(pages_products::post))
        .route("/staff/catalog/runs/{id}/sync/", post(pages_runs::sync))
        .route(
            "/staff/catalog/runs/{id}/create-in-edx/",
            post(pages_runs::create_in_edx),
        )
}
