//! A community's actor and its supervisor. The actor owns the community's
//! `State`, applies inputs in order, commits each batch before its effects
//! leave, and recovers from a failed commit by reloading what was last
//! committed. The supervisor restarts a failed actor from the store, with
//! backoff, and quarantines a community that keeps failing.

use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use tokio::sync::{Mutex as AsyncMutex, mpsc};
use tracing::{error, warn};

use super::telemetry::{self, CircleCounts, Counted};
use super::{ACTOR_QUEUE, Answer, Defaults, Delivery, Engine, EngineError, Fault, Inner, Job, Outgoing, Seed, Slot};
use crate::core::effect::{Attachment, Effect, Kind, Line, Message};
use crate::core::ids::{ChannelId, CircleId, CommunityId, Slug};
use crate::core::input::Input;
use crate::core::rng::SplitMix64;
use crate::core::state::{Community, Dirty, State};
use crate::core::{self};
use crate::store::{Pending, Store};

/// Most inputs folded into one transaction.
const MAX_BATCH: usize = 256;
/// Failures within `FAILURE_WINDOW` after which a community is quarantined.
const MAX_FAILURES: usize = 5;
const FAILURE_WINDOW: Duration = Duration::from_secs(600);

type Reply = tokio::sync::oneshot::Sender<Result<Answer, EngineError>>;

/// A community's queue, shared by the lives of its actor, and the replies its
/// current batch owes: if the actor dies mid-batch, the supervisor answers them
/// once it knows whether the community restarts or is quarantined.
struct Shared {
    rx: AsyncMutex<mpsc::Receiver<Job>>,
    in_flight: std::sync::Mutex<Vec<Option<Reply>>>,
}

type Queue = Arc<Shared>;

/// Spawns a community's supervised actor and returns its queue.
pub(super) fn spawn(engine: &Engine, id: CommunityId) -> (mpsc::Sender<Job>, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(ACTOR_QUEUE);
    let weak = Arc::downgrade(&engine.inner);
    let shared = Shared { rx: AsyncMutex::new(rx), in_flight: std::sync::Mutex::new(Vec::new()) };
    let handle = tokio::spawn(supervise(weak, id, Arc::new(shared)));
    (tx, handle)
}

async fn supervise(weak: Weak<Inner>, id: CommunityId, queue: Queue) {
    let mut failures: Vec<Instant> = Vec::new();
    let mut first = true;
    loop {
        // Loading, re-arming and running all happen in one task, so a panic anywhere in
        // them is caught here and never reaches another community.
        let task = tokio::spawn(life(weak.clone(), id.clone(), first, queue.clone()));
        first = false;
        let why = match task.await {
            Ok(Ok(())) => return,
            Ok(Err(e)) => {
                error!(community = %id, error = %e, "could not load a community");
                "load"
            }
            Err(e) if e.is_panic() => {
                // The panic message names internals only: the core keeps no content.
                error!(community = %id, "a community's worker failed; restarting it from the store");
                "panic"
            }
            Err(_) => return,
        };
        let owed: Vec<Reply> = queue.in_flight.lock().map(|mut v| v.drain(..).flatten().collect()).unwrap_or_default();
        let quarantined = give_up(&weak, &id, &mut failures, why).await;
        for reply in owed {
            let _ = reply.send(Err(if quarantined { EngineError::Quarantined } else { EngineError::Failed }));
        }
        if quarantined {
            fail_queued(&queue).await;
            return;
        }
    }
}

/// One life of a community's actor: load (creating the community the first
/// time), re-arm timers after a restart, then apply inputs until the queue closes.
async fn life(weak: Weak<Inner>, id: CommunityId, first: bool, queue: Queue) -> Result<(), EngineError> {
    let Some(engine) = Engine::from_weak(&weak) else { return Ok(()) };
    let (mut state, created, interrupted) = load_or_create(&engine, &id).await?;
    if created || !first {
        // A new community arms its housekeeping (the retention purge); a restarted actor
        // re-arms what the store says, without announcing anything again.
        rearm(&engine, &mut state);
    }
    redeliver(&engine, &state).await?;
    tell_interrupted(&engine, &id, interrupted).await?;
    let seed = match engine.inner.seed {
        Seed::Fixed(n) => n,
        Seed::Random => RandomState::new().hash_one(id.key()),
    };
    drop(engine);
    run(weak, state, SplitMix64::new(seed), queue).await;
    Ok(())
}

/// Counts a failure and waits out the backoff; quarantines (and returns
/// `true`) once the community has failed too often.
async fn give_up(weak: &Weak<Inner>, id: &CommunityId, failures: &mut Vec<Instant>, reason: &str) -> bool {
    let now = Instant::now();
    failures.retain(|t| now.duration_since(*t) < FAILURE_WINDOW);
    failures.push(now);
    let Some(engine) = Engine::from_weak(weak) else { return true };
    if failures.len() >= MAX_FAILURES {
        error!(community = %id, reason, failures = failures.len(), "community quarantined after repeated failures; the others go on");
        if let Err(e) = engine.inner.store.quarantine(id, reason, engine.inner.clock.now()).await {
            error!(community = %id, error = %e, "could not record the quarantine");
        }
        engine.set_slot(id, Slot::Quarantined);
        metrics::gauge!(telemetry::QUARANTINED).increment(1.0);
        return true;
    }
    drop(engine);
    let wait = Duration::from_millis(50u64 << failures.len().min(7));
    tokio::time::sleep(wait).await;
    false
}

async fn fail_queued(queue: &Queue) {
    let mut rx = queue.rx.lock().await;
    rx.close();
    while let Ok(job) = rx.try_recv() {
        if let Some(done) = job.done {
            let _ = done.send(Err(EngineError::Quarantined));
        }
    }
}

fn rearm(engine: &Engine, state: &mut State) {
    let now = engine.inner.clock.now();
    let mut rng = SplitMix64::new(0);
    // What loading itself marked (an upgraded record to rewrite) stays marked; what
    // re-arming touched was already stored.
    let loaded = state.take_dirty();
    for effect in core::handle(state, Input::Recover, now, &mut rng) {
        if let Effect::Schedule { key, at, generation } = effect {
            engine.arm(&state.community.id, key, at, generation);
        }
    }
    state.take_dirty();
    state.dirty = loaded;
}

/// The stored state of a community, or a new one from the defaults (then `true`).
/// A community's state as loaded: the state, whether it was just created, and
/// the running circles whose records were damaged (number, channel).
type Opened = (State, bool, Vec<(i64, ChannelId)>);

async fn load_or_create(engine: &Engine, id: &CommunityId) -> Result<Opened, EngineError> {
    load_or_create_in(&engine.inner.store, &engine.inner.defaults, id, engine.inner.clock.now()).await
}

async fn load_or_create_in(store: &Store, d: &Defaults, id: &CommunityId, now: Timestamp) -> Result<Opened, EngineError> {
    // Ended circles older than the pulse window (with a day's margin) stay on disk.
    let since = crate::core::privacy::kept_since(now);
    if let Some(loaded) = store.load(id, Some(since)).await? {
        for damaged in &loaded.damaged {
            warn!(community = %id, record = %damaged, "a stored record is damaged and was left out, so the rest can run; `attune doctor` names it, and `attune deck export` saves a community's decks");
        }
        let mut community = loaded.community;
        let card_changed = community.follow_default_card(&d.resources);
        let shipped = Arc::new(d.decks.clone());
        let mut st = State::new(community, loaded.decks.over(&shipped), &d.phrases).with_shipped(shipped);
        st.dirty.community |= card_changed;
        if loaded.decks.legacy {
            // Full copies from before format 3 become changes at the next commit, together
            // with the community record that says so (format 3), in one transaction.
            st.dirty.community = true;
            let names = st.shipped.iter().map(|s| s.name.clone()).chain(loaded.decks.rows.iter().filter_map(|(n, _)| Slug::parse(n).ok()));
            st.dirty.decks = names.chain(st.decks.keys().cloned()).collect();
        }
        st.members = loaded.members;
        st.set_circles(loaded.circles);
        return Ok((st, false, loaded.interrupted));
    }
    let mut community = Community::new(id.clone(), d.resources.clone());
    community.settings.timezone = d.timezone.clone();
    // A new community stores no decks: it sees the shipped ones until its moderators change them.
    let mut st = State::new(community, d.decks.clone(), &d.phrases).with_shipped(Arc::new(d.decks.clone()));
    st.dirty.community = true;
    let dirty = st.take_dirty();
    store.commit(&st, &dirty, &[], now).await?;
    Ok((st, true, Vec::new()))
}

/// Applies one input straight to the store, without an engine: no circles are
/// resumed, no timers run, and only the effects are returned (for CLI tools
/// such as `attune deck import`). Timers it schedules are armed by the next
/// engine start, which re-arms everything from the store.
pub async fn apply_once(
    store: &Store,
    defaults: &Defaults,
    id: &CommunityId,
    input: Input,
    now: Timestamp,
) -> Result<Vec<Effect>, EngineError> {
    let (mut state, _, _) = load_or_create_in(store, defaults, id, now).await?;
    let mut rng = SplitMix64::new(RandomState::new().hash_one(id.key()));
    let effects = core::handle(&mut state, input, now, &mut rng);
    let dirty = state.take_dirty();
    if !dirty.is_empty() {
        store.commit(&state, &dirty, &[], now).await?;
    }
    Ok(effects)
}

/// A community's share of the circle gauges, taken back when its actor ends
/// (also by a panic), so a restarted actor doesn't count its circles twice.
/// It remembers what each circle counted as, so that after a batch only the
/// circles the batch changed are counted again: a community with 100,000
/// circles pays for the few a command touches, not for every one of them.
struct GaugeShare {
    counts: CircleCounts,
    counted: HashMap<CircleId, Counted>,
    tally: Arc<telemetry::Tally>,
}

impl GaugeShare {
    fn new(tally: Arc<telemetry::Tally>) -> Self {
        Self { counts: CircleCounts::default(), counted: HashMap::new(), tally }
    }

    /// Counts every circle: at start, and when a reload replaced the state.
    fn recount(&mut self, state: &State) {
        self.counted.clear();
        let mut now = CircleCounts::default();
        for (id, c) in &state.circles {
            if let Some(kind) = Counted::of(c) {
                self.counted.insert(*id, kind);
                now.add(Some(kind), 1);
            }
        }
        now.report_since(self.counts, &self.tally);
        self.counts = now;
    }

    /// Counts again the circles a batch changed (`None`: the state was replaced).
    fn update(&mut self, state: &State, changed: Option<&BTreeSet<CircleId>>) {
        let Some(changed) = changed else { return self.recount(state) };
        let mut now = self.counts;
        for id in changed {
            let kind = state.circles.get(id).and_then(|c| Counted::of(c));
            let before = match kind {
                Some(k) => self.counted.insert(*id, k),
                None => self.counted.remove(id),
            };
            now.add(before, -1);
            now.add(kind, 1);
        }
        if now != self.counts {
            now.report_since(self.counts, &self.tally);
            self.counts = now;
        }
    }
}

impl Drop for GaugeShare {
    fn drop(&mut self) {
        CircleCounts::default().report_since(self.counts, &self.tally);
    }
}

async fn run(weak: Weak<Inner>, mut state: State, mut rng: SplitMix64, queue: Queue) {
    let tally = weak.upgrade().map(|inner| inner.tally.clone()).unwrap_or_default();
    let mut share = GaugeShare::new(tally);
    share.recount(&state);
    let mut rx = queue.rx.lock().await;
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let Some(engine) = Engine::from_weak(&weak) else { return };
        // The replies wait outside the batch, so a failure mid-batch can still answer them.
        let replies: Vec<Option<Reply>> = batch.iter_mut().map(|j| j.done.take()).collect();
        if let Ok(mut f) = queue.in_flight.lock() {
            *f = replies;
        }
        let (results, changed) = process(&engine, &mut state, &mut rng, batch).await;
        share.update(&state, changed.as_ref());
        let replies = queue.in_flight.lock().map(|mut f| std::mem::take(&mut *f)).unwrap_or_default();
        for (reply, result) in replies.into_iter().zip(results) {
            if let Some(reply) = reply {
                let _ = reply.send(result);
            }
        }
    }
}

/// The kind of an input, for logs. Never the input itself: chat carries text.
fn input_kind(input: &Input) -> &'static str {
    match input {
        Input::Command { .. } => "command",
        Input::BadCommand { .. } => "bad_command",
        Input::Chat { .. } => "chat",
        Input::Edited { .. } => "edit",
        Input::MemberLeft { .. } => "member_left",
        Input::TimerFired { .. } => "timer",
        Input::Recover => "recover",
        Input::Announce { .. } => "announce",
        Input::Placed { .. } => "placed",
        Input::Moved { .. } => "moved",
        Input::DeliveryFailed { .. } => "delivery_failed",
    }
}

/// One applied job's effects, kept apart so its submitter gets its own answer.
struct Applied {
    slot: usize,
    effects: Vec<Effect>,
    answer: bool,
    kind: &'static str,
    since: Instant,
}

fn count_input(kind: &'static str, outcome: &'static str) {
    metrics::counter!(telemetry::INPUTS, "kind" => kind, "outcome" => outcome).increment(1);
}

/// Applies a batch, commits it, hands its effects on, and returns each job's result in
/// order, with the circles it changed (`None` when a failed commit reloaded the state).
async fn process(
    engine: &Engine,
    state: &mut State,
    rng: &mut SplitMix64,
    batch: Vec<Job>,
) -> (Vec<Result<Answer, EngineError>>, Option<BTreeSet<CircleId>>) {
    let id = state.community.id.clone();
    if engine.take_fault(&id) == Some(Fault::PanicNextBatch) {
        panic!("injected fault");
    }
    let store = &engine.inner.store;
    let now = engine.inner.clock.now();
    let mut results: Vec<Result<Answer, EngineError>> = (0..batch.len()).map(|_| Ok(Answer::default())).collect();
    let mut dirty = Dirty::default();
    let mut events: Vec<String> = Vec::new();
    let mut applied: Vec<Applied> = Vec::with_capacity(batch.len());
    for (slot, mut job) in batch.into_iter().enumerate() {
        if let Some(peek) = job.peek.take() {
            // A read (names for autocomplete): sees the state as the inputs before it left it.
            peek(state);
            continue;
        }
        if let Some(due) = job.due {
            engine.record_lateness(now.as_millisecond() - due.as_millisecond());
        }
        if let Some(e) = &job.event {
            let replay = if events.contains(e) { Ok(true) } else { store.seen(&id, e).await };
            match replay {
                Ok(false) => events.push(e.clone()),
                Ok(true) => {
                    warn!(community = %id, "ignored a replayed platform event");
                    count_input(input_kind(&job.input), "replayed");
                    continue;
                }
                Err(err) => {
                    count_input(input_kind(&job.input), "refused_store");
                    // Unknown whether it was applied: refuse it rather than risk applying it twice.
                    error!(community = %id, error = %err, "could not check for a replayed event; the input was not applied");
                    results[slot] = Err(EngineError::Store(err));
                    continue;
                }
            }
        }
        let kind = input_kind(&job.input);
        if let Input::DeliveryFailed { reason, .. } = &job.input {
            metrics::counter!(telemetry::DELIVERIES_FAILED, "platform" => id.platform().as_str(), "reason" => reason.as_str()).increment(1);
        }
        let out = core::handle(state, job.input, now, rng);
        tracing::debug!(community = %id, input = kind, effects = out.len(), "applied");
        dirty.merge(state.take_dirty());
        applied.push(Applied { slot, effects: out, answer: job.answer, kind, since: job.since });
    }
    let pending: Vec<Pending> = applied.iter().flat_map(|a| a.effects.iter()).filter_map(must_not_be_lost).collect();
    // An input that changed nothing (and named no event to remember) opens no transaction.
    let changed = !dirty.is_empty() || !events.is_empty() || !pending.is_empty();
    let mut outbox = Vec::new();
    if changed {
        let started = Instant::now();
        let committed = store.commit_with_outbox(state, &dirty, &events, &pending, now).await;
        metrics::histogram!(telemetry::COMMIT_SECONDS).record(started.elapsed().as_secs_f64());
        metrics::counter!(telemetry::COMMITS, "outcome" => if committed.is_ok() { "ok" } else { "failed" }).increment(1);
        match committed {
            Ok(seqs) => outbox = seqs,
            Err(e) => {
                error!(community = %id, error = %e, "commit failed; keeping the last committed state");
                // Help goes out even when the change behind it can't be saved: the crisis card
                // and a page to the moderators are delivered; only their bookkeeping is lost.
                for a in &applied {
                    for effect in a.effects.iter().filter(|e| is_care(e)) {
                        if let Some(delivery) = resolve(engine, &id, effect.clone()).await {
                            hand_on(engine, &id, delivery).await;
                        }
                    }
                }
                reload(engine, state).await;
                let reason = e.to_string();
                for a in applied {
                    count_input(a.kind, "not_saved");
                    results[a.slot] = Err(EngineError::NotSaved(reason.clone()));
                }
                return (results, None);
            }
        }
    }
    for a in applied {
        let mut answer = Answer::default();
        for effect in super::Releasing::new(a.effects) {
            let Some(delivery) = resolve(engine, &id, effect).await else { continue };
            if a.answer {
                answer.deliveries.push(delivery);
            } else {
                hand_on(engine, &id, delivery).await;
            }
        }
        results[a.slot] = Ok(answer);
        count_input(a.kind, "applied");
        metrics::histogram!(telemetry::ANSWER_SECONDS).record(a.since.elapsed().as_secs_f64());
    }
    // Handed on (to the outlet, or back to the caller): the outbox can let go.
    if !outbox.is_empty()
        && let Err(e) = store.outbox_done(&outbox).await
    {
        // Harmless but for a repeat after a restart: the card or page would come twice.
        warn!(community = %id, error = %e, "could not clear delivered outbox entries");
    }
    (results, Some(dirty.circles))
}

/// The deliveries that must not be lost to a crash after their commit: the crisis card
/// offered after a match, and a page to the moderators.
fn must_not_be_lost(effect: &Effect) -> Option<Pending> {
    match effect {
        Effect::Whisper { to, message }
            if message.kind == Kind::Crisis && message.lines.first().is_some_and(|l| l.id == "crisis-intro") =>
        {
            Some(Pending::Crisis { member: to.clone() })
        }
        Effect::OpenSupport { member, display } => Some(Pending::Support { member: member.clone(), display: display.clone() }),
        _ => None,
    }
}

/// Help that must reach a member whatever else fails: the crisis card (after a
/// match or on request) and a page to the moderators.
fn is_care(effect: &Effect) -> bool {
    match effect {
        Effect::Whisper { message, .. } => message.kind == Kind::Crisis,
        Effect::OpenSupport { .. } => true,
        _ => false,
    }
}

/// Delivers what a crash left in the outbox, then clears it.
async fn redeliver(engine: &Engine, state: &State) -> Result<(), EngineError> {
    let id = &state.community.id;
    let entries = engine.inner.store.outbox(id).await?;
    if entries.is_empty() {
        return Ok(());
    }
    let mut done = Vec::with_capacity(entries.len());
    for (seq, pending) in entries {
        let delivery = match pending {
            Pending::Crisis { member } => {
                Delivery::Whisper { to: member, message: crate::core::safety::card(&state.community.resources, Line::new("crisis-intro")) }
            }
            Pending::Support { member, display } => Delivery::OpenSupport { member, display },
        };
        hand_on(engine, id, delivery).await;
        done.push(seq);
    }
    tracing::info!(community = %id, count = done.len(), "delivered what a crash had left undelivered");
    engine.inner.store.outbox_done(&done).await?;
    Ok(())
}

/// Tells the people in each running circle whose record was damaged that it
/// can't go on, then sets the circle aside so this is said once.
async fn tell_interrupted(engine: &Engine, id: &CommunityId, interrupted: Vec<(i64, ChannelId)>) -> Result<(), EngineError> {
    for (circle, channel) in interrupted {
        hand_on(engine, id, Delivery::Say { channel, message: Message::info(Line::new("circle-interrupted")) }).await;
        engine.inner.store.set_aside_circle(id, circle, engine.inner.clock.now()).await?;
        warn!(community = %id, circle, "a running circle could not be restored; its channel was told, and the circle was set aside");
    }
    Ok(())
}

/// Throws away uncommitted changes by reloading from the store, then re-arms its timers.
/// If the store can't be read either (still locked, say), it keeps trying: carrying on
/// with changes that were never saved would let memory and database drift apart.
async fn reload(engine: &Engine, state: &mut State) {
    let mut wait = Duration::from_millis(100);
    loop {
        match load_or_create(engine, &state.community.id).await {
            Ok((fresh, _, _)) => {
                *state = fresh;
                break;
            }
            Err(e) => {
                error!(community = %state.community.id, error = %e, retry_ms = wait.as_millis() as u64, "reload after a failed commit failed; retrying");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(30));
            }
        }
    }
    rearm(engine, state);
}

/// Turns an effect into a delivery; timers and exports are the engine's own work.
async fn resolve(engine: &Engine, community: &CommunityId, effect: Effect) -> Option<Delivery> {
    Some(match effect {
        Effect::Schedule { key, at, generation } => {
            engine.arm(community, key, at, generation);
            return None;
        }
        Effect::ExportData { to } => super::route::export(engine, community, to).await,
        Effect::Say { channel, message } => Delivery::Say { channel, message },
        Effect::Whisper { to, message } => Delivery::Whisper { to, message },
        Effect::Floor { channel, speaker, hosts, voice } => {
            // Numbered here, in the community's order, whichever way it then travels.
            let seq = engine.inner.floor_seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Delivery::Floor { channel, speaker, hosts, voice, seq }
        }
        Effect::OpenSupport { member, display } => Delivery::OpenSupport { member, display },
        Effect::Leave { channel } => Delivery::Leave { channel },
        Effect::SignIn { to } => {
            let link = engine.inner.passes.get().and_then(|p| p.mint(community, &to));
            let line = match link {
                Some(link) => Line::new("dashboard-link").linkable("link", link).num("minutes", super::passes::PASS_LIFE.as_secs() / 60),
                None => Line::new("dashboard-off"),
            };
            Delivery::Whisper { to, message: Message::new(Kind::Data, vec![line]) }
        }
        Effect::Invite { circle, channel, message, placement } => Delivery::Invite { circle, channel, message, placement },
        Effect::Listing { circle, listing } => Delivery::Listing { circle, listing },
    })
}

/// Hands a delivery to its platform's adapter, waiting while that queue is full.
pub(super) async fn hand_on(engine: &Engine, community: &CommunityId, delivery: Delivery) {
    let Some(out) = engine.inner.outlets.get(community.platform()) else {
        warn!(community = %community, "no adapter for this platform is running; a delivery was dropped");
        return;
    };
    if out.send(Outgoing { community: community.clone(), delivery }).await.is_err() {
        warn!(community = %community, "the adapter stopped listening; a delivery was dropped");
    }
}

/// A private message that answers a member with a file.
pub(super) fn data_message(content: String) -> Message {
    let mut message = Message::new(Kind::Data, vec![Line::new("my-data-intro")]);
    message.attachment = Some(Box::new(Attachment { filename: "attune-my-data.json".into(), content }));
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::ids::{MemberRef, Platform};
    use crate::core::input::{Actor, Place};

    fn command(st: &mut State, channel: &str, line: &str, at: i64) -> BTreeSet<CircleId> {
        let actor =
            Actor { member: MemberRef::parse(Platform::Console, "mod").unwrap(), display: "mod".into(), moderator: true, host: false };
        let place = Place::Channel(ChannelId::parse(Platform::Console, channel).unwrap());
        let command = core::command::parse(line).unwrap();
        let now = Timestamp::from_second(1_800_000_000 + at).unwrap();
        core::handle(st, Input::Command { actor, place, command }, now, &mut SplitMix64::new(1));
        st.take_dirty().circles
    }

    #[test]
    fn the_circle_gauges_count_only_what_a_batch_changed_and_agree_with_a_full_count() {
        let id = CommunityId::parse(Platform::Console, "test").unwrap();
        let mut st = State::new(Community::new(id, "call for help".into()), Vec::new(), &core::safety::Rules::default());
        let tally = Arc::new(telemetry::Tally::default());
        let mut share = GaugeShare::new(tally.clone());
        share.recount(&st);
        let steps = [
            ("a", "circle open"),
            ("b", "circle open"),
            ("c", "circle open"),
            ("c", "circle schedule in 30m"),
            ("a", "circle end"),
            ("c", "circle end"),
        ];
        let mut counts = Vec::new();
        for (at, (channel, line)) in steps.into_iter().enumerate() {
            let changed = command(&mut st, channel, line, at as i64);
            assert!(!changed.is_empty(), "{line} in {channel} changed a circle");
            share.update(&st, Some(&changed));
            assert_eq!(share.counts, CircleCounts::of(&st), "after {line} in {channel}");
            counts.push(tally.counts());
        }
        assert_eq!(counts, [(1, 0), (2, 0), (3, 0), (2, 1), (1, 1), (1, 0)], "live and scheduled, step by step");
        drop(share);
        assert_eq!(tally.counts(), (0, 0), "an actor that ends takes its share back");
    }
}
