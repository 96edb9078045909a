//! Who may open circles, and how many at once (issue 15 §6): `who-opens`
//! (anyone, hosts, moderators), `open-per-member` and `open-per-channel`. A
//! refused open says why, points at the newest circle that counts, and
//! changes nothing.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use attune::core::effect::{Arg, Effect};
use attune::core::ids::{ChannelId, Platform};
use attune::core::input::{Input, Place};

use crate::support::*;

fn place(raw: &str) -> ChannelId {
    ChannelId::parse(Platform::Console, raw).unwrap()
}

/// The newest circle, moved into a thread of its own as the Discord adapter does.
fn into_thread(h: &mut Harness, thread: &str) {
    let id = h.state.circles.keys().max().copied().unwrap();
    h.input(Input::Placed { circle: id, channel: Some(place(thread)), voice: None });
}

/// The place a refusal points at.
fn pointed_at(effects: &[Effect]) -> Option<ChannelId> {
    refusals(effects).iter().flat_map(|m| &m.lines).flat_map(|l| &l.args).find_map(|(name, arg)| match arg {
        Arg::Place(c) if *name == "place" => Some(c.clone()),
        _ => None,
    })
}

fn open_from(h: &mut Harness, who: &str, from: &str) -> Vec<Effect> {
    h.cmd_in(who, Place::Channel(place(from)), "circle open")
}

#[test]
fn a_member_hosts_at_most_two_circles_by_default_and_is_pointed_at_the_newest() {
    let mut h = Harness::new();
    assert!(refusals(&open_from(&mut h, "alice", "general")).is_empty());
    into_thread(&mut h, "thread-1");
    assert!(refusals(&open_from(&mut h, "alice", "random")).is_empty(), "a second circle, from another channel");
    into_thread(&mut h, "thread-2");
    let before = snapshot(&h.state);
    let out = open_from(&mut h, "alice", "games");
    assert_eq!(ids(&refusals(&out)), vec!["refusal-open-limit-member"]);
    assert_eq!(pointed_at(&out), Some(place("thread-2")), "the refusal points at her newest circle");
    assert_same(&snapshot(&h.state), &before, "a refused open");
    let text = h.texts(&out).join("\n");
    assert!(text.contains("hosting 2 circles already") && text.contains("#thread-2"), "{text}");

    // A moderator isn't held to it, and the count is per member.
    for (who, from) in [("mod", "games"), ("mod", "music"), ("mod", "art"), ("bob", "games")] {
        assert!(refusals(&open_from(&mut h, who, from)).is_empty(), "{who} from {from}");
        into_thread(&mut h, &format!("thread-{who}-{from}"));
    }
    // Once one of hers has ended, she may open another.
    assert!(refusals(&h.cmd_in("alice", Place::Channel(place("thread-1")), "circle end")).is_empty());
    assert!(refusals(&open_from(&mut h, "alice", "games")).is_empty(), "an ended circle no longer counts");
}

#[test]
fn a_channel_holds_at_most_three_open_circles_by_default() {
    let mut h = Harness::new();
    for (i, who) in ["alice", "bob", "carol"].into_iter().enumerate() {
        assert!(refusals(&open_from(&mut h, who, "general")).is_empty(), "{who}");
        into_thread(&mut h, &format!("thread-{i}"));
    }
    let out = open_from(&mut h, "dave", "general");
    assert_eq!(ids(&refusals(&out)), vec!["refusal-open-limit-channel"]);
    assert_eq!(pointed_at(&out), Some(place("thread-2")));
    let text = h.texts(&out).join("\n");
    assert!(text.contains("3 circles opened from this channel are still open"), "{text}");
    assert!(refusals(&open_from(&mut h, "dave", "random")).is_empty(), "another channel has room");
    assert!(refusals(&open_from(&mut h, "mod", "general")).is_empty(), "moderators aren't held to it");
    into_thread(&mut h, "thread-mod");

    // Moderators can change both limits; a value out of range is refused kindly and changes nothing.
    assert!(refusals(&h.dm("mod", "settings set open-per-channel 5")).is_empty());
    assert!(refusals(&open_from(&mut h, "erin", "general")).is_empty(), "five may open from general now");
    let before = snapshot(&h.state);
    for bad in ["settings set open-per-channel 0", "settings set open-per-member 21", "settings set open-per-member lots"] {
        let out = h.dm("mod", bad);
        assert_eq!(ids(&refusals(&out)), vec!["refusal-bad-value"], "{bad}");
    }
    assert_same(&snapshot(&h.state), &before, "refused settings");
    assert!(!refusals(&h.dm("bob", "settings set open-per-member 9")).is_empty(), "members can't change it");
}

#[test]
fn who_opens_lets_hosts_or_only_moderators_open_circles() {
    let mut h = Harness::new();
    assert!(refusals(&h.dm("mod", "settings set who-opens hosts")).is_empty());
    let before = snapshot(&h.state);
    let out = h.cmd("alice", "circle open Tuesday");
    assert_eq!(ids(&refusals(&out)), vec!["refusal-opens-hosts"]);
    assert_same(&snapshot(&h.state), &before, "a member's refused open");
    let text = h.texts(&out).join("\n");
    assert!(text.contains("opened by its hosts and moderators") && !text.contains("Tuesday"), "{text}");

    let mut host = actor("hana");
    host.host = true;
    let open = attune::core::command::parse("circle open").unwrap();
    let out = h.input(Input::Command { actor: host.clone(), place: here(), command: open.clone() });
    assert!(refusals(&out).is_empty(), "a host may open: {out:?}");
    assert_eq!(h.circle().host, host.member);

    assert!(refusals(&h.dm("mod", "settings set who-opens moderators")).is_empty());
    let out = h.input(Input::Command { actor: host, place: Place::Channel(place("random")), command: open });
    assert_eq!(ids(&refusals(&out)), vec!["refusal-opens-moderators"]);
    assert!(refusals(&h.cmd_in("mod", Place::Channel(place("random")), "circle open")).is_empty());

    let out = h.dm("mod", "settings set who-opens nobody");
    assert_eq!(ids(&refusals(&out)), vec!["refusal-bad-value"]);
    assert!(h.texts(&out).join("\n").contains("anyone, hosts or moderators"));
    let out = h.dm("mod", "settings show");
    let shown = h.texts(&out).join("\n");
    for line in ["who-opens: moderators", "open-per-member: 2", "open-per-channel: 3"] {
        assert!(shown.contains(line), "{line} in {shown}");
    }
    assert!(refusals(&h.dm("mod", "settings set who-opens anyone")).is_empty());
    assert!(refusals(&h.cmd_in("alice", Place::Channel(place("games")), "circle open")).is_empty());
}

#[test]
fn a_cohost_who_takes_over_counts_the_circle_as_theirs() {
    let mut h = Harness::new();
    h.gather("alice", "", &["alice", "bob"]);
    let first = h.circle().id;
    assert!(refusals(&h.cmd("alice", "circle cohost bob")).is_empty());
    // alice asks to be forgotten: bob hosts her circle now.
    h.dm("alice", "forget-me");
    h.dm("alice", "forget-me confirm");
    assert_eq!(h.state.circles[&first].host, member("bob"), "bob took over");
    into_thread(&mut h, "thread-a");
    assert!(refusals(&open_from(&mut h, "bob", "random")).is_empty());
    into_thread(&mut h, "thread-b");
    let out = open_from(&mut h, "bob", "games");
    assert_eq!(ids(&refusals(&out)), vec!["refusal-open-limit-member"], "the circle he took over counts");
}
