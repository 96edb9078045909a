//! Host tools: start, pause/resume, skip, move, remove, co-host, end, and
//! status. Every host action is audited (who, what, when; never content).

use super::super::cx::{Cx, here};
use super::super::effect::{Effect, Kind, Line, Message};
use super::super::ids::CircleId;
use super::super::input::{Actor, Place};
use super::super::refusal::Refusal;
use super::super::rng::Rng;
use super::super::template::FloorPolicy;
use super::flow::{self, arm, disarm};
use super::turn;
use super::{Circle, Ending, Frozen, Phase, gather, plus, secs_until};

fn hosted<'c>(cx: &'c Cx<'_, impl Rng>, actor: &Actor, id: CircleId) -> Result<&'c Circle, Refusal> {
    let c = cx.st.circles.get(&id).ok_or(Refusal::NoCircleHere)?;
    if c.is_host(&actor.member) || actor.moderator { Ok(c) } else { Err(Refusal::NotHost) }
}

pub fn start(cx: &mut Cx<'_, impl Rng>, actor: &Actor, id: CircleId) -> Result<(), Refusal> {
    let c = hosted(cx, actor, id)?;
    if c.phase != Phase::Gathering {
        return Err(Refusal::AlreadyStarted);
    }
    if c.seats.len() < c.template.min_size {
        return Err(Refusal::TooFewToStart { have: c.seats.len(), need: c.template.min_size });
    }
    cx.audit(actor, "circle start", None, Some(id));
    flow::begin(cx, id);
    Ok(())
}

pub fn pause(cx: &mut Cx<'_, impl Rng>, actor: &Actor, id: CircleId) -> Result<(), Refusal> {
    let c = hosted(cx, actor, id)?;
    if !c.is_running() {
        return Err(Refusal::NotStarted);
    }
    if c.paused.is_some() {
        return Err(Refusal::Paused);
    }
    let now = cx.now;
    let frozen = c.timer.map(|t| Frozen {
        timer_left: secs_until(now, t.at),
        purpose: t.purpose,
        turn_left: c.turn.as_ref().map_or(0, |turn| secs_until(now, turn.deadline)),
    });
    let channel = c.channel.clone();
    let voice = c.voice.clone();
    let hold = c.template.floor == FloorPolicy::Hold && c.turn.is_some();
    disarm(cx, id);
    if let Some(c) = cx.circle_mut(id) {
        c.paused = Some(frozen.unwrap_or(Frozen { timer_left: 0, purpose: super::Purpose::Deadline, turn_left: 0 }));
    }
    if hold {
        cx.out.push(Effect::Floor { channel: channel.clone(), speaker: None, hosts: Vec::new(), voice });
    }
    cx.audit(actor, "circle pause", None, Some(id));
    cx.say(&channel, Message::info(Line::new("paused").text("name", actor.display.clone())));
    Ok(())
}

pub fn resume(cx: &mut Cx<'_, impl Rng>, actor: &Actor, id: CircleId) -> Result<(), Refusal> {
    let c = hosted(cx, actor, id)?;
    let frozen = c.paused.ok_or(Refusal::NotPaused)?;
    let channel = c.channel.clone();
    let voice = c.voice.clone();
    let now = cx.now;
    let turn = c.turn.clone();
    let hold = c.template.floor == FloorPolicy::Hold;
    let hosts = turn::hosts_of(c);
    if let Some(c) = cx.circle_mut(id) {
        c.paused = None;
        if let Some(t) = c.turn.as_mut() {
            t.deadline = plus(now, frozen.turn_left);
        }
    }
    cx.audit(actor, "circle resume", None, Some(id));
    match turn {
        Some(t) => {
            arm(cx, id, plus(now, frozen.timer_left), frozen.purpose);
            let line = if t.reflecting { "resumed-reflecting" } else { "resumed-turn" };
            cx.say(&channel, Message::info(Line::new(line).text("name", t.display).secs("time", frozen.turn_left)));
            if hold && !t.reflecting {
                cx.out.push(Effect::Floor { channel, speaker: Some(t.speaker), hosts, voice });
            }
        }
        None => {
            cx.say(&channel, Message::info(Line::new("resumed")));
            flow::next_speaker(cx, id);
        }
    }
    Ok(())
}

/// `circle next`: moves on from the current speaker or reflection window.
pub fn next(cx: &mut Cx<'_, impl Rng>, actor: &Actor, id: CircleId) -> Result<(), Refusal> {
    let c = hosted(cx, actor, id)?;
    if c.paused.is_some() {
        return Err(Refusal::Paused);
    }
    let turn = c.turn.clone().ok_or(Refusal::NoTurn)?;
    // A typed `circle next` names no turn. One that lands just after a turn began (two hosts
    // typing at once, or a host a beat behind a `done`) was almost surely meant for the turn
    // before, and must not skip this speaker's whole turn.
    if !turn.reflecting && cx.now.as_second() - turn.started_at.as_second() < NEXT_GRACE_SECS {
        return Err(Refusal::JustMovedOn { name: turn.display });
    }
    let channel = c.channel.clone();
    cx.audit(actor, "circle next", Some(turn.speaker.key()), Some(id));
    if turn.reflecting {
        turn::end_reflection(cx, id);
    } else {
        cx.say(&channel, Message::info(Line::new("host-next").member("name", &turn.speaker, turn.display.clone())));
        turn::end_turn(cx, id, Ending::HostNext);
    }
    Ok(())
}

/// How long after a turn begins a typed `circle next` is taken as meant for the turn before.
pub const NEXT_GRACE_SECS: i64 = 3;

/// `circle move NAME POS`: changes where someone waiting to speak stands.
pub fn move_member(cx: &mut Cx<'_, impl Rng>, actor: &Actor, id: CircleId, name: &str, pos: usize) -> Result<(), Refusal> {
    let c = hosted(cx, actor, id)?;
    let seat = c.named(name)?;
    let who = seat.member.clone();
    let display = seat.display.clone();
    let channel = c.channel.clone();
    let gathering = c.phase == Phase::Gathering;
    if gathering && c.template.order == super::super::template::OrderRule::Random {
        // The order is drawn when the circle starts; a move now would be silently undone.
        return Err(Refusal::OrderNotYet);
    }
    let list_len = if gathering { c.seats.len() } else { c.queue.len() };
    let in_list = if gathering { c.seats.iter().any(|s| s.member == who) } else { c.queue.contains(&who) };
    if !in_list {
        let name = display.clone();
        return Err(if c.speaker() == Some(&who) { Refusal::MoveSpeaker { name } } else { Refusal::NotWaiting { name } });
    }
    // Places count from 1; a typed command (a Discord option) can carry a 0 the text parser never makes.
    if pos == 0 || pos > list_len {
        return Err(Refusal::BadPosition { max: list_len });
    }
    let Some(c) = cx.circle_mut(id) else { return Ok(()) };
    if gathering {
        if let Some(from) = c.seats.iter().position(|s| s.member == who) {
            let s = c.seats.remove(from);
            c.seats.insert(pos - 1, s);
        }
    } else {
        c.queue.retain(|m| m != &who);
        c.queue.insert(pos - 1, who.clone());
        // Later rounds follow the new order too.
        c.order.retain(|m| m != &who);
        let anchor = c.queue.get(pos).and_then(|after| c.order.iter().position(|m| m == after));
        match anchor {
            Some(i) => c.order.insert(i, who.clone()),
            None => c.order.push(who.clone()),
        }
    }
    cx.audit(actor, "circle move", Some(who.key()), Some(id));
    cx.say(&channel, Message::info(Line::new("moved").text("name", display).num("pos", pos)));
    Ok(())
}

/// Whether the actor outranks the circle's co-hosts: the opener and moderators do.
fn outranks_cohosts(c: &Circle, actor: &Actor) -> bool {
    actor.moderator || c.host == actor.member
}

/// `circle remove NAME`: the member leaves this circle and stays out until readmitted.
/// A co-host can't remove the opener or another co-host.
pub fn remove(cx: &mut Cx<'_, impl Rng>, actor: &Actor, id: CircleId, name: &str) -> Result<(), Refusal> {
    let c = hosted(cx, actor, id)?;
    let seat = c.named(name)?.clone();
    let who = seat.member.clone();
    if who == actor.member {
        return Err(Refusal::NotYourself);
    }
    if c.is_host(&who) && !outranks_cohosts(c, actor) {
        return Err(Refusal::Outranked);
    }
    cx.audit(actor, "circle remove", Some(who.key()), Some(id));
    if let Some(c) = cx.circle_mut(id) {
        c.removed.push(seat);
    }
    gather::unseat(cx, id, &who);
    cx.whisper_line(&who, Line::new("removed-by-host"));
    cx.whisper_line(&actor.member, Line::new("removed-done"));
    Ok(())
}

/// `circle readmit NAME`: lets a removed member join this circle again.
pub fn readmit(cx: &mut Cx<'_, impl Rng>, actor: &Actor, id: CircleId, name: &str) -> Result<(), Refusal> {
    let c = hosted(cx, actor, id)?;
    let seat = match super::resolve(c.removed.iter(), name) {
        Ok(seat) => seat.clone(),
        Err(Refusal::NoSuchMember { .. }) => return Err(Refusal::NotRemoved { name: super::super::textcheck::preview(name) }),
        Err(other) => return Err(other),
    };
    if let Some(c) = cx.circle_mut(id) {
        c.removed.retain(|s| s.member != seat.member);
    }
    cx.audit(actor, "circle readmit", Some(seat.member.key()), Some(id));
    cx.whisper_line(&seat.member, Line::new("readmitted"));
    // A removal kept for someone who asked to be forgotten has no name: their user id stands in.
    let name = if seat.display.is_empty() { seat.member.user().to_owned() } else { seat.display };
    cx.whisper_line(&actor.member, Line::new("readmitted-done").text("name", name));
    Ok(())
}

/// `circle cohost NAME [on|off]`: only the opener and moderators add or revoke co-hosts.
pub fn cohost(cx: &mut Cx<'_, impl Rng>, actor: &Actor, id: CircleId, name: &str, on: bool) -> Result<(), Refusal> {
    let c = hosted(cx, actor, id)?;
    let seat = c.named(name)?;
    let (who, display, channel) = (seat.member.clone(), seat.display.clone(), c.channel.clone());
    // A co-host may always step down themselves; anything else takes the opener or a moderator.
    let stepping_down = !on && who == actor.member;
    if !stepping_down && !outranks_cohosts(c, actor) {
        return Err(Refusal::Outranked);
    }
    if who == c.host {
        return Err(Refusal::AlreadyOpener);
    }
    let was = c.cohosts.contains(&who);
    if on == was {
        let line = if on { "cohost-already" } else { "cohost-not" };
        cx.whisper_line(&actor.member, Line::new(line).text("name", display));
        return Ok(());
    }
    if let Some(c) = cx.circle_mut(id) {
        if on {
            c.cohosts.push(who.clone());
        } else {
            c.cohosts.retain(|m| m != &who);
        }
    }
    cx.audit(actor, if on { "circle cohost" } else { "circle cohost off" }, Some(who.key()), Some(id));
    let line = if on { "cohost-added" } else { "cohost-removed" };
    cx.say(&channel, Message::info(Line::new(line).text("name", display)));
    Ok(())
}

pub fn end(cx: &mut Cx<'_, impl Rng>, actor: &Actor, id: CircleId) -> Result<(), Refusal> {
    let c = hosted(cx, actor, id)?;
    let gathering = c.phase == Phase::Gathering;
    cx.audit(actor, "circle end", None, Some(id));
    if gathering {
        gather::cancel(cx, id, "closed-before-start");
    } else {
        flow::finish(cx, id);
    }
    Ok(())
}

/// The circle's host is gone for good (they asked to be forgotten) and no co-host can take
/// over. A gathering circle is cancelled kindly: nobody has begun to share, and nobody is
/// left to start it. A running circle carries on without a host, so nobody's share is cut
/// off; its timers move it on, and moderators can use the host tools as in any circle.
pub(crate) fn continue_without_host(cx: &mut Cx<'_, impl Rng>, id: CircleId) {
    let Some(c) = cx.st.circles.get(&id).filter(|c| c.is_live()) else { return };
    let channel = c.channel.clone();
    if c.phase == Phase::Gathering {
        gather::cancel(cx, id, "host-gone-before-start");
    } else {
        cx.say(&channel, Message::info(Line::new("host-gone-carry-on")));
    }
}

/// `circle status`: where the circle is. Hosts also see the pulse aggregate (n ≥ 3 only).
pub fn status(cx: &mut Cx<'_, impl Rng>, actor: &Actor, place: &Place) -> Result<(), Refusal> {
    let Place::Channel(ch) = place else { return Err(Refusal::NeedsChannel) };
    let id = match here(cx, place) {
        Ok(id) => id,
        // After the end, the most recent circle here still answers (for its pulse).
        Err(_) => cx.st.circles.values().filter(|c| &c.channel == ch).map(|c| c.id).max().ok_or(Refusal::NoCircleHere)?,
    };
    let Some(c) = cx.st.circles.get(&id) else { return Err(Refusal::NoCircleHere) };
    let now = cx.now;
    let names: Vec<String> = c.seats.iter().map(|s| if s.away { format!("{} (away)", s.display) } else { s.display.clone() }).collect();
    let mut lines = vec![
        Line::new("status-head")
            .text("phase", c.phase.as_str())
            .text("template", c.template.name.clone())
            .num("count", c.seats.len())
            .num("max", c.template.max_size),
        Line::new("status-members").text("names", if names.is_empty() { "—".to_owned() } else { names.join(", ") }),
    ];
    if !c.waitlist.is_empty() {
        lines.push(Line::new("status-waitlist").num("count", c.waitlist.len()));
    }
    if c.paused.is_some() {
        lines.push(Line::new("status-paused"));
    } else if let Some(t) = &c.turn {
        let left = secs_until(now, t.deadline);
        // Time up but not yet moved on (a deadline that passed while attune was down fires
        // next): "0 s left" would read as a glitch.
        let id = match (t.reflecting, left == 0) {
            (false, false) => "status-speaker",
            (false, true) => "status-speaker-ending",
            (true, false) => "status-reflecting",
            (true, true) => "status-reflecting-ending",
        };
        lines.push(Line::new(id).text("name", t.display.clone()).secs("time", left));
    }
    if !c.queue.is_empty() {
        let upcoming: Vec<String> = c.queue.iter().map(|m| c.display_of(m)).collect();
        lines.push(Line::new("status-upcoming").text("names", upcoming.join(", ")));
    }
    if let Some(at) = c.scheduled_for.filter(|_| c.is_live()) {
        let tz = super::super::timeparse::zone_of(cx.st, &actor.member);
        lines.push(Line::new("status-scheduled").text("when", super::super::timeparse::local_label(at, now, &tz)));
    }
    if (c.is_host(&actor.member) || actor.moderator) && c.phase == Phase::Ended {
        match c.pulse(now) {
            super::Pulse::Open => lines.push(Line::new("status-pulse-open")),
            super::Pulse::Average { count, average } => lines.push(Line::new("status-pulse").num("count", count).text("average", average)),
            super::Pulse::Few(count) => lines.push(Line::new("status-pulse-few").num("count", count)),
        }
    }
    cx.whisper(&actor.member, Message::new(Kind::Info, lines));
    Ok(())
}
