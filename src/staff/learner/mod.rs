//! The learner page, `/staff/users/{id}/`: everything about one account on one page, and what
//! staff do to it — profile and legal address; course-run enrollments with grade, certificate
//! and payment (enroll, change mode, unenroll, move to another run, transfer to another
//! learner); program enrollments; orders with their refunds; the edX account and the edX
//! messages not delivered yet (retry); live sessions (sign out one or all); and the account's
//! audit trail.
//!
//! Owns no tables. Reads and writes go through each owner: `users::staff_service`,
//! `enrollment` ([`crate::enrollment::transfer`], [`crate::enrollment::bulk::one`],
//! [`crate::enrollment::deferral`]), `commerce::orders::service`,
//! `integrations::openedx::learner`, `audit::search`. Every change is audited by the module
//! that makes it, in its own transaction.

mod actions;
mod load;
mod pages;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::{Extension, Router};

use crate::catalog::CatalogCache;
use crate::state::AppState;

pub fn routes(cache: Arc<CatalogCache>) -> Router<AppState> {
    Router::new()
        .route("/staff/users/{id}/", get(pages::page))
        .route("/staff/users/{id}/enroll/", post(actions::enroll))
        .route("/staff/users/{id}/enrollments/mode/", post(actions::enroll))
        .route("/staff/users/{id}/enrollments/unenroll/", post(actions::unenroll))
        .route("/staff/users/{id}/enrollments/defer/", post(actions::defer))
        .route("/staff/users/{id}/enrollments/transfer/", post(actions::transfer))
        .route(
            "/staff/users/{id}/sessions/revoke/",
            post(actions::revoke_sessions),
        )
        .route("/staff/users/{id}/edx/retry/", post(actions::retry_edx))
        .layer(Extension(cache))
}

/// The learner page's URL.
pub fn url(id: i64) -> String {
    format!("/staff/users/{id}/")
}
