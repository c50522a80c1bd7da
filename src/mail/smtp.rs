//! A deliberately small SMTP client over a plain TCP connection: EHLO, optional AUTH PLAIN,
//! MAIL FROM, RCPT TO, DATA, QUIT. `smtp://user:pass@host:port`. STARTTLS and SMTPS are not
//! implemented: `smtps://` URLs are refused at start, so use a local relay for TLS.

use std::time::Duration;

use anyhow::{Context as _, bail};
use base64::Engine as _;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;

use super::Email;
use crate::outbox::Delivery;

/// Where and how to send.
#[derive(Debug, Clone)]
pub struct SmtpTarget {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<String>,
}

impl SmtpTarget {
    pub fn parse(url: &str) -> anyhow::Result<SmtpTarget> {
        let u = url::Url::parse(url).context("MITXONLINE_SMTP_URL is not a URL")?;
        if u.scheme() != "smtp" {
            bail!("MITXONLINE_SMTP_URL: only smtp:// (no TLS) is supported by the built-in client");
        }
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        Ok(SmtpTarget {
            host: u
                .host_str()
                .context("MITXONLINE_SMTP_URL has no host")?
                .to_owned(),
            port: u.port().unwrap_or(25),
            username: Some(decode(u.username())).filter(|s| !s.is_empty()),
            password: u.password().map(decode),
        })
    }
}

struct Conn {
    reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: tokio::net::tcp::OwnedWriteHalf,
}

impl Conn {
    /// Reads one (possibly multi-line) reply; returns its code.
    async fn reply(&mut self) -> anyhow::Result<(u16, String)> {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            if self.reader.read_line(&mut line).await? == 0 {
                bail!("connection closed");
            }
            all.push_str(&line);
            if line.len() < 4 || line.as_bytes()[3] != b'-' {
                let code = line
                    .get(..3)
                    .and_then(|c| c.parse().ok())
                    .context("bad SMTP reply")?;
                return Ok((code, all));
            }
        }
    }

    async fn command(&mut self, line: &str, expect: u16) -> anyhow::Result<()> {
        self.writer.write_all(line.as_bytes()).await?;
        self.writer.write_all(b"\r\n").await?;
        let (code, text) = self.reply().await?;
        if code != expect {
            bail!(SmtpRefused(code, text.trim().to_owned()));
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("SMTP {0}: {1}")]
struct SmtpRefused(u16, String);

fn header_safe(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect()
}

fn message(from: &str, email: &Email, id: &str) -> String {
    let mut body = String::new();
    for line in email.body.replace("\r\n", "\n").split('\n') {
        if line.starts_with('.') {
            body.push('.');
        }
        body.push_str(line);
        body.push_str("\r\n");
    }
    format!(
        "From: {}\r\nTo: {}\r\nSubject: {}\r\nMessage-ID: <{}@mitxonline>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}.",
        header_safe(from),
        header_safe(&email.to),
        header_safe(&email.subject),
        header_safe(id).replace([' ', '<', '>'], ""),
    )
}

async fn try_send(t: &SmtpTarget, from: &str, email: &Email, id: &str) -> anyhow::Result<()> {
    let stream = TcpStream::connect((t.host.as_str(), t.port)).await?;
    let (r, w) = stream.into_split();
    let mut c = Conn {
        reader: BufReader::new(r),
        writer: w,
    };
    let (code, text) = c.reply().await?;
    if code != 220 {
        bail!(SmtpRefused(code, text));
    }
    c.command("EHLO mitxonline", 250).await?;
    if let (Some(u), Some(p)) = (&t.username, &t.password) {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("\0{u}\0{p}"));
        c.command(&format!("AUTH PLAIN {token}"), 235).await?;
    }
    let addr = |s: &str| {
        let s = s.rsplit_once('<').map_or(s, |(_, a)| a.trim_end_matches('>'));
        header_safe(s.trim())
    };
    c.command(&format!("MAIL FROM:<{}>", addr(from)), 250).await?;
    c.command(&format!("RCPT TO:<{}>", addr(&email.to)), 250).await?;
    c.command("DATA", 354).await?;
    c.command(&message(from, email, id), 250).await?;
    let _ = c.command("QUIT", 221).await;
    Ok(())
}

/// Sends one email; 5xx replies are permanent failures, everything else is retried.
pub async fn send(t: &SmtpTarget, from: &str, email: &Email, id: &str) -> Delivery {
    match tokio::time::timeout(Duration::from_secs(30), try_send(t, from, email, id)).await {
        Ok(Ok(())) => Delivery::Delivered,
        Ok(Err(e)) => match e.downcast_ref::<SmtpRefused>() {
            Some(SmtpRefused(code, _)) if (500..600).contains(code) => {
                Delivery::Permanent { error: e.to_string() }
            }
            _ => Delivery::Transient {
                error: e.to_string(),
                retry_after: None,
            },
        },
        Err(_) => Delivery::Transient {
            error: "SMTP timed out".into(),
            retry_after: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_carry_credentials_and_tls_urls_are_refused() {
        let t = SmtpTarget::parse("smtp://me%40x:p%2Fw@127.0.0.1:2525").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("127.0.0.1", 2525));
        assert_eq!(t.username.as_deref(), Some("me@x"));
        assert_eq!(t.password.as_deref(), Some("p/w"));
        assert!(SmtpTarget::parse("smtps://h").is_err());
    }

    #[test]
    fn message_bodies_are_dot_stuffed_and_headers_cannot_be_injected() {
        let m = message(
            "a@b.c",
            &Email {
                to: "x@y.z\r\nBcc: evil@e.com".into(),
                subject: "Hi".into(),
                body: ".hidden\nline".into(),
            },
            "mail:1",
        );
        assert!(m.contains("\r\n..hidden\r\nline\r\n."));
        assert!(!m.contains("\r\nBcc:"));
    }
}
