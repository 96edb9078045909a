//! The console adapter through the binary, tried as a newcomer and as an
//! adversary would (issue 9): names, bad bytes, absurd values, restarts.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Runs `attune console --clock manual --json` (plus `extra`) on `db` with raw bytes as input.
/// A console that hasn't finished within a minute is killed and the test fails: no input may
/// make it spin.
fn run_bytes(dir: &Path, db: &Path, extra: &[&str], input: &[u8]) -> Output {
    let mut cmd = crate::transcript::console(dir, db);
    cmd.args(extra);
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("attune starts");
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = input.to_owned();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let out_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stdout.read_to_end(&mut v);
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stderr.read_to_end(&mut v);
        v
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("the console can be waited for") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the console did not finish its input within a minute");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    writer.join().expect("the script was written");
    Output { status, stdout: out_reader.join().expect("stdout read"), stderr: err_reader.join().expect("stderr read") }
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

fn refused_moderator(out: &Output, who: &str) -> bool {
    lines(out).iter().any(|v| v["kind"] == "error" && v["to"] == who && v["text"].as_str().unwrap_or_default().contains("Only moderators"))
}

#[test]
fn the_console_moderator_is_claimed_by_a_command_not_chat_and_kept_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    let out = run(
        dir.path(),
        &db,
        &[],
        "alice: hello everyone\ndan: /support\ndan: /resources\nbob: /deck list\nalice: /deck list\ndan: /deck list\n",
    );
    assert!(out.status.success());
    assert!(refused_moderator(&out, "alice"), "chatting first doesn't make alice the moderator:\n{}", texts(&out));
    assert!(!refused_moderator(&out, "bob"), "bob's command claimed it:\n{}", texts(&out));
    assert!(refused_moderator(&out, "dan"), "asking for help first never makes dan the moderator:\n{}", texts(&out));
    let out = run(dir.path(), &db, &[], "carol: /deck list\nbob: /deck list\n");
    assert!(refused_moderator(&out, "carol"), "after a restart, the first speaker doesn't become moderator:\n{}", texts(&out));
    assert!(!refused_moderator(&out, "bob"), "bob still is:\n{}", texts(&out));
}

#[test]
fn one_unreadable_line_is_refused_and_the_rest_of_the_input_still_counts() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    let out = run_bytes(dir.path(), &db, &[], b"mod: /circle open\nalice: caf\xe9\nalice: /circle join\n");
    assert!(out.status.success(), "the console carries on: {}", String::from_utf8_lossy(&out.stderr));
    let text = texts(&out);
    assert!(text.contains("isn't valid UTF-8"), "the line is refused kindly:\n{text}");
    assert!(
        lines(&out).iter().any(|v| v["to"] == "alice" && v["text"].as_str().unwrap_or_default().contains("agree")),
        "the next line is read:\n{text}"
    );
}

#[test]
fn absurd_durations_are_refused_and_time_never_spins() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    let script = "@advance 99999999999h\nmod: /daily 08:00\n@advance 1h\n@advance 366d\n@advance 1h\nmod: /circle open\nmod: /circle schedule 2099-12-31 10:00\n";
    let out = run(dir.path(), &db, &[], script);
    assert!(out.status.success());
    let text = texts(&out);
    assert!(text.contains("up to 366 days"), "an absurd advance is refused:\n{text}");
    assert!(text.contains("more than a year away"), "so is an absurd schedule:\n{text}");
    let out = run(dir.path(), &db, &["--start", "2199-12-31T00:00:00Z"], "@advance 2d\n");
    assert!(texts(&out).contains("can't go past"), "the manual clock stays in its span:\n{}", texts(&out));
}

#[test]
fn the_manual_clock_resumes_where_it_stood() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    let out = run(dir.path(), &db, &[], "mod: /circle open\n@advance 2h\n");
    assert!(out.status.success());
    let out = run(dir.path(), &db, &[], "mod: /circle schedule in 30m\n");
    let text = texts(&out);
    assert!(text.contains("20:30"), "the restarted clock goes on from 20:00, not from 18:00 again:\n{text}");
}

#[test]
fn start_is_refused_with_the_system_clock() {
    let dir = tempfile::tempdir().unwrap();
    let out = crate::cli::attune(dir.path())
        .args(["console", "--start", "2026-01-05T18:00:00Z", "--db"])
        .arg(dir.path().join("a.db"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success(), "--start without the manual clock would be silently ignored");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--clock manual"));
    assert!(!dir.path().join("a.db").exists(), "and nothing was created");
}

#[test]
fn nobody_can_read_an_erased_hosts_records_by_typing_the_old_placeholder() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    let script = "mod: /deck list\nhost: /circle open\nhost: /forget-me\nhost: /forget-me confirm\nforgotten-member: /my-data\nforgotten-member: /circle end\n";
    let out = run(dir.path(), &db, &[], script);
    assert!(out.status.success());
    let export = lines(&out).into_iter().find(|v| v["kind"] == "data" && v["to"] == "forgotten-member").expect("an export arrives");
    let text = export["text"].as_str().unwrap_or_default();
    assert!(
        !text.contains("you_hosted\": true") && !text.contains("\"circle\": 1"),
        "the erased host's circle is nobody's record:\n{text}"
    );
}

#[test]
fn an_over_long_line_is_skipped_whole_and_the_next_line_still_counts() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    let script = format!("mod: /circle open\nalice: {}\nalice: /circle join\n", "x".repeat(100_000));
    let out = run(dir.path(), &db, &[], &script);
    assert!(out.status.success());
    let text = texts(&out);
    assert_eq!(text.matches("longer than I can read").count(), 1, "one note for the one long line:\n{}", &text[..text.len().min(2000)]);
    assert!(
        lines(&out).iter().any(|v| v["to"] == "alice" && v["text"].as_str().unwrap_or_default().contains("agree")),
        "the next line is read"
    );
}

#[test]
fn a_script_saved_with_a_byte_order_mark_reads_normally() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    let out = run_bytes(dir.path(), &db, &[], "\u{FEFF}mod: /circle open\n".as_bytes());
    assert!(out.status.success());
    assert!(texts(&out).contains("has opened a witnessing circle"), "{}", texts(&out));
}

#[test]
fn crisis_words_through_the_console_bring_help_and_are_never_kept_or_echoed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    let words = "I want to kill myself";
    let script = format!(
        "mod: /deck list\nbob: /suggest {words}\nbob: /timezone {words}\nmod: /suggestions\ncarol: i took all my pills an hour ago\n"
    );
    let out = run(dir.path(), &db, &[], &script);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = texts(&out);
    assert!(!text.contains(words), "nothing repeats the words:\n{text}");
    assert!(text.contains("116 123"), "bob gets the resources card:\n{text}");
    assert!(text.contains("one was held back"), "the moderator learns only that one was held back:\n{text}");
    let all = lines(&out);
    let carol = all.iter().filter(|v| v["to"] == "carol").filter_map(|v| v["text"].as_str());
    assert!(
        carol.into_iter().any(|t| t.contains("emergency number") && t.contains("112")),
        "danger under way: the emergency number:\n{text}"
    );
    for entry in std::fs::read_dir(dir.path()).unwrap().flatten() {
        let bytes = std::fs::read(entry.path()).unwrap_or_default();
        assert!(!String::from_utf8_lossy(&bytes).contains(words), "{} holds the words", entry.path().display());
    }
}
