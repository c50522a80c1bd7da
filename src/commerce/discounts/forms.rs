//! The staff discount forms (`/staff/discounts/`): create and edit a discount with every rule of
//! the model, and make a batch of codes with a prefix, downloaded as CSV. The same checks as the
//! JSON API ([`super::api`]); a bad field is a 400 naming it, with nothing changed.

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde_json::Value;

use super::api::{Batch, DiscountInput, batch_template, merge};
use super::model::DiscountRow;
use super::service;
use crate::http::error::AppError;
use crate::http::page::PageCtx;
use crate::http::staff_page::StaffPage;

type Fields = BTreeMap<String, String>;

fn text(f: &Fields, k: &str) -> Option<String> {
    f.get(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// A `YYYY-MM-DD` date field as the API's RFC 3339 (start of that day, UTC); empty clears it.
fn date(f: &Fields, k: &'static str) -> Result<Option<String>, AppError> {
    match text(f, k) {
        None => Ok(Some(String::new())),
        Some(d) => chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d")
            .map(|d| Some(format!("{d}T00:00:00Z")))
            .map_err(|_| AppError::field(k, "Enter a date as YYYY-MM-DD.")),
    }
}

fn input(f: &Fields) -> Result<DiscountInput, AppError> {
    let max_redemptions = match text(f, "max_redemptions") {
        None => Some(0),
        Some(v) => Some(
            v.parse::<u32>()
                .map_err(|_| AppError::field("max_redemptions", "Enter a whole number (0 for no limit)."))?,
        ),
    };
    Ok(DiscountInput {
        discount_code: text(f, "discount_code"),
        amount: text(f, "amount").map(Value::String),
        automatic: Some(f.get("automatic").is_some_and(|v| v == "on")),
        discount_type: text(f, "discount_type"),
        redemption_type: text(f, "redemption_type"),
        payment_type: Some(text(f, "payment_type").unwrap_or_default()),
        max_redemptions,
        activation_date: date(f, "activation_date")?,
        expiration_date: date(f, "expiration_date")?,
    })
}

fn select(name: &str, options: &[&str], current: &str, blank: bool) -> Markup {
    html! {
        select name=(name) id=(name) {
            @if blank { option value="" selected[current.is_empty()] { "—" } }
            @for o in options { option value=(o) selected[*o == current] { (o) } }
        }
    }
}

/// The fields of a discount, filled from `d` when editing.
fn terms(d: Option<&DiscountRow>, with_code: bool) -> Markup {
    let day = |v: &Option<String>| {
        v.as_deref()
            .map(|s| s.chars().take(10).collect::<String>())
            .unwrap_or_default()
    };
    html! {
        @if with_code {
            label for="discount_code" { "Code" }
            input id="discount_code" name="discount_code" required value=(d.map_or("", |d| d.discount_code.as_str()));
        }
        label for="amount" { "Amount" }
        input id="amount" name="amount" required inputmode="decimal" value=(d.map(|d| d.amount.to_string()).unwrap_or_default());
        label for="discount_type" { "Type" }
        (select("discount_type", &["percent-off", "dollars-off", "fixed-price"], d.map_or("percent-off", |d| d.discount_type.as_str()), false))
        label for="redemption_type" { "Redemption" }
        (select("redemption_type", &["unlimited", "one-time", "one-time-per-user"], d.map_or("unlimited", |d| d.redemption_type.as_str()), false))
        label for="payment_type" { "Payment type" }
        (select("payment_type", &["marketing", "sales", "financial-assistance", "customer-support", "staff", "legacy"], d.and_then(|d| d.payment_type).map_or("", |p| p.as_str()), true))
        label for="max_redemptions" { "Most redemptions (0: no limit)" }
        input id="max_redemptions" name="max_redemptions" inputmode="numeric" value=(d.map_or(0, |d| d.max_redemptions));
        label { input type="checkbox" name="automatic" value="on" checked[d.is_some_and(|d| d.automatic)]; " Automatic (applied without a code)" }
        label for="activation_date" { "Active from" }
        input id="activation_date" type="date" name="activation_date" value=(day(&d.and_then(|d| d.activation_date.clone())));
        label for="expiration_date" { "Expires" }
        input id="expiration_date" type="date" name="expiration_date" value=(day(&d.and_then(|d| d.expiration_date.clone())));
    }
}

/// The create and bulk forms for the list page.
pub fn new_forms(ctx: &PageCtx) -> Markup {
    html! {
        details {
            summary { "New discount" }
            form method="post" action=(ctx.prefix.url("/staff/discounts/")) class="stack" {
                (ctx.csrf_field())
                (terms(None, true))
                button type="submit" class="button" { "Create the discount" }
            }
        }
        details {
            summary { "Bulk codes (CSV)" }
            form method="post" action=(ctx.prefix.url("/staff/discounts/bulk/")) class="stack" {
                (ctx.csrf_field())
                label for="count" { "How many codes" }
                input id="count" name="count" required inputmode="numeric" value="10";
                label for="prefix" { "Prefix" }
                input id="prefix" name="prefix" required maxlength="63";
                (terms(None, false))
                button type="submit" class="button" { "Make the codes and download them" }
            }
        }
    }
}

/// The edit form for the detail page.
pub fn edit_form(ctx: &PageCtx, d: &DiscountRow) -> Markup {
    html! {
        details {
            summary { "Edit" }
            form method="post" action=(ctx.prefix.url(&format!("/staff/discounts/{}/edit/", d.id))) class="stack" {
                (ctx.csrf_field())
                (terms(Some(d), true))
                button type="submit" class="button" { "Save" }
            }
        }
    }
}

/// POST `/staff/discounts/`.
pub async fn create(r: StaffPage, Form(f): Form<Fields>) -> Result<Response, AppError> {
    let d = merge(None, &input(&f)?)?;
    let d = service::create(&r.state, r.access.actor, d).await?;
    Ok(Redirect::to(&r.ctx.prefix.url(&format!("/staff/discounts/{}/", d.id))).into_response())
}

/// POST `/staff/discounts/{id}/edit/`.
pub async fn edit(r: StaffPage, Path(id): Path<i64>, Form(f): Form<Fields>) -> Result<Response, AppError> {
    let before = service::get(&r.state, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let d = merge(Some(before.clone()), &input(&f)?)?;
    service::update(&r.state, r.access.actor, before, d).await?;
    Ok(Redirect::to(&r.ctx.prefix.url(&format!("/staff/discounts/{id}/"))).into_response())
}

/// POST `/staff/discounts/bulk/`: the codes as a CSV download.
pub async fn bulk(r: StaffPage, Form(f): Form<Fields>) -> Result<Response, AppError> {
    let count = match text(&f, "count") {
        None => 0,
        Some(v) => v
            .parse()
            .map_err(|_| AppError::field("count", "Enter a number between 1 and 5000."))?,
    };
    let batch = Batch {
        count,
        prefix: text(&f, "prefix"),
        terms: input(&f)?,
        one_time: false,
        once_per_user: false,
    };
    let ((template, count), prefix) = batch_template(batch)?;
    let codes = service::create_batch(&r.state, r.access.actor, template, prefix.clone(), count).await?;
    let mut csv =
        String::from("discount_code,amount,discount_type,redemption_type,activation_date,expiration_date\n");
    let cell = |v: &Value| {
        v.as_str().map_or_else(
            || if v.is_null() { String::new() } else { v.to_string() },
            str::to_owned,
        )
    };
    for c in codes.iter().map(crate::commerce::discounts::shapes::discount) {
        csv.push_str(&format!(
            "{},{},{},{},{},{}\n",
            cell(&c["discount_code"]),
            cell(&c["amount"]),
            cell(&c["discount_type"]),
            cell(&c["redemption_type"]),
            cell(&c["activation_date"]),
            cell(&c["expiration_date"])
        ));
    }
    let name = format!(
        "attachment; filename=\"{}codes.csv\"",
        prefix.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_")
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, name),
        ],
        csv,
    )
        .into_response())
}
