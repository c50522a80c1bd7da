//! The demo's flexible pricing: four financial-assistance tiers (75%, 50%, 25% and 0% off from
//! $0, $25,000, $50,000 and $75,000) on every course and program that sells a product, a
//! request form under each of their pages, the sandbox exchange-rate table and a few country
//! thresholds. Idempotent: nothing is added once the tier discounts exist.

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use rust_decimal::Decimal;

use crate::commerce::discounts::links::{Courseware, Tier};
use crate::commerce::discounts::model::DiscountRow;
use crate::commerce::discounts::rules::PaymentType;
use crate::integrations::exchange_rates::sandbox;
use crate::pricing::model::DISALLOWED_CURRENCIES;
use crate::pricing::store::{self, FormTexts};

/// The tiers: (code, percent off, income threshold in USD).
pub const TIERS: [(&str, i64, i64); 4] = [
    ("FA-DEMO-75", 75, 0),
    ("FA-DEMO-50", 50, 25_000),
    ("FA-DEMO-25", 25, 50_000),
    ("FA-DEMO-0", 0, 75_000),
];

fn texts() -> FormTexts {
    FormTexts {
        title: "Financial assistance".into(),
        intro: "The price of this course depends on your income and ability to pay. Tell us your annual income \
                and we will show you your price."
            .into(),
        guest_text: "Please sign in or create an account to ask for financial assistance.".into(),
        processing_text: "Before you can get financial assistance, you need to verify your income. Please upload an \
                          English-translated and notarized income tax or income statement document, or send it by \
                          mail. Do not send documents by email."
            .into(),
        approved_text: "Your financial assistance request is approved. You can now pay the reduced price.".into(),
        approved_no_discount_text: "You did not qualify for financial assistance. You can audit the course for free, \
                                    or pay full price for a certificate."
            .into(),
        denied_text: "Your request for financial assistance has been denied. You can audit the course for free, or \
                      pay full price for a certificate."
            .into(),
    }
}

/// Loads the demo's flexible pricing; returns how many forms were created.
pub fn load(c: &Connection, now: DateTime<Utc>) -> anyhow::Result<usize> {
    if !crate::commerce::discounts::store::discounts_by_code(c, TIERS[0].0)?.is_empty() {
        return Ok(0);
    }
    let mut discounts = Vec::new();
    for (code, percent, threshold) in TIERS {
        let id = crate::commerce::discounts::store::insert_discount(
            c,
            &DiscountRow::percent_off(code, Decimal::from(percent), PaymentType::FinancialAssistance),
            now,
        )?;
        discounts.push((id, Decimal::from(threshold)));
    }
    let mut coursewares = Vec::new();
    for (program, id, _, _) in crate::catalog::service::coursewares(c)? {
        if crate::catalog::service::courseware_product(c, program, id)?.is_some() || program {
            coursewares.push(if program {
                Courseware::Program(id)
            } else {
                Courseware::Course(id)
            });
        }
    }
    let mut forms = 0;
    for w in coursewares {
        for (discount, threshold) in &discounts {
            crate::commerce::discounts::links::insert_tier(
                c,
                &Tier {
                    id: 0,
                    discount_id: *discount,
                    courseware: w,
                    current: true,
                    income_threshold_usd: *threshold,
                },
                now,
            )?;
        }
        store::save_form(c, w, &texts(), true, now)?;
        forms += 1;
    }
    let table = crate::integrations::exchange_rates::parse(sandbox::LATEST_JSON, sandbox::CURRENCIES_JSON)?;
    let rates: Vec<store::Rate> = table
        .rates
        .iter()
        .filter(|(code, _)| !DISALLOWED_CURRENCIES.contains(&code.as_str()))
        .map(|(code, r)| (code.clone(), table.descriptions.get(code).cloned(), *r))
        .collect();
    store::replace_rates(c, &rates, now)?;
    for (country, income) in [
        ("US", 75_000),
        ("IN", 25_000),
        ("NG", 20_000),
        ("BR", 35_000),
        ("DE", 60_000),
    ] {
        store::upsert_threshold(c, country, Decimal::from(income), now)?;
    }
    Ok(forms)
}
