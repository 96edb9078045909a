//! `attune doctor` with Discord enabled, against the fake: the token is
//! accepted, the Message Content intent is checked, and each missing
//! permission is named with what it is for. The token is never printed.

use super::fake::{BOT_PERMISSIONS, Fake, GUILD};

const TOKEN: &str = "ODAwMDAw.ZmFrZQ.c2VjcmV0LWRvY3Rvci10b2tlbg";

fn doctor(fake: &Fake, dir: &std::path::Path, extra: &str) -> String {
    std::fs::write(dir.join("attune.toml"), format!("[discord]\nenabled = true\ndev_guild = {GUILD}\n{extra}")).unwrap();
    let out = crate::cli::attune(dir)
        .args(["--config", "attune.toml", "doctor", "--db", "doctor.db"])
        .env("ATTUNE_DISCORD_API_BASE", &fake.base)
        .env("ATTUNE_DISCORD_TOKEN", TOKEN)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("attune runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{text}");
    assert!(!text.contains(TOKEN) && !text.contains("c2VjcmV0"), "the token never appears: {text}");
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_checks_the_token_the_intent_and_the_permissions_naming_each_missing_one() {
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let all_good = tokio::task::block_in_place(|| doctor(&fake, dir.path(), ""));
    assert!(all_good.contains("discord: connected to"), "{all_good}");
    assert!(all_good.contains("Message Content intent is enabled"), "{all_good}");
    assert!(all_good.contains("every permission attune uses is granted"), "{all_good}");

    fake.set_app_flags(0);
    fake.set_bot_permissions(BOT_PERMISSIONS & !(1 << 36) & !0x40_0000 & !0x1000_0000);
    let lacking = tokio::task::block_in_place(|| doctor(&fake, dir.path(), ""));
    assert!(lacking.contains("Message Content intent is not enabled"), "{lacking}");
    assert!(lacking.contains("crisis signposting and floor nudges can't read messages"), "what is lost: {lacking}");
    let line = lacking.lines().find(|l| l.contains("attune lacks")).unwrap_or_else(|| panic!("{lacking}"));
    for named in ["Create Private Threads", "Mute Members", "Manage Roles"] {
        assert!(line.contains(named), "{named} is named: {line}");
    }
    assert!(!line.contains("Send Messages (") && !line.contains("Manage Channels"), "only what is missing: {line}");

    let off = tokio::task::block_in_place(|| doctor(&fake, dir.path(), "message_content = false\n"));
    assert!(off.contains("message_content = false"), "{off}");
    let requests = fake.requests();
    for path in ["/api/v10/users/@me", "/api/v10/oauth2/applications/@me", "/api/v10/users/@me/guilds"] {
        assert!(requests.iter().any(|r| r.method == "GET" && r.path == path), "{path} was asked");
    }
    assert!(requests.iter().all(|r| r.method == "GET"), "doctor only reads");
    assert!(fake.unexpected().is_empty(), "{:?}", fake.unexpected());
}

/// Doctor reads each channel's overwrites: where one carries a permission attune
/// lacks (and attune has no Manage Permissions there), floor hold can't change
/// it, and doctor names the channel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_names_the_channels_whose_overwrites_floor_hold_cannot_change() {
    const MODS_ROOM: u64 = super::fake::CHANNEL + 30;
    const PLAIN_ROOM: u64 = super::fake::CHANNEL + 31;
    const MODS: u64 = super::fake::GUILD + 8;
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut c = super::fake::Chan::text("mods-room");
    // Manage Messages (1 << 13) is not among attune's permissions.
    c.overwrites =
        vec![serde_json::json!({ "id": MODS.to_string(), "type": 0, "allow": ((1u64 << 13) | (1 << 11)).to_string(), "deny": "0" })];
    fake.add_channel(MODS_ROOM, c);
    let mut plain = super::fake::Chan::text("plain-room");
    plain.overwrites = vec![serde_json::json!({ "id": MODS.to_string(), "type": 0, "allow": (1u64 << 11).to_string(), "deny": "0" })];
    fake.add_channel(PLAIN_ROOM, plain);
    let out = tokio::task::block_in_place(|| doctor(&fake, dir.path(), ""));
    let line = out.lines().find(|l| l.contains("overwrites that carry")).unwrap_or_else(|| panic!("{out}"));
    assert!(line.contains("#mods-room") && !line.contains("#plain-room"), "{line}");
    assert!(line.contains("Manage Permissions"), "it says what to do: {line}");
    // With Manage Permissions for attune in that channel, it can edit everything there.
    fake.moderator_sets_overwrite(MODS_ROOM, super::fake::BOT, 1, 1 << 28, 0);
    let out = tokio::task::block_in_place(|| doctor(&fake, dir.path(), ""));
    assert!(!out.contains("overwrites that carry"), "{out}");
    assert!(fake.requests().iter().all(|r| r.method == "GET"), "doctor only reads");
    assert!(fake.unexpected().is_empty(), "{:?}", fake.unexpected());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_says_plainly_when_discord_cannot_be_reached() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("attune.toml"), "[discord]\nenabled = true\n").unwrap();
    let out = crate::cli::attune(dir.path())
        .args(["--config", "attune.toml", "doctor", "--db", "doctor.db"])
        .env("ATTUNE_DISCORD_API_BASE", "http://127.0.0.1:9")
        .env("ATTUNE_DISCORD_TOKEN", TOKEN)
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("could not reach http://127.0.0.1:9"), "{text}");
}
