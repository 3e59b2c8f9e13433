//! The customer community: portal users ask questions and share experiences and ideas
//! about products, reply, vote (once each), follow posts; the author (or a colleague)
//! accepts an answer; colleagues reply as the company, moderate (hide posts and replies)
//! and turn an accepted answer into a draft knowledge article. A post is public (every
//! customer sees it) or for the author's company only; customers never see another
//! company's company posts, nor anything hidden.

use guanxi_core::access::UserKind;
use guanxi_core::values::{Record, Value, field, field_id};
use guanxi_core::{FieldError, Msg, ObjectDef};
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use crate::portal::PortalScope;
use crate::records::{ListQuery, Planned};
use crate::{Actor, Crm, ServiceError};

pub const POST: &str = "community_post";
pub const REPLY: &str = "community_reply";
const SHOWN: usize = 100;
/// Fields the community keeps; nobody types them.
const KEPT: [&str; 4] = ["votes", "author_user", "author_name", "author_account"];

/// Who reads the community: a colleague (everything, to moderate) or a customer.
pub(crate) enum Reader {
    Staff,
    Customer(PortalScope),
}

/// A post with what its reader sees of it.
#[derive(Clone, Debug)]
pub struct Thread {
    pub post: Record,
    /// Oldest first; hidden ones left out for customers.
    pub replies: Vec<Record>,
    pub following: bool,
    /// Whether the reader may accept an answer (the author, or a colleague).
    pub may_accept: bool,
}

impl Crm {
    pub(crate) async fn community_reader(&self, actor: &Actor) -> Result<Reader, ServiceError> {
        match actor.kind {
            UserKind::Internal => Ok(Reader::Staff),
            UserKind::Portal => Ok(Reader::Customer(self.portal_scope(actor).await?)),
            UserKind::Partner => Err(ServiceError::Forbidden(Msg::DetailNoPermission)),
        }
    }

    /// Whether a customer may see a post: not hidden, and public or their company's.
    fn customer_sees(o: &ObjectDef, scope: &PortalScope, post: &Record) -> bool {
        field(o, post, "status").text() != "hidden"
            && (field(o, post, "visibility").text() != "company"
                || field_id(o, post, "author_account") == Some(scope.account))
    }

    /// The write path's step for the community: new posts are open and public unless
    /// said otherwise; a colleague's reply is the company's; the counts and authors are the
    /// community's own.
    pub(crate) fn keep_community(
        actor: &Actor,
        object: &ObjectDef,
        plans: &mut [Result<Planned, ServiceError>],
    ) {
        if object.name != POST && object.name != REPLY {
            return;
        }
        let at = |n: &str| object.fields.iter().position(|f| f.name == n);
        let system = actor.email == "system";
        for plan in plans.iter_mut() {
            let refusal = match plan {
                Ok(Planned::Insert(r)) => {
                    let v = &mut r.values;
                    if object.name == POST {
                        for (field, default) in [("status", "open"), ("visibility", "public")] {
                            if let Some(i) = at(field)
                                && v[i].is_null()
                            {
                                v[i] = Value::Text(default.into());
                            }
                        }
                    }
                    if system {
                        None
                    } else if let Some(i) = KEPT.iter().filter_map(|k| at(k)).find(|i| !v[*i].is_null()) {
                        Some(FieldError::new(&object.fields[i].name, Msg::ComputedField))
                    } else {
                        // Written by a colleague: theirs, as the company.
                        if let Some(u) = at("author_user") {
                            v[u] = Value::Uuid(actor.user_id);
                        }
                        if let Some(n) = at("author_name") {
                            v[n] = Value::Text(actor.email.clone());
                        }
                        if let Some(f) = at("from_staff") {
                            v[f] = Value::Bool(true);
                        }
                        None
                    }
                }
                Ok(Planned::Update { before, changes }) => {
                    crate::records::kept_changed(actor, object, before, changes, &KEPT)
                }
                _ => None,
            };
            if let Some(e) = refusal {
                *plan = Err(ServiceError::Validation(vec![e]));
            }
        }
    }

    /// The posts the actor may see, newest first — or those matching `q` (the
    /// Chinese-aware search), best first.
    pub async fn community_posts(&self, actor: &Actor, q: Option<&str>) -> Result<Vec<Record>, ServiceError> {
        let reader = self.community_reader(actor).await?;
        let system = Actor::system(actor.locale);
        let (_, o) = self.object(POST)?;
        let posts: Vec<Record> = match q.map(str::trim).filter(|q| !q.is_empty()) {
            Some(q) => {
                let hits = self
                    .search(&system, q, Some(POST), Some(crate::search::MAX_LIMIT))
                    .await?;
                let ids: Vec<Uuid> = hits.iter().map(|h| h.id).collect();
                let mut found = self.readable_by_id(&system, POST, &ids, None).await?;
                ids.iter().filter_map(|id| found.remove(id)).collect()
            }
            None => {
                let q = ListQuery {
                    sort: Some("-created_at".into()),
                    limit: Some(SHOWN),
                    ..Default::default()
                };
                self.list(&system, POST, &q).await?.records
            }
        };
        Ok(match reader {
            Reader::Staff => posts,
            Reader::Customer(scope) => posts
                .into_iter()
                .filter(|p| Self::customer_sees(&o, &scope, p))
                .collect(),
        })
    }

    /// A post the actor may see (and who they are to it), `NotFound` otherwise.
    async fn visible_post(&self, actor: &Actor, id: Uuid) -> Result<(Reader, Record), ServiceError> {
        let reader = self.community_reader(actor).await?;
        let (_, o) = self.object(POST)?;
        let post = self.get(&Actor::system(actor.locale), POST, id, false).await?;
        if let Reader::Customer(scope) = &reader
            && !Self::customer_sees(&o, scope, &post)
        {
            return Err(ServiceError::NotFound);
        }
        Ok((reader, post))
    }

    /// A post with its replies, as the actor may see it.
    pub async fn community_thread(&self, actor: &Actor, id: Uuid) -> Result<Thread, ServiceError> {
        let (reader, post) = self.visible_post(actor, id).await?;
        let (_, po) = self.object(POST)?;
        let customer = matches!(reader, Reader::Customer(_));
        let q = ListQuery {
            filter: Some(if customer {
                format!("post eq '{id}' and (hidden is_null or hidden eq false)")
            } else {
                format!("post eq '{id}'")
            }),
            sort: Some("created_at".into()),
            limit: Some(crate::records::MAX_PAGE),
            ..Default::default()
        };
        let replies = self.list(&Actor::system(actor.locale), REPLY, &q).await?.records;
        let following = guanxi_storage::portal::followers(self.db(), id)
            .await?
            .contains(&actor.user_id);
        let author = po
            .fields
            .iter()
            .position(|f| f.name == "author_user")
            .map(|i| post.values[i] == Value::Uuid(actor.user_id))
            .unwrap_or(false);
        Ok(Thread {
            post,
            replies,
            following,
            may_accept: !customer || author,
        })
    }

    /// Writes as the community: the system, owned by the user public forms write as.
    async fn community_write(
        &self,
        object: &str,
        mut input: Map<String, Json>,
    ) -> Result<Record, ServiceError> {
        let writer = self.form_writer().await?;
        input.insert("owner".into(), json!(writer.user_id));
        self.create(&Actor::system(writer.locale), object, input).await
    }

    /// A new post: a customer's is written on their behalf (their name and company).
    pub async fn post_to_community(
        &self,
        actor: &Actor,
        input: &Map<String, Json>,
    ) -> Result<Record, ServiceError> {
        let reader = self.community_reader(actor).await?;
        let mut post = Map::new();
        for k in ["title", "body", "kind", "product", "visibility", "tags"] {
            if let Some(v) = input
                .get(k)
                .filter(|v| !matches!(v, Json::String(s) if s.trim().is_empty()))
            {
                post.insert(k.into(), v.clone());
            }
        }
        match reader {
            Reader::Staff => self.create(actor, POST, post).await,
            Reader::Customer(scope) => {
                post.insert("author_user".into(), json!(actor.user_id));
                post.insert("author_name".into(), json!(scope.contact_name));
                post.insert("author_account".into(), json!(scope.account));
                let written = self.community_write(POST, post).await?;
                // The author hears of the replies to their question.
                if let Some(id) = written.id() {
                    self.follow_in_community(actor, id, true).await?;
                }
                Ok(written)
            }
        }
    }

    /// A reply to a post the actor may see (not to a hidden one); its followers are told
    /// (see `tell_followers`).
    pub async fn reply_in_community(
        &self,
        actor: &Actor,
        id: Uuid,
        body: &str,
    ) -> Result<Record, ServiceError> {
        let (reader, _) = self.visible_post(actor, id).await?;
        let mut reply = Map::new();
        reply.insert("post".into(), json!(id));
        reply.insert("body".into(), json!(body));
        match reader {
            Reader::Staff => self.create(actor, REPLY, reply).await,
            Reader::Customer(scope) => {
                reply.insert("author_user".into(), json!(actor.user_id));
                reply.insert("author_name".into(), json!(scope.contact_name));
                reply.insert("author_account".into(), json!(scope.account));
                self.community_write(REPLY, reply).await
            }
        }
    }

    /// The write path's last step for replies: whoever follows the post (its author does
    /// from the start) is told of each new reply, in the same transaction — colleagues
    /// always, customers only while they may see the post, never the one who replied.
    pub(crate) async fn tell_followers(
        &self,
        tx: &mut guanxi_storage::Tx,
        actor: &Actor,
        object: &ObjectDef,
        plans: &[Result<Planned, ServiceError>],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), ServiceError> {
        if object.name != REPLY {
            return Ok(());
        }
        let schema = self.schema();
        let (Some(po), Some(contact)) = (schema.object(POST), schema.object("contact")) else {
            return Ok(());
        };
        let policy = self.policy();
        for plan in plans {
            let Ok(Planned::Insert(r)) = plan else { continue };
            let Some(post_id) = field_id(object, r, "post") else {
                continue;
            };
            if field(object, r, "hidden") == &Value::Bool(true) {
                continue;
            }
            let Some(post) = guanxi_storage::records::get_in(tx, po, post_id).await? else {
                continue;
            };
            let hidden = field(po, &post, "status").text() == "hidden";
            let company_only = field(po, &post, "visibility").text() == "company";
            let company = field_id(po, &post, "author_account");
            let replier = field_id(object, r, "author_user");
            let mut told = Vec::new();
            for user in guanxi_storage::portal::followers_in(tx, post_id).await? {
                if Some(user) == replier {
                    continue;
                }
                let sees = match policy.users.get(&user).map(|f| f.kind) {
                    Some(UserKind::Internal) => true,
                    Some(UserKind::Portal) if !hidden && !company_only => true,
                    Some(UserKind::Portal) if !hidden => {
                        let theirs = match guanxi_storage::portal::contact_of_in(tx, user).await? {
                            Some(c) => guanxi_storage::records::get_in(tx, contact, c)
                                .await?
                                .and_then(|c| field_id(contact, &c, "account")),
                            None => None,
                        };
                        theirs.is_some() && theirs == company
                    }
                    _ => false,
                };
                if sees {
                    told.push(user);
                }
            }
            let notice = crate::notifications::Notice {
                kind: "community.reply",
                object: POST,
                record_id: post_id,
                detail: json!({"author": field(object, r, "author_name").text(), "title": field(po, &post, "title").text()}),
            };
            crate::notifications::notify(tx, actor, &told, &notice, now).await?;
        }
        Ok(())
    }

    /// One vote per person for a post or a reply they may see; answers the count.
    pub async fn vote_in_community(
        &self,
        actor: &Actor,
        object: &str,
        id: Uuid,
    ) -> Result<i64, ServiceError> {
        let post = match object {
            POST => id,
            REPLY => {
                let (_, ro) = self.object(REPLY)?;
                let reply = self.get(&Actor::system(actor.locale), REPLY, id, false).await?;
                field_id(&ro, &reply, "post").ok_or(ServiceError::NotFound)?
            }
            _ => return Err(ServiceError::NotFound),
        };
        self.visible_post(actor, post).await?;
        let now = self.now();
        let mut tx = self.db().begin().await?;
        guanxi_storage::portal::vote(&mut tx, id, actor.user_id, now).await?;
        let n = guanxi_storage::portal::votes(&mut tx, id).await?;
        tx.commit().await?;
        // The count on the record follows the votes (retried if written meanwhile).
        let system = Actor::system(actor.locale);
        let written = self
            .update_latest(&system, object, id, |_| {
                let mut patch = Map::new();
                patch.insert("votes".into(), json!(n));
                patch
            })
            .await;
        match written {
            // The vote is counted; the next one writes the count if this could not.
            Ok(_) | Err(ServiceError::Conflict { .. }) => Ok(n),
            Err(e) => Err(e),
        }
    }

    /// Follows a post the actor may see, or stops.
    pub async fn follow_in_community(&self, actor: &Actor, id: Uuid, on: bool) -> Result<(), ServiceError> {
        self.visible_post(actor, id).await?;
        let mut tx = self.db().begin().await?;
        guanxi_storage::portal::follow(&mut tx, id, actor.user_id, on, self.now()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The post's author (or a colleague) accepts a reply as its answer.
    pub async fn accept_in_community(
        &self,
        actor: &Actor,
        id: Uuid,
        reply: Uuid,
    ) -> Result<Record, ServiceError> {
        let thread = self.community_thread(actor, id).await?;
        if !thread.may_accept {
            return Err(ServiceError::Forbidden(Msg::CommunityAuthorAccepts));
        }
        if !thread.replies.iter().any(|r| r.id() == Some(reply)) {
            return Err(ServiceError::field("reply", Msg::LookupNotFound));
        }
        let mut patch = Map::new();
        patch.insert("accepted_reply".into(), json!(reply));
        patch.insert("status".into(), json!("answered"));
        let system = Actor::system(actor.locale);
        self.update(&system, POST, id, thread.post.version(), patch).await
    }

    /// A colleague turns a post's accepted answer into a draft knowledge article (public,
    /// about the post's product), linked from the post; it is published as any article is.
    pub async fn answer_to_article(&self, actor: &Actor, id: Uuid) -> Result<Record, ServiceError> {
        if actor.kind != UserKind::Internal {
            return Err(ServiceError::Forbidden(Msg::DetailNoPermission));
        }
        let post = self.get(actor, POST, id, false).await?;
        let (_, po) = self.object(POST)?;
        if field_id(&po, &post, "article").is_some() {
            return Err(ServiceError::field("article", Msg::CommunityArticleMade));
        }
        let reply_id = field_id(&po, &post, "accepted_reply")
            .ok_or_else(|| ServiceError::field("accepted_reply", Msg::CommunityNoAcceptedAnswer))?;
        let (_, ro) = self.object(REPLY)?;
        let reply = self.get(actor, REPLY, reply_id, false).await?;
        let question = field(&po, &post, "body").text();
        let answer = field(&ro, &reply, "body").text();
        let mut article = Map::new();
        article.insert("title".into(), json!(field(&po, &post, "title").text()));
        article.insert(
            "summary".into(),
            json!(question.chars().take(200).collect::<String>()),
        );
        article.insert("body".into(), json!(format!("{question}\n\n{answer}")));
        article.insert("visibility".into(), json!("public"));
        article.insert("category".into(), json!("faq"));
        if let Some(p) = field_id(&po, &post, "product") {
            article.insert("product".into(), json!(p));
        }
        let made = self.create(actor, crate::knowledge::ARTICLE, article).await?;
        let mut patch = Map::new();
        patch.insert("article".into(), json!(made.id()));
        self.update(actor, POST, id, post.version(), patch).await?;
        Ok(made)
    }
}
