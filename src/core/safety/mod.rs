//! Crisis signposting, reaching a moderator, and rate limits.
//!
//! Message text is matched in memory and dropped: only the fact that a
//! member was signposted (and when) is kept, so the bot can avoid paging
//! them again within the community's period.

mod matcher;
pub mod model;

pub use matcher::{Finding, RuleSet, Rules, RulesError};
pub use model::{Model, ModelError, TrainOptions};

use jiff::Timestamp;

use crate::core::cx::Cx;
use crate::core::effect::{Action, Kind, Line, Message};
use crate::core::ids::MemberRef;
use crate::core::input::{Actor, Place};
use crate::core::rng::Rng;

/// The most characters of one chat message checked for crisis phrases.
pub const MAX_CHECKED_CHARS: usize = 4000;

/// Whether `text` holds crisis words by the rules alone, whatever the
/// member's choice about checks: such words are read for signposting and
/// never become content (a title, a card, agreements, a refusal's quote).
/// Bounded like chat. The learned model isn't asked here: it reads messages
/// people write, and a deck card about loss or a title with "tonight" in it
/// is not one.
pub fn crisis_words(rules: &Rules, text: &str) -> bool {
    rules.rules_finding(bounded(text)).is_some()
}

/// Whether a suggestion is held back: it holds crisis words by the rules, or
/// the rules and the model read it as someone at risk (the model may outweigh
/// a sign in a message, never crisis words becoming content).
pub fn held_back(rules: &Rules, text: &str) -> bool {
    crisis_words(rules, text) || finding(rules, text).is_some()
}

/// What a message (chat, a private line, a suggestion) shows, by the rules
/// and the model (bounded like chat), whatever the member's choice about checks.
pub fn finding(rules: &Rules, text: &str) -> Option<Finding> {
    rules.assess(bounded(text))
}

/// What words typed as a command's option show (a title, a time, a name): by
/// the rules alone, since the model reads messages, not a few words of a command.
pub fn command_finding(rules: &Rules, text: &str) -> Option<Finding> {
    rules.rules_finding(bounded(text))
}

/// The start of a message that is checked: the work per message stays bounded.
fn bounded(text: &str) -> &str {
    match text.char_indices().nth(MAX_CHECKED_CHARS) {
        Some((cut, _)) => &text[..cut],
        None => text,
    }
}

/// Checks a message for crisis phrases. The first match in a period brings
/// the resources card, privately; a later match in the same period brings one
/// short line that `/support` and `/resources` are there, and then nothing
/// more until the period ends. When the member holds the floor in a circle,
/// its hosts get one private line per circle (no name, no content).
///
/// A message that says the act is under way (an imminent sign) brings the
/// short card that leads with the emergency number instead, whatever the
/// period, at most once per [`IMMINENT_EVERY_SECS`]; and the hosts of every
/// circle the member sits in hear at once that a member may need care now.
///
/// Returns whether the message touched on a crisis (with checks on), so the
/// caller sends nothing else for it, such as a floor reminder.
pub fn check_chat(cx: &mut Cx<'_, impl Rng>, actor: &Actor, place: &Place, text: &str) -> bool {
    // Bounded work per message, however long it is: only the start is examined.
    let finding = finding(&cx.st.rules, text);
    signpost(cx, actor, place, finding)
}

/// Checks the words typed into a command's option like chat, by the rules
/// alone (see [`command_finding`]).
pub fn check_command_words(cx: &mut Cx<'_, impl Rng>, actor: &Actor, place: &Place, text: &str) -> bool {
    let finding = command_finding(&cx.st.rules, text);
    signpost(cx, actor, place, finding)
}

fn signpost(cx: &mut Cx<'_, impl Rng>, actor: &Actor, place: &Place, finding: Option<Finding>) -> bool {
    let Some(finding) = finding else { return false };
    let member = cx.st.members.get(&actor.member);
    if member.is_some_and(|m| m.crisis_checks_off) {
        return false;
    }
    let now = cx.now;
    let recently = cx.st.imminent_at.get(&actor.member).is_some_and(|t| now.as_second() - t.as_second() < IMMINENT_EVERY_SECS);
    if finding.imminent && !recently {
        cx.st.imminent_at.insert(actor.member.clone(), now);
        cx.whisper(&actor.member, imminent_card(&cx.st.community.resources));
        tell_hosts_now(cx, actor);
        return true;
    }
    let period = i64::from(cx.st.community.settings.signpost_hours) * 3600;
    let last = member.and_then(|m| m.last_signpost).filter(|t| now.as_second() - t.as_second() < period);
    match last {
        None => {
            cx.st.member_mut(&actor.member).last_signpost = Some(now);
            cx.whisper(&actor.member, card(&cx.st.community.resources, Line::new("crisis-intro")));
        }
        Some(at) => {
            // One gentle line, never the whole card again, and never a stream of them.
            let reminded = cx.st.crisis_reminded.get(&actor.member).is_some_and(|r| *r >= at);
            if !reminded {
                cx.st.crisis_reminded.insert(actor.member.clone(), now);
                cx.whisper_line(&actor.member, Line::new("crisis-again"));
            }
        }
    }
    tell_hosts(cx, actor, place);
    true
}

/// The imminent card comes at most this often per member: always when the act
/// is under way, but never a stream of them.
pub const IMMINENT_EVERY_SECS: i64 = 300;

/// The short card for danger under way: the emergency number first (the
/// community's own line for it, else the catalogue's), then where more help is.
pub fn imminent_card(resources: &str) -> Message {
    let lead = match emergency_line(resources) {
        Some(line) => Line::new("crisis-now-emergency").linkable("emergency", line.to_owned()),
        None => Line::new("crisis-now-emergency-default"),
    };
    Message::new(Kind::Crisis, vec![lead, Line::new("crisis-now-more")]).with_actions(&[Action::Support, Action::CrisisWrong])
}

/// The line of a resources card that names the emergency number, if it has one.
pub fn emergency_line(resources: &str) -> Option<&str> {
    resources.lines().map(str::trim).find(|l| l.to_lowercase().contains("emergency"))
}

/// Before a member's first circle or private tool: once, what is checked and how to stop it.
pub fn notice_once(cx: &mut Cx<'_, impl Rng>, who: &MemberRef) {
    if cx.st.members.get(who).is_some_and(|m| m.checks_told) {
        return;
    }
    cx.st.member_mut(who).checks_told = true;
    cx.whisper_line(who, Line::new("checks-notice"));
}

/// The resources card, as sent after a match (`intro` = crisis-intro) or on request.
pub fn card(resources: &str, intro: Line) -> Message {
    Message::new(
        Kind::Crisis,
        vec![intro, Line::new("crisis-resources").linkable("resources", resources.to_owned()), Line::new("crisis-options")],
    )
    .with_actions(&[Action::Support, Action::CrisisWrong, Action::CrisisOff])
}

/// `resources`: any member, any time, privately.
pub fn resources(cx: &mut Cx<'_, impl Rng>, actor: &Actor) {
    let msg = Message::new(
        Kind::Crisis,
        vec![
            Line::new("resources-asked"),
            Line::new("crisis-resources").linkable("resources", cx.st.community.resources.clone()),
            Line::new("resources-options"),
        ],
    )
    .with_actions(&[Action::Support]);
    cx.whisper(&actor.member, msg);
}

/// A speaker who may be struggling: the circle's hosts hear once, privately,
/// that a member may need care. No name and nothing of what was said; the
/// speaker's own choice to page moderators stays with `/support`.
fn tell_hosts(cx: &mut Cx<'_, impl Rng>, actor: &Actor, place: &Place) {
    let Place::Channel(ch) = place else { return };
    let Some(id) = cx.st.circle_in(ch) else { return };
    let Some(c) = cx.st.circles.get(&id) else { return };
    if c.turn.as_ref().is_none_or(|t| t.speaker != actor.member) {
        return;
    }
    if !cx.st.care_noted.insert((id, actor.member.clone())) {
        return;
    }
    let hosts: Vec<_> = std::iter::once(c.host.clone()).chain(c.cohosts.iter().cloned()).filter(|h| *h != actor.member).collect();
    for h in hosts {
        cx.whisper_line(&h, Line::new("care-host"));
    }
}

/// Danger under way: the hosts of every live circle the member sits in hear at
/// once, privately, that a member may need care now. No name, nothing said.
fn tell_hosts_now(cx: &mut Cx<'_, impl Rng>, actor: &Actor) {
    let mut hosts: Vec<MemberRef> = Vec::new();
    for c in cx.st.circles.values().filter(|c| c.is_live() && c.seat(&actor.member).is_some()) {
        for h in std::iter::once(&c.host).chain(&c.cohosts) {
            if *h != actor.member && !hosts.contains(h) {
                hosts.push(h.clone());
            }
        }
    }
    for h in hosts {
        cx.whisper_line(&h, Line::new("care-host-now"));
    }
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
mod tests;

#[cfg(test)]
mod bucket_tests {
    use super::*;

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
