//! What `attune doctor` asks of a database: open it without creating or
//! changing anything, run SQLite's full integrity check, and read back every
//! stored document, naming each one that is damaged (never echoing its text).

use std::path::Path;

use sqlx::Row;
use sqlx::sqlite::SqlitePoolOptions;

use super::{Store, StoreError, connect_options};
use crate::core::circle::{Circle, TurnRecord};
use crate::core::deck::Deck;
use crate::core::ids::MemberRef;
use crate::core::member::Member;
use crate::core::state::Community;

/// One stored record that could not be read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Damaged {
    /// `community`, `deck`, `member` or `circle`.
    pub what: &'static str,
    pub community: String,
    /// The record's key within its community (deck name, member key, circle number).
    pub key: String,
}

impl std::fmt::Display for Damaged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.what {
            "community" => write!(f, "the record of community {}", self.community),
            what => write!(f, "{what} {} in community {}", self.key, self.community),
        }
    }
}

impl Store {
    /// Opens an existing database as it is: no file or folder is created and no migration runs.
    /// Like `open`, it takes ownership, so it says the database is in use rather than read
    /// it while a running attune writes.
    pub async fn open_existing(path: &Path) -> Result<Self, StoreError> {
        let owner = super::take_ownership(path, false)?;
        // Read-only: doctor changes nothing, not even a checkpoint of a crash's write-ahead log.
        let options = connect_options(path).create_if_missing(false).read_only(true);
        let pool =
            SqlitePoolOptions::new().max_connections(1).connect_with(options).await.map_err(|source| match StoreError::from(source) {
                StoreError::Other(source) => StoreError::Open { path: path.display().to_string(), reason: source.to_string() },
                other => other,
            })?;
        Ok(Self { pool, _owner: std::sync::Arc::new(owner), commits: std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0)) })
    }

    /// SQLite's full integrity check; `Ok(())` when it says "ok".
    pub async fn integrity(&self) -> Result<(), StoreError> {
        let rows = sqlx::query("PRAGMA integrity_check").fetch_all(self.pool()).await?;
        let ok = rows.first().and_then(|r| r.try_get::<String, _>(0).ok()).is_some_and(|s| s == "ok");
        if ok { Ok(()) } else { Err(StoreError::Corrupt) }
    }

    /// How many of attune's migrations this database has not had yet.
    pub async fn pending_migrations(&self) -> Result<usize, StoreError> {
        let known = sqlx::migrate!("./migrations").iter().count();
        let table: Option<String> = sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'")
            .fetch_optional(self.pool())
            .await?;
        if table.is_none() {
            return Ok(known);
        }
        let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success = 1").fetch_one(self.pool()).await?;
        Ok(known.saturating_sub(usize::try_from(applied).unwrap_or(0)))
    }

    /// Reads back every stored document and returns the ones that can't be read.
    pub async fn damaged_documents(&self) -> Result<Vec<Damaged>, StoreError> {
        self.damaged_documents_in(None).await
    }

    /// The same, for one community only (the moderator page's care view): only its rows are read.
    pub async fn damaged_documents_in(&self, only: Option<&crate::core::ids::CommunityId>) -> Result<Vec<Damaged>, StoreError> {
        let only = only.map(|c| c.key());
        let mut damaged = Vec::new();
        let mut scan = |what: &'static str, community: String, key: String, ok: bool| {
            if !ok {
                damaged.push(Damaged { what, community, key });
            }
        };
        for r in sqlx::query("SELECT id, doc FROM communities WHERE ?1 IS NULL OR id = ?1").bind(&only).fetch_all(self.pool()).await? {
            let (id, doc): (String, String) = (r.try_get("id")?, r.try_get("doc")?);
            scan("community", id.clone(), id, serde_json::from_str::<Community>(&doc).is_ok());
        }
        for r in sqlx::query("SELECT community, name, doc, format FROM decks WHERE ?1 IS NULL OR community = ?1")
            .bind(&only)
            .fetch_all(self.pool())
            .await?
        {
            let (doc, format): (String, i64) = (r.try_get("doc")?, r.try_get("format")?);
            // Before format 3 a row was a whole deck; since, the community's changes to it.
            let ok = if format < 3 {
                serde_json::from_str::<Deck>(&doc).is_ok()
            } else {
                serde_json::from_str::<crate::core::deck::layer::Changes>(&doc).is_ok()
            };
            scan("deck", r.try_get("community")?, r.try_get("name")?, ok);
        }
        for r in sqlx::query("SELECT community, member, doc FROM members WHERE ?1 IS NULL OR community = ?1")
            .bind(&only)
            .fetch_all(self.pool())
            .await?
        {
            let (key, doc): (String, String) = (r.try_get("member")?, r.try_get("doc")?);
            let ok = MemberRef::try_from(key.clone()).is_ok() && serde_json::from_str::<Member>(&doc).is_ok();
            scan("member", r.try_get("community")?, key, ok);
        }
        for r in sqlx::query("SELECT community, id, doc, recent FROM circles WHERE ?1 IS NULL OR community = ?1")
            .bind(&only)
            .fetch_all(self.pool())
            .await?
        {
            let (id, doc, recent): (i64, String, Option<String>) = (r.try_get("id")?, r.try_get("doc")?, r.try_get("recent")?);
            let recent_ok = recent.is_none_or(|t| serde_json::from_str::<Vec<TurnRecord>>(&t).is_ok());
            scan("circle", r.try_get("community")?, id.to_string(), serde_json::from_str::<Circle>(&doc).is_ok() && recent_ok);
        }
        Ok(damaged)
    }
}
