//! Running attune as a service: `contrib/attune.service` is a unit systemd
//! accepts as it is, and its restart policy agrees with attune's exit codes.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

const UNIT: &str = include_str!("../../contrib/attune.service");

/// `systemd-analyze verify` on `text` (with ExecStart pointing at the binary
/// just built, since the unit names where it is installed): what it said.
/// `None` where systemd-analyze isn't installed.
fn verify(dir: &Path, text: &str) -> Option<(bool, String)> {
    let unit = dir.join("attune.service");
    std::fs::write(&unit, text.replace("/usr/local/bin/attune", env!("CARGO_BIN_EXE_attune"))).unwrap();
    let out = Command::new("systemd-analyze").arg("verify").arg(&unit).output().ok()?;
    // It warns about ignored lines on stderr and still exits 0: both count.
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    Some((out.status.success(), said))
}

#[test]
fn the_service_unit_is_one_systemd_accepts_without_a_word() {
    let dir = tempfile::tempdir().unwrap();
    let Some((ok, said)) = verify(dir.path(), UNIT) else {
        eprintln!("systemd-analyze is not installed here; the unit was not verified");
        return;
    };
    assert!(ok && said.trim().is_empty(), "systemd-analyze verify: {said}");
    // The check can fail: a misspelt key and a bad value are both reported.
    let (_, said) = verify(dir.path(), &UNIT.replace("ProtectSystem=strict", "ProtectSystm=strict")).unwrap();
    assert!(said.contains("ProtectSystm"), "a misspelt key is reported: {said}");
}

#[test]
fn the_unit_restarts_on_failure_but_never_on_what_only_the_operator_can_fix() {
    let setting = |key: &str| -> Vec<&str> { UNIT.lines().filter_map(|l| l.strip_prefix(key)?.strip_prefix('=')).collect() };
    assert_eq!(setting("Restart"), ["on-failure"]);
    assert_eq!(setting("RestartPreventExitStatus"), [attune::exit::Exit::NeedsOperator.code().to_string().as_str()]);
    assert_eq!(setting("KillSignal"), ["SIGTERM"], "SIGTERM is attune's clean stop");
    assert_eq!(setting("ProtectSystem"), ["strict"]);
    assert_eq!(setting("StateDirectory"), ["attune"], "the data folder is the one place it writes");
    assert!(setting("ExecStart").iter().all(|c| !c.contains("TOKEN")), "no secret on a command line");
}
