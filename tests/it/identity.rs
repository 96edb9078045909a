//! Identity and impersonation (issue 9): erased records are reachable by
//! nobody, display names are outside text, and the opener and moderators
//! outrank co-hosts.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use attune::core::circle::Phase;
use attune::core::command::Command;
use attune::core::ids::{MemberRef, Platform};
use attune::core::input::{Actor, Input};

use crate::support::*;

fn forget(h: &mut Harness, name: &str) {
    h.dm(name, "forget-me");
    let out = h.dm(name, "forget-me confirm");
    assert!(refusals(&out).is_empty(), "{name} is forgotten: {:?}", h.texts(&out));
}

#[test]
fn nobody_can_act_as_the_placeholder_of_an_erased_host() {
    let mut h = Harness::new();
    h.gather("alice", "", &["alice", "bob", "carol"]);
    // A member who names themselves like the old placeholder gains nothing.
    let out = h.cmd("forgotten-member", "circle start");
    assert!(has(&refusals(&out), "refusal-not-host"));
    forget(&mut h, "alice");
    let host = h.circle().host.clone();
    assert!(host.is_erased(), "the erased host is replaced by the placeholder, not a name anyone can type");
    assert!(MemberRef::parse(Platform::Console, host.user()).is_err(), "the placeholder is not a valid member reference");
    for platform in [Platform::Console, Platform::Discord, Platform::Matrix] {
        assert!(MemberRef::parse(platform, MemberRef::erased(platform).user()).is_err(), "not on {platform:?} either");
    }
    assert_eq!(h.phase(), Phase::Cancelled, "a gathering circle without a host ends kindly");
    assert!(h.log.iter().any(|e| public_ids(std::slice::from_ref(e)).contains(&"host-gone-before-start")), "and says so");
    let out = h.cmd("forgotten-member", "circle end");
    assert!(!refusals(&out).is_empty(), "nobody can end or reopen what the erased host left");
}

#[test]
fn a_cohost_takes_over_a_circle_whose_host_was_erased() {
    let mut h = Harness::started(&["alice", "bob", "carol"]);
    h.cmd("alice", "circle cohost bob");
    forget(&mut h, "alice");
    assert_eq!(h.circle().host, member("bob"), "the co-host becomes the host");
    assert!(h.circle().is_live(), "and the circle goes on");
    assert!(h.circle().title.is_none());
    let out = h.cmd("bob", "circle pause");
    assert!(refusals(&out).is_empty(), "the new host has host tools: {:?}", h.texts(&out));
}

/// A command from a member whose user id and display name are given separately.
fn as_shown(h: &mut Harness, user: &str, display: &str, line: &str) -> Vec<attune::core::effect::Effect> {
    let actor = Actor { member: member(user), display: display.to_owned(), moderator: false, host: false };
    let command = attune::core::command::parse(line).expect("a valid command");
    h.input(Input::Command { actor, place: here(), command })
}

fn join_as(h: &mut Harness, user: &str, display: &str) -> Vec<attune::core::effect::Effect> {
    let mut out = as_shown(h, user, display, "circle join");
    let actor = Actor { member: member(user), display: display.to_owned(), moderator: false, host: false };
    out.extend(h.input(Input::Command { actor, place: attune::core::input::Place::Private, command: Command::Agree }));
    out
}

#[test]
fn two_seats_never_look_the_same_and_host_tools_reach_the_right_one() {
    let mut h = Harness::new();
    h.gather("mod", "", &[]);
    join_as(&mut h, "alice", "alice");
    let out = join_as(&mut h, "alice\u{200B}", "alice\u{200B}");
    let shown: Vec<String> = h.circle().seats.iter().map(|s| s.display.clone()).collect();
    assert_eq!(shown, ["alice", "alice (2)"], "the look-alike gets a distinguishing number");
    assert!(h.public(&out).iter().any(|l| l.contains("alice (2)")), "and is announced with it: {:?}", h.public(&out));
    let out = h.cmd("mod", "circle remove alice");
    assert!(refusals(&out).is_empty());
    let left: Vec<MemberRef> = h.circle().seats.iter().map(|s| s.member.clone()).collect();
    assert_eq!(left, [member("alice\u{200B}")], "`remove alice` removes the seat shown as alice, not the look-alike");
    h.cmd("mod", "circle remove alice (2)");
    assert!(h.circle().seats.is_empty(), "the look-alike is reachable by the name the circle shows");
}

#[test]
fn host_tools_go_by_the_name_the_circle_shows_and_refuse_to_guess() {
    let mut h = Harness::new();
    h.gather("mod", "", &[]);
    join_as(&mut h, "bob", "carol");
    join_as(&mut h, "carol", "dave");
    h.cmd("mod", "circle cohost carol");
    assert_eq!(h.circle().cohosts, [member("bob")], "`carol` is the seat shown as carol, not the user id carol");
    h.cmd("mod", "circle cohost bob off");
    assert!(h.circle().cohosts.is_empty(), "a user id still works when no shown name fits");
    // Two seats shown alike (as a record from before names were told apart might hold).
    let id = h.circle().id;
    h.state.circles.get_mut(&id).unwrap().seats[1].display = "Carol".into();
    let before = snapshot(&h.state);
    let out = h.cmd("mod", "circle remove carol");
    assert!(has(&refusals(&out), "refusal-ambiguous-name"), "a guess could remove the wrong person: {:?}", h.texts(&out));
    assert_same(&snapshot(&h.state), &before, "an ambiguous name changes nothing");
}

#[test]
fn display_names_are_cleaned_and_can_neither_ping_nor_mark_up_nor_reverse() {
    let mut h = Harness::new();
    h.gather("mod", "", &[]);
    let out = join_as(&mut h, "p1", "@everyone");
    let out2 = join_as(&mut h, "p2", "<b>x</b>");
    let out3 = join_as(&mut h, "p3", "\u{202E}ecila");
    let public = [h.public(&out), h.public(&out2), h.public(&out3)].concat();
    let all = public.join("\n");
    assert!(!all.contains("@everyone") && !all.contains("<b>"), "names are posted defused: {all}");
    assert!(!all.contains('\u{202E}'), "no direction override reaches the channel: {all}");
    let shown: Vec<String> = h.circle().seats.iter().map(|s| s.display.clone()).collect();
    assert_eq!(shown, ["＠everyone", "‹b›x‹/b›", "ecila"]);
}

#[test]
fn a_name_with_nothing_visible_cannot_take_a_seat_but_can_still_ask_for_help() {
    let mut h = Harness::new();
    h.gather("mod", "", &[]);
    let before = snapshot(&h.state);
    let out = as_shown(&mut h, "ghost", "\u{200B}\u{3164}", "circle join");
    assert!(has(&refusals(&out), "refusal-name-empty"), "{:?}", h.texts(&out));
    assert_same(&snapshot(&h.state), &before, "nothing changed");
    let out = as_shown(&mut h, "ghost", "\u{200B}", "support");
    assert!(refusals(&out).is_empty(), "reaching a moderator never depends on a name");
}

#[test]
fn a_name_spelled_with_look_alike_letters_is_told_apart() {
    let mut h = Harness::new();
    h.gather("mod", "", &[]);
    join_as(&mut h, "alice", "alice");
    join_as(&mut h, "imposter", "\u{0430}lice");
    let shown: Vec<String> = h.circle().seats.iter().map(|s| s.display.clone()).collect();
    assert_eq!(shown[1], "\u{0430}lice (2)", "a Cyrillic а doesn't make a second 'alice'");
}
