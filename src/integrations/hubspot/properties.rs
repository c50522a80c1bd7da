//! What we send: local objects → HubSpot properties, with the original's property names
//! (`hubspot_sync/api.py`, `serializers.py`). Pure functions over the plain values
//! [`super::source`] reads; every value is a string and a missing one is `""`.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::money::cents_string;

/// A set of HubSpot properties (`{"properties": …}` in a request).
pub type Properties = Map<String, Value>;

/// The dealstage of a cart add (the original's `CART_ADD_DEAL_STAGE`).
pub const CART_ADD_DEAL_STAGE: &str = "checkout_abandoned";

/// The original's `ORDER_STATUS_MAPPING` (pipeline stage ids of the MITx Online portal).
pub fn deal_stage(order_state: &str) -> &'static str {
    match order_state {
        "fulfilled" | "review" => "48288390",
        "pending" => "48288388",
        "canceled" => "48288379",
        _ => "48288389",
    }
}

/// `unique_app_id`: `<prefix>-<id>` (mitol's `format_app_id`).
pub fn app_id(prefix: &str, id: impl std::fmt::Display) -> String {
    format!("{prefix}-{id}")
}

/// A learner with legal address and profile.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ContactSource {
    pub email: String,
    pub name: String,
    pub country: String,
    pub state: Option<String>,
    pub year_of_birth: Option<i64>,
    pub gender: Option<String>,
    pub company: Option<String>,
    pub company_size: Option<i64>,
    pub job_title: Option<String>,
    pub industry: Option<String>,
    pub job_function: Option<String>,
    pub years_experience: Option<i64>,
    pub leadership_level: Option<String>,
    pub highest_education: Option<String>,
    pub type_is_student: bool,
    pub type_is_professional: bool,
    pub type_is_educator: bool,
    pub type_is_other: bool,
}

/// A product: its course run or program and current price version.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProductSource {
    pub id: i64,
    pub title: String,
    pub readable_id: String,
    pub price: Decimal,
    pub description: String,
}

/// The discount redeemed on an order.
#[derive(Debug, Clone, Serialize)]
pub struct DiscountSource {
    pub discount_type: String,
    pub amount: Decimal,
    pub code: String,
}

/// One order line with the product version it was sold at and the learner's enrollment.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LineSource {
    pub id: i64,
    pub quantity: i64,
    pub product: ProductSource,
    pub enrollment_mode: Option<String>,
    pub change_status: Option<String>,
}

/// An order with its lines and discount.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OrderSource {
    pub id: i64,
    pub state: String,
    pub purchaser_id: i64,
    pub total_price_paid: Decimal,
    pub updated_on: DateTime<Utc>,
    pub discount: Option<DiscountSource>,
    pub lines: Vec<LineSource>,
}

/// A course-run or program certificate with its owner's email.
#[derive(Debug, Clone, Serialize)]
pub struct CertificateSource {
    pub id: i64,
    /// True for a program certificate.
    pub program: bool,
    pub user_id: i64,
    pub user_email: String,
    /// The course run's courseware id or the program's readable id.
    pub readable_id: String,
    pub title: String,
    pub issue_date: DateTime<Utc>,
    pub is_revoked: bool,
}

fn s(v: impl Into<String>) -> Value {
    Value::String(v.into())
}

fn opt<T: ToString>(v: &Option<T>) -> Value {
    s(v.as_ref().map(ToString::to_string).unwrap_or_default())
}

fn props(pairs: Vec<(&str, Value)>) -> Properties {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// The contact properties of `make_contact_sync_message_from_user`.
pub fn contact(c: &ContactSource) -> Properties {
    let flag = |b: bool| s(if b { "true" } else { "false" });
    props(vec![
        ("email", s(&c.email)),
        ("name", s(&c.name)),
        ("country", s(&c.country)),
        ("state", opt(&c.state)),
        ("yearofbirth", opt(&c.year_of_birth)),
        ("gender", opt(&c.gender)),
        ("company", opt(&c.company)),
        ("companysize", opt(&c.company_size)),
        ("jobtitle", opt(&c.job_title)),
        ("industry", opt(&c.industry)),
        ("jobfunction", opt(&c.job_function)),
        ("yearsexperience", opt(&c.years_experience)),
        ("leadershiplevel", opt(&c.leadership_level)),
        ("highesteducation", opt(&c.highest_education)),
        ("typeisstudent", flag(c.type_is_student)),
        ("typeisprofessional", flag(c.type_is_professional)),
        ("typeiseducator", flag(c.type_is_educator)),
        ("typeisother", flag(c.type_is_other)),
    ])
}

/// `format_product_name`: `<title>: Run <n>` when the readable id ends in `+R<n>`, else
/// `<title>: <readable id>`, then ` [<prefix>-<product id>]`.
pub fn product_name(p: &ProductSource, prefix: &str) -> String {
    let run = p
        .readable_id
        .rsplit_once("+R")
        .map(|(_, n)| n)
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    let suffix = match run {
        Some(n) => format!("Run {n}"),
        None => p.readable_id.clone(),
    };
    format!("{}: {suffix} [{}]", p.title, app_id(prefix, p.id))
}

/// The product properties of `ProductSerializer`.
pub fn product(p: &ProductSource, prefix: &str) -> Properties {
    props(vec![
        ("unique_app_id", s(app_id(prefix, p.id))),
        ("name", s(product_name(p, prefix))),
        ("price", s(cents_string(p.price))),
        ("description", s(&p.description)),
    ])
}

/// `discount_amount` and `discount_percent` of a discount on a product price.
fn discount_figures(d: &DiscountSource, price: Decimal) -> (Decimal, Decimal) {
    let hundred = Decimal::from(100);
    let percent_of = |amount: Decimal| {
        if price.is_zero() {
            Decimal::ZERO
        } else {
            amount / price * hundred
        }
    };
    match d.discount_type.as_str() {
        "percent-off" => (price * d.amount / hundred, d.amount),
        "dollars-off" => (d.amount, percent_of(d.amount)),
        _ => (price - d.amount, percent_of(price - d.amount)),
    }
}

/// The deal properties of `OrderToDealSerializer`.
pub fn deal(o: &OrderSource, prefix: &str, pipeline: &str) -> Properties {
    let price = o.lines.first().map(|l| l.product.price).unwrap_or_default();
    let (discount_amount, discount_percent) = match &o.discount {
        Some(d) => {
            let (a, p) = discount_figures(d, price);
            (cents_string(a), cents_string(p))
        }
        None => ("0.00".to_owned(), "0".to_owned()),
    };
    let closedate = (o.state == "fulfilled").then(|| o.updated_on.timestamp_millis());
    props(vec![
        ("unique_app_id", s(app_id(prefix, o.id))),
        ("dealname", s(format!("MITXONLINE-ORDER-{}", o.id))),
        ("amount", s(cents_string(o.total_price_paid))),
        ("dealstage", s(deal_stage(&o.state))),
        ("status", s(&o.state)),
        ("discount_amount", s(discount_amount)),
        ("discount_percent", s(discount_percent)),
        (
            "discount_type",
            opt(&o.discount.as_ref().map(|d| d.discount_type.clone())),
        ),
        ("closedate", opt(&closedate)),
        ("coupon_code", opt(&o.discount.as_ref().map(|d| d.code.clone()))),
        ("pipeline", s(pipeline)),
    ])
}

/// The line item properties of `LineSerializer`; `hs_product_id` is the product's HubSpot id.
pub fn line_item(l: &LineSource, status: &str, hs_product_id: &str, prefix: &str) -> Properties {
    props(vec![
        ("unique_app_id", s(app_id(prefix, l.id))),
        ("name", s(product_name(&l.product, prefix))),
        ("hs_product_id", s(hs_product_id)),
        ("quantity", s(l.quantity.to_string())),
        ("status", s(status)),
        ("product_id", s(&l.product.readable_id)),
        ("price", s(cents_string(l.product.price))),
        ("enrollment_mode", opt(&l.enrollment_mode)),
        ("change_status", opt(&l.change_status)),
    ])
}

/// A cart add: a deal of its own at `checkout_abandoned`, keyed by the basket item (no order
/// exists yet; the original made a throwaway pending order instead).
pub fn cart_deal(item: i64, product: &ProductSource, prefix: &str, pipeline: &str) -> Properties {
    props(vec![
        ("unique_app_id", s(app_id(prefix, format!("cart-{item}")))),
        ("dealname", s(format!("MITXONLINE-CART-{item}"))),
        ("amount", s(cents_string(product.price))),
        ("dealstage", s(CART_ADD_DEAL_STAGE)),
        ("status", s("pending")),
        ("discount_amount", s("0.00")),
        ("discount_percent", s("0")),
        ("discount_type", s("")),
        ("closedate", s("")),
        ("coupon_code", s("")),
        ("pipeline", s(pipeline)),
    ])
}

/// The line item of a cart add.
pub fn cart_line_item(item: i64, product: &ProductSource, hs_product_id: &str, prefix: &str) -> Properties {
    let line = LineSource {
        id: 0,
        quantity: 1,
        product: product.clone(),
        enrollment_mode: None,
        change_status: None,
    };
    let mut p = line_item(&line, "pending", hs_product_id, prefix);
    p.insert("unique_app_id".into(), s(app_id(prefix, format!("cart-{item}"))));
    p
}

/// The custom object properties of `sync_course_run_certificate_with_hubspot` /
/// `sync_program_certificate_with_hubspot`: `unique_app_id` `<prefix>-crc-<id>` (program:
/// `pgc`), the readable id and title under `course_run_*` / `program_*`, `user_email`,
/// `issue_date` in epoch milliseconds and `is_revoked` `"true"`/`"false"`.
pub fn certificate(c: &CertificateSource, prefix: &str) -> Properties {
    let (tag, object) = if c.program {
        ("pgc", "program")
    } else {
        ("crc", "course_run")
    };
    let (readable_id, title) = (format!("{object}_readable_id"), format!("{object}_title"));
    props(vec![
        ("unique_app_id", s(app_id(prefix, format!("{tag}-{}", c.id)))),
        (&readable_id, s(&c.readable_id)),
        (&title, s(&c.title)),
        ("user_email", s(&c.user_email)),
        ("issue_date", s(c.issue_date.timestamp_millis().to_string())),
        ("is_revoked", s(if c.is_revoked { "true" } else { "false" })),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(v: i64) -> Decimal {
        Decimal::from(v)
    }

    fn product_src() -> ProductSource {
        ProductSource {
            id: 7,
            title: "Data Analysis".into(),
            readable_id: "course-v1:MITx+14.310x+R3".into(),
            price: dec(100),
            description: "DA run 3".into(),
        }
    }

    #[test]
    fn contacts_carry_the_original_property_names_all_as_strings() {
        let c = ContactSource {
            email: "jane@example.com".into(),
            name: "Jane Doe".into(),
            country: "US".into(),
            state: Some("US-MA".into()),
            year_of_birth: Some(1990),
            company_size: Some(50),
            type_is_student: true,
            ..ContactSource::default()
        };
        let p = contact(&c);
        assert_eq!(p.len(), 18);
        assert_eq!(p["email"], "jane@example.com");
        assert_eq!(p["yearofbirth"], "1990");
        assert_eq!(p["companysize"], "50");
        assert_eq!(p["gender"], "", "nulls are empty strings");
        assert_eq!(p["typeisstudent"], "true");
        assert_eq!(p["typeisother"], "false");
        assert!(p.values().all(Value::is_string));
    }

    #[test]
    fn product_names_use_the_run_suffix_or_the_readable_id() {
        assert_eq!(
            product_name(&product_src(), "mitxonline"),
            "Data Analysis: Run 3 [mitxonline-7]"
        );
        let program = ProductSource {
            readable_id: "program-v1:MITx+DEDP".into(),
            ..product_src()
        };
        assert_eq!(
            product_name(&program, "mxo"),
            "Data Analysis: program-v1:MITx+DEDP [mxo-7]"
        );
        let p = product(&product_src(), "mitxonline");
        assert_eq!(p["price"], "100.00");
        assert_eq!(p["unique_app_id"], "mitxonline-7");
    }

    #[test]
    fn deals_map_states_to_the_original_pipeline_stages_and_discounts_to_figures() {
        let mut o = OrderSource {
            id: 42,
            state: "pending".into(),
            total_price_paid: dec(80),
            updated_on: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            discount: Some(DiscountSource {
                discount_type: "percent-off".into(),
                amount: dec(20),
                code: "SAVE20".into(),
            }),
            lines: vec![LineSource {
                id: 5,
                quantity: 1,
                product: product_src(),
                ..LineSource::default()
            }],
            ..OrderSource::default()
        };
        let p = deal(&o, "mitxonline", "pipe");
        assert_eq!(p["dealname"], "MITXONLINE-ORDER-42");
        assert_eq!(p["unique_app_id"], "mitxonline-42");
        assert_eq!(p["dealstage"], "48288388");
        assert_eq!(p["amount"], "80.00");
        assert_eq!(p["discount_amount"], "20.00");
        assert_eq!(p["discount_percent"], "20.00");
        assert_eq!(p["coupon_code"], "SAVE20");
        assert_eq!(p["closedate"], "");
        assert_eq!(p["pipeline"], "pipe");
        o.state = "fulfilled".into();
        let p = deal(&o, "mitxonline", "pipe");
        assert_eq!(p["dealstage"], "48288390");
        assert_eq!(p["closedate"], "1700000000000");
        for (state, stage) in [
            ("canceled", "48288379"),
            ("declined", "48288389"),
            ("errored", "48288389"),
            ("refunded", "48288389"),
            ("partially_refunded", "48288389"),
            ("review", "48288390"),
        ] {
            assert_eq!(deal_stage(state), stage, "{state}");
        }
        let fixed = DiscountSource {
            discount_type: "fixed-price".into(),
            amount: dec(75),
            code: "F".into(),
        };
        assert_eq!(discount_figures(&fixed, dec(100)), (dec(25), dec(25)));
        let l = line_item(&o.lines[0], "fulfilled", "991", "mitxonline");
        assert_eq!(l["hs_product_id"], "991");
        assert_eq!(l["product_id"], "course-v1:MITx+14.310x+R3");
        assert_eq!(l["unique_app_id"], "mitxonline-5");
        assert_eq!(l["quantity"], "1");
    }

    #[test]
    fn certificates_carry_the_original_custom_object_properties() {
        let mut c = CertificateSource {
            id: 12,
            program: false,
            user_id: 3,
            user_email: "jane@example.com".into(),
            readable_id: "course-v1:MITx+14.310x+R3".into(),
            title: "Data Analysis".into(),
            issue_date: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            is_revoked: false,
        };
        let p = certificate(&c, "mitxonline");
        assert_eq!(p.len(), 6);
        assert_eq!(p["unique_app_id"], "mitxonline-crc-12");
        assert_eq!(p["course_run_readable_id"], "course-v1:MITx+14.310x+R3");
        assert_eq!(p["course_run_title"], "Data Analysis");
        assert_eq!(p["user_email"], "jane@example.com");
        assert_eq!(p["issue_date"], "1700000000000");
        assert_eq!(p["is_revoked"], "false");
        c.program = true;
        c.is_revoked = true;
        c.readable_id = "program-v1:MITx+DEDP".into();
        let p = certificate(&c, "mitxonline");
        assert_eq!(p["unique_app_id"], "mitxonline-pgc-12");
        assert_eq!(p["program_readable_id"], "program-v1:MITx+DEDP");
        assert_eq!(p["program_title"], "Data Analysis");
        assert_eq!(p["is_revoked"], "true");
        assert!(!p.contains_key("course_run_title"));
    }

    #[test]
    fn a_cart_add_is_a_checkout_abandoned_deal_keyed_by_the_basket_item() {
        let p = cart_deal(9, &product_src(), "mitxonline", "pipe");
        assert_eq!(p["dealstage"], CART_ADD_DEAL_STAGE);
        assert_eq!(p["unique_app_id"], "mitxonline-cart-9");
        let l = cart_line_item(9, &product_src(), "5", "mitxonline");
        assert_eq!(l["unique_app_id"], "mitxonline-cart-9");
    }
}
