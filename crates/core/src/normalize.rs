//! Normalisation of the contact data people type in many shapes: emails, phones, web
//! addresses. Each function returns the one canonical form we store, or `None`.

/// Lower-cased address if it is a plausible internet email address.
pub fn email(input: &str) -> Option<String> {
    let s = input.trim().trim_start_matches("mailto:").to_lowercase();
    if s.len() > 254 || s.chars().any(char::is_whitespace) {
        return None;
    }
    let (local, domain) = s.rsplit_once('@')?;
    if local.is_empty() || local.len() > 64 || local.contains('@') {
        return None;
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return None;
    }
    let local_ok = local
        .chars()
        .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
    if !local_ok || !valid_domain(domain) {
        return None;
    }
    Some(s)
}

fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return false;
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    let tld = labels.last().copied().unwrap_or("");
    labels.iter().all(|l| label_ok(l)) && tld.chars().count() >= 2 && !tld.chars().all(|c| c.is_ascii_digit())
}

/// E.164 form (`+8613800138000`) of a phone number written in any common way;
/// numbers without a country code are read as numbers of `default_region`.
pub fn phone(input: &str, default_region: phonenumber::country::Id) -> Option<String> {
    let trimmed = input.trim();
    if trimmed.is_empty() || trimmed.len() > 40 {
        return None;
    }
    // Full-width digits and the ideographic plus are common in Chinese input.
    let mut s: String = trimmed
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '＋' => '+',
            '（' => '(',
            '）' => ')',
            '－' | '—' => '-',
            _ => c,
        })
        .collect();
    // "0086 138..." is the international prefix written out.
    if let Some(rest) = s.strip_prefix("00") {
        s = format!("+{rest}");
    }
    if !s.chars().any(|c| c.is_ascii_digit())
        || s.chars().any(|c| c.is_alphabetic() && !c.is_ascii_alphabetic())
    {
        return None;
    }
    if default_region == phonenumber::country::Id::CN
        && let Some(e164) = cn_mobile(&s)
    {
        return Some(e164);
    }
    // A number written with its country code is read without a default region: with one,
    // the region's national prefix (0 in China) would be stripped from numbers such as
    // Italy's, whose national numbers start with 0.
    let region = if s.trim_start().starts_with('+') {
        None
    } else {
        Some(default_region)
    };
    let number = phonenumber::parse(region, &s).ok()?;
    if !phonenumber::is_valid(&number) {
        return None;
    }
    // E.164 is "+", the country code and the national significant number (with any
    // leading zeros); writing it directly avoids the formatter's regex work.
    Some(format!("+{}{}", number.code().value(), number.national()))
}

/// Chinese mobile numbers, by far the most common input, checked without the regex
/// machinery of the full parser (an order of magnitude faster on bulk imports). Accepts
/// only what libphonenumber's CN mobile pattern accepts — `1740[0-5]\d{6}|1(?:[38]\d|
/// 4[57]|[59][0-35-9]|6[25-7]|7[0-35-8])\d{8}` — and a test holds the two together for
/// every prefix; anything else goes to the full parser.
fn cn_mobile(input: &str) -> Option<String> {
    let trimmed = input.trim();
    let rest = trimmed.strip_prefix("+86").unwrap_or(trimmed);
    if rest.starts_with('+') {
        return None;
    }
    let mut digits = [0u8; 11];
    let mut n = 0;
    for c in rest.bytes() {
        match c {
            b'0'..=b'9' if n < 11 => {
                digits[n] = c;
                n += 1;
            }
            b' ' | b'-' | b'.' | b'(' | b')' => {}
            _ => return None,
        }
    }
    if n != 11 || digits[0] != b'1' {
        return None;
    }
    let d = |i: usize| digits[i] - b'0';
    let valid = match d(1) {
        3 | 8 => true,
        4 => matches!(d(2), 5 | 7),
        5 | 9 => d(2) != 4,
        6 => matches!(d(2), 2 | 5..=7),
        7 => matches!(d(2), 0..=3 | 5..=8) || (d(2) == 4 && d(3) == 0 && d(4) <= 5),
        _ => false,
    };
    valid.then(|| format!("+86{}", String::from_utf8_lossy(&digits)))
}

/// A web address with its scheme (`https://` is assumed when none is written).
pub fn url(input: &str) -> Option<String> {
    let s = input.trim();
    if s.is_empty() || s.chars().any(char::is_whitespace) {
        return None;
    }
    let with_scheme = if s.contains("://") {
        s.to_string()
    } else {
        format!("https://{s}")
    };
    let parsed = url::Url::parse(&with_scheme).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return None;
    }
    let host = parsed.host_str()?;
    if !(host.contains('.') || host == "localhost") {
        return None;
    }
    Some(parsed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use phonenumber::country::Id::CN;

    #[test]
    fn emails_are_lower_cased_and_checked() {
        assert_eq!(
            email(" Zhang.Wei@Example.COM ").as_deref(),
            Some("zhang.wei@example.com")
        );
        assert_eq!(email("li+crm@公司.中国").as_deref(), Some("li+crm@公司.中国"));
        for bad in [
            "",
            "a",
            "a@",
            "@b.com",
            "a@b",
            "a b@c.com",
            "a@@b.com",
            "a@b..com",
            ".a@b.com",
            "a@-b.com",
            "a@b.1",
        ] {
            assert_eq!(email(bad), None, "{bad}");
        }
    }

    #[test]
    fn chinese_phones_in_messy_formats_become_e164() {
        for messy in [
            "138 0013 8000",
            "138-0013-8000",
            "+86 138 0013 8000",
            "0086 13800138000",
            "(+86)13800138000",
            "１３８００１３８０００",
        ] {
            assert_eq!(phone(messy, CN).as_deref(), Some("+8613800138000"), "{messy}");
        }
        assert_eq!(phone("010-6552 8888", CN).as_deref(), Some("+861065528888"));
        assert_eq!(phone("+1 (415) 555-2671", CN).as_deref(), Some("+14155552671"));
        // Leading zeros of the national number belong to E.164 (Italy, Côte d'Ivoire).
        assert_eq!(phone("+39 02 1234 5678", CN).as_deref(), Some("+390212345678"));
        assert_eq!(phone("+44 20 7946 0958", CN).as_deref(), Some("+442079460958"));
        assert_eq!(phone("+852 2123 4567", CN).as_deref(), Some("+85221234567"));
        assert_eq!(phone("+886 2 2345 6789", CN).as_deref(), Some("+886223456789"));
        for bad in ["", "12345", "abc", "138001380001234567", "电话"] {
            assert_eq!(phone(bad, CN), None, "{bad}");
        }
    }

    #[test]
    fn the_mobile_fast_path_agrees_with_libphonenumber_for_every_prefix() {
        for prefix in 10_000..20_000u32 {
            for suffix in ["000000", "123456", "999999"] {
                let number = format!("{prefix}{suffix}");
                if let Some(fast) = cn_mobile(&number) {
                    let full = phonenumber::parse(Some(CN), &number)
                        .ok()
                        .filter(phonenumber::is_valid);
                    let full = full.map(|p| p.format().mode(phonenumber::Mode::E164).to_string());
                    assert_eq!(Some(fast), full, "{number}");
                }
            }
        }
        // It takes the shapes people type, and nothing else.
        assert_eq!(
            cn_mobile("+86 (138) 0013-8000").as_deref(),
            Some("+8613800138000")
        );
        assert_eq!(cn_mobile("138.0013.8000").as_deref(), Some("+8613800138000"));
        assert_eq!(cn_mobile("+852 1380013800"), None);
        assert_eq!(cn_mobile("1380013800"), None);
        assert_eq!(cn_mobile("138001380000"), None);
        assert_eq!(cn_mobile("138 0013 8000 ext 1"), None);
        assert_eq!(cn_mobile("12000138000"), None);
    }

    #[test]
    fn urls_get_a_scheme() {
        assert_eq!(url("www.huatong.cn").as_deref(), Some("https://www.huatong.cn/"));
        assert_eq!(
            url("http://example.com/a?b=1").as_deref(),
            Some("http://example.com/a?b=1")
        );
        for bad in ["", "ftp://x.com", "not a url", "https://nodot"] {
            assert_eq!(url(bad), None, "{bad}");
        }
    }
}

#[cfg(test)]
mod speed {
    /// `cargo test --release -p guanxi-core -- --ignored --nocapture phone_speed`
    #[test]
    #[ignore]
    fn phone_speed() {
        let numbers: Vec<String> = (0..20_000u64)
            .map(|i| format!("139 {:04} {:04}", i % 10_000, (i * 7919) % 10_000))
            .collect();
        let t = std::time::Instant::now();
        let ok = numbers
            .iter()
            .filter(|n| super::phone(n, phonenumber::country::Id::CN).is_some())
            .count();
        let per = t.elapsed() / numbers.len() as u32;
        println!("{ok} valid; {per:?} per phone");
        let cn = phonenumber::country::Id::CN;
        let t = std::time::Instant::now();
        let parsed: Vec<_> = numbers
            .iter()
            .filter_map(|n| phonenumber::parse(Some(cn), n).ok())
            .collect();
        println!("{:?} per parse", t.elapsed() / numbers.len() as u32);
        let t = std::time::Instant::now();
        let valid = parsed.iter().filter(|p| phonenumber::is_valid(p)).count();
        println!("{:?} per is_valid ({valid})", t.elapsed() / numbers.len() as u32);
        let t = std::time::Instant::now();
        for p in &parsed {
            let _ = p.format().mode(phonenumber::Mode::E164).to_string();
        }
        println!("{:?} per format", t.elapsed() / numbers.len() as u32);
        let t = std::time::Instant::now();
        for n in &numbers {
            let _ = super::email(&format!("{n}@example.com"));
        }
        println!("{:?} per email", t.elapsed() / numbers.len() as u32);
    }
}
