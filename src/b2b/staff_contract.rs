//! One contract's staff page `/staff/b2b/contracts/{id}/`: its terms, programs (add one →
//! provisioning), contract runs with their Studio re-run state, enrollment codes with their
//! assignments, attached learners, the code refresh, and the JSON export.

use axum::Json;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use super::admin_edit::{self, ContractEdit};
use super::api::Cache;
use super::staff::{StaffWrite, contract_fields, contract_page};
use super::{admin, admin_io};
use crate::http::AppError;
use crate::http::auth::StaffAccess;
use crate::http::staff_page::StaffPage;
use crate::staff::pages::staff_page;
use crate::state::AppState;

/// GET `/staff/b2b/contracts/{id}/`.
pub async fn contract(
    axum::Extension(cache): Cache,
    page: StaffPage,
    Path(id): Path<i64>,
) -> Result<Markup, AppError> {
    let d = admin_io::contract_detail(&page.state, id).await?;
    let sheet = page
        .state
        .db
        .read(move |c| super::sheets::sheet_of(c, id))
        .await?;
    let (cat, _) = cache.get(&page.state.db).await?;
    let k = &d.contract;
    let base = format!("/staff/b2b/contracts/{id}/");
    Ok(staff_page(
        &page.ctx,
        &k.name,
        html! {
            p { a href=(page.ctx.prefix.url(&format!("/staff/b2b/organizations/{}/", d.org.id))) { (d.org.name) } }
            dl class="b2b-terms" {
                dt { "Membership" } dd { (k.membership_type.as_str()) }
                dt { "Dates" } dd { (k.contract_start.map(|d| d.to_string()).unwrap_or_else(|| "—".into())) " to " (k.contract_end.map(|d| d.to_string()).unwrap_or_else(|| "—".into())) }
                dt { "Seats" } dd { (d.attached.len()) " attached" @if let Some(m) = k.seat_limit() { " of " (m) } @else { " (unlimited)" } }
                dt { "Price" } dd { @if k.is_free() { "free" } @else { "$" (crate::money::cents_string(k.price())) } }
                dt { "Variants" } dd { (admin_edit::variants_text(&k.variant_options).replace('\n', "; ")) }
                dt { "Active" } dd { @if k.active { "yes" } @else { "no" } }
                dt { "Slug" } dd { code { (k.slug) } }
            }
            p { a href=(page.ctx.prefix.url(&format!("{base}export/"))) { "Export as JSON" } }
            details class="b2b-edit" {
                summary { "Edit the terms" }
                form method="post" action=(page.ctx.prefix.url(&format!("{base}terms/"))) {
                    (page.ctx.csrf_field())
                    (contract_fields(Some(k)))
                    div class="field" {
                        label for="variant_options" { "Variants (one a line: language, length, industry; the first is the default)" }
                        textarea id="variant_options" name="variant_options" rows="3" { (admin_edit::variants_text(&k.variant_options)) }
                    }
                    div class="field" {
                        label { input type="checkbox" name="active" value="on" checked[k.active]; " Active" }
                    }
                    p class="muted" { "Changing seats, price, dates or membership brings the codes up to date." }
                    button type="submit" { "Save terms" }
                }
            }
            h2 { "Programs" }
            @if d.programs.is_empty() { p { "None yet." } }
            ul {
                @for p in &d.programs {
                    li { @if let Some(pr) = cat.program(*p) { (pr.title) " " code { (pr.readable_id) } } @else { "program " (p) } }
                }
            }
            form method="post" action=(page.ctx.prefix.url(&format!("{base}programs/"))) {
                (page.ctx.csrf_field())
                label for="program" { "Add a program (id or readable id)" }
                input id="program" name="program" type="text" required;
                button type="submit" { "Add and provision" }
            }
            h2 { "Contract runs" }
            @if d.runs.is_empty() { p { "None yet: add a program whose courses have source runs." } }
            @else {
                div class="table-wrap" { table class="b2b-runs" {
                    thead { tr { th scope="col" { "Run" } th scope="col" { "Title" } th scope="col" { "Studio re-run" } } }
                    tbody { @for r in &d.runs { tr { td { code { (r.courseware_id) } } td { (r.title) } td { span class="tag" { (r.status) } } } } }
                } }
                p class="muted" { "Re-runs go through the outbox (5 attempts, 5 minutes × attempt apart); failed ones can be retried from " a href=(page.ctx.prefix.url("/staff/outbox/")) { "the outbox" } "." }
            }
            h2 { "Enrollment codes (" (d.codes.len()) ")" }
            form method="post" action=(page.ctx.prefix.url(&format!("{base}codes/"))) {
                (page.ctx.csrf_field())
                input type="hidden" name="action" value="refresh";
                button type="submit" class="secondary" { "Bring codes up to date" }
            }
            @if !d.codes.is_empty() {
                div class="table-wrap" { table class="b2b-codes" {
                    thead { tr { th scope="col" { "Code" } th scope="col" { "Use" } th scope="col" { "Status" } } }
                    tbody {
                        @for code in d.codes.iter().take(200) {
                            tr {
                                td { code { (code.code) } }
                                td { @if code.unlimited { "unlimited" } @else { "one-time" } }
                                td {
                                    @if code.claimed { "redeemed" } @else if code.assigned { "assigned" } @else if code.used_in_order { "used at checkout" } @else { "unassigned" }
                                    @if let Some(a) = d.assignments.iter().find(|a| a.discount_id == code.discount_id) {
                                        @if let Some(e) = &a.assigned_email { " — " (e) }
                                        @if let Some(s) = &a.email_status { " (" (s) ")" }
                                    }
                                }
                            }
                        }
                    }
                } }
            }
            @if k.membership_type == super::model::MembershipType::Code {
                h2 { "Enrollment-code Google Sheet" }
                @if let Some(s) = &sheet {
                    p id="code-sheet" {
                        "Spreadsheet " code { (s.spreadsheet) } ", tab " code { (s.tab) } ": "
                        @match &s.refreshed_on { Some(on) => { (s.rows_written) " codes written " (on) }, None => "not written yet" }
                        @if !s.last_error.is_empty() { br; span class="notice warn" { "Last refresh failed: " (s.last_error) } }
                    }
                }
                p class="muted" { "The update-b2b-enrollment-code-sheets job rewrites it hourly: a header, then one row per code. Empty removes it." }
                form method="post" action=(page.ctx.prefix.url(&format!("{base}sheet/"))) {
                    (page.ctx.csrf_field())
                    label for="google_sheet_target" { "Google Sheets URL or spreadsheet id" }
                    input id="google_sheet_target" name="google_sheet_target" type="text" value=(sheet.as_ref().map(|s| s.spreadsheet.as_str()).unwrap_or(""));
                    label for="google_sheet_target_tab" { "Tab" }
                    input id="google_sheet_target_tab" name="google_sheet_target_tab" type="text" value=(sheet.as_ref().map_or("Sheet1", |s| s.tab.as_str()));
                    button type="submit" { "Save sheet" }
                }
            }
            h2 { "Attached learners (" (d.attached.len()) ")" }
            ul { @for (_, email, name, on) in &d.attached { li { (email) @if !name.is_empty() { " (" (name) ")" } " — " (on) } } }
        },
    ))
}

/// The contract page's small forms: add a program, or `action=refresh` the codes.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ContractForm {
    program: String,
    action: String,
}

/// POST `/staff/b2b/contracts/{id}/programs/`.
pub async fn add_program(
    w: StaffWrite,
    Path(id): Path<i64>,
    Form(f): Form<ContractForm>,
) -> Result<Response, AppError> {
    let r = admin::add_program(&w.state, id, f.program, w.actor.clone()).await;
    w.then(r, |_| contract_page(id))
}

/// POST `/staff/b2b/contracts/{id}/codes/` `action=refresh`.
pub async fn codes(
    w: StaffWrite,
    Path(id): Path<i64>,
    Form(f): Form<ContractForm>,
) -> Result<Response, AppError> {
    if f.action != "refresh" {
        return Err(AppError::BadRequest("action: choose refresh.".into()));
    }
    let r = admin::refresh_codes(&w.state, id, w.actor.clone()).await;
    w.then(r, |_| contract_page(id))
}

/// POST `/staff/b2b/contracts/{id}/terms/`: the edited terms (codes follow).
pub async fn terms(
    w: StaffWrite,
    Path(id): Path<i64>,
    Form(f): Form<ContractEdit>,
) -> Result<Response, AppError> {
    let r = admin_edit::update_contract(&w.state, id, f, w.actor.clone()).await;
    w.then(r, |_| contract_page(id))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct SheetForm {
    google_sheet_target: String,
    google_sheet_target_tab: String,
}

/// POST `/staff/b2b/contracts/{id}/sheet/`: where the contract's codes are written.
pub async fn sheet(
    w: StaffWrite,
    Path(id): Path<i64>,
    Form(f): Form<SheetForm>,
) -> Result<Response, AppError> {
    let r = super::sheets::set_sheet(
        &w.state,
        id,
        f.google_sheet_target,
        f.google_sheet_target_tab,
        w.actor.clone(),
    )
    .await;
    w.then(r, |_| contract_page(id))
}

/// GET `/staff/b2b/contracts/{id}/export/`.
pub async fn export(
    State(state): State<AppState>,
    s: StaffAccess,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    Ok(Json(admin_io::export(&state, id, s.actor).await?).into_response())
}
