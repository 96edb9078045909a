//! SQLite through sqlx. The store owns its row structs; core types travel
//! as JSON documents inside them. One `commit` writes everything a batch of
//! inputs changed in a single transaction, before any effect leaves.

use std::path::Path;
use std::time::Duration;

use jiff::Timestamp;
use sqlx::Row;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use crate::core::circle::Circle;
use crate::core::deck::Deck;
use crate::core::ids::{CommunityId, MemberRef};
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

fn encode<T: serde::Serialize>(value: &T) -> String {
    // Core types are plain data (strings, numbers, maps with string keys); serialising them cannot fail.
    serde_json::to_string(value).unwrap_or_default()
}

/// Everything stored for one community.
#[derive(Debug)]
pub struct Loaded {
    pub community: Community,
    pub decks: Vec<Deck>,
    pub members: Vec<(MemberRef, Member)>,
    pub circles: Vec<Circle>,
}

#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
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

impl Store {
    /// Opens (creating if needed) the database and applies migrations.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Open { path: path.display().to_string(), reason: e.to_string() })?;
        }
        let pool =
            SqlitePoolOptions::new().max_connections(4).connect_with(connect_options(path)).await.map_err(
                |source| match StoreError::from(source) {
                    StoreError::Other(source) => StoreError::Open { path: path.display().to_string(), reason: source.to_string() },
                    other => other,
                },
            )?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self { pool })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub async fn communities(&self) -> Result<Vec<CommunityId>, StoreError> {
        let rows = sqlx::query("SELECT id FROM communities ORDER BY id").fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("id")?;
                CommunityId::parse(&id).map_err(|_| StoreError::Corrupt)
            })
            .collect()
    }

    pub async fn load(&self, id: &CommunityId) -> Result<Option<Loaded>, StoreError> {
        let Some(row) = sqlx::query("SELECT doc FROM communities WHERE id = ?").bind(id.as_str()).fetch_optional(&self.pool).await? else {
            return Ok(None);
        };
        let community: Community = decode("community", id.as_str(), &row.try_get::<String, _>("doc")?)?;
        let mut decks = Vec::new();
        for r in
            sqlx::query("SELECT name, doc FROM decks WHERE community = ? ORDER BY name").bind(id.as_str()).fetch_all(&self.pool).await?
        {
            decks.push(decode::<Deck>("deck", r.try_get::<String, _>("name")?, &r.try_get::<String, _>("doc")?)?);
        }
        let mut members = Vec::new();
        for r in sqlx::query("SELECT member, doc FROM members WHERE community = ?").bind(id.as_str()).fetch_all(&self.pool).await? {
            let key: String = r.try_get("member")?;
            let member = decode::<Member>("member", &key, &r.try_get::<String, _>("doc")?)?;
            let who = MemberRef::try_from(key.clone()).map_err(|_| StoreError::Decode { what: "member", key })?;
            members.push((who, member));
        }
        let mut circles = Vec::new();
        for r in sqlx::query("SELECT id, doc FROM circles WHERE community = ? ORDER BY id").bind(id.as_str()).fetch_all(&self.pool).await? {
            circles.push(decode::<Circle>("circle", r.try_get::<i64, _>("id")?, &r.try_get::<String, _>("doc")?)?);
        }
        Ok(Some(Loaded { community, decks, members, circles }))
    }

    /// Whether a platform event was already applied.
    pub async fn seen(&self, community: &CommunityId, event: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 FROM processed_events WHERE community = ? AND event_id = ?")
            .bind(community.as_str())
            .bind(event)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// Writes everything in `dirty` (and the processed event ids) in one transaction.
    pub async fn commit(&self, state: &State, dirty: &Dirty, events: &[String], now: Timestamp) -> Result<(), StoreError> {
        let cid = state.community.id.as_str();
        let mut tx = self.pool.begin().await?;
        // A community is written whole when it is created (the engine marks it dirty then), so
        // later commits only touch it when it changed.
        if dirty.community {
            sqlx::query("INSERT INTO communities (id, doc, updated_at) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at")
                .bind(cid)
                .bind(encode(&state.community))
                .bind(now.as_second())
                .execute(&mut *tx)
                .await?;
        }
        for name in &dirty.decks {
            match state.decks.get(name) {
                Some(deck) => {
                    sqlx::query("INSERT INTO decks (community, name, doc) VALUES (?, ?, ?) ON CONFLICT(community, name) DO UPDATE SET doc = excluded.doc")
                        .bind(cid)
                        .bind(name.as_str())
                        .bind(encode(deck))
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
                sqlx::query("INSERT INTO members (community, member, doc) VALUES (?, ?, ?) ON CONFLICT(community, member) DO UPDATE SET doc = excluded.doc")
                    .bind(cid)
                    .bind(who.key())
                    .bind(encode(m))
                    .execute(&mut *tx)
                    .await?;
            }
        }
        for id in &dirty.circles {
            match state.circles.get(id) {
                Some(c) => {
                    sqlx::query(
                        "INSERT INTO circles (community, id, channel, phase, live, ended_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?) \
                         ON CONFLICT(community, id) DO UPDATE SET channel = excluded.channel, phase = excluded.phase, live = excluded.live, ended_at = excluded.ended_at, doc = excluded.doc",
                    )
                    .bind(cid)
                    .bind(id.0 as i64)
                    .bind(c.channel.as_str())
                    .bind(c.phase.as_str())
                    .bind(c.is_live())
                    .bind(c.ended_at.map(|t| t.as_second()))
                    .bind(encode(c))
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
        tx.commit().await?;
        if !dirty.forgotten.is_empty() {
            // Older copies of the forgotten member's rows live on in the write-ahead log until a
            // checkpoint; copy it back (secure_delete zeroes the freed space) and empty it now.
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&self.pool).await?;
        }
        Ok(())
    }

    /// Closes every connection, which checkpoints and removes the write-ahead log.
    pub async fn close(&self) {
        self.pool.close().await;
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
