//! The sandbox edX's HTTP handlers: edX's status codes and JSON shapes for each call.

#![expect(
    clippy::result_large_err,
    reason = "handlers answer with axum responses on both paths; the sandbox is not a hot path"
)]

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rand::Rng as _;
use rand::distr::Alphanumeric;
use serde_json::{Value, json};

use super::{CLIENT_ID, CLIENT_SECRET, SERVICE_TOKEN, Sandbox, TOKEN_SECONDS, store};
use crate::db::DbError;

pub(super) type Res = Result<Response, Response>;

pub(super) fn reply(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

pub(super) fn db_error(e: impl std::fmt::Display) -> Response {
    reply(
        StatusCode::INTERNAL_SERVER_ERROR,
        json!({ "detail": e.to_string() }),
    )
}

fn bearer(h: &HeaderMap) -> Option<String> {
    let v = h.get(header::AUTHORIZATION)?.to_str().ok()?;
    v.strip_prefix("Bearer ").map(str::to_owned)
}

pub(super) fn require_service(h: &HeaderMap) -> Result<(), Response> {
    if bearer(h).as_deref() == Some(SERVICE_TOKEN) {
        Ok(())
    } else {
        Err(reply(
            StatusCode::UNAUTHORIZED,
            json!({ "detail": "Authentication credentials were not provided." }),
        ))
    }
}

async fn token_user(s: &Sandbox, h: &HeaderMap) -> Result<String, Response> {
    let Some(tok) = bearer(h) else {
        return Err(reply(
            StatusCode::UNAUTHORIZED,
            json!({ "detail": "Authentication credentials were not provided." }),
        ));
    };
    let now = s.clock.now();
    let user =
        s.db.read(move |c| store::token_user(c, &tok, now))
            .await
            .map_err(db_error)?;
    user.ok_or_else(|| reply(StatusCode::UNAUTHORIZED, json!({ "detail": "Invalid token." })))
}

pub(super) fn form(body: &Bytes) -> HashMap<String, String> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

fn random(n: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

pub(super) fn valid_username(u: &str) -> bool {
    (2..=30).contains(&u.chars().count())
        && u.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

pub async fn my_user_info(State(s): State<Sandbox>, h: HeaderMap) -> Res {
    let user = token_user(&s, &h).await?;
    let acc =
        s.db.read(move |c| store::account_json(c, &user))
            .await
            .map_err(db_error)?;
    Ok(reply(StatusCode::OK, acc.unwrap_or(Value::Null)))
}

pub async fn patch_account(
    State(s): State<Sandbox>,
    Path(username): Path<String>,
    h: HeaderMap,
    body: Bytes,
) -> Res {
    let user = token_user(&s, &h).await?;
    if user != username {
        return Ok(reply(
            StatusCode::FORBIDDEN,
            json!({ "developer_message": "not your account" }),
        ));
    }
    let Ok(patch) = serde_json::from_slice::<Value>(&body) else {
        return Ok(reply(
            StatusCode::BAD_REQUEST,
            json!({ "developer_message": "body is not JSON" }),
        ));
    };
    let acc =
        s.db.write(move |c| -> Result<_, DbError> {
            store::patch_user(c, &username, &patch)?;
            Ok(store::account_json(c, &username)?)
        })
        .await
        .map_err(db_error)?;
    Ok(reply(StatusCode::OK, acc.unwrap_or(Value::Null)))
}

pub async fn post_enrollment(State(s): State<Sandbox>, h: HeaderMap, Json(body): Json<Value>) -> Res {
    require_service(&h)?;
    let user = body
        .get("user")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let Some(course) = body
        .pointer("/course_details/course_id")
        .and_then(Value::as_str)
        .map(str::to_owned)
    else {
        return Ok(reply(
            StatusCode::BAD_REQUEST,
            json!({ "message": "Course ID must be specified to create a new enrollment." }),
        ));
    };
    let mode = body.get("mode").and_then(Value::as_str).map(str::to_owned);
    if let Some(m) = &mode
        && !matches!(m.as_str(), "audit" | "verified")
    {
        return Ok(reply(
            StatusCode::BAD_REQUEST,
            json!({ "message": format!("The [{m}] course mode is expired or otherwise unavailable for course run [{course}].") }),
        ));
    }
    let active = body.get("is_active").and_then(Value::as_bool).unwrap_or(true);
    let now = s.clock.now();
    s.db.write(move |c| -> Result<Response, DbError> {
        if store::user_by_name(c, &user)?.is_none() {
            return Ok(reply(
                StatusCode::BAD_REQUEST,
                json!({ "message": format!("The user {user} does not exist.") }),
            ));
        }
        let e = store::upsert_enrollment(c, &user, &course, mode.as_deref(), active, now)?;
        Ok(reply(StatusCode::OK, e))
    })
    .await
    .map_err(db_error)
}

pub async fn own_enrollments(State(s): State<Sandbox>, h: HeaderMap) -> Res {
    let user = token_user(&s, &h).await?;
    let list =
        s.db.read(move |c| store::enrollments(c, None, &[user], 0, i64::MAX))
            .await
            .map_err(db_error)?;
    Ok(reply(StatusCode::OK, Value::Array(list)))
}

const PAGE: i64 = 100;

pub async fn list_enrollments(
    State(s): State<Sandbox>,
    h: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Res {
    require_service(&h)?;
    let course = q.get("course_id").cloned();
    let users: Vec<String> = q
        .get("username")
        .map(|u| u.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    let offset: i64 = q.get("cursor").and_then(|c| c.parse().ok()).unwrap_or(0);
    let (c2, u2) = (course.clone(), users.clone());
    let list =
        s.db.read(move |c| store::enrollments(c, c2.as_deref(), &u2, offset, PAGE + 1))
            .await
            .map_err(db_error)?;
    let more = list.len() as i64 > PAGE;
    let results: Vec<Value> = list.into_iter().take(PAGE as usize).collect();
    let next = more.then(|| {
        let mut pairs = vec![("cursor".to_owned(), (offset + PAGE).to_string())];
        if let Some(c) = course {
            pairs.push(("course_id".into(), c));
        }
        if !users.is_empty() {
            pairs.push(("username".into(), users.join(",")));
        }
        format!(
            "http://sandbox.openedx/api/enrollment/v1/enrollments?{}",
            crate::integrations::openedx::transport::encode_pairs(&pairs)
        )
    });
    Ok(reply(
        StatusCode::OK,
        json!({ "next": next, "previous": null, "results": results }),
    ))
}

pub async fn email_settings(State(s): State<Sandbox>, h: HeaderMap, Json(body): Json<Value>) -> Res {
    let user = token_user(&s, &h).await?;
    let Some(course) = body.get("course_id").and_then(Value::as_str).map(str::to_owned) else {
        return Ok(reply(StatusCode::BAD_REQUEST, json!({ "success": false })));
    };
    let on = body.get("receive_emails").and_then(Value::as_str) == Some("on");
    s.db.write(move |c| store::set_email_setting(c, &user, &course, on))
        .await
        .map_err(db_error)?;
    Ok(reply(StatusCode::OK, json!({ "success": true })))
}

pub async fn grades(
    State(s): State<Sandbox>,
    h: HeaderMap,
    Path(course): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Res {
    require_service(&h)?;
    let username = q.get("username").cloned();
    let single = username.is_some();
    // Pages follow a cursor (the last username of the previous page), as edX's cursor
    // pagination does: each page is one index range read, however deep the listing goes.
    let cursor = q.get("cursor").cloned();
    let c2 = course.clone();
    // One row beyond the page says whether there is a next one.
    let limit = if single { 1 } else { PAGE + 1 };
    let mut list =
        s.db.read(move |c| store::grades(c, &c2, username.as_deref(), cursor.as_deref(), limit))
            .await
            .map_err(db_error)?;
    if single {
        if list.is_empty() {
            return Ok(reply(
                StatusCode::NOT_FOUND,
                json!({ "error_code": "user_or_course_does_not_exist" }),
            ));
        }
        return Ok(reply(StatusCode::OK, Value::Array(list)));
    }
    let more = list.len() > PAGE as usize;
    list.truncate(PAGE as usize);
    let last = list
        .last()
        .and_then(|g| g.get("username"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let results = list;
    let next = last.filter(|_| more).map(|last| {
        format!(
            "http://sandbox.openedx/api/grades/v1/courses/{}/?cursor={}",
            crate::integrations::openedx::transport::path_segment(&course),
            url::form_urlencoded::byte_serialize(last.as_bytes()).collect::<String>()
        )
    });
    Ok(reply(
        StatusCode::OK,
        json!({ "next": next, "previous": null, "results": results }),
    ))
}

pub async fn course_list(State(s): State<Sandbox>, h: HeaderMap, RawQuery(raw): RawQuery) -> Res {
    require_service(&h)?;
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    let keys: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "course_keys")
        .map(|(_, v)| v.clone())
        .collect();
    let page: usize = pairs
        .iter()
        .find(|(k, _)| k == "page")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    let size: usize = pairs
        .iter()
        .find(|(k, _)| k == "page_size")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(10)
        .clamp(1, 100);
    let found =
        s.db.read(move |c| -> Result<Vec<Value>, DbError> {
            let mut out = Vec::new();
            for k in &keys {
                if let Some(v) = store::course(c, k)? {
                    out.push(v);
                }
            }
            Ok(out)
        })
        .await
        .map_err(db_error)?;
    let start = (page - 1) * size;
    let more = found.len() > start + size;
    let results: Vec<Value> = found.into_iter().skip(start).take(size).collect();
    let next = more.then(|| format!("http://sandbox.openedx/api/courses/v1/courses/?page={}", page + 1));
    Ok(reply(
        StatusCode::OK,
        json!({ "results": results, "pagination": { "next": next, "previous": null } }),
    ))
}

pub async fn course_detail(State(s): State<Sandbox>, h: HeaderMap, Path(course): Path<String>) -> Res {
    require_service(&h)?;
    let found =
        s.db.read(move |c| store::course(c, &course))
            .await
            .map_err(db_error)?;
    Ok(match found {
        Some(v) => reply(StatusCode::OK, v),
        None => reply(StatusCode::NOT_FOUND, json!({ "detail": "Not found." })),
    })
}

/// The outline plugin's answer for a run the sandbox knows: its chapters as modules, a
/// fixed mix of items per module derived from the run key (the same run always answers the
/// same outline); an unknown run is edX's 404.
pub async fn course_outline(State(s): State<Sandbox>, h: HeaderMap, Path(course): Path<String>) -> Res {
    require_service(&h)?;
    let key = course.clone();
    let found =
        s.db.read(move |c| store::course(c, &key))
            .await
            .map_err(db_error)?;
    if found.is_none() {
        return Ok(reply(StatusCode::NOT_FOUND, json!({ "detail": "Not found." })));
    }
    let seed = course
        .bytes()
        .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    let block = course.strip_prefix("course-v1:").unwrap_or(&course);
    let modules: Vec<Value> = (0..3 + seed % 3)
        .map(|i| {
            let n = (seed >> (i * 4)) % 5;
            json!({
                "id": format!("block-v1:{block}+type@chapter+block@module{}", i + 1),
                "title": format!("Module {}", i + 1),
                "effort_time": 1800 + n * 600,
                "effort_activities": 2 + n,
                "counts": {"videos": 1 + n, "readings": 1 + (n + 1) % 3, "problems": n % 4, "assignments": u64::from(i == 2), "app_items": 0},
            })
        })
        .collect();
    Ok(reply(
        StatusCode::OK,
        json!({"course_id": course, "generated_at": crate::clock::to_db(s.clock.now()), "modules": modules}),
    ))
}

pub async fn course_modes(h: HeaderMap, Path(course): Path<String>) -> Res {
    require_service(&h)?;
    let mode = |slug: &str, name: &str, price: i64| {
        json!({
        "course_id": course, "mode_slug": slug, "mode_display_name": name, "min_price": price, "currency": "usd",
        "expiration_datetime": null, "expiration_datetime_is_explicit": false, "description": null, "sku": null, "bulk_sku": null })
    };
    Ok(reply(
        StatusCode::OK,
        json!([mode("audit", "Audit", 0), mode("verified", "Verified", 10)]),
    ))
}

pub async fn lti_fix(h: HeaderMap) -> Res {
    require_service(&h)?;
    Ok(reply(
        StatusCode::NOT_FOUND,
        json!({ "detail": "No LTI user with this email." }),
    ))
}

/// Stands in for edX's authorization page reached through our OAuth2 provider: the learner is
/// named by `X-Sandbox-Username` instead of an edX session cookie.
pub async fn authorize(
    State(s): State<Sandbox>,
    h: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Res {
    let user = h
        .get("x-sandbox-username")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (Some(user), Some(redirect)) = (user, q.get("redirect_uri").cloned()) else {
        return Ok(reply(
            StatusCode::BAD_REQUEST,
            json!({ "error": "invalid_request" }),
        ));
    };
    if q.get("client_id").map(String::as_str) != Some(CLIENT_ID) {
        return Ok(reply(
            StatusCode::BAD_REQUEST,
            json!({ "error": "invalid_client" }),
        ));
    }
    let code = random(30);
    let now = s.clock.now();
    let (c2, r2) = (code.clone(), redirect.clone());
    let known =
        s.db.write(move |c| -> Result<bool, DbError> {
            if store::user_by_name(c, &user)?.is_none() {
                return Ok(false);
            }
            store::insert_code(c, &c2, &user, &r2, now)?;
            Ok(true)
        })
        .await
        .map_err(db_error)?;
    if !known {
        return Ok(reply(
            StatusCode::UNAUTHORIZED,
            json!({ "error": "login_required" }),
        ));
    }
    let sep = if redirect.contains('?') { '&' } else { '?' };
    Ok((
        StatusCode::FOUND,
        [(header::LOCATION, format!("{redirect}{sep}code={code}"))],
    )
        .into_response())
}

pub async fn access_token(State(s): State<Sandbox>, body: Bytes) -> Res {
    let f = form(&body);
    if f.get("client_id").map(String::as_str) != Some(CLIENT_ID)
        || f.get("client_secret").map(String::as_str) != Some(CLIENT_SECRET)
    {
        return Ok(reply(
            StatusCode::UNAUTHORIZED,
            json!({ "error": "invalid_client" }),
        ));
    }
    let now = s.clock.now();
    let (access, refresh) = (random(30), random(30));
    let (a2, r2) = (access.clone(), refresh.clone());
    let granted =
        s.db.write(move |c| -> Result<Option<String>, DbError> {
            let user = match f.get("grant_type").map(String::as_str) {
                Some("authorization_code") => store::take_code(
                    c,
                    f.get("code").map(String::as_str).unwrap_or(""),
                    f.get("redirect_uri").map(String::as_str).unwrap_or(""),
                )?,
                Some("refresh_token") => {
                    store::take_refresh(c, f.get("refresh_token").map(String::as_str).unwrap_or(""))?
                }
                _ => None,
            };
            if let Some(u) = &user {
                store::insert_token(c, &a2, &r2, u, now + chrono::Duration::seconds(TOKEN_SECONDS))?;
            }
            Ok(user)
        })
        .await
        .map_err(db_error)?;
    Ok(match granted {
        Some(_) => reply(
            StatusCode::OK,
            json!({ "access_token": access, "refresh_token": refresh, "expires_in": TOKEN_SECONDS, "token_type": "Bearer", "scope": "read write" }),
        ),
        None => reply(StatusCode::BAD_REQUEST, json!({ "error": "invalid_grant" })),
    })
}
