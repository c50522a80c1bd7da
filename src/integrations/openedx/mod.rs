//! The Open edX integration layer: everything about talking to Open edX, so enrollment code
//! only enqueues messages and reads results.
//!
//! - [`client::OpenEdxClient`]: every call the original makes, typed, with [`client::EdxError`]
//!   classified like the original (5xx/timeouts/connection errors/429 transient, other 4xx
//!   permanent) and mapped to outbox outcomes.
//! - [`service::OpenEdx`]: account creation with the original's username rules and collision
//!   handling, per-user token refresh, check-then-act enroll/unenroll.
//! - [`messages`]: the `openedx` outbox destination — payloads, `enqueue_*` functions that take
//!   the caller's `&Connection`, and the deliverer.
//! - [`sandbox`]: a built-in Open edX (the default when `MITXONLINE_OPENEDX_API_BASE_URL` is
//!   unset), reached in-process through the same client, with staff-settable grades.
//! - [`jobs`]: the repair job and the course-run sync / grade pull the catalog and enrollment
//!   modules schedule through [`jobs::CourseRunCatalog`] and [`jobs::GradeSink`].
//!
//! Per-user tokens: the token exchange, refresh (`invalid_grant` clears and redoes the flow)
//! and storage in `openedx_api_auth` are here. The first step on a real edX — a session for
//! the learner on *our* OAuth2 provider, `GET <edx>/auth/login/ol-oauth2/?auth_entry=login`,
//! then `GET <edx>/oauth2/authorize?...` to obtain a code — is `crate::oauth2::edx::EdxBrowser`
//! (the sandbox keeps `OpenEdxClient::sandbox_authorize`); the access token edX registers
//! with comes from `crate::oauth2::edx::login_token_issuer`.
//!
//! Owns `openedx_users`, `openedx_api_auth`, `openedx_enrollment_sync` and the sandbox's
//! `openedx_sandbox_*` tables. Reads from others: accounts through `users::store` (the repair
//! job's [`store::faulty_user_ids`] joins `users` in one statement), our OAuth2 provider's edX
//! login through `oauth2::edx`. The [`client`] knows no web layer and no domain module; the
//! sandbox's web face is [`sandbox`] and the staff/JSON faces are [`api`] and [`pages`].

pub mod api;
pub mod client;
pub mod jobs;
pub mod learner;
pub mod messages;
pub mod model;
mod pages;
mod registration;
pub mod sandbox;
pub mod service;
pub mod store;
pub mod transport;
pub mod username;

use std::sync::Arc;

use axum::Router;

use crate::state::AppState;

pub use client::{EdxError, OpenEdxClient};
pub use messages::DESTINATION;
pub use service::OpenEdx;

/// Staff routes of this layer.
pub fn routes() -> Router<AppState> {
    api::routes().merge(pages::routes())
}

/// Registers the `openedx` deliverer and the repair job.
pub fn register(state: &AppState) {
    let edx = OpenEdx::from_state(state);
    state.outbox.register(
        DESTINATION,
        Arc::new(messages::OpenEdxDeliverer {
            edx,
            db: state.db.clone(),
            clock: state.clock.clone(),
        }),
    );
    for job in jobs::job_defs() {
        state.jobs.add(job);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::config::Config;

    use crate::config::tests::vars;

    #[test]
    fn open_edx_settings_default_like_the_original_and_never_print_secrets() {
        let c = Config::from_vars(&vars(&[
            ("MITXONLINE_OPENEDX_API_BASE_URL", "https://courses.example.edu"),
            (
                "MITXONLINE_OPENEDX_REGISTRATION_ACCESS_TOKEN",
                "very-secret-registration",
            ),
            ("MITXONLINE_OPENEDX_SERVICE_TOKEN", "very-secret-service"),
        ]))
        .unwrap();
        let o = c.openedx.as_ref().unwrap();
        assert_eq!(o.timeout, Duration::from_secs(25));
        assert_eq!(o.course_base_url.as_str(), "https://courses.example.edu/");
        let text = c.redacted_lines().join("\n");
        assert!(!text.contains("very-secret"));
        assert!(text.contains("MITXONLINE_OPENEDX_REGISTRATION_ACCESS_TOKEN=********"));
        let bad = Config::from_vars(&vars(&[
            ("MITXONLINE_OPENEDX_API_BASE_URL", "https://courses.example.edu"),
            ("MITXONLINE_OPENEDX_TIMEOUT", "soon"),
        ]))
        .unwrap_err();
        assert_eq!(bad.0[0].variable, "MITXONLINE_OPENEDX_TIMEOUT");
    }
}
