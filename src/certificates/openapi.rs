//! The certificates module's part of our OpenAPI document (issue 18, see
//! `crate::http::openapi`): the public course-run and program certificates
//! (`/api/v2/course_certificates/`, `/api/v2/program_certificates/`), the verifiable credential
//! downloads, learner program records with their sharing (`/api/records/`) and the partner
//! schools records are sent to (`/api/v1/partnerschools/`).
//!
//! The answers are the typed shapes below (around the catalog's run and program shapes; the
//! embedded certificate page is the CMS module's JSON); the integration tests validate every
//! answer they read against them.

#![allow(
    dead_code,
    reason = "shapes for the document only; the handlers build the same JSON"
)]

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::{api, records_api};
use crate::catalog::shapes::{RunShape, V2ProgramShape};
use crate::enrollment::openapi::{EnrollmentCertificate, EnrollmentGrade};

/// A free-form JSON object.
pub type Object = BTreeMap<String, Value>;

/// The learner a certificate was issued to (the original's `PublicUser`).
#[derive(Serialize, ToSchema)]
pub struct CertificateLearner {
    pub id: i64,
    pub username: String,
    pub name: String,
    pub created_on: Option<String>,
    pub updated_on: Option<String>,
}

/// A course-run certificate: the learner, the run (with its course), the certificate page
/// revision it was issued under and its verifiable credential.
#[derive(Serialize, ToSchema)]
pub struct CourseRunCertificateShape<'a> {
    pub user: CertificateLearner,
    pub uuid: String,
    pub is_revoked: bool,
    pub issue_date: Option<String>,
    /// The certificate page (the CMS pages API's shape of a certificate page) as pinned.
    #[schema(value_type = Option<Object>)]
    pub certificate_page: Option<Value>,
    /// The signed verifiable credential, once issued.
    #[schema(value_type = Option<Object>)]
    pub verifiable_credential_json: Option<Value>,
    pub certificate_page_revision: Option<i64>,
    /// The run in the v2 shape, with `course`.
    pub course_run: RunShape<'a>,
}

/// A program certificate: as a course-run certificate, with the program (v2 shape).
#[derive(Serialize, ToSchema)]
pub struct ProgramCertificateShape<'a> {
    pub user: CertificateLearner,
    pub uuid: String,
    pub is_revoked: bool,
    pub issue_date: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub certificate_page: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub verifiable_credential_json: Option<Value>,
    pub certificate_page_revision: Option<i64>,
    pub program: V2ProgramShape<'a>,
}

/// The learner a record belongs to.
#[derive(Serialize, ToSchema)]
pub struct RecordLearner {
    pub name: String,
    pub email: String,
    /// Their Open edX username, if they have an edX account.
    pub username: Option<String>,
}

/// One course of the program with the learner's grade and certificate.
#[derive(Serialize, ToSchema)]
pub struct RecordCourse {
    pub title: String,
    pub id: i64,
    pub readable_id: String,
    /// The requirement group's title (`Required Courses`, `Elective Courses`).
    pub reqtype: String,
    pub grade: Option<EnrollmentGrade>,
    pub certificate: Option<EnrollmentCertificate>,
}

/// What a requirement node says.
#[derive(Serialize, ToSchema)]
pub struct RecordNodeData {
    /// `program_root`, `operator`, `course` or `program`.
    pub node_type: &'static str,
    /// `all_of` or `min_number_of` (operators).
    pub operator: Option<String>,
    pub operator_value: Option<String>,
    pub course: Option<i64>,
    pub program: Option<i64>,
    pub title: String,
    pub elective_flag: bool,
}

/// A node of the program's requirement tree.
#[derive(Serialize, ToSchema)]
pub struct RecordNode {
    pub id: i64,
    pub data: RecordNodeData,
    #[schema(no_recursion)]
    pub children: Vec<RecordNode>,
}

/// The program of a record.
#[derive(Serialize, ToSchema)]
pub struct RecordProgram {
    pub title: String,
    pub readable_id: String,
    pub courses: Vec<RecordCourse>,
    /// The requirement tree from its root, if the program has one.
    pub requirements: Option<RecordNode>,
}

/// A share of the record: a public link (no school) or sent to a partner school.
#[derive(Serialize, ToSchema)]
pub struct RecordShare {
    pub share_uuid: String,
    pub partner_school: Option<i64>,
    pub is_active: bool,
}

/// A partner school a record can be sent to.
#[derive(Serialize, ToSchema)]
pub struct PartnerSchool {
    pub id: i64,
    pub name: String,
}

/// A learner's program record.
#[derive(Serialize, ToSchema)]
pub struct LearnerRecord {
    pub user: RecordLearner,
    pub program: RecordProgram,
    pub sharing: Vec<RecordShare>,
    pub partner_schools: Vec<PartnerSchool>,
}

/// `POST /api/records/program/{id}/share/`: a partner school to send the record to, or none
/// for a public link.
#[derive(ToSchema)]
pub struct ShareRequest {
    #[schema(rename = "partnerSchool")]
    pub partner_school: Option<i64>,
}

/// The partner schools' filter.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PartnerSchoolFilter {
    /// A program id (every active school is offered for every program).
    pub program: Option<i64>,
}

/// The certificate operations.
#[derive(OpenApi)]
#[openapi(
    paths(
        api::course_certificate,
        api::program_certificate,
        api::download_course_credential,
        api::download_program_credential,
        records_api::get_record,
        records_api::share,
        records_api::revoke,
        records_api::get_shared,
        records_api::partner_schools,
    ),
    tags(
        (name = "certificates", description = "Course-run and program certificates, verifiable credentials"),
        (name = "records", description = "Learner program records and their sharing")
    )
)]
pub struct Doc;
