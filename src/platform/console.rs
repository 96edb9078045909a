//! The console adapter: a local community in the terminal. Each input line
//! is `NAME: TEXT`; commands start with `/`. Works interactively and piped.
//!
//! Everyone types into one channel, `#circle`. Private messages are printed
//! marked with who they are for, as a stand-in for DMs.

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use serde_json::json;
use tokio::io::BufReader;
use tokio::sync::mpsc;

use crate::core::command::{self, Command, DeckCmd};
use crate::core::effect::{Action, Kind, Message};
use crate::core::ids::{ChannelId, CommunityId, MemberRef, Platform};
use crate::core::input::{Actor, Input, Place};
use crate::engine::{Delivery, Engine, EngineError, Outgoing, Resumed};
use crate::text::{Catalogue, duration_label};

mod input;

use input::{LineReader, Read};

/// The console's one channel.
pub const CHANNEL: &str = "circle";
pub const COMMUNITY: &str = "console";

pub struct ConsoleOptions {
    pub moderators: Vec<String>,
    pub hosts: Vec<String>,
    pub json: bool,
    pub manual_clock: bool,
    /// Who moderates, as the moderator page asks (kept up to date by the console).
    pub roster: std::sync::Arc<Roster>,
}

/// Who moderates and hosts in the console: the console keeps it, the moderator
/// page asks it (see [`super::Vouch`]).
#[derive(Debug, Default)]
pub struct Roster {
    moderators: std::sync::RwLock<BTreeSet<String>>,
    hosts: std::sync::RwLock<BTreeSet<String>>,
}

impl Roster {
    fn set(&self, moderators: &BTreeSet<String>, hosts: &BTreeSet<String>) {
        if let Ok(mut m) = self.moderators.write() {
            m.clone_from(moderators);
        }
        if let Ok(mut h) = self.hosts.write() {
            h.clone_from(hosts);
        }
    }

    /// Takes `name` off the moderators (a test of a moderator who stops being one).
    pub fn demote(&self, name: &str) {
        if let Ok(mut m) = self.moderators.write() {
            m.remove(name);
        }
    }
}

impl super::Vouch for Roster {
    fn actor<'a>(&'a self, community: &'a CommunityId, member: &'a MemberRef) -> super::Vouched<'a> {
        Box::pin(async move {
            if community.platform() != Platform::Console || member.platform() != Platform::Console {
                return None;
            }
            let name = member.user();
            let moderator = self.moderators.read().ok()?.contains(name);
            let host = self.hosts.read().ok()?.contains(name);
            Some(Actor { member: member.clone(), display: name.to_owned(), moderator, host })
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("reading input failed: {0}")]
    Input(#[from] std::io::Error),
    #[error("the console's ids are invalid")]
    Ids,
    #[error(transparent)]
    Engine(#[from] EngineError),
}

struct Console {
    engine: Engine,
    catalogue: Catalogue,
    community: CommunityId,
    channel: ChannelId,
    moderators: BTreeSet<String>,
    /// Members named hosts (`--host`).
    hosts: BTreeSet<String>,
    /// No `--moderator` was given and none is stored: the first member to use a command claims it.
    claimable: bool,
    json: bool,
    manual_clock: bool,
    interactive: bool,
    /// Set when stdout is gone (e.g. piped into `head`): the console then stops quietly.
    closed: std::cell::Cell<bool>,
    roster: std::sync::Arc<Roster>,
}

/// Runs the console until end of input.
pub async fn run(
    engine: Engine,
    resumed: Resumed,
    mut outgoing: mpsc::Receiver<Outgoing>,
    options: ConsoleOptions,
) -> Result<(), ConsoleError> {
    let catalogue = Catalogue::english().map_err(|_| ConsoleError::Ids)?;
    let interactive = std::io::stdin().is_terminal();
    let mut moderators: BTreeSet<String> = options.moderators.into_iter().map(|m| m.to_lowercase()).collect();
    if moderators.is_empty()
        && let Some(stored) = engine.ledger().console_moderator().await?
    {
        // The same database keeps the same moderator across restarts.
        moderators.insert(stored.user().to_owned());
    }
    if options.manual_clock {
        // A restart of the manual clock resumes here, not at a fixed instant.
        engine.ledger().set_console_clock(engine.clock().now()).await?;
    }
    let mut console = Console {
        engine,
        catalogue,
        community: CommunityId::parse(Platform::Console, COMMUNITY).map_err(|_| ConsoleError::Ids)?,
        channel: ChannelId::parse(Platform::Console, CHANNEL).map_err(|_| ConsoleError::Ids)?,
        claimable: moderators.is_empty(),
        moderators,
        hosts: options.hosts.into_iter().map(|m| m.to_lowercase()).collect(),
        json: options.json,
        manual_clock: options.manual_clock,
        interactive,
        closed: std::cell::Cell::new(false),
        roster: options.roster,
    };
    console.roster.set(&console.moderators, &console.hosts);
    if !console.json {
        console.note(&console.catalogue.line(&crate::core::effect::Line::new("console-welcome")));
    }
    // What the restart tells live circles (where they are, the floor held again), while
    // anything else handed on meanwhile is printed: a community never waits on an
    // outlet nobody drains.
    {
        let announcing = resumed.announce(|out| {
            console.print(out);
            std::future::ready(())
        });
        tokio::pin!(announcing);
        loop {
            tokio::select! {
                biased;
                () = &mut announcing => break,
                Some(out) = outgoing.recv() => console.print(out),
            }
        }
    }
    let mut input = LineReader::new(BufReader::new(tokio::io::stdin()));
    let mut stop = Box::pin(stop_signal());
    console.prompt();
    loop {
        tokio::select! {
            // Deliveries first, so everything an input caused is printed before the next line is read.
            biased;
            () = &mut stop => break,
            Some(out) = outgoing.recv() => {
                // Something happened on its own (a timer): step off the prompt line, print the
                // whole burst, then show the prompt again.
                if console.interactive && !console.json {
                    console.emit("");
                }
                console.print(out);
                while let Ok(out) = outgoing.try_recv() {
                    console.print(out);
                }
                console.prompt();
            }
            line = input.next() => {
                let bytes = match line? {
                    Read::End => break,
                    Read::Line(bytes) => Some(bytes),
                    Read::TooLong => None,
                };
                if console.closed.get() {
                    break;
                }
                while let Ok(out) = outgoing.try_recv() {
                    console.print(out);
                }
                // One line that can't be read is refused; the rest of the input still counts.
                let caused = match bytes.map(String::from_utf8) {
                    Some(Ok(line)) => console.handle_line(&line).await,
                    Some(Err(_)) => {
                        console.note(&console.catalogue.line(&crate::core::effect::Line::new("console-unreadable-line")));
                        Vec::new()
                    }
                    None => {
                        console.note(&console.catalogue.line(&crate::core::effect::Line::new("console-line-too-long")));
                        Vec::new()
                    }
                };
                for delivery in caused {
                    console.print(Outgoing { community: console.community.clone(), delivery });
                }
                console.prompt();
            }
        }
    }
    while let Ok(out) = outgoing.try_recv() {
        console.print(out);
    }
    // Stop taking input, let every community apply, commit and hand on what it holds,
    // then print what is left and close the database.
    console.engine.shutdown().await;
    while let Ok(out) = outgoing.try_recv() {
        console.print(out);
    }
    if console.interactive && !console.json {
        console.emit("");
    }
    Ok(())
}

/// Resolves on SIGINT or SIGTERM (Ctrl-C, or a service manager stopping attune).
pub async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) {
            (Ok(mut int), Ok(mut term)) => {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
            }
            _ => std::future::pending::<()>().await,
        }
    }
    #[cfg(not(unix))]
    {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

impl Console {
    /// Prints one line; if stdout is closed, remembers it so the console can stop.
    fn emit(&self, line: &str) {
        if writeln!(std::io::stdout().lock(), "{line}").is_err() {
            self.closed.set(true);
        }
    }

    fn prompt(&self) {
        if self.interactive && !self.json {
            let mut out = std::io::stdout().lock();
            if write!(out, "> ").and_then(|()| out.flush()).is_err() {
                self.closed.set(true);
            }
        }
    }

    fn note(&self, text: &str) {
        if self.json {
            self.emit(&json!({ "kind": "console", "to": "console", "private": false, "text": text }).to_string());
        } else {
            self.emit(text);
        }
    }

    fn error(&self, to: &str, text: &str) {
        if self.json {
            self.emit(&json!({ "kind": "error", "to": to, "private": true, "text": text }).to_string());
        } else {
            self.emit(&format!("[private → {to}] attune: {text}"));
        }
    }

    /// Applies one line; returns everything it caused, in order.
    async fn handle_line(&mut self, raw: &str) -> Vec<Delivery> {
        // A script saved by some editors starts with a byte-order mark; it is not part of the line.
        let line = raw.trim_start_matches('\u{FEFF}').trim();
        if line.is_empty() || line.starts_with('#') {
            return Vec::new();
        }
        if line == "help" || line == "/help" {
            self.note(CONSOLE_HELP);
            return Vec::new();
        }
        if let Some(rest) = line.strip_prefix("@advance") {
            self.advance(rest.trim()).await;
            return Vec::new();
        }
        let Some((name, text)) = line.split_once(':') else {
            self.note(&self.catalogue.line(&crate::core::effect::Line::new("console-bad-line")));
            return Vec::new();
        };
        let name = name.trim();
        if !self.interactive && !self.json {
            // Piped transcripts show what each member typed, so they read as a conversation.
            self.emit(&format!("{name}: {}", text.trim()));
        }
        // In the console a name is also the member's id, so it must be plain: no invisible,
        // direction-changing, mention or markup characters that could make two names look alike.
        if crate::core::member::clean_display(name).as_deref() != Some(name) {
            self.note(&self.catalogue.line(&crate::core::effect::Line::new("console-bad-name")));
            return Vec::new();
        }
        let Ok(member) = MemberRef::parse(Platform::Console, &name.to_lowercase()) else {
            self.note(&self.catalogue.line(&crate::core::effect::Line::new("console-bad-line")));
            return Vec::new();
        };
        // Asking for help (or for the helplines) never makes someone the moderator: they
        // would be paging themselves.
        let asks_for_help = text
            .trim_start()
            .strip_prefix('/')
            .map(|c| c.split_whitespace().next().unwrap_or("").to_ascii_lowercase())
            .is_some_and(|w| matches!(w.as_str(), "support" | "resources" | "crisis" | "help"));
        if self.claimable && text.trim_start().starts_with('/') && !asks_for_help {
            self.claim_moderator(&member).await;
        }
        let actor = Actor {
            moderator: self.moderators.contains(member.user()),
            member: member.clone(),
            display: name.to_owned(),
            host: self.hosts.contains(member.user()),
        };
        let place = Place::Channel(self.channel.clone());
        let text = text.trim();
        let input = match text.strip_prefix('/') {
            Some(cmd) => match command::parse(cmd) {
                Ok(Command::Deck(DeckCmd::Import { source, .. })) => {
                    // The console reads the named file; on other platforms the file is an attachment.
                    let content = std::fs::read_to_string(PathBuf::from(&source)).ok();
                    Input::Command { actor, place, command: Command::Deck(DeckCmd::Import { source, content }) }
                }
                Ok(command) => Input::Command { actor, place, command },
                Err(refusal) => Input::BadCommand { actor, place, refusal, text: cmd.to_owned() },
            },
            None => Input::Chat { actor, place, text: text.to_owned() },
        };
        let chat = matches!(input, Input::Chat { .. });
        match self.engine.submit(&self.community, input, None).await {
            Ok(answer) => answer.deliveries,
            Err(e) => {
                tracing::error!(error = %e, "an input could not be applied");
                // Chat asked for nothing, so it gets no "try again" (any help it needed was sent).
                if !chat {
                    let id = match e {
                        EngineError::Quarantined => "store-quarantined",
                        _ => "store-unavailable",
                    };
                    self.error(member.user(), &self.catalogue.line(&crate::core::effect::Line::new(id)));
                }
                Vec::new()
            }
        }
    }

    /// Without `--moderator`, the first member to use a command becomes the console's
    /// moderator, for this database from then on. Chat never claims it.
    async fn claim_moderator(&mut self, member: &MemberRef) {
        self.claimable = false;
        self.moderators.insert(member.user().to_owned());
        self.roster.set(&self.moderators, &self.hosts);
        if let Err(e) = self.engine.ledger().set_console_moderator(member).await {
            tracing::error!(error = %e, "the console's moderator could not be stored");
        }
        self.note(&self.catalogue.line(&crate::core::effect::Line::new("console-moderator").text("name", member.user().to_owned())));
    }

    async fn advance(&mut self, arg: &str) {
        if !self.manual_clock {
            self.note("@advance works with --clock manual; with the real clock, time moves on by itself.");
            return;
        }
        let Some(secs) = crate::core::duration::parse_duration(arg).filter(|s| *s > 0) else {
            self.note("@advance needs a duration up to 366 days, like @advance 90s, @advance 5m or @advance 2d.");
            return;
        };
        let target = crate::core::circle::plus(self.engine.clock().now(), secs);
        if !crate::core::timeparse::supported(target) {
            self.note("The manual clock can't go past the year 2199. Nothing moved.");
            return;
        }
        if let Err(e) = self.engine.advance(secs).await {
            tracing::error!(error = %e, "advancing the clock failed");
        }
        if let Err(e) = self.engine.ledger().set_console_clock(self.engine.clock().now()).await {
            tracing::error!(error = %e, "the manual clock could not be stored");
        }
        if !self.json {
            self.emit(&format!(
                "· {}",
                self.catalogue.line(&crate::core::effect::Line::new("console-advanced").text("time", duration_label(secs)))
            ));
        }
    }

    fn print(&self, out: Outgoing) {
        match out.delivery {
            // The console has one channel: a circle runs where it was opened.
            Delivery::Say { message, .. } | Delivery::Invite { message, .. } => self.message("channel", false, &message),
            Delivery::Whisper { to, message } => self.message(to.user(), true, &message),
            Delivery::Floor { speaker, .. } => {
                let text = match &speaker {
                    Some(s) => format!("(the floor is held for {}: others can read but not post until the turn ends)", s.user()),
                    None => "(the floor is open again)".to_owned(),
                };
                if self.json {
                    let speaker = speaker.map(|s| s.user().to_owned());
                    self.emit(&json!({ "kind": "floor", "to": "channel", "private": false, "text": text, "speaker": speaker }).to_string());
                } else {
                    self.emit(&format!("[#{CHANNEL}] {text}"));
                }
            }
            // The core never asks in the console: it has one place, and leaving it is quitting.
            Delivery::Leave { .. } => {}
            // The console has no calendar.
            Delivery::Listing { .. } => {}
            Delivery::OpenSupport { display, .. } => {
                let text = self.catalogue.line(&crate::core::effect::Line::new("console-support").text("name", display));
                for m in &self.moderators {
                    if self.json {
                        self.emit(&json!({ "kind": "support", "to": m, "private": true, "text": text }).to_string());
                    } else {
                        self.emit(&format!("[private → {m}] attune: {text}"));
                    }
                }
            }
        }
    }

    fn message(&self, to: &str, private: bool, message: &Message) {
        let mut text = self.catalogue.render(message);
        if let Some(a) = &message.attachment {
            text.push_str(&format!("\n--- {} ---\n{}", a.filename, a.content.trim_end()));
        }
        let mut actions: Vec<String> =
            message.actions.iter().filter(|a| !matches!(a, Action::Pulse(..))).map(|a| format!("/{}", a.text())).collect();
        // The five pulse answers read as one hint in a terminal.
        if message.actions.iter().any(|a| matches!(a, Action::Pulse(..))) {
            actions.push("/pulse 1–5".to_owned());
        }
        if self.json {
            let mut v = json!({ "kind": message.kind.as_str(), "to": to, "private": private, "text": text });
            if let Kind::TurnStarted { speaker } = &message.kind {
                v["speaker"] = json!(speaker);
            }
            if !actions.is_empty() {
                v["actions"] = json!(actions);
            }
            self.emit(&v.to_string());
            return;
        }
        let head = if private { format!("[private → {to}] attune: ") } else { format!("[#{CHANNEL}] attune: ") };
        let indent = " ".repeat(head.chars().count());
        let mut lines = text.lines();
        if let Some(first) = lines.next() {
            self.emit(&format!("{head}{first}"));
        }
        for l in lines {
            self.emit(&format!("{indent}{l}"));
        }
        if !actions.is_empty() {
            self.emit(&format!("{indent}↳ {}", actions.join(" · ")));
        }
    }
}

const CONSOLE_HELP: &str = "\
How the console works:
  NAME: TEXT         NAME says TEXT in #circle (e.g. alice: hello)
  NAME: /COMMAND     NAME uses a command (e.g. alice: /circle join, alice: /help)
  @advance 90s       with --clock manual: move time forward (up to 366d at a time)
  # ...              a comment (ignored)
  help               this text
Lines marked [private → NAME] are for NAME alone, like a direct message.
Try: mod: /circle open, then alice: /circle join, alice: /agree.";
