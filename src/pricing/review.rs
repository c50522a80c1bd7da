//! Staff review of requests (surface §2.7, §4.5): the queue with its filters, one request in
//! full (income in both currencies, the country threshold, the applicable tiers), and the
//! decisions — approve, deny with a staff-written mail, reset — each audited and mailed
//! through the outbox in the same transaction.

use crate::commerce::discounts::service::json;
use crate::commerce::discounts::tier_service;
use crate::pricing::model::{Courseware, Decision, JUSTIFICATIONS, Status};
use crate::pricing::service::{PricingError, request_json, title_of};
use crate::pricing::shapes::{AdminRequest, ApplicableTier, CoursewareObject, Income, Learner};
use crate::pricing::store::{self, Request, RequestFilter};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use rusqlite::Connection;

/// `{id, title, readable_id, type}` (the original's base course/program serializer).
pub fn courseware_json(c: &Connection, w: Courseware) -> rusqlite::Result<CoursewareObject> {
    let (title, readable_id) = title_of(c, w)?;
    let (id, kind) = match w {
        Courseware::Course(id) => (id, "course"),
        Courseware::Program(id) => (id, "program"),
    };
    Ok(CoursewareObject {
        id,
        title,
        readable_id,
        kind: kind.to_owned(),
    })
}

fn user_json(c: &Connection, user: i64) -> rusqlite::Result<Option<Learner>> {
    Ok(crate::users::store::find_by_id(c, user)?.map(|u| Learner::of(&u)))
}

/// The current tiers of the request's courseware, with their discounts (the choices staff
/// may re-point a request to).
fn applicable(
    c: &Connection,
    w: Courseware,
) -> rusqlite::Result<
    Vec<(
        crate::commerce::discounts::links::Tier,
        crate::commerce::discounts::model::DiscountRow,
    )>,
> {
    Ok(tier_service::tiers_with_discounts(c, &[w])?
        .into_iter()
        .filter(|(t, _)| t.current)
        .collect())
}

/// A request as `applications_admin/` renders it (`FlexiblePriceAdminSerializer`), plus
/// `country_income_threshold` and each applicable tier's threshold, for the console.
pub fn admin_json(c: &Connection, r: &Request) -> rusqlite::Result<AdminRequest> {
    let v = request_json(r);
    let discount = match r.tier_id {
        Some(t) => tier_service::tier_with_discount(c, t)?.map(|(_, d)| d),
        None => None,
    };
    let tiers = applicable(c, r.courseware)?;
    let threshold = store::threshold(c, &r.country_of_income)?;
    Ok(AdminRequest {
        id: v.id,
        status: v.status,
        country_of_income: v.country_of_income,
        date_exchange_rate: v.date_exchange_rate,
        date_documents_sent: v.date_documents_sent,
        justification: v.justification,
        country_of_residence: v.country_of_residence,
        user: user_json(c, r.user_id)?,
        courseware: courseware_json(c, r.courseware)?,
        discount,
        applicable_discounts: tiers.iter().map(|(_, d)| d.clone()).collect(),
        income: Income {
            income_usd: v.income_usd,
            original_income: v.original_income,
            original_currency: v.original_currency,
        },
        country_income_threshold: threshold.map(|t| t.normalize().to_string()),
        applicable_tiers: tiers
            .iter()
            .map(|(t, d)| ApplicableTier {
                tier_id: t.id,
                discount_id: d.id,
                income_threshold_usd: t.income_threshold_usd.normalize().to_string(),
            })
            .collect(),
    })
}

/// The queue: `(count, page)` of requests matching `f`, newest first.
pub async fn queue(
    state: &AppState,
    f: RequestFilter,
    limit: i64,
    offset: i64,
) -> Result<(i64, Vec<AdminRequest>), PricingError> {
    state
        .db
        .read(move |c| {
            let (count, rows) = store::filter_requests(c, &f, limit, offset)?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(admin_json(c, r)?);
            }
            Ok((count, out))
        })
        .await
}

/// One request for staff.
pub async fn detail(state: &AppState, id: i64) -> Result<AdminRequest, PricingError> {
    state
        .db
        .read(move |c| {
            let r = store::request(c, id)?.ok_or_else(not_found)?;
            Ok(admin_json(c, &r)?)
        })
        .await
}

fn not_found() -> PricingError {
    PricingError::NotFound("No FlexiblePrice matches the given query.".into())
}

/// The coursewares that have requests (`coursewares/`), as `{id, title, readable_id, type}`.
pub async fn coursewares(state: &AppState) -> Result<Vec<CoursewareObject>, PricingError> {
    state
        .db
        .read(|c| {
            let mut seen: Vec<Courseware> = Vec::new();
            let (_, rows) = store::filter_requests(c, &RequestFilter::default(), i64::MAX, 0)?;
            for r in rows {
                if !seen.contains(&r.courseware) {
                    seen.push(r.courseware);
                }
            }
            seen.sort_by_key(|w| match w {
                Courseware::Course(id) => (0, *id),
                Courseware::Program(id) => (1, *id),
            });
            let mut out = Vec::new();
            for w in seen {
                out.push(courseware_json(c, w)?);
            }
            Ok(out)
        })
        .await
}

/// A staff decision about one request.
#[derive(Debug, Clone, Default)]
pub struct DecisionInput {
    pub status: String,
    pub justification: String,
    /// Re-point the request to the current tier of its courseware that uses this discount.
    pub discount_id: Option<i64>,
    pub email_subject: Option<String>,
    pub email_body: Option<String>,
}

/// Approves, denies or resets a request (audited; the learner is mailed). Returns the
/// request in the admin shape.
pub async fn decide(
    state: &AppState,
    actor: String,
    actor_id: Option<i64>,
    id: i64,
    input: DecisionInput,
) -> Result<AdminRequest, PricingError> {
    let now = state.clock.now();
    crate::pricing::mails::write_then_send(state, move |c| decide_in(c, &actor, actor_id, id, &input, now))
        .await
}

fn decide_in(
    c: &Connection,
    actor: &str,
    actor_id: Option<i64>,
    id: i64,
    input: &DecisionInput,
    now: DateTime<Utc>,
) -> Result<AdminRequest, PricingError> {
    let status: Status = input
        .status
        .trim()
        .parse()
        .map_err(|e: String| PricingError::field("status", e))?;
    let decision = Decision::from_status(status)
        .ok_or_else(|| PricingError::field("status", "Choose approved, denied or reset."))?;
    let justification = input.justification.trim();
    if !justification.is_empty() && !JUSTIFICATIONS.contains(&justification) {
        return Err(PricingError::field(
            "justification",
            format!("\"{justification}\" is not a valid choice."),
        ));
    }
    if decision != Decision::Reset && justification.is_empty() {
        return Err(PricingError::field(
            "justification",
            "A justification is required.",
        ));
    }
    let custom = match decision {
        Decision::Deny => {
            let subject = input.email_subject.as_deref().map(str::trim).unwrap_or_default();
            let body = input.email_body.as_deref().map(str::trim).unwrap_or_default();
            if subject.is_empty() {
                return Err(PricingError::field(
                    "email_subject",
                    "A denial needs the email's subject.",
                ));
            }
            if body.is_empty() {
                return Err(PricingError::field(
                    "email_body",
                    "A denial needs the email's text.",
                ));
            }
            Some((subject.to_owned(), body.to_owned()))
        }
        _ => None,
    };
    let mut r = store::request(c, id)?.ok_or_else(not_found)?;
    let before = admin_json(c, &r)?;
    if let Some(discount) = input.discount_id {
        let current = r
            .tier_id
            .map(|t| tier_service::tier_with_discount(c, t))
            .transpose()?
            .flatten();
        if current.as_ref().is_none_or(|(_, d)| d.id != discount) {
            let tier = applicable(c, r.courseware)?
                .into_iter()
                .find(|(_, d)| d.id == discount)
                .ok_or_else(|| {
                    PricingError::field(
                        "discount",
                        "No current tier of this course or program uses that discount.",
                    )
                })?;
            r.tier_id = Some(tier.0.id);
        }
    }
    r.status = decision.status();
    r.justification = justification.to_owned();
    store::save_request(c, &r, now)?;
    let after_row = store::request(c, id)?.ok_or_else(not_found)?;
    let after = admin_json(c, &after_row)?;
    crate::audit::record(
        c,
        actor_id,
        actor,
        match decision {
            Decision::Approve => "approve",
            Decision::Deny => "deny",
            Decision::Reset => "reset",
        },
        "flexible_price",
        &id.to_string(),
        Some(&json(&before)),
        Some(&json(&after)),
        now,
    )?;
    let (title, _) = title_of(c, after_row.courseware)?;
    let discount = after_row
        .tier_id
        .map(|t| tier_service::tier_with_discount(c, t))
        .transpose()?
        .flatten()
        .map(|(_, d)| d);
    crate::pricing::mails::queue_decision(
        c,
        &after_row,
        &title,
        discount.as_ref(),
        custom.as_ref().map(|(s, b)| (s.as_str(), b.as_str())),
        now,
    )?;
    Ok(after)
}
