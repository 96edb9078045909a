//! Autocomplete through the fake gateway: APPLICATION_COMMAND_AUTOCOMPLETE in,
//! response type 8 out, with names from the community's state.

use serde_json::{Value, json};

use super::fake::User;
use super::{Bot, gathered, people};

async fn typed(bot: &Bot, user: &User, name: &str, options: Value) -> Vec<String> {
    // Where the latest circle runs (its thread), else the guild's channel.
    let id = bot.fake.autocomplete_in(bot.place(), user, name, options);
    bot.fake.answered(id).await;
    bot.fake.choices(id).expect("answered with choices (type 8)")
}

fn sub(name: &str, option: &str, value: &str) -> Value {
    json!([{ "name": name, "type": 1, "options": [{ "name": option, "type": 3, "value": value, "focused": true }] }])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_are_completed_from_the_communitys_decks_cards_templates_and_themes() {
    let (host, _, _, _) = people();
    let bot = Bot::start(&[&host]).await;
    bot.slash(&host, "deck", json!([{ "name": "new", "type": 1, "options": [{ "name": "name", "type": 3, "value": "ours" }] }])).await;
    let decks = typed(&bot, &host, "deck", sub("export", "deck", "our")).await;
    assert_eq!(decks, ["ours"], "the new deck, by what was typed");
    let all = typed(&bot, &host, "deck", sub("export", "deck", "")).await;
    assert!(all.len() > 1 && all.contains(&"ours".to_owned()), "every deck when nothing is typed: {all:?}");
    assert!(all.len() <= 25);
    let cards = typed(&bot, &host, "deck", sub("edit", "card", "")).await;
    assert!(!cards.is_empty() && cards.iter().all(|c| c.contains('-')), "card ids: {cards:?}");
    let templates = typed(&bot, &host, "circle", sub("open", "template", "")).await;
    assert!(templates.contains(&"standard".to_owned()), "{templates:?}");
    assert_eq!(typed(&bot, &host, "template", sub("show", "name", "st")).await, ["standard"]);
    let keys = typed(&bot, &host, "template", sub("set", "key", "fl")).await;
    assert_eq!(keys, ["floor"], "template keys are the core's own");
    assert_eq!(typed(&bot, &host, "settings", sub("set", "key", "re")).await, ["retention-days", "reflect-history"]);
    let themes = typed(&bot, &host, "reflect", json!([{ "name": "theme", "type": 3, "value": "re", "focused": true }])).await;
    assert_eq!(themes, ["relationships", "rest"]);
    let acks: Vec<_> = bot.fake.requests().into_iter().filter(|r| r.path.ends_with("/callback") && r.body["type"] == 8).collect();
    assert_eq!(acks.len(), 8, "each answered with response type 8");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_tools_offer_the_members_of_the_circle_by_name_and_send_their_mention() {
    let (host, alice, bob, cara) = people();
    let bot = Bot::start(&[&host, &alice, &bob, &cara]).await;
    gathered(&bot, &host, &[&alice, &bob, &cara]).await;
    let id = bot.fake.autocomplete_in(bot.place(), &host, "circle", sub("remove", "member", "b"));
    bot.fake.answered(id).await;
    assert_eq!(bot.fake.choices(id).unwrap(), [bob.mention()], "bob, chosen by his name, is sent as his mention");
    let all = typed(&bot, &host, "circle", sub("move", "member", "")).await;
    assert_eq!(all.len(), 3, "the three seated members: {all:?}");
    // Choosing bob sends the mention as the option's value.
    bot.circle_in(bot.place(), &host, "remove", json!([{ "name": "member", "type": 3, "value": bob.mention() }])).await;
    bot.circle_in(bot.place(), &host, "status", json!([])).await;
    let after = typed(&bot, &host, "circle", sub("move", "member", "")).await;
    assert!(!after.contains(&bob.mention()) && after.len() == 2, "bob was removed: {after:?}");
    bot.stop().await;
}
