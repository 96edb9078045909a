//! `attune run`: the platforms enabled in the configuration, over one engine
//! and one database, until SIGINT or SIGTERM; and each adapter's options from
//! its section of the configuration.

use std::path::Path;

use anyhow::Context;

use attune::config::Config;
use attune::core::ids::Platform;
use attune::engine::{Clock, Engine, Outlets, Seed};
use attune::platform::console;
use attune::platform::{Fatal, Link};

use super::open_store;

/// How `attune run` describes a platform: configured or not, built in or not.
fn platform_state(enabled: bool, built: bool) -> &'static str {
    match (enabled, built) {
        (true, true) => "configured, starting",
        (false, true) => "not configured (built in; set enabled = true in its section to use it)",
        (true, false) => "configured, and not built into this version of attune",
        (false, false) => "not configured, and not built into this version of attune",
    }
}

pub(super) async fn run_platforms(db: &Path, config: &Config) -> anyhow::Result<()> {
    let discord_built = cfg!(feature = "discord");
    let matrix_built = cfg!(feature = "matrix");
    say!("Discord: {}.", platform_state(config.discord.enabled, discord_built));
    say!("Matrix: {}.", platform_state(config.matrix.enabled, matrix_built));
    let discord = config.discord.enabled && discord_built;
    let matrix = config.matrix.enabled && matrix_built;
    if discord || matrix {
        return serve_until_done(db, config, discord, matrix).await;
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
    let what = if configured.is_empty() {
        "no platform is configured and built in, so there is nothing to run".to_owned()
    } else {
        format!("{} configured, but this build has no adapter for it", configured.join(" and "))
    };
    Err(Fatal::needs_operator(what, "try `attune console` for a local circle").into())
}

/// How many times `attune run` starts again in the same process, within
/// [`AGAIN_WINDOW`], when a platform mended a refusal itself (Matrix signed in
/// again after a soft logout); more than that ends it with exit 75.
const AGAIN_AT_MOST: usize = 3;
const AGAIN_WINDOW: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// Serves until a stop signal or a platform can't go on; when a platform mended
/// its refusal itself, everything stops in order and starts again here.
async fn serve_until_done(db: &Path, config: &Config, discord: bool, matrix: bool) -> anyhow::Result<()> {
    if discord && config.discord_token.expose().trim().is_empty() {
        return Err(Fatal::needs_operator(
            "Discord is enabled, but ATTUNE_DISCORD_TOKEN is not set",
            "set it in attune's environment (the token is read from there only)",
        )
        .into());
    }
    let defaults = config.content().context("the decks or safety files are invalid")?;
    // The recorder goes in before the engine starts, so resumed circles are counted.
    // The listener's port is taken first: one in use stops everything before it starts.
    let mut metrics = match config.server.listen_addr() {
        Some(addr) => {
            let bound = attune::ops::bind(addr)
                .await
                .map_err(|e| Fatal::needs_operator(e.to_string(), "choose a free address and port in server.listen, or leave it out"))?;
            Some((addr, Some(bound), attune::ops::install_recorder()?))
        }
        None => None,
    };
    // One listener for SIGINT and SIGTERM for the whole run: a signal that comes while
    // attune starts again in this process still stops it.
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let listener = tokio::spawn(async move {
        console::stop_signal().await;
        let _ = stop_tx.send(true);
    });
    let result = serve_in_turn(db, config, &defaults, discord, matrix, &mut metrics, stop).await;
    listener.abort();
    result
}

/// What a listening address, its bound socket (taken before the first start) and
/// the metrics handle are, between starts.
type Metrics = Option<(std::net::SocketAddr, Option<attune::ops::Bound>, metrics_exporter_prometheus::PrometheusHandle)>;

async fn serve_in_turn(
    db: &Path,
    config: &Config,
    defaults: &attune::engine::Defaults,
    discord: bool,
    matrix: bool,
    metrics: &mut Metrics,
    stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let mut again: Vec<std::time::Instant> = Vec::new();
    loop {
        let ops = match metrics {
            Some((addr, bound, handle)) => {
                let bound = match bound.take() {
                    Some(b) => b,
                    None => attune::ops::bind(*addr).await.map_err(|e| {
                        Fatal::restart(e.to_string(), "the listener's port was taken while attune started again; start it again")
                    })?,
                };
                Some((bound, handle.clone()))
            }
            None => None,
        };
        let result = serve(db, config, defaults.clone(), discord, matrix, ops, stop.clone()).await;
        let Err(e) = &result else { return result };
        let Some(fatal) = e.chain().find_map(|c| c.downcast_ref::<Fatal>()).filter(|f| f.start_again) else { return result };
        if *stop.borrow() {
            // Asked to stop meanwhile: everything is already stopped and saved.
            return Ok(());
        }
        again.retain(|t| t.elapsed() < AGAIN_WINDOW);
        if again.len() >= AGAIN_AT_MOST {
            return Err(Fatal::restart(
                format!("{} ({AGAIN_AT_MOST} times in {} minutes)", fatal.what, AGAIN_WINDOW.as_secs() / 60),
                "attune stopped instead of starting again at once; a service manager starts it again after a pause",
            )
            .into());
        }
        again.push(std::time::Instant::now());
        tracing::warn!(what = %fatal.what, "starting again in this process");
    }
}

/// Runs the enabled adapters over one engine until SIGINT or SIGTERM, or until
/// a platform can't go on.
async fn serve(
    db: &Path,
    config: &Config,
    defaults: attune::engine::Defaults,
    discord: bool,
    matrix: bool,
    metrics: Option<(attune::ops::Bound, metrics_exporter_prometheus::PrometheusHandle)>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let store = open_store(db).await?;
    let mut outlets = Outlets::new();
    let discord_rx = discord.then(|| outlets.add(Platform::Discord));
    let matrix_rx = matrix.then(|| outlets.add(Platform::Matrix));
    let (engine, mut resumed) =
        Engine::start(store, Clock::System, defaults, Seed::Random, outlets).await.context("could not start the engine")?;
    // Each adapter tells its platform's circles that attune is back; circles of a platform
    // this process doesn't serve (a console community in the same database, Matrix in a
    // Discord-only run) are not told anything, and their timers run from now.
    let for_matrix = matrix_rx.is_some().then(|| resumed.take(Platform::Matrix));
    let for_discord = discord_rx.is_some().then(|| resumed.take(Platform::Discord));
    drop(resumed);
    // An adapter that can't start stops what already started, so the database is
    // closed (and its lock released) when `attune run` ends or starts again.
    let matrix = match matrix_rx.zip(for_matrix) {
        Some((rx, resumed)) => match start_matrix(db, config, engine.clone(), resumed, rx).await {
            Ok(m) => Some(m),
            Err(e) => {
                engine.shutdown().await;
                return Err(e);
            }
        },
        None => None,
    };
    let discord = match discord_rx.zip(for_discord) {
        Some((rx, resumed)) => match start_discord(config, engine.clone(), resumed, rx).await {
            Ok(d) => Some(d),
            Err(e) => {
                stop_all(matrix, None, &engine).await;
                return Err(e);
            }
        },
        None => None,
    };
    let links: Vec<Link> = matrix.iter().map(|m| m.link()).chain(discord.iter().map(|d| d.link())).collect();
    // The moderator page, where it is on: each platform says who its members are.
    let page = match config.server.page_url().filter(|_| metrics.is_some()) {
        Some(url) => {
            let mut vouches: Vec<(Platform, std::sync::Arc<dyn attune::platform::Vouch>)> = Vec::new();
            vouches.extend(matrix.iter().map(|m| (Platform::Matrix, m.vouch())));
            vouches.extend(discord.iter().map(|d| (Platform::Discord, d.vouch())));
            let passes = engine.open_page(url);
            match attune::web::router(engine.clone(), passes, vouches) {
                Ok(router) => Some(router),
                Err(e) => {
                    stop_all(matrix, discord, &engine).await;
                    return Err(anyhow::Error::new(e).context("the moderator page could not start"));
                }
            }
        }
        None => None,
    };
    let ops = metrics.map(|(bound, handle)| attune::ops::serve(bound, handle, engine.clone(), links, page));
    let platforms: Vec<&str> = [(matrix.is_some(), "matrix"), (discord.is_some(), "discord")].iter().filter(|p| p.0).map(|p| p.1).collect();
    let at_start = engine.summary();
    tracing::info!(
        platforms = %platforms.join(","),
        communities = at_start.communities,
        live_circles = at_start.live_circles,
        scheduled_circles = at_start.scheduled_circles,
        listen = ?ops.as_ref().map(|o| o.addr()),
        "attune is running"
    );
    // Runs until a stop signal, or until a platform can't go on: then everything
    // stops in the same order, and the process ends with that platform's exit code.
    let fatal = tokio::select! {
        _ = stop.wait_for(|asked| *asked) => None,
        f = async { match &matrix { Some(m) => m.fatal().await, None => std::future::pending().await } } => Some(f),
        f = async { match &discord { Some(d) => d.fatal().await, None => std::future::pending().await } } => Some(f),
    };
    let at_stop = engine.summary();
    stop_all(matrix, discord, &engine).await;
    if let Some(listening) = ops {
        listening.stop().await;
    }
    tracing::info!(
        communities = at_stop.communities,
        live_circles = at_stop.live_circles,
        scheduled_circles = at_stop.scheduled_circles,
        reason = if fatal.is_some() { "a platform can't go on" } else { "asked to stop" },
        "attune stopped; everything it applied is saved"
    );
    match fatal {
        Some(f) => Err(anyhow::Error::new(f)),
        None => Ok(()),
    }
}

/// Stops the adapters in order, then the engine (committing everything).
async fn stop_all(matrix: Option<MatrixRunning>, discord: Option<DiscordRunning>, engine: &Engine) {
    // Matrix first: its sync stops before the engine stops taking input, so no event
    // is marked as handled that the engine did not apply.
    if let Some(m) = matrix {
        m.stop().await;
    }
    if let Some(d) = discord {
        d.stop().await;
    }
    engine.shutdown().await;
}

#[cfg(feature = "matrix")]
type MatrixRunning = attune::platform::matrix::Running;
#[cfg(not(feature = "matrix"))]
type MatrixRunning = NotBuilt;
#[cfg(feature = "discord")]
type DiscordRunning = attune::platform::discord::Running;
#[cfg(not(feature = "discord"))]
type DiscordRunning = NotBuilt;

/// The Discord adapter's options from the configuration (the token from the environment).
#[cfg(feature = "discord")]
pub(super) fn discord_options(config: &Config) -> attune::platform::discord::DiscordOptions {
    attune::platform::discord::DiscordOptions::new(config.discord_token.expose(), config.discord.clone())
}

#[cfg(feature = "discord")]
async fn start_discord(
    config: &Config,
    engine: Engine,
    resumed: attune::engine::Resumed,
    rx: tokio::sync::mpsc::Receiver<attune::engine::Outgoing>,
) -> anyhow::Result<attune::platform::discord::Running> {
    attune::platform::discord::start(engine, resumed, rx, discord_options(config))
        .await
        .map_err(|e| anyhow::Error::new(attune::platform::Fatal::from(e)).context("the Discord adapter could not start"))
}

#[cfg(not(feature = "discord"))]
async fn start_discord(
    _config: &Config,
    _engine: Engine,
    _resumed: attune::engine::Resumed,
    _rx: tokio::sync::mpsc::Receiver<attune::engine::Outgoing>,
) -> anyhow::Result<NotBuilt> {
    anyhow::bail!("this build of attune has no Discord adapter")
}

#[cfg(feature = "matrix")]
async fn start_matrix(
    db: &Path,
    config: &Config,
    engine: Engine,
    resumed: attune::engine::Resumed,
    rx: tokio::sync::mpsc::Receiver<attune::engine::Outgoing>,
) -> anyhow::Result<attune::platform::matrix::Running> {
    use attune::platform::matrix;
    let options = matrix_options(db, config);
    matrix::start(engine, resumed, rx, options)
        .await
        .map_err(|e| anyhow::Error::new(attune::platform::Fatal::from(e)).context("the Matrix adapter could not start"))
}

#[cfg(not(feature = "matrix"))]
async fn start_matrix(
    _db: &Path,
    _config: &Config,
    _engine: Engine,
    _resumed: attune::engine::Resumed,
    _rx: tokio::sync::mpsc::Receiver<attune::engine::Outgoing>,
) -> anyhow::Result<NotBuilt> {
    anyhow::bail!("this build of attune has no Matrix adapter")
}

/// The Matrix adapter's options: the `[matrix]` section, the secrets from the
/// environment, and the database's path (the store directory is beside it unless
/// configured).
#[cfg(feature = "matrix")]
pub(super) fn matrix_options(db: &Path, config: &Config) -> attune::platform::matrix::MatrixOptions {
    let mut options = attune::platform::matrix::MatrixOptions::new(
        config.matrix.clone(),
        config.matrix_password.expose(),
        config.matrix_access_token.expose(),
        db,
    );
    options.store_passphrase = config.matrix_store_passphrase.expose().to_owned();
    options
}

/// Stands in for an adapter that is not built in; never made.
#[cfg(any(not(feature = "discord"), not(feature = "matrix")))]
struct NotBuilt;

#[cfg(any(not(feature = "discord"), not(feature = "matrix")))]
impl NotBuilt {
    async fn stop(self) {}

    async fn fatal(&self) -> attune::platform::Fatal {
        std::future::pending().await
    }

    fn link(&self) -> Link {
        Link::new(attune::core::ids::Platform::Console)
    }

    fn vouch(&self) -> std::sync::Arc<dyn attune::platform::Vouch> {
        std::sync::Arc::new(attune::platform::Nobody)
    }
}
