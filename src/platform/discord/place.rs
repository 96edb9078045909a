//! Where a circle runs on Discord. `/circle open` in a text channel posts the
//! invitation and makes a public thread from it, and the circle lives in that
//! thread (`in: thread`, the default): posts, turns, nudges and crisis checks
//! happen there, and the channel stays free for other circles. `in: channel`
//! keeps the circle in the channel it was opened in, a channel of its own,
//! where `hold` can restrict who posts (threads have no permission
//! overwrites). Opened inside a thread, a circle runs in that thread.
//! `voice: #channel` links a voice channel, where `hold` mutes listeners.
//!
//! The core learns the place through `Input::Placed` (the thread, the voice
//! channel); it never hears of Discord's kinds of channel.

use poise::serenity_prelude as serenity;

use super::Shared;
use super::render::render;
use super::send::{retrying, snowflake};
use crate::core::effect::{Action, Arg, Line, Message};
use crate::core::ids::{ChannelId, CircleId, CommunityId, Platform};
use crate::core::input::Input;

/// Where a host asked for a new circle to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Where {
    /// A thread made from the invitation (the default in a text channel).
    Thread,
    /// The channel the circle was opened in.
    Channel,
}

/// What `/circle open` asked for beyond the shared vocabulary.
#[derive(Clone, Copy, Debug)]
pub(super) struct Placing {
    pub(super) place: Where,
    pub(super) voice: Option<u64>,
}

/// Discord's longest thread name.
const THREAD_NAME_MAX: usize = 100;

/// The circle an invitation is for: the message that carries a Join button.
pub(super) fn invitation(message: &Message) -> Option<CircleId> {
    message.actions.iter().find_map(|a| if let Action::Join(id) = a { Some(*id) } else { None })
}

impl Shared {
    /// Posts a new circle's invitation in `channel`, then gives the circle its
    /// place: a thread from the invitation, or the channel itself, and the
    /// linked voice channel. Tells the core through `Input::Placed`.
    pub(super) async fn open_place(&self, community: &CommunityId, channel: &ChannelId, message: Message, placing: Placing) {
        let Some(id) = invitation(&message) else { return };
        let Some(ch) = snowflake(channel.raw()) else { return };
        let guild = snowflake(community.raw()).unwrap_or(0);
        let posted = match self.post_id(ch, render(&self.catalogue, &message, guild)).await {
            Ok(m) => m,
            Err(e) => {
                tracing::error!(error = %e, channel = ch, "a circle's invitation could not be sent");
                return;
            }
        };
        let mut thread = None;
        if placing.place == Where::Thread
            && let Some(message_id) = posted
            && self.threadable(ch).await
        {
            let name = thread_name(&self.catalogue, &message);
            let builder = serenity::CreateThread::new(name).auto_archive_duration(serenity::AutoArchiveDuration::OneDay);
            let made = retrying(|| {
                serenity::ChannelId::new(ch).create_thread_from_message(&*self.http, serenity::MessageId::new(message_id), builder.clone())
            })
            .await;
            match made {
                Ok(t) => thread = Some(t.id.get()),
                // Without the permission to make threads the circle runs in the channel.
                Err(e) => tracing::warn!(error = %e, channel = ch, "a circle's thread could not be made; it runs in the channel"),
            }
        }
        if let Some(t) = thread
            && let Ok(mut threads) = self.circle_threads.lock()
        {
            threads.insert(t, ch);
        }
        let to_channel = |raw: u64| ChannelId::parse(Platform::Discord, &raw.to_string()).ok();
        let input = Input::Placed { circle: id, channel: thread.and_then(to_channel), voice: placing.voice.and_then(to_channel) };
        if matches!(input, Input::Placed { channel: None, voice: None, .. }) {
            return;
        }
        let event = Some(format!("placed:{}:{}", id.0, thread.unwrap_or(ch)));
        if let Err(e) = self.engine.post(community, input, event).await {
            tracing::error!(error = %e, "a circle's place could not be recorded");
        }
    }

    /// Whether a thread can be made from a message in `channel` (a text or
    /// announcement channel; not a thread, a voice channel's chat or a forum).
    async fn threadable(&self, channel: u64) -> bool {
        match self.http.get_channel(serenity::ChannelId::new(channel)).await {
            Ok(serenity::Channel::Guild(c)) => matches!(c.kind, serenity::ChannelType::Text | serenity::ChannelType::News),
            Ok(_) => false,
            Err(e) => {
                tracing::warn!(error = %e, channel, "the circle's channel could not be looked up; the circle runs in it");
                false
            }
        }
    }
}

/// The thread's name: the circle's title, or "Circle".
fn thread_name(catalogue: &crate::text::Catalogue, message: &Message) -> String {
    let title = message.lines.iter().flat_map(|l| l.args.iter()).find_map(|(k, v)| match (k, v) {
        (&"title", Arg::Text(t)) => Some(t.trim().to_owned()),
        _ => None,
    });
    let name = title.filter(|t| !t.is_empty()).unwrap_or_else(|| catalogue.line(&Line::new("discord-circle-thread")));
    name.chars().take(THREAD_NAME_MAX).collect()
}
