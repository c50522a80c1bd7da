//! One error type for every handler. Domain errors convert into it; it becomes DRF-style JSON
//! under `/api/` and a page in the site layout elsewhere (see [`render_errors`]). Internal errors
//! are logged exactly once, with the request's id, and never shown to users.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::openapi::ErrorBody;
use crate::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    /// Field name → messages, like DRF's validation errors.
    #[error("invalid input")]
    Invalid(BTreeMap<String, Vec<String>>),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    #[error("too many requests")]
    TooManyRequests { retry_after: Duration },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn not_found() -> Self {
        AppError::NotFound("Not found.".into())
    }

    /// One invalid field.
    pub fn field(name: &str, message: impl Into<String>) -> Self {
        AppError::Invalid(BTreeMap::from([(name.to_owned(), vec![message.into()])]))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) | AppError::Invalid(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

crate::db::error_from!(DbError, rusqlite::Error => AppError::Internal);

/// Marks a response as an error, carrying the user-facing message for HTML rendering.
#[derive(Clone, Debug)]
pub struct ErrorInfo {
    pub message: String,
}

/// The message an error page shows for invalid fields: each field named with its problems,
/// e.g. `Some fields are invalid: reason: Say why.`
fn invalid_message(fields: &BTreeMap<String, Vec<String>>) -> String {
    let named: Vec<String> = fields
        .iter()
        .map(|(name, problems)| format!("{name}: {}", problems.join(" ")))
        .collect();
    format!("Some fields are invalid: {}", named.join("; "))
}

/// The internal error, kept in the response for [`render_errors`] to log once.
#[derive(Clone)]
struct InternalDetail(std::sync::Arc<anyhow::Error>);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = match &self {
            AppError::Invalid(fields) => invalid_message(fields),
            AppError::Internal(_) => "Something went wrong on our side. Please try again.".to_owned(),
            AppError::TooManyRequests { .. } => {
                "Request was throttled. Please wait before trying again.".to_owned()
            }
            other => other.to_string(),
        };
        let body = match &self {
            AppError::Invalid(fields) => ErrorBody::Fields(fields.clone()),
            _ => ErrorBody::Detail {
                detail: message.clone(),
            },
        };
        let mut resp = (status, Json(body)).into_response();
        resp.extensions_mut().insert(ErrorInfo { message });
        if let AppError::TooManyRequests { retry_after } = &self {
            resp.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after.as_secs().max(1)),
            );
        }
        if let AppError::Internal(e) = self {
            resp.extensions_mut()
                .insert(InternalDetail(std::sync::Arc::new(e)));
        }
        resp
    }
}

/// Middleware: logs internal errors once, and gives every error response the right form —
/// DRF-style JSON under `/api/`, an HTML page in the layout elsewhere — including errors that
/// did not come from a handler (unknown routes, 405, 413 from the body limit, 415).
pub async fn render_errors(req: Request, next: Next) -> Response {
    let wants_json = is_api_path(req.uri().path())
        || req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.starts_with("application/json"));
    let prefix = req
        .extensions()
        .get::<crate::http::page::Prefix>()
        .cloned()
        .unwrap_or_default();
    let mut resp = next.run(req).await;
    let status = resp.status();
    if let Some(InternalDetail(e)) = resp.extensions_mut().remove::<InternalDetail>() {
        tracing::error!(error = format!("{e:#}"), "internal error");
    }
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let info = resp.extensions().get::<ErrorInfo>().cloned();
    let retry_after = resp.headers().get(header::RETRY_AFTER).cloned();
    // Cookies set on the way (a session ended, a CSRF cookie) survive the re-rendering.
    let cookies: Vec<HeaderValue> = resp
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .cloned()
        .collect();
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/json"));
    // A page rendered by its handler (a form shown again with its errors) is kept as it is.
    let is_html = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("text/html"));
    let message = match info {
        None if is_html => return resp,
        Some(_) if wants_json && is_json => return resp,
        Some(i) => i.message,
        None if is_json => return resp,
        None => default_message(status, resp).await,
    };
    let mut out = if wants_json {
        (status, Json(ErrorBody::Detail { detail: message })).into_response()
    } else {
        (status, super::layout::error_page(&prefix, status, &message)).into_response()
    };
    for c in cookies {
        out.headers_mut().append(header::SET_COOKIE, c);
    }
    with_retry_after(out, retry_after)
}

fn with_retry_after(mut resp: Response, retry_after: Option<HeaderValue>) -> Response {
    if let Some(v) = retry_after {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

/// A message for responses produced outside handlers, keeping their own text when it is short
/// plain text (axum's rejections name the problem, e.g. which JSON field is wrong).
async fn default_message(status: StatusCode, resp: Response) -> String {
    let is_text = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("text/plain"));
    if is_text && let Ok(bytes) = axum::body::to_bytes(resp.into_body(), 4096).await {
        let text = String::from_utf8_lossy(&bytes).trim().to_owned();
        if !text.is_empty() {
            return text;
        }
    }
    match status {
        StatusCode::NOT_FOUND => "Not found.".into(),
        StatusCode::METHOD_NOT_ALLOWED => "Method not allowed.".into(),
        StatusCode::PAYLOAD_TOO_LARGE => "The request body is larger than this server accepts.".into(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "Unsupported media type.".into(),
        s => s.canonical_reason().unwrap_or("Error").to_owned() + ".",
    }
}

pub fn is_api_path(path: &str) -> bool {
    path.starts_with("/api/") || path == "/api"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_field_message_names_every_field_and_its_problem() {
        let mut fields = BTreeMap::new();
        fields.insert("reason".to_owned(), vec!["Say why.".to_owned()]);
        fields.insert(
            "after".to_owned(),
            vec!["Choose one.".to_owned(), "Really.".to_owned()],
        );
        assert_eq!(
            invalid_message(&fields),
            "Some fields are invalid: after: Choose one. Really.; reason: Say why."
        );
    }

    #[tokio::test]
    async fn internal_errors_show_a_generic_message_and_keep_the_detail_for_the_log() {
        let resp = AppError::Internal(anyhow::anyhow!("secret table xyz is corrupt")).into_response();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(resp.extensions().get::<InternalDetail>().is_some());
        let body = axum::body::to_bytes(resp.into_body(), 4096).await.unwrap();
        let text = String::from_utf8_lossy(&body);
        assert!(!text.contains("xyz"), "{text}");
        assert!(text.contains("Something went wrong"));
    }

    #[tokio::test]
    async fn validation_errors_are_drf_style_field_maps() {
        let resp = AppError::field("name", "Required.").into_response();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        let body = axum::body::to_bytes(resp.into_body(), 4096).await.unwrap();
        assert_eq!(&body[..], br#"{"name":["Required."]}"#);
    }

    #[test]
    fn the_500_page_uses_the_layout_and_says_nothing_internal() {
        let html = crate::http::layout::error_page(
            &crate::http::page::Prefix::default(),
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong on our side. Please try again.",
        )
        .into_string();
        assert!(html.contains("Something went wrong"));
        assert!(html.contains("Skip to main content"));
    }
}
