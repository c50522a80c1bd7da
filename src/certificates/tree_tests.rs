use std::collections::{HashMap, HashSet};

use super::*;

/// Programs for the table: trees by program id, and which programs have a paid mode.
#[derive(Default)]
struct Trees {
    roots: HashMap<i64, ReqNode>,
    paid: HashSet<i64>,
}

impl ProgramTrees for Trees {
    fn root(&self, program: i64) -> Option<&ReqNode> {
        self.roots.get(&program)
    }
    fn requires_payment(&self, program: i64) -> bool {
        self.paid.contains(&program)
    }
}

fn n(node_type: NodeType) -> ReqNode {
    ReqNode {
        id: 0,
        program_id: 0,
        node_type,
        operator: None,
        operator_value: None,
        course_id: None,
        required_program_id: None,
        title: String::new(),
        elective_flag: false,
        children: Vec::new(),
    }
}

fn root(children: Vec<ReqNode>) -> ReqNode {
    ReqNode {
        children,
        ..n(NodeType::ProgramRoot)
    }
}

fn all_of(children: Vec<ReqNode>) -> ReqNode {
    ReqNode {
        operator: Some("all_of".into()),
        children,
        ..n(NodeType::Operator)
    }
}

fn min_of(value: &str, children: Vec<ReqNode>) -> ReqNode {
    ReqNode {
        operator: Some("min_number_of".into()),
        operator_value: Some(value.into()),
        children,
        ..n(NodeType::Operator)
    }
}

fn course(id: i64) -> ReqNode {
    ReqNode {
        course_id: Some(id),
        ..n(NodeType::Course)
    }
}

fn program(id: i64) -> ReqNode {
    ReqNode {
        required_program_id: Some(id),
        ..n(NodeType::Program)
    }
}

fn earned(courses: &[i64], certs: &[i64]) -> Earned {
    Earned {
        courses: courses.iter().copied().collect(),
        program_certificates: certs.iter().copied().collect(),
    }
}

/// Program 1: required courses 10 and 11, and two of the electives 20, 21, 22.
fn required_and_electives() -> Trees {
    let mut t = Trees::default();
    t.roots.insert(
        1,
        root(vec![
            all_of(vec![course(10), course(11)]),
            min_of("2", vec![course(20), course(21), course(22)]),
        ]),
    );
    t
}

#[test]
fn all_of_needs_every_child_and_min_number_of_needs_its_value() {
    let t = required_and_electives();
    let table: &[(&[i64], bool)] = &[
        (&[], false),
        (&[10, 11], false),
        (&[10, 11, 20], false),
        (&[10, 11, 20, 22], true),
        (&[10, 11, 20, 21, 22], true),
        (&[10, 20, 21], false),
        (&[11, 20, 21, 22], false),
    ];
    for (courses, expect) in table {
        assert_eq!(has_earned(&t, 1, &earned(courses, &[])), *expect, "{courses:?}");
    }
}

#[test]
fn nested_operators_inside_electives_are_walked() {
    // Electives: one of (course 20) or (both 21 and 22).
    let mut t = Trees::default();
    t.roots.insert(
        1,
        root(vec![min_of(
            "1",
            vec![course(20), all_of(vec![course(21), course(22)])],
        )]),
    );
    let table: &[(&[i64], bool)] = &[(&[20], true), (&[21], false), (&[21, 22], true), (&[], false)];
    for (courses, expect) in table {
        assert_eq!(has_earned(&t, 1, &earned(courses, &[])), *expect, "{courses:?}");
    }
}

#[test]
fn min_number_of_zero_is_satisfied_and_an_unparsable_value_is_not() {
    let mut t = Trees::default();
    t.roots.insert(1, root(vec![min_of("0", vec![course(20)])]));
    t.roots.insert(2, root(vec![min_of("two", vec![course(20)])]));
    assert!(has_earned(&t, 1, &earned(&[], &[])));
    assert!(!has_earned(&t, 2, &earned(&[20], &[])));
}

#[test]
fn a_program_without_a_tree_is_never_earned() {
    let t = Trees::default();
    assert!(!has_earned(&t, 9, &earned(&[1, 2, 3], &[9])));
}

/// Parent program 1 requires sub-program 2 (courses 30 and 31) and course 10.
fn nested(parent_paid: bool, child_paid: bool) -> Trees {
    let mut t = Trees::default();
    t.roots
        .insert(1, root(vec![all_of(vec![course(10), program(2)])]));
    t.roots
        .insert(2, root(vec![all_of(vec![course(30), course(31)])]));
    if parent_paid {
        t.paid.insert(1);
    }
    if child_paid {
        t.paid.insert(2);
    }
    t
}

#[test]
fn a_paid_sub_program_counts_only_through_its_non_revoked_certificate() {
    let t = nested(false, true);
    assert!(
        !has_earned(&t, 1, &earned(&[10, 30, 31], &[])),
        "courses alone do not count"
    );
    assert!(has_earned(&t, 1, &earned(&[10], &[2])));
    assert!(!has_earned(&t, 1, &earned(&[], &[2])));
}

#[test]
fn an_audit_only_sub_program_is_walked_like_its_own_tree() {
    let t = nested(true, false);
    assert!(has_earned(&t, 1, &earned(&[10, 30, 31], &[])));
    assert!(!has_earned(&t, 1, &earned(&[10, 30], &[])));
}

#[test]
fn fixed_original_bug_the_program_node_checks_the_required_programs_modes_not_the_parents() {
    // The original asked whether the *parent* (node.program) had a paid mode: with a paid
    // parent and an audit-only sub-program it demanded a sub-program certificate that can
    // never exist. The required program's modes decide.
    let t = nested(true, false);
    assert!(has_earned(&t, 1, &earned(&[10, 30, 31], &[])));
    // And the reverse: an audit-only parent with a paid sub-program needs that certificate.
    let t = nested(false, true);
    assert!(!has_earned(&t, 1, &earned(&[10, 30, 31], &[])));
}

#[test]
fn fixed_original_bug_an_audit_only_sub_program_is_walked_not_the_parent_again() {
    // The original recursed into node.program (the parent itself) instead of the required
    // program. Here the parent's own courses are done but the sub-program's are not.
    let t = nested(false, false);
    assert!(!has_earned(&t, 1, &earned(&[10], &[])));
    assert!(has_earned(&t, 1, &earned(&[10, 30, 31], &[])));
}

#[test]
fn fixed_original_bug_programs_requiring_each_other_earn_nothing_instead_of_recursing_forever() {
    let mut t = Trees::default();
    t.roots
        .insert(1, root(vec![all_of(vec![course(10), program(2)])]));
    t.roots
        .insert(2, root(vec![all_of(vec![course(30), program(1)])]));
    assert!(!has_earned(&t, 1, &earned(&[10, 30], &[])));
}

#[test]
fn sub_programs_nest_more_than_one_level() {
    let mut t = Trees::default();
    t.roots.insert(1, root(vec![all_of(vec![program(2)])]));
    t.roots
        .insert(2, root(vec![min_of("1", vec![program(3), course(40)])]));
    t.roots.insert(3, root(vec![all_of(vec![course(50)])]));
    assert!(has_earned(&t, 1, &earned(&[50], &[])));
    assert!(has_earned(&t, 1, &earned(&[40], &[])));
    assert!(!has_earned(&t, 1, &earned(&[], &[])));
}

fn run(course_id: i64) -> RunRecord {
    RunRecord {
        course_id,
        active_unchanged: true,
        nonvariant: true,
        has_verified_mode: true,
        certified: false,
        passed: false,
    }
}

#[test]
fn a_course_counts_by_certificate_or_by_passing_a_run_without_a_verified_mode() {
    let table: &[(RunRecord, bool)] = &[
        (
            RunRecord {
                certified: true,
                ..run(1)
            },
            true,
        ),
        (
            RunRecord {
                passed: true,
                ..run(1)
            },
            false,
        ),
        (
            RunRecord {
                passed: true,
                has_verified_mode: false,
                ..run(1)
            },
            true,
        ),
        (
            RunRecord {
                certified: true,
                active_unchanged: false,
                ..run(1)
            },
            false,
        ),
        (
            RunRecord {
                certified: true,
                nonvariant: false,
                ..run(1)
            },
            false,
        ),
        (
            RunRecord {
                passed: true,
                has_verified_mode: false,
                nonvariant: false,
                ..run(1)
            },
            false,
        ),
        (run(1), false),
    ];
    for (r, expect) in table {
        assert_eq!(passed_courses(&[*r]).contains(&1), *expect, "{r:?}");
    }
}

#[test]
fn fixed_original_bug_a_pass_in_an_audit_only_run_counts_although_another_run_has_a_verified_mode() {
    // The original excluded the whole course when any of its runs had a verified mode.
    let audit_only_pass = RunRecord {
        passed: true,
        has_verified_mode: false,
        ..run(7)
    };
    let verified_run_without_certificate = run(7);
    assert!(passed_courses(&[audit_only_pass, verified_run_without_certificate]).contains(&7));
}
