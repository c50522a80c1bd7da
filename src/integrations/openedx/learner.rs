//! One learner's standing with Open edX, for the staff learner page: our record of their edX
//! account and the `openedx` outbox messages about them not delivered yet, and the retry that
//! puts their dead letters back in the queue.

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::messages::DESTINATION;
use super::store::{self, OpenEdxUser};
use crate::outbox::{self as outbox, Message};

/// What staff see of a learner's edX sync.
#[derive(Debug, Clone)]
pub struct LearnerSync {
    pub account: Option<OpenEdxUser>,
    /// Pending and dead messages about the learner, oldest first.
    pub waiting: Vec<Message>,
}

impl LearnerSync {
    pub fn dead(&self) -> usize {
        self.waiting.iter().filter(|m| m.status == "dead").count()
    }
}

pub fn learner_sync(c: &Connection, user_id: i64) -> rusqlite::Result<LearnerSync> {
    Ok(LearnerSync {
        account: store::find_by_user(c, user_id)?,
        waiting: outbox::undelivered_for_user(c, DESTINATION, user_id)?,
    })
}

/// Requeues every dead `openedx` message about the learner with a fresh attempt budget.
/// Returns how many were requeued.
pub fn retry_learner(c: &Connection, user_id: i64, now: DateTime<Utc>) -> rusqlite::Result<usize> {
    let mut n = 0;
    for m in outbox::undelivered_for_user(c, DESTINATION, user_id)? {
        if m.status == "dead" && outbox::retry_dead(c, m.id, now)? {
            n += 1;
        }
    }
    Ok(n)
}
