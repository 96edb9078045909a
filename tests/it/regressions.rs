//! Rules found by review, each pinned by a test: no second turn by rejoining,
//! a waitlist that works after the start, consent only after the agreements
//! were shown, recovery details, and paging limits.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use attune::core::circle::{Ending, Phase, TurnKind};
use attune::core::deck::Intensity;
use attune::core::effect::{Effect, Kind};
use attune::core::input::{Input, TimerKey};

use crate::support::*;

fn sharing_records(h: &Harness, name: &str) -> usize {
    h.circle().log.iter().filter(|r| r.speaker == member(name) && r.kind == TurnKind::Sharing).count()
}

#[test]
fn leaving_and_rejoining_mid_round_never_earns_a_second_turn() {
    let mut h = Harness::started(&["alice", "bob", "carol"]);
    assert_eq!(h.speaker().as_deref(), Some("alice"));
    h.cmd("alice", "done");
    h.cmd("alice", "circle leave");
    let out = h.join("alice");
    assert!(refusals(&out).is_empty(), "alice may come back");
    assert!(!h.circle().queue.contains(&member("alice")), "someone who already checked in isn't queued again this round");
    h.done_until(Phase::Sharing);
    let checkins = h.circle().log.iter().filter(|r| r.speaker == member("alice") && r.kind == TurnKind::CheckIn).count();
    assert_eq!(checkins, 1, "alice checked in exactly once");
}

#[test]
fn a_waitlisted_member_takes_a_place_that_frees_in_a_running_circle() {
    let mut h = Harness::new();
    h.template("standard", "max", "2");
    h.gather("alice", "", &["alice", "bob"]);
    let out = h.join("carol");
    assert!(private_ids(&out, "carol").contains(&"waitlisted"));
    h.cmd("alice", "circle start");
    let out = h.cmd("bob", "circle leave");
    assert!(private_ids(&out, "carol").contains(&"promoted"), "the first person waiting is told privately");
    assert!(h.circle().seat(&member("carol")).is_some(), "and takes the place");
    assert!(h.circle().queue.contains(&member("carol")), "and will be offered a turn");
}

#[test]
fn people_still_waiting_are_told_when_no_place_will_come() {
    let mut h = Harness::new();
    h.template("standard", "max", "2");
    h.template("standard", "late-join", "off");
    h.gather("alice", "", &["alice", "bob"]);
    h.join("carol");
    let out = h.cmd("alice", "circle start");
    assert!(private_ids(&out, "carol").contains(&"waitlist-ended"), "a circle closed to late joiners releases its waitlist");
    assert!(h.circle().waitlist.is_empty());

    let mut h = Harness::new();
    h.template("standard", "max", "2");
    h.gather("alice", "", &["alice", "bob"]);
    h.join("carol");
    h.cmd("alice", "circle start");
    let out = h.cmd("alice", "circle end");
    assert!(private_ids(&out, "carol").contains(&"waitlist-ended"), "the end of the circle releases whoever still waits");
}

#[test]
fn agreeing_is_possible_only_after_the_agreements_were_shown() {
    let mut h = Harness::new();
    let before = snapshot(&h.state);
    let out = h.dm("zoe", "agree");
    assert_eq!(ids(&refusals(&out)), ["refusal-nothing-to-agree"]);
    assert_same(&snapshot(&h.state), &before, "a consent nobody was shown the agreements for is not recorded");
    h.cmd("alice", "circle open");
    let out = h.cmd("zoe", "circle join");
    assert!(private_ids(&out, "zoe").contains(&"agreements"), "joining shows the agreements first");
}

#[test]
fn choosing_a_mode_while_paused_is_refused_rather_than_saved_as_the_default() {
    let mut h = Harness::started(&["alice", "bob"]);
    h.done_until(Phase::Sharing);
    let speaker = h.speaker().unwrap();
    h.cmd("alice", "circle pause");
    let out = h.cmd(&speaker, "mode reflections");
    assert_eq!(ids(&refusals(&out)), ["refusal-paused"]);
    assert_eq!(h.state.members[&member(&speaker)].default_mode, None, "the member's saved default is untouched");
}

#[test]
fn a_warning_that_comes_due_after_its_deadline_says_nothing() {
    let mut h = Harness::started(&["alice", "bob"]);
    h.done_until(Phase::Sharing);
    let speaker = h.speaker().unwrap();
    let id = h.circle().id;
    let (_, generation) = h.timer(&TimerKey::Circle(id)).expect("an armed timer");
    let deadline = h.circle().turn.as_ref().unwrap().deadline;
    assert!(h.circle().timer.is_some_and(|t| t.purpose == attune::core::circle::Purpose::Warning), "a sharing turn arms its warning first");
    // As after downtime: the warning fires only once the deadline has already passed.
    h.now = deadline.checked_add(jiff::SignedDuration::from_secs(30)).unwrap();
    let out = h.input(Input::TimerFired { key: TimerKey::Circle(id), generation });
    assert!(!private_ids(&out, &speaker).contains(&"turn-warning"), "no 'about 0 s left'");
    let out = h.advance(0);
    assert!(public_ids(&out).contains(&"turn-time"), "the deadline follows at once");
}

#[test]
fn status_never_says_no_time_left_for_a_turn_whose_time_is_up() {
    let mut h = Harness::started(&["alice", "bob"]);
    let speaker = h.speaker().unwrap();
    let deadline = h.circle().turn.as_ref().unwrap().deadline;
    let out = h.cmd(&speaker, "circle status");
    assert!(private_ids(&out, &speaker).contains(&"status-speaker"), "with time left: {:?}", private_ids(&out, &speaker));
    // As after a long outage: the deadline passed and fires next.
    h.now = deadline.checked_add(jiff::SignedDuration::from_secs(30)).unwrap();
    let out = h.cmd(&speaker, "circle status");
    let said = private_ids(&out, &speaker);
    assert!(said.contains(&"status-speaker-ending") && !said.contains(&"status-speaker"), "{said:?}");
}

#[test]
fn recovery_sets_a_held_floor_again_and_never_claims_no_time_left() {
    let mut h = Harness::new();
    h.template("standard", "floor", "hold");
    h.start("", &["alice", "bob"]);
    let out = h.input(Input::Recover);
    assert!(!out.iter().any(|e| matches!(e, Effect::Floor { .. } | Effect::Say { .. })), "a restart re-arms; it tells nobody yet");
    let out = h.input(Input::Announce { circles: attune::core::circle::to_announce(&h.state), floors: true, notes: true });
    let floors: Vec<_> =
        out.iter().filter_map(|e| if let Effect::Floor { speaker, .. } = e { Some(speaker.clone()) } else { None }).collect();
    assert_eq!(floors, vec![Some(member("alice"))], "the speaker's floor is held again after a crash");
    let circles = attune::core::circle::to_announce(&h.state);
    let floors_only = h.input(Input::Announce { circles: circles.clone(), floors: true, notes: false });
    assert!(floors_only.iter().all(|e| matches!(e, Effect::Floor { .. })) && !floors_only.is_empty(), "floors alone: {floors_only:?}");
    let notes_only = h.input(Input::Announce { circles, floors: false, notes: true });
    assert!(!notes_only.iter().any(|e| matches!(e, Effect::Floor { .. })) && !notes_only.is_empty(), "notes alone: {notes_only:?}");
    let deadline = h.circle().turn.as_ref().unwrap().deadline;
    h.now = deadline.checked_add(jiff::SignedDuration::from_secs(5)).unwrap();
    h.input(Input::Recover);
    let out = h.input(Input::Announce { circles: attune::core::circle::to_announce(&h.state), floors: false, notes: true });
    assert!(public_ids(&out).contains(&"recovered") && !public_ids(&out).contains(&"recovered-turn"), "no '0 s left' after a long outage");
}

#[test]
fn a_gathering_circle_stored_without_a_timer_closes_a_day_after_it_opened() {
    // As a circle opened before unstarted circles closed was stored: gathering, no timer.
    let mut h = Harness::new();
    h.gather("alice", "", &["alice", "bob"]);
    let id = h.circle().id;
    let opened = h.circle().opened_at;
    if let Some(c) = h.state.circles.get_mut(&id) {
        c.timer = None;
        c.generation += 1;
    }
    h.advance(attune::core::circle::UNSTARTED_SECS / 2);
    let out = h.input(Input::Recover);
    let due = attune::core::circle::plus(opened, attune::core::circle::UNSTARTED_SECS);
    let armed = out.iter().any(|e| matches!(e, Effect::Schedule { key: TimerKey::Circle(c), at, .. } if *c == id && *at == due));
    assert!(armed, "a restart gives it the day it would have had from its opening: {out:?}");
    let out = h.advance_to(due);
    assert_eq!(h.phase(), Phase::Cancelled, "{:?}", h.texts(&out));
    assert!(public_ids(&out).contains(&"cancelled-unstarted"));
}

#[test]
fn ending_a_circle_during_a_reflection_window_records_that_turn_once() {
    let mut h = Harness::started(&["alice", "bob"]);
    h.done_until(Phase::Sharing);
    let speaker = h.speaker().unwrap();
    h.cmd(&speaker, "mode reflections");
    h.cmd(&speaker, "done");
    assert!(h.circle().turn.as_ref().is_some_and(|t| t.reflecting));
    h.cmd("alice", "circle end");
    assert_eq!(sharing_records(&h, &speaker), 1, "one turn, one record");
    assert_eq!(h.circle().log.iter().filter(|r| r.how == Ending::CircleEnded).count(), 0);
}

#[test]
fn a_daily_card_that_came_due_while_attune_was_down_still_arrives() {
    let mut h = Harness::new();
    h.dm("bob", "daily 09:30");
    let due = h.state.members[&member("bob")].daily_next.expect("the next card's time is kept");
    // Down from before the card was due until ten minutes after.
    h.now = due.checked_add(jiff::SignedDuration::from_secs(600)).unwrap();
    let out = h.input(Input::Recover);
    let armed = out.iter().any(|e| matches!(e, Effect::Schedule { key: TimerKey::Daily(m), at, .. } if m == &member("bob") && *at == due));
    assert!(armed, "the missed card is re-armed for its original time");
    let out = h.advance(0);
    assert!(private_ids(&out, "bob").contains(&"daily-card"), "and arrives at once");
}

#[test]
fn daily_cards_nobody_asked_for_just_now_stay_gentle() {
    let mut h = Harness::new();
    h.dm("bob", "daily 09:30");
    for _ in 0..20 {
        h.advance(86_400);
    }
    let cards: Vec<_> = h.state.decks.values().flat_map(|d| &d.cards).collect();
    let recent = &h.state.members[&member("bob")].recent_cards;
    assert!(!recent.is_empty(), "daily cards were sent");
    for id in recent {
        let card = cards.iter().find(|c| &c.id == id).unwrap();
        assert!(
            card.intensity <= Intensity::Medium && card.cw.is_empty(),
            "daily card {id} is light or medium and carries no content warning"
        );
    }
}

#[test]
fn a_requested_card_with_a_content_warning_says_so_first() {
    let mut h = Harness::new();
    let mut seen = false;
    for i in 0..60 {
        if i % 20 == 19 {
            h.advance(61);
        }
        let out = h.dm("bob", "reflect relationships");
        let Some(card) = h.state.members[&member("bob")].recent_cards.last().cloned() else { continue };
        let tagged = h.state.decks.values().flat_map(|d| &d.cards).any(|c| c.id == card && !c.cw.is_empty());
        let noted = private_ids(&out, "bob").first() == Some(&"content-note");
        assert_eq!(tagged, noted, "a content note comes first exactly when the card carries a warning ({card})");
        seen |= tagged;
    }
    assert!(seen, "the relationships theme includes a card with a content warning");
}

#[test]
fn asking_for_a_moderator_again_soon_reassures_without_paging_them_again() {
    let mut h = Harness::new();
    let pages = |out: &[Effect]| out.iter().filter(|e| matches!(e, Effect::OpenSupport { .. })).count();
    assert_eq!(pages(&h.dm("bob", "support")), 1);
    let out = h.dm("bob", "support");
    assert_eq!(pages(&out), 0, "moderators aren't paged twice within ten minutes");
    assert_eq!(private_ids(&out, "bob"), ["support-already"]);
    h.advance(601);
    assert_eq!(pages(&h.dm("bob", "support")), 1, "after ten minutes a new request pages again");
}

#[test]
fn a_raised_hand_is_announced_once_and_only_before_your_turn() {
    let mut h = Harness::new();
    h.template("standard", "order", "hand");
    h.start("", &["alice", "bob", "carol"]);
    let out = h.cmd("carol", "hand");
    assert_eq!(public_ids(&out), ["hand-raised"]);
    let out = h.cmd("carol", "hand");
    assert!(said(&out).is_empty(), "a second raise isn't announced again");
    assert_eq!(private_ids(&out, "carol"), ["hand-already"]);
    h.cmd("alice", "done");
    assert_eq!(h.speaker().as_deref(), Some("carol"), "the raised hand goes next");
    h.cmd("carol", "done");
    let out = h.cmd("carol", "hand");
    assert_eq!(ids(&refusals(&out)), ["refusal-already-spoke"]);
    let out = h.cmd("dave", "done");
    assert_eq!(ids(&refusals(&out)), ["refusal-not-in-circle"], "someone outside the circle is told so, not that it isn't their turn");
    assert!(refusals(&out).iter().all(|m| m.kind == Kind::Refusal));
}

#[test]
fn a_line_that_fails_to_parse_is_still_read_for_crisis_phrases() {
    let mut h = Harness::new();
    let out = h.cmd("bob", "i want to die");
    let to_bob = private_ids(&out, "bob");
    assert!(to_bob.contains(&"crisis-intro"), "a would-be command can be a cry for help: {to_bob:?}");
    assert!(
        !to_bob.contains(&"refusal-unknown-command"),
        "and it gets the care alone, never \"I don't know that command\" beside it: {to_bob:?}"
    );
    assert!(said(&out).is_empty(), "nothing about it is public");
}

#[test]
fn a_time_budget_closes_sharing_at_the_end_of_a_round() {
    let mut h = Harness::new();
    h.template("standard", "rounds", "3");
    h.template("standard", "budget", "2m");
    h.start("", &["alice", "bob"]);
    h.done_until(Phase::Sharing);
    h.advance(150);
    h.done_until(Phase::Closing);
    assert_eq!(sharing_records(&h, "alice") + sharing_records(&h, "bob"), 2, "once the budget is spent, no new round begins");
}

#[test]
fn moving_someone_before_a_random_order_is_drawn_is_refused() {
    let mut h = Harness::new();
    h.template("standard", "order", "random");
    h.gather("alice", "", &["alice", "bob", "carol"]);
    let before = snapshot(&h.state);
    let out = h.cmd("alice", "circle move carol 1");
    assert_eq!(ids(&refusals(&out)), ["refusal-order-not-yet"]);
    assert_same(&snapshot(&h.state), &before, "nothing moved");
}

#[test]
fn ended_circles_older_than_the_retention_period_are_purged_automatically() {
    let mut h = Harness::started(&["alice", "bob"]);
    h.dm("mod", "settings set retention-days 1");
    h.cmd("alice", "circle end");
    let id = h.circle().id;
    h.input(Input::Recover);
    h.advance(86_400 / 2);
    assert!(h.state.circles.contains_key(&id), "an ended circle is kept within the retention period");
    h.advance(2 * 86_400);
    assert!(!h.state.circles.contains_key(&id), "and purged once it is older than the period, by the daily purge timer");
    assert!(h.state.members.values().all(|m| m.pending_pulse != Some(id)), "no member still points at a purged circle");
}

#[test]
fn a_message_that_brings_a_crisis_check_in_never_also_gets_a_floor_reminder() {
    let mut h = Harness::started(&["alice", "bob"]);
    assert_eq!(h.speaker().as_deref(), Some("alice"));
    let out = h.chat("bob", "some days I want to die");
    let to_bob = private_ids(&out, "bob");
    assert!(to_bob.contains(&"crisis-intro"), "bob is checked in with privately");
    assert!(!to_bob.contains(&"floor-nudge"), "and not told, in the same breath, that it isn't his turn");
}

#[test]
fn coming_back_through_the_waitlist_never_earns_a_second_turn() {
    let mut h = Harness::new();
    h.template("standard", "max", "2");
    h.gather("mod", "", &["alice", "bob"]);
    h.join("carol");
    h.cmd("mod", "circle start");
    assert_eq!(h.speaker().as_deref(), Some("alice"));
    h.cmd("alice", "done");
    h.cmd("alice", "circle leave");
    let out = h.join("alice");
    assert!(private_ids(&out, "alice").contains(&"waitlisted"), "alice waits for a place again");
    h.cmd("bob", "circle leave");
    assert!(h.circle().seat(&member("alice")).is_some(), "alice is promoted into the freed place");
    assert!(!h.circle().queue.contains(&member("alice")), "but she already checked in this round, so she isn't queued again");
}

#[test]
fn asking_for_a_moderator_leaves_no_stored_record() {
    let mut h = Harness::new();
    let before = snapshot(&h.state);
    let out = h.dm("bob", "support");
    assert!(out.iter().any(|e| matches!(e, Effect::OpenSupport { .. })));
    assert!(!h.state.members.contains_key(&member("bob")), "someone who only asked for help is not kept");
    assert_same(&snapshot(&h.state), &before, "nothing about the request is stored");
}
