//! `src/http/`: the CSRF token in a form body.

#[path = "../../src/http/form_token.rs"]
pub mod form_token;
