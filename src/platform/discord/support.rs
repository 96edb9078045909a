//! `support` on Discord: the member reaches a human. The core asks for it
//! (`Delivery::OpenSupport`, which carries no message text); the adapter
//! opens a private thread (type 12, not invitable) in the configured
//! `discord.support_channel`, or else in the channel the member last used
//! attune in (a thread's parent), adds the member and the moderators by
//! their ids (being added shows them the thread; nobody is pinged), and says
//! in it who asked. The moderators are the server's owner, the configured
//! `discord.support_members`, and every member attune has seen use it with
//! moderator rights (memory only; the owner and the configured ones are
//! known again at once after a restart). When no thread can be opened, or
//! nobody could be added, the core hears that the page failed, and the
//! member is told plainly and may ask again.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use poise::serenity_prelude as serenity;

use super::Shared;
use super::render::render;
use super::send::{retrying, snowflake};
use crate::core::delivery::{Failed, Reason};
use crate::core::effect::{Line, Message};
use crate::core::ids::{CommunityId, MemberRef};

/// At most this many moderators are added to one thread (a large team is
/// reached through the owner and the configured ones).
const MOST: usize = 25;

/// Who a support thread brings in, and where it opens.
pub(super) struct Support {
    channel: Option<u64>,
    configured: Vec<u64>,
    /// guild → its owner, from the gateway's GUILD_CREATE.
    owners: Mutex<HashMap<u64, u64>>,
    /// guild → members seen using attune with moderator rights.
    seen: Mutex<HashMap<u64, BTreeSet<u64>>>,
    /// guild → members whose last interaction carried Manage Server. A message's
    /// author comes without permissions; this is what Discord last said of them.
    managing: Mutex<HashMap<u64, BTreeSet<u64>>>,
}

impl Support {
    pub(super) fn new(channel: Option<u64>, configured: Vec<u64>) -> Self {
        Self {
            channel,
            configured,
            owners: Mutex::new(HashMap::new()),
            seen: Mutex::new(HashMap::new()),
            managing: Mutex::new(HashMap::new()),
        }
    }

    /// Notes whether Discord resolved Manage Server for `user` in an interaction.
    pub(super) fn noted_manage(&self, guild: u64, user: u64, manages: bool) {
        note(&self.managing, guild, user, manages);
    }

    /// Whether Discord last said `user` manages `guild` (its owner always does).
    pub(super) fn manages(&self, guild: u64, user: u64) -> bool {
        let owner = self.owners.lock().ok().and_then(|o| o.get(&guild).copied());
        owner == Some(user) || self.managing.lock().is_ok_and(|m| m.get(&guild).is_some_and(|s| s.contains(&user)))
    }

    /// The server's owner, as Discord last said.
    pub(super) fn owner_of(&self, guild: u64) -> Option<u64> {
        self.owners.lock().ok().and_then(|o| o.get(&guild).copied())
    }

    pub(super) fn owner(&self, guild: u64, user: u64) {
        if let Ok(mut o) = self.owners.lock() {
            o.insert(guild, user);
        }
    }

    /// Notes what the core made of someone using attune in `guild`: a moderator
    /// is someone a support thread can bring in; someone who no longer is (a
    /// role taken away) is never brought in again.
    pub(super) fn seen(&self, guild: u64, user: u64, moderator: bool) {
        note(&self.seen, guild, user, moderator);
    }

    /// The moderators for `guild`, never `member` themself: configured first,
    /// then the owner, then those seen; each once.
    fn people(&self, guild: u64, member: u64) -> Vec<u64> {
        let owner = self.owners.lock().ok().and_then(|o| o.get(&guild).copied());
        let seen: Vec<u64> = self.seen.lock().ok().and_then(|s| s.get(&guild).map(|s| s.iter().copied().collect())).unwrap_or_default();
        let mut out: Vec<u64> = Vec::new();
        for id in self.configured.iter().copied().chain(owner).chain(seen) {
            if id != member && !out.contains(&id) {
                out.push(id);
            }
        }
        out.truncate(MOST);
        out
    }
}

impl Shared {
    /// Opens the support thread, or tells the core the page failed.
    pub(super) async fn open_support(&self, community: &CommunityId, member: &MemberRef, display: &str) {
        match self.support_thread(community, member, display).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(community = %community, "no support thread could be opened (no channel known, or no moderator known)");
                self.failed(community, Failed::Support { member: member.clone() }, Reason::Platform);
            }
            Err(e) => {
                tracing::error!(error = %e, community = %community, "the support thread could not be opened");
                self.failed(community, Failed::Support { member: member.clone() }, Reason::Platform);
            }
        }
    }

    async fn support_thread(&self, community: &CommunityId, member: &MemberRef, display: &str) -> serenity::Result<bool> {
        let (Some(guild), Some(user)) = (snowflake(community.raw()), snowflake(member.user())) else { return Ok(false) };
        let home = self.homes.lock().ok().and_then(|h| h.get(&(guild, member.clone())).copied());
        let Some(channel) = self.support.channel.or(home) else { return Ok(false) };
        let moderators = self.support.people(guild, user);
        if moderators.is_empty() {
            return Ok(false);
        }
        let name = self.catalogue.line(&Line::new("discord-support-thread"));
        let builder = serenity::CreateThread::new(name).kind(serenity::ChannelType::PrivateThread).invitable(false);
        let thread = retrying(|| serenity::ChannelId::new(channel).create_thread(&*self.http, builder.clone())).await?.id;
        retrying(|| thread.add_thread_member(&*self.http, serenity::UserId::new(user))).await?;
        let mut added = 0;
        for m in moderators {
            match retrying(|| thread.add_thread_member(&*self.http, serenity::UserId::new(m))).await {
                Ok(()) => added += 1,
                // Someone who left the server, say; the others are still reached.
                Err(e) => tracing::warn!(error = %e, "a moderator could not be added to a support thread"),
            }
        }
        let intro = Message::info(Line::new("discord-support-thread-intro").member("name", member, display));
        self.post(thread.get(), render(&self.catalogue, &intro, guild)).await?;
        Ok(added > 0)
    }
}

/// Puts `user` in (or takes them out of) `guild`'s set.
fn note(sets: &Mutex<HashMap<u64, BTreeSet<u64>>>, guild: u64, user: u64, member: bool) {
    if let Ok(mut sets) = sets.lock() {
        let set = sets.entry(guild).or_default();
        if member {
            set.insert(user);
        } else {
            set.remove(&user);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_moderators_are_the_configured_then_the_owner_then_those_seen_each_once_never_the_member() {
        let s = Support::new(None, vec![5, 6]);
        assert_eq!(s.people(1, 9), [5, 6], "the configured ones, before anyone is known");
        s.owner(1, 7);
        s.seen(1, 6, true);
        s.seen(1, 8, true);
        s.seen(1, 9, true);
        s.seen(2, 4, true);
        assert_eq!(s.people(1, 9), [5, 6, 7, 8], "each once, and never the member who asked");
        assert_eq!(s.people(2, 4), [5, 6], "another guild has its own");
        for u in 100..200 {
            s.seen(1, u, true);
        }
        assert_eq!(s.people(1, 9).len(), MOST);
    }

    #[test]
    fn someone_who_stopped_being_a_moderator_is_never_brought_into_a_support_thread_again() {
        let s = Support::new(None, Vec::new());
        s.seen(1, 8, true);
        assert_eq!(s.people(1, 9), [8]);
        s.seen(1, 8, false);
        assert!(s.people(1, 9).is_empty(), "a role taken away takes them out of private threads");
        s.owner(1, 7);
        s.owner(1, 3);
        assert_eq!(s.people(1, 9), [3], "a new owner replaces the old one");
        assert!(s.manages(1, 3) && !s.manages(1, 7));
    }
}
