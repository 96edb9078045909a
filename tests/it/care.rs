//! Issue 8 ("Care"): who gets the crisis card and what it says, the
//! resources card on request, transparency about checks, and the host's
//! private care line.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use attune::core::circle::Phase;
use attune::core::effect::{Effect, Kind};

use crate::support::*;

const DEFAULT_CARD: &str = include_str!("../../config/resources.toml");

#[test]
fn the_default_card_names_real_current_help_and_when_it_was_checked() {
    let h = Harness::new();
    let card = &h.state.community.resources;
    for line in [
        "findahelpline.com",
        "call or text 988",
        "call or text 9-8-8",
        "Samaritans, call 116 123",
        "Lifeline, call 13 11 14",
        "112",
        "911",
        "999",
    ] {
        assert!(card.contains(line), "the default card names {line}:\n{card}");
    }
    assert!(card.contains("not a crisis service"), "the card says attune is not a crisis service");
    assert!(DEFAULT_CARD.contains("Checked on 2026-11-29"), "the file records the date the numbers were checked");
    assert!(DEFAULT_CARD.contains("NOT confirmed"), "what could not be confirmed is said, not invented");
}

#[test]
fn any_member_can_ask_for_the_resources_card_privately_at_any_time() {
    let mut h = Harness::new();
    for out in [h.cmd("bob", "resources"), h.dm("carol", "resources")] {
        assert!(said(&out).is_empty(), "nothing about it is public");
        assert_eq!(out.len(), 1);
        let Effect::Whisper { message, .. } = &out[0] else { panic!("a private reply") };
        assert_eq!(message.kind, Kind::Crisis);
        assert!(h.render(message).contains("116 123"), "the card itself is sent");
    }
    assert!(h.state.members.is_empty(), "asking for help leaves no stored record");
}

#[test]
fn help_support_and_crisis_off_say_that_resources_are_always_there() {
    let mut h = Harness::new();
    let help = {
        let o = h.dm("bob", "help");
        h.private(&o, "bob")
    }
    .join("\n");
    assert!(help.contains("/resources"), "help names /resources:\n{help}");
    assert!(help.contains("/crisis on|off"), "help lists crisis on|off:\n{help}");
    let support = {
        let o = h.dm("bob", "support");
        h.private(&o, "bob")
    }
    .join("\n");
    assert!(support.contains("/resources"), "support names /resources:\n{support}");
    let off = {
        let o = h.dm("bob", "crisis off");
        h.private(&o, "bob")
    }
    .join("\n");
    assert!(off.contains("/resources"), "the crisis-off confirmation names /resources:\n{off}");
}

#[test]
fn moderators_see_which_card_is_in_use_and_how_to_set_their_own() {
    let mut h = Harness::new();
    let shown = {
        let o = h.dm("mod", "settings show");
        h.private(&o, "mod")
    }
    .join("\n");
    assert!(shown.contains("the default card") && shown.contains("/resources set TEXT"), "{shown}");
    h.dm("mod", "resources set Call our warmline on 555 0100, any evening.");
    let shown = {
        let o = h.dm("mod", "settings show");
        h.private(&o, "mod")
    }
    .join("\n");
    assert!(shown.contains("your community's own card"), "{shown}");
}

#[test]
fn the_crisis_card_follows_safe_messaging_guidance() {
    let mut h = Harness::new();
    let text = {
        let o = h.chat("bob", "i keep thinking about killing myself");
        h.private(&o, "bob")
    }
    .join("\n");
    assert!(text.contains("suicide"), "says suicide plainly:\n{text}");
    assert!(text.contains("many people get through times like this"), "offers hope:\n{text}");
    assert!(text.contains("may not fit you"), "framed as offered to anyone, maybe not applying:\n{text}");
    for watched in ["noticed", "detected", "flagged", "your message"] {
        assert!(!text.to_lowercase().contains(watched), "no surveillance tone ({watched}):\n{text}");
    }
}

#[test]
fn a_second_match_gets_one_short_line_and_never_the_card_again() {
    let mut h = Harness::new();
    assert_eq!(whispered(&h.chat("bob", "i want to die"), "bob")[0].kind, Kind::Crisis);
    h.advance(600);
    let out = h.chat_private("bob", "honestly i still want to die");
    assert_eq!(private_ids(&out, "bob"), ["crisis-again"], "never silence, never the whole card");
    let line = h.private(&out, "bob").join("");
    assert!(line.contains("/support") && line.contains("/resources"), "{line}");
    assert!(h.chat("bob", "kms").is_empty(), "then quiet until the period ends");
}

#[test]
fn members_learn_about_checks_once_before_their_first_circle_or_private_tool() {
    let mut h = Harness::new();
    let first = h.dm("bob", "reflect");
    assert_eq!(private_ids(&first, "bob")[0], "checks-notice", "the note comes before the first private tool");
    let note = h.private(&first, "bob")[0].clone();
    for part in ["suicide", "in memory", "nothing you write is stored", "/crisis off"] {
        assert!(note.contains(part), "the note says {part}:\n{note}");
    }
    assert!(!private_ids(&h.dm("bob", "practice"), "bob").contains(&"checks-notice"), "only once");
    h.cmd("alice", "circle open");
    let join = h.cmd("carol", "circle join");
    assert_eq!(private_ids(&join, "carol")[0], "checks-notice", "and before a first circle");
    let again = h.dm("carol", "daily 19:00");
    assert!(!private_ids(&again, "carol").contains(&"checks-notice"), "only once");
}

#[test]
fn hosts_hear_once_per_circle_that_a_speaker_may_need_care_with_no_name_or_content() {
    let mut h = Harness::started(&["alice", "bob", "carol"]);
    h.done_until(Phase::Sharing);
    while h.speaker().as_deref() == Some("alice") {
        h.cmd("alice", "done");
    }
    let speaker = h.speaker().expect("someone has the floor");
    let listener = ["alice", "bob", "carol"].into_iter().find(|n| *n != speaker && *n != "alice").unwrap();
    let out = h.chat(listener, "i want to kill myself");
    assert!(!private_ids(&out, "alice").contains(&"care-host"), "only a speaker's words reach the host");
    let out = h.chat(&speaker, "some days I want to end my life");
    let to_host = h.private(&out, "alice");
    assert_eq!(private_ids(&out, "alice"), ["care-host"], "the host gets one private line");
    let line = &to_host[0];
    assert!(line.contains("may need care") && line.contains("pause") && line.contains("/resources"), "{line}");
    assert!(!line.contains(speaker.as_str()) && !line.contains("end my life"), "no name, no content: {line}");
    assert!(said(&out).is_empty(), "nothing is public");
    assert!(!out.iter().any(|e| matches!(e, Effect::OpenSupport { .. })), "moderators are paged only on support");
    let out = h.chat(&speaker, "i want to die");
    assert!(!private_ids(&out, "alice").contains(&"care-host"), "once per circle per member");
}

#[test]
fn listeners_guides_say_care_comes_before_the_format() {
    let mut h = Harness::started(&["alice", "bob", "carol"]);
    h.done_until(Phase::Sharing);
    let speaker = h.speaker().unwrap();
    let out = h.cmd(&speaker, "mode reflections");
    let listener = ["alice", "bob", "carol"].into_iter().find(|n| *n != speaker).unwrap();
    assert!(private_ids(&out, listener).contains(&"guide-care"), "{:?}", h.texts(&out));
}

#[test]
fn doctor_says_only_english_is_checked_and_warns_about_the_default_card() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("care.db");
    let fed = crate::transcript::feed(&mut crate::transcript::console(dir.path(), &db), "mod: /help\n");
    assert!(fed.status.success());
    let out = crate::cli::attune(dir.path()).args(["doctor", "--db"]).arg(&db).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{text}");
    assert!(text.contains("locales: en") && text.contains("messages in other languages are not checked"), "{text}");
    assert!(text.contains("uses the default crisis resources card") && text.contains("/resources set TEXT"), "{text}");
}

#[test]
fn a_bad_rule_in_a_rules_folder_stops_doctor_with_its_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("safety");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(rules.join("en.toml"), include_str!("../../config/safety/en.toml")).unwrap();
    std::fs::write(rules.join("xx.toml"), "locale = \"xx\"\nsignal = [\n  \"ok\",\n  \"Bad Rule\",\n]\n").unwrap();
    let out = crate::cli::attune(dir.path()).env("ATTUNE_CONTENT_PHRASES", &rules).args(["doctor", "--db", "d.db"]).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("xx.toml") && text.contains("line 4"), "the file and line of the bad rule: {text}");
    std::fs::write(rules.join("xx.toml"), "locale = \"xx\"\nsignal = [\"tod\"]\n").unwrap();
    let out = crate::cli::attune(dir.path()).env("ATTUNE_CONTENT_PHRASES", &rules).args(["doctor", "--db", "d.db"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(text.contains("locales: en, xx"), "a second locale is loaded from its own file: {text}");
}

#[test]
fn a_community_on_the_default_card_follows_the_current_default_and_keeps_its_own() {
    use attune::core::ids::CommunityId;
    use attune::core::state::Community;
    let current = Harness::new().state.community.resources.clone();
    let former = "attune is a peer-support bot, not a crisis service, and the people here are peers, not professionals.\n\nIf you are in danger, or you think you might act on thoughts of harming yourself, please contact your local emergency number now, or a crisis line in your country.\n\nYou can also ask to talk to a moderator. You don't have to carry this alone.";
    let mut old = Community::new(CommunityId::parse(attune::core::ids::Platform::Console, "a").unwrap(), former.into());
    assert!(old.follow_default_card(&current));
    assert_eq!(old.resources, current, "a community on the former default now names real helplines");
    assert!(!old.resources_custom);
    let mut own = Community::new(CommunityId::parse(attune::core::ids::Platform::Console, "b").unwrap(), "Call our warmline.".into());
    assert!(own.follow_default_card(&current));
    assert_eq!((own.resources.as_str(), own.resources_custom), ("Call our warmline.", true), "a community's own card is never replaced");
    assert!(!own.follow_default_card(&current), "and nothing changes the second time");
}

#[test]
fn words_typed_into_a_command_are_read_for_crisis_and_a_title_is_never_posted_with_them() {
    let mut h = Harness::new();
    let out = h.cmd("cara", "circle open i want to kill myself tonight");
    assert!(
        whispered(&out, "cara").iter().any(|m| m.kind == attune::core::effect::Kind::Crisis),
        "cara gets the card: {:?}",
        h.texts(&out)
    );
    assert!(said(&out).is_empty(), "nothing is posted publicly: {:?}", h.public(&out));
    assert!(h.state.circles.is_empty(), "no circle was opened with that title");
    assert!(has(&refusals(&out), "refusal-title-private"));
    let out = h.dm("dan", "practice i want to die");
    assert!(whispered(&out, "dan").iter().any(|m| m.kind == attune::core::effect::Kind::Crisis), "{:?}", h.texts(&out));
    let out = h.cmd("erin", "circle open Sunday listening circle");
    assert!(!said(&out).is_empty(), "an ordinary title opens the circle");
}
