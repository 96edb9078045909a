//! Time arithmetic for the core and the engine. Every operation saturates at
//! the edge of representable time: no overflow, no panic, no endless loop.

use jiff::{SignedDuration, Timestamp};

/// Seconds from `now` until `t`, never negative.
pub fn secs_until(now: Timestamp, t: Timestamp) -> i64 {
    t.as_second().saturating_sub(now.as_second()).max(0)
}

/// `t + secs`, saturating at the edge of representable time.
pub fn plus(t: Timestamp, secs: i64) -> Timestamp {
    saturating(t, SignedDuration::from_secs(secs))
}

/// `t + ms` milliseconds, saturating.
pub fn plus_millis(t: Timestamp, ms: i64) -> Timestamp {
    saturating(t, SignedDuration::from_millis(ms))
}

fn saturating(t: Timestamp, d: SignedDuration) -> Timestamp {
    t.checked_add(d).unwrap_or(if d.is_negative() { Timestamp::MIN } else { Timestamp::MAX })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates_at_both_ends() {
        let t: Timestamp = "2026-01-05T18:00:00Z".parse().unwrap_or(Timestamp::UNIX_EPOCH);
        assert_eq!(plus(t, i64::MAX), Timestamp::MAX);
        assert_eq!(plus(t, i64::MIN), Timestamp::MIN);
        assert_eq!(plus_millis(t, 1500).as_millisecond(), t.as_millisecond() + 1500);
        assert_eq!(secs_until(Timestamp::MAX, Timestamp::MIN), 0);
        assert_eq!(secs_until(Timestamp::MIN, Timestamp::MAX), Timestamp::MAX.as_second() - Timestamp::MIN.as_second());
    }
}
