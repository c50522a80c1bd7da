//! The learner's one-off notices: the original's `user-message` cookie (`{"type": …}`,
//! URL-encoded JSON, set for 20 s by the enroll form and the unenroll action) and the
//! `?payment=` the checkout return puts on the dashboard and cart URLs. A page that shows one
//! renders [`banner`] — a `role="status"` box (danger ones `role="alert"`) with a "Dismiss" link
//! to the same page without it — and sends [`consumed`] so the cookie is gone on the next load.
//! No JavaScript: dismissing is following a link.

use axum::http::{HeaderMap, HeaderValue, header};
use maud::{Markup, html};

use crate::config::Config;
use crate::http::cookies::Cookie;

pub const COOKIE: &str = "user-message";

/// How a notice reads: good news or a problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Success,
    Danger,
}

/// A notice to show once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub tone: Tone,
    pub text: &'static str,
    /// Whether it came from the cookie (then the page clears it).
    pub from_cookie: bool,
}

/// The text of a `user-message` type (the original's `parseStoredUserMessage`), None for an
/// unknown one.
pub fn message(kind: &str) -> Option<(Tone, &'static str)> {
    use Tone::*;
    Some(match kind {
        "enrolled" => (Success, "You are enrolled."),
        "enroll-failed" => (
            Danger,
            "Something went wrong with your enrollment. Please contact support.",
        ),
        "enroll-blocked" => (
            Danger,
            "Enrollment in this course is not available in your country.",
        ),
        "enroll-duplicated" => (Danger, "You are already enrolled in this course."),
        "unenrolled" => (Success, "You have been unenrolled."),
        "completed-auth" => (Success, "Account created!"),
        "profile-created" => (Success, "Profile created!"),
        "course-non-upgradable" => (
            Danger,
            "The upgrade deadline for a course in your cart has passed. You can retake and pay for this course the next time it runs.",
        ),
        "discount-invalid" => (
            Danger,
            "The discount that was applied to your cart is no longer valid.",
        ),
        "payment-accepted" | "accepted" => (
            Success,
            "Payment accepted. Thank you for your order: you are now enrolled in the certificate track.",
        ),
        "payment-declined" | "declined" => (Danger, "Your payment was declined. Please try another card."),
        "payment-cancelled" | "cancelled" => (Danger, "Your payment was cancelled."),
        "payment-error" | "error" => (Danger, "There was an error processing your payment."),
        "payment-review" | "review" => (
            Danger,
            "Your payment is under review: it did not match your order, so the order was not completed. Our support team will contact you; please do not pay again.",
        ),
        _ => return None,
    })
}

/// The `user-message` cookie's type, if the request carries a well-formed one.
fn cookie_kind(headers: &HeaderMap) -> Option<String> {
    let cookies = headers.get(header::COOKIE)?.to_str().ok()?;
    let raw = cookies
        .split(';')
        .map(str::trim)
        .find_map(|c| c.strip_prefix("user-message="))?;
    let decoded: String = url::form_urlencoded::parse(format!("m={raw}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())?;
    let v: serde_json::Value = serde_json::from_str(&decoded).ok()?;
    v["type"].as_str().map(str::to_owned)
}

/// The notice for this request: `?payment=` first, else the cookie.
pub fn current(headers: &HeaderMap, payment: Option<&str>) -> Option<Notice> {
    if let Some((tone, text)) = payment.and_then(message) {
        return Some(Notice {
            tone,
            text,
            from_cookie: false,
        });
    }
    let (tone, text) = message(&cookie_kind(headers)?)?;
    Some(Notice {
        tone,
        text,
        from_cookie: true,
    })
}

/// The `Set-Cookie` that removes the cookie once its notice is shown.
pub fn consumed(config: &Config, notice: Option<&Notice>) -> Option<HeaderValue> {
    notice
        .filter(|n| n.from_cookie)
        .map(|_| Cookie::removal(COOKIE).header(config))
}

/// The banner, with a "Dismiss" link to `dismiss_to` (the same page without the notice).
pub fn banner(notice: &Notice, dismiss_to: &str) -> Markup {
    let (class, role) = match notice.tone {
        Tone::Success => ("notice banner", "status"),
        Tone::Danger => ("notice banner error", "alert"),
    };
    html! {
        div class=(class) role=(role) id="user-message" {
            p { (notice.text) }
            a class="dismiss" href=(dismiss_to) { "Dismiss" span class="visually-hidden" { " this message" } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_cookie(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn reads_the_cookie_and_prefers_the_payment_query() {
        let h = with_cookie("a=b; user-message=%7B%22type%22%3A%20%22enrolled%22%7D");
        let n = current(&h, None).unwrap();
        assert_eq!(
            (n.tone, n.text, n.from_cookie),
            (Tone::Success, "You are enrolled.", true)
        );
        let p = current(&h, Some("declined")).unwrap();
        assert_eq!((p.tone, p.from_cookie), (Tone::Danger, false));
        assert!(current(&with_cookie("user-message=%7B%22type%22%3A%22nope%22%7D"), None).is_none());
        assert!(current(&with_cookie("user-message=garbage"), Some("bogus")).is_none());
    }
}
