//! What the Open edX layer needs from the provider:
//!
//! - [`login_token_issuer`]: the access token edX registers a learner with (a token of ours on
//!   the `edx-oauth-app` application, scopes `read write`, 1000 hours like
//!   `OPENEDX_TOKEN_EXPIRES_HOURS`), which edX uses to call `/api/users/me`.
//! - [`EdxBrowser`]: the original's `create_edx_auth_token` browser dance against a real edX: a
//!   session of ours for the learner as a cookie, `GET <edx>/auth/login/ol-oauth2/?auth_entry=login`
//!   following redirects (edX bounces through our `/oauth2/authorize/`, which issues a code at
//!   once for the skip-authorization app, and back to edX), then `GET <edx>/oauth2/authorize?…`
//!   until edX redirects to our redirect URI with a `code`. The session is revoked afterwards.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header;
use rusqlite::Connection;

use super::store;
use crate::clock::Clock;
use crate::db::{Db, DbError};
use crate::http::session::SESSION_COOKIE;
use crate::integrations::openedx::client::EdxError;
use crate::integrations::openedx::service::LoginTokenIssuer;
use crate::state::AppState;
use crate::users::sessions::{self, Source};

/// Our application edX logs in with (`OPENEDX_OAUTH_APP_NAME`).
pub const EDX_APP_NAME: &str = "edx-oauth-app";
/// `OPENEDX_TOKEN_EXPIRES_HOURS`.
pub const EDX_TOKEN_TTL: chrono::Duration = chrono::Duration::hours(1000);
/// `OPENEDX_SOCIAL_LOGIN_PATH`.
pub const SOCIAL_LOGIN_PATH: &str = "/auth/login/ol-oauth2/?auth_entry=login";
const MAX_HOPS: usize = 20;

/// Issues the token edX registers a learner with (see the module documentation).
pub fn issue_edx_login_token(c: &Connection, user_id: i64, now: DateTime<Utc>) -> rusqlite::Result<String> {
    let app = store::find_app_by_name(c, EDX_APP_NAME)?;
    store::issue_access_token(
        c,
        app.as_ref().map(|a| a.id),
        EDX_APP_NAME,
        user_id,
        "read write",
        EDX_TOKEN_TTL,
        now,
    )
}

pub fn login_token_issuer() -> LoginTokenIssuer {
    std::sync::Arc::new(issue_edx_login_token)
}

/// A cookie-keeping, redirect-following client playing the learner's browser.
#[derive(Clone)]
pub struct EdxBrowser {
    http: reqwest::Client,
    db: Db,
    clock: Clock,
    /// `scheme://host[:port]` of edX and of us.
    edx_origin: String,
    our_url: url::Url,
    client_id: Option<String>,
}

type Jar = Vec<(String, String, String)>;

fn host_key(u: &url::Url) -> String {
    format!(
        "{}:{}",
        u.host_str().unwrap_or(""),
        u.port_or_known_default().unwrap_or(0)
    )
}

fn transport(e: reqwest::Error) -> EdxError {
    EdxError::Transport {
        timeout: e.is_timeout(),
        message: e.to_string(),
    }
}

impl EdxBrowser {
    pub fn new(
        state: &AppState,
        edx_origin: String,
        client_id: Option<String>,
        timeout: Duration,
    ) -> Option<Self> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .build()
            .ok()?;
        Some(EdxBrowser {
            http,
            db: state.db.clone(),
            clock: state.clock.clone(),
            edx_origin,
            our_url: state.config.public_url.clone(),
            client_id,
        })
    }

    /// Follows redirects from `start`; returns the first URL starting with `stop` (not fetched),
    /// or, without `stop`, the final URL once a non-redirect 2xx answer arrives.
    async fn walk(&self, jar: &mut Jar, start: &str, stop: Option<&str>) -> Result<String, EdxError> {
        let mut url =
            url::Url::parse(start).map_err(|e| EdxError::Decode(format!("bad URL {start}: {e}")))?;
        for _ in 0..MAX_HOPS {
            if let Some(s) = stop
                && url.as_str().starts_with(s)
            {
                return Ok(url.into());
            }
            let key = host_key(&url);
            let cookies: Vec<String> = jar
                .iter()
                .filter(|(h, _, _)| *h == key)
                .map(|(_, n, v)| format!("{n}={v}"))
                .collect();
            let mut req = self.http.get(url.clone());
            if !cookies.is_empty() {
                req = req.header(header::COOKIE, cookies.join("; "));
            }
            let resp = req.send().await.map_err(transport)?;
            for sc in resp.headers().get_all(header::SET_COOKIE) {
                let Some((n, v)) = sc
                    .to_str()
                    .ok()
                    .and_then(|s| s.split(';').next())
                    .and_then(|kv| kv.split_once('='))
                else {
                    continue;
                };
                let (n, v) = (n.trim().to_owned(), v.trim().to_owned());
                jar.retain(|(h, jn, _)| !(*h == key && *jn == n));
                if !v.is_empty() {
                    jar.push((key.clone(), n, v));
                }
            }
            let status = resp.status();
            if status.is_redirection()
                && let Some(loc) = resp.headers().get(header::LOCATION).and_then(|l| l.to_str().ok())
            {
                url = url
                    .join(loc)
                    .map_err(|e| EdxError::Decode(format!("bad redirect {loc}: {e}")))?;
                continue;
            }
            if status.is_success() && stop.is_none() {
                return Ok(url.into());
            }
            let body = resp.text().await.unwrap_or_default();
            return Err(EdxError::Status {
                status: status.as_u16(),
                retry_after: None,
                body: format!("{url}: {}", body.chars().take(300).collect::<String>()),
            });
        }
        Err(EdxError::Decode(format!(
            "more than {MAX_HOPS} redirects from {start}"
        )))
    }

    /// Logs the learner into edX through us, then obtains an edX authorization code for
    /// `redirect_uri`.
    pub async fn authorize(&self, user_id: i64, redirect_uri: &str) -> Result<String, EdxError> {
        let client_id = self.client_id.clone().ok_or(EdxError::NotConfigured(
            "MITXONLINE_OPENEDX_CLIENT_ID is needed for per-user tokens",
        ))?;
        let now = self.clock.now();
        let token = self
            .db
            .write(move |c| sessions::create(c, user_id, Source::Local, now))
            .await?;
        let mut jar: Jar = vec![(host_key(&self.our_url), SESSION_COOKIE.to_owned(), token.clone())];
        let result = async {
            self.walk(&mut jar, &format!("{}{SOCIAL_LOGIN_PATH}", self.edx_origin), None)
                .await?;
            let query = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("client_id", &client_id)
                .append_pair("scope", "read write")
                .append_pair("redirect_uri", redirect_uri)
                .append_pair("response_type", "code")
                .finish();
            let start = format!("{}/oauth2/authorize?{query}", self.edx_origin);
            let end = self.walk(&mut jar, &start, Some(redirect_uri)).await?;
            url::Url::parse(&end)
                .ok()
                .and_then(|u| {
                    u.query_pairs()
                        .find(|(k, _)| k == "code")
                        .map(|(_, v)| v.into_owned())
                })
                .ok_or_else(|| EdxError::Decode(format!("no code in the authorization redirect {end}")))
        }
        .await;
        let now = self.clock.now();
        self.db
            .write(move |c| {
                if let Some(s) = sessions::find(c, &token, now)? {
                    sessions::revoke(c, s.id, now)?;
                }
                Ok::<_, DbError>(())
            })
            .await?;
        result
    }
}
