//! What attune keeps about a member: consent, preferences and the little it
//! needs to avoid repeating itself. Nothing a member shares or writes back.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::ids::{CircleId, Slug};
use super::template::Mode;

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Member {
    pub display: String,
    pub consent: Option<Consent>,
    pub default_mode: Option<Mode>,
    pub timezone: Option<String>,
    pub quiet: Option<QuietHours>,
    pub daily: Option<Daily>,
    pub daily_generation: u64,
    /// When the next daily card is due, so one missed during downtime still arrives.
    #[serde(default)]
    pub daily_next: Option<Timestamp>,
    /// Ids of recent self-reflection cards, newest last.
    pub recent_cards: Vec<Slug>,
    pub practice: Option<PracticeProgress>,
    /// A join waiting for consent to the current agreements.
    pub pending_join: Option<CircleId>,
    /// The circle whose "did you feel heard?" pulse is open to this member.
    pub pending_pulse: Option<CircleId>,
    pub crisis_checks_off: bool,
    pub last_signpost: Option<Timestamp>,
    /// A requested self-reflection card held back behind its content note until `next`.
    #[serde(default)]
    pub pending_card: Option<Slug>,
    /// Whether the member has been told, once, that messages are checked for crisis phrases.
    #[serde(default)]
    pub checks_told: bool,
    pub forget_requested: bool,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Consent {
    pub version: u32,
    pub at: Timestamp,
}

/// A local clock time.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClockTime {
    pub hour: i8,
    pub minute: i8,
}

impl ClockTime {
    /// Parses `HH:MM` (24-hour).
    pub fn parse(s: &str) -> Option<Self> {
        let (h, m) = s.trim().split_once(':')?;
        if h.is_empty() || h.len() > 2 || m.len() != 2 {
            return None;
        }
        let hour: i8 = h.parse().ok()?;
        let minute: i8 = m.parse().ok()?;
        ((0..24).contains(&hour) && (0..60).contains(&minute)).then_some(Self { hour, minute })
    }
    pub fn minutes(self) -> i32 {
        i32::from(self.hour) * 60 + i32::from(self.minute)
    }
}

impl std::fmt::Display for ClockTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}:{:02}", self.hour, self.minute)
    }
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct QuietHours {
    pub start: ClockTime,
    pub end: ClockTime,
}

impl QuietHours {
    /// Parses `HH:MM-HH:MM`; the range may wrap past midnight.
    pub fn parse(s: &str) -> Option<Self> {
        let (a, b) = s.split_once('-')?;
        let (start, end) = (ClockTime::parse(a)?, ClockTime::parse(b)?);
        (start != end).then_some(Self { start, end })
    }
    pub fn contains(self, t: ClockTime) -> bool {
        let (s, e, x) = (self.start.minutes(), self.end.minutes(), t.minutes());
        if s < e { (s..e).contains(&x) } else { x >= s || x < e }
    }
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Daily {
    pub at: ClockTime,
    pub paused: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct PracticeProgress {
    pub name: Slug,
    pub step: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_hours_can_wrap_past_midnight() {
        let q = QuietHours::parse("22:00-07:00").unwrap();
        assert!(q.contains(ClockTime::parse("23:30").unwrap()));
        assert!(q.contains(ClockTime::parse("06:59").unwrap()));
        assert!(!q.contains(ClockTime::parse("07:00").unwrap()));
        assert!(!q.contains(ClockTime::parse("12:00").unwrap()));
    }

    #[test]
    fn clock_times_are_strict() {
        for bad in ["24:00", "7", "07:5", "aa:bb", "-1:00", "12:60"] {
            assert!(ClockTime::parse(bad).is_none(), "{bad} is not a clock time");
        }
        assert!(QuietHours::parse("08:00-08:00").is_none(), "an empty range is refused");
    }
}
