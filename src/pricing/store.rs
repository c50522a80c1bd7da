//! Plain SQL over the flexible-pricing tables: requests (`flexible_prices`), exchange rates,
//! country income thresholds and request forms.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, ToSql, params, params_from_iter};
use rust_decimal::Decimal;

use crate::clock::to_db;
use crate::db::from_row;
use crate::pricing::model::{Courseware, Status};

/// A learner's request (`FlexiblePrice`).
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub id: i64,
    pub user_id: i64,
    pub courseware: Courseware,
    pub status: Status,
    pub income_usd: Decimal,
    pub original_income: Decimal,
    pub original_currency: String,
    pub country_of_income: String,
    pub country_of_residence: String,
    pub date_exchange_rate: Option<String>,
    pub date_documents_sent: Option<String>,
    pub justification: String,
    pub tier_id: Option<i64>,
    pub form_id: Option<i64>,
    pub created_on: String,
    pub updated_on: String,
}

const REQUEST_SQL: &str = "SELECT id, user_id, income_usd, original_income, original_currency,
    country_of_income, country_of_residence, date_exchange_rate, date_documents_sent, justification,
    tier_id, form_id, created_on, updated_on, course_id, program_id, status FROM flexible_prices";

fn dec(s: String) -> Decimal {
    s.parse().unwrap_or_default()
}

fn split(w: Courseware) -> (Option<i64>, Option<i64>) {
    match w {
        Courseware::Course(id) => (Some(id), None),
        Courseware::Program(id) => (None, Some(id)),
    }
}

fn request_row(r: &Row<'_>) -> rusqlite::Result<Request> {
    let status: String = r.get(16)?;
    from_row!(
        r,
        Request {
            id,
            user_id,
            income_usd: dec,
            original_income: dec,
            original_currency,
            country_of_income,
            country_of_residence,
            date_exchange_rate,
            date_documents_sent,
            justification,
            tier_id,
            form_id,
            created_on,
            updated_on;
            courseware: courseware_of(r.get(14)?, r.get(15)?),
            status: status.parse().unwrap_or(Status::Created)
        }
    )
}

/// The courseware a row's `course_id` and `program_id` name (the course when both are set).
fn courseware_of(course: Option<i64>, program: Option<i64>) -> Courseware {
    match (course, program) {
        (Some(c), _) => Courseware::Course(c),
        (None, p) => Courseware::Program(p.unwrap_or_default()),
    }
}

pub fn request(c: &Connection, id: i64) -> rusqlite::Result<Option<Request>> {
    c.prepare_cached(&format!("{REQUEST_SQL} WHERE id = ?1"))?
        .query_row([id], request_row)
        .optional()
}

/// The user's requests for any of `family`, newest first.
pub fn requests_in(c: &Connection, user: i64, family: &[Courseware]) -> rusqlite::Result<Vec<Request>> {
    let mut out = Vec::new();
    let mut st = c.prepare_cached(&format!(
        "{REQUEST_SQL} WHERE user_id = ?1 AND course_id IS ?2 AND program_id IS ?3"
    ))?;
    for w in family {
        let (course, program) = split(*w);
        for r in st.query_map(params![user, course, program], request_row)? {
            let r = r?;
            if !out.iter().any(|o: &Request| o.id == r.id) {
                out.push(r);
            }
        }
    }
    out.sort_by(|a, b| b.created_on.cmp(&a.created_on).then(b.id.cmp(&a.id)));
    Ok(out)
}

/// The user's request for exactly this courseware.
pub fn request_for(c: &Connection, user: i64, w: Courseware) -> rusqlite::Result<Option<Request>> {
    let (course, program) = split(w);
    c.prepare_cached(&format!(
        "{REQUEST_SQL} WHERE user_id = ?1 AND course_id IS ?2 AND program_id IS ?3"
    ))?
    .query_row(params![user, course, program], request_row)
    .optional()
}

/// Every request of a user, newest first.
pub fn requests_of_user(c: &Connection, user: i64) -> rusqlite::Result<Vec<Request>> {
    c.prepare_cached(&format!(
        "{REQUEST_SQL} WHERE user_id = ?1 ORDER BY created_on DESC, id DESC"
    ))?
    .query_map([user], request_row)?
    .collect()
}

/// Inserts a request (`id == 0`) or overwrites the submitted fields of an existing one (a
/// resubmission after a reset). Returns its id.
pub fn save_request(c: &Connection, r: &Request, now: DateTime<Utc>) -> rusqlite::Result<i64> {
    let (course, program) = split(r.courseware);
    let (status, income_usd, original_income) = (
        r.status.as_str(),
        r.income_usd.to_string(),
        r.original_income.to_string(),
    );
    let t = to_db(now);
    // The columns both statements write, in their order after the leading parameters.
    let fields: [&dyn ToSql; 12] = [
        &status,
        &income_usd,
        &original_income,
        &r.original_currency,
        &r.country_of_income,
        &r.country_of_residence,
        &r.date_exchange_rate,
        &r.date_documents_sent,
        &r.justification,
        &r.tier_id,
        &r.form_id,
        &t,
    ];
    if r.id == 0 {
        let head: [&dyn ToSql; 3] = [&r.user_id, &course, &program];
        c.execute(
            "INSERT INTO flexible_prices (user_id, course_id, program_id, status, income_usd, original_income,
                original_currency, country_of_income, country_of_residence, date_exchange_rate, date_documents_sent,
                justification, tier_id, form_id, created_on, updated_on)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15)",
            params_from_iter(head.iter().chain(&fields)),
        )?;
        return Ok(c.last_insert_rowid());
    }
    c.execute(
        "UPDATE flexible_prices SET status = ?2, income_usd = ?3, original_income = ?4, original_currency = ?5,
            country_of_income = ?6, country_of_residence = ?7, date_exchange_rate = ?8, date_documents_sent = ?9,
            justification = ?10, tier_id = ?11, form_id = ?12, updated_on = ?13
         WHERE id = ?1",
        params_from_iter(std::iter::once(&(&r.id as &dyn ToSql)).chain(&fields)),
    )?;
    Ok(r.id)
}

/// The staff queue's filters (the original's `FlexiblePriceFilterSet` and search).
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    /// Name, username or email contains (case-insensitive).
    pub q: Option<String>,
    pub status: Option<Status>,
    pub courseware: Option<Courseware>,
}

/// Requests matching `f`, newest first: `(count, page)`. The search joins the users
/// module's `users` for name and email (one statement for the queue).
pub fn filter_requests(
    c: &Connection,
    f: &RequestFilter,
    limit: i64,
    offset: i64,
) -> rusqlite::Result<(i64, Vec<Request>)> {
    let filter = "WHERE (?1 IS NULL OR user_id IN (SELECT id FROM users WHERE name LIKE ?1 OR email LIKE ?1 OR username LIKE ?1))
          AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR course_id = ?3) AND (?4 IS NULL OR program_id = ?4)";
    let like = f.q.as_ref().map(|q| format!("%{}%", q.trim()));
    let status = f.status.map(Status::as_str);
    let (course, program) = f.courseware.map_or((None, None), split);
    let count = c.query_row(
        &format!("SELECT count(*) FROM flexible_prices {filter}"),
        params![like, status, course, program],
        |r| r.get(0),
    )?;
    let rows = c
        .prepare(&format!(
            "{REQUEST_SQL} {filter} ORDER BY created_on DESC, id DESC LIMIT ?5 OFFSET ?6"
        ))?
        .query_map(params![like, status, course, program, limit, offset], request_row)?
        .collect::<rusqlite::Result<_>>()?;
    Ok((count, rows))
}

/// `(currency code, description, rate per USD)`, by code.
pub type Rate = (String, Option<String>, Decimal);

pub fn rates(c: &Connection) -> rusqlite::Result<Vec<Rate>> {
    c.prepare_cached(
        "SELECT currency_code, description, exchange_rate FROM currency_exchange_rates ORDER BY currency_code",
    )?
    .query_map([], |r| Ok((r.get(0)?, r.get(1)?, dec(r.get(2)?))))?
    .collect()
}

pub fn rate(c: &Connection, code: &str) -> rusqlite::Result<Option<Decimal>> {
    c.prepare_cached("SELECT exchange_rate FROM currency_exchange_rates WHERE currency_code = ?1")?
        .query_row([code], |r| Ok(dec(r.get(0)?)))
        .optional()
}

/// Replaces the whole table (`update_currency_exchange_rate`).
pub fn replace_rates(c: &Connection, rates: &[Rate], now: DateTime<Utc>) -> rusqlite::Result<()> {
    c.execute("DELETE FROM currency_exchange_rates", [])?;
    for r in rates {
        upsert_rate(c, r, now)?;
    }
    Ok(())
}

/// Creates or changes one rate; true when created.
pub fn upsert_rate(c: &Connection, r: &Rate, now: DateTime<Utc>) -> rusqlite::Result<bool> {
    let existed = rate(c, &r.0)?.is_some();
    c.prepare_cached(
        "INSERT INTO currency_exchange_rates (currency_code, description, exchange_rate, created_on, updated_on)
         VALUES (?1, ?2, ?3, ?4, ?4)
         ON CONFLICT (currency_code) DO UPDATE SET description = excluded.description,
            exchange_rate = excluded.exchange_rate, updated_on = excluded.updated_on",
    )?
    .execute(params![r.0, r.1, r.2.to_string(), to_db(now)])?;
    Ok(!existed)
}

pub fn delete_rate(c: &Connection, code: &str) -> rusqlite::Result<bool> {
    Ok(c.execute(
        "DELETE FROM currency_exchange_rates WHERE currency_code = ?1",
        [code],
    )? > 0)
}

/// `(country code, income threshold)`, by code.
pub fn thresholds(c: &Connection) -> rusqlite::Result<Vec<(String, Decimal)>> {
    c.prepare_cached(
        "SELECT country_code, income_threshold FROM country_income_thresholds ORDER BY country_code",
    )?
    .query_map([], |r| Ok((r.get(0)?, dec(r.get(1)?))))?
    .collect()
}

pub fn threshold(c: &Connection, country: &str) -> rusqlite::Result<Option<Decimal>> {
    c.prepare_cached("SELECT income_threshold FROM country_income_thresholds WHERE country_code = ?1")?
        .query_row([country], |r| Ok(dec(r.get(0)?)))
        .optional()
}

/// Creates or changes a country's threshold; true when created.
pub fn upsert_threshold(
    c: &Connection,
    country: &str,
    income: Decimal,
    now: DateTime<Utc>,
) -> rusqlite::Result<bool> {
    let existed = threshold(c, country)?.is_some();
    c.prepare_cached(
        "INSERT INTO country_income_thresholds (country_code, income_threshold, created_on, updated_on)
         VALUES (?1, ?2, ?3, ?3)
         ON CONFLICT (country_code) DO UPDATE SET income_threshold = excluded.income_threshold,
            updated_on = excluded.updated_on",
    )?
    .execute(params![country, income.to_string(), to_db(now)])?;
    Ok(!existed)
}

pub fn delete_threshold(c: &Connection, country: &str) -> rusqlite::Result<bool> {
    Ok(c.execute(
        "DELETE FROM country_income_thresholds WHERE country_code = ?1",
        [country],
    )? > 0)
}

/// A request form and its text blocks.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct FormTexts {
    pub title: String,
    pub intro: String,
    pub guest_text: String,
    pub processing_text: String,
    pub approved_text: String,
    pub approved_no_discount_text: String,
    pub denied_text: String,
}

/// `(form id, courseware, texts, live)`.
pub type Form = (i64, Courseware, FormTexts, bool);

const FORM_SQL: &str =
    "SELECT title, intro, guest_text, processing_text, approved_text, approved_no_discount_text, denied_text,
    id, course_id, program_id, live FROM flexible_pricing_forms";

fn form_row(r: &Row<'_>) -> rusqlite::Result<Form> {
    let texts: rusqlite::Result<FormTexts> = from_row!(
        r,
        FormTexts {
            title,
            intro,
            guest_text,
            processing_text,
            approved_text,
            approved_no_discount_text,
            denied_text
        }
    );
    Ok((r.get(7)?, courseware_of(r.get(8)?, r.get(9)?), texts?, r.get(10)?))
}

pub fn form_for(c: &Connection, w: Courseware) -> rusqlite::Result<Option<Form>> {
    let (course, program) = split(w);
    c.prepare_cached(&format!("{FORM_SQL} WHERE course_id IS ?1 AND program_id IS ?2"))?
        .query_row(params![course, program], form_row)
        .optional()
}

pub fn forms(c: &Connection) -> rusqlite::Result<Vec<Form>> {
    c.prepare_cached(&format!("{FORM_SQL} ORDER BY id"))?
        .query_map([], form_row)?
        .collect()
}

/// Creates or replaces the form of a course or program; returns its id.
pub fn save_form(
    c: &Connection,
    w: Courseware,
    t: &FormTexts,
    live: bool,
    now: DateTime<Utc>,
) -> rusqlite::Result<i64> {
    let (course, program) = split(w);
    let now = to_db(now);
    // The columns both statements write, in their order after the leading parameters.
    let fields: [&dyn ToSql; 9] = [
        &t.title,
        &t.intro,
        &t.guest_text,
        &t.processing_text,
        &t.approved_text,
        &t.approved_no_discount_text,
        &t.denied_text,
        &live,
        &now,
    ];
    if let Some((id, ..)) = form_for(c, w)? {
        c.execute(
            "UPDATE flexible_pricing_forms SET title = ?2, intro = ?3, guest_text = ?4, processing_text = ?5,
                approved_text = ?6, approved_no_discount_text = ?7, denied_text = ?8, live = ?9, updated_on = ?10
             WHERE id = ?1",
            params_from_iter(std::iter::once(&(&id as &dyn ToSql)).chain(&fields)),
        )?;
        return Ok(id);
    }
    let head: [&dyn ToSql; 2] = [&course, &program];
    c.execute(
        "INSERT INTO flexible_pricing_forms (course_id, program_id, title, intro, guest_text, processing_text,
            approved_text, approved_no_discount_text, denied_text, live, created_on, updated_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
        params_from_iter(head.iter().chain(&fields)),
    )?;
    Ok(c.last_insert_rowid())
}

/// Every rate with its row id.
pub fn rate_rows(c: &Connection) -> rusqlite::Result<Vec<(i64, Rate)>> {
    c.prepare_cached(
        "SELECT id, currency_code, description, exchange_rate FROM currency_exchange_rates ORDER BY currency_code",
    )?
    .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?, dec(r.get(3)?)))))?
    .collect()
}

/// Every threshold with its row id: `(id, country, income)`.
pub fn threshold_rows(c: &Connection) -> rusqlite::Result<Vec<(i64, String, Decimal)>> {
    c.prepare_cached(
        "SELECT id, country_code, income_threshold FROM country_income_thresholds ORDER BY country_code",
    )?
    .query_map([], |r| Ok((r.get(0)?, r.get(1)?, dec(r.get(2)?))))?
    .collect()
}

/// The stored rate of one currency with its row id.
pub fn rate_row(c: &Connection, code: &str) -> rusqlite::Result<Option<(i64, Rate)>> {
    Ok(rate_rows(c)?.into_iter().find(|r| r.1.0 == code))
}

/// The stored threshold of one country with its row id.
pub fn threshold_row(c: &Connection, country: &str) -> rusqlite::Result<Option<(i64, String, Decimal)>> {
    Ok(threshold_rows(c)?.into_iter().find(|t| t.1 == country))
}
