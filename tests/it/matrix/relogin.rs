//! A soft logout: the homeserver asks attune to sign in again and keeps its
//! device (as when an access token expires). With a password configured,
//! attune signs in again as the same device and goes on in the same process;
//! the circle keeps its place and members' commands are answered.
//!
//! Between attune and the shared Synapse stands an HTTP relay that, once told,
//! answers every request carrying the old access token as Synapse answers an
//! expired one (401 `M_UNKNOWN_TOKEN`, `soft_logout: true`). Everything else,
//! the new sign-in included, is Synapse's own answer.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::rt::{TokioExecutor, TokioIo};

use super::*;

/// The relay: forwards to Synapse, except for the one token it was told has
/// expired, and keeps the path and query of every request it saw.
pub(super) struct SoftLogout {
    pub(super) url: String,
    expired: Arc<Mutex<Option<String>>>,
    refused: Arc<std::sync::atomic::AtomicU32>,
    pub(super) seen: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl SoftLogout {
    pub(super) async fn to(target: &str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let expired: Arc<Mutex<Option<String>>> = Arc::default();
        let refused = Arc::new(std::sync::atomic::AtomicU32::new(0));
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let client: HttpClient<_, Full<Bytes>> = HttpClient::builder(TokioExecutor::new()).build_http();
        let target = target.to_owned();
        let task = {
            let (expired, refused, seen) = (expired.clone(), refused.clone(), seen.clone());
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let (expired, refused, client, target) = (expired.clone(), refused.clone(), client.clone(), target.clone());
                    let seen = seen.clone();
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                            let (expired, refused, client, target) = (expired.clone(), refused.clone(), client.clone(), target.clone());
                            if let Some(p) = req.uri().path_and_query() {
                                seen.lock().unwrap().push(p.as_str().to_owned());
                            }
                            async move { Ok::<_, Infallible>(relay(req, &expired, &refused, &client, &target).await) }
                        });
                        let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                    });
                }
            })
        };
        Self { url, expired, refused, seen, task }
    }

    /// From now on, requests with this access token are refused as expired.
    fn expire(&self, token: &str) {
        *self.expired.lock().unwrap() = Some(token.to_owned());
    }
}

impl Drop for SoftLogout {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn relay(
    req: Request<hyper::body::Incoming>,
    expired: &Mutex<Option<String>>,
    refused: &std::sync::atomic::AtomicU32,
    client: &HttpClient<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
    target: &str,
) -> Response<Full<Bytes>> {
    let bearer = req.headers().get("authorization").and_then(|v| v.to_str().ok()).map(|v| v.trim_start_matches("Bearer ").to_owned());
    if bearer.is_some() && bearer == *expired.lock().unwrap() {
        refused.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let body = json!({ "errcode": "M_UNKNOWN_TOKEN", "error": "Access token has expired", "soft_logout": true });
        let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
        *r.status_mut() = StatusCode::UNAUTHORIZED;
        r.headers_mut().insert("content-type", "application/json".parse().unwrap());
        return r;
    }
    let (mut parts, body) = req.into_parts();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    parts.uri = format!("{target}{path}").parse().unwrap();
    parts.headers.remove("host");
    let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    match client.request(Request::from_parts(parts, Full::new(body))).await {
        Ok(answer) => {
            let (parts, body) = answer.into_parts();
            let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
            Response::from_parts(parts, Full::new(body))
        }
        Err(_) => {
            let mut r = Response::new(Full::new(Bytes::new()));
            *r.status_mut() = StatusCode::BAD_GATEWAY;
            r
        }
    }
}

fn saved_token(bot: &Bot) -> String {
    let session: Value = serde_json::from_slice(&std::fs::read(bot.dir.path().join("matrix/session.json")).unwrap()).unwrap();
    session["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_soft_logout_mid_circle_attune_signs_in_again_as_the_same_device_and_the_circle_goes_on() {
    let bot = Bot::registered("soft-attune");
    let relay = SoftLogout::to(&synapse().url).await;
    let mut child = attune_run_with(&bot, &relay.url, "");
    let c = circle_room_for(bot, "soft", true).await;
    let root = gather(&c).await;
    c.host.say_in_thread(&c.room, &root, "!attune circle start").await;
    let me = c.bot.id.clone();
    let first = c.host.wait_for(0, "the first turn", |s| s.sender == me && s.offer("done").is_some()).await;
    let (device, token) = (saved_device(&c.bot), saved_token(&c.bot));

    // The homeserver ends the session: the token is refused as expired.
    relay.expire(&token);
    let started = Instant::now();
    while saved_token(&c.bot) == token {
        assert!(child.try_wait().unwrap().is_none(), "attune keeps running");
        assert!(started.elapsed() < Duration::from_secs(60), "attune signs in again");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(relay.refused.load(std::sync::atomic::Ordering::SeqCst) >= 1, "the old token was refused");
    assert_eq!(saved_device(&c.bot), device, "it signed in again as the same device");

    // The speaker says they are done: the next turn comes, in the same process.
    let speaker = first_pill(&first).unwrap();
    let who = c.members.iter().find(|m| m.id == speaker).unwrap();
    let before = c.host.seen().len();
    who.say_in_thread(&c.room, &root, "!done").await;
    let first_offer = done_offer(&first);
    c.host
        .wait_for(before, "the next turn, after signing in again", |s| {
            s.sender == me && s.offer("done").is_some() && done_offer(s) != first_offer
        })
        .await;
    assert!(child.try_wait().unwrap().is_none(), "the same process goes on");
    let bot_id = OwnedUserId::try_from(me.as_str()).unwrap();
    let devices = c.host.client.encryption().get_user_devices(&bot_id).await.unwrap();
    assert_eq!(devices.devices().count(), 1, "still one device, the same");

    let pid = child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = child.wait().unwrap();
    let log = std::fs::read_to_string(c.bot.dir.path().join("attune.log")).unwrap();
    assert!(status.success(), "a clean stop: {status}\n{log}");
    assert!(log.contains("signed in to Matrix again as the same device"), "{log}");
    let new_token = saved_token(&c.bot);
    assert!(
        !log.contains(&c.bot.password) && !log.contains(&token) && !log.contains(&new_token),
        "neither the password nor a token is logged"
    );
    let Circle { host, members, .. } = c;
    host.stop().await;
    for m in members {
        m.stop().await;
    }
}
