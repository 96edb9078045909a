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
use attune::core::ids::{CommunityId, MemberRef, Platform};
use attune::core::input::{Actor, Input, Place};
use attune::engine::{Clock, Engine, Outlets, Seed, apply_once};
use attune::platform::console::{self, ConsoleOptions};
use attune::store::Store;
use attune::text::Catalogue;

fn main() -> ExitCode {
    match try_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("attune: {e:#}");
            ExitCode::FAILURE
        }
    }
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
    Store::open(path).await.with_context(|| format!("could not open the database {}", path.display()))
}

async fn dispatch(cmd: Cmd, config: Config) -> anyhow::Result<()> {
    match cmd {
        Cmd::Console(args) => run_console(args, config).await,
        Cmd::Run { db } => run_platforms(&db_path(db, &config), &config).await,
        Cmd::Migrate { db } => {
            let path = db_path(db, &config);
            open_store(&path).await?;
            println!("The database at {} is up to date.", path.display());
            Ok(())
        }
        Cmd::Deck(d) => deck_command(d, &config).await,
        Cmd::Doctor { db } => doctor(&db_path(db, &config), &config).await,
    }
}

async fn run_console(args: ConsoleArgs, config: Config) -> anyhow::Result<()> {
    let defaults = config.content().context("the decks or safety files are invalid")?;
    let store = open_store(&db_path(args.db, &config)).await?;
    let manual = args.clock == ClockArg::Manual;
    let clock = if manual {
        let start = args.start.as_deref().unwrap_or("2026-01-05T18:00:00Z");
        Clock::manual(start.parse().with_context(|| format!("--start {start:?} is not an RFC 3339 time"))?)
    } else {
        Clock::System
    };
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

async fn run_platforms(db: &Path, config: &Config) -> anyhow::Result<()> {
    // Neither adapter is part of this build yet; say so plainly rather than pretend.
    let mut configured = Vec::new();
    if config.discord.enabled {
        configured.push("Discord");
    }
    if config.matrix.enabled {
        configured.push("Matrix");
    }
    open_store(db).await?;
    println!("Database: {} (ready).", db.display());
    println!(
        "Discord: {}, and not built into this version of attune.",
        if config.discord.enabled { "configured" } else { "not configured" }
    );
    println!("Matrix: {}, and not built into this version of attune.", if config.matrix.enabled { "configured" } else { "not configured" });
    if configured.is_empty() {
        bail!("no platform is configured and built in, so there is nothing to run; try `attune console` for a local circle");
    }
    bail!("{} configured, but this build has no adapter for it yet; try `attune console` for a local circle", configured.join(" and "))
}

async fn deck_command(cmd: DeckCmd, config: &Config) -> anyhow::Result<()> {
    match cmd {
        DeckCmd::Validate { files } => {
            if files.is_empty() {
                bail!("name one or more deck files, e.g. attune deck validate config/decks/*.toml");
            }
            let mut bad = 0;
            for f in &files {
                let src = std::fs::read_to_string(f).with_context(|| format!("could not read {}", f.display()))?;
                match deck::parse_file(&src) {
                    Ok(d) => {
                        println!("{}: ok — deck {} with {} cards and {} practices", f.display(), d.name, d.cards.len(), d.practices.len());
                        println!("  {}", deck::counts(&d));
                    }
                    Err(e) => {
                        bad += 1;
                        println!("{}: {e}", f.display());
                    }
                }
            }
            if bad > 0 {
                bail!("{bad} of {} deck files have problems; nothing was imported", files.len());
            }
            Ok(())
        }
        DeckCmd::Import { file, community, db } => {
            let content = std::fs::read_to_string(&file).with_context(|| format!("could not read {}", file.display()))?;
            let community = CommunityId::from_key(&community).map_err(|_| anyhow::anyhow!("{community:?} is not a valid community id"))?;
            let store = open_store(&db_path(db, config)).await?;
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
                    println!("{}", catalogue.render(&message));
                }
            }
            if failed {
                bail!("the deck was not imported");
            }
            Ok(())
        }
        DeckCmd::Export { name, community, out, db } => {
            let community = CommunityId::from_key(&community).map_err(|_| anyhow::anyhow!("{community:?} is not a valid community id"))?;
            let store = open_store(&db_path(db, config)).await?;
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
                    println!("Wrote deck {name} to {}.", path.display());
                }
                None => print!("{text}"),
            }
            Ok(())
        }
    }
}

/// What `doctor` says about crisis signposting: which locales are checked, and what is not.
fn safety_lines(defaults: &attune::engine::Defaults) {
    let (signals, excepts) = defaults.phrases.counts();
    let locales = defaults.phrases.locales().join(", ");
    println!("crisis rules: ok ({signals} signal patterns, {excepts} exceptions; locales: {locales})");
    println!(
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
            println!(
                "warning: community {} uses the default crisis resources card; a moderator can name local help with /resources set TEXT",
                id.key()
            );
        }
    }
    Ok(())
}

async fn doctor(db: &Path, config: &Config) -> anyhow::Result<()> {
    println!("config: ok (time zone {}, log level {})", config.community.timezone, config.log.level);
    let defaults = config.content().context("decks or safety files")?;
    let cards: usize = defaults.decks.iter().map(|d| d.cards.len()).sum();
    println!(
        "decks: ok ({} decks, {cards} cards); resources card: {} characters",
        defaults.decks.len(),
        defaults.resources.chars().count()
    );
    safety_lines(&defaults);
    Catalogue::english().context("the message catalogue")?;
    println!("messages: ok");
    let store = open_store(db).await?;
    store.check().await.context("database integrity check")?;
    println!("database: ok ({}, {} communities)", db.display(), store.communities().await?.len());
    default_card_lines(&store, &defaults.resources).await?;
    println!("discord: not built into this version");
    println!("matrix: not built into this version");
    Ok(())
}
