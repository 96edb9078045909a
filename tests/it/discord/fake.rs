//! A local Discord for tests: REST (hyper) and the gateway (a real websocket)
//! on 127.0.0.1, speaking Discord's JSON, which the real serenity client
//! reaches through `discord.api_base`. It records every request, answers
//! HELLO, IDENTIFY (READY, GUILD_CREATE), heartbeats and RESUME, injects
//! interactions and messages, and rejects what Discord rejects that matters
//! here: an interaction acknowledged after 3 s (10062) or twice (40060), a
//! DM to a member whose DMs are closed (50007), and any request it doesn't
//! know (recorded as unexpected, so a test fails on it).
//!
//! Its payloads are complete: serenity drops an event it can't parse, so
//! `payloads_parse` checks each one against serenity's own types.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response, StatusCode};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as Ws;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

pub const APP: u64 = 900_000_000_000_000_001;
pub const BOT: u64 = 900_000_000_000_000_002;
pub const GUILD: u64 = 900_000_000_000_000_003;
/// The role that carries Manage Server: a member with `manage_guild` holds it.
pub const MANAGERS: u64 = 900_000_000_000_000_077;
pub const CHANNEL: u64 = 900_000_000_000_000_004;
pub const OWNER: u64 = 900_000_000_000_000_005;
const T: &str = "2026-01-05T18:00:00.000000+00:00";
/// The privileged Message Content intent.
pub const MESSAGE_CONTENT: u64 = 1 << 15;
/// Manage Roles: what editing a channel's permission overwrites needs.
pub const MANAGE_ROLES: u64 = 0x1000_0000;
/// Manage Events: what making and changing scheduled events needs (or Create Events).
pub const MANAGE_EVENTS: u64 = 1 << 33;
/// The bot's permissions by default: everything attune uses (View Channels, Send
/// Messages, Embed Links, Attach Files, Send Messages in Threads, Create Private
/// Threads, Manage Roles, Mute Members, Manage Events).
pub const BOT_PERMISSIONS: u64 =
    0x400 | 0x800 | 0x4000 | 0x8000 | (1 << 38) | (1 << 36) | (1 << 35) | 0x1000_0000 | 0x40_0000 | MANAGE_EVENTS;
/// How long Discord waits for an interaction's first answer.
const WINDOW: Duration = Duration::from_secs(3);

/// A member of the fake guild.
#[derive(Clone, Debug)]
pub struct User {
    pub id: u64,
    pub name: String,
    pub nick: Option<String>,
    pub manage_guild: bool,
    /// The member's role ids in the guild.
    pub roles: Vec<u64>,
}

impl User {
    pub fn new(id: u64, name: &str) -> Self {
        Self { id, name: name.to_owned(), nick: None, manage_guild: false, roles: Vec::new() }
    }
    pub fn moderator(mut self) -> Self {
        self.manage_guild = true;
        self
    }
    pub fn role(mut self, role: u64) -> Self {
        self.roles.push(role);
        self
    }
    pub fn nick(mut self, nick: &str) -> Self {
        self.nick = Some(nick.to_owned());
        self
    }
    pub fn mention(&self) -> String {
        format!("<@{}>", self.id)
    }
    fn json(&self) -> Value {
        json!({
            "id": self.id.to_string(), "username": self.name, "discriminator": "0", "global_name": self.name,
            "avatar": null, "bot": false, "public_flags": 0, "avatar_decoration_data": null,
        })
    }
    fn member_json(&self) -> Value {
        // Manage Server is 0x20; a member without it gets View Channel, Send Messages and Use Application Commands.
        let permissions: u64 = if self.manage_guild { 0x20 | 0x400 | 0x800 | 0x8000_0000 } else { 0x400 | 0x800 | 0x8000_0000 };
        json!({
            "user": self.json(), "nick": self.nick, "avatar": null, "banner": null,
            "roles": self.roles.iter().copied().chain(self.manage_guild.then_some(MANAGERS)).map(|r| r.to_string()).collect::<Vec<_>>(), "joined_at": T,
            "premium_since": null, "deaf": false, "mute": false, "flags": 0, "pending": false,
            "permissions": permissions.to_string(), "communication_disabled_until": null,
        })
    }
}

/// One request the bot made.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub body: Value,
}

/// A message the bot posted: in a channel, a DM, a thread or as an interaction reply.
#[derive(Clone, Debug)]
pub struct Posted {
    pub id: u64,
    pub channel: u64,
    /// The user a DM went to, or for an interaction reply, the user who interacted.
    pub to: Option<u64>,
    pub ephemeral: bool,
    /// The JSON the bot sent (content, components, allowed_mentions, …).
    pub body: Value,
}

impl Posted {
    /// What a reader sees: the content, then each embed's title and description.
    pub fn content(&self) -> String {
        let mut text = self.body["content"].as_str().unwrap_or_default().to_owned();
        for e in self.body["embeds"].as_array().into_iter().flatten() {
            for field in ["title", "description"] {
                if let Some(t) = e[field].as_str() {
                    if !text.is_empty() {
                        text.push('\n');
                    }
                    text.push_str(t);
                }
            }
        }
        text
    }
    /// (label, custom_id) of every button.
    pub fn buttons(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for row in self.body["components"].as_array().into_iter().flatten() {
            for b in row["components"].as_array().into_iter().flatten() {
                out.push((b["label"].as_str().unwrap_or_default().to_owned(), b["custom_id"].as_str().unwrap_or_default().to_owned()));
            }
        }
        out
    }
    pub fn button(&self, custom_id_part: &str) -> Option<String> {
        self.buttons().into_iter().map(|(_, id)| id).find(|id| id.contains(custom_id_part))
    }
}

struct Interaction {
    user: u64,
    created: Instant,
    acked: Option<u64>,
    /// How long after it was sent the first answer came.
    ack_after: Option<Duration>,
    /// The deferred "thinking" reply, not yet replaced by a follow-up.
    thinking: bool,
    ephemeral: bool,
}

#[derive(Default)]
struct State {
    requests: Vec<Recorded>,
    unexpected: Vec<String>,
    posted: Vec<Posted>,
    /// token → interaction
    interactions: HashMap<String, Interaction>,
    dms_closed: HashSet<u64>,
    /// DM channel → user
    dm_channels: HashMap<u64, u64>,
    threads: HashMap<u64, Vec<u64>>,
    identified: u32,
    resumed: u32,
    /// How many shards `GET /gateway/bot` recommends; an IDENTIFY for fewer is closed
    /// with 4011, one for a shard outside them with 4010, as Discord does.
    shards: u32,
    /// Servers besides `GUILD` (each on the shard `(id >> 22) % total`), and the
    /// server of each channel that isn't `GUILD`'s.
    other_guilds: Vec<u64>,
    guild_of: HashMap<u64, u64>,
    /// How many more channel messages to answer with 429, and how many were.
    limit_next: u32,
    limited: u32,
    /// Every interaction dispatched, by id, so a test can replay one.
    dispatched: HashMap<u64, Value>,
    intents: u64,
    late_acks: u32,
    acks: Vec<Duration>,
    users: HashMap<u64, User>,
    /// Every guild channel and thread, by id.
    channels: HashMap<u64, Chan>,
    /// Missing permissions: overwrites and member edits are refused with 50013.
    forbidden: bool,
    /// Who is connected to which voice channel.
    voice: HashMap<u64, u64>,
    /// Who is server-muted (it stays with the member across voice channels).
    server_muted: HashSet<u64>,
    /// Every server mute change: (user, mute).
    mute_log: Vec<(u64, bool)>,
    /// Forms (modals) the bot opened: (user, the modal's JSON).
    modals: Vec<(u64, Value)>,
    /// Autocomplete answers (response type 8), by interaction token: the choices' values.
    choices: HashMap<String, Vec<String>>,
    /// The bot's permissions in the guild (`GET /users/@me/guilds`), and the
    /// application's flags (`GET /oauth2/applications/@me`); `None` for the defaults.
    bot_permissions: Option<u64>,
    app_flags: Option<u64>,
    /// Files members attached to commands: id → (filename, bytes), served at `/attachments/`.
    files: HashMap<u64, (String, Vec<u8>)>,
    /// Discord's answer to IDENTIFY and RESUME when it refuses them: a close frame
    /// with this code (4004 a bad token, 4011 sharding required, 4014 an intent not
    /// allowed, …), as the real gateway does.
    close_with: Option<u16>,
    /// Every close code sent.
    closes: Vec<u16>,
    /// The token was reset: every REST request is answered 401.
    token_revoked: bool,
    /// Scheduled events (Guild Scheduled Events) by id, as Discord returns them.
    events: std::collections::BTreeMap<u64, Value>,
    /// Who marked each event as interested.
    interested: HashMap<u64, Vec<u64>>,
    /// Discord's "now" for scheduled events (a start before it is refused); the
    /// tests' engine runs on a clock of its own.
    events_now: Option<jiff::Timestamp>,
}

/// A guild channel or thread of the fake guild.
#[derive(Clone, Debug)]
pub struct Chan {
    /// Discord's channel type: 0 text, 2 voice, 11 public thread, 12 private thread.
    pub kind: u8,
    pub name: String,
    pub parent: Option<u64>,
    /// Permission overwrites as Discord returns them (`id`, `type`, `allow`, `deny`).
    pub overwrites: Vec<Value>,
}

impl Chan {
    pub fn text(name: &str) -> Self {
        Self { kind: 0, name: name.to_owned(), parent: None, overwrites: Vec::new() }
    }
    pub fn voice(name: &str) -> Self {
        Self { kind: 2, name: name.to_owned(), parent: None, overwrites: Vec::new() }
    }
    fn is_thread(&self) -> bool {
        matches!(self.kind, 10..=12)
    }
}

pub struct Fake {
    pub base: String,
    gateway_url: String,
    state: Arc<Mutex<State>>,
    ids: Arc<AtomicU64>,
    gateway: Sessions,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    /// How many IDENTIFYs and command registrations `ready` has seen, so a restart
    /// waits for new ones.
    ready_seen: std::sync::atomic::AtomicU32,
    registered_seen: std::sync::atomic::AtomicU32,
}

impl Drop for Fake {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl Fake {
    pub async fn start() -> Self {
        let rest = TcpListener::bind("127.0.0.1:0").await.expect("bind REST");
        let ws = TcpListener::bind("127.0.0.1:0").await.expect("bind gateway");
        let base = format!("http://{}", rest.local_addr().expect("addr"));
        let gateway_url = format!("ws://{}", ws.local_addr().expect("addr"));
        let mut initial = State { shards: 1, ..State::default() };
        initial.channels.insert(CHANNEL, Chan::text("circles"));
        let state = Arc::new(Mutex::new(initial));
        let ids = Arc::new(AtomicU64::new(910_000_000_000_000_000));
        let gateway = Arc::new(Mutex::new(HashMap::new()));
        let mut fake = Self {
            base,
            gateway_url,
            state,
            ids,
            gateway,
            tasks: Vec::new(),
            ready_seen: std::sync::atomic::AtomicU32::new(0),
            registered_seen: std::sync::atomic::AtomicU32::new(0),
        };
        let rest_task = tokio::spawn(serve_rest(rest, fake.shared()));
        let ws_task = tokio::spawn(serve_gateway(ws, fake.shared()));
        fake.tasks = vec![rest_task, ws_task];
        fake
    }

    fn shared(&self) -> Shared {
        Shared { gateway_url: self.gateway_url.clone(), state: self.state.clone(), ids: self.ids.clone(), gateway: self.gateway.clone() }
    }

    pub fn add_user(&self, user: &User) {
        self.state.lock().unwrap().users.insert(user.id, user.clone());
    }

    /// The next `n` channel messages are answered 429 (rate limited).
    pub fn rate_limit(&self, n: u32) {
        self.state.lock().unwrap().limit_next = n;
    }

    /// The bot's guild-level permissions, as `GET /users/@me/guilds` reports them.
    pub fn set_bot_permissions(&self, bits: u64) {
        self.state.lock().unwrap().bot_permissions = Some(bits);
    }

    /// The application's flags (Message Content allowed is `1 << 18`).
    pub fn set_app_flags(&self, bits: u64) {
        self.state.lock().unwrap().app_flags = Some(bits);
    }

    /// From now on the gateway answers IDENTIFY and RESUME with a close frame
    /// carrying `code`, as Discord does when it refuses a session.
    pub fn close_on_identify(&self, code: u16) {
        self.state.lock().unwrap().close_with = Some(code);
    }

    /// The close codes the gateway has sent.
    pub fn closes(&self) -> Vec<u16> {
        self.state.lock().unwrap().closes.clone()
    }

    /// The token is reset in the Developer Portal while attune runs: REST answers
    /// 401, the open gateway connection ends, and RESUME or IDENTIFY is closed
    /// with 4004.
    pub fn revoke_token(&self) {
        {
            let mut s = self.state.lock().unwrap();
            s.token_revoked = true;
            s.close_with = Some(4004);
        }
        if !self.gateway.lock().unwrap().is_empty() {
            self.dispatch("DROP", json!({}));
        }
    }

    pub fn rate_limited(&self) -> u32 {
        self.state.lock().unwrap().limited
    }

    pub fn close_dms(&self, user: u64) {
        self.state.lock().unwrap().dms_closed.insert(user);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().unwrap().requests.clone()
    }

    /// How many requests the bot has made (cheaper than `requests().len()`).
    #[allow(dead_code, reason = "used by benches/discord_ack.rs, which includes this file")]
    pub fn request_count(&self) -> usize {
        self.state.lock().unwrap().requests.len()
    }

    pub fn unexpected(&self) -> Vec<String> {
        self.state.lock().unwrap().unexpected.clone()
    }

    pub fn posted(&self) -> Vec<Posted> {
        self.state.lock().unwrap().posted.clone()
    }

    pub fn late_acks(&self) -> u32 {
        self.state.lock().unwrap().late_acks
    }

    pub fn ack_times(&self) -> Vec<Duration> {
        self.state.lock().unwrap().acks.clone()
    }

    pub fn intents(&self) -> u64 {
        self.state.lock().unwrap().intents
    }

    /// The private threads the bot opened, with their members.
    pub fn threads(&self) -> HashMap<u64, Vec<u64>> {
        self.state.lock().unwrap().threads.clone()
    }

    /// Missing permissions from now on (or no longer): overwrites and mutes answer 50013.
    pub fn forbid(&self, on: bool) {
        self.state.lock().unwrap().forbidden = on;
    }

    /// A member connects to (or moves to) a voice channel.
    pub fn join_voice(&self, user: &User, channel: u64) {
        let state = {
            let mut s = self.state.lock().unwrap();
            s.voice.insert(user.id, channel);
            voice_state_json(user, Some(channel), s.server_muted.contains(&user.id))
        };
        if !self.gateway.lock().unwrap().is_empty() {
            self.dispatch("VOICE_STATE_UPDATE", state);
        }
    }

    /// A member disconnects from voice.
    pub fn leave_voice(&self, user: &User) {
        let state = {
            let mut s = self.state.lock().unwrap();
            s.voice.remove(&user.id);
            voice_state_json(user, None, s.server_muted.contains(&user.id))
        };
        self.dispatch("VOICE_STATE_UPDATE", state);
    }

    /// A moderator server-mutes a member (not attune).
    pub fn moderator_mute(&self, user: &User) {
        let state = {
            let mut s = self.state.lock().unwrap();
            s.server_muted.insert(user.id);
            voice_state_json(user, s.voice.get(&user.id).copied(), true)
        };
        if !self.gateway.lock().unwrap().is_empty() {
            self.dispatch("VOICE_STATE_UPDATE", state);
        }
    }

    pub fn is_muted(&self, user: &User) -> bool {
        self.state.lock().unwrap().server_muted.contains(&user.id)
    }

    /// Every server mute change the bot made: (user, mute).
    pub fn mute_log(&self) -> Vec<(u64, bool)> {
        self.state.lock().unwrap().mute_log.clone()
    }

    /// Adds a channel to the guild (before the bot connects, so GUILD_CREATE lists it).
    /// A moderator's own change to an overwrite (not the bot's, so no permission rule).
    pub fn moderator_sets_overwrite(&self, channel: u64, target: u64, kind: u64, allow: u64, deny: u64) {
        let mut s = self.state.lock().unwrap();
        if let Some(c) = s.channels.get_mut(&channel) {
            let id = target.to_string();
            c.overwrites.retain(|x| x["id"] != id.as_str());
            c.overwrites.push(json!({ "id": id, "type": kind, "allow": allow.to_string(), "deny": deny.to_string() }));
        }
    }

    pub fn add_channel(&self, id: u64, chan: Chan) {
        self.state.lock().unwrap().channels.insert(id, chan);
    }

    pub fn channel(&self, id: u64) -> Option<Chan> {
        self.state.lock().unwrap().channels.get(&id).cloned()
    }

    /// The public threads made from a message in `parent`, oldest first.
    pub fn public_threads(&self, parent: u64) -> Vec<u64> {
        let s = self.state.lock().unwrap();
        let mut ids: Vec<u64> = s.channels.iter().filter(|(_, c)| c.kind == 11 && c.parent == Some(parent)).map(|(id, _)| *id).collect();
        ids.sort_unstable();
        ids
    }

    /// Waits until the bot is connected to the gateway and has registered its commands
    /// (once per start of the adapter).
    pub async fn ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let before = self.ready_seen.load(Ordering::SeqCst);
        let registered_before = self.registered_seen.load(Ordering::SeqCst);
        loop {
            let connected = !self.gateway.lock().unwrap().is_empty();
            let (identified, registered) = {
                let s = self.state.lock().unwrap();
                let registered = s.requests.iter().filter(|r| r.method == "PUT" && r.path.ends_with("/commands")).count();
                (s.identified, u32::try_from(registered).unwrap_or(u32::MAX))
            };
            // Commands are registered once per start, however many shards identify.
            if connected && identified > before && registered > registered_before {
                self.ready_seen.store(identified, Ordering::SeqCst);
                self.registered_seen.store(registered, Ordering::SeqCst);
                return;
            }
            assert!(Instant::now() < deadline, "the bot never identified and registered its commands: {:?}", self.requests());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Drops the gateway connection without a close frame, and waits until the bot
    /// is back (by RESUME or a new IDENTIFY).
    pub async fn drop_gateway(&self) {
        let before = {
            let s = self.state.lock().unwrap();
            s.identified + s.resumed
        };
        self.dispatch("DROP", json!({}));
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let back = {
                let s = self.state.lock().unwrap();
                s.identified + s.resumed > before
            };
            if back && !self.gateway.lock().unwrap().is_empty() {
                return;
            }
            assert!(Instant::now() < deadline, "the bot never came back after the gateway dropped");
        }
    }

    /// How long interaction `id` waited for its first answer (`None` while it waits).
    #[allow(dead_code, reason = "used by benches/discord_ack.rs, which includes this file")]
    pub fn ack_after(&self, id: u64) -> Option<Duration> {
        self.state.lock().unwrap().interactions.get(&format!("token-{id}")).and_then(|i| i.ack_after)
    }

    /// Waits until the bot has acknowledged interaction `id`, then until it is quiet.
    pub async fn answered(&self, id: u64) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let token = format!("token-{id}");
        while self.state.lock().unwrap().interactions.get(&token).is_none_or(|i| i.acked.is_none()) {
            assert!(Instant::now() < deadline, "interaction {id} was never acknowledged");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.settle().await;
    }

    /// Waits until the bot has been quiet for a moment (every request it makes
    /// for an event is made within a few milliseconds of the last).
    pub async fn settle(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut last = (usize::MAX, Instant::now());
        loop {
            tokio::time::sleep(Duration::from_millis(25)).await;
            let n = self.state.lock().unwrap().requests.len();
            if n != last.0 {
                last = (n, Instant::now());
            } else if last.1.elapsed() > Duration::from_millis(250) {
                return;
            }
            assert!(Instant::now() < deadline, "the bot never settled");
        }
    }

    fn next_id(&self) -> u64 {
        self.ids.fetch_add(1, Ordering::SeqCst)
    }

    fn dispatch(&self, t: &str, d: Value) {
        if t == "DROP" {
            let sessions: Vec<_> = self.gateway.lock().unwrap().values().map(|(_, tx)| tx.clone()).collect();
            assert!(!sessions.is_empty(), "the bot is connected to the gateway");
            for tx in sessions {
                tx.send(json!({ "drop": true })).expect("the gateway session is open");
            }
            return;
        }
        let sender = route(&self.gateway, &d).expect("the bot is connected to the gateway on the server's shard");
        sender.send(json!({ "t": t, "d": d })).expect("the gateway session is open");
    }

    /// Discord recommends `n` shards from now on (`GET /gateway/bot`), and closes an
    /// IDENTIFY for fewer with 4011.
    pub fn set_shards(&self, n: u32) {
        self.state.lock().unwrap().shards = n;
    }

    /// Another server, `guild`, with one text channel `channel`, where the same users
    /// are members (before the bot connects, so its shard's GUILD_CREATE lists it).
    pub fn add_guild(&self, guild: u64, channel: u64) {
        let mut s = self.state.lock().unwrap();
        s.other_guilds.push(guild);
        s.channels.insert(channel, Chan::text("circles"));
        s.guild_of.insert(channel, guild);
    }

    /// Whether a server's events would reach the bot (it is connected on that server's shard).
    pub fn reaches(&self, guild: u64) -> bool {
        route(&self.gateway, &json!({ "guild_id": guild.to_string() })).is_some()
    }

    /// Every scheduled event in the guild, oldest first, as Discord returns them.
    pub fn events(&self) -> Vec<Value> {
        self.state.lock().unwrap().events.values().cloned().collect()
    }

    /// A moderator deletes a scheduled event in Discord.
    pub fn delete_event(&self, event: u64) {
        self.state.lock().unwrap().events.remove(&event);
    }

    /// A member marks a scheduled event as interested.
    pub fn mark_interested(&self, event: u64, user: u64) {
        self.state.lock().unwrap().interested.entry(event).or_default().push(user);
    }

    /// What Discord takes as now when it checks an event's start time.
    pub fn set_events_now(&self, now: jiff::Timestamp) {
        self.state.lock().unwrap().events_now = Some(now);
    }

    /// The shards the bot is connected on now, and how many shards it identified with.
    pub fn shards_connected(&self) -> (Vec<u32>, u32) {
        let sessions = self.gateway.lock().unwrap();
        let mut ids: Vec<u32> = sessions.keys().copied().collect();
        ids.sort_unstable();
        (ids, sessions.values().next().map_or(0, |(t, _)| *t))
    }

    /// An event's payload as it reads in the server `channel` belongs to: the fake
    /// builds payloads for `GUILD`, and another server's id takes its place.
    fn in_guild_of(&self, channel: u64, mut d: Value) -> Value {
        let guild = self.state.lock().unwrap().guild_of.get(&channel).copied();
        if let Some(g) = guild {
            regild(&mut d, &GUILD.to_string(), &g.to_string());
        }
        d
    }

    fn register_interaction(&self, token: &str, user: u64) {
        self.state.lock().unwrap().interactions.insert(
            token.to_owned(),
            Interaction { user, created: Instant::now(), acked: None, ack_after: None, thinking: false, ephemeral: false },
        );
    }

    /// A slash command in the guild's channel. `options` are Discord's option objects,
    /// e.g. `[{"name": "join", "type": 1, "options": []}]` for `/circle join`.
    pub fn slash(&self, user: &User, name: &str, options: Value) -> u64 {
        self.slash_in(CHANNEL, user, name, options)
    }

    /// Someone types an option of a slash command: an APPLICATION_COMMAND_AUTOCOMPLETE
    /// interaction (type 4) whose options mark the one being typed `"focused": true`.
    /// `channel` is where it is typed: the guild's channel or a thread (a circle's, say).
    pub fn autocomplete_in(&self, channel: u64, user: &User, name: &str, options: Value) -> u64 {
        let id = self.next_id();
        let token = format!("token-{id}");
        self.register_interaction(&token, user.id);
        let mut d = interaction(id, &token, 4, user, Some(channel));
        self.describe_channel(&mut d, channel);
        d["data"] = json!({ "id": (APP + 100).to_string(), "name": name, "type": 1, "options": options, "guild_id": GUILD.to_string() });
        self.dispatch("INTERACTION_CREATE", d);
        id
    }

    /// The choices the bot answered autocomplete `id` with (`None` before it answered).
    pub fn choices(&self, id: u64) -> Option<Vec<String>> {
        self.state.lock().unwrap().choices.get(&format!("token-{id}")).cloned()
    }

    /// A file a member attaches to a slash command (an attachment option, type 11,
    /// whose value is the returned id); the bot downloads it from the fake.
    pub fn attach(&self, filename: &str, bytes: &[u8]) -> u64 {
        let id = self.next_id();
        self.state.lock().unwrap().files.insert(id, (filename.to_owned(), bytes.to_vec()));
        id
    }

    /// A public thread in the guild's channel, as a circle's thread would be.
    pub fn public_thread(&self) -> u64 {
        let id = self.next_id();
        self.state
            .lock()
            .unwrap()
            .channels
            .insert(id, Chan { kind: 11, name: "a thread".into(), parent: Some(CHANNEL), overwrites: Vec::new() });
        id
    }

    /// A slash command in a given channel or thread of the guild.
    pub fn slash_in(&self, channel: u64, user: &User, name: &str, options: Value) -> u64 {
        let id = self.next_id();
        let token = format!("token-{id}");
        self.register_interaction(&token, user.id);
        let mut users = serde_json::Map::new();
        let mut members = serde_json::Map::new();
        let mut channels = serde_json::Map::new();
        {
            let s = self.state.lock().unwrap();
            collect_users(&options, &s.users, &mut users, &mut members);
            collect_channels(&options, &s.channels, &mut channels);
        }
        let mut data = json!({ "id": (APP + 100).to_string(), "name": name, "type": 1, "options": options, "guild_id": GUILD.to_string() });
        if !users.is_empty() || !channels.is_empty() {
            data["resolved"] = json!({ "users": users, "members": members, "channels": channels });
        }
        let attachments = attachments_in(&options, &self.state.lock().unwrap().files, &self.base);
        if !attachments.is_empty() {
            data["resolved"]["attachments"] = Value::Object(attachments);
        }
        let mut d = interaction(id, &token, 2, user, Some(channel));
        self.describe_channel(&mut d, channel);
        d["data"] = data;
        let d = self.in_guild_of(channel, d);
        self.state.lock().unwrap().dispatched.insert(id, d.clone());
        self.dispatch("INTERACTION_CREATE", d);
        id
    }

    /// A press of a button on a message the bot posted (in the guild, or in a DM).
    pub fn press(&self, user: &User, on: &Posted, custom_id: &str) -> u64 {
        let id = self.next_id();
        let token = format!("token-{id}");
        self.register_interaction(&token, user.id);
        let in_dm = self.state.lock().unwrap().dm_channels.contains_key(&on.channel);
        let mut d = interaction(id, &token, 3, user, (!in_dm).then_some(on.channel));
        self.describe_channel(&mut d, on.channel);
        if in_dm {
            d["channel_id"] = json!(on.channel.to_string());
            d["channel"] = json!({ "id": on.channel.to_string(), "type": 1 });
        }
        d["data"] = json!({ "custom_id": custom_id, "component_type": 2 });
        d["message"] = message_json(on.id, on.channel, &on.body, None);
        let d = self.in_guild_of(on.channel, d);
        self.state.lock().unwrap().dispatched.insert(id, d.clone());
        self.dispatch("INTERACTION_CREATE", d);
        id
    }

    /// The interaction's partial channel with the channel's real type (a thread's too).
    fn describe_channel(&self, d: &mut Value, channel: u64) {
        if let Some(c) = self.channel(channel) {
            d["channel"]["type"] = json!(c.kind);
            d["channel"]["name"] = json!(c.name);
            if let Some(p) = c.parent {
                d["channel"]["parent_id"] = json!(p.to_string());
            }
        }
    }

    /// Sends interaction `id` again, as a gateway may after a resume. It can be
    /// acknowledged again; what it asks for must not happen twice.
    pub fn replay(&self, id: u64) {
        let d = {
            let mut s = self.state.lock().unwrap();
            if let Some(i) = s.interactions.get_mut(&format!("token-{id}")) {
                i.acked = None;
                i.ack_after = None;
                i.created = Instant::now();
            }
            s.dispatched.get(&id).cloned().expect("a dispatched interaction")
        };
        self.dispatch("INTERACTION_CREATE", d);
    }

    /// A member writes to the bot in a DM (in the DM channel the bot opened with them,
    /// or a new one). DMs always carry their text, whatever the intents.
    pub fn say_dm(&self, user: &User, content: &str) -> u64 {
        let id = self.next_id();
        let channel = {
            let mut s = self.state.lock().unwrap();
            match s.dm_channels.iter().find(|(_, u)| **u == user.id).map(|(c, _)| *c) {
                Some(c) => c,
                None => {
                    let c = self.ids.fetch_add(1, Ordering::SeqCst);
                    s.dm_channels.insert(c, user.id);
                    c
                }
            }
        };
        self.dispatch("MESSAGE_CREATE", message_json(id, channel, &json!({ "content": content }), Some(user)));
        channel
    }

    /// The forms (modals) the bot opened for `user`, oldest first.
    pub fn modals(&self, user: &User) -> Vec<Value> {
        self.state.lock().unwrap().modals.iter().filter(|(u, _)| *u == user.id).map(|(_, m)| m.clone()).collect()
    }

    /// `user` submits a form in the guild's channel: a MODAL_SUBMIT interaction with
    /// each text input's value, as Discord sends it.
    pub fn submit_modal(&self, user: &User, custom_id: &str, values: &[(&str, &str)]) -> u64 {
        let id = self.next_id();
        let token = format!("token-{id}");
        self.register_interaction(&token, user.id);
        let mut d = interaction(id, &token, 5, user, Some(CHANNEL));
        d["data"] = modal_data(custom_id, values);
        self.state.lock().unwrap().dispatched.insert(id, d.clone());
        self.dispatch("INTERACTION_CREATE", d);
        id
    }

    /// Sends `frame` as it is on every gateway session: a payload serenity can't
    /// read, to see what becomes of it. Not something Discord sends on purpose.
    pub fn send_raw(&self, frame: &str) {
        let sessions: Vec<_> = self.gateway.lock().unwrap().values().map(|(_, tx)| tx.clone()).collect();
        assert!(!sessions.is_empty(), "the bot is connected to the gateway");
        for tx in sessions {
            tx.send(json!({ "raw": frame })).expect("the gateway session is open");
        }
    }

    /// The next event on every gateway session comes `n` sequence numbers later than
    /// it should, as if frames were lost on the way.
    pub fn skip_sequence(&self, n: u64) {
        let sessions: Vec<_> = self.gateway.lock().unwrap().values().map(|(_, tx)| tx.clone()).collect();
        assert!(!sessions.is_empty(), "the bot is connected to the gateway");
        for tx in sessions {
            tx.send(json!({ "gap": n })).expect("the gateway session is open");
        }
    }

    /// A member's message in a shape serenity can't read whole (its timestamp isn't
    /// one), so serenity hands it on as an unknown event.
    pub fn say_unreadable(&self, user: &User, content: &str) {
        let id = self.next_id();
        let mut m = self.in_guild_of(CHANNEL, guild_message(id, CHANNEL, user, content, self.intents(), None));
        m["timestamp"] = json!("not a time");
        self.dispatch("MESSAGE_CREATE", m);
    }

    /// A member writes in the guild's channel. As on Discord, a bot without the
    /// Message Content intent receives the message with its content blank.
    pub fn say(&self, user: &User, content: &str) {
        self.say_in(CHANNEL, user, content);
    }

    /// A member writes in a channel or thread of the guild; returns the message id.
    pub fn say_in(&self, channel: u64, user: &User, content: &str) -> u64 {
        let id = self.next_id();
        let m = self.in_guild_of(channel, guild_message(id, channel, user, content, self.intents(), None));
        self.dispatch("MESSAGE_CREATE", m);
        id
    }

    /// A member edits their message: Discord sends MESSAGE_UPDATE with the whole
    /// message and its `edited_timestamp`.
    pub fn edit_in(&self, channel: u64, id: u64, user: &User, content: &str) {
        let edited = format!("2026-01-05T18:{:02}:00.000000+00:00", self.next_id() % 60);
        self.dispatch("MESSAGE_UPDATE", guild_message(id, channel, user, content, self.intents(), Some(edited)));
    }

    /// Every payload the fake sends, for `payloads_parse`.
    pub fn samples(&self) -> Vec<(&'static str, Value)> {
        let u = User::new(OWNER, "owner").moderator();
        let mut slash = interaction(1, "t", 2, &u, Some(CHANNEL));
        slash["data"] = json!({ "id": "5", "name": "circle", "type": 1, "options": [{ "name": "open", "type": 1, "options": [{ "name": "title", "type": 3, "value": "x" }] }], "guild_id": GUILD.to_string() });
        let posted = message_json(
            7,
            CHANNEL,
            &json!({ "content": "hi", "components": [{ "type": 1, "components": [{ "type": 2, "style": 1, "label": "Join", "custom_id": "a1:1:join:1" }] }] }),
            None,
        );
        let mut press = interaction(2, "t2", 3, &u, Some(CHANNEL));
        press["data"] = json!({ "custom_id": "a1:1:join:1", "component_type": 2 });
        press["message"] = posted.clone();
        let mut typing = interaction(4, "t4", 4, &u, Some(CHANNEL));
        typing["data"] = json!({ "id": "5", "name": "deck", "type": 1, "options": [{ "name": "show", "type": 1, "options": [{ "name": "name", "type": 3, "value": "ou", "focused": true }] }], "guild_id": GUILD.to_string() });
        let mut form = interaction(3, "t3", 5, &u, Some(CHANNEL));
        form["data"] = modal_data("m1:suggest", &[("text", "a card")]);
        let mut said = message_json(8, CHANNEL, &json!({ "content": "hello" }), Some(&u));
        said["guild_id"] = json!(GUILD.to_string());
        vec![
            ("READY", ready(&self.gateway_url, &[GUILD], 0, 1)),
            ("GUILD_CREATE", {
                let mut voice = HashMap::new();
                voice.insert(u.id, CHANNEL + 50);
                guild(std::slice::from_ref(&u), &self.state.lock().unwrap().channels, &voice, &HashSet::new())
            }),
            ("VOICE_STATE_UPDATE", voice_state_json(&u, Some(CHANNEL + 50), true)),
            ("VOICE_STATE_UPDATE", voice_state_json(&u, None, false)),
            ("INTERACTION_CREATE", slash),
            ("INTERACTION_CREATE", press),
            ("INTERACTION_CREATE", form),
            ("INTERACTION_CREATE", typing),
            ("MESSAGE_CREATE", said),
            ("MESSAGE_UPDATE", guild_message(13, CHANNEL, &u, "edited", MESSAGE_CONTENT, Some(T.to_owned()))),
            ("MESSAGE_CREATE", message_json(11, 12, &json!({ "content": "in a DM" }), Some(&u))),
            ("message", posted),
            ("thread", thread_json(9, CHANNEL, "t")),
            ("thread", thread_json_of(9, 11, CHANNEL, "t")),
            ("thread", channel_json(11, &Chan::text("text"))),
            ("thread", channel_json(12, &Chan::voice("voice"))),
            ("dm", dm_channel_json(10, &u)),
        ]
    }
}

/// Users named by `user` options (type 6), for the interaction's `resolved` data.
fn collect_users(
    options: &Value,
    known: &HashMap<u64, User>,
    users: &mut serde_json::Map<String, Value>,
    members: &mut serde_json::Map<String, Value>,
) {
    for o in options.as_array().into_iter().flatten() {
        if o["type"] == 6
            && let Some(id) = o["value"].as_str().and_then(|v| v.parse::<u64>().ok())
        {
            let user = known.get(&id).cloned().unwrap_or_else(|| User::new(id, "someone"));
            users.insert(id.to_string(), user.json());
            let mut m = user.member_json();
            if let Some(o) = m.as_object_mut() {
                o.remove("user");
            }
            members.insert(id.to_string(), m);
        }
        collect_users(&o["options"], known, users, members);
    }
}

/// Channels named by `channel` options (type 7), for the interaction's `resolved` data.
fn collect_channels(options: &Value, known: &HashMap<u64, Chan>, channels: &mut serde_json::Map<String, Value>) {
    for o in options.as_array().into_iter().flatten() {
        if o["type"] == 7
            && let Some(id) = o["value"].as_str().and_then(|v| v.parse::<u64>().ok())
        {
            let c = known.get(&id).cloned().unwrap_or_else(|| Chan::text("somewhere"));
            channels
                .insert(id.to_string(), json!({ "id": id.to_string(), "name": c.name, "type": c.kind, "permissions": "2248473465835073" }));
        }
        collect_channels(&o["options"], known, channels);
    }
}

/// The attachments named by attachment options (type 11), as the interaction's `resolved` data.
fn attachments_in(options: &Value, files: &HashMap<u64, (String, Vec<u8>)>, base: &str) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    for o in options.as_array().into_iter().flatten() {
        if o["type"] == 11
            && let Some(id) = o["value"].as_str().and_then(|v| v.parse::<u64>().ok())
            && let Some((name, bytes)) = files.get(&id)
        {
            let url = format!("{base}/attachments/{id}/{name}");
            out.insert(
                id.to_string(),
                json!({ "id": id.to_string(), "filename": name, "size": bytes.len(), "url": url, "proxy_url": url,
                    "content_type": "application/toml", "ephemeral": true }),
            );
        }
        out.extend(attachments_in(&o["options"], files, base));
    }
    out
}

fn interaction(id: u64, token: &str, kind: u8, user: &User, channel: Option<u64>) -> Value {
    let mut d = json!({
        "id": id.to_string(), "application_id": APP.to_string(), "type": kind, "token": token, "version": 1,
        "locale": "en-US", "entitlements": [], "attachment_size_limit": 10_485_760,
        "app_permissions": "2248473465835073", "context": 0,
    });
    match channel {
        Some(ch) => {
            d["guild_id"] = json!(GUILD.to_string());
            d["guild_locale"] = json!("en-US");
            d["channel_id"] = json!(ch.to_string());
            d["channel"] = json!({ "id": ch.to_string(), "type": 0, "guild_id": GUILD.to_string(), "name": "circles", "permissions": "2248473465835073" });
            d["member"] = user.member_json();
            d["authorizing_integration_owners"] = json!({ "0": GUILD.to_string() });
        }
        None => {
            d["user"] = user.json();
            d["authorizing_integration_owners"] = json!({ "1": user.id.to_string() });
            d["context"] = json!(1);
        }
    }
    d
}

/// Every `from` string value in `v` becomes `to` (a server id, and its @everyone role's).
fn regild(v: &mut Value, from: &str, to: &str) {
    match v {
        Value::String(s) if s == from => *s = to.to_owned(),
        Value::Array(a) => a.iter_mut().for_each(|x| regild(x, from, to)),
        Value::Object(o) => o.values_mut().for_each(|x| regild(x, from, to)),
        _ => {}
    }
}

/// A MODAL_SUBMIT's data: one action row per text input (type 4), with its value.
fn modal_data(custom_id: &str, values: &[(&str, &str)]) -> Value {
    let rows: Vec<Value> =
        values.iter().map(|(id, v)| json!({ "type": 1, "components": [{ "type": 4, "custom_id": id, "value": v }] })).collect();
    json!({ "custom_id": custom_id, "components": rows })
}

fn bot_json() -> Value {
    json!({ "id": BOT.to_string(), "username": "attune", "discriminator": "0", "global_name": null, "avatar": null, "bot": true, "public_flags": 0 })
}

/// A message object as Discord returns it, from the JSON the bot sent.
/// A member's message in the guild, as MESSAGE_CREATE (and, edited, MESSAGE_UPDATE) carries it.
fn guild_message(id: u64, channel: u64, user: &User, content: &str, intents: u64, edited: Option<String>) -> Value {
    let content = if intents & MESSAGE_CONTENT == 0 { "" } else { content };
    let mut m = message_json(id, channel, &json!({ "content": content }), Some(user));
    m["guild_id"] = json!(GUILD.to_string());
    if let Some(at) = edited {
        m["edited_timestamp"] = json!(at);
    }
    let mut member = user.member_json();
    if let Some(o) = member.as_object_mut() {
        o.remove("user");
        o.remove("permissions");
    }
    m["member"] = member;
    m
}

fn message_json(id: u64, channel: u64, sent: &Value, author: Option<&User>) -> Value {
    json!({
        "id": id.to_string(), "channel_id": channel.to_string(), "author": author.map_or_else(bot_json, User::json),
        "content": sent["content"].as_str().unwrap_or_default(), "timestamp": T, "edited_timestamp": null, "tts": false,
        "mention_everyone": false, "mentions": [], "mention_roles": [], "mention_channels": [], "attachments": [],
        "embeds": sent.get("embeds").cloned().unwrap_or(json!([])), "reactions": [], "pinned": false, "type": 0,
        "flags": sent.get("flags").cloned().unwrap_or(json!(0)),
        "components": sent.get("components").cloned().unwrap_or(json!([])),
    })
}

fn thread_json(id: u64, parent: u64, name: &str) -> Value {
    thread_json_of(id, 12, parent, name)
}

fn thread_json_of(id: u64, kind: u8, parent: u64, name: &str) -> Value {
    json!({
        "id": id.to_string(), "guild_id": GUILD.to_string(), "type": kind, "name": name, "parent_id": parent.to_string(),
        "owner_id": BOT.to_string(), "last_message_id": null, "rate_limit_per_user": 0, "message_count": 0, "member_count": 1,
        "thread_metadata": { "archived": false, "auto_archive_duration": 1440, "archive_timestamp": T, "locked": false, "invitable": kind == 11, "create_timestamp": T },
        "flags": 0, "total_message_sent": 0,
    })
}

/// A guild channel (text or voice) or a thread, as `GET /channels/{id}` and GUILD_CREATE return it.
fn channel_json(id: u64, c: &Chan) -> Value {
    if c.is_thread() {
        return thread_json_of(id, c.kind, c.parent.unwrap_or(CHANNEL), &c.name);
    }
    let mut v = json!({ "id": id.to_string(), "type": c.kind, "guild_id": GUILD.to_string(), "position": 0,
        "permission_overwrites": c.overwrites, "name": c.name, "nsfw": false, "parent_id": null,
        "last_message_id": null, "rate_limit_per_user": 0, "flags": 0 });
    if c.kind == 2 {
        v["bitrate"] = json!(64_000);
        v["user_limit"] = json!(0);
        v["rtc_region"] = json!(null);
        v["video_quality_mode"] = json!(1);
    } else {
        v["topic"] = json!(null);
        v["last_pin_timestamp"] = json!(null);
    }
    v
}

fn voice_state_json(user: &User, channel: Option<u64>, mute: bool) -> Value {
    let mut member = user.member_json();
    if let Some(o) = member.as_object_mut() {
        o.remove("permissions");
        o.insert("mute".into(), json!(mute));
    }
    json!({
        "guild_id": GUILD.to_string(), "channel_id": channel.map(|c| c.to_string()), "user_id": user.id.to_string(),
        "member": member, "session_id": format!("voice-{}", user.id), "deaf": false, "mute": mute, "self_deaf": false,
        "self_mute": false, "self_video": false, "self_stream": false, "suppress": false, "request_to_speak_timestamp": null,
    })
}

fn dm_channel_json(id: u64, user: &User) -> Value {
    json!({ "id": id.to_string(), "type": 1, "last_message_id": null, "flags": 0, "recipients": [user.json()] })
}

fn ready(gateway_url: &str, guilds: &[u64], shard: u32, total: u32) -> Value {
    let guilds: Vec<Value> = guilds.iter().map(|g| json!({ "id": g.to_string(), "unavailable": true })).collect();
    json!({
        "v": 10, "user": { "id": BOT.to_string(), "username": "attune", "discriminator": "0", "global_name": null, "avatar": null,
            "bot": true, "verified": true, "mfa_enabled": false, "flags": 0, "email": null },
        "guilds": guilds,
        "session_id": format!("fake-session-{shard}-{total}"), "resume_gateway_url": gateway_url, "shard": [shard, total],
        "application": { "id": APP.to_string(), "flags": 0 }, "private_channels": [], "relationships": [], "user_settings": {},
        "presences": [], "geo_ordered_rtc_regions": [], "auth": {}, "_trace": [],
    })
}

fn guild(users: &[User], channels: &HashMap<u64, Chan>, voice: &HashMap<u64, u64>, muted: &HashSet<u64>) -> Value {
    let voice_states: Vec<Value> = users
        .iter()
        .filter_map(|u| {
            let mut v = voice_state_json(u, Some(*voice.get(&u.id)?), muted.contains(&u.id));
            v.as_object_mut()?.remove("guild_id");
            Some(v)
        })
        .collect();
    let everyone = json!({
        "id": GUILD.to_string(), "name": "@everyone", "color": 0, "colors": { "primary_color": 0, "secondary_color": null, "tertiary_color": null },
        "hoist": false, "icon": null, "unicode_emoji": null, "position": 0, "permissions": "2248473465835073", "managed": false,
        "mentionable": false, "flags": 0,
    });
    let mut members: Vec<Value> = users.iter().map(User::member_json).collect();
    let mut bot = json!({ "user": bot_json(), "nick": null, "avatar": null, "banner": null, "roles": [], "joined_at": T, "premium_since": null,
        "deaf": false, "mute": false, "flags": 0, "pending": false, "communication_disabled_until": null });
    if let Some(o) = bot.as_object_mut() {
        o.remove("permissions");
    }
    members.push(bot);
    json!({
        "id": GUILD.to_string(), "name": "Circle Commons", "icon": null, "icon_hash": null, "splash": null, "discovery_splash": null,
        "owner_id": OWNER.to_string(), "afk_channel_id": null, "afk_timeout": 300, "widget_enabled": false, "widget_channel_id": null,
        "verification_level": 1, "default_message_notifications": 1, "explicit_content_filter": 2, "roles": [everyone], "emojis": [],
        "features": [], "mfa_level": 0, "application_id": null, "system_channel_id": null, "system_channel_flags": 0,
        "rules_channel_id": null, "max_presences": null, "max_members": 500000, "vanity_url_code": null, "description": null,
        "banner": null, "premium_tier": 0, "premium_subscription_count": 0, "preferred_locale": "en-US",
        "public_updates_channel_id": null, "max_video_channel_users": 25, "max_stage_video_channel_users": 50,
        "approximate_member_count": null, "approximate_presence_count": null, "welcome_screen": null, "nsfw_level": 0,
        "stickers": [], "premium_progress_bar_enabled": false, "safety_alerts_channel_id": null, "incidents_data": null,
        "joined_at": T, "large": false, "unavailable": false, "member_count": members.len(), "voice_states": voice_states,
        "members": members,
        "channels": channels.iter().filter(|(_, c)| !c.is_thread()).map(|(id, c)| channel_json(*id, c)).collect::<Vec<_>>(),
        "threads": [], "presences": [], "stage_instances": [], "guild_scheduled_events": [], "soundboard_sounds": [],
        "embedded_activities": [], "activity_instances": [], "hub_type": null, "latest_onboarding_question_id": null,
        "home_header": null, "inventory_settings": null, "version": 1,
    })
}

#[derive(Clone)]
struct Shared {
    gateway_url: String,
    state: Arc<Mutex<State>>,
    ids: Arc<AtomicU64>,
    gateway: Sessions,
}

/// The open gateway sessions, by shard id, and the shard count they identified with.
type Sessions = Arc<Mutex<HashMap<u32, (u32, mpsc::UnboundedSender<Value>)>>>;

/// The shard a server's events go to: Discord's rule, `(guild_id >> 22) % total`.
fn shard_of(guild: u64, total: u32) -> u32 {
    u32::try_from((guild >> 22) % u64::from(total.max(1))).unwrap_or(0)
}

/// Where an event goes: the shard of the server it names, or shard 0 (DMs).
fn route(sessions: &Sessions, d: &Value) -> Option<mpsc::UnboundedSender<Value>> {
    let sessions = sessions.lock().unwrap();
    let guild = d["guild_id"].as_str().and_then(|g| g.parse::<u64>().ok());
    let total = sessions.values().next().map_or(1, |(t, _)| *t);
    let shard = guild.map_or(0, |g| shard_of(g, total));
    sessions.get(&shard).map(|(_, tx)| tx.clone())
}

type Reply = Response<Full<Bytes>>;

fn reply(status: StatusCode, body: Value) -> Reply {
    let mut r =
        Response::new(Full::new(Bytes::from(if status == StatusCode::NO_CONTENT { Vec::new() } else { body.to_string().into_bytes() })));
    *r.status_mut() = status;
    r.headers_mut().insert("content-type", hyper::header::HeaderValue::from_static("application/json"));
    r
}

fn error(status: StatusCode, code: u64, message: &str) -> Reply {
    reply(status, json!({ "code": code, "message": message }))
}

async fn serve_rest(listener: TcpListener, shared: Shared) {
    loop {
        let Ok((stream, _)) = listener.accept().await else { return };
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let shared = shared.clone();
                async move { Ok::<_, Infallible>(shared.handle(req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(hyper_util::rt::TokioIo::new(stream), service).await;
        });
    }
}

/// The JSON of a request body: plain JSON, or the `payload_json` part of a multipart upload.
fn body_json(raw: &[u8]) -> Value {
    if let Ok(v) = serde_json::from_slice(raw) {
        return v;
    }
    let text = String::from_utf8_lossy(raw);
    if let Some(i) = text.find("name=\"payload_json\"") {
        let after = &text[i..];
        if let Some(start) = after.find("\r\n\r\n") {
            let rest = &after[start + 4..];
            let end = rest.find("\r\n--").unwrap_or(rest.len());
            if let Ok(v) = serde_json::from_str(&rest[..end]) {
                return v;
            }
        }
    }
    Value::Null
}

impl Shared {
    fn next_id(&self) -> u64 {
        self.ids.fetch_add(1, Ordering::SeqCst)
    }

    async fn handle(&self, req: Request<hyper::body::Incoming>) -> Reply {
        let method = req.method().to_string();
        let path = req.uri().path().to_owned();
        let raw = req.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
        let body = body_json(&raw);
        self.state.lock().unwrap().requests.push(Recorded { method: method.clone(), path: path.clone(), body: body.clone() });
        if let Some(file) = path.strip_prefix("/attachments/") {
            // Discord's CDN: the file a member attached.
            let id = file.split('/').next().and_then(|i| i.parse::<u64>().ok());
            let bytes = id.and_then(|i| self.state.lock().unwrap().files.get(&i).map(|(_, b)| b.clone()));
            return match bytes {
                Some(b) => Response::new(Full::new(Bytes::from(b))),
                None => error(StatusCode::NOT_FOUND, 0, "404: Not Found"),
            };
        }
        let Some(route) = path.strip_prefix("/api/v10") else {
            return self.unexpected(&method, &path);
        };
        if self.state.lock().unwrap().token_revoked {
            return error(StatusCode::UNAUTHORIZED, 0, "401: Unauthorized");
        }
        let parts: Vec<&str> = route.trim_matches('/').split('/').collect();
        match (method.as_str(), parts.as_slice()) {
            ("GET", ["gateway"]) => reply(StatusCode::OK, json!({ "url": self.gateway_url })),
            ("GET", ["gateway", "bot"]) => reply(
                StatusCode::OK,
                json!({ "url": self.gateway_url, "shards": self.state.lock().unwrap().shards, "session_start_limit": { "total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1 } }),
            ),
            ("GET", ["users", "@me"]) => reply(StatusCode::OK, bot_json()),
            ("GET", ["users", "@me", "guilds"]) => {
                let permissions = self.state.lock().unwrap().bot_permissions.unwrap_or(BOT_PERMISSIONS);
                reply(
                    StatusCode::OK,
                    json!([{ "id": GUILD.to_string(), "name": "Circle Commons", "icon": null, "owner": false,
                        "permissions": permissions.to_string(), "features": [] }]),
                )
            }
            ("GET", ["oauth2", "applications", "@me"]) => reply(
                StatusCode::OK,
                json!({ "id": APP.to_string(), "name": "attune", "icon": null,
                "description": "", "bot_public": true, "bot_require_code_grant": false, "verify_key": "00",
                "flags": self.state.lock().unwrap().app_flags.unwrap_or(1 << 18),
                "owner": { "id": OWNER.to_string(), "username": "owner", "discriminator": "0", "avatar": null, "public_flags": 0 }, "team": null }),
            ),
            ("PUT", ["applications", _, "commands"]) | ("PUT", ["applications", _, "guilds", _, "commands"]) => {
                reply(StatusCode::OK, json!([]))
            }
            ("POST", ["interactions", _, token, "callback"]) => self.callback(token, &body),
            ("POST", ["webhooks", _, token]) => self.follow_up(token, body),
            ("DELETE", ["webhooks", _, token, "messages", "@original"]) => {
                let mut s = self.state.lock().unwrap();
                match s.interactions.get_mut(*token) {
                    Some(i) => {
                        i.thinking = false;
                        reply(StatusCode::NO_CONTENT, Value::Null)
                    }
                    None => error(StatusCode::NOT_FOUND, 10015, "Unknown Webhook"),
                }
            }
            ("POST", ["users", "@me", "channels"]) => {
                let Some(user) = body["recipient_id"].as_str().and_then(|u| u.parse::<u64>().ok()) else {
                    return error(StatusCode::BAD_REQUEST, 50035, "Invalid Form Body");
                };
                let id = self.next_id();
                let mut s = self.state.lock().unwrap();
                s.dm_channels.insert(id, user);
                let u = s.users.get(&user).cloned().unwrap_or_else(|| User::new(user, "someone"));
                reply(StatusCode::OK, dm_channel_json(id, &u))
            }
            ("POST", ["channels", channel, "messages"]) => {
                let Ok(channel) = channel.parse::<u64>() else { return self.unexpected(&method, &path) };
                let mut s = self.state.lock().unwrap();
                if s.limit_next > 0 {
                    s.limit_next -= 1;
                    s.limited += 1;
                    let mut r = reply(
                        StatusCode::TOO_MANY_REQUESTS,
                        json!({ "message": "You are being rate limited.", "retry_after": 0.1, "global": false }),
                    );
                    r.headers_mut().insert("retry-after", hyper::header::HeaderValue::from_static("1"));
                    return r;
                }
                let dm_user = s.dm_channels.get(&channel).copied();
                if dm_user.is_some_and(|u| s.dms_closed.contains(&u)) {
                    return error(StatusCode::FORBIDDEN, 50007, "Cannot send messages to this user");
                }
                let id = self.ids.fetch_add(1, Ordering::SeqCst);
                s.posted.push(Posted { id, channel, to: dm_user, ephemeral: false, body: body.clone() });
                reply(StatusCode::OK, message_json(id, channel, &body, None))
            }
            ("POST", ["channels", channel, "threads"]) => {
                let Ok(channel) = channel.parse::<u64>() else { return self.unexpected(&method, &path) };
                if body["type"] != 12 {
                    return self.unexpected(&method, &format!("{path} (a public thread)"));
                }
                let in_thread = {
                    let s = self.state.lock().unwrap();
                    s.channels.get(&channel).is_some_and(Chan::is_thread) || s.threads.contains_key(&channel)
                };
                if in_thread {
                    // Discord opens no thread inside a thread.
                    return error(StatusCode::BAD_REQUEST, 50024, "Cannot execute action on this channel type");
                }
                if self.state.lock().unwrap().forbidden {
                    // Without Create Private Threads.
                    return error(StatusCode::FORBIDDEN, 50013, "Missing Permissions");
                }
                let id = self.next_id();
                let name = body["name"].as_str().unwrap_or_default().to_owned();
                let mut s = self.state.lock().unwrap();
                s.threads.insert(id, Vec::new());
                s.channels.insert(id, Chan { kind: 12, name: name.clone(), parent: Some(channel), overwrites: Vec::new() });
                if let Some(g) = s.guild_of.get(&channel).copied() {
                    s.guild_of.insert(id, g);
                }
                reply(StatusCode::CREATED, thread_json(id, channel, &name))
            }
            ("POST", ["channels", channel, "messages", message, "threads"]) => {
                let (Ok(channel), Ok(message)) = (channel.parse::<u64>(), message.parse::<u64>()) else {
                    return self.unexpected(&method, &path);
                };
                let mut s = self.state.lock().unwrap();
                if !s.posted.iter().any(|p| p.id == message && p.channel == channel) {
                    return error(StatusCode::NOT_FOUND, 10008, "Unknown Message");
                }
                match s.channels.get(&channel) {
                    Some(c) if c.kind == 0 || c.kind == 5 => {}
                    Some(_) => return error(StatusCode::BAD_REQUEST, 50024, "Cannot execute action on this channel type"),
                    None => return error(StatusCode::NOT_FOUND, 10003, "Unknown Channel"),
                }
                let id = self.next_id();
                let name = body["name"].as_str().unwrap_or_default().to_owned();
                s.channels.insert(id, Chan { kind: 11, name: name.clone(), parent: Some(channel), overwrites: Vec::new() });
                if let Some(g) = s.guild_of.get(&channel).copied() {
                    s.guild_of.insert(id, g);
                }
                reply(StatusCode::CREATED, thread_json_of(id, 11, channel, &name))
            }
            ("PUT", ["channels", channel, "permissions", target]) => {
                let (Ok(channel), Ok(target)) = (channel.parse::<u64>(), target.parse::<u64>()) else {
                    return self.unexpected(&method, &path);
                };
                let mut s = self.state.lock().unwrap();
                if s.forbidden {
                    return error(StatusCode::FORBIDDEN, 50013, "Missing Permissions");
                }
                let bot = s.bot_permissions.unwrap_or(BOT_PERMISSIONS);
                let Some(c) = s.channels.get_mut(&channel) else { return error(StatusCode::NOT_FOUND, 10003, "Unknown Channel") };
                if c.is_thread() {
                    return error(StatusCode::BAD_REQUEST, 50024, "Cannot execute action on this channel type");
                }
                // Discord's rule (Edit Channel Permissions): Manage Roles is needed, and a bot may
                // allow or deny only permissions it has itself, unless the channel's own
                // overwrites give it Manage Roles.
                let num = |v: &Value| v.as_str().and_then(|x| x.parse::<u64>().ok()).or_else(|| v.as_u64()).unwrap_or(0);
                let manage_roles_here =
                    c.overwrites.iter().any(|o| o["id"] == BOT.to_string().as_str() && num(&o["allow"]) & MANAGE_ROLES != 0);
                if bot & MANAGE_ROLES == 0 || ((num(&body["allow"]) | num(&body["deny"])) & !bot != 0 && !manage_roles_here) {
                    return error(StatusCode::FORBIDDEN, 50013, "Missing Permissions");
                }
                let id = target.to_string();
                let o = json!({ "id": id, "type": body["type"], "allow": body["allow"], "deny": body["deny"] });
                c.overwrites.retain(|x| x["id"] != id.as_str());
                c.overwrites.push(o);
                reply(StatusCode::NO_CONTENT, Value::Null)
            }
            ("DELETE", ["channels", channel, "permissions", target]) => {
                let Ok(channel) = channel.parse::<u64>() else { return self.unexpected(&method, &path) };
                let mut s = self.state.lock().unwrap();
                if s.forbidden {
                    return error(StatusCode::FORBIDDEN, 50013, "Missing Permissions");
                }
                let Some(c) = s.channels.get_mut(&channel) else { return error(StatusCode::NOT_FOUND, 10003, "Unknown Channel") };
                c.overwrites.retain(|x| x["id"] != *target);
                reply(StatusCode::NO_CONTENT, Value::Null)
            }
            ("GET", ["guilds", _, "roles"]) => {
                // @everyone (the guild's own id) grants nothing special; the managers' role Manage Server.
                let role = |id: u64, name: &str, permissions: u64, position: u64| {
                    json!({
                        "id": id.to_string(), "name": name, "color": 0, "colors": { "primary_color": 0, "secondary_color": null, "tertiary_color": null },
                        "hoist": false, "icon": null, "unicode_emoji": null, "position": position,
                        "permissions": permissions.to_string(), "managed": false, "mentionable": false, "flags": 0,
                    })
                };
                reply(
                    StatusCode::OK,
                    json!([role(GUILD, "@everyone", 0x400 | 0x800 | 0x8000_0000, 0), role(MANAGERS, "managers", 0x20, 1)]),
                )
            }
            ("GET", ["guilds", _, "members", user]) => {
                let Ok(user) = user.parse::<u64>() else { return self.unexpected(&method, &path) };
                let s = self.state.lock().unwrap();
                let Some(u) = s.users.get(&user) else { return error(StatusCode::NOT_FOUND, 10007, "Unknown Member") };
                let mut member = u.member_json();
                member["mute"] = json!(s.server_muted.contains(&user));
                member["guild_id"] = json!(GUILD.to_string());
                reply(StatusCode::OK, member)
            }
            ("PATCH", ["guilds", _, "members", user]) => {
                let Ok(user) = user.parse::<u64>() else { return self.unexpected(&method, &path) };
                let (state, member) = {
                    let mut s = self.state.lock().unwrap();
                    if s.forbidden {
                        return error(StatusCode::FORBIDDEN, 50013, "Missing Permissions");
                    }
                    let Some(mute) = body["mute"].as_bool() else { return self.unexpected(&method, &format!("{path} (not a mute)")) };
                    let Some(u) = s.users.get(&user).cloned() else { return error(StatusCode::NOT_FOUND, 10007, "Unknown Member") };
                    let Some(channel) = s.voice.get(&user).copied() else {
                        return error(StatusCode::BAD_REQUEST, 40032, "Target user is not connected to voice.");
                    };
                    if mute {
                        s.server_muted.insert(user);
                    } else {
                        s.server_muted.remove(&user);
                    }
                    s.mute_log.push((user, mute));
                    let mut member = u.member_json();
                    member["mute"] = json!(mute);
                    member["guild_id"] = json!(GUILD.to_string());
                    (voice_state_json(&u, Some(channel), mute), member)
                };
                self.dispatch("VOICE_STATE_UPDATE", state);
                reply(StatusCode::OK, member)
            }
            ("POST", ["guilds", _, "scheduled-events"]) => self.create_event(&body),
            ("PATCH", ["guilds", _, "scheduled-events", id]) => {
                let Ok(id) = id.parse::<u64>() else { return self.unexpected(&method, &path) };
                self.edit_event(id, &body)
            }
            ("GET", ["guilds", _, "scheduled-events", id, "users"]) => {
                let Ok(id) = id.parse::<u64>() else { return self.unexpected(&method, &path) };
                let s = self.state.lock().unwrap();
                if !s.events.contains_key(&id) {
                    return error(StatusCode::NOT_FOUND, 10070, "Unknown Guild Scheduled Event");
                }
                let users: Vec<Value> = s
                    .interested
                    .get(&id)
                    .into_iter()
                    .flatten()
                    .filter_map(|u| s.users.get(u))
                    .map(|u| json!({ "guild_scheduled_event_id": id.to_string(), "user": u.json() }))
                    .collect();
                reply(StatusCode::OK, Value::Array(users))
            }
            ("GET", ["guilds", guild, "channels"]) => {
                if *guild != GUILD.to_string() {
                    return error(StatusCode::NOT_FOUND, 10004, "Unknown Guild");
                }
                // Guild channels only; threads are listed elsewhere (as Discord does).
                let s = self.state.lock().unwrap();
                let mut ids: Vec<&u64> = s.channels.iter().filter(|(_, c)| !c.is_thread()).map(|(id, _)| id).collect();
                ids.sort();
                reply(StatusCode::OK, Value::Array(ids.into_iter().map(|id| channel_json(*id, &s.channels[id])).collect()))
            }
            ("GET", ["channels", channel]) => {
                let Ok(channel) = channel.parse::<u64>() else { return self.unexpected(&method, &path) };
                let s = self.state.lock().unwrap();
                match s.channels.get(&channel) {
                    Some(c) => reply(StatusCode::OK, channel_json(channel, c)),
                    None => match s.dm_channels.get(&channel).and_then(|u| s.users.get(u)) {
                        Some(u) => reply(StatusCode::OK, dm_channel_json(channel, u)),
                        None => error(StatusCode::NOT_FOUND, 10003, "Unknown Channel"),
                    },
                }
            }
            ("PUT", ["channels", thread, "thread-members", user]) => {
                let (Ok(thread), Ok(user)) = (thread.parse::<u64>(), user.parse::<u64>()) else { return self.unexpected(&method, &path) };
                let mut s = self.state.lock().unwrap();
                match s.threads.get_mut(&thread) {
                    Some(members) => {
                        members.push(user);
                        reply(StatusCode::NO_CONTENT, Value::Null)
                    }
                    None => error(StatusCode::NOT_FOUND, 10003, "Unknown Channel"),
                }
            }
            _ => self.unexpected(&method, &path),
        }
    }

    /// Whether the bot may make and change events (Manage Events or Create Events).
    fn may_manage_events(&self) -> bool {
        let granted = self.state.lock().unwrap().bot_permissions.unwrap_or(BOT_PERMISSIONS);
        granted & (MANAGE_EVENTS | (1 << 44)) != 0
    }

    /// `POST /guilds/{id}/scheduled-events`, with Discord's rules: a name of 1 to 100
    /// characters, guild-only privacy, a start in the future; an "external" event
    /// (3) needs a location of 1 to 100 characters and an end after the start and
    /// no channel; a voice event (2) needs a voice channel and no location.
    fn create_event(&self, body: &Value) -> Reply {
        if !self.may_manage_events() {
            return error(StatusCode::FORBIDDEN, 50013, "Missing Permissions");
        }
        let invalid = |why: &str| error(StatusCode::BAD_REQUEST, 50035, &format!("Invalid Form Body ({why})"));
        let name = body["name"].as_str().unwrap_or_default();
        if name.is_empty() || name.chars().count() > 100 {
            return invalid("name");
        }
        if body["privacy_level"] != 2 {
            return invalid("privacy_level");
        }
        if body["description"].as_str().is_some_and(|d| d.chars().count() > 1000) {
            return invalid("description");
        }
        let time = |k: &str| body[k].as_str().and_then(|t| t.parse::<jiff::Timestamp>().ok());
        let Some(start) = time("scheduled_start_time") else { return invalid("scheduled_start_time") };
        if self.state.lock().unwrap().events_now.is_some_and(|now| start <= now) {
            return invalid("Cannot schedule event in the past.");
        }
        match body["entity_type"].as_u64() {
            Some(3) => {
                let location = body["entity_metadata"]["location"].as_str().unwrap_or_default();
                if location.is_empty() || location.chars().count() > 100 || !body["channel_id"].is_null() {
                    return invalid("entity_metadata.location");
                }
                if time("scheduled_end_time").is_none_or(|end| end <= start) {
                    return invalid("scheduled_end_time");
                }
            }
            Some(2) => {
                let channel = body["channel_id"].as_str().and_then(|c| c.parse::<u64>().ok());
                let voice = channel.and_then(|c| self.state.lock().unwrap().channels.get(&c).map(|c| c.kind == 2));
                if voice != Some(true) || !body["entity_metadata"].is_null() {
                    return invalid("channel_id");
                }
            }
            _ => return invalid("entity_type"),
        }
        let id = self.next_id();
        let event = json!({
            "id": id.to_string(), "guild_id": GUILD.to_string(), "channel_id": body["channel_id"], "creator_id": BOT.to_string(),
            "name": name, "description": body["description"], "scheduled_start_time": body["scheduled_start_time"],
            "scheduled_end_time": body["scheduled_end_time"], "privacy_level": 2, "status": 1, "entity_type": body["entity_type"],
            "entity_id": null, "entity_metadata": body.get("entity_metadata").cloned().unwrap_or(Value::Null),
            "creator": bot_json(), "user_count": 0, "image": null, "recurrence_rule": null,
        });
        self.state.lock().unwrap().events.insert(id, event.clone());
        reply(StatusCode::OK, event)
    }

    /// `PATCH /guilds/{id}/scheduled-events/{id}`: Discord allows a scheduled event
    /// (1) to become active (2) or cancelled (4), and an active one completed (3);
    /// nothing else, and a finished event can't change at all.
    fn edit_event(&self, id: u64, body: &Value) -> Reply {
        if !self.may_manage_events() {
            return error(StatusCode::FORBIDDEN, 50013, "Missing Permissions");
        }
        let mut s = self.state.lock().unwrap();
        let Some(event) = s.events.get_mut(&id) else { return error(StatusCode::NOT_FOUND, 10070, "Unknown Guild Scheduled Event") };
        let now = event["status"].as_u64().unwrap_or(0);
        if let Some(to) = body["status"].as_u64() {
            if !matches!((now, to), (1, 2 | 4) | (2, 3)) {
                return error(StatusCode::BAD_REQUEST, 180000, "Cannot update event status");
            }
            event["status"] = json!(to);
        }
        for key in ["scheduled_start_time", "scheduled_end_time", "name", "description"] {
            if let Some(v) = body.get(key).filter(|v| !v.is_null()) {
                if now != 1 && key == "scheduled_start_time" {
                    return error(StatusCode::BAD_REQUEST, 180000, "Cannot update the start of an event that began");
                }
                event[key] = v.clone();
            }
        }
        reply(StatusCode::OK, event.clone())
    }

    /// Sends a gateway event, when the bot is connected.
    fn dispatch(&self, t: &str, d: Value) {
        if let Some(sender) = route(&self.gateway, &d) {
            let _ = sender.send(json!({ "t": t, "d": d }));
        }
    }

    fn unexpected(&self, method: &str, path: &str) -> Reply {
        self.state.lock().unwrap().unexpected.push(format!("{method} {path}"));
        error(StatusCode::NOT_FOUND, 0, "404: Not Found (the fake doesn't know this request)")
    }

    fn callback(&self, token: &str, body: &Value) -> Reply {
        let mut s = self.state.lock().unwrap();
        let Some(i) = s.interactions.get_mut(token) else { return error(StatusCode::NOT_FOUND, 10062, "Unknown interaction") };
        let elapsed = i.created.elapsed();
        if elapsed > WINDOW {
            s.late_acks += 1;
            return error(StatusCode::NOT_FOUND, 10062, "Unknown interaction");
        }
        if i.acked.is_some() {
            return error(StatusCode::BAD_REQUEST, 40060, "Interaction has already been acknowledged.");
        }
        let kind = body["type"].as_u64().unwrap_or(0);
        i.acked = Some(kind);
        i.ack_after = Some(elapsed);
        i.thinking = kind == 5;
        i.ephemeral = body["data"]["flags"].as_u64().is_some_and(|f| f & 64 != 0);
        let user = i.user;
        s.acks.push(elapsed);
        if kind == 9 {
            s.modals.push((user, body["data"].clone()));
        }
        if kind == 8 {
            let values =
                body["data"]["choices"].as_array().into_iter().flatten().filter_map(|c| c["value"].as_str().map(str::to_owned)).collect();
            s.choices.insert(token.to_owned(), values);
        }
        if kind == 4 {
            let id = self.ids.fetch_add(1, Ordering::SeqCst);
            let ephemeral = body["data"]["flags"].as_u64().is_some_and(|f| f & 64 != 0);
            s.posted.push(Posted { id, channel: CHANNEL, to: Some(user), ephemeral, body: body["data"].clone() });
        }
        reply(StatusCode::NO_CONTENT, Value::Null)
    }

    fn follow_up(&self, token: &str, body: Value) -> Reply {
        let mut s = self.state.lock().unwrap();
        let Some(i) = s.interactions.get_mut(token) else { return error(StatusCode::NOT_FOUND, 10015, "Unknown Webhook") };
        // Discord takes follow-ups for 15 minutes after the interaction.
        if i.acked.is_none() || i.created.elapsed() > Duration::from_secs(15 * 60) {
            return error(StatusCode::NOT_FOUND, 10015, "Unknown Webhook");
        }
        // The first follow-up after a deferred reply replaces the "thinking" message and
        // keeps the deferral's ephemerality, whatever flags it carries.
        let ephemeral = if i.thinking { i.ephemeral } else { body["flags"].as_u64().is_some_and(|f| f & 64 != 0) };
        i.thinking = false;
        let user = i.user;
        let id = self.ids.fetch_add(1, Ordering::SeqCst);
        s.posted.push(Posted { id, channel: CHANNEL, to: Some(user), ephemeral, body: body.clone() });
        reply(StatusCode::OK, message_json(id, CHANNEL, &body, None))
    }
}

async fn serve_gateway(listener: TcpListener, shared: Shared) {
    loop {
        let Ok((stream, _)) = listener.accept().await else { return };
        let shared = shared.clone();
        tokio::spawn(async move {
            let Ok(ws) = tokio_tungstenite::accept_async(stream).await else { return };
            shared.session(ws).await;
        });
    }
}

impl Shared {
    async fn session(&self, ws: tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>) {
        let (events, queued) = mpsc::unbounded_channel::<Value>();
        self.run_session(ws, &events, queued).await;
        // Injecting an event while the bot is disconnected then fails loudly.
        let mut current = self.gateway.lock().unwrap();
        current.retain(|_, (_, c)| !c.same_channel(&events));
    }

    async fn run_session(
        &self,
        ws: tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>,
        events: &mpsc::UnboundedSender<Value>,
        mut queued: mpsc::UnboundedReceiver<Value>,
    ) {
        let (mut tx, mut rx) = ws.split();
        let mut seq: u64 = 0;
        let hello = json!({ "op": 10, "d": { "heartbeat_interval": 41_250 }, "s": null, "t": null });
        if tx.send(Ws::Text(hello.to_string())).await.is_err() {
            return;
        }
        loop {
            tokio::select! {
                frame = rx.next() => {
                    let Some(Ok(frame)) = frame else { break };
                    let text = match frame {
                        Ws::Text(t) => t,
                        Ws::Close(_) => break,
                        _ => continue,
                    };
                    let Ok(v) = serde_json::from_str::<Value>(&text) else { continue };
                    // The shard this session is for: IDENTIFY's `shard`, or the one RESUME's
                    // session id was given for.
                    let (shard, total) = match v["op"].as_u64() {
                        Some(2) => {
                            let n = |i: usize| v["d"]["shard"][i].as_u64().and_then(|x| u32::try_from(x).ok());
                            (n(0).unwrap_or(0), n(1).unwrap_or(1))
                        }
                        _ => {
                            let id = v["d"]["session_id"].as_str().unwrap_or_default();
                            let mut parts = id.rsplit('-').filter_map(|p| p.parse::<u32>().ok());
                            let total = parts.next().unwrap_or(1);
                            (parts.next().unwrap_or(0), total)
                        }
                    };
                    let refuse = {
                        let s = self.state.lock().unwrap();
                        // Discord: 4010 a shard outside the total, 4011 fewer shards than needed.
                        s.close_with.or((shard >= total).then_some(4010)).or((total < s.shards).then_some(4011))
                    };
                    if let (Some(code), Some(2 | 6)) = (refuse, v["op"].as_u64()) {
                        self.state.lock().unwrap().closes.push(code);
                        let frame = CloseFrame { code: CloseCode::from(code), reason: "refused by the fake Discord".into() };
                        let _ = tx.send(Ws::Close(Some(frame))).await;
                        return;
                    }
                    let out: Vec<Value> = match v["op"].as_u64() {
                        Some(1) => vec![json!({ "op": 11, "d": null, "s": null, "t": null })],
                        Some(2) => {
                            {
                                let mut s = self.state.lock().unwrap();
                                s.identified += 1;
                                s.intents = v["d"]["intents"].as_u64().unwrap_or(0);
                            }
                            self.gateway.lock().unwrap().insert(shard, (total, events.clone()));
                            // Each server goes to its own shard only.
                            let guilds: Vec<Value> = {
                                let s = self.state.lock().unwrap();
                                let users: Vec<User> = s.users.values().cloned().collect();
                                std::iter::once(GUILD)
                                    .chain(s.other_guilds.iter().copied())
                                    .filter(|g| shard_of(*g, total) == shard)
                                    .map(|g| {
                                        let channels: HashMap<u64, Chan> = s
                                            .channels
                                            .iter()
                                            .filter(|(id, _)| s.guild_of.get(id).copied().unwrap_or(GUILD) == g)
                                            .map(|(id, c)| (*id, c.clone()))
                                            .collect();
                                        let mut d = guild(&users, &channels, &s.voice, &s.server_muted);
                                        regild(&mut d, &GUILD.to_string(), &g.to_string());
                                        d
                                    })
                                    .collect()
                            };
                            let ids: Vec<u64> = guilds.iter().filter_map(|g| g["id"].as_str()?.parse().ok()).collect();
                            let mut out = vec![json!({ "t": "READY", "d": ready(&self.gateway_url, &ids, shard, total) })];
                            out.extend(guilds.into_iter().map(|d| json!({ "t": "GUILD_CREATE", "d": d })));
                            out
                        }
                        Some(6) => {
                            self.state.lock().unwrap().resumed += 1;
                            self.gateway.lock().unwrap().insert(shard, (total, events.clone()));
                            vec![json!({ "t": "RESUMED", "d": {} })]
                        }
                        _ => Vec::new(),
                    };
                    for mut o in out {
                        if o.get("op").is_none() {
                            seq += 1;
                            o["op"] = json!(0);
                            o["s"] = json!(seq);
                        }
                        if tx.send(Ws::Text(o.to_string())).await.is_err() {
                            return;
                        }
                    }
                }
                Some(event) = queued.recv() => {
                    if event.get("drop").is_some() {
                        // The connection just goes away (no close frame), as networks do.
                        return;
                    }
                    if let Some(n) = event.get("gap").and_then(Value::as_u64) {
                        // Sequence numbers skipped, as when frames are lost (`Fake::skip_sequence`).
                        seq += n;
                        continue;
                    }
                    if let Some(raw) = event.get("raw").and_then(Value::as_str) {
                        // A frame exactly as given, readable or not (`Fake::send_raw`).
                        if tx.send(Ws::Text(raw.to_owned())).await.is_err() {
                            return;
                        }
                        continue;
                    }
                    seq += 1;
                    let frame = json!({ "op": 0, "s": seq, "t": event["t"], "d": event["d"] });
                    if tx.send(Ws::Text(frame.to_string())).await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}
