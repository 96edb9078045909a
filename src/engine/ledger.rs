//! What adapters keep about their platform, kept for them by the engine.
//!
//! An adapter needs a little bookkeeping of its own to carry out effects
//! faithfully: what it changed to hold the floor (so it can put it back after
//! a turn, a circle or a crash), which Matrix room is a member's private room,
//! the console's moderator and clock. The engine owns every write to the
//! database, so adapters reach that bookkeeping only through this narrow
//! ledger, never through the store: they can't read a community's state
//! behind the core's back, and every write has one owner. Times come from the
//! engine's clock, so a test's manual clock holds here too.

use jiff::Timestamp;

use super::{Engine, EngineError};
use crate::core::ids::{ChannelId, CommunityId, MemberRef, Platform};

pub use crate::store::FloorHold;

/// The engine's ledger of platform bookkeeping (see the module docs).
#[derive(Clone, Copy)]
pub struct Ledger<'e> {
    engine: &'e Engine,
}

impl Engine {
    /// Platform bookkeeping for adapters: floor holds, private rooms, the console's settings.
    pub fn ledger(&self) -> Ledger<'_> {
        Ledger { engine: self }
    }
}

impl Ledger<'_> {
    fn store(&self) -> &crate::store::Store {
        &self.engine.inner.store
    }

    /// Records, before the adapter changes it, what `target` (a permission
    /// overwrite, a power level, a voice mute) was in `channel`. The first
    /// original wins: holding again never overwrites what it was before attune
    /// touched it.
    pub async fn hold_floor(&self, channel: &ChannelId, target: &str, original: &str) -> Result<(), EngineError> {
        Ok(self.store().hold_floor(channel, target, original, self.engine.clock().now()).await?)
    }

    /// What attune changed in a channel and must put back, with the originals.
    pub async fn floor_holds(&self, channel: &ChannelId) -> Result<Vec<FloorHold>, EngineError> {
        Ok(self.store().floor_holds(channel).await?)
    }

    /// Everything held on a platform (restored at start, so nothing stays held after a crash).
    pub async fn floor_holds_on(&self, platform: Platform) -> Result<Vec<FloorHold>, EngineError> {
        Ok(self.store().floor_holds_on(platform).await?)
    }

    /// Forgets a hold once its original is back.
    pub async fn release_floor(&self, channel: &ChannelId, target: &str) -> Result<(), EngineError> {
        Ok(self.store().release_floor(channel, target).await?)
    }

    /// The private room (Matrix) kept for a member of a community, if any.
    pub async fn private_room(&self, community: &CommunityId, member: &MemberRef) -> Result<Option<String>, EngineError> {
        Ok(self.store().private_room(community, member).await?)
    }

    /// Whose private room `room` is, and for which community.
    pub async fn private_room_owner(&self, room: &str) -> Result<Option<(CommunityId, MemberRef)>, EngineError> {
        Ok(self.store().private_room_owner(room).await?)
    }

    /// Remembers `room` as the member's private room for the community (an older claim on it goes).
    pub async fn set_private_room(&self, community: &CommunityId, member: &MemberRef, room: &str) -> Result<(), EngineError> {
        Ok(self.store().set_private_room(community, member, room).await?)
    }

    /// Forgets a private room (the member left it, or it is no longer private).
    pub async fn drop_private_room(&self, room: &str) -> Result<(), EngineError> {
        Ok(self.store().drop_private_room(room).await?)
    }

    /// The calendar entry (a Discord scheduled event id) kept for a circle, if any.
    pub async fn listing(&self, community: &CommunityId, circle: crate::core::ids::CircleId) -> Result<Option<String>, EngineError> {
        Ok(self.store().listing(community, circle).await?)
    }

    /// Remembers a circle's calendar entry.
    pub async fn set_listing(&self, community: &CommunityId, circle: crate::core::ids::CircleId, entry: &str) -> Result<(), EngineError> {
        Ok(self.store().set_listing(community, circle, entry).await?)
    }

    /// Forgets a circle's calendar entry.
    pub async fn drop_listing(&self, community: &CommunityId, circle: crate::core::ids::CircleId) -> Result<(), EngineError> {
        Ok(self.store().drop_listing(community, circle).await?)
    }

    /// Every room that replaced another (Matrix room upgrades): (room, predecessor).
    pub async fn moved_rooms(&self) -> Result<Vec<(String, String)>, EngineError> {
        Ok(self.store().moved_rooms().await?)
    }

    /// Remembers that `room` replaced `predecessor`.
    pub async fn set_moved_room(&self, room: &str, predecessor: &str) -> Result<(), EngineError> {
        Ok(self.store().set_moved_room(room, predecessor).await?)
    }

    /// The console's moderator, as claimed in this database.
    pub async fn console_moderator(&self) -> Result<Option<MemberRef>, EngineError> {
        Ok(self.store().console_moderator().await?)
    }

    pub async fn set_console_moderator(&self, who: &MemberRef) -> Result<(), EngineError> {
        Ok(self.store().set_console_moderator(who).await?)
    }

    /// Where the console's manual clock stood, so a restart goes on from there.
    pub async fn set_console_clock(&self, at: Timestamp) -> Result<(), EngineError> {
        Ok(self.store().set_console_clock(at).await?)
    }
}
