//! What a course or program page shows the signed-in learner (issue 19): their own price (the
//! best discount the cart would apply by itself — automatic, assigned to them, or their approved
//! financial assistance — through [`crate::commerce::basket::prices::page_prices`]), the runs
//! they are enrolled in ("You're enrolled", "Go to course", "Upgrade"), why a run cannot be
//! enrolled in (ended, not open yet, closed), and their place in a program (enrolled, how many
//! of its courses are done). Guests and CMS previews get [`Viewer::default`].

use std::collections::HashMap;

use maud::{Markup, html};
use rust_decimal::Decimal;

use super::super::model::Time;
use super::*;
use crate::certificates::progress::Progress;
use crate::enrollment::Mode;

/// The signed-in learner's own prices for the products a page shows (product id → price once
/// their approved flexible-price request applies); empty for guests and CMS previews.
pub type LearnerPrices = HashMap<i64, Decimal>;

/// The learner's program enrollment: its mode and their requirement progress.
pub struct ProgramMine {
    pub mode: Mode,
    pub progress: Progress,
    pub certificate: Option<String>,
}

/// What of a product page is the signed-in learner's.
#[derive(Default)]
pub struct Viewer {
    pub prices: LearnerPrices,
    /// Active enrollments: run id → verified.
    pub runs: HashMap<i64, bool>,
    pub program: Option<ProgramMine>,
}

impl Viewer {
    /// The learner's prices and enrollments for a course page's `products`.
    pub async fn for_course(
        state: &AppState,
        user: Option<i64>,
        products: Vec<i64>,
    ) -> Result<Viewer, AppError> {
        let Some(u) = user else {
            return Ok(Viewer::default());
        };
        Ok(Viewer {
            prices: crate::commerce::basket::prices::page_prices(state, Some(u), products).await?,
            runs: crate::enrollment::queries::active_runs(state, u).await?,
            program: None,
        })
    }

    /// The learner's price and program enrollment (with progress) for a program page.
    pub async fn for_program(
        state: &AppState,
        cat: std::sync::Arc<Catalog>,
        user: Option<i64>,
        program: i64,
        products: Vec<i64>,
    ) -> Result<Viewer, AppError> {
        let Some(u) = user else {
            return Ok(Viewer::default());
        };
        let prices = crate::commerce::basket::prices::page_prices(state, Some(u), products).await?;
        let mine = crate::enrollment::queries::programs_of(state, u)
            .await?
            .into_iter()
            .find(|(pe, _)| pe.active && pe.program_id == program);
        let program = match mine {
            Some((pe, cert)) => {
                let mut p =
                    crate::certificates::progress::for_learner(&state.db, cat, u, vec![program]).await?;
                Some(ProgramMine {
                    mode: pe.mode,
                    progress: p.remove(&program).unwrap_or_default(),
                    certificate: cert.map(|c| c.link()),
                })
            }
            None => None,
        };
        Ok(Viewer {
            prices,
            runs: HashMap::new(),
            program,
        })
    }
}

pub fn money(d: Decimal) -> String {
    format!("${:.2}", d.round_dp(2))
}

/// The learner's price for a product when it differs from the list price: the list price
/// struck through and theirs named.
pub fn own_price(prices: &LearnerPrices, product: i64, list: Decimal) -> Option<Markup> {
    let own = prices.get(&product).filter(|p| **p != list)?;
    Some(
        html! { del class="list-price" { (money(list)) } " Your price: " strong class="your-price" { (money(*own)) } },
    )
}

fn price_of(prices: &LearnerPrices, product: i64, list: Decimal) -> Markup {
    match own_price(prices, product, list) {
        Some(own) => own,
        None => html! { (money(list)) },
    }
}

/// Why a run the learner is not enrolled in cannot be enrolled in, or None when it can.
pub fn closed_reason(run: &CourseRun, now: Time) -> Option<String> {
    if run.is_enrollable(now) {
        return None;
    }
    Some(if run.is_past(now) {
        format!(
            "This session ended on {}: enrollment is closed.",
            day(run.end_date)
        )
    } else if run.enrollment_start.is_some_and(|s| s > now) {
        format!("Enrollment opens {}.", day(run.enrollment_start))
    } else if let Some(e) = run.enrollment_end.filter(|e| *e <= now) {
        format!("Enrollment closed on {}.", day(Some(e)))
    } else {
        "Enrollment is not open yet.".to_owned()
    })
}

/// The runs a course page lists: the open and upcoming ones, plus any public run the learner
/// is enrolled in (so an ended run of theirs still says so), by start date.
pub fn page_runs<'a>(cat: &'a Catalog, co: &Course, now: Time, viewer: &Viewer) -> Vec<&'a CourseRun> {
    let mut runs = runs_for_page(cat, co, now);
    for r in super::super::shapes::public_runs(cat, co) {
        if r.live && viewer.runs.contains_key(&r.id) && !runs.iter().any(|x| x.id == r.id) {
            runs.push(r);
        }
    }
    runs.sort_by_key(|r| (r.start_date, r.id));
    runs
}

/// One session on a course page, as this viewer sees it.
pub fn run_item(ctx: &PageCtx, r: &Req, run: &CourseRun, viewer: &Viewer) -> Markup {
    let cat = &r.cat;
    let now = r.now;
    let upgradable = run.is_upgradable(now, cat.has_verified(run));
    let enrolled = viewer.runs.get(&run.id).copied();
    let label = format!("{} – {}", day(run.start_date), day(run.end_date));
    let upgrade = |verb: &str| {
        html! {
            @if let (true, Some(prod)) = (upgradable, &run.product) {
                (add_to_cart(ctx, prod.id, "secondary", html! { (verb) ": " (price_of(&viewer.prices, prod.id, prod.price)) }))
            }
        }
    };
    html! {
        li class="run" data-run=(run.courseware_id) {
            h3 { (label) }
            p class="muted" {
                (if run.is_self_paced { "Self-paced" } else { "Instructor-paced" })
                @if let Some(e) = run.enrollment_end { " · Enroll by " (day(Some(e))) }
                " · " span class="courseware-id" { (run.courseware_id) }
            }
            @if let (true, Some(prod), false) = (upgradable, &run.product, enrolled == Some(true)) {
                p class="price" { "Certificate track: " strong { (price_of(&viewer.prices, prod.id, prod.price)) } }
            }
            @if let Some(verified) = enrolled {
                p class="state-line ok enrolled" { "You're enrolled" @if verified { " in the certificate track" } "." }
                div class="run-actions" {
                    @match run.courseware_url(&r.edx) {
                        Some(url) => { a class="button" href=(url) { "Go to course" } }
                        None => { a class="button" href=(ctx.prefix.url("/dashboard/")) { "Go to your dashboard" } }
                    }
                    @if !verified { (upgrade("Upgrade")) }
                }
                @if !verified && upgradable {
                    @if let Some(d) = run.upgrade_deadline { p class="muted" { "Upgrade deadline " (day(Some(d))) } }
                }
            } @else {
                @match closed_reason(run, now) {
                    None => {
                        div class="run-actions" {
                            form method="post" action=(ctx.prefix.url("/enrollments/")) class="inline" {
                                (ctx.csrf_field())
                                input type="hidden" name="run" value=(run.id);
                                button type="submit" { "Enroll now" span class="visually-hidden" { " in the session starting " (day(run.start_date)) } }
                            }
                            (upgrade("Get a certificate"))
                        }
                        @if upgradable {
                            @if let Some(d) = run.upgrade_deadline { p class="muted" { "Upgrade deadline " (day(Some(d))) } }
                        }
                    }
                    Some(why) => { p class="state-line closed" { (why) } }
                }
            }
        }
    }
}

/// The program page's enrollment block: the learner's enrollment and progress, or the
/// price and the button that enrolls.
pub fn program_state(ctx: &PageCtx, pr: &Program, viewer: &Viewer) -> Markup {
    let mine = viewer.program.as_ref();
    html! {
        @if let Some(m) = mine {
            p class="state-line ok enrolled" { "You're enrolled in this program" @if m.mode == Mode::Verified { " (certificate track)" } "." }
            p class="progress-line" { strong { (m.progress.done) " of " (m.progress.needed) " courses" } " completed" }
            progress max=(m.progress.needed.max(1)) value=(m.progress.done) aria-label=(format!("{} of {} courses completed", m.progress.done, m.progress.needed)) {}
            div class="run-actions" {
                @if let Some(link) = &m.certificate {
                    a class="button" href=(ctx.prefix.url(link)) { "View certificate" }
                }
                a class="button secondary" href=(ctx.prefix.url("/dashboard/?tab=programs")) { "Go to your dashboard" }
            }
        }
        @if let Some(prod) = &pr.product {
            @if mine.is_none_or(|m| m.mode == Mode::Audit) {
                p class="price" { "Program price: " @match own_price(&viewer.prices, prod.id, prod.price) { Some(own) => { (own) } None => { strong { (money(prod.price)) } } } }
                (add_to_cart(ctx, prod.id, "", html! { @if mine.is_some() { "Upgrade the program" } @else { "Enroll in the program" } }))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, Utc};

    use super::*;

    #[test]
    fn a_run_that_cannot_be_enrolled_in_says_why() {
        let now = Utc::now();
        let d = Duration::days(1);
        let open = CourseRun {
            live: true,
            start_date: Some(now - d),
            end_date: Some(now + d * 30),
            enrollment_start: Some(now - d * 5),
            ..CourseRun::default()
        };
        assert_eq!(closed_reason(&open, now), None);
        let not_yet = CourseRun {
            enrollment_start: Some(now + d * 3),
            ..open.clone()
        };
        assert!(
            closed_reason(&not_yet, now)
                .unwrap()
                .starts_with("Enrollment opens ")
        );
        let closed = CourseRun {
            enrollment_end: Some(now - d),
            ..open.clone()
        };
        assert!(
            closed_reason(&closed, now)
                .unwrap()
                .starts_with("Enrollment closed on ")
        );
        let ended = CourseRun {
            end_date: Some(now - d),
            enrollment_end: Some(now - d * 2),
            ..open.clone()
        };
        assert!(
            closed_reason(&ended, now)
                .unwrap()
                .starts_with("This session ended on ")
        );
        let unscheduled = CourseRun {
            enrollment_start: None,
            ..open.clone()
        };
        assert_eq!(
            closed_reason(&unscheduled, now).as_deref(),
            Some("Enrollment is not open yet.")
        );
    }
}
