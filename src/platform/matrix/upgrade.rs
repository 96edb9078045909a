//! Room upgrades. When a room is upgraded (a new room replaces it, and the old
//! one gets a tombstone naming it), the community goes with it: once attune is
//! in the new room (it joins, or accepts the invite when one comes) and the new
//! room's creation names the old one as its predecessor, the new room belongs
//! to the community the old one was (`moved_rooms` in the ledger, so a restart
//! knows too), what the floor held is put back in both rooms (the homeserver
//! copies the old room's power levels, attune's hold included), and the core
//! moves the live circles there with `Input::Moved`, which says so once.
//!
//! Guarded against a tombstone that names someone else's room: the named room
//! must be new to attune (in no community's list, no private room, not already
//! a successor) and its creation must name the old room; private rooms are
//! never followed; the sender must be on an allowed server.

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
        let mut seen = std::collections::HashSet::new();
        for _ in 0..MAX_CHAIN {
            match moved.get(id) {
                Some(p) if seen.insert(p.as_str()) => id = p,
                _ => break,
            }
        }
        id.to_owned()
    }

    /// Whether attune already knows `room` as part of something (so a tombstone
    /// elsewhere can't claim it): a configured community's room, a private or
    /// support room, or a room that already replaced another.
    async fn known_elsewhere(&self, room: &str) -> bool {
        let configured =
            self.options.section.communities.iter().any(|c| c.rooms.iter().any(|r| r == room) || c.space.as_deref() == Some(room));
        let moved = self.moved.lock().is_ok_and(|m| m.contains_key(room) || m.values().any(|p| p == room));
        let private = matches!(self.engine.ledger().private_room_owner(room).await, Ok(Some(_)));
        configured || moved || private || self.is_support_room(room)
    }

    /// A tombstone in `old`, sent by `sender`, names `replacement`: remembered as
    /// pending, and followed once attune is in the new room.
    pub(super) async fn on_tombstone(&self, old: &Room, sender: &str, replacement: &str) {
        let Ok(new) = OwnedRoomId::try_from(replacement) else {
            tracing::warn!(room = %old.room_id(), "a tombstone named no valid room; ignored");
            return;
        };
        let old_id = old.room_id().to_string();
        if new.as_str() == old_id {
            return;
        }
        // A private room stays private: its member opens a new one when they write again.
        if matches!(self.engine.ledger().private_room_owner(&old_id).await, Ok(Some(_))) {
            return;
        }
        let already = self.moved.lock().is_ok_and(|m| m.get(new.as_str()) == Some(&old_id));
        if !already && self.known_elsewhere(new.as_str()).await {
            tracing::warn!(old = %old_id, new = %new, "a tombstone named a room attune already knows; not followed");
            return;
        }
        let server = sender.split_once(':').map(|(_, s)| s).unwrap_or_default();
        if !self.server_allowed(server) {
            tracing::info!(room = %old_id, server, "a tombstone from a server that is not allowed was not followed");
            return;
        }
        if let Ok(mut pending) = self.pending_moves.lock() {
            pending.insert(new.to_string(), old_id.clone());
        }
        tracing::info!(old = %old_id, new = %new, "a room was upgraded; attune follows it");
        if self.room(new.as_str()).is_some_and(|r| r.state() == matrix_sdk::RoomState::Joined) {
            self.moved_in(new.as_str()).await;
            return;
        }
        // Join where the new room's rules let attune (otherwise an invite brings it in);
        // the move happens once the room shows up joined in a sync (`sync.rs`).
        let via: Vec<OwnedServerName> = OwnedServerName::try_from(server).ok().into_iter().collect();
        let target: matrix_sdk::ruma::OwnedRoomOrAliasId = new.clone().into();
        if let Err(e) = self.client.join_room_by_id_or_alias(&target, &via).await {
            tracing::info!(error = %e, room = %new, "the upgraded room can't be joined yet; attune waits for an invite");
        }
    }

    /// attune is in `room`: if a tombstone named it and its creation names that
    /// room as its predecessor, the community and its circles move in.
    pub(super) async fn moved_in(&self, room: &str) {
        let pending = self.pending_moves.lock().ok().and_then(|m| m.get(room).cloned());
        let known = self.moved.lock().ok().and_then(|m| m.get(room).cloned());
        let Some(predecessor) = known.or(pending) else { return };
        let Some(new_room) = self.room(room) else { return };
        // Asked of the homeserver: right after joining, the room's state isn't synced yet.
        let claims = match new_room.predecessor_room() {
            Some(p) => Some(p.room_id.to_string()),
            None => self.predecessor_named(new_room.room_id()).await,
        };
        if claims.as_deref() != Some(predecessor.as_str()) {
            tracing::warn!(room, "a room named by a tombstone doesn't name that room as its predecessor; not followed");
            return;
        }
        if let Err(e) = self.engine.ledger().set_moved_room(room, &predecessor).await {
            tracing::error!(error = %e, "a room upgrade could not be remembered; not followed");
            return;
        }
        if let Ok(mut moved) = self.moved.lock() {
            moved.insert(room.to_owned(), predecessor.clone());
        }
        if let Ok(mut pending) = self.pending_moves.lock() {
            pending.remove(room);
        }
        let (Ok(from), Ok(to)) = (ChannelId::parse(Platform::Matrix, &predecessor), ChannelId::parse(Platform::Matrix, room)) else {
            return;
        };
        // What the floor held in the old room is put back there, and in the new room,
        // whose power levels the homeserver copied from the old one, hold and all.
        {
            let _turn = self.floor_lock.lock().await;
            if let Some(old_room) = self.room(&predecessor) {
                self.carry_floor(&old_room, &from, &new_room).await;
            }
        }
        self.forget_thread(&predecessor);
        let Some(community) = self.community_of(&new_room).await else { return };
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

    /// The room a room's creation names as its predecessor, asked of the homeserver.
    async fn predecessor_named(&self, room: &matrix_sdk::ruma::RoomId) -> Option<String> {
        use matrix_sdk::ruma::api::client::state::get_state_event_for_key;
        let request =
            get_state_event_for_key::v3::Request::new(room.to_owned(), matrix_sdk::ruma::events::StateEventType::RoomCreate, String::new());
        let answer = self.client.send(request).await.ok()?;
        let content = serde_json::from_str::<serde_json::Value>(answer.event_or_content.get()).ok()?;
        content["predecessor"]["room_id"].as_str().map(str::to_owned)
    }
}
