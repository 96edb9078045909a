//! Crisis signposting, reaching a moderator, and rate limits.
//!
//! Message text is matched in memory and dropped: only the fact that a
//! member was signposted (and when) is kept, so the bot can avoid paging
//! them again within the community's period.

mod matcher;

pub use matcher::{RuleSet, Rules, RulesError};

use jiff::Timestamp;

use crate::core::effect::{Action, Kind, Line, Message};
use crate::core::handle::Cx;
use crate::core::input::Actor;
use crate::core::rng::Rng;

/// The most characters of one chat message checked for crisis phrases.
pub const MAX_CHECKED_CHARS: usize = 4000;

/// Checks chat for crisis phrases and, if found, privately offers resources.
/// Returns whether the member was signposted just now.
pub fn check_chat(cx: &mut Cx<'_, impl Rng>, actor: &Actor, text: &str) -> bool {
    // Bounded work per message, however long it is: only the start is examined.
    let text = match text.char_indices().nth(MAX_CHECKED_CHARS) {
        Some((cut, _)) => &text[..cut],
        None => text,
    };
    if !cx.st.rules.matches(text) {
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
    told: bool,
}

/// What the rate limiter decided.
#[derive(Debug, PartialEq, Eq)]
pub enum Rate {
    Allowed,
    /// Over the limit; `tell` is true only the first time, so the bot never pages repeatedly.
    Limited {
        tell: bool,
    },
}

impl Bucket {
    pub fn new(rate: u32, now: Timestamp) -> Self {
        Self { tokens: f64::from(rate), at: now, told: false }
    }

    pub fn take(&mut self, rate: u32, now: Timestamp) -> Rate {
        let elapsed = (now.as_millisecond() - self.at.as_millisecond()).max(0) as f64 / 60_000.0;
        self.tokens = (self.tokens + elapsed * f64::from(rate)).min(f64::from(rate));
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            self.told = false;
            Rate::Allowed
        } else {
            let tell = !self.told;
            self.told = true;
            Rate::Limited { tell }
        }
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod bucket_tests {
    use super::*;

    #[test]
    fn the_bucket_tells_once_then_stays_quiet_until_it_refills() {
        let t0 = Timestamp::from_second(1_000_000).unwrap();
        let mut b = Bucket::new(2, t0);
        assert_eq!(b.take(2, t0), Rate::Allowed);
        assert_eq!(b.take(2, t0), Rate::Allowed);
        assert_eq!(b.take(2, t0), Rate::Limited { tell: true });
        assert_eq!(b.take(2, t0), Rate::Limited { tell: false });
        let later = Timestamp::from_second(1_000_030).unwrap();
        assert_eq!(b.take(2, later), Rate::Allowed, "half a minute refills one token at 2 per minute");
    }
}
