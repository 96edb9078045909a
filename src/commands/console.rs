//! `attune console`: a local community in this terminal, on the real or a manual clock.

use anyhow::{Context, bail};

use attune::cli::{ClockArg, ConsoleArgs};
use attune::config::Config;
use attune::core::ids::Platform;
use attune::engine::{Clock, Engine, Outlets, Seed};
use attune::platform::console::{self, ConsoleOptions};
use attune::store::Store;

use super::{db_path, open_store};

pub(super) async fn run_console(args: ConsoleArgs, config: Config) -> anyhow::Result<()> {
    let defaults = config.content().context("the decks or safety files are invalid")?;
    let manual = args.clock == ClockArg::Manual;
    if !manual && args.start.is_some() {
        bail!("--start sets the manual clock; add --clock manual, or leave --start out to use the real time");
    }
    // A bad --start is refused before anything is opened or created.
    let given = args.start.as_deref().map(parse_start).transpose()?;
    // The listener's port is taken first: one in use stops the console before it starts.
    let listen = match config.server.listen_addr() {
        Some(addr) => Some((
            attune::ops::bind(addr).await.context("choose a free address and port in server.listen, or leave it out")?,
            attune::ops::install_recorder()?,
        )),
        None => None,
    };
    let store = open_store(&db_path(args.db, &config)).await?;
    let clock = if manual { Clock::manual(manual_start(given, &store).await?) } else { Clock::System };
    let seed = match args.seed {
        Some(n) => Seed::Fixed(n),
        None if manual => Seed::Fixed(0),
        None => Seed::Random,
    };
    let (outlets, rx) = Outlets::single(Platform::Console);
    let (engine, resumed) = Engine::start(store, clock, defaults, seed, outlets).await.context("could not start the engine")?;
    let roster = std::sync::Arc::new(console::Roster::default());
    let listening = match listen {
        Some((bound, handle)) => {
            let page = match config.server.page_url() {
                Some(url) => {
                    let passes = engine.open_page(url);
                    let vouch: std::sync::Arc<dyn attune::platform::Vouch> = roster.clone();
                    Some(attune::web::router(engine.clone(), passes, vec![(Platform::Console, vouch)])?)
                }
                None => None,
            };
            let on = page.is_some();
            let listening = attune::ops::serve(bound, handle, engine.clone(), Vec::new(), page);
            tracing::info!(addr = %listening.addr(), moderator_page = on, "the console's listener is serving");
            Some(listening)
        }
        None => None,
    };
    let options = ConsoleOptions { moderators: args.moderators, hosts: args.hosts, json: args.json, manual_clock: manual, roster };
    let ran = console::run(engine, resumed, rx, options).await.context("the console stopped");
    if let Some(l) = listening {
        l.stop().await;
    }
    ran?;
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
