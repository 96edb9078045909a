//! The moderator page in a real browser: headless Chromium, driven through
//! ChromeDriver (WebDriver), against `attune console` with the page on. A
//! moderator signs in from the link the console prints, adds a card with a
//! content note and a listener guide, sees it drawn in a console circle,
//! changes a circle shape, exports the deck and signs out. Chromium and
//! ChromeDriver come from the OS's packages (`.ci/run` installs them); this
//! test fails, never skips, when they are missing.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;

const CARD: &str = "What is your body holding tonight, and where?";
const GUIDE: &str = "Listen for where it lives in the body. No fixing, no advice.";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `attune console` with the page on, its input, and its output line by line (JSON).
struct Console {
    child: Child,
    input: ChildStdin,
    lines: mpsc::UnboundedReceiver<serde_json::Value>,
    seen: Vec<serde_json::Value>,
}

impl Console {
    async fn start(dir: &Path, port: u16) -> Console {
        let config = dir.join("attune.toml");
        std::fs::write(
            &config,
            format!(
                "[database]\npath = {:?}\n\n[server]\nlisten = \"127.0.0.1:{port}\"\npublic_url = \"http://127.0.0.1:{port}\"\n",
                dir.join("attune.db")
            ),
        )
        .unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_attune"));
        cmd.current_dir(dir);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("ATTUNE_") {
                cmd.env_remove(key);
            }
        }
        let mut child = cmd
            .arg("--config")
            .arg(&config)
            .args(["console", "--json", "--clock", "manual", "--moderator", "mod"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("attune starts");
        let input = child.stdin.take().unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
        let (tx, lines) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok(Some(line)) = out.next_line().await {
                let value = serde_json::from_str(&line).unwrap_or_else(|_| panic!("the console printed a line that isn't JSON: {line}"));
                if tx.send(value).is_err() {
                    break;
                }
            }
        });
        Console { child, input, lines, seen: Vec::new() }
    }

    async fn say(&mut self, line: &str) {
        self.input.write_all(format!("{line}\n").as_bytes()).await.unwrap();
        self.input.flush().await.unwrap();
    }

    /// Waits for a printed line whose text contains `needle`; returns its text.
    async fn expect(&mut self, needle: &str) -> String {
        if let Some(v) = self.seen.iter().find(|v| v["text"].as_str().is_some_and(|t| t.contains(needle))) {
            return v["text"].as_str().unwrap().to_owned();
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let next = tokio::time::timeout_at(deadline, self.lines.recv()).await;
            let Ok(Some(v)) = next else {
                let texts: Vec<_> = self.seen.iter().map(|v| v["text"].to_string()).collect();
                panic!("the console never printed {needle:?}; it printed:\n{}", texts.join("\n"));
            };
            self.seen.push(v.clone());
            if let Some(t) = v["text"].as_str().filter(|t| t.contains(needle)) {
                return t.to_owned();
            }
        }
    }
}

/// ChromeDriver on a free port, stopped when dropped.
struct Driver {
    _child: Child,
    port: u16,
}

impl Driver {
    async fn start() -> Driver {
        let port = free_port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver is installed (apt-get install chromium chromium-driver; .ci/run does)");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return Driver { _child: child, port };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not start listening");
    }

    async fn browser(&self, downloads: &Path) -> Client {
        let caps = serde_json::json!({
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                    "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--window-size=1100,1400"
                ],
                "prefs": {
                    "download.default_directory": downloads.to_string_lossy(),
                    "download.prompt_for_download": false
                }
            }
        });
        let serde_json::Value::Object(caps) = caps else { unreachable!() };
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a Chromium session through chromedriver")
    }
}

async fn body(c: &Client) -> String {
    c.find(Locator::Css("body")).await.unwrap().text().await.unwrap()
}

async fn shot(c: &Client, name: &str) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = c.screenshot().await.expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

async fn fill(c: &Client, css: &str, text: &str) {
    let field = c.find(Locator::Css(css)).await.unwrap_or_else(|_| panic!("the page has {css}"));
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// Presses a button or link that loads a page, and waits until the new page is there.
async fn press(c: &Client, css: &str) {
    let old = c.find(Locator::Css("html")).await.unwrap();
    c.find(Locator::Css(css)).await.unwrap_or_else(|_| panic!("the page has {css}")).click().await.unwrap();
    for _ in 0..200 {
        if old.tag_name().await.is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    for _ in 0..200 {
        if c.execute("return document.readyState;", vec![]).await.ok().and_then(|v| v.as_str().map(str::to_owned)).as_deref()
            == Some("complete")
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the page after pressing {css} never finished loading");
}

/// Presses a link that downloads a file (the page stays).
async fn press_download(c: &Client, css: &str) {
    c.find(Locator::Css(css)).await.unwrap_or_else(|_| panic!("the page has {css}")).click().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moderator_signs_in_changes_decks_and_shapes_and_the_console_circle_follows() {
    let dir = tempfile::tempdir().unwrap();
    let downloads = dir.path().join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let port = free_port();
    let mut console = Console::start(dir.path(), port).await;
    let base = format!("http://127.0.0.1:{port}");

    // A member who isn't a moderator gets no link.
    console.say("alice: /dashboard").await;
    console.expect("Only moderators").await;
    console.say("mod: /dashboard").await;
    let text = console.expect("/sign-in/").await;
    let link = text.split_whitespace().find(|w| w.contains("/sign-in/")).unwrap().to_owned();
    assert!(link.starts_with(&format!("{base}/sign-in/")), "{link}");
    let private = console.seen.iter().find(|v| v["text"].as_str().is_some_and(|t| t.contains("/sign-in/"))).unwrap();
    assert_eq!((private["private"].as_bool(), private["to"].as_str()), (Some(true), Some("mod")), "the link is private");

    let driver = Driver::start().await;
    let c = driver.browser(&downloads).await;
    c.goto(&link).await.unwrap();
    shot(&c, "sign-in").await;
    press(&c, "button[type=submit]").await;
    assert!(c.current_url().await.unwrap().as_str().ends_with("/decks"));
    assert!(body(&c).await.contains("Signed in as mod"));
    // The link worked once.
    c.goto(&link).await.unwrap();
    press(&c, "button[type=submit]").await;
    assert!(body(&c).await.contains("doesn't work any more"));
    c.goto(&format!("{base}/decks")).await.unwrap();
    assert!(body(&c).await.contains("Signed in as mod"), "the session from the first use goes on");

    // A new deck, and a sharing card in it with a content note and a listener guide.
    fill(&c, "#new-name", "evening").await;
    fill(&c, "#new-title", "Evening prompts").await;
    press(&c, "form[action='/deck-new'] button").await;
    assert!(body(&c).await.contains("Created the deck evening"));
    // The shipped sharing deck goes off, so the circle draws the new card.
    press(&c, "form[action='/decks/sharing/toggle'] button").await;
    let page = body(&c).await;
    assert!(page.contains("turned off"), "{page}");
    shot(&c, "decks").await;
    c.goto(&format!("{base}/decks/evening")).await.unwrap();
    c.find(Locator::Css("#new-kind")).await.unwrap().select_by_value("sharing").await.unwrap();
    c.find(Locator::Css("#new-theme")).await.unwrap().select_by_value("body").await.unwrap();
    c.find(Locator::Css("#new-intensity")).await.unwrap().select_by_value("light").await.unwrap();
    fill(&c, "#new-text", CARD).await;
    let counted = c.find(Locator::Css("#new-text-count")).await.unwrap().text().await.unwrap();
    assert_eq!(counted, format!("{} of 400 characters", CARD.chars().count()), "the limit is shown as you type");
    fill(&c, "#new-guide", GUIDE).await;
    fill(&c, "#new-cw", "body").await;
    press(&c, "form[action='/decks/evening/cards'] button[type=submit]").await;
    let page = body(&c).await;
    assert!(page.contains("evening-01"), "{page}");
    assert!(page.contains("notes: body"), "{page}");
    shot(&c, "deck").await;
    // The same card, read in chat.
    console.say("mod: /deck show evening-01").await;
    console.expect(GUIDE).await;

    // A circle in the console draws it.
    for line in [
        "mod: /circle open Evening circle",
        "alice: /circle join",
        "alice: /agree",
        "bob: /circle join",
        "bob: /agree",
        "mod: /circle start",
        "alice: /done",
        "bob: /done",
    ] {
        console.say(line).await;
    }
    console.expect("comes only to you").await;
    console.say("alice: /card show").await;
    console.expect(CARD).await;
    console.expect(GUIDE).await;

    // A circle shape, changed on the page, as chat sees it.
    c.goto(&format!("{base}/shapes")).await.unwrap();
    c.find(Locator::Css("#key-standard")).await.unwrap().select_by_value("turn").await.unwrap();
    fill(&c, "#value-standard", "4m").await;
    press(&c, "form[action='/shapes/standard'] button").await;
    let page = body(&c).await;
    assert!(page.contains("240s"), "{page}");
    shot(&c, "shapes").await;
    console.say("mod: /template show standard").await;
    console.expect("240s").await;

    // The deck, exported as a file.
    c.goto(&format!("{base}/decks")).await.unwrap();
    press_download(&c, "a[href='/decks/evening/export']").await;
    let file = downloads.join("evening.toml");
    for _ in 0..100 {
        if std::fs::metadata(&file).is_ok_and(|m| m.len() > 0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let exported = std::fs::read_to_string(&file).expect("the deck file was downloaded");
    assert!(exported.contains(CARD) && exported.contains(GUIDE) && exported.contains("body"), "{exported}");
    attune::core::deck::parse_file(&exported).expect("the export reads back as a deck file");

    // A phone's width: nothing wider than the screen.
    c.set_window_size(390, 844).await.unwrap();
    c.goto(&format!("{base}/decks/evening")).await.unwrap();
    let fits = c.execute("return document.documentElement.scrollWidth <= window.innerWidth;", vec![]).await.unwrap();
    assert_eq!(fits, serde_json::Value::Bool(true), "the card page fits a phone's width");
    shot(&c, "deck-phone").await;
    c.set_window_size(1100, 1400).await.unwrap();

    // Signing out ends the session.
    c.goto(&format!("{base}/settings")).await.unwrap();
    shot(&c, "settings").await;
    press(&c, "form[action='/sign-out'] button").await;
    assert!(body(&c).await.contains("You're signed out"));
    c.goto(&format!("{base}/decks")).await.unwrap();
    assert!(body(&c).await.contains("Please sign in"));

    c.close().await.unwrap();
    console.input.shutdown().await.ok();
    let _ = tokio::time::timeout(Duration::from_secs(10), console.child.wait()).await;
}
