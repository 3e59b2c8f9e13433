//! What a record is found by: its words (jieba-segmented, folded to lower-case simplified
//! half-width), and its keys — the compact name, every pinyin spelling and its initials,
//! the company without legal form or place, phone digits and their tails, emails. The
//! same functions analyse the query, so index and query cannot disagree. Pure: no IO.

use std::collections::BTreeSet;

use guanxi_core::matching::{
    compact, company_key, fold, has_han, is_han, name_keys, phone_digits, phone_national, pinyin_initials,
    pinyin_readings,
};
use guanxi_core::values::Record;
use guanxi_core::{FieldType, ObjectDef, Value};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use uuid::Uuid;

/// Keys longer than this are not cut into prefixes (nobody types 40 characters to find a
/// record, and every prefix is a term).
pub const MAX_PREFIX: usize = 24;
/// The shortest phone tail that finds a phone ("the last four digits").
pub const MIN_PHONE_TAIL: usize = 4;

/// Lower-case, simplified, half-width words of a text: Chinese segmented by jieba (search
/// mode, so 北京华通科技 gives 北京, 华通, 科技), Latin words and numbers split at
/// punctuation ("wei.zhang@huatong.com" gives wei, zhang, huatong, com).
pub fn words(text: &str) -> Vec<String> {
    let folded = fold(text);
    let mut jieba = tantivy_jieba::JiebaTokenizer::new();
    let mut stream = jieba.token_stream(&folded);
    let mut out: Vec<String> = Vec::new();
    // Search mode repeats the parts of long words; each word counts once.
    let mut push = |w: String| {
        if !w.is_empty() && !out.contains(&w) {
            out.push(w);
        }
    };
    while stream.advance() {
        let w = &stream.token().text;
        if has_han(w) {
            push(w.chars().filter(|c| c.is_alphanumeric()).collect());
        } else {
            for part in w.split(|c: char| !c.is_alphanumeric()) {
                push(part.to_string());
            }
        }
    }
    out
}

/// The tokenizer of the `text` field: [`words`] as a tantivy token stream.
#[derive(Clone, Default)]
pub struct WordTokenizer;

pub struct WordStream {
    tokens: Vec<Token>,
    next: usize,
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordStream {
        let tokens = words(text)
            .into_iter()
            .enumerate()
            .map(|(position, text)| Token {
                offset_from: 0,
                offset_to: 0,
                position,
                text,
                position_length: 1,
            })
            .collect();
        WordStream { tokens, next: 0 }
    }
}

impl TokenStream for WordStream {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self
            .next
            .saturating_sub(1)
            .min(self.tokens.len().saturating_sub(1))]
    }

    fn token_mut(&mut self) -> &mut Token {
        let i = self
            .next
            .saturating_sub(1)
            .min(self.tokens.len().saturating_sub(1));
        &mut self.tokens[i]
    }
}

/// How a field's value is found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The record's name, or another name-like text (english_name, legal_name, company):
    /// words, compact form, pinyin, initials, company core.
    Name,
    Email,
    Phone,
    /// Any other text: its words only.
    Words,
}

/// The role of a field in search, from metadata alone; `None`: not searched.
pub fn role(object: &ObjectDef, field: &guanxi_core::FieldDef) -> Option<Role> {
    if field.system {
        return None;
    }
    match field.field_type {
        FieldType::Email => Some(Role::Email),
        FieldType::Phone => Some(Role::Phone),
        FieldType::Text
            if field.name == object.name_field || field.name.ends_with("name") || field.name == "company" =>
        {
            Some(Role::Name)
        }
        FieldType::Text | FieldType::LongText | FieldType::Url | FieldType::Tags => Some(Role::Words),
        _ => None,
    }
}

/// One record as the index holds it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Entry {
    pub object: String,
    pub id: Uuid,
    /// Texts for the word field (tokenized by the index with [`WordTokenizer`]).
    pub texts: Vec<String>,
    /// Exact keys (compact names, pinyin, initials, company cores, phones and tails, emails).
    pub keys: BTreeSet<String>,
    /// Beginnings of the keys, for results as the user types.
    pub prefixes: BTreeSet<String>,
}

/// The entry of a live record, or `None` for one in the recycle bin (which search never shows).
pub fn entry(object: &ObjectDef, record: &Record) -> Option<Entry> {
    if record.is_deleted() {
        return None;
    }
    let id = record.id()?;
    let mut e = Entry {
        object: object.name.clone(),
        id,
        ..Entry::default()
    };
    for (i, field) in object.fields.iter().enumerate() {
        let Some(role) = role(object, field) else { continue };
        let texts: Vec<&str> = match record.values.get(i) {
            Some(Value::Text(t)) => vec![t.as_str()],
            Some(Value::List(l)) => l.iter().map(String::as_str).collect(),
            _ => continue,
        };
        for t in texts {
            if t.trim().is_empty() {
                continue;
            }
            e.texts.push(t.to_string());
            match role {
                Role::Name => name(&mut e, t),
                Role::Email => email(&mut e, t),
                Role::Phone => phone(&mut e, t),
                Role::Words => {}
            }
        }
    }
    Some(e)
}

fn key(e: &mut Entry, k: String) {
    if k.is_empty() {
        return;
    }
    for p in prefixes(&k) {
        e.prefixes.insert(p);
    }
    e.keys.insert(k);
}

/// The beginnings of a key worth indexing: from one Chinese character or two other
/// characters, up to [`MAX_PREFIX`] characters, the key itself excluded.
pub fn prefixes(k: &str) -> Vec<String> {
    let chars: Vec<char> = k.chars().collect();
    let min = if chars.first().is_some_and(|c| is_han(*c)) {
        1
    } else {
        2
    };
    (min..chars.len().min(MAX_PREFIX + 1))
        .map(|n| chars[..n].iter().collect())
        .collect()
}

fn name(e: &mut Entry, t: &str) {
    for k in name_keys(t) {
        key(e, k);
    }
    for k in pinyin_readings(t) {
        key(e, k);
    }
    for k in pinyin_initials(t) {
        key(e, k);
    }
    let core = company_key(t);
    if !core.is_empty() {
        // 北京华通科技有限公司 is also found as 华通科技, and as huatongkeji.
        key(e, compact(&core));
        for k in pinyin_readings(&core) {
            key(e, k);
        }
    }
}

fn email(e: &mut Entry, t: &str) {
    let full = fold(t).trim().to_string();
    if let Some((local, _)) = full.split_once('@') {
        key(e, local.to_string());
        key(e, compact(local));
    }
    key(e, full);
}

fn phone(e: &mut Entry, t: &str) {
    let digits = phone_digits(t);
    let national = phone_national(t);
    for n in [&digits, &national] {
        let chars: Vec<char> = n.chars().collect();
        for start in 1..chars.len().saturating_sub(MIN_PHONE_TAIL - 1) {
            e.keys.insert(chars[start..].iter().collect());
        }
    }
    key(e, digits);
    key(e, national);
}

/// What a query is looked up as.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Parsed {
    /// Exact keys to look for (and, as the user types, prefixes of keys).
    pub keys: Vec<String>,
    /// Words for the word field; the last may be unfinished.
    pub words: Vec<String>,
    /// Latin words long enough to be found with one typo.
    pub fuzzy: Vec<String>,
}

/// Analyses a query the way records are analysed.
pub fn parse(q: &str) -> Parsed {
    let mut keys: Vec<String> = Vec::new();
    let mut push = |k: String| {
        if !k.is_empty() && !keys.contains(&k) {
            keys.push(k);
        }
    };
    let folded = fold(q).trim().to_string();
    push(compact(q));
    if folded.contains('@') || !folded.contains(char::is_whitespace) {
        push(folded.clone());
    }
    push(compact(&company_key(q)));
    let digits = phone_digits(q);
    let phone_like =
        digits.len() >= MIN_PHONE_TAIL && folded.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if phone_like {
        push(phone_national(q));
        push(digits);
    }
    let words = words(q);
    let fuzzy = words
        .iter()
        .filter(|w| w.chars().count() >= 5 && w.chars().all(|c| c.is_ascii_alphabetic()))
        .cloned()
        .collect();
    Parsed { keys, words, fuzzy }
}

/// Whether an entry matches a query by the same rules as the index (keys, their
/// beginnings, words, the beginning of the last word, one typo in long Latin words).
/// Used to check a match against only the fields a searcher may read.
pub fn matches(q: &Parsed, e: &Entry) -> bool {
    if q.keys
        .iter()
        .any(|k| e.keys.contains(k) || e.prefixes.contains(k))
    {
        return true;
    }
    let mut have: Vec<String> = Vec::new();
    for t in &e.texts {
        for w in words(t) {
            if !have.contains(&w) {
                have.push(w);
            }
        }
    }
    if q.words.iter().any(|w| have.contains(w)) {
        return true;
    }
    if let Some(last) = q.words.last()
        && have.iter().any(|w| w.starts_with(last.as_str()))
    {
        return true;
    }
    let typo = |w: &str| have.iter().chain(e.keys.iter()).any(|h| within_one(w, h));
    q.fuzzy.iter().any(|w| typo(w))
        || q.keys
            .first()
            .is_some_and(|k| k.chars().count() >= 5 && k.chars().all(|c| c.is_ascii_alphabetic()) && typo(k))
}

/// Damerau–Levenshtein distance of at most one (one insertion, deletion, substitution or
/// transposition of neighbours).
fn within_one(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a == b {
        return true;
    }
    let (short, long) = if a.len() <= b.len() { (&a, &b) } else { (&b, &a) };
    match long.len() - short.len() {
        0 => {
            let diff: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
            match diff.as_slice() {
                [_] => true,
                [i, j] => *j == i + 1 && a[*i] == b[*j] && a[*j] == b[*i],
                _ => false,
            }
        }
        1 => {
            let i = (0..short.len())
                .find(|&i| short[i] != long[i])
                .unwrap_or(short.len());
            short[i..] == long[i + 1..]
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use guanxi_core::builtin::standard_objects;
    use guanxi_core::values::sys;

    fn contact(values: &[(&str, &str)]) -> Entry {
        let objects = standard_objects();
        let def = objects.iter().find(|o| o.name == "contact").unwrap();
        let mut r = Record {
            values: vec![Value::Null; def.fields.len()],
        };
        r.values[sys::ID] = Value::Uuid(Uuid::now_v7());
        for (name, v) in values {
            let i = def.fields.iter().position(|f| &f.name == name).unwrap();
            r.values[i] = Value::Text((*v).into());
        }
        entry(def, &r).unwrap()
    }

    #[test]
    fn chinese_is_segmented_and_folded() {
        let w = words("北京華通科技有限公司");
        assert!(w.contains(&"华通".to_string()), "{w:?}");
        assert!(w.contains(&"科技".to_string()), "{w:?}");
        assert_eq!(words("Wei.Zhang@HuaTong.com"), ["wei", "zhang", "huatong", "com"]);
    }

    #[test]
    fn names_have_pinyin_initials_and_every_reading() {
        let e = contact(&[("name", "曾伟")]);
        for k in ["曾伟", "zengwei", "cengwei", "zw", "cw"] {
            assert!(e.keys.contains(k), "{k} in {:?}", e.keys);
        }
        assert!(e.prefixes.contains("zengw"));
        assert!(e.prefixes.contains("曾"));
        let e = contact(&[("name", "單偉")]);
        assert!(
            e.keys.contains("shanwei") && e.keys.contains("danwei"),
            "{:?}",
            e.keys
        );
    }

    #[test]
    fn phones_by_digits_and_tails() {
        let e = contact(&[("mobile", "+86 138-1234-5678")]);
        for k in ["13812345678", "8613812345678", "5678", "45678", "2345678"] {
            assert!(e.keys.contains(k), "{k} in {:?}", e.keys);
        }
        assert!(!e.keys.contains("678"));
        assert!(e.prefixes.contains("1381234"));
        let q = parse("138 1234 5678");
        assert!(q.keys.contains(&"13812345678".to_string()), "{q:?}");
    }

    #[test]
    fn emails_whole_and_local() {
        let e = contact(&[("email", "Wei.Zhang@HuaTong.com")]);
        assert!(e.keys.contains("wei.zhang@huatong.com"));
        assert!(e.keys.contains("wei.zhang"));
        assert!(e.prefixes.contains("wei.zh"));
        assert!(
            parse("wei.zhang@huatong.com")
                .keys
                .contains(&"wei.zhang@huatong.com".to_string())
        );
    }

    #[test]
    fn companies_without_legal_form_or_place() {
        let objects = standard_objects();
        let def = objects.iter().find(|o| o.name == "account").unwrap();
        let mut r = Record {
            values: vec![Value::Null; def.fields.len()],
        };
        r.values[sys::ID] = Value::Uuid(Uuid::now_v7());
        let i = def.fields.iter().position(|f| f.name == "name").unwrap();
        r.values[i] = Value::Text("北京华通科技有限公司".into());
        let e = entry(def, &r).unwrap();
        assert!(e.keys.contains("华通科技"), "{:?}", e.keys);
        assert!(e.keys.contains("huatongkeji"), "{:?}", e.keys);
        assert!(
            parse("華通科技股份有限公司")
                .keys
                .contains(&"华通科技".to_string())
        );
        assert!(
            parse("Huatong Technology Co., Ltd.")
                .keys
                .contains(&"huatongtechnology".to_string())
        );
    }

    #[test]
    fn an_entry_matches_as_the_index_would() {
        let e = contact(&[("name", "Jonathan Miller"), ("mobile", "13812345678")]);
        for q in ["jonathan", "Jonathon", "jonat", "5678", "mil"] {
            assert!(matches(&parse(q), &e), "{q}");
        }
        for q in ["smith", "1111", "zhang"] {
            assert!(!matches(&parse(q), &e), "{q}");
        }
        assert!(within_one("jonahtan", "jonathan"));
        assert!(within_one("miler", "miller"));
        assert!(!within_one("mlr", "miller"));
    }

    #[test]
    fn long_latin_words_are_fuzzy() {
        assert_eq!(parse("Jonathan Li").fuzzy, ["jonathan"]);
        assert!(parse("张伟").fuzzy.is_empty());
    }

    #[test]
    fn the_recycle_bin_is_not_indexed() {
        let objects = standard_objects();
        let def = objects.iter().find(|o| o.name == "contact").unwrap();
        let mut r = Record {
            values: vec![Value::Null; def.fields.len()],
        };
        r.values[sys::ID] = Value::Uuid(Uuid::now_v7());
        r.values[sys::DELETED_AT] = Value::DateTime(chrono_now());
        assert!(entry(def, &r).is_none());
    }

    fn chrono_now() -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap()
    }
}
