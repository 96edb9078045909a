//! Turns the core's structured messages into text. Every sentence comes from
//! the Fluent catalogue in `locales/`; text from members, moderators and
//! decks is cleaned of invisible characters before it is placed.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

use crate::core::effect::{Arg, Line, Message};
use crate::core::ids::{ChannelId, MemberRef, Platform};
use crate::core::textcheck::is_invisible_control;

/// How a platform shows text; each escapes outside text for its own markup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Markup {
    /// The console: plain text, people by their display name.
    Plain,
    /// Discord: Markdown with every special character in outside text escaped;
    /// people as mentions (sent with `allowed_mentions` empty, so nobody is pinged).
    Markdown,
    /// Matrix `formatted_body`: HTML with everything escaped; people as pills.
    Html,
}

/// The English catalogue, embedded so the binary runs from anywhere.
pub const ENGLISH: &str = include_str!("../../locales/en/attune.ftl");

#[derive(Debug, thiserror::Error)]
pub enum TextError {
    #[error("the message catalogue has syntax errors: {0}")]
    Syntax(String),
    #[error("the message catalogue defines a message twice: {0}")]
    Duplicate(String),
}

/// A loaded catalogue for one locale.
pub struct Catalogue {
    bundle: FluentBundle<FluentResource>,
    /// The same catalogue with its own words HTML-escaped (for Matrix).
    html: FluentBundle<FluentResource>,
}

impl std::fmt::Debug for Catalogue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Catalogue")
    }
}

impl Catalogue {
    pub fn english() -> Result<Self, TextError> {
        Self::from_source(ENGLISH)
    }

    pub fn from_source(source: &str) -> Result<Self, TextError> {
        Ok(Self { bundle: bundle(source.to_owned())?, html: bundle(html_source(source))? })
    }

    pub fn has(&self, id: &str) -> bool {
        self.bundle.has_message(id)
    }

    /// Renders one line as plain text. An unknown id renders as the id itself (tests keep every id defined).
    pub fn line(&self, line: &Line) -> String {
        self.line_as(line, Markup::Plain)
    }

    /// Renders one line for a platform's markup. Outside text and people are
    /// rendered by `markup`; for HTML the catalogue's own words are escaped too.
    pub fn line_as(&self, line: &Line, markup: Markup) -> String {
        let bundle = if markup == Markup::Html { &self.html } else { &self.bundle };
        let Some(pattern) = bundle.get_message(line.id).and_then(|m| m.value()) else {
            return escape(markup, line.id);
        };
        let mut args = FluentArgs::new();
        for (name, value) in &line.args {
            let v = match value {
                Arg::Text(s) => FluentValue::from(escape(markup, &clean(s))),
                Arg::Linkable(s) if markup == Markup::Markdown => FluentValue::from(markdown_escape_keeping_links(&clean(s))),
                Arg::Linkable(s) => FluentValue::from(escape(markup, &clean(s))),
                Arg::Member { member, display } => FluentValue::from(person(markup, member, &clean(display))),
                Arg::Num(n) => FluentValue::from(*n),
                Arg::Secs(s) => FluentValue::from(duration_label(*s)),
                Arg::Place(channel) => FluentValue::from(place(markup, channel)),
            };
            args.set(*name, v);
        }
        let mut errors = Vec::new();
        bundle.format_pattern(pattern, Some(&args), &mut errors).into_owned()
    }

    /// Renders a whole message as plain text, one line per catalogue line.
    pub fn render(&self, message: &Message) -> String {
        self.render_as(message, Markup::Plain)
    }

    /// Renders a whole message for a platform (HTML lines are joined with `<br>`).
    pub fn render_as(&self, message: &Message, markup: Markup) -> String {
        let sep = if markup == Markup::Html { "<br>\n" } else { "\n" };
        message.lines.iter().map(|l| self.line_as(l, markup)).collect::<Vec<_>>().join(sep)
    }
}

fn bundle(source: String) -> Result<FluentBundle<FluentResource>, TextError> {
    let resource = FluentResource::try_new(source).map_err(|(_, errs)| TextError::Syntax(format!("{errs:?}")))?;
    let lang: LanguageIdentifier = "en".parse().map_err(|_| TextError::Syntax("bad language id".into()))?;
    let mut bundle = FluentBundle::new_concurrent(vec![lang]);
    // Isolation marks would show up as stray characters in terminals and chat.
    bundle.set_use_isolating(false);
    bundle.add_resource(resource).map_err(|errs| TextError::Duplicate(format!("{errs:?}")))?;
    Ok(bundle)
}

/// The catalogue with its own words HTML-escaped. Fluent's syntax never uses `&`
/// or `<`, and uses `>` only in the selector arrow `->`, which is kept.
fn html_source(source: &str) -> String {
    let mut out = String::with_capacity(source.len() + 64);
    let mut prev = '\0';
    for c in source.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' if prev != '-' => out.push_str("&gt;"),
            c => out.push(c),
        }
        prev = c;
    }
    out
}

/// Outside text, escaped for the platform's markup.
pub fn escape(markup: Markup, text: &str) -> String {
    match markup {
        Markup::Plain => text.to_owned(),
        Markup::Markdown => markdown_escape(text),
        Markup::Html => html_escape(text),
    }
}

/// A person, as the platform shows one without pinging them.
fn person(markup: Markup, member: &MemberRef, display: &str) -> String {
    match (markup, member.platform()) {
        (Markup::Markdown, Platform::Discord) if member.user().chars().all(|c| c.is_ascii_digit()) => format!("<@{}>", member.user()),
        (Markup::Html, Platform::Matrix) => {
            format!("<a href=\"https://matrix.to/#/{}\">{}</a>", matrix_to(member.user()), html_escape(display))
        }
        _ => escape(markup, display),
    }
}

/// A channel, thread or room, as the platform links one (the console names it).
fn place(markup: Markup, channel: &ChannelId) -> String {
    let raw = &clean(channel.raw());
    match (markup, channel.platform()) {
        (Markup::Markdown, Platform::Discord) if !raw.is_empty() && raw.chars().all(|c| c.is_ascii_digit()) => format!("<#{raw}>"),
        (Markup::Html, Platform::Matrix) => format!("<a href=\"https://matrix.to/#/{}\">{}</a>", matrix_to(raw), html_escape(raw)),
        (_, Platform::Console) => escape(markup, &format!("#{raw}")),
        _ => escape(markup, raw),
    }
}

/// Escapes every character Discord's Markdown gives a meaning to (formatting,
/// links, headings, lists, quotes, spoilers, mentions, emoji and timestamps).
pub fn markdown_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_markdown_special(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn is_markdown_special(c: char) -> bool {
    matches!(c, '\\' | '*' | '_' | '~' | '`' | '|' | '>' | '<' | '#' | '-' | '[' | ']' | '(' | ')' | '@' | ':' | '.' | '+' | '!')
}

/// Like [`markdown_escape`], but a plain `https://` or `http://` address stays
/// clickable: inside it only what could end it or start markup is escaped. Only
/// for text a moderator may put links in (the crisis resources card).
pub fn markdown_escape_keeping_links(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut in_url = false;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            in_url = false;
        } else if !in_url && (text[i..].starts_with("https://") || text[i..].starts_with("http://")) {
            in_url = true;
        }
        let special = if in_url {
            matches!(c, '\\' | '*' | '_' | '~' | '`' | '|' | '>' | '<' | '@' | '(' | ')' | '[' | ']')
        } else {
            is_markdown_special(c)
        };
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Escapes text for HTML element content and attribute values.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A Matrix user id in a matrix.to link, percent-encoding all but the safe characters.
fn matrix_to(user: &str) -> String {
    let mut out = String::with_capacity(user.len());
    for b in user.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'@' | b':' | b'.' | b'-' | b'_' | b'=' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Removes invisible and direction-changing characters and control codes.
pub fn clean(text: &str) -> String {
    text.chars().filter(|c| !is_invisible_control(*c) && (!c.is_control() || *c == '\n')).collect()
}

pub use crate::core::duration::label as duration_label;

#[cfg(test)]
mod tests;
