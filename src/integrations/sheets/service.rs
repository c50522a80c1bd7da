//! One run over the request tabs: read the last [`LAST_ROWS`] rows of each, decide per row
//! ([`model::decide`]), apply what is due through the domain services (refunds:
//! `commerce::refunds::gateway`, `unenroll=true`; deferrals: `enrollment::deferral`, forced as
//! the original's plugin does), then write every outcome back in one `batchUpdate` per tab.
//!
//! Each row is recorded `processing` before it is applied and `processed`/`failed` after, in
//! their own transactions, never across a network call. A row's failure is its own: the
//! others go on. When Sheets cannot be read nothing is applied; when the write-back fails the
//! outcome stays recorded and is written back by the next run, never applied twice.

use std::sync::Arc;

use serde_json::Value;

use super::client::Client;
use super::model::{self, Action, Ask, Kind, LAST_ROWS, Parsed, RequestRow, Status};
use super::{SheetsError, store};
use crate::commerce::refunds::gateway::refund_order_by_reference;
use crate::commerce::refunds::model::AfterRefund;
use crate::enrollment::Actor;
use crate::enrollment::deferral::{self, DeferRequest};
use crate::state::AppState;

/// What one tab's run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TabReport {
    pub processed: usize,
    pub failed: usize,
    pub written_back: usize,
    pub ignored: usize,
}

/// Applies one request; the message is the error written to the sheet.
async fn apply(state: &AppState, row: &RequestRow) -> Result<(), String> {
    match &row.ask {
        Ask::Refund { order_reference, .. } => refund_order_by_reference(
            state,
            order_reference,
            format!("Google Sheets refund request {}", row.form_response_id),
            AfterRefund::Unenroll,
        )
        .await
        .map(|_| ())
        .map_err(|e| e.to_string()),
        Ask::Deferral {
            learner_email,
            from,
            to,
        } => {
            let req = DeferRequest {
                email: learner_email.clone(),
                from: from.clone(),
                to: to.clone(),
                force: true,
            };
            deferral::defer(state, req, Actor::system("google sheets"))
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
    }
}

/// A pending write-back: the record it belongs to (none for an unreadable row) and the cells.
struct Pending {
    record: Option<i64>,
    cells: (String, Vec<Value>),
}

/// Processes one tab; `Err` only when the sheet could not be read or written.
pub async fn process_tab(
    state: &AppState,
    client: &Arc<Client>,
    kind: Kind,
    tab: &str,
) -> Result<TabReport, SheetsError> {
    let layout = kind.layout();
    let rows = client.get_values(&model::read_range(tab, &layout)).await?;
    let skip = rows.len().saturating_sub(LAST_ROWS);
    let processor = state.config.sheets.processor_name.clone();
    let mut report = TabReport::default();
    let mut pending: Vec<Pending> = Vec::new();
    for (i, cells) in rows.iter().enumerate().skip(skip) {
        let row_number = layout.first_row + i;
        let today = state.clock.now().date_naive();
        let row = match model::parse_row(kind, row_number, cells) {
            Parsed::Blank | Parsed::Ignored => {
                report.ignored += 1;
                continue;
            }
            Parsed::Invalid {
                message, error_cell, ..
            } => {
                if error_cell == message {
                    report.ignored += 1;
                } else {
                    report.failed += 1;
                    pending.push(Pending {
                        record: None,
                        cells: model::write_back(tab, kind, row_number, Err(&message), today),
                    });
                }
                continue;
            }
            Parsed::Request(r) => r,
        };
        let (fid, key) = (row.form_response_id, kind);
        let recorded = state.db.read(move |c| store::find(c, key, fid)).await?;
        let outcome: Result<String, String> = match model::decide(recorded.as_ref(), &row) {
            Action::Nothing => {
                report.ignored += 1;
                continue;
            }
            Action::WriteBack => {
                let r = recorded.expect("a write-back has a record");
                let outcome = if r.status == Status::Processed {
                    Ok(processor.as_str())
                } else {
                    Err(r.message.as_str())
                };
                pending.push(Pending {
                    record: Some(r.id),
                    cells: model::write_back(tab, kind, row_number, outcome, today),
                });
                continue;
            }
            Action::Interrupted => Err(format!(
                "Processing request {fid} was interrupted; check the learner's orders and enrollments, then clear this error to retry"
            )),
            Action::Process => {
                let r = row.clone();
                state.write_at(move |c, now| store::begin(c, &r, now)).await?;
                match apply(state, &row).await {
                    Ok(()) => Ok(processor.clone()),
                    Err(e) => Err(e),
                }
            }
        };
        let now = state.clock.now();
        let (status, message) = match &outcome {
            Ok(_) => (Status::Processed, String::new()),
            Err(m) => (Status::Failed, m.clone()),
        };
        let m = message.clone();
        let r = row.clone();
        let id = state
            .db
            .write(move |c| {
                let id = match store::find(c, r.kind, r.form_response_id)? {
                    Some(rec) => rec.id,
                    None => store::begin(c, &r, now)?,
                };
                store::finish(c, id, status, &m, now)?;
                Ok::<_, rusqlite::Error>(id)
            })
            .await?;
        match &outcome {
            Ok(p) => {
                report.processed += 1;
                tracing::info!(
                    sheet.kind = kind.as_str(),
                    sheet.request = fid,
                    "sheet request processed"
                );
                pending.push(Pending {
                    record: Some(id),
                    cells: model::write_back(tab, kind, row_number, Ok(p), today),
                });
            }
            Err(m) => {
                report.failed += 1;
                tracing::warn!(sheet.kind = kind.as_str(), sheet.request = fid, error = %m, "sheet request failed");
                pending.push(Pending {
                    record: Some(id),
                    cells: model::write_back(tab, kind, row_number, Err(m), today),
                });
            }
        }
    }
    if !pending.is_empty() {
        let cells: Vec<(String, Vec<Value>)> = pending.iter().map(|p| p.cells.clone()).collect();
        client.batch_update(&cells).await?;
        let ids: Vec<i64> = pending.iter().filter_map(|p| p.record).collect();
        report.written_back = pending.len();
        state
            .write_at(move |c, now| store::mark_written_back(c, &ids, now))
            .await?;
    }
    Ok(report)
}

/// Both tabs; a tab whose sheet is unreachable fails the run (after the other tab ran).
pub async fn run(state: &AppState, client: &Arc<Client>) -> anyhow::Result<String> {
    let s = &state.config.sheets;
    let mut parts = Vec::new();
    let mut errors = Vec::new();
    for (kind, tab) in [
        (Kind::Refund, s.refunds_worksheet.as_str()),
        (Kind::Deferral, s.deferrals_worksheet.as_str()),
    ] {
        match process_tab(state, client, kind, tab).await {
            Ok(r) => parts.push(format!(
                "{}s: {} processed, {} failed, {} written back, {} left alone",
                kind.as_str(),
                r.processed,
                r.failed,
                r.written_back,
                r.ignored
            )),
            Err(e) => errors.push(format!("{}s: {e}", kind.as_str())),
        }
    }
    if errors.is_empty() {
        Ok(parts.join("; "))
    } else {
        parts.extend(errors.iter().cloned());
        anyhow::bail!("{}", parts.join("; "))
    }
}
