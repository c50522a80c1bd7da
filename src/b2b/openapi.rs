//! B2B's part of our OpenAPI document (issue 18): attaching and enrolling, organizations and
//! contracts, a contract's variant runs and `/api/v3/courses/variant_runs/` (in the catalog's
//! `BaseCourseRun` shape), the manager API, the Mailgun webhook and the service manager check.

use utoipa::OpenApi;

use crate::b2b::{api, manager_api};

/// The B2B operations.
#[derive(OpenApi)]
#[openapi(paths(
    api::attach,
    api::enroll,
    api::organizations,
    api::organization,
    api::contracts,
    api::contract,
    api::all_variant_runs,
    api::course_variant_runs,
    manager_api::organizations,
    manager_api::organization,
    manager_api::contracts,
    manager_api::contract,
    manager_api::course_runs,
    manager_api::run_enrollments,
    manager_api::codes,
    manager_api::assign,
    manager_api::reassign,
    manager_api::revoke,
    manager_api::remind,
    manager_api::bulk_assign,
    manager_api::send_test_email,
    manager_api::webhook,
    manager_api::manager_check,
))]
pub struct Doc;
