//! Async glue between the core, the store, timers and adapters.
//!
//! One actor per community applies inputs in order. SQLite has a single
//! writer, so per-circle actors would only queue at the database; instead the
//! actor drains whatever has queued up, applies each input to the core,
//! commits the batch in one transaction, and only then hands the effects on
//! (group commit). Communities run in parallel, each under a supervisor that
//! restarts it from the store if it fails, and quarantines it if it keeps
//! failing, so no community can stop another.
//!
//! What an input caused for the member who sent it comes back from
//! [`Engine::submit`] as an [`Answer`] (an adapter turns it into an ephemeral
//! reply); everything else flows to the adapter of the community's platform
//! through its [`Outlets`] queue.

mod actor;
mod clock;
mod ledger;
pub mod passes;
mod resume;
mod route;
pub mod telemetry;
mod timers;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::{mpsc, oneshot};

pub use actor::apply_once;
pub use clock::Clock;
pub use ledger::{FloorHold, Ledger};
pub use resume::Resumed;
pub use route::{Route, Said};
pub use timers::Timers;

use crate::core::deck::Deck;
use crate::core::effect::Message;
use crate::core::ids::{ChannelId, CommunityId, MemberRef, Platform};
use crate::core::input::{Input, TimerKey};
use crate::store::{Store, StoreError};

/// Inputs waiting for one community's actor. When it is full, `submit` waits
/// (backpressure reaches the adapter), and a due timer is retried shortly
/// rather than holding up other communities' timers.
pub const ACTOR_QUEUE: usize = 1024;
/// Deliveries waiting for one platform's adapter. When it is full, the actors
/// of that platform's communities wait before handing on more; communities
/// on other platforms go on.
pub const OUTLET_QUEUE: usize = 1024;

/// What an adapter must carry out. Closed: adapters match it exhaustively.
#[derive(Clone, Debug, PartialEq)]
pub enum Delivery {
    Say {
        channel: ChannelId,
        message: Message,
    },
    Whisper {
        to: MemberRef,
        message: Message,
    },
    Floor {
        channel: ChannelId,
        speaker: Option<MemberRef>,
        hosts: Vec<MemberRef>,
        voice: Option<ChannelId>,
        /// The order the core decided floor changes in (engine-wide, rising).
        /// A change can reach an adapter late, by the outlet after a newer one
        /// that answered an input: the adapter carries out only the newest for
        /// a channel (see `platform::FloorOrder`).
        seq: u64,
    },
    OpenSupport {
        member: MemberRef,
        display: String,
    },
    /// attune leaves this place (a moderator asked; the core said goodbye first).
    Leave {
        channel: ChannelId,
    },
    /// A new circle's invitation and the place it asks for (`Effect::Invite`).
    Invite {
        circle: crate::core::ids::CircleId,
        channel: ChannelId,
        message: Message,
        placement: Box<crate::core::effect::Placement>,
    },
    /// The circle's calendar entry (`Effect::Listing`); only Discord has one.
    Listing {
        circle: crate::core::ids::CircleId,
        listing: Box<crate::core::effect::Listing>,
    },
}

/// A delivery for one community.
#[derive(Clone, Debug, PartialEq)]
pub struct Outgoing {
    pub community: CommunityId,
    pub delivery: Delivery,
}

/// Everything one submitted input caused, in order, for the adapter that
/// submitted it to carry out: it answers the interaction with the sender's
/// own private messages (Discord's ephemeral reply) and sends the rest as
/// usual. What the input did not cause (timers, other members' inputs) flows
/// through the outlet of the community's platform instead.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Answer {
    pub deliveries: Vec<Delivery>,
}

impl Answer {
    /// The private messages for `member` (the sender), in order.
    pub fn private_to<'a>(&'a self, member: &'a MemberRef) -> impl Iterator<Item = &'a Message> + 'a {
        self.deliveries.iter().filter_map(move |d| match d {
            Delivery::Whisper { to, message } if to == member => Some(message),
            _ => None,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the change could not be saved ({0}); nothing changed")]
    NotSaved(String),
    #[error("the community's worker failed while applying this; nothing was saved, and it restarts from the store")]
    Failed,
    #[error("this community is paused after repeated failures; see `attune doctor`")]
    Quarantined,
    #[error("attune is shutting down")]
    ShuttingDown,
    #[error("the engine has stopped")]
    Stopped,
}

/// What a new community starts with.
#[derive(Clone, Debug)]
pub struct Defaults {
    pub decks: Vec<Deck>,
    pub resources: String,
    pub phrases: crate::core::safety::Rules,
    pub timezone: String,
}

/// How inputs are seeded with randomness.
#[derive(Clone, Copy, Debug)]
pub enum Seed {
    Fixed(u64),
    Random,
}

/// One bounded delivery queue per platform. An adapter takes the receiver for
/// its platform; deliveries of communities on a platform with no adapter are
/// dropped with a warning (they were committed; nothing is half-done).
#[derive(Default)]
pub struct Outlets {
    senders: HashMap<Platform, mpsc::Sender<Outgoing>>,
}

impl Outlets {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a queue for `platform` and returns its receiving end.
    pub fn add(&mut self, platform: Platform) -> mpsc::Receiver<Outgoing> {
        self.add_with_capacity(platform, OUTLET_QUEUE)
    }

    pub fn add_with_capacity(&mut self, platform: Platform, capacity: usize) -> mpsc::Receiver<Outgoing> {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        self.senders.insert(platform, tx);
        rx
    }

    /// One platform's outlets and its receiver.
    pub fn single(platform: Platform) -> (Self, mpsc::Receiver<Outgoing>) {
        let mut o = Self::new();
        let rx = o.add(platform);
        (o, rx)
    }

    fn get(&self, platform: Platform) -> Option<&mpsc::Sender<Outgoing>> {
        self.senders.get(&platform)
    }
}

/// Help an input asks for (or may need), for when its community can't answer.
enum Care {
    /// The crisis card; `true` for the short card of danger under way.
    Card(MemberRef, bool),
    Resources(MemberRef),
    Support(MemberRef, String),
}

impl Care {
    fn of(input: &Input, defaults: &Defaults) -> Option<Self> {
        use crate::core::command::Command;
        match input {
            Input::Chat { actor, text, .. } | Input::Edited { actor, text, .. } | Input::BadCommand { actor, text, .. } => {
                crate::core::safety::finding(&defaults.phrases, text).map(|f| Care::Card(actor.member.clone(), f.imminent))
            }
            Input::Command { actor, command, .. } => match command.clone().unscoped() {
                Command::ResourcesShow => Some(Care::Resources(actor.member.clone())),
                Command::Support => Some(Care::Support(actor.member.clone(), actor.display.clone())),
                _ => None,
            },
            _ => None,
        }
    }
}

/// A fault injected by a test into one community's actor.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The actor panics at the start of its next batch.
    PanicNextBatch,
}

struct Job {
    input: Input,
    event: Option<String>,
    /// For timer inputs: when the timer was due (to measure lateness).
    due: Option<jiff::Timestamp>,
    done: Option<oneshot::Sender<Result<Answer, EngineError>>>,
    /// Whether the deliveries go back to the caller rather than through the outlet.
    answer: bool,
    /// A read of the community's state in its turn, instead of applying `input`.
    peek: Option<Peek>,
    /// When the job reached the engine (for the time-to-answer histogram).
    since: std::time::Instant,
}

/// A read of a community's state, run by its actor between inputs.
type Peek = Box<dyn FnOnce(&crate::core::state::State) + Send>;

/// A community's entry in the actor map.
#[derive(Clone)]
enum Slot {
    Live(mpsc::Sender<Job>),
    Quarantined,
}

struct Inner {
    store: Store,
    clock: Clock,
    defaults: Defaults,
    seed: Seed,
    outlets: Outlets,
    actors: Mutex<HashMap<CommunityId, Slot>>,
    /// Live and scheduled circles, across communities.
    tally: Arc<telemetry::Tally>,
    /// Supervisors still running, awaited on shutdown.
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    timers: Timers,
    accepting: AtomicBool,
    /// The community each member last used on their platform, for private commands
    /// whose community the adapter can't know. Memory only.
    last_community: Mutex<HashMap<MemberRef, CommunityId>>,
    /// When a member no community knows was last sent the resources card. Memory only.
    newcomer_cards: Mutex<HashMap<MemberRef, route::NewcomerCards>>,
    /// The next floor change's number (see `Delivery::Floor::seq`).
    floor_seq: std::sync::atomic::AtomicU64,
    faults: Mutex<HashMap<CommunityId, Fault>>,
    /// Timer lateness samples in ms, recorded only when a benchmark asks.
    lateness: Mutex<Option<Vec<i64>>>,
    /// Sign-in links for the moderator page, once the page is served.
    passes: std::sync::OnceLock<Arc<passes::Passes>>,
}

/// The running engine; cheap to clone. Dropping every clone (or calling
/// [`Engine::shutdown`]) stops its actors and timers.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

/// See [`Engine::summary`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Summary {
    pub communities: usize,
    pub live_circles: u64,
    pub scheduled_circles: u64,
}

impl Engine {
    /// Starts the engine and resumes every stored community it can: timers
    /// are re-armed from the store. What running circles must be told (where
    /// they are, the floor to set again) is made later, a batch at a time, by
    /// the returned [`Resumed`] once each adapter is connected; until then that
    /// platform's timers wait, so "I'm back" comes first. A start never waits on
    /// an adapter. A community that can't be loaded is reported and skipped; it
    /// never blocks the others.
    pub async fn start(
        store: Store,
        clock: Clock,
        defaults: Defaults,
        seed: Seed,
        outlets: Outlets,
    ) -> Result<(Self, Resumed), EngineError> {
        let engine = Self {
            inner: Arc::new(Inner {
                store,
                clock,
                defaults,
                seed,
                outlets,
                actors: Mutex::new(HashMap::new()),
                tally: Arc::default(),
                tasks: Mutex::new(Vec::new()),
                timers: Timers::default(),
                accepting: AtomicBool::new(true),
                last_community: Mutex::new(HashMap::new()),
                newcomer_cards: Mutex::new(HashMap::new()),
                floor_seq: std::sync::atomic::AtomicU64::new(1),
                faults: Mutex::new(HashMap::new()),
                lateness: Mutex::new(None),
                passes: std::sync::OnceLock::new(),
            }),
        };
        engine.inner.timers.hold(&Platform::ALL);
        let mut resumed = Resumed::new(Arc::downgrade(&engine.inner), Platform::ALL.to_vec());
        for id in engine.inner.store.communities().await? {
            let recovered = engine.apply(&id, Input::Recover, None, false).await;
            match recovered {
                Ok(_) => match engine.view(&id, crate::core::circle::to_announce).await {
                    Ok(circles) => resumed.add(id, circles),
                    Err(e) => {
                        tracing::error!(community = %id, error = %e, "could not read a community's circles to tell them attune is back")
                    }
                },
                Err(e) => tracing::error!(community = %id, error = %e, "could not resume a community; the others go on"),
            }
        }
        if engine.inner.clock.is_system() {
            let weak = Arc::downgrade(&engine.inner);
            let handle = tokio::spawn(timers::drive(weak));
            engine.track(handle);
        }
        Ok((engine, resumed))
    }

    /// Communities served now, and their live and scheduled circles (for the
    /// one-line summaries an operator reads at start and stop).
    pub fn summary(&self) -> Summary {
        // Communities served: a quarantined one is not.
        let communities = self.inner.actors.lock().map(|a| a.values().filter(|s| matches!(s, Slot::Live(_))).count()).unwrap_or(0);
        let (live, scheduled) = self.inner.tally.counts();
        Summary { communities, live_circles: live.max(0) as u64, scheduled_circles: scheduled.max(0) as u64 }
    }

    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    fn from_weak(weak: &Weak<Inner>) -> Option<Self> {
        weak.upgrade().map(|inner| Self { inner })
    }

    fn track(&self, handle: tokio::task::JoinHandle<()>) {
        if let Ok(mut t) = self.inner.tasks.lock() {
            t.retain(|h| !h.is_finished());
            t.push(handle);
        }
    }

    /// Applies an input and waits until its changes are committed and its
    /// effects handed on. Returns what the input caused for its sender. A
    /// repeated `event` id is ignored (and answers nothing).
    pub async fn submit(&self, community: &CommunityId, input: Input, event: Option<String>) -> Result<Answer, EngineError> {
        if let Some(member) = input.channel_actor() {
            self.note_community(member, community);
        }
        let care = Care::of(&input, &self.inner.defaults);
        let result = self.apply(community, input, event, true).await;
        // A commit that failed already delivered its help (see `actor::process`).
        if matches!(result, Err(EngineError::Quarantined | EngineError::Failed | EngineError::Store(_))) && care.is_some() {
            self.fallback_care(community, care).await;
        }
        result
    }

    /// When a community can't take an input at all (its record is damaged, or it is
    /// quarantined, or its worker failed), help still goes out: a message that may be a
    /// cry for help gets the default crisis card, `resources` gets it too, and `support`
    /// still pages the moderators. Nothing is saved, and the member's own settings can't
    /// be read, so this errs on the side of offering help.
    async fn fallback_care(&self, community: &CommunityId, care: Option<Care>) {
        let resources = &self.inner.defaults.resources;
        let delivery = match care {
            Some(Care::Card(to, true)) => Delivery::Whisper { to, message: crate::core::safety::imminent_card(resources) },
            Some(Care::Card(to, false)) => {
                Delivery::Whisper { to, message: crate::core::safety::card(resources, crate::core::effect::Line::new("crisis-intro")) }
            }
            Some(Care::Resources(to)) => {
                Delivery::Whisper { to, message: crate::core::safety::card(resources, crate::core::effect::Line::new("resources-asked")) }
            }
            Some(Care::Support(member, display)) => Delivery::OpenSupport { member, display },
            None => return,
        };
        tracing::warn!(community = %community, "the community could not take an input; help was sent from the defaults");
        actor::hand_on(self, community, delivery).await;
    }

    /// Queues an input without waiting for it (a platform event nobody awaits,
    /// such as a member leaving). Its deliveries go through the outlet. Waits
    /// only while the community's queue is full.
    pub async fn post(&self, community: &CommunityId, input: Input, event: Option<String>) -> Result<(), EngineError> {
        if let Some(member) = input.channel_actor() {
            self.note_community(member, community);
        }
        self.enqueue(community, Job { input, event, due: None, done: None, answer: false, peek: None, since: std::time::Instant::now() })
            .await
    }

    /// Applies an input and waits for it; with `answer`, its deliveries come
    /// back to the caller, otherwise they go through the outlet.
    async fn apply(&self, community: &CommunityId, input: Input, event: Option<String>, answer: bool) -> Result<Answer, EngineError> {
        let (tx, rx) = oneshot::channel();
        self.enqueue(community, Job { input, event, due: None, done: Some(tx), answer, peek: None, since: std::time::Instant::now() })
            .await?;
        rx.await.map_err(|_| EngineError::Failed)?
    }

    /// Hands deliveries to the community's platform, as if they had come from a
    /// timer (the moderator page keeps its moderator's own answer and passes on
    /// the rest).
    pub async fn pass_on(&self, community: &CommunityId, deliveries: Vec<Delivery>) {
        for delivery in deliveries {
            actor::hand_on(self, community, delivery).await;
        }
    }

    /// Serves sign-in links for the moderator page at `public_url` from now on
    /// (`dashboard` says the page is off until then). Once per engine.
    pub fn open_page(&self, public_url: &str) -> Arc<passes::Passes> {
        self.inner.passes.get_or_init(|| Arc::new(passes::Passes::new(public_url))).clone()
    }

    /// Reads a community's state in its turn, between inputs; changes nothing.
    /// The moderator page's views come from here (never from the store).
    pub async fn view<T: Send + 'static>(
        &self,
        community: &CommunityId,
        read: impl FnOnce(&crate::core::state::State) -> T + Send + 'static,
    ) -> Result<T, EngineError> {
        let (tx, rx) = oneshot::channel();
        let peek: Peek = Box::new(move |state| {
            let _ = tx.send(read(state));
        });
        let job = Job {
            input: Input::Recover,
            event: None,
            due: None,
            done: None,
            answer: false,
            peek: Some(peek),
            since: std::time::Instant::now(),
        };
        self.enqueue(community, job).await?;
        rx.await.map_err(|_| EngineError::Failed)
    }

    /// The community's newest audit entries and the records of it that can't be read
    /// back (what `attune doctor` names), for the moderator page's care view.
    pub async fn care_records(
        &self,
        community: &CommunityId,
        most: u32,
    ) -> Result<(Vec<crate::core::state::AuditEntry>, Vec<crate::store::Damaged>), EngineError> {
        let audit = self.inner.store.audit_recent(community, most).await?;
        let damaged = self.inner.store.damaged_documents_in(Some(community)).await?;
        Ok((audit, damaged))
    }

    /// Names in a community that a platform can offer while someone types (decks,
    /// card ids, templates, practices, a circle's members; see [`crate::core::names`]). Read in the
    /// community's turn, from its current state; changes nothing.
    pub async fn names(
        &self,
        community: &CommunityId,
        what: crate::core::names::Names,
        typed: &str,
        most: usize,
    ) -> Result<Vec<crate::core::names::Named>, EngineError> {
        let typed = typed.to_owned();
        self.view(community, move |state| crate::core::names::names(state, &what, &typed, most)).await
    }

    /// Queues a due timer without waiting. A full queue re-arms it a moment later.
    pub(crate) fn post_timer(
        &self,
        community: &CommunityId,
        key: TimerKey,
        generation: u64,
        due: jiff::Timestamp,
    ) -> Result<(), EngineError> {
        let sender = self.sender(community)?;
        let job = Job {
            input: Input::TimerFired { key: key.clone(), generation },
            event: None,
            due: Some(due),
            done: None,
            answer: false,
            peek: None,
            since: std::time::Instant::now(),
        };
        match sender.try_send(job) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(_)) => {
                let later = crate::core::time::plus_millis(self.inner.clock.now(), 50);
                tracing::warn!(community = %community, "a community's queue is full; its timer is retried shortly");
                self.arm(community, key, later, generation);
                Ok(())
            }
            Err(mpsc::error::TrySendError::Closed(_)) => Err(EngineError::Stopped),
        }
    }

    /// Starts recording how late timers are handled (for benchmarks).
    pub fn measure_lateness(&self) {
        if let Ok(mut l) = self.inner.lateness.lock() {
            *l = Some(Vec::new());
        }
    }

    /// The lateness samples so far, in milliseconds.
    pub fn take_lateness(&self) -> Vec<i64> {
        self.inner.lateness.lock().ok().and_then(|mut l| l.as_mut().map(std::mem::take)).unwrap_or_default()
    }

    fn record_lateness(&self, ms: i64) {
        metrics::histogram!(telemetry::TIMER_LATENESS_SECONDS).record(ms.max(0) as f64 / 1000.0);
        if let Ok(mut l) = self.inner.lateness.lock()
            && let Some(v) = l.as_mut()
        {
            v.push(ms);
        }
    }

    fn set_slot(&self, community: &CommunityId, slot: Slot) {
        if let Ok(mut map) = self.inner.actors.lock() {
            map.insert(community.clone(), slot);
        }
    }

    /// The queue of a community's actor, spawning the actor if needed.
    fn sender(&self, community: &CommunityId) -> Result<mpsc::Sender<Job>, EngineError> {
        let existing = self.inner.actors.lock().map_err(|_| EngineError::Stopped)?.get(community).cloned();
        match existing {
            Some(Slot::Live(s)) if !s.is_closed() => Ok(s),
            Some(Slot::Quarantined) => Err(EngineError::Quarantined),
            _ => {
                if !self.inner.accepting.load(Ordering::SeqCst) {
                    return Err(EngineError::ShuttingDown);
                }
                let mut map = self.inner.actors.lock().map_err(|_| EngineError::Stopped)?;
                // Another caller may have spawned it meanwhile; the map decides.
                if let Some(Slot::Live(s)) = map.get(community)
                    && !s.is_closed()
                {
                    return Ok(s.clone());
                }
                let (tx, handle) = actor::spawn(self, community.clone());
                map.insert(community.clone(), Slot::Live(tx.clone()));
                drop(map);
                self.track(handle);
                Ok(tx)
            }
        }
    }

    async fn enqueue(&self, community: &CommunityId, job: Job) -> Result<(), EngineError> {
        if !self.inner.accepting.load(Ordering::SeqCst) {
            return Err(EngineError::ShuttingDown);
        }
        let sender = self.sender(community)?;
        sender.send(job).await.map_err(|_| EngineError::Stopped)
    }

    /// Waits until every input queued for `community` before this call has been
    /// applied, committed and handed on: a barrier, so a test can prove that
    /// nothing happened without waiting for a duration (GUIDE, style 17).
    pub async fn handled(&self, community: &CommunityId) -> Result<(), EngineError> {
        // A read that reads nothing: its reply is sent once its batch (and every
        // batch before it) is committed and handed on.
        let (tx, rx) = oneshot::channel();
        let job = Job {
            input: Input::Recover,
            event: None,
            due: None,
            done: Some(tx),
            answer: false,
            peek: Some(Box::new(|_| {})),
            since: std::time::Instant::now(),
        };
        self.enqueue(community, job).await?;
        rx.await.map_err(|_| EngineError::Failed)?.map(drop)
    }

    /// How many inputs wait in `community`'s queue (0 for one that isn't running).
    /// Tests read it to see backpressure as a fact rather than after a pause.
    #[doc(hidden)]
    pub fn queued(&self, community: &CommunityId) -> usize {
        let slot = self.inner.actors.lock().ok().and_then(|m| m.get(community).cloned());
        match slot {
            Some(Slot::Live(s)) => s.max_capacity() - s.capacity(),
            _ => 0,
        }
    }

    /// Manual clock only: moves time forward, firing each due timer at its own moment.
    /// Waits first until a restart's circles have been told where they stand (see
    /// [`Resumed`]), as the system clock's timers do.
    pub async fn advance(&self, secs: i64) -> Result<(), EngineError> {
        self.inner.timers.unheld().await;
        let target = crate::core::time::plus(self.inner.clock.now(), secs);
        loop {
            let due = self.inner.timers.pop_due_before(target);
            let Some((at, community, key, generation)) = due else { break };
            self.inner.clock.set(at.max(self.inner.clock.now()));
            match self.apply(&community, Input::TimerFired { key, generation }, None, false).await {
                Ok(_) => {}
                // One community's trouble never stops another's timers.
                Err(e) => tracing::error!(community = %community, error = %e, "a timer could not be applied"),
            }
        }
        self.inner.clock.set(target);
        Ok(())
    }

    /// Whether the engine is alive: taking input, and (on the system clock) its
    /// timer driver went round within the last 10 seconds. For `/healthz`.
    pub fn responsive(&self) -> bool {
        if !self.inner.accepting.load(Ordering::SeqCst) {
            return false;
        }
        if !self.inner.clock.is_system() {
            return true;
        }
        self.inner.timers.since_beat().is_some_and(|d| d < std::time::Duration::from_secs(10))
    }

    /// Whether the database takes writes now (nothing is written). For `/readyz`.
    pub async fn writable(&self) -> bool {
        self.inner.accepting.load(Ordering::SeqCst) && self.inner.store.writable().await
    }

    /// How many timers are armed (for benchmarks and tests).
    pub fn armed_timers(&self) -> usize {
        self.inner.timers.len()
    }

    fn arm(&self, community: &CommunityId, key: TimerKey, at: jiff::Timestamp, generation: u64) {
        self.inner.timers.arm(community.clone(), key, at, generation);
    }

    /// Communities the engine has stopped serving after repeated failures.
    pub fn quarantined(&self) -> Vec<CommunityId> {
        let Ok(map) = self.inner.actors.lock() else { return Vec::new() };
        let mut v: Vec<_> = map.iter().filter(|(_, s)| matches!(s, Slot::Quarantined)).map(|(id, _)| id.clone()).collect();
        v.sort();
        v
    }

    /// Makes a community's actor fail on purpose (fault-injection tests only).
    #[doc(hidden)]
    pub fn inject_fault(&self, community: &CommunityId, fault: Fault) {
        if let Ok(mut f) = self.inner.faults.lock() {
            f.insert(community.clone(), fault);
        }
    }

    fn take_fault(&self, community: &CommunityId) -> Option<Fault> {
        self.inner.faults.lock().ok().and_then(|mut f| f.remove(community))
    }

    /// Stops taking input, lets every actor apply, commit and deliver what is
    /// already queued, then closes the database. Inputs submitted afterwards
    /// get [`EngineError::ShuttingDown`].
    pub async fn shutdown(&self) {
        self.inner.accepting.store(false, Ordering::SeqCst);
        // Closing the queues lets each actor finish what it holds, then stop.
        if let Ok(mut map) = self.inner.actors.lock() {
            map.clear();
        }
        self.inner.timers.stop();
        let tasks: Vec<_> = self.inner.tasks.lock().map(|mut t| std::mem::take(&mut *t)).unwrap_or_default();
        for t in tasks {
            let _ = t.await;
        }
        self.inner.store.close().await;
    }

    fn note_community(&self, member: &MemberRef, community: &CommunityId) {
        if let Ok(mut m) = self.inner.last_community.lock() {
            m.insert(member.clone(), community.clone());
        }
    }
}
/// Yields a list's items in order and gives its memory back as it goes. A
/// restart's recovery hands on an effect or two for every live circle at once
/// (300,000 with 100,000 circles): holding the whole list until the last one
/// was handed on put about 30 MB on the restart's peak.
pub(crate) struct Releasing<T> {
    /// The items left, last first.
    left: Vec<T>,
}

impl<T> Releasing<T> {
    pub(crate) fn new(mut items: Vec<T>) -> Self {
        items.reverse();
        Self { left: items }
    }
}

impl<T> Iterator for Releasing<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        let item = self.left.pop();
        if self.left.capacity() > 1024 && self.left.len() < self.left.capacity() / 2 {
            self.left.shrink_to_fit();
        }
        item
    }
}

#[cfg(test)]
mod releasing_tests {
    use super::Releasing;

    #[test]
    fn items_come_in_order_and_the_list_shrinks_as_it_empties() {
        let items: Vec<u32> = (0..10_000).collect();
        let mut it = Releasing::new(items);
        let first: Vec<u32> = it.by_ref().take(9_000).collect();
        assert_eq!(first, (0..9_000).collect::<Vec<u32>>());
        assert!(it.left.capacity() < 4_000, "memory was given back: {}", it.left.capacity());
        assert_eq!(it.collect::<Vec<u32>>(), (9_000..10_000).collect::<Vec<u32>>());
        assert_eq!(Releasing::new(Vec::<u32>::new()).next(), None);
    }
}
