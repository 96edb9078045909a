//! What attune measures about itself, through the `metrics` facade: the
//! engine records here, adapters record their platform's own figures here,
//! and the operations listener (`crate::ops`) exports them for Prometheus.
//! Without an installed recorder (no `[server] listen`) every call is a no-op.
//!
//! No label ever carries a member, a name or any text: labels are input
//! kinds, outcomes, circle states, platforms and failure reasons, each from a
//! short fixed list.

use std::sync::atomic::{AtomicI64, Ordering};

use crate::core::circle::{Circle, Phase};
use crate::core::ids::Platform;

/// Inputs applied, by `kind` (command, chat, timer, …) and `outcome`
/// (applied, replayed, not_saved, refused_store).
pub const INPUTS: &str = "attune_inputs_total";
/// Seconds from an input reaching the engine to its answer being handed on.
pub const ANSWER_SECONDS: &str = "attune_input_answer_seconds";
/// Circles by `state`: live (gathering now, or under way) or scheduled.
pub const CIRCLES: &str = "attune_circles";
/// Timers armed now.
pub const TIMERS_ARMED: &str = "attune_timers_armed";
/// Seconds a due timer waited before its community applied it.
pub const TIMER_LATENESS_SECONDS: &str = "attune_timer_lateness_seconds";
/// Transactions, by `outcome` (ok, failed).
pub const COMMITS: &str = "attune_commits_total";
/// Seconds a transaction took.
pub const COMMIT_SECONDS: &str = "attune_commit_seconds";
/// Deliveries a platform could not make, by `platform` and `reason`
/// (private_closed, gone, platform).
pub const DELIVERIES_FAILED: &str = "attune_deliveries_failed_total";
/// Communities the engine stopped serving after repeated failures.
pub const QUARANTINED: &str = "attune_quarantined_communities";
/// 1 while a platform is connected, by `platform`.
pub const CONNECTED: &str = "attune_platform_connected";
/// Seconds from a Discord interaction arriving to its acknowledgement.
pub const DISCORD_ACK_SECONDS: &str = "attune_discord_ack_seconds";
/// Seconds from a Matrix event being sent (its `origin_server_ts`) to attune handling it.
pub const MATRIX_LAG_SECONDS: &str = "attune_matrix_event_lag_seconds";
/// Failed Matrix syncs, each followed by a wait before the next try.
pub const MATRIX_SYNC_RETRIES: &str = "attune_matrix_sync_retries_total";
/// Matrix requests the homeserver rate-limited (429, `M_LIMIT_EXCEEDED`).
pub const MATRIX_RATE_LIMITED: &str = "attune_matrix_rate_limited_total";

/// Says what each metric means (the `# HELP` line), once at start.
pub fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(INPUTS, "Inputs the engine applied, by kind and outcome.");
    describe_histogram!(ANSWER_SECONDS, Unit::Seconds, "Time from an input reaching the engine to its answer being handed on.");
    describe_gauge!(CIRCLES, "Circles by state: live (gathering or under way) or scheduled.");
    describe_gauge!(TIMERS_ARMED, "Timers armed now.");
    describe_histogram!(TIMER_LATENESS_SECONDS, Unit::Seconds, "How late a due timer was applied.");
    describe_counter!(COMMITS, "Database transactions, by outcome.");
    describe_histogram!(COMMIT_SECONDS, Unit::Seconds, "How long a database transaction took.");
    describe_counter!(DELIVERIES_FAILED, "Deliveries a platform could not make, by platform and reason.");
    describe_gauge!(QUARANTINED, "Communities stopped after repeated failures (attune doctor names them).");
    describe_gauge!(CONNECTED, "1 while the platform is connected, 0 while it is not.");
    describe_histogram!(DISCORD_ACK_SECONDS, Unit::Seconds, "Time from a Discord interaction arriving to its acknowledgement.");
    describe_histogram!(MATRIX_LAG_SECONDS, Unit::Seconds, "Time from a Matrix event being sent to attune handling it.");
    describe_counter!(MATRIX_SYNC_RETRIES, "Matrix syncs that failed and were tried again after a wait.");
    describe_counter!(MATRIX_RATE_LIMITED, "Matrix requests the homeserver rate-limited.");
}

/// A platform connected (or not).
pub fn connected(p: Platform, yes: bool) {
    metrics::gauge!(CONNECTED, "platform" => p.as_str()).set(if yes { 1.0 } else { 0.0 });
}

/// How many circles a community has live and scheduled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct CircleCounts {
    live: i64,
    scheduled: i64,
}

/// What a circle counts as in the circle gauges (an ended one counts as nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Counted {
    Live,
    Scheduled,
}

impl Counted {
    pub(crate) fn of(c: &Circle) -> Option<Self> {
        match c.phase {
            Phase::Ended | Phase::Cancelled => None,
            Phase::Gathering if c.scheduled_for.is_some() => Some(Self::Scheduled),
            _ => Some(Self::Live),
        }
    }
}

impl CircleCounts {
    #[cfg(test)]
    pub(crate) fn of(state: &crate::core::state::State) -> Self {
        let mut counts = Self::default();
        for c in state.circles.values() {
            counts.add(Counted::of(c), 1);
        }
        counts
    }

    /// Adds `by` circles of a kind (or takes them away, with a negative `by`).
    pub(crate) fn add(&mut self, kind: Option<Counted>, by: i64) {
        match kind {
            Some(Counted::Live) => self.live += by,
            Some(Counted::Scheduled) => self.scheduled += by,
            None => {}
        }
    }

    /// Moves the gauges (and the engine's own tally) from `before` to `self`: each
    /// community adds its own share; `CircleCounts::default().report_since(share, tally)`
    /// takes it away again.
    pub(crate) fn report_since(self, before: Self, tally: &Tally) {
        tally.live.fetch_add(self.live - before.live, Ordering::Relaxed);
        tally.scheduled.fetch_add(self.scheduled - before.scheduled, Ordering::Relaxed);
        if self.live != before.live {
            metrics::gauge!(CIRCLES, "state" => "live").increment((self.live - before.live) as f64);
        }
        if self.scheduled != before.scheduled {
            metrics::gauge!(CIRCLES, "state" => "scheduled").increment((self.scheduled - before.scheduled) as f64);
        }
    }
}

/// The engine's own count of live and scheduled circles (for the start and
/// stop summaries in the log), kept whether or not metrics are exported.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    live: AtomicI64,
    scheduled: AtomicI64,
}

impl Tally {
    /// Live and scheduled circles now.
    pub(crate) fn counts(&self) -> (i64, i64) {
        (self.live.load(Ordering::Relaxed), self.scheduled.load(Ordering::Relaxed))
    }
}
