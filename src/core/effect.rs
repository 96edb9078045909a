//! What the core asks the world to do. Adapters carry out every variant;
//! they match exhaustively and never decide.

use jiff::Timestamp;

use super::ids::{ChannelId, MemberRef};
use super::input::TimerKey;
use super::template::Mode;

#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// A message everyone in the channel sees.
    Say { channel: ChannelId, message: Message },
    /// A message only `to` sees (DM, ephemeral reply or private thread; never public).
    Whisper { to: MemberRef, message: Message },
    /// Who holds the floor in a channel. `speaker: None` restores normal posting.
    Floor { channel: ChannelId, speaker: Option<MemberRef>, hosts: Vec<MemberRef> },
    /// Arms (or re-arms) a timer; a later generation for the same key supersedes it.
    Schedule { key: TimerKey, at: Timestamp, generation: u64 },
    /// Opens a private line between the member and the community's moderators.
    OpenSupport { member: MemberRef, display: String },
    /// Sends the member everything stored about them (gathered from the store).
    ExportData { to: MemberRef },
}

/// Structured content; `text/` renders it for each platform.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub kind: Kind,
    pub lines: Vec<Line>,
    pub actions: Vec<Action>,
    pub attachment: Option<Attachment>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    Info,
    TurnStarted { speaker: String },
    Refusal,
    Guide,
    Card,
    Crisis,
    Pulse,
    Data,
}

impl Kind {
    pub fn as_str(&self) -> &'static str {
        match self {
            Kind::Info => "info",
            Kind::TurnStarted { .. } => "turn_started",
            Kind::Refusal => "error",
            Kind::Guide => "guide",
            Kind::Card => "card",
            Kind::Crisis => "crisis",
            Kind::Pulse => "pulse",
            Kind::Data => "data",
        }
    }
}

/// One sentence from the catalogue with its arguments.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub id: &'static str,
    pub args: Vec<(&'static str, Arg)>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    /// Text from members, moderators or decks: rendered safely (no pings, no markup).
    Text(String),
    Num(i64),
    /// A duration, rendered as "4 min 30 s".
    Secs(i64),
}

/// A button (Discord), reaction (Matrix) or command hint (console).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Join,
    Leave,
    Agree,
    Done,
    Pass,
    Extend,
    Card,
    Mode(Mode),
    Pulse,
    NextStep,
    Support,
    CrisisWrong,
    CrisisOff,
    ForgetConfirm,
}

impl Action {
    /// The command an action stands for, in the shared vocabulary.
    pub fn command(self) -> &'static str {
        match self {
            Action::Join => "circle join",
            Action::Leave => "circle leave",
            Action::Agree => "agree",
            Action::Done => "done",
            Action::Pass => "pass",
            Action::Extend => "extend",
            Action::Card => "card",
            Action::Mode(Mode::Witness) => "mode witness",
            Action::Mode(Mode::Reflections) => "mode reflections",
            Action::Mode(Mode::Feelings) => "mode feelings",
            Action::Pulse => "pulse 1..5",
            Action::NextStep => "next",
            Action::Support => "support",
            Action::CrisisWrong => "crisis wrong",
            Action::CrisisOff => "crisis off",
            Action::ForgetConfirm => "forget-me confirm",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub content: String,
}

impl Line {
    pub fn new(id: &'static str) -> Self {
        Self { id, args: Vec::new() }
    }
    pub fn text(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.args.push((name, Arg::Text(value.into())));
        self
    }
    pub fn num(mut self, name: &'static str, value: impl TryInto<i64>) -> Self {
        self.args.push((name, Arg::Num(value.try_into().unwrap_or(i64::MAX))));
        self
    }
    pub fn secs(mut self, name: &'static str, value: i64) -> Self {
        self.args.push((name, Arg::Secs(value)));
        self
    }
}

impl Message {
    pub fn new(kind: Kind, lines: Vec<Line>) -> Self {
        Self { kind, lines, actions: Vec::new(), attachment: None }
    }
    pub fn info(line: Line) -> Self {
        Self::new(Kind::Info, vec![line])
    }
    pub fn with_actions(mut self, actions: &[Action]) -> Self {
        self.actions.extend_from_slice(actions);
        self
    }
}
