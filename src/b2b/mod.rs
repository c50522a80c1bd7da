//! B2B contracts (surface §1.5, §2.8, §5): organizations sell seats in contracts to their
//! learners. A contract lists programs; adding one provisions a contract run per source run
//! of each course ([`provision`], with the Studio re-run through the outbox) and the contract's
//! enrollment codes ([`codes`]); learners attach with a code ([`service::attach`]) or through
//! Keycloak ([`keycloak`]), and enroll in contract runs ([`enroll`]); managers follow and hand
//! out codes ([`manager`]); staff create and inspect everything ([`staff`]); a code contract's
//! codes go to its Google Sheet ([`sheets`]).
//!
//! Owns `b2b_organizations`, `b2b_contracts`, `b2b_contract_programs`, `b2b_memberships`,
//! `b2b_attachments`, `b2b_codes`, `b2b_code_redemptions`, `b2b_contract_runs`,
//! `b2b_membership_sync` and `b2b_contract_sheets`. Reads from others: runs, products and programs through
//! `catalog::service` / `catalog::store` (it writes contract runs and products through the
//! catalog store) and the catalog snapshot; discounts (the codes) through
//! `commerce::discounts::store` — its code statements join `discounts` and
//! `discount_redemptions` read-only; baskets and the zero-value checkout through
//! `commerce::basket` / `commerce::checkout`; enrollments through `enrollment`; users through
//! `users::store`; the re-run's delivery state from `outbox` (one statement in
//! [`store_runs::refresh_status`]). Outbound: `openedx` (`clone_course_run`), `mail` (tagged
//! invites) and `keycloak` (organization members), all through the outbox.

pub mod admin;
pub mod admin_edit;
pub mod admin_io;
pub mod api;
pub mod check;
pub mod codes;
pub mod demo;
pub mod enroll;
pub mod error;
pub mod keycloak;
pub mod mailgun;
pub mod manager;
pub mod manager_api;
pub mod manager_reads;
pub mod model;
pub mod openapi;
pub mod provision;
pub mod reads;
pub mod service;
pub mod shapes;
pub mod sheets;
pub mod staff;
pub mod staff_contract;
pub mod store;
pub mod store_codes;
pub mod store_runs;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::catalog::CatalogCache;
use crate::state::AppState;

pub use error::B2bError;

/// The B2B routes (they read the catalog snapshot through `cache`).
pub fn routes(cache: Arc<CatalogCache>) -> Router<AppState> {
    Router::new()
        .route("/api/v0/b2b/attach/{code}/", post(api::attach))
        .route("/api/v0/b2b/enroll/{run_key}/", post(api::enroll))
        .route("/api/v0/b2b/organizations/", get(api::organizations))
        .route("/api/v0/b2b/organizations/{slug}/", get(api::organization))
        .route("/api/v0/b2b/contracts/", get(api::contracts))
        .route("/api/v0/b2b/contracts/{slug}/", get(api::contract))
        .route(
            "/api/v0/b2b/contracts/{slug}/all_variant_runs/",
            get(api::all_variant_runs),
        )
        .route("/api/v3/courses/variant_runs/", get(api::course_variant_runs))
        .merge(manager_routes())
        .route("/staff/b2b/", get(staff::home))
        .route("/staff/b2b/organizations/", post(staff::create_organization))
        .route("/staff/b2b/organizations/{id}/", get(staff::organization))
        .route(
            "/staff/b2b/organizations/{id}/contracts/",
            post(staff::create_contract),
        )
        .route("/staff/b2b/contracts/import/", post(staff::import))
        .route("/staff/b2b/contracts/{id}/", get(staff_contract::contract))
        .route(
            "/staff/b2b/contracts/{id}/programs/",
            post(staff_contract::add_program),
        )
        .route("/staff/b2b/contracts/{id}/codes/", post(staff_contract::codes))
        .route("/staff/b2b/contracts/{id}/terms/", post(staff_contract::terms))
        .route("/staff/b2b/contracts/{id}/sheet/", post(staff_contract::sheet))
        .route("/staff/b2b/contracts/{id}/export/", get(staff_contract::export))
        .layer(axum::Extension(cache))
}

/// The manager dashboard's API, the Mailgun webhook and the service check.
fn manager_routes() -> Router<AppState> {
    use axum::routing::{delete, put};
    Router::new()
        .route(
            "/api/v0/b2b/manager/organizations/",
            get(manager_api::organizations),
        )
        .route(
            "/api/v0/b2b/manager/organizations/{org}/",
            get(manager_api::organization),
        )
        .route(
            "/api/v0/b2b/manager/organizations/{org}/contracts/",
            get(manager_api::contracts),
        )
        .route(
            "/api/v0/b2b/manager/organizations/{org}/contracts/{id}/",
            get(manager_api::contract),
        )
        .route(
            "/api/v0/b2b/manager/organizations/{org}/contracts/{id}/course_runs/",
            get(manager_api::course_runs),
        )
        .route(
            "/api/v0/b2b/manager/organizations/{org}/contracts/{id}/course_runs/{key}/enrollments/",
            get(manager_api::run_enrollments),
        )
        .route(
            "/api/v0/b2b/manager/organizations/{org}/contracts/{id}/codes/",
            get(manager_api::codes),
        )
        .route(
            "/api/v0/b2b/manager/organizations/{org}/contracts/{id}/codes/bulk_assign/",
            post(manager_api::bulk_assign),
        )
        .route(
            "/api/v0/b2b/manager/organizations/{org}/contracts/{id}/codes/send_test_email/",
            post(manager_api::send_test_email),
        )
        .route(
            "/api/v0/b2b/manager/organizations/{org}/contracts/{id}/codes/{code}/assign/",
            post(manager_api::assign),
        )
        .route(
            "/api/v0/b2b/manager/organizations/{org}/contracts/{id}/codes/{code}/reassign/",
            put(manager_api::reassign),
        )
        .route(
            "/api/v0/b2b/manager/organizations/{org}/contracts/{id}/codes/{code}/revoke/",
            delete(manager_api::revoke),
        )
        .route(
            "/api/v0/b2b/manager/organizations/{org}/contracts/{id}/codes/{code}/remind/",
            post(manager_api::remind),
        )
        .route("/api/v0/b2b/webhook", post(manager_api::webhook))
        .route(
            "/api/v0/b2b/service/organization-manager-check/",
            get(manager_api::manager_check),
        )
}

/// Registers the `sync-keycloak` job (daily, offset 12 h as the original's beat entry).
pub fn register(state: &AppState) {
    state.jobs.add(crate::jobs::JobDef::new(
        "sync-keycloak",
        "0 0 12 * * *",
        "Lists the organizations in Keycloak (or its sandbox) and creates or updates them here.",
        |state| async move { keycloak::sync_organizations(&state).await },
    ));
}
