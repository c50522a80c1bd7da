//! The users and profile JSON APIs, in the original's paths and shapes: `/api/users/me`
//! (and v0, and `current_user`), `/api/v0/userinfo/`, `/api/users/{id}/`, onboarding
//! (`/api/profile/details/`, `/api/profile/extra/`) and the staff `user_search`.

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::openapi::{ProfileDetailsRequest, ProfileErrors, ProfileExtraRequest, UserPatch};
use super::profile_service::{self as profile, FullUser};
use super::shapes::{
    ChangeEmailBody, ChangeEmailConfirmBody, ChangeEmailConfirmed, ChangeEmailStarted, Empty, NoEdxUsername,
    PublicUser, StaffUser, StaffUserPage, UserJson,
};
use super::{staff_service, store};
use crate::http::AppError;
use crate::http::auth::StaffAccess;
use crate::http::cookies::Cookie;
use crate::http::extract::PathId;
use crate::http::json::ApiJson;
use crate::http::openapi::{BadRequest, Forbidden, NotFound, TooManyRequests, Unauthorized};
use crate::http::scopes::{ReadUser, Scoped};
use crate::http::session::{CurrentUser, Identity, MaybeUser};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/users/me", get(me).patch(patch_me))
        .route("/api/v0/users/me", get(me).patch(patch_me))
        .route("/api/v0/users/current_user/", get(me).patch(patch_me))
        .route("/api/v0/userinfo/", get(userinfo))
        .route("/api/users/{id}/", get(public_user))
        .route("/api/v0/users/{id}/", get(public_user))
        .route("/api/profile/details/", post(details))
        .route("/api/profile/extra/", post(extra))
        .route("/api/user_search/", get(user_search))
        .route("/api/v0/user_search/", get(user_search))
        .route("/api/user_search/{id}/", get(user_search_one))
        .route("/api/v0/user_search/{id}/", get(user_search_one))
        .route("/api/change-emails/", post(change_email_request))
        .route(
            "/api/change-emails/{code}/",
            axum::routing::patch(change_email_confirm).put(change_email_confirm),
        )
        // The contract's v0 names for the same two operations.
        .route("/api/v0/change-emails/", post(change_email_request))
        .route(
            "/api/v0/change-emails/{code}/",
            axum::routing::patch(change_email_confirm).put(change_email_confirm),
        )
}

/// The original's legacy email change: mails a confirmation link to the new address.
#[utoipa::path(post, path = "/api/change-emails/", tag = "users", operation_id = "change_emails_create",
    request_body = ChangeEmailBody,
    responses((status = 201, description = "The confirmation link is mailed to the new address", body = ChangeEmailStarted),
        BadRequest, Unauthorized, Forbidden, TooManyRequests))]
pub async fn change_email_request(
    State(state): State<AppState>,
    id: Identity,
    CurrentUser(u): CurrentUser,
    ApiJson(body): ApiJson<ChangeEmailBody>,
) -> Result<Response, AppError> {
    super::service::request_email_change(&state, &u, &body.new_email, &body.password, id.peer).await?;
    Ok((
        StatusCode::CREATED,
        Json(ChangeEmailStarted {
            new_email: body.new_email.trim().to_owned(),
        }),
    )
        .into_response())
}

/// `{"confirmed": true}` applies a pending change (anonymous, as the original; the code is the
/// secret).
#[utoipa::path(method(put, patch), path = "/api/change-emails/{code}/", tag = "users", operation_id = "change_emails_update",
    params(("code" = String, Path, description = "The code of the confirmation link")),
    request_body = ChangeEmailConfirmBody,
    responses((status = 200, description = "The new address is the account's", body = ChangeEmailConfirmed),
        BadRequest, Forbidden, NotFound))]
pub async fn change_email_confirm(
    State(state): State<AppState>,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<ChangeEmailConfirmBody>,
) -> Result<Json<ChangeEmailConfirmed>, AppError> {
    if body.confirmed != Some(true) {
        return Err(AppError::field(
            "confirmed",
            "This field is required and must be true.",
        ));
    }
    if !super::service::confirm_email_change(&state, &code).await? {
        return Err(AppError::not_found());
    }
    Ok(Json(ChangeEmailConfirmed { confirmed: true }))
}

/// DRF renders nested serializer errors as nested objects: `legal_address.state` becomes
/// `{"legal_address": {"state": [...]}}`.
pub fn nested_errors(e: AppError) -> Response {
    let AppError::Invalid(map) = e else {
        return e.into_response();
    };
    let mut out = serde_json::Map::new();
    for (key, msgs) in map {
        match key.split_once('.') {
            Some((outer, inner)) => {
                let entry = out.entry(outer.to_owned()).or_insert_with(|| json!({}));
                if let Some(o) = entry.as_object_mut() {
                    o.insert(inner.to_owned(), json!(msgs));
                }
            }
            None => {
                out.insert(key, json!(msgs));
            }
        }
    }
    (StatusCode::BAD_REQUEST, Json(Value::Object(out))).into_response()
}

async fn full(state: &AppState, id: i64) -> Result<FullUser, AppError> {
    profile::load(state, id).await?.ok_or_else(AppError::not_found)
}

/// Loads the learner and applies one profile edit; errors as [`nested_errors`] answers them.
async fn edit(state: &AppState, id: i64, body: &Value, e: profile::Edit) -> Result<FullUser, Response> {
    let me = full(state, id).await.map_err(nested_errors)?;
    profile::edit(state, &me, body, e)
        .await
        .map_err(|e| nested_errors(e.into()))
}

/// `UserSerializer` with `b2b_organizations` filled in by the B2B module.
async fn user_with_orgs(state: &AppState, f: &FullUser) -> Result<UserJson, AppError> {
    let orgs = crate::b2b::service::user_organizations_now(state, f.user.id).await?;
    Ok(UserJson::signed_in(f, orgs))
}

/// The caller (an anonymous caller too, with nulls).
#[utoipa::path(get, path = "/api/users/me", tag = "users", operation_id = "users_me_retrieve",
    responses((status = 200, description = "The caller", body = UserJson), Unauthorized, Forbidden))]
pub async fn me(
    State(state): State<AppState>,
    _: Scoped<ReadUser>,
    MaybeUser(user): MaybeUser,
) -> Result<Json<UserJson>, AppError> {
    match user {
        None => Ok(Json(UserJson::anonymous())),
        Some(u) => Ok(Json(user_with_orgs(&state, &full(&state, u.id).await?).await?)),
    }
}

/// Changes the caller's name, legal address or profile.
#[utoipa::path(patch, path = "/api/users/me", tag = "users", operation_id = "users_me_partial_update",
    request_body = UserPatch,
    responses((status = 200, description = "The caller as changed", body = UserJson),
        (status = 400, description = "Each invalid field with its messages", body = ProfileErrors),
        Unauthorized, Forbidden, NotFound))]
pub async fn patch_me(
    State(state): State<AppState>,
    CurrentUser(u): CurrentUser,
    ApiJson(body): ApiJson<Value>,
) -> Response {
    match edit(&state, u.id, &body, profile::Edit::Me).await {
        Ok(f) => match user_with_orgs(&state, &f).await {
            Ok(v) => Json(v).into_response(),
            Err(e) => e.into_response(),
        },
        Err(r) => r,
    }
}

/// Consumed by Open edX's SSO: the user, or 409 when there is no (edX) username.
#[utoipa::path(get, path = "/api/v0/userinfo/", tag = "users", operation_id = "userinfo_retrieve",
    responses((status = 200, description = "The caller", body = UserJson),
        (status = 409, description = "Anonymous, or no Open edX username", body = NoEdxUsername),
        Unauthorized, Forbidden))]
pub async fn userinfo(
    State(state): State<AppState>,
    _: Scoped<ReadUser>,
    MaybeUser(user): MaybeUser,
) -> Result<Response, AppError> {
    match user.filter(|u| !u.username.is_empty()) {
        Some(u) => Ok(Json(user_with_orgs(&state, &full(&state, u.id).await?).await?).into_response()),
        None => Ok((
            StatusCode::CONFLICT,
            Json(NoEdxUsername {
                error: "User has no edx_username.".into(),
            }),
        )
            .into_response()),
    }
}

/// A user by id: only oneself.
#[utoipa::path(get, path = "/api/users/{id}/", tag = "users", operation_id = "users_retrieve",
    params(("id" = i64, Path, description = "The user")),
    responses((status = 200, description = "The user", body = PublicUser), Unauthorized, Forbidden, NotFound))]
pub async fn public_user(
    State(state): State<AppState>,
    CurrentUser(u): CurrentUser,
    PathId(id): PathId,
) -> Result<Json<PublicUser>, AppError> {
    let found = super::service::load_user(&state, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if found.id != u.id {
        return Err(AppError::Forbidden(
            "You do not have permission to perform this action.".into(),
        ));
    }
    Ok(Json(PublicUser::from(&found)))
}

/// Onboarding: saves name, username, legal address and profile (all required); sets the
/// `user-message` cookie that shows "profile created".
#[utoipa::path(post, path = "/api/profile/details/", tag = "users", operation_id = "profile_details_create",
    request_body = ProfileDetailsRequest,
    responses((status = 200, description = "Saved (the fields are write-only)", body = Empty),
        (status = 400, description = "Each invalid field with its messages", body = ProfileErrors),
        Unauthorized, Forbidden, NotFound))]
pub async fn details(
    State(state): State<AppState>,
    CurrentUser(u): CurrentUser,
    ApiJson(body): ApiJson<Value>,
) -> Response {
    match edit(&state, u.id, &body, profile::Edit::Details).await {
        // All fields are write-only in the original, so the body is empty; the cookie tells
        // the front end to show "profile created".
        Ok(_) => (
            [(
                header::SET_COOKIE,
                Cookie::new("user-message", "%7B%22type%22%3A%20%22profile-created%22%7D", 60)
                    .header(&state.config),
            )],
            Json(Empty {}),
        )
            .into_response(),
        Err(r) => r,
    }
}

/// Onboarding's optional extras (gender, birth year, company, job title required).
#[utoipa::path(post, path = "/api/profile/extra/", tag = "users", operation_id = "profile_extra_create",
    request_body = ProfileExtraRequest,
    responses((status = 200, description = "Saved (the fields are write-only)", body = Empty),
        (status = 400, description = "Each invalid field with its messages", body = ProfileErrors),
        Unauthorized, Forbidden, NotFound))]
pub async fn extra(
    State(state): State<AppState>,
    CurrentUser(u): CurrentUser,
    ApiJson(body): ApiJson<Value>,
) -> Response {
    match edit(&state, u.id, &body, profile::Edit::Extra).await {
        Ok(_) => Json(Empty {}).into_response(),
        Err(r) => r,
    }
}

/// Staff gate of the original's `IsAdminUser`: a staff user, or a staff-scope API key.
async fn require_staff(
    user: &Option<store::User>,
    staff: Result<StaffAccess, AppError>,
) -> Result<(), AppError> {
    match (user, staff) {
        (Some(u), _) if u.is_staff || u.is_superuser => Ok(()),
        (Some(_), _) => Err(AppError::Forbidden(
            "You do not have permission to perform this action.".into(),
        )),
        (None, r) => r.map(|_| ()),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// A search term (name, username or email).
    search: Option<String>,
    /// How many to show (1–50, 10 by default).
    #[param(value_type = Option<u32>)]
    l: Option<String>,
    /// How many to skip.
    #[param(value_type = Option<u32>)]
    o: Option<String>,
}

/// Staff search users (`IsAdminUser`: staff, or a staff-scope API key).
#[utoipa::path(get, path = "/api/user_search/", tag = "users", operation_id = "user_search_list",
    params(SearchQuery),
    responses((status = 200, description = "A page of the users found", body = StaffUserPage),
        BadRequest, Unauthorized, Forbidden))]
pub async fn user_search(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    staff: Result<StaffAccess, AppError>,
    Query(q): Query<SearchQuery>,
) -> Result<Json<StaffUserPage>, AppError> {
    require_staff(&user, staff).await?;
    let parse = |v: &Option<String>, name: &str, default: i64| -> Result<i64, AppError> {
        match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(default),
            Some(s) => s
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| AppError::field(name, "A valid non-negative integer is required.")),
        }
    };
    let limit = parse(&q.l, "l", 10)?.clamp(1, 50);
    let offset = parse(&q.o, "o", 0)?;
    let term = q.search.unwrap_or_default();
    let (found, count) = staff_service::search_with_addresses(&state, term.clone(), limit, offset).await?;
    let results: Vec<StaffUser> = found.into_iter().map(|(u, a)| StaffUser::new(&u, a)).collect();
    let page = |o: i64| {
        let mut qs = url::form_urlencoded::Serializer::new(String::new());
        qs.append_pair("l", &limit.to_string());
        if o > 0 {
            qs.append_pair("o", &o.to_string());
        }
        if !term.is_empty() {
            qs.append_pair("search", &term);
        }
        state
            .config
            .absolute_url(&format!("/api/v0/user_search/?{}", qs.finish()))
    };
    let next = (offset + limit < count).then(|| page(offset + limit));
    let previous = (offset > 0).then(|| page((offset - limit).max(0)));
    Ok(Json(StaffUserPage {
        count,
        next,
        previous,
        results,
    }))
}

/// One user, for staff.
#[utoipa::path(get, path = "/api/user_search/{id}/", tag = "users", operation_id = "user_search_retrieve",
    params(("id" = i64, Path, description = "The user")),
    responses((status = 200, description = "The user", body = StaffUser), Unauthorized, Forbidden, NotFound))]
pub async fn user_search_one(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    staff: Result<StaffAccess, AppError>,
    Path(id): Path<String>,
) -> Result<Json<StaffUser>, AppError> {
    require_staff(&user, staff).await?;
    let id = crate::http::extract::path_id(&id)?;
    let (u, a) = staff_service::with_address(&state, id).await?;
    Ok(Json(StaffUser::new(&u, a)))
}
