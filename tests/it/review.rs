//! Defects found by the second review, each pinned by a test that failed
//! before its fix: consent only to agreements that were shown, a removal that
//! outlives forget-me, a running circle that outlives its opener, look-alike
//! names that can't reach the genuine member, a content note before its card,
//! and a second `circle next` that can't skip a turn that just began.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use crate::support::*;

// ---- 1. consent is to the agreements the member was shown --------------------------

#[test]
fn agreeing_after_the_agreements_changed_shows_them_again_and_records_nothing() {
    let mut h = Harness::new();
    h.cmd("mod", "circle open");
    let out = h.cmd("alice", "circle join");
    assert!(private_ids(&out, "alice").contains(&"agreements-intro"), "{:?}", h.texts(&out));
    let out = h.dm("mod", "settings set agreements We record everything and share it publicly.");
    assert!(refusals(&out).is_empty(), "{:?}", h.texts(&out));

    let out = h.dm("alice", "agree");
    assert!(refusals(&out).is_empty(), "not a mistake of hers, so not a refusal: {:?}", h.texts(&out));
    assert_eq!(private_ids(&out, "alice"), ["agreements-changed", "agreements-custom", "agreements-ask"], "{:?}", h.texts(&out));
    let shown = h.private(&out, "alice").join("\n");
    assert!(shown.contains("We record everything and share it publicly."), "the current agreements are shown: {shown}");
    assert!(h.state.members[&member("alice")].consent.is_none(), "no consent is recorded to text she never saw");
    assert!(h.circle().seat(&member("alice")).is_none(), "and she hasn't joined");

    let out = h.dm("alice", "agree");
    assert!(private_ids(&out, "alice").contains(&"agreed"), "a fresh agree to what she was shown counts: {:?}", h.texts(&out));
    assert_eq!(h.state.members[&member("alice")].consent.map(|c| c.version), Some(2));
    assert!(h.circle().seat(&member("alice")).is_some());
}

// ---- 2. a host's removal outlives forget-me, for that live circle -------------------

#[test]
fn a_removed_member_who_asks_to_be_forgotten_stays_out_of_that_circle_until_it_ends() {
    let mut h = Harness::new();
    h.start("", &["mod", "alice", "bob", "dan"]);
    let out = h.cmd("mod", "circle remove dan");
    assert!(refusals(&out).is_empty(), "{:?}", h.texts(&out));
    h.dm("dan", "forget-me");
    let out = h.dm("dan", "forget-me confirm");
    assert_eq!(private_ids(&out, "dan"), ["forgotten", "forgotten-removal-kept"], "told honestly what stays: {:?}", h.texts(&out));
    assert!(!h.state.members.contains_key(&member("dan")), "everything else about him is gone");
    let json = snapshot(&h.state);
    assert!(!json.contains("\"dan\""), "the kept removal holds no name: {json}");

    let before = snapshot(&h.state);
    let out = h.cmd("dan", "circle join");
    assert!(has(&refusals(&out), "refusal-removed"), "the removal still holds: {:?}", h.texts(&out));
    let out = h.dm("dan", "agree");
    assert!(has(&refusals(&out), "refusal-nothing-to-agree"), "{:?}", h.texts(&out));
    assert!(h.circle().seat(&member("dan")).is_none(), "he did not get back in");
    assert_same(&snapshot(&h.state), &before, "the refused attempts changed nothing");

    h.cmd("mod", "circle end");
    let json = snapshot(&h.state);
    assert!(!json.contains("console:dan"), "once the circle ends, the removal goes with the rest: {json}");
}

#[test]
fn forgetting_without_a_removal_says_nothing_about_one() {
    let mut h = Harness::started(&["alice", "bob", "carol"]);
    h.dm("bob", "forget-me");
    let out = h.dm("bob", "forget-me confirm");
    assert_eq!(private_ids(&out, "bob"), ["forgotten"]);
}

// ---- 3. the opener's forget-me never cuts off someone else's share ------------------

#[test]
fn a_running_circle_whose_opener_is_forgotten_without_a_cohost_carries_on() {
    use attune::core::circle::Phase;
    let mut h = Harness::started(&["alice", "bob", "carol"]);
    h.cmd("alice", "done");
    assert_eq!(h.speaker().as_deref(), Some("bob"), "bob is sharing");
    let turn = h.circle().turn.clone().unwrap();
    h.dm("alice", "forget-me");
    let out = h.dm("alice", "forget-me confirm");
    assert!(refusals(&out).is_empty(), "{:?}", h.texts(&out));
    assert!(h.circle().is_live(), "the circle carries on");
    assert_eq!(h.circle().turn.as_ref(), Some(&turn), "bob's turn goes on untouched, timer and all");
    assert!(h.circle().host.is_erased(), "the opener is nobody now");
    assert!(h.circle().title.is_none());
    assert!(!public_ids(&out).contains(&"circle-ended"), "{:?}", h.texts(&out));
    assert!(public_ids(&out).contains(&"host-gone-carry-on"), "the circle hears who can help: {:?}", h.texts(&out));
    h.advance(10);
    for line in ["circle pause", "circle resume", "circle next"] {
        let out = h.cmd("mod", line);
        assert!(refusals(&out).is_empty(), "a moderator can act as host: `{line}` {:?}", h.texts(&out));
    }
    h.run_until(200, |h| h.phase() == Phase::Ended);
    assert!(!snapshot(&h.state).contains("console:alice"), "and nothing about alice remains");
}

#[test]
fn a_held_floor_never_names_an_erased_host() {
    use attune::core::effect::Effect;
    let mut h = Harness::new();
    h.template("standard", "floor", "hold");
    h.start("", &["alice", "bob", "carol"]);
    h.cmd("alice", "done");
    h.dm("alice", "forget-me");
    h.dm("alice", "forget-me confirm");
    let out = h.cmd("bob", "done");
    let hosts: Vec<_> = out
        .iter()
        .filter_map(|e| match e {
            Effect::Floor { speaker: Some(_), hosts, .. } => Some(hosts.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(hosts, [Vec::new()], "no platform permissions go to the erased placeholder");
}

// ---- 4. an impersonator's shown name never reaches the genuine member ---------------

fn join_shown(h: &mut Harness, user: &str, display: &str) {
    use attune::core::command::Command;
    use attune::core::input::{Actor, Input, Place};
    let actor = Actor { member: member(user), display: display.to_owned(), moderator: false, host: false };
    h.input(Input::Command { actor: actor.clone(), place: here(), command: Command::Circle(attune::core::command::CircleCmd::Join) });
    h.input(Input::Command { actor, place: Place::Private, command: Command::Agree });
}

#[test]
fn typing_a_look_alike_name_is_refused_rather_than_reaching_the_member_it_imitates() {
    let mut h = Harness::new();
    h.gather("mod", "", &[]);
    join_shown(&mut h, "alice", "alice");
    join_shown(&mut h, "imposter", "\u{0430}lice");
    let shown: Vec<String> = h.circle().seats.iter().map(|s| s.display.clone()).collect();
    assert_eq!(shown, ["alice", "\u{0430}lice (2)"]);

    let before = snapshot(&h.state);
    for line in ["circle remove \u{0430}lice", "circle cohost \u{0430}lice", "circle move \u{0430}lice 1"] {
        let out = h.cmd("mod", line);
        assert!(has(&refusals(&out), "refusal-ambiguous-name"), "`{line}` must not reach the genuine alice: {:?}", h.texts(&out));
    }
    assert_same(&snapshot(&h.state), &before, "the refused tools changed nothing");

    // Exact shown names and platform references still reach exactly one person.
    let out = h.cmd("mod", "circle remove \u{0430}lice (2)");
    assert!(refusals(&out).is_empty(), "{:?}", h.texts(&out));
    let left: Vec<_> = h.circle().seats.iter().map(|s| s.member.clone()).collect();
    assert_eq!(left, [member("alice")], "the seat shown as аlice (2) was removed");
    let out = h.cmd("mod", "circle remove alice");
    assert!(refusals(&out).is_empty(), "the exact shown name reaches alice: {:?}", h.texts(&out));
    assert!(h.circle().seats.is_empty());

    // Readmitting goes through the same resolver.
    let before = snapshot(&h.state);
    let out = h.cmd("mod", "circle readmit \u{0430}lice");
    assert!(has(&refusals(&out), "refusal-ambiguous-name"), "{:?}", h.texts(&out));
    assert_same(&snapshot(&h.state), &before, "nobody was readmitted by a look-alike spelling");
    let out = h.cmd("mod", "circle readmit alice");
    assert!(private_ids(&out, "alice").contains(&"readmitted"), "{:?}", h.texts(&out));
}

#[test]
fn a_look_alike_spelling_still_finds_someone_when_nobody_else_looks_like_them() {
    let mut h = Harness::new();
    h.gather("mod", "", &[]);
    join_shown(&mut h, "alice", "\u{0430}lice");
    join_shown(&mut h, "bob", "bob");
    let out = h.cmd("mod", "circle cohost alice");
    assert!(refusals(&out).is_empty(), "{:?}", h.texts(&out));
    assert_eq!(h.circle().cohosts, [member("alice")]);
}

// ---- 5. a content note comes alone, before its card --------------------------------

#[test]
fn a_warned_card_waits_behind_its_note_until_the_speaker_chooses_to_see_it() {
    use attune::core::circle::Phase;
    use attune::core::deck::{Intensity, Kind as CardKind};
    use attune::core::effect::{Action, Effect};
    let mut h = Harness::new();
    h.template("standard", "intensity", "deep");
    // Every deep sharing card carries a warning, and only deep ones are left for a /card.
    for d in h.state.decks.values_mut() {
        for c in d.cards.iter_mut().filter(|c| c.kind == CardKind::Sharing) {
            if c.intensity == Intensity::Deep {
                c.cw = vec!["grief".into()];
            } else {
                c.cw.clear();
            }
        }
    }
    h.start("", &["alice", "bob", "carol"]);
    h.done_until(Phase::Sharing);
    let speaker = h.speaker().unwrap();
    let turn = h.circle().turn.clone().unwrap();
    let timer = h.circle_timer();
    // Draw until a warned card comes.
    let mut note = Vec::new();
    for _ in 0..60 {
        let out = h.cmd(&speaker, "card");
        if private_ids(&out, &speaker).contains(&"cw-speaker") {
            note = out;
            break;
        }
    }
    assert!(!note.is_empty(), "a warned card was drawn");
    let card = h.circle().turn.as_ref().and_then(|t| t.card.clone()).unwrap();
    let text = h.state.decks.values().flat_map(|d| &d.cards).find(|c| c.id == card).unwrap().text.clone();
    let mine = whispered(&note, &speaker);
    assert_eq!(ids(&mine), ["cw-speaker", "cw-speaker-choice"], "the note comes first, alone");
    assert!(!h.private(&note, &speaker).join("\n").contains(&text), "the prompt isn't in the note's message");
    assert!(!h.public(&note).join("\n").contains(&text), "nor posted");
    let actions: Vec<Action> = mine.iter().flat_map(|m| m.actions.clone()).collect();
    let seq = turn.seq;
    assert!(matches!(actions.as_slice(), [Action::CardShow(t1), Action::Card(t2)] if t1.seq == seq && t2.seq == seq), "{actions:?}");

    let show = actions[0];
    let out = h.command(&speaker, here(), show.command());
    assert_eq!(private_ids(&out, &speaker), ["turn-prompt"], "{:?}", h.texts(&out));
    assert!(h.private(&out, &speaker)[0].contains(&text), "the prompt comes once they choose to see it");
    assert!(said(&out).is_empty() && !out.iter().any(|e| matches!(e, Effect::Schedule { .. })), "privately, and the timer is untouched");
    assert_eq!(h.circle_timer(), timer);
    assert_eq!(h.circle().turn.as_ref().map(|t| (t.started_at, t.deadline)), Some((turn.started_at, turn.deadline)));

    let out = h.cmd("bob", "card show");
    let out2 = h.cmd("carol", "card show");
    let not_speaker = if speaker == "bob" { out2 } else { out };
    assert!(has(&refusals(&not_speaker), "refusal-not-your-turn"), "only the speaker sees their prompt");
}

// ---- 6. two hosts typing `circle next` at once don't skip a whole turn --------------

#[test]
fn a_second_circle_next_moments_after_the_first_leaves_the_new_turn_alone() {
    let mut h = Harness::started(&["alice", "bob", "carol"]);
    h.advance(30);
    let out = h.cmd("alice", "circle next");
    assert!(refusals(&out).is_empty(), "{:?}", h.texts(&out));
    assert_eq!(h.speaker().as_deref(), Some("bob"));
    let turn = h.circle().turn.clone();
    h.advance(1);
    let before = snapshot(&h.state);
    let out = h.cmd("mod", "circle next");
    assert!(has(&refusals(&out), "refusal-just-moved-on"), "bob's turn is not skipped at 1 s: {:?}", h.texts(&out));
    let said = h.texts(&out).join("\n");
    assert!(said.contains("just moved on to bob") && said.contains("again"), "said kindly, with the way forward: {said}");
    assert_same(&snapshot(&h.state), &before, "the refused next changed nothing");
    assert_eq!(h.circle().turn, turn);

    h.advance(3);
    let out = h.cmd("mod", "circle next");
    assert!(refusals(&out).is_empty(), "said again a moment later, it moves on: {:?}", h.texts(&out));
    assert_eq!(h.speaker().as_deref(), Some("carol"));
}
