//! Interaction-acknowledgement latency on Discord (`cargo bench --bench
//! discord_ack --features discord`): attune's Discord adapter (the real
//! client library and command framework) against the local fake Discord of
//! the tests (real HTTP, real websocket, real JSON), through the real engine and SQLite, next to a bare
//! handler on the same client library that only acknowledges
//! (`attune::platform::discord::bare`),
//! measured in the same run.
//!
//! The latency is the fake's: from the moment it writes an INTERACTION_CREATE
//! to the gateway to the moment the bot's first answer (the acknowledgement)
//! reaches its REST server. Parts: `/circle join` one at a time; a Done
//! button one at a time (each ends a turn and starts the next); and 100
//! `/circle join` in flight at once. Figures go to BENCHMARKS.md; nothing
//! here asserts on time.

#![allow(clippy::expect_used, clippy::unwrap_used)]
#![recursion_limit = "256"]

#[allow(dead_code)]
#[path = "../tests/it/discord/fake.rs"]
mod fake;

use std::time::{Duration, Instant};

use attune::config::Config;
use attune::core::ids::Platform;
use attune::engine::{Clock, Engine, Outlets, Seed};
use attune::platform::discord::bare::Bare;
use attune::platform::discord::{self, DiscordOptions};
use attune::store::Store;
use fake::{APP, CHANNEL, Fake, Posted, User};
use serde_json::json;

/// Sequential `/circle join`s: this many circles of `PER_CIRCLE` joiners.
const JOIN_CIRCLES: u64 = 30;
const PER_CIRCLE: u64 = 10;
/// Circles of `SEATED` members run to the end by Done buttons.
const DONE_CIRCLES: u64 = 6;
const SEATED: u64 = 6;
/// Interactions in flight at once.
const IN_FLIGHT: u64 = 100;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a runtime");
    rt.block_on(run());
}

fn user(n: u64) -> User {
    User::new(800_000_000_000_100_000 + n, &format!("m{n}"))
}

fn channel(n: u64) -> u64 {
    CHANNEL + 1_000 + n
}

fn circle(sub: &str) -> serde_json::Value {
    // Circles run in their own channel (`in: this channel`), so every join lands in the
    // channel where its circle runs, as the benchmark was written before circle threads.
    let options = if sub == "open" { json!([{ "name": "in", "type": 4, "value": 1 }]) } else { json!([]) };
    json!([{ "name": sub, "type": 1, "options": options }])
}

/// Waits until interaction `id` is acknowledged; its latency.
async fn acked(fake: &Fake, id: u64) -> Duration {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(d) = fake.ack_after(id) {
            return d;
        }
        assert!(Instant::now() < deadline, "interaction {id} was never acknowledged");
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
}

/// Waits until the bot has posted in `ch` a message with a button containing `part`
/// other than `not`; that message.
async fn posted_with(fake: &Fake, ch: u64, part: &str, not: Option<u64>) -> Option<Posted> {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let found = fake.posted().into_iter().rev().find(|p| p.to.is_none() && p.channel == ch && p.button(part).is_some());
        if let Some(p) = found.filter(|p| Some(p.id) != not) {
            return Some(p);
        }
        if Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_micros(500)).await;
    }
}

/// Waits until the bot has made no request for 20 ms: what one interaction caused is done.
async fn quiet(fake: &Fake) {
    let mut last = (fake.request_count(), Instant::now());
    loop {
        tokio::time::sleep(Duration::from_millis(2)).await;
        let n = fake.request_count();
        if n != last.0 {
            last = (n, Instant::now());
        } else if last.1.elapsed() > Duration::from_millis(20) {
            return;
        }
    }
}

async fn private_with(fake: &Fake, to: u64, part: &str) -> Posted {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(p) = fake.posted().into_iter().rev().find(|p| p.to == Some(to) && p.button(part).is_some()) {
            return p;
        }
        assert!(Instant::now() < deadline, "no message with {part} for {to}");
        tokio::time::sleep(Duration::from_micros(500)).await;
    }
}

fn first_mention(content: &str) -> Option<u64> {
    let start = content.find("<@")? + 2;
    let end = content[start..].find('>')? + start;
    content[start..end].parse().ok()
}

struct Figures {
    /// `/circle join`, each sent once the bot is quiet again.
    join: Vec<Duration>,
    /// `/circle join`, each sent as soon as the previous one is acknowledged.
    back_to_back: Vec<Duration>,
    /// Done buttons, each pressed once the bot is quiet again.
    done: Vec<Duration>,
    flight: Vec<Duration>,
    /// The turn messages the Done buttons were pressed on (the bare client gets the same).
    turns: Vec<Posted>,
}

async fn attune_figures() -> Figures {
    let fake = Fake::start().await;
    let host = User::new(800_000_000_000_000_001, "host").moderator();
    fake.add_user(&host);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("attune.db")).await.unwrap();
    let defaults = Config::default().content().unwrap();
    let (outlets, rx) = Outlets::single(Platform::Discord);
    let (engine, resumed) =
        Engine::start(store, Clock::manual("2026-01-05T18:00:00Z".parse().unwrap()), defaults, Seed::Fixed(7), outlets).await.unwrap();
    let options = DiscordOptions::new(
        "fake-token",
        attune::config::Discord { api_base: fake.base.clone(), dev_guild: Some(fake::GUILD), message_content: true, ..Default::default() },
    );
    let running = discord::start(engine.clone(), resumed, rx, options).await.unwrap();
    fake.ready().await;

    // `/circle join`, one at a time, into circles of ten.
    let (mut join, mut back_to_back) = (Vec::new(), Vec::new());
    for c in 0..JOIN_CIRCLES {
        let id = fake.slash_in(channel(c), &host, "circle", circle("open"));
        acked(&fake, id).await;
        posted_with(&fake, channel(c), ":join:", None).await.expect("an invitation");
        quiet(&fake).await;
        for k in 0..PER_CIRCLE {
            let id = fake.slash_in(channel(c), &user(c * PER_CIRCLE + k), "circle", circle("join"));
            let took = acked(&fake, id).await;
            // Half the circles idle between joins, half back to back.
            if c % 2 == 0 {
                join.push(took);
                quiet(&fake).await;
            } else {
                back_to_back.push(took);
            }
        }
    }

    // Done buttons, one at a time, each ending a turn.
    let (mut done, mut turns) = (Vec::new(), Vec::new());
    for c in 0..DONE_CIRCLES {
        let ch = channel(100 + c);
        let id = fake.slash_in(ch, &host, "circle", circle("open"));
        acked(&fake, id).await;
        let invitation = posted_with(&fake, ch, ":join:", None).await.expect("an invitation");
        let members: Vec<User> = (0..SEATED).map(|k| user(10_000 + c * 100 + k)).collect();
        for m in &members {
            let id = fake.press(m, &invitation, &invitation.button(":join:").unwrap());
            acked(&fake, id).await;
            let agreements = private_with(&fake, m.id, ":agree").await;
            let id = fake.press(m, &agreements, &agreements.button(":agree").unwrap());
            acked(&fake, id).await;
        }
        // Every agreement is applied before the circle starts.
        fake.settle().await;
        let id = fake.slash_in(ch, &host, "circle", circle("start"));
        acked(&fake, id).await;
        let mut turn = posted_with(&fake, ch, ":done:", None).await;
        while let Some(t) = turn {
            let speaker = first_mention(&t.content()).and_then(|s| members.iter().find(|m| m.id == s)).expect("a member speaks");
            quiet(&fake).await;
            let id = fake.press(speaker, &t, &t.button(":done:").unwrap());
            done.push(acked(&fake, id).await);
            turns.push(t.clone());
            turn = posted_with(&fake, ch, ":done:", Some(t.id)).await;
        }
    }

    // 100 `/circle join` in flight at once, into ten open circles.
    for c in 0..10 {
        let id = fake.slash_in(channel(200 + c), &host, "circle", circle("open"));
        acked(&fake, id).await;
    }
    quiet(&fake).await;
    let ids: Vec<u64> = (0..IN_FLIGHT).map(|k| fake.slash_in(channel(200 + k % 10), &user(50_000 + k), "circle", circle("join"))).collect();
    let mut flight = Vec::new();
    for id in ids {
        flight.push(acked(&fake, id).await);
    }
    fake.settle().await;
    assert_eq!(running.unreadable_events(), 0);
    assert!(fake.unexpected().is_empty(), "{:?}", fake.unexpected());
    assert_eq!(fake.late_acks(), 0);
    running.stop().await;
    Figures { join, back_to_back, done, flight, turns }
}

async fn bare_figures(attune: &Figures) -> Figures {
    let fake = Fake::start().await;
    // A handler that only acknowledges (`attune::platform::discord::bare`): the floor for any
    // bot on this machine.
    let bare = Bare::start(&fake.base, "fake-token", APP).await.unwrap();
    fake.ready().await;
    let mut join = Vec::new();
    for k in 0..attune.join.len() as u64 {
        let id = fake.slash_in(channel(k / PER_CIRCLE), &user(k), "circle", circle("join"));
        join.push(acked(&fake, id).await);
        quiet(&fake).await;
    }
    let mut back_to_back = Vec::new();
    for k in 0..attune.back_to_back.len() as u64 {
        let id = fake.slash_in(channel(k / PER_CIRCLE), &user(1_000 + k), "circle", circle("join"));
        back_to_back.push(acked(&fake, id).await);
    }
    let mut done = Vec::new();
    for (k, t) in attune.turns.iter().enumerate() {
        // The same turn messages, so the press carries the same JSON to read.
        let id = fake.press(&user(k as u64), t, &t.button(":done:").unwrap());
        done.push(acked(&fake, id).await);
        quiet(&fake).await;
    }
    let ids: Vec<u64> = (0..IN_FLIGHT).map(|k| fake.slash_in(channel(200 + k % 10), &user(50_000 + k), "circle", circle("join"))).collect();
    let mut flight = Vec::new();
    for id in ids {
        flight.push(acked(&fake, id).await);
    }
    bare.stop().await;
    Figures { join, back_to_back, done, flight, turns: Vec::new() }
}

fn pct(v: &[Duration], p: usize) -> f64 {
    let mut v = v.to_vec();
    v.sort();
    let i = (v.len() * p / 100).min(v.len().saturating_sub(1));
    v.get(i).map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
}

async fn run() {
    let attune = attune_figures().await;
    let bare = bare_figures(&attune).await;
    println!("interaction acknowledgement latency through the fake gateway (ms)");
    println!("| interaction | n | bare p50 | bare p99 | attune p50 | attune p99 | p50 ratio |");
    println!("|---|---|---|---|---|---|---|");
    for (name, a, b) in [
        ("`/circle join`, one at a time (bot idle)", &attune.join, &bare.join),
        ("`/circle join`, back to back", &attune.back_to_back, &bare.back_to_back),
        ("Done button, one at a time (bot idle)", &attune.done, &bare.done),
        ("`/circle join`, 100 in flight", &attune.flight, &bare.flight),
    ] {
        println!(
            "| {name} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
            a.len(),
            pct(b, 50),
            pct(b, 99),
            pct(a, 50),
            pct(a, 99),
            pct(a, 50) / pct(b, 50)
        );
    }
}
