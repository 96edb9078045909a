//! A message, rendered for Matrix: a plain `body` and an HTML
//! `formatted_body` from the same catalogue lines (outside text escaped in
//! both, people as pills in HTML), `m.mentions` empty so nobody is pinged
//! (and no `@room` in content can notify a room), the reactions it offers
//! with a line saying which does what, and the thread it belongs to.
//!
//! The catalogue speaks of commands as `/word`; on Matrix the same lines say
//! the configured prefix (`!attune word`). Only the catalogue's own words are
//! rewritten, never outside text.

use serde_json::{Value, json};

use super::reactions::{self, FIELD};
use crate::core::effect::{Action, Line, Message};
use crate::text::{Catalogue, ENGLISH, Markup, TextError};

/// The message type of what attune sends that notifies nobody: a notice, which
/// clients show as a bot's and other bots don't answer.
const MSGTYPE: &str = "m.notice";
/// The message type of what notifies its one person (a turn's speaker, a
/// private message they must see): Element's default rules silence notices
/// before any mention rule, so these go as text, mentioning that one person.
const MSGTYPE_NOTIFY: &str = "m.text";

/// The English catalogue with `/command` written as `PREFIX command`.
pub fn command_catalogue(prefix: &str) -> Result<Catalogue, TextError> {
    Catalogue::from_source(&with_prefix(ENGLISH, prefix))
}

/// Rewrites `/word` where a command starts (at the start of a line or after a
/// space, bracket or quote) into `PREFIX word`. Addresses (`https://…`) and
/// words like `and/or` are left alone.
pub(super) fn with_prefix(source: &str, prefix: &str) -> String {
    let mut out = String::with_capacity(source.len() + 256);
    let mut prev = '\n';
    let mut chars = source.chars().peekable();
    while let Some(c) = chars.next() {
        let starts_command = c == '/'
            && matches!(prev, '\n' | ' ' | '(' | '"' | '“' | '‘' | '\'' | '`')
            && chars.peek().is_some_and(char::is_ascii_lowercase);
        if starts_command {
            out.push_str(prefix);
            out.push(' ');
        } else {
            out.push(c);
        }
        prev = c;
    }
    out
}

/// A message ready to send.
pub(super) struct Rendered {
    pub(super) body: String,
    pub(super) html: String,
    /// Reaction key → encoded action, for the actions the message offers.
    pub(super) offers: Vec<(String, String)>,
    /// The one user the message notifies, if any.
    pub(super) notify: Option<String>,
}

pub(super) fn render(catalogue: &Catalogue, message: &Message) -> Rendered {
    let mut body = catalogue.render_as(message, Markup::Plain);
    let mut html = catalogue.render_as(message, Markup::Html);
    let mut offers = Vec::new();
    let mut choices = Vec::new();
    for action in &message.actions {
        let key = reactions::key_of(*action);
        let label = match action {
            Action::Pulse(_, n) => n.to_string(),
            a => catalogue.line(&Line::new(a.label_id())),
        };
        offers.push((key.to_owned(), reactions::encode(*action)));
        choices.push(format!("{key} {label}"));
    }
    if !offers.is_empty() {
        let legend = Line::new("matrix-react").text("choices", choices.join(" · "));
        body.push_str(&format!("\n{}", catalogue.line_as(&legend, Markup::Plain)));
        html.push_str(&format!("<br>\n<em>{}</em>", catalogue.line_as(&legend, Markup::Html)));
    }
    Rendered { body, html, offers, notify: message.notify.as_ref().map(|m| m.user().to_owned()) }
}

/// The event content of a rendered message, in a thread if `thread` names its root.
pub(super) fn content(rendered: &Rendered, thread: Option<&str>) -> Value {
    let mut content = json!({
        "msgtype": MSGTYPE,
        "body": rendered.body,
        "format": "org.matrix.custom.html",
        "formatted_body": rendered.html,
        // Present and empty: nobody is mentioned, and clients skip the old
        // body-based rules (display names, `@room`) that could ping anyone.
        "m.mentions": {},
    });
    if let Some(user) = &rendered.notify {
        // The one person it addresses, and nobody else.
        content["msgtype"] = json!(MSGTYPE_NOTIFY);
        content["m.mentions"] = json!({ "user_ids": [user] });
    }
    if !rendered.offers.is_empty() {
        let offers: serde_json::Map<String, Value> = rendered.offers.iter().map(|(k, a)| (k.clone(), Value::String(a.clone()))).collect();
        content[FIELD] = Value::Object(offers);
    }
    if let Some(root) = thread {
        content["m.relates_to"] = json!({
            "rel_type": "m.thread",
            "event_id": root,
            // Clients without threads show it as a reply to the invitation.
            "is_falling_back": true,
            "m.in_reply_to": { "event_id": root },
        });
    }
    content
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_in_the_catalogue_read_with_the_prefix_and_nothing_else_changes() {
        let src = "a = Join with /circle join. (or /pass)\nb = see https://example.org/help and/or /help\n/start";
        let out = with_prefix(src, "!attune");
        assert_eq!(
            out,
            "a = Join with !attune circle join. (or !attune pass)\nb = see https://example.org/help and/or !attune help\n!attune start"
        );
        let catalogue = command_catalogue("!attune").unwrap();
        let hint = catalogue.line(&Line::new("circle-join-hint"));
        assert!(hint.contains("!attune circle join") && !hint.contains("/circle"), "{hint}");
    }

    #[test]
    fn outside_text_is_escaped_in_html_and_nobody_is_mentioned() {
        let catalogue = command_catalogue("!attune").unwrap();
        let m = Message::info(Line::new("circle-join-hint"));
        let r = render(&catalogue, &m);
        let c = content(&r, Some("$root"));
        assert_eq!(c["m.mentions"], json!({}), "m.mentions is present and empty");
        assert_eq!(c["m.relates_to"]["rel_type"], "m.thread");
        assert!(c.get(FIELD).is_none(), "a message without actions offers no reactions");
    }
}
