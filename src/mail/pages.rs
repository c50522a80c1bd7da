//! `/staff/mail/`: the sandbox mailbox, newest first (only filled when no SMTP server is set).
//! The secrets of emailed links are shown to superusers only.

use axum::Router;
use axum::extract::Query;
use axum::routing::get;
use maud::{Markup, html};
use serde::Deserialize;

use crate::http::AppError;
use crate::http::auth::require_superuser;
use crate::http::staff_page::StaffPage;
use crate::staff::pages::staff_section_page;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/staff/mail/", get(mailbox))
}

#[derive(Deserialize)]
struct Filter {
    to: Option<String>,
}

async fn mailbox(r: StaffPage, Query(f): Query<Filter>) -> Result<Markup, AppError> {
    let to = f.to.filter(|t| !t.trim().is_empty());
    let to2 = to.clone();
    let mails = r
        .state
        .db
        .read(move |c| super::sandbox(c, to2.as_deref(), 200))
        .await?;
    let sandboxed = r.state.config.smtp_url.is_none();
    // Emailed links sign their holder in (reset, verification): superusers only.
    let reveal = require_superuser(&r.id).is_ok();
    Ok(staff_section_page(
        &r.ctx,
        "Sandbox mailbox",
        html! {
            @if sandboxed {
                p { "No SMTP server is configured (MITXONLINE_SMTP_URL), so outgoing mail is kept here." }
            } @else {
                p { "Mail is sent by SMTP; this mailbox only holds mail from before it was configured." }
            }
            form method="get" {
                label for="to" { "Recipient" }
                input id="to" name="to" type="email" value=[to.as_deref()];
                button type="submit" { "Filter" }
            }
            @if !reveal { p class="notice" { "Links in these mails are hidden; only superusers see them." } }
            @if mails.is_empty() { p { "No mail." } }
            @for m in &mails {
                article class="mail" id=(format!("mail-{}", m.id)) {
                    h2 { (m.subject) }
                    p { "To " (m.to) ", " time datetime=(m.created_on) { (m.created_on) } }
                    @if reveal { pre { (m.body) } } @else { pre { (super::mask_links(&m.body)) } }
                }
            }
        },
    ))
}
