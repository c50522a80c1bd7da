//! The provider's rules: scopes, PKCE, client authentication and the two token grants
//! (authorization code, refresh token with rotation), each one write transaction that either
//! issues everything or changes nothing. Errors are RFC 6749 error codes.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use rusqlite::Connection;
use sha2::{Digest as _, Sha256};

use super::store::{self, Application, Issued};
use crate::clock::from_db;
use crate::db::DbError;
use crate::users::sessions::hash;

/// Scopes the provider knows (the original's django-oauth-toolkit settings).
pub const SCOPES: [&str; 5] = ["read", "write", "openid", "user:read", "b2b:manager-check"];
/// Given when a client asks for none.
pub const DEFAULT_SCOPE: &str = "user:read";
/// Access token lifetime (django-oauth-toolkit's default, 10 hours).
pub const ACCESS_TOKEN_TTL: Duration = Duration::hours(10);
/// Authorization code lifetime (django-oauth-toolkit's default).
pub const CODE_TTL: Duration = Duration::seconds(60);

/// An RFC 6749 §5.2 error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub error: &'static str,
    pub description: String,
}

impl OAuthError {
    pub fn new(error: &'static str, description: impl Into<String>) -> Self {
        Self {
            error,
            description: description.into(),
        }
    }
    /// 401 for client authentication failures, 500 for our own, 400 otherwise.
    pub fn status(&self) -> u16 {
        match self.error {
            "invalid_client" => 401,
            "server_error" => 500,
            _ => 400,
        }
    }
}

impl From<DbError> for OAuthError {
    fn from(e: DbError) -> Self {
        tracing::error!(error = %e, "oauth2 database error");
        OAuthError::new("server_error", "The server could not complete the request.")
    }
}

impl From<rusqlite::Error> for OAuthError {
    fn from(e: rusqlite::Error) -> Self {
        OAuthError::from(DbError::from(e))
    }
}

/// Normalises a requested scope: known scopes only, de-duplicated, default when empty.
pub fn parse_scope(raw: Option<&str>) -> Result<String, OAuthError> {
    let mut out: Vec<&str> = Vec::new();
    for s in raw.unwrap_or("").split_whitespace() {
        if !SCOPES.contains(&s) {
            return Err(OAuthError::new("invalid_scope", format!("Unknown scope `{s}`.")));
        }
        if !out.contains(&s) {
            out.push(s);
        }
    }
    if out.is_empty() {
        out.push(DEFAULT_SCOPE);
    }
    Ok(out.join(" "))
}

pub fn has_scope(scope: &str, wanted: &str) -> bool {
    scope.split_whitespace().any(|s| s == wanted)
}

/// RFC 7636 S256: BASE64URL(SHA256(verifier)) == challenge.
pub fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let valid = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    valid && URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == challenge
}

/// Client credentials as presented (HTTP Basic or form fields).
#[derive(Debug, Clone, Default)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: Option<String>,
}

/// Finds the application and checks its secret (confidential clients must present it).
pub fn authenticate_client(c: &Connection, creds: &ClientCredentials) -> Result<Application, OAuthError> {
    let bad = || OAuthError::new("invalid_client", "Client authentication failed.");
    let app = store::find_app(c, &creds.client_id)?.ok_or_else(bad)?;
    match &creds.client_secret {
        Some(s) if hash(s) == app.secret_hash => Ok(app),
        None if !app.confidential => Ok(app),
        _ => Err(bad()),
    }
}

/// What a grant produced, for the token response (the ID token is signed by the caller).
pub struct Granted {
    pub issued: Issued,
    pub scope: String,
    pub user_id: i64,
    pub nonce: Option<String>,
    pub client_id: String,
}

/// The `authorization_code` grant.
pub fn redeem_code(
    c: &Connection,
    app: &Application,
    code: &str,
    redirect_uri: Option<&str>,
    verifier: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Granted, OAuthError> {
    if !app.allows_grant("authorization_code") {
        return Err(OAuthError::new(
            "unauthorized_client",
            "This client may not use the authorization_code grant.",
        ));
    }
    let invalid = |why: &str| OAuthError::new("invalid_grant", why.to_owned());
    let grant = store::find_code(c, code)?.ok_or_else(|| invalid("Unknown authorization code."))?;
    if grant.application_id != app.id {
        return Err(invalid("The code was issued to another client."));
    }
    if grant.used_on.is_some() {
        // RFC 6749 §4.1.2: a replayed code revokes what it was redeemed for. The caller must
        // commit even though this is an error (see `api::token`).
        if let Some(id) = grant.access_token_id {
            store::revoke_access_id(c, id, now)?;
        }
        return Err(invalid("The code has already been used."));
    }
    if from_db(&grant.expires_on).is_none_or(|e| e <= now) {
        return Err(invalid("The code has expired."));
    }
    if redirect_uri != Some(grant.redirect_uri.as_str()) {
        return Err(invalid("redirect_uri does not match the authorization request."));
    }
    if let Some(challenge) = &grant.code_challenge {
        let Some(v) = verifier else {
            return Err(invalid("code_verifier is required."));
        };
        if !pkce_matches(v, challenge) {
            return Err(invalid("code_verifier does not match the code challenge."));
        }
    }
    if !store::mark_code_used(c, code, now)? {
        return Err(invalid("The code has already been used."));
    }
    let issued = store::issue_tokens(c, app, grant.user_id, &grant.scope, ACCESS_TOKEN_TTL, now)?;
    store::set_code_token(c, code, issued.access_token_id)?;
    Ok(Granted {
        issued,
        scope: grant.scope,
        user_id: grant.user_id,
        nonce: grant.nonce,
        client_id: app.client_id.clone(),
    })
}

/// The `refresh_token` grant: the old refresh token and its access token are revoked.
pub fn refresh(
    c: &Connection,
    app: &Application,
    token: &str,
    scope: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Granted, OAuthError> {
    if !app.allows_grant("refresh_token") {
        return Err(OAuthError::new(
            "unauthorized_client",
            "This client may not use the refresh_token grant.",
        ));
    }
    let row = store::find_refresh(c, token)?
        .filter(|r| r.application_id == app.id && !r.revoked)
        .ok_or_else(|| {
            OAuthError::new(
                "invalid_grant",
                "The refresh token is invalid, revoked or issued to another client.",
            )
        })?;
    let scope = match scope.map(str::trim).filter(|s| !s.is_empty()) {
        None => row.scope.clone(),
        Some(s) => {
            let wanted = parse_scope(Some(s))?;
            if !wanted.split_whitespace().all(|w| has_scope(&row.scope, w)) {
                return Err(OAuthError::new(
                    "invalid_scope",
                    "The scope exceeds the original grant.",
                ));
            }
            wanted
        }
    };
    let active = crate::users::store::find_by_id(c, row.user_id)?
        .map(|u| u.is_active)
        .ok_or(rusqlite::Error::QueryReturnedNoRows)?;
    if !active {
        return Err(OAuthError::new("invalid_grant", "The account is inactive."));
    }
    store::revoke_refresh(c, &row, now)?;
    let issued = store::issue_tokens(c, app, row.user_id, &scope, ACCESS_TOKEN_TTL, now)?;
    Ok(Granted {
        issued,
        scope,
        user_id: row.user_id,
        nonce: None,
        client_id: app.client_id.clone(),
    })
}

/// RFC 7009 revocation by an authenticated client: its access token, else its refresh token
/// (with the access token it issued). Unknown tokens are not an error.
pub async fn revoke(
    state: &crate::state::AppState,
    creds: ClientCredentials,
    token: String,
) -> Result<(), OAuthError> {
    state
        .write_at(move |c, now| {
            let app = authenticate_client(c, &creds)?;
            if !store::revoke_access(c, app.id, &token, now)?
                && let Some(r) = store::find_refresh(c, &token)?.filter(|r| r.application_id == app.id)
            {
                store::revoke_refresh(c, &r, now)?;
            }
            Ok::<_, OAuthError>(())
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_accepts_the_rfc_7636_example_and_refuses_others() {
        let v = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert!(pkce_matches(v, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
        assert!(!pkce_matches(
            "short",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(!pkce_matches(
            &v.replace('d', "e"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
    }

    #[test]
    fn scopes_default_to_user_read_and_unknown_ones_are_refused() {
        assert_eq!(parse_scope(None).unwrap(), "user:read");
        assert_eq!(parse_scope(Some("openid read openid")).unwrap(), "openid read");
        assert_eq!(parse_scope(Some("admin")).unwrap_err().error, "invalid_scope");
    }
}
