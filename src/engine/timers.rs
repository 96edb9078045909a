//! One timer mechanism for every circle and daily reminder: a min-heap of
//! deadlines plus the current (deadline, generation) per key. Re-arming a key
//! leaves the old heap entry behind; it is skipped when popped. Cheap enough
//! for tens of thousands of live circles (see BENCHMARKS.md).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};

use jiff::Timestamp;
use tokio::sync::Notify;

use super::Engine;
use crate::core::ids::{CommunityId, Platform};
use crate::core::input::TimerKey;

type Key = (CommunityId, TimerKey);

#[derive(Default)]
struct Inner {
    heap: BinaryHeap<Reverse<(Timestamp, u64, Key)>>,
    current: HashMap<Key, (Timestamp, u64)>,
    /// Platforms whose timers wait: after a restart, until their circles have
    /// been told where they stand (`engine::Resumed`), so that "I'm back" comes
    /// before whatever a timer due meanwhile says.
    held: HashSet<Platform>,
    /// Timers that came due on a held platform. They stay in `current` (still
    /// armed); one re-armed meanwhile is stale and dropped on release.
    parked: Vec<(Timestamp, u64, Key)>,
    /// Communities already told, whose timers run though their platform is still held.
    freed: HashSet<CommunityId>,
}

#[derive(Default)]
pub struct Timers {
    inner: Mutex<Inner>,
    changed: Arc<Notify>,
    released: Notify,
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

    /// Pops the earliest live timer due at or before `limit`. One whose platform
    /// is held is parked instead, until [`Timers::release`].
    pub fn pop_due_before(&self, limit: Timestamp) -> Option<(Timestamp, CommunityId, TimerKey, u64)> {
        let mut t = self.inner.lock().ok()?;
        loop {
            Self::drop_stale(&mut t);
            let Reverse((at, _, _)) = t.heap.peek()?;
            if *at > limit {
                return None;
            }
            let Reverse((at, generation, k)) = t.heap.pop()?;
            if t.held.contains(&k.0.platform()) && !t.freed.contains(&k.0) {
                t.parked.push((at, generation, k));
                continue;
            }
            t.current.remove(&k);
            return Some((at, k.0, k.1, generation));
        }
    }

    /// Holds these platforms' timers (see `Inner::held`).
    pub fn hold(&self, platforms: &[Platform]) {
        if let Ok(mut t) = self.inner.lock() {
            t.held.extend(platforms.iter().copied());
        }
    }

    /// Whether any platform's timers are held.
    pub fn holding(&self) -> bool {
        self.inner.lock().map(|t| !t.held.is_empty()).unwrap_or(false)
    }

    /// Lets a platform's timers run again; those that came due meanwhile fire now,
    /// in the order they came due.
    pub fn release(&self, platform: Platform) {
        let Ok(mut t) = self.inner.lock() else { return };
        if !t.held.remove(&platform) {
            return;
        }
        t.freed.retain(|c| c.platform() != platform);
        Self::unpark(&mut t, |c| c.platform() == platform);
        drop(t);
        self.changed.notify_one();
        self.released.notify_waiters();
    }

    /// Lets one community's timers run while its platform is still held.
    pub fn free(&self, community: &CommunityId) {
        let Ok(mut t) = self.inner.lock() else { return };
        if !t.held.contains(&community.platform()) || !t.freed.insert(community.clone()) {
            return;
        }
        Self::unpark(&mut t, |c| c == community);
        drop(t);
        self.changed.notify_one();
    }

    /// Puts the parked timers of the communities `which` picks back in the heap
    /// (those re-armed meanwhile are stale and dropped).
    fn unpark(t: &mut Inner, which: impl Fn(&CommunityId) -> bool) {
        let parked = std::mem::take(&mut t.parked);
        for (at, generation, k) in parked {
            if !which(&k.0) {
                t.parked.push((at, generation, k));
            } else if t.current.get(&k) == Some(&(at, generation)) {
                t.heap.push(Reverse((at, generation, k)));
            }
        }
    }

    /// Waits until no platform's timers are held.
    pub async fn unheld(&self) {
        loop {
            let released = self.released.notified();
            if !self.holding() {
                return;
            }
            released.await;
        }
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

#[cfg(test)]
mod tests {
    use super::Timers;
    use crate::core::ids::{CommunityId, Platform};
    use crate::core::input::TimerKey;
    use jiff::Timestamp;

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    fn community(platform: Platform) -> CommunityId {
        CommunityId::parse(platform, "c").unwrap_or_else(|_| unreachable!("a well-formed id"))
    }

    #[test]
    fn a_held_platforms_due_timers_wait_until_it_is_released_and_others_run() {
        let timers = Timers::default();
        timers.hold(&[Platform::Matrix, Platform::Discord]);
        timers.arm(community(Platform::Matrix), TimerKey::Purge, at(1), 1);
        timers.arm(community(Platform::Matrix), TimerKey::Circle(crate::core::ids::CircleId(7)), at(2), 3);
        timers.arm(community(Platform::Console), TimerKey::Purge, at(3), 1);
        assert_eq!(timers.pop_due_before(at(10)).map(|t| t.1), Some(community(Platform::Console)), "an unheld platform runs");
        assert_eq!(timers.pop_due_before(at(10)), None, "a held one's timers are parked");
        assert_eq!(timers.len(), 2, "parked timers are still armed");
        timers.release(Platform::Discord);
        assert_eq!(timers.pop_due_before(at(10)), None, "releasing another platform frees nothing");
        timers.release(Platform::Matrix);
        let fired: Vec<_> = std::iter::from_fn(|| timers.pop_due_before(at(10))).map(|t| (t.0, t.2, t.3)).collect();
        assert_eq!(
            fired,
            vec![(at(1), TimerKey::Purge, 1), (at(2), TimerKey::Circle(crate::core::ids::CircleId(7)), 3)],
            "released, they fire in order"
        );
        assert!(!timers.holding());
    }

    #[test]
    fn a_community_freed_runs_while_the_rest_of_its_platform_waits() {
        let timers = Timers::default();
        timers.hold(&[Platform::Discord]);
        let (a, b) = (
            CommunityId::parse(Platform::Discord, "1").unwrap_or_else(|_| unreachable!("a well-formed id")),
            CommunityId::parse(Platform::Discord, "2").unwrap_or_else(|_| unreachable!("a well-formed id")),
        );
        timers.arm(a.clone(), TimerKey::Purge, at(1), 1);
        timers.arm(b.clone(), TimerKey::Purge, at(2), 1);
        assert_eq!(timers.pop_due_before(at(10)), None);
        timers.free(&a);
        assert_eq!(timers.pop_due_before(at(10)).map(|t| t.1), Some(a.clone()), "a told community's timer fires");
        assert_eq!(timers.pop_due_before(at(10)), None, "the other still waits");
        timers.arm(a.clone(), TimerKey::Purge, at(3), 2);
        assert_eq!(timers.pop_due_before(at(10)).map(|t| t.3), Some(2), "and the freed one goes on running");
        timers.release(Platform::Discord);
        assert_eq!(timers.pop_due_before(at(10)).map(|t| t.1), Some(b));
    }

    #[test]
    fn a_parked_timer_rearmed_meanwhile_fires_once_as_rearmed() {
        let timers = Timers::default();
        timers.hold(&[Platform::Matrix]);
        timers.arm(community(Platform::Matrix), TimerKey::Circle(crate::core::ids::CircleId(1)), at(1), 1);
        assert_eq!(timers.pop_due_before(at(5)), None);
        // An input re-armed the circle's timer while it was parked.
        timers.arm(community(Platform::Matrix), TimerKey::Circle(crate::core::ids::CircleId(1)), at(4), 2);
        timers.release(Platform::Matrix);
        let fired: Vec<_> = std::iter::from_fn(|| timers.pop_due_before(at(10))).map(|t| (t.0, t.3)).collect();
        assert_eq!(fired, vec![(at(4), 2)], "the stale parked one is dropped");
    }
}
