//! `/staff/catalog/programs/{id}/requirements/`: the requirement tree as sentences ("Complete
//! all of these:", "Complete at least N of these:"), edited with buttons — add a group, a
//! course or a program, remove, move up or down — on a draft carried in the form itself (no
//! JavaScript), saved as a whole by "Save requirements" after the checks of
//! [`super::tree::validate`]. A refusal shows the draft again with every problem named.

use axum::extract::{Form, Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::forms::{Fields, error_box, get};
use super::pages_programs::{actor, snapshot};
use super::service::{self, ProgramAdminError};
use super::tree::{self, Group, Item, Op, Tree, group_mut, parse_path, path_text};
use crate::catalog::api::Cache;
use crate::catalog::snapshot::Catalog;
use crate::http::error::AppError;
use crate::http::page::PageCtx;
use crate::http::staff_page::StaffPage;
use crate::staff::pages::staff_page;

fn rule(g: &Group) -> String {
    match g.at_least {
        None => "Complete all of these:".into(),
        Some(n) => format!("Complete at least {n} of these:"),
    }
}

fn course_text(cat: &Catalog, r: &str) -> String {
    match cat.course_by_readable.get(r) {
        Some(&i) => format!("{} ({r})", cat.courses[i].title),
        None => format!("{r} (no such course)"),
    }
}

fn program_text(cat: &Catalog, r: &str) -> String {
    match cat.program_by_readable.get(r) {
        Some(&i) => format!("The program {} ({r})", cat.programs[i].title),
        None => format!("The program {r} (no such program)"),
    }
}

/// The tree as sentences, read-only.
pub fn summary(cat: &Catalog, t: &Tree) -> Markup {
    fn group(cat: &Catalog, g: &Group) -> Markup {
        html! {
            strong { (g.title) } " — " (rule(g))
            ol {
                @for i in &g.items {
                    li {
                        @match i {
                            Item::Course(r) => (course_text(cat, r)),
                            Item::Program(r) => (program_text(cat, r)),
                            Item::Group(inner) => (group(cat, inner)),
                        }
                    }
                }
            }
        }
    }
    html! {
        @if t.groups.is_empty() {
            p { "No requirements yet." }
        } @else {
            p { "A learner completes this program by meeting every requirement below." }
            ol class="requirements" { @for g in &t.groups { li { (group(cat, g)) } } }
        }
    }
}

fn op_button(op: &str, text: &str, label: &str) -> Markup {
    html! { button type="submit" name="op" value=(op) aria-label=(label) { (text) } }
}

/// Up, down and remove for the item at `p`, described by `what` for screen readers.
fn item_controls(p: &str, what: &str) -> Markup {
    html! {
        span class="controls" {
            " " (op_button(&format!("up:{p}"), "Up", &format!("Move {what} up")))
            " " (op_button(&format!("down:{p}"), "Down", &format!("Move {what} down")))
            " " (op_button(&format!("remove:{p}"), "Remove", &format!("Remove {what}")))
        }
    }
}

fn edit_group(cat: &Catalog, g: &Group, path: &[usize], kept: &Kept) -> Markup {
    let p = path_text(path);
    let what = format!("the group \"{}\"", g.title);
    html! {
        fieldset class="req-group" {
            legend { (g.title) " — " (rule(g)) }
            label for=(format!("title-{p}")) { "Title" }
            input id=(format!("title-{p}")) name=(format!("title:{p}")) value=(g.title);
            @if let Some(n) = g.at_least {
                label for=(format!("n-{p}")) { "At least how many" }
                input id=(format!("n-{p}")) name=(format!("n:{p}")) type="number" min="1" value=(n);
            }
            (item_controls(&p, &what))
            ol {
                @for (i, item) in g.items.iter().enumerate() {
                    @let at: Vec<usize> = path.iter().copied().chain([i]).collect();
                    li {
                        @match item {
                            Item::Course(r) => { (course_text(cat, r)) (item_controls(&path_text(&at), &format!("course {r}"))) }
                            Item::Program(r) => { (program_text(cat, r)) (item_controls(&path_text(&at), &format!("program {r}"))) }
                            Item::Group(inner) => (edit_group(cat, inner, &at, kept)),
                        }
                    }
                }
            }
            div class="add" {
                label for=(format!("course-{p}")) { "Add a course (readable id)" }
                input id=(format!("course-{p}")) name=(format!("course:{p}")) list="all-courses" value=[kept.get(&format!("course:{p}"))];
                (op_button(&format!("add-course:{p}"), "Add course", &format!("Add course to {what}")))
                label for=(format!("program-{p}")) { "Add a program (readable id)" }
                input id=(format!("program-{p}")) name=(format!("program:{p}")) list="all-programs" value=[kept.get(&format!("program:{p}"))];
                (op_button(&format!("add-program:{p}"), "Add program", &format!("Add program to {what}")))
                " " (op_button(&format!("add-all:{p}"), "Add a group: all of these", &format!("Add a group: all of these, inside {what}")))
                " " (op_button(&format!("add-atleast:{p}"), "Add a group: at least N of these", &format!("Add a group: at least N of these, inside {what}")))
            }
        }
    }
}

/// Readable ids typed into add fields and refused, by field name (shown again there).
type Kept = std::collections::HashMap<String, String>;

/// One editor step's outcome.
#[derive(Default)]
pub struct Step {
    pub tree: Tree,
    pub errors: Vec<String>,
    /// "Save requirements" was pressed.
    pub save: bool,
    pub kept: Kept,
}

fn editor(r: &StaffPage, cat: &Catalog, id: i64, step: &Step, saved: bool) -> Markup {
    let (t, errors) = (&step.tree, &step.errors);
    let ctx: &PageCtx = &r.ctx;
    let program = cat
        .program(id)
        .map_or_else(|| id.to_string(), |p| p.readable_id.clone());
    let draft = serde_json::to_string(t).unwrap_or_default();
    staff_page(
        ctx,
        &format!("Requirements of {program}"),
        html! {
            p { a href=(ctx.prefix.url(&format!("/staff/catalog/programs/{id}/"))) { "Back to the program" } }
            @if saved { div class="notice" role="status" { p { "Saved." } } }
            (error_box(errors))
            p { "Changes are a draft until you press " strong { "Save requirements" } "." }
            form method="post" action=(ctx.prefix.url(&format!("/staff/catalog/programs/{id}/requirements/"))) class="stack" {
                (ctx.csrf_field())
                input type="hidden" name="tree" value=(draft);
                // The form's default button (Enter in a field): applies what was typed.
                button type="submit" name="op" value="apply" { "Apply the typed changes" }
                @if t.groups.is_empty() {
                    p { "No requirements yet: add a group." }
                } @else {
                    p { "A learner completes this program by meeting every requirement below." }
                }
                ol class="requirements" {
                    @for (i, g) in t.groups.iter().enumerate() { li { (edit_group(cat, g, &[i], &step.kept)) } }
                }
                div class="add" {
                    (op_button("add-all:", "Add a group: complete all of these", "Add a group: complete all of these"))
                    " " (op_button("add-atleast:", "Add a group: complete at least N of these", "Add a group: complete at least N of these"))
                }
                datalist id="all-courses" { @for c in &cat.courses { option value=(c.readable_id) { (c.title) } } }
                datalist id="all-programs" { @for p in &cat.programs { option value=(p.readable_id) { (p.title) } } }
                button type="submit" class="button" name="op" value="save" { "Save requirements" }
            }
        },
    )
}

#[derive(Deserialize)]
pub struct Saved {
    saved: Option<String>,
}

/// GET: the saved tree in the editor.
pub async fn show(
    r: StaffPage,
    cache: Cache,
    Path(id): Path<i64>,
    Query(q): Query<Saved>,
) -> Result<Markup, AppError> {
    let (_, t) = service::program(&r.state, id).await?;
    let cat = snapshot(&r, &cache).await?;
    let step = Step {
        tree: t,
        ..Step::default()
    };
    Ok(editor(&r, &cat, id, &step, q.saved.is_some()))
}

/// Reads the draft, applies the typed titles and counts and the typed courses and programs,
/// then the pressed button's operation. Returns the new draft, the problems met and whether
/// "save" was pressed.
pub fn edit_draft(cat: &Catalog, form: &Fields) -> Result<Step, AppError> {
    let mut t: Tree = serde_json::from_str(get(form, "tree").unwrap_or("{}")).map_err(|e| {
        AppError::BadRequest(format!("tree: the draft is not readable ({e}); reload the page."))
    })?;
    let mut errors = Vec::new();
    let mut kept = Kept::new();
    for (k, v) in form {
        let Some((kind, p)) = k.split_once(':') else {
            continue;
        };
        let Some(path) = parse_path(p).filter(|p| !p.is_empty()) else {
            continue;
        };
        let v = v.trim();
        let op = match kind {
            "title" | "n" => {
                if let Some(g) = group_mut(&mut t, &path) {
                    if kind == "title" {
                        g.title = v.to_owned();
                    } else if g.at_least.is_some() {
                        match v.parse::<u32>() {
                            Ok(n) => g.at_least = Some(n),
                            Err(_) => {
                                errors.push(format!("The group \"{}\": enter N as a whole number.", g.title))
                            }
                        }
                    }
                }
                continue;
            }
            "course" | "program" if v.is_empty() => continue,
            "course" if !cat.course_by_readable.contains_key(v) => {
                errors.push(format!("There is no course {v}."));
                kept.insert(k.clone(), v.to_owned());
                continue;
            }
            "program" if !cat.program_by_readable.contains_key(v) => {
                errors.push(format!("There is no program {v}."));
                kept.insert(k.clone(), v.to_owned());
                continue;
            }
            "course" => Op::AddCourse {
                group: path,
                readable_id: v.to_owned(),
            },
            "program" => Op::AddProgram {
                group: path,
                readable_id: v.to_owned(),
            },
            _ => continue,
        };
        if let Err(e) = tree::apply(&mut t, op) {
            errors.push(e.to_string());
        }
    }
    let pressed = get(form, "op").unwrap_or("apply");
    let (name, p) = pressed.split_once(':').unwrap_or((pressed, ""));
    let path =
        parse_path(p).ok_or_else(|| AppError::BadRequest(format!("op: {pressed} is not an operation.")))?;
    let op = match name {
        "apply" | "save" | "add-course" | "add-program" => None,
        "add-all" => Some(Op::AddGroup {
            parent: path,
            at_least: false,
        }),
        "add-atleast" => Some(Op::AddGroup {
            parent: path,
            at_least: true,
        }),
        "remove" => Some(Op::Remove(path)),
        "up" => Some(Op::Up(path)),
        "down" => Some(Op::Down(path)),
        _ => {
            return Err(AppError::BadRequest(format!(
                "op: {pressed} is not an operation."
            )));
        }
    };
    if let Some(op) = op
        && let Err(e) = tree::apply(&mut t, op)
    {
        errors.push(e.to_string());
    }
    Ok(Step {
        tree: t,
        errors,
        save: name == "save",
        kept,
    })
}

/// POST: one editor step on the draft, or "save" (checked, then written in one transaction).
pub async fn change(
    r: StaffPage,
    cache: Cache,
    Path(id): Path<i64>,
    Form(form): Form<Fields>,
) -> Result<Response, AppError> {
    service::program(&r.state, id).await?;
    let cat = snapshot(&r, &cache).await?;
    let mut step = edit_draft(&cat, &form)?;
    if step.save && step.errors.is_empty() {
        match service::set_requirements(&r.state, actor(&r), id, step.tree.clone()).await {
            Ok(()) => {
                let to = format!("/staff/catalog/programs/{id}/requirements/?saved=1");
                return Ok(Redirect::to(&r.ctx.prefix.url(&to)).into_response());
            }
            Err(ProgramAdminError::Tree(problems)) => {
                step.errors.extend(problems.iter().map(ToString::to_string))
            }
            Err(e) => return Err(e.into()),
        }
    }
    let status = if step.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    Ok((status, editor(&r, &cat, id, &step, false)).into_response())
}
