//! The original's API contract (its OpenAPI document, which MIT Learn's generated client is
//! built from) against this server.

mod coverage;
mod own_schema;
mod shapes;

/// The validator lives with the harness (`support::openapi`), which checks every answer with it.
pub use crate::support::openapi::schema;
