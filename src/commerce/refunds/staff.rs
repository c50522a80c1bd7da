//! The refunds section of the staff order page (`/staff/orders/{id}/`): every refund of the
//! order (amount, status, reason, when, gateway id) and, for one left `pending` because the
//! gateway's answer was lost, two forms — "Mark failed" (releases the amount) and "Mark done"
//! with the gateway's refund id — both through [`refunds::service::settle`], which audits them.

use crate::commerce::refunds;
use axum::extract::{Form, Path};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use crate::commerce::refunds::api::page_error;
use crate::commerce::refunds::api::refund_error;
use crate::commerce::refunds::model::AfterRefund;
use crate::commerce::refunds::service::RefundRow;
use crate::http::error::AppError;
use crate::http::page::PageCtx;
use crate::http::staff_page::StaffPage;

/// The refunds table with settle forms for pending refunds.
pub fn section(ctx: &PageCtx, order: i64, refunds: &[RefundRow]) -> Markup {
    html! {
        h2 { "Refunds" }
        @if refunds.is_empty() { p { "None." } }
        @else {
            div class="table-wrap" {
                table class="order-refunds" {
                    thead { tr {
                        th scope="col" { "Amount" } th scope="col" { "Status" } th scope="col" { "Reason" }
                        th scope="col" { "When" } th scope="col" { "Gateway id" } th scope="col" { "Settle" }
                    } }
                    tbody {
                        @for (id, amount, reason, status, txn, when) in refunds {
                            tr id=(format!("refund-{id}")) {
                                td { "$" (format!("{amount:.2}")) }
                                td { span class="tag refund-status" { (status) } }
                                td { (reason) }
                                td { (when) }
                                td { @if let Some(t) = txn { code { (t) } } @else { "—" } }
                                td {
                                    @if status == "pending" {
                                        (settle_form(ctx, order, *id, "failed", html! {
                                            button type="submit" { "Mark failed (release the amount)" }
                                        }))
                                        (settle_form(ctx, order, *id, "done", html! {
                                            label for=(format!("refund-{id}-txn")) { "Gateway refund id" }
                                            input id=(format!("refund-{id}-txn")) type="text" name="transaction_id" required maxlength="64";
                                            button type="submit" { "Mark done" }
                                        }))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn settle_form(ctx: &PageCtx, order: i64, refund: i64, status: &str, body: Markup) -> Markup {
    html! {
        form method="post" action=(ctx.prefix.url(&format!("/staff/orders/{order}/refunds/{refund}/settle/"))) {
            (ctx.csrf_field())
            input type="hidden" name="status" value=(status);
            (body)
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SettleForm {
    status: String,
    transaction_id: String,
}

/// POST `/staff/orders/{id}/refunds/{refund}/settle/`: `status=failed`, or `status=done`
/// with `transaction_id`; then back to the order.
pub async fn settle(
    r: StaffPage,
    Path((order, refund)): Path<(i64, i64)>,
    Form(f): Form<SettleForm>,
) -> Result<Response, AppError> {
    let done = match f.status.as_str() {
        "failed" => None,
        "done" => {
            let t = f.transaction_id.trim();
            if t.is_empty() || t.len() > 64 || !t.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(page_error(AppError::field(
                    "transaction_id",
                    "The gateway's refund id is required (up to 64 characters, no spaces).",
                )));
            }
            Some(t.to_owned())
        }
        _ => return Err(page_error(AppError::field("status", "Choose failed or done."))),
    };
    refunds::service::settle(
        &r.state,
        order,
        refund,
        done,
        r.access.actor,
        AfterRefund::Downgrade,
    )
    .await
    .map_err(|e| page_error(refund_error(e)))?;
    Ok(Redirect::to(&r.ctx.prefix.url(&format!("/staff/orders/{order}/"))).into_response())
}
