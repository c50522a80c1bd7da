//! The error every B2B service returns; `http::AppError` converts it for handlers.

use crate::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum B2bError {
    #[error("{0}")]
    NotFound(String),
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    /// The request conflicts with the current state (a full contract, a redeemed code).
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Forbidden(String),
    /// The B2B enroll flow's refusals (`b2b-error-…`), answered as a 400 with the result code.
    #[error("{result}")]
    Enroll {
        result: &'static str,
        price: Option<rust_decimal::Decimal>,
    },
    #[error(transparent)]
    Commerce(#[from] crate::commerce::CommerceError),
    #[error(transparent)]
    Db(#[from] DbError),
}

crate::db::error_from!(rusqlite::Error => B2bError::Db);

impl B2bError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> B2bError {
        B2bError::Invalid {
            field,
            message: message.into(),
        }
    }
}
