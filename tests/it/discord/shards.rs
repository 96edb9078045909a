//! Sharding: attune starts as many shards as Discord recommends, or the range
//! `discord.shards` names, and the fake sends each server to its own shard only
//! (`(guild_id >> 22) % total`, as Discord does).

use std::time::{Duration, Instant};

use serde_json::json;

use super::fake::{CHANNEL, Fake, GUILD, User};
use super::{Bot, people};

/// A second server, on the other of two shards (`GUILD` is on shard 1 of 2).
const GUILD2: u64 = GUILD + (1 << 22);
const CHANNEL2: u64 = 900_000_000_000_000_104;

/// Waits until the bot is connected on exactly `shards` (serenity starts one shard
/// every few seconds).
async fn connected_on(fake: &Fake, shards: &[u32], total: u32) {
    let deadline = Instant::now() + Duration::from_secs(40);
    while fake.shards_connected() != (shards.to_vec(), total) {
        assert!(Instant::now() < deadline, "connected on {:?}, not {shards:?} of {total}", fake.shards_connected());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Opens a circle in `channel`, lets `members` join, starts it, and returns the
/// place where it runs (its thread) once the first turn is announced there.
async fn a_circle_in(bot: &Bot, channel: u64, host: &User, members: &[&User]) -> u64 {
    bot.circle_in(channel, host, "open", json!([{ "name": "title", "type": 3, "value": "Shard circle" }])).await;
    let place = bot.fake.public_threads(channel).last().copied().expect("the circle has a thread");
    for m in members {
        bot.circle_in(place, m, "join", json!([])).await;
        let id = bot.fake.slash_in(place, m, "agree", json!([]));
        bot.fake.answered(id).await;
    }
    bot.circle_in(place, host, "start", json!([])).await;
    let turn = bot.fake.posted().into_iter().rev().find(|p| p.channel == place && p.button(":done:").is_some());
    assert!(
        turn.is_some(),
        "the first turn is announced in the circle's thread: {:#?}",
        bot.fake.posted().iter().map(|p| (p.channel, p.content())).collect::<Vec<_>>()
    );
    place
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_two_shards_recommended_attune_runs_both_and_a_circle_runs_in_a_server_on_each() {
    let (host, alice, bob, _) = people();
    let fake = Fake::start().await;
    fake.add_user(&host);
    fake.add_user(&alice);
    fake.add_user(&bob);
    fake.set_shards(2);
    fake.add_guild(GUILD2, CHANNEL2);
    let bot = Bot::start_on(fake, tempfile::tempdir().unwrap(), true).await;
    connected_on(&bot.fake, &[0, 1], 2).await;
    assert!(bot.running.as_ref().unwrap().connected().await, "every shard is connected");

    let first = a_circle_in(&bot, CHANNEL, &host, &[&alice, &bob]).await;
    let second = a_circle_in(&bot, CHANNEL2, &host, &[&alice, &bob]).await;
    assert_ne!(first, second);
    // Two communities, one per server: each circle is its own server's.
    let status = bot.fake.slash_in(second, &host, "circle", json!([{ "name": "status", "type": 1, "options": [] }]));
    bot.fake.answered(status).await;
    let said = bot.private_to(&host).last().map(|p| p.content()).unwrap_or_default();
    assert!(said.contains("alice has the floor"), "the second server's circle answers there: {said}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shard_range_runs_only_its_shards_and_the_servers_on_them() {
    let (host, alice, bob, _) = people();
    let fake = Fake::start().await;
    fake.add_user(&host);
    fake.add_user(&alice);
    fake.add_user(&bob);
    fake.set_shards(2);
    fake.add_guild(GUILD2, CHANNEL2);
    let range = attune::config::ShardRange::parse("0-0/2").unwrap();
    assert!(range.owns(GUILD2) && !range.owns(GUILD), "the servers are on different shards");
    let bot = Bot::start_configured(fake, tempfile::tempdir().unwrap(), true, |o| o.section.shards = Some("0-0/2".into())).await;
    connected_on(&bot.fake, &[0], 2).await;
    // Give serenity time to start a second shard, if it (wrongly) would.
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(bot.fake.shards_connected(), (vec![0], 2), "only shard 0 of 2 is run here");
    assert!(!bot.fake.reaches(GUILD), "the other shard's server sends this process nothing");
    assert!(!bot.fake.requests().iter().any(|r| r.path == "/api/v10/gateway/bot"), "the total comes from the range");
    a_circle_in(&bot, CHANNEL2, &host, &[&alice, &bob]).await;
    // DMs reach shard 0: a DM button naming the other process's server does nothing
    // here and says so kindly.
    let dm = bot.fake.say_dm(&alice, "hello");
    let custom_id = attune::platform::discord::encode_button(GUILD, attune::core::effect::Action::Pulse(attune::core::ids::CircleId(1), 4));
    let on = super::fake::Posted {
        id: 1,
        channel: dm,
        to: Some(alice.id),
        ephemeral: false,
        body: json!({ "content": "How was it?", "components": [{ "type": 1, "components": [{ "type": 2, "style": 1, "label": "4", "custom_id": custom_id }] }] }),
    };
    let before = bot.fake.posted().len();
    bot.press(&alice, &on, &custom_id).await;
    let said: Vec<String> = bot.fake.posted().into_iter().skip(before).map(|p| p.content()).collect();
    assert!(said.iter().any(|s| s.contains("can't take this button from here")), "{said:?}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_shards_are_split_anew_a_circle_left_in_this_database_for_anothers_server_is_not_spoken_for() {
    let (host, alice, bob, _) = people();
    let fake = Fake::start().await;
    for u in [&host, &alice, &bob] {
        fake.add_user(u);
    }
    let bot = Bot::start_on(fake, tempfile::tempdir().unwrap(), true).await;
    let place = a_circle_in(&bot, CHANNEL, &host, &[&alice, &bob]).await;
    let (fake, dir) = bot.finish().await;
    // This process now runs shard 0 of 2; GUILD is on shard 1, another process's.
    fake.set_shards(2);
    let bot = Bot::start_configured(fake, dir, true, |o| o.section.shards = Some("0-0/2".into())).await;
    let before = bot.fake.posted().len();
    // The turn's time runs out, and then the next: the engine goes on, and nothing
    // is said in a server another process speaks in.
    bot.engine.advance(20 * 60).await.unwrap();
    bot.fake.settle().await;
    let said: Vec<_> = bot.fake.posted().into_iter().skip(before).filter(|p| p.channel == place || p.channel == CHANNEL).collect();
    assert!(said.is_empty(), "nothing was posted for the other process's server: {said:?}");
    bot.stop().await;
}
