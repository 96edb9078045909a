//! The circle's flow: opening, rounds, turns, timers, closing and recovery.

use super::super::cx::Cx;
use super::super::effect::{Action, Effect, Kind, Line, Message};
use super::super::ids::{CircleId, MemberRef};
use super::super::input::TimerKey;
use super::super::rng::Rng;
use super::super::state::State;
use super::super::template::{FloorPolicy, OrderRule};
use super::turn::{end_reflection, end_turn, record, start_turn};
use super::{Ending, Phase, Purpose, Timer, TurnKind, secs_until};

/// Arms the circle's single timer, superseding any earlier one.
pub(super) fn arm(cx: &mut Cx<'_, impl Rng>, id: CircleId, at: jiff::Timestamp, purpose: Purpose) {
    let Some(c) = cx.circle_mut(id) else { return };
    c.generation += 1;
    c.timer = Some(Timer { at, purpose });
    let generation = c.generation;
    cx.out.push(Effect::Schedule { key: TimerKey::Circle(id), at, generation });
}

/// Disarms the timer: the next firing will be stale.
pub(super) fn disarm(cx: &mut Cx<'_, impl Rng>, id: CircleId) {
    if let Some(c) = cx.circle_mut(id) {
        c.generation += 1;
        c.timer = None;
    }
}

/// Gathering → Opening: agreements, arrival, the order, then the check-in round.
pub(super) fn begin(cx: &mut Cx<'_, impl Rng>, id: CircleId) {
    let now = cx.now;
    let Some(c) = cx.st.circles.get(&id) else { return };
    let mut order: Vec<MemberRef> = c.seats.iter().map(|s| s.member.clone()).collect();
    let rule = c.template.order;
    if rule == OrderRule::Random {
        cx.rng.shuffle(&mut order);
    }
    let arrival = c.template.arrival;
    let channel = c.channel.clone();
    let released: Vec<MemberRef> = if c.template.late_join { Vec::new() } else { c.waitlist.iter().map(|s| s.member.clone()).collect() };
    for m in &released {
        cx.whisper_line(m, Line::new("waitlist-ended"));
    }
    let custom = cx.st.community.agreements_text.clone();
    let Some(c) = cx.circle_mut(id) else { return };
    c.phase = Phase::Opening;
    c.started_at = Some(now);
    if !c.template.late_join {
        c.waitlist.clear();
    }
    c.scheduled_for = None;
    c.order = order.clone();
    let names: Vec<String> = order.iter().map(|m| c.display_of(m)).collect();
    let mut lines = vec![Line::new("opening-welcome")];
    match custom {
        Some(text) => lines.push(Line::new("opening-agreements-custom").text("agreements", text)),
        None => lines.push(Line::new("opening-agreements")),
    }
    if arrival {
        lines.push(Line::new("opening-arrival"));
    }
    let order_line = match rule {
        OrderRule::Join => "order-join",
        OrderRule::Random => "order-random",
        OrderRule::Hand => "order-hand",
    };
    lines.push(Line::new(order_line).text("names", names.join(", ")));
    lines.push(Line::new("checkin-begins"));
    cx.say(&channel, Message::new(Kind::Info, lines));
    super::gather::relist(cx, id, super::super::effect::Listing::Started);
    start_round(cx, id);
}

/// Fills the queue for a new round and starts its first turn.
fn start_round(cx: &mut Cx<'_, impl Rng>, id: CircleId) {
    if let Some(c) = cx.circle_mut(id) {
        let present: Vec<MemberRef> = c.order.iter().filter(|m| c.seat(m).is_some()).cloned().collect();
        c.queue = present;
        c.deferred.clear();
        c.hands.clear();
    }
    next_speaker(cx, id);
}

/// Picks the next speaker, moving through rounds and phases as they finish.
pub(super) fn next_speaker(cx: &mut Cx<'_, impl Rng>, id: CircleId) {
    // Each pass through the loop either starts a turn, skips an away member
    // (shrinking the queue) or advances the phase, so it terminates.
    loop {
        let Some(c) = cx.st.circles.get(&id) else { return };
        if !c.is_running() || c.paused.is_some() {
            return;
        }
        if c.seats.is_empty() {
            finish(cx, id);
            return;
        }
        let pick = if c.template.order == OrderRule::Hand {
            c.hands.iter().find(|m| c.queue.contains(m)).cloned().or_else(|| c.queue.first().cloned())
        } else {
            c.queue.first().cloned()
        };
        let Some(speaker) = pick else {
            // Those skipped while away get one more chance if they are back.
            let back: Vec<MemberRef> = c.deferred.iter().filter(|m| c.seat(m).is_some_and(|s| !s.away)).cloned().collect();
            if let Some(c) = cx.circle_mut(id) {
                c.deferred.clear();
                if !back.is_empty() {
                    c.queue = back;
                    continue;
                }
            }
            if !advance_phase(cx, id) {
                return;
            }
            continue;
        };
        let away = c.seat(&speaker).is_some_and(|s| s.away);
        let already_deferred = c.deferred.contains(&speaker);
        if let Some(c) = cx.circle_mut(id) {
            c.queue.retain(|m| m != &speaker);
            c.hands.retain(|m| m != &speaker);
        }
        if away {
            record(cx, id, &speaker, turn_kind(cx, id), cx.now, Ending::Away);
            if let Some(c) = cx.circle_mut(id)
                && !already_deferred
            {
                c.deferred.push(speaker);
            }
            continue;
        }
        start_turn(cx, id, speaker);
        return;
    }
}

pub(super) fn turn_kind(cx: &Cx<'_, impl Rng>, id: CircleId) -> TurnKind {
    cx.st.circles.get(&id).map_or(TurnKind::Sharing, |c| c.turn_kind())
}

/// Whether the template's sharing time budget (if any) is used up.
fn budget_spent(c: &super::Circle, now: jiff::Timestamp) -> bool {
    let budget = c.template.budget_secs;
    budget > 0 && c.sharing_started_at.is_some_and(|t| now.as_second() - t.as_second() >= budget)
}

/// Moves to the next round or phase. Returns false when the circle ended.
fn advance_phase(cx: &mut Cx<'_, impl Rng>, id: CircleId) -> bool {
    let Some(c) = cx.st.circles.get(&id) else { return false };
    let channel = c.channel.clone();
    let (phase, round, rounds, budget) = (c.phase, c.round, c.template.rounds, c.template.budget_secs);
    match phase {
        Phase::Opening => {
            let now = cx.now;
            if let Some(c) = cx.circle_mut(id) {
                c.phase = Phase::Sharing;
                c.round = 1;
                c.sharing_started_at = Some(now);
            }
            let mut lines = vec![Line::new("sharing-begins").num("rounds", rounds)];
            if budget > 0 && rounds > 1 {
                lines.push(Line::new("circle-budget").secs("time", budget));
            }
            cx.say(&channel, Message::new(Kind::Info, lines));
        }
        Phase::Sharing if round < rounds && !budget_spent(c, cx.now) => {
            if let Some(c) = cx.circle_mut(id) {
                c.round += 1;
            }
            cx.say(&channel, Message::info(Line::new("round-begins").num("round", round + 1).num("rounds", rounds)));
        }
        Phase::Sharing => {
            // Closing before the promised rounds is said out loud, never done silently.
            let early = round < rounds;
            if let Some(c) = cx.circle_mut(id) {
                c.phase = Phase::Closing;
            }
            let line = if early { "closing-budget" } else { "closing-begins" };
            cx.say(&channel, Message::info(Line::new(line)));
        }
        _ => {
            finish(cx, id);
            return false;
        }
    }
    let Some(c) = cx.circle_mut(id) else { return false };
    c.queue = c.order.iter().filter(|m| c.seats.iter().any(|s| &s.member == *m)).cloned().collect();
    c.deferred.clear();
    c.hands.clear();
    true
}

/// Closing words, the pulse, and Ended.
pub(super) fn finish(cx: &mut Cx<'_, impl Rng>, id: CircleId) {
    let now = cx.now;
    let Some(c) = cx.st.circles.get(&id) else { return };
    let channel = c.channel.clone();
    let voice = c.voice.clone();
    let floor = c.template.floor;
    let members: Vec<MemberRef> = c.seats.iter().map(|s| s.member.clone()).collect();
    let turn = c.turn.clone();
    if let Some(t) = turn.filter(|t| !t.reflecting) {
        record(cx, id, &t.speaker, t.kind, t.started_at, Ending::CircleEnded);
    }
    disarm(cx, id);
    super::gather::relist(cx, id, super::super::effect::Listing::Ended);
    let waiting: Vec<MemberRef> = cx.st.circles.get(&id).map(|c| c.waitlist.iter().map(|s| s.member.clone()).collect()).unwrap_or_default();
    if let Some(c) = cx.circle_mut(id) {
        c.conclude(Phase::Ended, now);
        c.turn = None;
        c.queue.clear();
        c.waitlist.clear();
        c.paused = None;
    }
    // Nobody is left waiting for a place that will never come.
    for m in waiting {
        cx.whisper_line(&m, Line::new("waitlist-ended"));
    }
    if floor == FloorPolicy::Hold {
        cx.out.push(Effect::Floor { channel: channel.clone(), speaker: None, hosts: Vec::new(), voice });
    }
    cx.say(&channel, Message::new(Kind::Info, vec![Line::new("circle-ended"), Line::new("confidentiality-reminder")]));
    for m in members {
        cx.st.member_mut(&m).pending_pulse = Some(id);
        cx.whisper(&m, Message::new(Kind::Pulse, vec![Line::new("pulse-ask")]).with_actions(&Action::pulse_choices(id)));
    }
}

/// A circle timer fired.
pub fn on_timer(cx: &mut Cx<'_, impl Rng>, id: CircleId, generation: u64) {
    let Some(c) = cx.st.circles.get(&id) else { return };
    if c.generation != generation || c.paused.is_some() || !c.is_live() {
        return;
    }
    let Some(timer) = c.timer else { return };
    let channel = c.channel.clone();
    if let Some(c) = cx.circle_mut(id) {
        c.timer = None;
    }
    match timer.purpose {
        Purpose::Reminder => super::gather::remind(cx, id),
        Purpose::Start => super::gather::scheduled_start(cx, id),
        Purpose::Warning => {
            let Some(turn) = cx.st.circles.get(&id).and_then(|c| c.turn.clone()) else { return };
            let left = secs_until(cx.now, turn.deadline);
            // After downtime the warning can come due with no time left: then it says nothing.
            if left > 0 {
                let can_extend = !turn.extended && cx.st.circles.get(&id).is_some_and(|c| c.template.extend_secs > 0);
                let extend = if can_extend { "yes" } else { "no" };
                cx.whisper_line(&turn.speaker, Line::new("turn-warning").secs("time", left).text("extend", extend));
            }
            arm(cx, id, turn.deadline, Purpose::Deadline);
        }
        Purpose::Deadline => {
            let Some(turn) = cx.st.circles.get(&id).and_then(|c| c.turn.clone()) else { return };
            cx.say(&channel, Message::info(Line::new("turn-time").member("name", &turn.speaker, turn.display)));
            end_turn(cx, id, Ending::Time);
        }
        Purpose::ReflectionEnd => end_reflection(cx, id),
        Purpose::Lapse => super::gather::lapse(cx, id),
    }
}

/// After a restart: re-arm every live circle's timer exactly as stored (same
/// generation, so nothing is repeated). What running circles are told comes
/// later, from [`announce`], once their platform is connected.
///
/// A circle stored while gathering, unscheduled and with no timer (opened by a
/// build from before unstarted circles closed) gets the day it would have had
/// from its opening. It is set in memory only, so each restart gives it the same
/// until it fires or the circle's next change saves it.
pub fn recover(cx: &mut Cx<'_, impl Rng>) {
    let timeless: Vec<(CircleId, jiff::Timestamp)> = cx
        .st
        .circles
        .values()
        .filter(|c| c.phase == Phase::Gathering && c.timer.is_none() && c.scheduled_for.is_none())
        .map(|c| (c.id, super::plus(c.opened_at, super::UNSTARTED_SECS)))
        .collect();
    for (id, at) in timeless {
        if let Some(c) = cx.st.circles.get_mut(&id) {
            c.timer = Some(Timer { at, purpose: Purpose::Lapse });
        }
    }
    for c in cx.st.circles.values() {
        if let Some(t) = c.timer
            && c.is_live()
        {
            cx.out.push(Effect::Schedule { key: TimerKey::Circle(c.id), at: t.at, generation: c.generation });
        }
    }
}

/// The circles a restart tells where they are: running, not paused (see [`announce`]).
pub fn to_announce(st: &State) -> Vec<CircleId> {
    st.circles.values().filter(|c| c.is_running() && c.paused.is_none()).map(|c| c.id).collect()
}

/// After a restart, once the platform is connected: tells each of these circles
/// still running where it stands now (`notes`), and sets a held floor again
/// (`floors`: the platform's permissions may not have survived the crash). Made
/// a batch at a time, so a restart never holds a note for every circle at once.
pub fn announce(cx: &mut Cx<'_, impl Rng>, circles: &[CircleId], floors: bool, notes: bool) {
    let now = cx.now;
    for id in circles {
        let Some(c) = cx.st.circles.get(id) else { continue };
        if !(c.is_running() && c.paused.is_none()) {
            continue;
        }
        let channel = c.channel.clone();
        if floors && c.template.floor == FloorPolicy::Hold {
            let speaker = c.turn.as_ref().filter(|t| !t.reflecting).map(|t| t.speaker.clone());
            let floor = Effect::Floor { channel: channel.clone(), speaker, hosts: super::turn::hosts_of(c), voice: c.voice.clone() };
            cx.out.push(floor);
        }
        if !notes {
            continue;
        }
        let line = match &c.turn {
            // Time ran out while attune was down; the deadline fires next, so don't claim "0 s left".
            Some(t) if secs_until(now, t.deadline) == 0 => Line::new("recovered"),
            Some(t) if t.reflecting => {
                Line::new("recovered-reflecting").member("name", &t.speaker, t.display.clone()).secs("time", secs_until(now, t.deadline))
            }
            Some(t) => Line::new("recovered-turn").member("name", &t.speaker, t.display.clone()).secs("time", secs_until(now, t.deadline)),
            None => Line::new("recovered"),
        };
        cx.say(&channel, Message::info(line));
    }
}
