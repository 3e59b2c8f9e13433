//! Product ratings in the community: a customer gives a product one to five stars with a
//! headline and a review — one per person and product, changed by rating again; everyone
//! in the community reads the reviews and the average; colleagues read them all and hide
//! what breaks the rules (a hidden review no longer counts). Reviews are written only
//! through the community, as the customer; colleagues may change nothing but `hidden`.

use guanxi_core::access::UserKind;
use guanxi_core::values::{Record, Value, field};
use guanxi_core::{FieldError, Msg, ObjectDef};
use rust_decimal::Decimal;
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use crate::records::{ListQuery, Planned, after_change};
use crate::{Actor, Crm, ServiceError};

pub const REVIEW: &str = "product_review";
const PRODUCT: &str = "product";
/// How many reviews a product page shows (the average counts them all).
const SHOWN: usize = 200;
/// What only the community writes on a review.
const KEPT: [&str; 7] = [
    "product",
    "rating",
    "title",
    "body",
    "author_user",
    "author_name",
    "author_account",
];

/// A product as the community sees it: its average, how many reviews, the reviews
/// (newest first) and the reader's own.
#[derive(Clone, Debug)]
pub struct ProductRatings {
    pub product: Record,
    /// Mean stars over the reviews that count, two decimals; `None` before the first.
    pub average: Option<Decimal>,
    pub count: usize,
    pub reviews: Vec<Record>,
    pub mine: Option<Record>,
}

fn stars_ok(v: &Value) -> bool {
    match v {
        Value::Int(n) => (1..=5).contains(n),
        Value::Null => true,
        _ => false,
    }
}

/// Mean of the star ratings, rounded to two decimals.
pub fn average(stars: &[i64]) -> Option<Decimal> {
    if stars.is_empty() {
        return None;
    }
    let sum: i64 = stars.iter().sum();
    Some((Decimal::from(sum) / Decimal::from(stars.len())).round_dp(2))
}

impl Crm {
    /// The write path's step for reviews: stars from one to five; only the community
    /// writes a review, colleagues may only hide it or show it again.
    pub(crate) fn keep_reviews(
        actor: &Actor,
        object: &ObjectDef,
        plans: &mut [Result<Planned, ServiceError>],
    ) {
        if object.name != REVIEW {
            return;
        }
        let Some(rating) = object.fields.iter().position(|f| f.name == "rating") else {
            return;
        };
        let system = actor.email == "system";
        for plan in plans.iter_mut() {
            let refusal = match plan {
                Ok(Planned::Insert(r)) if !system => {
                    Some(FieldError::new("author_user", Msg::ReviewsByCustomers))
                }
                Ok(Planned::Insert(r)) => {
                    (!stars_ok(&r.values[rating])).then(|| FieldError::new("rating", Msg::ReviewStars))
                }
                Ok(Planned::Update { before, changes }) => {
                    crate::records::kept_changed(actor, object, before, changes, &KEPT).or_else(|| {
                        (!stars_ok(&after_change(before, changes, rating)))
                            .then(|| FieldError::new("rating", Msg::ReviewStars))
                    })
                }
                _ => None,
            };
            if let Some(e) = refusal {
                *plan = Err(ServiceError::Validation(vec![e]));
            }
        }
    }

    /// A product the community may rate: any for colleagues; for customers not one
    /// taken out of the catalogue.
    async fn rateable(&self, actor: &Actor, id: Uuid) -> Result<Record, ServiceError> {
        let system = Actor::system(actor.locale);
        let product = self.get(&system, PRODUCT, id, false).await?;
        let (_, def) = self.object(PRODUCT)?;
        match actor.kind {
            UserKind::Internal => Ok(product),
            UserKind::Portal if field(&def, &product, "active") != &Value::Bool(false) => Ok(product),
            _ => Err(ServiceError::NotFound),
        }
    }

    /// A product's reviews as the actor may read them, with the average and their own.
    pub async fn product_ratings(&self, actor: &Actor, id: Uuid) -> Result<ProductRatings, ServiceError> {
        let reader = self.community_reader(actor).await?;
        let product = self.rateable(actor, id).await?;
        let system = Actor::system(actor.locale);
        let q = ListQuery {
            filter: Some(format!("product eq '{id}'")),
            sort: Some("-created_at".into()),
            limit: Some(crate::records::MAX_PAGE),
            ..Default::default()
        };
        let all = self.list(&system, REVIEW, &q).await?.records;
        let (_, def) = self.object(REVIEW)?;
        let counted: Vec<&Record> = all
            .iter()
            .filter(|r| field(&def, r, "hidden") != &Value::Bool(true))
            .collect();
        let stars: Vec<i64> = counted
            .iter()
            .filter_map(|r| match field(&def, r, "rating") {
                Value::Int(n) => Some(*n),
                _ => None,
            })
            .collect();
        let mine = all
            .iter()
            .find(|r| field(&def, r, "author_user") == &Value::Uuid(actor.user_id))
            .cloned();
        let reviews: Vec<Record> = match reader {
            crate::community::Reader::Staff => all.iter().take(SHOWN).cloned().collect(),
            crate::community::Reader::Customer(_) => {
                counted.iter().take(SHOWN).map(|r| (*r).clone()).collect()
            }
        };
        Ok(ProductRatings {
            product,
            average: average(&stars),
            count: stars.len(),
            reviews,
            mine,
        })
    }

    /// The products customers may rate, by name.
    pub async fn rateable_products(&self, actor: &Actor) -> Result<Vec<Record>, ServiceError> {
        self.community_reader(actor).await?;
        let q = ListQuery {
            filter: Some("(active is_null or active eq true)".into()),
            sort: Some("name".into()),
            limit: Some(SHOWN),
            ..Default::default()
        };
        Ok(self
            .list(&Actor::system(actor.locale), PRODUCT, &q)
            .await?
            .records)
    }

    /// A customer rates a product (again: their review changes). `input`: `rating`
    /// (1–5), `title`, `body`.
    pub async fn rate_product(
        &self,
        actor: &Actor,
        id: Uuid,
        input: &Map<String, Json>,
    ) -> Result<Record, ServiceError> {
        let scope = match self.community_reader(actor).await? {
            crate::community::Reader::Customer(scope) => scope,
            crate::community::Reader::Staff => return Err(ServiceError::Forbidden(Msg::ReviewsByCustomers)),
        };
        let seen = self.product_ratings(actor, id).await?;
        let mut review = Map::new();
        let mut errors = Vec::new();
        let stars = match input.get("rating") {
            Some(Json::Number(n)) => n.as_i64(),
            Some(Json::String(s)) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        match stars.filter(|n| (1..=5).contains(n)) {
            Some(n) => {
                review.insert("rating".into(), json!(n));
            }
            None => errors.push(FieldError::new("rating", Msg::ReviewStars)),
        }
        for k in ["title", "body"] {
            let text = input.get(k).and_then(Json::as_str).map(str::trim).unwrap_or("");
            review.insert(k.into(), if text.is_empty() { Json::Null } else { json!(text) });
        }
        if review["title"].is_null() {
            errors.push(FieldError::new("title", Msg::Required));
        }
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        let system = Actor::system(actor.locale);
        match seen.mine {
            Some(mine) => {
                let mine_id = mine.id().ok_or(ServiceError::NotFound)?;
                self.update(&system, REVIEW, mine_id, mine.version(), review)
                    .await
            }
            None => {
                review.insert("product".into(), json!(id));
                review.insert("author_user".into(), json!(actor.user_id));
                review.insert("author_name".into(), json!(scope.contact_name));
                review.insert("author_account".into(), json!(scope.account));
                let writer = self.form_writer().await?;
                review.insert("owner".into(), json!(writer.user_id));
                self.create(&system, REVIEW, review).await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::average;
    use rust_decimal::Decimal;

    #[test]
    fn the_average_is_the_mean_of_the_stars_to_two_decimals() {
        assert_eq!(average(&[]), None);
        assert_eq!(average(&[5]), Some(Decimal::from(5)));
        assert_eq!(average(&[5, 4, 4]), Some(Decimal::new(433, 2)));
        assert_eq!(average(&[1, 2]), Some(Decimal::new(15, 1)));
    }
}
