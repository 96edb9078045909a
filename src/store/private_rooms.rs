//! Private rooms: the room attune opened with a member for one community (a
//! Matrix DM room). Remembered so a restart reuses the same room, and so a
//! message in it is known to belong to that community. Only ids are kept.

use sqlx::Row;

use super::{Store, StoreError};
use crate::core::ids::{CommunityId, MemberRef};

impl Store {
    /// The private room opened with `member` for `community`, if there is one.
    pub async fn private_room(&self, community: &CommunityId, member: &MemberRef) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT room FROM private_rooms WHERE community = ? AND member = ?")
            .bind(community.key())
            .bind(member.key())
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| r.try_get::<String, _>("room")).transpose().map_err(StoreError::from)
    }

    /// Which community and member a private room serves.
    pub async fn private_room_owner(&self, room: &str) -> Result<Option<(CommunityId, MemberRef)>, StoreError> {
        let row = sqlx::query("SELECT community, member FROM private_rooms WHERE room = ?").bind(room).fetch_optional(self.pool()).await?;
        let Some(row) = row else { return Ok(None) };
        let community: String = row.try_get("community")?;
        let member: String = row.try_get("member")?;
        let community = CommunityId::from_key(&community).map_err(|_| StoreError::Corrupt)?;
        let member = MemberRef::from_key(&member).map_err(|_| StoreError::Corrupt)?;
        Ok(Some((community, member)))
    }

    /// Remembers (or replaces) the private room for `member` in `community`.
    pub async fn set_private_room(&self, community: &CommunityId, member: &MemberRef, room: &str) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        // A room serves one member of one community; an older claim on it is dropped.
        sqlx::query("DELETE FROM private_rooms WHERE room = ?").bind(room).execute(&mut *tx).await?;
        sqlx::query("INSERT OR REPLACE INTO private_rooms (community, member, room) VALUES (?, ?, ?)")
            .bind(community.key())
            .bind(member.key())
            .bind(room)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Forgets a private room (the member left it, or it is gone).
    pub async fn drop_private_room(&self, room: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM private_rooms WHERE room = ?").bind(room).execute(self.pool()).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::ids::Platform;

    #[tokio::test]
    async fn a_private_room_is_remembered_per_member_and_community_and_names_its_owner() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("a.db")).await.unwrap();
        let c = CommunityId::parse(Platform::Matrix, "!a:example.org").unwrap();
        let d = CommunityId::parse(Platform::Matrix, "!b:example.org").unwrap();
        let m = MemberRef::parse(Platform::Matrix, "@alice:example.org").unwrap();
        assert_eq!(store.private_room(&c, &m).await.unwrap(), None);
        store.set_private_room(&c, &m, "!dm1:example.org").await.unwrap();
        store.set_private_room(&d, &m, "!dm2:example.org").await.unwrap();
        assert_eq!(store.private_room(&c, &m).await.unwrap().as_deref(), Some("!dm1:example.org"));
        assert_eq!(store.private_room_owner("!dm2:example.org").await.unwrap(), Some((d.clone(), m.clone())));
        store.set_private_room(&c, &m, "!dm3:example.org").await.unwrap();
        assert_eq!(store.private_room(&c, &m).await.unwrap().as_deref(), Some("!dm3:example.org"), "a new room replaces the old");
        store.drop_private_room("!dm3:example.org").await.unwrap();
        assert_eq!(store.private_room(&c, &m).await.unwrap(), None);
        store.close().await;
    }
}
