//! The flexible-price tiers of a discount in the staff API (`/api/discounts/{id}/tiers/`:
//! list, create, update, delete), as the original's nested tier viewset, plus creation for the staff
//! discount page's form. Staff only; audited.

use crate::commerce::discounts;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;

use crate::commerce::discounts::links::Courseware;

use crate::commerce::discounts::links::Tier;
use crate::commerce::discounts::nested::Page;
use crate::commerce::discounts::nested::audit;
use crate::commerce::discounts::nested::paginated;
use crate::commerce::discounts::nested::the_discount;
use crate::commerce::error::CommerceError;
use crate::db::DbError;
use crate::http::auth::StaffAccess;
use crate::http::error::AppError;
use crate::http::json::ApiJson;
use crate::state::AppState;

/// GET `/{id}/tiers/`: the flexible-price tiers using this discount.
pub async fn tiers(
    State(state): State<AppState>,
    _s: StaffAccess,
    Path(id): Path<i64>,
    Query(p): Query<Page>,
    uri: Uri,
) -> Result<Json<Value>, AppError> {
    let paging = p.parse(&uri)?;
    let all = state
        .db
        .read(move |c| {
            the_discount(c, id)?;
            let mut out = Vec::new();
            for t in discounts::links::tiers(c, id)? {
                out.push(discounts::links::tier_json(c, &t)?);
            }
            Ok::<_, CommerceError>(out)
        })
        .await?;
    let count = all.len() as i64;
    Ok(Json(paginated(&state, &uri, count, paging, paging.slice(all))))
}

#[derive(Deserialize)]
pub struct TierBody {
    /// `course` or `program`.
    courseware_type: Option<String>,
    courseware_id: Option<Value>,
    current: Option<bool>,
    income_threshold_usd: Option<Value>,
}

/// Parses a tier body (also used by the staff page's form).
pub fn parse_tier(discount: i64, b: &TierBody) -> Result<Tier, AppError> {
    let id = match &b.courseware_id {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|n| *n > 0)
    .ok_or_else(|| AppError::field("courseware_id", "A valid course or program id is required."))?;
    let courseware = match b.courseware_type.as_deref() {
        Some("course") => Courseware::Course(id),
        Some("program") => Courseware::Program(id),
        _ => return Err(AppError::field("courseware_type", "Choose course or program.")),
    };
    let threshold = match &b.income_threshold_usd {
        Some(Value::Number(n)) => n.to_string().parse::<Decimal>().ok(),
        Some(Value::String(s)) => s.trim().parse::<Decimal>().ok(),
        _ => None,
    }
    .filter(|d| !d.is_sign_negative())
    .ok_or_else(|| AppError::field("income_threshold_usd", "A non-negative number is required."))?;
    Ok(Tier {
        id: 0,
        discount_id: discount,
        courseware,
        current: b.current.unwrap_or(true),
        income_threshold_usd: threshold,
    })
}

/// Creates a tier (audited); `None` when the discount does not exist.
pub async fn create_tier_for(state: &AppState, actor: String, t: Tier) -> Result<Value, AppError> {
    let now = state.clock.now();
    Ok(state
        .db
        .write(move |c| {
            the_discount(c, t.discount_id)?;
            if !discounts::links::courseware_exists(c, t.courseware)? {
                return Err(CommerceError::Invalid {
                    field: "courseware_id",
                    message: "No such course or program.".into(),
                });
            }
            let id = discounts::links::insert_tier(c, &t, now)?;
            let tier = discounts::links::tier(c, id)?
                .ok_or_else(|| CommerceError::Db(DbError::from(rusqlite::Error::QueryReturnedNoRows)))?;
            let out = discounts::links::tier_json(c, &tier)?;
            audit(
                c,
                &actor,
                "create",
                "flexible_price_tier",
                &id.to_string(),
                None,
                Some(&out),
                now,
            )?;
            Ok::<_, CommerceError>(out)
        })
        .await?)
}

/// POST `/{id}/tiers/` {courseware_type, courseware_id, current, income_threshold_usd}.
pub async fn create_tier(
    State(state): State<AppState>,
    s: StaffAccess,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<TierBody>,
) -> Result<Response, AppError> {
    let t = parse_tier(id, &b)?;
    let out = create_tier_for(&state, s.actor, t).await?;
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

/// DELETE `/{id}/tiers/{tier_id}/`.
pub async fn delete_tier(
    State(state): State<AppState>,
    s: StaffAccess,
    Path((id, tier)): Path<(i64, i64)>,
) -> Result<StatusCode, AppError> {
    let now = state.clock.now();
    state
        .db
        .write(move |c| {
            the_discount(c, id)?;
            let t = discounts::links::tier(c, tier)?
                .filter(|t| t.discount_id == id)
                .ok_or_else(|| CommerceError::NotFound(format!("No tier {tier} uses discount {id}.")))?;
            let before = discounts::links::tier_json(c, &t)?;
            discounts::links::delete_tier(c, tier)?;
            audit(
                c,
                &s.actor,
                "delete",
                "flexible_price_tier",
                &tier.to_string(),
                Some(&before),
                None,
                now,
            )?;
            Ok::<_, CommerceError>(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct TierPatch {
    current: Option<bool>,
    income_threshold_usd: Option<Value>,
}

/// PATCH `/{id}/tiers/{tier_id}/` {current?, income_threshold_usd?} (audited).
pub async fn update_tier(
    State(state): State<AppState>,
    s: StaffAccess,
    Path((id, tier)): Path<(i64, i64)>,
    ApiJson(b): ApiJson<TierPatch>,
) -> Result<Json<Value>, AppError> {
    let threshold = match &b.income_threshold_usd {
        None => None,
        Some(v) => Some(
            match v {
                Value::Number(n) => n.to_string().parse::<Decimal>().ok(),
                Value::String(s) => s.trim().parse::<Decimal>().ok(),
                _ => None,
            }
            .filter(|d| !d.is_sign_negative())
            .ok_or_else(|| AppError::field("income_threshold_usd", "A non-negative number is required."))?,
        ),
    };
    let now = state.clock.now();
    let out = state
        .db
        .write(move |c| {
            the_discount(c, id)?;
            let mut t = discounts::links::tier(c, tier)?
                .filter(|t| t.discount_id == id)
                .ok_or_else(|| CommerceError::NotFound(format!("No tier {tier} uses discount {id}.")))?;
            let before = discounts::links::tier_json(c, &t)?;
            t.current = b.current.unwrap_or(t.current);
            t.income_threshold_usd = threshold.unwrap_or(t.income_threshold_usd);
            discounts::links::update_tier(c, &t, now)?;
            let after = discounts::links::tier_json(c, &t)?;
            audit(
                c,
                &s.actor,
                "update",
                "flexible_price_tier",
                &tier.to_string(),
                Some(&before),
                Some(&after),
                now,
            )?;
            Ok::<_, CommerceError>(after)
        })
        .await?;
    Ok(Json(out))
}
