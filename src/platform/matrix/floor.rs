//! Holding the floor with power levels. While a turn holds the floor, posting
//! a message (`m.room.message`, and `m.room.encrypted` in encrypted rooms)
//! needs one level more than members have by default, and the speaker and
//! the hosts get that level. The room's power levels as they were before the
//! first hold are recorded in the store first (`the engine's ledger`; the first
//! original wins). Every hold and release works on the room's levels as they
//! are now and changes only what attune itself set, back to the original:
//! the two message levels and the people it raised. So with nobody else
//! changing anything the original comes back exactly, and a moderator's own
//! change during the circle (demoting someone, raising a level) stays. At
//! start, whatever is still recorded (after a crash) is released before
//! anything else is sent.
//!
//! Power levels are room-wide, so `floor hold` is meant for a circle that runs
//! in a room of its own; the bot needs the power to change power levels. In an
//! encrypted room every event is `m.room.encrypted`, so a level for it would
//! also stop listeners' `!pass`, `!leave` and `!support`: there hold changes
//! nothing and works as nudge, as in a Discord thread.

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
    pub(super) async fn floor(
        &self,
        community: &CommunityId,
        channel: &ChannelId,
        speaker: Option<MemberRef>,
        hosts: Vec<MemberRef>,
        seq: u64,
    ) {
        let Some(room) = self.room(channel.raw()) else {
            tracing::warn!(channel = %channel, "a floor change for a room attune is not in was dropped");
            return;
        };
        let _one_at_a_time = self.floor_lock.lock().await;
        if !self.floor_order.current(channel, seq) {
            tracing::debug!(channel = %channel, "a floor change that arrived after a newer one was dropped");
            return;
        }
        match speaker {
            Some(speaker) => self.hold(community, &room, channel, &speaker, &hosts).await,
            None => self.release(&room, channel).await,
        }
    }

    async fn hold(&self, community: &CommunityId, room: &Room, channel: &ChannelId, speaker: &MemberRef, hosts: &[MemberRef]) {
        // In an encrypted room every message is `m.room.encrypted`: a level for it would
        // stop listeners passing, leaving and asking for support too. There hold works as
        // nudge (the core nudges under hold anyway); anything held before is put back.
        if room.encryption_state().is_encrypted() {
            tracing::debug!(channel = %channel, "an encrypted room: the floor works as a nudge");
            self.release(room, channel).await;
            return;
        }
        let ledger = self.engine.ledger();
        let recorded = match ledger.floor_holds(channel).await {
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
                if let Err(e) = ledger.hold_floor(channel, TARGET, &current.to_string()).await {
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
        // The levels as they are now (a moderator may have changed them since the first hold).
        let current = if recorded_now { original.clone() } else { power_levels(room).await.unwrap_or_else(|| original.clone()) };
        let held = held_levels(&original, &current, people);
        if let Err(e) = room.send_state_event_raw(TARGET, "", held).await {
            tracing::warn!(error = %e, channel = %channel, "the floor could not be held (does attune have the power to change power levels?)");
            // Nothing changed: a record made for this hold has nothing to restore.
            if recorded_now && let Err(e) = self.engine.ledger().release_floor(channel, TARGET).await {
                tracing::error!(error = %e, "an unused floor record could not be dropped");
            }
            // The core tells the circle's hosts, once; the circle goes on with nudges.
            self.failed(community, Failed::Floor { channel: channel.clone() }, Reason::Platform);
        }
    }

    pub(super) async fn release(&self, room: &Room, channel: &ChannelId) {
        let holds = match self.engine.ledger().floor_holds(channel).await {
            Ok(h) => h,
            Err(e) => {
                tracing::error!(error = %e, "the floor bookkeeping could not be read");
                return;
            }
        };
        for hold in holds.into_iter().filter(|h| h.target == TARGET) {
            self.restore_hold(room, channel, &hold.original).await;
        }
    }

    /// Puts back what attune set, from the recorded original, then forgets it.
    async fn restore_hold(&self, room: &Room, channel: &ChannelId, original: &str) {
        let Ok(original) = serde_json::from_str::<Value>(original) else {
            tracing::error!(channel = %channel, "recorded power levels could not be read; they are kept for a look");
            return;
        };
        let content = match power_levels(room).await {
            Some(current) => released_levels(&original, &current),
            None => original,
        };
        if let Err(e) = room.send_state_event_raw(TARGET, "", content).await {
            tracing::error!(error = %e, channel = %channel, "the power levels could not be restored; trying again at the next release or start");
            return;
        }
        if let Err(e) = self.engine.ledger().release_floor(channel, TARGET).await {
            tracing::error!(error = %e, "a restored floor could not be marked as released");
        }
    }

    /// A room upgrade: what attune held in `old` is put back there, and in `new`
    /// too (the homeserver copied the old room's levels, attune's hold with them),
    /// from the recorded original; then the record goes.
    pub(super) async fn carry_floor(&self, old: &Room, from: &ChannelId, new: &Room) {
        let holds = match self.engine.ledger().floor_holds(from).await {
            Ok(h) => h,
            Err(e) => {
                tracing::error!(error = %e, "the floor bookkeeping could not be read");
                return;
            }
        };
        for hold in holds.into_iter().filter(|h| h.target == TARGET) {
            let Ok(original) = serde_json::from_str::<Value>(&hold.original) else { continue };
            if let Some(current) = power_levels(new).await
                && let Err(e) = new.send_state_event_raw(TARGET, "", released_levels(&original, &current)).await
            {
                tracing::error!(error = %e, "the upgraded room's power levels could not be put back");
            }
            self.restore_hold(old, from, &hold.original).await;
        }
    }

    /// After a crash: everything still held on Matrix is restored.
    pub(super) async fn restore_held_floors(&self) {
        let holds = match self.engine.ledger().floor_holds_on(Platform::Matrix).await {
            Ok(h) => h,
            Err(e) => {
                tracing::error!(error = %e, "the floor bookkeeping could not be read at start");
                return;
            }
        };
        for hold in holds.into_iter().filter(|h| h.target == TARGET) {
            match self.room(hold.channel.raw()) {
                Some(room) => self.restore_hold(&room, &hold.channel, &hold.original).await,
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

/// The level a hold needs: one more than members have by default.
fn needed(original: &Value) -> i64 {
    original["users_default"].as_i64().unwrap_or(0).saturating_add(1)
}

/// What a hold sets a message type to, from the original.
fn held_event(original: &Value, t: &str) -> i64 {
    original["events"][t].as_i64().unwrap_or_else(|| original["events_default"].as_i64().unwrap_or(0)).max(needed(original))
}

/// A person's level in the original (the default when not listed).
fn original_user(original: &Value, user: &str) -> i64 {
    original["users"][user].as_i64().unwrap_or_else(|| original["users_default"].as_i64().unwrap_or(0))
}

/// One entry of `current` put back as it was in `original` (removed if it wasn't there).
fn put_back(out: &mut Value, original: &Value, section: &str, key: &str) {
    match original[section].get(key) {
        Some(v) => out[section][key] = v.clone(),
        None => {
            if let Some(o) = out[section].as_object_mut() {
                o.remove(key);
            }
        }
    }
}

/// The current levels with what attune set during a hold put back as it was
/// originally: the two message levels, and each person it raised, where they
/// still hold the value attune gave them. Everything else is left as it is
/// now, so a moderator's own changes stay.
fn released_levels(original: &Value, current: &Value) -> Value {
    let mut out = current.clone();
    for t in MESSAGES {
        if out["events"][t].as_i64() == Some(held_event(original, t)) {
            put_back(&mut out, original, "events", t);
        }
    }
    let raised: Vec<String> = out["users"]
        .as_object()
        .map(|users| {
            users
                .iter()
                .filter(|(u, level)| {
                    let before = original_user(original, u);
                    before < needed(original) && level.as_i64() == Some(before.max(needed(original)))
                })
                .map(|(u, _)| u.clone())
                .collect()
        })
        .unwrap_or_default();
    for user in raised {
        put_back(&mut out, original, "users", &user);
    }
    // Sections attune had to add are taken away again when empty.
    for section in ["events", "users"] {
        if original.get(section).is_none()
            && out[section].as_object().is_some_and(serde_json::Map::is_empty)
            && let Some(o) = out.as_object_mut()
        {
            o.remove(section);
        }
    }
    out
}

/// The current levels with a hold for `people` (the speaker and the hosts):
/// first whoever an earlier turn raised is put back, then messages need one
/// level more than the default, and `people` get that level (or keep their
/// own, if higher).
fn held_levels<'a>(original: &Value, current: &Value, people: impl Iterator<Item = &'a str>) -> Value {
    let mut held = released_levels(original, current);
    let needed = needed(original);
    if !held["events"].is_object() {
        held["events"] = json!({});
    }
    for t in MESSAGES {
        held["events"][t] = json!(held_event(original, t));
    }
    if !held["users"].is_object() {
        held["users"] = json!({});
    }
    for user in people {
        let now = held["users"][user].as_i64().unwrap_or_else(|| original_user(original, user));
        held["users"][user] = json!(now.max(needed));
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
        let held = held_levels(&original, &original, ["@alice:x", "@host:x", "@mod:x"].into_iter());
        assert_eq!(held["events"]["m.room.message"], 1);
        assert_eq!(held["events"]["m.room.encrypted"], 1);
        assert_eq!(held["users"]["@alice:x"], 1, "the speaker may post");
        assert_eq!(held["users"]["@host:x"], 1, "hosts may post");
        assert_eq!(held["users"]["@mod:x"], 100, "nobody loses power");
        assert_eq!(held["events"]["m.room.name"], 50);
        assert_eq!(held["org.example.unknown"], true, "fields attune doesn't know are kept");
        assert!(held["users"].get("@bob:x").is_none(), "everyone else stays at the default");
    }

    #[test]
    fn releasing_gives_back_exactly_the_original_when_nobody_else_changed_anything() {
        let original = json!({ "users": { "@mod:x": 100 }, "users_default": 0, "events_default": 0, "events": { "m.room.name": 50 } });
        let first = held_levels(&original, &original, ["@alice:x", "@host:x"].into_iter());
        let second = held_levels(&original, &first, ["@bob:x", "@host:x"].into_iter());
        assert!(second["users"].get("@alice:x").is_none(), "the last speaker is put back when the next turn holds");
        assert_eq!(second["users"]["@bob:x"], 1);
        assert_eq!(released_levels(&original, &second), original);
        let bare = json!({ "users_default": 0 });
        assert_eq!(released_levels(&bare, &held_levels(&bare, &bare, ["@a:x"].into_iter())), bare, "added sections go again");
    }

    #[test]
    fn a_moderators_own_change_during_a_held_circle_stays() {
        let original = json!({ "users": { "@mod:x": 100, "@mallory:x": 50 }, "users_default": 0, "events_default": 0, "events": {} });
        let mut held = held_levels(&original, &original, ["@alice:x"].into_iter());
        // Mid-circle, a moderator demotes mallory and makes room names need 100.
        held["users"]["@mallory:x"] = json!(-1);
        held["events"]["m.room.name"] = json!(100);
        let next = held_levels(&original, &held, ["@bob:x"].into_iter());
        assert_eq!(next["users"]["@mallory:x"], -1, "the next turn doesn't undo the demotion");
        let released = released_levels(&original, &next);
        assert_eq!(released["users"]["@mallory:x"], -1, "nor does the end");
        assert_eq!(released["events"]["m.room.name"], 100);
        assert!(released["events"].get("m.room.message").is_none(), "attune's own changes are gone");
        assert!(released["users"].get("@bob:x").is_none());
    }
}
