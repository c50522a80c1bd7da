//! Exchange rates and country income thresholds (surface §1.6, §4.7): the daily
//! `update-currency-exchange-rates` job (full replace from Open Exchange Rates or its sandbox,
//! skipping the disallowed currencies; a failed fetch keeps the old table), staff-only edits
//! of single rows, and thresholds loaded from a `country,income` CSV with a dry run.

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::integrations::exchange_rates::{self, Source};
use crate::pricing::model::DISALLOWED_CURRENCIES;
use crate::pricing::service::PricingError;
use crate::pricing::store::{self, Rate};
use crate::state::AppState;

/// The job's name and schedule (the original's `update-currency-exchange-rates-every-24-hrs`).
pub const JOB: &str = "update-currency-exchange-rates";

/// The configured source of rates.
pub fn source(state: &AppState) -> Source {
    match &state.config.open_exchange_rates {
        Some(c) => Source::Live(c.clone()),
        None if state.config.exchange_rates_sandbox() => Source::Sandbox,
        None => Source::Unconfigured,
    }
}

/// Fetches the latest rates and replaces the table in one write. Returns how many were stored.
pub async fn update_exchange_rates(state: &AppState) -> Result<usize, PricingError> {
    let table = exchange_rates::fetch(&state.http_client, &source(state))
        .await
        .map_err(|e| PricingError::Upstream(e.to_string()))?;
    let rows: Vec<Rate> = table
        .rates
        .iter()
        .filter(|(code, _)| !DISALLOWED_CURRENCIES.contains(&code.as_str()) && code.len() == 3)
        .map(|(code, rate)| (code.clone(), table.descriptions.get(code).cloned(), *rate))
        .collect();
    let n = rows.len();
    state
        .write_at(move |c, now| {
            store::replace_rates(c, &rows, now)?;
            crate::audit::record(
                c,
                None,
                "job",
                "replace",
                "currency_exchange_rates",
                "*",
                None,
                Some(&json!({"count": rows.len()})),
                now,
            )?;
            Ok::<_, PricingError>(())
        })
        .await?;
    Ok(n)
}

/// Registers the job.
pub fn register(state: &AppState) {
    state.jobs.add(crate::jobs::JobDef::new(
        JOB,
        "0 0 3 * * *",
        "Replaces the currency exchange rates with Open Exchange Rates' latest (sandbox table when unconfigured).",
        |state| async move {
            let n = update_exchange_rates(&state).await?;
            Ok(format!("stored {n} exchange rates"))
        },
    ));
}

/// A rate as the API renders it (`CurrencyExchangeRateSerializer`, plus `description`).
pub fn rate_json((id, r): &(i64, Rate)) -> crate::pricing::shapes::ExchangeRate {
    crate::pricing::shapes::ExchangeRate {
        id: *id,
        currency_code: r.0.clone(),
        exchange_rate: r.2.normalize().to_string(),
        description: r.1.clone(),
    }
}

/// A threshold as the API renders it (`CountryIncomeThresholdSerializer`).
pub fn threshold_json(
    (id, country, income): &(i64, String, Decimal),
) -> crate::pricing::shapes::IncomeThreshold {
    crate::pricing::shapes::IncomeThreshold {
        id: *id,
        country_code: country.clone(),
        income_threshold: income.normalize().to_string(),
    }
}

/// Every stored rate with its id.
pub async fn rates(state: &AppState) -> Result<Vec<(i64, Rate)>, PricingError> {
    Ok(state.db.read(store::rate_rows).await?)
}

fn parse_amount(field: &'static str, v: &Value) -> Result<Decimal, PricingError> {
    match v {
        Value::Number(n) => n.to_string().parse::<Decimal>().ok(),
        Value::String(s) => s.trim().parse::<Decimal>().ok(),
        _ => None,
    }
    .filter(|d| !d.is_sign_negative())
    .ok_or_else(|| PricingError::field(field, "A non-negative number is required."))
}

/// Creates or changes one rate (staff only; audited). Returns `(created, rate)`.
pub async fn save_rate(
    state: &AppState,
    actor: String,
    code: &str,
    rate: &Value,
    description: Option<String>,
) -> Result<(bool, (i64, Rate)), PricingError> {
    let code = code.trim().to_ascii_uppercase();
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(PricingError::field(
            "currency_code",
            "A three-letter currency code is required.",
        ));
    }
    let value = parse_amount("exchange_rate", rate)?;
    if value.is_zero() {
        return Err(PricingError::field(
            "exchange_rate",
            "The rate must be above zero.",
        ));
    }
    let row: Rate = (code, description, value);
    let describe = |r: &(i64, Rate)| {
        (
            r.1.0.clone(),
            crate::commerce::discounts::service::json(&rate_json(r)),
        )
    };
    save_audited(state, actor, "currency_exchange_rate", describe, move |c, now| {
        let created = store::upsert_rate(c, &row, now)?;
        Ok((created, store::rate_row(c, &row.0)?.unwrap_or((0, row))))
    })
    .await
}

/// Runs `save` (which upserts a row and returns `(created, the row as stored)`) in one write
/// and audits a `create` or `update` of `object_type`: `describe` gives the row's key and JSON.
async fn save_audited<T: Send + 'static>(
    state: &AppState,
    actor: String,
    object_type: &'static str,
    describe: fn(&T) -> (String, Value),
    save: impl FnOnce(&Connection, DateTime<Utc>) -> rusqlite::Result<(bool, T)> + Send + 'static,
) -> Result<(bool, T), PricingError> {
    state
        .write_at(move |c, now| {
            let (created, saved) = save(c, now)?;
            let (key, after) = describe(&saved);
            let action = if created { "create" } else { "update" };
            crate::audit::record(
                c,
                None,
                &actor,
                action,
                object_type,
                &key,
                None,
                Some(&after),
                now,
            )?;
            Ok((created, saved))
        })
        .await
}

/// Deletes the row `key` with `delete` and audits it; a 404 saying `missing` when there was none.
async fn delete_audited(
    state: &AppState,
    actor: String,
    object_type: &'static str,
    key: String,
    missing: &'static str,
    delete: fn(&Connection, &str) -> rusqlite::Result<bool>,
) -> Result<(), PricingError> {
    state
        .write_at(move |c, now| {
            if !delete(c, &key)? {
                return Err(PricingError::NotFound(missing.into()));
            }
            crate::audit::record(c, None, &actor, "delete", object_type, &key, None, None, now)?;
            Ok(())
        })
        .await
}

/// Deletes one rate (staff only; audited).
pub async fn delete_rate(state: &AppState, actor: String, code: String) -> Result<(), PricingError> {
    let missing = "No CurrencyExchangeRate matches the given query.";
    delete_audited(
        state,
        actor,
        "currency_exchange_rate",
        code,
        missing,
        store::delete_rate,
    )
    .await
}

/// Every country threshold with its id.
pub async fn thresholds(state: &AppState) -> Result<Vec<(i64, String, Decimal)>, PricingError> {
    Ok(state.db.read(store::threshold_rows).await?)
}

fn country_code(field: &'static str, v: &str) -> Result<String, PricingError> {
    let code = v.trim().to_ascii_uppercase();
    crate::users::geo::country(&code)
        .map(|_| code)
        .ok_or_else(|| PricingError::field(field, "A known two-letter country code is required."))
}

/// Creates or changes one country's threshold (staff only; audited). Returns whether it was new.
pub async fn save_threshold(
    state: &AppState,
    actor: String,
    country: &str,
    income: &Value,
) -> Result<(bool, (i64, String, Decimal)), PricingError> {
    let code = country_code("country_code", country)?;
    let value = parse_amount("income_threshold", income)?;
    let describe = |t: &(i64, String, Decimal)| {
        (
            t.1.clone(),
            crate::commerce::discounts::service::json(&threshold_json(t)),
        )
    };
    save_audited(
        state,
        actor,
        "country_income_threshold",
        describe,
        move |c, now| {
            let created = store::upsert_threshold(c, &code, value, now)?;
            Ok((
                created,
                store::threshold_row(c, &code)?.unwrap_or((0, code, value)),
            ))
        },
    )
    .await
}

/// Deletes one country's threshold (staff only; audited).
pub async fn delete_threshold(state: &AppState, actor: String, country: String) -> Result<(), PricingError> {
    let missing = "No CountryIncomeThreshold matches the given query.";
    delete_audited(
        state,
        actor,
        "country_income_threshold",
        country,
        missing,
        store::delete_threshold,
    )
    .await
}

/// One row of a threshold CSV, compared with what is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThresholdChange {
    pub country: String,
    pub before: Option<Decimal>,
    pub after: Decimal,
}

/// `parse_country_income_thresholds`: a header row naming `country` and `income`, then one row
/// per country. Errors name the line.
pub fn parse_threshold_csv(text: &str) -> Result<Vec<(String, Decimal)>, PricingError> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<String> = lines
        .next()
        .ok_or_else(|| PricingError::field("csv", "Unable to find the header row"))?
        .split(',')
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| PricingError::field("csv", format!("Unable to find column header {name}")))
    };
    let (ci, ii) = (col("country")?, col("income")?);
    let mut out = Vec::new();
    for (n, line) in lines.enumerate() {
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let line_no = n + 2;
        let country = cells.get(ci).copied().unwrap_or_default();
        let code = country_code("csv", country).map_err(|_| {
            PricingError::field("csv", format!("line {line_no}: unknown country code `{country}`"))
        })?;
        let income = cells
            .get(ii)
            .and_then(|v| v.parse::<Decimal>().ok())
            .filter(|d| !d.is_sign_negative())
            .ok_or_else(|| {
                PricingError::field(
                    "csv",
                    format!("line {line_no}: income must be a non-negative number"),
                )
            })?;
        out.push((code, income));
    }
    Ok(out)
}

/// Loads thresholds from CSV text: with `dry_run` only reports the changes; otherwise applies
/// them in one write (audited). Rows that change nothing are left out of the report.
pub async fn load_thresholds(
    state: &AppState,
    actor: String,
    csv: String,
    dry_run: bool,
) -> Result<Vec<ThresholdChange>, PricingError> {
    let rows = parse_threshold_csv(&csv)?;
    state
        .write_at(move |c, now| {
            let mut changes = Vec::new();
            for (country, income) in &rows {
                let before = store::threshold(c, country)?;
                if before != Some(*income) {
                    changes.push(ThresholdChange {
                        country: country.clone(),
                        before,
                        after: *income,
                    });
                }
            }
            if !dry_run {
                for ch in &changes {
                    store::upsert_threshold(c, &ch.country, ch.after, now)?;
                }
                crate::audit::record(
                    c,
                    None,
                    &actor,
                    "load_csv",
                    "country_income_threshold",
                    "*",
                    None,
                    Some(&json!({"changed": changes.len()})),
                    now,
                )?;
            }
            Ok(changes)
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_threshold_csv_needs_both_headers_and_good_rows() {
        let ok = parse_threshold_csv("country,income\nUS,75000\nin, 5000.50\n").unwrap();
        assert_eq!(
            ok,
            vec![
                ("US".into(), Decimal::from(75000)),
                ("IN".into(), "5000.50".parse().unwrap())
            ]
        );
        let err = |t: &str| match parse_threshold_csv(t) {
            Err(PricingError::Invalid(p)) => p[0].message.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(err(""), "Unable to find the header row");
        assert_eq!(
            err("country,amount\nUS,1\n"),
            "Unable to find column header income"
        );
        assert!(err("country,income\nZZ,1\n").contains("line 2"));
        assert!(err("country,income\nUS,-1\n").contains("line 2"));
    }
}
