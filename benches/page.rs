//! The moderator page's benchmark (`cargo bench --bench page`): how long the
//! page of a deck of 200 cards takes to render and serve, over real HTTP on
//! 127.0.0.1 through the engine, and the process's memory before the listener
//! is on and after it has served those pages. Figures go to BENCHMARKS.md;
//! nothing here asserts on time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use attune::config::Config;
use attune::core::command::{Command, DeckCmd};
use attune::core::effect::Arg;
use attune::core::ids::{CommunityId, MemberRef, Platform};
use attune::core::input::{Actor, Input, Place};
use attune::engine::{Clock, Delivery, Engine, Outlets, Seed};
use attune::platform::Vouch;
use attune::store::Store;

const CARDS: usize = 200;
const RENDERS: usize = 500;

/// Everyone is a moderator here.
struct All;

impl Vouch for All {
    fn actor<'a>(&'a self, _community: &'a CommunityId, member: &'a MemberRef) -> attune::platform::Vouched<'a> {
        Box::pin(async move { Some(Actor { member: member.clone(), display: member.user().to_owned(), moderator: true, host: false }) })
    }
}

fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix(field).map(|v| v.trim().trim_end_matches(" kB").trim().parse().unwrap_or(0))))
        .unwrap_or(0)
}

fn main() -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(run())
}

async fn run() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let store = Store::open(&dir.path().join("page.db")).await?;
    let (outlets, _rx) = Outlets::single(Platform::Console);
    let (engine, _) = Engine::start(store, Clock::System, Config::default().content()?, Seed::Fixed(1), outlets).await?;
    let community = CommunityId::parse(Platform::Console, "console")?;
    let moderator = Actor { member: MemberRef::parse(Platform::Console, "mod")?, display: "mod".into(), moderator: true, host: false };
    let submit = |command: Command| {
        let engine = engine.clone();
        let community = community.clone();
        let actor = moderator.clone();
        async move { engine.submit(&community, Input::Command { actor, place: Place::Private, command }, None).await }
    };
    submit(Command::Deck(DeckCmd::New { name: "big".into(), title: "A deck of 200 cards".into() })).await?;
    for n in 0..CARDS {
        submit(Command::Deck(DeckCmd::Add {
            deck: "big".into(),
            kind: "sharing".into(),
            theme: "body".into(),
            intensity: "light".into(),
            text: format!("Prompt number {n}: what do you notice in your body as you arrive here & now?"),
            guide: Some(format!("Guide {n}: listen for what the body says, without fixing or advising.")),
            cw: Some("grief, family".into()),
        }))
        .await?;
    }
    let before = rss_kib("VmRSS:");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let passes = engine.open_page(&base);
    let vouch: Arc<dyn Vouch> = Arc::new(All);
    let router = attune::web::router(engine.clone(), passes, vec![(Platform::Console, vouch)])?;
    tokio::spawn(async move { axum::serve(listener, router).await });

    // Sign in as a moderator would.
    let answer = submit(Command::Dashboard).await?;
    let link = answer
        .deliveries
        .iter()
        .find_map(|d| match d {
            Delivery::Whisper { message, .. } => message.lines[0].args.iter().find_map(|(_, a)| match a {
                Arg::Linkable(l) => Some(l.clone()),
                _ => None,
            }),
            _ => None,
        })
        .context("a sign-in link")?;
    let token = link.rsplit('/').next().context("a token")?.to_owned();
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<bytes::Bytes>>();
    let signed = client
        .request(
            hyper::Request::post(format!("{base}/sign-in"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Full::new(bytes::Bytes::from(format!("token={token}"))))?,
        )
        .await?;
    let cookie = signed
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .context("a session cookie")?
        .to_owned();

    let mut times = Vec::with_capacity(RENDERS);
    let mut size = 0;
    for _ in 0..RENDERS {
        let start = Instant::now();
        let res = client.request(hyper::Request::get(format!("{base}/decks/big")).header("cookie", &cookie).body(Full::default())?).await?;
        if res.status() != 200 {
            bail!("the deck page answered {}", res.status());
        }
        size = res.into_body().collect().await?.to_bytes().len();
        times.push(start.elapsed());
    }
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let after = rss_kib("VmRSS:");
    println!("deck page, {CARDS} cards ({} KiB of HTML), {RENDERS} requests one at a time:", size / 1024);
    println!("  p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms", ms(at(0.5)), ms(at(0.95)), ms(at(0.99)), ms(at(1.0)));
    println!(
        "memory: {} MiB before the listener, {} MiB after serving {RENDERS} pages (+{} KiB); peak {} MiB",
        before / 1024,
        after / 1024,
        after.saturating_sub(before),
        rss_kib("VmHWM:") / 1024
    );
    engine.shutdown().await;
    Ok(())
}
