//! Choosing an edX username: the desired one if it has no `@`, else the account's username if
//! it is not an email, else `usernameify(name, email)`; collisions get `_<random>` suffixes
//! within 30 characters (the original's rules, with its truncation bug fixed).

use rand::Rng as _;

use super::model::USERNAME_MAX_LEN;

/// mitol's `usernameify`: lower-case, digits and punctuation removed, runs of spaces, `_` and
/// `-` squashed to one `-`, Turkish dotless/dotted i folded to `i`, trimmed of `-`, cut to
/// `max_len` characters; falls back to the email's local part; `None` when both are empty.
pub fn usernameify(name: &str, email: &str, max_len: usize) -> Option<String> {
    fn reformat(s: &str) -> String {
        let mut out = String::new();
        let mut pending_sep = false;
        for ch in s.chars() {
            let ch = if matches!(ch, 'ı' | 'İ') { 'i' } else { ch };
            if ch.is_whitespace() || ch == '_' || ch == '-' {
                pending_sep = true;
                continue;
            }
            if ch.is_numeric() || !(ch.is_alphanumeric()) {
                continue;
            }
            if pending_sep && !out.is_empty() {
                out.push('-');
            }
            pending_sep = false;
            out.extend(ch.to_lowercase());
        }
        out
    }
    let mut candidate = reformat(name);
    if candidate.is_empty() {
        candidate = reformat(email.split('@').next().unwrap_or(""));
    }
    if candidate.is_empty() {
        return None;
    }
    let cut: String = candidate.chars().take(max_len).collect();
    Some(cut.trim_end_matches('-').to_owned())
}

/// The first edX username to try for an account, before any collision handling.
pub fn initial_username(desired: Option<&str>, username: &str, email: &str, name: &str) -> Option<String> {
    if let Some(d) = desired
        .map(str::trim)
        .filter(|d| !d.is_empty() && !d.contains('@'))
    {
        return Some(d.chars().take(USERNAME_MAX_LEN).collect());
    }
    if !username.contains('@') && !username.eq_ignore_ascii_case(email) && !username.is_empty() {
        return Some(username.chars().take(USERNAME_MAX_LEN).collect());
    }
    usernameify(name, email, USERNAME_MAX_LEN)
}

/// The local part of an email-like username (the base for generated names).
pub fn base_from_username(username: &str) -> String {
    username.split('@').next().unwrap_or(username).to_owned()
}

/// Candidates `<base>_<n>` with n from growing ranges (0–9, 10–99, … 10000–99999), each cut to
/// fit 30 characters by shortening the base. (The original kept only the *first* few
/// characters of the base when cutting — `base[:overflow]` — and switched the separator to
/// `-`; we keep as much of the base as fits.)
pub fn suffixed_candidates(base: &str) -> Vec<String> {
    let mut rng = rand::rng();
    [(0u32, 9u32), (10, 99), (100, 999), (1000, 9999), (10000, 99999)]
        .iter()
        .map(|&(lo, hi)| {
            let n = rng.random_range(lo..=hi);
            let suffix = format!("_{n}");
            let room = USERNAME_MAX_LEN.saturating_sub(suffix.chars().count());
            let stem: String = base.chars().take(room).collect();
            format!("{stem}{suffix}")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernameify_follows_mitol() {
        let cases = [
            (" John  Doe ", "", Some("john-doe")),
            ("Tabby\tTabberson", "", Some("tabby-tabberson")),
            ("-Dashy_St._Underscores-", "", Some("dashy-st-underscores")),
            ("Repeated-----Chars___Jr.", "", Some("repeated-chars-jr")),
            ("Numbers123 !$!@ McStrange!!##^", "", Some("numbers-mcstrange")),
            ("", "jane.doe@example.com", Some("janedoe")),
            ("123", "456@x.org", None),
            ("Àccèntèd Ñame, Ësq.", "", Some("àccèntèd-ñame-ësq")),
        ];
        for (name, email, want) in cases {
            assert_eq!(
                usernameify(name, email, 30).as_deref(),
                want,
                "{name:?} {email:?}"
            );
        }
        assert_eq!(usernameify(&"a".repeat(40), "", 30).unwrap().len(), 30);
    }

    #[test]
    fn the_desired_name_wins_unless_it_is_an_email() {
        assert_eq!(
            initial_username(Some("jdoe"), "x", "x@y.z", "X").as_deref(),
            Some("jdoe")
        );
        assert_eq!(
            initial_username(Some("j@doe"), "jane", "j@doe", "Jane").as_deref(),
            Some("jane")
        );
        assert_eq!(
            initial_username(None, "jane@example.com", "jane@example.com", "Jane Q Public").as_deref(),
            Some("jane-q-public")
        );
        assert_eq!(
            initial_username(None, &"x".repeat(40), "a@b.c", "")
                .unwrap()
                .len(),
            30
        );
    }

    #[test]
    fn suffixes_keep_the_start_of_a_long_base_within_thirty_characters() {
        let base = "abcdefghijklmnopqrstuvwxyz0123456789";
        for c in suffixed_candidates(base) {
            assert!(c.chars().count() <= 30, "{c}");
            assert!(c.starts_with("abcdefghijklmnopqrstuvw"), "{c}");
            assert!(c.contains('_'));
        }
        let short = suffixed_candidates("jane");
        assert!(short[0].starts_with("jane_") && short[0].len() == 6);
        assert!(short[4].len() == "jane_".len() + 5);
    }
}
