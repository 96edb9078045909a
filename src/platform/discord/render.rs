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
/// it can. A code block cut between parts is closed at the end of one and opened
/// again at the start of the next. A single line longer than a whole message is
/// cut at a space where it can, and never inside a mention, a link, an escape
/// (`\x`) or a character made of several code points (an emoji with a skin
/// tone, a letter with its accent).
pub(super) fn split(text: &str) -> Vec<String> {
    const FENCE: &str = "```";
    let mut parts = Vec::new();
    let mut current = String::new();
    // The fence line that opened the code block we are in, if any.
    let mut open_fence: Option<String> = None;
    for line in text.split('\n') {
        let toggles = line.trim_start().starts_with(FENCE);
        let mut line = line.to_owned();
        loop {
            // Room kept for closing a code block that is still open at the end of this part.
            let reserve = if open_fence.is_some() || toggles { FENCE.len() + 1 } else { 0 };
            let needed = count(&current) + usize::from(!current.is_empty()) + count(&line) + reserve;
            if needed <= MAX_CONTENT {
                if !current.is_empty() {
                    current.push('\n');
                }
                current.push_str(&line);
                break;
            }
            if !current.is_empty() {
                if open_fence.is_some() {
                    current.push('\n');
                    current.push_str(FENCE);
                }
                parts.push(std::mem::take(&mut current));
                if let Some(fence) = &open_fence {
                    current.push_str(fence);
                }
                // Only the reopened fence in it: cut the line itself.
                if count(&current) + 1 + count(&line) + reserve <= MAX_CONTENT {
                    continue;
                }
            }
            // One line longer than a whole message: cut it where it is safe to.
            let room = MAX_CONTENT.saturating_sub(count(&current) + usize::from(!current.is_empty()) + reserve).max(1);
            let at = cut_point(&line, room);
            let rest = line.split_off(at);
            if !current.is_empty() {
                current.push('\n');
            }
            current.push_str(line.trim_end());
            if open_fence.is_some() {
                current.push('\n');
                current.push_str(FENCE);
            }
            parts.push(std::mem::take(&mut current));
            if let Some(fence) = &open_fence {
                current.push_str(fence);
            }
            line = rest.trim_start().to_owned();
            if line.is_empty() {
                break;
            }
        }
        if toggles {
            open_fence = match open_fence {
                Some(_) => None,
                // The fence line that opened it (with its language) is the last one added.
                None => Some(current.rsplit('\n').next().unwrap_or(FENCE).trim().to_owned()),
            };
        }
    }
    if !current.is_empty() || parts.is_empty() {
        parts.push(current);
    }
    parts
}

fn count(s: &str) -> usize {
    s.chars().count()
}

/// The byte index at which to cut `line` so that its head holds at most `room`
/// characters: the last space before the limit that is outside a mention, a
/// link and an escape; else the last such grapheme boundary; else the last
/// grapheme boundary (a link longer than a message has to be cut somewhere).
fn cut_point(line: &str, room: usize) -> usize {
    use unicode_segmentation::UnicodeSegmentation as _;
    let (mut chars, mut in_mention, mut in_link, mut escaped) = (0usize, false, false, false);
    let (mut space, mut safe, mut any) = (None, None, None);
    for (at, g) in line.grapheme_indices(true) {
        let n = g.chars().count();
        if chars + n > room {
            break;
        }
        // A boundary before this grapheme.
        if at > 0 {
            any = Some(at);
            if !in_mention && !in_link && !escaped {
                safe = Some(at);
                if g.chars().all(char::is_whitespace) {
                    space = Some(at);
                }
            }
        }
        chars += n;
        escaped = !escaped && g == "\\";
        match g {
            "<" => in_mention = true,
            ">" => in_mention = false,
            _ if g.chars().all(char::is_whitespace) => {
                in_link = false;
                in_mention = false;
            }
            _ => {}
        }
        if !in_link && (line[at..].starts_with("https://") || line[at..].starts_with("http://")) {
            in_link = true;
        }
    }
    if chars == count(line) {
        return line.len();
    }
    space.or(safe).or(any).unwrap_or_else(|| line.grapheme_indices(true).nth(1).map_or(line.len(), |(i, _)| i))
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
    fn an_over_long_line_is_cut_at_a_space_and_never_inside_a_mention_a_link_an_escape_or_a_grapheme() {
        let words = "word ".repeat(500);
        let parts = split(&words);
        assert!(parts.iter().all(|p| count(p) <= MAX_CONTENT && !p.ends_with("wor") && !p.starts_with("rd")), "cut between words");
        // A mention, a link, an escape and a family emoji, each straddling where a blind cut would fall.
        for token in ["<@123456789012345678>", "https://example.org/a/very/long/path", "\\-", "👨‍👩‍👧‍👦", "é\u{301}"] {
            for pad in 1990..2000 {
                let text = format!("{}{token}{}", "x".repeat(pad), "y".repeat(50));
                let parts = split(&text);
                assert!(parts.iter().all(|p| count(p) <= MAX_CONTENT), "{token} at {pad}");
                assert!(
                    parts.iter().any(|p| p.contains(token)),
                    "{token} at {pad} is kept whole: {:?}",
                    parts.iter().map(|p| &p[p.len().saturating_sub(30)..]).collect::<Vec<_>>()
                );
                assert_eq!(parts.concat(), text, "nothing lost or added");
            }
        }
    }

    #[test]
    fn a_code_block_cut_between_parts_is_closed_and_opened_again() {
        let body: Vec<String> = (0..300).map(|i| format!("line {i} of the listing")).collect();
        let text = format!("Here it is:\n```toml\n{}\n```\nDone.", body.join("\n"));
        let parts = split(&text);
        assert!(parts.len() > 1);
        for p in &parts {
            assert!(count(p) <= MAX_CONTENT);
            assert_eq!(p.matches("```").count() % 2, 0, "every part closes what it opens: {}", &p[..40.min(p.len())]);
        }
        assert!(parts[1].starts_with("```toml"), "the next part reopens the block with its language");
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
