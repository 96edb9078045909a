//! The command line: deck validation, import and export, doctor, run,
//! migrate, configuration errors and a database that isn't one.

// Test helpers, not just #[test] functions, may panic: a failed expectation is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The `attune` binary, run in `dir` with no `ATTUNE_*` settings inherited
/// from the environment (so a developer's own setup can't change a test).
pub(crate) fn attune(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_attune"));
    cmd.current_dir(dir);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("ATTUNE_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null()).output().expect("the attune binary runs")
}

/// Everything a command printed, stdout then stderr.
fn printed(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn shipped_decks() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/decks");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("config/decks exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

/// Creates the console community in a database by having a moderator look at the decks.
fn seed_console_community(dir: &Path, db: &Path) {
    let out = crate::transcript::feed(&mut crate::transcript::console(dir, db), "mod: /deck list\n");
    assert!(out.status.success(), "the console starts on a new database: {}", printed(&out));
    assert!(db.exists(), "the console creates its database");
}

fn export(dir: &Path, db: &Path, deck: &str, out: &Path) -> Output {
    run(attune(dir).args(["deck", "export", deck, "--db"]).arg(db).arg("--out").arg(out))
}

#[test]
fn the_shipped_decks_validate() {
    let dir = tempfile::tempdir().unwrap();
    let files = shipped_decks();
    assert!(files.len() >= 5, "attune ships its default decks in config/decks");
    let out = run(attune(dir.path()).args(["deck", "validate"]).args(&files));
    let text = printed(&out);
    assert!(out.status.success(), "every shipped deck file is valid:\n{text}");
    for f in &files {
        let line = text.lines().find(|l| l.starts_with(&f.display().to_string())).unwrap_or_default();
        assert!(line.contains(": ok"), "validate reports each file as ok, by name: {}\n{text}", f.display());
    }
}

#[test]
fn a_deck_file_with_an_error_is_reported_with_its_file_line_and_problem() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("broken-deck.toml");
    std::fs::write(
        &bad,
        "[deck]\nname = \"broken\"\ntitle = \"Broken\"\ndescription = \"\"\n\n[[cards]]\nid = \"broken-01\"\nkind = \"check-in\"\n\
         theme = \"weather\"\nintensity = \"light\"\ncw = []\ntext = \"How is it inside today?\"\n",
    )
    .unwrap();
    let good = shipped_decks().into_iter().next().expect("a shipped deck");
    let out = run(attune(dir.path()).args(["deck", "validate"]).arg(&good).arg(&bad));
    let text = printed(&out);
    assert!(!out.status.success(), "validate exits non-zero when any file has a problem:\n{text}");
    let report = text.lines().find(|l| l.contains("broken-deck.toml")).unwrap_or_default();
    assert!(report.contains("line 9"), "the problem names its line (the theme is on line 9):\n{text}");
    assert!(report.contains("weather"), "the problem names the bad value:\n{text}");
    assert!(report.contains("emotions"), "the problem says what would work (the known themes):\n{text}");
    assert!(text.contains(&format!("{}: ok", good.display())), "the good file is still reported as ok:\n{text}");
}

#[test]
fn a_deck_exported_and_imported_again_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("attune.db");
    seed_console_community(dir.path(), &db);
    let first = dir.path().join("sharing.toml");
    let out = export(dir.path(), &db, "sharing", &first);
    assert!(out.status.success(), "a community's deck can be exported: {}", printed(&out));
    let cards = std::fs::read_to_string(&first).unwrap().matches("[[cards]]").count();
    assert!(cards >= 20, "the exported sharing deck holds all its cards");

    let out = run(attune(dir.path()).args(["deck", "import"]).arg(&first).arg("--db").arg(&db));
    let text = printed(&out);
    assert!(!out.status.success() && text.contains("--replace"), "an existing deck is never replaced silently: {text}");
    let out = run(attune(dir.path()).args(["deck", "import", "--replace"]).arg(&first).arg("--db").arg(&db));
    let text = printed(&out);
    assert!(out.status.success(), "an exported deck imports cleanly: {text}");
    assert!(text.contains(&format!("Imported deck sharing ({cards} cards)")), "import says what it imported: {text}");

    let second = dir.path().join("sharing-again.toml");
    assert!(export(dir.path(), &db, "sharing", &second).status.success(), "the deck exports again after the import");
    assert_eq!(
        std::fs::read_to_string(&first).unwrap(),
        std::fs::read_to_string(&second).unwrap(),
        "export → import → export gives back the same file"
    );
}

#[test]
fn importing_a_bad_deck_file_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("attune.db");
    seed_console_community(dir.path(), &db);
    let before = dir.path().join("before.toml");
    assert!(export(dir.path(), &db, "sharing", &before).status.success());
    let original = std::fs::read_to_string(&before).unwrap();

    // A deck replacing "sharing" whose last card has an unknown theme: nothing of it may land.
    let broken = original.replacen("If you like", "CHANGED", 1)
        + "\n[[cards]]\nid = \"sharing-99\"\nkind = \"sharing\"\ntheme = \"weather\"\n\
         intensity = \"light\"\ncw = []\ntext = \"x\"\nguide = \"y\"\n";
    // A new deck whose card id is already used by the check-in deck.
    let colliding = "[deck]\nname = \"colliding\"\ntitle = \"Colliding\"\ndescription = \"\"\n\n[[cards]]\nid = \"check-in-01\"\n\
                     kind = \"check-in\"\ntheme = \"body\"\nintensity = \"light\"\ncw = []\ntext = \"Hello?\"\n";
    for (file, content) in
        [("broken.toml", broken.as_str()), ("colliding.toml", colliding), ("garbage.toml", "\u{0}\u{1}not toml at all [[")]
    {
        let path = dir.path().join(file);
        std::fs::write(&path, content).unwrap();
        let out = run(attune(dir.path()).args(["deck", "import"]).arg(&path).arg("--db").arg(&db));
        let text = printed(&out);
        assert!(!out.status.success(), "importing {file} must fail: {text}");
        assert!(text.contains("Nothing was"), "the refusal says nothing was changed ({file}): {text}");
    }

    let after = dir.path().join("after.toml");
    assert!(export(dir.path(), &db, "sharing", &after).status.success());
    assert_eq!(original, std::fs::read_to_string(&after).unwrap(), "a refused import leaves the existing deck exactly as it was");
    let out = export(dir.path(), &db, "colliding", &dir.path().join("colliding-out.toml"));
    assert!(!out.status.success(), "a refused import adds no deck: {}", printed(&out));
}

#[test]
fn doctor_checks_decks_database_and_both_platforms() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(attune(dir.path()).args(["doctor", "--db", "doctor.db"]));
    let text = printed(&out);
    assert!(out.status.success(), "doctor succeeds on a fresh setup:\n{text}");
    for topic in ["decks", "database", "discord", "matrix"] {
        assert!(text.lines().any(|l| l.to_lowercase().starts_with(topic)), "doctor reports on {topic}:\n{text}");
    }
}

#[test]
fn run_with_no_platform_configured_fails_and_says_which_platforms_are_built_in() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(attune(dir.path()).args(["run", "--db", "run.db"]));
    let text = printed(&out);
    assert_eq!(out.status.code(), Some(78), "run with nothing to run exits 78 (the configuration needs the operator):\n{text}");
    for (platform, built) in [("Discord", cfg!(feature = "discord")), ("Matrix", cfg!(feature = "matrix"))] {
        let line = text.lines().find(|l| l.starts_with(platform)).unwrap_or_default();
        if built {
            assert!(line.contains("not configured (built in"), "run says {platform} is built in but not configured:\n{text}");
            continue;
        }
        assert!(line.contains("not built in"), "run says {platform} is not built into this version:\n{text}");
    }
    assert!(text.contains("attune console"), "run points to something that does work:\n{text}");
}

#[test]
fn migrate_succeeds_twice_on_the_same_database() {
    let dir = tempfile::tempdir().unwrap();
    for attempt in 1..=2 {
        let out = run(attune(dir.path()).args(["migrate", "--db", "m.db"]));
        assert!(out.status.success(), "migrate succeeds on attempt {attempt} (it is idempotent): {}", printed(&out));
        let said = printed(&out);
        if attempt == 1 {
            assert!(said.contains("Created a new database"), "the first migrate says it made the database: {said}");
        } else {
            assert!(said.contains("up to date"), "migrate says the database is up to date: {said}");
        }
    }
    let out = run(attune(dir.path()).args(["doctor", "--db", "m.db"]));
    assert!(out.status.success(), "a twice-migrated database passes doctor: {}", printed(&out));
}

#[test]
fn a_config_file_with_an_unknown_key_is_refused_naming_the_file_and_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [("typo.toml", "[database]\npathh = \"x.db\"\n", "pathh"), ("section.toml", "[discrod]\nenabled = true\n", "discrod")];
    for (file, content, key) in cases {
        std::fs::write(dir.path().join(file), content).unwrap();
        let out = run(attune(dir.path()).args(["--config", file, "doctor", "--db", "c.db"]));
        let text = printed(&out);
        assert_eq!(
            out.status.code(),
            Some(78),
            "a config file with an unknown key is refused with exit 78 (the operator must fix it): {text}"
        );
        assert!(text.contains(file), "the refusal names the config file {file}: {text}");
        assert!(text.contains(key), "the refusal names the unknown key {key}: {text}");
        assert!(!dir.path().join("c.db").exists(), "nothing runs on a refused configuration, not even the database");
    }
}

#[test]
fn the_console_refuses_a_file_that_is_not_a_database_and_leaves_it_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.db");
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    std::fs::write(&path, &garbage).unwrap();
    let out = crate::transcript::feed(&mut crate::transcript::console(dir.path(), &path), "mod: /circle open\n");
    let text = printed(&out);
    assert!(!out.status.success(), "the console exits non-zero on a file that isn't a database: {text}");
    assert!(text.contains("notes.db"), "the message names the file: {text}");
    assert!(text.contains("not an attune database") || text.contains("damaged"), "the message says what is wrong with it: {text}");
    assert!(!text.contains("panicked"), "a bad database file is reported, never a crash: {text}");
    assert_eq!(std::fs::read(&path).unwrap(), garbage, "the file is left byte-for-byte as it was");
    let extra: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "notes.db")
        .collect();
    assert!(extra.is_empty(), "no journal or side files are left beside it: {extra:?}");
}

#[test]
fn importing_a_deck_touches_only_the_decks_even_with_a_circle_mid_turn() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("attune.db");
    // A circle left mid-turn, its warning long overdue by the time the import runs (real clock).
    let script = "mod: /circle open\nalice: /circle join\nalice: /agree\nbob: /circle join\nbob: /agree\nmod: /circle start\n";
    let out = crate::transcript::feed(&mut crate::transcript::console(dir.path(), &db), script);
    assert!(out.status.success(), "the console sets up a running circle: {}", printed(&out));
    let deck = dir.path().join("evening.toml");
    std::fs::write(
        &deck,
        "[deck]\nname = \"evening\"\ntitle = \"Evening\"\n\n[[cards]]\nid = \"evening-01\"\nkind = \"check-in\"\ntheme = \"rest\"\nintensity = \"light\"\ntext = \"How is your evening arriving?\"\n",
    )
    .unwrap();
    let out = run(attune(dir.path()).args(["deck", "import"]).arg(&deck).arg("--db").arg(&db));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "the import succeeds: {}", printed(&out));
    assert_eq!(text.trim(), "Imported deck evening (1 card).", "the import prints its own result and nothing meant for members");

    // The circle is exactly where it was: the next console start resumes alice's check-in.
    let out = crate::transcript::feed(&mut crate::transcript::console(dir.path(), &db), "");
    let resumed = String::from_utf8_lossy(&out.stdout);
    assert!(resumed.contains("alice still has the floor"), "the import didn't move the circle on: {resumed}");
}

#[test]
fn help_describes_run_as_it_is_now() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(attune(dir.path()).arg("--help"));
    assert!(out.status.success());
    let text = printed(&out);
    assert!(!text.contains("none is built"), "the help no longer says no platform is built in:\n{text}");
    assert!(text.contains("Discord") && text.contains("Matrix"), "run names the platforms it starts:\n{text}");
}

#[test]
fn a_backup_that_cannot_be_made_says_why_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let listing = || {
        let mut names: Vec<String> = std::fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    };
    // No database yet.
    let out = run(attune(d).args(["backup", "copy.db", "--db", "none.db"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(printed(&out).contains("there is no database at none.db"), "{}", printed(&out));

    // A file that isn't a database, and a database that isn't attune's.
    std::fs::write(d.join("notes.db"), b"\xff\xfe not sqlite at all, just bytes \x00\x01").unwrap();
    let out = run(attune(d).args(["backup", "copy.db", "--db", "notes.db"]));
    assert!(printed(&out).contains("notes.db is not an attune database"), "{}", printed(&out));
    let other = Command::new("python3")
        .args(["-c", "import sqlite3; c = sqlite3.connect('other.db'); c.execute('create table t(x)'); c.commit()"])
        .current_dir(d)
        .status()
        .unwrap();
    assert!(other.success());
    let out = run(attune(d).args(["backup", "copy.db", "--db", "other.db"]));
    assert!(printed(&out).contains("other.db is not an attune database"), "{}", printed(&out));

    // A real one, into a folder that doesn't exist, then onto a file that does.
    assert!(run(attune(d).args(["migrate", "--db", "real.db"])).status.success());
    let out = run(attune(d).args(["backup", "missing/copy.db", "--db", "real.db"]));
    assert!(printed(&out).contains("the folder missing does not exist"), "{}", printed(&out));
    let out = run(attune(d).args(["backup", "notes.db", "--db", "real.db"]));
    assert!(printed(&out).contains("notes.db already exists"), "{}", printed(&out));
    assert!(std::fs::read(d.join("notes.db")).unwrap().starts_with(b"\xff\xfe not sqlite"), "the file in the way is untouched");
    assert_eq!(listing(), ["notes.db", "other.db", "real.db"], "no copy, partial file or log was left behind");

    // And the one that works is a database doctor calls healthy. A partial copy left by
    // a backup that was killed (its process is gone) is cleared away; one whose process
    // still runs is left alone.
    std::fs::write(d.join(".copy.db.partial-4294967295"), b"half a copy").unwrap();
    let running = format!(".copy.db.partial-{}", std::process::id());
    std::fs::write(d.join(&running), b"another backup's copy").unwrap();
    let out = run(attune(d).args(["backup", "copy.db", "--db", "real.db"]));
    assert!(!d.join(".copy.db.partial-4294967295").exists(), "the abandoned partial copy is gone");
    assert!(d.join(&running).exists(), "a running backup's file is left alone");
    std::fs::remove_file(d.join(&running)).unwrap();
    assert!(out.status.success(), "{}", printed(&out));
    let out = run(attune(d).args(["doctor", "--db", "copy.db"]));
    assert!(out.status.success() && printed(&out).contains("database: ok"), "{}", printed(&out));
}
