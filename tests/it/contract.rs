//! The adapter contract, through the real engine and SQLite: ids that carry
//! their platform, answers tied to their input, private input and its
//! community, and deliveries that failed.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::Path;

use attune::config::Config;
use attune::core::command::{self, Command};
use attune::core::delivery::{Failed, Reason};
use attune::core::effect::{Kind, Message};
use attune::core::ids::{ChannelId, CommunityId, MemberRef, Platform};
use attune::core::input::{Actor, Input, Place};
use attune::engine::{Answer, Clock, Delivery, Engine, Outgoing, Outlets, Route, Seed};
use attune::store::Store;
use tokio::sync::mpsc::Receiver;

use super::support::t0;

pub struct Two {
    pub engine: Engine,
    pub console: Receiver<Outgoing>,
    pub discord: Receiver<Outgoing>,
}

/// An engine serving the console and Discord at once, on a manual clock.
pub async fn two_platforms(path: &Path) -> Two {
    let store = Store::open(path).await.expect("the store opens");
    let mut outlets = Outlets::new();
    let console = outlets.add(Platform::Console);
    let discord = outlets.add(Platform::Discord);
    let defaults = Config::default().content().expect("content");
    let (engine, _) = Engine::start(store, Clock::manual(t0()), defaults, Seed::Fixed(3), outlets).await.expect("start");
    Two { engine, console, discord }
}

pub fn community(p: Platform, raw: &str) -> CommunityId {
    CommunityId::parse(p, raw).expect("id")
}

pub fn person(p: Platform, user: &str, moderator: bool) -> Actor {
    Actor { member: MemberRef::parse(p, user).expect("id"), display: format!("{user} on {}", p.as_str()), moderator, host: false }
}

pub fn in_channel(p: Platform, raw: &str) -> Place {
    Place::Channel(ChannelId::parse(p, raw).expect("id"))
}

pub async fn cmd(engine: &Engine, c: &CommunityId, who: &Actor, place: Place, line: &str) -> Answer {
    let command = command::parse(line).expect("a valid command");
    engine.submit(c, Input::Command { actor: who.clone(), place, command }, None).await.expect("applied")
}

pub fn drain(rx: &mut Receiver<Outgoing>) -> Vec<Outgoing> {
    let mut v = Vec::new();
    while let Ok(o) = rx.try_recv() {
        v.push(o);
    }
    v
}

fn ids(ds: &[Delivery]) -> Vec<&'static str> {
    ds.iter()
        .filter_map(|d| match d {
            Delivery::Say { message, .. } | Delivery::Whisper { message, .. } => Some(message),
            _ => None,
        })
        .flat_map(|m| m.lines.iter().map(|l| l.id))
        .collect()
}

fn whispers_to<'a>(ds: &'a [Delivery], who: &MemberRef) -> Vec<&'a Message> {
    ds.iter()
        .filter_map(|d| match d {
            Delivery::Whisper { to, message } if to == who => Some(message),
            _ => None,
        })
        .collect()
}

/// A started circle with `host` and two members, in `room` of community `c`.
async fn started(engine: &Engine, c: &CommunityId, p: Platform, room: &str, users: [&str; 3]) {
    let host = person(p, users[0], true);
    cmd(engine, c, &host, in_channel(p, room), "circle open").await;
    for u in users {
        let a = person(p, u, u == users[0]);
        cmd(engine, c, &a, in_channel(p, room), "circle join").await;
        cmd(engine, c, &a, Place::Private, "agree").await;
    }
    cmd(engine, c, &host, in_channel(p, room), "circle start").await;
}

#[tokio::test]
async fn two_platforms_with_the_same_raw_ids_stay_apart_and_each_delivery_reaches_its_own_adapter() {
    let dir = tempfile::tempdir().unwrap();
    let mut two = two_platforms(&dir.path().join("a.db")).await;
    let (on_console, on_discord) = (community(Platform::Console, "7"), community(Platform::Discord, "7"));
    started(&two.engine, &on_console, Platform::Console, "7", ["1", "2", "3"]).await;
    started(&two.engine, &on_discord, Platform::Discord, "7", ["1", "2", "3"]).await;
    assert!(drain(&mut two.console).is_empty() && drain(&mut two.discord).is_empty(), "what a submit caused came back to it");

    two.engine.advance(600).await.unwrap();
    let console = drain(&mut two.console);
    let discord = drain(&mut two.discord);
    assert!(!console.is_empty() && !discord.is_empty(), "both circles moved on with the clock");
    for (out, p) in [(&console, Platform::Console), (&discord, Platform::Discord)] {
        for o in out.iter() {
            assert_eq!(o.community.platform(), p, "a delivery reached the wrong adapter: {o:?}");
            match &o.delivery {
                Delivery::Say { channel, .. }
                | Delivery::Floor { channel, .. }
                | Delivery::Leave { channel }
                | Delivery::Invite { channel, .. } => {
                    assert_eq!(channel.platform(), p)
                }
                Delivery::Whisper { to, .. } | Delivery::OpenSupport { member: to, .. } => assert_eq!(to.platform(), p),
                Delivery::Listing { .. } => {}
            }
        }
    }
    let stored = two.engine.store().communities().await.unwrap();
    assert_eq!(stored, vec![on_console.clone(), on_discord.clone()], "two communities, not one");
    let a = two.engine.store().load(&on_console, None).await.unwrap().unwrap();
    let b = two.engine.store().load(&on_discord, None).await.unwrap().unwrap();
    assert!(a.members.iter().all(|(m, _)| m.platform() == Platform::Console));
    assert!(b.members.iter().all(|(m, _)| m.platform() == Platform::Discord));
}

#[tokio::test]
async fn an_answer_carries_everything_its_input_caused_in_order_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let mut two = two_platforms(&dir.path().join("a.db")).await;
    let c = community(Platform::Discord, "g");
    let host = person(Platform::Discord, "h", true);
    let open = cmd(&two.engine, &c, &host, in_channel(Platform::Discord, "t"), "circle open").await;
    assert!(matches!(open.deliveries.as_slice(), [Delivery::Invite { .. }]), "the invitation answers the open: {open:?}");
    let bob = person(Platform::Discord, "b", false);
    let join = cmd(&two.engine, &c, &bob, in_channel(Platform::Discord, "t"), "circle join").await;
    assert_eq!(
        ids(&join.deliveries),
        ["checks-notice", "agreements-intro", "agreements", "agreements-ask"],
        "the agreements come back to bob's own interaction"
    );
    assert_eq!(join.private_to(&bob.member).count(), join.deliveries.len(), "all of it for bob alone");
    let agree = cmd(&two.engine, &c, &bob, Place::Private, "agree").await;
    let said: Vec<&str> = agree.deliveries.iter().map(|d| if matches!(d, Delivery::Say { .. }) { "public" } else { "private" }).collect();
    assert_eq!(said, ["private", "public"], "in the order the core said them, public and private together: {agree:?}");
    assert!(drain(&mut two.discord).is_empty(), "nothing an input caused also goes through the outlet");
}

#[tokio::test]
async fn private_commands_find_their_community_or_ask_and_my_data_and_forget_me_cover_them_all() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.db");
    let (a, b) = (community(Platform::Discord, "guild-a"), community(Platform::Discord, "guild-b"));
    let console = community(Platform::Console, "guild-a");
    let bob = person(Platform::Discord, "bob", false);
    let bob_on_console = person(Platform::Console, "bob", false);
    {
        let two = two_platforms(&path).await;
        let e = &two.engine;
        cmd(e, &a, &bob, in_channel(Platform::Discord, "room"), "timezone Europe/Lisbon").await;
        assert_eq!(e.route_private(&bob.member).await.unwrap(), Route::One(a.clone()), "the community bob just used");
        cmd(e, &console, &bob_on_console, in_channel(Platform::Console, "room"), "timezone Asia/Tokyo").await;
        e.shutdown().await;
    }
    // A new process remembers nothing in memory: the store says bob is known in one Discord community.
    let two = two_platforms(&path).await;
    let e = &two.engine;
    assert_eq!(e.route_private(&bob.member).await.unwrap(), Route::One(a.clone()), "a console record is another platform's");
    let reflect = || command::parse("reflect").unwrap();
    let answer = e.submit_private(None, bob.clone(), reflect(), None).await.unwrap();
    assert!(answer.private_to(&bob.member).any(|m| m.kind == Kind::Card), "a private card from the one community: {answer:?}");

    cmd(e, &b, &bob, Place::Private, "timezone Europe/Paris").await;
    e.shutdown().await;
    let two = two_platforms(&path).await;
    let e = &two.engine;
    assert_eq!(e.route_private(&bob.member).await.unwrap(), Route::Ask(vec![a.clone(), b.clone()]));
    let answer = e.submit_private(None, bob.clone(), reflect(), None).await.unwrap();
    assert_eq!(ids(&answer.deliveries), ["private-which-community"], "ambiguous: ask, privately, never guess");
    assert!(matches!(&answer.deliveries[0], Delivery::Whisper { to, .. } if *to == bob.member));
    let answer = e.submit_private(Some(b.clone()), bob.clone(), reflect(), None).await.unwrap();
    assert!(answer.private_to(&bob.member).any(|m| m.kind == Kind::Card), "the adapter's community is used as given");
    cmd(e, &b, &bob, in_channel(Platform::Discord, "room"), "help").await;
    assert_eq!(e.route_private(&bob.member).await.unwrap(), Route::One(b.clone()), "the last community used decides");

    let stranger = person(Platform::Discord, "nobody", false);
    let answer = e.submit_private(None, stranger.clone(), reflect(), None).await.unwrap();
    assert_eq!(ids(&answer.deliveries), ["private-no-community"]);
    assert!(e.store().communities_of(&stranger.member).await.unwrap().is_empty(), "asking leaves no record");

    let data = e.submit_private(None, bob.clone(), Command::MyData, None).await.unwrap();
    let file = data.private_to(&bob.member).find_map(|m| m.attachment.clone()).expect("one file");
    let json: serde_json::Value = serde_json::from_str(&file.content).unwrap();
    let listed: Vec<&str> = json["communities"].as_array().unwrap().iter().map(|c| c["community"].as_str().unwrap()).collect();
    assert_eq!(listed, ["discord:guild-a", "discord:guild-b"], "one answer covers every Discord community, and no console one");
    assert_eq!(data.private_to(&bob.member).count(), 1, "in one message");

    let ask = e.submit_private(None, bob.clone(), Command::ForgetMe { confirm: false }, None).await.unwrap();
    assert_eq!(ask.private_to(&bob.member).count(), 1, "one question: {ask:?}");
    let confirm = e.submit_private(None, bob.clone(), Command::ForgetMe { confirm: true }, None).await.unwrap();
    assert_eq!(confirm.private_to(&bob.member).count(), 1, "one confirmation, not one per community: {confirm:?}");
    assert!(e.store().communities_of(&bob.member).await.unwrap().is_empty(), "forgotten in every Discord community");
    assert_eq!(
        e.store().communities_of(&bob_on_console.member).await.unwrap(),
        vec![console],
        "a console member who shares the raw id is someone else"
    );
}

#[tokio::test]
async fn a_crisis_card_that_never_arrived_does_not_start_the_quiet_period() {
    let dir = tempfile::tempdir().unwrap();
    let two = two_platforms(&dir.path().join("a.db")).await;
    let e = &two.engine;
    let c = community(Platform::Discord, "g");
    let amy = person(Platform::Discord, "amy", false);
    let chat = |text: &str| Input::Chat { actor: amy.clone(), place: in_channel(Platform::Discord, "t"), text: text.into() };
    let first = e.submit(&c, chat("some days I want to die"), None).await.unwrap();
    assert!(first.private_to(&amy.member).any(|m| m.kind == Kind::Crisis), "the resources are offered: {first:?}");

    let failed =
        Input::DeliveryFailed { what: Failed::Whisper { to: amy.member.clone(), kind: Kind::Crisis }, reason: Reason::PrivateClosed };
    e.submit(&c, failed, None).await.unwrap();
    let again = e.submit(&c, chat("I still want to die"), None).await.unwrap();
    assert!(again.private_to(&amy.member).any(|m| m.kind == Kind::Crisis), "offered again, since the first never arrived: {again:?}");

    let third = e.submit(&c, chat("I want to die"), None).await.unwrap();
    assert!(!third.private_to(&amy.member).any(|m| m.kind == Kind::Crisis), "a card that arrived starts the quiet period");
}

#[tokio::test]
async fn a_support_page_that_never_arrived_is_not_a_cooldown_and_the_member_is_told() {
    let dir = tempfile::tempdir().unwrap();
    let two = two_platforms(&dir.path().join("a.db")).await;
    let e = &two.engine;
    let c = community(Platform::Discord, "g");
    let amy = person(Platform::Discord, "amy", false);
    let support = cmd(e, &c, &amy, Place::Private, "support").await;
    assert!(support.deliveries.iter().any(|d| matches!(d, Delivery::OpenSupport { .. })));
    let failed = Input::DeliveryFailed { what: Failed::Support { member: amy.member.clone() }, reason: Reason::Platform };
    let told = e.submit(&c, failed, None).await.unwrap();
    assert_eq!(ids(&told.deliveries), ["support-failed"], "the member learns the moderators weren't reached");
    let again = cmd(e, &c, &amy, Place::Private, "support").await;
    assert!(again.deliveries.iter().any(|d| matches!(d, Delivery::OpenSupport { .. })), "asking again pages again: {again:?}");
}

#[tokio::test]
async fn a_host_learns_once_privately_that_a_member_cannot_receive_private_messages() {
    let dir = tempfile::tempdir().unwrap();
    let two = two_platforms(&dir.path().join("a.db")).await;
    let e = &two.engine;
    let c = community(Platform::Discord, "g");
    started(e, &c, Platform::Discord, "t", ["host", "bob", "cat"]).await;
    let bob = MemberRef::parse(Platform::Discord, "bob").unwrap();
    let host = MemberRef::parse(Platform::Discord, "host").unwrap();
    let fail = || Input::DeliveryFailed { what: Failed::Whisper { to: bob.clone(), kind: Kind::Guide }, reason: Reason::PrivateClosed };
    let first = e.submit(&c, fail(), None).await.unwrap();
    let to_host = whispers_to(&first.deliveries, &host);
    assert_eq!(to_host.len(), 1, "{first:?}");
    assert_eq!(to_host[0].lines[0].id, "host-member-unreachable");
    assert!(whispers_to(&first.deliveries, &bob).is_empty(), "bob can't be told privately, and is never told publicly");
    assert!(!first.deliveries.iter().any(|d| matches!(d, Delivery::Say { .. })), "nothing public");
    let second = e.submit(&c, fail(), None).await.unwrap();
    assert!(second.deliveries.is_empty(), "once per circle: {second:?}");
}

#[tokio::test]
async fn host_tools_take_a_mention_or_a_matrix_id_and_never_confuse_look_alike_names() {
    let dir = tempfile::tempdir().unwrap();
    let two = two_platforms(&dir.path().join("a.db")).await;
    let e = &two.engine;
    // On Discord two members show the same name; a mention says exactly which one.
    let g = community(Platform::Discord, "g");
    let host = person(Platform::Discord, "100", true);
    cmd(e, &g, &host, in_channel(Platform::Discord, "t"), "circle open").await;
    for id in ["201", "202"] {
        let a = Actor { member: MemberRef::parse(Platform::Discord, id).unwrap(), display: "Sam".into(), moderator: false, host: false };
        cmd(e, &g, &a, in_channel(Platform::Discord, "t"), "circle join").await;
        cmd(e, &g, &a, Place::Private, "agree").await;
    }
    let before = e.store().load(&g, None).await.unwrap().unwrap().circles.pop_last().unwrap().1;
    let shown: Vec<&str> = before.seats.iter().map(|s| s.display.as_str()).collect();
    assert_eq!(shown, ["Sam", "Sam (2)"], "two seats never look the same");
    let by_mention = cmd(e, &g, &host, in_channel(Platform::Discord, "t"), "circle remove <@!202>").await;
    assert!(!by_mention.private_to(&host.member).any(|m| m.kind == Kind::Refusal), "{by_mention:?}");
    let circle = e.store().load(&g, None).await.unwrap().unwrap().circles.pop_last().unwrap().1;
    let seated: Vec<&str> = circle.seats.iter().map(|s| s.member.user()).collect();
    assert_eq!(seated, ["201"], "the mentioned member, and only them, was removed");

    // On Matrix a user id is exact, even when a display name looks like another id.
    let m = community(Platform::Matrix, "!room:example.org");
    let mhost = Actor {
        member: MemberRef::parse(Platform::Matrix, "@host:example.org").unwrap(),
        display: "host".into(),
        moderator: true,
        host: false,
    };
    let room = in_channel(Platform::Matrix, "!room:example.org");
    cmd(e, &m, &mhost, room.clone(), "circle open").await;
    for (id, shown) in [("@ana:example.org", "ana"), ("@mallory:evil.example", "@ana:example.org")] {
        let a = Actor { member: MemberRef::parse(Platform::Matrix, id).unwrap(), display: shown.into(), moderator: false, host: false };
        cmd(e, &m, &a, room.clone(), "circle join").await;
        cmd(e, &m, &a, Place::Private, "agree").await;
    }
    let out = cmd(e, &m, &mhost, room.clone(), "circle cohost @ana:example.org").await;
    assert!(!out.private_to(&mhost.member).any(|msg| msg.kind == Kind::Refusal), "{out:?}");
    let circle = e.store().load(&m, None).await.unwrap().unwrap().circles.pop_last().unwrap().1;
    let cohosts: Vec<&str> = circle.cohosts.iter().map(|c| c.user()).collect();
    assert_eq!(cohosts, ["@ana:example.org"], "the id, not the look-alike display name");
}

#[tokio::test]
async fn a_cohosts_my_data_says_they_cohosted() {
    let dir = tempfile::tempdir().unwrap();
    let two = two_platforms(&dir.path().join("a.db")).await;
    let e = &two.engine;
    let g = community(Platform::Discord, "g");
    let host = person(Platform::Discord, "1", true);
    let bob = person(Platform::Discord, "2", false);
    cmd(e, &g, &host, in_channel(Platform::Discord, "t"), "circle open").await;
    cmd(e, &g, &bob, in_channel(Platform::Discord, "t"), "circle join").await;
    cmd(e, &g, &bob, Place::Private, "agree").await;
    cmd(e, &g, &host, in_channel(Platform::Discord, "t"), "circle cohost <@2>").await;
    let data = e.submit_private(Some(g.clone()), bob.clone(), Command::MyData, None).await.unwrap();
    let file = data.private_to(&bob.member).find_map(|m| m.attachment.clone()).expect("a file");
    let json: serde_json::Value = serde_json::from_str(&file.content).unwrap();
    let circle = &json["communities"][0]["data"]["circles"][0];
    assert_eq!(circle["you_cohosted"], true, "{json:#}");
    assert_eq!(circle["you_hosted"], false);
}

#[tokio::test]
async fn a_moderator_asks_attune_to_leave_a_matrix_room_only_when_no_circle_is_open_there() {
    let dir = tempfile::tempdir().unwrap();
    let two = two_platforms(&dir.path().join("a.db")).await;
    let e = &two.engine;
    let m = Platform::Matrix;
    let c = community(m, "!circle:example.org");
    let room = || in_channel(m, "!circle:example.org");
    let (moderator, amy) = (person(m, "@mod:example.org", true), person(m, "@amy:example.org", false));
    let leaves = |a: &Answer| a.deliveries.iter().filter(|d| matches!(d, Delivery::Leave { .. })).count();

    let refused = cmd(e, &c, &amy, room(), "leave-room").await;
    assert_eq!(ids(&refused.deliveries), ["refusal-not-moderator"]);
    assert_eq!(leaves(&refused), 0);

    cmd(e, &c, &moderator, room(), "circle open").await;
    let open = cmd(e, &c, &moderator, room(), "leave-room").await;
    assert_eq!(ids(&open.deliveries), ["refusal-leave-while-circle"], "nobody is left mid-circle");
    assert_eq!(leaves(&open), 0);

    let help = cmd(e, &c, &moderator, room(), "help").await;
    assert!(ids(&help.deliveries).contains(&"help-leave-room"), "moderators learn of it on Matrix");
    let help = cmd(e, &c, &amy, room(), "help").await;
    assert!(!ids(&help.deliveries).contains(&"help-leave-room"), "members aren't offered it");

    cmd(e, &c, &moderator, room(), "circle end").await;
    let gone = cmd(e, &c, &moderator, room(), "leave-room").await;
    let ch = ChannelId::parse(m, "!circle:example.org").unwrap();
    let said: Vec<_> = gone
        .deliveries
        .iter()
        .map(|d| match d {
            Delivery::Say { channel, message } if *channel == ch => format!("say {}", message.lines[0].id),
            Delivery::Leave { channel } if *channel == ch => "leave".to_owned(),
            other => format!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(said, ["say leave-room-goodbye", "leave"], "goodbye first, in the room, then leaving it");
    assert!(e.store().load(&c, None).await.unwrap().is_some(), "the community is kept for a later invitation");

    // Discord and the console can't leave one place: a kind refusal, nothing else.
    let g = community(Platform::Discord, "g");
    let discord_mod = person(Platform::Discord, "1", true);
    let no = cmd(e, &g, &discord_mod, in_channel(Platform::Discord, "t"), "leave-room").await;
    assert_eq!(ids(&no.deliveries), ["refusal-cannot-leave-here"]);
    let help = cmd(e, &g, &discord_mod, in_channel(Platform::Discord, "t"), "help").await;
    assert!(!ids(&help.deliveries).contains(&"help-leave-room"));
}

#[tokio::test]
async fn hosts_learn_once_that_a_member_who_asked_to_join_cannot_receive_the_agreements() {
    let dir = tempfile::tempdir().unwrap();
    let two = two_platforms(&dir.path().join("a.db")).await;
    let e = &two.engine;
    let c = community(Platform::Discord, "g");
    let host = person(Platform::Discord, "host", true);
    let bob = person(Platform::Discord, "bob", false);
    cmd(e, &c, &host, in_channel(Platform::Discord, "t"), "circle open").await;
    cmd(e, &c, &bob, in_channel(Platform::Discord, "t"), "circle join").await;
    let fail =
        || Input::DeliveryFailed { what: Failed::Whisper { to: bob.member.clone(), kind: Kind::Info }, reason: Reason::PrivateClosed };
    let first = e.submit(&c, fail(), None).await.unwrap();
    let to_host = whispers_to(&first.deliveries, &host.member);
    assert_eq!(to_host.len(), 1, "{first:?}");
    assert_eq!(to_host[0].lines[0].id, "host-member-unreachable-joining");
    assert!(!first.deliveries.iter().any(|d| matches!(d, Delivery::Say { .. })), "nothing public");
    let second = e.submit(&c, fail(), None).await.unwrap();
    assert!(second.deliveries.is_empty(), "once per circle: {second:?}");
}

/// bob, known in two Discord communities, and an engine started anew on their
/// database (so nothing in memory says which one he last used).
async fn known_in_two() -> (tempfile::TempDir, Two, [CommunityId; 2], Actor) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.db");
    let (a, b) = (community(Platform::Discord, "guild-a"), community(Platform::Discord, "guild-b"));
    let bob = person(Platform::Discord, "bob", false);
    {
        let two = two_platforms(&path).await;
        cmd(&two.engine, &a, &bob, in_channel(Platform::Discord, "room-a"), "timezone Europe/Lisbon").await;
        cmd(&two.engine, &b, &bob, in_channel(Platform::Discord, "room-b"), "timezone Europe/Lisbon").await;
        two.engine.shutdown().await;
    }
    (dir, two_platforms(&path).await, [a, b], bob)
}

#[tokio::test]
async fn chat_in_a_community_never_decides_where_a_private_support_goes_and_a_member_of_two_is_asked() {
    let (_dir, two, [a, b], bob) = known_in_two().await;
    let e = &two.engine;
    // bob only talks in room-b; then, in a DM, asks for a moderator.
    let chat = Input::Chat { actor: bob.clone(), place: in_channel(Platform::Discord, "room-b"), text: "hi all".into() };
    e.submit(&b, chat, None).await.unwrap();
    assert_eq!(e.route_private(&bob.member).await.unwrap(), Route::Ask(vec![a.clone(), b.clone()]), "chat chose nothing");
    let answer = e.submit_private(None, bob.clone(), Command::Support, None).await.unwrap();
    assert_eq!(ids(&answer.deliveries), ["private-which-community"], "asked which community, never paged in one by guess");
    assert!(!answer.deliveries.iter().any(|d| matches!(d, Delivery::OpenSupport { .. })), "nobody was paged");
    // A command used in a community is a choice: the next private command goes there.
    cmd(e, &b, &bob, in_channel(Platform::Discord, "room-b"), "help").await;
    assert_eq!(e.route_private(&bob.member).await.unwrap(), Route::One(b.clone()));
}

#[tokio::test]
async fn a_private_line_that_is_no_command_is_read_for_crisis_words_with_or_without_a_community() {
    let dir = tempfile::tempdir().unwrap();
    let two = two_platforms(&dir.path().join("a.db")).await;
    let e = &two.engine;
    let c = community(Platform::Discord, "g");
    let bob = person(Platform::Discord, "bob", false);
    cmd(e, &c, &bob, in_channel(Platform::Discord, "room"), "help").await;
    let line = "i cant keep going, i want to die tonight";
    let refusal = command::parse(line).expect_err("not a command");
    let said = attune::engine::Said::Bad { refusal: refusal.clone(), text: line.into() };
    let answer = e.submit_private(None, bob.clone(), said, None).await.unwrap();
    assert!(answer.private_to(&bob.member).any(|m| m.kind == Kind::Crisis), "the card reaches bob: {answer:?}");
    // Someone no community knows: the shipped card, once per period; nothing is stored.
    let stranger = person(Platform::Discord, "stranger", false);
    let said = || attune::engine::Said::Bad { refusal: refusal.clone(), text: line.into() };
    let answer = e.submit_private(None, stranger.clone(), said(), None).await.unwrap();
    assert!(answer.private_to(&stranger.member).any(|m| m.kind == Kind::Crisis), "a newcomer gets the card too: {answer:?}");
    let again = e.submit_private(None, stranger.clone(), said(), None).await.unwrap();
    assert!(!again.private_to(&stranger.member).any(|m| m.kind == Kind::Crisis), "not twice in the period: {again:?}");
    assert!(e.store().communities_of(&stranger.member).await.unwrap().is_empty(), "nothing stored about the newcomer");
    let asked = e.submit_private(None, stranger.clone(), Command::ResourcesShow, None).await.unwrap();
    assert!(asked.private_to(&stranger.member).any(|m| m.kind == Kind::Crisis), "resources works without a community");
    // Danger under way is never held back by the card's period.
    let now = attune::engine::Said::Chat("i already took all the pills, its done".into());
    let answer = e.submit_private(None, stranger.clone(), now, None).await.unwrap();
    let texts: Vec<&str> = answer.private_to(&stranger.member).flat_map(|m| m.lines.iter().map(|l| l.id)).collect();
    assert!(texts.iter().any(|id| id.starts_with("crisis-now")), "the imminent card reaches a newcomer within the period: {texts:?}");
    // `crisis off` works without a community, and holds.
    e.submit_private(None, stranger.clone(), command::parse("crisis off").unwrap(), None).await.unwrap();
    let later = e.submit_private(None, stranger.clone(), attune::engine::Said::Chat("i want to die".into()), None).await.unwrap();
    assert!(later.deliveries.is_empty(), "checks off: nothing comes back: {later:?}");
    assert!(e.store().communities_of(&stranger.member).await.unwrap().is_empty(), "and nothing is stored");
}

#[tokio::test]
async fn chat_from_a_member_of_two_communities_is_read_where_they_are_known_and_their_choices_hold() {
    // After a restart nothing says which community bob last chose.
    let (_dir, two, _, bob) = known_in_two().await;
    let e = &two.engine;
    let answer = e.submit_private(None, bob.clone(), attune::engine::Said::Chat("i want to die".into()), None).await.unwrap();
    assert!(answer.private_to(&bob.member).any(|m| m.kind == Kind::Crisis), "the card reaches bob: {answer:?}");
    let now = attune::engine::Said::Chat("i already took all the pills, its done".into());
    let answer = e.submit_private(None, bob.clone(), now, None).await.unwrap();
    let ids: Vec<&str> = answer.private_to(&bob.member).flat_map(|m| m.lines.iter().map(|l| l.id)).collect();
    assert!(ids.iter().any(|id| id.starts_with("crisis-now")), "and the imminent card, within the period: {ids:?}");
}
