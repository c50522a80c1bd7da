//! The account's legal address and profile, with every validation rule of the original
//! (ISO countries, US/CA subdivisions, age ≥ 13, the enumerations), parsed from JSON into typed
//! values. Errors name the field (`legal_address.state`), so handlers can answer DRF-style.
//!
//! A leaf module (std, serde, serde_json and `geo`): the fuzz suite (`fuzz/`, target `forms`)
//! compiles it on its own.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use super::geo;

/// Field path → messages.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

pub const GENDERS: &[(&str, &str)] = &[
    ("m", "Male"),
    ("f", "Female"),
    ("t", "Transgender"),
    ("nb", "Non-binary/non-conforming"),
    ("o", "Other/Prefer Not to Say"),
];
pub const COMPANY_SIZES: &[(i64, &str)] = &[
    (1, "Small/Start-up (1+ employees)"),
    (9, "Small/Home office (1-9 employees)"),
    (99, "Small (10-99 employees)"),
    (999, "Small to medium-sized (100-999 employees)"),
    (9999, "Medium-sized (1000-9999 employees)"),
    (10000, "Large Enterprise (10,000+ employees)"),
    (0, "Other (N/A or Don't know)"),
];
pub const YEARS_EXPERIENCE: &[(i64, &str)] = &[
    (2, "Less than 2 years"),
    (5, "2-5 years"),
    (10, "6 - 10 years"),
    (15, "11 - 15 years"),
    (20, "16 - 20 years"),
    (21, "More than 20 years"),
    (0, "Prefer not to say"),
];
pub const HIGHEST_EDUCATION: &[&str] = &[
    "Doctorate",
    "Master's or professional degree",
    "Bachelor's degree",
    "Associate degree",
    "Secondary/high school",
    "Junior secondary/junior high/middle school",
    "Elementary/primary school",
    "No formal education",
    "Other education",
];

/// Mailing/billing address; `country` is ISO 3166-1 alpha-2, `state` ISO 3166-2 (`US-MA`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(not(fuzzing), derive(utoipa::ToSchema))]
pub struct LegalAddress {
    /// ISO 3166-1 alpha-2 (required when writing).
    pub country: String,
    pub first_name: String,
    pub last_name: String,
    pub street_address_1: String,
    pub street_address_2: String,
    pub city: String,
    /// ISO 3166-2 (`US-MA`); required to be a real subdivision for the US and Canada.
    pub state: Option<String>,
    /// A US ZIP or a Canadian postal code for those countries.
    pub postal_code: String,
}

/// Demographics asked for during onboarding.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(not(fuzzing), derive(utoipa::ToSchema))]
pub struct UserProfile {
    /// `m`, `f`, `t`, `nb` or `o`.
    pub gender: Option<String>,
    /// At least 13 years ago.
    pub year_of_birth: Option<i64>,
    /// Set once the highest education and a learner type are known.
    pub addl_field_flag: bool,
    pub company: Option<String>,
    pub job_title: Option<String>,
    pub industry: Option<String>,
    pub job_function: Option<String>,
    /// `1`, `9`, `99`, `999`, `9999`, `10000` or `0` (other).
    pub company_size: Option<i64>,
    /// `2`, `5`, `10`, `15`, `20`, `21` or `0` (prefer not to say).
    pub years_experience: Option<i64>,
    pub leadership_level: Option<String>,
    /// One of the original's education levels (`Doctorate`, `Bachelor's degree`, …).
    pub highest_education: Option<String>,
    pub type_is_student: Option<bool>,
    pub type_is_professional: Option<bool>,
    pub type_is_educator: Option<bool>,
    pub type_is_other: Option<bool>,
}

/// Collects errors under a path prefix.
pub struct Errors<'a> {
    pub map: &'a mut FieldErrors,
    pub prefix: &'a str,
}

impl Errors<'_> {
    pub fn add(&mut self, field: &str, msg: impl Into<String>) {
        let key = if self.prefix.is_empty() {
            field.to_owned()
        } else {
            format!("{}.{field}", self.prefix)
        };
        self.map.entry(key).or_default().push(msg.into());
    }
}

/// Reads an optional string field: absent → `None`, null → `Some(None)`.
fn opt_string(
    obj: &Map<String, Value>,
    field: &str,
    max: usize,
    errs: &mut Errors<'_>,
) -> Option<Option<String>> {
    match obj.get(field)? {
        Value::Null => Some(None),
        Value::String(s) => {
            let s = s.trim().to_owned();
            if s.chars().count() > max {
                errs.add(
                    field,
                    format!("Ensure this field has no more than {max} characters."),
                );
                None
            } else {
                Some(Some(s))
            }
        }
        _ => {
            errs.add(field, "Not a valid string.");
            None
        }
    }
}

fn opt_int(obj: &Map<String, Value>, field: &str, errs: &mut Errors<'_>) -> Option<Option<i64>> {
    let n = match obj.get(field)? {
        Value::Null => return Some(None),
        Value::String(s) if s.trim().is_empty() => return Some(None),
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    if n.is_none() {
        errs.add(field, "A valid integer is required.");
        return None;
    }
    Some(n)
}

fn opt_bool(obj: &Map<String, Value>, field: &str, errs: &mut Errors<'_>) -> Option<Option<bool>> {
    match obj.get(field)? {
        Value::Null => Some(None),
        Value::Bool(b) => Some(Some(*b)),
        Value::String(s) if matches!(s.as_str(), "true" | "True" | "1" | "on") => Some(Some(true)),
        Value::String(s) if matches!(s.as_str(), "false" | "False" | "0" | "") => Some(Some(false)),
        _ => {
            errs.add(field, "Must be a valid boolean.");
            None
        }
    }
}

fn us_postal(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: &[u8]| r.iter().all(u8::is_ascii_digit);
    (b.len() == 5 && digits(b)) || (b.len() == 10 && digits(&b[..5]) && b[5] == b'-' && digits(&b[6..]))
}

fn ca_postal(s: &str) -> bool {
    let b: Vec<u8> = s.to_ascii_uppercase().into_bytes();
    b.len() == 7
        && b[3] == b' '
        && [0, 2, 5].iter().all(|&i| b[i].is_ascii_uppercase())
        && [1, 4, 6].iter().all(|&i| b[i].is_ascii_digit())
}

/// Applies a JSON legal address onto `base` (fields not sent are kept). `country` is required,
/// as in the original's serializer for writes.
pub fn apply_legal_address(base: &LegalAddress, value: &Value, errs: &mut Errors<'_>) -> LegalAddress {
    let mut out = base.clone();
    let Value::Object(obj) = value else {
        errs.add("non_field_errors", "Invalid data. Expected a dictionary.");
        return out;
    };
    match opt_string(obj, "country", 2, errs) {
        None if !obj.contains_key("country") => errs.add("country", "This field is required."),
        None => {}
        Some(None) => errs.add("country", "This field may not be null."),
        Some(Some(c)) => {
            let c = c.to_ascii_uppercase();
            if geo::country(&c).is_none() {
                errs.add("country", format!("{c} is not a valid ISO 3166-1 country code"));
            }
            out.country = c;
        }
    }
    for (field, max) in [
        ("first_name", 60),
        ("last_name", 60),
        ("street_address_1", 255),
        ("street_address_2", 255),
        ("city", 255),
        ("postal_code", 20),
    ] {
        if let Some(v) = opt_string(obj, field, max, errs) {
            let v = v.unwrap_or_default();
            match field {
                "first_name" => out.first_name = v,
                "last_name" => out.last_name = v,
                "street_address_1" => out.street_address_1 = v,
                "street_address_2" => out.street_address_2 = v,
                "city" => out.city = v,
                _ => out.postal_code = v,
            }
        }
    }
    if let Some(v) = opt_string(obj, "state", 10, errs) {
        out.state = v.filter(|s| !s.is_empty()).map(|s| s.to_ascii_uppercase());
    }
    if matches!(out.country.as_str(), "US" | "CA") {
        if let Some(s) = &out.state
            && !geo::is_subdivision_of(&out.country, s)
        {
            errs.add("state", "Invalid state specified");
        }
        let pc = &out.postal_code;
        if !pc.is_empty() && out.country == "US" && !us_postal(pc) {
            errs.add("postal_code", "Enter a valid US ZIP code (12345 or 12345-6789).");
        }
        if !pc.is_empty() && out.country == "CA" && !ca_postal(pc) {
            errs.add("postal_code", "Enter a valid Canadian postal code (A1A 1A1).");
        }
    } else if let Some(s) = &out.state
        && !s.starts_with(&format!("{}-", out.country))
    {
        errs.add("state", "Invalid state specified");
    }
    out
}

/// Applies a JSON profile onto `base`; `current_year` decides the age rule.
pub fn apply_profile(
    base: &UserProfile,
    value: &Value,
    current_year: i64,
    errs: &mut Errors<'_>,
) -> UserProfile {
    let mut out = base.clone();
    let Value::Object(obj) = value else {
        errs.add("non_field_errors", "Invalid data. Expected a dictionary.");
        return out;
    };
    if let Some(g) = opt_string(obj, "gender", 128, errs) {
        let g = g.filter(|g| !g.is_empty());
        if let Some(g) = &g
            && !GENDERS.iter().any(|(k, _)| k == g)
        {
            errs.add("gender", format!("\"{g}\" is not a valid choice."));
        }
        out.gender = g;
    }
    let year_field = if obj.contains_key("birth_year") {
        "birth_year"
    } else {
        "year_of_birth"
    };
    if let Some(y) = opt_int(obj, year_field, errs) {
        match y {
            Some(y) if (1900..=current_year - 13).contains(&y) => out.year_of_birth = Some(y),
            Some(y) if y > current_year - 13 && y <= current_year => {
                errs.add(year_field, "Year of Birth provided is under 13");
            }
            _ => errs.add(year_field, "Year of Birth provided is not a valid year"),
        }
    }
    for (field, max) in [
        ("company", 128),
        ("job_title", 128),
        ("industry", 60),
        ("job_function", 60),
        ("leadership_level", 60),
        ("highest_education", 60),
    ] {
        if let Some(v) = opt_string(obj, field, max, errs) {
            match field {
                "company" => out.company = v,
                "job_title" => out.job_title = v,
                "industry" => out.industry = v,
                "job_function" => out.job_function = v,
                "leadership_level" => out.leadership_level = v,
                _ => {
                    if let Some(e) = v.as_deref()
                        && !e.is_empty()
                        && !HIGHEST_EDUCATION.contains(&e)
                    {
                        errs.add(field, format!("\"{e}\" is not a valid choice."));
                    }
                    out.highest_education = v;
                }
            }
        }
    }
    for (field, choices) in [
        ("company_size", COMPANY_SIZES),
        ("years_experience", YEARS_EXPERIENCE),
    ] {
        if let Some(v) = opt_int(obj, field, errs) {
            if let Some(n) = v
                && !choices.iter().any(|(k, _)| *k == n)
            {
                errs.add(field, format!("\"{n}\" is not a valid choice."));
            }
            if field == "company_size" {
                out.company_size = v;
            } else {
                out.years_experience = v;
            }
        }
    }
    for field in [
        "type_is_student",
        "type_is_professional",
        "type_is_educator",
        "type_is_other",
    ] {
        if let Some(v) = opt_bool(obj, field, errs) {
            match field {
                "type_is_student" => out.type_is_student = v,
                "type_is_professional" => out.type_is_professional = v,
                "type_is_educator" => out.type_is_educator = v,
                _ => out.type_is_other = v,
            }
        }
    }
    // As the original: the extra-fields flag is set once education and a learner type are known.
    out.addl_field_flag = out.highest_education.as_deref().is_some_and(|e| !e.is_empty())
        && [
            out.type_is_student,
            out.type_is_professional,
            out.type_is_educator,
            out.type_is_other,
        ]
        .contains(&Some(true));
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn addr(v: Value) -> (LegalAddress, FieldErrors) {
        let mut map = FieldErrors::new();
        let a = apply_legal_address(
            &LegalAddress::default(),
            &v,
            &mut Errors {
                map: &mut map,
                prefix: "legal_address",
            },
        );
        (a, map)
    }

    #[test]
    fn an_address_needs_a_real_country_and_a_real_us_or_canadian_state() {
        assert!(
            addr(json!({"country": "US", "state": "US-MA", "postal_code": "02139"}))
                .1
                .is_empty()
        );
        assert!(
            addr(json!({"country": "CA", "state": "CA-QC", "postal_code": "H3A 0G4"}))
                .1
                .is_empty()
        );
        assert!(
            addr(json!({"first_name": "A"}))
                .1
                .contains_key("legal_address.country")
        );
        assert!(
            addr(json!({"country": "ZZ"}))
                .1
                .contains_key("legal_address.country")
        );
        assert!(
            addr(json!({"country": "US", "state": "US-XX"}))
                .1
                .contains_key("legal_address.state")
        );
        assert!(
            addr(json!({"country": "US", "state": "CA-QC"}))
                .1
                .contains_key("legal_address.state")
        );
        assert!(
            addr(json!({"country": "US", "postal_code": "ABCDE"}))
                .1
                .contains_key("legal_address.postal_code")
        );
        assert!(addr(json!({"country": "FR"})).1.is_empty());
        assert!(
            addr(json!({"country": "US", "first_name": "x".repeat(61)}))
                .1
                .contains_key("legal_address.first_name")
        );
        assert!(
            addr(json!({"country": 5}))
                .1
                .contains_key("legal_address.country")
        );
        assert!(
            addr(json!([1, 2]))
                .1
                .contains_key("legal_address.non_field_errors")
        );
    }

    #[test]
    fn learners_must_be_at_least_thirteen_and_choices_come_from_the_lists() {
        let run = |v: Value| {
            let mut map = FieldErrors::new();
            let p = apply_profile(
                &UserProfile::default(),
                &v,
                2026,
                &mut Errors {
                    map: &mut map,
                    prefix: "",
                },
            );
            (p, map)
        };
        assert!(run(json!({"year_of_birth": 2013})).1.is_empty());
        assert!(
            run(json!({"year_of_birth": 2014}))
                .1
                .contains_key("year_of_birth")
        );
        assert!(
            run(json!({"year_of_birth": 1200}))
                .1
                .contains_key("year_of_birth")
        );
        assert!(run(json!({"gender": "x"})).1.contains_key("gender"));
        assert!(run(json!({"company_size": 5})).1.contains_key("company_size"));
        assert!(
            run(json!({"years_experience": "abc"}))
                .1
                .contains_key("years_experience")
        );
        assert!(
            run(json!({"highest_education": "PhD"}))
                .1
                .contains_key("highest_education")
        );
        let (p, e) = run(
            json!({"gender": "nb", "company_size": 99, "highest_education": "Doctorate", "type_is_student": true}),
        );
        assert!(e.is_empty());
        assert!(p.addl_field_flag);
        assert_eq!(p.company_size, Some(99));
    }
}
