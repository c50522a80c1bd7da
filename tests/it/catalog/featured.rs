//! The home page's featured courses: drawn by the `refresh-featured-homepage-items` job (2
//! self-paced, then upcoming by start, then started), stored, shown in that order, and
//! re-checked against the catalog on every request.

use mitxonline::db::DbError;

use crate::support::TestApp;

/// `(course id, title, has a self-paced run?, earliest instructor-paced start)` of the stored draw, in
/// order.
async fn stored(app: &TestApp) -> Vec<(i64, String, bool, Option<String>)> {
    app.state
        .db
        .read(|c| -> Result<_, DbError> {
            let mut st = c.prepare(
                "SELECT f.course_id, co.title,
                        EXISTS (SELECT 1 FROM course_runs r WHERE r.course_id = co.id AND r.is_self_paced = 1),
                        (SELECT min(r.start_date) FROM course_runs r WHERE r.course_id = co.id AND r.is_self_paced = 0)
                 FROM cms_featured_courses f JOIN courses co ON co.id = f.course_id ORDER BY f.position",
            )?;
            let rows = st
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
        .unwrap()
}

async fn home(app: &TestApp) -> String {
    let r = app.get("/").await;
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

#[tokio::test]
async fn the_job_draws_the_originals_mix_and_the_home_page_shows_it_in_order() {
    let app = TestApp::builder().demo(true).spawn().await;
    app.expect_undrained(&["openedx"]);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM cms_featured_courses").await,
        0
    );
    let out = app.run_job("refresh-featured-homepage-items").await;
    let draw = stored(&app).await;
    assert!(
        out.detail
            .starts_with(&format!("featured {} courses", draw.len())),
        "{}",
        out.detail
    );
    assert!(
        draw.len() >= 6,
        "the demo has enough enrollable courses: {draw:?}"
    );
    let ids: std::collections::HashSet<i64> = draw.iter().map(|d| d.0).collect();
    assert_eq!(ids.len(), draw.len(), "each course once");
    // Two self-paced courses lead (the demo has more); the rest come from instructor-paced
    // runs.
    assert!(draw[..2].iter().all(|d| d.2), "{draw:?}");
    assert!(draw[2..].iter().all(|d| d.3.is_some()), "{draw:?}");
    // The home page shows the first six in the stored order.
    let page = home(&app).await;
    assert_eq!(page.matches("class=\"card\"").count(), 6);
    let at: Vec<usize> = draw
        .iter()
        .take(6)
        .map(|d| {
            page.find(&d.1)
                .unwrap_or_else(|| panic!("{} on the home page", d.1))
        })
        .collect();
    assert!(
        at.windows(2).all(|w| w[0] < w[1]),
        "shown in the drawn order: {at:?}"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_featured_course_that_stops_being_listed_leaves_the_home_page_before_the_next_draw() {
    let app = TestApp::builder().demo(true).spawn().await;
    app.expect_undrained(&["openedx"]);
    app.run_job("refresh-featured-homepage-items").await;
    let draw = stored(&app).await;
    let (first_id, first_title) = (draw[0].0, draw[0].1.clone());
    assert!(home(&app).await.contains(&first_title));
    app.state
        .db
        .write(move |c| -> Result<(), DbError> {
            c.execute("UPDATE courses SET live = 0 WHERE id = ?1", [first_id])?;
            Ok(())
        })
        .await
        .unwrap();
    let page = home(&app).await;
    assert!(!page.contains(&first_title), "an unlisted course is not featured");
    assert_eq!(
        page.matches("class=\"card\"").count(),
        6,
        "the next drawn course moves up"
    );
    assert!(
        page.contains(&draw[6].1),
        "the seventh drawn course fills the place"
    );
    // The stored draw itself is unchanged until the job runs again.
    assert_eq!(stored(&app).await.len(), draw.len());
    app.shutdown().await;
}
