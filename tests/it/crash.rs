//! Killed mid-turn, restarted: the circle resumes at the same speaker with the
//! right remaining time, without repeating or skipping a prompt.

// Test helpers, not just #[test] functions, may panic: a failed expectation is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use serde_json::Value;

use crate::transcript::{console, feed};

/// The first run's start; the standard template's sharing turn is 5 min (300 s).
const T0: &str = "2026-01-05T18:00:00Z";

/// A console process we talk to line by line.
struct Live {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<Value>,
}

impl Live {
    fn start(dir: &Path, db: &Path, start: &str) -> Self {
        let mut child = console(dir, db)
            .args(["--start", start])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the attune binary starts");
        let stdin = child.stdin.take().expect("stdin is piped");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("--json prints JSON lines ({e}): {line}"));
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        Self { child, stdin, lines }
    }

    fn say(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").expect("the console reads its input");
        self.stdin.flush().expect("the console reads its input");
    }

    /// Reads output until `want` matches, returning everything read (the match last).
    fn until(&self, what: &str, want: impl Fn(&Value) -> bool) -> Vec<Value> {
        let mut seen = Vec::new();
        loop {
            match self.lines.recv_timeout(Duration::from_secs(30)) {
                Ok(v) => {
                    let done = want(&v);
                    seen.push(v);
                    if done {
                        return seen;
                    }
                }
                Err(_) => panic!("the console should have printed {what}; it printed:\n{}", dump(&seen)),
            }
        }
    }
}

fn dump(lines: &[Value]) -> String {
    lines.iter().map(Value::to_string).collect::<Vec<_>>().join("\n")
}

fn is_turn_of(v: &Value, speaker: &str) -> bool {
    v["kind"] == "turn_started" && v["speaker"] == speaker
}

fn plus_secs(t: &str, secs: i64) -> String {
    let t: jiff::Timestamp = t.parse().expect("an RFC 3339 time");
    t.checked_add(jiff::SignedDuration::from_secs(secs)).expect("a representable time").to_string()
}

/// Opens a circle of alice, bob and cara and runs it to alice's sharing turn;
/// returns her prompt.
fn to_alices_sharing_turn(live: &mut Live) -> String {
    for line in [
        "mod: /circle open",
        "alice: /circle join",
        "alice: /agree",
        "bob: /circle join",
        "bob: /agree",
        "cara: /circle join",
        "cara: /agree",
        "mod: /circle start",
        "alice: /done",
        "bob: /done",
        "cara: /done",
    ] {
        live.say(line);
    }
    // alice's first turn is her check-in; the second is her sharing turn.
    live.until("alice's check-in", |v| is_turn_of(v, "alice"));
    let turn = live.until("alice's sharing turn", |v| is_turn_of(v, "alice"));
    turn.last().map(prompt_of).unwrap_or_default()
}

/// Runs a circle up to alice's sharing turn, lets `before_kill` seconds pass
/// in it, kills the process hard, and restarts it `gap` seconds later.
/// Returns alice's prompt and everything the restarted console printed.
fn crash_during_alices_turn(before_kill: i64, gap: i64) -> (String, Vec<Value>) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let db = dir.path().join("attune.db");
    let mut first = Live::start(dir.path(), &db, T0);
    let alices_prompt = to_alices_sharing_turn(&mut first);
    if before_kill > 0 {
        first.say(&format!("@advance {before_kill}s"));
        // A status request proves the clock moved before the crash (and that the console is still reading).
        first.say("mod: /circle status");
        let status = first.until("the host's status", |v| v["to"] == "mod");
        let left = status.last().and_then(|v| v["text"].as_str()).unwrap_or_default().to_owned();
        assert!(left.contains("alice has the floor"), "alice still speaks before the crash: {left}");
    }
    first.child.kill().expect("the console can be killed");
    first.child.wait().expect("the killed console is reaped");

    let restart = plus_secs(T0, before_kill + gap);
    let script = "@advance 2m\n@advance 1m\n@advance 1m\n@advance 1m\nbob: /done\ncara: /done\nalice: /done\nbob: /done\ncara: /done\n";
    let out = feed(console(dir.path(), &db).args(["--start", &restart]), script);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "the restarted console runs to the end: {}", String::from_utf8_lossy(&out.stderr));
    let lines = stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("--json prints JSON lines ({e}): {l}"))).collect();
    (alices_prompt, lines)
}

/// The `Prompt: ...` line of a turn announcement.
fn prompt_of(v: &Value) -> String {
    v["text"].as_str().and_then(|t| t.lines().find(|l| l.starts_with("Prompt: "))).unwrap_or_default().to_owned()
}

/// The checks every crash scenario shares.
fn assert_resumed(alices_prompt: &str, lines: &[Value], expected_left: &str) {
    let first = lines.first().unwrap_or_else(|| panic!("the restarted console prints something"));
    assert_eq!(first["to"], "channel", "the first thing after a restart is said to the circle: {first}");
    let text = first["text"].as_str().unwrap_or_default();
    assert!(text.starts_with("I'm back"), "the first thing after a restart is the \"I'm back\" line: {first}");
    assert!(text.contains("alice still has the floor"), "the \"I'm back\" line names the speaker who still has the floor: {first}");
    assert!(text.contains(&format!("with {expected_left} left")), "alice gets exactly the rest of her turn ({expected_left}): {first}");

    let speakers: Vec<&str> = lines.iter().filter(|v| v["kind"] == "turn_started").filter_map(|v| v["speaker"].as_str()).collect();
    assert_eq!(
        speakers,
        ["bob", "cara", "alice", "bob", "cara"],
        "alice's prompt is not repeated; bob and cara share once each, then everyone checks out:\n{}",
        dump(lines)
    );
    let sharing: Vec<String> = lines.iter().filter(|v| is_turn_of(v, "bob") || is_turn_of(v, "cara")).take(2).map(prompt_of).collect();
    assert!(alices_prompt.starts_with("Prompt: "), "alice's sharing turn had a prompt before the crash");
    assert!(
        sharing.len() == 2 && sharing[0] != sharing[1] && sharing.iter().all(|p| p != alices_prompt),
        "no prompt repeats within the circle, across the restart too: {alices_prompt:?} then {sharing:?}"
    );
    let bob_turn = lines.iter().position(|v| is_turn_of(v, "bob")).unwrap_or(usize::MAX);
    let warning = lines.iter().position(|v| v["to"] == "alice" && v["text"].as_str().is_some_and(|t| t.contains("left")));
    assert!(warning.is_some_and(|w| w < bob_turn), "alice still gets her gentle warning before her time runs out:\n{}", dump(lines));
    let time_up = lines.iter().position(|v| v["text"] == "Thank you, alice. That's the time for this turn.");
    assert!(time_up.is_some_and(|t| t < bob_turn), "alice's turn ends on time, before bob's begins:\n{}", dump(lines));
    assert!(
        lines.iter().any(|v| v["text"].as_str().is_some_and(|t| t.starts_with("This circle has come to a close"))),
        "the circle completes"
    );
    let pulses: Vec<&str> = lines.iter().filter(|v| v["kind"] == "pulse").filter_map(|v| v["to"].as_str()).collect();
    assert_eq!(pulses, ["alice", "bob", "cara"], "everyone is asked the pulse once the resumed circle ends");
}

#[test]
fn a_circle_killed_during_a_turn_resumes_with_the_same_speaker_and_the_rest_of_their_time() {
    // Killed as alice's turn begins, restarted 90 s later: 300 − 90 = 210 s remain.
    let (prompt, lines) = crash_during_alices_turn(0, 90);
    assert_resumed(&prompt, &lines, "3 min 30 s");
}

#[test]
fn time_spent_in_a_turn_before_the_crash_still_counts_against_it() {
    // 30 s into alice's turn, killed, restarted 90 s later: 300 − 30 − 90 = 180 s remain.
    let (prompt, lines) = crash_during_alices_turn(30, 90);
    assert_resumed(&prompt, &lines, "3 min");
}

#[test]
fn sigterm_mid_circle_stops_cleanly_with_exit_0_and_keeps_everything_it_applied() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let db = dir.path().join("attune.db");
    let mut first = Live::start(dir.path(), &db, T0);
    for line in ["mod: /circle open", "alice: /circle join", "alice: /agree", "bob: /circle join", "bob: /agree"] {
        first.say(line);
    }
    first.until("bob's join", |v| v["text"].as_str().is_some_and(|t| t.starts_with("bob has joined")));
    let pid = first.child.id().to_string();
    let sent = std::process::Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
    assert!(sent.success());
    let status = wait_up_to(&mut first.child, Duration::from_secs(30));
    assert_eq!(status.code(), Some(0), "SIGTERM is a clean stop, not a failure");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
    assert_eq!(left, vec![std::ffi::OsString::from("attune.db")], "the database was closed: no write-ahead log left behind");

    let out = feed(console(dir.path(), &db).args(["--start", T0]), "mod: /circle status\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("In the circle: alice, bob"), "both joins were committed before the stop: {stdout}");
}

#[test]
fn a_second_console_on_the_same_database_is_refused_and_the_first_runs_on() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let db = dir.path().join("attune.db");
    let mut first = Live::start(dir.path(), &db, T0);
    first.say("mod: /circle open");
    first.until("the invitation", |v| v["to"] == "channel");
    let second = feed(&mut console(dir.path(), &db), "alice: /circle join\n");
    assert!(!second.status.success(), "a second process on one database is refused");
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(err.contains("in use by another attune process"), "the refusal says why: {err}");
    assert_eq!(err.matches("in use").count(), 1, "said once: {err}");
    first.say("alice: /circle join");
    first.until("the first console still answers", |v| v["to"] == "alice");
    first.child.kill().expect("the console can be killed");
    first.child.wait().expect("reaped");
}

/// Waits for a child, killing it (and failing) if it doesn't exit in time.
fn wait_up_to(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("the child can be polled") {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the process did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_backup_taken_mid_turn_while_the_circle_runs_on_resumes_in_a_new_process() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let db = dir.path().join("attune.db");
    let mut live = Live::start(dir.path(), &db, T0);
    let alices_prompt = to_alices_sharing_turn(&mut live);
    live.say("@advance 30s");
    live.say("mod: /circle status");
    live.until("the host's status", |v| v["to"] == "mod");

    // Backed up while the console owns the database and alice has the floor.
    std::fs::create_dir(dir.path().join("backups")).unwrap();
    let copy = dir.path().join("backups").join("attune-copy.db");
    let backup = || crate::cli::attune(dir.path()).arg("backup").arg(&copy).arg("--db").arg(&db).stdin(Stdio::null()).output().unwrap();
    let out = backup();
    assert!(out.status.success(), "a backup while attune runs: {}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.starts_with("Backed up ") && said.contains("attune-copy.db"), "{said}");
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777, 0o600, "only its owner may read the copy");
    let names: Vec<String> =
        std::fs::read_dir(dir.path().join("backups")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["attune-copy.db"], "nothing but the copy is left beside it");

    // The live circle goes on, writing, after the backup.
    live.say("alice: /done");
    live.until("bob's sharing turn in the live process", |v| is_turn_of(v, "bob"));
    // A second backup to the same name is refused and the first stays as it was.
    let before = std::fs::read(&copy).unwrap();
    let again = backup();
    assert_eq!(again.status.code(), Some(1));
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("already exists") && err.contains("the database is unchanged"), "{err}");
    assert_eq!(std::fs::read(&copy).unwrap(), before, "a backup never replaces a file");
    live.child.kill().expect("the console can be killed");
    live.child.wait().expect("reaped");

    // The copy holds the moment it was taken: alice, 30 s into her turn. Started
    // 90 s later on the copy, she has the rest of it and the circle completes.
    let restart = plus_secs(T0, 30 + 90);
    let script = "@advance 2m\n@advance 1m\n@advance 1m\n@advance 1m\nbob: /done\ncara: /done\nalice: /done\nbob: /done\ncara: /done\n";
    let out = feed(console(dir.path(), &copy).args(["--start", &restart]), script);
    assert!(out.status.success(), "the copy starts: {}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("--json prints JSON lines ({e}): {l}")))
        .collect();
    assert_resumed(&alices_prompt, &lines, "3 min");
}
