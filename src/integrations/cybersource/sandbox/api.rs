//! The sandbox's REST API: refunds, Transaction Search and Transaction Details, answered from
//! what the hosted page recorded, behind the same HTTP Signature check CyberSource applies.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, OriginalUri, Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit as _, Mac as _};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sha2::Sha256;

use super::store::{self, SandboxPayment};
use crate::clock::to_db;
use crate::db::DbError;
use crate::integrations::cybersource::rest::{digest, signing_string};
use crate::integrations::cybersource::signing::constant_time_eq;
use crate::integrations::cybersource::{CyberSource, SANDBOX_KEY_ID, SANDBOX_MERCHANT_ID};
use crate::state::AppState;

/// How far a request's `Date` may be from the sandbox's clock (replayed requests are refused).
const MAX_DATE_SKEW_SECONDS: i64 = 15 * 60;

fn reply(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

fn boxed(status: StatusCode, body: Value) -> Box<Response> {
    Box::new(reply(status, body))
}

fn error(status: StatusCode, reason: &str, message: &str) -> Response {
    reply(
        status,
        json!({ "status": "INVALID_REQUEST", "reason": reason, "message": message }),
    )
}

fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "sandbox CyberSource storage failed");
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "SYSTEM_ERROR",
        "General system failure.",
    )
}

/// Checks CyberSource's HTTP Signature on a request to the sandbox.
fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    method: &str,
    uri: &OriginalUri,
    body: Option<&[u8]>,
) -> Result<CyberSource, Box<Response>> {
    let cs = CyberSource::from_config(&state.config);
    if !cs.sandbox {
        return Err(Box::new(error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "The sandbox is off.",
        )));
    }
    let denied = |why: &str| {
        tracing::info!(why, "sandbox CyberSource refused a REST request");
        boxed(
            StatusCode::UNAUTHORIZED,
            json!({ "response": { "rmsg": format!("Authentication Failed: {why}") } }),
        )
    };
    let header = |k: &str| headers.get(k).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let creds = cs.rest.clone().ok_or_else(|| denied("no credentials"))?;
    let sig = header("signature");
    let mut params = std::collections::BTreeMap::new();
    for part in sig.split(", ") {
        if let Some((k, v)) = part.split_once('=') {
            params.insert(k.trim().to_owned(), v.trim().trim_matches('"').to_owned());
        }
    }
    let want_headers = if body.is_some() {
        "host date request-target digest v-c-merchant-id"
    } else {
        "host date request-target v-c-merchant-id"
    };
    if params.get("keyid").map(String::as_str) != Some(SANDBOX_KEY_ID)
        || params.get("algorithm").map(String::as_str) != Some("HmacSHA256")
        || params.get("headers").map(String::as_str) != Some(want_headers)
    {
        return Err(denied("unexpected keyid, algorithm or headers"));
    }
    if header("v-c-merchant-id") != SANDBOX_MERCHANT_ID {
        return Err(denied("unknown merchant"));
    }
    let fresh = chrono::DateTime::parse_from_rfc2822(header("date"))
        .is_ok_and(|d| (state.clock.now() - d.to_utc()).num_seconds().abs() <= MAX_DATE_SKEW_SECONDS);
    if !fresh {
        return Err(denied("the Date header is missing or more than 15 minutes off"));
    }
    let body_digest = body.map(digest);
    if let Some(d) = &body_digest
        && !constant_time_eq(d.as_bytes(), header("digest").as_bytes())
    {
        return Err(denied("digest does not match the body"));
    }
    let target = uri.0.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let text = signing_string(
        method,
        target,
        header("host"),
        header("date"),
        body_digest.as_deref(),
        SANDBOX_MERCHANT_ID,
    );
    let key = STANDARD
        .decode(creds.secret.expose())
        .map_err(|_| denied("bad sandbox secret"))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
    mac.update(text.as_bytes());
    let expected = STANDARD.encode(mac.finalize().into_bytes());
    let given = params.get("signature").map(String::as_str).unwrap_or_default();
    if !constant_time_eq(expected.as_bytes(), given.as_bytes()) {
        return Err(denied("signature does not match"));
    }
    Ok(cs)
}

/// A signed POST's JSON body, or the response refusing it (bad signature, not JSON).
/// A REST call's JSON body, once its HTTP signature checked out (else the sandbox's refusal).
pub struct SignedJson(Value);

impl FromRequest<AppState> for SignedJson {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let Ok(uri) = OriginalUri::from_request_parts(&mut parts, state).await;
        let Ok(headers) = HeaderMap::from_request_parts(&mut parts, state).await;
        let body = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        signed_json(state, &headers, &uri, &body)
            .map(SignedJson)
            .map_err(|r| *r)
    }
}

fn signed_json(
    state: &AppState,
    headers: &HeaderMap,
    uri: &OriginalUri,
    body: &Bytes,
) -> Result<Value, Box<Response>> {
    authenticate(state, headers, "POST", uri, Some(body))?;
    serde_json::from_slice::<Value>(body).map_err(|_| {
        Box::new(error(
            StatusCode::BAD_REQUEST,
            "INVALID_DATA",
            "The body is not JSON.",
        ))
    })
}

/// `POST …/pts/v2/payments/{id}/refunds`
pub async fn refund(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedJson(request): SignedJson,
) -> Response {
    let amount_details = &request["orderInformation"]["amountDetails"];
    let Some(amount) = amount_details["totalAmount"]
        .as_str()
        .and_then(|a| a.parse::<Decimal>().ok())
        .filter(|a| *a > Decimal::ZERO)
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "MISSING_FIELD",
            "Declined - orderInformation.amountDetails.totalAmount is missing or invalid.",
        );
    };
    let lookup = id.clone();
    let payment = match state.db.read(move |c| store::by_transaction_id(c, &lookup)).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            return error(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                "The requested resource does not exist.",
            );
        }
        Err(e) => return internal(e),
    };
    if payment.decision.as_deref() != Some("ACCEPT") {
        return error(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            "Declined - the payment was not captured.",
        );
    }
    let paid: Decimal = payment.amount.parse().unwrap_or_default();
    let now = state.clock.now();
    let pid = payment.id;
    let made = state
        .db
        .write(move |c| {
            let lost = store::take_fault(c, store::LOSE_NEXT_REFUND_REPLY)?;
            let out = store::refund(c, pid, amount, paid, lost, now)?;
            if lost && !matches!(out, store::RefundOutcome::Refunded(_)) {
                store::arm_fault(c, store::LOSE_NEXT_REFUND_REPLY, now)?;
            }
            Ok::<_, DbError>((out, lost))
        })
        .await;
    let refund_id = match made {
        Ok((store::RefundOutcome::Refunded(_), true)) => {
            return error(
                StatusCode::GATEWAY_TIMEOUT,
                "SERVER_TIMEOUT",
                "The sandbox made this refund but lost its reply (an armed fault).",
            );
        }
        Ok((store::RefundOutcome::Refunded(id), false)) => id,
        Ok((store::RefundOutcome::AlreadyRefunded, _)) => {
            return error(
                StatusCode::BAD_REQUEST,
                "DUPLICATE_REQUEST",
                "Declined - The merchantReferenceCode sent with this authorization request matches the merchantReferenceCode of another authorization request that you sent in the last 15 minutes.",
            );
        }
        Ok((store::RefundOutcome::Exceeds, _)) => {
            return error(
                StatusCode::BAD_REQUEST,
                "INVALID_AMOUNT",
                "Declined - the refund exceeds the captured amount.",
            );
        }
        Err(e) => return internal(e),
    };
    reply(
        StatusCode::CREATED,
        json!({
            "id": refund_id,
            "submitTimeUtc": now.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "status": "PENDING",
            "reconciliationId": refund_id,
            "clientReferenceInformation": { "code": payment.reference_number },
            "processorInformation": { "responseCode": "100" },
            "refundAmountDetails": { "refundAmount": amount.to_string(), "currency": payment.currency },
        }),
    )
}

/// `POST …/tss/v2/searches`: `clientReferenceInformation.code:<ref> OR …`, newest first.
pub async fn search(State(state): State<AppState>, SignedJson(request): SignedJson) -> Response {
    let query = request["query"].as_str().unwrap_or_default();
    let mut references = Vec::new();
    for term in query.split(" OR ") {
        match term.trim().strip_prefix("clientReferenceInformation.code:") {
            Some(r) if !r.is_empty() => references.push(r.to_owned()),
            _ => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "INVALID_DATA",
                    "The sandbox only searches clientReferenceInformation.code.",
                );
            }
        }
    }
    let limit = request["limit"].as_u64().unwrap_or(20).clamp(1, 2500) as usize;
    let (hits, refunds) = match state
        .db
        .read(move |c| {
            Ok::<_, DbError>((
                store::search(c, &references, limit)?,
                store::refunds_for_references(c, &references)?,
            ))
        })
        .await
    {
        Ok(h) => h,
        Err(e) => return internal(e),
    };
    let mut summaries: Vec<Value> = hits
        .iter()
        .map(|p| {
            let r = |k: &str| {
                p.result_fields
                    .as_ref()
                    .and_then(|f| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
            };
            json!({
                "id": p.transaction_id,
                "submitTimeUtc": submitted(p),
                "clientReferenceInformation": { "code": p.reference_number },
                "applicationInformation": {
                    "reasonCode": r("reason_code"),
                    "applications": [
                        { "name": "ics_auth", "reasonCode": r("reason_code") },
                        { "name": "ics_bill", "reasonCode": r("reason_code") },
                    ],
                },
                "orderInformation": { "amountDetails": { "totalAmount": p.amount, "currency": p.currency } },
            })
        })
        .chain(refunds.iter().map(super::refunds::summary))
        .collect();
    summaries.sort_by(|a, b| b["submitTimeUtc"].as_str().cmp(&a["submitTimeUtc"].as_str()));
    summaries.truncate(limit);
    reply(
        StatusCode::CREATED,
        json!({
            "searchId": uuid::Uuid::new_v4().to_string(),
            "save": false,
            "name": request["name"],
            "query": query,
            "limit": limit,
            "sort": "submitTimeUtc:desc",
            "count": summaries.len(),
            "totalCount": summaries.len(),
            "_embedded": { "transactionSummaries": summaries },
        }),
    )
}

fn submitted(p: &SandboxPayment) -> String {
    p.decided_on
        .as_deref()
        .and_then(crate::clock::from_db)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| to_db(chrono::Utc::now()))
}

/// `GET …/tss/v2/transactions/{id}`
pub async fn details(
    State(state): State<AppState>,
    Path(id): Path<String>,
    uri: OriginalUri,
    headers: HeaderMap,
) -> Response {
    let cs = match authenticate(&state, &headers, "GET", &uri, None) {
        Ok(cs) => cs,
        Err(r) => return *r,
    };
    let base = cs
        .rest
        .as_ref()
        .map(|r| r.base_url.as_str().trim_end_matches('/').to_owned())
        .unwrap_or_default();
    let found = state
        .db
        .read(move |c| {
            let payment = store::by_transaction_id(c, &id)?;
            let refunds = match &payment {
                Some(p) => store::refunds_of_payment(c, p.id)?,
                None => Vec::new(),
            };
            let refund = match payment {
                Some(_) => None,
                None => store::refund_by_id(c, &id)?,
            };
            Ok::<_, DbError>((payment, refunds, refund))
        })
        .await;
    let (payment, refunds) = match found {
        Ok((Some(p), refunds, _)) => (p, refunds),
        Ok((None, _, Some(refund))) => {
            return reply(StatusCode::OK, super::refunds::details(&refund, &base));
        }
        Ok((None, _, None)) => {
            return error(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                "The requested resource does not exist.",
            );
        }
        Err(e) => return internal(e),
    };
    let result = payment.result_fields.clone().unwrap_or_default();
    let r = |k: &str| result.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let count: usize = r("req_line_item_count").and_then(|c| c.parse().ok()).unwrap_or(0);
    let lines: Vec<Value> = (0..count.min(200))
        .map(|i| {
            let f = |k: &str| r(&format!("req_item_{i}_{k}"));
            json!({
                "productCode": f("code"), "productName": f("name"), "productSku": f("sku"),
                "quantity": f("quantity").and_then(|q| q.parse::<u64>().ok()),
                "unitPrice": f("unit_price"), "taxAmount": f("tax_amount"),
            })
        })
        .collect();
    let merchant_defined: Vec<Value> = result
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("req_merchant_defined_data")
                .map(|n| json!({ "key": n, "value": v }))
        })
        .collect();
    let expiry = r("req_card_expiry_date").unwrap_or_default();
    let (month, year) = expiry.split_once('-').unwrap_or(("", ""));
    reply(
        StatusCode::OK,
        json!({
            "id": payment.transaction_id,
            "rootId": payment.transaction_id,
            "submitTimeUTC": submitted(&payment),
            "merchantId": SANDBOX_MERCHANT_ID,
            "applicationInformation": {
                "reasonCode": r("reason_code"),
                "applications": [
                    { "name": "ics_auth", "reasonCode": r("reason_code"), "rMessage": r("message") },
                    { "name": "ics_bill", "reasonCode": r("reason_code"), "rMessage": r("message") },
                ],
            },
            "processorInformation": {
                "approvalCode": r("auth_code"),
                "responseCode": r("auth_response"),
                "networkTransactionId": r("auth_trans_ref_no"),
                "avs": { "code": "Y", "codeRaw": "Y" },
            },
            "orderInformation": {
                "amountDetails": {
                    "totalAmount": payment.amount,
                    "authorizedAmount": r("auth_amount"),
                    "currency": payment.currency,
                },
                "billTo": {
                    "firstName": r("req_bill_to_forename"), "lastName": r("req_bill_to_surname"),
                    "email": r("req_bill_to_email"), "address1": r("req_bill_to_address_line1"),
                    "locality": r("req_bill_to_address_city"), "administrativeArea": r("req_bill_to_address_state"),
                    "postalCode": r("req_bill_to_address_postal_code"), "country": r("req_bill_to_address_country"),
                },
                "lineItems": lines,
            },
            "paymentInformation": { "card": { "expirationMonth": month, "expirationYear": year, "type": r("req_card_type") } },
            "buyerInformation": { "merchantCustomerId": r("req_consumer_id") },
            "deviceInformation": { "ipAddress": r("req_customer_ip_address") },
            "clientReferenceInformation": { "code": payment.reference_number },
            "merchantDefinedInformation": merchant_defined,
            "profileId": cs.credentials.profile_id,
            "_links": {
                "self": { "href": format!("{base}/tss/v2/transactions/{}", payment.transaction_id.clone().unwrap_or_default()), "method": "GET" },
                "relatedTransactions": super::refunds::related(&refunds, &base),
            },
        }),
    )
}
