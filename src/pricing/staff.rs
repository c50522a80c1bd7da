//! The staff review console at `/staff/flexible-pricing/`: the queue with filters (status,
//! courseware, search), and per request its income in both currencies, the country's
//! threshold, the applicable tiers and the approve / deny / reset forms (justification, optional
//! tier change, the denial's email). Decisions go through [`crate::pricing::review::decide`],
//! which audits and mails them.

use axum::extract::{Form, Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

use crate::commerce::discounts::service::json;

use crate::commerce::refunds::api::page_error;
use crate::http::error::AppError;
use crate::http::page::PageCtx;
use crate::http::staff_page::StaffPage;
use crate::pricing::api::filter_of;
use crate::pricing::model::{JUSTIFICATIONS, Status};
use crate::pricing::review::{self, DecisionInput};
use crate::staff::pages::staff_page;

#[derive(Deserialize, Default)]
pub struct QueueQuery {
    q: Option<String>,
    status: Option<String>,
    courseware: Option<String>,
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

fn settings_nav(ctx: &PageCtx) -> Markup {
    html! {
        p {
            a href=(ctx.prefix.url("/staff/flexible-pricing/")) { "Requests" } " · "
            a href=(ctx.prefix.url("/staff/flexible-pricing/thresholds/")) { "Income thresholds" } " · "
            a href=(ctx.prefix.url("/staff/flexible-pricing/exchange-rates/")) { "Exchange rates" } " · "
            a href=(ctx.prefix.url("/staff/flexible-pricing/forms/")) { "Request forms" }
        }
    }
}

/// GET `/staff/flexible-pricing/`: the queue.
pub async fn queue(page: StaffPage, Query(q): Query<QueueQuery>) -> Result<Markup, AppError> {
    let f = filter_of(q.q.as_deref(), q.status.as_deref(), q.courseware.as_deref())?;
    let (count, rows) = review::queue(&page.state, f, 200, 0).await?;
    let rows: Vec<Value> = rows.iter().map(json).collect();
    let coursewares: Vec<Value> = review::coursewares(&page.state).await?.iter().map(json).collect();
    let chosen = q.courseware.clone().unwrap_or_default();
    Ok(staff_page(
        &page.ctx,
        "Financial assistance requests",
        html! {
            (settings_nav(&page.ctx))
            form method="get" action=(page.ctx.prefix.url("/staff/flexible-pricing/")) class="filters" {
                label { "Search (name, username, email) " input type="search" name="q" value=[q.q.as_deref()]; }
                label { "Status "
                    select name="status" {
                        option value="" { "Any" }
                        @for st in Status::ALL {
                            option value=(st.as_str()) selected[q.status.as_deref() == Some(st.as_str())] { (st.label()) }
                        }
                    }
                }
                label { "Course or program "
                    select name="courseware" {
                        option value="" { "Any" }
                        @for w in &coursewares {
                            @let key = format!("{}:{}", s(w, "type"), w["id"]);
                            option value=(key) selected[key == chosen] { (s(w, "title")) " (" (s(w, "readable_id")) ")" }
                        }
                    }
                }
                button type="submit" { "Filter" }
            }
            p { (count) " request(s)" }
            div class="table-wrap" {
                table class="fp-queue" {
                    thead { tr {
                        th scope="col" { "Learner" } th scope="col" { "Course or program" } th scope="col" { "Status" }
                        th scope="col" { "Income" } th scope="col" { "Income (USD)" } th scope="col" { "Country threshold" }
                        th scope="col" { "Discount" } th scope="col" { "" }
                    } }
                    tbody {
                        @for r in &rows {
                            tr id=(format!("fp-{}", r["id"])) {
                                td { (s(&r["user"], "name")) br; span class="muted" { (s(&r["user"], "email")) } }
                                td { (s(&r["courseware"], "title")) }
                                td { span class="tag fp-status" { (s(r, "status")) } }
                                td { (s(&r["income"], "original_income")) " " (s(&r["income"], "original_currency")) }
                                td { "$" (s(&r["income"], "income_usd")) }
                                td { (r["country_income_threshold"].as_str().unwrap_or("75000 (default)")) " (" (s(r, "country_of_income")) ")" }
                                td { (s(&r["discount"], "discount_code")) }
                                td { a href=(page.ctx.prefix.url(&format!("/staff/flexible-pricing/{}/", r["id"]))) { "Review" } }
                            }
                        }
                    }
                }
            }
        },
    ))
}

fn decision_form(ctx: &PageCtx, id: &Value, status: &str, label: &str, r: &Value, deny: bool) -> Markup {
    html! {
        form method="post" action=(ctx.prefix.url(&format!("/staff/flexible-pricing/{id}/decide/"))) class=(format!("fp-{status}")) {
            (ctx.csrf_field())
            input type="hidden" name="status" value=(status);
            label { "Justification "
                select name="justification" {
                    @if status == "reset" { option value="" { "(none)" } }
                    @for j in JUSTIFICATIONS { option value=(j) { (j) } }
                }
            }
            @if status == "approved" {
                label { "Tier "
                    select name="discount" {
                        @for d in r["applicable_discounts"].as_array().into_iter().flatten() {
                            option value=(d["id"]) selected[d["id"] == r["discount"]["id"]] {
                                (s(d, "discount_code")) " — " (s(d, "discount_type")) " " (s(d, "amount"))
                            }
                        }
                    }
                }
            }
            @if deny {
                label { "Email subject " input type="text" name="email_subject" required maxlength="200"; }
                label { "Email text " textarea name="email_body" rows="6" required {} }
            }
            button type="submit" { (label) }
        }
    }
}

/// GET `/staff/flexible-pricing/{id}/`: one request with the decision forms.
pub async fn detail(page: StaffPage, Path(id): Path<i64>) -> Result<Markup, AppError> {
    let r = json(&review::detail(&page.state, id).await?);
    let rid = r["id"].clone();
    Ok(staff_page(
        &page.ctx,
        &format!("Request {rid}"),
        html! {
            (settings_nav(&page.ctx))
            dl class="fp-detail" {
                dt { "Learner" } dd { (s(&r["user"], "name")) " <" (s(&r["user"], "email")) ">" }
                dt { "Course or program" } dd { (s(&r["courseware"], "title")) " (" (s(&r["courseware"], "type")) ")" }
                dt { "Status" } dd { span class="fp-status" { (s(&r, "status")) } }
                dt { "Income" } dd { (s(&r["income"], "original_income")) " " (s(&r["income"], "original_currency")) " = $" (s(&r["income"], "income_usd")) }
                dt { "Country of income / residence" } dd { (s(&r, "country_of_income")) " / " (s(&r, "country_of_residence")) }
                dt { "Country threshold" } dd { (r["country_income_threshold"].as_str().unwrap_or("75000 (default)")) }
                dt { "Current discount" } dd { (s(&r["discount"], "discount_code")) " " (s(&r["discount"], "discount_type")) " " (s(&r["discount"], "amount")) }
                dt { "Justification" } dd { (s(&r, "justification")) }
            }
            h2 { "Applicable tiers" }
            ul {
                @for t in r["applicable_tiers"].as_array().into_iter().flatten() {
                    li { "From $" (s(t, "income_threshold_usd")) ": discount " (t["discount_id"]) }
                }
            }
            h2 { "Decide" }
            (decision_form(&page.ctx, &rid, "approved", "Approve", &r, false))
            (decision_form(&page.ctx, &rid, "denied", "Deny and send the email", &r, true))
            (decision_form(&page.ctx, &rid, "reset", "Reset (the learner may apply again)", &r, false))
        },
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DecisionForm {
    status: String,
    justification: String,
    discount: Option<String>,
    email_subject: Option<String>,
    email_body: Option<String>,
}

/// POST `/staff/flexible-pricing/{id}/decide/`.
pub async fn decide(
    r: StaffPage,
    Path(id): Path<i64>,
    Form(f): Form<DecisionForm>,
) -> Result<Response, AppError> {
    r.id.require_csrf()?;
    let discount_id = match f.discount.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => Some(
            v.parse()
                .map_err(|_| page_error(AppError::field("discount", "Choose a tier.")))?,
        ),
        None => None,
    };
    let input = DecisionInput {
        status: f.status,
        justification: f.justification,
        discount_id,
        email_subject: f.email_subject,
        email_body: f.email_body,
    };
    review::decide(&r.state, r.access.actor, r.access.user_id, id, input)
        .await
        .map_err(|e| page_error(e.into()))?;
    Ok(Redirect::to(&r.ctx.prefix.url(&format!("/staff/flexible-pricing/{id}/"))).into_response())
}
