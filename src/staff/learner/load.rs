//! Everything the learner page shows, read through each owning module.

use crate::audit::search::{self as audit, Entry};
use crate::certificates::Certificate;
use crate::commerce::orders::service::{self as orders, Found};
use crate::commerce::refunds::service::RefundRow;
use crate::enrollment::model::ProgramEnrollment;
use crate::enrollment::queries;
use crate::enrollment::transfer::{self, StaffRow};
use crate::http::AppError;
use crate::integrations::openedx::learner::{self as edx, LearnerSync};
use crate::state::AppState;
use crate::users::model::LegalAddress;
use crate::users::sessions::SessionRow;
use crate::users::staff_service as users;
use crate::users::store::User;

/// How many audit entries the page shows (the audit viewer pages through the rest).
const AUDIT_ROWS: i64 = 100;

pub struct Learner {
    pub user: User,
    pub address: Option<LegalAddress>,
    pub enrollments: Vec<StaffRow>,
    /// `(enrollment, paid, certificate)`.
    pub programs: Vec<(ProgramEnrollment, bool, Option<Certificate>)>,
    pub orders: Vec<(Found, Vec<RefundRow>)>,
    pub edx: LearnerSync,
    pub sessions: Vec<SessionRow>,
    pub audit: Vec<Entry>,
}

pub async fn learner(state: &AppState, id: i64) -> Result<Learner, AppError> {
    let (user, address) = users::with_address(state, id).await?;
    let enrollments = transfer::of_learner(state, id).await?;
    let programs = queries::programs_with_payment(state, id).await?;
    let orders = orders::of_purchaser(state, id).await?;
    let sessions = users::live_sessions(state, id).await?;
    let mut objects: Vec<(&str, String)> = Vec::new();
    objects.extend(
        enrollments
            .iter()
            .map(|e| ("course_run_enrollment", e.enrollment.id.to_string())),
    );
    objects.extend(
        programs
            .iter()
            .map(|p| ("program_enrollment", p.0.id.to_string())),
    );
    objects.extend(orders.iter().map(|o| ("order", o.0.id.to_string())));
    let objects: Vec<(&'static str, String)> = objects;
    let (edx, audit) = state
        .db
        .read(move |c| {
            let edx = edx::learner_sync(c, id)?;
            let audit = audit::about_user(c, id, &objects, AUDIT_ROWS)?;
            Ok::<_, rusqlite::Error>((edx, audit))
        })
        .await?;
    Ok(Learner {
        user,
        address,
        enrollments,
        programs,
        orders,
        edx,
        sessions,
        audit,
    })
}
