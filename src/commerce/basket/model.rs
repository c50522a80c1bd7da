//! Basket types: whose basket it is, and a sellable product with its current price version.

use crate::commerce::orders::model::{COURSE_RUN_CONTENT_TYPE_ID, PROGRAM_CONTENT_TYPE_ID};
use rust_decimal::Decimal;
use serde::Serialize;
/// Whose basket: a signed-in user's, or an anonymous visitor's (cookie value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    User(i64),
    Anonymous(String),
}

/// A sellable product with its current (latest) version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductRow {
    pub id: i64,
    pub version_id: i64,
    pub price: Decimal,
    pub description: String,
    pub is_active: bool,
    pub course_run_id: Option<i64>,
    pub program_id: Option<i64>,
    /// Course run: its courseware id; program: its readable id.
    pub readable_id: String,
    /// Course run: course title; program: program title.
    pub title: String,
    pub run_title: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub enrollment_end: Option<String>,
    pub upgrade_deadline: Option<String>,
    pub course_id: Option<i64>,
}

impl ProductRow {
    /// `(content type id, object id)` of what the product sells.
    pub fn content(&self) -> (i64, i64) {
        match (self.course_run_id, self.program_id) {
            (Some(run), _) => (COURSE_RUN_CONTENT_TYPE_ID, run),
            (_, Some(p)) => (PROGRAM_CONTENT_TYPE_ID, p),
            _ => (0, 0),
        }
    }
}

/// What a cart link (`/cart/add/?…`) names, validated: a product, or the product of a course
/// run, a course (its current run) or a program. The first one given wins.
#[derive(Debug, Clone, Copy, Default)]
pub struct LinkTarget {
    pub product: Option<i64>,
    pub run: Option<i64>,
    pub course: Option<i64>,
    pub program: Option<i64>,
}
