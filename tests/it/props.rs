//! Property tests: random sequences of what members, hosts and the clock do
//! in a circle of 3–6, with invariants checked after every single input.

use std::collections::{BTreeMap, BTreeSet};

use attune::core::circle::{Ending, Phase, TurnKind};
use attune::core::effect::{Effect, Kind};
use attune::core::input::TimerKey;
use attune::core::template::Mode;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use super::support::*;

#[derive(Clone, Debug)]
enum Cmd {
    Join,
    Leave,
    Away,
    Back,
    Done,
    Pass,
    Extend,
    Card,
    Mode(Mode),
    Chat,
}

#[derive(Clone, Debug)]
enum Act {
    /// A member (index, taken modulo the circle's size) does something.
    Member(usize, Cmd),
    /// Whoever holds the floor does something.
    Speaker(Cmd),
    /// A member answers the pulse.
    Pulse(usize, u8),
    /// A moderator skips to the next speaker.
    Next,
    /// A moderator pauses, or resumes if paused.
    PauseResume,
    Advance(i64),
    /// `forget-me`, then `forget-me confirm`.
    Forget(usize),
    /// A moderator removes a member from the circle.
    Remove(usize),
}

fn mode() -> impl Strategy<Value = Mode> {
    prop_oneof![Just(Mode::Witness), Just(Mode::Reflections), Just(Mode::Feelings)]
}

fn cmd() -> impl Strategy<Value = Cmd> {
    prop_oneof![
        1 => Just(Cmd::Join),
        1 => Just(Cmd::Leave),
        2 => Just(Cmd::Away),
        2 => Just(Cmd::Back),
        1 => Just(Cmd::Done),
        1 => Just(Cmd::Pass),
        1 => Just(Cmd::Extend),
        1 => Just(Cmd::Card),
        1 => mode().prop_map(Cmd::Mode),
        2 => Just(Cmd::Chat),
    ]
}

fn speaker_cmd() -> impl Strategy<Value = Cmd> {
    prop_oneof![
        6 => Just(Cmd::Done),
        2 => Just(Cmd::Pass),
        1 => Just(Cmd::Extend),
        2 => Just(Cmd::Card),
        2 => mode().prop_map(Cmd::Mode),
        1 => Just(Cmd::Away),
        1 => Just(Cmd::Leave),
        1 => Just(Cmd::Chat),
    ]
}

fn act(forget: bool) -> BoxedStrategy<Act> {
    let common = prop_oneof![
        6 => (0..6usize, cmd()).prop_map(|(i, c)| Act::Member(i, c)),
        8 => speaker_cmd().prop_map(Act::Speaker),
        1 => (0..6usize, 1u8..=5).prop_map(|(i, n)| Act::Pulse(i, n)),
        1 => Just(Act::Next),
        1 => Just(Act::PauseResume),
        4 => (1i64..400).prop_map(Act::Advance),
        1 => (0..6usize).prop_map(Act::Remove),
    ];
    if forget { prop_oneof![20 => common, 1 => (0..6usize).prop_map(Act::Forget)].boxed() } else { common.boxed() }
}

fn line_of(c: &Cmd) -> String {
    match c {
        Cmd::Join => "circle join".into(),
        Cmd::Leave => "circle leave".into(),
        Cmd::Away => "away".into(),
        Cmd::Back => "back".into(),
        Cmd::Done => "done".into(),
        Cmd::Pass => "pass".into(),
        Cmd::Extend => "extend".into(),
        Cmd::Card => "card".into(),
        Cmd::Mode(m) => format!("mode {}", m.as_str()),
        Cmd::Chat => String::new(),
    }
}

/// The state without the one thing forget-me deliberately keeps (ARCHITECTURE.md, "A removal
/// outlives forget-me"): a host's removal from a live circle, as a bare member reference with
/// no name, until that circle ends.
fn without_kept_removals(state: &attune::core::state::State) -> attune::core::state::State {
    let mut s = state.clone();
    for c in s.circles.values_mut().filter(|c| c.is_live()) {
        c.removed.retain(|seat| !seat.display.is_empty());
    }
    s
}

/// What the run has seen so far, for the end-of-circle check.
#[derive(Default)]
struct Seen {
    /// Members who were away at some point, left, or were forgotten.
    absent: BTreeSet<String>,
    forgotten: BTreeSet<String>,
}

struct Run {
    h: Harness,
    names: Vec<String>,
    seen: Seen,
}

impl Run {
    fn new(seed: u64, n: usize, rounds: u32, default: Mode) -> Self {
        Self::new_in(Harness::with_seed(seed), n, rounds, default)
    }

    fn new_in(mut h: Harness, n: usize, rounds: u32, default: Mode) -> Self {
        h.template("standard", "rounds", &rounds.to_string());
        h.template("standard", "mode", default.as_str());
        let names: Vec<String> = (0..n).map(|i| format!("m{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        h.start("", &refs);
        Self { h, names, seen: Seen::default() }
    }

    fn name(&self, i: usize) -> String {
        self.names[i % self.names.len()].clone()
    }

    /// Checks the invariants that hold after every input.
    fn check(&mut self, out: &[Effect]) -> Result<(), TestCaseError> {
        let h = &self.h;
        let c = h.circle();
        if let Some(t) = &c.turn {
            prop_assert!(c.is_running(), "only a running circle has a speaker");
            prop_assert!(c.seat(&t.speaker).is_some(), "the speaker {} is a seated member", t.speaker);
            prop_assert!(!c.queue.contains(&t.speaker), "the speaker isn't also waiting to speak");
        }
        let started: Vec<&str> = out
            .iter()
            .filter_map(|e| match e {
                Effect::Say { message, .. } | Effect::Invite { message, .. } => match &message.kind {
                    Kind::TurnStarted { speaker } => Some(speaker.as_str()),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        prop_assert!(started.len() <= 1, "at most one turn starts per input: {:?}", started);
        if let Some(name) = started.first() {
            prop_assert_eq!(c.turn.as_ref().map(|t| t.display.as_str()), Some(*name), "the announced speaker holds the floor");
        }
        for e in out {
            if let Effect::Whisper { to, message } = e
                && message.kind == Kind::Guide
            {
                prop_assert!(c.speaker() != Some(to), "a listener guide never goes to the speaker");
                prop_assert!(c.seat(to).is_some_and(|s| !s.away), "guides go to present listeners only");
            }
            prop_assert!(!matches!(e, Effect::Floor { .. }), "a nudge-policy circle never holds the floor");
        }
        let unique: BTreeSet<_> = c.used_cards.iter().collect();
        prop_assert_eq!(unique.len(), c.used_cards.len(), "no card repeats within a circle: {:?}", c.used_cards);
        let seated: BTreeSet<_> = c.seats.iter().map(|s| &s.member).collect();
        prop_assert_eq!(seated.len(), c.seats.len(), "nobody has two seats");
        let order: BTreeSet<_> = c.order.iter().collect();
        prop_assert_eq!(order.len(), c.order.len(), "nobody is twice in the order");
        prop_assert!(c.queue.iter().all(|m| seated.contains(m)), "only seated members wait to speak");
        if c.is_running() && c.paused.is_none() {
            let armed = h.timer(&TimerKey::Circle(c.id)).map(|(_, g)| g);
            prop_assert_eq!(armed, Some(c.generation), "a running circle always has its current timer armed");
        }
        let json = if self.seen.forgotten.is_empty() { String::new() } else { snapshot(&without_kept_removals(&h.state)) };
        for f in &self.seen.forgotten {
            prop_assert!(!json.contains(&member(f).key()), "nothing about forgotten member {} remains", f);
        }
        for n in &self.names {
            if c.seat(&member(n)).is_none_or(|s| s.away) {
                self.seen.absent.insert(n.clone());
            }
        }
        Ok(())
    }

    /// Sends one command line and checks the invariants.
    fn send(&mut self, who: &str, line: &str, private: bool) -> Result<(), TestCaseError> {
        let out = if private { self.h.dm(who, line) } else { self.h.cmd(who, line) };
        self.check(&out)
    }

    /// Moves the clock, firing (and checking after) each timer on its own.
    fn advance(&mut self, secs: i64) -> Result<(), TestCaseError> {
        let target = attune::core::circle::plus(self.h.now, secs);
        while let Some(at) = self.h.next_timer().filter(|at| *at <= target) {
            let out = self.h.advance_to(at);
            self.check(&out)?;
        }
        self.h.advance_to(target);
        Ok(())
    }

    fn apply(&mut self, a: &Act) -> Result<(), TestCaseError> {
        let who = match a {
            Act::Member(i, _) | Act::Pulse(i, _) | Act::Forget(i) => Some(self.name(*i)),
            Act::Remove(_) => None,
            Act::Speaker(_) => self.h.speaker(),
            _ => None,
        };
        if who.as_ref().is_some_and(|w| self.seen.forgotten.contains(w)) {
            return Ok(());
        }
        match a {
            Act::Member(_, c) | Act::Speaker(c) => {
                let Some(who) = who else { return Ok(()) };
                match c {
                    Cmd::Chat => {
                        let out = self.h.chat(&who, "just saying");
                        self.check(&out)
                    }
                    c => self.send(&who, &line_of(c), false),
                }
            }
            Act::Pulse(_, n) => self.send(&who.unwrap_or_default(), &format!("pulse {n}"), true),
            Act::Next => self.send("mod", "circle next", false),
            Act::PauseResume => {
                let line = if self.h.circle().paused.is_some() { "circle resume" } else { "circle pause" };
                self.send("mod", line, false)
            }
            Act::Advance(s) => self.advance(*s),
            Act::Remove(i) => {
                let who = self.name(*i);
                self.seen.absent.insert(who.clone());
                self.send("mod", &format!("circle remove {who}"), false)
            }
            Act::Forget(_) => {
                let who = who.unwrap_or_default();
                self.send(&who, "forget-me", true)?;
                // The rate limit may swallow a command; the confirmation must not be.
                self.advance(60)?;
                self.send(&who, "forget-me confirm", true)?;
                prop_assert!(self.h.forgotten.contains(&member(&who)), "{} was forgotten", who);
                self.seen.forgotten.insert(who.clone());
                self.seen.absent.insert(who);
                self.check(&[])
            }
        }
    }

    /// Lets the clock run the circle to its end.
    fn finish(&mut self) -> Result<(), TestCaseError> {
        if self.h.circle().paused.is_some() {
            self.send("mod", "circle resume", false)?;
        }
        for _ in 0..2000 {
            if !self.h.circle().is_live() {
                break;
            }
            let Some(at) = self.h.next_timer() else { break };
            let out = self.h.advance_to(at);
            self.check(&out)?;
        }
        prop_assert_eq!(self.h.phase(), Phase::Ended, "left to the clock, every circle ends");
        Ok(())
    }

    /// Everyone who stayed present and never passed had exactly one sharing turn per round.
    fn check_rounds(&self) -> Result<(), TestCaseError> {
        let c = self.h.circle();
        let rounds = c.template.rounds;
        for n in &self.names {
            if self.seen.absent.contains(n) {
                continue;
            }
            let m = member(n);
            let mine: Vec<_> = c.log.iter().filter(|r| r.speaker == m).collect();
            if mine.iter().any(|r| r.how == Ending::Passed) {
                continue;
            }
            let mut per_round: BTreeMap<u32, usize> = BTreeMap::new();
            for r in mine.iter().filter(|r| r.kind == TurnKind::Sharing) {
                *per_round.entry(r.round).or_default() += 1;
            }
            let expected: BTreeMap<u32, usize> = (1..=rounds).map(|r| (r, 1)).collect();
            prop_assert_eq!(per_round, expected, "{} stayed and didn't pass, so spoke exactly once per round: {:?}", n, mine);
        }
        Ok(())
    }
}

fn config() -> ProptestConfig {
    ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn circle_invariants_hold_after_every_step(
        seed in any::<u64>(),
        n in 3usize..=6,
        rounds in 1u32..=2,
        default in mode(),
        acts in proptest::collection::vec(act(false), 0..80),
    ) {
        let mut run = Run::new(seed, n, rounds, default);
        run.check(&[])?;
        for a in &acts {
            run.apply(a)?;
        }
        run.finish()?;
        run.check_rounds()?;
    }

    #[test]
    fn a_forgotten_member_leaves_no_trace_in_the_state(
        seed in any::<u64>(),
        n in 3usize..=6,
        default in mode(),
        before in proptest::collection::vec(act(false), 0..40),
        who in 0usize..6,
        after in proptest::collection::vec(act(true), 0..40),
    ) {
        let mut run = Run::new(seed, n, 1, default);
        for a in &before {
            run.apply(a)?;
        }
        run.apply(&Act::Forget(who))?;
        for a in &after {
            run.apply(a)?;
        }
        run.finish()?;
        // Pulses come after the end, so a forgotten member's answer is tested too.
        for i in 0..run.names.len() {
            run.apply(&Act::Pulse(i, 3))?;
        }
        run.apply(&Act::Forget((who + 1) % run.names.len()))?;
        run.check(&[])?;
    }

    #[test]
    fn committing_after_every_step_and_reloading_gives_the_state_in_memory(
        seed in any::<u64>(),
        n in 3usize..=5,
        default in mode(),
        acts in proptest::collection::vec(act(true), 0..40),
    ) {
        let mut h = Harness::with_seed(seed);
        // The community and its decks are written whole first, as the engine does for a new one.
        h.state.dirty.community = true;
        h.state.dirty.decks = h.state.decks.keys().cloned().collect();
        h.mirror = Some(super::support::Mirror::new());
        let mut run = Run::new_in(h, n, 1, default);
        for a in &acts {
            run.apply(a)?;
        }
        run.finish()?;
        for i in 0..run.names.len() {
            run.apply(&Act::Pulse(i, 4))?;
        }
    }
}
