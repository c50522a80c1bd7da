//! Learner use cases (surface §4): the request form's state, submitting a request, and the
//! approved discount checkout applies. Every function that takes a `&Connection` runs inside
//! the caller's transaction; the `async` ones open their own.

use crate::commerce::discounts::service::json;
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use rust_decimal::Decimal;

use crate::clock::{from_db, to_db};
use crate::commerce::discounts::model::DiscountRow;
use crate::commerce::discounts::tier_service;
use crate::pricing::model::{self, Courseware, Status, TierOption};
use crate::pricing::store::{self, FormTexts, Request};
use crate::state::AppState;

pub use crate::pricing::error::PricingError;
pub use crate::pricing::granted::{
    LearnerPrices, approved_discount, approved_for_course, learner_price, learner_prices, learner_prices_now,
    page_prices, product_price,
};

/// The family of a course or program, read from the catalog.
pub fn family_of(c: &Connection, w: Courseware) -> rusqlite::Result<Vec<Courseware>> {
    let programs = match w {
        Courseware::Course(id) => crate::catalog::service::programs_of_course(c, id)?,
        Courseware::Program(_) => Vec::new(),
    };
    let mut related = std::collections::HashMap::new();
    let ids: Vec<i64> = match w {
        Courseware::Course(_) => programs.clone(),
        Courseware::Program(p) => vec![p],
    };
    for p in ids {
        related.insert(p, crate::catalog::service::related_programs(c, p)?);
    }
    Ok(model::family(w, &programs, &|p| {
        related.get(&p).cloned().unwrap_or_default()
    }))
}

/// The courseware a form's requests are filed under.
pub fn filing_of(c: &Connection, form: Courseware) -> rusqlite::Result<Courseware> {
    let programs = match form {
        Courseware::Course(id) => crate::catalog::service::programs_of_course(c, id)?,
        Courseware::Program(_) => Vec::new(),
    };
    Ok(model::filing_courseware(form, &programs))
}

/// `(title, readable_id)` of a courseware, empty when it is gone.
pub fn title_of(c: &Connection, w: Courseware) -> rusqlite::Result<(String, String)> {
    let (program, id) = match w {
        Courseware::Course(id) => (false, id),
        Courseware::Program(id) => (true, id),
    };
    Ok(crate::catalog::service::courseware_title(c, program, id)?.unwrap_or_default())
}

/// The course or program whose page has this readable id (`program` picks the table).
pub fn courseware_by_readable(
    c: &Connection,
    program: bool,
    readable_id: &str,
) -> rusqlite::Result<Option<Courseware>> {
    Ok(if program {
        crate::catalog::service::program_id_by_readable(c, readable_id)?.map(Courseware::Program)
    } else {
        crate::catalog::service::course_id_by_readable(c, readable_id)?.map(Courseware::Course)
    })
}

/// What the request form shows a visitor.
#[derive(Debug, Clone)]
pub struct FormView {
    pub form_id: i64,
    pub courseware: Courseware,
    pub title: String,
    pub readable_id: String,
    pub texts: FormTexts,
    /// The visitor's latest request in the family (signed in only).
    pub prior: Option<Request>,
    /// The prior request's tier discount, when it has one.
    pub prior_discount: Option<DiscountRow>,
    /// Currency codes with a rate (USD first).
    pub currencies: Vec<(String, String)>,
    /// The page's product: `(product id, list price, the visitor's price)`.
    pub price: Option<(i64, Decimal, Decimal)>,
    /// Country to preselect (the last request's, else empty).
    pub default_country_of_income: String,
    pub default_country_of_residence: String,
}

/// Which text block the form shows (the original's template logic).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormState {
    Guest,
    Open,
    Processing,
    Approved,
    ApprovedNoDiscount,
    Denied,
}

impl FormView {
    pub fn state(&self, signed_in: bool) -> FormState {
        if !signed_in {
            return FormState::Guest;
        }
        match self.prior.as_ref().map(|p| p.status) {
            None | Some(Status::Reset) => FormState::Open,
            Some(Status::Created | Status::PendingManualApproval) => FormState::Processing,
            Some(Status::Approved | Status::AutoApproved) => {
                if self.prior_discount.as_ref().is_none_or(|d| d.amount.is_zero()) {
                    FormState::ApprovedNoDiscount
                } else {
                    FormState::Approved
                }
            }
            Some(Status::Denied) => FormState::Denied,
        }
    }
}

fn currency_choices(c: &Connection) -> rusqlite::Result<Vec<(String, String)>> {
    let mut out = vec![("USD".to_owned(), "United States Dollar".to_owned())];
    for (code, desc, _) in store::rates(c)? {
        if code != "USD" && !model::DISALLOWED_CURRENCIES.contains(&code.as_str()) {
            let d = desc.unwrap_or_else(|| code.clone());
            out.push((code, d));
        }
    }
    Ok(out)
}

/// The form of the course or program page, with the visitor's prior request.
pub async fn form_view(
    state: &AppState,
    page: Courseware,
    user: Option<i64>,
) -> Result<FormView, PricingError> {
    let now = state.clock.now();
    state
        .db
        .read(move |c| {
            let (form_id, courseware, texts, live) = store::form_for(c, page)?.ok_or_else(|| {
                PricingError::NotFound("No financial assistance form for this page.".into())
            })?;
            if !live {
                return Err(PricingError::NotFound(
                    "No financial assistance form for this page.".into(),
                ));
            }
            let (title, readable_id) = title_of(c, courseware)?;
            let mut view = FormView {
                form_id,
                courseware,
                title,
                readable_id,
                texts,
                prior: None,
                prior_discount: None,
                currencies: currency_choices(c)?,
                price: None,
                default_country_of_income: String::new(),
                default_country_of_residence: String::new(),
            };
            let product = match page {
                Courseware::Course(id) => crate::catalog::service::courseware_product(c, false, id)?,
                Courseware::Program(id) => crate::catalog::service::courseware_product(c, true, id)?,
            };
            if let Some(p) = product
                && let Some(list) = crate::commerce::basket::service::list_price(c, p)?
            {
                let yours = match user {
                    Some(u) => approved_discount(c, u, p, now)?
                        .map(|d| crate::commerce::discounts::rules::line_price(list, &[d.term()], 1)),
                    None => None,
                };
                view.price = Some((p, list, yours.unwrap_or(list)));
            }
            if let Some(u) = user {
                let family = family_of(c, filing_of(c, page)?)?;
                view.prior = store::requests_in(c, u, &family)?.into_iter().next();
                if let Some(t) = view.prior.as_ref().and_then(|p| p.tier_id) {
                    view.prior_discount = tier_service::tier_with_discount(c, t)?.map(|(_, d)| d);
                }
                if let Some(last) = store::requests_of_user(c, u)?.into_iter().next() {
                    view.default_country_of_income = last.country_of_income;
                    view.default_country_of_residence = last.country_of_residence;
                }
            }
            Ok(view)
        })
        .await
}

/// The four submitted fields, as text.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RawSubmission {
    pub income: String,
    pub currency: String,
    pub country_of_income: String,
    pub country_of_residence: String,
}

/// Submits a request from the form of `page` (`process_form_submission`): validated, converted
/// to USD, a tier chosen and auto-approved or left pending, in one write. A pending request
/// mails the documents step to the learner. Refused while an earlier request in the family
/// stands (only a staff reset allows a new one, which overwrites it).
pub async fn submit(
    state: &AppState,
    user: i64,
    page: Courseware,
    raw: RawSubmission,
) -> Result<Request, PricingError> {
    let now = state.clock.now();
    crate::pricing::mails::write_then_send(state, move |c| submit_in(c, user, page, &raw, now)).await
}

fn submit_in(
    c: &Connection,
    user: i64,
    page: Courseware,
    raw: &RawSubmission,
    now: DateTime<Utc>,
) -> Result<Request, PricingError> {
    let (form_id, _, texts, _) = store::form_for(c, page)?
        .filter(|f| f.3)
        .ok_or_else(|| PricingError::NotFound("No financial assistance form for this page.".into()))?;
    let known = |code: &str| store::rate(c, code).ok().flatten().is_some();
    let sub = model::parse_submission(
        &raw.income,
        &raw.currency,
        &raw.country_of_income,
        &raw.country_of_residence,
        &known,
    )
    .map_err(PricingError::Invalid)?;
    let filing = filing_of(c, page)?;
    let family = family_of(c, filing)?;
    let prior = store::requests_in(c, user, &family)?.into_iter().next();
    if prior.as_ref().is_some_and(|p| p.status != Status::Reset) {
        return Err(PricingError::AlreadyExists(
            "A Flexible Price request already exists for this user and course or program.".into(),
        ));
    }
    let rate = store::rate(c, &sub.currency)?;
    let income_usd = model::income_usd(sub.income, &sub.currency, rate)
        .map_err(|e| PricingError::field("currency", e.to_string()))?;
    let tiers = tier_service::tiers_with_discounts(c, &family)?;
    let options: Vec<TierOption> = tiers
        .iter()
        .map(|(t, _)| TierOption {
            id: t.id,
            courseware: t.courseware,
            current: t.current,
            income_threshold_usd: t.income_threshold_usd,
        })
        .collect();
    let tier = model::choose_tier(&family, &options, income_usd).ok_or_else(|| {
        let id = match filing {
            Courseware::Course(id) | Courseware::Program(id) => id,
        };
        tracing::error!(courseware = ?filing, "no $0 flexible price tier");
        PricingError::NotConfigured(format!(
            "$0-income-threshold Tier has not yet been configured for Courseware with id {id}."
        ))
    })?;
    let (_, discount) = tiers
        .iter()
        .find(|(t, _)| t.id == tier.id)
        .ok_or_else(|| PricingError::NotConfigured(format!("Tier {} has no discount.", tier.id)))?;
    let country_threshold = store::threshold(c, &sub.country_of_income)?;
    if country_threshold.is_none() {
        tracing::warn!(country = %sub.country_of_income, "no income threshold for country; using 75000");
    }
    let auto = model::auto_approved(discount.amount, country_threshold, income_usd);
    let mut r = prior.unwrap_or(Request {
        id: 0,
        user_id: user,
        courseware: filing,
        status: Status::Created,
        income_usd,
        original_income: sub.income,
        original_currency: String::new(),
        country_of_income: String::new(),
        country_of_residence: String::new(),
        date_exchange_rate: None,
        date_documents_sent: None,
        justification: String::new(),
        tier_id: None,
        form_id: None,
        created_on: to_db(now),
        updated_on: to_db(now),
    });
    r.status = if auto {
        Status::AutoApproved
    } else {
        Status::PendingManualApproval
    };
    r.income_usd = income_usd;
    r.original_income = sub.income;
    r.original_currency = sub.currency;
    r.country_of_income = sub.country_of_income;
    r.country_of_residence = sub.country_of_residence;
    r.date_exchange_rate = Some(to_db(now));
    r.justification = String::new();
    r.tier_id = Some(tier.id);
    r.form_id = Some(form_id);
    let before = (r.id != 0).then(|| json(&request_json(&r)));
    r.id = store::save_request(c, &r, now)?;
    let saved = store::request(c, r.id)?.unwrap_or(r);
    crate::audit::record(
        c,
        Some(user),
        "learner",
        if before.is_some() { "resubmit" } else { "submit" },
        "flexible_price",
        &saved.id.to_string(),
        before.as_ref(),
        Some(&json(&request_json(&saved))),
        now,
    )?;
    if saved.status == Status::PendingManualApproval {
        let (title, _) = title_of(c, saved.courseware)?;
        crate::pricing::mails::queue_documents_step(c, &saved, &title, &texts.processing_text, now)?;
    }
    Ok(saved)
}

/// The learner's view of a request (`FlexiblePriceSerializer`, without `user`).
pub fn request_json(r: &Request) -> crate::pricing::shapes::FlexiblePrice {
    let api = |s: &Option<String>| crate::catalog::model::api_time(s.as_deref().and_then(from_db));
    crate::pricing::shapes::FlexiblePrice {
        id: r.id,
        status: r.status,
        income_usd: crate::money::cents_string(r.income_usd),
        original_income: crate::money::cents_string(r.original_income),
        original_currency: r.original_currency.clone(),
        country_of_income: r.country_of_income.clone(),
        date_exchange_rate: api(&r.date_exchange_rate),
        date_documents_sent: api(&r.date_documents_sent),
        justification: r.justification.clone(),
        country_of_residence: r.country_of_residence.clone(),
        user: None,
    }
}

/// The learner's own requests (`applications/`).
pub async fn own_requests(state: &AppState, user: i64) -> Result<Vec<Request>, PricingError> {
    Ok(state.db.read(move |c| store::requests_of_user(c, user)).await?)
}

/// The course or program of a page path (`/courses/{readable_id}/…`, `/programs/…`).
pub async fn page_courseware(
    state: &AppState,
    program: bool,
    readable_id: String,
) -> Result<Courseware, PricingError> {
    state
        .db
        .read(move |c| {
            courseware_by_readable(c, program, &readable_id)?
                .ok_or_else(|| PricingError::NotFound("No such course or program.".into()))
        })
        .await
}
