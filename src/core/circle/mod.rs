//! Witnessing circles: the lifecycle `Gathering → Opening → Sharing →
//! Closing → Ended` (plus pause and cancel), turns, and host tools.
//!
//! A circle has at most one armed timer. Arming bumps `generation`; a timer
//! that fires with an older generation is stale and does nothing. This is how
//! pause, extend, skip and restarts stay correct without cancelling anything.

mod flow;
mod gather;
mod host;
mod speaker;
mod turn;

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

pub use flow::{announce, on_timer, recover, to_announce};
pub(crate) use gather::list_again;
pub use gather::{agree, join, leave, leave_everywhere, open, schedule};
pub use gather::{moved, place};
pub(crate) use host::continue_without_host;
pub use host::{cohost, end, move_member, next, pause, readmit, remove, resume, start, status};
pub use speaker::{away, back, card, card_show, done, extend, hand, mode, pass, pulse, unextend};

use super::ids::{ChannelId, CircleId, MemberRef, Slug};
use super::template::{Mode, Template};

/// See [`Circle::pulse`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pulse {
    Open,
    Few(usize),
    Average { count: usize, average: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    Gathering,
    Opening,
    Sharing,
    Closing,
    Ended,
    Cancelled,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Gathering => "gathering",
            Phase::Opening => "opening",
            Phase::Sharing => "sharing",
            Phase::Closing => "closing",
            Phase::Ended => "ended",
            Phase::Cancelled => "cancelled",
        }
    }
}

/// A member's place in a circle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seat {
    pub member: MemberRef,
    pub display: String,
    pub away: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TurnKind {
    CheckIn,
    Sharing,
    CheckOut,
}

impl TurnKind {
    /// The kind of card that prompts this kind of turn.
    pub fn card_kind(self) -> super::deck::Kind {
        match self {
            TurnKind::CheckIn => super::deck::Kind::CheckIn,
            TurnKind::Sharing => super::deck::Kind::Sharing,
            TurnKind::CheckOut => super::deck::Kind::Closing,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turn {
    pub speaker: MemberRef,
    pub display: String,
    pub kind: TurnKind,
    pub card: Option<Slug>,
    pub mode: Mode,
    pub started_at: Timestamp,
    pub deadline: Timestamp,
    pub extended: bool,
    /// True once the speaker's time is over and listeners may reflect.
    pub reflecting: bool,
    /// Listeners already nudged this turn; nobody is nudged twice.
    pub nudged: Vec<MemberRef>,
    /// Whether the speaker chose the mode (now, or as their saved default), rather
    /// than the template's default applying; wording must not claim a wish they never voiced.
    #[serde(default)]
    pub mode_chosen: bool,
    /// This turn's number within its circle (1, 2, …), so a button from an
    /// earlier turn's message can be told apart from this one.
    #[serde(default)]
    pub seq: u64,
}

/// A turn, as a button or reaction names it: the circle and the turn's number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TurnRef {
    pub circle: CircleId,
    pub seq: u64,
}

/// How a turn ended: metadata only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Ending {
    Done,
    Passed,
    Time,
    Away,
    Left,
    HostNext,
    CircleEnded,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TurnRecord {
    pub speaker: MemberRef,
    pub kind: TurnKind,
    pub round: u32,
    pub started: Timestamp,
    pub ended: Timestamp,
    pub how: Ending,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Purpose {
    Reminder,
    Start,
    Warning,
    Deadline,
    ReflectionEnd,
    /// A circle opened without a start time that nobody started: it closes
    /// [`UNSTARTED_SECS`] after it was opened (see `gather::lapse`).
    Lapse,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timer {
    pub at: Timestamp,
    pub purpose: Purpose,
}

/// What a pause froze: the seconds left on the timer and on the turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frozen {
    pub timer_left: i64,
    pub purpose: Purpose,
    pub turn_left: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Circle {
    pub id: CircleId,
    pub channel: ChannelId,
    pub title: Option<String>,
    pub template: Template,
    pub phase: Phase,
    pub paused: Option<Frozen>,
    pub host: MemberRef,
    pub cohosts: Vec<MemberRef>,
    pub seats: Vec<Seat>,
    pub waitlist: Vec<Seat>,
    /// The speaking order, fixed at the opening; late joiners are appended.
    pub order: Vec<MemberRef>,
    /// Who still speaks this round, next first.
    pub queue: Vec<MemberRef>,
    /// Skipped while away this round; offered once more at the round's end.
    pub deferred: Vec<MemberRef>,
    pub hands: Vec<MemberRef>,
    pub round: u32,
    pub turn: Option<Turn>,
    pub used_cards: Vec<Slug>,
    /// Finished turns, in order. Stored one row per turn by the store, never inside the
    /// circle's document, so a turn's end appends a row instead of rewriting a growing log.
    #[serde(default, skip_serializing)]
    pub log: Vec<TurnRecord>,
    pub opened_at: Timestamp,
    pub started_at: Option<Timestamp>,
    /// When the sharing rounds began (for the template's time budget).
    #[serde(default)]
    pub sharing_started_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    pub scheduled_for: Option<Timestamp>,
    pub timer: Option<Timer>,
    pub generation: u64,
    pub pulses: BTreeMap<MemberRef, u8>,
    /// Pulses of members who asked to be forgotten: counted, not attributed.
    pub anonymous_pulses: Vec<u8>,
    /// Members whose private messages could not be delivered, so the hosts are told once.
    #[serde(default)]
    pub unreachable: Vec<MemberRef>,
    /// How many turns have begun, for each turn's `seq`.
    #[serde(default)]
    pub turns_begun: u64,
    /// Members a host removed: they stay out of this circle until a host readmits them.
    /// A removed member who asks to be forgotten keeps only their reference here, with an
    /// empty display name, until the circle ends (see [`Circle::conclude`]).
    #[serde(default)]
    pub removed: Vec<Seat>,
    /// A place linked for speaking aloud (a Discord voice channel), where the
    /// platform holds the floor too. Set by the adapter (`Input::Placed`).
    #[serde(default)]
    pub voice: Option<ChannelId>,
    /// The platform could not hold the floor (missing permissions); the hosts were told.
    #[serde(default)]
    pub floor_failed: bool,
    /// Where the circle was opened, when the platform gave it a place of its own
    /// there (a thread made from its invitation): commands typed in that channel
    /// still reach it.
    #[serde(default)]
    pub origin: Option<ChannelId>,
    /// The circle was scheduled and so listed in the community's calendar
    /// (`Effect::Listing`): its start, end or cancelling updates the entry.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub listed: bool,
}

impl Circle {
    pub fn is_live(&self) -> bool {
        !matches!(self.phase, Phase::Ended | Phase::Cancelled)
    }
    pub fn is_running(&self) -> bool {
        matches!(self.phase, Phase::Opening | Phase::Sharing | Phase::Closing)
    }
    pub fn seat(&self, who: &MemberRef) -> Option<&Seat> {
        self.seats.iter().find(|s| &s.member == who)
    }
    pub fn is_host(&self, who: &MemberRef) -> bool {
        &self.host == who || self.cohosts.contains(who)
    }
    /// The current turn, as its buttons name it.
    pub fn turn_ref(&self) -> Option<TurnRef> {
        self.turn.as_ref().map(|t| TurnRef { circle: self.id, seq: t.seq })
    }
    /// Ends or cancels the circle. A removal kept for someone who asked to be forgotten (an
    /// empty display name) has done its job once the circle is over, and goes now.
    pub(crate) fn conclude(&mut self, phase: Phase, now: Timestamp) {
        self.phase = phase;
        self.ended_at = Some(now);
        self.removed.retain(|s| !s.display.is_empty());
    }
    /// Whether a member was removed from this circle and not readmitted.
    pub fn is_removed(&self, who: &MemberRef) -> bool {
        self.removed.iter().any(|s| &s.member == who)
    }
    pub fn speaker(&self) -> Option<&MemberRef> {
        self.turn.as_ref().map(|t| &t.speaker)
    }
    /// Resolves a host tool's target to a seated or waiting member. See [`resolve`].
    pub fn named(&self, name: &str) -> Result<&Seat, super::refusal::Refusal> {
        resolve(self.seats.iter().chain(self.waitlist.iter()), name)
    }

    /// A name for a new seat that looks like nobody else's here: a look-alike gets a number.
    pub fn distinct_display(&self, who: &MemberRef, display: &str) -> String {
        let taken = |d: &str| {
            let key = super::member::display_key(d);
            self.seats
                .iter()
                .chain(self.waitlist.iter())
                .any(|s| &s.member != who && (super::member::display_key(&s.display) == key || s.member.user().to_lowercase() == key))
        };
        if !taken(display) {
            return display.to_owned();
        }
        (2..).map(|n| format!("{display} ({n})")).find(|d| !taken(d)).unwrap_or_else(|| display.to_owned())
    }

    pub fn display_of(&self, who: &MemberRef) -> String {
        self.seats
            .iter()
            .chain(self.waitlist.iter())
            .find(|s| &s.member == who)
            .map_or_else(|| who.user().to_owned(), |s| s.display.clone())
    }
    /// The kind of turn the current phase gives.
    pub fn turn_kind(&self) -> TurnKind {
        match self.phase {
            Phase::Opening => TurnKind::CheckIn,
            Phase::Closing => TurnKind::CheckOut,
            _ => TurnKind::Sharing,
        }
    }

    /// Whether a member already spoke, passed or was skipped in the current round.
    pub fn had_turn_this_round(&self, who: &MemberRef) -> bool {
        let kind = self.turn_kind();
        self.turn.as_ref().is_some_and(|t| &t.speaker == who)
            || self.log.iter().any(|r| &r.speaker == who && r.kind == kind && r.round == self.round && r.how != Ending::Away)
    }

    /// Whether "did you feel heard?" answers are still being collected: after the end, until
    /// everyone has answered or a day has passed. The average is shown only once this closes,
    /// so a host can't work out one person's answer by watching it change.
    pub fn pulse_open(&self, now: Timestamp) -> bool {
        let Some(ended) = self.ended_at.filter(|_| self.phase == Phase::Ended) else { return false };
        let everyone = self.seats.iter().all(|s| self.pulses.contains_key(&s.member));
        !everyone && now < plus(ended, PULSE_WINDOW_SECS)
    }

    /// What may be said of the "did you feel heard?" answers: nothing while they are
    /// collected, the average only once at least three answered (so nobody's answer
    /// can be worked out), else only how many answered.
    pub fn pulse(&self, now: Timestamp) -> Pulse {
        let scores = self.pulse_scores();
        if self.pulse_open(now) {
            return Pulse::Open;
        }
        if scores.len() < 3 {
            return Pulse::Few(scores.len());
        }
        let sum: i64 = scores.iter().map(|s| i64::from(*s)).sum();
        // Rounded to the nearest tenth (4, 5 and 2 average 3.7), never truncated.
        let n = scores.len() as i64;
        let tenths = (sum * 20 + n) / (2 * n);
        Pulse::Average { count: scores.len(), average: format!("{}.{}", tenths / 10, tenths % 10) }
    }

    /// All pulse answers, attributed or not.
    pub fn pulse_scores(&self) -> Vec<u8> {
        self.pulses.values().copied().chain(self.anonymous_pulses.iter().copied()).collect()
    }
    /// Removes a member from the speaking order and every list, keeping metadata. Someone
    /// no longer in the circle doesn't keep co-host powers over it.
    pub(crate) fn unseat(&mut self, who: &MemberRef) {
        self.cohosts.retain(|m| m != who);
        self.seats.retain(|s| &s.member != who);
        self.waitlist.retain(|s| &s.member != who);
        self.order.retain(|m| m != who);
        self.queue.retain(|m| m != who);
        self.deferred.retain(|m| m != who);
        self.hands.retain(|m| m != who);
    }
}

/// The one place a host tool's target becomes a member.
///
/// A platform reference is exact and comes first: a Discord mention (`<@123>`,
/// `<@!123>`) or a Matrix user id (`@name:server`) names that user and nobody
/// else. Otherwise the name the circle shows comes first: exactly as shown
/// (case-insensitive, `@` optional, cleaned like any display name), then folded
/// for look-alike letters; a user id is the fallback when no shown name fits. A
/// name that fits more than one person is refused rather than guessed, and so is
/// a match that needed folding while another seat's shown name folds to the same
/// base (`alice` and `аlice (2)`): typing an impersonator's name must never reach
/// the member they imitate.
pub fn resolve<'s>(seats: impl Iterator<Item = &'s Seat> + Clone, name: &str) -> Result<&'s Seat, super::refusal::Refusal> {
    use super::member::{clean_display, display_key};
    use super::refusal::Refusal;
    let trimmed = name.trim();
    if let Some(user) = reference(trimmed) {
        return seats.into_iter().find(|s| s.member.user() == user).ok_or(Refusal::NoSuchMember { name: super::textcheck::preview(name) });
    }
    let raw = trimmed.trim_start_matches(['@', '＠']);
    let ambiguous = || Refusal::AmbiguousName { name: super::textcheck::preview(raw) };
    let shown = clean_display(raw).map(|d| d.to_lowercase());
    let exact: Vec<&Seat> = seats.clone().filter(|s| shown.as_deref().is_some_and(|d| s.display.to_lowercase() == d)).collect();
    match exact.as_slice() {
        [one] => return Ok(one),
        [] => {}
        _ => return Err(ambiguous()),
    }
    let key = display_key(raw);
    let folded: Vec<&Seat> = seats.clone().filter(|s| !key.is_empty() && display_key(&s.display) == key).collect();
    if let [one] = folded.as_slice() {
        let base = display_key(numbered_base(&one.display));
        let look_alike = seats.clone().any(|s| s.member != one.member && display_key(numbered_base(&s.display)) == base);
        return if look_alike { Err(ambiguous()) } else { Ok(one) };
    }
    let user = raw.to_lowercase();
    let found: Vec<&Seat> = if folded.is_empty() { seats.filter(|s| s.member.user().to_lowercase() == user).collect() } else { folded };
    match found.as_slice() {
        [one] => Ok(one),
        [] => Err(Refusal::NoSuchMember { name: super::textcheck::preview(name) }),
        _ => Err(ambiguous()),
    }
}

/// A shown name without the number a look-alike seat was given: `alice (2)` → `alice`.
fn numbered_base(display: &str) -> &str {
    display
        .strip_suffix(')')
        .and_then(|s| s.rsplit_once(" ("))
        .filter(|(_, n)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
        .map_or(display, |(base, _)| base)
}

/// The user id an exact platform reference names: a Discord mention or a Matrix user id.
fn reference(s: &str) -> Option<&str> {
    if let Some(inner) = s.strip_prefix("<@").and_then(|r| r.strip_suffix('>')) {
        let id = inner.strip_prefix('!').unwrap_or(inner);
        return (!id.is_empty() && id.chars().all(|c| c.is_ascii_digit())).then_some(id);
    }
    let (local, server) = s.strip_prefix('@')?.split_once(':')?;
    (!local.is_empty() && !server.is_empty() && !s.chars().any(char::is_whitespace)).then_some(s)
}

/// How long after a circle ends its pulse stays open.
pub const PULSE_WINDOW_SECS: i64 = 86_400;

/// How long a circle opened without a start time may gather before it closes,
/// unstarted: a day. Until then it holds its channel and counts against its
/// host's `open-per-member`, so one left behind would block both for good.
pub const UNSTARTED_SECS: i64 = 86_400;

pub use super::time::{plus, secs_until};
