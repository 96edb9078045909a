//! Shipped decks with a community's own changes on top.
//!
//! A community doesn't keep a copy of the shipped decks. It keeps, per deck
//! name, only what its moderators changed ([`Changes`]), and sees the shipped
//! deck with those changes layered over it ([`effective`]). So a corrected
//! shipped card reaches every community whose moderators didn't change that
//! card. The core's commands work on the decks the community sees; the store
//! turns them back into changes ([`diff`]) when it writes them.
//!
//! Communities written before this (format 1 and 2) kept full copies. A
//! stored copy is read as the community's own version only where it differs
//! both from the deck it was copied from (release 0.1.0's, embedded here) and
//! from the current shipped deck ([`Stored::Full`]).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{Card, Deck, parse_file};
use crate::core::ids::Slug;

/// What a community stores for one deck name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Changes {
    /// The community's own whole deck: one its moderators added, or imported
    /// over a shipped one. Shipped changes never reach it.
    Own { deck: Deck },
    /// A shipped deck the moderators removed.
    Removed,
    /// A shipped deck with the moderators' changes; everything else follows
    /// the shipped deck.
    Layered(Layer),
}

/// The moderators' changes to one shipped deck.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Layer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Shipped cards the moderators removed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<Slug>,
    /// Shipped cards switched off (or on) and otherwise unchanged, so a
    /// corrected text still reaches them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub switched: Vec<Switch>,
    /// Shipped cards the moderators edited, kept whole: later shipped changes
    /// to these cards don't reach the community.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub edited: Vec<Card>,
    /// Cards the moderators added, after the shipped ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub added: Vec<Card>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Switch {
    pub id: Slug,
    pub enabled: bool,
}

/// A stored deck row as read back.
#[derive(Clone, Debug, PartialEq)]
pub enum Stored {
    /// Format 3 and later: the community's changes.
    Changes(Changes),
    /// Formats 1 and 2: the full copy a community kept of every deck.
    Full(Deck),
}

/// What to store for one deck name, given the shipped deck and the deck the
/// community sees; `None` means no row at all (the community sees the shipped
/// deck unchanged, or there is no such deck).
pub fn diff(shipped: Option<&Deck>, deck: Option<&Deck>) -> Option<Changes> {
    match (shipped, deck) {
        (None, None) => None,
        (Some(_), None) => Some(Changes::Removed),
        (None, Some(d)) => Some(Changes::Own { deck: d.clone() }),
        (Some(s), Some(d)) if d.own || d.practices != s.practices => Some(Changes::Own { deck: d.clone() }),
        (Some(s), Some(d)) if d.cards == s.cards && d.title == s.title && d.description == s.description && d.enabled == s.enabled => None,
        (Some(s), Some(d)) => Some(Changes::Layered(layer(s, d))),
    }
}

/// The changes that turn `s` into `d`. The cards that keep their shipped place
/// are the longest run at the start of `d` whose ids come in shipped order;
/// every card after it is an added one (a shipped id among them counts as
/// removed and added again). Applying the result to `s` gives `d` exactly.
fn layer(s: &Deck, d: &Deck) -> Layer {
    let mut next = 0;
    let mut kept = 0;
    for c in &d.cards {
        let Some(i) = s.cards.get(next..).and_then(|rest| rest.iter().position(|x| x.id == c.id)) else { break };
        next += i + 1;
        kept += 1;
    }
    let (in_place, added) = d.cards.split_at(kept);
    let mut l = Layer {
        title: (d.title != s.title).then(|| d.title.clone()),
        description: (d.description != s.description).then(|| d.description.clone()),
        enabled: (d.enabled != s.enabled).then_some(d.enabled),
        added: added.to_vec(),
        ..Layer::default()
    };
    for sc in &s.cards {
        match in_place.iter().find(|c| c.id == sc.id) {
            None => l.removed.push(sc.id.clone()),
            Some(c) if c == sc => {}
            Some(c) if same_but_enabled(c, sc) => l.switched.push(Switch { id: c.id.clone(), enabled: c.enabled }),
            Some(c) => l.edited.push(c.clone()),
        }
    }
    l
}

fn same_but_enabled(a: &Card, b: &Card) -> bool {
    Card { enabled: b.enabled, ..a.clone() } == *b
}

/// A card the community sees, and whether it is the community's own (added,
/// edited, or in its own deck) rather than a shipped card.
struct Seen {
    card: Card,
    own: bool,
}

struct Building {
    deck: Deck,
    cards: Vec<Seen>,
}

impl Building {
    fn shipped(s: &Deck) -> Self {
        let cards = s.cards.iter().map(|c| Seen { card: c.clone(), own: false }).collect();
        Self { deck: Deck { cards: Vec::new(), own: false, ..s.clone() }, cards }
    }
    fn own(mut d: Deck) -> Self {
        let cards = std::mem::take(&mut d.cards).into_iter().map(|card| Seen { card, own: true }).collect();
        d.own = true;
        Self { deck: d, cards }
    }
}

/// The decks a community sees: the shipped decks with its stored changes on
/// top. `legacy` says the community was written before changes were stored
/// (format 1 or 2): then a shipped deck of release 0.1.0 without a row was
/// removed by its moderators.
pub fn effective(shipped: &[Deck], stored: Vec<(String, Stored)>, legacy: bool) -> Vec<Deck> {
    let released = released_0_1_0();
    let base = |name: &str| released.iter().find(|d| d.name.as_str() == name);
    let mut rows: BTreeMap<String, Stored> = stored.into_iter().collect();
    let mut out: Vec<Building> = Vec::new();
    for s in shipped {
        match rows.remove(s.name.as_str()) {
            None if legacy && base(s.name.as_str()).is_some() => {}
            None => out.push(Building::shipped(s)),
            Some(Stored::Changes(Changes::Removed)) => {}
            Some(Stored::Changes(Changes::Own { deck })) => out.push(Building::own(deck)),
            Some(Stored::Changes(Changes::Layered(l))) => out.push(apply(s, &l)),
            Some(Stored::Full(copy)) => out.push(from_copy(s, base(s.name.as_str()), copy)),
        }
    }
    // Rows for decks nothing ships (any more): the community's own content stays.
    for (name, row) in rows {
        match row {
            Stored::Full(d) | Stored::Changes(Changes::Own { deck: d }) => out.push(Building::own(d)),
            Stored::Changes(Changes::Layered(l)) if !(l.edited.is_empty() && l.added.is_empty()) => {
                let Ok(name) = Slug::parse(&name) else { continue };
                let title = l.title.clone().unwrap_or_else(|| name.to_string());
                let cards: Vec<Card> = l.edited.into_iter().chain(l.added).collect();
                out.push(Building::own(Deck {
                    name,
                    title,
                    description: l.description.unwrap_or_default(),
                    enabled: l.enabled.unwrap_or(true),
                    cards,
                    practices: Vec::new(),
                    own: true,
                }));
            }
            Stored::Changes(_) => {}
        }
    }
    // Card ids are unique in a community. Where a shipped card's id is also the
    // id of one of the community's own cards (a later release shipped an id a
    // moderator had already used), the community's card wins.
    let own_ids: BTreeSet<Slug> = out.iter().flat_map(|b| &b.cards).filter(|s| s.own).map(|s| s.card.id.clone()).collect();
    out.sort_by(|a, b| a.deck.name.cmp(&b.deck.name));
    out.into_iter()
        .map(|b| {
            let cards = b.cards.into_iter().filter(|s| s.own || !own_ids.contains(&s.card.id)).map(|s| s.card).collect();
            Deck { cards, ..b.deck }
        })
        .collect()
}

fn apply(s: &Deck, l: &Layer) -> Building {
    let mut b = Building::shipped(s);
    b.cards.clear();
    for sc in &s.cards {
        if l.removed.contains(&sc.id) {
            continue;
        }
        if let Some(e) = l.edited.iter().find(|c| c.id == sc.id) {
            b.cards.push(Seen { card: e.clone(), own: true });
            continue;
        }
        let mut card = sc.clone();
        if let Some(sw) = l.switched.iter().find(|x| x.id == sc.id) {
            card.enabled = sw.enabled;
        }
        b.cards.push(Seen { card, own: false });
    }
    // An edited card whose shipped card is gone stays, as the community's own.
    let gone = l.edited.iter().filter(|e| !s.cards.iter().any(|c| c.id == e.id));
    b.cards.extend(gone.chain(&l.added).map(|c| Seen { card: c.clone(), own: true }));
    if let Some(t) = &l.title {
        b.deck.title = t.clone();
    }
    if let Some(d) = &l.description {
        b.deck.description = d.clone();
    }
    if let Some(e) = l.enabled {
        b.deck.enabled = e;
    }
    b
}

/// A full copy kept before format 3, read against the shipped deck `s` and
/// the deck it was copied from (`base`, release 0.1.0's). A card counts as
/// the community's own only if it differs from both; a shipped card missing
/// from the copy was removed by the moderators if the copy's base had it, and
/// is new since otherwise. A copy whose practices match neither was imported,
/// and stays the community's own whole deck.
fn from_copy(s: &Deck, base: Option<&Deck>, copy: Deck) -> Building {
    let in_base = |id: &Slug| base.and_then(|b| b.cards.iter().find(|c| &c.id == id));
    if copy.practices != s.practices && base.is_none_or(|b| copy.practices != b.practices) {
        return Building::own(copy);
    }
    let mut b = Building::shipped(s);
    b.cards.clear();
    for sc in &s.cards {
        let Some(kept) = copy.cards.iter().find(|c| c.id == sc.id) else {
            if in_base(&sc.id).is_none() {
                b.cards.push(Seen { card: sc.clone(), own: false });
            }
            continue;
        };
        let was = in_base(&sc.id);
        if kept == sc || same_but_enabled(kept, sc) || was.is_some_and(|w| kept == w || same_but_enabled(kept, w)) {
            b.cards.push(Seen { card: Card { enabled: kept.enabled, ..sc.clone() }, own: false });
        } else {
            b.cards.push(Seen { card: kept.clone(), own: true });
        }
    }
    for kept in copy.cards.iter().filter(|c| !s.cards.iter().any(|sc| sc.id == c.id)) {
        // A card of the base that was since dropped from the shipped deck goes with it.
        if in_base(&kept.id).is_some_and(|w| kept == w || same_but_enabled(kept, w)) {
            continue;
        }
        b.cards.push(Seen { card: kept.clone(), own: true });
    }
    let followed = |kept: &str, shipped: &str, was: Option<&str>| kept == shipped || was == Some(kept);
    if !followed(&copy.title, &s.title, base.map(|d| d.title.as_str())) {
        b.deck.title = copy.title.clone();
    }
    if !followed(&copy.description, &s.description, base.map(|d| d.description.as_str())) {
        b.deck.description = copy.description.clone();
    }
    if copy.enabled != s.enabled && base.is_none_or(|d| copy.enabled != d.enabled) {
        b.deck.enabled = copy.enabled;
    }
    b
}

/// The decks release 0.1.0 shipped: what every community of formats 1 and 2
/// copied at creation. They are checked by tests, so a failure to parse is a
/// build defect; a deck that fails is simply not known as a base.
fn released_0_1_0() -> Vec<Deck> {
    RELEASED_0_1_0.iter().filter_map(|src| parse_file(src).ok()).collect()
}

const RELEASED_0_1_0: [&str; 5] = [
    include_str!("shipped-0.1.0/check-in.toml"),
    include_str!("shipped-0.1.0/sharing.toml"),
    include_str!("shipped-0.1.0/closing.toml"),
    include_str!("shipped-0.1.0/self-reflection.toml"),
    include_str!("shipped-0.1.0/practices.toml"),
];

#[cfg(test)]
pub(super) fn released_decks() -> Vec<Deck> {
    released_0_1_0()
}

#[cfg(test)]
mod tests;
