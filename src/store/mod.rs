//! SQLite through sqlx. Core types travel as JSON documents with a format
//! version, and the store alone maps them to rows (no core type derives
//! `FromRow`). One `commit` writes everything a batch of inputs changed in a
//! single transaction, before any effect leaves.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use jiff::Timestamp;
use sqlx::Row;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use crate::core::circle::{Circle, TurnRecord};
use crate::core::deck::Deck;
use crate::core::deck::layer::{self, Stored};
use crate::core::ids::{ChannelId, CircleId, CommunityId, MemberRef};
use crate::core::member::Member;
use crate::core::state::{Community, Dirty, State};

mod backup;
mod check;
mod console;
mod export;
mod listings;
mod private_rooms;

pub use backup::{BackupError, Copied, backup};
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
    /// The community's deck rows: its changes to the shipped decks. The decks it
    /// sees are [`StoredDecks::over`] the shipped ones.
    pub decks: StoredDecks,
    pub members: BTreeMap<MemberRef, Member>,
    /// By id, built as the rows are read (no second copy of every circle on the way).
    pub circles: BTreeMap<CircleId, Box<Circle>>,
    /// Records that could not be read and were left out.
    pub damaged: Vec<Damaged>,
    /// Of those, the circles that were still running: their number and the
    /// channel they ran in, so the people there can be told.
    pub interrupted: Vec<(i64, ChannelId)>,
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

/// A community's stored deck rows, by deck name.
#[derive(Clone, Debug, Default)]
pub struct StoredDecks {
    pub rows: Vec<(String, Stored)>,
    /// Written before format 3, when a community kept a full copy of every deck;
    /// a shipped deck without a row was then removed by its moderators.
    pub legacy: bool,
}

impl StoredDecks {
    /// The decks the community sees: `shipped` with its changes on top.
    pub fn over(&self, shipped: &[Deck]) -> Vec<Deck> {
        layer::effective(shipped, self.rows.clone(), self.legacy)
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

/// Circles read per query when loading a community.
const LOAD_PAGE: i64 = 1000;

/// The format this build writes stored documents in. Loading upgrades older
/// formats (see [`upgrade`]) and refuses newer ones rather than misread them.
///
/// - 1: release 0.1.0.
/// - 2: community and channel ids carry their platform.
/// - 3: a circle's turn log is kept in `turns`, one row per turn, not in its document.
pub const FORMAT: i64 = 3;

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
    // Format 2 → 3: migration 0014 moved every embedded turn log to `turns`. A circle
    // document that still carries one is read with it, and the next commit of that
    // circle appends the entries `turns` lacks and writes the document without it.
    Ok(doc)
}

fn decode_doc<T: serde::de::DeserializeOwned>(
    what: &'static str,
    key: impl std::fmt::Display,
    format: i64,
    doc: &str,
) -> Result<T, StoreError> {
    if format == FORMAT {
        // The current format needs no upgrade, so it is read straight into its type. Going
        // through a generic JSON tree first was most of a restart's time with many circles.
        return decode(what, &key, doc);
    }
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
        let community_format: i64 = row.try_get("format")?;
        let community: Community = decode_doc("community", &cid, community_format, &row.try_get::<String, _>("doc")?)?;
        let mut damaged = Vec::new();
        let mut decks = StoredDecks { rows: Vec::new(), legacy: community_format < 3 };
        for r in
            sqlx::query("SELECT name, doc, format FROM decks WHERE community = ? ORDER BY name").bind(&cid).fetch_all(&self.pool).await?
        {
            let (name, format, doc): (String, i64, String) = (r.try_get("name")?, r.try_get("format")?, r.try_get("doc")?);
            // Before format 3 a row was a full copy of the deck; since, the community's changes.
            let stored = if format < 3 {
                decode_doc::<Deck>("deck", &name, format, &doc).map(Stored::Full)
            } else {
                decode_doc::<layer::Changes>("deck", &name, format, &doc).map(Stored::Changes)
            };
            match stored {
                Ok(d) => decks.rows.push((name, d)),
                Err(_) => damaged.push(Damaged { what: "deck", community: cid.clone(), key: name }),
            }
        }
        // Ids read below share their text, as they do once cloned while running.
        let mut interner = crate::core::ids::Interner::default();
        // Members a page at a time, like circles below.
        let mut members = Vec::new();
        let fetch = |after: String| {
            sqlx::query("SELECT member, doc, format FROM members WHERE community = ? AND member > ? ORDER BY member LIMIT ?")
                .bind(cid.as_str())
                .bind(after)
                .bind(LOAD_PAGE)
                .fetch_all(&self.pool)
        };
        in_pages(
            fetch,
            String::new(),
            |r| r.try_get("member"),
            |r| {
                let key: String = r.try_get("member")?;
                let decoded = interner.with(|| {
                    MemberRef::try_from(key.clone()).map_err(|_| StoreError::Corrupt).and_then(|who| {
                        Ok((who, decode_doc::<Member>("member", &key, r.try_get("format")?, r.try_get::<&str, _>("doc")?)?))
                    })
                });
                match decoded {
                    Ok(m) => members.push(m),
                    Err(_) => damaged.push(Damaged { what: "member", community: cid.clone(), key }),
                }
                Ok(())
            },
        )
        .await?;
        // Into the map the state keeps, now, while little else is in memory. Built from the
        // whole list at once its nodes are full; inserted one by one they would be about
        // half empty (with 200,000 members, about 50 MB more).
        let members: BTreeMap<MemberRef, Member> = members.into_iter().collect();
        let mut circles = BTreeMap::new();
        let mut interrupted = Vec::new();
        let mut live_rows = std::collections::HashSet::new();
        // The turns that wait in a live circle's own row, after those in `turns`.
        let mut recents: HashMap<i64, Vec<TurnRecord>> = HashMap::new();
        let query = match since {
            Some(_) => {
                "SELECT id, doc, format, live, channel, recent FROM circles WHERE community = ? AND (live = 1 OR ended_at IS NULL OR ended_at >= ?) AND id > ? ORDER BY id LIMIT ?"
            }
            None => {
                "SELECT id, doc, format, live, channel, recent FROM circles WHERE community = ? AND ? IS NULL AND id > ? ORDER BY id LIMIT ?"
            }
        };
        // A page at a time, so that the raw documents of a big community and its decoded
        // circles are never all in memory at once.
        let since_secs = since.map(|t| t.as_second());
        let fetch = |after: i64| sqlx::query(query).bind(cid.as_str()).bind(since_secs).bind(after).bind(LOAD_PAGE).fetch_all(&self.pool);
        in_pages(
            fetch,
            i64::MIN,
            |r| r.try_get("id"),
            |r| {
                let after: i64 = r.try_get("id")?;
                // The row's own flag, not the document's phase: a circle set aside stays unread.
                let live: bool = r.try_get("live")?;
                if live {
                    live_rows.insert(after);
                }
                let format = r.try_get("format")?;
                let (recent, doc) = (r.try_get::<Option<&str>, _>("recent")?, r.try_get::<&str, _>("doc")?);
                let (circle, recent) = interner.with(|| {
                    let recent = match recent {
                        Some(doc) => decode_doc::<Vec<TurnRecord>>("turn", after, format, doc).map(Some),
                        None => Ok(None),
                    };
                    (decode_doc::<Circle>("circle", after, format, doc), recent)
                });
                match (circle, recent) {
                    (Ok(c), Ok(recent)) => {
                        if let Some(recent) = recent {
                            recents.insert(after, recent);
                        }
                        circles.insert(c.id, Box::new(c));
                    }
                    _ => {
                        damaged.push(Damaged { what: "circle", community: cid.clone(), key: after.to_string() });
                        if let (true, Ok(channel)) = (live, ChannelId::from_key(&r.try_get::<String, _>("channel")?)) {
                            interrupted.push((after, channel));
                        }
                    }
                }
                Ok(())
            },
        )
        .await?;
        let mut logs = self.turns_of(&cid, since).await?;
        circles.retain(|_, c| match logs.remove(&(c.id.0 as i64)) {
            Some(Ok(log)) => {
                c.log = log;
                c.log.extend(recents.remove(&(c.id.0 as i64)).unwrap_or_default());
                true
            }
            Some(Err(())) => {
                damaged.push(Damaged { what: "circle", community: cid.clone(), key: c.id.0.to_string() });
                if live_rows.contains(&(c.id.0 as i64)) {
                    interrupted.push((c.id.0 as i64, c.channel.clone()));
                }
                false
            }
            None => {
                c.log.extend(recents.remove(&(c.id.0 as i64)).unwrap_or_default());
                true
            }
        });
        Ok(Some(Loaded { community, decks, members, circles, damaged, interrupted }))
    }

    /// Marks a damaged circle that was running as over, so it isn't announced
    /// or kept in memory again. Its record stays as it is for `attune doctor`.
    pub async fn set_aside_circle(&self, community: &CommunityId, circle: i64, now: Timestamp) -> Result<(), StoreError> {
        sqlx::query("UPDATE circles SET live = 0, ended_at = COALESCE(ended_at, ?) WHERE community = ? AND id = ?")
            .bind(now.as_second())
            .bind(community.key())
            .bind(circle)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The stored turn logs of the circles [`Store::load`] loads, per circle; `Err` for a
    /// circle with an unreadable turn (the circle is then left out as damaged).
    async fn turns_of(&self, cid: &str, since: Option<Timestamp>) -> Result<HashMap<i64, Result<Vec<TurnRecord>, ()>>, StoreError> {
        let query = match since {
            Some(_) => {
                // CROSS JOIN keeps the circles outside: only the turns of loaded circles are read,
                // not every turn the community ever had.
                "SELECT t.circle, t.doc, t.format FROM circles c CROSS JOIN turns t ON t.community = c.community AND t.circle = c.id \
                 WHERE c.community = ? AND (c.live = 1 OR c.ended_at IS NULL OR c.ended_at >= ?) ORDER BY c.id, t.seq"
            }
            None => "SELECT circle, doc, format FROM turns WHERE community = ? AND ? IS NULL ORDER BY circle, seq",
        };
        let mut logs: HashMap<i64, Result<Vec<TurnRecord>, ()>> = HashMap::new();
        for r in sqlx::query(query).bind(cid).bind(since.map(|t| t.as_second())).fetch_all(&self.pool).await? {
            let turn =
                decode_doc::<TurnRecord>("turn", r.try_get::<i64, _>("circle")?, r.try_get("format")?, &r.try_get::<String, _>("doc")?);
            let log = logs.entry(r.try_get("circle")?).or_insert_with(|| Ok(Vec::new()));
            match (log, turn) {
                (Ok(log), Ok(turn)) => log.push(turn),
                (log, _) => *log = Err(()),
            }
        }
        Ok(logs)
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

    /// The community's newest audit entries, newest first (the moderator page's care view).
    /// An entry whose actor can't be read back is left out.
    pub async fn audit_recent(&self, id: &CommunityId, most: u32) -> Result<Vec<crate::core::state::AuditEntry>, StoreError> {
        let rows = sqlx::query("SELECT at, actor, action, target, circle FROM audit WHERE community = ? ORDER BY seq DESC LIMIT ?")
            .bind(id.key())
            .bind(i64::from(most))
            .fetch_all(&self.pool)
            .await?;
        let mut entries = Vec::with_capacity(rows.len());
        for r in rows {
            let (at, actor): (i64, String) = (r.try_get("at")?, r.try_get("actor")?);
            let (Ok(at), Ok(actor)) = (Timestamp::from_second(at), MemberRef::from_key(&actor)) else { continue };
            let circle: Option<i64> = r.try_get("circle")?;
            entries.push(crate::core::state::AuditEntry {
                at,
                actor,
                action: r.try_get("action")?,
                target: r.try_get("target")?,
                circle: circle.and_then(|c| u64::try_from(c).ok()).map(crate::core::ids::CircleId),
            });
        }
        Ok(entries)
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
        // A deck row holds only how the community's deck differs from the shipped one;
        // a deck the community sees as shipped has no row.
        for name in &dirty.decks {
            let shipped = state.shipped.iter().find(|d| &d.name == name);
            match layer::diff(shipped, state.decks.get(name)) {
                Some(changes) => {
                    sqlx::query("INSERT INTO decks (community, name, doc, format) VALUES (?, ?, ?, ?) ON CONFLICT(community, name) DO UPDATE SET doc = excluded.doc, format = excluded.format")
                        .bind(cid)
                        .bind(name.as_str())
                        .bind(encode(&changes)?)
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
                    // A live circle's few newest turns wait in its own row, so a turn's end
                    // rewrites one page; they move to `turns` together (see `RECENT_MAX`).
                    let stored = stored_turns(&mut tx, cid, c).await?;
                    let new = c.log.get(stored..).unwrap_or_default();
                    let keep = c.is_live() && new.len() < RECENT_MAX;
                    let recent = if keep && !new.is_empty() { Some(encode(&new)?) } else { None };
                    sqlx::query(
                        "INSERT INTO circles (community, id, channel, phase, live, ended_at, doc, format, recent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
                         ON CONFLICT(community, id) DO UPDATE SET channel = excluded.channel, phase = excluded.phase, live = excluded.live, ended_at = excluded.ended_at, doc = excluded.doc, format = excluded.format, recent = excluded.recent",
                    )
                    .bind(cid)
                    .bind(id.0 as i64)
                    .bind(c.channel.key())
                    .bind(c.phase.as_str())
                    .bind(c.is_live())
                    .bind(c.ended_at.map(|t| t.as_second()))
                    .bind(encode(c)?)
                    .bind(FORMAT)
                    .bind(recent)
                    .execute(&mut *tx)
                    .await?;
                    if !keep {
                        insert_turns(&mut tx, cid, c, stored).await?;
                    }
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
            // So is the private room attune opened with them (a Matrix DM).
            sqlx::query("DELETE FROM private_rooms WHERE community = ? AND member = ?").bind(cid).bind(&key).execute(&mut *tx).await?;
            forget_in_stored_circles(&mut tx, state, who).await?;
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

    /// Whether the database takes writes now: a write transaction is begun
    /// and rolled back (nothing is written). Waits for a running commit, up
    /// to the busy timeout.
    pub async fn writable(&self) -> bool {
        let Ok(mut conn) = self.pool.acquire().await else { return false };
        let begun = sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await.is_ok();
        if begun {
            let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
        }
        begun
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

/// Reads rows a page of [`LOAD_PAGE`] at a time, `fetch(after)` giving the rows
/// whose key (`key_of`) follows `after`, and hands each to `each`: the raw rows
/// of a big community are never all in memory at once.
async fn in_pages<K, Fut>(
    fetch: impl Fn(K) -> Fut,
    first: K,
    key_of: impl Fn(&sqlx::sqlite::SqliteRow) -> Result<K, sqlx::Error>,
    mut each: impl FnMut(&sqlx::sqlite::SqliteRow) -> Result<(), StoreError>,
) -> Result<(), StoreError>
where
    Fut: std::future::Future<Output = Result<Vec<sqlx::sqlite::SqliteRow>, sqlx::Error>>,
{
    let mut after = first;
    loop {
        let rows = fetch(after).await?;
        for r in &rows {
            each(r)?;
        }
        match rows.last() {
            Some(last) if rows.len() == LOAD_PAGE as usize => after = key_of(last)?,
            _ => return Ok(()),
        }
    }
}

/// How many finished turns of a live circle wait in its row (the `recent` column) before
/// they move to `turns` together. A turn's end then rewrites only the circle's page, and
/// the row stays well inside one page: eight records are about 1.4 KB.
const RECENT_MAX: usize = 8;

/// How many of a circle's turns `turns` holds. Turn records are only ever appended
/// (forget-me rewrites the speaker in place), so this is where the rest of its log begins.
async fn stored_turns(tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>, cid: &str, c: &Circle) -> Result<usize, StoreError> {
    let stored: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq) + 1, 0) FROM turns WHERE community = ? AND circle = ?")
        .bind(cid)
        .bind(c.id.0 as i64)
        .fetch_one(&mut **tx)
        .await?;
    Ok(usize::try_from(stored).unwrap_or(0))
}

/// Appends the turns of a circle's log from `from` on to `turns`.
async fn insert_turns(tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>, cid: &str, c: &Circle, from: usize) -> Result<(), StoreError> {
    let id = c.id.0 as i64;
    for (seq, turn) in c.log.iter().enumerate().skip(from) {
        sqlx::query("INSERT INTO turns (community, circle, seq, speaker, doc, format) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(cid)
            .bind(id)
            .bind(seq as i64)
            .bind(turn.speaker.key())
            .bind(encode(turn)?)
            .bind(FORMAT)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Forget-me for what a running bot has not loaded: the member's turns become the
/// stand-in's, and every stored circle that names them (ended ones older than the
/// load window included) gets the same treatment as a loaded one
/// ([`crate::core::privacy::forget_in`]). Loaded circles were already changed in memory
/// and are written with the rest of the commit.
async fn forget_in_stored_circles(tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>, state: &State, who: &MemberRef) -> Result<(), StoreError> {
    let cid = state.community.id.key();
    let key = who.key();
    let ghost = crate::core::privacy::ghost(who.platform());
    sqlx::query("UPDATE turns SET speaker = ?, doc = json_set(doc, '$.speaker', ?) WHERE community = ? AND speaker = ?")
        .bind(ghost.key())
        .bind(ghost.key())
        .bind(&cid)
        .bind(&key)
        .execute(&mut **tx)
        .await?;
    // The member's reference as it appears in a document, quotes included, so that
    // `console:al` never matches `console:alice`.
    let quoted = encode(&key)?;
    let rows = sqlx::query("SELECT id, doc, format FROM circles WHERE community = ? AND instr(doc, ?) > 0")
        .bind(&cid)
        .bind(&quoted)
        .fetch_all(&mut **tx)
        .await?;
    for r in rows {
        let id: i64 = r.try_get("id")?;
        if state.circles.keys().any(|c| c.0 as i64 == id) {
            continue;
        }
        let Ok(mut c) = decode_doc::<Circle>("circle", id, r.try_get("format")?, &r.try_get::<String, _>("doc")?) else {
            // A damaged record must not stop forget-me: the member's reference in it becomes
            // the stand-in's, as text.
            sqlx::query("UPDATE circles SET doc = replace(doc, ?, ?) WHERE community = ? AND id = ?")
                .bind(&quoted)
                .bind(encode(&ghost.key())?)
                .bind(&cid)
                .bind(id)
                .execute(&mut **tx)
                .await?;
            continue;
        };
        crate::core::privacy::forget_in(&mut c, who);
        sqlx::query("UPDATE circles SET doc = ?, format = ? WHERE community = ? AND id = ?")
            .bind(encode(&c)?)
            .bind(FORMAT)
            .bind(&cid)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        // A document that still carried its log (see `upgrade`) leaves it behind here; keep
        // its entries, anonymised, in `turns`.
        let stored = stored_turns(tx, &cid, &c).await?;
        insert_turns(tx, &cid, &c, stored).await?;
    }
    // Turns that still wait in the row of a circle not loaded here (one set aside as damaged).
    let rows = sqlx::query("SELECT id, recent, format FROM circles WHERE community = ? AND instr(recent, ?) > 0")
        .bind(&cid)
        .bind(&quoted)
        .fetch_all(&mut **tx)
        .await?;
    for r in rows {
        let id: i64 = r.try_get("id")?;
        if state.circles.keys().any(|c| c.0 as i64 == id) {
            continue;
        }
        let raw: String = r.try_get("recent")?;
        let rewritten = match decode_doc::<Vec<TurnRecord>>("turn", id, r.try_get("format")?, &raw) {
            Ok(mut recent) => {
                for t in recent.iter_mut().filter(|t| &t.speaker == who) {
                    t.speaker = ghost.clone();
                }
                encode(&recent)?
            }
            // Damaged: the member's reference becomes the stand-in's, as text.
            Err(_) => raw.replace(&quoted, &encode(&ghost.key())?),
        };
        sqlx::query("UPDATE circles SET recent = ? WHERE community = ? AND id = ?")
            .bind(rewritten)
            .bind(&cid)
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod turn_tests;
