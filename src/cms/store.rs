//! CMS tables: pages, their revisions (each a full JSON snapshot of the content) and media.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest as _, Sha256};

pub use super::model::{NewPage, PageRow};
use super::model::{PageContent, PageType};
use crate::clock::to_db;
use crate::db::from_row;

const PAGE_COLS: &str =
    "id, page_type, slug, title, course_id, program_id, parent_id, live, live_revision_id,
     first_published_at, last_published_at, updated_on";

fn page_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PageRow> {
    from_row!(
        r,
        PageRow {
            id,
            page_type,
            slug,
            title,
            course_id,
            program_id,
            parent_id,
            live,
            live_revision_id,
            first_published_at,
            last_published_at,
            updated_on
        }
    )
}

/// Creates a page with a first (draft) revision. Returns (page id, revision id).
pub fn create_page(
    c: &Connection,
    n: &NewPage<'_>,
    content: &PageContent,
    actor: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<(i64, i64)> {
    let ts = to_db(now);
    c.execute(
        "INSERT INTO cms_pages (page_type, slug, title, course_id, program_id, parent_id, created_on, updated_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        params![n.page_type.as_str(), n.slug, content.title, n.course_id, n.program_id, n.parent_id, ts],
    )?;
    let id = c.last_insert_rowid();
    let rev = add_revision(c, id, content, actor, now)?;
    Ok((id, rev))
}

/// Saves a new draft revision.
pub fn add_revision(
    c: &Connection,
    page_id: i64,
    content: &PageContent,
    actor: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<i64> {
    let json = serde_json::to_string(content).unwrap_or_else(|_| "{}".into());
    c.execute(
        "INSERT INTO cms_revisions (page_id, content, created_by, created_on) VALUES (?1, ?2, ?3, ?4)",
        params![page_id, json, actor, to_db(now)],
    )?;
    let rev = c.last_insert_rowid();
    c.execute(
        "UPDATE cms_pages SET title = ?2, updated_on = ?3 WHERE id = ?1",
        params![page_id, content.title, to_db(now)],
    )?;
    Ok(rev)
}

/// Makes `revision_id` the live revision.
pub fn publish(c: &Connection, page_id: i64, revision_id: i64, now: DateTime<Utc>) -> rusqlite::Result<()> {
    let ts = to_db(now);
    c.execute(
        "UPDATE cms_pages SET live = 1, live_revision_id = ?2, last_published_at = ?3,
                first_published_at = coalesce(first_published_at, ?3), updated_on = ?3
         WHERE id = ?1",
        params![page_id, revision_id, ts],
    )?;
    Ok(())
}

pub fn unpublish(c: &Connection, page_id: i64, now: DateTime<Utc>) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE cms_pages SET live = 0, updated_on = ?2 WHERE id = ?1",
        params![page_id, to_db(now)],
    )?;
    Ok(())
}

/// The course page of a course, if one was created.
pub fn course_page(c: &Connection, course_id: i64) -> rusqlite::Result<Option<PageRow>> {
    c.query_row(
        &format!("SELECT {PAGE_COLS} FROM cms_pages WHERE page_type = 'course' AND course_id = ?1"),
        [course_id],
        page_row,
    )
    .optional()
}

pub fn find_page(c: &Connection, id: i64) -> rusqlite::Result<Option<PageRow>> {
    c.query_row(
        &format!("SELECT {PAGE_COLS} FROM cms_pages WHERE id = ?1"),
        [id],
        page_row,
    )
    .optional()
}

pub fn find_by_slug(c: &Connection, ty: PageType, slug: &str) -> rusqlite::Result<Option<PageRow>> {
    c.query_row(
        &format!("SELECT {PAGE_COLS} FROM cms_pages WHERE page_type = ?1 AND slug = ?2"),
        params![ty.as_str(), slug],
        page_row,
    )
    .optional()
}

pub fn list_pages(c: &Connection) -> rusqlite::Result<Vec<PageRow>> {
    c.prepare(&format!(
        "SELECT {PAGE_COLS} FROM cms_pages ORDER BY page_type, title, id"
    ))?
    .query_map([], page_row)?
    .collect()
}

#[derive(Debug, Clone)]
pub struct Revision {
    pub id: i64,
    pub page_id: i64,
    pub content: PageContent,
    pub created_by: String,
    pub created_on: String,
}

fn revision_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Revision> {
    from_row!(
        r,
        Revision {
            id,
            page_id,
            content: (|content: String| serde_json::from_str(&content).unwrap_or_default()),
            created_by,
            created_on
        }
    )
}

pub fn revisions(c: &Connection, page_id: i64) -> rusqlite::Result<Vec<Revision>> {
    c.prepare(
        "SELECT id, page_id, content, created_by, created_on FROM cms_revisions WHERE page_id = ?1 ORDER BY id DESC",
    )?
    .query_map([page_id], revision_row)?
    .collect()
}

pub fn revision(c: &Connection, id: i64) -> rusqlite::Result<Option<Revision>> {
    c.query_row(
        "SELECT id, page_id, content, created_by, created_on FROM cms_revisions WHERE id = ?1",
        [id],
        revision_row,
    )
    .optional()
}

/// The newest revision (the draft).
pub fn latest_revision(c: &Connection, page_id: i64) -> rusqlite::Result<Option<Revision>> {
    c.query_row(
        "SELECT id, page_id, content, created_by, created_on FROM cms_revisions WHERE page_id = ?1 ORDER BY id DESC LIMIT 1",
        [page_id],
        revision_row,
    )
    .optional()
}

/// A stored image.
#[derive(Debug, Clone)]
pub struct Media {
    pub id: i64,
    pub title: String,
    pub filename: String,
    pub content_type: String,
    pub width: i64,
    pub height: i64,
    pub sha256: String,
}

pub fn insert_media(
    c: &Connection,
    title: &str,
    filename: &str,
    content_type: &str,
    (width, height): (u32, u32),
    bytes: &[u8],
    now: DateTime<Utc>,
) -> rusqlite::Result<i64> {
    let sha: String = Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
    c.execute(
        "INSERT INTO cms_media (title, filename, content_type, width, height, bytes, sha256, created_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            title,
            filename,
            content_type,
            width,
            height,
            bytes,
            sha,
            to_db(now)
        ],
    )?;
    Ok(c.last_insert_rowid())
}

fn media_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Media> {
    from_row!(
        r,
        Media {
            id,
            title,
            filename,
            content_type,
            width,
            height,
            sha256
        }
    )
}

pub fn media_list(c: &Connection) -> rusqlite::Result<Vec<Media>> {
    c.prepare(
        "SELECT id, title, filename, content_type, width, height, sha256 FROM cms_media ORDER BY id DESC",
    )?
    .query_map([], media_row)?
    .collect()
}

/// (content type, sha256, bytes) of an image.
pub fn media_bytes(c: &Connection, id: i64) -> rusqlite::Result<Option<(String, String, Vec<u8>)>> {
    c.query_row(
        "SELECT content_type, sha256, bytes FROM cms_media WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .optional()
}

pub fn media_meta(c: &Connection, id: i64) -> rusqlite::Result<Option<Media>> {
    media_list_by_id(c, id)
}

fn media_list_by_id(c: &Connection, id: i64) -> rusqlite::Result<Option<Media>> {
    c.query_row(
        "SELECT id, title, filename, content_type, width, height, sha256 FROM cms_media WHERE id = ?1",
        [id],
        media_row,
    )
    .optional()
}

/// The revision a new certificate pins: the published revision of the certificate page under
/// the course's (or program's) page, else its latest revision; `None` without such a page.
pub fn certificate_revision(
    c: &Connection,
    course_id: Option<i64>,
    program_id: Option<i64>,
) -> rusqlite::Result<Option<i64>> {
    c.prepare_cached(
        "SELECT coalesce(cert.live_revision_id,
                         (SELECT max(r.id) FROM cms_revisions r WHERE r.page_id = cert.id))
         FROM cms_pages parent JOIN cms_pages cert ON cert.parent_id = parent.id
         WHERE cert.page_type = 'certificate'
           AND (parent.course_id = ?1 OR parent.program_id = ?2)
         ORDER BY cert.id LIMIT 1",
    )?
    .query_row(params![course_id, program_id], |r| r.get(0))
    .optional()
    .map(Option::flatten)
}

/// A revision's page id and content (what a certificate pinned).
pub fn revision_content(c: &Connection, id: i64) -> rusqlite::Result<Option<(i64, PageContent)>> {
    Ok(revision(c, id)?.map(|r| (r.page_id, r.content)))
}
