//! A learner's basket items one by one (the contract's `/api/v0/baskets/{basket}/items/`, the
//! original's `BasketItemViewSet`), in the original's shape `{basket, product, id}`. Only the
//! learner's own basket answers (another's is a 404, as if it did not exist). Adding keeps what
//! is there (the original's `get_or_create`); changing an item swaps its product; every change
//! clears the basket's discount and re-applies the learner's automatic and assigned ones, as
//! adding through the cart does.

use rusqlite::Connection;
use serde::Serialize;

use super::model::Owner;
use crate::commerce::basket;
use crate::commerce::error::CommerceError;
use crate::state::AppState;

/// One basket item `{basket, product, id}` (ids).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Item {
    pub basket: i64,
    pub product: i64,
    pub id: i64,
}

fn shape(basket: i64, (id, product, _): (i64, i64, u32)) -> Item {
    Item { basket, product, id }
}

/// The user's basket when it is `basket`.
fn own_basket(c: &Connection, user: i64, basket: i64) -> Result<i64, CommerceError> {
    basket::store::basket_id(c, &Owner::User(user))?
        .filter(|b| *b == basket)
        .ok_or_else(|| CommerceError::NotFound(format!("No such basket: {basket}.")))
}

fn item(c: &Connection, basket: i64, id: i64) -> Result<(i64, i64, u32), CommerceError> {
    basket::store::basket_items(c, basket)?
        .into_iter()
        .find(|(i, _, _)| *i == id)
        .ok_or_else(|| CommerceError::NotFound(format!("Basket {basket} has no item {id}.")))
}

/// The item holding `product` (just added).
fn item_of(c: &Connection, basket: i64, product: i64) -> Result<(i64, i64, u32), CommerceError> {
    Ok(basket::store::basket_items(c, basket)?
        .into_iter()
        .find(|(_, p, _)| *p == product)
        .ok_or(rusqlite::Error::QueryReturnedNoRows)?)
}

/// The basket's items.
pub async fn list(state: &AppState, user: i64, basket: i64) -> Result<Vec<Item>, CommerceError> {
    state
        .db
        .read(move |c| {
            let b = own_basket(c, user, basket)?;
            Ok(basket::store::basket_items(c, b)?
                .into_iter()
                .map(|i| shape(b, i))
                .collect())
        })
        .await
}

/// One item.
pub async fn one(state: &AppState, user: i64, basket: i64, id: i64) -> Result<Item, CommerceError> {
    state
        .db
        .read(move |c| {
            let b = own_basket(c, user, basket)?;
            Ok(shape(b, item(c, b, id)?))
        })
        .await
}

/// Adds `product` (an active product) to the basket; whether it was new, and the item.
pub async fn add(
    state: &AppState,
    user: i64,
    basket: i64,
    product: i64,
) -> Result<(bool, Item), CommerceError> {
    state
        .write_at(move |c, now| {
            let b = own_basket(c, user, basket)?;
            let (_, new) = basket::service::add_product(c, &Owner::User(user), product, 1, false, now)?;
            Ok((new, shape(b, item_of(c, b, product)?)))
        })
        .await
}

/// Makes item `id` hold `product` instead (the basket keeps one item per product).
pub async fn set_product(
    state: &AppState,
    user: i64,
    basket: i64,
    id: i64,
    product: i64,
) -> Result<Item, CommerceError> {
    state
        .write_at(move |c, now| {
            let b = own_basket(c, user, basket)?;
            let current = item(c, b, id)?;
            if current.1 == product {
                return Ok(shape(b, current));
            }
            if basket::store::basket_items(c, b)?
                .iter()
                .any(|(_, p, _)| *p == product)
            {
                return Err(CommerceError::Invalid {
                    field: "product",
                    message: format!("Product {product} is already in basket {b}."),
                });
            }
            basket::store::remove_item(c, b, id)?;
            basket::service::add_product(c, &Owner::User(user), product, current.2, false, now)?;
            Ok(shape(b, item_of(c, b, product)?))
        })
        .await
}

/// Removes item `id`; the learner's discounts are worked out again for what remains.
pub async fn remove(state: &AppState, user: i64, basket: i64, id: i64) -> Result<(), CommerceError> {
    state
        .write_at(move |c, now| {
            let b = own_basket(c, user, basket)?;
            item(c, b, id)?;
            basket::store::remove_item(c, b, id)?;
            basket::store::clear_basket_discount(c, b)?;
            basket::service::apply_auto_discounts(c, b, user, now)?;
            Ok(())
        })
        .await
}
