//! The refund-requests page at `/staff/refunds/`, where a staff member refunds (downgrading or
//! unenrolling) or denies a learner's request. Every decision is audited.

use crate::commerce::refunds;
use axum::extract::{Form, Path};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use crate::http::error::AppError;
use crate::http::staff_page::StaffPage;
use crate::staff::pages::staff_section_page;

/// GET `/staff/refunds/`: learners' refund requests with refund and deny actions.
pub async fn refunds_page(page: StaffPage) -> Result<Markup, AppError> {
    let (rows, left) = refunds::request_service::open_requests(&page.state).await?;
    let csrf = page.id.csrf_token();
    Ok(staff_section_page(
        &page.ctx,
        "Refund requests",
        html! {
            @if rows.is_empty() { p { "No refund requests." } }
            @for r in &rows {
                article class="refund-request" id=(format!("refund-request-{}", r.id)) {
                    h2 { (r.reference) " — " (r.email) " — $" (r.total) }
                    p { "Reason: " (r.reason) " " (r.text) }
                    p { "Status: " span class="status" { (r.status) } " (" (r.created_on) ")" }
                    @if let Some((_, done)) = left.get(&r.order_id).filter(|(_, d)| !d.is_empty()) {
                        ul class="order-refunds" {
                            @for (_, amount, reason, status, _, on) in done {
                                li { "$" (amount) " — " (status) " — " (reason) " (" (on) ")" }
                            }
                        }
                    }
                    @if r.status == "pending" {
                        form method="post" action=(page.ctx.prefix.url(&format!("/staff/refunds/{}/", r.id))) {
                            input type="hidden" name="csrfmiddlewaretoken" value=(csrf);
                            input type="hidden" name="order" value=(r.order_id);
                            @let remaining = left.get(&r.order_id).map(|l| l.0).unwrap_or_default();
                            p { "Remaining refundable: $" span class="remaining" { (remaining) } }
                            label { "Amount (default: all that remains) " input type="text" inputmode="decimal" name="amount" placeholder=(remaining); }
                            label { input type="radio" name="after" value="downgrade" checked; " Keep as audit" }
                            label { input type="radio" name="after" value="unenroll"; " Unenroll" }
                            button type="submit" name="action" value="refund" { "Refund" }
                            button type="submit" name="action" value="deny" { "Deny" }
                        }
                    }
                }
            }
        },
    ))
}

#[derive(Deserialize)]
pub struct Decide {
    action: String,
    order: i64,
    after: Option<String>,
    amount: Option<String>,
}

/// POST `/staff/refunds/{id}/`.
pub async fn decide(r: StaffPage, Path(id): Path<i64>, Form(f): Form<Decide>) -> Result<Response, AppError> {
    match f.action.as_str() {
        "deny" => {
            refunds::request_service::deny(&r.state, &r.access.actor, id).await?;
        }
        "refund" => {
            let (amount, after) =
                crate::commerce::orders::staff::refund_choice(f.amount.as_deref(), f.after.as_deref())?;
            let reason = format!("refund request {id} approved by {}", r.access.actor);
            crate::commerce::refunds::service::refund(
                &r.state,
                f.order,
                amount,
                reason,
                r.access.actor.clone(),
                after,
            )
            .await
            .map_err(|e| {
                crate::commerce::refunds::api::page_error(crate::commerce::refunds::api::refund_error(e))
            })?;
        }
        _ => return Err(AppError::field("action", "Choose refund or deny.")),
    }
    Ok(Redirect::to(&r.ctx.prefix.url("/staff/refunds/")).into_response())
}
