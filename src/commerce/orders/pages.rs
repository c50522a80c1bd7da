//! Order pages: `/orders/history/` (a table with column headers that stacks into labelled rows
//! below 600 px) and the printable `/orders/receipt/{id}/` (print CSS: one page, no site
//! chrome).

use crate::commerce::orders;
use crate::http::error::AppError;
use crate::http::extract::PathId;
use crate::http::layout::{page, private};
use crate::http::page_req::SignedInPage;
use maud::{Markup, html};

/// GET `/orders/history/`.
pub async fn history(r: SignedInPage) -> Result<Markup, AppError> {
    let orders = orders::service::history_rows(&r.state, r.user.id).await?;
    Ok(page(
        &r.ctx,
        &private("Order history"),
        html! {
            section class="container" {
                h1 { "Order history" }
                @if orders.is_empty() {
                    div class="empty-state" {
                        p { "You have no orders yet." }
                        a class="button" href=(r.ctx.prefix.url("/catalog/")) { "Browse the catalog" }
                    }
                } @else {
                    table class="orders stack" {
                        caption class="visually-hidden" { "Your orders, newest first" }
                        thead {
                            tr {
                                th scope="col" { "Items" }
                                th scope="col" { "Order number" }
                                th scope="col" { "Date" }
                                th scope="col" class="num" { "Total" }
                                th scope="col" { "State" }
                                th scope="col" { span class="visually-hidden" { "Receipt" } }
                            }
                        }
                        tbody {
                            @for (o, lines) in &orders {
                                tr {
                                    td data-label="Items" { @for l in lines { span class="order-item" { (l.description) } } }
                                    td data-label="Order number" class="courseware-id" { (o.reference_number) }
                                    td data-label="Date" { (o.created_on.get(..10).unwrap_or("")) }
                                    td data-label="Total" class="num" { "$" (crate::money::round_cents(o.total_price_paid)) }
                                    td data-label="State" { span class="badge" { (o.state.as_str()) } }
                                    td data-label="Receipt" {
                                        a href=(r.ctx.prefix.url(&format!("/orders/receipt/{}/", o.id))) {
                                            "View receipt" span class="visually-hidden" { " for order " (o.reference_number) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    ))
}

/// GET `/orders/receipt/{id}/`: printable; the owner's only.
pub async fn receipt(sip: SignedInPage, PathId(id): PathId) -> Result<Markup, AppError> {
    let r = orders::service::receipt(&sip.state, sip.user.id, id).await?;
    let codes: Vec<String> = r
        .discounts
        .iter()
        .map(|d| d.discount_code.clone())
        .filter(|c| !c.is_empty())
        .collect();
    let t = &r.transactions;
    Ok(page(
        &sip.ctx,
        &private("Receipt"),
        html! {
            section class="container receipt" {
                div class="receipt-head" {
                    h1 { "Receipt" }
                    p class="receipt-brand" { "MITx Online" }
                }
                dl class="facts receipt-facts" {
                    dt { "Order number" } dd { strong id="receipt-reference" { (r.reference_number) } }
                    dt { "Order date" } dd { (r.created_on.get(..10).unwrap_or("")) }
                    dt { "State" } dd { span id="receipt-state" { (r.state.as_str()) } }
                    dt { "Customer" } dd { (sip.user.name) " · " (sip.user.email) }
                    @if !t.card_number.is_empty() {
                        dt { "Paid with" } dd { (t.card_type) " " (t.card_number) }
                    }
                }
                table class="receipt-lines stack" {
                    thead { tr { th scope="col" { "Item" } th scope="col" class="num" { "Price" } th scope="col" class="num" { "Discount" } th scope="col" class="num" { "Paid" } } }
                    tbody {
                        @for l in &r.lines {
                            tr {
                                td data-label="Item" { (l.content_title.as_deref().unwrap_or("")) br; small class="courseware-id" { (l.readable_id.as_deref().unwrap_or("")) } }
                                td data-label="Price" class="num" { "$" (l.price) }
                                td data-label="Discount" class="num" { "$" (l.discount) }
                                td data-label="Paid" class="num" { "$" (l.total_paid) }
                            }
                        }
                    }
                }
                dl class="summary receipt-summary" {
                    @if !codes.is_empty() {
                        div class="summary-row" { dt { "Discount code" } dd { (codes.join(", ")) } }
                    }
                    div class="summary-row total" { dt { "Total paid" } dd { strong id="receipt-total" { "$" (r.total_price_paid) } } }
                }
                @for rf in &r.refunds {
                    p class="muted" { "Refunded $" (rf.amount) " on " (rf.date.get(..10).unwrap_or("")) }
                }
                div class="receipt-actions no-print" {
                    button type="button" data-print { "Print" }
                    a href=(sip.ctx.prefix.url("/orders/history/")) { "Order history" }
                }
            }
        },
    ))
}
