//! The moderator page: decks and cards, circle shapes, settings and
//! suggestions, in a browser, for moderators signed in from the bot.
//!
//! - **Sign-in.** `dashboard` in chat gives a moderator a link that works once,
//!   for ten minutes (`engine::passes`). Opening it shows a button; pressing it
//!   uses the link (so a link previewer that fetches it uses nothing) and opens
//!   a session: a random id in an HttpOnly, SameSite=Strict cookie (Secure, and
//!   `__Host-`, when `server.public_url` is `https://`), ended by sign-out, by
//!   [`IDLE`] without a click, or by a restart (sessions are memory only).
//! - **The core stays the judge.** Every change is the same [`Command`] the
//!   chat command makes, submitted to the engine as that moderator; the page
//!   shows the core's own answer. Pages are read from the community's state in
//!   its actor's turn (`Engine::view`), never from the store.
//! - **Standing is asked every time.** Before each page and change the
//!   platform says who the member is now ([`Vouch`]); one who stopped
//!   moderating is signed out.
//! - **Forms carry a per-session token** checked before anything is done.
//! - **Nothing leaves for elsewhere.** Every response forbids other origins,
//!   framing and referrers; everything shown is escaped by the template.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use crate::core::command::{Command, DeckCmd, TemplateCmd};
use crate::core::effect::Message;
use crate::core::ids::{CommunityId, MemberRef, Platform};
use crate::core::input::{Actor, Input, Place};
use crate::engine::passes::{Passes, secret};
use crate::engine::{Delivery, Engine, EngineError};
use crate::platform::Vouch;
use crate::text::Catalogue;

mod view;

/// A session ends after this long without a click.
pub const IDLE: Duration = Duration::from_secs(30 * 60);
/// Sessions in one community at most; its longest idle goes first past this.
const MOST_SESSIONS_HERE: usize = 64;
/// Sessions in all at most; the longest idle anywhere goes first past this.
const MOST_SESSIONS: usize = 8192;
/// The largest deck file the page takes (the chat commands take the same).
const MOST_UPLOAD: usize = 256 * 1024;

/// Who a session is, and what it may still do.
struct Session {
    community: CommunityId,
    member: MemberRef,
    csrf: String,
    seen: Instant,
    /// What the last change answered, shown on the next page.
    notes: Vec<view::Note>,
}

struct Web {
    engine: Engine,
    passes: Arc<Passes>,
    vouches: HashMap<Platform, Arc<dyn Vouch>>,
    sessions: Mutex<HashMap<String, Session>>,
    secure: bool,
    /// `scheme://host[:port]` of the public address: where forms must come from.
    origin: String,
    catalogue: Catalogue,
}

/// A signed-in moderator, checked for this request.
struct Who {
    sid: String,
    community: CommunityId,
    actor: Actor,
    csrf: String,
    notes: Vec<view::Note>,
}

/// The page's routes, for the listener to serve beside `/metrics`.
/// `passes` is what `Engine::open_page` gave; `vouches` says, per platform,
/// who a member is now.
pub fn router(engine: Engine, passes: Arc<Passes>, vouches: Vec<(Platform, Arc<dyn Vouch>)>) -> Result<Router, crate::text::TextError> {
    let secure = passes.public_url().starts_with("https://");
    let origin = origin_of(passes.public_url());
    let web = Arc::new(Web {
        origin,
        engine,
        passes,
        vouches: vouches.into_iter().collect(),
        sessions: Mutex::new(HashMap::new()),
        secure,
        catalogue: Catalogue::english()?,
    });
    let router = Router::new()
        .route("/", get(home))
        .route("/style.css", get(style))
        .route("/page.js", get(script))
        .route("/sign-in/{token}", get(sign_in_page))
        .route("/sign-in", post(sign_in))
        .route("/sign-out", post(sign_out))
        .route("/decks", get(decks))
        .route("/deck-new", post(deck_new))
        .route("/deck-import", post(deck_import))
        .route("/decks/{name}", get(deck))
        .route("/decks/{name}/toggle", post(deck_toggle))
        .route("/decks/{name}/remove", post(deck_remove))
        .route("/decks/{name}/cards", post(card_add))
        .route("/decks/{name}/export", get(deck_export))
        .route("/cards/{id}", post(card_edit))
        .route("/cards/{id}/toggle", post(card_toggle))
        .route("/cards/{id}/remove", post(card_remove))
        .route("/shapes", get(shapes))
        .route("/shape-new", post(shape_new))
        .route("/shapes/{name}", post(shape_set))
        .route("/settings", get(settings))
        .route("/settings", post(setting_set))
        .route("/resources", post(resources_set))
        .route("/suggestions", get(suggestions))
        .route("/suggestions/{id}", post(suggestion_decide))
        .route("/schedule", get(schedule))
        .route("/care", get(care))
        .route("/confirm", post(confirm))
        .layer(axum::extract::DefaultBodyLimit::max(MOST_UPLOAD + 4096))
        .layer(axum::middleware::from_fn_with_state(web.clone(), same_origin))
        .layer(axum::middleware::map_response(guard_headers))
        .with_state(web);
    Ok(router)
}

/// A form sent from a page of another site changes nothing. Browsers say where a
/// POST came from: `Sec-Fetch-Site` (cross-site or same-site is refused), and
/// `Origin` (another origin is refused; our pages send no referrer, so a
/// browser says `null` for them). A request that says neither (not a browser's
/// form) still needs its session's form token.
async fn same_origin(State(web): Shared, request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    if request.method() == axum::http::Method::POST {
        let h = request.headers();
        let site = h.get("sec-fetch-site").map(HeaderValue::as_bytes);
        let from_elsewhere = matches!(site, Some(b"cross-site" | b"same-site"))
            || h.get(header::ORIGIN).is_some_and(|o| o.as_bytes() != b"null" && o.as_bytes() != web.origin.as_bytes());
        if from_elsewhere {
            return web.page_response(StatusCode::FORBIDDEN, view::other_origin());
        }
    }
    next.run(request).await
}

/// Every response: nothing from other origins, no framing, no referrer, no caching.
async fn guard_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

impl Web {
    fn cookie_name(&self) -> &'static str {
        if self.secure { "__Host-attune_session" } else { "attune_session" }
    }

    fn session_id(&self, headers: &HeaderMap) -> Option<String> {
        let name = self.cookie_name();
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_owned())
    }

    fn cookie(&self, sid: &str) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        // No Max-Age: the cookie lasts while the browser is open, and the server ends
        // the session after IDLE without a click (a fixed age would end it mid-work).
        format!("{}={sid}; Path=/; HttpOnly; SameSite=Strict{secure}", self.cookie_name())
    }

    fn cleared_cookie(&self) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!("{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}", self.cookie_name())
    }

    /// Who the member is now on their platform, if they still moderate the community.
    async fn moderator(&self, community: &CommunityId, member: &MemberRef) -> Option<Actor> {
        let vouch = self.vouches.get(&member.platform())?;
        vouch.actor(community, member).await.filter(|a| a.moderator)
    }

    /// The signed-in moderator behind this request, or the page that says why not.
    async fn who(&self, headers: &HeaderMap) -> Result<Who, Response> {
        let Some(sid) = self.session_id(headers) else { return Err(self.signed_out(StatusCode::UNAUTHORIZED, view::Why::NoSession)) };
        let found = {
            let Ok(mut sessions) = self.sessions.lock() else { return Err(self.trouble()) };
            match sessions.get_mut(&sid) {
                Some(s) if s.seen.elapsed() < IDLE => {
                    s.seen = Instant::now();
                    Some((s.community.clone(), s.member.clone(), s.csrf.clone(), std::mem::take(&mut s.notes)))
                }
                Some(_) => {
                    sessions.remove(&sid);
                    None
                }
                None => None,
            }
        };
        let Some((community, member, csrf, notes)) = found else {
            return Err(self.signed_out(StatusCode::UNAUTHORIZED, view::Why::NoSession));
        };
        match self.moderator(&community, &member).await {
            Some(actor) => Ok(Who { sid, community, actor, csrf, notes }),
            None => {
                self.end(&sid);
                Err(self.signed_out(StatusCode::FORBIDDEN, view::Why::NotModerator))
            }
        }
    }

    /// The moderator behind a form, when its token is this session's.
    async fn who_posting(&self, headers: &HeaderMap, form: &HashMap<String, String>) -> Result<Who, Response> {
        let who = self.who(headers).await?;
        let given = form.get("csrf").map(String::as_str).unwrap_or("");
        if !same(given.as_bytes(), who.csrf.as_bytes()) {
            return Err(self.page_response(StatusCode::FORBIDDEN, view::stale_form()));
        }
        Ok(who)
    }

    fn end(&self, sid: &str) {
        if let Ok(mut sessions) = self.sessions.lock() {
            sessions.remove(sid);
        }
    }

    fn note(&self, sid: &str, notes: Vec<view::Note>) {
        if let Ok(mut sessions) = self.sessions.lock()
            && let Some(s) = sessions.get_mut(sid)
        {
            s.notes = notes;
        }
    }

    fn page_response(&self, status: StatusCode, body: maud::Markup) -> Response {
        (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body.into_string()).into_response()
    }

    fn signed_out(&self, status: StatusCode, why: view::Why) -> Response {
        let mut r = self.page_response(status, view::signed_out(why));
        if let Ok(v) = HeaderValue::from_str(&self.cleared_cookie()) {
            r.headers_mut().insert(header::SET_COOKIE, v);
        }
        r
    }

    fn trouble(&self) -> Response {
        self.page_response(StatusCode::SERVICE_UNAVAILABLE, view::trouble())
    }

    /// Submits `command` as the moderator, privately. Returns the core's answer to
    /// them; everything else it caused goes out through the platform.
    async fn act(&self, who: &Who, command: Command) -> Vec<Message> {
        let input = Input::Command { actor: who.actor.clone(), place: Place::Private, command };
        let messages: Vec<Message> = match self.engine.submit(&who.community, input, None).await {
            Ok(answer) => {
                // The moderator's own answer is shown on the page; everything else the
                // change caused (a suggester told their card was added, say) goes out
                // through the platform as it would from chat.
                let (mine, others): (Vec<_>, Vec<_>) =
                    answer.deliveries.into_iter().partition(|d| matches!(d, Delivery::Whisper { to, .. } if *to == who.actor.member));
                self.engine.pass_on(&who.community, others).await;
                mine.into_iter()
                    .filter_map(|d| match d {
                        Delivery::Whisper { message, .. } => Some(message),
                        _ => None,
                    })
                    .collect()
            }
            Err(e) => {
                tracing::warn!(community = %who.community, error = %e, "a change from the moderator page was not applied");
                let id = if matches!(e, EngineError::Quarantined) { "store-quarantined" } else { "store-unavailable" };
                vec![Message::new(crate::core::effect::Kind::Refusal, vec![crate::core::effect::Line::new(id)])]
            }
        };
        messages
    }

    /// Acts, then shows `back` again with the answer.
    async fn act_and_return(&self, who: Who, command: Command, back: &str) -> Response {
        let notes = self.act(&who, command).await.iter().map(|m| view::Note::of(&self.catalogue, m)).collect();
        self.note(&who.sid, notes);
        Redirect::to(back).into_response()
    }

    async fn state<T: Send + 'static>(
        &self,
        community: &CommunityId,
        read: impl FnOnce(&crate::core::state::State) -> T + Send + 'static,
    ) -> Result<T, Response> {
        self.engine.view(community, read).await.map_err(|e| {
            tracing::warn!(community = %community, error = %e, "the moderator page could not read a community");
            self.trouble()
        })
    }
}

/// `scheme://host[:port]` of an address, as a browser writes it in `Origin`:
/// lowercase, without the scheme's default port.
fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let scheme = scheme.to_ascii_lowercase();
    let host = rest.split('/').next().unwrap_or(rest).to_ascii_lowercase();
    let default = if scheme == "https" { ":443" } else { ":80" };
    let host = host.strip_suffix(default).unwrap_or(&host);
    format!("{scheme}://{host}")
}

/// Compares two secrets in time that doesn't depend on where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

type Form = axum::extract::Form<HashMap<String, String>>;

/// The value, or the page that says why there is none (sign in again, say).
macro_rules! or_page {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(page) => return page,
        }
    };
}
type Shared = State<Arc<Web>>;

/// A form value as typed: browsers send a text area's line breaks as CRLF,
/// which the core would refuse as a control character.
fn field(form: &HashMap<String, String>, key: &str) -> String {
    form.get(key).map(|v| v.replace("\r\n", "\n").replace('\r', "\n")).unwrap_or_default()
}

async fn style() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], view::STYLE)
}

async fn script() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], view::SCRIPT)
}

async fn home(State(web): Shared, headers: HeaderMap) -> Response {
    match web.who(&headers).await {
        Ok(_) => Redirect::to("/decks").into_response(),
        Err(r) => r,
    }
}

/// Opening a link only shows a button: a previewer that fetches links uses nothing.
async fn sign_in_page(State(web): Shared, Path(token): Path<String>) -> Response {
    web.page_response(StatusCode::OK, view::sign_in(&token))
}

async fn sign_in(State(web): Shared, axum::extract::Form(form): Form) -> Response {
    let token = field(&form, "token");
    // A link that doesn't work leaves any session this browser has alone.
    let Some(pass) = web.passes.redeem(token.trim()) else {
        return web.page_response(StatusCode::FORBIDDEN, view::signed_out(view::Why::LinkUsed));
    };
    // The link was for a moderator; are they one now, in that community?
    if web.moderator(&pass.community, &pass.member).await.is_none() {
        return web.page_response(StatusCode::FORBIDDEN, view::signed_out(view::Why::NotModerator));
    }
    let (Some(sid), Some(csrf)) = (secret(), secret()) else { return web.trouble() };
    {
        let Ok(mut sessions) = web.sessions.lock() else { return web.trouble() };
        sessions.retain(|_, s| s.seen.elapsed() < IDLE);
        let here = sessions.values().filter(|s| s.community == pass.community).count() >= MOST_SESSIONS_HERE;
        let oldest = if here {
            sessions.iter().filter(|(_, s)| s.community == pass.community).min_by_key(|(_, s)| s.seen).map(|(k, _)| k.clone())
        } else if sessions.len() >= MOST_SESSIONS {
            sessions.iter().min_by_key(|(_, s)| s.seen).map(|(k, _)| k.clone())
        } else {
            None
        };
        if let Some(oldest) = oldest {
            sessions.remove(&oldest);
        }
        sessions.insert(
            sid.clone(),
            Session { community: pass.community.clone(), member: pass.member, csrf, seen: Instant::now(), notes: Vec::new() },
        );
    }
    tracing::info!(community = %pass.community, "a moderator signed in to the moderator page");
    let mut r = Redirect::to("/decks").into_response();
    if let Ok(v) = HeaderValue::from_str(&web.cookie(&sid)) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

async fn sign_out(State(web): Shared, headers: HeaderMap, axum::extract::Form(form): Form) -> Response {
    let who = or_page!(web.who_posting(&headers, &form).await);
    web.end(&who.sid);
    web.signed_out(StatusCode::OK, view::Why::SignedOut)
}

async fn decks(State(web): Shared, headers: HeaderMap) -> Response {
    let who = or_page!(web.who(&headers).await);
    match web.state(&who.community, view::Decks::read).await {
        Ok(decks) => web.page_response(StatusCode::OK, view::decks(&who.frame("/decks"), &decks)),
        Err(r) => r,
    }
}

async fn deck(State(web): Shared, headers: HeaderMap, Path(name): Path<String>) -> Response {
    let who = or_page!(web.who(&headers).await);
    let wanted = name.clone();
    match web.state(&who.community, move |st| view::DeckView::read(st, &wanted)).await {
        Ok(Some(deck)) => web.page_response(StatusCode::OK, view::deck(&who.frame(&format!("/decks/{}", view::path_part(&name))), &deck)),
        Ok(None) => web.page_response(StatusCode::NOT_FOUND, view::not_found(&who.frame("/decks"))),
        Err(r) => r,
    }
}

async fn deck_new(State(web): Shared, headers: HeaderMap, axum::extract::Form(form): Form) -> Response {
    let who = or_page!(web.who_posting(&headers, &form).await);
    let name = field(&form, "name").trim().to_lowercase();
    let command = Command::Deck(DeckCmd::New { name, title: field(&form, "title") });
    web.act_and_return(who, command, "/decks").await
}

async fn deck_toggle(State(web): Shared, headers: HeaderMap, Path(name): Path<String>, axum::extract::Form(form): Form) -> Response {
    let who = or_page!(web.who_posting(&headers, &form).await);
    let command = if field(&form, "on") == "1" { DeckCmd::Enable(name) } else { DeckCmd::Disable(name) };
    web.act_and_return(who, Command::Deck(command), "/decks").await
}

async fn deck_remove(State(web): Shared, headers: HeaderMap, Path(name): Path<String>, axum::extract::Form(form): Form) -> Response {
    let who = or_page!(web.who_posting(&headers, &form).await);
    // The checkbox is the page's `confirm`: without it the core asks, as in chat, and
    // the moderator is back on the deck's page, where the checkbox is.
    let confirm = field(&form, "confirm") == "yes";
    let back = if confirm { "/decks".to_owned() } else { format!("/decks/{}#remove", view::path_part(&name)) };
    web.act_and_return(who, Command::Deck(DeckCmd::Remove { name, confirm }), &back).await
}

async fn deck_import(State(web): Shared, headers: HeaderMap, mut multipart: Multipart) -> Response {
    let mut form = HashMap::new();
    let mut file: Option<(String, Option<String>)> = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(f)) => {
                let name = f.name().unwrap_or("").to_owned();
                let filename = f.file_name().map(str::to_owned);
                match f.bytes().await {
                    Ok(bytes) if name == "file" && bytes.len() > MOST_UPLOAD => {
                        return web.page_response(StatusCode::PAYLOAD_TOO_LARGE, view::bad_upload());
                    }
                    Ok(bytes) if name == "file" => {
                        let source = filename.unwrap_or_else(|| "deck file".into());
                        file = Some((source, String::from_utf8(bytes.to_vec()).ok()));
                    }
                    Ok(bytes) => {
                        form.insert(name, String::from_utf8_lossy(&bytes).into_owned());
                    }
                    Err(_) => return web.page_response(StatusCode::BAD_REQUEST, view::bad_upload()),
                }
            }
            Ok(None) => break,
            Err(_) => return web.page_response(StatusCode::BAD_REQUEST, view::bad_upload()),
        }
    }
    let who = or_page!(web.who_posting(&headers, &form).await);
    let Some((source, content)) = file else { return web.page_response(StatusCode::BAD_REQUEST, view::bad_upload()) };
    web.act_and_return(who, Command::Deck(DeckCmd::Import { source, content }), "/decks").await
}

async fn deck_export(State(web): Shared, headers: HeaderMap, Path(name): Path<String>) -> Response {
    let who = or_page!(web.who(&headers).await);
    let answer = web.act(&who, Command::Deck(DeckCmd::Export(name.clone()))).await;
    match answer.into_iter().find_map(|m| m.attachment) {
        Some(file) => {
            let disposition = format!(
                "attachment; filename=\"{}\"",
                file.filename.replace(|c: char| !c.is_ascii_alphanumeric() && c != '.' && c != '-', "_")
            );
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/toml; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, disposition)],
                file.content,
            )
                .into_response()
        }
        None => Redirect::to("/decks").into_response(),
    }
}

async fn card_add(State(web): Shared, headers: HeaderMap, Path(deck): Path<String>, axum::extract::Form(form): Form) -> Response {
    let who = or_page!(web.who_posting(&headers, &form).await);
    let back = format!("/decks/{}", view::path_part(&deck));
    let guide = Some(field(&form, "guide")).filter(|g| !g.trim().is_empty());
    let cw = Some(field(&form, "cw")).filter(|c| !c.trim().is_empty());
    let command = Command::Deck(DeckCmd::Add {
        deck,
        kind: field(&form, "kind"),
        theme: field(&form, "theme"),
        intensity: field(&form, "intensity"),
        text: field(&form, "text"),
        guide,
        cw,
    });
    web.act_and_return(who, command, &back).await
}

async fn card_edit(State(web): Shared, headers: HeaderMap, Path(id): Path<String>, axum::extract::Form(form): Form) -> Response {
    let who = or_page!(web.who_posting(&headers, &form).await);
    let wanted = id.clone();
    let Ok(found) = web.state(&who.community, move |st| view::CardView::find(st, &wanted)).await else { return web.trouble() };
    let Some((deck, card)) = found else { return web.page_response(StatusCode::NOT_FOUND, view::not_found(&who.frame("/decks"))) };
    // Only what the moderator changed is sent, all at once: all of it goes in, or none.
    let changes: Vec<(String, String)> = card
        .fields()
        .into_iter()
        .filter_map(|(key, now)| {
            form.contains_key(key).then(|| field(&form, key)).filter(|given| *given != now).map(|given| (key.to_owned(), given))
        })
        .collect();
    let back = format!("/decks/{}#{}", view::path_part(&deck), view::path_part(&id));
    if changes.is_empty() {
        web.note(&who.sid, vec![view::Note::plain("Nothing changed.")]);
        return Redirect::to(&back).into_response();
    }
    web.act_and_return(who, Command::Deck(DeckCmd::Revise { card: id, changes }), &back).await
}

async fn card_toggle(State(web): Shared, headers: HeaderMap, Path(id): Path<String>, axum::extract::Form(form): Form) -> Response {
    let who = or_page!(web.who_posting(&headers, &form).await);
    let back = format!("/decks/{}", view::path_part(&field(&form, "deck")));
    let command = if field(&form, "on") == "1" { DeckCmd::Enable(id) } else { DeckCmd::Disable(id) };
    web.act_and_return(who, Command::Deck(command), &back).await
}

async fn card_remove(State(web): Shared, headers: HeaderMap, Path(id): Path<String>, axum::extract::Form(form): Form) -> Response {
    let who = or_page!(web.who_posting(&headers, &form).await);
    let back = format!("/decks/{}", view::path_part(&field(&form, "deck")));
    web.act_and_return(who, Command::Deck(DeckCmd::Remove { name: id, confirm: false }), &back).await
}

async fn shapes(State(web): Shared, headers: HeaderMap) -> Response {
    let who = or_page!(web.who(&headers).await);
    match web.state(&who.community, view::Shapes::read).await {
        Ok(shapes) => web.page_response(StatusCode::OK, view::shapes(&who.frame("/shapes"), &shapes)),
        Err(r) => r,
    }
}

async fn shape_new(State(web): Shared, headers: HeaderMap, axum::extract::Form(form): Form) -> Response {
    let who = or_page!(web.who_posting(&headers, &form).await);
    if field(&form, "name").trim().is_empty() {
        web.note(&who.sid, vec![view::Note::plain("Please give the new shape a name: one word, like gentle.")]);
        return Redirect::to("/shapes").into_response();
    }
    match TemplateCmd::new_named(&field(&form, "name")) {
        Ok(cmd) => web.act_and_return(who, Command::Template(cmd), "/shapes").await,
        Err(refusal) => {
            let input = Input::BadCommand { actor: who.actor.clone(), place: Place::Private, refusal, text: String::new() };
            let notes = match web.engine.submit(&who.community, input, None).await {
                Ok(answer) => answer.private_to(&who.actor.member).map(|m| view::Note::of(&web.catalogue, m)).collect(),
                Err(_) => Vec::new(),
            };
            web.note(&who.sid, notes);
            Redirect::to("/shapes").into_response()
        }
    }
}

async fn shape_set(State(web): Shared, headers: HeaderMap, Path(name): Path<String>, axum::extract::Form(form): Form) -> Response {
    let who = or_page!(web.who_posting(&headers, &form).await);
    let back = format!("/shapes#{}", view::path_part(&name));
    let command = Command::Template(TemplateCmd::Set {
        name,
        key: field(&form, "key").trim().to_lowercase(),
        value: field(&form, "value").trim().to_owned(),
    });
    web.act_and_return(who, command, &back).await
}

async fn settings(State(web): Shared, headers: HeaderMap) -> Response {
    let who = or_page!(web.who(&headers).await);
    match web.state(&who.community, view::SettingsView::read).await {
        Ok(s) => web.page_response(StatusCode::OK, view::settings(&who.frame("/settings"), &s)),
        Err(r) => r,
    }
}

async fn setting_set(State(web): Shared, headers: HeaderMap, axum::extract::Form(form): Form) -> Response {
    let who = or_page!(web.who_posting(&headers, &form).await);
    let command = Command::Settings(Some((field(&form, "key").trim().to_lowercase(), field(&form, "value").trim().to_owned())));
    web.act_and_return(who, command, "/settings").await
}

async fn resources_set(State(web): Shared, headers: HeaderMap, axum::extract::Form(form): Form) -> Response {
    let who = or_page!(web.who_posting(&headers, &form).await);
    match Command::resources(&field(&form, "text")) {
        Ok(command) => web.act_and_return(who, command, "/settings").await,
        Err(_) => {
            web.note(&who.sid, vec![view::Note::plain("The card can't be empty: members in crisis are shown it. Nothing was changed.")]);
            Redirect::to("/settings").into_response()
        }
    }
}

async fn suggestions(State(web): Shared, headers: HeaderMap) -> Response {
    let who = or_page!(web.who(&headers).await);
    match web.state(&who.community, view::SuggestionsView::read).await {
        Ok(s) => web.page_response(StatusCode::OK, view::suggestions(&who.frame("/suggestions"), &s)),
        Err(r) => r,
    }
}

async fn suggestion_decide(State(web): Shared, headers: HeaderMap, Path(id): Path<u64>, axum::extract::Form(form): Form) -> Response {
    let who = or_page!(web.who_posting(&headers, &form).await);
    let approve = field(&form, "approve") == "1";
    web.act_and_return(who, Command::Suggestions(Some((approve, id))), "/suggestions").await
}

async fn schedule(State(web): Shared, headers: HeaderMap) -> Response {
    let who = or_page!(web.who(&headers).await);
    let now = web.engine.clock().now();
    match web.state(&who.community, move |st| view::ScheduleView::read(st, now)).await {
        Ok(s) => web.page_response(StatusCode::OK, view::schedule(&who.frame("/decks"), &s)),
        Err(r) => r,
    }
}

/// Audit entries shown at most.
const AUDIT_SHOWN: u32 = 50;

async fn care(State(web): Shared, headers: HeaderMap) -> Response {
    let who = or_page!(web.who(&headers).await);
    let now = web.engine.clock().now();
    let view = or_page!(web.state(&who.community, move |st| view::CareView::read(st, now)).await);
    let (audit, damaged) = match web.engine.care_records(&who.community, AUDIT_SHOWN).await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(community = %who.community, error = %e, "the moderator page could not read the audit log");
            return web.trouble();
        }
    };
    let done: Vec<view::Done> = audit
        .into_iter()
        .map(|a| view::Done {
            at: a.at.strftime("%Y-%m-%d %H:%M").to_string(),
            who: a.actor.user().to_owned(),
            action: a.action,
            target: a.target.unwrap_or_default(),
        })
        .collect();
    let damaged: Vec<String> = damaged.iter().map(ToString::to_string).collect();
    web.page_response(StatusCode::OK, view::care(&who.frame("/decks"), &view, &done, &damaged))
}

async fn confirm(State(web): Shared, headers: HeaderMap, axum::extract::Form(form): Form) -> Response {
    let who = or_page!(web.who_posting(&headers, &form).await);
    let back = view::back_path(&field(&form, "back"));
    web.act_and_return(who, Command::Confirm, &back).await
}

impl Who {
    fn frame<'a>(&'a self, back: &'a str) -> view::Frame<'a> {
        view::Frame { name: &self.actor.display, csrf: &self.csrf, notes: &self.notes, back, community: self.community.raw() }
    }
}

#[cfg(test)]
mod tests {
    use super::same;

    #[test]
    fn an_origin_is_written_as_browsers_write_it() {
        assert_eq!(super::origin_of("https://Attune.Example.org:443"), "https://attune.example.org");
        assert_eq!(super::origin_of("http://127.0.0.1:9464"), "http://127.0.0.1:9464");
        assert_eq!(super::origin_of("HTTP://example.org:80"), "http://example.org");
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"ab"));
        assert!(!same(b"", b"a"));
    }
}
