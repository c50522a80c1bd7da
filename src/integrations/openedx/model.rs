//! Types of the Open edX conversation: what we send (registration form, profile fields, modes)
//! and what we read back (enrollments, grades, course details, tokens), parsed at the edge.

use std::collections::BTreeMap;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};

/// The only platform the original knows.
pub const PLATFORM_EDX: &str = "edx";
/// edX usernames are at most 30 characters.
pub const USERNAME_MAX_LEN: usize = 30;
/// Name of our OAuth2 provider backend inside edX (`ol_social_auth.backends.OLOAuth2`).
pub const OAUTH_PROVIDER: &str = "ol-oauth2";
/// Where edX starts a login through our provider (`OPENEDX_SOCIAL_LOGIN_PATH`).
pub const SOCIAL_LOGIN_PATH: &str = "/auth/login/ol-oauth2/?auth_entry=login";
/// Our redirect URI path for edX's authorization-code grant.
pub const AUTH_COMPLETE_PATH: &str = "/_/auth/complete";

/// An enrollment mode edX knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EnrollmentMode {
    Audit,
    Verified,
}

impl EnrollmentMode {
    pub fn as_str(self) -> &'static str {
        match self {
            EnrollmentMode::Audit => "audit",
            EnrollmentMode::Verified => "verified",
        }
    }
}

impl FromStr for EnrollmentMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "audit" => Ok(EnrollmentMode::Audit),
            "verified" => Ok(EnrollmentMode::Verified),
            _ => Err(format!("`{s}` is not an enrollment mode (audit or verified)")),
        }
    }
}

/// Profile fields edX keeps (registration form and profile PATCH). `None` fields are left out
/// of a registration form (like `requests` drops them) and sent as `null` in a PATCH.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdxProfile {
    #[serde(default)]
    pub country: Option<String>,
    /// Only for US learners: the two-letter state (`MA`).
    #[serde(default)]
    pub state: Option<String>,
    /// `m`, `f` or `o`.
    #[serde(default)]
    pub gender: Option<String>,
    #[serde(default)]
    pub year_of_birth: Option<i32>,
    /// edX codes: `p`, `m`, `b`, `a`, `hs`, `jhs`, `el`, `none`, `other`.
    #[serde(default)]
    pub level_of_education: Option<String>,
}

/// Everything a registration POST carries.
#[derive(Debug, Clone)]
pub struct RegistrationForm {
    pub username: String,
    pub email: String,
    pub name: String,
    pub profile: EdxProfile,
    /// Our OAuth2 access token edX uses to call back `/api/users/me` during registration.
    pub access_token: String,
}

impl RegistrationForm {
    /// Form fields in the original's order; `None` values are dropped like `requests` does.
    pub fn fields(&self) -> Vec<(String, String)> {
        let p = &self.profile;
        let mut out = vec![
            ("username".to_owned(), self.username.clone()),
            ("email".to_owned(), self.email.clone()),
            ("name".to_owned(), self.name.clone()),
        ];
        let optional = [
            ("country", p.country.clone()),
            ("state", p.state.clone()),
            ("gender", p.gender.clone()),
            ("year_of_birth", p.year_of_birth.map(|y| y.to_string())),
            ("level_of_education", p.level_of_education.clone()),
        ];
        out.extend(
            optional
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v))),
        );
        out.push(("provider".into(), OAUTH_PROVIDER.into()));
        out.push(("access_token".into(), self.access_token.clone()));
        out.push(("honor_code".into(), "True".into()));
        out
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourseRef {
    pub course_id: String,
}

/// One edX enrollment (the fields the original reads).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdxEnrollment {
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub is_active: bool,
    #[serde(default)]
    pub user: Option<String>,
    pub course_details: CourseRef,
    #[serde(default)]
    pub created: Option<String>,
}

/// One page of `GET /api/enrollment/v1/enrollments` (cursor pagination).
#[derive(Debug, Clone, Deserialize)]
pub struct EnrollmentPage {
    #[serde(default)]
    pub next: Option<String>,
    #[serde(default)]
    pub results: Vec<EdxEnrollment>,
}

fn de_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    let text = match &v {
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "0".to_owned(),
        other => return Err(serde::de::Error::custom(format!("not a number: {other}"))),
    };
    Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .map_err(serde::de::Error::custom)
}

fn de_opt_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    match v {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(v) => de_decimal(v).map(Some).map_err(serde::de::Error::custom),
    }
}

/// A learner's current grade in one course run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentGrade {
    pub username: String,
    #[serde(default)]
    pub email: Option<String>,
    pub course_id: String,
    #[serde(default)]
    pub passed: bool,
    /// 0..=1, exact as sent.
    #[serde(deserialize_with = "de_decimal")]
    pub percent: Decimal,
    #[serde(default)]
    pub letter_grade: Option<String>,
}

/// Course details used by the run sync (`GET /api/courses/v1/courses/`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourseDetail {
    /// edX sends both `id` and `course_id` (the same key); either may be missing elsewhere.
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub course_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub start: Option<String>,
    #[serde(default)]
    pub end: Option<String>,
    #[serde(default)]
    pub enrollment_start: Option<String>,
    #[serde(default)]
    pub enrollment_end: Option<String>,
    #[serde(default)]
    pub certificate_available_date: Option<String>,
    #[serde(default)]
    pub pacing: Option<String>,
}

impl CourseDetail {
    /// The course key.
    pub fn key(&self) -> &str {
        self.id
            .as_deref()
            .or(self.course_id.as_deref())
            .unwrap_or_default()
    }

    /// Self-paced iff edX says `"self"`.
    pub fn is_self_paced(&self) -> bool {
        self.pacing.as_deref() == Some("self")
    }
}

/// A course mode (`/api/course_modes/v1/`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourseMode {
    #[serde(default)]
    pub course_id: Option<String>,
    pub mode_slug: String,
    #[serde(default)]
    pub mode_display_name: Option<String>,
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub min_price: Option<Decimal>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub expiration_datetime: Option<String>,
    #[serde(default)]
    pub expiration_datetime_is_explicit: Option<bool>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub sku: Option<String>,
    #[serde(default)]
    pub bulk_sku: Option<String>,
}

/// Tokens from `POST /oauth2/access_token`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
}

/// `POST /api/user/v1/validation/registration` answer: field → message ("" when valid).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ValidationDecisions {
    #[serde(default)]
    pub validation_decisions: BTreeMap<String, String>,
}

/// What a registration attempt answered (non-2xx answers are data, not errors, here).
#[derive(Debug, Clone)]
pub struct RegistrationReply {
    pub status: u16,
    pub body: serde_json::Value,
}

impl RegistrationReply {
    pub fn error_code(&self) -> Option<&str> {
        self.body.get("error_code").and_then(|v| v.as_str())
    }
    pub fn is_duplicate_username(&self) -> bool {
        self.status == 409 && self.error_code() == Some("duplicate-username")
    }
    pub fn is_duplicate_email(&self) -> bool {
        self.status == 409 && self.error_code() == Some("duplicate-email")
    }
    /// Suggestions edX offers with a duplicate-username answer.
    pub fn username_suggestions(&self) -> Vec<String> {
        self.body
            .get("username_suggestions")
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    }
}
