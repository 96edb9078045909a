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
    #[serde(skip)]
    pub discord_token: Secret,
    #[serde(skip)]
    pub matrix_password: Secret,
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
            message_content: true,
            support_channel: None,
            support_members: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Matrix {
    pub enabled: bool,
    pub homeserver: String,
    pub user: String,
    pub prefix: String,
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
        Self { level: "warn".into() }
    }
}

impl Default for Matrix {
    fn default() -> Self {
        Self { enabled: false, homeserver: String::new(), user: String::new(), prefix: "!attune".into() }
    }
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
const ENV_KEYS: [(&str, &str, &str); 10] = [
    ("ATTUNE_DATABASE_PATH", "database", "path"),
    ("ATTUNE_COMMUNITY_TIMEZONE", "community", "timezone"),
    ("ATTUNE_CONTENT_DECKS_DIR", "content", "decks_dir"),
    ("ATTUNE_CONTENT_RESOURCES", "content", "resources"),
    ("ATTUNE_CONTENT_PHRASES", "content", "phrases"),
    ("ATTUNE_LOG_LEVEL", "log", "level"),
    ("ATTUNE_DISCORD_ENABLED", "discord", "enabled"),
    ("ATTUNE_DISCORD_API_BASE", "discord", "api_base"),
    ("ATTUNE_MATRIX_ENABLED", "matrix", "enabled"),
    ("ATTUNE_MATRIX_HOMESERVER", "matrix", "homeserver"),
];

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
        if !(self.discord.api_base.starts_with("https://") || self.discord.api_base.starts_with("http://")) {
            return Err(ConfigError::Invalid {
                key: "discord.api_base",
                message: format!("{:?} is not an http(s) URL; leave it out to use {DISCORD_API}", self.discord.api_base),
            });
        }
        // Discord ids are never zero (and the client library refuses one).
        let d = &self.discord;
        for (key, zero) in [
            ("discord.dev_guild", d.dev_guild == Some(0)),
            ("discord.support_channel", d.support_channel == Some(0)),
            ("discord.moderator_roles", d.moderator_roles.contains(&0)),
            ("discord.support_members", d.support_members.contains(&0)),
        ] {
            if zero {
                return Err(ConfigError::Invalid {
                    key,
                    message: "a Discord id is a long number, never 0 (copy it with Developer Mode on)".into(),
                });
            }
        }
        if self.matrix.prefix.trim().is_empty() {
            return Err(ConfigError::Invalid { key: "matrix.prefix", message: "must not be empty".into() });
        }
        Ok(())
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
