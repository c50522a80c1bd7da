//! The home page frame until the catalog module provides featured content.

use axum::Router;
use axum::routing::get;
use maud::{Markup, html};

use super::layout::{Meta, page};
use super::page::PageCtx;
use crate::app::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/", get(home))
}

async fn home(ctx: PageCtx) -> Markup {
    page(
        &ctx,
        &Meta {
            title: "",
            description: Some("Online courses and programs from MIT."),
            ..Meta::default()
        },
        html! {
            section class="container" {
                h1 { "Learn with MIT, online" }
                p class="lead" { "Courses and programs from MIT faculty, open to learners everywhere." }
                p { a class="button" href=(ctx.prefix.url("/catalog/")) { "Browse the catalog" } }
            }
        },
    )
}
