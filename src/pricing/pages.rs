//! The request form under a course or program page
//! (`/courses/{readable_id}/financial-assistance-request/`, `/programs/…/…`), server-rendered
//! and working without JavaScript: a guest sees the guest text, a learner without a standing
//! request the form, otherwise the text block of their request's state and their price.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use crate::catalog::pages::{add_to_cart, paragraphs};
use crate::http::error::AppError;
use crate::http::layout::{self, Meta};
use crate::http::page::PageCtx;
use crate::http::session::{Identity, MaybeUser, SignedIn};
use crate::pricing::model::Courseware;
use crate::pricing::service::{self, FormState, FormView, PricingError, RawSubmission};
use crate::state::AppState;
use crate::users::forms::{input, other_errors, select};
use crate::users::model::FieldErrors;

fn page_path(w_program: bool, readable: &str) -> String {
    let kind = if w_program { "programs" } else { "courses" };
    format!("/{kind}/{readable}/financial-assistance-request/")
}

fn countries() -> Vec<(String, String)> {
    crate::users::geo::COUNTRIES
        .iter()
        .map(|c| (c.code.to_owned(), c.name.to_owned()))
        .collect()
}

fn money(d: rust_decimal::Decimal) -> String {
    format!("${}", crate::money::cents_string(d))
}

fn form(ctx: &PageCtx, action: &str, v: &FormView, values: &RawSubmission, errors: &FieldErrors) -> Markup {
    let currency = if values.currency.is_empty() {
        "USD"
    } else {
        &values.currency
    };
    let coi = if values.country_of_income.is_empty() {
        &v.default_country_of_income
    } else {
        &values.country_of_income
    };
    let cor = if values.country_of_residence.is_empty() {
        &v.default_country_of_residence
    } else {
        &values.country_of_residence
    };
    let countries = countries();
    html! {
        (other_errors(errors, &["income", "currency", "country_of_income", "country_of_residence"]))
        form method="post" action=(ctx.prefix.url(action)) class="flexible-pricing-form" {
            (ctx.csrf_field())
            (input("text", "income", "income", "Your Income (annual)", &values.income, errors, "required"))
            (select("currency", "currency", "Income Currency", currency, &v.currencies, errors))
            (select("country_of_income", "country_of_income", "Country of Income", coi, &countries, errors))
            (select("country_of_residence", "country_of_residence", "Country of Residence", cor, &countries, errors))
            button class="button" type="submit" { "Submit" }
        }
    }
}

fn render(ctx: &PageCtx, v: &FormView, signed_in: bool, body: Option<Markup>) -> Markup {
    let path = page_path(matches!(v.courseware, Courseware::Program(_)), &v.readable_id);
    let state = v.state(signed_in);
    let t = &v.texts;
    let content = html! {
        h1 { (t.title) ": " (v.title) }
        (paragraphs(&t.intro))
        @match state {
            FormState::Guest => {
                (paragraphs(&t.guest_text))
                p { a class="button" href=(ctx.prefix.url(&format!("/login/?next={}", ctx.prefix.url(&path)))) { "Sign in to continue" } }
            }
            FormState::Open => {
                @if let Some(b) = &body { (b) } @else { (form(ctx, &path, v, &RawSubmission::default(), &FieldErrors::new())) }
            }
            FormState::Processing => {
                p class="fp-status" { "Your request is being processed." }
                (paragraphs(&t.processing_text))
            }
            FormState::Approved => {
                p class="fp-status" { "Your request is approved." }
                (paragraphs(&t.approved_text))
            }
            FormState::ApprovedNoDiscount => {
                p class="fp-status" { "Your request is approved, with no discount." }
                (paragraphs(&t.approved_no_discount_text))
            }
            FormState::Denied => {
                p class="fp-status" { "Your request has been denied." }
                (paragraphs(&t.denied_text))
            }
        }
        @if let Some((product, list, yours)) = v.price {
            div class="fp-price" {
                @if yours < list {
                    p { "Your price: " strong class="fp-your-price" { (money(yours)) } " (list price " s { (money(list)) } ")" }
                } @else {
                    p { "Price: " strong class="fp-your-price" { (money(list)) } }
                }
                @if signed_in && state != FormState::Open {
                    (add_to_cart(ctx, product, "button", html! { "Add to cart" }))
                }
            }
        }
        p { a href=(ctx.prefix.url(&path.replace("financial-assistance-request/", ""))) { "Back to " (v.title) } }
    };
    layout::page(
        ctx,
        &Meta {
            title: &t.title,
            noindex: true,
            ..Meta::default()
        },
        content,
    )
}

/// GET `/courses/{readable_id}/financial-assistance-request/` (`PROGRAM = false`) and
/// `/programs/…/…` (`true`).
pub async fn form_page<const PROGRAM: bool>(
    State(state): State<AppState>,
    ctx: PageCtx,
    MaybeUser(u): MaybeUser,
    Path(readable): Path<String>,
) -> Result<Markup, AppError> {
    let user = u.map(|u| u.id);
    let w = service::page_courseware(&state, PROGRAM, readable).await?;
    let v = service::form_view(&state, w, user).await?;
    Ok(render(&ctx, &v, user.is_some(), None))
}

/// POST `/courses/{readable_id}/financial-assistance-request/` (`PROGRAM = false`) and
/// `/programs/…/…` (`true`).
pub async fn submit_page<const PROGRAM: bool>(
    State(state): State<AppState>,
    ctx: PageCtx,
    id: Identity,
    SignedIn(user): SignedIn,
    Path(readable): Path<String>,
    Form(f): Form<RawSubmission>,
) -> Result<Response, AppError> {
    id.require_csrf()?;
    let user = user.id;
    let path = page_path(PROGRAM, &readable);
    let w = service::page_courseware(&state, PROGRAM, readable).await?;
    match service::submit(&state, user, w, f.clone()).await {
        Ok(_) => Ok(Redirect::to(&ctx.prefix.url(&path)).into_response()),
        Err(
            e @ (PricingError::Invalid(_) | PricingError::AlreadyExists(_) | PricingError::NotConfigured(_)),
        ) => {
            let errors: FieldErrors = match e {
                PricingError::Invalid(problems) => {
                    let mut m = FieldErrors::new();
                    for p in problems {
                        m.entry(p.field.to_owned()).or_default().push(p.message);
                    }
                    m
                }
                other => FieldErrors::from([("__all__".to_owned(), vec![other.to_string()])]),
            };
            let v = service::form_view(&state, w, Some(user)).await?;
            let body = form(&ctx, &path, &v, &f, &errors);
            let mut open = v.clone();
            open.prior = None;
            Ok((StatusCode::BAD_REQUEST, render(&ctx, &open, true, Some(body))).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
