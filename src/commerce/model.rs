//! Ecommerce types: order states and their allowed transitions (the original's viewflow FSM),
//! basket owners, and the rows the store hands back.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Serialize;

use super::discounts::{self, DiscountType, PaymentType, RedemptionType};

/// Django content type ids the original sends as `item_i_code` (and in `item_i_sku`).
pub const COURSE_RUN_CONTENT_TYPE_ID: i64 = 29;
pub const PROGRAM_CONTENT_TYPE_ID: i64 = 37;

/// An order's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    Pending,
    Fulfilled,
    Canceled,
    Declined,
    Errored,
    Refunded,
    Review,
    PartiallyRefunded,
}

impl OrderState {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::Pending => "pending",
            OrderState::Fulfilled => "fulfilled",
            OrderState::Canceled => "canceled",
            OrderState::Declined => "declined",
            OrderState::Errored => "errored",
            OrderState::Refunded => "refunded",
            OrderState::Review => "review",
            OrderState::PartiallyRefunded => "partially_refunded",
        }
    }

    /// The transitions this system makes: pending → fulfilled | declined | errored | canceled,
    /// fulfilled → refunded. Everything else is refused (callbacks never move a finished order).
    pub fn may_become(self, to: OrderState) -> bool {
        matches!(
            (self, to),
            (
                OrderState::Pending,
                OrderState::Fulfilled | OrderState::Declined | OrderState::Errored | OrderState::Canceled
            ) | (OrderState::Fulfilled, OrderState::Refunded)
        )
    }
}

impl FromStr for OrderState {
    type Err = discounts::UnknownChoice;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "pending" => OrderState::Pending,
            "fulfilled" => OrderState::Fulfilled,
            "canceled" => OrderState::Canceled,
            "declined" => OrderState::Declined,
            "errored" => OrderState::Errored,
            "refunded" => OrderState::Refunded,
            "review" => OrderState::Review,
            "partially_refunded" => OrderState::PartiallyRefunded,
            other => return Err(discounts::UnknownChoice(other.to_owned())),
        })
    }
}

/// Whose basket: a signed-in user's, or an anonymous visitor's (cookie value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    User(i64),
    Anonymous(String),
}

/// A sellable product with its current (latest) version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductRow {
    pub id: i64,
    pub version_id: i64,
    pub price: Decimal,
    pub description: String,
    pub is_active: bool,
    pub course_run_id: Option<i64>,
    pub program_id: Option<i64>,
    /// Course run: its courseware id; program: its readable id.
    pub readable_id: String,
    /// Course run: course title; program: program title.
    pub title: String,
    pub run_title: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub enrollment_end: Option<String>,
    pub upgrade_deadline: Option<String>,
    pub course_id: Option<i64>,
}

impl ProductRow {
    /// `(content type id, object id)` of what the product sells.
    pub fn content(&self) -> (i64, i64) {
        match (self.course_run_id, self.program_id) {
            (Some(run), _) => (COURSE_RUN_CONTENT_TYPE_ID, run),
            (_, Some(p)) => (PROGRAM_CONTENT_TYPE_ID, p),
            _ => (0, 0),
        }
    }
}

/// A discount row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiscountRow {
    pub id: i64,
    pub discount_code: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub automatic: bool,
    #[serde(serialize_with = "ser_as_str")]
    pub discount_type: DiscountType,
    #[serde(serialize_with = "ser_as_str")]
    pub redemption_type: RedemptionType,
    #[serde(serialize_with = "ser_opt_as_str")]
    pub payment_type: Option<PaymentType>,
    pub max_redemptions: u32,
    pub activation_date: Option<String>,
    pub expiration_date: Option<String>,
    pub is_bulk: bool,
    pub is_program_discount: bool,
}

trait AsStr {
    fn text(&self) -> &'static str;
}
impl AsStr for DiscountType {
    fn text(&self) -> &'static str {
        self.as_str()
    }
}
impl AsStr for RedemptionType {
    fn text(&self) -> &'static str {
        self.as_str()
    }
}
impl AsStr for PaymentType {
    fn text(&self) -> &'static str {
        self.as_str()
    }
}

fn ser_as_str<T: AsStr, S: serde::Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v.text())
}

fn ser_opt_as_str<T: AsStr, S: serde::Serializer>(v: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_str(v.text()),
        None => s.serialize_none(),
    }
}

impl DiscountRow {
    /// The facts the pure rules read.
    pub fn rules(&self) -> discounts::Discount {
        discounts::Discount {
            discount_type: self.discount_type,
            amount: self.amount,
            redemption_type: self.redemption_type,
            payment_type: self.payment_type,
            max_redemptions: self.max_redemptions,
            activation_date: self.activation_date.as_deref().and_then(crate::clock::from_db),
            expiration_date: self.expiration_date.as_deref().and_then(crate::clock::from_db),
        }
    }

    pub fn term(&self) -> (DiscountType, Decimal) {
        (self.discount_type, self.amount)
    }
}

/// An order row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderRow {
    pub id: i64,
    pub state: OrderState,
    pub purchaser_id: i64,
    pub total_price_paid: Decimal,
    pub reference_number: String,
    pub created_on: String,
    pub updated_on: String,
}

/// An order line with what it was sold at.
#[derive(Debug, Clone, PartialEq)]
pub struct LineRow {
    pub id: i64,
    pub order_id: i64,
    pub product_id: i64,
    pub product_version_id: i64,
    pub quantity: u32,
    pub unit_price: Decimal,
    pub discounted_price: Decimal,
    pub description: String,
    pub course_run_id: Option<i64>,
    pub program_id: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::OrderState::*;

    #[test]
    fn only_pending_orders_settle_and_only_fulfilled_orders_are_refunded() {
        for to in [Fulfilled, Declined, Errored, Canceled] {
            assert!(Pending.may_become(to));
            assert!(!Fulfilled.may_become(to));
            assert!(!Declined.may_become(to));
        }
        assert!(Fulfilled.may_become(Refunded));
        assert!(!Pending.may_become(Refunded));
        assert!(!Refunded.may_become(Fulfilled));
        assert!(!Canceled.may_become(Fulfilled));
    }

    #[test]
    fn states_round_trip_through_their_stored_spelling() {
        for s in [
            Pending,
            Fulfilled,
            Canceled,
            Declined,
            Errored,
            Refunded,
            Review,
            PartiallyRefunded,
        ] {
            assert_eq!(s.as_str().parse::<super::OrderState>().unwrap(), s);
        }
    }
}
