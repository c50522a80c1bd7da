//! The staff orders console (`/staff/orders/`): find an order by id, reference number or the
//! purchaser's email, see its lines, state transitions and gateway transactions, and refund a
//! fulfilled order in full or in part (what the original does in Django admin). The refund
//! itself, its reservation and its audit row are [`refunds::service::refund`]; this page only
//! collects the amount, the reason and what happens to the enrollments.

use crate::commerce::{orders, refunds};
use axum::extract::{Form, Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use crate::commerce::orders::integrity;
use crate::commerce::orders::model::OrderState;

use crate::commerce::refunds::model::AfterRefund;

use crate::commerce::orders::service::Detail;
use crate::http::error::AppError;
use crate::http::staff_page::StaffPage;
use crate::staff::pages::staff_page;

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// GET `/staff/orders/?q=`.
pub async fn list(r: StaffPage, Query(query): Query<SearchQuery>) -> Result<Markup, AppError> {
    let q = query.q.trim().to_owned();
    let needle = q.clone();
    let rows = orders::service::search(&r.state, needle).await?;
    let alerts = orders::service::open_alerts(&r.state).await?;
    Ok(staff_page(
        &r.ctx,
        "Orders",
        html! {
            (integrity::section(&r.ctx, &alerts))
            form method="get" action=(r.ctx.prefix.url("/staff/orders/")) role="search" {
                label for="order-q" { "Order id, reference number or email" }
                input id="order-q" type="search" name="q" value=(q);
                button type="submit" { "Search" }
            }
            @if rows.is_empty() { p { "No orders match." } }
            @else {
                div class="table-wrap" {
                    table {
                        thead { tr {
                            th scope="col" { "Order" } th scope="col" { "Purchaser" } th scope="col" { "State" }
                            th scope="col" { "Total" } th scope="col" { "Created" }
                        } }
                        tbody {
                            @for o in &rows {
                                tr {
                                    td { a href=(r.ctx.prefix.url(&format!("/staff/orders/{}/", o.id))) {
                                        "#" (o.id) @if !o.reference.is_empty() { " " (o.reference) }
                                    } }
                                    td { (o.email) }
                                    td { span class="tag" { (o.state) } }
                                    td { "$" (o.total) }
                                    td { (o.created_on) }
                                }
                            }
                        }
                    }
                }
            }
        },
    ))
}

/// GET `/staff/orders/{id}/`.
pub async fn detail(r: StaffPage, Path(id): Path<i64>) -> Result<Markup, AppError> {
    let found = orders::service::staff_detail(&r.state, id).await?;
    let Detail {
        order: o,
        email,
        lines,
        moves,
        txns,
        refunds,
        remaining,
        alerts,
    } = found.ok_or_else(AppError::not_found)?;
    let title = format!("Order #{}", o.id);
    let refundable = o.state.staff_refundable(txns.iter().any(|t| t.3 == "payment"));
    let held_paid = refundable && o.state == OrderState::Review;
    Ok(staff_page(
        &r.ctx,
        &title,
        html! {
            (integrity::section(&r.ctx, &alerts))
            dl class="order-summary" {
                dt { "Reference" } dd { (o.reference_number) }
                dt { "Purchaser" } dd { (email) }
                dt { "State" } dd { span class="tag order-state" { (o.state.as_str()) } }
                dt { "Total paid" } dd { "$" (o.total_price_paid) }
                dt { "Created" } dd { (o.created_on) }
            }
            h2 { "Lines" }
            ul { @for l in &lines { li { (l.description) " — $" (l.discounted_price) " (list $" (l.unit_price) ")" } } }
            h2 { "History" }
            ol class="order-history" {
                @for (from, to, reason, when) in &moves {
                    li { (when) ": " (if from.is_empty() { "new" } else { from }) " → " (to)
                        @if !reason.is_empty() { " (" (reason) ")" } }
                }
            }
            h2 { "Transactions" }
            @if txns.is_empty() { p { "None." } }
            ul class="order-transactions" {
                @for (tid, amount, _, kind, when) in &txns { li { (when) ": " (kind) " $" (amount) " — " code { (tid) } } }
            }
            (crate::commerce::refunds::staff::section(&r.ctx, o.id, &refunds))
            @if refundable {
                h2 { "Refund" }
                form method="post" action=(r.ctx.prefix.url(&format!("/staff/orders/{}/refund/", o.id))) {
                    (r.ctx.csrf_field())
                    p { "Refundable: $" (remaining) " of $" (o.total_price_paid) "." }
                    label for="refund-amount" { "Amount (leave empty to refund all that remains)" }
                    input id="refund-amount" type="text" name="amount" inputmode="decimal" placeholder=(remaining);
                    label for="refund-reason" { "Reason (kept with the refund)" }
                    input id="refund-reason" type="text" name="reason" required maxlength="500";
                    @if held_paid {
                        // A held second payment granted no enrollment; the other order's stay.
                        input type="hidden" name="after" value="downgrade";
                    } @else {
                        fieldset {
                            legend { "Enrollments bought with this order" }
                            label { input type="radio" name="after" value="downgrade" checked; " Keep as audit" }
                            label { input type="radio" name="after" value="unenroll"; " Unenroll" }
                        }
                    }
                    button type="submit" { "Refund" }
                }
            }
        },
    ))
}

/// What a staff refund form asks for: the amount (empty = all that remains) and what happens
/// to the enrollments (`downgrade`, the default, or `unenroll`). Shared by this page and the
/// refund-requests page; bad values are a 400 naming the field.
pub fn refund_choice(
    amount: Option<&str>,
    after: Option<&str>,
) -> Result<(Option<rust_decimal::Decimal>, AfterRefund), AppError> {
    let after = match after {
        None | Some("downgrade") => AfterRefund::Downgrade,
        Some("unenroll") => AfterRefund::Unenroll,
        Some(_) => return Err(AppError::field("after", "Choose downgrade or unenroll.")),
    };
    let amount = match amount.map(str::trim).unwrap_or("") {
        "" => None,
        raw => Some(refunds::service::parse_amount(raw).map_err(|m| AppError::field("amount", &m))?),
    };
    Ok((amount, after))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RefundForm {
    amount: String,
    reason: String,
    after: Option<String>,
}

/// POST `/staff/orders/{id}/refund/`: refunds through the gateway, then back to the order.
pub async fn refund(
    r: StaffPage,
    Path(id): Path<i64>,
    Form(f): Form<RefundForm>,
) -> Result<Response, AppError> {
    let reason = f.reason.trim().to_owned();
    if reason.is_empty() {
        return Err(AppError::field("reason", "Say why the order is refunded."));
    }
    let (amount, after) = refund_choice(Some(&f.amount), f.after.as_deref())?;
    if orders::service::get(&r.state, id).await?.is_none() {
        return Err(AppError::not_found());
    }
    refunds::service::refund(&r.state, id, amount, reason, r.access.actor, after)
        .await
        .map_err(|e| {
            crate::commerce::refunds::api::page_error(crate::commerce::refunds::api::refund_error(e))
        })?;
    Ok(Redirect::to(&r.ctx.prefix.url(&format!("/staff/orders/{id}/"))).into_response())
}
