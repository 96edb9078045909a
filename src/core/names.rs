//! Names a platform can offer while someone types (Discord's autocomplete):
//! the community's decks, card ids, templates and practices, and the members
//! seated in a channel's circle (for host tools). Read from the state, never
//! changing it; nothing a member wrote is among them.

use super::ids::ChannelId;
use super::state::State;

/// Which names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Names {
    Decks,
    Cards,
    Templates,
    Practices,
    /// The members seated in the live circle of this channel.
    Seated(ChannelId),
}

/// One name: what is shown, and the platform user id behind it for a member
/// (`None` for a deck, card, template or practice, whose shown name is the value).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Named {
    pub label: String,
    pub user: Option<String>,
}

/// The names of `what` whose label contains `typed` (case-insensitively): those that
/// start with it first, each group in order, at most `most`.
pub fn names(state: &State, what: &Names, typed: &str, most: usize) -> Vec<Named> {
    let typed = typed.trim().to_lowercase();
    let plain = |v: Vec<String>| v.into_iter().map(|label| Named { label, user: None }).collect::<Vec<_>>();
    let mut all: Vec<Named> = match what {
        Names::Decks => plain(state.decks.keys().map(ToString::to_string).collect()),
        Names::Cards => plain(state.decks.values().flat_map(|d| d.cards.iter().map(|c| c.id.to_string())).collect()),
        Names::Templates => plain(state.community.templates.iter().map(|t| t.name.clone()).collect()),
        Names::Practices => plain(state.decks.values().flat_map(|d| d.practices.iter().map(|p| p.name.to_string())).collect()),
        Names::Seated(channel) => state
            .circle_in(channel)
            .and_then(|id| state.circles.get(&id))
            .map(|c| c.seats.iter().map(|s| Named { label: s.display.clone(), user: Some(s.member.user().to_owned()) }).collect())
            .unwrap_or_default(),
    };
    all.retain(|n| n.label.to_lowercase().contains(&typed));
    // Seats keep the circle's order; everything else is sorted by name.
    if !matches!(what, Names::Seated(_)) {
        all.sort_by(|a, b| a.label.cmp(&b.label));
        all.dedup();
    }
    all.sort_by_key(|n| !n.label.to_lowercase().starts_with(&typed));
    all.truncate(most);
    all
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::core::ids::{CommunityId, Platform};
    use crate::core::state::Community;

    fn state() -> State {
        let id = CommunityId::parse(Platform::Console, "test").unwrap();
        let decks = crate::core::deck::default_decks().unwrap();
        State::new(Community::new(id, "help".into()), decks, &crate::core::safety::Rules::default())
    }

    fn labels(v: Vec<Named>) -> Vec<String> {
        v.into_iter().map(|n| n.label).collect()
    }

    #[test]
    fn names_match_what_is_typed_those_that_start_with_it_first_and_at_most_as_many_as_asked() {
        let st = state();
        let decks = labels(names(&st, &Names::Decks, "", 25));
        assert!(decks.contains(&"check-in".to_owned()) && decks.windows(2).all(|w| w[0] <= w[1]), "{decks:?}");
        assert_eq!(labels(names(&st, &Names::Decks, "IN", 25))[0], "check-in", "case does not matter");
        let cards = labels(names(&st, &Names::Cards, "closing", 3));
        assert_eq!(cards.len(), 3);
        assert!(cards.iter().all(|c| c.starts_with("closing")));
        assert_eq!(labels(names(&st, &Names::Templates, "sh", 25)), ["short"]);
        let ch = ChannelId::parse(Platform::Console, "nowhere").unwrap();
        assert!(names(&st, &Names::Seated(ch), "", 25).is_empty(), "no circle, nobody seated");
        assert!(names(&st, &Names::Cards, "", 25).iter().all(|n| n.user.is_none()));
    }
}
