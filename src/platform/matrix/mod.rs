//! The Matrix adapter (matrix-sdk 0.18, end-to-end encryption, SQLite state
//! and crypto stores). It translates and never decides: room messages and
//! reactions become [`Input`](crate::core::input::Input)s for the engine, and
//! the engine's deliveries become Matrix events.
//!
//! Its parts, in the order an event travels:
//! - `mod.rs` (this file): starting and stopping, and the loop that carries the
//!   engine's outlet to Matrix;
//! - `session.rs`: login once, then the same device on every start (the session
//!   beside matrix-sdk's stores), and attune's own sync token;
//! - `sync.rs`: the sync loop: invites, and each timeline event exactly once;
//! - `events.rs`: a message or a reaction → an input, and its answer;
//! - `reactions.rs`: an [`Action`](crate::core::effect::Action) ↔ a reaction
//!   key and the text the bot's message carries for it (pure, tested);
//! - `send.rs`: deliveries → room messages, thread replies and DM rooms, and
//!   `Input::DeliveryFailed` when a DM can't be made;
//! - `floor.rs`: holding the floor with power levels, restored exactly;
//! - `doctor.rs`: `attune doctor`'s checks (login, encryption, power levels);
//! - `render.rs`: a message → plain and HTML bodies (outside text escaped,
//!   people as pills, `m.mentions` empty) and the reactions it offers.
//!
//! Only this folder names matrix-sdk or ruma (`tests/it/architecture.rs`).

pub mod doctor;
mod events;
mod floor;
mod reactions;
mod render;
mod send;
mod session;
mod support;
mod sync;
mod upgrade;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use matrix_sdk::Client;
use tokio::sync::{Notify, mpsc};

use crate::core::effect::Action;
use crate::core::ids::{CommunityId, Platform};
use crate::engine::{Engine, Outgoing};
use crate::text::Catalogue;

pub use reactions::{decode as decode_reaction, encode as encode_reaction, key_of as reaction_key};
pub use render::command_catalogue;

/// What the adapter needs from the configuration. Secrets are never logged.
#[derive(Clone)]
pub struct MatrixOptions {
    /// The `[matrix]` section of the configuration, as it is (`config::Matrix`).
    pub section: crate::config::Matrix,
    /// Used for the first login only; afterwards the saved session is restored.
    /// From the environment only.
    pub password: String,
    /// An access token (instead of a password) for the first start. From the
    /// environment only.
    pub access_token: String,
    /// The session file, attune's sync token and matrix-sdk's stores live here:
    /// `section.store_dir`, or a `matrix` folder beside the database.
    pub store_dir: PathBuf,
    /// Encrypts what matrix-sdk keeps in its stores (room state, encryption keys)
    /// when not empty. From the environment only (`ATTUNE_MATRIX_STORE_PASSPHRASE`);
    /// it must stay the same for the life of the store.
    pub store_passphrase: String,
    /// How long a message that could not be decrypted waits for its keys.
    pub decryption_grace: std::time::Duration,
}

impl MatrixOptions {
    /// How long an undecryptable message waits for its keys unless told otherwise.
    pub const DECRYPTION_GRACE: std::time::Duration = std::time::Duration::from_secs(30);

    /// The adapter's options: the `[matrix]` section, the secrets beside it, and
    /// the store directory (`section.store_dir`, else `matrix` beside the database).
    pub fn new(
        section: crate::config::Matrix,
        password: impl Into<String>,
        access_token: impl Into<String>,
        database: &std::path::Path,
    ) -> Self {
        let beside_db = database.parent().map(|p| p.join("matrix")).unwrap_or_else(|| PathBuf::from("matrix"));
        let store_dir = section.store_dir.clone().unwrap_or(beside_db);
        Self {
            section,
            password: password.into(),
            access_token: access_token.into(),
            store_dir,
            store_passphrase: String::new(),
            decryption_grace: Self::DECRYPTION_GRACE,
        }
    }

    /// The command prefix, as configured (validated as one word).
    pub fn prefix(&self) -> &str {
        self.section.prefix.trim()
    }
}

impl std::fmt::Debug for MatrixOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MatrixOptions")
            .field("section", &self.section)
            .field("password", &if self.password.is_empty() { "[unset]" } else { "[redacted]" })
            .field("access_token", &if self.access_token.is_empty() { "[unset]" } else { "[redacted]" })
            .field("store_dir", &self.store_dir)
            .field("store_passphrase", &if self.store_passphrase.is_empty() { "[unset]" } else { "[redacted]" })
            .field("decryption_grace", &self.decryption_grace)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MatrixError {
    #[error(
        "no Matrix session is saved and neither ATTUNE_MATRIX_PASSWORD nor ATTUNE_MATRIX_ACCESS_TOKEN is set \
         (they are read from the environment only)"
    )]
    NoCredentials,
    #[error("the message catalogue could not be loaded: {0}")]
    Catalogue(String),
    #[error("the Matrix session files in {path} could not be used: {reason}")]
    Files { path: String, reason: String },
    #[error("the Matrix client could not be built: {0}")]
    Client(String),
    #[error("the homeserver refused the login for {user}: {reason}")]
    Login { user: String, reason: String },
    #[error("matrix-sdk's stores could not be opened: {0}")]
    Store(String),
    #[error("the saved session is for {saved}, but the configuration names {configured}")]
    OtherUser { saved: String, configured: String },
    #[error("the first sync with the homeserver failed: {0}")]
    Sync(String),
    /// The homeserver refused attune, or could not be reached: what, the fix, and the exit code.
    #[error(transparent)]
    Fatal(#[from] super::Fatal),
}

impl From<MatrixError> for super::Fatal {
    /// Every way the adapter can fail to start, with what the operator can do.
    fn from(e: MatrixError) -> Self {
        let what = e.to_string();
        match e {
            MatrixError::Fatal(f) => f,
            MatrixError::NoCredentials => {
                Self::needs_operator(what, "set one of them for the first start; later starts reuse the saved session")
            }
            MatrixError::OtherUser { .. } => Self::needs_operator(
                what,
                "set matrix.user back, or give this account its own matrix.store_dir (the saved session and keys belong to the other account)",
            ),
            MatrixError::Login { .. } => {
                Self::needs_operator(what, "check matrix.user and ATTUNE_MATRIX_PASSWORD or ATTUNE_MATRIX_ACCESS_TOKEN")
            }
            MatrixError::Files { .. } => Self::needs_operator(what, "make the folder writable by attune's user, or set matrix.store_dir"),
            MatrixError::Store(_) => Self::needs_operator(
                what,
                "set ATTUNE_MATRIX_STORE_PASSPHRASE back to what it was when the store was made (or unset it, if it was unset); README: Matrix",
            ),
            MatrixError::Client(_) => {
                Self::needs_operator(what, "check matrix.homeserver (its client API URL, like https://matrix.example.org)")
            }
            MatrixError::Catalogue(_) => Self {
                what,
                fix: "this is a fault in attune; please report it".into(),
                exit: crate::exit::Exit::Failure,
                start_again: false,
            },
            MatrixError::Sync(_) => {
                Self::restart(what, "check that the homeserver is up and reachable; attune tries again when started again")
            }
        }
    }
}

/// Counts a request the homeserver rate-limited.
pub(crate) fn count_rate_limit(kind: Option<&matrix_sdk::ruma::api::error::ErrorKind>) {
    if matches!(kind, Some(matrix_sdk::ruma::api::error::ErrorKind::LimitExceeded(_))) {
        metrics::counter!(crate::engine::telemetry::MATRIX_RATE_LIMITED).increment(1);
    }
}

/// What a refusal the homeserver answered means, mending the one attune can:
/// after a soft logout (`M_UNKNOWN_TOKEN` with `soft_logout`) with a password
/// configured, attune signs in again as the same device and asks `attune run`
/// to start again on the new session. Anything else is as [`refusal`] says.
pub(crate) async fn refusal_or_mended(
    kind: Option<&matrix_sdk::ruma::api::error::ErrorKind>,
    options: &MatrixOptions,
) -> Option<super::Fatal> {
    use matrix_sdk::ruma::api::error::ErrorKind;
    let user = &options.section.user;
    if let Some(ErrorKind::UnknownToken(data)) = kind
        && data.soft_logout
    {
        if options.password.is_empty() {
            return Some(super::Fatal::needs_operator(
                format!("the homeserver signed {user} out and asks it to sign in again (a soft logout: M_UNKNOWN_TOKEN)"),
                "set ATTUNE_MATRIX_PASSWORD and start attune again: it signs in again as the same device, keeping its encryption keys",
            ));
        }
        return Some(match session::sign_in_again(options).await {
            Ok(device) => super::Fatal::start_again(
                format!("the homeserver signed {user} out (a soft logout: M_UNKNOWN_TOKEN); attune signed in again as its device {device}"),
                "attune starts again on the new session",
            ),
            Err(e @ MatrixError::Sync(_)) => super::Fatal::restart(
                format!("the homeserver signed {user} out (a soft logout), and signing in again did not get through: {e}"),
                "attune signs in again as the same device when it is started again",
            ),
            Err(e) => super::Fatal::needs_operator(
                format!("the homeserver signed {user} out (a soft logout), and signing in again failed: {e}"),
                "check ATTUNE_MATRIX_PASSWORD, then start attune again; it signs in as the same device",
            ),
        });
    }
    refusal(kind, user, &options.store_dir)
}

/// A refusal no retry can mend, from an error the homeserver answered: the
/// access token is no longer known (revoked, expired, its device signed out)
/// or the account is deactivated.
pub(crate) fn refusal(
    kind: Option<&matrix_sdk::ruma::api::error::ErrorKind>,
    user: &str,
    store_dir: &std::path::Path,
) -> Option<super::Fatal> {
    use matrix_sdk::ruma::api::error::ErrorKind;
    match kind? {
        ErrorKind::UnknownToken { .. } => Some(super::Fatal::needs_operator(
            format!(
                "the homeserver no longer accepts the access token of {user} (M_UNKNOWN_TOKEN: it was revoked, expired, or its device was signed out)"
            ),
            format!(
                "stop attune, move {} aside, and start it with ATTUNE_MATRIX_PASSWORD or a new ATTUNE_MATRIX_ACCESS_TOKEN set; it signs in as a new device",
                store_dir.display()
            ),
        )),
        ErrorKind::UserDeactivated => Some(super::Fatal::needs_operator(
            format!("the account {user} is deactivated"),
            "register a new account for attune and set matrix.user to it",
        )),
        _ => None,
    }
}

/// What every part of the adapter shares: the engine, the catalogue, the
/// client, and what the adapter remembers in memory (never anything a member
/// wrote).
pub(crate) struct Shared {
    engine: Engine,
    catalogue: Catalogue,
    client: Client,
    options: MatrixOptions,
    /// The thread of the circle that runs in a room: the event id of its
    /// invitation. Kept in `threads.json` beside the session.
    threads: Mutex<HashMap<String, String>>,
    /// Rooms that replaced others (room upgrades): room → the room it replaced.
    /// Kept in the ledger (`moved_rooms`); read at start.
    moved: Mutex<HashMap<String, String>>,
    /// Rooms a tombstone named, waiting for attune to be in them (memory only:
    /// the tombstone is read again after a restart).
    pending_moves: Mutex<HashMap<String, String>>,
    /// The reactions each of the bot's messages offers (event id → key → action),
    /// for messages sent or read since start; others are read from the event itself.
    offered: Mutex<HashMap<String, Vec<(String, String)>>>,
    /// Accepted reactions that can be taken back (more time): "room|reaction
    /// event" → who reacted and the action. A redaction of one by its sender
    /// withdraws the action. Memory only: after a restart the turn has moved on
    /// or keeps its time, and a redaction then changes nothing.
    withdrawable: Mutex<HashMap<String, (String, Action)>>,
    /// Rooms joined from an invite marked `is_direct`: a member's own DM with the bot.
    direct: Mutex<std::collections::HashSet<String>>,
    /// One DM room is created at a time.
    dm_lock: tokio::sync::Mutex<()>,
    /// One floor change at a time: a hold and a release racing (one from a
    /// command's answer, one from the outlet) could otherwise leave a room held
    /// with its record already dropped.
    floor_lock: tokio::sync::Mutex<()>,
    /// The newest floor change carried out per room (a late one is dropped).
    floor_order: super::FloorOrder,
    /// Members whose homeserver refused attune's invite to a private room, and
    /// when: not asked again for a while, so no empty rooms pile up.
    dm_refused: Mutex<HashMap<String, std::time::Instant>>,
    /// Support rooms attune made and stays in until someone it invited has
    /// joined (a room nobody is joined to can't be joined). It never reads
    /// them. Kept in `support_rooms.json`, so a restart still steps out.
    support_rooms: Mutex<std::collections::BTreeSet<String>>,
    /// Unreadable messages waiting for their keys.
    undecryptable_waiting: std::sync::atomic::AtomicUsize,
    /// When each member was last told that a message of theirs couldn't be read.
    undecryptable_told: Mutex<HashMap<String, std::time::Instant>>,
}

/// A running Matrix adapter.
pub struct Running {
    shared: Arc<Shared>,
    sync: tokio::task::JoinHandle<()>,
    outlet: tokio::task::JoinHandle<()>,
    stop_sync: Arc<Notify>,
    stop_outlet: Arc<Notify>,
    alarm: super::Alarm,
    link: super::Link,
}

impl Running {
    /// Whether the last sync with the homeserver succeeded (`/readyz`, metrics).
    pub fn link(&self) -> super::Link {
        self.link.clone()
    }

    /// Resolves when the homeserver has refused attune for good (its token
    /// revoked, its account deactivated); syncing has stopped by then.
    pub async fn fatal(&self) -> super::Fatal {
        self.alarm.raised().await
    }

    /// Who a member is in a community now, as the moderator page asks: the same
    /// facts as for a private command (the highest power level they hold in the
    /// community's rooms, and whether the configuration names them).
    pub fn vouch(&self) -> Arc<dyn super::Vouch> {
        Arc::new(Vouching(self.shared.clone()))
    }

    /// The device this session runs as (the same after every restart).
    pub fn device_id(&self) -> Option<String> {
        self.shared.client.device_id().map(ToString::to_string)
    }

    /// The bot's user id.
    pub fn user_id(&self) -> Option<String> {
        self.shared.client.user_id().map(ToString::to_string)
    }

    /// Stops syncing (an event being handled is finished first), lets the
    /// engine apply, commit and hand on what it holds, sends what is left in
    /// the outlet, and closes the database.
    pub async fn stop(self) {
        self.stop_sync.notify_one();
        let _ = self.sync.await;
        self.shared.engine.shutdown().await;
        self.stop_outlet.notify_one();
        let _ = self.outlet.await;
    }
}

struct Vouching(Arc<Shared>);

impl super::Vouch for Vouching {
    fn actor<'a>(&'a self, community: &'a crate::core::ids::CommunityId, member: &'a crate::core::ids::MemberRef) -> super::Vouched<'a> {
        Box::pin(async move {
            use crate::core::ids::Platform;
            if community.platform() != Platform::Matrix || member.platform() != Platform::Matrix {
                return None;
            }
            let user = matrix_sdk::ruma::OwnedUserId::try_from(member.user()).ok()?;
            let power = self.0.power_in(community, &user).await;
            let section = &self.0.options.section;
            let named = section.moderators.iter().any(|m| m == member.user());
            let host = section.hosts.iter().any(|m| m == member.user());
            let standing = crate::core::standing::Standing { manages: false, named, power, host };
            // The name chat knows them by, so a change on the page doesn't rename them.
            let display = self.0.display_in(community, &user).await.unwrap_or_else(|| events::localpart(member.user()).to_owned());
            Some(crate::core::input::Actor::from_facts(member.clone(), display, &standing))
        })
    }
}

/// Resets the account's cross-signing identity and signs attune's device with
/// it (`attune matrix-reset-identity`; attune must not be running). Returns the
/// device id.
pub async fn reset_identity(options: &MatrixOptions) -> Result<String, MatrixError> {
    session::reset_identity(options).await
}

/// Logs in (or restores the saved session), runs a first sync, and starts
/// serving. Returns once the bot is answering.
pub async fn start(
    engine: Engine,
    resumed: crate::engine::Resumed,
    outlet: mpsc::Receiver<Outgoing>,
    options: MatrixOptions,
) -> Result<Running, MatrixError> {
    let catalogue = command_catalogue(options.prefix()).map_err(|e| MatrixError::Catalogue(e.to_string()))?;
    let client = session::connect(&options).await?;
    let threads = session::load_threads(&options.store_dir);
    let options_dir = options.store_dir.clone();
    let moved = engine.ledger().moved_rooms().await.unwrap_or_else(|e| {
        tracing::error!(error = %e, "the rooms that replaced others could not be read; they are taken as new rooms");
        Vec::new()
    });
    let moved = moved.into_iter().collect();
    let shared = Arc::new(Shared {
        engine,
        catalogue,
        client,
        options,
        threads: Mutex::new(threads),
        moved: Mutex::new(moved),
        pending_moves: Mutex::new(HashMap::new()),
        offered: Mutex::new(HashMap::new()),
        withdrawable: Mutex::new(HashMap::new()),
        direct: Mutex::new(std::collections::HashSet::new()),
        dm_lock: tokio::sync::Mutex::new(()),
        floor_lock: tokio::sync::Mutex::new(()),
        floor_order: super::FloorOrder::default(),
        dm_refused: Mutex::new(HashMap::new()),
        support_rooms: Mutex::new(session::load_support_rooms(&options_dir)),
        undecryptable_waiting: std::sync::atomic::AtomicUsize::new(0),
        undecryptable_told: Mutex::new(HashMap::new()),
    });
    let stop_sync = Arc::new(Notify::new());
    // The outlet is served from the start: a community that hands something on while
    // the restart's floors and notes are asked for must never wait on it.
    let stop_outlet = Arc::new(Notify::new());
    let outlet = {
        let (shared, stop) = (shared.clone(), stop_outlet.clone());
        let deliver = move |out: Outgoing| {
            let shared = shared.clone();
            async move { shared.deliver(&out.community, out.delivery, None).await }
        };
        tokio::spawn(crate::platform::serve_outlet(outlet, stop, deliver))
    };
    // A floor still held after a crash is restored first, then the restart holds the
    // live turns' floors again; only then are the events that came while attune was
    // down answered, so they act on top. The "I'm back" notes are made after those
    // are applied: where someone's `!done` came while attune was down, "cara still
    // has the floor" would be untrue.
    shared.restore_held_floors().await;
    let s = &shared;
    resumed.floors(move |out| async move { s.deliver(&out.community, out.delivery, None).await }).await;
    // The first sync runs here, so a bad homeserver or token fails the start.
    let (first, touched) = match sync::first(&shared).await {
        Ok(first) => first,
        Err(e) => {
            outlet.abort();
            return Err(e);
        }
    };
    let touched = &touched;
    resumed
        .notes(move |mut out| async move {
            // In a room where something was answered meanwhile, the answers said where the
            // circle stands: the note says only that attune is back.
            let told = back_note(&out.delivery).is_some_and(|id| id != "recovered");
            if let crate::engine::Delivery::Say { channel, message } = &mut out.delivery
                && told
                && touched.contains(channel.raw())
            {
                *message = crate::core::effect::Message::info(crate::core::effect::Line::new("recovered"));
            }
            s.deliver(&out.community, out.delivery, None).await;
        })
        .await;
    // Support rooms someone joined while attune was down are left now.
    let waiting: Vec<String> = shared.support_rooms.lock().map(|r| r.iter().cloned().collect()).unwrap_or_default();
    for id in waiting {
        if let Some(room) = shared.room(&id) {
            shared.step_out_when_joined(&room).await;
        }
    }
    let alarm = super::Alarm::default();
    let link = super::Link::new(crate::core::ids::Platform::Matrix);
    // The first sync succeeded.
    link.set(true);
    let sync = tokio::spawn(sync::run(shared.clone(), first, stop_sync.clone(), alarm.clone(), link.clone()));
    Ok(Running { shared, sync, outlet, stop_sync, stop_outlet, alarm, link })
}

impl Shared {
    /// Whether the space (which attune must be in) lists the room as a child.
    async fn space_lists(&self, space: &str, child: &str) -> bool {
        use matrix_sdk::ruma::events::space::child::SpaceChildEventContent;
        let Some(space) = self.room(space) else { return false };
        let Ok(events) = space.get_state_events_static::<SpaceChildEventContent>().await else { return false };
        events.into_iter().filter_map(|raw| raw.deserialize().ok()).any(|e| match e {
            matrix_sdk::deserialized_responses::SyncOrStrippedState::Sync(s) => {
                s.state_key().as_str() == child && s.as_original().is_some_and(|o| !o.content.via.is_empty())
            }
            matrix_sdk::deserialized_responses::SyncOrStrippedState::Stripped(_) => false,
        })
    }

    /// The community a room belongs to: a configured group, the space that
    /// is its parent and lists it as a child, or the room itself.
    async fn community_of(&self, room: &matrix_sdk::Room) -> Option<CommunityId> {
        // A room that replaced another (an upgrade) is the community the first one was.
        let first = self.first_of(room.room_id().as_str());
        let id = first.as_str();
        if let Some(group) = self.options.section.communities.iter().find(|c| c.rooms.iter().any(|r| r == id)) {
            return CommunityId::parse(Platform::Matrix, &group.id).ok();
        }
        if self.options.section.communities.iter().any(|c| c.space.is_some()) {
            for parent in sync::space_parents(room).await {
                let Some(group) = self.options.section.communities.iter().find(|c| c.space.as_deref() == Some(parent.as_str())) else {
                    continue;
                };
                // Anyone can name a space as their room's parent; only the space's own
                // list of children (which its admins keep) makes the room part of it.
                // After an upgrade the space may list the new room, or still the first one.
                let current = room.room_id().as_str();
                if self.space_lists(&parent, id).await || (current != id && self.space_lists(&parent, current).await) {
                    return CommunityId::parse(Platform::Matrix, &group.id).ok();
                }
                tracing::debug!(room = id, "a room names a configured space as its parent, but the space doesn't list it");
            }
        }
        CommunityId::parse(Platform::Matrix, id).ok()
    }

    /// Whether attune takes invites (and follows upgrades) from people on `server`:
    /// `allowed_servers`, or attune's own server when none are listed.
    fn server_allowed(&self, server: &str) -> bool {
        if self.options.section.allowed_servers.is_empty() {
            self.own_user().is_some_and(|u| u.server_name().as_str() == server)
        } else {
            self.options.section.allowed_servers.iter().any(|s| s == server)
        }
    }

    fn own_user(&self) -> Option<&matrix_sdk::ruma::UserId> {
        self.client.user_id()
    }
}

/// matrix-sdk's log targets that are noise for an operator (see `platform::quiet_logs`):
/// - it warns on every sync that there is no server-side key backup (attune keeps its
///   keys in its own store and sets up no backup);
/// - it logs each failed HTTP request at ERROR, among them the 404 its own recovery
///   check gets for a secret-storage key attune never made; every failure attune acts
///   on, it logs itself.
pub const QUIET_LOGS: [(&str, &str); 2] = [("matrix_sdk_crypto::backups", "error"), ("matrix_sdk::http_client", "off")];

/// The catalogue id of an "I'm back" note the restart made (`recovered…`), if
/// this delivery is one.
fn back_note(delivery: &crate::engine::Delivery) -> Option<&'static str> {
    match delivery {
        crate::engine::Delivery::Say { message, .. } => message.lines.first().map(|l| l.id).filter(|id| id.starts_with("recovered")),
        _ => None,
    }
}

#[cfg(test)]
mod quiet_tests {
    #[test]
    fn noisy_library_targets_are_quieted_unless_the_level_names_them() {
        let log = |level: &str| crate::config::Log { level: level.into(), format: crate::config::LogFormat::Text };
        let quiet = log("warn").filter().map(|f| f.to_string()).unwrap_or_default();
        assert!(quiet.contains("matrix_sdk_crypto::backups=error") && quiet.contains("matrix_sdk::http_client=off"), "{quiet}");
        let asked = log("warn,matrix_sdk::http_client=debug").filter().map(|f| f.to_string()).unwrap_or_default();
        assert!(
            asked.contains("matrix_sdk::http_client=debug") && !asked.contains("http_client=off"),
            "the operator's own choice stays: {asked}"
        );
    }
}
