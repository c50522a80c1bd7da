//! Operations area: health, metrics, errors, limits, jobs, the outbox and the staff console; the
//! real binary under kill -9; the harness's own drop check.

mod audit_viewer;
mod bench_seed;
mod check;
mod crash;
mod drop_check;
mod flows;
mod foundation;
mod learner_page;
mod operator_walk;
mod outbox;
mod staff_console;
