//! Turns the core's structured messages into text. Every sentence comes from
//! the Fluent catalogue in `locales/`; text from members, moderators and
//! decks is cleaned of invisible characters before it is placed.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

use crate::core::effect::{Arg, Line, Message};
use crate::core::textcheck::is_invisible_control;

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
        let resource = FluentResource::try_new(source.to_owned()).map_err(|(_, errs)| TextError::Syntax(format!("{errs:?}")))?;
        let lang: LanguageIdentifier = "en".parse().map_err(|_| TextError::Syntax("bad language id".into()))?;
        let mut bundle = FluentBundle::new_concurrent(vec![lang]);
        // Isolation marks would show up as stray characters in terminals and chat.
        bundle.set_use_isolating(false);
        bundle.add_resource(resource).map_err(|errs| TextError::Duplicate(format!("{errs:?}")))?;
        Ok(Self { bundle })
    }

    pub fn has(&self, id: &str) -> bool {
        self.bundle.has_message(id)
    }

    /// Renders one line. An unknown id renders as the id itself (tests keep every id defined).
    pub fn line(&self, line: &Line) -> String {
        let Some(pattern) = self.bundle.get_message(line.id).and_then(|m| m.value()) else {
            return line.id.to_owned();
        };
        let mut args = FluentArgs::new();
        for (name, value) in &line.args {
            let v = match value {
                Arg::Text(s) => FluentValue::from(clean(s)),
                Arg::Num(n) => FluentValue::from(*n),
                Arg::Secs(s) => FluentValue::from(duration_label(*s)),
            };
            args.set(*name, v);
        }
        let mut errors = Vec::new();
        self.bundle.format_pattern(pattern, Some(&args), &mut errors).into_owned()
    }

    /// Renders a whole message, one line per catalogue line.
    pub fn render(&self, message: &Message) -> String {
        message.lines.iter().map(|l| self.line(l)).collect::<Vec<_>>().join("\n")
    }
}

/// Removes invisible and direction-changing characters and control codes.
pub fn clean(text: &str) -> String {
    text.chars().filter(|c| !is_invisible_control(*c) && (!c.is_control() || *c == '\n')).collect()
}

/// `45 s`, `5 min`, `4 min 30 s`, `1 h 5 min`.
pub fn duration_label(secs: i64) -> String {
    let secs = secs.max(0);
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    match (h, m, s) {
        (0, 0, s) => format!("{s} s"),
        (0, m, 0) => format!("{m} min"),
        (0, m, s) => format!("{m} min {s} s"),
        (h, 0, _) => format!("{h} h"),
        (h, m, _) => format!("{h} h {m} min"),
    }
}

#[cfg(test)]
mod tests;
