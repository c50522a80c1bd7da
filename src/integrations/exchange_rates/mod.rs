//! Open Exchange Rates (surface §4.7, §10): `currencies.json` (code → description) and
//! `latest.json?app_id=…` (code → units per US dollar), read by the daily
//! `update-currency-exchange-rates` job. A typed client with its own error; no web layer and no
//! domain module. Without `MITXONLINE_OPEN_EXCHANGE_RATES_APP_ID` (dev/test) the built-in
//! [`sandbox`] answers the same two documents with a fixed, realistic table, and the same
//! parser reads them.

pub mod sandbox;

use std::collections::BTreeMap;
use std::time::Duration;

use rust_decimal::Decimal;
use serde_json::Value;

use crate::config::OpenExchangeRatesConfig;

/// Why the rates could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RatesError {
    #[error(
        "Open Exchange Rates is not configured (MITXONLINE_OPEN_EXCHANGE_RATES_APP_ID) and sandboxes are off"
    )]
    NotConfigured,
    #[error("Open Exchange Rates request to {0} failed: {1}")]
    Transport(String, String),
    #[error("Open Exchange Rates answered {1} for {0}")]
    Status(String, u16),
    #[error("Open Exchange Rates sent an unreadable {0}: {1}")]
    Body(&'static str, String),
}

/// Where the rates come from.
#[derive(Debug, Clone)]
pub enum Source {
    Live(OpenExchangeRatesConfig),
    Sandbox,
    Unconfigured,
}

/// The two documents, parsed: rates per USD and descriptions, by currency code.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub rates: BTreeMap<String, Decimal>,
    pub descriptions: BTreeMap<String, String>,
}

fn number(v: &Value) -> Option<Decimal> {
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => return None,
    };
    text.parse::<Decimal>()
        .ok()
        .or_else(|| Decimal::from_scientific(&text).ok())
        .filter(|d| *d > Decimal::ZERO)
}

/// Parses `latest.json` and `currencies.json`.
pub fn parse(latest: &str, currencies: &str) -> Result<Table, RatesError> {
    let latest: Value =
        serde_json::from_str(latest).map_err(|e| RatesError::Body("latest.json", e.to_string()))?;
    let rates = latest
        .get("rates")
        .and_then(Value::as_object)
        .ok_or_else(|| RatesError::Body("latest.json", "no `rates` object".into()))?;
    let mut table = Table::default();
    for (code, v) in rates {
        let rate = number(v).ok_or_else(|| {
            RatesError::Body("latest.json", format!("rate of {code} is not a positive number"))
        })?;
        table.rates.insert(code.clone(), rate);
    }
    let currencies: Value =
        serde_json::from_str(currencies).map_err(|e| RatesError::Body("currencies.json", e.to_string()))?;
    let names = currencies
        .as_object()
        .ok_or_else(|| RatesError::Body("currencies.json", "not an object".into()))?;
    for (code, v) in names {
        if let Some(name) = v.as_str() {
            table.descriptions.insert(code.clone(), name.to_owned());
        }
    }
    Ok(table)
}

async fn get(http: &reqwest::Client, url: reqwest::Url, shown: String) -> Result<String, RatesError> {
    let r = http
        .get(url)
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .map_err(|e| RatesError::Transport(shown.clone(), e.to_string()))?;
    if !r.status().is_success() {
        return Err(RatesError::Status(shown, r.status().as_u16()));
    }
    r.text()
        .await
        .map_err(|e| RatesError::Transport(shown, e.to_string()))
}

/// Fetches both documents from the source.
pub async fn fetch(http: &reqwest::Client, source: &Source) -> Result<Table, RatesError> {
    match source {
        Source::Unconfigured => Err(RatesError::NotConfigured),
        Source::Sandbox => parse(sandbox::LATEST_JSON, sandbox::CURRENCIES_JSON),
        Source::Live(cfg) => {
            let join = |p: &str| {
                cfg.url
                    .join(p)
                    .map_err(|e| RatesError::Transport(p.to_owned(), e.to_string()))
            };
            let currencies = get(http, join("currencies.json")?, "currencies.json".into()).await?;
            let mut latest_url = join("latest.json")?;
            latest_url
                .query_pairs_mut()
                .append_pair("app_id", cfg.app_id.expose());
            // The app id never appears in errors or logs.
            let latest = get(http, latest_url, "latest.json".into()).await?;
            parse(&latest, &currencies)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sandbox_documents_parse_into_a_realistic_table() {
        let t = parse(sandbox::LATEST_JSON, sandbox::CURRENCIES_JSON).unwrap();
        assert_eq!(t.rates["USD"], Decimal::ONE);
        assert!(t.rates["EUR"] > Decimal::new(5, 1) && t.rates["EUR"] < Decimal::ONE);
        assert!(
            t.rates.contains_key("IRR"),
            "the sandbox has the currencies the job skips"
        );
        assert_eq!(t.descriptions["INR"], "Indian Rupee");
    }

    #[test]
    fn unreadable_documents_are_errors_naming_the_document() {
        assert!(matches!(
            parse("{}", "{}"),
            Err(RatesError::Body("latest.json", _))
        ));
        assert!(matches!(
            parse(r#"{"rates":{"EUR":"x"}}"#, "{}"),
            Err(RatesError::Body("latest.json", _))
        ));
        assert!(matches!(
            parse(r#"{"rates":{"EUR":0.9}}"#, "[]"),
            Err(RatesError::Body("currencies.json", _))
        ));
        let t = parse(r#"{"rates":{"VEF":2.5e5}}"#, "{}").unwrap();
        assert_eq!(t.rates["VEF"], Decimal::from(250_000));
    }
}
