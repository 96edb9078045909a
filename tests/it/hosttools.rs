//! Host tools (issue 9): a removal holds, co-hosts can be revoked, and the
//! opener and moderators outrank co-hosts.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use crate::support::*;

#[test]
fn a_removed_member_stays_out_of_that_circle_until_a_host_readmits_them() {
    let mut h = Harness::started(&["alice", "bob", "carol"]);
    h.cmd("alice", "circle remove carol");
    let before = snapshot(&h.state);
    let out = h.cmd("carol", "circle join");
    assert!(has(&refusals(&out), "refusal-removed"), "a removal holds: {:?}", h.texts(&out));
    assert_same(&snapshot(&h.state), &before, "and the refused join changed nothing");
    let out = h.cmd("alice", "circle readmit carol");
    assert!(private_ids(&out, "carol").contains(&"readmitted"), "{:?}", h.texts(&out));
    let out = h.join("carol");
    assert!(refusals(&out).is_empty(), "once readmitted, carol may join: {:?}", h.texts(&out));
}

#[test]
fn a_cohost_can_be_revoked_and_loses_host_powers_when_removed() {
    let mut h = Harness::started(&["alice", "bob", "carol", "dan"]);
    h.cmd("alice", "circle cohost bob");
    assert!(h.circle().cohosts.contains(&member("bob")));
    let out = h.cmd("alice", "circle cohost bob off");
    assert!(public_ids(&out).contains(&"cohost-removed"), "{:?}", h.texts(&out));
    assert!(h.circle().cohosts.is_empty(), "`cohost NAME off` revokes");
    h.cmd("alice", "circle cohost bob");
    h.cmd("alice", "circle uncohost bob");
    assert!(h.circle().cohosts.is_empty(), "so does `uncohost NAME`");
    h.cmd("alice", "circle cohost bob");
    h.cmd("alice", "circle remove bob");
    assert!(h.circle().cohosts.is_empty(), "a removed co-host is no longer a co-host");
    let out = h.cmd("bob", "circle pause");
    assert!(has(&refusals(&out), "refusal-not-host"), "and has no host powers left");
}

#[test]
fn the_opener_and_moderators_outrank_cohosts() {
    let mut h = Harness::started(&["alice", "bob", "carol", "dan"]);
    h.cmd("alice", "circle cohost bob");
    h.cmd("alice", "circle cohost carol");
    let before = snapshot(&h.state);
    for line in ["circle remove alice", "circle remove carol", "circle cohost carol off", "circle cohost dan"] {
        let out = h.cmd("bob", line);
        assert!(has(&refusals(&out), "refusal-outranked"), "a co-host can't `{line}`: {:?}", h.texts(&out));
    }
    assert_same(&snapshot(&h.state), &before, "nothing changed");
    let out = h.cmd("bob", "circle remove dan");
    assert!(refusals(&out).is_empty(), "a co-host may still remove a member: {:?}", h.texts(&out));
    let out = h.cmd("mod", "circle remove carol");
    assert!(refusals(&out).is_empty(), "a moderator may remove a co-host");
    let out = h.cmd("mod", "circle cohost bob off");
    assert!(refusals(&out).is_empty(), "and revoke one");
}

#[test]
fn circle_next_says_the_turn_was_moved_on() {
    let mut h = Harness::started(&["alice", "bob", "carol"]);
    h.advance(10);
    let out = h.cmd("alice", "circle next");
    assert!(public_ids(&out).contains(&"host-next"), "the channel hears why the turn ended: {:?}", h.texts(&out));
}

#[test]
fn moving_the_speaker_or_someone_who_spoke_says_so() {
    let mut h = Harness::started(&["alice", "bob", "carol"]);
    let out = h.cmd("alice", "circle move alice 1");
    assert!(has(&refusals(&out), "refusal-move-speaker"), "{:?}", h.texts(&out));
    h.cmd("alice", "done");
    let out = h.cmd("bob", "circle move alice 1");
    let out2 = h.cmd("alice", "circle move alice 1");
    assert!(has(&refusals(&out), "refusal-not-host"));
    assert!(has(&refusals(&out2), "refusal-not-waiting"), "{:?}", h.texts(&out2));
}

#[test]
fn a_raised_hand_during_your_own_turn_is_answered_kindly() {
    let mut h = Harness::new();
    h.template("standard", "order", "hand");
    h.start("", &["alice", "bob", "carol"]);
    let sp = h.speaker().expect("someone speaks");
    let out = h.cmd(&sp, "hand");
    assert_eq!(private_ids(&out, &sp), ["hand-own-turn"], "not 'you already had your turn': {:?}", h.texts(&out));
}

#[test]
fn a_second_pulse_hears_it_was_already_answered() {
    let mut h = Harness::started(&["alice", "bob", "carol", "dan"]);
    h.cmd("alice", "circle end");
    h.dm("bob", "pulse 4");
    let out = h.dm("bob", "pulse 5");
    assert!(has(&refusals(&out), "refusal-pulse-answered"), "{:?}", h.texts(&out));
}

#[test]
fn a_gathering_circle_is_not_called_running() {
    let mut h = Harness::new();
    h.gather("alice", "", &["alice"]);
    let out = h.cmd("bob", "circle open");
    assert!(has(&refusals(&out), "refusal-circle-gathering"), "{:?}", h.texts(&out));
}

#[test]
fn a_time_budget_is_promised_up_front_and_an_early_close_is_said() {
    let mut h = Harness::new();
    h.template("standard", "rounds", "2");
    h.template("standard", "budget", "1m");
    let out = h.cmd("alice", "circle open");
    assert!(public_ids(&out).contains(&"circle-budget"), "the opening says sharing has a time limit");
    for n in ["alice", "bob", "carol"] {
        h.join(n);
    }
    h.cmd("alice", "circle start");
    let before = h.log.len();
    h.done_until(attune::core::circle::Phase::Sharing);
    let ids = public_ids(&h.log[before..]);
    let n = ids.iter().filter(|id| **id == "circle-budget").count();
    assert_eq!(n, 1, "the start of sharing repeats the time limit beside '2 rounds': {ids:?}");
    h.advance(120);
    let before = h.log.len();
    h.done_until(attune::core::circle::Phase::Closing);
    let ids = public_ids(&h.log[before..]);
    assert!(ids.contains(&"closing-budget"), "closing before the second round is explained: {ids:?}");
}

#[test]
fn a_title_that_starts_with_a_template_name_keeps_it_when_capitalised() {
    let mut h = Harness::new();
    h.cmd("alice", "circle open Short walks and talks");
    assert_eq!(h.circle().title.as_deref(), Some("Short walks and talks"));
    assert_eq!(h.circle().template.name, "standard");
    h.cmd("alice", "circle end");
    h.cmd("alice", "circle open short Tuesday circle");
    assert_eq!(h.circle().title.as_deref(), Some("Tuesday circle"), "the lowercase template name still picks the template");
    assert_eq!(h.circle().template.name, "short");
    h.cmd("alice", "circle end");
    h.cmd("alice", "circle open \"short walks\"");
    assert_eq!(h.circle().title.as_deref(), Some("short walks"), "a quoted title is always whole");
    assert_eq!(h.circle().template.name, "standard");
}

#[test]
fn passing_after_your_turn_says_there_is_nothing_to_pass() {
    let mut h = Harness::started(&["alice", "bob", "carol"]);
    h.cmd("alice", "done");
    let out = h.cmd("alice", "pass");
    assert!(has(&refusals(&out), "refusal-nothing-to-pass"), "not 'you can pass at any time': {:?}", h.texts(&out));
}

#[test]
fn the_hosts_hear_privately_when_only_one_person_is_left() {
    let mut h = Harness::new();
    h.gather("mod", "", &["alice", "bob", "cara"]);
    h.cmd("mod", "circle start");
    h.cmd("bob", "circle leave");
    let out = h.cmd("cara", "circle leave");
    let to_host = h.private(&out, "mod");
    assert!(to_host.iter().any(|t| t.contains("Only alice is still in the circle")), "{:?}", h.texts(&out));
    assert!(h.public(&out).iter().all(|t| !t.contains("Only alice")), "never said publicly");
}

#[test]
fn a_host_left_alone_is_told_kindly_and_only_once_it_happens() {
    let mut h = Harness::started(&["alice", "bob"]);
    let out = h.cmd("bob", "circle leave");
    let to_host = h.private(&out, "alice");
    assert!(to_host.iter().any(|t| t.contains("You're the only one left")), "{:?}", h.texts(&out));
}

#[test]
fn a_cohost_can_step_down_but_not_revoke_another() {
    let mut h = Harness::new();
    h.gather("mod", "", &["alice", "bob", "cara"]);
    h.cmd("mod", "circle cohost bob");
    h.cmd("mod", "circle cohost cara");
    let out = h.cmd("cara", "circle cohost bob off");
    assert!(has(&refusals(&out), "refusal-outranked"), "{:?}", h.texts(&out));
    let out = h.cmd("bob", "circle cohost bob off");
    assert!(refusals(&out).is_empty(), "{:?}", h.texts(&out));
    assert_eq!(h.circle().cohosts, vec![member("cara")]);
}

/// Issue 16 §3: a command that reached attune late (a Matrix message whose keys
/// came after the turn moved on) acts only as it was meant when sent: a host's
/// `next` sent during one turn never skips the turn that began meanwhile.
#[test]
fn a_late_next_sent_during_an_earlier_turn_leaves_the_current_turn_as_it_is() {
    use attune::core::command::{CircleCmd, Command, Scope};
    let mut h = Harness::started(&["alice", "bob", "carol"]);
    let sent_during_first = h.now;
    let first = h.speaker().expect("a first speaker");
    h.advance(30);
    let done = h.cmd(&first, "done");
    assert!(refusals(&done).is_empty(), "{:?}", h.texts(&done));
    h.advance(30);
    let second = h.speaker().expect("a second speaker");
    assert_ne!(first, second);
    let late = Command::Scoped(Scope::Sent(sent_during_first), Box::new(Command::Circle(CircleCmd::Next)));
    let before = snapshot(&h.state);
    let out = h.command("alice", here(), late);
    assert!(has(&refusals(&out), "refusal-turn-over"), "{:?}", h.texts(&out));
    assert_same(&snapshot(&h.state), &before, "the current turn is as it was");
    assert_eq!(h.speaker().as_deref(), Some(second.as_str()));
    // Sent during this turn, it acts.
    let now = h.now;
    let timely = Command::Scoped(Scope::Sent(now), Box::new(Command::Circle(CircleCmd::Next)));
    let out = h.command("alice", here(), timely);
    assert!(refusals(&out).is_empty(), "{:?}", h.texts(&out));
    assert_ne!(h.speaker().as_deref(), Some(second.as_str()), "the turn moved on");
}
