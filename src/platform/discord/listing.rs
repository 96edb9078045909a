//! Scheduled circles in the server's Events (Discord's Guild Scheduled Events),
//! carrying out `Delivery::Listing`: a scheduled circle becomes an event (in
//! its voice channel when it has one, otherwise an "elsewhere" event whose
//! location links the circle's thread), is moved with it, set active when it
//! begins, completed when it ends and cancelled when it is cancelled. Those who
//! marked the event as interesting get the reminder by DM. The event's id is
//! kept in the ledger, so a restart updates the same event.
//!
//! Without Manage Events (or Create Events) Discord refuses (50013): the
//! circle is scheduled as before, with no event, and `doctor` says why.

use poise::serenity_prelude as serenity;

use super::Shared;
use super::render::render;
use super::send::{code, snowflake};
use crate::core::effect::{Line, Listing};
use crate::core::ids::{CircleId, CommunityId};

/// Discord's longest event name and description, in characters.
const MAX_NAME: usize = 100;
const MAX_DESCRIPTION: usize = 1000;
/// Discord's code for a request the bot lacks the permissions for.
const MISSING_PERMISSIONS: isize = 50013;
/// Pages of interested people read for a reminder, at most (100 each).
const MAX_PAGES: usize = 20;
/// Discord's code for an event that no longer exists (a moderator deleted it).
const UNKNOWN_EVENT: isize = 10070;

impl Shared {
    pub(super) async fn listing(&self, community: &CommunityId, circle: CircleId, listing: Listing) {
        let Some(guild) = snowflake(community.raw()).map(serenity::GuildId::new) else { return };
        // One change at a time: a schedule's answer and a start's must not cross.
        let _turn = self.listing_turns.lock().await;
        let ledger = self.engine.ledger();
        let entry = match ledger.listing(community, circle).await {
            Ok(e) => e.as_deref().and_then(snowflake).map(serenity::ScheduledEventId::new),
            Err(e) => {
                tracing::error!(error = %e, "a circle's event could not be looked up");
                return;
            }
        };
        let status = |s| serenity::EditScheduledEvent::new().status(s);
        let done = match (listing, entry) {
            (Listing::Scheduled { title, at, ends_about, channel, voice, about }, entry) => {
                let name = title.unwrap_or_else(|| self.catalogue.line(&Line::new("listing-untitled")));
                let name: String = name.chars().take(MAX_NAME).collect();
                let about: String = render(&self.catalogue, &about, guild.get()).parts.concat().chars().take(MAX_DESCRIPTION).collect();
                let (Some(start), Some(end)) = (timestamp(at), timestamp(ends_about)) else { return };
                let voice = voice.as_ref().and_then(|v| snowflake(v.raw())).map(serenity::ChannelId::new);
                let place = snowflake(channel.raw()).map(|c| format!("https://discord.com/channels/{guild}/{c}"));
                // Moved: the same event, at the new time (and with the name it has now).
                let moved = match entry {
                    Some(id) => {
                        let edit = serenity::EditScheduledEvent::new().start_time(start).name(name.clone());
                        let edit = if voice.is_some() { edit } else { edit.end_time(end) };
                        match guild.edit_scheduled_event(&*self.http, id, edit).await {
                            // Deleted by hand meanwhile: listed anew below.
                            Err(e) if code(&e) == Some(UNKNOWN_EVENT) => None,
                            other => Some(other.map(|_| None)),
                        }
                    }
                    None => None,
                };
                match moved {
                    Some(done) => done,
                    // Only where everyone in the server can see the circle's channel: the Events
                    // tab shows every event to the whole server.
                    None if !self.everyone_sees(guild, &channel, voice).await => {
                        tracing::info!(community = %community, "a scheduled circle in a channel not everyone can see is not listed in Events");
                        return;
                    }
                    None => {
                        let create = match (voice, place) {
                            (Some(v), _) => {
                                serenity::CreateScheduledEvent::new(serenity::ScheduledEventType::Voice, name, start).channel_id(v)
                            }
                            (None, Some(link)) => serenity::CreateScheduledEvent::new(serenity::ScheduledEventType::External, name, start)
                                .location(link)
                                .end_time(end),
                            (None, None) => return,
                        };
                        guild.create_scheduled_event(&*self.http, create.description(about)).await.map(|e| Some(e.id))
                    }
                }
            }
            (Listing::Remind { message, skip }, Some(id)) => {
                self.remind_interested(guild, id, &message, &skip).await;
                return;
            }
            (Listing::Started, Some(id)) => {
                guild.edit_scheduled_event(&*self.http, id, status(serenity::ScheduledEventStatus::Active)).await.map(|_| None)
            }
            (Listing::Ended, Some(id)) => {
                let mut r = guild.edit_scheduled_event(&*self.http, id, status(serenity::ScheduledEventStatus::Completed)).await;
                // An event that never went live (its start was missed) can only be cancelled.
                if let Err(e) = &r
                    && code(e) != Some(UNKNOWN_EVENT)
                {
                    r = guild.edit_scheduled_event(&*self.http, id, status(serenity::ScheduledEventStatus::Canceled)).await;
                }
                self.forget_listing(community, circle).await;
                r.map(|_| None)
            }
            (Listing::Cancelled, Some(id)) => {
                let r = guild.edit_scheduled_event(&*self.http, id, status(serenity::ScheduledEventStatus::Canceled)).await;
                self.forget_listing(community, circle).await;
                r.map(|_| None)
            }
            // Never listed (no permission then, or listed before this version): nothing to change.
            (Listing::Remind { .. } | Listing::Started | Listing::Ended | Listing::Cancelled, None) => return,
        };
        match done {
            Ok(Some(id)) => {
                if let Err(e) = ledger.set_listing(community, circle, &id.get().to_string()).await {
                    tracing::error!(error = %e, "a circle's event could not be remembered; it will not follow the circle");
                }
            }
            Ok(None) => {}
            Err(e) if code(&e) == Some(MISSING_PERMISSIONS) => {
                tracing::warn!(
                    community = %community,
                    "the circle is not in the server's Events: attune lacks Manage Events there, or View Channel and Connect in its voice channel (see attune doctor)"
                );
            }
            Err(e) if code(&e) == Some(UNKNOWN_EVENT) => {
                tracing::info!(community = %community, "a circle's event was deleted in Discord; it is let be");
                self.forget_listing(community, circle).await;
            }
            Err(e) => tracing::error!(error = %e, community = %community, "a circle's event could not be changed"),
        }
    }

    async fn forget_listing(&self, community: &CommunityId, circle: CircleId) {
        if let Err(e) = self.engine.ledger().drop_listing(community, circle).await {
            tracing::error!(error = %e, "a finished circle's event could not be forgotten");
        }
    }

    /// The reminder, by DM, to everyone who marked the event as interesting and
    /// isn't in the circle (they have their own). A closed DM is let be: they
    /// asked Discord, not attune, so no thread is made for them.
    async fn remind_interested(
        &self,
        guild: serenity::GuildId,
        event: serenity::ScheduledEventId,
        message: &crate::core::effect::Message,
        skip: &[crate::core::ids::MemberRef],
    ) {
        // Discord gives at most 100 at a time, oldest first; read on after the last.
        let mut users = Vec::new();
        let mut after = None;
        for _ in 0..MAX_PAGES {
            let page = match guild.scheduled_event_users_optioned(&*self.http, event, Some(100), after, None).await {
                Ok(u) => u,
                Err(e) => {
                    tracing::warn!(error = %e, "who is interested in a circle's event could not be read");
                    break;
                }
            };
            let full = page.len() == 100;
            after = page.last().map(|u| serenity::UserPagination::After(u.user.id));
            users.extend(page);
            if !full {
                break;
            }
        }
        for u in users {
            let id = u.user.id.get();
            if u.user.bot || Some(id) == self.bot || skip.iter().any(|m| snowflake(m.user()) == Some(id)) {
                continue;
            }
            if let Err(e) = self.dm(id, render(&self.catalogue, message, guild.get())).await {
                tracing::info!(code = ?code(&e), "an interested member's reminder could not be sent by DM");
            }
        }
    }
}

impl Shared {
    /// Whether everyone in the server can see where the circle runs: its channel
    /// (a thread's parent) and its voice channel deny View Channel to @everyone
    /// in no overwrite. Unreadable counts as not.
    async fn everyone_sees(
        &self,
        guild: serenity::GuildId,
        channel: &crate::core::ids::ChannelId,
        voice: Option<serenity::ChannelId>,
    ) -> bool {
        let Some(mut id) = snowflake(channel.raw()).map(serenity::ChannelId::new) else { return false };
        let mut places = Vec::new();
        for _ in 0..2 {
            let Ok(serenity::Channel::Guild(c)) = id.to_channel(&*self.http).await else { return false };
            if c.kind == serenity::ChannelType::PrivateThread {
                return false;
            }
            match (c.thread_metadata.is_some(), c.parent_id) {
                (true, Some(parent)) => id = parent,
                _ => {
                    places.push(c);
                    break;
                }
            }
        }
        if let Some(v) = voice {
            let Ok(serenity::Channel::Guild(c)) = v.to_channel(&*self.http).await else { return false };
            places.push(c);
        }
        let everyone = serenity::RoleId::new(guild.get());
        !places.is_empty()
            && places.iter().all(|c| {
                !c.permission_overwrites.iter().any(|o| {
                    o.kind == serenity::PermissionOverwriteType::Role(everyone) && o.deny.contains(serenity::Permissions::VIEW_CHANNEL)
                })
            })
    }
}

fn timestamp(t: jiff::Timestamp) -> Option<serenity::Timestamp> {
    serenity::Timestamp::from_unix_timestamp(t.as_second()).ok()
}
