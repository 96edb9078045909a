use super::*;
use crate::core::rng::SplitMix64;

const GOOD: &str = r#"
[deck]
name = "mine"
title = "Mine"

[[cards]]
id = "mine-01"
kind = "sharing"
theme = "body"
intensity = "light"
text = "What is your body telling you today?"
guide = "Notice where the speaker's attention goes."

[[cards]]
id = "mine-02"
kind = "check-in"
theme = "presence"
intensity = "light"
cw = ["family"]
text = "One word for how you arrive."
"#;

fn err_of(src: &str) -> DeckFileError {
    parse_file(src).expect_err("this file must be rejected")
}

#[test]
fn the_default_decks_parse_and_meet_their_minimums() {
    let decks = default_decks().unwrap();
    let count = |k: Kind| decks.iter().flat_map(|d| &d.cards).filter(|c| c.kind == k).count();
    assert!(count(Kind::Sharing) >= 20, "at least 20 sharing cards ship");
    assert!(count(Kind::CheckIn) >= 10, "at least 10 check-in cards ship");
    assert!(count(Kind::Closing) >= 10, "at least 10 closing cards ship");
    assert!(count(Kind::SelfReflection) >= 30, "at least 30 self-reflection cards ship");
    for theme in Theme::ALL {
        assert!(
            decks.iter().flat_map(|d| &d.cards).any(|c| c.kind == Kind::SelfReflection && c.theme == theme),
            "self-reflection covers {theme:?}"
        );
    }
    assert!(decks.iter().flat_map(|d| &d.practices).count() >= 3, "at least 3 practices ship");
    let mut ids: Vec<_> = decks.iter().flat_map(|d| &d.cards).map(|c| c.id.clone()).collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "card ids are unique across the default decks");
}

#[test]
fn a_deck_survives_export_and_import_unchanged() {
    let deck = parse_file(GOOD).unwrap();
    assert_eq!(parse_file(&to_file(&deck)).unwrap(), deck);
}

#[test]
fn every_deck_file_error_names_its_line_and_problem() {
    let cases: Vec<(String, usize, &str)> = vec![
        ("[deck\nname=1".into(), 1, ""),
        (GOOD.replace("name = \"mine\"", "name = \"Mine Deck\""), 3, "deck name"),
        (GOOD.replace("kind = \"check-in\"", "kind = \"chat\""), 16, "unknown kind"),
        (GOOD.replace("theme = \"body\"", "theme = \"sadness\""), 9, "unknown theme"),
        (GOOD.replace("intensity = \"light\"\ntext = \"What", "intensity = \"huge\"\ntext = \"What"), 10, "unknown intensity"),
        (GOOD.replace("mine-02", "mine-01"), 15, "appears twice"),
        (GOOD.replace("guide = \"Notice where the speaker's attention goes.\"\n", ""), 7, "needs a guide"),
        (GOOD.replace("cw = [\"family\"]", "cw = [\"family\"]\nguide = \"x\""), 20, "only sharing cards"),
        (GOOD.replace("One word for how you arrive.", "hey @everyone"), 20, "mention"),
        (GOOD.replace("One word for how you arrive.", "<script>x</script>"), 20, "markup"),
        (GOOD.replace("One word for how you arrive.", "a\u{202E}b"), 20, "invisible"),
        (GOOD.replace("One word for how you arrive.", ""), 20, "empty"),
        (GOOD.replace("One word for how you arrive.", &"long ".repeat(100)), 20, "too long"),
        (GOOD.replace("intensity = \"light\"\ntext = \"What", "colour = 1\nintensity = \"light\"\ntext = \"What"), 10, "unknown key"),
        (GOOD.replace("cw = [\"family\"]", "cw = [\"Family Stuff\"]"), 15, "content-warning"),
        ("[deck]\nname = \"x\"\ntitle = \"X\"\n".into(), 0, "no [[cards]]"),
    ];
    for (src, line, needle) in cases {
        let e = err_of(&src);
        if line > 0 {
            assert_eq!(e.line, Some(line), "the error {e} must point at line {line}");
        }
        assert!(e.to_string().to_lowercase().contains(&needle.to_lowercase()), "{e} must mention {needle:?}");
    }
}

#[test]
fn drawing_respects_kind_theme_intensity_warnings_and_exclusions() {
    let decks = default_decks().unwrap();
    let mut rng = SplitMix64::new(7);
    let used: Vec<Slug> = Vec::new();
    let cw = vec!["grief".to_owned()];
    let themes = [Theme::Body];
    let f = Filter {
        kind: Some(Kind::SelfReflection),
        themes: &themes,
        max_intensity: Some(Intensity::Medium),
        exclude_cw: &cw,
        exclude_ids: &used,
        no_warnings: false,
        exclude_groups: &[],
        min_intensity: None,
    };
    for _ in 0..50 {
        let c = draw(&decks, &f, &mut rng).unwrap();
        assert_eq!(c.kind, Kind::SelfReflection);
        assert_eq!(c.theme, Theme::Body);
        assert!(c.intensity <= Intensity::Medium);
        assert!(!c.cw.contains(&"grief".to_owned()));
    }
}

#[test]
fn a_disabled_deck_or_card_is_never_drawn() {
    let mut deck = parse_file(GOOD).unwrap();
    let mut rng = SplitMix64::new(1);
    deck.cards[0].enabled = false;
    let f = Filter { kind: Some(Kind::Sharing), ..Filter::default() };
    assert!(draw([&deck], &f, &mut rng).is_none(), "a disabled card is not drawn");
    deck.cards[0].enabled = true;
    deck.enabled = false;
    assert!(draw([&deck], &f, &mut rng).is_none(), "a disabled deck is not drawn");
}

#[test]
fn a_filter_without_warnings_never_draws_a_tagged_card() {
    let decks = default_decks().unwrap();
    let mut rng = SplitMix64::new(3);
    let f = Filter { kind: Some(Kind::SelfReflection), no_warnings: true, ..Filter::default() };
    for _ in 0..200 {
        let c = draw(&decks, &f, &mut rng).unwrap();
        assert!(c.cw.is_empty(), "card {} carries a content warning", c.id);
    }
}

#[test]
fn every_problem_in_a_file_is_reported_with_its_line_and_titles_are_checked() {
    let src = GOOD
        .replace("title = \"Mine\"", "title = \"<b>Mine</b>\"\ndescription = \"Join @everyone at https://x.example\"")
        .replace("One word for how you arrive.", "hey @everyone")
        .replace("guide = \"Notice where the speaker's attention goes.\"\n", "");
    let all = check_file(&src).expect_err("this file must be rejected");
    let text: Vec<String> = all.iter().map(ToString::to_string).collect();
    assert_eq!(all.len(), 4, "every problem is reported, not just the first: {text:?}");
    assert!(all.iter().all(|e| e.line.is_some()), "each with its line: {text:?}");
    assert!(text[0].contains("deck title") && text[0].contains("markup"), "{text:?}");
    assert!(text[1].contains("deck description"), "{text:?}");
    assert!(!text.iter().any(|t| t.contains("text text")), "no doubled words: {text:?}");
}

#[test]
fn wrong_kinds_themes_intensities_and_unknown_keys_are_all_reported_together() {
    let src = r#"
[deck]
name = "x"
title = "X"

[[cards]]
id = "x-01"
kind = "sharing"
theme = "feelings"
intensity = "extreme"
text = "What is here for you?"
colour = "blue"

[[cards]]
id = "x-02"
kind = "chat"
theme = "body"
intensity = "light"
text = "What do you notice?"
"#;
    let problems = super::file::check_file(src).expect_err("the file has problems");
    let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    let all = text.join("\n");
    for want in ["unknown theme", "unknown intensity", "unknown key \"colour\"", "needs a guide", "unknown kind"] {
        assert!(all.contains(want), "missing {want:?} in:\n{all}");
    }
    assert!(problems.iter().all(|p| p.line.is_some()), "each with its line:\n{all}");
}

#[test]
fn a_wrong_value_type_in_one_card_is_reported_with_the_problems_of_the_others() {
    let src = r#"[deck]
name = "x"
title = "X"

[[cards]]
id = "x-01"
kind = "check-in"
theme = "body"
intensity = "light"
cw = "grief"
text = "What do you notice?"

[[cards]]
id = "x-02"
kind = "chat"
theme = "body"
intensity = "light"
text = "What is here?"

[[practices]]
name = "breath"
title = "Breath"
theme = "body"
steps = "breathe in"

[extras]
x = 1
"#;
    let problems = super::file::check_file(src).expect_err("the file has problems");
    let all = problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n");
    assert_eq!(problems.len(), 4, "four problems, each reported:\n{all}");
    assert!(
        all.contains("card 1 of the file: cw must be a list") && problems[0].line == Some(10),
        "the cw list written as a word, at its line:\n{all}"
    );
    assert!(all.contains("practice 1 of the file: steps must be a list"), "{all}");
    assert!(all.contains("unknown table \"extras\""), "{all}");
    assert!(all.contains("practice 1 of the file"), "{all}");
    assert!(all.contains("unknown kind \"chat\""), "the other card is still checked:\n{all}");
    assert!(problems.iter().all(|p| p.line.is_some()), "each with its line:\n{all}");

    let no_deck = "[[cards]]\nid = \"x-01\"\n";
    let problems = super::file::check_file(no_deck).expect_err("no [deck]");
    assert!(problems.iter().any(|p| p.message.contains("needs a [deck] table")), "{problems:?}");
}
