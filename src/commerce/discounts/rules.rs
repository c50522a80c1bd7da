//! Discount math and validity rules, exactly as the original computes them (surface §3.2,
//! `ecommerce/discounts.py`, `Discount.check_validity`/`is_valid`, `apply_discount_to_basket`).
//!
//! Pure functions over plain values: callers load the discount, its redemption counts, bound
//! products and assigned users, then ask. Money is [`Decimal`]; every rounding is Python's
//! default `ROUND_HALF_EVEN` to cents, as `round(x, 2)` and `quantize(Decimal("0.01"))` do there.
//!
//! Where the original has a bug, these rules do the correct thing (each is named in a test):
//! a percent-off above 100 would make a negative price (we stop at zero), and a discount that
//! brings a price to exactly zero never counted as "better" in v0 because `Decimal(0)` is falsy.

use crate::money::round_cents;

use chrono::{DateTime, Utc};
use rust_decimal::{Decimal, RoundingStrategy};

/// How a discount changes a price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscountType {
    PercentOff,
    DollarsOff,
    FixedPrice,
}

/// How often a discount may be redeemed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedemptionType {
    OneTime,
    OneTimePerUser,
    Unlimited,
}

/// Why a discount exists (reporting; financial assistance is special in v0 validity).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentType {
    Marketing,
    Sales,
    FinancialAssistance,
    CustomerSupport,
    Staff,
    Legacy,
}

/// A stored value that is not one of the original's choices.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a valid choice")]
pub struct UnknownChoice(pub String);

macro_rules! choices {
    ($ty:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in the original's order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];
            /// The original's stored spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $text),+ }
            }
        }
        impl ::std::str::FromStr for $ty {
            type Err = $crate::commerce::discounts::rules::UnknownChoice;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($ty::$variant),)+
                    _ => Err($crate::commerce::discounts::rules::UnknownChoice(s.to_owned())),
                }
            }
        }
        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        /// In the OpenAPI document: a string, one of the stored spellings.
        impl ::utoipa::PartialSchema for $ty {
            fn schema() -> ::utoipa::openapi::RefOr<::utoipa::openapi::schema::Schema> {
                ::utoipa::openapi::ObjectBuilder::new()
                    .schema_type(::utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),+]))
                    .into()
            }
        }
        impl ::utoipa::ToSchema for $ty {}
    };
}
pub(crate) use choices;

choices!(DiscountType { PercentOff => "percent-off", DollarsOff => "dollars-off", FixedPrice => "fixed-price" });
choices!(RedemptionType { OneTime => "one-time", OneTimePerUser => "one-time-per-user", Unlimited => "unlimited" });
choices!(PaymentType {
    Marketing => "marketing",
    Sales => "sales",
    FinancialAssistance => "financial-assistance",
    CustomerSupport => "customer-support",
    Staff => "staff",
    Legacy => "legacy",
});

/// The price one discount alone would give (`DiscountType.get_product_price`), not yet
/// rounded to cents except where the original rounds (percent-off). Never below zero.
pub fn candidate_price(list_price: Decimal, discount_type: DiscountType, amount: Decimal) -> Decimal {
    let price = match discount_type {
        DiscountType::PercentOff => {
            let off = list_price * (amount / Decimal::ONE_HUNDRED);
            let mut p = (list_price - off).round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven);
            p.rescale(2);
            p
        }
        DiscountType::DollarsOff if list_price < amount => Decimal::ZERO,
        DiscountType::DollarsOff => list_price - amount,
        DiscountType::FixedPrice => amount,
    };
    price.max(Decimal::ZERO)
}

/// The discounted unit price (`DiscountType.get_discounted_price`): the lowest of the list
/// price and each discount's candidate. Discounts never stack. Not rounded.
pub fn discounted_price(list_price: Decimal, discounts: &[(DiscountType, Decimal)]) -> Decimal {
    discounts
        .iter()
        .map(|(t, a)| candidate_price(list_price, *t, *a))
        .fold(list_price, Decimal::min)
}

/// One basket item or order line: the discounted unit price rounded to cents, times quantity
/// (`BasketItem.discounted_price`, `Line.discounted_price`).
pub fn line_price(list_price: Decimal, discounts: &[(DiscountType, Decimal)], quantity: u32) -> Decimal {
    // rust_decimal drops the scale of a zero product; Python keeps `0.00`.
    let mut line = round_cents(discounted_price(list_price, discounts)) * Decimal::from(quantity);
    line.rescale(2);
    line
}

/// An order total: the sum of its lines.
pub fn order_total(lines: impl IntoIterator<Item = Decimal>) -> Decimal {
    let mut total = lines.into_iter().fold(Decimal::ZERO, |a, b| a + b);
    total.rescale(2);
    total
}

/// The facts about a discount the validity rules read.
#[derive(Debug, Clone, PartialEq)]
pub struct Discount {
    pub discount_type: DiscountType,
    pub amount: Decimal,
    pub redemption_type: RedemptionType,
    pub payment_type: Option<PaymentType>,
    /// 0 means unlimited (the original's nullable column: treat NULL as 0).
    pub max_redemptions: u32,
    pub activation_date: Option<DateTime<Utc>>,
    pub expiration_date: Option<DateTime<Utc>>,
}

/// How often a discount has been redeemed, counted by the caller.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Redemptions {
    /// Redemptions on fulfilled orders.
    pub fulfilled: u32,
    /// Redemptions on fulfilled orders by the user asking.
    pub fulfilled_by_user: u32,
    /// Redemptions on orders in any state (v0 counts these against `max_redemptions`).
    pub on_any_order: u32,
}

/// Why a discount cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    #[error("This discount code has already been redeemed.")]
    AlreadyRedeemed,
    #[error("You have already redeemed this discount code.")]
    AlreadyRedeemedByUser,
    #[error("This discount code has reached its redemption limit.")]
    RedemptionLimitReached,
    #[error("This discount code is not active yet.")]
    NotYetActive,
    #[error("This discount code has expired.")]
    Expired,
    #[error("This discount code does not apply to the items in your cart.")]
    NotForTheseProducts,
    #[error("This discount code is not available to you.")]
    NotAssignedToUser,
    #[error("Financial assistance discounts cannot be entered as codes.")]
    FinancialAssistance,
}

/// `Discount.valid_now`: active from `activation_date` (inclusive) until `expiration_date`
/// (exclusive).
pub fn valid_now(d: &Discount, now: DateTime<Utc>) -> Result<(), Invalid> {
    if d.activation_date.is_some_and(|a| a > now) {
        return Err(Invalid::NotYetActive);
    }
    if d.expiration_date.is_some_and(|e| e <= now) {
        return Err(Invalid::Expired);
    }
    Ok(())
}

/// `Discount.check_validity(user)`: the redemption rules used at code entry, when applying
/// user discounts and at checkout. Only redemptions on fulfilled orders count.
pub fn check_validity(d: &Discount, used: Redemptions, now: DateTime<Utc>) -> Result<(), Invalid> {
    if d.redemption_type == RedemptionType::OneTime && used.fulfilled > 0 {
        return Err(Invalid::AlreadyRedeemed);
    }
    if d.redemption_type == RedemptionType::OneTimePerUser && used.fulfilled_by_user > 0 {
        return Err(Invalid::AlreadyRedeemedByUser);
    }
    if d.max_redemptions > 0 && used.fulfilled >= d.max_redemptions {
        return Err(Invalid::RedemptionLimitReached);
    }
    valid_now(d, now)
}

/// `Discount.check_validity_with_products`: a discount bound to products needs at least one
/// of them in the basket; then it must be valid now.
pub fn check_products(
    d: &Discount,
    bound_products: &[i64],
    basket_products: &[i64],
    now: DateTime<Utc>,
) -> Result<(), Invalid> {
    if !bound_products.is_empty() && !bound_products.iter().any(|p| basket_products.contains(p)) {
        return Err(Invalid::NotForTheseProducts);
    }
    valid_now(d, now)
}

/// What v0's `Discount.is_valid(basket)` needs to know about the basket and the discount's links.
#[derive(Debug, Clone, Copy)]
pub struct BasketCheck<'a> {
    pub basket_products: &'a [i64],
    pub basket_user: Option<i64>,
    /// Products the discount is bound to (`DiscountProduct`); empty = any.
    pub bound_products: &'a [i64],
    /// Users the discount is assigned to (`UserDiscount`); empty = anyone.
    pub assigned_users: &'a [i64],
    /// Let financial-assistance discounts through (automatic application, not code entry).
    pub allow_financial_assistance: bool,
}

/// v0's `Discount.is_valid(basket)`. Differs from [`check_validity`] deliberately, like the
/// original: `max_redemptions` counts redemptions on orders in any state, the expiry instant
/// itself is still valid, and one-time rules are not checked here.
pub fn is_valid_for_basket(
    d: &Discount,
    basket: &BasketCheck<'_>,
    used: Redemptions,
    now: DateTime<Utc>,
) -> Result<(), Invalid> {
    if !basket.allow_financial_assistance && d.payment_type == Some(PaymentType::FinancialAssistance) {
        return Err(Invalid::FinancialAssistance);
    }
    if !basket.bound_products.is_empty()
        && !basket
            .bound_products
            .iter()
            .any(|p| basket.basket_products.contains(p))
    {
        return Err(Invalid::NotForTheseProducts);
    }
    if !basket.assigned_users.is_empty()
        && !basket
            .basket_user
            .is_some_and(|u| basket.assigned_users.contains(&u))
    {
        return Err(Invalid::NotAssignedToUser);
    }
    if d.max_redemptions > 0 && used.on_any_order >= d.max_redemptions {
        return Err(Invalid::RedemptionLimitReached);
    }
    if d.activation_date.is_some_and(|a| now < a) {
        return Err(Invalid::NotYetActive);
    }
    if d.expiration_date.is_some_and(|e| now > e) {
        return Err(Invalid::Expired);
    }
    Ok(())
}

/// What a discount is, for deciding whether it may replace the one already in a basket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscountRole {
    /// Assigned to the basket's user (`UserDiscount`).
    UserAssigned,
    /// A financial-assistance tier discount.
    FinancialAssistance,
    /// Any other code.
    Code,
}

/// The basket's current discount, for [`v0_may_apply`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurrentDiscount {
    pub has_financial_assistance: bool,
    pub has_user_assigned: bool,
}

/// v0's `apply_discount_to_basket` precedence, once the discount passed
/// [`is_valid_for_basket`]. One discount per basket; the answer is whether the new one
/// replaces what is there.
///
/// `items` holds, per basket item, its current discounted line price and the price the new
/// discount would give (`None` when the new discount is not valid for this user).
pub fn v0_may_apply(
    new: DiscountRole,
    allow_financial_assistance: bool,
    current: Option<CurrentDiscount>,
    items: &[(Decimal, Option<Decimal>)],
) -> bool {
    let Some(current) = current else {
        return true;
    };
    if items.is_empty() {
        return true;
    }
    match new {
        // A user discount never overrides financial assistance, and beats anything else.
        DiscountRole::UserAssigned => !current.has_financial_assistance,
        DiscountRole::FinancialAssistance if !allow_financial_assistance => false,
        // Financial assistance overrides a user discount without comparing prices.
        DiscountRole::FinancialAssistance if current.has_user_assigned => true,
        DiscountRole::Code if current.has_user_assigned => false,
        // Otherwise the new discount must give at least as good a price on some item.
        _ => items
            .iter()
            .any(|(now_price, new_price)| new_price.is_some_and(|p| *now_price >= p)),
    }
}

/// Legacy code entry: the learner's financial-assistance discount stays when it gives a
/// strictly lower price than the code they typed; otherwise the code is applied.
pub fn legacy_keeps_financial_assistance(
    list_price: Decimal,
    code: (DiscountType, Decimal),
    financial_assistance: Option<(DiscountType, Decimal)>,
) -> bool {
    financial_assistance
        .is_some_and(|fa| discounted_price(list_price, &[fa]) < discounted_price(list_price, &[code]))
}

/// A field-level problem with a discount a staff member is creating or editing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: &'static str,
    pub message: String,
}

/// `Discount.check_date_validity` plus the amount limits: expiry must be in the future and not
/// before activation; amounts are non-negative with at most 5 decimals (the column is 20,5);
/// a percentage is at most 100.
pub fn validate_terms(d: &Discount, now: DateTime<Utc>) -> Result<(), Vec<FieldProblem>> {
    let mut problems = Vec::new();
    if d.amount.is_sign_negative() && !d.amount.is_zero() {
        problems.push(FieldProblem {
            field: "amount",
            message: "Ensure this value is greater than or equal to 0.".into(),
        });
    }
    if d.amount.normalize().scale() > 5 {
        problems.push(FieldProblem {
            field: "amount",
            message: "Ensure that there are no more than 5 decimal places.".into(),
        });
    }
    if d.amount.trunc().abs() >= Decimal::from(1_000_000_000_000_000i64) {
        problems.push(FieldProblem {
            field: "amount",
            message: "Ensure that there are no more than 15 digits before the decimal point.".into(),
        });
    }
    if d.discount_type == DiscountType::PercentOff && d.amount > Decimal::ONE_HUNDRED {
        problems.push(FieldProblem {
            field: "amount",
            message: "A percent-off discount cannot be more than 100.".into(),
        });
    }
    if let Some(e) = d.expiration_date {
        if e < now {
            problems.push(FieldProblem {
                field: "expiration_date",
                message: format!("Expiration date {e} must be in the future."),
            });
        }
        if d.activation_date.is_some_and(|a| a > e) {
            problems.push(FieldProblem {
                field: "activation_date",
                message: format!("Expiration date {e} must be after the activation date."),
            });
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
#[cfg(test)]
#[path = "validity_tests.rs"]
mod validity_tests;
