//! Holding the floor with power levels. While a turn holds the floor, posting
//! a message (`m.room.message`, and `m.room.encrypted` in encrypted rooms)
//! needs one level more than members have by default, and the speaker and
//! the hosts get that level. The room's power levels as they were before the
//! first hold are recorded in the store first (`Store::hold_floor`; the first
//! original wins), every hold is computed from that original, and releasing
//! writes it back exactly, then forgets it. At start, whatever is still
//! recorded (after a crash) is written back before anything else is sent.
//!
//! Power levels are room-wide, so `floor hold` is meant for a circle that runs
//! in a room of its own; the bot needs the power to change power levels.

use matrix_sdk::Room;
use matrix_sdk::deserialized_responses::RawAnySyncOrStrippedState;
use matrix_sdk::ruma::events::StateEventType;
use serde_json::{Value, json};

use super::Shared;
use crate::core::delivery::{Failed, Reason};
use crate::core::ids::{ChannelId, CommunityId, MemberRef, Platform};

/// The floor hold's target in the store's bookkeeping.
const TARGET: &str = "m.room.power_levels";
/// The message types a hold restricts.
const MESSAGES: [&str; 2] = ["m.room.message", "m.room.encrypted"];

impl Shared {
    /// Carries out a floor change: hold it for `speaker` and the hosts, or release it.
    pub(super) async fn floor(&self, community: &CommunityId, channel: &ChannelId, speaker: Option<MemberRef>, hosts: Vec<MemberRef>) {
        let Some(room) = self.room(channel.raw()) else {
            tracing::warn!(channel = %channel, "a floor change for a room attune is not in was dropped");
            return;
        };
        let _one_at_a_time = self.floor_lock.lock().await;
        match speaker {
            Some(speaker) => self.hold(community, &room, channel, &speaker, &hosts).await,
            None => self.release(&room, channel).await,
        }
    }

    async fn hold(&self, community: &CommunityId, room: &Room, channel: &ChannelId, speaker: &MemberRef, hosts: &[MemberRef]) {
        let store = self.engine.store();
        let recorded = match store.floor_holds(channel).await {
            Ok(holds) => holds.into_iter().find(|h| h.target == TARGET).map(|h| h.original),
            Err(e) => {
                tracing::error!(error = %e, "the floor bookkeeping could not be read; the floor is left open");
                return;
            }
        };
        let mut recorded_now = false;
        let original = match recorded.and_then(|o| serde_json::from_str::<Value>(&o).ok()) {
            Some(o) => o,
            None => {
                let Some(current) = power_levels(room).await else {
                    tracing::warn!(channel = %channel, "the room's power levels are unknown; the floor is left open");
                    return;
                };
                // Recorded before anything changes, so a crash can always restore it.
                if let Err(e) = store.hold_floor(channel, TARGET, &current.to_string(), self.engine.clock().now()).await {
                    tracing::error!(error = %e, "the original power levels could not be recorded; the floor is left open");
                    return;
                }
                recorded_now = true;
                current
            }
        };
        // Room creators (room version 12) have all power already and may not be listed.
        let creators: Vec<String> = room.creators().unwrap_or_default().iter().map(ToString::to_string).collect();
        let people = std::iter::once(speaker).chain(hosts).map(MemberRef::user).filter(|u| !creators.iter().any(|c| c == u));
        let held = held_levels(&original, people);
        if let Err(e) = room.send_state_event_raw(TARGET, "", held).await {
            tracing::warn!(error = %e, channel = %channel, "the floor could not be held (does attune have the power to change power levels?)");
            // Nothing changed: a record made for this hold has nothing to restore.
            if recorded_now && let Err(e) = self.engine.store().release_floor(channel, TARGET).await {
                tracing::error!(error = %e, "an unused floor record could not be dropped");
            }
            // The core tells the circle's hosts, once; the circle goes on with nudges.
            self.failed(community, Failed::Floor { channel: channel.clone() }, Reason::Platform);
        }
    }

    pub(super) async fn release(&self, room: &Room, channel: &ChannelId) {
        let holds = match self.engine.store().floor_holds(channel).await {
            Ok(h) => h,
            Err(e) => {
                tracing::error!(error = %e, "the floor bookkeeping could not be read");
                return;
            }
        };
        for hold in holds.into_iter().filter(|h| h.target == TARGET) {
            self.restore(room, channel, &hold.original).await;
        }
    }

    /// Writes the recorded original back exactly, then forgets it.
    async fn restore(&self, room: &Room, channel: &ChannelId, original: &str) {
        let Ok(content) = serde_json::from_str::<Value>(original) else {
            tracing::error!(channel = %channel, "recorded power levels could not be read; they are kept for a look");
            return;
        };
        if let Err(e) = room.send_state_event_raw(TARGET, "", content).await {
            tracing::error!(error = %e, channel = %channel, "the power levels could not be restored; trying again at the next release or start");
            return;
        }
        if let Err(e) = self.engine.store().release_floor(channel, TARGET).await {
            tracing::error!(error = %e, "a restored floor could not be marked as released");
        }
    }

    /// After a crash: everything still held on Matrix is restored.
    pub(super) async fn restore_held_floors(&self) {
        let holds = match self.engine.store().floor_holds_on(Platform::Matrix).await {
            Ok(h) => h,
            Err(e) => {
                tracing::error!(error = %e, "the floor bookkeeping could not be read at start");
                return;
            }
        };
        for hold in holds.into_iter().filter(|h| h.target == TARGET) {
            match self.room(hold.channel.raw()) {
                Some(room) => self.restore(&room, &hold.channel, &hold.original).await,
                None => tracing::warn!(channel = %hold.channel, "a held floor is in a room attune is no longer in"),
            }
        }
    }
}

/// The room's current power levels content, as JSON: asked from the
/// homeserver, since the local state lags behind what attune itself just wrote
/// (a restore right before a hold); the local state if the server can't answer.
async fn power_levels(room: &Room) -> Option<Value> {
    use matrix_sdk::ruma::api::client::state::get_state_event_for_key::v3::Request;
    let request = Request::new(room.room_id().to_owned(), StateEventType::RoomPowerLevels, String::new());
    if let Ok(response) = room.client().send(request).await
        && let Ok(content) = serde_json::from_str::<Value>(response.event_or_content.get())
        && content.is_object()
    {
        return Some(content);
    }
    let raw = room.get_state_event(StateEventType::RoomPowerLevels, "").await.ok()??;
    let json = match raw {
        RawAnySyncOrStrippedState::Sync(r) => r.json().get().to_owned(),
        RawAnySyncOrStrippedState::Stripped(r) => r.json().get().to_owned(),
    };
    serde_json::from_str::<Value>(&json).ok().map(|v| v["content"].clone()).filter(Value::is_object)
}

/// The original power levels with messages needing one level more than the
/// default, and that level (or their own, if higher) for `people` (the speaker
/// and the hosts).
fn held_levels<'a>(original: &Value, people: impl Iterator<Item = &'a str>) -> Value {
    let mut held = original.clone();
    let default = original["users_default"].as_i64().unwrap_or(0);
    let needed = default.saturating_add(1);
    if !held["events"].is_object() {
        held["events"] = json!({});
    }
    for t in MESSAGES {
        let current = original["events"][t].as_i64().unwrap_or_else(|| original["events_default"].as_i64().unwrap_or(0));
        held["events"][t] = json!(current.max(needed));
    }
    if !held["users"].is_object() {
        held["users"] = json!({});
    }
    for user in people {
        let current = original["users"][user].as_i64().unwrap_or(default);
        held["users"][user] = json!(current.max(needed));
    }
    held
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hold_lets_only_the_speaker_hosts_and_the_powerful_post_and_keeps_everything_else() {
        let original = json!({ "users": { "@mod:x": 100, "@bot:x": 100 }, "users_default": 0, "events_default": 0,
            "events": { "m.room.name": 50 }, "state_default": 50, "org.example.unknown": true });
        let held = held_levels(&original, ["@alice:x", "@host:x", "@mod:x"].into_iter());
        assert_eq!(held["events"]["m.room.message"], 1);
        assert_eq!(held["events"]["m.room.encrypted"], 1);
        assert_eq!(held["users"]["@alice:x"], 1, "the speaker may post");
        assert_eq!(held["users"]["@host:x"], 1, "hosts may post");
        assert_eq!(held["users"]["@mod:x"], 100, "nobody loses power");
        assert_eq!(held["events"]["m.room.name"], 50);
        assert_eq!(held["org.example.unknown"], true, "fields attune doesn't know are kept");
        assert!(held["users"].get("@bob:x").is_none(), "everyone else stays at the default");
    }
}
