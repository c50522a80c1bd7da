//! Outgoing mail over SMTP (lettre) against a fake SMTP server on 127.0.0.1 that records the
//! conversation.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpListener;

use crate::support::identity::post_form;
use crate::support::{TestApp, client};

/// Accepts connections; answers like a server, or with `reject_rcpt` a 550 to RCPT.
async fn fake_smtp(reject_rcpt: bool) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let log = Arc::new(Mutex::new(Vec::new()));
    let log2 = log.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let log = log2.clone();
            tokio::spawn(async move {
                let (r, mut w) = stream.into_split();
                let mut r = BufReader::new(r);
                w.write_all(b"220 fake ESMTP\r\n").await.unwrap();
                let mut in_data = false;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    log.lock().unwrap().push(line.trim_end().to_owned());
                    if in_data {
                        if line == ".\r\n" {
                            in_data = false;
                            w.write_all(b"250 queued\r\n").await.unwrap();
                        }
                        continue;
                    }
                    let cmd = line.to_ascii_uppercase();
                    let reply: &[u8] = if cmd.starts_with("EHLO") {
                        b"250-fake\r\n250 AUTH PLAIN\r\n"
                    } else if cmd.starts_with("AUTH PLAIN") {
                        b"235 ok\r\n"
                    } else if cmd.starts_with("RCPT") && reject_rcpt {
                        b"550 no such user\r\n"
                    } else if cmd.starts_with("DATA") {
                        in_data = true;
                        b"354 go ahead\r\n"
                    } else if cmd.starts_with("QUIT") {
                        w.write_all(b"221 bye\r\n").await.unwrap();
                        return;
                    } else {
                        b"250 ok\r\n"
                    };
                    w.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, log)
}

#[tokio::test]
async fn with_an_smtp_url_the_verification_mail_is_sent_over_smtp() {
    let (port, log) = fake_smtp(false).await;
    let app = TestApp::builder()
        .env(
            "MITXONLINE_SMTP_URL",
            &format!("smtp://mailer:p%40ss@127.0.0.1:{port}"),
        )
        .spawn()
        .await;
    let c = client();
    post_form(
        &app,
        &c,
        "/signup/",
        "/signup/",
        &[
            ("email", "smtp@example.com"),
            ("name", "Smtp Person"),
            ("password", "a good password"),
        ],
    )
    .await;
    let report = app.drain_outbox().await;
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM outbox WHERE destination = 'mail' AND status = 'delivered'")
            .await,
        1,
        "{report:?}"
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM mail_sandbox").await,
        0,
        "nothing kept in the sandbox"
    );
    let lines = log.lock().unwrap().clone();
    assert!(
        lines.iter().any(|l| l == "RCPT TO:<smtp@example.com>"),
        "{lines:?}"
    );
    assert!(lines.iter().any(|l| l.starts_with("AUTH PLAIN ")));
    assert!(
        lines
            .iter()
            .any(|l| l == "Subject: Confirm your MITx Online email address")
    );
    assert!(lines.iter().any(|l| l.contains("/verify-email/?token=")));
    app.shutdown().await;
}

#[tokio::test]
async fn a_mailbox_the_smtp_server_refuses_becomes_a_permanent_failure_not_a_crash() {
    let (port, _log) = fake_smtp(true).await;
    let app = TestApp::builder()
        .env("MITXONLINE_SMTP_URL", &format!("smtp://127.0.0.1:{port}"))
        .spawn()
        .await;
    app.expect_undelivered_to("mail");
    let c = client();
    post_form(
        &app,
        &c,
        "/password-reset/",
        "/password-reset/",
        &[("email", "nobody@example.com")],
    )
    .await;
    crate::support::identity::make_user(&app, "refused@example.com", "a good password", false).await;
    post_form(
        &app,
        &c,
        "/password-reset/",
        "/password-reset/",
        &[("email", "refused@example.com")],
    )
    .await;
    app.drain_outbox().await;
    assert_eq!(
        app.scalar_i64("SELECT permanent_failures FROM outbox WHERE destination = 'mail'")
            .await,
        1
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM outbox WHERE last_error LIKE '%550%'")
            .await,
        1
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_starttls_url_never_falls_back_to_sending_in_plaintext() {
    // The fake server offers no STARTTLS: a required-TLS transport must not send anything.
    let (port, log) = fake_smtp(false).await;
    let app = TestApp::builder()
        .env(
            "MITXONLINE_SMTP_URL",
            &format!("smtp+starttls://mailer:secret@127.0.0.1:{port}"),
        )
        .spawn()
        .await;
    crate::support::identity::make_user(&app, "tls@example.com", "a good password", false).await;
    let c = client();
    post_form(
        &app,
        &c,
        "/password-reset/",
        "/password-reset/",
        &[("email", "tls@example.com")],
    )
    .await;
    app.drain_outbox().await;
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM outbox WHERE destination = 'mail' AND status = 'delivered'")
            .await,
        0
    );
    let lines = log.lock().unwrap().clone();
    assert!(
        !lines
            .iter()
            .any(|l| l.starts_with("AUTH") || l.starts_with("MAIL FROM") || l.contains("token=")),
        "nothing but the greeting went out in plaintext: {lines:?}"
    );
    app.expect_undelivered_to("mail");
    app.shutdown().await;
}
