//! The engine with the real store on a temporary SQLite file and a manual
//! clock: replayed events, timers in order, restarts, and failed commits.

// Helpers outside #[test] functions may panic too: these are tests.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::Path;

use attune::config::Config;
use attune::core::circle::{Circle, Phase, TurnKind};
use attune::core::command;
use attune::core::effect::{Arg, Kind, Message};
use attune::core::ids::CommunityId;
use attune::core::ids::Platform;
use attune::core::input::Input;
use attune::engine::{Clock, Delivery, Engine, EngineError, Outgoing, Outlets, Resumed, Seed};
use attune::store::Store;
use jiff::Timestamp;
use tokio::sync::mpsc::Receiver;

use super::support::{actor, here, member, t0};

fn community() -> CommunityId {
    CommunityId::parse(Platform::Console, "t").expect("a well-formed community id")
}

/// Starts an engine, keeping what its live circles are still to be told.
async fn boot_resumed(path: &Path, now: Timestamp) -> (Engine, Receiver<Outgoing>, Resumed) {
    let store = Store::open(path).await.expect("the store opens");
    let (outlets, rx) = Outlets::single(Platform::Console);
    let defaults = Config::default().content().expect("the built-in content loads");
    let (engine, resumed) = Engine::start(store, Clock::manual(now), defaults, Seed::Fixed(1), outlets).await.expect("the engine starts");
    (engine, rx, resumed)
}

/// Starts an engine; what its start told live circles is in the returned deliveries.
async fn boot_with(path: &Path, now: Timestamp) -> (Engine, Receiver<Outgoing>, Vec<Delivery>) {
    let (engine, rx, resumed) = boot_resumed(path, now).await;
    (engine, rx, resumed.collect().await.into_iter().map(|o| o.delivery).collect())
}

async fn boot(path: &Path, now: Timestamp) -> (Engine, Receiver<Outgoing>) {
    let (engine, rx, _) = boot_with(path, now).await;
    (engine, rx)
}

fn input(name: &str, line: &str) -> Input {
    let command = command::parse(line).expect("a valid command");
    let place = if line.starts_with("circle") || matches!(line, "done" | "pass") { here() } else { attune::core::input::Place::Private };
    Input::Command { actor: actor(name), place, command }
}

/// Submits a command and returns what it caused.
async fn send(engine: &Engine, name: &str, line: &str) -> Vec<Delivery> {
    engine.submit(&community(), input(name, line), None).await.unwrap_or_else(|e| panic!("{name}: {line} failed: {e}")).deliveries
}

/// Everything delivered so far.
fn drain(rx: &mut Receiver<Outgoing>) -> Vec<Delivery> {
    let mut out = Vec::new();
    while let Ok(o) = rx.try_recv() {
        assert_eq!(o.community, community());
        out.push(o.delivery);
    }
    out
}

fn messages(ds: &[Delivery]) -> Vec<&Message> {
    ds.iter()
        .filter_map(|d| match d {
            Delivery::Say { message, .. } | Delivery::Whisper { message, .. } => Some(message),
            _ => None,
        })
        .collect()
}

fn line_ids(ds: &[Delivery]) -> Vec<&'static str> {
    messages(ds).iter().flat_map(|m| m.lines.iter().map(|l| l.id)).collect()
}

async fn circle(engine: &Engine) -> Circle {
    let loaded = engine.store().load(&community(), None).await.expect("the store answers").expect("the community is stored");
    loaded.circles.into_values().max_by_key(|c| c.id).map(|c| *c).expect("a stored circle")
}

/// alice hosts; alice and bob join and agree; alice starts.
async fn start_circle(engine: &Engine) {
    send(engine, "alice", "circle open").await;
    for n in ["alice", "bob"] {
        send(engine, n, "circle join").await;
        send(engine, n, "agree").await;
    }
    send(engine, "alice", "circle start").await;
}

#[tokio::test]
async fn a_replayed_platform_event_changes_nothing_and_delivers_nothing() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("attune.db");
    let (engine, mut rx) = boot(&path, t0()).await;
    let suggest = || input("bob", "suggest What does rest feel like today?");
    let answer = engine.submit(&community(), suggest(), Some("evt-1".into())).await.expect("the first delivery applies");
    assert_eq!(line_ids(&answer.deliveries), ["suggest-thanks"], "what an input caused comes back from submit");
    assert!(drain(&mut rx).is_empty(), "and not through the stream");
    let before = engine.store().load(&community(), None).await.expect("load").expect("stored").community;
    assert_eq!(before.suggestions.len(), 1);

    let answer = engine.submit(&community(), suggest(), Some("evt-1".into())).await.expect("a replay is not an error");
    assert!(answer.deliveries.is_empty() && drain(&mut rx).is_empty(), "a replayed event delivers nothing");
    let after = engine.store().load(&community(), None).await.expect("load").expect("stored").community;
    assert_eq!(after, before, "a replayed event changes nothing");

    let answer = engine.submit(&community(), suggest(), Some("evt-2".into())).await.expect("a new event applies");
    assert_eq!(line_ids(&answer.deliveries), ["suggest-thanks"], "a different event id is a different event");
    engine.shutdown().await;

    let (engine, mut rx) = boot(&path, t0()).await;
    let answer = engine.submit(&community(), suggest(), Some("evt-1".into())).await.expect("a replay after a restart is not an error");
    assert!(answer.deliveries.is_empty() && drain(&mut rx).is_empty(), "processed event ids survive a restart");
    let count = engine.store().load(&community(), None).await.expect("load").expect("stored").community.suggestions.len();
    assert_eq!(count, 2, "only the two distinct events were applied");
}

#[tokio::test]
async fn advance_fires_each_timer_in_order_at_its_own_moment() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let (engine, mut rx) = boot(&dir.path().join("attune.db"), t0()).await;
    start_circle(&engine).await;
    drain(&mut rx);
    engine.advance(3600).await.expect("time moves");
    assert_eq!(engine.clock().now(), attune::core::circle::plus(t0(), 3600), "the clock ends at the target");

    let c = circle(&engine).await;
    assert_eq!(c.phase, Phase::Ended, "the clock alone runs the circle to its end");
    let at = |s: i64| attune::core::circle::plus(t0(), s);
    let turns: Vec<(String, TurnKind, Timestamp, Timestamp)> =
        c.log.iter().map(|r| (r.speaker.user().to_owned(), r.kind, r.started, r.ended)).collect();
    let expected = [
        ("alice", TurnKind::CheckIn, 0, 60),
        ("bob", TurnKind::CheckIn, 60, 120),
        ("alice", TurnKind::Sharing, 120, 420),
        ("bob", TurnKind::Sharing, 420, 720),
        ("alice", TurnKind::CheckOut, 720, 780),
        ("bob", TurnKind::CheckOut, 780, 840),
    ]
    .map(|(n, k, s, e)| (n.to_owned(), k, at(s), at(e)));
    assert_eq!(turns, expected, "each deadline fired at its own moment, in order");
    assert_eq!(c.ended_at, Some(at(840)));

    let ids = line_ids(&drain(&mut rx));
    let firsts: Vec<&str> = ids
        .iter()
        .copied()
        .filter(|id| ["turn-checkin", "turn-sharing", "turn-warning", "turn-checkout", "turn-time", "circle-ended"].contains(id))
        .collect();
    assert_eq!(
        firsts,
        [
            "turn-time",
            "turn-checkin",
            "turn-time",
            "turn-sharing",
            "turn-warning",
            "turn-time",
            "turn-sharing",
            "turn-warning",
            "turn-time",
            "turn-checkout",
            "turn-time",
            "turn-checkout",
            "turn-time",
            "circle-ended"
        ],
        "deliveries come out in the order the timers fired"
    );
}

#[test]
fn a_restart_resumes_a_live_circle_at_the_same_speaker_with_the_time_left() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("attune.db");
    let runtime = || tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");

    // First process: alice is 100 s into her 300 s sharing turn when it stops.
    let deadline = runtime().block_on(async {
        let (engine, mut rx) = boot(&path, t0()).await;
        start_circle(&engine).await;
        engine.advance(120 + 100).await.expect("time moves");
        let c = circle(&engine).await;
        let turn = c.turn.expect("a turn is running");
        assert_eq!((turn.speaker.user(), turn.kind), ("alice", TurnKind::Sharing));
        drain(&mut rx);
        engine.shutdown().await;
        turn.deadline
    });

    // Second process, 30 s later: the same speaker, 170 s left, no new turn.
    runtime().block_on(async {
        let restart = attune::core::circle::plus(t0(), 250);
        let (engine, mut rx, ds) = boot_with(&path, restart).await;
        assert!(drain(&mut rx).is_empty(), "a start hands what it resumed to its caller, not the outlet");
        let said: Vec<&Message> =
            ds.iter().filter_map(|d| if let Delivery::Say { message, .. } = d { Some(message) } else { None }).collect();
        assert_eq!(said.len(), 1, "the circle hears once that the bot is back: {ds:?}");
        assert!(!said.iter().any(|m| matches!(m.kind, Kind::TurnStarted { .. })), "no turn is announced again");
        let line = &said[0].lines[0];
        assert_eq!(line.id, "recovered-turn");
        assert!(
            line.args.contains(&("name", Arg::Member { member: member("alice"), display: "alice".into() })),
            "the same speaker keeps the floor, named as a person: {:?}",
            line.args
        );
        assert!(line.args.contains(&("time", Arg::Secs(170))), "with the time that is really left: {:?}", line.args);
        assert!(!ds.iter().any(|d| matches!(d, Delivery::Whisper { .. })), "nobody gets a prompt or guide again");
        let c = circle(&engine).await;
        assert_eq!(c.turn.as_ref().map(|t| (t.speaker.clone(), t.deadline)), Some((member("alice"), deadline)));

        engine.advance(109).await.expect("time moves");
        assert!(drain(&mut rx).is_empty(), "nothing fires early after a restart");
        engine.advance(1).await.expect("time moves");
        let ds = drain(&mut rx);
        assert!(
            ds.iter()
                .any(|d| matches!(d, Delivery::Whisper { to, message } if *to == member("alice") && message.lines[0].id == "turn-warning")),
            "the re-armed warning fires on time: {ds:?}"
        );
        engine.advance(60).await.expect("time moves");
        let ids = line_ids(&drain(&mut rx));
        assert!(ids.contains(&"turn-time") && ids.contains(&"turn-sharing"), "the turn ends at its deadline and bob's begins: {ids:?}");
        assert_eq!(circle(&engine).await.turn.map(|t| t.speaker), Some(member("bob")));
    });
}

#[tokio::test]
async fn a_failed_commit_keeps_the_last_committed_state_and_delivers_nothing() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let (engine, mut rx) = boot(&dir.path().join("attune.db"), t0()).await;
    start_circle(&engine).await;
    drain(&mut rx);
    let before = circle(&engine).await;
    assert_eq!(before.turn.as_ref().map(|t| t.speaker.user().to_owned()).as_deref(), Some("alice"));

    let pool = engine.store().pool();
    sqlx::query("CREATE TRIGGER boom BEFORE UPDATE ON circles BEGIN SELECT RAISE(ABORT, 'disk full'); END;")
        .execute(pool)
        .await
        .expect("the trigger is created");
    let result = engine.submit(&community(), input("alice", "done"), None).await;
    assert!(matches!(result, Err(EngineError::NotSaved(_))), "a failed commit is reported: {result:?}");
    assert!(drain(&mut rx).is_empty(), "nothing is delivered for a change that wasn't saved");
    sqlx::query("DROP TRIGGER boom").execute(pool).await.expect("the trigger is dropped");

    let after = circle(&engine).await;
    assert_eq!(after, before, "the stored circle is as it was");
    assert_eq!(after.phase, Phase::Opening);

    // The engine kept the committed state in memory too: alice still has the floor.
    let ids = line_ids(&send(&engine, "alice", "done").await);
    assert!(ids.contains(&"turn-done") && ids.contains(&"turn-checkin"), "the retried done works: {ids:?}");
    assert_eq!(circle(&engine).await.turn.map(|t| t.speaker), Some(member("bob")));
}

/// A restart tells each running circle where it stands only when its adapter asks, a
/// batch at a time (never a note for every circle held at once), and a timer that came
/// due while attune was down waits until then: "I'm back" always comes first.
#[tokio::test]
async fn a_restart_tells_every_running_circle_once_when_asked_and_its_timers_wait_for_that() {
    const CIRCLES: usize = 300;
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("attune.db");
    let place = |i: usize| {
        attune::core::input::Place::Channel(attune::core::ids::ChannelId::parse(Platform::Console, &format!("c{i}")).expect("a channel"))
    };
    let run = |who: String, i: usize, line: &str| Input::Command {
        actor: actor(&who),
        place: place(i),
        command: command::parse(line).expect("a command"),
    };
    {
        let (engine, mut rx) = boot(&path, t0()).await;
        for i in 0..CIRCLES {
            let (host, guest) = (format!("h{i}"), format!("g{i}"));
            for (who, line) in [
                (&host, "circle open"),
                (&host, "circle join"),
                (&host, "agree"),
                (&guest, "circle join"),
                (&guest, "agree"),
                (&host, "circle start"),
            ] {
                engine.submit(&community(), run(who.clone(), i, line), None).await.expect("the command applies");
            }
        }
        drain(&mut rx);
        engine.shutdown().await;
    }
    // Back a day later: every turn ran out while attune was down.
    let (engine, mut rx, resumed) = boot_resumed(&path, attune::core::circle::plus(t0(), 86_400)).await;
    assert_eq!(resumed.len(), CIRCLES, "every running circle is to be told");
    assert!(drain(&mut rx).is_empty(), "nothing is said before the adapter asks");
    // A clock moving on before the circles are told fires nothing until they are.
    let moving = {
        let engine = engine.clone();
        tokio::spawn(async move { engine.advance(0).await })
    };
    let told = resumed.collect().await;
    let mut channels: Vec<String> = told
        .iter()
        .filter_map(|o| match &o.delivery {
            Delivery::Say { channel, message } => {
                assert_eq!(message.lines[0].id, "recovered", "no '0 s left' after a long outage");
                Some(channel.raw().to_owned())
            }
            _ => None,
        })
        .collect();
    let before = channels.len();
    channels.sort();
    channels.dedup();
    assert_eq!((before, channels.len()), (CIRCLES, CIRCLES), "each circle hears once that attune is back");
    moving.await.expect("the clock task ends").expect("time moves");
    let after = drain(&mut rx);
    let ended = line_ids(&after).iter().filter(|id| **id == "turn-time").count();
    assert_eq!(ended, CIRCLES, "then each turn that ran out while attune was down ends");
    engine.shutdown().await;
}

/// A circle nobody started, and attune down past its day: the restart says nothing
/// before its platform asks, then the circle closes with one note, and stays closed
/// through the next restart.
#[tokio::test]
async fn a_gathering_circle_whose_day_passed_while_attune_was_down_closes_once_after_the_restart() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("attune.db");
    {
        let (engine, mut rx) = boot(&path, t0()).await;
        send(&engine, "alice", "circle open").await;
        send(&engine, "bob", "circle join").await;
        send(&engine, "bob", "agree").await;
        drain(&mut rx);
        engine.shutdown().await;
    }
    let later = attune::core::circle::plus(t0(), 2 * attune::core::circle::UNSTARTED_SECS);
    let (engine, mut rx, resumed) = boot_resumed(&path, later).await;
    assert_eq!(resumed.len(), 0, "a gathering circle isn't running, so it isn't told attune is back");
    let moving = {
        let engine = engine.clone();
        tokio::spawn(async move { engine.advance(0).await })
    };
    assert!(resumed.collect().await.is_empty());
    moving.await.expect("the clock task ends").expect("time moves");
    let said = drain(&mut rx);
    assert_eq!(line_ids(&said).iter().filter(|id| **id == "cancelled-unstarted").count(), 1, "{:?}", line_ids(&said));
    engine.shutdown().await;

    let (engine, mut rx, resumed) = boot_resumed(&path, attune::core::circle::plus(later, 60)).await;
    assert!(resumed.collect().await.is_empty());
    engine.advance(0).await.expect("time moves");
    assert!(!line_ids(&drain(&mut rx)).contains(&"cancelled-unstarted"), "closed once, and saved so");
    engine.shutdown().await;
}
