//! The turn log: one row per finished turn, appended once (a live circle's newest
//! wait in its own row first); forget-me, purge,
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
    let actor = crate::core::input::Actor { member: member("mod"), display: "mod".into(), moderator: true, host: false };
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

/// The turns that wait in the (one) circle's row.
async fn recent(s: &Store) -> Option<Vec<TurnRecord>> {
    let row: Option<String> = sqlx::query_scalar("SELECT recent FROM circles").fetch_one(s.pool()).await.unwrap();
    row.map(|r| serde_json::from_str(&r).unwrap())
}

async fn circle_doc(s: &Store) -> String {
    sqlx::query_scalar("SELECT doc FROM circles").fetch_one(s.pool()).await.unwrap()
}

#[tokio::test]
async fn a_live_circles_newest_turns_wait_in_its_row_and_move_to_the_turn_log_together() {
    let (_d, s) = store().await;
    let (mut st, id) = with_circle(&s).await;
    let (alice, bob) = (member("alice"), member("bob"));
    st.circles.get_mut(&id).unwrap().log.extend([turn(&alice, 1), turn(&bob, 1)]);
    commit_circle(&s, &mut st, id, 1).await;
    assert!(speakers(&s).await.is_empty(), "a live circle's first turns wait in its own row");
    assert_eq!(recent(&s).await.map(|r| r.len()), Some(2));
    assert!(!circle_doc(&s).await.contains("\"log\""), "the circle's document carries no turn log");
    let loaded = s.load(&st.community.id, Some(ts(0))).await.unwrap().unwrap();
    assert_eq!(loaded.circles, st.circles, "the log loads back from the row, in order");
    st.circles.get_mut(&id).unwrap().log.extend((0..6).map(|_| turn(&alice, 2)));
    commit_circle(&s, &mut st, id, 2).await;
    let rows = speakers(&s).await;
    assert_eq!(rows.len(), RECENT_MAX, "at eight they move to the turn log together");
    assert_eq!(rows[..2], [(0, alice.key()), (1, bob.key())], "one row per turn, in order");
    assert_eq!(recent(&s).await, None, "and the row keeps none");
    st.circles.get_mut(&id).unwrap().log.push(turn(&bob, 3));
    commit_circle(&s, &mut st, id, 3).await;
    commit_circle(&s, &mut st, id, 4).await;
    assert_eq!(speakers(&s).await.len(), 8, "rewriting the circle never rewrites or repeats its turns");
    assert_eq!(recent(&s).await.map(|r| r.len()), Some(1));
    let loaded = s.load(&st.community.id, Some(ts(0))).await.unwrap().unwrap();
    assert_eq!(loaded.circles, st.circles, "the turn log and the row's turns load back as one log");
    st.circles.get_mut(&id).unwrap().phase = crate::core::circle::Phase::Ended;
    commit_circle(&s, &mut st, id, 5).await;
    assert_eq!(speakers(&s).await.len(), 9, "an ended circle keeps every turn in the turn log");
    assert_eq!(recent(&s).await, None);
}

#[tokio::test]
async fn forgetting_anonymises_turns_and_circles_a_running_bot_never_loaded() {
    let (_d, s) = store().await;
    let (mut st, id) = with_circle(&s).await;
    let (bob, cara) = (member("bob"), member("cara"));
    let c = st.circles.get_mut(&id).unwrap();
    c.seats.push(crate::core::circle::Seat { member: bob.clone(), display: "bob".into(), away: false });
    c.order.push(bob.clone());
    c.log.extend((0..4).flat_map(|_| [turn(&bob, 1), turn(&cara, 1)]));
    c.pulses.insert(bob.clone(), 4);
    commit_circle(&s, &mut st, id, 1).await;
    // Two more turns wait in the circle's row (it was set aside while live, say).
    st.circles.get_mut(&id).unwrap().log.extend([turn(&bob, 2), turn(&cara, 2)]);
    commit_circle(&s, &mut st, id, 1).await;
    assert_eq!(recent(&s).await.map(|r| r.len()), Some(2));
    // The circle ended long ago, so a running bot doesn't hold it in memory.
    sqlx::query("UPDATE circles SET live = 0, phase = 'ended', ended_at = ?").bind(ts(1).as_second()).execute(s.pool()).await.unwrap();
    st.set_circles(Default::default());
    st.dirty.forgotten.push(bob.clone());
    let dirty = st.take_dirty();
    s.commit(&st, &dirty, &[], ts(2)).await.unwrap();
    let ghost = crate::core::privacy::ghost(Platform::Console);
    let expected: Vec<(i64, String)> = (0..8).map(|i| (i, if i % 2 == 0 { ghost.key() } else { cara.key() })).collect();
    assert_eq!(speakers(&s).await, expected, "the forgotten member's turns name nobody");
    let waiting = recent(&s).await.unwrap();
    assert_eq!(waiting.iter().map(|t| t.speaker.key()).collect::<Vec<_>>(), [ghost.key(), cara.key()], "nor do those in the row");
    let doc = circle_doc(&s).await;
    assert!(!doc.contains(&bob.key()), "no stored circle names a forgotten member: {doc}");
    let turns: Vec<String> = sqlx::query_scalar("SELECT doc FROM turns").fetch_all(s.pool()).await.unwrap();
    assert!(turns.iter().all(|t| !t.contains(&bob.key())), "nor does any turn's document");
    let all = s.load(&st.community.id, None).await.unwrap().unwrap();
    assert_eq!(all.circles[&id].anonymous_pulses, vec![4], "their pulse still counts, unattributed");
}

#[tokio::test]
async fn a_purged_circle_takes_its_turns_with_it() {
    let (_d, s) = store().await;
    let (mut st, id) = with_circle(&s).await;
    st.circles.get_mut(&id).unwrap().log.push(turn(&member("alice"), 1));
    commit_circle(&s, &mut st, id, 1).await;
    sqlx::query("UPDATE circles SET live = 0, phase = 'ended', ended_at = ?").bind(ts(1).as_second()).execute(s.pool()).await.unwrap();
    st.set_circles(Default::default());
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
    assert_eq!(loaded.circles[&id].log, vec![turn(&alice, 1)], "a format 2 document's own log is read");
    st.set_circles(loaded.circles);
    st.circles.get_mut(&id).unwrap().log.push(turn(&alice, 2));
    commit_circle(&s, &mut st, id, 1).await;
    assert!(!circle_doc(&s).await.contains("\"log\""), "its entries moved out of the document");
    assert_eq!(recent(&s).await, Some(vec![turn(&alice, 1), turn(&alice, 2)]), "to wait in the row as any live circle's");
    let loaded = s.load(&st.community.id, None).await.unwrap().unwrap();
    assert_eq!(loaded.circles[&id].log, vec![turn(&alice, 1), turn(&alice, 2)]);
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
    // Eight more move everything to the turn log; one more waits in the row.
    st.circles.get_mut(&id).unwrap().log.extend((0..8).map(|_| turn(&alice, 3)));
    commit_circle(&s, &mut st, id, 2).await;
    st.circles.get_mut(&id).unwrap().log.push(turn(&alice, 4));
    commit_circle(&s, &mut st, id, 3).await;
    assert_eq!(speakers(&s).await.len(), 11);
    let data = s.export_member(&st.community.id, &alice).await.unwrap();
    let rounds: Vec<u64> = data["circles"][0]["your_turns"].as_array().unwrap().iter().filter_map(|t| t["round"].as_u64()).collect();
    assert_eq!(rounds, [1, 2, 3, 3, 3, 3, 3, 3, 3, 3, 4], "from the turn log and the circle's row, in order");
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
    let ids: Vec<u64> = loaded.circles.values().map(|c| c.id.0).collect();
    assert_eq!(ids, (1..=2500).collect::<Vec<u64>>(), "pages follow one another without a gap or a repeat");
}

#[tokio::test]
async fn a_community_with_more_members_than_one_page_loads_every_one() {
    let (_d, s) = store().await;
    let (st, _) = with_circle(&s).await;
    sqlx::query(
        "WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < 2500) \
         INSERT INTO members (community, member, doc, format) SELECT ?, 'console:m' || n.k, ?, ? FROM n",
    )
    .bind(st.community.id.key())
    .bind(serde_json::to_string(&Member::default()).unwrap())
    .bind(FORMAT)
    .execute(s.pool())
    .await
    .unwrap();
    let loaded = s.load(&st.community.id, Some(ts(0))).await.unwrap().unwrap();
    let mut keys: Vec<String> = loaded.members.keys().map(|m| m.key()).collect();
    assert_eq!(keys.len(), 2500, "pages follow one another without a gap or a repeat");
    keys.dedup();
    assert_eq!(keys.len(), 2500);
    assert!(loaded.damaged.is_empty());
}

#[tokio::test]
async fn a_damaged_circle_row_neither_blocks_forget_me_nor_my_data_and_keeps_no_forgotten_reference() {
    let (_d, s) = store().await;
    let (mut st, _) = with_circle(&s).await;
    let (bob, cara) = (member("bob"), member("cara"));
    let quoted = serde_json::to_string(&bob.key()).unwrap();
    sqlx::query("UPDATE circles SET live = 0, recent = ?, doc = ?")
        .bind(format!("[{{\"speaker\": {quoted}, damaged"))
        .bind(format!("{{\"host\": {quoted}, damaged"))
        .execute(s.pool())
        .await
        .unwrap();
    st.set_circles(Default::default());
    let data = s.export_member(&st.community.id, &bob).await.expect("my-data answers despite a damaged record");
    assert_eq!(data["circles"], serde_json::json!([{ "circle": 1, "unreadable": true }]), "{data}");
    let data = s.export_member(&st.community.id, &cara).await.unwrap();
    assert_eq!(data["circles"], serde_json::json!([]), "a damaged record that doesn't name cara isn't hers");
    st.dirty.forgotten.push(bob.clone());
    let dirty = st.take_dirty();
    s.commit(&st, &dirty, &[], ts(2)).await.expect("forget-me goes through a damaged record");
    let (doc, recent): (String, String) = sqlx::query_as("SELECT doc, recent FROM circles").fetch_one(s.pool()).await.unwrap();
    assert!(!doc.contains(&bob.key()) && !recent.contains(&bob.key()), "nothing names bob: {doc} {recent}");
}
