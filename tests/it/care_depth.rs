//! Issue 8 ("Care"), sections 4 and 5: safety before depth in the decks and
//! draws, and wording that keeps its promises.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeSet;

use attune::core::circle::Phase;
use attune::core::deck::{Card, Intensity, Kind as CardKind, default_decks};
use attune::core::effect::Effect;
use attune::core::template::Template;

use crate::support::*;

fn card(id: &str) -> Card {
    default_decks().unwrap().into_iter().flat_map(|d| d.cards).find(|c| c.id.as_str() == id).unwrap_or_else(|| panic!("card {id}"))
}

fn intensity_of(h: &Harness, id: &attune::core::ids::Slug) -> Intensity {
    h.state.decks.values().flat_map(|d| &d.cards).find(|c| &c.id == id).unwrap().intensity
}

/// Plays the sharing phase with `done`, recording (round, card) for every sharing turn.
fn sharing_cards(h: &mut Harness) -> Vec<(u32, attune::core::ids::Slug)> {
    h.done_until(Phase::Sharing);
    let mut seen = Vec::new();
    while h.phase() == Phase::Sharing {
        let c = h.circle();
        if let Some(t) = &c.turn
            && !t.reflecting
            && let Some(card) = &t.card
        {
            seen.push((c.round, card.clone()));
        }
        let sp = h.speaker().unwrap();
        h.cmd(&sp, "done");
    }
    seen
}

// ---- 4.1 safety before depth ------------------------------------------------------

#[test]
fn the_default_templates_offer_light_and_medium_cards_only() {
    assert_eq!(Template::standard().max_intensity, Intensity::Medium, "deep cards are a host's choice");
    assert_eq!(Template::short().max_intensity, Intensity::Medium);
    for seed in 0..12 {
        let mut h = Harness::with_seed(seed);
        h.start("", &["alice", "bob", "carol", "dave"]);
        for (_, id) in sharing_cards(&mut h) {
            assert!(intensity_of(&h, &id) <= Intensity::Medium, "seed {seed}: {id} is deep in a default circle");
        }
    }
}

#[test]
fn with_deep_on_rounds_go_from_lighter_to_deeper() {
    let mut deep_seen = false;
    for seed in 0..10 {
        let mut h = Harness::with_seed(seed);
        h.template("standard", "intensity", "deep");
        h.template("standard", "rounds", "3");
        h.start("", &["alice", "bob", "carol"]);
        for (round, id) in sharing_cards(&mut h) {
            let i = intensity_of(&h, &id);
            let cap = [Intensity::Light, Intensity::Medium, Intensity::Deep][round as usize - 1];
            assert!(i <= cap, "seed {seed}: round {round} drew a {i:?} card ({id})");
            deep_seen |= i == Intensity::Deep;
        }
    }
    assert!(deep_seen, "with deep on, the last round does reach deep cards");
}

// ---- 4.2 content warnings before the prompt, privately ---------------------------------

/// A started circle in which every sharing card carries a content warning.
fn with_warnings_everywhere() -> Harness {
    let mut h = Harness::new();
    for d in h.state.decks.values_mut() {
        for c in d.cards.iter_mut().filter(|c| c.kind == CardKind::Sharing) {
            c.cw = vec!["grief".into()];
        }
    }
    h.start("", &["alice", "bob", "carol"]);
    h
}

#[test]
fn a_card_with_a_warning_goes_to_the_speaker_alone_note_first() {
    let mut h = with_warnings_everywhere();
    h.done_until(Phase::Sharing);
    // The sharing turn began with the last `done`: look at what it sent.
    let started =
        h.log.iter().rposition(|e| matches!(e, Effect::Say { message, .. } if ids(&[message]).contains(&"turn-sharing"))).unwrap();
    let out = h.log[started..].to_vec();
    let speaker = h.speaker().unwrap();
    let public = public_ids(&out);
    assert!(public.contains(&"turn-sharing") && !public.contains(&"turn-prompt"), "the prompt is not posted: {public:?}");
    assert_eq!(&private_ids(&out, &speaker)[..2], ["cw-speaker", "cw-speaker-choice"], "the content note comes before the prompt, alone");
    let note = h.private(&out, &speaker).join("\n");
    assert!(note.contains("grief") && note.contains("/card"), "the note names the warning and offers another card: {note}");
    let out = h.cmd(&speaker, "card show");
    assert_eq!(private_ids(&out, &speaker), ["turn-prompt"], "the prompt comes once the speaker chooses to see it");

    let out = h.cmd(&speaker, "card");
    assert!(said(&out).is_empty(), "/card swaps without announcing the swap, and a warned card stays private");
    assert_eq!(private_ids(&out, &speaker)[0], "cw-speaker");
}

#[test]
fn card_swaps_a_prompt_without_announcing_the_swap() {
    let mut h = Harness::started(&["alice", "bob", "carol"]);
    h.done_until(Phase::Sharing);
    let sp = h.speaker().unwrap();
    let out = h.cmd(&sp, "card");
    for m in said(&out) {
        assert_eq!(ids(&[m]), ["turn-prompt"], "only the new prompt is public, not a 'new prompt' announcement");
        assert!(!h.render(m).contains(&sp), "the swap is not announced by name");
    }
}

// ---- 4.3 /reflect --------------------------------------------------------------

#[test]
fn reflect_without_a_theme_stays_light_or_medium_and_without_warnings() {
    for seed in 0..40 {
        let mut h = Harness::with_seed(seed);
        h.dm("bob", "reflect");
        let id = h.state.members[&member("bob")].recent_cards.last().cloned().unwrap();
        let c = h.state.decks.values().flat_map(|d| &d.cards).find(|c| c.id == id).unwrap().clone();
        assert!(c.intensity <= Intensity::Medium && c.cw.is_empty(), "seed {seed}: an unasked-for draw gave {id}");
    }
}

#[test]
fn a_warned_card_asked_for_by_theme_comes_one_step_after_its_note() {
    let decks = default_decks().unwrap();
    let warned = decks.iter().flat_map(|d| &d.cards).find(|c| c.kind == CardKind::SelfReflection && !c.cw.is_empty()).unwrap().clone();
    let mut h = Harness::new();
    // Only the warned card fits its theme, so asking by theme must bring it.
    for d in h.state.decks.values_mut() {
        d.cards.retain(|c| c.kind != CardKind::SelfReflection || c.theme != warned.theme || c.id == warned.id);
    }
    let out = h.dm("bob", &format!("reflect {}", warned.theme.as_str()));
    let first = private_ids(&out, "bob");
    assert!(first.contains(&"content-note") && !first.contains(&"reflect-card"), "the note comes first, alone: {first:?}");
    let out = h.dm("bob", "next");
    assert_eq!(private_ids(&out, "bob"), ["reflect-card", "reflect-private"], "the card comes one step later");
    assert!(h.private(&out, "bob")[0].contains(&warned.text));
}

// ---- 4.4 cards that need care ---------------------------------------------------------

#[test]
fn cards_that_needed_care_are_reworded() {
    assert!(card("sharing-10").text.contains("self-talk") && !card("sharing-10").text.contains("voice in your head"));
    assert!(card("sharing-10").guide.unwrap().contains("self-talk"));
    assert!(!card("sharing-15").text.contains("wish you had"), "no invitation to regret");
    assert!(!card("sharing-26").guide.unwrap().contains("light up"), "no reading of faces");
    assert!(!card("self-reflection-21").text.contains("whose voice"), "no pull towards whose voice it is");
    assert!(card("self-reflection-22").text.contains("not ready"), "permission to leave it");
    assert!(card("self-reflection-28").text.contains("everyday"), "kept to everyday moments");
    assert!(card("self-reflection-39").text.contains("hurt you"), "room to leave out someone who hurt you");
    for id in ["sharing-19", "sharing-26", "self-reflection-37", "self-reflection-38"] {
        let text = card(id).text;
        assert!(
            text.contains("not to have") || text.contains("been a long time"),
            "{id} also invites what it's like without a supportive person: {text}"
        );
    }
    for id in ["closing-10", "closing-11", "closing-13"] {
        let c = card(id);
        assert_eq!(c.intensity, Intensity::Light, "{id} contains rather than opens");
        for opening in ["inner voice", "stirred", "let go"] {
            assert!(!c.text.contains(opening), "{id} no longer opens things up ({opening}): {}", c.text);
        }
    }
}

// ---- 4.5 groups ---------------------------------------------------------------------

#[test]
fn near_duplicates_share_a_group() {
    let g = |id: &str| card(id).group.unwrap_or_else(|| panic!("{id} has a group"));
    assert_eq!(g("check-in-07"), g("sharing-01"));
    assert_eq!(g("check-in-07"), g("sharing-25"));
    assert_eq!(g("check-in-06"), g("sharing-24"));
}

#[test]
fn no_two_cards_of_one_group_meet_in_a_circle() {
    for seed in 0..25 {
        let mut h = Harness::with_seed(seed);
        h.template("standard", "rounds", "3");
        h.start("", &["alice", "bob", "carol", "dave", "erin"]);
        sharing_cards(&mut h);
        for _ in 0..8 {
            if let Some(sp) = h.speaker() {
                h.cmd(&sp, "card");
            }
        }
        let used = &h.circle().used_cards;
        let groups: Vec<String> = used
            .iter()
            .filter_map(|id| h.state.decks.values().flat_map(|d| &d.cards).find(|c| &c.id == id).and_then(|c| c.group.clone()))
            .collect();
        let unique: BTreeSet<_> = groups.iter().collect();
        assert_eq!(unique.len(), groups.len(), "seed {seed}: two cards of one group met: {groups:?}");
    }
}

// ---- 4.6 and 4.7 new prompts, repair, listener self-care ---------------------------------

#[test]
fn story_joy_feeling_met_and_needs_prompts_exist() {
    let decks = default_decks().unwrap();
    let cards: Vec<&Card> = decks.iter().flat_map(|d| &d.cards).collect();
    let sharing = |needle: &str| cards.iter().filter(|c| c.kind == CardKind::Sharing && c.text.contains(needle)).count();
    assert!(sharing("Tell us about a time") >= 4, "council-style story prompts");
    assert!(sharing("joy") >= 1 && sharing("met") >= 1, "moments of joy and of feeling met");
    assert!(cards.iter().any(|c| c.kind == CardKind::Closing && c.text.contains("felt met")), "a closing card about feeling met");
    assert!(decks.iter().flat_map(|d| &d.practices).any(|p| p.theme == attune::core::deck::Theme::Needs), "a practice for needs");
}

#[test]
fn speakers_may_correct_a_reflection_and_listeners_learn_to_take_it() {
    let mut h = Harness::started(&["alice", "bob", "carol"]);
    h.done_until(Phase::Sharing);
    let sp = h.speaker().unwrap();
    let start = h.log.iter().rposition(|e| matches!(e, Effect::Say { message, .. } if ids(&[message]).contains(&"turn-sharing"))).unwrap();
    let announce = h.public(&h.log[start..start + 1]).join("");
    assert!(announce.contains("If a reflection misses"), "the speaker hears they may correct a reflection: {announce}");
    let out = h.cmd(&sp, "mode reflections");
    let listener = ["alice", "bob", "carol"].into_iter().find(|n| *n != sp).unwrap();
    assert!(private_ids(&out, listener).contains(&"guide-repair"), "listeners learn how to take a correction");
    assert!(!private_ids(&out, listener).contains(&"guide-self-care"), "the self-care line is for deep cards");
}

#[test]
fn deep_cards_guides_add_a_line_for_the_listeners_own_care() {
    let mut h = Harness::new();
    for d in h.state.decks.values_mut() {
        d.cards.retain(|c| c.kind != CardKind::Sharing || c.intensity == Intensity::Deep);
    }
    h.template("standard", "intensity", "deep");
    h.start("", &["alice", "bob", "carol"]);
    h.done_until(Phase::Sharing);
    let sp = h.speaker().unwrap();
    let out = h.cmd(&sp, "mode reflections");
    let listener = ["alice", "bob", "carol"].into_iter().find(|n| *n != sp).unwrap();
    assert!(private_ids(&out, listener).contains(&"guide-self-care"), "{:?}", h.texts(&out));
    let line = h.private(&out, listener).join("\n");
    assert!(line.contains("stirs in you") && line.contains("your own turn"), "{line}");
}

// ---- 5. promises the wording breaks -----------------------------------------------

#[test]
fn a_witness_only_turn_nobody_chose_is_not_called_a_wish() {
    let mut h = Harness::started(&["alice", "bob", "carol"]);
    h.done_until(Phase::Sharing);
    let start = h.log.iter().rposition(|e| matches!(e, Effect::Say { message, .. } if ids(&[message]).contains(&"turn-sharing"))).unwrap();
    let out = h.log[start..].to_vec();
    assert!(public_ids(&out).contains(&"mode-witness-default"), "{:?}", public_ids(&out));
    let text = h.public(&out).join("\n");
    assert!(!text.contains("would like to be witnessed") && text.contains("/mode"), "{text}");
    let sp = h.speaker().unwrap();
    let out = h.cmd(&sp, "mode witness");
    assert_eq!(public_ids(&out), ["mode-witness"], "once chosen, it is the speaker's wish");
}

#[test]
fn the_warning_mentions_extend_and_welcomes_a_last_sentence() {
    let mut h = Harness::started(&["alice", "bob"]);
    h.done_until(Phase::Sharing);
    let sp = h.speaker().unwrap();
    let out = h.advance(241);
    let warning = h.private(&out, &sp).join("");
    assert!(warning.contains("/extend") && warning.contains("a last sentence is welcome"), "{warning}");
    assert!(!warning.contains("no need to hurry"), "no promise the cut-off then breaks");
}

#[test]
fn no_promise_of_a_next_round_or_an_own_turn_that_may_not_come() {
    let h = Harness::new();
    let spoke = h.cat.render(&attune::core::effect::Message::info(attune::core::effect::Line::new("refusal-already-spoke")));
    assert!(!spoke.contains("next one"), "one round has no next one: {spoke}");
    let mut h = Harness::started(&["alice", "bob", "carol"]);
    h.done_until(Phase::Sharing);
    let out = h.chat("zed", "hello there");
    assert_eq!(private_ids(&out, "zed"), ["floor-nudge-plain"], "someone not in the circle isn't promised a turn");
    let sp = h.speaker().unwrap();
    let listener = ["alice", "bob", "carol"].into_iter().find(|n| *n != sp).unwrap();
    let out = h.chat(listener, "me too");
    assert_eq!(private_ids(&out, listener), ["floor-nudge"], "a member with a turn ahead hears about it");
}

#[test]
fn a_hand_behind_other_hands_is_not_told_it_is_next() {
    let mut h = Harness::new();
    h.template("standard", "order", "hand");
    h.start("", &["alice", "bob", "carol", "dave"]);
    h.done_until(Phase::Sharing);
    let waiting: Vec<String> = h.circle().queue.iter().map(|m| m.user().to_owned()).collect();
    assert!(waiting.len() >= 2, "{waiting:?}");
    h.cmd(&waiting[0], "hand");
    h.cmd(&waiting[1], "hand");
    let out = h.cmd(&waiting[1], "hand");
    assert_eq!(private_ids(&out, &waiting[1]), ["hand-already-queued"]);
    let out = h.cmd(&waiting[0], "hand");
    assert_eq!(private_ids(&out, &waiting[0]), ["hand-already"]);
}

#[test]
fn check_in_mentions_passing_and_leaving_offers_support() {
    let mut h = Harness::new();
    let out = h.start("", &["alice", "bob"]);
    let text = h.public(&out).join("\n");
    assert!(text.contains("it's your check-in") && text.contains("/pass"), "{text}");
    let out = h.cmd("bob", "circle leave");
    assert!(h.private(&out, "bob").join("").contains("/support"));
}

#[test]
fn a_pulse_of_one_is_acknowledged_with_support_and_the_daily_card_has_no_streak_echo() {
    let mut h = Harness::started(&["alice", "bob", "carol"]);
    h.run_until(200, |h| h.phase() == Phase::Ended);
    let out = h.cmd("bob", "pulse 1");
    assert_eq!(private_ids(&out, "bob"), ["pulse-thanks-low"]);
    assert!(h.private(&out, "bob")[0].contains("/support"));
    let out = h.cmd("carol", "pulse 4");
    assert_eq!(private_ids(&out, "carol"), ["pulse-thanks"]);
    let footer = h.cat.render(&attune::core::effect::Message::info(attune::core::effect::Line::new("daily-footer")));
    assert!(!footer.contains("Skipping"), "{footer}");
}

#[test]
fn the_feelings_guide_asks_listeners_to_check_the_fit() {
    let mut h = Harness::started(&["alice", "bob"]);
    h.done_until(Phase::Sharing);
    let sp = h.speaker().unwrap();
    let out = h.cmd(&sp, "mode feelings");
    let listener = if sp == "alice" { "bob" } else { "alice" };
    assert!(h.private(&out, listener)[0].contains("whether it fits"));
}

#[test]
fn approving_a_suggestion_says_how_the_card_was_filed_and_how_to_change_it() {
    let mut h = Harness::new();
    h.dm("bob", "suggest What does a kind morning look like for you?");
    let out = h.dm("mod", "suggestions approve 1");
    let text = h.private(&out, "mod").join("");
    for part in ["\"suggested\" deck", "self-reflection", "presence", "light", "/deck edit"] {
        assert!(text.contains(part), "the moderator hears {part}: {text}");
    }
}

#[test]
fn fixtures_and_comments_no_longer_say_private_messages_are_read_by_nobody() {
    let script = include_str!("../fixtures/transcripts/private-reflection.txt");
    assert!(!script.contains("read by nobody"));
    assert!(script.contains("checked in memory for crisis phrases"));
}

#[test]
fn deck_validate_prints_counts_per_kind_theme_and_intensity() {
    let dir = tempfile::tempdir().unwrap();
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/decks/sharing.toml");
    let out = crate::cli::attune(dir.path()).args(["deck", "validate"]).arg(&file).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{text}");
    let n = |needle: &str| text.contains(needle);
    assert!(n("kind: sharing 33") && n("theme: emotions") && n("intensity: light") && n("medium") && n("deep"), "{text}");
}

#[test]
fn deep_cards_come_when_asked_for_by_intensity_with_any_note_first() {
    for seed in 0..20 {
        let mut h = Harness::with_seed(seed);
        let out = h.dm("bob", "reflect deep");
        let m = &h.state.members[&member("bob")];
        let id = m.recent_cards.last().cloned().unwrap();
        let c = h.state.decks.values().flat_map(|d| &d.cards).find(|c| c.id == id).unwrap().clone();
        assert_eq!(c.intensity, Intensity::Deep, "seed {seed}: asked for deep, got {id}");
        let got = private_ids(&out, "bob");
        if c.cw.is_empty() {
            assert!(got.contains(&"reflect-card"), "seed {seed}: {got:?}");
        } else {
            assert!(got.contains(&"content-note") && !got.contains(&"reflect-card"), "seed {seed}: the note comes first: {got:?}");
            assert_eq!(m.pending_card.as_ref(), Some(&id));
        }
    }
}
