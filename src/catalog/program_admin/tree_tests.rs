use super::*;

fn c(r: &str) -> Item {
    Item::Course(r.into())
}

fn two_groups() -> Tree {
    Tree {
        groups: vec![
            Group {
                title: "Required Courses".into(),
                at_least: None,
                items: vec![c("A"), c("B")],
            },
            Group {
                title: "Elective Courses".into(),
                at_least: Some(1),
                items: vec![c("C"), c("D")],
            },
        ],
    }
}

fn known() -> Known {
    let mut k = Known::default();
    for (i, r) in ["A", "B", "C", "D", "E"].iter().enumerate() {
        k.courses.insert((*r).into(), i as i64 + 1);
    }
    for (r, id) in [("P1", 1), ("P2", 2), ("P3", 3)] {
        k.programs.insert(r.into(), id);
    }
    // P2 requires P3; P3 requires P1.
    k.requires.insert(2, vec![3]);
    k.requires.insert(3, vec![1]);
    k
}

#[test]
fn paths_read_and_print_dotted_indexes() {
    assert_eq!(parse_path(""), Some(vec![]));
    assert_eq!(parse_path("0.2.1"), Some(vec![0, 2, 1]));
    assert_eq!(parse_path("0.x"), None);
    assert_eq!(path_text(&[3, 0]), "3.0");
}

#[test]
fn adding_groups_courses_and_programs_builds_the_tree() {
    let mut t = Tree::default();
    apply(
        &mut t,
        Op::AddGroup {
            parent: vec![],
            at_least: false,
        },
    )
    .unwrap();
    apply(
        &mut t,
        Op::AddGroup {
            parent: vec![],
            at_least: true,
        },
    )
    .unwrap();
    for (group, r) in [(0, "A"), (0, "B"), (1, " C "), (1, "D")] {
        apply(
            &mut t,
            Op::AddCourse {
                group: vec![group],
                readable_id: r.into(),
            },
        )
        .unwrap();
    }
    assert_eq!(t, two_groups());
    apply(
        &mut t,
        Op::AddGroup {
            parent: vec![1],
            at_least: false,
        },
    )
    .unwrap();
    apply(
        &mut t,
        Op::AddProgram {
            group: vec![1, 2],
            readable_id: "P2".into(),
        },
    )
    .unwrap();
    assert_eq!(
        t.groups[1].items[2],
        Item::Group(Group {
            title: "Required Courses".into(),
            at_least: None,
            items: vec![Item::Program("P2".into())]
        })
    );
    assert_eq!(
        apply(
            &mut t,
            Op::AddCourse {
                group: vec![0, 0],
                readable_id: "E".into()
            }
        ),
        Err(OpError::NoGroup("0.0".into())),
        "a course is not a group"
    );
    assert_eq!(
        apply(
            &mut t,
            Op::AddCourse {
                group: vec![0],
                readable_id: "  ".into()
            }
        ),
        Err(OpError::Blank("course"))
    );
}

#[test]
fn items_move_up_and_down_within_their_group_and_are_removed() {
    let mut t = two_groups();
    apply(&mut t, Op::Down(vec![0, 0])).unwrap();
    assert_eq!(t.groups[0].items, vec![c("B"), c("A")]);
    apply(&mut t, Op::Up(vec![0, 0])).unwrap();
    assert_eq!(
        t.groups[0].items,
        vec![c("B"), c("A")],
        "the first cannot move up"
    );
    apply(&mut t, Op::Down(vec![0, 1])).unwrap();
    assert_eq!(
        t.groups[0].items,
        vec![c("B"), c("A")],
        "the last cannot move down"
    );
    apply(&mut t, Op::Up(vec![1])).unwrap();
    assert_eq!(t.groups[0].title, "Elective Courses", "groups move too");
    apply(&mut t, Op::Remove(vec![0, 1])).unwrap();
    assert_eq!(t.groups[0].items, vec![c("C")]);
    apply(&mut t, Op::Remove(vec![1])).unwrap();
    assert_eq!(t.groups.len(), 1);
    assert_eq!(
        apply(&mut t, Op::Remove(vec![4])),
        Err(OpError::NoItem("4".into()))
    );
    assert_eq!(
        apply(&mut t, Op::Up(vec![0, 9])),
        Err(OpError::NoItem("0.9".into()))
    );
    assert!(apply(&mut t, Op::Remove(vec![])).is_err());
}

#[test]
fn a_good_tree_resolves_to_ids_in_order() {
    let nodes = validate(&two_groups(), 9, "P9", &known()).unwrap();
    assert_eq!(
        nodes,
        vec![
            Node::Group {
                title: "Required Courses".into(),
                at_least: None,
                children: vec![Node::Course(1), Node::Course(2)]
            },
            Node::Group {
                title: "Elective Courses".into(),
                at_least: Some(1),
                children: vec![Node::Course(3), Node::Course(4)]
            },
        ]
    );
    assert_eq!(validate(&Tree::default(), 9, "P9", &known()), Ok(vec![]));
}

#[test]
fn each_problem_is_named() {
    let k = known();
    let mut t = two_groups();
    t.groups.push(Group::new(None));
    assert_eq!(
        validate(&t, 9, "P9", &k),
        Err(vec![TreeError::EmptyGroup("Required Courses".into())])
    );
    let mut t = two_groups();
    t.groups[1].at_least = Some(3);
    let e = validate(&t, 9, "P9", &k).unwrap_err();
    assert_eq!(
        e[0].to_string(),
        "The group \"Elective Courses\" asks for at least 3 of 2: N must be between 1 and 2."
    );
    t.groups[1].at_least = Some(0);
    assert!(matches!(
        validate(&t, 9, "P9", &k).unwrap_err()[0],
        TreeError::BadCount { n: 0, .. }
    ));
    let mut t = two_groups();
    t.groups[0].items.push(c("Z"));
    t.groups[1].items.push(c("A"));
    t.groups[1].items.push(Item::Program("Q".into()));
    assert_eq!(
        validate(&t, 9, "P9", &k),
        Err(vec![
            TreeError::UnknownCourse("Z".into()),
            TreeError::DuplicateCourse("A".into()),
            TreeError::UnknownProgram("Q".into()),
        ])
    );
}

#[test]
fn nested_programs_may_not_lead_back_to_the_program() {
    let k = known();
    let mut t = two_groups();
    t.groups[0].items.push(Item::Program("P1".into()));
    assert_eq!(
        validate(&t, 1, "P1", &k),
        Err(vec![TreeError::SelfReference("P1".into())])
    );
    // P1 requiring P2 closes P2 -> P3 -> P1.
    t.groups[0].items[2] = Item::Program("P2".into());
    let e = validate(&t, 1, "P1", &k).unwrap_err();
    assert_eq!(
        e,
        vec![TreeError::Cycle(
            "P2".into(),
            "P1 requires P2 requires P3 requires P1".into()
        )]
    );
    // Another program may require P2 without a cycle.
    assert!(validate(&t, 9, "P9", &k).is_ok());
    t.groups[1].items.push(Item::Program("P2".into()));
    assert!(
        validate(&t, 9, "P9", &k)
            .unwrap_err()
            .contains(&TreeError::DuplicateProgram("P2".into()))
    );
}

#[test]
fn groups_nest_only_so_deep_and_blank_titles_get_the_default() {
    let mut g = Group {
        title: " ".into(),
        at_least: Some(1),
        items: vec![c("A")],
    };
    let t = Tree {
        groups: vec![g.clone()],
    };
    let Ok(nodes) = validate(&t, 9, "P9", &known()) else {
        panic!()
    };
    assert!(matches!(&nodes[0], Node::Group { title, .. } if title == "Elective Courses"));
    for _ in 0..MAX_DEPTH {
        g = Group {
            title: "g".into(),
            at_least: None,
            items: vec![Item::Group(g)],
        };
    }
    let e = validate(&Tree { groups: vec![g] }, 9, "P9", &known()).unwrap_err();
    assert_eq!(e, vec![TreeError::TooDeep]);
}

#[test]
fn the_file_format_reads_as_written() {
    let json = r#"{"groups":[{"title":"Required Courses","items":[{"course":"A"},{"program":"P2"}]},
        {"title":"Elective Courses","at_least":1,"items":[{"course":"C"},{"group":{"items":[{"course":"D"}]}}]}]}"#;
    let t: Tree = serde_json::from_str(json).unwrap();
    assert_eq!(t.groups[1].at_least, Some(1));
    assert_eq!(t.groups[0].items[1], Item::Program("P2".into()));
    let back: Tree = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
    assert_eq!(back, t);
    let bad = serde_json::from_str::<Tree>(r#"{"groups":[{"items":[{"cours":"A"}]}]}"#).unwrap_err();
    assert!(bad.to_string().contains("unknown variant `cours`"), "{bad}");
}
