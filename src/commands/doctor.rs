//! `attune doctor`: the configuration, the decks, the crisis rules, the
//! database (SQLite's integrity check and every stored record) and each
//! platform's own checks. Changes nothing and creates nothing.

use std::path::Path;

use anyhow::{Context, bail};

use attune::config::Config;
use attune::core::effect::Line;
use attune::store::Store;
use attune::text::Catalogue;

use super::DAMAGED_HINT;

/// What `doctor` says about Discord: built in or not, enabled or not, and the token's shape
/// (never the token). `discord_doctor_online` connects for the rest.
#[cfg(feature = "discord")]
fn discord_doctor(config: &Config) -> &'static str {
    let token = config.discord_token.expose();
    match (config.discord.enabled, token.trim().is_empty()) {
        (false, _) => "built in, not enabled ([discord] enabled = true to use it)",
        (true, true) => "enabled, but ATTUNE_DISCORD_TOKEN is not set",
        (true, false) if !attune::platform::discord::token_shape_ok(token) => {
            "enabled, but ATTUNE_DISCORD_TOKEN doesn't look like a bot token (three parts separated by dots)"
        }
        (true, false) => "enabled, token set and well formed",
    }
}

#[cfg(not(feature = "discord"))]
fn discord_doctor(_config: &Config) -> &'static str {
    "not built into this version"
}

/// When Discord is enabled with a well-formed token: connects (to `discord.api_base`)
/// and says whether the token is accepted, whether the Message Content intent is
/// there, and which permissions the bot lacks in its servers.
#[cfg(feature = "discord")]
async fn discord_doctor_online(config: &Config) {
    let token = config.discord_token.expose();
    if !config.discord.enabled || !attune::platform::discord::token_shape_ok(token) {
        return;
    }
    for line in attune::platform::discord::doctor::check(&super::run::discord_options(config)).await {
        say!("discord: {line}");
    }
}

#[cfg(not(feature = "discord"))]
async fn discord_doctor_online(_config: &Config) {}

/// What `doctor` says about Matrix: built in or not, enabled or not, and with the
/// saved session (never a new login) the login, encryption and power-level checks.
#[cfg(feature = "matrix")]
async fn matrix_doctor(db: &Path, config: &Config) {
    if !config.matrix.enabled {
        say!("matrix: built in, not enabled ([matrix] enabled = true to use it)");
        return;
    }
    let report = attune::platform::matrix::doctor::check(&super::run::matrix_options(db, config)).await;
    for line in &report.lines {
        say!("matrix: {line}");
    }
}

#[cfg(not(feature = "matrix"))]
async fn matrix_doctor(_db: &Path, _config: &Config) {
    say!("matrix: not built into this version");
}

/// What `doctor` says about crisis signposting: which locales are checked, and what is not.
fn safety_lines(defaults: &attune::engine::Defaults) {
    let (signals, excepts) = defaults.phrases.counts();
    let locales = defaults.phrases.locales().join(", ");
    say!("crisis rules: ok ({signals} signal patterns, {excepts} exceptions; locales: {locales})");
    say!(
        "crisis rules: only messages in {locales} are checked; messages in other languages are not checked. \
         To add a language, put a rules file per locale (like config/safety/en.toml) in a folder and set content.phrases to it."
    );
}

/// Warns about each community that still shows the default crisis resources card.
async fn default_card_lines(store: &Store, default: &str) -> anyhow::Result<()> {
    for id in store.communities().await? {
        let Some(mut loaded) = store.load(&id, None).await? else { continue };
        loaded.community.follow_default_card(default);
        if !loaded.community.resources_custom {
            say!(
                "warning: community {} uses the default crisis resources card; a moderator can name local help with /resources set TEXT",
                id.key()
            );
        }
    }
    Ok(())
}

pub(super) async fn doctor(db: &Path, config: &Config) -> anyhow::Result<()> {
    let catalogue = Catalogue::english().context("the message catalogue")?;
    say!("config: ok (time zone {}, log level {})", config.community.timezone, config.log.level);
    let defaults = config.content().context("decks or safety files")?;
    let cards: usize = defaults.decks.iter().map(|d| d.cards.len()).sum();
    say!(
        "{}",
        catalogue.line(
            &Line::new("cli-doctor-decks")
                .num("decks", defaults.decks.len())
                .num("cards", cards)
                .num("chars", defaults.resources.chars().count())
        )
    );
    safety_lines(&defaults);
    say!("messages: ok");
    let healthy = doctor_database(db, &catalogue, &defaults.resources).await;
    say!("discord: {}", discord_doctor(config));
    discord_doctor_online(config).await;
    matrix_doctor(db, config).await;
    if !healthy {
        bail!("the database at {} needs attention (see above); doctor changed nothing", db.display());
    }
    Ok(())
}

/// Checks the database without creating or changing anything. Returns whether it is healthy.
async fn doctor_database(db: &Path, catalogue: &Catalogue, default_card: &str) -> bool {
    if !db.exists() {
        say!("database: none yet at {} (attune console, attune migrate or a deck import with --create makes one)", db.display());
        return true;
    }
    let store = match Store::open_existing(db).await {
        Ok(s) => s,
        Err(attune::store::StoreError::InUse { .. }) => {
            say!("database: {} is in use by a running attune, which is as it should be; stop it to let doctor read it", db.display());
            return true;
        }
        Err(e) => {
            say!("database: {} can't be used: {e}", db.display());
            return false;
        }
    };
    let healthy = doctor_checks(&store, db, catalogue).await;
    if healthy && let Err(e) = default_card_lines(&store, default_card).await {
        say!("database: {} can't be read: {e}", db.display());
    }
    store.close().await;
    healthy
}

async fn doctor_checks(store: &Store, db: &Path, catalogue: &Catalogue) -> bool {
    if let Err(e) = store.integrity().await {
        say!("database: {} failed SQLite's integrity check: {e}", db.display());
        return false;
    }
    match store.pending_migrations().await {
        Ok(0) => {}
        Ok(n) => {
            say!("database: {} needs `attune migrate` ({n} schema updates waiting)", db.display());
            return false;
        }
        Err(e) => {
            say!("database: {} can't be read: {e}", db.display());
            return false;
        }
    }
    match store.damaged_documents().await {
        Ok(damaged) if damaged.is_empty() => {}
        Ok(damaged) => {
            say!("database: {} has {} damaged {}:", db.display(), damaged.len(), if damaged.len() == 1 { "record" } else { "records" });
            for d in &damaged {
                say!("  - {d}");
            }
            say!("{DAMAGED_HINT}");
            return false;
        }
        Err(e) => {
            say!("database: {} can't be read: {e}", db.display());
            return false;
        }
    }
    match store.quarantined().await {
        Ok(q) if q.is_empty() => {}
        Ok(q) => {
            for (community, reason) in &q {
                say!(
                    "database: community {community} was paused after repeated failures ({reason}); the others ran on. \
                     Its records are kept; attune tries it again at the next start."
                );
            }
            return false;
        }
        Err(e) => {
            say!("database: {} can't be read: {e}", db.display());
            return false;
        }
    }
    match store.communities().await {
        Ok(c) => {
            let line = Line::new("cli-doctor-database").text("path", db.display().to_string()).num("count", c.len());
            say!("{}", catalogue.line(&line));
            true
        }
        Err(e) => {
            say!("database: {} can't be read: {e}", db.display());
            false
        }
    }
}
