//! The crisis matcher against labelled corpora:
//! - `tests/fixtures/crisis-corpus.tsv`, the project's own first corpus;
//! - `tests/fixtures/crisis/dev.tsv`, written independently of the rules (issue 17),
//!   the only part the rules may be tuned on;
//! - `tests/fixtures/crisis/heldout.tsv`, from the same writer, split off by a fixed
//!   hash rule (see its README) and never tuned on. Only its counts are printed,
//!   never its messages, so it stays an honest measure.
//!
//! Figures are printed (run with `--nocapture`) and recorded in BENCHMARKS.md.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use attune::core::safety::Rules;

const CORPUS: &str = include_str!("../fixtures/crisis-corpus.tsv");
const DEV: &str = include_str!("../fixtures/crisis/dev.tsv");
const HELDOUT: &str = include_str!("../fixtures/crisis/heldout.tsv");

fn rules() -> Rules {
    attune::config::Config::default().content().expect("the built-in content loads").phrases
}

/// (should signpost, message) for every labelled line.
fn corpus() -> Vec<(bool, &'static str)> {
    CORPUS
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (label, text) = l.split_once('\t').expect("label, tab, message");
            match label {
                "yes" => (true, text),
                "no" => (false, text),
                other => panic!("unknown label {other:?} in the corpus"),
            }
        })
        .collect()
}

#[test]
fn the_corpus_is_large_and_balanced() {
    let c = corpus();
    let yes = c.iter().filter(|(y, _)| *y).count();
    let no = c.len() - yes;
    assert!(c.len() >= 150, "at least 150 labelled messages, got {}", c.len());
    assert!(yes * 10 >= c.len() * 4 && no * 10 >= c.len() * 4, "roughly half should signpost: {yes} yes, {no} no");
}

#[test]
fn the_matcher_finds_people_and_spares_the_grieving() {
    let rules = rules();
    let c = corpus();
    let mut missed = Vec::new();
    let mut false_alarms = Vec::new();
    for (should, text) in &c {
        let got = rules.matches(text);
        if *should && !got {
            missed.push(*text);
        }
        if !*should && got {
            false_alarms.push(*text);
        }
    }
    let yes = c.iter().filter(|(y, _)| *y).count();
    let no = c.len() - yes;
    let recall = (yes - missed.len()) as f64 / yes as f64;
    let false_alarm = false_alarms.len() as f64 / no as f64;
    println!("crisis corpus: {} messages ({yes} should signpost, {no} should not)", c.len());
    println!(
        "crisis corpus: recall {recall:.3} ({} of {yes}), false-alarm rate {false_alarm:.3} ({} of {no})",
        yes - missed.len(),
        false_alarms.len()
    );
    for m in &missed {
        println!("  missed: {m}");
    }
    for f in &false_alarms {
        println!("  false alarm: {f}");
    }
    assert!(recall >= 0.9, "recall {recall:.3} is below 0.9; missed: {missed:#?}");
    assert!(false_alarm <= 0.1, "false-alarm rate {false_alarm:.3} is above 0.1; false alarms: {false_alarms:#?}");
}

#[test]
fn matching_stays_bounded_on_the_longest_and_most_awkward_message() {
    let rules = rules();
    // Words that start many patterns, repeated: the worst case for gaps and optional words.
    let awful = "want want to to i i never never wake wake kill self self dont ".repeat(400);
    let text: String = awful.chars().take(attune::core::safety::MAX_CHECKED_CHARS).collect();
    let words = text.split_whitespace().count() as u64;
    let (signals, excepts) = rules.counts();
    let patterns = (signals + excepts) as u64;
    // Work is counted in pattern steps, not timed (timing belongs in benchmarks):
    // each pattern tried at each word may branch only a bounded number of times.
    let steps = rules.steps(&text);
    println!("crisis rules: {steps} steps for {words} words and {patterns} patterns");
    assert!(steps <= words * patterns * PER_PATTERN_AND_WORD, "{steps} steps for {words} words × {patterns} patterns");
    // The measure counts real work: at least one step per pattern and word.
    assert!(steps >= words * patterns, "{steps} steps can't have tried every pattern at every word");
}

/// The most steps one pattern may take at one word, on any text.
const PER_PATTERN_AND_WORD: u64 = 4;

/// One line of the independent corpus: `LABEL<TAB>CATEGORY<TAB>MESSAGE`.
struct Labelled {
    /// `yes` or `now`: the resources card should be offered.
    at_risk: bool,
    /// `now`: the act is under way or imminent.
    now: bool,
    category: &'static str,
    text: &'static str,
}

fn labelled(src: &'static str) -> Vec<Labelled> {
    src.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut parts = l.splitn(3, '\t');
            let (Some(label), Some(category), Some(text)) = (parts.next(), parts.next(), parts.next()) else {
                panic!("label, tab, category, tab, message")
            };
            let (at_risk, now) = match label {
                "yes" => (true, false),
                "now" => (true, true),
                "no" => (false, false),
                other => panic!("unknown label {other:?}"),
            };
            Labelled { at_risk, now, category, text }
        })
        .collect()
}

/// What the matcher did on one part of the corpus.
#[derive(Default)]
struct Score {
    at_risk: usize,
    found: usize,
    safe: usize,
    false_alarms: usize,
    now: usize,
    now_imminent: usize,
    /// Messages labelled `no` that were read as imminent.
    imminent_false: usize,
    /// Misses and false alarms per category (counts only).
    by_category: std::collections::BTreeMap<(&'static str, &'static str), usize>,
}

impl Score {
    fn recall(&self) -> f64 {
        self.found as f64 / self.at_risk.max(1) as f64
    }
    fn false_alarm_rate(&self) -> f64 {
        self.false_alarms as f64 / self.safe.max(1) as f64
    }
    fn imminent_recall(&self) -> f64 {
        self.now_imminent as f64 / self.now.max(1) as f64
    }
}

/// Scores a part; `show` prints each miss (only ever for the development part).
fn score(rules: &Rules, part: &[Labelled], show: bool) -> Score {
    let mut s = Score::default();
    for m in part {
        let finding = rules.assess(m.text);
        if m.at_risk {
            s.at_risk += 1;
            if finding.is_some() {
                s.found += 1;
            } else {
                *s.by_category.entry(("missed", m.category)).or_default() += 1;
                if show {
                    println!("  dev missed [{}]: {}", m.category, m.text);
                }
            }
            if m.now {
                s.now += 1;
                if finding.as_ref().is_some_and(|f| f.imminent) {
                    s.now_imminent += 1;
                } else if show {
                    println!("  dev not imminent [{}]: {}", m.category, m.text);
                }
            }
        } else {
            s.safe += 1;
            if let Some(f) = finding {
                s.false_alarms += 1;
                s.imminent_false += usize::from(f.imminent);
                *s.by_category.entry(("false alarm", m.category)).or_default() += 1;
                if show {
                    println!("  dev false alarm [{}] ({}): {}", m.category, f.sign, m.text);
                }
            }
        }
    }
    s
}

fn report(name: &str, s: &Score) {
    println!(
        "crisis {name}: {} messages; recall {:.3} ({} of {}), false alarms {:.3} ({} of {}), imminent recall {:.3} ({} of {}), read as imminent though labelled no: {}",
        s.at_risk + s.safe,
        s.recall(),
        s.found,
        s.at_risk,
        s.false_alarm_rate(),
        s.false_alarms,
        s.safe,
        s.imminent_recall(),
        s.now_imminent,
        s.now,
        s.imminent_false
    );
    for ((what, category), n) in &s.by_category {
        println!("  {name} {what} in {category}: {n}");
    }
}

#[test]
fn the_development_corpus_is_found_and_its_near_misses_spared() {
    let s = score(&rules(), &labelled(DEV), true);
    report("dev", &s);
    assert!(s.at_risk + s.safe >= 500, "the development part holds the corpus's two thirds");
    assert!(s.recall() >= DEV_RECALL, "dev recall {:.3} is below {DEV_RECALL}", s.recall());
    assert!(s.false_alarm_rate() <= DEV_FALSE_ALARMS, "dev false alarms {:.3} above {DEV_FALSE_ALARMS}", s.false_alarm_rate());
    assert!(s.imminent_recall() >= DEV_IMMINENT, "dev imminent recall {:.3} is below {DEV_IMMINENT}", s.imminent_recall());
}

/// Held-out: measured, never tuned on. Only counts are printed. The floors are a
/// loose guard against regressions, set below the figure measured once (BENCHMARKS.md).
#[test]
fn the_held_out_corpus_is_measured_by_counts_only() {
    let s = score(&rules(), &labelled(HELDOUT), false);
    report("held-out", &s);
    assert!(s.at_risk + s.safe >= 250, "the held-out part holds the corpus's third");
    assert!(s.recall() >= HELDOUT_RECALL_FLOOR, "held-out recall {:.3} fell below {HELDOUT_RECALL_FLOOR}", s.recall());
    assert!(
        s.false_alarm_rate() <= HELDOUT_FALSE_ALARM_CEILING,
        "held-out false alarms {:.3} rose above {HELDOUT_FALSE_ALARM_CEILING}",
        s.false_alarm_rate()
    );
}

const DEV_RECALL: f64 = 0.88;
const DEV_FALSE_ALARMS: f64 = 0.03;
const DEV_IMMINENT: f64 = 0.9;
const HELDOUT_RECALL_FLOOR: f64 = 0.33;
const HELDOUT_FALSE_ALARM_CEILING: f64 = 0.20;

/// The second corpus (issue 17, second round): six writers who never saw the
/// rules, the model or each other's lines. Split by writer, decided before any
/// line was read: `train-*` may be read, tuned and trained on; `heldout-*`
/// never are (only counts are printed).
const TRAIN2: [&str; 4] = [
    include_str!("../fixtures/crisis2/train-1.tsv"),
    include_str!("../fixtures/crisis2/train-2.tsv"),
    include_str!("../fixtures/crisis2/train-3.tsv"),
    include_str!("../fixtures/crisis2/train-4.tsv"),
];
const HELDOUT2: [&str; 2] = [include_str!("../fixtures/crisis2/heldout-1.tsv"), include_str!("../fixtures/crisis2/heldout-2.tsv")];

fn all_of(parts: &[&'static str]) -> Vec<Labelled> {
    parts.iter().flat_map(|p| labelled(p)).collect()
}

const ORDINARY_TRAIN: &str = include_str!("../fixtures/crisis2/ordinary-train.tsv");
const ORDINARY_HELDOUT: &str = include_str!("../fixtures/crisis2/ordinary-heldout.tsv");

/// The rules alone and the rules with the model, on the second corpus. The
/// held-out writers' figures are printed as counts and per-category tallies
/// only; their floors are a loose guard below the one measurement in
/// BENCHMARKS.md, not a target to tune towards.
#[test]
fn the_second_corpus_is_measured_and_its_held_out_part_by_counts_only() {
    let with_model = rules();
    let alone = with_model.without_models();
    for (name, r) in [("rules alone", &alone), ("rules and model", &with_model)] {
        let train = score(r, &all_of(&TRAIN2), false);
        report(&format!("{name}, second corpus, training writers"), &train);
        let everyday = score(r, &labelled(ORDINARY_TRAIN), false);
        report(&format!("{name}, everyday messages, training writer"), &everyday);
        let held = score(r, &all_of(&HELDOUT2), false);
        report(&format!("{name}, second corpus, held-out writers"), &held);
        let held_everyday = score(r, &labelled(ORDINARY_HELDOUT), false);
        report(&format!("{name}, everyday messages, held-out writer"), &held_everyday);
        let first_held = score(r, &labelled(HELDOUT), false);
        report(&format!("{name}, first corpus's held-out part"), &first_held);
    }
    let train = score(&with_model, &all_of(&TRAIN2), false);
    assert!(train.at_risk + train.safe >= 1800);
    assert!(train.recall() >= 0.85 && train.false_alarm_rate() <= 0.10, "the training writers are learned");
    let held = score(&with_model, &all_of(&HELDOUT2), false);
    assert!(held.at_risk + held.safe >= 700);
    assert!(held.recall() >= HELDOUT2_RECALL_FLOOR, "held-out recall {:.3} fell below {HELDOUT2_RECALL_FLOOR}", held.recall());
    assert!(
        held.false_alarm_rate() <= HELDOUT2_FALSE_ALARM_CEILING,
        "held-out false alarms {:.3} rose above {HELDOUT2_FALSE_ALARM_CEILING}",
        held.false_alarm_rate()
    );
    let everyday = score(&with_model, &labelled(ORDINARY_HELDOUT), false);
    assert!(everyday.safe >= 290 && everyday.at_risk == 0);
    assert!(everyday.false_alarm_rate() <= HELDOUT2_EVERYDAY_CEILING, "everyday false alarms {:.3}", everyday.false_alarm_rate());
}

/// Loose guards below the held-out measurement (BENCHMARKS.md: recall 0.767,
/// false alarms 0.089 on near misses and 0.017 on everyday messages), set
/// after it and never tuned towards.
const HELDOUT2_RECALL_FLOOR: f64 = 0.70;
const HELDOUT2_FALSE_ALARM_CEILING: f64 = 0.12;
const HELDOUT2_EVERYDAY_CEILING: f64 = 0.04;

/// The trainer, as `cargo run --example crisis_train` runs it.
#[allow(dead_code)]
#[path = "../../examples/crisis_train.rs"]
mod trainer;

/// The shipped model is exactly what the trainer makes from the corpora: its
/// weights aren't edited by hand, and a change to the features or the corpora
/// that wasn't followed by training again fails here.
#[test]
fn the_shipped_model_is_what_the_trainer_makes_from_the_corpora() {
    use attune::core::safety::model::{self, Example, Model, TrainOptions};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let (messages, _) = trainer::training_messages(root).expect("the corpora read");
    let rules = rules().without_models();
    let set = rules.sets().iter().find(|s| s.locale() == "en").expect("English rules");
    let all: Vec<Example> = messages.iter().map(|m| trainer::example(set, m).0).collect();
    let source = attune::content::DEFAULT_MODEL;
    let shipped = Model::parse(source).expect("the shipped model reads");
    let made = model::train(&all, &TrainOptions::default(), 0.5).with_cutoffs(shipped.threshold(), shipped.veto()).keeping(trainer::KEEP);
    let body = |s: &str| s.lines().filter(|l| !l.starts_with('#')).map(str::to_owned).collect::<Vec<_>>();
    let (made, shipped) = (body(&made.to_file("")), body(source));
    assert_eq!(made.len(), shipped.len(), "as many weights as shipped");
    let differ: Vec<_> = made.iter().zip(&shipped).filter(|(a, b)| a != b).take(5).collect();
    assert!(differ.is_empty(), "the shipped model differs from what the trainer makes; run the trainer again: {differ:?}");
}
