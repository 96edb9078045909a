//! Buttons carry their scope: an action maps to a typed command tied to the
//! circle and turn of its message, and a button from an earlier turn never
//! acts on the current one.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use attune::core::command::{self, Command};
use attune::core::effect::{Action, Effect, Kind};
use attune::core::input::{Input, Place};
use proptest::prelude::*;

use super::support::*;

/// The actions of every message in `effects`.
fn actions(effects: &[Effect]) -> Vec<Action> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Say { message, .. } | Effect::Whisper { message, .. } | Effect::Invite { message, .. } => Some(message.actions.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

/// The Done button of the latest turn announcement.
fn done_button(effects: &[Effect]) -> Action {
    actions(effects).into_iter().rev().find(|a| matches!(a, Action::Done(_))).expect("a turn announcement with a Done button")
}

fn press(h: &mut Harness, name: &str, action: Action) -> Vec<Effect> {
    h.command(name, here(), action.command())
}

#[test]
fn a_done_pressed_on_an_earlier_turns_message_is_refused_and_the_current_turn_goes_on() {
    let mut h = Harness::started(&["alice", "bob", "cara"]);
    let first_speaker = h.speaker().expect("someone speaks");
    let stale = done_button(&h.log);
    let ok = press(&mut h, &first_speaker, stale);
    assert!(refusals(&ok).is_empty(), "the button of the current turn works: {:?}", h.texts(&ok));
    let now_speaking = h.speaker().expect("the next speaker");
    assert_ne!(now_speaking, first_speaker);
    let before = snapshot(&h.state);

    // The first speaker presses their old Done again, and the new speaker presses the old one too.
    for who in [first_speaker.as_str(), now_speaking.as_str()] {
        let out = press(&mut h, who, stale);
        assert_eq!(ids(&refusals(&out)), ["refusal-turn-over"], "{who}: {:?}", h.texts(&out));
        assert_eq!(snapshot(&h.state), before, "a stale button changes nothing");
        assert_eq!(h.speaker().as_deref(), Some(now_speaking.as_str()), "the current turn goes on");
    }
    let out = press(&mut h, &now_speaking, stale);
    let text = h.texts(&out).join("\n");
    assert!(text.contains("already ended"), "said kindly and plainly: {text}");

    // The same for Pass, Extend and a mode button of that old turn.
    let Action::Done(old_turn) = stale else { unreachable!() };
    for old in [Action::Pass(old_turn), Action::Extend(old_turn), Action::Mode(old_turn, attune::core::template::Mode::Reflections)] {
        let out = press(&mut h, &now_speaking, old);
        assert_eq!(ids(&refusals(&out)), ["refusal-turn-over"], "{old:?}");
    }
    assert_eq!(snapshot(&h.state), before);
}

#[test]
fn a_button_of_an_ended_circle_is_refused_kindly_and_a_pulse_button_answers_only_its_own_circle() {
    let mut h = Harness::started(&["alice", "bob", "cara"]);
    let invitation = actions(&h.log).into_iter().find(|a| matches!(a, Action::Join(_))).expect("a Join button");
    h.cmd("mod", "circle end");
    let out = press(&mut h, "dan", invitation);
    assert_eq!(ids(&refusals(&out)), ["refusal-circle-over"]);
    let pulse = actions(&h.log).into_iter().find(|a| matches!(a, Action::Pulse(_, 4))).expect("pulse buttons");
    let out = h.command("alice", Place::Private, pulse.command());
    assert!(refusals(&out).is_empty(), "{:?}", h.texts(&out));
    assert_eq!(h.circle().pulses.get(&member("alice")), Some(&4));
    let Action::Pulse(id, _) = pulse else { unreachable!() };
    let other = Action::Pulse(attune::core::ids::CircleId(id.0 + 1), 2);
    let out = h.command("bob", Place::Private, other.command());
    assert_eq!(ids(&refusals(&out)), ["refusal-pulse-closed"], "a pulse for a circle attune no longer has: its pulse is closed");
    assert!(!h.circle().pulses.contains_key(&member("bob")));
}

#[test]
fn a_button_pressed_somewhere_else_still_acts_on_its_own_circle() {
    let mut h = Harness::started(&["alice", "bob", "cara"]);
    let speaker = h.speaker().unwrap();
    let done = done_button(&h.log);
    // Pressed in a DM (a private thread, say) rather than the circle's channel.
    let out = h.command(&speaker, Place::Private, done.command());
    assert!(refusals(&out).is_empty(), "{:?}", h.texts(&out));
    assert_ne!(h.speaker(), Some(speaker));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    /// Every action of every message a circle produces maps to a command the parser also accepts.
    #[test]
    fn every_action_of_every_message_is_a_command_the_parser_accepts(seed in any::<u64>(), steps in proptest::collection::vec(0u8..6, 0..40)) {
        let mut h = Harness::with_seed(seed);
        h.cmd("mod", "template set standard rounds 2");
        h.start("", &["alice", "bob", "cara"]);
        for s in steps {
            let who = h.speaker().unwrap_or_else(|| "alice".into());
            match s {
                0 => { h.cmd(&who, "done"); }
                1 => { h.cmd(&who, "pass"); }
                2 => { h.cmd(&who, "card"); }
                3 => { h.cmd(&who, "mode reflections"); }
                4 => { h.advance(90); }
                _ => { h.chat("bob", "I want to die"); }
            }
        }
        h.advance(6 * 3600);
        h.dm("alice", "reflect");
        h.dm("alice", "practice");
        h.dm("alice", "forget-me");
        let all = actions(&h.log);
        prop_assert!(!all.is_empty());
        for a in all {
            let typed = command::parse(&a.text());
            prop_assert_eq!(typed, Ok(a.command().unscoped()), "{:?} types as {:?}", a, a.text());
        }
    }
}

#[test]
fn text_never_parses_to_a_scoped_command_and_a_nested_scope_is_refused() {
    for line in ["done", "pass", "pulse 3", "circle join"] {
        assert!(!matches!(command::parse(line), Ok(Command::Scoped(..))));
    }
    let mut h = Harness::started(&["alice", "bob", "cara"]);
    let done = done_button(&h.log);
    let nested = match done.command() {
        Command::Scoped(scope, inner) => Command::Scoped(scope, Box::new(Command::Scoped(scope, inner))),
        c => c,
    };
    let speaker = h.speaker().unwrap();
    let out = h.input(Input::Command { actor: actor(&speaker), place: here(), command: nested });
    assert!(!refusals(&out).is_empty());
    assert_eq!(h.speaker(), Some(speaker));
    let _ = Kind::Info;
}

/// Done by each speaker until a sharing turn begins; its announcement's actions.
fn to_a_sharing_turn(h: &mut Harness) -> Vec<Action> {
    for _ in 0..10 {
        if h.circle().turn.as_ref().is_some_and(|t| t.kind == attune::core::circle::TurnKind::Sharing) {
            let announced = h.log.iter().rev().find_map(|e| match e {
                Effect::Say { message, .. } if matches!(message.kind, Kind::TurnStarted { .. }) => Some(message.actions.clone()),
                _ => None,
            });
            return announced.expect("the sharing turn was announced");
        }
        let speaker = h.speaker().expect("someone speaks");
        h.cmd(&speaker, "done");
    }
    panic!("no sharing turn began");
}

#[test]
fn more_time_taken_back_before_it_began_restores_the_turn_and_once_begun_it_stays() {
    let mut h = Harness::started(&["alice", "bob", "cara"]);
    let actions = to_a_sharing_turn(&mut h);
    let extend = actions.iter().copied().find(|a| matches!(a, Action::Extend(_))).expect("the sharing turn offers more time");
    let speaker = h.speaker().unwrap();
    let usual = h.circle().turn.as_ref().unwrap().deadline;
    let out = press(&mut h, &speaker, extend);
    assert_eq!(ids(&said(&out)), ["extended"], "{:?}", h.texts(&out));
    let longer = h.circle().turn.as_ref().unwrap().deadline;
    assert!(longer > usual);

    // Someone else taking back "their" reaction, or one for another turn, changes nothing and says nothing.
    let withdrawn = extend.withdrawn().expect("more time can be taken back");
    let listener = ["alice", "bob", "cara"].into_iter().find(|n| *n != speaker).unwrap();
    let before = snapshot(&h.state);
    let out = h.command(listener, here(), withdrawn.clone());
    assert!(out.iter().all(|e| !matches!(e, Effect::Say { .. } | Effect::Whisper { .. })), "{:?}", h.texts(&out));
    assert_eq!(snapshot(&h.state), before);
    let Action::Extend(t) = extend else { unreachable!() };
    let other = Action::Extend(attune::core::circle::TurnRef { circle: t.circle, seq: t.seq + 1 }).withdrawn().unwrap();
    let out = h.command(&speaker, here(), other);
    assert!(out.iter().all(|e| !matches!(e, Effect::Say { .. } | Effect::Whisper { .. })), "{:?}", h.texts(&out));
    assert_eq!(snapshot(&h.state), before);

    // The speaker takes it back: the turn is back to its usual length, said once in the circle.
    let out = h.command(&speaker, here(), withdrawn.clone());
    assert_eq!(ids(&said(&out)), ["extend-withdrawn"], "{:?}", h.texts(&out));
    let turn = h.circle().turn.as_ref().unwrap();
    assert_eq!((turn.deadline, turn.extended), (usual, false));
    let text = h.texts(&out).join("\n");
    assert!(text.contains("usual length"), "{text}");
    // The turn ends at its usual time, not later.
    let seq = turn.seq;
    h.advance_to(usual);
    assert_ne!(h.circle().turn.as_ref().map(|t| t.seq), Some(seq), "the turn ended at its usual time");

    // Next sharing turn: more time asked for, the usual time passes, then it is taken back: it stays.
    let actions = to_a_sharing_turn(&mut h);
    let extend = actions.iter().copied().find(|a| matches!(a, Action::Extend(_))).unwrap();
    let speaker = h.speaker().unwrap();
    let usual = h.circle().turn.as_ref().unwrap().deadline;
    press(&mut h, &speaker, extend);
    let longer = h.circle().turn.as_ref().unwrap().deadline;
    let seconds = (longer.as_second() - usual.as_second()) / 2;
    h.advance_to(attune::core::circle::plus(usual, seconds));
    let before = snapshot(&h.state);
    let out = h.command(&speaker, here(), extend.withdrawn().unwrap());
    assert!(out.iter().all(|e| !matches!(e, Effect::Say { .. } | Effect::Whisper { .. })), "{:?}", h.texts(&out));
    assert_eq!(snapshot(&h.state), before, "extra time already begun stays");
    assert_eq!(h.circle().turn.as_ref().unwrap().deadline, longer);
}
