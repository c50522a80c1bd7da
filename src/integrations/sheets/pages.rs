//! Staff view of the sandbox spreadsheet (`/staff/sandbox/sheets/`): both tabs cell by cell,
//! forms to add a request row, edit any cell and clear a row's error, and the requests
//! recorded so far. Plain HTML forms, every change audited; 404 when the sandbox is not in use.

use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::{Markup, html};
use serde::Deserialize;

use super::model::{self, Kind};
use super::{sandbox, store};
use crate::http::AppError;
use crate::http::staff_page::StaffPage;
use crate::staff::pages::staff_page;
use crate::state::AppState;

const PATH: &str = "/staff/sandbox/sheets/";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PATH, get(page))
        .route("/staff/sandbox/sheets/rows/", post(add_row))
        .route("/staff/sandbox/sheets/cells/", post(edit_cell))
        .route("/staff/sandbox/sheets/clear-error/", post(clear_error))
}

fn require_sandbox(state: &AppState) -> Result<(), AppError> {
    if state.config.sheets_sandbox() {
        Ok(())
    } else {
        Err(AppError::NotFound(
            "The sandbox spreadsheet is not in use.".into(),
        ))
    }
}

fn tabs(state: &AppState) -> [(Kind, String); 2] {
    let s = &state.config.sheets;
    [
        (Kind::Refund, s.refunds_worksheet.clone()),
        (Kind::Deferral, s.deferrals_worksheet.clone()),
    ]
}

fn tab_of(state: &AppState, name: &str) -> Result<(Kind, String), AppError> {
    tabs(state)
        .into_iter()
        .find(|(_, t)| t == name)
        .ok_or_else(|| AppError::BadRequest(format!("tab: no tab is named `{name}`.")))
}

fn tab_table(r: &StaffPage, kind: Kind, tab: &str, rows: &[(usize, Vec<String>)]) -> Markup {
    let l = kind.layout();
    let p = &r.ctx.prefix;
    html! {
        h2 { (tab) }
        p class="muted" { "Requests from row " (l.first_row) "; column " (model::column_letter(l.skip)) " = TRUE skips a row." }
        div class="table-wrap" {
            table id=(format!("tab-{}", kind.as_str())) {
                thead { tr {
                    th scope="col" { "Row" }
                    @for i in 0..l.columns { th scope="col" { (model::column_letter(i)) } }
                    th scope="col" { span class="visually-hidden" { "Actions" } }
                } }
                tbody {
                    @for (n, cells) in rows {
                        tr id=(format!("{}-row-{n}", kind.as_str())) {
                            th scope="row" { (n) }
                            @for i in 0..l.columns {
                                td { (sandbox::formatted(cells.get(i).map_or("", String::as_str))) }
                            }
                            td {
                                @if *n >= l.first_row && cells.get(l.error).is_some_and(|e| !e.is_empty()) {
                                    form method="post" action=(p.url("/staff/sandbox/sheets/clear-error/")) {
                                        (r.ctx.csrf_field())
                                        input type="hidden" name="tab" value=(tab);
                                        input type="hidden" name="row" value=(n);
                                        button type="submit" class="secondary" { "Clear error " span class="visually-hidden" { "of row " (n) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h3 { "Add a " (kind.as_str()) " request to " (tab) }
        form method="post" action=(p.url("/staff/sandbox/sheets/rows/")) {
            (r.ctx.csrf_field())
            input type="hidden" name="tab" value=(tab);
            @for i in l.form_input.clone() {
                @let id = format!("{}-c{i}", kind.as_str());
                label for=(id) { (kind.headings()[i]) }
                input id=(id) type="text" name="cells";
            }
            button type="submit" { "Add row" }
        }
    }
}

async fn page(r: StaffPage) -> Result<Markup, AppError> {
    require_sandbox(&r.state)?;
    let t = tabs(&r.state);
    let sheet_id = r.state.config.sheets.spreadsheet_id.clone();
    let (sheets, recent, others) = r
        .state
        .db
        .read(move |c| {
            let others = sandbox::other_tabs(c, &sheet_id)?
                .into_iter()
                .map(|(id, tab)| {
                    let rows = sandbox::sheet(c, (&id, &tab), 6)?;
                    Ok((id, tab, rows))
                })
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let sheets = t
                .iter()
                .map(|(k, name)| {
                    Ok((
                        *k,
                        name.clone(),
                        sandbox::sheet(c, (&sheet_id, name), k.layout().columns)?,
                    ))
                })
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok::<_, rusqlite::Error>((sheets, store::recent(c, 50)?, others))
        })
        .await?;
    let p = &r.ctx.prefix;
    let body = html! {
        p {
            "Google Sheets is not configured (MITXONLINE_SHEETS_CREDENTIALS is unset), so the "
            code { "process-google-sheets-requests" } " job reads this built-in spreadsheet "
            "through the same Sheets API client. "
            a href=(p.url("/staff/jobs/process-google-sheets-requests/")) { "Its runs" } "."
        }
        @for (kind, tab, rows) in &sheets {
            (tab_table(&r, *kind, tab, rows))
        }
        h2 { "Edit a cell" }
        form method="post" action=(p.url("/staff/sandbox/sheets/cells/")) {
            (r.ctx.csrf_field())
            label for="cell-tab" { "Tab" }
            select id="cell-tab" name="tab" {
                @for (_, tab, _) in &sheets { option value=(tab) { (tab) } }
            }
            label for="cell-ref" { "Cell (e.g. O5)" }
            input id="cell-ref" type="text" name="cell";
            label for="cell-value" { "Value (empty clears it)" }
            input id="cell-value" type="text" name="value";
            button type="submit" { "Save cell" }
        }
        @if !others.is_empty() {
            h2 { "B2B enrollment-code sheets" }
            p class="muted" { "Written by the update-b2b-enrollment-code-sheets job." }
        }
        @for (id, tab, rows) in &others {
            h3 { code { (id) } " / " (tab) }
            div class="table-wrap" {
                table class="code-sheet" {
                    tbody {
                        @for (n, cells) in rows {
                            tr { th scope="row" { (n) } @for c in cells { td { (c) } } }
                        }
                    }
                }
            }
        }
        h2 { "Requests recorded" }
        @if recent.is_empty() { p { "None yet." } }
        @else {
            div class="table-wrap" {
                table id="requests" {
                    thead { tr { th { "Kind" } th { "Response id" } th { "Row" } th { "Status" } th { "Message" } th { "In the sheet" } th { "Attempts" } th { "Updated" } } }
                    tbody {
                        @for (kind, id, row, status, message, written, attempts, updated) in &recent {
                            tr { td { (kind) } td { (id) } td { (row) } td { (status) } td { (message) } td { @if *written { "yes" } @else { "not yet" } } td { (attempts) } td { (updated) } }
                        }
                    }
                }
            }
        }
    };
    Ok(staff_page(&r.ctx, "Sandbox Google Sheets", body))
}

/// Who changed the sandbox sheet, and how (staff changes are audited).
fn audited(
    c: &rusqlite::Connection,
    r: (&Option<i64>, &str),
    action: &str,
    at: String,
    value: serde_json::Value,
    now: chrono::DateTime<chrono::Utc>,
) -> rusqlite::Result<()> {
    crate::audit::record(
        c,
        *r.0,
        r.1,
        action,
        "sheets_sandbox",
        &at,
        None,
        Some(&value),
        now,
    )?;
    Ok(())
}

fn back(r: &StaffPage) -> Response {
    Redirect::to(&r.ctx.prefix.url(PATH)).into_response()
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Cells {
    tab: String,
    cells: Vec<String>,
}

async fn add_row(
    r: StaffPage,
    axum::extract::RawForm(raw): axum::extract::RawForm,
) -> Result<Response, AppError> {
    require_sandbox(&r.state)?;
    // Repeated `cells` fields: read them in order.
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(&raw).map_err(|e| AppError::BadRequest(format!("form: {e}")))?;
    let f = Cells {
        tab: pairs
            .iter()
            .find(|(k, _)| k == "tab")
            .map(|(_, v)| v.clone())
            .unwrap_or_default(),
        cells: pairs
            .into_iter()
            .filter(|(k, _)| k == "cells")
            .map(|(_, v)| v)
            .collect(),
    };
    let (kind, tab) = tab_of(&r.state, &f.tab)?;
    let sheet_id = r.state.config.sheets.spreadsheet_id.clone();
    if f.cells.len() != kind.layout().form_input.len() || f.cells.iter().all(|c| c.trim().is_empty()) {
        return Err(AppError::BadRequest(format!(
            "cells: a {} request has {} form columns.",
            kind.as_str(),
            kind.layout().form_input.len()
        )));
    }
    let (who, label, now) = (r.access.user_id, r.access.actor.clone(), r.state.clock.now());
    r.state
        .db
        .write(move |c| {
            let (row, id) = sandbox::append_row(c, kind, (&sheet_id, &tab), &f.cells)?;
            let value = serde_json::json!({ "form_response_id": id, "cells": f.cells });
            audited(c, (&who, &label), "add_row", format!("{tab}!{row}"), value, now)
        })
        .await?;
    Ok(back(&r))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EditCell {
    tab: String,
    cell: String,
    value: String,
}

async fn edit_cell(r: StaffPage, Form(f): Form<EditCell>) -> Result<Response, AppError> {
    require_sandbox(&r.state)?;
    let (_, tab) = tab_of(&r.state, &f.tab)?;
    let sheet_id = r.state.config.sheets.spreadsheet_id.clone();
    let a1 = model::parse_a1(&format!("x!{}", f.cell.trim().to_ascii_uppercase()))
        .filter(|a| a.end_row == Some(a.start.0) && a.end_col == a.start.1)
        .ok_or_else(|| AppError::BadRequest(format!("cell: `{}` is not one cell like O5.", f.cell)))?;
    let value = f.value.trim().to_owned();
    let (who, label, now) = (r.access.user_id, r.access.actor.clone(), r.state.clock.now());
    r.state
        .db
        .write(move |c| {
            sandbox::set_cell(c, (&sheet_id, &tab), a1.start.0, a1.start.1, &value)?;
            let at = format!("{tab}!{}{}", model::column_letter(a1.start.1), a1.start.0);
            audited(
                c,
                (&who, &label),
                "edit_cell",
                at,
                serde_json::json!({ "value": value }),
                now,
            )
        })
        .await?;
    Ok(back(&r))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ClearError {
    tab: String,
    row: usize,
}

async fn clear_error(r: StaffPage, Form(f): Form<ClearError>) -> Result<Response, AppError> {
    require_sandbox(&r.state)?;
    let (kind, tab) = tab_of(&r.state, &f.tab)?;
    let sheet_id = r.state.config.sheets.spreadsheet_id.clone();
    if f.row < kind.layout().first_row {
        return Err(AppError::BadRequest("row: not a request row.".into()));
    }
    let col = kind.layout().error;
    let (who, label, now) = (r.access.user_id, r.access.actor.clone(), r.state.clock.now());
    r.state
        .db
        .write(move |c| {
            sandbox::set_cell(c, (&sheet_id, &tab), f.row, col, "")?;
            let at = format!("{tab}!{}{}", model::column_letter(col), f.row);
            audited(
                c,
                (&who, &label),
                "clear_error",
                at,
                serde_json::json!({ "value": "" }),
                now,
            )
        })
        .await?;
    Ok(back(&r))
}
