//! Issue 17's acceptance test: one headless Chromium session walks an operator from an empty
//! database (no demo data; only a staff and a learner account, made as the other browser tests
//! make them) through the consoles — a department, two courses with runs, a product, a program
//! with a two-group requirement tree, the course page published in the CMS — then a learner
//! finds the course in the catalog and buys its certificate through the sandbox CyberSource.

use chrono::Duration;
use serde_json::Value;

use crate::support::TestApp;
use crate::support::browser::Browser;
use crate::support::identity::make_user;

const ENTER: &str = "\u{E007}";
const C1: (&str, &str) = ("course-v1:MITx+6.002x", "Circuits and Electronics");
const C2: (&str, &str) = ("course-v1:MITx+6.003x", "Signals and Systems");

async fn click(b: &Browser, css: &str) {
    b.click(&b.find(css).await).await;
}

async fn typ(b: &Browser, css: &str, text: &str) {
    b.type_text(&b.find(css).await, text).await;
}

async fn sign_in(b: &Browser, email: &str, password: &str) {
    typ(b, "#f-email", email).await;
    typ(b, "#f-password", &format!("{password}{ENTER}")).await;
    b.wait_until("signed in", |url, _| !url.contains("/login/")).await;
}

/// From the catalog console: a live course in the (only) department, a live run open for
/// enrollment now with audit and verified modes, and its product when `price` is given.
async fn course_with_run(b: &Browser, app: &TestApp, (readable, title): (&str, &str), price: Option<&str>) {
    click(b, "nav[aria-label='Staff'] a[href='/staff/catalog/']").await;
    click(b, "a[href='/staff/catalog/courses/new/']").await;
    typ(b, "#f-readable_id", readable).await;
    typ(b, "#f-title", title).await;
    click(b, "input[name=live]").await;
    click(b, "input[name=departments]").await;
    click(b, "form[action='/staff/catalog/courses/'] button[type=submit]").await;
    b.wait_until("the course page", |url, src| {
        url.contains("/staff/catalog/courses/") && src.contains("No runs yet.")
    })
    .await;

    click(b, "a[href$='/runs/new/']").await;
    typ(b, "#f-title", &format!("{title}, this term")).await;
    typ(b, "#f-courseware_id", &format!("{readable}+1T")).await;
    let now = app.state.clock.now();
    let at = |days: i64| (now + Duration::days(days)).format("%Y-%m-%dT%H:%M").to_string();
    for (id, days) in [
        ("f-enrollment_start", -1),
        ("f-start_date", 14),
        ("f-upgrade_deadline", 100),
        ("f-end_date", 120),
    ] {
        // A datetime-local input takes no typed ISO text; set it as a date picker would.
        let set = format!(
            "document.getElementById('{id}').value = '{}'; return true;",
            at(days)
        );
        b.eval(&set).await;
    }
    click(b, "input[name=live]").await;
    for mode in ["audit", "verified"] {
        let el = b.find(&format!("input[name=modes][value={mode}]")).await;
        assert!(b.attr(&el, "checked").await.is_some(), "{mode} offered and on");
    }
    click(b, "form[action='/staff/catalog/runs/'] button[type=submit]").await;
    b.wait_until("the run page", |url, src| {
        url.contains("/staff/catalog/runs/") && src.contains("No product")
    })
    .await;
    if let Some(price) = price {
        typ(b, "#f-price", &format!("{price}{ENTER}")).await;
        let shown = format!("${price}.00");
        b.wait_until("the product", |_, src| {
            src.contains("id=\"product-state\"") && src.contains(&shown)
        })
        .await;
    }
}

/// Stage 1: sign in, a department, course 1 with its run and a $120 product.
async fn set_up_the_course(b: &Browser, app: &TestApp) {
    b.goto(&app.url("/login/")).await;
    sign_in(b, "operator@example.com", "an operating password").await;
    click(b, "a[href='/staff/']").await;
    click(b, "ul.staff-consoles a[href='/staff/catalog/']").await;
    b.wait_until("an empty catalog", |_, src| src.contains("No courses."))
        .await;
    click(b, "a[href='/staff/catalog/departments/']").await;
    typ(b, "#f-name", &format!("Electrical Engineering{ENTER}")).await;
    b.wait_until("the department", |_, src| {
        src.contains("<code>electrical-engineering</code>")
    })
    .await;
    course_with_run(b, app, C1, Some("120")).await;
}

/// Stage 2: course 2, a program, its requirements "all of" course 1 and "at least 1 of"
/// course 2 built in the editor and saved; the v2 API serves the two groups. The program's id.
async fn set_up_the_program(b: &Browser, app: &TestApp) -> i64 {
    course_with_run(b, app, C2, None).await;
    click(b, "nav[aria-label='Staff'] a[href='/staff/catalog/programs/']").await;
    click(b, "a[href='/staff/catalog/programs/new/']").await;
    typ(b, "#title", "Electrical Engineering Series").await;
    typ(b, "#readable_id", "program-v1:MITx+EE").await;
    click(b, "input[name=live]").await;
    click(b, "input[name=departments]").await;
    click(b, "form[action='/staff/catalog/programs/'] button[type=submit]").await;
    b.wait_until("the program", |_, src| src.contains("No requirements yet."))
        .await;
    let url = b.current_url().await;
    let id: i64 = url
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();

    click(b, "a[href$='/requirements/']").await;
    for (g, (op, (readable, title))) in [("add-all:", C1), ("add-atleast:", C2)].into_iter().enumerate() {
        click(b, &format!("button[value='{op}']")).await;
        let field = format!("id=\"course-{g}\"");
        b.wait_until("a new group", |_, src| src.contains(&field)).await;
        // Enter in the field presses the form's default button, which applies what was typed.
        typ(b, &format!("#course-{g}"), &format!("{readable}{ENTER}")).await;
        let shown = format!("{title} ({readable})");
        b.wait_until(&shown, |_, src| src.contains(&shown)).await;
    }
    click(b, "button[value='save']").await;
    b.wait_until("saved", |_, src| {
        src.contains("Saved.") && src.contains("Complete at least 1 of these:")
    })
    .await;

    let (status, v) = app.get_json(&format!("/api/v2/programs/{id}/")).await;
    assert_eq!(status, 200, "{v}");
    let groups = v["req_tree"].as_array().unwrap_or_else(|| panic!("{v}"));
    assert_eq!(groups.len(), 2, "{v}");
    for (g, (operator, (readable, _))) in [("all_of", C1), ("min_number_of", C2)].into_iter().enumerate() {
        let course = app.get_json(&format!("/api/v2/courses/{readable}/")).await.1;
        assert_eq!(groups[g]["data"]["operator"], operator, "{v}");
        let leaves = groups[g]["children"].as_array().unwrap();
        assert_eq!(leaves.len(), 1, "{v}");
        assert_eq!(leaves[0]["data"]["course"], course["id"], "{v}");
    }
    assert_eq!(groups[1]["data"]["operator_value"], "1", "{v}");
    id
}

/// Stage 3: course 1's page, created from the catalog console's link (the CMS form comes
/// filled in for the course) and published in the CMS console.
async fn publish_the_course_page(b: &Browser) {
    let course = "a[href='/staff/catalog/courses/1/']";
    click(b, "nav[aria-label='Staff'] a[href='/staff/catalog/']").await;
    click(b, course).await;
    click(b, "a[href^='/staff/cms/?product=']").await;
    b.wait_until("the CMS form filled in for the course", |url, src| {
        url.contains("/staff/cms/")
            && src.contains(&format!("name=\"product\" value=\"{}\"", C1.0))
            && src.contains("<option value=\"course\" selected=")
    })
    .await;
    typ(b, "#title", C1.1).await;
    click(b, "form[action='/staff/cms/pages/'] button[type=submit]").await;
    b.wait_until("the page editor", |_, src| src.contains("Not published."))
        .await;
    typ(b, "#description", "Design and analyse circuits.").await;
    click(b, "button[name=action][value=publish]").await;
    b.wait_until("published", |_, src| src.contains("Published (revision"))
        .await;
    click(b, "nav[aria-label='Staff'] a[href='/staff/catalog/']").await;
    click(b, course).await;
    b.wait_until("the course links its CMS page", |_, src| {
        src.contains("Edit its CMS page (published)")
    })
    .await;
}

/// From the site's header: the catalog, then course 1's card.
async fn open_the_course_from_the_catalog(b: &Browser) {
    click(b, "header a[href='/catalog/']").await;
    click(b, &format!("article.card a[href='/courses/{}/']", C1.0)).await;
    b.wait_until("the course page", |url, src| {
        url.contains("/courses/") && src.contains("Design and analyse circuits.")
    })
    .await;
}

/// Stage 4: signed out, the public page sells the run; the learner signs in, buys the
/// certificate with a test card and holds a verified enrollment with a fulfilled order.
async fn a_learner_buys_it(b: &Browser, app: &TestApp) {
    click(b, "header a[href='/logout']").await;
    b.wait_until("signed out", |_, src| src.contains("href=\"/login/\""))
        .await;
    open_the_course_from_the_catalog(b).await;
    let src = b.source().await;
    assert!(
        src.contains(C1.1) && src.contains("Certificate track: <strong>$120.00</strong>"),
        "{src}"
    );
    assert!(
        src.contains("Enroll now") && src.contains("Get a certificate: $120.00"),
        "{src}"
    );

    click(b, "header a[href='/login/']").await;
    sign_in(b, "learner@example.com", "a learning password").await;
    open_the_course_from_the_catalog(b).await;
    click(b, "form[action='/cart/add/'] button[type=submit]").await;
    b.wait_until("the cart at $120.00", |url, src| {
        url.ends_with("/cart/") && src.contains("id=\"cart-total\">$120.00<")
    })
    .await;
    click(b, "#place-order").await;
    b.wait_until("the sandbox payment page", |url, src| {
        url.contains("/sandbox/cybersource/pay") && src.contains("120.00 USD")
    })
    .await;
    click(b, "label[for=card-1]").await; // Mastercard
    click(b, "button[value=accept]").await;
    b.wait_until("the dashboard", |url, src| {
        url.contains("payment=accepted") && src.contains("mode-verified")
    })
    .await;
    let card = b.find(&format!("li.enrollment[data-run='{}+1T']", C1.0)).await;
    assert!(b.text(&card).await.contains("Verified"));

    click(b, "details.menu summary").await;
    click(b, "a.receipt").await;
    b.wait_until("the receipt", |_, src| {
        src.contains("id=\"receipt-total\">$120.00<") && src.contains("id=\"receipt-state\">fulfilled<")
    })
    .await;
    let mine: Value = b
        .eval("return fetch('/api/v1/enrollments/').then(r => r.json());")
        .await;
    let all = mine.as_array().unwrap_or_else(|| panic!("{mine}"));
    assert_eq!(all.len(), 1, "{mine}");
    assert_eq!(all[0]["enrollment_mode"], "verified", "{mine}");
    assert_eq!(all[0]["run"]["courseware_id"], format!("{}+1T", C1.0), "{mine}");
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM orders WHERE state = 'fulfilled'")
            .await,
        1
    );
}

#[tokio::test]
async fn an_operator_sets_up_and_a_learner_buys_from_an_empty_database_in_a_real_browser() {
    let Some(b) = Browser::start().await else { return };
    let app = TestApp::spawn().await;
    make_user(&app, "operator@example.com", "an operating password", true).await;
    make_user(&app, "learner@example.com", "a learning password", false).await;

    set_up_the_course(&b, &app).await;
    set_up_the_program(&b, &app).await;
    publish_the_course_page(&b).await;
    a_learner_buys_it(&b, &app).await;

    app.drain_outbox().await;
    let errors = b.console_lines("SEVERE").await;
    assert!(errors.is_empty(), "{errors:?}");
    b.quit().await;
    app.shutdown().await;
}
