//! Templates: a circle's shape. Moderators edit them with
//! `template set NAME KEY VALUE`; each key parses and validates its value.

use serde::{Deserialize, Serialize};

use super::deck::{Intensity, Theme};
use super::duration::parse_duration;
use super::refusal::Refusal;

/// How the speaking order is fixed when the circle opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OrderRule {
    /// In the order members joined.
    Join,
    /// Shuffled once at the opening and announced.
    Random,
    /// Whoever raises a hand speaks next; the rest follow in join order.
    Hand,
}

/// What comes back to a speaker after their turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Listeners only witness; nothing is said back.
    Witness,
    /// Listeners may reflect back what they heard, without advice.
    Reflections,
    /// Listeners may name only the feelings they heard.
    Feelings,
}

impl Mode {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "witness" => Some(Mode::Witness),
            "reflections" | "reflect" => Some(Mode::Reflections),
            "feelings" => Some(Mode::Feelings),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Witness => "witness",
            Mode::Reflections => "reflections",
            Mode::Feelings => "feelings",
        }
    }
}

/// How the speaker's floor is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FloorPolicy {
    Open,
    Nudge,
    Hold,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    pub name: String,
    pub turn_secs: i64,
    pub checkin_secs: i64,
    pub closing_secs: i64,
    pub warning_secs: i64,
    pub reflection_secs: i64,
    /// Extra time a speaker may add once; 0 means extending is off.
    pub extend_secs: i64,
    pub rounds: u32,
    /// Optional time budget for sharing: no new round starts once it is spent (0 = off).
    #[serde(default)]
    pub budget_secs: i64,
    pub min_size: usize,
    pub max_size: usize,
    pub order: OrderRule,
    pub default_mode: Mode,
    pub floor: FloorPolicy,
    pub late_join: bool,
    pub themes: Vec<Theme>,
    pub max_intensity: Intensity,
    pub exclude_cw: Vec<String>,
    pub arrival: bool,
    pub reminder_secs: i64,
}

/// The keys `template set` understands, for help and error messages.
pub const TEMPLATE_KEYS: &str = "turn, checkin, closing, warning, reflection, extend, rounds, budget, min, max, order, mode, floor, late-join, themes, intensity, exclude-cw, arrival, reminder";

impl Template {
    pub fn standard() -> Self {
        Self {
            name: "standard".into(),
            turn_secs: 300,
            checkin_secs: 60,
            closing_secs: 60,
            warning_secs: 60,
            reflection_secs: 120,
            extend_secs: 120,
            rounds: 1,
            budget_secs: 0,
            min_size: 2,
            max_size: 8,
            order: OrderRule::Join,
            default_mode: Mode::Witness,
            floor: FloorPolicy::Nudge,
            late_join: true,
            themes: Vec::new(),
            // Safety before depth: deep cards are a host's choice (`template set NAME intensity deep`).
            max_intensity: Intensity::Medium,
            exclude_cw: Vec::new(),
            arrival: true,
            reminder_secs: 600,
        }
    }

    pub fn short() -> Self {
        Self {
            name: "short".into(),
            turn_secs: 120,
            checkin_secs: 45,
            closing_secs: 45,
            warning_secs: 30,
            reflection_secs: 60,
            extend_secs: 0,
            max_size: 6,
            max_intensity: Intensity::Medium,
            arrival: false,
            ..Self::standard()
        }
    }

    /// Sets one key; on error the template is unchanged.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), Refusal> {
        let mut next = self.clone();
        let bad = |detail: &str| Refusal::BadValue { key: key.to_owned(), detail: detail.to_owned() };
        let secs = |lo: i64, hi: i64| -> Result<i64, Refusal> {
            let range = format!("a duration from {} to {}, like 90s, 5m or 1m30s", super::duration::label(lo), super::duration::label(hi));
            let s = parse_duration(value).ok_or_else(|| bad(&range))?;
            if s < lo || s > hi { Err(bad(&range)) } else { Ok(s) }
        };
        let count = |lo: u64, hi: u64| -> Result<u64, Refusal> {
            match value.parse::<u64>() {
                Ok(n) if (lo..=hi).contains(&n) => Ok(n),
                _ => Err(bad(&format!("a whole number from {lo} to {hi}"))),
            }
        };
        let on_off = || -> Result<bool, Refusal> {
            match value {
                "on" | "yes" | "true" => Ok(true),
                "off" | "no" | "false" => Ok(false),
                _ => Err(bad("on or off")),
            }
        };
        match key {
            "turn" => next.turn_secs = secs(30, 3600)?,
            "checkin" => next.checkin_secs = secs(15, 900)?,
            "closing" => next.closing_secs = secs(15, 900)?,
            "warning" => next.warning_secs = secs(0, 600)?,
            "reflection" => next.reflection_secs = secs(15, 1800)?,
            "extend" => next.extend_secs = if value == "off" { 0 } else { secs(15, 1800)? },
            "rounds" => next.rounds = count(1, 10)? as u32,
            "budget" => next.budget_secs = if value == "off" { 0 } else { secs(60, 6 * 3600)? },
            "min" => next.min_size = count(1, 50)? as usize,
            "max" => next.max_size = count(2, 50)? as usize,
            "order" => {
                next.order = match value {
                    "join" => OrderRule::Join,
                    "random" => OrderRule::Random,
                    "hand" => OrderRule::Hand,
                    _ => return Err(bad("join, random or hand")),
                }
            }
            "mode" => next.default_mode = Mode::parse(value).ok_or_else(|| bad("witness, reflections or feelings"))?,
            "floor" => {
                next.floor = match value {
                    "open" => FloorPolicy::Open,
                    "nudge" => FloorPolicy::Nudge,
                    "hold" => FloorPolicy::Hold,
                    _ => return Err(bad("open, nudge or hold")),
                }
            }
            "late-join" => next.late_join = on_off()?,
            "arrival" => next.arrival = on_off()?,
            "themes" => {
                next.themes = if value == "all" {
                    Vec::new()
                } else {
                    value
                        .split(',')
                        .map(|t| Theme::parse(t.trim()).ok_or_else(|| bad("a comma-separated list of themes, or all")))
                        .collect::<Result<_, _>>()?
                }
            }
            "intensity" => next.max_intensity = Intensity::parse(value).ok_or_else(|| bad("light, medium or deep"))?,
            "exclude-cw" => {
                next.exclude_cw = if value == "none" {
                    Vec::new()
                } else {
                    value.split(',').map(|t| t.trim().to_lowercase()).filter(|t| !t.is_empty()).collect()
                }
            }
            "reminder" => next.reminder_secs = secs(0, 86_400)?,
            _ => return Err(Refusal::UnknownField { given: key.to_owned(), known: TEMPLATE_KEYS }),
        }
        if next.min_size > next.max_size {
            return Err(bad("a min no larger than max"));
        }
        if next.warning_secs >= next.turn_secs {
            return Err(bad("a warning shorter than the turn"));
        }
        *self = next;
        Ok(())
    }

    /// `KEY = value` lines for `template show`.
    pub fn describe(&self) -> Vec<(String, String)> {
        let themes =
            if self.themes.is_empty() { "all".to_owned() } else { self.themes.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(",") };
        let cw = if self.exclude_cw.is_empty() { "none".to_owned() } else { self.exclude_cw.join(",") };
        let order = match self.order {
            OrderRule::Join => "join",
            OrderRule::Random => "random",
            OrderRule::Hand => "hand",
        };
        let floor = match self.floor {
            FloorPolicy::Open => "open",
            FloorPolicy::Nudge => "nudge",
            FloorPolicy::Hold => "hold",
        };
        let onoff = |b: bool| if b { "on" } else { "off" }.to_owned();
        vec![
            ("turn".into(), format!("{}s", self.turn_secs)),
            ("checkin".into(), format!("{}s", self.checkin_secs)),
            ("closing".into(), format!("{}s", self.closing_secs)),
            ("warning".into(), format!("{}s", self.warning_secs)),
            ("reflection".into(), format!("{}s", self.reflection_secs)),
            ("extend".into(), if self.extend_secs == 0 { "off".into() } else { format!("{}s", self.extend_secs) }),
            ("rounds".into(), self.rounds.to_string()),
            ("budget".into(), if self.budget_secs == 0 { "off".into() } else { format!("{}s", self.budget_secs) }),
            ("min".into(), self.min_size.to_string()),
            ("max".into(), self.max_size.to_string()),
            ("order".into(), order.into()),
            ("mode".into(), self.default_mode.as_str().into()),
            ("floor".into(), floor.into()),
            ("late-join".into(), onoff(self.late_join)),
            ("themes".into(), themes),
            ("intensity".into(), self.max_intensity.as_str().into()),
            ("exclude-cw".into(), cw),
            ("arrival".into(), onoff(self.arrival)),
            ("reminder".into(), format!("{}s", self.reminder_secs)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_value_changes_only_its_key() {
        let mut t = Template::standard();
        t.set("turn", "4m").unwrap();
        assert_eq!(t.turn_secs, 240);
        assert_eq!(t.checkin_secs, Template::standard().checkin_secs);
    }

    #[test]
    fn bad_values_are_refused_and_change_nothing() {
        let mut t = Template::standard();
        for (k, v) in [
            ("turn", "forever"),
            ("turn", "5s"),
            ("rounds", "0"),
            ("order", "alphabetical"),
            ("min", "20"),
            ("warning", "10m"),
            ("themes", "sadness"),
            ("nope", "1"),
        ] {
            assert!(t.set(k, v).is_err(), "{k}={v} must be refused");
            assert_eq!(t, Template::standard(), "a refused {k}={v} must leave the template unchanged");
        }
    }
}
