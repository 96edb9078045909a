//! The Matrix adapter end to end: attune (the real engine, a SQLite file,
//! matrix-sdk with its own SQLite state and crypto stores) against a real
//! Synapse (`synapse.rs`), with members who are matrix-sdk clients with their
//! own crypto stores. Every test also checks that each message the bot sent
//! notified only the person it addresses (`m.mentions` present; a turn notifies its speaker).

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod big;
mod flood;
mod ops;
mod page;
mod relogin;
mod synapse;
mod upgrade;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use attune::config::{Config, Matrix as MatrixSection, MatrixCommunity};
use attune::core::ids::Platform;
use attune::engine::{Clock, Engine, Outlets, Seed};
use attune::platform::matrix::{self, MatrixOptions, Running};
use attune::store::Store;
use matrix_sdk::config::SyncSettings;
use matrix_sdk::deserialized_responses::EncryptionInfo;
use matrix_sdk::ruma::api::client::room::create_room::v3::Request as CreateRoom;
use matrix_sdk::ruma::events::AnySyncTimelineEvent;
use matrix_sdk::ruma::events::room::member::StrippedRoomMemberEvent;
use matrix_sdk::ruma::serde::Raw;
use matrix_sdk::ruma::{OwnedRoomId, OwnedUserId};
use matrix_sdk::{Client, Room};
use serde_json::{Value, json};

use synapse::{SERVER, synapse};

/// The content field in which the bot's messages offer reactions.
const OFFERS: &str = "org.attune.reactions";
/// How long a test waits for something that should happen.
const PATIENCE: Duration = Duration::from_secs(30);

/// One event a member's client saw (decrypted where it could be).
#[derive(Clone, Debug)]
struct Seen {
    room: String,
    sender: String,
    event_id: String,
    kind: String,
    content: Value,
    encrypted: bool,
}

impl Seen {
    fn body(&self) -> &str {
        self.content["body"].as_str().unwrap_or("")
    }

    /// The encoded action this message offers for a reaction whose action starts with `name`.
    fn offer(&self, name: &str) -> Option<(String, String)> {
        let offers = self.content[OFFERS].as_object()?;
        offers
            .iter()
            .find(|(_, a)| a.as_str().is_some_and(|a| a.starts_with(&format!("r1:{name}"))))
            .map(|(k, a)| (k.clone(), a.as_str().unwrap().to_owned()))
    }

    fn thread_root(&self) -> Option<&str> {
        (self.content["m.relates_to"]["rel_type"] == "m.thread").then(|| self.content["m.relates_to"]["event_id"].as_str()).flatten()
    }
}

/// A member: a matrix-sdk client with its own crypto store, syncing in the
/// background, joining every room it is invited to and keeping what it sees.
struct Member {
    client: Client,
    id: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    sync: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

impl Member {
    async fn new(name: &str) -> Self {
        Self::with(name, true).await
    }

    /// A member whose client joins rooms only when told to (as a person taps an invite later).
    async fn waiting(name: &str) -> Self {
        Self::with(name, false).await
    }

    async fn with(name: &str, auto_join: bool) -> Self {
        let hs = synapse();
        let password = format!("pw-{name}-long-enough");
        let id = hs.register(name, &password);
        let dir = tempfile::tempdir().unwrap();
        let client = Client::builder().homeserver_url(&hs.url).sqlite_store(dir.path(), None).build().await.unwrap();
        client.matrix_auth().login_username(&id, &password).initial_device_display_name(name).send().await.unwrap();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        {
            let seen = seen.clone();
            client.add_event_handler(move |ev: Raw<AnySyncTimelineEvent>, room: Room, info: Option<EncryptionInfo>| {
                let seen = seen.clone();
                async move {
                    let v: Value = serde_json::from_str(ev.json().get()).unwrap();
                    seen.lock().unwrap().push(Seen {
                        room: room.room_id().to_string(),
                        sender: v["sender"].as_str().unwrap_or("").to_owned(),
                        event_id: v["event_id"].as_str().unwrap_or("").to_owned(),
                        kind: v["type"].as_str().unwrap_or("").to_owned(),
                        content: v["content"].clone(),
                        encrypted: info.is_some(),
                    });
                }
            });
        }
        client.add_event_handler(move |ev: StrippedRoomMemberEvent, room: Room, client: Client| async move {
            if auto_join && Some(ev.state_key.as_ref()) == client.user_id() {
                for _ in 0..5 {
                    if room.join().await.is_ok() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        });
        client.sync_once(SyncSettings::default().timeout(Duration::ZERO)).await.unwrap();
        let sync = {
            let client = client.clone();
            // Its own loop of sync_once: `Client::sync` waits a second between syncs that
            // come faster than that, which would slow every exchange in the tests.
            tokio::spawn(async move {
                loop {
                    if client.sync_once(SyncSettings::default().timeout(Duration::from_secs(5))).await.is_err() {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            })
        };
        Self { client, id, seen, sync, _dir: dir }
    }

    /// Creates a room (encrypted or not) and invites these users.
    async fn create_room(&self, invite: &[&str], encrypted: bool) -> String {
        let mut request = CreateRoom::new();
        request.invite = invite.iter().map(|u| OwnedUserId::try_from(*u).unwrap()).collect();
        if encrypted {
            let state = json!({ "type": "m.room.encryption", "state_key": "", "content": { "algorithm": "m.megolm.v1.aes-sha2" } });
            request.initial_state = vec![Raw::from_json(serde_json::value::to_raw_value(&state).unwrap())];
        }
        let room = self.client.create_room(request).await.unwrap();
        room.room_id().to_string()
    }

    async fn say(&self, room: &str, text: &str) -> String {
        self.send(room, json!({ "msgtype": "m.text", "body": text })).await
    }

    async fn say_in_thread(&self, room: &str, root: &str, text: &str) -> String {
        let relates = json!({ "rel_type": "m.thread", "event_id": root, "is_falling_back": true, "m.in_reply_to": { "event_id": root } });
        self.send(room, json!({ "msgtype": "m.text", "body": text, "m.relates_to": relates })).await
    }

    async fn send(&self, room: &str, content: Value) -> String {
        let room = self.wait_for_room(room).await;
        room.send_raw("m.room.message", content).await.unwrap().response.event_id.to_string()
    }

    async fn react(&self, room: &str, event: &str, key: &str) -> String {
        let room = self.wait_for_room(room).await;
        let content = json!({ "m.relates_to": { "rel_type": "m.annotation", "event_id": event, "key": key } });
        room.send_raw("m.reaction", content).await.unwrap().response.event_id.to_string()
    }

    async fn wait_for_room(&self, room: &str) -> Room {
        let id = OwnedRoomId::try_from(room).unwrap();
        let started = Instant::now();
        loop {
            if let Some(r) = self.client.get_room(&id)
                && r.state() == matrix_sdk::RoomState::Joined
            {
                return r;
            }
            assert!(started.elapsed() < PATIENCE, "{} joined {room}", self.id);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Waits until the member has seen an event that `pick` accepts, after the first `skip` events.
    async fn wait_for(&self, skip: usize, what: &str, pick: impl Fn(&Seen) -> bool) -> Seen {
        let started = Instant::now();
        loop {
            if let Some(s) = self.seen().into_iter().skip(skip).find(|s| pick(s)) {
                return s;
            }
            assert!(started.elapsed() < PATIENCE, "{} waited in vain for {what}; saw:\n{}", self.id, summary(&self.seen()));
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Messages from `from` in rooms other than `room` (the member's private rooms with the bot).
    fn private_from(&self, from: &str, room: &str) -> Vec<Seen> {
        self.seen().into_iter().filter(|s| s.sender == from && s.room != room && s.kind == "m.room.message").collect()
    }

    async fn stop(self) {
        self.sync.abort();
        let _ = self.sync.await;
    }
}

fn summary(seen: &[Seen]) -> String {
    seen.iter()
        .filter(|s| s.kind == "m.room.message" || s.kind == "m.room.encrypted")
        .map(|s| format!("  [{}] {}: {}", &s.room[..8.min(s.room.len())], s.sender, s.body().replace('\n', " ⏎ ")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// attune with the Matrix adapter, its database and stores in `dir`.
struct Bot {
    running: Option<Running>,
    id: String,
    password: String,
    dir: Arc<tempfile::TempDir>,
    communities: Vec<MatrixCommunity>,
}

impl Bot {
    async fn new(name: &str) -> Self {
        let mut bot = Self::registered(name);
        bot.start().await;
        bot
    }

    /// The bot's account, registered but not started.
    fn registered(name: &str) -> Self {
        let password = format!("pw-{name}-bot-secret");
        let id = synapse().register(name, &password);
        Self { running: None, id, password, dir: Arc::new(tempfile::tempdir().unwrap()), communities: Vec::new() }
    }

    fn options(&self) -> MatrixOptions {
        let section = MatrixSection {
            enabled: true,
            homeserver: synapse().url.clone(),
            user: self.id.clone(),
            allowed_servers: vec![SERVER.into()],
            communities: self.communities.clone(),
            ..MatrixSection::default()
        };
        let mut options = MatrixOptions::new(section, self.password.clone(), "", &self.dir.path().join("attune.db"));
        options.decryption_grace = Duration::from_secs(2);
        options
    }

    async fn start(&mut self) {
        let store = Store::open(&self.dir.path().join("attune.db")).await.expect("the store opens");
        let defaults = Config::default().content().expect("the built-in content loads");
        let (outlets, rx) = Outlets::single(Platform::Matrix);
        let start = "2026-01-05T18:00:00Z".parse().unwrap();
        let (engine, resumed) =
            Engine::start(store, Clock::manual(start), defaults, Seed::Fixed(7), outlets).await.expect("the engine starts");
        let running = matrix::start(engine, resumed, rx, self.options()).await.expect("the adapter starts");
        self.running = Some(running);
    }

    async fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
    }

    /// Starts the bot and says which device it is.
    async fn device_after_start(&mut self) -> String {
        self.start().await;
        self.device()
    }

    fn device(&self) -> String {
        self.running.as_ref().and_then(Running::device_id).expect("a device")
    }
}

/// Every message the bot sent that a member saw notified exactly the person it
/// addresses and nobody else: `m.mentions` is present, and either empty (an
/// `m.notice`), or names one user as `m.text`: a turn's speaker (its first
/// pill), or the member a private message they must see was sent to.
fn assert_no_pings(bot: &str, members: &[&Member]) {
    for m in members {
        for s in m.seen().into_iter().filter(|s| s.sender == bot && s.kind == "m.room.message") {
            let mentions = &s.content["m.mentions"];
            assert!(mentions.is_object(), "m.mentions is present: {}", s.content);
            let users: Vec<String> = mentions["user_ids"]
                .as_array()
                .map(|v| v.iter().filter_map(|u| u.as_str().map(str::to_owned)).collect())
                .unwrap_or_default();
            assert!(mentions.get("room").is_none(), "never @room: {}", s.content);
            match users.as_slice() {
                [] => assert_eq!(s.content["msgtype"], "m.notice", "what notifies nobody is a notice: {}", s.content),
                [one] => {
                    let speaker = s.offer("done").is_some() && first_pill(&s).as_deref() == Some(one.as_str());
                    let private_for_them = s.offer("done").is_none() && *one == m.id;
                    assert!(speaker || private_for_them, "only the person a message addresses is notified: {}", s.content);
                    assert_eq!(s.content["msgtype"], "m.text", "a notifying message is text (clients silence notices): {}", s.content);
                }
                _ => panic!("a message notifies at most one person: {}", s.content),
            }
        }
    }
}

/// The user a turn message gives the floor to: the first pill in its HTML.
fn first_pill(s: &Seen) -> Option<String> {
    let html = s.content["formatted_body"].as_str()?;
    let start = html.find("https://matrix.to/#/")? + "https://matrix.to/#/".len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].replace("%40", "@").replace("%3A", ":"))
}

struct Circle {
    host: Member,
    members: Vec<Member>,
    room: String,
    bot: Bot,
}

/// A bot, a host and three members in one room (encrypted or not), everyone joined.
async fn circle_room(tag: &str, encrypted: bool) -> Circle {
    circle_room_for(Bot::new(&format!("{tag}-attune")).await, tag, encrypted).await
}

/// The same, for a bot that is already serving (in this process or as `attune run`).
async fn circle_room_for(bot: Bot, tag: &str, encrypted: bool) -> Circle {
    let host = Member::new(&format!("{tag}-host")).await;
    let mut members = Vec::new();
    for n in ["alice", "bob", "cara"] {
        members.push(Member::new(&format!("{tag}-{n}")).await);
    }
    let mut invite: Vec<&str> = members.iter().map(|m| m.id.as_str()).collect();
    invite.push(&bot.id);
    let room = host.create_room(&invite, encrypted).await;
    // Everyone, the bot too, is in the room before the first command.
    let joined = |who: String| move |s: &Seen| s.kind == "m.room.member" && s.content["membership"] == "join" && s.sender == who;
    for who in members.iter().map(|m| m.id.clone()).chain([bot.id.clone()]) {
        host.wait_for(0, &format!("{who} to join"), joined(who.clone())).await;
    }
    Circle { host, members, room, bot }
}

/// Opens a circle and brings the members in: alice by reactions, bob by
/// commands in the room, cara by short forms in the thread and her DM.
async fn gather(c: &Circle) -> String {
    let bot = &c.bot.id;
    c.host.say(&c.room, "!attune circle open Tuesday circle").await;
    let invitation = c.host.wait_for(0, "the invitation", |s| s.sender == *bot && s.offer("join").is_some()).await;
    assert!(invitation.thread_root().is_none(), "the invitation is in the room; the circle's thread grows from it");
    let (alice, bob, cara) = (&c.members[0], &c.members[1], &c.members[2]);

    let (key, _) = invitation.offer("join").unwrap();
    alice.react(&c.room, &invitation.event_id, &key).await;
    let agreements =
        alice.wait_for(0, "the agreements in a DM", |s| s.sender == *bot && s.room != c.room && s.offer("agree").is_some()).await;
    let (agree, _) = agreements.offer("agree").unwrap();
    alice.react(&agreements.room, &agreements.event_id, &agree).await;

    bob.say(&c.room, "!attune circle join").await;
    let dm = bob.wait_for(0, "the agreements in a DM", |s| s.sender == *bot && s.room != c.room && s.offer("agree").is_some()).await;
    bob.say(&c.room, "!attune agree").await;
    bob.wait_for(0, "thanks for agreeing", |s| s.sender == *bot && s.room == dm.room && s.body().contains("Thank you")).await;

    cara.say_in_thread(&c.room, &invitation.event_id, "!circle join").await;
    let dm = cara.wait_for(0, "the agreements in a DM", |s| s.sender == *bot && s.room != c.room && s.offer("agree").is_some()).await;
    cara.say(&dm.room, "!agree").await;
    c.host.wait_for(0, "three joined", |s| s.sender == *bot && s.body().contains("(3 of")).await;
    invitation.event_id
}

/// Ends each turn as its speaker (by ✅ or by `!done` in the thread, in turn)
/// until the circle is over (the first member is asked the pulse). Returns how
/// many turns there were.
async fn done_until_the_end(c: &Circle, root: &str) -> usize {
    let bot = &c.bot.id;
    let mut turns = 0;
    let mut seen_turns = std::collections::HashSet::new();
    loop {
        let started = Instant::now();
        let turn = loop {
            let next =
                c.host.seen().into_iter().find(|s| s.sender == *bot && s.offer("done").is_some() && !seen_turns.contains(&s.event_id));
            if next.is_some() {
                break next;
            }
            if c.members[0].seen().iter().any(|s| s.sender == *bot && s.offer("pulse").is_some()) {
                break None;
            }
            assert!(started.elapsed() < PATIENCE, "a next turn or the end of the circle; saw:\n{}", summary(&c.host.seen()));
            tokio::time::sleep(Duration::from_millis(25)).await;
        };
        let Some(turn) = turn else { break };
        seen_turns.insert(turn.event_id.clone());
        assert_eq!(turn.thread_root(), Some(root), "a turn is posted in the circle's thread: {}", turn.content);
        let speaker = first_pill(&turn).expect("the turn names its speaker with a pill");
        let who = c.members.iter().find(|m| m.id == speaker).unwrap_or_else(|| panic!("the speaker {speaker} is a member"));
        // Each way a speaker may say they are done: the reaction, `!done` in the circle's
        // thread, and `!done` in the room's main timeline.
        match turns % 3 {
            0 => {
                let (key, _) = turn.offer("done").unwrap();
                who.react(&c.room, &turn.event_id, &key).await;
            }
            1 => {
                who.say_in_thread(&c.room, root, "!done").await;
            }
            _ => {
                who.say(&c.room, "!done").await;
            }
        }
        turns += 1;
        assert!(turns < 30, "the circle ends");
    }
    turns
}

async fn a_full_circle(tag: &str, encrypted: bool) {
    let c = circle_room(tag, encrypted).await;
    let root = gather(&c).await;
    c.host.say_in_thread(&c.room, &root, "!attune circle start").await;
    let turns = done_until_the_end(&c, &root).await;
    assert!(turns >= 9, "check-in, sharing and check-out rounds for three: {turns} turns");
    let bot = c.bot.id.clone();
    for m in &c.members {
        let pulse = m.wait_for(0, "the pulse, privately", |s| s.sender == bot && s.offer("pulse").is_some()).await;
        assert_ne!(pulse.room, c.room, "the pulse is private");
        let four = pulse.content[OFFERS].as_object().unwrap().iter().find(|(_, a)| a.as_str().unwrap().ends_with(":4")).unwrap().0.clone();
        m.react(&pulse.room, &pulse.event_id, &four).await;
        m.wait_for(0, "thanks for the pulse", |s| s.sender == bot && s.room == pulse.room && s.body().contains("Thank you")).await;
    }
    for m in &c.members {
        for s in m.private_from(&bot, &c.room) {
            assert!(s.encrypted, "private messages arrive in an encrypted DM: {}", s.body());
        }
        for s in m.seen().into_iter().filter(|s| s.sender == bot && s.room == c.room && s.kind == "m.room.message") {
            assert_eq!(s.encrypted, encrypted, "replies are encrypted exactly where the room is: {}", s.body());
        }
    }
    let mut all: Vec<&Member> = c.members.iter().collect();
    all.push(&c.host);
    assert_no_pings(&bot, &all);
    // Each turn notifies its speaker (Element silences notices, so it is text naming them).
    let turns: Vec<Seen> = c.host.seen().into_iter().filter(|s| s.sender == bot && s.offer("done").is_some()).collect();
    assert!(!turns.is_empty());
    for t in &turns {
        assert_eq!(t.content["msgtype"], "m.text", "a turn's announcement can notify: {}", t.content);
        assert_eq!(t.content["m.mentions"]["user_ids"], json!([first_pill(t).unwrap()]), "its speaker alone: {}", t.content);
    }
    let Circle { host, members, mut bot, .. } = c;
    bot.stop().await;
    host.stop().await;
    for m in members {
        m.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_three_member_circle_runs_in_an_unencrypted_room_by_commands_short_forms_and_reactions() {
    a_full_circle("plain", false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_three_member_circle_runs_in_an_encrypted_room() {
    a_full_circle("crypt", true).await;
}

/// The action a turn message offers for Done, which names the turn (`r1:done:circle:seq`).
/// A barrier, so a test proves that nothing happened without waiting for a
/// while: `member` asks attune for help in `room` and waits for the answer.
/// attune handles events in the order the homeserver gives them, and sends
/// what a restart resumes before any of them, so once help is answered,
/// everything sent before it has been handled and its messages sent.
async fn handled_so_far(member: &Member, room: &str, bot: &str) {
    let before = member.seen().len();
    member.say(room, "!attune help").await;
    member
        .wait_for(before, "attune has handled everything before", |s| s.sender == bot && s.body().contains("Here's what you can do"))
        .await;
}

fn done_offer(s: &Seen) -> Option<String> {
    s.offer("done").map(|(_, a)| a)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_mid_circle_keeps_the_device_answers_what_came_meanwhile_once_and_repeats_nothing() {
    let mut c = circle_room("restart", true).await;
    let root = gather(&c).await;
    c.host.say_in_thread(&c.room, &root, "!attune circle start").await;
    let bot = c.bot.id.clone();
    let first = c.host.wait_for(0, "the first turn", |s| s.sender == bot && s.offer("done").is_some()).await;
    let speaker = first_pill(&first).unwrap();
    let who = c.members.iter().find(|m| m.id == speaker).unwrap();
    let (key, _) = first.offer("done").unwrap();
    who.react(&c.room, &first.event_id, &key).await;
    let first_offer = done_offer(&first);
    let second =
        c.host.wait_for(0, "the second turn", |s| s.sender == bot && s.offer("done").is_some() && done_offer(s) != first_offer).await;

    let device = c.bot.device();
    c.bot.stop().await;
    // While attune is down, the second speaker says they are done.
    let speaker = first_pill(&second).unwrap();
    let who = c.members.iter().find(|m| m.id == speaker).unwrap();
    who.say_in_thread(&c.room, &root, "!done").await;
    let before = c.host.seen().len();
    c.bot.start().await;
    assert_eq!(c.bot.device(), device, "a restart is the same device, with the same encryption identity");

    let second_offer = done_offer(&second);
    let third = c
        .host
        .wait_for(before, "the third turn, after the restart", |s| {
            s.sender == bot && s.offer("done").is_some() && done_offer(s) != first_offer && done_offer(s) != second_offer
        })
        .await;
    assert_eq!(third.thread_root(), Some(root.as_str()), "the circle goes on in its thread");
    // Anything that would be repeated has arrived once attune has handled everything so far.
    handled_so_far(&c.host, &c.room, &bot).await;
    let from_bot: Vec<Seen> = c.host.seen().into_iter().filter(|s| s.sender == bot && s.kind == "m.room.message").collect();
    let mut offers: Vec<String> = from_bot.iter().filter_map(done_offer).collect();
    let all = offers.len();
    offers.sort();
    offers.dedup();
    assert_eq!(offers.len(), all, "no turn was announced twice: {}", summary(&from_bot));
    assert_eq!(from_bot.iter().filter(|s| s.offer("join").is_some()).count(), 1, "the circle was opened once");
    assert_eq!(from_bot.iter().filter(|s| s.body().contains("has joined")).count(), 3, "each member joined once");
    let thanks = format!("Thank you, {}", speaker.trim_start_matches('@').split(':').next().unwrap());
    assert_eq!(
        from_bot.iter().filter(|s| s.body().starts_with(&thanks)).count(),
        1,
        "the command sent while attune was down was answered once: {}",
        summary(&from_bot)
    );
    // What was sent while attune was down is applied first; only then does attune say
    // it is back, and never that the speaker who already said done still has the floor.
    let thanked = from_bot.iter().position(|s| s.body().starts_with(&thanks)).unwrap();
    let back = from_bot.iter().position(|s| s.body().starts_with("I'm back")).expect("attune says it is back");
    assert!(back > thanked, "the done sent while down comes first: {}", summary(&from_bot));
    assert!(!from_bot[back].body().contains("still has the floor"), "no stale floor: {}", from_bot[back].body());
    let Circle { host, members, mut bot, .. } = c;
    bot.stop().await;
    host.stop().await;
    for m in members {
        m.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reaction_on_an_earlier_turns_message_is_refused_kindly_and_the_current_turn_goes_on() {
    let c = circle_room("stale", false).await;
    let root = gather(&c).await;
    c.host.say_in_thread(&c.room, &root, "!attune circle start").await;
    let bot = c.bot.id.clone();
    let first = c.host.wait_for(0, "the first turn", |s| s.sender == bot && s.offer("done").is_some()).await;
    let first_speaker = c.members.iter().find(|m| Some(&m.id) == first_pill(&first).as_ref()).unwrap();
    let (done, _) = first.offer("done").unwrap();
    first_speaker.react(&c.room, &first.event_id, &done).await;
    let first_offer = done_offer(&first);
    let second =
        c.host.wait_for(0, "the second turn", |s| s.sender == bot && s.offer("done").is_some() && done_offer(s) != first_offer).await;
    let second_speaker = c.members.iter().find(|m| Some(&m.id) == first_pill(&second).as_ref()).unwrap();

    // The second speaker reacts ✅ on the first turn's message: that turn is over.
    let before = c.host.seen().len();
    second_speaker.react(&c.room, &first.event_id, &done).await;
    let refusal = second_speaker
        .wait_for(0, "a kind refusal, privately", |s| s.sender == bot && s.room != c.room && s.body().contains("already ended"))
        .await;
    assert!(refusal.encrypted, "the refusal comes in the member's encrypted DM");
    handled_so_far(&c.host, &c.room, &bot).await;
    let moved: Vec<Seen> =
        c.host.seen().into_iter().skip(before).filter(|s| s.sender == bot && s.kind == "m.room.message" && s.room == c.room).collect();
    assert_eq!(moved.len(), 0, "the old turn's reaction said nothing in the room and left the current turn as it was: {}", summary(&moved));

    // The current turn's own ✅ still works.
    second_speaker.react(&c.room, &second.event_id, &done).await;
    let second_offer = done_offer(&second);
    c.host
        .wait_for(before, "the third turn", |s| {
            s.sender == bot && s.offer("done").is_some() && done_offer(s) != first_offer && done_offer(s) != second_offer
        })
        .await;
    assert_no_pings(&bot, &[&c.host, &c.members[0], &c.members[1], &c.members[2]]);
    let Circle { host, members, mut bot, .. } = c;
    bot.stop().await;
    host.stop().await;
    for m in members {
        m.stop().await;
    }
}

/// Sends an event straight to the homeserver, without the client's encryption.
async fn send_unencrypted(member: &Member, room: &str, event_type: &str, content: Value) {
    use matrix_sdk::ruma::api::client::message::send_message_event::v3::Request;
    use matrix_sdk::ruma::events::MessageLikeEventType;
    let room = OwnedRoomId::try_from(room).unwrap();
    let txn = matrix_sdk::ruma::TransactionId::new();
    let body = Raw::from_json(serde_json::value::to_raw_value(&content).unwrap());
    let request = Request::new_raw(room, txn, MessageLikeEventType::from(event_type), body);
    member.client.send(request).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moderators_edit_cards_members_reflect_and_get_care_privately_and_outside_text_never_pings_or_renders() {
    let bot = Bot::new("care-attune").await;
    let host = Member::new("care-host").await;
    let alice = Member::new("care-alice").await;
    let bob = Member::new("care-bob").await;
    bob.client.account().set_display_name(Some("<b>Bob</b> @room")).await.unwrap();
    let room = host.create_room(&[&alice.id, &bob.id, &bot.id], true).await;
    for who in [&alice.id, &bob.id, &bot.id] {
        host.wait_for(0, "everyone to join", |s| s.kind == "m.room.member" && s.content["membership"] == "join" && &s.sender == who).await;
    }
    let me = bot.id.clone();

    // The room's creator (power level 100) is a moderator: a deck, a card, an edit.
    host.say(&room, "!attune deck new evening Evening rest").await;
    host.wait_for(0, "the deck is made", |s| s.sender == me && s.body().contains("Created the deck evening")).await;
    host.say(&room, "!attune deck add evening check-in rest light What would help you rest tonight?").await;
    host.wait_for(0, "the card is added", |s| s.sender == me && s.body().contains("Added card evening-01")).await;
    host.say(&room, "!attune deck edit evening-01 text Rest & tea, even a little, tonight?").await;
    host.wait_for(0, "the card is edited", |s| s.sender == me && s.body().contains("Updated card evening-01")).await;
    // @room or HTML never get into a card: the core refuses them, privately.
    host.say(&room, "!attune deck edit evening-01 text Rest, @room <b>tonight</b>?").await;
    let refused = host.wait_for(0, "a refusal", |s| s.sender == me && s.body().contains("ping a whole group")).await;
    assert_ne!(refused.room, room, "the refusal is private");
    host.say(&room, "!attune deck show evening-01").await;
    let shown = host.wait_for(0, "the card shown", |s| s.sender == me && s.body().contains("Text: Rest & tea")).await;
    assert_ne!(shown.room, room, "a moderator's deck answers are private");
    let html = shown.content["formatted_body"].as_str().unwrap();
    assert!(
        html.contains("Rest &amp; tea") && !html.contains("@room"),
        "card text is escaped in HTML, and the refused edit changed nothing: {html}"
    );
    assert_eq!(shown.content["m.mentions"], json!({}));

    // A member without power is refused, privately, and nothing changes.
    bob.say(&room, "!attune deck edit evening-01 text Something else").await;
    let refused = bob.wait_for(0, "a refusal", |s| s.sender == me && s.body().contains("Only moderators")).await;
    assert_ne!(refused.room, room, "the refusal is private");
    host.say(&room, "!attune deck show evening-01").await;
    let again = host
        .wait_for(0, "the card again", |s| s.sender == me && s.event_id != shown.event_id && s.body().contains("Text: Rest & tea"))
        .await;
    assert!(!again.body().contains("Something else"), "the refused edit changed nothing");

    // A display name with HTML and @room neither renders nor pings.
    host.say(&room, "!attune circle open").await;
    let invitation = host.wait_for(0, "the invitation", |s| s.sender == me && s.offer("join").is_some()).await;
    bob.say_in_thread(&room, &invitation.event_id, "!circle join").await;
    let dm = bob.wait_for(0, "the agreements", |s| s.sender == me && s.offer("agree").is_some()).await;
    bob.say(&dm.room, "!agree").await;
    let joined = host.wait_for(0, "bob joined", |s| s.sender == me && s.body().contains("has joined")).await;
    let html = joined.content["formatted_body"].as_str().unwrap();
    assert!(html.contains("Bob") && html.contains("</a> has joined"), "the name is a pill: {html}");
    assert!(
        !html.contains("<b>") && !html.contains("@room") && !joined.body().contains("@room"),
        "the name's HTML and @room are defused: {html}"
    );
    assert_eq!(joined.content["m.mentions"], json!({}), "the pill pings nobody, and @room in a name notifies no one");

    // A private reflection in an encrypted DM, and a reply there that is dropped.
    alice.say(&room, "!attune reflect body").await;
    let card = alice.wait_for(0, "a private card", |s| s.sender == me && s.body().contains("Something to sit with")).await;
    assert!(card.room != room && card.encrypted, "the reflection arrives in an encrypted DM");
    alice.say(&card.room, "I notice my shoulders are up near my ears.").await;
    alice.say(&card.room, "!reflect").await;
    alice
        .wait_for(0, "another card by the short form", |s| {
            s.sender == me && s.event_id != card.event_id && s.body().contains("Something to sit with")
        })
        .await;

    // Words about wanting to die get the resources card, privately.
    alice.say(&room, "Honestly I just want to die sometimes.").await;
    let crisis =
        alice.wait_for(0, "the resources card", |s| s.sender == me && s.body().contains("you don't have to carry this alone")).await;
    assert!(crisis.room != room && crisis.encrypted, "the crisis card is private and encrypted");
    assert!(crisis.offer("support").is_some(), "it offers the moderators by reaction");
    // An emote (`/me …`) is read the same way, and is never a command.
    bob.send(&room, json!({ "msgtype": "m.emote", "body": "just wants to die tonight" })).await;
    let crisis = bob
        .wait_for(0, "the resources card after an emote", |s| s.sender == me && s.body().contains("you don't have to carry this alone"))
        .await;
    assert!(crisis.room != room, "privately");
    // An edit (`m.replace`) that adds crisis words is read like a new message (issue 17).
    let original = host.say(&room, "see you all soon").await;
    let edit = json!({ "msgtype": "m.text", "body": "* see you all soon, honestly i just want to die",
        "m.new_content": { "msgtype": "m.text", "body": "see you all soon, honestly i just want to die" },
        "m.relates_to": { "rel_type": "m.replace", "event_id": original } });
    host.send(&room, edit).await;
    let crisis = host
        .wait_for(0, "the resources card after an edit", |s| s.sender == me && s.body().contains("you don't have to carry this alone"))
        .await;
    assert!(crisis.room != room, "privately");

    // A message nobody can decrypt: after the grace period, a kind private note.
    let garbage = json!({ "algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "AwgAEnAcorrupted", "session_id": "nosuchsession",
        "sender_key": "nosuchkey", "device_id": "NOSUCHDEVICE" });
    send_unencrypted(&alice, &room, "m.room.encrypted", garbage).await;
    let note = alice.wait_for(0, "the undecryptable note", |s| s.sender == me && s.body().contains("couldn't read the message")).await;
    assert!(note.room != room, "the note is private");

    assert_no_pings(&me, &[&host, &alice, &bob]);
    let mut bot = bot;
    bot.stop().await;
    for m in [host, alice, bob] {
        m.stop().await;
    }
}

/// A running `attune run`; killed when dropped, so a failing test leaves no process behind.
struct Attune(std::process::Child);

impl std::ops::Deref for Attune {
    type Target = std::process::Child;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Attune {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Drop for Attune {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// `attune run` with Matrix enabled, its database and stores in the bot's directory.
fn attune_run(bot: &Bot) -> Attune {
    attune_run_with(bot, &synapse().url, "")
}

/// The store passphrase the kill -9 test runs with.
const PASSPHRASE: &str = "correct horse battery staple";

/// `attune run` as above, reaching the homeserver at `homeserver`, with `more`
/// appended to its configuration file.
fn attune_run_with(bot: &Bot, homeserver: &str, more: &str) -> Attune {
    let dir = bot.dir.path();
    let config = dir.join("attune.toml");
    std::fs::write(
        &config,
        format!(
            "[database]\npath = \"{}\"\n[log]\nlevel = \"info\"\n[matrix]\nenabled = true\nhomeserver = \"{}\"\nuser = \"{}\"\nallowed_servers = [\"{SERVER}\"]\n{more}",
            dir.join("attune.db").display(),
            homeserver,
            bot.id
        ),
    )
    .unwrap();
    let log = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("attune.log")).unwrap();
    crate::cli::attune(dir)
        .arg("--config")
        .arg(&config)
        .arg("run")
        .env("ATTUNE_MATRIX_PASSWORD", &bot.password)
        // The kill -9 test's bot keeps its matrix-sdk stores encrypted.
        .env("ATTUNE_MATRIX_STORE_PASSPHRASE", if bot.id.starts_with("@run-attune") { PASSPHRASE } else { "" })
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
        .map(Attune)
        .expect("attune run starts")
}

fn device_of_saved(bot: &Bot) -> String {
    saved_device(bot)
}

fn saved_device(bot: &Bot) -> String {
    let session: Value = serde_json::from_slice(&std::fs::read(bot.dir.path().join("matrix/session.json")).unwrap()).unwrap();
    session["device_id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attune_run_serves_matrix_and_after_kill_9_mid_circle_resumes_on_the_same_device_answering_once() {
    let bot = Bot::registered("run-attune");
    let mut child = attune_run(&bot);
    let c = circle_room_for(bot, "run", true).await;
    let root = gather(&c).await;
    c.host.say_in_thread(&c.room, &root, "!attune circle start").await;
    let me = c.bot.id.clone();
    let first = c.host.wait_for(0, "the first turn", |s| s.sender == me && s.offer("done").is_some()).await;
    let who = c.members.iter().find(|m| Some(&m.id) == first_pill(&first).as_ref()).unwrap();
    who.react(&c.room, &first.event_id, &first.offer("done").unwrap().0).await;
    let first_offer = done_offer(&first);
    let second =
        c.host.wait_for(0, "the second turn", |s| s.sender == me && s.offer("done").is_some() && done_offer(s) != first_offer).await;
    let device = saved_device(&c.bot);

    // kill -9: no shutdown at all. Meanwhile the second speaker says they are done.
    child.kill().unwrap();
    child.wait().unwrap();
    let speaker = first_pill(&second).unwrap();
    let who = c.members.iter().find(|m| m.id == speaker).unwrap();
    who.say_in_thread(&c.room, &root, "!done").await;
    let before = c.host.seen().len();
    let mut child = attune_run(&c.bot);

    let second_offer = done_offer(&second);
    c.host
        .wait_for(before, "the third turn, after the restart", |s| {
            s.sender == me && s.offer("done").is_some() && done_offer(s) != first_offer && done_offer(s) != second_offer
        })
        .await;
    assert_eq!(saved_device(&c.bot), device, "the restart restored the session rather than logging in again");
    // The stores are the bot's identity: an owner-only folder, and with a passphrase
    // what matrix-sdk keeps in them is encrypted (the room's id is nowhere in plain text).
    let store = c.bot.dir.path().join("matrix");
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&store).unwrap().permissions().mode() & 0o777, 0o700, "the store folder is its owner's alone");
    }
    let mut sdk_files = 0;
    for entry in std::fs::read_dir(store.join("sdk")).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        sdk_files += 1;
        assert!(!bytes.windows(c.room.len()).any(|w| w == c.room.as_bytes()), "{} holds the room id in plain text", path.display());
    }
    assert!(sdk_files >= 2, "matrix-sdk's state and crypto stores are there");
    let bot_id = OwnedUserId::try_from(me.as_str()).unwrap();
    let devices = c.host.client.encryption().get_user_devices(&bot_id).await.unwrap();
    assert_eq!(devices.devices().count(), 1, "the bot has one device, the same since its first start");
    handled_so_far(&c.host, &c.room, &me).await;
    let from_bot: Vec<Seen> = c.host.seen().into_iter().filter(|s| s.sender == me && s.kind == "m.room.message").collect();
    let mut offers: Vec<String> = from_bot.iter().filter_map(done_offer).collect();
    let all = offers.len();
    offers.sort();
    offers.dedup();
    assert_eq!(offers.len(), all, "no turn was announced twice: {}", summary(&from_bot));
    let thanks = format!("Thank you, {}", speaker.trim_start_matches('@').split(':').next().unwrap());
    assert_eq!(
        from_bot.iter().filter(|s| s.body().starts_with(&thanks)).count(),
        1,
        "the command sent while attune was down was answered once"
    );

    // SIGTERM stops it cleanly.
    let pid = child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = child.wait().unwrap();
    assert!(status.success(), "attune run stops cleanly on SIGTERM: {status}");
    let log = std::fs::read_to_string(c.bot.dir.path().join("attune.log")).unwrap();
    assert!(!log.contains(&c.bot.password), "the password is never logged");
    // matrix-sdk's per-sync noise (no key backup; its own recovery check's 404) stays out
    // of the operator's log.
    assert!(!log.contains("no backup key was found") && !log.contains("Error while sending request"), "{log}");

    // Started with another passphrase, the stores can't be opened: exit 78 and the fix,
    // the passphrase itself never said.
    let wrong = "not the passphrase it was made with";
    let mut child = crate::cli::attune(c.bot.dir.path())
        .arg("--config")
        .arg(c.bot.dir.path().join("attune.toml"))
        .arg("run")
        .env("ATTUNE_MATRIX_STORE_PASSPHRASE", wrong)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("attune started on a store made with another passphrase");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(78), "{err}");
    assert!(err.contains("ATTUNE_MATRIX_STORE_PASSPHRASE") && !err.contains(wrong) && !err.contains(PASSPHRASE), "{err}");
    let Circle { host, members, .. } = c;
    host.stop().await;
    for m in members {
        m.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_revoked_mid_circle_ends_attune_run_with_78_and_the_fix_instead_of_syncing_deaf_forever() {
    let bot = Bot::registered("revoked-attune");
    let mut child = attune_run(&bot);
    let c = circle_room_for(bot, "revoked", true).await;
    let root = gather(&c).await;
    c.host.say_in_thread(&c.room, &root, "!attune circle start").await;
    let me = c.bot.id.clone();
    c.host.wait_for(0, "the first turn", |s| s.sender == me && s.offer("done").is_some()).await;
    // An admin signs attune's device out: its access token is revoked.
    let device = saved_device(&c.bot);
    synapse().revoke_device("revoker-admin", &c.bot.id, &device);
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "attune ends on its own instead of syncing deaf forever");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let log = std::fs::read_to_string(c.bot.dir.path().join("attune.log")).unwrap();
    assert_eq!(status.code(), Some(78), "exit 78: only the operator can mend it\n{log}");
    let line = log.lines().rev().find(|l| l.starts_with("attune: ")).unwrap_or_else(|| panic!("no closing line:\n{log}"));
    assert!(line.contains("M_UNKNOWN_TOKEN") && line.contains("ATTUNE_MATRIX_PASSWORD"), "{line}");
    assert!(!log.contains(&c.bot.password), "the password is never logged");
    let Circle { host, members, .. } = c;
    host.stop().await;
    for m in members {
        m.stop().await;
    }
}

/// The room's current power levels content, as a member's client knows it.
async fn power_levels_of(member: &Member, room: &str) -> Value {
    use matrix_sdk::deserialized_responses::RawAnySyncOrStrippedState;
    use matrix_sdk::ruma::events::StateEventType;
    let room = member.wait_for_room(room).await;
    let raw = room.get_state_event(StateEventType::RoomPowerLevels, "").await.unwrap().expect("power levels");
    let json = match raw {
        RawAnySyncOrStrippedState::Sync(r) => r.json().get().to_owned(),
        RawAnySyncOrStrippedState::Stripped(r) => r.json().get().to_owned(),
    };
    serde_json::from_str::<Value>(&json).unwrap()["content"].clone()
}

/// Waits until the room's power levels satisfy `pick`.
async fn wait_for_levels(member: &Member, room: &str, what: &str, pick: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let levels = power_levels_of(member, room).await;
        if pick(&levels) {
            return levels;
        }
        assert!(started.elapsed() < PATIENCE, "waited in vain for {what}: {levels}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A host and three members in an unencrypted room where attune may change
/// power levels (100; the host made the room and has all power), everyone joined.
async fn circle_room_with_power(bot: Bot, tag: &str) -> Circle {
    let host = Member::new(&format!("{tag}-host")).await;
    let mut members = Vec::new();
    for n in ["alice", "bob", "cara"] {
        members.push(Member::new(&format!("{tag}-{n}")).await);
    }
    let mut request = CreateRoom::new();
    request.invite = members.iter().map(|m| m.id.as_str()).chain([bot.id.as_str()]).map(|u| OwnedUserId::try_from(u).unwrap()).collect();
    let levels = json!({ "users": { bot.id.clone(): 100 } });
    request.power_level_content_override = Some(Raw::from_json(serde_json::value::to_raw_value(&levels).unwrap()));
    let room = host.client.create_room(request).await.unwrap().room_id().to_string();
    for who in members.iter().map(|m| m.id.clone()).chain([bot.id.clone()]) {
        host.wait_for(0, "everyone to join", |s| s.kind == "m.room.member" && s.content["membership"] == "join" && s.sender == who).await;
    }
    Circle { host, members, room, bot }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn holding_the_floor_changes_power_levels_and_restores_them_exactly_also_after_kill_9_mid_turn() {
    let bot = Bot::registered("hold-attune");
    let mut child = attune_run(&bot);
    let c = circle_room_with_power(bot, "hold").await;
    let me = c.bot.id.clone();
    let original = power_levels_of(&c.host, &c.room).await;

    c.host.say(&c.room, "!attune template set standard floor hold").await;
    c.host.wait_for(0, "the template is changed", |s| s.sender == me && s.room != c.room && s.kind == "m.room.message").await;
    let root = gather(&c).await;
    c.host.say_in_thread(&c.room, &root, "!attune circle start").await;
    let first = c.host.wait_for(0, "the first turn", |s| s.sender == me && s.offer("done").is_some()).await;
    let speaker = first_pill(&first).unwrap();
    let held =
        tokio::time::timeout(PATIENCE, wait_for_levels(&c.host, &c.room, "the floor to be held", |l| l["events"]["m.room.message"] == 1))
            .await;
    let Ok(held) = held else {
        panic!(
            "the floor was not held; attune's log:\n{}",
            std::fs::read_to_string(c.bot.dir.path().join("attune.log")).unwrap_or_default()
        );
    };
    assert_eq!(held["users"][&speaker], 1, "the speaker may post: {held}");
    let listener = c.members.iter().find(|m| m.id != speaker).unwrap();
    assert!(held["users"].get(&listener.id).is_none(), "a listener may not: {held}");
    let refused = listener.wait_for_room(&c.room).await.send_raw("m.room.message", json!({ "msgtype": "m.text", "body": "hi" })).await;
    assert!(refused.is_err(), "the homeserver refuses a listener's message while the floor is held");

    // kill -9 mid-turn; at start attune restores the original, then holds again for the live turn.
    child.kill().unwrap();
    child.wait().unwrap();
    let mut child = attune_run(&c.bot);
    // Restored and held again before the first command after the restart is answered.
    handled_so_far(&c.host, &c.room, &c.bot.id).await;
    // A moderator's own change while the floor is held (muting a listener) stays when it is released.
    let mut changed = power_levels_of(&c.host, &c.room).await;
    assert_eq!(changed["events"]["m.room.message"], 1, "held again after the restart: {changed}");
    changed["users"][&listener.id] = json!(-1);
    c.host.wait_for_room(&c.room).await.send_state_event_raw("m.room.power_levels", "", changed).await.unwrap();
    let mut expected = original.clone();
    expected["users"][&listener.id] = json!(-1);
    c.host.say_in_thread(&c.room, &root, "!attune circle end").await;
    let restored = tokio::time::timeout(PATIENCE, wait_for_levels(&c.host, &c.room, "the original power levels", |l| l == &expected)).await;
    let Ok(restored) = restored else {
        panic!(
            "the floor was not restored; attune's log:\n{}",
            std::fs::read_to_string(c.bot.dir.path().join("attune.log")).unwrap_or_default()
        );
    };
    assert_eq!(restored, expected, "the power levels are exactly what they were, with the moderator's own change kept");

    let pid = child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    assert!(child.wait().unwrap().success());

    // doctor, with the saved session: login, encryption and the power floor hold needs.
    let dir = c.bot.dir.path();
    let out = crate::cli::attune(dir).arg("--config").arg(dir.join("attune.toml")).arg("doctor").output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("matrix: login: ok") && said.contains(&device_of_saved(&c.bot)), "{said}");
    assert!(said.contains("matrix: encryption: ok, device keys published and this device is signed"), "{said}");
    assert!(said.contains("matrix: floor: attune may change power levels in all "), "{said}");
    assert!(said.contains("of these rooms are encrypted") && said.contains("works as nudge"), "the circle's room is encrypted: {said}");
    assert!(!said.contains(&c.bot.password), "doctor never shows secrets");
    let Circle { host, members, .. } = c;
    host.stop().await;
    for m in members {
        m.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_access_token_from_the_environment_logs_in_as_its_own_device_and_the_session_is_kept() {
    // An access token made by a plain login (no encryption keys uploaded yet), as with curl.
    let mut bot = Bot::registered("token-attune");
    let probe = Client::builder().homeserver_url(&synapse().url).build().await.unwrap();
    let login = probe.matrix_auth().login_username(&bot.id, &bot.password).send().await.unwrap();
    let mut options = bot.options();
    options.password = String::new();
    options.access_token = login.access_token.clone();
    let store = Store::open(&bot.dir.path().join("attune.db")).await.unwrap();
    let defaults = Config::default().content().unwrap();
    let (outlets, rx) = Outlets::single(Platform::Matrix);
    let (engine, resumed) = Engine::start(store, Clock::System, defaults, Seed::Fixed(1), outlets).await.unwrap();
    let running = matrix::start(engine, resumed, rx, options).await.expect("the token is accepted");
    assert_eq!(running.device_id().as_deref(), Some(login.device_id.as_str()), "the token's own device is used");
    bot.running = Some(running);
    let host = Member::new("token-host").await;
    let room = host.create_room(&[&bot.id], true).await;
    host.wait_for(0, "the bot to join", |s| s.kind == "m.room.member" && s.content["membership"] == "join" && s.sender == bot.id).await;
    host.say(&room, "!attune circle open").await;
    let me = bot.id.clone();
    host.wait_for(0, "the invitation", |s| s.sender == me && s.offer("join").is_some()).await;
    let session = std::fs::read_to_string(bot.dir.path().join("matrix/session.json")).unwrap();
    assert!(session.contains(login.device_id.as_str()), "the session is saved for the next start");
    bot.stop().await;
    // The next start needs no secret at all: the saved session is restored.
    let mut options = bot.options();
    options.password = String::new();
    let store = Store::open(&bot.dir.path().join("attune.db")).await.unwrap();
    let (outlets, rx) = Outlets::single(Platform::Matrix);
    let (engine, resumed) =
        Engine::start(store, Clock::System, Config::default().content().unwrap(), Seed::Fixed(1), outlets).await.unwrap();
    let running = matrix::start(engine, resumed, rx, options).await.expect("the saved session is restored");
    assert_eq!(running.device_id().as_deref(), Some(login.device_id.as_str()));
    running.stop().await;
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_room_is_reused_and_made_anew_when_the_member_has_left_it() {
    let mut bot = Bot::new("dm-attune").await;
    let alice = Member::new("dm-alice").await;
    let room = alice.create_room(&[&bot.id], false).await;
    let me = bot.id.clone();
    alice.wait_for(0, "the bot to join", |s| s.kind == "m.room.member" && s.content["membership"] == "join" && s.sender == me).await;
    alice.say(&room, "!attune reflect body").await;
    let first =
        alice.wait_for(0, "a card in a DM", |s| s.sender == me && s.room != room && s.body().contains("Something to sit with")).await;
    let before = alice.seen().len();
    alice.say(&room, "!attune reflect emotions").await;
    let second =
        alice.wait_for(before, "a second card", |s| s.sender == me && s.room != room && s.body().contains("Something to sit with")).await;
    assert_eq!(second.room, first.room, "the private room is reused");

    alice.wait_for_room(&first.room).await.leave().await.unwrap();
    // The bot has seen her leave before she asks again.
    handled_so_far(&alice, &room, &me).await;
    let before = alice.seen().len();
    alice.say(&room, "!attune reflect body").await;
    let third = alice
        .wait_for(before, "a card in a new DM", |s| s.sender == me && s.room != room && s.body().contains("Something to sit with"))
        .await;
    assert_ne!(third.room, first.room, "a member who left their private room gets a new one");
    assert!(third.encrypted, "the new private room is encrypted too");
    bot.stop().await;
    alice.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_power_to_hold_the_floor_the_host_is_told_once_and_the_circle_goes_on() {
    // The bot joins with the default power level, so it may not change power levels.
    let c = circle_room("nohold", false).await;
    let me = c.bot.id.clone();
    let original = power_levels_of(&c.host, &c.room).await;
    c.host.say(&c.room, "!attune template set standard floor hold").await;
    c.host.wait_for(0, "the template is changed", |s| s.sender == me && s.room != c.room && s.kind == "m.room.message").await;
    let root = gather(&c).await;
    c.host.say_in_thread(&c.room, &root, "!attune circle start").await;
    let told = c
        .host
        .wait_for(0, "the host is told the floor can't be held", |s| {
            s.sender == me && s.room != c.room && s.body().contains("couldn't hold the floor")
        })
        .await;
    assert_ne!(told.room, c.room, "privately, never in the circle's room");
    // The circle goes on: its turns still come, and the next one doesn't tell the host again.
    let turns = done_until_the_end(&c, &root).await;
    assert!(turns >= 9, "the whole circle ran: {turns} turns");
    let again = c.host.seen().into_iter().filter(|s| s.sender == me && s.body().contains("couldn't hold the floor")).count();
    assert_eq!(again, 1, "told once per circle");
    assert_eq!(power_levels_of(&c.host, &c.room).await, original, "nothing about the room changed");
    let Circle { host, members, mut bot, .. } = c;
    bot.stop().await;
    host.stop().await;
    for m in members {
        m.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn support_opens_a_private_encrypted_room_with_the_member_and_the_moderators_and_attune_steps_out() {
    // The host made the room, so has power level 100: a moderator. The members have 0.
    let c = circle_room("support", false).await;
    let me = c.bot.id.clone();
    let (alice, bob) = (&c.members[0], &c.members[1]);
    alice.say(&c.room, "!attune support").await;
    alice
        .wait_for(0, "alice hears the moderators were asked", |s| {
            s.sender == me && s.room != c.room && s.body().contains("asked the moderators")
        })
        .await;
    let intro = c
        .host
        .wait_for(0, "the support room's first message", |s| s.sender == me && s.body().contains("would like to talk with a moderator"))
        .await;
    assert_ne!(intro.room, c.room, "a room of its own, never the circle's room");
    assert!(intro.encrypted, "the support room is encrypted");
    alice.wait_for(0, "alice is in the same room", |s| s.room == intro.room && s.sender == me && s.kind == "m.room.message").await;
    c.host
        .wait_for(0, "attune steps out of the support room", |s| {
            s.room == intro.room && s.kind == "m.room.member" && s.sender == me && s.content["membership"] == "leave"
        })
        .await;
    assert!(bob.seen().iter().all(|s| s.room != intro.room), "a member who isn't a moderator is not invited");
    let public = c.host.seen().into_iter().filter(|s| s.room == c.room && s.sender == me && s.body().contains("moderator")).count();
    assert_eq!(public, 0, "nothing about it is posted in the room");
    let Circle { host, members, mut bot, .. } = c;
    bot.stop().await;
    host.stop().await;
    for m in members {
        m.stop().await;
    }
}

/// A membership event of `who` (as its sender) in `room`.
fn membership(room: &str, who: &str, state: &'static str) -> impl Fn(&Seen) -> bool {
    let (room, who) = (room.to_owned(), who.to_owned());
    move |s: &Seen| s.room == room && s.kind == "m.room.member" && s.sender == who && s.content["membership"] == state
}

/// A bot, a host (the room's creator, so a moderator) and one member in an
/// unencrypted room, everyone joined.
async fn room_of_two(bot: &str, host: &str, member: &str) -> (Bot, Member, Member, String) {
    let bot = Bot::new(bot).await;
    let host = Member::new(host).await;
    let member = Member::new(member).await;
    let room = host.create_room(&[&bot.id, &member.id], false).await;
    for who in [member.id.clone(), bot.id.clone()] {
        host.wait_for(0, &format!("{who} to join"), membership(&room, &who, "join")).await;
    }
    (bot, host, member, room)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moderator_asks_attune_to_leave_and_it_says_goodbye_and_goes_but_never_while_a_circle_is_open() {
    let (mut bot, host, alice, room) = room_of_two("leave-attune", "leave-host", "leave-alice").await;
    let me = bot.id.clone();
    alice.say(&room, "!attune leave-room").await;
    alice.wait_for(0, "alice is refused, privately", |s| s.sender == me && s.room != room && s.body().contains("Only moderators")).await;

    host.say(&room, "!attune circle open").await;
    host.wait_for(0, "the invitation", |s| s.sender == me && s.offer("join").is_some()).await;
    host.say(&room, "!attune leave-room").await;
    host.wait_for(0, "not while a circle is open", |s| s.sender == me && s.room != room && s.body().contains("still a circle open")).await;

    let before = host.seen().len();
    host.say(&room, "!attune circle end").await;
    host.say(&room, "!attune leave-room").await;
    let goodbye =
        host.wait_for(before, "the goodbye", |s| s.sender == me && s.room == room && s.body().contains("asked me to leave")).await;
    assert!(goodbye.thread_root().is_none(), "the goodbye is said to the room, not in the last circle's thread");
    host.wait_for(before, "attune leaves the room", membership(&room, &me, "leave")).await;
    assert_no_pings(&me, &[&host, &alice]);

    // Invited again, attune comes back, and the community it kept works as before.
    let back = host.seen().len();
    host.wait_for_room(&room).await.invite_user_by_id(&OwnedUserId::try_from(me.as_str()).unwrap()).await.unwrap();
    host.wait_for(back, "attune joins again", membership(&room, &me, "join")).await;
    host.say(&room, "!attune circle open").await;
    host.wait_for(back, "a circle opens again", |s| s.sender == me && s.offer("join").is_some()).await;
    bot.stop().await;
    host.stop().await;
    alice.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_who_refuses_attunes_invites_is_told_in_the_room_and_answered_in_a_dm_they_open() {
    // `closed-…` members refuse invites from attune (see synapse.rs): no private room can be made.
    let (mut bot, host, cleo, room) = room_of_two("shut-attune", "shut-host", "closed-cleo").await;
    let me = bot.id.clone();
    host.say(&room, "!attune circle open").await;
    host.wait_for(0, "the invitation", |s| s.sender == me && s.offer("join").is_some()).await;

    cleo.say(&room, "!attune circle join").await;
    let note = cleo
        .wait_for(0, "a note in the room", |s| s.sender == me && s.room == room && s.body().contains("couldn't open a private chat"))
        .await;
    assert!(!note.body().to_lowercase().contains("agree"), "nothing meant for her privately is posted: {}", note.body());
    let told = host
        .wait_for(0, "the host hears, privately", |s| s.sender == me && s.room != room && s.body().contains("haven't seen the agreements"))
        .await;
    assert!(told.body().contains("closed-cleo"), "{}", told.body());
    assert!(cleo.client.invited_rooms().is_empty(), "Synapse refused every invite from attune");
    assert_eq!(cleo.client.joined_rooms().len(), 1, "and no private room was made for her");

    // She opens a DM with attune herself; her next request is answered there.
    let mut request = CreateRoom::new();
    request.invite = vec![OwnedUserId::try_from(me.as_str()).unwrap()];
    request.is_direct = true;
    let dm = cleo.client.create_room(request).await.unwrap().room_id().to_string();
    cleo.wait_for(0, "attune joins her DM", membership(&dm, &me, "join")).await;
    let before = cleo.seen().len();
    cleo.say(&room, "!attune circle join").await;
    cleo.wait_for(before, "the agreements in her own DM", |s| s.sender == me && s.room == dm && s.offer("agree").is_some()).await;
    cleo.say(&dm, "!agree").await;
    host.wait_for(0, "cleo is in the circle", |s| s.sender == me && s.room == room && s.body().contains("has joined")).await;
    assert_no_pings(&me, &[&host, &cleo]);
    bot.stop().await;
    host.stop().await;
    cleo.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_support_room_stays_joinable_until_someone_comes_and_attune_steps_out_only_then() {
    let mut bot = Bot::new("late-attune").await;
    // Neither taps an invite at once, as people on their phones don't.
    let host = Member::waiting("late-host").await;
    let alice = Member::waiting("late-alice").await;
    let room = host.create_room(&[&bot.id, &alice.id], false).await;
    let me = bot.id.clone();
    alice.client.join_room_by_id(&OwnedRoomId::try_from(room.as_str()).unwrap()).await.unwrap();
    host.wait_for(0, "attune joins", membership(&room, &me, "join")).await;
    alice.say(&room, "!attune support").await;
    let started = Instant::now();
    let support = loop {
        let invited: Vec<_> = host.client.invited_rooms().into_iter().map(|r| r.room_id().to_string()).collect();
        if let Some(r) = invited.into_iter().find(|r| *r != room) {
            break r;
        }
        assert!(started.elapsed() < PATIENCE, "the host is invited to a support room");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // Nobody has joined yet, and attune has handled everything since: it must still be
    // there, or the room could never be joined. (A circle's invitation is the barrier:
    // neither of them joins private rooms, so a private answer would never be seen.)
    alice.say(&room, "!attune circle open").await;
    alice.wait_for(0, "attune has handled everything before", |s| s.sender == me && s.offer("join").is_some()).await;
    host.client.join_room_by_id(&OwnedRoomId::try_from(support.as_str()).unwrap()).await.expect("the support room can still be joined");
    host.wait_for(0, "the intro", |s| s.room == support && s.sender == me && s.body().contains("would like to talk with a moderator"))
        .await;
    host.wait_for(0, "attune steps out once someone is in", membership(&support, &me, "leave")).await;
    alice.client.join_room_by_id(&OwnedRoomId::try_from(support.as_str()).unwrap()).await.expect("the member can join too");
    bot.stop().await;
    host.stop().await;
    alice.stop().await;
}

/// The state event content a room's parent or a space's child carries.
fn state_event(kind: &str, key: &str) -> Raw<matrix_sdk::ruma::events::AnyInitialStateEvent> {
    let event = json!({ "type": kind, "state_key": key, "content": { "via": [SERVER] } });
    Raw::from_json(serde_json::value::to_raw_value(&event).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rooms_a_space_lists_are_one_community_and_a_room_that_only_claims_the_space_is_not() {
    let mut bot = Bot::registered("space-attune");
    let host = Member::new("space-host").await;
    let mallory = Member::new("space-mallory").await;
    let invite = |ids: &[&str]| ids.iter().map(|u| OwnedUserId::try_from(*u).unwrap()).collect::<Vec<_>>();
    // The host's space, and two rooms it lists as children (each names the space as parent).
    let mut request = CreateRoom::new();
    request.invite = invite(&[&bot.id]);
    request.creation_content = Some(Raw::from_json(serde_json::value::to_raw_value(&json!({ "type": "m.space" })).unwrap()));
    let space = host.client.create_room(request).await.unwrap();
    let mut children = Vec::new();
    for _ in 0..2 {
        let mut request = CreateRoom::new();
        request.invite = invite(&[&bot.id, &mallory.id]);
        request.initial_state = vec![state_event("m.space.parent", space.room_id().as_str())];
        let child = host.client.create_room(request).await.unwrap().room_id().to_string();
        space.send_state_event_raw("m.space.child", &child, json!({ "via": [SERVER] })).await.unwrap();
        children.push(child);
    }
    // Mallory's own room names the space as its parent; the space doesn't list it.
    let mut request = CreateRoom::new();
    request.invite = invite(&[&bot.id]);
    request.initial_state = vec![state_event("m.space.parent", space.room_id().as_str())];
    let claimed = mallory.client.create_room(request).await.unwrap().room_id().to_string();

    bot.communities = vec![MatrixCommunity { id: "space-circles".into(), rooms: Vec::new(), space: Some(space.room_id().to_string()) }];
    bot.start().await;
    let me = bot.id.clone();
    for room in &children {
        host.wait_for(0, "attune joins a listed room", membership(room, &me, "join")).await;
    }
    mallory.wait_for(0, "attune joins mallory's room", membership(&claimed, &me, "join")).await;

    host.say(&children[0], "!attune resources set Call the space line on 0800 111 222").await;
    host.wait_for(0, "saved", |s| s.sender == me && s.body().contains("card is updated")).await;
    mallory.say(&claimed, "!attune resources set Call mallory instead").await;
    mallory.wait_for(0, "saved, for her own room", |s| s.sender == me && s.body().contains("card is updated")).await;
    let before = mallory.seen().len();
    mallory.say(&children[0], "!attune resources set Call mallory instead").await;
    mallory.wait_for(before, "no moderator in the space's rooms", |s| s.sender == me && s.body().contains("Only moderators")).await;

    // Both listed rooms are one community: the card set in one is the card in the other.
    let before = host.seen().len();
    host.say(&children[1], "!attune resources").await;
    let card = host.wait_for(before, "the card", |s| s.sender == me && s.body().contains("0800 111 222")).await;
    assert!(!card.body().contains("mallory"), "{}", card.body());
    let before = mallory.seen().len();
    mallory.say(&children[1], "!attune resources").await;
    let card = mallory.wait_for(before, "the space's card", |s| s.sender == me && s.body().contains("0800 111 222")).await;
    assert!(!card.body().contains("mallory"), "a room that only claims the space changed nothing there: {}", card.body());
    bot.stop().await;
    host.stop().await;
    mallory.stop().await;
}

/// A member opens a DM with attune themselves (invite, `is_direct`) and waits until attune is in.
async fn dm_with(member: &Member, bot: &str) -> String {
    let mut request = CreateRoom::new();
    request.invite = vec![OwnedUserId::try_from(bot).unwrap()];
    request.is_direct = true;
    let dm = member.client.create_room(request).await.unwrap().room_id().to_string();
    member.wait_for(0, "attune joins the DM", membership(&dm, bot, "join")).await;
    dm
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_line_that_is_no_command_is_read_for_crisis_words_for_members_and_newcomers_alike() {
    let (mut bot, host, alice, room) = room_of_two("line-attune", "line-host", "line-alice").await;
    let me = bot.id.clone();
    // alice is known in the room's community; she writes to attune in a DM of her own.
    alice.say(&room, "!attune help").await;
    alice.wait_for(0, "help answers", |s| s.sender == me && s.room != room).await;
    let dm = dm_with(&alice, &me).await;
    let before = alice.seen().len();
    alice.say(&dm, "!attune i cant keep going, i want to die tonight").await;
    let card = alice
        .wait_for(before, "the resources card in her DM", |s| {
            s.sender == me && s.room == dm && s.body().contains("you don't have to carry this alone")
        })
        .await;
    assert!(card.offer("support").is_some(), "the card offers a moderator: {}", card.body());

    // Someone no community knows yet, writing to attune for the first time, gets it too.
    let stranger = Member::new("line-stranger").await;
    let dm = dm_with(&stranger, &me).await;
    stranger.say(&dm, "!attune i want to end it all tonight").await;
    stranger
        .wait_for(0, "the default card for a newcomer", |s| {
            s.sender == me && s.room == dm && s.body().contains("you don't have to carry this alone")
        })
        .await;
    bot.stop().await;
    host.stop().await;
    alice.stop().await;
    stranger.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moderator_by_power_in_a_group_communitys_room_is_a_moderator_in_their_dm_too() {
    let mut bot = Bot::registered("group-attune");
    let host = Member::new("group-host").await;
    let alice = Member::new("group-alice").await;
    // The host created the room (power 100); alice is a member (power 0).
    let room = host.create_room(&[&bot.id, &alice.id], false).await;
    bot.communities = vec![MatrixCommunity { id: "group-circles".into(), rooms: vec![room.clone()], space: None }];
    bot.start().await;
    let me = bot.id.clone();
    host.wait_for(0, "attune joins the group's room", membership(&room, &me, "join")).await;
    alice.wait_for(0, "alice is in", membership(&room, &alice.id, "join")).await;
    // Each uses attune in the room once, so the DM knows their community.
    for m in [&host, &alice] {
        let before = m.seen().len();
        m.say(&room, "!attune timezone Europe/Lisbon").await;
        m.wait_for(before, "an answer", |s| s.sender == me && s.room != room).await;
    }
    let dm = dm_with(&host, &me).await;
    let before = host.seen().len();
    host.say(&dm, "!attune template list").await;
    let answer = host.wait_for(before, "an answer in the DM", |s| s.sender == me && s.room == dm).await;
    assert!(!answer.body().contains("Only moderators"), "the group's moderator is a moderator in a DM: {}", answer.body());
    let dm = dm_with(&alice, &me).await;
    let before = alice.seen().len();
    alice.say(&dm, "!attune template list").await;
    let answer = alice.wait_for(before, "an answer in her DM", |s| s.sender == me && s.room == dm).await;
    assert!(answer.body().contains("Only moderators"), "a member is not: {}", answer.body());
    bot.stop().await;
    host.stop().await;
    alice.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_room_someone_else_was_brought_into_gets_nothing_private_again() {
    let (mut bot, host, alice, room) = room_of_two("third-attune", "third-host", "third-alice").await;
    let cara = Member::new("third-cara").await;
    let me = bot.id.clone();
    alice.say(&room, "!attune reflect body").await;
    let first = alice
        .wait_for(0, "a card in a private room", |s| s.sender == me && s.room != room && s.body().contains("Something to sit with"))
        .await;
    // alice brings cara into the room attune made for her; cara comes in.
    let dm = alice.wait_for_room(&first.room).await;
    dm.invite_user_by_id(&OwnedUserId::try_from(cara.id.as_str()).unwrap()).await.unwrap();
    cara.wait_for(0, "cara is in alice's room", membership(&first.room, &cara.id, "join")).await;
    alice.wait_for(0, "alice sees cara come in", membership(&first.room, &cara.id, "join")).await;
    alice.wait_for(0, "attune says it leaves, and why", |s| s.sender == me && s.room == first.room && s.body().contains(SHARED)).await;
    alice.wait_for(0, "and leaves", membership(&first.room, &me, "leave")).await;
    let before = alice.seen().len();
    alice.say(&room, "!attune reflect emotions").await;
    let second =
        alice.wait_for(before, "the next card", |s| s.sender == me && s.room != room && s.body().contains("Something to sit with")).await;
    assert_ne!(second.room, first.room, "nothing private goes to a room a third person is in; a new one is made");
    handled_so_far(&alice, &room, &me).await;
    let leaked: Vec<Seen> = cara
        .seen()
        .into_iter()
        .filter(|s| s.sender == me && s.room == first.room && s.kind == "m.room.message" && !s.body().contains(SHARED))
        .collect();
    assert!(
        leaked.is_empty() || leaked.iter().all(|s| s.event_id == first.event_id),
        "cara reads nothing of alice's: {}",
        summary(&leaked)
    );
    bot.stop().await;
    host.stop().await;
    alice.stop().await;
    cara.stop().await;
}

/// What attune says in a private room someone else came into, before it leaves.
const SHARED: &str = "isn't just the two of us";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_room_someone_else_is_only_invited_into_is_left_and_gets_nothing_private() {
    let (mut bot, host, alice, room) = room_of_two("invited-attune", "invited-host", "invited-alice").await;
    let cara = Member::new("invited-cara").await;
    let me = bot.id.clone();
    alice.say(&room, "!attune reflect body").await;
    let first = alice
        .wait_for(0, "a card in a private room", |s| s.sender == me && s.room != room && s.body().contains("Something to sit with"))
        .await;
    // alice invites cara into the room attune made for her; cara never joins.
    let dm = alice.wait_for_room(&first.room).await;
    dm.invite_user_by_id(&OwnedUserId::try_from(cara.id.as_str()).unwrap()).await.unwrap();
    alice.wait_for(0, "attune says it leaves, and why", |s| s.sender == me && s.room == first.room && s.body().contains(SHARED)).await;
    alice.wait_for(0, "and leaves", membership(&first.room, &me, "leave")).await;
    let before = alice.seen().len();
    alice.say(&room, "!attune reflect emotions").await;
    let second =
        alice.wait_for(before, "the next card", |s| s.sender == me && s.room != room && s.body().contains("Something to sit with")).await;
    assert_ne!(second.room, first.room, "nothing private goes to a room someone else is invited into; a new one is made");
    assert!(second.encrypted, "the new private room is encrypted too");
    handled_so_far(&alice, &room, &me).await;
    let after_invite: Vec<Seen> =
        alice.seen().into_iter().skip(before).filter(|s| s.sender == me && s.room == first.room && s.kind == "m.room.message").collect();
    assert!(after_invite.is_empty(), "nothing more was sent to the shared room: {}", summary(&after_invite));
    bot.stop().await;
    host.stop().await;
    alice.stop().await;
    cara.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_my_data_file_comes_privately_and_pings_nobody() {
    let (mut bot, host, alice, room) = room_of_two("mydata-attune", "mydata-host", "mydata-alice").await;
    let me = bot.id.clone();
    alice.say(&room, "!attune my-data").await;
    let file = alice.wait_for(0, "the my-data file", |s| s.sender == me && s.content["msgtype"] == "m.file").await;
    assert_ne!(file.room, room, "it comes privately");
    assert!(file.encrypted, "in an encrypted room");
    assert_eq!(file.content["m.mentions"], serde_json::json!({}), "the file event pings nobody: {}", file.content);
    assert_eq!(file.content["info"]["mimetype"], "application/json", "a JSON file says so: {}", file.content);
    assert_eq!(file.content["body"], "attune-my-data.json");
    bot.stop().await;
    host.stop().await;
    alice.stop().await;
}

/// Issue 16 §8: two members with the same display name are told apart as
/// clients tell them apart, by their user id, in what attune writes in the room.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_members_with_one_display_name_are_told_apart_by_their_user_ids() {
    let c = circle_room("twins", false).await;
    let (bob, cara) = (&c.members[1], &c.members[2]);
    for m in [bob, cara] {
        m.client.account().set_display_name(Some("mara")).await.unwrap();
    }
    for m in [bob, cara] {
        let who = m.id.clone();
        c.host.wait_for(0, "the new name", |s| s.kind == "m.room.member" && s.sender == who && s.content["displayname"] == "mara").await;
    }
    gather(&c).await;
    let bot = c.bot.id.clone();
    let joined: Vec<String> =
        c.host.seen().into_iter().filter(|s| s.sender == bot && s.body().contains("has joined")).map(|s| s.body().to_owned()).collect();
    for m in [bob, cara] {
        assert!(joined.iter().any(|b| b.contains(&format!("mara ({})", m.id))), "{} is named with their user id: {joined:?}", m.id);
    }
    let alice = &c.members[0];
    assert!(!joined.iter().any(|b| b.contains(&format!("({})", alice.id))), "a name nobody shares stays as it is: {joined:?}");
    let mut bot = c.bot;
    bot.stop().await;
    for m in std::iter::once(c.host).chain(c.members) {
        m.stop().await;
    }
}

/// Issue 16 §6: after a lost store the account keeps its cross-signing identity
/// and the new device is not signed by it; doctor says so, and where to look.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_lost_store_doctor_says_the_new_device_is_not_signed_and_the_reset_with_the_password_signs_it() {
    let mut bot = Bot::new("lost-store").await;
    let first = bot.device();
    bot.stop().await;
    std::fs::remove_dir_all(bot.dir.path().join("matrix")).unwrap();
    bot.start().await;
    assert_ne!(bot.device(), first, "a new device, logged in again with the password");
    bot.stop().await;
    let dir = bot.dir.path();
    std::fs::write(
        dir.join("attune.toml"),
        format!(
            "[database]\npath = \"{}\"\n[matrix]\nenabled = true\nhomeserver = \"{}\"\nuser = \"{}\"\nallowed_servers = [\"{SERVER}\"]\n",
            dir.join("attune.db").display(),
            synapse().url,
            bot.id
        ),
    )
    .unwrap();
    let out = crate::cli::attune(dir).arg("--config").arg(dir.join("attune.toml")).arg("doctor").output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("this device is NOT signed by the account's cross-signing keys"), "{said}");
    assert!(said.contains("Verifying attune's device"), "it says where to read on: {said}");

    // The reset, with the password: a new identity that signs this device.
    let reset = |password: Option<&str>| {
        let mut cmd = crate::cli::attune(dir);
        cmd.arg("--config").arg(dir.join("attune.toml")).arg("matrix-reset-identity");
        if let Some(p) = password {
            cmd.env("ATTUNE_MATRIX_PASSWORD", p);
        }
        cmd.output().unwrap()
    };
    let without = reset(None);
    assert_eq!(without.status.code(), Some(78), "{}", String::from_utf8_lossy(&without.stderr));
    assert!(String::from_utf8_lossy(&without.stderr).contains("ATTUNE_MATRIX_PASSWORD"));
    let done = reset(Some(&bot.password));
    let told = format!("{}{}", String::from_utf8_lossy(&done.stdout), String::from_utf8_lossy(&done.stderr));
    assert!(done.status.success(), "{told}");
    assert!(told.contains("verify it again") && !told.contains(&bot.password), "{told}");
    let out = crate::cli::attune(dir).arg("--config").arg(dir.join("attune.toml")).arg("doctor").output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("this device is signed by the account's cross-signing keys"), "{said}");
    // And attune starts again on it, the same device.
    let device = bot.device_after_start().await;
    assert_eq!(device, saved_device(&bot), "the same device as before the reset");
    bot.stop().await;
}

/// Issue 16 §7: in an encrypted room `floor hold` works as nudge. A level for
/// `m.room.encrypted` would also stop listeners passing or leaving, so the
/// power levels stay as they are, the template change says so, and a
/// listener who posts during a turn gets the gentle private note.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_an_encrypted_room_floor_hold_works_as_nudge_and_changes_no_power_level() {
    let c = circle_room("enc-hold", true).await;
    let me = c.bot.id.clone();
    let original = power_levels_of(&c.host, &c.room).await;
    c.host.say(&c.room, "!attune template set standard floor hold").await;
    let told = c.host.wait_for(0, "the template is changed", |s| s.sender == me && s.body().contains("floor is now hold")).await;
    assert!(told.body().contains("In an encrypted room hold works like nudge"), "{}", told.body());
    let root = gather(&c).await;
    c.host.say_in_thread(&c.room, &root, "!attune circle start").await;
    let first = c.host.wait_for(0, "the first turn", |s| s.sender == me && s.offer("done").is_some()).await;
    let speaker = first_pill(&first).unwrap();
    let listener = c.members.iter().find(|m| m.id != speaker).unwrap();
    listener.say_in_thread(&c.room, &root, "can I say something").await;
    listener.wait_for(0, "the floor note", |s| s.sender == me && s.room != c.room && s.body().contains("has the floor")).await;
    assert_eq!(power_levels_of(&c.host, &c.room).await, original, "nothing about power changed");
    let Circle { host, members, mut bot, .. } = c;
    bot.stop().await;
    host.stop().await;
    for m in members {
        m.stop().await;
    }
}

async fn redact(member: &Member, room: &str, event: &str) {
    let room = member.wait_for_room(room).await;
    let id = matrix_sdk::ruma::OwnedEventId::try_from(event).unwrap();
    room.redact(&id, None, None).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_time_by_reaction_is_taken_back_when_its_sender_redacts_the_reaction_and_only_then() {
    let c = circle_room("unextend", false).await;
    let root = gather(&c).await;
    c.host.say_in_thread(&c.room, &root, "!attune circle start").await;
    let bot = c.bot.id.clone();
    // ✅ through the check-in round, to the first sharing turn (the one that offers more time).
    let mut ended = std::collections::HashSet::new();
    let (turn, speaker) = loop {
        let turn = c.host.wait_for(0, "a turn", |s| s.sender == bot && s.offer("done").is_some() && !ended.contains(&s.event_id)).await;
        let speaker = c.members.iter().find(|m| Some(&m.id) == first_pill(&turn).as_ref()).unwrap();
        if turn.offer("extend").is_some() {
            break (turn, speaker);
        }
        ended.insert(turn.event_id.clone());
        speaker.react(&c.room, &turn.event_id, &turn.offer("done").unwrap().0).await;
        assert!(ended.len() < 10, "a sharing turn begins");
    };
    let (key, _) = turn.offer("extend").unwrap();
    let reaction = speaker.react(&c.room, &turn.event_id, &key).await;
    c.host.wait_for(0, "more time, said in the circle", |s| s.sender == bot && s.body().contains("a little more time")).await;

    // Someone else (the room's creator, who may redact anything) redacting it takes back nothing.
    redact(&c.host, &c.room, &reaction).await;
    handled_so_far(&c.host, &c.room, &bot).await;
    assert!(
        !c.host.seen().iter().any(|s| s.sender == bot && s.body().contains("usual length")),
        "only the member who asked for more time can take it back"
    );

    // The speaker's own redaction does.
    let before = c.host.seen().len();
    redact(speaker, &c.room, &reaction).await;
    let back = c.host.wait_for(before, "the turn back to its usual length", |s| s.sender == bot && s.body().contains("usual length")).await;
    assert_eq!(back.thread_root(), Some(root.as_str()), "said in the circle's thread");
    // Once taken back, more time can be asked for again, and taken back again.
    let again = speaker.react(&c.room, &turn.event_id, &key).await;
    c.host.wait_for(before, "more time again", |s| s.sender == bot && s.body().contains("a little more time")).await;
    let mid = c.host.seen().len();
    redact(speaker, &c.room, &again).await;
    c.host.wait_for(mid, "back to its usual length again", |s| s.sender == bot && s.body().contains("usual length")).await;
    // A short `!pass` in a thread that isn't the circle's still reaches the circle.
    let elsewhere = c.host.say(&c.room, "a thread about something else").await;
    speaker.say_in_thread(&c.room, &elsewhere, "!pass").await;
    c.host.wait_for(mid, "the speaker passes", |s| s.sender == bot && s.body().contains("is passing this turn")).await;
    assert_no_pings(&bot, &[&c.host, &c.members[0], &c.members[1], &c.members[2]]);
    let Circle { host, members, mut bot, .. } = c;
    bot.stop().await;
    host.stop().await;
    for m in members {
        m.stop().await;
    }
}
