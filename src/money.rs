//! Money: amounts are [`Decimal`], never floats, rounded the way the original rounds. Shared by
//! commerce and the payment client (CyberSource's signed `amount`), so both say the same number.

use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};

/// Rounds to cents the way Python's `Decimal.quantize(Decimal("0.01"))` does: half to even,
/// always exactly two decimal places (`100` becomes `100.00`).
pub fn round_cents(value: Decimal) -> Decimal {
    let mut r = value.round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven);
    r.rescale(2);
    r
}

/// An amount as the original's JSON renders a DecimalField: a string with two decimals.
pub fn cents_string(value: Decimal) -> String {
    round_cents(value).to_string()
}

/// An amount stored as TEXT in SQLite (every money column is); an unreadable value is zero.
pub fn from_db(text: String) -> Decimal {
    Decimal::from_str(&text).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cents_round_half_to_even_with_two_places() {
        let d = |s: &str| Decimal::from_str(s).unwrap();
        assert_eq!(round_cents(d("100")).to_string(), "100.00");
        assert_eq!(round_cents(d("0.125")).to_string(), "0.12");
        assert_eq!(round_cents(d("0.135")).to_string(), "0.14");
        assert_eq!(cents_string(d("9.999")), "10.00");
        assert_eq!(from_db("12.5".into()), d("12.5"));
        assert_eq!(from_db("junk".into()), Decimal::ZERO);
    }
}
