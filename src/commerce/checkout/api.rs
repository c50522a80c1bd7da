//! Checkout over the API: starting a checkout (signed CyberSource form), the v0 checkout
//! endpoint and the gateway's results (`/api/checkout/result/`, shared with the browser return).

use crate::commerce::checkout;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::commerce::openapi::{ErrorBody, Refusals};

use crate::commerce::checkout::service::Started;
use crate::commerce::error::CommerceError;
use crate::commerce::orders::integrity;
use crate::http::error::AppError;
use crate::http::session::{CurrentUser, Identity};
use crate::integrations::cybersource::{
    CallbackForm, CheckoutForm, CheckoutLine, CheckoutOrder, CyberSource, ReturnUrls, order_id_from_reference,
};
use crate::state::AppState;

/// Starts a checkout for the user: the order and, unless it was free, the signed form. The
/// form is signed and recorded as the order's last issued form in the same write that prices
/// the order, so the only form that can pay it is the one with this price (a re-priced order
/// gets a new transaction uuid; every older form is dead).
pub async fn start_checkout(
    state: &AppState,
    user: &crate::users::store::User,
    ip: Option<String>,
    catalog: &crate::catalog::CatalogCache,
) -> Result<(Started, Option<CheckoutForm>), CommerceError> {
    let (cat, _) = catalog.get(&state.db).await?;
    let env = state.config.environment.clone();
    let uid = user.id;
    let cs = CyberSource::from_config(&state.config);
    let receipt = state.config.absolute_url("/checkout/result/");
    let username = user.username.clone();
    let started = state
        .write_queued(move |c, now| {
            let started = checkout::service::start(c, &cat, uid, &env, now)?;
            let Started::Pay {
                order,
                lines,
                basket_id,
            } = &started
            else {
                return Ok::<_, CommerceError>((started, None));
            };
            let form = cs.checkout(
                &checkout_order(username, ip, &order.reference_number, lines, *basket_id),
                &ReturnUrls {
                    receipt: receipt.clone(),
                    cancel: receipt,
                    backoffice: None,
                },
                now,
            );
            integrity::record_issued(c, order.id, &integrity::Issued::from_form(&form), now)?;
            Ok((started, Some(form)))
        })
        .await?;
    Ok(started)
}

/// The gateway's view of an order: one line per order line, priced as charged.
fn checkout_order(
    username: String,
    ip_address: Option<String>,
    reference: &str,
    lines: &[crate::commerce::orders::model::LineRow],
    basket_id: i64,
) -> CheckoutOrder {
    let lines = lines
        .iter()
        .map(|l| {
            let (ct, obj) = match (l.course_run_id, l.program_id) {
                (Some(r), _) => (crate::commerce::orders::model::COURSE_RUN_CONTENT_TYPE_ID, r),
                (_, Some(p)) => (crate::commerce::orders::model::PROGRAM_CONTENT_TYPE_ID, p),
                _ => (0, 0),
            };
            CheckoutLine {
                code: ct.to_string(),
                name: l.description.clone(),
                sku: format!("{ct}-{obj}"),
                quantity: l.quantity,
                unit_price: l.discounted_price,
                tax_amount: rust_decimal::Decimal::ZERO,
            }
        })
        .collect();
    CheckoutOrder {
        username,
        ip_address,
        reference: reference.to_owned(),
        lines,
        merchant_fields: vec![basket_id.into()],
    }
}

/// A checkout started: the signed payment form to post to the gateway, or (a free order,
/// fulfilled already) none.
#[derive(Serialize, ToSchema)]
pub struct CheckoutStarted {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The signed form fields, free-form: their names are the gateway's (`item_0_name`,
    /// `signed_field_names`, …) and depend on the order's lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub payload: Option<serde_json::Map<String, serde_json::Value>>,
    pub no_checkout: bool,
    pub order_id: i64,
}

/// Why no checkout started, in the original's codes.
#[derive(Serialize, ToSchema)]
pub struct CheckoutRefused {
    pub error: String,
    pub no_checkout: bool,
}

/// GET `/api/v0/baskets/checkout/`: `{no_checkout, url, method, payload, order_id}`, or 400
/// `{error}` with the original's codes.
#[utoipa::path(get, path = "/api/v0/baskets/checkout/", tag = "checkout", operation_id = "baskets_checkout_retrieve",
    responses((status = 200, description = "The order and its payment form", body = CheckoutStarted),
        (status = 400, description = "No checkout: `error` says why", body = CheckoutRefused),
        (status = 403, description = "Not signed in", body = ErrorBody)))]
pub async fn v0_checkout(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    identity: Identity,
    catalog: crate::catalog::api::Cache,
) -> Result<Response, AppError> {
    let ip = identity.peer.map(|p| p.to_string());
    match start_checkout(&state, &user, ip, &catalog).await {
        Ok((Started::Free { order }, _)) => Ok(Json(CheckoutStarted {
            url: None,
            method: None,
            payload: None,
            no_checkout: true,
            order_id: order.id,
        })
        .into_response()),
        Ok((Started::Pay { order, .. }, Some(form))) => Ok(Json(CheckoutStarted {
            url: Some(form.url),
            method: Some(form.method.to_owned()),
            payload: Some(form.payload),
            no_checkout: false,
            order_id: order.id,
        })
        .into_response()),
        Ok((Started::Pay { .. }, None)) => Err(AppError::Internal(anyhow::anyhow!("no checkout form"))),
        Err(CommerceError::Checkout(code)) => Ok((
            StatusCode::BAD_REQUEST,
            Json(CheckoutRefused {
                error: code.to_string(),
                no_checkout: true,
            }),
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

/// Verifies and applies a posted gateway result. `Err(status)` for a bad signature (the
/// caller picks 401 or 403) or an unknown order (404).
pub async fn receive_result(
    state: &AppState,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<checkout::service::Applied, ResultError> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let form = CallbackForm::from_body(ct, body).map_err(|_| ResultError::BadSignature)?;
    let cs = CyberSource::from_config(&state.config);
    cs.verify(&form).map_err(|_| ResultError::BadSignature)?;
    let response = form.decode();
    let order_id = response
        .reference_number
        .as_deref()
        .and_then(|r| order_id_from_reference(&state.config.environment, r))
        .ok_or(ResultError::UnknownOrder)?;
    let data = form.to_json();
    let applied = state
        .write_at(move |c, now| checkout::service::apply_result(c, order_id, &response, &data, now))
        .await
        .map_err(|e| ResultError::Internal(e.into()))?;
    state.outbox.wake();
    applied.ok_or(ResultError::UnknownOrder)
}

/// Why a posted result was not applied.
pub enum ResultError {
    BadSignature,
    UnknownOrder,
    Internal(AppError),
}

/// POST `/api/checkout/result/` (back office): 401 bad signature, 404 unknown order, else 200.
#[utoipa::path(post, path = "/api/checkout/result/", tag = "checkout", operation_id = "checkout_result_create",
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "The gateway's signed result fields"),
    responses((status = 200, description = "Applied (an empty body)"), Refusals))]
pub async fn backoffice_result(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    match receive_result(&state, &headers, &body).await {
        Ok(_) => StatusCode::OK.into_response(),
        Err(ResultError::BadSignature) => AppError::Unauthorized("Invalid signature.".into()).into_response(),
        Err(ResultError::UnknownOrder) => AppError::NotFound("Order not found.".into()).into_response(),
        Err(ResultError::Internal(e)) => e.into_response(),
    }
}
