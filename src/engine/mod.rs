//! Async glue between the core, the store, timers and adapters.
//!
//! One actor per community applies inputs in order. SQLite has a single
//! writer, so per-circle actors would only queue at the database; instead the
//! actor drains whatever has queued up, applies each input to the core,
//! commits the batch in one transaction, and only then hands the effects to
//! the adapter (group commit). Communities run in parallel.

mod actor;
mod clock;
mod timers;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};

pub use actor::apply_once;
pub use clock::Clock;
pub use timers::Timers;

use crate::core::deck::Deck;
use crate::core::effect::Message;
use crate::core::ids::{ChannelId, CommunityId, MemberRef};
use crate::core::input::{Input, TimerKey};
use crate::store::{Store, StoreError};

/// What an adapter must carry out. Closed: adapters match it exhaustively.
#[derive(Clone, Debug, PartialEq)]
pub enum Delivery {
    Say { channel: ChannelId, message: Message },
    Whisper { to: MemberRef, message: Message },
    Floor { channel: ChannelId, speaker: Option<MemberRef>, hosts: Vec<MemberRef> },
    OpenSupport { member: MemberRef, display: String },
}

/// A delivery for one community.
#[derive(Clone, Debug, PartialEq)]
pub struct Outgoing {
    pub community: CommunityId,
    pub delivery: Delivery,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the change could not be saved ({0}); nothing changed")]
    NotSaved(String),
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

struct Job {
    input: Input,
    event: Option<String>,
    /// For timer inputs: when the timer was due (to measure lateness).
    due: Option<jiff::Timestamp>,
    done: Option<oneshot::Sender<Result<(), EngineError>>>,
}

struct Inner {
    store: Store,
    clock: Clock,
    defaults: Defaults,
    seed: Seed,
    out: mpsc::UnboundedSender<Outgoing>,
    actors: Mutex<HashMap<CommunityId, mpsc::UnboundedSender<Job>>>,
    timers: Timers,
    /// Timer lateness samples in ms, recorded only when a benchmark asks.
    lateness: Mutex<Option<Vec<i64>>>,
}

/// The running engine; cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl Engine {
    /// Starts the engine and resumes every stored community: timers are
    /// re-armed from the store and live circles are told where they are.
    pub async fn start(
        store: Store,
        clock: Clock,
        defaults: Defaults,
        seed: Seed,
        out: mpsc::UnboundedSender<Outgoing>,
    ) -> Result<Self, EngineError> {
        let engine = Self {
            inner: Arc::new(Inner {
                store,
                clock,
                defaults,
                seed,
                out,
                actors: Mutex::new(HashMap::new()),
                timers: Timers::default(),
                lateness: Mutex::new(None),
            }),
        };
        for id in engine.inner.store.communities().await? {
            engine.submit(&id, Input::Recover, None).await?;
        }
        if engine.inner.clock.is_system() {
            tokio::spawn(timers::drive(engine.clone()));
        }
        Ok(engine)
    }

    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Applies an input and waits until its changes are committed and its
    /// effects handed to the adapter. A repeated `event` id is ignored.
    pub async fn submit(&self, community: &CommunityId, input: Input, event: Option<String>) -> Result<(), EngineError> {
        let (tx, rx) = oneshot::channel();
        self.enqueue(community, Job { input, event, due: None, done: Some(tx) }).await?;
        rx.await.map_err(|_| EngineError::Stopped)?
    }

    /// Queues an input without waiting (used by the timer driver).
    pub(crate) async fn post(&self, community: &CommunityId, input: Input, due: jiff::Timestamp) -> Result<(), EngineError> {
        self.enqueue(community, Job { input, event: None, due: Some(due), done: None }).await
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
        if let Ok(mut l) = self.inner.lateness.lock()
            && let Some(v) = l.as_mut()
        {
            v.push(ms);
        }
    }

    async fn enqueue(&self, community: &CommunityId, job: Job) -> Result<(), EngineError> {
        let existing = self.inner.actors.lock().map_err(|_| EngineError::Stopped)?.get(community).cloned();
        let sender = match existing {
            Some(s) => s,
            None => {
                let s = actor::spawn(self.clone(), community.clone()).await?;
                // Two callers may race to spawn the same actor; the first one in the map wins.
                let mut map = self.inner.actors.lock().map_err(|_| EngineError::Stopped)?;
                map.entry(community.clone()).or_insert(s).clone()
            }
        };
        sender.send(job).map_err(|_| EngineError::Stopped)
    }

    /// Manual clock only: moves time forward, firing each due timer at its own moment.
    pub async fn advance(&self, secs: i64) -> Result<(), EngineError> {
        let target = crate::core::circle::plus(self.inner.clock.now(), secs);
        loop {
            let due = self.inner.timers.pop_due_before(target);
            let Some((at, community, key, generation)) = due else { break };
            self.inner.clock.set(at.max(self.inner.clock.now()));
            self.submit(&community, Input::TimerFired { key, generation }, None).await?;
        }
        self.inner.clock.set(target);
        Ok(())
    }

    /// How many timers are armed (for benchmarks and tests).
    pub fn armed_timers(&self) -> usize {
        self.inner.timers.len()
    }

    fn arm(&self, community: &CommunityId, key: TimerKey, at: jiff::Timestamp, generation: u64) {
        self.inner.timers.arm(community.clone(), key, at, generation);
    }
}
