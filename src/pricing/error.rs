//! The error every flexible-pricing service returns; `http::AppError` converts it.

use crate::db::DbError;
use crate::pricing::model::FieldProblem;

/// Why a flexible-pricing request cannot be done; `http::AppError` converts it.
#[derive(Debug, thiserror::Error)]
pub enum PricingError {
    #[error("{0}")]
    NotFound(String),
    #[error("invalid input")]
    Invalid(Vec<FieldProblem>),
    /// A request already exists and was not reset.
    #[error("{0}")]
    AlreadyExists(String),
    /// No `$0` tier for the courseware: staff must configure tiers first.
    #[error("{0}")]
    NotConfigured(String),
    /// Open Exchange Rates (or the sandbox) did not answer usefully.
    #[error("{0}")]
    Upstream(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

crate::db::error_from!(rusqlite::Error => PricingError::Db);

impl PricingError {
    pub fn field(field: &'static str, message: impl Into<String>) -> Self {
        PricingError::Invalid(vec![FieldProblem {
            field,
            message: message.into(),
        }])
    }
}
