//! Enrollment types: modes, change statuses, the enrollment rows and the errors of the
//! enrollment rules.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::db::DbError;
pub use crate::integrations::openedx::model::EnrollmentMode as Mode;

/// Why an enrollment is no longer active (the original's `change_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeStatus {
    Deferred,
    Transferred,
    Refunded,
    Unenrolled,
}

impl ChangeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeStatus::Deferred => "deferred",
            ChangeStatus::Transferred => "transferred",
            ChangeStatus::Refunded => "refunded",
            ChangeStatus::Unenrolled => "unenrolled",
        }
    }
}

impl FromStr for ChangeStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "deferred" => Ok(ChangeStatus::Deferred),
            "transferred" => Ok(ChangeStatus::Transferred),
            "refunded" => Ok(ChangeStatus::Refunded),
            "unenrolled" => Ok(ChangeStatus::Unenrolled),
            _ => Err(format!("`{s}` is not a change status")),
        }
    }
}

/// One learner's enrollment in one course run (one row per pair, reused).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Enrollment {
    pub id: i64,
    pub user_id: i64,
    pub run_id: i64,
    pub active: bool,
    pub change_status: Option<ChangeStatus>,
    pub mode: Mode,
    pub edx_emails_subscription: bool,
    pub version: i64,
    pub created_on: DateTime<Utc>,
    pub updated_on: DateTime<Utc>,
}

impl Enrollment {
    /// What the audit trail stores before/after a change.
    pub fn audit_json(&self) -> serde_json::Value {
        serde_json::json!({
            "user_id": self.user_id,
            "run_id": self.run_id,
            "active": self.active,
            "change_status": self.change_status.map(ChangeStatus::as_str),
            "enrollment_mode": self.mode.as_str(),
            "edx_emails_subscription": self.edx_emails_subscription,
        })
    }
}

/// One learner's enrollment in one program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProgramEnrollment {
    pub id: i64,
    pub user_id: i64,
    pub program_id: i64,
    pub active: bool,
    pub change_status: Option<ChangeStatus>,
    pub mode: Mode,
    pub created_on: DateTime<Utc>,
    pub updated_on: DateTime<Utc>,
}

impl ProgramEnrollment {
    pub fn audit_json(&self) -> serde_json::Value {
        serde_json::json!({
            "user_id": self.user_id,
            "program_id": self.program_id,
            "active": self.active,
            "change_status": self.change_status.map(ChangeStatus::as_str),
            "enrollment_mode": self.mode.as_str(),
        })
    }
}

/// Which rules an enrollment request is held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checks {
    /// The run must be enrollable (unless the learner is already actively enrolled).
    pub enrollable: bool,
    /// Refuse runs that belong to a B2B contract (public endpoints).
    pub refuse_b2b: bool,
    /// Refuse learners whose country is blocked for the course.
    pub blocked_countries: bool,
}

impl Checks {
    /// Public endpoints (v1/v2/v3 POST, the product-page form).
    pub const PUBLIC: Checks = Checks {
        enrollable: true,
        refuse_b2b: true,
        blocked_countries: true,
    };
    /// Trusted callers (order fulfilment, staff, edX webhooks): no rule checks.
    pub const NONE: Checks = Checks {
        enrollable: false,
        refuse_b2b: false,
        blocked_countries: false,
    };
}

/// Who made a change (the audit trail's actor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub label: String,
}

impl Actor {
    pub fn user(id: i64) -> Actor {
        Actor {
            user_id: Some(id),
            label: String::new(),
        }
    }
    pub fn system(label: &str) -> Actor {
        Actor {
            user_id: None,
            label: label.to_owned(),
        }
    }
    /// A staff caller: the signed-in staff member when there is one, else the caller's label
    /// (a staff API key).
    pub fn staff(user_id: Option<i64>, label: &str) -> Actor {
        match user_id {
            Some(id) => Actor::user(id),
            None => Actor::system(label),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EnrollError {
    #[error("course run not found")]
    RunNotFound,
    #[error("program not found")]
    ProgramNotFound,
    #[error("enrollment not found")]
    EnrollmentNotFound,
    #[error("The course run is not open for enrollment.")]
    NotEnrollable,
    #[error("This course run is only available through an organization.")]
    B2bRun,
    #[error("Enrollment in this course is not available in your country.")]
    BlockedCountry,
    #[error("Cannot unenroll from a purchased program, contact support.")]
    PaidProgram,
    #[error(transparent)]
    Db(#[from] DbError),
}

crate::db::error_from!(rusqlite::Error => EnrollError::Db(DbError::Sqlite));
