//! Architecture rules, checked on the source text: the core stays pure
//! (no async runtime, database, platform, clock, filesystem, network or
//! global randomness), and only adapters name platform libraries.

// Helpers outside #[test] functions may panic too: these are tests.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

/// Names the core must never use.
const NOT_IN_CORE: [&str; 16] = [
    "tokio",
    "sqlx",
    "serenity",
    "poise",
    "matrix_sdk",
    "Instant::now",
    "SystemTime",
    "Timestamp::now",
    "Zoned::now",
    "std::fs",
    "std::net",
    "std::env",
    "std::thread",
    "std::process",
    "thread_rng",
    "TimeZone::system",
];

/// Platform libraries, which only `src/platform` may name.
const PLATFORM_LIBS: [&str; 4] = ["serenity", "poise", "matrix_sdk", "ruma"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("can't read {}: {e}", d.display())) {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Where `text` names `name` as a whole identifier or path (so "poised" doesn't count as "poise").
fn names(text: &str, name: &str) -> Vec<usize> {
    let mut found = Vec::new();
    for (i, _) in text.match_indices(name) {
        let before = text[..i].chars().next_back();
        let after = text[i + name.len()..].chars().next();
        if !before.is_some_and(is_ident) && !after.is_some_and(is_ident) {
            found.push(text[..i].matches('\n').count() + 1);
        }
    }
    found
}

fn violations(files: &[PathBuf], forbidden: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(f).unwrap_or_else(|e| panic!("can't read {}: {e}", f.display()));
        for name in forbidden {
            for line in names(&text, name) {
                out.push(format!("{}:{line} names {name}", f.strip_prefix(root()).unwrap_or(f).display()));
            }
        }
    }
    out
}

#[test]
fn the_core_names_no_runtime_database_platform_clock_filesystem_or_global_randomness() {
    let files = rust_files(&root().join("src/core"));
    assert!(files.len() >= 20, "the core's files were found ({})", files.len());
    let bad = violations(&files, &NOT_IN_CORE);
    assert!(bad.is_empty(), "the core must stay pure (inputs in, effects out):\n{}", bad.join("\n"));
}

#[test]
fn only_platform_adapters_name_platform_libraries() {
    let files: Vec<PathBuf> = [rust_files(&root().join("src")), rust_files(&root().join("benches"))]
        .concat()
        .into_iter()
        .filter(|f| !f.starts_with(root().join("src/platform")))
        // The Matrix benchmark plays a member with a matrix-sdk client, as the tests do.
        .filter(|f| !f.ends_with("benches/matrix.rs"))
        .collect();
    assert!(files.iter().any(|f| f.ends_with("src/lib.rs")), "the crate's files were found");
    let bad = violations(&files, &PLATFORM_LIBS);
    assert!(bad.is_empty(), "only src/platform may name a platform library:\n{}", bad.join("\n"));
}

#[test]
fn each_platform_library_is_named_only_by_its_own_adapter() {
    let platform = root().join("src/platform");
    let outside =
        |own: &str| -> Vec<PathBuf> { rust_files(&platform).into_iter().filter(|f| !f.starts_with(platform.join(own))).collect() };
    let mut bad = violations(&outside("discord"), &["serenity", "poise"]);
    bad.extend(violations(&outside("matrix"), &["matrix_sdk", "ruma"]));
    assert!(bad.is_empty(), "only platform/discord names serenity/poise, only platform/matrix names matrix-sdk/ruma:\n{}", bad.join("\n"));
}

#[test]
fn the_word_check_matches_whole_names_only() {
    assert_eq!(names("use tokio::sync;", "tokio"), [1]);
    assert_eq!(names("a\nlet t = jiff::Timestamp::now();", "Timestamp::now"), [2]);
    assert_eq!(names("a\n\nSystemTime", "SystemTime"), [3]);
    assert!(names("she was poised", "poise").is_empty(), "part of a word is not a name");
    assert!(names("tokio_util", "tokio").is_empty());
}

#[test]
fn feature_modules_depend_on_the_context_not_on_the_dispatcher() {
    // handle.rs dispatches to the feature modules; if they imported from it, the two would
    // depend on each other. They work through `cx.rs` instead.
    let core = root().join("src/core");
    let mut offenders = Vec::new();
    for f in rust_files(&core) {
        let name = f.strip_prefix(&core).expect("under src/core").display().to_string();
        if name == "handle.rs" || name == "mod.rs" {
            continue;
        }
        let text = std::fs::read_to_string(&f).expect("readable source");
        if text.lines().any(|l| l.trim_start().starts_with("use ") && l.contains("handle::")) {
            offenders.push(name);
        }
    }
    assert!(offenders.is_empty(), "these core modules import from handle.rs; use core::cx instead: {offenders:?}");
}

/// Our own modules each may import only what lies below them: the core
/// nothing of ours outside itself; text rendering only the core; the store the
/// core; the engine the core, the store and text, never an adapter; adapters
/// the core, text and the engine, never the store (the engine keeps their
/// bookkeeping, `engine::Ledger`).
const LAYERS: [(&str, &[&str]); 7] = [
    ("src/core", &["engine", "store", "platform", "text", "config", "content", "cli"]),
    ("src/text", &["engine", "store", "platform", "config", "content", "cli"]),
    ("src/store", &["engine", "platform", "cli"]),
    ("src/engine", &["platform", "cli"]),
    ("src/platform", &["store", "cli", "ops", "web"]),
    // The operations listener asks the engine and reads platform links; never the store.
    ("src/ops", &["store", "cli", "web"]),
    // The moderator page asks the engine as the moderator, and their platform who they are.
    ("src/web", &["store", "cli", "ops"]),
];

/// Where code (not a comment) in `text` names one of our modules in `forbidden`
/// by path (`crate::engine`, `use crate::{store, …}` spelled out), by line.
fn imports_of(text: &str, forbidden: &[&str]) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        for m in forbidden {
            let path = format!("crate::{m}");
            if !names(code, &path).is_empty() {
                found.push((n + 1, path));
            }
        }
        // Adapters reach platform bookkeeping through the engine's ledger only.
        if forbidden.contains(&"store") && code.contains(".store()") {
            found.push((n + 1, ".store()".to_owned()));
        }
    }
    found
}

#[test]
fn our_modules_import_only_what_lies_below_them() {
    let mut bad = Vec::new();
    for (dir, forbidden) in LAYERS {
        let files = rust_files(&root().join(dir));
        assert!(!files.is_empty(), "{dir} has files");
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for (line, what) in imports_of(&text, forbidden) {
                bad.push(format!("{}:{line} uses {what}", f.strip_prefix(root()).unwrap_or(&f).display()));
            }
        }
    }
    assert!(bad.is_empty(), "an import points the wrong way (see ARCHITECTURE.md, Layout):\n{}", bad.join("\n"));
}

#[test]
fn the_import_check_sees_a_core_module_that_imports_the_engine() {
    let core = LAYERS[0].1;
    assert_eq!(imports_of("use crate::engine::Engine;", core), [(1, "crate::engine".to_owned())]);
    assert_eq!(imports_of("fn f() {}\n    let x = crate::store::Store::open;", core).len(), 1);
    assert!(imports_of("// see crate::engine for how", core).is_empty(), "comments don't count");
    assert!(imports_of("use crate::core::ids::CircleId;", core).is_empty(), "the core may use itself");
    let platform = LAYERS[4].1;
    assert_eq!(imports_of("let h = self.engine.store().floor_holds(c);", platform).len(), 1, "nor may adapters reach the store");
}
