//! Catalog area: the catalog API's shapes, filters and visibility, the CMS editor and the public
//! site.

mod cms;
mod featured;
mod filters;
mod shapes;
mod site;
mod visibility;
