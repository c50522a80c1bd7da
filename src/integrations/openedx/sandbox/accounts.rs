//! The sandbox edX's accounts: registration (edX's duplicate-username and duplicate-email
//! answers), registration validation, and the staff lookup of accounts by email.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use rand::Rng as _;
use serde_json::{Value, json};

use super::handlers::{Res, db_error, form, reply, require_service, valid_username};
use super::{Sandbox, store};
use crate::db::DbError;

pub async fn register(State(s): State<Sandbox>, body: Bytes) -> Res {
    let f = form(&body);
    let username = f.get("username").cloned().unwrap_or_default();
    let email = f.get("email").cloned().unwrap_or_default();
    if !valid_username(&username) {
        return Ok(reply(
            StatusCode::BAD_REQUEST,
            json!({ "username": [{ "user_message": "Usernames can only contain letters (A-Z, a-z), numerals (0-9), underscores (_), and hyphens (-), 2 to 30 characters." }], "error_code": "validation-error" }),
        ));
    }
    if !email.contains('@') {
        return Ok(reply(
            StatusCode::BAD_REQUEST,
            json!({ "email": [{ "user_message": "A properly formatted e-mail is required" }], "error_code": "validation-error" }),
        ));
    }
    let now = s.clock.now();
    let out = s
        .db
        .write(move |c| -> Result<Response, DbError> {
            if store::user_by_name(c, &username)?.is_some() {
                let suggestions: Vec<String> = (0..3).map(|_| format!("{}{}", &username[..username.len().min(24)], rand::rng().random_range(100..999))).collect();
                return Ok(reply(StatusCode::CONFLICT, json!({
                    "username": [{ "user_message": format!("It looks like {username} belongs to an existing account. Try again with a different username.") }],
                    "error_code": "duplicate-username", "username_suggestions": suggestions })));
            }
            if store::user_by_email(c, &email)?.is_some() {
                return Ok(reply(StatusCode::CONFLICT, json!({
                    "email": [{ "user_message": format!("It looks like {email} belongs to an existing account. Try again with a different email address.") }],
                    "error_code": "duplicate-email" })));
            }
            store::insert_user(c, &f, now)?;
            Ok(reply(StatusCode::OK, json!({ "success": true, "redirect_url": "/dashboard" })))
        })
        .await
        .map_err(db_error)?;
    Ok(out)
}

pub async fn validate(State(s): State<Sandbox>, body: Bytes) -> Res {
    let f = form(&body);
    let username = f.get("username").cloned().unwrap_or_default();
    let email = f.get("email").cloned().unwrap_or_default();
    let (u, e) =
        s.db.read(move |c| -> Result<_, DbError> {
            Ok((
                store::user_by_name(c, &username)?.map(|_| username),
                store::user_by_email(c, &email)?.map(|_| email),
            ))
        })
        .await
        .map_err(db_error)?;
    let mut d = serde_json::Map::new();
    if let Some(name) = f.get("username") {
        let msg = if u.is_some() {
            format!(
                "It looks like {name} belongs to an existing account. Try again with a different username."
            )
        } else if !valid_username(name) {
            "Usernames can only contain letters, numerals, underscores and hyphens.".to_owned()
        } else {
            String::new()
        };
        d.insert("username".into(), json!(msg));
    }
    if let Some(mail) = f.get("email") {
        let msg = if e.is_some() {
            format!("It looks like {mail} belongs to an existing account.")
        } else {
            String::new()
        };
        d.insert("email".into(), json!(msg));
    }
    Ok(reply(StatusCode::OK, json!({ "validation_decisions": d })))
}

/// `GET /api/user/v1/accounts?email=` (staff/service only): the accounts with that email, as
/// edX lists them.
pub async fn accounts_by_email(
    State(s): State<Sandbox>,
    h: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Res {
    require_service(&h)?;
    let email = q.get("email").cloned().unwrap_or_default();
    let found =
        s.db.read(move |c| store::user_by_email(c, &email))
            .await
            .map_err(db_error)?;
    let list: Vec<Value> = found
        .into_iter()
        .map(|u| json!({ "username": u.username, "email": u.email, "name": u.name }))
        .collect();
    Ok(reply(StatusCode::OK, json!(list)))
}
