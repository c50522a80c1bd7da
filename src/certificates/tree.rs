//! The program requirement tree walk (the original's `_has_earned_program_cert`), as a pure
//! function over the catalog's tree and what the learner has earned, so every rule is a table
//! test ([`tree_tests`](self)).
//!
//! - root and `all_of`: every child; `min_number_of`: at least `operator_value` children;
//! - a course: passed as [`passed_courses`] counts it;
//! - a program: its non-revoked certificate when the program has a paid mode, otherwise the
//!   same walk over that program's own tree.
//!
//! Fixed against the original (each has a named test): the program node looks at the
//! *required* program's modes and recurses into the *required* program (the original once
//! looked at, and recursed into, the parent); a course passed in an audit-only run counts even
//! when another run of the course has a verified mode; a cycle of programs requiring each other
//! earns nothing instead of recursing forever.

use std::collections::HashSet;

use crate::catalog::model::{NodeType, ReqNode};
use crate::catalog::snapshot::Catalog;

/// What the walk needs to know about programs.
pub trait ProgramTrees {
    /// The program's requirement tree root, if it has one.
    fn root(&self, program: i64) -> Option<&ReqNode>;
    /// Whether the program has a mode that requires payment (then only its certificate counts).
    fn requires_payment(&self, program: i64) -> bool;
}

impl ProgramTrees for Catalog {
    fn root(&self, program: i64) -> Option<&ReqNode> {
        self.program(program)?.root.as_ref()
    }
    fn requires_payment(&self, program: i64) -> bool {
        self.program(program)
            .is_some_and(|p| p.modes.iter().any(|&m| self.modes[m].requires_payment))
    }
}

/// What a learner has earned.
#[derive(Debug, Default, Clone)]
pub struct Earned {
    /// Courses counted as passed ([`passed_courses`]).
    pub courses: HashSet<i64>,
    /// Programs with a non-revoked certificate.
    pub program_certificates: HashSet<i64>,
}

/// One of the learner's course-run enrollments, with what the walk needs about its run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunRecord {
    pub course_id: i64,
    /// Active with no change status (deferred, refunded … runs do not count).
    pub active_unchanged: bool,
    /// Not a length or industry variant.
    pub nonvariant: bool,
    /// The run offers a verified mode.
    pub has_verified_mode: bool,
    /// The learner holds a non-revoked certificate for the run.
    pub certified: bool,
    /// The learner's grade for the run passed.
    pub passed: bool,
}

/// Courses counted as passed: a non-revoked certificate in an active, unchanged, non-variant
/// run, or a passing grade in such a run that has no verified mode (nothing to certify there).
pub fn passed_courses(runs: &[RunRecord]) -> HashSet<i64> {
    runs.iter()
        .filter(|r| r.active_unchanged && r.nonvariant)
        .filter(|r| r.certified || (r.passed && !r.has_verified_mode))
        .map(|r| r.course_id)
        .collect()
}

/// Whether the learner has earned `program`'s requirements.
pub fn has_earned(trees: &impl ProgramTrees, program: i64, earned: &Earned) -> bool {
    let mut visiting = Vec::new();
    earned_program(trees, program, earned, &mut visiting)
}

/// Whether one node of `program`'s tree is met (the same walk, starting below the root).
pub fn node_met(trees: &impl ProgramTrees, program: i64, n: &ReqNode, earned: &Earned) -> bool {
    let mut visiting = vec![program];
    node(trees, n, earned, &mut visiting)
}

fn earned_program(trees: &impl ProgramTrees, program: i64, earned: &Earned, visiting: &mut Vec<i64>) -> bool {
    if visiting.contains(&program) {
        return false;
    }
    let Some(root) = trees.root(program) else {
        return false;
    };
    visiting.push(program);
    let ok = node(trees, root, earned, visiting);
    visiting.pop();
    ok
}

fn node(trees: &impl ProgramTrees, n: &ReqNode, earned: &Earned, visiting: &mut Vec<i64>) -> bool {
    match n.node_type {
        NodeType::ProgramRoot => n.children.iter().all(|c| node(trees, c, earned, visiting)),
        NodeType::Operator => match n.operator.as_deref() {
            Some("all_of") => n.children.iter().all(|c| node(trees, c, earned, visiting)),
            Some("min_number_of") => {
                let need: usize = n
                    .operator_value
                    .as_deref()
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(usize::MAX);
                let mut have = 0;
                for c in &n.children {
                    if node(trees, c, earned, visiting) {
                        have += 1;
                    }
                }
                have >= need
            }
            _ => false,
        },
        NodeType::Course => n.course_id.is_some_and(|c| earned.courses.contains(&c)),
        NodeType::Program => match n.required_program_id {
            None => false,
            Some(p) if trees.requires_payment(p) => earned.program_certificates.contains(&p),
            Some(p) => earned_program(trees, p, earned, visiting),
        },
    }
}

#[cfg(test)]
#[path = "tree_tests.rs"]
mod tree_tests;
