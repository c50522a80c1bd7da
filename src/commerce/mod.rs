//! Ecommerce: baskets, discounts, orders, receipts and refunds (issue 6).
//!
//! For now only the pure discount rules live here ([`discounts`]): the price math and the
//! validity checks of the original's `ecommerce/discounts.py` and `Discount` model, over plain
//! structs so they can be table-tested without a database. Baskets, orders and their pages build
//! on these once the catalog and enrollments exist.

pub mod discounts;
