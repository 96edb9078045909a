//! Issue 17, item 4: crisis words are never content. Text that matches the
//! crisis rules is read for signposting (the member gets the card as chat
//! would) and goes nowhere else: not stored as a suggestion, not listed to
//! moderators, not saved as a card without a moderator's confirmation, not
//! posted as a title and not quoted back in a refusal.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use attune::core::command::{Command, DeckCmd};
use attune::core::effect::{Effect, Kind};
use attune::core::input::Place;
use attune::core::state::Suggestion;

use crate::support::*;

const WORDS: &str = "I want to kill myself";

fn crisis_card_to(out: &[Effect], name: &str) -> bool {
    out.iter().any(|e| matches!(e, Effect::Whisper { to, message } if *to == member(name) && message.kind == Kind::Crisis))
}

fn everything(h: &Harness, out: &[Effect]) -> String {
    h.texts(out).join("\n")
}

#[test]
fn a_suggestion_in_crisis_words_brings_the_card_and_is_not_kept() {
    let mut h = Harness::new();
    let out = h.dm("bob", &format!("suggest {WORDS}"));
    assert!(crisis_card_to(&out, "bob"), "the member gets the resources card, as chat would");
    assert!(!everything(&h, &out).contains(WORDS), "the words are not echoed");
    assert!(h.state.community.suggestions.is_empty(), "the suggestion is not stored");
    assert!(!snapshot(&h.state).contains(WORDS), "nothing stored holds the words");
    let listed = {
        let o = h.dm("mod", "suggestions");
        h.private(&o, "mod").join("\n")
    };
    assert!(!listed.contains(WORDS), "moderators never see the words:\n{listed}");
    assert!(listed.contains("one was held back"), "moderators learn that one was held back:\n{listed}");
    let again = {
        let o = h.dm("mod", "suggestions");
        h.private(&o, "mod").join("\n")
    };
    assert!(!again.contains("held back"), "the count is told once:\n{again}");
}

#[test]
fn a_crisis_suggestion_is_held_even_with_checks_off_and_never_becomes_a_card() {
    let mut h = Harness::new();
    h.dm("bob", "crisis off");
    let out = h.dm("bob", &format!("suggest {WORDS}"));
    assert!(!crisis_card_to(&out, "bob"), "checks off: no card");
    assert!(h.state.community.suggestions.is_empty(), "but the words still aren't kept as a suggestion");
    assert!(h.private(&out, "bob").join("\n").contains("haven't passed this one on"));
}

#[test]
fn a_suggestion_stored_before_this_rule_is_listed_by_number_and_cannot_be_approved() {
    let mut h = Harness::new();
    h.state.community.suggestions.push(Suggestion { id: 7, member: member("bob"), text: WORDS.into(), at: t0() });
    let listed = {
        let o = h.dm("mod", "suggestions");
        h.private(&o, "mod").join("\n")
    };
    assert!(listed.contains("#7") && !listed.contains(WORDS), "listed by number only:\n{listed}");
    let out = h.dm("mod", "suggestions approve 7");
    assert!(h.private(&out, "mod").join("\n").contains("can't become a card"));
    assert!(!h.state.decks.values().flat_map(|d| &d.cards).any(|c| c.text.contains(WORDS)), "no card serves the words");
    h.dm("mod", "suggestions decline 7");
    assert!(h.state.community.suggestions.is_empty(), "it can be declined");
}

#[test]
fn refusals_never_quote_crisis_words_back() {
    let mut h = Harness::new();
    for (i, line) in [
        format!("timezone {WORDS}"),
        format!("quiet {WORDS}"),
        format!("practice {WORDS}"),
        format!("reflect {WORDS}"),
        format!("daily {WORDS}"),
        "i want to die".to_owned(),
        format!("deck show {WORDS}"),
    ]
    .iter()
    .enumerate()
    {
        let out = h.dm("bob", line);
        let text = everything(&h, &out);
        assert!(!text.to_lowercase().contains("kill myself") && !text.contains("want to die"), "{line}: no echo:\n{text}");
        let refusal = out.iter().any(|e| matches!(e, Effect::Whisper { message, .. } if message.kind == Kind::Refusal));
        // A command that didn't work says so; a line that was no command at all gets the care alone.
        let command = attune::core::command::parse(line).is_ok();
        assert_eq!(refusal, command, "{line}: a command is still told that it didn't work, a cry is not answered as one");
        if i == 0 {
            assert!(crisis_card_to(&out, "bob"), "the first one brings the card");
        }
    }
    let plain = h.dm("bob", "timezone Mars/Olympus");
    assert!(everything(&h, &plain).contains("Mars/Olympus"), "ordinary words are still quoted, to help");
}

#[test]
fn a_circle_title_in_crisis_words_is_never_posted_even_with_checks_off() {
    let mut h = Harness::new();
    h.dm("alice", "crisis off");
    let out = h.cmd("alice", &format!("circle open {WORDS}"));
    assert!(said(&out).is_empty(), "nothing is posted");
    assert!(h.state.circles.is_empty(), "no circle opened");
    assert!(!everything(&h, &out).contains(WORDS));
}

#[test]
fn a_card_in_crisis_words_waits_for_the_moderator_to_confirm() {
    let mut h = Harness::new();
    h.dm("mod", "deck new mine");
    let before = snapshot(&h.state);
    let out = h.dm("mod", "deck add mine self-reflection emotions light When did you last want to die, and who knew?");
    assert_eq!(snapshot(&h.state), before, "nothing is saved yet");
    let warned = h.private(&out, "mod").join("\n");
    assert!(warned.contains("send the same again"), "the moderator is warned and told how to confirm:\n{warned}");
    assert!(!crisis_card_to(&out, "mod"), "a moderator writing a card is warned, not signposted");
    let out = h.dm("mod", "confirm");
    assert!(h.private(&out, "mod").join("\n").contains("mine-01"), "confirmed, the card is added");
    assert!(h.state.decks.values().flat_map(|d| &d.cards).any(|c| c.text.contains("want to die")));
    let again = h.dm("mod", "confirm");
    assert!(h.private(&again, "mod").join("\n").contains("Nothing is waiting"), "a confirmation is used once");
}

#[test]
fn a_held_card_edit_lapses_after_ten_minutes_and_saves_nothing() {
    let mut h = Harness::new();
    h.dm("mod", "deck new mine");
    h.dm("mod", "deck add mine self-reflection emotions light What helps you rest?");
    h.dm("mod", &format!("deck edit mine-01 text {WORDS}"));
    h.advance(11 * 60);
    let out = h.dm("mod", "confirm");
    assert!(h.private(&out, "mod").join("\n").contains("Nothing is waiting"), "ten minutes later it has lapsed");
    assert!(!snapshot(&h.state).contains(WORDS), "and nothing was saved");
}

#[test]
fn an_imported_deck_with_crisis_words_waits_and_resources_text_too() {
    let mut h = Harness::new();
    let file = "[deck]\nname = \"imp\"\ntitle = \"Imported\"\ndescription = \"\"\n\n[[cards]]\nid = \"imp-01\"\nkind = \"self-reflection\"\ntheme = \"emotions\"\nintensity = \"light\"\ncw = []\ntext = \"Some days I want to kill myself.\"\n";
    let import = Command::Deck(DeckCmd::Import { source: "imp.toml".into(), content: Some(file.into()) });
    let out = h.command("mod", Place::Private, import);
    let text = h.private(&out, "mod").join("\n");
    assert!(text.contains("send the same again") && !h.state.decks.keys().any(|k| k.as_str() == "imp"), "held:\n{text}");
    h.dm("mod", "confirm");
    assert!(h.state.decks.keys().any(|k| k.as_str() == "imp"), "confirmed, it is imported");

    let out = h.dm("mod", "resources set Feeling suicidal? Call or text 988.");
    assert!(h.private(&out, "mod").join("\n").contains("send the same again"));
    assert!(!h.state.community.resources_custom, "not saved before confirming");
    h.dm("mod", "confirm");
    assert!(h.state.community.resources.contains("988") && h.state.community.resources_custom);
}

#[test]
fn agreements_and_deck_titles_in_crisis_words_wait_for_confirm_too() {
    let mut h = Harness::new();
    let version = h.state.community.agreements_version;
    let out = h.dm("mod", "settings set agreements We listen. Nobody here should want to kill myself alone.");
    assert!(h.private(&out, "mod").join("\n").contains("send the same again"));
    assert_eq!(h.state.community.agreements_version, version, "not saved yet");
    h.dm("mod", "confirm");
    assert_eq!(h.state.community.agreements_version, version + 1, "saved once confirmed");
    h.dm("mod", &format!("deck new heavy {WORDS}"));
    assert!(!h.state.decks.keys().any(|k| k.as_str() == "heavy"), "a deck title waits too");
}

#[test]
fn sending_a_held_card_again_confirms_it_on_any_platform() {
    let mut h = Harness::new();
    h.dm("mod", "deck new mine");
    let line = format!("deck add mine self-reflection emotions light {WORDS}? What would you tell a friend who said that?");
    h.dm("mod", &line);
    assert!(!h.state.decks.values().flat_map(|d| &d.cards).any(|c| c.text.contains(WORDS)), "held the first time");
    let out = h.dm("mod", &line);
    assert!(h.private(&out, "mod").join("\n").contains("mine-01"), "the same command again is the confirmation");
    assert!(h.state.decks.values().flat_map(|d| &d.cards).any(|c| c.text.contains(WORDS)));
}

/// Item 5: an edited message is read like a new one for care, and never counts
/// as speaking during someone else's turn.
#[test]
fn an_edit_is_read_for_care_and_never_counts_as_speaking() {
    use attune::core::input::Input;
    let mut h = Harness::started(&["alice", "bob", "carol"]);
    assert_eq!(h.speaker().as_deref(), Some("alice"));
    let out = h.input(Input::Edited { actor: actor("bob"), place: here(), text: "honestly i just want to die".into() });
    assert!(crisis_card_to(&out, "bob"), "the card: {:?}", h.texts(&out));
    assert!(!private_ids(&out, "bob").contains(&"floor-nudge"), "no floor note for an edit");
    let out = h.input(Input::Edited { actor: actor("carol"), place: here(), text: "fixed a typo, sorry".into() });
    assert!(out.is_empty(), "an ordinary edit brings nothing: {:?}", h.texts(&out));
    assert!(!snapshot(&h.state).contains("typo"), "and nothing of it is kept");
}
