//! `/staff/enrollments/import/`: bulk enroll / unenroll from CSV ([`super::bulk`]) for staff,
//! without JavaScript. The form (a textarea or a file upload, multipart) posts to the same
//! path for a dry run: a table of every row with what would happen, then an "Apply N rows"
//! form carrying the CSV in a hidden field to `/staff/enrollments/import/apply/`, which
//! applies the good rows as the signed-in staff member and shows what happened per row.

use axum::extract::Multipart;
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::{Markup, html};
use serde::Deserialize;

use super::bulk::{self, Planned};
use super::model::Actor;
use crate::http::AppError;
use crate::http::page::PageCtx;
use crate::http::staff_page::StaffPage;
use crate::staff::pages::staff_page;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/enrollments/import/", get(page).post(dry_run))
        .route("/staff/enrollments/import/apply/", post(apply))
}

const TITLE: &str = "Import enrollments";

fn form(ctx: &PageCtx, csv: &str) -> Markup {
    let p = &ctx.prefix;
    html! {
        p class="muted" {
            "One row per line: " code { "email,run[,mode]" } ". The run is a courseware id; the mode is "
            code { "audit" } " (default) or " code { "verified" } ". Write the run as "
            code { "-course-v1:…" } " to unenroll (no mode then). A header row " code { "email,run,mode" }
            " is optional. The dry run changes nothing."
        }
        form method="post" action=(p.url("/staff/enrollments/import/")) enctype="multipart/form-data" {
            (ctx.csrf_field())
            label for="csv" { "CSV rows" }
            textarea id="csv" name="csv" rows="10" cols="80" { (csv) }
            label for="file" { "or a CSV file" }
            input id="file" type="file" name="file" accept=".csv,text/csv,text/plain";
            button type="submit" { "Dry run" }
        }
    }
}

fn table(rows: &[Planned], done: bool) -> Markup {
    html! {
        div class="table-wrap" {
            table id="import-rows" {
                thead { tr { th scope="col" { "Line" } th scope="col" { "Email" } th scope="col" { "Run" } th scope="col" { "Outcome" } } }
                tbody {
                    @for r in rows {
                        @let class = if r.outcome.is_error() { "error" } else if r.outcome.is_change() { "change" } else { "already" };
                        tr id=(format!("line-{}", r.line.number)) class=(class) {
                            td { (r.line.number) }
                            td { (r.line.email) }
                            td { code { (r.line.run) } }
                            td { (r.outcome.describe(done)) }
                        }
                    }
                }
            }
        }
    }
}

async fn page(r: StaffPage) -> Markup {
    let body = html! {
        p { a href=(r.ctx.prefix.url("/staff/enrollments/")) { "Back to enrollments" } }
        (form(&r.ctx, ""))
    };
    staff_page(&r.ctx, TITLE, body)
}

fn required(csv: String) -> Result<String, AppError> {
    if csv.trim().is_empty() {
        return Err(AppError::BadRequest(
            "csv: Paste CSV rows or choose a CSV file.".to_owned(),
        ));
    }
    Ok(csv)
}

async fn dry_run(r: StaffPage, mut mp: Multipart) -> Result<Markup, AppError> {
    let mut csv = String::new();
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(format!("Invalid upload: {e}")))?
    {
        let name = field.name().unwrap_or("").to_owned();
        if name != "csv" && name != "file" {
            continue;
        }
        let bytes = field
            .bytes()
            .await
            .map_err(|e| AppError::BadRequest(format!("{name}: The upload failed: {e}")))?;
        let text = String::from_utf8(bytes.to_vec())
            .map_err(|_| AppError::BadRequest(format!("{name}: The CSV is not UTF-8 text.")))?;
        // A chosen file wins over the textarea.
        if name == "file" && !text.trim().is_empty() || csv.trim().is_empty() {
            csv = text;
        }
    }
    let csv = required(csv)?;
    let rows = bulk::plan(&r.state, bulk::parse(&csv)).await?;
    let (n, bad) = (bulk::changes(&rows), bulk::errors(&rows));
    let p = &r.ctx.prefix;
    let body = html! {
        h2 { "Dry run" }
        p role="status" { (rows.len()) " row(s): " (n) " to apply, " (bad) " bad (never applied). Nothing has been changed." }
        (table(&rows, false))
        @if n > 0 {
            form method="post" action=(p.url("/staff/enrollments/import/apply/")) {
                (r.ctx.csrf_field())
                input type="hidden" name="csv" value=(csv);
                button type="submit" { "Apply " (n) " rows" }
            }
        } @else {
            p { "Nothing to apply." }
        }
        h2 { "Another file" }
        (form(&r.ctx, &csv))
    };
    Ok(staff_page(&r.ctx, TITLE, body))
}

#[derive(Deserialize)]
struct ApplyForm {
    #[serde(default)]
    csv: String,
}

async fn apply(r: StaffPage, Form(f): Form<ApplyForm>) -> Result<Markup, AppError> {
    let csv = required(f.csv)?;
    let actor = Actor::staff(r.access.user_id, &r.access.actor);
    let plan = bulk::plan(&r.state, bulk::parse(&csv)).await?;
    let rows = bulk::apply(&r.state, plan, &actor, |_, _| {}).await?;
    let (n, bad) = (bulk::changes(&rows), bulk::errors(&rows));
    let body = html! {
        h2 { "Result" }
        p class="notice" role="status" { (rows.len()) " row(s): " (n) " applied, " (bad) " bad (not applied)." }
        (table(&rows, true))
        p { a href=(r.ctx.prefix.url("/staff/enrollments/import/")) { "Import another file" } }
    };
    Ok(staff_page(&r.ctx, TITLE, body))
}
