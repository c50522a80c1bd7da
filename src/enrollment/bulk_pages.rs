//! `/staff/enrollments/import/`: bulk enroll / unenroll from CSV ([`super::bulk`]) for staff,
//! without JavaScript. The form (a textarea or a file upload, multipart) posts to the same
//! path for a dry run: a table of every row with what would happen, then an "Apply N rows"
//! form carrying the CSV in a hidden field to `/staff/enrollments/import/apply/`, which
//! applies the good rows as the signed-in staff member, streaming a progress bar as batches
//! commit, and ends with what happened per row.

use axum::body::Body;
use axum::extract::Multipart;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::{Markup, PreEscaped, html};
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

/// Where the streamed apply page is cut: the layout before it goes first, the result and the
/// layout after it last.
const CUT: &str = "<!--import-result-->";

/// How often the streamed page shows progress: once per this many rows (the batch size of
/// [`bulk::apply`], so each line is a committed batch) and at the end.
const PROGRESS_EVERY: usize = 500;

fn progress(done: usize, total: usize) -> String {
    html! {
        div class="import-progress" role="status" {
            label { "Applied " (done) " of " (total) " rows " progress value=(done) max=(total) { (done) "/" (total) } }
        }
    }
    .into_string()
}

/// Applies the good rows and streams the page as it goes: the layout and a progress bar at
/// once, a new bar per committed batch (CSS shows only the newest), then the result table.
/// The import runs in its own task, so a closed browser tab does not stop it half way; a
/// database failure ends the page with the error (committed batches stay; a rerun does the rest).
async fn apply(r: StaffPage, Form(f): Form<ApplyForm>) -> Result<Response, AppError> {
    let csv = required(f.csv)?;
    let actor = Actor::staff(r.access.user_id, &r.access.actor);
    let plan = bulk::plan(&r.state, bulk::parse(&csv)).await?;
    let total = plan.len();
    let layout = staff_page(&r.ctx, TITLE, html! { (PreEscaped(CUT)) }).into_string();
    let (head, tail) = layout.split_once(CUT).expect("the layout keeps the cut");
    let (head, tail) = (head.to_owned(), tail.to_owned());
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let _ = tx.send(head + &progress(0, total));
    let (state, again) = (r.state.clone(), r.ctx.prefix.url("/staff/enrollments/import/"));
    tokio::spawn(async move {
        let bar = tx.clone();
        let done = bulk::apply(&state, plan, &actor, move |done, total| {
            if done % PROGRESS_EVERY == 0 || done == total {
                let _ = bar.send(progress(done, total));
            }
        })
        .await;
        let body = match done {
            Ok(rows) => {
                let (n, bad) = (bulk::changes(&rows), bulk::errors(&rows));
                html! {
                    h2 { "Result" }
                    p class="notice" role="status" { (rows.len()) " row(s): " (n) " applied, " (bad) " bad (not applied)." }
                    (table(&rows, true))
                    p { a href=(again) { "Import another file" } }
                }
            }
            Err(e) => html! {
                p class="notice warn" role="alert" {
                    "The import stopped: " (e.to_string()) ". Rows already applied stay applied; run the file again to finish."
                }
            },
        };
        let _ = tx.send(body.into_string() + &tail);
    });
    let chunks = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|s| (Ok::<_, std::convert::Infallible>(s), rx))
    });
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            // Sent as it is made: a compressing layer would hold the bars back.
            (header::CONTENT_ENCODING, "identity"),
        ],
        Body::from_stream(chunks),
    )
        .into_response())
}
