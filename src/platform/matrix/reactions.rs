//! Reactions as buttons. Each of the bot's messages that offers actions says
//! which reaction does what, and carries, inside its own content (so inside
//! the encryption of an encrypted room), the map from reaction key to its
//! action with the action's scope: the circle, and for a turn's actions the
//! turn. A reaction is read back through the message it reacts to, so the map
//! survives restarts without being stored, and a reaction on an earlier
//! turn's message acts on that turn, which the core refuses kindly.
//!
//! This file names no platform library, so its rules are tested on plain strings.

use crate::core::effect::Action;
use crate::core::template::Mode;

/// The content field of the bot's messages that maps reaction keys to actions.
pub const FIELD: &str = "org.attune.reactions";
/// The format's version, first in every encoded action.
const VERSION: &str = "r1";

/// The reaction key that stands for an action.
pub fn key_of(action: Action) -> &'static str {
    match action {
        Action::Join(_) => "🙋",
        Action::Leave(_) => "👋",
        Action::Agree(_) => "👍",
        Action::Done(_) => "✅",
        Action::Pass(_) => "⏭️",
        Action::Extend(_) => "⏳",
        Action::Card(_) => "🃏",
        Action::CardShow(_) => "👁️",
        Action::Mode(_, Mode::Witness) => "👂",
        Action::Mode(_, Mode::Reflections) => "🪞",
        Action::Mode(_, Mode::Feelings) => "💛",
        Action::Pulse(_, 1) => "1️⃣",
        Action::Pulse(_, 2) => "2️⃣",
        Action::Pulse(_, 3) => "3️⃣",
        Action::Pulse(_, 4) => "4️⃣",
        Action::Pulse(..) => "5️⃣",
        Action::NextStep => "➡️",
        Action::Support => "🤝",
        Action::CrisisWrong => "❌",
        Action::CrisisOff => "🔕",
        Action::ForgetConfirm => "🗑️",
    }
}

/// Clients send some emoji with and some without the variation selector
/// (U+FE0F); both mean the same reaction.
pub fn same_key(a: &str, b: &str) -> bool {
    a.trim_end_matches('\u{fe0f}') == b.trim_end_matches('\u{fe0f}')
}

/// An action as text, with its scope.
pub fn encode(action: Action) -> String {
    format!("{VERSION}:{}", action.token())
}

/// Reads an encoded action back; `None` for anything attune did not write.
pub fn decode(text: &str) -> Option<Action> {
    Action::from_token(text.strip_prefix(VERSION)?.strip_prefix(':')?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::circle::TurnRef;
    use crate::core::ids::CircleId;

    fn every_action() -> Vec<Action> {
        let t = TurnRef { circle: CircleId(42), seq: 7 };
        let mut all = vec![
            Action::Join(CircleId(42)),
            Action::Leave(CircleId(42)),
            Action::Agree(Some(CircleId(42))),
            Action::Done(t),
            Action::Pass(t),
            Action::Extend(t),
            Action::Card(t),
            Action::CardShow(t),
            Action::Mode(t, Mode::Witness),
            Action::Mode(t, Mode::Reflections),
            Action::Mode(t, Mode::Feelings),
            Action::NextStep,
            Action::Support,
            Action::CrisisWrong,
            Action::CrisisOff,
            Action::ForgetConfirm,
        ];
        all.extend(Action::pulse_choices(CircleId(42)));
        all
    }

    #[test]
    fn every_action_survives_encoding_with_its_scope_and_has_its_own_key() {
        let all = every_action();
        for a in &all {
            assert_eq!(decode(&encode(*a)), Some(*a), "{a:?} comes back unchanged, scope included");
        }
        let mut keys: Vec<&str> = all.iter().map(|a| key_of(*a)).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), all.len(), "no two actions share a reaction");
    }

    #[test]
    fn text_attune_did_not_write_acts_on_nothing() {
        for bad in [
            "",
            "done:1:2",
            "r2:done:1:2",
            "r1:done:1",
            "r1:done:x:2",
            "r1:pulse:1:9",
            "r1:mode:1:2:shout",
            "r1:agree:1:2",
            "r1:agree:x",
            "r1:nope",
        ] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_key_matches_with_or_without_the_variation_selector() {
        assert!(same_key("⏭️", "⏭"));
        assert!(same_key("✅", "✅"));
        assert!(!same_key("✅", "❌"));
    }
}
