//! `support` on Discord: a private thread with the member and the moderators,
//! added by id (no pings), in the configured support channel or the member's
//! last channel; when nothing can be opened, the member is told plainly.

use serde_json::json;

use super::fake::{CHANNEL, Fake, OWNER, User};
use super::{Bot, fake_posts_in_channel, people};

fn threads_created(fake: &Fake) -> Vec<super::fake::Recorded> {
    fake.requests().into_iter().filter(|r| r.method == "POST" && r.path.ends_with("/threads")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn support_opens_a_private_thread_with_the_member_and_the_moderators_and_pings_nobody() {
    let (host, alice, _, _) = people();
    let bot = Bot::start(&[&host, &alice]).await;
    // The host uses attune with moderator rights, so a support thread can bring them in.
    bot.circle(&host, "status", json!([])).await;
    let public_before = fake_posts_in_channel(&bot);
    bot.slash(&alice, "support", json!([])).await;
    let told = bot.private_to(&alice).last().cloned().expect("an answer");
    assert!(told.ephemeral && told.content().contains("asked the moderators"), "{}", told.content());
    bot.fake.settle().await;
    let fake = bot.stop().await;
    let created = threads_created(&fake);
    assert_eq!(created.len(), 1, "one thread");
    assert_eq!(created[0].path, format!("/api/v10/channels/{CHANNEL}/threads"), "in the channel alice used");
    assert!(created[0].body["type"] == 12 && created[0].body["invitable"] == false, "private: {}", created[0].body);
    let threads = fake.threads();
    let (thread, members) = threads.iter().next().unwrap();
    assert_eq!(members[0], alice.id, "alice first");
    assert!(members.contains(&host.id) && members.contains(&OWNER), "the moderator and the owner are in it: {members:?}");
    assert_eq!(members.len(), 3);
    let intro: Vec<_> = fake.posted().into_iter().filter(|p| p.channel == *thread).collect();
    assert_eq!(intro.len(), 1);
    assert!(
        intro[0].content().contains(&alice.mention()) && intro[0].content().contains("talk with a moderator"),
        "{}",
        intro[0].content()
    );
    // stop() checked allowed_mentions on every message: the mention pings nobody.
    assert_eq!(fake.posted().iter().filter(|p| p.to.is_none() && p.channel == CHANNEL).count(), public_before, "nothing public");
    assert!(fake.posted().iter().all(|p| p.to != Some(host.id) || p.ephemeral), "no DM page is sent besides the thread");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn support_uses_the_configured_channel_and_members() {
    let (_, alice, _, _) = people();
    let on_call = User::new(800_000_000_000_000_077, "oncall");
    const SUPPORT: u64 = 900_000_000_000_000_099;
    let fake = Fake::start().await;
    fake.add_user(&alice);
    let bot = Bot::start_configured(fake, tempfile::tempdir().unwrap(), true, |o| {
        o.section.support_channel = Some(SUPPORT);
        o.section.support_members = vec![on_call.id];
    })
    .await;
    bot.slash(&alice, "support", json!([])).await;
    bot.fake.settle().await;
    let fake = bot.stop().await;
    let created = threads_created(&fake);
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].path, format!("/api/v10/channels/{SUPPORT}/threads"), "in the configured support channel");
    let members = fake.threads().into_values().next().unwrap();
    assert_eq!(members, vec![alice.id, on_call.id, OWNER], "alice, the one on call, the owner");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_no_thread_can_be_opened_the_member_is_told_plainly_and_may_ask_again() {
    let (_, alice, _, _) = people();
    let bot = Bot::start(&[&alice]).await;
    // Her crisis card comes by DM, and she presses "Talk to a moderator" there; attune
    // may not create private threads in the server (Missing Permissions).
    bot.fake.forbid(true);
    bot.fake.say(&alice, "honestly i just want to die");
    bot.fake.settle().await;
    let card = bot.private_to(&alice).into_iter().find(|p| p.button(":support").is_some()).expect("the card, with the support button");
    bot.press(&alice, &card, &card.button(":support").unwrap()).await;
    bot.fake.settle().await;
    let said: Vec<String> = bot.private_to(&alice).iter().map(|p| p.content().to_owned()).collect();
    assert!(said.iter().any(|s| s.contains("couldn't reach the moderators")), "told plainly: {said:?}");
    // Asking again pages again (the core forgot the failed page), and fails the same honest way.
    bot.press(&alice, &card, &card.button(":support").unwrap()).await;
    bot.fake.settle().await;
    let failed = bot.private_to(&alice).iter().filter(|p| p.content().contains("couldn't reach the moderators")).count();
    assert_eq!(failed, 2, "not a reassurance that someone was asked");
    let fake = bot.stop().await;
    assert!(fake.threads().is_empty(), "no thread exists");
    assert!(!threads_created(&fake).is_empty(), "attune did try");
}
