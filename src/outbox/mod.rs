//! The transactional outbox (DESIGN decision 7).
//!
//! A domain change and the message describing its side effect are written in the same
//! transaction with [`enqueue`]; the [`Dispatcher`] later delivers each message through the
//! [`Deliverer`] registered for its destination, with an idempotency key, exponential backoff
//! with jitter, `Retry-After`, a per-destination rate limit and a cap on attempts. Messages that
//! keep failing become dead letters that staff can retry. Nothing is lost when a partner is down,
//! and no network call ever happens inside a database transaction.
//!
//! Owns `outbox`; reads no other module's tables. Other modules write to it only through
//! [`enqueue`] (the enrollment reconciliation reads pending keys in its one statement).

mod dispatcher;
mod http_post;
mod store;

pub use dispatcher::{BoxFuture, Deliverer, Delivery, Dispatcher, DrainReport, RetryPolicy, retry_after};

/// A boxed `Send` future with no borrowed data.
pub type BoxFutureStatic<T> = BoxFuture<'static, T>;
pub use http_post::{HTTP_POST, HttpPostDeliverer, http_post_message};
pub(crate) use store::purge_delivered;
pub use store::{
    FlowFigures, Message, NewMessage, OutboxCounts, counts, enqueue, flow_figures, list_dead, retry_dead,
    supersede, undelivered_for_user,
};
