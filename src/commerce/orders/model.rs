//! Order types: order states and their allowed transitions (the original's viewflow FSM), and
//! the order and line rows the store hands back.

use crate::commerce::discounts;
use rust_decimal::Decimal;
use serde::Serialize;
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

discounts::rules::choices!(OrderState {
    Pending => "pending",
    Fulfilled => "fulfilled",
    Canceled => "canceled",
    Declined => "declined",
    Errored => "errored",
    Refunded => "refunded",
    Review => "review",
    PartiallyRefunded => "partially_refunded",
});

impl OrderState {
    /// The transitions this system makes: pending → fulfilled | declined | errored | canceled |
    /// review (a payment result that does not match the issued form, or a second payment for
    /// what another order paid), fulfilled | review → refunded.
    /// Everything else is refused (callbacks never move a finished order).
    /// Staff may refund it: a fulfilled order, or one held in review whose payment was recorded
    /// (a second payment for what another order paid: see `orders::duplicates`).
    pub fn staff_refundable(self, has_payment: bool) -> bool {
        self == OrderState::Fulfilled || (self == OrderState::Review && has_payment)
    }

    pub fn may_become(self, to: OrderState) -> bool {
        matches!(
            (self, to),
            (
                OrderState::Pending,
                OrderState::Fulfilled
                    | OrderState::Declined
                    | OrderState::Errored
                    | OrderState::Canceled
                    | OrderState::Review
            ) | (OrderState::Fulfilled | OrderState::Review, OrderState::Refunded)
        )
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
    fn only_pending_orders_settle_and_only_fulfilled_or_held_orders_are_refunded() {
        for to in [Fulfilled, Declined, Errored, Canceled] {
            assert!(Pending.may_become(to));
            assert!(!Fulfilled.may_become(to));
            assert!(!Declined.may_become(to));
        }
        assert!(Fulfilled.may_become(Refunded));
        // A second payment held in review is refunded from there (see `duplicates`).
        assert!(Review.may_become(Refunded));
        assert!(Fulfilled.staff_refundable(true) && Review.staff_refundable(true));
        assert!(!Review.staff_refundable(false) && !Pending.staff_refundable(true));
        assert!(Pending.may_become(Review) && !Review.may_become(Fulfilled));
        assert!(!Pending.may_become(Refunded));
        assert!(!Refunded.may_become(Fulfilled));
        assert!(!Canceled.may_become(Fulfilled));
    }

    #[test]
    fn states_round_trip_through_their_stored_spelling() {
        for &s in super::OrderState::ALL {
            assert_eq!(s.as_str().parse::<super::OrderState>().unwrap(), s);
        }
    }
}
