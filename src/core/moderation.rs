//! Moderator commands: decks and cards, suggestions, settings, templates and
//! crisis resources. Each validates fully before it changes anything.

use super::command::{DeckCmd, TemplateCmd};
use super::deck::{self, Card, Deck, Intensity, Kind as CardKind, Theme};
use super::effect::{Attachment, Kind, Line, Message};
use super::handle::Cx;
use super::ids::Slug;
use super::input::Actor;
use super::refusal::Refusal;
use super::rng::Rng;
use super::state::{SETTING_KEYS, Suggestion};
use super::textcheck::{self, TextUse, preview};

fn moderator(actor: &Actor) -> Result<(), Refusal> {
    if actor.moderator { Ok(()) } else { Err(Refusal::NotModerator) }
}

/// `suggest TEXT`: any member may suggest a card; moderators decide.
pub fn suggest(cx: &mut Cx<'_, impl Rng>, actor: &Actor, text: &str) -> Result<(), Refusal> {
    let text = textcheck::check(text, TextUse::Suggestion)?;
    let pending = cx.st.community.suggestions.iter().filter(|s| s.member == actor.member).count();
    if pending >= 10 {
        return Err(Refusal::RateLimited);
    }
    let id = cx.st.community.next_suggestion;
    cx.st.community.next_suggestion += 1;
    cx.st.community.suggestions.push(Suggestion { id, member: actor.member.clone(), text, at: cx.now });
    cx.st.dirty.community = true;
    cx.whisper_line(&actor.member, Line::new("suggest-thanks"));
    Ok(())
}

fn card_position(cx: &Cx<'_, impl Rng>, id: &str) -> Option<(Slug, usize)> {
    cx.st.decks.iter().find_map(|(name, d)| d.cards.iter().position(|c| c.id.as_str() == id).map(|i| (name.clone(), i)))
}

fn card_id_taken(cx: &Cx<'_, impl Rng>, id: &Slug, except_deck: Option<&Slug>) -> bool {
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

pub fn deck(cx: &mut Cx<'_, impl Rng>, actor: &Actor, cmd: DeckCmd) -> Result<(), Refusal> {
    moderator(actor)?;
    let who = actor.member.clone();
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
        DeckCmd::Add { deck, kind, theme, intensity, text, guide } => {
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
            });
            d.cards.push(Card { id: id.clone(), kind, theme, intensity, cw: Vec::new(), text, guide, enabled: true });
            cx.st.dirty.decks.insert(deck_name);
            cx.audit(actor, "card add", Some(id.to_string()), None);
            cx.whisper_line(&who, Line::new("card-added").text("id", id.as_str()));
        }
        DeckCmd::Edit { card, field, value } => {
            let (deck, i) = card_position(cx, &card).ok_or_else(|| Refusal::UnknownDeckOrCard { given: preview(&card) })?;
            let mut c = cx.st.decks[&deck].cards[i].clone();
            match field.as_str() {
                "text" => c.text = textcheck::check(&value, TextUse::Card)?,
                "guide" if c.kind == CardKind::Sharing => c.guide = Some(textcheck::check(&value, TextUse::Card)?),
                "guide" => return Err(Refusal::GuideNotAllowed),
                "theme" => c.theme = Theme::parse(&value).ok_or_else(|| Refusal::UnknownTheme { given: preview(&value) })?,
                "intensity" => {
                    c.intensity = Intensity::parse(&value)
                        .ok_or_else(|| Refusal::BadValue { key: "intensity".into(), detail: "light, medium or deep".into() })?
                }
                "cw" => {
                    c.cw = if value == "none" {
                        Vec::new()
                    } else {
                        value.split(',').map(|t| Slug::parse(t.trim()).map(|s| s.to_string())).collect::<Result<_, _>>()?
                    }
                }
                other => return Err(Refusal::UnknownField { given: preview(other), known: "text, guide, theme, intensity, cw" }),
            }
            if let Some(d) = cx.st.decks.get_mut(&deck) {
                d.cards[i] = c;
            }
            cx.st.dirty.decks.insert(deck);
            cx.audit(actor, "card edit", Some(card.clone()), None);
            cx.whisper_line(&who, Line::new("card-edited").text("id", card));
        }
        DeckCmd::Remove(name) => {
            if let Some((deck, i)) = card_position(cx, &name) {
                if let Some(d) = cx.st.decks.get_mut(&deck) {
                    d.cards.remove(i);
                }
                cx.st.dirty.decks.insert(deck);
                cx.audit(actor, "card remove", Some(name.clone()), None);
            } else {
                let slug = Slug::parse(&name).map_err(|_| Refusal::UnknownDeckOrCard { given: preview(&name) })?;
                cx.st.decks.remove(&slug).ok_or_else(|| Refusal::UnknownDeckOrCard { given: preview(&name) })?;
                cx.st.dirty.decks.insert(slug);
                cx.audit(actor, "deck remove", Some(name.clone()), None);
            }
            cx.whisper_line(&who, Line::new("removed-item").text("name", name));
        }
        DeckCmd::Enable(name) => toggle(cx, actor, &name, true)?,
        DeckCmd::Disable(name) => toggle(cx, actor, &name, false)?,
        DeckCmd::Import { source, content } => {
            let content = content.ok_or_else(|| Refusal::DeckFile { detail: format!("couldn't read {}", preview(&source)) })?;
            let d = deck::parse_file(&content).map_err(|e| Refusal::DeckFile { detail: e.to_string() })?;
            if let Some(taken) = d.cards.iter().find(|c| card_id_taken(cx, &c.id, Some(&d.name))) {
                return Err(Refusal::CardIdTaken { given: taken.id.to_string() });
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
            msg.attachment = Some(Attachment { filename: format!("{}.toml", d.name), content: deck::to_file(d) });
            cx.whisper(&who, msg);
        }
    }
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

/// `suggestions [approve|decline ID]`.
pub fn suggestions(cx: &mut Cx<'_, impl Rng>, actor: &Actor, decision: Option<(bool, u64)>) -> Result<(), Refusal> {
    moderator(actor)?;
    let Some((approve, id)) = decision else {
        let mut lines = vec![Line::new("suggestions-head").num("count", cx.st.community.suggestions.len())];
        lines.extend(cx.st.community.suggestions.iter().map(|s| Line::new("suggestion-item").num("id", s.id).text("text", s.text.clone())));
        cx.whisper(&actor.member, Message::new(Kind::Info, lines));
        return Ok(());
    };
    let pos = cx.st.community.suggestions.iter().position(|s| s.id == id).ok_or(Refusal::UnknownSuggestion { id })?;
    // Everything that can fail is settled before the suggestion leaves the queue.
    let deck_name = Slug::parse("suggested")?;
    let card_id = (1..)
        .map(|n| format!("suggested-{n:02}"))
        .filter_map(|x| Slug::parse(&x).ok())
        .find(|x| !card_id_taken(cx, x, None))
        .ok_or(Refusal::BadSlug { given: "suggested".into() })?;
    let s = cx.st.community.suggestions.remove(pos);
    cx.st.dirty.community = true;
    cx.audit(actor, if approve { "suggestion approve" } else { "suggestion decline" }, Some(id.to_string()), None);
    if !approve {
        // The member isn't told: a decline notice could sting, and nothing is owed.
        cx.whisper_line(&actor.member, Line::new("suggestion-declined").num("id", id));
        return Ok(());
    }
    let d = cx.st.decks.entry(deck_name.clone()).or_insert_with(|| Deck {
        name: deck_name.clone(),
        title: "Suggested by members".into(),
        description: "Self-reflection cards suggested by members and approved by moderators.".into(),
        enabled: true,
        cards: Vec::new(),
        practices: Vec::new(),
    });
    d.cards.push(Card {
        id: card_id.clone(),
        kind: CardKind::SelfReflection,
        theme: Theme::Presence,
        intensity: Intensity::Light,
        cw: Vec::new(),
        text: s.text,
        guide: None,
        enabled: true,
    });
    cx.st.dirty.decks.insert(deck_name);
    cx.whisper_line(&actor.member, Line::new("suggestion-approved").num("id", id).text("card", card_id.as_str()));
    cx.whisper_line(&s.member, Line::new("suggestion-accepted"));
    Ok(())
}

/// `settings show | settings set KEY VALUE`.
pub fn settings(cx: &mut Cx<'_, impl Rng>, actor: &Actor, set: Option<(String, String)>) -> Result<(), Refusal> {
    moderator(actor)?;
    let Some((key, value)) = set else {
        let s = &cx.st.community.settings;
        let pairs = [
            ("timezone", s.timezone.clone()),
            ("retention-days", s.retention_days.to_string()),
            ("signpost-hours", s.signpost_hours.to_string()),
            ("rate-per-minute", s.rate_per_minute.to_string()),
            ("reflect-history", s.reflect_history.to_string()),
            ("default-template", s.default_template.clone()),
            ("agreements", format!("version {}", cx.st.community.agreements_version)),
        ];
        let mut lines = vec![Line::new("settings-head")];
        lines.extend(pairs.into_iter().map(|(k, v)| Line::new("kv").text("key", k).text("value", v)));
        cx.whisper(&actor.member, Message::new(Kind::Info, lines));
        return Ok(());
    };
    let bad = |detail: &str| Refusal::BadValue { key: key.clone(), detail: detail.to_owned() };
    let num = |lo: u32, hi: u32| -> Result<u32, Refusal> {
        value.parse::<u32>().ok().filter(|n| (lo..=hi).contains(n)).ok_or_else(|| bad(&format!("a whole number from {lo} to {hi}")))
    };
    let mut next = cx.st.community.clone();
    match key.as_str() {
        "timezone" => next.settings.timezone = super::timeparse::zone(&value)?.iana_name().unwrap_or("UTC").to_owned(),
        "retention-days" => next.settings.retention_days = num(1, 3650)?,
        "signpost-hours" => next.settings.signpost_hours = num(1, 720)?,
        "rate-per-minute" => next.settings.rate_per_minute = num(5, 600)?,
        "reflect-history" => next.settings.reflect_history = num(0, 50)?,
        "default-template" => {
            if cx.st.template(&value).is_none() {
                return Err(Refusal::UnknownTemplate { given: preview(&value) });
            }
            next.settings.default_template = value.clone();
        }
        "agreements" => {
            next.agreements_text = Some(textcheck::check(&value, TextUse::Agreements)?);
            // Members consent again to changed agreements the next time they join.
            next.agreements_version += 1;
        }
        _ => return Err(Refusal::UnknownField { given: preview(&key), known: SETTING_KEYS }),
    }
    cx.st.community = next;
    cx.st.dirty.community = true;
    cx.audit(actor, "settings set", Some(key.clone()), None);
    cx.whisper_line(&actor.member, Line::new("setting-saved").text("key", key));
    Ok(())
}

pub fn template(cx: &mut Cx<'_, impl Rng>, actor: &Actor, cmd: TemplateCmd) -> Result<(), Refusal> {
    moderator(actor)?;
    match cmd {
        TemplateCmd::List => {
            let mut lines = vec![Line::new("template-list")];
            lines.extend(
                cx.st
                    .community
                    .templates
                    .iter()
                    .map(|t| Line::new("template-item").text("name", t.name.clone()).secs("time", t.turn_secs).num("max", t.max_size)),
            );
            cx.whisper(&actor.member, Message::new(Kind::Info, lines));
        }
        TemplateCmd::Show(name) => {
            let t = cx.st.template(&name).ok_or_else(|| Refusal::UnknownTemplate { given: preview(&name) })?;
            let mut lines = vec![Line::new("template-head").text("name", t.name.clone())];
            lines.extend(t.describe().into_iter().map(|(k, v)| Line::new("kv").text("key", k).text("value", v)));
            cx.whisper(&actor.member, Message::new(Kind::Info, lines));
        }
        TemplateCmd::Set { name, key, value } => {
            let slug = Slug::parse(&name)?;
            let mut t = match cx.st.template(slug.as_str()) {
                Some(t) => t.clone(),
                // Setting a key on a new name creates a template from the standard shape.
                None => super::template::Template { name: slug.to_string(), ..super::template::Template::standard() },
            };
            t.set(&key, &value)?;
            let templates = &mut cx.st.community.templates;
            match templates.iter_mut().find(|x| x.name == t.name) {
                Some(slot) => *slot = t,
                None => templates.push(t),
            }
            cx.st.dirty.community = true;
            cx.audit(actor, "template set", Some(format!("{name} {key}")), None);
            cx.whisper_line(&actor.member, Line::new("template-saved").text("name", name).text("key", key).text("value", value));
        }
    }
    Ok(())
}

pub fn resources(cx: &mut Cx<'_, impl Rng>, actor: &Actor, text: &str) -> Result<(), Refusal> {
    moderator(actor)?;
    cx.st.community.resources = textcheck::check(text, TextUse::Resources)?;
    cx.st.dirty.community = true;
    cx.audit(actor, "resources set", None, None);
    cx.whisper_line(&actor.member, Line::new("resources-saved"));
    Ok(())
}
