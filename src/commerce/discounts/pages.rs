//! The staff discount pages (surface §11, the staff dashboard's discount detail): a list at
//! `/staff/discounts/` and a detail page at `/staff/discounts/{id}/` with the original's tabs —
//! products, assigned users, redemptions and financial-assistance tiers — as in-page sections
//! (anchor tabs, no JavaScript needed), forms that add or remove products and assigned users,
//! and a form that adds a tier. Staff only; the forms go through the same audited code as the
//! API.

use crate::commerce::discounts;
use axum::Router;
use axum::extract::{Form, Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

use crate::commerce::discounts::service::Nested;
use crate::commerce::discounts::tiers::TierBody;

use crate::http::error::AppError;
use crate::http::page::PageCtx;
use crate::http::staff_page::StaffPage;
use crate::staff::pages::staff_page;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/discounts/", get(list).post(super::forms::create))
        .route("/staff/discounts/bulk/", post(super::forms::bulk))
        .route("/staff/discounts/{id}/", get(detail))
        .route("/staff/discounts/{id}/edit/", post(super::forms::edit))
        .route("/staff/discounts/{id}/tiers/", post(add_tier))
        .route("/staff/discounts/{id}/links/", post(change_links))
}

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
}

/// GET `/staff/discounts/`.
async fn list(r: StaffPage, Query(q): Query<ListQuery>) -> Result<Markup, AppError> {
    let needle = q.q.clone();
    let (count, rows) = discounts::service::search(&r.state, needle).await?;
    Ok(staff_page(
        &r.ctx,
        "Discounts",
        html! {
            form method="get" {
                label { "Code contains " input type="search" name="q" value=[q.q.as_deref()]; }
                button type="submit" { "Search" }
            }
            (super::forms::new_forms(&r.ctx))
            p { (count) " discounts" }
            table {
                thead { tr { th { "Code" } th { "Type" } th { "Amount" } th { "Redemption" } th { "Payment type" } } }
                tbody {
                    @for d in &rows {
                        tr {
                            td { a href=(r.ctx.prefix.url(&format!("/staff/discounts/{}/", d.id))) { (d.discount_code) } }
                            td { (d.discount_type.as_str()) }
                            td { (d.amount) }
                            td { (d.redemption_type.as_str()) }
                            td { (d.payment_type.map_or("", |p| p.as_str())) }
                        }
                    }
                }
            }
        },
    ))
}

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// GET `/staff/discounts/{id}/`.
async fn detail(page: StaffPage, Path(id): Path<i64>) -> Result<Markup, AppError> {
    let d = discounts::service::detail(&page.state, id).await?;
    let row = discounts::service::get(&page.state, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let title = format!("Discount {}", s(&d.discount["discount_code"]));
    let body = html! {
        dl class="discount-summary" {
            @for k in ["discount_type", "amount", "redemption_type", "payment_type", "max_redemptions", "automatic", "activation_date", "expiration_date", "is_bulk"] {
                dt { (k) } dd { (s(&d.discount[k])) }
            }
        }
        (super::forms::edit_form(&page.ctx, &row))
        nav class="tabs" aria-label="Discount details" {
            ul class="nav-list" {
                li { a href="#products" { "Products (" (d.products.len()) ")" } }
                li { a href="#assignees" { "Assigned users (" (d.assignees.len()) ")" } }
                li { a href="#redemptions" { "Redemptions (" (d.redemptions.0) ")" } }
                li { a href="#tiers" { "Financial assistance tiers (" (d.tiers.len()) ")" } }
            }
        }
        section id="products" {
            h2 { "Products" }
            @if d.products.is_empty() { p { "Any product." } }
            ul { @for p in &d.products { li { (s(&p["product"]["id"])) ": " (s(&p["product"]["description"])) " — $" (s(&p["product"]["price"])) " " (link_button(&page.ctx, id, "remove_product", &s(&p["product"]["id"]), "Remove")) } } }
            (link_form(&page.ctx, id, "add_product", "Product id"))
        }
        section id="assignees" {
            h2 { "Assigned users" }
            @if d.assignees.is_empty() { p { "Not limited to particular users." } }
            ul { @for a in &d.assignees { li { (s(&a["user"]["email"])) " (" (s(&a["user"]["username"])) ") " (link_button(&page.ctx, id, "remove_user", &s(&a["user"]["id"]), "Unassign")) } } }
            (link_form(&page.ctx, id, "add_user", "User id"))
        }
        section id="redemptions" {
            h2 { "Redemptions" }
            @if d.redemptions.1.is_empty() { p { "Not redeemed yet." } }
            table {
                thead { tr { th { "Date" } th { "Redeemed by" } th { "Order" } th { "State" } } }
                tbody {
                    @for r in &d.redemptions.1 {
                        tr {
                            td { (s(&r["redemption_date"])) }
                            td { (s(&r["redeemed_by"]["email"])) }
                            td { (s(&r["redeemed_order"]["reference_number"])) }
                            td { (s(&r["redeemed_order"]["state"])) }
                        }
                    }
                }
            }
        }
        section id="tiers" {
            h2 { "Financial assistance tiers" }
            @if d.tiers.is_empty() { p { "No tier uses this discount." } }
            table {
                thead { tr { th { "Courseware" } th { "Income threshold (USD)" } th { "Current" } } }
                tbody {
                    @for t in &d.tiers {
                        tr class="tier" {
                            td { (s(&t["courseware_object"]["type"])) " " (s(&t["courseware_object"]["readable_id"])) " — " (s(&t["courseware_object"]["title"])) }
                            td { (s(&t["income_threshold_usd"])) }
                            td { @if t["current"] == Value::Bool(true) { "yes" } @else { "no" } }
                        }
                    }
                }
            }
            form method="post" action=(page.ctx.prefix.url(&format!("/staff/discounts/{id}/tiers/"))) {
                (page.ctx.csrf_field())
                label { "Courseware " select name="courseware_type" { option value="course" { "course" } option value="program" { "program" } } }
                label { " id " input type="number" name="courseware_id" min="1" required; }
                label { " income threshold (USD) " input type="text" inputmode="decimal" name="income_threshold_usd" required; }
                label { input type="checkbox" name="current" value="true" checked; " current" }
                button type="submit" { "Add tier" }
            }
        }
    };
    Ok(staff_page(&page.ctx, &title, body))
}

fn link_form(ctx: &PageCtx, id: i64, action: &str, label: &str) -> Markup {
    html! {
        form method="post" action=(ctx.prefix.url(&format!("/staff/discounts/{id}/links/"))) {
            (ctx.csrf_field())
            input type="hidden" name="action" value=(action);
            label { (label) " " input type="number" name="target" min="1" required; }
            button type="submit" { "Add" }
        }
    }
}

fn link_button(ctx: &PageCtx, id: i64, action: &str, target: &str, text: &str) -> Markup {
    html! {
        form class="inline" method="post" action=(ctx.prefix.url(&format!("/staff/discounts/{id}/links/"))) {
            (ctx.csrf_field())
            input type="hidden" name="action" value=(action);
            input type="hidden" name="target" value=(target);
            button type="submit" { (text) }
        }
    }
}

#[derive(Deserialize)]
pub struct LinkForm {
    action: String,
    target: String,
}

/// POST `/staff/discounts/{id}/links/`: add or remove a product or an assigned user, through
/// the same audited code as the API.
async fn change_links(
    r: StaffPage,
    Path(id): Path<i64>,
    Form(f): Form<LinkForm>,
) -> Result<Response, AppError> {
    let (what, add, tab) = match f.action.as_str() {
        "add_product" => (Nested::Products, true, "products"),
        "remove_product" => (Nested::Products, false, "products"),
        "add_user" => (Nested::Assignees, true, "assignees"),
        "remove_user" => (Nested::Assignees, false, "assignees"),
        _ => {
            return Err(AppError::BadRequest(
                "action: choose add_product, remove_product, add_user or remove_user.".into(),
            ));
        }
    };
    let target: i64 = f.target.trim().parse().map_err(|_| {
        AppError::BadRequest(format!(
            "{}: a number is required.",
            if what == Nested::Products {
                "product_id"
            } else {
                "user_id"
            }
        ))
    })?;
    discounts::linked::change_link(&r.state, r.access.actor, id, what, target, add)
        .await
        .map_err(crate::commerce::refunds::api::page_error)?;
    Ok(Redirect::to(&r.ctx.prefix.url(&format!("/staff/discounts/{id}/#{tab}"))).into_response())
}

#[derive(Deserialize)]
pub struct TierForm {
    courseware_type: String,
    courseware_id: String,
    income_threshold_usd: String,
    current: Option<String>,
}

/// POST `/staff/discounts/{id}/tiers/` from the tier form.
async fn add_tier(r: StaffPage, Path(id): Path<i64>, Form(f): Form<TierForm>) -> Result<Response, AppError> {
    let body: TierBody = serde_json::from_value(serde_json::json!({
        "courseware_type": f.courseware_type,
        "courseware_id": f.courseware_id,
        "income_threshold_usd": f.income_threshold_usd,
        "current": f.current.is_some(),
    }))
    .map_err(|e| AppError::BadRequest(e.to_string()))?;
    let t = discounts::tiers::parse_tier(id, &body)?;
    discounts::tier_service::create(&r.state, r.access.actor, t).await?;
    Ok(Redirect::to(&r.ctx.prefix.url(&format!("/staff/discounts/{id}/#tiers"))).into_response())
}
