//! Deliveries → Matrix. `Say` goes to the room (into the thread of the
//! circle that runs there, except the invitation, which starts the thread);
//! `Whisper` goes to the member's private room for that community: an
//! encrypted DM created on demand, remembered in the store (so a restart
//! reuses it) and made anew when the member has left it. When no DM can be
//! made or sent, the core hears of it (`Input::DeliveryFailed`); nothing
//! private is ever posted in a shared room.

use matrix_sdk::Room;
use matrix_sdk::ruma::{OwnedRoomId, OwnedUserId};

use super::Shared;
use super::render::{content, render};
use crate::core::delivery::{Failed, Reason};
use crate::core::effect::{Line, Message};
use crate::core::ids::{CommunityId, MemberRef};
use crate::core::input::Input;
use crate::engine::Delivery;

/// How many offered-reaction maps are kept in memory; older ones are read from their event.
pub(super) const OFFERED_CACHE: usize = 4096;
/// How long after a refused invite attune waits before inviting the member into a private room again.
const DM_RETRY: std::time::Duration = std::time::Duration::from_secs(600);

/// Where a private answer goes when the input came from a private room: that room.
pub(super) struct ReplyRoom<'a> {
    pub(super) member: &'a MemberRef,
    pub(super) room: &'a Room,
}

impl Shared {
    /// Carries out one delivery. `reply` is the private room the input came
    /// from, where the sender's private answers go.
    pub(super) async fn deliver(&self, community: &CommunityId, delivery: Delivery, reply: Option<ReplyRoom<'_>>) {
        match delivery {
            Delivery::Say { channel, message } => {
                let Some(room) = self.room(channel.raw()) else {
                    tracing::warn!(channel = %channel, "a message for a room attune is not in was dropped");
                    return;
                };
                // A circle that moved into this room (an upgrade) goes on in a thread started
                // by the note that says so.
                if message.lines.first().is_some_and(|l| l.id == "circle-moved-room") {
                    match self.send(&room, &message, None).await {
                        Ok(event) => self.start_thread(channel.raw(), event),
                        Err(e) => tracing::error!(error = %e, room = %channel, "a room message could not be sent"),
                    }
                    return;
                }
                let thread = self.thread_of(channel.raw());
                if let Err(e) = self.send(&room, &message, thread.as_deref()).await {
                    tracing::error!(error = %e, room = %channel, "a room message could not be sent");
                }
            }
            // A new circle's invitation goes to the room; the circle runs in the thread it starts
            // (the room stays its channel for the core, so nothing is reported back).
            Delivery::Invite { channel, message, placement, .. } => {
                let Some(room) = self.room(channel.raw()) else {
                    tracing::warn!(channel = %channel, "an invitation for a room attune is not in was dropped");
                    return;
                };
                match self.send(&room, &message, None).await {
                    Ok(event) if placement.own_place => self.start_thread(channel.raw(), event),
                    Ok(_) => self.forget_thread(channel.raw()),
                    Err(e) => tracing::error!(error = %e, room = %channel, "a circle's invitation could not be sent"),
                }
            }
            Delivery::Whisper { to, message } => {
                if let Some(reply) = reply.filter(|r| r.member == &to) {
                    if let Err(e) = self.send(reply.room, &message, None).await {
                        tracing::error!(error = %e, "a private answer could not be sent");
                        self.failed(community, Failed::Whisper { to, kind: message.kind.clone() }, Reason::Platform);
                    }
                    return;
                }
                // A failure is reported to the core inside.
                let _ = self.whisper(community, &to, &message).await;
            }
            Delivery::Floor { channel, speaker, hosts, seq, .. } => self.floor(community, &channel, speaker, hosts, seq).await,
            Delivery::OpenSupport { member, display } => self.open_support(community, &member, &display).await,
            Delivery::Leave { channel } => self.leave(&channel).await,
            // Matrix has no calendar for rooms.
            Delivery::Listing { .. } => {}
        }
    }

    /// Leaves a room a moderator asked attune to leave (the goodbye was said
    /// just before). The circle thread it remembered there is forgotten; an
    /// invitation later is answered like any other.
    async fn leave(&self, channel: &crate::core::ids::ChannelId) {
        let Some(room) = self.room(channel.raw()) else {
            tracing::warn!(channel = %channel, "asked to leave a room attune is not in");
            return;
        };
        self.forget_thread(channel.raw());
        // Power levels still recorded (a restore that failed earlier) are put back while attune can.
        {
            let _one_at_a_time = self.floor_lock.lock().await;
            self.release(&room, channel).await;
        }
        match room.leave().await {
            Ok(()) => tracing::info!(channel = %channel, "left the room, as a moderator asked"),
            Err(e) => tracing::error!(error = %e, channel = %channel, "the room could not be left"),
        }
    }

    /// The room's last circle thread is forgotten, so what is said there next
    /// (a goodbye) goes to the room itself.
    pub(super) fn forget_thread(&self, room: &str) {
        if let Ok(mut threads) = self.threads.lock()
            && threads.remove(room).is_some()
            && let Err(e) = super::session::save_threads(&self.options.store_dir, &threads)
        {
            tracing::error!(error = %e, "the circle threads could not be saved");
        }
    }

    /// A private message in the member's DM room for this community. A
    /// failure is reported to the core, and returned for the caller to act on.
    pub(super) async fn whisper(&self, community: &CommunityId, to: &MemberRef, message: &Message) -> Result<(), Reason> {
        let room = match self.dm_room(community, to).await {
            Ok(room) => room,
            Err(reason) => {
                tracing::info!(reason = reason.as_str(), "a private room could not be opened");
                self.failed(community, Failed::Whisper { to: to.clone(), kind: message.kind.clone() }, reason);
                return Err(reason);
            }
        };
        if let Err(e) = self.send(&room, message, None).await {
            tracing::error!(error = %e, "a private message could not be sent");
            self.failed(community, Failed::Whisper { to: to.clone(), kind: message.kind.clone() }, Reason::Platform);
            return Err(Reason::Platform);
        }
        Ok(())
    }

    /// The member's private room for a community: the remembered one while they
    /// are still in it, else a DM the member opened with attune that serves no
    /// other community, else a new encrypted DM.
    async fn dm_room(&self, community: &CommunityId, to: &MemberRef) -> Result<Room, Reason> {
        let user = OwnedUserId::try_from(to.user()).map_err(|_| Reason::Gone)?;
        // One DM is made at a time, so two messages at once can't open two rooms.
        let _guard = self.dm_lock.lock().await;
        let ledger = self.engine.ledger();
        match ledger.private_room(community, to).await {
            Ok(Some(id)) => match self.room(&id) {
                // attune made it as a direct chat; it stays private while two are in it.
                Some(room) => {
                    let private = crate::core::standing::private_place(true, super::events::people_in(&room).await);
                    if private && still_there(&room, &user).await {
                        return Ok(room);
                    }
                    // Someone else is in it: say so there (nothing private) and leave it. The
                    // member left it: leave it too, with nobody to tell.
                    self.give_up_private_room(&room, !private).await;
                }
                None => {
                    if let Err(e) = ledger.drop_private_room(&id).await {
                        tracing::error!(error = %e, "a private room that is gone could not be forgotten");
                    }
                }
            },
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "the private room could not be looked up; a new one is made"),
        }
        let room = match self.members_own_dm(&user).await {
            Some(room) => room,
            None => {
                let refused = self.dm_refused.lock().ok().and_then(|r| r.get(to.user()).copied());
                if refused.is_some_and(|at| at.elapsed() < DM_RETRY) {
                    return Err(Reason::PrivateClosed);
                }
                let room = self.new_dm(&user).await.inspect_err(|reason| {
                    if *reason == Reason::PrivateClosed
                        && let Ok(mut r) = self.dm_refused.lock()
                    {
                        if r.len() >= OFFERED_CACHE {
                            r.retain(|_, at| at.elapsed() < DM_RETRY);
                        }
                        r.insert(to.user().to_owned(), std::time::Instant::now());
                    }
                })?;
                if let Ok(mut r) = self.dm_refused.lock() {
                    r.remove(to.user());
                }
                room
            }
        };
        if let Ok(mut direct) = self.direct.lock() {
            direct.insert(room.room_id().to_string());
        }
        if let Err(e) = ledger.set_private_room(community, to, room.room_id().as_str()).await {
            tracing::error!(error = %e, "a private room could not be remembered");
        }
        Ok(room)
    }

    /// A member's private room that is private no more: forgotten first, so nothing
    /// private is sent there again; then, where someone else came in (`say`), a
    /// note that attune is leaving and why (nothing private in it); then left.
    pub(super) async fn give_up_private_room(&self, room: &Room, say: bool) {
        if let Err(e) = self.engine.ledger().drop_private_room(room.room_id().as_str()).await {
            tracing::error!(error = %e, "a private room that is no longer private could not be forgotten");
        }
        if say && let Err(e) = self.send(room, &Message::info(Line::new("matrix-private-shared")), None).await {
            tracing::warn!(error = %e, "the note before leaving a shared private room could not be sent");
        }
        if room.state() == matrix_sdk::RoomState::Joined
            && let Err(e) = room.leave().await
        {
            tracing::warn!(error = %e, "a private room that is no longer private could not be left");
        }
    }

    /// A DM the member opened with attune (or one attune made earlier), where
    /// the two of them are alone together and which serves no community yet.
    async fn members_own_dm(&self, user: &matrix_sdk::ruma::UserId) -> Option<Room> {
        use matrix_sdk::ruma::events::room::member::MembershipState;
        // Rooms joined from the member's DM invite count at once; m.direct catches up a sync later.
        let marked: Vec<String> = self.direct.lock().map(|d| d.iter().cloned().collect()).unwrap_or_default();
        let candidates = self.client.get_dm_rooms(user).chain(marked.iter().filter_map(|id| self.room(id)));
        for room in candidates {
            if room.state() != matrix_sdk::RoomState::Joined
                || !crate::core::standing::private_place(true, super::events::people_in(&room).await)
            {
                continue;
            }
            let there = room.get_member_no_sync(user).await.ok().flatten();
            if !there.is_some_and(|m| matches!(m.membership(), MembershipState::Join | MembershipState::Invite)) {
                continue;
            }
            match self.engine.ledger().private_room_owner(room.room_id().as_str()).await {
                Ok(None) => return Some(room),
                Ok(Some(_)) => {}
                Err(e) => tracing::error!(error = %e, "the private rooms could not be read"),
            }
        }
        None
    }

    /// A new encrypted room, then the member invited into it as a DM. When the
    /// invite is refused (the member's homeserver or settings decline it), the
    /// empty room is left and forgotten, and the member's private line is closed.
    async fn new_dm(&self, user: &matrix_sdk::ruma::UserId) -> Result<Room, Reason> {
        use matrix_sdk::ruma::api::client::room::create_room::v3::RoomPreset;
        let mut request = encrypted_room(RoomPreset::TrustedPrivateChat);
        request.is_direct = true;
        let room = self.create(request, "a private room").await?;
        let invite = serde_json::json!({ "membership": "invite", "is_direct": true });
        if let Err(e) = room.send_state_event_raw("m.room.member", user.as_str(), invite).await {
            tracing::info!(error = %e, "the member could not be invited into a private room; it is left empty");
            if let Err(e) = room.leave().await {
                tracing::warn!(error = %e, "an empty private room could not be left");
            } else if let Err(e) = room.forget().await {
                tracing::warn!(error = %e, "an empty private room could not be forgotten");
            }
            return Err(if e.as_client_api_error().is_some() { Reason::PrivateClosed } else { Reason::Platform });
        }
        if let Err(e) = self.client.account().mark_as_dm(room.room_id(), &[user.to_owned()]).await {
            tracing::warn!(error = %e, "a private room could not be marked as a DM");
        }
        Ok(room)
    }

    /// Sends a message; returns its event id. The reactions it offers are
    /// remembered for a quick answer (they are also in the event itself).
    pub(super) async fn send(&self, room: &Room, message: &Message, thread: Option<&str>) -> Result<String, matrix_sdk::Error> {
        let told_apart = told_apart(room, message).await;
        let message = told_apart.as_ref().unwrap_or(message);
        let rendered = render(&self.catalogue, message);
        let result = room
            .send_raw("m.room.message", content(&rendered, thread))
            .await
            .inspect_err(|e| super::count_rate_limit(e.client_api_error_kind()))?;
        let id = result.response.event_id.to_string();
        if !rendered.offers.is_empty()
            && let Ok(mut offered) = self.offered.lock()
        {
            if offered.len() >= OFFERED_CACHE {
                offered.clear();
            }
            offered.insert(format!("{}|{id}", room.room_id()), rendered.offers);
        }
        if let Some(a) = &message.attachment {
            // Like every message attune sends, the file event pings nobody.
            let none = matrix_sdk::ruma::events::Mentions::new();
            let config = matrix_sdk::attachment::AttachmentConfig::new().mentions(Some(none));
            // The my-data file is JSON, so a client offers to open it as such; a deck is plain text.
            let kind = if a.filename.ends_with(".json") { mime::APPLICATION_JSON } else { mime::TEXT_PLAIN_UTF_8 };
            room.send_attachment(a.filename.clone(), &kind, a.content.as_bytes().to_vec(), config).await?;
        }
        Ok(id)
    }

    /// Creates a room; a failure is logged as `what` could not be created.
    pub(super) async fn create(
        &self,
        request: matrix_sdk::ruma::api::client::room::create_room::v3::Request,
        what: &str,
    ) -> Result<Room, Reason> {
        self.client.create_room(request).await.map_err(|e| {
            tracing::warn!(error = %e, what, "a room could not be created");
            Reason::Platform
        })
    }

    pub(super) fn room(&self, id: &str) -> Option<Room> {
        let id = OwnedRoomId::try_from(id).ok()?;
        self.client.get_room(&id)
    }

    pub(super) fn thread_of(&self, room: &str) -> Option<String> {
        self.threads.lock().ok().and_then(|t| t.get(room).cloned())
    }

    /// An invitation starts the thread its circle runs in.
    fn start_thread(&self, room: &str, root: String) {
        let Ok(mut threads) = self.threads.lock() else { return };
        threads.insert(room.to_owned(), root);
        if let Err(e) = super::session::save_threads(&self.options.store_dir, &threads) {
            tracing::error!(error = %e, "the circle's thread could not be remembered");
        }
    }

    /// Tells the core a delivery failed. Posted from its own task: the outlet
    /// must never wait on a community queue that waits on the outlet.
    pub(super) fn failed(&self, community: &CommunityId, what: Failed, reason: Reason) {
        let (engine, community) = (self.engine.clone(), community.clone());
        tokio::spawn(async move {
            if let Err(e) = engine.post(&community, Input::DeliveryFailed { what, reason }, None).await {
                tracing::error!(error = %e, "a delivery failure could not be reported to the core");
            }
        });
    }
}

/// A request for a new room of this preset, encrypted from its first event.
pub(super) fn encrypted_room(
    preset: matrix_sdk::ruma::api::client::room::create_room::v3::RoomPreset,
) -> matrix_sdk::ruma::api::client::room::create_room::v3::Request {
    use matrix_sdk::ruma::events::InitialStateEvent;
    use matrix_sdk::ruma::events::room::encryption::RoomEncryptionEventContent;
    let mut request = matrix_sdk::ruma::api::client::room::create_room::v3::Request::new();
    request.preset = Some(preset);
    request.initial_state =
        vec![InitialStateEvent::with_empty_state_key(RoomEncryptionEventContent::with_recommended_defaults()).to_raw_any()];
    request
}

/// Whether the member is still joined to (or invited into) a private room.
async fn still_there(room: &Room, user: &matrix_sdk::ruma::UserId) -> bool {
    use matrix_sdk::ruma::events::room::member::MembershipState;
    if room.state() != matrix_sdk::RoomState::Joined {
        return false;
    }
    match room.get_member_no_sync(user).await {
        Ok(Some(member)) => matches!(member.membership(), MembershipState::Join | MembershipState::Invite),
        // Not known yet (the room is new and unsynced): keep it.
        Ok(None) => true,
        Err(_) => true,
    }
}

/// The message with each person whose display name another member of the room
/// shares shown as clients show them: the name and the user id ("mara
/// (@mara:example.org)"), so two people called mara, or a member named like
/// the host, are never read as one. `None` when nobody's name is ambiguous.
async fn told_apart(room: &Room, message: &Message) -> Option<Message> {
    use crate::core::effect::Arg;
    let mut ambiguous = std::collections::HashSet::new();
    for (_, arg) in message.lines.iter().flat_map(|l| &l.args) {
        if let Arg::Member { member, .. } = arg
            && let Ok(user) = matrix_sdk::ruma::OwnedUserId::try_from(member.user())
            // The whole member list (fetched once per room; members are lazy-loaded), so a
            // namesake who hasn't spoken yet still counts.
            && let Ok(Some(m)) = room.get_member(&user).await
            && m.name_ambiguous()
        {
            ambiguous.insert(member.user().to_owned());
        }
    }
    if ambiguous.is_empty() {
        return None;
    }
    let mut out = message.clone();
    for line in &mut out.lines {
        for (_, arg) in &mut line.args {
            if let Arg::Member { member, display } = arg
                && ambiguous.contains(member.user())
                && !display.ends_with(&format!("({})", member.user()))
            {
                // The core numbers a seated look-alike ("mara (2)"); the user id tells them
                // apart better, and commands take it too.
                let base = strip_number(display).to_owned();
                *display = format!("{base} ({})", member.user());
            }
        }
    }
    Some(out)
}

/// A name without the number the core gives a look-alike ("mara (2)" → "mara").
fn strip_number(display: &str) -> &str {
    match display.rsplit_once(" (") {
        Some((base, n)) if n.strip_suffix(')').is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit())) => base,
        _ => display,
    }
}

#[cfg(test)]
mod told_apart_tests {
    #[test]
    fn only_the_cores_number_is_dropped() {
        assert_eq!(super::strip_number("mara (2)"), "mara");
        assert_eq!(super::strip_number("mara"), "mara");
        assert_eq!(super::strip_number("mara (the elder)"), "mara (the elder)");
        assert_eq!(super::strip_number("mara ()"), "mara ()");
    }
}
