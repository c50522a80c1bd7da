//! Staff CMS actions: create, save a draft, publish, unpublish, roll back, upload an image.
//! Each validates first (so bad input changes nothing) and writes its audit row in the same
//! transaction as the change.

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde_json::json;

use super::model::{PageContent, PageType};
use super::store::{self, NewPage};
use crate::audit;
use crate::catalog::service as catalog;
use crate::db::DbError;
use crate::state::AppState;

#[derive(Debug, thiserror::Error)]
pub enum CmsError {
    #[error("{1}")]
    Invalid(&'static str, String),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
}

crate::db::error_from!(rusqlite::Error => CmsError::Db);

fn invalid(field: &'static str, msg: impl Into<String>) -> CmsError {
    CmsError::Invalid(field, msg.into())
}

/// Slugs: lowercase letters, digits and `-`, or a course/program readable id for product pages.
pub fn valid_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 255
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | ':' | '.'))
}

pub fn validate_content(c: &PageContent) -> Result<(), CmsError> {
    if c.title.trim().is_empty() {
        return Err(invalid("title", "This field is required."));
    }
    if c.title.len() > 255 {
        return Err(invalid(
            "title",
            "Ensure this field has no more than 255 characters.",
        ));
    }
    for (name, v) in [("min_weeks", c.min_weeks), ("max_weeks", c.max_weeks)] {
        if v.is_some_and(|v| v < 0) {
            return Err(invalid(name, "Ensure this value is greater than or equal to 0."));
        }
    }
    for (name, v) in [
        ("min_price", c.min_price),
        ("max_price", c.max_price),
        ("list_price", c.list_price),
    ] {
        if v.is_some_and(|v| v.is_sign_negative()) {
            return Err(invalid(name, "Ensure this value is greater than or equal to 0."));
        }
    }
    // Every field that is rendered as (or handed out as) a link.
    for (name, url) in [
        ("faq_url", &c.faq_url),
        ("video_url", &c.video_url),
        ("price_link", &c.price_link),
        ("financial_assistance_form_url", &c.financial_assistance_form_url),
    ] {
        if !url.is_empty() && !super::links::is_safe_link(url) {
            return Err(invalid(name, super::links::LINK_ERROR));
        }
    }
    Ok(())
}

/// [`audit_page`] for an action on one revision.
fn audit_revision(
    c: &Connection,
    actor: &str,
    action: &str,
    page_id: i64,
    rev: i64,
    now: DateTime<Utc>,
) -> Result<(), CmsError> {
    audit_page(c, actor, action, page_id, json!({ "revision": rev }), now)
}

fn audit_page(
    c: &Connection,
    actor: &str,
    action: &str,
    page_id: i64,
    after: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), CmsError> {
    audit::record(
        c,
        None,
        actor,
        action,
        "cms_page",
        &page_id.to_string(),
        None,
        Some(&after),
        now,
    )?;
    Ok(())
}

pub struct CreatePage {
    pub page_type: PageType,
    pub slug: String,
    /// Course or program readable id for product pages.
    pub product: Option<String>,
    pub parent_id: Option<i64>,
    pub content: PageContent,
}

pub async fn create(state: &AppState, actor: &str, req: CreatePage) -> Result<i64, CmsError> {
    validate_content(&req.content)?;
    let actor = actor.to_owned();
    state
        .write_at(move |c, now| {
            let (mut course_id, mut program_id) = (None, None);
            let mut slug = req.slug.trim().to_owned();
            match req.page_type {
                PageType::Course | PageType::Program => {
                    let key = req.product.as_deref().map(str::trim).unwrap_or("");
                    let found = if req.page_type == PageType::Course {
                        catalog::course_id_by_readable(c, key)?
                    } else {
                        catalog::program_id_by_readable(c, key)?
                    };
                    let id = found.ok_or_else(|| {
                        invalid(
                            "product",
                            format!("No course or program with readable id {key:?}."),
                        )
                    })?;
                    if req.page_type == PageType::Course {
                        course_id = Some(id)
                    } else {
                        program_id = Some(id)
                    }
                    if slug.is_empty() {
                        slug = key.to_owned();
                    }
                    let col = if course_id.is_some() {
                        "course_id"
                    } else {
                        "program_id"
                    };
                    let taken: bool = c.query_row(
                        &format!("SELECT count(*) > 0 FROM cms_pages WHERE {col} = ?1"),
                        [id],
                        |r| r.get(0),
                    )?;
                    if taken {
                        return Err(invalid("product", "This course or program already has a page."));
                    }
                }
                PageType::Certificate => {
                    let parent = req.parent_id.ok_or_else(|| {
                        invalid(
                            "parent_id",
                            "A certificate page belongs to a course or program page.",
                        )
                    })?;
                    let p =
                        store::find_page(c, parent)?.ok_or_else(|| invalid("parent_id", "No such page."))?;
                    if p.page_type != "course" && p.page_type != "program" {
                        return Err(invalid(
                            "parent_id",
                            "A certificate page belongs to a course or program page.",
                        ));
                    }
                    if slug.is_empty() {
                        slug = format!("certificate-{parent}");
                    }
                }
                PageType::Home | PageType::Banner if slug.is_empty() => {
                    slug = req.page_type.as_str().to_owned()
                }
                _ => {}
            }
            if !valid_slug(&slug) {
                return Err(invalid("slug", "Use letters, numbers, hyphens or underscores."));
            }
            if store::find_by_slug(c, req.page_type, &slug)?.is_some() {
                return Err(invalid(
                    "slug",
                    "A page of this type with this slug already exists.",
                ));
            }
            let parent_id = if req.page_type == PageType::Certificate {
                req.parent_id
            } else {
                None
            };
            let (id, rev) = store::create_page(
                c,
                &NewPage {
                    page_type: req.page_type,
                    slug: &slug,
                    course_id,
                    program_id,
                    parent_id,
                },
                &req.content,
                &actor,
                now,
            )?;
            audit_page(
                c,
                &actor,
                "cms.page.create",
                id,
                json!({ "type": req.page_type.as_str(), "slug": slug, "revision": rev }),
                now,
            )?;
            Ok(id)
        })
        .await
}

/// Saves a draft revision; with `publish`, makes it live in the same transaction.
pub async fn save(
    state: &AppState,
    actor: &str,
    page_id: i64,
    content: PageContent,
    publish: bool,
) -> Result<i64, CmsError> {
    validate_content(&content)?;
    let actor = actor.to_owned();
    state
        .write_at(move |c, now| {
            let row = store::find_page(c, page_id)?.ok_or(CmsError::NotFound)?;
            super::certificate_rules::check(c, &row.page_type, &content, publish)?;
            let rev = store::add_revision(c, page_id, &content, &actor, now)?;
            audit_revision(c, &actor, "cms.page.save", page_id, rev, now)?;
            if publish {
                store::publish(c, page_id, rev, now)?;
                audit_revision(c, &actor, "cms.page.publish", page_id, rev, now)?;
            }
            Ok(rev)
        })
        .await
}

/// Publishes the latest revision.
pub async fn publish(state: &AppState, actor: &str, page_id: i64) -> Result<i64, CmsError> {
    let actor = actor.to_owned();
    state
        .write_at(move |c, now| {
            store::find_page(c, page_id)?.ok_or(CmsError::NotFound)?;
            let rev = store::latest_revision(c, page_id)?.ok_or(CmsError::NotFound)?;
            // A draft saved before links were checked must not go live unchecked.
            validate_content(&rev.content)?;
            store::publish(c, page_id, rev.id, now)?;
            audit_revision(c, &actor, "cms.page.publish", page_id, rev.id, now)?;
            Ok(rev.id)
        })
        .await
}

pub async fn unpublish(state: &AppState, actor: &str, page_id: i64) -> Result<(), CmsError> {
    let actor = actor.to_owned();
    state
        .write_at(move |c, now| {
            store::find_page(c, page_id)?.ok_or(CmsError::NotFound)?;
            store::unpublish(c, page_id, now)?;
            audit_page(c, &actor, "cms.page.unpublish", page_id, json!({}), now)?;
            Ok(())
        })
        .await
}

/// Copies an earlier revision into a new one and publishes it (history is never rewritten).
pub async fn rollback(
    state: &AppState,
    actor: &str,
    page_id: i64,
    revision_id: i64,
) -> Result<i64, CmsError> {
    let actor = actor.to_owned();
    state
        .write_at(move |c, now| {
            store::find_page(c, page_id)?.ok_or(CmsError::NotFound)?;
            let old = store::revision(c, revision_id)?
                .filter(|r| r.page_id == page_id)
                .ok_or_else(|| invalid("revision_id", "No such revision of this page."))?;
            validate_content(&old.content)?;
            let rev = store::add_revision(c, page_id, &old.content, &actor, now)?;
            store::publish(c, page_id, rev, now)?;
            audit_page(
                c,
                &actor,
                "cms.page.rollback",
                page_id,
                json!({ "from_revision": revision_id, "revision": rev }),
                now,
            )?;
            Ok(rev)
        })
        .await
}

/// Stores an uploaded image after checking what it really is.
pub async fn upload(
    state: &AppState,
    actor: &str,
    title: String,
    filename: String,
    bytes: Vec<u8>,
) -> Result<i64, CmsError> {
    let (ty, w, h) = super::media::inspect(&bytes).map_err(|m| invalid("file", m))?;
    let filename: String = filename
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .take(100)
        .collect();
    let filename = if filename.is_empty() {
        "image".to_owned()
    } else {
        filename
    };
    let title = title.trim().chars().take(255).collect::<String>();
    let actor = actor.to_owned();
    state.write_at(move |c, now| {
            let id = store::insert_media(c, &title, &filename, ty, (w, h), &bytes, now)?;
            audit::record(c, None, &actor, "cms.media.upload", "cms_media", &id.to_string(), None,
                Some(&json!({ "filename": filename, "type": ty, "width": w, "height": h, "bytes": bytes.len() })), now)?;
            Ok(id)
        })
        .await
}

/// Creates and publishes a page in the caller's transaction, without an audit row: how the
/// demo catalog seeds its pages (`actor` names the author of the revision).
pub fn seed_published_page(
    c: &Connection,
    n: &NewPage<'_>,
    content: &PageContent,
    actor: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<i64> {
    let (id, rev) = store::create_page(c, n, content, actor, now)?;
    store::publish(c, id, rev, now)?;
    Ok(id)
}

/// Stores an image in the caller's transaction, unchecked and unaudited: the demo catalog's
/// generated images.
pub fn seed_image(
    c: &Connection,
    title: &str,
    filename: &str,
    (width, height): (u32, u32),
    png: &[u8],
    now: DateTime<Utc>,
) -> rusqlite::Result<i64> {
    store::insert_media(c, title, filename, "image/png", (width, height), png, now)
}
