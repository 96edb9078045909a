//! What the core asks the world to do. Adapters carry out every variant;
//! they match exhaustively and never decide.

use jiff::Timestamp;

use super::circle::TurnRef;
use super::command::{CircleCmd, Command, CrisisArg, Scope};
use super::ids::{ChannelId, CircleId, MemberRef};
use super::input::TimerKey;
use super::template::Mode;

#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// A message everyone in the channel sees.
    Say { channel: ChannelId, message: Message },
    /// A message only `to` sees (DM, ephemeral reply or private thread; never public).
    Whisper { to: MemberRef, message: Message },
    /// Who holds the floor in a channel. `speaker: None` restores normal posting.
    /// `voice` is the place linked to the circle for speaking aloud (a Discord voice
    /// channel), where the floor is held too.
    Floor { channel: ChannelId, speaker: Option<MemberRef>, hosts: Vec<MemberRef>, voice: Option<ChannelId> },
    /// Arms (or re-arms) a timer; a later generation for the same key supersedes it.
    Schedule { key: TimerKey, at: Timestamp, generation: u64 },
    /// Opens a private line between the member and the community's moderators.
    OpenSupport { member: MemberRef, display: String },
    /// Sends the member everything stored about them (gathered from the store).
    ExportData { to: MemberRef },
    /// attune leaves this place (a moderator asked, with no circle open there).
    Leave { channel: ChannelId },
    /// A new circle's invitation, for everyone in `channel`, and where the
    /// circle wants to run (see [`Placement`]). The adapter posts it, gives the
    /// circle the place it asks for as far as the platform can, and reports
    /// the place back with `Input::Placed`.
    Invite { circle: CircleId, channel: ChannelId, message: Message, placement: Box<Placement> },
    /// The circle's entry in the community's calendar, where the platform has
    /// one (Discord's Events): listed when it is scheduled, then moved,
    /// started, ended or cancelled. Other platforms let it pass.
    Listing { circle: CircleId, listing: Box<Listing> },
    /// A moderator asked for the moderator page: the engine gives them, privately,
    /// a link that signs them in once (or says the page is off).
    SignIn { to: MemberRef },
}

/// A change to a scheduled circle's calendar entry (see [`Effect::Listing`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Listing {
    /// List the circle (or move it): its title, when it begins and about when it
    /// ends, where it runs (and speaks aloud), and a few words on what it is.
    Scheduled {
        title: Option<String>,
        at: Timestamp,
        ends_about: Timestamp,
        channel: ChannelId,
        voice: Option<ChannelId>,
        about: Message,
    },
    /// Remind those who marked the entry as interesting, except `skip` (the
    /// members already in the circle, who have their own reminder).
    Remind {
        message: Message,
        skip: Vec<MemberRef>,
    },
    Started,
    Ended,
    Cancelled,
}

/// Where a new circle runs, decided by the core from what the host chose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    /// A place of its own made from the invitation (a Discord thread, a Matrix
    /// thread), so the channel stays free; otherwise the channel itself.
    pub own_place: bool,
    /// What that place is called: the circle's title, or the platform's word for a circle.
    pub name: Option<String>,
    /// A place for speaking aloud to link (a Discord voice channel), where the floor is held too.
    pub voice: Option<ChannelId>,
}

/// Structured content; `text/` renders it for each platform.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub kind: Kind,
    pub lines: Vec<Line>,
    pub actions: Vec<Action>,
    pub attachment: Option<Box<Attachment>>,
    /// The one person this message notifies (SPEC "Who is notified"): a turn's
    /// speaker, or the member a private message they must see is for. Names in
    /// it, and text from members or moderators, notify nobody.
    pub notify: Option<MemberRef>,
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
    /// Every kind, for checks that must cover them all.
    pub fn all() -> [Kind; 8] {
        [
            Kind::Info,
            Kind::TurnStarted { speaker: String::new() },
            Kind::Refusal,
            Kind::Guide,
            Kind::Card,
            Kind::Crisis,
            Kind::Pulse,
            Kind::Data,
        ]
    }

    /// Whether messages of this kind are for one member alone and may never be
    /// said in a channel: refusals, listener guides, private cards, the crisis
    /// card, the pulse question and data exports. `Cx::say` refuses them.
    pub fn is_private(&self) -> bool {
        match self {
            Kind::Info | Kind::TurnStarted { .. } => false,
            Kind::Refusal | Kind::Guide | Kind::Card | Kind::Crisis | Kind::Pulse | Kind::Data => true,
        }
    }

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

/// One argument of a catalogue line.
///
/// **Rendering contract.** Every adapter renders lines through
/// `text::Catalogue::render_as` with its platform's [`crate::text::Markup`]; it
/// never pastes an argument into markup itself. `Text` is outside text (from
/// members, moderators, decks): it is cleaned of invisible and
/// direction-changing characters and escaped for the platform's markup, so it
/// can't ping, link, format or inject (Markdown on Discord, HTML on Matrix).
/// `Member` names a person: Discord renders a mention (sent with
/// `allowed_mentions` empty, so it pings nobody), Matrix a pill (with
/// `m.mentions` empty), the console the display name. `text/tests.rs` checks
/// each escaper against hostile text.
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    /// Text from members, moderators or decks: rendered safely (no pings, no markup).
    Text(String),
    /// A person: their platform reference and the display name the circle shows.
    Member {
        member: MemberRef,
        display: String,
    },
    /// Text a moderator may put links in (the crisis resources card): escaped like
    /// `Text`, except that a plain `https://` address stays clickable.
    Linkable(String),
    Num(i64),
    /// A duration, rendered as "4 min 30 s".
    Secs(i64),
    /// A channel, thread or room: Discord renders a channel link, Matrix a room
    /// link, the console its name.
    Place(ChannelId),
}

/// A button (Discord), reaction (Matrix) or command hint (console).
///
/// Actions carry their scope: the circle, and for a turn's buttons the turn,
/// of the message they belong to. [`Action::command`] turns one into a typed
/// [`Command`] that the core checks against that scope, so a Done pressed on an
/// earlier turn's message is refused kindly and never ends the current turn.
/// [`Action::text`] is the same command as a member would type it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Join(CircleId),
    Leave(CircleId),
    /// Consent to the agreements shown for joining a circle, and the join it completes.
    /// `None` only for an Agree button sent before buttons named their circle.
    Agree(Option<CircleId>),
    Done(TurnRef),
    Pass(TurnRef),
    Extend(TurnRef),
    Card(TurnRef),
    /// See the prompt a content note is holding back.
    CardShow(TurnRef),
    Mode(TurnRef, Mode),
    /// One of the five answers to "did you feel heard?" for a circle.
    Pulse(CircleId, u8),
    NextStep,
    Support,
    CrisisWrong,
    CrisisOff,
    ForgetConfirm,
}

impl Action {
    /// The catalogue line that names what an action does: a Discord button's
    /// label, a Matrix reaction's legend. The five pulse answers are labelled
    /// with their number.
    pub fn label_id(self) -> &'static str {
        match self {
            Action::Join(_) => "button-join",
            Action::Leave(_) => "button-leave",
            Action::Agree(_) => "button-agree",
            Action::Done(_) => "button-done",
            Action::Pass(_) => "button-pass",
            Action::Extend(_) => "button-extend",
            Action::Card(_) => "button-card",
            Action::CardShow(_) => "button-card-show",
            Action::Mode(_, Mode::Witness) => "button-mode-witness",
            Action::Mode(_, Mode::Reflections) => "button-mode-reflections",
            Action::Mode(_, Mode::Feelings) => "button-mode-feelings",
            Action::Pulse(..) => "",
            Action::NextStep => "button-next",
            Action::Support => "button-support",
            Action::CrisisWrong => "button-crisis-wrong",
            Action::CrisisOff => "button-crisis-off",
            Action::ForgetConfirm => "button-forget-confirm",
        }
    }

    /// The action with its scope as a short token (`done:3:7`): what a
    /// platform carries in a button's id or a message's content, and reads
    /// back with [`Action::from_token`]. Adapters add their own version prefix.
    pub fn token(self) -> String {
        let turn = |name: &str, t: TurnRef| format!("{name}:{}:{}", t.circle.0, t.seq);
        match self {
            Action::Join(c) => format!("join:{}", c.0),
            Action::Leave(c) => format!("leave:{}", c.0),
            Action::Agree(Some(c)) => format!("agree:{}", c.0),
            Action::Agree(None) => "agree".to_owned(),
            Action::Done(t) => turn("done", t),
            Action::Pass(t) => turn("pass", t),
            Action::Extend(t) => turn("extend", t),
            Action::Card(t) => turn("card", t),
            Action::CardShow(t) => turn("card-show", t),
            Action::Mode(t, m) => format!("{}:{}", turn("mode", t), m.as_str()),
            Action::Pulse(c, n) => format!("pulse:{}:{n}", c.0),
            Action::NextStep => "next".to_owned(),
            Action::Support => "support".to_owned(),
            Action::CrisisWrong => "crisis-wrong".to_owned(),
            Action::CrisisOff => "crisis-off".to_owned(),
            Action::ForgetConfirm => "forget-confirm".to_owned(),
        }
    }

    /// Reads a [`Action::token`] back; `None` for anything attune did not write.
    pub fn from_token(token: &str) -> Option<Action> {
        let mut parts = token.split(':');
        let name = parts.next()?;
        let rest: Vec<&str> = parts.collect();
        let num = |i: usize| rest.get(i).and_then(|s| s.parse::<u64>().ok());
        let circle = |i: usize| num(i).map(CircleId);
        let turn = || Some(TurnRef { circle: circle(0)?, seq: num(1)? });
        let arity = |n: usize| (rest.len() == n).then_some(());
        Some(match name {
            "join" => arity(1).and_then(|()| circle(0)).map(Action::Join)?,
            "leave" => arity(1).and_then(|()| circle(0)).map(Action::Leave)?,
            "agree" if rest.is_empty() => Action::Agree(None),
            "agree" => arity(1).and_then(|()| circle(0)).map(|c| Action::Agree(Some(c)))?,
            "done" => arity(2).and_then(|()| turn()).map(Action::Done)?,
            "pass" => arity(2).and_then(|()| turn()).map(Action::Pass)?,
            "extend" => arity(2).and_then(|()| turn()).map(Action::Extend)?,
            "card" => arity(2).and_then(|()| turn()).map(Action::Card)?,
            "card-show" => arity(2).and_then(|()| turn()).map(Action::CardShow)?,
            "mode" => {
                arity(3)?;
                Action::Mode(turn()?, Mode::parse(rest.get(2)?)?)
            }
            "pulse" => {
                arity(2)?;
                let n = u8::try_from(num(1)?).ok().filter(|n| (1..=5).contains(n))?;
                Action::Pulse(circle(0)?, n)
            }
            "next" => arity(0).map(|()| Action::NextStep)?,
            "support" => arity(0).map(|()| Action::Support)?,
            "crisis-wrong" => arity(0).map(|()| Action::CrisisWrong)?,
            "crisis-off" => arity(0).map(|()| Action::CrisisOff)?,
            "forget-confirm" => arity(0).map(|()| Action::ForgetConfirm)?,
            _ => return None,
        })
    }

    /// The five pulse answers for a circle, 1 to 5.
    pub fn pulse_choices(circle: CircleId) -> [Action; 5] {
        [1, 2, 3, 4, 5].map(|n| Action::Pulse(circle, n))
    }

    /// The typed command this action stands for, scoped to its message.
    pub fn command(self) -> Command {
        let turn = |t: TurnRef, c: Command| Command::Scoped(Scope::Turn(t), Box::new(c));
        let circle = |id: CircleId, c: Command| Command::Scoped(Scope::Circle(id), Box::new(c));
        match self {
            Action::Join(id) => circle(id, Command::Circle(CircleCmd::Join)),
            Action::Leave(id) => circle(id, Command::Circle(CircleCmd::Leave)),
            Action::Agree(Some(id)) => circle(id, Command::Agree),
            Action::Agree(None) => Command::Agree,
            Action::Done(t) => turn(t, Command::Done),
            Action::Pass(t) => turn(t, Command::Pass),
            Action::Extend(t) => turn(t, Command::Extend),
            Action::Card(t) => turn(t, Command::Card),
            Action::CardShow(t) => turn(t, Command::CardShow),
            Action::Mode(t, m) => turn(t, Command::Mode(m)),
            Action::Pulse(id, n) => circle(id, Command::Pulse(n)),
            Action::NextStep => Command::Next,
            Action::Support => Command::Support,
            Action::CrisisWrong => Command::Crisis(CrisisArg::Wrong),
            Action::CrisisOff => Command::Crisis(CrisisArg::Off),
            Action::ForgetConfirm => Command::ForgetMe { confirm: true },
        }
    }

    /// What taking the action back means, where a platform lets a member take
    /// it back (a Matrix reaction redacted): only more time can be, and only
    /// for the turn it was asked for. Everything else, once done, stays done.
    pub fn withdrawn(self) -> Option<Command> {
        match self {
            Action::Extend(t) => Some(Command::Scoped(Scope::Turn(t), Box::new(Command::Unextend))),
            _ => None,
        }
    }

    /// The command as a member would type it (console hints, Matrix help).
    pub fn text(self) -> String {
        match self {
            Action::Join(_) => "circle join".into(),
            Action::Leave(_) => "circle leave".into(),
            Action::Agree(_) => "agree".into(),
            Action::Done(_) => "done".into(),
            Action::Pass(_) => "pass".into(),
            Action::Extend(_) => "extend".into(),
            Action::Card(_) => "card".into(),
            Action::CardShow(_) => "card show".into(),
            Action::Mode(_, m) => format!("mode {}", m.as_str()),
            Action::Pulse(_, n) => format!("pulse {n}"),
            Action::NextStep => "next".into(),
            Action::Support => "support".into(),
            Action::CrisisWrong => "crisis wrong".into(),
            Action::CrisisOff => "crisis off".into(),
            Action::ForgetConfirm => "forget-me confirm".into(),
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
    /// Each argument takes exactly its room: a line has a few at most, where a
    /// growing list reserves room for four.
    fn arg(mut self, name: &'static str, arg: Arg) -> Self {
        self.args.reserve_exact(1);
        self.args.push((name, arg));
        self
    }
    pub fn text(self, name: &'static str, value: impl Into<String>) -> Self {
        self.arg(name, Arg::Text(value.into()))
    }
    /// Text whose web addresses stay clickable (see [`Arg::Linkable`]).
    pub fn linkable(self, name: &'static str, value: impl Into<String>) -> Self {
        self.arg(name, Arg::Linkable(value.into()))
    }
    /// Names a person (see [`Arg::Member`]).
    pub fn member(self, name: &'static str, member: &MemberRef, display: impl Into<String>) -> Self {
        self.arg(name, Arg::Member { member: member.clone(), display: display.into() })
    }
    pub fn num(self, name: &'static str, value: impl TryInto<i64>) -> Self {
        self.arg(name, Arg::Num(value.try_into().unwrap_or(i64::MAX)))
    }
    pub fn secs(self, name: &'static str, value: i64) -> Self {
        self.arg(name, Arg::Secs(value))
    }
    /// Names a place (see [`Arg::Place`]).
    pub fn place(self, name: &'static str, channel: &ChannelId) -> Self {
        self.arg(name, Arg::Place(channel.clone()))
    }
}

impl Message {
    pub fn new(kind: Kind, lines: Vec<Line>) -> Self {
        Self { kind, lines, actions: Vec::new(), attachment: None, notify: None }
    }
    pub fn info(line: Line) -> Self {
        Self::new(Kind::Info, vec![line])
    }
    /// Notifies `who` alone when sent (see [`Message::notify`]).
    pub fn notifying(mut self, who: &MemberRef) -> Self {
        self.notify = Some(who.clone());
        self
    }

    /// A private message its member must see: the crisis card, or a question
    /// that waits for them (the agreements before a join). It notifies them.
    pub fn must_see(&self) -> bool {
        self.kind == Kind::Crisis || self.actions.iter().any(|a| matches!(a, Action::Agree(_)))
    }

    pub fn with_actions(mut self, actions: &[Action]) -> Self {
        self.actions.extend_from_slice(actions);
        self
    }
}
