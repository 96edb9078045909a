//! The console adapter through the binary, tried as a newcomer and as an
//! adversary would (issue 9): names, bad bytes, absurd values, restarts.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};

use serde_json::Value;

/// Runs `attune console --clock manual --json` (plus `extra`) on `db` with raw bytes as input.
fn run_bytes(dir: &Path, db: &Path, extra: &[&str], input: &[u8]) -> Output {
    let mut cmd = crate::transcript::console(dir, db);
    cmd.args(extra);
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("attune starts");
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = input.to_owned();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("the console runs to the end of its input");
    writer.join().expect("the script was written");
    out
}

fn run(dir: &Path, db: &Path, extra: &[&str], script: &str) -> Output {
    run_bytes(dir, db, extra, script.as_bytes())
}

/// Every JSON line the console printed.
fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}"))).collect()
}

fn texts(out: &Output) -> String {
    lines(out)
        .iter()
        .map(|v| format!("[{} → {}] {}", v["kind"], v["to"], v["text"].as_str().unwrap_or_default()))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_console_name_that_hides_characters_or_pings_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    let script =
        "mod: /circle open\nalice: /circle join\nalice: /agree\nalice\u{200B}: /circle join\n@everyone: /circle join\n<b>x</b>: hello\n";
    let out = run(dir.path(), &db, &[], script);
    assert!(out.status.success());
    let text = texts(&out);
    assert_eq!(text.matches("Names in the console are plain").count(), 3, "each look-alike, ping or markup name is refused:\n{text}");
    assert!(!text.contains("@everyone"), "{text}");
}
