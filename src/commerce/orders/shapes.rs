//! The original's JSON shapes for orders: history lines and orders, status, receipt transactions.
//! Prices are strings with two decimals, as DRF renders DecimalFields.

use crate::commerce::discounts::model::DiscountRow;
use crate::commerce::orders::model::LineRow;
use crate::commerce::orders::model::OrderRow;
use crate::commerce::orders::model::OrderState;
use crate::money::cents_string;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// One order line of the history.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryLine {
    pub id: i64,
    pub quantity: u32,
    pub item_description: String,
    pub unit_price: String,
    pub total_price: String,
    pub product: i64,
}

/// One order line for the history.
pub fn history_line(l: &LineRow) -> HistoryLine {
    HistoryLine {
        id: l.id,
        quantity: l.quantity,
        item_description: l.description.clone(),
        unit_price: cents_string(l.unit_price),
        total_price: cents_string(l.discounted_price * Decimal::from(l.quantity)),
        product: l.product_id,
    }
}

/// An order of the learner's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryOrder {
    pub id: i64,
    #[schema(inline)]
    pub state: OrderState,
    pub reference_number: String,
    pub purchaser: i64,
    pub total_price_paid: String,
    pub lines: Vec<HistoryLine>,
    pub created_on: String,
    pub titles: Vec<String>,
    pub updated_on: String,
    pub refund_eligible: bool,
}

/// An order in `/orders/history/`.
pub fn history_order(o: &OrderRow, lines: &[LineRow], refund_eligible: bool) -> HistoryOrder {
    HistoryOrder {
        id: o.id,
        state: o.state,
        reference_number: o.reference_number.clone(),
        purchaser: o.purchaser_id,
        total_price_paid: cents_string(o.total_price_paid),
        lines: lines.iter().map(history_line).collect(),
        created_on: o.created_on.clone(),
        titles: lines.iter().map(|l| l.description.clone()).collect(),
        updated_on: o.updated_on.clone(),
        refund_eligible,
    }
}

/// An order's state (`/orders/status/{id}/`).
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderStatus {
    pub id: i64,
    pub reference_number: String,
    pub total_price_paid: String,
    #[schema(inline)]
    pub state: OrderState,
}

/// `/orders/status/{id}/`.
pub fn status(o: &OrderRow) -> OrderStatus {
    OrderStatus {
        id: o.id,
        reference_number: o.reference_number.clone(),
        total_price_paid: cents_string(o.total_price_paid),
        state: o.state,
    }
}

/// The card and bill-to name of a receipt's payment.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptTransaction {
    pub card_number: String,
    pub card_type: String,
    pub name: String,
    pub bill_to_email: String,
    pub payment_method: String,
}

/// A receipt line.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptLine {
    pub quantity: u32,
    #[serde(rename = "CEUs")]
    pub ceus: Option<String>,
    pub content_title: Option<String>,
    /// `courserun` or `program`.
    pub content_type: String,
    pub readable_id: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub price: String,
    pub discount: String,
    pub total_paid: String,
}

/// A refund of the order.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptRefund {
    pub amount: String,
    pub date: String,
}

/// The bill-to address the gateway was given.
#[derive(Debug, Serialize, ToSchema)]
pub struct StreetAddress {
    pub line: Vec<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub city: Option<String>,
}

/// An order's receipt.
#[derive(Debug, Serialize, ToSchema)]
pub struct Receipt {
    pub id: i64,
    #[schema(inline)]
    pub state: OrderState,
    pub purchaser: i64,
    pub total_price_paid: String,
    pub lines: Vec<ReceiptLine>,
    pub discounts: Vec<DiscountRow>,
    pub refunds: Vec<ReceiptRefund>,
    pub reference_number: String,
    pub created_on: String,
    pub transactions: ReceiptTransaction,
    pub street_address: StreetAddress,
    pub refund_eligible: bool,
}

/// The card/bill-to part of a receipt from the latest payment transaction's `req_*` fields.
pub fn receipt_transaction(data: &Value) -> ReceiptTransaction {
    let f = |k: &str| data.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let card_type = match f("req_card_type").as_str() {
        "001" => "Visa",
        "002" => "Mastercard",
        "003" => "American Express",
        "004" => "Discover",
        "005" => "Diners Club",
        "007" => "JCB",
        _ => "",
    };
    ReceiptTransaction {
        card_number: f("req_card_number"),
        card_type: card_type.to_owned(),
        name: format!("{} {}", f("req_bill_to_forename"), f("req_bill_to_surname"))
            .trim()
            .to_owned(),
        bill_to_email: f("req_bill_to_email"),
        payment_method: f("req_payment_method"),
    }
}
