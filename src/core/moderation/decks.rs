//! Moderator deck commands: list, show, add, edit, remove, enable, disable,
//! import and export. Cards are validated whole before anything changes.

use super::super::command::Command;
use super::super::command::DeckCmd;
use super::super::cx::Cx;
use super::super::deck::{self, Card, Deck, Intensity, Kind as CardKind, Theme};
use super::super::effect::{Attachment, Kind, Line, Message};
use super::super::ids::Slug;
use super::super::input::Actor;
use super::super::refusal::Refusal;
use super::super::rng::Rng;
use super::super::safety::crisis_words;
use super::super::textcheck::{self, TextUse, preview};
use super::{hold, moderator, repeated};

fn card_position(cx: &Cx<'_, impl Rng>, id: &str) -> Option<(Slug, usize)> {
    cx.st.decks.iter().find_map(|(name, d)| d.cards.iter().position(|c| c.id.as_str() == id).map(|i| (name.clone(), i)))
}

pub(super) fn card_id_taken(cx: &Cx<'_, impl Rng>, id: &Slug, except_deck: Option<&Slug>) -> bool {
    cx.st.decks.iter().filter(|(n, _)| Some(*n) != except_deck).any(|(_, d)| d.cards.iter().any(|c| &c.id == id))
}

fn card_summary(c: &Card) -> Line {
    Line::new("deck-card")
        .text("id", c.id.as_str())
        .text("kind", c.kind.as_str())
        .text("theme", c.theme.as_str())
        .text("intensity", c.intensity.as_str())
        .text("state", if c.enabled { "" } else { " (disabled)" })
        .text("text", preview_long(&c.text))
}

fn preview_long(s: &str) -> String {
    let mut out: String = s.chars().take(70).collect();
    if s.chars().count() > 70 {
        out.push('…');
    }
    out
}

/// Deck commands. `confirmed` is true when the moderator confirmed text that
/// matches the crisis rules (see [`super::confirm`]); otherwise such a card,
/// edit or import is held back until they do.
pub fn deck(cx: &mut Cx<'_, impl Rng>, actor: &Actor, cmd: DeckCmd, confirmed: bool) -> Result<(), Refusal> {
    moderator(actor)?;
    let who = actor.member.clone();
    let original = cmd.clone();
    // Sending a held command again confirms it.
    let confirmed = confirmed || repeated(cx, actor, &Command::Deck(original.clone()));
    let crisis = |cx: &Cx<'_, _>, text: &str| !confirmed && crisis_words(&cx.st.rules, text);
    match cmd {
        DeckCmd::List => {
            let mut lines = vec![Line::new("deck-list")];
            for d in cx.st.decks.values() {
                lines.push(
                    Line::new("deck-item")
                        .text("name", d.name.as_str())
                        .text("title", d.title.clone())
                        .num("cards", d.cards.len())
                        .num("practices", d.practices.len())
                        .text("state", if d.enabled { "" } else { " (disabled)" }),
                );
            }
            cx.whisper(&who, Message::new(Kind::Info, lines));
        }
        DeckCmd::Show(name) => {
            if let Some(d) = cx.st.decks.values().find(|d| d.name.as_str() == name) {
                let mut lines = vec![Line::new("deck-head").text("name", d.name.as_str()).text("title", d.title.clone())];
                lines.extend(d.cards.iter().map(card_summary));
                lines.extend(d.practices.iter().map(|p| {
                    Line::new("practice-item").text("name", p.name.as_str()).text("title", p.title.clone()).num("steps", p.steps.len())
                }));
                cx.whisper(&who, Message::new(Kind::Info, lines));
            } else if let Some((deck, i)) = card_position(cx, &name) {
                let c = &cx.st.decks[&deck].cards[i];
                let mut lines = vec![card_summary(c), Line::new("card-text").text("text", c.text.clone())];
                if let Some(g) = &c.guide {
                    lines.push(Line::new("card-guide").text("guide", g.clone()));
                }
                if !c.cw.is_empty() {
                    lines.push(Line::new("card-cw").text("cw", c.cw.join(", ")));
                }
                cx.whisper(&who, Message::new(Kind::Info, lines));
            } else {
                return Err(Refusal::UnknownDeckOrCard { given: preview(&name) });
            }
        }
        DeckCmd::Add { deck, kind, theme, intensity, text, guide, cw } => {
            let deck_name = Slug::parse(&deck)?;
            let kind = CardKind::parse(&kind).ok_or_else(|| Refusal::BadValue {
                key: "kind".into(),
                detail: "check-in, sharing, closing, listener-guide or self-reflection".into(),
            })?;
            let theme = Theme::parse(&theme).ok_or_else(|| Refusal::UnknownTheme { given: preview(&theme) })?;
            let intensity = Intensity::parse(&intensity)
                .ok_or_else(|| Refusal::BadValue { key: "intensity".into(), detail: "light, medium or deep".into() })?;
            let text = textcheck::check(&text, TextUse::Card)?;
            let guide = match (kind, guide) {
                (CardKind::Sharing, Some(g)) => Some(textcheck::check(&g, TextUse::Card)?),
                (CardKind::Sharing, None) => return Err(Refusal::GuideRequired),
                (_, Some(_)) => return Err(Refusal::GuideNotAllowed),
                (_, None) => None,
            };
            let cw = cw.as_deref().map(content_notes).transpose()?.unwrap_or_default();
            // Only `deck new` creates a deck: a typo gets the names that exist, not a new deck.
            if !cx.st.decks.contains_key(&deck_name) {
                let known = cx.st.decks.keys().map(Slug::to_string).collect::<Vec<_>>().join(", ");
                return Err(Refusal::NoSuchDeck { given: deck_name.to_string(), known });
            }
            if crisis(cx, &text) || guide.as_deref().is_some_and(|g| crisis(cx, g)) {
                hold(cx, actor, Command::Deck(original), "content-held-card");
                return Ok(());
            }
            let id = (1..)
                .map(|n| format!("{}-{:02}", deck_name.as_str(), n))
                .filter_map(|s| Slug::parse(&s).ok())
                .find(|s| !card_id_taken(cx, s, None))
                .ok_or(Refusal::BadSlug { given: deck_name.to_string() })?;
            let d = cx.st.decks.entry(deck_name.clone()).or_insert_with(|| Deck {
                name: deck_name.clone(),
                title: deck_name.to_string(),
                description: String::new(),
                enabled: true,
                cards: Vec::new(),
                practices: Vec::new(),
                own: true,
            });
            d.cards.push(Card { id: id.clone(), kind, theme, intensity, cw, text, guide, group: None, enabled: true });
            cx.st.dirty.decks.insert(deck_name);
            cx.audit(actor, "card add", Some(id.to_string()), None);
            cx.whisper_line(&who, Line::new("card-added").text("id", id.as_str()));
        }
        DeckCmd::New { name, title } => {
            let name = Slug::parse(&name)?;
            if cx.st.decks.contains_key(&name) {
                return Err(Refusal::NameTaken { given: name.to_string() });
            }
            let title = if title.trim().is_empty() { name.to_string() } else { textcheck::check(&title, TextUse::Title)? };
            if crisis(cx, &title) {
                hold(cx, actor, Command::Deck(original), "content-held-card");
                return Ok(());
            }
            let d = Deck {
                name: name.clone(),
                title,
                description: String::new(),
                enabled: true,
                cards: Vec::new(),
                practices: Vec::new(),
                own: true,
            };
            cx.st.decks.insert(name.clone(), d);
            cx.st.dirty.decks.insert(name.clone());
            cx.audit(actor, "deck new", Some(name.to_string()), None);
            cx.whisper_line(&who, Line::new("deck-created").text("name", name.as_str()));
        }
        DeckCmd::Edit { card, field, value } => revise(cx, actor, card, vec![(field, value)], original, confirmed)?,
        DeckCmd::Revise { card, changes } => revise(cx, actor, card, changes, original, confirmed)?,
        DeckCmd::Remove { name, confirm } => {
            if let Some((deck, i)) = card_position(cx, &name) {
                if let Some(d) = cx.st.decks.get_mut(&deck) {
                    d.cards.remove(i);
                }
                cx.st.dirty.decks.insert(deck);
                cx.audit(actor, "card remove", Some(name.clone()), None);
            } else {
                let slug = Slug::parse(&name).map_err(|_| Refusal::UnknownDeckOrCard { given: preview(&name) })?;
                let cards = cx.st.decks.get(&slug).ok_or_else(|| Refusal::UnknownDeckOrCard { given: preview(&name) })?.cards.len();
                if !confirm {
                    // A whole deck goes at once, so it takes a second word.
                    cx.whisper_line(&who, Line::new("deck-remove-ask").text("name", slug.to_string()).num("cards", cards));
                    return Ok(());
                }
                cx.st.decks.remove(&slug);
                cx.st.dirty.decks.insert(slug);
                cx.audit(actor, "deck remove", Some(name.clone()), None);
            }
            cx.whisper_line(&who, Line::new("removed-item").text("name", name));
        }
        DeckCmd::Enable(name) => toggle(cx, actor, &name, true)?,
        DeckCmd::Disable(name) => toggle(cx, actor, &name, false)?,
        DeckCmd::Import { source, content } => {
            let content = content.ok_or_else(|| Refusal::DeckFile { detail: format!("couldn't read {}", preview(&source)) })?;
            let mut d = deck::parse_file(&content).map_err(|e| Refusal::DeckFile { detail: e.to_string() })?;
            // An imported deck replaces whatever had its name, shipped or not, as the community's own.
            d.own = true;
            if let Some(taken) = d.cards.iter().find(|c| card_id_taken(cx, &c.id, Some(&d.name))) {
                return Err(Refusal::CardIdTaken { given: taken.id.to_string() });
            }
            let words = [&d.title, &d.description]
                .into_iter()
                .chain(d.cards.iter().flat_map(|c| std::iter::once(&c.text).chain(c.guide.as_ref())))
                .chain(d.practices.iter().flat_map(|p| std::iter::once(&p.title).chain(&p.steps)));
            if words.into_iter().any(|t| crisis(cx, t)) {
                hold(cx, actor, Command::Deck(original), "content-held-import");
                return Ok(());
            }
            let (name, cards) = (d.name.clone(), d.cards.len());
            cx.st.decks.insert(name.clone(), d);
            cx.st.dirty.decks.insert(name.clone());
            cx.audit(actor, "deck import", Some(name.to_string()), None);
            cx.whisper_line(&who, Line::new("deck-imported").text("name", name.as_str()).num("cards", cards));
        }
        DeckCmd::Export(name) => {
            let d = cx
                .st
                .decks
                .values()
                .find(|d| d.name.as_str() == name)
                .ok_or_else(|| Refusal::UnknownDeckOrCard { given: preview(&name) })?;
            let mut msg = Message::info(Line::new("deck-exported").text("name", d.name.as_str()));
            msg.attachment = Some(Box::new(Attachment { filename: format!("{}.toml", d.name), content: deck::to_file(d) }));
            cx.whisper(&who, msg);
        }
    }
    Ok(())
}

/// Content notes as `deck edit CARD cw` takes them: comma-separated words, or `none`.
fn content_notes(value: &str) -> Result<Vec<String>, Refusal> {
    let value = value.trim();
    if value.is_empty() || value == "none" {
        return Ok(Vec::new());
    }
    value.split(',').map(|t| Slug::parse(t.trim()).map(|s| s.to_string())).collect()
}

/// `deck edit`, one field or several: every change is checked before any is
/// made, so a refused one changes nothing.
fn revise(
    cx: &mut Cx<'_, impl Rng>,
    actor: &Actor,
    card: String,
    changes: Vec<(String, String)>,
    original: DeckCmd,
    confirmed: bool,
) -> Result<(), Refusal> {
    let (deck, i) = card_position(cx, &card).ok_or_else(|| Refusal::UnknownDeckOrCard { given: preview(&card) })?;
    let mut c = cx.st.decks[&deck].cards[i].clone();
    let mut held = false;
    for (field, value) in &changes {
        match field.as_str() {
            "text" => c.text = textcheck::check(value, TextUse::Card)?,
            "guide" if c.kind == CardKind::Sharing => c.guide = Some(textcheck::check(value, TextUse::Card)?),
            "guide" => return Err(Refusal::GuideNotAllowed),
            "theme" => c.theme = Theme::parse(value).ok_or_else(|| Refusal::UnknownTheme { given: preview(value) })?,
            "intensity" => {
                c.intensity = Intensity::parse(value)
                    .ok_or_else(|| Refusal::BadValue { key: "intensity".into(), detail: "light, medium or deep".into() })?
            }
            "cw" => c.cw = content_notes(value)?,
            other => return Err(Refusal::UnknownField { given: preview(other), known: "text, guide, theme, intensity, cw" }),
        }
        held |= matches!(field.as_str(), "text" | "guide") && !confirmed && crisis_words(&cx.st.rules, value);
    }
    if held {
        hold(cx, actor, Command::Deck(original), "content-held-card");
        return Ok(());
    }
    if let Some(d) = cx.st.decks.get_mut(&deck) {
        d.cards[i] = c;
    }
    cx.st.dirty.decks.insert(deck);
    cx.audit(actor, "card edit", Some(card.clone()), None);
    cx.whisper_line(&actor.member, Line::new("card-edited").text("id", card));
    Ok(())
}

fn toggle(cx: &mut Cx<'_, impl Rng>, actor: &Actor, name: &str, on: bool) -> Result<(), Refusal> {
    if let Some((deck, i)) = card_position(cx, name) {
        if let Some(d) = cx.st.decks.get_mut(&deck) {
            d.cards[i].enabled = on;
        }
        cx.st.dirty.decks.insert(deck);
    } else {
        let d = cx
            .st
            .decks
            .values_mut()
            .find(|d| d.name.as_str() == name)
            .ok_or_else(|| Refusal::UnknownDeckOrCard { given: preview(name) })?;
        d.enabled = on;
        let n = d.name.clone();
        cx.st.dirty.decks.insert(n);
    }
    cx.audit(actor, if on { "enable" } else { "disable" }, Some(name.to_owned()), None);
    cx.whisper_line(&actor.member, Line::new(if on { "enabled" } else { "disabled" }).text("name", name.to_owned()));
    Ok(())
}
