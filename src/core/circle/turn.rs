//! One turn: drawing its card, announcing it, guiding the listeners,
//! holding the floor, and ending it (with a reflection window when the
//! speaker welcomed one).

use super::super::cx::Cx;
use super::super::deck::{self, Filter, Intensity};
use super::super::effect::{Action, Effect, Kind, Line, Message};
use super::super::ids::{CircleId, MemberRef, Slug};
use super::super::rng::Rng;
use super::super::template::{FloorPolicy, Mode};
use super::flow::{arm, disarm, next_speaker, turn_kind};
use super::{Ending, Purpose, Turn, TurnKind, TurnRecord, TurnRef, plus};

/// A card drawn for a turn.
pub(super) struct Drawn {
    pub id: Slug,
    pub text: String,
    pub guide: Option<String>,
    pub cw: Vec<String>,
    pub deep: bool,
}

impl From<&deck::Card> for Drawn {
    fn from(card: &deck::Card) -> Self {
        Self {
            id: card.id.clone(),
            text: card.text.clone(),
            guide: card.guide.clone(),
            cw: card.cw.clone(),
            deep: card.intensity == Intensity::Deep,
        }
    }
}

/// Draws an unused card of the turn's kind that fits the circle's template,
/// never a near-duplicate (same group) of a card already used in this circle.
/// With deep cards allowed, sharing rounds go from lighter to deeper.
pub(super) fn draw_card(cx: &mut Cx<'_, impl Rng>, id: CircleId, kind: TurnKind) -> Option<Drawn> {
    let c = cx.st.circles.get(&id)?;
    let t = &c.template;
    let groups = deck::groups_of(cx.st.decks.values(), &c.used_cards);
    let cap = if kind == TurnKind::Sharing { round_cap(t.max_intensity, c.round, t.rounds) } else { t.max_intensity };
    let filter = Filter {
        kind: Some(kind.card_kind()),
        themes: &t.themes,
        max_intensity: Some(cap),
        exclude_cw: &t.exclude_cw,
        exclude_ids: &c.used_cards,
        exclude_groups: &groups,
        ..Filter::default()
    };
    deck::draw(cx.st.decks.values(), &filter, cx.rng).map(Drawn::from)
}

/// The deepest card a sharing round may draw. Only when the template allows
/// deep cards does it change: the first rounds stay lighter, the last reaches deep.
pub fn round_cap(max: Intensity, round: u32, rounds: u32) -> Intensity {
    if max != Intensity::Deep || rounds <= 1 {
        return max;
    }
    let round = round.clamp(1, rounds);
    match (round * 3 - 1) / rounds {
        0 => Intensity::Light,
        1 => Intensity::Medium,
        _ => Intensity::Deep,
    }
}

/// The private note to a speaker whose card carries a content warning. The note
/// comes alone, with the choice of seeing the prompt (`card show`) or another
/// card; the prompt follows only if they choose it, and is never posted publicly.
pub(super) fn private_note(cx: &mut Cx<'_, impl Rng>, speaker: &MemberRef, card: &Drawn, turn: TurnRef) {
    let msg = Message::new(Kind::Card, vec![Line::new("cw-speaker").text("tags", card.cw.join(", ")), Line::new("cw-speaker-choice")])
        .with_actions(&[Action::CardShow(turn), Action::Card(turn)]);
    cx.whisper(speaker, msg);
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
    let saved = cx.st.members.get(&speaker).and_then(|m| m.default_mode);
    let mode = match kind {
        TurnKind::Sharing => saved.unwrap_or(t.default_mode),
        _ => Mode::Witness,
    };
    let mode_chosen = saved.is_some();
    let (warning, floor, extend) = (t.warning_secs, t.floor, t.extend_secs);
    let display = c.display_of(&speaker);
    let channel = c.channel.clone();
    let voice = c.voice.clone();
    let card = draw_card(cx, id, kind);
    let now = cx.now;
    let deadline = plus(now, secs);
    let Some(c) = cx.circle_mut(id) else { return };
    if let Some(d) = &card {
        c.used_cards.push(d.id.clone());
    }
    c.turns_begun += 1;
    let turn_ref = TurnRef { circle: id, seq: c.turns_begun };
    c.turn = Some(Turn {
        speaker: speaker.clone(),
        display: display.clone(),
        kind,
        card: card.as_ref().map(|d| d.id.clone()),
        mode,
        started_at: now,
        deadline,
        extended: false,
        reflecting: false,
        nudged: Vec::new(),
        mode_chosen,
        seq: turn_ref.seq,
    });
    let hosts = hosts_of(c);
    if warning > 0 && warning < secs {
        arm(cx, id, plus(now, secs - warning), Purpose::Warning);
    } else {
        arm(cx, id, deadline, Purpose::Deadline);
    }
    // A card with a content warning goes to the speaker alone, note first; the
    // circle sees only that the floor is theirs.
    let public_card = card.as_ref().filter(|d| d.cw.is_empty()).map(|d| d.text.as_str());
    let announce = turn_message(turn_ref, &speaker, kind, &display, public_card, secs, mode, mode_chosen, extend > 0);
    // The announcement notifies its speaker alone, unless the community turned that off.
    let announce = if cx.st.community.settings.speaker_pings { announce.notifying(&speaker) } else { announce };
    cx.say(&channel, announce);
    if let Some(d) = card.as_ref().filter(|d| !d.cw.is_empty()) {
        private_note(cx, &speaker, d, turn_ref);
    }
    if kind == TurnKind::Sharing {
        send_guides(cx, id, card);
    }
    if floor == FloorPolicy::Hold {
        cx.out.push(Effect::Floor { channel, speaker: Some(speaker), hosts, voice });
    }
}

/// The circle's hosts, for the floor. A host who was erased is nobody, and gets no permissions.
pub(super) fn hosts_of(c: &super::Circle) -> Vec<MemberRef> {
    std::iter::once(c.host.clone()).chain(c.cohosts.iter().cloned()).filter(|m| !m.is_erased()).collect()
}

/// The public turn announcement.
#[allow(clippy::too_many_arguments)]
pub(super) fn turn_message(
    turn: TurnRef,
    speaker: &MemberRef,
    kind: TurnKind,
    display: &str,
    card: Option<&str>,
    secs: i64,
    mode: Mode,
    chosen: bool,
    can_extend: bool,
) -> Message {
    let head = match kind {
        TurnKind::CheckIn => "turn-checkin",
        TurnKind::Sharing => "turn-sharing",
        TurnKind::CheckOut => "turn-checkout",
    };
    let mut lines = vec![Line::new(head).member("name", speaker, display).secs("time", secs)];
    match card {
        Some(text) => lines.push(Line::new("turn-prompt").text("prompt", text)),
        None => lines.push(Line::new("turn-free")),
    }
    let mut actions = vec![Action::Done(turn), Action::Pass(turn)];
    if kind == TurnKind::Sharing {
        lines.push(Line::new(mode_line(mode, chosen)).member("name", speaker, display));
        lines.push(Line::new("turn-speaker-options"));
        actions.extend([
            Action::Card(turn),
            Action::Mode(turn, Mode::Witness),
            Action::Mode(turn, Mode::Reflections),
            Action::Mode(turn, Mode::Feelings),
        ]);
        if can_extend {
            actions.push(Action::Extend(turn));
        }
    }
    Message::new(Kind::TurnStarted { speaker: display.to_owned() }, lines).with_actions(&actions)
}

/// The public line for what comes back. A witness-only turn nobody chose is
/// described as the default it is, never as the speaker's wish.
pub(super) fn mode_line(mode: Mode, chosen: bool) -> &'static str {
    match mode {
        Mode::Witness if !chosen => "mode-witness-default",
        Mode::Witness => "mode-witness",
        Mode::Reflections => "mode-reflections",
        Mode::Feelings => "mode-feelings",
    }
}

/// Privately sends each listener the guide for this turn, matched to the speaker's choice.
pub(super) fn send_guides(cx: &mut Cx<'_, impl Rng>, id: CircleId, card: Option<Drawn>) {
    let deep = card.as_ref().is_some_and(|d| d.deep);
    let guide = card.and_then(|d| d.guide);
    let Some(c) = cx.st.circles.get(&id) else { return };
    let Some(turn) = &c.turn else { return };
    let guide_for = match turn.mode {
        Mode::Witness if !turn.mode_chosen => "guide-witness-default",
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
        if deep {
            lines.push(Line::new("guide-self-care"));
        }
        lines.push(Line::new("guide-repair"));
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
    let voice = c.voice.clone();
    let (floor, reflection_secs) = (c.template.floor, c.template.reflection_secs);
    record(cx, id, &turn.speaker, turn.kind, turn.started_at, how);
    if how == Ending::Done {
        cx.say(&channel, Message::info(Line::new("turn-done").member("name", &turn.speaker, turn.display.clone())));
    }
    let reflect = matches!(how, Ending::Done | Ending::Time) && turn.kind == TurnKind::Sharing && turn.mode != Mode::Witness;
    if floor == FloorPolicy::Hold {
        cx.out.push(Effect::Floor { channel: channel.clone(), speaker: None, hosts: Vec::new(), voice });
    }
    if reflect {
        let at = plus(cx.now, reflection_secs);
        if let Some(t) = cx.circle_mut(id).and_then(|c| c.turn.as_mut()) {
            t.reflecting = true;
            t.deadline = at;
        }
        let line = if turn.mode == Mode::Feelings { "reflect-window-feelings" } else { "reflect-window" };
        cx.say(&channel, Message::info(Line::new(line).member("name", &turn.speaker, turn.display).secs("time", reflection_secs)));
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
    let Some(t) = c.turn.take() else { return };
    cx.say(&channel, Message::info(Line::new("reflect-window-closed").member("name", &t.speaker, t.display)));
    disarm(cx, id);
    next_speaker(cx, id);
}
