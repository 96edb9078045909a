//! The moderator page, over real HTTP on 127.0.0.1, through the real engine
//! and SQLite: sign-in links, sessions, CSRF tokens, standing asked again,
//! escaping, and the headers that keep the page to itself.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use attune::config::Config;
use attune::core::command::Command;
use attune::core::effect::Arg;
use attune::core::ids::{CommunityId, MemberRef, Platform};
use attune::core::input::{Actor, Input, Place};
use attune::engine::passes::{PASS_LIFE, Passes};
use attune::engine::{Clock, Delivery, Engine, Outlets, Seed};
use attune::platform::Vouch;
use attune::store::Store;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::support::t0;

/// Who moderates where, as a platform would say; changeable mid-test.
#[derive(Default)]
struct Table {
    moderators: Mutex<BTreeMap<(String, String), bool>>,
}

impl Table {
    fn set(&self, community: &str, member: &str, moderator: bool) {
        self.moderators.lock().unwrap().insert((community.into(), member.into()), moderator);
    }
}

impl Vouch for Table {
    fn actor<'a>(&'a self, community: &'a CommunityId, member: &'a MemberRef) -> attune::platform::Vouched<'a> {
        Box::pin(async move {
            let moderator = *self.moderators.lock().unwrap().get(&(community.raw().to_owned(), member.user().to_owned()))?;
            Some(Actor { member: member.clone(), display: member.user().to_owned(), moderator, host: false })
        })
    }
}

struct Page {
    engine: Engine,
    passes: Arc<Passes>,
    table: Arc<Table>,
    base: String,
    rx: tokio::sync::mpsc::Receiver<attune::engine::Outgoing>,
    _dir: tempfile::TempDir,
}

fn community(raw: &str) -> CommunityId {
    CommunityId::parse(Platform::Console, raw).unwrap()
}

fn member(raw: &str) -> MemberRef {
    MemberRef::parse(Platform::Console, raw).unwrap()
}

async fn page() -> Page {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("attune.db")).await.unwrap();
    let (outlets, rx) = Outlets::single(Platform::Console);
    let (engine, _) =
        Engine::start(store, Clock::manual(t0()), Config::default().content().unwrap(), Seed::Fixed(1), outlets).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let passes = engine.open_page(&base);
    let table = Arc::new(Table::default());
    table.set("here", "mod", true);
    table.set("here", "mod2", true);
    table.set("here", "bob", false);
    table.set("there", "mod", false);
    table.set("there", "tess", true);
    let vouch: Arc<dyn Vouch> = table.clone();
    let router = attune::web::router(engine.clone(), passes.clone(), vec![(Platform::Console, vouch)]).unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    Page { engine, passes, table, base, rx, _dir: dir }
}

pub struct Reply {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn cookie(&self) -> Option<String> {
        let set = self.headers.get("set-cookie")?.to_str().ok()?;
        let pair = set.split(';').next()?;
        (!pair.ends_with('=')).then(|| pair.to_owned())
    }
}

pub async fn send(method: &str, url: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> Reply {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<bytes::Bytes>>();
    let body: String = form.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&");
    let mut req = Request::builder().method(method).uri(url).header("content-type", "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let res = client.request(req.body(Full::new(bytes::Bytes::from(body))).unwrap()).await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    Reply { status, headers, body }
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

/// What `dashboard` answers `who` in `place`: the link, if one was given.
async fn ask_link(e: &Engine, c: &str, who: &str, moderator: bool) -> Result<String, String> {
    let actor = Actor { member: member(who), display: who.into(), moderator, host: false };
    let answer = e.submit(&community(c), Input::Command { actor, place: Place::Private, command: Command::Dashboard }, None).await.unwrap();
    let line = answer
        .deliveries
        .iter()
        .find_map(|d| match d {
            Delivery::Whisper { to, message } if *to == member(who) => message.lines.first().cloned(),
            _ => None,
        })
        .expect("a private answer");
    let link = line.args.iter().find_map(|(k, a)| match (k, a) {
        (&"link", Arg::Linkable(l)) => Some(l.clone()),
        _ => None,
    });
    link.ok_or_else(|| line.id.to_owned())
}

pub fn token(link: &str) -> String {
    link.rsplit('/').next().unwrap().to_owned()
}

/// Signs `who` in to community `c` from a fresh link; the session cookie and the page's form token.
async fn sign_in(p: &Page, c: &str, who: &str) -> (String, String) {
    let link = ask_link(&p.engine, c, who, true).await.expect("a link");
    let shown = send("GET", &link, None, &[]).await;
    assert_eq!(shown.status, 200);
    assert!(shown.body.contains("Sign in"), "opening the link only shows a button");
    let signed = send("POST", &format!("{}/sign-in", p.base), None, &[("token", &token(&link))]).await;
    assert_eq!(signed.status, 303, "{}", signed.body);
    let cookie = signed.cookie().expect("a session cookie");
    let decks = send("GET", &format!("{}/decks", p.base), Some(&cookie), &[]).await;
    assert_eq!(decks.status, 200);
    let csrf = csrf_of(&decks.body);
    (cookie, csrf)
}

pub fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a form token") + "name=\"csrf\" value=\"".len();
    html[at..].split('"').next().unwrap().to_owned()
}

async fn deck_names(e: &Engine, c: &str) -> Vec<String> {
    e.view(&community(c), |st| st.decks.keys().map(|k| k.to_string()).collect()).await.unwrap()
}

#[tokio::test]
async fn a_link_signs_in_once_and_its_cookie_is_strict() {
    let p = page().await;
    let link = ask_link(&p.engine, "here", "mod", true).await.unwrap();
    assert!(link.starts_with(&format!("{}/sign-in/", p.base)));
    // A previewer that fetches the link uses nothing.
    assert_eq!(send("GET", &link, None, &[]).await.status, 200);
    assert_eq!(send("GET", &link, None, &[]).await.status, 200);
    let first = send("POST", &format!("{}/sign-in", p.base), None, &[("token", &token(&link))]).await;
    assert_eq!(first.status, 303);
    let set = first.headers.get("set-cookie").unwrap().to_str().unwrap().to_owned();
    for part in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(part), "{set}");
    }
    assert!(!set.contains("Secure"), "plain http on this machine: not Secure");
    let again = send("POST", &format!("{}/sign-in", p.base), None, &[("token", &token(&link))]).await;
    assert_eq!(again.status, 403, "a used link");
    assert!(again.body.contains("doesn&#39;t work any more") || again.body.contains("doesn't work any more"), "{}", again.body);
    assert!(again.cookie().is_none());
}

#[tokio::test]
async fn an_expired_or_unknown_link_signs_nobody_in() {
    let p = page().await;
    let link = ask_link(&p.engine, "here", "mod", true).await.unwrap();
    p.passes.age(PASS_LIFE);
    let late = send("POST", &format!("{}/sign-in", p.base), None, &[("token", &token(&link))]).await;
    assert_eq!(late.status, 403);
    assert!(late.cookie().is_none());
    let made_up = send("POST", &format!("{}/sign-in", p.base), None, &[("token", &"0".repeat(64))]).await;
    assert_eq!(made_up.status, 403);
    let empty = send("POST", &format!("{}/sign-in", p.base), None, &[]).await;
    assert_eq!(empty.status, 403);
}

#[tokio::test]
async fn only_moderators_get_links_and_only_moderators_of_that_community_sign_in() {
    let p = page().await;
    // The core refuses a member who isn't a moderator: no link at all.
    assert_eq!(ask_link(&p.engine, "here", "bob", false).await, Err("refusal-not-moderator".to_owned()));
    // A link for a community where its holder doesn't moderate (now) signs nobody in.
    let elsewhere = p.passes.mint(&community("there"), &member("mod")).unwrap();
    let refused = send("POST", &format!("{}/sign-in", p.base), None, &[("token", &token(&elsewhere))]).await;
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("Only moderators"), "{}", refused.body);
    // A link made for a member who isn't a moderator.
    let bobs = p.passes.mint(&community("here"), &member("bob")).unwrap();
    assert_eq!(send("POST", &format!("{}/sign-in", p.base), None, &[("token", &token(&bobs))]).await.status, 403);
}

#[tokio::test]
async fn a_moderator_who_stops_being_one_is_signed_out_at_the_next_click() {
    let p = page().await;
    let (cookie, csrf) = sign_in(&p, "here", "mod").await;
    p.table.set("here", "mod", false);
    let before = deck_names(&p.engine, "here").await;
    let tried = send("POST", &format!("{}/deck-new", p.base), Some(&cookie), &[("csrf", &csrf), ("name", "late"), ("title", "")]).await;
    assert_eq!(tried.status, 403);
    assert!(tried.body.contains("Only moderators"));
    assert_eq!(deck_names(&p.engine, "here").await, before, "nothing changed");
    // The session is gone, even once they moderate again.
    p.table.set("here", "mod", true);
    assert_eq!(send("GET", &format!("{}/decks", p.base), Some(&cookie), &[]).await.status, 401);
}

#[tokio::test]
async fn a_form_without_its_token_changes_nothing() {
    let p = page().await;
    let (cookie, csrf) = sign_in(&p, "here", "mod").await;
    let before = deck_names(&p.engine, "here").await;
    let url = format!("{}/deck-new", p.base);
    let missing = send("POST", &url, Some(&cookie), &[("name", "sneaky"), ("title", "")]).await;
    assert_eq!(missing.status, 403);
    let wrong = send("POST", &url, Some(&cookie), &[("csrf", &"f".repeat(64)), ("name", "sneaky"), ("title", "")]).await;
    assert_eq!(wrong.status, 403);
    let cut = send("POST", &url, Some(&cookie), &[("csrf", &csrf[..10]), ("name", "sneaky"), ("title", "")]).await;
    assert_eq!(cut.status, 403);
    assert_eq!(deck_names(&p.engine, "here").await, before);
    // With it, the same change goes in, through the core.
    let made = send("POST", &url, Some(&cookie), &[("csrf", &csrf), ("name", "ours"), ("title", "Our deck")]).await;
    assert_eq!(made.status, 303);
    assert!(deck_names(&p.engine, "here").await.contains(&"ours".to_owned()));
    let shown = send("GET", &format!("{}/decks", p.base), Some(&cookie), &[]).await;
    assert!(shown.body.contains("Our deck"));
    assert!(shown.body.contains("Created the deck ours."), "the core's own answer is shown: {}", shown.body);
}

#[tokio::test]
async fn another_moderators_cookie_with_my_token_is_refused() {
    let p = page().await;
    let (mine, my_csrf) = sign_in(&p, "here", "mod").await;
    let (theirs, their_csrf) = sign_in(&p, "here", "mod2").await;
    assert_ne!(mine, theirs);
    assert_ne!(my_csrf, their_csrf, "each session has its own form token");
    let url = format!("{}/deck-new", p.base);
    let replayed = send("POST", &url, Some(&theirs), &[("csrf", &my_csrf), ("name", "mixed"), ("title", "")]).await;
    assert_eq!(replayed.status, 403);
    assert!(!deck_names(&p.engine, "here").await.contains(&"mixed".to_owned()));
    // Each session acts as its own moderator, in its own community only.
    let (tess, tess_csrf) = sign_in(&p, "there", "tess").await;
    let made = send("POST", &url, Some(&tess), &[("csrf", &tess_csrf), ("name", "theirs"), ("title", "")]).await;
    assert_eq!(made.status, 303);
    assert!(deck_names(&p.engine, "there").await.contains(&"theirs".to_owned()));
    assert!(!deck_names(&p.engine, "here").await.contains(&"theirs".to_owned()));
}

#[tokio::test]
async fn a_session_ends_at_sign_out() {
    let p = page().await;
    let (cookie, csrf) = sign_in(&p, "here", "mod").await;
    let out = send("POST", &format!("{}/sign-out", p.base), Some(&cookie), &[("csrf", &csrf)]).await;
    assert_eq!(out.status, 200);
    assert!(out.body.contains("signed out"));
    let cleared = out.headers.get("set-cookie").unwrap().to_str().unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert_eq!(send("GET", &format!("{}/decks", p.base), Some(&cookie), &[]).await.status, 401);
    let after = send("POST", &format!("{}/deck-new", p.base), Some(&cookie), &[("csrf", &csrf), ("name", "after"), ("title", "")]).await;
    assert_eq!(after.status, 401);
    assert!(!deck_names(&p.engine, "here").await.contains(&"after".to_owned()));
}

#[tokio::test]
async fn a_card_that_tries_html_is_shown_as_text_and_nothing_loads_from_elsewhere() {
    let p = page().await;
    let (cookie, csrf) = sign_in(&p, "here", "mod").await;
    send("POST", &format!("{}/deck-new", p.base), Some(&cookie), &[("csrf", &csrf), ("name", "web"), ("title", "")]).await;
    let hostile = "<script>alert('x')</script><img src=https://evil.example/a.png>";
    let added = send(
        "POST",
        &format!("{}/decks/web/cards", p.base),
        Some(&cookie),
        &[
            ("csrf", &csrf),
            ("kind", "sharing"),
            ("theme", "body"),
            ("intensity", "light"),
            ("text", "What does your body say?"),
            ("guide", hostile),
            ("cw", ""),
        ],
    )
    .await;
    assert_eq!(added.status, 303);
    let shown = send("GET", &format!("{}/decks/web", p.base), Some(&cookie), &[]).await;
    // The core refuses markup in a card, with its own words, and nothing is added.
    assert!(shown.body.contains("note refused") && shown.body.contains("markup"), "{}", shown.body);
    assert!(!shown.body.contains("<script>alert"), "{}", shown.body);
    assert!(!shown.body.contains("<img src=https"));
    assert!(!shown.body.contains("id=\"web-01\""), "no card was added");
    // What the core lets through is still only text on the page.
    let plain = "Tom & Jerry's \"best\" day";
    send(
        "POST",
        &format!("{}/decks/web/cards", p.base),
        Some(&cookie),
        &[
            ("csrf", &csrf),
            ("kind", "sharing"),
            ("theme", "body"),
            ("intensity", "light"),
            ("text", plain),
            ("guide", "Just listen & be."),
            ("cw", ""),
        ],
    )
    .await;
    let shown = send("GET", &format!("{}/decks/web", p.base), Some(&cookie), &[]).await;
    assert!(shown.body.contains("id=\"web-01\""), "{}", shown.body);
    assert!(shown.body.contains("Tom &amp; Jerry's &quot;best&quot; day"), "{}", shown.body);
    assert!(shown.body.contains("Just listen &amp; be."));
    let csp = shown.headers.get("content-security-policy").unwrap().to_str().unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'") && csp.contains("form-action 'self'"), "{csp}");
    assert_eq!(shown.headers.get("referrer-policy").unwrap(), "no-referrer");
    assert_eq!(shown.headers.get("cache-control").unwrap(), "no-store");
    assert!(!shown.body.contains("http://") && !shown.body.contains("https://"), "the page names no other origin");
}

#[tokio::test]
async fn a_card_is_added_with_its_notes_and_edited_all_or_nothing() {
    let p = page().await;
    let (cookie, csrf) = sign_in(&p, "here", "mod").await;
    send("POST", &format!("{}/deck-new", p.base), Some(&cookie), &[("csrf", &csrf), ("name", "web"), ("title", "")]).await;
    let form = [
        ("csrf", csrf.as_str()),
        ("kind", "sharing"),
        ("theme", "body"),
        ("intensity", "medium"),
        ("text", "What is your body holding tonight?"),
        ("guide", "Listen for what the body says, without fixing."),
        ("cw", "grief, family"),
    ];
    assert_eq!(send("POST", &format!("{}/decks/web/cards", p.base), Some(&cookie), &form).await.status, 303);
    let card = |e: Engine| async move { e.view(&community("here"), |st| attune_card(st, "web-01")).await.unwrap() };
    let c = card(p.engine.clone()).await.expect("the card");
    assert_eq!(c.0, vec!["grief".to_owned(), "family".to_owned()]);
    // One bad field refuses the whole edit.
    let edit = send(
        "POST",
        &format!("{}/cards/web-01", p.base),
        Some(&cookie),
        &[("csrf", &csrf), ("text", "A new question?"), ("theme", "sadness"), ("intensity", "medium"), ("cw", "grief, family")],
    )
    .await;
    assert_eq!(edit.status, 303);
    assert_eq!(card(p.engine.clone()).await.unwrap().1, "What is your body holding tonight?", "nothing changed");
    let shown = send("GET", &format!("{}/decks/web", p.base), Some(&cookie), &[]).await;
    assert!(shown.body.contains("note refused"), "the refusal is shown as one");
    let edit = send(
        "POST",
        &format!("{}/cards/web-01", p.base),
        Some(&cookie),
        &[("csrf", &csrf), ("text", "A new question?"), ("theme", "rest"), ("intensity", "medium"), ("cw", "")],
    )
    .await;
    assert_eq!(edit.status, 303);
    let c = card(p.engine.clone()).await.unwrap();
    assert_eq!((c.0.len(), c.1.as_str()), (0, "A new question?"));
}

fn attune_card(st: &attune::core::state::State, id: &str) -> Option<(Vec<String>, String)> {
    st.decks.values().flat_map(|d| &d.cards).find(|c| c.id.as_str() == id).map(|c| (c.cw.clone(), c.text.clone()))
}

#[tokio::test]
async fn without_the_page_dashboard_says_it_is_off() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("attune.db")).await.unwrap();
    let (outlets, _rx) = Outlets::single(Platform::Console);
    let (engine, _) =
        Engine::start(store, Clock::manual(t0()), Config::default().content().unwrap(), Seed::Fixed(1), outlets).await.unwrap();
    assert_eq!(ask_link(&engine, "here", "mod", true).await, Err("dashboard-off".to_owned()));
}

async fn as_mod(e: &Engine, c: &str, line: &str) {
    let actor = Actor { member: member("mod"), display: "mod".into(), moderator: true, host: false };
    let place = Place::Channel(attune::core::ids::ChannelId::parse(Platform::Console, "circle").unwrap());
    let command = attune::core::command::parse(line).unwrap();
    e.submit(&community(c), Input::Command { actor, place, command }, None).await.unwrap();
}

#[tokio::test]
async fn the_schedule_and_care_pages_show_counts_never_names() {
    let p = page().await;
    let (cookie, _) = sign_in(&p, "here", "mod").await;
    let empty = send("GET", &format!("{}/schedule", p.base), Some(&cookie), &[]).await;
    assert!(empty.body.contains("No circles are scheduled"), "{}", empty.body);
    as_mod(&p.engine, "here", "circle open Thursday listening").await;
    as_mod(&p.engine, "here", "circle schedule in 2h").await;
    let shown = send("GET", &format!("{}/schedule", p.base), Some(&cookie), &[]).await;
    assert_eq!(shown.status, 200);
    assert!(shown.body.contains("Thursday listening"), "{}", shown.body);
    assert!(shown.body.contains("standard"));
    let care = send("GET", &format!("{}/care", p.base), Some(&cookie), &[]).await;
    assert_eq!(care.status, 200);
    assert!(care.body.contains("dashboard link"), "the audit log shows the sign-in link being given: {}", care.body);
    assert!(care.body.contains("circle schedule") || care.body.contains("circle open"), "{}", care.body);
    assert!(care.body.contains("None: everything attune keeps"));
    assert!(care.body.contains("not a crisis service") || care.body.contains("crisis"), "the resources card is shown");
}

#[tokio::test]
async fn a_deck_file_is_imported_with_the_form_token_only() {
    let p = page().await;
    let (cookie, csrf) = sign_in(&p, "here", "mod").await;
    let file = "[deck]\nname = \"imported\"\ntitle = \"Imported deck\"\ndescription = \"\"\n\n[[cards]]\nid = \"imported-01\"\nkind = \"check-in\"\ntheme = \"rest\"\nintensity = \"light\"\ntext = \"What would rest look like for you this week?\"\n";
    let multipart = |csrf: Option<&str>| {
        let mut body = String::new();
        if let Some(t) = csrf {
            body.push_str(&format!("--XB\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{t}\r\n"));
        }
        body.push_str(&format!(
            "--XB\r\nContent-Disposition: form-data; name=\"file\"; filename=\"imported.toml\"\r\nContent-Type: application/toml\r\n\r\n{file}\r\n--XB--\r\n"
        ));
        body
    };
    let post = |body: String| {
        let cookie = cookie.clone();
        let url = format!("{}/deck-import", p.base);
        async move {
            let client = Client::builder(TokioExecutor::new()).build_http::<Full<bytes::Bytes>>();
            let req = Request::post(url)
                .header("content-type", "multipart/form-data; boundary=XB")
                .header("cookie", cookie)
                .body(Full::new(bytes::Bytes::from(body)))
                .unwrap();
            client.request(req).await.unwrap().status().as_u16()
        }
    };
    assert_eq!(post(multipart(None)).await, 403, "no token, no import");
    assert!(!deck_names(&p.engine, "here").await.contains(&"imported".to_owned()));
    assert_eq!(post(multipart(Some(&csrf))).await, 303);
    assert!(deck_names(&p.engine, "here").await.contains(&"imported".to_owned()));
    let shown = send("GET", &format!("{}/decks", p.base), Some(&cookie), &[]).await;
    assert!(shown.body.contains("Imported deck"), "{}", shown.body);
}

#[tokio::test]
async fn line_breaks_from_a_browser_are_kept_and_a_deck_called_new_opens() {
    let p = page().await;
    let (cookie, csrf) = sign_in(&p, "here", "mod").await;
    send("POST", &format!("{}/deck-new", p.base), Some(&cookie), &[("csrf", &csrf), ("name", "new"), ("title", "")]).await;
    let form = [
        ("csrf", csrf.as_str()),
        ("kind", "sharing"),
        ("theme", "body"),
        ("intensity", "light"),
        ("text", "What is here for you?\r\nTake your time."),
        ("guide", "Listen.\r\nNo fixing."),
        ("cw", ""),
    ];
    assert_eq!(send("POST", &format!("{}/decks/new/cards", p.base), Some(&cookie), &form).await.status, 303);
    let text = p.engine.view(&community("here"), |st| attune_card(st, "new-01")).await.unwrap().expect("added").1;
    assert_eq!(text, "What is here for you?\nTake your time.");
    let shown = send("GET", &format!("{}/decks/new", p.base), Some(&cookie), &[]).await;
    assert_eq!(shown.status, 200, "a deck named like a route opens");
    // The unchanged multi-line text, as a browser sends it back, is no change: only the theme changes.
    let edit = [
        ("csrf", csrf.as_str()),
        ("text", "What is here for you?\r\nTake your time."),
        ("guide", "Listen.\r\nNo fixing."),
        ("theme", "rest"),
        ("intensity", "light"),
        ("cw", ""),
    ];
    assert_eq!(send("POST", &format!("{}/cards/new-01", p.base), Some(&cookie), &edit).await.status, 303);
    let shown = send("GET", &format!("{}/decks/new", p.base), Some(&cookie), &[]).await;
    assert!(shown.body.contains("Updated card new-01"), "{}", shown.body);
}

#[tokio::test]
async fn approving_a_suggestion_on_the_page_tells_the_member_through_the_platform() {
    let mut p = page().await;
    let cara = Actor { member: member("cara"), display: "cara".into(), moderator: false, host: false };
    let command = attune::core::command::parse("suggest What are you grateful for in your body today?").unwrap();
    p.engine.submit(&community("here"), Input::Command { actor: cara, place: Place::Private, command }, None).await.unwrap();
    let (cookie, csrf) = sign_in(&p, "here", "mod").await;
    let listed = send("GET", &format!("{}/suggestions", p.base), Some(&cookie), &[]).await;
    assert!(listed.body.contains("grateful for in your body"), "{}", listed.body);
    assert!(!listed.body.contains("cara"), "the page doesn't say who suggested it");
    while p.rx.try_recv().is_ok() {}
    let approved = send("POST", &format!("{}/suggestions/1", p.base), Some(&cookie), &[("csrf", &csrf), ("approve", "1")]).await;
    assert_eq!(approved.status, 303);
    let told = std::iter::from_fn(|| p.rx.try_recv().ok())
        .any(|o| matches!(o.delivery, Delivery::Whisper { ref to, .. } if *to == member("cara")));
    assert!(told, "cara hears her card was added, as from chat");
    let shown = send("GET", &format!("{}/suggestions", p.base), Some(&cookie), &[]).await;
    assert!(shown.body.contains("No suggestions are waiting"), "{}", shown.body);
}

#[tokio::test]
async fn a_form_sent_from_another_origin_changes_nothing() {
    let p = page().await;
    let (cookie, csrf) = sign_in(&p, "here", "mod").await;
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<bytes::Bytes>>();
    let post = |origin: String| {
        let site = if origin == p.base { "same-origin" } else { "cross-site" };
        let req = Request::post(format!("{}/deck-new", p.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", &cookie)
            .header("origin", origin)
            .header("sec-fetch-site", site)
            .body(Full::new(bytes::Bytes::from(format!("csrf={csrf}&name=elsewhere&title="))))
            .unwrap();
        client.request(req)
    };
    let refused = post("http://evil.example".into()).await.unwrap();
    assert_eq!(refused.status(), 403);
    // A page elsewhere that hides its origin is still a page of another site.
    let hidden = post("null".into()).await.unwrap();
    assert_eq!(hidden.status(), 403);
    assert!(refused.headers().get("content-security-policy").is_some());
    assert!(!deck_names(&p.engine, "here").await.contains(&"elsewhere".to_owned()));
    let ours = post(p.base.clone()).await.unwrap();
    assert_eq!(ours.status(), 303);
    assert!(deck_names(&p.engine, "here").await.contains(&"elsewhere".to_owned()));
}

#[tokio::test]
async fn the_resources_card_is_set_on_the_page_as_in_chat_and_never_emptied() {
    let p = page().await;
    let (cookie, csrf) = sign_in(&p, "here", "mod").await;
    // Saving the default card as it is keeps it the default.
    let default = p.engine.view(&community("here"), |st| st.community.resources.clone()).await.unwrap();
    send("POST", &format!("{}/resources", p.base), Some(&cookie), &[("csrf", &csrf), ("text", &default)]).await;
    assert!(!p.engine.view(&community("here"), |st| st.community.resources_custom).await.unwrap(), "still the default");
    let card = "In the UK and Ireland, Samaritans answer day and night: 116 123.";
    let set = send("POST", &format!("{}/resources", p.base), Some(&cookie), &[("csrf", &csrf), ("text", card)]).await;
    assert_eq!(set.status, 303);
    let now = p.engine.view(&community("here"), |st| (st.community.resources.clone(), st.community.resources_custom)).await.unwrap();
    assert_eq!(now, (card.to_owned(), true));
    let empty = send("POST", &format!("{}/resources", p.base), Some(&cookie), &[("csrf", &csrf), ("text", "  ")]).await;
    assert_eq!(empty.status, 303);
    let shown = send("GET", &format!("{}/settings", p.base), Some(&cookie), &[]).await;
    assert!(shown.body.contains("can&#39;t be empty") || shown.body.contains("can't be empty"), "{}", shown.body);
    let after = p.engine.view(&community("here"), |st| st.community.resources.clone()).await.unwrap();
    assert_eq!(after, card, "nothing changed");
}
