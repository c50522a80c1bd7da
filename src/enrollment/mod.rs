//! Enrollments: learners' course-run and program enrollments (one row per pair, reused across
//! unenroll/re-enroll and mode changes, with `change_status` and an audit row for every
//! change), paid runs/programs, grades pulled from Open edX, the original's enrollment APIs,
//! the product-page enroll form and the learner dashboard. Every edX push goes through the
//! outbox in the same transaction as the local change.

pub mod model;
pub mod service;
pub mod store;

pub use model::{Actor, ChangeStatus, Checks, EnrollError, Enrollment, Mode, ProgramEnrollment};
