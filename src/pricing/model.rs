//! Flexible-pricing types and the original's pure rules (`flexiblepricing/api.py`): the
//! courseware family a request covers, income in US dollars, the tier an income falls in and
//! auto-approval. Plain values in, answers out; the service loads the rows.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

pub use crate::commerce::discounts::links::Courseware;

/// The income threshold used when a country has none configured (`DEFAULT_INCOME_THRESHOLD`).
pub const DEFAULT_INCOME_THRESHOLD: Decimal = Decimal::from_parts(75_000, 0, 0, false, 0);

/// Currencies never offered nor stored (`DISALLOWED_CURRENCY_TYPES`).
pub const DISALLOWED_CURRENCIES: [&str; 5] = ["CUP", "CUC", "IRR", "SYP", "KPW"];

/// A request's state (`FlexiblePriceStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Created,
    PendingManualApproval,
    AutoApproved,
    Approved,
    Denied,
    Reset,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Approved,
        Status::AutoApproved,
        Status::Created,
        Status::PendingManualApproval,
        Status::Denied,
        Status::Reset,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::PendingManualApproval => "pending-manual-approval",
            Status::AutoApproved => "auto-approved",
            Status::Approved => "approved",
            Status::Denied => "denied",
            Status::Reset => "reset",
        }
    }

    /// The original's `STATUS_MESSAGES_DICT` (reset has none there; we say "Reset").
    pub fn label(self) -> &'static str {
        match self {
            Status::Approved => "Approved",
            Status::AutoApproved => "Auto-Approved",
            Status::Created => "--",
            Status::PendingManualApproval => "Pending Approval (Documents Received)",
            Status::Denied => "Denied",
            Status::Reset => "Reset",
        }
    }

    /// Approved by staff or automatically: the tier's discount applies at checkout.
    pub fn is_approved(self) -> bool {
        matches!(self, Status::Approved | Status::AutoApproved)
    }
}

impl FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Status::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| format!("\"{s}\" is not a valid choice."))
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a staff member decides about a request (the console's and admin API's actions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Deny,
    Reset,
}

impl Decision {
    pub fn status(self) -> Status {
        match self {
            Decision::Approve => Status::Approved,
            Decision::Deny => Status::Denied,
            Decision::Reset => Status::Reset,
        }
    }

    /// From the status a staff member asked for.
    pub fn from_status(s: Status) -> Option<Decision> {
        match s {
            Status::Approved => Some(Decision::Approve),
            Status::Denied => Some(Decision::Deny),
            Status::Reset => Some(Decision::Reset),
            _ => None,
        }
    }
}

/// The original's justification choices for staff decisions.
pub const JUSTIFICATIONS: [&str; 5] = [
    "Documents in order",
    "Docs not notarized",
    "Insufficient docs",
    "Inaccurate income reported",
    "Inaccurate country reported",
];

/// `get_ordered_eligible_coursewares`: the coursewares whose requests and tiers count for
/// `start`, in order. A course in programs gives its programs, itself, then each program's
/// related programs; a course in none gives itself; a program gives itself and its related
/// programs. (A run is asked about through its course.) Duplicates are kept, as there.
pub fn family(
    start: Courseware,
    programs_of_course: &[i64],
    related: &dyn Fn(i64) -> Vec<i64>,
) -> Vec<Courseware> {
    match start {
        Courseware::Course(id) if !programs_of_course.is_empty() => {
            let mut out: Vec<Courseware> = programs_of_course
                .iter()
                .map(|p| Courseware::Program(*p))
                .collect();
            out.push(Courseware::Course(id));
            for p in programs_of_course {
                out.extend(related(*p).into_iter().map(Courseware::Program));
            }
            out
        }
        Courseware::Course(id) => vec![Courseware::Course(id)],
        Courseware::Program(id) => {
            let mut out = vec![Courseware::Program(id)];
            out.extend(related(id).into_iter().map(Courseware::Program));
            out
        }
    }
}

/// The courseware a form's requests are filed under (`get_parent_courseware`): a course in
/// programs files under its first program.
pub fn filing_courseware(form: Courseware, programs_of_course: &[i64]) -> Courseware {
    match (form, programs_of_course.first()) {
        (Courseware::Course(_), Some(p)) => Courseware::Program(*p),
        (w, _) => w,
    }
}

/// Why an income cannot be converted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConversionError {
    #[error("Currency not supported")]
    UnknownCurrency,
}

/// `determine_income_usd` then `round(…, 2)`: income divided by the currency's rate per US
/// dollar (USD passes through), rounded half-even to cents.
pub fn income_usd(
    income: Decimal,
    currency: &str,
    rate: Option<Decimal>,
) -> Result<Decimal, ConversionError> {
    let usd = if currency == "USD" {
        income
    } else {
        match rate {
            Some(r) if r > Decimal::ZERO => income / r,
            _ => return Err(ConversionError::UnknownCurrency),
        }
    };
    Ok(crate::money::round_cents(usd))
}

/// A tier as the choice needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct TierOption {
    pub id: i64,
    pub courseware: Courseware,
    pub current: bool,
    pub income_threshold_usd: Decimal,
}

/// `determine_tier_courseware`: for the first family member that has one, the `current` tier
/// with the highest threshold at or below the income (ties: the older tier). `None` means no
/// $0 tier is configured — a staff configuration error.
pub fn choose_tier<'a>(
    family: &[Courseware],
    tiers: &'a [TierOption],
    income_usd: Decimal,
) -> Option<&'a TierOption> {
    family.iter().find_map(|member| {
        tiers
            .iter()
            .filter(|t| t.courseware == *member && t.current && t.income_threshold_usd <= income_usd)
            .fold(None::<&TierOption>, |best, t| match best {
                Some(b) if b.income_threshold_usd > t.income_threshold_usd => Some(b),
                Some(b) if b.income_threshold_usd == t.income_threshold_usd && b.id < t.id => Some(b),
                _ => Some(t),
            })
    })
}

/// `determine_auto_approval`: approved at once when the tier gives nothing off, when the
/// country's threshold is 0, or when the income is above the country's threshold (75,000
/// when the country has none).
pub fn auto_approved(
    tier_discount_amount: Decimal,
    country_threshold: Option<Decimal>,
    income_usd: Decimal,
) -> bool {
    let threshold = country_threshold.unwrap_or(DEFAULT_INCOME_THRESHOLD);
    tier_discount_amount.is_zero() || threshold.is_zero() || income_usd > threshold
}

/// A request's submitted values, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    pub income: Decimal,
    pub currency: String,
    pub country_of_income: String,
    pub country_of_residence: String,
}

/// A field-level problem with a submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: &'static str,
    pub message: String,
}

/// Parses the four form fields. `known_currency` says whether a code has a stored rate (USD
/// always counts); countries must be ISO codes we know.
pub fn parse_submission(
    income: &str,
    currency: &str,
    country_of_income: &str,
    country_of_residence: &str,
    known_currency: &dyn Fn(&str) -> bool,
) -> Result<Submission, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let income = match income.trim().replace(',', "").parse::<Decimal>() {
        Ok(d)
            if d > Decimal::ZERO && d.normalize().scale() <= 2 && d < Decimal::from(1_000_000_000_000i64) =>
        {
            Some(d)
        }
        Ok(_) => {
            problems.push(FieldProblem {
                field: "income",
                message: "Enter a positive amount (at most two decimals).".into(),
            });
            None
        }
        Err(_) => {
            problems.push(FieldProblem {
                field: "income",
                message: "Enter your income as a number.".into(),
            });
            None
        }
    };
    let currency = currency.trim().to_ascii_uppercase();
    if currency.len() != 3
        || DISALLOWED_CURRENCIES.contains(&currency.as_str())
        || !(currency == "USD" || known_currency(&currency))
    {
        problems.push(FieldProblem {
            field: "currency",
            message: "Choose a supported currency.".into(),
        });
    }
    let country = |field: &'static str, v: &str, problems: &mut Vec<FieldProblem>| {
        let code = v.trim().to_ascii_uppercase();
        if crate::users::geo::country(&code).is_none() {
            problems.push(FieldProblem {
                field,
                message: "Choose a country from the list.".into(),
            });
        }
        code
    };
    let country_of_income = country("country_of_income", country_of_income, &mut problems);
    let country_of_residence = country("country_of_residence", country_of_residence, &mut problems);
    match income {
        Some(income) if problems.is_empty() => Ok(Submission {
            income,
            currency,
            country_of_income,
            country_of_residence,
        }),
        _ => Err(problems),
    }
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
