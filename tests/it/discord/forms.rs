//! Forms (Discord modals): a moderator adds and edits a card, a member suggests
//! one, and a non-moderator is refused by the core, kindly and privately.

use serde_json::{Value, json};

use super::fake::User;
use super::{Bot, people};

fn opt(name: &str, value: &str) -> Value {
    json!({ "name": name, "type": 3, "value": value })
}

/// A choice option: Discord sends the index of the choice poise registered.
fn choice(name: &str, index: u64) -> Value {
    json!({ "name": name, "type": 4, "value": index })
}

async fn deck(bot: &Bot, user: &User, sub: &str, options: Value) {
    bot.slash(user, "deck", json!([{ "name": sub, "type": 1, "options": options }])).await;
}

/// The text inputs of a form the bot opened: (custom id, label, required).
fn inputs(modal: &Value) -> Vec<(String, String, bool)> {
    modal["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .map(|c| {
            assert_eq!(c["type"], 4, "a text input: {c}");
            (c["custom_id"].as_str().unwrap().to_owned(), c["label"].as_str().unwrap().to_owned(), c["required"] != false)
        })
        .collect()
}

async fn submit(bot: &Bot, user: &User, custom_id: &str, values: &[(&str, &str)]) {
    let id = bot.fake.submit_modal(user, custom_id, values);
    bot.fake.answered(id).await;
}

fn last_private(bot: &Bot, user: &User) -> String {
    let p = bot.private_to(user).last().cloned().expect("a private answer");
    assert!(p.ephemeral, "answered privately: {}", p.content());
    p.content().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moderator_adds_and_edits_a_card_through_forms() {
    let (host, _, _, _) = people();
    let bot = Bot::start(&[&host]).await;
    deck(&bot, &host, "new", json!([opt("name", "ours")])).await;
    deck(&bot, &host, "add", json!([opt("deck", "ours"), choice("kind", 1), choice("theme", 0), choice("intensity", 1)])).await;
    let forms = bot.fake.modals(&host);
    assert_eq!(forms.len(), 1, "/deck add opened a form (interaction response type 9)");
    let form = &forms[0];
    let custom_id = form["custom_id"].as_str().unwrap().to_owned();
    assert!(custom_id.starts_with("m1:add:") && custom_id.ends_with(":ours"), "{custom_id}");
    let fields = inputs(form);
    assert_eq!(fields.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(), ["text", "guide"], "a sharing card has a listener guide");
    assert!(fields.iter().all(|f| f.2 && !f.1.is_empty() && f.1.chars().count() <= 45), "labelled, required, short: {fields:?}");
    let card_max = attune::core::textcheck::TextUse::Card.max_chars();
    for input in form["components"].as_array().unwrap().iter().flat_map(|row| row["components"].as_array().cloned().unwrap_or_default()) {
        assert_eq!(input["max_length"], card_max, "a form stops at what a card may hold, not Discord's 4,000: {input}");
    }
    assert!(!form["title"].as_str().unwrap_or_default().is_empty());
    let text = "What did you **carry** in today?\nTake your time.";
    submit(&bot, &host, &custom_id, &[("text", text), ("guide", "Listen | without fixing")]).await;
    assert!(last_private(&bot, &host).contains("Added card ours\\-01"), "the core added it: {}", last_private(&bot, &host));

    deck(&bot, &host, "edit", json!([opt("card", "ours-01"), choice("field", 0)])).await;
    let form = bot.fake.modals(&host).last().cloned().unwrap();
    let custom_id = form["custom_id"].as_str().unwrap().to_owned();
    assert_eq!(inputs(&form).len(), 1, "one new value");
    submit(&bot, &host, &custom_id, &[("value", "What is here for you, right now?")]).await;
    assert!(last_private(&bot, &host).contains("Updated card ours\\-01"), "{}", last_private(&bot, &host));

    deck(&bot, &host, "show", json!([opt("name", "ours-01")])).await;
    let shown = last_private(&bot, &host);
    assert!(shown.contains("What is here for you, right now?") && !shown.contains("carry"), "the card has its new text: {shown}");
    assert!(shown.contains("Listen \\| without fixing"), "and keeps its guide, whole: {shown}");
    let callbacks: Vec<_> = bot.fake.requests().into_iter().filter(|r| r.path.ends_with("/callback") && r.body["type"] == 9).collect();
    assert_eq!(callbacks.len(), 2, "two forms were opened");
    bot.stop().await;
}

/// An option of a registered command, by the path of names leading to it.
fn registered_option<'a>(commands: &'a Value, path: &[&str]) -> &'a Value {
    let mut at = commands.as_array().unwrap().iter().find(|c| c["name"] == path[0]).unwrap_or_else(|| panic!("/{} is registered", path[0]));
    for name in &path[1..] {
        at = at["options"].as_array().into_iter().flatten().find(|o| o["name"] == *name).unwrap_or_else(|| panic!("{path:?}: {at}"));
    }
    at
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_registered_commands_declare_the_limits_the_core_enforces() {
    use attune::core::textcheck::TextUse;
    let (host, _, _, _) = people();
    let bot = Bot::start(&[&host]).await;
    let registered = bot.fake.requests().into_iter().rev().find(|r| r.method == "PUT" && r.path.ends_with("/commands")).unwrap();
    let commands = &registered.body;
    for path in [&["circle", "open", "title"][..], &["deck", "new", "title"][..]] {
        assert_eq!(registered_option(commands, path)["max_length"], TextUse::Title.max_chars(), "{path:?}");
    }
    assert_eq!(registered_option(commands, &["suggest", "text"])["max_length"], TextUse::Suggestion.max_chars());
    let position = registered_option(commands, &["circle", "move", "position"]);
    assert_eq!(
        (position["min_value"].as_f64(), position["max_value"].as_f64()),
        (Some(1.0), Some(50.0)),
        "a place in a circle of at most 50"
    );
    let pulse = registered_option(commands, &["pulse", "answer"]);
    assert_eq!((pulse["min_value"].as_f64(), pulse["max_value"].as_f64()), (Some(1.0), Some(5.0)));
    for path in [&["suggestions", "approve", "id"][..], &["suggestions", "decline", "id"][..]] {
        assert_eq!(registered_option(commands, path)["min_value"].as_f64(), Some(1.0), "{path:?}");
    }
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_who_is_not_a_moderator_is_refused_kindly_and_no_card_is_added() {
    let (host, alice, _, _) = people();
    let bot = Bot::start(&[&host, &alice]).await;
    deck(&bot, &host, "new", json!([opt("name", "ours")])).await;
    let add = json!([opt("deck", "ours"), choice("kind", 0), choice("theme", 1), choice("intensity", 0)]);
    deck(&bot, &alice, "add", add).await;
    assert!(bot.fake.modals(&alice).is_empty(), "no form opens for someone who can't use it");
    assert!(last_private(&bot, &alice).contains("Only moderators"), "the core refused: {}", last_private(&bot, &alice));
    // A form submitted anyway (an old one, or a forged one) is refused by the core too.
    submit(&bot, &alice, "m1:add:0:1:0:ours", &[("text", "Sneaky card")]).await;
    assert!(last_private(&bot, &alice).contains("Only moderators"), "{}", last_private(&bot, &alice));
    submit(&bot, &alice, "m1:edit:0:ours-01", &[("value", "Sneaky edit")]).await;
    assert!(last_private(&bot, &alice).contains("Only moderators"), "{}", last_private(&bot, &alice));
    deck(&bot, &host, "show", json!([opt("name", "ours")])).await;
    let shown = last_private(&bot, &host);
    assert!(!shown.contains("ours\\-01"), "no card was added: {shown}");
    // A form attune did not write acts on nothing.
    submit(&bot, &alice, "m9:whatever", &[("text", "x")]).await;
    assert!(last_private(&bot, &alice).contains("older version"), "{}", last_private(&bot, &alice));
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_suggests_a_card_through_a_form() {
    let (host, alice, _, _) = people();
    let bot = Bot::start(&[&host, &alice]).await;
    bot.slash(&alice, "suggest", json!([])).await;
    let form = bot.fake.modals(&alice).last().cloned().expect("/suggest without text opens a form");
    assert_eq!(form["custom_id"], "m1:suggest");
    submit(&bot, &alice, "m1:suggest", &[("text", "What would rest look like today?")]).await;
    assert!(last_private(&bot, &alice).contains("Thank you for the suggestion"), "{}", last_private(&bot, &alice));
    bot.slash(&host, "suggestions", json!([{ "name": "list", "type": 1, "options": [] }])).await;
    assert!(last_private(&bot, &host).contains("What would rest look like today?"), "the moderators see it");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moderator_imports_a_deck_from_an_attached_file_and_a_member_cannot() {
    let (host, alice, _, _) = people();
    let bot = Bot::start(&[&host, &alice]).await;
    let toml = "[deck]\nname = \"evening\"\ntitle = \"Evening\"\ndescription = \"\"\n\n[[cards]]\nid = \"evening-01\"\nkind = \"self-reflection\"\ntheme = \"rest\"\nintensity = \"light\"\ncw = []\ntext = \"What can you set down tonight?\"\n";
    let file = bot.fake.attach("evening.toml", toml.as_bytes());
    let import = json!([{ "name": "import", "type": 1, "options": [{ "name": "file", "type": 11, "value": file.to_string() }] }]);
    bot.slash(&alice, "deck", import.clone()).await;
    assert!(last_private(&bot, &alice).contains("Only moderators"), "{}", last_private(&bot, &alice));
    let downloads = |bot: &Bot| bot.fake.requests().iter().filter(|r| r.path.starts_with("/attachments/")).count();
    assert_eq!(downloads(&bot), 0, "nothing is downloaded for a member who can't import");
    bot.slash(&host, "deck", import).await;
    assert!(last_private(&bot, &host).contains("Imported deck evening"), "{}", last_private(&bot, &host));
    assert_eq!(downloads(&bot), 1);
    deck(&bot, &host, "show", json!([opt("name", "evening-01")])).await;
    assert!(last_private(&bot, &host).contains("What can you set down tonight?"));
    bot.stop().await;
}
