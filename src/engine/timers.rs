//! One timer mechanism for every circle and daily reminder: a min-heap of
//! deadlines plus the current (deadline, generation) per key. Re-arming a key
//! leaves the old heap entry behind; it is skipped when popped. Cheap enough
//! for tens of thousands of live circles (see BENCHMARKS.md).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Mutex;

use jiff::Timestamp;
use tokio::sync::Notify;

use super::Engine;
use crate::core::ids::CommunityId;
use crate::core::input::{Input, TimerKey};

type Key = (CommunityId, TimerKey);

#[derive(Default)]
struct Inner {
    heap: BinaryHeap<Reverse<(Timestamp, u64, Key)>>,
    current: HashMap<Key, (Timestamp, u64)>,
}

#[derive(Default)]
pub struct Timers {
    inner: Mutex<Inner>,
    changed: Notify,
}

impl Timers {
    pub fn arm(&self, community: CommunityId, key: TimerKey, at: Timestamp, generation: u64) {
        let Ok(mut t) = self.inner.lock() else { return };
        let k = (community, key);
        t.current.insert(k.clone(), (at, generation));
        t.heap.push(Reverse((at, generation, k)));
        drop(t);
        self.changed.notify_one();
    }

    pub fn len(&self) -> usize {
        self.inner.lock().map(|t| t.current.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn next_at(&self) -> Option<Timestamp> {
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
/// each due timer to its community's actor.
pub async fn drive(engine: Engine) {
    let timers = &engine.inner.timers;
    loop {
        let wait = timers.next_at().map(|at| {
            let ms = at.as_millisecond() - engine.inner.clock.now().as_millisecond();
            std::time::Duration::from_millis(ms.max(0) as u64)
        });
        let notified = timers.changed.notified();
        match wait {
            Some(d) if d.is_zero() => {}
            Some(d) => {
                tokio::select! {
                    _ = notified => continue,
                    _ = tokio::time::sleep(d) => {}
                }
            }
            None => {
                notified.await;
                continue;
            }
        }
        let now = engine.inner.clock.now();
        while let Some((due, community, key, generation)) = timers.pop_due_before(now) {
            if engine.post(&community, Input::TimerFired { key, generation }, due).await.is_err() {
                return;
            }
        }
    }
}
