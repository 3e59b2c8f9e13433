//! Whether two records describe the same person or company: a score from 0 to 100 and
//! the reasons behind it, each with the points it gave or took. Pure — the facts come
//! from the caller; the folding (scripts, pinyin, company cores, phone digits) is
//! `matching`'s, so duplicate detection and search agree on what "the same name" is.
//!
//! Evidence is weighed, never a single rule: a switchboard number shared by colleagues
//! or a common name like 张伟 adds a little, a different company or a clearly different
//! name takes away, and only personal identifiers (email, mobile) weigh much.

use std::collections::HashSet;

use crate::Msg;
use crate::i18n::Locale;
use crate::matching::{compact, company_key, company_place, fold, has_han, name_keys, phone_national};

/// What kind of thing the records describe: people (contacts, leads) or companies (accounts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Person,
    Company,
}

/// The facts of one record that duplicate detection compares. Every list may be empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    /// The record's names: a person's name and other spellings of it (English name), or a
    /// company's name and legal name.
    pub names: Vec<String>,
    /// The company a person works for (account name, or a lead's company text).
    pub company: Option<String>,
    pub emails: Vec<String>,
    /// Phone numbers as stored or written, any field; mobiles and landlines are told apart
    /// by the number itself (see [`is_mobile`]).
    pub phones: Vec<String>,
    /// Website addresses; compared by their domain.
    pub websites: Vec<String>,
    pub city: Option<String>,
}

/// Why two records look alike (or not). Codes are stable (API, CSV); the text is rendered
/// through the message catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReasonCode {
    SameEmail,
    SameMobile,
    /// The same landline: colleagues behind one switchboard share it, so it counts little
    /// for people (for companies it is the company's own number).
    SharedPhone,
    SameName,
    /// The same name in another script, spacing, order or pinyin (张伟 / Zhang Wei).
    SimilarName,
    DifferentName,
    SameCompany,
    DifferentCompany,
    /// The same company name but another place in it (北京华通 / 上海华通: branches).
    DifferentPlace,
    SameWebsite,
    SameCity,
    DifferentCity,
}

impl ReasonCode {
    pub fn code(self) -> &'static str {
        match self {
            ReasonCode::SameEmail => "same_email",
            ReasonCode::SameMobile => "same_mobile",
            ReasonCode::SharedPhone => "shared_phone",
            ReasonCode::SameName => "same_name",
            ReasonCode::SimilarName => "similar_name",
            ReasonCode::DifferentName => "different_name",
            ReasonCode::SameCompany => "same_company",
            ReasonCode::DifferentCompany => "different_company",
            ReasonCode::DifferentPlace => "different_place",
            ReasonCode::SameWebsite => "same_website",
            ReasonCode::SameCity => "same_city",
            ReasonCode::DifferentCity => "different_city",
        }
    }

    pub fn msg(self) -> Msg {
        match self {
            ReasonCode::SameEmail => Msg::DupSameEmail,
            ReasonCode::SameMobile => Msg::DupSameMobile,
            ReasonCode::SharedPhone => Msg::DupSharedPhone,
            ReasonCode::SameName => Msg::DupSameName,
            ReasonCode::SimilarName => Msg::DupSimilarName,
            ReasonCode::DifferentName => Msg::DupDifferentName,
            ReasonCode::SameCompany => Msg::DupSameCompany,
            ReasonCode::DifferentCompany => Msg::DupDifferentCompany,
            ReasonCode::DifferentPlace => Msg::DupDifferentPlace,
            ReasonCode::SameWebsite => Msg::DupSameWebsite,
            ReasonCode::SameCity => Msg::DupSameCity,
            ReasonCode::DifferentCity => Msg::DupDifferentCity,
        }
    }
}

/// One reason: its code, the points it gave (negative: took), and the values it is about
/// (`value` for the shared one; `a`/`b` for the two that differ or match loosely).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reason {
    pub code: ReasonCode,
    pub points: i32,
    pub a: String,
    pub b: String,
}

impl Reason {
    fn new(code: ReasonCode, points: i32, a: &str, b: &str) -> Reason {
        Reason {
            code,
            points,
            a: a.to_string(),
            b: b.to_string(),
        }
    }

    /// The reason as a sentence in `locale`.
    pub fn render(&self, locale: Locale) -> String {
        self.code
            .msg()
            .format(locale, &[("value", &self.a), ("a", &self.a), ("b", &self.b)])
    }
}

/// A score (0–100) and the reasons that make it, strongest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Score {
    pub score: u8,
    pub reasons: Vec<Reason>,
}

impl Score {
    /// The codes, `;`-separated (CSV).
    pub fn codes(&self) -> String {
        self.reasons
            .iter()
            .map(|r| r.code.code())
            .collect::<Vec<_>>()
            .join(";")
    }
}

/// Points of each kind of evidence. Personal identifiers decide; names and companies
/// support or contradict; landlines and cities only tip the balance.
mod points {
    pub const EMAIL: i32 = 60;
    pub const MOBILE: i32 = 55;
    pub const SHARED_PHONE_PERSON: i32 = 10;
    pub const PHONE_COMPANY: i32 = 30;
    pub const SAME_NAME: i32 = 35;
    pub const SIMILAR_NAME: i32 = 28;
    /// Two Chinese names that only sound alike (刘燕 / 陆艳, 陆 also read liù): other characters.
    pub const HOMOPHONE_NAME: i32 = 10;
    pub const DIFFERENT_NAME: i32 = -40;
    pub const SAME_COMPANY: i32 = 20;
    pub const DIFFERENT_COMPANY: i32 = -30;
    pub const COMPANY_NAME: i32 = 55;
    pub const DIFFERENT_PLACE: i32 = -30;
    pub const WEBSITE_PERSON: i32 = 5;
    pub const WEBSITE_COMPANY: i32 = 35;
    pub const EMAIL_COMPANY: i32 = 25;
    pub const SAME_CITY: i32 = 5;
    pub const DIFFERENT_CITY: i32 = -15;
}

/// The folded email (emails compare case-insensitively, surrounding spaces ignored).
pub fn email_key(email: &str) -> String {
    fold(email.trim())
}

/// True for a mobile number: a Chinese mobile (11 digits from 13–19) once the country
/// code is gone. Everything else counts as a landline that may be shared.
pub fn is_mobile(phone: &str) -> bool {
    let n = phone_national(phone);
    n.len() == 11 && n.starts_with('1') && matches!(n.as_bytes().get(1), Some(b'3'..=b'9'))
}

/// The host of a website without `www.` and scheme (`https://www.Huatong.cn/about` → huatong.cn).
pub fn domain(website: &str) -> String {
    let w = fold(website.trim());
    let w = w.split("://").nth(1).unwrap_or(&w);
    let host = w.split(['/', '?', '#', ':']).next().unwrap_or("");
    host.strip_prefix("www.").unwrap_or(host).to_string()
}

fn keys_of(values: &[String], key: impl Fn(&str) -> String) -> Vec<(String, &str)> {
    values
        .iter()
        .map(|v| (key(v), v.as_str()))
        .filter(|(k, _)| !k.is_empty())
        .collect()
}

/// The first value both lists share, by key.
fn shared<'a>(a: &[(String, &'a str)], b: &[(String, &str)]) -> Option<&'a str> {
    a.iter()
        .find(|(k, _)| b.iter().any(|(l, _)| l == k))
        .map(|(_, v)| *v)
}

/// How alike two records are. Symmetric; a record with any identifying fact is a perfect
/// duplicate of itself only if the facts say so (same email and name → 100).
pub fn score(kind: Kind, a: &Facts, b: &Facts) -> Score {
    let mut reasons = Vec::new();
    match kind {
        Kind::Person => person(a, b, &mut reasons),
        Kind::Company => company(a, b, &mut reasons),
    }
    let total: i32 = reasons.iter().map(|r| r.points).sum();
    reasons.sort_by(|x, y| y.points.cmp(&x.points).then(x.code.cmp(&y.code)));
    Score {
        score: u8::try_from(total.clamp(0, 100)).unwrap_or(0),
        reasons,
    }
}

fn person(a: &Facts, b: &Facts, out: &mut Vec<Reason>) {
    let (ea, eb) = (keys_of(&a.emails, email_key), keys_of(&b.emails, email_key));
    if let Some(e) = shared(&ea, &eb) {
        out.push(Reason::new(ReasonCode::SameEmail, points::EMAIL, e, e));
    }
    let mobiles = |f: &Facts| {
        let list: Vec<String> = f.phones.iter().filter(|p| is_mobile(p)).cloned().collect();
        list
    };
    let landlines = |f: &Facts| {
        let list: Vec<String> = f.phones.iter().filter(|p| !is_mobile(p)).cloned().collect();
        list
    };
    let (ma, mb) = (mobiles(a), mobiles(b));
    let (ka, kb) = (keys_of(&ma, phone_national), keys_of(&mb, phone_national));
    if let Some(m) = shared(&ka, &kb) {
        out.push(Reason::new(ReasonCode::SameMobile, points::MOBILE, m, m));
    }
    let (la, lb) = (landlines(a), landlines(b));
    let (ka, kb) = (keys_of(&la, phone_national), keys_of(&lb, phone_national));
    if let Some(p) = shared(&ka, &kb) {
        out.push(Reason::new(
            ReasonCode::SharedPhone,
            points::SHARED_PHONE_PERSON,
            p,
            p,
        ));
    }
    names(a, b, out);
    match (
        a.company.as_deref().map(|c| (company_key(c), c)),
        b.company.as_deref().map(|c| (company_key(c), c)),
    ) {
        (Some((ka, ca)), Some((kb, cb))) if !ka.is_empty() && !kb.is_empty() => {
            if ka == kb {
                out.push(Reason::new(ReasonCode::SameCompany, points::SAME_COMPANY, ca, cb));
            } else {
                out.push(Reason::new(
                    ReasonCode::DifferentCompany,
                    points::DIFFERENT_COMPANY,
                    ca,
                    cb,
                ));
            }
        }
        _ => {}
    }
    let (wa, wb) = (keys_of(&a.websites, domain), keys_of(&b.websites, domain));
    if let Some(w) = shared(&wa, &wb) {
        out.push(Reason::new(ReasonCode::SameWebsite, points::WEBSITE_PERSON, w, w));
    }
    city(a, b, out);
}

/// Names: the same compact form, or a shared pinyin/word-order key, or — when both have a
/// name and none of their keys meet — different names.
fn names(a: &Facts, b: &Facts, out: &mut Vec<Reason>) {
    let compact_a: Vec<(String, &str)> = keys_of(&a.names, compact);
    let compact_b: Vec<(String, &str)> = keys_of(&b.names, compact);
    if compact_a.is_empty() || compact_b.is_empty() {
        return;
    }
    if let Some((ka, va)) = compact_a
        .iter()
        .find(|(k, _)| compact_b.iter().any(|(l, _)| l == k))
    {
        let vb = compact_b.iter().find(|(l, _)| l == ka).map_or(*va, |(_, v)| *v);
        out.push(Reason::new(ReasonCode::SameName, points::SAME_NAME, va, vb));
        return;
    }
    for na in &a.names {
        let ka: HashSet<String> = name_keys(na).into_iter().collect();
        for nb in &b.names {
            if name_keys(nb).iter().any(|k| ka.contains(k)) {
                let points = if has_han(na) && has_han(nb) {
                    points::HOMOPHONE_NAME
                } else {
                    points::SIMILAR_NAME
                };
                out.push(Reason::new(ReasonCode::SimilarName, points, na, nb));
                return;
            }
        }
    }
    out.push(Reason::new(
        ReasonCode::DifferentName,
        points::DIFFERENT_NAME,
        compact_a[0].1,
        compact_b[0].1,
    ));
}

fn city(a: &Facts, b: &Facts, out: &mut Vec<Reason>) {
    let key = |c: &Option<String>| {
        c.as_deref()
            .map(|c| {
                let k = compact(c);
                k.strip_suffix('市').map(str::to_string).unwrap_or(k)
            })
            .filter(|k| !k.is_empty())
    };
    if let (Some(ka), Some(kb)) = (key(&a.city), key(&b.city)) {
        let (ca, cb) = (a.city.as_deref().unwrap_or(""), b.city.as_deref().unwrap_or(""));
        if ka == kb {
            out.push(Reason::new(ReasonCode::SameCity, points::SAME_CITY, ca, cb));
        } else {
            out.push(Reason::new(
                ReasonCode::DifferentCity,
                points::DIFFERENT_CITY,
                ca,
                cb,
            ));
        }
    }
}

fn company(a: &Facts, b: &Facts, out: &mut Vec<Reason>) {
    let (ka, kb) = (keys_of(&a.names, company_key), keys_of(&b.names, company_key));
    if !ka.is_empty() && !kb.is_empty() {
        match ka
            .iter()
            .find_map(|(k, va)| kb.iter().find(|(l, _)| l == k).map(|(_, vb)| (*va, *vb)))
        {
            Some((va, vb)) => {
                out.push(Reason::new(ReasonCode::SameCompany, points::COMPANY_NAME, va, vb));
                if let (Some(pa), Some(pb)) = (company_place(va), company_place(vb))
                    && pa != pb
                {
                    out.push(Reason::new(
                        ReasonCode::DifferentPlace,
                        points::DIFFERENT_PLACE,
                        pa,
                        pb,
                    ));
                }
            }
            None => out.push(Reason::new(
                ReasonCode::DifferentName,
                points::DIFFERENT_NAME,
                ka[0].1,
                kb[0].1,
            )),
        }
    }
    let (pa, pb) = (
        keys_of(&a.phones, phone_national),
        keys_of(&b.phones, phone_national),
    );
    if let Some(p) = shared(&pa, &pb) {
        out.push(Reason::new(ReasonCode::SharedPhone, points::PHONE_COMPANY, p, p));
    }
    let (ea, eb) = (keys_of(&a.emails, email_key), keys_of(&b.emails, email_key));
    if let Some(e) = shared(&ea, &eb) {
        out.push(Reason::new(ReasonCode::SameEmail, points::EMAIL_COMPANY, e, e));
    }
    let (wa, wb) = (keys_of(&a.websites, domain), keys_of(&b.websites, domain));
    if let Some(w) = shared(&wa, &wb) {
        out.push(Reason::new(
            ReasonCode::SameWebsite,
            points::WEBSITE_COMPANY,
            w,
            w,
        ));
    }
    city(a, b, out);
}

/// The keys a record is filed under for batch detection: two records can only score
/// above zero on a strong fact if they share one. Prefixed by kind of key.
pub fn blocking_keys(kind: Kind, f: &Facts) -> Vec<String> {
    let mut keys = Vec::new();
    for e in &f.emails {
        let k = email_key(e);
        if !k.is_empty() {
            keys.push(format!("e:{k}"));
        }
    }
    for p in &f.phones {
        let k = phone_national(p);
        if k.len() >= 5 {
            keys.push(format!("p:{k}"));
        }
    }
    match kind {
        Kind::Person => {
            let company = f.company.as_deref().map(company_key).unwrap_or_default();
            for n in &f.names {
                for k in name_keys(n) {
                    // A name alone is filed with its company: 张伟 at every company is no block.
                    keys.push(format!("n:{k}|{company}"));
                }
            }
        }
        Kind::Company => {
            for n in &f.names {
                let k = company_key(n);
                if !k.is_empty() {
                    keys.push(format!("c:{k}"));
                }
            }
            for w in &f.websites {
                let d = domain(w);
                if !d.is_empty() {
                    keys.push(format!("w:{d}"));
                }
            }
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn person(name: &str, company: &str, email: &str, phones: &[&str]) -> Facts {
        Facts {
            names: vec![name.into()],
            company: (!company.is_empty()).then(|| company.into()),
            emails: if email.is_empty() {
                vec![]
            } else {
                vec![email.into()]
            },
            phones: phones.iter().map(|p| p.to_string()).collect(),
            ..Facts::default()
        }
    }

    fn codes(s: &Score) -> Vec<ReasonCode> {
        s.reasons.iter().map(|r| r.code).collect()
    }

    #[test]
    fn same_person_across_scripts_and_email_case() {
        let a = person(
            "张伟",
            "北京华通科技有限公司",
            "Zhang.Wei@Huatong.cn",
            &["+8613800138000"],
        );
        let b = person(
            "Wei Zhang",
            "华通科技（北京）",
            "zhang.wei@huatong.cn",
            &["138 0013 8000"],
        );
        let s = score(Kind::Person, &a, &b);
        assert!(s.score >= 90, "{s:?}");
        assert!(codes(&s).contains(&ReasonCode::SameEmail));
        assert!(codes(&s).contains(&ReasonCode::SameMobile));
        assert!(codes(&s).contains(&ReasonCode::SimilarName));
        assert!(codes(&s).contains(&ReasonCode::SameCompany));
        let t = score(
            Kind::Person,
            &person("張偉", "", "", &[]),
            &person("张 伟", "", "", &[]),
        );
        assert_eq!(codes(&t), vec![ReasonCode::SameName]);
    }

    #[test]
    fn colleagues_behind_one_switchboard_are_not_duplicates() {
        let a = person("张伟", "华通科技", "", &["010-6552 9988"]);
        let b = person("李娜", "华通科技有限公司", "", &["+86 10 6552 9988"]);
        let s = score(Kind::Person, &a, &b);
        assert_eq!(s.score, 0, "{s:?}");
        assert!(codes(&s).contains(&ReasonCode::SharedPhone));
        assert!(codes(&s).contains(&ReasonCode::DifferentName));
    }

    #[test]
    fn two_people_called_zhang_wei_at_different_companies_are_not_duplicates() {
        let a = person("张伟", "华通科技", "", &[]);
        let b = person("张伟", "远大机械", "", &[]);
        let s = score(Kind::Person, &a, &b);
        assert!(s.score < 20, "{s:?}");
        assert!(codes(&s).contains(&ReasonCode::DifferentCompany));
        // Same name, same company: worth a look.
        let c = person("张伟", "华通科技有限公司", "", &[]);
        assert!(score(Kind::Person, &a, &c).score >= 50);
    }

    #[test]
    fn companies_across_suffix_city_and_bracket_variants() {
        let f = |n: &str| Facts {
            names: vec![n.into()],
            ..Facts::default()
        };
        let s = score(
            Kind::Company,
            &f("北京华通科技有限公司"),
            &f("华通科技（北京）有限公司"),
        );
        assert!(s.score >= 50, "{s:?}");
        let t = score(
            Kind::Company,
            &f("北京华通科技有限公司"),
            &f("上海华通科技有限公司"),
        );
        assert!(t.score < 50, "{t:?}");
        assert!(codes(&t).contains(&ReasonCode::DifferentPlace));
        let u = score(Kind::Company, &f("华通科技"), &f("远大机械"));
        assert_eq!(u.score, 0);
    }

    #[test]
    fn chinese_names_that_only_sound_alike_are_weak_evidence() {
        let a = person("刘燕", "华通科技", "", &[]);
        let b = person("陆艳", "华通科技", "", &[]);
        let s = score(Kind::Person, &a, &b);
        assert!(s.score < 50, "{s:?}");
        assert_eq!(codes(&s)[0], ReasonCode::SameCompany);
    }

    #[test]
    fn mobiles_and_landlines_are_told_apart() {
        assert!(is_mobile("+86 138 0013 8000"));
        assert!(is_mobile("13800138000"));
        assert!(!is_mobile("010 6552 9988"));
        assert!(!is_mobile("+86 10 6552 9988"));
        assert_eq!(domain("https://www.Huatong.cn/about"), "huatong.cn");
    }

    #[test]
    fn reasons_render_in_every_language() {
        let a = person("张伟", "", "a@b.cn", &[]);
        let s = score(Kind::Person, &a, &a);
        assert_eq!(s.score, 95);
        for l in Locale::ALL {
            assert!(s.reasons.iter().all(|r| !r.render(l).contains('{')));
        }
        assert_eq!(s.codes(), "same_email;same_name");
    }

    fn facts() -> impl Strategy<Value = Facts> {
        let name = prop::sample::select(vec!["张伟", "張偉", "Zhang Wei", "李娜", "王芳", "Li Na", ""]);
        let company = prop::sample::select(vec!["", "华通科技", "北京华通科技有限公司", "远大机械"]);
        let email = prop::sample::select(vec!["", "a@x.cn", "A@X.cn", "b@y.cn"]);
        let phone = prop::sample::select(vec![
            "13800138000",
            "+86 138 0013 8000",
            "010 6552 9988",
            "021 5555 1234",
        ]);
        let city = prop::sample::select(vec!["", "北京", "北京市", "上海"]);
        (name, company, email, prop::collection::vec(phone, 0..3), city).prop_map(|(n, c, e, p, city)| {
            Facts {
                names: if n.is_empty() { vec![] } else { vec![n.into()] },
                company: (!c.is_empty()).then(|| c.into()),
                emails: if e.is_empty() { vec![] } else { vec![e.into()] },
                phones: p.into_iter().map(str::to_string).collect(),
                websites: vec![],
                city: (!city.is_empty()).then(|| city.into()),
            }
        })
    }

    proptest! {
        #[test]
        fn score_is_symmetric(a in facts(), b in facts(), company in any::<bool>()) {
            let kind = if company { Kind::Company } else { Kind::Person };
            prop_assert_eq!(score(kind, &a, &b).score, score(kind, &b, &a).score);
        }

        #[test]
        fn a_record_is_at_least_as_alike_to_itself_as_to_anything(a in facts(), b in facts()) {
            let own = score(Kind::Person, &a, &a);
            prop_assert!(own.reasons.iter().all(|r| r.points > 0));
            // With a personal identifier, a record is a duplicate of itself.
            if !a.emails.is_empty() || a.phones.iter().any(|p| is_mobile(p)) {
                prop_assert!(own.score >= 55);
            }
            let _ = b;
        }

        #[test]
        fn records_that_score_share_a_blocking_key(a in facts(), b in facts()) {
            for kind in [Kind::Person, Kind::Company] {
                let s = score(kind, &a, &b);
                if s.score >= 50 {
                    let ka = blocking_keys(kind, &a);
                    let kb = blocking_keys(kind, &b);
                    prop_assert!(ka.iter().any(|k| kb.contains(k)), "{:?} {:?} {:?}", a, b, s);
                }
            }
        }
    }
}
