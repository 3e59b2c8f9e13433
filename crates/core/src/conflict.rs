//! Channel conflicts: one customer worked through more than one sales channel — a
//! partner and the direct team, two partners, the web shop and a distributor — or quoted
//! materially different prices for one product across channels. Which channels conflict
//! and how far prices may differ are the company's rules; two deals in the same lane (the
//! same channel, and for partners the same partner) never conflict.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Msg;

pub const OBJECT: &str = "channel_conflict";
pub const PARTY: &str = "conflict_party";
/// The channel through which partners sell.
pub const PARTNER: &str = "partner";
/// A deal with no channel recorded was made by the company itself.
pub const DIRECT: &str = "direct";
/// The channels there are (the `sales_channel` picklist).
pub const CHANNELS: [&str; 4] = ["direct", "partner", "online", "retail"];

/// The company's conflict rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules {
    /// Whether conflicts are looked for at all.
    pub enabled: bool,
    /// Channels that conflict when both reach one customer (each pair either way round).
    pub pairs: Vec<(String, String)>,
    /// Whether two different partners on one customer conflict.
    pub partners_conflict: bool,
    /// Percent by which one product's net unit prices may differ across channels.
    pub price_tolerance: Decimal,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            enabled: true,
            pairs: vec![
                ("direct".into(), "partner".into()),
                ("partner".into(), "online".into()),
                ("direct".into(), "online".into()),
            ],
            partners_conflict: true,
            price_tolerance: Decimal::new(5, 0),
        }
    }
}

impl Rules {
    /// Checks the rules: known channels, no pair of a channel with itself, a tolerance
    /// from 0 to 100 %. Returns the field at fault.
    pub fn check(&self) -> Result<(), (String, Msg)> {
        for (i, (a, b)) in self.pairs.iter().enumerate() {
            for c in [a, b] {
                if !CHANNELS.contains(&c.as_str()) {
                    return Err((format!("pairs[{i}]"), Msg::NotInPicklist));
                }
            }
            if a == b {
                return Err((format!("pairs[{i}]"), Msg::ConflictPairSame));
            }
        }
        if self.price_tolerance < Decimal::ZERO || self.price_tolerance > Decimal::ONE_HUNDRED {
            return Err(("price_tolerance".into(), Msg::PercentOutOfRange));
        }
        Ok(())
    }

    fn pair(&self, a: &str, b: &str) -> bool {
        self.pairs
            .iter()
            .any(|(x, y)| (x == a && y == b) || (x == b && y == a))
    }

    /// Whether deals in these two lanes conflict.
    pub fn conflict(&self, a: &Lane, b: &Lane) -> bool {
        if a == b {
            return false;
        }
        if a.channel == b.channel {
            // Two partners of the same channel: only different partners, when the rules say.
            return a.channel == PARTNER && self.partners_conflict;
        }
        self.pair(&a.channel, &b.channel)
    }
}

/// The way a deal reaches the customer: its channel, and for partner deals, which partner.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Lane {
    pub channel: String,
    pub partner: Option<Uuid>,
}

impl Lane {
    pub fn new(channel: Option<&str>, partner: Option<Uuid>) -> Lane {
        let channel = channel.filter(|c| !c.is_empty()).unwrap_or(DIRECT).to_string();
        // Only a partner deal is told apart by its partner.
        let partner = if channel == PARTNER { partner } else { None };
        Lane { channel, partner }
    }
}

/// An open opportunity or quote of the customer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Engagement {
    pub object: String,
    pub id: Uuid,
    pub lane: Lane,
}

/// The engagements that conflict with another of a different lane, in their order; empty
/// when none do.
pub fn crossing(rules: &Rules, engagements: &[Engagement]) -> Vec<usize> {
    let mut out = BTreeSet::new();
    for (i, a) in engagements.iter().enumerate() {
        for (j, b) in engagements.iter().enumerate().skip(i + 1) {
            if rules.conflict(&a.lane, &b.lane) {
                out.insert(i);
                out.insert(j);
            }
        }
    }
    out.into_iter().collect()
}

/// A product's net unit price on one open quote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quoted {
    pub product: Uuid,
    pub currency: String,
    pub lane: Lane,
    /// Unit price after the line's discount.
    pub net: Decimal,
    pub quote: Uuid,
}

/// One product quoted to one customer at prices further apart across lanes than the
/// tolerance allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceGap {
    pub product: Uuid,
    pub currency: String,
    pub low: Decimal,
    pub high: Decimal,
    /// (high − low) ÷ low, in percent.
    pub spread: Decimal,
    /// The quotes' positions in the input.
    pub members: Vec<usize>,
}

/// The products quoted to a customer at prices too far apart across lanes: each lane's
/// lowest price counts for it (price differences within one lane are that lane's own
/// business), and lanes are compared whatever the channel rules say about deals.
pub fn price_gaps(rules: &Rules, quoted: &[Quoted]) -> Vec<PriceGap> {
    let mut by_product: BTreeMap<(Uuid, &str), Vec<usize>> = BTreeMap::new();
    for (i, q) in quoted.iter().enumerate() {
        by_product
            .entry((q.product, q.currency.as_str()))
            .or_default()
            .push(i);
    }
    let mut out = Vec::new();
    for ((product, currency), members) in by_product {
        let mut lowest: BTreeMap<&Lane, Decimal> = BTreeMap::new();
        for i in &members {
            let q = &quoted[*i];
            let e = lowest.entry(&q.lane).or_insert(q.net);
            *e = (*e).min(q.net);
        }
        if lowest.len() < 2 {
            continue;
        }
        let (Some(low), Some(high)) = (lowest.values().min().copied(), lowest.values().max().copied()) else {
            continue;
        };
        if low <= Decimal::ZERO {
            continue;
        }
        let spread = ((high - low) / low * Decimal::ONE_HUNDRED).round_dp(2);
        if spread > rules.price_tolerance {
            out.push(PriceGap {
                product,
                currency: currency.to_string(),
                low,
                high,
                spread,
                members,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn lane(c: &str, p: u128) -> Lane {
        Lane::new(Some(c), (p > 0).then(|| Uuid::from_u128(p)))
    }

    fn deal(i: u128, l: Lane) -> Engagement {
        Engagement {
            object: "opportunity".into(),
            id: Uuid::from_u128(i),
            lane: l,
        }
    }

    #[test]
    fn a_partner_and_the_direct_team_on_one_customer_conflict() {
        let r = Rules::default();
        let deals = [
            deal(1, lane("direct", 0)),
            deal(2, lane("partner", 7)),
            deal(3, lane("retail", 0)),
        ];
        assert_eq!(
            crossing(&r, &deals),
            vec![0, 1],
            "retail is in no pair of the rules"
        );
    }

    #[test]
    fn deals_in_one_lane_never_conflict() {
        let r = Rules::default();
        let deals = [
            deal(1, lane("direct", 0)),
            deal(2, lane("direct", 0)),
            deal(3, Lane::new(None, None)),
        ];
        assert!(crossing(&r, &deals).is_empty(), "no channel recorded is direct");
        let same_partner = [deal(1, lane("partner", 7)), deal(2, lane("partner", 7))];
        assert!(crossing(&r, &same_partner).is_empty());
        // A partner recorded on a direct deal does not make it a partner deal.
        assert_eq!(lane("direct", 7), lane("direct", 0));
    }

    #[test]
    fn two_partners_conflict_only_when_the_rules_say() {
        let mut r = Rules::default();
        let deals = [deal(1, lane("partner", 7)), deal(2, lane("partner", 8))];
        assert_eq!(crossing(&r, &deals), vec![0, 1]);
        r.partners_conflict = false;
        assert!(crossing(&r, &deals).is_empty());
    }

    #[test]
    fn rules_name_what_is_wrong() {
        let mut r = Rules::default();
        assert!(r.check().is_ok());
        r.pairs.push(("direct".into(), "telepathy".into()));
        assert_eq!(r.check().unwrap_err().0, "pairs[3]");
        r.pairs.pop();
        r.pairs.push(("online".into(), "online".into()));
        assert_eq!(r.check().unwrap_err().1, Msg::ConflictPairSame);
        r.pairs.pop();
        r.price_tolerance = d("101");
        assert_eq!(r.check().unwrap_err().0, "price_tolerance");
    }

    fn quoted(product: u128, l: Lane, net: &str, q: u128) -> Quoted {
        Quoted {
            product: Uuid::from_u128(product),
            currency: "CNY".into(),
            lane: l,
            net: d(net),
            quote: Uuid::from_u128(q),
        }
    }

    #[test]
    fn prices_further_apart_than_the_tolerance_across_lanes_conflict() {
        let r = Rules::default();
        let q = [
            quoted(1, lane("direct", 0), "10000", 1),
            quoted(1, lane("partner", 7), "9000", 2),
            quoted(2, lane("direct", 0), "100", 1),
            quoted(2, lane("partner", 7), "104", 2),
        ];
        let gaps = price_gaps(&r, &q);
        assert_eq!(gaps.len(), 1, "4 % apart is within 5 %");
        assert_eq!(gaps[0].product, Uuid::from_u128(1));
        assert_eq!(
            (gaps[0].low, gaps[0].high, gaps[0].spread),
            (d("9000"), d("10000"), d("11.11"))
        );
        assert_eq!(gaps[0].members, vec![0, 1]);
    }

    #[test]
    fn prices_within_one_lane_or_currency_are_not_compared() {
        let r = Rules::default();
        let q = [
            quoted(1, lane("direct", 0), "10000", 1),
            quoted(1, lane("direct", 0), "5000", 2),
        ];
        assert!(price_gaps(&r, &q).is_empty(), "one lane");
        let mut usd = quoted(1, lane("partner", 7), "1400", 3);
        usd.currency = "USD".into();
        assert!(
            price_gaps(&r, &[q[0].clone(), usd]).is_empty(),
            "another currency"
        );
    }
}
