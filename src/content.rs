//! The shipped content and its loading: default decks, the crisis resources
//! card and the crisis rules, from configured files or the copies built into
//! the binary. Configuration (`config.rs`) says where they are; this module
//! reads and checks them, naming the file and line of any problem.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::config::{ConfigError, Content};
use crate::core::deck::{self, Deck};
use crate::core::safety::{Model, ModelError, RuleSet, Rules, RulesError};
use crate::engine::Defaults;

/// Loads decks, resources and crisis rules: from configured files, else the built-in copies.
pub fn load(content: &Content, timezone: &str) -> Result<Defaults, ConfigError> {
    let decks = match &content.decks_dir {
        Some(dir) => load_deck_dir(dir)?,
        None => deck::DEFAULT_DECK_FILES
            .iter()
            .map(|(name, src)| deck::parse_file(src).map_err(|e| deck_error(&format!("config/decks/{name}.toml (built in)"), e)))
            .collect::<Result<_, _>>()?,
    };
    let resources_src = read_or(&content.resources, DEFAULT_RESOURCES)?;
    let resources = parse_resources(&resources_src, &content.resources)?;
    let phrases = load_rules(&content.phrases)?;
    Ok(Defaults { decks, resources, phrases, timezone: timezone.to_owned() })
}

fn line_of(src: &str, offset: usize) -> usize {
    src.get(..offset).map_or(1, |s| s.bytes().filter(|b| *b == b'\n').count() + 1)
}

pub const DEFAULT_RESOURCES: &str = include_str!("../config/resources.toml");
pub const DEFAULT_PHRASES: &str = include_str!("../config/safety/en.toml");
/// The learned reader beside the English rules (`core::safety::model`).
pub const DEFAULT_MODEL: &str = include_str!("../config/safety/en.model");

/// The built-in English model, read once per process.
fn builtin_model() -> Result<std::sync::Arc<Model>, ConfigError> {
    static MODEL: std::sync::OnceLock<Result<std::sync::Arc<Model>, ModelError>> = std::sync::OnceLock::new();
    MODEL.get_or_init(|| Model::parse(DEFAULT_MODEL).map(std::sync::Arc::new)).clone().map_err(|e| ConfigError::File {
        file: "config/safety/en.model (built in)".into(),
        line: format!("line {}: ", e.line),
        message: e.message,
    })
}

fn read_or(path: &Option<PathBuf>, builtin: &str) -> Result<String, ConfigError> {
    match path {
        Some(p) => std::fs::read_to_string(p).map_err(|source| ConfigError::Read { file: p.display().to_string(), source }),
        None => Ok(builtin.to_owned()),
    }
}

fn file_name(path: &Option<PathBuf>, builtin: &str) -> String {
    path.as_ref().map_or_else(|| builtin.to_owned(), |p| p.display().to_string())
}

fn deck_error(file: &str, e: deck::DeckFileError) -> ConfigError {
    ConfigError::File { file: file.to_owned(), line: e.line.map(|l| format!("line {l}: ")).unwrap_or_default(), message: e.message }
}

/// Reads every `*.toml` deck in a folder; any bad file stops start-up with its name and line.
pub fn load_deck_dir(dir: &Path) -> Result<Vec<Deck>, ConfigError> {
    let entries = std::fs::read_dir(dir).map_err(|source| ConfigError::Read { file: dir.display().to_string(), source })?;
    let mut paths: Vec<PathBuf> =
        entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "toml")).collect();
    paths.sort();
    let mut decks: Vec<Deck> = Vec::new();
    for p in paths {
        let name = p.display().to_string();
        let src = std::fs::read_to_string(&p).map_err(|source| ConfigError::Read { file: name.clone(), source })?;
        let d = deck::parse_file(&src).map_err(|e| deck_error(&name, e))?;
        if let Some(dup) = d.cards.iter().find(|c| decks.iter().flat_map(|x| &x.cards).any(|x| x.id == c.id)) {
            return Err(ConfigError::File {
                file: name,
                line: String::new(),
                message: format!("card id {} is also used in another deck", dup.id),
            });
        }
        decks.push(d);
    }
    Ok(decks)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResourcesFile {
    text: String,
}

fn parse_resources(src: &str, path: &Option<PathBuf>) -> Result<String, ConfigError> {
    let file = file_name(path, "config/resources.toml (built in)");
    let r: ResourcesFile = toml::from_str(src).map_err(|e| ConfigError::File {
        file: file.clone(),
        line: e.span().map(|s| format!("line {}: ", line_of(src, s.start))).unwrap_or_default(),
        message: e.message().trim().to_owned(),
    })?;
    crate::core::textcheck::check(&r.text, crate::core::textcheck::TextUse::Resources).map_err(|e| ConfigError::File {
        file,
        line: "text: ".into(),
        message: e.to_string(),
    })
}

/// Crisis rules: the built-in English file, or a configured file, or every
/// `*.toml` in a configured folder (one file per locale). A bad rule names its
/// file and line.
fn load_rules(path: &Option<PathBuf>) -> Result<Rules, ConfigError> {
    let rule_error = |file: &str, e: RulesError| ConfigError::File {
        file: file.to_owned(),
        line: e.line.map(|l| format!("line {l}: ")).unwrap_or_default(),
        message: e.message,
    };
    // Each rules file with the model beside it (`en.toml` → `en.model`), if there is one.
    let files: Vec<(String, String)> = match path {
        None => vec![("config/safety/en.toml (built in)".to_owned(), DEFAULT_PHRASES.to_owned())],
        Some(p) if p.is_dir() => {
            let entries = std::fs::read_dir(p).map_err(|source| ConfigError::Read { file: p.display().to_string(), source })?;
            let mut paths: Vec<PathBuf> =
                entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|x| x.extension().is_some_and(|x| x == "toml")).collect();
            paths.sort();
            let mut files = Vec::new();
            for x in paths {
                let name = x.display().to_string();
                let src = std::fs::read_to_string(&x).map_err(|source| ConfigError::Read { file: name.clone(), source })?;
                files.push((name, src));
            }
            files
        }
        Some(p) => vec![(p.display().to_string(), read_or(path, DEFAULT_PHRASES)?)],
    };
    let mut sets: Vec<RuleSet> = Vec::new();
    for (name, src) in &files {
        let mut set = RuleSet::parse(src).map_err(|e| rule_error(name, e))?;
        // A model beside the rules file is that locale's; English rules without one
        // read with the built-in English model.
        let beside = PathBuf::from(name).with_extension("model");
        if path.is_some() && beside.is_file() {
            let file = beside.display().to_string();
            let src = std::fs::read_to_string(&beside).map_err(|source| ConfigError::Read { file: file.clone(), source })?;
            let model =
                Model::parse(&src).map_err(|e| ConfigError::File { file, line: format!("line {}: ", e.line), message: e.message })?;
            set = set.with_model(std::sync::Arc::new(model));
        } else if set.locale() == "en" {
            set = set.with_model(builtin_model()?);
        }
        if sets.iter().any(|s| s.locale() == set.locale()) {
            return Err(ConfigError::File {
                file: name.clone(),
                line: String::new(),
                message: format!("locale {} has two rules files", set.locale()),
            });
        }
        sets.push(set);
    }
    if sets.is_empty() {
        return Err(ConfigError::File {
            file: file_name(path, ""),
            line: String::new(),
            message: "no crisis rules file (*.toml) found".into(),
        });
    }
    Ok(Rules::new(sets))
}
