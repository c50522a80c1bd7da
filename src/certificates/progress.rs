//! How far a learner is through a program's requirements, for the dashboard's Programs tab:
//! one group per operator under the root ("Required Courses": every child; "Elective
//! Courses": `operator_value` of them), each child counted met by the same walk that issues
//! the certificate ([`tree::node_met`]), so "5 of 5" here is exactly when the certificate is due.

use super::tree::{self, Earned, ProgramTrees};
use crate::catalog::model::{NodeType, ReqNode};

/// One requirement group: its title, how many of its children are met (capped at `needed`)
/// and how many it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub title: String,
    pub done: usize,
    pub needed: usize,
}

/// The learner's progress through a program: the sums over its groups, and the groups.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    pub done: usize,
    pub needed: usize,
    pub groups: Vec<Group>,
}

impl Progress {
    /// The groups still short of what they need.
    pub fn remaining(&self) -> impl Iterator<Item = &Group> {
        self.groups.iter().filter(|g| g.done < g.needed)
    }
}

fn needed_of(op: &ReqNode) -> usize {
    match op.operator.as_deref() {
        Some("min_number_of") => op
            .operator_value
            .as_deref()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(op.children.len())
            .min(op.children.len()),
        _ => op.children.len(),
    }
}

fn default_title(op: &ReqNode) -> &'static str {
    if op.operator.as_deref() == Some("min_number_of") || op.elective_flag {
        "Elective courses"
    } else {
        "Required courses"
    }
}

/// `program`'s progress for a learner who has `earned` what it holds. Leaves placed directly
/// under the root (no operator) form one "Required courses" group.
pub fn progress(trees: &impl ProgramTrees, program: i64, earned: &Earned) -> Progress {
    let Some(root) = trees.root(program) else {
        return Progress::default();
    };
    let mut groups = Vec::new();
    let mut loose = Group {
        title: "Required courses".into(),
        done: 0,
        needed: 0,
    };
    for child in &root.children {
        if child.node_type == NodeType::Operator {
            let needed = needed_of(child);
            let met = child
                .children
                .iter()
                .filter(|c| tree::node_met(trees, program, c, earned))
                .count();
            let title = if child.title.trim().is_empty() {
                default_title(child).to_owned()
            } else {
                child.title.clone()
            };
            groups.push(Group {
                title,
                done: met.min(needed),
                needed,
            });
        } else {
            loose.needed += 1;
            if tree::node_met(trees, program, child, earned) {
                loose.done += 1;
            }
        }
    }
    if loose.needed > 0 {
        groups.insert(0, loose);
    }
    Progress {
        done: groups.iter().map(|g| g.done).sum(),
        needed: groups.iter().map(|g| g.needed).sum(),
        groups,
    }
}

/// Each of `programs`' progress for `user` (one reader round trip: what they have earned,
/// three statements).
pub async fn for_learner(
    db: &crate::db::Db,
    cat: std::sync::Arc<crate::catalog::snapshot::Catalog>,
    user: i64,
    programs: Vec<i64>,
) -> Result<std::collections::HashMap<i64, Progress>, super::CertificateError> {
    db.read(move |c| -> Result<_, super::CertificateError> {
        let earned = super::service::earned(c, &cat, user)?;
        Ok(programs
            .into_iter()
            .map(|p| (p, progress(&*cat, p, &earned)))
            .collect())
    })
    .await
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;

    struct Trees(HashMap<i64, ReqNode>);

    impl ProgramTrees for Trees {
        fn root(&self, program: i64) -> Option<&ReqNode> {
            self.0.get(&program)
        }
        fn requires_payment(&self, _: i64) -> bool {
            false
        }
    }

    fn n(node_type: NodeType, title: &str, children: Vec<ReqNode>) -> ReqNode {
        ReqNode {
            id: 0,
            program_id: 1,
            node_type,
            operator: None,
            operator_value: None,
            course_id: None,
            required_program_id: None,
            title: title.into(),
            elective_flag: false,
            children,
        }
    }

    fn course(id: i64) -> ReqNode {
        ReqNode {
            course_id: Some(id),
            ..n(NodeType::Course, "", vec![])
        }
    }

    fn op(operator: &str, value: Option<&str>, title: &str, children: Vec<ReqNode>) -> ReqNode {
        ReqNode {
            operator: Some(operator.into()),
            operator_value: value.map(Into::into),
            ..n(NodeType::Operator, title, children)
        }
    }

    fn earned(courses: &[i64]) -> Earned {
        Earned {
            courses: courses.iter().copied().collect(),
            program_certificates: HashSet::new(),
        }
    }

    fn five_course_program() -> Trees {
        let root = n(
            NodeType::ProgramRoot,
            "",
            vec![
                op(
                    "all_of",
                    None,
                    "Required Courses",
                    vec![course(1), course(2), course(3)],
                ),
                op(
                    "min_number_of",
                    Some("2"),
                    "Elective Courses",
                    vec![course(4), course(5), course(6)],
                ),
            ],
        );
        Trees(HashMap::from([(1, root)]))
    }

    #[test]
    fn counts_met_children_per_group_and_names_the_groups_that_remain() {
        let t = five_course_program();
        let p = progress(&t, 1, &earned(&[1, 2, 4]));
        assert_eq!((p.done, p.needed), (3, 5));
        let left: Vec<(&str, usize, usize)> = p
            .remaining()
            .map(|g| (g.title.as_str(), g.done, g.needed))
            .collect();
        assert_eq!(left, vec![("Required Courses", 2, 3), ("Elective Courses", 1, 2)]);
    }

    #[test]
    fn an_elective_group_caps_at_what_it_needs_and_nothing_remains_when_done() {
        let t = five_course_program();
        let p = progress(&t, 1, &earned(&[1, 2, 3, 4, 5, 6]));
        assert_eq!((p.done, p.needed), (5, 5));
        assert_eq!(p.remaining().count(), 0);
        assert!(tree::has_earned(&t, 1, &earned(&[1, 2, 3, 4, 5, 6])));
    }

    #[test]
    fn untitled_groups_and_loose_leaves_get_plain_titles_and_an_unknown_program_is_empty() {
        let root = n(
            NodeType::ProgramRoot,
            "",
            vec![
                course(7),
                op("min_number_of", Some("1"), " ", vec![course(8), course(9)]),
            ],
        );
        let t = Trees(HashMap::from([(1, root)]));
        let p = progress(&t, 1, &earned(&[9]));
        let groups: Vec<(&str, usize, usize)> = p
            .groups
            .iter()
            .map(|g| (g.title.as_str(), g.done, g.needed))
            .collect();
        assert_eq!(
            groups,
            vec![("Required courses", 0, 1), ("Elective courses", 1, 1)]
        );
        assert_eq!(progress(&t, 2, &earned(&[])), Progress::default());
    }
}
