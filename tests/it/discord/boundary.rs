//! The core decides, the Discord adapter translates (issue 14): each defect a
//! member met, driven through the real serenity and poise against the fake.

use serde_json::json;

use super::fake::{CHANNEL, User};
use super::{Bot, first_mention, people};

/// The latest private answer to `user` (an ephemeral reply or a DM).
fn last_private(bot: &Bot, user: &User) -> String {
    bot.private_to(user).last().map(|p| p.content()).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_poise_cannot_run_are_still_acknowledged_and_answered_kindly() {
    let (_, alice, _, _) = people();
    let bot = Bot::start(&[&alice]).await;
    // A command Discord still lists but attune doesn't know (a stale registration).
    let id = bot.fake.slash(&alice, "nosuch", json!([]));
    bot.fake.answered(id).await;
    let text = last_private(&bot, &alice);
    assert!(text.contains("nosuch") && text.contains("/help"), "an unknown command is answered: {text}");
    // A required option missing.
    let id = bot.fake.slash(&alice, "timezone", json!([]));
    bot.fake.answered(id).await;
    let text = last_private(&bot, &alice);
    assert!(text.contains("couldn't read one of that command's options"), "a malformed command is answered: {text}");
    // A value of the wrong type for a number option.
    let id = bot.fake.slash(&alice, "pulse", json!([{ "name": "answer", "type": 3, "value": "i want to die tonight" }]));
    bot.fake.answered(id).await;
    let card = bot.private_to(&alice).into_iter().rev().find(|p| p.button(":crisis-wrong").is_some());
    assert!(card.is_some(), "the words typed into a command poise couldn't read are read for crisis phrases");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn someone_no_community_knows_who_writes_crisis_words_in_a_dm_gets_the_resources_card() {
    let stranger = User::new(800_000_000_000_000_077, "stranger");
    let bot = Bot::start(&[&stranger]).await;
    bot.fake.say_dm(&stranger, "i cant keep going, i want to die tonight");
    bot.fake.settle().await;
    let card = bot.private_to(&stranger).into_iter().rev().find(|p| p.button(":crisis-wrong").is_some());
    let card = card.expect("the resources card reaches a newcomer by DM");
    assert!(!card.ephemeral && card.channel != CHANNEL, "by DM, never in the channel");
    // Once per period: a second message brings no second card.
    let before = bot.private_to(&stranger).len();
    bot.fake.say_dm(&stranger, "i want to die");
    bot.fake.settle().await;
    assert_eq!(bot.private_to(&stranger).len(), before, "the card is not repeated within the period");
    // Its buttons name no community, and still work: checks off, kept in memory only.
    let off = card.button(":crisis-off").expect("the card offers to stop checking");
    bot.press(&stranger, &card, &off).await;
    assert!(last_private(&bot, &stranger).contains("won't check"), "checks turned off: {}", last_private(&bot, &stranger));
    let before = bot.private_to(&stranger).len();
    bot.fake.say_dm(&stranger, "took all my pills an hour ago");
    bot.fake.settle().await;
    assert_eq!(bot.private_to(&stranger).len(), before, "their choice holds");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn circle_commands_in_the_invitations_channel_act_on_the_circle_in_its_thread() {
    let (host, alice, bob, cara) = people();
    let bot = Bot::start(&[&host, &alice, &bob, &cara]).await;
    bot.circle(&host, "open", json!([{ "name": "title", "type": 3, "value": "short walks" }])).await;
    let thread = bot.place();
    assert_ne!(thread, CHANNEL, "the circle runs in a thread");
    let name = bot.fake.channel(thread).map(|c| c.name).unwrap_or_default();
    assert_eq!(name, "short walks", "a title is a title, even when its first word names a template");
    for m in [&alice, &bob, &cara] {
        // `/circle join` where the invitation says to use it: in the channel.
        bot.circle(m, "join", json!([])).await;
        let agreements = bot.private_to(m).into_iter().rev().find(|p| p.button(":agree").is_some());
        let agreements = agreements.unwrap_or_else(|| panic!("{} is shown the agreements", m.name));
        bot.press(m, &agreements, &agreements.button(":agree").unwrap()).await;
    }
    bot.circle(&host, "status", json!([])).await;
    let status = last_private(&bot, &host);
    assert!(!status.contains("no circle running here"), "status from the channel finds the circle: {status}");
    bot.circle(&host, "start", json!([])).await;
    let turn = bot.channel_with(":done:").expect("the circle started from the channel");
    assert_eq!(turn.channel, thread, "its turns run in the thread");
    // A second open by the same host points at the open circle.
    let threads_before = bot.fake.public_threads(CHANNEL).len();
    bot.circle(&host, "open", json!([])).await;
    assert!(last_private(&bot, &host).contains("still open"), "the host is pointed at the open circle: {}", last_private(&bot, &host));
    assert_eq!(bot.fake.public_threads(CHANNEL).len(), threads_before, "no twin circle");

    // The host pressing the speaker's Done is told what a host can do; the turn goes on.
    let speaker = first_mention(turn.content()).unwrap();
    assert_ne!(speaker, host.id, "the host is not seated");
    bot.press(&host, &turn, &turn.button(":done:").unwrap()).await;
    let told = last_private(&bot, &host);
    assert!(told.contains("circle next") && !told.contains("not in this circle"), "the host hears what fits: {told}");
    assert_eq!(bot.channel_with(":done:").map(|p| p.id), Some(turn.id), "the turn goes on");

    bot.circle(&host, "end", json!([])).await;
    bot.circle(&host, "status", json!([])).await;
    assert!(last_private(&bot, &host).contains("no circle running here"), "ended from the channel");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agree_on_the_second_circles_prompt_joins_the_second_circle() {
    let (host, alice, bob, _) = people();
    let bot = Bot::start(&[&host, &alice, &bob]).await;
    bot.circle(&host, "open", json!([{ "name": "title", "type": 3, "value": "Morning" }])).await;
    let morning = bot.channel_with(":join:").expect("the first invitation");
    bot.circle(&alice, "open", json!([{ "name": "title", "type": 3, "value": "Evening" }])).await;
    let evening = bot.channel_with(":join:").expect("the second invitation");
    assert_ne!(morning.id, evening.id);
    // bob asks to join Evening, then Morning; then agrees on Evening's prompt.
    bot.press(&bob, &evening, &evening.button(":join:").unwrap()).await;
    let evening_prompt = bot.private_to(&bob).into_iter().rev().find(|p| p.button(":agree").is_some()).unwrap();
    bot.press(&bob, &morning, &morning.button(":join:").unwrap()).await;
    let posted_before = bot.fake.posted().len();
    bot.press(&bob, &evening_prompt, &evening_prompt.button(":agree").unwrap()).await;
    let joined: Vec<_> = bot.fake.posted().into_iter().skip(posted_before).filter(|p| p.content().contains("has joined")).collect();
    assert_eq!(joined.len(), 1, "one join is announced");
    let threads = bot.fake.public_threads(super::fake::CHANNEL);
    assert_eq!(joined[0].channel, threads[1], "in Evening's thread, the circle whose Agree was pressed");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_turn_announcement_notifies_its_speaker_alone_unless_the_community_turned_that_off() {
    let (host, alice, bob, cara) = people();
    let bot = Bot::start(&[&host, &alice, &bob, &cara]).await;
    super::gathered(&bot, &host, &[&alice, &bob, &cara]).await;
    let turn = bot.channel_with(":done:").expect("a turn");
    let speaker = first_mention(turn.content()).expect("the turn names its speaker");
    assert_eq!(
        turn.body["allowed_mentions"]["users"],
        json!([speaker.to_string()]),
        "the speaker is notified that their turn began, and nobody else"
    );
    // A moderator turns speaker pings off; the next turn notifies nobody.
    bot.slash(
        &host,
        "settings",
        json!([{ "name": "set", "type": 1, "options": [
        { "name": "key", "type": 3, "value": "speaker-pings" }, { "name": "value", "type": 3, "value": "off" } ] }]),
    )
    .await;
    let who = [&alice, &bob, &cara].into_iter().find(|m| m.id == speaker).unwrap();
    bot.press(who, &turn, &turn.button(":done:").unwrap()).await;
    let next = bot.channel_with(":done:").expect("the next turn");
    assert_ne!(next.id, turn.id);
    let users = &next.body["allowed_mentions"]["users"];
    assert!(users.is_null() || *users == json!([]), "with pings off nobody is notified: {}", next.body);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moderator_discord_showed_with_manage_server_is_a_moderator_in_chat_too() {
    let (host, alice, bob, cara) = people();
    let moderator = User::new(800_000_000_000_000_009, "modi").moderator();
    let bot = Bot::start(&[&host, &alice, &bob, &cara, &moderator]).await;
    super::gathered(&bot, &host, &[&alice, &bob, &cara]).await;
    let turn = bot.channel_with(":done:").expect("a turn");
    let speaker = first_mention(turn.content()).unwrap();
    let listener = [&alice, &bob, &cara].into_iter().find(|m| m.id != speaker).unwrap();
    // The moderator has used attune (Discord resolved Manage Server then); now talks during a turn.
    bot.slash(&moderator, "help", json!([])).await;
    let before = bot.private_to(&moderator).len();
    bot.fake.say_in(bot.place(), &moderator, "just checking in on the thread");
    bot.fake.say_in(bot.place(), listener, "oh me too");
    bot.fake.settle().await;
    let nudged = |u: &User| bot.private_to(u).iter().any(|p| p.content().contains("has the floor right now"));
    assert!(nudged(listener), "a listener talking over the speaker is nudged");
    assert_eq!(bot.private_to(&moderator).len(), before, "the moderator is not: one rule, interactions and chat alike");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pulse_button_pressed_twice_says_it_was_answered_and_after_its_window_that_it_closed() {
    let (host, alice, bob, cara) = people();
    let bot = Bot::start(&[&host, &alice, &bob, &cara]).await;
    super::gathered(&bot, &host, &[&alice, &bob, &cara]).await;
    super::done_until_the_end(&bot, &[&alice, &bob, &cara]).await;
    let pulse_of = |u: &User| bot.private_to(u).into_iter().rev().find(|p| p.button(":pulse:").is_some()).expect("a pulse");
    let (alices, caras) = (pulse_of(&alice), pulse_of(&cara));
    let answer = |p: &super::fake::Posted, n: &str| p.buttons().into_iter().find(|(label, _)| label == n).expect("an answer").1;
    bot.press(&alice, &alices, &answer(&alices, "4")).await;
    bot.press(&alice, &alices, &answer(&alices, "2")).await;
    assert!(last_private(&bot, &alice).contains("already answered"), "a second press: {}", last_private(&bot, &alice));
    bot.engine.advance(25 * 3600).await.unwrap();
    bot.fake.settle().await;
    bot.press(&cara, &caras, &answer(&caras, "5")).await;
    let late = last_private(&bot, &cara);
    assert!(late.contains("pulse has closed") && !late.contains("already ended"), "after the window: {late}");
    bot.stop().await;
}

/// Who may open circles, and how many (issue 15 §6), on Discord: a configured
/// host role opens where only hosts may, and a refused open links the newest
/// circle's thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_hosts_open_where_the_community_says_so_and_a_refusal_links_the_open_circle() {
    const HOSTS: u64 = 900_000_000_000_000_077;
    let (moderator, alice, bob, _) = people();
    let hana = User::new(800_000_000_000_000_009, "hana").role(HOSTS);
    let users = [&moderator, &alice, &bob, &hana];
    let fake = super::fake::Fake::start().await;
    for u in users {
        fake.add_user(u);
    }
    let bot = Bot::start_configured(fake, tempfile::tempdir().unwrap(), true, |o| o.section.host_roles = vec![HOSTS]).await;
    bot.slash(
        &moderator,
        "settings",
        json!([{ "name": "set", "type": 1, "options": [
        { "name": "key", "type": 3, "value": "who-opens" }, { "name": "value", "type": 3, "value": "hosts" } ] }]),
    )
    .await;
    let threads = bot.fake.public_threads(CHANNEL).len();
    bot.circle(&alice, "open", json!([{ "name": "title", "type": 3, "value": "Evening" }])).await;
    let told = last_private(&bot, &alice);
    assert!(told.contains("opened by its hosts and moderators"), "alice hears who opens circles here: {told}");
    assert_eq!(bot.fake.public_threads(CHANNEL).len(), threads, "no circle was opened");

    bot.circle(&hana, "open", json!([{ "name": "title", "type": 3, "value": "Morning" }])).await;
    let first = bot.place();
    assert_ne!(first, CHANNEL, "hana, with the host role, opened a circle in its own thread");
    // Everyone may open again, two at a time from this channel.
    for (key, value) in [("who-opens", "anyone"), ("open-per-channel", "2")] {
        bot.slash(
            &moderator,
            "settings",
            json!([{ "name": "set", "type": 1, "options": [
            { "name": "key", "type": 3, "value": key }, { "name": "value", "type": 3, "value": value } ] }]),
        )
        .await;
    }
    bot.circle(&alice, "open", json!([{ "name": "title", "type": 3, "value": "Noon" }])).await;
    let second = bot.place();
    assert_ne!(second, first, "alice opened the second circle");
    bot.circle(&bob, "open", json!([{ "name": "title", "type": 3, "value": "Night" }])).await;
    let told = last_private(&bot, &bob);
    assert!(told.contains(&format!("the newest in <#{second}>")), "the refusal links the newest circle's thread: {told}");
    assert!(told.contains("2 circles opened from this channel are"), "{told}");
    assert_eq!(bot.fake.public_threads(CHANNEL).len(), threads + 2);
    bot.stop().await;
}

/// Issue 17 §5: a message edited to add crisis words is read like a new one
/// (the card arrives privately), and the edit never counts as speaking during
/// someone else's turn (no floor note for it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_that_adds_crisis_words_brings_the_card_and_never_a_floor_note() {
    let (host, alice, bob, cara) = people();
    let bot = Bot::start(&[&host, &alice, &bob, &cara]).await;
    bot.circle(&host, "open", json!([{ "name": "title", "type": 3, "value": "Tuesday circle" }])).await;
    let invitation = bot.channel_with(":join:").expect("the invitation");
    for m in [&alice, &bob, &cara] {
        bot.press(m, &invitation, &invitation.button(":join:").unwrap()).await;
        let agreements = bot.private_to(m).into_iter().rev().find(|p| p.button(":agree").is_some()).unwrap();
        bot.press(m, &agreements, &agreements.button(":agree").unwrap()).await;
    }
    // cara writes in the circle's thread while it gathers, before anyone has the floor.
    let thread = bot.place();
    let id = bot.fake.say_in(thread, &cara, "see you all in a bit");
    bot.fake.settle().await;
    bot.circle_in(thread, &host, "start", json!([])).await;
    let turn = bot.channel_with(":done:").expect("a turn");
    let speaker = super::first_mention(turn.content()).unwrap();
    assert_ne!(speaker, cara.id, "alice joined first and speaks first");
    // During alice's turn cara edits her earlier message.
    let before = bot.private_to(&cara).len();
    bot.fake.edit_in(thread, id, &cara, "see you all in a bit. honestly i just want to die");
    bot.fake.settle().await;
    let after: Vec<_> = bot.private_to(&cara).into_iter().skip(before).collect();
    assert_eq!(after.iter().filter(|p| p.button(":crisis-wrong").is_some()).count(), 1, "the card, once");
    assert!(!after.iter().any(|p| p.content().contains("has the floor")), "an edit is not speaking over anyone: {after:?}");
    // A plain new message from her now is speaking during alice's turn (the floor note proves the difference).
    bot.fake.say_in(thread, &cara, "sorry");
    bot.fake.settle().await;
    let noted = bot.private_to(&cara).into_iter().skip(before).any(|p| p.content().contains("has the floor"));
    assert!(noted, "a new message during the turn gets the floor note");
    bot.stop().await;
}
