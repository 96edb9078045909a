//! Issue 17, item 3: danger under way. A message that says the act is under
//! way gets a short card that leads with the emergency number, whatever the
//! signpost period, at most once per few minutes; the hosts of a circle the
//! member sits in hear at once that a member may need care, and nothing more.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use attune::core::effect::{Effect, Kind, Message};
use attune::core::safety::IMMINENT_EVERY_SECS;

use crate::support::*;

const NOW: &str = "i just took all my pills, about twenty minutes ago";

fn crisis_cards<'a>(out: &'a [Effect], name: &str) -> Vec<&'a Message> {
    out.iter()
        .filter_map(|e| match e {
            Effect::Whisper { to, message } if *to == member(name) && message.kind == Kind::Crisis => Some(message),
            _ => None,
        })
        .collect()
}

#[test]
fn danger_under_way_gets_a_short_card_that_leads_with_the_emergency_number() {
    let mut h = Harness::new();
    let out = h.chat_private("bob", NOW);
    let cards = crisis_cards(&out, "bob");
    assert_eq!(cards.len(), 1, "one card");
    let text = h.render(cards[0]);
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or_default();
    assert!(first.contains("emergency number") && first.contains("112"), "the card leads with the emergency number:\n{text}");
    assert!(!text.contains("Samaritans"), "it stays short: the helplines are one command away:\n{text}");
    assert!(text.contains("/resources") && text.contains("/support"), "and says where more help is:\n{text}");
    assert!(text.chars().count() < 600, "short: {} characters", text.chars().count());
    assert!(said(&out).is_empty(), "nothing is public");
}

#[test]
fn the_imminent_card_comes_even_inside_the_signpost_period_but_not_in_a_stream() {
    let mut h = Harness::new();
    let first = h.chat_private("bob", "i want to kill myself");
    assert_eq!(crisis_cards(&first, "bob").len(), 1, "the resources card starts the period");
    h.advance(60);
    let now = h.chat_private("bob", NOW);
    let cards = crisis_cards(&now, "bob");
    assert_eq!(cards.len(), 1, "danger under way is not held back by the period");
    assert!(h.render(cards[0]).contains("112"));
    h.advance(60);
    let again = h.chat_private("bob", "the pills are kicking in now");
    assert!(crisis_cards(&again, "bob").is_empty(), "not another card within {IMMINENT_EVERY_SECS} s");
    h.advance(IMMINENT_EVERY_SECS);
    let later = h.chat_private("bob", "the pills are kicking in now");
    assert_eq!(crisis_cards(&later, "bob").len(), 1, "after a few minutes it comes again");
}

#[test]
fn the_hosts_of_a_circle_the_member_sits_in_hear_at_once_and_learn_nothing_else() {
    let mut h = Harness::new();
    h.start("", &["alice", "bob", "carol"]);
    let out = h.chat_private("bob", NOW);
    let to_alice = h.private(&out, "alice").join("\n");
    assert!(to_alice.contains("may need care right now"), "the host hears at once, though bob isn't speaking:\n{to_alice}");
    assert!(!to_alice.contains("bob") && !to_alice.contains("pills"), "no name, no words:\n{to_alice}");
    assert!(h.private(&out, "carol").is_empty(), "other members hear nothing");
    assert!(said(&out).is_empty(), "nothing is public");
}

#[test]
fn a_community_card_without_an_emergency_line_still_leads_with_the_number() {
    let mut h = Harness::new();
    h.state.community.resources = "Our moderators: ask with /support. Samaritans: 116 123.".into();
    let out = h.chat_private("bob", "standing on the ledge right now");
    let text = h.render(crisis_cards(&out, "bob")[0]);
    assert!(text.starts_with("If you are in immediate danger") && text.contains("911"), "{text}");
}

#[test]
fn a_member_who_turned_checks_off_is_not_checked_for_danger_either() {
    let mut h = Harness::new();
    h.dm("bob", "crisis off");
    let out = h.chat_private("bob", NOW);
    assert!(crisis_cards(&out, "bob").is_empty(), "their choice holds");
}
