//! Certificates: the course-run and program certificates learners earn (issued from grades
//! pulled from Open edX, by the requirement tree for programs), their public pages and APIs,
//! verifiable credentials signed through the outbox, staff revoke/un-revoke and grade
//! overrides, learner program records with sharing (partner schools edited by staff), and the
//! certificate jobs (`generate-course-certificate`, `upgrade-eligible-program-enrollments`,
//! `generate-missing-program-certificates`).
//!
//! Owns `course_run_certificates`, `program_certificates`, `verifiable_credentials`,
//! `partner_schools` and `learner_program_record_shares`. Reads from others: the catalog
//! snapshot for runs, programs, requirement trees and published CMS pages; enrollments and
//! grades through `enrollment::facts` (and writes staff grade overrides there); the pinned
//! certificate page revision through `cms::store`; learners through `users::store`; grades
//! from Open edX through `integrations::openedx::jobs::pull_course_grades`. The enrollment
//! listing joins `course_run_certificates` in its one statement (see `enrollment::store`).

pub mod api;
pub mod credentials;
pub mod jobs;
pub mod manage;
pub mod model;
pub mod openapi;
pub mod pages;
pub mod progress;
pub mod records;
pub mod records_api;
pub mod schools;
pub mod service;
pub mod staff;
pub mod store;
pub mod tree;
pub mod views;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::{Extension, Router};

use crate::catalog::CatalogCache;
use crate::state::AppState;

pub use model::{Certificate, CertificateError, Kind};

/// Public pages, APIs and the staff page, reading the shared catalog snapshot.
pub fn routes(cache: Arc<CatalogCache>) -> Router<AppState> {
    let (course, program) = (Extension(Kind::CourseRun), Extension(Kind::Program));
    Router::new()
        .route("/certificate/{uuid}/", get(pages::show).layer(course))
        .route("/certificate/program/{uuid}/", get(pages::show).layer(program))
        .route(
            "/api/v2/course_certificates/{uuid}/",
            get(api::course_certificate),
        )
        .route(
            "/api/v2/program_certificates/{uuid}/",
            get(api::program_certificate),
        )
        .route(
            "/api/v2/verifiable_course_credential/{id}/download/",
            get(api::download_course_credential),
        )
        .route(
            "/api/v2/verifiable_program_credential/{id}/download/",
            get(api::download_program_credential),
        )
        .route("/api/records/program/{id}/", get(records_api::get_record))
        .route("/api/records/program/{id}/share/", post(records_api::share))
        .route("/api/records/program/{id}/revoke/", post(records_api::revoke))
        .route("/api/records/shared/{uuid}/", get(records_api::get_shared))
        .route("/api/v1/partnerschools/", get(records_api::partner_schools))
        .route("/records/{program}/", get(records_api::page_record))
        .route("/records/{program}/share/", post(records_api::page_share))
        .route("/records/{program}/revoke/", post(records_api::page_revoke))
        .route("/records/shared/{uuid}/", get(records_api::page_shared))
        .route("/staff/certificates/", get(staff::index))
        .route("/staff/certificates/revoke/", post(staff::revoke))
        .route("/staff/certificates/grade/", post(staff::grade))
        .route("/staff/certificates/preview/{page_id}/", get(staff::preview))
        .route("/staff/certificates/partner-schools/", get(schools::index))
        .route(
            "/staff/certificates/partner-schools/add/",
            post(schools::add_form),
        )
        .route(
            "/staff/certificates/partner-schools/remove/",
            post(schools::remove_form),
        )
        .layer(Extension(cache))
}

/// Registers the credential deliverer and the certificate jobs.
pub fn register(state: &AppState) {
    state.outbox.register(
        credentials::DESTINATION,
        Arc::new(credentials::CredentialDeliverer {
            db: state.db.clone(),
            clock: state.clock.clone(),
            http: state.http_client.clone(),
            vc: state.config.vc.clone(),
            public_url: state.config.public_url.to_string(),
            catalog: Arc::new(CatalogCache::default()),
        }),
    );
    for job in jobs::job_defs() {
        state.jobs.add(job);
    }
}
