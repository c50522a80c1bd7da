//! Black-box integration tests: one binary, each test spawns the app on 127.0.0.1:0 with a
//! temporary database and drives it over HTTP. Test names are sentences.

mod support;

mod backup;
mod backup_crash;
mod backup_levels;
mod backup_s3;
mod foundation;
mod foundation_crash;
mod foundation_outbox;
