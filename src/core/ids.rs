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
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Console => "console",
            Platform::Discord => "discord",
            Platform::Matrix => "matrix",
        }
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

/// One community: a Discord guild, a Matrix space, or the local console.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CommunityId(String);

impl CommunityId {
    pub fn parse(s: &str) -> Result<Self, Refusal> {
        if well_formed(s) { Ok(Self(s.to_owned())) } else { Err(Refusal::BadId) }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CommunityId {
    type Error = Refusal;
    fn try_from(s: String) -> Result<Self, Refusal> {
        Self::parse(&s)
    }
}

impl From<CommunityId> for String {
    fn from(id: CommunityId) -> String {
        id.0
    }
}

/// The user part of the placeholder that stands in for an erased member. It holds a space,
/// which no user id on any platform may hold (see `well_formed`), so no member can ever be
/// it, act as it or ask for its records.
const ERASED_USER: &str = "erased member";

/// A member: a platform user, identified by `(platform, user id)`.
/// Serialised as `platform:user` so it can key JSON maps.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MemberRef {
    platform: Platform,
    user: String,
}

impl MemberRef {
    pub fn parse(platform: Platform, user: &str) -> Result<Self, Refusal> {
        if well_formed(user) { Ok(Self { platform, user: user.to_owned() }) } else { Err(Refusal::BadId) }
    }
    pub fn platform(&self) -> Platform {
        self.platform
    }
    pub fn user(&self) -> &str {
        &self.user
    }
    /// The placeholder that replaces a member who asked to be forgotten. `parse` never
    /// returns it, so it is reachable by nobody.
    pub fn erased(platform: Platform) -> Self {
        Self { platform, user: ERASED_USER.to_owned() }
    }
    pub fn is_erased(&self) -> bool {
        self.user == ERASED_USER
    }
    /// The stable text form used as a database key.
    pub fn key(&self) -> String {
        format!("{}:{}", self.platform.as_str(), self.user)
    }
}

impl fmt::Display for MemberRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.platform.as_str(), self.user)
    }
}

impl TryFrom<String> for MemberRef {
    type Error = Refusal;
    fn try_from(s: String) -> Result<Self, Refusal> {
        let (platform, user) = s.split_once(':').ok_or(Refusal::BadId)?;
        let platform = Platform::parse(platform).ok_or(Refusal::BadId)?;
        // Stored records may name the placeholder; only the store's own text reaches this.
        if user == ERASED_USER {
            return Ok(Self::erased(platform));
        }
        Self::parse(platform, user)
    }
}

impl From<MemberRef> for String {
    fn from(m: MemberRef) -> String {
        m.key()
    }
}

/// A channel, thread or room where a circle can run.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ChannelId(String);

impl ChannelId {
    pub fn parse(s: &str) -> Result<Self, Refusal> {
        if well_formed(s) { Ok(Self(s.to_owned())) } else { Err(Refusal::BadId) }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ChannelId {
    type Error = Refusal;
    fn try_from(s: String) -> Result<Self, Refusal> {
        Self::parse(&s)
    }
}

impl From<ChannelId> for String {
    fn from(id: ChannelId) -> String {
        id.0
    }
}

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
