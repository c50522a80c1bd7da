//! Black-box integration tests: one binary, each test spawns the app on 127.0.0.1:0 with a
//! temporary database and drives it over HTTP. Test names are sentences.
//!
//! One folder per area (`catalog/`, `identity/`, `commerce/`, `enrollment/`, `backup/`, `ops/`);
//! the harness and the builders shared across areas live in `support/`.

mod support;

mod b2b;
mod backup;
mod catalog;
mod certificates;
mod commerce;
mod contract;
mod deploy;
mod enrollment;
mod hubspot;
mod identity;
mod ops;
mod pricing;
mod security;
mod sheets;
