//! Everything that can happen to attune, as data. Adapters build these.

use super::command::Command;
use super::ids::{ChannelId, MemberRef};
use super::refusal::Refusal;

/// Who sent an input. The adapter decides `moderator` from the platform
/// (Manage Server, power level, configured roles, console `--moderator`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub member: MemberRef,
    pub display: String,
    pub moderator: bool,
    /// Named a host by whoever runs attune (a configured role or user id): may
    /// open circles where a community lets only hosts do so.
    pub host: bool,
}

/// Where an input happened: a channel (or thread/room), or a private line to the bot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    Channel(ChannelId),
    Private,
}

/// Which timer fired.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum TimerKey {
    Circle(super::ids::CircleId),
    Daily(MemberRef),
    Purge,
}

#[derive(Clone, Debug)]
pub enum Input {
    Command {
        actor: Actor,
        place: Place,
        command: Command,
    },
    /// A command that failed to parse; answered kindly, subject to rate limits. Its `text`
    /// (the line as typed) is read for crisis phrases like chat, then dropped.
    BadCommand {
        actor: Actor,
        place: Place,
        refusal: Refusal,
        text: String,
    },
    /// Ordinary chat. The text is read for crisis phrases and dropped; it is never stored.
    Chat {
        actor: Actor,
        place: Place,
        text: String,
    },
    /// A message edited after it was sent (Discord's message update, Matrix's
    /// `m.replace`): read for crisis phrases like a new one, and dropped. It
    /// never counts as speaking during someone else's turn.
    Edited {
        actor: Actor,
        place: Place,
        text: String,
    },
    /// The platform says a member left the channel or community.
    MemberLeft {
        member: MemberRef,
    },
    TimerFired {
        key: TimerKey,
        generation: u64,
    },
    /// The process (re)started: re-arm every timer.
    Recover,
    /// The platform is connected after a restart: tell these circles, if still
    /// running, where they stand (`notes`), and hold their floor again
    /// (`floors`). Made for a batch of circles at a time (see `engine::Resumed`).
    Announce {
        circles: Vec<super::ids::CircleId>,
        floors: bool,
        notes: bool,
    },
    /// The platform gave a circle a place of its own: `channel`, where it now runs
    /// (a Discord thread made from its invitation), and/or `voice`, a place for
    /// speaking aloud linked to it (a Discord voice channel), where the floor is
    /// held too. Only a live circle moves, and never into a place another live
    /// circle uses.
    Placed {
        circle: super::ids::CircleId,
        channel: Option<ChannelId>,
        voice: Option<ChannelId>,
    },
    /// A place was replaced by another (a Matrix room upgrade: the old room's
    /// tombstone names the new one, and attune is in it). Live circles there go on
    /// in the new place, and it hears so once.
    Moved {
        from: ChannelId,
        to: ChannelId,
    },
    /// The adapter could not deliver something (see `core::delivery`).
    DeliveryFailed {
        what: super::delivery::Failed,
        reason: super::delivery::Reason,
    },
}

impl Input {
    /// The member behind a command used in a channel, so the engine can remember
    /// which community they last chose to use. Chat doesn't count: talking in a
    /// community is no choice of where a private `support` or `forget-me` goes.
    pub fn channel_actor(&self) -> Option<&MemberRef> {
        match self {
            Input::Command { actor, place: Place::Channel(_), .. } | Input::BadCommand { actor, place: Place::Channel(_), .. } => {
                Some(&actor.member)
            }
            _ => None,
        }
    }

    /// The member who sent the input, if a member did.
    pub fn sender(&self) -> Option<&MemberRef> {
        match self {
            Input::Command { actor, .. } | Input::BadCommand { actor, .. } | Input::Chat { actor, .. } | Input::Edited { actor, .. } => {
                Some(&actor.member)
            }
            _ => None,
        }
    }
}
