//! The Discord adapter (serenity 0.12 and poise 0.7). It translates and
//! never decides: slash commands and button presses become [`Input`]s for the
//! engine, and the engine's deliveries become Discord messages.
//!
//! Its parts, in the order an event travels:
//! - `mod.rs` (this file): connecting (HTTP through `discord.api_base`, the
//!   gateway URL that server names), starting and stopping, and the loop
//!   that carries the engine's outlet to Discord;
//! - `commands.rs`: the poise slash commands; `typed.rs` builds each one's
//!   core `Command` from its options (no line of text in between);
//! - `events.rs`: interactions and messages → inputs, and the answer to an
//!   interaction (acknowledged at once, then followed up);
//! - `autocomplete.rs`: choices while an option is typed (decks, cards, templates, themes);
//! - `modals.rs`: the forms for adding, editing and suggesting cards;
//! - `buttons.rs`: an [`Action`](crate::core::effect::Action) ↔ a `custom_id`
//!   that carries its scope;
//! - `send.rs`: deliveries → Discord (ephemeral replies, channel messages,
//!   DMs, and the private-thread fallback when DMs are closed);
//! - `support.rs`: `support` opens a private thread with the member and the moderators;
//! - `render.rs`: a message → Markdown content and buttons, with
//!   `allowed_mentions` empty on everything attune sends.
//!
//! Only this folder names serenity or poise (`tests/it/architecture.rs`).

mod autocomplete;
pub mod bare;
mod buttons;
mod commands;
pub mod doctor;
mod events;
mod floor;
mod listing;
mod modals;
mod place;
mod render;
mod send;
mod support;
mod typed;
mod voice;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use poise::serenity_prelude as serenity;
use tokio::sync::{Notify, mpsc};

use crate::core::ids::MemberRef;
use crate::engine::{Engine, Outgoing};
use crate::text::Catalogue;

pub use buttons::{Press, decode as decode_button, encode as encode_button};

/// What the adapter needs from the configuration. The token is never logged.
#[derive(Clone)]
pub struct DiscordOptions {
    /// The bot token, from the environment only; never logged.
    pub token: String,
    /// The `[discord]` section of the configuration, as it is (`config::Discord`).
    pub section: crate::config::Discord,
    /// How long after a member's last slash command or button a private message
    /// that can't go by DM goes as an ephemeral follow-up to it instead (Discord
    /// accepts follow-ups for 15 minutes). Shorter in tests.
    pub reply_window: std::time::Duration,
}

/// Discord accepts follow-ups to an interaction for 15 minutes; a minute is left to spare.
pub const REPLY_WINDOW: std::time::Duration = std::time::Duration::from_secs(14 * 60);

/// The Discord libraries' log targets that can print what people wrote (see
/// `platform::quiet_logs`), each held to the level below which it does:
/// - serenity's gateway socket warns about a payload it can't read with the whole
///   payload, a member's message among them (`error` keeps its errors);
/// - its shard's spans (INFO) carry each event it handles, message and all, which a
///   line logged inside them repeats (a gap in the sequence numbers, say);
/// - its dispatcher logs an event it couldn't parse whole at DEBUG, content
///   included (a message in a shape serenity 0.12 doesn't know, say);
/// - its HTTP client's spans (INFO) carry each request, body and all, which
///   every line logged inside them repeats;
/// - tungstenite logs every frame it sends or receives at TRACE.
///
/// attune logs what it acts on itself, without the text.
pub const QUIET_LOGS: [(&str, &str); 6] = [
    ("serenity::gateway::ws", "error"),
    ("serenity::gateway::shard", "warn"),
    ("serenity::client::dispatch", "info"),
    ("serenity::http", "warn"),
    ("tungstenite", "debug"),
    ("tokio_tungstenite", "debug"),
];

impl DiscordOptions {
    /// The adapter's options: the token and the configuration's `[discord]` section.
    pub fn new(token: impl Into<String>, section: crate::config::Discord) -> Self {
        Self { token: token.into(), section, reply_window: REPLY_WINDOW }
    }
}

impl std::fmt::Debug for DiscordOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiscordOptions").field("token", &"[redacted]").field("section", &self.section).finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DiscordError {
    #[error("the Discord token is missing; set ATTUNE_DISCORD_TOKEN (it is read from the environment only)")]
    NoToken,
    #[error("the message catalogue could not be loaded: {0}")]
    Catalogue(String),
    #[error("could not start the Discord client: {0}")]
    Client(String),
    /// Discord refused attune, or could not be reached: what, the fix, and the exit code.
    #[error(transparent)]
    Fatal(#[from] super::Fatal),
}

impl From<DiscordError> for super::Fatal {
    /// Every way the adapter can fail to start, with what the operator can do.
    fn from(e: DiscordError) -> Self {
        let what = e.to_string();
        match e {
            DiscordError::Fatal(f) => f,
            DiscordError::NoToken => Self::needs_operator(what, "it comes from the Developer Portal → your application → Bot"),
            DiscordError::Catalogue(_) | DiscordError::Client(_) => Self {
                what,
                fix: "this is a fault in attune; please report it".into(),
                exit: crate::exit::Exit::Failure,
                start_again: false,
            },
        }
    }
}

/// The error type of poise commands and handlers. Errors are logged with
/// their kind by `on_error`; the member has already been answered kindly.
pub(crate) type Error = Box<dyn std::error::Error + Send + Sync>;

/// What every handler shares: the engine, the catalogue, the HTTP client and
/// what the adapter remembers in memory (never anything a member wrote).
pub(crate) struct Shared {
    engine: Engine,
    catalogue: Catalogue,
    http: Arc<serenity::Http>,
    moderator_roles: Vec<u64>,
    host_roles: Vec<u64>,
    /// The guild channel each member last used, where a private thread can be
    /// opened for them when their DMs are closed. Memory only.
    homes: Mutex<HashMap<(u64, MemberRef), u64>>,
    /// Each member's latest interaction token in each server (guild, user) and when
    /// it was answered, for an ephemeral follow-up when their DMs are closed: only
    /// ever for that server's community. Memory only; never logged.
    replies: Mutex<HashMap<(u64, u64), (String, std::time::Instant)>>,
    reply_window: std::time::Duration,
    /// DM channel per user id, so a DM costs one request after the first.
    dms: Mutex<HashMap<u64, u64>>,
    /// The private fallback thread per (user id, channel id).
    threads: Mutex<HashMap<(u64, u64), u64>>,
    /// Channel → the channel outside threads (a circle's thread → the channel it
    /// was made in; a channel → itself): a private fallback thread goes there,
    /// never into a thread. Memory only.
    circle_threads: Mutex<HashMap<u64, u64>>,
    /// Gateway events of a kind serenity knows that it could not read.
    unreadable: Arc<AtomicU64>,
    /// attune's own user id (it keeps the floor in a held channel, and is never muted).
    bot: Option<u64>,
    /// Who is in which voice channel, and the voice floors held (`voice.rs`).
    voice: Mutex<voice::Voice>,
    /// One voice-floor change at a time, so a mute and an unmute never cross.
    voice_turns: tokio::sync::Mutex<()>,
    /// One overwrite change at a time (a timer's turn end and a button's may meet).
    floor_turns: tokio::sync::Mutex<()>,
    /// The newest floor change carried out per channel (a late one is dropped).
    floor_order: super::FloorOrder,
    /// Who a support thread brings in (`support.rs`).
    support: support::Support,
    /// The shards this process runs, when it runs only some (`discord.shards`).
    shards: Option<crate::config::ShardRange>,
    /// One change to a circle's event at a time (`listing.rs`).
    listing_turns: tokio::sync::Mutex<()>,
}

/// A running Discord adapter.
pub struct Running {
    shared: Arc<Shared>,
    shard_manager: Arc<serenity::ShardManager>,
    client: tokio::task::JoinHandle<()>,
    /// Follows the shards' connection into `link`.
    follow: tokio::task::JoinHandle<()>,
    outlet: tokio::task::JoinHandle<()>,
    stop_outlet: Arc<Notify>,
    alarm: super::Alarm,
    link: super::Link,
}

/// How long a stop waits for serenity's client to end on its own.
const CLIENT_STOP: std::time::Duration = std::time::Duration::from_secs(10);

/// Who a member is in a server now, for the moderator page: their roles as
/// Discord gives them at this moment (a member who left is nobody), and Manage
/// Server worked out from those roles' permissions now (Administrator counts;
/// the owner always manages). Where the server's roles can't be read, Manage
/// Server is what Discord last said at one of their interactions.
struct Vouching(Arc<Shared>);

impl super::Vouch for Vouching {
    fn actor<'a>(&'a self, community: &'a crate::core::ids::CommunityId, member: &'a MemberRef) -> super::Vouched<'a> {
        Box::pin(async move {
            use crate::core::ids::Platform;
            if community.platform() != Platform::Discord || member.platform() != Platform::Discord {
                return None;
            }
            let guild = community.raw().parse::<u64>().ok().filter(|g| *g != 0)?;
            let user = member.user().parse::<u64>().ok().filter(|u| *u != 0)?;
            let found = self.0.http.get_member(serenity::GuildId::new(guild), serenity::UserId::new(user)).await;
            let m = match found {
                Ok(m) => m,
                Err(e) => {
                    tracing::info!(community = %community, error = %e, "the moderator page could not confirm a member's roles");
                    return None;
                }
            };
            let roles: Vec<u64> = m.roles.iter().map(|r| r.get()).collect();
            let manages = match self.0.http.get_guild_roles(serenity::GuildId::new(guild)).await {
                Ok(all) => {
                    // @everyone's id is the server's own.
                    let held = |id: u64| id == guild || roles.contains(&id);
                    self.0.support.owner_of(guild) == Some(user)
                        || all.iter().any(|r| held(r.id.get()) && (r.permissions.administrator() || r.permissions.manage_guild()))
                }
                Err(e) => {
                    tracing::info!(community = %community, error = %e, "the server's roles could not be read; Manage Server is as last seen");
                    self.0.support.manages(guild, user)
                }
            };
            let standing =
                crate::core::standing::Standing { manages, named: self.0.named(&roles), power: None, host: self.0.hosts(&roles) };
            let display = m.nick.clone().or_else(|| m.user.global_name.clone()).unwrap_or_else(|| m.user.name.clone());
            Some(crate::core::input::Actor::from_facts(member.clone(), display, &standing))
        })
    }
}

impl Running {
    /// Who a member is in a server now, as the moderator page asks (see `Vouching`).
    pub fn vouch(&self) -> Arc<dyn super::Vouch> {
        Arc::new(Vouching(self.shared.clone()))
    }

    /// Resolves when Discord has refused attune for good (a gateway close 4004,
    /// 4013 or 4014, which end serenity's client).
    pub async fn fatal(&self) -> super::Fatal {
        self.alarm.raised().await
    }

    /// Whether the gateway is connected, kept up to date (`/readyz`, metrics).
    pub fn link(&self) -> super::Link {
        self.link.clone()
    }

    /// Whether every shard is connected to the gateway now, as serenity sees it.
    /// (After a close serenity keeps retrying, like 4011, it may still say so.)
    pub async fn connected(&self) -> bool {
        all_connected(&self.shard_manager).await
    }

    /// How many gateway events of a known kind could not be read (serenity
    /// drops them quietly; attune logs each at `warn`). Tests require zero.
    pub fn unreadable_events(&self) -> u64 {
        self.shared.unreadable.load(Ordering::SeqCst)
    }

    /// Stops the gateway (no more events), lets the engine apply, commit and
    /// hand on what it holds, sends what is left in the outlet, and closes the
    /// database.
    pub async fn stop(self) {
        self.follow.abort();
        self.shard_manager.shutdown_all().await;
        // A stop that comes while shards are still queued to start finds no
        // runner to shut down, and the client would wait for them: give it a
        // moment, then end it. Nothing is lost: the engine commits below.
        let mut client = self.client;
        if tokio::time::timeout(CLIENT_STOP, &mut client).await.is_err() {
            tracing::warn!("the Discord client did not stop in time; ending it");
            client.abort();
            let _ = client.await;
        }
        self.shared.engine.shutdown().await;
        self.stop_outlet.notify_one();
        let _ = self.outlet.await;
    }
}

/// Connects to Discord and starts serving. Returns once the client is
/// started; commands are registered when the gateway says READY.
pub async fn start(
    engine: Engine,
    resumed: crate::engine::Resumed,
    outlet: mpsc::Receiver<Outgoing>,
    options: DiscordOptions,
) -> Result<Running, DiscordError> {
    if options.token.trim().is_empty() {
        return Err(DiscordError::NoToken);
    }
    let catalogue = Catalogue::english().map_err(|e| DiscordError::Catalogue(e.to_string()))?;
    let http = http_client(&options);
    // Voice states: who is in a circle's voice channel, for `hold` there (`voice.rs`).
    let mut intents = serenity::GatewayIntents::GUILDS
        | serenity::GatewayIntents::GUILD_MESSAGES
        | serenity::GatewayIntents::DIRECT_MESSAGES
        | serenity::GatewayIntents::GUILD_VOICE_STATES;
    if options.section.message_content {
        intents |= serenity::GatewayIntents::MESSAGE_CONTENT;
    }
    let unreadable = Arc::new(AtomicU64::new(0));
    let cell: Arc<OnceLock<Arc<Shared>>> = Arc::new(OnceLock::new());
    let framework = commands::framework(cell.clone(), options.section.dev_guild);
    // `new_with_http` keeps the proxy; calling `.token()` afterwards would build a new
    // Http and silently send everything to discord.com instead.
    let client = serenity::ClientBuilder::new_with_http(http, intents)
        .framework(framework)
        .raw_event_handler(events::Watch { unreadable: unreadable.clone(), shared: cell.clone() })
        .await
        .map_err(|e| DiscordError::Client(e.to_string()))?;
    // Fail fast on a refused token or an unreachable API rather than retry forever in
    // the gateway's reconnect loop; a service manager restarts attune.
    let bot = match client.http.get_current_user().await {
        Ok(me) => me.id.get(),
        Err(e) => return Err(DiscordError::Fatal(refused_at_start(&e, &options.section.api_base))),
    };
    let shared = Arc::new(Shared {
        engine,
        catalogue,
        http: client.http.clone(),
        moderator_roles: options.section.moderator_roles.clone(),
        host_roles: options.section.host_roles.clone(),
        homes: Mutex::new(HashMap::new()),
        replies: Mutex::new(HashMap::new()),
        reply_window: options.reply_window,
        dms: Mutex::new(HashMap::new()),
        threads: Mutex::new(HashMap::new()),
        circle_threads: Mutex::new(HashMap::new()),
        unreadable,
        bot: Some(bot),
        voice: Mutex::new(voice::Voice::default()),
        voice_turns: tokio::sync::Mutex::new(()),
        floor_turns: tokio::sync::Mutex::new(()),
        floor_order: super::FloorOrder::default(),
        support: support::Support::new(options.section.support_channel, options.section.support_members.clone()),
        shards: options.section.shard_range(),
        listing_turns: tokio::sync::Mutex::new(()),
    });
    if cell.set(shared.clone()).is_err() {
        return Err(DiscordError::Client("the adapter was started twice".into()));
    }
    let shard_manager = client.shard_manager.clone();
    let alarm = super::Alarm::default();
    let shards = options.section.shard_range();
    if let Some(r) = shards {
        tracing::info!(first = r.first, last = r.last, total = r.total, "running a range of Discord's shards");
    }
    let client = tokio::spawn(run_client(client, shards, alarm.clone()));
    let link = super::Link::new(crate::core::ids::Platform::Discord);
    let follow = {
        let (manager, link) = (shard_manager.clone(), link.clone());
        tokio::spawn(async move {
            loop {
                link.set(all_connected(&manager).await);
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
        })
    };
    let stop_outlet = Arc::new(Notify::new());
    let outlet = {
        let (shared, stop) = (shared.clone(), stop_outlet.clone());
        tokio::spawn(async move {
            // Whatever the floor still held when attune stopped (a crash, say) is put
            // back first; the restart's floor deliveries then hold it again.
            shared.restore_held_floors().await;
            // What the restart tells live circles goes out first (the timers wait for it),
            // while the outlet is served: a community that hands something on meanwhile
            // must never wait on an outlet nobody drains while its notes are asked for.
            let s = shared.clone();
            let announcing = resumed.announce(move |out| {
                let s = s.clone();
                async move { s.deliver(&out.community, out.delivery).await }
            });
            let deliver = move |out: Outgoing| {
                let shared = shared.clone();
                async move { shared.deliver(&out.community, out.delivery).await }
            };
            tokio::join!(announcing, crate::platform::serve_outlet(outlet, stop, deliver));
        })
    };
    Ok(Running { shared, shard_manager, client, follow, outlet, stop_outlet, alarm, link })
}

/// Whether a token has a bot token's shape (three non-empty parts separated by dots).
/// Says nothing about whether Discord accepts it.
pub fn token_shape_ok(token: &str) -> bool {
    let token = token.trim();
    !token.is_empty() && serenity::validate_token(token).is_ok()
}

/// The fix for a token Discord refused.
const TOKEN_FIX: &str = "set ATTUNE_DISCORD_TOKEN to the bot's current token (Developer Portal → your application → Bot → Reset Token)";

/// Why the first request at start failed: a refused token needs the operator
/// (exit 78); anything else may mend on a fresh start (exit 75).
fn refused_at_start(e: &serenity::Error, base: &str) -> super::Fatal {
    let status = match e {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(r)) => Some(r.status_code.as_u16()),
        _ => None,
    };
    match status {
        Some(401) => super::Fatal::needs_operator("Discord refused the bot token", TOKEN_FIX),
        Some(code) => super::Fatal::restart(
            format!("Discord at {base} answered {code} when attune asked who it is"),
            "attune will try again when it is started again",
        ),
        None => super::Fatal::restart(
            format!("Discord at {base} could not be reached ({e})"),
            "check the network and discord.api_base; attune will try again when it is started again",
        ),
    }
}

/// What a gateway error that ends the client means for the operator. serenity
/// ends the client for 4004, 4013 and 4014 only; it retries every other close.
fn gateway_refusal(e: &serenity::GatewayError) -> super::Fatal {
    use serenity::GatewayError as G;
    match e {
        G::InvalidAuthentication => super::Fatal::needs_operator("Discord refused the bot token (gateway close 4004)", TOKEN_FIX),
        G::DisallowedGatewayIntents => super::Fatal::needs_operator(
            "Discord refused the Message Content intent (gateway close 4014)",
            "turn on Message Content Intent in the Developer Portal (your application → Bot → Privileged Gateway Intents), or set discord.message_content = false",
        ),
        G::InvalidGatewayIntents => super::Fatal::needs_operator(
            "Discord refused the intents attune asked for (gateway close 4013)",
            "this version of attune asks for intents Discord no longer knows; upgrade attune",
        ),
        other => super::Fatal::restart(format!("the Discord gateway stopped ({other})"), "start attune again"),
    }
}

async fn run_client(mut client: serenity::Client, shards: Option<crate::config::ShardRange>, alarm: super::Alarm) {
    let started = match shards {
        // serenity's range includes its end: `first..last` runs shards first to last.
        Some(r) => client.start_shard_range(r.first..r.last, r.total).await,
        // As many shards as Discord recommends for the bot (`GET /gateway/bot`): one
        // shard is refused (4011) past 2,500 servers.
        None => client.start_autosharded().await,
    };
    match started {
        Err(serenity::Error::Gateway(e)) => alarm.raise(gateway_refusal(&e)),
        Err(e) => alarm.raise(super::Fatal::restart(format!("the Discord client stopped ({e})"), "start attune again")),
        // Only `stop` shuts the shards down, and then nothing waits for the alarm any more.
        Ok(()) => alarm.raise(super::Fatal::restart("the Discord client stopped", "start attune again")),
    }
}

/// Whether every shard the manager runs is connected (none yet: not connected).
async fn all_connected(manager: &serenity::ShardManager) -> bool {
    let runners = manager.runners.lock().await;
    !runners.is_empty() && runners.values().all(|r| r.stage == serenity::ConnectionStage::Connected)
}

/// The HTTP client. With Discord's own base, serenity's rate limiter handles 429s.
/// Through another base (a shared rate-limit proxy, a test server) serenity
/// ignores the proxy unless its own rate limiter is off, so it is turned off and
/// the proxy is trusted with rate limits.
fn http_client(options: &DiscordOptions) -> serenity::Http {
    let base = options.section.api_base.trim_end_matches('/');
    let builder = serenity::HttpBuilder::new(&options.token).default_allowed_mentions(serenity::CreateAllowedMentions::new());
    if base == crate::config::DISCORD_API { builder.build() } else { builder.proxy(base).ratelimiter_disabled(true).build() }
}

#[cfg(test)]
mod quiet_tests {
    fn filter(level: &str) -> String {
        let log = crate::config::Log { level: level.into(), format: crate::config::LogFormat::Text };
        log.filter().map(|f| f.to_string()).unwrap_or_default()
    }

    #[test]
    fn targets_that_could_print_what_people_wrote_are_held_back_but_never_made_louder() {
        let traced = filter("trace");
        for held in ["serenity::gateway::ws=error", "serenity::gateway::shard=warn", "serenity::client::dispatch=info", "tungstenite=debug"]
        {
            assert!(traced.contains(held), "{held} at trace: {traced}");
        }
        // At the default level, a quiet level above `warn` would show more than asked for.
        let default = filter("warn");
        for held in ["serenity::gateway::ws=error", "serenity::client::dispatch=warn", "serenity::http=warn", "tungstenite=warn"] {
            assert!(default.contains(held), "{held} at warn: {default}");
        }
        // Levels in any case, as loading accepts them.
        for written in ["WARN", "warn,attune=Info"] {
            let held = filter(written);
            assert!(held.contains("serenity::gateway::ws=error") && held.contains("tungstenite=warn"), "{written}: {held}");
        }
        let narrow = filter("attune=debug");
        assert!(narrow.contains("tungstenite=off") && narrow.contains("serenity::gateway::ws=off"), "nothing asked for: {narrow}");
        let parent = filter("warn,serenity=error");
        assert!(parent.contains("serenity::client::dispatch=error"), "the operator's stricter parent holds: {parent}");
        let named = filter("warn,serenity::gateway::ws=debug");
        assert!(named.contains("serenity::gateway::ws=debug") && !named.contains("ws=error"), "named, it is the operator's: {named}");
    }
}
