//! Golden transcripts: every `tests/fixtures/transcripts/NAME.txt` is a console
//! script (`NAME: TEXT` lines, `@advance`, `#` comments). It runs through
//! `attune console --clock manual --json` in a fresh database, and its stdout
//! must equal `NAME.golden.jsonl` beside it, byte for byte.
//!
//! To (re)write the golden files after an intended change, run
//! `ATTUNE_BLESS=1 cargo test --test it transcript`, then read every changed
//! line before committing it.
//!
//! Independently of the goldens, every transcript is checked against rules
//! that must always hold: private things are never posted to the channel.

// Test helpers, not just #[test] functions, may panic: a failed expectation is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use serde_json::Value;

use crate::cli::attune;

/// Scripts that must exist; any other script in the folder is run too.
const REQUIRED: [&str; 5] = ["walkthrough", "refusals", "private-reflection", "moderation", "waitlist-and-schedule"];

fn folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/transcripts")
}

fn golden_path(name: &str) -> PathBuf {
    folder().join(format!("{name}.golden.jsonl"))
}

/// One script's run through the console.
struct Run {
    name: String,
    success: bool,
    stdout: String,
    stderr: String,
}

/// Every script in the folder, sorted by name.
fn scripts() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder())
        .expect("the transcripts folder exists")
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".txt")).map(str::to_owned))
        .collect();
    names.sort();
    names
}

/// `attune console --db DB --clock manual --json`, run in `dir`.
pub(crate) fn console(dir: &Path, db: &Path) -> Command {
    let mut cmd = attune(dir);
    cmd.arg("console").arg("--db").arg(db).args(["--clock", "manual", "--json"]);
    cmd
}

/// Runs a command with `script` as its stdin and collects everything it printed.
pub(crate) fn feed(cmd: &mut Command, script: &str) -> Output {
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("the attune binary starts");
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = script.to_owned();
    // Written from another thread, so a full stdout pipe can never deadlock the two processes.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let out = child.wait_with_output().expect("the console runs to the end of its input");
    writer.join().expect("the script was written");
    out
}

/// Each script runs once per test process; the tests below share the runs.
fn runs() -> &'static [Run] {
    static RUNS: OnceLock<Vec<Run>> = OnceLock::new();
    RUNS.get_or_init(|| {
        scripts()
            .into_iter()
            .map(|name| {
                let script = std::fs::read_to_string(folder().join(format!("{name}.txt"))).expect("the script is readable");
                let dir = tempfile::tempdir().expect("a temporary folder");
                let out = feed(&mut console(dir.path(), &dir.path().join("attune.db")), &script);
                Run {
                    name,
                    success: out.status.success(),
                    stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                    stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
                }
            })
            .collect()
    })
}

/// Explains the first difference between a golden file and what was printed.
fn first_difference(expected: &str, actual: &str) -> String {
    let (mut e, mut a) = (expected.lines(), actual.lines());
    let mut n = 1;
    loop {
        match (e.next(), a.next()) {
            (Some(x), Some(y)) if x == y => n += 1,
            (None, None) => return "the texts differ only in line endings".to_owned(),
            (x, y) => {
                return format!(
                    "line {n} differs\n  expected: {}\n  actual:   {}",
                    x.unwrap_or("(end of golden file)"),
                    y.unwrap_or("(end of output)")
                );
            }
        }
    }
}

#[test]
fn every_required_transcript_script_is_in_the_fixtures_folder() {
    let found = scripts();
    for name in REQUIRED {
        assert!(found.iter().any(|n| n == name), "tests/fixtures/transcripts/{name}.txt must exist: it is one of the required transcripts");
    }
}

#[test]
fn every_transcript_runs_cleanly_and_matches_its_golden_file() {
    let bless = std::env::var("ATTUNE_BLESS").is_ok_and(|v| v == "1");
    let mut failures = Vec::new();
    for run in runs() {
        assert!(run.success, "the console must finish transcript {} without failing; stderr:\n{}", run.name, run.stderr);
        assert!(
            run.stderr.is_empty(),
            "a transcript run must log no warnings or errors at the default level ({}):\n{}",
            run.name,
            run.stderr
        );
        let path = golden_path(&run.name);
        if bless {
            std::fs::write(&path, &run.stdout).expect("the golden file is writable");
            eprintln!("blessed {}", path.display());
            continue;
        }
        let Ok(golden) = std::fs::read_to_string(&path) else {
            failures.push(format!("{}: there is no golden file {}; run with ATTUNE_BLESS=1 to write it", run.name, path.display()));
            continue;
        };
        if golden != run.stdout {
            failures.push(format!("{}: {}", run.name, first_difference(&golden, &run.stdout)));
        }
    }
    assert!(
        failures.is_empty(),
        "each transcript's output must equal its golden file (if the change is intended, re-bless with ATTUNE_BLESS=1 and review the diff):\n{}",
        failures.join("\n")
    );
}

/// Parses one `--json` line into an object with the fields every delivery has.
fn parse_line(name: &str, n: usize, line: &str) -> Value {
    let v: Value =
        serde_json::from_str(line).unwrap_or_else(|e| panic!("{name} line {n}: every stdout line in --json mode is JSON ({e}): {line}"));
    for field in ["kind", "to", "text"] {
        assert!(v[field].is_string(), "{name} line {n}: every delivery has a string {field:?}: {line}");
    }
    assert!(v["private"].is_boolean(), "{name} line {n}: every delivery says whether it is private: {line}");
    v
}

#[test]
fn every_transcript_keeps_private_messages_private() {
    for run in runs() {
        for (i, line) in run.stdout.lines().enumerate() {
            let (name, n) = (&run.name, i + 1);
            let v = parse_line(name, n, line);
            let kind = v["kind"].as_str().unwrap_or_default();
            let to = v["to"].as_str().unwrap_or_default();
            let private = v["private"].as_bool().unwrap_or_default();
            if matches!(kind, "guide" | "pulse" | "error" | "crisis" | "data" | "support") {
                assert!(private, "{name} line {n}: a {kind:?} message is for one person and must be private: {line}");
            }
            if private {
                assert_ne!(to, "channel", "{name} line {n}: a private message must never go to the channel: {line}");
            } else {
                assert!(matches!(to, "channel" | "console"), "{name} line {n}: a public message goes to the channel: {line}");
            }
            if kind == "turn_started" {
                assert!(!private, "{name} line {n}: a turn is announced to the whole circle: {line}");
                assert!(v["speaker"].is_string(), "{name} line {n}: a turn announcement names its speaker: {line}");
            }
        }
    }
}

#[test]
fn the_walkthrough_runs_a_whole_circle_from_opening_to_the_pulse_average() {
    let run = runs().iter().find(|r| r.name == "walkthrough").expect("the walkthrough ran");
    let lines: Vec<Value> = run.stdout.lines().enumerate().map(|(i, l)| parse_line(&run.name, i + 1, l)).collect();
    let speakers: Vec<&str> = lines.iter().filter(|v| v["kind"] == "turn_started").filter_map(|v| v["speaker"].as_str()).collect();
    assert_eq!(
        speakers,
        ["alice", "bob", "cara", "alice", "bob", "cara", "alice", "bob", "cara"],
        "check-in, sharing and check-out each give every member exactly one turn, in join order"
    );
    let guides = lines.iter().filter(|v| v["kind"] == "guide").count();
    assert!(guides >= 6, "every listener gets a private guide for each sharing turn (and again when the speaker changes mode)");
    let pulses: Vec<&str> = lines.iter().filter(|v| v["kind"] == "pulse").filter_map(|v| v["to"].as_str()).collect();
    assert_eq!(pulses, ["alice", "bob", "cara"], "each member is asked privately whether they felt heard");
    let last = lines.last().expect("the walkthrough printed something");
    assert_eq!(last["to"], "mod", "the host's status is private to the host");
    assert!(
        last["text"].as_str().is_some_and(|t| t.contains("3 answers, average 4.3 out of 5")),
        "with three pulses (5, 4, 4) the host sees the count and the average, never names: {last}"
    );
}
