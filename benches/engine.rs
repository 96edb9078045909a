//! attune's benchmark binary (`cargo bench --bench engine`). Figures go to
//! BENCHMARKS.md; nothing here asserts on time.
//!
//! (a) commands/s through engine + store, against raw sqlx commits/s with the same pragmas;
//! (b) 10,000 live circles with short turns: timer lateness p50/p99 and peak RSS (child process);
//! (c) restart on that database until every circle is resumed (another child process, after
//!     the first was stopped hard, as in a crash);
//! (d) bytes written to the database file and its write-ahead log per `circle join` and per
//!     `done` (a child process, so `/proc/self/io` counts only the store's writes);
//! (e) restart with 10,000 ended circles in the database: time and peak RSS;
//! (f) the cost of metrics: (a)'s one-caller loop in child processes without a recorder
//!     and with the Prometheus recorder and the operations listener, scraped every second.
//!
//! `ATTUNE_BENCH_CIRCLES=100000` runs (b) and (c) at that many live circles (not in CI), and
//! `ATTUNE_BENCH_ONLY=a,b,c,d,e,f` runs only the parts named (b needs nothing, c needs b, e needs d).

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};

use attune::config::Config;
use attune::core::command;
use attune::core::ids::{ChannelId, CommunityId, MemberRef, Platform};
use attune::core::input::{Actor, Input, Place};
use attune::engine::{Clock, Engine, Outlets, Seed};
use attune::store::{Store, connect_options};

const RUN_SECS: u64 = 45;
/// Ended circles written for (e).
const ENDED: usize = 10_000;

/// Live circles for (b) and (c): 10,000 unless `ATTUNE_BENCH_CIRCLES` says otherwise.
fn circles() -> usize {
    std::env::var("ATTUNE_BENCH_CIRCLES").ok().and_then(|v| v.replace('_', "").parse().ok()).unwrap_or(10_000)
}

fn wanted(part: &str) -> bool {
    std::env::var("ATTUNE_BENCH_ONLY").map_or(true, |only| only.split(',').any(|p| p.trim() == part))
}

fn main() -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    match std::env::var("ATTUNE_BENCH_ROLE").as_deref() {
        Ok("timers") => rt.block_on(timers(Path::new(&std::env::var("ATTUNE_BENCH_DB")?))),
        Ok("restart") => rt.block_on(restart(Path::new(&std::env::var("ATTUNE_BENCH_DB")?), "c")),
        Ok("bytes") => rt.block_on(bytes(Path::new(&std::env::var("ATTUNE_BENCH_DB")?))),
        Ok("ended") => rt.block_on(restart(Path::new(&std::env::var("ATTUNE_BENCH_DB")?), "e")),
        Ok("metrics-off") => rt.block_on(one_caller(Path::new(&std::env::var("ATTUNE_BENCH_DB")?), false)),
        Ok("metrics-on") => rt.block_on(one_caller(Path::new(&std::env::var("ATTUNE_BENCH_DB")?), true)),
        _ => rt.block_on(parent()),
    }
}

async fn parent() -> Result<()> {
    let dir = tempfile::tempdir()?;
    if wanted("a") {
        throughput(dir.path()).await?;
    }
    let db = dir.path().join("circles.db");
    if wanted("b") {
        child("timers", &db)?;
    }
    if wanted("c") {
        child("restart", &db)?;
    }
    let ended = dir.path().join("ended.db");
    if wanted("d") {
        child("bytes", &ended)?;
    }
    if wanted("e") {
        child("ended", &ended)?;
    }
    if wanted("f") {
        // Alternated, each on a database of its own, and each side first in half the rounds,
        // so drift between runs (the disk writing back the last run's pages) falls on both.
        for round in 0..4 {
            let sides = if round % 2 == 0 { ["metrics-off", "metrics-on"] } else { ["metrics-on", "metrics-off"] };
            for side in sides {
                child(side, &dir.path().join(format!("{side}-{round}.db")))?;
            }
        }
    }
    Ok(())
}

/// (f) One caller at a time, as in (a), with or without metrics and the listener.
async fn one_caller(db: &Path, metrics: bool) -> Result<()> {
    // Five times (a)'s count: at about 5,000 a second, (a)'s one-second runs differ by ±12%.
    const N: usize = 30_000;
    let handle = if metrics { Some(attune::ops::install_recorder()?) } else { None };
    let (engine, _drain, _) = start(db).await?;
    let listening = match handle {
        Some(handle) => {
            let bound = attune::ops::bind("127.0.0.1:0".parse()?).await?;
            let listening = attune::ops::serve(bound, handle, engine.clone(), Vec::new(), None);
            let addr = listening.addr();
            // Scraped every second (Prometheus' default is every 15 s).
            let scraper = tokio::spawn(async move {
                use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
                let mut bytes = 0usize;
                loop {
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    let Ok(mut s) = tokio::net::TcpStream::connect(addr).await else { continue };
                    let _ = s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
                    let mut body = Vec::new();
                    let _ = s.read_to_end(&mut body).await;
                    bytes = bytes.max(body.len());
                    if bytes == 0 {
                        eprintln!("(f) a scrape came back empty");
                    }
                }
            });
            Some((listening, scraper))
        }
        None => None,
    };
    let (rate, _, _) = one_at_a_time(&engine, N).await?;
    println!("(f) engine commands/s, one caller, metrics {}: {rate:.0}", if metrics { "on, listener scraped every 1 s" } else { "off" });
    if metrics {
        // What one applied command records, alone: the run above is too noisy to show it.
        use attune::engine::telemetry::{ANSWER_SECONDS, COMMIT_SECONDS, COMMITS, INPUTS};
        const CALLS: u32 = 1_000_000;
        let t = Instant::now();
        for _ in 0..CALLS {
            let since = Instant::now();
            metrics::counter!(INPUTS, "kind" => "command", "outcome" => "applied").increment(1);
            metrics::counter!(COMMITS, "outcome" => "ok").increment(1);
            metrics::histogram!(COMMIT_SECONDS).record(since.elapsed().as_secs_f64());
            metrics::histogram!(ANSWER_SECONDS).record(since.elapsed().as_secs_f64());
        }
        let ns = t.elapsed().as_nanos() as f64 / f64::from(CALLS);
        println!("(f) what one command records (2 counters, 2 histograms), alone: {ns:.0} ns");
    }
    if let Some((listening, scraper)) = listening {
        scraper.abort();
        listening.stop().await;
    }
    engine.shutdown().await;
    Ok(())
}

fn child(role: &str, db: &Path) -> Result<()> {
    let status = std::process::Command::new(std::env::current_exe()?)
        .env("ATTUNE_BENCH_ROLE", role)
        .env("ATTUNE_BENCH_DB", db)
        .status()
        .with_context(|| format!("running the {role} benchmark"))?;
    anyhow::ensure!(status.success(), "the {role} benchmark failed");
    Ok(())
}

fn actor(name: &str, moderator: bool) -> Result<Actor> {
    Ok(Actor { member: MemberRef::parse(Platform::Console, name)?, display: name.to_owned(), moderator, host: false })
}

fn cmd(who: &Actor, channel: &str, text: &str) -> Result<Input> {
    Ok(Input::Command {
        actor: who.clone(),
        place: Place::Channel(ChannelId::parse(Platform::Console, channel)?),
        command: command::parse(text)?,
    })
}

async fn start(db: &Path) -> Result<(Engine, tokio::task::JoinHandle<usize>, attune::engine::Resumed)> {
    let store = Store::open(db).await?;
    let (outlets, mut rx) = Outlets::single(Platform::Console);
    let drain = tokio::spawn(async move {
        let mut n = 0;
        while rx.recv().await.is_some() {
            n += 1;
        }
        n
    });
    let (engine, resumed) = Engine::start(store, Clock::System, Config::default().content()?, Seed::Fixed(7), outlets).await?;
    Ok((engine, drain, resumed))
}

/// `n` commands, each awaited before the next, each changing one member's saved
/// preference (one row, one commit): commands/s, and the community and members used.
async fn one_at_a_time(engine: &Engine, n: usize) -> Result<(f64, CommunityId, Vec<Actor>)> {
    let community = CommunityId::parse(Platform::Console, "bench")?;
    let moderator = actor("mod", true)?;
    engine.submit(&community, cmd(&moderator, "c", "settings set rate-per-minute 600")?, None).await?;
    let members: Vec<Actor> = (0..2000).map(|i| actor(&format!("m{i}"), false)).collect::<Result<_>>()?;
    let modes = ["mode witness", "mode feelings", "mode reflections"];
    let t = Instant::now();
    for i in 0..n {
        engine.submit(&community, cmd(&members[i % 2000], "c", modes[i % 3])?, None).await?;
    }
    Ok((n as f64 / t.elapsed().as_secs_f64(), community, members))
}

/// (a) Each command changes one member's saved preference: one row, one commit.
async fn throughput(dir: &Path) -> Result<()> {
    const N: usize = 6_000;
    let doc = "x".repeat(300);
    let raw_pool = sqlx::sqlite::SqlitePoolOptions::new().max_connections(4).connect_with(connect_options(&dir.join("raw.db"))).await?;
    sqlx::query("CREATE TABLE t (k TEXT PRIMARY KEY, doc TEXT NOT NULL)").execute(&raw_pool).await?;
    let t = Instant::now();
    for i in 0..N {
        let mut tx = raw_pool.begin().await?;
        sqlx::query("INSERT INTO t (k, doc) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET doc = excluded.doc")
            .bind(format!("m{}", i % 2000))
            .bind(&doc)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    let raw = N as f64 / t.elapsed().as_secs_f64();

    let (engine, _drain, _) = start(&dir.join("engine.db")).await?;
    let (sequential, community, members) = one_at_a_time(&engine, N).await?;
    let modes = ["mode witness", "mode feelings", "mode reflections"];
    let t = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..64 {
        let (engine, community, members) = (engine.clone(), community.clone(), members.clone());
        tasks.push(tokio::spawn(async move {
            for i in (w..N).step_by(64) {
                let input = cmd(&members[i % 2000], "c", modes[(i + 1) % 3])?;
                engine.submit(&community, input, None).await?;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let concurrent = N as f64 / t.elapsed().as_secs_f64();
    println!("(a) raw sqlx commits/s (1 row per transaction, same pragmas): {raw:.0}");
    println!("(a) engine commands/s, one caller at a time:                 {sequential:.0}  ratio {:.2}", sequential / raw);
    println!("(a) engine commands/s, 64 concurrent callers (group commit): {concurrent:.0}  ratio {:.2}", concurrent / raw);
    Ok(())
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// (b) 10,000 live circles with short turns, one community, one channel each.
async fn timers(db: &Path) -> Result<()> {
    let circles = circles();
    let (engine, _drain, _) = start(db).await?;
    let community = CommunityId::parse(Platform::Console, "bench")?;
    let m = actor("mod", true)?;
    for setting in [
        "settings set rate-per-minute 600",
        "template new quick",
        // The warning first: a turn may not be shorter than its warning.
        "template set quick warning 10s",
        "template set quick turn 30s",
        "template set quick checkin 15s",
        "template set quick closing 15s",
        "template set quick reflection 15s",
        "template set quick arrival off",
        "template set quick max 4",
    ] {
        engine.submit(&community, cmd(&m, "c", setting)?, None).await?;
    }
    let t = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..200 {
        let (engine, community) = (engine.clone(), community.clone());
        tasks.push(tokio::spawn(async move {
            for i in (w..circles).step_by(200) {
                let ch = format!("c{i}");
                // Each circle's first member hosts it: one member sending 20,000 commands would
                // (rightly) be rate-limited.
                let host = actor(&format!("u{i}a"), false)?;
                engine.submit(&community, cmd(&host, &ch, "circle open quick")?, None).await?;
                for who in ["a", "b"] {
                    let a = actor(&format!("u{i}{who}"), false)?;
                    engine.submit(&community, cmd(&a, &ch, "circle join")?, None).await?;
                    engine.submit(&community, cmd(&a, &ch, "agree")?, None).await?;
                }
                engine.submit(&community, cmd(&host, &ch, "circle start")?, None).await?;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let setup = t.elapsed().as_secs_f64();
    let live: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM circles WHERE live = 1 AND phase != 'gathering'").fetch_one(engine.store().pool()).await?;
    anyhow::ensure!(live as usize == circles, "only {live} of {circles} circles started; the benchmark set-up is wrong");
    let shaped: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM circles WHERE json_extract(doc, '$.template.name') = 'quick' AND json_extract(doc, '$.template.turn_secs') = 30",
    )
    .fetch_one(engine.store().pool())
    .await?;
    anyhow::ensure!(shaped as usize == circles, "only {shaped} circles have the quick template; the benchmark set-up is wrong");
    println!("(b) set up {circles} live circles (6 commands each) in {setup:.1} s ({:.0} commands/s)", circles as f64 * 6.0 / setup);
    engine.measure_lateness();
    tokio::time::sleep(std::time::Duration::from_secs(RUN_SECS)).await;
    let mut samples = engine.take_lateness();
    samples.sort_unstable();
    println!(
        "(b) {} timers fired in {RUN_SECS} s across {} armed: lateness p50 {} ms, p99 {} ms, max {} ms",
        samples.len(),
        engine.armed_timers(),
        percentile(&samples, 0.5),
        percentile(&samples, 0.99),
        samples.last().copied().unwrap_or(0)
    );
    println!("(b) peak RSS {:.1} MiB", peak_rss_mib());
    // Exit without shutting down, like a crash: (c) restarts from whatever was committed.
    std::process::exit(0)
}

/// (c) Restart on the database left by (b): time until every live circle is resumed.
/// (e) The same on the database left by (d), which holds 10,000 ended circles.
async fn restart(db: &Path, part: &str) -> Result<()> {
    let t = Instant::now();
    let (engine, _drain, resumed) = start(db).await?;
    let armed = t.elapsed();
    // Then what an adapter does once connected: every running circle is told where it
    // stands, a batch at a time, each delivery handed on (here: counted and dropped).
    let mut told = 0usize;
    resumed
        .announce(|_| {
            told += 1;
            std::future::ready(())
        })
        .await;
    let elapsed = t.elapsed();
    let live: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM circles WHERE live = 1").fetch_one(engine.store().pool()).await?;
    let ended: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM circles WHERE live = 0").fetch_one(engine.store().pool()).await?;
    println!(
        "({part}) restart with {live} live and {ended} ended circles: all re-armed in {} ms, resumed and told in {} ms ({} timers armed, {told} deliveries)",
        armed.as_millis(),
        elapsed.as_millis(),
        engine.armed_timers()
    );
    println!("({part}) peak RSS {:.1} MiB", peak_rss_mib());
    std::process::exit(0)
}

/// Bytes this process has written with write(2) and friends: SQLite's writes to the database
/// file and its write-ahead log (checkpoints included), plus a few bytes of tokio wake-ups.
fn written() -> u64 {
    let io = std::fs::read_to_string("/proc/self/io").unwrap_or_default();
    io.lines().find_map(|l| l.strip_prefix("wchar:")).and_then(|v| v.trim().parse().ok()).unwrap_or(0)
}

/// The current speaker of a circle, read from its stored document.
async fn speaker(engine: &Engine, community: &CommunityId, circle: i64) -> Result<Option<String>> {
    let doc: String = sqlx::query_scalar("SELECT doc FROM circles WHERE community = ? AND id = ?")
        .bind(community.key())
        .bind(circle)
        .fetch_one(engine.store().pool())
        .await?;
    let doc: serde_json::Value = serde_json::from_str(&doc)?;
    Ok(doc.pointer("/turn/speaker").and_then(|s| s.as_str()).map(|s| s.trim_start_matches("console:").to_owned()))
}

/// (d) Bytes written per `circle join` and per `done`, on a manual clock so no timer writes in
/// between; then (for (e)) 10,000 copies of the ended circles, ended a month ago.
async fn bytes(db: &Path) -> Result<()> {
    const RUNS: usize = 20;
    // The host opens each circle; the other seven sit in it.
    const SEATS: usize = 7;
    let month_ago = jiff::Timestamp::now().checked_sub(jiff::SignedDuration::from_hours(24 * 31))?;
    let store = Store::open(db).await?;
    let (outlets, mut rx) = Outlets::single(Platform::Console);
    tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let (engine, _) = Engine::start(store, Clock::manual(month_ago), Config::default().content()?, Seed::Fixed(7), outlets).await?;
    let community = CommunityId::parse(Platform::Console, "bench")?;
    let m = actor("mod", true)?;
    for setting in [
        "settings set rate-per-minute 600",
        "template new quick",
        "template set quick arrival off",
        "template set quick mode witness",
        "template set quick rounds 3",
        "template set quick max 12",
        "template set quick late-join off",
    ] {
        engine.submit(&community, cmd(&m, "c", setting)?, None).await?;
    }
    let members: Vec<Actor> = (0..=SEATS).map(|i| actor(&format!("u{i}"), false)).collect::<Result<_>>()?;
    // Everyone consents once, in a first circle, so the measured joins are plain joins.
    engine.submit(&community, cmd(&members[0], "c0", "circle open quick")?, None).await?;
    for a in &members[1..] {
        engine.submit(&community, cmd(a, "c0", "circle join")?, None).await?;
        engine.submit(&community, cmd(a, "c0", "agree")?, None).await?;
    }
    let (mut join_bytes, mut joins) = (0u64, 0usize);
    for k in 1..RUNS {
        let ch = format!("c{k}");
        engine.submit(&community, cmd(&members[0], &ch, "circle open quick")?, None).await?;
        for a in &members[1..] {
            let before = written();
            engine.submit(&community, cmd(a, &ch, "circle join")?, None).await?;
            join_bytes += written() - before;
            joins += 1;
        }
    }
    let seated: i64 = sqlx::query_scalar("SELECT SUM(json_array_length(doc, '$.seats')) FROM circles WHERE id > 1")
        .fetch_one(engine.store().pool())
        .await?;
    anyhow::ensure!(seated as usize == joins, "only {seated} of {joins} joins took a seat; the benchmark set-up is wrong");
    let shaped: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM circles WHERE id > 1 AND json_extract(doc, '$.template.name') = 'quick' AND json_extract(doc, '$.template.rounds') = 3",
    )
    .fetch_one(engine.store().pool())
    .await?;
    anyhow::ensure!(shaped as usize == RUNS - 1, "only {shaped} circles have the quick template; the benchmark set-up is wrong");
    let (mut done_bytes, mut dones, mut first_round, mut last_round) = (0u64, 0usize, 0u64, 0u64);
    for k in 1..RUNS as i64 {
        let ch = format!("c{k}");
        engine.submit(&community, cmd(&members[0], &ch, "circle start")?, None).await?;
        let circle = k + 1;
        let mut turn = 0;
        while let Some(who) = speaker(&engine, &community, circle).await? {
            let a = members.iter().find(|a| a.display == who).context("a seated speaker")?;
            let before = written();
            engine.submit(&community, cmd(a, &ch, "done")?, None).await?;
            let w = written() - before;
            done_bytes += w;
            dones += 1;
            if turn < SEATS {
                first_round += w;
            }
            if turn >= 4 * SEATS {
                last_round += w;
            }
            turn += 1;
            anyhow::ensure!(turn < 100 * SEATS, "circle {circle} never ended");
        }
    }
    let per = |b: u64, n: usize| b as f64 / n.max(1) as f64;
    println!("(d) bytes written per `circle join` (database + WAL): {:.0} over {joins} joins", per(join_bytes, joins));
    println!(
        "(d) bytes written per `done` (database + WAL): {:.0} over {dones} turns; {:.0} in the check-in round, {:.0} in the closing round",
        per(done_bytes, dones),
        per(first_round, SEATS * (RUNS - 1)),
        per(last_round, SEATS * (RUNS - 1)),
    );
    ended_copies(engine.store()).await?;
    engine.shutdown().await;
    Ok(())
}

/// Copies the ended circles (and whatever else stores their turns) until there are 10,000.
async fn ended_copies(store: &Store) -> Result<()> {
    let pool = store.pool();
    let ended: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM circles WHERE live = 0").fetch_one(pool).await?;
    let mut tx = pool.begin().await?;
    let copies = ENDED as i64 - ended;
    sqlx::query(
        "WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < ?) \
         INSERT INTO circles (community, id, channel, phase, live, ended_at, doc, format) \
         SELECT c.community, 1000 + n.k, 'console:old-' || n.k, c.phase, 0, c.ended_at, json_set(c.doc, '$.id', 1000 + n.k, '$.channel', 'console:old-' || n.k), c.format \
         FROM n JOIN circles c ON c.id = 2 + (n.k % 19)",
    )
    .bind(copies)
    .execute(&mut *tx)
    .await?;
    copy_turns(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Copies the turn log of each copied circle.
async fn copy_turns(tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>) -> Result<()> {
    sqlx::query(
        "INSERT INTO turns (community, circle, seq, speaker, doc, format) \
         SELECT t.community, c.id, t.seq, t.speaker, t.doc, t.format \
         FROM circles c JOIN turns t ON t.community = c.community AND t.circle = 2 + ((c.id - 1000) % 19) WHERE c.id > 1000",
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}
