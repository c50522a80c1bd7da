//! Catalog area: the catalog API's shapes, filters and visibility, the CMS editor and the public
//! site.

mod admin;
mod cms;
mod featured;
mod filters;
mod learner_pages;
mod shapes;
mod site;
mod visibility;
