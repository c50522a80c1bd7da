//! Headless Chromium for page tests, driven over the W3C WebDriver protocol by chromedriver
//! (Debian's `chromium` and `chromium-driver`, installed by `scripts/install-test-deps`).
//!
//! [`Browser::start`] returns `None` (and says so) only outside CI when the tools are missing;
//! under CI a missing browser fails the test.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    http: reqwest::Client,
    _profile: tempfile::TempDir,
}

/// A found element.
#[derive(Clone, Debug)]
pub struct Element(String);

fn find_tool(names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| {
        let out = Command::new("which").arg(n).output().ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    })
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session (window 1280×900).
    pub async fn start() -> Option<Browser> {
        let driver_bin = find_tool(&["chromedriver"]);
        let chromium = find_tool(&["chromium", "chromium-browser", "google-chrome"]);
        let (Some(driver_bin), Some(chromium)) = (driver_bin, chromium) else {
            assert!(
                std::env::var_os("CI").is_none(),
                "chromium/chromedriver missing under CI: scripts/install-test-deps must install them"
            );
            eprintln!("SKIPPED: chromium or chromedriver not installed (run scripts/install-test-deps)");
            return None;
        };
        let port = super::process::free_port();
        let driver = Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        for _ in 0..200 {
            if http.get(format!("{base}/status")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:loggingPrefs": { "browser": "ALL" },
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-quic", "--no-first-run", "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }
        }}});
        let resp: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .expect("create session")
            .json()
            .await
            .unwrap();
        let session = resp["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {resp}"))
            .to_owned();
        Some(Browser {
            driver,
            base,
            session,
            http,
            _profile: profile,
        })
    }

    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut req = self.http.request(method, url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let v: Value = req.send().await.expect("webdriver call").json().await.unwrap();
        if let Some(err) = v["value"].get("error") {
            panic!("webdriver {path}: {err}: {}", v["value"]["message"]);
        }
        v["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.cmd(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await;
    }

    /// Waits up to 10 s until `test(url, source)` holds; panics naming `what` otherwise.
    pub async fn wait_until(&self, what: &str, test: impl Fn(&str, &str) -> bool) {
        for _ in 0..200 {
            if test(&self.current_url().await, &self.source().await) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "never saw {what}; at {} with {}",
            self.current_url().await,
            self.source().await
        );
    }

    pub async fn current_url(&self) -> String {
        self.cmd(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn title(&self) -> String {
        self.cmd(reqwest::Method::GET, "/title", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn source(&self) -> String {
        self.cmd(reqwest::Method::GET, "/source", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Finds one element by CSS selector, waiting up to 5 s for it to appear.
    pub async fn find(&self, css: &str) -> Element {
        for _ in 0..100 {
            if let Some(e) = self.try_find(css).await {
                return e;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no element matches `{css}` on {}", self.current_url().await);
    }

    pub async fn try_find(&self, css: &str) -> Option<Element> {
        let url = format!("{}/session/{}/element", self.base, self.session);
        let v: Value = self
            .http
            .post(url)
            .json(&json!({ "using": "css selector", "value": css }))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        v["value"][ELEMENT_KEY].as_str().map(|id| Element(id.to_owned()))
    }

    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        let v = self
            .cmd(
                reqwest::Method::POST,
                "/elements",
                Some(json!({ "using": "css selector", "value": css })),
            )
            .await;
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e[ELEMENT_KEY].as_str().map(|s| Element(s.to_owned())))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub async fn click(&self, el: &Element) {
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{}/click", el.0),
            Some(json!({})),
        )
        .await;
    }

    pub async fn type_text(&self, el: &Element, text: &str) {
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{}/value", el.0),
            Some(json!({ "text": text })),
        )
        .await;
    }

    pub async fn clear(&self, el: &Element) {
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{}/clear", el.0),
            Some(json!({})),
        )
        .await;
    }

    pub async fn text(&self, el: &Element) -> String {
        self.cmd(reqwest::Method::GET, &format!("/element/{}/text", el.0), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn attr(&self, el: &Element, name: &str) -> Option<String> {
        self.cmd(
            reqwest::Method::GET,
            &format!("/element/{}/attribute/{name}", el.0),
            None,
        )
        .await
        .as_str()
        .map(str::to_owned)
    }

    /// Runs JavaScript in the page and returns its result.
    pub async fn eval(&self, script: &str) -> Value {
        self.cmd(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({ "script": script, "args": [] })),
        )
        .await
    }

    /// The browser console's messages since the last call (chromedriver's log endpoint), as
    /// `LEVEL message` lines; CSP violations appear here as `SEVERE` "Refused to …" messages.
    pub async fn console(&self) -> Vec<String> {
        let v = self
            .cmd(
                reqwest::Method::POST,
                "/se/log",
                Some(json!({ "type": "browser" })),
            )
            .await;
        v.as_array()
            .map(|entries| {
                entries
                    .iter()
                    .map(|e| {
                        format!(
                            "{} {}",
                            e["level"].as_str().unwrap_or_default(),
                            e["message"].as_str().unwrap_or_default()
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The console lines that contain `needle` (e.g. `SEVERE` for errors, `Refused` for CSP).
    pub async fn console_lines(&self, needle: &str) -> Vec<String> {
        self.console()
            .await
            .into_iter()
            .filter(|l| l.contains(needle))
            .collect()
    }

    /// Presses Tab `n` times in the page (keyboard navigation checks).
    pub async fn press_tab(&self, n: usize) {
        let keys: Vec<Value> = (0..n)
            .flat_map(|_| {
                [
                    json!({ "type": "keyDown", "value": "\u{E004}" }),
                    json!({ "type": "keyUp", "value": "\u{E004}" }),
                ]
            })
            .collect();
        self.cmd(
            reqwest::Method::POST,
            "/actions",
            Some(json!({ "actions": [{ "type": "key", "id": "kb", "actions": keys }] })),
        )
        .await;
    }

    pub async fn set_window_size(&self, width: u32, height: u32) {
        self.cmd(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({ "width": width, "height": height })),
        )
        .await;
    }

    /// PNG screenshot of the viewport.
    pub async fn screenshot(&self) -> Vec<u8> {
        use base64::Engine as _;
        let v = self.cmd(reqwest::Method::GET, "/screenshot", None).await;
        base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or_default())
            .unwrap_or_default()
    }

    /// Prints the page to PDF (WebDriver "Print Page") on paper of `width` × `height` cm,
    /// landscape, and returns the PDF bytes.
    pub async fn print_pdf(&self, width_cm: f64, height_cm: f64) -> Vec<u8> {
        self.print_pdf_as("landscape", width_cm, height_cm).await
    }

    /// [`Browser::print_pdf`] in `orientation` ("portrait" or "landscape").
    pub async fn print_pdf_as(&self, orientation: &str, width_cm: f64, height_cm: f64) -> Vec<u8> {
        use base64::Engine as _;
        let v = self
            .cmd(
                reqwest::Method::POST,
                "/print",
                Some(json!({ "orientation": orientation, "background": true,
                             "page": { "width": width_cm, "height": height_cm } })),
            )
            .await;
        base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or_default())
            .unwrap_or_default()
    }

    /// Ends the session and the driver.
    pub async fn quit(mut self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send()
            .await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}

/// axe-core's `axe.min.js`, installed by `scripts/install-test-deps` (`MITXONLINE_TEST_AXE`,
/// else the project's `.test-deps/`). Missing outside CI: None (the audit says it skipped);
/// missing under CI: the test fails.
pub fn axe_source() -> Option<String> {
    let path = std::env::var_os("MITXONLINE_TEST_AXE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join(".test-deps/node_modules/axe-core/axe.min.js")
        });
    match std::fs::read_to_string(&path) {
        Ok(s) => Some(s),
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "axe-core missing under CI ({}: {e}): scripts/install-test-deps must install it",
                path.display()
            );
            eprintln!(
                "SKIPPED axe audit: {} missing (run scripts/install-test-deps)",
                path.display()
            );
            None
        }
    }
}

/// Runs axe-core on the current page for WCAG 2.0/2.1 A and AA; the violations, one line each.
pub async fn axe_violations(b: &Browser, axe: &str) -> Vec<String> {
    let loaded = b.eval(&format!("{axe}\n;return typeof window.axe;")).await;
    assert_eq!(loaded, "object", "axe-core did not load");
    let v = b
        .eval(
            "return axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
               .then(r => r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at '
                 + v.nodes.slice(0, 5).map(n => n.target.join(' ')).join(' | ')));",
        )
        .await;
    v.as_array()
        .unwrap_or_else(|| panic!("axe.run answered {v}"))
        .iter()
        .map(|x| x.as_str().unwrap_or_default().to_owned())
        .collect()
}
