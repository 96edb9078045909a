//! Listings: the id of a scheduled circle's entry in the platform's calendar
//! (a Discord scheduled event), per community and circle; and rooms that
//! replaced others (Matrix room upgrades). Only ids are kept.

use sqlx::Row;

use super::{Store, StoreError};
use crate::core::ids::{CircleId, CommunityId};

impl Store {
    /// The calendar entry kept for a circle, if any.
    pub async fn listing(&self, community: &CommunityId, circle: CircleId) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT entry FROM listings WHERE community = ? AND circle = ?")
            .bind(community.key())
            .bind(i64::try_from(circle.0).map_err(|_| StoreError::Corrupt)?)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| r.try_get::<String, _>("entry")).transpose().map_err(StoreError::from)
    }

    /// Remembers (or replaces) the calendar entry of a circle.
    pub async fn set_listing(&self, community: &CommunityId, circle: CircleId, entry: &str) -> Result<(), StoreError> {
        sqlx::query("INSERT OR REPLACE INTO listings (community, circle, entry) VALUES (?, ?, ?)")
            .bind(community.key())
            .bind(i64::try_from(circle.0).map_err(|_| StoreError::Corrupt)?)
            .bind(entry)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Forgets a circle's calendar entry (it ended or was cancelled).
    pub async fn drop_listing(&self, community: &CommunityId, circle: CircleId) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM listings WHERE community = ? AND circle = ?")
            .bind(community.key())
            .bind(i64::try_from(circle.0).map_err(|_| StoreError::Corrupt)?)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}

impl Store {
    /// Every room that replaced another, with the room it replaced.
    pub async fn moved_rooms(&self) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query("SELECT room, predecessor FROM moved_rooms").fetch_all(self.pool()).await?;
        rows.iter().map(|r| Ok((r.try_get::<String, _>("room")?, r.try_get::<String, _>("predecessor")?))).collect()
    }

    /// Remembers that `room` replaced `predecessor`.
    pub async fn set_moved_room(&self, room: &str, predecessor: &str) -> Result<(), StoreError> {
        sqlx::query("INSERT OR REPLACE INTO moved_rooms (room, predecessor) VALUES (?, ?)")
            .bind(room)
            .bind(predecessor)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::ids::Platform;

    #[tokio::test]
    async fn a_listing_is_kept_per_community_and_circle_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("a.db")).await.unwrap();
        let a = CommunityId::parse(Platform::Discord, "1").unwrap();
        let b = CommunityId::parse(Platform::Discord, "2").unwrap();
        store.set_listing(&a, CircleId(7), "111").await.unwrap();
        store.set_listing(&b, CircleId(7), "222").await.unwrap();
        assert_eq!(store.listing(&a, CircleId(7)).await.unwrap().as_deref(), Some("111"));
        store.set_listing(&a, CircleId(7), "333").await.unwrap();
        assert_eq!(store.listing(&a, CircleId(7)).await.unwrap().as_deref(), Some("333"));
        store.drop_listing(&a, CircleId(7)).await.unwrap();
        assert_eq!(store.listing(&a, CircleId(7)).await.unwrap(), None);
        assert_eq!(store.listing(&b, CircleId(7)).await.unwrap().as_deref(), Some("222"));
        store.set_moved_room("!new:x", "!old:x").await.unwrap();
        assert_eq!(store.moved_rooms().await.unwrap(), vec![("!new:x".to_owned(), "!old:x".to_owned())]);
        store.close().await;
    }
}
