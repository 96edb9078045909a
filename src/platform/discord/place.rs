//! Where a circle runs on Discord. `/circle open` in a text channel posts the
//! invitation and makes a public thread from it, and the circle lives in that
//! thread (`in: thread`, the default): posts, turns, nudges and crisis checks
//! happen there, and the channel stays free for other circles. `in: channel`
//! keeps the circle in the channel it was opened in, a channel of its own,
//! where `hold` can restrict who posts (threads have no permission
//! overwrites). Opened inside a thread, a circle runs in that thread.
//! `voice: #channel` links a voice channel, where `hold` mutes listeners.
//!
//! The core decides where a circle runs (`Effect::Invite` with its
//! `Placement`, from the host's `in:` and `voice:`); this module carries it out
//! as far as Discord allows and reports the place through `Input::Placed` (the
//! thread, the voice channel). The core never hears of Discord's kinds of channel.

use poise::serenity_prelude as serenity;

use super::Shared;
use super::render::render;
use super::send::{retrying, snowflake};
use crate::core::effect::{Line, Message, Placement};
use crate::core::ids::{ChannelId, CircleId, CommunityId, Platform};
use crate::core::input::Input;

/// Discord's longest thread name.
const THREAD_NAME_MAX: usize = 100;

impl Shared {
    /// Carries out `Delivery::Invite`: posts a new circle's invitation in
    /// `channel`, then gives the circle the place the core asked for as far as
    /// Discord can (a thread from the invitation where the channel can hold
    /// one, else the channel itself; the linked voice channel), and tells the
    /// core through `Input::Placed`.
    pub(super) async fn open_place(
        &self,
        community: &CommunityId,
        id: CircleId,
        channel: &ChannelId,
        message: Message,
        placement: Placement,
    ) {
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
        if placement.own_place
            && let Some(message_id) = posted
            && self.threadable(ch).await
        {
            let name = thread_name(&self.catalogue, placement.name.as_deref());
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
        let input = Input::Placed { circle: id, channel: thread.and_then(to_channel), voice: placement.voice };
        if matches!(input, Input::Placed { channel: None, voice: None, .. }) {
            return;
        }
        let event = Some(format!("placed:{}:{}", id.0, thread.unwrap_or(ch)));
        if let Err(e) = self.engine.post(community, input, event).await {
            tracing::error!(error = %e, "a circle's place could not be recorded");
        }
    }

    /// The channel a thread was made in (a private thread can't go inside a
    /// thread), or the channel itself. Known for the circles' threads attune
    /// made; otherwise Discord is asked once and the answer remembered.
    pub(super) async fn outside_threads(&self, channel: u64) -> u64 {
        if let Some(parent) = self.circle_threads.lock().ok().and_then(|t| t.get(&channel).copied()) {
            return parent;
        }
        let outside = match self.http.get_channel(serenity::ChannelId::new(channel)).await {
            Ok(serenity::Channel::Guild(c)) if c.thread_metadata.is_some() => c.parent_id.map_or(channel, serenity::ChannelId::get),
            Ok(_) => channel,
            // Not known now: asked again next time.
            Err(_) => return channel,
        };
        if let Ok(mut threads) = self.circle_threads.lock() {
            threads.insert(channel, outside);
        }
        outside
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
fn thread_name(catalogue: &crate::text::Catalogue, title: Option<&str>) -> String {
    let name = title.map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned);
    let name = name.unwrap_or_else(|| catalogue.line(&Line::new("discord-circle-thread")));
    name.chars().take(THREAD_NAME_MAX).collect()
}
