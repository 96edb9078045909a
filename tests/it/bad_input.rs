//! SPEC §7: every command, in at least one bad form, gets exactly one kind,
//! specific, private refusal and changes nothing. Deck files too.

use std::collections::BTreeSet;

use attune::core::circle::Phase;
use attune::core::command::{self, CircleCmd, Command, DeckCmd};
use attune::core::effect::{Effect, Kind};
use attune::core::input::{Input, Place};
use attune::core::textcheck::is_invisible_control;

use super::support::*;

/// Where a bad command arrives.
#[derive(Clone, Copy, Debug)]
enum Fixture {
    /// No circle anywhere; alice and bob are known members.
    Empty,
    /// alice has opened a circle and sits in it alone.
    Alone,
    /// alice hosts; alice and bob have joined.
    Gathering,
    /// alice, bob and carol; alice is checking in.
    Running,
    /// As `Running`, but the template closes the circle to late joiners.
    RunningClosed,
    /// As `Running`, paused by alice.
    Paused,
    /// alice and bob; alice is sharing and has already extended once.
    Extended,
    /// alice and bob; alice is sharing under a template with extend off.
    NoExtend,
}

fn build(f: Fixture) -> Harness {
    let mut h = Harness::new();
    h.dm("alice", "help");
    h.dm("bob", "help");
    match f {
        Fixture::Empty => {}
        Fixture::Alone => h.gather("alice", "", &["alice"]),
        Fixture::Gathering => h.gather("alice", "", &["alice", "bob"]),
        Fixture::Running => {
            h.start("", &["alice", "bob", "carol"]);
        }
        Fixture::RunningClosed => {
            h.template("standard", "late-join", "off");
            h.start("", &["alice", "bob", "carol"]);
        }
        Fixture::Paused => {
            h.start("", &["alice", "bob", "carol"]);
            h.cmd("alice", "circle pause");
        }
        Fixture::Extended => {
            h.start("", &["alice", "bob"]);
            h.done_until(Phase::Sharing);
            h.cmd("alice", "extend");
        }
        Fixture::NoExtend => {
            h.template("standard", "extend", "off");
            h.start("", &["alice", "bob"]);
            h.done_until(Phase::Sharing);
        }
    }
    h
}

/// Sends `input` and checks: exactly one private refusal with line `expect`,
/// rendered to non-empty, clean text; no change to the state; nothing to commit.
fn assert_refused(h: &mut Harness, who: &str, input: Input, expect: &str, case: &str) -> String {
    let before = snapshot(&h.state);
    let out = attune::core::handle(&mut h.state, input, h.now, &mut h.rng);
    assert_eq!(out.len(), 1, "{case}: a refusal is the only effect, got {:?}", h.texts(&out));
    let Effect::Whisper { to, message } = &out[0] else { panic!("{case}: a refusal is whispered, got {:?}", out[0]) };
    assert_eq!(to, &member(who), "{case}: the refusal goes to the one who asked");
    assert_eq!(message.kind, Kind::Refusal, "{case}: the message is a refusal");
    let ids: Vec<_> = message.lines.iter().map(|l| l.id).collect();
    assert_eq!(ids, [expect], "{case}: the refusal says specifically what was wrong");
    assert!(h.cat.has(expect), "{case}: {expect} is in the catalogue");
    let text = h.render(message);
    assert!(!text.trim().is_empty(), "{case}: the refusal has text");
    assert!(!text.chars().any(is_invisible_control), "{case}: the refusal doesn't echo invisible characters: {text:?}");
    assert_same(&snapshot(&h.state), &before, &format!("{case}: a refusal changes nothing"));
    assert!(h.state.dirty.is_empty(), "{case}: a refusal leaves nothing to commit: {:?}", h.state.dirty);
    text
}

fn place(private: bool) -> Place {
    if private { Place::Private } else { here() }
}

/// Which command a line is about, for the coverage check.
fn name_of(c: &Command) -> &'static str {
    match c {
        // Buttons only: text never parses to a scoped command.
        Command::Scoped(_, inner) => name_of(inner),
        Command::Help => "help",
        Command::Circle(c) => match c {
            CircleCmd::Open(_) => "circle open",
            CircleCmd::Join => "circle join",
            CircleCmd::Leave => "circle leave",
            CircleCmd::Start => "circle start",
            CircleCmd::Schedule(_) => "circle schedule",
            CircleCmd::Status => "circle status",
            CircleCmd::Pause => "circle pause",
            CircleCmd::Resume => "circle resume",
            CircleCmd::Next => "circle next",
            CircleCmd::Move { .. } => "circle move",
            CircleCmd::Remove(_) => "circle remove",
            CircleCmd::Readmit(_) => "circle readmit",
            CircleCmd::Cohost { .. } => "circle cohost",
            CircleCmd::End => "circle end",
        },
        Command::Agree => "agree",
        Command::Done => "done",
        Command::Pass => "pass",
        // Only a withdrawn reaction brings it (see `buttons.rs`).
        Command::Extend | Command::Unextend => "extend",
        Command::Away => "away",
        Command::Back => "back",
        Command::Hand => "hand",
        Command::Mode(_) => "mode",
        Command::Card => "card",
        Command::CardShow => "card show",
        Command::Pulse(_) => "pulse",
        Command::Reflect(_) | Command::ReflectAt(_) => "reflect",
        Command::Practice(_) => "practice",
        Command::Next => "next",
        Command::Daily(_) => "daily",
        Command::Quiet(_) => "quiet",
        Command::Timezone(_) => "timezone",
        Command::Support => "support",
        Command::MyData => "my-data",
        Command::ForgetMe { .. } => "forget-me",
        Command::Suggest(_) => "suggest",
        Command::Crisis(_) => "crisis",
        Command::Deck(d) => match d {
            DeckCmd::List => "deck list",
            DeckCmd::Show(_) => "deck show",
            DeckCmd::New { .. } => "deck new",
            DeckCmd::Add { .. } => "deck add",
            DeckCmd::Edit { .. } | DeckCmd::Revise { .. } => "deck edit",
            DeckCmd::Remove { .. } => "deck remove",
            DeckCmd::Enable(_) => "deck enable",
            DeckCmd::Disable(_) => "deck disable",
            DeckCmd::Import { .. } => "deck import",
            DeckCmd::Export(_) => "deck export",
        },
        Command::Suggestions(_) => "suggestions",
        Command::Settings(_) => "settings",
        Command::Template(_) => "template",
        Command::Resources(_) | Command::ResourcesShow => "resources",
        Command::LeaveRoom => "leave-room",
        Command::Dashboard => "dashboard",
        Command::Confirm => "confirm",
    }
}

/// Every command in the vocabulary.
const VOCABULARY: [&str; 54] = [
    "help",
    "circle open",
    "circle join",
    "circle leave",
    "circle start",
    "circle schedule",
    "circle status",
    "circle pause",
    "circle resume",
    "circle next",
    "circle move",
    "circle remove",
    "circle readmit",
    "circle cohost",
    "circle end",
    "agree",
    "done",
    "pass",
    "extend",
    "away",
    "back",
    "hand",
    "mode",
    "card",
    "card show",
    "pulse",
    "reflect",
    "practice",
    "next",
    "daily",
    "quiet",
    "timezone",
    "support",
    "my-data",
    "forget-me",
    "suggest",
    "crisis",
    "deck list",
    "deck show",
    "deck new",
    "deck add",
    "deck edit",
    "deck remove",
    "deck enable",
    "deck disable",
    "deck import",
    "deck export",
    "suggestions",
    "settings",
    "template",
    "resources",
    "leave-room",
    "confirm",
    "dashboard",
];

/// The command a bad line was aiming at: its parse if it parses, else its leading words.
fn aimed_at(line: &str) -> String {
    if let Ok(c) = command::parse(line) {
        return name_of(&c).to_owned();
    }
    let mut words = line.split_whitespace();
    let first = words.next().unwrap_or("").to_lowercase();
    let grouped = ["circle", "deck"];
    let known = |s: &str| VOCABULARY.contains(&s);
    match words.next() {
        Some(second) if grouped.contains(&first.as_str()) && known(&format!("{first} {second}")) => format!("{first} {second}"),
        _ if known(&first) => first,
        _ => "unknown".to_owned(),
    }
}

struct Case {
    fixture: Fixture,
    who: &'static str,
    private: bool,
    line: String,
    expect: &'static str,
}

fn cases() -> Vec<Case> {
    use Fixture::*;
    let long = |n: usize| "a".repeat(n);
    let card = "check-in-01";
    let mut v = Vec::new();
    let mut c = |fixture: Fixture, who: &'static str, private: bool, line: &str, expect: &'static str| {
        v.push(Case { fixture, who, private, line: line.to_owned(), expect });
    };
    // Unknown and oversized.
    c(Empty, "bob", false, "dance", "refusal-unknown-command");
    c(Empty, "bob", false, "", "refusal-empty-command");
    c(Empty, "bob", false, &format!("help {}", long(2000)), "refusal-command-too-long");
    c(Empty, "stranger", true, "help\u{200B}", "refusal-unknown-command");
    // circle open
    c(Empty, "bob", true, "circle open", "refusal-needs-channel");
    c(Empty, "bob", false, &format!("circle open standard {}", long(81)), "refusal-text-too-long");
    c(Empty, "bob", false, "circle open Tea\u{200B}time", "refusal-text-invisible");
    c(Empty, "bob", false, "circle open Evening \u{202E}elcric", "refusal-text-invisible");
    c(Empty, "bob", false, "circle open @everyone come now", "refusal-text-mention");
    c(Empty, "bob", false, "circle open <b>html</b>", "refusal-text-markup");
    c(Empty, "bob", false, "circle open short ping <@1234>", "refusal-text-markup");
    c(Empty, "bob", false, "circle open see https://x.example", "refusal-text-link");
    c(Empty, "bob", false, "circle open Tuesday\nSTAFF NOTICE: everyone join now", "refusal-text-one-line");
    c(Empty, "stranger", false, "circle open @here", "refusal-text-mention");
    c(Gathering, "carol", false, "circle open", "refusal-circle-gathering");
    // circle join / leave
    c(Empty, "bob", false, "circle join", "refusal-no-circle");
    c(Gathering, "carol", true, "circle join", "refusal-needs-channel");
    c(Gathering, "bob", false, "circle join", "refusal-already-joined");
    c(RunningClosed, "dan", false, "circle join", "refusal-late-join-closed");
    c(Gathering, "bob", false, "circle join now", "refusal-usage");
    c(Gathering, "carol", false, "circle leave", "refusal-not-in-circle");
    c(Empty, "bob", false, "circle leave", "refusal-no-circle");
    // circle start / schedule / status
    c(Gathering, "bob", false, "circle start", "refusal-not-host");
    c(Alone, "alice", false, "circle start", "refusal-too-few");
    c(Running, "alice", false, "circle start", "refusal-already-started");
    c(Empty, "alice", false, "circle start", "refusal-no-circle");
    c(Gathering, "alice", false, "circle schedule", "refusal-usage");
    c(Gathering, "alice", false, "circle schedule soon", "refusal-bad-time");
    c(Gathering, "alice", false, "circle schedule in 0m", "refusal-bad-time");
    c(Gathering, "alice", false, "circle schedule 2020-01-01 10:00", "refusal-time-in-past");
    c(Gathering, "bob", false, "circle schedule in 1h", "refusal-not-host");
    c(Running, "alice", false, "circle schedule in 1h", "refusal-already-started");
    c(Empty, "bob", false, "circle status", "refusal-no-circle");
    c(Gathering, "bob", true, "circle status", "refusal-needs-channel");
    // host tools
    c(Running, "bob", false, "circle pause", "refusal-not-host");
    c(Gathering, "alice", false, "circle pause", "refusal-not-started");
    c(Paused, "alice", false, "circle pause", "refusal-paused");
    c(Running, "alice", false, "circle resume", "refusal-not-paused");
    c(Paused, "bob", false, "circle resume", "refusal-not-host");
    c(Gathering, "alice", true, "circle resume", "refusal-needs-channel");
    c(Running, "bob", false, "circle next", "refusal-not-host");
    c(Gathering, "alice", false, "circle next", "refusal-no-turn");
    c(Paused, "alice", false, "circle next", "refusal-paused");
    c(Running, "bob", false, "circle move carol 1", "refusal-not-host");
    c(Running, "alice", false, "circle move zed 1", "refusal-no-such-member");
    c(Running, "alice", false, "circle move @everyone 1", "refusal-no-such-member");
    c(Running, "alice", false, "circle move carol 3", "refusal-bad-position");
    c(Running, "alice", false, "circle move carol", "refusal-usage");
    c(Running, "alice", false, "circle move carol 0", "refusal-usage");
    c(Running, "bob", false, "circle remove carol", "refusal-not-host");
    c(Running, "alice", false, "circle remove zed", "refusal-no-such-member");
    c(Running, "alice", false, "circle remove", "refusal-usage");
    c(Running, "bob", false, "circle cohost carol", "refusal-not-host");
    c(Running, "alice", false, "circle cohost <@99>", "refusal-no-such-member");
    c(Running, "alice", false, "circle cohost", "refusal-usage");
    c(Running, "bob", false, "circle readmit carol", "refusal-not-host");
    c(Running, "alice", false, "circle readmit bob", "refusal-not-removed");
    c(Running, "alice", false, "circle readmit", "refusal-usage");
    c(Running, "bob", false, "circle end", "refusal-not-host");
    c(Empty, "alice", false, "circle end", "refusal-no-circle");
    c(Running, "alice", false, "circle end now", "refusal-usage");
    c(Running, "alice", false, "circle dance", "refusal-usage");
    c(Running, "alice", false, "circle", "refusal-usage");
    // in the circle
    c(Gathering, "bob", false, "agree now", "refusal-usage");
    c(Gathering, "bob", true, "agree", "refusal-nothing-to-agree");
    c(Running, "bob", false, "done", "refusal-not-your-turn");
    c(Running, "alice", true, "done", "refusal-needs-channel");
    c(Gathering, "alice", false, "done", "refusal-not-started");
    c(Running, "alice", false, "done now", "refusal-usage");
    c(Empty, "bob", false, "pass", "refusal-no-circle");
    c(Running, "dan", false, "pass", "refusal-not-in-circle");
    c(Paused, "bob", false, "pass", "refusal-paused");
    c(Running, "alice", false, "pass because", "refusal-usage");
    c(Running, "alice", false, "extend", "refusal-cannot-extend");
    c(Extended, "alice", false, "extend", "refusal-cannot-extend");
    c(NoExtend, "alice", false, "extend", "refusal-cannot-extend");
    c(Extended, "bob", false, "extend", "refusal-not-your-turn");
    c(Running, "alice", true, "extend", "refusal-needs-channel");
    c(Running, "dan", false, "away", "refusal-not-in-circle");
    c(Empty, "bob", false, "away", "refusal-no-circle");
    c(Running, "dan", false, "back", "refusal-not-in-circle");
    c(Running, "bob", true, "back", "refusal-needs-channel");
    c(Running, "bob", false, "hand", "refusal-no-hands");
    c(Gathering, "bob", false, "hand", "refusal-not-started");
    c(Running, "bob", false, "hand up", "refusal-usage");
    c(Running, "alice", false, "mode loud", "refusal-usage");
    c(Empty, "bob", true, "mode", "refusal-usage");
    c(Running, "bob", false, "card", "refusal-not-your-turn");
    c(Paused, "alice", false, "card", "refusal-paused");
    c(Empty, "bob", false, "card", "refusal-no-circle");
    c(Running, "bob", false, "card show", "refusal-not-your-turn");
    c(Paused, "alice", false, "card show", "refusal-paused");
    c(Empty, "bob", false, "card shows", "refusal-usage");
    c(Empty, "bob", true, "pulse 9", "refusal-bad-pulse");
    c(Empty, "bob", true, "pulse", "refusal-bad-pulse");
    c(Empty, "bob", true, "pulse 3", "refusal-no-pulse");
    // private reflection
    c(Empty, "bob", true, "reflect sadness", "refusal-unknown-theme");
    c(Empty, "bob", true, "reflect body\u{200B}", "refusal-unknown-theme");
    c(Empty, "bob", true, "practice juggling", "refusal-unknown-practice");
    c(Empty, "bob", true, "next", "refusal-no-practice");
    c(Empty, "bob", true, "next please", "refusal-usage");
    c(Empty, "bob", true, "daily", "refusal-usage");
    c(Empty, "bob", true, "daily 25:00", "refusal-bad-value");
    c(Empty, "bob", true, "daily 7pm", "refusal-bad-value");
    c(Empty, "bob", true, "daily off", "refusal-no-daily");
    c(Empty, "bob", true, "daily pause", "refusal-no-daily");
    c(Empty, "bob", true, "daily resume", "refusal-no-daily");
    c(Empty, "bob", true, "quiet", "refusal-usage");
    c(Empty, "bob", true, "quiet 08:00-08:00", "refusal-bad-quiet");
    c(Empty, "bob", true, "quiet 9-5", "refusal-bad-quiet");
    c(Empty, "bob", true, "timezone", "refusal-usage");
    c(Empty, "bob", true, "timezone Mars/Olympus", "refusal-bad-timezone");
    c(Empty, "bob", true, "timezone Europe/\u{202E}nobsiL", "refusal-bad-timezone");
    // support and data
    c(Empty, "bob", true, &format!("support {}", long(2000)), "refusal-command-too-long");
    c(Empty, "bob", true, "my-data all", "refusal-usage");
    c(Empty, "bob", true, "forget-me confirm", "refusal-usage");
    c(Empty, "bob", true, "forget-me now", "refusal-usage");
    c(Empty, "bob", true, "crisis maybe", "refusal-usage");
    c(Empty, "bob", true, "crisis", "refusal-usage");
    // suggestions from members
    c(Empty, "bob", true, "suggest", "refusal-usage");
    c(Empty, "bob", true, "suggest hey @everyone look", "refusal-text-mention");
    c(Empty, "bob", true, "suggest <b>bold</b> prompt", "refusal-text-markup");
    c(Empty, "bob", true, "suggest visit www.example.com", "refusal-text-link");
    c(Empty, "bob", true, "suggest a\u{200B}b", "refusal-text-invisible");
    c(Empty, "bob", true, "suggest abc\u{202E}cba", "refusal-text-invisible");
    c(Empty, "bob", true, &format!("suggest {}", long(401)), "refusal-text-too-long");
    c(Empty, "stranger", true, "suggest <script>alert(1)</script>", "refusal-text-markup");
    // decks: members may not, moderators must get it right
    for line in [
        "deck list",
        "deck show check-in",
        "deck add mine check-in body light Hello",
        "deck edit check-in-01 text Hello",
        "deck remove check-in",
        "deck enable check-in",
        "deck disable check-in",
        "deck import mine.toml",
        "deck export check-in",
    ] {
        c(Empty, "bob", true, line, "refusal-not-moderator");
    }
    c(Empty, "mod", true, "deck", "refusal-usage");
    c(Empty, "mod", true, "deck list all", "refusal-usage");
    c(Empty, "mod", true, "deck show", "refusal-usage");
    c(Empty, "mod", true, "deck show nope", "refusal-unknown-deck");
    c(Empty, "mod", true, "deck add x", "refusal-usage");
    c(Empty, "mod", true, "deck add nodeck check-in body light A prompt", "refusal-no-such-deck");
    c(Empty, "mod", true, "deck new", "refusal-usage");
    c(Empty, "mod", true, "deck new check-in", "refusal-name-taken");
    c(Empty, "mod", true, "deck new Bad_Name", "refusal-bad-slug");
    c(Empty, "mod", true, "deck new fresh <b>Title</b>", "refusal-text-markup");
    c(Empty, "mod", true, "template set nope turn 3m", "refusal-no-such-template");
    c(Empty, "mod", true, "template new standard", "refusal-name-taken");
    c(Empty, "mod", true, "deck add mine sharing body light Only a prompt", "refusal-guide-required");
    c(Empty, "mod", true, "deck add mine check-in body light A prompt | A guide", "refusal-guide-not-allowed");
    c(Empty, "mod", true, "deck add Mine! check-in body light A prompt", "refusal-bad-slug");
    c(Empty, "mod", true, "deck add mine feelings body light A prompt", "refusal-bad-value");
    c(Empty, "mod", true, "deck add mine check-in mood light A prompt", "refusal-unknown-theme");
    c(Empty, "mod", true, "deck add mine check-in body heavy A prompt", "refusal-bad-value");
    c(Empty, "mod", true, "deck add mine check-in body light see https://x.example", "refusal-text-link");
    c(Empty, "mod", true, "deck add mine check-in body light <i>hi</i>", "refusal-text-markup");
    c(Empty, "mod", true, "deck add mine check-in body light hi @everyone", "refusal-text-mention");
    c(Empty, "mod", true, "deck add mine check-in body light zero\u{200B}width", "refusal-text-invisible");
    c(Empty, "mod", true, "deck add mine check-in body light abc\u{202E}cba", "refusal-text-invisible");
    c(Empty, "mod", true, &format!("deck add mine check-in body light {}", long(401)), "refusal-text-too-long");
    c(Empty, "mod", true, "deck add mine sharing body light A prompt | Listen <b>hard</b>", "refusal-text-markup");
    c(Empty, "mod", true, "deck edit nope text Hello", "refusal-unknown-deck");
    c(Empty, "mod", true, &format!("deck edit {card} colour red"), "refusal-unknown-field");
    c(Empty, "mod", true, &format!("deck edit {card} text read https://x.example"), "refusal-text-link");
    c(Empty, "mod", true, &format!("deck edit {card} text @here now"), "refusal-text-mention");
    c(Empty, "mod", true, &format!("deck edit {card} guide Listen closely"), "refusal-guide-not-allowed");
    c(Empty, "mod", true, &format!("deck edit {card} cw Bad Tag"), "refusal-bad-slug");
    c(Empty, "mod", true, &format!("deck edit {card} theme mood"), "refusal-unknown-theme");
    c(Empty, "mod", true, &format!("deck edit {card} intensity heavy"), "refusal-bad-value");
    c(Empty, "mod", true, &format!("deck edit {card} text"), "refusal-usage");
    c(Empty, "mod", true, "deck remove nope", "refusal-unknown-deck");
    c(Empty, "mod", true, "deck remove Not A Slug", "refusal-usage");
    c(Empty, "mod", true, "deck enable nope", "refusal-unknown-deck");
    c(Empty, "mod", true, "deck disable nope", "refusal-unknown-deck");
    c(Empty, "mod", true, "deck import", "refusal-usage");
    c(Empty, "mod", true, "deck import /etc/passwd", "refusal-deck-file");
    c(Empty, "mod", true, "deck export nope", "refusal-unknown-deck");
    // suggestions, settings, templates, resources
    c(Empty, "bob", true, "suggestions", "refusal-not-moderator");
    c(Empty, "mod", true, "suggestions approve 99", "refusal-unknown-suggestion");
    c(Empty, "mod", true, "suggestions decline 99", "refusal-unknown-suggestion");
    c(Empty, "mod", true, "suggestions approve x", "refusal-usage");
    c(Empty, "mod", true, "suggestions maybe", "refusal-usage");
    c(Empty, "bob", true, "settings show", "refusal-not-moderator");
    c(Empty, "bob", true, "settings set retention-days 30", "refusal-not-moderator");
    c(Empty, "mod", true, "settings set retention-days 0", "refusal-bad-value");
    c(Empty, "mod", true, "settings set rate-per-minute 1", "refusal-bad-value");
    c(Empty, "mod", true, "settings set signpost-hours soon", "refusal-bad-value");
    c(Empty, "mod", true, "settings set colour red", "refusal-unknown-field");
    c(Empty, "mod", true, "settings set timezone Mars/Olympus", "refusal-bad-timezone");
    c(Empty, "mod", true, "settings set default-template nope", "refusal-unknown-template");
    c(Empty, "mod", true, "settings set agreements <b>we listen</b>", "refusal-text-markup");
    c(Empty, "mod", true, "settings set agreements we listen @everyone", "refusal-text-mention");
    c(Empty, "mod", true, &format!("settings set agreements {}", long(1501)), "refusal-text-too-long");
    c(Empty, "mod", true, "settings set k", "refusal-usage");
    c(Empty, "mod", true, "settings dance", "refusal-usage");
    c(Empty, "bob", true, "template list", "refusal-not-moderator");
    c(Empty, "bob", true, "template set standard turn 4m", "refusal-not-moderator");
    c(Empty, "mod", true, "template", "refusal-usage");
    c(Empty, "mod", true, "template show nope", "refusal-no-such-template");
    c(Empty, "mod", true, "template set standard turn forever", "refusal-bad-value");
    c(Empty, "mod", true, "template set standard turn 5s", "refusal-bad-value");
    c(Empty, "mod", true, "template set standard min 20", "refusal-bad-value");
    c(Empty, "mod", true, "template set standard warning 10m", "refusal-bad-value");
    c(Empty, "mod", true, "template set standard colour red", "refusal-unknown-field");
    c(Empty, "mod", true, "template set bad_name turn 5m", "refusal-bad-slug");
    c(Empty, "mod", true, "template set standard turn", "refusal-usage");
    c(Empty, "bob", true, "resources set Call 112", "refusal-not-moderator");
    c(Empty, "mod", true, "resources set", "refusal-usage");
    c(Empty, "mod", true, "resources set @everyone call now", "refusal-text-mention");
    c(Empty, "mod", true, "resources set call\u{200B}now", "refusal-text-invisible");
    c(Empty, "mod", true, "resources set <script>x</script>", "refusal-text-markup");
    c(Empty, "mod", true, &format!("resources set {}", long(1501)), "refusal-text-too-long");
    // leave-room (Matrix only; the console has one place)
    c(Empty, "bob", false, "dashboard", "refusal-not-moderator");
    c(Empty, "mod", false, "dashboard please", "refusal-usage");
    c(Empty, "bob", false, "leave-room", "refusal-not-moderator");
    c(Empty, "mod", false, "leave-room", "refusal-cannot-leave-here");
    c(Empty, "mod", false, "leave-room now", "refusal-usage");
    // confirm (moderators, after a card or resources text was held for crisis words)
    c(Empty, "bob", false, "confirm", "refusal-not-moderator");
    c(Empty, "mod", false, "confirm", "refusal-nothing-to-confirm");
    c(Empty, "mod", false, "confirm it", "refusal-usage");
    v
}

#[test]
fn every_command_in_a_bad_form_gets_one_private_refusal_and_changes_nothing() {
    let mut covered = BTreeSet::new();
    for case in cases() {
        let mut h = build(case.fixture);
        let line = case.line.chars().take(60).collect::<String>();
        let label = format!("{:?} {} {line:?}", case.fixture, case.who);
        let place = place(case.private);
        let actor = actor(case.who);
        let input = match command::parse(&case.line) {
            Ok(command) => Input::Command { actor, place, command },
            Err(refusal) => Input::BadCommand { actor, place, refusal, text: line.to_owned() },
        };
        assert_refused(&mut h, case.who, input, case.expect, &label);
        covered.insert(aimed_at(&case.line));
    }
    let missing: Vec<_> = VOCABULARY.iter().filter(|c| !covered.contains(**c)).collect();
    assert!(missing.is_empty(), "every command has at least one bad form tested; missing: {missing:?}");
}

#[test]
fn a_refusal_to_a_stranger_stores_nothing_about_them() {
    let mut h = build(Fixture::Running);
    assert_refused(
        &mut h,
        "stranger",
        Input::Command { actor: actor("stranger"), place: here(), command: Command::Done },
        "refusal-not-in-circle",
        "done",
    );
    assert!(!h.state.members.contains_key(&member("stranger")), "a refused command doesn't create a member record");
}

/// A platform that keeps options apart (Discord) builds commands without the text
/// parser, so the core refuses what the parser would have: a place of 0 is not a
/// place, and nobody moves (it must not reach `pos - 1`).
#[test]
fn a_typed_move_to_place_zero_is_refused_and_changes_nothing() {
    let mut h = build(Fixture::Running);
    let command = Command::Circle(CircleCmd::Move { name: "carol".into(), pos: 0 });
    let input = Input::Command { actor: actor("alice"), place: here(), command };
    assert_refused(&mut h, "alice", input, "refusal-bad-position", "typed circle move carol 0");
}

// ---- deck files -----------------------------------------------------------------

const GOOD: &str = r#"[deck]
name = "mine"
title = "My deck"

[[cards]]
id = "mine-a"
kind = "check-in"
theme = "body"
intensity = "light"
text = "How does your body feel?"
"#;

fn import(content: &str) -> Input {
    Input::Command {
        actor: actor("mod"),
        place: Place::Private,
        command: Command::Deck(DeckCmd::Import { source: "mine.toml".into(), content: Some(content.to_owned()) }),
    }
}

#[test]
fn a_good_deck_file_imports() {
    let mut h = Harness::new();
    let out = h.input(import(GOOD));
    assert_eq!(private_ids(&out, "mod"), ["deck-imported"], "the baseline file is valid: {:?}", h.texts(&out));
}

#[test]
fn a_bad_deck_file_is_refused_naming_the_line_and_changes_nothing() {
    let card = |id: &str, kind: &str, extra: &str, text: &str| {
        format!("\n[[cards]]\nid = \"{id}\"\nkind = \"{kind}\"\ntheme = \"body\"\nintensity = \"light\"\n{extra}text = \"{text}\"\n")
    };
    let head = "[deck]\nname = \"mine\"\ntitle = \"My deck\"\n";
    // (what is wrong, file, the line it is on)
    let cases: Vec<(&str, String, usize)> = vec![
        ("not TOML", "[deck\nname = \"mine\"\n".into(), 1),
        ("a bad value type", GOOD.replace("title = \"My deck\"", "title = 3"), 3),
        ("an unknown field", GOOD.replace("intensity = \"light\"", "intensity = \"light\"\ncolour = \"red\""), 10),
        ("an unknown kind", GOOD.replace("\"check-in\"", "\"check-in-ish\""), 7),
        ("an unknown theme", GOOD.replace("\"body\"", "\"mood\""), 8),
        ("an unknown intensity", GOOD.replace("\"light\"", "\"heavy\""), 9),
        ("a bad deck name", GOOD.replace("\"mine\"", "\"My Deck\""), 2),
        ("an empty title", GOOD.replace("\"My deck\"", "\"  \""), 3),
        ("a bad card id", GOOD.replace("\"mine-a\"", "\"Mine A\""), 6),
        ("a duplicate card id", format!("{GOOD}{}", card("mine-a", "check-in", "", "Again?")), 13),
        ("a sharing card without a guide", format!("{head}{}", card("mine-s", "sharing", "", "What is here?")), 6),
        ("a guide on a check-in card", format!("{head}{}", card("mine-c", "check-in", "guide = \"Listen.\"\n", "Hi?")), 10),
        ("a link in card text", GOOD.replace("How does your body feel?", "See https://x.example"), 10),
        ("a mention in card text", GOOD.replace("How does your body feel?", "Hey @everyone"), 10),
        ("HTML in card text", GOOD.replace("How does your body feel?", "<b>Feel</b>"), 10),
        ("a zero-width character", GOOD.replace("How does your body feel?", "How\u{200B} now?"), 10),
        ("a right-to-left override", GOOD.replace("How does your body feel?", "abc\u{202E}cba"), 10),
        ("over-long text", GOOD.replace("How does your body feel?", &"a".repeat(401)), 10),
        ("a bad content-warning tag", GOOD.replace("intensity = \"light\"", "intensity = \"light\"\ncw = [\"Grief Stuff\"]"), 6),
        ("a link in a guide", format!("{head}{}", card("mine-s", "sharing", "guide = \"www.x.example\"\n", "What?")), 10),
        ("a practice with no steps", format!("{head}\n[[practices]]\nname = \"p\"\ntitle = \"P\"\ntheme = \"rest\"\nsteps = []\n"), 6),
        (
            "a practice step with markup",
            format!("{head}\n[[practices]]\nname = \"p\"\ntitle = \"P\"\ntheme = \"rest\"\nsteps = [\"<i>x</i>\"]\n"),
            6,
        ),
    ];
    for (what, file, line) in cases {
        let mut h = Harness::new();
        let text = assert_refused(&mut h, "mod", import(&file), "refusal-deck-file", what);
        assert!(text.contains(&format!("line {line}:")), "{what}: the refusal names line {line}: {text}");
    }

    let mut h = Harness::new();
    let text = assert_refused(&mut h, "mod", import("[deck]\nname = \"mine\"\ntitle = \"Empty\"\n"), "refusal-deck-file", "an empty deck");
    assert!(text.contains("no [[cards]]"), "an empty deck says what is missing: {text}");
    let taken = GOOD.replace("\"mine-a\"", "\"check-in-01\"");
    let text = assert_refused(&mut h, "mod", import(&taken), "refusal-card-id-taken", "a card id used by another deck");
    assert!(text.contains("check-in-01"), "the refusal names the card id: {text}");
}
