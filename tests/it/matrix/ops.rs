//! The operations listener with Matrix: `/readyz` follows the homeserver going
//! away and coming back. Between attune and the shared Synapse stands a TCP
//! relay the test can cut (every connection dropped, new ones refused at
//! once, as when a homeserver's host goes down) and restore.

use std::sync::atomic::{AtomicBool, Ordering};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

use super::*;
use crate::ops::{free_port, get, sample, wait_for};

/// A TCP relay to Synapse that can be cut and restored.
struct Relay {
    url: String,
    up: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<AbortHandle>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Relay {
    async fn to(target: &str) -> Self {
        let target = target.trim_start_matches("http://").to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let up = Arc::new(AtomicBool::new(true));
        let open: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let task = {
            let (up, open) = (up.clone(), open.clone());
            tokio::spawn(async move {
                while let Ok((mut inbound, _)) = listener.accept().await {
                    if !up.load(Ordering::SeqCst) {
                        drop(inbound);
                        continue;
                    }
                    let target = target.clone();
                    let relay = tokio::spawn(async move {
                        if let Ok(mut outbound) = TcpStream::connect(&target).await {
                            let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        }
                    });
                    open.lock().unwrap().push(relay.abort_handle());
                }
            })
        };
        Self { url, up, open, task }
    }

    /// The homeserver goes away: open connections drop, new ones are closed at once.
    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for relay in self.open.lock().unwrap().drain(..) {
            relay.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.cut();
        self.task.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_turns_false_while_the_homeserver_is_away_and_true_when_it_is_back() {
    let relay = Relay::to(&synapse().url).await;
    let bot = Bot::registered("ready-attune");
    let port = free_port();
    let mut child = attune_run_with(&bot, &relay.url, &format!("[server]\nlisten = \"127.0.0.1:{port}\"\n"));
    let log = || std::fs::read_to_string(bot.dir.path().join("attune.log")).unwrap_or_default();

    let ready = wait_for(port, "/readyz", 200, 90).await;
    assert_eq!(ready, "database: writable\nmatrix: connected\n");
    let metrics = wait_for(port, "/metrics", 200, 5).await;
    assert_eq!(sample(&metrics, "attune_platform_connected{platform=\"matrix\"}"), Some(1.0), "{metrics}");

    // The homeserver goes away: not ready (and it says which part), but alive.
    relay.cut();
    let away = wait_for(port, "/readyz", 503, 90).await;
    assert_eq!(away, "database: writable\nmatrix: not connected\n", "{}", log());
    assert_eq!(get(port, "/healthz").map(|(s, _)| s), Some(200), "attune itself is well while the homeserver is away");
    let metrics = wait_for(port, "/metrics", 200, 5).await;
    assert_eq!(sample(&metrics, "attune_platform_connected{platform=\"matrix\"}"), Some(0.0));
    assert!(sample(&metrics, "attune_matrix_sync_retries_total").is_some_and(|n| n >= 1.0), "{metrics}");
    assert!(matches!(child.try_wait(), Ok(None)), "a homeserver away is waited out, not a reason to stop");

    // It comes back: ready again, by a sync that went through.
    relay.restore();
    let back = wait_for(port, "/readyz", 200, 90).await;
    assert_eq!(back, "database: writable\nmatrix: connected\n");

    let pid = child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    assert!(child.wait().unwrap().success(), "{}", log());
    assert_eq!(get(port, "/healthz"), None, "the listener stopped with attune");
    let log = log();
    assert!(log.contains("attune is running") && log.contains("attune stopped"), "one line at start and one at stop:\n{log}");
    assert!(!log.contains(&bot.password), "the password is never logged");
}
