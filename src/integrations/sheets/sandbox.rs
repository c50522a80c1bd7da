//! The built-in sandbox spreadsheet (used where sandboxes run and
//! `MITXONLINE_SHEETS_CREDENTIALS` is unset): cells in `sheets_sandbox_cells`, served on our
//! own listener under [`BASE`] speaking the two Sheets v4 calls the client makes, so the same
//! client code runs against it. `values.get` answers formatted values (a `=DATE(y,m,d)` shows
//! as `m/d/yyyy`) without trailing blank cells or rows; `values:batchUpdate` writes each
//! range, a `null` leaving its cell alone. A bearer token made on first use guards both.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

use super::model::{self, Kind};
use crate::config::Secret;
use crate::db::Db;
use crate::state::AppState;

/// Where the sandbox Sheets API lives on our listener.
pub const BASE: &str = "/sandbox/sheets";

/// The sandbox's bearer token (made on first use, kept in the database).
pub async fn token(db: &Db) -> Result<Secret, crate::db::DbError> {
    let held = db
        .read(|c| {
            c.query_row("SELECT token FROM sheets_sandbox_token WHERE id = 1", [], |r| {
                r.get::<_, String>(0)
            })
            .optional()
        })
        .await?;
    if let Some(t) = held {
        return Ok(Secret::new(t));
    }
    let fresh = uuid::Uuid::new_v4().simple().to_string();
    db.write(move |c| -> Result<String, crate::db::DbError> {
        c.execute(
            "INSERT INTO sheets_sandbox_token (id, token) VALUES (1, ?1) ON CONFLICT (id) DO NOTHING",
            [&fresh],
        )?;
        Ok(
            c.query_row("SELECT token FROM sheets_sandbox_token WHERE id = 1", [], |r| {
                r.get::<_, String>(0)
            })?,
        )
    })
    .await
    .map(Secret::new)
}

/// Puts the title and column headings above each tab's first data row (once).
pub fn ensure_tabs(c: &Connection, spreadsheet: &str, tabs: &[(Kind, &str)]) -> rusqlite::Result<()> {
    for (kind, tab) in tabs {
        let heading_row = kind.layout().first_row - 1;
        let mut cells = vec![(1usize, 0usize, format!("Enrollment Change Request: {tab}"))];
        cells.extend(
            kind.headings()
                .iter()
                .enumerate()
                .map(|(i, h)| (heading_row, i, (*h).to_owned())),
        );
        for (row, col, value) in cells {
            c.execute(
                "INSERT INTO sheets_sandbox_cells (spreadsheet, tab, row, col, value) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT DO NOTHING",
                params![spreadsheet, tab, row as i64, col as i64, value],
            )?;
        }
    }
    Ok(())
}

/// Sets one cell (an empty value clears it).
pub fn set_cell(
    c: &Connection,
    at: (&str, &str),
    row: usize,
    col: usize,
    value: &str,
) -> rusqlite::Result<()> {
    let (spreadsheet, tab) = at;
    if value.is_empty() {
        c.execute(
            "DELETE FROM sheets_sandbox_cells WHERE spreadsheet = ?1 AND tab = ?2 AND row = ?3 AND col = ?4",
            params![spreadsheet, tab, row as i64, col as i64],
        )?;
    } else {
        c.execute(
            "INSERT INTO sheets_sandbox_cells (spreadsheet, tab, row, col, value) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (spreadsheet, tab, row, col) DO UPDATE SET value = excluded.value",
            params![spreadsheet, tab, row as i64, col as i64, value],
        )?;
    }
    Ok(())
}

/// Appends a request row after the last used row (at least the tab's first data row) with the
/// next form response id; `fields` are the form-input columns from column 1. Returns the row.
pub fn append_row(
    c: &Connection,
    kind: Kind,
    at: (&str, &str),
    fields: &[String],
) -> rusqlite::Result<(usize, i64)> {
    let (spreadsheet, tab) = at;
    let layout = kind.layout();
    let (last, max_id): (Option<i64>, Option<i64>) = c.query_row(
        "SELECT max(row), max(CASE WHEN col = 0 AND row >= ?3 THEN CAST(value AS INTEGER) END)
         FROM sheets_sandbox_cells WHERE spreadsheet = ?1 AND tab = ?2",
        params![spreadsheet, tab, layout.first_row as i64],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let row = (last.unwrap_or(0) as usize + 1).max(layout.first_row);
    let id = max_id.unwrap_or(0) + 1;
    set_cell(c, at, row, 0, &id.to_string())?;
    for (i, v) in fields.iter().enumerate() {
        set_cell(c, at, row, i + 1, v.trim())?;
    }
    Ok((row, id))
}

/// `=DATE(2026,12,4)` as the sheet shows it (`12/4/2026`); anything else as entered.
pub fn formatted(raw: &str) -> String {
    let inner = raw
        .strip_prefix("=DATE(")
        .and_then(|r| r.strip_suffix(')'))
        .map(|r| {
            r.split(',')
                .map(|p| p.trim().parse::<u32>())
                .collect::<Result<Vec<_>, _>>()
        });
    match inner {
        Some(Ok(p)) if p.len() == 3 => format!("{}/{}/{}", p[1], p[2], p[0]),
        _ => raw.to_owned(),
    }
}

/// The rows of a tab from `from_row` (1-based) to `to_row`, columns `cols`, as the API shows
/// them: formatted, trailing blank cells and rows dropped, blank rows inside kept as `[]`.
pub fn values(
    c: &Connection,
    at: (&str, &str),
    rows: (usize, Option<usize>),
    cols: (usize, usize),
) -> rusqlite::Result<Vec<Vec<String>>> {
    let mut stmt = c.prepare_cached(
        "SELECT row, col, value FROM sheets_sandbox_cells
         WHERE spreadsheet = ?6 AND tab = ?1 AND row >= ?2 AND (?3 IS NULL OR row <= ?3) AND col BETWEEN ?4 AND ?5
         ORDER BY row, col",
    )?;
    let (spreadsheet, tab) = at;
    let cells = stmt
        .query_map(
            params![
                tab,
                rows.0 as i64,
                rows.1.map(|r| r as i64),
                cols.0 as i64,
                cols.1 as i64,
                spreadsheet
            ],
            |r| {
                Ok((
                    r.get::<_, i64>(0)? as usize,
                    r.get::<_, i64>(1)? as usize,
                    r.get::<_, String>(2)?,
                ))
            },
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut out: Vec<Vec<String>> = Vec::new();
    for (row, col, value) in cells {
        let (ri, ci) = (row - rows.0, col - cols.0);
        if out.len() <= ri {
            out.resize(ri + 1, Vec::new());
        }
        let r = &mut out[ri];
        if r.len() <= ci {
            r.resize(ci + 1, String::new());
        }
        r[ci] = formatted(&value);
    }
    Ok(out)
}

/// Every non-blank row of a tab from row 1: `(row, cells as entered)` (the staff view).
pub fn sheet(
    c: &Connection,
    at: (&str, &str),
    columns: usize,
) -> rusqlite::Result<Vec<(usize, Vec<String>)>> {
    let mut stmt = c.prepare_cached(
        "SELECT row, col, value FROM sheets_sandbox_cells WHERE spreadsheet = ?1 AND tab = ?2 ORDER BY row, col",
    )?;
    let mut out: Vec<(usize, Vec<String>)> = Vec::new();
    for cell in stmt.query_map([at.0, at.1], |r| {
        Ok((
            r.get::<_, i64>(0)? as usize,
            r.get::<_, i64>(1)? as usize,
            r.get::<_, String>(2)?,
        ))
    })? {
        let (row, col, value) = cell?;
        if out.last().is_none_or(|(r, _)| *r != row) {
            out.push((row, vec![String::new(); columns]));
        }
        let cells = &mut out.last_mut().expect("pushed").1;
        if col >= cells.len() {
            cells.resize(col + 1, String::new());
        }
        cells[col] = value;
    }
    Ok(out)
}

// ---- the Sheets v4 face ----

fn google_error(status: StatusCode, message: &str) -> Response {
    let name = match status.as_u16() {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        404 => "NOT_FOUND",
        _ => "INTERNAL",
    };
    (
        status,
        Json(json!({ "error": { "code": status.as_u16(), "message": message, "status": name } })),
    )
        .into_response()
}

/// `Err` is the answer: the sandbox is off, the spreadsheet unknown or the token wrong.
async fn admit(state: &AppState, h: &HeaderMap, id: &str) -> Result<(), Response> {
    if !state.config.sheets_sandbox() {
        return Err(google_error(
            StatusCode::NOT_FOUND,
            "The sandbox spreadsheet is not in use.",
        ));
    }
    let expected = token(&state.db)
        .await
        .map_err(|_| google_error(StatusCode::INTERNAL_SERVER_ERROR, "sandbox storage failed"))?;
    let sent = h
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if sent != Some(expected.expose()) {
        return Err(google_error(
            StatusCode::UNAUTHORIZED,
            "Request had invalid authentication credentials.",
        ));
    }
    if id.is_empty() {
        return Err(google_error(
            StatusCode::NOT_FOUND,
            "Requested entity was not found.",
        ));
    }
    Ok(())
}

pub async fn get_values(
    State(state): State<AppState>,
    Path((id, range)): Path<(String, String)>,
    h: HeaderMap,
) -> Response {
    if let Err(r) = admit(&state, &h, &id).await {
        return r;
    }
    let Some(a1) = model::parse_a1(&range) else {
        return google_error(
            StatusCode::BAD_REQUEST,
            &format!("Unable to parse range: {range}"),
        );
    };
    let (tab, rows, cols) = (a1.tab.clone(), (a1.start.0, a1.end_row), (a1.start.1, a1.end_col));
    let sheet_id = id.clone();
    match state
        .db
        .read(move |c| values(c, (&sheet_id, &tab), rows, cols))
        .await
    {
        Ok(v) => {
            let mut body = json!({ "range": range, "majorDimension": "ROWS" });
            if !v.is_empty() {
                body["values"] = json!(v);
            }
            Json(body).into_response()
        }
        Err(_) => google_error(StatusCode::INTERNAL_SERVER_ERROR, "sandbox storage failed"),
    }
}

pub async fn batch_update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    h: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if let Err(r) = admit(&state, &h, &id).await {
        return r;
    }
    let mut writes = Vec::new();
    for d in body["data"].as_array().cloned().unwrap_or_default() {
        let range = d["range"].as_str().unwrap_or_default().to_owned();
        let Some(a1) = model::parse_a1(&range) else {
            return google_error(
                StatusCode::BAD_REQUEST,
                &format!("Unable to parse range: {range}"),
            );
        };
        for (ri, row) in d["values"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            for (ci, v) in row.as_array().cloned().unwrap_or_default().iter().enumerate() {
                let value = match v {
                    Value::Null => continue,
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                writes.push((a1.tab.clone(), a1.start.0 + ri, a1.start.1 + ci, value));
            }
        }
    }
    let n = writes.len();
    let sheet_id = id.clone();
    let done = state
        .db
        .write(move |c| {
            for (tab, row, col, value) in &writes {
                set_cell(c, (&sheet_id, tab), *row, *col, value)?;
            }
            Ok::<_, rusqlite::Error>(())
        })
        .await;
    match done {
        Ok(()) => Json(json!({ "spreadsheetId": id, "totalUpdatedCells": n })).into_response(),
        Err(_) => google_error(StatusCode::INTERNAL_SERVER_ERROR, "sandbox storage failed"),
    }
}

/// The raw value of one cell (tests and the staff page).
pub fn cell(c: &Connection, at: (&str, &str), row: usize, col: usize) -> rusqlite::Result<Option<String>> {
    c.query_row(
        "SELECT value FROM sheets_sandbox_cells WHERE spreadsheet = ?1 AND tab = ?2 AND row = ?3 AND col = ?4",
        params![at.0, at.1, row as i64, col as i64],
        |r| r.get(0),
    )
    .optional()
}

/// Every `(spreadsheet, tab)` in the sandbox besides `except` (the B2B code sheets).
pub fn other_tabs(c: &Connection, except: &str) -> rusqlite::Result<Vec<(String, String)>> {
    c.prepare_cached(
        "SELECT DISTINCT spreadsheet, tab FROM sheets_sandbox_cells WHERE spreadsheet <> ?1 ORDER BY 1, 2",
    )?
    .query_map([except], |r| Ok((r.get(0)?, r.get(1)?)))?
    .collect()
}
