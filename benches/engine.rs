//! attune's benchmark binary (`cargo bench --bench engine`). Figures go to
//! BENCHMARKS.md; nothing here asserts on time.
//!
//! (a) commands/s through engine + store, against raw sqlx commits/s with the same pragmas;
//! (b) 10,000 live circles with short turns: timer lateness p50/p99 and peak RSS (child process);
//! (c) restart on that database until every circle is resumed (another child process, after
//!     the first was stopped hard, as in a crash).

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};

use attune::config::Config;
use attune::core::command;
use attune::core::ids::{ChannelId, CommunityId, MemberRef, Platform};
use attune::core::input::{Actor, Input, Place};
use attune::engine::{Clock, Engine, Outlets, Seed};
use attune::store::{Store, connect_options};

const CIRCLES: usize = 10_000;
const RUN_SECS: u64 = 45;

fn main() -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    match std::env::var("ATTUNE_BENCH_ROLE").as_deref() {
        Ok("timers") => rt.block_on(timers(Path::new(&std::env::var("ATTUNE_BENCH_DB")?))),
        Ok("restart") => rt.block_on(restart(Path::new(&std::env::var("ATTUNE_BENCH_DB")?))),
        _ => rt.block_on(parent()),
    }
}

async fn parent() -> Result<()> {
    let dir = tempfile::tempdir()?;
    throughput(dir.path()).await?;
    let db = dir.path().join("circles.db");
    child("timers", &db)?;
    child("restart", &db)?;
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
    Ok(Actor { member: MemberRef::parse(Platform::Console, name)?, display: name.to_owned(), moderator })
}

fn cmd(who: &Actor, channel: &str, text: &str) -> Result<Input> {
    Ok(Input::Command {
        actor: who.clone(),
        place: Place::Channel(ChannelId::parse(Platform::Console, channel)?),
        command: command::parse(text)?,
    })
}

async fn start(db: &Path) -> Result<(Engine, tokio::task::JoinHandle<usize>)> {
    let store = Store::open(db).await?;
    let (outlets, mut rx) = Outlets::single(Platform::Console);
    let drain = tokio::spawn(async move {
        let mut n = 0;
        while rx.recv().await.is_some() {
            n += 1;
        }
        n
    });
    let (engine, _resumed) = Engine::start(store, Clock::System, Config::default().content()?, Seed::Fixed(7), outlets).await?;
    Ok((engine, drain))
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

    let (engine, _drain) = start(&dir.join("engine.db")).await?;
    let community = CommunityId::parse(Platform::Console, "bench")?;
    let moderator = actor("mod", true)?;
    engine.submit(&community, cmd(&moderator, "c", "settings set rate-per-minute 600")?, None).await?;
    let members: Vec<Actor> = (0..2000).map(|i| actor(&format!("m{i}"), false)).collect::<Result<_>>()?;
    let modes = ["mode witness", "mode feelings", "mode reflections"];
    let t = Instant::now();
    for i in 0..N {
        engine.submit(&community, cmd(&members[i % 2000], "c", modes[i % 3])?, None).await?;
    }
    let sequential = N as f64 / t.elapsed().as_secs_f64();
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
    let (engine, _drain) = start(db).await?;
    let community = CommunityId::parse(Platform::Console, "bench")?;
    let m = actor("mod", true)?;
    for setting in [
        "settings set rate-per-minute 600",
        "template set quick turn 30s",
        "template set quick warning 10s",
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
            for i in (w..CIRCLES).step_by(200) {
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
    anyhow::ensure!(live as usize == CIRCLES, "only {live} of {CIRCLES} circles started; the benchmark set-up is wrong");
    println!("(b) set up {CIRCLES} live circles (6 commands each) in {setup:.1} s ({:.0} commands/s)", CIRCLES as f64 * 6.0 / setup);
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
async fn restart(db: &Path) -> Result<()> {
    let t = Instant::now();
    let (engine, _drain) = start(db).await?;
    let elapsed = t.elapsed();
    let live: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM circles WHERE live = 1").fetch_one(engine.store().pool()).await?;
    println!(
        "(c) restart with {live} live circles: all resumed and re-armed in {} ms ({} timers armed)",
        elapsed.as_millis(),
        engine.armed_timers()
    );
    println!("(c) peak RSS {:.1} MiB", peak_rss_mib());
    std::process::exit(0)
}
