//! Sign-in links for the moderator page. The core decides who may have one
//! (`Effect::SignIn`); the engine makes it here, because its secret must come
//! from the operating system's randomness, never from the core's seeded RNG,
//! and must never be stored. A link works once, for [`PASS_LIFE`], for one
//! moderator and one community. Memory only: a restart voids every link.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::core::ids::{CommunityId, MemberRef};

/// How long a sign-in link works.
pub const PASS_LIFE: Duration = Duration::from_secs(10 * 60);
/// Links waiting to be used in one community, at most; its oldest goes first
/// past this, so one busy community can't void another's links.
const MOST_WAITING_HERE: usize = 64;
/// Links waiting in all, at most (the oldest anywhere goes first past this).
const MOST_WAITING: usize = 8192;

/// Who a link signs in, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pass {
    pub community: CommunityId,
    pub member: MemberRef,
}

/// The links given out and not yet used, and where the page is served.
pub struct Passes {
    public_url: String,
    waiting: Mutex<HashMap<String, (Pass, Instant)>>,
}

impl Passes {
    /// `public_url` is the page's address as moderators reach it (no trailing slash).
    pub fn new(public_url: &str) -> Self {
        Passes { public_url: public_url.trim_end_matches('/').to_owned(), waiting: Mutex::new(HashMap::new()) }
    }

    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// A new link for `member` in `community`, or `None` when the system gave no randomness.
    pub fn mint(&self, community: &CommunityId, member: &MemberRef) -> Option<String> {
        let token = secret()?;
        let mut waiting = self.waiting.lock().ok()?;
        waiting.retain(|_, (_, made)| made.elapsed() < PASS_LIFE);
        let here = |p: &Pass| p.community == *community;
        let oldest = if waiting.values().filter(|(p, _)| here(p)).count() >= MOST_WAITING_HERE {
            waiting.iter().filter(|(_, (p, _))| here(p)).min_by_key(|(_, (_, made))| *made).map(|(k, _)| k.clone())
        } else if waiting.len() >= MOST_WAITING {
            waiting.iter().min_by_key(|(_, (_, made))| *made).map(|(k, _)| k.clone())
        } else {
            None
        };
        if let Some(oldest) = oldest {
            waiting.remove(&oldest);
        }
        waiting.insert(token.clone(), (Pass { community: community.clone(), member: member.clone() }, Instant::now()));
        Some(format!("{}/sign-in/{token}", self.public_url))
    }

    /// Uses a link: who it signs in, once, while it is fresh. A used, unknown or
    /// expired link gives `None` (and an expired one is forgotten).
    pub fn redeem(&self, token: &str) -> Option<Pass> {
        let mut waiting = self.waiting.lock().ok()?;
        let (pass, made) = waiting.remove(token)?;
        (made.elapsed() < PASS_LIFE).then_some(pass)
    }

    /// Makes every waiting link older by `by` (tests of expiry, without waiting ten minutes).
    pub fn age(&self, by: Duration) {
        if let Ok(mut waiting) = self.waiting.lock() {
            for (_, made) in waiting.values_mut() {
                *made = made.checked_sub(by).unwrap_or(*made);
            }
        }
    }
}

/// 32 bytes from the operating system, as 64 hex digits.
pub fn secret() -> Option<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).ok()?;
    Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::ids::Platform;

    fn pass() -> (CommunityId, MemberRef) {
        (CommunityId::parse(Platform::Console, "console").unwrap(), MemberRef::parse(Platform::Console, "mod").unwrap())
    }

    #[test]
    fn a_link_works_once() {
        let passes = Passes::new("http://127.0.0.1:9464/");
        let (c, m) = pass();
        let link = passes.mint(&c, &m).unwrap();
        let token = link.strip_prefix("http://127.0.0.1:9464/sign-in/").unwrap();
        assert_eq!(token.len(), 64);
        assert_eq!(passes.redeem(token), Some(Pass { community: c, member: m }));
        assert_eq!(passes.redeem(token), None, "used once");
        assert_eq!(passes.redeem("0000"), None);
    }

    #[test]
    fn one_community_can_only_void_its_own_links() {
        let passes = Passes::new("http://x");
        let (c, m) = pass();
        let other = CommunityId::parse(Platform::Console, "other").unwrap();
        let theirs = passes.mint(&other, &m).unwrap();
        for _ in 0..(MOST_WAITING_HERE * 3) {
            passes.mint(&c, &m).unwrap();
        }
        assert!(passes.redeem(theirs.rsplit('/').next().unwrap()).is_some(), "another community's link still works");
    }

    #[test]
    fn a_link_expires() {
        let passes = Passes::new("http://x");
        let (c, m) = pass();
        let link = passes.mint(&c, &m).unwrap();
        let other = passes.mint(&c, &m).unwrap();
        assert_ne!(link, other, "every link is new");
        passes.age(PASS_LIFE);
        assert_eq!(passes.redeem(link.rsplit('/').next().unwrap()), None);
    }
}
