//! The v3 enrollment list written straight to bytes. Each run's `run` object (the bulk of an
//! enrollment) is serialized once and kept for one catalog snapshot and one interval between
//! the snapshot's predicate boundaries (enrollment start/end, end date, upgrade deadline), the
//! only instants at which its time-dependent fields (`is_enrollable`, `is_upgradable`,
//! `is_archived`, the upgrade product) can change. The per-learner fields around it are written
//! by hand, producing the same bytes as serializing [`shapes::enrollment`]'s value.

use std::sync::{Arc, OnceLock, RwLock};

use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

use super::shapes;
use super::store::Listed;
use crate::catalog::model::{CourseRun, Time};
use crate::catalog::shapes::Ctx;
use crate::catalog::snapshot::Catalog;

/// Serialized v3 `run` objects, shared by the requests of one router.
#[derive(Default)]
pub struct RunFragments {
    current: RwLock<Option<Arc<Generation>>>,
}

/// The fragments of one snapshot within one boundary interval, by run index.
struct Generation {
    catalog: Arc<Catalog>,
    interval: usize,
    runs: Vec<OnceLock<Option<Box<[u8]>>>>,
}

impl RunFragments {
    /// The fragment set exact for `cat` at `now`; `None` when `now` is exactly a boundary
    /// (a predicate may flip right there, so nothing computed then is kept).
    fn generation(&self, cat: &Arc<Catalog>, now: Time) -> Option<Arc<Generation>> {
        let interval = cat.boundaries.partition_point(|b| *b < now);
        if cat.boundaries.get(interval) == Some(&now) {
            return None;
        }
        let current = self.current.read().expect("fragments lock").clone();
        if let Some(g) = current.filter(|g| Arc::ptr_eq(&g.catalog, cat) && g.interval == interval) {
            return Some(g);
        }
        let fresh = Arc::new(Generation {
            catalog: cat.clone(),
            interval,
            runs: cat.runs.iter().map(|_| OnceLock::new()).collect(),
        });
        *self.current.write().expect("fragments lock") = Some(fresh.clone());
        Some(fresh)
    }

    /// The JSON array of the v3 enrollments of `rows` (those whose run is in `cat`), in order.
    pub fn v3_list<'r>(
        &self,
        cat: &Arc<Catalog>,
        rows: impl Iterator<Item = &'r Listed>,
        cx: &Ctx<'_>,
    ) -> Vec<u8> {
        let generation = self.generation(cat, cx.now);
        let mut out = Vec::with_capacity(16 * 1024);
        out.push(b'[');
        let mut first = true;
        for e in rows {
            let Some(&i) = cat.run_by_id.get(&e.run_id) else {
                continue;
            };
            let run = &cat.runs[i];
            let fresh;
            let fragment = match &generation {
                Some(g) => g.runs[i].get_or_init(|| run_bytes(cat, run, cx)).as_deref(),
                None => {
                    fresh = run_bytes(cat, run, cx);
                    fresh.as_deref()
                }
            };
            let Some(fragment) = fragment else {
                continue;
            };
            if !first {
                out.push(b',');
            }
            first = false;
            write_v3(&mut out, fragment, run, e);
        }
        out.push(b']');
        out
    }
}

fn run_bytes(cat: &Catalog, run: &CourseRun, cx: &Ctx<'_>) -> Option<Box<[u8]>> {
    let value = shapes::v3_run(cat, run, cx)?;
    serde_json::to_vec(&value).ok().map(Vec::into_boxed_slice)
}

fn json<T: Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) {
    // Writing plain values into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, v);
}

fn boolean(out: &mut Vec<u8>, b: bool) {
    out.extend_from_slice(if b { b"true" } else { b"false" });
}

/// One v3 enrollment around its serialized `run`, keys in serde_json's (sorted) map order.
fn write_v3(out: &mut Vec<u8>, run_json: &[u8], run: &CourseRun, e: &Listed) {
    out.extend_from_slice(b"{\"approved_flexible_price_exists\":");
    boolean(out, e.approved_flexible_price);
    out.extend_from_slice(b",\"b2b_contract_id\":");
    json(out, &run.b2b_contract_id);
    out.extend_from_slice(b",\"b2b_organization_id\":");
    json(out, &e.b2b_organization_id);
    out.extend_from_slice(b",\"certificate\":");
    match &e.certificate {
        None => out.extend_from_slice(b"null"),
        Some(uuid) => {
            out.extend_from_slice(b"{\"link\":");
            json(out, &format!("/certificate/{uuid}/"));
            out.extend_from_slice(b",\"uuid\":");
            json(out, uuid);
            out.push(b'}');
        }
    }
    out.extend_from_slice(b",\"edx_emails_subscription\":");
    boolean(out, e.edx_emails_subscription);
    out.extend_from_slice(b",\"enrollment_mode\":");
    json(out, e.mode.as_str());
    out.extend_from_slice(b",\"grades\":");
    match &e.grade {
        None => out.extend_from_slice(b"[]"),
        Some((grade, letter, passed, by_admin)) => {
            out.extend_from_slice(b"[{\"grade\":");
            json(out, &grade.to_f64());
            out.extend_from_slice(b",\"grade_percent\":");
            json(out, &shapes::grade_percent(*grade).to_f64());
            out.extend_from_slice(b",\"letter_grade\":");
            json(out, letter);
            out.extend_from_slice(b",\"passed\":");
            boolean(out, *passed);
            out.extend_from_slice(b",\"set_by_admin\":");
            boolean(out, *by_admin);
            out.extend_from_slice(b"}]");
        }
    }
    out.extend_from_slice(b",\"id\":");
    json(out, &e.id);
    out.extend_from_slice(b",\"run\":");
    out.extend_from_slice(run_json);
    out.push(b'}');
}

#[cfg(test)]
#[path = "fragments_tests.rs"]
mod tests;
