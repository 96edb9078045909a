use super::*;
use crate::core::ids::{ChannelId, CircleId, Platform};
use crate::core::state::AuditEntry;

fn ts(s: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + s).unwrap()
}

fn entry(at: i64, actor: &MemberRef, action: &str, circle: u64) -> AuditEntry {
    AuditEntry { at: ts(at), actor: actor.clone(), action: action.into(), target: None, circle: Some(CircleId(circle)) }
}

fn state() -> State {
    let id = CommunityId::parse("test").unwrap();
    let decks = crate::core::deck::default_decks().unwrap();
    State::new(Community::new(id, "call for help".into()), decks, &[])
}

async fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("sub/attune.db")).await.unwrap();
    (dir, s)
}

#[tokio::test]
async fn a_committed_state_loads_back_the_same() {
    let (_d, s) = store().await;
    let mut st = state();
    let alice = MemberRef::parse(Platform::Console, "alice").unwrap();
    st.member_mut(&alice).display = "alice".into();
    st.dirty.community = true;
    st.dirty.decks = st.decks.keys().cloned().collect();
    let dirty = st.take_dirty();
    s.commit(&st, &dirty, &["evt-1".into()], ts(0)).await.unwrap();
    let loaded = s.load(&st.community.id).await.unwrap().expect("the community was stored");
    assert_eq!(loaded.community, st.community);
    assert_eq!(loaded.decks.len(), st.decks.len());
    assert_eq!(loaded.members, vec![(alice.clone(), st.members[&alice].clone())]);
    assert!(s.seen(&st.community.id, "evt-1").await.unwrap(), "processed event ids are kept");
    assert!(!s.seen(&st.community.id, "evt-2").await.unwrap());
}

#[tokio::test]
async fn forgetting_removes_the_member_row_and_anonymises_the_audit_log() {
    let (_d, s) = store().await;
    let mut st = state();
    let bob = MemberRef::parse(Platform::Console, "bob").unwrap();
    st.member_mut(&bob).display = "bob".into();
    st.dirty.community = true;
    st.dirty.audit.push(entry(0, &bob, "circle open", 1));
    let dirty = st.take_dirty();
    s.commit(&st, &dirty, &[], ts(0)).await.unwrap();
    st.members.remove(&bob);
    st.dirty.forgotten.push(bob.clone());
    let dirty = st.take_dirty();
    s.commit(&st, &dirty, &[], ts(1)).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit WHERE actor = ?").bind(bob.key()).fetch_one(s.pool()).await.unwrap();
    assert_eq!(n, 0, "no audit row names a forgotten member");
    let m: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members").fetch_one(s.pool()).await.unwrap();
    assert_eq!(m, 0, "the member row is gone");
}

#[tokio::test]
async fn a_file_that_is_not_a_database_is_reported_as_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.db");
    std::fs::write(&path, b"this is not a database, just some text that is long enough to fill a header page").unwrap();
    let e = Store::open(&path).await.expect_err("a corrupt file must be refused");
    assert!(matches!(e, StoreError::Corrupt), "got {e:?}");
}

#[tokio::test]
async fn a_removed_circle_row_is_deleted() {
    let (_d, s) = store().await;
    let mut st = state();
    st.dirty.community = true;
    let dirty = st.take_dirty();
    s.commit(&st, &dirty, &[], ts(0)).await.unwrap();
    let _ = ChannelId::parse("c").unwrap();
    let mut dirty = Dirty::default();
    dirty.circles.insert(CircleId(9));
    s.commit(&st, &dirty, &[], ts(1)).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM circles").fetch_one(s.pool()).await.unwrap();
    assert_eq!(n, 0);
}

#[tokio::test]
async fn audit_entries_older_than_the_cutoff_are_purged() {
    let (_d, s) = store().await;
    let mut st = state();
    let mod_ = MemberRef::parse(Platform::Console, "mod").unwrap();
    st.dirty.community = true;
    st.dirty.audit.push(entry(0, &mod_, "circle end", 1));
    st.dirty.audit.push(entry(100, &mod_, "circle open", 2));
    let dirty = st.take_dirty();
    s.commit(&st, &dirty, &[], ts(100)).await.unwrap();
    st.dirty.purge_audit_before = Some(ts(50));
    let dirty = st.take_dirty();
    s.commit(&st, &dirty, &[], ts(101)).await.unwrap();
    let actions: Vec<String> = sqlx::query_scalar("SELECT action FROM audit").fetch_all(s.pool()).await.unwrap();
    assert_eq!(actions, vec!["circle open".to_owned()], "only the entry older than the cutoff is gone");
}

#[tokio::test]
async fn the_manual_clock_resumes_from_its_stored_time_else_the_latest_record() {
    let (_d, s) = store().await;
    assert_eq!(s.console_clock().await.unwrap(), None, "a fresh database has no time yet");
    let mut st = state();
    let bob = MemberRef::parse(Platform::Console, "bob").unwrap();
    st.dirty.community = true;
    st.dirty.audit.push(entry(500, &bob, "circle open", 1));
    let dirty = st.take_dirty();
    s.commit(&st, &dirty, &[], ts(500)).await.unwrap();
    assert_eq!(s.console_clock().await.unwrap(), Some(ts(500)), "an older database resumes at its latest record");
    s.set_console_clock(ts(900)).await.unwrap();
    assert_eq!(s.console_clock().await.unwrap(), Some(ts(900)), "the stored clock wins");
}
