//! Matrix events → inputs, and their answers.
//!
//! A room is a channel of its community; a member's private room (one attune
//! opened for a community, or a DM the member opened) is their private line.
//! A line starting with the prefix is a command, read by the core's own
//! parser; inside a circle's thread and in a private room a short form
//! (`!done`, `!pass`) works too; anything else is chat, read for crisis
//! phrases and the floor in memory and then dropped. A reaction to one of the
//! bot's messages is the action that message offered for it, with that
//! message's scope. The Matrix event id is the engine's event id, so a
//! replayed event changes nothing.

use std::sync::Arc;

use matrix_sdk::Room;
use matrix_sdk::ruma::{OwnedEventId, OwnedUserId};
use serde_json::Value;

use super::Shared;
use super::reactions::{self, FIELD};
use super::send::ReplyRoom;
use crate::core::Refusal;
use crate::core::command::{self, Command};
use crate::core::delivery::Reason;
use crate::core::effect::{Kind, Line, Message};
use crate::core::ids::{ChannelId, CommunityId, MemberRef, Platform};
use crate::core::input::{Actor, Input, Place};
use crate::core::standing::{Standing, private_place};
use crate::engine::{Answer, Delivery, EngineError, Route, Said as EngineSaid};

/// Unreadable messages waiting for their keys at once, at most.
const MAX_UNDECRYPTABLE_WAITING: usize = 256;
/// A member is told about unreadable messages at most once in this long.
const UNDECRYPTABLE_QUIET: std::time::Duration = std::time::Duration::from_secs(600);

/// Where an event happened, as attune sees it.
enum Where {
    /// A community's room.
    Room { community: CommunityId, channel: ChannelId },
    /// The member's private room, for a community if it is known.
    Private { community: Option<CommunityId> },
}

/// What a line of text is.
#[derive(Debug, PartialEq)]
pub(super) enum Said {
    Command(Result<Command, Refusal>),
    Chat,
}

impl Shared {
    /// One timeline event, already known to be new and not the bot's own.
    pub(super) async fn handle(self: &Arc<Self>, room: &Room, event: &Value, undecryptable: bool) {
        self.handle_as(room, event, undecryptable, false).await;
    }

    /// One timeline event; `late` when it could be read only after its keys came
    /// (a command in it then acts as it was meant when sent).
    async fn handle_as(self: &Arc<Self>, room: &Room, event: &Value, undecryptable: bool, late: bool) {
        let (Some(sender), Some(event_id)) = (event["sender"].as_str(), event["event_id"].as_str()) else { return };
        if self.own_user().is_some_and(|me| me.as_str() == sender) {
            return;
        }
        if undecryptable {
            self.later_decrypt(room, sender, event_id);
            return;
        }
        let content = &event["content"];
        match event["type"].as_str() {
            Some("m.room.message") => {
                // How long the homeserver and the sync took to bring the event here (same clock
                // as the homeserver's only on one machine, as in the benchmark).
                if let (Some(origin), Ok(now)) =
                    (event["origin_server_ts"].as_u64(), std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH))
                {
                    let lag_ms = (now.as_millis() as u64).saturating_sub(origin);
                    tracing::trace!(since_origin_ms = lag_ms, "a message is in hand");
                    metrics::histogram!(crate::engine::telemetry::MATRIX_LAG_SECONDS).record(lag_ms as f64 / 1000.0);
                }
                // An edit (`m.replace`) is read for care like a new message, never as a
                // command or as speaking during a turn (issue 17). Media carry no words. An
                // emote (`/me …`) is chat, read like any other, never a command.
                if content["m.relates_to"]["rel_type"] == "m.replace" {
                    let new = &content["m.new_content"];
                    let words = matches!(new["msgtype"].as_str(), Some("m.text" | "m.emote"));
                    let original = content["m.relates_to"]["event_id"].as_str();
                    // Clients show an edit only from the original's sender; so does attune.
                    if let (true, Some(body), Some(original)) = (words, new["body"].as_str(), original)
                        && self.sender_of(room, original).await.as_deref() == Some(sender)
                    {
                        self.on_edit(room, sender, event_id, body).await;
                    }
                    return;
                }
                let emote = content["msgtype"] == "m.emote";
                if content["msgtype"] != "m.text" && !emote {
                    return;
                }
                let Some(body) = content["body"].as_str() else { return };
                // Short forms (`!done`) work anywhere in a room while a circle runs in it: in
                // its thread, in the main timeline (where a speaker may well type it), in
                // another thread. A `!` that doesn't parse as a command stays chat.
                let circle_here = self.thread_of(room.room_id().as_str()).is_some();
                // Read late: a command acts as meant when it was sent (the homeserver's stamp).
                let sent =
                    late.then(|| event["origin_server_ts"].as_i64().and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())).flatten();
                self.on_text(room, sender, event_id, body, circle_here, !emote, sent).await;
            }
            Some("m.reaction") => {
                let relates = &content["m.relates_to"];
                if relates["rel_type"] != "m.annotation" {
                    return;
                }
                let (Some(target), Some(key)) = (relates["event_id"].as_str(), relates["key"].as_str()) else { return };
                self.on_reaction(room, sender, event_id, target, key).await;
            }
            // Room versions before 11 name the redacted event beside the content, later ones in it.
            Some("m.room.redaction") => {
                if let Some(redacts) = event["redacts"].as_str().or_else(|| content["redacts"].as_str()) {
                    self.on_redaction(room, sender, event_id, redacts).await;
                }
            }
            Some("m.room.member") if matches!(content["membership"].as_str(), Some("invite" | "join")) => {
                // Someone else invited into (or joining) a member's private room: it is private
                // no more, at once, not only at the next private message.
                let id = room.room_id().as_str();
                if matches!(self.engine.ledger().private_room_owner(id).await, Ok(Some(_))) && !private_place(true, people_in(room).await) {
                    tracing::info!("someone else came into a private room; it is left");
                    self.give_up_private_room(room, true).await;
                }
            }
            // A room upgrade (`m.room.tombstone`) is followed before any room's events
            // are handed out (`sync.rs`), so the new room's are read as its community's.
            Some("m.room.member") if event["state_key"] == sender && content["membership"] == "leave" => {
                // A member who leaves their private room gets a new one when next written to.
                if let Ok(Some((_, member))) = self.engine.ledger().private_room_owner(room.room_id().as_str()).await
                    && member.user() == sender
                    && let Err(e) = self.engine.ledger().drop_private_room(room.room_id().as_str()).await
                {
                    tracing::error!(error = %e, "a private room the member left could not be forgotten");
                }
            }
            _ => {}
        }
    }

    /// Who sent an event in a room, as the homeserver has it.
    async fn sender_of(&self, room: &Room, event: &str) -> Option<String> {
        let id = OwnedEventId::try_from(event).ok()?;
        let found = room.event(&id, None).await.ok()?;
        let v = serde_json::from_str::<Value>(found.raw().json().get()).ok()?;
        v["sender"].as_str().map(str::to_owned)
    }

    /// An edited message: read for crisis phrases like a new one (a room's
    /// `Input::Edited`, which never counts as speaking during a turn; a private
    /// room's chat), and dropped.
    async fn on_edit(&self, room: &Room, sender: &str, event_id: &str, body: &str) {
        let Some(member) = member_ref(sender) else { return };
        let Some(place) = self.routed(room, &member).await else { return };
        let private = matches!(place, Where::Private { .. });
        let actor = self.actor(room, &member, &place).await;
        let event = Some(format!("matrix:{event_id}"));
        let (community, result) = match place {
            Where::Room { community, channel } => {
                let input = Input::Edited { actor, place: Place::Channel(channel), text: body.to_owned() };
                let result = self.engine.submit(&community, input, event).await;
                (Some(community), result)
            }
            Where::Private { community } => {
                let community = self.route(community, &member).await;
                (community.clone(), self.engine.submit_private(community, actor, EngineSaid::Chat(body.to_owned()), event).await)
            }
        };
        self.answer(room, &member, community, result, private, false).await;
    }

    /// A text message: a command, a short form, or chat.
    #[allow(clippy::too_many_arguments, reason = "each is one fact about the line, read once here")]
    async fn on_text(
        &self,
        room: &Room,
        sender: &str,
        event_id: &str,
        body: &str,
        circle_here: bool,
        may_command: bool,
        sent: Option<jiff::Timestamp>,
    ) {
        let started = std::time::Instant::now();
        let Some(member) = member_ref(sender) else { return };
        let Some(place) = self.routed(room, &member).await else { return };
        let private = matches!(place, Where::Private { .. });
        let line =
            if may_command { classify(&strip_reply_fallback(body), self.options.prefix(), circle_here || private) } else { Said::Chat };
        let line = match (line, sent) {
            (Said::Command(Ok(command)), Some(at)) => {
                Said::Command(Ok(Command::Scoped(crate::core::command::Scope::Sent(at), Box::new(command))))
            }
            (line, _) => line,
        };
        let placed_us = started.elapsed().as_micros() as u64;
        let actor = self.actor(room, &member, &place).await;
        let actor_us = started.elapsed().as_micros() as u64;
        let event = Some(format!("matrix:{event_id}"));
        let asked = matches!(line, Said::Command(_));
        let (community, result) = match (place, line) {
            (Where::Room { community, channel }, line) => {
                let place = Place::Channel(channel);
                let input = match line {
                    Said::Command(Ok(command)) => Input::Command { actor, place, command },
                    Said::Command(Err(refusal)) => Input::BadCommand { actor, place, refusal, text: body.to_owned() },
                    Said::Chat => Input::Chat { actor, place, text: body.to_owned() },
                };
                let result = self.engine.submit(&community, input, event).await;
                (Some(community), result)
            }
            (Where::Private { community }, line) => {
                // Every private line reaches the core, whatever it is: a command, a line that
                // didn't parse (read for crisis phrases like chat), or chat (a reply to a
                // reflection, say), which is read and dropped.
                let said = match line {
                    Said::Command(Ok(command)) => EngineSaid::Command(command),
                    Said::Command(Err(refusal)) => EngineSaid::Bad { refusal, text: body.to_owned() },
                    Said::Chat => EngineSaid::Chat(body.to_owned()),
                };
                let community = self.route(community, &member).await;
                (community.clone(), self.engine.submit_private(community, actor, said, event).await)
            }
        };
        // attune's own turnaround: from the event in hand to its answer ready to hand to
        // the homeserver (where it was read, who sent it, applied and committed).
        let turnaround_us = started.elapsed().as_micros() as u64;
        self.answer(room, &member, community, result, private, asked).await;
        // And to the last reply sent (the homeserver's round trips included).
        let sent_us = started.elapsed().as_micros() as u64;
        tracing::debug!(turnaround_us, placed_us, actor_us, sent_us, "answered a message");
    }

    /// A reaction: the action the reacted-to message offered for that key.
    async fn on_reaction(&self, room: &Room, sender: &str, event_id: &str, target: &str, key: &str) {
        let Some(member) = member_ref(sender) else { return };
        let offers = self.offers_of(room, target).await;
        let Some(action) = offers.iter().find(|(k, _)| reactions::same_key(k, key)).and_then(|(_, a)| reactions::decode(a)) else {
            // Any other reaction is just a reaction.
            return;
        };
        // Only more time can be taken back, and only once it was given (said in the circle).
        let given = action.withdrawn().map(|_| "extended");
        let accepted = self.act(room, &member, event_id, action.command(), given).await;
        if accepted
            && given.is_some()
            && let Ok(mut w) = self.withdrawable.lock()
        {
            if w.len() >= super::send::OFFERED_CACHE {
                w.clear();
            }
            w.insert(format!("{}|{event_id}", room.room_id()), (sender.to_owned(), action));
        }
    }

    /// A redaction: if it takes back an accepted reaction of its own sender that
    /// can be taken back (more time), the action is withdrawn. Any other
    /// redaction is none of attune's business.
    async fn on_redaction(&self, room: &Room, sender: &str, event_id: &str, redacts: &str) {
        let key = format!("{}|{redacts}", room.room_id());
        let Some(action) = self.withdrawable.lock().ok().and_then(|mut w| match w.get(&key) {
            Some((who, action)) if who == sender => {
                let action = *action;
                w.remove(&key);
                Some(action)
            }
            _ => None,
        }) else {
            return;
        };
        let (Some(member), Some(command)) = (member_ref(sender), action.withdrawn()) else { return };
        self.act(room, &member, event_id, command, None).await;
    }

    /// A reaction's command (or its withdrawal), where the member is; answered
    /// as usual. Whether the answer said `done` (a line's id) in the room: the
    /// sign that the command went through.
    async fn act(&self, room: &Room, member: &MemberRef, event_id: &str, command: Command, done: Option<&str>) -> bool {
        let Some(place) = self.routed(room, member).await else { return false };
        let private = matches!(place, Where::Private { .. });
        let actor = self.actor(room, member, &place).await;
        let event = Some(format!("matrix:{event_id}"));
        let (community, result) = match place {
            Where::Room { community, channel } => {
                let input = Input::Command { actor, place: Place::Channel(channel), command };
                let result = self.engine.submit(&community, input, event).await;
                (Some(community), result)
            }
            Where::Private { community } => {
                let community = self.route(community, member).await;
                (community.clone(), self.engine.submit_private(community, actor, command, event).await)
            }
        };
        let accepted = done.is_some_and(|line| {
            result.as_ref().is_ok_and(|a| {
                a.deliveries.iter().any(|d| matches!(d, Delivery::Say { message, .. } if message.lines.iter().any(|l| l.id == line)))
            })
        });
        self.answer(room, member, community, result, private, true).await;
        accepted
    }

    /// Carries out an answer in order. In a private room the sender's private
    /// messages go back to that room. When the sender `asked` something (a
    /// command or a reaction) in a shared room and no private room could be
    /// opened for the answer, they are told so there; never after chat, where
    /// the note's timing could hint at what was meant for them (a crisis card).
    async fn answer(
        &self,
        room: &Room,
        member: &MemberRef,
        community: Option<CommunityId>,
        result: Result<Answer, EngineError>,
        private: bool,
        asked: bool,
    ) {
        let answer = match result {
            Ok(answer) => answer,
            Err(e) => {
                tracing::error!(error = %e, "a Matrix event could not be applied");
                let id = if matches!(e, EngineError::Quarantined) { "store-quarantined" } else { "store-unavailable" };
                let message = Message::new(Kind::Refusal, vec![Line::new(id)]);
                Answer { deliveries: vec![Delivery::Whisper { to: member.clone(), message }] }
            }
        };
        // attune's goodbye to a room it leaves belongs to the room, not to its last circle's thread.
        for delivery in &answer.deliveries {
            if let Delivery::Leave { channel } = delivery {
                self.forget_thread(channel.raw());
            }
        }
        // Told at most once per answer that private answers can't reach the sender.
        let mut told = false;
        for delivery in answer.deliveries {
            let reply = private.then_some(ReplyRoom { member, room });
            match &community {
                Some(c) => match delivery {
                    Delivery::Whisper { to, message } if !private && &to == member => {
                        if self.whisper(c, &to, &message).await == Err(Reason::PrivateClosed) && asked && !told {
                            told = true;
                            self.private_line_closed(room, member).await;
                        }
                    }
                    delivery => self.deliver(c, delivery, reply).await,
                },
                None => match (delivery, reply) {
                    // Without a community, only an answer in the member's own room can go out.
                    (Delivery::Whisper { to, message }, Some(reply)) if &to == member => {
                        let placeholder = CommunityId::parse(Platform::Matrix, room.room_id().as_str());
                        if let Ok(c) = placeholder {
                            self.deliver(&c, Delivery::Whisper { to, message }, Some(reply)).await;
                        }
                    }
                    _ => tracing::warn!("a delivery without a known community was dropped"),
                },
            }
        }
    }

    /// The community of a private input: the one the room serves, else the
    /// engine's routing (which asks the member when it can't tell).
    async fn route(&self, known: Option<CommunityId>, member: &MemberRef) -> Option<CommunityId> {
        if known.is_some() {
            return known;
        }
        match self.engine.route_private(member).await {
            Ok(Route::One(c)) => Some(c),
            _ => None,
        }
    }

    /// Where an event from `member` in `room` happened, with a private input's
    /// community found first (the room's, else the engine's routing), so the
    /// member's standing is read where the input will act.
    async fn routed(&self, room: &Room, member: &MemberRef) -> Option<Where> {
        match self.place(room, member).await? {
            Where::Private { community } => Some(Where::Private { community: self.route(community, member).await }),
            room => Some(room),
        }
    }

    /// Where an event from `member` in `room` happened.
    async fn place(&self, room: &Room, member: &MemberRef) -> Option<Where> {
        let id = room.room_id().as_str();
        match self.engine.ledger().private_room_owner(id).await {
            // A member's private room stays theirs only while it is the two of them: once
            // someone else is in it (joined or invited), it is forgotten and nothing private
            // goes there again; the member's next private answer opens a new room.
            Ok(Some((_, _))) if !private_place(true, people_in(room).await) => {
                tracing::info!("a private room someone else came into is no longer used for private messages");
                self.give_up_private_room(room, true).await;
                return None;
            }
            Ok(Some((community, owner))) => {
                // Someone else in a member's private room is not answered there.
                return (&owner == member).then_some(Where::Private { community: Some(community) });
            }
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "the private rooms could not be read"),
        }
        // A DM is private only while it is the member and attune alone (joined or invited):
        // a DM someone else was brought into is a shared room.
        let marked = self.direct.lock().is_ok_and(|d| d.contains(id));
        if (marked || room.is_direct().await.unwrap_or(false)) && private_place(true, people_in(room).await) {
            return Some(Where::Private { community: None });
        }
        let community = self.community_of(room).await?;
        let channel = ChannelId::parse(Platform::Matrix, id).ok()?;
        Some(Where::Room { community, channel })
    }

    /// The member as the core sees them, from facts: their display name, the
    /// power level they hold (in the room, or for a private input the highest in
    /// the community's rooms), and whether attune's configuration names them.
    /// The core decides what that makes them (`core::standing`).
    async fn actor(&self, room: &Room, member: &MemberRef, place: &Where) -> Actor {
        let user = OwnedUserId::try_from(member.user()).ok();
        let mut display = None;
        let mut power = None;
        if let Some(user) = &user {
            // One read of the member gives both their name and, in this room, their level.
            let found = room.get_member_no_sync(user).await.ok().flatten();
            display = found.as_ref().and_then(|m| m.display_name().map(str::to_owned));
            power = match place {
                Where::Room { .. } => Some(match &found {
                    Some(m) => level(m.power_level()),
                    None => power_level(room, user).await,
                }),
                Where::Private { community: Some(c) } => self.power_in(c, user).await,
                Where::Private { community: None } => None,
            };
        }
        let named = self.options.section.moderators.iter().any(|m| m == member.user());
        let host = self.options.section.hosts.iter().any(|m| m == member.user());
        let display = display.unwrap_or_else(|| localpart(member.user()).to_owned());
        Actor::from_facts(member.clone(), display, &Standing { manages: false, named, power, host })
    }

    /// The display name `user` has in a room of `community` they are in, as chat shows it.
    pub(super) async fn display_in(&self, community: &CommunityId, user: &matrix_sdk::ruma::UserId) -> Option<String> {
        for room in self.client.joined_rooms() {
            if self.is_private_room(&room).await || self.community_of(&room).await.as_ref() != Some(community) {
                continue;
            }
            if let Ok(Some(m)) = room.get_member_no_sync(user).await
                && let Some(name) = m.display_name()
            {
                return Some(name.to_owned());
            }
        }
        None
    }

    /// The highest power level `user` holds in the rooms of `community` attune is in.
    pub(super) async fn power_in(&self, community: &CommunityId, user: &matrix_sdk::ruma::UserId) -> Option<i64> {
        let mut best = None;
        for room in self.client.joined_rooms() {
            if self.is_private_room(&room).await || self.community_of(&room).await.as_ref() != Some(community) {
                continue;
            }
            // A power level stays in the room's state after a kick or a ban: only a
            // member who is in the room now holds it.
            let joined = matches!(room.get_member_no_sync(user).await, Ok(Some(m)) if *m.membership() == matrix_sdk::ruma::events::room::member::MembershipState::Join);
            if !joined {
                continue;
            }
            let level = power_level(&room, user).await;
            best = Some(best.map_or(level, |b: i64| b.max(level)));
        }
        best
    }

    /// The reactions a message of the bot offers: remembered since it was sent,
    /// or read from the event (only the bot's own events count).
    async fn offers_of(&self, room: &Room, target: &str) -> Vec<(String, String)> {
        // Keyed by room too: a reaction in one room naming the bot's message in another offers nothing.
        let cache_key = format!("{}|{target}", room.room_id());
        if let Some(known) = self.offered.lock().ok().and_then(|o| o.get(&cache_key).cloned()) {
            return known;
        }
        let Ok(id) = OwnedEventId::try_from(target) else { return Vec::new() };
        let Ok(event) = room.event(&id, None).await else { return Vec::new() };
        let Ok(v) = serde_json::from_str::<Value>(event.raw().json().get()) else { return Vec::new() };
        let own = self.own_user().map(ToString::to_string);
        if v["sender"].as_str() != own.as_deref() {
            return Vec::new();
        }
        let offers: Vec<(String, String)> = v["content"][FIELD]
            .as_object()
            .map(|m| m.iter().filter_map(|(k, a)| a.as_str().map(|a| (k.clone(), a.to_owned()))).collect())
            .unwrap_or_default();
        if let Ok(mut o) = self.offered.lock() {
            if o.len() >= super::send::OFFERED_CACHE {
                o.clear();
            }
            o.insert(cache_key, offers.clone());
        }
        offers
    }

    /// A message that could not be decrypted: its keys may still come. After
    /// the grace period it is tried again; if it reads, it is handled as usual,
    /// otherwise the sender is told kindly and privately what happened.
    fn later_decrypt(self: &Arc<Self>, room: &Room, sender: &str, event_id: &str) {
        use std::sync::atomic::Ordering;
        // A flood of unreadable events must not become a flood of tasks.
        if self.undecryptable_waiting.fetch_add(1, Ordering::Relaxed) >= MAX_UNDECRYPTABLE_WAITING {
            self.undecryptable_waiting.fetch_sub(1, Ordering::Relaxed);
            tracing::warn!("too many unreadable messages are waiting for their keys; this one is not retried");
            return;
        }
        let (shared, room, sender, event_id) = (self.clone(), room.clone(), sender.to_owned(), event_id.to_owned());
        let grace = self.options.decryption_grace;
        tokio::spawn(async move {
            tokio::time::sleep(grace).await;
            shared.retry_decrypt(&room, &sender, &event_id).await;
            shared.undecryptable_waiting.fetch_sub(1, Ordering::Relaxed);
        });
    }

    /// Whether the member may be told about an unreadable message now: once
    /// in a while, not once per message.
    fn may_tell_undecryptable(&self, sender: &str) -> bool {
        let Ok(mut told) = self.undecryptable_told.lock() else { return false };
        if told.get(sender).is_some_and(|at| at.elapsed() < UNDECRYPTABLE_QUIET) {
            return false;
        }
        if told.len() >= super::send::OFFERED_CACHE {
            told.retain(|_, at| at.elapsed() < UNDECRYPTABLE_QUIET);
        }
        told.insert(sender.to_owned(), std::time::Instant::now());
        true
    }

    async fn retry_decrypt(self: &Arc<Self>, room: &Room, sender: &str, event_id: &str) {
        let Ok(id) = OwnedEventId::try_from(event_id) else { return };
        if let Ok(event) = room.event(&id, None).await
            && !matches!(event.kind, matrix_sdk::deserialized_responses::TimelineEventKind::UnableToDecrypt { .. })
            && let Ok(v) = serde_json::from_str::<Value>(event.raw().json().get())
        {
            Box::pin(self.handle_as(room, &v, false, true)).await;
            return;
        }
        let Some(member) = member_ref(sender) else { return };
        if !self.may_tell_undecryptable(sender) {
            return;
        }
        let Some(place) = self.place(room, &member).await else { return };
        let community = match place {
            Where::Room { community, .. } => Some(community),
            Where::Private { community } => self.route(community, &member).await,
        };
        let message = Message::info(Line::new("matrix-undecryptable"));
        match community {
            Some(c) => {
                if self.whisper(&c, &member, &message).await == Err(Reason::PrivateClosed) && !self.is_private_room(room).await {
                    self.private_line_closed(room, &member).await;
                }
            }
            None => tracing::info!("a message could not be decrypted, and no community is known to answer from"),
        }
    }

    async fn is_private_room(&self, room: &Room) -> bool {
        let id = room.room_id().as_str();
        matches!(self.engine.ledger().private_room_owner(id).await, Ok(Some(_)))
            || (self.direct.lock().is_ok_and(|d| d.contains(id)) && private_place(true, people_in(room).await))
    }

    /// Said in a shared room when a member's private answer could not reach
    /// them because no private room could be opened: what happened and what
    /// to do, and nothing of what was meant for them.
    async fn private_line_closed(&self, room: &Room, member: &MemberRef) {
        let display = match OwnedUserId::try_from(member.user()) {
            Ok(user) => room.get_member_no_sync(&user).await.ok().flatten().and_then(|m| m.display_name().map(str::to_owned)),
            Err(_) => None,
        };
        let display = display.unwrap_or_else(|| localpart(member.user()).to_owned());
        let display = crate::core::member::clean_display(&display).unwrap_or_else(|| localpart(member.user()).to_owned());
        let message = Message::info(Line::new("matrix-private-closed").member("name", member, display));
        let thread = self.thread_of(room.room_id().as_str());
        if let Err(e) = self.send(room, &message, thread.as_deref()).await {
            tracing::error!(error = %e, "the note about a closed private line could not be sent");
        }
    }
}

/// The power level of a user in a room (0 when it can't be read).
async fn power_level(room: &Room, user: &matrix_sdk::ruma::UserId) -> i64 {
    room.get_user_power_level(user).await.map_or(0, level)
}

/// A power level as a number (a room creator's unlimited power is the largest).
fn level(p: matrix_sdk::ruma::events::room::power_levels::UserPowerLevel) -> i64 {
    use matrix_sdk::ruma::events::room::power_levels::UserPowerLevel;
    match p {
        UserPowerLevel::Infinite => i64::MAX,
        UserPowerLevel::Int(n) => n.into(),
        _ => 0,
    }
}

/// How many people are in a room, joined or invited, from its real membership
/// (matrix-sdk asks the homeserver once and then follows the room's member
/// events), not the sync summary's count, which a homeserver sends only with
/// lazy-loaded members. Unknown counts as crowded, so nothing private goes there.
pub(super) async fn people_in(room: &Room) -> u64 {
    match room.members(matrix_sdk::RoomMemberships::ACTIVE).await {
        Ok(members) => u64::try_from(members.len()).unwrap_or(u64::MAX),
        Err(e) => {
            tracing::warn!(error = %e, "a room's members could not be read; it is treated as shared");
            u64::MAX
        }
    }
}

fn member_ref(sender: &str) -> Option<MemberRef> {
    MemberRef::parse(Platform::Matrix, sender).ok()
}

pub(super) fn localpart(user: &str) -> &str {
    user.trim_start_matches('@').split(':').next().unwrap_or(user)
}

/// A line as attune reads it: `PREFIX words` is a command (`PREFIX` alone is
/// `help`); where short forms work, `!words` is a command if it parses, and
/// chat if not (a `!` is ordinary punctuation too).
pub(super) fn classify(line: &str, prefix: &str, short_forms: bool) -> Said {
    let line = line.trim();
    if let Some(head) = line.get(..prefix.len())
        && head.eq_ignore_ascii_case(prefix)
    {
        let rest = &line[prefix.len()..];
        if rest.is_empty() {
            return Said::Command(command::parse("help"));
        }
        if rest.starts_with(char::is_whitespace) {
            return Said::Command(command::parse(rest.trim()));
        }
    }
    if short_forms
        && let Some(rest) = line.strip_prefix('!')
        && !rest.starts_with(char::is_whitespace)
        && let Ok(command) = command::parse(rest)
    {
        return Said::Command(Ok(command));
    }
    Said::Chat
}

/// A reply's body starts with the quoted message (`> …` lines and a blank
/// line); the member's own words follow.
pub(super) fn strip_reply_fallback(body: &str) -> String {
    if !body.starts_with("> ") {
        return body.to_owned();
    }
    let mut lines = body.lines().skip_while(|l| l.starts_with('>'));
    let mut out: Vec<&str> = Vec::new();
    if let Some(first) = lines.next()
        && !first.trim().is_empty()
    {
        out.push(first);
    }
    out.extend(lines);
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prefix_makes_a_command_and_short_forms_work_only_where_allowed() {
        assert_eq!(classify("!attune circle join", "!attune", false), Said::Command(command::parse("circle join")));
        assert_eq!(classify("!ATTUNE   pass ", "!attune", false), Said::Command(command::parse("pass")));
        assert_eq!(classify("!attune", "!attune", false), Said::Command(command::parse("help")));
        assert_eq!(classify("!attuned", "!attune", false), Said::Chat, "a longer word is not the prefix");
        assert_eq!(classify("!done", "!attune", true), Said::Command(command::parse("done")));
        assert_eq!(classify("!done", "!attune", false), Said::Chat, "short forms only where a circle runs, or privately");
        assert_eq!(classify("!wow, that helps", "!attune", true), Said::Chat, "an exclamation is chat");
        assert_eq!(classify("I'm done!", "!attune", true), Said::Chat);
        assert!(matches!(classify("!attune frobnicate", "!attune", false), Said::Command(Err(_))), "a bad command is refused kindly");
    }

    #[test]
    fn a_replys_quoted_fallback_is_not_read_as_the_members_words() {
        assert_eq!(strip_reply_fallback("> <@bot:x> your turn\n> more\n\n!done"), "!done");
        assert_eq!(strip_reply_fallback("plain"), "plain");
    }
}
