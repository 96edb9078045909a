use super::*;

#[test]
fn the_catalogue_parses() {
    Catalogue::english().unwrap();
}

#[test]
fn every_id_the_core_uses_is_in_the_catalogue() {
    let cat = Catalogue::english().unwrap();
    let mut missing = Vec::new();
    for file in walk("src") {
        let src = std::fs::read_to_string(&file).unwrap();
        for id in ids_in(&src) {
            if !cat.has(&id) {
                missing.push(format!("{id} (used in {file})"));
            }
        }
    }
    assert!(missing.is_empty(), "every message id the code uses must be in the catalogue: {missing:?}");
}

/// String literals that look like message ids next to `Line::new(` or in id-returning matches.
fn ids_in(src: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in src.match_indices("Line::new(") {
        let rest = &src[i + 10..];
        if let Some(lit) = rest.strip_prefix('"') {
            if let Some(end) = lit.find('"') {
                out.push(lit[..end].to_owned());
            }
        } else if let Some(line_end) = rest.find(')') {
            // `Line::new(if on { "enabled" } else { "disabled" })` and similar.
            let expr = &rest[..line_end];
            out.extend(expr.split('"').skip(1).step_by(2).map(str::to_owned));
        }
    }
    for prefix in ["\"turn-", "\"mode-", "\"guide-", "\"order-", "\"reflect-window", "\"recovered", "\"resumed-"] {
        for (i, _) in src.match_indices(prefix) {
            let lit = &src[i + 1..];
            if let Some(end) = lit.find('"') {
                out.push(lit[..end].to_owned());
            }
        }
    }
    out
}

fn walk(dir: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.ends_with("text") {
            // The renderer and these tests name ids only as examples.
            continue;
        }
        if p.is_dir() {
            out.extend(walk(p.to_str().unwrap()));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p.to_str().unwrap().to_owned());
        }
    }
    out
}

#[test]
fn every_refusal_renders_to_a_complete_sentence() {
    use crate::core::refusal::Refusal as R;
    let cat = Catalogue::english().unwrap();
    let all = [
        R::BadId,
        R::UnknownCommand { given: "dance".into() },
        R::Usage { command: "circle move", usage: "circle move NAME POSITION" },
        R::TextTooLong { max: 400, given: 401 },
        R::TextInvisible,
        R::TextMention,
        R::NotHost,
        R::TooFewToStart { have: 1, need: 2 },
        R::BadPosition { max: 3 },
        R::DeckFile { detail: "line 3: bad".into() },
        R::BadValue { key: "turn".into(), detail: "a duration".into() },
        R::UnknownField { given: "x".into(), known: "a, b" },
        R::RateLimited,
        R::NoHands,
    ];
    for r in all {
        let text = cat.line(&crate::core::refusal_line(&r));
        assert!(!text.is_empty() && !text.contains('{') && !text.starts_with("refusal-"), "{r:?} must render fully, got {text:?}");
        if !matches!(r, R::Usage { .. }) {
            assert!(text.ends_with('.') || text.ends_with('?'), "{r:?} must read as a sentence, got {text:?}");
        }
    }
}

#[test]
fn user_text_is_placed_without_invisible_characters() {
    let cat = Catalogue::english().unwrap();
    let line = Line::new("turn-prompt").text("prompt", "a\u{202E}b\u{200B}c");
    assert_eq!(cat.line(&line), "Prompt: abc");
}

#[test]
fn durations_read_naturally() {
    assert_eq!(duration_label(45), "45 s");
    assert_eq!(duration_label(300), "5 min");
    assert_eq!(duration_label(270), "4 min 30 s");
    assert_eq!(duration_label(3900), "1 h 5 min");
}

/// Outside text that tries to ping, format, link, inject or reverse.
const HOSTILE: [&str; 12] = [
    "@everyone and @here",
    "<@123456789012345678> <@&42> <#99>",
    "**bold** __under__ ~~strike~~ ||spoiler||",
    "[click](https://evil.example) <https://evil.example>",
    "`code` ```block```",
    "# heading\n> quote\n- list\n1. item",
    "<script>alert('x')</script>",
    "<a href=\"javascript:x\">y</a> &amp; &lt;",
    "\u{202E}reversed\u{202C} and zero\u{200B}width",
    ":smile: <t:1:R> \\*escaped\\*",
    "{ $name } and { -brand } look like Fluent",
    "mixed *all* <b>of</b> @them [x](y)",
];

fn hostile_line(text: &str) -> Line {
    Line::new("passed").text("name", text)
}

#[test]
fn markdown_escaping_leaves_no_formatting_mention_or_link_in_outside_text() {
    let cat = Catalogue::english().unwrap();
    for h in HOSTILE {
        let out = cat.line_as(&hostile_line(h), Markup::Markdown);
        // Every special character in the hostile part is preceded by a backslash.
        let mut prev = ' ';
        for c in out.chars() {
            if "*_~`|<>[]()@#".contains(c) {
                assert_eq!(prev, '\\', "unescaped {c:?} in {out:?} (from {h:?})");
            }
            prev = if prev == '\\' && c == '\\' { ' ' } else { c };
        }
        assert!(!out.contains('\u{202E}') && !out.contains('\u{200B}'), "invisible characters are removed: {out:?}");
    }
}

#[test]
fn html_escaping_leaves_no_tag_entity_or_attribute_in_outside_text() {
    let cat = Catalogue::english().unwrap();
    for h in HOSTILE {
        let out = cat.line_as(&hostile_line(h), Markup::Html);
        assert!(!out.contains('<') && !out.contains('>'), "no tag survives: {out:?} (from {h:?})");
        assert!(!out.contains('"') && !out.contains('\''), "no quote survives: {out:?}");
        for (i, _) in out.match_indices('&') {
            let rest = &out[i..];
            assert!(["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"].iter().any(|e| rest.starts_with(e)), "a bare & in {out:?}");
        }
        assert!(!out.contains('\u{202E}'), "{out:?}");
    }
}

#[test]
fn outside_text_that_looks_like_a_selector_or_placeable_is_only_text() {
    let cat = Catalogue::english().unwrap();
    let line = Line::new("joined").text("name", "{ $count } -> [one]").num("count", 2).num("max", 8);
    for markup in [Markup::Plain, Markup::Markdown, Markup::Html] {
        let out = cat.line_as(&line, markup);
        assert!(out.contains("2 of 8"), "{out:?}");
        assert!(!out.contains("2 } "), "the text was not evaluated: {out:?}");
    }
}

#[test]
fn selectors_still_choose_their_branch_in_every_markup() {
    let cat = Catalogue::english().unwrap();
    let line = Line::new("turn-warning").secs("time", 60).text("extend", "yes");
    for markup in [Markup::Plain, Markup::Markdown, Markup::Html] {
        assert!(cat.line_as(&line, markup).contains("/extend"), "{markup:?}");
    }
}

#[test]
fn people_render_as_a_mention_on_discord_a_pill_on_matrix_and_a_name_in_the_console() {
    use crate::core::ids::{MemberRef, Platform};
    let cat = Catalogue::english().unwrap();
    let d = MemberRef::parse(Platform::Discord, "123456789012345678").unwrap();
    let m = MemberRef::parse(Platform::Matrix, "@ana:example.org").unwrap();
    let c = MemberRef::parse(Platform::Console, "ana").unwrap();
    let line = |who: &MemberRef| Line::new("passed").member("name", who, "Ana <b>*</b>");
    assert_eq!(cat.line_as(&line(&d), Markup::Markdown), cat.line(&Line::new("passed").text("name", "<@123456789012345678>")));
    let pill = cat.line_as(&line(&m), Markup::Html);
    assert!(pill.contains(r#"<a href="https://matrix.to/#/@ana:example.org">Ana &lt;b&gt;*&lt;/b&gt;</a>"#), "{pill}");
    assert_eq!(cat.line_as(&line(&c), Markup::Plain), cat.line(&Line::new("passed").text("name", "Ana <b>*</b>")));
    // A person from another platform is shown by name, escaped like any text.
    let other = cat.line_as(&line(&c), Markup::Markdown);
    assert!(other.contains(r"Ana \<b\>\*\</b\>"), "{other}");
}

#[test]
fn html_escapes_the_catalogues_own_words_too() {
    let cat = Catalogue::from_source("t = Use <this> & { $x }\n").unwrap();
    let out = cat.line_as(&Line::new("t").text("x", "<that>"), Markup::Html);
    assert_eq!(out, "Use &lt;this&gt; &amp; &lt;that&gt;");
}

/// The variables a catalogue message uses (`{ $name }` and selectors), from the source.
fn message_vars(ftl: &str, id: &str) -> Option<std::collections::BTreeSet<String>> {
    let mut lines = ftl.lines().skip_while(|l| !l.starts_with(&format!("{id} =")));
    let first = lines.next()?;
    let body: Vec<&str> = std::iter::once(first).chain(lines.take_while(|l| l.starts_with(' ') || l.is_empty())).collect();
    let text = body.join("\n");
    let mut vars = std::collections::BTreeSet::new();
    for (i, _) in text.match_indices('$') {
        let name: String = text[i + 1..].chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-').collect();
        vars.insert(name);
    }
    Some(vars)
}

#[test]
fn every_refusal_variant_has_a_catalogue_line_with_exactly_the_arguments_it_is_given() {
    // Over every variant: `refusal_line` is an exhaustive match, so its arms are the variants.
    let mapping = std::fs::read_to_string("src/core/mod.rs").unwrap();
    let body = &mapping[mapping.find("pub fn refusal_line").unwrap()..];
    let body = &body[..body.find("\n}\n").unwrap()];
    let enum_src = std::fs::read_to_string("src/core/refusal.rs").unwrap();
    let variants: Vec<String> = enum_src
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#') && !l.starts_with("//") && !l.is_empty())
        .skip_while(|l| !l.starts_with("pub enum Refusal"))
        .skip(1)
        .take_while(|l| *l != "}")
        .filter(|l| l.chars().next().is_some_and(char::is_uppercase))
        .map(|l| l.chars().take_while(|c| c.is_alphanumeric()).collect())
        .collect();
    assert!(variants.len() > 40, "the enum was read: {variants:?}");
    let ftl = ENGLISH;
    let cat = Catalogue::english().unwrap();
    let mut problems = Vec::new();
    for v in &variants {
        // An arm runs from its `R::Variant` to the next arm (rustfmt may wrap it).
        let arms: Vec<String> = body
            .split("\n        R::")
            .filter(|a| a.starts_with(&format!("{v} ")))
            .map(|a| a.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        if arms.is_empty() {
            problems.push(format!("{v}: no arm in refusal_line"));
            continue;
        }
        for arm in &arms {
            let Some(start) = arm.find("Line::new(\"") else {
                problems.push(format!("{v}: arm without a line: {arm}"));
                continue;
            };
            let id: String = arm[start + 11..].chars().take_while(|c| *c != '"').collect();
            if !cat.has(&id) {
                problems.push(format!("{v}: {id} is not in the catalogue"));
                continue;
            }
            let mut given = std::collections::BTreeSet::new();
            for call in [".text(\"", ".num(\"", ".secs(\"", ".place(\""] {
                for (i, _) in arm.match_indices(call) {
                    given.insert(arm[i + call.len()..].chars().take_while(|c| *c != '"').collect::<String>());
                }
            }
            let used = message_vars(ftl, &id).unwrap_or_default();
            if used != given {
                problems.push(format!("{v}: {id} uses {used:?} but is given {given:?}"));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn a_helpline_address_stays_clickable_on_discord_and_what_surrounds_it_is_escaped() {
    let out = markdown_escape_keeping_links("Find a line: https://findahelpline.com/countries. Call 988.");
    assert!(out.contains("https://findahelpline.com/countries."), "{out}");
    assert!(out.contains("Find a line\\:") && out.contains("988\\."), "{out}");
    assert!(markdown_escape("https://x.example").contains("https\\:"), "other outside text never links");
    let sneaky = markdown_escape_keeping_links("https://x.example/<@123>*bold*");
    assert!(sneaky.contains("\\<\\@123\\>") && sneaky.contains("\\*bold\\*"), "{sneaky}");
}

#[test]
fn a_place_is_linked_as_each_platform_links_one_and_never_injects() {
    use crate::core::ids::ChannelId;
    let cat = Catalogue::english().unwrap();
    let line =
        |p: Platform, raw: &str| Line::new("refusal-open-limit-member").num("count", 2).place("place", &ChannelId::parse(p, raw).unwrap());
    assert!(cat.line_as(&line(Platform::Discord, "123456789"), Markup::Markdown).contains("the newest in <#123456789>."));
    let html = cat.line_as(&line(Platform::Matrix, "!abc:example.org"), Markup::Html);
    assert!(html.contains("<a href=\"https://matrix.to/#/%21abc:example.org\">!abc:example.org</a>"), "{html}");
    assert!(cat.line(&line(Platform::Console, "circle")).contains("the newest in #circle."));
    // A Matrix room id can't carry markup into the link or its text.
    let hostile = cat.line_as(&line(Platform::Matrix, "!a\"><script>:x"), Markup::Html);
    assert!(!hostile.contains("<script>") && !hostile.contains("\"><"), "{hostile}");
    // A Discord id that isn't a snowflake is escaped text, not a link.
    let odd = cat.line_as(&line(Platform::Discord, "@everyone"), Markup::Markdown);
    assert!(odd.contains("\\@everyone") && !odd.contains("<#"), "{odd}");
    assert!(cat.line(&line(Platform::Console, "circle")).starts_with("You're hosting 2 circles already"));
    let one = Line::new("refusal-open-limit-channel").num("count", 1).place("place", &ChannelId::parse(Platform::Console, "t").unwrap());
    assert!(cat.line(&one).starts_with("A circle opened from this channel is still open, the newest in #t."), "{}", cat.line(&one));
}
