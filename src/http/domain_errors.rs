//! How each domain service's error becomes a response. Services know nothing of HTTP; this is
//! the one place that decides the status and message of each of their failures.

use super::AppError;
use crate::catalog::service::CatalogError;
use crate::cms::service::CmsError;
use crate::commerce::CommerceError;

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

impl From<CommerceError> for AppError {
    fn from(e: CommerceError) -> Self {
        match e {
            CommerceError::NotFound(m) => AppError::NotFound(m),
            CommerceError::Invalid { field, message } => AppError::field(field, message),
            CommerceError::Checkout(code) => AppError::BadRequest(code.into()),
            CommerceError::NoBasket => AppError::BadRequest("No basket".into()),
            CommerceError::Db(e) => AppError::from(e),
        }
    }
}

impl From<crate::users::UserError> for AppError {
    fn from(e: crate::users::UserError) -> Self {
        use crate::users::UserError;
        match e {
            UserError::Invalid(fields) => AppError::Invalid(fields),
            UserError::NotFound => AppError::not_found(),
            UserError::Throttled { retry_after } => AppError::TooManyRequests { retry_after },
            UserError::Internal(e) => AppError::Internal(e),
        }
    }
}

impl From<crate::throttle::Limited> for AppError {
    fn from(l: crate::throttle::Limited) -> Self {
        AppError::TooManyRequests {
            retry_after: l.retry_after,
        }
    }
}

impl From<crate::b2b::B2bError> for AppError {
    fn from(e: crate::b2b::B2bError) -> Self {
        use crate::b2b::B2bError;
        match e {
            B2bError::NotFound(m) => AppError::NotFound(m),
            B2bError::Invalid { field, message } => AppError::field(field, message),
            B2bError::Conflict(m) => AppError::Conflict(m),
            B2bError::Forbidden(m) => AppError::Forbidden(m),
            B2bError::Enroll { result, .. } => AppError::BadRequest(result.into()),
            B2bError::Commerce(e) => e.into(),
            B2bError::Db(e) => e.into(),
        }
    }
}
