//! The original's API contract (its OpenAPI document, which MIT Learn's generated client is
//! built from) against this server.

mod coverage;
mod schema;
mod shapes;
