//! Private input and its community. A private command (`agree`, `pulse`,
//! `reflect`, `my-data`, `forget-me`, …) arrives in a DM, where the platform
//! may not say which community it is for:
//!
//! 1. the adapter passes the community it knows (the Discord guild of the
//!    interaction; the community a Matrix DM room was opened for);
//! 2. when it can't know, the member's last community on that platform (the
//!    last one they used a command in, in a channel, while this process has
//!    run; chat there doesn't count);
//! 3. else the one community of that platform that knows the member;
//! 4. when several do, the member is asked which one, privately.
//!
//! `my-data` and `forget-me confirm` cover every community the member is in on
//! that platform, in one answer.

use serde_json::json;
use tracing::error;

use super::{Answer, Delivery, Engine, EngineError};
use crate::core::command::Command;
use crate::core::effect::{Kind, Line, Message};
use crate::core::ids::{CommunityId, MemberRef};
use crate::core::input::{Actor, Input, Place};

/// Where a private command goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    One(CommunityId),
    /// The member is known in several communities: ask which one.
    Ask(Vec<CommunityId>),
    /// No community on this platform knows the member yet.
    Unknown,
}

impl Engine {
    /// Which community a member's private command belongs to, when the adapter can't say.
    pub async fn route_private(&self, member: &MemberRef) -> Result<Route, EngineError> {
        let last = self.inner.last_community.lock().ok().and_then(|m| m.get(member).cloned());
        if let Some(c) = last {
            return Ok(Route::One(c));
        }
        let mut known = self.inner.store.communities_of(member).await?;
        known.retain(|c| c.platform() == member.platform());
        Ok(match known.len() {
            0 => Route::Unknown,
            1 => Route::One(known.remove(0)),
            _ => Route::Ask(known),
        })
    }

    /// Submits what a member said privately: a command, a line that didn't parse
    /// as one, or chat (a reply to a reflection). `known` is the community the
    /// adapter knows, if any; otherwise [`Engine::route_private`] decides. Every
    /// private line reaches the core this way, so crisis reading, rate limits and
    /// wording are the core's; when no community can be chosen, care still comes
    /// from the shipped defaults (see [`Engine::without_community`]).
    pub async fn submit_private(
        &self,
        known: Option<CommunityId>,
        actor: Actor,
        said: impl Into<Said>,
        event: Option<String>,
    ) -> Result<Answer, EngineError> {
        let said = said.into();
        let community = match known {
            Some(c) => c,
            None => match self.route_private(&actor.member).await? {
                Route::One(c) => c,
                // A line that is no command makes no choice of community, yet it may be a cry
                // for help: it is read where the member is known (the first of their
                // communities), so their own choices hold (checks off, the quiet period) and an
                // imminent sign brings its card. Only a command is asked which community it means.
                Route::Ask(options) if !matches!(said, Said::Command(_)) => options[0].clone(),
                Route::Ask(options) => return Ok(self.without_community(&actor, said, Some(&options))),
                Route::Unknown => return Ok(self.without_community(&actor, said, None)),
            },
        };
        let Said::Command(command) = said else {
            return self.submit(&community, said.input(actor), event).await;
        };
        let forgetting = matches!(command, Command::ForgetMe { .. });
        let member = actor.member.clone();
        let input = Input::Command { actor: actor.clone(), place: Place::Private, command: command.clone() };
        let mut answer = self.submit(&community, input, event).await?;
        if forgetting && !answer.deliveries.iter().any(is_refusal) {
            // Forgotten here, so forgotten everywhere on this platform (both the request and its
            // confirmation go to each community): the one answer above stands for all of them.
            let mut others = self.inner.store.communities_of(&member).await?;
            others.retain(|c| c.platform() == member.platform() && c != &community);
            for other in others {
                let input = Input::Command { actor: actor.clone(), place: Place::Private, command: command.clone() };
                let more = self.submit(&other, input, None).await?;
                // Their confirmations would repeat the one above; what others must hear stays.
                answer
                    .deliveries
                    .extend(more.deliveries.into_iter().filter(|d| !matches!(d, Delivery::Whisper { to, .. } if *to == member)));
            }
            if matches!(command, Command::ForgetMe { confirm: true })
                && let Ok(mut m) = self.inner.last_community.lock()
            {
                m.remove(&member);
            }
        }
        Ok(answer)
    }

    /// What a private line gets when no community can take it: a member who
    /// belongs to none yet, or a command from a member of several (`options`)
    /// that didn't say which. Nothing is stored for someone no community knows;
    /// what attune must remember (a card sent, checks turned off) stays in
    /// memory. Words that may be a cry for help get the shipped resources card
    /// (once per signpost period), or the short card that leads with the
    /// emergency number when they say the act is under way (at most once per
    /// few minutes, whatever the period), unless the member turned checks off;
    /// `resources` and `crisis off|on|wrong` work; a command is asked which
    /// community it is for, or told to start in one; other chat goes nowhere.
    fn without_community(&self, actor: &Actor, said: Said, options: Option<&[CommunityId]>) -> Answer {
        use crate::core::command::CrisisArg;
        let defaults = &self.inner.defaults;
        let to = actor.member.clone();
        let whisper = |message: Message| Answer { deliveries: vec![Delivery::Whisper { to: to.clone(), message }] };
        // Messages by the rules and the model; a command's option by the rules alone
        // (a suggestion is prose, read like a message).
        let finding = match &said {
            Said::Chat(text) | Said::Bad { text, .. } => crate::core::safety::finding(&defaults.phrases, text),
            Said::Command(c @ crate::core::command::Command::Suggest(_)) => {
                c.free_text().and_then(|t| crate::core::safety::finding(&defaults.phrases, t))
            }
            Said::Command(c) => c.free_text().and_then(|t| crate::core::safety::command_finding(&defaults.phrases, t)),
        };
        if let Some(finding) = finding.filter(|_| !self.newcomer_said_off(&to)) {
            return match self.newcomer_card_due(&to, finding.imminent) {
                Some(true) => whisper(crate::core::safety::imminent_card(&defaults.resources)),
                Some(false) => whisper(crate::core::safety::card(&defaults.resources, Line::new("crisis-intro"))),
                None => Answer::default(),
            };
        }
        match said {
            Said::Chat(_) => Answer::default(),
            Said::Bad { refusal, .. } => whisper(Message::new(Kind::Refusal, vec![crate::core::refusal_line(&refusal)])),
            Said::Command(c) => match c.unscoped() {
                Command::ResourcesShow => whisper(crate::core::safety::card(&defaults.resources, Line::new("resources-asked"))),
                // A card's buttons work before the member has a community, too.
                Command::Crisis(arg) if options.is_none() => {
                    let line = match arg {
                        CrisisArg::Off => "crisis-off",
                        CrisisArg::On => "crisis-on",
                        CrisisArg::Wrong => "crisis-wrong",
                    };
                    self.newcomer_checks(&to, arg);
                    whisper(Message::info(Line::new(line)))
                }
                _ => match options {
                    Some(options) => ask(&to, options),
                    None => whisper(Message::info(Line::new("private-no-community"))),
                },
            },
        }
    }

    /// Whether a member no community can answer for may be sent a card now:
    /// `Some(imminent)` when one is due (the resources card once per default
    /// signpost period; the imminent card once per `IMMINENT_EVERY_SECS`,
    /// whatever the period), `None` when it was sent too recently. Memory only.
    fn newcomer_card_due(&self, member: &MemberRef, imminent: bool) -> Option<bool> {
        let now = self.inner.clock.now().as_second();
        let period = i64::from(crate::core::state::Settings::default().signpost_hours) * 3600;
        let Ok(mut sent) = self.inner.newcomer_cards.lock() else { return Some(imminent) };
        sent.retain(|_, s: &mut NewcomerCards| {
            s.card.is_some_and(|t| now - t < period)
                || s.imminent.is_some_and(|t| now - t < crate::core::safety::IMMINENT_EVERY_SECS)
                || s.off
        });
        let full = sent.len() >= NEWCOMER_CARDS;
        let entry = if full { sent.get_mut(member) } else { Some(sent.entry(member.clone()).or_default()) };
        let Some(s) = entry else { return Some(imminent) };
        let (last, every) = if imminent { (&mut s.imminent, crate::core::safety::IMMINENT_EVERY_SECS) } else { (&mut s.card, period) };
        if last.is_some_and(|t| now - t < every) {
            return None;
        }
        *last = Some(now);
        Some(imminent)
    }

    /// Whether a member no community knows asked not to have their messages checked.
    fn newcomer_said_off(&self, member: &MemberRef) -> bool {
        self.inner.newcomer_cards.lock().is_ok_and(|s| s.get(member).is_some_and(|s| s.off))
    }

    fn newcomer_checks(&self, member: &MemberRef, arg: crate::core::command::CrisisArg) {
        let Ok(mut sent) = self.inner.newcomer_cards.lock() else { return };
        if sent.len() >= NEWCOMER_CARDS && !sent.contains_key(member) {
            return;
        }
        let s = sent.entry(member.clone()).or_default();
        match arg {
            crate::core::command::CrisisArg::Off => s.off = true,
            crate::core::command::CrisisArg::On => s.off = false,
            crate::core::command::CrisisArg::Wrong => {}
        }
    }
}

/// What the engine remembers, in memory only, about a member no community
/// knows: when it last sent them each card, and whether they turned checks off.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct NewcomerCards {
    card: Option<i64>,
    imminent: Option<i64>,
    off: bool,
}

/// How many members without a community the engine remembers (a bound on
/// memory; past it, a card still goes out, unbounded by its period).
const NEWCOMER_CARDS: usize = 4096;

/// What a member said privately, before the core has seen it.
#[derive(Clone, Debug)]
pub enum Said {
    Command(Command),
    /// A line meant as a command that didn't parse (read for crisis phrases, then dropped).
    Bad {
        refusal: crate::core::Refusal,
        text: String,
    },
    /// Chat: read for crisis phrases, then dropped; never stored or answered.
    Chat(String),
}

impl From<Command> for Said {
    fn from(c: Command) -> Self {
        Said::Command(c)
    }
}

impl Said {
    /// The core's input for a private line from `actor`.
    pub fn input(self, actor: Actor) -> Input {
        let place = Place::Private;
        match self {
            Said::Command(command) => Input::Command { actor, place, command },
            Said::Bad { refusal, text } => Input::BadCommand { actor, place, refusal, text },
            Said::Chat(text) => Input::Chat { actor, place, text },
        }
    }
}

fn is_refusal(d: &Delivery) -> bool {
    matches!(d, Delivery::Whisper { message, .. } if message.kind == Kind::Refusal)
}

/// Asks the member, privately, which community they mean.
fn ask(member: &MemberRef, options: &[CommunityId]) -> Answer {
    let names: Vec<String> = options.iter().map(|c| c.raw().to_owned()).collect();
    let msg = Message::info(Line::new("private-which-community").text("communities", names.join(", ")));
    Answer { deliveries: vec![Delivery::Whisper { to: member.clone(), message: msg }] }
}

/// `my-data`: everything stored about the member in every community of their
/// platform, as one file.
pub(super) async fn export(engine: &Engine, asked_in: &CommunityId, to: MemberRef) -> Delivery {
    let store = &engine.inner.store;
    let gathered = async {
        let mut communities = store.communities_of(&to).await?;
        communities.retain(|c| c.platform() == to.platform());
        if !communities.contains(asked_in) {
            communities.insert(0, asked_in.clone());
        }
        let mut parts = Vec::with_capacity(communities.len());
        for c in &communities {
            parts.push(json!({ "community": c.key(), "data": store.export_member(c, &to).await? }));
        }
        Ok::<_, crate::store::StoreError>(json!({ "member": to.key(), "communities": parts }))
    }
    .await;
    let message = match gathered.and_then(|v| serde_json::to_string_pretty(&v).map_err(crate::store::StoreError::Encode)) {
        Ok(content) => super::actor::data_message(content),
        Err(e) => {
            error!(community = %asked_in, error = %e, "my-data export failed");
            Message::new(Kind::Refusal, vec![Line::new("store-unavailable")])
        }
    };
    Delivery::Whisper { to, message }
}
