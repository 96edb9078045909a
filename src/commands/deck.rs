//! `attune deck`: validate deck files, import one into a community, export,
//! list and show decks, through the engine as the community's moderator.

use anyhow::{Context, bail};

use attune::cli::DeckCmd;
use attune::config::Config;
use attune::core::command::{Command, DeckCmd as CoreDeckCmd};
use attune::core::deck;
use attune::core::effect::{Effect, Line};
use attune::core::ids::{CommunityId, MemberRef, Platform};
use attune::core::input::{Actor, Input, Place};
use attune::engine::apply_once;
use attune::text::Catalogue;

use super::{db_path, open_store};

pub(super) async fn deck_command(cmd: DeckCmd, config: &Config) -> anyhow::Result<()> {
    match cmd {
        DeckCmd::Validate { files } => {
            if files.is_empty() {
                bail!("name one or more deck files, e.g. attune deck validate config/decks/*.toml");
            }
            let catalogue = Catalogue::english()?;
            let mut bad = 0;
            for f in &files {
                let src = match std::fs::read_to_string(f) {
                    Ok(src) => src,
                    Err(e) => {
                        bad += 1;
                        say!("{}: could not be read ({e})", f.display());
                        continue;
                    }
                };
                // Every problem in the file, each on its own line with its line number.
                match deck::check_file(&src) {
                    Ok(d) => {
                        say!(
                            "{}",
                            catalogue.line(
                                &Line::new("cli-deck-valid")
                                    .text("file", f.display().to_string())
                                    .text("name", d.name.as_str())
                                    .num("cards", d.cards.len())
                                    .num("practices", d.practices.len())
                            )
                        );
                        say!("  {}", deck::counts(&d));
                    }
                    Err(problems) => {
                        bad += 1;
                        for e in problems {
                            say!("{}: {e}", f.display());
                        }
                    }
                }
            }
            if bad > 0 {
                bail!("{bad} of {} deck files have problems (validating never changes anything)", files.len());
            }
            Ok(())
        }
        DeckCmd::Import { file, community, create, replace, db } => {
            let content = std::fs::read_to_string(&file).with_context(|| format!("could not read {}", file.display()))?;
            let community = CommunityId::from_key(&community).map_err(|_| anyhow::anyhow!("{community:?} is not a valid community id"))?;
            let path = db_path(db, config);
            if !create && !path.exists() {
                bail!("there is no database at {}; nothing was imported (add --create to start one)", path.display());
            }
            let store = open_store(&path).await?;
            let known = store.communities().await?;
            if !create && !known.contains(&community) {
                let names: Vec<String> = known.iter().map(CommunityId::key).collect();
                store.close().await;
                bail!(
                    "there is no community {:?} in {}; these exist: {}. Nothing was imported (add --create to make it)",
                    community.key(),
                    path.display(),
                    if names.is_empty() { "none yet".to_owned() } else { names.join(", ") }
                );
            }
            // Replacing a deck loses a moderator's edits to it, so it takes an explicit word.
            if !replace
                && let Ok(incoming) = deck::parse_file(&content)
                && let Some(existing) = store
                    .load(&community, None)
                    .await?
                    .and_then(|l| l.decks.over(&config.content().ok()?.decks).into_iter().find(|d| d.name == incoming.name))
            {
                store.close().await;
                bail!(
                    "community {:?} already has a deck called {} ({} cards); nothing was imported. \
                     To replace it, and lose any edits made to it, add --replace (attune deck export saves it first)",
                    community.key(),
                    existing.name,
                    existing.cards.len()
                );
            }
            let actor = Actor {
                member: MemberRef::parse(Platform::Console, "cli").map_err(|_| anyhow::anyhow!("bad id"))?,
                display: "attune cli".into(),
                moderator: true,
                host: false,
            };
            let command = Command::Deck(CoreDeckCmd::Import { source: file.display().to_string(), content: Some(content) });
            let input = Input::Command { actor, place: Place::Private, command };
            // Straight to the store: importing a deck must not resume circles or run their timers.
            let effects = apply_once(&store, &config.content()?, &community, input, jiff::Timestamp::now()).await?;
            store.close().await;
            let catalogue = Catalogue::english()?;
            let mut failed = false;
            for effect in effects {
                if let Effect::Whisper { to, message } = effect
                    && to.user() == "cli"
                {
                    failed |= message.kind == attune::core::effect::Kind::Refusal;
                    say!("{}", catalogue.render(&message));
                }
            }
            if failed {
                bail!("the deck was not imported");
            }
            Ok(())
        }
        DeckCmd::Export { name, community, out, db } => {
            let community = CommunityId::from_key(&community).map_err(|_| anyhow::anyhow!("{community:?} is not a valid community id"))?;
            let path = db_path(db, config);
            if !path.exists() {
                bail!("there is no database at {}; nothing to export", path.display());
            }
            let store = open_store(&path).await?;
            let Some(loaded) = store.load(&community, None).await? else {
                bail!("there is no community {:?} in this database", community.key())
            };
            // What the community sees: the shipped decks with its changes on top.
            let decks = loaded.decks.over(&config.content()?.decks);
            let Some(d) = decks.iter().find(|d| d.name.as_str() == name) else {
                bail!("community {:?} has no deck called {name:?}", community.key())
            };
            let text = deck::to_file(d);
            match out {
                Some(path) => {
                    std::fs::write(&path, text).with_context(|| format!("could not write {}", path.display()))?;
                    say!("Wrote deck {name} to {}.", path.display());
                }
                None => say!("{}", text.trim_end()),
            }
            Ok(())
        }
    }
}
