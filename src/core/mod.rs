//! The sans-I/O domain: circles, turns, timers, decks, private reflection,
//! safety and moderation. No async, no database, no platform, no clock and
//! no global randomness: [`handle`] takes an input, the time and an RNG, and
//! returns effects. A test in `tests/it/architecture.rs` keeps it that way.

pub mod circle;
pub mod command;
pub mod cx;
pub mod deck;
pub mod delivery;
pub mod duration;
pub mod effect;
pub mod handle;
mod help;
pub mod ids;
pub mod input;
pub mod member;
mod moderation;
pub use moderation::setting_values;
pub mod names;
pub(crate) mod privacy;
pub mod reflection;
pub mod refusal;
pub mod rng;
pub mod safety;
pub mod standing;
pub mod state;
pub mod template;
pub mod textcheck;
pub mod time;
pub mod timeparse;

pub use effect::{Effect, Line};
pub use handle::handle;
pub use refusal::Refusal;

/// The catalogue line that explains a refusal to the member.
pub fn refusal_line(r: &Refusal) -> Line {
    use Refusal as R;
    match r {
        R::BadId => Line::new("refusal-bad-id"),
        R::BadSlug { given } => Line::new("refusal-bad-slug").text("given", given.clone()),
        R::UnknownCommand { given } if given.is_empty() => Line::new("refusal-empty-command"),
        R::UnknownCommand { given } => Line::new("refusal-unknown-command").text("given", given.clone()),
        R::Usage { usage, .. } => Line::new("refusal-usage").text("usage", *usage),
        R::CommandTooLong { max } => Line::new("refusal-command-too-long").num("max", *max),
        R::TextEmpty => Line::new("refusal-text-empty"),
        R::TextTooLong { max, given } => Line::new("refusal-text-too-long").num("max", *max).num("given", *given),
        R::TextInvisible => Line::new("refusal-text-invisible"),
        R::TextOneLine => Line::new("refusal-text-one-line"),
        R::TextMention => Line::new("refusal-text-mention"),
        R::TextMarkup => Line::new("refusal-text-markup"),
        R::TextLink => Line::new("refusal-text-link"),
        R::NoCircleHere => Line::new("refusal-no-circle"),
        R::WhichCircle { titles } => Line::new("refusal-which-circle").text("titles", titles.clone()),
        R::OpenedFromHere => Line::new("refusal-opened-from-here"),
        R::OpensOnly { who: state::Opener::Moderators } => Line::new("refusal-opens-moderators"),
        R::OpensOnly { .. } => Line::new("refusal-opens-hosts"),
        R::OpenLimitMember { count, newest } => Line::new("refusal-open-limit-member").num("count", *count).place("place", newest),
        R::OpenLimitChannel { count, newest } => Line::new("refusal-open-limit-channel").num("count", *count).place("place", newest),
        R::HostNotSpeaker => Line::new("refusal-host-not-speaker"),
        R::OptionUnreadable => Line::new("refusal-option-unreadable"),
        R::TurnOver => Line::new("refusal-turn-over"),
        R::TitleKeptPrivate => Line::new("refusal-title-private"),
        R::JustMovedOn { name } => Line::new("refusal-just-moved-on").text("name", name.clone()),
        R::CircleOver => Line::new("refusal-circle-over"),
        R::PulseClosed => Line::new("refusal-pulse-closed"),
        R::CircleAlreadyHere => Line::new("refusal-circle-already"),
        R::CircleGatheringHere => Line::new("refusal-circle-gathering"),
        R::NeedsChannel => Line::new("refusal-needs-channel"),
        R::UnknownTemplate { given } => Line::new("refusal-unknown-template").text("given", given.clone()),
        R::AlreadyJoined => Line::new("refusal-already-joined"),
        R::NotInCircle => Line::new("refusal-not-in-circle"),
        R::AlreadyWaiting => Line::new("refusal-already-waiting"),
        R::LateJoinClosed => Line::new("refusal-late-join-closed"),
        R::NotHost => Line::new("refusal-not-host"),
        R::NotModerator => Line::new("refusal-not-moderator"),
        R::TooFewToStart { have, need } => Line::new("refusal-too-few").num("have", *have).num("need", *need),
        R::AlreadyStarted => Line::new("refusal-already-started"),
        R::NotStarted => Line::new("refusal-not-started"),
        R::Paused => Line::new("refusal-paused"),
        R::NotPaused => Line::new("refusal-not-paused"),
        R::NotYourTurn => Line::new("refusal-not-your-turn"),
        R::NoTurn => Line::new("refusal-no-turn"),
        R::CannotExtend => Line::new("refusal-cannot-extend"),
        R::NoSuchMember { name } => Line::new("refusal-no-such-member").text("name", name.clone()),
        R::BadPosition { max } => Line::new("refusal-bad-position").num("max", *max),
        R::NothingToAgree => Line::new("refusal-nothing-to-agree"),
        R::BadPulse => Line::new("refusal-bad-pulse"),
        R::NoPulseWaiting => Line::new("refusal-no-pulse"),
        R::UnknownTheme { given } => Line::new("refusal-unknown-theme").text("given", given.clone()),
        R::NoCardFits => Line::new("refusal-no-card"),
        R::UnknownPractice { given } => Line::new("refusal-unknown-practice").text("given", given.clone()),
        R::NoPractice => Line::new("refusal-no-practice"),
        R::BadTime { given } => Line::new("refusal-bad-time").text("given", given.clone()),
        R::BadQuietHours { given } => Line::new("refusal-bad-quiet").text("given", given.clone()),
        R::BadTimeZone { given } => Line::new("refusal-bad-timezone").text("given", given.clone()),
        R::DailyInQuietHours => Line::new("refusal-daily-in-quiet"),
        R::NoDaily => Line::new("refusal-no-daily"),
        R::TimeInPast => Line::new("refusal-time-in-past"),
        R::RateLimited => Line::new("refusal-rate-limited"),
        R::UnknownDeckOrCard { given } => Line::new("refusal-unknown-deck").text("given", given.clone()),
        R::CardIdTaken { given } => Line::new("refusal-card-id-taken").text("given", given.clone()),
        R::DeckFile { detail } => Line::new("refusal-deck-file").text("detail", detail.clone()),
        R::UnknownField { given, known } => Line::new("refusal-unknown-field").text("given", given.clone()).text("known", *known),
        R::BadValue { key, detail } => Line::new("refusal-bad-value").text("key", key.clone()).text("detail", detail.clone()),
        R::UnknownSuggestion { id } => Line::new("refusal-unknown-suggestion").num("id", *id as i64),
        R::SuggestionHeld { id } => Line::new("refusal-suggestion-held").num("id", *id as i64),
        R::NothingToConfirm => Line::new("refusal-nothing-to-confirm"),
        R::GuideRequired => Line::new("refusal-guide-required"),
        R::GuideNotAllowed => Line::new("refusal-guide-not-allowed"),
        R::NoHands => Line::new("refusal-no-hands"),
        R::AlreadySpoke => Line::new("refusal-already-spoke"),
        R::OrderNotYet => Line::new("refusal-order-not-yet"),
        R::TooFarAhead => Line::new("refusal-too-far-ahead"),
        R::CannotSchedule => Line::new("refusal-cannot-schedule"),
        R::NoSuchTemplate { given, known } => {
            Line::new("refusal-no-such-template").text("given", given.clone()).text("known", known.clone())
        }
        R::NoSuchDeck { given, known } => Line::new("refusal-no-such-deck").text("given", given.clone()).text("known", known.clone()),
        R::NameTaken { given } => Line::new("refusal-name-taken").text("given", given.clone()),
        R::MoveSpeaker { name } => Line::new("refusal-move-speaker").text("name", name.clone()),
        R::NotWaiting { name } => Line::new("refusal-not-waiting").text("name", name.clone()),
        R::PulseAnswered => Line::new("refusal-pulse-answered"),
        R::NothingToPass => Line::new("refusal-nothing-to-pass"),
        R::RemovedFromCircle => Line::new("refusal-removed"),
        R::NotRemoved { name } => Line::new("refusal-not-removed").text("name", name.clone()),
        R::Outranked => Line::new("refusal-outranked"),
        R::AlreadyOpener => Line::new("refusal-already-opener"),
        R::NotYourself => Line::new("refusal-not-yourself"),
        R::NameEmpty => Line::new("refusal-name-empty"),
        R::AmbiguousName { name } => Line::new("refusal-ambiguous-name").text("name", name.clone()),
        R::CannotLeaveHere { platform } => Line::new("refusal-cannot-leave-here").text("platform", *platform),
        R::LeaveWhileCircle => Line::new("refusal-leave-while-circle"),
    }
}
