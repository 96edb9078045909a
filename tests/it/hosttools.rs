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
