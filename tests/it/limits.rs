//! Absurd values (issue 9): every duration and time is bounded, and nothing
//! says it was set when it wasn't.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use crate::support::*;

#[test]
fn a_daily_time_that_cannot_be_scheduled_is_refused_not_promised() {
    let mut h = Harness::new();
    h.now = jiff::Timestamp::MAX;
    let before = snapshot(&h.state);
    let out = h.dm("bob", "daily 08:00");
    assert!(has(&refusals(&out), "refusal-cannot-schedule"), "nothing can be scheduled, so nothing is promised: {:?}", h.texts(&out));
    assert_same(&snapshot(&h.state), &before, "and nothing is stored");
}

#[test]
fn a_circle_cannot_be_scheduled_more_than_a_year_ahead() {
    let mut h = Harness::new();
    h.gather("alice", "", &["alice"]);
    let out = h.cmd("alice", "circle schedule 2099-01-01 10:00");
    assert!(has(&refusals(&out), "refusal-too-far-ahead"), "{:?}", h.texts(&out));
    assert!(h.circle().scheduled_for.is_none());
}

#[test]
fn a_flood_is_told_again_once_a_minute_never_more() {
    let mut h = Harness::new();
    h.dm("mod", "settings set rate-per-minute 5");
    let mut told = Vec::new();
    // One command every four seconds for three minutes: faster than 5 a minute.
    for i in 0..45 {
        let out = h.dm_on(attune::core::ids::Platform::Matrix, "bob", "help");
        if has(&refusals(&out), "refusal-rate-limited") {
            told.push(i * 4);
        }
        h.advance(4);
    }
    assert!(told.len() >= 3, "a member still flooding after a minute is told again: told at {told:?}s");
    assert!(told.windows(2).all(|w| w[1] - w[0] >= 60), "but at most once a minute: told at {told:?}s");
}

#[test]
fn the_consoles_local_user_is_not_cut_off_while_rehearsing() {
    let mut h = Harness::new();
    for i in 0..100 {
        let out = h.dm("alice", "help");
        assert!(refusals(&out).is_empty(), "console command {i} went through: the console is one local person");
    }
}

#[test]
fn a_moderator_setting_up_decks_is_not_cut_off() {
    let mut h = Harness::new();
    h.dm("mod", "deck new mine");
    for i in 0..100 {
        let out = h.dm("mod", &format!("deck add mine check-in body light Card number {i}, what do you notice?"));
        assert!(refusals(&out).is_empty(), "command {i} of a setup burst went through: {:?}", h.texts(&out));
    }
}

#[test]
fn a_rate_limited_member_still_reaches_support_and_the_crisis_resources() {
    use attune::core::effect::{Effect, Kind};
    use attune::core::ids::Platform;
    let mut h = Harness::new();
    for _ in 0..60 {
        h.dm_on(Platform::Matrix, "bob", "help");
    }
    let out = h.dm_on(Platform::Matrix, "bob", "help");
    assert!(out.is_empty(), "bob is being limited now: {:?}", h.texts(&out));
    let out = h.dm_on(Platform::Matrix, "bob", "resources");
    assert!(
        out.iter().any(|e| matches!(e, Effect::Whisper { message, .. } if message.kind == Kind::Crisis)),
        "the resources still come: {:?}",
        h.texts(&out)
    );
    let out = h.dm_on(Platform::Matrix, "bob", "support");
    assert!(out.iter().any(|e| matches!(e, Effect::OpenSupport { .. })), "the moderators are still asked: {:?}", h.texts(&out));
}
