//! Private self-attunement: a reflection card on request, guided practices
//! advanced step by step, and an opt-in daily card outside quiet hours.
//! Nothing a member writes back is read, stored or logged.

use super::command::DailyArg;
use super::cx::Cx;
use super::deck::{self, Filter, Intensity, Kind as CardKind, Theme};
use super::effect::{Action, Effect, Kind, Line, Message};
use super::ids::{MemberRef, Slug};
use super::input::{Actor, TimerKey};
use super::member::{ClockTime, Daily, PracticeProgress, QuietHours};
use super::refusal::Refusal;
use super::rng::Rng;
use super::timeparse;

/// What a member asked for, which decides how deep a draw may go.
#[derive(Clone, Copy)]
enum Ask {
    /// Nothing in particular (plain `reflect`, the daily card): light or medium, no content warning.
    Gentle,
    /// A theme: any intensity of it, content warnings included (note first).
    Theme(Theme),
    /// An intensity: cards of exactly that intensity, content warnings included (note first).
    At(Intensity),
}

/// Draws a self-reflection card the member hasn't had recently.
fn draw_for(cx: &mut Cx<'_, impl Rng>, who: &MemberRef, ask: Ask) -> Option<(Slug, String, Vec<String>)> {
    let recent = cx.st.members.get(who).map(|m| m.recent_cards.clone()).unwrap_or_default();
    let themes: Vec<Theme> = match ask {
        Ask::Theme(t) => vec![t],
        _ => Vec::new(),
    };
    let (min_intensity, max_intensity) = match ask {
        Ask::Gentle => (None, Some(Intensity::Medium)),
        Ask::Theme(_) => (None, None),
        Ask::At(i) => (Some(i), Some(i)),
    };
    let mut filter = Filter {
        kind: Some(CardKind::SelfReflection),
        themes: &themes,
        exclude_ids: &recent,
        max_intensity,
        min_intensity,
        no_warnings: matches!(ask, Ask::Gentle),
        ..Filter::default()
    };
    let card = match deck::draw(cx.st.decks.values(), &filter, cx.rng) {
        Some(c) => c,
        None => {
            // A small theme can run out; then only the very last card is held back.
            let last: Vec<Slug> = recent.last().cloned().into_iter().collect();
            filter.exclude_ids = &last;
            deck::draw(cx.st.decks.values(), &filter, cx.rng)?
        }
    };
    let picked = (card.id.clone(), card.text.clone(), card.cw.clone());
    let keep = cx.st.community.settings.reflect_history as usize;
    let m = cx.st.member_mut(who);
    m.recent_cards.push(picked.0.clone());
    let excess = m.recent_cards.len().saturating_sub(keep);
    m.recent_cards.drain(..excess);
    Some(picked)
}

/// `reflect [theme]`. Without a theme, the card is light or medium and has no
/// content warning. Asking for a theme opens the deeper cards too; a card
/// with a content warning then comes one step later: the note first, the card
/// on `next`.
pub fn reflect(cx: &mut Cx<'_, impl Rng>, actor: &Actor, theme: Option<Theme>) -> Result<(), Refusal> {
    reflect_asked(cx, actor, theme.map_or(Ask::Gentle, Ask::Theme))
}

/// `reflect light|medium|deep`: asked for by intensity, so deep and warned cards may come (note first).
pub fn reflect_at(cx: &mut Cx<'_, impl Rng>, actor: &Actor, intensity: Intensity) -> Result<(), Refusal> {
    reflect_asked(cx, actor, Ask::At(intensity))
}

fn reflect_asked(cx: &mut Cx<'_, impl Rng>, actor: &Actor, ask: Ask) -> Result<(), Refusal> {
    let (id, text, cw) = draw_for(cx, &actor.member, ask).ok_or(Refusal::NoCardFits)?;
    super::safety::notice_once(cx, &actor.member);
    if !cw.is_empty() {
        cx.st.member_mut(&actor.member).pending_card = Some(id);
        let lines = vec![Line::new("content-note").text("tags", cw.join(", ")), Line::new("reflect-cw-next")];
        cx.whisper(&actor.member, Message::new(Kind::Card, lines).with_actions(&[Action::NextStep]));
        return Ok(());
    }
    cx.st.member_mut(&actor.member).pending_card = None;
    reveal(cx, &actor.member, text);
    Ok(())
}

fn reveal(cx: &mut Cx<'_, impl Rng>, who: &MemberRef, text: String) {
    let msg = Message::new(Kind::Card, vec![Line::new("reflect-card").text("prompt", text), Line::new("reflect-private")]);
    cx.whisper(who, msg);
}

/// `practice [name]`: lists practices, or starts one.
pub fn practice(cx: &mut Cx<'_, impl Rng>, actor: &Actor, name: Option<String>) -> Result<(), Refusal> {
    let practices: Vec<_> = cx.st.decks.values().filter(|d| d.enabled).flat_map(|d| d.practices.iter()).collect();
    let Some(name) = name else {
        let mut lines = vec![Line::new("practice-list")];
        lines.extend(
            practices.iter().map(|p| {
                Line::new("practice-item").text("name", p.name.as_str()).text("title", p.title.clone()).num("steps", p.steps.len())
            }),
        );
        super::safety::notice_once(cx, &actor.member);
        cx.whisper(&actor.member, Message::new(Kind::Info, lines));
        return Ok(());
    };
    let p = practices
        .iter()
        .find(|p| p.name.as_str() == name)
        .ok_or_else(|| Refusal::UnknownPractice { given: super::textcheck::preview(&name) })?;
    let (pname, title, first, total) = (p.name.clone(), p.title.clone(), p.steps.first().cloned().unwrap_or_default(), p.steps.len());
    super::safety::notice_once(cx, &actor.member);
    cx.st.member_mut(&actor.member).practice = Some(PracticeProgress { name: pname, step: 0 });
    let msg = Message::new(Kind::Card, vec![Line::new("practice-start").text("title", title), step_line(1, total, first)])
        .with_actions(&[Action::NextStep]);
    cx.whisper(&actor.member, msg);
    Ok(())
}

fn step_line(n: usize, total: usize, text: String) -> Line {
    Line::new("practice-step").num("n", n).num("total", total).text("step", text)
}

/// `next`: a card held back behind its content note, or the next step of the member's practice.
pub fn next_step(cx: &mut Cx<'_, impl Rng>, actor: &Actor) -> Result<(), Refusal> {
    let pending = cx.st.members.get(&actor.member).and_then(|m| m.pending_card.clone());
    if let Some(id) = pending {
        let text = deck::find(cx.st.decks.values(), &id).map(|c| c.text.clone());
        cx.st.member_mut(&actor.member).pending_card = None;
        if let Some(text) = text {
            reveal(cx, &actor.member, text);
            return Ok(());
        }
    }
    let progress = cx.st.members.get(&actor.member).and_then(|m| m.practice.clone()).ok_or(Refusal::NoPractice)?;
    let steps = cx
        .st
        .decks
        .values()
        .flat_map(|d| d.practices.iter())
        .find(|p| p.name == progress.name)
        .map(|p| p.steps.clone())
        .ok_or(Refusal::NoPractice)?;
    let n = progress.step + 1;
    match steps.get(n) {
        Some(text) => {
            if let Some(p) = cx.st.member_mut(&actor.member).practice.as_mut() {
                p.step = n;
            }
            let msg = Message::new(Kind::Card, vec![step_line(n + 1, steps.len(), text.clone())]).with_actions(&[Action::NextStep]);
            cx.whisper(&actor.member, msg);
        }
        None => {
            cx.st.member_mut(&actor.member).practice = None;
            cx.whisper_line(&actor.member, Line::new("practice-done"));
        }
    }
    Ok(())
}

/// Arms the member's next daily card (a new generation supersedes the old).
fn arm_daily(cx: &mut Cx<'_, impl Rng>, who: &MemberRef) -> Option<jiff::Timestamp> {
    let tz = timeparse::zone_of(cx.st, who);
    let m = cx.st.member_mut(who);
    m.daily_generation += 1;
    let generation = m.daily_generation;
    m.daily_next = None;
    let daily = m.daily.filter(|d| !d.paused)?;
    let at = timeparse::next_daily(cx.now, &tz, daily.at, m.quiet)?;
    m.daily_next = Some(at);
    cx.out.push(Effect::Schedule { key: TimerKey::Daily(who.clone()), at, generation });
    Some(at)
}

/// `daily HH:MM|off|pause|resume`.
pub fn daily(cx: &mut Cx<'_, impl Rng>, actor: &Actor, arg: DailyArg) -> Result<(), Refusal> {
    let who = &actor.member;
    let current = cx.st.members.get(who).and_then(|m| m.daily);
    match arg {
        DailyArg::At(s) => {
            // Not `BadTime`: its hint offers "in 30m" and dates, which a daily time can't be.
            let at = ClockTime::parse(&s).ok_or_else(|| Refusal::BadValue {
                key: "a daily reflection".into(),
                detail: "a time of day like 07:30 or 19:00".into(),
            })?;
            let quiet = cx.st.members.get(who).and_then(|m| m.quiet);
            if quiet.is_some_and(|q| q.contains(at)) {
                return Err(Refusal::DailyInQuietHours);
            }
            // Never say a time is set unless the next card can actually be scheduled.
            timeparse::next_daily(cx.now, &timeparse::zone_of(cx.st, who), at, quiet).ok_or(Refusal::CannotSchedule)?;
            super::safety::notice_once(cx, who);
            cx.st.member_mut(who).daily = Some(Daily { at, paused: false });
            arm_daily(cx, who);
            let tz = timeparse::zone_of(cx.st, who);
            cx.whisper_line(
                who,
                Line::new("daily-set").text("time", at.to_string()).text("zone", tz.iana_name().unwrap_or("UTC").to_owned()),
            );
        }
        DailyArg::Off => {
            current.ok_or(Refusal::NoDaily)?;
            cx.st.member_mut(who).daily = None;
            arm_daily(cx, who);
            cx.whisper_line(who, Line::new("daily-off"));
        }
        DailyArg::Pause => {
            let d = current.ok_or(Refusal::NoDaily)?;
            cx.st.member_mut(who).daily = Some(Daily { paused: true, ..d });
            arm_daily(cx, who);
            cx.whisper_line(who, Line::new("daily-paused"));
        }
        DailyArg::Resume => {
            let d = current.ok_or(Refusal::NoDaily)?;
            cx.st.member_mut(who).daily = Some(Daily { paused: false, ..d });
            arm_daily(cx, who);
            cx.whisper_line(who, Line::new("daily-resumed").text("time", d.at.to_string()));
        }
    }
    Ok(())
}

/// `quiet HH:MM-HH:MM|off`.
pub fn quiet(cx: &mut Cx<'_, impl Rng>, actor: &Actor, arg: Option<String>) -> Result<(), Refusal> {
    let quiet = match arg {
        Some(s) => Some(QuietHours::parse(&s).ok_or_else(|| Refusal::BadQuietHours { given: super::textcheck::preview(&s) })?),
        None => None,
    };
    cx.st.member_mut(&actor.member).quiet = quiet;
    arm_daily(cx, &actor.member);
    let line = match quiet {
        Some(q) => Line::new("quiet-set").text("start", q.start.to_string()).text("end", q.end.to_string()),
        None => Line::new("quiet-off"),
    };
    cx.whisper_line(&actor.member, line);
    Ok(())
}

/// `timezone AREA/CITY`.
pub fn timezone(cx: &mut Cx<'_, impl Rng>, actor: &Actor, name: &str) -> Result<(), Refusal> {
    let tz = timeparse::zone(name.trim())?;
    let canonical = tz.iana_name().unwrap_or("UTC").to_owned();
    cx.st.member_mut(&actor.member).timezone = Some(canonical.clone());
    arm_daily(cx, &actor.member);
    cx.whisper_line(&actor.member, Line::new("timezone-set").text("zone", canonical));
    Ok(())
}

/// The daily timer fired: one card, then the next day is armed.
pub fn on_daily(cx: &mut Cx<'_, impl Rng>, who: &MemberRef, generation: u64) {
    let Some(m) = cx.st.members.get(who) else { return };
    if m.daily_generation != generation || m.daily.is_none_or(|d| d.paused) {
        return;
    }
    // A card that came due during downtime still comes, unless it's now quiet hours or over half a day late.
    let late = m.daily_next.is_some_and(|due| cx.now.as_second() - due.as_second() > 12 * 3600);
    if late || timeparse::in_quiet_hours(cx.st, who, cx.now) {
        arm_daily(cx, who);
        return;
    }
    if let Some((_, text, _)) = draw_for(cx, who, Ask::Gentle) {
        let msg = Message::new(Kind::Card, vec![Line::new("daily-card").text("prompt", text), Line::new("daily-footer")]);
        cx.whisper(who, msg);
    }
    arm_daily(cx, who);
}

/// After a restart: re-arm every member's daily card as stored (same generation), so one
/// that came due while attune was down fires at once.
pub fn recover(cx: &mut Cx<'_, impl Rng>) {
    let due: Vec<(MemberRef, Option<jiff::Timestamp>, u64)> = cx
        .st
        .members
        .iter()
        .filter(|(_, m)| m.daily.is_some_and(|d| !d.paused))
        .map(|(k, m)| (k.clone(), m.daily_next, m.daily_generation))
        .collect();
    for (who, next, generation) in due {
        match next {
            Some(at) => cx.out.push(Effect::Schedule { key: TimerKey::Daily(who), at, generation }),
            None => {
                arm_daily(cx, &who);
            }
        }
    }
}

/// Re-arms the daily cards of members who follow the community's time zone (after it changed).
pub fn rearm_community_zone(cx: &mut Cx<'_, impl Rng>) {
    let who: Vec<MemberRef> =
        cx.st.members.iter().filter(|(_, m)| m.timezone.is_none() && m.daily.is_some_and(|d| !d.paused)).map(|(k, _)| k.clone()).collect();
    for m in who {
        arm_daily(cx, &m);
    }
}
