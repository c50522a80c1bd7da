//! `/oauth2/authorize/`: the signed-in learner's side of the authorization-code flow. Problems
//! with the client or its redirect URI are shown here (never redirected); everything else is
//! answered by redirecting to the client with `code` or `error`, and `state`. Applications that
//! skip authorization (edX) get a code at once; others show a consent page (Allow/Deny).

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Router};
use maud::{Markup, html};

use super::apps;
use super::service::{self, OAuthError};
use super::store::Application;
use crate::http::layout::private_page;
use crate::http::session::SignedIn;
use crate::http::{AppError, PageCtx};
use crate::state::AppState;
use crate::users::store::User;

/// A checked authorization request.
struct Request {
    app: Application,
    redirect_uri: String,
    scope: String,
    state: Option<String>,
    code_challenge: Option<String>,
    nonce: Option<String>,
}

fn get<'a>(q: &'a BTreeMap<String, String>, k: &str) -> Option<&'a str> {
    q.get(k).map(String::as_str).filter(|s| !s.is_empty())
}

/// Appends `pairs` to `uri`'s query.
fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        ser.append_pair(k, v);
    }
    let sep = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{sep}{}", ser.finish())
}

fn error_location(redirect_uri: &str, e: &OAuthError, state: Option<&str>) -> String {
    let mut pairs = vec![("error", e.error), ("error_description", e.description.as_str())];
    if let Some(s) = state {
        pairs.push(("state", s));
    }
    with_query(redirect_uri, &pairs)
}

/// Why a request was refused: shown here (bad client or redirect URI), or sent to the client.
enum Refusal {
    Page(AppError),
    Redirect(String),
}

impl Refusal {
    fn into_result(self) -> Result<Response, AppError> {
        match self {
            Refusal::Page(e) => Err(e),
            Refusal::Redirect(to) => Ok(Redirect::to(&to).into_response()),
        }
    }
}

/// Validates the request.
async fn check(state: &AppState, q: &BTreeMap<String, String>) -> Result<Request, Refusal> {
    let Some(client_id) = get(q, "client_id").map(str::to_owned) else {
        return Err(Refusal::Page(AppError::field(
            "client_id",
            "client_id is required.",
        )));
    };
    let app = apps::find(state, client_id)
        .await
        .map_err(|e| Refusal::Page(AppError::from(e)))?
        .ok_or_else(|| Refusal::Page(AppError::field("client_id", "Unknown client_id.")))?;
    let redirect_uri = match get(q, "redirect_uri") {
        Some(u) if app.allows_redirect(u) => u.to_owned(),
        Some(_) => {
            return Err(Refusal::Page(AppError::field(
                "redirect_uri",
                "redirect_uri is not registered for this client.",
            )));
        }
        None if app.redirect_uris.len() == 1 => app.redirect_uris[0].clone(),
        None => {
            return Err(Refusal::Page(AppError::field(
                "redirect_uri",
                "redirect_uri is required.",
            )));
        }
    };
    let st = get(q, "state").map(str::to_owned);
    let fail = |e: OAuthError| {
        Err(Refusal::Redirect(error_location(
            &redirect_uri,
            &e,
            st.as_deref(),
        )))
    };
    if get(q, "response_type") != Some("code") {
        return fail(OAuthError::new(
            "unsupported_response_type",
            "Only response_type=code is supported.",
        ));
    }
    if !app.allows_grant("authorization_code") {
        return fail(OAuthError::new(
            "unauthorized_client",
            "This client may not use the authorization code flow.",
        ));
    }
    let scope = match service::parse_scope(get(q, "scope")) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let code_challenge = get(q, "code_challenge").map(str::to_owned);
    if code_challenge.is_some() && get(q, "code_challenge_method") != Some("S256") {
        return fail(OAuthError::new(
            "invalid_request",
            "code_challenge_method must be S256.",
        ));
    }
    if code_challenge.as_ref().is_some_and(|c| c.len() != 43) {
        return fail(OAuthError::new(
            "invalid_request",
            "code_challenge is not a S256 challenge.",
        ));
    }
    Ok(Request {
        app,
        redirect_uri: redirect_uri.clone(),
        scope,
        state: st.clone(),
        code_challenge,
        nonce: get(q, "nonce").map(str::to_owned),
    })
}

async fn issue_code(state: &AppState, r: Request, user: &User) -> Result<Response, AppError> {
    let code = apps::issue_code(
        state,
        apps::CodeGrant {
            app_id: r.app.id,
            user_id: user.id,
            redirect_uri: r.redirect_uri.clone(),
            scope: r.scope.clone(),
            code_challenge: r.code_challenge.clone(),
            nonce: r.nonce.clone(),
        },
    )
    .await?;
    let mut pairs = vec![("code", code.as_str())];
    if let Some(s) = &r.state {
        pairs.push(("state", s));
    }
    Ok(Redirect::to(&with_query(&r.redirect_uri, &pairs)).into_response())
}

async fn authorize(
    SignedIn(user): SignedIn,
    ctx: PageCtx,
    State(state): State<AppState>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let r = match check(&state, &q).await {
        Ok(r) => r,
        Err(refusal) => return refusal.into_result(),
    };
    if r.app.skip_authorization {
        return issue_code(&state, r, &user).await;
    }
    Ok(consent(&ctx, &r, &q).into_response())
}

fn consent(ctx: &PageCtx, r: &Request, q: &BTreeMap<String, String>) -> Markup {
    let keep = [
        "client_id",
        "redirect_uri",
        "response_type",
        "scope",
        "state",
        "code_challenge",
        "code_challenge_method",
        "nonce",
    ];
    private_page(
        ctx,
        "Authorize access",
        html! {
            section class="container" {
                h1 { "Authorize " (r.app.name) "?" }
                p { (r.app.name) " asks for access to your MITx Online account:" }
                ul { @for s in r.scope.split_whitespace() { li { code { (s) } } } }
                form method="post" action=(ctx.prefix.url("/oauth2/authorize/")) {
                    input type="hidden" name="csrfmiddlewaretoken" value=[ctx.csrf_token.as_deref()];
                    @for k in keep {
                        @if let Some(v) = q.get(k) { input type="hidden" name=(k) value=(v); }
                    }
                    button class="button" type="submit" name="allow" value="Authorize" { "Allow" }
                    " "
                    button class="button secondary" type="submit" name="deny" value="Cancel" { "Deny" }
                }
            }
        },
    )
}

async fn decide(
    SignedIn(user): SignedIn,
    State(state): State<AppState>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let r = match check(&state, &f).await {
        Ok(r) => r,
        Err(refusal) => return refusal.into_result(),
    };
    if f.contains_key("allow") && !f.contains_key("deny") {
        return issue_code(&state, r, &user).await;
    }
    let e = OAuthError::new("access_denied", "The user denied the request.");
    Ok(Redirect::to(&error_location(&r.redirect_uri, &e, r.state.as_deref())).into_response())
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/oauth2/authorize/", axum::routing::get(authorize).post(decide))
}
