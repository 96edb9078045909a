//! Issue 17, second round: the learned reader beside the crisis rules. It
//! finds ways of saying it no rule holds, outweighs a sign the rules found in
//! what is plainly something else, reads what members write as messages (chat,
//! suggestions) and never content or a command's options, which the rules
//! alone read.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use attune::core::effect::{Effect, Kind};
use attune::core::safety;

use crate::support::*;

/// Said without any word a rule holds: means gathered, counted.
const MEANS: &str = "i've been counting the pills in the cabinet, there are enough now";
/// A manga's plot, which a rule for means matches.
const PLOT: &str = "the manga chapter where he jumps off the school roof wrecked me, the art tho";

fn card_to(out: &[Effect], name: &str) -> bool {
    out.iter().any(|e| matches!(e, Effect::Whisper { to, message } if *to == member(name) && message.kind == Kind::Crisis))
}

#[test]
fn a_message_no_rule_matches_is_read_as_at_risk_by_the_model_and_brings_the_card() {
    let mut h = Harness::new();
    let rules = h.state.rules.clone();
    assert_eq!(rules.without_models().assess(MEANS), None, "no rule matches it");
    assert_eq!(safety::finding(&rules, MEANS).map(|f| (f.sign, f.imminent)), Some(("learned".to_owned(), false)));
    let out = h.chat("bob", MEANS);
    assert!(card_to(&out, "bob"), "the member gets the card: {:?}", h.texts(&out));
    assert!(!snapshot(&h.state).contains("cabinet"), "nothing of it is stored");
}

#[test]
fn a_sign_the_rules_found_in_a_plot_is_outweighed_but_a_plain_statement_always_stands() {
    let mut h = Harness::new();
    let rules = h.state.rules.clone();
    assert!(rules.without_models().assess(PLOT).is_some_and(|f| f.sign == "means"), "the rules alone read the plot as means");
    assert!(!card_to(&h.chat("bob", PLOT), "bob"), "with the model, a manga's plot brings no card");
    // Said outright, whatever else the message says: the model never outweighs it
    // (it once read "i feel so lonely" and "died" as reasons to stay quiet).
    for (who, said) in [
        ("carol", "I want to die"),
        ("dana", "some days I want to die"),
        ("erin", "i want to kill myself"),
        ("fay", "i want to die. i feel so lonely"),
        ("gus", "my mom died and now i want to die too"),
        ("hal", "that film about a man who wants to die had the best soundtrack, i want to die too"),
    ] {
        assert!(card_to(&h.chat(who, said), who), "{said}");
    }
    // A [now] sign always stands, whatever the model reads.
    let now = "i already took all the pills";
    assert!(safety::finding(&rules, now).is_some_and(|f| f.imminent), "{now}");
}

#[test]
fn a_suggestion_the_model_or_the_rules_read_as_at_risk_is_held() {
    let mut h = Harness::new();
    let out = h.dm("bob", &format!("suggest {MEANS}"));
    assert!(card_to(&out, "bob"));
    assert!(h.state.community.suggestions.is_empty(), "not kept for others to see");
    // Crisis words the model would let pass (a card about grief) are still held.
    let words = "Share a story about grief and a time you wanted to die";
    h.dm("carol", &format!("suggest {words}"));
    assert!(h.state.community.suggestions.is_empty(), "crisis words are never content");
}

/// A sign a moderator added to the rules is one the model never learned: it always stands.
#[test]
fn a_sign_the_model_never_learned_always_stands() {
    let rules = attune::config::Config::default().content().unwrap().phrases;
    let model = rules.sets()[0].model().unwrap();
    assert!(model.decides(0.0, &["a-sign-a-moderator-added".to_owned()]));
    assert!(!model.decides(0.0, &["means".to_owned()]), "a learned sign can be outweighed");
}

#[test]
fn content_and_command_options_are_read_by_the_rules_alone() {
    let mut h = Harness::new();
    // A card about such feelings, in words the model was trained to read in messages:
    // the rules find nothing, so it is added without waiting for a confirm.
    let card = "Share about a time you felt you were a burden to the people around you.";
    assert!(!safety::crisis_words(&h.state.rules, card));
    h.dm("mod", "deck new ours");
    let out = h.dm("mod", &format!("deck add ours self-reflection relationships light {card}"));
    assert!(refusals(&out).is_empty() && !h.private(&out, "mod").join("\n").contains("send the same again"), "{:?}", h.texts(&out));
    // A few words typed as a command's option are not a message: "x" is not read by the model.
    let out = h.dm("mod", "deck add x");
    assert!(!out.iter().any(|e| matches!(e, Effect::Whisper { message, .. } if message.kind == Kind::Crisis)));
    assert_eq!(safety::command_finding(&h.state.rules, MEANS), None, "options are read by the rules alone");
}

/// A rules folder may hold a model beside each rules file; a damaged one stops
/// loading with its file and line, and a locale without one (other than
/// English) reads with its rules alone.
#[test]
fn a_model_beside_a_rules_file_is_that_locales_and_a_damaged_one_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let en = attune::content::DEFAULT_PHRASES;
    std::fs::write(dir.path().join("en.toml"), en).unwrap();
    let de = "locale = \"de\"\n[signs]\nplain = [\"ich will sterben\"]\n";
    std::fs::write(dir.path().join("de.toml"), de).unwrap();
    let load = || {
        attune::content::load(&attune::config::Content { decks_dir: None, resources: None, phrases: Some(dir.path().to_owned()) }, "UTC")
    };
    let rules = load().expect("loads").phrases;
    let models: Vec<_> = rules.sets().iter().map(|s| (s.locale().to_owned(), s.model().is_some())).collect();
    assert_eq!(models, vec![("de".to_owned(), false), ("en".to_owned(), true)], "English reads with the built-in model");

    std::fs::write(dir.path().join("de.model"), "bias 0\nthreshold 0.5\nveto 0.2\n2.0\tw:sterben\n").unwrap();
    let rules = load().expect("loads").phrases;
    assert!(rules.sets().iter().any(|s| s.locale() == "de" && s.model().is_some()), "de.model is de's");

    std::fs::write(dir.path().join("de.model"), "bias 0\nthreshold 0.5\n2.0 w:sterben\n").unwrap();
    let err = load().unwrap_err().to_string();
    assert!(err.contains("de.model") && err.contains("line 3"), "{err}");
}
