//! A program's requirement tree as the editor and the CLI hold it: groups ("all of these", "at
//! least N of these") of courses, programs and nested groups, named by readable ids. The
//! operations the editor's buttons perform ([`apply`]) and the checks made before saving
//! ([`validate`]) are pure functions of the tree (and, for the checks, of what exists).

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

/// The program's requirements: every group must be met (the tree's root).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tree {
    #[serde(default)]
    pub groups: Vec<Group>,
}

/// "Complete all of these" (`at_least` absent) or "complete at least N of these".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    #[serde(default)]
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<u32>,
    #[serde(default)]
    pub items: Vec<Item>,
}

/// One item of a group: a course or a program by readable id, or a nested group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Item {
    Course(String),
    Program(String),
    Group(Group),
}

/// The title a new group gets (the original's and the demo's names).
pub fn default_title(at_least: Option<u32>) -> &'static str {
    if at_least.is_some() {
        "Elective Courses"
    } else {
        "Required Courses"
    }
}

impl Group {
    pub fn new(at_least: Option<u32>) -> Group {
        Group {
            title: default_title(at_least).to_owned(),
            at_least,
            items: Vec::new(),
        }
    }
}

/// Where an item is: the index of a top-level group, then indexes into nested items.
pub type Path = Vec<usize>;

/// `"0.2.1"` -> `[0, 2, 1]`; `""` is the top level.
pub fn parse_path(s: &str) -> Option<Path> {
    if s.is_empty() {
        return Some(Vec::new());
    }
    s.split('.').map(|p| p.parse().ok()).collect()
}

pub fn path_text(p: &[usize]) -> String {
    p.iter().map(ToString::to_string).collect::<Vec<_>>().join(".")
}

/// What an editor button does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// A new group at the top level (`parent` empty) or inside the group at `parent`.
    AddGroup {
        parent: Path,
        at_least: bool,
    },
    AddCourse {
        group: Path,
        readable_id: String,
    },
    AddProgram {
        group: Path,
        readable_id: String,
    },
    Remove(Path),
    Up(Path),
    Down(Path),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpError {
    #[error("There is no group at {0}: the page may be out of date; reload it.")]
    NoGroup(String),
    #[error("There is no item at {0}: the page may be out of date; reload it.")]
    NoItem(String),
    #[error("Enter the readable id of the {0} to add.")]
    Blank(&'static str),
}

/// The group at `path` (non-empty).
pub fn group_mut<'a>(t: &'a mut Tree, path: &[usize]) -> Option<&'a mut Group> {
    let (first, rest) = path.split_first()?;
    let mut g = t.groups.get_mut(*first)?;
    for i in rest {
        g = match g.items.get_mut(*i)? {
            Item::Group(inner) => inner,
            _ => return None,
        };
    }
    Some(g)
}

/// Moves `v[i]` one place up or down; false when it cannot move.
pub fn move_in<T>(v: &mut [T], i: usize, up: bool) -> bool {
    let j = if up { i.checked_sub(1) } else { Some(i + 1) };
    match j {
        Some(j) if i < v.len() && j < v.len() => {
            v.swap(i, j);
            true
        }
        _ => false,
    }
}

/// Applies an editor operation; moving the first item up (or the last down) changes nothing.
pub fn apply(t: &mut Tree, op: Op) -> Result<(), OpError> {
    match op {
        Op::AddGroup { parent, at_least } => {
            let g = Group::new(at_least.then_some(1));
            if parent.is_empty() {
                t.groups.push(g);
            } else {
                group_at(t, &parent)?.items.push(Item::Group(g));
            }
        }
        Op::AddCourse { group, readable_id } => add_leaf(t, &group, &readable_id, "course", Item::Course)?,
        Op::AddProgram { group, readable_id } => add_leaf(t, &group, &readable_id, "program", Item::Program)?,
        Op::Remove(path) => {
            let (i, parent) = split(&path)?;
            if parent.is_empty() {
                check_index(i, t.groups.len(), &path)?;
                t.groups.remove(i);
            } else {
                let g = group_at(t, parent)?;
                check_index(i, g.items.len(), &path)?;
                g.items.remove(i);
            }
        }
        Op::Up(path) => shift(t, &path, true)?,
        Op::Down(path) => shift(t, &path, false)?,
    }
    Ok(())
}

fn group_at<'a>(t: &'a mut Tree, path: &[usize]) -> Result<&'a mut Group, OpError> {
    group_mut(t, path).ok_or_else(|| OpError::NoGroup(path_text(path)))
}

fn split(path: &[usize]) -> Result<(usize, &[usize]), OpError> {
    path.split_last()
        .map(|(i, parent)| (*i, parent))
        .ok_or_else(|| OpError::NoItem(String::new()))
}

fn check_index(i: usize, len: usize, path: &[usize]) -> Result<(), OpError> {
    if i < len {
        Ok(())
    } else {
        Err(OpError::NoItem(path_text(path)))
    }
}

fn add_leaf(
    t: &mut Tree,
    group: &[usize],
    readable_id: &str,
    what: &'static str,
    make: fn(String) -> Item,
) -> Result<(), OpError> {
    let id = readable_id.trim();
    if id.is_empty() {
        return Err(OpError::Blank(what));
    }
    group_at(t, group)?.items.push(make(id.to_owned()));
    Ok(())
}

fn shift(t: &mut Tree, path: &[usize], up: bool) -> Result<(), OpError> {
    let (i, parent) = split(path)?;
    if parent.is_empty() {
        check_index(i, t.groups.len(), path)?;
        move_in(&mut t.groups, i, up);
    } else {
        let g = group_at(t, parent)?;
        check_index(i, g.items.len(), path)?;
        move_in(&mut g.items, i, up);
    }
    Ok(())
}

/// What exists, for [`validate`]: courses and programs by readable id, and which programs
/// each program's tree requires today.
#[derive(Debug, Default)]
pub struct Known {
    pub courses: HashMap<String, i64>,
    pub programs: HashMap<String, i64>,
    pub requires: HashMap<i64, Vec<i64>>,
}

/// A checked tree, with ids, ready to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Group {
        title: String,
        at_least: Option<u32>,
        children: Vec<Node>,
    },
    Course(i64),
    Program(i64),
}

/// The deepest nesting of groups accepted.
pub const MAX_DEPTH: usize = 8;

/// Why a tree cannot be saved; each names the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    #[error("The group \"{0}\" is empty: add a course or a program to it, or remove it.")]
    EmptyGroup(String),
    #[error("The group \"{title}\" asks for at least {n} of {size}: N must be between 1 and {size}.")]
    BadCount { title: String, n: u32, size: usize },
    #[error("There is no course {0}.")]
    UnknownCourse(String),
    #[error("There is no program {0}.")]
    UnknownProgram(String),
    #[error("Course {0} appears more than once in the tree.")]
    DuplicateCourse(String),
    #[error("Program {0} appears more than once in the tree.")]
    DuplicateProgram(String),
    #[error("A program cannot require itself ({0}).")]
    SelfReference(String),
    #[error("Requiring program {0} would make a cycle: {1}.")]
    Cycle(String, String),
    #[error("Groups are nested more than {MAX_DEPTH} deep.")]
    TooDeep,
}

/// Checks `t` as the tree of program `this` (its readable id `this_readable`); returns the
/// tree with ids, or every problem found.
pub fn validate(t: &Tree, this: i64, this_readable: &str, k: &Known) -> Result<Vec<Node>, Vec<TreeError>> {
    let mut v = Validator {
        this,
        this_readable,
        k,
        errors: Vec::new(),
        courses: HashSet::new(),
        programs: HashSet::new(),
    };
    let nodes: Vec<Node> = t.groups.iter().map(|g| v.group(g, 1)).collect();
    if v.errors.is_empty() {
        Ok(nodes)
    } else {
        Err(v.errors)
    }
}

struct Validator<'a> {
    this: i64,
    this_readable: &'a str,
    k: &'a Known,
    errors: Vec<TreeError>,
    courses: HashSet<String>,
    programs: HashSet<String>,
}

impl Validator<'_> {
    fn push(&mut self, e: TreeError) {
        if !self.errors.contains(&e) {
            self.errors.push(e);
        }
    }

    fn group(&mut self, g: &Group, depth: usize) -> Node {
        let title = match g.title.trim() {
            "" => default_title(g.at_least).to_owned(),
            t => t.to_owned(),
        };
        if depth > MAX_DEPTH {
            self.push(TreeError::TooDeep);
        }
        if g.items.is_empty() {
            self.push(TreeError::EmptyGroup(title.clone()));
        } else if let Some(n) = g.at_least
            && (n == 0 || n as usize > g.items.len())
        {
            self.push(TreeError::BadCount {
                title: title.clone(),
                n,
                size: g.items.len(),
            });
        }
        let children = g.items.iter().map(|i| self.item(i, depth)).collect();
        Node::Group {
            title,
            at_least: g.at_least,
            children,
        }
    }

    fn item(&mut self, i: &Item, depth: usize) -> Node {
        match i {
            Item::Group(g) => self.group(g, depth + 1),
            Item::Course(r) => {
                if !self.courses.insert(r.clone()) {
                    self.push(TreeError::DuplicateCourse(r.clone()));
                }
                match self.k.courses.get(r) {
                    Some(&id) => Node::Course(id),
                    None => {
                        self.push(TreeError::UnknownCourse(r.clone()));
                        Node::Course(0)
                    }
                }
            }
            Item::Program(r) => {
                if !self.programs.insert(r.clone()) {
                    self.push(TreeError::DuplicateProgram(r.clone()));
                }
                let Some(&id) = self.k.programs.get(r) else {
                    self.push(TreeError::UnknownProgram(r.clone()));
                    return Node::Program(0);
                };
                if id == self.this {
                    self.push(TreeError::SelfReference(r.clone()));
                } else if let Some(chain) = self.chain_back(id) {
                    self.push(TreeError::Cycle(r.clone(), chain));
                }
                Node::Program(id)
            }
        }
    }

    /// When program `from` requires (directly or through others) this program: the chain of
    /// readable ids from `from` back to this one.
    fn chain_back(&self, from: i64) -> Option<String> {
        let names: HashMap<i64, &str> = self.k.programs.iter().map(|(r, &id)| (id, r.as_str())).collect();
        let mut came_from: HashMap<i64, i64> = HashMap::new();
        let mut stack = vec![from];
        let mut seen = HashSet::from([from]);
        while let Some(p) = stack.pop() {
            for &q in self.k.requires.get(&p).into_iter().flatten() {
                if q == self.this {
                    let mut chain = vec![self.this_readable.to_owned()];
                    let mut at = p;
                    loop {
                        chain.push(names.get(&at).copied().unwrap_or("?").to_owned());
                        match came_from.get(&at) {
                            Some(&prev) => at = prev,
                            None => break,
                        }
                    }
                    chain.push(self.this_readable.to_owned());
                    chain.reverse();
                    return Some(chain.join(" requires "));
                }
                if seen.insert(q) {
                    came_from.insert(q, p);
                    stack.push(q);
                }
            }
        }
        None
    }
}

#[cfg(test)]
#[path = "tree_tests.rs"]
mod tests;
