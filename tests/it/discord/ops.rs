//! `attune run` with the operations listener, against the fake Discord: a
//! scrape during a circle sees the counters move, health and readiness answer,
//! and the metrics carry no member, name or text.

use std::process::Stdio;
use std::time::Duration;

use serde_json::json;

use super::fake::{Fake, User};
use super::people;
use crate::ops::{free_port, get, sample, wait_for};

/// `attune run` in `dir` against the fake, with the listener on `port`.
fn attune_run(dir: &std::path::Path, fake: &Fake, port: u16) -> std::process::Command {
    let mut cmd = crate::cli::attune(dir);
    cmd.args(["run", "--db", "run.db"])
        .env("ATTUNE_DISCORD_ENABLED", "true")
        .env("ATTUNE_DISCORD_API_BASE", &fake.base)
        .env("ATTUNE_DISCORD_TOKEN", "fake-token-for-ops")
        .env("ATTUNE_SERVER_LISTEN", format!("127.0.0.1:{port}"));
    cmd
}

/// `attune run` against a fake Discord where a host and alice are known, with the
/// listener on (and the moderator page, at the listener's own address, with `page`).
struct Started {
    fake: Fake,
    host: User,
    alice: User,
    dir: tempfile::TempDir,
    port: u16,
    child: std::process::Child,
}

async fn started(page: bool) -> Started {
    let (host, alice, _, _) = people();
    let fake = Fake::start().await;
    fake.add_user(&host);
    fake.add_user(&alice);
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut cmd = attune_run(dir.path(), &fake, port);
    if page {
        cmd.env("ATTUNE_SERVER_PUBLIC_URL", format!("http://127.0.0.1:{port}"));
    }
    let child = cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("attune starts");
    fake.ready().await;
    Started { fake, host, alice, dir, port, child }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scrape_during_a_circle_sees_inputs_commits_and_live_circles_move_and_names_no_one() {
    let Started { fake, host, alice, dir: _dir, port, mut child } = started(false).await;
    assert_eq!(wait_for(port, "/healthz", 200, 20).await, "ok\n");
    let ready = wait_for(port, "/readyz", 200, 20).await;
    assert!(ready.contains("database: writable") && ready.contains("discord: connected"), "{ready}");

    let before = wait_for(port, "/metrics", 200, 5).await;
    let applied = "attune_inputs_total{kind=\"command\",outcome=\"applied\"}";
    let live = "attune_circles{state=\"live\"}";
    assert_eq!(sample(&before, "attune_platform_connected{platform=\"discord\"}"), Some(1.0), "{before}");
    let commands_before = sample(&before, applied).unwrap_or(0.0);

    let id = fake.slash(&host, "circle", json!([{ "name": "open", "type": 1, "options": [] }]));
    fake.answered(id).await;
    let id = fake.slash(&alice, "circle", json!([{ "name": "join", "type": 1, "options": [] }]));
    fake.answered(id).await;
    let after = wait_for(port, "/metrics", 200, 5).await;
    assert!(sample(&after, applied).unwrap_or(0.0) >= commands_before + 2.0, "two commands counted:\n{after}");
    assert_eq!(sample(&after, live), Some(1.0), "one live circle:\n{after}");
    assert!(sample(&after, "attune_commits_total{outcome=\"ok\"}").unwrap_or(0.0) >= 2.0, "{after}");
    assert!(sample(&after, "attune_input_answer_seconds_count").unwrap_or(0.0) >= 2.0, "{after}");
    assert!(sample(&after, "attune_discord_ack_seconds_count").unwrap_or(0.0) >= 2.0, "{after}");
    assert!(after.contains("# TYPE attune_input_answer_seconds histogram"), "a real histogram:\n{after}");
    for private in ["host", "alice", &host.id.to_string(), &alice.id.to_string(), "fake-token-for-ops"] {
        assert!(!after.contains(private), "the metrics name no one ({private}):\n{after}");
    }

    let id = fake.slash(&host, "circle", json!([{ "name": "end", "type": 1, "options": [] }]));
    fake.answered(id).await;
    let ended = wait_for(port, "/metrics", 200, 5).await;
    assert_eq!(sample(&ended, live), Some(0.0), "the ended circle is no longer live:\n{ended}");
    assert_eq!(get(port, "/nothing-here").map(|(s, _)| s), Some(404));

    let pid = child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = tokio::task::spawn_blocking(move || child.wait()).await.unwrap().unwrap();
    assert!(status.success(), "{status}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(get(port, "/healthz").is_none(), "the listener stopped with the process");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listen_port_already_taken_ends_attune_run_with_78_and_says_so() {
    let fake = Fake::start().await;
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let out = attune_run(dir.path(), &fake, port).stdin(Stdio::null()).output().unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(78), "{text}");
    assert!(text.contains(&format!("127.0.0.1:{port}")) && text.contains("server.listen"), "{text}");
    assert!(!dir.path().join("run.db").exists(), "nothing started before the port was refused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attune_run_serves_the_moderator_page_beside_the_metrics() {
    let Started { fake, host, alice: _, dir: _dir, port, mut child } = started(true).await;
    let base = format!("http://127.0.0.1:{port}");
    wait_for(port, "/healthz", 200, 20).await;
    let id = fake.slash(&host, "dashboard", json!([]));
    fake.answered(id).await;
    let link = {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let found = fake
                .posted()
                .into_iter()
                .filter(|p| p.to == Some(host.id))
                .find_map(|p| Some(super::page::link_in(&p.content())).filter(|l| !l.is_empty()));
            if let Some(l) = found {
                break l;
            }
            assert!(std::time::Instant::now() < deadline, "no link came");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    assert!(link.starts_with(&format!("{base}/sign-in/")), "{link}");
    let signed = crate::web::send("POST", &format!("{base}/sign-in"), None, &[("token", &crate::web::token(&link))]).await;
    assert_eq!(signed.status, 303, "{}", signed.body);
    let decks = crate::web::send("GET", &format!("{base}/decks"), Some(&signed.cookie().unwrap()), &[]).await;
    assert_eq!(decks.status, 200);
    assert!(decks.body.contains("Signed in as host"), "{}", decks.body);
    assert!(decks.body.contains(&super::fake::GUILD.to_string()), "the page names the server it is for");
    assert_eq!(wait_for(port, "/healthz", 200, 5).await, "ok\n", "the operations endpoints go on beside it");
    let pid = child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = tokio::task::spawn_blocking(move || child.wait()).await.unwrap().unwrap();
    assert!(status.success(), "{status}");
}
