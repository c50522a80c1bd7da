//! Catalog area: the catalog API's shapes, filters and visibility, the CMS editor and the public
//! site.

mod admin;
mod admin_browser;
mod admin_cli;
mod admin_edx;
mod admin_validation;
mod cms;
mod featured;
mod filters;
mod learner_pages;
mod program_console;
mod shapes;
mod site;
mod visibility;
