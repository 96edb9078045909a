//! The turn log: one row per finished turn, appended once; forget-me, purge,
//! my-data and old documents with an embedded log; loading circles page by page.

use super::*;
use crate::core::circle::{Ending, TurnKind};
use crate::core::ids::{ChannelId, CircleId, Platform};

fn ts(s: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + s).unwrap()
}

fn member(name: &str) -> MemberRef {
    MemberRef::parse(Platform::Console, name).unwrap()
}

fn turn(who: &MemberRef, round: u32) -> TurnRecord {
    TurnRecord { speaker: who.clone(), kind: TurnKind::Sharing, round, started: ts(0), ended: ts(60), how: Ending::Done }
}

async fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("attune.db")).await.unwrap();
    (dir, s)
}

/// A community with one open circle, committed.
async fn with_circle(s: &Store) -> (State, CircleId) {
    let id = CommunityId::parse(Platform::Console, "test").unwrap();
    let mut st = State::new(Community::new(id, "call for help".into()), Vec::new(), &crate::core::safety::Rules::default());
    st.dirty.community = true;
    let actor = crate::core::input::Actor { member: member("mod"), display: "mod".into(), moderator: true };
    let place = crate::core::input::Place::Channel(ChannelId::parse(Platform::Console, "c").unwrap());
    let command = crate::core::command::parse("circle open").unwrap();
    let mut rng = crate::core::rng::SplitMix64::new(1);
    crate::core::handle(&mut st, crate::core::input::Input::Command { actor, place, command }, ts(0), &mut rng);
    let dirty = st.take_dirty();
    s.commit(&st, &dirty, &[], ts(0)).await.unwrap();
    let circle = *st.circles.keys().next().unwrap();
    (st, circle)
}

async fn commit_circle(s: &Store, st: &mut State, circle: CircleId, at: i64) {
    st.dirty.circles.insert(circle);
    let dirty = st.take_dirty();
    s.commit(st, &dirty, &[], ts(at)).await.unwrap();
}

async fn speakers(s: &Store) -> Vec<(i64, String)> {
    sqlx::query_as("SELECT seq, speaker FROM turns ORDER BY circle, seq").fetch_all(s.pool()).await.unwrap()
}

async fn circle_doc(s: &Store) -> String {
    sqlx::query_scalar("SELECT doc FROM circles").fetch_one(s.pool()).await.unwrap()
}

#[tokio::test]
async fn a_finished_turn_appends_one_row_and_the_circle_document_keeps_no_log() {
    let (_d, s) = store().await;
    let (mut st, id) = with_circle(&s).await;
    let (alice, bob) = (member("alice"), member("bob"));
    st.circles.get_mut(&id).unwrap().log.extend([turn(&alice, 1), turn(&bob, 1)]);
    commit_circle(&s, &mut st, id, 1).await;
    assert_eq!(speakers(&s).await, vec![(0, alice.key()), (1, bob.key())], "each finished turn is one row, in order");
    st.circles.get_mut(&id).unwrap().log.push(turn(&alice, 2));
    commit_circle(&s, &mut st, id, 2).await;
    assert_eq!(speakers(&s).await.len(), 3, "the next commit appends only the new turn");
    assert!(!circle_doc(&s).await.contains("\"log\""), "the circle's document carries no turn log");
    let loaded = s.load(&st.community.id, Some(ts(0))).await.unwrap().unwrap();
    assert_eq!(loaded.circles, vec![st.circles[&id].clone()], "the log loads back from its rows, in order");
    commit_circle(&s, &mut st, id, 3).await;
    assert_eq!(speakers(&s).await.len(), 3, "rewriting the circle never rewrites or repeats its turns");
}

#[tokio::test]
async fn forgetting_anonymises_turns_and_circles_a_running_bot_never_loaded() {
    let (_d, s) = store().await;
    let (mut st, id) = with_circle(&s).await;
    let (bob, cara) = (member("bob"), member("cara"));
    let c = st.circles.get_mut(&id).unwrap();
    c.seats.push(crate::core::circle::Seat { member: bob.clone(), display: "bob".into(), away: false });
    c.order.push(bob.clone());
    c.log.extend([turn(&bob, 1), turn(&cara, 1)]);
    c.pulses.insert(bob.clone(), 4);
    commit_circle(&s, &mut st, id, 1).await;
    // The circle ended long ago, so a running bot doesn't hold it in memory.
    sqlx::query("UPDATE circles SET live = 0, phase = 'ended', ended_at = ?").bind(ts(1).as_second()).execute(s.pool()).await.unwrap();
    st.set_circles(Vec::new());
    st.dirty.forgotten.push(bob.clone());
    let dirty = st.take_dirty();
    s.commit(&st, &dirty, &[], ts(2)).await.unwrap();
    let ghost = crate::core::privacy::ghost(Platform::Console);
    assert_eq!(speakers(&s).await, vec![(0, ghost.key()), (1, cara.key())], "the forgotten member's turns name nobody");
    let doc = circle_doc(&s).await;
    assert!(!doc.contains(&bob.key()), "no stored circle names a forgotten member: {doc}");
    let turns: Vec<String> = sqlx::query_scalar("SELECT doc FROM turns").fetch_all(s.pool()).await.unwrap();
    assert!(turns.iter().all(|t| !t.contains(&bob.key())), "nor does any turn's document");
    let all = s.load(&st.community.id, None).await.unwrap().unwrap();
    assert_eq!(all.circles[0].anonymous_pulses, vec![4], "their pulse still counts, unattributed");
}

#[tokio::test]
async fn a_purged_circle_takes_its_turns_with_it() {
    let (_d, s) = store().await;
    let (mut st, id) = with_circle(&s).await;
    st.circles.get_mut(&id).unwrap().log.push(turn(&member("alice"), 1));
    commit_circle(&s, &mut st, id, 1).await;
    sqlx::query("UPDATE circles SET live = 0, phase = 'ended', ended_at = ?").bind(ts(1).as_second()).execute(s.pool()).await.unwrap();
    st.set_circles(Vec::new());
    st.dirty.purge_audit_before = Some(ts(10));
    let dirty = st.take_dirty();
    s.commit(&st, &dirty, &[], ts(10)).await.unwrap();
    assert!(speakers(&s).await.is_empty(), "the retention purge deletes an old circle's turns with it");
}

#[tokio::test]
async fn a_circle_document_that_still_carries_its_log_loads_with_it_and_moves_it_on_the_next_commit() {
    let (_d, s) = store().await;
    let (mut st, id) = with_circle(&s).await;
    let alice = member("alice");
    let log = serde_json::to_string(&vec![turn(&alice, 1)]).unwrap();
    sqlx::query("UPDATE circles SET doc = json_set(doc, '$.log', json(?)), format = 2").bind(&log).execute(s.pool()).await.unwrap();
    let loaded = s.load(&st.community.id, None).await.unwrap().unwrap();
    assert_eq!(loaded.circles[0].log, vec![turn(&alice, 1)], "a format 2 document's own log is read");
    st.set_circles(loaded.circles);
    st.circles.get_mut(&id).unwrap().log.push(turn(&alice, 2));
    commit_circle(&s, &mut st, id, 1).await;
    assert_eq!(speakers(&s).await, vec![(0, alice.key()), (1, alice.key())], "its entries moved to the turn log");
    assert!(!circle_doc(&s).await.contains("\"log\""));
}

#[tokio::test]
async fn my_data_lists_the_members_own_turns_from_the_turn_log() {
    let (_d, s) = store().await;
    let (mut st, id) = with_circle(&s).await;
    let (alice, bob) = (member("alice"), member("bob"));
    st.circles.get_mut(&id).unwrap().log.extend([turn(&alice, 1), turn(&bob, 1), turn(&alice, 2)]);
    commit_circle(&s, &mut st, id, 1).await;
    let data = s.export_member(&st.community.id, &alice).await.unwrap();
    let turns = data["circles"][0]["your_turns"].as_array().expect("alice's turns are listed");
    assert_eq!(turns.len(), 2, "her two turns, and not bob's: {data}");
    assert_eq!(turns[1]["round"], 2);
    let nobody = s.export_member(&st.community.id, &member("cara")).await.unwrap();
    assert!(nobody["circles"].as_array().unwrap().is_empty(), "a member who never took part is in no circle");
}

#[tokio::test]
async fn a_community_with_more_circles_than_one_page_loads_every_one_in_order() {
    let (_d, s) = store().await;
    let (st, _) = with_circle(&s).await;
    sqlx::query(
        "WITH RECURSIVE n(k) AS (SELECT 2 UNION ALL SELECT k + 1 FROM n WHERE k < 2500) \
         INSERT INTO circles (community, id, channel, phase, live, ended_at, doc, format) \
         SELECT c.community, n.k, 'console:c' || n.k, c.phase, c.live, c.ended_at, json_set(c.doc, '$.id', n.k, '$.channel', 'console:c' || n.k), c.format \
         FROM n, circles c WHERE c.id = 1",
    )
    .execute(s.pool())
    .await
    .unwrap();
    let loaded = s.load(&st.community.id, Some(ts(0))).await.unwrap().unwrap();
    let ids: Vec<u64> = loaded.circles.iter().map(|c| c.id.0).collect();
    assert_eq!(ids, (1..=2500).collect::<Vec<u64>>(), "pages follow one another without a gap or a repeat");
}
