//! Local times for members: time zones, `circle schedule` times and the
//! next daily reflection. Uses jiff's bundled time zone database, so no
//! file is read.

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use super::duration::parse_duration;
use super::ids::MemberRef;
use super::member::{ClockTime, QuietHours};
use super::refusal::Refusal;
use super::state::State;
use super::textcheck::preview;

/// The span of time attune works in: a manual clock can't be set or moved outside it, so
/// "next day" and "next daily time" always exist.
pub fn supported(t: Timestamp) -> bool {
    (946_684_800..=7_258_118_400).contains(&t.as_second())
}

/// Looks up an IANA zone name.
pub fn zone(name: &str) -> Result<TimeZone, Refusal> {
    TimeZone::get(name).map_err(|_| Refusal::BadTimeZone { given: preview(name) })
}

/// The member's zone, else the community's, else UTC.
pub fn zone_of(st: &State, who: &MemberRef) -> TimeZone {
    st.members
        .get(who)
        .and_then(|m| m.timezone.as_deref())
        .and_then(|z| TimeZone::get(z).ok())
        .or_else(|| TimeZone::get(&st.community.settings.timezone).ok())
        .unwrap_or(TimeZone::UTC)
}

/// Whether it is the member's quiet hours at `now`, on their local clock.
pub fn in_quiet_hours(st: &State, who: &MemberRef, now: Timestamp) -> bool {
    let Some(quiet) = st.members.get(who).and_then(|m| m.quiet) else { return false };
    let local = now.to_zoned(zone_of(st, who));
    quiet.contains(ClockTime { hour: local.hour(), minute: local.minute() })
}

/// `HH:MM` (next occurrence), `in 30m`, or `YYYY-MM-DD HH:MM`, in `tz`.
pub fn parse_when(s: &str, now: Timestamp, tz: &TimeZone) -> Result<Timestamp, Refusal> {
    let s = s.trim();
    let bad = || Refusal::BadTime { given: preview(s) };
    if let Some(rest) = s.strip_prefix("in ") {
        let secs = parse_duration(rest.trim()).filter(|n| *n > 0 && *n <= 30 * 86_400).ok_or_else(bad)?;
        return Ok(super::circle::plus(now, secs));
    }
    if let Some(t) = ClockTime::parse(s) {
        return next_at(now, tz, t).ok_or_else(bad);
    }
    let (d, t) = s.split_once(' ').ok_or_else(bad)?;
    let date: Date = d.trim().parse().map_err(|_| bad())?;
    let t = ClockTime::parse(t).ok_or_else(bad)?;
    let time = Time::new(t.hour, t.minute, 0, 0).map_err(|_| bad())?;
    let at = date.to_datetime(time).to_zoned(tz.clone()).map(|z| z.timestamp()).map_err(|_| bad())?;
    if at.as_second() - now.as_second() > super::duration::MAX_SECS {
        return Err(Refusal::TooFarAhead);
    }
    Ok(at)
}

/// The next moment after `now` when the local clock in `tz` shows `t`.
pub fn next_at(now: Timestamp, tz: &TimeZone, t: ClockTime) -> Option<Timestamp> {
    let local = now.to_zoned(tz.clone());
    let time = Time::new(t.hour, t.minute, 0, 0).ok()?;
    let today = local.date().to_datetime(time).to_zoned(tz.clone()).ok()?;
    if today.timestamp() > now {
        Some(today.timestamp())
    } else {
        let tomorrow = local.date().checked_add(1.day()).ok()?.to_datetime(time).to_zoned(tz.clone()).ok()?;
        Some(tomorrow.timestamp())
    }
}

/// The next daily reflection: at `t`, or at the end of quiet hours if `t` falls inside them.
pub fn next_daily(now: Timestamp, tz: &TimeZone, t: ClockTime, quiet: Option<QuietHours>) -> Option<Timestamp> {
    let at = match quiet {
        Some(q) if q.contains(t) => q.end,
        _ => t,
    };
    next_at(now, tz, at)
}

/// A short local label such as `Fri 27 Nov 21:30 (Europe/Lisbon)`; a time in another
/// year than `now` shows its year too (`Fri 1 Jan 2027 10:00`).
pub fn local_label(at: Timestamp, now: Timestamp, tz: &TimeZone) -> String {
    let z = at.to_zoned(tz.clone());
    let name = tz.iana_name().unwrap_or("UTC");
    let format = if z.year() == now.to_zoned(tz.clone()).year() { "%a %-d %b %H:%M" } else { "%a %-d %b %Y %H:%M" };
    format!("{} ({name})", z.strftime(format))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn a_clock_time_means_the_next_time_the_clock_shows_it() {
        let tz = zone("Europe/Lisbon").unwrap();
        let now = at("2026-11-27T20:00:00Z");
        assert_eq!(parse_when("21:30", now, &tz).unwrap(), at("2026-11-27T21:30:00Z"));
        assert_eq!(parse_when("08:00", now, &tz).unwrap(), at("2026-11-28T08:00:00Z"));
        assert_eq!(parse_when("in 45m", now, &tz).unwrap(), at("2026-11-27T20:45:00Z"));
        assert_eq!(parse_when("2026-12-01 19:00", now, &tz).unwrap(), at("2026-12-01T19:00:00Z"));
    }

    #[test]
    fn nonsense_times_and_zones_are_refused() {
        let tz = TimeZone::UTC;
        let now = at("2026-11-27T20:00:00Z");
        for bad in ["soon", "25:00", "in forever", "2026-13-01 10:00", "in 0m"] {
            assert!(parse_when(bad, now, &tz).is_err(), "{bad} is not a time");
        }
        assert!(zone("Mars/Olympus").is_err());
        assert_eq!(parse_when("2099-12-31 10:00", now, &tz), Err(Refusal::TooFarAhead), "more than a year ahead is refused");
    }

    #[test]
    fn a_time_in_another_year_shows_its_year() {
        let tz = TimeZone::UTC;
        let now = at("2026-12-30T20:00:00Z");
        assert_eq!(local_label(at("2026-12-31T10:00:00Z"), now, &tz), "Thu 31 Dec 10:00 (UTC)");
        assert_eq!(local_label(at("2027-01-01T10:00:00Z"), now, &tz), "Fri 1 Jan 2027 10:00 (UTC)");
    }

    #[test]
    fn a_daily_time_in_quiet_hours_moves_to_their_end() {
        let tz = TimeZone::UTC;
        let now = at("2026-11-27T20:00:00Z");
        let q = QuietHours::parse("22:00-07:00");
        let t = ClockTime::parse("23:00").unwrap();
        assert_eq!(next_daily(now, &tz, t, q).unwrap(), at("2026-11-28T07:00:00Z"));
    }
}
