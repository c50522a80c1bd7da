//! What the users services can get wrong, without HTTP: `http::AppError` turns each variant
//! into the response the handlers gave before (400 with the DRF field map, 404, 500).

use super::model::FieldErrors;
use crate::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    /// Field name → messages, like DRF's validation errors.
    #[error("invalid input")]
    Invalid(FieldErrors),
    #[error("Not found.")]
    NotFound,
    /// A rate limit is reached; try again after this long.
    #[error("too many requests")]
    Throttled { retry_after: std::time::Duration },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl UserError {
    /// One invalid field.
    pub fn field(name: &str, message: impl Into<String>) -> Self {
        UserError::Invalid(FieldErrors::from([(name.to_owned(), vec![message.into()])]))
    }
}

crate::db::error_from!(DbError, rusqlite::Error => UserError::Internal);

impl From<crate::throttle::Limited> for UserError {
    fn from(l: crate::throttle::Limited) -> Self {
        UserError::Throttled {
            retry_after: l.retry_after,
        }
    }
}
