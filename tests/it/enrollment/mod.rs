//! Enrollment area: course and program enrollments, the Open edX client, outbox and sandbox, the
//! verified-program flow and the demo learner.

mod bulk_import;
mod crash;
mod dashboard;
mod demo_learner;
mod enroll;
mod jobs;
mod learner_browser;
mod openedx;
mod openedx_outbox;
mod openedx_outline;
mod openedx_sandbox;
mod openedx_sandbox_sync;
mod pages;
mod program_flow;
mod program_flow_receipts;
mod program_flow_refusals;
mod programs;
mod sandbox_faults;
mod v3_list;
