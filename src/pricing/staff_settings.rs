//! Flexible-pricing settings in the staff console: income thresholds (table and CSV upload
//! that shows the changes before applying them), exchange rates (the table and when the job
//! last replaced it), the request forms' text blocks and related programs.

use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use crate::commerce::refunds::api::page_error;
use crate::http::auth::StaffAccess;
use crate::http::error::AppError;
use crate::http::page::PageCtx;
use crate::http::staff_page::StaffPage;
use crate::pricing::api::parse_courseware_filter;
use crate::pricing::store::FormTexts;
use crate::pricing::{form_service, rates, related};
use crate::staff::pages::staff_page;
use crate::state::AppState;

fn csv_form(ctx: &PageCtx, csv: &str) -> Markup {
    html! {
        form method="post" action=(ctx.prefix.url("/staff/flexible-pricing/thresholds/")) class="fp-csv" {
            (ctx.csrf_field())
            label for="fp-csv" { "CSV with a header row " code { "country,income" } }
            textarea id="fp-csv" name="csv" rows="8" required { (csv) }
            button type="submit" name="action" value="preview" { "Preview changes" }
            button type="submit" name="action" value="apply" { "Apply" }
        }
    }
}

async fn thresholds_body(
    state: &AppState,
    ctx: &PageCtx,
    csv: &str,
    report: Option<Markup>,
) -> Result<Markup, AppError> {
    let all = rates::thresholds(state).await?;
    Ok(staff_page(
        ctx,
        "Income thresholds",
        html! {
            p { a href=(ctx.prefix.url("/staff/flexible-pricing/")) { "Back to requests" } }
            @if let Some(r) = report { (r) }
            (csv_form(ctx, csv))
            p { (all.len()) " countries (others use 75,000)." }
            table class="fp-thresholds" {
                thead { tr { th scope="col" { "Country" } th scope="col" { "Income threshold (USD)" } } }
                tbody { @for (_, c, t) in &all { tr { td { (c) } td { (t.normalize()) } } } }
            }
        },
    ))
}

/// GET `/staff/flexible-pricing/thresholds/`.
pub async fn thresholds(r: StaffPage) -> Result<Markup, AppError> {
    thresholds_body(&r.state, &r.ctx, "", None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CsvForm {
    csv: String,
    action: String,
}

/// POST `/staff/flexible-pricing/thresholds/`: `action=preview` shows the changes, `apply`
/// stores them (audited).
pub async fn thresholds_csv(r: StaffPage, Form(f): Form<CsvForm>) -> Result<Markup, AppError> {
    r.id.require_csrf()?;
    let dry_run = f.action != "apply";
    let changes = rates::load_thresholds(&r.state, r.access.actor, f.csv.clone(), dry_run)
        .await
        .map_err(|e| page_error(e.into()))?;
    let report = html! {
        section class="fp-csv-report" {
            h2 { @if dry_run { "Changes this CSV would make" } @else { "Changes applied" } }
            @if changes.is_empty() { p { "No changes." } }
            ul {
                @for ch in &changes {
                    li { (ch.country) ": " @match ch.before { Some(b) => { (b.normalize()) }, None => { "(none)" } } " → " (ch.after.normalize()) }
                }
            }
        }
    };
    thresholds_body(&r.state, &r.ctx, if dry_run { &f.csv } else { "" }, Some(report)).await
}

/// GET `/staff/flexible-pricing/exchange-rates/`.
pub async fn exchange_rates(page: StaffPage) -> Result<Markup, AppError> {
    let all = rates::rates(&page.state).await?;
    let job = format!("/staff/jobs/{}/", rates::JOB);
    Ok(staff_page(
        &page.ctx,
        "Exchange rates",
        html! {
            p { a href=(page.ctx.prefix.url("/staff/flexible-pricing/")) { "Back to requests" } }
            p { "Replaced daily at 03:00 by the job " a href=(page.ctx.prefix.url(&job)) { code { (rates::JOB) } } " (run it now from its page)." }
            table class="fp-rates" {
                thead { tr { th scope="col" { "Currency" } th scope="col" { "Description" } th scope="col" { "Per US dollar" } } }
                tbody { @for (_, (code, d, r)) in &all { tr { td { (code) } td { (d.as_deref().unwrap_or("")) } td { (r.normalize()) } } } }
            }
        },
    ))
}

/// GET `/staff/flexible-pricing/forms/`: every form, a form to add or edit one, and the
/// related programs with a form to relate two more.
pub async fn forms(State(state): State<AppState>, _s: StaffAccess, ctx: PageCtx) -> Result<Markup, AppError> {
    let all = form_service::forms(&state).await?;
    let related = related::relations(&state).await?;
    Ok(staff_page(
        &ctx,
        "Request forms",
        html! {
            p { a href=(ctx.prefix.url("/staff/flexible-pricing/")) { "Back to requests" } }
            ul {
                @for (_, w, t, live) in &all {
                    @let key = format!("{}:{}", w["type"].as_str().unwrap_or(""), w["id"]);
                    li {
                        a href=(ctx.prefix.url(&format!("/staff/flexible-pricing/forms/{key}/"))) { (t.title) " — " (w["title"].as_str().unwrap_or("")) }
                        @if !live { " (not live)" }
                    }
                }
            }
            form method="get" action=(ctx.prefix.url("/staff/flexible-pricing/forms/new/")) {
                label { "New form for (course:ID or program:ID) " input type="text" name="courseware" required; }
                button type="submit" { "Edit" }
            }
            section aria-labelledby="fp-related" {
                h2 id="fp-related" { "Related programs" }
                p { "One approved request covers a program and every program related to it." }
                ul class="fp-related" {
                    @for r in &related {
                        li { (r.first.1) " (" (r.first.0) ") ↔ " (r.second.1) " (" (r.second.0) ")" }
                    }
                }
                form method="post" action=(ctx.prefix.url("/staff/flexible-pricing/related-programs/")) class="fp-relate" {
                    (ctx.csrf_field())
                    label { "Program (readable id) " input type="text" name="first_program" required; }
                    label { "Related program (readable id) " input type="text" name="second_program" required; }
                    button type="submit" { "Relate" }
                }
            }
        },
    ))
}

#[derive(Deserialize)]
pub struct NewForm {
    #[serde(default)]
    courseware: String,
}

/// GET `/staff/flexible-pricing/forms/new/?courseware=course:ID`.
pub async fn new_form(
    _s: StaffAccess,
    ctx: PageCtx,
    axum::extract::Query(q): axum::extract::Query<NewForm>,
) -> Result<Response, AppError> {
    let key = q.courseware.trim().to_owned();
    parse_courseware_filter(&key).map_err(page_error)?;
    Ok(Redirect::to(&ctx.prefix.url(&format!("/staff/flexible-pricing/forms/{key}/"))).into_response())
}

/// GET `/staff/flexible-pricing/forms/{courseware}/`: the text blocks of one form.
pub async fn edit_form(r: StaffPage, Path(key): Path<String>) -> Result<Markup, AppError> {
    let w = parse_courseware_filter(&key).map_err(page_error)?;
    let (t, live) = form_service::form(&r.state, w)
        .await?
        .map(|(_, t, l)| (t, l))
        .unwrap_or_else(|| {
            (
                FormTexts {
                    title: "Financial assistance".into(),
                    ..FormTexts::default()
                },
                true,
            )
        });
    let area = |name: &str, label: &str, v: &str| {
        html! { label { (label) textarea name=(name) rows="4" { (v) } } }
    };
    Ok(staff_page(
        &r.ctx,
        &format!("Request form for {key}"),
        html! {
            form method="post" action=(r.ctx.prefix.url(&format!("/staff/flexible-pricing/forms/{key}/"))) class="fp-form-editor" {
                (r.ctx.csrf_field())
                label { "Title " input type="text" name="title" value=(t.title) required; }
                (area("intro", "Intro", &t.intro))
                (area("guest_text", "Shown to guests", &t.guest_text))
                (area("processing_text", "Processing (pending documents)", &t.processing_text))
                (area("approved_text", "Approved", &t.approved_text))
                (area("approved_no_discount_text", "Approved, no discount", &t.approved_no_discount_text))
                (area("denied_text", "Denied", &t.denied_text))
                label { input type="checkbox" name="live" value="on" checked[live]; " Live" }
                button type="submit" { "Save" }
            }
        },
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FormEdit {
    title: String,
    intro: String,
    guest_text: String,
    processing_text: String,
    approved_text: String,
    approved_no_discount_text: String,
    denied_text: String,
    live: Option<String>,
}

/// POST `/staff/flexible-pricing/forms/{courseware}/` (audited).
pub async fn save_form(
    r: StaffPage,
    Path(key): Path<String>,
    Form(f): Form<FormEdit>,
) -> Result<Response, AppError> {
    r.id.require_csrf()?;
    let w = parse_courseware_filter(&key).map_err(page_error)?;
    let texts = FormTexts {
        title: f.title.trim().to_owned(),
        intro: f.intro,
        guest_text: f.guest_text,
        processing_text: f.processing_text,
        approved_text: f.approved_text,
        approved_no_discount_text: f.approved_no_discount_text,
        denied_text: f.denied_text,
    };
    form_service::save(&r.state, r.access.actor, w, texts, f.live.is_some())
        .await
        .map_err(|e| page_error(e.into()))?;
    Ok(Redirect::to(&r.ctx.prefix.url("/staff/flexible-pricing/forms/")).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RelateForm {
    first_program: String,
    second_program: String,
}

/// POST `/staff/flexible-pricing/related-programs/`: relates two programs (audited).
pub async fn relate_programs(r: StaffPage, Form(f): Form<RelateForm>) -> Result<Response, AppError> {
    r.id.require_csrf()?;
    related::relate(&r.state, r.access.actor, f.first_program, f.second_program)
        .await
        .map_err(|e| page_error(e.into()))?;
    Ok(Redirect::to(&r.ctx.prefix.url("/staff/flexible-pricing/forms/")).into_response())
}
