//! A database written by release 0.1.0 (format 1), checked in at
//! `tests/fixtures/db/v0.1.0.db`. `ATTUNE_MAKE_DB_FIXTURE=1 cargo test
//! make_release_db` rewrites it with the current build; do that only when a
//! release changes the stored format, and keep the old file beside the new.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use attune::config::Config;
use attune::core::command;
use attune::core::ids::{ChannelId, CommunityId, Platform};
use attune::core::input::{Input, Place};
use attune::engine::{Clock, Engine, Outlets, Seed};
use attune::store::Store;

use super::support::{actor, t0};

fn place(room: &str) -> Place {
    Place::Channel(ChannelId::parse(Platform::Console, room).expect("a channel id"))
}

async fn say(engine: &Engine, community: &CommunityId, who: &str, room: Option<&str>, line: &str) {
    let command = command::parse(line).expect("a valid command");
    let place = room.map(place).unwrap_or(Place::Private);
    engine.submit(community, Input::Command { actor: actor(who), place, command }, None).await.expect("applied");
}

#[tokio::test]
async fn make_release_db() {
    if std::env::var_os("ATTUNE_MAKE_DB_FIXTURE").is_none() {
        return;
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/db/v0.1.0.db");
    let _ = std::fs::remove_file(&path);
    let store = Store::open(&path).await.expect("the store opens");
    let (outlets, mut rx) = Outlets::single(Platform::Console);
    let defaults = Config::default().content().expect("content");
    let (engine, _) = Engine::start(store, Clock::manual(t0()), defaults, Seed::Fixed(7), outlets).await.expect("start");
    tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let c = CommunityId::parse(Platform::Console, "console").expect("id");
    let e = &engine;
    // Members with every preference.
    for (who, tz, quiet, daily) in [("alice", "Europe/Lisbon", "22:00-07:00", "08:00"), ("bob", "America/Chicago", "23:00-06:30", "19:30")]
    {
        say(e, &c, who, None, &format!("timezone {tz}")).await;
        say(e, &c, who, None, &format!("quiet {quiet}")).await;
        say(e, &c, who, None, &format!("daily {daily}")).await;
        say(e, &c, who, None, "reflect body").await;
    }
    say(e, &c, "bob", None, "daily pause").await;
    say(e, &c, "cara", None, "crisis off").await;
    say(e, &c, "dan", None, "suggest What would it be like to rest without earning it?").await;
    // Moderator edits: a new card, an edited card, a disabled card, a template change, a setting.
    say(e, &c, "mod", None, "deck add extra self-reflection rest light What is one small way you could rest today?").await;
    say(e, &c, "mod", None, "deck disable check-in-01").await;
    say(e, &c, "mod", None, "deck edit sharing-02 intensity light").await;
    say(e, &c, "mod", None, "template set short turn 3m").await;
    say(e, &c, "mod", None, "settings set retention-days 60").await;
    // An ended circle with pulses.
    say(e, &c, "mod", Some("room-ended"), "circle open short Ended circle").await;
    for who in ["alice", "bob", "cara"] {
        say(e, &c, who, Some("room-ended"), "circle join").await;
        say(e, &c, who, None, "agree").await;
    }
    say(e, &c, "mod", Some("room-ended"), "circle start").await;
    engine.advance(3 * 3600).await.expect("advance");
    for (who, n) in [("alice", 4), ("bob", 5), ("cara", 3)] {
        say(e, &c, who, None, &format!("pulse {n}")).await;
    }
    // A gathering circle, a scheduled one, a paused one, and one mid-turn in sharing.
    say(e, &c, "mod", Some("room-gathering"), "circle open Gathering circle").await;
    say(e, &c, "alice", Some("room-gathering"), "circle join").await;
    say(e, &c, "mod", Some("room-scheduled"), "circle open Scheduled circle").await;
    say(e, &c, "mod", Some("room-scheduled"), "circle schedule in 3h").await;
    say(e, &c, "bob", Some("room-scheduled"), "circle join").await;
    for room in ["room-paused", "room-sharing"] {
        say(e, &c, "mod", Some(room), "circle open Live circle").await;
        for who in ["alice", "bob", "cara"] {
            say(e, &c, who, Some(room), "circle join").await;
        }
        say(e, &c, "mod", Some(room), "circle start").await;
    }
    engine.advance(400).await.expect("advance");
    say(e, &c, "mod", Some("room-paused"), "circle pause").await;
    engine.shutdown().await;
}
