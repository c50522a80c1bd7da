//! Plain SQL over `&Connection` for certificates, verifiable credentials, partner schools and
//! record shares.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::model::{Certificate, Kind};
use crate::clock::{from_db, to_db};
use crate::db::from_row;

fn table(kind: Kind) -> (&'static str, &'static str) {
    match kind {
        Kind::CourseRun => ("course_run_certificates", "run_id"),
        Kind::Program => ("program_certificates", "program_id"),
    }
}

/// A certificate's public id: a version-7 UUID (the issue time in milliseconds, then 74 random
/// bits). Time-ordered ids append to the `uuid` index instead of landing on a random leaf page
/// each, so issuing 100k certificates dirties (and journals) a few index pages per batch instead
/// of one per certificate. The time is the issue date the certificate shows anyway; 74 random
/// bits keep the ids unguessable.
fn time_ordered_uuid(now: DateTime<Utc>) -> uuid::Uuid {
    let random = uuid::Uuid::new_v4().into_bytes();
    let mut tail = [0u8; 10];
    tail.copy_from_slice(&random[6..]);
    let millis = u64::try_from(now.timestamp_millis()).unwrap_or(0);
    uuid::Builder::from_unix_timestamp_millis(millis, &tail).into_uuid()
}

const COLS: &str = "id, uuid, user_id, {obj}, is_revoked, issue_date, certificate_page_revision_id, verifiable_credential_id";

fn select(kind: Kind, filter: &str) -> String {
    let (t, obj) = table(kind);
    format!("SELECT {} FROM {t} WHERE {filter}", COLS.replace("{obj}", obj))
}

fn row(kind: Kind) -> impl Fn(&Row<'_>) -> rusqlite::Result<Certificate> {
    move |r| {
        // An unreadable issue date fails the row (column 5, as the macro reads it below).
        let issued: String = r.get(5)?;
        let issue_date = from_db(&issued)
            .ok_or_else(|| rusqlite::Error::InvalidColumnType(5, issued, rusqlite::types::Type::Text))?;
        from_row!(
            r,
            Certificate {
                id,
                uuid,
                user_id,
                object_id,
                is_revoked,
                issue_date: |_: String| issue_date,
                revision_id,
                credential_id;
                kind
            }
        )
    }
}

/// Creates the certificate unless the learner already has one for the object (revoked or
/// not): the UNIQUE constraint makes concurrent triggers create exactly one. Returns the new
/// certificate, `None` when one existed.
pub fn insert_new(
    c: &Connection,
    kind: Kind,
    user_id: i64,
    object_id: i64,
    revision_id: Option<i64>,
    now: DateTime<Utc>,
) -> rusqlite::Result<Option<Certificate>> {
    let (t, obj) = table(kind);
    let uuid = time_ordered_uuid(now).to_string();
    c.prepare_cached(&format!(
        "INSERT INTO {t} (uuid, user_id, {obj}, issue_date, certificate_page_revision_id, created_on, updated_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?4, ?4) ON CONFLICT (user_id, {obj}) DO NOTHING RETURNING {}",
        COLS.replace("{obj}", obj)
    ))?
    .query_row(params![uuid, user_id, object_id, to_db(now), revision_id], row(kind))
    .optional()?
    .map(|cert| {
        hubspot_certificate(c, now, kind, cert.id, "created")?;
        Ok(cert)
    })
    .transpose()
}

/// Queues the certificate's HubSpot custom object sync (nothing when the sync is off).
fn hubspot_certificate(
    c: &Connection,
    now: DateTime<Utc>,
    kind: Kind,
    id: i64,
    event: &str,
) -> rusqlite::Result<()> {
    crate::integrations::hubspot::certificate(c, now, kind == Kind::Program, id, event)
}

/// The learner's certificate for the object, revoked or not.
pub fn find(
    c: &Connection,
    kind: Kind,
    user_id: i64,
    object_id: i64,
) -> rusqlite::Result<Option<Certificate>> {
    let (_, obj) = table(kind);
    c.prepare_cached(&select(kind, &format!("user_id = ?1 AND {obj} = ?2")))?
        .query_row(params![user_id, object_id], row(kind))
        .optional()
}

pub fn by_uuid(c: &Connection, kind: Kind, uuid: &str) -> rusqlite::Result<Option<Certificate>> {
    c.prepare_cached(&select(kind, "uuid = ?1"))?
        .query_row([uuid], row(kind))
        .optional()
}

pub fn get(c: &Connection, kind: Kind, id: i64) -> rusqlite::Result<Option<Certificate>> {
    c.prepare_cached(&select(kind, "id = ?1"))?
        .query_row([id], row(kind))
        .optional()
}

/// Every certificate of a learner of one kind, revoked or not, by id.
pub fn for_user(c: &Connection, kind: Kind, user_id: i64) -> rusqlite::Result<Vec<Certificate>> {
    c.prepare_cached(&select(kind, "user_id = ?1 ORDER BY id"))?
        .query_map([user_id], row(kind))?
        .collect()
}

/// Deletes the learner's unrevoked certificate for a run (a grade of zero). True when deleted.
pub fn delete_unrevoked_run_certificate(c: &Connection, user_id: i64, run_id: i64) -> rusqlite::Result<bool> {
    Ok(c.prepare_cached(
        "DELETE FROM course_run_certificates WHERE user_id = ?1 AND run_id = ?2 AND is_revoked = 0",
    )?
    .execute(params![user_id, run_id])?
        > 0)
}

pub fn set_revoked(
    c: &Connection,
    kind: Kind,
    id: i64,
    revoked: bool,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    let (t, _) = table(kind);
    c.prepare_cached(&format!(
        "UPDATE {t} SET is_revoked = ?2, updated_on = ?3 WHERE id = ?1"
    ))?
    .execute(params![id, revoked, to_db(now)])?;
    hubspot_certificate(c, now, kind, id, if revoked { "revoked" } else { "unrevoked" })
}

/// Learners (of those holding one) with a certificate for the run, revoked or not.
pub fn run_certificate_holders(
    c: &Connection,
    run_id: i64,
) -> rusqlite::Result<std::collections::HashSet<i64>> {
    c.prepare_cached("SELECT user_id FROM course_run_certificates WHERE run_id = ?1")?
        .query_map([run_id], |r| r.get(0))?
        .collect()
}

/// Whether the learner holds any certificate (revoked or not) for the program.
pub fn has_program_certificate(c: &Connection, user_id: i64, program_id: i64) -> rusqlite::Result<bool> {
    c.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM program_certificates WHERE user_id = ?1 AND program_id = ?2)",
    )?
    .query_row(params![user_id, program_id], |r| r.get(0))
}

// ---- verifiable credentials ----

/// Stores a signed credential and links it to the certificate.
pub fn store_credential(
    c: &Connection,
    kind: Kind,
    certificate_id: i64,
    uuid: &str,
    data: &serde_json::Value,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT INTO verifiable_credentials (uuid, credential_data, created_on) VALUES (?1, ?2, ?3)
         ON CONFLICT (uuid) DO UPDATE SET credential_data = excluded.credential_data",
    )?
    .execute(params![uuid, data.to_string(), to_db(now)])?;
    let (t, _) = table(kind);
    c.prepare_cached(&format!(
        "UPDATE {t} SET verifiable_credential_id = ?2, updated_on = ?3 WHERE id = ?1"
    ))?
    .execute(params![certificate_id, uuid, to_db(now)])?;
    Ok(())
}

pub fn credential(c: &Connection, uuid: &str) -> rusqlite::Result<Option<serde_json::Value>> {
    let s: Option<String> = c
        .prepare_cached("SELECT credential_data FROM verifiable_credentials WHERE uuid = ?1")?
        .query_row([uuid], |r| r.get(0))
        .optional()?;
    Ok(s.and_then(|s| serde_json::from_str(&s).ok()))
}

// ---- partner schools and record shares ----

/// Active partner schools, `(id, name, email)` by name.
pub fn partner_schools(c: &Connection) -> rusqlite::Result<Vec<(i64, String, String)>> {
    c.prepare_cached("SELECT id, name, email FROM partner_schools WHERE is_active = 1 ORDER BY name, id")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect()
}

pub fn insert_partner_school(c: &Connection, name: &str, email: &str) -> rusqlite::Result<i64> {
    c.execute(
        "INSERT INTO partner_schools (name, email) VALUES (?1, ?2)",
        params![name, email],
    )?;
    Ok(c.last_insert_rowid())
}

/// Deactivates a partner school (its shares stay). True when it was active.
pub fn deactivate_partner_school(c: &Connection, id: i64) -> rusqlite::Result<bool> {
    Ok(
        c.prepare_cached("UPDATE partner_schools SET is_active = 0 WHERE id = ?1 AND is_active = 1")?
            .execute([id])?
            > 0,
    )
}

/// One record share: `(share_uuid, partner_school_id, is_active)`.
pub type Share = (String, Option<i64>, bool);

pub fn shares(c: &Connection, user_id: i64, program_id: i64) -> rusqlite::Result<Vec<Share>> {
    c.prepare_cached(
        "SELECT share_uuid, partner_school_id, is_active FROM learner_program_record_shares
         WHERE user_id = ?1 AND program_id = ?2 ORDER BY created_on, share_uuid",
    )?
    .query_map(params![user_id, program_id], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?
    .collect()
}

/// Activates the learner's share of the record with a school (`Some`) or their public link
/// (`None`), creating it the first time. Returns its uuid.
pub fn activate_share(
    c: &Connection,
    user_id: i64,
    program_id: i64,
    school: Option<i64>,
    now: DateTime<Utc>,
) -> rusqlite::Result<String> {
    let existing = shares(c, user_id, program_id)?
        .into_iter()
        .find(|s| s.1 == school);
    if let Some((uuid, _, _)) = existing {
        c.prepare_cached(
            "UPDATE learner_program_record_shares SET is_active = 1, updated_on = ?2 WHERE share_uuid = ?1",
        )?
        .execute(params![uuid, to_db(now)])?;
        return Ok(uuid);
    }
    let uuid = uuid::Uuid::new_v4().to_string();
    c.prepare_cached(
        "INSERT INTO learner_program_record_shares (share_uuid, user_id, program_id, partner_school_id, created_on, updated_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
    )?
    .execute(params![uuid, user_id, program_id, school, to_db(now)])?;
    Ok(uuid)
}

/// Deactivates the learner's public links for the record. Returns how many.
pub fn deactivate_public_shares(
    c: &Connection,
    user_id: i64,
    program_id: i64,
    now: DateTime<Utc>,
) -> rusqlite::Result<usize> {
    c.prepare_cached(
        "UPDATE learner_program_record_shares SET is_active = 0, updated_on = ?3
         WHERE user_id = ?1 AND program_id = ?2 AND partner_school_id IS NULL AND is_active = 1",
    )?
    .execute(params![user_id, program_id, to_db(now)])
}

/// `(user_id, program_id)` of an active share.
pub fn active_share(c: &Connection, uuid: &str) -> rusqlite::Result<Option<(i64, i64)>> {
    c.prepare_cached(
        "SELECT user_id, program_id FROM learner_program_record_shares WHERE share_uuid = ?1 AND is_active = 1",
    )?
    .query_row([uuid], |r| Ok((r.get(0)?, r.get(1)?)))
    .optional()
}

#[cfg(test)]
mod tests {
    use super::time_ordered_uuid;
    use chrono::{Duration, Utc};

    #[test]
    fn certificate_ids_are_version_7_unique_and_ordered_by_issue_time() {
        let now = Utc::now();
        let a = time_ordered_uuid(now);
        let b = time_ordered_uuid(now);
        let later = time_ordered_uuid(now + Duration::milliseconds(1));
        assert_eq!(a.get_version_num(), 7);
        assert_ne!(a, b, "same millisecond, different random bits");
        assert!(later.to_string() > a.to_string().max(b.to_string()));
        let (secs, _) = a.get_timestamp().expect("v7 carries its time").to_unix();
        assert_eq!(secs, u64::try_from(now.timestamp()).unwrap());
    }
}
