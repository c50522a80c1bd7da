//! The staff orders console (`/staff/orders/`): find an order by id, reference number or the
//! purchaser's email, see its lines, state transitions and gateway transactions, and refund a
//! fulfilled order in full or in part (what the original does in Django admin). The refund
//! itself, its reservation and its audit row are [`refunds::service::refund`]; this page only
//! collects the amount, the reason and what happens to the enrollments.

use crate::commerce::{orders, refunds};
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use rusqlite::{Connection, params};
use serde::Deserialize;

use crate::commerce::orders::model::LineRow;

use crate::commerce::orders::model::OrderRow;

use crate::commerce::orders::model::OrderState;

use crate::commerce::error::CommerceError;
use crate::commerce::refunds::model::AfterRefund;

use crate::commerce::orders::store::TransactionRow;
use crate::http::auth::StaffAccess;
use crate::http::error::AppError;
use crate::http::page::PageCtx;
use crate::staff::pages::staff_page;
use crate::state::AppState;

/// One row of the search results.
struct Found {
    id: i64,
    state: String,
    total: String,
    reference: String,
    email: String,
    created_on: String,
}

/// The newest 50 orders matching `q` (an order id, a reference number, or part of an email);
/// the newest 50 of all when `q` is empty.
fn search(c: &Connection, q: &str) -> rusqlite::Result<Vec<Found>> {
    c.prepare(
        "SELECT o.id, o.state, o.total_price_paid, COALESCE(o.reference_number, ''), u.email, o.created_on
         FROM orders o JOIN users u ON u.id = o.purchaser_id
         WHERE ?1 = '' OR CAST(o.id AS TEXT) = ?1 OR o.reference_number = ?1 OR u.email LIKE '%' || ?1 || '%'
         ORDER BY o.id DESC LIMIT 50",
    )?
    .query_map(params![q], |r| {
        Ok(Found {
            id: r.get(0)?,
            state: r.get(1)?,
            total: r.get(2)?,
            reference: r.get(3)?,
            email: r.get(4)?,
            created_on: r.get(5)?,
        })
    })?
    .collect()
}

/// `(from, to, reason, when)` of every transition of an order, oldest first.
fn transitions(c: &Connection, order: i64) -> rusqlite::Result<Vec<(String, String, String, String)>> {
    c.prepare(
        "SELECT COALESCE(from_state, ''), to_state, reason, created_on FROM order_transitions
         WHERE order_id = ?1 ORDER BY id",
    )?
    .query_map([order], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
    .collect()
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// GET `/staff/orders/?q=`.
pub async fn list(
    State(state): State<AppState>,
    _s: StaffAccess,
    ctx: PageCtx,
    Query(query): Query<SearchQuery>,
) -> Result<Markup, AppError> {
    let q = query.q.trim().to_owned();
    let needle = q.clone();
    let rows = state
        .db
        .read(move |c| Ok::<_, CommerceError>(search(c, &needle)?))
        .await?;
    Ok(staff_page(
        &ctx,
        "Orders",
        html! {
            form method="get" action=(ctx.prefix.url("/staff/orders/")) role="search" {
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
                                    td { a href=(ctx.prefix.url(&format!("/staff/orders/{}/", o.id))) {
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

/// What the order page shows.
struct Detail {
    order: OrderRow,
    email: String,
    lines: Vec<LineRow>,
    moves: Vec<(String, String, String, String)>,
    txns: Vec<TransactionRow>,
    refunds: Vec<refunds::service::RefundRow>,
    remaining: rust_decimal::Decimal,
}

/// GET `/staff/orders/{id}/`.
pub async fn detail(
    State(state): State<AppState>,
    _s: StaffAccess,
    ctx: PageCtx,
    Path(id): Path<i64>,
) -> Result<Markup, AppError> {
    let found: Option<Detail> = state
        .db
        .read(move |c| {
            let Some(o) = orders::store::order(c, id)? else {
                return Ok::<_, CommerceError>(None);
            };
            let email: String =
                c.query_row("SELECT email FROM users WHERE id = ?1", [o.purchaser_id], |r| {
                    r.get(0)
                })?;
            Ok(Some(Detail {
                email,
                lines: orders::store::lines(c, id)?,
                moves: transitions(c, id)?,
                txns: orders::store::transactions(c, id)?,
                refunds: refunds::service::refunds_of(c, id)?,
                remaining: refunds::service::remaining(c, &o)?,
                order: o,
            }))
        })
        .await?;
    let Detail {
        order: o,
        email,
        lines,
        moves,
        txns,
        refunds,
        remaining,
    } = found.ok_or_else(AppError::not_found)?;
    let title = format!("Order #{}", o.id);
    Ok(staff_page(
        &ctx,
        &title,
        html! {
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
            (crate::commerce::refunds::staff::section(&ctx, o.id, &refunds))
            @if o.state == OrderState::Fulfilled {
                h2 { "Refund" }
                form method="post" action=(ctx.prefix.url(&format!("/staff/orders/{}/refund/", o.id))) {
                    (ctx.csrf_field())
                    p { "Refundable: $" (remaining) " of $" (o.total_price_paid) "." }
                    label for="refund-amount" { "Amount (leave empty to refund all that remains)" }
                    input id="refund-amount" type="text" name="amount" inputmode="decimal" placeholder=(remaining);
                    label for="refund-reason" { "Reason (kept with the refund)" }
                    input id="refund-reason" type="text" name="reason" required maxlength="500";
                    fieldset {
                        legend { "Enrollments bought with this order" }
                        label { input type="radio" name="after" value="downgrade" checked; " Keep as audit" }
                        label { input type="radio" name="after" value="unenroll"; " Unenroll" }
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

#[derive(Deserialize)]
pub struct RefundForm {
    #[serde(default)]
    amount: String,
    #[serde(default)]
    reason: String,
    after: Option<String>,
}

/// POST `/staff/orders/{id}/refund/`: refunds through the gateway, then back to the order.
pub async fn refund(
    State(state): State<AppState>,
    s: StaffAccess,
    ctx: PageCtx,
    Path(id): Path<i64>,
    Form(f): Form<RefundForm>,
) -> Result<Response, AppError> {
    let reason = f.reason.trim().to_owned();
    if reason.is_empty() {
        return Err(AppError::field("reason", "Say why the order is refunded."));
    }
    let (amount, after) = refund_choice(Some(&f.amount), f.after.as_deref())?;
    let exists = state
        .db
        .read(move |c| Ok::<_, CommerceError>(orders::store::order(c, id)?.is_some()))
        .await?;
    if !exists {
        return Err(AppError::not_found());
    }
    refunds::service::refund(&state, id, amount, reason, s.actor, after)
        .await
        .map_err(|e| {
            crate::commerce::refunds::api::page_error(crate::commerce::refunds::api::refund_error(e))
        })?;
    Ok(Redirect::to(&ctx.prefix.url(&format!("/staff/orders/{id}/"))).into_response())
}
