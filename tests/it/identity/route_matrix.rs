//! The route matrix: every route declared in `src/` (`.route("…", get(…).post(…))`, a path
//! constant, or a per-prefix builder's `&r("…")` / `&format!("{base}…")`; a route it cannot
//! read fails the test), every
//! method it declares, called by every kind of caller — anonymous, learner, staff, superuser,
//! catalog API key, staff API key, and an OAuth2 application's `user:read` token (of a
//! superuser, the worst case). What each caller may get follows from the route's class, which
//! is derived from its path by [`classify`]; a route no rule classifies fails the test until
//! it is classified, so a new route cannot slip in unreviewed.

use mitxonline::users::api_keys::Scope;

use crate::support::identity::{header_token, make_user, signed_in, signed_in_superuser};
use crate::support::{TestApp, client};

/// What a route is, for access control.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Anyone; an application token counts as anonymous.
    Public,
    /// Signed-in people (session or gateway); keys and application tokens are refused.
    SignedIn,
    /// Signed-in people, about one account (may answer 403 for someone else's id).
    OwnAccount,
    /// Staff people and staff-scope API keys.
    Staff,
    /// Signed-in superusers only.
    Superuser,
    /// Any API key, or a signed-in `is_etl` user or superuser (the original's
    /// `HasAPIKey | IsEtlUser`); an application token never.
    ApiKeyOrEtl,
    /// Only a staff service account's bearer token: every caller here is refused.
    ServiceToken,
    /// Reading one's own account; application tokens with `user:read` pass.
    OAuthUserRead,
    /// The OIDC userinfo endpoint: signed-in people and `user:read`/`openid` tokens.
    OAuthUserinfo,
    /// Ends the caller's session: tested last, anything but a server error.
    Logout,
    /// Gateway results: authenticated by their signature, refused to every caller here.
    GatewaySigned,
    /// Not checked beyond "no server error": routers not mounted on the server (the in-process
    /// edX sandbox), the CyberSource and Google Sheets sandboxes' partner APIs, and `/login` (a
    /// redirect to `/login/`).
    Unchecked,
}

/// The class of `method path` declared in `file`; `None` when no rule knows it.
fn classify(method: &str, path: &str, file: &str) -> Option<Class> {
    use Class::*;
    if file.contains("integrations/openedx/sandbox/")
        || file.contains("integrations/cybersource/sandbox/")
        || path == "/login"
    {
        return Some(Unchecked);
    }
    let superuser_only = [
        ("POST", "/staff/users/{id}/roles/"),
        ("POST", "/staff/users/{id}/retire/"),
        ("POST", "/staff/access-tokens/"),
    ];
    if superuser_only.contains(&(method, path)) {
        return Some(Superuser);
    }
    // The flexible-pricing API (legacy and v0 paths): learners read and apply, staff decide
    // and set rates and thresholds.
    if let Some(rest) = path
        .strip_prefix("/api/flexible_pricing/")
        .or_else(|| path.strip_prefix("/api/v0/flexible_pricing/"))
    {
        return Some(match (method, rest) {
            (_, "applications/") => SignedIn,
            ("GET", "applications/{id}/") => OwnAccount,
            ("GET", r) if r.starts_with("exchange_rates/") || r.starts_with("income_thresholds/") => SignedIn,
            _ => Staff,
        });
    }
    let class = match path {
        // The sandbox Google Sheets API: a partner's sandbox, answering as Google does (401 to
        // any credentials but its own token), like the edX and CyberSource sandboxes.
        p if p.starts_with("/sandbox/sheets/") => Unchecked,
        p if p.starts_with("/api/products/all/") || p.starts_with("/api/v0/products/all/") => Staff,
        // The flexible-pricing request form: anyone reads it, people submit it.
        p if p.ends_with("/financial-assistance-request/") && method == "GET" => Public,
        p if p.ends_with("/financial-assistance-request/") => SignedIn,
        p if p.starts_with("/logout") => Logout,
        p if p.starts_with("/scim/") || p.starts_with("/api/openedx_webhook/") => ServiceToken,
        // The program console (issue 17): staff pages and their forms.
        "/staff/catalog/programs/"
        | "/staff/catalog/programs/new/"
        | "/staff/catalog/programs/{id}/"
        | "/staff/catalog/programs/{id}/requirements/"
        | "/staff/catalog/collections/"
        | "/staff/catalog/collections/{id}/" => Staff,
        p if p.starts_with("/staff/")
            || p.starts_with("/api/v0/staff/")
            || p.contains("user_search")
            || p.starts_with("/api/discounts/")
            || p.starts_with("/api/v0/discounts/")
            || p.starts_with("/api/v0/orders/{id}/refunds/") =>
        {
            Staff
        }
        // B2B: managers' data is about their own organizations (404 for others).
        p if p.starts_with("/api/v0/b2b/manager/") => OwnAccount,
        "/api/v0/b2b/service/organization-manager-check/" => ServiceToken,
        "/api/v0/b2b/webhook"
        | "/api/v0/b2b/organizations/"
        | "/api/v0/b2b/organizations/{slug}/"
        | "/api/v0/b2b/contracts/"
        | "/api/v0/b2b/contracts/{slug}/" => Public,
        p if p.starts_with("/api/v0/b2b/") || p == "/api/v3/courses/variant_runs/" => SignedIn,
        p if p.starts_with("/api/internal/") => ApiKeyOrEtl,
        "/api/users/me" | "/api/v0/users/me" | "/api/v0/users/current_user/" if method == "GET" => {
            OAuthUserRead
        }
        "/api/v0/userinfo/" => OAuthUserRead,
        p if p.contains("enrollments/{") => OwnAccount,
        p if p.contains("enrollments") => SignedIn,
        "/oauth2/userinfo/" => OAuthUserinfo,
        "/api/users/{id}/"
        | "/api/v0/users/{id}/"
        | "/api/v2/enrollments/{id}/"
        | "/api/v3/enrollments/{id}/"
        | "/orders/receipt/{id}/"
        | "/api/orders/receipt/{id}/"
        | "/api/v0/orders/receipt/{id}/"
        | "/api/v0/baskets/{id}/"
        | "/dashboard/enrollments/{id}/emails/"
        | "/api/v0/orders/history/{id}/" => OwnAccount,
        "/api/users/me"
        | "/api/v0/users/me"
        | "/api/v0/users/current_user/"
        | "/api/profile/details/"
        | "/api/profile/extra/"
        | "/api/change-emails/"
        | "/api/v0/change-emails/"
        | "/api/change_email_settings"
        | "/api/checkout/redeem_discount/"
        | "/api/v0/baskets/add_discount/"
        | "/api/orders/history/"
        | "/api/v0/orders/history/"
        | "/api/v0/orders/refund-requests/"
        | "/api/v0/baskets/"
        | "/api/v0/baskets/checkout/"
        | "/api/v1/enrollments/"
        | "/api/v2/enrollments/"
        | "/api/v3/enrollments/"
        | "/api/v1/program_enrollments/"
        | "/api/v2/program_enrollments/"
        | "/api/v2/verified_program_enrollments/{run_key}/"
        | "/api/v1/partnerschools/"
        | "/api/records/program/{id}/"
        | "/api/records/program/{id}/share/"
        | "/api/records/program/{id}/revoke/"
        | "/records/{program}/"
        | "/records/{program}/share/"
        | "/records/{program}/revoke/"
        | "/account-settings/"
        | "/account-settings/email/"
        | "/account-settings/password/"
        | "/create-profile/"
        | "/create-profile-extra/"
        | "/profile/"
        | "/dashboard/"
        | "/enrollments/"
        | "/cart/coupon/"
        | "/orders/history/"
        | "/orders/receipt/by-run/{id}/"
        | "/orders/receipt/by-program/{id}/"
        | "/oauth2/authorize"
        | "/oauth2/authorize/" => SignedIn,
        p if p.starts_with("/api/v0/orders/status/") => SignedIn,
        "/checkout/result/" | "/api/checkout/result/" => GatewaySigned,
        "/checkout/to_payment" | "/checkout/anonymous" | "/checkout/anonymous/" => SignedIn,
        "/api/v0/baskets/clear/" => Public,
        // With a discount code it needs a user (codes are redeemed by people).
        p if p.starts_with("/api/v0/baskets/create_from_product/") && p.ends_with("{code}/") => SignedIn,
        p if p.starts_with("/api/v0/baskets/create_from_product/") => Public,
        p if p.starts_with("/api/v0/baskets/") => SignedIn,
        "/"
        | "/{slug}/"
        | "/robots.txt"
        | "/sitemap.xml"
        | "/metrics"
        | "/media/{id}/"
        | "/static/{name}"
        | "/catalog/"
        | "/catalog/{tab}/"
        | "/catalog/{tab}/{department}/"
        | "/courses/{readable_id}/"
        | "/programs/{readable_id}/"
        | "/certificate/{uuid}/"
        | "/certificate/program/{uuid}/"
        | "/records/shared/{uuid}/"
        | "/api/records/shared/{uuid}/"
        | "/login"
        | "/login/"
        | "/account/action/start/{action}/"
        | "/login/oidc/"
        | "/login/oidc/callback/"
        | "/signup/"
        | "/verify-email/"
        | "/account/confirm-email"
        | "/account/action/complete"
        | "/cart"
        | "/cart/"
        | "/cart/add"
        | "/cart/add/"
        | "/api/checkout/add_to_cart/"
        | "/api/checkout/cart/"
        | "/api/checkout/basket_items_count/"
        | "/.well-known/openid-configuration"
        | "/oauth2/.well-known/openid-configuration"
        | "/oauth2/.well-known/jwks.json"
        | "/oauth2/token/"
        | "/oauth2/revoke_token/"
        | "/api/countries/"
        | "/api/v0/countries/"
        // Our OpenAPI document and its viewer.
        | "/api/schema/"
        | "/api/schema/swagger-ui/"
        // The load bench's plain-text ceiling; mounted only with MITXONLINE_BENCH_PING=true.
        | "/bench/ping" => Public,
        p if p.starts_with("/health/")
            || p.starts_with("/password-reset")
            || p.starts_with("/api/change-emails/")
            || p.starts_with("/api/v0/change-emails/")
            || p.starts_with("/api/products/")
            || p.starts_with("/api/v0/products/")
            || p.starts_with("/api/v1/")
            || p.starts_with("/api/v2/")
            || p == "/api/v3/courses/{course_id}/ol_openedx_outline/" =>
        {
            Public
        }
        _ => return None,
    };
    Some(class)
}

/// Every declared route: (path, methods, file).
fn declared() -> Vec<(String, Vec<String>, String)> {
    fn methods_of(call: &str) -> Vec<String> {
        let mut out = Vec::new();
        for m in ["get", "post", "put", "patch", "delete"] {
            let needle = format!("{m}(");
            let mut rest = call;
            while let Some(at) = rest.find(&needle) {
                let before = rest[..at].chars().last();
                if !before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    out.push(m.to_uppercase());
                    break;
                }
                rest = &rest[at + needle.len()..];
            }
        }
        out
    }
    fn walk(
        dir: &std::path::Path,
        out: &mut Vec<(String, Vec<String>, String)>,
        unreadable: &mut Vec<String>,
    ) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out, unreadable);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let mut rest = text.as_str();
            while let Some(at) = rest.find(".route(") {
                let offset = text.len() - rest.len() + at;
                rest = &rest[at + ".route(".len()..];
                let arg = rest.trim_start();
                let paths = if let Some(lit) = arg.strip_prefix('"') {
                    lit.find('"').map(|end| vec![lit[..end].to_owned()])
                } else {
                    // A router built per prefix: `fn NAME(base: &str)` with `&r("/x/")` or
                    // `&format!("{base}/x/")`, mounted as `NAME("/prefix")` in the same file.
                    prefixed(&text, offset, arg)
                };
                let Some(paths) = paths else {
                    unreadable.push(format!("{}: {}", path.display(), &arg[..arg.len().min(40)]));
                    continue;
                };
                // The arguments up to the `.route(` call's closing parenthesis.
                let mut depth = 1;
                let call: String = rest
                    .chars()
                    .take_while(|c| {
                        depth += match c {
                            '(' => 1,
                            ')' => -1,
                            _ => 0,
                        };
                        depth > 0
                    })
                    .collect();
                for p in paths {
                    out.push((p, methods_of(&call), path.display().to_string()));
                }
            }
        }
    }
    /// The full paths of a route whose path is not a literal: a path constant of the file, or a
    /// route declared inside a per-prefix builder (one path per prefix it is mounted under);
    /// `None` when the declaration is not one this test can read.
    fn prefixed(text: &str, offset: usize, arg: &str) -> Option<Vec<String>> {
        // `CONST` or `&format!("{CONST}/x/")`: a path constant of this file, or else one
        // declared once under src/.
        let constant = |name: &str| {
            let decl = format!("const {name}: &str = \"");
            let value = |t: &str| {
                let lit = &t[t.find(&decl)? + decl.len()..];
                Some(lit[..lit.find('"')?].to_owned())
            };
            if let Some(own) = value(text) {
                return Some(own);
            }
            let mut found = sources().iter().filter_map(|t| value(t));
            let first = found.next()?;
            found.all(|o| o == first).then_some(first)
        };
        let ident_end =
            |s: &str| s.find(|c: char| !(c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit()));
        if let Some(end) = ident_end(arg).filter(|e| *e > 0 && arg[*e..].starts_with(',')) {
            return constant(&arg[..end]).map(|p| vec![p]);
        }
        if let Some(lit) = arg.strip_prefix("&format!(\"{")
            && let Some(end) = ident_end(lit).filter(|e| *e > 0 && lit[*e..].starts_with('}'))
            && &lit[..end] != "base"
        {
            let tail = &lit[end + 1..];
            let tail = tail[..tail.find('"')?].replace("{{", "{").replace("}}", "}");
            return constant(&lit[..end]).map(|c| vec![format!("{c}{tail}")]);
        }
        let suffix = if let Some(lit) = arg.strip_prefix("&r(\"") {
            lit[..lit.find('"')?].to_owned()
        } else if let Some(lit) = arg.strip_prefix("&format!(\"{base}") {
            lit[..lit.find('"')?].replace("{{", "{").replace("}}", "}")
        } else {
            return None;
        };
        let header = &text[text[..offset].rfind("fn ")? + 3..];
        let name = &header[..header.find('(')?];
        if !header[name.len()..].starts_with("(base: &str)") {
            return None;
        }
        let call = format!("{name}(\"");
        let bases: Vec<String> = text
            .match_indices(&call)
            .filter(|(at, _)| !text[..*at].ends_with("fn "))
            .filter_map(|(at, _)| {
                let lit = &text[at + call.len()..];
                Some(lit[..lit.find('"')?].to_owned())
            })
            .collect();
        (!bases.is_empty()).then(|| bases.iter().map(|b| format!("{b}{suffix}")).collect())
    }
    /// Every source file's text, read once.
    fn sources() -> &'static [String] {
        static ALL: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        ALL.get_or_init(|| {
            fn read(dir: &std::path::Path, out: &mut Vec<String>) {
                for entry in std::fs::read_dir(dir).unwrap() {
                    let p = entry.unwrap().path();
                    if p.is_dir() {
                        read(&p, out);
                    } else if p.extension().is_some_and(|e| e == "rs") {
                        out.push(std::fs::read_to_string(&p).unwrap());
                    }
                }
            }
            let mut out = Vec::new();
            read(
                &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
                &mut out,
            );
            out
        })
    }
    let mut out = Vec::new();
    let mut unreadable = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut out,
        &mut unreadable,
    );
    assert!(
        unreadable.is_empty(),
        "routes this test cannot read (write the path literally, or per prefix as the others): {unreadable:#?}"
    );
    out
}

fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for ch in path.chars() {
        match ch {
            '{' => in_param = true,
            '}' => {
                in_param = false;
                out.push('1');
            }
            _ if !in_param => out.push(ch),
            _ => {}
        }
    }
    out
}

/// A kind of caller, its client, and the headers it sends.
type Caller = (Who, reqwest::Client, Vec<(&'static str, String)>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    Learner,
    Staff,
    Superuser,
    CatalogKey,
    StaffKey,
    OAuthUserRead,
}

/// Whether `who` may pass the access check of a route of `class`: `Some(true)` must pass (not
/// 401/403), `Some(false)` must be refused, `None` is not checked beyond "no server error".
fn may(class: Class, who: Who) -> Option<bool> {
    use Who::*;
    let person = matches!(who, Learner | Staff | Superuser);
    Some(match class {
        Class::Public => true,
        Class::SignedIn => person,
        Class::OwnAccount if person => return None,
        Class::OwnAccount => false,
        Class::Staff => matches!(who, Staff | Superuser | StaffKey),
        Class::Superuser => who == Superuser,
        Class::ApiKeyOrEtl => matches!(who, CatalogKey | StaffKey | Superuser),
        Class::ServiceToken | Class::GatewaySigned => false,
        Class::OAuthUserRead => true,
        Class::OAuthUserinfo => person || who == OAuthUserRead,
        Class::Logout | Class::Unchecked => return None,
    })
}

fn refused(status: u16, location: Option<&str>) -> bool {
    matches!(status, 401 | 403) || (status == 303 && location.is_some_and(|l| l.contains("/login/")))
}

#[tokio::test]
async fn every_route_and_method_answers_each_kind_of_caller_as_its_class_says() {
    let app = TestApp::spawn().await;
    // Staff callers reach the learner page's "Retry edX sync" for user 1, which queues its edX
    // account creation.
    app.expect_undrained(&["openedx"]);
    // Id 1 of keys and tokens are throwaways, for the routes that revoke "1".
    let _throwaway = app.api_key(Scope::Catalog).await;
    let nobody = make_user(&app, "m-nobody@example.com", "a good password", false).await;
    crate::support::identity::service_token(&app, nobody).await;
    let catalog_key = app.api_key(Scope::Catalog).await;
    let staff_key = app.api_key(Scope::Staff).await;
    let anonymous = client();
    let anon_token = crate::support::identity::csrf_from(&app, &anonymous, "/login/").await;
    let learner = signed_in(&app, "m-learner@example.com", false).await;
    let staff = signed_in(&app, "m-staff@example.com", true).await;
    let root = signed_in_superuser(&app, "m-root@example.com").await;
    make_user(&app, "m-other@example.com", "a good password", false).await;
    let root_id = app
        .scalar_i64("SELECT id FROM users WHERE email = 'm-root@example.com'")
        .await;
    let oauth = oauth_token(&app, root_id).await;
    let mut callers: Vec<Caller> = vec![
        (Who::Anonymous, anonymous, vec![("x-csrftoken", anon_token)]),
        (
            Who::CatalogKey,
            client(),
            vec![("authorization", format!("Api-Key {catalog_key}"))],
        ),
        (
            Who::StaffKey,
            client(),
            vec![("authorization", format!("Api-Key {staff_key}"))],
        ),
        (
            Who::OAuthUserRead,
            client(),
            vec![("authorization", format!("Bearer {oauth}"))],
        ),
    ];
    for (who, c) in [
        (Who::Learner, learner),
        (Who::Staff, staff),
        (Who::Superuser, root),
    ] {
        let t = header_token(&app, &c).await;
        callers.push((who, c, vec![("x-csrftoken", t)]));
    }
    let mut routes = declared();
    assert!(routes.len() > 150, "the scan found the routes: {}", routes.len());
    // The catalog console (staff only, by the `/staff/` rule): every route is scanned.
    for (path, method) in [
        ("/staff/catalog/", "GET"),
        ("/staff/catalog/departments/", "GET"),
        ("/staff/catalog/departments/", "POST"),
        ("/staff/catalog/departments/{id}/", "POST"),
        ("/staff/catalog/topics/", "POST"),
        ("/staff/catalog/courses/", "POST"),
        ("/staff/catalog/courses/new/", "GET"),
        ("/staff/catalog/courses/{id}/", "GET"),
        ("/staff/catalog/courses/{id}/", "POST"),
        ("/staff/catalog/courses/{id}/runs/new/", "GET"),
        ("/staff/catalog/runs/", "POST"),
        ("/staff/catalog/runs/{id}/", "GET"),
        ("/staff/catalog/runs/{id}/", "POST"),
        ("/staff/catalog/runs/{id}/product/", "POST"),
        ("/staff/catalog/runs/{id}/sync/", "POST"),
        ("/staff/catalog/runs/{id}/create-in-edx/", "POST"),
    ] {
        assert!(
            routes
                .iter()
                .any(|(p, m, _)| p == path && m.iter().any(|x| x == method)),
            "{method} {path} not scanned"
        );
        assert_eq!(
            classify(method, path, "src/catalog/admin/mod.rs"),
            Some(Class::Staff)
        );
    }
    // Logging out ends the callers' sessions: last.
    routes.sort_by_key(|(p, _, _)| p.starts_with("/logout"));
    let mut problems = Vec::new();
    for (path, methods, file) in &routes {
        assert!(
            !methods.is_empty(),
            "{path} ({file}) declares no method the scan knows"
        );
        for method in methods {
            let Some(class) = classify(method, path, file) else {
                problems.push(format!("unclassified: {method} {path} ({file})"));
                continue;
            };
            for (who, c, headers) in &callers {
                let mut req = c
                    .request(method.parse().unwrap(), app.url(&concrete(path)))
                    .header("content-type", "application/json")
                    .body("{}");
                for (k, v) in headers {
                    req = req.header(*k, v);
                }
                let r = req.send().await.unwrap();
                let status = r.status().as_u16();
                let location = r
                    .headers()
                    .get("location")
                    .and_then(|l| l.to_str().ok())
                    .map(str::to_owned);
                let body: String = r.text().await.unwrap_or_default().chars().take(160).collect();
                let what = format!("{who:?} {method} {path} [{class:?}] → {status} {body}");
                if status >= 500 {
                    problems.push(format!("server error: {what}"));
                } else if body.contains("CSRF Failed") {
                    problems.push(format!("CSRF, not access control: {what}"));
                } else {
                    match may(class, *who) {
                        Some(true) if refused(status, location.as_deref()) => {
                            problems.push(format!("refused: {what}"))
                        }
                        Some(false) if !refused(status, location.as_deref()) => {
                            problems.push(format!("let through: {what}"))
                        }
                        _ => {}
                    }
                    // An application token is refused with 403 by staff, SCIM, webhook and
                    // money routes (pages may instead send it to sign in).
                    let strict = matches!(class, Class::Staff | Class::Superuser | Class::ServiceToken);
                    if *who == Who::OAuthUserRead && strict && status != 403 {
                        problems.push(format!("application token not refused with 403: {what}"));
                    }
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    app.shutdown().await;
}

/// A `user:read` token our provider issued to an application, for `user_id`.
async fn oauth_token(app: &TestApp, user_id: i64) -> String {
    let now = app.state.clock.now();
    app.state
        .db
        .write(move |c| {
            let (a, _) = mitxonline::oauth2::store::create_app(
                c,
                "matrix-client",
                &["https://client.example/cb".to_owned()],
                false,
                now,
            )?;
            mitxonline::oauth2::store::issue_access_token(
                c,
                Some(a.id),
                &a.name,
                user_id,
                "user:read",
                chrono::Duration::hours(1),
                now,
            )
        })
        .await
        .unwrap()
}
