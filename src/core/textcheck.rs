//! Checks on free text that comes from outside (card text, titles,
//! suggestions, resources). Text that could hide itself, ping people or
//! inject markup is refused with a specific reason, never silently altered.

use super::refusal::Refusal;

/// What the text is for; each use has its own length limit and rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextUse {
    Title,
    Card,
    Suggestion,
    Resources,
    Agreements,
}

impl TextUse {
    pub fn max_chars(self) -> usize {
        match self {
            TextUse::Title => 80,
            TextUse::Card | TextUse::Suggestion => 400,
            TextUse::Resources | TextUse::Agreements => 1500,
        }
    }
    /// A title names a circle, a deck or a thread: one line, so nobody can make a
    /// bot-authored post of many lines out of one.
    fn one_line(self) -> bool {
        matches!(self, TextUse::Title)
    }
    fn links_allowed(self) -> bool {
        // Crisis resources legitimately carry the address of a helpline.
        matches!(self, TextUse::Resources)
    }
}

/// Zero-width and bidirectional control characters: they can hide or reorder text.
pub fn is_invisible_control(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{061C}' | '\u{00AD}')
}

/// Validates free text and returns it trimmed.
pub fn check(text: &str, usage: TextUse) -> Result<String, Refusal> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Refusal::TextEmpty);
    }
    let len = text.chars().count();
    if len > usage.max_chars() {
        return Err(Refusal::TextTooLong { max: usage.max_chars(), given: len });
    }
    if text.chars().any(is_invisible_control) {
        return Err(Refusal::TextInvisible);
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Refusal::TextInvisible);
    }
    if usage.one_line() && text.chars().any(|c| matches!(c, '\n' | '\u{2028}' | '\u{2029}' | '\u{85}')) {
        return Err(Refusal::TextOneLine);
    }
    let lower = text.to_lowercase();
    if lower.contains("@everyone") || lower.contains("@here") || lower.contains("@room") {
        return Err(Refusal::TextMention);
    }
    if looks_like_markup(text) {
        return Err(Refusal::TextMarkup);
    }
    if lower.contains("](") {
        // A Markdown link, whatever it points at.
        return Err(Refusal::TextMarkup);
    }
    if !usage.links_allowed() && has_link(&lower) {
        return Err(Refusal::TextLink);
    }
    Ok(text.to_owned())
}

/// Top-level domains common enough that a bare `name.tld` is read as a link.
const COMMON_TLDS: [&str; 20] = [
    "com", "org", "net", "io", "gg", "ly", "me", "co", "app", "xyz", "info", "link", "site", "online", "ru", "de", "uk", "tk", "dev", "to",
];

/// A URL, a link scheme (`javascript:`, `data:`, `mailto:`), `www.`, or a bare
/// domain (`evil.com`, `name.tld/path`). `lower` is already lowercase.
fn has_link(lower: &str) -> bool {
    if lower.contains("://") || lower.contains("www.") {
        return true;
    }
    if ["javascript:", "data:", "mailto:", "vbscript:", "file:"].iter().any(|s| lower.contains(s)) {
        return true;
    }
    lower.split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | '<' | '>' | '"' | '\'' | ',' | ';')).any(|token| {
        let token = token.trim_end_matches(['.', '!', '?', ':']);
        let (host, path) = match token.split_once('/') {
            Some((h, _)) => (h, true),
            None => (token, false),
        };
        let Some((name, tld)) = host.rsplit_once('.') else { return false };
        let name_ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        let tld_ok = (2..=24).contains(&tld.len()) && tld.chars().all(|c| c.is_ascii_lowercase());
        name_ok && tld_ok && (path || COMMON_TLDS.contains(&tld))
    })
}

/// `<tag>`, `</tag>`, `<@123>` or `<#123>`: HTML or a platform mention.
fn looks_like_markup(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.windows(2).any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || matches!(w[1], b'/' | b'@' | b'#' | b'!' | b'&')))
}

/// A short, safe preview of rejected input for an error message.
///
/// Rejected input is echoed back, so anything that could ping or mark up is
/// defused here too (`@` and angle brackets become look-alikes), whatever the
/// adapter's own protections.
pub fn preview(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .filter(|c| !is_invisible_control(*c) && !c.is_control())
        .map(|c| match c {
            '@' => '＠',
            '<' => '‹',
            '>' => '›',
            other => other,
        })
        .take(24)
        .collect();
    if text.chars().count() > 24 { format!("{cleaned}…") } else { cleaned }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_accepted_and_trimmed() {
        assert_eq!(check("  What do you notice?  ", TextUse::Card).unwrap(), "What do you notice?");
    }

    #[test]
    fn each_rejection_class_is_named() {
        assert_eq!(check("   ", TextUse::Card), Err(Refusal::TextEmpty));
        assert!(matches!(check(&"a".repeat(401), TextUse::Card), Err(Refusal::TextTooLong { max: 400, given: 401 })));
        assert_eq!(check("hi\u{200B}there", TextUse::Card), Err(Refusal::TextInvisible));
        assert_eq!(check("abc\u{202E}cba", TextUse::Card), Err(Refusal::TextInvisible));
        assert_eq!(check("Tuesday\nJOIN NOW", TextUse::Title), Err(Refusal::TextOneLine), "a title is one line");
        assert_eq!(check("Tuesday\u{2028}circle", TextUse::Title), Err(Refusal::TextOneLine));
        assert_eq!(check("one line\nand another", TextUse::Card), Ok("one line\nand another".into()), "a card may have lines");
        assert_eq!(check("hey @everyone", TextUse::Card), Err(Refusal::TextMention));
        assert_eq!(check("<b>bold</b>", TextUse::Card), Err(Refusal::TextMarkup));
        assert_eq!(check("hi <@1234>", TextUse::Card), Err(Refusal::TextMarkup));
        assert_eq!(check("see https://x.example", TextUse::Card), Err(Refusal::TextLink));
    }

    #[test]
    fn links_in_any_disguise_are_refused_and_ordinary_sentences_are_not() {
        for bad in
            ["see evil.com/x", "visit evil.com", "[click](javascript:alert(1))", "javascript:alert(1)", "go to bit.ly/abc", "hxxp://x.y"]
        {
            assert!(check(bad, TextUse::Card).is_err(), "{bad}");
        }
        for fine in [
            "Take a breath. Notice what is here.",
            "e.g. a walk, a meal",
            "It was 3.5 hours",
            "end.Then again",
            "What is one thing you need? Rest, maybe.",
        ] {
            assert_eq!(check(fine, TextUse::Card), Ok(fine.to_owned()), "{fine}");
        }
    }

    #[test]
    fn resources_may_carry_links_but_not_pings() {
        assert!(check("Call or visit https://help.example", TextUse::Resources).is_ok());
        assert_eq!(check("@here call now", TextUse::Resources), Err(Refusal::TextMention));
    }

    #[test]
    fn echoed_input_can_neither_ping_nor_mark_up() {
        assert_eq!(preview("@everyone <b>"), "＠everyone ‹b›");
        assert_eq!(preview("a\u{202E}b"), "ab");
    }

    #[test]
    fn a_less_than_sign_in_prose_is_fine() {
        assert!(check("I felt <3 and 2 < 5", TextUse::Card).is_ok());
    }
}
