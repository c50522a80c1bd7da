//! What the certificate APIs and pages show, read in one reader round trip: the certificate
//! (hidden when revoked or issued in the future, as the original's default manager), its
//! learner, the certificate page as it was when the certificate was issued (the pinned
//! revision, else the page's current content), its CEUs and signatories.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::model::{Certificate, CertificateError, Kind};
use super::store;
use crate::catalog::snapshot::Catalog;
use crate::cms::model::{PageContent, PageType, PublishedPage};
use crate::cms::store as cms;
use crate::db::Db;
use crate::enrollment::facts;
use crate::users::store::User;

/// One certificate as its public page and API show it.
#[derive(Debug, Clone)]
pub struct CertificateView {
    pub cert: Certificate,
    pub learner: User,
    /// The certificate page with the pinned revision's content.
    pub page: Option<PublishedPage>,
    pub credential: Option<Value>,
}

/// A signatory as printed on a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signatory {
    pub name: String,
    pub titles: Vec<String>,
    pub organization: String,
    pub signature_image_id: Option<i64>,
}

impl CertificateView {
    /// The readable id overrides are keyed by: the run's courseware id, or the program's.
    pub fn object_readable_id(&self, cat: &Catalog) -> Option<String> {
        match self.cert.kind {
            Kind::CourseRun => cat
                .run_by_id
                .get(&self.cert.object_id)
                .map(|&i| cat.runs[i].courseware_id.clone()),
            Kind::Program => cat.program(self.cert.object_id).map(|p| p.readable_id.clone()),
        }
    }

    /// The product's name: the page's certificate title, else the course's or program's title.
    pub fn product_name(&self, cat: &Catalog) -> String {
        if let Some(p) = &self.page
            && !p.content.product_name.trim().is_empty()
        {
            return p.content.product_name.clone();
        }
        match self.cert.kind {
            Kind::CourseRun => cat
                .run_by_id
                .get(&self.cert.object_id)
                .and_then(|&i| cat.course(cat.runs[i].course_id))
                .map(|c| c.title.clone()),
            Kind::Program => cat.program(self.cert.object_id).map(|p| p.title.clone()),
        }
        .unwrap_or_default()
    }

    /// CEUs: the page's override for this run or program, else the page's value.
    pub fn ceus(&self, cat: &Catalog) -> Option<String> {
        let page = &self.page.as_ref()?.content;
        let id = self.object_readable_id(cat);
        let v = page
            .ceu_overrides
            .iter()
            .find(|o| Some(&o.readable_id) == id.as_ref())
            .map_or(page.ceus.as_str(), |o| o.ceus.as_str());
        Some(v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    /// The page's signatories (at most seven), from the published signatory pages.
    pub fn signatories(&self, cat: &Catalog) -> Vec<Signatory> {
        let Some(page) = &self.page else { return Vec::new() };
        signatories(cat, &page.content)
    }
}

pub fn signatories(cat: &Catalog, content: &PageContent) -> Vec<Signatory> {
    content
        .signatory_ids
        .iter()
        .filter_map(|id| cat.page_by_id(*id))
        .take(7)
        .map(|s| Signatory {
            name: s.content.name.clone(),
            titles: [&s.content.title_1, &s.content.title_2, &s.content.title_3]
                .into_iter()
                .filter(|t| !t.trim().is_empty())
                .cloned()
                .collect(),
            organization: s.content.organization.clone(),
            signature_image_id: s.content.signature_image_id,
        })
        .collect()
}

/// The certificate page under a course's or program's page in the snapshot (its live content).
pub fn current_certificate_page(cat: &Catalog, kind: Kind, object_id: i64) -> Option<&PublishedPage> {
    let parent = match kind {
        Kind::CourseRun => {
            let run = cat.runs.get(*cat.run_by_id.get(&object_id)?)?;
            cat.course(run.course_id)?.page?
        }
        Kind::Program => cat.program(object_id)?.page?,
    };
    let parent_id = cat.pages[parent].id;
    cat.pages
        .iter()
        .find(|p| p.page_type == PageType::Certificate && p.parent_id == Some(parent_id))
}

/// A visible certificate by uuid: `NotFound` when unknown, revoked or issued in the future.
pub async fn visible(
    db: &Db,
    cat: &Catalog,
    kind: Kind,
    uuid: String,
    now: DateTime<Utc>,
) -> Result<CertificateView, CertificateError> {
    let found = db
        .read(move |c| -> Result<_, CertificateError> {
            let Some(cert) = store::by_uuid(c, kind, &uuid)? else {
                return Ok(None);
            };
            let learner = crate::users::store::find_by_id(c, cert.user_id)?;
            let pinned = match cert.revision_id {
                Some(r) => cms::revision_content(c, r)?,
                None => None,
            };
            let credential = match &cert.credential_id {
                Some(id) => store::credential(c, id)?,
                None => None,
            };
            Ok(learner.map(|l| (cert, l, pinned, credential)))
        })
        .await?;
    let Some((cert, learner, pinned, credential)) = found else {
        return Err(CertificateError::NotFound);
    };
    if cert.is_revoked || cert.issue_date > now {
        return Err(CertificateError::NotFound);
    }
    let current = current_certificate_page(cat, kind, cert.object_id);
    let page = match pinned {
        Some((page_id, content)) => Some(match cat.page_by_id(page_id) {
            Some(p) => PublishedPage { content, ..p.clone() },
            None => PublishedPage {
                id: page_id,
                page_type: PageType::Certificate,
                slug: format!("certificate-{page_id}"),
                course_id: None,
                program_id: None,
                parent_id: current.and_then(|p| p.parent_id),
                first_published_at: None,
                last_published_at: None,
                content,
            },
        }),
        None => current.cloned(),
    };
    Ok(CertificateView {
        cert,
        learner,
        page,
        credential,
    })
}

/// A stored credential by its uuid (the download endpoints).
pub async fn credential(db: &Db, uuid: String) -> Result<Value, CertificateError> {
    db.read(move |c| store::credential(c, &uuid).map_err(CertificateError::from))
        .await?
        .ok_or(CertificateError::NotFound)
}

/// The learner's visible certificates: `(run id, uuid)` and `(program id, uuid)`.
pub async fn learner_certificates(
    db: &Db,
    user_id: i64,
) -> Result<(Vec<(i64, String)>, Vec<(i64, String)>), CertificateError> {
    db.read(move |c| -> Result<_, CertificateError> {
        let pick = |v: Vec<Certificate>| {
            v.into_iter()
                .filter(|x| !x.is_revoked)
                .map(|x| (x.object_id, x.uuid))
                .collect()
        };
        Ok((
            pick(store::for_user(c, Kind::CourseRun, user_id)?),
            pick(store::for_user(c, Kind::Program, user_id)?),
        ))
    })
    .await
}

/// One enrollment of a learner on the staff page: its run, grade and certificate.
#[derive(Debug, Clone)]
pub struct StaffRow {
    pub run_id: i64,
    pub run: String,
    pub mode: String,
    pub grade: Option<facts::GradeRow>,
    pub certificate: Option<Certificate>,
}

/// What the staff certificates page shows about a learner found by email.
#[derive(Debug, Clone)]
pub struct StaffView {
    pub learner: User,
    pub runs: Vec<StaffRow>,
    /// Program certificates with the program's title.
    pub programs: Vec<(Certificate, String)>,
}

pub async fn for_staff(db: &Db, cat: &Catalog, email: String) -> Result<Option<StaffView>, CertificateError> {
    let found = db
        .read(move |c| -> Result<_, CertificateError> {
            let Some(u) = crate::users::store::find_by_email(c, &email)? else {
                return Ok(None);
            };
            let mut rows = Vec::new();
            for e in crate::enrollment::store::for_user(c, u.id)? {
                let run = e.run_id;
                rows.push((
                    e,
                    facts::grade_row(c, u.id, run)?,
                    store::find(c, Kind::CourseRun, u.id, run)?,
                ));
            }
            Ok(Some((u.clone(), rows, store::for_user(c, Kind::Program, u.id)?)))
        })
        .await?;
    let Some((learner, rows, programs)) = found else {
        return Ok(None);
    };
    let runs = rows
        .into_iter()
        .map(|(e, grade, certificate)| StaffRow {
            run_id: e.run_id,
            run: cat.run_by_id.get(&e.run_id).map_or_else(
                || format!("run {}", e.run_id),
                |&i| format!("{} ({})", cat.runs[i].title, cat.runs[i].courseware_id),
            ),
            mode: e.mode.as_str().to_owned(),
            grade,
            certificate,
        })
        .collect();
    let programs = programs
        .into_iter()
        .map(|p| {
            let title = cat
                .program(p.object_id)
                .map_or_else(|| format!("program {}", p.object_id), |x| x.title.clone());
            (p, title)
        })
        .collect();
    Ok(Some(StaffView {
        learner,
        runs,
        programs,
    }))
}
