//! The staff console for operating the appliance: the staff home at `/staff/` linking every
//! console page (other modules' pages use [`pages::staff_page`] for the shared navigation), jobs
//! (schedules, last runs, run now) and the outbox (backlog per destination, dead letters, retry).
//! The live data-flow map is [`flows`]; one learner's page is [`learner`]. The JSON side lives in `http::staff_ops` (documented by [`openapi`]); both call [`service`].
//!
//! Owns no tables: job runs and outbox rows are read through `jobs` and `outbox`.

pub mod check;
pub mod flows;
pub mod learner;
pub mod openapi;
pub mod pages;
pub mod service;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub fn routes(catalog: std::sync::Arc<crate::catalog::CatalogCache>) -> Router<AppState> {
    Router::new()
        .route("/staff/", get(pages::home))
        .route("/staff/jobs/", get(pages::jobs))
        .route("/staff/jobs/{name}/", get(pages::job_runs))
        .route("/staff/jobs/{name}/run", post(pages::run_job))
        .route("/staff/flows/", get(flows::pages::page))
        .route("/staff/check/", get(check::page))
        .route("/staff/outbox/", get(pages::outbox))
        .route("/staff/outbox/{id}/retry", post(pages::retry))
        .merge(learner::routes(catalog))
}
