//! What attune keeps about a member: consent, preferences and the little it
//! needs to avoid repeating itself. Nothing a member shares or writes back.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::ids::{CircleId, Slug};
use super::template::Mode;

/// The longest display name attune shows; longer names are cut.
pub const MAX_DISPLAY_CHARS: usize = 32;

/// Cleans a display name, which comes from outside like any other text: Unicode-normalised
/// (NFKC), invisible and direction-changing characters removed, anything that could ping or
/// mark up defused (`@`, `<`, `>` become look-alikes), spaces collapsed, length capped.
/// `None` when nothing visible is left.
pub fn clean_display(raw: &str) -> Option<String> {
    use unicode_normalization::UnicodeNormalization;
    let mut out = String::new();
    for c in raw.nfkc() {
        if super::textcheck::is_invisible_control(c) || is_filler(c) {
            continue;
        }
        if c.is_whitespace() || c.is_control() {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
            continue;
        }
        out.push(match c {
            '@' => '＠',
            '<' => '‹',
            '>' => '›',
            other => other,
        });
    }
    let cut: String = out.trim().chars().take(MAX_DISPLAY_CHARS).collect();
    let cut = cut.trim_end().to_owned();
    (!cut.is_empty()).then_some(cut)
}

/// Characters that render as nothing (fillers and joiners not covered by the control check).
fn is_filler(c: char) -> bool {
    matches!(c, '\u{034F}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}' | '\u{180B}'..='\u{180E}' | '\u{2800}' | '\u{3164}' | '\u{FFA0}' | '\u{FE00}'..='\u{FE0F}')
}

/// What two display names are compared by: names with the same key look the same.
/// Besides case, common Cyrillic and Greek letters that look Latin are folded.
pub fn display_key(display: &str) -> String {
    clean_display(display).unwrap_or_default().to_lowercase().chars().map(latin_look_alike).collect()
}

fn latin_look_alike(c: char) -> char {
    match c {
        'а' | 'α' => 'a',
        'с' | 'ϲ' => 'c',
        'ԁ' => 'd',
        'е' | 'ε' => 'e',
        'һ' => 'h',
        'і' | 'ι' => 'i',
        'ј' => 'j',
        'к' | 'κ' => 'k',
        'ӏ' => 'l',
        'о' | 'ο' => 'o',
        'р' | 'ρ' => 'p',
        'ԛ' => 'q',
        'ѕ' => 's',
        'τ' => 't',
        'υ' => 'u',
        'ν' => 'v',
        'ԝ' => 'w',
        'х' | 'χ' => 'x',
        'у' => 'y',
        other => other,
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Member {
    pub display: String,
    pub consent: Option<Consent>,
    pub default_mode: Option<Mode>,
    pub timezone: Option<String>,
    pub quiet: Option<QuietHours>,
    pub daily: Option<Daily>,
    pub daily_generation: u64,
    /// When the next daily card is due, so one missed during downtime still arrives.
    #[serde(default)]
    pub daily_next: Option<Timestamp>,
    /// Ids of recent self-reflection cards, newest last.
    pub recent_cards: Vec<Slug>,
    pub practice: Option<PracticeProgress>,
    /// A join waiting for consent to the current agreements.
    pub pending_join: Option<CircleId>,
    /// The agreements version shown with `pending_join`: consent is taken only to the
    /// version the member was shown. `None` (a join stored before this was kept) is shown again.
    #[serde(default)]
    pub pending_agreements: Option<u32>,
    /// The circle whose "did you feel heard?" pulse is open to this member.
    pub pending_pulse: Option<CircleId>,
    pub crisis_checks_off: bool,
    pub last_signpost: Option<Timestamp>,
    /// A requested self-reflection card held back behind its content note until `next`.
    #[serde(default)]
    pub pending_card: Option<Slug>,
    /// Whether the member has been told, once, that messages are checked for crisis phrases.
    #[serde(default)]
    pub checks_told: bool,
    pub forget_requested: bool,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Consent {
    pub version: u32,
    pub at: Timestamp,
}

/// A local clock time.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClockTime {
    pub hour: i8,
    pub minute: i8,
}

impl ClockTime {
    /// Parses `HH:MM` (24-hour).
    pub fn parse(s: &str) -> Option<Self> {
        let (h, m) = s.trim().split_once(':')?;
        if h.is_empty() || h.len() > 2 || m.len() != 2 {
            return None;
        }
        let hour: i8 = h.parse().ok()?;
        let minute: i8 = m.parse().ok()?;
        ((0..24).contains(&hour) && (0..60).contains(&minute)).then_some(Self { hour, minute })
    }
    pub fn minutes(self) -> i32 {
        i32::from(self.hour) * 60 + i32::from(self.minute)
    }
}

impl std::fmt::Display for ClockTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}:{:02}", self.hour, self.minute)
    }
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct QuietHours {
    pub start: ClockTime,
    pub end: ClockTime,
}

impl QuietHours {
    /// Parses `HH:MM-HH:MM`; the range may wrap past midnight.
    pub fn parse(s: &str) -> Option<Self> {
        let (a, b) = s.split_once('-')?;
        let (start, end) = (ClockTime::parse(a)?, ClockTime::parse(b)?);
        (start != end).then_some(Self { start, end })
    }
    pub fn contains(self, t: ClockTime) -> bool {
        let (s, e, x) = (self.start.minutes(), self.end.minutes(), t.minutes());
        if s < e { (s..e).contains(&x) } else { x >= s || x < e }
    }
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Daily {
    pub at: ClockTime,
    pub paused: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct PracticeProgress {
    pub name: Slug,
    pub step: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_hours_can_wrap_past_midnight() {
        let q = QuietHours::parse("22:00-07:00").unwrap();
        assert!(q.contains(ClockTime::parse("23:30").unwrap()));
        assert!(q.contains(ClockTime::parse("06:59").unwrap()));
        assert!(!q.contains(ClockTime::parse("07:00").unwrap()));
        assert!(!q.contains(ClockTime::parse("12:00").unwrap()));
    }

    #[test]
    fn display_names_are_cleaned_and_defused() {
        assert_eq!(clean_display("  alice  ").as_deref(), Some("alice"));
        assert_eq!(clean_display("ali\u{200B}ce").as_deref(), Some("alice"));
        assert_eq!(clean_display("\u{202E}ecila").as_deref(), Some("ecila"));
        assert_eq!(clean_display("@everyone").as_deref(), Some("＠everyone"));
        assert_eq!(clean_display("<b>x</b>").as_deref(), Some("‹b›x‹/b›"));
        assert_eq!(clean_display("ａｌｉｃｅ").as_deref(), Some("alice"), "full-width letters are the same name");
        assert_eq!(clean_display("a\n\tb").as_deref(), Some("a b"));
        assert_eq!(clean_display("\u{200B}\u{3164} \u{2800}"), None, "nothing visible is left");
        assert_eq!(clean_display(&"x".repeat(100)).map(|s| s.chars().count()), Some(MAX_DISPLAY_CHARS));
        assert_eq!(display_key("Alice"), display_key("alice\u{200D}"));
        assert_eq!(display_key("аlice"), display_key("alice"), "a Cyrillic а looks like a Latin a");
    }

    #[test]
    fn clock_times_are_strict() {
        for bad in ["24:00", "7", "07:5", "aa:bb", "-1:00", "12:60"] {
            assert!(ClockTime::parse(bad).is_none(), "{bad} is not a clock time");
        }
        assert!(QuietHours::parse("08:00-08:00").is_none(), "an empty range is refused");
    }
}
