use super::*;
use crate::core::deck::default_decks;

fn shipped() -> Vec<Deck> {
    default_decks().unwrap()
}

fn deck<'a>(decks: &'a [Deck], name: &str) -> &'a Deck {
    decks.iter().find(|d| d.name.as_str() == name).unwrap()
}

fn slug(s: &str) -> Slug {
    Slug::parse(s).unwrap()
}

/// Stores every deck as the store would, and reads them back over `over`.
fn roundtrip(base: &[Deck], seen: &[Deck], over: &[Deck]) -> Vec<Deck> {
    let names: BTreeSet<&str> = base.iter().chain(seen).map(|d| d.name.as_str()).collect();
    let rows = names
        .into_iter()
        .filter_map(|n| {
            let changes = diff(base.iter().find(|d| d.name.as_str() == n), seen.iter().find(|d| d.name.as_str() == n))?;
            Some((n.to_owned(), Stored::Changes(changes)))
        })
        .collect();
    effective(over, rows, false)
}

fn sorted(mut decks: Vec<Deck>) -> Vec<Deck> {
    decks.sort_by(|a, b| a.name.cmp(&b.name));
    decks
}

#[test]
fn a_community_that_changed_nothing_stores_nothing() {
    let s = shipped();
    for d in &s {
        assert_eq!(diff(Some(d), Some(d)), None, "deck {} as shipped needs no row", d.name);
    }
    assert_eq!(sorted(effective(&s, Vec::new(), false)), sorted(s.clone()));
}

#[test]
fn every_kind_of_change_reads_back_as_the_community_saw_it() {
    let s = shipped();
    let mut seen = s.clone();
    let check_in = seen.iter_mut().find(|d| d.name.as_str() == "check-in").unwrap();
    check_in.cards[0].enabled = false;
    check_in.cards[1].text = "A moderator's own words.".into();
    check_in.cards.remove(2);
    let mut added = check_in.cards[0].clone();
    added.id = slug("check-in-99");
    check_in.cards.push(added);
    check_in.enabled = false;
    seen.retain(|d| d.name.as_str() != "closing");
    let mut own = deck(&s, "practices").clone();
    own.name = slug("ours");
    own.own = true;
    seen.push(own);
    let mut imported = deck(&s, "sharing").clone();
    imported.cards.truncate(3);
    imported.own = true;
    *seen.iter_mut().find(|d| d.name.as_str() == "sharing").unwrap() = imported;
    assert_eq!(sorted(roundtrip(&s, &seen, &s)), sorted(seen));
}

#[test]
fn a_corrected_shipped_card_reaches_the_community_unless_it_changed_that_card() {
    let s = shipped();
    let mut seen = s.clone();
    let check_in = seen.iter_mut().find(|d| d.name.as_str() == "check-in").unwrap();
    check_in.cards[0].enabled = false;
    check_in.cards[1].text = "A moderator's own words.".into();
    let mut next = s.clone();
    let cards = &mut next.iter_mut().find(|d| d.name.as_str() == "check-in").unwrap().cards;
    for (i, c) in cards.iter_mut().enumerate().take(3) {
        c.text = format!("Corrected card {i}.");
    }
    let mut new = cards[0].clone();
    new.id = slug("check-in-98");
    cards.push(new);
    let got = roundtrip(&s, &seen, &next);
    let cards = &deck(&got, "check-in").cards;
    assert_eq!(cards[0].text, "Corrected card 0.", "a disabled card still gets the correction");
    assert!(!cards[0].enabled, "and stays disabled");
    assert_eq!(cards[1].text, "A moderator's own words.", "an edited card keeps the moderator's words");
    assert_eq!(cards[2].text, "Corrected card 2.", "an untouched card follows the shipped one");
    assert!(cards.iter().any(|c| c.id.as_str() == "check-in-98"), "a newly shipped card arrives");
}

#[test]
fn an_imported_deck_stays_as_imported_whatever_ships_later() {
    let s = shipped();
    let mut seen = s.clone();
    let mut imported = deck(&s, "closing").clone();
    imported.cards.truncate(2);
    imported.own = true;
    *seen.iter_mut().find(|d| d.name.as_str() == "closing").unwrap() = imported.clone();
    let mut next = s.clone();
    next.iter_mut().find(|d| d.name.as_str() == "closing").unwrap().cards[0].text = "Corrected.".into();
    assert_eq!(deck(&roundtrip(&s, &seen, &next), "closing"), &imported);
}

#[test]
fn a_shipped_id_a_moderator_already_used_stays_the_moderators_card() {
    let s = shipped();
    let mut seen = s.clone();
    let check_in = seen.iter_mut().find(|d| d.name.as_str() == "check-in").unwrap();
    let mut mine = check_in.cards[0].clone();
    mine.id = slug("check-in-50");
    mine.text = "Ours.".into();
    check_in.cards.push(mine);
    let mut next = s.clone();
    let closing = next.iter_mut().find(|d| d.name.as_str() == "closing").unwrap();
    let mut theirs = closing.cards[0].clone();
    theirs.id = slug("check-in-50");
    closing.cards.push(theirs);
    let got = roundtrip(&s, &seen, &next);
    let all: Vec<&Card> = got.iter().flat_map(|d| &d.cards).filter(|c| c.id.as_str() == "check-in-50").collect();
    assert_eq!(all.len(), 1, "card ids stay unique");
    assert_eq!(all[0].text, "Ours.");
}

#[test]
fn a_full_copy_from_release_0_1_0_counts_only_what_its_moderators_changed() {
    let s = shipped();
    let base = released_decks();
    let mut copy = deck(&base, "sharing").clone();
    // In release 0.1.0's copy a moderator changed one card and removed another.
    copy.cards.iter_mut().find(|c| c.id.as_str() == "sharing-02").unwrap().intensity = crate::core::deck::Intensity::Light;
    copy.cards.retain(|c| c.id.as_str() != "sharing-03");
    let rows = vec![("sharing".to_owned(), Stored::Full(copy))];
    let got = effective(&s, rows, true);
    assert_eq!(
        got.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(),
        ["sharing"],
        "a legacy community without a row had removed that deck"
    );
    let sharing = deck(&got, "sharing");
    let find = |id: &str| sharing.cards.iter().find(|c| c.id.as_str() == id);
    let shipped_card = |id: &str| deck(&s, "sharing").cards.iter().find(|c| c.id.as_str() == id).unwrap().clone();
    assert_eq!(find("sharing-10"), Some(&shipped_card("sharing-10")), "a card corrected since 0.1.0 follows the shipped one");
    assert_eq!(find("sharing-02").unwrap().intensity, crate::core::deck::Intensity::Light, "the moderator's edit stays");
    assert!(find("sharing-03").is_none(), "the moderator's removal stays");
    let new_since: Vec<&Card> =
        deck(&s, "sharing").cards.iter().filter(|c| !deck(&base, "sharing").cards.iter().any(|b| b.id == c.id)).collect();
    assert!(new_since.iter().all(|c| find(c.id.as_str()).is_some()), "cards shipped since 0.1.0 arrive");
}

#[test]
fn release_0_1_0s_decks_still_parse() {
    assert_eq!(released_decks().len(), RELEASED_0_1_0.len());
}
