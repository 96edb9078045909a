//! What the moderator page shows: small owned views read from a community's
//! state in its turn, and the HTML made from them (maud escapes everything it
//! is given, so a card's text can never become markup).

use maud::{DOCTYPE, Markup, html};

use crate::core::deck::{Intensity, Kind as CardKind, Theme};
use crate::core::effect::Message;
use crate::core::state::State;
use crate::core::textcheck::TextUse;
use crate::text::Catalogue;

/// What a change answered, shown once on the next page.
#[derive(Clone, Debug)]
pub struct Note {
    pub text: String,
    /// The answer is a refusal: shown as one.
    pub refused: bool,
    /// Words matched the crisis rules and the change waits for `confirm`.
    pub held: bool,
}

impl Note {
    pub fn of(catalogue: &Catalogue, message: &Message) -> Note {
        let text = message
            .lines
            .iter()
            .map(|l| match page_wording(l.id) {
                Some(id) => catalogue.line(&crate::core::effect::Line { id, args: l.args.clone() }),
                None => catalogue.line(l),
            })
            .collect::<Vec<_>>()
            .join("\n");
        Note {
            text,
            refused: message.kind == crate::core::effect::Kind::Refusal,
            held: message.lines.iter().any(|l| l.id.starts_with("content-held")),
        }
    }

    pub fn plain(text: &str) -> Note {
        Note { text: text.to_owned(), refused: false, held: false }
    }
}

/// The page's own wording for answers whose chat wording names a chat command.
fn page_wording(id: &str) -> Option<&'static str> {
    Some(match id {
        "deck-created" => "page-deck-created",
        "deck-remove-ask" => "page-deck-remove-ask",
        "refusal-guide-required" => "page-refusal-guide-required",
        "refusal-unknown-deck" => "page-refusal-unknown-deck",
        "refusal-no-such-deck" => "page-refusal-no-such-deck",
        "template-created" => "page-template-created",
        "content-held-how" => "page-content-held-how",
        "suggestion-approved" => "page-suggestion-approved",
        _ => return None,
    })
}

/// Why someone sees the signed-out page.
#[derive(Clone, Copy, Debug)]
pub enum Why {
    NoSession,
    NotModerator,
    LinkUsed,
    SignedOut,
}

/// What every signed-in page carries.
pub struct Frame<'a> {
    pub name: &'a str,
    pub csrf: &'a str,
    pub notes: &'a [Note],
    /// This page's path, for a form that returns here.
    pub back: &'a str,
    /// The community's id on its platform (a server's, a room's or a group's),
    /// so a moderator of several knows which one this is.
    pub community: &'a str,
}

pub const STYLE: &str = r#"
:root { color-scheme: light dark; --accent: #5b6fb5; --soft: #8883; }
* { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 52rem; padding: 0 1rem 3rem; }
header { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; border-bottom: 1px solid var(--soft); padding: .75rem 0; }
header strong { margin-right: auto; }
nav { display: flex; flex-wrap: wrap; gap: .25rem 1rem; }
nav a { padding: .25rem 0; }
a { color: var(--accent); }
a:focus, button:focus, input:focus, select:focus, textarea:focus { outline: 3px solid var(--accent); outline-offset: 2px; }
h1 { font-size: 1.4rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; }
section, .card { border: 1px solid var(--soft); border-radius: .5rem; padding: .75rem 1rem; margin: 1rem 0; }
.card.off { opacity: .7; }
label { display: block; margin: .5rem 0 .15rem; font-weight: 600; }
input[type=text], textarea, select { width: 100%; font: inherit; padding: .4rem; }
textarea { min-height: 5rem; }
button { font: inherit; padding: .4rem .9rem; margin: .5rem .5rem 0 0; cursor: pointer; }
.row { display: flex; flex-wrap: wrap; gap: 0 1rem; }
.row > * { flex: 1 1 10rem; }
.hint { font-size: .9rem; opacity: .8; margin: .1rem 0; }
.note { border-left: 4px solid var(--accent); padding: .5rem .75rem; margin: 1rem 0; white-space: pre-line; }
.note.refused { border-left-color: #b55b5b; }
.inline { display: inline; }
table { border-collapse: collapse; width: 100%; }
td, th { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--soft); vertical-align: top; }
.meta { font-size: .9rem; opacity: .85; }
"#;

/// Counts characters as they are typed into a field with a limit.
pub const SCRIPT: &str = r#"
document.querySelectorAll('[data-limit]').forEach(function (field) {
  var out = document.getElementById(field.id + '-count');
  if (!out) return;
  var limit = Number(field.getAttribute('data-limit'));
  var show = function () { out.textContent = Array.from(field.value).length + ' of ' + limit + ' characters'; };
  field.addEventListener('input', show);
  show();
});
// A second press while a form is on its way would send it twice (and a second
// send of held words confirms them): each form is sent once.
document.querySelectorAll('form').forEach(function (form) {
  form.addEventListener('submit', function (event) {
    if (form.getAttribute('data-sent')) { event.preventDefault(); return; }
    form.setAttribute('data-sent', '1');
  });
});
"#;

fn page(title: &str, frame: Option<&Frame<'_>>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) " · attune" }
                link rel="stylesheet" href="/style.css";
            }
            body {
                header {
                    strong { "attune · moderator page" }
                    @if let Some(f) = frame {
                        nav aria-label="Pages" {
                            a href="/decks" { "Decks" }
                            a href="/shapes" { "Circle shapes" }
                            a href="/settings" { "Settings" }
                            a href="/suggestions" { "Suggestions" }
                            a href="/schedule" { "Schedule" }
                            a href="/care" { "Care" }
                        }
                        form.inline method="post" action="/sign-out" {
                            input type="hidden" name="csrf" value=(f.csrf);
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main {
                    @if let Some(f) = frame {
                        @for n in f.notes {
                            div.note.refused[n.refused] role="status" { (n.text) }
                            @if n.held {
                                form method="post" action="/confirm" {
                                    input type="hidden" name="csrf" value=(f.csrf);
                                    input type="hidden" name="back" value=(f.back);
                                    button type="submit" { "Yes, I mean it: save it" }
                                }
                            }
                        }
                    }
                    (body)
                }
                script src="/page.js" {}
            }
        }
    }
}

fn csrf(f: &Frame<'_>) -> Markup {
    html! { input type="hidden" name="csrf" value=(f.csrf); }
}

/// A text field with the core's limit, counted as it is typed.
fn limited(id: &str, name: &str, value: &str, limit: usize, multiline: bool, required: bool) -> Markup {
    let count = format!("{id}-count");
    html! {
        @if multiline {
            textarea id=(id) name=(name) maxlength=(limit) data-limit=(limit) required[required] aria-describedby=(count) { (value) }
        } @else {
            input type="text" id=(id) name=(name) value=(value) maxlength=(limit) data-limit=(limit) required[required] aria-describedby=(count);
        }
        p.hint id=(count) { "Up to " (limit) " characters." }
    }
}

fn select(id: &str, name: &str, options: &[&str], chosen: &str) -> Markup {
    html! {
        select id=(id) name=(name) {
            @for o in options {
                option value=(o) selected[*o == chosen] { (o) }
            }
        }
    }
}

/// A path segment with everything but plain name characters escaped.
pub fn path_part(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

/// Where a form may send the moderator back to: one of the page's own paths only.
pub fn back_path(s: &str) -> String {
    const PAGES: [&str; 4] = ["/decks", "/shapes", "/settings", "/suggestions"];
    if PAGES.contains(&s) || (s.starts_with("/decks/") && s[7..].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')) {
        s.to_owned()
    } else {
        "/decks".to_owned()
    }
}

const KINDS: [&str; 5] = ["check-in", "sharing", "closing", "listener-guide", "self-reflection"];
const INTENSITIES: [&str; 3] = ["light", "medium", "deep"];

fn themes() -> Vec<&'static str> {
    Theme::ALL.iter().map(|t| t.as_str()).collect()
}

// --- Views ---------------------------------------------------------------

pub struct DeckItem {
    pub name: String,
    pub title: String,
    pub cards: usize,
    pub practices: usize,
    pub enabled: bool,
}

pub struct Decks {
    pub items: Vec<DeckItem>,
}

impl Decks {
    pub fn read(st: &State) -> Decks {
        Decks {
            items: st
                .decks
                .values()
                .map(|d| DeckItem {
                    name: d.name.to_string(),
                    title: d.title.clone(),
                    cards: d.cards.len(),
                    practices: d.practices.len(),
                    enabled: d.enabled,
                })
                .collect(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct CardView {
    pub id: String,
    pub kind: CardKind,
    pub theme: Theme,
    pub intensity: Intensity,
    pub cw: String,
    pub text: String,
    pub guide: Option<String>,
    pub enabled: bool,
}

impl CardView {
    fn of(c: &crate::core::deck::Card) -> CardView {
        CardView {
            id: c.id.to_string(),
            kind: c.kind,
            theme: c.theme,
            intensity: c.intensity,
            cw: c.cw.join(", "),
            text: c.text.clone(),
            guide: c.guide.clone(),
            enabled: c.enabled,
        }
    }

    /// The card and the deck it is in.
    pub fn find(st: &State, id: &str) -> Option<(String, CardView)> {
        st.decks.values().find_map(|d| d.cards.iter().find(|c| c.id.as_str() == id).map(|c| (d.name.to_string(), CardView::of(c))))
    }

    /// The fields the card form edits, as `deck edit` names them, with their values now.
    pub fn fields(&self) -> Vec<(&'static str, String)> {
        let mut f = vec![
            ("text", self.text.clone()),
            ("theme", self.theme.as_str().to_owned()),
            ("intensity", self.intensity.as_str().to_owned()),
            ("cw", self.cw.clone()),
        ];
        if let Some(g) = &self.guide {
            f.push(("guide", g.clone()));
        }
        f
    }
}

pub struct DeckView {
    pub name: String,
    pub title: String,
    pub enabled: bool,
    pub cards: Vec<CardView>,
    pub practices: Vec<String>,
}

impl DeckView {
    pub fn read(st: &State, name: &str) -> Option<DeckView> {
        let d = st.decks.values().find(|d| d.name.as_str() == name)?;
        Some(DeckView {
            name: d.name.to_string(),
            title: d.title.clone(),
            enabled: d.enabled,
            cards: d.cards.iter().map(CardView::of).collect(),
            practices: d.practices.iter().map(|p| p.title.clone()).collect(),
        })
    }
}

pub struct Shapes {
    pub shapes: Vec<(String, Vec<(String, String)>)>,
    pub default: String,
}

impl Shapes {
    pub fn read(st: &State) -> Shapes {
        Shapes {
            shapes: st.community.templates.iter().map(|t| (t.name.clone(), t.describe())).collect(),
            default: st.community.settings.default_template.clone(),
        }
    }
}

pub struct SettingsView {
    pub values: Vec<(&'static str, String)>,
    /// The community's own agreements, if it set them (else the shipped ones apply).
    pub agreements: Option<String>,
    pub resources: String,
    pub resources_custom: bool,
}

impl SettingsView {
    pub fn read(st: &State) -> SettingsView {
        SettingsView {
            values: crate::core::setting_values(&st.community).into_iter().collect(),
            agreements: st.community.agreements_text.clone(),
            resources: st.community.resources.clone(),
            resources_custom: st.community.resources_custom,
        }
    }
}

pub struct SuggestionsView {
    /// Each waiting suggestion; `None` where its words are held back (shown by number only).
    pub waiting: Vec<(u64, Option<String>)>,
    /// Suggestions never kept because their words matched the crisis rules, since
    /// a moderator last listed them in chat (only the count exists).
    pub held: u32,
}

impl SuggestionsView {
    pub fn read(st: &State) -> SuggestionsView {
        SuggestionsView {
            waiting: st
                .community
                .suggestions
                .iter()
                .map(|s| (s.id, (!crate::core::safety::held_back(&st.rules, &s.text)).then(|| s.text.clone())))
                .collect(),
            held: st.community.held_suggestions,
        }
    }
}

/// One circle on the schedule page: no member names, only counts.
pub struct Upcoming {
    pub title: String,
    pub when: String,
    pub shape: String,
    pub reminder: String,
    pub joined: usize,
    pub listed: bool,
}

pub struct ScheduleView {
    pub upcoming: Vec<Upcoming>,
    pub running: usize,
    pub timezone: String,
}

impl ScheduleView {
    pub fn read(st: &State, now: jiff::Timestamp) -> ScheduleView {
        let tz = crate::core::timeparse::zone(&st.community.settings.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
        let mut upcoming: Vec<(jiff::Timestamp, Upcoming)> = st
            .circles
            .values()
            .filter(|c| c.is_live() && !c.is_running())
            .filter_map(|c| c.scheduled_for.map(|at| (at, c)))
            .map(|(at, c)| {
                let mins = c.template.reminder_secs / 60;
                (
                    at,
                    Upcoming {
                        title: c.title.clone().unwrap_or_else(|| "A witnessing circle".to_owned()),
                        when: crate::core::timeparse::local_label(at, now, &tz),
                        shape: c.template.name.clone(),
                        reminder: if mins > 0 { format!("{mins} min before") } else { "none".to_owned() },
                        joined: c.seats.len(),
                        listed: c.listed,
                    },
                )
            })
            .collect();
        upcoming.sort_by_key(|(at, _)| *at);
        ScheduleView {
            upcoming: upcoming.into_iter().map(|(_, u)| u).collect(),
            running: st.circles.values().filter(|c| c.is_running()).count(),
            timezone: st.community.settings.timezone.clone(),
        }
    }
}

/// The pulse of one recently ended circle, as the host's status gives it.
pub struct Heard {
    pub title: String,
    pub pulse: crate::core::circle::Pulse,
}

pub struct CareView {
    pub resources: String,
    pub resources_custom: bool,
    pub heard: Vec<Heard>,
}

impl CareView {
    pub fn read(st: &State, now: jiff::Timestamp) -> CareView {
        let mut ended: Vec<_> = st.circles.values().filter(|c| c.phase == crate::core::circle::Phase::Ended).collect();
        ended.sort_by_key(|c| std::cmp::Reverse(c.ended_at));
        CareView {
            resources: st.community.resources.clone(),
            resources_custom: st.community.resources_custom,
            heard: ended
                .into_iter()
                .take(20)
                .map(|c| Heard { title: c.title.clone().unwrap_or_else(|| format!("Circle {}", c.id.0)), pulse: c.pulse(now) })
                .collect(),
        }
    }
}

/// One audit entry as the care page shows it.
pub struct Done {
    pub at: String,
    pub who: String,
    pub action: String,
    pub target: String,
}

// --- Pages -----------------------------------------------------------------

pub fn sign_in(token: &str) -> Markup {
    page(
        "Sign in",
        None,
        html! {
            h1 { "Sign in to the moderator page" }
            p { "This link signs you in once. If you didn't ask attune for it, close this page." }
            form method="post" action="/sign-in" {
                input type="hidden" name="token" value=(token);
                button type="submit" { "Sign in" }
            }
        },
    )
}

pub fn signed_out(why: Why) -> Markup {
    let (title, text) = match why {
        Why::NoSession => (
            "Please sign in",
            "You're not signed in, or your session ended after a while without use. Ask attune for a new link: /dashboard on Discord, !attune dashboard on Matrix, /dashboard in the console.",
        ),
        Why::NotModerator => (
            "Only moderators can use this page",
            "attune doesn't see you as a moderator of this community now, so you've been signed out. If that's a mistake, ask the people who run your community.",
        ),
        Why::LinkUsed => {
            ("This link doesn't work any more", "Each link works once, for ten minutes. Ask attune for a new one with /dashboard.")
        }
        Why::SignedOut => ("You're signed out", "Thank you for looking after your community. You can close this page."),
    };
    page(title, None, html! { h1 { (title) } p { (text) } })
}

pub fn stale_form() -> Markup {
    page(
        "Please try again",
        None,
        html! {
            h1 { "That form has expired" }
            p { "Nothing was changed. Go back, reload the page and try again." }
            p { a href="/decks" { "Back to decks" } }
        },
    )
}

pub fn other_origin() -> Markup {
    page(
        "Not from here",
        None,
        html! {
            h1 { "That form came from somewhere else" }
            p { "Nothing was changed. Open the moderator page from the link attune gave you and try again. (If you opened it at another address than the one attune is configured with, ask whoever runs attune to check server.public_url.)" }
        },
    )
}

pub fn trouble() -> Markup {
    page(
        "Not available",
        None,
        html! { h1 { "attune can't show this right now" } p { "Nothing was changed. Please try again in a moment." } },
    )
}

pub fn bad_upload() -> Markup {
    page(
        "Deck file not read",
        None,
        html! { h1 { "That deck file couldn't be read" } p { "Nothing was changed. Choose a deck file (.toml) of at most 256 KB and try again." } p { a href="/decks" { "Back to decks" } } },
    )
}

pub fn not_found(f: &Frame<'_>) -> Markup {
    page(
        "Not found",
        Some(f),
        html! { h1 { "Not found" } p { "It may have been removed or renamed. " a href="/decks" { "Back to decks" } } },
    )
}

pub fn decks(f: &Frame<'_>, decks: &Decks) -> Markup {
    page(
        "Decks",
        Some(f),
        html! {
            h1 { "Decks" }
            p.meta { "Signed in as " (f.name) ", for the community " code { (f.community) } ". Changes here are the same as the deck commands in chat, and show there at once." }
            table {
                thead { tr { th { "Deck" } th { "Cards" } th { "State" } th { "" } } }
                tbody {
                    @for d in &decks.items {
                        tr {
                            td { a href={ "/decks/" (path_part(&d.name)) } { (d.title) } br; span.meta { (d.name) } }
                            td { (d.cards) @if d.practices > 0 { " · " (d.practices) " practices" } }
                            td { @if d.enabled { "in use" } @else { "turned off" } }
                            td {
                                form.inline method="post" action={ "/decks/" (path_part(&d.name)) "/toggle" } {
                                    (csrf(f))
                                    input type="hidden" name="on" value=(if d.enabled { "0" } else { "1" });
                                    button type="submit" { @if d.enabled { "Turn off" } @else { "Turn on" } }
                                }
                                a href={ "/decks/" (path_part(&d.name)) "/export" } download { "Export" }
                            }
                        }
                    }
                }
            }
            h2 { "New deck" }
            form method="post" action="/deck-new" {
                (csrf(f))
                div.row {
                    div { label for="new-name" { "Name" } input type="text" id="new-name" name="name" required pattern="[a-z0-9][a-z0-9-]*" maxlength="40"; p.hint { "Lowercase letters, digits and dashes." } }
                    div { label for="new-title" { "Title" } (limited("new-title", "title", "", TextUse::Title.max_chars(), false, false)) }
                }
                button type="submit" { "Create deck" }
            }
            h2 { "Import a deck file" }
            form method="post" action="/deck-import" enctype="multipart/form-data" {
                (csrf(f))
                label for="import-file" { "Deck file (.toml)" }
                input type="file" id="import-file" name="file" accept=".toml,text/plain" required;
                p.hint { "A deck with the same name is replaced. Cards in words that match the crisis rules wait for you to confirm." }
                button type="submit" { "Import" }
            }
        },
    )
}

fn card_fields(prefix: &str, card: Option<&CardView>, new: bool) -> Markup {
    let limit = TextUse::Card.max_chars();
    let text = card.map(|c| c.text.as_str()).unwrap_or("");
    let guide = card.and_then(|c| c.guide.as_deref()).unwrap_or("");
    let theme = card.map(|c| c.theme.as_str()).unwrap_or("emotions");
    let intensity = card.map(|c| c.intensity.as_str()).unwrap_or("light");
    let cw = card.map(|c| c.cw.as_str()).unwrap_or("");
    let sharing = card.is_none_or(|c| c.kind == CardKind::Sharing);
    html! {
        div.row {
            @if new {
                div { label for={ (prefix) "-kind" } { "Kind" } (select(&format!("{prefix}-kind"), "kind", &KINDS, "sharing")) }
            }
            div { label for={ (prefix) "-theme" } { "Theme" } (select(&format!("{prefix}-theme"), "theme", &themes(), theme)) }
            div { label for={ (prefix) "-intensity" } { "Intensity" } (select(&format!("{prefix}-intensity"), "intensity", &INTENSITIES, intensity)) }
        }
        label for={ (prefix) "-text" } { "Prompt" }
        (limited(&format!("{prefix}-text"), "text", text, limit, true, true))
        @if sharing {
            label for={ (prefix) "-guide" } { "Listener guide" }
            p.hint { "For sharing cards: what listeners are invited to hold while someone speaks." }
            (limited(&format!("{prefix}-guide"), "guide", guide, limit, true, false))
        }
        label for={ (prefix) "-cw" } { "Content notes" }
        input type="text" id={ (prefix) "-cw" } name="cw" value=(cw) maxlength="200";
        p.hint { "Comma-separated words, like grief, family. A card with a note is shown to the speaker behind it, and circle shapes can leave such cards out." }
    }
}

pub fn deck(f: &Frame<'_>, d: &DeckView) -> Markup {
    let deck_path = path_part(&d.name);
    page(
        &d.title,
        Some(f),
        html! {
            p { a href="/decks" { "← All decks" } }
            h1 { (d.title) }
            p.meta { (d.name) " · " (d.cards.len()) @if d.cards.len() == 1 { " card · " } @else { " cards · " } @if d.enabled { "in use" } @else { "turned off" } }
            h2 { "Add a card" }
            form method="post" action={ "/decks/" (deck_path) "/cards" } {
                (csrf(f))
                (card_fields("new", None, true))
                button type="submit" { "Add card" }
            }
            h2 { "Cards" }
            @for c in &d.cards {
                article.card.off[!c.enabled] id=(c.id) {
                    h3 { (c.id) }
                    p.meta { (c.kind.as_str()) " · " (c.theme.as_str()) " · " (c.intensity.as_str())
                        @if !c.cw.is_empty() { " · notes: " (c.cw) }
                        @if !c.enabled { " · turned off" } }
                    form method="post" action={ "/cards/" (path_part(&c.id)) } {
                        (csrf(f))
                        (card_fields(&format!("card-{}", c.id), Some(c), false))
                        button type="submit" { "Save changes" }
                    }
                    form.inline method="post" action={ "/cards/" (path_part(&c.id)) "/toggle" } {
                        (csrf(f))
                        input type="hidden" name="deck" value=(d.name);
                        input type="hidden" name="on" value=(if c.enabled { "0" } else { "1" });
                        button type="submit" { @if c.enabled { "Turn off" } @else { "Turn on" } }
                    }
                    form.inline method="post" action={ "/cards/" (path_part(&c.id)) "/remove" } {
                        (csrf(f))
                        input type="hidden" name="deck" value=(d.name);
                        button type="submit" { "Remove" }
                    }
                }
            }
            @if !d.practices.is_empty() {
                h2 { "Practices" }
                ul { @for p in &d.practices { li { (p) } } }
            }
            h2 id="remove" { "Remove this deck" }
            form method="post" action={ "/decks/" (deck_path) "/remove" } {
                (csrf(f))
                label { input type="checkbox" name="confirm" value="yes"; " Yes, remove the whole deck and its cards" }
                button type="submit" { "Remove deck" }
            }
        },
    )
}

/// What each circle shape key does.
fn shape_key_help(key: &str) -> &'static str {
    match key {
        "turn" => "How long each sharing turn lasts.",
        "checkin" => "How long each check-in turn lasts.",
        "closing" => "How long each closing turn lasts.",
        "warning" => "How long before a turn ends the speaker is told time is nearly up.",
        "reflection" => "How long listeners may reflect back, when the speaker asks for it.",
        "extend" => "Extra time a speaker may ask for once (off: no extra time).",
        "rounds" => "How many sharing rounds a circle has.",
        "budget" => "A time budget for sharing: no new round starts once it's spent (off: none).",
        "min" => "The fewest members a circle starts with.",
        "max" => "The most members a circle takes.",
        "order" => "Who speaks next: join (in the order people joined), random, or hand (raised hands first).",
        "mode" => "The reflection mode a circle starts in.",
        "floor" => "While someone speaks: open (anyone may post), nudge (others are reminded), hold (only the speaker posts).",
        "late-join" => "Whether members may join after the circle has started.",
        "themes" => "The themes cards are drawn from (all, or a comma-separated list).",
        "intensity" => "The deepest cards drawn: light, medium or deep.",
        "exclude-cw" => "Content notes whose cards are never drawn (none, or a comma-separated list).",
        "arrival" => "Whether a short arrival pause opens the circle.",
        "reminder" => "How long before a scheduled circle members are reminded.",
        _ => "",
    }
}

pub fn shapes(f: &Frame<'_>, s: &Shapes) -> Markup {
    page(
        "Circle shapes",
        Some(f),
        html! {
            h1 { "Circle shapes" }
            p.meta { "A shape sets a circle's timings, size and rules. New circles use " strong { (s.default) } " unless the host picks another." }
            @for (name, keys) in &s.shapes {
                section id=(name) {
                    h2 { (name) }
                    table {
                        tbody {
                            @for (k, v) in keys {
                                tr { th scope="row" { (k) } td { (v) } td.meta { (shape_key_help(k)) } }
                            }
                        }
                    }
                    form method="post" action={ "/shapes/" (path_part(name)) } {
                        (csrf(f))
                        div.row {
                            div { label for={ "key-" (name) } { "Setting" } (select(&format!("key-{name}"), "key", &keys.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), "turn")) }
                            div { label for={ "value-" (name) } { "New value" } input type="text" id={ "value-" (name) } name="value" required maxlength="200"; p.hint { "Times like 3m or 90s; on or off; numbers." } }
                        }
                        button type="submit" { "Change" }
                    }
                }
            }
            h2 { "New shape" }
            form method="post" action="/shape-new" {
                (csrf(f))
                label for="shape-name" { "Name (one word)" }
                input type="text" id="shape-name" name="name" required maxlength="40";
                button type="submit" { "Create shape" }
            }
        },
    )
}

fn setting_help(key: &str) -> &'static str {
    match key {
        "timezone" => "The community's time zone, for scheduled circles and reminders (like Europe/Berlin).",
        "retention-days" => "Ended circles and audit entries older than this are deleted (1 to 3650).",
        "signpost-hours" => "A member is offered crisis resources at most once in this many hours (1 to 720).",
        "rate-per-minute" => "How many commands one member may send in a minute (5 to 600).",
        "reflect-history" => "A member isn't given a reflection card from their last this many (0 to 50).",
        "default-template" => "The circle shape new circles use.",
        "speaker-pings" => "Whether a turn's announcement notifies its speaker (on or off).",
        "who-opens" => "Who may open circles: anyone, hosts or moderators.",
        "open-per-member" => "How many circles one member may host at once (1 to 20).",
        "open-per-channel" => "How many circles may be open from one channel at once (1 to 50).",
        "agreements" => "The agreements members accept before their first circle; changing them asks everyone again.",
        _ => "",
    }
}

pub fn settings(f: &Frame<'_>, s: &SettingsView) -> Markup {
    page(
        "Settings",
        Some(f),
        html! {
            h1 { "Community settings" }
            table {
                tbody {
                    @for (k, v) in &s.values {
                        tr { th scope="row" { (k) } td { (v) } td.meta { (setting_help(k)) } }
                    }
                }
            }
            h2 { "Change a setting" }
            form method="post" action="/settings" {
                (csrf(f))
                div.row {
                    div { label for="setting-key" { "Setting" } (select("setting-key", "key", &s.values.iter().map(|(k, _)| *k).collect::<Vec<_>>(), "timezone")) }
                    div { label for="setting-value" { "New value" } (limited("setting-value", "value", "", TextUse::Agreements.max_chars(), true, true)) }
                }
                button type="submit" { "Save" }
            }
            h2 { "Agreements" }
            @match &s.agreements {
                Some(a) => { p.meta { "Your community's own agreements, shown to each member before their first circle:" } div.note { (a) } }
                None => p.meta { "attune's own agreements: what's shared stays here, speak from your own experience, listen without fixing, anyone may pass. Set your own with the agreements setting." },
            }
            h2 { "Crisis resources card" }
            p.meta { @if s.resources_custom { "Your community's own card." } @else { "attune's default card." } " Members get it privately when they ask, and when their words suggest they may need it." }
            div.note { (s.resources) }
            form method="post" action="/resources" {
                (csrf(f))
                label for="resources-text" { "Your community's card" }
                p.hint { "Helplines your members can reach, with their numbers or addresses (links are allowed here)." }
                (limited("resources-text", "text", &s.resources, TextUse::Resources.max_chars(), true, true))
                button type="submit" { "Save the card" }
            }
        },
    )
}

pub fn suggestions(f: &Frame<'_>, s: &SuggestionsView) -> Markup {
    page(
        "Suggestions",
        Some(f),
        html! {
            h1 { "Suggested cards" }
            @if s.held > 0 {
                p.note { (s.held) @if s.held == 1 { " suggestion was" } @else { " suggestions were" } " not kept: the words read like someone in crisis, so the member was offered the resources card privately instead. Nobody, you included, can read them." }
            }
            @if s.waiting.is_empty() { p { "No suggestions are waiting." } }
            @for (id, text) in &s.waiting {
                section {
                    h2 { "Suggestion " (id) }
                    @match text {
                        Some(t) => p { (t) },
                        None => p.meta { "This one was held back: its words match the crisis rules, so they aren't shown. It can only be declined." },
                    }
                    @if text.is_some() {
                        form.inline method="post" action={ "/suggestions/" (id) } {
                            (csrf(f)) input type="hidden" name="approve" value="1";
                            button type="submit" { "Approve" }
                        }
                    }
                    form.inline method="post" action={ "/suggestions/" (id) } {
                        (csrf(f)) input type="hidden" name="approve" value="0";
                        button type="submit" { "Decline" }
                    }
                }
            }
        },
    )
}

pub fn schedule(f: &Frame<'_>, s: &ScheduleView) -> Markup {
    page(
        "Schedule",
        Some(f),
        html! {
            h1 { "Upcoming circles" }
            p.meta { "Times in the community's time zone, " (s.timezone) ". " (s.running) @if s.running == 1 { " circle is" } @else { " circles are" } " under way now." }
            @if s.upcoming.is_empty() { p { "No circles are scheduled. A host schedules one in chat with /circle schedule." } }
            @else {
                table {
                    thead { tr { th { "Circle" } th { "When" } th { "Shape" } th { "Reminder" } th { "Joined" } } }
                    tbody {
                        @for u in &s.upcoming {
                            tr {
                                td { (u.title) @if u.listed { br; span.meta { "Listed in the server's Events" } } }
                                td { (u.when) }
                                td { (u.shape) }
                                td { (u.reminder) }
                                td { (u.joined) }
                            }
                        }
                    }
                }
            }
        },
    )
}

pub fn care(f: &Frame<'_>, c: &CareView, done: &[Done], damaged: &[String]) -> Markup {
    use crate::core::circle::Pulse;
    page(
        "Care",
        Some(f),
        html! {
            h1 { "Care" }
            h2 { "Crisis resources card" }
            p.meta { @if c.resources_custom { "Your community's own card." } @else { "attune's default card." } " Members get it privately when they ask, and when their words suggest they may need it. Change it on the " a href="/settings#resources-text" { "settings page" } "." }
            div.note { (c.resources) }
            h2 { "Did people feel heard?" }
            p.meta { "The average of the private \"did you feel heard?\" answers (1 to 5) of recently ended circles, shown only once at least three people answered and the answers are closed." }
            @if c.heard.is_empty() { p { "No circle has ended recently." } }
            @else {
                table {
                    tbody {
                        @for h in &c.heard {
                            tr {
                                td { (h.title) }
                                td {
                                    @match &h.pulse {
                                        Pulse::Open => "Answers are still coming in.",
                                        Pulse::Few(n) => { (n) " answered: too few to show an average." }
                                        Pulse::Average { count, average } => { (average) " from " (count) " answers" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            h2 { "What moderators and hosts did" }
            @if done.is_empty() { p { "Nothing yet." } }
            @else {
                table {
                    thead { tr { th { "When (UTC)" } th { "Who" } th { "What" } th { "On" } } }
                    tbody { @for d in done { tr { td { (d.at) } td { (d.who) } td { (d.action) } td { (d.target) } } } }
                }
            }
            h2 { "Records that couldn't be read" }
            @if damaged.is_empty() { p { "None: everything attune keeps for this community reads back." } }
            @else {
                p { "These were set aside; attune doctor names them too. Whoever runs attune can restore them from a backup." }
                ul { @for d in damaged { li { (d) } } }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_escaped_and_backs_stay_home() {
        assert_eq!(path_part("core-01"), "core-01");
        assert_eq!(path_part("a/b?c"), "a%2Fb%3Fc");
        assert_eq!(back_path("/shapes"), "/shapes");
        assert_eq!(back_path("/decks/core"), "/decks/core");
        assert_eq!(back_path("//evil.example"), "/decks");
        assert_eq!(back_path("https://evil.example"), "/decks");
        assert_eq!(back_path("/decks/../x"), "/decks");
    }

    #[test]
    fn text_never_becomes_markup() {
        let d = DeckView {
            name: "mine".into(),
            title: "<script>alert(1)</script>".into(),
            enabled: true,
            cards: vec![CardView {
                id: "mine-01".into(),
                kind: CardKind::Sharing,
                theme: Theme::Body,
                intensity: Intensity::Light,
                cw: "\"><img src=x>".into(),
                text: "<b>hi</b>".into(),
                guide: Some("</textarea><script>x</script>".into()),
                enabled: true,
            }],
            practices: Vec::new(),
        };
        let html = deck(&Frame { name: "<i>mod</i>", csrf: "t", notes: &[], back: "/decks", community: "console" }, &d).into_string();
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(!html.contains("<b>hi"));
        assert!(!html.contains("</textarea><script>"));
        assert!(!html.contains("\"><img"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    }
}
