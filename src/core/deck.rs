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
    /// Near-duplicate cards share a group; two cards of one group never meet in a circle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
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
    /// Whether this is the community's own whole deck (added, or imported over a
    /// shipped one), which shipped changes never reach. Not stored in the deck: the
    /// store knows it from the kind of row (see [`layer`]).
    #[serde(skip)]
    pub own: bool,
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
    pub min_intensity: Option<Intensity>,
    pub exclude_cw: &'a [String],
    pub exclude_ids: &'a [Slug],
    /// Only cards without any content-warning tag.
    pub no_warnings: bool,
    /// Groups already used (near-duplicates of cards already drawn).
    pub exclude_groups: &'a [String],
}

impl Filter<'_> {
    fn admits(&self, card: &Card) -> bool {
        card.enabled
            && self.kind.is_none_or(|k| card.kind == k)
            && (self.themes.is_empty() || self.themes.contains(&card.theme))
            && self.max_intensity.is_none_or(|m| card.intensity <= m)
            && self.min_intensity.is_none_or(|m| card.intensity >= m)
            && !card.cw.iter().any(|c| self.exclude_cw.contains(c))
            && (!self.no_warnings || card.cw.is_empty())
            && !self.exclude_ids.contains(&card.id)
            && card.group.as_ref().is_none_or(|g| !self.exclude_groups.contains(g))
    }
}

/// The groups of the given cards (to keep their near-duplicates out of the same circle).
pub fn groups_of<'d>(decks: impl IntoIterator<Item = &'d Deck>, ids: &[Slug]) -> Vec<String> {
    decks.into_iter().flat_map(|d| d.cards.iter()).filter(|c| ids.contains(&c.id)).filter_map(|c| c.group.clone()).collect()
}

/// Finds a card by id in any deck.
pub fn find<'d>(decks: impl IntoIterator<Item = &'d Deck>, id: &Slug) -> Option<&'d Card> {
    decks.into_iter().flat_map(|d| d.cards.iter()).find(|c| &c.id == id)
}

/// Draws one enabled card from enabled decks that passes the filter.
pub fn draw<'d>(decks: impl IntoIterator<Item = &'d Deck>, filter: &Filter<'_>, rng: &mut impl Rng) -> Option<&'d Card> {
    let fits: Vec<&Card> = decks.into_iter().filter(|d| d.enabled).flat_map(|d| d.cards.iter()).filter(|c| filter.admits(c)).collect();
    if fits.is_empty() {
        return None;
    }
    Some(fits[rng.below(fits.len())])
}

/// A deck's cards counted per kind, theme and intensity, for `deck validate`.
/// Kinds and themes with no cards are left out; intensities are always shown.
pub fn counts(deck: &Deck) -> String {
    let kinds = [Kind::CheckIn, Kind::Sharing, Kind::Closing, Kind::ListenerGuide, Kind::SelfReflection];
    let per = |name: &str, n: usize| format!("{name} {n}");
    let kind: Vec<String> = kinds
        .iter()
        .map(|k| (k.as_str(), deck.cards.iter().filter(|c| c.kind == *k).count()))
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| per(k, n))
        .collect();
    let theme: Vec<String> = Theme::ALL
        .iter()
        .map(|t| (t.as_str(), deck.cards.iter().filter(|c| c.theme == *t).count()))
        .filter(|(_, n)| *n > 0)
        .map(|(t, n)| per(t, n))
        .collect();
    let intensity: Vec<String> = [Intensity::Light, Intensity::Medium, Intensity::Deep]
        .iter()
        .map(|i| per(i.as_str(), deck.cards.iter().filter(|c| c.intensity == *i).count()))
        .collect();
    let with_cw = deck.cards.iter().filter(|c| !c.cw.is_empty()).count();
    format!(
        "kind: {}; theme: {}; intensity: {}; with content warnings: {with_cw}",
        if kind.is_empty() { "none".to_owned() } else { kind.join(", ") },
        if theme.is_empty() { "none".to_owned() } else { theme.join(", ") },
        intensity.join(", ")
    )
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

pub mod layer;

#[cfg(test)]
mod tests;
