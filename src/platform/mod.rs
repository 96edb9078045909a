//! Adapters: they translate platform events into `Input`s and carry out
//! `Delivery`s. They never decide. The Discord adapter is built with the `discord` feature, the Matrix adapter with `matrix`.

pub mod console;
#[cfg(feature = "discord")]
pub mod discord;
#[cfg(feature = "matrix")]
pub mod matrix;

/// Library log targets that are noise for an operator, or could print what people
/// wrote, with the level each is held to unless `[log] level` names it (see
/// `config::Log::filter`): each adapter names its own library's.
pub fn quiet_logs() -> Vec<(&'static str, &'static str)> {
    #[allow(unused_mut)]
    let mut quiet = Vec::new();
    #[cfg(feature = "discord")]
    quiet.extend(discord::QUIET_LOGS);
    #[cfg(feature = "matrix")]
    quiet.extend(matrix::QUIET_LOGS);
    quiet
}

use crate::exit::Exit;

/// A platform can't go on: what happened, what the operator can do, and how
/// attune ends (`attune run` stops every adapter in order, says `what` and
/// `fix` in one line, and exits with `exit`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{what}; {fix}")]
pub struct Fatal {
    pub what: String,
    pub fix: String,
    pub exit: Exit,
    /// The platform mended it itself (signed in again): `attune run` stops in
    /// order and starts again in the same process, instead of ending.
    pub start_again: bool,
}

impl Fatal {
    /// Only the operator can mend it (exit 78).
    pub fn needs_operator(what: impl Into<String>, fix: impl Into<String>) -> Self {
        Self { what: what.into(), fix: fix.into(), exit: Exit::NeedsOperator, start_again: false }
    }

    /// A fresh start may mend it (exit 75).
    pub fn restart(what: impl Into<String>, fix: impl Into<String>) -> Self {
        Self { what: what.into(), fix: fix.into(), exit: Exit::Restart, start_again: false }
    }

    /// The platform mended it and needs a fresh start, which `attune run` makes
    /// in the same process (exit 75 only if it keeps happening).
    pub fn start_again(what: impl Into<String>, fix: impl Into<String>) -> Self {
        Self { start_again: true, ..Self::restart(what, fix) }
    }
}

/// Whether a platform is connected now: set by its adapter, read by
/// `/readyz` and exported as `attune_platform_connected`.
#[derive(Clone, Debug)]
pub struct Link {
    platform: crate::core::ids::Platform,
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Link {
    /// A link that is not up yet.
    pub fn new(platform: crate::core::ids::Platform) -> Self {
        crate::engine::telemetry::connected(platform, false);
        Self { platform, up: std::sync::Arc::default() }
    }

    /// Notes the platform connected or not; a change is logged once.
    pub fn set(&self, up: bool) {
        let was = self.up.swap(up, std::sync::atomic::Ordering::SeqCst);
        if was != up {
            crate::engine::telemetry::connected(self.platform, up);
            if up {
                tracing::info!(platform = self.platform.as_str(), "connected");
            } else {
                tracing::warn!(platform = self.platform.as_str(), "not connected; trying again");
            }
        }
    }

    pub fn up(&self) -> bool {
        self.up.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn platform(&self) -> crate::core::ids::Platform {
        self.platform
    }
}

/// Where a running adapter raises a [`Fatal`]; whoever runs it waits on
/// [`Alarm::raised`] beside the stop signal. The first alarm is kept.
#[derive(Clone, Debug)]
pub struct Alarm(std::sync::Arc<tokio::sync::watch::Sender<Option<Fatal>>>);

impl Default for Alarm {
    fn default() -> Self {
        Self(std::sync::Arc::new(tokio::sync::watch::Sender::new(None)))
    }
}

impl Alarm {
    /// Raises the alarm unless one is raised already.
    pub fn raise(&self, fatal: Fatal) {
        tracing::error!(what = %fatal.what, exit = fatal.exit.code(), "a platform can't go on");
        self.0.send_if_modified(|current| {
            if current.is_some() {
                return false;
            }
            *current = Some(fatal);
            true
        });
    }

    /// The alarm, once raised (at once if it already was).
    pub async fn raised(&self) -> Fatal {
        let mut rx = self.0.subscribe();
        loop {
            if let Some(f) = rx.borrow_and_update().clone() {
                return f;
            }
            if rx.changed().await.is_err() {
                // The sender lives in self, so this can't happen; wait forever rather than spin.
                std::future::pending::<()>().await;
            }
        }
    }

    /// The alarm if raised, without waiting.
    pub fn current(&self) -> Option<Fatal> {
        self.0.borrow().clone()
    }
}

/// The newest floor change each channel has seen. A floor change can reach an
/// adapter late (a turn's hold by the outlet, after the answer to a host's
/// `circle end` released the floor): carrying it out would leave the place
/// held. Adapters ask under their floor lock, so changes never interleave.
#[cfg(any(feature = "discord", feature = "matrix"))]
#[derive(Default)]
pub(crate) struct FloorOrder(std::sync::Mutex<std::collections::HashMap<crate::core::ids::ChannelId, u64>>);

#[cfg(any(feature = "discord", feature = "matrix"))]
impl FloorOrder {
    /// Whether change `seq` for `channel` is newer than every one carried out
    /// there, recording it if so.
    pub(crate) fn current(&self, channel: &crate::core::ids::ChannelId, seq: u64) -> bool {
        let Ok(mut newest) = self.0.lock() else { return true };
        let last = newest.entry(channel.clone()).or_insert(0);
        if seq < *last {
            return false;
        }
        *last = seq;
        true
    }
}

#[cfg(any(feature = "discord", feature = "matrix"))]
/// Carries out what the engine hands an adapter (timers' turns, other
/// members' inputs), one lane at a time per place: everything for one channel
/// (or one member's private line, or one community's calendar) in order, and
/// lanes side by side, so a place the platform slows down (rate limits, a
/// retry) never holds up another's circle. At most [`LANES`] deliveries run at
/// once, and at most [`QUEUED`] wait; beyond that the engine's outlet waits
/// (backpressure). After `stop`, what is left is carried out before it returns.
pub(crate) async fn serve_outlet<F, Fut>(
    mut outlet: tokio::sync::mpsc::Receiver<crate::engine::Outgoing>,
    stop: std::sync::Arc<tokio::sync::Notify>,
    deliver: F,
) where
    F: Fn(crate::engine::Outgoing) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let deliver = std::sync::Arc::new(deliver);
    let mut lanes = Lanes::default();
    let mut running: tokio::task::JoinSet<String> = tokio::task::JoinSet::new();
    let mut stopping = false;
    loop {
        // Start what can start: each idle lane's next delivery, up to LANES at once.
        while running.len() < LANES {
            let Some((lane, out)) = lanes.next_ready() else { break };
            let deliver = deliver.clone();
            running.spawn(async move {
                // In a task of its own, so a delivery that panics still frees its lane.
                if let Err(e) = tokio::spawn(deliver(out)).await {
                    tracing::error!(error = %e, "a delivery failed");
                }
                lane
            });
        }
        if stopping && running.is_empty() && lanes.is_empty() {
            return;
        }
        let room = lanes.queued < QUEUED;
        tokio::select! {
            out = outlet.recv(), if room && !stopping => match out {
                Some(out) => lanes.push(out),
                None => stopping = true,
            },
            done = running.join_next(), if !running.is_empty() => {
                if let Some(Ok(lane)) = done {
                    lanes.finished(&lane);
                }
            }
            () = stop.notified(), if !stopping => {
                stopping = true;
                while let Ok(out) = outlet.try_recv() {
                    lanes.push(out);
                }
            }
        }
    }
}

#[cfg(any(feature = "discord", feature = "matrix"))]
/// Deliveries running at once across lanes.
const LANES: usize = 16;
#[cfg(any(feature = "discord", feature = "matrix"))]
/// Deliveries waiting across lanes before the outlet is read again.
const QUEUED: usize = 4096;

#[cfg(any(feature = "discord", feature = "matrix"))]
/// The lane of a delivery: its channel, the member its private message is for,
/// or the community's calendar.
fn lane_of(out: &crate::engine::Outgoing) -> String {
    use crate::engine::Delivery as D;
    match &out.delivery {
        D::Say { channel, .. } | D::Floor { channel, .. } | D::Invite { channel, .. } | D::Leave { channel } => {
            format!("c:{}", channel.key())
        }
        D::Whisper { to, .. } | D::OpenSupport { member: to, .. } => format!("m:{}", to.key()),
        D::Listing { .. } => format!("l:{}", out.community.key()),
    }
}

#[cfg(any(feature = "discord", feature = "matrix"))]
/// Queued deliveries per lane, and which lanes have one under way.
#[derive(Default)]
struct Lanes {
    queues: std::collections::HashMap<String, std::collections::VecDeque<crate::engine::Outgoing>>,
    busy: std::collections::HashSet<String>,
    /// Lanes with something queued, oldest first (a lane may appear again once busy).
    order: std::collections::VecDeque<String>,
    queued: usize,
}

#[cfg(any(feature = "discord", feature = "matrix"))]
impl Lanes {
    fn push(&mut self, out: crate::engine::Outgoing) {
        let lane = lane_of(&out);
        let queue = self.queues.entry(lane.clone()).or_default();
        if queue.is_empty() {
            self.order.push_back(lane);
        }
        queue.push_back(out);
        self.queued += 1;
    }

    /// The oldest idle lane's next delivery, marking the lane busy.
    fn next_ready(&mut self) -> Option<(String, crate::engine::Outgoing)> {
        let i = self.order.iter().position(|l| !self.busy.contains(l))?;
        let lane = self.order.remove(i)?;
        let queue = self.queues.get_mut(&lane)?;
        let out = queue.pop_front()?;
        self.queued -= 1;
        if queue.is_empty() {
            self.queues.remove(&lane);
        } else {
            self.order.push_back(lane.clone());
        }
        self.busy.insert(lane.clone());
        Some((lane, out))
    }

    fn finished(&mut self, lane: &str) {
        self.busy.remove(lane);
    }

    fn is_empty(&self) -> bool {
        self.queued == 0
    }
}

#[cfg(all(test, any(feature = "discord", feature = "matrix")))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::FloorOrder;
    use crate::core::ids::{ChannelId, Platform};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_slow_place_holds_up_no_other_and_each_place_keeps_its_order() {
        use crate::core::effect::{Line, Message};
        use crate::core::ids::CommunityId;
        use crate::engine::{Delivery, Outgoing};
        use std::sync::{Arc, Mutex};
        let community = CommunityId::parse(Platform::Discord, "1").unwrap();
        let say = |ch: &str, n: u32| Outgoing {
            community: community.clone(),
            delivery: Delivery::Say {
                channel: ChannelId::parse(Platform::Discord, ch).unwrap(),
                message: Message::info(Line::new("circle-ended").text("n", n.to_string())),
            },
        };
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        let done: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
        let log = done.clone();
        let deliver = move |out: Outgoing| {
            let log = log.clone();
            async move {
                let Delivery::Say { channel, message } = out.delivery else { return };
                if channel.raw() == "100" {
                    // A place the platform slows down (a rate limit).
                    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                }
                let n = format!("{:?}", message.lines[0].args);
                log.lock().unwrap().push((channel.raw().to_owned(), n));
            }
        };
        let stop = Arc::new(tokio::sync::Notify::new());
        let serving = tokio::spawn(super::serve_outlet(rx, stop.clone(), deliver));
        for n in 0..3 {
            tx.send(say("100", n)).await.unwrap();
        }
        for n in 0..5 {
            tx.send(say("200", n)).await.unwrap();
        }
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        {
            let seen = done.lock().unwrap();
            assert_eq!(seen.iter().filter(|(c, _)| c == "200").count(), 5, "the other place went on meanwhile: {seen:?}");
            assert!(seen.iter().all(|(c, _)| c != "100"), "the slow place is still on its first: {seen:?}");
        }
        stop.notify_one();
        serving.await.unwrap();
        let seen = done.lock().unwrap();
        let slow: Vec<&String> = seen.iter().filter(|(c, _)| c == "100").map(|(_, n)| n).collect();
        assert_eq!(slow.len(), 3, "everything queued was carried out before the stop returned");
        let fast: Vec<&String> = seen.iter().filter(|(c, _)| c == "200").map(|(_, n)| n).collect();
        for list in [slow, fast] {
            let mut sorted = list.clone();
            sorted.sort();
            assert_eq!(list, sorted, "each place in its order");
        }
    }

    #[test]
    fn a_floor_change_that_arrives_after_a_newer_one_for_its_channel_is_dropped() {
        let order = FloorOrder::default();
        let (a, b) = (ChannelId::parse(Platform::Discord, "1").unwrap(), ChannelId::parse(Platform::Discord, "2").unwrap());
        assert!(order.current(&a, 5), "the first change for a channel is carried out");
        assert!(!order.current(&a, 4), "a turn's hold numbered before the release that came first is dropped");
        assert!(order.current(&b, 3), "another channel keeps its own order");
        assert!(order.current(&a, 6), "a newer change is carried out");
    }
}

/// Who a member is in a community now, as their platform says: the moderator
/// page asks before it signs someone in and before every page and change, so
/// a moderator who stopped being one is signed out at their next click.
/// `None`: the platform doesn't know them there (any more).
pub trait Vouch: Send + Sync {
    fn actor<'a>(&'a self, community: &'a crate::core::ids::CommunityId, member: &'a crate::core::ids::MemberRef) -> Vouched<'a>;
}

/// What a [`Vouch`] answers, in time.
pub type Vouched<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Option<crate::core::input::Actor>> + Send + 'a>>;

/// Knows nobody: a platform that isn't built in.
pub struct Nobody;

impl Vouch for Nobody {
    fn actor<'a>(&'a self, _community: &'a crate::core::ids::CommunityId, _member: &'a crate::core::ids::MemberRef) -> Vouched<'a> {
        Box::pin(async { None })
    }
}
