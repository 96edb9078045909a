//! Parsing and formatting of short durations (`90s`, `5m`, `1m30s`, `2h`).

/// The longest duration attune reads anywhere (366 days). Anything longer is refused, so
/// time arithmetic never comes near the edge of representable time.
pub const MAX_SECS: i64 = 366 * 86_400;

/// Parses `90s`, `5m`, `1m30s`, `2h`, `3d` or a bare number of seconds, up to [`MAX_SECS`].
pub fn parse_duration(s: &str) -> Option<i64> {
    parse_unbounded(s).filter(|n| *n <= MAX_SECS)
}

fn parse_unbounded(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() || s.len() > 16 {
        return None;
    }
    if let Ok(n) = s.parse::<i64>() {
        return (n >= 0).then_some(n);
    }
    let mut total: i64 = 0;
    let mut digits = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: i64 = digits.parse().ok()?;
        digits.clear();
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
    }
    if !digits.is_empty() {
        return None;
    }
    Some(total)
}

/// `45 s`, `5 min`, `4 min 30 s`, `1 h 5 min`.
pub fn label(secs: i64) -> String {
    let secs = secs.max(0);
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    match (h, m, s) {
        (0, 0, s) => format!("{s} s"),
        (0, m, 0) => format!("{m} min"),
        (0, m, s) => format!("{m} min {s} s"),
        (h, 0, _) => format!("{h} h"),
        (h, m, _) => format!("{h} h {m} min"),
    }
}

#[cfg(test)]
mod tests {
    use super::{MAX_SECS, parse_duration};

    #[test]
    fn common_forms_parse() {
        assert_eq!(parse_duration("90s"), Some(90));
        assert_eq!(parse_duration("5m"), Some(300));
        assert_eq!(parse_duration("1m30s"), Some(90));
        assert_eq!(parse_duration("2h"), Some(7200));
        assert_eq!(parse_duration("45"), Some(45));
        assert_eq!(parse_duration("366d"), Some(MAX_SECS));
    }

    #[test]
    fn nonsense_is_refused() {
        for s in ["", "m", "5x", "-3", "1m30", "99999999999999999h", "99999999999h", "367d", "31622401"] {
            assert_eq!(parse_duration(s), None, "{s:?} is not a duration");
        }
    }
}
