//! The real Keycloak admin API: a client-credentials token from the realm's token endpoint,
//! kept until shortly before it expires, then `GET organizations` (paged) and
//! `POST organizations/<id>/members` with the user id as the JSON body.

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::Mutex;

use super::{KcOrganization, KeycloakError};
use crate::config::KeycloakConfig;

const PAGE: usize = 100;

pub struct Client {
    http: reqwest::Client,
    config: KeycloakConfig,
    token: Mutex<Option<(String, Instant)>>,
}

fn transport(e: reqwest::Error) -> KeycloakError {
    KeycloakError::Transport(e.to_string())
}

async fn checked(r: reqwest::Response) -> Result<reqwest::Response, KeycloakError> {
    let status = r.status().as_u16();
    if (200..300).contains(&status) {
        Ok(r)
    } else {
        let body: String = r.text().await.unwrap_or_default().chars().take(300).collect();
        Err(KeycloakError::Status { status, body })
    }
}

impl Client {
    pub fn new(http: reqwest::Client, config: KeycloakConfig) -> Client {
        Client {
            http,
            config,
            token: Mutex::new(None),
        }
    }

    fn base(&self) -> String {
        self.config.base_url.as_str().trim_end_matches('/').to_owned()
    }

    fn admin_url(&self, path: &str) -> String {
        format!("{}/admin/realms/{}/{path}", self.base(), self.config.realm)
    }

    async fn token(&self) -> Result<String, KeycloakError> {
        let mut held = self.token.lock().await;
        if let Some((t, until)) = held.as_ref()
            && *until > Instant::now()
        {
            return Ok(t.clone());
        }
        let url = format!(
            "{}/realms/{}/protocol/openid-connect/token",
            self.base(),
            self.config.realm
        );
        let r = self
            .http
            .post(url)
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", self.config.client_id.as_str()),
                ("client_secret", self.config.client_secret.expose()),
            ])
            .send()
            .await
            .map_err(transport)?;
        let v: Value = checked(r).await?.json().await.map_err(transport)?;
        let token = v["access_token"]
            .as_str()
            .ok_or_else(|| KeycloakError::Decode("no access_token".into()))?
            .to_owned();
        let ttl = v["expires_in"].as_u64().unwrap_or(60).saturating_sub(10).max(5);
        *held = Some((token.clone(), Instant::now() + Duration::from_secs(ttl)));
        Ok(token)
    }

    pub async fn list_organizations(&self) -> Result<Vec<KcOrganization>, KeycloakError> {
        let mut out = Vec::new();
        for page in 0..1000 {
            let url = self.admin_url(&format!("organizations?first={}&max={PAGE}", page * PAGE));
            let r = self
                .http
                .get(url)
                .bearer_auth(self.token().await?)
                .send()
                .await
                .map_err(transport)?;
            let list: Vec<KcOrganization> = checked(r)
                .await?
                .json()
                .await
                .map_err(|e| KeycloakError::Decode(e.to_string()))?;
            let n = list.len();
            out.extend(list);
            if n < PAGE {
                break;
            }
        }
        Ok(out)
    }

    pub async fn add_member(&self, org: &str, user: &str) -> Result<(), KeycloakError> {
        let url = self.admin_url(&format!("organizations/{}/members", urlencoding(org)));
        let r = self
            .http
            .post(url)
            .bearer_auth(self.token().await?)
            .json(&Value::String(user.to_owned()))
            .send()
            .await
            .map_err(transport)?;
        if r.status().as_u16() == 409 {
            return Ok(());
        }
        checked(r).await.map(|_| ())
    }
}

fn urlencoding(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
