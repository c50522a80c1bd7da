//! Single-field rules shared by sign-up, onboarding, gateway and SCIM input: names,
//! usernames, emails, passwords, and the export-compliance list of missing address fields.

use super::model::LegalAddress;

/// A person's display name (2–254 characters at onboarding, ≤ 255 otherwise).
pub fn validate_name(name: &str, min: usize, max: usize) -> Result<String, String> {
    let name = name.trim();
    let n = name.chars().count();
    if n < min {
        return Err(if n == 0 {
            "This field may not be blank.".into()
        } else {
            format!("Ensure this field has at least {min} characters.")
        });
    }
    if n > max {
        return Err(format!("Ensure this field has no more than {max} characters."));
    }
    if name
        .chars()
        .any(|c| c.is_control() || "/^$#*=[]`%_;<>{}\"|".contains(c))
    {
        return Err("Name contains invalid characters.".into());
    }
    Ok(name.to_owned())
}

/// Public username: letters, digits, spaces and `._+-`, at most 30 characters (Open edX's limit).
pub fn validate_username(username: &str) -> Result<String, String> {
    let u = username.trim();
    if u.is_empty() {
        return Err("This field may not be blank.".into());
    }
    if u.chars().count() > 30 {
        return Err("Ensure this field has no more than 30 characters.".into());
    }
    if !u.chars().all(|c| c.is_alphanumeric() || " ._+-".contains(c)) {
        return Err(
            "Username can only contain letters, numbers, spaces, and the following characters: _+-".into(),
        );
    }
    Ok(u.to_owned())
}

/// A plausible email address, lower-cased domain kept as typed.
pub fn validate_email(email: &str) -> Result<String, String> {
    let e = email.trim();
    let ok = e.len() <= 254
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !e.chars().any(|c| c.is_whitespace() || c.is_control())
                && e.matches('@').count() == 1
        });
    if ok {
        Ok(e.to_owned())
    } else {
        Err("Enter a valid email address.".into())
    }
}

/// Password policy for local accounts.
pub fn validate_password(password: &str) -> Result<(), String> {
    if password.chars().count() < 8 {
        return Err("This password is too short. It must contain at least 8 characters.".into());
    }
    if password.len() > 1024 {
        return Err("This password is too long.".into());
    }
    if password.chars().all(|c| c.is_ascii_digit()) {
        return Err("This password is entirely numeric.".into());
    }
    Ok(())
}

/// The profile fields a purchase's export-compliance check needs and this user lacks
/// (the original's `compliance_missing_fields`), sorted.
pub fn compliance_missing_fields(email: &str, a: Option<&LegalAddress>) -> Vec<String> {
    let empty = LegalAddress::default();
    let a = a.unwrap_or(&empty);
    let mut missing: Vec<&str> = Vec::new();
    for (value, name) in [
        (a.first_name.as_str(), "first_name"),
        (a.last_name.as_str(), "last_name"),
        (a.street_address_1.as_str(), "street_address_1"),
        (a.city.as_str(), "city"),
        (a.country.as_str(), "country"),
        (email, "email"),
        (a.state.as_deref().unwrap_or(""), "state"),
        (a.postal_code.as_str(), "postal_code"),
    ] {
        if value.is_empty() {
            missing.push(name);
        }
    }
    missing.sort_unstable();
    missing.into_iter().map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_names_emails_and_passwords_are_checked() {
        assert!(validate_username("jane_doe+1").is_ok());
        assert!(validate_username("bad/name").is_err());
        assert!(validate_username(&"a".repeat(31)).is_err());
        assert!(validate_name("J", 2, 254).is_err());
        assert!(validate_name("Jane <script>", 2, 254).is_err());
        assert!(validate_email("a@b.co").is_ok());
        assert!(validate_email("a@b").is_err());
        assert!(validate_email("a b@c.de").is_err());
        assert!(validate_password("12345678").is_err());
        assert!(validate_password("short").is_err());
        assert!(validate_password("long enough pass").is_ok());
    }

    #[test]
    fn compliance_lists_missing_address_fields_sorted() {
        let a = LegalAddress {
            country: "US".into(),
            first_name: "A".into(),
            ..LegalAddress::default()
        };
        assert_eq!(
            compliance_missing_fields("a@b.co", Some(&a)),
            vec!["city", "last_name", "postal_code", "state", "street_address_1"]
        );
    }
}
