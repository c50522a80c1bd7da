//! How each domain service's error becomes a response. Services know nothing of HTTP; this is
//! the one place that decides the status and message of each of their failures.

use super::AppError;
use crate::catalog::service::CatalogError;
use crate::cms::service::CmsError;

impl From<CatalogError> for AppError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::Invalid { field, message } => AppError::field(&field, message),
            CatalogError::InvalidPage => AppError::NotFound("Invalid page.".into()),
        }
    }
}

impl From<CmsError> for AppError {
    fn from(e: CmsError) -> Self {
        match e {
            CmsError::Invalid(field, msg) => AppError::field(field, msg),
            CmsError::NotFound => AppError::not_found(),
            CmsError::Db(e) => e.into(),
        }
    }
}
