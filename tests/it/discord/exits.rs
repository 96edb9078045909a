//! Never running but deaf: when Discord refuses attune for good, `attune run`
//! stops in order and ends with a documented exit code (`attune::exit`) and one
//! line that says the fix, so a service manager does the right thing.

use std::process::{Child, Output, Stdio};
use std::time::Duration;

use attune::exit::Exit;
use serde_json::json;

use super::fake::Fake;
use super::people;

/// `attune run` with Discord enabled against `fake`.
fn attune_run(fake: &Fake, dir: &std::path::Path) -> Child {
    crate::cli::attune(dir)
        .args(["run", "--db", "run.db"])
        .env("ATTUNE_DISCORD_ENABLED", "true")
        .env("ATTUNE_DISCORD_API_BASE", &fake.base)
        .env("ATTUNE_DISCORD_TOKEN", "fake-token-that-was-reset")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("attune starts")
}

/// Waits for `attune run` to end on its own (it must not wait for a signal).
async fn ended(child: Child) -> (Output, String) {
    let out = tokio::time::timeout(Duration::from_secs(30), tokio::task::spawn_blocking(move || child.wait_with_output()))
        .await
        .expect("attune ends on its own within 30 s, instead of running on deaf")
        .expect("the wait finishes")
        .expect("its output");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!text.contains("fake-token-that-was-reset"), "the token never appears:\n{text}");
    (out, text)
}

/// The one line attune ends with.
fn last_word(text: &str) -> &str {
    text.lines().rev().find(|l| l.starts_with("attune: ")).unwrap_or_else(|| panic!("no closing line:\n{text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_discord_refuses_at_start_ends_attune_run_with_78_and_says_where_the_new_token_comes_from() {
    let fake = Fake::start().await;
    fake.revoke_token();
    let dir = tempfile::tempdir().unwrap();
    let (out, text) = ended(attune_run(&fake, dir.path())).await;
    assert_eq!(out.status.code(), Some(i32::from(Exit::NeedsOperator.code())), "{text}");
    let line = last_word(&text);
    assert!(line.contains("Discord refused the bot token") && line.contains("ATTUNE_DISCORD_TOKEN"), "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_content_not_allowed_in_the_portal_4014_ends_attune_run_with_78_and_names_both_fixes() {
    let (host, _, _, _) = people();
    let fake = Fake::start().await;
    fake.add_user(&host);
    fake.close_on_identify(4014);
    let dir = tempfile::tempdir().unwrap();
    let (out, text) = ended(attune_run(&fake, dir.path())).await;
    assert_eq!(fake.closes(), vec![4014], "the gateway refused the session once, and attune did not knock again");
    assert_eq!(out.status.code(), Some(78), "{text}");
    let line = last_word(&text);
    assert!(line.contains("4014") && line.contains("Message Content Intent"), "{line}");
    assert!(line.contains("discord.message_content = false"), "{line}");
    assert_eq!(text.lines().filter(|l| l.starts_with("attune: ")).count(), 1, "one closing line:\n{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_reset_while_a_circle_runs_ends_attune_run_with_78_after_keeping_what_happened() {
    let (host, alice, _, _) = people();
    let fake = Fake::start().await;
    fake.add_user(&host);
    fake.add_user(&alice);
    let dir = tempfile::tempdir().unwrap();
    let child = attune_run(&fake, dir.path());
    fake.ready().await;
    let id = fake.slash(&host, "circle", json!([{ "name": "open", "type": 1, "options": [] }]));
    fake.answered(id).await;
    let id = fake.slash(&alice, "circle", json!([{ "name": "join", "type": 1, "options": [] }]));
    fake.answered(id).await;
    fake.revoke_token();
    let (out, text) = ended(child).await;
    assert_eq!(out.status.code(), Some(78), "{text}");
    assert!(fake.closes().contains(&4004), "the reconnect was refused with 4004: {:?}", fake.closes());
    assert!(last_word(&text).contains("ATTUNE_DISCORD_TOKEN"), "{text}");
    // It stopped in order: the database is closed cleanly and the open circle is kept.
    let doctor = crate::cli::attune(dir.path()).args(["doctor", "--db", "run.db"]).output().expect("doctor runs");
    let said = String::from_utf8_lossy(&doctor.stdout);
    println!("{said}");
    assert!(doctor.status.success(), "the database is whole after the exit:\n{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_running_adapter_raises_its_alarm_when_the_token_is_reset_and_starts_as_many_shards_as_discord_recommends() {
    let (host, _, _, _) = people();
    let bot = super::Bot::start(&[&host]).await;
    let running = bot.running.as_ref().unwrap();
    assert!(running.connected().await, "connected after READY");
    assert!(bot.fake.requests().iter().any(|r| r.method == "GET" && r.path == "/api/v10/gateway/bot"), "the shard count was asked for");
    bot.fake.revoke_token();
    let fatal = tokio::time::timeout(Duration::from_secs(30), running.fatal()).await.expect("the alarm is raised");
    assert_eq!(fatal.exit, Exit::NeedsOperator, "{fatal}");
    assert!(fatal.to_string().contains("4004"), "{fatal}");
    bot.stop().await;
}

/// What people write never reaches the log, at the default level or at `trace`, even
/// when serenity can't read it: a gateway frame it can't parse (which it warns about
/// with the whole payload), a message it can read only as an unknown event (logged at
/// DEBUG), an ordinary message after a gap in the sequence numbers (which serenity
/// warns about inside a span holding the whole event; tungstenite traces every frame)
/// and the requests attune makes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_members_write_never_reaches_the_log_at_any_level_even_when_serenity_cant_read_it() {
    for level in ["warn", "trace"] {
        let text = log_of_unreadable_messages(level).await;
        if level == "trace" {
            assert!(text.lines().count() > 100, "the log is at trace: {} lines", text.lines().count());
        }
        assert!(text.contains("Unhandled error"), "serenity met the frame it couldn't read and said so, without it ({level})");
        assert!(text.contains("Sequence off"), "and the gap, without the event ({level})");
        for written in ["lamplighter", "my brother", "what I carry", "today was heavy", "fake-token-kept-out-of-logs"] {
            let line = text.lines().find(|l| l.contains(written));
            assert!(line.is_none(), "{written:?} reached the log at {level}: {line:?}");
        }
    }
}

/// attune's log at `level` while members' messages come in, some of them unreadable.
async fn log_of_unreadable_messages(level: &str) -> String {
    let (host, alice, _, _) = people();
    let fake = Fake::start().await;
    fake.add_user(&host);
    fake.add_user(&alice);
    let dir = tempfile::tempdir().unwrap();
    let log = std::fs::File::create(dir.path().join("attune.log")).unwrap();
    let mut child = crate::cli::attune(dir.path())
        .args(["run", "--db", "run.db"])
        .env("ATTUNE_DISCORD_ENABLED", "true")
        .env("ATTUNE_DISCORD_API_BASE", &fake.base)
        .env("ATTUNE_DISCORD_TOKEN", "fake-token-kept-out-of-logs")
        .env("ATTUNE_LOG_LEVEL", level)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("attune starts");
    fake.ready().await;
    let id = fake.slash(&host, "circle", json!([{ "name": "open", "type": 1, "options": [] }]));
    fake.answered(id).await;

    let unparsed = json!({ "op": 0, "s": "not a number", "t": "MESSAGE_CREATE", "d": { "content": "my brother lamplighter-unparsed" } });
    fake.send_raw(&unparsed.to_string());
    fake.say_unreadable(&alice, "what I carry lamplighter-unknown");
    // A gap in the sequence numbers: serenity warns about it inside the span of the
    // event that shows it, which at `info` and below records the whole event.
    fake.skip_sequence(3);
    fake.say(&alice, "today was heavy lamplighter-ordinary");
    // The gateway reads in order: once this is answered, everything above was read.
    let id = fake.slash(&alice, "circle", json!([{ "name": "join", "type": 1, "options": [] }]));
    fake.answered(id).await;

    let pid = child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = tokio::task::spawn_blocking(move || child.wait()).await.unwrap().unwrap();
    assert!(status.success(), "{status}");
    std::fs::read_to_string(dir.path().join("attune.log")).unwrap()
}
