//! Staff use case: change a contract's terms (name, description, membership, dates, seats,
//! price, welcome messages, variant options, the active flag). Validated like a new contract
//! (a 4xx naming the field, nothing stored), seats never below those already taken; a change
//! to seats, price, dates or membership brings the codes up to date ([`codes::ensure_codes`]);
//! audited with the terms before and after, in the same transaction.

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde::Deserialize;
use serde_json::{Value, json};

use super::admin::NewContract;
use super::codes::{self, CodeChanges};
use super::error::B2bError;
use super::model::Contract;
use super::store;
use crate::state::AppState;

/// A contract's terms as posted from its staff page (the slug never changes).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ContractEdit {
    #[serde(flatten)]
    pub terms: NewContract,
    /// A checkbox: present (any value) = active.
    pub active: Option<String>,
    /// One variant set a line, `language[, length[, industry]]`; the first is the default.
    #[serde(default)]
    pub variant_options: String,
}

fn variant_part(s: &str, max: usize) -> bool {
    s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The variant sets from their text (empty: English only, as a new contract).
pub fn parse_variants(text: &str) -> Result<Value, B2bError> {
    let bad = |m: &str| B2bError::invalid("variant_options", m);
    let mut out: Vec<Value> = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let parts: Vec<&str> = line.split(',').map(str::trim).collect();
        if parts.len() > 3 {
            return Err(bad("Write each variant as: language, length, industry."));
        }
        let (lang, length, industry) = (
            parts[0],
            parts.get(1).copied().unwrap_or(""),
            parts.get(2).copied().unwrap_or(""),
        );
        if lang.is_empty()
            || !variant_part(lang, 10)
            || !variant_part(length, 20)
            || !variant_part(industry, 20)
        {
            return Err(bad(
                "A variant is a language code (like en or es_419) and optional length and industry \
                 (letters, digits, - or _).",
            ));
        }
        let v = json!({ "language": lang, "variant_length": length, "variant_industry": industry, "default_variant": out.is_empty() });
        if out.iter().any(|o| {
            (&o["language"], &o["variant_length"], &o["variant_industry"])
                == (&v["language"], &v["variant_length"], &v["variant_industry"])
        }) {
            return Err(bad("Each variant may be listed once."));
        }
        out.push(v);
    }
    if out.is_empty() {
        return Ok(super::admin::default_variants());
    }
    Ok(Value::Array(out))
}

/// The variant sets as the form shows them (one a line, the default first).
pub fn variants_text(options: &Value) -> String {
    let mut list: Vec<&Value> = options.as_array().map(|l| l.iter().collect()).unwrap_or_default();
    list.sort_by_key(|o| o["default_variant"].as_bool() != Some(true));
    list.iter()
        .map(|o| {
            let parts = [&o["language"], &o["variant_length"], &o["variant_industry"]]
                .map(|p| p.as_str().unwrap_or(""));
            let n = parts.iter().rposition(|p| !p.is_empty()).map_or(1, |i| i + 1);
            parts[..n].join(", ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether the change touches what the codes follow.
fn codes_follow(a: &Contract, b: &Contract) -> bool {
    (
        a.membership_type,
        a.max_learners,
        a.price(),
        a.contract_start,
        a.contract_end,
    ) != (
        b.membership_type,
        b.max_learners,
        b.price(),
        b.contract_start,
        b.contract_end,
    )
}

pub fn update_contract_in(
    c: &Connection,
    id: i64,
    input: &ContractEdit,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Option<CodeChanges>, B2bError> {
    let old = store::contract(c, id)?.ok_or_else(|| B2bError::NotFound("No such contract.".into()))?;
    let mut terms = input.terms.clone();
    terms.slug.clone_from(&old.slug);
    let mut k = terms.parse(old.organization_id)?;
    k.id = id;
    k.active = input.active.is_some();
    k.variant_options = parse_variants(&input.variant_options)?;
    let taken = store::attached_count(c, id)?;
    if let Some(m) = k.seat_limit()
        && m < taken
    {
        return Err(B2bError::invalid(
            "max_learners",
            format!("{taken} seats are taken: the limit cannot be lower (0 = unlimited)."),
        ));
    }
    store::update_contract(c, &k, now)?;
    let changes = if codes_follow(&old, &k) {
        Some(codes::ensure_codes(c, &k, now)?)
    } else {
        None
    };
    crate::audit::record(
        c,
        None,
        actor,
        "b2b.update_contract",
        "b2b_contract",
        &id.to_string(),
        Some(&json!(old)),
        Some(&json!({ "contract": k, "codes": changes })),
        now,
    )?;
    Ok(changes)
}

/// Changes a contract's terms; returns what happened to its codes (when they had to follow).
pub async fn update_contract(
    state: &AppState,
    id: i64,
    input: ContractEdit,
    actor: String,
) -> Result<Option<CodeChanges>, B2bError> {
    super::admin::write_now(state, move |c, now| {
        update_contract_in(c, id, &input, &actor, now)
    })
    .await
}
