//! What shaping a catalog response needs besides the snapshot: the time, how to build
//! absolute links and, for a signed-in caller, what of the catalog is theirs.

use super::model::Time;

/// What shaping needs besides the catalog: the time, how to build absolute links and, for a
/// signed-in caller, what is theirs.
pub struct Ctx<'a> {
    pub now: Time,
    pub public_url: &'a str,
    pub edx_base: &'a str,
    pub learner: Option<&'a Learner>,
}

/// What a signed-in caller changes in a catalog response (such a response is built for them
/// and never cached): their flexible-price approvals and discounts (from the pricing module)
/// and their active enrollments (from the enrollment module).
#[derive(Debug, Default)]
pub struct Learner {
    /// Courses an approved flexible-price request covers (`approved_flexible_price_exists`).
    pub approved_courses: std::collections::HashSet<i64>,
    /// The caller's flexible-price discount per product (`product_flexible_price`).
    pub product_discounts: std::collections::HashMap<i64, serde_json::Value>,
    /// Active enrollments: run id → whether verified (`relevant_to`'s `is_enrolled` /
    /// `is_verified`).
    pub enrolled: std::collections::HashMap<i64, bool>,
}

impl Ctx<'_> {
    pub fn abs(&self, path: &str) -> String {
        format!("{}{path}", self.public_url.trim_end_matches('/'))
    }
    pub fn media_url(&self, image_id: i64) -> String {
        self.abs(&format!("/media/{image_id}/"))
    }
}
