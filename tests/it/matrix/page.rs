//! The moderator page with Matrix, against a real Synapse: `!attune dashboard`
//! in a moderator's DM gives a link, the homeserver's power levels say (at
//! every click) who moderates, and one whose power is taken away is signed
//! out.

use std::time::Instant;

use serde_json::json;

use super::*;
use crate::web::{csrf_of, send, token};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moderator_by_power_signs_in_from_a_dm_link_and_is_signed_out_when_the_power_goes() {
    let mut bot = Bot::registered("page-attune");
    // The room's creator (who can't be demoted in room version 12) makes mara a moderator.
    let host = Member::new("page-host").await;
    let mara = Member::new("page-mara").await;
    let nico = Member::new("page-nico").await;
    mara.client.account().set_display_name(Some("Mara B.")).await.unwrap();
    let room = host.create_room(&[&bot.id, &mara.id, &nico.id], false).await;
    mara.wait_for(0, "mara is in", membership(&room, &mara.id, "join")).await;
    nico.wait_for(0, "nico is in", membership(&room, &nico.id, "join")).await;
    let mut levels = power_levels_of(&host, &room).await;
    levels["users"][&mara.id] = json!(50);
    levels["users"][&nico.id] = json!(50);
    host.wait_for_room(&room).await.send_state_event_raw("m.room.power_levels", "", levels).await.unwrap();
    wait_for_levels(&mara, &room, "mara and nico at 50", |l| l["users"][&mara.id] == json!(50) && l["users"][&nico.id] == json!(50)).await;

    // attune with the page on, as `attune run` starts it.
    let store = Store::open(&bot.dir.path().join("attune.db")).await.unwrap();
    let (outlets, rx) = Outlets::single(Platform::Matrix);
    let start = "2026-01-05T18:00:00Z".parse().unwrap();
    let (engine, resumed) =
        Engine::start(store, Clock::manual(start), Config::default().content().unwrap(), Seed::Fixed(7), outlets).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let passes = engine.open_page(&base);
    let running = matrix::start(engine.clone(), resumed, rx, bot.options()).await.unwrap();
    let router = attune::web::router(engine.clone(), passes, vec![(Platform::Matrix, running.vouch())]).unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    bot.running = Some(running);

    let me = bot.id.clone();
    mara.wait_for(0, "attune joins", membership(&room, &me, "join")).await;
    let before = mara.seen().len();
    mara.say(&room, "!attune timezone Europe/Lisbon").await;
    mara.wait_for(before, "an answer", |s| s.sender == me && s.room != room).await;
    let dm = dm_with(&mara, &me).await;
    let before = mara.seen().len();
    mara.say(&dm, "!attune dashboard").await;
    let answer = mara.wait_for(before, "the link", |s| s.sender == me && s.room == dm && s.body().contains("/sign-in/")).await;
    let body = answer.body();
    let link = body.split_whitespace().find(|w| w.contains("/sign-in/")).unwrap().to_owned();
    let signed = send("POST", &format!("{base}/sign-in"), None, &[("token", &token(&link))]).await;
    assert_eq!(signed.status, 303, "{}", signed.body);
    let cookie = signed.cookie().unwrap();
    let decks = send("GET", &format!("{base}/decks"), Some(&cookie), &[]).await;
    assert_eq!(decks.status, 200, "{}", decks.body);
    assert!(decks.body.contains("Signed in as Mara B."), "the name the room knows her by: {}", decks.body);
    let csrf = csrf_of(&decks.body);
    let set =
        send("POST", &format!("{base}/settings"), Some(&cookie), &[("csrf", &csrf), ("key", "open-per-member"), ("value", "3")]).await;
    assert_eq!(set.status, 303);
    let shown = send("GET", &format!("{base}/settings"), Some(&cookie), &[]).await;
    assert!(shown.body.contains("open-per-member</th><td>3"), "{}", shown.body);

    // The room's creator takes mara's power away: her next click signs her out.
    let mut levels = power_levels_of(&host, &room).await;
    levels["users"][&mara.id] = json!(0);
    host.wait_for_room(&room).await.send_state_event_raw("m.room.power_levels", "", levels).await.unwrap();
    let started = Instant::now();
    loop {
        let after = send("GET", &format!("{base}/decks"), Some(&cookie), &[]).await;
        if after.status == 403 {
            assert!(after.body.contains("Only moderators"));
            break;
        }
        assert!(started.elapsed() < PATIENCE, "still signed in after losing the power to moderate");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    // nico is kicked: his power level stays in the room's state, but he moderates
    // nothing there any more, and a link isn't his to have.
    let before = nico.seen().len();
    nico.say(&room, "!attune timezone Europe/Lisbon").await;
    nico.wait_for(before, "an answer", |s| s.sender == me && s.room != room).await;
    let nico_dm = dm_with(&nico, &me).await;
    let kicked = matrix_sdk::ruma::OwnedUserId::try_from(nico.id.as_str()).unwrap();
    host.wait_for_room(&room).await.kick_user(&kicked, Some("testing")).await.unwrap();
    let out = room.clone();
    host.wait_for(0, "nico is out", move |s| s.room == out && s.kind == "m.room.member" && s.content["membership"] == "leave").await;
    let started = Instant::now();
    loop {
        let before = nico.seen().len();
        nico.say(&nico_dm, "!attune dashboard").await;
        let answer = nico.wait_for(before, "an answer", |s| s.sender == me && s.room == nico_dm).await;
        if answer.body().contains("Only moderators") {
            break;
        }
        assert!(!answer.body().contains("/sign-in/") || started.elapsed() < PATIENCE, "a kicked moderator still gets links");
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    bot.stop().await;
    host.stop().await;
    mara.stop().await;
    nico.stop().await;
}
