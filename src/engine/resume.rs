//! What a restart tells running circles, made once their platform is connected.
//!
//! A start re-arms every timer at once but says nothing yet. Each adapter,
//! once it can send, calls [`Resumed::announce`]: the engine asks each
//! community's core, a batch of circles at a time, to tell its circles where
//! they stand now (and to hold a floor again), and hands each delivery to the
//! adapter as it is made. So a restart with 100,000 live circles never holds
//! 100,000 notes at once, and a note describes the circle as it is when sent,
//! not as it was when the process started.
//!
//! Until a platform's circles have been told, that platform's timers wait (a
//! turn that ran out while attune was down ends right after "I'm back", never
//! before it). Dropping a `Resumed` releases them without telling anyone (a
//! platform that isn't served, a CLI tool).

use std::future::Future;
use std::sync::Weak;

use super::{Engine, EngineError, Outgoing};
use crate::core::ids::{CircleId, CommunityId, Platform};
use crate::core::input::Input;

/// How many circles one community's core is asked about at a time.
const BATCH: usize = 256;

/// The circles a restart found running, per community, still to be told where
/// they stand; and the platforms whose timers wait until they are.
#[must_use = "dropping it releases the timers without telling any circle that attune is back"]
pub struct Resumed {
    engine: Weak<super::Inner>,
    circles: Vec<(CommunityId, Vec<CircleId>)>,
    held: Vec<Platform>,
}

impl Resumed {
    pub(super) fn new(engine: Weak<super::Inner>, held: Vec<Platform>) -> Self {
        Self { engine, circles: Vec::new(), held }
    }

    pub(super) fn add(&mut self, community: CommunityId, circles: Vec<CircleId>) {
        if !circles.is_empty() {
            self.circles.push((community, circles));
        }
    }

    /// How many circles are still to be told.
    pub fn len(&self) -> usize {
        self.circles.iter().map(|(_, c)| c.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.circles.is_empty()
    }

    /// Takes out one platform's share (its circles and its held timers), for
    /// that platform's adapter.
    pub fn take(&mut self, platform: Platform) -> Resumed {
        let (mine, rest) = std::mem::take(&mut self.circles).into_iter().partition(|(c, _)| c.platform() == platform);
        self.circles = rest;
        let held = if self.held.contains(&platform) { vec![platform] } else { Vec::new() };
        self.held.retain(|p| *p != platform);
        Resumed { engine: self.engine.clone(), circles: mine, held }
    }

    /// Tells each circle, if it still runs, where it stands now and holds its
    /// floor again, handing every delivery to `deliver` in order as it is made;
    /// then lets the timers go. A community that can't answer is logged and skipped.
    pub async fn announce<F, Fut>(self, deliver: F)
    where
        F: FnMut(Outgoing) -> Fut,
        Fut: Future<Output = ()>,
    {
        self.tell(true, true, deliver).await;
    }

    /// Only holds the running circles' floors again (for an adapter that answers
    /// what came while attune was down before it says it is back); the notes
    /// come from [`Resumed::notes`], and the timers wait until then.
    pub async fn floors<F, Fut>(&self, deliver: F)
    where
        F: FnMut(Outgoing) -> Fut,
        Fut: Future<Output = ()>,
    {
        self.tell(true, false, deliver).await;
    }

    /// The notes alone, after [`Resumed::floors`]; then lets the timers go.
    pub async fn notes<F, Fut>(self, deliver: F)
    where
        F: FnMut(Outgoing) -> Fut,
        Fut: Future<Output = ()>,
    {
        self.tell(false, true, deliver).await;
    }

    async fn tell<F, Fut>(&self, floors: bool, notes: bool, mut deliver: F)
    where
        F: FnMut(Outgoing) -> Fut,
        Fut: Future<Output = ()>,
    {
        for (community, ids) in &self.circles {
            'batches: for batch in ids.chunks(BATCH) {
                // Not kept across the hand-off, so a slow adapter never keeps a stopped engine alive.
                let Some(engine) = Engine::from_weak(&self.engine) else { return };
                let input = Input::Announce { circles: batch.to_vec(), floors, notes };
                let answer = engine.apply(community, input, None, true).await;
                drop(engine);
                match answer {
                    Ok(answer) => {
                        for delivery in answer.deliveries {
                            deliver(Outgoing { community: community.clone(), delivery }).await;
                        }
                    }
                    // Stopping: nothing more is told.
                    Err(EngineError::ShuttingDown | EngineError::Stopped) => return,
                    Err(e @ EngineError::Quarantined) => {
                        tracing::error!(community = %community, error = %e, "could not tell a community's circles that attune is back; the others go on");
                        break 'batches;
                    }
                    // A batch that failed (another input's commit in the same round, say) costs
                    // only its own circles their note.
                    Err(e) => {
                        tracing::error!(community = %community, error = %e, "could not tell some of a community's circles that attune is back; the rest go on");
                    }
                }
            }
            if notes && let Some(engine) = Engine::from_weak(&self.engine) {
                // Told: this community's timers run from now, before the rest are told.
                engine.inner.timers.free(community);
            }
        }
    }

    /// Everything [`Resumed::announce`] would deliver, in a list (for tests and tools).
    pub async fn collect(self) -> Vec<Outgoing> {
        let mut all = Vec::new();
        self.announce(|out| {
            all.push(out);
            std::future::ready(())
        })
        .await;
        all
    }
}

impl Drop for Resumed {
    fn drop(&mut self) {
        if let Some(engine) = Engine::from_weak(&self.engine) {
            for platform in self.held.drain(..) {
                engine.inner.timers.release(platform);
            }
        }
    }
}

impl std::fmt::Debug for Resumed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resumed").field("circles", &self.len()).field("held", &self.held).finish()
    }
}
