//! The live data-flow map at `/staff/flows/`: every flow between this appliance and a partner
//! (Open edX pushes and pulls, certificates, HubSpot, Keycloak, CyberSource results and their
//! reconciliation, mail, verifiable credentials, MIT Learn's catalog pulls, backups) as an
//! arrow drawn server-side in SVG, coloured by health, with its last success, lag, backlog,
//! dead letters and error rate over 24 hours. The same figures are on `/metrics`
//! (`mitxonline_flow_*`) and in `/health/full/` (`flows`).
//!
//! Owns no tables: outbox rows, job runs, API-key use and payment results are read through
//! `outbox`, `jobs`, `users::api_keys` and `commerce::orders::integrity`; the backup's state
//! through its health contributor.

pub mod model;
pub mod pages;
pub mod service;
mod svg;
