//! Program shapes (v1 and v2), the requirement tree and departments/collections.

use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

use super::*;

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = RequirementNodeData)]
pub struct NodeData<'a> {
    pub node_type: &'static str,
    pub operator: Option<&'a str>,
    pub operator_value: Option<&'a str>,
    pub program: i64,
    pub course: Option<i64>,
    pub required_program: Option<i64>,
    pub title: &'a str,
    pub elective_flag: bool,
}

/// A node of a program's requirement tree (its schema is written by hand: see below).
#[derive(Serialize)]
pub struct NodeShape<'a> {
    pub data: NodeData<'a>,
    pub id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub children: Option<Vec<NodeShape<'a>>>,
}

/// `RequirementNode`'s schema refers to itself by name for `children`: a derived schema would
/// inline its children's schema, and theirs, without end (the document build overflowed).
impl utoipa::PartialSchema for NodeShape<'_> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::ToSchema;
        use utoipa::openapi::Ref;
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
        let node = Ref::from_schema_name(Self::name());
        ObjectBuilder::new()
            .description(Some(
                "A node of a program's requirement tree: an operator (`all_of`, `min_number_of`) \
                 over its children, or a course or program leaf (children only when it has any).",
            ))
            .property("data", Ref::from_schema_name(NodeData::name()))
            .required("data")
            .property(
                "id",
                ObjectBuilder::new().schema_type(Type::Integer).format(Some(
                    utoipa::openapi::schema::SchemaFormat::KnownFormat(
                        utoipa::openapi::schema::KnownFormat::Int64,
                    ),
                )),
            )
            .required("id")
            .property("children", ArrayBuilder::new().items(node))
            .into()
    }
}

impl utoipa::ToSchema for NodeShape<'_> {
    fn name() -> std::borrow::Cow<'static, str> {
        "RequirementNode".into()
    }

    fn schemas(out: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>) {
        use utoipa::PartialSchema;
        out.push((NodeData::name().into(), NodeData::schema()));
        NodeData::schemas(out);
    }
}

pub fn node(n: &ReqNode) -> NodeShape<'_> {
    let leaf = matches!(n.node_type, NodeType::Course | NodeType::Program);
    NodeShape {
        data: NodeData {
            node_type: n.node_type.as_str(),
            operator: n.operator.as_deref(),
            operator_value: n.operator_value.as_deref(),
            program: n.program_id,
            course: n.course_id,
            required_program: n.required_program_id,
            title: &n.title,
            elective_flag: n.elective_flag,
        },
        id: n.id,
        children: (!leaf || !n.children.is_empty()).then(|| n.children.iter().map(node).collect()),
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ProgramPageShape<'a> {
    pub feature_image_src: Option<String>,
    pub page_url: String,
    pub financial_assistance_form_url: &'a str,
    pub description: &'a str,
    pub live: bool,
    pub include_in_learn_catalog: bool,
    pub length: &'a str,
    pub effort: Option<&'a str>,
    pub price: Option<&'a str>,
    pub list_price: Option<f64>,
}

fn program_page<'a>(cat: &'a Catalog, p: &'a Program, cx: &Ctx<'_>) -> Option<ProgramPageShape<'a>> {
    let page = cat.page(p.page)?;
    let c = &page.content;
    Some(ProgramPageShape {
        feature_image_src: c.feature_image_id.map(|id| cx.media_url(id)),
        page_url: cx.abs(&format!("/programs/{}/", p.readable_id)),
        financial_assistance_form_url: &c.financial_assistance_form_url,
        description: &c.description,
        live: true,
        include_in_learn_catalog: c.include_in_learn_catalog,
        length: &c.length,
        effort: nonempty(&c.effort),
        price: nonempty(&c.price_text),
        list_price: c.list_price.and_then(|d| d.to_f64()),
    })
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = RequirementRef)]
pub struct IdRef<'a> {
    pub id: i64,
    pub readable_id: &'a str,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = RequirementGroup)]
pub struct ReqGroup<'a> {
    pub required: Vec<IdRef<'a>>,
    pub electives: Vec<IdRef<'a>>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ProgramRequirementsV2)]
pub struct V2Requirements<'a> {
    pub courses: ReqGroup<'a>,
    pub programs: ReqGroup<'a>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RelatedProgram<'a> {
    pub id: i64,
    pub title: &'a str,
    pub readable_id: &'a str,
    /// The contract's `BaseProgram` names the object's kind here, always `program` (the
    /// original's `CONTENT_TYPE_MODEL_PROGRAM`), not the program type.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub display_mode: Option<&'a str>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ProgramV2)]
pub struct V2ProgramShape<'a> {
    pub title: &'a str,
    pub readable_id: &'a str,
    pub id: i64,
    pub courses: Vec<i64>,
    pub collections: &'a [i64],
    pub programs: Vec<RelatedProgram<'a>>,
    pub requirements: V2Requirements<'a>,
    pub req_tree: Vec<NodeShape<'a>>,
    pub page: Option<ProgramPageShape<'a>>,
    pub program_type: &'a str,
    pub certificate_type: &'static str,
    pub certificate_available: bool,
    pub departments: Vec<Named<'a>>,
    pub live: bool,
    pub display_mode: Option<&'a str>,
    pub topics: Vec<Named<'a>>,
    pub availability: &'a str,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub enrollment_start: Option<String>,
    pub enrollment_end: Option<String>,
    pub required_prerequisites: bool,
    pub duration: Option<&'a str>,
    pub min_weeks: Option<i64>,
    pub max_weeks: Option<i64>,
    pub min_price: Option<f64>,
    pub max_price: Option<f64>,
    pub time_commitment: Option<&'a str>,
    pub min_weekly_hours: Option<&'a str>,
    pub max_weekly_hours: Option<&'a str>,
    pub enrollment_modes: Vec<ModeShape<'a>>,
    /// Not in the CMS's `program_details`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub products: Option<Vec<ProductShape<'a>>>,
}

/// `{id, readable_id}` of each of `ids` that `find` finds (a course or a program).
fn id_refs<'a, T: 'a>(
    ids: &[i64],
    find: impl Fn(i64) -> Option<&'a T>,
    key: impl Fn(&'a T) -> (i64, &'a str),
) -> Vec<IdRef<'a>> {
    ids.iter()
        .filter_map(|id| find(*id))
        .map(|x| {
            let (id, readable_id) = key(x);
            IdRef { id, readable_id }
        })
        .collect()
}

fn course_refs<'a>(cat: &'a Catalog, ids: &[i64]) -> Vec<IdRef<'a>> {
    id_refs(ids, |id| cat.course(id), |c| (c.id, &c.readable_id))
}

fn program_id_refs<'a>(cat: &'a Catalog, ids: &[i64]) -> Vec<IdRef<'a>> {
    id_refs(ids, |id| cat.program(id), |p| (p.id, &p.readable_id))
}

pub fn v2_program<'a>(cat: &'a Catalog, p: &'a Program, cx: &Ctx<'_>) -> V2ProgramShape<'a> {
    let req = p.requirements();
    let page = cat.page(p.page);
    let content = page.map(|pg| &pg.content);
    // Topics: the union of the program's courses' topics, by name.
    let mut topic_idx: Vec<usize> = Vec::new();
    for cid in p.course_ids() {
        if let Some(co) = cat.course(cid) {
            for &t in &co.topics {
                if !topic_idx.contains(&t) {
                    topic_idx.push(t);
                }
            }
        }
    }
    topic_idx.sort_by(|a, b| cat.topics[*a].name.cmp(&cat.topics[*b].name));
    let mut related: Vec<i64> = cat.parents_of_program.get(&p.id).cloned().unwrap_or_default();
    related.extend(req.required_programs.iter().chain(&req.elective_programs));
    V2ProgramShape {
        title: &p.title,
        readable_id: &p.readable_id,
        id: p.id,
        courses: p.course_ids(),
        collections: &p.collections,
        programs: related
            .iter()
            .filter_map(|id| cat.program(*id))
            .map(|q| RelatedProgram {
                id: q.id,
                title: &q.title,
                readable_id: &q.readable_id,
                kind: "program",
                display_mode: q.display_mode.as_deref(),
            })
            .collect(),
        requirements: V2Requirements {
            courses: ReqGroup {
                required: course_refs(cat, &req.required_courses),
                electives: course_refs(cat, &req.elective_courses),
            },
            programs: ReqGroup {
                required: program_id_refs(cat, &req.required_programs),
                electives: program_id_refs(cat, &req.elective_programs),
            },
        },
        req_tree: p.root.iter().flat_map(|r| r.children.iter().map(node)).collect(),
        page: program_page(cat, p, cx),
        program_type: &p.program_type,
        certificate_type: if p.program_type.contains("MicroMasters") {
            "MicroMasters Credential"
        } else {
            "Certificate of Completion"
        },
        certificate_available: page.is_some_and(|pg| {
            cat.pages.iter().any(|c| {
                c.parent_id == Some(pg.id) && c.page_type == crate::cms::model::PageType::Certificate
            })
        }),
        departments: departments(cat, &p.departments),
        live: p.live,
        display_mode: p.display_mode.as_deref(),
        topics: topic_idx
            .into_iter()
            .map(|t| Named {
                name: &cat.topics[t].name,
            })
            .collect(),
        availability: &p.availability,
        start_date: fmt_time(p.start_date),
        end_date: fmt_time(p.end_date),
        enrollment_start: fmt_time(p.enrollment_start),
        enrollment_end: fmt_time(p.enrollment_end),
        required_prerequisites: content.is_some_and(|c| !c.prerequisites.trim().is_empty()),
        duration: content.and_then(|c| nonempty(&c.length)),
        min_weeks: content.and_then(|c| c.min_weeks),
        max_weeks: content.and_then(|c| c.max_weeks),
        min_price: content.and_then(|c| float(c.min_price)),
        max_price: content.and_then(|c| float(c.max_price)),
        time_commitment: content.and_then(|c| nonempty(&c.effort)),
        min_weekly_hours: content.and_then(|c| nonempty(&c.min_weekly_hours)),
        max_weekly_hours: content.and_then(|c| nonempty(&c.max_weekly_hours)),
        enrollment_modes: modes(cat, &p.modes),
        products: Some(p.product.iter().map(|pr| product(pr, false, cx)).collect()),
    }
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ProgramRequirementsV1)]
pub struct V1Requirements {
    pub required: Vec<i64>,
    pub electives: Vec<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ProgramV1)]
pub struct V1ProgramShape<'a> {
    pub title: &'a str,
    pub readable_id: &'a str,
    pub id: i64,
    pub courses: Vec<V1CourseShape<'a>>,
    pub requirements: V1Requirements,
    pub req_tree: Vec<NodeShape<'a>>,
    pub page: Option<ProgramPageShape<'a>>,
    pub program_type: &'a str,
    pub departments: Vec<Named<'a>>,
    pub live: bool,
    pub enrollment_modes: Vec<ModeShape<'a>>,
}

pub fn v1_program<'a>(cat: &'a Catalog, p: &'a Program, cx: &Ctx<'_>) -> V1ProgramShape<'a> {
    let req = p.requirements();
    V1ProgramShape {
        title: &p.title,
        readable_id: &p.readable_id,
        id: p.id,
        courses: p
            .course_ids()
            .iter()
            .filter_map(|id| cat.course(*id))
            .map(|co| v1_course(cat, co, cx, false, true, true))
            .collect(),
        requirements: V1Requirements {
            required: req.required_courses,
            electives: req.elective_courses,
        },
        req_tree: p.root.iter().map(node).collect(),
        page: program_page(cat, p, cx),
        program_type: &p.program_type,
        departments: departments(cat, &p.departments),
        live: p.live,
        enrollment_modes: modes(cat, &p.modes),
    }
}
