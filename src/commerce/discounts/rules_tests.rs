//! Table tests for the discount price math. Expected prices were computed with the original's own
//! formulas in Python's `decimal` module (ROUND_HALF_EVEN).

#![allow(
    clippy::type_complexity,
    reason = "table tests spell their columns out inline"
)]

use chrono::TimeZone;

use super::*;

pub(super) fn d(s: &str) -> Decimal {
    s.parse().expect("decimal literal")
}

pub(super) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 4, 12, 0, 0).unwrap()
}

pub(super) fn discount(redemption_type: RedemptionType) -> Discount {
    Discount {
        discount_type: DiscountType::PercentOff,
        amount: d("10"),
        redemption_type,
        payment_type: None,
        max_redemptions: 0,
        activation_date: None,
        expiration_date: None,
    }
}

#[test]
fn each_discount_type_prices_like_the_original() {
    use DiscountType::*;
    let table: &[(&str, &str, DiscountType, &str, &str)] = &[
        ("ten percent off", "100.00", PercentOff, "10", "90.00"),
        (
            "a third off rounds to cents",
            "100.00",
            PercentOff,
            "33.33333",
            "66.67",
        ),
        ("12.5 percent of 99.99", "99.99", PercentOff, "12.5", "87.49"),
        (
            "half of 0.25 rounds half to even (down)",
            "0.25",
            PercentOff,
            "50",
            "0.12",
        ),
        (
            "half of 0.05 rounds half to even (down)",
            "0.05",
            PercentOff,
            "50",
            "0.02",
        ),
        (
            "half of 0.15 rounds half to even (up)",
            "0.15",
            PercentOff,
            "50",
            "0.08",
        ),
        (
            "half of 10.25 rounds half to even",
            "10.25",
            PercentOff,
            "50",
            "5.12",
        ),
        (
            "half a percent of 1.00 rounds back up",
            "1.00",
            PercentOff,
            "0.5",
            "1.00",
        ),
        ("one hundred percent is free", "100", PercentOff, "100", "0.00"),
        (
            "zero percent changes nothing",
            "100.00",
            PercentOff,
            "0",
            "100.00",
        ),
        ("percent of an odd price", "49.99", PercentOff, "33.33", "33.33"),
        (
            "seventeen and a half percent",
            "250.00",
            PercentOff,
            "17.5",
            "206.25",
        ),
        ("ten dollars off", "100.00", DollarsOff, "10", "90.00"),
        (
            "dollars off the whole price",
            "100.00",
            DollarsOff,
            "100.00",
            "0.00",
        ),
        (
            "dollars off more than the price is free",
            "100.00",
            DollarsOff,
            "150",
            "0",
        ),
        ("fixed price below list", "100.00", FixedPrice, "25", "25"),
        (
            "fixed price above list keeps the list price",
            "100.00",
            FixedPrice,
            "150.00",
            "100.00",
        ),
    ];
    for (name, price, t, amount, want) in table {
        let got = discounted_price(d(price), &[(*t, d(amount))]);
        assert_eq!(got, d(want), "{name}");
        assert_eq!(got.to_string(), *want, "{name}: representation");
    }
}

#[test]
fn line_prices_round_the_unit_price_to_cents_half_even_then_multiply() {
    use DiscountType::*;
    let table: &[(&str, &str, Option<(DiscountType, &str)>, u32, &str)] = &[
        ("no discount pads to two places", "100", None, 1, "100.00"),
        (
            "dollars off with fractional cents",
            "100.00",
            Some((DollarsOff, "0.125")),
            3,
            "299.64",
        ),
        (
            "dollars off leaving half a cent rounds to even zero",
            "100.00",
            Some((DollarsOff, "99.995")),
            1,
            "0.00",
        ),
        (
            "fixed price with five decimals rounds down",
            "100.00",
            Some((FixedPrice, "12.345")),
            1,
            "12.34",
        ),
        (
            "fixed price with five decimals rounds up",
            "100.00",
            Some((FixedPrice, "12.355")),
            1,
            "12.36",
        ),
        (
            "percent off times quantity",
            "0.25",
            Some((PercentOff, "50")),
            4,
            "0.48",
        ),
    ];
    for (name, price, disc, qty, want) in table {
        let discounts: Vec<_> = disc.iter().map(|(t, a)| (*t, d(a))).collect();
        let got = line_price(d(price), &discounts, *qty);
        assert_eq!(got.to_string(), *want, "{name}");
    }
}

#[test]
fn discounts_never_stack_and_the_lowest_price_wins() {
    let all = [
        (DiscountType::PercentOff, d("10")),
        (DiscountType::DollarsOff, d("25")),
        (DiscountType::FixedPrice, d("80")),
    ];
    assert_eq!(discounted_price(d("100.00"), &all), d("75.00"));
    assert_eq!(discounted_price(d("100.00"), &[]), d("100.00"));
    let total = order_total([line_price(d("100.00"), &all, 1), line_price(d("49.99"), &[], 1)]);
    assert_eq!(total.to_string(), "124.99");
    assert_eq!(order_total([]).to_string(), "0.00");
}

#[test]
fn percent_off_above_one_hundred_stops_at_zero_where_the_original_went_negative() {
    assert_eq!(
        candidate_price(d("100.00"), DiscountType::PercentOff, d("150")),
        d("0")
    );
    assert_eq!(
        candidate_price(d("10.00"), DiscountType::FixedPrice, d("-5")),
        d("0")
    );
}

#[test]
fn choices_round_trip_through_the_original_spelling() {
    for t in DiscountType::ALL {
        assert_eq!(t.as_str().parse::<DiscountType>().unwrap(), *t);
    }
    for t in RedemptionType::ALL {
        assert_eq!(t.to_string().parse::<RedemptionType>().unwrap(), *t);
    }
    for t in PaymentType::ALL {
        assert_eq!(t.as_str().parse::<PaymentType>().unwrap(), *t);
    }
    assert!("percent_off".parse::<DiscountType>().is_err());
}
