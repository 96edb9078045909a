//! Where a circle runs, in the core: an adapter gives a circle a place of its
//! own (`Input::Placed`: a thread made from its invitation, a linked voice
//! place), the floor follows it there, a floor the platform could not hold
//! is told to the hosts once, and `template set … floor hold` says where hold
//! works as nudge.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use attune::core::delivery::{Failed, Reason};
use attune::core::effect::Effect;
use attune::core::ids::{ChannelId, Platform};
use attune::core::input::{Input, Place};

use crate::support::*;

fn place(raw: &str) -> ChannelId {
    ChannelId::parse(Platform::Console, raw).unwrap()
}

#[test]
fn a_circle_given_a_thread_runs_there_and_frees_the_channel_it_was_opened_in() {
    let mut h = Harness::new();
    h.template("standard", "floor", "hold");
    h.gather("alice", "", &["alice", "bob", "carol"]);
    let id = h.circle().id;
    let thread = place("thread-1");
    let voice = place("voice-1");
    let out = h.input(Input::Placed { circle: id, channel: Some(thread.clone()), voice: Some(voice.clone()) });
    assert!(out.is_empty(), "a place changes nothing anyone sees: {out:?}");
    let c = &h.state.circles[&id];
    assert_eq!((c.channel.clone(), c.voice.clone()), (thread.clone(), Some(voice.clone())));
    assert!(refusals(&h.cmd("dave", "circle open")).is_empty(), "another circle may open where the first was opened");

    let out = h.cmd_in("alice", Place::Channel(thread.clone()), "circle start");
    assert!(refusals(&out).is_empty(), "the circle is found in its thread");
    assert!(out.iter().any(|e| matches!(e, Effect::Say { channel, .. } if channel == &thread)), "and speaks there");
    let floor = out.iter().find_map(|e| match e {
        Effect::Floor { channel, speaker: Some(_), voice, .. } => Some((channel.clone(), voice.clone())),
        _ => None,
    });
    assert_eq!(floor, Some((thread, Some(voice))), "the floor is held in the thread and the voice place");
}

#[test]
fn a_place_another_live_circle_uses_is_not_taken() {
    let mut h = Harness::new();
    h.gather("alice", "", &["alice"]);
    let first = h.circle().id;
    let other = place("other-room");
    h.cmd_in("bob", Place::Channel(other.clone()), "circle open");
    let second = h.state.circles.values().map(|c| c.id).max().unwrap();
    assert_ne!(first, second);
    h.input(Input::Placed { circle: first, channel: Some(other.clone()), voice: None });
    assert_eq!(h.state.circles[&first].channel, channel(), "the first circle stays where it is");
    assert_eq!(h.state.circles[&second].channel, other);
    let voice = place("voice-1");
    h.input(Input::Placed { circle: first, channel: None, voice: Some(voice.clone()) });
    let out = h.input(Input::Placed { circle: second, channel: None, voice: Some(voice.clone()) });
    assert_eq!(private_ids(&out, "bob"), vec!["circle-voice-taken"], "the second host hears plainly that the voice channel is taken");
    assert_eq!((h.state.circles[&first].voice.clone(), h.state.circles[&second].voice.clone()), (Some(voice), None));
}

#[test]
fn hosts_hear_once_that_the_floor_could_not_be_held() {
    let mut h = Harness::new();
    h.template("standard", "floor", "hold");
    h.start("", &["alice", "bob"]);
    let failed = || Input::DeliveryFailed { what: Failed::Floor { channel: channel() }, reason: Reason::Platform };
    let out = h.input(failed());
    assert_eq!(private_ids(&out, "alice"), vec!["host-floor-failed"], "the host is told plainly");
    assert!(private_ids(&out, "bob").is_empty(), "members are not");
    let again = h.input(failed());
    assert!(again.is_empty(), "once per circle: {again:?}");
}

#[test]
fn template_set_floor_hold_says_where_it_works_as_nudge_on_a_platform_with_threads() {
    let mut h = Harness::new();
    let out = h.dm("mod", "template set standard floor hold");
    assert!(!private_ids(&out, "mod").contains(&"template-floor-hold-threads"), "the console has no threads");
    let on_discord = attune::core::input::Actor {
        member: attune::core::ids::MemberRef::parse(Platform::Discord, "42").unwrap(),
        display: "mod".into(),
        moderator: true,
        host: false,
    };
    let command = attune::core::command::parse("template set short floor hold").unwrap();
    let out = h.input(Input::Command { actor: on_discord.clone(), place: Place::Private, command });
    let told = out
        .iter()
        .any(|e| matches!(e, Effect::Whisper { message, .. } if message.lines.iter().any(|l| l.id == "template-floor-hold-threads")));
    assert!(told, "on Discord, template set says hold works as nudge in a thread: {out:?}");
    let command = attune::core::command::parse("template set short floor nudge").unwrap();
    let out = h.input(Input::Command { actor: on_discord, place: Place::Private, command });
    let told = out
        .iter()
        .any(|e| matches!(e, Effect::Whisper { message, .. } if message.lines.iter().any(|l| l.id == "template-floor-hold-threads")));
    assert!(!told, "only when the floor becomes hold");
}
