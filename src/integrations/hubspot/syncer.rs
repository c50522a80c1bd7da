//! Syncing one local object: read it ([`snapshot`]), apply the skip rules, then upsert it and
//! what it refers to. An upsert uses the local mapping, else searches HubSpot by the object's
//! key (`unique_app_id`, email for contacts) and creates only when nothing is found — the
//! original made duplicate deals when a create was retried (#3528/#3539). Certificates are
//! upserted the same way, by their `unique_app_id`, then associated to the learner's contact.

use rusqlite::Connection;
use serde_json::{Value, json};

use super::messages::Obj;
use super::properties::{self, LineSource, ProductSource, Properties};
use super::{Crm, HubspotError, ObjectType, mapping, source};
use crate::clock::Clock;
use crate::db::Db;
use crate::state::AppState;

/// What syncing an object did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The HubSpot id of the object.
    Synced(String),
    Skipped(&'static str),
}

/// An object as it is now, ready to send.
#[derive(Debug, Clone)]
pub enum Snapshot {
    Skip(&'static str),
    Contact {
        user: i64,
        props: Properties,
    },
    Product {
        product: i64,
        props: Properties,
    },
    Deal {
        order: i64,
        purchaser: i64,
        status: String,
        props: Properties,
        lines: Vec<LineSource>,
    },
    Cart {
        item: i64,
        user: i64,
        product: ProductSource,
    },
    Certificate {
        object_type: ObjectType,
        certificate: i64,
        user: i64,
        props: Properties,
    },
}

/// The object type and mapping content type of a certificate message.
fn certificate_kind(program: bool) -> (ObjectType, &'static str) {
    if program {
        (ObjectType::ProgramCertificates, "program_certificate")
    } else {
        (ObjectType::CourseRunCertificates, "course_run_certificate")
    }
}

/// Builds the snapshot of `obj` with the skip rules applied.
pub fn snapshot(c: &Connection, obj: Obj, prefix: &str, pipeline: &str) -> rusqlite::Result<Snapshot> {
    let b2b = |user: i64| crate::b2b::service::has_any_contract(c, user);
    Ok(match obj {
        Obj::Contact { user_id } => match source::contact(c, user_id)? {
            None => Snapshot::Skip("no such user"),
            Some(_) if b2b(user_id)? => Snapshot::Skip("a B2B learner"),
            Some(src) => Snapshot::Contact {
                user: user_id,
                props: properties::contact(&src),
            },
        },
        Obj::Product { product_id } => match source::product(c, product_id, None)? {
            None => Snapshot::Skip("no such product"),
            Some(p) => Snapshot::Product {
                product: product_id,
                props: properties::product(&p, prefix),
            },
        },
        Obj::Deal { order_id } => match source::order(c, order_id)? {
            None => Snapshot::Skip("no such order"),
            Some(o) if o.lines.is_empty() => Snapshot::Skip("an order without lines"),
            Some(o) if b2b(o.purchaser_id)? => Snapshot::Skip("a B2B purchaser"),
            Some(_) if source::for_program_enrolled_course(c, order_id)? => {
                Snapshot::Skip("a course of a program the purchaser is enrolled in")
            }
            Some(o) => Snapshot::Deal {
                order: o.id,
                purchaser: o.purchaser_id,
                status: o.state.clone(),
                props: properties::deal(&o, prefix, pipeline),
                lines: o.lines,
            },
        },
        Obj::CourseRunCertificate { certificate_id } | Obj::ProgramCertificate { certificate_id } => {
            let program = matches!(obj, Obj::ProgramCertificate { .. });
            match source::certificate(c, program, certificate_id)? {
                None => Snapshot::Skip("no such certificate"),
                Some(x) if b2b(x.user_id)? => Snapshot::Skip("a B2B learner"),
                Some(x) => Snapshot::Certificate {
                    object_type: certificate_kind(program).0,
                    certificate: certificate_id,
                    user: x.user_id,
                    props: properties::certificate(&x, prefix),
                },
            }
        }
        Obj::Cart { basket_item_id } => match source::basket_item(c, basket_item_id)? {
            None => Snapshot::Skip("no such basket item of a signed-in learner"),
            Some((user, _)) if b2b(user)? => Snapshot::Skip("a B2B learner"),
            Some((user, product_id)) => match source::product(c, product_id, None)? {
                None => Snapshot::Skip("no such product"),
                Some(product) => Snapshot::Cart {
                    item: basket_item_id,
                    user,
                    product,
                },
            },
        },
    })
}

/// What a snapshot would send, for `hubspot sync --dry-run`: `{type, properties}` per object
/// (line items name their product's HubSpot id when it is known).
pub fn describe(
    c: &Connection,
    snap: &Snapshot,
    prefix: &str,
    pipeline: &str,
) -> rusqlite::Result<Vec<Value>> {
    let one = |t: ObjectType, p: &Properties| json!({ "type": t.as_str(), "properties": p });
    let hs_product = |product: i64| -> rusqlite::Result<String> {
        Ok(mapping::get(c, "product", product)?.unwrap_or_default())
    };
    Ok(match snap {
        Snapshot::Skip(_) => Vec::new(),
        Snapshot::Contact { props, .. } => vec![one(ObjectType::Contacts, props)],
        Snapshot::Product { props, .. } => vec![one(ObjectType::Products, props)],
        Snapshot::Certificate {
            object_type, props, ..
        } => vec![one(*object_type, props)],
        Snapshot::Deal {
            status, props, lines, ..
        } => {
            let mut out = vec![one(ObjectType::Deals, props)];
            for l in lines {
                let p = properties::line_item(l, status, &hs_product(l.product.id)?, prefix);
                out.push(one(ObjectType::LineItems, &p));
            }
            out
        }
        Snapshot::Cart { item, product, .. } => vec![
            one(
                ObjectType::Deals,
                &properties::cart_deal(*item, product, prefix, pipeline),
            ),
            one(
                ObjectType::LineItems,
                &properties::cart_line_item(*item, product, &hs_product(product.id)?, prefix),
            ),
        ],
    })
}

/// Syncs objects to the CRM (the deliverer's worker).
#[derive(Clone)]
pub struct Syncer {
    pub crm: Crm,
    pub db: Db,
    pub clock: Clock,
    pub prefix: String,
    pub pipeline: String,
}

impl Syncer {
    pub fn from_state(state: &AppState) -> Syncer {
        Syncer {
            crm: Crm::from_state(state),
            db: state.db.clone(),
            clock: state.clock.clone(),
            prefix: state.config.hubspot.id_prefix.clone(),
            pipeline: state.config.hubspot.pipeline_id.clone(),
        }
    }

    async fn snap(&self, obj: Obj) -> Result<Snapshot, HubspotError> {
        let (prefix, pipeline) = (self.prefix.clone(), self.pipeline.clone());
        Ok(self
            .db
            .read(move |c| snapshot(c, obj, &prefix, &pipeline))
            .await?)
    }

    async fn mapped(&self, content_type: &'static str, local: i64) -> Result<Option<String>, HubspotError> {
        Ok(self
            .db
            .read(move |c| mapping::get(c, content_type, local))
            .await?)
    }

    /// Mapping → update; else search by key → update; else create. Records the mapping.
    async fn upsert(
        &self,
        t: ObjectType,
        content_type: &'static str,
        local: i64,
        props: &Properties,
    ) -> Result<String, HubspotError> {
        if let Some(id) = self.mapped(content_type, local).await? {
            match self.crm.update(t, &id, props).await {
                Ok(()) => return Ok(id),
                Err(e) if e.is_not_found() => {
                    self.db
                        .write(move |c| mapping::forget(c, content_type, local))
                        .await?;
                }
                Err(e) => return Err(e),
            }
        }
        let key = props
            .get(t.key_property())
            .and_then(Value::as_str)
            .unwrap_or_default();
        let id = match self.crm.search(t, t.key_property(), key).await? {
            Some(id) => {
                self.crm.update(t, &id, props).await?;
                id
            }
            None => match self.crm.create(t, props).await {
                Ok(id) => id,
                // Made meanwhile (HubSpot's search lags behind its writes): take that one.
                Err(e) => match e.existing_id() {
                    Some(id) => {
                        self.crm.update(t, &id, props).await?;
                        id
                    }
                    None => return Err(e),
                },
            },
        };
        let (now, hid) = (self.clock.now(), id.clone());
        self.db
            .write(move |c| mapping::set(c, content_type, local, &hid, now))
            .await?;
        Ok(id)
    }

    /// The HubSpot id of a mapped object, else syncs it first.
    async fn ensure(&self, obj: Obj, content_type: &'static str) -> Result<Option<String>, HubspotError> {
        if let Some(id) = self.mapped(content_type, obj.id()).await? {
            return Ok(Some(id));
        }
        Ok(match Box::pin(self.sync(obj)).await? {
            Outcome::Synced(id) => Some(id),
            Outcome::Skipped(_) => None,
        })
    }

    /// Syncs one object and what it refers to.
    pub async fn sync(&self, obj: Obj) -> Result<Outcome, HubspotError> {
        match self.snap(obj).await? {
            Snapshot::Skip(why) => Ok(Outcome::Skipped(why)),
            Snapshot::Contact { user, props } => {
                let id = self.upsert(ObjectType::Contacts, "user", user, &props).await?;
                let now = crate::clock::to_db(self.clock.now());
                self.db
                    .write(move |c| {
                        c.execute(
                            "UPDATE users SET hubspot_sync_datetime = ?2 WHERE id = ?1",
                            rusqlite::params![user, now],
                        )
                    })
                    .await?;
                Ok(Outcome::Synced(id))
            }
            Snapshot::Product { product, props } => Ok(Outcome::Synced(
                self.upsert(ObjectType::Products, "product", product, &props)
                    .await?,
            )),
            Snapshot::Deal {
                order,
                purchaser,
                status,
                props,
                lines,
            } => {
                let deal = self.upsert(ObjectType::Deals, "order", order, &props).await?;
                self.associate_contact((ObjectType::Deals, &deal), purchaser)
                    .await?;
                for l in &lines {
                    let hs_product = self.product_id(l.product.id).await?;
                    let p = properties::line_item(l, &status, &hs_product, &self.prefix);
                    let line = self.upsert(ObjectType::LineItems, "line", l.id, &p).await?;
                    self.crm
                        .associate((ObjectType::LineItems, &line), (ObjectType::Deals, &deal))
                        .await?;
                }
                Ok(Outcome::Synced(deal))
            }
            Snapshot::Cart { item, user, product } => {
                let props = properties::cart_deal(item, &product, &self.prefix, &self.pipeline);
                let deal = self.upsert(ObjectType::Deals, "cart", item, &props).await?;
                self.associate_contact((ObjectType::Deals, &deal), user).await?;
                let hs_product = self.product_id(product.id).await?;
                let p = properties::cart_line_item(item, &product, &hs_product, &self.prefix);
                let line = self.upsert(ObjectType::LineItems, "cart_line", item, &p).await?;
                self.crm
                    .associate((ObjectType::LineItems, &line), (ObjectType::Deals, &deal))
                    .await?;
                Ok(Outcome::Synced(deal))
            }
            Snapshot::Certificate {
                object_type,
                certificate,
                user,
                props,
            } => {
                let content_type = certificate_kind(object_type == ObjectType::ProgramCertificates).1;
                let id = self
                    .upsert(object_type, content_type, certificate, &props)
                    .await?;
                self.associate_contact((object_type, &id), user).await?;
                Ok(Outcome::Synced(id))
            }
        }
    }

    /// Associates an object to the learner's contact (synced first when it is not mapped).
    async fn associate_contact(&self, from: (ObjectType, &str), user: i64) -> Result<(), HubspotError> {
        if let Some(contact) = self.ensure(Obj::Contact { user_id: user }, "user").await? {
            self.crm.associate(from, (ObjectType::Contacts, &contact)).await?;
        }
        Ok(())
    }

    async fn product_id(&self, product: i64) -> Result<String, HubspotError> {
        Ok(self
            .ensure(Obj::Product { product_id: product }, "product")
            .await?
            .unwrap_or_default())
    }
}
