//! The invariants, read from the database file after the last restart has drained the outbox
//! and the server has stopped. Each returns the problems it found, in words.

use std::path::Path;
use std::process::Command;

use rusqlite::Connection;

use super::client::email;
use super::load::{Ledger, Paid, Want};

fn count(c: &Connection, sql: &str) -> i64 {
    c.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// Integrity, the outbox, and every acknowledged enrollment and unenrollment.
pub fn enrollments(c: &Connection, ledger: &Ledger, runs: &[(i64, i64)]) -> Vec<String> {
    let mut problems = Vec::new();
    let integrity: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    if integrity != "ok" {
        problems.push(format!("integrity_check: {integrity}"));
    }
    for ((learner, index), (want, acked)) in ledger {
        if !acked {
            continue;
        }
        let active: Option<bool> = c
            .query_row(
                "SELECT e.active FROM course_run_enrollments e JOIN users u ON u.id = e.user_id
                 WHERE u.email = ?1 AND e.run_id = ?2",
                rusqlite::params![email("l", *learner), runs[*index].0],
                |r| r.get(0),
            )
            .ok();
        let ok = match want {
            Want::Enrolled => active == Some(true),
            Want::NotEnrolled => active != Some(true),
        };
        if !ok {
            problems.push(format!(
                "learner {learner} run {}: acknowledged {want:?}, stored {active:?}",
                runs[*index].0
            ));
        }
    }
    let (dead, pending) = (
        count(c, "SELECT count(*) FROM outbox WHERE status = 'dead'"),
        count(c, "SELECT count(*) FROM outbox WHERE status = 'pending'"),
    );
    if (dead, pending) != (0, 0) {
        problems.push(format!("outbox: {dead} dead, {pending} pending after the drain"));
    }
    problems
}

/// The sandbox Open edX agrees with every local enrollment: an active one is active there in
/// the same mode, an inactive one is not active there (or was never sent, when the learner left
/// before the enrollment was delivered: the newer message superseded it); and it holds one
/// account per learner or buyer who enrolled.
pub fn openedx(c: &Connection) -> Vec<String> {
    let mut problems = Vec::new();
    let disagree = count(
        c,
        "SELECT count(*) FROM course_run_enrollments e
         JOIN course_runs r ON r.id = e.run_id
         LEFT JOIN openedx_users o ON o.user_id = e.user_id
         LEFT JOIN openedx_sandbox_enrollments s ON s.username = o.edx_username AND s.course_id = r.courseware_id
         WHERE (e.active = 1 AND (s.username IS NULL OR s.is_active = 0 OR s.mode <> e.enrollment_mode))
            OR (e.active = 0 AND s.is_active = 1)",
    );
    if disagree > 0 {
        problems.push(format!(
            "{disagree} local enrollments Open edX does not agree with"
        ));
    }
    let accounts = count(
        c,
        "SELECT count(*) FROM openedx_sandbox_users WHERE email LIKE 'bench-%@example.com'",
    );
    let enrolled = count(
        c,
        "SELECT count(DISTINCT u.id) FROM users u JOIN course_run_enrollments e ON e.user_id = u.id
         WHERE u.email LIKE 'bench-%@example.com'",
    );
    if accounts != enrolled {
        problems.push(format!(
            "{accounts} edX accounts for {enrolled} enrolled learners"
        ));
    }
    problems
}

/// Every acknowledged order fulfilled with one payment and a verified enrollment; over all
/// orders: no order paid twice, no payment without fulfilment (but a second payment for a seat
/// already paid, held in review for refund), no run fulfilled twice.
pub fn orders(c: &Connection, paid: &Paid, runs: &[(i64, i64)]) -> Vec<String> {
    let mut problems = Vec::new();
    for (buyer, index, order) in paid {
        let (state, payments, mode): (String, i64, Option<String>) = c
            .query_row(
                "SELECT o.state,
                        (SELECT count(*) FROM order_transactions t WHERE t.order_id = o.id AND t.transaction_type = 'payment'),
                        (SELECT e.enrollment_mode FROM course_run_enrollments e WHERE e.user_id = o.purchaser_id AND e.run_id = ?2 AND e.active = 1)
                 FROM orders o WHERE o.id = ?1",
                rusqlite::params![order, runs[*index].0],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap_or_else(|_| ("missing".into(), 0, None));
        if state != "fulfilled" || payments != 1 || mode.as_deref() != Some("verified") {
            problems.push(format!(
                "buyer {buyer} order {order}: {state}, {payments} payments, enrollment {mode:?}"
            ));
        }
    }
    let paid_twice = count(
        c,
        "SELECT count(*) FROM (SELECT order_id FROM order_transactions WHERE transaction_type = 'payment'
         GROUP BY order_id HAVING count(*) > 1)",
    );
    let unfulfilled = count(
        c,
        "SELECT count(*) FROM orders o WHERE o.state <> 'fulfilled' AND EXISTS (
             SELECT 1 FROM order_transactions t WHERE t.order_id = o.id AND t.transaction_type = 'payment')
         AND NOT (o.state = 'review' AND EXISTS (
             SELECT 1 FROM order_alerts a WHERE a.order_id = o.id AND a.kind = 'duplicate_payment'))",
    );
    let bought_twice = count(
        c,
        "SELECT count(*) FROM (SELECT o.purchaser_id, l.product_id FROM orders o
         JOIN order_lines l ON l.order_id = o.id WHERE o.state = 'fulfilled'
         GROUP BY 1, 2 HAVING count(*) > 1)",
    );
    for (n, what) in [
        (paid_twice, "orders paid more than once"),
        (unfulfilled, "paid orders not fulfilled"),
        (bought_twice, "runs fulfilled twice for one learner"),
    ] {
        if n > 0 {
            problems.push(format!("{n} {what}"));
        }
    }
    problems
}

/// Second payments for a seat another order had paid, held in review for a refund.
pub fn held_duplicates(c: &Connection) -> i64 {
    count(
        c,
        "SELECT count(*) FROM order_alerts WHERE kind = 'duplicate_payment'",
    )
}

fn digests(path: &Path) -> Vec<(String, u64, u64)> {
    mitxonline::backup::service::table_digests(&Connection::open(path).unwrap()).unwrap()
}

/// The replica restores, with our restore and (when `MITXONLINE_TEST_LITESTREAM` names it)
/// the real `litestream restore`, to the live database's rows, table by table.
pub fn backup(bin: &str, dir: &Path, replica_url: &str) -> (Vec<String>, Vec<&'static str>) {
    let live = digests(&dir.join("mitxonline.db"));
    let mut problems = Vec::new();
    let mut restored_by = Vec::new();
    let ours = dir.join("restored-ours.db");
    let out = Command::new(bin)
        .args(["backup", "restore", "--to"])
        .arg(&ours)
        .env("MITXONLINE_DATA_DIR", dir.join("restore-scratch"))
        .env("MITXONLINE_BACKUP_URL", replica_url)
        .output()
        .unwrap();
    let mut compare = |who: &'static str, path: &Path, ok: bool, err: &[u8]| {
        if !ok {
            problems.push(format!("{who} restore failed: {}", String::from_utf8_lossy(err)));
        } else if digests(path) != live {
            problems.push(format!("{who} restore differs from the live database"));
        } else {
            restored_by.push(who);
        }
    };
    compare("our", &ours, out.status.success(), &out.stderr);
    if let Ok(litestream) = std::env::var("MITXONLINE_TEST_LITESTREAM") {
        let theirs = dir.join("restored-litestream.db");
        let out = Command::new(litestream)
            .args(["restore", "-o"])
            .arg(&theirs)
            .arg(replica_url)
            .output()
            .unwrap();
        compare("litestream", &theirs, out.status.success(), &out.stderr);
    }
    (problems, restored_by)
}
