//! The moderator page with Discord: `/dashboard` answers a moderator alone
//! with a link, Discord says (at every click) who they are, and a member whose
//! moderator role was taken away is signed out.

use serde_json::json;

use super::Bot;
use super::fake::User;
use crate::web::{csrf_of, send, token};

/// The moderator page on the bot's engine, with Discord vouching; its address.
async fn serve_page(bot: &Bot) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let passes = bot.engine.open_page(&base);
    let vouch = bot.running.as_ref().unwrap().vouch();
    let router = attune::web::router(bot.engine.clone(), passes, vec![(attune::core::ids::Platform::Discord, vouch)]).unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    base
}

/// The sign-in link in a message as Discord shows it (Markdown escapes removed).
pub(super) fn link_in(text: &str) -> String {
    text.split_whitespace().find(|w| w.contains("/sign-in/")).unwrap_or_default().trim_end_matches(['.', ')']).replace('\\', "")
}

const MODS: u64 = 700_000_000_000_000_009;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moderator_by_role_signs_in_from_an_ephemeral_link_and_is_signed_out_when_the_role_goes() {
    let host = User::new(800_000_000_000_000_001, "host").role(MODS);
    let alice = User::new(800_000_000_000_000_002, "alice");
    let fake = super::fake::Fake::start().await;
    fake.add_user(&host);
    fake.add_user(&alice);
    let bot = Bot::start_configured(fake, tempfile::tempdir().unwrap(), true, |o| o.section.moderator_roles = vec![MODS]).await;
    let base = serve_page(&bot).await;

    bot.slash(&alice, "dashboard", json!([])).await;
    let refused = bot.private_to(&alice);
    assert!(refused.iter().any(|p| p.ephemeral && p.content().contains("Only moderators")), "{refused:?}");

    bot.slash(&host, "dashboard", json!([])).await;
    let answer = bot.private_to(&host).into_iter().find(|p| p.content().contains("/sign-in/")).expect("a link");
    assert!(answer.ephemeral, "the link is an ephemeral reply, for the moderator alone");
    assert_eq!(answer.body["allowed_mentions"]["parse"], json!([]), "and pings nobody");
    let link = link_in(&answer.content());
    let signed = send("POST", &format!("{base}/sign-in"), None, &[("token", &token(&link))]).await;
    assert_eq!(signed.status, 303, "{}", signed.body);
    let cookie = signed.cookie().unwrap();
    let decks = send("GET", &format!("{base}/decks"), Some(&cookie), &[]).await;
    assert_eq!(decks.status, 200);
    assert!(decks.body.contains("Signed in as host"));
    let csrf = csrf_of(&decks.body);
    let made = send("POST", &format!("{base}/deck-new"), Some(&cookie), &[("csrf", &csrf), ("name", "evening"), ("title", "")]).await;
    assert_eq!(made.status, 303);
    // In chat at once.
    bot.slash(&host, "deck", json!([{ "name": "list", "type": 1, "options": [] }])).await;
    assert!(bot.private_to(&host).iter().any(|p| p.content().contains("evening")), "the new deck shows in chat");

    // The role goes: the next click signs them out.
    bot.fake.add_user(&User::new(host.id, "host"));
    let after = send("GET", &format!("{base}/decks"), Some(&cookie), &[]).await;
    assert_eq!(after.status, 403);
    assert!(after.body.contains("Only moderators"));
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moderator_by_manage_server_is_signed_out_when_it_is_taken_away_without_using_attune_again() {
    let admin = User::new(800_000_000_000_000_005, "admin").moderator();
    let bot = Bot::start(&[&admin]).await;
    let base = serve_page(&bot).await;
    bot.slash(&admin, "dashboard", json!([])).await;
    let answer = bot.private_to(&admin).into_iter().find(|p| p.content().contains("/sign-in/")).expect("a link");
    let link = link_in(&answer.content());
    let signed = send("POST", &format!("{base}/sign-in"), None, &[("token", &token(&link))]).await;
    assert_eq!(signed.status, 303, "{}", signed.body);
    let cookie = signed.cookie().unwrap();
    assert_eq!(send("GET", &format!("{base}/decks"), Some(&cookie), &[]).await.status, 200);
    // Manage Server goes (their role with it); they never use attune in the server again.
    bot.fake.add_user(&User::new(admin.id, "admin"));
    let after = send("GET", &format!("{base}/decks"), Some(&cookie), &[]).await;
    assert_eq!(after.status, 403, "read from the server's roles now, not from the last interaction");
    bot.stop().await;
}
