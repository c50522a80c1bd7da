//! B2B types: organizations, contracts and their membership rules, code statuses, and the pure
//! rules the services apply (active window, seat limits, how many codes a contract needs, the
//! contract run key).

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

/// How learners join a contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MembershipType {
    /// Keycloak says who belongs (the organization is managed in SSO).
    Managed,
    /// Learners join with an enrollment code.
    Code,
    /// Every member of the organization is attached automatically.
    Auto,
}

impl MembershipType {
    pub fn as_str(self) -> &'static str {
        match self {
            MembershipType::Managed => "managed",
            MembershipType::Code => "code",
            MembershipType::Auto => "auto",
        }
    }

    pub fn parse(s: &str) -> Option<MembershipType> {
        match s {
            "managed" | "sso" => Some(MembershipType::Managed),
            "code" | "non-sso" => Some(MembershipType::Code),
            "auto" => Some(MembershipType::Auto),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Organization {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub org_key: String,
    pub org_key_prefix: String,
    pub description: String,
    pub logo: String,
    pub sso_organization_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contract {
    pub id: i64,
    pub organization_id: i64,
    pub name: String,
    pub slug: String,
    pub description: String,
    pub welcome_message: String,
    pub welcome_message_extra: String,
    pub membership_type: MembershipType,
    pub contract_start: Option<NaiveDate>,
    pub contract_end: Option<NaiveDate>,
    pub active: bool,
    /// `None` or 0: unlimited seats.
    pub max_learners: Option<i64>,
    /// `None` or 0: free.
    pub enrollment_fixed_price: Option<Decimal>,
    pub variant_options: serde_json::Value,
}

impl Contract {
    /// Active = the flag AND start ≤ now ≤ end (the original compares dates with now).
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        let today = now.date_naive();
        self.active
            && self.contract_start.is_none_or(|s| s <= today)
            && self.contract_end.is_none_or(|e| e >= today)
    }

    /// The seat limit, if there is one.
    pub fn seat_limit(&self) -> Option<i64> {
        self.max_learners.filter(|&m| m > 0)
    }

    /// The price of a seat (0 when free).
    pub fn price(&self) -> Decimal {
        self.enrollment_fixed_price.unwrap_or(Decimal::ZERO)
    }

    pub fn is_free(&self) -> bool {
        self.price().is_zero()
    }

    /// Full = attached learners ≥ the seat limit.
    pub fn is_full(&self, attached: i64) -> bool {
        self.seat_limit().is_some_and(|m| attached >= m)
    }

    /// What `ensure_enrollment_codes_exist` wants for each contract product.
    pub fn code_plan(&self) -> CodePlan {
        if self.membership_type != MembershipType::Code && self.is_free() {
            CodePlan::None
        } else {
            match self.seat_limit() {
                None => CodePlan::OneUnlimited,
                Some(n) => CodePlan::OneTime(n),
            }
        }
    }
}

/// How many enrollment codes one contract product needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodePlan {
    /// Auto/managed and free: no codes (existing ones are removed).
    None,
    /// Unlimited seats: one unlimited fixed-price code.
    OneUnlimited,
    /// Exactly this many one-time codes.
    OneTime(i64),
}

/// A code's status for managers: redeemed if a user claimed it, else assigned, else none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeStatus {
    Unassigned,
    Assigned,
    Redeemed,
}

impl CodeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CodeStatus::Unassigned => "unassigned",
            CodeStatus::Assigned => "assigned",
            CodeStatus::Redeemed => "redeemed",
        }
    }
}

/// The key of a contract run: `course-v1:<prefix><org_key>+<course number>+<idx>T<contract>C<year>`
/// with `_<lang>`, `_<industry>`, `_<length>` suffixes (each when set), as the original.
pub fn contract_run_key(
    prefix: &str,
    org_key: &str,
    course_number: &str,
    idx: usize,
    contract_id: i64,
    year: i32,
    variant: (&str, &str, &str),
) -> String {
    let mut key = format!("course-v1:{prefix}{org_key}+{course_number}+{idx}T{contract_id}C{year}");
    let (lang, industry, length) = variant;
    for part in [lang, industry, length] {
        if !part.is_empty() {
            key.push('_');
            key.push_str(part);
        }
    }
    key
}

/// The last segment of a course's readable id (`course-v1:MITxT+DEMO.101x` → `DEMO.101x`).
pub fn course_number(readable_id: &str) -> &str {
    readable_id.rsplit('+').next().unwrap_or(readable_id)
}

/// A slug from a name: lowercase ASCII letters and digits joined by single dashes.
/// (The catalog's slugs, cut to the column's 255 characters.)
pub fn slugify(s: &str) -> String {
    crate::catalog::store::slugify(s).chars().take(255).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contract(kind: MembershipType, seats: Option<i64>, price: Option<&str>) -> Contract {
        Contract {
            id: 7,
            organization_id: 1,
            name: "c".into(),
            slug: "c".into(),
            description: String::new(),
            welcome_message: String::new(),
            welcome_message_extra: String::new(),
            membership_type: kind,
            contract_start: NaiveDate::from_ymd_opt(2026, 1, 1),
            contract_end: NaiveDate::from_ymd_opt(2026, 12, 31),
            active: true,
            max_learners: seats,
            enrollment_fixed_price: price.map(|p| p.parse().unwrap()),
            variant_options: serde_json::json!([]),
        }
    }

    #[test]
    fn code_plans_follow_the_original() {
        use MembershipType::*;
        assert_eq!(contract(Auto, Some(5), None).code_plan(), CodePlan::None);
        assert_eq!(contract(Managed, None, Some("0")).code_plan(), CodePlan::None);
        assert_eq!(
            contract(Managed, None, Some("10")).code_plan(),
            CodePlan::OneUnlimited
        );
        assert_eq!(contract(Code, None, None).code_plan(), CodePlan::OneUnlimited);
        assert_eq!(contract(Code, Some(0), None).code_plan(), CodePlan::OneUnlimited);
        assert_eq!(contract(Code, Some(5), None).code_plan(), CodePlan::OneTime(5));
        assert_eq!(
            contract(Auto, Some(3), Some("25")).code_plan(),
            CodePlan::OneTime(3)
        );
    }

    #[test]
    fn a_contract_is_active_inside_its_dates_and_full_at_its_seat_limit() {
        let c = contract(MembershipType::Code, Some(2), None);
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert!(c.is_active(at("2026-06-01T00:00:00Z")));
        assert!(c.is_active(at("2026-12-31T23:00:00Z")));
        assert!(!c.is_active(at("2027-01-01T00:00:00Z")));
        assert!(!c.is_full(1) && c.is_full(2));
        assert!(!contract(MembershipType::Code, None, None).is_full(1_000_000));
    }

    #[test]
    fn contract_run_keys_carry_prefix_org_contract_year_and_variant_suffixes() {
        assert_eq!(
            contract_run_key("UAI_", "acme", "DEMO.101x", 1, 7, 2026, ("en", "", "")),
            "course-v1:UAI_acme+DEMO.101x+1T7C2026_en"
        );
        assert_eq!(
            contract_run_key("UAI_", "acme", "X", 2, 7, 2026, ("es", "HC", "S")),
            "course-v1:UAI_acme+X+2T7C2026_es_HC_S"
        );
        assert_eq!(course_number("course-v1:MITxT+DEMO.101x"), "DEMO.101x");
        assert_eq!(slugify("  Acme Corp. 2026 "), "acme-corp-2026");
    }
}
