//! Scheduled circles in the server's Events: a scheduled circle becomes a Guild
//! Scheduled Event, moves with it, goes live when it begins, is completed when
//! it ends and cancelled when it is cancelled; people who marked it interested
//! get the reminder; without Manage Events circles are scheduled as before. The
//! fake holds Discord's rules for events (fields, start in the future, status
//! changes, the permission).

use serde_json::{Value, json};

use super::fake::{BOT_PERMISSIONS, CHANNEL, Chan, GUILD, MANAGE_EVENTS, User};
use super::{Bot, people};

const VOICE: u64 = 900_000_000_000_000_201;
/// The engine's clock at start (`Bot::start_configured`).
const START: &str = "2026-01-05T18:00:00Z";

fn option(name: &str, value: &str) -> Value {
    json!([{ "name": name, "type": 3, "value": value }])
}

/// Opens a circle titled `title` (with more `options`) and returns where it runs.
async fn opened(bot: &Bot, host: &User, title: &str, mut options: Vec<Value>) -> u64 {
    options.push(json!({ "name": "title", "type": 3, "value": title }));
    bot.circle(host, "open", Value::Array(options)).await;
    bot.place()
}

async fn joins(bot: &Bot, place: u64, who: &User) {
    bot.circle_in(place, who, "join", json!([])).await;
    let id = bot.fake.slash_in(place, who, "agree", json!([]));
    bot.fake.answered(id).await;
}

fn status(event: &Value) -> u64 {
    event["status"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_circle_is_an_event_that_moves_goes_live_and_completes_and_interested_people_are_reminded() {
    let (host, alice, bob, cara) = people();
    let bot = Bot::start(&[&host, &alice, &bob, &cara]).await;
    bot.fake.set_events_now(START.parse().unwrap());
    let place = opened(&bot, &host, "Tuesday circle", Vec::new()).await;
    assert!(bot.fake.events().is_empty(), "an open circle is not an event");

    bot.circle_in(place, &host, "schedule", option("when", "in 2h")).await;
    let events = bot.fake.events();
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0];
    assert_eq!(event["name"], "Tuesday circle");
    assert_eq!(event["entity_type"], 3, "a thread is an 'elsewhere' event");
    assert_eq!(status(event), 1);
    assert_eq!(
        event["scheduled_start_time"].as_str().unwrap().parse::<jiff::Timestamp>().unwrap(),
        "2026-01-05T20:00:00Z".parse().unwrap()
    );
    let location = event["entity_metadata"]["location"].as_str().unwrap();
    assert!(location.ends_with(&format!("/{place}")), "the location links the circle's thread: {location}");
    assert!(event["description"].as_str().is_some_and(|d| d.contains("/circle join")), "{event}");

    // Scheduled again: the same event moves.
    bot.circle_in(place, &host, "schedule", option("when", "in 3h")).await;
    let events = bot.fake.events();
    assert_eq!(events.len(), 1, "moved, not listed twice: {events:?}");
    assert_eq!(
        events[0]["scheduled_start_time"].as_str().unwrap().parse::<jiff::Timestamp>().unwrap(),
        "2026-01-05T21:00:00Z".parse().unwrap()
    );
    let id: u64 = events[0]["id"].as_str().unwrap().parse().unwrap();

    joins(&bot, place, &alice).await;
    joins(&bot, place, &bob).await;
    bot.fake.mark_interested(id, cara.id);
    bot.fake.mark_interested(id, alice.id);
    // The reminder, ten minutes before.
    let before = bot.fake.posted().len();
    bot.engine.advance(3 * 3600 - 600).await.unwrap();
    bot.fake.settle().await;
    let dms: Vec<_> = bot.fake.posted().into_iter().skip(before).filter(|p| p.to.is_some()).collect();
    let to = |u: &User| dms.iter().filter(|p| p.to == Some(u.id)).map(|p| p.content()).collect::<Vec<_>>();
    assert!(to(&cara).len() == 1 && to(&cara)[0].contains("Tuesday circle") && to(&cara)[0].contains("marked as interested"), "{dms:?}");
    assert_eq!(to(&alice).len(), 1, "alice, in the circle and interested, gets one reminder: {:?}", to(&alice));
    assert!(!to(&alice)[0].contains("marked as interested"), "hers is the member's: {:?}", to(&alice));

    // It begins: the event is live; it ends: the event is completed.
    bot.engine.advance(600).await.unwrap();
    bot.fake.settle().await;
    assert_eq!(status(&bot.fake.events()[0]), 2, "the event is live once the circle begins");
    bot.circle_in(place, &host, "end", json!([])).await;
    assert_eq!(status(&bot.fake.events()[0]), 3, "the event is completed when the circle ends");
    let community = attune::core::ids::CommunityId::parse(attune::core::ids::Platform::Discord, &super::fake::GUILD.to_string()).unwrap();
    assert_eq!(bot.engine.ledger().listing(&community, attune::core::ids::CircleId(1)).await.unwrap(), None, "forgotten once done");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_voice_circle_is_a_voice_event_and_one_closed_before_it_began_cancels_its_event() {
    let (host, alice, _, _) = people();
    let fake = super::fake::Fake::start().await;
    fake.add_user(&host);
    fake.add_user(&alice);
    fake.add_channel(VOICE, Chan::voice("circle-voice"));
    let bot = Bot::start_on(fake, tempfile::tempdir().unwrap(), true).await;
    bot.fake.set_events_now(START.parse().unwrap());
    let place = opened(&bot, &host, "Evening voice", vec![json!({ "name": "voice", "type": 7, "value": VOICE.to_string() })]).await;
    bot.circle_in(place, &host, "schedule", option("when", "in 1h")).await;
    let events = bot.fake.events();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["entity_type"], 2, "a voice event");
    assert_eq!(events[0]["channel_id"], VOICE.to_string());
    // A host closes it before it began: the event is cancelled.
    bot.circle_in(place, &host, "end", json!([])).await;
    assert_eq!(status(&bot.fake.events()[0]), 4, "cancelled with the circle");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_manage_events_a_circle_is_scheduled_as_before_with_no_event() {
    let (host, _, _, _) = people();
    let bot = Bot::start(&[&host]).await;
    bot.fake.set_events_now(START.parse().unwrap());
    bot.fake.set_bot_permissions(BOT_PERMISSIONS & !MANAGE_EVENTS);
    let place = opened(&bot, &host, "Quiet circle", Vec::new()).await;
    bot.circle_in(place, &host, "schedule", option("when", "in 1h")).await;
    assert!(bot.fake.events().is_empty());
    let tried = bot.fake.requests().iter().filter(|r| r.method == "POST" && r.path.ends_with("/scheduled-events")).count();
    assert_eq!(tried, 1, "Discord was asked once and said no");
    let said = bot.fake.posted().into_iter().rev().find(|p| p.channel == place).map(|p| p.content()).unwrap_or_default();
    assert!(said.contains("This circle will begin at"), "the circle is scheduled as before: {said}");
    assert_ne!(CHANNEL, place);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_deleted_by_hand_is_listed_anew_when_the_circle_moves_and_a_circle_not_everyone_can_see_is_not_listed() {
    let (host, alice, bob, cara) = people();
    let bot = Bot::start(&[&host, &alice, &bob, &cara]).await;
    bot.fake.set_events_now(START.parse().unwrap());
    let place = opened(&bot, &host, "Moved circle", Vec::new()).await;
    bot.circle_in(place, &host, "schedule", option("when", "in 2h")).await;
    let first: u64 = bot.fake.events()[0]["id"].as_str().unwrap().parse().unwrap();
    bot.fake.delete_event(first);
    bot.circle_in(place, &host, "schedule", option("when", "in 3h")).await;
    let events = bot.fake.events();
    assert_eq!(events.len(), 1, "listed anew: {events:?}");
    assert_ne!(events[0]["id"], first.to_string());

    // A removed member who marked it interested hears nothing from attune about it.
    joins(&bot, place, &alice).await;
    joins(&bot, place, &bob).await;
    joins(&bot, place, &cara).await;
    bot.circle_in(place, &host, "remove", json!([{ "name": "member", "type": 3, "value": cara.mention() }])).await;
    let id: u64 = events[0]["id"].as_str().unwrap().parse().unwrap();
    bot.fake.mark_interested(id, cara.id);
    let before = bot.fake.posted().len();
    bot.engine.advance(3 * 3600 - 600).await.unwrap();
    bot.fake.settle().await;
    let to_cara: Vec<String> = bot.fake.posted().into_iter().skip(before).filter(|p| p.to == Some(cara.id)).map(|p| p.content()).collect();
    assert!(to_cara.is_empty(), "no reminder for someone a host removed: {to_cara:?}");
    bot.circle_in(place, &host, "end", json!([])).await;

    // In a channel @everyone can't see, the circle isn't listed (Events shows to the whole server).
    bot.fake.moderator_sets_overwrite(CHANNEL, GUILD, 0, 0, 0x400);
    let hidden = opened(&bot, &host, "Private circle", Vec::new()).await;
    let before = bot.fake.events().len();
    bot.circle_in(hidden, &host, "schedule", option("when", "in 1h")).await;
    assert_eq!(bot.fake.events().len(), before, "nothing listed for a hidden channel");
    bot.stop().await;
}
