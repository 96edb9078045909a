//! The binary's commands, one module each: `console` (a local community in
//! this terminal), `run` (the platforms over one engine), `deck` (deck files in
//! and out of a community), `doctor` (checks that change nothing); `migrate`
//! is small enough to live here, with what they share (the database path,
//! opening the store, printing a line).

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use attune::cli::Cmd;
use attune::config::Config;
use attune::store::{Store, StoreError};

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

mod console;
mod deck;
mod doctor;
mod run;

/// Said after an error about a damaged record, and by `doctor`.
pub(crate) const DAMAGED_HINT: &str = "Nothing was changed. `attune doctor --db PATH` lists every damaged record; decks that are \
still intact can be saved with `attune deck export NAME --community ID --db PATH --out FILE`.";

pub(crate) fn db_path(arg: Option<PathBuf>, config: &Config) -> PathBuf {
    arg.unwrap_or_else(|| config.database.path.clone())
}

pub(crate) async fn open_store(path: &Path) -> anyhow::Result<Store> {
    Store::open(path).await.map_err(|e| match e {
        // Already names the file.
        StoreError::Open { .. } => anyhow::Error::new(e),
        e => anyhow::Error::new(e).context(format!("the database {} can't be used", path.display())),
    })
}

pub(crate) async fn dispatch(cmd: Cmd, config: Config) -> anyhow::Result<()> {
    match cmd {
        Cmd::Console(args) => console::run_console(args, config).await,
        Cmd::Run { db } => run::run_platforms(&db_path(db, &config), &config).await,
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
        Cmd::Backup { path, db } => {
            let source = db_path(db, &config);
            let copied = attune::store::backup(&source, &path)
                .await
                .with_context(|| format!("no backup was made of {}; the database is unchanged", source.display()))?;
            say!(
                "Backed up {} to {} ({} KiB). `attune doctor --db {}` checks it; README, \"Operating attune\", shows how to restore it.",
                source.display(),
                copied.path.display(),
                copied.bytes.div_ceil(1024),
                copied.path.display()
            );
            Ok(())
        }
        Cmd::Deck(d) => deck::deck_command(d, &config).await,
        Cmd::Doctor { db } => doctor::doctor(&db_path(db, &config), &config).await,
        Cmd::MatrixResetIdentity { db } => reset_matrix_identity(&db_path(db, &config), &config).await,
    }
}

/// `attune matrix-reset-identity`: only while attune is stopped (the database's
/// lock says whether it runs), since it uses attune's own Matrix stores.
#[cfg(feature = "matrix")]
async fn reset_matrix_identity(db: &Path, config: &Config) -> anyhow::Result<()> {
    let store = open_store(db).await.context("attune must be stopped first: it uses the same Matrix stores")?;
    let options = run::matrix_options(db, config);
    let result = attune::platform::matrix::reset_identity(&options).await;
    store.close().await;
    let device = result.map_err(|e| anyhow::Error::new(attune::platform::Fatal::from(e)))?;
    say!(
        "Done: {} has a new cross-signing identity, and attune's device {device} is signed by it. \
         Moderators who verified attune before see that its identity changed: verify it again (Element: attune's profile → Sessions → attune → Verify).",
        config.matrix.user
    );
    Ok(())
}

#[cfg(not(feature = "matrix"))]
async fn reset_matrix_identity(_db: &Path, _config: &Config) -> anyhow::Result<()> {
    Err(attune::platform::Fatal::needs_operator("this build of attune has no Matrix adapter", "build it with the matrix feature").into())
}
