//! Commerce area: baskets, checkout, the sandbox and REST CyberSource, discounts, refunds and the
//! staff and CLI faces of orders.

mod basket_handoff;
mod basket_items;
mod baskets;
mod cart_page;
mod checkout;
mod checkout_browser;
mod checkout_gates;
mod checkout_orders;
mod cybersource;
mod cybersource_browser;
mod cybersource_rest;
mod discount_forms;
mod discounts_items;
mod discounts_list;
mod discounts_nested;
mod duplicate_payment;
mod orders_cli;
mod products_staff;
mod refunds_partial;
mod refunds_settle;
mod staff_orders;
