//! The anonymous-basket hand-off (the original's `AnonymousBasketHandoffMiddleware`): MIT Learn
//! builds an anonymous basket through API calls on another host, where our basket cookie cannot
//! follow, and sends the browser here with `?anonymous_basket_id=<uuid>`. An anonymous visitor
//! without a basket of their own takes that basket (its cookie is set); everyone is redirected
//! to the same URL without the parameter, so the id does not stay in the address bar or in
//! shared links. Signing in later moves the basket to the account, as with any anonymous basket.
//! Only GET and HEAD are redirected (a redirect would drop a form's body); an id that is not a
//! UUID or names no anonymous basket is ignored.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::api::ANON_COOKIE;
use super::model::Owner;
use crate::http::cookies::Cookie;
use crate::http::session::Identity;
use crate::state::AppState;

pub const PARAM: &str = "anonymous_basket_id";

pub async fn adopt(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // Every request passes here: only a GET whose query names the parameter is looked at.
    let named = req.uri().query().is_some_and(|q| q.contains(PARAM));
    if !named || !matches!(*req.method(), Method::GET | Method::HEAD) {
        return next.run(req).await;
    }
    let query = req.uri().query().unwrap_or_default().to_owned();
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let Some(handed) = pairs.iter().find(|(k, _)| k == PARAM).map(|(_, v)| v.clone()) else {
        return next.run(req).await;
    };
    let anonymous = req
        .extensions()
        .get::<Identity>()
        .is_none_or(|i| i.user.is_none());
    let has_own = crate::http::session::cookie(req.headers(), ANON_COOKIE).is_some();
    let mut set_cookie = None;
    if anonymous
        && !has_own
        && let Ok(id) = uuid::Uuid::parse_str(&handed)
    {
        let id = id.to_string();
        let probe = id.clone();
        let exists = state
            .db
            .read(move |c| super::store::basket_id(c, &Owner::Anonymous(probe)))
            .await;
        match exists {
            Ok(Some(_)) => {
                set_cookie = Some(
                    Cookie::new(ANON_COOKIE, &id, 1_209_600)
                        .http_only()
                        .header(&state.config),
                )
            }
            Ok(None) => tracing::info!("ignoring an anonymous_basket_id that names no basket"),
            Err(e) => tracing::warn!(error = %e, "could not look up a handed-off basket"),
        }
    } else if anonymous && !has_own {
        tracing::info!("ignoring a malformed anonymous_basket_id");
    }
    let rest: Vec<&(String, String)> = pairs.iter().filter(|(k, _)| k != PARAM).collect();
    let mut target = format!("{}{}", state.config.path_prefix(), req.uri().path());
    if !rest.is_empty() {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in rest {
            q.append_pair(k, v);
        }
        target = format!("{target}?{}", q.finish());
    }
    // 302, as the original's HttpResponseRedirect.
    let mut resp = (StatusCode::FOUND, [(header::LOCATION, target)]).into_response();
    if let Some(c) = set_cookie {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    resp
}
