//! The knowledge base: articles written as drafts, sent for review, published by a
//! publisher (an administrator, or a role with "modify all" on articles), archived when
//! out of date. Readers see the published version while the next one is drafted: publishing
//! copies the draft's title and body to `published_title` and `published_body` and counts
//! the version. Internal articles are for colleagues; public ones are also shown to anyone
//! on `/kb` (and later the portal), in their language, and ask "was this helpful?".

use chrono::{DateTime, Duration, Utc};
use guanxi_core::access::Operation;
use guanxi_core::values::{Record, Value};
use guanxi_core::{FieldError, Msg, ObjectDef};
use serde_json::{Map, json};
use uuid::Uuid;

use crate::records::{ListQuery, Planned};
use crate::{Actor, Crm, ServiceError};

pub const ARTICLE: &str = "article";
const DRAFT: &str = "draft";
const REVIEW: &str = "in_review";
const PUBLISHED: &str = "published";
const ARCHIVED: &str = "archived";
const PUBLIC: &str = "public";
/// Fields only the flow writes once an article exists.
const KEPT: [&str; 6] = [
    "revision",
    "published_at",
    "published_title",
    "published_body",
    "helpful_yes",
    "helpful_no",
];
/// Who may count feedback: the system.
const SYSTEM: &str = "system";
/// How often one address may say whether one article helped.
const FEEDBACK_WINDOW_HOURS: i64 = 24;

struct Fields {
    title: usize,
    summary: usize,
    body: usize,
    status: usize,
    visibility: usize,
    language: usize,
    comment: usize,
    revision: usize,
    published_at: usize,
    published_title: usize,
    published_body: usize,
    yes: usize,
    no: usize,
}

impl Fields {
    fn of(o: &ObjectDef) -> Option<Fields> {
        let at = |n: &str| o.fields.iter().position(|f| f.name == n);
        Some(Fields {
            title: at("title")?,
            summary: at("summary")?,
            body: at("body")?,
            status: at("status")?,
            visibility: at("visibility")?,
            language: at("language")?,
            comment: at("review_comment")?,
            revision: at("revision")?,
            published_at: at("published_at")?,
            published_title: at("published_title")?,
            published_body: at("published_body")?,
            yes: at("helpful_yes")?,
            no: at("helpful_no")?,
        })
    }
}

/// An article as a reader sees it: its published version.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Published {
    pub id: Uuid,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub language: String,
    pub visibility: String,
    pub category: String,
    pub revision: i64,
    pub published_at: Option<DateTime<Utc>>,
    pub helpful_yes: i64,
    pub helpful_no: i64,
}

fn published(object: &ObjectDef, f: &Fields, r: &Record) -> Option<Published> {
    let v = &r.values;
    if v[f.revision].count() == 0 || v[f.status].text() == ARCHIVED {
        return None;
    }
    let category = object
        .fields
        .iter()
        .position(|x| x.name == "category")
        .map(|i| v[i].text().to_string())
        .unwrap_or_default();
    Some(Published {
        id: r.id()?,
        title: v[f.published_title].text().to_string(),
        summary: v[f.summary].text().to_string(),
        body: v[f.published_body].text().to_string(),
        language: v[f.language].text().to_string(),
        visibility: v[f.visibility].text().to_string(),
        category,
        revision: v[f.revision].count(),
        published_at: match v[f.published_at] {
            Value::DateTime(t) => Some(t),
            _ => None,
        },
        helpful_yes: v[f.yes].count(),
        helpful_no: v[f.no].count(),
    })
}

impl Crm {
    /// Whether the actor publishes articles: administrators and roles that may modify
    /// all of them.
    pub fn publishes(&self, actor: &Actor) -> bool {
        if actor.administers() || actor.email == SYSTEM {
            return true;
        }
        match self.schema().object(ARTICLE) {
            Some(o) => self.access(actor, o).permissions.modify_all,
            None => false,
        }
    }

    /// The write path's step for articles: defaults (a draft, internal, in the writer's
    /// language), the moves the flow allows — draft → in review → published (publishers
    /// only), back to draft (a publisher sending back says why), archived and out again —
    /// a published article whose text is edited becoming the draft of its next version,
    /// and publishing copying the text to what readers see.
    pub(crate) fn follow_article_flow(
        &self,
        actor: &Actor,
        object: &ObjectDef,
        plans: &mut [Result<Planned, ServiceError>],
        now: DateTime<Utc>,
    ) {
        if object.name != ARTICLE {
            return;
        }
        let Some(f) = Fields::of(object) else { return };
        let publisher = self.publishes(actor);
        for plan in plans.iter_mut() {
            let refusal = match plan {
                Ok(Planned::Insert(r)) => {
                    let v = &mut r.values;
                    if v[f.status].is_null() {
                        v[f.status] = Value::Text(DRAFT.into());
                    }
                    if v[f.visibility].is_null() {
                        v[f.visibility] = Value::Text("internal".into());
                    }
                    if v[f.language].is_null() {
                        v[f.language] = Value::Text(actor.locale.tag().to_lowercase());
                    }
                    if let Some(i) = KEPT
                        .iter()
                        .filter_map(|k| object.fields.iter().position(|x| x.name == *k))
                        .find(|i| !v[*i].is_null())
                    {
                        Some(FieldError::new(&object.fields[i].name, Msg::ComputedField))
                    } else if v[f.status].text() != DRAFT {
                        Some(FieldError::new("status", Msg::ArticleStartsAsDraft))
                    } else {
                        None
                    }
                }
                Ok(Planned::Update { before, changes }) => {
                    let theirs: Vec<usize> = changes.iter().map(|(i, _)| *i).collect();
                    if let Some(e) = crate::records::kept_changed(actor, object, before, changes, &KEPT) {
                        Some(e)
                    } else {
                        let after = |i: usize, changes: &[(usize, Value)]| {
                            crate::records::after_change(before, changes, i)
                        };
                        let was = before.values[f.status].text().to_string();
                        let mut to = after(f.status, changes).text().to_string();
                        let edited = [f.title, f.summary, f.body]
                            .iter()
                            .any(|i| theirs.contains(i) && after(*i, changes) != before.values[*i]);
                        // Editing what readers see starts the next version.
                        if edited && to == was && (was == PUBLISHED || was == REVIEW && !publisher) {
                            to = DRAFT.into();
                            changes.retain(|(c, _)| *c != f.status);
                            changes.push((f.status, Value::Text(to.clone())));
                        }
                        let allowed = match (was.as_str(), to.as_str()) {
                            (a, b) if a == b => Ok(()),
                            (DRAFT, REVIEW) | (ARCHIVED, DRAFT) | (PUBLISHED, DRAFT) => Ok(()),
                            (REVIEW, DRAFT) => {
                                // A publisher sending it back says why; its writer may
                                // simply take it back.
                                let own = before.owner() == Some(actor.user_id);
                                if own
                                    || !after(f.comment, changes).text().trim().is_empty()
                                        && theirs.contains(&f.comment)
                                {
                                    Ok(())
                                } else {
                                    Err(FieldError::new("review_comment", Msg::ArticleSendBackWhy))
                                }
                            }
                            (REVIEW, PUBLISHED) | (PUBLISHED, ARCHIVED) | (ARCHIVED, PUBLISHED)
                                if publisher =>
                            {
                                Ok(())
                            }
                            (REVIEW, PUBLISHED) | (PUBLISHED, ARCHIVED) | (ARCHIVED, PUBLISHED) => {
                                Err(FieldError::new("status", Msg::ArticlePublishersOnly))
                            }
                            (DRAFT, PUBLISHED) => Err(FieldError::new("status", Msg::ArticleReviewFirst)),
                            _ => Err(FieldError::new("status", Msg::ArticleMoveNotAllowed)
                                .with("from", &was)
                                .with("to", &to)),
                        };
                        match allowed {
                            Err(e) => Some(e),
                            Ok(()) => {
                                if to == PUBLISHED && was == REVIEW {
                                    let title = after(f.title, changes);
                                    let body = after(f.body, changes);
                                    let revision = before.values[f.revision].count() + 1;
                                    for (i, v) in [
                                        (f.published_title, title),
                                        (f.published_body, body),
                                        (f.revision, Value::Int(revision)),
                                        (f.published_at, Value::DateTime(now)),
                                        (f.comment, Value::Null),
                                    ] {
                                        changes.retain(|(c, _)| *c != i);
                                        changes.push((i, v));
                                    }
                                }
                                None
                            }
                        }
                    }
                }
                _ => None,
            };
            if let Some(e) = refusal {
                *plan = Err(ServiceError::Validation(vec![e]));
            }
        }
    }

    /// Published articles the actor may read that match `q` (the Chinese-aware search),
    /// best first: for the knowledge page and a case's suggestions.
    pub async fn find_articles(
        &self,
        actor: &Actor,
        q: &str,
        limit: usize,
    ) -> Result<Vec<Published>, ServiceError> {
        let (_, object) = self.object(ARTICLE)?;
        let Some(f) = Fields::of(&object) else {
            return Ok(Vec::new());
        };
        let hits = match self
            .search(actor, q, Some(ARTICLE), Some(crate::search::MAX_LIMIT))
            .await
        {
            Ok(h) => h,
            Err(ServiceError::Validation(_) | ServiceError::Forbidden(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let ids: Vec<Uuid> = hits.iter().map(|h| h.id).collect();
        let records = self.articles_by_id(actor, &ids).await?;
        Ok(ids
            .iter()
            .filter_map(|id| records.iter().find(|r| r.id() == Some(*id)))
            .filter_map(|r| published(&object, &f, r))
            .take(limit)
            .collect())
    }

    async fn articles_by_id(&self, actor: &Actor, ids: &[Uuid]) -> Result<Vec<Record>, ServiceError> {
        Ok(self
            .readable_by_id(actor, ARTICLE, ids, None)
            .await?
            .into_values()
            .collect())
    }

    /// Articles that may answer a case: published ones matching its subject.
    pub async fn suggested_articles(
        &self,
        actor: &Actor,
        subject: &str,
    ) -> Result<Vec<Published>, ServiceError> {
        if subject.trim().is_empty() {
            return Ok(Vec::new());
        }
        let q: String = subject.chars().take(crate::search::MAX_QUERY).collect();
        self.find_articles(actor, &q, 5).await
    }

    /// Public articles for anyone: in `language` (a locale tag), matching `q` when given (on their
    /// published text only: a draft's words find nothing), else the latest published.
    pub async fn public_articles(
        &self,
        q: Option<&str>,
        language: &str,
        limit: usize,
    ) -> Result<Vec<Published>, ServiceError> {
        let system = Actor::system(guanxi_core::Locale::default());
        let (_, object) = self.object(ARTICLE)?;
        let Some(f) = Fields::of(&object) else {
            return Ok(Vec::new());
        };
        let language = language.to_lowercase();
        let public = |p: &Published| p.visibility == PUBLIC && p.language == language;
        match q.map(str::trim).filter(|q| !q.is_empty()) {
            Some(q) => {
                let parsed = guanxi_search::analysis::parse(q);
                let hits = self
                    .search(&system, q, Some(ARTICLE), Some(crate::search::MAX_LIMIT))
                    .await?;
                let ids: Vec<Uuid> = hits.iter().map(|h| h.id).collect();
                let records = self.articles_by_id(&system, &ids).await?;
                Ok(ids
                    .iter()
                    .filter_map(|id| records.iter().find(|r| r.id() == Some(*id)))
                    .filter(|r| {
                        // Matched by what a reader sees, not by a draft's words.
                        let mut shown = (*r).clone();
                        for i in [f.title, f.body, f.comment] {
                            shown.values[i] = Value::Null;
                        }
                        guanxi_search::entry(&object, &shown)
                            .is_some_and(|e| guanxi_search::analysis::matches(&parsed, &e))
                    })
                    .filter_map(|r| published(&object, &f, r))
                    .filter(public)
                    .take(limit)
                    .collect())
            }
            None => {
                let q = ListQuery {
                    filter: Some(format!(
                        "visibility eq 'public' and language eq {} and not published_at is_null and not status eq 'archived'",
                        guanxi_core::query::quote(&language)
                    )),
                    sort: Some("-published_at".into()),
                    limit: Some(limit),
                    ..Default::default()
                };
                Ok(self
                    .list(&system, ARTICLE, &q)
                    .await?
                    .records
                    .iter()
                    .filter_map(|r| published(&object, &f, r))
                    .filter(public)
                    .collect())
            }
        }
    }

    /// One public article for anyone; `NotFound` for internal, unpublished or archived ones.
    pub async fn public_article(&self, id: Uuid) -> Result<Published, ServiceError> {
        let system = Actor::system(guanxi_core::Locale::default());
        let (_, object) = self.object(ARTICLE)?;
        let f = Fields::of(&object).ok_or(ServiceError::NotFound)?;
        let r = self.get(&system, ARTICLE, id, false).await?;
        published(&object, &f, &r)
            .filter(|p| p.visibility == PUBLIC)
            .ok_or(ServiceError::NotFound)
    }

    /// A published article as a colleague who may read it sees it.
    pub async fn read_article(&self, actor: &Actor, id: Uuid) -> Result<Published, ServiceError> {
        let (_, object) = self.object(ARTICLE)?;
        let f = Fields::of(&object).ok_or(ServiceError::NotFound)?;
        let r = self.get(actor, ARTICLE, id, false).await?;
        published(&object, &f, &r).ok_or(ServiceError::NotFound)
    }

    /// "Was this helpful?": counted once a day per address and article; only articles
    /// the reader could see (public ones, or any published one for a colleague).
    pub async fn article_feedback(
        &self,
        reader: Option<&Actor>,
        id: Uuid,
        helpful: bool,
        address: &str,
    ) -> Result<Published, ServiceError> {
        match reader {
            Some(a) if self.access(a, &self.object(ARTICLE)?.1).may(Operation::Read) => {
                self.read_article(a, id).await?
            }
            _ => self.public_article(id).await?,
        };
        if let Some(retry_after) = self.over_limit(
            &format!("kb-feedback:{id}:{address}"),
            Duration::hours(FEEDBACK_WINDOW_HOURS),
            1,
        ) {
            return Err(ServiceError::TooManyAttempts { retry_after });
        }
        let system = Actor::system(guanxi_core::Locale::default());
        let object = self.object(ARTICLE)?.1;
        let f = Fields::of(&object).ok_or(ServiceError::NotFound)?;
        // Counted on the latest version of the record; a concurrent count retries.
        let (field, at) = if helpful {
            ("helpful_yes", f.yes)
        } else {
            ("helpful_no", f.no)
        };
        let r = self
            .update_latest(&system, ARTICLE, id, |r| {
                let mut patch = Map::new();
                patch.insert(field.into(), json!(r.values[at].count() + 1));
                patch
            })
            .await?;
        published(&object, &f, &r).ok_or(ServiceError::NotFound)
    }
}
