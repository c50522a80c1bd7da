//! The error every ecommerce service returns; `http::AppError` converts it for handlers.

use crate::db::DbError;

/// Why a commerce request cannot be done; each maps to one HTTP answer.
#[derive(Debug, thiserror::Error)]
pub enum CommerceError {
    #[error("{0}")]
    NotFound(String),
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    /// The v0 checkout error codes (`enroll-blocked`, `discount-invalid`, `basket-empty`, …).
    #[error("checkout refused: {0}")]
    Checkout(&'static str),
    /// The change would break something recorded (a 409 naming it).
    #[error("{0}")]
    Conflict(String),
    /// No basket (the legacy API's 406).
    #[error("No basket")]
    NoBasket,
    #[error(transparent)]
    Db(#[from] DbError),
}

crate::db::error_from!(rusqlite::Error => CommerceError::Db);
