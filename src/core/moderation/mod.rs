//! Moderator commands: decks and cards, suggestions, settings, templates and
//! crisis resources. Each validates fully before it changes anything.

mod decks;

use decks::card_id_taken;
pub use decks::deck;

use super::command::TemplateCmd;
use super::cx::Cx;
use super::deck::{Card, Deck, Intensity, Kind as CardKind, Theme};
use super::effect::{Effect, Kind, Line, Message};
use super::ids::Slug;
use super::input::{Actor, Place};
use super::refusal::Refusal;
use super::rng::Rng;
use super::state::{Opener, SETTING_KEYS, Suggestion};
use super::textcheck::{self, TextUse, preview};

fn moderator(actor: &Actor) -> Result<(), Refusal> {
    if actor.moderator { Ok(()) } else { Err(Refusal::NotModerator) }
}

/// `suggest TEXT`: any member may suggest a card; moderators decide.
///
/// A suggestion in crisis words was already read for signposting (`handle`
/// reads a command's free text first); it is not kept. Moderators learn only
/// that one was held back, never its words, and nobody else ever sees it.
pub fn suggest(cx: &mut Cx<'_, impl Rng>, actor: &Actor, text: &str) -> Result<(), Refusal> {
    if super::safety::held_back(&cx.st.rules, text) {
        cx.st.community.held_suggestions = cx.st.community.held_suggestions.saturating_add(1);
        cx.st.dirty.community = true;
        cx.whisper_line(&actor.member, Line::new("suggest-held"));
        return Ok(());
    }
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

/// `suggestions [approve|decline ID]`.
pub fn suggestions(cx: &mut Cx<'_, impl Rng>, actor: &Actor, decision: Option<(bool, u64)>) -> Result<(), Refusal> {
    moderator(actor)?;
    let Some((approve, id)) = decision else {
        let mut lines = vec![Line::new("suggestions-head").num("count", cx.st.community.suggestions.len())];
        // A suggestion stored before crisis words were held back is listed by number only,
        // so it can be declined without anyone reading it.
        lines.extend(cx.st.community.suggestions.iter().map(|s| {
            if super::safety::held_back(&cx.st.rules, &s.text) {
                Line::new("suggestion-item-held").num("id", s.id)
            } else {
                Line::new("suggestion-item").num("id", s.id).text("text", s.text.clone())
            }
        }));
        let held = std::mem::take(&mut cx.st.community.held_suggestions);
        if held > 0 {
            lines.push(Line::new("suggestions-held").num("count", held));
            cx.st.dirty.community = true;
        }
        cx.whisper(&actor.member, Message::new(Kind::Info, lines));
        return Ok(());
    };
    let pos = cx.st.community.suggestions.iter().position(|s| s.id == id).ok_or(Refusal::UnknownSuggestion { id })?;
    if approve && super::safety::held_back(&cx.st.rules, &cx.st.community.suggestions[pos].text) {
        return Err(Refusal::SuggestionHeld { id });
    }
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
        own: true,
    });
    d.cards.push(Card {
        id: card_id.clone(),
        kind: CardKind::SelfReflection,
        theme: Theme::Presence,
        intensity: Intensity::Light,
        cw: Vec::new(),
        text: s.text,
        guide: None,
        group: None,
        enabled: true,
    });
    cx.st.dirty.decks.insert(deck_name);
    cx.whisper_line(&actor.member, Line::new("suggestion-approved").num("id", id).text("card", card_id.as_str()));
    cx.whisper_line(&s.member, Line::new("suggestion-accepted"));
    Ok(())
}

/// Each setting's key and its value as `settings show` lists it.
pub fn setting_values(community: &super::state::Community) -> [(&'static str, String); 11] {
    let s = &community.settings;
    [
        ("timezone", s.timezone.clone()),
        ("retention-days", s.retention_days.to_string()),
        ("signpost-hours", s.signpost_hours.to_string()),
        ("rate-per-minute", s.rate_per_minute.to_string()),
        ("reflect-history", s.reflect_history.to_string()),
        ("default-template", s.default_template.clone()),
        ("speaker-pings", if s.speaker_pings { "on" } else { "off" }.to_owned()),
        ("who-opens", s.who_opens.as_str().to_owned()),
        ("open-per-member", s.open_per_member.to_string()),
        ("open-per-channel", s.open_per_channel.to_string()),
        ("agreements", format!("version {}", community.agreements_version)),
    ]
}

/// `settings show | settings set KEY VALUE`. Agreements in crisis words wait for
/// `confirm`: every member who joins is shown them.
pub fn settings(cx: &mut Cx<'_, impl Rng>, actor: &Actor, set: Option<(String, String)>, confirmed: bool) -> Result<(), Refusal> {
    moderator(actor)?;
    let Some((key, value)) = set else {
        let mut lines = vec![Line::new("settings-head")];
        lines.extend(setting_values(&cx.st.community).into_iter().map(|(k, v)| Line::new("kv").text("key", k).text("value", v)));
        let custom = if cx.st.community.resources_custom { "yes" } else { "no" };
        lines.push(Line::new("settings-resources").text("custom", custom));
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
        "speaker-pings" => {
            next.settings.speaker_pings = match value.trim().to_lowercase().as_str() {
                "on" | "yes" | "true" => true,
                "off" | "no" | "false" => false,
                _ => return Err(bad("on or off")),
            }
        }
        "who-opens" => {
            next.settings.who_opens = match value.trim().to_lowercase().as_str() {
                "anyone" | "everyone" => Opener::Anyone,
                "hosts" => Opener::Hosts,
                "moderators" => Opener::Moderators,
                _ => return Err(bad("anyone, hosts or moderators")),
            }
        }
        "open-per-member" => next.settings.open_per_member = num(1, 20)?,
        "open-per-channel" => next.settings.open_per_channel = num(1, 50)?,
        "default-template" => {
            if cx.st.template(&value).is_none() {
                return Err(Refusal::UnknownTemplate { given: preview(&value) });
            }
            next.settings.default_template = value.clone();
        }
        "agreements" => {
            let text = textcheck::check(&value, TextUse::Agreements)?;
            let again = super::command::Command::Settings(Some((key.clone(), value.clone())));
            if !confirmed && !repeated(cx, actor, &again) && super::safety::crisis_words(&cx.st.rules, &text) {
                hold(cx, actor, super::command::Command::Settings(Some((key.clone(), value.clone()))), "content-held-agreements");
                return Ok(());
            }
            next.agreements_text = Some(text);
            // Members consent again to changed agreements the next time they join.
            next.agreements_version += 1;
        }
        _ => return Err(Refusal::UnknownField { given: preview(&key), known: SETTING_KEYS }),
    }
    let zone_changed = next.settings.timezone != cx.st.community.settings.timezone;
    cx.st.community = next;
    cx.st.dirty.community = true;
    if zone_changed {
        super::reflection::rearm_community_zone(cx);
    }
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
            let known = || cx.st.community.templates.iter().map(|t| t.name.clone()).collect::<Vec<_>>().join(", ");
            let t = cx.st.template(&name).ok_or_else(|| Refusal::NoSuchTemplate { given: preview(&name), known: known() })?;
            let mut lines = vec![Line::new("template-head").text("name", t.name.clone())];
            lines.extend(t.describe().into_iter().map(|(k, v)| Line::new("kv").text("key", k).text("value", v)));
            cx.whisper(&actor.member, Message::new(Kind::Info, lines));
        }
        TemplateCmd::New(name) => {
            let slug = Slug::parse(&name)?;
            if cx.st.template(slug.as_str()).is_some() {
                return Err(Refusal::NameTaken { given: slug.to_string() });
            }
            let t = super::template::Template { name: slug.to_string(), ..super::template::Template::standard() };
            cx.st.community.templates.push(t);
            cx.st.dirty.community = true;
            cx.audit(actor, "template new", Some(slug.to_string()), None);
            cx.whisper_line(&actor.member, Line::new("template-created").text("name", slug.to_string()));
        }
        TemplateCmd::Set { name, key, value } => {
            let slug = Slug::parse(&name)?;
            // Only `template new` creates: a typo gets the names that exist, not a new template.
            let known = || cx.st.community.templates.iter().map(|t| t.name.clone()).collect::<Vec<_>>().join(", ");
            let mut t = cx
                .st
                .template(slug.as_str())
                .cloned()
                .ok_or_else(|| Refusal::NoSuchTemplate { given: slug.to_string(), known: known() })?;
            t.set(&key, &value)?;
            let holds = key == "floor" && t.floor == super::template::FloorPolicy::Hold;
            let templates = &mut cx.st.community.templates;
            match templates.iter_mut().find(|x| x.name == t.name) {
                Some(slot) => *slot = t,
                None => templates.push(t),
            }
            cx.st.dirty.community = true;
            cx.audit(actor, "template set", Some(format!("{name} {key}")), None);
            let mut lines = vec![Line::new("template-saved").text("name", name).text("key", key).text("value", value)];
            if holds && let Some(id) = actor.member.platform().hold_fallback_line() {
                lines.push(Line::new(id));
            }
            cx.whisper(&actor.member, Message::new(Kind::Info, lines));
        }
    }
    Ok(())
}

/// `resources set TEXT`. A resources card naturally names suicide and
/// self-harm, but its words go to every member who needs them, so words that
/// match the crisis rules wait for the moderator's `confirm` like a card's.
pub fn resources(cx: &mut Cx<'_, impl Rng>, actor: &Actor, text: &str, confirmed: bool) -> Result<(), Refusal> {
    moderator(actor)?;
    let checked = textcheck::check(text, TextUse::Resources)?;
    if checked == cx.st.community.resources {
        // The card as it is: a default card stays the default (and follows corrections to it).
        cx.whisper_line(&actor.member, Line::new("resources-unchanged"));
        return Ok(());
    }
    let confirmed = confirmed || repeated(cx, actor, &super::command::Command::Resources(text.to_owned()));
    if !confirmed && super::safety::crisis_words(&cx.st.rules, &checked) {
        hold(cx, actor, super::command::Command::Resources(text.to_owned()), "content-held-resources");
        return Ok(());
    }
    cx.st.community.resources = checked;
    cx.st.community.resources_custom = true;
    cx.st.dirty.community = true;
    cx.audit(actor, "resources set", None, None);
    cx.whisper_line(&actor.member, Line::new("resources-saved"));
    Ok(())
}

/// How long a held command waits for `confirm`.
pub const CONFIRM_WITHIN_SECS: i64 = 600;

/// Holds a moderator's command whose text matches the crisis rules until they
/// send it again or say `confirm`: a card about such feelings may be right,
/// but a moderator decides, warned. Nothing changes until then.
fn hold(cx: &mut Cx<'_, impl Rng>, actor: &Actor, command: super::command::Command, line: &'static str) {
    cx.st.held_content.insert(actor.member.clone(), (cx.now, command));
    cx.whisper(&actor.member, Message::new(Kind::Info, vec![Line::new(line), Line::new("content-held-how")]));
}

/// Whether this command repeats the one held for this moderator within
/// [`CONFIRM_WITHIN_SECS`]: sending it again is the confirmation, which works
/// on every platform (a Discord form or file upload can't carry an extra word).
fn repeated(cx: &mut Cx<'_, impl Rng>, actor: &Actor, command: &super::command::Command) -> bool {
    let now = cx.now;
    let same = cx
        .st
        .held_content
        .get(&actor.member)
        .is_some_and(|(at, held)| held == command && now.as_second() - at.as_second() <= CONFIRM_WITHIN_SECS);
    if same {
        cx.st.held_content.remove(&actor.member);
    }
    same
}

/// `confirm`: the moderator's held command goes in, as they wrote it (the same
/// as sending it again).
pub fn confirm(cx: &mut Cx<'_, impl Rng>, actor: &Actor) -> Result<(), Refusal> {
    moderator(actor)?;
    let now = cx.now;
    let fresh = |at: &jiff::Timestamp| now.as_second() - at.as_second() <= CONFIRM_WITHIN_SECS;
    let Some((at, command)) = cx.st.held_content.remove(&actor.member) else { return Err(Refusal::NothingToConfirm) };
    if !fresh(&at) {
        return Err(Refusal::NothingToConfirm);
    }
    match command {
        super::command::Command::Deck(d) => deck(cx, actor, d, true),
        super::command::Command::Resources(text) => resources(cx, actor, &text, true),
        super::command::Command::Settings(set) => settings(cx, actor, set, true),
        _ => Err(Refusal::NothingToConfirm),
    }
}

/// `dashboard`: a moderator asks for a sign-in link to the moderator page.
/// The core decides who may have one; the engine makes the link (its secret
/// never passes through the core or the store) and sends it privately.
pub fn dashboard(cx: &mut Cx<'_, impl Rng>, actor: &Actor) -> Result<(), Refusal> {
    moderator(actor)?;
    cx.audit(actor, "dashboard link", None, None);
    cx.out.push(Effect::SignIn { to: actor.member.clone() });
    Ok(())
}

/// `leave-room`: attune says goodbye where it was asked and leaves. Refused
/// while a circle is open or scheduled there, so nobody is left mid-turn and
/// no held floor stays held; the community's decks and settings are kept for
/// a later invitation.
pub fn leave_room(cx: &mut Cx<'_, impl Rng>, actor: &Actor, place: &Place) -> Result<(), Refusal> {
    moderator(actor)?;
    if !actor.member.platform().can_leave_place() {
        return Err(Refusal::CannotLeaveHere { platform: actor.member.platform().as_str() });
    }
    let Place::Channel(channel) = place else { return Err(Refusal::NeedsChannel) };
    if cx.st.circle_in(channel).is_some() {
        return Err(Refusal::LeaveWhileCircle);
    }
    cx.audit(actor, "leave room", Some(channel.raw().to_owned()), None);
    cx.say(channel, Message::info(Line::new("leave-room-goodbye")));
    cx.out.push(Effect::Leave { channel: channel.clone() });
    Ok(())
}
