//! Refund types: what happens to the enrollments after a refund, and why a refund failed.

use crate::commerce::error::CommerceError;
use crate::integrations::cybersource::RestError;

pub const SUPPORT_EMAIL: &str = "mitxonline-support@mit.edu";

/// What to do with the learner's enrollments after a refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterRefund {
    /// Keep the enrollment, as audit (what the original's "unenroll" option really does).
    Downgrade,
    /// Deactivate the enrollment with status `refunded`.
    Unenroll,
}

impl AfterRefund {
    /// `Unenroll` when the staff member asked for it, else `Downgrade`.
    pub fn from_unenroll(unenroll: bool) -> AfterRefund {
        if unenroll {
            AfterRefund::Unenroll
        } else {
            AfterRefund::Downgrade
        }
    }
}

/// Why a refund did not happen.
#[derive(Debug, thiserror::Error)]
pub enum RefundError {
    #[error("Only a fulfilled order can be refunded (this one is {0}).")]
    NotFulfilled(&'static str),
    #[error("No such order.")]
    NoOrder,
    #[error("The gateway refused the refund: {0}")]
    Gateway(#[from] RestError),
    #[error("The gateway did not accept the refund (decision {0}).")]
    NotAccepted(&'static str),
    #[error(
        "CyberSource's answer is unknown ({cause}); refund {refund} stays pending with its amount reserved until staff settle it"
    )]
    Unknown { refund: i64, cause: String },
    #[error(transparent)]
    Commerce(#[from] CommerceError),
}

crate::db::error_from!(crate::db::DbError, rusqlite::Error => RefundError::Commerce);

/// A learner's refund request as posted (`RefundRequestSerializer`).
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct NewRefundRequest {
    pub order: i64,
    pub refund_reason: String,
    #[serde(default)]
    pub refund_reason_text: String,
    #[serde(default)]
    pub consent_given: bool,
}
