//! The server's parsers that the fuzz targets exercise, compiled from the server's own source
//! files (each a leaf module: std and a few small crates), in the same module layout so their
//! `super::`/`crate::` paths resolve as they do in the server.

pub mod backup;
pub mod cybersource;
pub mod http;
pub mod users;
