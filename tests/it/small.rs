//! Small things (issue 9): a rounded pulse average, plurals, case-insensitive
//! keywords and a year on schedules in another year.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use crate::support::*;

#[test]
fn the_pulse_average_is_rounded_not_truncated() {
    let mut h = Harness::started(&["alice", "bob", "carol", "dave"]);
    h.cmd("alice", "circle end");
    for (n, p) in [("bob", 4), ("carol", 5), ("dave", 2)] {
        h.dm(n, &format!("pulse {p}"));
    }
    h.advance(86_400);
    let out = h.cmd("alice", "circle status");
    let text = h.private(&out, "alice").join("\n");
    assert!(text.contains("average 3.7"), "4, 5 and 2 average 3.7, not 3.6: {text}");
}

#[test]
fn counts_of_one_read_as_one() {
    let mut h = Harness::new();
    h.dm("mod", "deck new solo Solo");
    h.dm("mod", "deck add solo check-in body light How does your body feel right now?");
    let out = h.dm("mod", "deck list");
    let text = h.private(&out, "mod").join("\n");
    assert!(text.contains("Solo: one card, 0 practices"), "no '1 cards': {text}");
    let line = attune::core::effect::Line::new("practice-item").text("name", "arrive").text("title", "Arrive").num("steps", 1);
    assert_eq!(h.cat.line(&line), "• arrive: Arrive (one step)", "no '(1 steps)'");
}

#[test]
fn keywords_work_in_any_case() {
    let mut h = Harness::new();
    for line in ["crisis OFF", "quiet OFF", "settings SHOW", "daily 08:00", "daily PAUSE"] {
        let who = if line.starts_with("settings") { "mod" } else { "bob" };
        let out = h.dm(who, line);
        assert!(refusals(&out).is_empty(), "`{line}` works: {:?}", h.texts(&out));
    }
}

#[test]
fn a_schedule_in_another_year_shows_the_year() {
    let mut h = Harness::new();
    h.now = "2026-12-31T09:00:00Z".parse().unwrap();
    h.gather("alice", "", &["alice"]);
    let out = h.cmd("alice", "circle schedule 2027-01-02 10:00");
    let text = h.public(&out).join("\n");
    assert!(text.contains("2027"), "a date next year says which year: {text}");
}
