//! The original's certificate APIs: `GET /api/v2/course_certificates/{uuid}/`,
//! `GET /api/v2/program_certificates/{uuid}/` (anonymous; a revoked certificate is a 404) and
//! the verifiable credential downloads.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::model::Kind;
use super::openapi::{CertificateLearner, CourseRunCertificateShape, ProgramCertificateShape};
use super::views::{self, CertificateView};
use crate::catalog::api::{Cache, Req};
use crate::catalog::shapes::{self, Ctx, fmt_time};
use crate::catalog::snapshot::Catalog;
use crate::clock::from_db;
use crate::http::AppError;
use crate::http::openapi::NotFound;
use crate::state::AppState;

/// A path uuid, or 404 (the original's `<uuid:…>` converter).
pub fn parse_uuid(s: &str) -> Result<String, AppError> {
    uuid::Uuid::parse_str(s)
        .map(|u| u.to_string())
        .map_err(|_| AppError::not_found())
}

fn api_time(s: &str) -> Option<String> {
    fmt_time(from_db(s))
}

/// The `PublicUser` shape.
pub fn public_user(v: &CertificateView) -> CertificateLearner {
    let u = &v.learner;
    CertificateLearner {
        id: u.id,
        username: u.username.clone(),
        name: u.name.clone(),
        created_on: api_time(&u.created_on),
        updated_on: api_time(&u.updated_on),
    }
}

/// The certificate page (`CertificatePageModel`) as pinned by the certificate.
fn certificate_page(cat: &Catalog, cx: &Ctx<'_>, v: &CertificateView) -> Option<Value> {
    let p = v.page.as_ref()?;
    let mut page = crate::cms::api::certificate(cat, cx, p);
    page["meta"]["live"] = json!(true);
    page["meta"]["last_published_at"] = json!(p.last_published_at);
    Some(page)
}

/// The certificate in the original's v2 shape.
pub fn shape(cat: &Catalog, cx: &Ctx<'_>, v: &CertificateView) -> Option<Value> {
    let (user, uuid, issue_date) = (
        public_user(v),
        v.cert.uuid.clone(),
        fmt_time(Some(v.cert.issue_date)),
    );
    let (certificate_page, credential) = (certificate_page(cat, cx, v), v.credential.clone());
    let (is_revoked, revision) = (v.cert.is_revoked, v.cert.revision_id);
    match v.cert.kind {
        Kind::CourseRun => {
            let run = cat.runs.get(*cat.run_by_id.get(&v.cert.object_id)?)?;
            let course = cat.course(run.course_id)?;
            let mut shape = shapes::run(cat, run, cx, true);
            shape.course = Some(shapes::v1_course(cat, course, cx, false, false, false));
            serde_json::to_value(CourseRunCertificateShape {
                user,
                uuid,
                is_revoked,
                issue_date,
                certificate_page,
                verifiable_credential_json: credential,
                certificate_page_revision: revision,
                course_run: shape,
            })
            .ok()
        }
        Kind::Program => {
            let p = cat.program(v.cert.object_id)?;
            serde_json::to_value(ProgramCertificateShape {
                user,
                uuid,
                is_revoked,
                issue_date,
                certificate_page,
                verifiable_credential_json: credential,
                certificate_page_revision: revision,
                program: shapes::v2_program(cat, p, cx),
            })
            .ok()
        }
    }
}

/// The visible certificate with the path's uuid, and the request's catalog: 404 when the uuid
/// is malformed or unknown, or the certificate is revoked or future-dated.
pub async fn visible(
    state: &AppState,
    cache: &Cache,
    kind: Kind,
    uuid: &str,
) -> Result<(Req, CertificateView), AppError> {
    let uuid = parse_uuid(uuid)?;
    let req = Req::load(state, cache).await?;
    let v = views::visible(&state.db, &req.cat, kind, uuid, req.now).await?;
    Ok((req, v))
}

/// The visible certificate of `kind` with the path's uuid, in the original's v2 shape.
async fn certificate(state: AppState, cache: Cache, kind: Kind, uuid: &str) -> Result<Response, AppError> {
    let (req, v) = visible(&state, &cache, kind, uuid).await?;
    let body = shape(&req.cat, &req.cx(), &v).ok_or_else(AppError::not_found)?;
    Ok(axum::Json(body).into_response())
}

/// GET `/api/v2/course_certificates/{uuid}/`.
#[utoipa::path(get, path = "/api/v2/course_certificates/{uuid}/", tag = "certificates",
    operation_id = "course_certificates_retrieve",
    description = "A course-run certificate (anonymous); a revoked one is not found.",
    params(("uuid" = String, Path, description = "The certificate's uuid")),
    responses((status = 200, description = "The certificate", body = CourseRunCertificateShape), NotFound))]
pub async fn course_certificate(
    State(state): State<AppState>,
    cache: Cache,
    Path(uuid): Path<String>,
) -> Result<Response, AppError> {
    certificate(state, cache, Kind::CourseRun, &uuid).await
}

/// GET `/api/v2/program_certificates/{uuid}/`.
#[utoipa::path(get, path = "/api/v2/program_certificates/{uuid}/", tag = "certificates",
    operation_id = "program_certificates_retrieve",
    description = "A program certificate (anonymous); a revoked one is not found.",
    params(("uuid" = String, Path, description = "The certificate's uuid")),
    responses((status = 200, description = "The certificate", body = ProgramCertificateShape), NotFound))]
pub async fn program_certificate(
    State(state): State<AppState>,
    cache: Cache,
    Path(uuid): Path<String>,
) -> Result<Response, AppError> {
    certificate(state, cache, Kind::Program, &uuid).await
}

/// GET `/api/v2/verifiable_course_credential/{id}/download/`.
#[utoipa::path(get, path = "/api/v2/verifiable_course_credential/{id}/download/", tag = "certificates",
    operation_id = "verifiable_course_credential_download_list",
    params(("id" = String, Path, description = "The credential's uuid")),
    responses((status = 200, description = "The signed credential, as an attachment", body = std::collections::BTreeMap<String, Value>), NotFound))]
pub async fn download_course_credential(
    state: State<AppState>,
    id: Path<String>,
) -> Result<Response, AppError> {
    download_credential(state, id).await
}

/// GET `/api/v2/verifiable_program_credential/{id}/download/`.
#[utoipa::path(get, path = "/api/v2/verifiable_program_credential/{id}/download/", tag = "certificates",
    operation_id = "verifiable_program_credential_download_list",
    params(("id" = String, Path, description = "The credential's uuid")),
    responses((status = 200, description = "The signed credential, as an attachment", body = std::collections::BTreeMap<String, Value>), NotFound))]
pub async fn download_program_credential(
    state: State<AppState>,
    id: Path<String>,
) -> Result<Response, AppError> {
    download_credential(state, id).await
}

/// GET `/api/v2/verifiable_{course,program}_credential/{id}/download/`: the signed JSON as an
/// attachment (any credential by its uuid, as the original).
async fn download_credential(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_uuid(&id)?;
    let data = views::credential(&state.db, id.clone()).await?;
    Ok((
        [(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"credential_{id}.json\""),
        )],
        axum::Json(data),
    )
        .into_response())
}
