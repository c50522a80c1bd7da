//! The two links that change state on GET — `/cart/add/?…` (MIT Learn's "enroll" links, the
//! original's `/cart/add`) and `/checkout/to_payment` — and their POST forms.
//!
//! A GET acts only when it comes from our own pages or a trusted partner origin
//! (`MITXONLINE_TRUSTED_ORIGINS`); a request another site started (an `<img>`, a link, a
//! form; see [`crate::http::security::cross_site`]) changes nothing and gets a page with a
//! CSRF-protected button that POSTs the same action. The POST handlers are also what our own
//! pages use.

use axum::extract::{Form, OriginalUri, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use crate::commerce::basket::api::{owner, with_cookie};
use crate::commerce::basket::model::LinkTarget;
use crate::commerce::{basket, checkout};
use crate::http::error::AppError;
use crate::http::layout::private_page;
use crate::http::page::PageCtx;
use crate::http::security::cross_site;
use crate::http::session::{Identity, MaybeUser, SignedIn};
use crate::state::AppState;

/// A page asking the visitor to confirm, with a POST form carrying `fields` and the CSRF token.
fn confirm(
    ctx: &PageCtx,
    title: &str,
    text: &str,
    action: &str,
    fields: &[(&str, String)],
    button: &str,
) -> Response {
    let body: Markup = html! {
        section class="container" {
            h1 { (title) }
            p { (text) }
            form method="post" action=(ctx.prefix.url(action)) {
                (ctx.csrf_field())
                @for (k, v) in fields { input type="hidden" name=(k) value=(v); }
                button type="submit" { (button) }
            }
            p { a href=(ctx.prefix.url("/")) { "No, take me to the home page" } }
        }
    };
    (StatusCode::OK, private_page(ctx, title, body)).into_response()
}

/// `product_id`, `course_run_id`, `course_id` or `program_id` (the first given wins).
#[derive(Deserialize, Default)]
pub struct CartAdd {
    product_id: Option<String>,
    course_run_id: Option<String>,
    course_id: Option<String>,
    program_id: Option<String>,
}

impl CartAdd {
    fn parse(&self) -> Result<LinkTarget, AppError> {
        let num = |name: &'static str, v: &Option<String>| -> Result<Option<i64>, AppError> {
            match v.as_deref().filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(s) => s
                    .parse()
                    .map(Some)
                    .map_err(|_| AppError::field(name, "Enter a whole number.")),
            }
        };
        Ok(LinkTarget {
            product: num("product_id", &self.product_id)?,
            run: num("course_run_id", &self.course_run_id)?,
            course: num("course_id", &self.course_id)?,
            program: num("program_id", &self.program_id)?,
        })
    }

    /// The ids as hidden form fields (only those given).
    fn fields(&self) -> Vec<(&'static str, String)> {
        [
            ("product_id", &self.product_id),
            ("course_run_id", &self.course_run_id),
            ("course_id", &self.course_id),
            ("program_id", &self.program_id),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.clone().filter(|v| !v.is_empty()).map(|v| (k, v)))
        .collect()
    }
}

/// Empties the basket, adds the product the link names, redirects to `/cart/`.
async fn add(
    state: &AppState,
    user: Option<i64>,
    headers: &HeaderMap,
    t: LinkTarget,
) -> Result<Response, AppError> {
    let (owner, cookie) = owner(state, user, headers, true).await?;
    let owner = owner.ok_or_else(AppError::not_found)?;
    basket::service::replace_with_link(state, owner, t).await?;
    let location = state.config.absolute_url("/cart/");
    Ok(with_cookie(
        (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
        cookie,
    ))
}

/// GET `/cart/add/?product_id|course_run_id|course_id|program_id`: from us or a trusted
/// partner, empties the basket, adds, redirects to `/cart/`; from another site, a page with
/// the POST button.
pub async fn cart_add(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    ctx: PageCtx,
    headers: HeaderMap,
    Query(q): Query<CartAdd>,
) -> Result<Response, AppError> {
    let target = q.parse()?;
    if cross_site(&state.config, &headers) {
        return Ok(confirm(
            &ctx,
            "Add to your cart?",
            "A link from another site asks to replace what is in your cart with this course or program.",
            "/cart/add/",
            &q.fields(),
            "Add to cart",
        ));
    }
    add(&state, user.map(|u| u.id), &headers, target).await
}

/// POST `/cart/add/` (form fields as the GET's query, plus the CSRF token).
pub async fn cart_add_post(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    identity: Identity,
    headers: HeaderMap,
    Form(q): Form<CartAdd>,
) -> Result<Response, AppError> {
    identity.require_csrf()?;
    let target = q.parse()?;
    add(&state, user.map(|u| u.id), &headers, target).await
}

/// GET `/checkout/to_payment` and `/checkout/anonymous`: from us or a trusted partner, starts
/// the order; from another site, a page with the POST button.
pub async fn to_payment(
    State(state): State<AppState>,
    ctx: PageCtx,
    signed_in: SignedIn,
    identity: Identity,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    catalog: crate::catalog::api::Cache,
) -> Result<Response, AppError> {
    if cross_site(&state.config, &headers) {
        let action = if uri.path().trim_end_matches('/').ends_with("/checkout/anonymous") {
            "/checkout/anonymous"
        } else {
            "/checkout/to_payment"
        };
        return Ok(confirm(
            &ctx,
            "Place your order?",
            "A link from another site asks to place the order in your cart.",
            action,
            &[],
            "Place your order",
        ));
    }
    checkout::pages::to_payment(state, ctx, signed_in, identity, headers, catalog).await
}

/// POST `/checkout/to_payment` and `/checkout/anonymous` (the cart's "Place your order").
pub async fn to_payment_post(
    State(state): State<AppState>,
    ctx: PageCtx,
    signed_in: SignedIn,
    identity: Identity,
    headers: HeaderMap,
    catalog: crate::catalog::api::Cache,
) -> Result<Response, AppError> {
    identity.require_csrf()?;
    checkout::pages::to_payment(state, ctx, signed_in, identity, headers, catalog).await
}
