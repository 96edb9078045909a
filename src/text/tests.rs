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
