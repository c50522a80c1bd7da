//! The staff JSON API's part of our OpenAPI document (see `crate::http::openapi`): jobs and
//! their runs, the outbox's dead letters, API keys — all under `/api/v0/staff/`, for staff
//! signed in or a staff-scope API key. Its handlers are `crate::http::staff_ops`.

use utoipa::OpenApi;

use crate::http::staff_ops;

/// The staff operations.
#[derive(OpenApi)]
#[openapi(
    paths(
        staff_ops::list_jobs,
        staff_ops::run_job,
        staff_ops::get_run,
        staff_ops::list_dead,
        staff_ops::retry_dead,
        staff_ops::list_api_keys,
        staff_ops::create_api_key,
        staff_ops::revoke_api_key,
    ),
    tags((name = "staff", description = "Operating the appliance: jobs, dead letters, API keys"))
)]
pub struct Doc;
