//! The provider's machine endpoints: `POST /oauth2/token/`, `POST /oauth2/revoke_token/`,
//! `GET /oauth2/userinfo/`, `GET /oauth2/.well-known/jwks.json` and
//! `GET /.well-known/openid-configuration`. Errors are RFC 6749 JSON (`error`,
//! `error_description`), 400 or 401.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{Value, json};

use super::keys::{self, IdClaims};
use super::service::{self, ClientCredentials, Granted, OAuthError};
use crate::http::AppError;
use crate::http::scopes::{OidcUserinfo, Scoped};
use crate::http::session::CurrentUser;
use crate::state::AppState;
use crate::users::store as users;

fn oauth_error(e: OAuthError, basic: bool) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut r = (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({"error": e.error, "error_description": e.description})),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED && basic {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Basic realm=\"oauth2\""),
        );
    }
    r
}

fn decode_component(s: &str) -> String {
    percent_encoding::percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// Client credentials from HTTP Basic (preferred) or the form; `bool` says Basic was used.
fn client_credentials(
    headers: &HeaderMap,
    form: &BTreeMap<String, String>,
) -> Result<(ClientCredentials, bool), OAuthError> {
    let bad = || OAuthError::new("invalid_client", "Client authentication failed.");
    if let Some(v) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())
        && let Some((scheme, rest)) = v.split_once(' ')
        && scheme.eq_ignore_ascii_case("Basic")
    {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(rest.trim())
            .map_err(|_| bad())?;
        let text = String::from_utf8(raw).map_err(|_| bad())?;
        let (id, secret) = text.split_once(':').ok_or_else(bad)?;
        return Ok((
            ClientCredentials {
                client_id: decode_component(id),
                client_secret: Some(decode_component(secret)),
            },
            true,
        ));
    }
    let id = form.get("client_id").filter(|s| !s.is_empty()).ok_or_else(bad)?;
    Ok((
        ClientCredentials {
            client_id: id.clone(),
            client_secret: form.get("client_secret").cloned(),
        },
        false,
    ))
}

fn parse_form(headers: &HeaderMap, body: &Bytes) -> Result<BTreeMap<String, String>, OAuthError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.starts_with("application/x-www-form-urlencoded") {
        return Err(OAuthError::new(
            "invalid_request",
            "The body must be application/x-www-form-urlencoded.",
        ));
    }
    let mut out = BTreeMap::new();
    for (k, v) in url::form_urlencoded::parse(body) {
        if out.insert(k.clone().into_owned(), v.into_owned()).is_some() {
            return Err(OAuthError::new("invalid_request", format!("`{k}` is repeated.")));
        }
    }
    Ok(out)
}

async fn token(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let mut basic = false;
    match token_inner(&state, &headers, &body, &mut basic).await {
        Ok(v) => (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")], Json(v)).into_response(),
        Err(e) => oauth_error(e, basic),
    }
}

async fn token_inner(
    state: &AppState,
    headers: &HeaderMap,
    body: &Bytes,
    basic: &mut bool,
) -> Result<Value, OAuthError> {
    let form = parse_form(headers, body)?;
    let (creds, used_basic) = client_credentials(headers, &form)?;
    *basic = used_basic;
    let grant_type = form
        .get("grant_type")
        .cloned()
        .ok_or_else(|| OAuthError::new("invalid_request", "grant_type is required."))?;
    let now = state.clock.now();
    let granted: Granted = match grant_type.as_str() {
        "authorization_code" => {
            let code = form
                .get("code")
                .cloned()
                .ok_or_else(|| OAuthError::new("invalid_request", "code is required."))?;
            let redirect_uri = form.get("redirect_uri").cloned();
            let verifier = form.get("code_verifier").cloned();
            state
                .db
                .write(move |c| {
                    let app = service::authenticate_client(c, &creds)?;
                    // Committed even when refused: a replayed code's revocation must stick.
                    Ok::<_, OAuthError>(service::redeem_code(
                        c,
                        &app,
                        &code,
                        redirect_uri.as_deref(),
                        verifier.as_deref(),
                        now,
                    ))
                })
                .await??
        }
        "refresh_token" => {
            let token = form
                .get("refresh_token")
                .cloned()
                .ok_or_else(|| OAuthError::new("invalid_request", "refresh_token is required."))?;
            let scope = form.get("scope").cloned();
            state
                .db
                .write(move |c| {
                    let app = service::authenticate_client(c, &creds)?;
                    service::refresh(c, &app, &token, scope.as_deref(), now)
                })
                .await?
        }
        other => {
            return Err(OAuthError::new(
                "unsupported_grant_type",
                format!("grant_type `{other}` is not supported."),
            ));
        }
    };
    let mut out = json!({
        "access_token": granted.issued.access_token,
        "expires_in": service::ACCESS_TOKEN_TTL.num_seconds(),
        "token_type": "Bearer",
        "scope": granted.scope,
        "refresh_token": granted.issued.refresh_token,
    });
    if service::has_scope(&granted.scope, "openid") {
        out["id_token"] = Value::String(id_token(state, &granted).await?);
    }
    Ok(out)
}

async fn id_token(state: &AppState, g: &Granted) -> Result<String, OAuthError> {
    let server = |e: anyhow::Error| {
        tracing::error!(error = %format!("{e:#}"), "cannot sign an ID token");
        OAuthError::new("server_error", "The ID token could not be signed.")
    };
    let key = keys::ensure(state).await.map_err(server)?;
    let uid = g.user_id;
    let user = state
        .db
        .read(move |c| users::find_by_id(c, uid))
        .await?
        .ok_or_else(|| OAuthError::new("invalid_grant", "The account no longer exists."))?;
    let now = state.clock.now().timestamp();
    let claims = IdClaims {
        iss: issuer(state),
        sub: user.id.to_string(),
        aud: g.client_id.clone(),
        exp: now + service::ACCESS_TOKEN_TTL.num_seconds(),
        iat: now,
        auth_time: now,
        nonce: g.nonce.clone(),
        email: user.email.clone(),
        name: user.name.clone(),
        preferred_username: user.username.clone(),
        is_staff: user.is_staff,
    };
    keys::sign(&key, &claims).map_err(server)
}

/// The issuer identifier: `<public url>/oauth2`.
pub fn issuer(state: &AppState) -> String {
    state.config.absolute_url("/oauth2")
}

async fn revoke(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let mut basic = false;
    let result: Result<(), OAuthError> = async {
        let form = parse_form(&headers, &body)?;
        let (creds, used_basic) = client_credentials(&headers, &form)?;
        basic = used_basic;
        let token = form
            .get("token")
            .cloned()
            .ok_or_else(|| OAuthError::new("invalid_request", "token is required."))?;
        service::revoke(&state, creds, token).await
    }
    .await;
    match result {
        // RFC 7009: unknown tokens are not an error.
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => oauth_error(e, basic),
    }
}

async fn userinfo(_: Scoped<OidcUserinfo>, CurrentUser(u): CurrentUser) -> Json<Value> {
    Json(json!({
        "sub": u.id.to_string(),
        "email": u.email,
        "name": u.name,
        "preferred_username": u.username,
        "is_staff": u.is_staff,
    }))
}

async fn jwks(State(state): State<AppState>) -> Result<Json<Value>, AppError> {
    let key = keys::ensure(&state).await.map_err(AppError::Internal)?;
    Ok(Json(keys::jwks(&key)))
}

async fn discovery(State(state): State<AppState>) -> Json<Value> {
    let u = |p: &str| state.config.absolute_url(p);
    Json(json!({
        "issuer": issuer(&state),
        "authorization_endpoint": u("/oauth2/authorize/"),
        "token_endpoint": u("/oauth2/token/"),
        "revocation_endpoint": u("/oauth2/revoke_token/"),
        "userinfo_endpoint": u("/oauth2/userinfo/"),
        "jwks_uri": u("/oauth2/.well-known/jwks.json"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": service::SCOPES,
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "email", "name", "preferred_username", "is_staff"],
    }))
}

pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/oauth2/token/", post(token))
        .route("/oauth2/revoke_token/", post(revoke))
        .route("/oauth2/userinfo/", get(userinfo))
        .route("/oauth2/.well-known/jwks.json", get(jwks))
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/oauth2/.well-known/openid-configuration", get(discovery))
}
