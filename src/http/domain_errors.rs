//! How each domain service's error becomes a response. Services know nothing of HTTP; this is
//! the one place that decides the status and message of each of their failures.

use super::AppError;
use crate::catalog::service::CatalogError;
use crate::cms::service::CmsError;
use crate::commerce::CommerceError;
use crate::enrollment::EnrollError;
use crate::enrollment::deferral::DeferralError;
use crate::enrollment::transfer::TransferError;
use crate::jobs::JobError;

impl From<CatalogError> for AppError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::Invalid { field, message } => AppError::field(&field, message),
            CatalogError::InvalidPage => AppError::NotFound("Invalid page.".into()),
        }
    }
}

impl From<crate::catalog::program_admin::service::ProgramAdminError> for AppError {
    fn from(e: crate::catalog::program_admin::service::ProgramAdminError) -> Self {
        use crate::catalog::program_admin::service::ProgramAdminError as E;
        match e {
            E::NotFound(m) => AppError::NotFound(m),
            E::Invalid { field, message } => AppError::field(field, message),
            e @ E::Tree(_) => AppError::BadRequest(e.to_string()),
            E::Db(e) => e.into(),
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
            CommerceError::Conflict(m) => AppError::Conflict(m),
            CommerceError::Db(e) => AppError::from(e),
        }
    }
}

impl From<crate::catalog::products::ProductError> for AppError {
    fn from(e: crate::catalog::products::ProductError) -> Self {
        use crate::catalog::products::ProductError;
        match e {
            ProductError::NotFound(m) => AppError::NotFound(m),
            ProductError::Invalid { field, message } => AppError::field(field, message),
            ProductError::Db(e) => AppError::from(e),
        }
    }
}

impl From<crate::catalog::admin::service::AdminError> for AppError {
    fn from(e: crate::catalog::admin::service::AdminError) -> Self {
        use crate::catalog::admin::service::AdminError;
        match e {
            AdminError::NotFound(m) => AppError::NotFound(m),
            AdminError::Invalid { field, message } => AppError::field(field, message),
            AdminError::Edx(m) => AppError::Internal(anyhow::anyhow!("Open edX: {m}")),
            AdminError::Db(e) => AppError::from(e),
        }
    }
}

impl From<crate::pricing::service::PricingError> for AppError {
    fn from(e: crate::pricing::service::PricingError) -> Self {
        use crate::pricing::service::PricingError;
        match e {
            PricingError::NotFound(m) => AppError::NotFound(m),
            PricingError::Invalid(problems) => {
                let mut fields = std::collections::BTreeMap::<String, Vec<String>>::new();
                for p in problems {
                    fields.entry(p.field.to_owned()).or_default().push(p.message);
                }
                AppError::Invalid(fields)
            }
            PricingError::AlreadyExists(m) | PricingError::NotConfigured(m) => AppError::BadRequest(m),
            PricingError::Upstream(m) => AppError::Internal(anyhow::anyhow!(m)),
            PricingError::Db(e) => AppError::from(e),
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

impl From<EnrollError> for AppError {
    fn from(e: EnrollError) -> Self {
        match e {
            EnrollError::RunNotFound => AppError::field("run_id", "Invalid course run id."),
            EnrollError::ProgramNotFound => AppError::NotFound("No Program matches the given query.".into()),
            EnrollError::EnrollmentNotFound => AppError::not_found(),
            EnrollError::NotEnrollable | EnrollError::B2bRun | EnrollError::BlockedCountry => {
                AppError::field("run_id", e.to_string())
            }
            EnrollError::PaidProgram => AppError::BadRequest(e.to_string()),
            EnrollError::Db(d) => AppError::Internal(d.into()),
        }
    }
}

impl From<JobError> for AppError {
    fn from(e: JobError) -> Self {
        match e {
            JobError::Unknown(_) => AppError::NotFound(e.to_string()),
            JobError::Db(d) => d.into(),
        }
    }
}

impl From<crate::certificates::CertificateError> for AppError {
    fn from(e: crate::certificates::CertificateError) -> Self {
        use crate::certificates::CertificateError;
        match e {
            CertificateError::NotFound => AppError::not_found(),
            CertificateError::Invalid { field, message } => AppError::field(field, message),
            CertificateError::Db(e) => e.into(),
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

impl From<DeferralError> for AppError {
    fn from(e: DeferralError) -> Self {
        match e {
            DeferralError::Enroll(e) => e.into(),
            other => AppError::BadRequest(other.to_string()),
        }
    }
}

impl From<TransferError> for AppError {
    fn from(e: TransferError) -> Self {
        match e {
            TransferError::Enroll(e) => e.into(),
            other => AppError::BadRequest(other.to_string()),
        }
    }
}
