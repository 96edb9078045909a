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
