//! Operations area: health, metrics, errors, limits, jobs, the outbox and the staff console; the
//! real binary under kill -9.

mod crash;
mod foundation;
mod outbox;
mod staff_console;
