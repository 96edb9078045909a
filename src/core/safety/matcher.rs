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
//! Rules are grouped by the warning sign they stand for (`[signs]`: means,
//! plan, timing, farewell, burden, hopelessness, self-harm, relapse,
//! euphemism…), so every match can say which sign it found. Signs under `[now]`
//! say the act is under way (pills taken, at the edge now): they match like
//! any sign and also mark the message as imminent. `[context]` rules (fiction,
//! a third party, one's own past, a joke, teaching) cancel every sign in their
//! sentence: a message is read sentence by sentence, so in a long message one
//! sentence at risk is enough, and a film's plot in another sentence excuses
//! nothing else. An `except` pattern cancels a context it overlaps ("not a joke").
//!
//! Pattern syntax, one pattern per string (see the rules file for examples):
//! - words are separated by spaces; `a|b|c` offers alternatives for one word;
//! - a trailing `*` matches word forms by prefix (`kill*`: kills, killing, killed);
//! - a trailing `?` makes a word optional;
//! - `~` skips up to 3 words, `~N` up to N (at most 6);
//! - `#` matches a number, `#N` a number of at least N;
//! - `_` joins words into one alternative (`right_now|rn|now`);
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
    /// `[now]` signs first, then `[signs]`, then the unnamed `signal` list.
    signals: Vec<Named>,
    excepts: Vec<Pattern>,
    contexts: Vec<Named>,
    /// The learned reader beside the rules, if this locale has one (see `model`).
    model: Option<std::sync::Arc<super::model::Model>>,
}

/// What a message matched: the warning sign, and whether it says the act is under way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The name of the sign's group in the rules file (`means`, `farewell`…;
    /// `signal` for the unnamed list).
    pub sign: String,
    /// A `[now]` sign: the act is under way or about to be, this moment.
    pub imminent: bool,
}

#[derive(Clone, Debug)]
struct Named {
    sign: String,
    imminent: bool,
    pattern: Pattern,
}

/// The word spans exceptions cover, and the sentences a context excuses.
type Excused = (Vec<(usize, usize)>, Vec<usize>);

/// A message read as words, with the sentence each word is in.
struct Read {
    words: Vec<String>,
    sentence: Vec<usize>,
}

#[derive(Clone, Debug)]
struct Pattern {
    terms: Vec<Term>,
}

#[derive(Clone, Debug)]
enum Term {
    Word {
        alts: Vec<Alt>,
        optional: bool,
    },
    Gap(usize),
    /// A number, at least this large (`#` is any number, `#10` ten or more).
    Number(u64),
}

#[derive(Clone, Debug)]
struct Alt {
    text: String,
    prefix: bool,
    /// The words after the first, for an alternative of several words (`right_now`).
    more: Vec<Alt>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    locale: Spanned<String>,
    #[serde(default)]
    fold: Option<Spanned<BTreeMap<String, String>>>,
    #[serde(default)]
    alias: Option<Spanned<BTreeMap<String, Vec<String>>>>,
    #[serde(default)]
    signal: Vec<Spanned<String>>,
    #[serde(default)]
    signs: BTreeMap<String, Vec<Spanned<String>>>,
    #[serde(default)]
    now: BTreeMap<String, Vec<Spanned<String>>>,
    #[serde(default)]
    except: Vec<Spanned<String>>,
    #[serde(default)]
    context: BTreeMap<String, Vec<Spanned<String>>>,
}

impl Rules {
    pub fn new(sets: Vec<RuleSet>) -> Self {
        Self { sets }
    }

    /// Whether any locale's rules find a crisis signal in `text`.
    pub fn matches(&self, text: &str) -> bool {
        self.assess(text).is_some()
    }

    /// The rules' own finding, without any model: what explicit crisis words
    /// a text holds (for content and command words, see `safety::crisis_words`).
    pub fn rules_finding(&self, text: &str) -> Option<Finding> {
        self.first_of(|s| s.rules_only(text))
    }

    /// The warning sign `text` shows, if any; an imminent one wins over the rest.
    pub fn assess(&self, text: &str) -> Option<Finding> {
        self.first_of(|s| s.assess(text))
    }

    /// Each locale's finding in load order: the first imminent one, else the first.
    fn first_of(&self, find: impl Fn(&RuleSet) -> Option<Finding>) -> Option<Finding> {
        let mut found: Option<Finding> = None;
        for s in &self.sets {
            match find(s) {
                Some(f) if f.imminent => return Some(f),
                Some(f) => found = found.or(Some(f)),
                None => {}
            }
        }
        found
    }

    /// How many pattern steps checking `text` takes at most: every pattern of
    /// every locale tried at every word, as if nothing matched early. A measure
    /// of the work per message that doesn't depend on the machine, so tests can
    /// bound it.
    pub fn steps(&self, text: &str) -> u64 {
        let mut steps = 0;
        for s in &self.sets {
            let words = s.words(text);
            let named = s.signals.iter().chain(&s.contexts).map(|n| &n.pattern);
            for p in named.chain(&s.excepts) {
                for start in 0..words.len() {
                    p.match_at(&words, start, &mut steps);
                }
            }
        }
        steps
    }

    /// Each locale's rules, in load order.
    pub fn sets(&self) -> &[RuleSet] {
        &self.sets
    }

    /// The same rules without their models: what the rules alone find.
    pub fn without_models(&self) -> Rules {
        Rules { sets: self.sets.iter().map(|s| RuleSet { model: None, ..s.clone() }).collect() }
    }

    /// The locales that have rules, in load order.
    pub fn locales(&self) -> Vec<&str> {
        self.sets.iter().map(|s| s.locale.as_str()).collect()
    }

    /// How many signal and exception patterns are loaded, over all locales.
    pub fn counts(&self) -> (usize, usize) {
        self.sets.iter().fold((0, 0), |(a, b), s| (a + s.signals.len(), b + s.excepts.len() + s.contexts.len()))
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
        let named = |groups: &BTreeMap<String, Vec<Spanned<String>>>, imminent: bool| -> Result<Vec<Named>, RulesError> {
            let mut out = Vec::new();
            for (sign, list) in groups {
                if !is_sign_name(sign) {
                    let offset = list.first().map_or(0, |p| p.span().start);
                    return Err(at(offset, format!("{sign:?}: name a sign in lower case letters and dashes")));
                }
                for pattern in compile(list)? {
                    out.push(Named { sign: sign.clone(), imminent, pattern });
                }
            }
            Ok(out)
        };
        let mut signals = named(&raw.now, true)?;
        signals.extend(named(&raw.signs, false)?);
        signals.extend(compile(&raw.signal)?.into_iter().map(|pattern| Named { sign: "signal".into(), imminent: false, pattern }));
        if signals.is_empty() {
            return Err(at(0, "signs (or signal) must list at least one pattern".into()));
        }
        let excepts = compile(&raw.except)?;
        let contexts = named(&raw.context, false)?;
        Ok(Self { locale, fold, alias, signals, excepts, contexts, model: None })
    }

    pub fn locale(&self) -> &str {
        &self.locale
    }

    /// Whether a signal matches words that no exception overlaps.
    pub fn matches(&self, text: &str) -> bool {
        self.assess(text).is_some()
    }

    /// What the message shows. A `[now]` sign always stands; with a model,
    /// every other reading is the model's, which sees the rules' finding as
    /// one of its features (so a sign the rules found in a film's plot can be
    /// outweighed, and a way of saying it no rule holds can be found, as the
    /// sign `learned`). Without a model, the rules' finding.
    pub fn assess(&self, text: &str) -> Option<Finding> {
        let read = self.read(text);
        let found = self.rule_finding(&read);
        let Some(model) = &self.model else { return found };
        if found.as_ref().is_some_and(|f| f.imminent) {
            return found;
        }
        let signs: Vec<String> = found.iter().map(|f| f.sign.clone()).collect();
        if model.flags(&read.words, &signs) {
            Some(found.unwrap_or_else(|| Finding { sign: "learned".into(), imminent: false }))
        } else {
            None
        }
    }

    /// The rules' own finding, without the model.
    pub fn rules_only(&self, text: &str) -> Option<Finding> {
        self.rule_finding(&self.read(text))
    }

    /// The message as the rules and the model read it: its words and the sentence of each.
    pub fn reading(&self, text: &str) -> (Vec<String>, Vec<usize>) {
        let read = self.read(text);
        (read.words, read.sentence)
    }

    /// This locale with a learned reader beside its rules.
    pub fn with_model(mut self, model: std::sync::Arc<super::model::Model>) -> Self {
        self.model = Some(model);
        self
    }

    pub fn model(&self) -> Option<&super::model::Model> {
        self.model.as_deref()
    }

    /// The first sign (imminent ones first) that matches words no exception
    /// overlaps, in a sentence no context rule excuses.
    fn rule_finding(&self, read: &Read) -> Option<Finding> {
        let steps = &mut 0;
        let words = &read.words;
        let mut excused: Option<Excused> = None;
        for n in &self.signals {
            for start in 0..words.len() {
                let Some(end) = n.pattern.match_at(words, start, steps) else { continue };
                let (spans, sentences) = excused.get_or_insert_with(|| self.excused(read, steps));
                let overlapped = spans.iter().any(|&(s, e)| s < end && start < e);
                let in_context = read.sentence.get(start).is_some_and(|s| sentences.contains(s));
                if !overlapped && !in_context {
                    return Some(Finding { sign: n.sign.clone(), imminent: n.imminent });
                }
            }
        }
        None
    }

    /// The word spans exceptions cover, and the sentences context rules excuse.
    fn excused(&self, read: &Read, steps: &mut u64) -> Excused {
        let mut spans = Vec::new();
        for p in &self.excepts {
            for start in 0..read.words.len() {
                if let Some(end) = p.match_at(&read.words, start, steps) {
                    spans.push((start, end));
                }
            }
        }
        // An exception cancels a context it overlaps too: "not a joke" is no joke.
        let mut sentences = Vec::new();
        for n in &self.contexts {
            for start in 0..read.words.len() {
                let Some(end) = n.pattern.match_at(&read.words, start, steps) else { continue };
                if !spans.iter().any(|&(s, e)| s < end && start < e) {
                    sentences.extend(read.sentence.get(start).copied());
                }
            }
        }
        (spans, sentences)
    }

    /// Reads text as words: folded, lower case, look-alikes and aliases resolved.
    pub fn words(&self, text: &str) -> Vec<String> {
        self.read(text).words
    }

    /// Reads text as words, each with the number of its sentence. A sentence
    /// ends at `.`, `?`, `!` (outside a word, where it isn't a look-alike), `;`
    /// or a line break, and a new one begins at "but".
    fn read(&self, text: &str) -> Read {
        // Accents are dropped ("kíll", "suícide" read as "kill", "suicide"): decompose,
        // leave out the combining marks, then fold compatibility forms.
        let chars: Vec<char> = text
            .nfd()
            .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
            .nfkc()
            .flat_map(char::to_lowercase)
            .filter(|c| !is_invisible_control(*c) && !matches!(c, '\'' | '’' | '‘' | '`'))
            .collect();
        let mut read = Read { words: Vec::new(), sentence: Vec::new() };
        let mut sentence = 0;
        let mut i = 0;
        while i < chars.len() {
            let in_run = |c: char| c.is_alphanumeric() || self.fold.contains_key(&c);
            if !in_run(chars[i]) {
                if ends_sentence(chars[i]) && read.sentence.last() == Some(&sentence) {
                    sentence += 1;
                }
                i += 1;
                continue;
            }
            let start = i;
            while i < chars.len() && in_run(chars[i]) {
                i += 1;
            }
            sentence = self.push_run(&chars[start..i], &mut read, sentence);
        }
        read
    }

    /// Splits one run of word characters into words, folding look-alikes when
    /// the run is mostly letters (so "su1c1de" is read as a word, but "100km" is not).
    /// Returns the sentence the run ends in ("help!" ends one).
    fn push_run(&self, run: &[char], read: &mut Read, mut sentence: usize) -> usize {
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
            } else {
                if !word.is_empty() {
                    sentence = self.push_word(std::mem::take(&mut word), read, sentence);
                }
                if ends_sentence(c) && read.sentence.last() == Some(&sentence) {
                    sentence += 1;
                }
            }
        }
        if !word.is_empty() {
            sentence = self.push_word(word, read, sentence);
        }
        sentence
    }

    /// Adds one word in its sentence; returns the sentence it is in.
    fn push_word(&self, word: String, read: &mut Read, mut sentence: usize) -> usize {
        let word = self.resolve(word);
        // "but" turns to something new: "i used to be happy, but now i want to die".
        if word == "but" && read.sentence.last() == Some(&sentence) {
            sentence += 1;
        }
        read.words.push(word);
        read.sentence.push(sentence);
        sentence
    }

    /// A listed misspelling becomes its word; a letter stretched three or more
    /// times ("dieeee", "sooo") is read once.
    fn resolve(&self, word: String) -> String {
        if let Some(a) = self.alias.get(&word) {
            return a.clone();
        }
        let chars: Vec<char> = word.chars().collect();
        let mut out = String::with_capacity(word.len());
        let mut k = 0;
        while k < chars.len() {
            let c = chars[k];
            let run = chars[k..].iter().take_while(|&&x| x == c).count();
            let keep = if run >= 3 && c.is_alphabetic() { 1 } else { run };
            out.extend(std::iter::repeat_n(c, keep));
            k += run;
        }
        self.alias.get(&out).cloned().unwrap_or(out)
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
        if let Some(min) = t.strip_prefix('#') {
            let min = if min.is_empty() { 0 } else { min.parse::<u64>().map_err(|_| format!("{t:?}: write a number as # or #N"))? };
            return Ok(Term::Number(min));
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
            let mut seq = Vec::new();
            for part in a.split('_') {
                let (text, prefix) = match part.strip_suffix('*') {
                    Some(x) => (x, true),
                    None => (part, false),
                };
                if !is_plain_word(text) {
                    return Err(format!("{a:?}: write words in lower case letters and digits, without punctuation"));
                }
                seq.push(Alt { text: text.to_owned(), prefix, more: Vec::new() });
            }
            let mut seq = seq.into_iter();
            let Some(mut first) = seq.next() else { return Err(format!("{a:?}: an empty alternative")) };
            first.more = seq.collect();
            alts.push(first);
        }
        Ok(Term::Word { alts, optional })
    }
}

impl Alt {
    fn matches(&self, word: &str) -> bool {
        if self.prefix { word.starts_with(&self.text) } else { word == self.text }
    }

    /// Where an alternative of several words, matched from `j`, ends.
    fn matches_seq(&self, words: &[String], j: usize) -> Option<usize> {
        let all = std::iter::once(self).chain(&self.more);
        for (k, a) in all.enumerate() {
            if !a.matches(words.get(j + k)?) {
                return None;
            }
        }
        Some(j + 1 + self.more.len())
    }
}

fn match_terms(terms: &[Term], words: &[String], j: usize, steps: &mut u64) -> Option<usize> {
    *steps += 1;
    let Some((first, rest)) = terms.split_first() else { return Some(j) };
    match first {
        Term::Gap(n) => (0..=*n).filter(|k| j + k <= words.len()).find_map(|k| match_terms(rest, words, j + k, steps)),
        Term::Number(min) => {
            let w = words.get(j)?;
            // Digits only; a number too long to read is surely large enough.
            let big_enough = w.chars().all(|c| c.is_ascii_digit()) && w.parse::<u64>().map_or(true, |n| n >= *min);
            if big_enough { match_terms(rest, words, j + 1, steps) } else { None }
        }
        Term::Word { alts, optional } => {
            let here = words.get(j).and_then(|w| {
                if alts.iter().any(|a| a.more.is_empty() && a.matches(w))
                    && let Some(end) = match_terms(rest, words, j + 1, steps)
                {
                    return Some(end);
                }
                for a in alts.iter().filter(|a| !a.more.is_empty()) {
                    if let Some(next) = a.matches_seq(words, j)
                        && let Some(end) = match_terms(rest, words, next, steps)
                    {
                        return Some(end);
                    }
                }
                // Two pattern words written as one: "selfharm", "unalive".
                if let Some((Term::Word { alts: next, .. }, after)) = rest.split_first() {
                    let joined = alts.iter().filter(|a| !a.prefix && a.more.is_empty()).filter_map(|a| w.strip_prefix(a.text.as_str()));
                    for tail in joined {
                        if !tail.is_empty()
                            && next.iter().any(|b| b.more.is_empty() && b.matches(tail))
                            && let Some(end) = match_terms(after, words, j + 1, steps)
                        {
                            return Some(end);
                        }
                    }
                }
                // One pattern word written as two: "my self".
                let next = words.get(j + 1)?;
                let split = format!("{w}{next}");
                if alts.iter().any(|a| a.more.is_empty() && a.matches(&split)) { match_terms(rest, words, j + 2, steps) } else { None }
            });
            here.or_else(|| if *optional { match_terms(rest, words, j, steps) } else { None })
        }
    }
}

fn ends_sentence(c: char) -> bool {
    matches!(c, '.' | '?' | '!' | ';' | '\n' | '…')
}

fn is_sign_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '-')
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
