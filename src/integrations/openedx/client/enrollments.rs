//! Enrollments (create/change with `force_enrollment`, deactivate, list, a learner's own) and
//! course email settings.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Auth, EdxError, MAX_PAGES, OpenEdxClient, cursor_of, ok};
use crate::integrations::openedx::model::{EdxEnrollment, EnrollmentMode, EnrollmentPage};
use crate::integrations::openedx::transport::{Body, encode_pairs};

impl OpenEdxClient {
    fn enrollment_path() -> String {
        "/api/enrollment/v1/enrollment".into()
    }

    /// Creates or changes an enrollment, always with `force_enrollment` like the original.
    pub async fn enroll(
        &self,
        edx_username: &str,
        course_id: &str,
        mode: EnrollmentMode,
    ) -> Result<EdxEnrollment, EdxError> {
        let body = json!({
            "mode": mode.as_str(),
            "course_details": { "course_id": course_id },
            "user": edx_username,
            "force_enrollment": true,
        });
        self.post_enrollment(body).await
    }

    /// Deactivates an enrollment (same endpoint, `is_active: false`, no mode).
    pub async fn deactivate(&self, edx_username: &str, course_id: &str) -> Result<EdxEnrollment, EdxError> {
        let body = json!({
            "course_details": { "course_id": course_id },
            "is_active": false,
            "user": edx_username,
        });
        self.post_enrollment(body).await
    }

    /// `POST /api/enrollment/v1/enrollment` as the service worker.
    async fn post_enrollment(&self, body: serde_json::Value) -> Result<EdxEnrollment, EdxError> {
        let path = Self::enrollment_path();
        self.json(Method::POST, path, Auth::Service, Body::Json(body))
            .await
    }

    /// Every enrollment matching the filters, following the cursor pagination.
    pub async fn list_enrollments(
        &self,
        course_id: Option<&str>,
        usernames: &[&str],
    ) -> Result<Vec<EdxEnrollment>, EdxError> {
        let mut params: Vec<(String, String)> = Vec::new();
        if let Some(c) = course_id {
            params.push(("course_id".into(), c.into()));
        }
        if !usernames.is_empty() {
            params.push(("username".into(), usernames.join(",")));
        }
        let mut out = Vec::new();
        for _ in 0..MAX_PAGES {
            let q = encode_pairs(&params);
            let path = if q.is_empty() {
                "/api/enrollment/v1/enrollments".to_owned()
            } else {
                format!("/api/enrollment/v1/enrollments?{q}")
            };
            let page: EnrollmentPage = self.json(Method::GET, path, Auth::Service, Body::None).await?;
            out.extend(page.results);
            match page.next.as_deref().and_then(cursor_of) {
                Some(c) => {
                    params.retain(|(k, _)| k != "cursor");
                    params.push(("cursor".into(), c));
                }
                None => return Ok(out),
            }
        }
        Err(EdxError::Decode("enrollment listing never ended".into()))
    }

    /// The learner's own enrollments (learner token).
    pub async fn own_enrollments(&self, user_token: &str) -> Result<Vec<EdxEnrollment>, EdxError> {
        self.json(
            Method::GET,
            Self::enrollment_path(),
            Auth::User(user_token.into()),
            Body::None,
        )
        .await
    }

    /// `POST /api/change_email_settings` with the learner's token; `receive_emails: "on"` to
    /// subscribe, omitted to unsubscribe. Returns edX's `success`.
    pub async fn email_settings(
        &self,
        user_token: &str,
        course_id: &str,
        subscribe: bool,
    ) -> Result<bool, EdxError> {
        let body = if subscribe {
            json!({ "course_id": course_id, "receive_emails": "on" })
        } else {
            json!({ "course_id": course_id })
        };
        let r = self
            .send(
                Method::POST,
                "/api/change_email_settings".into(),
                Auth::User(user_token.into()),
                Body::Json(body),
                &[],
            )
            .await?;
        let r = ok(r)?;
        Ok(r.json().get("success").and_then(Value::as_bool).unwrap_or(false))
    }
}
