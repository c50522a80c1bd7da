//! nginx from Debian standing in for APISIX: a config generated from the APISIX routes (each
//! route a `location`, `proxy-rewrite` a `rewrite`, `response-rewrite` `add_header`s,
//! `redirect` a `return`), TLS with a throw-away certificate, and a fake identity provider in
//! the place of openid-connect + Keycloak: `/fake-idp/authorize/<path>` "signs in" (a cookie
//! holding the base64 userinfo APISIX would keep in its session) and sends the browser back;
//! every proxied request carries that userinfo as `X-Userinfo` and never the client's own.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use super::apisix::{Document, Route};

pub const IDP_COOKIE: &str = "fake_idp";

pub struct Gateway {
    child: Child,
    /// `https://127.0.0.1:<port>`
    pub origin: String,
    pub dir: tempfile::TempDir,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        // SIGTERM: the master stops its workers (SIGKILL would leave them listening).
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        for _ in 0..100 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tool(name: &str) -> Option<String> {
    ["/usr/sbin/", "/usr/bin/", "/usr/local/sbin/", "/usr/local/bin/"]
        .iter()
        .map(|d| format!("{d}{name}"))
        .find(|p| Path::new(p).exists())
}

/// nginx and openssl, or `None` (said on stderr) outside CI when they are missing.
pub fn tools() -> Option<(String, String)> {
    match (tool("nginx"), tool("openssl")) {
        (Some(n), Some(o)) => Some((n, o)),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "nginx/openssl missing under CI: scripts/install-test-deps must install them"
            );
            eprintln!("SKIPPED: nginx or openssl not installed (run scripts/install-test-deps)");
            None
        }
    }
}

/// The nginx `location` for an APISIX uri (`/a/*` and `/a*` are prefixes, others exact).
fn location(uri: &str) -> String {
    match uri.strip_suffix('*') {
        Some(prefix) => format!("^~ {prefix}"),
        None => format!("= {uri}"),
    }
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_default()
}

fn route_body(route: &Route) -> String {
    let mut b = String::new();
    if let Some(redirect) = route.plugins.get("redirect") {
        writeln!(b, "    return 302 {};", str_of(redirect, "uri")).unwrap();
        return b;
    }
    if route.requires_auth() {
        writeln!(
            b,
            "    if ($cookie_{IDP_COOKIE} = \"\") {{ return 302 /fake-idp/authorize$request_uri; }}"
        )
        .unwrap();
    }
    if route.oidc().is_some_and(|o| o["set_userinfo_header"] == true) {
        writeln!(b, "    proxy_set_header X-Userinfo $cookie_{IDP_COOKIE};").unwrap();
    } else {
        b.push_str("    proxy_set_header X-Userinfo \"\";\n");
    }
    b.push_str(
        "    proxy_set_header X-Access-Token \"\";\n    proxy_set_header X-Id-Token \"\";\n    \
         proxy_set_header Host $http_host;\n    proxy_set_header X-Forwarded-For $remote_addr;\n    \
         proxy_set_header X-Forwarded-Proto $scheme;\n",
    );
    if let Some(rw) = route.plugins.get("proxy-rewrite") {
        let re = rw["regex_uri"].as_array().expect("regex_uri pair");
        writeln!(
            b,
            "    rewrite \"{}$\" \"{}\" break;",
            re[0].as_str().unwrap(),
            re[1].as_str().unwrap()
        )
        .unwrap();
    }
    b.push_str("    proxy_pass http://mitxonline;\n    proxy_redirect off;\n");
    if let Some(set) = route
        .plugins
        .get("response-rewrite")
        .and_then(|r| r["headers"]["set"].as_object())
    {
        for (k, v) in set {
            let v = v.as_str().unwrap_or_default().replace('"', "\\\"");
            // `set` replaces the app's header: hide it, then add the gateway's.
            writeln!(
                b,
                "    proxy_hide_header {k};\n    add_header {k} \"{v}\" always;"
            )
            .unwrap();
        }
    }
    b
}

/// The nginx configuration for `doc` on `port`, proxying to `upstream` (`host:port`), the
/// fake identity provider signing everyone in as `userinfo` (base64 JSON).
pub fn config(doc: &Document, dir: &Path, port: u16, upstream: &str, userinfo: &str) -> String {
    let logout_paths: std::collections::BTreeSet<(&str, &str)> = doc
        .routes
        .iter()
        .filter_map(Route::oidc)
        .map(|o| (str_of(o, "logout_path"), str_of(o, "post_logout_redirect_uri")))
        .collect();
    assert_eq!(
        logout_paths.len(),
        1,
        "one logout path and post-logout URL: {logout_paths:?}"
    );
    let (logout_path, post_logout) = logout_paths.into_iter().next().unwrap();
    let d = dir.display();
    let user = if unsafe { libc::geteuid() } == 0 {
        "user root root;\n"
    } else {
        ""
    };
    let mut c = format!(
        "{user}worker_processes 1;\ndaemon off;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
         events {{ worker_connections 256; }}\nhttp {{\n  access_log {d}/access.log;\n  \
         client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  fastcgi_temp_path {d}/fcgi;\n  \
         uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n  \
         upstream mitxonline {{ server {upstream}; }}\n  server {{\n  listen 127.0.0.1:{port} ssl;\n  \
         ssl_certificate {d}/cert.pem;\n  ssl_certificate_key {d}/key.pem;\n  absolute_redirect off;\n"
    );
    // The identity provider: signs in and returns to the page that asked.
    write!(
        c,
        "  location ^~ /fake-idp/authorize/ {{\n    set $back /;\n    \
         if ($request_uri ~ \"^/fake-idp/authorize(/.*)$\") {{ set $back $1; }}\n    \
         add_header Set-Cookie \"{IDP_COOKIE}={userinfo}; Path=/; HttpOnly; Secure; SameSite=Lax\" always;\n    \
         return 302 $back;\n  }}\n"
    )
    .unwrap();
    // openid-connect's logout_path: the gateway session ends, Keycloak's end-session sends the
    // browser on to the post-logout URL.
    write!(
        c,
        "  location = {logout_path} {{\n    \
         add_header Set-Cookie \"{IDP_COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure\" always;\n    \
         return 302 {post_logout};\n  }}\n"
    )
    .unwrap();
    for route in &doc.routes {
        for uri in &route.uris {
            writeln!(
                c,
                "  location {} {{ # {}\n{}  }}",
                location(uri),
                route.id,
                route_body(route)
            )
            .unwrap();
        }
    }
    c.push_str("  }\n}\n");
    c
}

impl Gateway {
    pub async fn start(
        tools: &(String, String),
        doc: &Document,
        port: u16,
        upstream: &str,
        userinfo: &str,
    ) -> Gateway {
        let dir = tempfile::tempdir().unwrap();
        let (nginx, openssl) = tools;
        let p = dir.path();
        let made = Command::new(openssl)
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=127.0.0.1",
            ])
            .args(["-addext", "subjectAltName=IP:127.0.0.1"])
            .arg("-keyout")
            .arg(p.join("key.pem"))
            .arg("-out")
            .arg(p.join("cert.pem"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run openssl");
        assert!(made.success(), "openssl made no certificate");
        let conf = config(doc, p, port, upstream, userinfo);
        std::fs::write(p.join("nginx.conf"), &conf).unwrap();
        let child = Command::new(nginx)
            .arg("-p")
            .arg(p)
            .arg("-c")
            .arg(p.join("nginx.conf"))
            .arg("-e")
            .arg(p.join("error.log"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx");
        let mut gw = Gateway {
            child,
            origin: format!("https://127.0.0.1:{port}"),
            dir,
        };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return gw;
            }
            if let Ok(Some(status)) = gw.child.try_wait() {
                let log = std::fs::read_to_string(gw.dir.path().join("error.log")).unwrap_or_default();
                panic!("nginx exited ({status}): {log}\n--- config ---\n{conf}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("nginx did not listen on {port}");
    }

    /// A cookie-keeping https client for the gateway (its certificate is made up), not
    /// following redirects.
    pub fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .tls_danger_accept_invalid_certs(true)
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }
}
