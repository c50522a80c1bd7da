//! Read-side use cases for the staff CMS pages and the media route: what each screen shows,
//! loaded in one reader round trip. A missing page, revision or image is `CmsError::NotFound`.

use super::model::PageRow;
use super::service::CmsError;
use super::store::{self, Media, Revision};
use crate::state::AppState;

/// Every page and every uploaded image, for the CMS index.
pub async fn pages_and_media(state: &AppState) -> Result<(Vec<PageRow>, Vec<Media>), CmsError> {
    state
        .db
        .read(|c| Ok::<_, CmsError>((store::list_pages(c)?, store::media_list(c)?)))
        .await
}

/// The page, its revisions (newest first) and the image choices `(id, title)`, for the editor.
pub async fn page_for_edit(
    state: &AppState,
    id: i64,
) -> Result<(PageRow, Vec<Revision>, Vec<(i64, String)>), CmsError> {
    state
        .db
        .read(move |c| {
            let row = store::find_page(c, id)?.ok_or(CmsError::NotFound)?;
            let images = store::media_list(c)?
                .into_iter()
                .map(|m| (m.id, m.title))
                .collect();
            Ok::<_, CmsError>((row, store::revisions(c, id)?, images))
        })
        .await
}

/// The course page of a course (for the catalog console's link to it), if one was created.
pub async fn course_page(state: &AppState, course_id: i64) -> Result<Option<PageRow>, CmsError> {
    state
        .db
        .read(move |c| Ok::<_, CmsError>(store::course_page(c, course_id)?))
        .await
}

/// One page.
pub async fn page(state: &AppState, id: i64) -> Result<PageRow, CmsError> {
    state
        .db
        .read(move |c| store::find_page(c, id)?.ok_or(CmsError::NotFound))
        .await
}

/// The page and the revision to preview: `revision` when given (and of this page), else the latest.
pub async fn preview(
    state: &AppState,
    id: i64,
    revision: Option<i64>,
) -> Result<(PageRow, Revision), CmsError> {
    state
        .db
        .read(move |c| {
            let rev = match revision {
                Some(r) => store::revision(c, r)?.filter(|r| r.page_id == id),
                None => store::latest_revision(c, id)?,
            };
            let row = store::find_page(c, id)?;
            row.zip(rev).ok_or(CmsError::NotFound)
        })
        .await
}

/// An uploaded image: `(content type, sha256, bytes)`.
pub async fn media_bytes(state: &AppState, id: i64) -> Result<(String, String, Vec<u8>), CmsError> {
    state
        .db
        .read(move |c| store::media_bytes(c, id)?.ok_or(CmsError::NotFound))
        .await
}
