//! `attune doctor`, `deck validate`, start-up and `run` (issue 9): checks that
//! look at everything, create nothing, and say each thing once.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::Path;
use std::process::{Output, Stdio};

use crate::cli::attune;

fn run(dir: &Path, args: &[&str]) -> Output {
    attune(dir).args(args).stdin(Stdio::null()).output().expect("attune runs")
}

fn printed(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// A console database with one circle, whose stored document is then replaced by `doc`.
fn database_with_circle_doc(dir: &Path, doc: &str) -> std::path::PathBuf {
    let db = dir.join("a.db");
    let out = crate::transcript::feed(&mut crate::transcript::console(dir, &db), "mod: /circle open\nmod: /deck list\n");
    assert!(out.status.success());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let store = attune::store::Store::open(&db).await.unwrap();
        sqlx::query("UPDATE circles SET doc = ?").bind(doc).execute(store.pool()).await.unwrap();
        store.close().await;
    });
    db
}

#[test]
fn doctor_reads_back_every_stored_record_and_names_a_damaged_one_without_quoting_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = database_with_circle_doc(dir.path(), r#"{"phase":"SENTINEL-STORED-TEXT"}"#);
    let out = run(dir.path(), &["doctor", "--db", db.to_str().unwrap()]);
    let text = printed(&out);
    assert!(!out.status.success(), "a damaged record is not `database: ok`:\n{text}");
    assert!(!text.contains("database: ok"), "{text}");
    assert!(text.contains("circle 1 in community console"), "the damaged record is named:\n{text}");
    assert!(!text.contains("SENTINEL"), "stored text is never echoed:\n{text}");
    assert!(text.contains("deck export"), "and it says how to save what is left:\n{text}");
}

#[test]
fn doctor_finds_nothing_wrong_with_a_changed_deck_and_a_circle_with_turns() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    let out = crate::transcript::feed(
        &mut crate::transcript::console(dir.path(), &db),
        "mod: /deck disable check-in\nmod: /circle open\nalice: /circle join\nalice: /agree\nbob: /circle join\nbob: /agree\n\
         mod: /circle start\nalice: /done\nbob: /done\n",
    );
    assert!(out.status.success(), "{}", printed(&out));
    let out = run(dir.path(), &["doctor", "--db", db.to_str().unwrap()]);
    let text = printed(&out);
    assert!(
        text.contains("database: ok"),
        "a deck the community changed and turns that wait in a circle's row are records as written:\n{text}"
    );
}

#[test]
fn doctor_runs_sqlites_integrity_check() {
    let dir = tempfile::tempdir().unwrap();
    let db = database_with_circle_doc(dir.path(), "{}");
    let mut bytes = std::fs::read(&db).unwrap();
    for (i, b) in bytes.iter_mut().enumerate().take(4096 * 20).skip(4096 * 5) {
        *b = (i.wrapping_mul(7919) % 256) as u8;
    }
    std::fs::write(&db, &bytes).unwrap();
    let out = run(dir.path(), &["doctor", "--db", db.to_str().unwrap()]);
    assert!(!out.status.success() && !printed(&out).contains("database: ok"), "a file with garbage in it is not ok:\n{}", printed(&out));
    assert_eq!(std::fs::read(&db).unwrap(), bytes, "doctor changed nothing");
}

#[test]
fn doctor_never_creates_a_folder_or_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["doctor", "--db", "nonexistent/dir/x.db"]);
    assert!(out.status.success(), "{}", printed(&out));
    assert!(printed(&out).contains("none yet"), "{}", printed(&out));
    assert!(!dir.path().join("nonexistent").exists(), "no folder was made");
    let out = run(dir.path(), &["doctor"]);
    assert!(out.status.success());
    assert!(!dir.path().join("data").exists(), "nor the default database");
}

#[test]
fn doctor_stops_quietly_when_its_output_closes() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = attune(dir.path()).arg("doctor").stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    // Like `attune doctor | head -0`: the reader goes away before anything is written.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "no panic on a closed stdout: {err}");
    assert!(out.status.success(), "a quiet exit: {err}");
}

#[test]
fn a_damaged_record_at_start_up_is_named_once_without_its_text_and_with_a_way_out() {
    let dir = tempfile::tempdir().unwrap();
    let db = database_with_circle_doc(dir.path(), r#"{"phase":"SENTINEL-STORED-TEXT"}"#);
    let out = crate::transcript::feed(&mut crate::transcript::console(dir.path(), &db), "mod: /help\n");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "attune starts without the damaged record: {err}");
    assert!(!String::from_utf8_lossy(&out.stdout).is_empty(), "and the community answers");
    assert!(err.contains("circle 1"), "the record is named: {err}");
    assert_eq!(err.matches("is damaged").count(), 1, "said once, not twice: {err}");
    assert!(!err.contains("SENTINEL"), "stored text is never echoed: {err}");
    assert!(err.contains("deck export"), "it says how to export what is left: {err}");
}

#[test]
fn a_missing_config_file_is_reported_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["--config", "nope.toml", "doctor"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert_eq!(err.matches("os error").count(), 1, "the OS error is said once: {err}");
}

#[test]
fn deck_validate_reports_every_problem_with_its_line_and_imports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(
        &file,
        "[deck]\nname = \"bad\"\ntitle = \"<b>Bad</b>\"\ndescription = \"Join @everyone\"\n\n[[cards]]\nid = \"bad-01\"\nkind = \"check-in\"\n\
         theme = \"body\"\nintensity = \"light\"\ntext = \"hey @everyone\"\n\n[[cards]]\nid = \"bad-02\"\nkind = \"check-in\"\n\
         theme = \"body\"\nintensity = \"light\"\ntext = \"see https://x.example\"\n",
    )
    .unwrap();
    let out = run(dir.path(), &["deck", "validate", file.to_str().unwrap()]);
    let text = printed(&out);
    assert!(!out.status.success());
    let problems: Vec<&str> = text.lines().filter(|l| l.contains("bad.toml: line ")).collect();
    assert_eq!(problems.len(), 4, "title, description and both cards are reported, each with its line:\n{text}");
    assert!(!text.contains("text text"), "{text}");
    assert!(!text.contains("imported"), "validate never imports, so it doesn't talk about importing:\n{text}");
}

#[test]
fn run_creates_nothing_when_there_is_nothing_to_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["run"]);
    assert!(!out.status.success());
    assert!(!dir.path().join("data").exists(), "no ./data/attune.db appears: {}", printed(&out));
}

#[test]
fn every_db_option_has_help() {
    let dir = tempfile::tempdir().unwrap();
    for cmd in [&["migrate"][..], &["run"], &["doctor"], &["deck", "import"], &["deck", "export"], &["console"]] {
        let out = attune(dir.path()).args(cmd).arg("--help").output().unwrap();
        let help = String::from_utf8_lossy(&out.stdout);
        let line = help.lines().find(|l| l.contains("--db")).unwrap_or_default();
        assert!(line.contains("SQLite file"), "`attune {} --help` explains --db: {line:?}", cmd.join(" "));
    }
}

#[test]
fn doctor_names_a_quarantined_community_without_content() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("q.db");
    let out = crate::transcript::feed(&mut crate::transcript::console(dir.path(), &db), "mod: /help\n");
    assert!(out.status.success());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let store = attune::store::Store::open(&db).await.unwrap();
        let id = attune::core::ids::CommunityId::parse(attune::core::ids::Platform::Discord, "42").unwrap();
        store.quarantine(&id, "panic", jiff::Timestamp::UNIX_EPOCH).await.unwrap();
        store.close().await;
    });
    let out = run(dir.path(), &["doctor", "--db", db.to_str().unwrap()]);
    let text = printed(&out);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("community discord:42 was paused after repeated failures (panic)"), "{text}");
}
