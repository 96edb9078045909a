//! Identifiers that cross the core's boundary. Each has a `parse` constructor,
//! so a value of one of these types is known to be well formed.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::refusal::Refusal;

/// Longest platform user id or channel id the core accepts.
const MAX_ID_LEN: usize = 255;

/// The platform a member or channel lives on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Console,
    Discord,
    Matrix,
}

impl Platform {
    pub const ALL: [Platform; 3] = [Platform::Console, Platform::Discord, Platform::Matrix];

    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Console => "console",
            Platform::Discord => "discord",
            Platform::Matrix => "matrix",
        }
    }

    /// Whether circles on this platform may run where `hold` can't restrict who
    /// posts: a Discord circle usually runs in a thread, and Discord has no
    /// per-thread permission overwrites, so there `hold` works as `nudge`. A
    /// fact about the platform, not a decision; the core says so to hosts.
    pub fn hold_may_fall_back(self) -> bool {
        self.hold_fallback_line().is_some()
    }

    /// What `template set … floor hold` adds on this platform: where hold works
    /// as nudge (a Discord thread; an encrypted Matrix room).
    pub fn hold_fallback_line(self) -> Option<&'static str> {
        match self {
            Platform::Discord => Some("template-floor-hold-threads"),
            Platform::Matrix => Some("template-floor-hold-encrypted"),
            Platform::Console => None,
        }
    }

    /// Whether attune can leave one place on this platform when a moderator
    /// asks (`leave-room`): a Matrix room, yes. A Discord bot can only leave a
    /// whole server, which a moderator does in the server's settings; the
    /// console has one place.
    pub fn can_leave_place(self) -> bool {
        matches!(self, Platform::Matrix)
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "console" => Some(Platform::Console),
            "discord" => Some(Platform::Discord),
            "matrix" => Some(Platform::Matrix),
            _ => None,
        }
    }
}

fn well_formed(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_ID_LEN && !s.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// Splits a stored key `platform:raw`. Community and channel keys from release
/// 0.1.0 have no platform (they were console-only then) and are read as console
/// ids when `bare_is_console`; a member key always names its platform.
fn split_key(s: &str, bare_is_console: bool) -> Result<(Platform, &str), Refusal> {
    match s.split_once(':').and_then(|(p, raw)| Platform::parse(p).map(|p| (p, raw))) {
        Some(found) => Ok(found),
        None if bare_is_console => Ok((Platform::Console, s)),
        None => Err(Refusal::BadId),
    }
}

std::thread_local! {
    /// The texts of ids read so far by the [`Interner`] in use on this thread, if any.
    static INTERNED: std::cell::RefCell<Option<std::collections::HashSet<std::sync::Arc<str>>>> =
        const { std::cell::RefCell::new(None) };
}

/// Makes ids read from stored records share their text, as ids cloned while
/// running do: a member named in a hundred records is one text, not a hundred.
/// The store uses one while it loads a community (with 100,000 circles, their
/// seats, hosts, turns and members, tens of megabytes).
#[derive(Default)]
pub struct Interner(std::collections::HashSet<std::sync::Arc<str>>);

impl Interner {
    /// Runs `f` with every id read on this thread sharing the texts this
    /// interner has seen.
    pub fn with<T>(&mut self, f: impl FnOnce() -> T) -> T {
        type Set = std::collections::HashSet<std::sync::Arc<str>>;
        /// Takes the texts back, and puts back an interner this one was used inside,
        /// even if `f` panics.
        struct Back<'a>(&'a mut Interner, Option<Set>);
        impl Drop for Back<'_> {
            fn drop(&mut self) {
                let outer = self.1.take();
                if let Some(set) = INTERNED.with(|i| std::mem::replace(&mut *i.borrow_mut(), outer)) {
                    self.0.0 = set;
                }
            }
        }
        let set = std::mem::take(&mut self.0);
        let outer = INTERNED.with(|i| i.borrow_mut().replace(set));
        let _back = Back(self, outer);
        f()
    }
}

/// An id's text: shared with an equal one already read, inside [`Interner::with`].
fn shared(raw: &str) -> std::sync::Arc<str> {
    INTERNED.with(|i| match i.borrow_mut().as_mut() {
        Some(set) => match set.get(raw) {
            Some(known) => known.clone(),
            None => {
                let text: std::sync::Arc<str> = raw.into();
                set.insert(text.clone());
                text
            }
        },
        None => raw.into(),
    })
}

/// Ids that carry their platform, so one process can serve the console,
/// Discord and Matrix at once and the same raw id on two platforms never meets.
/// Serialised as `platform:raw` (also the database key).
macro_rules! platform_id {
    ($(#[$doc:meta])* $name:ident, $raw:ident, $bare_is_console:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name {
            platform: Platform,
            /// Shared, not copied, when the id is cloned: a message, a turn, a seat and a
            /// map key naming the same member hold one text between them.
            $raw: std::sync::Arc<str>,
        }

        impl $name {
            pub fn parse(platform: Platform, raw: &str) -> Result<Self, Refusal> {
                if well_formed(raw) { Ok(Self { platform, $raw: shared(raw) }) } else { Err(Refusal::BadId) }
            }
            /// Reads a stored key (`platform:raw`). Stored records may name the
            /// erased-member placeholder; only the store's own text reaches this.
            pub fn from_key(key: &str) -> Result<Self, Refusal> {
                let (platform, raw) = split_key(key, $bare_is_console)?;
                if raw == ERASED_USER {
                    return Ok(Self { platform, $raw: shared(raw) });
                }
                Self::parse(platform, raw)
            }
            pub fn platform(&self) -> Platform {
                self.platform
            }
            /// The platform's own id (a Discord snowflake, a Matrix room or user id, a console name).
            pub fn $raw(&self) -> &str {
                &self.$raw
            }
            /// The stable text form used as a database key.
            pub fn key(&self) -> String {
                format!("{}:{}", self.platform.as_str(), self.$raw)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}:{}", self.platform.as_str(), self.$raw)
            }
        }

        impl TryFrom<String> for $name {
            type Error = Refusal;
            fn try_from(s: String) -> Result<Self, Refusal> {
                Self::from_key(&s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.key()
            }
        }
    };
}

platform_id!(
    /// One community: a Discord guild, a Matrix room or space, or the local console.
    CommunityId,
    raw,
    true
);

/// The user part of the placeholder that stands in for an erased member. It holds a space,
/// which no user id on any platform may hold (see `well_formed`), so no member can ever be
/// it, act as it or ask for its records.
const ERASED_USER: &str = "erased member";

platform_id!(
    /// A member: a platform user, identified by `(platform, user id)`.
    MemberRef,
    user,
    false
);

impl MemberRef {
    /// The placeholder that replaces a member who asked to be forgotten. `parse` never
    /// returns it, so it is reachable by nobody.
    pub fn erased(platform: Platform) -> Self {
        Self { platform, user: ERASED_USER.into() }
    }
    pub fn is_erased(&self) -> bool {
        &*self.user == ERASED_USER
    }
}

platform_id!(
    /// A channel, thread or room where a circle can run.
    ChannelId,
    raw,
    true
);

/// A circle's number within its community.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CircleId(pub u64);

impl fmt::Display for CircleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A card's id: lowercase letters, digits and `-`, at most 64 characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

impl Slug {
    pub fn parse(s: &str) -> Result<Self, Refusal> {
        let ok = !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if ok { Ok(Self(s.to_owned())) } else { Err(Refusal::BadSlug { given: crate::core::textcheck::preview(s) }) }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Slug {
    type Error = Refusal;
    fn try_from(s: String) -> Result<Self, Refusal> {
        Self::parse(&s)
    }
}

impl From<Slug> for String {
    fn from(s: Slug) -> String {
        s.0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ids_read_inside_an_interner_share_their_text_and_compare_as_before() {
        let mut interner = Interner::default();
        let (a, b) = interner.with(|| (MemberRef::from_key("console:alice"), MemberRef::from_key("console:alice")));
        let (a, b) = (a.unwrap(), b.unwrap());
        assert!(std::sync::Arc::ptr_eq(&a.user, &b.user), "one text for both");
        let c = MemberRef::from_key("console:alice").unwrap();
        assert!(!std::sync::Arc::ptr_eq(&a.user, &c.user), "outside the interner each id has its own");
        assert_eq!(a, c);
        assert_eq!(a.key(), "console:alice");
        // An interner used inside another leaves the outer one as it was.
        let mut inner = Interner::default();
        let d = interner.with(|| {
            inner.with(|| MemberRef::from_key("console:bob")).ok();
            MemberRef::from_key("console:alice")
        });
        assert!(std::sync::Arc::ptr_eq(&a.user, &d.unwrap().user));
        assert_eq!(inner.0.len(), 1);
        assert_eq!(interner.0.len(), 1);
    }
}
