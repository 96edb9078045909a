//! Voice circles: with `hold`, everyone in the circle's linked voice channel
//! except the speaker, the hosts and attune is server-muted while someone
//! speaks, and unmuted at the turn's end, the circle's end, when they leave
//! the voice channel, and after a crash.
//!
//! attune only ever unmutes someone it muted: before a mute it writes the
//! hold down (`Store::hold_floor`, target `mute:<guild>:<user>`), and someone
//! already server-muted (by a moderator) is left alone and stays muted. A
//! server mute follows a member across voice channels and Discord can't lift
//! it while they are disconnected (40032), so a member who disconnects while
//! muted by attune is unmuted as soon as they connect again; the hold stays in
//! the store until then, across restarts.
//!
//! Who is in which voice channel comes from the gateway (`voice_states` in
//! GUILD_CREATE, then VOICE_STATE_UPDATE; the GUILD_VOICE_STATES intent).
//! Whether someone is already muted is asked of Discord right before a mute:
//! serenity runs handlers concurrently, so the gateway's view may be stale.

use std::collections::{BTreeSet, HashMap};

use poise::serenity_prelude as serenity;

use super::Shared;
use super::send::{code, retrying, snowflake};
use crate::core::ids::{ChannelId, CommunityId, Platform};

/// Discord's "Target user is not connected to voice".
pub(super) const NOT_IN_VOICE: isize = 40032;

/// A voice channel whose floor is held: who may speak there now.
#[derive(Clone, Debug)]
pub(super) struct VoiceFloor {
    community: CommunityId,
    voice: ChannelId,
    guild: u64,
    speakers: BTreeSet<u64>,
}

/// What the adapter knows about voice, in memory (rebuilt from the gateway at start).
#[derive(Default)]
pub(super) struct Voice {
    /// (guild, user) → the voice channel they are in. Whether they are muted is
    /// asked of Discord when it matters (the gateway's view may be a moment old).
    states: HashMap<(u64, u64), u64>,
    /// voice channel → its held floor.
    floors: HashMap<u64, VoiceFloor>,
}

/// The store's target for a mute attune applied.
fn mute_target(guild: u64, user: u64) -> String {
    format!("mute:{guild}:{user}")
}

/// (guild, user) of a mute target.
pub(super) fn mute_key(key: &str) -> Option<(u64, u64)> {
    let (guild, user) = key.strip_prefix("mute:")?.split_once(':')?;
    Some((snowflake(guild)?, snowflake(user)?))
}

impl Shared {
    /// Holds the floor in a voice channel: mutes every listener there.
    pub(super) async fn hold_voice(&self, community: &CommunityId, _text: &ChannelId, voice: &ChannelId, speaker: u64, hosts: &[u64]) {
        let (Some(v), Some(guild)) = (snowflake(voice.raw()), snowflake(community.raw())) else { return };
        let speakers: BTreeSet<u64> = std::iter::once(speaker).chain(hosts.iter().copied()).chain(self.bot).collect();
        if let Ok(mut voice_state) = self.voice.lock() {
            voice_state.floors.insert(v, VoiceFloor { community: community.clone(), voice: voice.clone(), guild, speakers });
        }
        self.sync_voice(v).await;
    }

    /// Lifts the floor in a voice channel: unmutes everyone attune muted.
    pub(super) async fn release_voice(&self, community: &CommunityId, voice: &ChannelId) {
        let Some(v) = snowflake(voice.raw()) else { return };
        let _turn = self.voice_turns.lock().await;
        if let Ok(mut voice_state) = self.voice.lock() {
            voice_state.floors.remove(&v);
        }
        self.release(community, voice).await;
    }

    /// Brings a held voice channel in line: listeners muted, speakers not.
    async fn sync_voice(&self, v: u64) {
        let _turn = self.voice_turns.lock().await;
        let (floor, present) = {
            let Ok(voice_state) = self.voice.lock() else { return };
            let Some(floor) = voice_state.floors.get(&v).cloned() else { return };
            let present: Vec<u64> =
                voice_state.states.iter().filter(|((g, _), c)| *g == floor.guild && **c == v).map(|((_, u), _)| *u).collect();
            (floor, present)
        };
        let held: BTreeSet<String> = match self.engine.ledger().floor_holds(&floor.voice).await {
            Ok(h) => h.into_iter().map(|h| h.target).collect(),
            Err(e) => {
                tracing::error!(error = %e, "the floor's bookkeeping could not be read; voice is left as it is");
                return;
            }
        };
        for user in present {
            let target = mute_target(floor.guild, user);
            let ours = held.contains(&target);
            if floor.speakers.contains(&user) {
                if ours {
                    self.unmute_and_forget(&floor.voice, floor.guild, user).await;
                }
                continue;
            }
            if ours {
                continue;
            }
            // Muted by someone else (a moderator): not attune's to touch, now or later. The
            // gateway's view may be a moment old (handlers run concurrently), so Discord is
            // asked before a decision that would later unmute someone.
            let muted = match self.http.get_member(serenity::GuildId::new(floor.guild), serenity::UserId::new(user)).await {
                Ok(m) => m.mute,
                Err(e) => {
                    tracing::warn!(error = %e, "a listener's voice state could not be read; they are left as they are");
                    continue;
                }
            };
            if muted {
                continue;
            }
            if let Err(e) = self.engine.ledger().hold_floor(&floor.voice, &target, r#"{"mute":false}"#).await {
                tracing::error!(error = %e, "the floor's bookkeeping could not be written; nobody is muted");
                return;
            }
            if let Err(e) = self.set_mute(floor.guild, user, true).await {
                tracing::warn!(error = %e, "a listener could not be muted");
                // Nothing changed: forget the hold, so nobody is ever unmuted by mistake.
                if let Err(e) = self.engine.ledger().release_floor(&floor.voice, &target).await {
                    tracing::error!(error = %e, "a mute that never happened could not be forgotten");
                }
                self.floor_failed(&floor.community, &floor.voice, &e);
                if code(&e) == Some(super::floor::MISSING_PERMISSIONS) {
                    return;
                }
            }
        }
    }

    /// A member's voice state changed (they joined, moved, left, or were muted).
    pub(super) async fn on_voice_state(&self, state: &serenity::VoiceState) {
        let Some(guild) = state.guild_id.map(serenity::GuildId::get) else { return };
        let user = state.user_id.get();
        let now = state.channel_id.map(serenity::ChannelId::get);
        let joined_held = {
            let Ok(mut voice_state) = self.voice.lock() else { return };
            match now {
                Some(channel) => voice_state.states.insert((guild, user), channel),
                None => voice_state.states.remove(&(guild, user)),
            };
            now.filter(|c| voice_state.floors.contains_key(c))
        };
        self.settle_mutes(guild, user, now).await;
        if let Some(c) = joined_held {
            self.sync_voice(c).await;
        }
    }

    /// The voice states a guild had when the gateway (re)connected.
    pub(super) async fn on_guild_voice(&self, guild: &serenity::Guild) {
        let g = guild.id.get();
        let users: Vec<(u64, Option<u64>)> = {
            let Ok(mut voice_state) = self.voice.lock() else { return };
            voice_state.states.retain(|(gg, _), _| *gg != g);
            for (user, s) in &guild.voice_states {
                if let Some(c) = s.channel_id {
                    voice_state.states.insert((g, user.get()), c.get());
                }
            }
            guild.voice_states.iter().map(|(u, s)| (u.get(), s.channel_id.map(serenity::ChannelId::get))).collect()
        };
        for (user, channel) in users {
            self.settle_mutes(g, user, channel).await;
        }
        let held: Vec<u64> = self.voice.lock().map(|v| v.floors.keys().copied().collect()).unwrap_or_default();
        for v in held {
            self.sync_voice(v).await;
        }
    }

    /// Unmutes a member attune muted, once they are connected anywhere except a
    /// voice channel whose floor still holds them muted.
    async fn settle_mutes(&self, guild: u64, user: u64, now: Option<u64>) {
        let Some(now) = now else { return };
        let target = mute_target(guild, user);
        let holds = match self.engine.ledger().floor_holds_on(Platform::Discord).await {
            Ok(h) => h,
            Err(e) => {
                tracing::error!(error = %e, "the floor's bookkeeping could not be read");
                return;
            }
        };
        let _turn = self.voice_turns.lock().await;
        for h in holds.into_iter().filter(|h| h.target == target) {
            let still_held = snowflake(h.channel.raw()).is_some_and(|v| {
                v == now && self.voice.lock().is_ok_and(|s| s.floors.get(&v).is_some_and(|f| !f.speakers.contains(&user)))
            });
            if !still_held {
                self.unmute_and_forget(&h.channel, guild, user).await;
            }
        }
    }

    /// Lifts a mute attune applied and forgets it; kept when the member is not
    /// connected (done when they connect).
    async fn unmute_and_forget(&self, voice: &ChannelId, guild: u64, user: u64) {
        match self.unmute(guild, user).await {
            Err(e) if code(&e) == Some(NOT_IN_VOICE) => {}
            Err(e) if !code(&e).is_some_and(|c| c == 10007 || c == 10004) => {
                tracing::warn!(error = %e, "a member attune muted could not be unmuted yet; tried again later");
            }
            _ => {
                if let Err(e) = self.engine.ledger().release_floor(voice, &mute_target(guild, user)).await {
                    tracing::error!(error = %e, "a lifted mute could not be forgotten; it is lifted again later");
                }
            }
        }
    }

    pub(super) async fn unmute(&self, guild: u64, user: u64) -> serenity::Result<()> {
        self.set_mute(guild, user, false).await
    }

    async fn set_mute(&self, guild: u64, user: u64, mute: bool) -> serenity::Result<()> {
        let g = serenity::GuildId::new(guild);
        let edit = serenity::EditMember::new().mute(mute);
        retrying(|| g.edit_member(&*self.http, serenity::UserId::new(user), edit.clone())).await.map(drop)
    }
}
