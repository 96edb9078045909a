//! The Discord adapter end to end: the real serenity client and poise
//! framework talk HTTP and a websocket to a local fake Discord (`fake.rs`),
//! through the real engine and a SQLite file. Every test also checks that
//! no gateway event was dropped as unreadable, that the bot made no request
//! the fake doesn't know, that every interaction was answered within 3 s,
//! and that every message went out with `allowed_mentions` empty.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod autocomplete;
mod boundary;
mod doctor;
mod events;
mod exits;
mod fake;
mod floor;
mod forms;
mod ops;
mod page;
mod private;
mod shards;
mod support;

use attune::config::Config;
use attune::core::ids::Platform;
use attune::engine::{Clock, Engine, Outlets, Seed};
use attune::platform::discord::{self, DiscordOptions, Running};
use attune::store::Store;
use serde_json::{Value, json};

use fake::{CHANNEL, Fake, GUILD, Posted, User};

struct Bot {
    fake: Fake,
    running: Option<Running>,
    dir: tempfile::TempDir,
    /// The engine attune runs on (its clock is manual: `engine.advance` moves time).
    engine: Engine,
}

impl Bot {
    async fn start(users: &[&User]) -> Self {
        Self::start_with(users, true).await
    }

    async fn start_with(users: &[&User], message_content: bool) -> Self {
        let fake = Fake::start().await;
        for u in users {
            fake.add_user(u);
        }
        Self::start_on(fake, tempfile::tempdir().unwrap(), message_content).await
    }

    /// Starts attune against `fake` with the database in `dir` (a fresh one, or a restart's).
    async fn start_on(fake: Fake, dir: tempfile::TempDir, message_content: bool) -> Self {
        Self::start_configured(fake, dir, message_content, |_| {}).await
    }

    /// Starts attune against `fake` with `configure` applied to its Discord options.
    async fn start_configured(
        fake: Fake,
        dir: tempfile::TempDir,
        message_content: bool,
        configure: impl FnOnce(&mut DiscordOptions),
    ) -> Self {
        let store = Store::open(&dir.path().join("attune.db")).await.expect("the store opens");
        let defaults = Config::default().content().expect("the built-in content loads");
        let (outlets, rx) = Outlets::single(Platform::Discord);
        let start = "2026-01-05T18:00:00Z".parse().unwrap();
        let (engine, resumed) =
            Engine::start(store, Clock::manual(start), defaults, Seed::Fixed(7), outlets).await.expect("the engine starts");
        let mut options = DiscordOptions::new(
            "fake-token",
            attune::config::Discord { api_base: fake.base.clone(), dev_guild: Some(GUILD), message_content, ..Default::default() },
        );
        configure(&mut options);
        let running = discord::start(engine.clone(), resumed, rx, options).await.expect("the adapter starts");
        fake.ready().await;
        Self { fake, running: Some(running), dir, engine }
    }

    /// Stops attune (the gateway, then the engine, committing everything) and starts it
    /// again on the same database, as a restart after a deploy or a crash would.
    async fn restart(self) -> Self {
        let Bot { fake, running, dir, .. } = self;
        let running = running.expect("running");
        assert_eq!(running.unreadable_events(), 0);
        running.stop().await;
        Self::start_on(fake, dir, true).await
    }

    async fn slash(&self, user: &User, name: &str, options: Value) {
        let id = self.fake.slash(user, name, options);
        self.fake.answered(id).await;
    }

    async fn circle(&self, user: &User, sub: &str, options: Value) {
        self.slash(user, "circle", json!([{ "name": sub, "type": 1, "options": options }])).await;
    }

    /// A `/circle …` command in a given channel or thread.
    async fn circle_in(&self, channel: u64, user: &User, sub: &str, options: Value) {
        let id = self.fake.slash_in(channel, user, "circle", json!([{ "name": sub, "type": 1, "options": options }]));
        self.fake.answered(id).await;
    }

    /// Where the latest circle opened in the channel runs: its thread (made from
    /// the invitation), or the channel itself.
    fn place(&self) -> u64 {
        self.fake.public_threads(CHANNEL).last().copied().unwrap_or(CHANNEL)
    }

    async fn press(&self, user: &User, on: &Posted, custom_id: &str) {
        let id = self.fake.press(user, on, custom_id);
        self.fake.answered(id).await;
    }

    /// The latest public message (in the channel or a circle's thread; not a reply, a DM
    /// or a private thread) with a button whose id contains `part`.
    fn channel_with(&self, part: &str) -> Option<Posted> {
        self.fake.posted().into_iter().rev().find(|p| public(&self.fake, p) && p.button(part).is_some())
    }

    /// Everything private that reached `user`: ephemeral replies and DMs.
    fn private_to(&self, user: &User) -> Vec<Posted> {
        self.fake.posted().into_iter().filter(|p| p.to == Some(user.id)).collect()
    }

    /// Stops the bot and checks what every test must hold.
    async fn stop(self) -> Fake {
        self.finish().await.0
    }

    /// Stops the bot, checks what every test must hold, and keeps the database.
    async fn finish(self) -> (Fake, tempfile::TempDir) {
        let Bot { fake, running, dir, .. } = self;
        let running = running.expect("running");
        assert_eq!(running.unreadable_events(), 0, "every gateway event the fake sent was readable by serenity");
        running.stop().await;
        assert!(fake.unexpected().is_empty(), "the bot made only requests Discord knows: {:?}", fake.unexpected());
        assert_eq!(fake.late_acks(), 0, "every interaction was answered within Discord's 3 s");
        let threads = fake.threads();
        for p in fake.posted() {
            // In a private thread attune made for one member, that member is who it addresses.
            let alone_with = threads.get(&p.channel).and_then(|members| match members.as_slice() {
                [one] => Some(*one),
                _ => None,
            });
            assert_no_pings(&p, alone_with);
        }
        (fake, dir)
    }
}

/// Whether a message went out publicly: in a guild channel or a public thread.
fn public(fake: &Fake, p: &Posted) -> bool {
    p.to.is_none() && fake.channel(p.channel).is_some_and(|c| c.kind != 12)
}

/// A message notifies exactly the person it addresses and nobody else:
/// `allowed_mentions` is present, `parse` and `roles` are empty, and `users` is
/// empty or the one person it is for (a turn's speaker, named first in it; or
/// the member a private message goes to, by DM or in their private thread).
fn assert_no_pings(p: &Posted, alone_with: Option<u64>) {
    let am = &p.body["allowed_mentions"];
    assert!(am.is_object(), "allowed_mentions is set on every message: {}", p.body);
    assert_eq!(am["parse"], json!([]), "no @everyone, role or user pings from content: {}", p.body);
    assert!(am.get("roles").is_none_or(|v| v.as_array().is_some_and(Vec::is_empty)), "no roles allowed: {}", p.body);
    let users: Vec<u64> = am
        .get("users")
        .and_then(Value::as_array)
        .map(|v| v.iter().filter_map(|u| u.as_str().and_then(|s| s.parse().ok())).collect())
        .unwrap_or_default();
    match users.as_slice() {
        [] => {}
        [one] => assert!(
            Some(*one) == p.to || Some(*one) == alone_with || (p.button(":done:").is_some() && first_mention(p.content()) == Some(*one)),
            "only the person a message addresses may be notified: {}",
            p.body
        ),
        _ => panic!("a message notifies at most one person: {}", p.body),
    }
}

/// The user mentioned first in a message (`<@id>`).
fn first_mention(content: impl AsRef<str>) -> Option<u64> {
    let content = content.as_ref();
    let start = content.find("<@")? + 2;
    let end = content[start..].find('>')? + start;
    content[start..end].parse().ok()
}

fn people() -> (User, User, User, User) {
    (
        User::new(800_000_000_000_000_001, "host").moderator(),
        User::new(800_000_000_000_000_002, "alice"),
        User::new(800_000_000_000_000_003, "bob"),
        User::new(800_000_000_000_000_004, "cara"),
    )
}

/// Opens a circle and brings three members in by the Join and Agree buttons, then starts it.
async fn gathered(bot: &Bot, host: &User, members: &[&User]) {
    bot.circle(host, "open", json!([{ "name": "title", "type": 3, "value": "Tuesday circle" }])).await;
    let invitation = bot.channel_with(":join:").expect("the invitation has a Join button");
    for m in members {
        bot.press(m, &invitation, &invitation.button(":join:").unwrap()).await;
        let agreements = bot.private_to(m).into_iter().rev().find(|p| p.button(":agree").is_some());
        let agreements = agreements.unwrap_or_else(|| panic!("{} is shown the agreements with an Agree button", m.name));
        assert!(agreements.ephemeral, "the agreements answer the press privately");
        bot.press(m, &agreements, &agreements.button(":agree").unwrap()).await;
    }
    bot.circle_in(bot.place(), host, "start", json!([])).await;
}

/// Presses Done as the speaker of the latest turn until nobody's turn is open.
async fn done_until_the_end(bot: &Bot, members: &[&User]) -> usize {
    let mut turns = 0;
    let mut seen = std::collections::HashSet::new();
    while let Some(turn) = bot.channel_with(":done:") {
        if !seen.insert(turn.id) {
            break;
        }
        let speaker = first_mention(turn.content()).expect("the turn names its speaker");
        let who = members.iter().find(|m| m.id == speaker).expect("the speaker is a member");
        bot.press(who, &turn, &turn.button(":done:").unwrap()).await;
        turns += 1;
        assert!(turns < 30, "the circle ends");
    }
    turns
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_payload_the_fake_sends_parses_with_serenitys_own_types() {
    let fake = Fake::start().await;
    for (what, v) in fake.samples() {
        let parsed = match what {
            "READY" => serde_json::from_value::<serenity::model::gateway::Ready>(v).map(drop),
            "GUILD_CREATE" => serde_json::from_value::<serenity::model::event::GuildCreateEvent>(v).map(drop),
            "VOICE_STATE_UPDATE" => serde_json::from_value::<serenity::model::voice::VoiceState>(v).map(drop),
            "INTERACTION_CREATE" => serde_json::from_value::<serenity::model::application::Interaction>(v).map(drop),
            "MESSAGE_CREATE" | "message" => serde_json::from_value::<serenity::model::channel::Message>(v).map(drop),
            "MESSAGE_UPDATE" => serde_json::from_value::<serenity::model::event::MessageUpdateEvent>(v).map(drop),
            "thread" | "channel" => serde_json::from_value::<serenity::model::channel::GuildChannel>(v).map(drop),
            "dm" => serde_json::from_value::<serenity::model::channel::PrivateChannel>(v).map(drop),
            other => panic!("no check for {other}"),
        };
        assert!(parsed.is_ok(), "{what} must parse, or serenity drops it silently: {parsed:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_three_member_circle_runs_from_open_to_the_pulse_by_slash_commands_and_buttons() {
    let (host, alice, bob, cara) = people();
    let bot = Bot::start(&[&host, &alice, &bob, &cara]).await;
    gathered(&bot, &host, &[&alice, &bob, &cara]).await;
    // The circle lives in a public thread made from its invitation, and its turns run there.
    let invitation = bot.fake.posted().into_iter().find(|p| p.button(":join:").is_some()).expect("the invitation");
    assert_eq!(invitation.channel, CHANNEL, "the invitation is posted where /circle open was used");
    let thread = bot.place();
    assert_ne!(thread, CHANNEL, "a thread was made");
    assert!(
        bot.fake
            .requests()
            .iter()
            .any(|r| r.method == "POST" && r.path == format!("/api/v10/channels/{CHANNEL}/messages/{}/threads", invitation.id)),
        "from the invitation message"
    );
    assert_eq!(bot.channel_with(":done:").map(|p| p.channel), Some(thread), "the first turn is announced in the thread");
    let turns = done_until_the_end(&bot, &[&alice, &bob, &cara]).await;
    assert!(turns >= 9, "check-in, sharing and check-out rounds for three: {turns} turns");
    for m in [&alice, &bob, &cara] {
        let pulse = bot.private_to(m).into_iter().rev().find(|p| p.button(":pulse:").is_some());
        let pulse = pulse.unwrap_or_else(|| panic!("{} is asked privately whether they felt heard", m.name));
        assert_eq!(pulse.buttons().len(), 5, "five answers");
        let four = pulse.buttons().into_iter().find(|(label, _)| label == "4").expect("an answer labelled 4").1;
        bot.press(m, &pulse, &four).await;
        let thanks = bot.private_to(m).last().cloned().expect("an answer");
        assert!(thanks.ephemeral && thanks.content().contains("Thank you"), "the pulse is thanked privately: {}", thanks.content());
    }
    let fake = bot.stop().await;
    let requests = fake.requests();
    assert!(
        requests.iter().any(|r| r.path == format!("/api/v10/applications/{}/guilds/{GUILD}/commands", fake::APP)),
        "commands registered in the dev guild"
    );
    assert!(fake.intents() & fake::MESSAGE_CONTENT != 0, "Message Content is asked for by default");
    let slowest = fake.ack_times().into_iter().max().expect("interactions were acknowledged");
    assert!(slowest < std::time::Duration::from_secs(1), "every acknowledgement is far inside the 3 s window: {slowest:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_done_button_is_refused_and_the_current_turn_goes_on() {
    let (host, alice, bob, cara) = people();
    let bot = Bot::start(&[&host, &alice, &bob, &cara]).await;
    gathered(&bot, &host, &[&alice, &bob, &cara]).await;
    let first = bot.channel_with(":done:").expect("the first turn");
    let first_speaker = first_mention(first.content()).unwrap();
    let who = [&alice, &bob, &cara].into_iter().find(|m| m.id == first_speaker).unwrap();
    bot.press(who, &first, &first.button(":done:").unwrap()).await;
    let second = bot.channel_with(":done:").expect("the second turn");
    assert_ne!(second.id, first.id);
    let now_speaking = [&alice, &bob, &cara].into_iter().find(|m| Some(m.id) == first_mention(second.content())).unwrap();
    let posted_before = fake_posts_in_channel(&bot);

    bot.press(now_speaking, &first, &first.button(":done:").unwrap()).await;
    let refusal = bot.private_to(now_speaking).last().cloned().expect("an answer");
    assert!(refusal.ephemeral, "the refusal is private");
    assert!(refusal.content().contains("already ended"), "said kindly and plainly: {}", refusal.content());
    assert_eq!(fake_posts_in_channel(&bot), posted_before, "nothing was said in the channel: the current turn goes on");
    assert_eq!(bot.channel_with(":done:").map(|p| p.id), Some(second.id), "the current turn is still the second");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_interaction_changes_nothing() {
    let (host, alice, bob, cara) = people();
    let members = [&alice, &bob, &cara];
    let bot = Bot::start(&[&host, &alice, &bob, &cara]).await;
    gathered(&bot, &host, &members).await;
    let turn = bot.channel_with(":done:").expect("a turn");
    let speaker = members.into_iter().find(|m| Some(m.id) == first_mention(turn.content())).unwrap();
    let id = bot.fake.press(speaker, &turn, &turn.button(":done:").unwrap());
    bot.fake.answered(id).await;
    let after_once = bot.fake.posted().len();
    bot.fake.replay(id);
    bot.fake.answered(id).await;
    assert_eq!(bot.fake.posted().len(), after_once, "the same press, delivered twice, ends one turn once");
    bot.stop().await;
}

fn fake_posts_in_channel(bot: &Bot) -> usize {
    bot.fake.posted().iter().filter(|p| public(&bot.fake, p)).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_everyone_and_markdown_in_a_card_or_a_name_ping_nobody_and_render_as_text() {
    let (host, alice, _, _) = people();
    let loud = User::new(800_000_000_000_000_009, "loud").nick("@everyone **LOUD**");
    let bot = Bot::start(&[&host, &alice, &loud]).await;
    // Markdown in a card is kept as typed and shown as text.
    bot.slash(&loud, "suggest", json!([{ "name": "text", "type": 3, "value": "look **here** and _there_ ~~now~~" }])).await;
    bot.slash(&host, "suggestions", json!([{ "name": "list", "type": 1, "options": [] }])).await;
    let list = bot.private_to(&host).into_iter().find(|p| p.content().contains("look")).expect("the moderator sees the suggestion");
    let text = list.content();
    assert!(
        text.contains("\\*\\*here\\*\\*") && text.contains("\\_there\\_") && text.contains("\\~\\~now"),
        "Markdown shows as typed: {text}"
    );
    // A mention in a card is refused, privately, before it can reach anyone.
    bot.slash(&loud, "suggest", json!([{ "name": "text", "type": 3, "value": "@everyone come and see" }])).await;
    let refusal = bot.private_to(&loud).last().cloned().expect("an answer");
    assert!(refusal.ephemeral, "the refusal is private: {}", refusal.content());
    // A name of "@everyone **LOUD**" joins a circle: people are mentions that ping nobody,
    // and wherever the name shows as text, it is defused and escaped.
    bot.circle(&host, "open", json!([])).await;
    let invitation = bot.channel_with(":join:").unwrap();
    bot.press(&loud, &invitation, &invitation.button(":join:").unwrap()).await;
    let agreements = bot.private_to(&loud).into_iter().rev().find(|p| p.button(":agree").is_some()).expect("agreements");
    bot.press(&loud, &agreements, &agreements.button(":agree").unwrap()).await;
    bot.circle_in(bot.place(), &host, "status", json!([])).await;
    let joined = bot.fake.posted().into_iter().find(|p| p.to.is_none() && p.content().contains(&loud.mention()));
    assert!(joined.is_some(), "the channel names the member by a mention (which pings nobody)");
    for p in bot.fake.posted() {
        assert!(!p.content().contains("@everyone **"), "the name is never pasted raw: {}", p.content());
    }
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_with_closed_dms_gets_a_private_thread_never_a_public_post_and_the_hosts_learn_it() {
    let (host, alice, bob, cara) = people();
    let fake = Fake::start().await;
    for u in [&host, &alice, &bob, &cara] {
        fake.add_user(u);
    }
    // Long after bob's last interaction (no follow-up is open any more): a private thread.
    let bot = Bot::start_configured(fake, tempfile::tempdir().unwrap(), true, |o| o.reply_window = std::time::Duration::ZERO).await;
    bot.fake.close_dms(bob.id);
    gathered(&bot, &host, &[&alice, &bob, &cara]).await;
    done_until_the_end(&bot, &[&alice, &bob, &cara]).await;
    let fake = bot.stop().await;
    let threads = fake.threads();
    assert!(!threads.is_empty(), "a private thread was opened");
    assert!(threads.values().all(|members| members == &vec![bob.id]), "only bob was added: {threads:?}");
    let requests = fake.requests();
    let created: Vec<_> = requests.iter().filter(|r| r.path.ends_with("/threads") && !r.path.contains("/messages/")).collect();
    assert!(!created.is_empty());
    assert!(
        created.iter().all(|r| r.path == format!("/api/v10/channels/{CHANNEL}/threads")),
        "in the channel, never inside the circle's thread"
    );
    assert!(created.iter().all(|r| r.body["type"] == 12 && r.body["invitable"] == false), "private, and nobody else may be invited");
    let in_threads: Vec<Posted> = fake.posted().into_iter().filter(|p| threads.contains_key(&p.channel)).collect();
    assert!(in_threads.iter().any(|p| p.button(":pulse:").is_some()), "bob's pulse went into the thread");
    let public: Vec<Posted> = fake.posted().into_iter().filter(|p| public(&fake, p)).collect();
    assert!(public.iter().any(|p| p.channel != CHANNEL), "the circle ran in its own thread");
    assert!(public.iter().all(|p| p.button(":pulse:").is_none()), "the pulse never goes to the channel");
    let told = fake.posted().into_iter().any(|p| p.to == Some(host.id) && p.content().contains("bob"));
    assert!(told, "the host learns privately that bob can't get private messages");
}

/// Issue 15 §7: with DMs closed, a private message follows up the member's latest
/// interaction while Discord still takes one: only they see it, where a private
/// thread would be visible to moderators.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_with_closed_dms_who_just_used_a_button_gets_private_messages_only_they_can_see() {
    let (host, alice, bob, cara) = people();
    let bot = Bot::start(&[&host, &alice, &bob, &cara]).await;
    bot.fake.close_dms(bob.id);
    gathered(&bot, &host, &[&alice, &bob, &cara]).await;
    let bobs_turn_posts = bot.fake.posted().len();
    bot.fake.say(&bob, "honestly i just want to die");
    bot.fake.settle().await;
    let card: Vec<Posted> = bot
        .fake
        .posted()
        .into_iter()
        .skip(bobs_turn_posts)
        .filter(|p| p.to == Some(bob.id) && p.button(":crisis-wrong").is_some())
        .collect();
    assert_eq!(card.len(), 1, "bob gets the card once");
    assert!(card[0].ephemeral, "as an ephemeral follow-up: only bob can see it");
    done_until_the_end(&bot, &[&alice, &bob, &cara]).await;
    let fake = bot.stop().await;
    assert!(fake.threads().is_empty(), "no private thread was needed: {:?}", fake.threads());
    let pulse: Vec<Posted> = fake.posted().into_iter().filter(|p| p.to == Some(bob.id) && p.button(":pulse:").is_some()).collect();
    assert!(!pulse.is_empty() && pulse.iter().all(|p| p.ephemeral), "bob's pulse came privately too");
    let told = fake.posted().into_iter().any(|p| p.to == Some(host.id) && p.content().contains("bob"));
    assert!(!told, "nothing failed, so the host is told nothing about bob");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_with_closed_dms_who_never_used_a_command_gets_the_crisis_card_in_a_private_thread_where_they_wrote() {
    let (host, alice, _, _) = people();
    let bot = Bot::start(&[&host, &alice]).await;
    bot.fake.close_dms(alice.id);
    let before = fake_posts_in_channel(&bot);
    // alice has never used a slash command or a button: all attune knows is this message.
    bot.fake.say(&alice, "honestly i just want to die");
    bot.fake.settle().await;
    let fake = bot.stop().await;
    let threads = fake.threads();
    assert_eq!(threads.len(), 1, "a private thread was opened for alice: {threads:?}");
    assert!(threads.values().all(|members| members == &vec![alice.id]), "with alice alone: {threads:?}");
    let in_thread: Vec<Posted> = fake.posted().into_iter().filter(|p| threads.contains_key(&p.channel)).collect();
    assert!(in_thread.iter().any(|p| p.button(":crisis-wrong").is_some()), "the resources card is in it");
    let intro = in_thread.first().map(|p| p.content().to_owned()).unwrap_or_default();
    assert!(intro.contains("moderators and admins can"), "it says truthfully who else can read it: {intro}");
    let created: Vec<_> = fake.requests().into_iter().filter(|r| r.path.ends_with("/threads") && !r.path.contains("/messages/")).collect();
    assert!(created.iter().all(|r| r.path == format!("/api/v10/channels/{CHANNEL}/threads")), "in the channel she wrote in");
    let after: Vec<Posted> = fake.posted().into_iter().filter(|p| public(&fake, p)).collect();
    assert_eq!(after.len(), before, "nothing about it is said in the channel");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crisis_phrase_in_the_channel_gets_a_private_card_once_and_nothing_public() {
    let (host, alice, _, _) = people();
    let bot = Bot::start(&[&host, &alice]).await;
    // alice is known in the channel (she opened a circle there) before she writes.
    bot.circle(&alice, "status", json!([])).await;
    let before = fake_posts_in_channel(&bot);
    bot.fake.say(&alice, "honestly i just want to die");
    bot.fake.settle().await;
    let cards: Vec<Posted> = bot.private_to(&alice).into_iter().filter(|p| !p.ephemeral && p.button(":crisis-wrong").is_some()).collect();
    assert_eq!(cards.len(), 1, "the resources card reaches alice privately, by DM");
    assert_eq!(fake_posts_in_channel(&bot), before, "nothing about it is said in the channel");
    bot.fake.say(&alice, "honestly i just want to die");
    bot.fake.settle().await;
    let cards = bot.private_to(&alice).into_iter().filter(|p| p.button(":crisis-wrong").is_some()).count();
    assert_eq!(cards, 1, "at most once per period");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restart_mid_circle_the_buttons_on_live_messages_work_again() {
    let (host, alice, bob, cara) = people();
    let members = [&alice, &bob, &cara];
    let bot = Bot::start(&[&host, &alice, &bob, &cara]).await;
    gathered(&bot, &host, &members).await;
    let first = bot.channel_with(":done:").expect("the first turn");
    let speaker = members.into_iter().find(|m| Some(m.id) == first_mention(first.content())).unwrap();
    bot.press(speaker, &first, &first.button(":done:").unwrap()).await;
    let second = bot.channel_with(":done:").expect("the second turn");

    let bot = bot.restart().await;
    bot.fake.settle().await;
    let speaker = members.into_iter().find(|m| Some(m.id) == first_mention(second.content())).unwrap();
    bot.press(speaker, &second, &second.button(":done:").unwrap()).await;
    let third = bot.channel_with(":done:").expect("a turn after the restart");
    assert!(third.id != second.id && third.id != first.id, "the Done button posted before the restart ended its turn");
    let refusals_before = bot.private_to(speaker).len();
    bot.press(speaker, &first, &first.button(":done:").unwrap()).await;
    let answer = bot.private_to(speaker);
    assert_eq!(answer.len(), refusals_before + 1, "the stale button is answered, privately");
    assert!(answer.last().unwrap().content().contains("already ended"), "{}", answer.last().unwrap().content());
    assert_eq!(bot.channel_with(":done:").map(|p| p.id), Some(third.id), "and the current turn goes on");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_drop_mid_turn_loses_and_repeats_nothing() {
    let (host, alice, bob, cara) = people();
    let members = [&alice, &bob, &cara];
    let bot = Bot::start(&[&host, &alice, &bob, &cara]).await;
    gathered(&bot, &host, &members).await;
    let turn = bot.channel_with(":done:").expect("a turn");
    let turns_before = bot.fake.posted().iter().filter(|p| p.to.is_none() && p.button(":done:").is_some()).count();
    bot.fake.drop_gateway().await;
    let speaker = members.into_iter().find(|m| Some(m.id) == first_mention(turn.content())).unwrap();
    bot.press(speaker, &turn, &turn.button(":done:").unwrap()).await;
    let turns_after = bot.fake.posted().iter().filter(|p| p.to.is_none() && p.button(":done:").is_some()).count();
    assert_eq!(turns_after, turns_before + 1, "one press after the reconnect starts exactly one new turn");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_message_content_intent_circles_still_run_by_slash_commands_and_buttons() {
    let (host, alice, _, _) = people();
    let bot = Bot::start_with(&[&host, &alice], false).await;
    assert_eq!(bot.fake.intents() & fake::MESSAGE_CONTENT, 0, "the privileged intent is not asked for");
    bot.circle(&host, "open", json!([])).await;
    let invitation = bot.channel_with(":join:").expect("the invitation");
    bot.press(&alice, &invitation, &invitation.button(":join:").unwrap()).await;
    assert!(bot.private_to(&alice).iter().any(|p| p.button(":agree").is_some()), "joining works by buttons");
    // Discord sends the text blank: there is nothing to read, and nothing is sent.
    let before = bot.fake.posted().len();
    bot.fake.say(&alice, "honestly i just want to die");
    bot.fake.settle().await;
    assert_eq!(bot.fake.posted().len(), before, "a blank message causes nothing");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_answered_429_is_sent_when_allowed_once_and_never_lost() {
    let (host, _, _, _) = people();
    let bot = Bot::start(&[&host]).await;
    bot.fake.rate_limit(2);
    bot.circle(&host, "open", json!([])).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while bot.channel_with(":join:").is_none() {
        assert!(std::time::Instant::now() < deadline, "the invitation is sent after the rate limit");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    bot.fake.settle().await;
    let invitations = bot.fake.posted().iter().filter(|p| p.button(":join:").is_some()).count();
    assert_eq!(invitations, 1, "sent exactly once");
    assert_eq!(bot.fake.rate_limited(), 2, "the fake did answer 429 twice");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attune_run_with_discord_enabled_connects_serves_a_command_and_stops_cleanly_on_sigterm() {
    let (host, _, _, _) = people();
    let fake = Fake::start().await;
    fake.add_user(&host);
    let dir = tempfile::tempdir().unwrap();
    let child = crate::cli::attune(dir.path())
        .args(["run", "--db", "run.db"])
        .env("ATTUNE_DISCORD_ENABLED", "true")
        .env("ATTUNE_DISCORD_API_BASE", &fake.base)
        .env("ATTUNE_DISCORD_TOKEN", "fake-token-for-run")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("attune starts");
    fake.ready().await;
    let id = fake.slash(&host, "circle", json!([{ "name": "open", "type": 1, "options": [] }]));
    fake.answered(id).await;
    assert!(fake.posted().iter().any(|p| p.button(":join:").is_some()), "attune run answered /circle open with an invitation");
    let pid = child.id().to_string();
    let killed = std::process::Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
    assert!(killed.success());
    let out = tokio::time::timeout(std::time::Duration::from_secs(20), tokio::task::spawn_blocking(move || child.wait_with_output()))
        .await
        .expect("attune stops within 20 s of SIGTERM")
        .expect("the wait finishes")
        .expect("its output");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "a stop on SIGTERM is a clean exit:\n{text}");
    assert!(text.contains("Discord: configured, starting"), "{text}");
    assert!(!text.contains("fake-token-for-run"), "the token never appears:\n{text}");
    assert!(fake.unexpected().is_empty(), "{:?}", fake.unexpected());
}
