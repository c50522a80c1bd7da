//! Flexible-pricing mails (the original's `FLEXIBLE_PRICE_EMAIL_*` texts), queued through the
//! outbox in the same transaction as the change that causes them.

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use crate::commerce::discounts::model::DiscountRow;
use crate::commerce::discounts::rules::DiscountType;
use crate::mail::{self, Email};
use crate::pricing::model::Status;
use crate::pricing::service::PricingError;
use crate::pricing::store::Request;
use crate::state::AppState;

/// Runs `f` in one write, then wakes the outbox for the mails it queued.
pub async fn write_then_send<T, F>(state: &AppState, f: F) -> Result<T, PricingError>
where
    F: FnOnce(&Connection) -> Result<T, PricingError> + Send + 'static,
    T: Send + 'static,
{
    let out = state.db.write(f).await?;
    state.outbox.wake();
    Ok(out)
}

fn learner_email(c: &Connection, user: i64) -> rusqlite::Result<Option<String>> {
    Ok(crate::users::store::find_by_id(c, user)?.map(|u| u.email))
}

fn send(
    c: &Connection,
    user: i64,
    subject: String,
    body: String,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    if let Some(to) = learner_email(c, user)? {
        mail::queue(c, now, &Email { to, subject, body })?;
    }
    Ok(())
}

/// The discount in words, for the approval mail's `{price}`.
pub fn describe(d: &DiscountRow) -> String {
    match d.discount_type {
        DiscountType::PercentOff => format!("{}% off", d.amount.normalize()),
        DiscountType::DollarsOff => format!("${} off", crate::money::cents_string(d.amount)),
        DiscountType::FixedPrice => format!("a price of ${}", crate::money::cents_string(d.amount)),
    }
}

/// A pending request: what to send and where (the form's processing text, else the original's
/// default instructions).
pub fn queue_documents_step(
    c: &Connection,
    r: &Request,
    title: &str,
    processing_text: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    let steps = if processing_text.trim().is_empty() {
        "Before you can get financial assistance, you need to verify your income. Please upload an \
         English-translated and notarized income tax or income statement document, or send it by mail. \
         Do not send documents by email."
    } else {
        processing_text
    };
    send(
        c,
        r.user_id,
        format!("Verify your income for {title} MITxOnline"),
        format!(
            "We received your request for a personalized course price for {title}.\n\n{steps}\n\n\
             Your declared income: {} {} (US${}).\n",
            r.original_income, r.original_currency, r.income_usd
        ),
        now,
    )
}

/// The status mail after a staff decision (approval, reset, documents received), or the
/// staff-written mail for a denial.
pub fn queue_decision(
    c: &Connection,
    r: &Request,
    title: &str,
    discount: Option<&DiscountRow>,
    custom: Option<(&str, &str)>,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    let (subject, body) = match (r.status, custom) {
        (Status::Denied, Some((s, b))) => (s.to_owned(), b.to_owned()),
        (Status::Approved | Status::AutoApproved, _) => (
            format!("Your personalized course price for {title} MITxOnline"),
            format!(
                "After reviewing your income documentation, the {title} team has awarded you financial \
                 assistance in the amount of {}.\n\nYou can pay for MITxOnline courses through the MITxOnline \
                 portal (https://MITxOnline.mit.edu/dashboard). All coursework will be conducted on mitxonline.mit.edu\n",
                discount.map(describe).unwrap_or_else(|| "no discount".into())
            ),
        ),
        (Status::Reset, _) => (
            format!("Update to your personalized course price for {title} MITxOnline"),
            "As requested, we have reset your personalized course price. Please visit the MITxOnline \
             dashboard and re-submit your annual income information.\n"
                .to_owned(),
        ),
        _ => (
            format!("Documents received for {title} MITxOnline"),
            "We have received your documents verifying your income. We will review and process them within \
             5 working days. If you have not received a confirmation email within one week, please feel free \
             to reply to this email. Otherwise you should receive a confirmation email with your course price.\n\n\
             While you are waiting, we encourage you to enroll now and pay later, when a decision has been reached.\n"
                .to_owned(),
        ),
    };
    send(c, r.user_id, subject, body, now)
}
