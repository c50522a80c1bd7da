//! The public certificate pages, `/certificate/{uuid}/` and `/certificate/program/{uuid}/`:
//! learner, product, issue date, CEUs, signatories with their signatures and a verification
//! line, print-ready (one landscape page on A4 or Letter; "Download PDF" is the browser's
//! print), a LinkedIn "add to profile" link and OpenGraph tags. Revoked certificates are 404.
//! The same template renders the staff preview with a sample learner.

use axum::Extension;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use super::api::visible;
use super::model::Kind;
use super::views::Signatory;
use crate::catalog::api::Cache;
use crate::http::layout::{Meta, SITE_NAME, page};
use crate::http::session::MaybeUser;
use crate::http::{AppError, PageCtx};
use crate::state::AppState;

/// Everything printed on a certificate.
pub struct Printed<'a> {
    pub uuid: &'a str,
    pub learner_name: &'a str,
    pub product_name: &'a str,
    pub issue_date: String,
    pub ceus: Option<String>,
    pub signatories: &'a [Signatory],
    /// The absolute URL of this certificate (the verification line).
    pub url: String,
    /// `Some(program type)` for a program certificate.
    pub program_type: Option<&'a str>,
    /// The viewer is the learner (share links are shown).
    pub owner: bool,
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The LinkedIn "add to profile" link with the original's parameter (`startTask`).
pub fn linkedin_url(product_name: &str) -> String {
    format!(
        "https://www.linkedin.com/profile/add?startTask={}",
        enc(product_name)
    )
}

/// A certificate in the site frame.
pub fn render(ctx: &PageCtx, p: &Printed<'_>) -> Markup {
    let title = format!("Certificate for: {}", p.product_name);
    let description = format!("Certificate for {} awarded by {SITE_NAME}.", p.product_name);
    let share = format!(
        "I just earned a certificate in {} from {SITE_NAME}",
        p.product_name
    );
    page(
        ctx,
        &Meta {
            title: &title,
            description: Some(&description),
            canonical: Some(&p.url),
            image: None,
            noindex: true,
        },
        html! {
            div class="certificate-page" {
                div class="certificate-actions no-print" {
                    @if p.owner {
                        h1 class="h-small" { "Congratulations, " (p.learner_name) "!" }
                        p { "You have successfully completed " (p.product_name) ". Share your accomplishment with your friends, family and colleagues." }
                    }
                    ul class="nav-list" {
                        li { button type="button" data-print { "Download PDF" } }
                        @if p.owner {
                            li { a class="linkedin" href=(linkedin_url(p.product_name)) rel="noopener" target="_blank" { "Add to LinkedIn profile" } }
                            li { a href=(format!("https://twitter.com/intent/tweet?url={}&text={}", enc(&p.url), enc(&share))) rel="noopener" target="_blank" { "Share on X" } }
                            li { a href=(format!("https://www.facebook.com/share.php?u={}", enc(&p.url))) rel="noopener" target="_blank" { "Share on Facebook" } }
                        }
                    }
                }
                article class="certificate" aria-label="Certificate" {
                    p class="certificate-brand" { (SITE_NAME) }
                    p class="institute-text" { "Massachusetts Institute of Technology" }
                    p class="certify-text" { "This is to certify that" }
                    p class="certify-name" { (p.learner_name) }
                    p class="success-text" {
                        "has successfully completed"
                        @if let Some(t) = p.program_type { " all courses and received passing grades to earn a " (t) " program certificate in" }
                    }
                    p class="degree-text" { (p.product_name) }
                    @if p.program_type.is_some() {
                        p class="success-text" { "a program of study offered by MITx, an online learning initiative of the Massachusetts Institute of Technology" }
                    }
                    p class="award-text" {
                        @if let Some(c) = &p.ceus { "Awarded " (c) " Continuing Education Units (CEUs)" br; }
                        "Issued: " (p.issue_date)
                    }
                    ul class="signatories" {
                        @for s in p.signatories {
                            li class="signatory" {
                                @if let Some(img) = s.signature_image_id {
                                    img class="signature" src=(ctx.prefix.url(&format!("/media/{img}/"))) alt=(format!("Signature of {}", s.name));
                                }
                                span class="signatory-name" { (s.name) }
                                @for t in &s.titles { span { (t) } }
                                @if !s.organization.is_empty() { span { (s.organization) } }
                            }
                        }
                    }
                    p class="validation-link" {
                        strong { "Valid Certificate ID: " }
                        a href=(p.url) { (p.uuid) }
                        br;
                        "Verify this certificate at " span class="verify-url" { (p.url) }
                    }
                }
            }
        },
    )
}

/// GET `/certificate/{uuid}/` and `/certificate/program/{uuid}/` (the route says the kind).
pub async fn show(
    State(state): State<AppState>,
    cache: Cache,
    ctx: PageCtx,
    viewer: MaybeUser,
    Extension(kind): Extension<Kind>,
    Path(uuid): Path<String>,
) -> Result<Response, AppError> {
    let (req, v) = visible(&state, &cache, kind, &uuid).await?;
    let product = v.product_name(&req.cat);
    let signatories = v.signatories(&req.cat);
    let program_type = match kind {
        Kind::Program => req.cat.program(v.cert.object_id).map(|p| p.program_type.as_str()),
        Kind::CourseRun => None,
    };
    let owner = viewer.0.is_some_and(|u| u.id == v.learner.id);
    let printed = Printed {
        uuid: &v.cert.uuid,
        learner_name: &v.learner.name,
        product_name: &product,
        issue_date: v.cert.issue_date.format("%B %-d, %Y").to_string(),
        ceus: v.ceus(&req.cat),
        signatories: &signatories,
        url: state.config.absolute_url(&v.cert.link()),
        program_type,
        owner,
    };
    Ok(render(&ctx, &printed).into_response())
}
