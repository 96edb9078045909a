//! A message, rendered for Discord: the catalogue's lines as Markdown (outside
//! text escaped, people as mentions), split to fit Discord's 2,000
//! characters, and its actions as buttons that carry their scope. Every
//! message attune builds sets `allowed_mentions` empty, so a mention shows a
//! name and pings nobody, and `@everyone` in a card or a name stays text.

use poise::serenity_prelude as serenity;

use super::buttons;
use crate::core::effect::{Action, Kind, Message};
use crate::text::{Catalogue, Markup};

/// Discord's longest message content, in characters.
pub(super) const MAX_CONTENT: usize = 2000;
/// At most five buttons in a row, and five rows in a message.
const ROW: usize = 5;
const ROWS: usize = 5;

/// A message ready to send: one or more parts (the buttons go with the last).
pub(super) struct Rendered {
    pub(super) parts: Vec<String>,
    /// Cards and listener guides go as an embed (a titled box) with the last part.
    pub(super) embed: Option<serenity::CreateEmbed>,
    pub(super) rows: Vec<serenity::CreateActionRow>,
    pub(super) file: Option<serenity::CreateAttachment>,
    /// The one user this message may notify (a turn's speaker); nobody else, ever.
    pub(super) notify: Option<u64>,
}

/// Mentions are never allowed to notify anyone.
pub(super) fn no_pings() -> serenity::CreateAllowedMentions {
    serenity::CreateAllowedMentions::new()
}

/// Who a message may notify: the one user it addresses (`users` that id,
/// `parse` and `roles` empty), or nobody.
pub(super) fn pings(notify: Option<u64>) -> serenity::CreateAllowedMentions {
    match notify {
        Some(user) => no_pings().users([serenity::UserId::new(user)]),
        None => no_pings(),
    }
}

pub(super) fn render(catalogue: &Catalogue, message: &Message, guild: u64) -> Rendered {
    let text = catalogue.render_as(message, Markup::Markdown);
    let buttons: Vec<serenity::CreateButton> = message.actions.iter().map(|a| button(catalogue, guild, *a)).collect();
    let rows = buttons.chunks(ROW).take(ROWS).map(|r| serenity::CreateActionRow::Buttons(r.to_vec())).collect();
    let file = message.attachment.as_ref().map(|a| serenity::CreateAttachment::bytes(a.content.as_bytes().to_vec(), a.filename.clone()));
    let notify = message.notify.as_ref().and_then(|m| m.user().parse::<u64>().ok()).filter(|id| *id != 0);
    match embed_title(message) {
        Some(title) if text.chars().count() <= MAX_EMBED => {
            let embed = serenity::CreateEmbed::new()
                .title(catalogue.line(&crate::core::effect::Line::new(title)))
                .description(text)
                .colour(serenity::Colour::new(EMBED_COLOUR));
            Rendered { parts: vec![String::new()], embed: Some(embed), rows, file, notify }
        }
        _ => Rendered { parts: split(&text), embed: None, rows, file, notify },
    }
}

/// Discord's longest embed description, in characters.
const MAX_EMBED: usize = 4096;
/// A calm blue-green for the embed's edge.
const EMBED_COLOUR: u32 = 0x4f_9d_a6;

/// The catalogue line that titles a message's embed: cards and listener guides
/// are shown as one; everything else is plain text.
pub(super) fn embed_title(message: &Message) -> Option<&'static str> {
    match message.kind {
        Kind::Card => Some("discord-embed-card"),
        Kind::Guide => Some("discord-embed-guide"),
        _ => None,
    }
}

fn button(catalogue: &Catalogue, guild: u64, action: Action) -> serenity::CreateButton {
    let label = match action {
        Action::Pulse(_, n) => n.to_string(),
        a => catalogue.line(&crate::core::effect::Line::new(a.label_id())),
    };
    let style = match action {
        Action::Done(_) | Action::Agree(_) | Action::Join(_) => serenity::ButtonStyle::Primary,
        Action::Support => serenity::ButtonStyle::Success,
        _ => serenity::ButtonStyle::Secondary,
    };
    serenity::CreateButton::new(buttons::encode(guild, action)).label(label).style(style)
}

/// Splits text into parts of at most [`MAX_CONTENT`] characters, at line ends where
/// it can (a single over-long line is cut between characters).
pub(super) fn split(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    for line in text.split('\n') {
        let mut line = line.to_owned();
        loop {
            let needed = current.chars().count() + usize::from(!current.is_empty()) + line.chars().count();
            if needed <= MAX_CONTENT {
                if !current.is_empty() {
                    current.push('\n');
                }
                current.push_str(&line);
                break;
            }
            if !current.is_empty() {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            // One line longer than a whole message: cut it.
            let head: String = line.chars().take(MAX_CONTENT).collect();
            line = line.chars().skip(MAX_CONTENT).collect();
            parts.push(head);
        }
    }
    if !current.is_empty() || parts.is_empty() {
        parts.push(current);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_split_at_line_ends_into_parts_discord_accepts() {
        let line = "x".repeat(1500);
        let text = format!("{line}\n{line}\n{}", "y".repeat(4500));
        let parts = split(&text);
        assert!(parts.iter().all(|p| p.chars().count() <= MAX_CONTENT), "every part fits");
        assert_eq!(parts.concat().chars().filter(|c| *c != '\n').count(), 3000 + 4500, "nothing is lost");
        assert_eq!(parts[0], line, "a line is kept whole when it fits");
        assert_eq!(split("short"), ["short"]);
    }

    #[test]
    fn cards_and_guides_are_titled_embeds_with_their_text_escaped_and_the_rest_is_plain() {
        use crate::core::effect::Line;
        let catalogue = Catalogue::english().unwrap();
        let card = Message::new(Kind::Card, vec![Line::new("reflect-card").text("prompt", "look **here** @everyone")]);
        let r = render(&catalogue, &card, 1);
        let embed = serde_json::to_value(r.embed.expect("an embed")).unwrap();
        let description = embed["description"].as_str().unwrap();
        assert!(description.contains("\\*\\*here\\*\\*"), "Markdown in outside text stays text: {description}");
        assert!(!embed["title"].as_str().unwrap().is_empty());
        assert_eq!(r.parts, [""], "the text is in the embed only");
        for kind in Kind::all() {
            let m = Message::new(kind.clone(), vec![Line::new("discord-done")]);
            assert_eq!(render(&catalogue, &m, 1).embed.is_some(), matches!(kind, Kind::Card | Kind::Guide), "{kind:?}");
            assert!(embed_title(&m).is_none_or(|t| catalogue.has(t)));
        }
        let long = Message::new(Kind::Card, vec![Line::new("reflect-card").text("prompt", "x".repeat(5000))]);
        let r = render(&catalogue, &long, 1);
        assert!(r.embed.is_none() && r.parts.len() > 1, "too long for an embed: plain parts");
    }
}
