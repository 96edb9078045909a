//! Adapters: they translate platform events into `Input`s and carry out
//! `Delivery`s. They never decide. The Discord adapter is built with the `discord` feature, the Matrix adapter with `matrix`.

pub mod console;
#[cfg(feature = "discord")]
pub mod discord;
#[cfg(feature = "matrix")]
pub mod matrix;

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

/// Serves an adapter's outlet (what timers and other members' inputs caused)
/// until told to stop, then carries out what is still queued, in order.
#[cfg(any(feature = "discord", feature = "matrix"))]
pub(crate) async fn serve_outlet<F, Fut>(
    mut outlet: tokio::sync::mpsc::Receiver<crate::engine::Outgoing>,
    stop: std::sync::Arc<tokio::sync::Notify>,
    mut deliver: F,
) where
    F: FnMut(crate::engine::Outgoing) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    loop {
        tokio::select! {
            Some(out) = outlet.recv() => deliver(out).await,
            () = stop.notified() => break,
            else => break,
        }
    }
    while let Ok(out) = outlet.try_recv() {
        deliver(out).await;
    }
}

#[cfg(all(test, any(feature = "discord", feature = "matrix")))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::FloorOrder;
    use crate::core::ids::{ChannelId, Platform};

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
