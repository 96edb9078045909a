//! One turn: drawing its card, announcing it, guiding the listeners,
//! holding the floor, and ending it (with a reflection window when the
//! speaker welcomed one).

use super::super::deck::{self, Filter};
use super::super::effect::{Action, Effect, Kind, Line, Message};
use super::super::handle::Cx;
use super::super::ids::{CircleId, MemberRef, Slug};
use super::super::rng::Rng;
use super::super::template::{FloorPolicy, Mode};
use super::flow::{arm, disarm, next_speaker, turn_kind};
use super::{Ending, Purpose, Turn, TurnKind, TurnRecord, plus};

/// Draws an unused card of the turn's kind that fits the circle's template.
pub(super) fn draw_card(cx: &mut Cx<'_, impl Rng>, id: CircleId, kind: TurnKind) -> Option<(Slug, String, Option<String>)> {
    let c = cx.st.circles.get(&id)?;
    let t = &c.template;
    let filter = Filter {
        kind: Some(kind.card_kind()),
        themes: &t.themes,
        max_intensity: Some(t.max_intensity),
        exclude_cw: &t.exclude_cw,
        exclude_ids: &c.used_cards,
        ..Filter::default()
    };
    let card = deck::draw(cx.st.decks.values(), &filter, cx.rng)?;
    Some((card.id.clone(), card.text.clone(), card.guide.clone()))
}

/// Starts a turn: prompt, time, what comes back, guides for listeners, the floor.
pub(super) fn start_turn(cx: &mut Cx<'_, impl Rng>, id: CircleId, speaker: MemberRef) {
    let kind = turn_kind(cx, id);
    let Some(c) = cx.st.circles.get(&id) else { return };
    let t = &c.template;
    let secs = match kind {
        TurnKind::CheckIn => t.checkin_secs,
        TurnKind::Sharing => t.turn_secs,
        TurnKind::CheckOut => t.closing_secs,
    };
    let mode = match kind {
        TurnKind::Sharing => cx.st.members.get(&speaker).and_then(|m| m.default_mode).unwrap_or(t.default_mode),
        _ => Mode::Witness,
    };
    let (warning, floor, extend) = (t.warning_secs, t.floor, t.extend_secs);
    let display = c.display_of(&speaker);
    let channel = c.channel.clone();
    let card = draw_card(cx, id, kind);
    let now = cx.now;
    let deadline = plus(now, secs);
    let Some(c) = cx.circle_mut(id) else { return };
    if let Some((card_id, _, _)) = &card {
        c.used_cards.push(card_id.clone());
    }
    c.turn = Some(Turn {
        speaker: speaker.clone(),
        display: display.clone(),
        kind,
        card: card.as_ref().map(|(id, _, _)| id.clone()),
        mode,
        started_at: now,
        deadline,
        extended: false,
        reflecting: false,
        nudged: Vec::new(),
    });
    let hosts = hosts_of(c);
    if warning > 0 && warning < secs {
        arm(cx, id, plus(now, secs - warning), Purpose::Warning);
    } else {
        arm(cx, id, deadline, Purpose::Deadline);
    }
    let announce = turn_message(kind, &display, card.as_ref().map(|(_, text, _)| text.as_str()), secs, mode, extend > 0);
    cx.say(&channel, announce);
    if kind == TurnKind::Sharing {
        send_guides(cx, id, card.and_then(|(_, _, g)| g));
    }
    if floor == FloorPolicy::Hold {
        cx.out.push(Effect::Floor { channel, speaker: Some(speaker), hosts });
    }
}

pub(super) fn hosts_of(c: &super::Circle) -> Vec<MemberRef> {
    std::iter::once(c.host.clone()).chain(c.cohosts.iter().cloned()).collect()
}

/// The public turn announcement.
pub(super) fn turn_message(kind: TurnKind, display: &str, card: Option<&str>, secs: i64, mode: Mode, can_extend: bool) -> Message {
    let head = match kind {
        TurnKind::CheckIn => "turn-checkin",
        TurnKind::Sharing => "turn-sharing",
        TurnKind::CheckOut => "turn-checkout",
    };
    let mut lines = vec![Line::new(head).text("name", display).secs("time", secs)];
    match card {
        Some(text) => lines.push(Line::new("turn-prompt").text("prompt", text)),
        None => lines.push(Line::new("turn-free")),
    }
    let mut actions = vec![Action::Done, Action::Pass];
    if kind == TurnKind::Sharing {
        lines.push(Line::new(mode_line(mode)).text("name", display));
        lines.push(Line::new("turn-speaker-options"));
        actions.extend([Action::Card, Action::Mode(Mode::Witness), Action::Mode(Mode::Reflections), Action::Mode(Mode::Feelings)]);
        if can_extend {
            actions.push(Action::Extend);
        }
    }
    Message::new(Kind::TurnStarted { speaker: display.to_owned() }, lines).with_actions(&actions)
}

pub(super) fn mode_line(mode: Mode) -> &'static str {
    match mode {
        Mode::Witness => "mode-witness",
        Mode::Reflections => "mode-reflections",
        Mode::Feelings => "mode-feelings",
    }
}

/// Privately sends each listener the guide for this turn, matched to the speaker's choice.
pub(super) fn send_guides(cx: &mut Cx<'_, impl Rng>, id: CircleId, guide: Option<String>) {
    let Some(c) = cx.st.circles.get(&id) else { return };
    let Some(turn) = &c.turn else { return };
    let guide_for = match turn.mode {
        Mode::Witness => "guide-witness",
        Mode::Reflections => "guide-reflections",
        Mode::Feelings => "guide-feelings",
    };
    let listeners: Vec<MemberRef> = c.seats.iter().filter(|s| s.member != turn.speaker && !s.away).map(|s| s.member.clone()).collect();
    let name = turn.display.clone();
    for l in listeners {
        let mut lines = vec![Line::new(guide_for).text("name", name.clone())];
        if let Some(g) = &guide {
            lines.push(Line::new("guide-card").text("guide", g.clone()));
        }
        lines.push(Line::new("guide-care"));
        cx.whisper(&l, Message::new(Kind::Guide, lines));
    }
}

/// Writes a turn's metadata to the circle's log.
pub(super) fn record(cx: &mut Cx<'_, impl Rng>, id: CircleId, who: &MemberRef, kind: TurnKind, started: jiff::Timestamp, how: Ending) {
    let now = cx.now;
    if let Some(c) = cx.circle_mut(id) {
        let round = c.round;
        c.log.push(TurnRecord { speaker: who.clone(), kind, round, started, ended: now, how });
    }
}

/// Ends the current speaker's time. With reflections welcome, a reflection
/// window follows a finished turn; otherwise the next speaker begins.
pub(super) fn end_turn(cx: &mut Cx<'_, impl Rng>, id: CircleId, how: Ending) {
    let Some(c) = cx.st.circles.get(&id) else { return };
    let Some(turn) = c.turn.clone() else { return };
    let channel = c.channel.clone();
    let (floor, reflection_secs) = (c.template.floor, c.template.reflection_secs);
    record(cx, id, &turn.speaker, turn.kind, turn.started_at, how);
    if how == Ending::Done {
        cx.say(&channel, Message::info(Line::new("turn-done").text("name", turn.display.clone())));
    }
    let reflect = matches!(how, Ending::Done | Ending::Time) && turn.kind == TurnKind::Sharing && turn.mode != Mode::Witness;
    if floor == FloorPolicy::Hold {
        cx.out.push(Effect::Floor { channel: channel.clone(), speaker: None, hosts: Vec::new() });
    }
    if reflect {
        let at = plus(cx.now, reflection_secs);
        if let Some(t) = cx.circle_mut(id).and_then(|c| c.turn.as_mut()) {
            t.reflecting = true;
            t.deadline = at;
        }
        let line = if turn.mode == Mode::Feelings { "reflect-window-feelings" } else { "reflect-window" };
        cx.say(&channel, Message::info(Line::new(line).text("name", turn.display).secs("time", reflection_secs)));
        arm(cx, id, at, Purpose::ReflectionEnd);
        return;
    }
    if let Some(c) = cx.circle_mut(id) {
        c.turn = None;
    }
    disarm(cx, id);
    next_speaker(cx, id);
}

/// Closes the reflection window and moves on.
pub(super) fn end_reflection(cx: &mut Cx<'_, impl Rng>, id: CircleId) {
    let Some(c) = cx.circle_mut(id) else { return };
    let channel = c.channel.clone();
    let name = c.turn.take().map(|t| t.display).unwrap_or_default();
    cx.say(&channel, Message::info(Line::new("reflect-window-closed").text("name", name)));
    disarm(cx, id);
    next_speaker(cx, id);
}
