//! Typed configuration: built-in defaults, then `config/attune.toml` (or
//! `--config`), then `ATTUNE_SECTION_KEY` environment variables. Validated
//! once at start-up; secrets come only from the environment.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::engine::Defaults;

/// A secret from the environment. Its `Debug` never shows the value.
#[derive(Clone, Default)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "[unset]" } else { "[redacted]" })
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub database: Database,
    pub community: CommunityDefaults,
    pub content: Content,
    pub log: Log,
    pub discord: Discord,
    pub matrix: Matrix,
    pub server: Server,
    #[serde(skip)]
    pub discord_token: Secret,
    #[serde(skip)]
    pub matrix_password: Secret,
    #[serde(skip)]
    pub matrix_access_token: Secret,
    #[serde(skip)]
    pub matrix_store_passphrase: Secret,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Database {
    pub path: PathBuf,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CommunityDefaults {
    pub timezone: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Content {
    pub decks_dir: Option<PathBuf>,
    pub resources: Option<PathBuf>,
    pub phrases: Option<PathBuf>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Log {
    pub level: String,
    /// `text` (the default, for people) or `json` (one object per line, for log collectors).
    pub format: LogFormat,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// The operations listener (`/metrics`, `/healthz`, `/readyz`); off unless `listen` is set.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Server {
    /// An address and port, like `127.0.0.1:9464`. It serves no secrets, but keep it
    /// off the open internet all the same.
    pub listen: Option<String>,
    /// The moderator page's address as moderators reach it (`https://attune.example.org`,
    /// or `http://127.0.0.1:9464` on this machine). Setting it turns the page on, on the
    /// same listener; `https://` (TLS at a reverse proxy) makes its cookie Secure.
    pub public_url: Option<String>,
}

impl Server {
    /// The address to listen on, if one is set (validated at load).
    pub fn listen_addr(&self) -> Option<std::net::SocketAddr> {
        self.listen.as_deref().and_then(|l| l.trim().parse().ok())
    }

    /// The moderator page's public address, if the page is on (validated at load).
    pub fn page_url(&self) -> Option<&str> {
        self.public_url.as_deref().map(|u| u.trim().trim_end_matches('/')).filter(|u| !u.is_empty())
    }
}

/// The Discord adapter's settings. The token comes only from `ATTUNE_DISCORD_TOKEN`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Discord {
    pub enabled: bool,
    /// The REST base URL. Discord's own by default; an HTTP proxy (such as a shared
    /// rate-limit proxy) or a test server otherwise. The gateway URL is whatever this
    /// server's `GET /api/v10/gateway` answers.
    pub api_base: String,
    /// A guild (server) id: commands are registered there only, and show up at once.
    /// Without it they are registered globally.
    pub dev_guild: Option<u64>,
    /// Role ids whose members are moderators, besides those with Manage Server.
    pub moderator_roles: Vec<u64>,
    /// Role ids whose members are hosts: where a community's `who-opens` setting is
    /// `hosts`, they (and moderators) may open circles.
    pub host_roles: Vec<u64>,
    /// Ask for the privileged Message Content intent, which crisis signposting and
    /// floor nudges in circle channels need. Turn it off if the application isn't
    /// allowed it: circles still run by slash commands and buttons.
    pub message_content: bool,
    /// The channel where `support` opens a private thread with the member and the
    /// moderators. Members must be able to see it (they needn't be able to post).
    /// Without it, the thread opens in the channel the member last used attune in.
    pub support_channel: Option<u64>,
    /// User ids added to every support thread (moderators on call), besides the
    /// server's owner and the moderators attune has seen use it.
    pub support_members: Vec<u64>,
    /// Which gateway shards this process runs: `"FIRST-LAST/TOTAL"` (both ends
    /// included), so several processes can share one bot. Unset: every shard, as
    /// many as Discord recommends.
    pub shards: Option<String>,
}

/// A range of gateway shards out of a total (`discord.shards`): this process
/// receives the servers whose `(guild_id >> 22) % total` is in `first..=last`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShardRange {
    pub first: u32,
    pub last: u32,
    pub total: u32,
}

/// More shards than any bot needs (Discord asks for one per 1,000 to 2,500 servers):
/// a larger number is a typo, and each shard is a connection.
pub const MAX_SHARDS: u32 = 4096;

impl ShardRange {
    /// Reads `"FIRST-LAST/TOTAL"` (`"0-3/8"`), or `"N/TOTAL"` for one shard.
    pub fn parse(text: &str) -> Result<Self, String> {
        let shape = || format!("{text:?} is not a shard range; write FIRST-LAST/TOTAL, like \"0-1/4\" (counting from 0)");
        let (range, total) = text.trim().split_once('/').ok_or_else(shape)?;
        let (first, last) = range.split_once('-').unwrap_or((range, range));
        let number = |s: &str| {
            let s = s.trim();
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(shape());
            }
            s.parse::<u32>().map_err(|_| shape())
        };
        let (first, last, total) = (number(first)?, number(last)?, number(total)?);
        if total == 0 || total > MAX_SHARDS {
            return Err(format!("the total number of shards must be between 1 and {MAX_SHARDS}, not {total}"));
        }
        if first > last || last >= total {
            return Err(format!("shards {first} to {last} are not a range within {total} (shards are counted from 0 to {})", total - 1));
        }
        Ok(Self { first, last, total })
    }

    /// Whether a server's events come through this range of shards.
    pub fn owns(&self, guild: u64) -> bool {
        let shard = (guild >> 22) % u64::from(self.total);
        (u64::from(self.first)..=u64::from(self.last)).contains(&shard)
    }
}

impl Discord {
    /// The configured shard range, if any (checked when the configuration loads).
    pub fn shard_range(&self) -> Option<ShardRange> {
        self.shards.as_deref().and_then(|s| ShardRange::parse(s).ok())
    }
}

/// Discord's REST base URL.
pub const DISCORD_API: &str = "https://discord.com";

impl Default for Discord {
    fn default() -> Self {
        Self {
            enabled: false,
            api_base: DISCORD_API.into(),
            dev_guild: None,
            moderator_roles: Vec::new(),
            host_roles: Vec::new(),
            message_content: true,
            support_channel: None,
            support_members: Vec::new(),
            shards: None,
        }
    }
}

/// The Matrix adapter's settings. The password comes only from
/// `ATTUNE_MATRIX_PASSWORD`, an access token only from `ATTUNE_MATRIX_ACCESS_TOKEN`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Matrix {
    pub enabled: bool,
    /// The homeserver's client API base URL, given explicitly (`https://matrix.example.org`):
    /// attune does not discover it from the server name.
    pub homeserver: String,
    /// The bot's user id (`@attune:example.org`).
    pub user: String,
    /// Commands in Matrix rooms start with this prefix.
    pub prefix: String,
    /// Invites are accepted from users on these servers only (`example.org`). Empty: the
    /// bot's own server only.
    pub allowed_servers: Vec<String>,
    /// Rooms that form one community together; any other room is a community of its own.
    pub communities: Vec<MatrixCommunity>,
    /// User ids who are moderators everywhere, besides members with power level 50 or more.
    pub moderators: Vec<String>,
    /// User ids who are hosts everywhere: where a community's `who-opens` setting
    /// is `hosts`, they (and moderators) may open circles.
    pub hosts: Vec<String>,
    /// Where the session and matrix-sdk's state and crypto stores live. Default: a
    /// `matrix` folder beside the database.
    pub store_dir: Option<PathBuf>,
}

/// Several rooms that are one community: listed, or all rooms of a space.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatrixCommunity {
    /// The community's name in attune (letters, digits, `-` and `_`).
    pub id: String,
    #[serde(default)]
    pub rooms: Vec<String>,
    /// A space id (`!space:example.org`): every room whose `m.space.parent` names it.
    #[serde(default)]
    pub space: Option<String>,
}

impl Default for Database {
    fn default() -> Self {
        Self { path: PathBuf::from("./data/attune.db") }
    }
}

impl Default for CommunityDefaults {
    fn default() -> Self {
        Self { timezone: "UTC".into() }
    }
}

impl Default for Log {
    fn default() -> Self {
        Self { level: "warn".into(), format: LogFormat::Text }
    }
}

impl Default for Matrix {
    fn default() -> Self {
        Self {
            enabled: false,
            homeserver: String::new(),
            user: String::new(),
            prefix: "!attune".into(),
            allowed_servers: Vec::new(),
            communities: Vec::new(),
            moderators: Vec::new(),
            hosts: Vec::new(),
            store_dir: None,
        }
    }
}

impl Matrix {
    /// The bot's own server name (the part of `user` after the first colon).
    pub fn server_name(&self) -> Option<&str> {
        self.user.split_once(':').map(|(_, s)| s)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key: &'static str, message: String| Err(ConfigError::Invalid { key, message });
        let prefix = self.prefix.trim();
        if prefix.is_empty() || prefix.chars().any(char::is_whitespace) || prefix.chars().count() > 32 {
            return bad("matrix.prefix", "must be one word of at most 32 characters, like !attune".into());
        }
        if self.enabled && !(self.homeserver.starts_with("https://") || self.homeserver.starts_with("http://")) {
            return bad("matrix.homeserver", format!("{:?} is not an http(s) URL; give the homeserver's client API URL", self.homeserver));
        }
        if self.enabled && !matrix_id_ok(&self.user, '@') {
            return bad("matrix.user", format!("{:?} is not a Matrix user id like @attune:example.org", self.user));
        }
        if let Some(m) = self.moderators.iter().find(|m| !matrix_id_ok(m, '@')) {
            return bad("matrix.moderators", format!("{m:?} is not a Matrix user id like @alice:example.org"));
        }
        if let Some(m) = self.hosts.iter().find(|m| !matrix_id_ok(m, '@')) {
            return bad("matrix.hosts", format!("{m:?} is not a Matrix user id like @alice:example.org"));
        }
        if let Some(s) = self.allowed_servers.iter().find(|s| s.trim().is_empty() || s.contains(char::is_whitespace) || s.contains('@')) {
            return bad("matrix.allowed_servers", format!("{s:?} is not a server name like example.org"));
        }
        let mut seen = std::collections::BTreeSet::new();
        for c in &self.communities {
            let id_ok = !c.id.is_empty() && c.id.len() <= 64 && c.id.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_');
            if !id_ok {
                return bad("matrix.communities", format!("{:?} is not a community name (letters, digits, - and _)", c.id));
            }
            if c.rooms.is_empty() && c.space.is_none() {
                return bad("matrix.communities", format!("{:?} names no rooms and no space", c.id));
            }
            for room in c.rooms.iter().chain(c.space.iter()) {
                if !room_id_ok(room) {
                    return bad("matrix.communities", format!("{room:?} is not a room id like !abc:example.org or !abc (room version 12)"));
                }
                if !seen.insert(room.clone()) {
                    return bad("matrix.communities", format!("{room:?} belongs to two communities"));
                }
            }
        }
        Ok(())
    }
}

/// A Matrix id with the given sigil: `@local:server` or `!opaque:server`.
fn matrix_id_ok(id: &str, sigil: char) -> bool {
    let Some(rest) = id.strip_prefix(sigil) else { return false };
    let Some((local, server)) = rest.split_once(':') else { return false };
    !local.is_empty() && !server.is_empty() && id.len() <= 255 && !id.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A room id: `!opaque:server`, or, from room version 12 on (what a current
/// Synapse creates by default), `!opaque` with no server part.
fn room_id_ok(id: &str) -> bool {
    let Some(rest) = id.strip_prefix('!') else { return false };
    let (opaque, server) = rest.split_once(':').map_or((rest, None), |(o, s)| (o, Some(s)));
    !opaque.is_empty()
        && server.is_none_or(|s| !s.is_empty())
        && id.len() <= 255
        && !id.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A configuration or content problem, naming the file, the line or key, and what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{file}: {line}{message}")]
    File { file: String, line: String, message: String },
    #[error("environment variable {var}: {message}")]
    Env { var: String, message: String },
    #[error("{key}: {message}")]
    Invalid { key: &'static str, message: String },
    #[error("could not read {file}: {source}")]
    Read { file: String, source: std::io::Error },
}

/// Environment overrides: `ATTUNE_<SECTION>_<KEY>`.
const ENV_KEYS: [(&str, &str, &str); 15] = [
    ("ATTUNE_DATABASE_PATH", "database", "path"),
    ("ATTUNE_COMMUNITY_TIMEZONE", "community", "timezone"),
    ("ATTUNE_CONTENT_DECKS_DIR", "content", "decks_dir"),
    ("ATTUNE_CONTENT_RESOURCES", "content", "resources"),
    ("ATTUNE_CONTENT_PHRASES", "content", "phrases"),
    ("ATTUNE_LOG_LEVEL", "log", "level"),
    ("ATTUNE_LOG_FORMAT", "log", "format"),
    ("ATTUNE_SERVER_LISTEN", "server", "listen"),
    ("ATTUNE_SERVER_PUBLIC_URL", "server", "public_url"),
    ("ATTUNE_DISCORD_ENABLED", "discord", "enabled"),
    ("ATTUNE_DISCORD_API_BASE", "discord", "api_base"),
    ("ATTUNE_DISCORD_SHARDS", "discord", "shards"),
    ("ATTUNE_MATRIX_ENABLED", "matrix", "enabled"),
    ("ATTUNE_MATRIX_HOMESERVER", "matrix", "homeserver"),
    ("ATTUNE_MATRIX_USER", "matrix", "user"),
];

impl Log {
    /// The log filter for `level`, with the platform libraries' noisy targets quieted
    /// (`platform::quiet_logs`) unless the level names them, so an operator can still
    /// ask for them. `None` for a level that doesn't parse (loading refuses those).
    ///
    /// A quieted target is held to the stricter of its quiet level and the level the
    /// operator's own directives give it, so quieting never shows more than asked for.
    pub fn filter(&self) -> Option<tracing_subscriber::EnvFilter> {
        use tracing_subscriber::filter::LevelFilter;
        let mut filter = tracing_subscriber::EnvFilter::try_new(&self.level).ok()?;
        for (target, level) in crate::platform::quiet_logs() {
            if !self.level.split(',').any(|d| d.split('=').next().is_some_and(|t| t.trim() == target)) {
                // `LevelFilter` orders from `off` (least) to `trace` (most): the stricter is the lesser.
                // A level it can't read counts as `off`: never louder than asked for.
                let held = level.parse::<LevelFilter>().ok()?.min(self.level_for(target).parse().unwrap_or(LevelFilter::OFF));
                filter = filter.add_directive(format!("{target}={held}").parse().ok()?);
            }
        }
        Some(filter)
    }

    /// The level the operator's directives give `target`, as the filter matches them:
    /// the longest directive target it starts with, else the bare level, else `off`.
    fn level_for(&self, target: &str) -> &str {
        let mut bare = "off";
        let mut best: Option<(usize, &str)> = None;
        for d in self.level.split(',') {
            match d.split_once('=') {
                Some((t, l)) if target.starts_with(t.trim()) && best.is_none_or(|(n, _)| t.trim().len() > n) => {
                    best = Some((t.trim().len(), l.trim()));
                }
                Some(_) => {}
                None => bare = d.trim(),
            }
        }
        best.map_or(bare, |(_, l)| l)
    }
}

/// A log level (`warn`), or per-module directives (`attune=debug,sqlx=warn`).
/// A bare word that is not a level would be read as a module name and silence
/// every log, so it is refused.
fn log_level_ok(level: &str) -> bool {
    const LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];
    let is_level = |s: &str| LEVELS.contains(&s.trim().to_ascii_lowercase().as_str());
    !level.trim().is_empty()
        && level.split(',').all(|d| match d.split_once('=') {
            Some((target, lvl)) => !target.trim().is_empty() && is_level(lvl),
            None => is_level(d),
        })
        && tracing_subscriber::EnvFilter::try_new(level).is_ok()
}

fn line_of(src: &str, offset: usize) -> usize {
    src.get(..offset).map_or(1, |s| s.bytes().filter(|b| *b == b'\n').count() + 1)
}

impl Config {
    /// Loads the layers. `file` is `--config`; without it `config/attune.toml` is used if present.
    pub fn load(file: Option<&Path>, env: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let default_file = Path::new("config/attune.toml");
        let path = file.map(Path::to_path_buf).or_else(|| default_file.exists().then(|| default_file.to_path_buf()));
        let (src, name) = match &path {
            Some(p) => (
                std::fs::read_to_string(p).map_err(|source| ConfigError::Read { file: p.display().to_string(), source })?,
                p.display().to_string(),
            ),
            None => (String::new(), "(built-in defaults)".to_owned()),
        };
        let mut table: toml::Table = toml::from_str(&src).map_err(|e| ConfigError::File {
            file: name.clone(),
            line: e.span().map(|s| format!("line {}: ", line_of(&src, s.start))).unwrap_or_default(),
            message: e.message().trim().to_owned(),
        })?;
        for (var, section, key) in ENV_KEYS {
            let Some(value) = env(var) else { continue };
            let value = match key {
                "enabled" => toml::Value::Boolean(match value.as_str() {
                    "1" | "true" | "yes" | "on" => true,
                    "0" | "false" | "no" | "off" => false,
                    _ => return Err(ConfigError::Env { var: var.into(), message: "use true or false".into() }),
                }),
                _ => toml::Value::String(value),
            };
            let entry = table.entry(section).or_insert_with(|| toml::Value::Table(toml::Table::new()));
            let toml::Value::Table(t) = entry else {
                return Err(ConfigError::File { file: name.clone(), line: String::new(), message: format!("[{section}] must be a table") });
            };
            t.insert(key.to_owned(), value);
        }
        let mut config: Config = toml::Value::Table(table).try_into().map_err(|e: toml::de::Error| ConfigError::File {
            file: name.clone(),
            line: String::new(),
            message: e.message().trim().to_owned(),
        })?;
        config.discord_token = Secret(env("ATTUNE_DISCORD_TOKEN").unwrap_or_default());
        config.matrix_password = Secret(env("ATTUNE_MATRIX_PASSWORD").unwrap_or_default());
        config.matrix_access_token = Secret(env("ATTUNE_MATRIX_ACCESS_TOKEN").unwrap_or_default());
        config.matrix_store_passphrase = Secret(env("ATTUNE_MATRIX_STORE_PASSPHRASE").unwrap_or_default());
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if crate::core::timeparse::zone(&self.community.timezone).is_err() {
            return Err(ConfigError::Invalid {
                key: "community.timezone",
                message: format!("unknown time zone {:?}; use a name like Europe/Lisbon", self.community.timezone),
            });
        }
        if self.database.path.as_os_str().is_empty() {
            return Err(ConfigError::Invalid { key: "database.path", message: "must not be empty".into() });
        }
        if !log_level_ok(&self.log.level) {
            return Err(ConfigError::Invalid { key: "log.level", message: "use error, warn, info, debug or trace".into() });
        }
        if let Some(listen) = &self.server.listen
            && self.server.listen_addr().is_none()
        {
            return Err(ConfigError::Invalid {
                key: "server.listen",
                message: format!("{listen:?} is not an address and port like 127.0.0.1:9464"),
            });
        }
        if let Some(url) = self.server.page_url() {
            let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
            if rest.is_none_or(|r| r.is_empty() || r.contains(|c: char| c.is_whitespace() || c.is_control() || "?#\\\"<>".contains(c))) {
                return Err(ConfigError::Invalid {
                    key: "server.public_url",
                    message: format!("{url:?} is not an http(s) address like https://attune.example.org"),
                });
            }
            if rest.is_some_and(|r| r.contains('/')) {
                return Err(ConfigError::Invalid {
                    key: "server.public_url",
                    message: format!(
                        "{url:?} has a path; the page is served at the root of its address (give it a host name of its own, like https://attune.example.org)"
                    ),
                });
            }
            if self.server.listen.is_none() {
                return Err(ConfigError::Invalid {
                    key: "server.public_url",
                    message: "the moderator page is served by the listener: set server.listen too".into(),
                });
            }
        }
        if !(self.discord.api_base.starts_with("https://") || self.discord.api_base.starts_with("http://")) {
            return Err(ConfigError::Invalid {
                key: "discord.api_base",
                message: format!("{:?} is not an http(s) URL; leave it out to use {DISCORD_API}", self.discord.api_base),
            });
        }
        // Discord ids are never zero (and the Discord client library refuses one).
        let d = &self.discord;
        for (key, zero) in [
            ("discord.dev_guild", d.dev_guild == Some(0)),
            ("discord.support_channel", d.support_channel == Some(0)),
            ("discord.moderator_roles", d.moderator_roles.contains(&0)),
            ("discord.host_roles", d.host_roles.contains(&0)),
            ("discord.support_members", d.support_members.contains(&0)),
        ] {
            if zero {
                return Err(ConfigError::Invalid {
                    key,
                    message: "a Discord id is a long number, never 0 (copy it with Developer Mode on)".into(),
                });
            }
        }
        if let Some(shards) = &d.shards
            && let Err(message) = ShardRange::parse(shards)
        {
            return Err(ConfigError::Invalid { key: "discord.shards", message });
        }
        self.matrix.validate()
    }

    /// Loads decks, resources and crisis rules: from configured files, else the built-in copies
    /// (see [`crate::content`]).
    pub fn content(&self) -> Result<Defaults, ConfigError> {
        crate::content::load(&self.content, &self.community.timezone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn the_example_config_is_valid() {
        Config::load(Some(Path::new("config/attune.example.toml")), no_env).unwrap();
    }

    #[test]
    fn room_ids_of_every_room_version_are_accepted_and_others_refused() {
        for good in ["!abc:example.org", "!9xKq0wFj3R8_uLp2-ZbTnYvAaCdEeGgHhIiJjKkLlMm", "!abc:localhost:8008"] {
            assert!(room_id_ok(good), "{good}");
        }
        for bad in ["abc:example.org", "!", "!:example.org", "!abc:", "!a b", "!abc\n", "@alice:example.org"] {
            assert!(!room_id_ok(bad), "{bad}");
        }
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.toml");
        let community =
            "[[matrix.communities]]\nid = \"circles\"\nrooms = [\"!abc:example.org\", \"!9xKq0wFj3R8_uLp2-ZbTnYvAaCdEeGgHhIiJjKkLlMm\"]\n";
        std::fs::write(&p, community).unwrap();
        let c = Config::load(Some(&p), no_env).expect("a version 12 room id is a room id");
        assert_eq!(c.matrix.communities[0].rooms.len(), 2);
        std::fs::write(&p, community.replace("!abc:example.org", "abc")).unwrap();
        let e = Config::load(Some(&p), no_env).unwrap_err().to_string();
        assert!(e.contains("matrix.communities") && e.contains("\"abc\""), "{e}");
    }

    #[test]
    fn built_in_content_loads() {
        let d = Config::default().content().unwrap();
        assert!(!d.decks.is_empty() && !d.phrases.is_empty() && !d.resources.is_empty());
    }

    #[test]
    fn env_overrides_the_file() {
        let c =
            Config::load(Some(Path::new("config/attune.example.toml")), |k| (k == "ATTUNE_DATABASE_PATH").then(|| "/tmp/x.db".to_owned()))
                .unwrap();
        assert_eq!(c.database.path, PathBuf::from("/tmp/x.db"));
    }

    #[test]
    fn bad_config_names_the_file_the_line_and_the_problem() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.toml");
        std::fs::write(&p, "[database]\npath = \"x.db\"\ncolour = \"blue\"\n").unwrap();
        let e = Config::load(Some(&p), no_env).unwrap_err().to_string();
        assert!(e.contains("a.toml") && e.contains("colour"), "{e}");
        std::fs::write(&p, "[database\n").unwrap();
        let e = Config::load(Some(&p), no_env).unwrap_err().to_string();
        assert!(e.contains("line 1"), "{e}");
        std::fs::write(&p, "[community]\ntimezone = \"Mars/Base\"\n").unwrap();
        let e = Config::load(Some(&p), no_env).unwrap_err().to_string();
        assert!(e.contains("community.timezone"), "{e}");
        let e = Config::load(None, |k| (k == "ATTUNE_DISCORD_ENABLED").then(|| "maybe".to_owned())).unwrap_err().to_string();
        assert!(e.contains("ATTUNE_DISCORD_ENABLED"), "{e}");
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let c = Config::load(None, |k| (k == "ATTUNE_DISCORD_TOKEN").then(|| "super-secret-token".to_owned())).unwrap();
        assert!(!format!("{c:?}").contains("super-secret-token"));
        assert_eq!(c.discord_token.expose(), "super-secret-token");
    }
}

#[cfg(test)]
mod discord_tests {
    use super::*;

    #[test]
    fn discord_settings_default_to_discord_itself_and_a_bad_api_base_is_refused_with_its_key() {
        let c = Config::load(None, |_| None).unwrap();
        assert_eq!(c.discord.api_base, DISCORD_API);
        assert!(c.discord.message_content && c.discord.dev_guild.is_none() && c.discord.moderator_roles.is_empty());
        let c = Config::load(None, |k| (k == "ATTUNE_DISCORD_API_BASE").then(|| "http://127.0.0.1:9".to_owned())).unwrap();
        assert_eq!(c.discord.api_base, "http://127.0.0.1:9");
        let e = Config::load(None, |k| (k == "ATTUNE_DISCORD_API_BASE").then(|| "discord.com".to_owned())).unwrap_err();
        assert!(e.to_string().contains("discord.api_base"), "{e}");
        assert!(c.discord.support_channel.is_none() && c.discord.support_members.is_empty());
    }

    #[test]
    fn a_shard_range_is_read_and_checked() {
        assert_eq!(ShardRange::parse("0-1/4"), Ok(ShardRange { first: 0, last: 1, total: 4 }));
        assert_eq!(ShardRange::parse(" 3/4 "), Ok(ShardRange { first: 3, last: 3, total: 4 }));
        for bad in ["", "1-0/4", "0-4/4", "0/0", "a-b/c", "0-1", "-1-2/4", "0-1/99999999999", "0-1/5000", "+1/4", "0-+1/4"] {
            let e = ShardRange::parse(bad).expect_err(bad);
            assert!(!e.is_empty(), "{bad}");
        }
        // Discord's rule: a server is on shard (guild_id >> 22) % total.
        let range = ShardRange { first: 1, last: 1, total: 2 };
        assert!(range.owns(1 << 22) && !range.owns(2 << 22));
        let e = Config::load(None, |k| (k == "ATTUNE_DISCORD_SHARDS").then(|| "2-1/4".to_owned())).unwrap_err().to_string();
        assert!(e.contains("discord.shards") && e.contains("not a range"), "{e}");
    }
}

#[cfg(test)]
mod matrix_tests {
    use super::*;

    fn with(file: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.toml");
        std::fs::write(&p, file).unwrap();
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Config::load(Some(&p), move |k| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
    }

    #[test]
    fn a_complete_matrix_section_loads_and_its_secrets_come_from_the_environment_only() {
        let c = with(
            "[matrix]\nenabled = true\nhomeserver = \"http://127.0.0.1:8008\"\nuser = \"@attune:example.org\"\n\
             allowed_servers = [\"example.org\"]\nmoderators = [\"@mod:example.org\"]\n\
             [[matrix.communities]]\nid = \"peers\"\nrooms = [\"!a:example.org\", \"!b:example.org\"]\n",
            &[("ATTUNE_MATRIX_PASSWORD", "hunter2-secret"), ("ATTUNE_MATRIX_ACCESS_TOKEN", "syt_secret_token")],
        )
        .unwrap();
        assert_eq!(c.matrix.prefix, "!attune", "the prefix has a default");
        assert_eq!(c.matrix.server_name(), Some("example.org"));
        assert_eq!(c.matrix.communities[0].rooms.len(), 2);
        assert_eq!(c.matrix_password.expose(), "hunter2-secret");
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2-secret") && !shown.contains("syt_secret_token"), "secrets never show: {shown}");
        let e = with("[matrix]\npassword = \"x\"\n", &[]).unwrap_err().to_string();
        assert!(e.contains("password"), "a password in the file is refused: {e}");
    }

    #[test]
    fn each_bad_matrix_setting_is_refused_with_its_key() {
        let base = "[matrix]\nenabled = true\nhomeserver = \"http://127.0.0.1:8008\"\nuser = \"@attune:example.org\"\n";
        let cases = [
            ("[matrix]\nenabled = true\nuser = \"@attune:example.org\"\n".to_owned(), "matrix.homeserver"),
            ("[matrix]\nenabled = true\nhomeserver = \"example.org\"\nuser = \"@a:b\"\n".to_owned(), "matrix.homeserver"),
            ("[matrix]\nenabled = true\nhomeserver = \"http://h\"\nuser = \"attune\"\n".to_owned(), "matrix.user"),
            (format!("{base}prefix = \"\"\n"), "matrix.prefix"),
            (format!("{base}prefix = \"! attune\"\n"), "matrix.prefix"),
            (format!("{base}moderators = [\"mod\"]\n"), "matrix.moderators"),
            (format!("{base}hosts = [\"hana\"]\n"), "matrix.hosts"),
            (format!("{base}allowed_servers = [\"@x:y\"]\n"), "matrix.allowed_servers"),
            (format!("{base}[[matrix.communities]]\nid = \"a b\"\nrooms = [\"!a:b\"]\n"), "matrix.communities"),
            (format!("{base}[[matrix.communities]]\nid = \"a\"\n"), "matrix.communities"),
            (format!("{base}[[matrix.communities]]\nid = \"a\"\nrooms = [\"#alias:b\"]\n"), "matrix.communities"),
            (
                format!(
                    "{base}[[matrix.communities]]\nid = \"a\"\nrooms = [\"!r:b\"]\n[[matrix.communities]]\nid = \"c\"\nrooms = [\"!r:b\"]\n"
                ),
                "matrix.communities",
            ),
        ];
        for (file, key) in cases {
            let e = with(&file, &[]).expect_err(&file).to_string();
            assert!(e.contains(key), "{file}: {e}");
        }
        assert!(with("[matrix]\nenabled = false\n", &[]).is_ok(), "a disabled section needs no homeserver");
    }
}

#[cfg(test)]
mod log_level_tests {
    use super::*;

    #[test]
    fn a_log_level_that_would_silence_logging_is_refused_with_its_key() {
        for ok in ["warn", "INFO", "attune=debug,sqlx=warn", "off"] {
            assert!(Config::load(None, |k| (k == "ATTUNE_LOG_LEVEL").then(|| ok.to_owned())).is_ok(), "{ok}");
        }
        for bad in ["loud", "shout", "attune=loud", "", "warn,"] {
            let e = Config::load(None, |k| (k == "ATTUNE_LOG_LEVEL").then(|| bad.to_owned())).expect_err(bad);
            assert!(e.to_string().contains("log.level") || e.to_string().contains("ATTUNE_LOG_LEVEL"), "{bad}: {e}");
        }
    }
}
