//! OIDC login straight to Keycloak (no gateway): authorization code flow with PKCE (S256),
//! `state` and `nonce` checked, the ID token's RS256 signature verified against the provider's
//! JWKS and its `iss`, `aud`, `exp` and `nonce` claims checked. No axum here; the pages call
//! [`start`] and [`finish`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rusqlite::{OptionalExtension, params};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};

use super::gateway::Userinfo;
use crate::clock::{from_db, to_db};
use crate::config::OidcConfig;
use crate::db::DbError;
use crate::state::AppState;

/// How long a started login may take.
const LOGIN_TTL: chrono::Duration = chrono::Duration::minutes(10);
const DISCOVERY_TTL: Duration = Duration::from_secs(600);

/// Why an OIDC login failed (logged; the user sees a generic message).
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("OIDC is not configured (MITXONLINE_OIDC_DISCOVERY_URL, _CLIENT_ID)")]
    NotConfigured,
    #[error("unknown, used or expired login state")]
    BadState,
    #[error("the login was started by another browser (no or wrong login cookie)")]
    OtherBrowser,
    #[error("the provider refused: {0}")]
    Provider(String),
    #[error("invalid ID token: {0}")]
    Token(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

crate::db::error_from!(rusqlite::Error => OidcError::Db);

#[derive(Debug, Clone, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    pub end_session_endpoint: Option<String>,
}

static DISCOVERY: Mutex<Option<HashMap<String, (Instant, Discovery)>>> = Mutex::new(None);

async fn discovery(state: &AppState, cfg: &OidcConfig) -> Result<Discovery, OidcError> {
    let url = cfg.discovery_url.to_string();
    if let Some((at, d)) = DISCOVERY.lock().ok().and_then(|m| m.as_ref()?.get(&url).cloned())
        && at.elapsed() < DISCOVERY_TTL
    {
        return Ok(d);
    }
    let d: Discovery = get_json(state, &url).await?;
    if let Ok(mut m) = DISCOVERY.lock() {
        m.get_or_insert_with(HashMap::new)
            .insert(url, (Instant::now(), d.clone()));
    }
    Ok(d)
}

async fn get_json<T: serde::de::DeserializeOwned>(state: &AppState, url: &str) -> Result<T, OidcError> {
    let r = state
        .http_client
        .get(url)
        .timeout(Duration::from_secs(15))
        .send()
        .await
        .map_err(|e| OidcError::Provider(e.to_string()))?;
    if !r.status().is_success() {
        return Err(OidcError::Provider(format!("{url}: HTTP {}", r.status())));
    }
    r.json()
        .await
        .map_err(|e| OidcError::Provider(format!("{url}: {e}")))
}

fn random(n: usize) -> String {
    use rand::Rng as _;
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

/// PKCE S256 challenge of a verifier.
pub fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn callback_url(state: &AppState) -> String {
    state.config.absolute_url("/login/oidc/callback/")
}

/// The cookie binding a started login to the browser that started it (HttpOnly, SameSite=Lax,
/// Secure under https, alive as long as the login may take).
pub const BROWSER_COOKIE: &str = "mitxonline_oidc_login";

/// Lifetime of [`BROWSER_COOKIE`], in seconds.
pub fn browser_cookie_max_age() -> i64 {
    LOGIN_TTL.num_seconds()
}

/// A started login: where to send the browser, and the value of its [`BROWSER_COOKIE`].
pub struct Started {
    pub url: String,
    pub browser_secret: String,
}

/// Starts a login: stores state, nonce, PKCE verifier and the hash of a fresh browser secret
/// (for the browser's cookie); returns the provider URL and that secret.
pub async fn start(state: &AppState, next: &str) -> Result<Started, OidcError> {
    let cfg = state.config.oidc.clone().ok_or(OidcError::NotConfigured)?;
    let d = discovery(state, &cfg).await?;
    let (st, nonce, verifier, browser) = (random(32), random(32), random(64), random(43));
    let (s2, n2, v2, next) = (st.clone(), nonce.clone(), verifier.clone(), next.to_owned());
    let b2 = crate::users::sessions::hash(&browser);
    state
        .write_at(move |c, now| {
            c.execute(
                "DELETE FROM oidc_logins WHERE created_on < ?1",
                [to_db(now - LOGIN_TTL)],
            )?;
            c.execute(
                "INSERT INTO oidc_logins (state, nonce, code_verifier, next_url, created_on, browser_hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![s2, n2, v2, next, to_db(now), b2],
            )
        })
        .await?;
    let mut url =
        url::Url::parse(&d.authorization_endpoint).map_err(|e| OidcError::Provider(e.to_string()))?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &cfg.client_id)
        .append_pair("redirect_uri", &callback_url(state))
        .append_pair("scope", "openid profile email")
        .append_pair("state", &st)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &challenge(&verifier))
        .append_pair("code_challenge_method", "S256");
    Ok(Started {
        url: url.to_string(),
        browser_secret: browser,
    })
}

#[derive(Deserialize)]
struct TokenResponse {
    id_token: String,
}

#[derive(Deserialize)]
struct Jwks {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct Jwk {
    kid: Option<String>,
    kty: String,
    n: Option<String>,
    e: Option<String>,
}

#[derive(Deserialize)]
struct IdClaims {
    sub: String,
    nonce: Option<String>,
    email: Option<String>,
    email_verified: Option<serde_json::Value>,
    preferred_username: Option<String>,
    name: Option<String>,
}

/// Verifies an ID token against the JWKS, issuer, audience, expiry and nonce.
pub fn verify_id_token(
    token: &str,
    jwks_json: &serde_json::Value,
    issuer: &str,
    client_id: &str,
    nonce: &str,
) -> Result<Userinfo, OidcError> {
    let bad = |e: &dyn std::fmt::Display| OidcError::Token(e.to_string());
    let header = jsonwebtoken::decode_header(token).map_err(|e| bad(&e))?;
    if header.alg != Algorithm::RS256 {
        return Err(OidcError::Token(format!(
            "algorithm {:?} is not accepted",
            header.alg
        )));
    }
    let jwks: Jwks = serde_json::from_value(jwks_json.clone()).map_err(|e| bad(&e))?;
    let jwk = jwks
        .keys
        .iter()
        .filter(|k| k.kty == "RSA")
        .find(|k| header.kid.is_none() || k.kid == header.kid)
        .ok_or_else(|| OidcError::Token("no matching key in the JWKS".into()))?;
    let (Some(n), Some(e)) = (&jwk.n, &jwk.e) else {
        return Err(OidcError::Token("JWKS key without n/e".into()));
    };
    let key = DecodingKey::from_rsa_components(n, e).map_err(|e| bad(&e))?;
    let mut v = Validation::new(Algorithm::RS256);
    v.set_audience(&[client_id]);
    v.set_issuer(&[issuer]);
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let data = jsonwebtoken::decode::<IdClaims>(token, &key, &v).map_err(|e| bad(&e))?;
    let c = data.claims;
    if c.nonce.as_deref() != Some(nonce) {
        return Err(OidcError::Token("nonce mismatch".into()));
    }
    if c.sub.is_empty() || c.sub.chars().count() > 36 {
        return Err(OidcError::Token("unusable sub".into()));
    }
    Ok(Userinfo {
        sub: c.sub,
        email: c.email,
        preferred_username: c.preferred_username,
        name: c.name,
        // Only a literal `true` (some providers send the string "true").
        email_verified: matches!(&c.email_verified, Some(serde_json::Value::Bool(true)))
            || matches!(&c.email_verified, Some(serde_json::Value::String(s)) if s == "true"),
        email_optin: None,
        organization_ids: Vec::new(),
    })
}

/// Finishes a login: consumes the state — which must have been started by this browser
/// (`browser_secret` is its [`BROWSER_COOKIE`]) — exchanges the code, verifies the ID token.
/// Returns the verified claims and the `next` URL saved at the start.
pub async fn finish(
    state: &AppState,
    st: &str,
    code: &str,
    browser_secret: Option<&str>,
) -> Result<(Userinfo, String), OidcError> {
    let cfg = state.config.oidc.clone().ok_or(OidcError::NotConfigured)?;
    let now = state.clock.now();
    let st = st.to_owned();
    let row = state
        .db
        .write(move |c| {
            let row: Option<(String, String, String, String, String)> = c
                .query_row(
                    "SELECT nonce, code_verifier, next_url, created_on, browser_hash FROM oidc_logins WHERE state = ?1",
                    [&st],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )
                .optional()?;
            c.execute("DELETE FROM oidc_logins WHERE state = ?1", [&st])?;
            Ok::<_, DbError>(row)
        })
        .await?;
    let Some((nonce, verifier, next, created, browser_hash)) = row else {
        return Err(OidcError::BadState);
    };
    // Login CSRF: a callback URL made for another browser (an attacker's own login) is
    // refused; the state was consumed either way.
    let same_browser = browser_secret
        .is_some_and(|b| !browser_hash.is_empty() && crate::users::sessions::hash(b) == browser_hash);
    if !same_browser {
        return Err(OidcError::OtherBrowser);
    }
    if from_db(&created).is_none_or(|t| now - t > LOGIN_TTL) {
        return Err(OidcError::BadState);
    }
    let d = discovery(state, &cfg).await?;
    let mut form = vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", code.to_owned()),
        ("redirect_uri", callback_url(state)),
        ("client_id", cfg.client_id.clone()),
        ("code_verifier", verifier),
    ];
    if let Some(secret) = &cfg.client_secret {
        form.push(("client_secret", secret.expose().to_owned()));
    }
    let r = state
        .http_client
        .post(&d.token_endpoint)
        .timeout(Duration::from_secs(15))
        .form(&form)
        .send()
        .await
        .map_err(|e| OidcError::Provider(e.to_string()))?;
    if !r.status().is_success() {
        let status = r.status();
        let body: String = r.text().await.unwrap_or_default().chars().take(200).collect();
        return Err(OidcError::Provider(format!(
            "token endpoint: HTTP {status}: {body}"
        )));
    }
    let tokens: TokenResponse = r.json().await.map_err(|e| OidcError::Provider(e.to_string()))?;
    let jwks: serde_json::Value = get_json(state, &d.jwks_uri).await?;
    let info = verify_id_token(&tokens.id_token, &jwks, &d.issuer, &cfg.client_id, &nonce)?;
    Ok((info, next))
}

/// Where to send the browser after a local logout so Keycloak ends its session too
/// (RP-initiated logout with `client_id` and `post_logout_redirect_uri`); `None` when the
/// provider has no end-session endpoint or cannot be reached.
pub async fn logout_url(state: &AppState) -> Option<String> {
    let cfg = state.config.oidc.clone()?;
    let d = discovery(state, &cfg).await.ok()?;
    let mut url = url::Url::parse(d.end_session_endpoint.as_deref()?).ok()?;
    url.query_pairs_mut()
        .append_pair("client_id", &cfg.client_id)
        .append_pair("post_logout_redirect_uri", &state.config.absolute_url("/"));
    Some(url.to_string())
}
