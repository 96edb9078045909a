//! `support` on Matrix: a private, encrypted room with the member and the
//! community's moderators (the configured ones, and members with power level
//! 50 or more in the community's rooms), invited by id so nobody is pinged.
//! attune posts who asked, then leaves as soon as someone it invited has
//! joined (a room nobody is joined to could not be joined): the conversation
//! is between the member and the moderators (who get full power in the
//! room), and attune never reads it. When there is nobody to invite or the room can't be made,
//! the core hears of it and the member is told plainly that nobody was reached.

use std::collections::BTreeSet;

use matrix_sdk::RoomMemberships;
use matrix_sdk::ruma::OwnedUserId;
use matrix_sdk::ruma::api::client::room::create_room::v3::RoomPreset;
use matrix_sdk::ruma::events::room::power_levels::UserPowerLevel;

use super::Shared;
use crate::core::delivery::{Failed, Reason};
use crate::core::effect::{Line, Message};
use crate::core::ids::{CommunityId, MemberRef};

impl Shared {
    /// Opens the support room, or tells the core it could not be opened.
    pub(super) async fn open_support(&self, community: &CommunityId, member: &MemberRef, display: &str) {
        if let Err(reason) = self.support_room(community, member, display).await {
            self.failed(community, Failed::Support { member: member.clone() }, reason);
        }
    }

    async fn support_room(&self, community: &CommunityId, member: &MemberRef, display: &str) -> Result<(), Reason> {
        let user = OwnedUserId::try_from(member.user()).map_err(|_| Reason::Gone)?;
        let moderators = self.moderators_of(community, member).await;
        if moderators.is_empty() {
            tracing::warn!(community = %community, "support: no moderator is known to invite (configure [matrix] moderators)");
            return Err(Reason::Platform);
        }
        let mut levels = serde_json::Map::new();
        for m in &moderators {
            levels.insert(m.to_string(), serde_json::json!(100));
        }
        // attune, the creator, has full power already (and newer room versions refuse
        // a creator listed here).
        let levels = serde_json::json!({ "users": levels });
        let mut request = super::send::encrypted_room(RoomPreset::PrivateChat);
        request.invite = std::iter::once(user).chain(moderators).collect();
        request.power_level_content_override = serde_json::value::to_raw_value(&levels).ok().map(matrix_sdk::ruma::serde::Raw::from_json);
        request.name = Some(self.catalogue.line(&Line::new("matrix-support-room")));
        let room = self.create(request, "a support room").await?;
        let intro = Message::info(Line::new("matrix-support-room-intro").member("name", member, display.to_owned()));
        if let Err(e) = self.send(&room, &intro, None).await {
            // The room exists and everyone is invited; the intro is a courtesy.
            tracing::warn!(error = %e, "a support room's first message could not be sent");
        }
        // What is said there is between the member and the moderators: attune steps out
        // as soon as someone it invited is in (a room nobody is joined to can't be joined),
        // and never reads it meanwhile.
        let id = room.room_id().to_string();
        if let Ok(mut rooms) = self.support_rooms.lock() {
            rooms.insert(id);
            if let Err(e) = super::session::save_support_rooms(&self.options.store_dir, &rooms) {
                tracing::error!(error = %e, "the support rooms could not be saved");
            }
        }
        Ok(())
    }

    /// Whether attune is waiting in this support room for someone to join.
    pub(super) fn is_support_room(&self, room: &str) -> bool {
        self.support_rooms.lock().is_ok_and(|r| r.contains(room))
    }

    /// Steps out of a support room once someone else has joined it.
    pub(super) async fn step_out_when_joined(&self, room: &matrix_sdk::Room) {
        let others = room.joined_members_count().saturating_sub(1);
        let joined = others > 0 || room.members(RoomMemberships::JOIN).await.is_ok_and(|m| m.len() > 1);
        if !joined {
            return;
        }
        match room.leave().await {
            Ok(()) => tracing::info!("stepped out of a support room once someone had joined"),
            Err(e) => {
                tracing::warn!(error = %e, "attune could not leave a support room it made; trying again later");
                return;
            }
        }
        if let Ok(mut rooms) = self.support_rooms.lock() {
            rooms.remove(room.room_id().as_str());
            if let Err(e) = super::session::save_support_rooms(&self.options.store_dir, &rooms) {
                tracing::error!(error = %e, "the support rooms could not be saved");
            }
        }
    }

    /// The community's moderators besides the member: the configured ones, and
    /// everyone with power level 50 or more in a room of the community.
    async fn moderators_of(&self, community: &CommunityId, member: &MemberRef) -> Vec<OwnedUserId> {
        let mut found: BTreeSet<String> = self.options.section.moderators.iter().cloned().collect();
        for room in self.client.joined_rooms() {
            if self.is_support_room(room.room_id().as_str()) || self.community_of(&room).await.as_ref() != Some(community) {
                continue;
            }
            let Ok(members) = room.members(RoomMemberships::JOIN).await else { continue };
            for m in members {
                let level = match m.power_level() {
                    UserPowerLevel::Infinite => i64::MAX,
                    UserPowerLevel::Int(n) => n.into(),
                    _ => 0,
                };
                let standing = crate::core::standing::Standing { power: Some(level), ..Default::default() };
                if standing.moderates() {
                    found.insert(m.user_id().to_string());
                }
            }
        }
        let me = self.own_user().map(ToString::to_string);
        found
            .into_iter()
            .filter(|u| u != member.user() && Some(u) != me.as_ref())
            .filter_map(|u| OwnedUserId::try_from(u.as_str()).ok())
            .collect()
    }
}
