//! The Matrix figures in BENCHMARKS.md, against the same real Synapse the
//! tests use (`tests/it/matrix/synapse.rs`): `attune run` as a child process,
//! one member who is a matrix-sdk client.
//!
//! - reply latency of `circle join` (member sends → member's sync shows the reply);
//! - Synapse's own echo for the same member (send → the member's sync shows it);
//! - attune's own turnaround (event in hand → its answer ready to send: read,
//!   applied, committed), and event in hand → last reply sent, from its debug log;
//! - process start → first command answered, with a saved session;
//! - peak RSS of `attune run`.
//!
//! Run: `cargo bench --features matrix --bench matrix`.

#![recursion_limit = "256"]
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/it/matrix/synapse.rs"]
mod synapse;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use matrix_sdk::config::SyncSettings;
use matrix_sdk::ruma::OwnedUserId;
use matrix_sdk::ruma::api::client::room::create_room::v3::Request as CreateRoom;
use matrix_sdk::ruma::events::AnySyncTimelineEvent;
use matrix_sdk::ruma::serde::Raw;
use matrix_sdk::{Client, Room};
use serde_json::{Value, json};

const SAMPLES: usize = 60;

/// For each message a member's client saw: sender, body, and how long after
/// the homeserver stamped it (`origin_server_ts`) the client had it in hand.
static SINCE_ORIGIN: Mutex<Vec<(String, String, f64)>> = Mutex::new(Vec::new());

fn since_origin_ms(v: &Value) -> Option<f64> {
    let origin = v["origin_server_ts"].as_u64()?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?.as_millis() as u64;
    Some(now.saturating_sub(origin) as f64)
}

type Seen = Arc<Mutex<Vec<(String, String, String, Instant)>>>;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(run());
}

async fn member(name: &str) -> (Client, String, Seen) {
    let hs = synapse::synapse();
    let password = format!("pw-{name}-bench");
    let id = hs.register(name, &password);
    // ATTUNE_BENCH_MEMBER_STORE=sqlite gives the member matrix-sdk's SQLite stores, as
    // attune has: to see what they cost a client per sync (a diagnostic, not the figures).
    let builder = Client::builder().homeserver_url(&hs.url);
    let store = tempfile::tempdir().unwrap().keep();
    let builder =
        if std::env::var("ATTUNE_BENCH_MEMBER_STORE").is_ok_and(|v| v == "sqlite") { builder.sqlite_store(&store, None) } else { builder };
    let client = builder.build().await.unwrap();
    client.matrix_auth().login_username(&id, &password).send().await.unwrap();
    let seen: Seen = Arc::default();
    let s = seen.clone();
    client.add_event_handler(move |ev: Raw<AnySyncTimelineEvent>, room: Room| {
        let s = s.clone();
        async move {
            let v: Value = serde_json::from_str(ev.json().get()).unwrap();
            let body = v["content"]["body"].as_str().unwrap_or("").to_owned();
            if let Some(ms) = since_origin_ms(&v) {
                SINCE_ORIGIN.lock().unwrap().push((v["sender"].as_str().unwrap_or("").to_owned(), body.clone(), ms));
            }
            s.lock().unwrap().push((room.room_id().to_string(), v["sender"].as_str().unwrap_or("").to_owned(), body, Instant::now()));
        }
    });
    client.add_event_handler(|ev: matrix_sdk::ruma::events::room::member::StrippedRoomMemberEvent, room: Room, c: Client| async move {
        if Some(ev.state_key.as_ref()) == c.user_id() {
            let _ = room.join().await;
        }
    });
    client.sync_once(SyncSettings::default().timeout(Duration::ZERO)).await.unwrap();
    let c = client.clone();
    // Its own loop of sync_once: `Client::sync` waits a second between syncs that
    // come faster than that, which would be measured as the homeserver's echo.
    tokio::spawn(async move {
        loop {
            if c.sync_once(SyncSettings::default().timeout(Duration::from_secs(5))).await.is_err() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    });
    (client, id, seen)
}

async fn wait(seen: &Seen, after: usize, pick: impl Fn(&(String, String, String, Instant)) -> bool) -> Instant {
    let started = Instant::now();
    loop {
        if let Some(s) = seen.lock().unwrap().iter().skip(after).find(|s| pick(s)) {
            return s.3;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "waited in vain");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// A running `attune run`; killed when dropped, so a failed run leaves no process behind.
struct Attune(std::process::Child);

impl Drop for Attune {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn attune_run(dir: &std::path::Path, bot: &str, password: &str) -> Attune {
    let config = dir.join("attune.toml");
    // ATTUNE_BENCH_LOG adds log directives (a diagnostic: matrix-sdk's own timings, say).
    let extra = std::env::var("ATTUNE_BENCH_LOG").map(|l| format!(",{l}")).unwrap_or_default();
    std::fs::write(
        &config,
        format!(
            "[database]\npath = \"{}\"\n[log]\nlevel = \"warn,attune::platform::matrix=trace{extra}\"\n[matrix]\nenabled = true\nhomeserver = \"{}\"\nuser = \"{bot}\"\nallowed_servers = [\"{}\"]\n",
            dir.join("attune.db").display(),
            synapse::synapse().url,
            synapse::SERVER
        ),
    )
    .unwrap();
    let log = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("attune.log")).unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_attune"))
        .arg("--config")
        .arg(&config)
        .arg("run")
        .env("ATTUNE_MATRIX_PASSWORD", password)
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
        .map(Attune)
        .unwrap()
}

/// The log's colour codes, removed.
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn peak_rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

/// The pause before each sample, for the replies and the echoes alike: a
/// person doesn't type their next command in the millisecond the last answer
/// shows, and without it each join would land while attune is still reading
/// the echo of its own previous reply in the next sync.
const PAUSE: Duration = Duration::from_millis(250);

async fn join_leave(client: &Client, room: &str, seen: &Seen, bot: &str) -> Duration {
    let r = client.get_room(&matrix_sdk::ruma::OwnedRoomId::try_from(room).unwrap()).unwrap();
    tokio::time::sleep(PAUSE).await;
    let before = seen.lock().unwrap().len();
    let t0 = Instant::now();
    r.send_raw("m.room.message", json!({ "msgtype": "m.text", "body": "!attune circle join" })).await.unwrap();
    let t1 = wait(seen, before, |s| s.1 == bot && s.2.contains("has joined")).await;
    let before = seen.lock().unwrap().len();
    r.send_raw("m.room.message", json!({ "msgtype": "m.text", "body": "!attune circle leave" })).await.unwrap();
    wait(seen, before, |s| s.1 == bot && s.2.contains("left")).await;
    t1 - t0
}

async fn run() {
    let hs = synapse::synapse();
    let dir = tempfile::tempdir().unwrap();
    let password = "pw-bench-attune-secret";
    let bot = hs.register("bench-attune", password);
    let mut child = attune_run(dir.path(), &bot, password);
    let (client, me, seen) = member("bench-member").await;
    let mut request = CreateRoom::new();
    request.invite = vec![OwnedUserId::try_from(bot.as_str()).unwrap()];
    let room = client.create_room(request).await.unwrap().room_id().to_string();
    let echo_room = client.create_room(CreateRoom::new()).await.unwrap().room_id().to_string();
    wait(&seen, 0, |s| s.1 == bot).await;
    let r = client.get_room(&matrix_sdk::ruma::OwnedRoomId::try_from(room.as_str()).unwrap()).unwrap();
    r.send_raw("m.room.message", json!({ "msgtype": "m.text", "body": "!attune circle open Bench" })).await.unwrap();
    wait(&seen, 0, |s| s.1 == bot && s.2.contains("opened")).await;
    // The first join brings the agreements; agree once, then join and leave again and again.
    r.send_raw("m.room.message", json!({ "msgtype": "m.text", "body": "!attune circle join" })).await.unwrap();
    wait(&seen, 0, |s| s.1 == bot && s.2.contains("agree")).await;
    r.send_raw("m.room.message", json!({ "msgtype": "m.text", "body": "!attune agree" })).await.unwrap();
    wait(&seen, 0, |s| s.1 == bot && s.2.contains("has joined")).await;
    let before = seen.lock().unwrap().len();
    r.send_raw("m.room.message", json!({ "msgtype": "m.text", "body": "!attune circle leave" })).await.unwrap();
    wait(&seen, before, |s| s.1 == bot && s.2.contains("left")).await;

    let mut replies = Vec::new();
    for _ in 0..SAMPLES {
        replies.push(ms(join_leave(&client, &room, &seen, &bot).await));
    }
    let echo = client.get_room(&matrix_sdk::ruma::OwnedRoomId::try_from(echo_room.as_str()).unwrap()).unwrap();
    let mut echoes = Vec::new();
    for i in 0..SAMPLES {
        tokio::time::sleep(PAUSE).await;
        let before = seen.lock().unwrap().len();
        let text = format!("echo {i}");
        let t0 = Instant::now();
        echo.send_raw("m.room.message", json!({ "msgtype": "m.text", "body": text })).await.unwrap();
        let t1 = wait(&seen, before, |s| s.1 == me && s.2 == text).await;
        echoes.push(ms(t1 - t0));
    }
    // `circle status` (the measure): the answer is private, so it comes in the
    // member's encrypted DM. The first one makes the DM (not sampled).
    let status = |before: usize| {
        let bot = bot.clone();
        wait(&seen, before, move |s| s.1 == bot && s.2.contains("Circle status"))
    };
    let before = seen.lock().unwrap().len();
    r.send_raw("m.room.message", json!({ "msgtype": "m.text", "body": "!attune circle status" })).await.unwrap();
    status(before).await;
    let mut statuses = Vec::new();
    for _ in 0..SAMPLES {
        tokio::time::sleep(PAUSE).await;
        let before = seen.lock().unwrap().len();
        let t0 = Instant::now();
        r.send_raw("m.room.message", json!({ "msgtype": "m.text", "body": "!attune circle status" })).await.unwrap();
        let t1 = status(before).await;
        statuses.push(ms(t1 - t0));
    }
    let rss = peak_rss_mib(child.0.id());
    let pid = child.0.id().to_string();
    std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    child.0.wait().unwrap();

    // Start → first command answered, with the saved session: the command is sent as the process starts.
    let before = seen.lock().unwrap().len();
    let t0 = Instant::now();
    let mut child = attune_run(dir.path(), &bot, password);
    r.send_raw("m.room.message", json!({ "msgtype": "m.text", "body": "!attune circle join" })).await.unwrap();
    let t1 = wait(&seen, before, |s| s.1 == bot && s.2.contains("has joined")).await;
    let pid = child.0.id().to_string();
    std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    child.0.wait().unwrap();

    if std::env::var_os("ATTUNE_SYNAPSE_LOG").is_some() {
        let kept = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-homeserver.log");
        std::fs::copy(synapse::synapse().dir().join("homeserver.log"), &kept).unwrap();
        println!("Synapse's log: {}", kept.display());
    }
    let log = strip_ansi(&std::fs::read_to_string(dir.path().join("attune.log")).unwrap());
    if std::env::var_os("ATTUNE_BENCH_LOG").is_some() {
        let kept = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-attune.log");
        std::fs::write(&kept, &log).unwrap();
        println!("attune's log: {}", kept.display());
    }
    let field = |name: &str| -> Vec<f64> {
        let key = format!("{name}=");
        log.lines()
            .filter(|l| l.contains("answered a message"))
            .filter_map(|l| l.split(key.as_str()).nth(1))
            .filter_map(|v| v.split(|c: char| !c.is_ascii_digit()).next()?.parse::<f64>().ok())
            .map(|us| us / 1000.0)
            .collect()
    };
    let own = field("turnaround_us");
    let placed = field("placed_us");
    let actor = field("actor_us");
    let sent = field("sent_us");
    let (r50, r99) = (percentile(replies.clone(), 0.5), percentile(replies, 0.99));
    let (e50, e99) = (percentile(echoes.clone(), 0.5), percentile(echoes, 0.99));
    println!("samples: {SAMPLES} joins (each followed by a leave), {SAMPLES} echoes");
    println!("reply latency of circle join: p50 {r50:.1} ms, p99 {r99:.1} ms");
    println!("Synapse echo (send → own sync): p50 {e50:.1} ms, p99 {e99:.1} ms");
    println!("reply ÷ echo (p50): {:.2}", r50 / e50);
    let (s50, s99) = (percentile(statuses.clone(), 0.5), percentile(statuses, 0.99));
    println!("reply latency of circle status (private answer, in the member's encrypted DM): p50 {s50:.1} ms, p99 {s99:.1} ms");
    println!("status ÷ echo (p50): {:.2}", s50 / e50);
    println!(
        "attune's own turnaround (event in hand → answer ready to send): p50 {:.2} ms, p99 {:.2} ms ({} events)",
        percentile(own.clone(), 0.5),
        percentile(own.clone(), 0.99),
        own.len()
    );
    println!(
        "  of which: where it was (p50) {:.2} ms, who sent it (p50, cumulative) {:.2} ms",
        percentile(placed, 0.5),
        percentile(actor, 0.5)
    );
    println!("event in hand → last reply sent (homeserver round trips included): p50 {:.2} ms", percentile(sent, 0.5));
    // Where a reply's time goes: each hop from the homeserver's stamp to a client holding the event.
    let bot_in_hand: Vec<f64> = log
        .lines()
        .filter(|l| l.contains("a message is in hand"))
        .filter_map(|l| l.split("since_origin_ms=").nth(1))
        .filter_map(|v| v.split(|c: char| !c.is_ascii_digit()).next()?.parse::<f64>().ok())
        .collect();
    let seen = SINCE_ORIGIN.lock().unwrap().clone();
    let member_echo: Vec<f64> = seen.iter().filter(|(s, b, _)| *s == me && b.starts_with("echo ")).map(|x| x.2).collect();
    let member_reply: Vec<f64> = seen.iter().filter(|(s, b, _)| *s == bot && b.contains("has joined")).map(|x| x.2).collect();
    let member_status: Vec<f64> = seen.iter().filter(|(s, b, _)| *s == bot && b.contains("Circle status")).map(|x| x.2).collect();
    println!(
        "stamp → in hand (p50): the member's own echo {:.0} ms; the member's command at attune {:.0} ms; attune's reply at the member {:.0} ms; attune's private status answer at the member {:.0} ms",
        percentile(member_echo, 0.5),
        percentile(bot_in_hand, 0.5),
        percentile(member_reply, 0.5),
        percentile(member_status, 0.5)
    );
    println!("process start → first command answered (saved session): {:.0} ms", ms(t1 - t0));
    println!("peak RSS of attune run: {rss:.1} MiB");
}
