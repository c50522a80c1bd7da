//! Sending over SMTP with `lettre` (rustls). `MITXONLINE_SMTP_URL` chooses the transport:
//!
//! - `smtp://[user:pass@]host[:port]` — plain SMTP (port 25), AUTH only when credentials are
//!   given (for a relay on a trusted network);
//! - `smtp+starttls://…` — STARTTLS required (port 587): a server that does not offer it, or a
//!   certificate that does not verify, fails the delivery;
//! - `smtps://…` — implicit TLS (port 465).
//!
//! Certificates are verified with the platform's trust store. User and password are
//! percent-decoded.

use std::time::Duration;

use anyhow::{Context as _, bail};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::Email;
use crate::outbox::Delivery;

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// `smtp://`: none.
    Plain,
    /// `smtp+starttls://`: STARTTLS, required.
    StartTls,
    /// `smtps://`: TLS from the first byte.
    ImplicitTls,
}

/// Where and how to send.
#[derive(Debug, Clone)]
pub struct SmtpTarget {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: Option<String>,
    pub password: Option<String>,
}

impl SmtpTarget {
    pub fn parse(url: &str) -> anyhow::Result<SmtpTarget> {
        let u = url::Url::parse(url).context("MITXONLINE_SMTP_URL is not a URL")?;
        let (security, default_port) = match u.scheme() {
            "smtp" => (Security::Plain, 25),
            "smtp+starttls" => (Security::StartTls, 587),
            "smtps" => (Security::ImplicitTls, 465),
            other => {
                bail!("MITXONLINE_SMTP_URL: `{other}://` is not one of smtp://, smtp+starttls://, smtps://")
            }
        };
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let host = u
            .host_str()
            .filter(|h| !h.is_empty())
            .context("MITXONLINE_SMTP_URL has no host")?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        Ok(SmtpTarget {
            host,
            port: u.port().unwrap_or(default_port),
            security,
            username: Some(decode(u.username())).filter(|s| !s.is_empty()),
            password: u.password().map(decode),
        })
    }
}

/// A configured SMTP transport (one connection per message).
#[derive(Clone)]
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    pub target: SmtpTarget,
}

impl std::fmt::Debug for Smtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Smtp")
            .field("host", &self.target.host)
            .field("port", &self.target.port)
            .field("security", &self.target.security)
            .finish_non_exhaustive()
    }
}

impl Smtp {
    pub fn new(target: SmtpTarget) -> anyhow::Result<Smtp> {
        type T = AsyncSmtpTransport<Tokio1Executor>;
        let builder = match target.security {
            Security::Plain => T::builder_dangerous(&target.host),
            Security::StartTls => T::starttls_relay(&target.host).context("SMTP STARTTLS setup")?,
            Security::ImplicitTls => T::relay(&target.host).context("SMTP TLS setup")?,
        };
        let mut builder = builder
            .port(target.port)
            .hello_name(ClientId::Domain("mitxonline".into()))
            .timeout(Some(Duration::from_secs(30)));
        if let (Some(u), Some(p)) = (&target.username, &target.password) {
            builder = builder.credentials(Credentials::new(u.clone(), p.clone()));
        }
        Ok(Smtp {
            transport: builder.build(),
            target,
        })
    }
}

/// The message: plain text, UTF-8. Addresses that do not parse (header injection included)
/// are refused.
pub fn message(from: &str, email: &Email, id: &str, tag: Option<&str>) -> anyhow::Result<Message> {
    let from: Mailbox = from.parse().context("bad From address")?;
    let to: Mailbox = email.to.parse().context("bad To address")?;
    let id: String = id.chars().filter(char::is_ascii_alphanumeric).collect();
    let mut builder = Message::builder();
    if let Some(tag) = tag.filter(|t| t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')) {
        builder = builder.raw_header(lettre::message::header::HeaderValue::new(
            lettre::message::header::HeaderName::new_from_ascii_str("X-Mailgun-Tag"),
            tag.to_owned(),
        ));
    }
    builder
        .from(from)
        .to(to)
        .subject(email.subject.replace(['\r', '\n'], " "))
        .message_id(Some(format!("<{id}@mitxonline>")))
        .header(ContentType::TEXT_PLAIN)
        .body(email.body.clone())
        .context("building the message")
}

/// Sends one email; 5xx replies and unusable messages are permanent failures, everything else
/// is retried.
pub async fn send(smtp: &Smtp, from: &str, email: &Email, id: &str, tag: Option<&str>) -> Delivery {
    let msg = match message(from, email, id, tag) {
        Ok(m) => m,
        Err(e) => {
            return Delivery::Permanent {
                error: format!("{e:#}"),
            };
        }
    };
    match smtp.transport.send(msg).await {
        Ok(_) => Delivery::Delivered,
        Err(e) if e.is_permanent() => Delivery::Permanent {
            error: format!("SMTP: {e}"),
        },
        Err(e) => Delivery::Transient {
            error: format!("SMTP: {e}"),
            retry_after: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_scheme_chooses_plain_starttls_or_implicit_tls_and_its_port() {
        let t = SmtpTarget::parse("smtp://me%40x:p%2Fw@127.0.0.1:2525").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.security),
            ("127.0.0.1", 2525, Security::Plain)
        );
        assert_eq!(t.username.as_deref(), Some("me@x"));
        assert_eq!(t.password.as_deref(), Some("p/w"));
        let t = SmtpTarget::parse("smtp+starttls://u:p@mail.example").unwrap();
        assert_eq!((t.port, t.security), (587, Security::StartTls));
        let t = SmtpTarget::parse("smtps://mail.example").unwrap();
        assert_eq!(
            (t.port, t.security, t.username),
            (465, Security::ImplicitTls, None)
        );
        assert_eq!(SmtpTarget::parse("smtp://relay").unwrap().port, 25);
        for bad in ["http://mail.example", "smtp+ssl://x", "not a url", "smtp://"] {
            assert!(SmtpTarget::parse(bad).is_err(), "{bad}");
        }
        for url in ["smtp://h", "smtp+starttls://h", "smtps://h"] {
            assert!(Smtp::new(SmtpTarget::parse(url).unwrap()).is_ok(), "{url}");
        }
    }

    #[test]
    fn addresses_cannot_inject_headers() {
        let evil = Email {
            to: "x@y.z\r\nBcc: evil@e.com".into(),
            subject: "Hi\r\nBcc: evil@e.com".into(),
            body: ".hidden\nline".into(),
        };
        assert!(message("a@b.c", &evil, "mail:1", None).is_err());
        let ok = Email {
            to: "x@y.z".into(),
            ..evil
        };
        let m = String::from_utf8(
            message("MITx Online <a@b.c>", &ok, "mail:1", Some("b2b-codes"))
                .unwrap()
                .formatted(),
        )
        .unwrap();
        assert!(!m.contains("\r\nBcc:"), "{m}");
        assert!(m.contains("Message-ID: <mail1@mitxonline>"), "{m}");
        assert!(m.contains("X-Mailgun-Tag: b2b-codes"), "{m}");
    }
}
