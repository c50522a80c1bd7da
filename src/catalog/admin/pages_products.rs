//! A run's product on its staff page: create it, change its price or description (a new
//! price version; orders keep the version they were placed with), deactivate or reactivate
//! it — through the product service ([`crate::catalog::products`]) the JSON API uses.

use axum::extract::Path;
use axum::response::Response;
use maud::{Markup, html};
use serde_json::Value;

use super::form::{FormData, post_form, required_text};
use super::queries::RunDetail;
use super::service::AdminError;
use crate::catalog::products::{self, NewProduct, ProductChange};
use crate::catalog::store::ProductTarget;
use crate::http::staff_page::StaffPage;
use crate::http::{AppError, PageCtx};
use crate::state::AppState;
use crate::users::model::FieldErrors;

/// The product part of a run's page.
pub fn section(ctx: &PageCtx, d: &RunDetail, errors: &FieldErrors) -> Markup {
    let action = format!("{}product/", super::pages_runs::run_path(d.id));
    let hidden = |a: &str| html! { input type="hidden" name="action" value=(a); };
    match &d.product {
        None => html! {
            p { "No product: learners cannot buy a certificate for this run." }
            (post_form(ctx, &action, html! {
                (hidden("create"))
                (required_text("price", "Price (USD)", "", errors))
                (required_text("description", "Description", &d.input.courseware_id, errors))
            }, "Create product"))
        },
        Some(p) => {
            let current = p.versions.first();
            html! {
                p id="product-state" {
                    "Product " (p.id) ": " strong { "$" (current.map_or("", |v| v.price.as_str())) } " — "
                    @if p.is_active { "active" } @else { "inactive (not for sale)" }
                }
                (post_form(ctx, &action, html! {
                    (hidden("price"))
                    (required_text("price", "New price (USD)", current.map_or("", |v| v.price.as_str()), errors))
                    (required_text("description", "Description", current.map_or("", |v| v.description.as_str()), errors))
                }, "Save a new price"))
                (post_form(ctx, &action, hidden(if p.is_active { "deactivate" } else { "activate" }),
                    if p.is_active { "Deactivate the product" } else { "Reactivate the product" }))
                h3 { "Price versions" }
                p class="muted" { "Orders keep the version they were placed with." }
                table {
                    thead { tr { th scope="col" { "Version" } th scope="col" { "Price" } th scope="col" { "Description" } th scope="col" { "Since" } } }
                    tbody { @for v in &p.versions { tr { td { (v.id) } td { "$" (v.price) } td { (v.description) } td { (v.created_on) } } } }
                }
            }
        }
    }
}

/// Sets run `run`'s price: creates its product (described by `description`, or the run's
/// courseware id) or adds a price version. Returns the product id.
pub async fn set_price(
    state: &AppState,
    actor: String,
    run: i64,
    price: &str,
    description: Option<String>,
) -> Result<i64, AdminError> {
    let price = products::parse_price(&Value::String(price.to_owned()))?;
    let (product, key) = state
        .db
        .read(move |c| {
            let key = super::runs::run_json(c, run)?["courseware_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            Ok::<_, AdminError>((super::queries::product_of_run(c, run)?.map(|p| p.id), key))
        })
        .await?;
    match product {
        Some(id) => {
            let change = ProductChange {
                price: Some(price),
                description,
                is_active: None,
            };
            products::update(state, actor, id, change).await?;
            Ok(id)
        }
        None => {
            let p = NewProduct {
                target: ProductTarget::CourseRun(run),
                price,
                description: description.unwrap_or(key),
                is_active: true,
            };
            Ok(products::create(state, actor, p).await?)
        }
    }
}

/// Shows or hides run `run`'s product.
pub async fn set_active(state: &AppState, actor: String, run: i64, active: bool) -> Result<(), AdminError> {
    let product = state
        .db
        .read(move |c| super::queries::product_of_run(c, run))
        .await?;
    let id = product
        .ok_or_else(|| AdminError::NotFound(format!("Run {run} has no product.")))?
        .id;
    let change = ProductChange {
        is_active: Some(active),
        ..ProductChange::default()
    };
    Ok(products::update(state, actor, id, change).await?)
}

/// POST `/staff/catalog/runs/{id}/product/` `action` = `create` | `price` (`price`,
/// `description`) | `deactivate` | `activate`.
pub async fn post(page: StaffPage, Path(id): Path<i64>, body: String) -> Result<Response, AppError> {
    let f = FormData::parse(&body);
    let actor = page.access.actor.clone();
    let r = match f.get("action").as_str() {
        "create" | "price" => set_price(
            &page.state,
            actor,
            id,
            &f.get("price"),
            Some(f.get("description")),
        )
        .await
        .map(|_| ()),
        "deactivate" => set_active(&page.state, actor, id, false).await,
        "activate" => set_active(&page.state, actor, id, true).await,
        _ => Err(super::service::invalid(
            "action",
            "Choose create, price, deactivate or activate.",
        )),
    };
    super::pages_runs::answer(&page, id, r, None).await
}
