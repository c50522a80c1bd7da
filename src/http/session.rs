//! Who is calling, resolved once per request by [`identify`]: a bearer token, the gateway's
//! `X-Userinfo` header (gateway mode, trusted proxies only), or the `mitxonline_sessionid`
//! cookie. The result is an [`Identity`] request extension (plus the layout's
//! [`Viewer`]); handlers take [`CurrentUser`], [`MaybeUser`] or [`SignedIn`]. The same
//! middleware enforces CSRF on cookie- and header-authenticated state-changing requests.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::cookies::Cookie;
use super::csrf;
use super::error::AppError;
use super::page::Viewer;
use super::scopes::Scopes;
use crate::config::{AuthMode, Config};
use crate::db::DbError;
use crate::state::AppState;
use crate::users::gateway;
use crate::users::service;
use crate::users::sessions::{self, Source};
use crate::users::store::{self, User};

pub use super::extract::{CurrentUser, MaybeUser, SignedIn};

pub const SESSION_COOKIE: &str = "mitxonline_sessionid";

/// How the request was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Anonymous,
    /// A session cookie (local or OIDC login, or an earlier gateway request).
    Session {
        id: i64,
    },
    /// The gateway header on this very request (with the session it keeps alive).
    Gateway {
        session_id: i64,
    },
    /// `Authorization: Bearer` with a staff-minted token of a service account — exempt from
    /// CSRF.
    Bearer,
    /// `Authorization: Bearer` with a token our OAuth2 provider issued to an application: the
    /// request is anonymous except on routes that declare one of these scopes
    /// ([`super::scopes::Scoped`]).
    OAuth2 {
        scopes: Scopes,
    },
}

/// The resolved caller of one request.
#[derive(Clone)]
pub struct Identity {
    /// The signed-in user; `None` for an application token until a route grants it.
    pub user: Option<User>,
    pub via: Via,
    /// The owner of an application token ([`Via::OAuth2`]), for [`Identity::granted`].
    token_user: Option<User>,
    pub peer: Option<IpAddr>,
    csrf_secret: String,
    csrf_used: Arc<AtomicBool>,
    /// The CSRF verdict for this request (unsafe methods only): `Err` says why it failed.
    csrf_verdict: Option<Result<(), String>>,
}

impl Identity {
    /// A fresh masked CSRF token for a form or page; makes sure the cookie is sent.
    pub fn csrf_token(&self) -> String {
        self.csrf_used.store(true, Ordering::Relaxed);
        csrf::masked(&self.csrf_secret)
    }

    /// For anonymous form posts (login, sign-up): the CSRF check the middleware only enforces
    /// on authenticated requests.
    pub fn require_csrf(&self) -> Result<(), AppError> {
        match &self.csrf_verdict {
            Some(Err(why)) => Err(AppError::Forbidden(format!("CSRF Failed: {why}"))),
            _ => Ok(()),
        }
    }

    /// This identity with an application token's owner as its user (see [`super::scopes`]).
    pub(super) fn granted(&self) -> Identity {
        let mut id = self.clone();
        if matches!(self.via, Via::OAuth2 { .. }) {
            id.user = self.token_user.clone();
        }
        id
    }

    /// Why a route that declares no OAuth2 scope refuses this request, if it is an
    /// application's token.
    pub fn app_token_refusal(&self) -> Option<AppError> {
        matches!(self.via, Via::OAuth2 { .. } if self.user.is_none()).then(|| {
            AppError::Forbidden(
                "A token issued to an OAuth2 application cannot be used here: this route accepts none of its scopes."
                    .into(),
            )
        })
    }

    pub fn session_id(&self) -> Option<i64> {
        match self.via {
            Via::Session { id } | Via::Gateway { session_id: id } => Some(id),
            _ => None,
        }
    }
}

/// Reads one cookie from the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"'))
}

/// `Set-Cookie` for a new session (HttpOnly, SameSite=Lax, Secure under https).
pub fn session_cookie(config: &Config, token: &str) -> HeaderValue {
    Cookie::new(SESSION_COOKIE, token, sessions::SESSION_TTL.num_seconds())
        .http_only()
        .header(config)
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_session_cookie(config: &Config) -> HeaderValue {
    Cookie::removal(SESSION_COOKIE).http_only().header(config)
}

fn csrf_cookie(config: &Config, secret: &str) -> HeaderValue {
    Cookie::new(csrf::COOKIE, secret, 31_449_600).header(config)
}

/// The client address: the peer, or the last `X-Forwarded-For` hop when the peer is a
/// trusted proxy.
fn client_ip(config: &Config, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
    let peer = peer?;
    if config.gateway_trusted_proxies.iter().any(|n| n.contains(peer))
        && let Some(fwd) = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok())
        && let Some(ip) = fwd.rsplit(',').next().and_then(|s| s.trim().parse().ok())
    {
        return Some(ip);
    }
    Some(peer)
}

/// Middleware: resolves the caller, enforces CSRF, and sets the cookies that resulted.
pub async fn identify(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match identify_inner(&state, req, next).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn identify_inner(state: &AppState, mut req: Request, next: Next) -> Result<Response, AppError> {
    let config = &state.config;
    let now = state.clock.now();
    let headers = req.headers().clone();
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let cookie_secret = cookie(&headers, csrf::COOKIE).map(str::to_owned);
    let (csrf_secret, csrf_new) = match cookie_secret.as_deref().filter(|s| csrf::is_well_formed(s)) {
        Some(s) => (s.to_owned(), false),
        None => (csrf::new_secret(), true),
    };
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let session_token = cookie(&headers, SESSION_COOKIE).map(str::to_owned);
    let mut set_cookies: Vec<HeaderValue> = Vec::new();

    let mut user = None;
    let mut token_user = None;
    let mut via = Via::Anonymous;
    let gateway_trusted = config.auth_mode == AuthMode::Gateway
        && peer.is_some_and(|ip| config.gateway_trusted_proxies.iter().any(|n| n.contains(ip)));
    let userinfo_header = headers.get(gateway::HEADER).map(|v| v.as_bytes().to_vec());

    if let Some(auth) = &authorization {
        if let Some((scheme, token)) = auth.split_once(' ')
            && scheme.eq_ignore_ascii_case("Bearer")
        {
            let token = token.trim().to_owned();
            let found = state
                .db
                .read(move |c| {
                    let Some(t) = sessions::bearer_token(c, &token, now)? else {
                        return Ok(None);
                    };
                    Ok::<_, DbError>(store::find_by_id(c, t.user_id)?.map(|u| (t, u)))
                })
                .await?;
            match found.filter(|(_, u)| u.is_active) {
                Some((t, u)) if t.is_application_token() => {
                    via = Via::OAuth2 {
                        scopes: Scopes::parse(&t.scope),
                    };
                    token_user = Some(u);
                }
                // Staff-minted tokens act only for service accounts (a person's account is
                // never reachable by a bearer token, even one minted before that rule).
                Some((_, u)) if u.is_service_account => {
                    user = Some(u);
                    via = Via::Bearer;
                }
                Some((_, u)) => {
                    tracing::warn!(
                        user.id = u.id,
                        "refused a bearer token of an account that is not a service account"
                    );
                }
                None => {}
            }
        }
    } else if gateway_trusted && let Some(raw) = userinfo_header {
        match gateway::decode(&raw) {
            Ok(info) => {
                if let Some((u, sid, token)) =
                    service::gateway_sign_in(state, &info, session_token.as_deref()).await?
                {
                    // Keycloak organizations: on sign-in (a new session), then at most once a minute.
                    let signed_in = token.is_some();
                    if let Err(e) =
                        crate::b2b::keycloak::reconcile(state, &u, &info.organization_ids, signed_in).await
                    {
                        tracing::warn!(user.id = u.id, error = %e, "Keycloak organizations not reconciled");
                    }
                    if let Some(token) = token {
                        set_cookies.push(session_cookie(config, &token));
                    }
                    via = Via::Gateway { session_id: sid };
                    user = Some(u);
                }
            }
            Err(why) => tracing::warn!(reason = why, "ignored an unreadable X-Userinfo header"),
        }
    } else if let Some(token) = &session_token {
        let token = token.clone();
        // One reader round trip: the session and its user.
        let found = state
            .db
            .read(move |c| {
                let Some(s) = sessions::find(c, &token, now)? else {
                    return Ok(None);
                };
                let u = store::find_by_id(c, s.user_id)?;
                Ok::<_, DbError>(Some((s, u)))
            })
            .await?;
        if let Some((s, found_user)) = found {
            let header_gone = s.source == Source::Gateway;
            if header_gone {
                // The gateway stopped vouching for this user: the session ends (RemoteUserMiddleware).
                let id = s.id;
                state.db.write(move |c| sessions::revoke(c, id, now)).await?;
                set_cookies.push(clear_session_cookie(config));
            } else {
                user = found_user.filter(|u| u.is_active);
                if user.is_some() {
                    via = Via::Session { id: s.id };
                }
            }
        }
    }

    // CSRF: evaluated for every unsafe request without an Authorization header; enforced here
    // for authenticated ones, and by form handlers (`require_csrf`) for anonymous ones.
    let mut csrf_verdict = None;
    // Gateway results are signed by the gateway, never carry our CSRF token, and are verified
    // by their handlers (commerce); they are exempt like the original's `csrf_exempt` views.
    let csrf_exempt = csrf::exempt(req.uri().path());
    if csrf::is_unsafe(req.method()) && authorization.is_none() && !csrf_exempt {
        let mut token = headers
            .get(csrf::HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        if token.is_none()
            && (content_type.starts_with("application/x-www-form-urlencoded")
                || content_type.starts_with("multipart/form-data"))
        {
            let (parts, body) = req.into_parts();
            let bytes = axum::body::to_bytes(body, config.body_limit)
                .await
                .map_err(|_| AppError::BadRequest("The request body could not be read.".into()))?;
            token = csrf::form_token(&content_type, &bytes);
            req = Request::from_parts(parts, Body::from(bytes));
        }
        let verdict = csrf::check(config, &headers, cookie_secret.as_deref(), token.as_deref());
        if matches!(via, Via::Session { .. } | Via::Gateway { .. })
            && let Err(why) = &verdict
        {
            return Err(AppError::Forbidden(format!("CSRF Failed: {why}")));
        }
        csrf_verdict = Some(verdict);
    }

    // Like mitol's gateway middleware: remember `?next=` for 30 s, for the login redirect.
    if config.auth_mode == AuthMode::Gateway
        && let Some(next) = req.uri().query().and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "next")
                .map(|(_, v)| v.into_owned())
        })
        && !next.is_empty()
    {
        let v: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
        set_cookies.push(Cookie::new("next", &v, 30).header(config));
    }
    let csrf_used = Arc::new(AtomicBool::new(false));
    if let Some(u) = &user {
        req.extensions_mut().insert(viewer_of(u));
    }
    req.extensions_mut().insert(Identity {
        user,
        via,
        token_user,
        peer: client_ip(config, peer, &headers),
        csrf_secret: csrf_secret.clone(),
        csrf_used: csrf_used.clone(),
        csrf_verdict,
    });
    let mut resp = next.run(req).await;
    // A response a shared cache may keep must not carry anyone's CSRF cookie.
    let shared_cacheable = resp
        .headers()
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("public") || v.contains("s-maxage"));
    if csrf_new && csrf_used.load(Ordering::Relaxed) && !shared_cacheable {
        set_cookies.push(csrf_cookie(config, &csrf_secret));
    }
    for c in set_cookies {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(resp)
}

/// What the header shows for a user.
pub fn display_name(u: &User) -> String {
    if u.name.trim().is_empty() {
        u.username.clone()
    } else {
        u.name.clone()
    }
}

/// The layout's view of a signed-in user.
pub(super) fn viewer_of(u: &User) -> Viewer {
    Viewer {
        name: display_name(u),
        is_staff: u.is_staff || u.is_superuser,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_by_exact_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("xcsrftoken=no; csrftoken=yes; a=b"),
        );
        assert_eq!(cookie(&h, "csrftoken"), Some("yes"));
        assert_eq!(cookie(&h, "missing"), None);
    }
}
