//! Identity and impersonation (issue 9): erased records are reachable by
//! nobody, display names are outside text, and the opener and moderators
//! outrank co-hosts.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use attune::core::circle::Phase;
use attune::core::ids::{MemberRef, Platform};

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

#[test]
fn a_running_circle_whose_erased_host_had_no_cohost_closes_kindly() {
    let mut h = Harness::started(&["alice", "bob", "carol"]);
    forget(&mut h, "alice");
    assert_eq!(h.phase(), Phase::Ended);
    assert!(h.circle().host.is_erased());
    let ended = h.log.iter().any(|e| public_ids(std::slice::from_ref(e)).contains(&"host-gone"));
    assert!(ended, "the circle is told why it closes");
}
