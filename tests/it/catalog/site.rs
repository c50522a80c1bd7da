//! The public site: home, catalog (tabs, department filter, pagination), product pages with
//! runs and calls to action, resource pages, sitemap, robots, SEO/OpenGraph meta, and a real
//! browser walking from the home page to a course's runs.

use crate::support::TestApp;
use crate::support::browser::Browser;

async fn demo() -> TestApp {
    TestApp::builder().demo(true).spawn().await
}

async fn html(app: &TestApp, path: &str) -> String {
    let r = app.get(path).await;
    assert_eq!(r.status(), 200, "{path}");
    r.text().await.unwrap()
}

#[tokio::test]
async fn the_home_page_shows_the_cms_hero_and_featured_courses() {
    let app = demo().await;
    app.expect_undrained(&["openedx"]);
    let page = html(&app, "/").await;
    assert!(page.contains("MITx Online offers courses and programs designed by MIT faculty"));
    assert!(page.contains("Featured courses"));
    assert_eq!(page.matches("class=\"card\"").count(), 6);
    assert!(page.contains("property=\"og:image\""));
    assert!(page.contains(&format!("rel=\"canonical\" href=\"{}/\"", app.base)));
    app.shutdown().await;
}

#[tokio::test]
async fn the_catalog_has_course_and_program_tabs_a_department_filter_and_pages() {
    let app = demo().await;
    app.expect_undrained(&["openedx"]);
    let page = html(&app, "/catalog/").await;
    assert!(page.contains("aria-current=\"page\">Courses ("));
    assert_eq!(page.matches("class=\"card\"").count(), 12);
    assert!(page.contains("rel=\"next\" href=\"/catalog/courses/?page=2\""));
    // A course whose next session opens for enrollment later says so.
    assert!(page.contains("Calculus 1A: Differentiation") && page.contains("Enrollment opens"));
    let p2 = html(&app, "/catalog/courses/?page=2").await;
    assert!(p2.contains("rel=\"prev\""));
    let programs = html(&app, "/catalog/programs/").await;
    assert_eq!(programs.matches("class=\"card\"").count(), 4);
    assert!(programs.contains("Computer Science Essentials"));
    let econ = html(&app, "/catalog/courses/economics/").await;
    assert!(econ.contains("Courses in Economics"));
    assert!(econ.contains("Principles of Microeconomics"));
    assert!(!econ.contains("Introduction to Biology"));
    assert_eq!(
        app.get("/catalog/courses/no-such-department/").await.status(),
        404
    );
    assert_eq!(app.get("/catalog/courses/?page=99").await.status(), 404);
    assert_eq!(app.get("/catalog/videos/").await.status(), 404);
    app.shutdown().await;
}

#[tokio::test]
async fn a_course_page_lists_its_runs_with_enroll_and_upgrade_actions_and_seo_meta() {
    let app = demo().await;
    app.expect_undrained(&["openedx"]);
    let page = html(&app, "/courses/course-v1:MITxT+DEMO.101x/").await;
    assert!(page.contains("<h1>Introduction to Aerospace Engineering</h1>"));
    assert!(page.contains("Course sessions"));
    // The enroll form posts the run id to /enrollments/ like the original's product page.
    assert!(page.contains("action=\"/enrollments/\""));
    assert!(page.contains("name=\"run\""));
    // The upgrade is a POST form to /cart/add/ (a state change, never a plain link).
    assert!(page.contains("action=\"/cart/add/\""));
    assert!(page.contains("name=\"product_id\""));
    assert!(page.contains("Financial assistance is available"));
    assert!(page.contains("Meet your instructors") && page.contains("Ada Okafor"));
    assert!(page.contains("What you'll learn"));
    assert!(page.contains("Frequently asked questions"));
    assert!(
        page.contains(
            "property=\"og:title\" content=\"Introduction to Aerospace Engineering | MITx Online\""
        )
    );
    assert!(page.contains(&format!(
        "rel=\"canonical\" href=\"{}/courses/course-v1:MITxT+DEMO.101x/\"",
        app.base
    )));
    // A run whose enrollment closed in the past is not offered; the current one is.
    let econ = html(&app, "/courses/course-v1:MITxT+DEMO.103x/").await;
    assert!(econ.contains("course-v1:MITxT+DEMO.103x+3T2026"));
    assert!(!econ.contains("course-v1:MITxT+DEMO.103x+1T2025"));
    let program = html(&app, "/programs/program-v1:MITx+DEMO.DEDP/").await;
    assert!(program.contains("Required courses") && program.contains("Elective courses (complete 2)"));
    assert!(program.contains("Statistics and Data Science"));
    assert!(program.contains("Program price: <strong>$1350.00</strong>"));
    assert_eq!(app.get("/courses/course-v1:MITxT+NOPE/").await.status(), 404);
    app.shutdown().await;
}

#[tokio::test]
async fn resource_pages_sitemap_and_robots_are_served() {
    let app = demo().await;
    app.expect_undrained(&["openedx"]);
    let about = html(&app, "/about-us/").await;
    assert!(about.contains("About MITx Online"));
    let r = app.get("/sitemap.xml").await;
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/xml")
    );
    let xml = r.text().await.unwrap();
    assert!(xml.contains(&format!(
        "<loc>{}/courses/course-v1:MITxT+DEMO.101x/</loc>",
        app.base
    )));
    assert!(xml.contains("/programs/program-v1:MITx+DEMO.CSE/</loc>"));
    assert!(xml.contains("/about-us/</loc>"));
    // Not live, B2B-only and page-less courses stay out.
    assert!(!xml.contains("DEMO.129x") && !xml.contains("DEMO.130x") && !xml.contains("DEMO.128x"));
    let robots = html(&app, "/robots.txt").await;
    assert!(
        robots.contains("Disallow: /api/") && robots.contains(&format!("Sitemap: {}/sitemap.xml", app.base))
    );
    app.shutdown().await;
}

#[tokio::test]
async fn pages_and_links_carry_the_gateway_prefix() {
    let app = TestApp::builder()
        .demo(true)
        .public_url("https://example.org/mitxonline")
        .spawn()
        .await;
    app.expect_undrained(&["openedx"]);
    let page = html(&app, "/catalog/").await;
    assert!(page.contains("href=\"/mitxonline/courses/course-v1:MITxT+"));
    assert!(page.contains("src=\"/mitxonline/media/"));
    let xml = html(&app, "/sitemap.xml").await;
    assert!(xml.contains("<loc>https://example.org/mitxonline/catalog/courses/</loc>"));
    app.shutdown().await;
}

#[tokio::test]
async fn a_browser_goes_from_the_home_page_to_the_catalog_to_a_course_and_sees_its_runs() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = demo().await;
    app.expect_undrained(&["openedx"]);
    browser.goto(&app.url("/")).await;
    assert_eq!(browser.title().await, "MITx Online");
    let link = browser.find("a.button[href='/catalog/']").await;
    browser.click(&link).await;
    assert!(browser.current_url().await.ends_with("/catalog/"));
    let econ = browser
        .find(".departments a[href='/catalog/courses/economics/']")
        .await;
    browser.click(&econ).await;
    assert!(
        browser
            .current_url()
            .await
            .ends_with("/catalog/courses/economics/")
    );
    let course = browser.find(".card h3 a").await;
    let name = browser.text(&course).await;
    browser.click(&course).await;
    assert!(browser.current_url().await.contains("/courses/course-v1:MITxT+"));
    assert_eq!(browser.text(&browser.find("h1").await).await, name);
    let runs = browser.find_all(".runs .run").await;
    assert!(!runs.is_empty(), "no runs shown for {name}");
    // Small screens: nothing overflows horizontally at 360 px.
    browser.set_window_size(360, 800).await;
    let overflow = browser
        .eval("return document.documentElement.scrollWidth <= window.innerWidth")
        .await;
    assert_eq!(overflow, true);
    browser.quit().await;
    app.shutdown().await;
}
