//! The sync loop. Invites from allowed servers are accepted and room upgrades
//! followed first; then each room's new timeline events go to that room's own
//! worker, in order, while syncing goes on (a room the homeserver slows down
//! holds up no other). attune's own sync token is saved only once every event
//! before it is handled, in every room. A crash in between replays those
//! events after restart, and the engine ignores events it already applied
//! (their event ids are stored), so no event is processed twice and none is
//! dropped: commands sent while attune was down are answered once it is back.
//!
//! What is never answered: the bot's own events, history from before the bot
//! joined a room, and everything before the bot's very first sync.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use matrix_sdk::config::SyncSettings;
use matrix_sdk::deserialized_responses::SyncOrStrippedState;
use matrix_sdk::ruma::api::client::filter::FilterDefinition;
use matrix_sdk::ruma::api::client::sync::sync_events::v3::Filter;
use matrix_sdk::ruma::{OwnedRoomId, UInt};
use matrix_sdk::sync::SyncResponse;
use serde_json::Value;
use tokio::sync::Notify;

use super::session;
use super::{MatrixError, Shared};
use crate::engine::telemetry;

/// How long one sync waits for news.
const LONG_POLL: Duration = Duration::from_secs(30);
/// Timeline events per room per sync: enough that a room's commands from a
/// while offline arrive whole rather than as a gap.
const TIMELINE_LIMIT: u32 = 200;
/// How long the account's very first sync may take (the homeserver builds every
/// room's state for it).
const FIRST_SYNC_WAIT: Duration = Duration::from_secs(10 * 60);
/// How often a long first sync says it is still under way.
const PROGRESS_EVERY: Duration = Duration::from_secs(15);
/// The longest wait between failed syncs.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// What attune syncs: each room's timeline (up to [`TIMELINE_LIMIT`]) and the
/// state it needs, with room members lazy-loaded (only those whose events are in
/// view; matrix-sdk fetches the whole list where attune needs it: encrypting,
/// a private room's membership, names that two members share). Presence,
/// typing and receipts, which attune never reads, are left out.
fn filter() -> FilterDefinition {
    use matrix_sdk::ruma::api::client::filter::{Filter as EventFilter, LazyLoadOptions, RoomEventFilter};
    let mut filter = FilterDefinition::default();
    let lazy = LazyLoadOptions::Enabled { include_redundant_members: false };
    filter.room.timeline.limit = Some(UInt::from(TIMELINE_LIMIT));
    filter.room.timeline.lazy_load_options = lazy;
    filter.room.state.lazy_load_options = lazy;
    filter.room.ephemeral = RoomEventFilter::ignore_all();
    filter.presence = EventFilter::ignore_all();
    filter
}

fn settings(token: Option<&str>, timeout: Duration) -> SyncSettings {
    let filter = filter();
    let settings = SyncSettings::default().timeout(timeout).filter(Filter::FilterDefinition(filter));
    match token {
        Some(t) => settings.token(t),
        // attune has handled nothing yet: a whole first sync, even if matrix-sdk
        // saved a token of its own (a crash before attune saved its own).
        None => settings.token(matrix_sdk::config::SyncToken::NoToken),
    }
}

/// The first sync of this start: answers what came while attune was down
/// (with no waiting: after restoring a session a long poll would hold the start).
/// Returns the next token and the rooms where someone else's events were answered.
pub(super) async fn first(shared: &Arc<Shared>) -> Result<(String, HashSet<String>), MatrixError> {
    let dir = &shared.options.store_dir;
    let stored = session::sync_token(dir);
    // The very first sync of an account brings every room's state, which takes a large
    // account a while: the homeserver answers as soon as it is ready (a first sync never
    // waits for news), so its wait is long. Later ones continue from a token and must not
    // wait for news here.
    let wait = if stored.is_some() { Duration::ZERO } else { FIRST_SYNC_WAIT };
    let started = std::time::Instant::now();
    let sync = shared.client.sync_once(settings(stored.as_deref(), wait));
    tokio::pin!(sync);
    let result = loop {
        tokio::select! {
            r = &mut sync => break r,
            () = tokio::time::sleep(PROGRESS_EVERY) => {
                tracing::info!(waited_s = started.elapsed().as_secs(), "the first Matrix sync is still under way (a large account takes a while)");
            }
        }
    };
    if stored.is_none() {
        tracing::info!(took_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX), "the first Matrix sync is done");
    }
    let response = match result {
        Ok(r) => r,
        Err(e) => {
            return Err(match super::refusal_or_mended(e.client_api_error_kind(), &shared.options).await {
                Some(fatal) => MatrixError::Fatal(fatal),
                None => MatrixError::Sync(e.to_string()),
            });
        }
    };
    // The very first sync brings rooms' history, which attune never answers.
    let touched = shared.process(&response, stored.is_none()).await;
    if let Err(e) = session::save_sync_token(dir, &response.next_batch) {
        tracing::error!(error = %e, "the sync token could not be saved; events may be replayed (and ignored) after a restart");
    }
    Ok((response.next_batch, touched))
}

/// Syncs until stopped. A failed sync is retried with a growing wait, except a
/// refusal no retry can mend (a token revoked, an account deactivated): that
/// raises the alarm and syncing ends, so attune never runs on deaf.
///
/// Each room's events go to that room's own worker, in order, and syncing goes
/// on meanwhile: a room whose answers the homeserver slows down (rate limits)
/// holds up neither the next sync nor any other room. attune's sync token is
/// saved only once every event up to it is handled, in every room, so a crash
/// replays what wasn't (and the engine ignores what was).
pub(super) async fn run(
    shared: Arc<Shared>,
    mut token: String,
    stop: Arc<Notify>,
    alarm: crate::platform::Alarm,
    link: crate::platform::Link,
) {
    let dir = shared.options.store_dir.clone();
    let mut backoff = Duration::from_millis(500);
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel::<u64>();
    let mut workers = Workers {
        rooms: std::collections::HashMap::new(),
        tasks: tokio::task::JoinSet::new(),
        done: done_tx,
        stopping: Arc::new(std::sync::atomic::AtomicBool::new(false)),
    };
    // Per sync, in order: its next token and how many rooms are still handling its events.
    let mut outstanding: std::collections::BTreeMap<u64, (String, usize)> = std::collections::BTreeMap::new();
    let mut seq: u64 = 0;
    let mut in_flight = None;
    loop {
        if in_flight.is_none() && outstanding.len() < MAX_AHEAD {
            in_flight = Some(Box::pin(shared.client.sync_once(settings(Some(&token), LONG_POLL))));
        }
        tokio::select! {
            response = maybe(&mut in_flight) => {
                in_flight = None;
                match response {
                    Ok(response) => {
                        link.set(true);
                        backoff = Duration::from_millis(500);
                        seq += 1;
                        let batches = shared.prepare(&response, false).await;
                        outstanding.insert(seq, (response.next_batch.clone(), batches.len()));
                        for batch in batches {
                            workers.hand(&shared, seq, batch);
                        }
                        token = response.next_batch;
                    }
                    Err(e) => {
                        link.set(false);
                        if let Some(fatal) = super::refusal_or_mended(e.client_api_error_kind(), &shared.options).await {
                            workers.finish().await;
                            alarm.raise(fatal);
                            return;
                        }
                        super::count_rate_limit(e.client_api_error_kind());
                        metrics::counter!(telemetry::MATRIX_SYNC_RETRIES).increment(1);
                        tracing::warn!(error = %e, wait_ms = backoff.as_millis() as u64, "a Matrix sync failed; trying again");
                        tokio::select! {
                            () = tokio::time::sleep(backoff) => {}
                            () = stop.notified() => return workers.finish().await,
                        }
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                    }
                }
            }
            Some(done) = done_rx.recv() => {
                if let Some((_, left)) = outstanding.get_mut(&done) {
                    *left = left.saturating_sub(1);
                }
            }
            () = stop.notified() => return workers.finish().await,
        }
        // The newest token every earlier event is handled for.
        let mut handled = None;
        while let Some(entry) = outstanding.first_entry() {
            if entry.get().1 > 0 {
                break;
            }
            handled = Some(entry.remove().0);
        }
        if let Some(t) = handled
            && let Err(e) = session::save_sync_token(&dir, &t)
        {
            tracing::error!(error = %e, "the sync token could not be saved; events may be replayed (and ignored) after a restart");
        }
    }
}

/// Syncs fetched ahead of the events still being handled, at most: a room the
/// homeserver slows down may fall this far behind before syncing waits for it.
const MAX_AHEAD: usize = 1024;

/// The in-flight sync, or never.
async fn maybe<F: std::future::Future + Unpin>(f: &mut Option<F>) -> F::Output {
    match f {
        Some(f) => f.await,
        None => std::future::pending().await,
    }
}

/// One room's new events from one sync.
pub(super) struct Batch {
    room: matrix_sdk::Room,
    events: Vec<(Value, bool)>,
}

/// A worker per room, each handling its room's batches in order and saying
/// which sync each came from once done. Stopped with the sync loop.
struct Workers {
    rooms: std::collections::HashMap<String, tokio::sync::mpsc::UnboundedSender<(u64, Batch)>>,
    tasks: tokio::task::JoinSet<()>,
    done: tokio::sync::mpsc::UnboundedSender<u64>,
    /// Set at stop: each worker finishes the batch in hand and takes no other.
    stopping: Arc<std::sync::atomic::AtomicBool>,
}

/// How long a stop waits for the events in hand (one per room) to be handled.
const FINISH: Duration = Duration::from_secs(30);

impl Workers {
    fn hand(&mut self, shared: &Arc<Shared>, seq: u64, batch: Batch) {
        let id = batch.room.room_id().to_string();
        let tx = self.rooms.entry(id).or_insert_with(|| {
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(u64, Batch)>();
            let (shared, done, stopping) = (shared.clone(), self.done.clone(), self.stopping.clone());
            self.tasks.spawn(async move {
                while let Some((seq, batch)) = rx.recv().await {
                    for (event, undecryptable) in batch.events {
                        // What is left is handled after the restart (the token wasn't saved for it).
                        if stopping.load(std::sync::atomic::Ordering::SeqCst) {
                            return;
                        }
                        // In a task of its own, so an event that panics loses only itself.
                        let (shared, room) = (shared.clone(), batch.room.clone());
                        if let Err(e) = tokio::spawn(async move { shared.handle(&room, &event, undecryptable).await }).await {
                            tracing::error!(error = %e, "an event could not be handled");
                        }
                    }
                    let _ = done.send(seq);
                }
            });
            tx
        });
        if tx.send((seq, batch)).is_err() {
            tracing::error!("a room's worker is gone; its events are handled after a restart");
        }
    }

    /// At stop: every worker finishes the batch in hand (so no answer is lost for
    /// an event the engine applied), then stops; what is queued waits for the restart.
    async fn finish(mut self) {
        self.stopping.store(true, std::sync::atomic::Ordering::SeqCst);
        self.rooms.clear();
        let all = async { while self.tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(FINISH, all).await.is_err() {
            tracing::warn!("rooms' events were still being handled at stop; the rest are handled after the restart");
        }
    }
}

impl Shared {
    /// Handles one sync response whole (the first sync of a start): every room's
    /// events, rooms side by side; returns the rooms where someone else's events
    /// were handled.
    async fn process(self: &Arc<Self>, response: &SyncResponse, history_only: bool) -> HashSet<String> {
        let own = self.own_user().map(ToString::to_string).unwrap_or_default();
        let mut rooms: tokio::task::JoinSet<Option<String>> = tokio::task::JoinSet::new();
        for batch in self.prepare(response, history_only).await {
            let (shared, own) = (self.clone(), own.clone());
            rooms.spawn(async move {
                let mut touched = None;
                for (event, undecryptable) in &batch.events {
                    if event["sender"].as_str().is_some_and(|s| s != own) && event.get("state_key").is_none_or(|k| k.is_null()) {
                        touched = Some(batch.room.room_id().to_string());
                    }
                    shared.handle(&batch.room, event, *undecryptable).await;
                }
                touched
            });
        }
        let mut touched = HashSet::new();
        while let Some(done) = rooms.join_next().await {
            match done {
                Ok(t) => touched.extend(t),
                Err(e) => tracing::error!(error = %e, "a room's events could not all be handled"),
            }
        }
        touched
    }

    /// What one sync response asks of attune before its events: invites accepted
    /// (or declined), rooms left forgotten, support rooms looked at; then each
    /// room's new events since attune joined it, one batch per room.
    async fn prepare(self: &Arc<Self>, response: &SyncResponse, history_only: bool) -> Vec<Batch> {
        for room in response.rooms.invited.keys() {
            self.accept_invite(room).await;
        }
        for room in response.rooms.left.keys() {
            if let Err(e) = self.engine.ledger().drop_private_room(room.as_str()).await {
                tracing::error!(error = %e, "a private room the bot left could not be forgotten");
            }
        }
        if history_only {
            return Vec::new();
        }
        let own = self.own_user().map(ToString::to_string).unwrap_or_default();
        let mut batches = Vec::new();
        for (room_id, update) in &response.rooms.joined {
            let Some(room) = self.room(room_id.as_str()) else { continue };
            // A support room is never read; attune only waits there for someone to join.
            if self.is_support_room(room_id.as_str()) {
                self.step_out_when_joined(&room).await;
                continue;
            }
            let events: Vec<(Value, bool)> = update
                .timeline
                .events
                .iter()
                .filter_map(|e| {
                    let undecryptable = matches!(e.kind, matrix_sdk::deserialized_responses::TimelineEventKind::UnableToDecrypt { .. });
                    serde_json::from_str::<Value>(e.raw().json().get()).ok().map(|v| (v, undecryptable))
                })
                .collect();
            // History from before the bot joined is not answered.
            let joined_here = events.iter().rposition(|(v, _)| own_join(v, &own));
            let start = joined_here.map_or(0, |i| i + 1);
            if update.timeline.limited && joined_here.is_none() {
                // More happened than one sync carries (attune was down a long while): the
                // earlier events are not fetched, and that is said rather than silent.
                tracing::warn!(room = %room_id, limit = TIMELINE_LIMIT, "a room's timeline came cut short; earlier messages there were not read");
            }
            let events: Vec<(Value, bool)> = events.into_iter().skip(start).collect();
            // A room that replaced one attune was in (an upgrade), now joined here: its
            // circles move in before anything else happens in it.
            if self.pending_moves.lock().is_ok_and(|p| p.contains_key(room_id.as_str())) {
                self.moved_in(room_id.as_str()).await;
            }
            // A room upgrade first, before any room's events are handed out: the new
            // room's events are then read as the community's.
            for (event, _) in &events {
                if event["type"] == "m.room.tombstone"
                    && event["state_key"] == ""
                    && let (Some(sender), Some(replacement)) = (event["sender"].as_str(), event["content"]["replacement_room"].as_str())
                {
                    self.on_tombstone(&room, sender, replacement).await;
                }
            }
            if !events.is_empty() {
                batches.push(Batch { room, events });
            }
        }
        batches
    }

    /// Joins a room the bot was invited to, if the inviter's server is allowed;
    /// otherwise declines. A DM invite is marked as one.
    async fn accept_invite(&self, room_id: &OwnedRoomId) {
        let Some(room) = self.room(room_id.as_str()) else { return };
        let details = match room.invite_details().await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, room = %room_id, "an invite could not be read");
                return;
            }
        };
        let inviter = details.inviter_id;
        let server = inviter.server_name().as_str();
        if !self.server_allowed(server) {
            tracing::info!(room = %room_id, server, "an invite from a server that is not allowed was declined");
            if let Err(e) = room.leave().await {
                tracing::warn!(error = %e, "an invite could not be declined");
            }
            return;
        }
        let direct = match &**details.invitee.event() {
            SyncOrStrippedState::Stripped(e) => e.content.is_direct,
            SyncOrStrippedState::Sync(e) => e.as_original().and_then(|o| o.content.is_direct),
        }
        .unwrap_or(false);
        // Synapse may not have finished the invite when it is first seen; try a few times.
        let mut joined = Err(String::new());
        for attempt in 0..3u64 {
            match room.join().await {
                Ok(()) => {
                    joined = Ok(());
                    break;
                }
                Err(e) => joined = Err(e.to_string()),
            }
            tokio::time::sleep(Duration::from_millis(200 * (attempt + 1))).await;
        }
        if let Err(e) = joined {
            tracing::warn!(error = %e, room = %room_id, "an invite could not be accepted");
            return;
        }
        if direct {
            // `is_direct()` is not reliable right after joining, so attune marks it itself.
            if let Ok(mut d) = self.direct.lock() {
                d.insert(room_id.to_string());
            }
            if let Err(e) = self.client.account().mark_as_dm(room_id, &[inviter]).await {
                tracing::warn!(error = %e, "a DM could not be marked as one");
            }
        }
        tracing::info!(room = %room_id, direct, "joined a room");
    }
}

/// Whether an event is the bot's own join to the room.
fn own_join(event: &Value, own: &str) -> bool {
    event["type"] == "m.room.member" && event["state_key"] == own && event["content"]["membership"] == "join" && {
        let before = &event["unsigned"]["prev_content"]["membership"];
        before != "join"
    }
}

/// The spaces a room names as its parents (`m.space.parent`).
pub(super) async fn space_parents(room: &matrix_sdk::Room) -> Vec<String> {
    use matrix_sdk::ruma::events::space::parent::SpaceParentEventContent;
    let Ok(events) = room.get_state_events_static::<SpaceParentEventContent>().await else { return Vec::new() };
    events
        .into_iter()
        .filter_map(|raw| raw.deserialize().ok())
        .map(|e| match e {
            SyncOrStrippedState::Sync(s) => s.state_key().to_string(),
            SyncOrStrippedState::Stripped(s) => s.state_key.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_the_bots_own_new_join_marks_where_history_ends() {
        let me = "@attune:example.org";
        let join = json!({ "type": "m.room.member", "state_key": me, "content": { "membership": "join" } });
        assert!(own_join(&join, me));
        let rename = json!({ "type": "m.room.member", "state_key": me, "content": { "membership": "join" },
            "unsigned": { "prev_content": { "membership": "join" } } });
        assert!(!own_join(&rename, me), "a profile change is not a join");
        let other = json!({ "type": "m.room.member", "state_key": "@alice:example.org", "content": { "membership": "join" } });
        assert!(!own_join(&other, me));
    }
}
