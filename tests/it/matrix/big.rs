//! A big account: attune joins a room of a few hundred members. Its syncs
//! lazy-load members and leave out presence, typing and receipts (checked on
//! the requests themselves, through a relay), its very first sync may take
//! what it needs, and the first answer comes as in a small room. The figures
//! printed here are in BENCHMARKS.md.

use matrix_sdk::ruma::api::client::room::create_room::v3::RoomPreset;

use super::relogin::SoftLogout;
use super::*;

/// Members besides the host and attune.
const CROWD: usize = 300;

/// The JSON of the `filter` query parameter of a request path.
fn filter_of(path: &str) -> Option<Value> {
    let query = path.split_once('?')?.1;
    let raw = query.split('&').find_map(|kv| kv.strip_prefix("filter="))?;
    let mut bytes = Vec::new();
    let mut it = raw.bytes();
    while let Some(b) = it.next() {
        match b {
            b'%' => {
                let hex: String = [it.next()?, it.next()?].iter().map(|c| char::from(*c)).collect();
                bytes.push(u8::from_str_radix(&hex, 16).ok()?);
            }
            b'+' => bytes.push(b' '),
            b => bytes.push(b),
        }
    }
    serde_json::from_slice(&bytes).ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_room_of_hundreds_attune_syncs_lazily_starts_and_answers() {
    let host = Member::new("big-host").await;
    let mut request = CreateRoom::new();
    request.preset = Some(RoomPreset::PublicChat);
    let room = host.client.create_room(request).await.unwrap().room_id().to_string();
    let bot = Bot::registered("big-attune");
    let started = Instant::now();
    assert_eq!(synapse().crowd("big-member", CROWD, &room, Some((&bot.id, &bot.password))), CROWD + 1);
    eprintln!("{CROWD} members and attune joined in {:.1?}", started.elapsed());

    let relay = SoftLogout::to(&synapse().url).await;
    let started = Instant::now();
    let mut child = attune_run_with(&bot, &relay.url, "");
    let log_path = bot.dir.path().join("attune.log");
    let running = loop {
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        if log.contains("attune is running") {
            break started.elapsed();
        }
        assert!(child.try_wait().unwrap().is_none(), "attune stopped:\n{log}");
        assert!(started.elapsed() < Duration::from_secs(120), "attune started within two minutes:\n{log}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let before = host.seen().len();
    let asked = Instant::now();
    host.say(&room, "!attune circle open Big room circle").await;
    let me = bot.id.clone();
    host.wait_for(before, "the invitation", |s| s.sender == me && s.body().contains("Big room circle")).await;
    let answered = asked.elapsed();
    eprintln!("big room ({} members): attune run to running {running:.2?}; first answer {answered:.0?}", CROWD + 2);

    let syncs: Vec<String> = relay.seen.lock().unwrap().iter().filter(|p| p.starts_with("/_matrix/client/v3/sync")).cloned().collect();
    assert!(!syncs.is_empty(), "attune synced through the relay");
    for path in &syncs {
        let filter = filter_of(path).unwrap_or_else(|| panic!("each sync names its filter: {path}"));
        assert_eq!(filter["room"]["state"]["lazy_load_members"], true, "members are lazy-loaded: {filter}");
        assert_eq!(filter["room"]["timeline"]["lazy_load_members"], true, "{filter}");
        assert_eq!(filter["presence"]["types"], json!([]), "no presence: {filter}");
        assert_eq!(filter["room"]["ephemeral"]["types"], json!([]), "no typing or receipts: {filter}");
    }
    let pid = child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = child.wait().unwrap();
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(status.success(), "{status}\n{log}");
    assert!(log.contains("the first Matrix sync is done"), "{log}");
    host.stop().await;
}
