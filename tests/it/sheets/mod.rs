//! Google Sheets refunds and deferrals against an in-process fake Google ([`fake`]): the
//! `process-google-sheets-requests` job ([`requests`], [`failures`]), the sandbox spreadsheet staff edit
//! ([`sandbox`]), and the enrollment deferral service behind the deferral rows, as staff and
//! the CLI use it ([`deferrals`]), and B2B code contracts' enrollment-code sheets ([`b2b_codes`]).

mod b2b_codes;
mod deferrals;
mod failures;
pub mod fake;
pub mod requests;
mod sandbox;
