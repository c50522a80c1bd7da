//! CMS page types and their content. Every page type shares one content record (fields a type
//! does not use stay empty), stored as JSON in a revision, so a revision is a complete snapshot
//! of a page that can be published or rolled back to.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PageType {
    Home,
    Course,
    Program,
    Instructor,
    Signatory,
    Certificate,
    Resource,
    Banner,
}

impl PageType {
    pub const ALL: [PageType; 8] = [
        PageType::Home,
        PageType::Course,
        PageType::Program,
        PageType::Instructor,
        PageType::Signatory,
        PageType::Certificate,
        PageType::Resource,
        PageType::Banner,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PageType::Home => "home",
            PageType::Course => "course",
            PageType::Program => "program",
            PageType::Instructor => "instructor",
            PageType::Signatory => "signatory",
            PageType::Certificate => "certificate",
            PageType::Resource => "resource",
            PageType::Banner => "banner",
        }
    }

    pub fn parse(s: &str) -> Option<PageType> {
        PageType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The Wagtail model name used by `/api/v2/pages/?type=…`.
    pub fn wagtail_type(self) -> &'static str {
        match self {
            PageType::Home => "cms.HomePage",
            PageType::Course => "cms.CoursePage",
            PageType::Program => "cms.ProgramPage",
            PageType::Instructor => "cms.InstructorPage",
            PageType::Signatory => "cms.SignatoryPage",
            PageType::Certificate => "cms.CertificatePage",
            PageType::Resource => "cms.ResourcePage",
            PageType::Banner => "cms.SiteBanner",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PageType::Home => "Home page",
            PageType::Course => "Course page",
            PageType::Program => "Program page",
            PageType::Instructor => "Instructor",
            PageType::Signatory => "Signatory",
            PageType::Certificate => "Certificate page",
            PageType::Resource => "Resource page",
            PageType::Banner => "Site banner",
        }
    }
}

/// One section of a resource page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Section {
    pub heading: String,
    pub detail: String,
}

/// A certificate page's CEUs for one run or program.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CeuOverride {
    pub readable_id: String,
    pub ceus: String,
}

/// A revision's content. Text is plain text (paragraphs split on blank lines when rendered).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PageContent {
    pub title: String,
    pub seo_title: String,
    pub search_description: String,
    // Product pages (course and program).
    pub description: String,
    pub length: String,
    pub effort: String,
    pub min_weekly_hours: String,
    pub max_weekly_hours: String,
    pub min_weeks: Option<i64>,
    pub max_weeks: Option<i64>,
    pub min_price: Option<Decimal>,
    pub max_price: Option<Decimal>,
    pub price_text: String,
    pub price_link: String,
    pub prerequisites: String,
    pub about: String,
    pub what_you_learn: String,
    pub faq_url: String,
    pub video_url: String,
    pub feature_image_id: Option<i64>,
    pub faculty_section_title: String,
    pub instructor_ids: Vec<i64>,
    pub include_in_learn_catalog: bool,
    pub ingest_content_files_for_ai: bool,
    pub show_stay_updated: bool,
    pub list_price: Option<Decimal>,
    pub financial_assistance_form_url: String,
    // Instructor and signatory.
    pub name: String,
    pub bio_short: String,
    pub bio_long: String,
    pub title_1: String,
    pub title_2: String,
    pub title_3: String,
    pub organization: String,
    pub signature_image_id: Option<i64>,
    // Certificate.
    pub product_name: String,
    pub ceus: String,
    pub signatory_ids: Vec<i64>,
    /// CEUs for specific runs or programs, by readable id (unique).
    pub ceu_overrides: Vec<CeuOverride>,
    /// The criteria narrative of the verifiable credentials issued for this certificate.
    pub verifiable_credential_criteria: String,
    pub should_provision_verifiable_credential: bool,
    // Resource pages.
    pub sections: Vec<Section>,
    // Home.
    pub hero_title: String,
    pub hero_subtitle: String,
    pub product_section_title: String,
    // Site banner.
    pub message: String,
}

/// A page as the public sees it: its row plus the published revision's content.
#[derive(Debug, Clone)]
pub struct PublishedPage {
    pub id: i64,
    pub page_type: PageType,
    pub slug: String,
    pub course_id: Option<i64>,
    pub program_id: Option<i64>,
    pub parent_id: Option<i64>,
    pub first_published_at: Option<String>,
    pub last_published_at: Option<String>,
    pub content: PageContent,
}

/// A page row as staff see it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PageRow {
    pub id: i64,
    pub page_type: String,
    pub slug: String,
    pub title: String,
    pub course_id: Option<i64>,
    pub program_id: Option<i64>,
    pub parent_id: Option<i64>,
    pub live: bool,
    pub live_revision_id: Option<i64>,
    pub first_published_at: Option<String>,
    pub last_published_at: Option<String>,
    pub updated_on: String,
}

/// A page to create: its type, slug and the product or parent page it belongs to.
pub struct NewPage<'a> {
    pub page_type: PageType,
    pub slug: &'a str,
    pub course_id: Option<i64>,
    pub program_id: Option<i64>,
    pub parent_id: Option<i64>,
}
