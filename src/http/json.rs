//! A JSON body extractor whose rejections are 400s naming the problem (field, line, column).

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use super::error::AppError;

/// Like `axum::Json`, but bad input becomes an [`AppError`] with a clear message.
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(match rejection {
                JsonRejection::JsonDataError(e) => {
                    AppError::BadRequest(format!("Invalid JSON body: {}", e.body_text()))
                }
                JsonRejection::JsonSyntaxError(e) => {
                    AppError::BadRequest(format!("Malformed JSON: {}", e.body_text()))
                }
                JsonRejection::MissingJsonContentType(_) => {
                    AppError::BadRequest("Expected a request with `Content-Type: application/json`.".into())
                }
                other => AppError::BadRequest(other.body_text()),
            }),
        }
    }
}
