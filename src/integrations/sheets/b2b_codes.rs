//! `update-b2b-enrollment-code-sheets` (every hour at :30, the original's 3600 s with a
//! 1800 s offset): for each code contract with a sheet (`b2b::sheets`), rewrite its tab from
//! row 1 — the header, then one row per code — and blank the rows a longer earlier list left
//! below. One `values:batchUpdate` per contract; a contract whose sheet cannot be written keeps
//! its error on the contract page and does not stop the others.

use serde_json::{Value, json};

use super::client::Client;
use super::model::{column_letter, quoted};
use crate::b2b::sheets::{self as codes, COLUMNS};
use crate::jobs::JobDef;
use crate::state::AppState;

pub const NAME: &str = "update-b2b-enrollment-code-sheets";

/// The `batchUpdate` data writing `rows` (header first) over a tab that held `previous` code
/// rows: one range per row, blank rows after the list.
pub fn sheet_data(tab: &str, rows: &[[String; 6]], previous: usize) -> Vec<(String, Vec<Value>)> {
    let last = column_letter(COLUMNS.len() - 1);
    let range = |n: usize| format!("{}!A{n}:{last}{n}", quoted(tab));
    let mut data = vec![(range(1), COLUMNS.iter().map(|c| json!(c)).collect())];
    data.extend(
        rows.iter()
            .enumerate()
            .map(|(i, r)| (range(i + 2), r.iter().map(|c| json!(c)).collect())),
    );
    data.extend((rows.len()..previous).map(|i| (range(i + 2), vec![json!(""); COLUMNS.len()])));
    data
}

async fn refresh(state: &AppState, client: &Client) -> anyhow::Result<String> {
    let sheets = codes::code_sheets(state).await?;
    let (mut written, mut failed) = (0usize, Vec::new());
    for s in &sheets {
        let rows = codes::rows_now(state, s.contract_id).await?;
        let data = sheet_data(&s.tab, &rows, s.rows_written);
        let outcome = client
            .batch_update_in(&s.spreadsheet, &data)
            .await
            .map(|()| rows.len())
            .map_err(|e| e.to_string());
        if let Err(e) = &outcome {
            tracing::warn!(b2b.contract = s.contract_id, error = %e, "enrollment-code sheet not written");
            failed.push(format!("contract {}: {e}", s.contract_id));
        } else {
            written += 1;
        }
        codes::record_refresh(state, s.contract_id, outcome, state.clock.now()).await?;
    }
    let summary = format!("{written} of {} contract code sheets written", sheets.len());
    if failed.is_empty() {
        Ok(summary)
    } else {
        anyhow::bail!("{summary}; {}", failed.join("; "))
    }
}

pub fn update_code_sheets(client: super::JobClient) -> JobDef {
    JobDef::new(
        NAME,
        "0 30 * * * *",
        "Writes each B2B code contract's enrollment codes to its Google Sheet.",
        move |state| {
            let client = client.clone();
            async move {
                match client {
                    Err(e) => anyhow::bail!("{e}"),
                    Ok(Some(c)) => refresh(&state, &c).await,
                    Ok(None) => Ok(
                        "Google Sheets is not configured (MITXONLINE_SHEETS_CREDENTIALS); nothing written"
                            .into(),
                    ),
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sheet_is_a_header_then_the_codes_and_stale_rows_are_blanked() {
        let row = |c: &str| {
            [
                c.to_owned(),
                "one-time".into(),
                "0".into(),
                String::new(),
                String::new(),
                String::new(),
            ]
        };
        let data = sheet_data("Sheet1", &[row("A1"), row("B2")], 4);
        let ranges: Vec<&str> = data.iter().map(|(r, _)| r.as_str()).collect();
        assert_eq!(
            ranges,
            [
                "'Sheet1'!A1:F1",
                "'Sheet1'!A2:F2",
                "'Sheet1'!A3:F3",
                "'Sheet1'!A4:F4",
                "'Sheet1'!A5:F5"
            ]
        );
        assert_eq!(data[0].1[0], "Enrollment Code");
        assert_eq!(data[2].1[0], "B2");
        assert_eq!(data[4].1, vec![json!(""); 6]);
    }
}
