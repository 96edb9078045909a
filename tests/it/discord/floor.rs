//! The floor on Discord, end to end through the real engine and SQLite:
//! `hold` by permission overwrites in a circle's own channel, by server
//! mutes in a linked voice channel, as a nudge in a thread, when Discord
//! refuses (50013), and after `attune run` is killed mid-turn.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::fake::{BOT, Chan, MESSAGE_CONTENT, Recorded};
use super::*;

/// A text channel of the circle's own.
const HELD: u64 = CHANNEL + 10;
/// The circle's voice channel, and another one.
const VOICE: u64 = CHANNEL + 20;
const ELSEWHERE: u64 = CHANNEL + 21;
/// A role whose overwrite in HELD allows sending.
const ROLE: u64 = GUILD + 7;
/// Send Messages: the only bit the floor changes.
const SEND: u64 = 1 << 11;
/// Send Messages in Threads: never touched, so threads in the channel go on.
const SEND_IN_THREADS: u64 = 1 << 38;
const VIEW: u64 = 1 << 10;

/// A channel's overwrites: id → (type, allow, deny).
fn overwrites(fake: &Fake, channel: u64) -> BTreeMap<u64, (u64, u64, u64)> {
    let num = |v: &Value| v.as_str().and_then(|s| s.parse::<u64>().ok()).or_else(|| v.as_u64()).unwrap_or(u64::MAX);
    fake.channel(channel)
        .expect("the channel exists")
        .overwrites
        .iter()
        .map(|o| (num(&o["id"]), (o["type"].as_u64().unwrap_or(9), num(&o["allow"]), num(&o["deny"]))))
        .collect()
}

/// Manage Roles (shown as Manage Permissions on a channel).
const MANAGE_ROLES: u64 = 1 << 28;

/// HELD as a moderator set it up: the role may send and view, alice may not add
/// reactions, and attune may manage permissions here (as README asks: without it,
/// Discord lets attune change only overwrites that carry nothing it lacks itself,
/// and alice's carries Add Reactions).
fn held_channel(alice: &User) -> Chan {
    let mut c = Chan::text("circle-room");
    c.overwrites = vec![
        json!({ "id": ROLE.to_string(), "type": 0, "allow": ((1u64 << 11) | VIEW).to_string(), "deny": "0" }),
        json!({ "id": alice.id.to_string(), "type": 1, "allow": "0", "deny": (1u64 << 6).to_string() }),
        json!({ "id": BOT.to_string(), "type": 1, "allow": MANAGE_ROLES.to_string(), "deny": "0" }),
    ];
    c
}

async fn floor_hold(bot: &Bot, host: &User) -> Posted {
    bot.slash(
        host,
        "template",
        json!([{ "name": "set", "type": 1, "options": [
        { "name": "name", "type": 3, "value": "standard" },
        { "name": "key", "type": 3, "value": "floor" },
        { "name": "value", "type": 3, "value": "hold" },
    ] }]),
    )
    .await;
    bot.private_to(host).last().cloned().expect("the template change is answered")
}

fn in_channel() -> Value {
    json!({ "name": "in", "type": 4, "value": 1 })
}

fn voice_option(channel: u64) -> Value {
    json!({ "name": "voice", "type": 7, "value": channel.to_string() })
}

/// Opens a circle at `at` with `options`, seats `members` by the Join and Agree
/// buttons and starts it where it runs; returns that place.
async fn gather_at(bot: &Bot, at: u64, host: &User, members: &[&User], options: Value) -> u64 {
    let id = bot.fake.slash_in(at, host, "circle", json!([{ "name": "open", "type": 1, "options": options }]));
    bot.fake.answered(id).await;
    let invitation = bot.channel_with(":join:").expect("the invitation has a Join button");
    assert_eq!(invitation.channel, at, "the invitation is posted where /circle open was used");
    for m in members {
        bot.press(m, &invitation, &invitation.button(":join:").unwrap()).await;
        let agreements = bot.private_to(m).into_iter().rev().find(|p| p.button(":agree").is_some()).expect("agreements");
        bot.press(m, &agreements, &agreements.button(":agree").unwrap()).await;
    }
    let place = bot.fake.public_threads(at).last().copied().unwrap_or(at);
    bot.circle_in(place, host, "start", json!([])).await;
    place
}

fn speaker_of<'a>(turn: &Posted, members: &[&'a User]) -> &'a User {
    let id = first_mention(turn.content()).expect("the turn names its speaker");
    members.iter().copied().find(|m| m.id == id).expect("the speaker is a member")
}

/// Checks that in HELD only the speaker, the hosts and attune may send, and that
/// nothing else a moderator set up lost anything but sending.
fn assert_held(fake: &Fake, speaker: &User, host: &User, alice: &User) {
    let now = overwrites(fake, HELD);
    let everyone = now.get(&GUILD).expect("@everyone has an overwrite while the floor is held");
    assert_eq!((everyone.0, everyone.2 & SEND), (0, SEND), "@everyone may not send: {now:?}");
    assert_eq!(everyone.2 & SEND_IN_THREADS, 0, "threads in the channel (support, private notes) go on: {now:?}");
    let role = now.get(&ROLE).expect("the role's overwrite stays");
    assert_eq!(*role, (0, VIEW, SEND), "the role keeps View and loses Send: {now:?}");
    for who in [speaker.id, host.id, BOT] {
        let o = now.get(&who).unwrap_or_else(|| panic!("{who} has an allow: {now:?}"));
        assert_eq!((o.0, o.1 & SEND, o.2 & SEND), (1, SEND, 0), "{who} may send: {now:?}");
    }
    if speaker.id != alice.id {
        assert_eq!(now.get(&alice.id), Some(&(1, 0, 1 << 6)), "alice's own overwrite is untouched: {now:?}");
    } else {
        assert_eq!(now.get(&alice.id), Some(&(1, SEND, 1 << 6)), "alice speaks and keeps her deny: {now:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hold_in_a_channel_of_its_own_lets_only_the_speaker_and_hosts_send_and_restores_the_overwrites_exactly() {
    let (host, alice, bob, cara) = people();
    let members = [&alice, &bob, &cara];
    let fake = Fake::start().await;
    for u in [&host, &alice, &bob, &cara] {
        fake.add_user(u);
    }
    fake.add_channel(HELD, held_channel(&alice));
    let bot = Bot::start_on(fake, tempfile::tempdir().unwrap(), true).await;
    let before = overwrites(&bot.fake, HELD);
    floor_hold(&bot, &host).await;
    let place = gather_at(&bot, HELD, &host, &members, json!([in_channel()])).await;
    assert_eq!(place, HELD, "in: channel keeps the circle in the channel");
    assert!(bot.fake.public_threads(HELD).is_empty(), "no thread was made");

    let mut seen = std::collections::HashSet::new();
    let mut turns = 0;
    while let Some(turn) = bot.channel_with(":done:") {
        if !seen.insert(turn.id) {
            break;
        }
        assert_eq!(turn.channel, HELD);
        let speaker = speaker_of(&turn, &members);
        assert_held(&bot.fake, speaker, &host, &alice);
        bot.press(speaker, &turn, &turn.button(":done:").unwrap()).await;
        turns += 1;
        assert!(turns < 30);
    }
    assert!(turns >= 9, "the whole circle ran: {turns} turns");
    assert_eq!(overwrites(&bot.fake, HELD), before, "every overwrite is exactly as before, and none was left behind");
    let (_fake, dir) = bot.finish().await;
    let store = Store::open(&dir.path().join("attune.db")).await.unwrap();
    assert!(store.floor_holds_on(Platform::Discord).await.unwrap().is_empty(), "nothing is left to restore");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hold_in_voice_mutes_listeners_unmutes_them_and_never_touches_a_moderators_mute() {
    let (host, alice, bob, cara) = people();
    let members = [&alice, &bob, &cara];
    let dave = User::new(800_000_000_000_000_005, "dave");
    let erin = User::new(800_000_000_000_000_006, "erin");
    let fake = Fake::start().await;
    for u in [&host, &alice, &bob, &cara, &dave, &erin] {
        fake.add_user(u);
    }
    fake.add_channel(VOICE, Chan::voice("circle-voice"));
    fake.add_channel(ELSEWHERE, Chan::voice("lounge"));
    // Before attune connects: some are in voice already (GUILD_CREATE tells it), and a
    // moderator has server-muted dave.
    for u in [&host, &alice, &bob, &dave] {
        fake.join_voice(u, VOICE);
    }
    fake.moderator_mute(&dave);
    let bot = Bot::start_on(fake, tempfile::tempdir().unwrap(), true).await;
    assert!(bot.fake.intents() & (1 << 7) != 0, "the voice states intent is asked for");
    let saved = floor_hold(&bot, &host).await;
    assert!(saved.content().contains("thread"), "template set says hold works as nudge in a thread: {}", saved.content());
    // cara and erin arrive after attune is up (VOICE_STATE_UPDATE).
    bot.fake.join_voice(&cara, VOICE);
    bot.fake.join_voice(&erin, VOICE);
    bot.fake.settle().await;
    let place = gather_at(&bot, CHANNEL, &host, &members, json!([voice_option(VOICE)])).await;
    assert_ne!(place, CHANNEL, "the circle runs in a thread");

    let turn = bot.channel_with(":done:").expect("the first turn");
    let speaker = speaker_of(&turn, &members);
    for u in [&alice, &bob, &cara, &erin] {
        assert_eq!(bot.fake.is_muted(u), u.id != speaker.id, "{} is muted unless speaking", u.name);
    }
    assert!(!bot.fake.is_muted(&host), "the host may speak");
    assert!(bot.fake.is_muted(&dave), "dave stays muted");

    // In the thread the floor is a nudge: no overwrites, and a listener who writes is nudged.
    let listener = members.into_iter().find(|m| m.id != speaker.id).unwrap();
    assert!(bot.fake.intents() & MESSAGE_CONTENT != 0);
    bot.fake.say_in(place, listener, "can I say something");
    bot.fake.settle().await;
    let nudged = bot.private_to(listener).into_iter().any(|p| p.content().contains("has the floor"));
    assert!(nudged, "a listener who writes during another's turn gets a private nudge");
    assert!(!bot.fake.requests().iter().any(|r| r.path.contains("/permissions/")), "a thread has no overwrites to change");

    // A listener who moves to another voice channel is unmuted at once; one who
    // disconnects is unmuted when they connect again.
    bot.fake.join_voice(listener, ELSEWHERE);
    bot.fake.settle().await;
    assert!(!bot.fake.is_muted(listener), "{} left the circle's voice channel and is unmuted", listener.name);
    bot.fake.leave_voice(&erin);
    bot.fake.settle().await;

    done_until_the_end(&bot, &members).await;
    for u in [&host, &alice, &bob, &cara] {
        assert!(!bot.fake.is_muted(u), "{} is not left muted", u.name);
    }
    assert!(bot.fake.is_muted(&dave), "dave, muted by a moderator, stays muted");
    assert!(bot.fake.mute_log().iter().all(|(u, _)| *u != dave.id), "attune never touched dave's mute");
    assert!(bot.fake.is_muted(&erin), "erin is disconnected: Discord can't unmute her yet");
    bot.fake.join_voice(&erin, ELSEWHERE);
    bot.fake.settle().await;
    assert!(!bot.fake.is_muted(&erin), "erin is unmuted as soon as she connects again");
    let (_fake, dir) = bot.finish().await;
    let store = Store::open(&dir.path().join("attune.db")).await.unwrap();
    assert!(store.floor_holds_on(Platform::Discord).await.unwrap().is_empty(), "nothing is left to restore");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_permissions_in_the_channel_and_in_voice_the_hosts_are_told_once_and_the_circle_goes_on() {
    let (host, alice, bob, cara) = people();
    let members = [&alice, &bob, &cara];
    let fake = Fake::start().await;
    for u in [&host, &alice, &bob, &cara] {
        fake.add_user(u);
    }
    fake.add_channel(HELD, held_channel(&alice));
    fake.add_channel(VOICE, Chan::voice("circle-voice"));
    for u in [&host, &alice, &bob, &cara] {
        fake.join_voice(u, VOICE);
    }
    let bot = Bot::start_on(fake, tempfile::tempdir().unwrap(), true).await;
    let before = overwrites(&bot.fake, HELD);
    floor_hold(&bot, &host).await;
    bot.fake.forbid(true);
    gather_at(&bot, HELD, &host, &members, json!([in_channel(), voice_option(VOICE)])).await;
    let turns = done_until_the_end(&bot, &members).await;
    assert!(turns >= 9, "the circle ran to its end: {turns} turns");
    let told: Vec<Posted> = bot.private_to(&host).into_iter().filter(|p| p.content().contains("missing a permission")).collect();
    assert_eq!(told.len(), 1, "the host is told once, plainly");
    assert!(bot.fake.requests().iter().any(|r| r.method == "PUT" && r.path.contains("/permissions/")), "attune did try");
    assert_eq!(overwrites(&bot.fake, HELD), before, "nothing changed");
    assert!(bot.fake.requests().iter().any(|r| r.method == "PATCH" && r.body["mute"] == true), "attune tried to mute");
    assert!(bot.fake.mute_log().is_empty() && [&host, &alice, &bob, &cara].iter().all(|u| !bot.fake.is_muted(u)), "nobody was muted");
    let (_fake, dir) = bot.finish().await;
    let store = Store::open(&dir.path().join("attune.db")).await.unwrap();
    assert!(store.floor_holds_on(Platform::Discord).await.unwrap().is_empty(), "nothing that never changed is held");
}

/// Polls until `ok` holds (a real clock and a real process: no settle to lean on).
async fn until(what: &str, ok: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn run_attune(dir: &std::path::Path, fake: &Fake) -> std::process::Child {
    crate::cli::attune(dir)
        .args(["run", "--db", "run.db"])
        .env("ATTUNE_DISCORD_ENABLED", "true")
        .env("ATTUNE_DISCORD_API_BASE", &fake.base)
        .env("ATTUNE_DISCORD_TOKEN", "fake-token-for-run")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("attune starts")
}

async fn slash_and_wait(fake: &Fake, channel: u64, user: &User, name: &str, options: Value) {
    let id = fake.slash_in(channel, user, name, options);
    fake.answered(id).await;
}

async fn press_and_wait(fake: &Fake, user: &User, on: &Posted, custom_id: &str) {
    let id = fake.press(user, on, custom_id);
    fake.answered(id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_kill_9_mid_turn_a_restart_restores_the_overwrites_and_the_mutes() {
    let (host, alice, bob, _) = people();
    let fake = Fake::start().await;
    for u in [&host, &alice, &bob] {
        fake.add_user(u);
    }
    fake.add_channel(HELD, held_channel(&alice));
    fake.add_channel(VOICE, Chan::voice("circle-voice"));
    for u in [&host, &alice, &bob] {
        fake.join_voice(u, VOICE);
    }
    let before = overwrites(&fake, HELD);
    let dir = tempfile::tempdir().unwrap();
    let mut child = run_attune(dir.path(), &fake);
    fake.ready().await;
    slash_and_wait(
        &fake,
        CHANNEL,
        &host,
        "template",
        json!([{ "name": "set", "type": 1, "options": [
        { "name": "name", "type": 3, "value": "standard" },
        { "name": "key", "type": 3, "value": "floor" },
        { "name": "value", "type": 3, "value": "hold" },
    ] }]),
    )
    .await;
    let open = json!([{ "name": "open", "type": 1, "options": [in_channel(), voice_option(VOICE)] }]);
    slash_and_wait(&fake, HELD, &host, "circle", open).await;
    let invitation = fake.posted().into_iter().rev().find(|p| p.button(":join:").is_some()).expect("the invitation");
    for m in [&alice, &bob] {
        press_and_wait(&fake, m, &invitation, &invitation.button(":join:").unwrap()).await;
        let agreements = fake.posted().into_iter().rev().find(|p| p.to == Some(m.id) && p.button(":agree").is_some()).expect("agreements");
        press_and_wait(&fake, m, &agreements, &agreements.button(":agree").unwrap()).await;
    }
    slash_and_wait(&fake, HELD, &host, "circle", json!([{ "name": "start", "type": 1, "options": [] }])).await;
    let turn = fake.posted().into_iter().rev().find(|p| p.button(":done:").is_some()).expect("a turn");
    let speaker = speaker_of(&turn, &[&alice, &bob]);
    let listener = if speaker.id == alice.id { &bob } else { &alice };
    until("the floor is held", || overwrites(&fake, HELD).contains_key(&GUILD) && fake.is_muted(listener)).await;
    let held = overwrites(&fake, HELD);

    // kill -9, mid-turn: nothing is put back.
    let killed = std::process::Command::new("kill").args(["-KILL", &child.id().to_string()]).status().expect("kill runs");
    assert!(killed.success());
    let _ = tokio::task::spawn_blocking(move || child.wait()).await;
    assert_eq!(overwrites(&fake, HELD), held, "a killed process leaves the floor held");
    assert!(fake.is_muted(listener));

    let requests_before = fake.requests().len();
    let mut child = run_attune(dir.path(), &fake);
    fake.ready().await;
    until("the floor is restored and held again", || {
        let after: Vec<Recorded> = fake.requests().into_iter().skip(requests_before).collect();
        let everyone = format!("/api/v10/channels/{HELD}/permissions/{GUILD}");
        let first_delete = after.iter().position(|r| r.method == "DELETE" && r.path == everyone);
        let put_again = after.iter().rposition(|r| r.method == "PUT" && r.path == everyone);
        matches!((first_delete, put_again), (Some(d), Some(p)) if d < p)
    })
    .await;
    let after: Vec<Recorded> = fake.requests().into_iter().skip(requests_before).collect();
    let unmuted = after.iter().position(|r| r.method == "PATCH" && r.path.ends_with(&listener.id.to_string()) && r.body["mute"] == false);
    assert!(unmuted.is_some(), "the listener attune muted was unmuted at start: {after:?}");
    // The restart re-holds the turn's floor; the host ends the circle, and everything is as before.
    until("the listener is muted again", || fake.is_muted(listener)).await;
    slash_and_wait(&fake, HELD, &host, "circle", json!([{ "name": "end", "type": 1, "options": [] }])).await;
    until("the floor is released", || overwrites(&fake, HELD) == before && !fake.is_muted(listener)).await;
    assert!(!fake.is_muted(speaker) && !fake.is_muted(&host));
    let stopped = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill runs");
    assert!(stopped.success());
    let status = tokio::task::spawn_blocking(move || child.wait()).await.unwrap().unwrap();
    assert!(status.success(), "a clean stop");
    assert!(fake.unexpected().is_empty(), "{:?}", fake.unexpected());
}

/// Discord's own rule: a bot may allow or deny only permissions it has itself
/// (without Manage Roles in the channel's overwrites). A moderators' role whose
/// overwrite carries one attune lacks keeps sending while the rest is held; a
/// speaker whose overwrite attune can't edit gets an unheld turn and the hosts
/// hear it once; a moderator's own change during the circle stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hold_changes_only_what_discord_lets_it_and_a_moderators_change_mid_circle_stays() {
    const MODS: u64 = GUILD + 8;
    const MANAGE_MESSAGES: u64 = 1 << 13;
    const ATTACH_FILES: u64 = 1 << 15;
    let (host, alice, bob, cara) = people();
    let members = [&alice, &bob, &cara];
    let fake = Fake::start().await;
    for u in [&host, &alice, &bob, &cara] {
        fake.add_user(u);
    }
    // As a server sets a channel up: moderators may send and manage messages, members
    // (the role) may send, alice may not add reactions; attune has no channel overwrite.
    let mut c = Chan::text("circle-room");
    c.overwrites = vec![
        json!({ "id": MODS.to_string(), "type": 0, "allow": (SEND | MANAGE_MESSAGES).to_string(), "deny": "0" }),
        json!({ "id": ROLE.to_string(), "type": 0, "allow": (SEND | VIEW).to_string(), "deny": "0" }),
        json!({ "id": alice.id.to_string(), "type": 1, "allow": "0", "deny": (1u64 << 6).to_string() }),
    ];
    fake.add_channel(HELD, c);
    let bot = Bot::start_on(fake, tempfile::tempdir().unwrap(), true).await;
    let before = overwrites(&bot.fake, HELD);
    floor_hold(&bot, &host).await;
    gather_at(&bot, HELD, &host, &members, json!([in_channel()])).await;

    let mut seen = std::collections::HashSet::new();
    let (mut held_turns, mut open_turns, mut changed) = (0, 0, false);
    while let Some(turn) = bot.channel_with(":done:") {
        if !seen.insert(turn.id) {
            break;
        }
        let speaker = speaker_of(&turn, &members);
        let now = overwrites(&bot.fake, HELD);
        assert_eq!(now.get(&MODS), before.get(&MODS), "the moderators' overwrite is one attune may not edit: left as it is");
        let everyone_denied = now.get(&GUILD).is_some_and(|o| o.2 & SEND != 0);
        if speaker.id == alice.id {
            // alice's overwrite carries Add Reactions, which attune lacks: she can't be let
            // through, so her turn isn't held at all (the core nudges), rather than silencing her.
            assert!(!everyone_denied && now.get(&ROLE) == before.get(&ROLE), "alice's turn is not held: {now:?}");
            open_turns += 1;
        } else {
            assert!(everyone_denied, "@everyone may not send: {now:?}");
            assert_eq!(now.get(&ROLE), Some(&(0, VIEW, SEND)), "the members' role loses only Send: {now:?}");
            assert_eq!(now.get(&GUILD).map(|o| o.2 & SEND_IN_THREADS), Some(0), "threads go on");
            held_turns += 1;
            if !changed {
                // A moderator denies attaching files to everyone during the circle.
                let (kind, allow, deny) = now[&GUILD];
                bot.fake.moderator_sets_overwrite(HELD, GUILD, kind, allow, deny | ATTACH_FILES);
                changed = true;
            }
        }
        bot.press(speaker, &turn, &turn.button(":done:").unwrap()).await;
        assert!(seen.len() < 30);
    }
    assert!(held_turns >= 4 && open_turns >= 2, "held {held_turns}, open {open_turns}");
    let after = overwrites(&bot.fake, HELD);
    assert_eq!(after.get(&GUILD), Some(&(0, 0, ATTACH_FILES)), "the moderator's deny stays; attune's is gone: {after:?}");
    let mut expected = before.clone();
    expected.insert(GUILD, (0, 0, ATTACH_FILES));
    assert_eq!(after, expected, "everything else is exactly as before");
    let told: Vec<Posted> = bot.private_to(&host).into_iter().filter(|p| p.content().contains("missing a permission")).collect();
    assert_eq!(told.len(), 1, "the host is told once: {}", told.len());
    let (_fake, dir) = bot.finish().await;
    let store = Store::open(&dir.path().join("attune.db")).await.unwrap();
    assert!(store.floor_holds_on(Platform::Discord).await.unwrap().is_empty(), "nothing is left to restore");
}
