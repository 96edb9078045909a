//! What members do inside a running circle: done, pass, extend, away/back,
//! raise a hand, choose what comes back, ask for another card, and the pulse.

use super::super::cx::{Cx, here};
use super::super::effect::{Kind, Line, Message};
use super::super::ids::CircleId;
use super::super::input::{Actor, Place};
use super::super::refusal::Refusal;
use super::super::rng::Rng;
use super::super::template::{Mode, OrderRule};
use super::flow::arm;
use super::turn;
use super::{Circle, Ending, Purpose, TurnKind, plus};

fn running<'c>(cx: &'c Cx<'_, impl Rng>, id: CircleId) -> Result<&'c Circle, Refusal> {
    let c = cx.st.circles.get(&id).ok_or(Refusal::NoCircleHere)?;
    if !c.is_running() {
        return Err(Refusal::NotStarted);
    }
    if c.paused.is_some() {
        return Err(Refusal::Paused);
    }
    Ok(c)
}

/// Why someone who isn't the speaker can't use the speaker's own tools: a
/// host is pointed at the host tool, a listener told whose it is.
fn not_the_speaker(c: &Circle, actor: &Actor) -> Refusal {
    if c.is_host(&actor.member) || actor.moderator {
        Refusal::HostNotSpeaker
    } else if c.seat(&actor.member).is_none() {
        Refusal::NotInCircle
    } else {
        Refusal::NotYourTurn
    }
}

pub fn done(cx: &mut Cx<'_, impl Rng>, actor: &Actor, id: CircleId) -> Result<(), Refusal> {
    let c = running(cx, id)?;
    let turn = c.turn.as_ref().filter(|t| t.speaker == actor.member).ok_or_else(|| not_the_speaker(c, actor))?;
    if turn.reflecting {
        turn::end_reflection(cx, id);
    } else {
        turn::end_turn(cx, id, Ending::Done);
    }
    Ok(())
}

/// `pass`: during your turn it ends it; before your turn it passes this round. No reason asked.
pub fn pass(cx: &mut Cx<'_, impl Rng>, actor: &Actor, id: CircleId) -> Result<(), Refusal> {
    let c = running(cx, id)?;
    if c.seat(&actor.member).is_none() {
        return Err(not_the_speaker(c, actor));
    }
    if let Some(turn) = c.turn.as_ref().filter(|t| t.speaker == actor.member) {
        let channel = c.channel.clone();
        let name = turn.display.clone();
        if turn.reflecting {
            turn::end_reflection(cx, id);
        } else {
            cx.say(&channel, Message::info(Line::new("passed").member("name", &actor.member, name)));
            turn::end_turn(cx, id, Ending::Passed);
        }
        return Ok(());
    }
    if !c.queue.contains(&actor.member) {
        return Err(if c.had_turn_this_round(&actor.member) { Refusal::NothingToPass } else { Refusal::NotYourTurn });
    }
    let now = cx.now;
    let kind = c.turn.as_ref().map_or(TurnKind::Sharing, |t| t.kind);
    if let Some(c) = cx.circle_mut(id) {
        c.queue.retain(|m| m != &actor.member);
        c.hands.retain(|m| m != &actor.member);
        let round = c.round;
        c.log.push(super::TurnRecord { speaker: actor.member.clone(), kind, round, started: now, ended: now, how: Ending::Passed });
    }
    cx.whisper_line(&actor.member, Line::new("pass-ahead"));
    Ok(())
}

pub fn extend(cx: &mut Cx<'_, impl Rng>, actor: &Actor, id: CircleId) -> Result<(), Refusal> {
    let c = running(cx, id)?;
    let turn = c.turn.as_ref().filter(|t| t.speaker == actor.member).ok_or_else(|| not_the_speaker(c, actor))?;
    let extra = c.template.extend_secs;
    if turn.reflecting || turn.extended || extra == 0 || turn.kind != TurnKind::Sharing {
        return Err(Refusal::CannotExtend);
    }
    let (channel, name, warning) = (c.channel.clone(), turn.display.clone(), c.template.warning_secs);
    let deadline = plus(turn.deadline, extra);
    if let Some(t) = cx.circle_mut(id).and_then(|c| c.turn.as_mut()) {
        t.deadline = deadline;
        t.extended = true;
    }
    let warn_at = plus(deadline, -warning);
    if warning > 0 && warn_at > cx.now {
        arm(cx, id, warn_at, Purpose::Warning);
    } else {
        arm(cx, id, deadline, Purpose::Deadline);
    }
    cx.say(&channel, Message::info(Line::new("extended").text("name", name).secs("time", extra)));
    Ok(())
}

/// The speaker took back their request for more time (a withdrawn reaction):
/// while the turn's usual time isn't up yet, the turn is back to it, and more
/// time can be asked for again. Once the extra time has begun it stays. A
/// withdrawal that changes nothing says nothing: taking back a reaction is quiet.
pub fn unextend(cx: &mut Cx<'_, impl Rng>, actor: &Actor, id: CircleId) -> Result<(), Refusal> {
    let Ok(c) = running(cx, id) else { return Ok(()) };
    let Some(turn) = c.turn.as_ref().filter(|t| t.speaker == actor.member && t.extended && !t.reflecting) else { return Ok(()) };
    let usual = plus(turn.deadline, -c.template.extend_secs);
    if usual <= cx.now {
        return Ok(());
    }
    let (channel, name, warning) = (c.channel.clone(), turn.display.clone(), c.template.warning_secs);
    if let Some(t) = cx.circle_mut(id).and_then(|c| c.turn.as_mut()) {
        t.deadline = usual;
        t.extended = false;
    }
    let warn_at = plus(usual, -warning);
    if warning > 0 && warn_at > cx.now {
        arm(cx, id, warn_at, Purpose::Warning);
    } else {
        arm(cx, id, usual, Purpose::Deadline);
    }
    cx.say(&channel, Message::info(Line::new("extend-withdrawn").text("name", name)));
    Ok(())
}

pub fn away(cx: &mut Cx<'_, impl Rng>, actor: &Actor, id: CircleId) -> Result<(), Refusal> {
    let c = cx.st.circles.get(&id).ok_or(Refusal::NoCircleHere)?;
    let seat = c.seat(&actor.member).ok_or(Refusal::NotInCircle)?;
    if seat.away {
        cx.whisper_line(&actor.member, Line::new("away-already"));
        return Ok(());
    }
    let speaking = c.turn.as_ref().is_some_and(|t| t.speaker == actor.member && !t.reflecting);
    if let Some(c) = cx.circle_mut(id) {
        for s in c.seats.iter_mut().filter(|s| s.member == actor.member) {
            s.away = true;
        }
    }
    cx.whisper_line(&actor.member, Line::new("away"));
    if speaking {
        // Their turn comes round again later in this round, once they are back.
        if let Some(c) = cx.circle_mut(id) {
            c.deferred.push(actor.member.clone());
        }
        turn::end_turn(cx, id, Ending::Away);
    }
    Ok(())
}

pub fn back(cx: &mut Cx<'_, impl Rng>, actor: &Actor, id: CircleId) -> Result<(), Refusal> {
    let c = cx.st.circles.get(&id).ok_or(Refusal::NoCircleHere)?;
    let seat = c.seat(&actor.member).ok_or(Refusal::NotInCircle)?;
    if !seat.away {
        cx.whisper_line(&actor.member, Line::new("back-already"));
        return Ok(());
    }
    if let Some(c) = cx.circle_mut(id) {
        for s in c.seats.iter_mut().filter(|s| s.member == actor.member) {
            s.away = false;
        }
    }
    cx.whisper_line(&actor.member, Line::new("back"));
    Ok(())
}

pub fn hand(cx: &mut Cx<'_, impl Rng>, actor: &Actor, id: CircleId) -> Result<(), Refusal> {
    let c = running(cx, id)?;
    if c.template.order != OrderRule::Hand {
        return Err(Refusal::NoHands);
    }
    if c.seat(&actor.member).is_none() {
        return Err(Refusal::NotInCircle);
    }
    if c.speaker() == Some(&actor.member) {
        cx.whisper_line(&actor.member, Line::new("hand-own-turn"));
        return Ok(());
    }
    if !c.queue.contains(&actor.member) {
        return Err(Refusal::AlreadySpoke);
    }
    if c.hands.contains(&actor.member) {
        // Already up: no second public announcement.
        // "You'll be next" would promise too much while other hands are up ahead.
        let first = c.hands.first() == Some(&actor.member);
        cx.whisper_line(&actor.member, Line::new(if first { "hand-already" } else { "hand-already-queued" }));
        return Ok(());
    }
    let (channel, display) = (c.channel.clone(), c.display_of(&actor.member));
    if let Some(c) = cx.circle_mut(id) {
        c.hands.push(actor.member.clone());
    }
    cx.say(&channel, Message::info(Line::new("hand-raised").text("name", display)));
    Ok(())
}

/// `mode`: during your sharing turn, changes what comes back now; otherwise saves your default.
pub fn mode(cx: &mut Cx<'_, impl Rng>, actor: &Actor, place: &Place, mode: Mode) -> Result<(), Refusal> {
    let paused_speaker = here(cx, place)
        .ok()
        .and_then(|id| cx.st.circles.get(&id))
        .is_some_and(|c| c.paused.is_some() && c.turn.as_ref().is_some_and(|t| t.speaker == actor.member && t.kind == TurnKind::Sharing));
    if paused_speaker {
        // Otherwise it would silently become their saved default instead of this turn's choice.
        return Err(Refusal::Paused);
    }
    let current = here(cx, place).ok().and_then(|id| {
        let c = cx.st.circles.get(&id)?;
        let t = c.turn.as_ref()?;
        (t.speaker == actor.member && !t.reflecting && t.kind == TurnKind::Sharing && c.paused.is_none())
            .then(|| (id, c.channel.clone(), t.display.clone()))
    });
    let Some((id, channel, name)) = current else {
        cx.st.member_mut(&actor.member).default_mode = Some(mode);
        cx.whisper_line(&actor.member, Line::new("mode-saved").text("mode", mode.as_str()));
        return Ok(());
    };
    let drawn = cx
        .st
        .circles
        .get(&id)
        .and_then(|c| c.turn.as_ref())
        .and_then(|t| t.card.clone())
        .and_then(|card| super::super::deck::find(cx.st.decks.values(), &card).map(turn::Drawn::from));
    if let Some(t) = cx.circle_mut(id).and_then(|c| c.turn.as_mut()) {
        t.mode = mode;
        t.mode_chosen = true;
    }
    cx.say(&channel, Message::info(Line::new(turn::mode_line(mode, true)).text("name", name)));
    turn::send_guides(cx, id, drawn);
    Ok(())
}

/// `card`: the speaker asks for another prompt.
pub fn card(cx: &mut Cx<'_, impl Rng>, actor: &Actor, id: CircleId) -> Result<(), Refusal> {
    let c = running(cx, id)?;
    let turn = c.turn.as_ref().filter(|t| t.speaker == actor.member && !t.reflecting).ok_or(Refusal::NotYourTurn)?;
    let (channel, turn_kind) = (c.channel.clone(), turn.kind);
    let turn_ref = super::TurnRef { circle: id, seq: turn.seq };
    let drawn = turn::draw_card(cx, id, turn_kind).ok_or(Refusal::NoCardFits)?;
    if let Some(c) = cx.circle_mut(id) {
        c.used_cards.push(drawn.id.clone());
        if let Some(t) = c.turn.as_mut() {
            t.card = Some(drawn.id.clone());
        }
    }
    // The swap itself is not announced: the circle sees only the prompt, and a
    // prompt with a content warning goes to the speaker alone.
    if drawn.cw.is_empty() {
        cx.say(&channel, Message::new(Kind::Info, vec![Line::new("turn-prompt").text("prompt", drawn.text.clone())]));
    } else {
        turn::private_note(cx, &actor.member, &drawn, turn_ref);
    }
    if turn_kind == TurnKind::Sharing {
        turn::send_guides(cx, id, Some(drawn));
    }
    Ok(())
}

/// `card show`: the speaker chose to see the prompt behind its content note. It comes
/// privately; the turn and its timer are untouched. Asked again, or for a card without
/// a note, it simply shows the turn's prompt again, privately.
pub fn card_show(cx: &mut Cx<'_, impl Rng>, actor: &Actor, id: CircleId) -> Result<(), Refusal> {
    let c = running(cx, id)?;
    let turn = c.turn.as_ref().filter(|t| t.speaker == actor.member && !t.reflecting).ok_or(Refusal::NotYourTurn)?;
    let prompt = turn.card.as_ref().and_then(|card| super::super::deck::find(cx.st.decks.values(), card)).map(|card| card.text.clone());
    let line = match prompt {
        Some(text) => Line::new("turn-prompt").text("prompt", text),
        None => Line::new("turn-free"),
    };
    cx.whisper(&actor.member, Message::new(Kind::Card, vec![line]));
    Ok(())
}

/// `pulse N`: the private "did you feel heard?" answer for the member's last circle.
pub fn pulse(cx: &mut Cx<'_, impl Rng>, actor: &Actor, n: u8) -> Result<(), Refusal> {
    let Some(id) = cx.st.members.get(&actor.member).and_then(|m| m.pending_pulse) else {
        let now = cx.now;
        let answered = cx.st.circles.values().any(|c| c.pulses.contains_key(&actor.member) && c.pulse_open(now));
        return Err(if answered { Refusal::PulseAnswered } else { Refusal::NoPulseWaiting });
    };
    if !cx.st.circles.get(&id).is_some_and(|c| c.pulse_open(cx.now)) {
        return Err(Refusal::NoPulseWaiting);
    }
    if let Some(c) = cx.circle_mut(id) {
        c.pulses.insert(actor.member.clone(), n);
    }
    cx.st.member_mut(&actor.member).pending_pulse = None;
    // A 1 is someone who didn't feel heard: acknowledged, with a way to a person.
    cx.whisper_line(&actor.member, Line::new(if n == 1 { "pulse-thanks-low" } else { "pulse-thanks" }));
    Ok(())
}
