//! The `attune` binary: parses the command line, loads configuration, and
//! dispatches. Errors reach the user here, with context, through `anyhow`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Parser;

use attune::cli::{Cli, ClockArg, Cmd, ConsoleArgs, DeckCmd};
use attune::config::Config;
use attune::core::command::{Command, DeckCmd as CoreDeckCmd};
use attune::core::deck;
use attune::core::effect::Effect;
use attune::core::effect::Line;
use attune::core::ids::{CommunityId, MemberRef, Platform};
use attune::core::input::{Actor, Input, Place};
use attune::engine::{Clock, Engine, EngineError, Outlets, Seed, apply_once};
use attune::platform::console::{self, ConsoleOptions};
use attune::store::{Store, StoreError};
use attune::text::Catalogue;

fn main() -> ExitCode {
    match try_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("attune: {}", said_once(&e));
            if damaged_record(&e) {
                eprintln!("{DAMAGED_HINT}");
            }
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, each said once: a cause whose text is already part of an
/// earlier message (a wrapped error that repeats its source) is left out.
fn said_once(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

/// Whether the error is a stored record that can't be read back.
fn damaged_record(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        matches!(c.downcast_ref::<StoreError>(), Some(StoreError::Decode { .. }))
            || matches!(c.downcast_ref::<EngineError>(), Some(EngineError::Store(StoreError::Decode { .. })))
    })
}

const DAMAGED_HINT: &str = "Nothing was changed. `attune doctor --db PATH` lists every damaged record; decks that are \
still intact can be saved with `attune deck export NAME --community ID --db PATH --out FILE`.";

/// Prints one line of command output. If stdout has closed (e.g. piped into `head`),
/// attune stops quietly, as the console does.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if writeln!(std::io::stdout().lock(), $($arg)*).is_err() {
            std::process::exit(0);
        }
    }};
}

fn try_main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::load(cli.config.as_deref(), |k| std::env::var(k).ok()).context("the configuration is invalid")?;
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_new(&config.log.level).unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("could not start the async runtime")?;
    let result = runtime.block_on(dispatch(cli.command.unwrap_or(Cmd::Console(ConsoleArgs::default())), config));
    // A read of stdin may still be waiting on a blocking thread (after SIGTERM, say); everything
    // that matters is committed and closed by now, so don't wait for it.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    result
}

fn db_path(arg: Option<PathBuf>, config: &Config) -> PathBuf {
    arg.unwrap_or_else(|| config.database.path.clone())
}

async fn open_store(path: &Path) -> anyhow::Result<Store> {
    Store::open(path).await.map_err(|e| match e {
        // Already names the file.
        StoreError::Open { .. } => anyhow::Error::new(e),
        e => anyhow::Error::new(e).context(format!("the database {} can't be used", path.display())),
    })
}

async fn dispatch(cmd: Cmd, config: Config) -> anyhow::Result<()> {
    match cmd {
        Cmd::Console(args) => run_console(args, config).await,
        Cmd::Run { db } => run_platforms(&db_path(db, &config), &config).await,
        Cmd::Migrate { db } => {
            let path = db_path(db, &config);
            // An empty file is as new as a missing one: SQLite makes it a database.
            let existed = std::fs::metadata(&path).is_ok_and(|m| m.len() > 0);
            open_store(&path).await?.close().await;
            if existed {
                say!("The database at {} is up to date.", path.display());
            } else {
                say!("Created a new database at {}. It is ready to use.", path.display());
            }
            Ok(())
        }
        Cmd::Deck(d) => deck_command(d, &config).await,
        Cmd::Doctor { db } => doctor(&db_path(db, &config), &config).await,
    }
}

async fn run_console(args: ConsoleArgs, config: Config) -> anyhow::Result<()> {
    let defaults = config.content().context("the decks or safety files are invalid")?;
    let manual = args.clock == ClockArg::Manual;
    if !manual && args.start.is_some() {
        bail!("--start sets the manual clock; add --clock manual, or leave --start out to use the real time");
    }
    // A bad --start is refused before anything is opened or created.
    let given = args.start.as_deref().map(parse_start).transpose()?;
    let store = open_store(&db_path(args.db, &config)).await?;
    let clock = if manual { Clock::manual(manual_start(given, &store).await?) } else { Clock::System };
    let seed = match args.seed {
        Some(n) => Seed::Fixed(n),
        None if manual => Seed::Fixed(0),
        None => Seed::Random,
    };
    let (outlets, rx) = Outlets::single(Platform::Console);
    let (engine, resumed) = Engine::start(store, clock, defaults, seed, outlets).await.context("could not start the engine")?;
    let options = ConsoleOptions { moderators: args.moderators, json: args.json, manual_clock: manual };
    console::run(engine, resumed, rx, options).await.context("the console stopped")?;
    Ok(())
}

/// Where the manual clock starts: `--start`, else where it stood when this database last
/// ran, else a fixed Monday evening (so a fresh transcript is reproducible).
fn parse_start(s: &str) -> anyhow::Result<jiff::Timestamp> {
    let at: jiff::Timestamp = s.parse().with_context(|| format!("--start {s:?} is not an RFC 3339 time, like 2026-01-05T18:00:00Z"))?;
    if !attune::core::timeparse::supported(at) {
        bail!("the manual clock works between the years 2000 and 2199; {at} is outside that");
    }
    Ok(at)
}

async fn manual_start(start: Option<jiff::Timestamp>, store: &Store) -> anyhow::Result<jiff::Timestamp> {
    let at = match start {
        Some(at) => at,
        None => match store.console_clock().await {
            Ok(Some(at)) => at,
            Ok(None) => "2026-01-05T18:00:00Z".parse().context("the default start time")?,
            Err(e) => return Err(e).context("the stored manual clock could not be read"),
        },
    };
    if !attune::core::timeparse::supported(at) {
        bail!("the manual clock works between the years 2000 and 2199; {at} is outside that");
    }
    Ok(at)
}

/// How `attune run` describes a platform: configured or not, built in or not.
fn platform_state(enabled: bool, built: bool) -> &'static str {
    match (enabled, built) {
        (true, true) => "configured, starting",
        (false, true) => "not configured (built in; set enabled = true in its section to use it)",
        (true, false) => "configured, and not built into this version of attune",
        (false, false) => "not configured, and not built into this version of attune",
    }
}

async fn run_platforms(db: &Path, config: &Config) -> anyhow::Result<()> {
    let discord_built = cfg!(feature = "discord");
    let matrix_built = cfg!(feature = "matrix");
    say!("Discord: {}.", platform_state(config.discord.enabled, discord_built));
    say!("Matrix: {}.", platform_state(config.matrix.enabled, matrix_built));
    let discord = config.discord.enabled && discord_built;
    let matrix = config.matrix.enabled && matrix_built;
    if discord || matrix {
        return serve(db, config, discord, matrix).await;
    }
    // Nothing can run in this build, so no database is created or opened for it.
    let _ = db;
    let mut configured = Vec::new();
    if config.discord.enabled {
        configured.push("Discord");
    }
    if config.matrix.enabled {
        configured.push("Matrix");
    }
    if configured.is_empty() {
        bail!("no platform is configured and built in, so there is nothing to run; try `attune console` for a local circle");
    }
    bail!("{} configured, but this build has no adapter for it yet; try `attune console` for a local circle", configured.join(" and "))
}

/// Runs the enabled adapters over one engine until SIGINT or SIGTERM.
async fn serve(db: &Path, config: &Config, discord: bool, matrix: bool) -> anyhow::Result<()> {
    if discord && config.discord_token.expose().trim().is_empty() {
        bail!("Discord is enabled, but ATTUNE_DISCORD_TOKEN is not set (the token is read from the environment only)");
    }
    let defaults = config.content().context("the decks or safety files are invalid")?;
    let store = open_store(db).await?;
    let mut outlets = Outlets::new();
    let discord_rx = discord.then(|| outlets.add(Platform::Discord));
    let matrix_rx = matrix.then(|| outlets.add(Platform::Matrix));
    let (engine, resumed) =
        Engine::start(store, Clock::System, defaults, Seed::Random, outlets).await.context("could not start the engine")?;
    let (for_matrix, for_discord): (Vec<_>, Vec<_>) = resumed.into_iter().partition(|o| o.community.platform() == Platform::Matrix);
    let matrix = match matrix_rx {
        Some(rx) => Some(start_matrix(db, config, engine.clone(), for_matrix, rx).await?),
        None => None,
    };
    let discord = match discord_rx {
        Some(rx) => Some(start_discord(config, engine.clone(), for_discord, rx).await?),
        None => None,
    };
    console::stop_signal().await;
    // Matrix first: its sync stops before the engine stops taking input, so no event
    // is marked as handled that the engine did not apply.
    if let Some(m) = matrix {
        m.stop().await;
    }
    if let Some(d) = discord {
        d.stop().await;
    }
    engine.shutdown().await;
    Ok(())
}

/// What `doctor` says about Discord: built in or not, enabled or not, and the token's shape
/// (never the token). `discord_doctor_online` connects for the rest.
#[cfg(feature = "discord")]
fn discord_doctor(config: &Config) -> &'static str {
    let token = config.discord_token.expose();
    match (config.discord.enabled, token.trim().is_empty()) {
        (false, _) => "built in, not enabled ([discord] enabled = true to use it)",
        (true, true) => "enabled, but ATTUNE_DISCORD_TOKEN is not set",
        (true, false) if !attune::platform::discord::token_shape_ok(token) => {
            "enabled, but ATTUNE_DISCORD_TOKEN doesn't look like a bot token (three parts separated by dots)"
        }
        (true, false) => "enabled, token set and well formed",
    }
}

#[cfg(not(feature = "discord"))]
fn discord_doctor(_config: &Config) -> &'static str {
    "not built into this version"
}

/// When Discord is enabled with a well-formed token: connects (to `discord.api_base`)
/// and says whether the token is accepted, whether the Message Content intent is
/// there, and which permissions the bot lacks in its servers.
#[cfg(feature = "discord")]
async fn discord_doctor_online(config: &Config) {
    let token = config.discord_token.expose();
    if !config.discord.enabled || !attune::platform::discord::token_shape_ok(token) {
        return;
    }
    for line in attune::platform::discord::doctor::check(&discord_options(config)).await {
        say!("discord: {line}");
    }
}

#[cfg(not(feature = "discord"))]
async fn discord_doctor_online(_config: &Config) {}

/// The Discord adapter's options from the configuration (the token from the environment).
#[cfg(feature = "discord")]
fn discord_options(config: &Config) -> attune::platform::discord::DiscordOptions {
    attune::platform::discord::DiscordOptions {
        token: config.discord_token.expose().to_owned(),
        api_base: config.discord.api_base.clone(),
        dev_guild: config.discord.dev_guild,
        moderator_roles: config.discord.moderator_roles.clone(),
        message_content: config.discord.message_content,
        support_channel: config.discord.support_channel,
        support_members: config.discord.support_members.clone(),
    }
}

#[cfg(feature = "discord")]
async fn start_discord(
    config: &Config,
    engine: Engine,
    resumed: Vec<attune::engine::Outgoing>,
    rx: tokio::sync::mpsc::Receiver<attune::engine::Outgoing>,
) -> anyhow::Result<attune::platform::discord::Running> {
    attune::platform::discord::start(engine, resumed, rx, discord_options(config)).await.context("the Discord adapter could not start")
}

#[cfg(not(feature = "discord"))]
async fn start_discord(
    _config: &Config,
    _engine: Engine,
    _resumed: Vec<attune::engine::Outgoing>,
    _rx: tokio::sync::mpsc::Receiver<attune::engine::Outgoing>,
) -> anyhow::Result<NotBuilt> {
    bail!("this build of attune has no Discord adapter")
}

#[cfg(feature = "matrix")]
async fn start_matrix(
    db: &Path,
    config: &Config,
    engine: Engine,
    resumed: Vec<attune::engine::Outgoing>,
    rx: tokio::sync::mpsc::Receiver<attune::engine::Outgoing>,
) -> anyhow::Result<attune::platform::matrix::Running> {
    use attune::platform::matrix;
    let options = matrix_options(db, config);
    matrix::start(engine, resumed, rx, options).await.context("the Matrix adapter could not start")
}

#[cfg(not(feature = "matrix"))]
async fn start_matrix(
    _db: &Path,
    _config: &Config,
    _engine: Engine,
    _resumed: Vec<attune::engine::Outgoing>,
    _rx: tokio::sync::mpsc::Receiver<attune::engine::Outgoing>,
) -> anyhow::Result<NotBuilt> {
    bail!("this build of attune has no Matrix adapter")
}

/// The Matrix adapter's options: the configuration, the secrets from the
/// environment, and the store directory (a `matrix` folder beside the database
/// unless configured).
#[cfg(feature = "matrix")]
fn matrix_options(db: &Path, config: &Config) -> attune::platform::matrix::MatrixOptions {
    use attune::platform::matrix::{CommunityRooms, MatrixOptions};
    let beside_db = db.parent().map(|p| p.join("matrix")).unwrap_or_else(|| PathBuf::from("matrix"));
    MatrixOptions {
        homeserver: config.matrix.homeserver.clone(),
        user: config.matrix.user.clone(),
        password: config.matrix_password.expose().to_owned(),
        access_token: config.matrix_access_token.expose().to_owned(),
        prefix: config.matrix.prefix.trim().to_owned(),
        allowed_servers: config.matrix.allowed_servers.clone(),
        communities: config
            .matrix
            .communities
            .iter()
            .map(|c| CommunityRooms { id: c.id.clone(), rooms: c.rooms.clone(), space: c.space.clone() })
            .collect(),
        moderators: config.matrix.moderators.clone(),
        store_dir: config.matrix.store_dir.clone().unwrap_or(beside_db),
        decryption_grace: std::time::Duration::from_secs(30),
    }
}

/// What `doctor` says about Matrix: built in or not, enabled or not, and with the
/// saved session (never a new login) the login, encryption and power-level checks.
#[cfg(feature = "matrix")]
async fn matrix_doctor(db: &Path, config: &Config) {
    if !config.matrix.enabled {
        say!("matrix: built in, not enabled ([matrix] enabled = true to use it)");
        return;
    }
    let report = attune::platform::matrix::doctor::check(&matrix_options(db, config)).await;
    for line in &report.lines {
        say!("matrix: {line}");
    }
}

#[cfg(not(feature = "matrix"))]
async fn matrix_doctor(_db: &Path, _config: &Config) {
    say!("matrix: not built into this version");
}

/// Stands in for an adapter that is not built in; never made.
#[cfg(any(not(feature = "discord"), not(feature = "matrix")))]
struct NotBuilt;

#[cfg(any(not(feature = "discord"), not(feature = "matrix")))]
impl NotBuilt {
    async fn stop(self) {}
}

async fn deck_command(cmd: DeckCmd, config: &Config) -> anyhow::Result<()> {
    match cmd {
        DeckCmd::Validate { files } => {
            if files.is_empty() {
                bail!("name one or more deck files, e.g. attune deck validate config/decks/*.toml");
            }
            let catalogue = Catalogue::english()?;
            let mut bad = 0;
            for f in &files {
                let src = match std::fs::read_to_string(f) {
                    Ok(src) => src,
                    Err(e) => {
                        bad += 1;
                        say!("{}: could not be read ({e})", f.display());
                        continue;
                    }
                };
                // Every problem in the file, each on its own line with its line number.
                match deck::check_file(&src) {
                    Ok(d) => {
                        say!(
                            "{}",
                            catalogue.line(
                                &Line::new("cli-deck-valid")
                                    .text("file", f.display().to_string())
                                    .text("name", d.name.as_str())
                                    .num("cards", d.cards.len())
                                    .num("practices", d.practices.len())
                            )
                        );
                        say!("  {}", deck::counts(&d));
                    }
                    Err(problems) => {
                        bad += 1;
                        for e in problems {
                            say!("{}: {e}", f.display());
                        }
                    }
                }
            }
            if bad > 0 {
                bail!("{bad} of {} deck files have problems (validating never changes anything)", files.len());
            }
            Ok(())
        }
        DeckCmd::Import { file, community, create, replace, db } => {
            let content = std::fs::read_to_string(&file).with_context(|| format!("could not read {}", file.display()))?;
            let community = CommunityId::from_key(&community).map_err(|_| anyhow::anyhow!("{community:?} is not a valid community id"))?;
            let path = db_path(db, config);
            if !create && !path.exists() {
                bail!("there is no database at {}; nothing was imported (add --create to start one)", path.display());
            }
            let store = open_store(&path).await?;
            let known = store.communities().await?;
            if !create && !known.contains(&community) {
                let names: Vec<String> = known.iter().map(CommunityId::key).collect();
                store.close().await;
                bail!(
                    "there is no community {:?} in {}; these exist: {}. Nothing was imported (add --create to make it)",
                    community.key(),
                    path.display(),
                    if names.is_empty() { "none yet".to_owned() } else { names.join(", ") }
                );
            }
            // Replacing a deck loses a moderator's edits to it, so it takes an explicit word.
            if !replace
                && let Ok(incoming) = deck::parse_file(&content)
                && let Some(existing) = store
                    .load(&community, None)
                    .await?
                    .and_then(|l| l.decks.over(&config.content().ok()?.decks).into_iter().find(|d| d.name == incoming.name))
            {
                store.close().await;
                bail!(
                    "community {:?} already has a deck called {} ({} cards); nothing was imported. \
                     To replace it, and lose any edits made to it, add --replace (attune deck export saves it first)",
                    community.key(),
                    existing.name,
                    existing.cards.len()
                );
            }
            let actor = Actor {
                member: MemberRef::parse(Platform::Console, "cli").map_err(|_| anyhow::anyhow!("bad id"))?,
                display: "attune cli".into(),
                moderator: true,
            };
            let command = Command::Deck(CoreDeckCmd::Import { source: file.display().to_string(), content: Some(content) });
            let input = Input::Command { actor, place: Place::Private, command };
            // Straight to the store: importing a deck must not resume circles or run their timers.
            let effects = apply_once(&store, &config.content()?, &community, input, jiff::Timestamp::now()).await?;
            store.close().await;
            let catalogue = Catalogue::english()?;
            let mut failed = false;
            for effect in effects {
                if let Effect::Whisper { to, message } = effect
                    && to.user() == "cli"
                {
                    failed |= message.kind == attune::core::effect::Kind::Refusal;
                    say!("{}", catalogue.render(&message));
                }
            }
            if failed {
                bail!("the deck was not imported");
            }
            Ok(())
        }
        DeckCmd::Export { name, community, out, db } => {
            let community = CommunityId::from_key(&community).map_err(|_| anyhow::anyhow!("{community:?} is not a valid community id"))?;
            let path = db_path(db, config);
            if !path.exists() {
                bail!("there is no database at {}; nothing to export", path.display());
            }
            let store = open_store(&path).await?;
            let Some(loaded) = store.load(&community, None).await? else {
                bail!("there is no community {:?} in this database", community.key())
            };
            // What the community sees: the shipped decks with its changes on top.
            let decks = loaded.decks.over(&config.content()?.decks);
            let Some(d) = decks.iter().find(|d| d.name.as_str() == name) else {
                bail!("community {:?} has no deck called {name:?}", community.key())
            };
            let text = deck::to_file(d);
            match out {
                Some(path) => {
                    std::fs::write(&path, text).with_context(|| format!("could not write {}", path.display()))?;
                    say!("Wrote deck {name} to {}.", path.display());
                }
                None => say!("{}", text.trim_end()),
            }
            Ok(())
        }
    }
}

/// What `doctor` says about crisis signposting: which locales are checked, and what is not.
fn safety_lines(defaults: &attune::engine::Defaults) {
    let (signals, excepts) = defaults.phrases.counts();
    let locales = defaults.phrases.locales().join(", ");
    say!("crisis rules: ok ({signals} signal patterns, {excepts} exceptions; locales: {locales})");
    say!(
        "crisis rules: only messages in {locales} are checked; messages in other languages are not checked. \
         To add a language, put a rules file per locale (like config/safety/en.toml) in a folder and set content.phrases to it."
    );
}

/// Warns about each community that still shows the default crisis resources card.
async fn default_card_lines(store: &Store, default: &str) -> anyhow::Result<()> {
    for id in store.communities().await? {
        let Some(mut loaded) = store.load(&id, None).await? else { continue };
        loaded.community.follow_default_card(default);
        if !loaded.community.resources_custom {
            say!(
                "warning: community {} uses the default crisis resources card; a moderator can name local help with /resources set TEXT",
                id.key()
            );
        }
    }
    Ok(())
}

async fn doctor(db: &Path, config: &Config) -> anyhow::Result<()> {
    let catalogue = Catalogue::english().context("the message catalogue")?;
    say!("config: ok (time zone {}, log level {})", config.community.timezone, config.log.level);
    let defaults = config.content().context("decks or safety files")?;
    let cards: usize = defaults.decks.iter().map(|d| d.cards.len()).sum();
    say!(
        "{}",
        catalogue.line(
            &Line::new("cli-doctor-decks")
                .num("decks", defaults.decks.len())
                .num("cards", cards)
                .num("chars", defaults.resources.chars().count())
        )
    );
    safety_lines(&defaults);
    say!("messages: ok");
    let healthy = doctor_database(db, &catalogue, &defaults.resources).await;
    say!("discord: {}", discord_doctor(config));
    discord_doctor_online(config).await;
    matrix_doctor(db, config).await;
    if !healthy {
        bail!("the database at {} needs attention (see above); doctor changed nothing", db.display());
    }
    Ok(())
}

/// Checks the database without creating or changing anything. Returns whether it is healthy.
async fn doctor_database(db: &Path, catalogue: &Catalogue, default_card: &str) -> bool {
    if !db.exists() {
        say!("database: none yet at {} (attune console, attune migrate or a deck import with --create makes one)", db.display());
        return true;
    }
    let store = match Store::open_existing(db).await {
        Ok(s) => s,
        Err(attune::store::StoreError::InUse { .. }) => {
            say!("database: {} is in use by a running attune, which is as it should be; stop it to let doctor read it", db.display());
            return true;
        }
        Err(e) => {
            say!("database: {} can't be used: {e}", db.display());
            return false;
        }
    };
    let healthy = doctor_checks(&store, db, catalogue).await;
    if healthy && let Err(e) = default_card_lines(&store, default_card).await {
        say!("database: {} can't be read: {e}", db.display());
    }
    store.close().await;
    healthy
}

async fn doctor_checks(store: &Store, db: &Path, catalogue: &Catalogue) -> bool {
    if let Err(e) = store.integrity().await {
        say!("database: {} failed SQLite's integrity check: {e}", db.display());
        return false;
    }
    match store.pending_migrations().await {
        Ok(0) => {}
        Ok(n) => {
            say!("database: {} needs `attune migrate` ({n} schema updates waiting)", db.display());
            return false;
        }
        Err(e) => {
            say!("database: {} can't be read: {e}", db.display());
            return false;
        }
    }
    match store.damaged_documents().await {
        Ok(damaged) if damaged.is_empty() => {}
        Ok(damaged) => {
            say!("database: {} has {} damaged {}:", db.display(), damaged.len(), if damaged.len() == 1 { "record" } else { "records" });
            for d in &damaged {
                say!("  - {d}");
            }
            say!("{DAMAGED_HINT}");
            return false;
        }
        Err(e) => {
            say!("database: {} can't be read: {e}", db.display());
            return false;
        }
    }
    match store.quarantined().await {
        Ok(q) if q.is_empty() => {}
        Ok(q) => {
            for (community, reason) in &q {
                say!(
                    "database: community {community} was paused after repeated failures ({reason}); the others ran on. \
                     Its records are kept; attune tries it again at the next start."
                );
            }
            return false;
        }
        Err(e) => {
            say!("database: {} can't be read: {e}", db.display());
            return false;
        }
    }
    match store.communities().await {
        Ok(c) => {
            let line = Line::new("cli-doctor-database").text("path", db.display().to_string()).num("count", c.len());
            say!("{}", catalogue.line(&line));
            true
        }
        Err(e) => {
            say!("database: {} can't be read: {e}", db.display());
            false
        }
    }
}
