//! The console adapter's own small record: its moderator and its manual clock,
//! so a restart of the same database carries on where it was.

use jiff::Timestamp;
use sqlx::Row;

use super::{Store, StoreError};
use crate::core::ids::MemberRef;

const MODERATOR: &str = "moderator";
const CLOCK: &str = "manual-clock";

impl Store {
    /// The member who claimed the console's moderator role, if anyone has.
    pub async fn console_moderator(&self) -> Result<Option<MemberRef>, StoreError> {
        let Some(value) = self.console_get(MODERATOR).await? else { return Ok(None) };
        MemberRef::try_from(value).map(Some).map_err(|_| StoreError::Corrupt)
    }

    pub async fn set_console_moderator(&self, who: &MemberRef) -> Result<(), StoreError> {
        self.console_set(MODERATOR, &who.key()).await
    }

    /// Where the manual clock stood when it last moved; for a database that never ran
    /// with it, the latest moment anything was recorded (the audit log).
    pub async fn console_clock(&self) -> Result<Option<Timestamp>, StoreError> {
        if let Some(value) = self.console_get(CLOCK).await? {
            return value.parse().map(Some).map_err(|_| StoreError::Corrupt);
        }
        let latest: Option<i64> = sqlx::query_scalar("SELECT MAX(at) FROM audit").fetch_one(self.pool()).await?;
        Ok(latest.and_then(|s| Timestamp::from_second(s).ok()))
    }

    pub async fn set_console_clock(&self, at: Timestamp) -> Result<(), StoreError> {
        self.console_set(CLOCK, &at.to_string()).await
    }

    async fn console_get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT value FROM console_state WHERE key = ?").bind(key).fetch_optional(self.pool()).await?;
        row.map(|r| r.try_get::<String, _>("value")).transpose().map_err(StoreError::from)
    }

    async fn console_set(&self, key: &str, value: &str) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO console_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            .bind(key)
            .bind(value)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
