//! Room upgrades. When a room is upgraded (a new room replaces it, and the old
//! one gets a tombstone naming it), the community goes with it: the new room
//! belongs to the community the old one was (`moved_rooms` in the ledger, so a
//! restart knows too), a floor held in the old room is put back, attune joins
//! the new room (or accepts the invite to it when one comes), and the core
//! moves the live circles there with `Input::Moved`, which says so once.
//!
//! Only the room a tombstone names is taken as a successor: a tombstone needs
//! power in the old room, while anyone can make a room that claims another as
//! its predecessor.

use matrix_sdk::Room;
use matrix_sdk::ruma::{OwnedRoomId, OwnedServerName};

use super::Shared;
use crate::core::ids::{ChannelId, Platform};
use crate::core::input::Input;

/// Successors followed back at most (a chain of upgrades).
const MAX_CHAIN: usize = 16;

impl Shared {
    /// The first room of a chain of upgrades that `room` ends (itself if none).
    pub(super) fn first_of(&self, room: &str) -> String {
        let Ok(moved) = self.moved.lock() else { return room.to_owned() };
        let mut id = room;
        for _ in 0..MAX_CHAIN {
            match moved.get(id) {
                Some(p) => id = p,
                None => break,
            }
        }
        id.to_owned()
    }

    /// The room a room was replaced by, if attune has seen it upgraded.
    fn successor_of(&self, room: &str) -> Option<String> {
        self.moved.lock().ok()?.iter().find(|(_, p)| p.as_str() == room).map(|(r, _)| r.clone())
    }

    /// A tombstone in `old`, sent by `sender`, names `replacement`.
    pub(super) async fn on_tombstone(&self, old: &Room, sender: &str, replacement: &str) {
        let Ok(new) = OwnedRoomId::try_from(replacement) else {
            tracing::warn!(room = %old.room_id(), "a tombstone named no valid room; ignored");
            return;
        };
        let old_id = old.room_id().to_string();
        if new.as_str() == old_id
            || self.successor_of(&old_id).as_deref() == Some(new.as_str()) && self.room(new.as_str()).is_some_and(joined)
        {
            return;
        }
        if let Err(e) = self.engine.ledger().set_moved_room(new.as_str(), &old_id).await {
            tracing::error!(error = %e, "a room upgrade could not be remembered; the new room may be taken as a new community");
        }
        if let Ok(mut moved) = self.moved.lock() {
            moved.insert(new.to_string(), old_id.clone());
        }
        tracing::info!(old = %old_id, new = %new, "a room was upgraded; its community moves to the new room");
        // Whatever the floor holds in the old room is put back: nobody speaks there any more.
        if let Ok(channel) = ChannelId::parse(Platform::Matrix, &old_id) {
            let _turn = self.floor_lock.lock().await;
            self.release(old, &channel).await;
        }
        self.forget_thread(&old_id);
        // Join the new room where its rules let attune; otherwise an invite brings it in.
        let via: Vec<OwnedServerName> = sender.split_once(':').and_then(|(_, s)| OwnedServerName::try_from(s).ok()).into_iter().collect();
        let target: matrix_sdk::ruma::OwnedRoomOrAliasId = new.clone().into();
        match self.client.join_room_by_id_or_alias(&target, &via).await {
            Ok(_) => self.moved_in(new.as_str()).await,
            Err(e) => tracing::info!(error = %e, room = %new, "the upgraded room can't be joined yet; attune waits for an invite"),
        }
    }

    /// attune is in `room`: if it replaced another, the circles there move in.
    pub(super) async fn moved_in(&self, room: &str) {
        let Some(predecessor) = self.moved.lock().ok().and_then(|m| m.get(room).cloned()) else { return };
        let Some(new_room) = self.room(room) else { return };
        let Some(community) = self.community_of(&new_room).await else { return };
        let (Ok(from), Ok(to)) = (ChannelId::parse(Platform::Matrix, &predecessor), ChannelId::parse(Platform::Matrix, room)) else {
            return;
        };
        let event = Some(format!("moved:{predecessor}:{room}"));
        match self.engine.submit(&community, Input::Moved { from, to }, event).await {
            Ok(answer) => {
                for delivery in answer.deliveries {
                    self.deliver(&community, delivery, None).await;
                }
            }
            Err(e) => tracing::error!(error = %e, "the circles of an upgraded room could not be moved"),
        }
    }
}

fn joined(room: Room) -> bool {
    room.state() == matrix_sdk::RoomState::Joined
}
