//! A small harness around the pure core: a state, a manual clock, a fixed
//! RNG, a log of every effect, and the timers the core asked for.
//!
//! `advance` fires due timers the way the engine does: only the latest
//! `Schedule` per key counts, and each fires at its own moment, in time order.

// Each test module uses a different part of the harness, and helpers may panic: these are tests.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeMap;

use attune::core::circle::{Circle, Phase};
use attune::core::command::{self, Command};
use attune::core::deck::default_decks;
use attune::core::effect::{Effect, Kind, Message};
use attune::core::ids::{ChannelId, CommunityId, MemberRef, Platform};
use attune::core::input::{Actor, Input, Place, TimerKey};
use attune::core::rng::SplitMix64;
use attune::core::state::{AuditEntry, Community, State};
use attune::text::Catalogue;
use jiff::Timestamp;

/// The channel every scenario's circle runs in.
pub const CHANNEL: &str = "circle";

/// A Monday morning, in UTC.
pub fn t0() -> Timestamp {
    "2026-03-02T09:00:00Z".parse().expect("a valid timestamp")
}

pub fn member(name: &str) -> MemberRef {
    MemberRef::parse(Platform::Console, name).expect("a well-formed member id")
}

/// The member called `name`; the one called "mod" is a moderator.
pub fn actor(name: &str) -> Actor {
    Actor { member: member(name), display: name.to_owned(), moderator: name == "mod", host: false }
}

pub fn channel() -> ChannelId {
    ChannelId::parse(Platform::Console, CHANNEL).expect("a well-formed channel id")
}

pub fn here() -> Place {
    Place::Channel(channel())
}

/// A fresh community with the default decks, resources and crisis phrases.
pub fn new_state() -> State {
    let content = attune::config::Config::default().content().expect("the built-in content loads");
    let community = Community::new(CommunityId::parse(Platform::Console, "t").expect("a well-formed community id"), content.resources);
    let decks = default_decks().expect("the default decks parse");
    State::new(community, decks, &content.phrases)
}

/// Community, decks, members, circles and their turn logs as JSON: equal snapshots mean
/// nothing changed. (A circle's document leaves its log out; the store keeps it in rows.)
pub fn snapshot(state: &State) -> String {
    let logs: BTreeMap<_, _> = state.circles.values().map(|c| (c.id, &c.log)).collect();
    serde_json::to_string(&(&state.community, &state.decks, &state.members, &state.circles, &logs)).expect("the state serialises")
}

pub struct Harness {
    pub state: State,
    pub now: Timestamp,
    pub rng: SplitMix64,
    /// Every effect, in order.
    pub log: Vec<Effect>,
    /// Every audit entry the core wrote (taken from `state.dirty` after each input).
    pub audit: Vec<AuditEntry>,
    /// Members the core asked the store to forget.
    pub forgotten: Vec<MemberRef>,
    /// The engine's own timer model: the latest schedule per key wins, and each
    /// fires at its own moment, in order.
    pub timers: attune::engine::Timers,
    pub cat: Catalogue,
    /// When set, every input's changes are committed to a real SQLite file and
    /// read back, and the reloaded state must equal the one in memory.
    pub mirror: Option<Mirror>,
}

/// A real store the harness commits to after every input.
pub struct Mirror {
    rt: tokio::runtime::Runtime,
    store: attune::store::Store,
    _dir: tempfile::TempDir,
}

impl Mirror {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        let store = rt.block_on(attune::store::Store::open(&dir.path().join("mirror.db"))).expect("the store opens");
        Self { rt, store, _dir: dir }
    }

    /// Commits `dirty` and returns the state as the store now has it, as a snapshot.
    fn commit_and_reload(&self, state: &State, dirty: &attune::core::state::Dirty, now: Timestamp) -> String {
        self.rt.block_on(async {
            self.store.commit(state, dirty, &[], now).await.expect("the commit succeeds");
            let l = self.store.load(&state.community.id, None).await.expect("the store answers").expect("the community is stored");
            assert!(l.damaged.is_empty(), "nothing reads back damaged: {:?}", l.damaged);
            let decks: BTreeMap<_, _> = l.decks.over(&state.shipped).into_iter().map(|d| (d.name.clone(), d)).collect();
            let members: BTreeMap<_, _> = l.members.into_iter().collect();
            let circles: BTreeMap<_, _> = l.circles;
            let logs: BTreeMap<_, _> = circles.values().map(|c| (c.id, &c.log)).collect();
            serde_json::to_string(&(&l.community, &decks, &members, &circles, &logs)).expect("serialises")
        })
    }
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

impl Harness {
    pub fn new() -> Self {
        Self::with_seed(7)
    }

    pub fn with_seed(seed: u64) -> Self {
        Self {
            state: new_state(),
            now: t0(),
            rng: SplitMix64::new(seed),
            log: Vec::new(),
            audit: Vec::new(),
            forgotten: Vec::new(),
            timers: attune::engine::Timers::default(),
            cat: Catalogue::english().expect("the English catalogue loads"),
            mirror: None,
        }
    }

    /// Applies one input at `now`, records its effects and timers, and takes the change record.
    pub fn input(&mut self, input: Input) -> Vec<Effect> {
        let out = attune::core::handle(&mut self.state, input, self.now, &mut self.rng);
        for e in &out {
            if let Effect::Schedule { key, at, generation } = e {
                self.timers.arm(self.state.community.id.clone(), key.clone(), *at, *generation);
            }
        }
        let dirty = self.state.take_dirty();
        if let Some(m) = &self.mirror {
            let stored = m.commit_and_reload(&self.state, &dirty, self.now);
            assert_eq!(stored, snapshot(&self.state), "what was committed reads back as the state in memory");
        }
        self.audit.extend(dirty.audit);
        self.forgotten.extend(dirty.forgotten);
        self.log.extend(out.iter().cloned());
        out
    }

    /// A command line from `name` in `place`; a line that doesn't parse arrives as a bad command.
    pub fn cmd_in(&mut self, name: &str, place: Place, line: &str) -> Vec<Effect> {
        let actor = actor(name);
        match command::parse(line) {
            Ok(command) => self.input(Input::Command { actor, place, command }),
            Err(refusal) => self.input(Input::BadCommand { actor, place, refusal, text: line.to_owned() }),
        }
    }

    /// A command line in the circle's channel.
    pub fn cmd(&mut self, name: &str, line: &str) -> Vec<Effect> {
        self.cmd_in(name, here(), line)
    }

    /// A command line sent privately to the bot.
    pub fn dm(&mut self, name: &str, line: &str) -> Vec<Effect> {
        self.cmd_in(name, Place::Private, line)
    }

    /// A command line sent privately by a member of another platform (console members are
    /// the local user, whose rate limit fits setting up a community).
    pub fn dm_on(&mut self, platform: Platform, name: &str, line: &str) -> Vec<Effect> {
        let actor = Actor {
            member: MemberRef::parse(platform, name).expect("a well-formed id"),
            display: name.to_owned(),
            moderator: false,
            host: false,
        };
        match command::parse(line) {
            Ok(command) => self.input(Input::Command { actor, place: Place::Private, command }),
            Err(refusal) => self.input(Input::BadCommand { actor, place: Place::Private, refusal, text: line.to_owned() }),
        }
    }

    /// An already-built command (e.g. a deck import carrying file content).
    pub fn command(&mut self, name: &str, place: Place, command: Command) -> Vec<Effect> {
        self.input(Input::Command { actor: actor(name), place, command })
    }

    /// Ordinary chat in the circle's channel.
    pub fn chat(&mut self, name: &str, text: &str) -> Vec<Effect> {
        self.input(Input::Chat { actor: actor(name), place: here(), text: text.to_owned() })
    }

    pub fn chat_private(&mut self, name: &str, text: &str) -> Vec<Effect> {
        self.input(Input::Chat { actor: actor(name), place: Place::Private, text: text.to_owned() })
    }

    /// Moves the clock forward by `secs`, firing every due timer at its own moment, earliest first.
    pub fn advance(&mut self, secs: i64) -> Vec<Effect> {
        let target = attune::core::circle::plus(self.now, secs);
        self.advance_to(target)
    }

    pub fn advance_to(&mut self, target: Timestamp) -> Vec<Effect> {
        let mut out = Vec::new();
        while let Some((at, _, key, generation)) = self.timers.pop_due_before(target) {
            self.now = self.now.max(at);
            out.extend(self.input(Input::TimerFired { key, generation }));
        }
        self.now = self.now.max(target);
        out
    }

    /// Fires timers one at a time until `done` holds (at most `limit` firings).
    pub fn run_until(&mut self, limit: usize, mut done: impl FnMut(&Self) -> bool) -> Vec<Effect> {
        let mut out = Vec::new();
        for _ in 0..limit {
            if done(self) {
                return out;
            }
            let Some(at) = self.next_timer() else { break };
            out.extend(self.advance_to(at));
        }
        assert!(done(self), "the condition was not reached within {limit} timer firings");
        out
    }

    /// The deadline and generation armed for a key.
    pub fn timer(&self, key: &TimerKey) -> Option<(Timestamp, u64)> {
        self.timers.get(&self.state.community.id, key)
    }

    /// When the earliest armed timer is due.
    pub fn next_timer(&self) -> Option<Timestamp> {
        self.timers.next_at()
    }

    pub fn circle_timer(&self) -> Option<Timestamp> {
        let id = self.circle().id;
        self.timer(&TimerKey::Circle(id)).map(|(at, _)| at)
    }

    /// The most recent circle in the channel.
    pub fn circle(&self) -> &Circle {
        self.state.circles.values().filter(|c| c.channel == channel()).max_by_key(|c| c.id).expect("a circle was opened")
    }

    pub fn phase(&self) -> Phase {
        self.circle().phase
    }

    /// The user id of whoever holds the floor.
    pub fn speaker(&self) -> Option<String> {
        self.circle().speaker().map(|m| m.user().to_owned())
    }

    /// `circle join` and, if asked, `agree`.
    pub fn join(&mut self, name: &str) -> Vec<Effect> {
        let mut out = self.cmd(name, "circle join");
        if self.state.members.get(&member(name)).is_some_and(|m| m.pending_join.is_some()) {
            out.extend(self.dm(name, "agree"));
        }
        out
    }

    /// `host` opens a circle (with `open_args`) and everyone in `names` joins, the host included if listed.
    pub fn gather(&mut self, host: &str, open_args: &str, names: &[&str]) {
        let line = format!("circle open {open_args}");
        let out = self.cmd(host, line.trim());
        assert!(refusals(&out).is_empty(), "opening the circle was refused: {:?}", self.texts(&out));
        for n in names {
            let out = self.join(n);
            assert!(refusals(&out).is_empty(), "{n} could not join: {:?}", self.texts(&out));
        }
    }

    /// A started circle: `names[0]` hosts, everyone joins, the host starts.
    pub fn started(names: &[&str]) -> Self {
        Self::started_with(7, "", names)
    }

    pub fn started_with(seed: u64, open_args: &str, names: &[&str]) -> Self {
        let mut h = Self::with_seed(seed);
        h.start(open_args, names);
        h
    }

    /// Opens a circle hosted by `names[0]`, seats everyone and starts it; returns the start's effects.
    pub fn start(&mut self, open_args: &str, names: &[&str]) -> Vec<Effect> {
        self.gather(names[0], open_args, names);
        let out = self.cmd(names[0], "circle start");
        assert!(refusals(&out).is_empty(), "the start was refused: {:?}", self.texts(&out));
        out
    }

    /// A moderator sets a template key.
    pub fn template(&mut self, name: &str, key: &str, value: &str) {
        let out = self.dm("mod", &format!("template set {name} {key} {value}"));
        assert!(refusals(&out).is_empty(), "template set {name} {key} {value} was refused: {:?}", self.texts(&out));
    }

    /// Ends turns with `done` (or lets reflection windows close) until `phase` is reached.
    pub fn done_until(&mut self, phase: Phase) {
        for _ in 0..200 {
            if self.phase() == phase {
                return;
            }
            let Some(sp) = self.speaker() else { panic!("no speaker before reaching {phase:?}") };
            let out = self.cmd(&sp, "done");
            assert!(refusals(&out).is_empty(), "done by {sp} was refused: {:?}", self.texts(&out));
        }
        panic!("{phase:?} was not reached");
    }

    pub fn render(&self, m: &Message) -> String {
        self.cat.render(m)
    }

    /// Every message in `effects`, rendered, with who saw it.
    pub fn texts(&self, effects: &[Effect]) -> Vec<String> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::Say { message, .. } | Effect::Invite { message, .. } => Some(format!("[public] {}", self.render(message))),
                Effect::Whisper { to, message } => Some(format!("[to {}] {}", to.user(), self.render(message))),
                _ => None,
            })
            .collect()
    }

    /// Public lines, rendered.
    pub fn public(&self, effects: &[Effect]) -> Vec<String> {
        said(effects).into_iter().map(|m| self.render(m)).collect()
    }

    /// Whispers to `name`, rendered.
    pub fn private(&self, effects: &[Effect], name: &str) -> Vec<String> {
        whispered(effects, name).into_iter().map(|m| self.render(m)).collect()
    }
}

/// Public messages.
pub fn said(effects: &[Effect]) -> Vec<&Message> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Say { message, .. } | Effect::Invite { message, .. } => Some(message),
            _ => None,
        })
        .collect()
}

/// Whispers to `name`.
pub fn whispered<'a>(effects: &'a [Effect], name: &str) -> Vec<&'a Message> {
    let who = member(name);
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Whisper { to, message } if *to == who => Some(message),
            _ => None,
        })
        .collect()
}

/// Refusals to anyone.
pub fn refusals(effects: &[Effect]) -> Vec<&Message> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Whisper { message, .. } if message.kind == Kind::Refusal => Some(message),
            _ => None,
        })
        .collect()
}

/// The catalogue ids of every line in the messages.
pub fn ids(messages: &[&Message]) -> Vec<&'static str> {
    messages.iter().flat_map(|m| m.lines.iter().map(|l| l.id)).collect()
}

/// Whether any message carries the line `id`.
pub fn has(messages: &[&Message], id: &str) -> bool {
    ids(messages).contains(&id)
}

/// Ids of public lines.
pub fn public_ids(effects: &[Effect]) -> Vec<&'static str> {
    ids(&said(effects))
}

/// Ids of lines whispered to `name`.
pub fn private_ids(effects: &[Effect], name: &str) -> Vec<&'static str> {
    ids(&whispered(effects, name))
}

/// Everyone who got a whisper.
pub fn whisper_targets(effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Whisper { to, .. } => Some(to.user().to_owned()),
            _ => None,
        })
        .collect()
}

/// Asserts two snapshots are equal, showing where they first differ.
#[track_caller]
pub fn assert_same(after: &str, before: &str, what: &str) {
    if after == before {
        return;
    }
    let at = after.bytes().zip(before.bytes()).position(|(a, b)| a != b).unwrap_or(after.len().min(before.len()));
    let around = |s: &str| {
        let start = s.floor_char_boundary(at.saturating_sub(120));
        let end = s.ceil_char_boundary((at + 120).min(s.len()));
        s[start..end].to_owned()
    };
    panic!("{what}\n  after:  …{}…\n  before: …{}…", around(after), around(before));
}
