//! Modals: the forms for adding and editing a card (moderators) and for
//! suggesting one (members). A slash command opens the form (interaction
//! response type 9); its submit (a MODAL_SUBMIT interaction) becomes the
//! same core command the console builds from a line, so the core checks
//! everything (moderator rights first). What the slash command already
//! chose (deck, kind, theme, intensity; the card and its field) travels in
//! the form's `custom_id`, so a submit needs no memory and works after a
//! restart. The format is pure and tested here; `events.rs` and
//! `commands.rs` do the Discord side.

use crate::core::command::{Command, DeckCmd};
use crate::core::deck::Theme;

/// The format's version, first in every form's custom id.
const VERSION: &str = "m1";

/// Card kinds and intensities, in the order their digit stands for in a custom
/// id (a digit keeps the id inside Discord's 100 characters with any deck name).
pub(super) const KINDS: [&str; 5] = ["check-in", "sharing", "closing", "listener-guide", "self-reflection"];
pub(super) const INTENSITIES: [&str; 3] = ["light", "medium", "deep"];
/// The card fields `deck edit` changes.
pub(super) const FIELDS: [&str; 5] = ["text", "guide", "theme", "intensity", "cw"];

/// The custom ids of a form's text inputs.
pub(super) const TEXT: &str = "text";
pub(super) const GUIDE: &str = "guide";
pub(super) const VALUE: &str = "value";

/// Discord's longest custom id.
const MAX_CUSTOM_ID: usize = 100;

/// A form and what was chosen before it opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Form {
    /// `deck add DECK KIND THEME INTENSITY` + the card's text and listener guide.
    Add { deck: String, kind: usize, theme: usize, intensity: usize },
    /// `deck edit CARD FIELD` + the new value.
    Edit { card: String, field: usize },
    /// `suggest` + the card's text.
    Suggest,
}

impl Form {
    /// The form's custom id; `None` when what was typed can't fit one (then the
    /// command goes to the core as it is, and the core answers).
    pub(super) fn encode(&self) -> Option<String> {
        let id = match self {
            Form::Add { deck, kind, theme, intensity } => format!("{VERSION}:add:{kind}:{theme}:{intensity}:{deck}"),
            Form::Edit { card, field } => format!("{VERSION}:edit:{field}:{card}"),
            Form::Suggest => format!("{VERSION}:suggest"),
        };
        (id.len() <= MAX_CUSTOM_ID).then_some(id)
    }

    /// Reads a custom id back; `None` for anything attune did not write.
    pub(super) fn decode(custom_id: &str) -> Option<Self> {
        let (version, rest) = custom_id.split_once(':')?;
        if version != VERSION {
            return None;
        }
        let (name, rest) = rest.split_once(':').unwrap_or((rest, ""));
        let index = |s: &str, len: usize| s.parse::<usize>().ok().filter(|n| *n < len);
        match name {
            "add" => {
                let mut p = rest.splitn(4, ':');
                let kind = index(p.next()?, KINDS.len())?;
                let theme = index(p.next()?, Theme::ALL.len())?;
                let intensity = index(p.next()?, INTENSITIES.len())?;
                let deck = p.next()?.to_owned();
                Some(Form::Add { deck, kind, theme, intensity })
            }
            "edit" => {
                let (field, card) = rest.split_once(':')?;
                Some(Form::Edit { card: card.to_owned(), field: index(field, FIELDS.len())? })
            }
            "suggest" if rest.is_empty() => Some(Form::Suggest),
            _ => None,
        }
    }

    /// The core command the submitted form makes, from its inputs by custom id.
    /// An empty listener guide is no guide.
    pub(super) fn command(&self, input: impl Fn(&str) -> Option<String>) -> Command {
        let text = input(TEXT).unwrap_or_default();
        match self {
            Form::Add { deck, kind, theme, intensity } => Command::Deck(DeckCmd::Add {
                deck: deck.clone(),
                kind: KINDS[*kind].to_owned(),
                theme: Theme::ALL[*theme].as_str().to_owned(),
                intensity: INTENSITIES[*intensity].to_owned(),
                text,
                guide: input(GUIDE).filter(|g| !g.trim().is_empty()),
                cw: None,
            }),
            Form::Edit { card, field } => Command::Deck(DeckCmd::Edit {
                card: card.clone(),
                field: FIELDS[*field].to_owned(),
                value: input(VALUE).unwrap_or_default(),
            }),
            Form::Suggest => Command::Suggest(text),
        }
    }

    /// The catalogue line of the form's title.
    pub(super) fn title_id(&self) -> &'static str {
        match self {
            Form::Add { .. } => "discord-modal-add-title",
            Form::Edit { .. } => "discord-modal-edit-title",
            Form::Suggest => "discord-modal-suggest-title",
        }
    }

    /// The form's inputs: (custom id, catalogue line of its label, required).
    pub(super) fn inputs(&self) -> Vec<(&'static str, &'static str, bool)> {
        match self {
            Form::Add { kind, .. } => {
                let mut v = vec![(TEXT, "discord-modal-card-text", true)];
                // Only a sharing card has a listener guide (the core refuses one elsewhere).
                if KINDS[*kind] == "sharing" {
                    v.push((GUIDE, "discord-modal-card-guide", true));
                }
                v
            }
            Form::Edit { .. } => vec![(VALUE, "discord-modal-new-value", true)],
            Form::Suggest => vec![(TEXT, "discord-modal-suggest-text", true)],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_survives_the_round_trip_even_with_the_longest_deck_name() {
        let long = "d".repeat(64);
        let forms = [
            Form::Add { deck: long.clone(), kind: 4, theme: 7, intensity: 2 },
            Form::Add { deck: "a:b".into(), kind: 0, theme: 0, intensity: 0 },
            Form::Edit { card: format!("{long}-99"), field: 4 },
            Form::Suggest,
        ];
        for form in forms {
            let id = form.encode().expect("fits");
            assert!(id.len() <= MAX_CUSTOM_ID);
            assert_eq!(Form::decode(&id), Some(form), "{id}");
        }
        assert_eq!(Form::Add { deck: "x".repeat(90), kind: 0, theme: 0, intensity: 0 }.encode(), None);
    }

    #[test]
    fn custom_ids_attune_did_not_write_are_no_form() {
        for bad in [
            "",
            "m1",
            "m0:suggest",
            "m1:suggest:x",
            "m1:add:5:0:0:d",
            "m1:add:0:8:0:d",
            "m1:add:0:0:3:d",
            "m1:add:0:0",
            "m1:edit:5:c",
            "m1:edit:1",
            "a1:1:agree",
        ] {
            assert_eq!(Form::decode(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_submitted_form_is_the_consoles_command() {
        let add = Form::Add { deck: "mine".into(), kind: 1, theme: 0, intensity: 1 };
        let values = |id: &str| match id {
            TEXT => Some("What are you carrying today?\nTake your time.".to_owned()),
            GUIDE => Some("Listen | without fixing".to_owned()),
            _ => None,
        };
        assert_eq!(
            add.command(values),
            Command::Deck(DeckCmd::Add {
                deck: "mine".into(),
                kind: "sharing".into(),
                theme: "emotions".into(),
                intensity: "medium".into(),
                text: "What are you carrying today?\nTake your time.".into(),
                guide: Some("Listen | without fixing".into()),
                cw: None,
            })
        );
        let edit = Form::Edit { card: "mine-01".into(), field: 0 };
        assert_eq!(
            edit.command(|id| (id == VALUE).then(|| "New text".to_owned())),
            Command::Deck(DeckCmd::Edit { card: "mine-01".into(), field: "text".into(), value: "New text".into() })
        );
        assert_eq!(Form::Suggest.command(|_| Some("A card".into())), Command::Suggest("A card".into()));
        let no_guide = Form::Add { deck: "mine".into(), kind: 4, theme: 0, intensity: 0 };
        assert!(matches!(no_guide.command(|id| (id == GUIDE).then(String::new)), Command::Deck(DeckCmd::Add { guide: None, .. })));
    }

    #[test]
    fn every_form_has_its_words_in_the_catalogue() {
        let catalogue = crate::text::Catalogue::english().expect("the catalogue loads");
        for form in
            [Form::Add { deck: "d".into(), kind: 1, theme: 0, intensity: 0 }, Form::Edit { card: "c".into(), field: 0 }, Form::Suggest]
        {
            assert!(catalogue.has(form.title_id()));
            for (_, label, _) in form.inputs() {
                assert!(catalogue.has(label), "{label}");
            }
        }
    }
}
