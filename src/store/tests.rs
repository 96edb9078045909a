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
    let id = CommunityId::parse(Platform::Console, "test").unwrap();
    let decks = crate::core::deck::default_decks().unwrap();
    State::new(Community::new(id, "call for help".into()), decks, &crate::core::safety::Rules::default())
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
    let loaded = s.load(&st.community.id, None).await.unwrap().expect("the community was stored");
    assert_eq!(loaded.community, st.community);
    assert_eq!(loaded.decks.over(&[]).len(), st.decks.len());
    assert_eq!(loaded.members.into_iter().collect::<Vec<_>>(), vec![(alice.clone(), st.members[&alice].clone())]);
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

/// A state with one circle opened by a moderator, committed.
async fn with_circle(s: &Store) -> State {
    let mut st = state();
    st.dirty.community = true;
    st.dirty.decks = st.decks.keys().cloned().collect();
    let actor = crate::core::input::Actor {
        member: MemberRef::parse(Platform::Console, "mod").unwrap(),
        display: "mod".into(),
        moderator: true,
        host: false,
    };
    let place = crate::core::input::Place::Channel(ChannelId::parse(Platform::Console, "c").unwrap());
    let command = crate::core::command::parse("circle open").unwrap();
    let mut rng = crate::core::rng::SplitMix64::new(1);
    crate::core::handle(&mut st, crate::core::input::Input::Command { actor, place, command }, ts(0), &mut rng);
    assert_eq!(st.circles.len(), 1, "the circle opened");
    let dirty = st.take_dirty();
    s.commit(&st, &dirty, &[], ts(0)).await.unwrap();
    st
}

async fn circle_rows(s: &Store) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM circles").fetch_one(s.pool()).await.unwrap()
}

#[tokio::test]
async fn a_removed_circle_row_is_deleted() {
    let (_d, s) = store().await;
    let mut st = with_circle(&s).await;
    assert_eq!(circle_rows(&s).await, 1, "the circle was written");
    let id = *st.circles.keys().next().unwrap();
    st.circles.remove(&id);
    let mut dirty = Dirty::default();
    dirty.circles.insert(id);
    s.commit(&st, &dirty, &[], ts(1)).await.unwrap();
    assert_eq!(circle_rows(&s).await, 0, "the removed circle's row is gone");
}

#[tokio::test]
async fn a_second_owner_of_the_same_database_is_refused_until_the_first_closes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("attune.db");
    let first = Store::open(&path).await.unwrap();
    let e = Store::open(&path).await.expect_err("a second owner must be refused");
    assert!(matches!(e, StoreError::InUse { .. }), "got {e:?}");
    assert!(e.to_string().contains("in use by another attune process"), "{e}");
    first.close().await;
    drop(first);
    Store::open(&path).await.expect("the database is free again once its owner has gone");
}

#[tokio::test]
async fn a_damaged_circle_or_member_is_left_out_and_named_and_the_rest_loads() {
    let (_d, s) = store().await;
    let mut st = with_circle(&s).await;
    let alice = MemberRef::parse(Platform::Console, "alice").unwrap();
    st.member_mut(&alice).display = "alice".into();
    let dirty = st.take_dirty();
    s.commit(&st, &dirty, &[], ts(1)).await.unwrap();
    sqlx::query("UPDATE circles SET doc = '{\"not\": \"a circle\"'").execute(s.pool()).await.unwrap();
    sqlx::query("UPDATE members SET doc = 'garbage with a secret in it'").execute(s.pool()).await.unwrap();
    let loaded = s.load(&st.community.id, None).await.unwrap().unwrap();
    assert!(loaded.circles.is_empty() && loaded.members.is_empty());
    let names: Vec<String> = loaded.damaged.iter().map(|d| d.to_string()).collect();
    assert_eq!(names, ["member console:alice in community console:test", "circle 1 in community console:test"]);
    assert!(names.iter().all(|n| !n.contains("secret")), "a damaged record is named, its content never echoed");
    assert_eq!(loaded.decks.over(&[]).len(), st.decks.len(), "the rest of the community loads");
}

#[tokio::test]
async fn a_circle_whose_waiting_turns_are_damaged_is_left_out_and_named_by_load_and_doctor() {
    let (_d, s) = store().await;
    let st = with_circle(&s).await;
    sqlx::query("UPDATE circles SET recent = '[{\"speaker\": \"a secret\"'").execute(s.pool()).await.unwrap();
    let loaded = s.load(&st.community.id, None).await.unwrap().unwrap();
    assert!(loaded.circles.is_empty());
    let names: Vec<String> = loaded.damaged.iter().map(|d| d.to_string()).collect();
    assert_eq!(names, ["circle 1 in community console:test"]);
    let found: Vec<String> = s.damaged_documents().await.unwrap().iter().map(|d| d.to_string()).collect();
    assert_eq!(found, names, "doctor reads the waiting turns too");
    assert!(found.iter().all(|n| !n.contains("secret")));
    let here: Vec<String> = s.damaged_documents_in(Some(&st.community.id)).await.unwrap().iter().map(|d| d.to_string()).collect();
    assert_eq!(here, names, "the community's own damaged records");
    let elsewhere = crate::core::ids::CommunityId::parse(Platform::Console, "elsewhere").unwrap();
    assert!(s.damaged_documents_in(Some(&elsewhere)).await.unwrap().is_empty(), "another community's are not its own");
}

#[tokio::test]
async fn documents_record_their_format_and_newer_ones_are_refused() {
    let (_d, s) = store().await;
    let st = with_circle(&s).await;
    let formats: Vec<i64> =
        sqlx::query_scalar("SELECT format FROM circles UNION SELECT format FROM communities").fetch_all(s.pool()).await.unwrap();
    assert_eq!(formats, vec![FORMAT], "this build writes its own format");
    sqlx::query("UPDATE communities SET format = ?").bind(FORMAT + 1).execute(s.pool()).await.unwrap();
    let e = s.load(&st.community.id, None).await.expect_err("a newer format must not be misread");
    assert!(matches!(e, StoreError::TooNew { .. }), "got {e:?}");
}

#[test]
fn format_one_ids_gain_their_platform() {
    let doc = serde_json::json!({ "id": "console", "x": 1 });
    assert_eq!(upgrade("community", 1, doc).unwrap()["id"], "console:console");
    let doc = serde_json::json!({ "channel": "discord:42" });
    assert_eq!(upgrade("circle", 1, doc).unwrap()["channel"], "discord:42", "an id that has its platform keeps it");
    let doc = serde_json::json!({ "channel": "circle" });
    assert_eq!(upgrade("circle", 2, doc.clone()).unwrap(), doc, "the current format is left alone");
}

#[tokio::test]
async fn a_running_bot_loads_live_and_recent_circles_but_not_old_history() {
    let (_d, s) = store().await;
    let st = with_circle(&s).await;
    sqlx::query("UPDATE circles SET live = 0, ended_at = ?").bind(ts(10).as_second()).execute(s.pool()).await.unwrap();
    let recent = s.load(&st.community.id, Some(ts(5))).await.unwrap().unwrap();
    assert_eq!(recent.circles.len(), 1, "a circle that ended after the cutoff is loaded");
    let old = s.load(&st.community.id, Some(ts(20))).await.unwrap().unwrap();
    assert!(old.circles.is_empty(), "a circle that ended before the cutoff stays on disk");
    assert_eq!(s.load(&st.community.id, None).await.unwrap().unwrap().circles.len(), 1, "without a cutoff everything loads");
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
async fn floor_holds_keep_the_first_original_survive_a_reopen_and_go_when_released() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("attune.db");
    let ch = ChannelId::parse(Platform::Discord, "55").unwrap();
    let other = ChannelId::parse(Platform::Matrix, "55").unwrap();
    {
        let s = Store::open(&path).await.unwrap();
        s.hold_floor(&ch, "role:everyone", r#"{"allow":"0","deny":"0"}"#, ts(0)).await.unwrap();
        s.hold_floor(&ch, "member:7", r#"{"none":true}"#, ts(0)).await.unwrap();
        // The next turn holds again: the original from before attune touched it stays.
        s.hold_floor(&ch, "role:everyone", r#"{"allow":"0","deny":"2048"}"#, ts(5)).await.unwrap();
        s.hold_floor(&other, "power:events_default", "0", ts(5)).await.unwrap();
        s.close().await;
    }
    // As after a crash: a new process finds what to put back.
    let s = Store::open(&path).await.unwrap();
    let held = s.floor_holds_on(Platform::Discord).await.unwrap();
    let got: Vec<(&str, &str)> = held.iter().map(|h| (h.target.as_str(), h.original.as_str())).collect();
    assert_eq!(got, [("member:7", r#"{"none":true}"#), ("role:everyone", r#"{"allow":"0","deny":"0"}"#)]);
    assert!(held.iter().all(|h| h.channel == ch), "another platform's channel with the same raw id is apart");
    s.release_floor(&ch, "role:everyone").await.unwrap();
    s.release_floor(&ch, "member:7").await.unwrap();
    assert!(s.floor_holds(&ch).await.unwrap().is_empty());
    assert_eq!(s.floor_holds(&other).await.unwrap().len(), 1);
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
