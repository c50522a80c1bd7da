//! The Google Sheet of a code contract's enrollment codes (surface §5.2; the original's
//! `b2b/sheets.py`): which sheet (`b2b_contract_sheets`, set by staff on the contract page),
//! and the rows to write there — a header, then one row per code (most redeemed first, at most
//! the contract's seats): Enrollment Code, Use Type, Total Redemptions, Invalidated On,
//! Redeemed By, Redeemed On. The `update-b2b-enrollment-code-sheets` job
//! (`integrations::sheets::b2b_codes`) writes them hourly and records how it went here.
//!
//! Reads `discounts` (code, type, expiry) and `users` (the redeemer's email) read-only.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::B2bError;
use super::model::MembershipType;
use crate::clock::to_db;
use crate::db::from_row;
use crate::state::AppState;

/// The sheet's header row.
pub const COLUMNS: [&str; 6] = [
    "Enrollment Code",
    "Use Type",
    "Total Redemptions",
    "Invalidated On",
    "Redeemed By",
    "Redeemed On",
];

/// Where a contract's codes go and how the last refresh went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeSheet {
    pub contract_id: i64,
    pub spreadsheet: String,
    pub tab: String,
    pub rows_written: usize,
    pub refreshed_on: Option<String>,
    pub last_error: String,
}

/// A spreadsheet id from a Google Sheets URL (`…/spreadsheets/d/<id>/edit…`) or a bare id.
pub fn spreadsheet_id(target: &str) -> Option<String> {
    let t = target.trim();
    let id = match t.split_once("/spreadsheets/d/") {
        Some((_, rest)) => rest.split(['/', '?', '#']).next().unwrap_or_default(),
        None if !t.contains('/') => t,
        None => "",
    };
    (!id.is_empty()
        && id.len() <= 200
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    .then(|| id.to_owned())
}

fn sheet_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CodeSheet> {
    from_row!(
        r,
        CodeSheet {
            contract_id,
            spreadsheet,
            tab,
            rows_written: (|n: i64| n as usize),
            refreshed_on,
            last_error
        }
    )
}

const SHEET_SQL: &str =
    "SELECT contract_id, spreadsheet, tab, rows_written, refreshed_on, last_error FROM b2b_contract_sheets";

pub fn sheet_of(c: &Connection, contract: i64) -> rusqlite::Result<Option<CodeSheet>> {
    c.query_row(
        &format!("{SHEET_SQL} WHERE contract_id = ?1"),
        [contract],
        sheet_row,
    )
    .optional()
}

/// Sets (or, with an empty target, removes) the sheet of a code contract. Audited.
pub async fn set_sheet(
    state: &AppState,
    contract: i64,
    target: String,
    tab: String,
    actor: String,
) -> Result<(), B2bError> {
    let now = state.clock.now();
    let target = target.trim().to_owned();
    let id = if target.is_empty() {
        None
    } else {
        Some(spreadsheet_id(&target).ok_or_else(|| {
            B2bError::invalid(
                "google_sheet_target",
                "Give a Google Sheets URL or spreadsheet id.",
            )
        })?)
    };
    let tab = Some(tab.trim().to_owned())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "Sheet1".into());
    if tab.len() > 100 {
        return Err(B2bError::invalid(
            "google_sheet_target_tab",
            "At most 100 characters.",
        ));
    }
    state
        .db
        .write(move |c| {
            let k = super::store::contract(c, contract)?
                .ok_or_else(|| B2bError::NotFound("No contract matches the given query.".into()))?;
            if id.is_some() && k.membership_type != MembershipType::Code {
                return Err(B2bError::invalid(
                    "google_sheet_target",
                    "Only a code contract has an enrollment-code sheet.",
                ));
            }
            let before = sheet_of(c, contract)?.map(|s| serde_json::json!({"spreadsheet": s.spreadsheet, "tab": s.tab}));
            match &id {
                Some(id) => c.execute(
                    "INSERT INTO b2b_contract_sheets (contract_id, spreadsheet, tab, updated_on) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (contract_id) DO UPDATE SET spreadsheet = excluded.spreadsheet, tab = excluded.tab,
                         rows_written = CASE WHEN spreadsheet = excluded.spreadsheet AND tab = excluded.tab THEN rows_written ELSE 0 END,
                         last_error = '', updated_on = excluded.updated_on",
                    params![contract, id, tab, to_db(now)],
                )?,
                None => c.execute("DELETE FROM b2b_contract_sheets WHERE contract_id = ?1", [contract])?,
            };
            let after = id.as_ref().map(|id| serde_json::json!({"spreadsheet": id, "tab": tab}));
            crate::audit::record(
                c,
                None,
                &actor,
                "set_code_sheet",
                "b2b_contract",
                &contract.to_string(),
                before.as_ref(),
                after.as_ref(),
                now,
            )?;
            Ok(())
        })
        .await
}

/// Every code contract with a sheet.
pub async fn code_sheets(state: &AppState) -> Result<Vec<CodeSheet>, B2bError> {
    Ok(state
        .db
        .read(|c| {
            c.prepare(&format!(
                "{SHEET_SQL} WHERE contract_id IN (SELECT id FROM b2b_contracts WHERE membership_type = 'code')
                 ORDER BY contract_id"
            ))?
            .query_map([], sheet_row)?
            .collect::<rusqlite::Result<Vec<_>>>()
        })
        .await?)
}

/// The code rows of a contract (without the header), most redeemed first, at most its seats.
pub fn code_rows(c: &Connection, contract: i64) -> rusqlite::Result<Vec<[String; 6]>> {
    let seats: Option<i64> = c
        .query_row(
            "SELECT max_learners FROM b2b_contracts WHERE id = ?1",
            [contract],
            |r| r.get(0),
        )
        .optional()?
        .flatten()
        .filter(|m| *m > 0);
    let mut stmt = c.prepare(
        "SELECT d.discount_code, d.redemption_type, d.expiration_date,
                (SELECT count(*) FROM b2b_code_redemptions r WHERE r.discount_id = k.discount_id AND r.user_id IS NOT NULL) AS n,
                (SELECT u.email FROM b2b_code_redemptions r JOIN users u ON u.id = r.user_id
                  WHERE r.discount_id = k.discount_id ORDER BY r.id DESC LIMIT 1),
                (SELECT coalesce(r.redeemed_on, r.created_on) FROM b2b_code_redemptions r
                  WHERE r.discount_id = k.discount_id AND r.user_id IS NOT NULL ORDER BY r.id DESC LIMIT 1)
         FROM b2b_codes k JOIN discounts d ON d.id = k.discount_id
         WHERE k.contract_id = ?1 ORDER BY n DESC, k.discount_id LIMIT ?2",
    )?;
    stmt.query_map(params![contract, seats.unwrap_or(-1)], |r| {
        let kind: String = r.get(1)?;
        let expires: Option<String> = r.get(2)?;
        let n: i64 = r.get(3)?;
        let by: Option<String> = r.get(4)?;
        let on: Option<String> = r.get(5)?;
        let invalidated = expires.unwrap_or_else(|| {
            if kind != "unlimited" && n > 0 {
                on.clone().unwrap_or_default()
            } else {
                String::new()
            }
        });
        Ok([
            r.get(0)?,
            kind,
            n.to_string(),
            invalidated,
            by.unwrap_or_default(),
            on.unwrap_or_default(),
        ])
    })?
    .collect()
}

/// The rows of a contract's sheet now.
pub async fn rows_now(state: &AppState, contract: i64) -> Result<Vec<[String; 6]>, B2bError> {
    Ok(state.db.read(move |c| code_rows(c, contract)).await?)
}

/// Records a refresh: how many code rows the sheet holds now, or why it failed.
pub async fn record_refresh(
    state: &AppState,
    contract: i64,
    outcome: Result<usize, String>,
    now: DateTime<Utc>,
) -> Result<(), B2bError> {
    state
        .db
        .write(move |c| {
            match &outcome {
                Ok(rows) => c.execute(
                    "UPDATE b2b_contract_sheets SET rows_written = ?2, refreshed_on = ?3, last_error = '' WHERE contract_id = ?1",
                    params![contract, *rows as i64, to_db(now)],
                )?,
                Err(e) => c.execute(
                    "UPDATE b2b_contract_sheets SET last_error = ?2 WHERE contract_id = ?1",
                    params![contract, e],
                )?,
            };
            Ok::<_, rusqlite::Error>(())
        })
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_sheet_target_is_a_google_sheets_url_or_a_bare_id() {
        use super::spreadsheet_id as id;
        assert_eq!(
            id("https://docs.google.com/spreadsheets/d/1AbC-d_9/edit#gid=0").as_deref(),
            Some("1AbC-d_9")
        );
        assert_eq!(id(" 1AbC ").as_deref(), Some("1AbC"));
        assert_eq!(id("https://example.com/x"), None);
        assert_eq!(id("bad id"), None);
    }
}
