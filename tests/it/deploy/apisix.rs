//! Reads `deploy/apisix/apisix.yaml` as APISIX does: `${{NAME}}` / `${{NAME:=default}}` filled
//! from an environment, then the routes with their plugins.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

pub const PREFIX: &str = "/mitxonline";

#[derive(Debug, Deserialize)]
pub struct Document {
    pub routes: Vec<Route>,
    #[serde(default)]
    pub upstreams: Vec<Value>,
    #[serde(default)]
    pub global_rules: Vec<Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Route {
    pub id: String,
    #[serde(default)]
    pub priority: i64,
    pub uris: Vec<String>,
    #[serde(default)]
    pub upstream_id: Option<String>,
    #[serde(default)]
    pub plugins: BTreeMap<String, Value>,
}

impl Route {
    pub fn oidc(&self) -> Option<&Value> {
        self.plugins.get("openid-connect")
    }

    /// Whether an anonymous request is sent to the identity provider first.
    pub fn requires_auth(&self) -> bool {
        self.oidc()
            .is_some_and(|o| o["unauth_action"].as_str() == Some("auth"))
    }
}

/// The file's text with every `${{NAME}}` replaced from `env` (or its default); panics on a
/// variable that has neither, as APISIX refuses to start then.
pub fn substitute(text: &str, env: &BTreeMap<&str, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 3..];
        let end = after.find("}}").expect("unclosed ${{ in apisix.yaml");
        let (name, default) = match after[..end].split_once(":=") {
            Some((n, d)) => (n.trim(), Some(d)),
            None => (after[..end].trim(), None),
        };
        match (env.get(name), default) {
            (Some(v), _) => out.push_str(v),
            (None, Some(d)) => out.push_str(d),
            (None, None) => panic!("apisix.yaml needs {name}, which has no default"),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

pub fn raw() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/apisix/apisix.yaml"))
        .expect("deploy/apisix/apisix.yaml")
}

/// The routes, with the variables filled from `env`.
pub fn load(env: &BTreeMap<&str, String>) -> Document {
    let text = substitute(&raw(), env);
    serde_norway::from_str(&text).expect("apisix.yaml parses")
}

/// Values for every variable the file names without a default.
pub fn test_env(upstream: &str, post_logout: &str) -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        ("MITXONLINE_UPSTREAM", upstream.to_owned()),
        ("KEYCLOAK_CLIENT_ID", "ol-mitlearn-client".to_owned()),
        ("KEYCLOAK_CLIENT_SECRET", "test-secret".to_owned()),
        (
            "KEYCLOAK_DISCOVERY_URL",
            "https://sso.example/realms/olapps/.well-known/openid-configuration".to_owned(),
        ),
        (
            "APISIX_SESSION_SECRET_KEY",
            "0123456789abcdef0123456789abcdef".to_owned(),
        ),
        ("MITXONLINE_POST_LOGOUT_URL", post_logout.to_owned()),
    ])
}

#[test]
fn substitution_takes_the_environment_then_the_default() {
    let env = BTreeMap::from([("A", "1".to_owned())]);
    assert_eq!(substitute("x${{A}}y${{B:=2}}z${{A:=9}}", &env), "x1y2z1");
}
