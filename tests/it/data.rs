//! Data that lasts: what a running bot keeps in memory, and shipped decks under
//! a community's own changes.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::Path;

use attune::config::Config;
use attune::core::circle::plus;
use attune::core::command::{self, Command, DeckCmd};
use attune::core::deck::{self, Deck};
use attune::core::ids::{CommunityId, Platform};
use attune::core::input::{Input, Place, TimerKey};
use attune::engine::{Answer, Clock, Engine, Outlets, Seed};
use attune::store::Store;

use crate::support::*;

/// Fires the daily purge at `h.now` and returns the circles it marked for the store.
fn purge(h: &mut Harness) -> Vec<attune::core::ids::CircleId> {
    let input = Input::TimerFired { key: TimerKey::Purge, generation: 0 };
    let _ = attune::core::handle(&mut h.state, input, h.now, &mut h.rng);
    h.state.take_dirty().circles.into_iter().collect()
}

#[test]
fn a_running_bot_lets_go_of_old_ended_circles_as_a_restarted_one_would() {
    let mut h = Harness::new();
    h.cmd("mod", "circle open");
    h.cmd("mod", "circle end");
    let id = *h.state.circles.keys().next().expect("a circle was opened");
    h.now = plus(h.now, 86_400);
    assert!(purge(&mut h).is_empty());
    assert!(h.state.circles.contains_key(&id), "a circle that ended a day ago stays in memory for its pulse");
    h.now = plus(h.now, 2 * 86_400);
    assert!(purge(&mut h).is_empty(), "letting go of a circle in memory never deletes it from the store");
    assert!(!h.state.circles.contains_key(&id), "one that ended three days ago is not kept, just as a restart wouldn't load it");
    let status = h.cmd("mod", "circle status");
    assert!(
        status.iter().any(|e| format!("{e:?}").contains("NoCircleHere") || format!("{e:?}").contains("no-circle")),
        "status answers as it would after a restart: {status:?}"
    );
}

// ---- shipped decks under a community's own changes -------------------------

fn console() -> CommunityId {
    CommunityId::parse(Platform::Console, "console").expect("a community id")
}

/// Starts the engine on `path` with `decks` as the shipped decks, has the moderator
/// send each command privately, and stops it; returns the answers.
async fn as_moderator(path: &Path, decks: &[Deck], commands: Vec<Command>) -> Vec<Answer> {
    let store = Store::open(path).await.expect("the store opens");
    let (outlets, mut rx) = Outlets::single(Platform::Console);
    tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let mut content = Config::default().content().expect("content");
    content.decks = decks.to_vec();
    let (e, _) = Engine::start(store, Clock::manual(t0()), content, Seed::Fixed(1), outlets).await.expect("the engine starts");
    let mut answers = Vec::new();
    for command in commands {
        let input = Input::Command { actor: actor("mod"), place: Place::Private, command };
        answers.push(e.submit(&console(), input, None).await.expect("applied"));
    }
    e.shutdown().await;
    answers
}

fn line(text: &str) -> Command {
    command::parse(text).expect("a valid command")
}

/// The deck the moderator gets from `deck export NAME`, as the community sees it.
async fn exported(path: &Path, decks: &[Deck], name: &str) -> Deck {
    let answers = as_moderator(path, decks, vec![line(&format!("deck export {name}"))]).await;
    let message = answers[0].private_to(&member("mod")).find_map(|m| m.attachment.clone()).expect("an exported deck file");
    deck::parse_file(&message.content).expect("the export parses")
}

fn card<'a>(d: &'a Deck, id: &str) -> &'a deck::Card {
    d.cards.iter().find(|c| c.id.as_str() == id).unwrap_or_else(|| panic!("card {id} is in deck {}", d.name))
}

/// The shipped decks of a later release: check-in-01 to -03 corrected, and a new card.
fn next_release() -> Vec<Deck> {
    let mut decks = deck::default_decks().expect("the shipped decks parse");
    let check_in = decks.iter_mut().find(|d| d.name.as_str() == "check-in").expect("a check-in deck");
    for (i, c) in check_in.cards.iter_mut().enumerate().take(3) {
        c.text = format!("Corrected card {}.", i + 1);
    }
    let mut new = check_in.cards[0].clone();
    new.id = attune::core::ids::Slug::parse("check-in-90").expect("a slug");
    new.text = "A card shipped later.".into();
    check_in.cards.push(new);
    decks
}

#[tokio::test]
async fn a_corrected_shipped_card_reaches_an_existing_community_and_its_moderators_changes_survive() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("attune.db");
    let first = deck::default_decks().expect("the shipped decks parse");
    as_moderator(&path, &first, vec![line("deck disable check-in-03"), line("deck edit check-in-02 text Our own words for arriving.")])
        .await;
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM decks").fetch_one(Store::open(&path).await.unwrap().pool()).await.unwrap();
    assert_eq!(rows, 1, "the community stores only its changes to one deck, not copies of every deck");
    let later = exported(&path, &next_release(), "check-in").await;
    assert_eq!(card(&later, "check-in-01").text, "Corrected card 1.", "a corrected card reaches a community that never changed it");
    assert_eq!(card(&later, "check-in-02").text, "Our own words for arriving.", "a moderator's edit survives a later shipped change");
    assert_eq!(card(&later, "check-in-03").text, "Corrected card 3.", "a disabled card still gets the correction");
    assert!(!card(&later, "check-in-03").enabled, "and stays disabled");
    assert_eq!(card(&later, "check-in-90").text, "A card shipped later.", "a newly shipped card arrives");
}

#[tokio::test]
async fn an_imported_deck_replaces_the_shipped_one_and_a_removed_one_stays_removed() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("attune.db");
    let first = deck::default_decks().expect("the shipped decks parse");
    let mut mine = first.iter().find(|d| d.name.as_str() == "check-in").expect("a check-in deck").clone();
    mine.cards.truncate(2);
    mine.title = "Our check-in".into();
    let import = Command::Deck(DeckCmd::Import { source: "check-in.toml".into(), content: Some(deck::to_file(&mine)) });
    as_moderator(&path, &first, vec![import, line("deck remove closing confirm")]).await;
    let later = exported(&path, &next_release(), "check-in").await;
    assert_eq!(later, mine, "an imported deck is the community's own: nothing shipped later changes it");
    let answers = as_moderator(&path, &next_release(), vec![line("deck list")]).await;
    let listed = format!("{:?}", answers[0]);
    assert!(!listed.contains("\"closing\""), "a removed shipped deck stays removed: {listed}");
    assert!(listed.contains("\"sharing\""), "the others are listed");
}

#[tokio::test]
async fn the_release_0_1_0_database_shows_the_same_decks_and_then_stores_only_its_changes() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("old.db");
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/db/v0.1.0.db"), &path).expect("the fixture copies");
    let shipped = deck::default_decks().expect("the shipped decks parse");
    let store = Store::open(&path).await.expect("the old database migrates");
    let before = store.load(&console(), None).await.unwrap().unwrap().decks.over(&shipped);
    store.close().await;
    drop(store);
    let names: Vec<&str> = before.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["check-in", "closing", "extra", "practices", "self-reflection", "sharing"], "the same decks are visible");
    let check_in = before.iter().find(|d| d.name.as_str() == "check-in").unwrap();
    assert!(!card(check_in, "check-in-01").enabled, "the moderator's disabled card stays disabled");
    let sharing = before.iter().find(|d| d.name.as_str() == "sharing").unwrap();
    assert_eq!(card(sharing, "sharing-02").intensity, deck::Intensity::Light, "the moderator's edit stays");
    let shipped_sharing = shipped.iter().find(|d| d.name.as_str() == "sharing").unwrap();
    assert_eq!(card(sharing, "sharing-10"), card(shipped_sharing, "sharing-10"), "a card corrected since 0.1.0 reaches it");
    let extra = before.iter().find(|d| d.name.as_str() == "extra").unwrap();
    assert_eq!(extra.cards.len(), 1, "the moderator's own deck is kept whole");
    // The first start rewrites the full copies as changes.
    let after_start = {
        let answers = as_moderator(&path, &shipped, vec![line("deck list")]).await;
        drop(answers);
        let store = Store::open(&path).await.unwrap();
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT name, format FROM decks ORDER BY name").fetch_all(store.pool()).await.unwrap();
        assert_eq!(
            rows,
            [
                ("check-in".to_owned(), attune::store::FORMAT),
                ("extra".to_owned(), attune::store::FORMAT),
                ("sharing".to_owned(), attune::store::FORMAT)
            ],
            "only the decks its moderators changed keep a row"
        );
        store.load(&console(), None).await.unwrap().unwrap().decks.over(&shipped)
    };
    assert_eq!(after_start, before, "and it sees the same decks as before the rewrite");
}
