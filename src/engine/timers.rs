//! One timer mechanism for every circle and daily reminder: a min-heap of
//! deadlines plus the current (deadline, generation) per key. Re-arming a key
//! leaves the old heap entry behind; it is skipped when popped. Cheap enough
//! for tens of thousands of live circles (see BENCHMARKS.md).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};

use jiff::Timestamp;
use tokio::sync::Notify;

use super::Engine;
use crate::core::ids::CommunityId;
use crate::core::input::TimerKey;

type Key = (CommunityId, TimerKey);

#[derive(Default)]
struct Inner {
    heap: BinaryHeap<Reverse<(Timestamp, u64, Key)>>,
    current: HashMap<Key, (Timestamp, u64)>,
}

#[derive(Default)]
pub struct Timers {
    inner: Mutex<Inner>,
    changed: Arc<Notify>,
    stopped: AtomicBool,
    /// When the system-clock driver last went round its loop (at least once a
    /// second while it runs): the engine's sign of life for `/healthz`.
    beat: Mutex<Option<std::time::Instant>>,
}

/// The longest the driver sleeps, so its heartbeat stays fresh.
const BEAT: std::time::Duration = std::time::Duration::from_secs(1);

impl Timers {
    pub fn arm(&self, community: CommunityId, key: TimerKey, at: Timestamp, generation: u64) {
        let Ok(mut t) = self.inner.lock() else { return };
        let k = (community, key);
        t.current.insert(k.clone(), (at, generation));
        t.heap.push(Reverse((at, generation, k)));
        drop(t);
        self.changed.notify_one();
    }

    /// Ends the system-clock driver (on shutdown).
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        self.changed.notify_one();
    }

    fn stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// How long ago the driver last went round (`None` before it first has).
    pub fn since_beat(&self) -> Option<std::time::Duration> {
        self.beat.lock().ok().and_then(|b| b.map(|at| at.elapsed()))
    }

    fn beat(&self) {
        if let Ok(mut b) = self.beat.lock() {
            *b = Some(std::time::Instant::now());
        }
    }

    pub fn len(&self) -> usize {
        self.inner.lock().map(|t| t.current.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The deadline and generation armed for a key, if any.
    pub fn get(&self, community: &CommunityId, key: &TimerKey) -> Option<(Timestamp, u64)> {
        let t = self.inner.lock().ok()?;
        t.current.get(&(community.clone(), key.clone())).copied()
    }

    /// When the earliest armed timer is due.
    pub fn next_at(&self) -> Option<Timestamp> {
        let mut t = self.inner.lock().ok()?;
        Self::drop_stale(&mut t);
        t.heap.peek().map(|Reverse((at, _, _))| *at)
    }

    fn drop_stale(t: &mut Inner) {
        while let Some(Reverse((at, generation, k))) = t.heap.peek() {
            if t.current.get(k) == Some(&(*at, *generation)) {
                break;
            }
            t.heap.pop();
        }
    }

    /// Pops the earliest live timer due at or before `limit`.
    pub fn pop_due_before(&self, limit: Timestamp) -> Option<(Timestamp, CommunityId, TimerKey, u64)> {
        let mut t = self.inner.lock().ok()?;
        Self::drop_stale(&mut t);
        let Reverse((at, _, _)) = t.heap.peek()?;
        if *at > limit {
            return None;
        }
        let Reverse((at, generation, k)) = t.heap.pop()?;
        t.current.remove(&k);
        Some((at, k.0, k.1, generation))
    }
}

/// The system-clock driver: sleeps until the earliest deadline, then posts
/// each due timer to its community's actor. A community that can't take its
/// timer (quarantined, stopping) is logged and skipped; the driver goes on
/// for everyone else. It ends when the engine is dropped or shut down.
pub async fn drive(weak: Weak<super::Inner>) {
    loop {
        let Some(engine) = Engine::from_weak(&weak) else { return };
        let timers = &engine.inner.timers;
        if timers.stopped() {
            return;
        }
        timers.beat();
        metrics::gauge!(super::telemetry::TIMERS_ARMED).set(timers.len() as f64);
        let wait = timers.next_at().map(|at| {
            let ms = at.as_millisecond() - engine.inner.clock.now().as_millisecond();
            std::time::Duration::from_millis(ms.max(0) as u64)
        });
        // Sleep on a notification without keeping the engine alive.
        let changed = timers.changed.clone();
        drop(engine);
        let notified = changed.notified();
        match wait {
            Some(d) if d.is_zero() => {}
            Some(d) if d <= BEAT => {
                tokio::select! {
                    _ = notified => continue,
                    _ = tokio::time::sleep(d) => {}
                }
            }
            // Nothing due within a beat: wake now and then to beat and to notice a dropped engine.
            _ => {
                tokio::select! {
                    _ = notified => continue,
                    _ = tokio::time::sleep(BEAT) => continue,
                }
            }
        }
        let Some(engine) = Engine::from_weak(&weak) else { return };
        let now = engine.inner.clock.now();
        while let Some((due, community, key, generation)) = engine.inner.timers.pop_due_before(now) {
            if let Err(e) = engine.post_timer(&community, key, generation, due) {
                tracing::error!(community = %community, error = %e, "a due timer could not be handed to its community; the others go on");
            }
        }
    }
}
