//! Enrollments: learners' course-run and program enrollments (one row per pair, reused across
//! unenroll/re-enroll and mode changes, with `change_status` and an audit row for every
//! change), paid runs/programs, grades pulled from Open edX, the original's enrollment APIs,
//! the verified-program course enrollment ([`program_verified`]), bulk enroll / unenroll from
//! CSV ([`bulk`], [`bulk_pages`]), the product-page enroll form and the learner dashboard. Every edX push goes through the
//! outbox in the same transaction as the local change.
//!
//! Owns `course_run_enrollments`, `program_enrollments`, `paid_course_runs`, `paid_programs`
//! and `course_run_grades`. Reads from others: the catalog snapshot for every list and page,
//! and `catalog::service` for runs and programs inside its transactions; learners by email
//! through `users::store`; edX confirmations through `integrations::openedx` (its store and
//! messages). Two statements join other owners' tables on purpose, to keep one statement per
//! request or batch: the dashboard [`store::listing`] and the reconciliation
//! [`store::unconfirmed`] (`course_runs`, `openedx_enrollment_sync`, `outbox`).

pub mod api;
pub mod api_programs;
pub mod api_verified;
pub mod bulk;
pub mod bulk_pages;
pub mod cli;
pub mod dashboard;
pub mod deferral;
pub mod facts;
pub mod fragments;
pub mod jobs;
pub mod model;
pub mod openapi;
pub mod pages;
pub mod program_verified;
pub mod queries;
pub mod service;
pub mod shapes;
pub mod staff;
pub mod store;
pub mod transfer;
pub mod webhook_service;
pub mod webhooks;

use std::sync::Arc;

use axum::Router;

use crate::catalog::CatalogCache;
use crate::state::AppState;

pub use model::{Actor, ChangeStatus, Checks, EnrollError, Enrollment, Mode, ProgramEnrollment};

/// Every enrollment route, reading the shared catalog snapshot.
pub fn routes(cache: Arc<CatalogCache>) -> Router<AppState> {
    api::routes(cache.clone(), Arc::new(fragments::RunFragments::default()))
        .merge(api_verified::routes(cache.clone()))
        .merge(pages::routes().layer(axum::Extension(cache)))
        .merge(staff::routes())
        .merge(bulk_pages::routes())
}

/// Registers the enrollment jobs.
pub fn register(state: &AppState) {
    for job in jobs::job_defs() {
        state.jobs.add(job);
    }
}
