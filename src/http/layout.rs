//! The site's HTML frame (maud): skip link, header with navigation, main, footer. Pages pass
//! their content; error pages use the same frame.

use axum::http::StatusCode;
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::assets;
use super::page::{PageCtx, Prefix};

/// Head metadata for a page.
#[derive(Default)]
pub struct Meta<'a> {
    pub title: &'a str,
    pub description: Option<&'a str>,
    /// Absolute canonical URL (also used for OpenGraph).
    pub canonical: Option<&'a str>,
    pub image: Option<&'a str>,
    pub noindex: bool,
}

pub const SITE_NAME: &str = "MITx Online";

/// Head metadata for a page search engines must not index (accounts, carts, staff, errors).
pub fn private(title: &str) -> Meta<'_> {
    Meta {
        title,
        noindex: true,
        ..Meta::default()
    }
}

/// A whole page in the site frame, with [`private`] metadata.
pub fn private_page(ctx: &PageCtx, title: &str, content: Markup) -> Markup {
    page(ctx, &private(title), content)
}

/// A narrow private page headed by its title (sign-in, account and confirmation forms).
pub fn narrow_page(ctx: &PageCtx, title: &str, body: Markup) -> Markup {
    private_page(
        ctx,
        title,
        html! { section class="container narrow" { h1 { (title) } (body) } },
    )
}

/// A whole page in the site frame.
pub fn page(ctx: &PageCtx, meta: &Meta<'_>, content: Markup) -> Markup {
    let p = &ctx.prefix;
    let full_title = if meta.title.is_empty() {
        SITE_NAME.to_owned()
    } else {
        format!("{} | {SITE_NAME}", meta.title)
    };
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (full_title) }
                @if let Some(d) = meta.description { meta name="description" content=(d); }
                @if meta.noindex { meta name="robots" content="noindex"; }
                @if let Some(c) = meta.canonical { link rel="canonical" href=(c); meta property="og:url" content=(c); }
                meta property="og:site_name" content=(SITE_NAME);
                meta property="og:title" content=(full_title);
                meta property="og:type" content="website";
                @if let Some(d) = meta.description { meta property="og:description" content=(d); }
                @if let Some(i) = meta.image { meta property="og:image" content=(i); }
                link rel="icon" href=(assets::url(p, "favicon.svg")) type="image/svg+xml";
                link rel="stylesheet" href=(assets::url(p, "app.css"));
                script type="module" src=(assets::url(p, "app.js")) {}
            }
            body {
                a class="skip-link" href="#main" { "Skip to main content" }
                (header(ctx))
                main id="main" tabindex="-1" { (content) }
                (footer(p))
            }
        }
    }
}

fn header(ctx: &PageCtx) -> Markup {
    let p = &ctx.prefix;
    html! {
        header class="site-header" {
            div class="container header-inner" {
                a class="brand" href=(p.url("/")) aria-label="MITx Online home" {
                    img src=(assets::url(p, "logo.svg")) alt="" width="36" height="36";
                    span { (SITE_NAME) }
                }
                nav aria-label="Main" {
                    ul class="nav-list" {
                        li { a href=(p.url("/catalog/")) { "Catalog" } }
                        @if let Some(v) = &ctx.viewer {
                            li { a href=(p.url("/dashboard/")) { "Dashboard" } }
                            @if v.is_staff { li { a href=(p.url("/staff/")) { "Staff" } } }
                            li { a href=(p.url("/profile/")) { (v.name) } }
                            li { a href=(p.url("/logout")) { "Sign out" } }
                        } @else {
                            li { a href=(p.url("/login/")) { "Sign in" } }
                        }
                        li { a href=(p.url("/cart/")) { "Cart" } }
                    }
                }
            }
        }
    }
}

fn footer(p: &Prefix) -> Markup {
    html! {
        footer class="site-footer" {
            div class="container" {
                nav aria-label="Footer" {
                    ul class="nav-list" {
                        li { a href=(p.url("/catalog/")) { "Courses and programs" } }
                        li { a href=(p.url("/about-us/")) { "About" } }
                        li { a href=(p.url("/privacy-policy/")) { "Privacy policy" } }
                        li { a href=(p.url("/terms-of-service/")) { "Terms of service" } }
                        li { a href=(p.url("/help/")) { "Help" } }
                    }
                }
                p { "© Massachusetts Institute of Technology" }
            }
        }
    }
}

/// The page for a 4xx/5xx outside `/api/`.
pub fn error_page(prefix: &Prefix, status: StatusCode, message: &str) -> Markup {
    let ctx = PageCtx {
        prefix: prefix.clone(),
        ..PageCtx::default()
    };
    let heading = match status {
        StatusCode::NOT_FOUND => "Page not found",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::UNAUTHORIZED => "Please sign in",
        StatusCode::TOO_MANY_REQUESTS => "Slow down",
        s if s.is_server_error() => "Something went wrong",
        _ => "We could not do that",
    };
    private_page(
        &ctx,
        heading,
        html! {
            section class="container error-page" {
                p class="error-code" { (status.as_u16()) }
                h1 { (heading) }
                p { (message) }
                p { a href=(prefix.url("/")) { "Go to the home page" } (PreEscaped(" &middot; ")) a href=(prefix.url("/catalog/")) { "Browse the catalog" } }
            }
        },
    )
}
