//! Facts in, decisions out: what a platform says about a person or a place,
//! and the one rule the core draws from it. Adapters report what they were
//! told (this member has Manage Server, holds power level 50, was named a
//! moderator by whoever runs attune; this room is marked direct and has two
//! people in it); they never decide who moderates or what is private
//! themselves, so the rule can't disagree with itself across paths or
//! platforms.

use super::ids::MemberRef;
use super::input::Actor;

/// The power level (Matrix) from which a member moderates: Element's "Moderator".
pub const MODERATOR_POWER: i64 = 50;

/// What the platform says about a member's standing in a community.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Standing {
    /// The platform's own "manages this community" right, as it resolved it:
    /// Discord's Manage Server for this interaction, or at this member's last
    /// interaction where the event itself doesn't say (a message's author).
    pub manages: bool,
    /// Named a moderator by whoever runs attune: a configured user id or role,
    /// the console's `--moderator`.
    pub named: bool,
    /// The highest power level the member holds in the community's rooms
    /// (Matrix), where the platform has them.
    pub power: Option<i64>,
    /// Named a host by whoever runs attune (a configured role or user id, the
    /// console's `--host`).
    pub host: bool,
}

impl Standing {
    /// Whether these facts make someone a moderator of the community: the one rule.
    pub fn moderates(&self) -> bool {
        self.manages || self.named || self.power.is_some_and(|p| p >= MODERATOR_POWER)
    }
}

impl Actor {
    /// The member as the core sees them, from what the platform said about them.
    pub fn from_facts(member: MemberRef, display: String, standing: &Standing) -> Self {
        Actor { member, display, moderator: standing.moderates(), host: standing.host }
    }
}

/// Whether a place the platform marks as a direct chat is private to one
/// member: only while that member and attune are the only people in it,
/// joined or invited. A third person, even one invited who never came, makes
/// it shared, and nothing private is sent there any more.
pub fn private_place(direct: bool, people: u64) -> bool {
    direct && people <= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moderator_is_one_the_platform_says_manages_or_one_who_was_named_or_one_with_enough_power() {
        assert!(!Standing::default().moderates(), "nobody is a moderator by default");
        assert!(Standing { manages: true, ..Standing::default() }.moderates());
        assert!(Standing { named: true, ..Standing::default() }.moderates());
        assert!(Standing { power: Some(MODERATOR_POWER), ..Standing::default() }.moderates());
        assert!(!Standing { power: Some(MODERATOR_POWER - 1), ..Standing::default() }.moderates(), "49 is not enough");
        assert!(!Standing { power: Some(0), manages: false, named: false, host: false }.moderates());
    }

    #[test]
    fn a_direct_chat_is_private_only_while_two_people_are_in_it() {
        assert!(private_place(true, 2));
        assert!(private_place(true, 1), "attune alone, the member invited");
        assert!(!private_place(true, 3), "a third person makes it shared");
        assert!(!private_place(false, 2), "two people in a room not marked direct is just a small room");
    }
}
