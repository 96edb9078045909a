//! Names a platform can offer while someone types (Discord's autocomplete):
//! the community's decks, card ids, templates and practices. Read from the
//! state, never changing it; nothing a member wrote is among them.

use super::state::State;

/// Which names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Names {
    Decks,
    Cards,
    Templates,
    Practices,
}

/// The names of `what` that contain `typed` (case-insensitively), sorted, at most `most`.
pub fn names(state: &State, what: Names, typed: &str, most: usize) -> Vec<String> {
    let typed = typed.trim().to_lowercase();
    let all: Vec<String> = match what {
        Names::Decks => state.decks.keys().map(ToString::to_string).collect(),
        Names::Cards => state.decks.values().flat_map(|d| d.cards.iter().map(|c| c.id.to_string())).collect(),
        Names::Templates => state.community.templates.iter().map(|t| t.name.clone()).collect(),
        Names::Practices => state.decks.values().flat_map(|d| d.practices.iter().map(|p| p.name.to_string())).collect(),
    };
    let mut out: Vec<String> = all.into_iter().filter(|n| n.to_lowercase().contains(&typed)).collect();
    out.sort();
    out.dedup();
    // What starts with the typed text comes first.
    out.sort_by_key(|n| !n.to_lowercase().starts_with(&typed));
    out.truncate(most);
    out
}
