//! Crisis signposting, reaching a moderator, and rate limits.
//!
//! Message text is matched in memory and dropped: only the fact that a
//! member was signposted (and when) is kept, so the bot can avoid paging
//! them again within the community's period.

use jiff::Timestamp;
use unicode_normalization::UnicodeNormalization;

use super::effect::{Action, Kind, Line, Message};
use super::handle::Cx;
use super::input::Actor;
use super::rng::Rng;
use super::textcheck::is_invisible_control;

/// The most characters of one chat message checked for crisis phrases.
pub const MAX_CHECKED_CHARS: usize = 4000;

/// Normalises text for phrase matching: NFKC, lowercase, invisible
/// characters removed, apostrophes dropped, other punctuation and all
/// whitespace collapsed to single spaces, padded for whole-word matching.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(' ');
    let mut space = true;
    for c in text.nfkc().flat_map(char::to_lowercase) {
        if is_invisible_control(c) || matches!(c, '\'' | '’' | '‘') {
            continue;
        }
        if c.is_alphanumeric() {
            out.push(c);
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    if !space {
        out.push(' ');
    }
    let trimmed = out.trim();
    if trimmed.is_empty() { String::new() } else { format!(" {trimmed} ") }
}

/// Whether normalised text contains any normalised phrase as whole words.
pub fn matches(phrases: &[String], text: &str) -> bool {
    let text = normalise(text);
    phrases.iter().any(|p| text.contains(p.as_str()))
}

/// Checks chat for crisis phrases and, if found, privately offers resources.
/// Returns whether the member was signposted just now.
pub fn check_chat(cx: &mut Cx<'_, impl Rng>, actor: &Actor, text: &str) -> bool {
    // Bounded work per message, however long it is: only the start is examined.
    let text = match text.char_indices().nth(MAX_CHECKED_CHARS) {
        Some((cut, _)) => &text[..cut],
        None => text,
    };
    if !matches(&cx.st.phrases, text) {
        return false;
    }
    let period = i64::from(cx.st.community.settings.signpost_hours) * 3600;
    let now = cx.now;
    let member = cx.st.members.get(&actor.member);
    if member.is_some_and(|m| m.crisis_checks_off) {
        return false;
    }
    if member.and_then(|m| m.last_signpost).is_some_and(|t| now.as_second() - t.as_second() < period) {
        return false;
    }
    cx.st.member_mut(&actor.member).last_signpost = Some(now);
    let resources = cx.st.community.resources.clone();
    let msg = Message::new(
        Kind::Crisis,
        vec![Line::new("crisis-intro"), Line::new("crisis-resources").text("resources", resources), Line::new("crisis-options")],
    )
    .with_actions(&[Action::Support, Action::CrisisWrong, Action::CrisisOff]);
    cx.whisper(&actor.member, msg);
    true
}

/// A token bucket per member: `rate` commands per minute, bursting to `rate`.
#[derive(Clone, Debug)]
pub struct Bucket {
    tokens: f64,
    at: Timestamp,
    /// When the member was last told they are being limited.
    told_at: Option<Timestamp>,
}

/// A limited member is told again at most this often, so a flood is neither silent nor noisy.
const TELL_EVERY_SECS: i64 = 60;

/// What the rate limiter decided.
#[derive(Debug, PartialEq, Eq)]
pub enum Rate {
    Allowed,
    /// Over the limit; `tell` is true at most once a minute, so the bot never pages repeatedly.
    Limited {
        tell: bool,
    },
}

impl Bucket {
    pub fn new(rate: u32, now: Timestamp) -> Self {
        Self { tokens: f64::from(rate), at: now, told_at: None }
    }

    pub fn take(&mut self, rate: u32, now: Timestamp) -> Rate {
        let elapsed = (now.as_millisecond() - self.at.as_millisecond()).max(0) as f64 / 60_000.0;
        self.tokens = (self.tokens + elapsed * f64::from(rate)).min(f64::from(rate));
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Rate::Allowed
        } else {
            let tell = self.told_at.is_none_or(|t| now.as_second() - t.as_second() >= TELL_EVERY_SECS);
            if tell {
                self.told_at = Some(now);
            }
            Rate::Limited { tell }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phrases() -> Vec<String> {
        ["kill myself", "want to die", "dont want to live"].iter().map(|p| normalise(p)).collect()
    }

    #[test]
    fn matching_ignores_case_spacing_unicode_and_apostrophes() {
        let p = phrases();
        assert!(matches(&p, "Some days I WANT   to die."));
        assert!(matches(&p, "i don't want to live"));
        assert!(matches(&p, "i don’t want to live"));
        assert!(matches(&p, "ｋｉｌｌ myself"), "full-width letters are folded");
        assert!(matches(&p, "kill\u{200B} myself"), "zero-width characters can't hide a phrase");
    }

    #[test]
    fn matching_is_whole_words_only() {
        let p = phrases();
        assert!(!matches(&p, "the skill myselfie"), "parts of words don't match");
        assert!(!matches(&p, "I want to dine out"));
    }

    #[test]
    fn the_bucket_tells_at_most_once_a_minute() {
        let t0 = Timestamp::from_second(1_000_000).unwrap();
        let mut b = Bucket::new(2, t0);
        assert_eq!(b.take(2, t0), Rate::Allowed);
        assert_eq!(b.take(2, t0), Rate::Allowed);
        assert_eq!(b.take(2, t0), Rate::Limited { tell: true });
        assert_eq!(b.take(2, t0), Rate::Limited { tell: false });
        let later = Timestamp::from_second(1_000_030).unwrap();
        assert_eq!(b.take(2, later), Rate::Allowed, "half a minute refills one token at 2 per minute");
        assert_eq!(b.take(2, later), Rate::Limited { tell: false }, "told at most once a minute");
        let minute = Timestamp::from_second(1_000_060).unwrap();
        assert_eq!(b.take(2, minute), Rate::Allowed);
        assert_eq!(b.take(2, minute), Rate::Limited { tell: true }, "and again after a minute");
    }
}
