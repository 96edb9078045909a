//! Slash command options → the core's [`Command`], with no line of text in
//! between. Each option stays the value Discord sent: a member's name, a
//! title, a time or a setting's value is passed as that string, and never
//! joined with other options into a line the core would split again, so a
//! value with spaces, or one that begins with a word the text parser treats
//! as a keyword (`confirm`, `on`, `off`), means what it says. The rules one
//! value obeys (a pulse is 1 to 5, names are lowercase, `off` turns quiet
//! hours off) are the core's constructors, the same ones `command::parse`
//! uses for the console and Matrix. Closed sets (mode, crisis) are Discord
//! choices that map to the core's enums. Pure, and tested against the
//! console's parser below; `commands.rs` does the Discord side.

use crate::core::Refusal;
use crate::core::command::{CircleCmd, Command, CrisisArg, DeckCmd, Opening, TemplateCmd};
use crate::core::template::Mode;

/// What listeners may say back after your turn
#[derive(Clone, Copy, Debug, poise::ChoiceParameter)]
pub(super) enum ModeChoice {
    #[name = "just witness"]
    Witness,
    #[name = "reflections welcome"]
    Reflections,
    #[name = "feelings only"]
    Feelings,
}

/// What `/crisis` does.
#[derive(Clone, Copy, Debug, poise::ChoiceParameter)]
pub(super) enum CrisisChoice {
    #[name = "that was wrong"]
    Wrong,
    #[name = "stop checking my messages"]
    Off,
    #[name = "check my messages again"]
    On,
}

pub(super) fn mode(choice: ModeChoice) -> Command {
    Command::Mode(match choice {
        ModeChoice::Witness => Mode::Witness,
        ModeChoice::Reflections => Mode::Reflections,
        ModeChoice::Feelings => Mode::Feelings,
    })
}

pub(super) fn crisis(choice: CrisisChoice) -> Command {
    Command::Crisis(match choice {
        CrisisChoice::Wrong => CrisisArg::Wrong,
        CrisisChoice::Off => CrisisArg::Off,
        CrisisChoice::On => CrisisArg::On,
    })
}

/// `/circle open template: title: in: voice:`: a title is a title whatever its first word.
pub(super) fn circle_open(
    template: Option<String>,
    title: Option<String>,
    here: bool,
    voice: Option<crate::core::ids::ChannelId>,
) -> Command {
    Command::Circle(CircleCmd::Open(Opening::Typed { template, title, here, voice }))
}

/// `/circle schedule when:`: the core reads the time.
pub(super) fn circle_schedule(when: &str) -> Command {
    Command::Circle(CircleCmd::Schedule(when.trim().to_owned()))
}

/// `/circle move member: position:`: a name with spaces stays one name.
pub(super) fn circle_move(member: &str, position: u32) -> Command {
    // A place that doesn't fit a usize is past any circle's end; the core says how far it goes.
    let pos = usize::try_from(position).unwrap_or(usize::MAX);
    Command::Circle(CircleCmd::Move { name: member.trim().to_owned(), pos })
}

pub(super) fn circle_remove(member: &str) -> Command {
    Command::Circle(CircleCmd::Remove(member.trim().to_owned()))
}

/// `/circle readmit member:` takes Discord's member picker: the user's mention.
pub(super) fn circle_readmit(user: u64) -> Command {
    Command::Circle(CircleCmd::Readmit(format!("<@{user}>")))
}

/// `/circle cohost member: on:`: on unless the option says off, whatever the name's last word.
pub(super) fn circle_cohost(member: &str, on: Option<bool>) -> Command {
    Command::Circle(CircleCmd::Cohost { name: member.trim().to_owned(), on: on.unwrap_or(true) })
}

pub(super) fn pulse(answer: u8) -> Result<Command, Refusal> {
    Command::pulse(answer)
}

/// `/reflect theme:`: one theme or intensity, as offered by autocomplete.
pub(super) fn reflect(theme: Option<&str>) -> Result<Command, Refusal> {
    Command::reflect(theme)
}

pub(super) fn practice(name: Option<&str>) -> Command {
    Command::practice(name)
}

pub(super) fn daily(when: &str) -> Result<Command, Refusal> {
    Command::daily(when)
}

pub(super) fn quiet(hours: &str) -> Result<Command, Refusal> {
    Command::quiet(hours)
}

pub(super) fn timezone(zone: &str) -> Result<Command, Refusal> {
    Command::timezone(zone)
}

pub(super) fn forget_me(confirm: Option<bool>) -> Command {
    Command::ForgetMe { confirm: confirm.unwrap_or(false) }
}

pub(super) fn suggest(text: &str) -> Result<Command, Refusal> {
    Command::suggest(text)
}

/// `/deck show|enable|disable|export`: one deck or card, by the name given.
pub(super) fn deck_named(make: fn(String) -> DeckCmd, name: &str) -> Command {
    Command::Deck(make(name.trim().to_owned()))
}

/// `/deck new name: title:`: the name is the name, the title the title.
pub(super) fn deck_new(name: &str, title: Option<&str>) -> Command {
    let title = title.map(str::trim).unwrap_or_default().to_owned();
    Command::Deck(DeckCmd::New { name: name.trim().to_owned(), title })
}

/// `/deck remove name: confirm:`: only the option confirms removing a whole deck.
pub(super) fn deck_remove(name: &str, confirm: Option<bool>) -> Command {
    Command::Deck(DeckCmd::Remove { name: name.trim().to_owned(), confirm: confirm.unwrap_or(false) })
}

pub(super) fn template_show(name: &str) -> Result<Command, Refusal> {
    TemplateCmd::show(name).map(Command::Template)
}

pub(super) fn template_new(name: &str) -> Result<Command, Refusal> {
    TemplateCmd::new_named(name).map(Command::Template)
}

pub(super) fn template_set(name: &str, key: &str, value: &str) -> Result<Command, Refusal> {
    TemplateCmd::set(name, key, value).map(Command::Template)
}

pub(super) fn settings_set(key: &str, value: &str) -> Result<Command, Refusal> {
    Command::setting(key, value)
}

/// `/suggestions approve|decline id:`.
pub(super) fn suggestion(approve: bool, id: u64) -> Command {
    Command::Suggestions(Some((approve, id)))
}

pub(super) fn resources_set(text: &str) -> Result<Command, Refusal> {
    Command::resources(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::command::{DailyArg, parse};
    use crate::core::deck::{Intensity, Theme};

    #[test]
    fn slash_options_build_what_the_console_gets_by_typing_the_same() {
        let cases: Vec<(Result<Command, Refusal>, &str)> = vec![
            (Ok(mode(ModeChoice::Witness)), "mode witness"),
            (Ok(mode(ModeChoice::Reflections)), "mode reflections"),
            (Ok(mode(ModeChoice::Feelings)), "mode feelings"),
            (Ok(crisis(CrisisChoice::Wrong)), "crisis wrong"),
            (Ok(crisis(CrisisChoice::Off)), "crisis off"),
            (Ok(crisis(CrisisChoice::On)), "crisis on"),
            (Ok(circle_schedule("in 30m")), "circle schedule in 30m"),
            (Ok(circle_schedule("2030-01-02 18:00")), "circle schedule 2030-01-02 18:00"),
            (Ok(circle_move("bob", 2)), "circle move bob 2"),
            (Ok(circle_move(" <@42> ", 1)), "circle move <@42> 1"),
            (Ok(circle_remove("Mary Ann")), "circle remove Mary Ann"),
            (Ok(circle_readmit(42)), "circle readmit <@42>"),
            (Ok(circle_cohost("bob", None)), "circle cohost bob"),
            (Ok(circle_cohost("bob", Some(false))), "circle cohost bob off"),
            (Ok(circle_cohost("Mary Ann", Some(true))), "circle cohost Mary Ann on"),
            (pulse(1), "pulse 1"),
            (pulse(4), "pulse 4"),
            (reflect(None), "reflect"),
            (reflect(Some("body")), "reflect body"),
            (reflect(Some("Deep")), "reflect deep"),
            (Ok(practice(None)), "practice"),
            (Ok(practice(Some("Breathing"))), "practice breathing"),
            (daily("08:30"), "daily 08:30"),
            (daily("OFF"), "daily off"),
            (daily("pause"), "daily pause"),
            (daily("resume"), "daily resume"),
            (quiet("22:00-07:00"), "quiet 22:00-07:00"),
            (quiet("off"), "quiet off"),
            (timezone("Europe/Lisbon"), "timezone Europe/Lisbon"),
            (Ok(forget_me(None)), "forget-me"),
            (Ok(forget_me(Some(true))), "forget-me confirm"),
            (suggest("What are you carrying today?"), "suggest What are you carrying today?"),
            (Ok(deck_named(DeckCmd::Show, "ours")), "deck show ours"),
            (Ok(deck_named(DeckCmd::Enable, "ours-3")), "deck enable ours-3"),
            (Ok(deck_named(DeckCmd::Disable, "ours")), "deck disable ours"),
            (Ok(deck_named(DeckCmd::Export, "ours")), "deck export ours"),
            (Ok(deck_new("ours", None)), "deck new ours"),
            (Ok(deck_new("ours", Some("Our own cards"))), "deck new ours Our own cards"),
            (Ok(deck_remove("ours-3", None)), "deck remove ours-3"),
            (Ok(deck_remove("ours", Some(true))), "deck remove ours confirm"),
            (template_show("Standard"), "template show standard"),
            (template_new("short"), "template new short"),
            (template_set("short", "Turn", "3m"), "template set short turn 3m"),
            (template_set("short", "floor", "hold"), "template set short floor hold"),
            (settings_set("Retention-Days", "30"), "settings set retention-days 30"),
            (settings_set("timezone", "Europe/Lisbon"), "settings set timezone Europe/Lisbon"),
            (Ok(suggestion(true, 3)), "suggestions approve 3"),
            (Ok(suggestion(false, 4)), "suggestions decline 4"),
            (resources_set("Call 112, or text 4040"), "resources set Call 112, or text 4040"),
        ];
        for (built, line) in cases {
            assert_eq!(built, parse(line), "the slash command must build what typing {line:?} gives");
        }
    }

    #[test]
    fn refusals_are_the_ones_the_console_gets() {
        assert_eq!(pulse(9), parse("pulse 9"), "a pulse is 1 to 5 on every path");
        assert_eq!(pulse(0), Err(Refusal::BadPulse));
        assert_eq!(reflect(Some("sadness")), parse("reflect sadness"));
        assert_eq!(daily(" "), parse("daily"));
        assert_eq!(quiet(""), parse("quiet"));
        assert_eq!(timezone(""), parse("timezone"));
        assert_eq!(template_new("two words"), parse("template new two words"));
        assert_eq!(template_set("short", "turn", ""), parse("template set short turn"));
    }

    /// Where joining options into a line and parsing it again changed their meaning,
    /// the slash command keeps each option what it is. Each line is the one this
    /// adapter used to build from the same options. (A command with one free option
    /// put it last, where the parser takes the rest whole, so it never differed; the
    /// test above holds those equal.)
    #[test]
    fn an_option_means_what_it_says_whatever_its_words() {
        let differs = |built: Result<Command, Refusal>, old_line: &str, expected: Command| {
            assert_eq!(built, Ok(expected), "the options must keep their meaning");
            assert_ne!(parse(old_line), built, "{old_line:?} read them otherwise, which is why there is no line in between");
        };
        differs(
            Ok(circle_open(None, Some("standard evening".into()), false, None)),
            "circle open standard evening",
            Command::Circle(CircleCmd::Open(Opening::Typed {
                template: None,
                title: Some("standard evening".into()),
                here: false,
                voice: None,
            })),
        );
        differs(
            Ok(circle_move("Mary Ann", 2)),
            "circle move Mary Ann 2",
            Command::Circle(CircleCmd::Move { name: "Mary Ann".into(), pos: 2 }),
        );
        differs(
            Ok(deck_remove("mine confirm", None)),
            "deck remove mine confirm",
            Command::Deck(DeckCmd::Remove { name: "mine confirm".into(), confirm: false }),
        );
        differs(
            Ok(deck_new("our deck", Some("Cards"))),
            "deck new our deck Cards",
            Command::Deck(DeckCmd::New { name: "our deck".into(), title: "Cards".into() }),
        );
        differs(Ok(deck_named(DeckCmd::Show, "my deck")), "deck show my deck", Command::Deck(DeckCmd::Show("my deck".into())));
        differs(
            template_set("my template", "turn", "3m"),
            "template set my template turn 3m",
            Command::Template(TemplateCmd::Set { name: "my template".into(), key: "turn".into(), value: "3m".into() }),
        );
        differs(
            settings_set("time zone", "UTC"),
            "settings set time zone UTC",
            Command::Settings(Some(("time zone".into(), "UTC".into()))),
        );
        assert_eq!(reflect(Some("light")), Ok(Command::ReflectAt(Intensity::Light)));
        assert_eq!(reflect(Some("rest")), Ok(Command::Reflect(Some(Theme::Rest))));
        assert_eq!(daily("Pause"), Ok(Command::Daily(DailyArg::Pause)), "a keyword in any case is the keyword");
    }
}
