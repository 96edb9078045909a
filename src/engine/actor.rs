//! A community's actor: owns its `State`, applies inputs in order, commits
//! each batch before its effects leave, and recovers from a failed commit by
//! reloading what was last committed.

use std::hash::{BuildHasher, RandomState};

use tokio::sync::mpsc;
use tracing::{error, warn};

use jiff::Timestamp;

use super::{Defaults, Delivery, Engine, EngineError, Job, Outgoing, Seed};
use crate::core::effect::{Attachment, Effect, Kind, Line, Message};
use crate::core::ids::CommunityId;
use crate::core::input::Input;
use crate::core::rng::SplitMix64;
use crate::core::state::{Community, Dirty, State};
use crate::core::{self};
use crate::store::Store;

/// Most inputs folded into one transaction.
const MAX_BATCH: usize = 256;

pub(super) async fn spawn(engine: Engine, id: CommunityId) -> Result<mpsc::UnboundedSender<Job>, EngineError> {
    let (state, created) = load_or_create(&engine, &id).await?;
    let (tx, rx) = mpsc::unbounded_channel();
    if created {
        // A new community arms its housekeeping (the retention purge) like a restarted one.
        let _ = tx.send(Job { input: Input::Recover, event: None, due: None, done: None });
    }
    let seed = match engine.inner.seed {
        Seed::Fixed(n) => n,
        Seed::Random => RandomState::new().hash_one(id.as_str()),
    };
    tokio::spawn(run(engine, state, SplitMix64::new(seed), rx));
    Ok(tx)
}

/// The stored state of a community, or a new one from the defaults (then `true`).
async fn load_or_create(engine: &Engine, id: &CommunityId) -> Result<(State, bool), EngineError> {
    load_or_create_in(&engine.inner.store, &engine.inner.defaults, id, engine.inner.clock.now()).await
}

async fn load_or_create_in(store: &Store, d: &Defaults, id: &CommunityId, now: Timestamp) -> Result<(State, bool), EngineError> {
    if let Some(loaded) = store.load(id).await? {
        let mut community = loaded.community;
        let card_changed = community.follow_default_card(&d.resources);
        let mut st = State::new(community, loaded.decks, &d.phrases);
        st.dirty.community |= card_changed;
        st.members = loaded.members.into_iter().collect();
        st.set_circles(loaded.circles);
        return Ok((st, false));
    }
    let mut community = Community::new(id.clone(), d.resources.clone());
    community.settings.timezone = d.timezone.clone();
    let mut st = State::new(community, d.decks.clone(), &d.phrases);
    st.dirty.community = true;
    st.dirty.decks = st.decks.keys().cloned().collect();
    let dirty = st.take_dirty();
    store.commit(&st, &dirty, &[], now).await?;
    Ok((st, true))
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
    let (mut state, _) = load_or_create_in(store, defaults, id, now).await?;
    let mut rng = SplitMix64::new(RandomState::new().hash_one(id.as_str()));
    let effects = core::handle(&mut state, input, now, &mut rng);
    let dirty = state.take_dirty();
    store.commit(&state, &dirty, &[], now).await?;
    Ok(effects)
}

async fn run(engine: Engine, mut state: State, mut rng: SplitMix64, mut rx: mpsc::UnboundedReceiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        process(&engine, &mut state, &mut rng, batch).await;
    }
}

/// The kind of an input, for logs. Never the input itself: chat carries text.
fn input_kind(input: &Input) -> &'static str {
    match input {
        Input::Command { .. } => "command",
        Input::BadCommand { .. } => "bad_command",
        Input::Chat { .. } => "chat",
        Input::MemberLeft { .. } => "member_left",
        Input::TimerFired { .. } => "timer",
        Input::Recover => "recover",
    }
}

async fn process(engine: &Engine, state: &mut State, rng: &mut SplitMix64, batch: Vec<Job>) {
    let store = &engine.inner.store;
    let now = engine.inner.clock.now();
    let mut dirty = Dirty::default();
    let mut events: Vec<String> = Vec::new();
    let mut effects: Vec<Effect> = Vec::new();
    let mut acks = Vec::with_capacity(batch.len());
    for job in batch {
        if let Some(due) = job.due {
            engine.record_lateness(now.as_millisecond() - due.as_millisecond());
        }
        if let Some(e) = &job.event {
            let replay = match events.contains(e) {
                true => true,
                false => store.seen(&state.community.id, e).await.unwrap_or(false),
            };
            if replay {
                warn!(community = state.community.id.as_str(), "ignored a replayed platform event");
                acks.extend(job.done);
                continue;
            }
            events.push(e.clone());
        }
        let kind = input_kind(&job.input);
        let out = core::handle(state, job.input, now, rng);
        tracing::debug!(community = state.community.id.as_str(), input = kind, effects = out.len(), "applied");
        effects.extend(out);
        dirty.merge(state.take_dirty());
        acks.extend(job.done);
    }
    if let Err(e) = store.commit(state, &dirty, &events, now).await {
        error!(community = state.community.id.as_str(), error = %e, "commit failed; keeping the last committed state");
        reload(engine, state, rng).await;
        let reason = e.to_string();
        for ack in acks {
            let _ = ack.send(Err(EngineError::NotSaved(reason.clone())));
        }
        return;
    }
    for effect in effects {
        deliver(engine, &state.community.id, effect).await;
    }
    for ack in acks {
        let _ = ack.send(Ok(()));
    }
}

/// Throws away uncommitted changes by reloading from the store, then re-arms its timers.
/// If the store can't be read either (still locked, say), it keeps trying: carrying on
/// with changes that were never saved would let memory and database drift apart.
async fn reload(engine: &Engine, state: &mut State, rng: &mut SplitMix64) {
    let mut wait = std::time::Duration::from_millis(100);
    loop {
        match load_or_create(engine, &state.community.id).await {
            Ok((fresh, _)) => {
                *state = fresh;
                break;
            }
            Err(e) => {
                error!(community = state.community.id.as_str(), error = %e, retry_ms = wait.as_millis() as u64, "reload after a failed commit failed; retrying");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(std::time::Duration::from_secs(30));
            }
        }
    }
    let now = engine.inner.clock.now();
    for effect in core::handle(state, Input::Recover, now, rng) {
        if let Effect::Schedule { key, at, generation } = effect {
            engine.arm(&state.community.id, key, at, generation);
        }
    }
    state.take_dirty();
}

async fn deliver(engine: &Engine, community: &CommunityId, effect: Effect) {
    let delivery = match effect {
        Effect::Schedule { key, at, generation } => {
            engine.arm(community, key, at, generation);
            return;
        }
        Effect::ExportData { to } => match engine.inner.store.export_member(community, &to).await {
            Ok(json) => {
                let mut message = Message::new(Kind::Data, vec![Line::new("my-data-intro")]);
                let content = serde_json::to_string_pretty(&json).unwrap_or_default();
                message.attachment = Some(Attachment { filename: "attune-my-data.json".into(), content });
                Delivery::Whisper { to, message }
            }
            Err(e) => {
                error!(community = community.as_str(), error = %e, "my-data export failed");
                Delivery::Whisper { to, message: Message::new(Kind::Refusal, vec![Line::new("store-unavailable")]) }
            }
        },
        Effect::Say { channel, message } => Delivery::Say { channel, message },
        Effect::Whisper { to, message } => Delivery::Whisper { to, message },
        Effect::Floor { channel, speaker, hosts } => Delivery::Floor { channel, speaker, hosts },
        Effect::OpenSupport { member, display } => Delivery::OpenSupport { member, display },
    };
    if engine.inner.out.send(Outgoing { community: community.clone(), delivery }).is_err() {
        warn!(community = community.as_str(), "no adapter is listening; a delivery was dropped");
    }
}
