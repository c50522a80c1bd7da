//! MITx Online as one binary on one SQLite file.
//!
//! The crate is organised by domain (catalog, users, enrollment, commerce, …) around a small
//! foundation: [`config`], [`db`] (one writer thread, reader threads, migrations), [`http`]
//! (router, middleware, errors, layout, assets), [`outbox`] (every outbound side effect),
//! [`jobs`] (named scheduled jobs), [`state`] (what every handler and job shares; a leaf) and
//! [`serve`] (start-up and shutdown, the only place that wires everything together). See `DESIGN.md` in the
//! shared folder and the README for the decisions behind it.

pub mod audit;
pub mod b2b;
pub mod backup;
pub mod bench;
pub mod catalog;
pub mod certificates;
pub mod cli;
pub mod clock;
pub mod cms;
pub mod commerce;
pub mod config;
pub mod db;
pub mod demo;
pub mod demo_learner;
pub mod enrollment;
pub mod http;
pub mod integrations;
pub mod jobs;
pub mod mail;
pub mod metrics;
pub mod modules;
pub mod money;
pub mod oauth2;
pub mod outbox;
pub mod pricing;
pub mod serve;
pub mod staff;
pub mod state;
pub mod telemetry;
pub mod throttle;
pub mod users;
