//! The deck file format (`config/decks/*.toml`): parsing, checking every
//! problem with its line, and writing a deck back out.

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::super::ids::Slug;
use super::super::refusal::Refusal;
use super::super::textcheck::{self, TextUse};
use super::{Card, Deck, DeckFileError, Intensity, Kind, Practice, Theme, yes};

/// The file's parts, each read on its own so that one wrong value (a word where
/// a list belongs, say) is reported with the others rather than hiding them.
struct RawFile {
    deck: RawDeck,
    cards: Vec<RawCard>,
    practices: Vec<RawPractice>,
}

/// Reads the file's tables: `[deck]`, then each `[[cards]]` and `[[practices]]`
/// entry separately. A file TOML itself can't read, or without a usable `[deck]`,
/// stops here; a card or practice with a wrong value is reported and left out.
fn read_raw(src: &str, problems: &mut Vec<DeckFileError>) -> Option<RawFile> {
    use serde::de::Deserialize as _;
    use toml::de::{DeTable, DeValue, ValueDeserializer};
    let at = |span: Option<std::ops::Range<usize>>, message: String| DeckFileError { line: span.map(|s| line_of(src, s.start)), message };
    let root = match DeTable::parse(src) {
        Ok(root) => root.into_inner(),
        Err(e) => {
            problems.push(at(e.span(), e.message().trim().to_owned()));
            return None;
        }
    };
    let mut deck = None;
    let mut cards = Vec::new();
    let mut practices = Vec::new();
    let mut deck_missing = true;
    for (key, value) in root {
        let key_span = key.span();
        match key.get_ref().as_ref() {
            "deck" => {
                deck_missing = false;
                match RawDeck::deserialize(ValueDeserializer::from(value)) {
                    Ok(d) => deck = Some(d),
                    Err(e) => problems.push(at(e.span().or(Some(key_span)), format!("[deck]: {}", plain_error(src, &e)))),
                }
            }
            list @ ("cards" | "practices") => {
                let span = value.span();
                let DeValue::Array(items) = value.into_inner() else {
                    problems.push(at(Some(span), format!("{list} must be a list of [[{list}]] tables")));
                    continue;
                };
                for (n, item) in items.into_iter().enumerate() {
                    let item_span = item.span();
                    let what = if list == "cards" { "card" } else { "practice" };
                    let read = if list == "cards" {
                        RawCard::deserialize(ValueDeserializer::from(item)).map(|c| cards.push(c))
                    } else {
                        RawPractice::deserialize(ValueDeserializer::from(item)).map(|p| practices.push(p))
                    };
                    if let Err(e) = read {
                        problems.push(at(e.span().or(Some(item_span)), format!("{what} {} of the file: {}", n + 1, plain_error(src, &e))));
                    }
                }
            }
            other => {
                problems.push(at(Some(key_span), format!("unknown table {:?} (known: deck, cards, practices)", textcheck::preview(other))))
            }
        }
    }
    if deck_missing {
        problems.push(DeckFileError { line: None, message: "the file needs a [deck] table with a name and a title".into() });
    }
    Some(RawFile { deck: deck?, cards, practices })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDeck {
    name: Spanned<String>,
    title: Spanned<String>,
    #[serde(default)]
    description: Option<Spanned<String>>,
    #[serde(default = "yes")]
    enabled: bool,
}

/// A card as written. Kind, theme and intensity are read as text and checked
/// here, and unknown keys are collected rather than refused by serde, so one
/// mistake doesn't hide the others.
#[derive(Deserialize)]
struct RawCard {
    id: Spanned<String>,
    kind: Spanned<String>,
    theme: Spanned<String>,
    intensity: Spanned<String>,
    #[serde(default)]
    cw: Vec<String>,
    text: Spanned<String>,
    #[serde(default)]
    guide: Option<Spanned<String>>,
    #[serde(default)]
    group: Option<String>,
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(flatten)]
    unknown: std::collections::BTreeMap<String, toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPractice {
    name: Spanned<String>,
    title: String,
    theme: Theme,
    steps: Vec<String>,
}

/// A value of the wrong type, said in a moderator's words: which key, and what
/// belongs there ("cw must be a list, like [\"grief\"]"), instead of serde's.
fn plain_error(src: &str, e: &toml::de::Error) -> String {
    let message = e.message().trim();
    let Some(expected) = message.split("expected ").nth(1) else { return message.to_owned() };
    let wanted = match expected.trim() {
        "a sequence" => "a list, like [\"grief\", \"loss\"]",
        "a boolean" => "true or false, without quotes",
        "a string" => "text in quotes",
        e if e.starts_with("i64") || e.starts_with("u64") || e.starts_with("usize") || e.starts_with("an integer") => "a whole number",
        _ => return message.to_owned(),
    };
    // The key is what the line of the value says before its `=`.
    let key = e.span().and_then(|span| {
        let start = src.get(..span.start)?.rfind('\n').map_or(0, |i| i + 1);
        let line = src.get(start..span.start)?;
        let key = line.split('=').next()?.trim();
        (!key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')).then(|| key.to_owned())
    });
    match key {
        Some(key) => format!("{key} must be {wanted}"),
        None => format!("a value must be {wanted}"),
    }
}

fn line_of(src: &str, offset: usize) -> usize {
    src.get(..offset).map_or(1, |s| s.bytes().filter(|b| *b == b'\n').count() + 1)
}

/// What is wrong with a piece of text, as the end of a sentence ("card x: text …").
fn problem(r: &Refusal) -> String {
    match r {
        Refusal::TextEmpty => "is empty".into(),
        Refusal::TextTooLong { max, given } => format!("is too long ({given} characters; at most {max} fit)"),
        Refusal::TextInvisible => "contains invisible or direction-changing characters".into(),
        Refusal::TextOneLine => "is one line, and this has a line break".into(),
        Refusal::TextMention => "contains a mass mention (like @everyone)".into(),
        Refusal::TextMarkup => "contains markup or a platform mention (something inside < >)".into(),
        Refusal::TextLink => "contains a link".into(),
        other => other.to_string(),
    }
}

/// Parses and validates a whole deck file; any problem rejects the whole file.
/// Returns the first problem; [`check_file`] returns them all.
pub fn parse_file(src: &str) -> Result<Deck, DeckFileError> {
    check_file(src).map_err(|mut all| all.swap_remove(0))
}

/// Parses and validates a whole deck file, collecting every problem with its line.
/// A file TOML itself can't read stops at that first problem; a wrong value in one
/// card is reported alongside the problems of every other card.
pub fn check_file(src: &str) -> Result<Deck, Vec<DeckFileError>> {
    let mut problems = Vec::new();
    let Some(raw) = read_raw(src, &mut problems) else { return Err(problems) };
    let mut at =
        |span: std::ops::Range<usize>, message: String| problems.push(DeckFileError { line: Some(line_of(src, span.start)), message });
    let name = Slug::parse(raw.deck.name.get_ref());
    if name.is_err() {
        at(raw.deck.name.span(), "the deck name must use lowercase letters, digits and '-'".into());
    }
    let title = textcheck::check(raw.deck.title.get_ref(), TextUse::Title).unwrap_or_else(|r| {
        at(raw.deck.title.span(), format!("the deck title {}", problem(&r)));
        String::new()
    });
    let description = match &raw.deck.description {
        Some(d) if !d.get_ref().trim().is_empty() => textcheck::check(d.get_ref(), TextUse::Card).unwrap_or_else(|r| {
            at(d.span(), format!("the deck description {}", problem(&r)));
            String::new()
        }),
        _ => String::new(),
    };
    let mut cards: Vec<Card> = Vec::with_capacity(raw.cards.len());
    for c in raw.cards {
        let Ok(id) = Slug::parse(c.id.get_ref()) else {
            at(c.id.span(), format!("card id {:?} must use lowercase letters, digits and '-'", textcheck::preview(c.id.get_ref())));
            continue;
        };
        if cards.iter().any(|k| k.id == id) {
            at(c.id.span(), format!("card id {id} appears twice"));
        }
        for key in c.unknown.keys() {
            // serde can't keep the span of a collected key; find its line after the card's id.
            let from = c.id.span().start;
            let found = src.get(from..).and_then(|rest| rest.find(&format!("\n{key}")).map(|i| from + i + 1));
            at(
                found.map_or(c.id.span(), |i| i..i + 1),
                format!(
                    "card {id}: unknown key {:?} (known: id, kind, theme, intensity, cw, text, guide, group, enabled)",
                    textcheck::preview(key)
                ),
            );
        }
        let known = |what: &str, given: &str, all: &[&str]| {
            format!("card {id}: unknown {what} {:?}; use one of {}", textcheck::preview(given), all.join(", "))
        };
        let kind = Kind::parse(c.kind.get_ref()).unwrap_or_else(|| {
            at(c.kind.span(), known("kind", c.kind.get_ref(), &["check-in", "sharing", "closing", "listener-guide", "self-reflection"]));
            Kind::CheckIn
        });
        let theme = Theme::parse(c.theme.get_ref()).unwrap_or_else(|| {
            let all: Vec<&str> = Theme::ALL.iter().map(|t| t.as_str()).collect();
            at(c.theme.span(), known("theme", c.theme.get_ref(), &all));
            Theme::ALL[0]
        });
        let intensity = Intensity::parse(c.intensity.get_ref()).unwrap_or_else(|| {
            at(c.intensity.span(), known("intensity", c.intensity.get_ref(), &["light", "medium", "deep"]));
            Intensity::Light
        });
        let text = textcheck::check(c.text.get_ref(), TextUse::Card).unwrap_or_else(|r| {
            at(c.text.span(), format!("card {id}: the text {}", problem(&r)));
            String::new()
        });
        let guide = match (kind, c.guide) {
            (Kind::Sharing, None) => {
                at(c.id.span(), format!("card {id} is a sharing card and needs a guide for listeners"));
                None
            }
            (Kind::Sharing, Some(g)) => Some(textcheck::check(g.get_ref(), TextUse::Card).unwrap_or_else(|r| {
                at(g.span(), format!("card {id}: the guide {}", problem(&r)));
                String::new()
            })),
            (_, Some(g)) => {
                at(g.span(), format!("card {id}: only sharing cards have a guide"));
                None
            }
            (_, None) => None,
        };
        let mut cw = Vec::with_capacity(c.cw.len());
        for tag in c.cw {
            match Slug::parse(tag.trim()) {
                Ok(tag) => cw.push(tag.as_str().to_owned()),
                Err(_) => at(c.id.span(), format!("card {id}: content-warning tags use lowercase letters, digits and '-'")),
            }
        }
        let group = match c.group {
            None => None,
            Some(g) => match Slug::parse(g.trim()) {
                Ok(g) => Some(g.as_str().to_owned()),
                Err(_) => {
                    at(c.id.span(), format!("card {id}: a group name uses lowercase letters, digits and '-'"));
                    None
                }
            },
        };
        cards.push(Card { id, kind, theme, intensity, cw, text, guide, group, enabled: c.enabled });
    }
    let mut practices: Vec<Practice> = Vec::with_capacity(raw.practices.len());
    for p in raw.practices {
        let Ok(pname) = Slug::parse(p.name.get_ref()) else {
            at(p.name.span(), "a practice name must use lowercase letters, digits and '-'".into());
            continue;
        };
        if practices.iter().any(|k| k.name == pname) {
            at(p.name.span(), format!("practice {pname} appears twice"));
        }
        if p.steps.is_empty() || p.steps.len() > 12 {
            at(p.name.span(), format!("practice {pname} needs 1 to 12 steps"));
        }
        let mut steps = Vec::with_capacity(p.steps.len());
        for (i, step) in p.steps.iter().enumerate() {
            match textcheck::check(step, TextUse::Card) {
                Ok(s) => steps.push(s),
                Err(r) => at(p.name.span(), format!("practice {pname}: step {} {}", i + 1, problem(&r))),
            }
        }
        let title = textcheck::check(&p.title, TextUse::Title).unwrap_or_else(|r| {
            at(p.name.span(), format!("practice {pname}: the title {}", problem(&r)));
            String::new()
        });
        practices.push(Practice { name: pname, title, theme: p.theme, steps });
    }
    if cards.is_empty() && practices.is_empty() && problems.is_empty() {
        problems.push(DeckFileError { line: None, message: "the file has no [[cards]] and no [[practices]]".into() });
    }
    match name {
        Ok(name) if problems.is_empty() => Ok(Deck { name, title, description, enabled: raw.deck.enabled, cards, practices, own: false }),
        _ => Err(problems),
    }
}

/// Writes a deck in the file format `parse_file` reads.
pub fn to_file(deck: &Deck) -> String {
    #[derive(Serialize)]
    struct OutDeck<'a> {
        name: &'a str,
        title: &'a str,
        description: &'a str,
        enabled: bool,
    }
    #[derive(Serialize)]
    struct Out<'a> {
        deck: OutDeck<'a>,
        #[serde(skip_serializing_if = "<[_]>::is_empty")]
        cards: &'a [Card],
        #[serde(skip_serializing_if = "<[_]>::is_empty")]
        practices: &'a [Practice],
    }
    let out = Out {
        deck: OutDeck { name: deck.name.as_str(), title: &deck.title, description: &deck.description, enabled: deck.enabled },
        cards: &deck.cards,
        practices: &deck.practices,
    };
    // Serialising plain strings, enums and vectors to TOML cannot fail.
    toml::to_string_pretty(&out).unwrap_or_default()
}
