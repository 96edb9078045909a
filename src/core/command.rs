//! The one command vocabulary, shared by every platform. Console and Matrix
//! parse text with [`parse`]; Discord's slash commands build the same enum.

use super::deck::{Intensity, Theme};
use super::refusal::Refusal;
use super::template::Mode;

/// The longest command line the core reads; longer input is refused whole.
pub const MAX_COMMAND_CHARS: usize = 2000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Help,
    Circle(CircleCmd),
    Agree,
    Done,
    Pass,
    Extend,
    /// More time asked for and taken back before it began (a Matrix ⏳ reaction
    /// withdrawn). Never parsed from text: only a button's scope brings it.
    Unextend,
    Away,
    Back,
    Hand,
    Mode(Mode),
    Card,
    /// `card show`: the speaker chose to see a prompt held back behind its content note.
    CardShow,
    Pulse(u8),
    Reflect(Option<Theme>),
    /// `reflect light|medium|deep`: a self-reflection card of that intensity.
    ReflectAt(Intensity),
    Practice(Option<String>),
    Next,
    Daily(DailyArg),
    Quiet(Option<String>),
    Timezone(String),
    Support,
    MyData,
    ForgetMe {
        confirm: bool,
    },
    Suggest(String),
    Crisis(CrisisArg),
    Deck(DeckCmd),
    Suggestions(Option<(bool, u64)>),
    Settings(Option<(String, String)>),
    Template(TemplateCmd),
    /// `resources set TEXT` (moderators).
    Resources(String),
    /// `resources`: the crisis resources card, privately, for anyone.
    ResourcesShow,
    /// `confirm` (moderators): a card, card edit, deck import or resources text
    /// held back because its words match the crisis rules is meant, and goes in.
    Confirm,
    /// `leave-room` (moderators): attune says goodbye and leaves the room it was asked in,
    /// where the platform lets a bot leave one place (Matrix).
    LeaveRoom,
    /// `dashboard` (moderators): a link, privately, that signs them in to the
    /// moderator page for this community (once, for ten minutes).
    Dashboard,
    /// A button or reaction: the command, tied to the circle or turn of the
    /// message it was on (see `effect::Action`). Never parsed from text.
    Scoped(Scope, Box<Command>),
}

/// What a button's command belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Circle(super::ids::CircleId),
    Turn(super::circle::TurnRef),
    /// A command that reached attune late (a Matrix message whose keys came
    /// after a while): sent at this time, so a turn-bound one acts only on the
    /// turn that was under way then, never on one that began since.
    Sent(jiff::Timestamp),
}

impl Command {
    /// Words a member typed freely into a command (a circle's title, a practice's or
    /// time zone's name, a time, a suggested card): read for crisis phrases like
    /// chat. Words that match are never stored, posted or quoted back.
    pub fn free_text(&self) -> Option<&str> {
        match self {
            Command::Suggest(text) => Some(text),
            Command::Circle(CircleCmd::Open(Opening::Line(words))) => Some(words),
            // A template option is typed freely too; a title, when given, is what is shown.
            Command::Circle(CircleCmd::Open(Opening::Typed { title, template, .. })) => title.as_deref().or(template.as_deref()),
            Command::Circle(CircleCmd::Schedule(when)) => Some(when),
            Command::Circle(
                CircleCmd::Remove(name) | CircleCmd::Readmit(name) | CircleCmd::Move { name, .. } | CircleCmd::Cohost { name, .. },
            ) => Some(name),
            Command::Practice(Some(name)) => Some(name),
            Command::Timezone(tz) => Some(tz),
            Command::Quiet(Some(q)) => Some(q),
            Command::Daily(DailyArg::At(at)) => Some(at),
            Command::Scoped(_, inner) => inner.free_text(),
            _ => None,
        }
    }

    /// The command without its button scope, as typing it would give.
    pub fn unscoped(self) -> Command {
        match self {
            Command::Scoped(_, inner) => inner.unscoped(),
            c => c,
        }
    }
}

/// The rules one value obeys wherever it comes from: [`parse`] reads a line's
/// words with them, and a platform that keeps options apart (Discord's slash
/// commands) builds the command from each option with them, so no option is
/// ever joined into a line and split again.
impl Command {
    /// `pulse N`: an answer from 1 (not at all) to 5 (fully).
    pub fn pulse(n: u8) -> Result<Command, Refusal> {
        match n {
            1..=5 => Ok(Command::Pulse(n)),
            _ => Err(Refusal::BadPulse),
        }
    }

    /// `reflect [THEME|INTENSITY]`: nothing, one theme, or light, medium or deep.
    pub fn reflect(word: Option<&str>) -> Result<Command, Refusal> {
        let Some(word) = word.map(str::trim).filter(|w| !w.is_empty()) else { return Ok(Command::Reflect(None)) };
        let lower = word.to_lowercase();
        if let Some(i) = Intensity::parse(&lower) {
            return Ok(Command::ReflectAt(i));
        }
        Theme::parse(&lower)
            .map(|t| Command::Reflect(Some(t)))
            .ok_or_else(|| Refusal::UnknownTheme { given: super::textcheck::preview(word) })
    }

    /// `practice [NAME]`: practice names are lowercase, so any case finds one.
    pub fn practice(name: Option<&str>) -> Command {
        Command::Practice(name.map(str::trim).filter(|n| !n.is_empty()).map(str::to_lowercase))
    }

    /// `daily HH:MM|off|pause|resume`: the three words in any case, else a time for the core to read.
    pub fn daily(when: &str) -> Result<Command, Refusal> {
        let when = when.trim();
        match when.to_lowercase().as_str() {
            "" => Err(usage("daily", "daily HH:MM|off|pause|resume")),
            "off" => Ok(Command::Daily(DailyArg::Off)),
            "pause" => Ok(Command::Daily(DailyArg::Pause)),
            "resume" => Ok(Command::Daily(DailyArg::Resume)),
            _ => Ok(Command::Daily(DailyArg::At(when.to_owned()))),
        }
    }

    /// `quiet HH:MM-HH:MM|off`.
    pub fn quiet(hours: &str) -> Result<Command, Refusal> {
        let hours = hours.trim();
        match hours.to_lowercase().as_str() {
            "" => Err(usage("quiet", "quiet HH:MM-HH:MM|off")),
            "off" => Ok(Command::Quiet(None)),
            _ => Ok(Command::Quiet(Some(hours.to_owned()))),
        }
    }

    /// `timezone AREA/CITY`.
    pub fn timezone(zone: &str) -> Result<Command, Refusal> {
        match zone.trim() {
            "" => Err(usage("timezone", "timezone AREA/CITY, e.g. timezone Europe/Lisbon")),
            z => Ok(Command::Timezone(z.to_owned())),
        }
    }

    /// `suggest TEXT`.
    pub fn suggest(text: &str) -> Result<Command, Refusal> {
        match text.trim() {
            "" => Err(usage("suggest", "suggest TEXT")),
            t => Ok(Command::Suggest(t.to_owned())),
        }
    }

    /// `settings set KEY VALUE`: keys are lowercase; the value is kept as given.
    pub fn setting(key: &str, value: &str) -> Result<Command, Refusal> {
        let (key, value) = (key.trim(), value.trim());
        if key.is_empty() || value.is_empty() {
            return Err(usage("settings", "settings show | settings set KEY VALUE"));
        }
        Ok(Command::Settings(Some((key.to_lowercase(), value.to_owned()))))
    }

    /// `resources set TEXT` (moderators).
    pub fn resources(text: &str) -> Result<Command, Refusal> {
        match text.trim() {
            "" => Err(usage("resources", "resources | resources set TEXT")),
            t => Ok(Command::Resources(t.to_owned())),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CircleCmd {
    /// `circle open`, typed as a line or chosen in a platform's form.
    Open(Opening),
    Join,
    Leave,
    Start,
    Schedule(String),
    Status,
    Pause,
    Resume,
    Next,
    Move {
        name: String,
        pos: usize,
    },
    Remove(String),
    /// Lets a removed member join again.
    Readmit(String),
    /// `circle cohost NAME [on|off]`; `uncohost NAME` is `off`.
    Cohost {
        name: String,
        on: bool,
    },
    End,
}

/// What `circle open` was given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Opening {
    /// `circle open [template] [title]` as typed: the core decides whether the
    /// first word names a template (see `circle::open`).
    Line(String),
    /// Options a platform kept apart (Discord's `template:`, `title:`, `in:`
    /// and `voice:`): a title is a title whatever its first word. `here` keeps
    /// the circle in the channel rather than a place of its own; `voice` is a
    /// place for speaking aloud to link.
    Typed { template: Option<String>, title: Option<String>, here: bool, voice: Option<super::ids::ChannelId> },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DailyArg {
    At(String),
    Off,
    Pause,
    Resume,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrisisArg {
    Wrong,
    Off,
    On,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeckCmd {
    List,
    /// `deck new NAME [TITLE]`: creating a deck takes its own word, so a typo never creates one.
    New {
        name: String,
        title: String,
    },
    Show(String),
    /// `deck add DECK KIND THEME INTENSITY TEXT [| GUIDE]`
    Add {
        deck: String,
        kind: String,
        theme: String,
        intensity: String,
        text: String,
        guide: Option<String>,
        /// Content notes, comma-separated, as `deck edit CARD cw` takes them (the
        /// moderator page sets them with the card; chat adds them after).
        cw: Option<String>,
    },
    /// `deck edit CARD FIELD VALUE`
    Edit {
        card: String,
        field: String,
        value: String,
    },
    /// Several of one card's fields at once, all or none (the moderator page's
    /// card form): the same rules, wording and audit as `deck edit`.
    Revise {
        card: String,
        changes: Vec<(String, String)>,
    },
    /// A card, or a whole deck (which takes `confirm`).
    Remove {
        name: String,
        confirm: bool,
    },
    Enable(String),
    Disable(String),
    /// The adapter reads the file (console: a path; Discord: an attachment) and passes its text.
    Import {
        source: String,
        content: Option<String>,
    },
    Export(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateCmd {
    List,
    Show(String),
    /// `template new NAME`: a new template with the standard shape.
    New(String),
    Set {
        name: String,
        key: String,
        value: String,
    },
}

/// Template names and keys are lowercase, so any case finds them; a value is kept as given.
impl TemplateCmd {
    const USAGE: &str = "template list | template show NAME | template new NAME | template set NAME KEY VALUE";

    pub fn show(name: &str) -> Result<TemplateCmd, Refusal> {
        match name.trim() {
            "" => Err(usage("template", Self::USAGE)),
            n => Ok(TemplateCmd::Show(n.to_lowercase())),
        }
    }

    /// A new template's name is one word.
    pub fn new_named(name: &str) -> Result<TemplateCmd, Refusal> {
        match name.trim() {
            n if n.is_empty() || n.contains(char::is_whitespace) => Err(usage("template", Self::USAGE)),
            n => Ok(TemplateCmd::New(n.to_lowercase())),
        }
    }

    pub fn set(name: &str, key: &str, value: &str) -> Result<TemplateCmd, Refusal> {
        let (name, key, value) = (name.trim(), key.trim(), value.trim());
        if value.is_empty() {
            return Err(usage("template set", Self::USAGE));
        }
        Ok(TemplateCmd::Set { name: name.to_lowercase(), key: key.to_lowercase(), value: value.to_owned() })
    }
}

fn usage(command: &'static str, usage: &'static str) -> Refusal {
    Refusal::Usage { command, usage }
}

/// Splits off the first whitespace-separated word.
fn split_word(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    match s.find(char::is_whitespace) {
        Some(i) => (&s[..i], s[i..].trim_start()),
        None => (s, ""),
    }
}

/// Parses a command line without its prefix (`circle join`, `pulse 4`).
pub fn parse(line: &str) -> Result<Command, Refusal> {
    if line.chars().count() > MAX_COMMAND_CHARS {
        return Err(Refusal::CommandTooLong { max: MAX_COMMAND_CHARS });
    }
    let (word, rest) = split_word(line.trim());
    let word = word.to_lowercase();
    let none = |c: Command, name: &'static str| if rest.is_empty() { Ok(c) } else { Err(usage(name, name)) };
    match word.as_str() {
        "help" | "?" => Ok(Command::Help),
        "circle" => parse_circle(rest).map(Command::Circle),
        "agree" => none(Command::Agree, "agree"),
        "done" => none(Command::Done, "done"),
        "pass" => none(Command::Pass, "pass"),
        "extend" => none(Command::Extend, "extend"),
        "away" => none(Command::Away, "away"),
        "back" => none(Command::Back, "back"),
        "hand" => none(Command::Hand, "hand"),
        "card" => match rest.to_lowercase().as_str() {
            "" => Ok(Command::Card),
            "show" => Ok(Command::CardShow),
            _ => Err(usage("card", "card | card show")),
        },
        "next" => none(Command::Next, "next"),
        // Asking for help never fails on its shape: "support please help" still reaches a
        // moderator. The extra words are dropped here, so they are never forwarded or stored.
        "support" => Ok(Command::Support),
        "my-data" => none(Command::MyData, "my-data"),
        "mode" => Mode::parse(&rest.to_lowercase()).map(Command::Mode).ok_or_else(|| usage("mode", "mode witness|reflections|feelings")),
        "pulse" => rest.parse::<u8>().map_err(|_| Refusal::BadPulse).and_then(Command::pulse),
        "reflect" => Command::reflect(Some(rest)),
        "practice" => Ok(Command::practice(Some(rest))),
        "daily" => Command::daily(rest),
        "quiet" => Command::quiet(rest),
        "timezone" | "tz" => Command::timezone(rest),
        "forget-me" => match rest.to_lowercase().as_str() {
            "" => Ok(Command::ForgetMe { confirm: false }),
            "confirm" => Ok(Command::ForgetMe { confirm: true }),
            _ => Err(usage("forget-me", "forget-me, then forget-me confirm")),
        },
        "suggest" => Command::suggest(rest),
        "crisis" => match rest.to_lowercase().as_str() {
            "wrong" => Ok(Command::Crisis(CrisisArg::Wrong)),
            "off" => Ok(Command::Crisis(CrisisArg::Off)),
            "on" => Ok(Command::Crisis(CrisisArg::On)),
            _ => Err(usage("crisis", "crisis wrong|off|on")),
        },
        "deck" => parse_deck(rest).map(Command::Deck),
        "suggestions" => parse_suggestions(rest).map(Command::Suggestions),
        "settings" => {
            let (sub, args) = split_word(rest);
            match sub.to_lowercase().as_str() {
                "show" | "" if args.is_empty() => Ok(Command::Settings(None)),
                "set" => {
                    let (key, value) = split_word(args);
                    Command::setting(key, value)
                }
                _ => Err(usage("settings", "settings show | settings set KEY VALUE")),
            }
        }
        "template" => parse_template(rest).map(Command::Template),
        "resources" => {
            let (sub, text) = split_word(rest);
            if sub.is_empty() {
                Ok(Command::ResourcesShow)
            } else if sub.eq_ignore_ascii_case("set") {
                Command::resources(text)
            } else {
                Err(usage("resources", "resources | resources set TEXT"))
            }
        }
        "leave-room" => none(Command::LeaveRoom, "leave-room"),
        "confirm" => none(Command::Confirm, "confirm"),
        "dashboard" => none(Command::Dashboard, "dashboard"),
        "" => Err(Refusal::UnknownCommand { given: String::new() }),
        other => Err(Refusal::UnknownCommand { given: super::textcheck::preview(other) }),
    }
}

fn parse_circle(rest: &str) -> Result<CircleCmd, Refusal> {
    const U: &str = "circle open|join|leave|start|schedule|status|pause|resume|next|move|remove|readmit|cohost|uncohost|end";
    let (sub, args) = split_word(rest);
    let bare = |c: CircleCmd| if args.is_empty() { Ok(c) } else { Err(usage("circle", U)) };
    match sub.to_lowercase().as_str() {
        "open" => Ok(CircleCmd::Open(Opening::Line(args.to_owned()))),
        "join" => bare(CircleCmd::Join),
        "leave" => bare(CircleCmd::Leave),
        "start" => bare(CircleCmd::Start),
        "status" => bare(CircleCmd::Status),
        "pause" => bare(CircleCmd::Pause),
        "resume" => bare(CircleCmd::Resume),
        "next" => bare(CircleCmd::Next),
        "end" => bare(CircleCmd::End),
        "schedule" if !args.is_empty() => Ok(CircleCmd::Schedule(args.to_owned())),
        "schedule" => Err(usage("circle schedule", "circle schedule HH:MM | in 30m | YYYY-MM-DD HH:MM")),
        "move" => {
            let (name, pos) = split_word(args);
            match pos.parse::<usize>() {
                Ok(p) if !name.is_empty() && p >= 1 => Ok(CircleCmd::Move { name: name.to_owned(), pos: p }),
                _ => Err(usage("circle move", "circle move NAME POSITION (1 = next to speak)")),
            }
        }
        "remove" if !args.is_empty() => Ok(CircleCmd::Remove(args.to_owned())),
        "remove" => Err(usage("circle remove", "circle remove NAME")),
        "readmit" if !args.is_empty() => Ok(CircleCmd::Readmit(args.to_owned())),
        "readmit" => Err(usage("circle readmit", "circle readmit NAME")),
        "cohost" | "uncohost" if !args.is_empty() => {
            // A trailing on/off says which way; `uncohost` always revokes.
            let (name, last) = args.rsplit_once(char::is_whitespace).map_or((args, ""), |(n, l)| (n.trim_end(), l));
            let (name, on) = match last.to_lowercase().as_str() {
                "off" => (name, false),
                "on" => (name, true),
                _ => (args, true),
            };
            Ok(CircleCmd::Cohost { name: name.to_owned(), on: on && sub.eq_ignore_ascii_case("cohost") })
        }
        "cohost" => Err(usage("circle cohost", "circle cohost NAME [on|off]")),
        "uncohost" => Err(usage("circle uncohost", "circle uncohost NAME")),
        _ => Err(usage("circle", U)),
    }
}

fn parse_deck(rest: &str) -> Result<DeckCmd, Refusal> {
    const U: &str = "deck list|show|new|add|edit|remove|enable|disable|import|export";
    let (sub, args) = split_word(rest);
    let one = |name: &'static str, f: fn(String) -> DeckCmd| {
        let (a, more) = split_word(args);
        if a.is_empty() || !more.is_empty() { Err(usage(name, U)) } else { Ok(f(a.to_owned())) }
    };
    match sub.to_lowercase().as_str() {
        "list" if args.is_empty() => Ok(DeckCmd::List),
        "show" => one("deck show", DeckCmd::Show),
        "remove" => {
            let (name, more) = split_word(args);
            match more.to_lowercase().as_str() {
                _ if name.is_empty() => Err(usage("deck remove", "deck remove CARD | deck remove DECK confirm")),
                "" => Ok(DeckCmd::Remove { name: name.to_owned(), confirm: false }),
                "confirm" => Ok(DeckCmd::Remove { name: name.to_owned(), confirm: true }),
                _ => Err(usage("deck remove", "deck remove CARD | deck remove DECK confirm")),
            }
        }
        "enable" => one("deck enable", DeckCmd::Enable),
        "disable" => one("deck disable", DeckCmd::Disable),
        "export" => one("deck export", DeckCmd::Export),
        "import" if !args.is_empty() => Ok(DeckCmd::Import { source: args.to_owned(), content: None }),
        "new" => {
            let (name, title) = split_word(args);
            if name.is_empty() {
                return Err(usage("deck new", "deck new NAME [TITLE]"));
            }
            Ok(DeckCmd::New { name: name.to_owned(), title: title.to_owned() })
        }
        "add" => {
            let (deck, r) = split_word(args);
            let (kind, r) = split_word(r);
            let (theme, r) = split_word(r);
            let (intensity, r) = split_word(r);
            if r.is_empty() {
                return Err(usage("deck add", "deck add DECK KIND THEME INTENSITY TEXT [| LISTENER GUIDE]"));
            }
            let (text, guide) = match r.split_once(" | ") {
                Some((t, g)) => (t.to_owned(), Some(g.to_owned())),
                None => (r.to_owned(), None),
            };
            Ok(DeckCmd::Add {
                deck: deck.into(),
                kind: kind.into(),
                theme: theme.into(),
                intensity: intensity.into(),
                text,
                guide,
                cw: None,
            })
        }
        "edit" => {
            let (card, r) = split_word(args);
            let (field, value) = split_word(r);
            if value.is_empty() {
                return Err(usage("deck edit", "deck edit CARD text|guide|theme|intensity|cw VALUE"));
            }
            Ok(DeckCmd::Edit { card: card.into(), field: field.to_lowercase(), value: value.into() })
        }
        _ => Err(usage("deck", U)),
    }
}

fn parse_suggestions(rest: &str) -> Result<Option<(bool, u64)>, Refusal> {
    const U: &str = "suggestions | suggestions approve ID | suggestions decline ID";
    let (sub, id) = split_word(rest);
    let approve = match sub.to_lowercase().as_str() {
        "" => return Ok(None),
        "approve" => true,
        "decline" => false,
        _ => return Err(usage("suggestions", U)),
    };
    id.parse::<u64>().map(|id| Some((approve, id))).map_err(|_| usage("suggestions", U))
}

fn parse_template(rest: &str) -> Result<TemplateCmd, Refusal> {
    let (sub, args) = split_word(rest);
    match sub.to_lowercase().as_str() {
        "list" if args.is_empty() => Ok(TemplateCmd::List),
        "new" => TemplateCmd::new_named(args),
        "show" => TemplateCmd::show(args),
        "set" => {
            let (name, r) = split_word(args);
            let (key, value) = split_word(r);
            TemplateCmd::set(name, key, value)
        }
        _ => Err(usage("template", TemplateCmd::USAGE)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shared_vocabulary_parses() {
        assert_eq!(parse("circle join"), Ok(Command::Circle(CircleCmd::Join)));
        assert_eq!(
            parse("circle open short Tuesday circle"),
            Ok(Command::Circle(CircleCmd::Open(Opening::Line("short Tuesday circle".into()))))
        );
        assert_eq!(parse("circle move bob 1"), Ok(Command::Circle(CircleCmd::Move { name: "bob".into(), pos: 1 })));
        assert_eq!(parse("mode feelings"), Ok(Command::Mode(Mode::Feelings)));
        assert_eq!(parse("pulse 4"), Ok(Command::Pulse(4)));
        assert_eq!(parse("reflect body"), Ok(Command::Reflect(Some(Theme::Body))));
        assert_eq!(parse("daily 08:30"), Ok(Command::Daily(DailyArg::At("08:30".into()))));
        assert_eq!(parse("forget-me confirm"), Ok(Command::ForgetMe { confirm: true }));
        assert_eq!(parse("confirm"), Ok(Command::Confirm));
        assert_eq!(parse("support please help"), Ok(Command::Support), "extra words on the help path are dropped, not refused");
        assert_eq!(parse("suggestions approve 3"), Ok(Command::Suggestions(Some((true, 3)))));
        assert_eq!(parse("Leave-Room"), Ok(Command::LeaveRoom));
        assert!(matches!(parse("leave-room now"), Err(Refusal::Usage { .. })));
        assert_eq!(parse("settings set retention-days 30"), Ok(Command::Settings(Some(("retention-days".into(), "30".into())))));
        assert_eq!(
            parse("deck add mine sharing body light What do you notice? | Listen for the body."),
            Ok(Command::Deck(DeckCmd::Add {
                deck: "mine".into(),
                kind: "sharing".into(),
                theme: "body".into(),
                intensity: "light".into(),
                text: "What do you notice?".into(),
                guide: Some("Listen for the body.".into()),
                cw: None,
            }))
        );
    }

    #[test]
    fn keywords_are_case_insensitive_everywhere() {
        assert_eq!(parse("crisis OFF"), Ok(Command::Crisis(CrisisArg::Off)));
        assert_eq!(parse("Quiet OFF"), Ok(Command::Quiet(None)));
        assert_eq!(parse("settings SHOW"), Ok(Command::Settings(None)));
        assert_eq!(parse("daily PAUSE"), Ok(Command::Daily(DailyArg::Pause)));
        assert_eq!(parse("circle OPEN"), Ok(Command::Circle(CircleCmd::Open(Opening::Line(String::new())))));
        assert_eq!(parse("forget-me CONFIRM"), Ok(Command::ForgetMe { confirm: true }));
        assert_eq!(parse("suggestions APPROVE 3"), Ok(Command::Suggestions(Some((true, 3)))));
        assert_eq!(parse("TEMPLATE LIST"), Ok(Command::Template(TemplateCmd::List)));
        assert_eq!(parse("Deck List"), Ok(Command::Deck(DeckCmd::List)));
        assert_eq!(parse("resources SET Call 112"), Ok(Command::Resources("Call 112".into())));
        assert_eq!(parse("settings SET Timezone UTC"), Ok(Command::Settings(Some(("timezone".into(), "UTC".into())))));
    }

    #[test]
    fn wrong_arguments_name_the_usage() {
        for bad in [
            "circle",
            "circle dance",
            "circle move bob",
            "circle move bob zero",
            "mode loud",
            "daily",
            "quiet",
            "deck",
            "deck add x",
            "settings set k",
            "template set a b",
            "suggestions approve x",
            "crisis maybe",
            "done now",
        ] {
            assert!(matches!(parse(bad), Err(Refusal::Usage { .. })), "{bad:?} must get a usage message, got {:?}", parse(bad));
        }
    }

    /// What a platform builds from options it kept apart follows the same per-value
    /// rules as a typed line, and keeps each value whole.
    #[test]
    fn the_typed_constructors_keep_each_value_whole() {
        assert_eq!(Command::pulse(6), Err(Refusal::BadPulse));
        assert_eq!(Command::practice(Some(" Slow Breath ")), Command::Practice(Some("slow breath".into())));
        assert_eq!(Command::practice(Some("")), Command::Practice(None));
        assert_eq!(Command::daily("RESUME"), Ok(Command::Daily(DailyArg::Resume)));
        assert_eq!(Command::quiet("off duty"), Ok(Command::Quiet(Some("off duty".into()))));
        assert_eq!(Command::setting("Time Zone", "UTC"), Ok(Command::Settings(Some(("time zone".into(), "UTC".into())))));
        assert_eq!(
            TemplateCmd::set("My Template", "Turn", "3m"),
            Ok(TemplateCmd::Set { name: "my template".into(), key: "turn".into(), value: "3m".into() })
        );
        assert!(matches!(TemplateCmd::new_named("two words"), Err(Refusal::Usage { .. })), "a template's name is one word");
        assert!(matches!(Command::resources(" "), Err(Refusal::Usage { .. })));
    }

    #[test]
    fn unknown_and_oversized_commands_are_refused() {
        assert!(matches!(parse("dance"), Err(Refusal::UnknownCommand { .. })));
        assert_eq!(parse("pulse 9"), Err(Refusal::BadPulse));
        assert!(matches!(parse("reflect sadness"), Err(Refusal::UnknownTheme { .. })));
        assert_eq!(parse("reflect deep"), Ok(Command::ReflectAt(Intensity::Deep)));
        assert_eq!(parse(&"x".repeat(MAX_COMMAND_CHARS + 1)), Err(Refusal::CommandTooLong { max: MAX_COMMAND_CHARS }));
    }
}
