//! The sandbox's hosted checkout page: receive the signed form, show the order and test cards,
//! turn the learner's choice into a signed result for the browser and the back office.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use chrono::NaiveDateTime;
use maud::{Markup, html};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{
    Choice, PAY_PATH, TEST_CARDS, backoffice_url, callback_message, override_allowed, result_fields, store,
    transaction_id,
};
use crate::db::DbError;
use crate::http::layout;
use crate::http::{AppError, PageCtx};
use crate::integrations::cybersource::checkout::SIGNED_DATE_TIME_FORMAT;
use crate::integrations::cybersource::{CallbackForm, CyberSource, SANDBOX_ACCESS_KEY, SANDBOX_PROFILE_ID};
use crate::outbox;
use crate::state::AppState;

/// How old a signed checkout form may be (CyberSource refuses stale `signed_date_time`).
const MAX_FORM_AGE_MINUTES: i64 = 15;
/// Tolerated clock skew into the future.
const MAX_FORM_SKEW_MINUTES: i64 = 5;

/// A 400 naming the field; HTML error pages show the message (not a DRF field map).
fn field_error(name: &str, message: &str) -> AppError {
    AppError::BadRequest(format!("The field `{name}` is invalid: {message}"))
}

fn sandbox(state: &AppState) -> Result<CyberSource, AppError> {
    let cs = CyberSource::from_config(&state.config);
    if cs.sandbox {
        Ok(cs)
    } else {
        Err(AppError::not_found())
    }
}

fn frame(ctx: &PageCtx, title: &str, content: Markup) -> Markup {
    layout::private_page(ctx, title, content)
}

/// `GET /sandbox/cybersource/pay`: the page only takes signed POSTs, like CyberSource's.
pub async fn explain(State(state): State<AppState>, ctx: PageCtx) -> Result<Markup, AppError> {
    let cs = sandbox(&state)?;
    Ok(frame(
        &ctx,
        "CyberSource sandbox",
        html! {
            div class="container" {
                h1 { "CyberSource sandbox" }
                p { "This page stands in for CyberSource's hosted checkout on a development instance. It only accepts the signed checkout form that MITx Online posts when a learner pays." }
                p { "Profile " code { (cs.credentials.profile_id) } ", access key " code { (cs.credentials.access_key) } "." }
            }
        },
    ))
}

/// `POST /sandbox/cybersource/pay`: verify and record the checkout form, show the payment page.
pub async fn receive_checkout(
    State(state): State<AppState>,
    ctx: PageCtx,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Markup, AppError> {
    let cs = sandbox(&state)?;
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let form = CallbackForm::from_body(content_type, &body)
        .map_err(|e| AppError::BadRequest(format!("The checkout form was not readable: {e}.")))?;
    cs.verify(&form)
        .map_err(|e| AppError::Forbidden(format!("The checkout form was refused: {e}.")))?;
    if form.get("access_key") != Some(SANDBOX_ACCESS_KEY)
        || form.get("profile_id") != Some(SANDBOX_PROFILE_ID)
    {
        return Err(AppError::Forbidden(
            "The checkout form was refused: unknown access_key or profile_id.".into(),
        ));
    }
    let signed: Vec<&str> = form
        .get("signed_field_names")
        .unwrap_or_default()
        .split(',')
        .collect();
    for name in [
        "reference_number",
        "transaction_uuid",
        "amount",
        "currency",
        "signed_date_time",
        "override_custom_receipt_page",
    ] {
        if !signed.contains(&name) || form.get(name).is_none_or(str::is_empty) {
            return Err(field_error(name, "This field is required and must be signed."));
        }
    }
    let get = |k: &str| form.get(k).unwrap_or_default().to_owned();
    let amount: Decimal = get("amount")
        .parse()
        .ok()
        .filter(|a: &Decimal| !a.is_sign_negative())
        .ok_or_else(|| field_error("amount", "Enter a non-negative decimal amount."))?;
    let now = state.clock.now();
    let signed_at = NaiveDateTime::parse_from_str(&get("signed_date_time"), SIGNED_DATE_TIME_FORMAT)
        .map_err(|_| field_error("signed_date_time", "Expected YYYY-MM-DDTHH:MM:SSZ (UTC)."))?
        .and_utc();
    if now - signed_at > chrono::Duration::minutes(MAX_FORM_AGE_MINUTES)
        || signed_at - now > chrono::Duration::minutes(MAX_FORM_SKEW_MINUTES)
    {
        return Err(field_error(
            "signed_date_time",
            "The checkout form has expired; start the payment again.",
        ));
    }
    for name in [
        "override_custom_receipt_page",
        "override_custom_cancel_page",
        "override_backoffice_post_url",
    ] {
        if form.get(name).is_some_and(|u| !u.is_empty())
            && !override_allowed(&state.config, &form.fields, name)
        {
            return Err(field_error(
                name,
                &format!(
                    "It must be a signed field and an absolute URL on this site ({}).",
                    state.config.public_url.as_str().trim_end_matches('/')
                ),
            ));
        }
    }
    let token = Uuid::new_v4().simple().to_string();
    let fields = form.fields.clone();
    let (uuid, reference, amount_text, currency) = (
        get("transaction_uuid"),
        get("reference_number"),
        amount.to_string(),
        get("currency"),
    );
    let payment = state
        .db
        .write(move |c| {
            store::insert_or_get(
                c,
                &store::NewPayment {
                    token: &token,
                    transaction_uuid: &uuid,
                    reference_number: &reference,
                    amount: &amount_text,
                    currency: &currency,
                    request_fields: &fields,
                },
                now,
            )
        })
        .await?;
    if payment.decision.is_some() {
        return Err(AppError::Conflict(
            "This payment was already completed; start a new checkout to pay again.".into(),
        ));
    }
    Ok(payment_page(&ctx, &payment, &form))
}

fn payment_page(ctx: &PageCtx, payment: &store::SandboxPayment, form: &CallbackForm) -> Markup {
    let count: usize = form
        .get("line_item_count")
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let action = ctx.prefix.url(&format!("{PAY_PATH}/{}", payment.token));
    frame(
        ctx,
        "Sandbox payment",
        html! {
            div class="container" {
                h1 { "CyberSource sandbox payment" }
                p { "Nothing is charged here. Choose a test card and what the bank should answer." }
                h2 { "Order " (payment.reference_number) }
                table {
                    thead { tr { th scope="col" { "Item" } th scope="col" { "Quantity" } th scope="col" { "Unit price" } } }
                    tbody {
                        @for i in 0..count.min(200) {
                            tr {
                                td { (form.get(&format!("item_{i}_name")).unwrap_or_default()) }
                                td { (form.get(&format!("item_{i}_quantity")).unwrap_or_default()) }
                                td { (form.get(&format!("item_{i}_unit_price")).unwrap_or_default()) }
                            }
                        }
                    }
                }
                p { strong { "Total: " (payment.amount) " " (payment.currency) } }
                form method="post" action=(action) {
                    fieldset {
                        legend { "Test card" }
                        @for (i, (number, _, name)) in TEST_CARDS.iter().enumerate() {
                            div {
                                input type="radio" name="card" id=(format!("card-{i}")) value=(number) checked[i == 0];
                                label for=(format!("card-{i}")) { (name) " " (number) }
                            }
                        }
                    }
                    div {
                        input type="checkbox" name="lose_backoffice" id="lose_backoffice" value="on";
                        label for="lose_backoffice" { "Lose the server-to-server notification (simulates CyberSource's unretried back-office post failing)" }
                    }
                    button type="submit" name="decision" value="accept" { "Accept payment" }
                    " "
                    button type="submit" name="decision" value="decline" { "Decline card" }
                    " "
                    button type="submit" name="decision" value="review" { "Hold for review" }
                    " "
                    button type="submit" name="decision" value="error" { "Processing error" }
                    " "
                    button type="submit" name="decision" value="cancel" { "Cancel" }
                }
            }
        },
    )
}

/// `POST /sandbox/cybersource/pay/{token}`: record the decision, queue the back-office post,
/// and hand the signed result to the browser.
pub async fn decide(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(token): Path<String>,
    body: Bytes,
) -> Result<Markup, AppError> {
    let cs = sandbox(&state)?;
    let input: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
        .map_err(|_| AppError::BadRequest("The form was not readable.".into()))?;
    let field = |k: &str| input.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let choice = field("decision")
        .and_then(Choice::parse)
        .ok_or_else(|| field_error("decision", "Choose accept, decline, review, error or cancel."))?;
    let card = match field("card") {
        None => TEST_CARDS[0],
        Some(n) => *TEST_CARDS
            .iter()
            .find(|(number, _, _)| *number == n)
            .ok_or_else(|| field_error("card", "Choose one of the test cards."))?,
    };
    let lose = field("lose_backoffice") == Some("on");
    let lookup = token.clone();
    let payment = state
        .db
        .read(move |c| store::by_token(c, &lookup))
        .await?
        .ok_or_else(AppError::not_found)?;
    if payment.decision.is_some() {
        return Err(AppError::Conflict("This payment was already completed.".into()));
    }
    let now = state.clock.now();
    let has_transaction = !matches!(choice, Choice::Cancel | Choice::Error);
    let txn = has_transaction.then(|| transaction_id(payment.id, now));
    let fields = result_fields(
        cs.credentials.security_key.expose(),
        &payment.request_fields,
        choice,
        card,
        txn.as_deref(),
        now,
    );
    let message = callback_message(
        &backoffice_url(&state.config, &payment.request_fields),
        &fields,
        &payment.transaction_uuid,
    );
    let (id, stored) = (payment.id, fields.clone());
    let decided = state
        .db
        .write(move |c| {
            if !store::decide(c, id, choice.decision(), txn.as_deref(), &stored, now)? {
                return Ok(false);
            }
            if !lose {
                outbox::enqueue(c, now, &message)?;
            }
            Ok::<_, DbError>(true)
        })
        .await?;
    if !decided {
        return Err(AppError::Conflict("This payment was already completed.".into()));
    }
    if !lose {
        state.outbox.wake();
    }
    // Checked when the form arrived; checked again, as the sandbox only ever returns to us.
    let request = |k: &str| {
        payment
            .request_fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty() && override_allowed(&state.config, &payment.request_fields, k))
    };
    let receipt = request("override_custom_receipt_page")
        .unwrap_or_else(|| state.config.absolute_url("/checkout/result/"));
    let target = match choice {
        Choice::Cancel => request("override_custom_cancel_page").unwrap_or(receipt),
        _ => receipt,
    };
    Ok(frame(
        &ctx,
        "Returning to MITx Online",
        html! {
            div class="container" {
                h1 { "Payment " (choice.decision().to_lowercase()) }
                form method="post" action=(target) data-autosubmit {
                    @for (k, v) in &fields {
                        input type="hidden" name=(k) value=(v);
                    }
                    p { "Returning you to MITx Online…" }
                    button type="submit" { "Continue" }
                }
            }
        },
    ))
}
