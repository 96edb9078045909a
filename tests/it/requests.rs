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
