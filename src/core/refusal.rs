//! What a member is told when a command can't be done. Every variant maps to
//! one message in the Fluent catalogue (`text/`); `Display` is the short
//! English form used in logs and developer-facing errors.

use thiserror::Error;

/// Why the core declined an input. Refusals change nothing.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum Refusal {
    #[error("malformed identifier")]
    BadId,
    #[error("not a valid name: {given}")]
    BadSlug { given: String },
    #[error("unknown command: {given}")]
    UnknownCommand { given: String },
    #[error("wrong arguments for {command}; usage: {usage}")]
    Usage { command: &'static str, usage: &'static str },
    #[error("command too long")]
    CommandTooLong { max: usize },
    #[error("text is empty")]
    TextEmpty,
    #[error("text too long: {given} > {max}")]
    TextTooLong { max: usize, given: usize },
    #[error("text contains invisible or direction-changing characters")]
    TextInvisible,
    #[error("text contains a mass mention")]
    TextMention,
    #[error("a one-line text contains a line break")]
    TextOneLine,
    #[error("text contains markup or a platform mention")]
    TextMarkup,
    #[error("text contains a link")]
    TextLink,
    #[error("no circle here")]
    NoCircleHere,
    /// Several circles opened from this channel run in threads of their own;
    /// `titles` names them, so the member can say it in the right thread.
    #[error("several circles opened here: {titles}")]
    WhichCircle { titles: String },
    /// The same host opened a circle from here already and it still runs (in its thread).
    #[error("this host's circle from here is still open")]
    OpenedFromHere,
    /// The community lets only hosts, or only moderators, open circles.
    #[error("this community lets {} open circles", .who.as_str())]
    OpensOnly { who: super::state::Opener },
    /// The member hosts as many live circles as the community allows one member.
    #[error("this member hosts {count} circles already")]
    OpenLimitMember { count: usize, newest: super::ids::ChannelId },
    /// As many live circles were opened from this channel as the community allows.
    #[error("{count} circles were opened from this channel already")]
    OpenLimitChannel { count: usize, newest: super::ids::ChannelId },
    /// The platform could not read one of a command's options (a value out of
    /// range, a missing option, a command registered differently).
    #[error("a command option could not be read")]
    OptionUnreadable,
    /// A host or moderator pressed what only the speaker can do.
    #[error("only the speaker ends their turn; hosts use circle next")]
    HostNotSpeaker,
    #[error("that turn has already ended")]
    TurnOver,
    #[error("the circle's title was kept private")]
    TitleKeptPrivate,
    #[error("the circle has just moved on to {name}")]
    JustMovedOn { name: String },
    #[error("that circle has already ended")]
    CircleOver,
    #[error("that pulse has closed")]
    PulseClosed,
    #[error("a circle is already running here")]
    CircleAlreadyHere,
    #[error("a circle is already gathering here")]
    CircleGatheringHere,
    #[error("this works in the circle's channel")]
    NeedsChannel,
    #[error("unknown template {given}")]
    UnknownTemplate { given: String },
    #[error("already in the circle")]
    AlreadyJoined,
    #[error("not in the circle")]
    NotInCircle,
    #[error("already on the waitlist")]
    AlreadyWaiting,
    #[error("the circle has begun and is closed to late joiners")]
    LateJoinClosed,
    #[error("only hosts and moderators can do that")]
    NotHost,
    #[error("only moderators can do that")]
    NotModerator,
    #[error("not enough members to start: {have} of {need}")]
    TooFewToStart { have: usize, need: usize },
    #[error("the circle has already started")]
    AlreadyStarted,
    #[error("the circle has not started")]
    NotStarted,
    #[error("the circle is paused")]
    Paused,
    #[error("the circle is not paused")]
    NotPaused,
    #[error("not your turn")]
    NotYourTurn,
    #[error("no turn is running")]
    NoTurn,
    #[error("extending is not possible now")]
    CannotExtend,
    #[error("no member called {name} in this circle")]
    NoSuchMember { name: String },
    #[error("position out of range")]
    BadPosition { max: usize },
    #[error("nothing to agree to")]
    NothingToAgree,
    #[error("pulse must be 1 to 5")]
    BadPulse,
    #[error("no pulse is waiting")]
    NoPulseWaiting,
    #[error("unknown theme {given}")]
    UnknownTheme { given: String },
    #[error("no card fits")]
    NoCardFits,
    #[error("unknown practice {given}")]
    UnknownPractice { given: String },
    #[error("no practice in progress")]
    NoPractice,
    #[error("bad time {given}")]
    BadTime { given: String },
    #[error("bad time range {given}")]
    BadQuietHours { given: String },
    #[error("unknown time zone {given}")]
    BadTimeZone { given: String },
    #[error("daily time falls in quiet hours")]
    DailyInQuietHours,
    #[error("no daily reflection set")]
    NoDaily,
    #[error("the time is in the past")]
    TimeInPast,
    #[error("slow down")]
    RateLimited,
    #[error("unknown deck or card {given}")]
    UnknownDeckOrCard { given: String },
    #[error("card id {given} already used")]
    CardIdTaken { given: String },
    #[error("invalid deck file: {detail}")]
    DeckFile { detail: String },
    #[error("unknown field {given}")]
    UnknownField { given: String, known: &'static str },
    #[error("bad value for {key}: {detail}")]
    BadValue { key: String, detail: String },
    #[error("unknown suggestion {id}")]
    UnknownSuggestion { id: u64 },
    #[error("suggestion {id} reads like someone in crisis and can't become a card")]
    SuggestionHeld { id: u64 },
    #[error("nothing is waiting to be confirmed")]
    NothingToConfirm,
    #[error("sharing cards need a listener guide")]
    GuideRequired,
    #[error("only sharing cards carry a listener guide")]
    GuideNotAllowed,
    #[error("the order is drawn at random when the circle starts")]
    OrderNotYet,
    #[error("already had a turn this round")]
    AlreadySpoke,
    #[error("this circle does not use raised hands")]
    NoHands,
    #[error("the time is more than a year ahead")]
    TooFarAhead,
    #[error("the time cannot be scheduled from now")]
    CannotSchedule,
    #[error("no template {given}")]
    NoSuchTemplate { given: String, known: String },
    #[error("no deck {given}")]
    NoSuchDeck { given: String, known: String },
    #[error("the name {given} is taken")]
    NameTaken { given: String },
    #[error("{name} is speaking now")]
    MoveSpeaker { name: String },
    #[error("{name} is not waiting to speak this round")]
    NotWaiting { name: String },
    #[error("already answered the pulse")]
    PulseAnswered,
    #[error("already had a turn this round, nothing to pass")]
    NothingToPass,
    #[error("removed from this circle by a host")]
    RemovedFromCircle,
    #[error("{name} was not removed from this circle")]
    NotRemoved { name: String },
    #[error("the opener and moderators outrank co-hosts")]
    Outranked,
    #[error("the opener is already the host")]
    AlreadyOpener,
    #[error("host tools act on others")]
    NotYourself,
    #[error("the display name is empty once cleaned")]
    NameEmpty,
    #[error("more than one member matches {name}")]
    AmbiguousName { name: String },
    #[error("attune can't leave this place by itself on {platform}")]
    CannotLeaveHere { platform: &'static str },
    #[error("a circle is still open here")]
    LeaveWhileCircle,
}
