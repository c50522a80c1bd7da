//! The demo data set loaded by `mitxonline demo` and `serve --demo`: idempotent, so loading it
//! twice changes nothing. Domain modules add their part in [`load`]; the demo learner's
//! profile, enrollments and coupon are in [`crate::demo_learner`].

use std::fmt;

use crate::db::DbError;
use crate::state::AppState;
use crate::users::store::{self as users, NewUser};

/// Demo accounts (local sign-in).
pub const DEMO_STAFF_EMAIL: &str = "staff@example.com";
pub const DEMO_LEARNER_EMAIL: &str = "learner@example.com";
/// The demo accounts' password, printed in the README; demo data is for local use only.
pub const DEMO_PASSWORD: &str = "mitxonline-demo";

#[derive(Debug, Default)]
pub struct DemoReport {
    pub users_created: usize,
    pub catalog: crate::catalog::demo::Loaded,
    pub learner: crate::demo_learner::Added,
    /// Flexible-pricing request forms created (with their tiers).
    pub flexible_pricing_forms: usize,
    /// B2B contracts created (with their organization, program and codes).
    pub b2b_contracts: usize,
}

impl fmt::Display for DemoReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} users created", self.users_created)?;
        let c = &self.catalog;
        write!(
            f,
            "; catalog: {} courses, {} runs, {} programs, {} pages created",
            c.courses, c.runs, c.programs, c.pages
        )?;
        let l = &self.learner;
        write!(
            f,
            "; demo learner: {} enrollments, {} discount codes created",
            l.enrollments, l.discounts
        )?;
        write!(
            f,
            "; flexible pricing: {} request forms; {} B2B contracts created",
            self.flexible_pricing_forms, self.b2b_contracts
        )
    }
}

pub async fn load(state: &AppState) -> anyhow::Result<DemoReport> {
    let mut report = DemoReport::default();
    let hash = tokio::task::spawn_blocking(|| crate::users::password::hash(DEMO_PASSWORD)).await??;
    let now = state.clock.now();
    report.users_created = state
        .db
        .write(move |c| {
            let mut created = 0;
            for (email, name, staff) in [
                (DEMO_STAFF_EMAIL, "Demo Staff", true),
                (DEMO_LEARNER_EMAIL, "Demo Learner", false),
            ] {
                if users::find_by_email(c, email)?.is_none() {
                    let username = users::free_username(c, email)?;
                    users::insert(
                        c,
                        &NewUser {
                            email: email.into(),
                            username,
                            name: name.into(),
                            is_staff: staff,
                            is_superuser: staff,
                            password_hash: Some(hash.clone()),
                        },
                        now,
                    )?;
                    created += 1;
                }
            }
            Ok::<_, DbError>(created)
        })
        .await?;
    report.catalog = state
        .db
        .write(move |c| crate::catalog::demo::load(c, now))
        .await?;
    report.flexible_pricing_forms = state
        .db
        .write(move |c| crate::pricing::demo::load(c, now))
        .await?;
    report.learner = state
        .db
        .write(move |c| {
            let learner = users::find_by_email(c, DEMO_LEARNER_EMAIL)?
                .ok_or_else(|| anyhow::anyhow!("the demo learner is missing"))?;
            crate::demo_learner::load(c, learner.id, now)
        })
        .await?;
    let sandbox_edx = state.config.openedx_sandbox();
    report.b2b_contracts = state
        .db
        .write(move |c| crate::b2b::demo::load(c, now, sandbox_edx))
        .await?;
    state.outbox.wake();
    Ok(report)
}
