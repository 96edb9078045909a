//! `attune doctor` for Matrix: with the saved session (never a new login, so
//! no device is made), asks the homeserver whether the access token works,
//! whether the bot's device has published its encryption keys and
//! cross-signing is set up, and, in every room the bot is in, whether it has
//! the power that `floor hold` needs. It uses a client that keeps nothing and
//! never syncs, so it can run beside a running attune without touching its
//! crypto store.

use matrix_sdk::Client;
use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::ruma::api::client::keys::get_keys;
use matrix_sdk::ruma::api::client::membership::joined_rooms;
use matrix_sdk::ruma::api::client::state::get_state_event_for_key;
use matrix_sdk::ruma::events::StateEventType;
use matrix_sdk::ruma::{OwnedDeviceId, OwnedUserId};
use matrix_sdk::{SessionMeta, SessionTokens};
use serde_json::Value;

use super::MatrixOptions;

/// What doctor found: one line per check, and whether everything is ready.
pub struct Report {
    pub lines: Vec<String>,
    pub ready: bool,
}

/// Runs the checks. Says plainly what is missing; never logs in.
pub async fn check(options: &MatrixOptions) -> Report {
    let mut lines = Vec::new();
    let Some(saved) = super::session::saved_session(&options.store_dir) else {
        lines.push(format!("no saved session in {} yet; `attune run` logs in once and saves it", options.store_dir.display()));
        return Report { lines, ready: false };
    };
    let (Ok(user), device) = (OwnedUserId::try_from(saved.user_id.as_str()), OwnedDeviceId::from(saved.device_id.as_str())) else {
        lines.push("the saved session names no valid user".into());
        return Report { lines, ready: false };
    };
    let client = match Client::builder().homeserver_url(&options.section.homeserver).build().await {
        Ok(c) => c,
        Err(e) => {
            lines.push(format!("the homeserver {} can't be used: {e}", options.section.homeserver));
            return Report { lines, ready: false };
        }
    };
    let session = MatrixSession {
        meta: SessionMeta { user_id: user.clone(), device_id: device.clone() },
        tokens: SessionTokens { access_token: saved.access_token.clone(), refresh_token: None },
    };
    let restored = client.matrix_auth().restore_session(session, matrix_sdk::store::RoomLoadSettings::default()).await;
    let me = match (restored, client.whoami().await) {
        (Ok(()), Ok(me)) if me.user_id == user => me,
        (_, Err(e)) => {
            lines.push(format!("login: the saved access token was refused ({e}); remove session.json and start again to log in"));
            return Report { lines, ready: false };
        }
        _ => {
            lines.push("login: the saved session belongs to someone else".into());
            return Report { lines, ready: false };
        }
    };
    lines.push(format!("login: ok, {} on device {}", me.user_id, device));
    let mut ready = true;

    let mut request = get_keys::v3::Request::new();
    request.device_keys.insert(user.clone(), vec![device.clone()]);
    match client.send(request).await {
        Ok(keys) => {
            let has_device = keys.device_keys.get(&user).is_some_and(|d| d.contains_key(&device));
            let cross_signed = keys.master_keys.contains_key(&user) && keys.self_signing_keys.contains_key(&user);
            // Signed by the account's self-signing key: the device is one its owner vouches for.
            let signing: Vec<String> = keys
                .self_signing_keys
                .get(&user)
                .and_then(|k| serde_json::to_value(k).ok())
                .and_then(|v| v["keys"].as_object().map(|m| m.keys().cloned().collect()))
                .unwrap_or_default();
            let device_signed = keys
                .device_keys
                .get(&user)
                .and_then(|d| d.get(&device))
                .and_then(|k| serde_json::to_value(k).ok())
                .is_some_and(|v| signing.iter().any(|id| v["signatures"][user.as_str()].get(id).is_some()));
            ready &= has_device;
            lines.push(match (has_device, cross_signed, device_signed) {
                (true, true, true) => {
                    "encryption: ok, device keys published and this device is signed by the account's cross-signing keys".into()
                }
                (true, true, false) => "encryption: this device is NOT signed by the account's cross-signing keys (its store \
                    was lost, or the keys were made on another device), so clients that share keys only with verified devices \
                    won't let it read their messages; see README, \"Verifying attune's device\""
                    .into(),
                (true, false, _) => {
                    "encryption: device keys published; cross-signing is not set up (log in once with a password to set it up)".into()
                }
                (false, _, _) => "encryption: the device has not published its keys yet; start `attune run` once".into(),
            });
        }
        Err(e) => {
            ready = false;
            lines.push(format!("encryption: the keys could not be checked ({e})"));
        }
    }

    match client.send(joined_rooms::v3::Request::new()).await {
        Ok(rooms) => {
            let mut short = Vec::new();
            let mut encrypted = 0;
            for room in &rooms.joined_rooms {
                let request = get_state_event_for_key::v3::Request::new(room.clone(), StateEventType::RoomPowerLevels, String::new());
                let Ok(levels) = client.send(request).await else { continue };
                let Ok(levels) = serde_json::from_str::<Value>(levels.event_or_content.get()) else { continue };
                let mut create = get_state_event_for_key::v3::Request::new(room.clone(), StateEventType::RoomCreate, String::new());
                create.format = get_state_event_for_key::v3::StateEventFormat::Event;
                let creator = match client.send(create).await {
                    Ok(c) => serde_json::from_str::<Value>(c.event_or_content.get()).is_ok_and(|c| all_powerful_creator(&c, user.as_str())),
                    Err(_) => false,
                };
                if !creator && !may_change_power_levels(&levels, user.as_str()) {
                    short.push(room.to_string());
                }
                let encryption = get_state_event_for_key::v3::Request::new(room.clone(), StateEventType::RoomEncryption, String::new());
                if client.send(encryption).await.is_ok() {
                    encrypted += 1;
                }
            }
            lines.push(match short.len() {
                0 => format!("floor: attune may change power levels in all {} of its rooms (`floor hold` works)", rooms.joined_rooms.len()),
                _ => format!(
                    "floor: attune lacks the power to change power levels in {} of {} rooms, so `floor hold` can't work there: {}",
                    short.len(),
                    rooms.joined_rooms.len(),
                    short.join(", ")
                ),
            });
            if encrypted > 0 {
                lines.push(format!(
                    "floor: {encrypted} of these rooms are encrypted (private rooms too); in a circle's encrypted room `floor hold` works as nudge (a level for encrypted \
                     messages would also stop listeners passing or leaving)"
                ));
            }
        }
        Err(e) => lines.push(format!("floor: the bot's rooms could not be listed ({e})")),
    }
    Report { lines, ready }
}

/// Whether `user` created the room in a room version where creators have all
/// power and are not listed in the power levels (version 12).
fn all_powerful_creator(create_event: &Value, user: &str) -> bool {
    let content = &create_event["content"];
    let version = content["room_version"].as_str().unwrap_or("1");
    let creators_rule = version.parse::<u32>().is_ok_and(|v| v >= 12) || version.contains("hydra");
    let creator = create_event["sender"] == user || content["additional_creators"].as_array().is_some_and(|a| a.iter().any(|c| c == user));
    creators_rule && creator
}

/// Whether `user` may send `m.room.power_levels` under these levels.
fn may_change_power_levels(levels: &Value, user: &str) -> bool {
    let users_default = levels["users_default"].as_i64().unwrap_or(0);
    let mine = levels["users"][user].as_i64().unwrap_or(users_default);
    let needed = levels["events"]["m.room.power_levels"].as_i64().unwrap_or_else(|| levels["state_default"].as_i64().unwrap_or(50));
    mine >= needed
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changing_power_levels_needs_the_level_the_room_asks_for() {
        let levels = json!({ "users": { "@bot:x": 100, "@mod:x": 50 }, "events": { "m.room.power_levels": 100 }, "state_default": 50 });
        assert!(may_change_power_levels(&levels, "@bot:x"));
        assert!(!may_change_power_levels(&levels, "@mod:x"));
        assert!(!may_change_power_levels(&levels, "@nobody:x"));
        assert!(
            may_change_power_levels(&json!({ "users": { "@mod:x": 50 } }), "@mod:x"),
            "state_default applies when the event has no level"
        );
    }
}
