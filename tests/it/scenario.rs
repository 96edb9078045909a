//! One test per rule of SPEC §2–§7, on a fixed timeline with a fixed RNG.

// Helpers outside #[test] functions may panic too: these are tests.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeSet;

use attune::core::circle::{Ending, Phase, TurnKind};
use attune::core::effect::{Action, Effect, Kind};
use attune::core::input::{Input, Place, TimerKey};
use attune::core::template::Mode;
use jiff::Timestamp;

use super::support::*;

fn ts(s: &str) -> Timestamp {
    s.parse().expect("a valid timestamp")
}

fn users(ms: &[attune::core::ids::MemberRef]) -> Vec<String> {
    ms.iter().map(|m| m.user().to_owned()).collect()
}

/// The rendered text of the first line with catalogue id `id` in `effects`.
fn line_text(h: &Harness, effects: &[Effect], id: &str) -> String {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Say { message, .. } | Effect::Whisper { message, .. } | Effect::Invite { message, .. } => Some(message),
            _ => None,
        })
        .flat_map(|m| m.lines.iter())
        .find(|l| l.id == id)
        .map(|l| h.cat.line(l))
        .unwrap_or_else(|| panic!("no line {id} in {:?}", h.texts(effects)))
}

fn only_refusal<'a>(effects: &'a [Effect], name: &str) -> &'a attune::core::effect::Message {
    assert_eq!(effects.len(), 1, "a refusal is the only effect: {effects:?}");
    let to = whispered(effects, name);
    assert_eq!(to.len(), 1, "the refusal goes privately to {name}: {effects:?}");
    assert_eq!(to[0].kind, Kind::Refusal, "the message is a refusal: {effects:?}");
    to[0]
}

// ---- gathering -------------------------------------------------------------

#[test]
fn joining_asks_for_consent_first_and_agree_completes_the_join() {
    let mut h = Harness::new();
    h.cmd("alice", "circle open");
    let out = h.cmd("bob", "circle join");
    let to_bob = whispered(&out, "bob");
    assert_eq!(to_bob.len(), 2, "a first join is answered privately: what is checked, then the agreements");
    assert_eq!(ids(&to_bob[..1]), ["checks-notice"], "before a first circle, members learn that messages are checked");
    assert!(has(&to_bob, "agreements") && has(&to_bob, "agreements-ask"), "a first join shows the agreements and asks for consent");
    assert!(to_bob[1].actions.iter().any(|a| matches!(a, Action::Agree(Some(_)))), "the consent question offers an Agree button");
    assert!(said(&out).is_empty(), "nothing is announced before consent");
    assert!(h.circle().seat(&member("bob")).is_none(), "no seat is taken before consent");

    h.advance(5);
    let out = h.dm("bob", "agree");
    assert!(private_ids(&out, "bob").contains(&"agreed"), "agreeing is acknowledged privately");
    assert!(public_ids(&out).contains(&"joined"), "agreeing completes the pending join");
    assert!(h.circle().seat(&member("bob")).is_some(), "bob is seated after agreeing");
    let bob = &h.state.members[&member("bob")];
    let consent = bob.consent.expect("the consent is stored");
    assert_eq!(consent.version, h.state.community.agreements_version, "the consent records the agreement version");
    assert_eq!(consent.at, h.now, "the consent records when it was given");
    assert_eq!(bob.pending_join, None, "the pending join is done");

    h.cmd("bob", "circle leave");
    let out = h.cmd("bob", "circle join");
    assert!(!private_ids(&out, "bob").contains(&"agreements"), "consent to the current agreements is asked only once");
    assert!(h.circle().seat(&member("bob")).is_some(), "a consented member joins at once");

    h.dm("mod", "settings set agreements We listen. We do not fix. Anyone may pass.");
    h.cmd("bob", "circle leave");
    let out = h.cmd("bob", "circle join");
    assert!(private_ids(&out, "bob").contains(&"agreements-custom"), "changed agreements need fresh consent");
    assert!(h.circle().seat(&member("bob")).is_none(), "no seat until the new agreements are accepted");
}

#[test]
fn a_full_circle_offers_the_waitlist_and_promotes_when_someone_leaves_while_gathering() {
    let mut h = Harness::new();
    h.template("standard", "max", "3");
    h.gather("alice", "", &["alice", "bob", "carol"]);
    let out = h.join("dave");
    assert!(private_ids(&out, "dave").contains(&"waitlisted"), "a full circle offers the waitlist");
    assert!(line_text(&h, &out, "waitlisted").contains("number 1"), "the waitlist place is given");
    assert!(!public_ids(&out).contains(&"joined"), "a waitlisted member isn't announced as joined");
    h.join("erin");
    assert_eq!(h.circle().seats.len(), 3, "the size cap holds");
    assert_eq!(h.circle().waitlist.iter().map(|s| s.display.as_str()).collect::<Vec<_>>(), ["dave", "erin"]);
    let out = h.cmd("erin", "circle join");
    assert_eq!(private_ids(&out, "erin"), ["refusal-already-waiting"], "joining twice from the waitlist is refused kindly");

    let out = h.cmd("bob", "circle leave");
    assert!(private_ids(&out, "dave").contains(&"promoted"), "the first on the waitlist is told privately");
    assert!(line_text(&h, &out, "joined").contains("dave"), "the promoted member is announced");
    let seats: Vec<_> = h.circle().seats.iter().map(|s| s.display.clone()).collect();
    assert_eq!(seats, ["alice", "carol", "dave"], "the promoted member takes the free seat");
    assert_eq!(h.circle().waitlist.len(), 1, "the rest keep waiting");
}

#[test]
fn a_scheduled_circle_reminds_joiners_privately_and_starts_at_the_time() {
    let mut h = Harness::new();
    h.gather("alice", "", &["alice", "bob", "carol"]);
    h.dm("carol", "quiet 09:00-10:00");
    let out = h.cmd("alice", "circle schedule in 30m");
    assert!(public_ids(&out).contains(&"scheduled"), "the schedule is announced");
    assert!(line_text(&h, &out, "scheduled").contains("09:30"), "the start time is shown: {:?}", h.texts(&out));

    let out = h.advance(20 * 60 - 1);
    assert!(out.is_empty(), "nothing happens before the reminder: {:?}", h.texts(&out));
    let out = h.advance(1);
    assert_eq!(whisper_targets(&out), ["alice", "bob"], "joiners are reminded, except inside their quiet hours");
    assert!(said(&out).is_empty(), "reminders are private");
    assert!(line_text(&h, &out, "reminder").contains("10 min"), "the reminder says how long is left");

    let out = h.advance(10 * 60);
    assert_eq!(h.phase(), Phase::Opening, "the circle starts at the scheduled time");
    assert!(public_ids(&out).contains(&"opening-welcome"));
    assert_eq!(h.circle().started_at, Some(ts("2026-03-02T09:30:00Z")));
}

#[test]
fn a_scheduled_circle_without_a_quorum_is_cancelled_with_a_kind_public_note() {
    let mut h = Harness::new();
    h.gather("alice", "", &["alice"]);
    h.cmd("carol", "circle join");
    assert!(h.state.members[&member("carol")].pending_join.is_some());
    h.cmd("alice", "circle schedule in 30m");
    let out = h.advance(30 * 60);
    assert_eq!(h.phase(), Phase::Cancelled, "too few joined, so the circle is cancelled");
    let note = line_text(&h, &out, "cancelled-quorum");
    assert!(note.contains("Thank you") && note.contains("welcome next time"), "the note is kind: {note}");
    assert_eq!(said(&out).iter().filter(|m| has(&[*m], "cancelled-quorum")).count(), 1, "the note is public, once");
    assert_eq!(h.state.members[&member("carol")].pending_join, None, "a pending join to a cancelled circle is dropped");
    assert_eq!(h.state.circle_in(&channel()), None, "the channel is free for a new circle");
}

#[test]
fn a_circle_nobody_starts_closes_kindly_a_day_after_it_opened() {
    let mut h = Harness::new();
    h.gather("alice", "", &["alice", "bob"]);
    h.cmd("carol", "circle join");
    assert!(h.state.members[&member("carol")].pending_join.is_some());
    let out = h.advance(attune::core::circle::UNSTARTED_SECS - 1);
    assert!(out.is_empty() && h.phase() == Phase::Gathering, "it waits the whole day: {:?}", h.texts(&out));
    let out = h.advance(1);
    assert_eq!(h.phase(), Phase::Cancelled, "a day on, a circle nobody started closes");
    let note = line_text(&h, &out, "cancelled-unstarted");
    assert!(note.contains("Thank you") && note.contains("whenever the time is right"), "the note is kind: {note}");
    assert_eq!(said(&out).iter().filter(|m| has(&[*m], "cancelled-unstarted")).count(), 1, "the note is public, once");
    assert_eq!(h.state.members[&member("carol")].pending_join, None, "a pending join to it is dropped");
    assert_eq!(h.state.circle_in(&channel()), None, "the channel is free again");
    let out = h.cmd("alice", "circle open");
    assert!(refusals(&out).is_empty() && h.phase() == Phase::Gathering, "its host may open a new one: {:?}", h.texts(&out));
}

#[test]
fn a_scheduled_or_started_circle_never_closes_as_unstarted() {
    let mut h = Harness::new();
    h.gather("alice", "", &["alice", "bob"]);
    h.cmd("alice", "circle schedule 2026-03-04 09:00");
    let out = h.advance(attune::core::circle::UNSTARTED_SECS + 3600);
    assert!(!has(&said(&out), "cancelled-unstarted") && h.phase() == Phase::Gathering, "a schedule keeps it: {:?}", h.texts(&out));
    let out = h.advance_to(ts("2026-03-04T09:00:00Z"));
    assert_eq!(h.phase(), Phase::Opening, "it starts at its time: {:?}", h.texts(&out));

    let mut h = Harness::started(&["alice", "bob"]);
    let out = h.advance(2 * attune::core::circle::UNSTARTED_SECS);
    assert!(!has(&said(&out), "cancelled-unstarted"), "a started circle runs its course: {:?}", h.texts(&out));
    assert_ne!(h.phase(), Phase::Cancelled);
}

#[test]
fn closing_a_circle_before_it_starts_drops_joins_still_waiting_for_consent() {
    let mut h = Harness::new();
    h.gather("alice", "", &["alice"]);
    h.cmd("carol", "circle join");
    let out = h.cmd("alice", "circle end");
    assert_eq!(public_ids(&out), ["closed-before-start"]);
    assert_eq!(h.phase(), Phase::Cancelled);
    assert_eq!(h.state.members[&member("carol")].pending_join, None, "a join waiting for consent goes with the circle");
    let out = h.dm("carol", "agree");
    assert!(!public_ids(&out).contains(&"joined"), "agreeing later seats nobody in a closed circle");
}

#[test]
fn start_is_refused_below_the_minimum_size_and_changes_nothing() {
    let mut h = Harness::new();
    h.gather("alice", "", &["alice"]);
    let before = snapshot(&h.state);
    let out = h.cmd("alice", "circle start");
    let m = only_refusal(&out, "alice");
    assert!(h.render(m).contains("at least 2"), "the refusal names the minimum: {}", h.render(m));
    assert_same(&snapshot(&h.state), &before, "a refused start changes nothing");
    assert_eq!(h.phase(), Phase::Gathering);
}

// ---- opening and order -----------------------------------------------------

#[test]
fn the_opening_states_the_agreements_and_shows_the_join_order() {
    let mut h = Harness::new();
    h.gather("alice", "", &["carol", "alice", "bob"]);
    let out = h.cmd("alice", "circle start");
    let public = said(&out);
    assert_eq!(
        ids(&public[..1]),
        ["opening-welcome", "opening-agreements", "opening-arrival", "order-join", "checkin-begins"],
        "the opening says the agreements, invites arrival, and shows the order"
    );
    assert!(line_text(&h, &out, "order-join").contains("carol, alice, bob"), "join order is the order people joined");
    assert_eq!(public[1].kind, Kind::TurnStarted { speaker: "carol".into() }, "the first to join checks in first");
    assert_eq!(users(&h.circle().order), ["carol", "alice", "bob"]);
    assert_eq!(h.circle().turn.as_ref().map(|t| t.kind), Some(TurnKind::CheckIn), "the opening begins with a check-in round");
}

#[test]
fn random_order_is_announced_and_fixed_by_the_seed() {
    let names = ["alice", "bob", "carol", "dave", "erin"];
    let run = |seed: u64| {
        let mut h = Harness::with_seed(seed);
        h.template("standard", "order", "random");
        let out = h.start("", &names);
        let order = users(&h.circle().order);
        let announced = line_text(&h, &out, "order-random");
        assert!(announced.contains(&order.join(", ")), "the drawn order is announced: {announced}");
        assert_eq!(h.speaker().as_deref(), Some(order[0].as_str()), "the first drawn speaks first");
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(sorted, names, "everyone is in the order exactly once");
        order
    };
    assert_eq!(run(3), run(3), "the same seed draws the same order");
    let orders: BTreeSet<Vec<String>> = (1..=12).map(run).collect();
    assert!(orders.len() > 1, "different seeds draw different orders");
}

#[test]
fn a_raised_hand_moves_you_ahead_in_hand_order() {
    let mut h = Harness::new();
    h.template("standard", "order", "hand");
    let out = h.start("", &["alice", "bob", "carol", "dave"]);
    assert!(public_ids(&out).contains(&"order-hand"), "the hand rule is explained at the opening");
    assert_eq!(h.speaker().as_deref(), Some("alice"));
    let out = h.cmd("dave", "hand");
    assert!(line_text(&h, &out, "hand-raised").contains("dave"), "a raised hand is shown");
    h.cmd("alice", "done");
    assert_eq!(h.speaker().as_deref(), Some("dave"), "a raised hand speaks next");
    h.cmd("dave", "done");
    assert_eq!(h.speaker().as_deref(), Some("bob"), "without hands, the order is followed");

    let mut j = Harness::started(&["alice", "bob", "carol"]);
    let out = j.cmd("carol", "hand");
    assert_eq!(ids(&[only_refusal(&out, "carol")]), ["refusal-no-hands"], "join-order circles don't use hands");
}

// ---- the flow ----------------------------------------------------------------

#[test]
fn a_circle_moves_from_check_in_through_sharing_rounds_to_check_out_and_ends() {
    let mut h = Harness::new();
    h.template("standard", "rounds", "2");
    h.start("", &["alice", "bob", "carol"]);
    h.done_until(Phase::Ended);
    let c = h.circle();
    let turns: Vec<(String, TurnKind, u32)> = c.log.iter().map(|r| (r.speaker.user().to_owned(), r.kind, r.round)).collect();
    let mut expected = Vec::new();
    for (kind, round) in [(TurnKind::CheckIn, 0), (TurnKind::Sharing, 1), (TurnKind::Sharing, 2), (TurnKind::CheckOut, 2)] {
        for n in ["alice", "bob", "carol"] {
            expected.push((n.to_owned(), kind, round));
        }
    }
    assert_eq!(turns, expected, "check-in, then each sharing round, then check-out, each in order");
    assert!(c.log.iter().all(|r| r.how == Ending::Done));
    assert_eq!((c.turn.clone(), c.timer, c.ended_at.is_some()), (None, None, true), "an ended circle has no turn and no timer");

    let public = public_ids(&h.log);
    let pos = |id: &str| public.iter().position(|x| *x == id).unwrap_or_else(|| panic!("{id} was never said"));
    assert!(
        pos("checkin-begins") < pos("sharing-begins")
            && pos("sharing-begins") < pos("round-begins")
            && pos("round-begins") < pos("closing-begins")
            && pos("closing-begins") < pos("circle-ended"),
        "phases are announced in order"
    );
    assert!(public.contains(&"confidentiality-reminder"), "the close reminds everyone of confidentiality");
    for n in ["alice", "bob", "carol"] {
        let pulse: Vec<_> = whispered(&h.log, n).into_iter().filter(|m| m.kind == Kind::Pulse).collect();
        assert_eq!(pulse.len(), 1, "{n} is asked the pulse once, privately");
        assert!(pulse[0].actions.iter().filter(|a| matches!(a, Action::Pulse(..))).count() == 5, "five answers to choose from");
    }
}

#[test]
fn a_circle_left_to_the_clock_moves_through_every_phase_by_itself() {
    let mut h = Harness::started(&["alice", "bob"]);
    let started = h.now;
    h.run_until(100, |h| h.phase() == Phase::Ended);
    let c = h.circle();
    assert!(c.log.iter().all(|r| r.how == Ending::Time), "every turn ended on time");
    assert_eq!(c.log.len(), 6, "two check-ins, two shares, two check-outs");
    let t = &c.template;
    let total = 2 * (t.checkin_secs + t.turn_secs + t.closing_secs);
    assert_eq!(h.now.as_second() - started.as_second(), total, "the circle took exactly its turns' time");
    let unique: BTreeSet<_> = c.used_cards.iter().collect();
    assert_eq!(unique.len(), c.used_cards.len(), "no card repeats within a circle");
}

#[test]
fn the_speaker_is_warned_privately_before_the_deadline() {
    let mut h = Harness::started(&["alice", "bob"]);
    h.done_until(Phase::Sharing);
    assert_eq!(h.speaker().as_deref(), Some("alice"));
    let out = h.advance(239);
    assert!(out.is_empty(), "nothing interrupts the speaker early: {:?}", h.texts(&out));
    let out = h.advance(1);
    assert_eq!(whisper_targets(&out), ["alice"], "only the speaker is warned");
    assert!(said(&out).is_empty(), "the warning is private");
    assert!(line_text(&h, &out, "turn-warning").contains("1 min"), "the warning says how much time is left");
    let out = h.advance(60);
    assert!(public_ids(&out).contains(&"turn-time"), "the deadline ends the turn");
    assert_eq!(h.speaker().as_deref(), Some("bob"));
}

#[test]
fn done_thanks_the_speaker_and_hands_the_floor_on() {
    let mut h = Harness::started(&["alice", "bob"]);
    let out = h.cmd("bob", "done");
    assert_eq!(ids(&[only_refusal(&out, "bob")]), ["refusal-not-your-turn"], "only the speaker can say done");
    let out = h.cmd("alice", "done");
    assert_eq!(line_text(&h, &out, "turn-done"), "Thank you, alice.");
    assert_eq!(h.speaker().as_deref(), Some("bob"));
}

#[test]
fn a_pass_moves_the_floor_without_asking_why() {
    let mut h = Harness::started(&["alice", "bob", "carol"]);
    h.done_until(Phase::Sharing);
    let out = h.cmd("alice", "pass");
    assert!(
        whispered(&out, "alice").iter().all(|m| m.kind == Kind::Guide),
        "the one who passes is asked nothing (they only get the next speaker's listener guide): {:?}",
        h.texts(&out)
    );
    let passed = line_text(&h, &out, "passed");
    assert!(!passed.contains('?'), "the pass is noted without a question: {passed}");
    assert_eq!(h.speaker().as_deref(), Some("bob"), "the floor moves on at once");
    assert_eq!(h.circle().log.last().map(|r| r.how), Some(Ending::Passed));

    let out = h.cmd("carol", "pass");
    assert_eq!(private_ids(&out, "carol"), ["pass-ahead"], "a pass before your turn is acknowledged privately");
    assert!(said(&out).is_empty(), "passing ahead is not announced");
    h.cmd("bob", "done");
    assert_eq!(h.phase(), Phase::Closing, "the member who passed ahead is skipped this round");
}

#[test]
fn extend_works_once_and_only_when_the_template_allows_it() {
    let mut h = Harness::started(&["alice", "bob"]);
    let out = h.cmd("alice", "extend");
    assert_eq!(ids(&[only_refusal(&out, "alice")]), ["refusal-cannot-extend"], "check-ins can't be extended");
    h.done_until(Phase::Sharing);
    let deadline = h.circle().turn.as_ref().map(|t| t.deadline).expect("a turn");
    let out = h.cmd("bob", "extend");
    assert_eq!(ids(&[only_refusal(&out, "bob")]), ["refusal-not-your-turn"]);
    let out = h.cmd("alice", "extend");
    assert!(line_text(&h, &out, "extended").contains("2 min"), "the extension is announced");
    let extended = h.circle().turn.as_ref().map(|t| t.deadline).expect("a turn");
    assert_eq!(extended.as_second() - deadline.as_second(), 120, "the deadline moves by the template's extension");
    let before = snapshot(&h.state);
    let out = h.cmd("alice", "extend");
    assert_eq!(ids(&[only_refusal(&out, "alice")]), ["refusal-cannot-extend"], "a turn is extended once only");
    assert_same(&snapshot(&h.state), &before, "a refusal changes nothing");
    let out = h.advance(300 + 120 - 60);
    assert!(private_ids(&out, "alice").contains(&"turn-warning"), "the warning follows the new deadline");
    assert_eq!(h.speaker().as_deref(), Some("alice"));

    let mut off = Harness::new();
    off.template("standard", "extend", "off");
    off.start("", &["alice", "bob"]);
    off.done_until(Phase::Sharing);
    let turn_msg = said(&off.log).into_iter().rev().find(|m| matches!(m.kind, Kind::TurnStarted { .. })).expect("a turn message").clone();
    assert!(!turn_msg.actions.iter().any(|a| matches!(a, Action::Extend(_))), "no Extend button when the template doesn't allow it");
    let out = off.cmd("alice", "extend");
    assert_eq!(ids(&[only_refusal(&out, "alice")]), ["refusal-cannot-extend"], "extend off means no extension");
}

#[test]
fn choosing_reflections_announces_it_and_whispers_guides_to_listeners_only() {
    let mut h = Harness::started(&["alice", "bob", "carol", "dave"]);
    h.done_until(Phase::Sharing);
    h.cmd("dave", "away");
    let out = h.cmd("alice", "mode reflections");
    assert_eq!(public_ids(&out), ["mode-reflections"], "the choice is announced");
    assert_eq!(whisper_targets(&out), ["bob", "carol"], "guides go to present listeners, never the speaker");
    for n in ["bob", "carol"] {
        let g = whispered(&out, n);
        assert_eq!(g[0].kind, Kind::Guide);
        assert_eq!(
            ids(&g),
            ["guide-reflections", "guide-card", "guide-repair", "guide-care"],
            "the guide matches the choice and carries the card's guide"
        );
    }
    let out = h.cmd("alice", "done");
    assert_eq!(public_ids(&out), ["turn-done", "reflect-window"], "a reflection window follows done");
    let turn = h.circle().turn.clone().expect("the window belongs to the turn");
    assert!(turn.reflecting && turn.speaker == member("alice"));
    assert_eq!(h.circle_timer(), Some(attune::core::circle::plus(h.now, 120)), "the window lasts the template's reflection time");
    let out = h.chat("bob", "I heard how tired you are.");
    assert!(out.is_empty(), "listeners are not nudged during the reflection window");
    let out = h.advance(120);
    assert!(public_ids(&out).contains(&"reflect-window-closed"));
    assert_eq!(h.speaker().as_deref(), Some("bob"));
}

#[test]
fn a_saved_mode_applies_when_your_turn_begins() {
    let mut h = Harness::started(&["alice", "bob", "carol"]);
    h.done_until(Phase::Sharing);
    let out = h.cmd("bob", "mode feelings");
    assert_eq!(private_ids(&out, "bob"), ["mode-saved"], "outside your turn, mode saves your default");
    assert!(said(&out).is_empty());
    let out = h.cmd("alice", "done");
    assert_eq!(h.circle().turn.as_ref().map(|t| t.mode), Some(Mode::Feelings));
    assert!(private_ids(&out, "alice").contains(&"guide-feelings"), "listeners get the guide for the saved choice");
    assert!(!whisper_targets(&out).contains(&"bob".to_owned()), "the speaker gets no guide");
    let out = h.cmd("bob", "done");
    assert!(public_ids(&out).contains(&"reflect-window-feelings"), "feelings-only gets its own window");
}

#[test]
fn witness_mode_has_no_reflection_window() {
    let mut h = Harness::started(&["alice", "bob"]);
    h.done_until(Phase::Sharing);
    h.cmd("alice", "mode reflections");
    h.cmd("alice", "mode witness");
    let out = h.cmd("alice", "done");
    assert!(!public_ids(&out).iter().any(|id| id.starts_with("reflect-window")), "just witness: no reflections");
    assert_eq!(h.speaker().as_deref(), Some("bob"), "the next speaker begins at once");
    assert!(!h.circle().turn.as_ref().is_some_and(|t| t.reflecting));
}

#[test]
fn another_card_is_always_a_new_one_and_no_card_repeats_within_a_circle() {
    let mut h = Harness::started(&["alice", "bob", "carol"]);
    h.done_until(Phase::Sharing);
    let first = h.circle().turn.as_ref().and_then(|t| t.card.clone()).expect("a sharing card");
    let out = h.cmd("alice", "card");
    let second = h.circle().turn.as_ref().and_then(|t| t.card.clone()).expect("a sharing card");
    assert_ne!(first, second, "another card is a different card");
    let cards = said(&out);
    assert!(cards.len() <= 1 && cards.iter().all(|m| !m.kind.is_private()), "at most the prompt is public");
    assert!(cards.iter().all(|m| ids(&[*m]) == ["turn-prompt"]), "the swap itself is not announced");
    let targets = whisper_targets(&out);
    assert!(targets.contains(&"bob".to_owned()) && targets.contains(&"carol".to_owned()), "listeners get the new card's guide");
    let out = h.cmd("bob", "card");
    assert_eq!(ids(&[only_refusal(&out, "bob")]), ["refusal-not-your-turn"]);

    // Keep asking until the sharing deck is used up.
    let refusal = loop {
        h.advance(3);
        let out = h.cmd("alice", "card");
        if let Some(r) = refusals(&out).first() {
            break ids(&[*r]);
        }
    };
    assert_eq!(refusal, ["refusal-no-card"], "when every card has been used, none is repeated");
    let used = &h.circle().used_cards;
    let unique: BTreeSet<_> = used.iter().collect();
    assert_eq!(unique.len(), used.len(), "no card repeats within a circle");
    // Every sharing card the template admits, one per group of near-duplicates.
    let max = h.circle().template.max_intensity;
    let admitted: Vec<_> = h
        .state
        .decks
        .values()
        .flat_map(|d| &d.cards)
        .filter(|c| c.kind == attune::core::deck::Kind::Sharing && c.intensity <= max)
        .collect();
    // A group already met in a check-in card can't come back as a sharing card.
    let used_elsewhere: BTreeSet<_> = h
        .state
        .decks
        .values()
        .flat_map(|d| &d.cards)
        .filter(|c| c.kind != attune::core::deck::Kind::Sharing && used.contains(&c.id))
        .filter_map(|c| c.group.clone())
        .collect();
    let groups: BTreeSet<_> = admitted.iter().filter_map(|c| c.group.clone()).filter(|g| !used_elsewhere.contains(g)).collect();
    let sharing = admitted.iter().filter(|c| c.group.is_none()).count() + groups.len();
    let used_sharing = used
        .iter()
        .filter(|id| h.state.decks.values().flat_map(|d| &d.cards).any(|c| &c.id == *id && c.kind == attune::core::deck::Kind::Sharing))
        .count();
    assert_eq!(used_sharing, sharing, "every sharing card was offered once");
}

#[test]
fn an_away_member_is_skipped_and_offered_the_turn_again_at_the_rounds_end() {
    let mut h = Harness::started(&["alice", "bob", "carol"]);
    let out = h.cmd("bob", "away");
    assert_eq!(private_ids(&out, "bob"), ["away"]);
    assert!(said(&out).is_empty(), "stepping away is private");
    h.cmd("alice", "done");
    assert_eq!(h.speaker().as_deref(), Some("carol"), "an away member's turn is skipped");
    h.cmd("bob", "back");
    h.cmd("carol", "done");
    assert_eq!(h.speaker().as_deref(), Some("bob"), "back before the round ends: the turn is offered again");
    assert_eq!(h.phase(), Phase::Opening);
    h.cmd("bob", "done");
    assert_eq!(h.phase(), Phase::Sharing);

    // Still away at the round's end: the round closes without them.
    h.cmd("carol", "away");
    h.cmd("alice", "done");
    h.cmd("bob", "done");
    assert_eq!(h.phase(), Phase::Closing, "a member still away isn't waited for");
    let carol: Vec<_> =
        h.circle().log.iter().filter(|r| r.speaker == member("carol") && r.kind == TurnKind::Sharing).map(|r| r.how).collect();
    assert_eq!(carol, [Ending::Away]);

    // The speaker stepping away ends their turn and keeps their place.
    let sp = h.speaker().expect("a check-out speaker");
    let out = h.cmd(&sp, "away");
    assert_ne!(h.speaker(), Some(sp.clone()));
    assert!(h.circle().seat(&member(&sp)).is_some(), "an away member keeps their seat");
    assert!(!h.texts(&out).iter().any(|t| t.starts_with("[public]") && t.contains("away")), "stepping away isn't announced");
}

#[test]
fn leaving_mid_circle_removes_you_from_the_order_without_public_comment() {
    let mut h = Harness::started(&["alice", "bob", "carol", "dave"]);
    let out = h.cmd("carol", "circle leave");
    assert_eq!(whisper_targets(&out), ["carol"]);
    assert_eq!(out.len(), 1, "leaving is acknowledged privately and nothing else");
    assert!(!h.circle().order.contains(&member("carol")) && !h.circle().queue.contains(&member("carol")));

    let out = h.cmd("alice", "circle leave");
    let public = said(&out);
    assert_eq!(public.len(), 1, "only the next turn is announced: {:?}", h.texts(&out));
    assert_eq!(public[0].kind, Kind::TurnStarted { speaker: "bob".into() });
    assert!(!h.public(&out).iter().any(|t| t.contains("alice")), "the leaver isn't mentioned publicly");
    assert_eq!(h.speaker().as_deref(), Some("bob"));
    assert_eq!(h.circle().log.last().map(|r| (r.speaker.user().to_owned(), r.how)), Some(("alice".into(), Ending::Left)));

    let out = h.input(Input::MemberLeft { member: member("dave") });
    assert!(said(&out).is_empty(), "a member who left the platform is removed without public comment");
    // Only the host hears, privately, that one person is left.
    assert_eq!(whisper_targets(&out), ["alice"]);
    assert_eq!(ids(&whispered(&out, "alice")), ["host-one-left"]);
    assert_eq!(users(&h.circle().order), ["bob"]);
}

// ---- host tools ----------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
enum Setup {
    Gathering,
    Running,
    Paused,
}

fn setup(s: Setup) -> Harness {
    let mut h = Harness::new();
    h.gather("alice", "", &["alice", "bob", "carol"]);
    if matches!(s, Setup::Running | Setup::Paused) {
        h.cmd("alice", "circle start");
    }
    if matches!(s, Setup::Paused) {
        h.cmd("alice", "circle pause");
    }
    h.audit.clear();
    h
}

const HOST_TOOLS: [(Setup, &str, &str, Option<&str>); 10] = [
    (Setup::Gathering, "circle start", "circle start", None),
    (Setup::Gathering, "circle schedule in 1h", "circle schedule", None),
    (Setup::Running, "circle pause", "circle pause", None),
    (Setup::Paused, "circle resume", "circle resume", None),
    (Setup::Running, "circle next", "circle next", Some("alice")),
    (Setup::Running, "circle move carol 1", "circle move", Some("carol")),
    (Setup::Running, "circle remove carol", "circle remove", Some("carol")),
    (Setup::Running, "circle cohost bob", "circle cohost", Some("bob")),
    (Setup::Running, "circle end", "circle end", None),
    (Setup::Gathering, "circle end", "circle end", None),
];

#[test]
fn host_tools_are_refused_for_members_who_are_not_hosts_and_change_nothing() {
    for (s, line, _, _) in HOST_TOOLS {
        let mut h = setup(s);
        let before = snapshot(&h.state);
        let out = h.cmd("bob", line);
        assert_eq!(ids(&[only_refusal(&out, "bob")]), ["refusal-not-host"], "{line} by a non-host is refused");
        assert_same(&snapshot(&h.state), &before, &format!("a refused {line} changes nothing"));
        assert!(h.audit.is_empty(), "a refused {line} is not audited");
    }
}

#[test]
fn host_tools_used_by_a_host_or_a_moderator_are_audited() {
    for who in ["alice", "mod"] {
        for (s, line, action, target) in HOST_TOOLS {
            let mut h = setup(s);
            if line == "circle next" {
                // A `circle next` in a turn's first seconds is taken as meant for the turn before.
                h.advance(10);
            }
            let out = h.cmd(who, line);
            assert!(refusals(&out).is_empty(), "{line} by {who} works: {:?}", h.texts(&out));
            assert_eq!(h.audit.len(), 1, "{line} by {who} writes one audit entry");
            let a = &h.audit[0];
            assert_eq!(a.actor, member(who), "the audit says who");
            assert_eq!(a.action, action, "the audit says what");
            assert_eq!(a.at, h.now, "the audit says when");
            assert_eq!(a.circle, Some(h.circle().id));
            assert_eq!(a.target, target.map(|t| member(t).key()), "the audit names the member acted on");
        }
    }
}

#[test]
fn host_tools_do_what_they_say() {
    let mut h = setup(Setup::Running);
    h.cmd("alice", "circle move carol 1");
    h.cmd("alice", "done");
    assert_eq!(h.speaker().as_deref(), Some("carol"), "move puts a member where the host asked");
    h.advance(10);
    h.cmd("alice", "circle next");
    assert_eq!(h.speaker().as_deref(), Some("bob"), "next moves on from the speaker");
    assert_eq!(h.circle().log.last().map(|r| r.how), Some(Ending::HostNext));
    let out = h.cmd("alice", "circle remove carol");
    assert_eq!(private_ids(&out, "carol"), ["removed-by-host"], "the removed member is told privately");
    assert!(said(&out).is_empty(), "a removal isn't announced");
    assert!(h.circle().seat(&member("carol")).is_none());
    h.cmd("alice", "circle cohost bob");
    let out = h.cmd("bob", "circle pause");
    assert!(refusals(&out).is_empty(), "a co-host can use host tools");
    h.cmd("bob", "circle resume");
    h.cmd("bob", "circle end");
    assert_eq!(h.phase(), Phase::Ended);
}

#[test]
fn pause_and_resume_keep_the_remaining_time() {
    let mut h = Harness::started(&["alice", "bob"]);
    h.done_until(Phase::Sharing);
    h.advance(100);
    let out = h.cmd("alice", "circle pause");
    assert!(public_ids(&out).contains(&"paused"));
    let out = h.advance(3600);
    assert!(out.is_empty(), "no timer runs while paused: {:?}", h.texts(&out));
    let out = h.cmd("alice", "done");
    assert_eq!(ids(&[only_refusal(&out, "alice")]), ["refusal-paused"]);
    let out = h.cmd("alice", "circle resume");
    assert!(line_text(&h, &out, "resumed-turn").contains("3 min 20 s"), "resume says the time that was left");
    let deadline = h.circle().turn.as_ref().map(|t| t.deadline).expect("a turn");
    assert_eq!(deadline.as_second() - h.now.as_second(), 200, "the speaker keeps the 200 s they had left");
    let out = h.advance(139);
    assert!(out.is_empty());
    let out = h.advance(1);
    assert!(private_ids(&out, "alice").contains(&"turn-warning"), "the warning keeps its place too");
    let out = h.advance(60);
    assert!(public_ids(&out).contains(&"turn-time"));
}

#[test]
fn a_stale_timer_does_nothing() {
    let mut h = Harness::started(&["alice", "bob"]);
    let id = h.circle().id;
    let (_, old) = h.timer(&TimerKey::Circle(id)).expect("an armed timer");
    h.cmd("alice", "done");
    let before = snapshot(&h.state);
    let out = h.input(Input::TimerFired { key: TimerKey::Circle(id), generation: old });
    assert!(out.is_empty(), "a superseded timer does nothing");
    assert_same(&snapshot(&h.state), &before, "a stale timer changes nothing");
}

#[test]
fn the_pulse_aggregate_is_shown_only_to_hosts_and_only_from_three_answers() {
    let mut h = Harness::started(&["alice", "bob", "carol", "dave"]);
    let out = h.cmd("alice", "circle status");
    assert!(!private_ids(&out, "alice").iter().any(|id| id.starts_with("status-pulse")), "no pulse while the circle runs");
    h.cmd("alice", "circle end");
    let out = h.dm("bob", "pulse 4");
    assert_eq!(private_ids(&out, "bob"), ["pulse-thanks"]);
    assert!(said(&out).is_empty(), "a pulse answer is private");
    h.dm("carol", "pulse 5");
    h.dm("dave", "pulse 3");
    let out = h.cmd("alice", "circle status");
    let lines = private_ids(&out, "alice");
    assert!(
        lines.contains(&"status-pulse-open") && !lines.contains(&"status-pulse"),
        "while answers are still coming in, no figure is shown, so no single answer can be worked out from a change"
    );
    h.advance(86_400);
    let out = h.cmd("alice", "circle status");
    assert!(line_text(&h, &out, "status-pulse").contains("3 answers, average 4.0"), "once the day is over, the host sees one average");
    let out = h.dm("alice", "pulse 1");
    assert_eq!(ids(&[only_refusal(&out, "alice")]), ["refusal-no-pulse"], "after the window closes, the average can't change");
    let out = h.cmd("mod", "circle status");
    assert!(private_ids(&out, "mod").contains(&"status-pulse"), "moderators see it too");
    let out = h.cmd("bob", "circle status");
    assert!(!private_ids(&out, "bob").iter().any(|id| id.starts_with("status-pulse")), "members never see pulse results");
    let out = h.dm("bob", "pulse 1");
    assert_eq!(ids(&[only_refusal(&out, "bob")]), ["refusal-no-pulse"], "a pulse is answered once");
    assert_eq!(h.circle().pulses.get(&member("bob")), Some(&4));
}

#[test]
fn below_three_answers_the_host_never_sees_an_average() {
    let mut h = Harness::started(&["alice", "bob", "carol", "dave"]);
    h.cmd("alice", "circle end");
    h.dm("bob", "pulse 4");
    h.dm("carol", "pulse 5");
    h.advance(86_400);
    let out = h.cmd("alice", "circle status");
    let lines = private_ids(&out, "alice");
    assert!(lines.contains(&"status-pulse-few") && !lines.contains(&"status-pulse"), "below 3 answers, no average is shown");
}

// ---- private reflection ----------------------------------------------------------

#[test]
fn reflect_whispers_one_self_reflection_card_and_avoids_recent_ones() {
    let mut h = Harness::new();
    let out = h.cmd("bob", "reflect body");
    assert_eq!(out.len(), 2, "one card, after the one-time note on crisis checks");
    let m = &whispered(&out, "bob")[1..];
    assert_eq!((m[0].kind.clone(), ids(m)), (Kind::Card, vec!["reflect-card", "reflect-private"]), "asked in a channel, still private");
    let id = h.state.members[&member("bob")].recent_cards[0].clone();
    let card = h.state.decks.values().flat_map(|d| &d.cards).find(|c| c.id == id).expect("the card exists");
    assert_eq!((card.kind, card.theme), (attune::core::deck::Kind::SelfReflection, attune::core::deck::Theme::Body));
    for _ in 0..9 {
        h.dm("bob", "reflect");
    }
    let recent = &h.state.members[&member("bob")].recent_cards;
    let unique: BTreeSet<_> = recent.iter().collect();
    assert_eq!((recent.len(), unique.len()), (10, 10), "no card repeats within the last 10 requests");
}

#[test]
fn a_practice_is_advanced_step_by_step_by_the_member() {
    let mut h = Harness::new();
    let out = h.dm("bob", "practice");
    assert!(private_ids(&out, "bob").contains(&"practice-item"), "practice lists the practices");
    let p = h.state.decks.values().flat_map(|d| &d.practices).next().expect("a built-in practice").clone();
    let out = h.dm("bob", &format!("practice {}", p.name));
    assert_eq!(private_ids(&out, "bob"), ["practice-start", "practice-step"]);
    assert!(line_text(&h, &out, "practice-step").starts_with(&format!("Step 1 of {}", p.steps.len())));
    for n in 2..=p.steps.len() {
        let out = h.dm("bob", "next");
        assert!(line_text(&h, &out, "practice-step").starts_with(&format!("Step {n} of")));
    }
    let out = h.dm("bob", "next");
    assert_eq!(private_ids(&out, "bob"), ["practice-done"]);
    let out = h.dm("bob", "next");
    assert_eq!(ids(&[only_refusal(&out, "bob")]), ["refusal-no-practice"]);
}

#[test]
fn a_daily_reflection_arrives_at_the_chosen_time_and_re_arms_for_the_next_day() {
    let mut h = Harness::new();
    let out = h.dm("bob", "daily 18:00");
    assert!(line_text(&h, &out, "daily-set").contains("18:00 (UTC)"));
    let key = TimerKey::Daily(member("bob"));
    assert_eq!(h.timer(&key).expect("an armed timer").0, ts("2026-03-02T18:00:00Z"));
    let out = h.advance_to(ts("2026-03-02T18:00:00Z"));
    let cards = whispered(&out, "bob");
    assert_eq!((cards.len(), ids(&cards)), (1, vec!["daily-card", "daily-footer"]), "one daily card, privately");
    assert!(said(&out).is_empty());
    assert_eq!(h.timer(&key).expect("an armed timer").0, ts("2026-03-03T18:00:00Z"), "the next day is armed");
    let out = h.advance(86_400);
    assert_eq!(private_ids(&out, "bob"), ["daily-card", "daily-footer"]);
}

#[test]
fn a_daily_reflection_never_falls_inside_quiet_hours() {
    let mut h = Harness::new();
    h.dm("bob", "quiet 22:00-07:00");
    for t in ["23:00", "06:30", "22:00"] {
        let out = h.dm("bob", &format!("daily {t}"));
        assert_eq!(ids(&[only_refusal(&out, "bob")]), ["refusal-daily-in-quiet"], "daily {t} is inside quiet hours");
    }
    h.dm("bob", "daily 21:30");
    let from = h.log.len();
    h.dm("bob", "quiet 21:00-22:00");
    let key = TimerKey::Daily(member("bob"));
    assert_eq!(h.timer(&key).expect("an armed timer").0, ts("2026-03-02T22:00:00Z"), "new quiet hours move the daily card to their end");
    let out = h.advance_to(ts("2026-03-04T00:00:00Z"));
    assert_eq!(private_ids(&out, "bob").iter().filter(|id| **id == "daily-card").count(), 2);
    let quiet = attune::core::member::QuietHours::parse("21:00-22:00").expect("valid");
    for e in &h.log[from..] {
        if let Effect::Schedule { key: TimerKey::Daily(_), at, .. } = e {
            let z = at.to_zoned(jiff::tz::TimeZone::UTC);
            let t = attune::core::member::ClockTime { hour: z.hour(), minute: z.minute() };
            assert!(!quiet.contains(t), "a daily card was scheduled inside quiet hours at {at}");
        }
    }
}

#[test]
fn the_members_time_zone_sets_the_daily_time_across_a_clock_change() {
    let mut h = Harness::new();
    let out = h.dm("bob", "timezone Mars/Olympus");
    assert_eq!(ids(&[only_refusal(&out, "bob")]), ["refusal-bad-timezone"]);
    let out = h.dm("bob", "timezone America/New_York");
    assert!(line_text(&h, &out, "timezone-set").contains("America/New_York"));
    h.dm("bob", "daily 08:00");
    let key = TimerKey::Daily(member("bob"));
    assert_eq!(h.timer(&key).expect("an armed timer").0, ts("2026-03-02T13:00:00Z"), "08:00 in New York is 13:00 UTC in winter");
    let tz = jiff::tz::TimeZone::get("America/New_York").expect("zone");
    for _ in 0..10 {
        let at = h.timer(&key).expect("an armed timer").0;
        assert_eq!(at.to_zoned(tz.clone()).hour(), 8, "every daily card comes at 08:00 local time");
        h.advance_to(at);
    }
    assert_eq!(h.timer(&key).expect("an armed timer").0, ts("2026-03-12T12:00:00Z"), "after the clocks change, 08:00 is 12:00 UTC");
}

#[test]
fn daily_pause_stops_it_and_resume_brings_it_back() {
    let mut h = Harness::new();
    h.dm("bob", "daily 18:00");
    let out = h.dm("bob", "daily pause");
    assert_eq!(private_ids(&out, "bob"), ["daily-paused"]);
    let out = h.advance(3 * 86_400);
    assert!(out.is_empty(), "a paused daily sends nothing: {:?}", h.texts(&out));
    h.dm("bob", "daily resume");
    let out = h.advance(86_400);
    assert_eq!(private_ids(&out, "bob"), ["daily-card", "daily-footer"], "resumed, it comes again");
    h.dm("bob", "daily off");
    let out = h.advance(3 * 86_400);
    assert!(out.is_empty(), "off means off");
}

// ---- safety and privacy ------------------------------------------------------------

#[test]
fn a_crisis_phrase_gets_a_private_resources_card_at_most_once_per_period() {
    let mut h = Harness::new();
    let out = h.chat("bob", "Honestly, some days I  WANT to die.");
    assert_eq!(out.len(), 1, "one private message and nothing else");
    let m = whispered(&out, "bob");
    assert_eq!(m[0].kind, Kind::Crisis);
    let text = h.render(m[0]);
    let resources = h.state.community.resources.clone();
    assert!(text.contains(resources.lines().next().expect("resources text")), "the community's resources card is sent");
    assert!(text.contains("not a crisis service"), "the bot says it is not a crisis service");
    assert_eq!(m[0].actions, [Action::Support, Action::CrisisWrong, Action::CrisisOff]);
    h.advance(3600);
    let out = h.chat("bob", "i want to die");
    assert_eq!(private_ids(&out, "bob"), ["crisis-again"], "a second match gets one short line, not the card");
    assert!(h.chat("bob", "i want to die").is_empty(), "not again within the period");
    assert!(h.chat_private("bob", "i want to die").is_empty(), "not again within the period, in DMs either");
    h.advance(23 * 3600);
    let out = h.chat_private("bob", "i want to die");
    assert_eq!(whispered(&out, "bob")[0].kind, Kind::Crisis, "once the period is over, resources are offered again");
    assert!(!snapshot(&h.state).to_lowercase().contains("want to die"), "chat text is never stored");
}

#[test]
fn crisis_off_stops_the_checks_and_crisis_wrong_records_nothing() {
    let mut h = Harness::new();
    h.chat("bob", "I want to end it all");
    h.dm("bob", "help");
    let before = snapshot(&h.state);
    let out = h.dm("bob", "crisis wrong");
    assert_eq!(private_ids(&out, "bob"), ["crisis-wrong"]);
    assert_same(&snapshot(&h.state), &before, "'this was wrong' records nothing");
    h.advance(2 * 86_400);
    h.dm("bob", "crisis off");
    assert!(h.chat("bob", "I want to end it all").is_empty(), "with checks off, nothing is sent");
    h.dm("bob", "crisis on");
    assert_eq!(h.chat("bob", "I want to end it all").len(), 1, "checks can be turned back on");
}

#[test]
fn support_opens_a_private_line_without_any_message_text() {
    let mut h = Harness::new();
    h.chat("bob", "I feel like I want to die");
    let out = h.cmd("bob", "support");
    assert!(out.contains(&Effect::OpenSupport { member: member("bob"), display: "bob".into() }), "support opens a line to moderators");
    assert_eq!(private_ids(&out, "bob"), ["support-opened"]);
    assert!(said(&out).is_empty(), "nothing about it is public");
    assert_eq!(out.len(), 2);
}

#[test]
fn forget_me_needs_confirmation_and_then_no_member_data_remains() {
    let mut h = Harness::new();
    h.start("", &["alice", "bob", "carol", "dave"]);
    h.cmd("alice", "circle end");
    for (n, p) in [("alice", 3), ("bob", 4), ("carol", 5)] {
        h.dm(n, &format!("pulse {p}"));
    }
    let ended = h.circle().id;
    h.gather("alice", "", &["alice", "bob"]);
    h.cmd("alice", "circle cohost bob");
    h.cmd_in(
        "bob",
        Place::Channel(attune::core::ids::ChannelId::parse(attune::core::ids::Platform::Console, "side").expect("id")),
        "circle open Bob's circle",
    );
    h.dm("bob", "suggest What does rest feel like in your body?");
    h.dm("bob", "daily 18:00");
    h.dm("bob", "timezone Europe/Lisbon");
    h.dm("bob", "mode feelings");
    assert!(snapshot(&h.state).contains("console:bob"));

    let before = snapshot(&h.state);
    let out = h.dm("bob", "forget-me confirm");
    assert_eq!(ids(&[only_refusal(&out, "bob")]), ["refusal-usage"], "confirm without asking first does nothing");
    assert_same(&snapshot(&h.state), &before, "a refusal changes nothing");
    let out = h.dm("bob", "forget-me");
    let ask = whispered(&out, "bob");
    assert!(ask[0].actions.contains(&Action::ForgetConfirm), "forget-me asks for confirmation");
    assert!(h.state.members.contains_key(&member("bob")), "nothing is deleted before confirmation");
    let out = h.dm("bob", "forget-me confirm");
    assert_eq!(private_ids(&out, "bob"), ["forgotten"]);
    // Bob's own circle in #side had no co-host, so it closes, without naming anyone.
    assert_eq!(public_ids(&out), ["host-gone-before-start"], "forgetting isn't announced");

    assert!(!h.state.members.contains_key(&member("bob")), "the member record is gone");
    assert!(h.state.community.suggestions.is_empty(), "their suggestions are gone");
    let c = &h.state.circles[&ended];
    assert!(!c.pulses.contains_key(&member("bob")), "their pulse is no longer attributed");
    assert_eq!(c.anonymous_pulses, [4], "their pulse stays as an anonymous count");
    assert_eq!(c.pulse_scores().len(), 3);
    let json = snapshot(&h.state);
    assert!(!json.contains("console:bob"), "no trace of the member remains: {json}");
    assert!(!json.contains("\"bob\""), "not even their display name: {json}");
    assert_eq!(h.forgotten, [member("bob")], "the store is told to forget them too");
    let out = h.advance_to(ts("2026-03-03T00:00:00Z"));
    assert!(whispered(&out, "bob").is_empty(), "no daily card reaches a forgotten member");
}

#[test]
fn the_rate_limit_tells_at_most_once_a_minute() {
    use attune::core::ids::Platform::Discord;
    let mut h = Harness::new();
    h.dm("mod", "settings set rate-per-minute 5");
    for _ in 0..5 {
        assert_eq!(h.dm_on(Discord, "bob", "help").len(), 1);
    }
    let out = h.dm_on(Discord, "bob", "help");
    assert_eq!(ids(&refusals(&out)), ["refusal-rate-limited"], "the first command over the limit is told");
    assert_eq!(out.len(), 1, "and only that");
    assert!(h.dm_on(Discord, "bob", "help").is_empty(), "after that, quiet for a minute");
    assert!(h.dm_on(Discord, "bob", "dance").is_empty(), "bad commands are limited too");
    assert_eq!(h.dm_on(Discord, "carol", "help").len(), 1, "the limit is per member");
    h.advance(60);
    let out = h.dm_on(Discord, "bob", "help");
    assert!(refusals(&out).is_empty() && !out.is_empty(), "the limit refills with time");
}

// ---- the floor -------------------------------------------------------------------

#[test]
fn a_listener_who_posts_during_a_turn_is_nudged_once_per_turn() {
    let mut h = Harness::started(&["alice", "bob", "carol"]);
    let out = h.chat("bob", "me too!");
    assert_eq!(private_ids(&out, "bob"), ["floor-nudge"], "a listener posting over the speaker is nudged privately");
    assert!(line_text(&h, &out, "floor-nudge").starts_with("alice has the floor"));
    assert!(h.chat("bob", "sorry").is_empty(), "only once per turn");
    assert_eq!(private_ids(&h.chat("carol", "hi"), "carol"), ["floor-nudge"], "each listener once");
    assert!(h.chat("alice", "and so...").is_empty(), "the speaker is never nudged");
    assert!(h.chat("mod", "welcome all").is_empty(), "moderators are never nudged");
    h.cmd("alice", "done");
    assert_eq!(private_ids(&h.chat("carol", "hi"), "carol"), ["floor-nudge"], "a new turn, a new nudge");
}

#[test]
fn an_open_floor_never_nudges() {
    let mut h = Harness::new();
    h.template("standard", "floor", "open");
    h.start("", &["alice", "bob"]);
    assert!(h.chat("bob", "me too!").is_empty(), "the open policy doesn't enforce the floor");
    assert!(!h.log.iter().any(|e| matches!(e, Effect::Floor { .. })), "no floor effects with an open floor");
}

#[test]
fn a_held_floor_goes_to_the_speaker_at_each_turn_and_is_restored_after() {
    let mut h = Harness::new();
    h.template("standard", "floor", "hold");
    let out = h.start("", &["alice", "bob"]);
    let floor = |out: &[Effect]| -> Vec<Option<String>> {
        out.iter()
            .filter_map(|e| match e {
                Effect::Floor { channel: ch, speaker, .. } => {
                    assert_eq!(ch, &channel());
                    Some(speaker.as_ref().map(|s| s.user().to_owned()))
                }
                _ => None,
            })
            .collect()
    };
    assert_eq!(floor(&out), [Some("alice".to_owned())], "the speaker holds the floor from the turn's start");
    assert!(out.contains(&Effect::Floor { channel: channel(), speaker: Some(member("alice")), hosts: vec![member("alice")], voice: None }));
    let out = h.cmd("alice", "done");
    assert_eq!(floor(&out), [None, Some("bob".to_owned())], "the floor is restored, then given to the next speaker");
    let out = h.cmd("alice", "circle pause");
    assert_eq!(floor(&out), [None], "a pause restores normal posting");
    let out = h.cmd("alice", "circle resume");
    assert_eq!(floor(&out), [Some("bob".to_owned())]);
    let out = h.cmd("alice", "circle end");
    assert_eq!(floor(&out).last(), Some(&None), "the end restores normal posting");
    assert!(h.chat("alice", "hi").is_empty());
}

// ---- privacy of private text -------------------------------------------------------

#[test]
fn every_private_text_is_a_whisper_never_a_say() {
    let mut h = Harness::new();
    h.template("standard", "mode", "reflections");
    h.start("", &["alice", "bob", "carol"]);
    h.cmd("bob", "reflect");
    h.cmd("bob", "practice");
    h.cmd("carol", "circle status");
    h.cmd("carol", "help");
    h.cmd("carol", "dance");
    h.cmd("carol", "done");
    h.chat("carol", "I want to die");
    h.done_until(Phase::Sharing);
    h.chat("bob", "hmm");
    h.cmd("alice", "card");
    h.advance(240);
    h.run_until(100, |h| h.phase() == Phase::Ended);
    h.cmd("bob", "pulse 5");
    h.cmd("carol", "forget-me");
    h.cmd("bob", "my-data");

    // Over every kind of message, not a hand-kept list of lines: a private kind is never said.
    for m in said(&h.log) {
        assert!(!m.kind.is_private(), "a {:?} message was said publicly: {}", m.kind, h.render(m));
        assert!(m.lines.iter().all(|l| !l.id.starts_with("refusal-")), "a refusal was said publicly");
    }
    // And the scenario really produced each private kind, privately (data goes out as an export).
    for kind in Kind::all().into_iter().filter(|k| k.is_private() && *k != Kind::Data) {
        let whispered = h.log.iter().any(|e| matches!(e, Effect::Whisper { message, .. } if message.kind == kind));
        assert!(whispered, "the scenario should have whispered a {kind:?} message");
    }
    // Lines that only ever go to one person (prompts with content notes aside) never appear in public.
    let whispered_only: std::collections::BTreeSet<&str> = h
        .log
        .iter()
        .filter_map(|e| match e {
            Effect::Whisper { message, .. } if message.kind.is_private() => Some(message.lines.iter().map(|l| l.id)),
            _ => None,
        })
        .flatten()
        .filter(|id| *id != "turn-prompt")
        .collect();
    for m in said(&h.log) {
        for l in &m.lines {
            assert!(!whispered_only.contains(l.id), "{} is a private line and was said publicly", l.id);
        }
    }
    assert!(h.log.contains(&Effect::ExportData { to: member("bob") }), "my-data goes out as a private export");
}
