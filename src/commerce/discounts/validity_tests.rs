//! Table tests for the discount validity rules (legacy and v0) and v0 precedence.

#![allow(
    clippy::type_complexity,
    reason = "table tests spell their columns out inline"
)]

use chrono::Duration;

use super::tests::{discount, now};
use super::*;

#[path = "validity_v0_tests.rs"]
mod v0;

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
