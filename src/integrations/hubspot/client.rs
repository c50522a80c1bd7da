//! HubSpot's CRM v3 API with a private app token (`Authorization: Bearer …`): create
//! `POST /crm/v3/objects/{type}`, update `PATCH /crm/v3/objects/{type}/{id}`, search
//! `POST /crm/v3/objects/{type}/search` (one `EQ` filter), and the default association
//! `PUT /crm/v4/objects/{from}/{id}/associations/default/{to}/{id}`. Every request first takes
//! a token from the portal's bucket. The token is never logged.

use std::time::Duration;

use serde_json::{Value, json};
use url::Url;

use super::bucket::Shared;
use super::{HubspotError, ObjectType, Properties};
use crate::config::Secret;

pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Secret,
    bucket: Shared,
    /// The course-run and program certificate object types in paths (name or objectTypeId).
    certificate_types: [String; 2],
}

fn transport(e: reqwest::Error) -> HubspotError {
    HubspotError::Transport(e.without_url().to_string())
}

impl Client {
    pub fn new(
        http: reqwest::Client,
        base: Url,
        token: Secret,
        rate_per_second: u32,
        certificate_types: [String; 2],
    ) -> Client {
        Client {
            http,
            base: base.as_str().trim_end_matches('/').to_owned(),
            token,
            bucket: Shared::new(rate_per_second),
            certificate_types,
        }
    }

    /// The type as its paths name it, escaped.
    fn path_type(&self, t: ObjectType) -> String {
        let name = match t {
            ObjectType::CourseRunCertificates => &self.certificate_types[0],
            ObjectType::ProgramCertificates => &self.certificate_types[1],
            t => t.as_str(),
        };
        segment(name)
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, HubspotError> {
        self.bucket.acquire().await;
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(self.token.expose())
            .timeout(Duration::from_secs(15));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.map_err(transport)?;
        let status = r.status().as_u16();
        let retry_after = crate::outbox::retry_after(&r);
        let text = r.text().await.map_err(transport)?;
        if !(200..300).contains(&status) {
            return Err(HubspotError::Status {
                status,
                retry_after,
                body: text.chars().take(300).collect(),
            });
        }
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).map_err(|e| HubspotError::Decode(e.to_string()))
    }

    /// The first object whose property equals the value (`filter`: property, value).
    pub async fn search(&self, t: ObjectType, filter: (&str, &str)) -> Result<Option<String>, HubspotError> {
        let (property, value) = filter;
        let body = json!({
            "filterGroups": [{ "filters": [{ "propertyName": property, "operator": "EQ", "value": value }] }],
            "properties": [property],
            "limit": 1,
        });
        let v = self
            .send(
                reqwest::Method::POST,
                &format!("/crm/v3/objects/{}/search", self.path_type(t)),
                Some(body),
            )
            .await?;
        Ok(v["results"]
            .as_array()
            .and_then(|r| r.first())
            .and_then(|o| id_of(&o["id"])))
    }

    pub async fn create(&self, t: ObjectType, props: &Properties) -> Result<String, HubspotError> {
        let v = self
            .send(
                reqwest::Method::POST,
                &format!("/crm/v3/objects/{}", self.path_type(t)),
                Some(json!({ "properties": props })),
            )
            .await?;
        id_of(&v["id"]).ok_or_else(|| HubspotError::Decode("a created object without an id".into()))
    }

    pub async fn update(&self, t: ObjectType, id: &str, props: &Properties) -> Result<(), HubspotError> {
        self.send(
            reqwest::Method::PATCH,
            &format!("/crm/v3/objects/{}/{}", self.path_type(t), segment(id)),
            Some(json!({ "properties": props })),
        )
        .await
        .map(|_| ())
    }

    pub async fn associate(
        &self,
        from: (ObjectType, &str),
        to: (ObjectType, &str),
    ) -> Result<(), HubspotError> {
        let path = format!(
            "/crm/v4/objects/{}/{}/associations/default/{}/{}",
            self.path_type(from.0),
            segment(from.1),
            self.path_type(to.0),
            segment(to.1)
        );
        self.send(reqwest::Method::PUT, &path, None).await.map(|_| ())
    }
}

/// HubSpot ids are numeric strings; some answers carry them as numbers.
fn id_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn segment(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
