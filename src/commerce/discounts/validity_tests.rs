//! Table tests for the discount validity rules (legacy and v0) and v0 precedence.

#![allow(
    clippy::type_complexity,
    reason = "table tests spell their columns out inline"
)]

use chrono::Duration;

use super::tests::{d, discount, now};
use super::*;

#[test]
fn legacy_validity_matrix() {
    use Invalid::*;
    use RedemptionType::*;
    let none = Redemptions::default();
    let other_user = Redemptions {
        fulfilled: 1,
        fulfilled_by_user: 0,
        on_any_order: 1,
    };
    let this_user = Redemptions {
        fulfilled: 1,
        fulfilled_by_user: 1,
        on_any_order: 1,
    };
    let pending_only = Redemptions {
        fulfilled: 0,
        fulfilled_by_user: 0,
        on_any_order: 5,
    };
    let t = now();
    let table: &[(
        &str,
        RedemptionType,
        u32,
        Option<i64>,
        Option<i64>,
        Redemptions,
        Result<(), Invalid>,
    )] = &[
        (
            "unused one-time code is valid",
            OneTime,
            0,
            None,
            None,
            none,
            Ok(()),
        ),
        (
            "one-time code redeemed by anyone is spent",
            OneTime,
            0,
            None,
            None,
            other_user,
            Err(AlreadyRedeemed),
        ),
        (
            "one-time code only on pending orders is still valid",
            OneTime,
            0,
            None,
            None,
            pending_only,
            Ok(()),
        ),
        (
            "once-per-user code used by someone else is valid",
            OneTimePerUser,
            0,
            None,
            None,
            other_user,
            Ok(()),
        ),
        (
            "once-per-user code used by this user is spent",
            OneTimePerUser,
            0,
            None,
            None,
            this_user,
            Err(AlreadyRedeemedByUser),
        ),
        (
            "unlimited code used before is valid",
            Unlimited,
            0,
            None,
            None,
            this_user,
            Ok(()),
        ),
        (
            "max redemptions reached",
            Unlimited,
            1,
            None,
            None,
            other_user,
            Err(RedemptionLimitReached),
        ),
        (
            "max redemptions not reached",
            Unlimited,
            2,
            None,
            None,
            other_user,
            Ok(()),
        ),
        (
            "max redemptions ignore pending orders",
            Unlimited,
            1,
            None,
            None,
            pending_only,
            Ok(()),
        ),
        (
            "not yet active",
            Unlimited,
            0,
            Some(1),
            None,
            none,
            Err(NotYetActive),
        ),
        (
            "active from this very second",
            Unlimited,
            0,
            Some(0),
            None,
            none,
            Ok(()),
        ),
        ("expired", Unlimited, 0, None, Some(-1), none, Err(Expired)),
        (
            "expiring at this very second is already expired",
            Unlimited,
            0,
            None,
            Some(0),
            none,
            Err(Expired),
        ),
        (
            "inside its window",
            Unlimited,
            0,
            Some(-10),
            Some(10),
            none,
            Ok(()),
        ),
    ];
    for (name, rt, max, act, exp, used, want) in table {
        let disc = Discount {
            max_redemptions: *max,
            activation_date: act.map(|s| t + Duration::seconds(s)),
            expiration_date: exp.map(|s| t + Duration::seconds(s)),
            ..discount(*rt)
        };
        assert_eq!(check_validity(&disc, *used, t), *want, "{name}");
    }
}

#[test]
fn product_bound_discounts_need_a_matching_basket_product() {
    let disc = discount(RedemptionType::Unlimited);
    let t = now();
    assert_eq!(check_products(&disc, &[], &[1], t), Ok(()));
    assert_eq!(check_products(&disc, &[1, 2], &[2, 3], t), Ok(()));
    assert_eq!(
        check_products(&disc, &[1], &[3], t),
        Err(Invalid::NotForTheseProducts)
    );
    assert_eq!(
        check_products(&disc, &[1], &[], t),
        Err(Invalid::NotForTheseProducts)
    );
    let expired = Discount {
        expiration_date: Some(t),
        ..disc
    };
    assert_eq!(check_products(&expired, &[1], &[1], t), Err(Invalid::Expired));
}

#[test]
fn v0_validity_matrix() {
    use Invalid::*;
    let t = now();
    let base = discount(RedemptionType::OneTime);
    let fa = Discount {
        payment_type: Some(PaymentType::FinancialAssistance),
        ..base.clone()
    };
    let limited = Discount {
        max_redemptions: 2,
        ..base.clone()
    };
    let window = |a: Option<i64>, e: Option<i64>| Discount {
        activation_date: a.map(|s| t + Duration::seconds(s)),
        expiration_date: e.map(|s| t + Duration::seconds(s)),
        ..base.clone()
    };
    let check = |products: &'static [i64],
                 user: Option<i64>,
                 bound: &'static [i64],
                 users: &'static [i64],
                 fa_ok: bool| BasketCheck {
        basket_products: products,
        basket_user: user,
        bound_products: bound,
        assigned_users: users,
        allow_financial_assistance: fa_ok,
    };
    let open = check(&[1], Some(7), &[], &[], false);
    let used = |n| Redemptions {
        fulfilled: 0,
        fulfilled_by_user: 0,
        on_any_order: n,
    };
    let table: Vec<(
        &str,
        Discount,
        BasketCheck<'static>,
        Redemptions,
        Result<(), Invalid>,
    )> = vec![
        ("plain code", base.clone(), open, used(0), Ok(())),
        (
            "one-time code already used is not checked by v0",
            base.clone(),
            open,
            Redemptions {
                fulfilled: 3,
                fulfilled_by_user: 3,
                on_any_order: 3,
            },
            Ok(()),
        ),
        (
            "financial assistance typed as a code",
            fa.clone(),
            open,
            used(0),
            Err(FinancialAssistance),
        ),
        (
            "financial assistance applied automatically",
            fa,
            check(&[1], Some(7), &[], &[], true),
            used(0),
            Ok(()),
        ),
        (
            "bound to a product in the basket",
            base.clone(),
            check(&[1, 2], Some(7), &[2], &[], false),
            used(0),
            Ok(()),
        ),
        (
            "bound to another product",
            base.clone(),
            check(&[1], Some(7), &[2], &[], false),
            used(0),
            Err(NotForTheseProducts),
        ),
        (
            "assigned to this user",
            base.clone(),
            check(&[1], Some(7), &[], &[7, 8], false),
            used(0),
            Ok(()),
        ),
        (
            "assigned to someone else",
            base.clone(),
            check(&[1], Some(7), &[], &[8], false),
            used(0),
            Err(NotAssignedToUser),
        ),
        (
            "assigned but the basket is anonymous",
            base.clone(),
            check(&[1], None, &[], &[8], false),
            used(0),
            Err(NotAssignedToUser),
        ),
        (
            "limit counts redemptions on orders in any state",
            limited.clone(),
            open,
            used(2),
            Err(RedemptionLimitReached),
        ),
        ("below the limit", limited, open, used(1), Ok(())),
        (
            "not yet active",
            window(Some(1), None),
            open,
            used(0),
            Err(NotYetActive),
        ),
        (
            "activation instant is valid",
            window(Some(0), None),
            open,
            used(0),
            Ok(()),
        ),
        (
            "expiry instant is still valid in v0",
            window(None, Some(0)),
            open,
            used(0),
            Ok(()),
        ),
        ("expired", window(None, Some(-1)), open, used(0), Err(Expired)),
    ];
    for (name, disc, basket, used, want) in table {
        assert_eq!(is_valid_for_basket(&disc, &basket, used, t), want, "{name}");
    }
}

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
