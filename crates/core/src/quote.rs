//! Quotes: what each line comes to, what the quote adds up to, how far it is discounted
//! from the price book, and which status changes a user may make by hand.
//!
//! Money is rounded to the fen (two places, halves away from zero) once per line; the
//! quote's totals are sums of rounded lines, so the printed lines always add up to the
//! printed total. Percentages are kept as percent (`13` is 13 %).

use rust_decimal::{Decimal, RoundingStrategy};

use crate::Msg;

pub const QUOTE: &str = "quote";
pub const QUOTE_LINE: &str = "quote_line";
pub const ORDER: &str = "order";
pub const ORDER_LINE: &str = "order_line";
pub const PRICE_BOOK: &str = "price_book";
pub const PRICE_BOOK_ENTRY: &str = "price_book_entry";

/// The money fields of a quote or an order that its lines add up to.
pub const TOTAL_FIELDS: [&str; 4] = ["subtotal", "discount_amount", "tax_amount", "total"];
/// The largest discount from list of any line (percent), added up with the totals.
pub const MAX_DISCOUNT: &str = "max_discount";
/// A quote's record of its approval: set by submitting and deciding, cleared when the
/// quote goes back to draft.
pub const DECISION_FIELDS: [&str; 4] = ["submitted_at", "approved_by", "approved_at", "approval_comment"];

/// The fields of a line the system computes from the others.
pub const LINE_DERIVED: [&str; 5] = [
    "list_price",
    "amount",
    "tax_amount",
    "total",
    "effective_discount",
];

/// A quote's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Draft,
    InReview,
    Approved,
    Rejected,
    Presented,
    Accepted,
    Denied,
    Ordered,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Status::Draft,
        Status::InReview,
        Status::Approved,
        Status::Rejected,
        Status::Presented,
        Status::Accepted,
        Status::Denied,
        Status::Ordered,
    ];

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::InReview => "in_review",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
            Status::Presented => "presented",
            Status::Accepted => "accepted",
            Status::Denied => "denied",
            Status::Ordered => "ordered",
        }
    }

    /// Whether the quote's lines and prices may still change.
    pub fn editable(self) -> bool {
        matches!(self, Status::Draft | Status::Rejected)
    }

    /// Whether a quote in this status may become an order: once approved, presented or
    /// accepted, or as a draft whose discount needs no approval.
    pub fn orderable(self, needs_approval: bool) -> bool {
        match self {
            Status::Approved | Status::Presented | Status::Accepted => true,
            Status::Draft => !needs_approval,
            _ => false,
        }
    }

    /// Set only by submitting, deciding or ordering, never by editing the status.
    pub fn by_action(self) -> bool {
        matches!(
            self,
            Status::InReview | Status::Approved | Status::Rejected | Status::Ordered
        )
    }
}

/// Whether a user may move a quote from `from` to `to` by editing its status. A quote
/// whose discount needs approval reaches the customer only once approved.
pub fn may_move(from: Status, to: Status, needs_approval: bool) -> Result<(), Msg> {
    use Status::*;
    if from == to {
        return Ok(());
    }
    if to.by_action() {
        return Err(Msg::QuoteStatusByAction);
    }
    let allowed = match to {
        Presented => from == Approved || from == Draft && !needs_approval,
        Accepted => matches!(from, Presented | Approved) || from == Draft && !needs_approval,
        Denied => matches!(from, Presented | Approved),
        Draft => matches!(from, Approved | Rejected | Presented | Denied | Accepted),
        _ => false,
    };
    if allowed {
        Ok(())
    } else if from == Draft && needs_approval {
        Err(Msg::QuoteNeedsApproval)
    } else {
        Err(Msg::QuoteStatusMove)
    }
}

/// One line as entered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineInput {
    pub quantity: Decimal,
    /// The price book's (or the product's) price; none when neither has one.
    pub list_price: Option<Decimal>,
    pub unit_price: Decimal,
    /// Percent off the unit price.
    pub discount: Decimal,
    /// Percent.
    pub tax_rate: Decimal,
}

/// What one line comes to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineAmounts {
    /// Quantity × unit price, before the line's discount.
    pub gross: Decimal,
    /// After the line's discount, as priced (with tax when prices include it).
    pub amount: Decimal,
    pub tax: Decimal,
    /// What the customer pays for the line.
    pub total: Decimal,
    /// Percent below the list price the line sells at (unit price and discount together);
    /// zero without a list price, negative when sold above it.
    pub effective_discount: Decimal,
}

pub fn round_money(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

fn percent(d: Decimal) -> Decimal {
    d / Decimal::ONE_HUNDRED
}

/// Checks a line's numbers: a positive quantity, no negative price, a discount between
/// 0 and 100 %, a tax rate between 0 and 100 %. Returns the offending field.
pub fn check_line(input: &LineInput) -> Result<(), (&'static str, Msg)> {
    if input.quantity <= Decimal::ZERO {
        return Err(("quantity", Msg::MustBePositive));
    }
    if input.unit_price < Decimal::ZERO {
        return Err(("unit_price", Msg::MustNotBeNegative));
    }
    if input.discount < Decimal::ZERO || input.discount > Decimal::ONE_HUNDRED {
        return Err(("discount", Msg::PercentOutOfRange));
    }
    if input.tax_rate < Decimal::ZERO || input.tax_rate > Decimal::ONE_HUNDRED {
        return Err(("tax_rate", Msg::PercentOutOfRange));
    }
    Ok(())
}

/// What a line comes to. With `tax_included` the price holds the tax (含税价) and the tax
/// is the part of the amount above its net; otherwise the tax comes on top.
pub fn line(input: &LineInput, tax_included: bool) -> LineAmounts {
    let gross = round_money(input.quantity * input.unit_price);
    let amount = round_money(input.quantity * input.unit_price * (Decimal::ONE - percent(input.discount)));
    let rate = percent(input.tax_rate);
    let (tax, total) = if tax_included {
        (round_money(amount - amount / (Decimal::ONE + rate)), amount)
    } else {
        let tax = round_money(amount * rate);
        (tax, amount + tax)
    };
    let effective_discount = match input.list_price {
        Some(list) if list > Decimal::ZERO => {
            let at_list = input.quantity * list;
            let exact = input.quantity * input.unit_price * (Decimal::ONE - percent(input.discount));
            ((Decimal::ONE - exact / at_list) * Decimal::ONE_HUNDRED)
                .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
        }
        _ => Decimal::ZERO,
    };
    LineAmounts {
        gross,
        amount,
        tax,
        total,
        effective_discount,
    }
}

/// What a quote's lines add up to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// The lines before their discounts.
    pub subtotal: Decimal,
    pub discount: Decimal,
    pub tax: Decimal,
    pub total: Decimal,
    /// The largest discount from list of any line.
    pub max_discount: Decimal,
}

pub fn totals<'a>(lines: impl IntoIterator<Item = &'a LineAmounts>) -> Totals {
    let mut t = Totals::default();
    for l in lines {
        t.subtotal += l.gross;
        t.discount += l.gross - l.amount;
        t.tax += l.tax;
        t.total += l.total;
        t.max_discount = t.max_discount.max(l.effective_discount);
    }
    t
}

/// Whether a quote discounted this far needs a manager's approval.
pub fn needs_approval(max_discount: Decimal, threshold: Decimal) -> bool {
    max_discount > threshold
}

const DIGITS: [char; 10] = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];
const UNITS: [&str; 4] = ["", "拾", "佰", "仟"];
const GROUPS: [&str; 5] = ["", "万", "亿", "万亿", "亿亿"];

/// An amount in Chinese capital numerals (大写金额), as quotes, contracts and invoices
/// write it: 12,030.50 → 壹万贰仟零叁拾元伍角整.
pub fn capital_amount(amount: Decimal) -> String {
    let mut out = String::new();
    if amount < Decimal::ZERO {
        out.push('负');
    }
    let fen = (round_money(amount.abs()) * Decimal::ONE_HUNDRED).trunc();
    let fen: u128 = fen.to_string().parse().unwrap_or(0);
    let (yuan, jiao, fen) = (fen / 100, (fen / 10 % 10) as usize, (fen % 10) as usize);
    if yuan == 0 && jiao == 0 && fen == 0 {
        return "零元整".into();
    }
    if yuan > 0 {
        let digits: Vec<usize> = yuan.to_string().bytes().map(|b| usize::from(b - b'0')).collect();
        let (mut zero, mut group) = (false, false);
        for (i, d) in digits.iter().enumerate() {
            let p = digits.len() - 1 - i;
            if *d == 0 {
                zero = true;
            } else {
                if zero {
                    out.push('零');
                }
                zero = false;
                group = true;
                out.push(DIGITS[*d]);
                out.push_str(UNITS[p % 4]);
            }
            if p.is_multiple_of(4) && p > 0 {
                if group {
                    out.push_str(GROUPS[(p / 4).min(GROUPS.len() - 1)]);
                }
                group = false;
            }
        }
        out.push('元');
    }
    if jiao == 0 && fen == 0 {
        out.push('整');
        return out;
    }
    if jiao > 0 {
        out.push(DIGITS[jiao]);
        out.push('角');
    } else if yuan > 0 {
        out.push('零');
    }
    if fen > 0 {
        out.push(DIGITS[fen]);
        out.push('分');
    } else {
        out.push('整');
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

    fn input(q: Decimal, list: Option<Decimal>, price: Decimal, disc: Decimal, tax: Decimal) -> LineInput {
        LineInput {
            quantity: q,
            list_price: list,
            unit_price: price,
            discount: disc,
            tax_rate: tax,
        }
    }

    #[test]
    fn tax_comes_on_top_of_a_net_price() {
        let l = line(&input(d("3"), Some(d("100")), d("100"), d("10"), d("13")), false);
        assert_eq!(l.gross, d("300.00"));
        assert_eq!(l.amount, d("270.00"));
        assert_eq!(l.tax, d("35.10"));
        assert_eq!(l.total, d("305.10"));
        assert_eq!(l.effective_discount, d("10.00"));
    }

    #[test]
    fn a_price_with_tax_holds_its_tax() {
        // 含税价 1130 at 13 %: 1000 net, 130 tax.
        let l = line(&input(d("1"), None, d("1130"), d("0"), d("13")), true);
        assert_eq!(l.amount, d("1130.00"));
        assert_eq!(l.tax, d("130.00"));
        assert_eq!(l.total, d("1130.00"));
        assert_eq!(l.effective_discount, d("0"));
    }

    #[test]
    fn money_is_rounded_per_line_half_away_from_zero() {
        // 3 × 0.335 = 1.005 → 1.01; the exact binary float would say 1.00.
        let l = line(&input(d("3"), None, d("0.335"), d("0"), d("0")), false);
        assert_eq!(l.amount, d("1.01"));
        let a = line(&input(d("1"), None, d("0.125"), d("0"), d("0")), false);
        let t = totals([&l, &a, &a]);
        // Lines round first, the total adds the rounded lines.
        assert_eq!(a.amount, d("0.13"));
        assert_eq!(t.total, d("1.27"));
    }

    #[test]
    fn a_lowered_unit_price_counts_as_discount_from_list() {
        // Selling at 80 what lists at 100, with 5 % off on top: 24 % below list.
        let l = line(&input(d("2"), Some(d("100")), d("80"), d("5"), d("0")), false);
        assert_eq!(l.effective_discount, d("24.00"));
        let above = line(&input(d("1"), Some(d("100")), d("110"), d("0"), d("0")), false);
        assert_eq!(above.effective_discount, d("-10.00"));
    }

    #[test]
    fn totals_add_lines_and_keep_the_largest_discount() {
        let a = line(
            &input(d("1"), Some(d("1000")), d("1000"), d("20"), d("13")),
            false,
        );
        let b = line(&input(d("10"), Some(d("50")), d("50"), d("0"), d("6")), false);
        let t = totals([&a, &b]);
        assert_eq!(t.subtotal, d("1500.00"));
        assert_eq!(t.discount, d("200.00"));
        assert_eq!(t.tax, d("134.00"));
        assert_eq!(t.total, d("1434.00"));
        assert_eq!(t.max_discount, d("20.00"));
        assert!(needs_approval(t.max_discount, d("15")));
        assert!(!needs_approval(t.max_discount, d("20")));
        assert_eq!(totals([]), Totals::default());
    }

    #[test]
    fn bad_line_numbers_name_their_field() {
        let ok = input(d("1"), None, d("1"), d("0"), d("13"));
        assert!(check_line(&ok).is_ok());
        assert_eq!(
            check_line(&LineInput {
                quantity: d("0"),
                ..ok
            })
            .unwrap_err()
            .0,
            "quantity"
        );
        assert_eq!(
            check_line(&LineInput {
                unit_price: d("-1"),
                ..ok
            })
            .unwrap_err()
            .0,
            "unit_price"
        );
        assert_eq!(
            check_line(&LineInput {
                discount: d("101"),
                ..ok
            })
            .unwrap_err()
            .0,
            "discount"
        );
        assert_eq!(
            check_line(&LineInput {
                tax_rate: d("-3"),
                ..ok
            })
            .unwrap_err()
            .0,
            "tax_rate"
        );
    }

    #[test]
    fn statuses_move_as_a_quote_lives() {
        use Status::*;
        assert_eq!(may_move(Draft, Presented, false), Ok(()));
        assert_eq!(may_move(Draft, Presented, true), Err(Msg::QuoteNeedsApproval));
        assert_eq!(may_move(Draft, Accepted, true), Err(Msg::QuoteNeedsApproval));
        assert_eq!(may_move(Approved, Presented, true), Ok(()));
        assert_eq!(may_move(Presented, Accepted, true), Ok(()));
        assert_eq!(may_move(Presented, Denied, false), Ok(()));
        assert_eq!(may_move(Denied, Draft, false), Ok(()));
        assert_eq!(may_move(Draft, Approved, false), Err(Msg::QuoteStatusByAction));
        assert_eq!(may_move(Draft, InReview, false), Err(Msg::QuoteStatusByAction));
        assert_eq!(may_move(Accepted, Ordered, false), Err(Msg::QuoteStatusByAction));
        assert_eq!(may_move(Ordered, Draft, false), Err(Msg::QuoteStatusMove));
        assert_eq!(may_move(InReview, Draft, false), Err(Msg::QuoteStatusMove));
        assert_eq!(may_move(Draft, Denied, false), Err(Msg::QuoteStatusMove));
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        assert!(Approved.orderable(true) && Accepted.orderable(true) && Presented.orderable(true));
        assert!(Draft.orderable(false) && !Draft.orderable(true));
        assert!(!Rejected.orderable(false) && !InReview.orderable(false) && !Ordered.orderable(false));
    }

    #[test]
    fn amounts_read_in_capital_numerals() {
        assert_eq!(capital_amount(d("12030.50")), "壹万贰仟零叁拾元伍角整");
        assert_eq!(capital_amount(d("100100")), "壹拾万零壹佰元整");
        assert_eq!(capital_amount(d("100001000")), "壹亿零壹仟元整");
        assert_eq!(capital_amount(d("1005.05")), "壹仟零伍元零伍分");
        assert_eq!(capital_amount(d("0.07")), "柒分");
        assert_eq!(capital_amount(d("0")), "零元整");
        assert_eq!(capital_amount(d("-3.2")), "负叁元贰角整");
        assert_eq!(capital_amount(d("1130")), "壹仟壹佰叁拾元整");
    }
}
