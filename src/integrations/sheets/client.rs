//! Google Sheets API v4 over reqwest: `GET /v4/spreadsheets/{id}/values/{range}` and
//! `POST /v4/spreadsheets/{id}/values:batchUpdate` (`valueInputOption=USER_ENTERED`, so a
//! `=DATE(…)` becomes a date). Authenticated as a service account: an RS256-signed JWT
//! (`iss` the client email, `scope` spreadsheets, `aud` the key's `token_uri`) exchanged at
//! `token_uri` for an access token (`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`),
//! kept until a minute before it expires. Against the sandbox the bearer token is its own.
//! Knows no web layer and no domain module; the key and tokens are never logged.

use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use super::SheetsError;
use crate::config::Secret;

const SCOPE: &str = "https://www.googleapis.com/auth/spreadsheets";
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// The fields of a service account's JSON key file we use.
#[derive(Deserialize)]
pub struct ServiceAccountKey {
    pub client_email: String,
    pub private_key: String,
    pub private_key_id: Option<String>,
    #[serde(default = "default_token_uri")]
    pub token_uri: String,
}

fn default_token_uri() -> String {
    "https://oauth2.googleapis.com/token".into()
}

impl std::fmt::Debug for ServiceAccountKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccountKey")
            .field("client_email", &self.client_email)
            .field("token_uri", &self.token_uri)
            .finish_non_exhaustive()
    }
}

impl ServiceAccountKey {
    /// Reads and checks a key file (the private key must be an RSA PEM).
    pub fn load(path: &std::path::Path) -> Result<ServiceAccountKey, SheetsError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| SheetsError::Credentials(format!("cannot read {}: {e}", path.display())))?;
        let key: ServiceAccountKey = serde_json::from_str(&text).map_err(|e| {
            SheetsError::Credentials(format!("{} is not a service-account key: {e}", path.display()))
        })?;
        jsonwebtoken::EncodingKey::from_rsa_pem(key.private_key.as_bytes()).map_err(|e| {
            SheetsError::Credentials(format!(
                "{}: private_key is not an RSA PEM key: {e}",
                path.display()
            ))
        })?;
        Ok(key)
    }
}

/// How requests are authenticated.
pub enum Auth {
    ServiceAccount(ServiceAccountKey),
    /// A fixed bearer token (the built-in sandbox).
    Bearer(Secret),
}

pub struct Client {
    http: reqwest::Client,
    base: String,
    spreadsheet: String,
    auth: Auth,
    token: Mutex<Option<(Secret, Instant)>>,
}

fn transport(e: reqwest::Error) -> SheetsError {
    SheetsError::Transport(e.without_url().to_string())
}

fn segment(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

async fn checked(r: reqwest::Response) -> Result<Value, SheetsError> {
    let status = r.status().as_u16();
    let text = r.text().await.map_err(transport)?;
    if !(200..300).contains(&status) {
        return Err(SheetsError::Status {
            status,
            body: text.chars().take(300).collect(),
        });
    }
    serde_json::from_str(&text).map_err(|e| SheetsError::Decode(e.to_string()))
}

#[derive(serde::Serialize)]
struct Claims<'a> {
    iss: &'a str,
    scope: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
}

impl Client {
    pub fn new(http: reqwest::Client, base: &str, spreadsheet: &str, auth: Auth) -> Client {
        Client {
            http,
            base: base.trim_end_matches('/').to_owned(),
            spreadsheet: spreadsheet.to_owned(),
            auth,
            token: Mutex::new(None),
        }
    }

    /// The access token: the cached one, or a new one from the token endpoint.
    async fn access_token(&self) -> Result<Secret, SheetsError> {
        let key = match &self.auth {
            Auth::Bearer(t) => return Ok(t.clone()),
            Auth::ServiceAccount(k) => k,
        };
        let mut held = self.token.lock().await;
        if let Some((t, until)) = held.as_ref()
            && *until > Instant::now()
        {
            return Ok(t.clone());
        }
        let iat = chrono::Utc::now().timestamp();
        let claims = Claims {
            iss: &key.client_email,
            scope: SCOPE,
            aud: &key.token_uri,
            iat,
            exp: iat + 3600,
        };
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = key.private_key_id.clone();
        let signing = jsonwebtoken::EncodingKey::from_rsa_pem(key.private_key.as_bytes())
            .map_err(|e| SheetsError::Credentials(format!("private_key: {e}")))?;
        let assertion = jsonwebtoken::encode(&header, &claims, &signing)
            .map_err(|e| SheetsError::Credentials(format!("cannot sign the token request: {e}")))?;
        let r = self
            .http
            .post(&key.token_uri)
            .timeout(Duration::from_secs(15))
            .form(&[("grant_type", JWT_BEARER), ("assertion", assertion.as_str())])
            .send()
            .await
            .map_err(transport)?;
        let v = checked(r).await?;
        let token = v["access_token"]
            .as_str()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| SheetsError::Decode("a token answer without access_token".into()))?;
        let lifetime = v["expires_in"].as_u64().unwrap_or(3600).saturating_sub(60);
        let secret = Secret::new(token);
        *held = Some((secret.clone(), Instant::now() + Duration::from_secs(lifetime)));
        Ok(secret)
    }

    /// The rows of a range (trailing blank cells and rows are omitted, as the API answers).
    pub async fn get_values(&self, range: &str) -> Result<Vec<Vec<String>>, SheetsError> {
        let token = self.access_token().await?;
        let url = format!(
            "{}/v4/spreadsheets/{}/values/{}?majorDimension=ROWS&valueRenderOption=FORMATTED_VALUE",
            self.base,
            segment(&self.spreadsheet),
            segment(range)
        );
        let r = self
            .http
            .get(url)
            .bearer_auth(token.expose())
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .map_err(transport)?;
        let v = checked(r).await?;
        let rows = v["values"].as_array().cloned().unwrap_or_default();
        Ok(rows
            .iter()
            .map(|row| {
                row.as_array()
                    .map(|cells| {
                        cells
                            .iter()
                            .map(|c| match c {
                                Value::String(s) => s.clone(),
                                Value::Null => String::new(),
                                other => other.to_string(),
                            })
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect())
    }

    /// Writes several ranges in one request; a `null` value leaves its cell as it is.
    pub async fn batch_update(&self, data: &[(String, Vec<Value>)]) -> Result<(), SheetsError> {
        self.batch_update_in(&self.spreadsheet, data).await
    }

    /// [`Client::batch_update`] on another spreadsheet (a B2B contract's code sheet).
    pub async fn batch_update_in(
        &self,
        spreadsheet: &str,
        data: &[(String, Vec<Value>)],
    ) -> Result<(), SheetsError> {
        if data.is_empty() {
            return Ok(());
        }
        let token = self.access_token().await?;
        let url = format!(
            "{}/v4/spreadsheets/{}/values:batchUpdate",
            self.base,
            segment(spreadsheet)
        );
        let body = json!({
            "valueInputOption": "USER_ENTERED",
            "data": data
                .iter()
                .map(|(range, values)| json!({ "range": range, "majorDimension": "ROWS", "values": [values] }))
                .collect::<Vec<_>>(),
        });
        let r = self
            .http
            .post(url)
            .bearer_auth(token.expose())
            .timeout(Duration::from_secs(30))
            .json(&body)
            .send()
            .await
            .map_err(transport)?;
        checked(r).await.map(|_| ())
    }
}
