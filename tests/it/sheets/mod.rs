//! Google Sheets refunds and deferrals against an in-process fake Google ([`fake`]): the
//! `process-google-sheets-requests` job ([`requests`]), the sandbox spreadsheet staff edit
//! ([`sandbox`]), and the enrollment deferral service behind the deferral rows, as staff and
//! the CLI use it ([`deferrals`]).

mod deferrals;
pub mod fake;
mod requests;
mod sandbox;
