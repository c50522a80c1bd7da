//! Table tests for v0 discount precedence and for choosing between discounts and
//! financial assistance (split out of `validity_tests.rs`).

#![allow(
    clippy::type_complexity,
    reason = "table tests spell their columns out inline"
)]

use chrono::Duration;

use super::super::tests::{d, discount, now};
use super::super::*;

#[test]
fn v0_precedence_matrix() {
    use DiscountRole::*;
    let fa = CurrentDiscount {
        has_financial_assistance: true,
        has_user_assigned: false,
    };
    let user = CurrentDiscount {
        has_financial_assistance: false,
        has_user_assigned: true,
    };
    let code = CurrentDiscount {
        has_financial_assistance: false,
        has_user_assigned: false,
    };
    let worse = [(d("50.00"), Some(d("60.00")))];
    let better = [(d("50.00"), Some(d("40.00")))];
    let equal = [(d("50.00"), Some(d("50.00")))];
    let not_for_user = [(d("50.00"), None)];
    let table: &[(
        &str,
        DiscountRole,
        bool,
        Option<CurrentDiscount>,
        &[(Decimal, Option<Decimal>)],
        bool,
    )] = &[
        (
            "empty basket discount slot takes anything",
            Code,
            false,
            None,
            &worse,
            true,
        ),
        (
            "user discount never overrides financial assistance",
            UserAssigned,
            false,
            Some(fa),
            &better,
            false,
        ),
        (
            "user discount overrides a code even at a worse price",
            UserAssigned,
            false,
            Some(code),
            &worse,
            true,
        ),
        (
            "financial assistance overrides a user discount",
            FinancialAssistance,
            true,
            Some(user),
            &worse,
            true,
        ),
        (
            "financial assistance is refused unless allowed",
            FinancialAssistance,
            false,
            Some(user),
            &better,
            false,
        ),
        (
            "a code never overrides a user discount",
            Code,
            false,
            Some(user),
            &better,
            false,
        ),
        (
            "a better code replaces a code",
            Code,
            false,
            Some(code),
            &better,
            true,
        ),
        (
            "an equal code replaces a code",
            Code,
            false,
            Some(code),
            &equal,
            true,
        ),
        ("a worse code is refused", Code, false, Some(code), &worse, false),
        (
            "a code not valid for this user is refused",
            Code,
            false,
            Some(code),
            &not_for_user,
            false,
        ),
        (
            "financial assistance over a code must be better",
            FinancialAssistance,
            true,
            Some(code),
            &worse,
            false,
        ),
    ];
    for (name, role, fa_ok, current, items, want) in table {
        assert_eq!(v0_may_apply(*role, *fa_ok, *current, items), *want, "{name}");
    }
}

#[test]
fn a_free_discount_counts_as_better_where_the_original_treated_zero_as_missing() {
    let current = CurrentDiscount {
        has_financial_assistance: false,
        has_user_assigned: false,
    };
    assert!(v0_may_apply(
        DiscountRole::Code,
        false,
        Some(current),
        &[(d("50.00"), Some(d("0.00")))]
    ));
}

#[test]
fn legacy_code_entry_keeps_financial_assistance_only_when_strictly_cheaper() {
    let price = d("100.00");
    let code = (DiscountType::PercentOff, d("20"));
    assert!(legacy_keeps_financial_assistance(
        price,
        code,
        Some((DiscountType::FixedPrice, d("50")))
    ));
    assert!(!legacy_keeps_financial_assistance(
        price,
        code,
        Some((DiscountType::FixedPrice, d("80")))
    ));
    assert!(!legacy_keeps_financial_assistance(
        price,
        code,
        Some((DiscountType::FixedPrice, d("90")))
    ));
    assert!(!legacy_keeps_financial_assistance(price, code, None));
}

#[test]
fn new_discount_terms_are_checked_field_by_field() {
    let t = now();
    let ok = discount(RedemptionType::Unlimited);
    assert_eq!(validate_terms(&ok, t), Ok(()));
    let fields = |disc: Discount| -> Vec<&'static str> {
        validate_terms(&disc, t)
            .unwrap_err()
            .iter()
            .map(|p| p.field)
            .collect()
    };
    assert_eq!(
        fields(Discount {
            amount: d("101"),
            ..ok.clone()
        }),
        ["amount"]
    );
    assert_eq!(
        fields(Discount {
            amount: d("-1"),
            ..ok.clone()
        }),
        ["amount"]
    );
    assert_eq!(
        fields(Discount {
            amount: d("1.123456"),
            ..ok.clone()
        }),
        ["amount"]
    );
    assert_eq!(
        validate_terms(
            &Discount {
                amount: d("150"),
                discount_type: DiscountType::DollarsOff,
                ..ok.clone()
            },
            t
        ),
        Ok(())
    );
    assert_eq!(
        fields(Discount {
            expiration_date: Some(t - Duration::days(1)),
            ..ok.clone()
        }),
        ["expiration_date"]
    );
    assert_eq!(
        fields(Discount {
            activation_date: Some(t + Duration::days(3)),
            expiration_date: Some(t + Duration::days(2)),
            ..ok
        }),
        ["activation_date"]
    );
}
