//! Learner records over HTTP: the original's JSON (`/api/records/program/{id}/`, `…/share/`,
//! `…/revoke/`, `/api/records/shared/{uuid}/`, `/api/v1/partnerschools/`) and the pages
//! `/records/{program}/` (the learner's record with share controls) and
//! `/records/shared/{uuid}/` (what a share link shows).

use axum::Json;
use axum::extract::{Form, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::api::parse_uuid;
use super::openapi::{
    LearnerRecord, PartnerSchool, PartnerSchoolFilter, RecordCourse, RecordLearner, RecordNode,
    RecordNodeData, RecordProgram, RecordShare, ShareRequest,
};
use super::records::{self, Record};
use crate::catalog::api::{Cache, Req};
use crate::catalog::model::ReqNode;
use crate::enrollment::shapes::grade_percent;
use crate::enrollment::{self, shapes::EnrollmentGrade};
use crate::http::layout::{Meta, page};
use crate::http::openapi::{BadRequest, Forbidden, NotFound, Unauthorized};
use crate::http::page_req::SignedInPage;
use crate::http::session::CurrentUser;
use crate::http::{AppError, PageCtx};
use crate::state::AppState;

fn tree(n: &ReqNode) -> RecordNode {
    RecordNode {
        id: n.id,
        data: RecordNodeData {
            node_type: n.node_type.as_str(),
            operator: n.operator.clone(),
            operator_value: n.operator_value.clone(),
            course: n.course_id,
            program: n.required_program_id,
            title: n.title.clone(),
            elective_flag: n.elective_flag,
        },
        children: n.children.iter().map(tree).collect(),
    }
}

fn school((id, name): &(i64, String)) -> PartnerSchool {
    PartnerSchool {
        id: *id,
        name: name.clone(),
    }
}

/// The record in the original's shape.
pub fn shape(r: &Record) -> LearnerRecord {
    let courses = r
        .courses
        .iter()
        .map(|c| RecordCourse {
            title: c.title.clone(),
            id: c.id,
            readable_id: c.readable_id.clone(),
            reqtype: c.reqtype.clone(),
            grade: c.grade.as_ref().map(EnrollmentGrade::of),
            certificate: enrollment::shapes::certificate(c.certificate.as_deref(), false),
        })
        .collect();
    LearnerRecord {
        user: RecordLearner {
            name: r.learner.name.clone(),
            email: r.learner.email.clone(),
            username: r.edx_username.clone(),
        },
        program: RecordProgram {
            title: r.title.clone(),
            readable_id: r.readable_id.clone(),
            courses,
            requirements: r.root.as_ref().map(tree),
        },
        sharing: r
            .shares
            .iter()
            .map(|(uuid, school, active)| RecordShare {
                share_uuid: uuid.clone(),
                partner_school: *school,
                is_active: *active,
            })
            .collect(),
        partner_schools: r.partner_schools.iter().map(school).collect(),
    }
}

fn program_id(s: &str) -> Result<i64, AppError> {
    crate::http::extract::path_id(s)
}

/// What the learner's own record endpoints start from: the signed-in learner (403 without),
/// the program in the path (404 unless a number) and the catalog.
pub struct OwnRecord {
    user_id: i64,
    program: i64,
    req: Req,
}

impl FromRequestParts<AppState> for OwnRecord {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let CurrentUser(u) = CurrentUser::from_request_parts(parts, state).await?;
        let Path(id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::not_found())?;
        let cache = Cache::from_request_parts(parts, state)
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
        Ok(OwnRecord {
            user_id: u.id,
            program: program_id(&id)?,
            req: Req::load(state, &cache).await?,
        })
    }
}

impl OwnRecord {
    /// The record as every record endpoint answers it.
    async fn answer(&self, state: &AppState) -> Result<Json<LearnerRecord>, AppError> {
        let r = records::record(&state.db, &self.req.cat, self.user_id, self.program, self.req.now).await?;
        Ok(Json(shape(&r)))
    }
}

/// GET `/api/records/program/{id}/`.
#[utoipa::path(get, path = "/api/records/program/{id}/", tag = "records", operation_id = "learner_record_retrieve_by_id",
    description = "The signed-in learner's record of the program.",
    params(("id" = i64, Path, description = "The program")),
    responses((status = 200, description = "The record", body = LearnerRecord), Unauthorized, Forbidden, NotFound))]
pub async fn get_record(
    State(state): State<AppState>,
    r: OwnRecord,
) -> Result<Json<LearnerRecord>, AppError> {
    r.answer(&state).await
}

#[derive(Deserialize, Default)]
pub struct ShareBody {
    #[serde(rename = "partnerSchool", default)]
    partner_school: Option<i64>,
}

/// POST `/api/records/program/{id}/share/` `{partnerSchool: id|null}`.
#[utoipa::path(post, path = "/api/records/program/{id}/share/", tag = "records", operation_id = "api_records_program_share_create",
    description = "Shares the record: sends it to a partner school, or (no school) makes a public link.",
    params(("id" = i64, Path, description = "The program")),
    request_body = ShareRequest,
    responses((status = 200, description = "The record with its shares", body = LearnerRecord),
        BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn share(
    State(state): State<AppState>,
    r: OwnRecord,
    crate::http::json::ApiJson(body): crate::http::json::ApiJson<ShareBody>,
) -> Result<Json<LearnerRecord>, AppError> {
    records::share(&state, &r.req.cat, r.user_id, r.program, body.partner_school).await?;
    r.answer(&state).await
}

/// POST `/api/records/program/{id}/revoke/`: deactivates the public links.
#[utoipa::path(post, path = "/api/records/program/{id}/revoke/", tag = "records", operation_id = "api_records_program_revoke_create",
    params(("id" = i64, Path, description = "The program")),
    responses((status = 200, description = "The record with its shares", body = LearnerRecord),
        Unauthorized, Forbidden, NotFound))]
pub async fn revoke(State(state): State<AppState>, r: OwnRecord) -> Result<Json<LearnerRecord>, AppError> {
    records::revoke_public(&state, r.user_id, r.program).await?;
    r.answer(&state).await
}

/// GET `/api/records/shared/{uuid}/` (anonymous; 404 when the share is inactive).
#[utoipa::path(get, path = "/api/records/shared/{uuid}/", tag = "records", operation_id = "learner_record_retrieve_by_uuid",
    params(("uuid" = String, Path, description = "The share's uuid")),
    responses((status = 200, description = "The shared record", body = LearnerRecord), NotFound))]
pub async fn get_shared(
    State(state): State<AppState>,
    cache: Cache,
    Path(uuid): Path<String>,
) -> Result<Json<LearnerRecord>, AppError> {
    let req = Req::load(&state, &cache).await?;
    let r = records::shared(&state.db, &req.cat, parse_uuid(&uuid)?, req.now).await?;
    Ok(Json(shape(&r)))
}

#[derive(Deserialize, Default)]
pub struct SchoolFilter {
    #[serde(default)]
    program: Option<String>,
}

/// GET `/api/v1/partnerschools/` (`program` filter accepted: every active school is offered
/// for every program, as the original with program-specific schools off).
#[utoipa::path(get, path = "/api/v1/partnerschools/", tag = "records", operation_id = "partnerschools_list",
    params(PartnerSchoolFilter),
    responses((status = 200, description = "The active partner schools", body = Vec<PartnerSchool>),
        BadRequest, Unauthorized, Forbidden))]
pub async fn partner_schools(
    State(state): State<AppState>,
    CurrentUser(_): CurrentUser,
    Query(f): Query<SchoolFilter>,
) -> Result<Json<Vec<PartnerSchool>>, AppError> {
    if let Some(p) = f.program.as_deref().filter(|p| !p.is_empty()) {
        p.parse::<i64>()
            .map_err(|_| AppError::field("program", "Enter a program id."))?;
    }
    let schools = records::partner_schools(&state.db).await?;
    Ok(Json(schools.iter().map(school).collect()))
}

fn record_body(ctx: &PageCtx, r: &Record, own: bool) -> Markup {
    html! {
        div class="container" {
            h1 { "Program record: " (r.title) }
            p { (r.learner.name) @if own { " · " (r.learner.email) } }
            div class="table-wrap" { table {
                thead { tr { th scope="col" { "Course" } th scope="col" { "Requirement" } th scope="col" { "Grade" } th scope="col" { "Certificate" } } }
                tbody { @for c in &r.courses { tr {
                    td { (c.title) br; span class="muted" { (c.readable_id) } }
                    td { (c.reqtype) }
                    td { @match &c.grade { Some((g, l, ..)) => { (grade_percent(*g)) "%" @if let Some(l) = l { " (" (l) ")" } } None => { "—" } } }
                    td { @match &c.certificate {
                        Some(u) => { a href=(ctx.prefix.url(&format!("/certificate/{u}/"))) { "View certificate" } }
                        None => { "Not earned yet" }
                    } }
                } } }
            } }
        }
    }
}

/// GET `/records/{program}/`: the learner's record with a public link to share and revoke, and
/// sharing with partner schools.
pub async fn page_record(
    cache: Cache,
    sip: SignedInPage,
    Path(id): Path<String>,
) -> Result<Markup, AppError> {
    let req = Req::load(&sip.state, &cache).await?;
    let program = program_id(&id)?;
    let r = records::record(&sip.state.db, &req.cat, sip.user.id, program, req.now).await?;
    let public = r.shares.iter().find(|s| s.1.is_none()).map(|s| {
        sip.state
            .config
            .absolute_url(&format!("/records/shared/{}/", s.0))
    });
    let action = |what: &str| sip.ctx.prefix.url(&format!("/records/{program}/{what}/"));
    Ok(page(
        &sip.ctx,
        &Meta {
            title: &r.title,
            noindex: true,
            ..Meta::default()
        },
        html! {
            (record_body(&sip.ctx, &r, true))
            div class="container" {
                h2 { "Share your record" }
                @if let Some(link) = &public {
                    p { "Anyone with this link can see your record: " a class="share-link" href=(link) { (link) } }
                    form method="post" action=(action("revoke")) { (sip.ctx.csrf_field()) button type="submit" class="secondary" { "Revoke the link" } }
                } @else {
                    form method="post" action=(action("share")) { (sip.ctx.csrf_field()) button type="submit" { "Create a share link" } }
                }
                @if !r.partner_schools.is_empty() {
                    form method="post" action=(action("share")) {
                        (sip.ctx.csrf_field())
                        label for="school" { "Send to a partner school" }
                        select id="school" name="partner_school" {
                            @for (id, name) in &r.partner_schools { option value=(id) { (name) } }
                        }
                        button type="submit" { "Send" }
                    }
                }
            }
        },
    ))
}

#[derive(Deserialize, Default)]
pub struct ShareForm {
    #[serde(default)]
    partner_school: String,
}

/// POST `/records/{program}/share/` (the page's forms).
pub async fn page_share(
    cache: Cache,
    r: SignedInPage,
    Path(id): Path<String>,
    Form(f): Form<ShareForm>,
) -> Result<Response, AppError> {
    let req = Req::load(&r.state, &cache).await?;
    let program = program_id(&id)?;
    let school = match f.partner_school.trim() {
        "" => None,
        s => Some(
            s.parse()
                .map_err(|_| AppError::field("partner_school", "Choose a partner school."))?,
        ),
    };
    records::share(&r.state, &req.cat, r.user.id, program, school).await?;
    Ok(Redirect::to(&r.ctx.prefix.url(&format!("/records/{program}/"))).into_response())
}

/// POST `/records/{program}/revoke/`.
pub async fn page_revoke(r: SignedInPage, Path(id): Path<String>) -> Result<Response, AppError> {
    let program = program_id(&id)?;
    records::revoke_public(&r.state, r.user.id, program).await?;
    Ok(Redirect::to(&r.ctx.prefix.url(&format!("/records/{program}/"))).into_response())
}

/// GET `/records/shared/{uuid}/`.
pub async fn page_shared(
    State(state): State<AppState>,
    cache: Cache,
    ctx: PageCtx,
    Path(uuid): Path<String>,
) -> Result<Markup, AppError> {
    let req = Req::load(&state, &cache).await?;
    let r = records::shared(&state.db, &req.cat, parse_uuid(&uuid)?, req.now).await?;
    Ok(page(
        &ctx,
        &Meta {
            title: &r.title,
            noindex: true,
            ..Meta::default()
        },
        record_body(&ctx, &r, false),
    ))
}
