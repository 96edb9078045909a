//! Cards, decks and practices; the deck file format; drawing with an
//! injected RNG. Deck files are parsed here (pure), so the CLI, the console
//! and `deck import` on every platform share one validator.

use serde::{Deserialize, Serialize};

use super::ids::Slug;
use super::rng::Rng;

mod file;

pub use file::{check_file, parse_file, to_file};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    CheckIn,
    Sharing,
    Closing,
    ListenerGuide,
    SelfReflection,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::CheckIn => "check-in",
            Kind::Sharing => "sharing",
            Kind::Closing => "closing",
            Kind::ListenerGuide => "listener-guide",
            Kind::SelfReflection => "self-reflection",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Kind::CheckIn, Kind::Sharing, Kind::Closing, Kind::ListenerGuide, Kind::SelfReflection].into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Theme {
    Emotions,
    Body,
    Needs,
    InnerVoice,
    SelfRespect,
    Presence,
    Relationships,
    Rest,
}

impl Theme {
    pub const ALL: [Theme; 8] = [
        Theme::Emotions,
        Theme::Body,
        Theme::Needs,
        Theme::InnerVoice,
        Theme::SelfRespect,
        Theme::Presence,
        Theme::Relationships,
        Theme::Rest,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Emotions => "emotions",
            Theme::Body => "body",
            Theme::Needs => "needs",
            Theme::InnerVoice => "inner-voice",
            Theme::SelfRespect => "self-respect",
            Theme::Presence => "presence",
            Theme::Relationships => "relationships",
            Theme::Rest => "rest",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Intensity {
    Light,
    Medium,
    Deep,
}

impl Intensity {
    pub fn as_str(self) -> &'static str {
        match self {
            Intensity::Light => "light",
            Intensity::Medium => "medium",
            Intensity::Deep => "deep",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "light" => Some(Intensity::Light),
            "medium" => Some(Intensity::Medium),
            "deep" => Some(Intensity::Deep),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Card {
    pub id: Slug,
    pub kind: Kind,
    pub theme: Theme,
    pub intensity: Intensity,
    #[serde(default)]
    pub cw: Vec<String>,
    pub text: String,
    /// The paired listener guide; present exactly on sharing cards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guide: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Practice {
    pub name: Slug,
    pub title: String,
    pub theme: Theme,
    pub steps: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deck {
    pub name: Slug,
    pub title: String,
    pub description: String,
    pub enabled: bool,
    pub cards: Vec<Card>,
    pub practices: Vec<Practice>,
}

/// A problem in a deck file, with the line it is on when known.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
pub struct DeckFileError {
    pub line: Option<usize>,
    pub message: String,
}

/// Which cards a draw may return.
#[derive(Clone, Debug, Default)]
pub struct Filter<'a> {
    pub kind: Option<Kind>,
    pub themes: &'a [Theme],
    pub max_intensity: Option<Intensity>,
    pub exclude_cw: &'a [String],
    pub exclude_ids: &'a [Slug],
    /// Only cards without any content-warning tag.
    pub no_warnings: bool,
}

impl Filter<'_> {
    fn admits(&self, card: &Card) -> bool {
        card.enabled
            && self.kind.is_none_or(|k| card.kind == k)
            && (self.themes.is_empty() || self.themes.contains(&card.theme))
            && self.max_intensity.is_none_or(|m| card.intensity <= m)
            && !card.cw.iter().any(|c| self.exclude_cw.contains(c))
            && (!self.no_warnings || card.cw.is_empty())
            && !self.exclude_ids.contains(&card.id)
    }
}

/// Draws one enabled card from enabled decks that passes the filter.
pub fn draw<'d>(decks: impl IntoIterator<Item = &'d Deck>, filter: &Filter<'_>, rng: &mut impl Rng) -> Option<&'d Card> {
    let fits: Vec<&Card> = decks.into_iter().filter(|d| d.enabled).flat_map(|d| d.cards.iter()).filter(|c| filter.admits(c)).collect();
    if fits.is_empty() {
        return None;
    }
    Some(fits[rng.below(fits.len())])
}

/// The decks shipped in `config/decks/`, embedded so the binary runs anywhere.
pub const DEFAULT_DECK_FILES: [(&str, &str); 5] = [
    ("check-in", include_str!("../../config/decks/check-in.toml")),
    ("sharing", include_str!("../../config/decks/sharing.toml")),
    ("closing", include_str!("../../config/decks/closing.toml")),
    ("self-reflection", include_str!("../../config/decks/self-reflection.toml")),
    ("practices", include_str!("../../config/decks/practices.toml")),
];

/// Parses the embedded default decks. They are checked by tests, so a
/// failure here is a build defect; it still surfaces as an error, not a panic.
pub fn default_decks() -> Result<Vec<Deck>, DeckFileError> {
    DEFAULT_DECK_FILES.iter().map(|(_, src)| parse_file(src)).collect()
}

#[cfg(test)]
mod tests;
