//! The crisis-phrase matcher, driven by one rules file per locale
//! (`config/safety/<locale>.toml`).
//!
//! A message is first read as words: Unicode is folded (NFKC), case is
//! dropped, invisible characters and apostrophes are removed, look-alike
//! characters inside words are read as the letters they stand for (`su1c1de`,
//! `k!ll`), and misspellings listed as aliases are read as the word they
//! stand for. Then every `signal` pattern is tried at every word. A match
//! counts unless an `except` pattern matches words overlapping it: that is
//! how "died by suicide" or "suicide prevention" are told apart from a
//! person speaking about themselves, while a second, unexcused phrase in the
//! same message still counts.
//!
//! Pattern syntax, one pattern per string (see the rules file for examples):
//! - words are separated by spaces; `a|b|c` offers alternatives for one word;
//! - a trailing `*` matches word forms by prefix (`kill*`: kills, killing, killed);
//! - a trailing `?` makes a word optional;
//! - `~` skips up to 3 words, `~N` up to N (at most 6);
//! - `#` matches a number;
//! - two pattern words also match when written as one (`self harm` matches
//!   "selfharm"), and one pattern word matches when split in two ("my self").
//!
//! Work per message is bounded: words × patterns × the few choices a gap or
//! optional word offers, on a message already cut to a fixed length.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;
use unicode_normalization::UnicodeNormalization;

use crate::core::textcheck::is_invisible_control;

/// The longest gap a pattern may skip, in words.
const MAX_GAP: usize = 6;

/// A bad rules file: what is wrong, and on which line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
pub struct RulesError {
    pub line: Option<usize>,
    pub message: String,
}

/// Crisis rules for every loaded locale. A message matches if any locale's rules match it.
#[derive(Clone, Debug, Default)]
pub struct Rules {
    sets: Vec<RuleSet>,
}

/// One locale's rules.
#[derive(Clone, Debug)]
pub struct RuleSet {
    locale: String,
    fold: BTreeMap<char, char>,
    alias: BTreeMap<String, String>,
    signals: Vec<Pattern>,
    excepts: Vec<Pattern>,
}

#[derive(Clone, Debug)]
struct Pattern {
    terms: Vec<Term>,
}

#[derive(Clone, Debug)]
enum Term {
    Word { alts: Vec<Alt>, optional: bool },
    Gap(usize),
    Number,
}

#[derive(Clone, Debug)]
struct Alt {
    text: String,
    prefix: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    locale: Spanned<String>,
    #[serde(default)]
    fold: Option<Spanned<BTreeMap<String, String>>>,
    #[serde(default)]
    alias: Option<Spanned<BTreeMap<String, Vec<String>>>>,
    signal: Vec<Spanned<String>>,
    #[serde(default)]
    except: Vec<Spanned<String>>,
}

impl Rules {
    pub fn new(sets: Vec<RuleSet>) -> Self {
        Self { sets }
    }

    /// Whether any locale's rules find a crisis signal in `text`.
    pub fn matches(&self, text: &str) -> bool {
        self.sets.iter().any(|s| s.matches(text))
    }

    /// How many pattern steps checking `text` takes at most: every pattern of
    /// every locale tried at every word, as if nothing matched early. A measure
    /// of the work per message that doesn't depend on the machine, so tests can
    /// bound it.
    pub fn steps(&self, text: &str) -> u64 {
        let mut steps = 0;
        for s in &self.sets {
            let words = s.words(text);
            for p in s.signals.iter().chain(&s.excepts) {
                for start in 0..words.len() {
                    p.match_at(&words, start, &mut steps);
                }
            }
        }
        steps
    }

    /// The locales that have rules, in load order.
    pub fn locales(&self) -> Vec<&str> {
        self.sets.iter().map(|s| s.locale.as_str()).collect()
    }

    /// How many signal and exception patterns are loaded, over all locales.
    pub fn counts(&self) -> (usize, usize) {
        self.sets.iter().fold((0, 0), |(a, b), s| (a + s.signals.len(), b + s.excepts.len()))
    }

    pub fn is_empty(&self) -> bool {
        self.sets.iter().all(|s| s.signals.is_empty())
    }
}

impl RuleSet {
    /// Parses one locale's rules file. Every problem names its line.
    pub fn parse(src: &str) -> Result<Self, RulesError> {
        let at = |offset: usize, message: String| RulesError { line: Some(line_of(src, offset)), message };
        let raw: RawRules = toml::from_str(src)
            .map_err(|e| RulesError { line: e.span().map(|s| line_of(src, s.start)), message: e.message().trim().to_owned() })?;
        let locale = raw.locale.get_ref().trim().to_owned();
        if locale.is_empty() || !locale.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(at(raw.locale.span().start, "locale must be a language tag like en or pt-BR".into()));
        }
        let mut fold = BTreeMap::new();
        if let Some(f) = &raw.fold {
            for (from, to) in f.get_ref() {
                let (Some(a), Some(b)) = (single_char(from), single_char(to)) else {
                    return Err(at(f.span().start, format!("fold {from:?} = {to:?}: each side must be one character")));
                };
                if a.is_alphabetic() || !b.is_alphabetic() {
                    return Err(at(f.span().start, format!("fold {from:?} = {to:?}: fold a digit or symbol into a letter")));
                }
                fold.insert(a, b);
            }
        }
        let mut alias = BTreeMap::new();
        if let Some(a) = &raw.alias {
            for (word, spellings) in a.get_ref() {
                for s in spellings {
                    if !is_plain_word(word) || !is_plain_word(s) {
                        return Err(at(
                            a.span().start,
                            format!("alias {word:?} = {s:?}: write single words in lower case, without punctuation"),
                        ));
                    }
                    alias.insert(s.clone(), word.clone());
                }
            }
        }
        let compile = |list: &[Spanned<String>]| -> Result<Vec<Pattern>, RulesError> {
            list.iter().map(|p| Pattern::parse(p.get_ref()).map_err(|m| at(p.span().start, format!("{:?}: {m}", p.get_ref())))).collect()
        };
        let signals = compile(&raw.signal)?;
        if signals.is_empty() {
            return Err(at(0, "signal must list at least one pattern".into()));
        }
        let excepts = compile(&raw.except)?;
        Ok(Self { locale, fold, alias, signals, excepts })
    }

    pub fn locale(&self) -> &str {
        &self.locale
    }

    /// Whether a signal matches words that no exception overlaps.
    pub fn matches(&self, text: &str) -> bool {
        let steps = &mut 0;
        let words = self.words(text);
        let mut excused: Option<Vec<(usize, usize)>> = None;
        for p in &self.signals {
            for start in 0..words.len() {
                let Some(end) = p.match_at(&words, start, steps) else { continue };
                let spans = excused.get_or_insert_with(|| self.except_spans(&words, steps));
                if !spans.iter().any(|&(s, e)| s < end && start < e) {
                    return true;
                }
            }
        }
        false
    }

    fn except_spans(&self, words: &[String], steps: &mut u64) -> Vec<(usize, usize)> {
        let mut spans = Vec::new();
        for p in &self.excepts {
            for start in 0..words.len() {
                if let Some(end) = p.match_at(words, start, steps) {
                    spans.push((start, end));
                }
            }
        }
        spans
    }

    /// Reads text as words: folded, lower case, look-alikes and aliases resolved.
    pub fn words(&self, text: &str) -> Vec<String> {
        // Accents are dropped ("kíll", "suícide" read as "kill", "suicide"): decompose,
        // leave out the combining marks, then fold compatibility forms.
        let chars: Vec<char> = text
            .nfd()
            .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
            .nfkc()
            .flat_map(char::to_lowercase)
            .filter(|c| !is_invisible_control(*c) && !matches!(c, '\'' | '’' | '‘' | '`'))
            .collect();
        let mut words = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let in_run = |c: char| c.is_alphanumeric() || self.fold.contains_key(&c);
            if !in_run(chars[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < chars.len() && in_run(chars[i]) {
                i += 1;
            }
            self.push_run(&chars[start..i], &mut words);
        }
        words
    }

    /// Splits one run of word characters into words, folding look-alikes when
    /// the run is mostly letters (so "su1c1de" is read as a word, but "100km" is not).
    fn push_run(&self, run: &[char], words: &mut Vec<String>) {
        let letters = run.iter().filter(|c| c.is_alphabetic()).count();
        let fold = letters >= 2 && letters > run.len() - letters;
        let mut word = String::new();
        for (k, &c) in run.iter().enumerate() {
            let next_is_letter = run.get(k + 1).is_some_and(|n| n.is_alphabetic() || (fold && self.fold.contains_key(n)));
            let c = match self.fold.get(&c) {
                // A symbol stands for a letter only before another letter: "help!" keeps its "!".
                Some(&to) if fold && (c.is_ascii_digit() || next_is_letter) => to,
                _ => c,
            };
            if c.is_alphanumeric() {
                word.push(c);
            } else if !word.is_empty() {
                words.push(self.resolve(std::mem::take(&mut word)));
            }
        }
        if !word.is_empty() {
            words.push(self.resolve(word));
        }
    }

    fn resolve(&self, word: String) -> String {
        self.alias.get(&word).cloned().unwrap_or(word)
    }
}

impl Pattern {
    fn parse(src: &str) -> Result<Self, String> {
        let mut terms = Vec::new();
        for t in src.split_whitespace() {
            terms.push(Term::parse(t)?);
        }
        if !terms.iter().any(|t| matches!(t, Term::Word { optional: false, .. })) {
            return Err("a pattern needs at least one word that is not optional".into());
        }
        if matches!(terms.first(), Some(Term::Gap(_))) || matches!(terms.last(), Some(Term::Gap(_))) {
            return Err("a pattern can't begin or end with a gap (~)".into());
        }
        Ok(Self { terms })
    }

    /// Where a match starting at `start` ends (exclusive), if it matches there.
    fn match_at(&self, words: &[String], start: usize, steps: &mut u64) -> Option<usize> {
        match_terms(&self.terms, words, start, steps)
    }
}

impl Term {
    fn parse(t: &str) -> Result<Self, String> {
        if t == "#" {
            return Ok(Term::Number);
        }
        if let Some(n) = t.strip_prefix('~') {
            let n = if n.is_empty() { 3 } else { n.parse::<usize>().map_err(|_| format!("{t:?}: write a gap as ~ or ~N"))? };
            if n == 0 || n > MAX_GAP {
                return Err(format!("{t:?}: a gap skips 1 to {MAX_GAP} words"));
            }
            return Ok(Term::Gap(n));
        }
        let (body, optional) = match t.strip_suffix('?') {
            Some(b) => (b, true),
            None => (t, false),
        };
        let mut alts = Vec::new();
        for a in body.split('|') {
            let (text, prefix) = match a.strip_suffix('*') {
                Some(x) => (x, true),
                None => (a, false),
            };
            if !is_plain_word(text) {
                return Err(format!("{a:?}: write words in lower case letters and digits, without punctuation"));
            }
            alts.push(Alt { text: text.to_owned(), prefix });
        }
        Ok(Term::Word { alts, optional })
    }
}

impl Alt {
    fn matches(&self, word: &str) -> bool {
        if self.prefix { word.starts_with(&self.text) } else { word == self.text }
    }
}

fn match_terms(terms: &[Term], words: &[String], j: usize, steps: &mut u64) -> Option<usize> {
    *steps += 1;
    let Some((first, rest)) = terms.split_first() else { return Some(j) };
    match first {
        Term::Gap(n) => (0..=*n).filter(|k| j + k <= words.len()).find_map(|k| match_terms(rest, words, j + k, steps)),
        Term::Number => {
            let w = words.get(j)?;
            if w.chars().all(|c| c.is_ascii_digit()) { match_terms(rest, words, j + 1, steps) } else { None }
        }
        Term::Word { alts, optional } => {
            let here = words.get(j).and_then(|w| {
                if alts.iter().any(|a| a.matches(w))
                    && let Some(end) = match_terms(rest, words, j + 1, steps)
                {
                    return Some(end);
                }
                // Two pattern words written as one: "selfharm", "unalive".
                if let Some((Term::Word { alts: next, .. }, after)) = rest.split_first() {
                    let joined = alts.iter().filter(|a| !a.prefix).filter_map(|a| w.strip_prefix(a.text.as_str()));
                    for tail in joined {
                        if !tail.is_empty()
                            && next.iter().any(|b| b.matches(tail))
                            && let Some(end) = match_terms(after, words, j + 1, steps)
                        {
                            return Some(end);
                        }
                    }
                }
                // One pattern word written as two: "my self".
                let next = words.get(j + 1)?;
                let split = format!("{w}{next}");
                if alts.iter().any(|a| a.matches(&split)) { match_terms(rest, words, j + 2, steps) } else { None }
            });
            here.or_else(|| if *optional { match_terms(rest, words, j, steps) } else { None })
        }
    }
}

fn single_char(s: &str) -> Option<char> {
    let mut it = s.chars();
    let c = it.next()?;
    it.next().is_none().then_some(c)
}

fn is_plain_word(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() && !c.is_uppercase())
}

fn line_of(src: &str, offset: usize) -> usize {
    src.get(..offset).map_or(1, |s| s.bytes().filter(|b| *b == b'\n').count() + 1)
}
