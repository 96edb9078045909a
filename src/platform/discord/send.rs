//! Deliveries → Discord. A channel message for `Say`; for `Whisper`, an
//! ephemeral follow-up when it answers the member's own interaction
//! (`events.rs`), else a DM. When Discord answers a DM with 50007 (the member
//! accepts no DMs from the bot), the text goes as an ephemeral follow-up to the
//! member's latest interaction while Discord still takes one (14 minutes: only
//! they see it); failing that, into a private thread with that member in the
//! channel they last used with attune (never a public post), and the core
//! hears of it (`Input::DeliveryFailed`), so hosts learn once and a crisis
//! card's quiet period does not start.

use poise::serenity_prelude as serenity;
use serenity::Builder as _;

use super::Shared;
use super::render::{Rendered, no_pings, pings, render};
use crate::core::delivery::{Failed, Reason};
use crate::core::effect::{Line, Message};
use crate::core::ids::{CommunityId, MemberRef};
use crate::core::input::Input;
use crate::engine::Delivery;

/// Most tries for one request answered 429 (rate limited).
const TRIES: u32 = 5;

/// Discord's "Cannot send messages to this user".
const DMS_CLOSED: isize = 50007;
/// Discord's "Unknown User" and "Unknown Channel".
const GONE: [isize; 2] = [10013, 10003];

impl Shared {
    /// Carries out one delivery for a community.
    pub(super) async fn deliver(&self, community: &CommunityId, delivery: Delivery) {
        let guild = snowflake(community.raw()).unwrap_or(0);
        // A server on a shard another process runs is that process's to speak in
        // (its circles were left in this database when the shards were split anew).
        // A private message is let through: it answers someone who wrote to this
        // process (a DM reaches shard 0 whichever server it is about).
        if let Some(range) = self.shards
            && guild != 0
            && !range.owns(guild)
            && !matches!(delivery, Delivery::Whisper { .. })
        {
            tracing::warn!(community = %community, "a delivery for a server on another process's shards was not sent");
            return;
        }
        match delivery {
            Delivery::Say { channel, message } => {
                let Some(ch) = snowflake(channel.raw()) else {
                    tracing::warn!(channel = %channel, "a message for a channel that isn't a Discord id was dropped");
                    return;
                };
                if let Err(e) = self.post(ch, render(&self.catalogue, &message, guild)).await {
                    tracing::error!(error = %e, channel = ch, "a channel message could not be sent");
                }
            }
            // A failure is reported to the core inside.
            Delivery::Whisper { to, message } => {
                let _ = self.whisper(community, &to, &message).await;
            }
            Delivery::Floor { channel, speaker, hosts, voice, seq } => self.floor(community, channel, speaker, hosts, voice, seq).await,
            Delivery::OpenSupport { member, display } => self.open_support(community, &member, &display).await,
            // The core never asks on Discord (a bot leaves a whole server, in its settings).
            Delivery::Leave { channel } => tracing::warn!(channel = %channel, "a request to leave a Discord channel was ignored"),
            Delivery::Invite { circle, channel, message, placement } => {
                self.open_place(community, circle, &channel, message, *placement).await
            }
            Delivery::Listing { circle, listing } => self.listing(community, circle, *listing).await,
        }
    }

    /// A private message for someone other than the sender of an interaction.
    /// A private message by DM; when DMs are closed, a private thread (never a
    /// public post). A failure is reported to the core here, and returned, as
    /// the Matrix adapter's `whisper` does.
    pub(super) async fn whisper(&self, community: &CommunityId, to: &MemberRef, message: &Message) -> Result<(), Reason> {
        let Some(user) = snowflake(to.user()) else { return Err(Reason::Gone) };
        let guild = snowflake(community.raw()).unwrap_or(0);
        let error = match self.dm(user, render(&self.catalogue, message, guild)).await {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        let reason = match code(&error) {
            Some(DMS_CLOSED) => Reason::PrivateClosed,
            Some(c) if GONE.contains(&c) => Reason::Gone,
            _ => Reason::Platform,
        };
        tracing::info!(reason = reason.as_str(), "a direct message could not be delivered");
        // DMs closed: an ephemeral follow-up to the member's latest interaction, while Discord
        // still takes one, is seen by them alone (a private thread is visible to moderators).
        let open_reply = self
            .replies
            .lock()
            .ok()
            .and_then(|r| r.get(&(guild, user)).filter(|(_, at)| at.elapsed() < self.reply_window).map(|(token, _)| token.clone()));
        if reason == Reason::PrivateClosed
            && let Some(token) = open_reply
            && self.follow_up(&token, message, Some(community)).await
        {
            return Ok(());
        }
        if reason == Reason::PrivateClosed {
            match self.private_thread(guild, to, user, render(&self.catalogue, message, guild)).await {
                Ok(true) => {}
                Ok(false) => tracing::info!("no channel is known for a private thread; the member is told when they next use attune"),
                Err(e) => tracing::error!(error = %e, "the private-thread fallback failed"),
            }
        }
        self.failed(community, Failed::Whisper { to: to.clone(), kind: message.kind.clone() }, reason);
        Err(reason)
    }

    /// Tells the core a delivery failed. Posted from its own task: the outlet
    /// must never wait on a community queue that waits on the outlet.
    pub(super) fn failed(&self, community: &CommunityId, what: Failed, reason: Reason) {
        let (engine, community) = (self.engine.clone(), community.clone());
        tokio::spawn(async move {
            if let Err(e) = engine.post(&community, Input::DeliveryFailed { what, reason }, None).await {
                tracing::error!(error = %e, "a delivery failure could not be reported to the core");
            }
        });
    }

    pub(super) async fn dm(&self, user: u64, rendered: Rendered) -> serenity::Result<()> {
        let cached = self.dms.lock().ok().and_then(|m| m.get(&user).copied());
        let channel = match cached {
            Some(c) => c,
            None => {
                let c = retrying(|| serenity::UserId::new(user).create_dm_channel(&*self.http)).await?.id.get();
                if let Ok(mut m) = self.dms.lock() {
                    m.insert(user, c);
                }
                c
            }
        };
        self.post(channel, rendered).await
    }

    /// Posts the message into a private thread with the member, in the channel
    /// of this community's server they last used. `Ok(false)` when no such
    /// channel is known.
    async fn private_thread(&self, guild: u64, to: &MemberRef, user: u64, rendered: Rendered) -> serenity::Result<bool> {
        let Some(home) = self.homes.lock().ok().and_then(|h| h.get(&(guild, to.clone())).copied()) else { return Ok(false) };
        // Threads can't hold threads: in a circle's thread, the channel it was made in.
        let home = self.outside_threads(home).await;
        let cached = self.threads.lock().ok().and_then(|t| t.get(&(user, home)).copied());
        let thread = match cached {
            Some(t) => t,
            None => {
                let name = self.catalogue.line(&Line::new("discord-private-thread"));
                let builder = serenity::CreateThread::new(name).kind(serenity::ChannelType::PrivateThread).invitable(false);
                let thread = retrying(|| serenity::ChannelId::new(home).create_thread(&*self.http, builder.clone())).await?.id;
                retrying(|| thread.add_thread_member(&*self.http, serenity::UserId::new(user))).await?;
                let intro = Message::info(Line::new("discord-private-thread-intro"));
                self.post(thread.get(), render(&self.catalogue, &intro, 0)).await?;
                if let Ok(mut t) = self.threads.lock() {
                    t.insert((user, home), thread.get());
                }
                thread.get()
            }
        };
        self.post(thread, rendered).await?;
        Ok(true)
    }

    /// Posts a rendered message into a channel, part by part.
    pub(super) async fn post(&self, channel: u64, rendered: Rendered) -> serenity::Result<()> {
        self.post_id(channel, rendered).await.map(drop)
    }

    /// Posts a rendered message, part by part; the id of its last part.
    pub(super) async fn post_id(&self, channel: u64, rendered: Rendered) -> serenity::Result<Option<u64>> {
        let mut posted = None;
        let Rendered { parts, rows, mut file, mut embed, notify } = rendered;
        let last = parts.len().saturating_sub(1);
        for (i, part) in parts.into_iter().enumerate() {
            // Only the first part names the person it addresses; only it may notify them.
            let allowed = if i == 0 { pings(notify) } else { no_pings() };
            let mut m = serenity::CreateMessage::new().content(part).allowed_mentions(allowed);
            if i == last {
                if let Some(e) = embed.take() {
                    m = m.embed(e);
                }
                if !rows.is_empty() {
                    m = m.components(rows.clone());
                }
                if let Some(f) = file.take() {
                    m = m.add_file(f);
                }
            }
            posted = Some(retrying(|| serenity::ChannelId::new(channel).send_message(&*self.http, m.clone())).await?.id.get());
        }
        Ok(posted)
    }

    /// The sender's own private message, as an ephemeral follow-up to their
    /// interaction. False when it could not be sent.
    pub(super) async fn follow_up(&self, token: &str, message: &Message, community: Option<&CommunityId>) -> bool {
        let guild = community.and_then(|c| snowflake(c.raw())).unwrap_or(0);
        let Rendered { parts, rows, mut file, mut embed, .. } = render(&self.catalogue, message, guild);
        let last = parts.len().saturating_sub(1);
        for (i, part) in parts.into_iter().enumerate() {
            let mut f = serenity::CreateInteractionResponseFollowup::new().content(part).ephemeral(true).allowed_mentions(no_pings());
            if i == last {
                if let Some(e) = embed.take() {
                    f = f.embed(e);
                }
                if !rows.is_empty() {
                    f = f.components(rows.clone());
                }
                if let Some(file) = file.take() {
                    f = f.add_file(file);
                }
            }
            if let Err(e) = retrying(|| f.clone().execute(&*self.http, (None, token))).await {
                tracing::error!(error = %e, "an ephemeral reply could not be sent");
                return false;
            }
        }
        true
    }

    /// Removes a slash command's "thinking" reply when nothing private came back
    /// (what the command did shows in the channel). If it can't be removed, it
    /// says "Done." rather than think forever.
    pub(super) async fn delete_thinking(&self, token: &str) {
        let Err(e) = self.http.delete_original_interaction_response(token).await else { return };
        tracing::debug!(error = %e, "the deferred reply could not be removed; it is edited instead");
        let done = self.catalogue.line(&Line::new("discord-done"));
        let edit = serenity::EditInteractionResponse::new().content(done).allowed_mentions(no_pings());
        if let Err(e) = edit.execute(&*self.http, token).await {
            tracing::warn!(error = %e, "the deferred reply could not be finished");
        }
    }
}

/// Runs a request again while it is answered 429 ("slow down"), waiting longer
/// each time (0.1 s, 0.2 s, 0.4 s, 0.8 s). Through Discord itself, serenity's own
/// rate limiter waits before a 429 can happen; through a proxy (`api_base`) the
/// proxy owns rate limits and may answer 429, and nothing may be lost behind it.
pub(super) async fn retrying<T, F, Fut>(mut request: F) -> serenity::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = serenity::Result<T>>,
{
    let mut wait = std::time::Duration::from_millis(100);
    let mut tries = 1;
    loop {
        match request().await {
            Err(e) if rate_limited(&e) && tries < TRIES => {
                tracing::info!(tries, "Discord asked attune to slow down; trying again shortly");
                tokio::time::sleep(wait).await;
                wait *= 2;
                tries += 1;
            }
            other => return other,
        }
    }
}

fn rate_limited(e: &serenity::Error) -> bool {
    matches!(e, serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(r)) if r.status_code.as_u16() == 429)
}

/// A Discord id from its text; never zero (serenity's ids panic on zero).
pub(super) fn snowflake(raw: &str) -> Option<u64> {
    raw.parse::<u64>().ok().filter(|n| *n != 0)
}

/// Discord's JSON error code of a failed request.
pub(super) fn code(e: &serenity::Error) -> Option<isize> {
    match e {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(r)) => Some(r.error.code),
        _ => None,
    }
}
