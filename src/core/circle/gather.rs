//! Opening a circle and gathering its members: consent to the agreements,
//! the size cap and waitlist, leaving, and scheduled starts with a quorum.

use std::collections::BTreeMap;

use super::super::command::Opening;
use super::super::cx::Cx;
use super::super::effect::{Action, Effect, Kind, Line, Listing, Message, Placement};
use super::super::ids::{ChannelId, CircleId, MemberRef};
use super::super::input::Actor;
use super::super::member::Consent;
use super::super::refusal::Refusal;
use super::super::rng::Rng;
use super::super::template::Template;
use super::super::textcheck::{self, TextUse};
use super::super::timeparse;
use super::flow::{self, arm, disarm};
use super::turn;
use super::{Circle, Ending, Phase, Purpose, Seat, plus};

/// `circle open [template] [title]`.
pub fn open(cx: &mut Cx<'_, impl Rng>, actor: &Actor, channel: &ChannelId, opening: &Opening) -> Result<(), Refusal> {
    if let Some(c) = cx.st.circle_in(channel).and_then(|id| cx.st.circles.get(&id)) {
        return Err(if c.phase == Phase::Gathering { Refusal::CircleGatheringHere } else { Refusal::CircleAlreadyHere });
    }
    // A host who opens again where their circle's invitation is most likely
    // lost sight of it in its thread: point at it rather than open a twin.
    if cx.st.circles_from(channel).iter().any(|c| c.host == actor.member) {
        return Err(Refusal::OpenedFromHere);
    }
    may_open(cx, actor, channel)?;
    let (template, title) = shape_and_title(cx, opening)?;
    // Crisis words are never posted as a title (`handle` refuses them first; this keeps it so
    // for any other way in), and the refusal doesn't quote them.
    if super::super::safety::crisis_words(&cx.st.rules, &title) {
        return Err(Refusal::TitleKeptPrivate);
    }
    let title = if title.is_empty() { None } else { Some(textcheck::check(&title, TextUse::Title)?) };
    let id = CircleId(cx.st.community.next_circle);
    cx.st.community.next_circle += 1;
    cx.st.dirty.community = true;
    let circle = Circle {
        id,
        channel: channel.clone(),
        title: title.clone(),
        template: template.clone(),
        phase: Phase::Gathering,
        paused: None,
        host: actor.member.clone(),
        cohosts: Vec::new(),
        seats: Vec::new(),
        waitlist: Vec::new(),
        order: Vec::new(),
        queue: Vec::new(),
        deferred: Vec::new(),
        hands: Vec::new(),
        round: 0,
        turn: None,
        used_cards: Vec::new(),
        log: Vec::new(),
        opened_at: cx.now,
        started_at: None,
        sharing_started_at: None,
        ended_at: None,
        scheduled_for: None,
        timer: None,
        generation: 0,
        pulses: BTreeMap::new(),
        anonymous_pulses: Vec::new(),
        unreachable: Vec::new(),
        turns_begun: 0,
        removed: Vec::new(),
        voice: None,
        floor_failed: false,
        origin: None,
        listed: false,
    };
    cx.st.insert_circle(circle);
    arm(cx, id, plus(cx.now, super::UNSTARTED_SECS), Purpose::Lapse);
    cx.audit(actor, "circle open", None, Some(id));
    let mut lines = vec![match &title {
        Some(t) => Line::new("circle-opened-titled").text("host", actor.display.clone()).text("title", t.clone()),
        None => Line::new("circle-opened").text("host", actor.display.clone()),
    }];
    lines.push(
        Line::new("circle-shape")
            .text("template", template.name.clone())
            .num("max", template.max_size)
            .secs("time", template.turn_secs)
            .num("rounds", template.rounds),
    );
    if template.budget_secs > 0 {
        lines.push(Line::new("circle-budget").secs("time", template.budget_secs));
    }
    lines.push(Line::new("circle-join-hint"));
    let message = Message::new(Kind::Info, lines).with_actions(&[Action::Join(id), Action::Leave(id)]);
    let (here, voice) = match opening {
        Opening::Typed { here, voice, .. } => (*here, voice.clone()),
        Opening::Line(_) => (false, None),
    };
    let placement = Box::new(Placement { own_place: !here, name: title, voice });
    cx.out.push(Effect::Invite { circle: id, channel: channel.clone(), message, placement });
    Ok(())
}

/// Who may open circles, and how many at once (`who-opens`, `open-per-member`,
/// `open-per-channel`). Moderators set these and aren't held to the counts; a
/// refusal points at the newest circle that counts against the limit.
fn may_open(cx: &Cx<'_, impl Rng>, actor: &Actor, channel: &ChannelId) -> Result<(), Refusal> {
    let settings = &cx.st.community.settings;
    if !settings.who_opens.admits(actor) {
        return Err(Refusal::OpensOnly { who: settings.who_opens });
    }
    if actor.moderator {
        return Ok(());
    }
    let mine = cx.st.hosted_by(&actor.member);
    if let Some(newest) = mine.last().filter(|_| mine.len() >= settings.open_per_member as usize) {
        return Err(Refusal::OpenLimitMember { count: mine.len(), newest: newest.channel.clone() });
    }
    let here = cx.st.circles_from(channel);
    if let Some(newest) = here.last().filter(|_| here.len() >= settings.open_per_channel as usize) {
        return Err(Refusal::OpenLimitChannel { count: here.len(), newest: newest.channel.clone() });
    }
    Ok(())
}

/// The template and title `circle open` was given. A typed line's first word
/// is a template when one has that name (template names are lowercase: "short
/// Tuesday circle" uses the short template, while "Short walks" keeps its first
/// word; a title in quotes is always whole). Options kept apart mean just what
/// they say: an unknown template is refused, and the title is whole.
fn shape_and_title(cx: &Cx<'_, impl Rng>, opening: &Opening) -> Result<(Template, String), Refusal> {
    let default = || {
        let name = cx.st.community.settings.default_template.clone();
        cx.st.template(&name).cloned().ok_or(Refusal::UnknownTemplate { given: name })
    };
    match opening {
        Opening::Typed { template, title, .. } => {
            let template = match template.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
                Some(name) => cx.st.template(name).cloned().ok_or_else(|| Refusal::UnknownTemplate { given: name.to_owned() })?,
                None => default()?,
            };
            Ok((template, title.as_deref().unwrap_or("").trim().to_owned()))
        }
        Opening::Line(words) => {
            let (first, rest) = words.trim().split_once(char::is_whitespace).unwrap_or((words.trim(), ""));
            let quoted = |s: &str| s.trim().strip_prefix('"').and_then(|t| t.strip_suffix('"')).map(|t| t.trim().to_owned());
            match cx.st.template(first).filter(|_| !first.starts_with('"')) {
                Some(t) => Ok((t.clone(), quoted(rest).unwrap_or_else(|| rest.trim().to_owned()))),
                None => Ok((default()?, quoted(words).unwrap_or_else(|| words.trim().to_owned()))),
            }
        }
    }
}

/// The platform gave a live circle a place of its own and/or linked a voice
/// place (see `Input::Placed`). A place another live circle uses is left alone.
pub fn place(cx: &mut Cx<'_, impl Rng>, id: CircleId, channel: Option<ChannelId>, voice: Option<ChannelId>) {
    if !cx.st.circles.get(&id).is_some_and(|c| c.is_live()) {
        return;
    }
    if let Some(to) = channel
        && cx.st.circle_in(&to).is_none_or(|other| other == id)
    {
        cx.st.move_circle(id, to);
    }
    if let Some(v) = voice {
        let taken = cx.st.circles.values().any(|c| c.id != id && c.is_live() && c.voice.as_ref() == Some(&v));
        let host = cx.st.circles.get(&id).map(|c| c.host.clone());
        match (taken, host) {
            // Two circles can't share a voice channel's floor; the host hears it plainly.
            (true, Some(host)) => cx.whisper_line(&host, Line::new("circle-voice-taken")),
            _ => {
                if let Some(c) = cx.circle_mut(id) {
                    c.voice = Some(v);
                }
            }
        }
    }
}

/// The place `from` was replaced by `to` (`Input::Moved`): live circles there go on
/// in `to`, which hears it once, with where the circle stands; a held floor is held
/// there (the adapter puts the old place's back).
pub fn moved(cx: &mut Cx<'_, impl Rng>, from: &ChannelId, to: &ChannelId) {
    if from == to || cx.st.circle_in(to).is_some_and(|id| cx.st.circles.get(&id).is_some_and(|c| c.is_live() && &c.channel == to)) {
        return;
    }
    let moved = cx.st.rehome(from, to);
    if moved.is_empty() {
        return;
    }
    // One note for the place, naming where the circle under way stands (if one is).
    let mut lines = vec![Line::new("circle-moved-room")];
    for id in moved {
        let Some(c) = cx.st.circles.get(&id) else { continue };
        let Some(t) = c.turn.as_ref().filter(|_| c.is_running() && c.paused.is_none()) else { continue };
        if t.reflecting {
            lines.push(Line::new("circle-moved-room-reflecting").member("name", &t.speaker, t.display.clone()));
            continue;
        }
        let left = super::secs_until(cx.now, t.deadline);
        lines.push(Line::new("circle-moved-room-turn").member("name", &t.speaker, t.display.clone()).secs("time", left));
        if c.template.floor == super::super::template::FloorPolicy::Hold {
            let floor =
                Effect::Floor { channel: to.clone(), speaker: Some(t.speaker.clone()), hosts: turn::hosts_of(c), voice: c.voice.clone() };
            cx.out.push(floor);
        }
    }
    cx.say(to, Message::new(Kind::Info, lines));
}

/// `circle join`: asks for consent to the current agreements first.
pub fn join(cx: &mut Cx<'_, impl Rng>, actor: &Actor, id: CircleId) -> Result<(), Refusal> {
    let c = cx.st.circles.get(&id).ok_or(Refusal::NoCircleHere)?;
    if c.seat(&actor.member).is_some() {
        return Err(Refusal::AlreadyJoined);
    }
    if c.is_removed(&actor.member) {
        return Err(Refusal::RemovedFromCircle);
    }
    if c.waitlist.iter().any(|s| s.member == actor.member) {
        return Err(Refusal::AlreadyWaiting);
    }
    if c.is_running() && !c.template.late_join {
        return Err(Refusal::LateJoinClosed);
    }
    crate::core::safety::notice_once(cx, &actor.member);
    let version = cx.st.community.agreements_version;
    let consented = cx.st.members.get(&actor.member).and_then(|m| m.consent).is_some_and(|k| k.version >= version);
    if !consented {
        let member = cx.st.member_mut(&actor.member);
        member.pending_join = Some(id);
        member.pending_agreements = Some(version);
        show_agreements(cx, &actor.member, "agreements-intro", id);
        return Ok(());
    }
    seat(cx, actor, id);
    Ok(())
}

/// Shows the current agreements privately, after `intro`, and asks for `agree`
/// with a button that names the circle being joined.
fn show_agreements(cx: &mut Cx<'_, impl Rng>, to: &MemberRef, intro: &'static str, circle: CircleId) {
    let agreements = match cx.st.community.agreements_text.clone() {
        Some(text) => Line::new("agreements-custom").text("agreements", text),
        None => Line::new("agreements"),
    };
    let msg = Message::new(Kind::Info, vec![Line::new(intro), agreements, Line::new("agreements-ask")])
        .with_actions(&[Action::Agree(Some(circle))]);
    cx.whisper(to, msg);
}

/// Takes a seat (or a waitlist place) once consent is in order.
fn seat(cx: &mut Cx<'_, impl Rng>, actor: &Actor, id: CircleId) {
    let Some(c) = cx.circle_mut(id) else { return };
    let display = c.distinct_display(&actor.member, &actor.display);
    let new = Seat { member: actor.member.clone(), display: display.clone(), away: false };
    let channel = c.channel.clone();
    let max = c.template.max_size;
    if c.seats.len() >= max {
        c.waitlist.push(new);
        let place = c.waitlist.len();
        cx.whisper_line(&actor.member, Line::new("waitlisted").num("place", place));
        return;
    }
    c.seats.push(new);
    let count = c.seats.len();
    if c.is_running() {
        c.order.push(actor.member.clone());
        // Leaving and rejoining (or passing ahead and rejoining) never earns a second turn this round.
        if !c.had_turn_this_round(&actor.member) {
            c.queue.push(actor.member.clone());
        }
        cx.say(&channel, Message::info(Line::new("joined-late").member("name", &actor.member, display)));
    } else {
        cx.say(&channel, Message::info(Line::new("joined").member("name", &actor.member, display).num("count", count).num("max", max)));
    }
}

/// `agree`: records consent to the current agreements and completes a join.
///
/// `scope` is the circle whose Agree button was pressed; a typed `agree` means
/// the join waiting for consent. A member who asked to join two circles joins
/// the one whose agreements they agreed to, never the other.
pub fn agree(cx: &mut Cx<'_, impl Rng>, actor: &Actor, scope: Option<CircleId>) -> Result<(), Refusal> {
    let version = cx.st.community.agreements_version;
    let now = cx.now;
    let member = cx.st.members.get(&actor.member);
    let pending = member.and_then(|m| m.pending_join);
    let consented = member.and_then(|m| m.consent).is_some_and(|k| k.version >= version);
    // Consent is only taken right after the agreements were shown, when joining.
    let Some(target) = scope.or(pending).filter(|_| pending.is_some() || consented) else {
        return Err(Refusal::NothingToAgree);
    };
    if !consented {
        let shown = member.and_then(|m| m.pending_agreements);
        if shown != Some(version) {
            // The agreements changed after they were shown: nobody consents to text they never saw.
            cx.st.member_mut(&actor.member).pending_agreements = Some(version);
            show_agreements(cx, &actor.member, "agreements-changed", target);
            return Ok(());
        }
        let member = cx.st.member_mut(&actor.member);
        member.consent = Some(Consent { version, at: now });
        member.pending_agreements = None;
        member.pending_join = None;
        cx.whisper_line(&actor.member, Line::new("agreed"));
    } else if pending == Some(target) {
        cx.st.member_mut(&actor.member).pending_join = None;
    }
    if !cx.st.circles.get(&target).is_some_and(|c| c.is_live()) {
        cx.whisper_line(&actor.member, Line::new("agreed-circle-gone"));
        return Ok(());
    }
    if cx.st.circles.get(&target).is_some_and(|c| c.seat(&actor.member).is_some()) {
        return Err(Refusal::AlreadyJoined);
    }
    // The join is re-checked now: the circle may have filled or begun meanwhile.
    match join(cx, actor, target) {
        Ok(()) => Ok(()),
        Err(r) => {
            cx.refuse(&actor.member, &r);
            Ok(())
        }
    }
}

/// `circle leave`: from the waitlist, the gathering, or a running circle (without comment).
pub fn leave(cx: &mut Cx<'_, impl Rng>, actor: &Actor, id: CircleId) -> Result<(), Refusal> {
    let c = cx.st.circles.get(&id).ok_or(Refusal::NoCircleHere)?;
    let seated = c.seat(&actor.member).is_some();
    let waiting = c.waitlist.iter().any(|s| s.member == actor.member);
    if !seated && !waiting {
        return Err(Refusal::NotInCircle);
    }
    let pending = cx.st.members.get(&actor.member).and_then(|m| m.pending_join) == Some(id);
    if pending {
        let member = cx.st.member_mut(&actor.member);
        member.pending_join = None;
        member.pending_agreements = None;
    }
    cx.whisper_line(&actor.member, Line::new("left"));
    unseat(cx, id, &actor.member);
    Ok(())
}

/// Removes a member from a circle: promotes the waitlist while gathering,
/// ends their turn if they were speaking. Nothing is said publicly.
pub(super) fn unseat(cx: &mut Cx<'_, impl Rng>, id: CircleId, who: &MemberRef) {
    let Some(c) = cx.st.circles.get(&id) else { return };
    let speaking = c.speaker() == Some(who);
    let reflecting = c.turn.as_ref().is_some_and(|t| t.reflecting);
    let was_seated = c.seat(who).is_some();
    let gathering = c.phase == Phase::Gathering;
    let Some(c) = cx.circle_mut(id) else { return };
    c.unseat(who);
    let channel = c.channel.clone();
    // Taken out of the order first, so the next speaker is never the one leaving.
    if speaking && reflecting {
        turn::end_reflection(cx, id);
    } else if speaking {
        turn::end_turn(cx, id, Ending::Left);
    }
    let Some(c) = cx.circle_mut(id) else { return };
    let can_promote = gathering || (c.is_running() && c.template.late_join);
    let promote = (was_seated && can_promote && !c.waitlist.is_empty()).then(|| c.waitlist.remove(0));
    if let Some(next) = promote {
        let max = c.template.max_size;
        c.seats.push(next.clone());
        let count = c.seats.len();
        if c.is_running() {
            c.order.push(next.member.clone());
            // Someone who spoke, left and came back via the waitlist doesn't speak twice this round.
            if !c.had_turn_this_round(&next.member) {
                c.queue.push(next.member.clone());
            }
        }
        cx.whisper_line(&next.member, Line::new("promoted"));
        let line = if gathering { Line::new("joined").num("count", count).num("max", max) } else { Line::new("joined-late") };
        cx.say(&channel, Message::info(line.text("name", next.display)));
    }
    if cx.st.circles.get(&id).is_some_and(|c| c.is_running() && c.seats.is_empty()) {
        flow::finish(cx, id);
        return;
    }
    // One person left in a running circle: the hosts hear it privately, and decide.
    let alone = cx.st.circles.get(&id).filter(|c| was_seated && c.is_running() && c.seats.len() == 1);
    if let Some(c) = alone {
        let (last, name) = (c.seats[0].member.clone(), c.seats[0].display.clone());
        let hosts: Vec<MemberRef> = std::iter::once(c.host.clone()).chain(c.cohosts.iter().cloned()).filter(|h| !h.is_erased()).collect();
        for h in hosts {
            let line = if h == last { Line::new("host-alone") } else { Line::new("host-one-left").member("name", &last, name.clone()) };
            cx.whisper_line(&h, line);
        }
    }
}

/// The platform says a member left: take them out of every live circle.
pub fn leave_everywhere(cx: &mut Cx<'_, impl Rng>, who: &MemberRef) {
    let ids: Vec<CircleId> = cx
        .st
        .circles
        .values()
        .filter(|c| c.is_live() && (c.seat(who).is_some() || c.waitlist.iter().any(|s| &s.member == who)))
        .map(|c| c.id)
        .collect();
    for id in ids {
        unseat(cx, id, who);
    }
}

/// `circle schedule TIME` (host): a reminder before, a quorum check at the start.
pub fn schedule(cx: &mut Cx<'_, impl Rng>, actor: &Actor, id: CircleId, when: &str) -> Result<(), Refusal> {
    let c = cx.st.circles.get(&id).ok_or(Refusal::NoCircleHere)?;
    if !(c.is_host(&actor.member) || actor.moderator) {
        return Err(Refusal::NotHost);
    }
    if c.phase != Phase::Gathering {
        return Err(Refusal::AlreadyStarted);
    }
    let reminder = c.template.reminder_secs;
    let channel = c.channel.clone();
    let tz = timeparse::zone_of(cx.st, &actor.member);
    let at = timeparse::parse_when(when, cx.now, &tz)?;
    if at <= cx.now {
        return Err(Refusal::TimeInPast);
    }
    let remind_at = plus(at, -reminder);
    if let Some(c) = cx.circle_mut(id) {
        c.scheduled_for = Some(at);
    }
    if reminder > 0 && remind_at > cx.now {
        arm(cx, id, remind_at, Purpose::Reminder);
    } else {
        arm(cx, id, at, Purpose::Start);
    }
    cx.audit(actor, "circle schedule", None, Some(id));
    let local = timeparse::local_label(at, cx.now, &tz);
    cx.say(&channel, Message::info(Line::new("scheduled").text("when", local)));
    list(cx, id, at);
    Ok(())
}

/// Lists (or moves) a scheduled circle in the community's calendar.
fn list(cx: &mut Cx<'_, impl Rng>, id: CircleId, at: jiff::Timestamp) {
    let Some(c) = cx.circle_mut(id) else { return };
    c.listed = true;
    let t = &c.template;
    // About how long it takes with every place taken (each turn with its reflections
    // and one extension), within its time budget.
    let size = i64::try_from(t.max_size).unwrap_or(i64::MAX);
    let turn = t.turn_secs.saturating_add(t.reflection_secs).saturating_add(t.extend_secs);
    let sharing = turn.saturating_mul(i64::from(t.rounds)).saturating_mul(size);
    let sharing = if t.budget_secs > 0 { sharing.min(t.budget_secs) } else { sharing };
    let secs = t.checkin_secs.saturating_mul(size).saturating_add(sharing).saturating_add(t.closing_secs);
    let listing = Listing::Scheduled {
        title: c.title.clone(),
        at,
        ends_about: plus(at, secs.max(15 * 60)),
        channel: c.channel.clone(),
        voice: c.voice.clone(),
        about: Message::info(Line::new("listing-about")),
    };
    cx.out.push(Effect::Listing { circle: id, listing: Box::new(listing) });
}

/// A listed circle still to begin is listed again as it is now (its title was
/// cleared when its opener asked to be forgotten).
pub(crate) fn list_again(cx: &mut Cx<'_, impl Rng>, id: CircleId) {
    if let Some(at) = cx.st.circles.get(&id).filter(|c| c.listed && c.phase == Phase::Gathering).and_then(|c| c.scheduled_for) {
        list(cx, id, at);
    }
}

/// The calendar entry of a listed circle changes (started, ended, cancelled).
pub(super) fn relist(cx: &mut Cx<'_, impl Rng>, id: CircleId, listing: Listing) {
    if cx.st.circles.get(&id).is_some_and(|c| c.listed) {
        cx.out.push(Effect::Listing { circle: id, listing: Box::new(listing) });
    }
}

/// The reminder before a scheduled start, to those who joined (outside their quiet hours).
pub(super) fn remind(cx: &mut Cx<'_, impl Rng>, id: CircleId) {
    let Some(c) = cx.st.circles.get(&id) else { return };
    let Some(at) = c.scheduled_for else { return };
    let left = super::secs_until(cx.now, at);
    let members: Vec<MemberRef> = c.seats.iter().map(|s| s.member.clone()).collect();
    for m in members {
        if timeparse::in_quiet_hours(cx.st, &m, cx.now) {
            continue;
        }
        cx.whisper_line(&m, Line::new("reminder").secs("time", left));
    }
    // Those who marked the circle's calendar entry as interesting hear it too.
    if let Some(c) = cx.st.circles.get(&id).filter(|c| c.listed) {
        let title = match &c.title {
            Some(t) => Line::new("reminder-interested").text("title", t.clone()),
            None => Line::new("reminder-interested-untitled"),
        };
        // Nor anyone a host removed, nor anyone attune knows to be in their quiet hours.
        let mut skip: Vec<MemberRef> = c.seats.iter().chain(&c.waitlist).chain(&c.removed).map(|s| s.member.clone()).collect();
        skip.extend(cx.st.members.keys().filter(|m| timeparse::in_quiet_hours(cx.st, m, cx.now)).cloned());
        let message = Message::info(title.secs("time", left));
        cx.out.push(Effect::Listing { circle: id, listing: Box::new(Listing::Remind { message, skip }) });
    }
    arm(cx, id, at, Purpose::Start);
}

/// A scheduled start: begin if the quorum is met, otherwise cancel kindly.
pub(super) fn scheduled_start(cx: &mut Cx<'_, impl Rng>, id: CircleId) {
    let Some(c) = cx.st.circles.get(&id) else { return };
    if c.seats.len() >= c.template.min_size {
        flow::begin(cx, id);
        return;
    }
    cancel(cx, id, "cancelled-quorum");
}

/// A circle opened without a start time that nobody started within a day
/// closes kindly, freeing its channel and its host's count. A schedule or a
/// start replaces this timer, so it finds such a circle still gathering and
/// unscheduled; anything else is left alone.
pub(super) fn lapse(cx: &mut Cx<'_, impl Rng>, id: CircleId) {
    if cx.st.circles.get(&id).is_some_and(|c| c.phase == Phase::Gathering && c.scheduled_for.is_none()) {
        cancel(cx, id, "cancelled-unstarted");
    }
}

/// Cancels a circle that hasn't begun: its timer stops, joins waiting for consent are
/// dropped, and the channel hears `line`.
pub(super) fn cancel(cx: &mut Cx<'_, impl Rng>, id: CircleId, line: &'static str) {
    let Some(c) = cx.st.circles.get(&id) else { return };
    let channel = c.channel.clone();
    let now = cx.now;
    disarm(cx, id);
    relist(cx, id, Listing::Cancelled);
    if let Some(c) = cx.circle_mut(id) {
        c.conclude(Phase::Cancelled, now);
    }
    drop_pending_joins(cx, id);
    cx.say(&channel, Message::info(Line::new(line)));
}

/// Forgets joins still waiting for consent to a circle that won't go ahead.
/// (Seated and waitlisted members have already consented, so only others can be waiting.)
pub(super) fn drop_pending_joins(cx: &mut Cx<'_, impl Rng>, id: CircleId) {
    let waiting: Vec<MemberRef> = cx.st.members.iter().filter(|(_, m)| m.pending_join == Some(id)).map(|(k, _)| k.clone()).collect();
    for m in &waiting {
        let member = cx.st.member_mut(m);
        member.pending_join = None;
        member.pending_agreements = None;
    }
}
