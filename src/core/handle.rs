//! The one entry point: [`handle`] applies an input to a community's state
//! at a given time and returns the effects the world must carry out.

use jiff::Timestamp;

use super::circle;
use super::command::{CircleCmd, Command, Scope};
use super::cx::{Cx, here};
use super::effect::{Effect, Line};
use super::input::{Actor, Input, Place, TimerKey};
use super::member::clean_display;
use super::refusal::Refusal;
use super::rng::Rng;
use super::safety;
use super::state::State;
use super::{help, moderation, privacy, reflection};

/// Applies one input and returns what the outside world must do.
///
/// Pure: the caller supplies `now` and the RNG. A refused command leaves the
/// state as it was and produces only the refusal message.
pub fn handle(state: &mut State, input: Input, now: Timestamp, rng: &mut impl Rng) -> Vec<Effect> {
    let mut cx = Cx { st: state, now, rng, out: Vec::new() };
    match input {
        Input::Command { actor, place, command } => {
            let (actor, nameless) = cleaned(actor);
            // Help is never rate-limited: reaching a moderator and the crisis resources always
            // answer (support pages moderators at most once per ten minutes on its own).
            let care = matches!(command.clone().unscoped(), Command::Support | Command::ResourcesShow | Command::Crisis(_));
            // Words typed into a command may be a cry for help too (a circle's title, say).
            let words = command.free_text();
            // A suggestion is a member's own prose, read like a message; other options
            // (a title, a time, a name) by the rules alone.
            let prose = matches!(command.clone().unscoped(), Command::Suggest(_));
            match words {
                Some(t) if prose => _ = safety::check_chat(&mut cx, &actor, &place, t),
                Some(t) => _ = safety::check_command_words(&mut cx, &actor, &place, t),
                None => {}
            }
            // Whether or not the member turned checks off, crisis words are never a public title.
            let crisis_words = words.is_some_and(|t| safety::crisis_words(&cx.st.rules, t));
            if crisis_words && matches!(command, Command::Circle(CircleCmd::Open(_))) {
                // Never post those words as a public title.
                cx.refuse(&actor.member, &Refusal::TitleKeptPrivate);
            } else if care || cx.rate_ok(&actor) {
                let forgetting = matches!(command, Command::ForgetMe { confirm: true });
                // A name shown to a circle must be a name; everything else (help above all) works without one.
                let seats = matches!(command, Command::Circle(CircleCmd::Open(_) | CircleCmd::Join));
                let go =
                    |cx: &mut Cx<'_, _>| if nameless && seats { Err(Refusal::NameEmpty) } else { dispatch(cx, &actor, &place, command) };
                // Only a command that went through is remembered: a refusal changes nothing,
                // and a member who was just forgotten stays forgotten.
                if cx.guarded(&actor, go) && !forgetting && !nameless {
                    cx.remember_display(&actor);
                }
            }
        }
        Input::BadCommand { actor, place, refusal, text } => {
            let (actor, _) = cleaned(actor);
            // "/i want to die" is not a command, but it may be a cry for help. Someone who
            // may be struggling hears the care alone, never "I don't know that command" with it.
            let signposted = safety::check_chat(&mut cx, &actor, &place, &text);
            if !signposted && cx.rate_ok(&actor) {
                cx.refuse(&actor.member, &refusal);
            }
        }
        Input::Chat { actor, place, text } => chat(&mut cx, &cleaned(actor).0, &place, &text),
        // An edit is read for care only: the floor saw the message when it was sent.
        Input::Edited { actor, place, text } => _ = safety::check_chat(&mut cx, &cleaned(actor).0, &place, &text),
        Input::MemberLeft { member } => circle::leave_everywhere(&mut cx, &member),
        Input::TimerFired { key, generation } => match key {
            TimerKey::Circle(id) => circle::on_timer(&mut cx, id, generation),
            TimerKey::Daily(member) => reflection::on_daily(&mut cx, &member, generation),
            TimerKey::Purge => privacy::purge(&mut cx),
        },
        Input::Placed { circle: id, channel, voice } => circle::place(&mut cx, id, channel, voice),
        Input::Moved { from, to } => circle::moved(&mut cx, &from, &to),
        Input::DeliveryFailed { what, reason } => super::delivery::failed(&mut cx, what, reason),
        Input::Recover => {
            circle::recover(&mut cx);
            reflection::recover(&mut cx);
            privacy::purge(&mut cx);
        }
        Input::Announce { circles, floors, notes } => circle::announce(&mut cx, &circles, floors, notes),
    }
    cx.out
}

/// What a member whose display name is empty once cleaned is called, where a name is needed.
const NAMELESS: &str = "a member";

/// The actor with their display name cleaned (see [`clean_display`]); true when nothing was left.
fn cleaned(mut actor: Actor) -> (Actor, bool) {
    match clean_display(&actor.display) {
        Some(d) => {
            actor.display = d;
            (actor, false)
        }
        None => {
            actor.display = NAMELESS.to_owned();
            (actor, true)
        }
    }
}

fn dispatch(cx: &mut Cx<'_, impl Rng>, actor: &Actor, place: &Place, command: Command) -> Result<(), Refusal> {
    match command {
        Command::Scoped(Scope::Sent(at), inner) => as_sent(cx, actor, place, at, *inner),
        Command::Scoped(scope, inner) => scoped(cx, actor, scope, *inner),
        Command::Help => {
            help::help(cx, actor, place);
            Ok(())
        }
        Command::Circle(c) => circle_command(cx, actor, place, c),
        Command::Agree => circle::agree(cx, actor, None),
        Command::Done => circle::done(cx, actor, here(cx, place)?),
        Command::Pass => circle::pass(cx, actor, here(cx, place)?),
        Command::Extend => circle::extend(cx, actor, here(cx, place)?),
        Command::Unextend => circle::unextend(cx, actor, here(cx, place)?),
        Command::Away => circle::away(cx, actor, here(cx, place)?),
        Command::Back => circle::back(cx, actor, here(cx, place)?),
        Command::Hand => circle::hand(cx, actor, here(cx, place)?),
        Command::Mode(m) => circle::mode(cx, actor, place, m),
        Command::Card => circle::card(cx, actor, here(cx, place)?),
        Command::CardShow => circle::card_show(cx, actor, here(cx, place)?),
        Command::Pulse(n) => circle::pulse(cx, actor, n),
        Command::Reflect(theme) => reflection::reflect(cx, actor, theme),
        Command::ReflectAt(intensity) => reflection::reflect_at(cx, actor, intensity),
        Command::Practice(name) => reflection::practice(cx, actor, name),
        Command::Next => reflection::next_step(cx, actor),
        Command::Daily(arg) => reflection::daily(cx, actor, arg),
        Command::Quiet(arg) => reflection::quiet(cx, actor, arg),
        Command::Timezone(tz) => reflection::timezone(cx, actor, &tz),
        Command::Support => privacy::support(cx, actor),
        Command::MyData => privacy::my_data(cx, actor),
        Command::ForgetMe { confirm } => privacy::forget_me(cx, actor, confirm),
        Command::Crisis(arg) => privacy::crisis(cx, actor, arg),
        Command::Suggest(text) => moderation::suggest(cx, actor, &text),
        Command::Deck(d) => moderation::deck(cx, actor, d, false),
        Command::Suggestions(s) => moderation::suggestions(cx, actor, s),
        Command::Settings(s) => moderation::settings(cx, actor, s, false),
        Command::Template(t) => moderation::template(cx, actor, t),
        Command::Resources(text) => moderation::resources(cx, actor, &text, false),
        Command::Confirm => moderation::confirm(cx, actor),
        Command::ResourcesShow => {
            safety::resources(cx, actor);
            Ok(())
        }
        Command::LeaveRoom => moderation::leave_room(cx, actor, place),
        Command::Dashboard => moderation::dashboard(cx, actor),
    }
}

fn circle_command(cx: &mut Cx<'_, impl Rng>, actor: &Actor, place: &Place, c: CircleCmd) -> Result<(), Refusal> {
    if let CircleCmd::Open(opening) = c {
        let Place::Channel(ch) = place else { return Err(Refusal::NeedsChannel) };
        return circle::open(cx, actor, ch, &opening);
    }
    if let CircleCmd::Status = c {
        return circle::status(cx, actor, place);
    }
    let id = here(cx, place)?;
    match c {
        CircleCmd::Join => circle::join(cx, actor, id),
        CircleCmd::Leave => circle::leave(cx, actor, id),
        CircleCmd::Start => circle::start(cx, actor, id),
        CircleCmd::Schedule(when) => circle::schedule(cx, actor, id, &when),
        CircleCmd::Pause => circle::pause(cx, actor, id),
        CircleCmd::Resume => circle::resume(cx, actor, id),
        CircleCmd::Next => circle::next(cx, actor, id),
        CircleCmd::Move { name, pos } => circle::move_member(cx, actor, id, &name, pos),
        CircleCmd::Remove(name) => circle::remove(cx, actor, id, &name),
        CircleCmd::Readmit(name) => circle::readmit(cx, actor, id, &name),
        CircleCmd::Cohost { name, on } => circle::cohost(cx, actor, id, &name, on),
        CircleCmd::End => circle::end(cx, actor, id),
        CircleCmd::Open(_) | CircleCmd::Status => Ok(()),
    }
}

/// How far the homeserver's clock may be behind attune's before a command sent
/// "before" a turn began is taken as meant for the one before.
const CLOCK_SLACK_SECS: i64 = 5;

/// A command that reached attune late: a turn-bound one (done, pass, more time,
/// another card, a mode, a host's next) sent before the current turn began was
/// meant for the turn before, and leaves this one as it is. Anything else acts.
fn as_sent(cx: &mut Cx<'_, impl Rng>, actor: &Actor, place: &Place, at: jiff::Timestamp, inner: Command) -> Result<(), Refusal> {
    if matches!(inner, Command::Scoped(..)) {
        return Err(Refusal::UnknownCommand { given: String::new() });
    }
    let turn_bound = matches!(
        inner,
        Command::Done | Command::Pass | Command::Extend | Command::Card | Command::Mode(_) | Command::Circle(CircleCmd::Next)
    );
    let began = match place {
        Place::Channel(ch) => cx.st.circle_in(ch).and_then(|id| cx.st.circles.get(&id)).and_then(|c| c.turn.as_ref()).map(|t| t.started_at),
        Place::Private => None,
    };
    if turn_bound && began.is_some_and(|began| began > super::time::plus(at, CLOCK_SLACK_SECS)) {
        return Err(Refusal::TurnOver);
    }
    dispatch(cx, actor, place, inner)
}

/// A button's command: checked against the circle or turn its message belonged
/// to, then applied there (wherever the button was pressed).
fn scoped(cx: &mut Cx<'_, impl Rng>, actor: &Actor, scope: Scope, inner: Command) -> Result<(), Refusal> {
    if matches!(inner, Command::Scoped(..)) {
        return Err(Refusal::UnknownCommand { given: String::new() });
    }
    let (circle, turn) = match scope {
        Scope::Circle(id) => (id, None),
        Scope::Turn(t) => (t.circle, Some(t.seq)),
        // Handled by `as_sent` before it gets here.
        Scope::Sent(_) => return Err(Refusal::UnknownCommand { given: String::new() }),
    };
    match inner {
        // Consent outlives the circle it was asked for (see `circle::agree`).
        Command::Agree => return circle::agree(cx, actor, Some(circle)),
        // The pulse outlives the circle; it must still be this circle's.
        Command::Pulse(_) => {
            let pending = cx.st.members.get(&actor.member).and_then(|m| m.pending_pulse);
            let now = cx.now;
            let open = cx.st.circles.get(&circle).is_some_and(|c| c.pulse_open(now));
            let answered = cx.st.circles.get(&circle).is_some_and(|c| c.pulses.contains_key(&actor.member));
            return match (pending == Some(circle) && open, answered) {
                (true, _) => dispatch(cx, actor, &Place::Private, inner),
                (false, true) => Err(Refusal::PulseAnswered),
                (false, false) => Err(Refusal::PulseClosed),
            };
        }
        // Taking back more time for a turn that is over takes back nothing, quietly.
        Command::Unextend => {
            let current = cx.st.circles.get(&circle).filter(|c| c.is_live()).and_then(|c| c.turn.as_ref()).map(|t| t.seq);
            if turn.is_none() || current != turn {
                return Ok(());
            }
        }
        _ => {}
    }
    let c = cx.st.circles.get(&circle).ok_or(Refusal::CircleOver)?;
    if !c.is_live() {
        return Err(Refusal::CircleOver);
    }
    if let Some(seq) = turn
        && c.turn.as_ref().map(|t| t.seq) != Some(seq)
    {
        return Err(Refusal::TurnOver);
    }
    let place = Place::Channel(c.channel.clone());
    dispatch(cx, actor, &place, inner)
}

/// Ordinary chat: checked for crisis phrases and the floor, then forgotten.
fn chat(cx: &mut Cx<'_, impl Rng>, actor: &Actor, place: &Place, text: &str) {
    if safety::check_chat(cx, actor, place, text) {
        // Someone who may be struggling gets the check-in alone, never a floor reminder with it.
        return;
    }
    let Place::Channel(ch) = place else { return };
    let Some(id) = cx.st.circle_in(ch) else { return };
    let Some(c) = cx.st.circles.get(&id) else { return };
    let Some(turn) = &c.turn else { return };
    let listener_speaking_over = !turn.reflecting
        && turn.speaker != actor.member
        && !c.is_host(&actor.member)
        && !actor.moderator
        && c.template.floor != super::template::FloorPolicy::Open
        && !turn.nudged.contains(&actor.member)
        && c.paused.is_none();
    if !listener_speaking_over {
        return;
    }
    let (speaker, speaker_name) = (turn.speaker.clone(), turn.display.clone());
    // "Your own turn" only to someone who still has one coming in this circle.
    // Everyone seated speaks again at the check-out, so only the closing round can leave someone without one.
    let own_turn_ahead = c.queue.contains(&actor.member) || (c.phase != super::circle::Phase::Closing && c.seat(&actor.member).is_some());
    if let Some(t) = cx.circle_mut(id).and_then(|c| c.turn.as_mut()) {
        t.nudged.push(actor.member.clone());
    }
    let line = if own_turn_ahead { "floor-nudge" } else { "floor-nudge-plain" };
    cx.whisper_line(&actor.member, Line::new(line).member("speaker", &speaker, speaker_name));
}
