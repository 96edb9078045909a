//! `attune backup`: a consistent copy of a database, taken while attune runs.
//!
//! The live database is only read, through a read-only connection that takes
//! no ownership, so circles go on while the copy is made. SQLite's `VACUUM
//! INTO` writes one snapshot of it (a read transaction in WAL mode sees no
//! commit that lands meanwhile) into a new file beside the destination; the
//! copy passes SQLite's integrity check before it appears under its name, and
//! an existing file is never replaced. The copy is readable by its owner only:
//! it holds what the database holds (members' ids and settings, never what
//! anyone shared).

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use sqlx::ConnectOptions as _;
use sqlx::Connection as _;

use super::{StoreError, connect_options};

/// Why a backup was not made. In every case the live database is unchanged
/// and nothing is left at the destination.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("there is no database at {0}")]
    NoDatabase(String),
    #[error("{0} is not an attune database")]
    NotAttune(String),
    #[error("{0} already exists, and a backup never replaces a file; choose a new name, or move that file away first")]
    Exists(String),
    #[error("the folder {0} does not exist; create it first, or choose another place for the backup")]
    NoFolder(String),
    #[error("the backup path must be plain text (UTF-8), and {0} is not")]
    NotText(String),
    #[error("the copy could not be written to {path}: {reason}")]
    Write { path: String, reason: String },
    #[error("the database could not be read for the copy: {0}")]
    Read(StoreError),
    #[error("the copy did not pass SQLite's integrity check, so it was removed; try again, and run `attune doctor` if it happens twice")]
    CheckFailed,
}

/// What was written.
#[derive(Clone, Debug)]
pub struct Copied {
    pub path: PathBuf,
    pub bytes: u64,
}

/// Copies the database at `source` to `dest`, a file that must not exist yet.
pub async fn backup(source: &Path, dest: &Path) -> Result<Copied, BackupError> {
    let shown = |p: &Path| p.display().to_string();
    if !source.is_file() {
        return Err(BackupError::NoDatabase(shown(source)));
    }
    if dest.symlink_metadata().is_ok() {
        return Err(BackupError::Exists(shown(dest)));
    }
    let folder = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !folder.is_dir() {
        return Err(BackupError::NoFolder(shown(&folder)));
    }
    let Some(name) = dest.file_name() else {
        return Err(BackupError::Write { path: shown(dest), reason: "it names a folder, not a file".into() });
    };
    // The copy is made under a name of its own beside the destination, so a
    // backup cut short never looks like a finished one.
    let prefix = format!(".{}.partial-", name.to_string_lossy());
    let partial = folder.join(format!("{prefix}{}", std::process::id()));
    remove_abandoned(&folder, &prefix);
    let Some(partial_text) = partial.to_str() else {
        return Err(BackupError::NotText(shown(dest)));
    };
    let write_err = |e: std::io::Error| BackupError::Write { path: shown(dest), reason: e.to_string() };
    // Made empty and private first: SQLite writes into an empty file and keeps its mode.
    std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&partial).map_err(write_err)?;
    let made = copy_and_check(source, &partial, partial_text).await;
    let published = made.and_then(|()| publish(&partial, dest));
    // Whatever happened, the partial file goes (after a publish it is a second name for the copy).
    let _ = std::fs::remove_file(&partial);
    published?;
    let bytes = std::fs::metadata(dest).map(|m| m.len()).map_err(write_err)?;
    Ok(Copied { path: dest.to_path_buf(), bytes })
}

/// Removes partial copies for this destination left by backups that were
/// killed before they could clean up (their process is gone): each is a copy
/// of members' records that nobody will finish or look after.
fn remove_abandoned(folder: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(folder) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix(prefix)).and_then(|p| p.parse::<u32>().ok()) else { continue };
        // A backup still running (this or another process) keeps its file.
        if pid == std::process::id() || Path::new("/proc").join(pid.to_string()).exists() {
            continue;
        }
        if std::fs::remove_file(entry.path()).is_ok() {
            tracing::info!(pid, "removed a partial copy left by a backup that was cut short");
        }
    }
}

async fn copy_and_check(source: &Path, partial: &Path, partial_text: &str) -> Result<(), BackupError> {
    // Read-only and without ownership: the running attune keeps writing meanwhile.
    // No journal mode is set: a read-only connection reads a WAL database as it is,
    // and asking for WAL on a database in another mode would be a write.
    let options =
        sqlx::sqlite::SqliteConnectOptions::new().filename(source).read_only(true).busy_timeout(std::time::Duration::from_secs(5));
    let unreadable = |e: sqlx::Error| match StoreError::from(e) {
        StoreError::Corrupt => BackupError::NotAttune(source.display().to_string()),
        e => BackupError::Read(e),
    };
    let mut live = options.connect().await.map_err(unreadable)?;
    let ours: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('_sqlx_migrations', 'communities')")
            .fetch_one(&mut live)
            .await
            .map_err(unreadable)?;
    if ours != 2 {
        let _ = live.close().await;
        return Err(BackupError::NotAttune(source.display().to_string()));
    }
    let copied = sqlx::query("VACUUM INTO ?").bind(partial_text).execute(&mut live).await;
    let _ = live.close().await;
    copied.map_err(|e| match StoreError::from(e) {
        StoreError::Full => BackupError::Write { path: partial.display().to_string(), reason: "the disk is full".into() },
        e => BackupError::Read(e),
    })?;

    // The copy must read back whole before it is given its name.
    let mut copy = connect_options(partial).create_if_missing(false).connect().await.map_err(|e| BackupError::Read(e.into()))?;
    let verdict: Result<String, _> = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&mut copy).await;
    let _ = copy.close().await;
    if !verdict.is_ok_and(|v| v == "ok") {
        return Err(BackupError::CheckFailed);
    }
    let file = std::fs::OpenOptions::new().append(true).open(partial);
    file.and_then(|mut f| f.flush().and_then(|()| f.sync_all()))
        .map_err(|e| BackupError::Write { path: partial.display().to_string(), reason: e.to_string() })
}

/// Gives the finished copy its name, refusing (atomically) if something has
/// appeared there meanwhile.
fn publish(partial: &Path, dest: &Path) -> Result<(), BackupError> {
    match std::fs::hard_link(partial, dest) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(BackupError::Exists(dest.display().to_string())),
        Err(e) => return Err(BackupError::Write { path: dest.display().to_string(), reason: e.to_string() }),
    }
    // The new name survives a power cut too.
    if let Some(folder) = dest.parent().filter(|p| !p.as_os_str().is_empty())
        && let Ok(dir) = std::fs::File::open(folder)
    {
        let _ = dir.sync_all();
    }
    Ok(())
}
