//! The working context of one `handle` call: the community's state, the time,
//! the RNG and the effects so far. Feature modules (circle, help, moderation,
//! privacy, reflection, safety) work through it; `handle.rs` dispatches to them.

use jiff::Timestamp;

use super::circle::Circle;
use super::effect::{Effect, Kind, Line, Message};
use super::ids::{ChannelId, CircleId, MemberRef};
use super::input::{Actor, Place};
use super::refusal::Refusal;
use super::rng::Rng;
use super::safety::{Bucket, Rate};
use super::state::{AuditEntry, State};

/// The command limit for moderators and the console's local user.
const SETUP_RATE_PER_MINUTE: u32 = 600;

/// The working context of one `handle` call.
pub struct Cx<'a, R: Rng> {
    pub st: &'a mut State,
    pub now: Timestamp,
    pub rng: &'a mut R,
    pub out: Vec<Effect>,
}

impl<R: Rng> Cx<'_, R> {
    /// Says something in a channel. A private kind of message is never said in
    /// public: it is a bug to try, caught in every test, and dropped in production.
    pub fn say(&mut self, channel: &ChannelId, message: Message) {
        debug_assert!(!message.kind.is_private(), "a private {:?} message was about to be said in public", message.kind);
        if message.kind.is_private() {
            return;
        }
        self.out.push(Effect::Say { channel: channel.clone(), message });
    }

    pub fn whisper(&mut self, to: &MemberRef, message: Message) {
        let message = if message.must_see() { message.notifying(to) } else { message };
        self.out.push(Effect::Whisper { to: to.clone(), message });
    }

    pub fn whisper_line(&mut self, to: &MemberRef, line: Line) {
        self.whisper(to, Message::info(line));
    }

    /// Tells a member privately why a command was declined. A refusal never
    /// quotes words that match the crisis rules back: those get a neutral line
    /// instead (crisis words are never content, not even in a reply).
    pub fn refuse(&mut self, to: &MemberRef, refusal: &Refusal) {
        let line = super::refusal_line(refusal);
        let quotes_crisis = line.args.iter().any(|(_, arg)| match arg {
            super::effect::Arg::Text(t) | super::effect::Arg::Linkable(t) => super::safety::crisis_words(&self.st.rules, t),
            _ => false,
        });
        let line = if quotes_crisis { Line::new("refusal-words-kept") } else { line };
        self.whisper(to, Message::new(Kind::Refusal, vec![line]));
    }

    pub fn audit(&mut self, actor: &Actor, action: &str, target: Option<String>, circle: Option<CircleId>) {
        self.st.dirty.audit.push(AuditEntry { at: self.now, actor: actor.member.clone(), action: action.to_owned(), target, circle });
    }

    /// A circle, marked as changed.
    pub fn circle_mut(&mut self, id: CircleId) -> Option<&mut Circle> {
        self.st.dirty.circles.insert(id);
        self.st.circles.get_mut(&id).map(|c| &mut **c)
    }

    /// Runs a command; on refusal, drops any effects it produced and tells the member why.
    /// Handlers validate before they change state, so a refusal changes nothing.
    /// Returns whether the command went through.
    pub(super) fn guarded(&mut self, actor: &Actor, f: impl FnOnce(&mut Self) -> Result<(), Refusal>) -> bool {
        let mark = self.out.len();
        match f(self) {
            Ok(()) => true,
            Err(refusal) => {
                self.out.truncate(mark);
                self.refuse(&actor.member, &refusal);
                false
            }
        }
    }

    pub(super) fn rate_ok(&mut self, actor: &Actor) -> bool {
        // Moderators setting up a community send many commands in a row, and every console
        // member is the one local person rehearsing; the per-member limit is there to stop
        // floods from others, not setup.
        let setup = actor.moderator || actor.member.platform() == super::ids::Platform::Console;
        let rate = self.st.community.settings.rate_per_minute;
        let rate = if setup { rate.max(SETUP_RATE_PER_MINUTE) } else { rate };
        let now = self.now;
        let bucket = self.st.buckets.entry(actor.member.clone()).or_insert_with(|| Bucket::new(rate, now));
        match bucket.take(rate, now) {
            Rate::Allowed => true,
            Rate::Limited { tell } => {
                if tell {
                    self.refuse(&actor.member, &Refusal::RateLimited);
                }
                false
            }
        }
    }

    /// Keeps a member's display name current, but never creates a record just for it:
    /// someone who only asks for help leaves nothing behind.
    pub(super) fn remember_display(&mut self, actor: &Actor) {
        let changed = self.st.members.get(&actor.member).is_some_and(|m| m.display != actor.display);
        if changed {
            self.st.member_mut(&actor.member).display = actor.display.clone();
        }
    }
}

/// The live circle in the place a command came from.
pub fn here(cx: &Cx<'_, impl Rng>, place: &Place) -> Result<CircleId, Refusal> {
    let Place::Channel(ch) = place else { return Err(Refusal::NeedsChannel) };
    if let Some(id) = cx.st.circle_in(ch) {
        return Ok(id);
    }
    // A channel whose circle runs in a thread made from its invitation: the
    // invitation says "join with circle join" here, so here is where it works.
    match cx.st.circles_from(ch).as_slice() {
        [] => Err(Refusal::NoCircleHere),
        [one] => Ok(one.id),
        several => Err(Refusal::WhichCircle { titles: several.iter().map(|c| told_apart(cx, c)).collect::<Vec<_>>().join(", ") }),
    }
}

/// How people tell one circle from another: its title in quotes, or whose it is.
fn told_apart(cx: &Cx<'_, impl Rng>, c: &crate::core::circle::Circle) -> String {
    match &c.title {
        Some(t) => format!("\u{201c}{t}\u{201d}"),
        None => {
            let host = cx.st.members.get(&c.host).map(|m| m.display.clone()).filter(|d| !d.is_empty());
            format!("\u{201c}{}\u{201d}", host.as_deref().unwrap_or("untitled"))
        }
    }
}
