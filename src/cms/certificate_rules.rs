//! The certificate and signatory pages' own rules, checked when staff save them: a certificate
//! page has at most seven signatories (and at least one to be published); a signatory's
//! signature image is at least 150×50 pixels.

use rusqlite::Connection;

use super::model::PageContent;
use super::service::CmsError;
use super::store;

pub fn check(
    c: &Connection,
    page_type: &str,
    content: &PageContent,
    publishing: bool,
) -> Result<(), CmsError> {
    match page_type {
        "certificate" => {
            let n = content.signatory_ids.len();
            if n > 7 {
                return Err(CmsError::Invalid(
                    "signatory_ids",
                    "Choose up to 7 signatories.".into(),
                ));
            }
            if publishing && n == 0 {
                return Err(CmsError::Invalid(
                    "signatory_ids",
                    "Choose at least one signatory.".into(),
                ));
            }
            for id in &content.signatory_ids {
                if store::find_page(c, *id)?.is_none_or(|p| p.page_type != "signatory") {
                    return Err(CmsError::Invalid(
                        "signatory_ids",
                        format!("Page {id} is not a signatory page."),
                    ));
                }
            }
        }
        "signatory" => {
            if let Some(id) = content.signature_image_id {
                let m = store::media_meta(c, id)?
                    .ok_or_else(|| CmsError::Invalid("signature_image_id", "No such image.".into()))?;
                if m.width < 150 || m.height < 50 {
                    return Err(CmsError::Invalid(
                        "signature_image_id",
                        format!(
                            "The signature image must be at least 150×50 pixels (this one is {}×{}).",
                            m.width, m.height
                        ),
                    ));
                }
            }
        }
        _ => {}
    }
    Ok(())
}
