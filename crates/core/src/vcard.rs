//! vCard 4.0 (RFC 6350) for contacts: written with escaping, CRLF and lines folded at 75
//! octets on character boundaries; read back tolerant of what other programs write
//! (folded lines, escapes, `TYPE=` in any case, vCard 3.0 `TEL;TYPE=CELL:` values).

use chrono::NaiveDate;

/// What a contact carries in a vCard.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Card {
    /// `urn:uuid:…` of the record it came from.
    pub uid: Option<String>,
    pub full_name: String,
    pub family: String,
    pub given: String,
    pub nickname: Option<String>,
    pub org: Option<String>,
    pub department: Option<String>,
    pub title: Option<String>,
    pub mobile: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub wechat: Option<String>,
    pub street: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub birthday: Option<NaiveDate>,
    pub note: Option<String>,
}

/// Two-character Chinese surnames; other Chinese names take their first character.
const COMPOUND_SURNAMES: [&str; 16] = [
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "令狐", "慕容", "夏侯", "尉迟", "公孙", "长孙", "宇文",
    "司徒", "端木", "歐陽",
];

fn is_cjk(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{3400}'..='\u{4dbf}').contains(&c)
}

/// A name's family and given parts: Chinese names surname first (compound surnames
/// known), others family name last.
pub fn split_name(name: &str) -> (String, String) {
    let name = name.trim();
    if name.chars().next().is_some_and(is_cjk) && !name.contains(' ') {
        let n = if COMPOUND_SURNAMES.iter().any(|s| name.starts_with(s)) && name.chars().count() > 2 {
            2
        } else {
            1
        };
        let family: String = name.chars().take(n).collect();
        let given: String = name.chars().skip(n).collect();
        return (family, given);
    }
    match name.rsplit_once(' ') {
        Some((given, family)) => (family.to_string(), given.to_string()),
        None => (name.to_string(), String::new()),
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ',' => out.push_str("\\,"),
            ';' => out.push_str("\\;"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// One content line, folded so no line exceeds 75 octets (never inside a character).
fn line(out: &mut String, text: &str) {
    let mut width = 0;
    for c in text.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

/// Cards as a vCard 4.0 stream.
pub fn write(cards: &[Card]) -> String {
    let mut out = String::new();
    for c in cards {
        line(&mut out, "BEGIN:VCARD");
        line(&mut out, "VERSION:4.0");
        if let Some(uid) = &c.uid {
            line(&mut out, &format!("UID:{uid}"));
        }
        line(&mut out, &format!("FN:{}", escape(&c.full_name)));
        line(
            &mut out,
            &format!("N:{};{};;;", escape(&c.family), escape(&c.given)),
        );
        if let Some(n) = &c.nickname {
            line(&mut out, &format!("NICKNAME:{}", escape(n)));
        }
        match (&c.org, &c.department) {
            (Some(o), Some(d)) => line(&mut out, &format!("ORG:{};{}", escape(o), escape(d))),
            (Some(o), None) => line(&mut out, &format!("ORG:{}", escape(o))),
            (None, Some(d)) => line(&mut out, &format!("ORG:;{}", escape(d))),
            (None, None) => {}
        }
        if let Some(t) = &c.title {
            line(&mut out, &format!("TITLE:{}", escape(t)));
        }
        if let Some(m) = &c.mobile {
            line(&mut out, &format!("TEL;VALUE=uri;TYPE=cell:tel:{m}"));
        }
        if let Some(p) = &c.phone {
            line(&mut out, &format!("TEL;VALUE=uri;TYPE=work:tel:{p}"));
        }
        if let Some(e) = &c.email {
            line(&mut out, &format!("EMAIL;TYPE=work:{e}"));
        }
        if let Some(w) = &c.wechat {
            line(&mut out, &format!("IMPP:x-wechat:{}", escape(w)));
        }
        if c.street.is_some() || c.city.is_some() || c.region.is_some() {
            let part = |p: &Option<String>| p.as_deref().map(escape).unwrap_or_default();
            line(
                &mut out,
                &format!(
                    "ADR;TYPE=work:;;{};{};{};;",
                    part(&c.street),
                    part(&c.city),
                    part(&c.region)
                ),
            );
        }
        if let Some(b) = c.birthday {
            line(&mut out, &format!("BDAY:{}", b.format("%Y%m%d")));
        }
        if let Some(n) = &c.note {
            line(&mut out, &format!("NOTE:{}", escape(n)));
        }
        line(&mut out, "END:VCARD");
    }
    out
}

/// Why a vCard stream could not be read: the (unfolded) line it stopped at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub reason: &'static str,
}

/// Splits a value on an unescaped separator and unescapes each part.
fn components(value: &str, sep: char) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n' | 'N') => parts.last_mut().map(|p| p.push('\n')).unwrap_or(()),
                Some(other) => parts.last_mut().map(|p| p.push(other)).unwrap_or(()),
                None => {}
            },
            c if c == sep => parts.push(String::new()),
            c => parts.last_mut().map(|p| p.push(c)).unwrap_or(()),
        }
    }
    parts
}

fn some(s: String) -> Option<String> {
    let t = s.trim().to_string();
    (!t.is_empty()).then_some(t)
}

/// Reads every card of a vCard stream (3.0 or 4.0).
pub fn parse(text: &str) -> Result<Vec<Card>, ParseError> {
    // Unfold: a line starting with a space or tab continues the previous one.
    let mut lines: Vec<(usize, String)> = Vec::new();
    for (i, raw) in text.trim_start_matches('\u{feff}').split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(rest) = raw.strip_prefix([' ', '\t']) {
            match lines.last_mut() {
                Some((_, l)) => l.push_str(rest),
                None => {
                    return Err(ParseError {
                        line: i + 1,
                        reason: "continuation without a line",
                    });
                }
            }
        } else if !raw.trim().is_empty() {
            lines.push((i + 1, raw.to_string()));
        }
    }
    let mut cards = Vec::new();
    let mut current: Option<Card> = None;
    for (n, l) in lines {
        let Some((head, value)) = l.split_once(':') else {
            return Err(ParseError {
                line: n,
                reason: "no ':' in the line",
            });
        };
        let mut params = head.split(';');
        let name = params.next().unwrap_or("").to_ascii_uppercase();
        // A group prefix (item1.TEL) is dropped.
        let name = name.rsplit('.').next().unwrap_or("").to_string();
        let types: Vec<String> = params
            .flat_map(|p| {
                let (k, v) = p.split_once('=').unwrap_or(("TYPE", p));
                if k.eq_ignore_ascii_case("TYPE") {
                    v.trim_matches('"')
                        .split(',')
                        .map(str::to_ascii_lowercase)
                        .collect()
                } else {
                    Vec::new()
                }
            })
            .collect();
        match name.as_str() {
            "BEGIN" if value.eq_ignore_ascii_case("VCARD") => {
                if current.is_some() {
                    return Err(ParseError {
                        line: n,
                        reason: "BEGIN inside a card",
                    });
                }
                current = Some(Card::default());
                continue;
            }
            "END" if value.eq_ignore_ascii_case("VCARD") => match current.take() {
                Some(c) => {
                    cards.push(c);
                    continue;
                }
                None => {
                    return Err(ParseError {
                        line: n,
                        reason: "END without BEGIN",
                    });
                }
            },
            _ => {}
        }
        let Some(card) = current.as_mut() else {
            return Err(ParseError {
                line: n,
                reason: "a property outside a card",
            });
        };
        let text = || components(value, '\u{0}').into_iter().next().unwrap_or_default();
        match name.as_str() {
            "UID" => card.uid = some(value.to_string()),
            "FN" => card.full_name = text().trim().to_string(),
            "N" => {
                let p = components(value, ';');
                card.family = p.first().cloned().unwrap_or_default().trim().to_string();
                card.given = p.get(1).cloned().unwrap_or_default().trim().to_string();
            }
            "NICKNAME" => card.nickname = some(text()),
            "ORG" => {
                let p = components(value, ';');
                card.org = p.first().cloned().and_then(some);
                card.department = p.get(1).cloned().and_then(some);
            }
            "TITLE" => card.title = some(text()),
            "TEL" => {
                let number = value.trim();
                let number = number.strip_prefix("tel:").unwrap_or(number).to_string();
                if types.iter().any(|t| t == "cell") && card.mobile.is_none() {
                    card.mobile = some(number);
                } else if card.phone.is_none() {
                    card.phone = some(number);
                } else if card.mobile.is_none() {
                    card.mobile = some(number);
                }
            }
            "EMAIL" if card.email.is_none() => card.email = some(text()),
            "IMPP" => {
                let v = text();
                if let Some(id) = v.strip_prefix("x-wechat:").or_else(|| v.strip_prefix("weixin:")) {
                    card.wechat = some(id.to_string());
                }
            }
            "X-WECHAT" => card.wechat = some(text()),
            "ADR" if card.city.is_none() && card.street.is_none() => {
                let p = components(value, ';');
                card.street = p.get(2).cloned().and_then(some);
                card.city = p.get(3).cloned().and_then(some);
                card.region = p.get(4).cloned().and_then(some);
            }
            "BDAY" => {
                let v = value.trim();
                card.birthday = NaiveDate::parse_from_str(v, "%Y%m%d")
                    .or_else(|_| NaiveDate::parse_from_str(v, "%Y-%m-%d"))
                    .ok();
            }
            "NOTE" => card.note = some(text()),
            _ => {}
        }
    }
    if current.is_some() {
        return Err(ParseError {
            line: text.lines().count(),
            reason: "a card without END",
        });
    }
    Ok(cards)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_names_split_surname_first_and_others_family_last() {
        assert_eq!(split_name("张伟"), ("张".into(), "伟".into()));
        assert_eq!(split_name("欧阳娜娜"), ("欧阳".into(), "娜娜".into()));
        assert_eq!(
            split_name("欧阳"),
            ("欧".into(), "阳".into()),
            "a two-character name is surname + given"
        );
        assert_eq!(split_name("Mary Ann Smith"), ("Smith".into(), "Mary Ann".into()));
    }

    #[test]
    fn cards_round_trip_with_escapes_folding_and_every_property() {
        let card = Card {
            uid: Some("urn:uuid:01a20936-3fea-7113-9236-ee55ac12c9d6".into()),
            full_name: "欧阳娜娜".into(),
            family: "欧阳".into(),
            given: "娜娜".into(),
            org: Some("杭州娃哈哈集团有限公司; 饮料事业部, 华东区".into()),
            department: Some("采购部".into()),
            title: Some("采购经理".into()),
            mobile: Some("+8613912345678".into()),
            phone: Some("+862188888888".into()),
            email: Some("nana@example.com".into()),
            wechat: Some("nana_wx".into()),
            street: Some("西湖区文三路 100 号".into()),
            city: Some("杭州".into()),
            region: Some("浙江".into()),
            birthday: NaiveDate::from_ymd_opt(1990, 5, 1),
            note: Some("第一行\n第二行：喜欢龙井茶，不喝咖啡；周末勿扰。这一行很长很长很长很长很长很长很长很长很长很长".into()),
            nickname: None,
        };
        let text = write(std::slice::from_ref(&card));
        assert!(text.lines().all(|l| l.len() <= 76), "folded at 75 octets");
        assert!(text.contains("\r\n "), "long lines are folded");
        assert_eq!(parse(&text).unwrap(), vec![card]);
    }

    #[test]
    fn cards_other_programs_write_are_read() {
        let text = "BEGIN:VCARD\nVERSION:3.0\nFN:John Smith\nN:Smith;John;;;\nitem1.TEL;TYPE=CELL:+1 555 0100\nTEL;type=WORK:+1 555 0199\nEMAIL;TYPE=INTERNET:john@example.com\nEND:VCARD\n";
        let cards = parse(text).unwrap();
        assert_eq!(cards[0].mobile.as_deref(), Some("+1 555 0100"));
        assert_eq!(cards[0].phone.as_deref(), Some("+1 555 0199"));
        assert_eq!(cards[0].email.as_deref(), Some("john@example.com"));
        assert_eq!(
            parse("BEGIN:VCARD\nFN:x\n").unwrap_err().reason,
            "a card without END"
        );
        assert_eq!(parse("FN:x\n").unwrap_err().line, 1);
    }
}
