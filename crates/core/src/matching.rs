//! How names, companies and phones are folded so that different spellings of the same
//! thing compare equal: full-width and half-width forms, upper and lower case,
//! traditional and simplified characters (華通 ↔ 华通), the pinyin of Chinese names with
//! every reading of polyphonic characters (曾 → zeng, ceng), and company names with or
//! without their legal suffix, city prefix or bracketed city (北京华通科技有限公司 ↔
//! 华通科技（北京）有限公司 ↔ 华通科技).
//!
//! Search and duplicate detection both build on these functions, so a name that search
//! finds as "the same" is the name duplicate detection treats as the same.

/// At most this many pinyin spellings are produced for one text: a name of four
/// polyphonic characters would otherwise explode.
pub const MAX_READINGS: usize = 16;

/// Lower case, half-width, simplified: the form every comparison starts from.
/// Full-width letters and digits (ＡＢＣ１２３), the ideographic space and full-width
/// brackets become their ASCII forms; traditional characters become simplified ones.
pub fn fold(text: &str) -> String {
    let half: String = text
        .chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '【' | '〔' => '[',
            '】' | '〕' => ']',
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .collect();
    fast2s::convert(&half)
}

/// True for a CJK unified ideograph (the characters pinyin is defined for).
pub fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF)
}

/// True when the text has at least one Chinese character.
pub fn has_han(text: &str) -> bool {
    text.chars().any(is_han)
}

/// Every full-pinyin spelling of a text, without tones or spaces (张伟 → ["zhangwei"];
/// 曾伟 → ["zengwei", "cengwei"]), at most [`MAX_READINGS`]. Latin letters and digits
/// are kept (lower case); other characters are dropped. Empty when the text has no
/// Chinese character.
pub fn pinyin_readings(text: &str) -> Vec<String> {
    readings(text, |p| p.plain())
}

/// Every spelling of a text's pinyin initials (张伟 → ["zw"]; 单伟 → ["sw", "dw", "cw"]).
/// Latin words contribute their first letter. Empty when the text has no Chinese character.
pub fn pinyin_initials(text: &str) -> Vec<String> {
    if !has_han(text) {
        return Vec::new();
    }
    // Latin words count as one initial each, like the syllables around them.
    let mut out = vec![String::new()];
    let mut in_word = false;
    for c in fold(text).chars() {
        if is_han(c) {
            in_word = false;
            let options = han_readings(c, |p| p.first_letter());
            out = combine(out, &options);
        } else if c.is_alphanumeric() {
            if !in_word {
                for s in &mut out {
                    s.push(c);
                }
            }
            in_word = true;
        } else {
            in_word = false;
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

fn readings(text: &str, spell: fn(pinyin::Pinyin) -> &'static str) -> Vec<String> {
    if !has_han(text) {
        return Vec::new();
    }
    let mut out = vec![String::new()];
    for c in fold(text).chars() {
        if is_han(c) {
            let options = han_readings(c, spell);
            out = combine(out, &options);
        } else if c.is_alphanumeric() {
            for s in &mut out {
                s.push(c);
            }
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

/// The distinct spellings of one character, most common reading first.
fn han_readings(c: char, spell: fn(pinyin::Pinyin) -> &'static str) -> Vec<&'static str> {
    use pinyin::ToPinyinMulti;
    let mut options: Vec<&'static str> = Vec::new();
    if let Some(multi) = c.to_pinyin_multi() {
        for p in multi {
            let s = spell(p);
            if !options.contains(&s) {
                options.push(s);
            }
        }
    }
    options
}

fn combine(prefixes: Vec<String>, options: &[&str]) -> Vec<String> {
    if options.is_empty() {
        return prefixes;
    }
    let mut next = Vec::with_capacity((prefixes.len() * options.len()).min(MAX_READINGS));
    // The first (most common) reading of every character comes first, so the cap keeps
    // the likeliest spellings.
    for option in options {
        for prefix in &prefixes {
            if next.len() == MAX_READINGS {
                return next;
            }
            next.push(format!("{prefix}{option}"));
        }
    }
    next
}

/// Letters, digits and Chinese characters only, folded: "Zhang  Wei" → "zhangwei",
/// "張 偉" → "张伟". The key that makes spacing and punctuation irrelevant.
pub fn compact(text: &str) -> String {
    fold(text).chars().filter(|c| c.is_alphanumeric()).collect()
}

/// The keys a person's name is known by: its compact form and, for Chinese names, every
/// full-pinyin spelling; for Latin names also the words in sorted order, so "Wei Zhang"
/// and "Zhang Wei" share a key with 张伟 (zhangwei / weizhang).
pub fn name_keys(name: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let compact_form = compact(name);
    if compact_form.is_empty() {
        return keys;
    }
    keys.push(compact_form);
    if has_han(name) {
        keys.extend(pinyin_readings(name));
    } else {
        let folded = fold(name);
        let mut words: Vec<String> = folded
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect();
        if words.len() > 1 {
            words.sort();
            keys.push(words.concat());
            words.reverse();
            keys.push(words.concat());
        }
    }
    keys.dedup();
    let mut seen = std::collections::HashSet::new();
    keys.retain(|k| seen.insert(k.clone()));
    keys
}

/// Legal forms stripped from the end of company names, longest first.
const LEGAL_SUFFIXES: &[&str] = &[
    "股份有限公司",
    "有限责任公司",
    "集团有限公司",
    "控股有限公司",
    "有限公司",
    "分公司",
    "总公司",
    "公司",
    "company limited",
    "co ltd",
    "co limited",
    "corporation",
    "limited",
    "company",
    "corp",
    "ltd",
    "inc",
    "llc",
    "gmbh",
    "plc",
    "co",
];

/// Provinces, regions and larger cities whose names prefix company names
/// (北京华通 / 华通（北京）). Longer forms first so 北京市 is stripped before 北京.
const PLACES: &[&str] = &[
    "北京市",
    "上海市",
    "天津市",
    "重庆市",
    "北京",
    "上海",
    "天津",
    "重庆",
    "河北省",
    "山西省",
    "辽宁省",
    "吉林省",
    "黑龙江省",
    "江苏省",
    "浙江省",
    "安徽省",
    "福建省",
    "江西省",
    "山东省",
    "河南省",
    "湖北省",
    "湖南省",
    "广东省",
    "海南省",
    "四川省",
    "贵州省",
    "云南省",
    "陕西省",
    "甘肃省",
    "青海省",
    "台湾省",
    "内蒙古自治区",
    "广西壮族自治区",
    "西藏自治区",
    "宁夏回族自治区",
    "新疆维吾尔自治区",
    "香港特别行政区",
    "澳门特别行政区",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "台湾",
    "内蒙古",
    "广西",
    "西藏",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
    "广州市",
    "深圳市",
    "杭州市",
    "南京市",
    "苏州市",
    "成都市",
    "武汉市",
    "西安市",
    "长沙市",
    "郑州市",
    "青岛市",
    "宁波市",
    "厦门市",
    "无锡市",
    "佛山市",
    "东莞市",
    "合肥市",
    "济南市",
    "福州市",
    "沈阳市",
    "大连市",
    "哈尔滨市",
    "长春市",
    "昆明市",
    "南宁市",
    "南昌市",
    "贵阳市",
    "太原市",
    "石家庄市",
    "兰州市",
    "乌鲁木齐市",
    "呼和浩特市",
    "海口市",
    "三亚市",
    "珠海市",
    "温州市",
    "绍兴市",
    "嘉兴市",
    "金华市",
    "台州市",
    "常州市",
    "南通市",
    "徐州市",
    "扬州市",
    "烟台市",
    "潍坊市",
    "泉州市",
    "惠州市",
    "中山市",
    "台北市",
    "高雄市",
    "台中市",
    "广州",
    "深圳",
    "杭州",
    "南京",
    "苏州",
    "成都",
    "武汉",
    "西安",
    "长沙",
    "郑州",
    "青岛",
    "宁波",
    "厦门",
    "无锡",
    "佛山",
    "东莞",
    "合肥",
    "济南",
    "福州",
    "沈阳",
    "大连",
    "哈尔滨",
    "长春",
    "昆明",
    "南宁",
    "南昌",
    "贵阳",
    "太原",
    "石家庄",
    "兰州",
    "乌鲁木齐",
    "呼和浩特",
    "海口",
    "三亚",
    "珠海",
    "温州",
    "绍兴",
    "嘉兴",
    "金华",
    "台州",
    "常州",
    "南通",
    "徐州",
    "扬州",
    "烟台",
    "潍坊",
    "泉州",
    "惠州",
    "中山",
    "台北",
    "高雄",
    "台中",
    "beijing",
    "shanghai",
    "tianjin",
    "chongqing",
    "guangzhou",
    "shenzhen",
    "hangzhou",
    "nanjing",
    "suzhou",
    "chengdu",
    "wuhan",
    "xian",
    "hong kong",
    "hongkong",
    "taipei",
];

/// What a company name is called once its legal form, its place and anything in
/// brackets are taken away: 北京华通科技有限公司, 华通科技（北京）有限公司, 華通科技股份有限公司
/// and "Huatong Technology Co., Ltd." become 华通科技 / "huatong technology". Returns the
/// folded name itself when stripping would leave nothing.
pub fn company_core(name: &str) -> String {
    let folded = fold(name);
    // Bracketed parts are places, branches or former names: (北京), （深圳分公司）, [HK].
    let mut unbracketed = String::with_capacity(folded.len());
    let mut depth = 0usize;
    for c in folded.chars() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ if depth == 0 => unbracketed.push(c),
            _ => {}
        }
    }
    // Latin punctuation ("Co., Ltd.") becomes spaces; words are then single-spaced.
    let spaced: String = unbracketed
        .chars()
        .map(|c| if c.is_alphanumeric() || is_han(c) { c } else { ' ' })
        .collect();
    let mut s = spaced.split_whitespace().collect::<Vec<_>>().join(" ");
    loop {
        let before = s.len();
        for suffix in LEGAL_SUFFIXES {
            if let Some(rest) = strip_suffix_word(&s, suffix) {
                s = rest.trim_end().to_string();
                break;
            }
        }
        for place in PLACES {
            if let Some(rest) = strip_prefix_word(&s, place) {
                s = rest.trim_start().to_string();
                break;
            }
        }
        if s.len() == before {
            break;
        }
    }
    if s.is_empty() {
        folded.trim().to_string()
    } else {
        s
    }
}

/// The company core without spaces: the key duplicate detection groups companies by.
pub fn company_key(name: &str) -> String {
    company_core(name)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// The place a company name names in its prefix or brackets (北京华通 → 北京), if any.
pub fn company_place(name: &str) -> Option<&'static str> {
    let folded = fold(name);
    PLACES
        .iter()
        .find(|p| folded.starts_with(*p) || folded.contains(&format!("({p}")))
        .map(|p| p.trim_end_matches(['市', '省']))
}

/// `s` without a trailing legal form: Chinese suffixes attach directly, Latin ones must
/// be whole words ("co" in "disco" is not a suffix). Never strips the whole name.
fn strip_suffix_word<'a>(s: &'a str, suffix: &str) -> Option<&'a str> {
    let rest = s.strip_suffix(suffix)?;
    let latin = suffix.starts_with(|c: char| c.is_ascii_alphabetic());
    if rest.trim().is_empty() || (latin && !rest.ends_with(' ')) {
        return None;
    }
    Some(rest)
}

fn strip_prefix_word<'a>(s: &'a str, place: &str) -> Option<&'a str> {
    let rest = s.strip_prefix(place)?;
    let latin = place.starts_with(|c: char| c.is_ascii_alphabetic());
    if rest.trim().is_empty() || (latin && !rest.starts_with(' ')) {
        return None;
    }
    Some(rest)
}

/// The digits of a phone number as written in any format (+86 138-0013-8000,
/// （010）6552 9988, ＋８６…), without a leading international prefix `00`.
pub fn phone_digits(phone: &str) -> String {
    let digits: String = fold(phone).chars().filter(char::is_ascii_digit).collect();
    digits.strip_prefix("00").map(str::to_string).unwrap_or(digits)
}

/// The national significant number of a phone: its digits without the country code
/// when the number is written with one (+86 138 0013 8000 → 13800138000), else without
/// a trunk prefix 0 (010 6552 9988 → 1065529988). Two spellings of one number share it.
pub fn phone_national(phone: &str) -> String {
    let digits = phone_digits(phone);
    let international =
        fold(phone).trim_start().starts_with('+') || fold(phone).trim_start().starts_with("00");
    if international {
        // Country codes are 1–3 digits; the common ones for our users first.
        for cc in [
            "86", "852", "853", "886", "1", "44", "49", "33", "81", "82", "65", "61",
        ] {
            if let Some(rest) = digits.strip_prefix(cc)
                && rest.len() >= 6
            {
                return rest.trim_start_matches('0').to_string();
            }
        }
        return digits;
    }
    digits.trim_start_matches('0').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_makes_scripts_widths_and_cases_meet() {
        assert_eq!(fold("華通科技"), "华通科技");
        assert_eq!(fold("ＡＢＣ１２３"), "abc123");
        assert_eq!(fold("Zhang　WEI"), "zhang wei");
    }

    #[test]
    fn names_read_as_pinyin_with_every_reading() {
        assert_eq!(pinyin_readings("张伟"), vec!["zhangwei"]);
        assert_eq!(pinyin_initials("张伟"), vec!["zw"]);
        let zeng = pinyin_readings("曾伟");
        assert!(
            zeng.contains(&"zengwei".to_string()) && zeng.contains(&"cengwei".to_string()),
            "{zeng:?}"
        );
        let shan = pinyin_readings("单丽");
        assert!(
            shan.contains(&"shanli".to_string()) && shan.contains(&"danli".to_string()),
            "{shan:?}"
        );
        let ou = pinyin_readings("区明");
        assert!(ou.contains(&"ouming".to_string()), "{ou:?}");
        // Traditional characters read like simplified ones.
        assert_eq!(pinyin_readings("張偉"), vec!["zhangwei"]);
        assert!(pinyin_readings("John Smith").is_empty());
    }

    #[test]
    fn readings_are_capped() {
        let many = pinyin_readings("单曾区单曾区");
        assert!(many.len() <= MAX_READINGS);
        assert_eq!(many[0], pinyin_readings("单曾区单曾区")[0]);
    }

    #[test]
    fn name_keys_join_scripts_spacing_and_word_order() {
        let han = name_keys("张伟");
        let latin = name_keys("Wei  Zhang");
        assert!(han.iter().any(|k| latin.contains(k)), "{han:?} / {latin:?}");
        assert!(name_keys("張 偉").contains(&"张伟".to_string()));
        assert!(name_keys("  ").is_empty());
    }

    #[test]
    fn company_cores_drop_legal_form_place_and_brackets() {
        let core = company_core("华通科技有限公司");
        assert_eq!(core, "华通科技");
        assert_eq!(company_core("北京华通科技有限公司"), core);
        assert_eq!(company_core("华通科技（北京）有限公司"), core);
        assert_eq!(company_core("華通科技股份有限公司"), core);
        assert_eq!(company_core("北京市华通科技有限责任公司"), core);
        assert_eq!(company_core("Huatong Technology Co., Ltd."), "huatong technology");
        assert_eq!(
            company_core("Huatong Technology Company Limited"),
            "huatong technology"
        );
        assert_eq!(company_core("Disco"), "disco");
        // A name that is only a place or a legal form stays itself.
        assert_eq!(company_core("北京"), "北京");
        assert_eq!(company_place("北京华通科技有限公司"), Some("北京"));
        assert_eq!(company_place("华通科技（深圳）有限公司"), Some("深圳"));
        assert_eq!(company_key("Huatong  Technology Ltd"), "huatongtechnology");
    }

    #[test]
    fn phones_fold_to_their_digits_and_national_number() {
        assert_eq!(phone_digits("+86 138-0013-8000"), "8613800138000");
        assert_eq!(phone_national("+86 138-0013-8000"), "13800138000");
        assert_eq!(phone_national("138 0013 8000"), "13800138000");
        assert_eq!(phone_national("（010）6552 9988"), "1065529988");
        assert_eq!(phone_national("+86 10 6552 9988"), "1065529988");
        assert_eq!(phone_national("0086 10 6552 9988"), "1065529988");
    }
}
