//! The staff certificates page (`/staff/certificates/`): find a learner by email, see each
//! enrollment's grade and certificate, override a grade (0–1, letter A–F, passed only when
//! forced) and revoke or un-revoke a certificate with a reason — both audited by
//! [`super::manage`]. Also the certificate page preview with a sample learner.

use axum::extract::{Form, Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::manage::{self, Staff};
use super::model::{GradeOverride, Kind};
use super::pages::{Printed, render};
use super::views;
use crate::catalog::api::{Cache, Req};
use crate::http::auth::StaffAccess;
use crate::http::staff_page::StaffPage;
use crate::http::ui::hidden_inputs;
use crate::http::{AppError, PageCtx};
use crate::staff::pages::staff_page;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Find {
    email: String,
    done: String,
}

/// The audit trail's actor for a staff request.
pub(super) fn staff(s: &StaffAccess) -> Staff {
    Staff {
        user_id: s.user_id,
        label: s.actor.clone(),
    }
}

/// GET `/staff/certificates/?email=…`.
pub async fn index(cache: Cache, page: StaffPage, Query(f): Query<Find>) -> Result<Markup, AppError> {
    let email = f.email.trim().to_owned();
    let found = if email.is_empty() {
        None
    } else {
        let req = Req::load(&page.state, &cache).await?;
        views::for_staff(&page.state.db, &req.cat, email.clone()).await?
    };
    let here = page.ctx.prefix.url("/staff/certificates/");
    Ok(staff_page(
        &page.ctx,
        "Certificates and grades",
        html! {
            @if !f.done.is_empty() { p class="notice" role="status" { (f.done) } }
            p { a href=(page.ctx.prefix.url("/staff/certificates/partner-schools/")) { "Partner schools" } }
            form method="get" action=(here) {
                label for="email" { "Learner's email" }
                input id="email" type="email" name="email" value=(email) required;
                button type="submit" { "Find" }
            }
            @if !email.is_empty() && found.is_none() { p { "No learner has that email." } }
            @if let Some(v) = &found {
                h2 { (v.learner.name) " — " (v.learner.email) }
                div class="table-wrap" { table {
                    thead { tr { th scope="col" { "Run" } th scope="col" { "Mode" } th scope="col" { "Grade" }
                                 th scope="col" { "Certificate" } th scope="col" { "Override grade" } } }
                    tbody { @for r in &v.runs { tr {
                        td { (r.run) }
                        td { (r.mode) }
                        td { @match &r.grade {
                            Some((g, l, p, admin)) => { (g) " " (l.as_deref().unwrap_or("")) @if *p { " passed" } @if *admin { " (set by staff)" } }
                            None => { "—" }
                        } }
                        td { @match &r.certificate {
                            Some(c) => {
                                a href=(page.ctx.prefix.url(&c.link())) { (c.uuid) }
                                @if c.is_revoked { " " span class="tag" { "revoked" } }
                                (revoke_form(&page.ctx, &email, "course_run", &c.uuid, c.is_revoked))
                            }
                            None => { "—" }
                        } }
                        td { (grade_form(&page.ctx, &email, v.learner.id, r.run_id)) }
                    } } }
                } }
                h2 { "Program certificates" }
                @if v.programs.is_empty() { p { "None." } }
                ul { @for (c, title) in &v.programs { li {
                    (title) ": " a href=(page.ctx.prefix.url(&c.link())) { (c.uuid) }
                    @if c.is_revoked { " " span class="tag" { "revoked" } }
                    (revoke_form(&page.ctx, &email, "program", &c.uuid, c.is_revoked))
                } } }
            }
        },
    ))
}

fn revoke_form(ctx: &PageCtx, email: &str, kind: &str, uuid: &str, revoked: bool) -> Markup {
    let id = format!("reason-{uuid}");
    html! {
        form method="post" class="inline" action=(ctx.prefix.url("/staff/certificates/revoke/")) {
            (ctx.csrf_field())
            (hidden_inputs(&[("email", email), ("kind", kind), ("uuid", uuid), ("revoke", if revoked { "false" } else { "true" })]))
            label for=(id) { "Reason" }
            input id=(id) type="text" name="reason" required maxlength="500";
            button type="submit" { (if revoked { "Un-revoke" } else { "Revoke" }) }
        }
    }
}

fn grade_form(ctx: &PageCtx, email: &str, user: i64, run: i64) -> Markup {
    let p = format!("g-{run}");
    html! {
        form method="post" class="inline" action=(ctx.prefix.url("/staff/certificates/grade/")) {
            (ctx.csrf_field())
            (hidden_inputs(&[("email", email), ("user_id", &user.to_string()), ("run_id", &run.to_string())]))
            label for=(format!("{p}-grade")) { "Grade (0–1)" }
            input id=(format!("{p}-grade")) type="text" name="grade" required inputmode="decimal" size="5";
            label for=(format!("{p}-letter")) { "Letter (A–F)" }
            input id=(format!("{p}-letter")) type="text" name="letter_grade" maxlength="1" size="2";
            label { input type="checkbox" name="force_pass" value="on"; " Mark passed" }
            label for=(format!("{p}-reason")) { "Reason" }
            input id=(format!("{p}-reason")) type="text" name="reason" required maxlength="500";
            button type="submit" { "Override" }
        }
    }
}

/// A redirect after a staff form to `path` with the query `pairs` (the notice in `done`).
pub(super) fn back_to(ctx: &PageCtx, path: &str, pairs: &[(&str, &str)]) -> Response {
    let q: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    Redirect::to(&ctx.prefix.url(&format!("{path}?{q}"))).into_response()
}

fn back(ctx: &PageCtx, email: &str, done: &str) -> Response {
    back_to(ctx, "/staff/certificates/", &[("email", email), ("done", done)])
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RevokeForm {
    email: String,
    kind: String,
    uuid: String,
    revoke: String,
    reason: String,
}

/// POST `/staff/certificates/revoke/`: `kind` (course_run|program), `uuid`, `revoke`
/// (true|false), `reason`.
pub async fn revoke(r: StaffPage, Form(f): Form<RevokeForm>) -> Result<Response, AppError> {
    let kind = match f.kind.as_str() {
        "course_run" => Kind::CourseRun,
        "program" => Kind::Program,
        _ => return Err(AppError::field("kind", "Choose course_run or program.")),
    };
    let revoked = match f.revoke.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(AppError::field("revoke", "Choose true or false.")),
    };
    let uuid =
        super::api::parse_uuid(&f.uuid).map_err(|_| AppError::field("uuid", "Not a certificate id."))?;
    let c = manage::set_revoked(&r.state, kind, uuid, revoked, &f.reason, staff(&r.access)).await?;
    let what = if revoked { "revoked" } else { "un-revoked" };
    Ok(back(&r.ctx, &f.email, &format!("Certificate {} {what}.", c.uuid)))
}

#[derive(Deserialize)]
pub struct GradeForm {
    #[serde(default)]
    email: String,
    user_id: i64,
    run_id: i64,
    #[serde(default)]
    grade: String,
    #[serde(default)]
    letter_grade: String,
    force_pass: Option<String>,
    #[serde(default)]
    reason: String,
}

/// POST `/staff/certificates/grade/`: override a grade, then bring the certificate in line.
pub async fn grade(r: StaffPage, Form(f): Form<GradeForm>) -> Result<Response, AppError> {
    let o = GradeOverride::parse(&f.grade, &f.letter_grade, f.force_pass.is_some())?;
    let outcome =
        manage::override_grade(&r.state, f.user_id, f.run_id, o, &f.reason, staff(&r.access)).await?;
    Ok(back(
        &r.ctx,
        &f.email,
        &format!("Grade saved ({outcome:?} certificate)."),
    ))
}

/// GET `/staff/certificates/preview/{page_id}/`: a certificate page rendered for a sample
/// learner (the original's preview context).
pub async fn preview(cache: Cache, page: StaffPage, Path(page_id): Path<i64>) -> Result<Response, AppError> {
    let req = Req::load(&page.state, &cache).await?;
    let (content, parent) = page
        .state
        .db
        .read(move |c| -> Result<_, crate::db::DbError> {
            let page = crate::cms::store::find_page(c, page_id)?;
            let rev = crate::cms::store::latest_revision(c, page_id)?;
            Ok(page
                .zip(rev)
                .filter(|(p, _)| p.page_type == "certificate")
                .map(|(p, r)| (r.content, p.parent_id)))
        })
        .await?
        .ok_or_else(AppError::not_found)?;
    let parent = parent.and_then(|id| req.cat.page_by_id(id));
    let program = parent
        .and_then(|p| p.program_id)
        .and_then(|id| req.cat.program(id));
    let product = if !content.product_name.trim().is_empty() {
        content.product_name.clone()
    } else {
        parent.map(|p| p.content.title.clone()).unwrap_or_default()
    };
    let signatories = views::signatories(&req.cat, &content);
    let printed = Printed {
        uuid: "fake-uuid",
        learner_name: "Anthony M. Stark",
        product_name: &product,
        issue_date: req.now.format("%B %-d, %Y").to_string(),
        ceus: Some(content.ceus.trim().to_owned()).filter(|c| !c.is_empty()),
        signatories: &signatories,
        url: page.state.config.absolute_url("/certificate/fake-uuid/"),
        program_type: program.map(|p| p.program_type.as_str()),
        owner: false,
    };
    Ok(render(&page.ctx, &printed).into_response())
}
