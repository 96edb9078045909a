//! SQLite through sqlx. Core types travel as JSON documents with a format
//! version, and the store alone maps them to rows (no core type derives
//! `FromRow`). One `commit` writes everything a batch of inputs changed in a
//! single transaction, before any effect leaves.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use jiff::Timestamp;
use sqlx::Row;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use crate::core::circle::Circle;
use crate::core::deck::Deck;
use crate::core::ids::{ChannelId, CommunityId, MemberRef};
use crate::core::member::Member;
use crate::core::state::{Community, Dirty, State};

mod check;
mod console;
mod export;

pub use check::Damaged;

/// Why the store couldn't do what was asked. The bot reports these and keeps
/// what it had: a failed commit leaves the database as it was.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database is busy (locked by another process)")]
    Locked,
    #[error("the disk or database is full")]
    Full,
    #[error("the database file is read-only, and attune needs to write to it")]
    ReadOnly,
    #[error("the database file is damaged or not an attune database")]
    Corrupt,
    /// The reason is kept as text, not as a chained source, so it is said once.
    #[error("could not open the database at {path}: {reason}")]
    Open { path: String, reason: String },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Names the damaged record but never quotes it: stored text stays out of messages and logs.
    #[error("the stored {what} {key} is damaged and can't be read")]
    Decode { what: &'static str, key: String },
    #[error("a document could not be written: {0}")]
    Encode(serde_json::Error),
    #[error("a stored {what} was written by a newer attune (format {found}; this build reads up to {FORMAT})")]
    TooNew { what: &'static str, found: i64 },
    #[error("the database {path} is in use by another attune process; stop it first (one process owns a database)")]
    InUse { path: String },
    #[error("database error: {0}")]
    Other(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            // SQLite primary result codes, as text: 5 BUSY, 6 LOCKED, 8 READONLY, 13 FULL, 11 CORRUPT, 26 NOTADB.
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            let primary = code.parse::<i64>().map(|c| c & 0xff).unwrap_or(-1);
            return match primary {
                5 | 6 => StoreError::Locked,
                8 => StoreError::ReadOnly,
                13 => StoreError::Full,
                11 | 26 => StoreError::Corrupt,
                _ => StoreError::Other(e),
            };
        }
        StoreError::Other(e)
    }
}

fn decode<T: serde::de::DeserializeOwned>(what: &'static str, key: impl std::fmt::Display, doc: &str) -> Result<T, StoreError> {
    serde_json::from_str(doc).map_err(|_| StoreError::Decode { what, key: key.to_string() })
}

fn encode<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(StoreError::Encode)
}

/// Everything stored for one community.
#[derive(Debug)]
pub struct Loaded {
    pub community: Community,
    pub decks: Vec<Deck>,
    pub members: Vec<(MemberRef, Member)>,
    pub circles: Vec<Circle>,
    /// Records that could not be read and were left out.
    pub damaged: Vec<Damaged>,
}

/// A delivery that must survive a crash between its commit and its hand-off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pending {
    /// The crisis resources card offered after a match.
    Crisis { member: MemberRef },
    /// A member's page to the moderators.
    Support { member: MemberRef, display: String },
}

impl Pending {
    pub fn member(&self) -> &MemberRef {
        match self {
            Pending::Crisis { member } | Pending::Support { member, .. } => member,
        }
    }
}

/// One thing an adapter changed to hold the floor, and what it was before.
/// `target` and `original` are the adapter's own encoding (e.g. a Discord
/// overwrite as JSON); the store keeps them opaque.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FloorHold {
    pub channel: ChannelId,
    pub target: String,
    pub original: String,
}

#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    _owner: Arc<Owner>,
    commits: Arc<AtomicU64>,
}

/// The pragmas every attune connection uses (also used by the benchmark's raw baseline).
pub fn connect_options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // In WAL mode NORMAL is durable across process crashes; only power loss can drop the last commit.
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5))
        .foreign_keys(true)
        // Deleted rows are overwritten with zeros, so forgotten data doesn't linger in free pages.
        .pragma("secure_delete", "ON")
}

/// The format this build writes stored documents in. Loading upgrades older
/// formats (see [`upgrade`]) and refuses newer ones rather than misread them.
pub const FORMAT: i64 = 2;

/// Upgrades a stored document from `format` to [`FORMAT`]. Fields added since
/// take their defaults through serde; only changed meanings need a step here.
pub fn upgrade(what: &'static str, format: i64, mut doc: serde_json::Value) -> Result<serde_json::Value, StoreError> {
    if format > FORMAT {
        return Err(StoreError::TooNew { what, found: format });
    }
    if format < 2 {
        // Format 1 (release 0.1.0): community and channel ids had no platform; all were console ids.
        let field = match what {
            "community" => Some("id"),
            "circle" => Some("channel"),
            _ => None,
        };
        if let Some(field) = field
            && let Some(serde_json::Value::String(id)) = doc.get_mut(field)
            && !["console:", "discord:", "matrix:"].iter().any(|p| id.starts_with(p))
        {
            *id = format!("console:{id}");
        }
    }
    Ok(doc)
}

fn decode_doc<T: serde::de::DeserializeOwned>(
    what: &'static str,
    key: impl std::fmt::Display,
    format: i64,
    doc: &str,
) -> Result<T, StoreError> {
    let value: serde_json::Value = decode(what, &key, doc)?;
    serde_json::from_value(upgrade(what, format, value)?).map_err(|_| StoreError::Decode { what, key: key.to_string() })
}

/// The lock that makes one process the owner of a database: an exclusive
/// `flock` on the database file itself, held until the store is closed.
/// SQLite's own locks are `fcntl` locks, which are independent of it, so
/// nothing else changes and no side file is left behind.
#[derive(Debug, Default)]
pub(super) struct Owner {
    file: std::sync::Mutex<Option<std::fs::File>>,
}

pub(super) fn take_ownership(path: &Path, create: bool) -> Result<Owner, StoreError> {
    let io = |e: std::io::Error| StoreError::Open { path: path.display().to_string(), reason: e.to_string() };
    // An empty file is an empty SQLite database; an existing one is opened as it is.
    let file = std::fs::OpenOptions::new().create(create).truncate(false).read(true).write(create).open(path).map_err(io)?;
    match file.try_lock() {
        Ok(()) => Ok(Owner { file: std::sync::Mutex::new(Some(file)) }),
        Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::InUse { path: path.display().to_string() }),
        Err(std::fs::TryLockError::Error(e)) => Err(io(e)),
    }
}

impl Store {
    /// Opens (creating if needed) the database, takes ownership of it (one
    /// process per database), and applies migrations.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Open { path: path.display().to_string(), reason: e.to_string() })?;
        }
        let owner = take_ownership(path, true)?;
        let pool =
            SqlitePoolOptions::new().max_connections(4).connect_with(connect_options(path)).await.map_err(
                |source| match StoreError::from(source) {
                    StoreError::Other(source) => StoreError::Open { path: path.display().to_string(), reason: source.to_string() },
                    other => other,
                },
            )?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self { pool, _owner: Arc::new(owner), commits: Arc::new(AtomicU64::new(0)) })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// How many transactions `commit` has opened (for tests of "no change, no transaction").
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    pub async fn communities(&self) -> Result<Vec<CommunityId>, StoreError> {
        let rows = sqlx::query("SELECT id FROM communities ORDER BY id").fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("id")?;
                CommunityId::from_key(&id).map_err(|_| StoreError::Corrupt)
            })
            .collect()
    }

    /// The communities that keep a record of this member.
    pub async fn communities_of(&self, who: &MemberRef) -> Result<Vec<CommunityId>, StoreError> {
        let rows =
            sqlx::query("SELECT community FROM members WHERE member = ? ORDER BY community").bind(who.key()).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("community")?;
                CommunityId::from_key(&id).map_err(|_| StoreError::Corrupt)
            })
            .collect()
    }

    /// Everything stored for a community. With `since`, ended circles are
    /// loaded only if they ended after it (live circles always are): a running
    /// bot needs live circles and recent pulses, not months of history.
    ///
    /// A damaged deck, member or circle is left out and named in
    /// [`Loaded::damaged`]; a damaged community record fails the whole load.
    pub async fn load(&self, id: &CommunityId, since: Option<Timestamp>) -> Result<Option<Loaded>, StoreError> {
        let cid = id.key();
        let Some(row) = sqlx::query("SELECT doc, format FROM communities WHERE id = ?").bind(&cid).fetch_optional(&self.pool).await? else {
            return Ok(None);
        };
        let community: Community = decode_doc("community", &cid, row.try_get("format")?, &row.try_get::<String, _>("doc")?)?;
        let mut damaged = Vec::new();
        let mut decks = Vec::new();
        for r in
            sqlx::query("SELECT name, doc, format FROM decks WHERE community = ? ORDER BY name").bind(&cid).fetch_all(&self.pool).await?
        {
            match decode_doc::<Deck>("deck", r.try_get::<String, _>("name")?, r.try_get("format")?, &r.try_get::<String, _>("doc")?) {
                Ok(d) => decks.push(d),
                Err(_) => damaged.push(Damaged { what: "deck", community: cid.clone(), key: r.try_get("name")? }),
            }
        }
        let mut members = Vec::new();
        for r in sqlx::query("SELECT member, doc, format FROM members WHERE community = ?").bind(&cid).fetch_all(&self.pool).await? {
            let key: String = r.try_get("member")?;
            let decoded = MemberRef::try_from(key.clone())
                .map_err(|_| StoreError::Corrupt)
                .and_then(|who| Ok((who, decode_doc::<Member>("member", &key, r.try_get("format")?, &r.try_get::<String, _>("doc")?)?)));
            match decoded {
                Ok(m) => members.push(m),
                Err(_) => damaged.push(Damaged { what: "member", community: cid.clone(), key }),
            }
        }
        let mut circles = Vec::new();
        let query = match since {
            Some(_) => {
                "SELECT id, doc, format FROM circles WHERE community = ? AND (live = 1 OR ended_at IS NULL OR ended_at >= ?) ORDER BY id"
            }
            None => "SELECT id, doc, format FROM circles WHERE community = ? AND ? IS NULL ORDER BY id",
        };
        for r in sqlx::query(query).bind(&cid).bind(since.map(|t| t.as_second())).fetch_all(&self.pool).await? {
            match decode_doc::<Circle>("circle", r.try_get::<i64, _>("id")?, r.try_get("format")?, &r.try_get::<String, _>("doc")?) {
                Ok(c) => circles.push(c),
                Err(_) => damaged.push(Damaged { what: "circle", community: cid.clone(), key: r.try_get::<i64, _>("id")?.to_string() }),
            }
        }
        Ok(Some(Loaded { community, decks, members, circles, damaged }))
    }

    /// Records that a community was quarantined (for `attune doctor`).
    pub async fn quarantine(&self, id: &CommunityId, reason: &str, at: Timestamp) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO quarantine (community, since, reason) VALUES (?, ?, ?) ON CONFLICT(community) DO UPDATE SET since = excluded.since, reason = excluded.reason")
            .bind(id.key())
            .bind(at.as_second())
            .bind(reason)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Clears a community's quarantine record once it loads again.
    pub async fn release(&self, id: &CommunityId) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM quarantine WHERE community = ?").bind(id.key()).execute(&self.pool).await?;
        Ok(())
    }

    /// Quarantined communities with the kind of failure.
    pub async fn quarantined(&self) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query("SELECT community, reason FROM quarantine ORDER BY community").fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok((r.try_get("community")?, r.try_get("reason")?))).collect()
    }

    /// Records, before an adapter changes it, what `target` (a permission
    /// overwrite, a power level, a voice mute) was in `channel`, so it can be
    /// put back after the turn, the circle, or a crash. A thing already held
    /// keeps its first original: holding again never overwrites what it was
    /// before attune touched it.
    pub async fn hold_floor(&self, channel: &ChannelId, target: &str, original: &str, at: Timestamp) -> Result<(), StoreError> {
        sqlx::query("INSERT OR IGNORE INTO floor_holds (platform, channel, target, original, held_at) VALUES (?, ?, ?, ?, ?)")
            .bind(channel.platform().as_str())
            .bind(channel.key())
            .bind(target)
            .bind(original)
            .bind(at.as_second())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// What attune changed in a channel and must restore, with the original values.
    pub async fn floor_holds(&self, channel: &ChannelId) -> Result<Vec<FloorHold>, StoreError> {
        let rows = sqlx::query("SELECT target, original FROM floor_holds WHERE channel = ? ORDER BY target")
            .bind(channel.key())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok(FloorHold { channel: channel.clone(), target: r.try_get("target")?, original: r.try_get("original")? }))
            .collect()
    }

    /// Everything held on a platform (after a crash, the adapter restores these at start).
    pub async fn floor_holds_on(&self, platform: crate::core::ids::Platform) -> Result<Vec<FloorHold>, StoreError> {
        let rows = sqlx::query("SELECT channel, target, original FROM floor_holds WHERE platform = ? ORDER BY channel, target")
            .bind(platform.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let channel: String = r.try_get("channel")?;
                Ok(FloorHold {
                    channel: ChannelId::from_key(&channel).map_err(|_| StoreError::Corrupt)?,
                    target: r.try_get("target")?,
                    original: r.try_get("original")?,
                })
            })
            .collect()
    }

    /// Forgets a hold once the adapter has put the original back.
    pub async fn release_floor(&self, channel: &ChannelId, target: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM floor_holds WHERE channel = ? AND target = ?")
            .bind(channel.key())
            .bind(target)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Whether a platform event was already applied.
    pub async fn seen(&self, community: &CommunityId, event: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 FROM processed_events WHERE community = ? AND event_id = ?")
            .bind(community.key())
            .bind(event)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// Writes everything in `dirty` (and the processed event ids) in one transaction.
    pub async fn commit(&self, state: &State, dirty: &Dirty, events: &[String], now: Timestamp) -> Result<(), StoreError> {
        self.commit_with_outbox(state, dirty, events, &[], now).await.map(|_| ())
    }

    /// Like [`Store::commit`], and records `outbox` entries in the same
    /// transaction; returns their sequence numbers, for [`Store::outbox_done`].
    pub async fn commit_with_outbox(
        &self,
        state: &State,
        dirty: &Dirty,
        events: &[String],
        outbox: &[Pending],
        now: Timestamp,
    ) -> Result<Vec<i64>, StoreError> {
        let cid_key = state.community.id.key();
        let cid = cid_key.as_str();
        self.commits.fetch_add(1, Ordering::Relaxed);
        let mut tx = self.pool.begin().await?;
        // A community is written whole when it is created (the engine marks it dirty then), so
        // later commits only touch it when it changed.
        if dirty.community {
            sqlx::query("INSERT INTO communities (id, doc, updated_at, format) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at, format = excluded.format")
                .bind(cid)
                .bind(encode(&state.community)?)
                .bind(now.as_second())
                .bind(FORMAT)
                .execute(&mut *tx)
                .await?;
        }
        for name in &dirty.decks {
            match state.decks.get(name) {
                Some(deck) => {
                    sqlx::query("INSERT INTO decks (community, name, doc, format) VALUES (?, ?, ?, ?) ON CONFLICT(community, name) DO UPDATE SET doc = excluded.doc, format = excluded.format")
                        .bind(cid)
                        .bind(name.as_str())
                        .bind(encode(deck)?)
                        .bind(FORMAT)
                        .execute(&mut *tx)
                        .await?;
                }
                None => {
                    sqlx::query("DELETE FROM decks WHERE community = ? AND name = ?")
                        .bind(cid)
                        .bind(name.as_str())
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        for who in &dirty.members {
            if let Some(m) = state.members.get(who) {
                sqlx::query("INSERT INTO members (community, member, doc, format) VALUES (?, ?, ?, ?) ON CONFLICT(community, member) DO UPDATE SET doc = excluded.doc, format = excluded.format")
                    .bind(cid)
                    .bind(who.key())
                    .bind(encode(m)?)
                    .bind(FORMAT)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        for id in &dirty.circles {
            match state.circles.get(id) {
                Some(c) => {
                    sqlx::query(
                        "INSERT INTO circles (community, id, channel, phase, live, ended_at, doc, format) VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
                         ON CONFLICT(community, id) DO UPDATE SET channel = excluded.channel, phase = excluded.phase, live = excluded.live, ended_at = excluded.ended_at, doc = excluded.doc, format = excluded.format",
                    )
                    .bind(cid)
                    .bind(id.0 as i64)
                    .bind(c.channel.key())
                    .bind(c.phase.as_str())
                    .bind(c.is_live())
                    .bind(c.ended_at.map(|t| t.as_second()))
                    .bind(encode(c)?)
                    .bind(FORMAT)
                    .execute(&mut *tx)
                    .await?;
                }
                None => {
                    sqlx::query("DELETE FROM circles WHERE community = ? AND id = ?").bind(cid).bind(id.0 as i64).execute(&mut *tx).await?;
                }
            }
        }
        for a in &dirty.audit {
            sqlx::query("INSERT INTO audit (community, at, actor, action, target, circle) VALUES (?, ?, ?, ?, ?, ?)")
                .bind(cid)
                .bind(a.at.as_second())
                .bind(a.actor.key())
                .bind(&a.action)
                .bind(a.target.as_deref())
                .bind(a.circle.map(|c| c.0 as i64))
                .execute(&mut *tx)
                .await?;
        }
        if let Some(cutoff) = dirty.purge_audit_before {
            sqlx::query("DELETE FROM audit WHERE community = ? AND at < ?").bind(cid).bind(cutoff.as_second()).execute(&mut *tx).await?;
            // Ended circles past retention, including those a running bot never loaded.
            sqlx::query("DELETE FROM circles WHERE community = ? AND live = 0 AND ended_at < ?")
                .bind(cid)
                .bind(cutoff.as_second())
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM processed_events WHERE community = ? AND at < ?")
                .bind(cid)
                .bind(cutoff.as_second())
                .execute(&mut *tx)
                .await?;
        }
        for who in &dirty.forgotten {
            let key = who.key();
            sqlx::query("DELETE FROM members WHERE community = ? AND member = ?").bind(cid).bind(&key).execute(&mut *tx).await?;
            // The console's moderator, if it was them, is a record about them too.
            sqlx::query("DELETE FROM console_state WHERE value = ?").bind(&key).execute(&mut *tx).await?;
            sqlx::query("UPDATE audit SET actor = 'forgotten' WHERE community = ? AND actor = ?")
                .bind(cid)
                .bind(&key)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE audit SET target = 'forgotten' WHERE community = ? AND target = ?")
                .bind(cid)
                .bind(&key)
                .execute(&mut *tx)
                .await?;
        }
        for e in events {
            sqlx::query("INSERT OR IGNORE INTO processed_events (community, event_id, at) VALUES (?, ?, ?)")
                .bind(cid)
                .bind(e)
                .bind(now.as_second())
                .execute(&mut *tx)
                .await?;
        }
        let mut seqs = Vec::with_capacity(outbox.len());
        for p in outbox {
            let (kind, display) = match p {
                Pending::Crisis { .. } => ("crisis", None),
                Pending::Support { display, .. } => ("support", Some(display.as_str())),
            };
            let row = sqlx::query("INSERT INTO outbox (community, member, kind, display, at) VALUES (?, ?, ?, ?, ?) RETURNING seq")
                .bind(cid)
                .bind(p.member().key())
                .bind(kind)
                .bind(display)
                .bind(now.as_second())
                .fetch_one(&mut *tx)
                .await?;
            seqs.push(row.try_get::<i64, _>("seq")?);
        }
        tx.commit().await?;
        if !dirty.forgotten.is_empty() {
            // Older copies of the forgotten member's rows live on in the write-ahead log until a
            // checkpoint; copy it back (secure_delete zeroes the freed space) and empty it now.
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&self.pool).await?;
        }
        Ok(seqs)
    }

    /// Forgets outbox entries once their deliveries were handed on.
    pub async fn outbox_done(&self, seqs: &[i64]) -> Result<(), StoreError> {
        for seq in seqs {
            sqlx::query("DELETE FROM outbox WHERE seq = ?").bind(seq).execute(&self.pool).await?;
        }
        Ok(())
    }

    /// A community's outbox entries that were committed but never handed on (after a crash).
    pub async fn outbox(&self, community: &CommunityId) -> Result<Vec<(i64, Pending)>, StoreError> {
        let rows = sqlx::query("SELECT seq, member, kind, display FROM outbox WHERE community = ? ORDER BY seq")
            .bind(community.key())
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let seq: i64 = r.try_get("seq")?;
            let key: String = r.try_get("member")?;
            let Ok(member) = MemberRef::try_from(key) else { continue };
            let kind: String = r.try_get("kind")?;
            let pending = match kind.as_str() {
                "crisis" => Pending::Crisis { member },
                "support" => Pending::Support { member, display: r.try_get::<Option<String>, _>("display")?.unwrap_or_default() },
                _ => continue,
            };
            out.push((seq, pending));
        }
        Ok(out)
    }

    /// Closes every connection, which checkpoints and removes the write-ahead log,
    /// then gives up ownership of the database.
    pub async fn close(&self) {
        self.pool.close().await;
        if let Ok(mut f) = self._owner.file.lock() {
            f.take();
        }
    }

    /// Checks the database answers and is intact (for `attune doctor`).
    pub async fn check(&self) -> Result<String, StoreError> {
        let row = sqlx::query("PRAGMA quick_check").fetch_one(&self.pool).await?;
        let result: String = row.try_get(0)?;
        if result == "ok" { Ok(result) } else { Err(StoreError::Corrupt) }
    }
}

#[cfg(test)]
mod tests;
