//! Fault injection through the real engine and SQLite: a panicking actor, a
//! failing commit in one community, a slow adapter, a damaged record, a second
//! owner of the database, inputs that change nothing, and a database written
//! by an earlier release.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::time::Duration;

use attune::config::Config;
use attune::core::circle::Phase;
use attune::core::effect::Kind;
use attune::core::ids::{CommunityId, MemberRef, Platform};
use attune::core::input::{Input, Place};
use attune::engine::{Clock, Delivery, Engine, EngineError, Fault, Outlets, Seed};
use attune::store::{Store, StoreError};

use super::contract::{cmd, community, drain, in_channel, person, two_platforms};
use super::support::t0;

async fn open_and_start(e: &Engine, c: &CommunityId, p: Platform) {
    let host = person(p, "host", true);
    cmd(e, c, &host, in_channel(p, "room"), "circle open").await;
    for u in ["host", "bob"] {
        let a = person(p, u, u == "host");
        cmd(e, c, &a, in_channel(p, "room"), "circle join").await;
        cmd(e, c, &a, Place::Private, "agree").await;
    }
    cmd(e, c, &host, in_channel(p, "room"), "circle start").await;
}

async fn phase(e: &Engine, c: &CommunityId) -> Phase {
    let loaded = e.store().load(c, None).await.unwrap().unwrap();
    loaded.circles.values().max_by_key(|c| c.id).map(|c| c.phase).unwrap()
}

#[tokio::test]
async fn a_panicking_community_restarts_from_the_store_and_never_stops_another_or_its_timers() {
    let dir = tempfile::tempdir().unwrap();
    let mut two = two_platforms(&dir.path().join("a.db")).await;
    let e = two.engine.clone();
    let (a, b) = (community(Platform::Discord, "a"), community(Platform::Discord, "b"));
    open_and_start(&e, &a, Platform::Discord).await;
    open_and_start(&e, &b, Platform::Discord).await;

    e.inject_fault(&a, Fault::PanicNextBatch);
    let host = person(Platform::Discord, "host", true);
    let failed = e
        .submit(&a, Input::Command { actor: host.clone(), place: Place::Private, command: attune::core::command::Command::Help }, None)
        .await;
    assert!(matches!(failed, Err(EngineError::Failed)), "the input in the failed batch is reported: {failed:?}");
    let fine = cmd(&e, &b, &host, in_channel(Platform::Discord, "room"), "circle status").await;
    assert!(!fine.deliveries.is_empty(), "the other community answers as usual");
    let back = cmd(&e, &a, &host, in_channel(Platform::Discord, "room"), "circle status").await;
    assert!(!back.deliveries.is_empty(), "the failed community is back, from what it last committed");

    // Both circles' timers keep running: the restarted actor re-armed its own.
    e.advance(3600).await.unwrap();
    assert_eq!(phase(&e, &a).await, Phase::Ended, "the restarted community's circle ran on its re-armed timers");
    assert_eq!(phase(&e, &b).await, Phase::Ended);
    drain(&mut two.discord);

    // A community that keeps failing is quarantined, recorded for doctor, and the others go on.
    for _ in 0..5 {
        e.inject_fault(&a, Fault::PanicNextBatch);
        let _ = e
            .submit(&a, Input::Command { actor: host.clone(), place: Place::Private, command: attune::core::command::Command::Help }, None)
            .await;
    }
    assert_eq!(e.quarantined(), vec![a.clone()]);
    assert_eq!(e.summary().communities, 1, "a quarantined community is not counted as served");
    let refused = cmd_result(&e, &a).await;
    assert!(matches!(refused, Err(EngineError::Quarantined)), "{refused:?}");
    let recorded = e.store().quarantined().await.unwrap();
    assert_eq!(recorded, vec![(a.key(), "panic".to_owned())], "doctor can see it; the reason is a kind, never content");
    open_and_start(&e, &b, Platform::Discord).await;
    e.advance(3600).await.unwrap();
    assert_eq!(phase(&e, &b).await, Phase::Ended, "the healthy community's timers still fire");
}

async fn cmd_result(e: &Engine, c: &CommunityId) -> Result<attune::engine::Answer, EngineError> {
    let host = person(Platform::Discord, "host", true);
    e.submit(c, Input::Command { actor: host, place: Place::Private, command: attune::core::command::Command::Help }, None).await
}

#[tokio::test]
async fn a_failing_commit_in_one_community_leaves_the_others_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let two = two_platforms(&dir.path().join("a.db")).await;
    let e = two.engine.clone();
    let (a, b) = (community(Platform::Discord, "a"), community(Platform::Discord, "b"));
    let host = person(Platform::Discord, "host", true);
    cmd(&e, &a, &host, in_channel(Platform::Discord, "room"), "timezone Europe/Lisbon").await;
    cmd(&e, &b, &host, in_channel(Platform::Discord, "room"), "timezone Europe/Lisbon").await;
    sqlx::query(
        "CREATE TRIGGER fail_a BEFORE UPDATE ON members WHEN NEW.community = 'discord:a' BEGIN SELECT RAISE(ABORT, 'injected'); END;",
    )
    .execute(e.store().pool())
    .await
    .unwrap();
    assert_eq!(a.key(), "discord:a");
    let place = || in_channel(Platform::Discord, "room");
    let tz = |zone: &str| Input::Command {
        actor: host.clone(),
        place: place(),
        command: attune::core::command::parse(&format!("timezone {zone}")).unwrap(),
    };
    let r = e.submit(&a, tz("Asia/Tokyo"), None).await;
    assert!(matches!(r, Err(EngineError::NotSaved(_))), "{r:?}");
    let ok = e.submit(&b, tz("Asia/Tokyo"), None).await;
    assert!(ok.is_ok(), "the other community saves as usual: {ok:?}");
    let zone = |c: &CommunityId| {
        let e = e.clone();
        let c = c.clone();
        async move {
            let l = e.store().load(&c, None).await.unwrap().unwrap();
            l.members.into_iter().find(|(m, _)| m.user() == "host").and_then(|(_, m)| m.timezone)
        }
    };
    assert_eq!(zone(&a).await.as_deref(), Some("Europe/Lisbon"), "the failed community kept its last committed state");
    assert_eq!(zone(&b).await.as_deref(), Some("Asia/Tokyo"));
}

#[tokio::test]
async fn a_slow_adapter_holds_back_only_its_own_platform_and_nothing_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("a.db")).await.unwrap();
    let mut outlets = Outlets::new();
    let mut console = outlets.add(Platform::Console);
    // A Discord adapter that has stopped reading, with room for one delivery.
    let mut discord = outlets.add_with_capacity(Platform::Discord, 1);
    let (e, _) = Engine::start(store, Clock::manual(t0()), Config::default().content().unwrap(), Seed::Fixed(1), outlets).await.unwrap();
    let d = community(Platform::Discord, "g");
    let c = community(Platform::Console, "g");
    // Platform events nobody awaits, each causing a private card through the outlet.
    for u in ["a", "b", "x"] {
        let actor = person(Platform::Discord, u, false);
        let chat = Input::Chat { actor, place: in_channel(Platform::Discord, "t"), text: "I want to die".into() };
        e.post(&d, chat, None).await.unwrap();
    }
    // Wait for the fact, not for a while: the outlet is full, so the Discord actor waits on it.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while discord.is_empty() || e.queued(&d) > 0 {
        assert!(std::time::Instant::now() < deadline, "the Discord actor took its inputs and filled its outlet");
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // The Discord actor is now waiting on its full outlet; the console goes on.
    let host = person(Platform::Console, "host", true);
    let answer = tokio::time::timeout(Duration::from_secs(5), async {
        cmd(&e, &c, &host, in_channel(Platform::Console, "room"), "circle open").await
    })
    .await
    .expect("another platform's community is not held back");
    assert!(!answer.deliveries.is_empty());
    let pending = e.clone();
    let d2 = d.clone();
    let waiting = tokio::spawn(async move {
        let actor = person(Platform::Discord, "y", false);
        pending.submit(&d2, Input::Command { actor, place: Place::Private, command: attune::core::command::Command::Help }, None).await
    });
    // Once the input is queued behind the blocked actor, it can't have been answered.
    while e.queued(&d) == 0 {
        assert!(std::time::Instant::now() < deadline, "the input reached the community's queue");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(!waiting.is_finished(), "the slow platform's own inputs wait their turn (backpressure), they are not dropped");
    let mut got = Vec::new();
    while got.len() < 3 {
        let o = tokio::time::timeout(Duration::from_secs(5), discord.recv()).await.expect("deliveries flow again").expect("open");
        got.push(o);
    }
    let answer = tokio::time::timeout(Duration::from_secs(5), waiting).await.expect("the waiting input completes").unwrap().unwrap();
    assert!(!answer.deliveries.is_empty());
    let crisis = got.iter().filter(|o| matches!(&o.delivery, Delivery::Whisper { message, .. } if message.kind == Kind::Crisis)).count();
    assert_eq!(crisis, 3, "every card reached the slow adapter once it read again");
    assert!(drain(&mut console).is_empty());
}

#[tokio::test]
async fn an_input_that_changes_nothing_opens_no_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let two = two_platforms(&dir.path().join("a.db")).await;
    let e = two.engine.clone();
    let c = community(Platform::Discord, "g");
    let amy = person(Platform::Discord, "amy", false);
    cmd(&e, &c, &amy, Place::Private, "help").await;
    let before = e.store().commits();
    for text in ["hello", "how is everyone", "lovely weather"] {
        e.submit(&c, Input::Chat { actor: amy.clone(), place: in_channel(Platform::Discord, "t"), text: text.into() }, None).await.unwrap();
    }
    cmd(&e, &c, &amy, Place::Private, "help").await;
    cmd(&e, &c, &amy, Place::Private, "circle status").await;
    assert_eq!(e.store().commits(), before, "chat, help and a refused command change nothing and write nothing");
    cmd(&e, &c, &amy, Place::Private, "timezone Europe/Lisbon").await;
    assert_eq!(e.store().commits(), before + 1, "a real change is one transaction");
}

#[tokio::test]
async fn a_second_process_on_the_same_database_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.db");
    let two = two_platforms(&path).await;
    let e = Store::open(&path).await.expect_err("one process owns a database");
    assert!(matches!(e, StoreError::InUse { .. }));
    assert!(e.to_string().contains("in use by another attune process"), "{e}");
    two.engine.shutdown().await;
    Store::open(&path).await.expect("free after a clean shutdown");
}

#[tokio::test]
async fn a_community_that_cannot_load_is_skipped_at_start_and_the_rest_resume() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.db");
    let (a, b) = (community(Platform::Discord, "a"), community(Platform::Discord, "b"));
    {
        let two = two_platforms(&path).await;
        open_and_start(&two.engine, &a, Platform::Discord).await;
        open_and_start(&two.engine, &b, Platform::Discord).await;
        sqlx::query("UPDATE communities SET doc = 'damaged' WHERE id = ?").bind(a.key()).execute(two.engine.store().pool()).await.unwrap();
        two.engine.shutdown().await;
    }
    let store = Store::open(&path).await.unwrap();
    let mut outlets = Outlets::new();
    let _rx = outlets.add(Platform::Discord);
    let (e, resumed) = tokio::time::timeout(
        Duration::from_secs(20),
        Engine::start(
            store,
            Clock::manual(attune::core::time::plus(t0(), 30)),
            Config::default().content().unwrap(),
            Seed::Fixed(1),
            outlets,
        ),
    )
    .await
    .expect("a damaged community never blocks the start")
    .unwrap();
    let resumed = resumed.collect().await;
    assert!(resumed.iter().all(|o| o.community == b), "only the healthy community resumed");
    assert!(resumed.iter().any(|o| matches!(&o.delivery, Delivery::Say { .. })), "and its circle heard that attune is back");
    assert_eq!(e.quarantined(), vec![a.clone()]);
    assert_eq!(e.store().quarantined().await.unwrap(), vec![(a.key(), "load".to_owned())]);
    e.advance(3600).await.unwrap();
    assert_eq!(phase(&e, &b).await, Phase::Ended, "the healthy community runs on");
}

/// Starts an engine on `path` serving Discord, returning what it sent through the outlet
/// while starting, besides what it resumed.
async fn restart_discord(path: &std::path::Path) -> (Engine, Vec<Delivery>) {
    let store = Store::open(path).await.unwrap();
    let mut outlets = Outlets::new();
    let mut rx = outlets.add(Platform::Discord);
    let (e, resumed) = Engine::start(
        store,
        Clock::manual(attune::core::time::plus(t0(), 30)),
        Config::default().content().unwrap(),
        Seed::Fixed(1),
        outlets,
    )
    .await
    .unwrap();
    let mut sent: Vec<Delivery> = resumed.collect().await.into_iter().map(|o| o.delivery).collect();
    while let Ok(o) = rx.try_recv() {
        sent.push(o.delivery);
    }
    (e, sent)
}

fn said_in<'a>(sent: &'a [Delivery], line: &str) -> Vec<&'a attune::core::ids::ChannelId> {
    sent.iter()
        .filter_map(|d| match d {
            Delivery::Say { channel, message } if message.lines.iter().any(|l| l.id == line) => Some(channel),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_running_circle_whose_record_is_damaged_is_announced_in_its_channel_once_and_set_aside() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.db");
    let a = community(Platform::Discord, "a");
    {
        let two = two_platforms(&path).await;
        open_and_start(&two.engine, &a, Platform::Discord).await;
        sqlx::query("UPDATE circles SET doc = 'damaged' WHERE community = ?")
            .bind(a.key())
            .execute(two.engine.store().pool())
            .await
            .unwrap();
        two.engine.shutdown().await;
    }
    let (e, sent) = restart_discord(&path).await;
    let room = attune::core::ids::ChannelId::parse(Platform::Discord, "room").unwrap();
    assert_eq!(said_in(&sent, "circle-interrupted"), vec![&room], "the circle's channel hears, once, that it can't go on");
    assert!(said_in(&sent, "recovered").is_empty() && said_in(&sent, "recovered-turn").is_empty(), "nothing claims it carries on");
    assert!(e.quarantined().is_empty(), "the rest of the community runs: {:?}", e.quarantined());
    let loaded = e.store().load(&a, None).await.unwrap().unwrap();
    assert_eq!(loaded.damaged.len(), 1, "the record itself is kept as it was, for doctor");
    assert!(loaded.interrupted.is_empty(), "but it is no longer a running circle");
    // A new circle can open in the same channel.
    let host = person(Platform::Discord, "host", true);
    cmd(&e, &a, &host, in_channel(Platform::Discord, "room"), "circle open").await;
    let loaded = e.store().load(&a, None).await.unwrap().unwrap();
    assert_eq!(loaded.circles.values().filter(|c| c.is_live()).count(), 1, "a new circle opened there");
    e.shutdown().await;
    let (e, sent) = restart_discord(&path).await;
    assert!(said_in(&sent, "circle-interrupted").is_empty(), "said once, not at every start");
    e.shutdown().await;
}

#[tokio::test]
async fn a_database_written_by_release_0_1_0_loads_and_resumes_its_circles() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/db/v0.1.0.db"), &path).unwrap();
    let store = Store::open(&path).await.expect("the old database migrates");
    // Release 0.1.0 kept each circle's turn log inside its document; the migration moves it to `turns`.
    let embedded: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM circles WHERE json_type(doc, '$.log') IS NOT NULL").fetch_one(store.pool()).await.unwrap();
    assert_eq!(embedded, 0, "no circle document carries its turn log any more");
    let ended_turns: Vec<String> =
        sqlx::query_scalar("SELECT t.speaker FROM turns t JOIN circles c ON c.community = t.community AND c.id = t.circle WHERE c.channel = 'console:room-ended' ORDER BY t.seq")
            .fetch_all(store.pool())
            .await
            .unwrap();
    assert_eq!(ended_turns.len(), 9, "the ended circle's nine turns (check-in, sharing, closing for three) moved, in order");
    assert_eq!(ended_turns[..3], ["console:alice", "console:bob", "console:cara"]);
    let (outlets, mut rx) = Outlets::single(Platform::Console);
    // The fixture's live circles were 400 s into their sharing rounds at 12:03:00 + 400 s.
    let now: jiff::Timestamp = "2026-03-02T12:05:00Z".parse().unwrap();
    let (e, resumed) =
        Engine::start(store, Clock::manual(now), Config::default().content().unwrap(), Seed::Fixed(1), outlets).await.unwrap();
    let resumed = resumed.collect().await;
    let id = community(Platform::Console, "console");
    assert_eq!(e.store().communities().await.unwrap(), vec![id.clone()], "the bare id gained its platform");
    let loaded = e.store().load(&id, None).await.unwrap().unwrap();
    assert!(loaded.damaged.is_empty(), "every record reads: {:?}", loaded.damaged);
    assert_eq!(loaded.circles.len(), 5);
    let ended = loaded.circles.values().find(|c| c.channel.raw() == "room-ended").unwrap();
    assert_eq!(ended.log.len(), 9, "the ended circle loads with its turn log from the table");
    assert!(loaded.circles.values().all(|c| c.channel.platform() == Platform::Console));
    let member = |u: &str| loaded.members.iter().find(|(m, _)| m.user() == u).map(|(_, m)| m.clone()).unwrap();
    assert_eq!(member("alice").timezone.as_deref(), Some("Europe/Lisbon"));
    assert!(member("alice").quiet.is_some() && member("alice").daily.is_some());
    assert!(member("cara").crisis_checks_off);
    let shipped = Config::default().content().unwrap().decks;
    let decks = loaded.decks.over(&shipped);
    assert!(decks.iter().any(|d| d.name.as_str() == "extra"), "a moderator's deck survives");
    assert_eq!(loaded.community.settings.retention_days, 60);
    assert_eq!(loaded.community.suggestions.len(), 1);
    let said: Vec<&str> = resumed
        .iter()
        .filter_map(|o| match &o.delivery {
            Delivery::Say { message, .. } => message.lines.first().map(|l| l.id),
            _ => None,
        })
        .collect();
    assert!(said.contains(&"recovered-turn"), "the mid-turn circle resumes at its speaker: {said:?}");
    let paused = loaded.circles.values().find(|c| c.channel.raw() == "room-paused").unwrap();
    assert!(paused.paused.is_some(), "a paused circle stays paused");
    e.advance(6 * 3600).await.unwrap();
    drain(&mut rx);
    let after = e.store().load(&id, None).await.unwrap().unwrap();
    let sharing = after.circles.values().find(|c| c.channel.raw() == "room-sharing").unwrap();
    assert_eq!(sharing.phase, Phase::Ended, "the resumed circle ran to its end");
    let formats: Vec<i64> = sqlx::query_scalar("SELECT DISTINCT format FROM circles WHERE channel = 'console:room-sharing'")
        .fetch_all(e.store().pool())
        .await
        .unwrap();
    assert_eq!(formats, vec![attune::store::FORMAT], "a rewritten record is in the current format");
    let _ = MemberRef::parse(Platform::Console, "alice").unwrap();
}

#[tokio::test]
async fn a_crisis_card_or_support_page_committed_but_not_handed_on_before_a_crash_is_delivered_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.db");
    let c = community(Platform::Discord, "g");
    let amy = person(Platform::Discord, "amy", false);
    {
        let two = two_platforms(&path).await;
        let e = &two.engine;
        let got = e
            .submit(&c, Input::Chat { actor: amy.clone(), place: in_channel(Platform::Discord, "t"), text: "I want to die".into() }, None)
            .await
            .unwrap();
        assert!(got.private_to(&amy.member).any(|m| m.kind == Kind::Crisis));
        cmd(e, &c, &amy, Place::Private, "support").await;
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox").fetch_one(e.store().pool()).await.unwrap();
        assert_eq!(left, 0, "once handed on, nothing waits in the outbox");
        // The crash window: a commit wrote the outbox entries, and the process died before handing them on.
        let loaded = e.store().load(&c, None).await.unwrap().unwrap();
        let content = Config::default().content().unwrap();
        let mut state = attune::core::state::State::new(loaded.community, loaded.decks.over(&content.decks), &content.phrases);
        state.dirty.community = true;
        let dirty = state.take_dirty();
        let pending = [
            attune::store::Pending::Crisis { member: amy.member.clone() },
            attune::store::Pending::Support { member: amy.member.clone(), display: "amy".into() },
        ];
        e.store().commit_with_outbox(&state, &dirty, &[], &pending, t0()).await.unwrap();
        e.shutdown().await;
    }
    let store = Store::open(&path).await.unwrap();
    let mut outlets = Outlets::new();
    let mut rx = outlets.add(Platform::Discord);
    let (e, _) = Engine::start(store, Clock::manual(t0()), Config::default().content().unwrap(), Seed::Fixed(1), outlets).await.unwrap();
    let out = drain(&mut rx);
    let card =
        out.iter().any(|o| matches!(&o.delivery, Delivery::Whisper { to, message } if *to == amy.member && message.kind == Kind::Crisis));
    let page = out.iter().any(|o| matches!(&o.delivery, Delivery::OpenSupport { member, .. } if *member == amy.member));
    assert!(card && page, "both reach the adapter after the restart: {out:?}");
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox").fetch_one(e.store().pool()).await.unwrap();
    assert_eq!(left, 0, "and are not delivered twice");
}

#[tokio::test]
async fn a_crisis_message_gets_the_card_even_when_nothing_can_be_saved_or_the_community_cannot_load() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.db");
    let (full, broken) = (community(Platform::Discord, "full"), community(Platform::Discord, "broken"));
    let amy = person(Platform::Discord, "amy", false);
    let cry = |c: &str| Input::Chat { actor: amy.clone(), place: in_channel(Platform::Discord, "t"), text: c.into() };
    {
        let two = two_platforms(&path).await;
        cmd(&two.engine, &full, &amy, Place::Private, "help").await;
        cmd(&two.engine, &broken, &amy, Place::Private, "help").await;
        sqlx::query("UPDATE communities SET doc = '{}' WHERE id = 'discord:broken'").execute(two.engine.store().pool()).await.unwrap();
        two.engine.shutdown().await;
    }
    let mut two = two_platforms(&path).await;
    let e = two.engine.clone();
    // The disk is "full": every write to members fails.
    sqlx::query("CREATE TRIGGER full BEFORE INSERT ON members BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;")
        .execute(e.store().pool())
        .await
        .unwrap();
    let r = e.submit(&full, cry("i want to kill myself"), None).await;
    assert!(matches!(r, Err(EngineError::NotSaved(_))), "{r:?}");
    let out = drain(&mut two.discord);
    assert!(
        out.iter().any(|o| matches!(&o.delivery, Delivery::Whisper { to, message } if *to == amy.member && message.kind == Kind::Crisis)),
        "the card still goes out: {out:?}"
    );

    // A community whose record is damaged can't load at all; help still comes from the defaults.
    let r = e.submit(&broken, cry("i want to kill myself"), None).await;
    assert!(r.is_err());
    let out = drain(&mut two.discord);
    assert!(out.iter().any(|o| matches!(&o.delivery, Delivery::Whisper { message, .. } if message.kind == Kind::Crisis)), "{out:?}");
    for (line, want) in [("resources", "crisis"), ("support", "page")] {
        let command = attune::core::command::parse(line).unwrap();
        let _ = e.submit(&broken, Input::Command { actor: amy.clone(), place: Place::Private, command }, None).await;
        let out = drain(&mut two.discord);
        let got = out.iter().any(|o| match &o.delivery {
            Delivery::Whisper { message, .. } => want == "crisis" && message.kind == Kind::Crisis,
            Delivery::OpenSupport { member, .. } => want == "page" && *member == amy.member,
            _ => false,
        });
        assert!(got, "{line} still answers: {out:?}");
    }
    let plain = e.submit(&broken, cry("hello everyone"), None).await;
    assert!(plain.is_err());
    assert!(drain(&mut two.discord).is_empty(), "ordinary chat gets nothing extra");
}
