//! The enrollment module's part of our OpenAPI document (issue 18, see `crate::http::openapi`):
//! the course-run enrollment APIs `/api/v{1,2,3}/enrollments/`, the program-enrollment APIs
//! `/api/v{1,2,3}/program_enrollments/`, the verified-program enrollment, the Open edX webhooks
//! and the product page's enroll form (`POST /enrollments/`, a form post answering a redirect).
//!
//! The answers are the typed shapes of [`super::shapes`] (around the catalog's run, course and
//! program shapes); the request bodies, the webhooks' answers and the responses sets are
//! described here (the integration tests validate every answer they read against them).

#![allow(
    dead_code,
    clippy::large_enum_variant,
    reason = "shapes for the document only (never built); the handlers build the same JSON"
)]

use serde::Serialize;
use serde_json::Value;
use utoipa::{IntoParams, IntoResponses, OpenApi, ToSchema};

pub use super::shapes::{
    CourseRunEnrollmentV1, CourseRunEnrollmentV2, CourseRunEnrollmentV3, EnrollmentCertificate,
    EnrollmentCourseV3, EnrollmentGrade, EnrollmentProgramV3, EnrollmentRunV3, ProgramEnrollmentV1,
    ProgramEnrollmentV2, ProgramEnrollmentV3,
};
use super::{api, api_programs, api_verified, pages, webhooks};
use crate::catalog::shapes::V1CourseShape;
use crate::http::openapi::alias_methods;

/// `POST …/enrollments/`: the run to enroll in (a number or a numeric string).
#[derive(ToSchema)]
pub struct EnrollRequest {
    #[schema(value_type = i64)]
    pub run_id: Value,
}

/// `PUT /api/v1/enrollments/{id}/`: the enrollment's own run (an enrollment never moves to
/// another run) and, optionally, the course email subscription.
#[derive(ToSchema)]
pub struct EnrollmentUpdateRequest {
    #[schema(value_type = i64)]
    pub run_id: Value,
    pub edx_emails_subscription: Option<bool>,
}

/// `PATCH /api/v1/enrollments/{id}/`: subscribe to or unsubscribe from the course's emails.
#[derive(ToSchema)]
pub struct EnrollmentEmailsRequest {
    pub receive_emails: bool,
}

/// `POST /api/v3/program_enrollments/`: the live program to enroll in.
#[derive(ToSchema)]
pub struct ProgramEnrollRequest {
    #[schema(value_type = i64)]
    pub program_id: Value,
}

/// The enrollment lists' filters.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EnrollmentFilter {
    /// `true`: leave out enrollments in B2B (contract) runs.
    pub exclude_b2b: Option<bool>,
    /// Organization ids (comma-separated, or repeated): only enrollments in runs of these
    /// organizations' contracts.
    pub org_id: Option<String>,
}

/// What the verified-program enrollment answers.
#[derive(IntoResponses)]
pub enum VerifiedAnswers {
    /// Enrolled in the run as verified, at no cost: the v2 enrollment.
    #[response(status = 201)]
    Enrolled(CourseRunEnrollmentV2<'static>),
    /// The learner already has what the programs entitle them to.
    #[response(status = 204)]
    NothingToDo,
}

/// What `POST /api/v3/program_enrollments/` answers.
#[derive(IntoResponses)]
pub enum ProgramEnrollAnswers {
    /// Already enrolled: the enrollment.
    #[response(status = 200)]
    Existing(ProgramEnrollmentV3<'static>),
    /// Enrolled now.
    #[response(status = 201)]
    Created(ProgramEnrollmentV3<'static>),
}

/// An Open edX webhook's body: the learner's email and the run's courseware id.
#[derive(ToSchema)]
pub struct WebhookRequest {
    pub email: String,
    /// The run's courseware id (`course-v1:…`).
    pub course_id: String,
    /// The learner's role in the run (enrollment webhook; not used).
    pub role: Option<String>,
}

/// A webhook's refusal: the original's `{"error": "…"}`.
#[derive(Serialize, ToSchema)]
pub struct WebhookError {
    pub error: String,
}

/// An enrollment the edX webhook recorded.
#[derive(Serialize, ToSchema)]
pub struct WebhookEnrollment {
    /// `Enrollment successful`.
    pub message: &'static str,
    pub enrollment_id: i64,
    pub active: bool,
}

/// The grade the certificate webhook pulled from edX and stored.
#[derive(Serialize, ToSchema)]
pub struct WebhookGrade {
    /// `Grade stored`.
    pub message: &'static str,
    /// The grade as a percentage (a decimal string).
    pub grade: String,
    pub passed: bool,
    /// Whether the stored grade changed.
    pub changed: bool,
    /// The course-run certificate, when the learner has one now.
    pub certificate: Option<EnrollmentCertificate>,
}

/// The refusals of the edX webhooks, each a [`WebhookError`].
#[derive(IntoResponses)]
pub enum WebhookRefusals {
    /// Not JSON, or without `email` and `course_id`.
    #[response(status = 400)]
    BadRequest(WebhookError),
    /// No credentials.
    #[response(status = 401)]
    Unauthorized(WebhookError),
    /// Not a staff service account's bearer token.
    #[response(status = 403)]
    Forbidden(WebhookError),
    /// No such learner or run (or, for a grade, no edX account or no grade yet).
    #[response(status = 404)]
    NotFound(WebhookError),
    /// Open edX failed or answered a grade out of range.
    #[response(status = 502)]
    BadGateway(WebhookError),
}

/// The enroll form's fields.
#[derive(ToSchema)]
pub struct EnrollForm {
    /// The run's id.
    pub run: i64,
}

/// What the enroll form answers: always a redirect.
#[derive(IntoResponses)]
pub enum EnrollFormAnswers {
    /// To the dashboard (enrolled, or already verified), or back to the page it came from
    /// (its `Referer` on this site, else the home page) when refused; a 20-second
    /// `user-message` cookie says what happened (`enrolled`, `enroll-duplicated`,
    /// `enroll-blocked`, `enroll-failed`).
    #[response(status = 302, headers(("Location" = String, description = "Where to go next")))]
    Redirect,
}

/// The enrollment operations.
#[derive(OpenApi)]
#[openapi(
    paths(
        api::list_v1,
        api::create_v1,
        api::detail_v1,
        api::put_v1,
        api::patch_v1,
        api::destroy,
        api::list_v2,
        api::create_v2,
        api::detail_v2,
        api::list_v3,
        api::create_v3,
        api::detail_v3,
        api_programs::programs_v1,
        api_programs::program_v1,
        api_programs::program_delete_v1,
        api_programs::programs_v2,
        api_programs::program_v2,
        api_programs::program_delete_v2,
        api_programs::programs_v3,
        api_programs::program_create_v3,
        api_programs::program_detail_v3,
        api_programs::program_delete_v3,
        api_verified::create,
        webhooks::enrollment,
        webhooks::certificate,
        pages::enroll_form,
    ),
    // The runs' course (the catalog's run shape stops its recursion there).
    components(schemas(WebhookError, V1CourseShape)),
    tags(
        (name = "enrollments", description = "Course-run enrollments"),
        (name = "program_enrollments", description = "Program enrollments"),
        (name = "openedx_webhook", description = "What Open edX tells us (staff service accounts)")
    )
)]
pub struct Doc;

/// [`Doc`] with the paths that serve the same handlers: the unenroll of v2 and v3.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = Doc::openapi();
    alias_methods(
        &mut doc,
        "/api/v1/enrollments/{id}/",
        &["/api/v2/enrollments/{id}/", "/api/v3/enrollments/{id}/"],
        &["delete"],
    );
    doc
}
