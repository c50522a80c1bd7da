//! OAuth2 against edX: the per-user token exchange and refresh, and the sandbox's stand-in for
//! the authorization step that needs our own OAuth2 provider on a real edX.

use reqwest::Method;

use super::{Auth, EdxError, OpenEdxClient, status_error};
use crate::integrations::openedx::model::TokenResponse;
use crate::integrations::openedx::transport::{Body, encode_pairs};

impl OpenEdxClient {
    fn client_credentials(&self) -> Result<(String, String), EdxError> {
        match (&self.client_id, &self.client_secret) {
            (Some(id), Some(secret)) => Ok((id.clone(), secret.clone())),
            _ => Err(EdxError::NotConfigured(
                "MITXONLINE_OPENEDX_CLIENT_ID and _CLIENT_SECRET are needed for per-user tokens",
            )),
        }
    }

    async fn token_request(&self, form: Vec<(String, String)>) -> Result<TokenResponse, EdxError> {
        self.json(
            Method::POST,
            "/oauth2/access_token".into(),
            Auth::None,
            Body::Form(form),
        )
        .await
    }

    /// Step 4 of the per-user flow: redeem an authorization code.
    pub async fn exchange_code(&self, code: &str, redirect_uri: &str) -> Result<TokenResponse, EdxError> {
        let (id, secret) = self.client_credentials()?;
        self.token_request(vec![
            ("code".into(), code.into()),
            ("grant_type".into(), "authorization_code".into()),
            ("client_id".into(), id),
            ("client_secret".into(), secret),
            ("redirect_uri".into(), redirect_uri.into()),
        ])
        .await
    }

    /// Refreshes a learner's tokens. A 400 `invalid_grant` comes back as
    /// `EdxError::Status { status: 400, .. }`; see [`is_invalid_grant`].
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenResponse, EdxError> {
        let (id, secret) = self.client_credentials()?;
        self.token_request(vec![
            ("refresh_token".into(), refresh_token.into()),
            ("grant_type".into(), "refresh_token".into()),
            ("client_id".into(), id),
            ("client_secret".into(), secret),
        ])
        .await
    }

    /// Sandbox only: the authorization step a real edX does through our OAuth2 provider (a
    /// browser-like session logged in via `/auth/login/ol-oauth2/`). The sandbox takes the
    /// learner's edX username in `X-Sandbox-Username` instead and redirects with a code.
    pub async fn sandbox_authorize(
        &self,
        edx_username: &str,
        redirect_uri: &str,
    ) -> Result<String, EdxError> {
        if !self.is_sandbox() {
            return Err(EdxError::NotConfigured(
                "creating per-user edX tokens needs the OAuth2 provider (not built yet)",
            ));
        }
        let (id, _) = self.client_credentials()?;
        let q = encode_pairs(&[
            ("client_id".into(), id),
            ("scope".into(), "read write".into()),
            ("redirect_uri".into(), redirect_uri.into()),
            ("response_type".into(), "code".into()),
        ]);
        let r = self
            .send(
                Method::GET,
                format!("/oauth2/authorize?{q}"),
                Auth::None,
                Body::None,
                &[("x-sandbox-username", edx_username.into())],
            )
            .await?;
        let location = r.location.clone().ok_or_else(|| status_error(&r))?;
        if !location.starts_with(redirect_uri) {
            return Err(EdxError::Decode(format!(
                "redirected to {location}, expected {redirect_uri}"
            )));
        }
        url::Url::parse(&location)
            .ok()
            .and_then(|u| {
                u.query_pairs()
                    .find(|(k, _)| k == "code")
                    .map(|(_, v)| v.into_owned())
            })
            .ok_or_else(|| EdxError::Decode("no code in the authorization redirect".into()))
    }
}
