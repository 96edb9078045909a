//! The core decides, adapters translate (issue 14): the rules behind defects
//! members met on the platforms, each checked once in the core. The same rules
//! are driven through the real adapters in `discord/boundary.rs` and the Matrix
//! tests.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use attune::core::command::{CircleCmd, Command, Opening};
use attune::core::effect::{Action, Kind};
use attune::core::ids::{ChannelId, CircleId, Platform};
use attune::core::input::{Input, Place};

use super::support::*;

/// A button press by `name` in `place`.
fn press(h: &mut Harness, name: &str, place: Place, action: Action) -> Vec<attune::core::effect::Effect> {
    h.input(Input::Command { actor: actor(name), place, command: action.command() })
}

fn the_refusal(h: &Harness, out: &[attune::core::effect::Effect], name: &str) -> String {
    let to = whispered(out, name);
    let refusal = to.iter().find(|m| m.kind == Kind::Refusal).unwrap_or_else(|| panic!("{name} is refused: {:?}", h.texts(out)));
    h.render(refusal)
}

fn thread(n: u32) -> ChannelId {
    ChannelId::parse(Platform::Console, &format!("thread-{n}")).unwrap()
}

/// Opens a circle in the channel and moves it into a thread of its own, as Discord does.
fn opened_into_thread(h: &mut Harness, host: &str, title: &str, n: u32) -> CircleId {
    let out = h.cmd(host, &format!("circle open {title}"));
    assert!(refusals(&out).is_empty(), "the circle opens: {:?}", h.texts(&out));
    let id = h.state.circles.keys().copied().max().unwrap();
    h.input(Input::Placed { circle: id, channel: Some(thread(n)), voice: None });
    assert_eq!(h.state.circles[&id].channel, thread(n), "the circle now runs in its thread");
    id
}

#[test]
fn agreeing_on_one_circles_prompt_joins_that_circle_and_never_another() {
    let mut h = Harness::new();
    let a = opened_into_thread(&mut h, "alice", "Morning", 1);
    let b = opened_into_thread(&mut h, "carol", "Evening", 2);
    // bob asks to join B, then A: both show the agreements, each with its own Agree.
    let to_b = press(&mut h, "bob", Place::Channel(thread(2)), Action::Join(b));
    let to_a = press(&mut h, "bob", Place::Channel(thread(1)), Action::Join(a));
    let agree_b = whispered(&to_b, "bob").iter().flat_map(|m| m.actions.clone()).find(|a| matches!(a, Action::Agree(_)));
    let agree_a = whispered(&to_a, "bob").iter().flat_map(|m| m.actions.clone()).find(|a| matches!(a, Action::Agree(_)));
    assert_eq!(agree_b, Some(Action::Agree(Some(b))), "B's agreements carry an Agree that names B");
    assert_eq!(agree_a, Some(Action::Agree(Some(a))), "A's agreements carry an Agree that names A");

    let out = press(&mut h, "bob", Place::Private, Action::Agree(Some(b)));
    assert!(h.state.circles[&b].seat(&member("bob")).is_some(), "pressing Agree on B's prompt seats bob in B: {:?}", h.texts(&out));
    assert!(h.state.circles[&a].seat(&member("bob")).is_none(), "and not in A, which he asked for later");
    assert!(
        out.iter().all(|e| !matches!(e, attune::core::effect::Effect::Say { channel, .. } if *channel == thread(1))),
        "nothing is announced in A's thread"
    );
    // Consent is per community: A's own Agree now seats him there at once.
    press(&mut h, "bob", Place::Private, Action::Agree(Some(a)));
    assert!(h.state.circles[&a].seat(&member("bob")).is_some(), "A's Agree, pressed later, seats bob in A");
}

#[test]
fn an_agree_button_sent_before_buttons_named_their_circle_still_completes_the_waiting_join() {
    let mut h = Harness::new();
    h.cmd("alice", "circle open");
    h.cmd("bob", "circle join");
    assert_eq!(Action::from_token("agree"), Some(Action::Agree(None)), "an old token still reads");
    press(&mut h, "bob", Place::Private, Action::Agree(None));
    assert!(h.circle().seat(&member("bob")).is_some(), "the old button completes the pending join");
}

#[test]
fn circle_commands_in_the_channel_of_an_invitation_reach_the_circle_in_its_thread() {
    let mut h = Harness::new();
    let id = opened_into_thread(&mut h, "alice", "Tuesday", 1);
    let out = h.join("bob");
    assert!(refusals(&out).is_empty(), "circle join in the invitation's channel works: {:?}", h.texts(&out));
    assert!(h.state.circles[&id].seat(&member("bob")).is_some(), "bob is seated in the thread's circle");
    h.join("carol");
    h.join("alice");
    let out = h.cmd("alice", "circle status");
    assert!(refusals(&out).is_empty(), "status from the channel answers: {:?}", h.texts(&out));
    let out = h.cmd("alice", "circle start");
    assert!(refusals(&out).is_empty(), "start from the channel works: {:?}", h.texts(&out));
    assert!(h.state.circles[&id].is_running(), "the circle in the thread has begun");
    let out = h.cmd("carol", "circle leave");
    assert!(refusals(&out).is_empty(), "leave from the channel works: {:?}", h.texts(&out));

    // Opening again there, by the same host, points at the open circle instead of making a twin.
    let before = h.state.circles.len();
    let out = h.cmd("alice", "circle open Tuesday again");
    assert!(the_refusal(&h, &out, "alice").contains("still open"), "the host is pointed at the open circle: {:?}", h.texts(&out));
    assert_eq!(h.state.circles.len(), before, "no second circle");

    let out = h.cmd("alice", "circle end");
    assert!(refusals(&out).is_empty(), "end from the channel works: {:?}", h.texts(&out));
    assert!(!h.state.circles[&id].is_live(), "the circle ended");
    let out = h.cmd("alice", "circle status");
    assert!(the_refusal(&h, &out, "alice").contains("no circle running here"), "once it ended, nothing runs here");
}

#[test]
fn with_two_circles_from_one_channel_a_command_there_asks_which_naming_both() {
    let mut h = Harness::new();
    opened_into_thread(&mut h, "alice", "Morning", 1);
    opened_into_thread(&mut h, "carol", "Evening", 2);
    let before = snapshot(&h.state);
    let out = h.cmd("bob", "circle join");
    let text = the_refusal(&h, &out, "bob");
    assert!(text.contains("Morning") && text.contains("Evening"), "both circles are named: {text}");
    assert_eq!(snapshot(&h.state), before, "nothing changed");
}

#[test]
fn the_host_pressing_the_speakers_done_is_told_what_a_host_can_do_and_the_turn_goes_on() {
    let mut h = Harness::started(&["alice", "bob", "carol"]);
    h.cmd("alice", "circle cohost bob");
    let turn = h.circle().turn_ref().expect("a turn");
    let speaker = h.speaker().unwrap();
    let host = if speaker == "alice" { "mod" } else { "alice" };
    let out = press(&mut h, host, here(), Action::Done(turn));
    let text = the_refusal(&h, &out, host);
    assert!(text.contains("circle next"), "the host is pointed at the host tool: {text}");
    assert!(!text.contains("not in this circle"), "never told they're not in the circle: {text}");
    assert_eq!(h.circle().turn_ref(), Some(turn), "the turn goes on");
}

#[test]
fn a_second_press_of_a_pulse_button_says_it_was_answered_and_a_late_one_that_the_pulse_closed() {
    let mut h = Harness::started(&["alice", "bob", "carol"]);
    h.done_until(attune::core::circle::Phase::Ended);
    let id = h.circle().id;
    let out = press(&mut h, "bob", Place::Private, Action::Pulse(id, 4));
    assert!(refusals(&out).is_empty(), "the first answer counts: {:?}", h.texts(&out));
    let out = press(&mut h, "bob", Place::Private, Action::Pulse(id, 2));
    assert!(the_refusal(&h, &out, "bob").contains("already answered"), "a second press says so: {:?}", h.texts(&out));
    assert_eq!(h.circle().pulses[&member("bob")], 4, "the first answer stands");
    h.advance(7 * 24 * 3600);
    let out = press(&mut h, "carol", Place::Private, Action::Pulse(id, 5));
    let text = the_refusal(&h, &out, "carol");
    assert!(text.contains("pulse has closed"), "a press after the window says the pulse closed: {text}");
    assert!(!h.circle().pulses.contains_key(&member("carol")), "a late answer is not counted");
}

#[test]
fn a_typed_title_is_a_title_whatever_its_first_word() {
    let mut h = Harness::new();
    let open = Command::Circle(CircleCmd::Open(Opening::Typed {
        template: None,
        title: Some("short walks together".into()),
        here: false,
        voice: None,
    }));
    let out = h.command("alice", here(), open);
    assert!(refusals(&out).is_empty(), "{:?}", h.texts(&out));
    let c = h.circle();
    assert_eq!(c.title.as_deref(), Some("short walks together"), "the whole title stays");
    assert_eq!(c.template.name, h.state.community.settings.default_template, "the default shape, not the one called short");
    // A typed line keeps the old rule: its first word may name a template.
    let mut h = Harness::new();
    h.cmd("alice", "circle open short walks together");
    assert_eq!(h.circle().template.name, "short");
    assert_eq!(h.circle().title.as_deref(), Some("walks together"));
    // An unknown template given as an option is refused, not read as a title.
    let mut h = Harness::new();
    let open = Command::Circle(CircleCmd::Open(Opening::Typed {
        template: Some("nosuch".into()),
        title: Some("x".into()),
        here: false,
        voice: None,
    }));
    let out = h.command("alice", here(), open);
    assert!(the_refusal(&h, &out, "alice").contains("nosuch"), "the unknown template is named");
    assert!(h.state.circles.is_empty(), "nothing opened");
}

#[test]
fn every_action_token_carries_the_scope_its_command_needs() {
    let c = CircleId(3);
    let t = attune::core::circle::TurnRef { circle: c, seq: 9 };
    for action in [
        Action::Join(c),
        Action::Leave(c),
        Action::Agree(Some(c)),
        Action::Done(t),
        Action::Pass(t),
        Action::Extend(t),
        Action::Card(t),
        Action::CardShow(t),
        Action::Pulse(c, 3),
    ] {
        assert_eq!(Action::from_token(&action.token()), Some(action), "{action:?} reads back");
        assert!(matches!(action.command(), Command::Scoped(..)), "{action:?} acts only on the circle (and turn) whose message carried it");
    }
}

#[test]
fn a_message_notifies_exactly_the_person_it_addresses() {
    use attune::core::effect::Effect;
    let mut h = Harness::started(&["alice", "bob", "carol"]);
    let announced = h.log.iter().rev().find_map(|e| match e {
        Effect::Say { message, .. } if matches!(message.kind, Kind::TurnStarted { .. }) => Some(message.clone()),
        _ => None,
    });
    let announced = announced.expect("a turn was announced");
    assert_eq!(announced.notify.as_ref().map(|m| m.user().to_owned()), h.speaker(), "a turn notifies its speaker alone");
    let out = h.chat("bob", "honestly i want to die");
    let card = whispered(&out, "bob").into_iter().find(|m| m.kind == Kind::Crisis).expect("the card");
    assert_eq!(card.notify, Some(member("bob")), "the crisis card notifies the member it is for");
    let out = h.dm("carol", "reflect");
    assert!(whispered(&out, "carol").iter().all(|m| m.notify.is_none()), "a card asked for notifies nobody");
    h.dm("mod", "settings set speaker-pings off");
    assert!(!h.state.community.settings.speaker_pings, "the setting is kept");
    let speaker = h.speaker().unwrap();
    let out = h.cmd(&speaker, "done");
    assert!(
        out.iter().all(|e| !matches!(e, Effect::Say { message, .. } if message.notify.is_some())),
        "with speaker pings off, nobody is notified"
    );
    let out = h.dm("mod", "settings set speaker-pings loudly");
    assert!(!refusals(&out).is_empty(), "on or off, nothing else");
}
