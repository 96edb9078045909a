//! The floor on Discord: `hold` in a channel of the circle's own.
//!
//! While someone speaks, permission overwrites let only the speaker, the
//! hosts and attune itself send messages: `@everyone` and every role or
//! member overwrite that allowed sending is made to deny it, and the speaker,
//! hosts and attune get an overwrite that allows it. Only the Send Messages
//! bit is ever flipped, on the overwrite as it is now: whatever else a
//! moderator set, before or during the circle, stays, and Send Messages in
//! Threads is never touched (support and private threads in the channel go
//! on). Before anything is changed the original overwrite (or its absence)
//! is written down with `Store::hold_floor` (the first original wins); the
//! turn's end, the circle's end and the adapter's start after a crash put
//! the Send Messages bits back as they were, and delete an overwrite attune
//! made once nothing else is left in it.
//!
//! Discord lets a bot allow or deny only permissions it has itself (unless
//! it has Manage Roles in the channel's own overwrites): a role overwrite
//! that carries one the bot lacks can't be edited. Such a role (usually the
//! moderators') keeps sending while the floor is held; the rest is held.
//!
//! A thread has no overwrites of its own, so in a thread `hold` does nothing
//! here and works as `nudge` (the core nudges whoever posts during another's
//! turn under `hold` too). A voice channel linked to the circle is handled in
//! `voice.rs`. When Discord refuses (50013, missing permissions), the core
//! hears `DeliveryFailed { Floor }` and tells the hosts once.

use std::collections::{BTreeMap, BTreeSet};

use poise::serenity_prelude as serenity;

use super::Shared;
use super::send::{code, retrying, snowflake};
use crate::core::delivery::{Failed, Reason};
use crate::core::ids::{ChannelId, CommunityId, MemberRef};
use crate::engine::FloorHold;

/// Discord's "Missing Permissions".
pub(super) const MISSING_PERMISSIONS: isize = 50013;
/// Unknown Channel, Unknown Guild, Unknown Member, Unknown Role, Unknown Overwrite.
const GONE: [isize; 5] = [10003, 10004, 10007, 10011, 10009];

/// Who an overwrite is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    Role(u64),
    Member(u64),
}

impl Target {
    fn key(self) -> String {
        match self {
            Target::Role(id) => format!("overwrite:role:{id}"),
            Target::Member(id) => format!("overwrite:member:{id}"),
        }
    }

    fn from_key(key: &str) -> Option<Self> {
        let rest = key.strip_prefix("overwrite:")?;
        let (kind, id) = rest.split_once(':')?;
        let id = snowflake(id)?;
        match kind {
            "role" => Some(Target::Role(id)),
            "member" => Some(Target::Member(id)),
            _ => None,
        }
    }

    fn kind(self) -> serenity::PermissionOverwriteType {
        match self {
            Target::Role(id) => serenity::PermissionOverwriteType::Role(serenity::RoleId::new(id)),
            Target::Member(id) => serenity::PermissionOverwriteType::Member(serenity::UserId::new(id)),
        }
    }
}

/// An overwrite's two bit sets; `None` where the channel had no overwrite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Bits {
    allow: u64,
    deny: u64,
}

/// What the store keeps as a hold's original: the overwrite, or its absence.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
enum Original {
    Was(Bits),
    None { none: bool },
}

fn encode(original: Option<Bits>) -> String {
    let o = match original {
        Some(b) => Original::Was(b),
        None => Original::None { none: true },
    };
    serde_json::to_string(&o).unwrap_or_else(|_| r#"{"none":true}"#.to_owned())
}

fn decode(raw: &str) -> Option<Option<Bits>> {
    match serde_json::from_str::<Original>(raw).ok()? {
        Original::Was(b) => Some(Some(b)),
        Original::None { .. } => Some(None),
    }
}

/// Send Messages: the only bit the floor changes.
const SEND: u64 = 1 << 11;

/// What an overwrite says about sending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Send {
    Allow,
    Deny,
    Unset,
}

fn send_of(bits: Option<Bits>) -> Send {
    match bits {
        Some(b) if b.allow & SEND != 0 => Send::Allow,
        Some(b) if b.deny & SEND != 0 => Send::Deny,
        _ => Send::Unset,
    }
}

/// `current` with only its Send Messages bits set to `send`; `None` where
/// nothing is left in it (the overwrite is removed).
fn with_send(current: Option<Bits>, send: Send) -> Option<Bits> {
    let base = current.unwrap_or(Bits { allow: 0, deny: 0 });
    let allow = (base.allow & !SEND) | if send == Send::Allow { SEND } else { 0 };
    let deny = (base.deny & !SEND) | if send == Send::Deny { SEND } else { 0 };
    (allow != 0 || deny != 0).then_some(Bits { allow, deny })
}

/// What sending should be for a target while the floor is held, from what it
/// was before attune touched it: those who may speak are allowed, `@everyone`
/// and whoever was allowed are denied, and the rest is as it was.
fn held_send(original: Option<Bits>, may_speak: bool, everyone: bool) -> Send {
    let was = send_of(original);
    if may_speak {
        Send::Allow
    } else if everyone || was == Send::Allow {
        Send::Deny
    } else {
        was
    }
}

impl Shared {
    /// Carries out `Delivery::Floor` for the circle's channel and its voice channel.
    pub(super) async fn floor(
        &self,
        community: &CommunityId,
        channel: ChannelId,
        speaker: Option<MemberRef>,
        hosts: Vec<MemberRef>,
        voice: Option<ChannelId>,
        seq: u64,
    ) {
        let ids = |m: &MemberRef| snowflake(m.user());
        let speaking: Option<u64> = speaker.as_ref().and_then(ids);
        let hosts: Vec<u64> = hosts.iter().filter_map(ids).collect();
        // The whole change, text and voice, under one lock: two changes for a circle never
        // interleave, so a release can't finish before the hold it follows (leaving someone muted).
        let _turn = self.floor_turns.lock().await;
        if !self.floor_order.current(&channel, seq) {
            tracing::debug!(channel = %channel, "a floor change that arrived after a newer one was dropped");
            return;
        }
        // Voice is held on its own: a speaker the text channel can't let through still
        // speaks in voice, where only listeners are muted.
        match speaking {
            Some(s) => self.hold(community, &channel, s, &hosts).await,
            None => self.release(community, &channel).await,
        }
        if let Some(v) = voice {
            match speaking {
                Some(s) => self.hold_voice(community, &channel, &v, s, &hosts).await,
                None => self.release_voice(community, &v).await,
            }
        }
    }

    /// Holds the floor in a text channel; in a thread, does nothing (`nudge`).
    async fn hold(&self, community: &CommunityId, channel: &ChannelId, speaker: u64, hosts: &[u64]) {
        let (Some(ch), Some(guild)) = (snowflake(channel.raw()), snowflake(community.raw())) else { return };
        let current = match self.http.get_channel(serenity::ChannelId::new(ch)).await {
            Ok(serenity::Channel::Guild(c)) if matches!(c.kind, serenity::ChannelType::Text | serenity::ChannelType::News) => c,
            Ok(_) => {
                tracing::debug!(channel = ch, "no overwrites here (a thread): the floor works as a nudge");
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, channel = ch, "the circle's channel could not be read; the floor is not held");
                self.floor_failed(community, channel, &e);
                return;
            }
        };
        let mut now: BTreeMap<Target, Bits> = BTreeMap::new();
        for o in &current.permission_overwrites {
            let target = match o.kind {
                serenity::PermissionOverwriteType::Role(r) => Target::Role(r.get()),
                serenity::PermissionOverwriteType::Member(u) => Target::Member(u.get()),
                _ => continue,
            };
            now.insert(target, Bits { allow: o.allow.bits(), deny: o.deny.bits() });
        }
        let holds = match self.engine.ledger().floor_holds(channel).await {
            Ok(h) => h,
            Err(e) => {
                tracing::error!(error = %e, "the floor's bookkeeping could not be read; the floor is not held");
                return;
            }
        };
        let mut originals: BTreeMap<Target, Option<Bits>> = BTreeMap::new();
        for h in &holds {
            if let (Some(t), Some(o)) = (Target::from_key(&h.target), decode(&h.original)) {
                originals.insert(t, o);
            }
        }
        let speakers: BTreeSet<u64> = std::iter::once(speaker).chain(hosts.iter().copied()).chain(self.bot).collect();
        let mut targets: BTreeSet<Target> = now.keys().chain(originals.keys()).copied().collect();
        targets.insert(Target::Role(guild));
        targets.extend(speakers.iter().map(|u| Target::Member(*u)));
        // Those who may speak are allowed first, so nobody is ever silenced on their own turn
        // by a hold that stopped halfway.
        let (first, rest): (Vec<Target>, Vec<Target>) =
            targets.into_iter().partition(|t| matches!(t, Target::Member(u) if speakers.contains(u)));
        for t in first.into_iter().chain(rest) {
            let current = now.get(&t).copied();
            let original = originals.get(&t).copied().unwrap_or(current);
            let may_speak = matches!(t, Target::Member(u) if speakers.contains(&u));
            let send = held_send(original, may_speak, t == Target::Role(guild));
            let want = with_send(current, send);
            let fresh = !originals.contains_key(&t);
            if want == current {
                // Already so. Where it is so because it is as it was, attune holds nothing here.
                if !fresh
                    && send == send_of(original)
                    && let Err(e) = self.engine.ledger().release_floor(channel, &t.key()).await
                {
                    tracing::error!(error = %e, "a restored overwrite could not be forgotten; it is restored again later");
                }
                continue;
            }
            if fresh && let Err(e) = self.engine.ledger().hold_floor(channel, &t.key(), &encode(original)).await {
                // Never change what could not be written down first.
                tracing::error!(error = %e, "the floor's bookkeeping could not be written; the floor is not held");
                return;
            }
            let Err(e) = self.set(ch, t, want).await else { continue };
            if fresh && let Err(e) = self.engine.ledger().release_floor(channel, &t.key()).await {
                // Nothing changed; a later restore only puts back what was there.
                tracing::error!(error = %e, "an overwrite that was never changed could not be forgotten");
            }
            // A role or member overwrite the bot may not edit (it carries a permission the
            // bot lacks) keeps sending; the hold goes on for everyone else.
            let essential = t == Target::Role(guild) || may_speak;
            if code(&e) == Some(MISSING_PERMISSIONS) && !essential {
                tracing::info!(channel = ch, "an overwrite the bot may not edit keeps sending while the floor is held");
                continue;
            }
            // The speaker can't be let through, or everyone else can't be held: this turn
            // isn't held at all (the core nudges instead), and the hosts hear why.
            tracing::warn!(error = %e, channel = ch, "a permission overwrite could not be changed; the floor is not held this turn");
            self.release(community, channel).await;
            self.floor_failed(community, channel, &e);
            return;
        }
    }

    /// Puts back everything attune changed in a channel (text or voice).
    pub(super) async fn release(&self, community: &CommunityId, channel: &ChannelId) {
        let holds = match self.engine.ledger().floor_holds(channel).await {
            Ok(h) => h,
            Err(e) => {
                tracing::error!(error = %e, "the floor's bookkeeping could not be read; nothing was restored");
                return;
            }
        };
        // The channel's overwrites, read once: each put-back changes only its own target.
        let known = match snowflake(channel.raw()) {
            Some(ch) if holds.iter().any(|h| Target::from_key(&h.target).is_some()) => self.overwrites(ch).await.ok(),
            _ => None,
        };
        for hold in holds {
            if let Err(e) = self.restore_hold(&hold, known.as_ref()).await {
                tracing::warn!(error = %e, "a floor change could not be undone yet; it is tried again later");
                self.floor_failed(community, channel, &e);
            }
        }
    }

    /// After a start: puts back everything a crash may have left held, before
    /// (and never interleaved with) any floor change of this run.
    pub(super) async fn restore_held_floors(&self) {
        let _turn = self.floor_turns.lock().await;
        let holds = match self.engine.ledger().floor_holds_on(crate::core::ids::Platform::Discord).await {
            Ok(h) => h,
            Err(e) => {
                tracing::error!(error = %e, "the floor's bookkeeping could not be read at start");
                return;
            }
        };
        if !holds.is_empty() {
            tracing::info!(held = holds.len(), "restoring what the floor changed before attune stopped");
        }
        for hold in holds {
            if let Err(e) = self.restore_hold(&hold, None).await {
                tracing::warn!(error = %e, "a floor change could not be undone at start; it is tried again later");
            }
        }
    }

    /// Undoes one hold and forgets it. A hold whose channel, member or role is
    /// gone is forgotten too (there is nothing left to restore).
    /// `known`: the channel's overwrites as they are now, where already read.
    async fn restore_hold(&self, hold: &FloorHold, known: Option<&BTreeMap<Target, Bits>>) -> serenity::Result<()> {
        let result = if let Some(t) = Target::from_key(&hold.target) {
            match (snowflake(hold.channel.raw()), decode(&hold.original)) {
                (Some(ch), Some(original)) => self.put_back(ch, t, original, known).await,
                _ => Ok(()),
            }
        } else if let Some((guild, user)) = super::voice::mute_key(&hold.target) {
            match self.unmute(guild, user).await {
                // Not in voice now: unmuted when they next connect (`voice.rs`).
                Err(e) if code(&e) == Some(super::voice::NOT_IN_VOICE) => return Ok(()),
                other => other,
            }
        } else {
            tracing::warn!("a floor hold of an unknown kind was forgotten");
            Ok(())
        };
        match result {
            Err(e) if !code(&e).is_some_and(|c| GONE.contains(&c)) => Err(e),
            _ => {
                if let Err(e) = self.engine.ledger().release_floor(&hold.channel, &hold.target).await {
                    tracing::error!(error = %e, "a restored floor change could not be forgotten; it is restored again later");
                }
                Ok(())
            }
        }
    }

    /// Puts one target's Send Messages bits back as they were, on the overwrite
    /// as it is now (whatever else changed meanwhile stays).
    async fn put_back(&self, ch: u64, t: Target, original: Option<Bits>, known: Option<&BTreeMap<Target, Bits>>) -> serenity::Result<()> {
        let current = match known {
            Some(now) => now.get(&t).copied(),
            None => self.overwrites(ch).await?.get(&t).copied(),
        };
        let want = with_send(current, send_of(original));
        if want == current {
            return Ok(());
        }
        match self.set(ch, t, want).await {
            // A moderator added a permission attune lacks to this overwrite meanwhile, so
            // Discord won't take it back with that in it: the overwrite as it was before the
            // circle, which attune could write, rather than a channel left held for good.
            Err(e) if code(&e) == Some(MISSING_PERMISSIONS) && want != original => {
                tracing::warn!(channel = ch, "an overwrite changed during the circle was put back as it was before it");
                self.set(ch, t, original).await
            }
            other => other,
        }
    }

    /// A channel's overwrites as they are now.
    async fn overwrites(&self, ch: u64) -> serenity::Result<BTreeMap<Target, Bits>> {
        let serenity::Channel::Guild(c) = self.http.get_channel(serenity::ChannelId::new(ch)).await? else {
            return Ok(BTreeMap::new());
        };
        Ok(c.permission_overwrites
            .iter()
            .filter_map(|o| {
                let target = match o.kind {
                    serenity::PermissionOverwriteType::Role(r) => Target::Role(r.get()),
                    serenity::PermissionOverwriteType::Member(u) => Target::Member(u.get()),
                    _ => return None,
                };
                Some((target, Bits { allow: o.allow.bits(), deny: o.deny.bits() }))
            })
            .collect())
    }

    /// Sets (`PUT`) or removes (`DELETE`) one overwrite.
    async fn set(&self, ch: u64, t: Target, bits: Option<Bits>) -> serenity::Result<()> {
        let channel = serenity::ChannelId::new(ch);
        match bits {
            Some(b) => {
                let o = serenity::PermissionOverwrite {
                    allow: serenity::Permissions::from_bits_retain(b.allow),
                    deny: serenity::Permissions::from_bits_retain(b.deny),
                    kind: t.kind(),
                };
                retrying(|| channel.create_permission(&*self.http, o.clone())).await
            }
            None => retrying(|| channel.delete_permission(&*self.http, t.kind())).await,
        }
    }

    /// Tells the core the floor could not be held when Discord refused for lack of permissions.
    pub(super) fn floor_failed(&self, community: &CommunityId, channel: &ChannelId, e: &serenity::Error) {
        if code(e) == Some(MISSING_PERMISSIONS) {
            self.failed(community, Failed::Floor { channel: channel.clone() }, Reason::Platform);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_original_round_trips_through_the_store_encoding() {
        for o in [None, Some(Bits { allow: 1 << 11, deny: 0 }), Some(Bits { allow: 0, deny: 3 })] {
            assert_eq!(decode(&encode(o)), Some(o));
        }
        assert_eq!(Target::from_key(&Target::Role(5).key()), Some(Target::Role(5)));
        assert_eq!(Target::from_key(&Target::Member(6).key()), Some(Target::Member(6)));
        assert_eq!(Target::from_key("mute:1:2"), None);
    }

    #[test]
    fn while_held_only_those_who_may_speak_can_send_and_only_the_send_bit_changes() {
        // @everyone without an overwrite is denied sending.
        assert_eq!(held_send(None, false, true), Send::Deny);
        assert_eq!(with_send(None, Send::Deny), Some(Bits { allow: 0, deny: SEND }));
        // A role that allowed sending is denied; one that said nothing is left alone.
        assert_eq!(held_send(Some(Bits { allow: SEND | 1, deny: 0 }), false, false), Send::Deny);
        assert_eq!(held_send(Some(Bits { allow: 1, deny: 0 }), false, false), Send::Unset);
        // The speaker is allowed, keeping their other bits.
        assert_eq!(held_send(Some(Bits { allow: 0, deny: SEND | 4 }), true, false), Send::Allow);
        assert_eq!(with_send(Some(Bits { allow: 0, deny: SEND | 4 }), Send::Allow), Some(Bits { allow: SEND, deny: 4 }));
        // Sending in threads is never touched.
        let threads = 1 << 38;
        assert_eq!(with_send(Some(Bits { allow: threads, deny: 0 }), Send::Deny), Some(Bits { allow: threads, deny: SEND }));
        // Put back on what is there now: a moderator's change meanwhile stays, and an
        // overwrite with nothing else left in it goes.
        let now = Some(Bits { allow: 0, deny: SEND | 0x8000 });
        assert_eq!(with_send(now, send_of(None)), Some(Bits { allow: 0, deny: 0x8000 }));
        assert_eq!(with_send(Some(Bits { allow: 0, deny: SEND }), send_of(None)), None);
    }
}
