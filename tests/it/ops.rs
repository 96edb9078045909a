//! The operations listener seen from outside, as a Prometheus server or a
//! load balancer would: plain HTTP GETs to `attune run`'s `[server] listen`.
//! The platform tests (`discord/ops.rs`, `matrix/`) drive circles and watch
//! the counters and readiness move; here, what needs no platform.

#![allow(clippy::expect_used, clippy::unwrap_used)]
// The helpers serve the platform tests, which the core-only build leaves out.
#![cfg_attr(not(any(feature = "discord", feature = "matrix")), allow(dead_code))]

use std::io::{Read as _, Write as _};
use std::time::{Duration, Instant};

/// A port nobody listens on now (bound and let go).
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// GET `path` from `127.0.0.1:port`: the status code and the body, or `None`
/// while nothing answers there.
pub(crate) fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").ok()?;
    let mut raw = String::new();
    s.read_to_string(&mut raw).ok()?;
    let status = raw.split_whitespace().nth(1)?.parse().ok()?;
    let (head, body) = raw.split_once("\r\n\r\n")?;
    // Chunked bodies are joined (axum streams /metrics when it is long).
    let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") { unchunk(body) } else { body.to_owned() };
    Some((status, body))
}

fn unchunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else { break };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// Waits (up to `secs`) until GET `path` answers `status`; returns the body.
pub(crate) async fn wait_for(port: u16, path: &str, status: u16, secs: u64) -> String {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let path = path.to_owned();
    let mut last;
    loop {
        let p = path.clone();
        let got = tokio::task::spawn_blocking(move || get(port, &p)).await.unwrap();
        if let Some((s, body)) = &got
            && *s == status
        {
            return body.clone();
        }
        last = got;
        assert!(Instant::now() < deadline, "GET {path} never answered {status} within {secs} s; last: {last:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A sample's value in Prometheus text: the line that starts with `series`
/// (name and labels exactly as rendered, labels sorted by name).
pub(crate) fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics.lines().find_map(|l| l.strip_prefix(series).and_then(|v| v.strip_prefix(' ')).and_then(|v| v.trim().parse().ok()))
}

#[test]
fn a_listen_address_that_is_not_one_is_refused_with_78_before_anything_starts() {
    let dir = tempfile::tempdir().unwrap();
    let out = crate::cli::attune(dir.path())
        .args(["run", "--db", "x.db"])
        .env("ATTUNE_SERVER_LISTEN", "localhost:port")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(78), "{text}");
    assert!(text.contains("server.listen") && text.contains("127.0.0.1:9464"), "{text}");
    assert!(!dir.path().join("x.db").exists(), "nothing ran");
}

#[test]
fn the_sample_reader_reads_what_the_exporter_writes() {
    let text = "# HELP attune_inputs_total Inputs.\n# TYPE attune_inputs_total counter\nattune_inputs_total{kind=\"command\",outcome=\"applied\"} 3\nattune_circles{state=\"live\"} 1\n";
    assert_eq!(sample(text, "attune_inputs_total{kind=\"command\",outcome=\"applied\"}"), Some(3.0));
    assert_eq!(sample(text, "attune_circles{state=\"live\"}"), Some(1.0));
    assert_eq!(sample(text, "attune_circles{state=\"scheduled\"}"), None);
}

#[test]
fn a_public_url_that_cannot_serve_the_page_is_refused_with_78_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    for (url, listen, says) in [
        ("https://example.org/attune", Some("127.0.0.1:9464"), "has a path"),
        ("ftp://example.org", Some("127.0.0.1:9464"), "http(s) address"),
        ("https://example.org", None, "set server.listen too"),
    ] {
        let mut cmd = crate::cli::attune(dir.path());
        cmd.args(["console", "--db", "x.db"]).env("ATTUNE_SERVER_PUBLIC_URL", url).stdin(std::process::Stdio::null());
        if let Some(l) = listen {
            cmd.env("ATTUNE_SERVER_LISTEN", l);
        }
        let out = cmd.output().unwrap();
        let text = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(78), "{url}: {text}");
        assert!(text.contains("server.public_url") && text.contains(says), "{url}: {text}");
        assert!(!dir.path().join("x.db").exists(), "nothing ran");
    }
}
