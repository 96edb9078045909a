//! The state of one community, as the core sees it, plus the record of what
//! changed (`Dirty`) so the store can commit exactly that, atomically.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::circle::Circle;
use super::deck::Deck;
use super::ids::{CircleId, CommunityId, MemberRef, Slug};
use super::member::Member;
use super::safety::Bucket;
use super::template::Template;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Settings {
    /// IANA zone used when a member hasn't set their own.
    pub timezone: String,
    /// Ended circles and audit entries older than this are purged.
    pub retention_days: u32,
    /// A member is signposted to crisis resources at most once per this many hours.
    pub signpost_hours: u32,
    /// Commands a member may send per minute.
    pub rate_per_minute: u32,
    /// A member doesn't get a self-reflection card from their last N requests.
    pub reflect_history: u32,
    pub default_template: String,
    /// A turn's announcement notifies its speaker (SPEC "Who is notified"). Off,
    /// it notifies nobody.
    #[serde(default = "speaker_pings_default")]
    pub speaker_pings: bool,
    /// Who may open circles (moderators always may).
    #[serde(default)]
    pub who_opens: Opener,
    /// Live circles (gathering, running or scheduled) one member may host at
    /// once; moderators aren't held to it.
    #[serde(default = "open_per_member_default")]
    pub open_per_member: u32,
    /// Live circles opened from one channel at once (each in its own thread);
    /// moderators aren't held to it.
    #[serde(default = "open_per_channel_default")]
    pub open_per_channel: u32,
}

fn speaker_pings_default() -> bool {
    true
}

fn open_per_member_default() -> u32 {
    2
}

fn open_per_channel_default() -> u32 {
    3
}

/// Who may open circles in a community.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Opener {
    /// Every member.
    #[default]
    Anyone,
    /// Members the platform names hosts (a configured role or user id), and moderators.
    Hosts,
    /// Moderators only.
    Moderators,
}

impl Opener {
    pub fn as_str(self) -> &'static str {
        match self {
            Opener::Anyone => "anyone",
            Opener::Hosts => "hosts",
            Opener::Moderators => "moderators",
        }
    }

    /// Whether this actor may open a circle.
    pub fn admits(self, actor: &super::input::Actor) -> bool {
        match self {
            Opener::Anyone => true,
            Opener::Hosts => actor.host || actor.moderator,
            Opener::Moderators => actor.moderator,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            timezone: "UTC".into(),
            retention_days: 90,
            signpost_hours: 24,
            rate_per_minute: 30,
            reflect_history: 10,
            default_template: "standard".into(),
            speaker_pings: true,
            who_opens: Opener::Anyone,
            open_per_member: open_per_member_default(),
            open_per_channel: open_per_channel_default(),
        }
    }
}

pub const SETTING_KEYS: &str = "timezone, retention-days, signpost-hours, rate-per-minute, reflect-history, default-template, \
     speaker-pings, who-opens, open-per-member, open-per-channel, agreements";

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Suggestion {
    pub id: u64,
    pub member: MemberRef,
    pub text: String,
    pub at: Timestamp,
}

/// Community-wide settings and content.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Community {
    pub id: CommunityId,
    pub settings: Settings,
    pub templates: Vec<Template>,
    /// The crisis resources card.
    pub resources: String,
    /// Whether moderators set their own card (`resources set`); `false` means the default.
    #[serde(default)]
    pub resources_custom: bool,
    /// Bumped whenever the agreements change; members consent to a version.
    pub agreements_version: u32,
    /// The community's own agreements text; `None` uses the catalogue's.
    pub agreements_text: Option<String>,
    pub suggestions: Vec<Suggestion>,
    /// How many suggestions were held back for crisis words since moderators last
    /// listed suggestions. Only the count: their words were never kept.
    #[serde(default)]
    pub held_suggestions: u32,
    pub next_circle: u64,
    pub next_suggestion: u64,
}

/// The default card attune shipped before it named helplines. A stored
/// community still showing it is on the default, and follows the current one.
const FORMER_DEFAULT_CARD: &str = "attune is a peer-support bot, not a crisis service, and the people here are peers, not professionals.\n\nIf you are in danger, or you think you might act on thoughts of harming yourself, please contact your local emergency number now, or a crisis line in your country.\n\nYou can also ask to talk to a moderator. You don't have to carry this alone.";

impl Community {
    /// After loading: a community on the default card gets the current default,
    /// so a corrected helpline reaches everyone who never set their own. Text
    /// stored before `resources_custom` existed that is no default is the
    /// community's own, and is kept. Returns whether anything changed.
    pub fn follow_default_card(&mut self, default: &str) -> bool {
        if self.resources_custom || self.resources == default {
            return false;
        }
        if self.resources == FORMER_DEFAULT_CARD {
            self.resources = default.to_owned();
        } else {
            self.resources_custom = true;
        }
        true
    }

    pub fn new(id: CommunityId, resources: String) -> Self {
        Self {
            id,
            settings: Settings::default(),
            templates: vec![Template::standard(), Template::short()],
            resources,
            resources_custom: false,
            agreements_version: 1,
            agreements_text: None,
            suggestions: Vec::new(),
            held_suggestions: 0,
            next_circle: 1,
            next_suggestion: 1,
        }
    }
}

/// One audit entry: who did what, when, to whom. Never message content.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AuditEntry {
    pub at: Timestamp,
    pub actor: MemberRef,
    pub action: String,
    pub target: Option<String>,
    pub circle: Option<CircleId>,
}

/// What changed during one `handle` call.
#[derive(Clone, Debug, Default)]
pub struct Dirty {
    pub community: bool,
    pub decks: BTreeSet<Slug>,
    pub members: BTreeSet<MemberRef>,
    pub circles: BTreeSet<CircleId>,
    pub audit: Vec<AuditEntry>,
    pub purge_audit_before: Option<Timestamp>,
    /// Members who asked to be forgotten: the store deletes and anonymises every row about them.
    pub forgotten: Vec<MemberRef>,
}

impl Dirty {
    pub fn is_empty(&self) -> bool {
        !self.community
            && self.decks.is_empty()
            && self.members.is_empty()
            && self.circles.is_empty()
            && self.audit.is_empty()
            && self.purge_audit_before.is_none()
            && self.forgotten.is_empty()
    }
}

/// Everything the core knows about one community.
#[derive(Clone, Debug)]
pub struct State {
    pub community: Community,
    pub decks: BTreeMap<Slug, Deck>,
    pub members: BTreeMap<MemberRef, Member>,
    pub circles: BTreeMap<CircleId, Box<Circle>>,
    /// Crisis rules for every loaded locale (see `safety`).
    pub rules: super::safety::Rules,
    /// Rate-limit buckets; deliberately not persisted.
    pub buckets: HashMap<MemberRef, Bucket>,
    /// When each member last asked for a moderator, to avoid paging twice. In memory only:
    /// asking for help must not leave a stored record behind.
    pub support_asked: HashMap<MemberRef, jiff::Timestamp>,
    /// When a member last got the short "support and resources are there" line
    /// after a second crisis match. In memory only, like `support_asked`.
    pub crisis_reminded: HashMap<MemberRef, jiff::Timestamp>,
    /// (circle, speaker) pairs whose hosts were told a member may need care, so
    /// they hear it once per circle per member. In memory only.
    pub care_noted: std::collections::HashSet<(CircleId, MemberRef)>,
    /// When each member last got the imminent-danger card. In memory only,
    /// like `crisis_reminded`: it bounds the card to one per few minutes.
    pub imminent_at: HashMap<MemberRef, jiff::Timestamp>,
    /// A moderator's command held back because its text matches the crisis rules,
    /// waiting for `confirm`, and when it was held. In memory only: a restart
    /// forgets it, and the moderator sends it again.
    pub held_content: HashMap<MemberRef, (jiff::Timestamp, super::command::Command)>,
    /// The most recently opened circle per channel. Checked for liveness on
    /// every lookup, so an entry for an ended circle is harmless.
    channel_index: HashMap<super::ids::ChannelId, CircleId>,
    /// Circles by the channel they were opened from before moving to a place of
    /// their own ([`super::circle::Circle::origin`]), oldest first. Checked for
    /// liveness on every lookup too; a community with 100,000 circles would
    /// otherwise look through all of them at every `circle open`.
    origin_index: HashMap<super::ids::ChannelId, Vec<CircleId>>,
    /// Circles by the member who hosts them (or hosted them, since a host can
    /// change): checked for liveness and the current host on every lookup.
    host_index: HashMap<MemberRef, Vec<CircleId>>,
    /// The shipped decks `decks` is layered over: the store keeps only how this
    /// community's decks differ from them (see `deck::layer`). Empty when the
    /// community's decks are all its own.
    pub shipped: std::sync::Arc<Vec<Deck>>,
    pub dirty: Dirty,
}

impl State {
    pub fn new(community: Community, decks: Vec<Deck>, rules: &super::safety::Rules) -> Self {
        Self {
            community,
            decks: decks.into_iter().map(|d| (d.name.clone(), d)).collect(),
            members: BTreeMap::new(),
            circles: BTreeMap::new(),
            rules: rules.clone(),
            buckets: HashMap::new(),
            support_asked: HashMap::new(),
            crisis_reminded: HashMap::new(),
            care_noted: std::collections::HashSet::new(),
            held_content: HashMap::new(),
            imminent_at: HashMap::new(),
            channel_index: HashMap::new(),
            origin_index: HashMap::new(),
            host_index: HashMap::new(),
            shipped: std::sync::Arc::default(),
            dirty: Dirty::default(),
        }
    }

    /// Names the shipped decks this community's decks are layered over.
    pub fn with_shipped(mut self, shipped: std::sync::Arc<Vec<Deck>>) -> Self {
        self.shipped = shipped;
        self
    }

    /// Replaces the circles (after loading from the store) and rebuilds the channel index.
    pub fn set_circles(&mut self, circles: BTreeMap<CircleId, Box<Circle>>) {
        self.circles = circles;
        self.channel_index.clear();
        self.origin_index.clear();
        self.host_index.clear();
        for c in self.circles.values() {
            self.channel_index.insert(c.channel.clone(), c.id);
            if let Some(from) = &c.origin {
                self.origin_index.entry(from.clone()).or_default().push(c.id);
            }
            if c.is_live() {
                self.host_index.entry(c.host.clone()).or_default().push(c.id);
            }
        }
    }

    /// Adds a newly opened circle.
    pub fn insert_circle(&mut self, circle: Circle) {
        self.channel_index.insert(circle.channel.clone(), circle.id);
        if let Some(from) = &circle.origin {
            self.origin_index.entry(from.clone()).or_default().push(circle.id);
        }
        self.host_index.entry(circle.host.clone()).or_default().push(circle.id);
        self.dirty.circles.insert(circle.id);
        self.circles.insert(circle.id, Box::new(circle));
    }

    /// Moves a circle to another channel (a thread of its own): the old channel
    /// no longer names it, so another circle may open there.
    pub fn move_circle(&mut self, id: CircleId, to: super::ids::ChannelId) {
        let Some(c) = self.circles.get_mut(&id) else { return };
        if self.channel_index.get(&c.channel) == Some(&id) {
            self.channel_index.remove(&c.channel);
        }
        let from = std::mem::replace(&mut c.channel, to.clone());
        if c.origin.is_none() {
            self.origin_index.entry(from.clone()).or_default().push(id);
            c.origin = Some(from);
        }
        self.channel_index.insert(to, id);
        self.dirty.circles.insert(id);
    }

    /// The place `from` is now `to` (a Matrix room upgraded to a new room): every
    /// live circle that ran there, or was opened there, now does so in `to`.
    /// Returns the circles that run there now.
    pub fn rehome(&mut self, from: &super::ids::ChannelId, to: &super::ids::ChannelId) -> Vec<CircleId> {
        let mut moved = Vec::new();
        for c in self.circles.values_mut().filter(|c| c.is_live()) {
            let mut changed = false;
            if &c.channel == from {
                c.channel = to.clone();
                moved.push(c.id);
                changed = true;
            }
            if c.origin.as_ref() == Some(from) {
                c.origin = Some(to.clone());
                changed = true;
            }
            if c.voice.as_ref() == Some(from) {
                c.voice = Some(to.clone());
                changed = true;
            }
            if changed {
                self.dirty.circles.insert(c.id);
            }
        }
        if !moved.is_empty() || self.origin_index.contains_key(from) {
            let circles = std::mem::take(&mut self.circles);
            self.set_circles(circles);
        }
        moved
    }

    /// Lets the channel indexes forget circles no longer held in memory (after the daily purge).
    pub fn prune_indexes(&mut self) {
        let circles = &self.circles;
        self.channel_index.retain(|_, id| circles.contains_key(id));
        self.origin_index.retain(|_, ids| {
            ids.retain(|id| circles.contains_key(id));
            !ids.is_empty()
        });
        self.host_index.retain(|_, ids| {
            ids.retain(|id| circles.get(id).is_some_and(|c| c.is_live()));
            !ids.is_empty()
        });
    }

    /// Hands a live circle to another host (the index learns it too).
    pub fn set_host(&mut self, id: CircleId, host: MemberRef) {
        let Some(c) = self.circles.get_mut(&id) else { return };
        c.host = host.clone();
        self.dirty.circles.insert(id);
        self.host_index.entry(host).or_default().push(id);
    }

    /// The live circles `member` hosts (gathering, running or scheduled), oldest first.
    pub fn hosted_by(&self, member: &MemberRef) -> Vec<&super::circle::Circle> {
        let ids = self.host_index.get(member).map(Vec::as_slice).unwrap_or_default();
        let mut found: Vec<_> =
            ids.iter().filter_map(|id| self.circles.get(id).map(|c| &**c)).filter(|c| c.is_live() && &c.host == member).collect();
        found.sort_by_key(|c| c.id);
        found.dedup_by_key(|c| c.id);
        found
    }

    /// Hands the change record to the caller (the engine commits it).
    pub fn take_dirty(&mut self) -> Dirty {
        std::mem::take(&mut self.dirty)
    }

    pub fn template(&self, name: &str) -> Option<&Template> {
        self.community.templates.iter().find(|t| t.name == name)
    }

    /// The live circles opened in `channel` that run in a place of their own
    /// (see [`super::circle::Circle::origin`]), oldest first.
    pub fn circles_from(&self, channel: &super::ids::ChannelId) -> Vec<&super::circle::Circle> {
        let ids = self.origin_index.get(channel).map(Vec::as_slice).unwrap_or_default();
        let mut found: Vec<_> = ids
            .iter()
            .filter_map(|id| self.circles.get(id).map(|c| &**c))
            .filter(|c| c.is_live() && c.origin.as_ref() == Some(channel))
            .collect();
        found.sort_by_key(|c| c.id);
        found
    }

    /// The live (not ended) circle in a channel, if any.
    pub fn circle_in(&self, channel: &super::ids::ChannelId) -> Option<CircleId> {
        let id = self.channel_index.get(channel)?;
        self.circles.get(id).filter(|c| c.is_live()).map(|c| c.id)
    }

    pub fn member_mut(&mut self, who: &MemberRef) -> &mut Member {
        self.dirty.members.insert(who.clone());
        self.members.entry(who.clone()).or_default()
    }
}

impl Dirty {
    /// Folds a later change record into this one.
    pub fn merge(&mut self, other: Dirty) {
        self.community |= other.community;
        self.decks.extend(other.decks);
        self.members.extend(other.members);
        self.circles.extend(other.circles);
        self.audit.extend(other.audit);
        self.purge_audit_before = other.purge_audit_before.or(self.purge_audit_before);
        self.forgotten.extend(other.forgotten);
    }
}
