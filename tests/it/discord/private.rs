//! Private reflection on Discord: a card asked for in the guild comes back only
//! to the member; the daily card arrives by DM; what the member writes back in
//! the DM is never posted or stored. With DMs closed, the card goes into a
//! private thread, also when the member last used attune inside a thread.

use serde_json::json;

use super::fake::{CHANNEL, User};
use super::{Bot, fake_posts_in_channel, people};

/// Every byte attune keeps on disk (the database and its journal files).
fn stored_bytes(bot: &Bot) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(bot.dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            all.extend(std::fs::read(path).unwrap());
        }
    }
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// DMs (not interaction replies) that reached `user`.
fn dms_to(bot: &Bot, user: &User) -> Vec<String> {
    bot.private_to(user).into_iter().filter(|p| !p.ephemeral && p.channel != CHANNEL).map(|p| p.content().to_owned()).collect()
}

async fn daily_in_half_an_hour(bot: &Bot, who: &User) {
    bot.slash(who, "timezone", json!([{ "name": "zone", "type": 3, "value": "Europe/London" }])).await;
    bot.slash(who, "daily", json!([{ "name": "when", "type": 3, "value": "18:30" }])).await;
    let set = bot.private_to(who).last().cloned().expect("an answer");
    assert!(set.ephemeral && set.content().contains("daily reflection will come"), "{}", set.content());
    bot.engine.advance(45 * 60).await.unwrap();
    bot.fake.settle().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_reflection_started_in_the_guild_is_answered_in_the_dm_and_nothing_is_posted_or_stored() {
    let (_, alice, _, _) = people();
    let bot = Bot::start(&[&alice]).await;
    let public_before = fake_posts_in_channel(&bot);
    bot.slash(&alice, "reflect", json!([])).await;
    let card = bot.private_to(&alice).last().cloned().expect("a reflection card");
    assert!(card.ephemeral && card.content().contains("Something to sit with"), "the card answers alice alone: {}", card.content());
    let embed = &card.body["embeds"][0];
    assert!(
        embed["title"].is_string() && embed["description"].as_str().unwrap().contains("Something to sit with"),
        "a card is an embed: {}",
        card.body
    );
    assert_eq!(card.body["content"], "", "its text is in the embed only");

    daily_in_half_an_hour(&bot, &alice).await;
    let dms = dms_to(&bot, &alice);
    assert!(dms.iter().any(|d| d.contains("Today's reflection")), "the daily card came by DM: {dms:?}");

    // alice answers the card in the DM: attune reads nothing back, keeps nothing, says nothing.
    let posted_before = bot.fake.posted().len();
    let words = "my answer is lantern-orchid-tuesday";
    bot.fake.say_dm(&alice, words);
    bot.fake.settle().await;
    assert_eq!(bot.fake.posted().len(), posted_before, "nothing is sent in answer to a reflection");
    // A crisis phrase in the DM is still noticed, privately, like anywhere else.
    bot.fake.say_dm(&alice, "honestly i just want to die");
    bot.fake.settle().await;
    let card = bot.private_to(&alice).into_iter().rev().find(|p| p.button(":crisis-wrong").is_some());
    assert!(card.is_some_and(|c| !c.ephemeral && c.channel != CHANNEL), "the resources card reaches alice by DM");
    assert_eq!(fake_posts_in_channel(&bot), public_before, "nothing of it was ever posted in the channel");

    bot.slash(&alice, "my-data", json!([])).await;
    let export = bot.private_to(&alice).last().cloned().unwrap();
    assert!(!export.body.to_string().contains("lantern-orchid"), "what alice wrote is not in her data");
    let fake = {
        let stored = stored_bytes(&bot);
        assert!(!stored.is_empty());
        assert!(!contains(&stored, "lantern-orchid") && !contains(&stored, "want to die"), "what alice wrote is stored nowhere");
        bot.stop().await
    };
    assert!(fake.requests().iter().all(|r| !r.body.to_string().contains("lantern-orchid")), "and never sent anywhere");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_dms_closed_the_daily_card_goes_into_a_private_thread_in_the_parent_channel_even_from_a_thread() {
    let (_, _, bob, _) = people();
    let fake = super::fake::Fake::start().await;
    fake.add_user(&bob);
    // Half an hour on, Discord takes no follow-up to bob's command any more: a private thread.
    let bot = Bot::start_configured(fake, tempfile::tempdir().unwrap(), true, |o| o.reply_window = std::time::Duration::ZERO).await;
    bot.fake.close_dms(bob.id);
    // bob last used attune inside a public thread (a circle's, say).
    let thread = bot.fake.public_thread();
    let id = bot.fake.slash_in(thread, &bob, "reflect", json!([]));
    bot.fake.answered(id).await;
    daily_in_half_an_hour(&bot, &bob).await;
    let fake = bot.stop().await;
    let created: Vec<_> = fake.requests().into_iter().filter(|r| r.method == "POST" && r.path.ends_with("/threads")).collect();
    assert_eq!(created.len(), 1, "one private thread: {created:?}");
    assert_eq!(created[0].path, format!("/api/v10/channels/{CHANNEL}/threads"), "opened in the thread's parent channel");
    assert!(created[0].body["type"] == 12 && created[0].body["invitable"] == false);
    let threads = fake.threads();
    let (private, members) = threads.iter().next().unwrap();
    assert_eq!(members, &vec![bob.id], "only bob is in it");
    let inside: Vec<_> = fake.posted().into_iter().filter(|p| p.channel == *private).collect();
    assert!(inside.iter().any(|p| p.content().contains("Today's reflection")), "the daily card is in bob's private thread");
    let public: Vec<_> = fake.posted().into_iter().filter(|p| p.to.is_none() && (p.channel == CHANNEL || p.channel == thread)).collect();
    assert!(public.is_empty(), "nothing private was posted publicly: {public:?}");
}
