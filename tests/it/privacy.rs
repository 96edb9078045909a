//! The sentinel test: nothing anyone shares in a circle or writes back to a
//! reflection reaches the database, its side files or the logs; and secrets
//! from the environment are never printed.

// Test helpers, not just #[test] functions, may panic: a failed expectation is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::Path;

use crate::cli::attune;
use crate::transcript::{console, feed};

const SENTINEL: &str = "SENTINEL-7f3a9c";

/// A whole circle in which every share and every reply carries the sentinel.
fn circle_script() -> String {
    let s = SENTINEL;
    format!(
        "mod: /circle open Thursday circle
alice: /circle join
alice: /agree
bob: /circle join
bob: /agree
cara: /circle join
cara: /agree
mod: /circle start
alice: Arriving tired today {s} alice check-in
alice: /done
bob: Glad to be here {s} bob check-in
bob: /done
cara: I want to die {s}
cara: /done
alice: /mode reflections
alice: This week my sister said something that stayed with me {s} alice share
bob: I did the same thing once {s} bob speaking over alice
alice: /done
bob: I heard how much that stayed with you {s} bob reflection
cara: It sounds like it was heavy to carry {s} cara reflection
@advance 2m
bob: /mode feelings
bob: I have been sleeping badly and I don't know why {s} bob share
bob: /done
alice: It sounds like there's some worry there {s} alice feeling
@advance 2m
cara: Some days I really don't want to live {s} cara share
@advance 5m
alice: Grateful {s} alice check-out
alice: /done
bob: Lighter {s} bob check-out
bob: /done
cara: Quiet {s} cara check-out
cara: /done
alice: /pulse 5
bob: /pulse 4
cara: /pulse 3
alice: /reflect body
alice: My shoulders are tight and my jaw hurts {s} alice private reply
alice: /practice arrive
alice: Slowing down {s} alice practice reply
alice: /next
alice: My chest feels heavy {s} alice practice reply
alice: /next
alice: Sad {s} alice practice reply
alice: /next
alice: I need rest {s} alice practice reply
alice: /next
cara: /crisis wrong
mod: /circle status
alice: /my-data
"
    )
}

/// Every file in `dir` (the database, `-wal`, `-shm`, any journal) that contains `needle`, in any case.
fn files_containing(dir: &Path, needle: &str) -> Vec<String> {
    let needles = [needle.to_owned(), needle.to_lowercase(), needle.to_uppercase()];
    let mut hits = Vec::new();
    for entry in std::fs::read_dir(dir).expect("the temporary folder is readable").filter_map(|e| e.ok()) {
        let bytes = std::fs::read(entry.path()).expect("every file beside the database is readable");
        if needles.iter().any(|n| bytes.windows(n.len()).any(|w| w == n.as_bytes())) {
            hits.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    hits
}

#[test]
fn nothing_shared_in_a_circle_or_written_back_to_a_reflection_is_stored_or_logged() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("attune.db");
    let out = feed(console(dir.path(), &db).env("ATTUNE_LOG_LEVEL", "trace"), &circle_script());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the console runs the whole circle: {stderr}");

    // The run must have really happened, with trace logging on, or the test proves nothing.
    assert!(stderr.contains("TRACE") || stderr.contains("DEBUG"), "with ATTUNE_LOG_LEVEL=trace the console logs verbosely");
    assert!(stdout.contains("This circle has come to a close"), "the circle ran to its end");
    assert!(stdout.contains("\"kind\":\"crisis\""), "the crisis phrase was noticed, so the chat was really read");
    assert!(stdout.contains("3 answers, average 4.0 out of 5"), "the pulses were stored (as the spec allows)");
    assert!(stdout.contains("attune-my-data.json"), "alice's data export ran");

    let files: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    assert!(files.iter().any(|f| f == "attune.db"), "the database file exists: {files:?}");
    let hits = files_containing(dir.path(), SENTINEL);
    assert!(hits.is_empty(), "shares and replies are never stored: the sentinel was found in {hits:?}");
    assert!(!stderr.to_lowercase().contains(&SENTINEL.to_lowercase()), "shares and replies never reach the logs, even at trace level");
    assert!(!stdout.contains(SENTINEL), "the bot never repeats what someone shared, not even in their own data export");
}

const FAKE_TOKEN: &str = "MTA5ODc2NTQzMjEwOTg3NjU0.GsEcRt.attune-e2e-discord-token-91c4d2";
const FAKE_PASSWORD: &str = "attune-e2e-matrix-password-5be07a";

#[test]
fn the_discord_token_and_matrix_password_never_appear_in_any_output() {
    let dir = tempfile::tempdir().unwrap();
    let runs: [&[&str]; 4] = [&["doctor", "--db", "s.db"], &["run", "--db", "s.db"], &["migrate", "--db", "s.db"], &["deck", "validate"]];
    for args in runs {
        for enabled in ["false", "true"] {
            let out = attune(dir.path())
                .args(args)
                .env("ATTUNE_DISCORD_TOKEN", FAKE_TOKEN)
                .env("ATTUNE_MATRIX_PASSWORD", FAKE_PASSWORD)
                .env("ATTUNE_DISCORD_ENABLED", enabled)
                .env("ATTUNE_MATRIX_ENABLED", enabled)
                // Built with Discord, `run` tries to connect: nothing listens here, so it stops at once.
                .env("ATTUNE_DISCORD_API_BASE", "http://127.0.0.1:9")
                .env("ATTUNE_LOG_LEVEL", "trace")
                .stdin(std::process::Stdio::null())
                .output()
                .unwrap();
            let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            assert!(!text.is_empty(), "attune {args:?} says something, so there was output to check");
            for (secret, what) in [(FAKE_TOKEN, "Discord token"), (FAKE_PASSWORD, "Matrix password")] {
                assert!(!text.contains(secret), "the {what} never appears in the output of attune {args:?} (enabled={enabled}):\n{text}");
                // Not even its distinctive tail, e.g. in a truncated or partly masked form.
                let tail = &secret[secret.len() - 12..];
                assert!(
                    !text.contains(tail),
                    "no part of the {what} appears in the output of attune {args:?} (enabled={enabled}):\n{text}"
                );
            }
        }
    }
}

#[test]
fn after_forget_me_none_of_the_members_words_or_name_remain_in_the_database_files() {
    // A member with a distinctive name takes part in everything that stores something about them.
    let name = "quillon4b1e";
    let words = "FORGETME-WORDS-2c9e71";
    let script = format!(
        "mod: /circle open
{name}: /circle join
{name}: /agree
bob: /circle join
bob: /agree
mod: /circle start
{name}: /done
bob: /done
{name}: /done
bob: /done
{name}: /done
bob: /done
{name}: /pulse 4
{name}: /suggest A card in my own words: {words}
{name}: /timezone Europe/Lisbon
{name}: /quiet 22:00-07:00
{name}: /daily 08:00
{name}: /forget-me
{name}: /forget-me confirm
"
    );
    let dir = tempfile::tempdir().unwrap();
    let out = feed(&mut console(dir.path(), &dir.path().join("attune.db")), &script);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "the console runs: {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("I've deleted what attune kept about you"), "the member was forgotten:\n{stdout}");

    // Deleted rows must not survive as bytes in the database, its write-ahead log or free pages.
    for needle in [words, name] {
        let hits = files_containing(dir.path(), needle);
        assert!(hits.is_empty(), "forget-me deletes everything about the member, on disk too: {needle:?} is still in {hits:?}");
    }
}
