//! Buttons carry their scope: an [`Action`] becomes a Discord `custom_id`
//! that names the community (so a press in a DM reaches the right guild), the
//! circle and, for a turn's buttons, the turn. A press is decoded back into
//! the same `Action`, and `Action::command()` makes the scoped command; the
//! core refuses a button of an earlier turn or an ended circle. This file
//! names no platform library, so its rules are tested on plain strings.

use crate::core::effect::Action;

/// The format's version, first in every custom id. A press of a button whose
/// version attune doesn't know is answered kindly and acts on nothing.
const VERSION: &str = "a1";

/// Discord's longest custom id.
pub const MAX_CUSTOM_ID: usize = 100;

/// A decoded button press: the guild the button was sent for, and its action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Press {
    pub guild: u64,
    pub action: Action,
}

/// The custom id of `action`, sent for the community of guild `guild`.
pub fn encode(guild: u64, action: Action) -> String {
    let id = format!("{VERSION}:{guild}:{}", action.token());
    // Two u64s and a short name: always well inside Discord's limit.
    debug_assert!(id.len() <= MAX_CUSTOM_ID, "{id}");
    id
}

/// Reads a custom id back. `None` for anything attune did not write (or an
/// older format), which the adapter answers kindly without acting.
pub fn decode(custom_id: &str) -> Option<Press> {
    let mut parts = custom_id.splitn(3, ':');
    if parts.next()? != VERSION {
        return None;
    }
    let guild: u64 = parts.next()?.parse().ok()?;
    let action = Action::from_token(parts.next()?)?;
    Some(Press { guild, action })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::circle::TurnRef;
    use crate::core::ids::CircleId;
    use crate::core::template::Mode;

    fn every_action() -> Vec<Action> {
        let t = TurnRef { circle: CircleId(u64::MAX), seq: u64::MAX };
        let c = CircleId(u64::MAX);
        let mut all = vec![
            Action::Join(c),
            Action::Leave(c),
            Action::Agree(Some(c)),
            Action::Agree(None),
            Action::Done(t),
            Action::Pass(t),
            Action::Extend(t),
            Action::Card(t),
            Action::CardShow(t),
            Action::NextStep,
            Action::Support,
            Action::CrisisWrong,
            Action::CrisisOff,
            Action::ForgetConfirm,
        ];
        all.extend([Mode::Witness, Mode::Reflections, Mode::Feelings].map(|m| Action::Mode(t, m)));
        all.extend(Action::pulse_choices(c));
        all
    }

    #[test]
    fn every_action_survives_the_round_trip_with_its_scope_and_guild() {
        for action in every_action() {
            let id = encode(u64::MAX, action);
            assert!(id.len() <= MAX_CUSTOM_ID, "{id} fits Discord's custom id ({} chars)", id.len());
            assert_eq!(decode(&id), Some(Press { guild: u64::MAX, action }), "{id}");
        }
    }

    #[test]
    fn custom_ids_attune_did_not_write_act_on_nothing() {
        for bad in [
            "",
            "a1",
            "a1:1",
            "a0:1:agree",
            "a1:x:agree",
            "a1:1:agree:extra",
            "a1:1:done:3",
            "a1:1:done:3:x",
            "a1:1:mode:3:4:loud",
            "a1:1:pulse:3:6",
            "a1:1:pulse:3:0",
            "a1:1:dance",
            "a1:-1:agree",
        ] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn every_action_but_the_pulse_has_a_label_in_the_catalogue() {
        let catalogue = crate::text::Catalogue::english().expect("the catalogue loads");
        for action in every_action() {
            let id = action.label_id();
            assert!(matches!(action, Action::Pulse(..)) || catalogue.has(id), "{action:?} needs {id}");
        }
    }
}
