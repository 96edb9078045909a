use super::*;

const EN: &str = include_str!("../../../config/safety/en.toml");

fn en() -> Rules {
    Rules::new(vec![RuleSet::parse(EN).unwrap()])
}

fn small(signal: &str, except: &str) -> RuleSet {
    RuleSet::parse(&format!("locale = \"en\"\nsignal = [{signal}]\nexcept = [{except}]\n[fold]\n\"1\" = \"i\"\n\"!\" = \"i\"\n")).unwrap()
}

#[test]
fn the_misses_named_in_issue_8_are_found() {
    let r = en();
    for m in [
        "kms",
        "thinking about how to unalive",
        "been unaliving in my head all week",
        "I keep self-harming",
        "I want to hang myself",
        "I wish I could sleep and never wake up",
        "I'm tired of living",
        "I don't want to be here anymore",
        "I'll take all my pills",
        "su1cide",
    ] {
        assert!(r.matches(m), "should signpost: {m}");
    }
}

#[test]
fn the_false_alarms_named_in_issue_8_are_spared() {
    let r = en();
    for m in [
        "my brother died by suicide",
        "I volunteer for suicide prevention",
        "I don't want to die without seeing Japan",
        "I cut myself a slice of cake",
        "my phone is about to die",
    ] {
        assert!(!r.matches(m), "should not signpost: {m}");
    }
}

#[test]
fn an_exception_only_excuses_the_words_it_overlaps() {
    let r = en();
    assert!(r.matches("my brother died by suicide and now I want to die too"), "a second, unexcused phrase still counts");
}

#[test]
fn word_forms_join_and_split_variants_and_look_alikes_match() {
    let s = small("\"self harm*\", \"kill* myself\"", "");
    for m in [
        "self harm",
        "self-harming",
        "selfharmed",
        "kill my self",
        "KILLING   myself",
        "k!ll myself",
        "ｋｉｌｌ myself",
        "kill\u{200B} myself",
    ] {
        assert!(s.matches(m), "should match: {m}");
    }
    assert!(!s.matches("the skill myselfie"), "parts of words don't match");
}

#[test]
fn look_alikes_are_read_only_inside_mostly_letter_words() {
    let s = small("\"kms\"", "");
    assert_eq!(s.words("help! 100kms b4 su1c1de"), ["help", "100kms", "b4", "suicide"]);
    assert!(!s.matches("we drove 100kms"));
}

#[test]
fn gaps_optional_words_and_numbers_work() {
    let s = small("\"wish ~2 dead\", \"end* my own? life\"", "\"# kms\"");
    assert!(s.matches("i wish i was dead"));
    assert!(!s.matches("i wish that we all were so dead"), "a gap skips at most its width");
    assert!(s.matches("ending my life") && s.matches("end my own life"));
    let k = small("\"kms\"", "\"# kms\"");
    assert!(k.matches("ugh kms") && !k.matches("it's 5 kms away"));
}

#[test]
fn a_bad_rule_is_rejected_with_its_line() {
    let src = "locale = \"en\"\nsignal = [\n  \"want to die\",\n  \"Kill myself\",\n]\n";
    let e = RuleSet::parse(src).unwrap_err();
    assert_eq!(e.line, Some(4), "the bad rule's own line: {e}");
    assert!(e.to_string().starts_with("line 4: "), "{e}");
    for (bad, line) in [("~ die", 2), ("die ~9 now", 2), ("want? to?", 2), ("a,b", 2)] {
        let e = RuleSet::parse(&format!("locale = \"en\"\nsignal = [\"{bad}\"]\n")).unwrap_err();
        assert_eq!(e.line, Some(line), "{bad}: {e}");
    }
    let e = RuleSet::parse("locale = \"en\"\nsignal = [\"x\"]\nsurprise = 1\n").unwrap_err();
    assert_eq!(e.line, Some(3), "unknown keys are named too: {e}");
}

#[test]
fn accents_overdoses_relapses_and_tonight_are_heard_and_everyday_words_are_not() {
    let r = en();
    for yes in [
        "i want to kíll myself",
        "thinking about suícide",
        "i overdosed last night",
        "i've been cutting again",
        "i'm going to end it tonight",
    ] {
        assert!(r.matches(yes), "{yes}");
    }
    for no in [
        "i overdosed on caffeine again",
        "cutting again my hair tonight",
        "going to end it with him tonight",
        "I'm cutting back on sugar again",
    ] {
        assert!(!r.matches(no), "{no}");
    }
}

#[test]
fn crisis_words_are_found_whatever_the_member_chose_and_only_in_the_checked_start() {
    let r = en();
    assert!(crisis_words(&r, "please, I want to kill myself"), "the same rules as chat");
    assert!(!crisis_words(&r, "Europe/Lisbon"), "ordinary words are not held");
    let late = format!("{} I want to kill myself", "calm ".repeat(MAX_CHECKED_CHARS));
    assert!(!crisis_words(&r, &late), "work stays bounded: only the first {MAX_CHECKED_CHARS} characters are read");
}

#[test]
fn a_sign_is_named_and_danger_under_way_is_told_apart() {
    let r = en();
    let f = r.assess("i wrote a note for my parents and left it on the table").unwrap();
    assert_eq!((f.sign.as_str(), f.imminent), ("farewell", false));
    let f = r.assess("took the whole bottle an hour ago").unwrap();
    assert!(f.imminent, "{f:?}");
    assert!(r.assess("i love my new bottle of hot sauce").is_none());
}

#[test]
fn a_context_excuses_its_own_sentence_only() {
    let r = en();
    assert!(!r.matches("in the film the hero wants to end it all"), "fiction, in one sentence");
    assert!(r.matches("in the film the hero wants to end it all. and honestly i want to end it all too"), "the next sentence still counts");
    assert!(r.matches("i want to kill myself, not a joke"), "an exception cancels a context it overlaps");
}

#[test]
fn the_emergency_line_is_taken_from_the_resources_card() {
    let card = "Peers, not professionals.\nIf you are in danger, call your local emergency number: 112.\nHelplines: 116 123.";
    assert_eq!(emergency_line(card), Some("If you are in danger, call your local emergency number: 112."));
    assert_eq!(emergency_line("Helplines: 116 123."), None);
    let msg = imminent_card(card);
    assert_eq!(msg.lines[0].id, "crisis-now-emergency", "the card leads with the emergency number");
    assert_eq!(msg.lines.len(), 2, "and stays short");
}
