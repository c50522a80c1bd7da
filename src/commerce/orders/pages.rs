//! Order pages: `/orders/history/` and the printable `/orders/receipt/{id}/`.

use crate::commerce::orders;
use crate::http::error::AppError;
use crate::http::layout::{page, private};
use crate::http::page_req::SignedInPage;
use axum::extract::Path;
use maud::{Markup, html};
use serde_json::Value;

/// GET `/orders/history/`.
pub async fn history(r: SignedInPage) -> Result<Markup, AppError> {
    let orders = orders::service::history_rows(&r.state, r.user.id).await?;
    Ok(page(
        &r.ctx,
        &private("Order history"),
        html! {
            section class="container" {
                h1 { "Order history" }
                @if orders.is_empty() { p { "You have no orders yet." } }
                table class="orders" {
                    @for (o, lines) in &orders {
                        tr {
                            td { @for l in lines { (l.description) br; } }
                            td { (o.created_on.get(..10).unwrap_or("")) }
                            td { "$" (o.total_price_paid) }
                            td { (o.state.as_str()) }
                            td { a href=(r.ctx.prefix.url(&format!("/orders/receipt/{}/", o.id))) { "View receipt" } }
                        }
                    }
                }
            }
        },
    ))
}

/// GET `/orders/receipt/{id}/`: printable; the owner's only.
pub async fn receipt(sip: SignedInPage, Path(id): Path<String>) -> Result<Markup, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::not_found())?;
    let r = orders::service::receipt(&sip.state, sip.user.id, id).await?;
    let s = |v: &Value| v.as_str().unwrap_or("").to_owned();
    Ok(page(
        &sip.ctx,
        &private("Receipt"),
        html! {
            section class="container receipt" {
                h1 { "Receipt" }
                p { "Order number: " strong id="receipt-reference" { (s(&r["reference_number"])) } }
                p { "Order date: " (s(&r["created_on"]).get(..10).unwrap_or("")) }
                p { "State: " span id="receipt-state" { (s(&r["state"])) } }
                table {
                    thead { tr { th { "Item" } th { "Price" } th { "Discount" } th { "Paid" } } }
                    tbody {
                        @for l in r["lines"].as_array().into_iter().flatten() {
                            tr {
                                td { (s(&l["content_title"])) br; small { (s(&l["readable_id"])) } }
                                td { "$" (s(&l["price"])) }
                                td { "$" (s(&l["discount"])) }
                                td { "$" (s(&l["total_paid"])) }
                            }
                        }
                    }
                }
                p { "Total paid: " strong id="receipt-total" { "$" (s(&r["total_price_paid"])) } }
                @let t = &r["transactions"];
                @if !s(&t["card_number"]).is_empty() {
                    p { "Paid with " (s(&t["card_type"])) " " (s(&t["card_number"])) }
                }
                button type="button" data-print { "Print" }
            }
        },
    ))
}
