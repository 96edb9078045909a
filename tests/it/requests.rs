//! Requests that used to go nowhere (issue 9): help with extra words, and
//! typos that created things silently.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use attune::core::effect::Effect;

use crate::support::*;

#[test]
fn support_with_extra_words_still_reaches_a_moderator_and_the_words_go_nowhere() {
    let mut h = Harness::new();
    let out = h.dm("bob", "support please help SENTINEL-WORDS");
    assert!(refusals(&out).is_empty(), "asking for help is never refused for its shape: {:?}", h.texts(&out));
    assert!(out.iter().any(|e| matches!(e, Effect::OpenSupport { .. })), "the moderators are reached");
    let everything = format!("{out:?}{}", snapshot(&h.state));
    assert!(!everything.contains("SENTINEL"), "the extra words are neither forwarded nor stored");
}

#[test]
fn a_typo_never_creates_a_template_or_a_deck() {
    let mut h = Harness::new();
    let before = snapshot(&h.state);
    let out = h.dm("mod", "template set nope turn 3m");
    assert!(has(&refusals(&out), "refusal-no-such-template"), "{:?}", h.texts(&out));
    assert!(h.texts(&out)[0].contains("standard, short"), "the refusal names the templates that exist: {:?}", h.texts(&out));
    let out = h.dm("mod", "deck add nodeck check-in body light How is your body today?");
    assert!(has(&refusals(&out), "refusal-no-such-deck"), "{:?}", h.texts(&out));
    assert_same(&snapshot(&h.state), &before, "nothing was created");
    h.dm("mod", "template new nope");
    let out = h.dm("mod", "template set nope turn 3m");
    assert!(refusals(&out).is_empty(), "creating takes its own word: {:?}", h.texts(&out));
    h.dm("mod", "deck new nodeck Evening cards");
    let out = h.dm("mod", "deck add nodeck check-in body light How is your body today?");
    assert!(refusals(&out).is_empty(), "{:?}", h.texts(&out));
}

#[test]
fn importing_into_a_mistyped_community_creates_nothing_without_create() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    let deck = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/decks/check-in.toml");
    let import = |extra: &[&str]| {
        crate::cli::attune(dir.path()).args(["deck", "import"]).arg(&deck).arg("--db").arg(&db).args(extra).output().unwrap()
    };
    let out = import(&["--community", "typo"]);
    assert!(!out.status.success());
    assert!(!db.exists(), "no database is created by a refused import");
    let out = import(&["--community", "console", "--create"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = import(&["--community", "consloe"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("these exist: console"), "a typo is refused, naming what exists: {err}");
    let out =
        crate::cli::attune(dir.path()).args(["deck", "export", "check-in", "--community", "consloe", "--db"]).arg(&db).output().unwrap();
    assert!(!out.status.success(), "and no community called consloe was made");
}

#[test]
fn removing_a_whole_deck_takes_a_second_word_and_a_card_does_not() {
    let mut h = Harness::new();
    let before = h.state.decks.len();
    let out = h.dm("mod", "deck remove sharing");
    assert!(has(&whispered(&out, "mod"), "deck-remove-ask"), "{:?}", h.texts(&out));
    assert_eq!(h.state.decks.len(), before, "nothing is removed yet");
    let out = h.dm("mod", "deck remove sharing confirm");
    assert!(refusals(&out).is_empty(), "{:?}", h.texts(&out));
    assert_eq!(h.state.decks.len(), before - 1);
    let out = h.dm("mod", "deck remove check-in-02");
    assert!(has(&whispered(&out, "mod"), "removed-item"), "a single card goes at once: {:?}", h.texts(&out));
}
