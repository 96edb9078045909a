//! One room never stalls another: with attune's messages rate-limited by the
//! homeserver (Synapse's admin override, as a homeserver that doesn't exempt
//! bots would), a flood of commands in one room doesn't hold up a circle in
//! another. Before, one sync's rooms were handled one after another, and the
//! next sync waited for them: the circle's next turn came after the flood's
//! last answer. The figures printed are in BENCHMARKS.md.

use super::*;

/// Commands in the flood (each answered in its room).
const FLOOD: usize = 24;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_in_one_room_does_not_hold_up_a_circle_in_another_when_attune_is_rate_limited() {
    let mut bot = Bot::registered("flood-attune");
    // One message a second after a burst of three.
    synapse().limit_messages("flood-admin", &bot.id, 1, 3);
    bot.start().await;
    let c = circle_room_for(bot, "flood", false).await;
    let root = gather(&c).await;
    let me = c.bot.id.clone();
    c.host.say_in_thread(&c.room, &root, "!attune circle start").await;
    let first = c.host.wait_for(0, "the first turn", |s| s.sender == me && s.offer("done").is_some()).await;

    // Another room, where someone opens and closes circles as fast as they can type.
    let noisy = Member::new("flood-noisy").await;
    let busy = noisy.create_room(&[&me], false).await;
    noisy.wait_for(0, "attune in the busy room", |s| s.room == busy && s.kind == "m.room.member" && s.sender == me).await;
    tokio::time::sleep(Duration::from_secs(4)).await; // the burst refills
    let flood_started = Instant::now();
    for n in 0..FLOOD {
        let line = if n % 2 == 0 { format!("!attune circle open Busy {n}") } else { "!attune circle end".to_owned() };
        noisy.say(&busy, &line).await;
    }
    // Meanwhile the speaker in the circle's room is done.
    let speaker = first_pill(&first).unwrap();
    let who = c.members.iter().find(|m| m.id == speaker).unwrap();
    let before = c.host.seen().len();
    let asked = Instant::now();
    who.say_in_thread(&c.room, &root, "!done").await;
    c.host.wait_for(before, "the next turn", |s| s.sender == me && s.offer("done").is_some() && done_offer(s) != done_offer(&first)).await;
    let next_turn = asked.elapsed();
    let answered_in_busy = noisy.seen().iter().filter(|s| s.room == busy && s.sender == me && s.kind == "m.room.message").count();
    eprintln!(
        "rate-limited (1/s, burst 3): the circle's next turn came {next_turn:.1?} after `done`, while {answered_in_busy} of {FLOOD} answers in the busy room were out ({:.1?} into the flood)",
        flood_started.elapsed()
    );
    assert!(answered_in_busy < FLOOD, "the circle's turn came before the flood's last answer ({answered_in_busy} of {FLOOD} out)");
    // Nothing is dropped: every command in the busy room is answered, in time.
    noisy
        .wait_for(0, "the flood's last answer", |s| s.room == busy && s.sender == me && s.body().contains(&format!("Busy {}", FLOOD - 2)))
        .await;
    eprintln!("the flood's {FLOOD} answers took {:.1?}", flood_started.elapsed());
    let Circle { host, members, mut bot, .. } = c;
    bot.stop().await;
    noisy.stop().await;
    host.stop().await;
    for m in members {
        m.stop().await;
    }
}
